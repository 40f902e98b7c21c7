//! The service's association actions: create, commands, arbitration, retries.

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::association::{AssociationClaim, AssociationCommand, AssociationEvent, AssociationForm};
use crate::id::ClaimId;
use crate::request::RequestId;
use crate::store::{AsyncStore, Claim, Scope, StoreError, Version, Write};

use super::trace::{self, Action, traced};
use super::{AsyncClaims, Outcome, ServiceError};
use crate::event::Emitted;

impl<S: AsyncStore> AsyncClaims<S> {
    /// Creates an association draft from a form, under the newest catalog.
    ///
    /// Retrying is safe: a create whose claim ID is stored already, made from the same input
    /// (form, actor, program year), is answered with the claim as it is stored now (whatever
    /// happened to it since), marked [`Outcome::replayed`], and writes nothing.
    ///
    /// # Errors
    ///
    /// The claim's [`AssociationError`](crate::association::AssociationError) (permissions, the form's problems), or the store's
    /// ([`StoreError::IdConflict`] for the ID of a claim made from other input;
    /// [`StoreError::KeyHeld`] for a second open claim of the partner on a key).
    pub async fn create_association(
        &self,
        id: ClaimId,
        form: &AssociationForm,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        self.create_association_requested(id, None, form, actor, now)
            .await
    }

    /// [`create_association`](Self::create_association) with a caller-chosen request ID,
    /// recorded in the creation's history entry.
    ///
    /// # Errors
    ///
    /// As [`create_association`](Self::create_association), and
    /// [`ServiceError::RequestReused`] if the claim exists, made under this request ID from
    /// other input.
    pub async fn create_association_once(
        &self,
        id: ClaimId,
        request: &RequestId,
        form: &AssociationForm,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        self.create_association_requested(id, Some(request.clone()), form, actor, now)
            .await
    }

    async fn create_association_requested(
        &self,
        id: ClaimId,
        request: Option<RequestId>,
        form: &AssociationForm,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        let action = Action {
            name: "create_association",
            claim: Some(id),
            partner: actor.partner_id(),
            command: Some("create"),
        };
        traced(action, async {
            let catalog = self.catalogs.newest();
            let created =
                AssociationClaim::create_requested(id, request.clone(), form, actor, now, catalog)?;
            if let Some(stored) = self.store.load(Scope::Microsoft, id).await? {
                let input = AssociationClaim::creation_input(request, form, actor, catalog);
                let recorded = match &stored.claim {
                    Claim::Association(c) => c.creation_request(),
                    _ => None,
                };
                return match recorded {
                    Some(r) if r.input == input.input => {
                        self.association_outcome(actor, id, Vec::new()).await
                    }
                    Some(r) if r.id.is_some() && r.id == input.id => {
                        Err(ServiceError::RequestReused { claim: id })
                    }
                    _ => Err(StoreError::IdConflict { claim: id }.into()),
                };
            }
            let versions = self
                .store
                .commit(vec![
                    Write::create(created.claim.clone()).with_events(created.events.clone()),
                ])
                .await?;
            let version = versions.first().copied().unwrap_or(Version::FIRST);
            Ok(Outcome {
                claim: created.claim,
                version,
                events: Emitted::numbered(id, version, created.events),
                replayed: false,
            })
        })
        .await
    }

    async fn association_outcome(
        &self,
        actor: &Actor,
        id: ClaimId,
        events: Vec<Emitted<AssociationEvent>>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        let stored = self.load(actor, id).await?;
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
    /// claim's [`AssociationError`](crate::association::AssociationError), the store's error, or [`ServiceError::Contended`] after
    /// too many concurrent changes.
    pub async fn association(
        &self,
        id: ClaimId,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        self.association_requested(id, None, command, actor, now)
            .await
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
    pub async fn association_once(
        &self,
        id: ClaimId,
        request: &RequestId,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        self.association_requested(id, Some(request), command, actor, now)
            .await
    }

    async fn association_requested(
        &self,
        id: ClaimId,
        request: Option<&RequestId>,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        let action = Action {
            name: "association",
            claim: Some(id),
            partner: actor.partner_id(),
            command: Some(command.kind().as_str()),
        };
        traced(action, async {
            if matches!(command, AssociationCommand::Supersede { .. }) {
                return Err(ServiceError::SupersedeOnlyByArbitration { claim: id });
            }
            let mut tries = 0_u32;
            loop {
                tries = tries.saturating_add(1);
                trace::attempts(tries);
                let result = self
                    .association_attempt(id, request, command, actor, now)
                    .await;
                if let Some(done) = self.settled(id, tries, result) {
                    return done;
                }
            }
        })
        .await
    }

    /// One attempt of a command: read, decide, commit.
    async fn association_attempt(
        &self,
        id: ClaimId,
        request: Option<&RequestId>,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        let stored = self
            .load_unredacted(actor, id)
            .await?
            .ok_or(ServiceError::NotFound { claim: id })?;
        let Claim::Association(claim) = &stored.claim else {
            return Err(ServiceError::NotFound { claim: id });
        };
        let catalog = self.catalog(claim.program_year())?;
        let now = self.settle(now, claim.history().last().map(|e| e.at));
        let next = match request {
            None => claim.transition(command, actor, now, catalog)?,
            Some(request) => {
                let request = AssociationClaim::command_request(request.clone(), command, actor);
                match claim.has_seen(&request) {
                    Some(true) => return self.association_outcome(actor, id, Vec::new()).await,
                    Some(false) => return Err(ServiceError::RequestReused { claim: id }),
                    None => claim.transition_requested(command, request, actor, now, catalog)?,
                }
            }
        };
        let events = next.events;
        let mut writes =
            vec![Write::update(next.claim.clone(), stored.version).with_events(events.clone())];
        let mut holder_events = None;
        let holder = events.iter().find_map(|e| match e {
            AssociationEvent::SupersedeHolder { holder } => Some(*holder),
            _ => None,
        });
        if let Some(holder) = holder {
            let held = self
                .store
                .load(Scope::Microsoft, holder)
                .await?
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
            let at = self.settle(now, held_claim.history().last().map(|e| e.at));
            let ended = held_claim.transition(
                &AssociationCommand::Supersede { by: id },
                actor,
                at,
                catalog,
            )?;
            writes.push(Write::update(ended.claim, held.version).with_events(ended.events.clone()));
            holder_events = Some((holder, held.version.next(), ended.events));
        }
        let versions = self.store.commit(writes).await?;
        let version = versions.first().copied().unwrap_or(stored.version.next());
        // The winner's events under its ID, then the superseded claim's under its own.
        let mut emitted = Emitted::numbered(id, version, events);
        if let Some((holder, expected, ended)) = holder_events {
            let version = versions.get(1).copied().unwrap_or(expected);
            emitted.extend(Emitted::numbered(holder, version, ended));
        }
        Ok(Outcome {
            claim: next.claim,
            version,
            events: emitted,
            replayed: false,
        })
    }
}
