//! The claims service: what an application calls for each user action.
//!
//! The service puts the pure core and a store together. For every action it loads the
//! claim (scoped to the actor), decides with the pure transition, commits atomically,
//! retries a bounded number of times when another writer got there first, and returns the
//! events for the application to perform. It comes in two forms with the same methods:
//!
//! - [`AsyncClaims`], over an [`AsyncStore`], for async services: every method is an
//!   `async fn` whose future is `Send`, to await straight from a tokio handler;
//! - [`Claims`], over a blocking [`Store`](crate::store::Store), for scripts, tests and threaded programs.
//!
//! # One core, two drivers
//!
//! The decisions (which claims to load, what the pure core decides, which writes to commit,
//! when to retry, how to treat a retried request) are written **once**, as the async methods
//! of [`AsyncClaims`]. They do no I/O of their own: every read and write goes through the
//! store trait. [`Claims`] is the blocking driver: it lifts its [`Store`](crate::store::Store) into an
//! [`AsyncStore`] whose futures do their work when first polled, and polls the very same
//! futures to completion on the calling thread, with no runtime (so it works inside a tokio
//! worker too, blocking it as any blocking call does).
//!
//! We chose this over a hand-written step machine (a "sans-IO" core that returns "load
//! this", "commit that" and is resumed with the answers) because the actions interleave
//! reads and decisions several times: a retry loop around a load and a commit, an
//! arbitration that loads the holder it decides to supersede, a nomination that learns which
//! counts it needs before it decides. An `async fn` is that step machine, written by the
//! compiler; a step machine by hand would spell out each of those states and could drift
//! from the code that reads as the rule.
//!
//! # Clock skew
//!
//! Service instances read their own clocks, and clocks differ by a little. A claim's history
//! never goes back in time, so a command stamped a moment before the claim's last entry
//! (written by an instance whose clock runs ahead) would be refused with `time_went_back`.
//! The service accepts such a command when it is at most the clock-skew tolerance behind
//! ([`DEFAULT_CLOCK_SKEW`], 5 seconds; [`AsyncClaims::with_clock_skew`]) and records it at
//! the time of the last entry instead, so the history stays ordered; a command further
//! behind is refused as before. Deadlines are never moved by it: the timer decides with the
//! `now` it is given.
//!
//! # Tracing
//!
//! Each action runs in a `tracing` span named `cpor.service` with the action, the claim ID,
//! the partner number and the command kind; when it ends, an event records the outcome code
//! (`ok`, `replayed` or the error's code), the number of attempts and the time taken in
//! microseconds. No email address, name or free text is ever recorded. Retries after a
//! version conflict are `debug` events.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::activity::{ActivityClaim, ActivityError, ActivityEvent};
use crate::actor::{Actor, PartnerUserRole};
use crate::association::{
    Association, AssociationClaim, AssociationError, AssociationEvent, KeyUnit,
};
use crate::catalog::{Catalog, Catalogs, EngagementId, ProgramYear};
use crate::eligibility::{CustomerEligibility, Enrollment, Facts};
use crate::event::Emitted;
use crate::id::{ClaimId, CustomerId, DomainName, PartnerId, TenantId};
use crate::store::{
    AsyncStore, Claim, CountedKey, Page, PageRequest, Scope, StoreError, Stored, Version,
};

mod activities;
mod associations;
mod blocking;
mod drive;
mod lists;
mod sweep;
mod trace;
mod views;

pub use blocking::Claims;

/// How many times an action is retried when a concurrent writer changed the claim.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// How long a sweep holds the due claims it takes before another sweep may take them: one
/// minute.
pub const DEFAULT_SWEEP_LEASE: Duration = Duration::from_secs(60);

/// How far behind a claim's last history entry a command's `now` may be and still be
/// accepted, recorded at the last entry's time: see [Clock skew](self#clock-skew).
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(5);

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome<C, E> {
    /// The claim as committed (for a replay: as stored now).
    pub claim: C,
    /// Its new version (for a replay: its version now).
    pub version: Version,
    /// What the application must do, each event with its ID, which names the claim it is
    /// about (an arbitration's approval returns the superseded claim's events under that
    /// claim). A replay has none: the first call returned them.
    pub events: Vec<Emitted<E>>,
    /// Whether this answers a retry of an action already applied (the same claim ID and
    /// creation input, or the same request ID and command), which was not applied again.
    pub replayed: bool,
}

/// What the sweep did to one claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum Swept {
    /// An association claim expired.
    Association(Outcome<AssociationClaim, AssociationEvent>),
    /// An activity claim expired.
    Activity(Outcome<ActivityClaim, ActivityEvent>),
}

/// A workload or subscription on which a partner may see a customer's usage and sold seats.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
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

/// The claims service over an [`AsyncStore`] `S`: every action is an `async fn` with a
/// `Send` future. [`Claims`] is the same service over a blocking [`Store`](crate::store::Store).
///
/// ```
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use cpor::service::AsyncClaims;
/// use cpor::store::{InMemoryStore, PageRequest};
/// use cpor::{Actor, Catalogs, PartnerId, PartnerUserRole, UserId, UserRoles};
///
/// let claims = AsyncClaims::new(InMemoryStore::new(), Catalogs::builtin());
/// let admin = Actor::partner(
///     PartnerId::new(4_512_345)?,
///     UserId::parse("alex@fabrikam.com")?,
///     UserRoles::of([PartnerUserRole::IncentivesAdmin]),
/// );
/// let page = claims
///     .partner_claims(&admin, PartnerId::new(4_512_345)?, None, PageRequest::default())
///     .await?;
/// assert!(page.items.is_empty() && page.next.is_none());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncClaims<S> {
    store: S,
    catalogs: Catalogs,
    max_attempts: u32,
    clock_skew: chrono::Duration,
    sweep_lease: Duration,
}

impl<S> AsyncClaims<S> {
    /// A service over `store`, governed by `catalogs`; new claims take the newest year.
    pub fn new(store: S, catalogs: Catalogs) -> Self {
        Self {
            store,
            catalogs,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            clock_skew: skew(DEFAULT_CLOCK_SKEW),
            sweep_lease: DEFAULT_SWEEP_LEASE,
        }
    }

    /// The same service, holding the due claims a sweep takes for `lease` (see
    /// [`sweep`](Self::sweep)); at most [`MAX_LEASE`](crate::store::MAX_LEASE).
    #[must_use]
    pub fn with_sweep_lease(mut self, lease: Duration) -> Self {
        self.sweep_lease = lease.min(crate::store::MAX_LEASE);
        self
    }

    /// The same service, retrying a contended action at most `attempts` times (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The same service, accepting commands whose `now` is at most `tolerance` behind the
    /// claim's last history entry (see [Clock skew](self#clock-skew)). `Duration::ZERO`
    /// refuses every command stamped before the last entry. A tolerance above one day is
    /// lowered to one day.
    #[must_use]
    pub fn with_clock_skew(mut self, tolerance: Duration) -> Self {
        self.clock_skew = skew(tolerance);
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

    /// The time to record a command at, given the claim's last entry `last`: `now`, or `last`
    /// if `now` is behind it by no more than the clock-skew tolerance.
    fn settle(&self, now: DateTime<Utc>, last: Option<DateTime<Utc>>) -> DateTime<Utc> {
        match last {
            Some(last) if now < last && last.signed_duration_since(now) <= self.clock_skew => last,
            _ => now,
        }
    }

    /// Whether the result of an attempt ends the action: anything but a version conflict
    /// before the last attempt.
    fn settled<T>(
        &self,
        claim: ClaimId,
        tries: u32,
        result: Result<T, ServiceError>,
    ) -> Option<Result<T, ServiceError>> {
        match result {
            Err(ServiceError::Store(StoreError::Conflict { .. })) if tries < self.max_attempts => {
                tracing::debug!(claim = %claim, attempt = tries, "version conflict, retrying");
                None
            }
            Err(ServiceError::Store(StoreError::Conflict { .. })) => {
                Some(Err(ServiceError::Contended {
                    claim,
                    attempts: tries,
                }))
            }
            other => Some(other),
        }
    }
}

/// A tolerance as a chrono duration, at most one day.
fn skew(tolerance: Duration) -> chrono::Duration {
    chrono::Duration::from_std(tolerance.min(Duration::from_secs(86_400)))
        .unwrap_or_else(|_| chrono::Duration::zero())
}

impl<S: AsyncStore> AsyncClaims<S> {
    /// Loads a claim as `actor` may see it: a partner user sees the claims of the locations
    /// it may act for, a customer the claims about it, a reviewer and the timer every claim.
    /// The referral link of an activity claim is shown to Referral admins only: for anyone
    /// else it is withheld ([`ActivityClaim::without_referral`]).
    ///
    /// # Errors
    ///
    /// [`ServiceError::NotFound`] if it does not exist or the actor may not see it (the two
    /// look the same); [`ServiceError::Store`] if the store fails.
    pub async fn load(&self, actor: &Actor, id: ClaimId) -> Result<Stored, ServiceError> {
        let stored = self
            .load_unredacted(actor, id)
            .await?
            .ok_or(ServiceError::NotFound { claim: id })?;
        Ok(Stored {
            claim: shown_to(actor, stored.claim),
            version: stored.version,
        })
    }

    /// The claim if `actor` may see it, with nothing withheld: for the service's own
    /// decisions, never returned as is.
    async fn load_unredacted(
        &self,
        actor: &Actor,
        id: ClaimId,
    ) -> Result<Option<Stored>, ServiceError> {
        Ok(self
            .store
            .load(scope_of(actor), id)
            .await?
            .filter(|stored| sees(actor, &stored.claim)))
    }

    /// Every page of a listing, read with the largest page: for the service's own
    /// decisions that need all of a small set (a partner's claims about one customer).
    async fn all<T, Fut>(
        &self,
        mut read: impl FnMut(PageRequest) -> Fut,
    ) -> Result<Vec<T>, ServiceError>
    where
        Fut: std::future::Future<Output = Result<Page<T>, StoreError>>,
    {
        let mut request = PageRequest::first(PageRequest::MAX_LIMIT);
        let mut items = Vec::new();
        loop {
            let page = read(request).await?;
            let next = request.next(&page);
            items.extend(page.items);
            match next {
                Some(next) => request = next,
                None => return Ok(items),
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

/// The application's facts, with the per-customer counts raised to what the store knows.
///
/// The pure decisions ask for counts synchronously; a store answers asynchronously. So a
/// decision runs twice: first over [`Counted::recording`], which answers every count with 0
/// and notes the keys asked (which keys are asked depends on the customer and the facts,
/// never on the counts), then, once the store has counted those keys, over the counts. A
/// count the first run did not ask for is `u32::MAX`, so that an unknown count never lets a
/// customer past its cap.
struct Counted<'a, F: ?Sized> {
    facts: &'a F,
    counts: Vec<(CountedKey, u32)>,
    asked: Option<std::sync::Mutex<Vec<CountedKey>>>,
}

impl<'a, F: Facts + ?Sized> Counted<'a, F> {
    /// The first run's facts: counts are 0, and the keys asked are noted.
    fn recording(facts: &'a F) -> Self {
        Self {
            facts,
            counts: Vec::new(),
            asked: Some(std::sync::Mutex::new(Vec::new())),
        }
    }

    /// The keys the first run asked for, each once.
    fn asked(self) -> Vec<CountedKey> {
        let mut keys = self
            .asked
            .map(|m| {
                m.into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            })
            .unwrap_or_default();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Counts `keys` in `store`, for the second run.
    async fn counted<S: AsyncStore + ?Sized>(
        facts: &'a F,
        store: &S,
        keys: Vec<CountedKey>,
    ) -> Result<Self, StoreError> {
        let mut counts = Vec::with_capacity(keys.len());
        for key in keys {
            let n = store.count(&key).await?;
            counts.push((key, n));
        }
        Ok(Self {
            facts,
            counts,
            asked: None,
        })
    }
}

impl<F: Facts + ?Sized> Facts for Counted<'_, F> {
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

    /// The larger of the application's count and the store's.
    fn active_claims(&self, engagement: &EngagementId, customer: &CustomerId) -> u32 {
        let key = CountedKey {
            engagement: engagement.clone(),
            customer: customer.clone(),
        };
        let stored = if let Some(asked) = &self.asked {
            if let Ok(mut asked) = asked.lock() {
                asked.push(key);
            }
            0
        } else {
            self.counts
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(u32::MAX, |(_, n)| *n)
        };
        stored.max(self.facts.active_claims(engagement, customer))
    }

    fn referral_conditions_hold(&self, customer: &CustomerId, engagement: &EngagementId) -> bool {
        self.facts.referral_conditions_hold(customer, engagement)
    }

    fn co_sell_qualified(&self, customer: &CustomerId) -> bool {
        self.facts.co_sell_qualified(customer)
    }
}
