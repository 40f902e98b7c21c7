//! The association claim aggregate and its one transition function.

use chrono::{DateTime, Days, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::command::{
    Acknowledgement, Arbitration, AssociationCommand, AssociationEvent, EndReason,
    InfoRequestReason, RejectionReason,
};
use super::error::AssociationError;
use super::form::{AssociationContent, AssociationForm, Field, FieldSet, Target};
use super::key::{AssociationKey, KeyUnit};
use super::state::{self, AssociationState, CommandKind};
use crate::actor::{Actor, ActorKind};
use crate::catalog::{Catalog, ProgramYear};
use crate::claim::{History, InvalidClaim};
use crate::id::{ClaimId, CustomerId};
use crate::request::{self, Request, RequestId, Seen};
use crate::text::Text;

mod check;
mod codec;

/// One entry of a claim's history: who did what, when, and what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What.
    pub command: CommandKind,
    /// The state before; `None` for the creation.
    pub from: Option<AssociationState>,
    /// The state after.
    pub to: AssociationState,
    /// The fields the command changed.
    pub changed: FieldSet,
    /// A reason or a reference that came with the command.
    pub note: Option<Text>,
    /// The request that made the entry: always for the creation (the digest of its input),
    /// and for a command given a request ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
}

/// A rejection and its dispute window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: RejectionReason,
    /// The end of the dispute window (exclusive); `None` if the rejection is not disputable.
    pub dispute_until: Option<DateTime<Utc>>,
}

/// The end of an association.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ending {
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: EndReason,
}

/// Where a claim's association stands at a moment: derived, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Association {
    /// The claim is not (or not yet) approved.
    None,
    /// Approved, but the customer may still opt out until `until`.
    PendingOptOut {
        /// The end of the opt-out window.
        until: DateTime<Utc>,
    },
    /// Approved, and the opt-out window passed with no decline: the association is official.
    Official {
        /// Since when.
        since: DateTime<Utc>,
    },
    /// The association existed and ended.
    Ended {
        /// When.
        at: DateTime<Utc>,
        /// Why.
        reason: EndReason,
    },
}

/// The claim's stored data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    id: ClaimId,
    program_year: ProgramYear,
    content: AssociationContent,
    poe: Vec<Text>,
    state: AssociationState,
    created_at: DateTime<Utc>,
    /// The first submission, when the customer was notified.
    notified_at: Option<DateTime<Utc>>,
    /// The end of the opt-out window, fixed at notification.
    opt_out_until: Option<DateTime<Utc>>,
    /// The last approval.
    approved_at: Option<DateTime<Utc>>,
    /// What review did, if anything out of the ordinary happened: boxed, because a typical
    /// claim never needs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    review: Option<Box<Review>>,
    history: History<HistoryEntry>,
}

/// The rarely set part of a claim's data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
struct Review {
    /// The open info request's reason and deadline.
    info_request: Option<(InfoRequestReason, DateTime<Utc>)>,
    /// The last rejection.
    rejection: Option<Rejection>,
    /// When the claim was disputed; a claim is disputed at most once.
    disputed_at: Option<DateTime<Utc>>,
    /// The last end of the association.
    ending: Option<Ending>,
    /// The holder this claim superseded by arbitration, if any.
    supersedes: Option<ClaimId>,
    /// The claim that superseded this one, if any.
    superseded_by: Option<ClaimId>,
}

/// The review part of a claim that has none.
const NO_REVIEW: Review = Review {
    info_request: None,
    rejection: None,
    disputed_at: None,
    ending: None,
    supersedes: None,
    superseded_by: None,
};

impl Data {
    fn review(&self) -> &Review {
        self.review.as_deref().unwrap_or(&NO_REVIEW)
    }

    fn review_mut(&mut self) -> &mut Review {
        self.review.get_or_insert_with(Box::default)
    }
}

/// A CPOR customer-association claim (see the [guide](crate::guide::association)).
///
/// It is created as a draft from a checked [`AssociationForm`], and changes only through
/// [`transition`](Self::transition) (or its in-place twin [`apply`](Self::apply)), which
/// checks the actor's permission, the state, the guards and the deadlines, then appends one
/// [`HistoryEntry`]. A refused command leaves the claim exactly as it was.
///
/// The claim records the [`ProgramYear`] of the catalog it was created under, and every
/// command must be given that year's catalog, so a claim keeps its year's rules. Deadlines
/// (the opt-out window, the info-request deadline, the dispute window) are computed when they
/// start and stored, so later calendar changes do not move them.
///
/// Every way in (creation, transitions, `Deserialize`, the binary form) checks the claim's
/// invariants: its history is a walk of the transition table, its fields agree with that
/// history, its partner agrees with it, and no workload repeats (see
/// [`Claim`](crate::store::Claim)). What the catalog decides (engagement, role, workloads,
/// windows) is checked by [`validate`](Self::validate) against the catalog of its year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationClaim {
    data: Data,
}

/// The result of an accepted command: the new claim and the effects to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transitioned {
    /// The claim after the command.
    pub claim: AssociationClaim,
    /// What the application and the store must do.
    pub events: Vec<AssociationEvent>,
}

impl AssociationClaim {
    /// Creates a draft from a form.
    ///
    /// The actor must be an Incentives admin; the claim belongs to the actor's partner
    /// location. `id` is chosen by the caller, so that a retried create is idempotent.
    ///
    /// # Errors
    ///
    /// - [`AssociationError::Forbidden`] if the actor is not an Incentives admin;
    /// - [`AssociationError::Form`] with every problem of the form.
    pub fn create(
        id: ClaimId,
        form: &AssociationForm,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
    ) -> Result<Transitioned, AssociationError> {
        Self::create_requested(id, None, form, actor, now, catalog)
    }

    /// The input a creation records the digest of: the form, the actor and the program year.
    /// A retried create is the same create when this is the same.
    #[must_use]
    pub fn creation_input(
        request: Option<RequestId>,
        form: &AssociationForm,
        actor: &Actor,
        catalog: &Catalog,
    ) -> Request {
        Request::new(request, &(form, actor, catalog.program_year()))
    }

    /// Creates a draft as [`create`](Self::create) does, recording the caller's request ID
    /// in the creation's history entry.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create).
    pub fn create_requested(
        id: ClaimId,
        request: Option<RequestId>,
        form: &AssociationForm,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
    ) -> Result<Transitioned, AssociationError> {
        let Some(partner) = actor
            .partner_id()
            .filter(|_| actor.kind() == ActorKind::IncentivesAdmin)
        else {
            return Err(AssociationError::Forbidden {
                command: CommandKind::Create,
                actor: actor.kind(),
            });
        };
        let content = form.validate(catalog, partner)?;
        let history = vec![HistoryEntry {
            at: now,
            actor: actor.clone(),
            command: CommandKind::Create,
            from: None,
            to: AssociationState::Draft,
            changed: FieldSet::EMPTY,
            note: None,
            request: Some(Self::creation_input(request, form, actor, catalog)),
        }];
        let claim = Self {
            data: Data {
                id,
                program_year: catalog.program_year(),
                content,
                poe: Vec::new(),
                state: AssociationState::Draft,
                created_at: now,
                notified_at: None,
                opt_out_until: None,
                approved_at: None,
                review: None,
                history: History(history),
            },
        };
        Ok(Transitioned {
            claim,
            events: vec![AssociationEvent::Transitioned {
                command: CommandKind::Create,
                changed: FieldSet::EMPTY,
            }],
        })
    }

    /// The pure transition: `(claim, command, actor, now) → new claim + events`.
    ///
    /// # Errors
    ///
    /// See [`apply`](Self::apply); `self` is never changed.
    pub fn transition(
        &self,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
    ) -> Result<Transitioned, AssociationError> {
        // Decide on the borrowed claim; clone only once the command is accepted.
        let (plan, to) = self.decide(command, actor, now, catalog)?;
        let mut claim = self.clone();
        let events = claim.commit(plan, to, command.kind(), actor, now, None);
        Ok(Transitioned { claim, events })
    }

    /// The record of `command` by `actor` under request `id`, as its history entry keeps it.
    #[must_use]
    pub fn command_request(id: RequestId, command: &AssociationCommand, actor: &Actor) -> Request {
        Request::new(Some(id), &(command, actor))
    }

    /// Whether the history already has an entry made under `request`'s ID: a retry of the
    /// same command (the same input), or a reuse of the ID for another. A request without an
    /// ID is always new.
    #[must_use]
    pub fn has_seen(&self, request: &Request) -> Option<bool> {
        match request::seen(
            self.data.history.iter().filter_map(|e| e.request.as_ref()),
            request,
        ) {
            Seen::New => None,
            Seen::Same => Some(true),
            Seen::Reused => Some(false),
        }
    }

    /// The pure transition of [`transition`](Self::transition), recording `request` (see
    /// [`command_request`](Self::command_request)) in the new history entry.
    ///
    /// # Errors
    ///
    /// As [`transition`](Self::transition), and [`AssociationError::RequestSeen`] if the
    /// history already has an entry of that request ID (a caller that retries checks
    /// [`has_seen`](Self::has_seen) first and answers with the stored claim).
    pub fn transition_requested(
        &self,
        command: &AssociationCommand,
        request: Request,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
    ) -> Result<Transitioned, AssociationError> {
        if self.has_seen(&request).is_some() {
            return Err(AssociationError::RequestSeen {
                claim: self.data.id,
            });
        }
        let (plan, to) = self.decide(command, actor, now, catalog)?;
        let mut claim = self.clone();
        let events = claim.commit(plan, to, command.kind(), actor, now, Some(request));
        Ok(Transitioned { claim, events })
    }

    /// Applies a command in place, returning its events. Every check happens before any
    /// change, so on error the claim is exactly as it was.
    ///
    /// # Errors
    ///
    /// - [`AssociationError::NotFound`] if a partner user of another location asks: it must
    ///   look exactly like a missing claim, so this check comes first;
    /// - [`AssociationError::CatalogMismatch`] if `catalog` is not of the claim's program year;
    /// - [`AssociationError::Forbidden`] if the actor may not issue the command
    ///   ([who may do what](crate::guide::rules#who-may-do-what));
    /// - [`AssociationError::InvalidState`] if the transition table has no such transition;
    /// - [`AssociationError::TimeWentBack`] if `now` is before the last history entry;
    /// - a guard's error: [`PoeRequired`](AssociationError::PoeRequired),
    ///   [`AcknowledgementRequired`](AssociationError::AcknowledgementRequired),
    ///   [`Form`](AssociationError::Form), [`NotDue`](AssociationError::NotDue),
    ///   [`AlreadyDisputed`](AssociationError::AlreadyDisputed),
    ///   [`NotDisputable`](AssociationError::NotDisputable),
    ///   [`DisputeWindowClosed`](AssociationError::DisputeWindowClosed),
    ///   [`SupersedeSelf`](AssociationError::SupersedeSelf),
    ///   [`DateOutOfRange`](AssociationError::DateOutOfRange).
    pub fn apply(
        &mut self,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
    ) -> Result<Vec<AssociationEvent>, AssociationError> {
        let (plan, to) = self.decide(command, actor, now, catalog)?;
        Ok(self.commit(plan, to, command.kind(), actor, now, None))
    }

    /// Every check of a command, in order, and the changes it will make; changes nothing.
    fn decide(
        &self,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
    ) -> Result<(Plan, AssociationState), AssociationError> {
        let kind = command.kind();
        let d = &self.data;
        // Isolation first: a claim of a location the user may not act for, or about another
        // customer, must look exactly like a missing one, so nothing about it (not even its
        // program year) may show before this check.
        if !actor.may_see(
            d.content.partner,
            &CustomerId::Tenant(d.content.tenant),
            None,
        ) {
            return Err(AssociationError::NotFound { claim: d.id });
        }
        if catalog.program_year() != d.program_year {
            return Err(AssociationError::CatalogMismatch {
                claim: d.program_year,
                catalog: catalog.program_year(),
            });
        }
        if !state::issuer_of(kind).admits(actor.kind()) {
            return Err(AssociationError::Forbidden {
                command: kind,
                actor: actor.kind(),
            });
        }
        let Some(transition) = state::transition(d.state, kind) else {
            return Err(AssociationError::InvalidState {
                command: kind,
                state: d.state,
            });
        };
        let last = d.history.last().map_or(d.created_at, |entry| entry.at);
        if now < last {
            return Err(AssociationError::TimeWentBack { last, now });
        }
        // At the deadline the timer owns the claim: a late answer is refused whether or not the
        // sweep has run, so the outcome never depends on when it runs. The customer may still
        // decline.
        if let Some(deadline) = self.next_deadline()
            && now >= deadline
            && !matches!(kind, CommandKind::Expire | CommandKind::Decline)
        {
            return Err(AssociationError::DeadlinePassed { deadline });
        }
        let plan = self.plan(command, actor, now, catalog)?;
        Ok((plan, transition.to))
    }

    /// Checks a command's guards and works out every change, without changing anything.
    fn plan(
        &self,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
    ) -> Result<Plan, AssociationError> {
        let d = &self.data;
        let mut plan = Plan::default();
        let rules = catalog.cpor_rules();
        match command {
            AssociationCommand::EditDraft { form } => {
                let content = form.validate(catalog, d.content.partner)?;
                plan.changed = d.content.changed_fields(&content);
                plan.content = Some(content);
            }
            AssociationCommand::AttachPoe { reference } => {
                plan.poe.push(reference.clone());
                plan.changed.insert(Field::Poe);
                plan.note = Some(reference.clone());
            }
            AssociationCommand::Submit { acknowledgement } => {
                if d.poe.is_empty() {
                    return Err(AssociationError::PoeRequired);
                }
                if *acknowledgement != Acknowledgement::Given {
                    return Err(AssociationError::AcknowledgementRequired);
                }
                if d.notified_at.is_none() {
                    let until = catalog
                        .calendar()
                        .add_business_days_at(now, rules.opt_out_business_days)
                        .ok_or(AssociationError::DateOutOfRange)?;
                    plan.notified = Some((now, until));
                    plan.events.push(AssociationEvent::CustomerNotified {
                        tenant: d.content.tenant,
                        contact: d.content.customer_contact.email.clone(),
                        opt_out_until: until,
                    });
                }
            }
            AssociationCommand::Withdraw | AssociationCommand::StartReview => {}
            AssociationCommand::RequestInfo { reason } => {
                let respond_by = catalog
                    .calendar()
                    .add_business_days_at(now, rules.info_request_business_days)
                    .ok_or(AssociationError::DateOutOfRange)?;
                plan.info_request = Some(Some((*reason, respond_by)));
                plan.events.push(AssociationEvent::InfoRequested {
                    reason: *reason,
                    respond_by,
                });
            }
            AssociationCommand::Approve { arbitration } => {
                if let Arbitration::Supersedes(holder) = arbitration {
                    if *holder == d.id {
                        return Err(AssociationError::SupersedeSelf);
                    }
                    plan.supersedes = Some(*holder);
                    plan.events
                        .push(AssociationEvent::SupersedeHolder { holder: *holder });
                }
                self.plan_approval(&mut plan, now);
            }
            AssociationCommand::ApproveDispute => self.plan_approval(&mut plan, now),
            AssociationCommand::Reject { reason } => {
                self.plan_rejection(&mut plan, (*reason).into(), now, rules.dispute_days)?;
            }
            AssociationCommand::Resubmit { changes } => {
                let (content, poe) = changes.apply(catalog, &d.content)?;
                // A move goes only to a location the user may act for.
                if content.partner != d.content.partner && !actor.acts_for(content.partner) {
                    return Err(AssociationError::ForbiddenLocation {
                        partner: content.partner,
                    });
                }
                if d.poe.is_empty() && poe.is_empty() {
                    return Err(AssociationError::PoeRequired);
                }
                plan.changed = d.content.changed_fields(&content);
                if !poe.is_empty() {
                    plan.changed.insert(Field::Poe);
                }
                plan.content = Some(content);
                plan.poe = poe;
                plan.info_request = Some(None);
            }
            AssociationCommand::Expire => {
                let due = d.review().info_request.map(|(_, due)| due);
                match due {
                    Some(due) if now >= due => {}
                    _ => return Err(AssociationError::NotDue { due }),
                }
                plan.info_request = Some(None);
                // The rejection dates from the deadline, not from when the sweep ran, so a late
                // sweep does not lengthen the dispute window.
                let at = due.unwrap_or(now);
                self.plan_rejection(
                    &mut plan,
                    RejectionReason::NoResponse,
                    at,
                    rules.dispute_days,
                )?;
            }
            AssociationCommand::Decline => {
                self.plan_end(&mut plan, EndReason::CustomerDeclined, now);
                self.plan_rejection(&mut plan, RejectionReason::CustomerDeclined, now, 0)?;
            }
            AssociationCommand::Disassociate { reason } => {
                self.plan_end(&mut plan, EndReason::Disassociated, now);
                plan.note = Some(reason.clone());
            }
            AssociationCommand::Supersede { by } => {
                if *by == d.id {
                    return Err(AssociationError::SupersedeSelf);
                }
                plan.superseded_by = Some(*by);
                self.plan_end(&mut plan, EndReason::Superseded, now);
                self.plan_rejection(
                    &mut plan,
                    RejectionReason::SupersededByArbitration,
                    now,
                    rules.dispute_days,
                )?;
            }
            AssociationCommand::Dispute { reason } => {
                if d.review().disputed_at.is_some() {
                    return Err(AssociationError::AlreadyDisputed);
                }
                let rejection = d
                    .review()
                    .rejection
                    .ok_or(AssociationError::NotDue { due: None })?;
                let Some(until) = rejection.dispute_until else {
                    return Err(AssociationError::NotDisputable {
                        reason: rejection.reason,
                    });
                };
                if now >= until {
                    return Err(AssociationError::DisputeWindowClosed { closed_at: until });
                }
                plan.disputed_at = Some(now);
                plan.note = Some(reason.clone());
            }
            AssociationCommand::RejectDispute => {}
        }
        Ok(plan)
    }

    fn plan_approval(&self, plan: &mut Plan, now: DateTime<Utc>) {
        plan.approved_at = Some(now);
        plan.events
            .push(AssociationEvent::AssociationStarted { keys: self.keys() });
    }

    fn plan_end(&self, plan: &mut Plan, reason: EndReason, now: DateTime<Utc>) {
        if self.data.state == AssociationState::Approved {
            plan.ending = Some(Ending { at: now, reason });
            plan.events.push(AssociationEvent::AssociationEnded {
                keys: self.keys(),
                reason,
            });
        }
    }

    fn plan_rejection(
        &self,
        plan: &mut Plan,
        reason: RejectionReason,
        now: DateTime<Utc>,
        dispute_days: u32,
    ) -> Result<(), AssociationError> {
        let dispute_until = if reason.is_disputable() {
            Some(
                now.checked_add_days(Days::new(u64::from(dispute_days)))
                    .ok_or(AssociationError::DateOutOfRange)?,
            )
        } else {
            None
        };
        plan.rejection = Some(Rejection {
            at: now,
            reason,
            dispute_until,
        });
        plan.events.push(AssociationEvent::Rejected {
            reason,
            dispute_until,
        });
        Ok(())
    }

    /// Makes the planned changes; cannot fail.
    fn commit(
        &mut self,
        plan: Plan,
        to: AssociationState,
        command: CommandKind,
        actor: &Actor,
        now: DateTime<Utc>,
        request: Option<Request>,
    ) -> Vec<AssociationEvent> {
        let d = &mut self.data;
        let from = d.state;
        if let Some(content) = plan.content {
            d.content = content;
        }
        d.poe.extend(plan.poe);
        if let Some((at, until)) = plan.notified {
            d.notified_at = Some(at);
            d.opt_out_until = Some(until);
        }
        if let Some(info) = plan.info_request
            && (info.is_some() || d.review().info_request.is_some())
        {
            d.review_mut().info_request = info;
        }
        if let Some(at) = plan.approved_at {
            d.approved_at = Some(at);
        }
        if let Some(rejection) = plan.rejection {
            d.review_mut().rejection = Some(rejection);
        }
        if let Some(at) = plan.disputed_at {
            d.review_mut().disputed_at = Some(at);
        }
        if let Some(ending) = plan.ending {
            d.review_mut().ending = Some(ending);
        }
        if let Some(holder) = plan.supersedes {
            d.review_mut().supersedes = Some(holder);
        }
        if let Some(by) = plan.superseded_by {
            d.review_mut().superseded_by = Some(by);
        }
        d.state = to;
        let mut events = plan.events;
        events.push(AssociationEvent::Transitioned {
            command,
            changed: plan.changed,
        });
        d.history.push(HistoryEntry {
            at: now,
            actor: actor.clone(),
            command,
            from: Some(from),
            to,
            changed: plan.changed,
            note: plan.note,
            request,
        });
        events
    }

    /// Applies the timer: turns an info request left unanswered past its deadline into a
    /// rejection. `None` if nothing is due at `now`.
    ///
    /// # Errors
    ///
    /// As [`transition`](Self::transition) with [`AssociationCommand::Expire`].
    pub fn expire(
        &self,
        now: DateTime<Utc>,
        catalog: &Catalog,
    ) -> Result<Option<Transitioned>, AssociationError> {
        match self.next_deadline() {
            Some(due) if now >= due => self
                .transition(&AssociationCommand::Expire, &Actor::System, now, catalog)
                .map(Some),
            _ => Ok(None),
        }
    }

    /// The next moment a timer changes this claim: the info-request deadline, while the
    /// partner's action is required. Stores index claims on it. The review SLAs and the
    /// dispute window are not timers: nothing happens when they pass.
    #[must_use]
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        match self.data.state {
            AssociationState::PartnerActionRequired => {
                self.data.review().info_request.map(|(_, due)| due)
            }
            _ => None,
        }
    }

    /// Where the association stands at `now`, which is expected to be at or after the claim's
    /// last change (the claim keeps its current state, not every past one).
    ///
    /// Official means: approved, the opt-out window since the customer notification has
    /// passed, and no decline followed. It is official since the later of the approval and
    /// the end of the window.
    #[must_use]
    pub fn association(&self, now: DateTime<Utc>) -> Association {
        let d = &self.data;
        match (d.state, d.approved_at, d.opt_out_until) {
            (AssociationState::Approved, Some(approved), _) if now < approved => Association::None,
            (AssociationState::Approved, Some(approved), Some(until)) => {
                if now < until {
                    Association::PendingOptOut { until }
                } else {
                    Association::Official {
                        since: approved.max(until),
                    }
                }
            }
            _ => d
                .review()
                .ending
                .map_or(Association::None, |ending| Association::Ended {
                    at: ending.at,
                    reason: ending.reason,
                }),
        }
    }

    /// The uniqueness keys the claim holds now: its keys while approved, none otherwise.
    #[must_use]
    pub fn held_keys(&self) -> Vec<AssociationKey> {
        if self.data.state == AssociationState::Approved {
            self.keys()
        } else {
            Vec::new()
        }
    }

    /// The keys the claim is about, whatever its state: one per workload, or one for the
    /// subscription.
    #[must_use]
    pub fn keys(&self) -> Vec<AssociationKey> {
        let c = &self.data.content;
        let key = |unit| AssociationKey {
            engagement: c.engagement.clone(),
            tenant: c.tenant,
            unit,
        };
        match &c.target {
            Target::Workloads { workloads } => workloads
                .iter()
                .map(|w| key(KeyUnit::Workload(w.clone())))
                .collect(),
            Target::Subscription { subscription, .. } => {
                vec![key(KeyUnit::Subscription(*subscription))]
            }
        }
    }

    /// Whether the claim is still open: neither terminal nor ended.
    #[must_use]
    pub fn is_open(&self) -> bool {
        !self.data.state.is_terminal()
    }

    /// The claim's ID.
    #[must_use]
    pub const fn id(&self) -> ClaimId {
        self.data.id
    }

    /// The program year whose catalog governs the claim.
    #[must_use]
    pub const fn program_year(&self) -> ProgramYear {
        self.data.program_year
    }

    /// The state.
    #[must_use]
    pub const fn state(&self) -> AssociationState {
        self.data.state
    }

    /// What the form said, typed.
    #[must_use]
    pub const fn content(&self) -> &AssociationContent {
        &self.data.content
    }

    /// The PoE document references, oldest first. The most recent one is the one reviewed.
    #[must_use]
    pub fn poe(&self) -> &[Text] {
        &self.data.poe
    }

    /// The history, oldest first.
    #[must_use]
    pub fn history(&self) -> &[HistoryEntry] {
        &self.data.history
    }

    /// The request the claim's creation recorded.
    #[must_use]
    pub fn creation_request(&self) -> Option<&Request> {
        self.data.history.first()?.request.as_ref()
    }

    /// When the draft was created.
    #[must_use]
    pub const fn created_at(&self) -> DateTime<Utc> {
        self.data.created_at
    }

    /// When the customer was notified (the first submission).
    #[must_use]
    pub const fn notified_at(&self) -> Option<DateTime<Utc>> {
        self.data.notified_at
    }

    /// The last rejection.
    #[must_use]
    pub fn rejection(&self) -> Option<Rejection> {
        self.data.review().rejection
    }

    /// The open info request: its reason and deadline.
    #[must_use]
    pub fn info_request(&self) -> Option<(InfoRequestReason, DateTime<Utc>)> {
        self.data.review().info_request
    }

    /// Whether the claim has been disputed (it can be, once).
    #[must_use]
    pub fn is_disputed(&self) -> bool {
        self.data.review().disputed_at.is_some()
    }

    /// The holder this claim superseded by arbitration.
    #[must_use]
    pub fn supersedes(&self) -> Option<ClaimId> {
        self.data.review().supersedes
    }

    /// The claim that superseded this one.
    #[must_use]
    pub fn superseded_by(&self) -> Option<ClaimId> {
        self.data.review().superseded_by
    }

    /// When the review should be done at the latest (informational, like
    /// [`review_start_due`](Self::review_start_due)): the catalog's review SLA (14 business
    /// days in the built-in catalogs) from the last submission, while the claim is submitted
    /// or under review. Nothing happens when it passes: it is not a timer.
    #[must_use]
    pub fn review_due(&self, catalog: &Catalog) -> Option<DateTime<Utc>> {
        if !matches!(
            self.data.state,
            AssociationState::Submitted | AssociationState::UnderReview
        ) {
            return None;
        }
        let submitted = self
            .data
            .history
            .iter()
            .rev()
            .find(|e| e.to == AssociationState::Submitted)?;
        catalog
            .calendar()
            .add_business_days_at(submitted.at, catalog.cpor_rules().review_sla_business_days)
    }

    /// When review should start at the latest (informational SLA), for a submitted claim.
    #[must_use]
    pub fn review_start_due(&self, catalog: &Catalog) -> Option<DateTime<Utc>> {
        let submitted = self
            .data
            .history
            .iter()
            .rev()
            .find(|e| e.to == AssociationState::Submitted)?;
        (self.data.state == AssociationState::Submitted)
            .then(|| {
                catalog.calendar().add_business_days_at(
                    submitted.at,
                    catalog.cpor_rules().review_start_sla_business_days,
                )
            })
            .flatten()
    }

    /// Checks every invariant that needs no catalog: the history is a walk of the transition
    /// table, the fields agree with it, the partner agrees with it, nothing is repeated.
    ///
    /// Every way in (creation, transitions, JSON, the binary form) ends here, so a value of
    /// this type always passes it.
    pub(crate) fn check_structure(&self) -> Result<(), InvalidClaim> {
        check::structure(&self.data).map_err(|b| InvalidClaim::new(self.data.id, b))
    }

    /// Checks the claim against `catalog`, which must be of its program year: the content
    /// passes that catalog's form check unchanged (engagement, solution area, role,
    /// workloads, revenue details, opt-out), and every stored window (opt-out, info request,
    /// dispute) is the one the catalog's calendar and rules compute.
    ///
    /// # Errors
    ///
    /// [`InvalidClaim`] naming the first broken invariant.
    pub fn validate(&self, catalog: &Catalog) -> Result<(), InvalidClaim> {
        check::against(&self.data, catalog).map_err(|b| InvalidClaim::new(self.data.id, b))
    }
}

/// The changes an accepted command will make.
#[derive(Default)]
struct Plan {
    content: Option<AssociationContent>,
    poe: Vec<Text>,
    notified: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// `Some(None)` clears the info request.
    info_request: Option<Option<(InfoRequestReason, DateTime<Utc>)>>,
    approved_at: Option<DateTime<Utc>>,
    rejection: Option<Rejection>,
    disputed_at: Option<DateTime<Utc>>,
    ending: Option<Ending>,
    supersedes: Option<ClaimId>,
    superseded_by: Option<ClaimId>,
    changed: FieldSet,
    note: Option<Text>,
    events: Vec<AssociationEvent>,
}

#[cfg(any(test, feature = "testing"))]
impl AssociationClaim {
    /// A claim from JSON with no invariant check: only for tests that the codec carries any
    /// value and that stores refuse forged bodies.
    pub(crate) fn forged(value: serde_json::Value) -> Result<Self, serde_json::Error> {
        Ok(Self {
            data: serde_json::from_value(value)?,
        })
    }
}

#[cfg(test)]
impl AssociationClaim {
    /// A claim from JSON with no invariant check, for tests of the codec.
    pub(crate) fn from_value_unchecked(value: serde_json::Value) -> Self {
        Self::forged(value).unwrap()
    }
}

impl Serialize for AssociationClaim {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.data.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AssociationClaim {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let claim = Self {
            data: Data::deserialize(deserializer)?,
        };
        claim.check_structure().map_err(serde::de::Error::custom)?;
        Ok(claim)
    }
}
