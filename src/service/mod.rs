//! The claims service: what an application calls for each user action.
//!
//! [`Claims`] puts the pure core and a [`Store`] together. For every action it loads the
//! claim (scoped to the actor's partner location), decides with the pure transition, commits
//! atomically, retries a bounded number of times when another writer got there first, and
//! returns the events for the application to perform.

use chrono::{DateTime, Utc};

use crate::activity::{ActivityClaim, ActivityError, ActivityEvent};
use crate::actor::{Actor, PartnerUserRole};
use crate::association::{
    Association, AssociationClaim, AssociationError, AssociationEvent, KeyUnit,
};
use crate::catalog::{Catalog, Catalogs, EngagementId, ProgramYear};
use crate::eligibility::{CustomerEligibility, Enrollment, Facts};
use crate::id::{ClaimId, CustomerId, DomainName, PartnerId, TenantId};
use crate::store::{Claim, CountedKey, Scope, Store, StoreError, Stored, Version};

mod activities;
mod associations;
mod sweep;
mod views;

/// How many times an action is retried when a concurrent writer changed the claim.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Why a service action failed. Nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The association claim refused the command.
    #[error(transparent)]
    Association(#[from] AssociationError),
    /// The activity claim refused the command.
    #[error(transparent)]
    Activity(#[from] ActivityError),
    /// The store refused the commit, or failed. A [`StoreError::KeyHeld`] names the holder.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such claim for this actor (another partner's claim looks the same).
    #[error("claim {claim} not found")]
    NotFound {
        /// The claim.
        claim: ClaimId,
    },
    /// The claim was created under a program year the service has no catalog for.
    #[error("no catalog for program year {year}")]
    UnknownProgramYear {
        /// The year.
        year: ProgramYear,
    },
    /// An arbitration named a holder that holds none of the keys the approved claim needs:
    /// nothing is superseded and nothing approved.
    #[error(
        "claim {holder} holds none of the keys of claim {claim}, so it cannot be superseded by it"
    )]
    NotAHolder {
        /// The claim being approved.
        claim: ClaimId,
        /// The claim named as the holder.
        holder: ClaimId,
    },
    /// A `Supersede` sent on its own: an association ends by arbitration only as part of
    /// the approval of the claim that wins it.
    #[error(
        "claim {claim} can be superseded only by approving the claim that wins the arbitration"
    )]
    SupersedeOnlyByArbitration {
        /// The claim.
        claim: ClaimId,
    },
    /// A request ID already made an entry of this claim's history for another input.
    #[error("the request id was used on claim {claim} for another input")]
    RequestReused {
        /// The claim.
        claim: ClaimId,
    },
    /// Other writers kept changing the claim; the action was tried `attempts` times.
    #[error("claim {claim} kept changing; gave up after {attempts} attempts")]
    Contended {
        /// The claim.
        claim: ClaimId,
        /// How many times it was tried.
        attempts: u32,
    },
}

impl ServiceError {
    /// The stable machine-readable code of the underlying error, such as
    /// `association.invalid_state` or `store.key_held`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Association(e) => e.code(),
            Self::Activity(e) => e.code(),
            Self::Store(e) => e.code(),
            Self::NotFound { .. } => "service.not_found",
            Self::UnknownProgramYear { .. } => "service.unknown_program_year",
            Self::Contended { .. } => "service.contended",
            Self::NotAHolder { .. } => "service.not_a_holder",
            Self::RequestReused { .. } => "service.request_reused",
            Self::SupersedeOnlyByArbitration { .. } => "service.supersede_only_by_arbitration",
        }
    }

    /// The claim that holds the key, if the store refused because a key is held.
    #[must_use]
    pub const fn holder(&self) -> Option<ClaimId> {
        match self {
            Self::Store(StoreError::KeyHeld { holder, .. }) => Some(*holder),
            _ => None,
        }
    }
}

/// The result of an accepted action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<C, E> {
    /// The claim as committed (for a replay: as stored now).
    pub claim: C,
    /// Its new version (for a replay: its version now).
    pub version: Version,
    /// What the application must do. A replay has none: the first call returned them.
    pub events: Vec<E>,
    /// Whether this answers a retry of an action already applied (the same claim ID and
    /// creation input, or the same request ID and command), which was not applied again.
    pub replayed: bool,
}

/// What the sweep did to one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Swept {
    /// An association claim expired.
    Association(Outcome<AssociationClaim, AssociationEvent>),
    /// An activity claim expired.
    Activity(Outcome<ActivityClaim, ActivityEvent>),
}

/// A workload or subscription on which a partner may see a customer's usage and sold seats.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageGrant {
    /// The engagement of the official association.
    pub engagement: EngagementId,
    /// The workload or subscription.
    pub unit: KeyUnit,
}

/// The workloads and subscriptions of `tenant` on which `partner` may see usage and sold-seat
/// data at `now`, given claims (any claims: others are ignored): the keys of the partner's
/// **official** associations with that tenant, and nothing else. Pending, ended and other
/// partners' associations grant nothing. A pure function of the claims and `now`, sorted and
/// without repeats.
pub fn usage_scope<'a>(
    claims: impl IntoIterator<Item = &'a Claim>,
    partner: PartnerId,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Vec<UsageGrant> {
    let mut grants: Vec<UsageGrant> = claims
        .into_iter()
        .filter_map(Claim::as_association)
        .filter(|claim| claim.content().partner == partner && claim.content().tenant == tenant)
        .filter(|claim| matches!(claim.association(now), Association::Official { .. }))
        .flat_map(AssociationClaim::held_keys)
        .map(|key| UsageGrant {
            engagement: key.engagement,
            unit: key.unit,
        })
        .collect();
    grants.sort();
    grants.dedup();
    grants
}

/// The claims service over a store `S`.
///
/// ```
/// use cpor::service::Claims;
/// use cpor::store::InMemoryStore;
/// use cpor::Catalogs;
///
/// let claims = Claims::new(InMemoryStore::new(), Catalogs::builtin());
/// assert!(claims.store().is_empty());
/// ```
#[derive(Debug)]
pub struct Claims<S> {
    store: S,
    catalogs: Catalogs,
    max_attempts: u32,
}

impl<S: Store> Claims<S> {
    /// A service over `store`, governed by `catalogs`; new claims take the newest year.
    pub const fn new(store: S, catalogs: Catalogs) -> Self {
        Self {
            store,
            catalogs,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// The same service, retrying a contended action at most `attempts` times (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The store.
    pub const fn store(&self) -> &S {
        &self.store
    }

    /// The catalogs.
    pub const fn catalogs(&self) -> &Catalogs {
        &self.catalogs
    }

    fn catalog(&self, year: ProgramYear) -> Result<&Catalog, ServiceError> {
        self.catalogs
            .get(year)
            .ok_or(ServiceError::UnknownProgramYear { year })
    }

    /// Loads a claim as `actor` may see it: a partner user sees the claims of the locations
    /// it may act for, a customer the claims about it, a reviewer and the timer every claim.
    /// The referral link of an activity claim is shown to Referral admins only: for anyone
    /// else it is withheld ([`ActivityClaim::without_referral`]).
    ///
    /// # Errors
    ///
    /// [`ServiceError::NotFound`] if it does not exist or the actor may not see it (the two
    /// look the same); [`ServiceError::Store`] if the store fails.
    pub fn load(&self, actor: &Actor, id: ClaimId) -> Result<Stored, ServiceError> {
        let stored = self
            .load_unredacted(actor, id)?
            .ok_or(ServiceError::NotFound { claim: id })?;
        Ok(Stored {
            claim: shown_to(actor, stored.claim),
            version: stored.version,
        })
    }

    /// The claim if `actor` may see it, with nothing withheld: for the service's own
    /// decisions, never returned as is.
    fn load_unredacted(&self, actor: &Actor, id: ClaimId) -> Result<Option<Stored>, ServiceError> {
        Ok(self
            .store
            .load(scope_of(actor), id)?
            .filter(|stored| sees(actor, &stored.claim)))
    }

    /// Runs `attempt` until it does not hit a version conflict, at most `max_attempts` times.
    fn retrying<T>(
        &self,
        claim: ClaimId,
        mut attempt: impl FnMut() -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let mut tries = 0_u32;
        loop {
            tries = tries.saturating_add(1);
            match attempt() {
                Err(ServiceError::Store(StoreError::Conflict { .. }))
                    if tries < self.max_attempts => {}
                Err(ServiceError::Store(StoreError::Conflict { .. })) => {
                    return Err(ServiceError::Contended {
                        claim,
                        attempts: tries,
                    });
                }
                other => return other,
            }
        }
    }
}

/// The store scope to read with for `actor`: its own location for a user of one location;
/// otherwise everything, which [`sees`] then narrows.
fn scope_of(actor: &Actor) -> Scope {
    match actor {
        Actor::Partner { partner, also, .. } if also.is_empty() => Scope::Partner(*partner),
        _ => Scope::Microsoft,
    }
}

/// Whether `actor` may see `claim`: see [`Actor::may_see`].
fn sees(actor: &Actor, claim: &Claim) -> bool {
    match claim {
        Claim::Association(c) => actor.may_see(
            c.content().partner,
            &CustomerId::Tenant(c.content().tenant),
            None,
        ),
        Claim::Activity(c) => actor.may_see(c.partner(), c.customer(), c.resolved_tenant()),
    }
}

/// `claim` as `actor` may be shown it: an activity claim's referral link only to a Referral
/// admin.
fn shown_to(actor: &Actor, claim: Claim) -> Claim {
    match claim {
        Claim::Activity(c) => Claim::Activity(shown_activity(actor, c)),
        other => other,
    }
}

/// An activity claim as `actor` may be shown it (see [`shown_to`]).
fn shown_activity(actor: &Actor, claim: ActivityClaim) -> ActivityClaim {
    if actor.has_role(PartnerUserRole::ReferralAdmin) || matches!(actor, Actor::System) {
        claim
    } else {
        claim.without_referral()
    }
}

/// The application's facts, with the per-customer count raised to what the store knows.
struct StoreCounted<'a, S: ?Sized> {
    facts: &'a dyn Facts,
    store: &'a S,
}

impl<S: Store + ?Sized> Facts for StoreCounted<'_, S> {
    fn resolve_domain(&self, domain: &DomainName) -> Option<TenantId> {
        self.facts.resolve_domain(domain)
    }

    fn customer_eligibility(
        &self,
        id: &CustomerId,
        engagement: &EngagementId,
    ) -> CustomerEligibility {
        self.facts.customer_eligibility(id, engagement)
    }

    fn tenant_email_domains(&self, tenant: &TenantId) -> &[DomainName] {
        self.facts.tenant_email_domains(tenant)
    }

    fn partner_enrollment(&self, partner: PartnerId, engagement: &EngagementId) -> Enrollment {
        self.facts.partner_enrollment(partner, engagement)
    }

    /// The larger of the application's count and the store's. If the store fails, the count
    /// is `u32::MAX`, so that an unknown count never lets a customer past its cap.
    fn active_claims(&self, engagement: &EngagementId, customer: &CustomerId) -> u32 {
        let key = CountedKey {
            engagement: engagement.clone(),
            customer: customer.clone(),
        };
        let stored = self.store.count(&key).unwrap_or(u32::MAX);
        stored.max(self.facts.active_claims(engagement, customer))
    }

    fn referral_conditions_hold(&self, customer: &CustomerId, engagement: &EngagementId) -> bool {
        self.facts.referral_conditions_hold(customer, engagement)
    }

    fn co_sell_qualified(&self, customer: &CustomerId) -> bool {
        self.facts.co_sell_qualified(customer)
    }
}
