//! The service's activity actions: nominations and commands, and their retries.

use chrono::{DateTime, Utc};

use crate::activity::{self, ActivityClaim, ActivityCommand, ActivityEvent, Nomination};
use crate::actor::Actor;
use crate::eligibility::{Action, Facts};
use crate::id::ClaimId;
use crate::request::RequestId;
use crate::store::{AsyncStore, Claim, Scope, StoreError, Write};

use super::trace::{self, Action as Traced, traced};
use super::{AsyncClaims, Counted, Outcome, ServiceError, shown_activity};
use crate::event::Emitted;

impl<S: AsyncStore> AsyncClaims<S> {
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
    pub async fn nominate<F: Facts + ?Sized>(
        &self,
        nomination: &Nomination,
        action: Action,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &F,
    ) -> Result<Vec<Outcome<ActivityClaim, ActivityEvent>>, ServiceError> {
        self.nominate_requested(nomination, action, None, actor, now, facts)
            .await
    }

    /// [`nominate`](Self::nominate) with a caller-chosen request ID, recorded in each new
    /// claim's creation entry.
    ///
    /// # Errors
    ///
    /// As [`nominate`](Self::nominate), and [`ServiceError::RequestReused`] if the claims
    /// exist, made under this request ID from other input.
    pub async fn nominate_once<F: Facts + ?Sized>(
        &self,
        nomination: &Nomination,
        action: Action,
        request: &RequestId,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &F,
    ) -> Result<Vec<Outcome<ActivityClaim, ActivityEvent>>, ServiceError> {
        self.nominate_requested(nomination, action, Some(request.clone()), actor, now, facts)
            .await
    }

    async fn nominate_requested<F: Facts + ?Sized>(
        &self,
        nomination: &Nomination,
        action: Action,
        request: Option<RequestId>,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &F,
    ) -> Result<Vec<Outcome<ActivityClaim, ActivityEvent>>, ServiceError> {
        let traced_action = Traced {
            name: "nominate",
            claim: nomination.engagements.first().map(|(_, id)| *id),
            partner: Some(nomination.partner),
            command: Some(match action {
                Action::Add => "add_customer",
                Action::Claim => "claim_customer",
            }),
        };
        traced(traced_action, async {
            let catalog = self.catalogs.newest();
            if let Some(stored) = self
                .stored_nomination(nomination, action, &request, actor)
                .await?
            {
                return Ok(stored);
            }
            // A user of another partner location is refused anyway
            // (`actor.other_partner_location`), and must learn nothing about this location's
            // claims from the other reasons (add-xor-claim, duplicates): for it, the location
            // has none. The flow looks only at the location's claims about this customer.
            let foreign = actor.partner_id().is_some() && !actor.acts_for(nomination.partner);
            let partner_claims: Vec<ActivityClaim> = if foreign {
                Vec::new()
            } else {
                let scope = Scope::Partner(nomination.partner);
                self.all(|page| self.store.by_customer(scope, &nomination.customer, page))
                    .await?
                    .into_iter()
                    .filter_map(|s| match s.claim {
                        Claim::Activity(claim) => Some(claim),
                        _ => None,
                    })
                    .collect()
            };
            let decide = |facts: &dyn Facts| {
                activity::nominate(
                    nomination,
                    action,
                    request.clone(),
                    actor,
                    now,
                    catalog,
                    facts,
                    &partner_claims,
                )
            };
            // First learn which counts the decision needs, then decide with them.
            let keys = {
                let recording = Counted::recording(facts);
                let _ = decide(&recording);
                recording.asked()
            };
            let counted = Counted::counted(facts, &self.store, keys).await?;
            let made = decide(&counted)?;
            let writes: Vec<Write> = made
                .iter()
                .map(|t| Write::create(t.claim.clone()).with_events(t.events.clone()))
                .collect();
            let versions = self.store.commit(writes).await?;
            Ok(made
                .into_iter()
                .zip(versions)
                .map(|(t, version)| Outcome {
                    events: Emitted::numbered(t.claim.id(), version, t.events),
                    claim: shown_activity(actor, t.claim),
                    version,
                    replayed: false,
                })
                .collect())
        })
        .await
    }

    /// The stored claims of a nomination already made, if every claim ID of it is stored
    /// from the same input; `None` if none is stored.
    async fn stored_nomination(
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
            let Some(found) = self.store.load(Scope::Microsoft, *id).await? else {
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
    pub async fn activity<F: Facts + ?Sized>(
        &self,
        id: ClaimId,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &F,
    ) -> Result<Outcome<ActivityClaim, ActivityEvent>, ServiceError> {
        self.activity_requested(id, None, command, actor, now, facts)
            .await
    }

    /// [`activity`](Self::activity) with a caller-chosen request ID, which makes a retry
    /// safe, as for [`association_once`](Self::association_once).
    ///
    /// # Errors
    ///
    /// As [`activity`](Self::activity), and [`ServiceError::RequestReused`] if the request
    /// ID made an entry for another input.
    pub async fn activity_once<F: Facts + ?Sized>(
        &self,
        id: ClaimId,
        request: &RequestId,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &F,
    ) -> Result<Outcome<ActivityClaim, ActivityEvent>, ServiceError> {
        self.activity_requested(id, Some(request), command, actor, now, facts)
            .await
    }

    async fn activity_requested<F: Facts + ?Sized>(
        &self,
        id: ClaimId,
        request: Option<&RequestId>,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &F,
    ) -> Result<Outcome<ActivityClaim, ActivityEvent>, ServiceError> {
        let action = Traced {
            name: "activity",
            claim: Some(id),
            partner: actor.partner_id(),
            command: Some(command.kind().as_str()),
        };
        traced(action, async {
            let mut tries = 0_u32;
            loop {
                tries = tries.saturating_add(1);
                trace::attempts(tries);
                let result = self
                    .activity_attempt(id, request, command, actor, now, facts)
                    .await;
                if let Some(done) = self.settled(id, tries, result) {
                    return done;
                }
            }
        })
        .await
    }

    /// One attempt of a command: read, decide, commit.
    async fn activity_attempt<F: Facts + ?Sized>(
        &self,
        id: ClaimId,
        request: Option<&RequestId>,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &F,
    ) -> Result<Outcome<ActivityClaim, ActivityEvent>, ServiceError> {
        let stored = self
            .load_unredacted(actor, id)
            .await?
            .ok_or(ServiceError::NotFound { claim: id })?;
        let Claim::Activity(claim) = &stored.claim else {
            return Err(ServiceError::NotFound { claim: id });
        };
        let catalog = self.catalog(claim.program_year())?;
        let now = self.settle(now, claim.history().last().map(|e| e.at));
        let facts: &dyn Facts = &facts;
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
                    None => {
                        claim.transition_requested(command, request, actor, now, catalog, facts)?
                    }
                }
            }
        };
        let versions = self
            .store
            .commit(vec![
                Write::update(next.claim.clone(), stored.version).with_events(next.events.clone()),
            ])
            .await?;
        let version = versions.first().copied().unwrap_or(stored.version.next());
        Ok(Outcome {
            events: Emitted::numbered(id, version, next.events),
            claim: shown_activity(actor, next.claim),
            version,
            replayed: false,
        })
    }
}
