//! The service's activity actions: nominations and commands, and their retries.

use chrono::{DateTime, Utc};

use crate::activity::{self, ActivityClaim, ActivityCommand, ActivityEvent, Nomination};
use crate::actor::Actor;
use crate::eligibility::{Action, Facts};
use crate::id::ClaimId;
use crate::request::RequestId;
use crate::store::{Claim, Scope, Store, StoreError, Write};

use super::{Claims, Outcome, ServiceError, StoreCounted, shown_activity};

impl<S: Store> Claims<S> {
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
    /// The flow's [`ActivityError`](crate::activity::ActivityError) (eligibility with every reason, the shape of a
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
    /// [`ServiceError::NotFound`], the claim's [`ActivityError`](crate::activity::ActivityError), the store's error, or
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
}
