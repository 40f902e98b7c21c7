//! The claims service: what an application calls for each user action.
//!
//! [`Claims`] puts the pure core and a [`Store`] together. For every action it loads the
//! claim (scoped to the actor's partner location), decides with the pure transition, commits
//! atomically, retries a bounded number of times when another writer got there first, and
//! returns the events for the application to perform.

use chrono::{DateTime, Utc};

use crate::activity::{
    self, ActivityClaim, ActivityCommand, ActivityError, ActivityEvent, Nomination,
};
use crate::actor::{Actor, PartnerUserRole};
use crate::association::{
    Association, AssociationClaim, AssociationCommand, AssociationError, AssociationEvent,
    AssociationForm, KeyUnit,
};
use crate::catalog::{Catalog, Catalogs, EngagementId, ProgramYear};
use crate::customers::{self, CustomersPage};
use crate::eligibility::{Action, CustomerEligibility, Enrollment, Facts};
use crate::id::{ClaimId, CustomerId, DomainName, PartnerId, TenantId};
use crate::request::RequestId;
use crate::store::{Claim, CountedKey, Scope, Store, StoreError, Stored, Version, Write};

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

    /// Creates an association draft from a form, under the newest catalog.
    ///
    /// Retrying is safe: a create whose claim ID is stored already, made from the same input
    /// (form, actor, program year), is answered with the claim as it is stored now (whatever
    /// happened to it since), marked [`Outcome::replayed`], and writes nothing.
    ///
    /// # Errors
    ///
    /// The claim's [`AssociationError`] (permissions, the form's problems), or the store's
    /// ([`StoreError::IdConflict`] for the ID of a claim made from other input;
    /// [`StoreError::KeyHeld`] for a second open claim of the partner on a key).
    pub fn create_association(
        &self,
        id: ClaimId,
        form: &AssociationForm,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        self.create_association_requested(id, None, form, actor, now)
    }

    /// [`create_association`](Self::create_association) with a caller-chosen request ID,
    /// recorded in the creation's history entry.
    ///
    /// # Errors
    ///
    /// As [`create_association`](Self::create_association), and
    /// [`ServiceError::RequestReused`] if the claim exists, made under this request ID from
    /// other input.
    pub fn create_association_once(
        &self,
        id: ClaimId,
        request: &RequestId,
        form: &AssociationForm,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        self.create_association_requested(id, Some(request.clone()), form, actor, now)
    }

    fn create_association_requested(
        &self,
        id: ClaimId,
        request: Option<RequestId>,
        form: &AssociationForm,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        let catalog = self.catalogs.newest();
        let created =
            AssociationClaim::create_requested(id, request.clone(), form, actor, now, catalog)?;
        if let Some(stored) = self.store.load(Scope::Microsoft, id)? {
            let input = AssociationClaim::creation_input(request, form, actor, catalog);
            let recorded = match &stored.claim {
                Claim::Association(c) => c.creation_request(),
                _ => None,
            };
            return match recorded {
                Some(r) if r.input == input.input => {
                    self.association_outcome(actor, id, Vec::new())
                }
                Some(r) if r.id.is_some() && r.id == input.id => {
                    Err(ServiceError::RequestReused { claim: id })
                }
                _ => Err(StoreError::IdConflict { claim: id }.into()),
            };
        }
        let versions = self
            .store
            .commit(vec![Write::create(created.claim.clone())])?;
        let version = versions.first().copied().unwrap_or(Version::FIRST);
        Ok(Outcome {
            claim: created.claim,
            version,
            events: created.events,
            replayed: false,
        })
    }

    fn association_outcome(
        &self,
        actor: &Actor,
        id: ClaimId,
        events: Vec<AssociationEvent>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        let stored = self.load(actor, id)?;
        match stored.claim {
            Claim::Association(claim) => Ok(Outcome {
                claim,
                version: stored.version,
                events,
                replayed: true,
            }),
            _ => Err(ServiceError::NotFound { claim: id }),
        }
    }

    /// Runs a command on an association claim.
    ///
    /// An approval that is an arbitration outcome ([`crate::association::Arbitration::Supersedes`])
    /// ends the holder's association and grants the new one in **one** commit; a plain
    /// approval on a key another partner holds fails with [`StoreError::KeyHeld`] naming the
    /// holder. The named holder must currently hold at least one key the approved claim
    /// needs: it is checked on the version of the holder that the commit then updates, so
    /// the check and the approval are one atomic step (a holder changed meanwhile fails the
    /// commit, which is retried). A `Supersede` cannot be sent on its own.
    ///
    /// # Errors
    ///
    /// [`ServiceError::NotFound`] (also for a holder that does not exist),
    /// [`ServiceError::NotAHolder`], [`ServiceError::SupersedeOnlyByArbitration`], the
    /// claim's [`AssociationError`], the store's error, or [`ServiceError::Contended`] after
    /// too many concurrent changes.
    pub fn association(
        &self,
        id: ClaimId,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        self.association_requested(id, None, command, actor, now)
    }

    /// [`association`](Self::association) with a caller-chosen request ID, which makes a
    /// retry safe: the ID is recorded in the history entry the command makes, and a command
    /// whose request ID the claim's history already has, with the same input (command and
    /// actor), is not applied again: it is answered with the claim as stored now, marked
    /// [`Outcome::replayed`], with no events. Use it for every command that may be retried
    /// after an ambiguous failure (a connection lost after the commit was sent).
    ///
    /// # Errors
    ///
    /// As [`association`](Self::association), and [`ServiceError::RequestReused`] if the
    /// request ID made an entry for another input.
    pub fn association_once(
        &self,
        id: ClaimId,
        request: &RequestId,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        self.association_requested(id, Some(request), command, actor, now)
    }

    fn association_requested(
        &self,
        id: ClaimId,
        request: Option<&RequestId>,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        if matches!(command, AssociationCommand::Supersede { .. }) {
            return Err(ServiceError::SupersedeOnlyByArbitration { claim: id });
        }
        self.retrying(id, || {
            let stored = self
                .load_unredacted(actor, id)?
                .ok_or(ServiceError::NotFound { claim: id })?;
            let Claim::Association(claim) = &stored.claim else {
                return Err(ServiceError::NotFound { claim: id });
            };
            let catalog = self.catalog(claim.program_year())?;
            let next = match request {
                None => claim.transition(command, actor, now, catalog)?,
                Some(request) => {
                    let request =
                        AssociationClaim::command_request(request.clone(), command, actor);
                    match claim.has_seen(&request) {
                        Some(true) => return self.association_outcome(actor, id, Vec::new()),
                        Some(false) => return Err(ServiceError::RequestReused { claim: id }),
                        None => {
                            claim.transition_requested(command, request, actor, now, catalog)?
                        }
                    }
                }
            };
            let mut writes = vec![Write::update(next.claim.clone(), stored.version)];
            let mut events = next.events;
            let holder = events.iter().find_map(|e| match e {
                AssociationEvent::SupersedeHolder { holder } => Some(*holder),
                _ => None,
            });
            if let Some(holder) = holder {
                let held = self
                    .store
                    .load(Scope::Microsoft, holder)?
                    .ok_or(ServiceError::NotFound { claim: holder })?;
                let Claim::Association(held_claim) = &held.claim else {
                    return Err(ServiceError::NotFound { claim: holder });
                };
                let needed = next.claim.keys();
                if !held_claim
                    .held_keys()
                    .iter()
                    .any(|key| needed.contains(key))
                {
                    return Err(ServiceError::NotAHolder { claim: id, holder });
                }
                let catalog = self.catalog(held_claim.program_year())?;
                let ended = held_claim.transition(
                    &AssociationCommand::Supersede { by: id },
                    actor,
                    now,
                    catalog,
                )?;
                writes.push(Write::update(ended.claim, held.version));
                events.extend(ended.events);
            }
            let versions = self.store.commit(writes)?;
            Ok(Outcome {
                claim: next.claim,
                version: versions.first().copied().unwrap_or(stored.version),
                events,
                replayed: false,
            })
        })
    }

    /// "Add customer" or "claim customer": creates one activity claim per chosen engagement,
    /// all in one commit, after the eligibility checks. The partner's own claims come from the
    /// store, and the per-customer cap counts the store's active claims as well as the facts'.
    ///
    /// Retrying is safe: when every claim ID of the nomination is stored already, made from
    /// the same input (nomination, action, actor, program year), the stored claims are
    /// returned, marked [`Outcome::replayed`], before any eligibility check (a retry never
    /// counts against itself) and nothing is written.
    ///
    /// # Errors
    ///
    /// The flow's [`ActivityError`] (eligibility with every reason, the shape of a
    /// variable-pay nomination), or the store's ([`StoreError::LimitReached`] if a concurrent
    /// writer took the last place; [`StoreError::KeyHeld`] for a duplicate open claim;
    /// [`StoreError::IdConflict`] for a claim ID stored from other input).
    pub fn nominate(
        &self,
        nomination: &Nomination,
        action: Action,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<Vec<Outcome<ActivityClaim, ActivityEvent>>, ServiceError> {
        self.nominate_requested(nomination, action, None, actor, now, facts)
    }

    /// [`nominate`](Self::nominate) with a caller-chosen request ID, recorded in each new
    /// claim's creation entry.
    ///
    /// # Errors
    ///
    /// As [`nominate`](Self::nominate), and [`ServiceError::RequestReused`] if the claims
    /// exist, made under this request ID from other input.
    pub fn nominate_once(
        &self,
        nomination: &Nomination,
        action: Action,
        request: &RequestId,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<Vec<Outcome<ActivityClaim, ActivityEvent>>, ServiceError> {
        self.nominate_requested(nomination, action, Some(request.clone()), actor, now, facts)
    }

    fn nominate_requested(
        &self,
        nomination: &Nomination,
        action: Action,
        request: Option<RequestId>,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<Vec<Outcome<ActivityClaim, ActivityEvent>>, ServiceError> {
        let catalog = self.catalogs.newest();
        if let Some(stored) = self.stored_nomination(nomination, action, &request, actor)? {
            return Ok(stored);
        }
        // A user of another partner location is refused anyway (`actor.other_partner_location`),
        // and must learn nothing about this location's claims from the other reasons
        // (add-xor-claim, duplicates): for it, the location has none.
        let foreign = actor.partner_id().is_some() && !actor.acts_for(nomination.partner);
        let partner_claims: Vec<ActivityClaim> = if foreign {
            Vec::new()
        } else {
            self.store
                .by_partner(nomination.partner)?
                .into_iter()
                .filter_map(|s| match s.claim {
                    Claim::Activity(claim) => Some(claim),
                    _ => None,
                })
                .collect()
        };
        let counted = StoreCounted {
            facts,
            store: &self.store,
        };
        let made = activity::nominate(
            nomination,
            action,
            request,
            actor,
            now,
            catalog,
            &counted,
            &partner_claims,
        )?;
        let writes: Vec<Write> = made
            .iter()
            .map(|t| Write::create(t.claim.clone()))
            .collect();
        let versions = self.store.commit(writes)?;
        Ok(made
            .into_iter()
            .zip(versions)
            .map(|(t, version)| Outcome {
                claim: shown_activity(actor, t.claim),
                version,
                events: t.events,
                replayed: false,
            })
            .collect())
    }

    /// The stored claims of a nomination already made, if every claim ID of it is stored
    /// from the same input; `None` if none is stored.
    fn stored_nomination(
        &self,
        nomination: &Nomination,
        action: Action,
        request: &Option<RequestId>,
        actor: &Actor,
    ) -> Result<Option<Vec<Outcome<ActivityClaim, ActivityEvent>>>, ServiceError> {
        let input = activity::nomination_input(
            request.clone(),
            nomination,
            action,
            actor,
            self.catalogs.newest(),
        );
        let mut stored = Vec::with_capacity(nomination.engagements.len());
        for (_, id) in &nomination.engagements {
            let Some(found) = self.store.load(Scope::Microsoft, *id)? else {
                continue;
            };
            let same = match &found.claim {
                Claim::Activity(c) => c.creation_request().map(|r| r.input) == Some(input.input),
                _ => false,
            };
            if !same {
                return Err(match &found.claim {
                    Claim::Activity(c)
                        if input.id.is_some()
                            && c.creation_request().and_then(|r| r.id.as_ref())
                                == input.id.as_ref() =>
                    {
                        ServiceError::RequestReused { claim: *id }
                    }
                    _ => StoreError::IdConflict { claim: *id }.into(),
                });
            }
            if let Claim::Activity(claim) = found.claim {
                stored.push(Outcome {
                    claim: shown_activity(actor, claim),
                    version: found.version,
                    events: Vec::new(),
                    replayed: true,
                });
            }
        }
        if stored.is_empty() {
            Ok(None)
        } else if stored.len() == nomination.engagements.len() {
            Ok(Some(stored))
        } else {
            // Part of a nomination stored: its claims were made by another nomination.
            match stored.into_iter().next() {
                Some(first) => Err(StoreError::IdConflict {
                    claim: first.claim.id(),
                }
                .into()),
                None => Ok(None),
            }
        }
    }

    /// Runs a command on an activity claim.
    ///
    /// # Errors
    ///
    /// [`ServiceError::NotFound`], the claim's [`ActivityError`], the store's error, or
    /// [`ServiceError::Contended`].
    pub fn activity(
        &self,
        id: ClaimId,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<Outcome<ActivityClaim, ActivityEvent>, ServiceError> {
        self.activity_requested(id, None, command, actor, now, facts)
    }

    /// [`activity`](Self::activity) with a caller-chosen request ID, which makes a retry
    /// safe, as for [`association_once`](Self::association_once).
    ///
    /// # Errors
    ///
    /// As [`activity`](Self::activity), and [`ServiceError::RequestReused`] if the request
    /// ID made an entry for another input.
    pub fn activity_once(
        &self,
        id: ClaimId,
        request: &RequestId,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<Outcome<ActivityClaim, ActivityEvent>, ServiceError> {
        self.activity_requested(id, Some(request), command, actor, now, facts)
    }

    fn activity_requested(
        &self,
        id: ClaimId,
        request: Option<&RequestId>,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<Outcome<ActivityClaim, ActivityEvent>, ServiceError> {
        self.retrying(id, || {
            let stored = self
                .load_unredacted(actor, id)?
                .ok_or(ServiceError::NotFound { claim: id })?;
            let Claim::Activity(claim) = &stored.claim else {
                return Err(ServiceError::NotFound { claim: id });
            };
            let catalog = self.catalog(claim.program_year())?;
            let next = match request {
                None => claim.transition(command, actor, now, catalog, facts)?,
                Some(request) => {
                    let request = ActivityClaim::command_request(request.clone(), command, actor);
                    match claim.has_seen(&request) {
                        Some(true) => {
                            return Ok(Outcome {
                                claim: shown_activity(actor, claim.clone()),
                                version: stored.version,
                                events: Vec::new(),
                                replayed: true,
                            });
                        }
                        Some(false) => return Err(ServiceError::RequestReused { claim: id }),
                        None => claim
                            .transition_requested(command, request, actor, now, catalog, facts)?,
                    }
                }
            };
            let versions = self
                .store
                .commit(vec![Write::update(next.claim.clone(), stored.version)])?;
            Ok(Outcome {
                claim: shown_activity(actor, next.claim),
                version: versions.first().copied().unwrap_or(stored.version),
                events: next.events,
                replayed: false,
            })
        })
    }

    /// Applies every timer that is due at `now`: each claim whose next deadline has passed is
    /// expired and committed. Claims that changed meanwhile are re-read; claims no longer due
    /// are skipped.
    ///
    /// # Errors
    ///
    /// The first store failure, or a claim refusing its own timer (which would be a bug).
    pub fn sweep(&self, now: DateTime<Utc>, facts: &dyn Facts) -> Result<Vec<Swept>, ServiceError> {
        let mut swept = Vec::new();
        for id in self.store.due(now)? {
            let done = self.retrying(id, || {
                let Some(stored) = self.store.load(Scope::Microsoft, id)? else {
                    return Ok(None);
                };
                match &stored.claim {
                    Claim::Association(claim) => {
                        let catalog = self.catalog(claim.program_year())?;
                        let Some(t) = claim.expire(now, catalog)? else {
                            return Ok(None);
                        };
                        let versions = self
                            .store
                            .commit(vec![Write::update(t.claim.clone(), stored.version)])?;
                        Ok(Some(Swept::Association(Outcome {
                            claim: t.claim,
                            version: versions.first().copied().unwrap_or(stored.version),
                            events: t.events,
                            replayed: false,
                        })))
                    }
                    Claim::Activity(claim) => {
                        let catalog = self.catalog(claim.program_year())?;
                        let Some(t) = claim.expire(now, catalog, facts)? else {
                            return Ok(None);
                        };
                        let versions = self
                            .store
                            .commit(vec![Write::update(t.claim.clone(), stored.version)])?;
                        Ok(Some(Swept::Activity(Outcome {
                            claim: t.claim,
                            version: versions.first().copied().unwrap_or(stored.version),
                            events: t.events,
                            replayed: false,
                        })))
                    }
                }
            })?;
            swept.extend(done);
        }
        Ok(swept)
    }

    /// The Customers page of `engagement` for `partner`, as `viewer` sees it (see
    /// [`customers::customers_page`]); the partner's claims come from the store.
    ///
    /// # Errors
    ///
    /// The page's [`ActivityError`], or the store's error.
    #[allow(clippy::too_many_arguments)]
    pub fn customers_page(
        &self,
        engagement: &EngagementId,
        partner: PartnerId,
        viewer: &Actor,
        proposed: &[CustomerId],
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<CustomersPage, ServiceError> {
        if viewer.partner_id().is_some() && !viewer.acts_for(partner) {
            return Err(ActivityError::OtherPartner.into());
        }
        let claims: Vec<ActivityClaim> = self
            .store
            .by_partner(partner)?
            .into_iter()
            .filter_map(|s| match s.claim {
                Claim::Activity(claim) => Some(claim),
                _ => None,
            })
            .collect();
        let counted = StoreCounted {
            facts,
            store: &self.store,
        };
        Ok(customers::customers_page(
            self.catalogs.newest(),
            &counted,
            engagement,
            partner,
            viewer,
            &claims,
            proposed,
            now,
        )?)
    }

    /// The workloads and subscriptions of `tenant` on which `partner` may see usage and
    /// sold-seat data at `now`: [`usage_scope`] over the partner's claims about the tenant,
    /// read from the store.
    ///
    /// # Errors
    ///
    /// The store's error.
    pub fn usage_scope(
        &self,
        partner: PartnerId,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<UsageGrant>, ServiceError> {
        let stored = self
            .store
            .by_customer(Scope::Partner(partner), &CustomerId::Tenant(tenant))?;
        Ok(usage_scope(
            stored.iter().map(|s| &s.claim),
            partner,
            tenant,
            now,
        ))
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

/// The scope a store read takes for `actor`.
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
