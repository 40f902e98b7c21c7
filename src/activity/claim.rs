//! The partner-activity claim aggregate and its one transition function.

use chrono::{DateTime, Days, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::command::{ActivityCommand, ActivityEdit, ActivityEvent, Evidence, EvidenceKind};
use super::error::ActivityError;
use super::state::{ActivityCommandKind, ActivityState, activity_issuer_of, activity_transition};
use crate::actor::{Actor, PartnerUserRole};
use crate::association::{CompanyContact, CustomerContact};
use crate::catalog::{Catalog, Engagement, EngagementId, MciDeadlines, MciEngagement, ProgramYear};
use crate::claim::{History, InvalidClaim};
use crate::eligibility::Facts;
use crate::id::{ClaimId, CustomerId, PartnerId, TenantId};
use crate::money::Usd;
use crate::request::{self, Request, RequestId, Seen};
use crate::text::Text;

mod check;
mod codec;

/// How the partner came to the customer: the two flows of the Customers page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// "Add customer": a customer new to the partner.
    Added,
    /// "Claim customer": a customer known from the partner's other engagements.
    Claimed,
}

/// The variable-pay part of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VariablePay {
    /// The number of hours, fixed at creation.
    pub hours: u32,
    /// `min(hours, max_hours) × hourly_rate`, capped, as proposed at creation.
    pub proposed_payout: Usd,
}

/// One entry of a claim's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityHistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What.
    pub command: ActivityCommandKind,
    /// The state before; `None` for the creation.
    pub from: Option<ActivityState>,
    /// The state after.
    pub to: ActivityState,
    /// A reason, reference or amount that came with the command.
    pub note: Option<Text>,
    /// The request that made the entry: always for the creation (the digest of its input),
    /// and for a command given a request ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
}

/// The evidence a claim's engagement requires besides the POE and the partner survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EvidenceRules {
    /// An invoice is required.
    pub invoice: bool,
    /// A completed customer survey is required.
    pub customer_survey: bool,
}

impl EvidenceRules {
    /// What every engagement requires: the POE and the partner survey.
    pub const BASE: Self = Self {
        invoice: false,
        customer_survey: false,
    };

    /// The rules of an MCI engagement of the catalog.
    #[must_use]
    pub const fn of(engagement: &MciEngagement) -> Self {
        Self {
            invoice: engagement.requires_invoice,
            customer_survey: engagement.requires_customer_survey,
        }
    }

    /// Whether `kind` is required.
    #[must_use]
    pub const fn requires(self, kind: EvidenceKind) -> bool {
        match kind {
            EvidenceKind::Poe | EvidenceKind::PartnerSurvey => true,
            EvidenceKind::Invoice => self.invoice,
            EvidenceKind::CustomerSurvey => self.customer_survey,
        }
    }
}

/// What a new claim is made of; built by the add/claim-customer flow after the eligibility
/// check.
#[derive(Debug, Clone)]
pub(crate) struct NewClaim {
    pub id: ClaimId,
    pub name: Text,
    pub partner: PartnerId,
    pub customer: CustomerId,
    pub resolved_tenant: Option<TenantId>,
    pub engagement: EngagementId,
    pub origin: Origin,
    pub variable: Option<VariablePay>,
    pub deadlines: MciDeadlines,
    pub referral_enabled: bool,
    pub customer_contact: CustomerContact,
    pub company_contact: CompanyContact,
    pub mismatch_reason: Option<Text>,
    /// What the creation records of its request.
    pub request: Request,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    id: ClaimId,
    program_year: ProgramYear,
    name: Text,
    partner: PartnerId,
    customer: CustomerId,
    resolved_tenant: Option<TenantId>,
    engagement: EngagementId,
    origin: Origin,
    variable: Option<VariablePay>,
    customer_contact: CustomerContact,
    company_contact: CompanyContact,
    mismatch_reason: Option<Text>,
    estimated_deal_size: Option<Usd>,
    state: ActivityState,
    /// The moment the timer acts, computed from the catalog's deadlines by each transition.
    deadline: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    consented_at: Option<DateTime<Utc>>,
    first_submitted_at: Option<DateTime<Utc>>,
    rejected_at: Option<DateTime<Utc>>,
    disputed_at: Option<DateTime<Utc>>,
    dispute_resubmitted_at: Option<DateTime<Utc>>,
    evidence: Vec<Evidence>,
    referral_requested: bool,
    referral: Option<Text>,
    history: History<ActivityHistoryEntry>,
}

/// An MCI partner-activity engagement claim ([guide](crate::guide::activity)): one customer,
/// one engagement, one partner location.
///
/// Claims are created by the add-customer and claim-customer flows, which check eligibility
/// first, and change only through [`transition`](Self::transition) (or [`apply`](Self::apply)).
/// A refused command leaves the claim exactly as it was. Its rules (deadlines, evidence,
/// referrals, the per-customer cap) are its engagement's in the catalog of its program year,
/// which every transition is given; the claim copies none of them. It keeps the one instant
/// they decide next, [`next_deadline`](Self::next_deadline), so that stores can index it, and
/// [`validate`](Self::validate) checks that instant against the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityClaim {
    data: Data,
}

/// The result of an accepted command: the new claim and the effects to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTransitioned {
    /// The claim after the command.
    pub claim: ActivityClaim,
    /// What the application must do.
    pub events: Vec<ActivityEvent>,
}

/// The changes an accepted command will make.
#[derive(Default)]
struct Plan {
    edit: Option<ActivityEdit>,
    deal_size: Option<Usd>,
    consented_at: Option<DateTime<Utc>>,
    first_submitted_at: Option<DateTime<Utc>>,
    rejected_at: Option<DateTime<Utc>>,
    disputed_at: Option<DateTime<Utc>>,
    dispute_resubmitted_at: Option<DateTime<Utc>>,
    evidence: Option<Evidence>,
    referral_requested: bool,
    referral: Option<Text>,
    note: Option<Text>,
    events: Vec<ActivityEvent>,
    /// The engagement's deadlines, to compute the claim's next deadline after the change.
    deadlines: Option<MciDeadlines>,
}

/// The moment the timer acts on a claim in its current state, by the deadline table.
fn deadline_for(d: &Data, rules: &MciDeadlines) -> Option<DateTime<Utc>> {
    match d.state {
        ActivityState::CustomerClaimed | ActivityState::AwaitingConsent => {
            after(Some(d.created_at), rules.consent_days)
        }
        ActivityState::ConsentReceived => after(d.consented_at, rules.first_submit_days),
        ActivityState::PartnerActionRequired => match d.dispute_resubmitted_at {
            Some(at) => after(Some(at), rules.post_dispute_days),
            None => after(d.consented_at, rules.review_days),
        },
        ActivityState::Rejected | ActivityState::Disputed => {
            after(d.rejected_at, rules.dispute_days)
        }
        _ => None,
    }
}

/// `days` calendar days after `from`.
fn after(from: Option<DateTime<Utc>>, days: u32) -> Option<DateTime<Utc>> {
    from?.checked_add_days(Days::new(u64::from(days)))
}

impl ActivityClaim {
    pub(crate) fn create(
        new: NewClaim,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
        facts: &dyn Facts,
    ) -> ActivityTransitioned {
        let mut events = Vec::new();
        let referral_requested =
            new.referral_enabled && facts.referral_conditions_hold(&new.customer, &new.engagement);
        if referral_requested {
            events.push(ActivityEvent::ReferralRequested {
                customer: new.customer.clone(),
                engagement: new.engagement.clone(),
            });
        }
        events.push(ActivityEvent::Transitioned {
            command: ActivityCommandKind::Create,
            from: None,
            to: ActivityState::CustomerClaimed,
        });
        let claim = Self {
            data: Data {
                id: new.id,
                program_year: catalog.program_year(),
                name: new.name,
                partner: new.partner,
                customer: new.customer,
                resolved_tenant: new.resolved_tenant,
                engagement: new.engagement,
                origin: new.origin,
                variable: new.variable,
                customer_contact: new.customer_contact,
                company_contact: new.company_contact,
                mismatch_reason: new.mismatch_reason,
                estimated_deal_size: None,
                state: ActivityState::CustomerClaimed,
                deadline: after(Some(now), new.deadlines.consent_days),
                created_at: now,
                consented_at: None,
                first_submitted_at: None,
                rejected_at: None,
                disputed_at: None,
                dispute_resubmitted_at: None,
                evidence: Vec::new(),
                referral_requested,
                referral: None,
                history: History(vec![ActivityHistoryEntry {
                    at: now,
                    actor: actor.clone(),
                    command: ActivityCommandKind::Create,
                    from: None,
                    to: ActivityState::CustomerClaimed,
                    note: None,
                    request: Some(new.request),
                }]),
            },
        };
        ActivityTransitioned { claim, events }
    }

    /// The pure transition: `(claim, command, actor, now) → new claim + events`.
    ///
    /// # Errors
    ///
    /// See [`apply`](Self::apply); `self` is never changed.
    pub fn transition(
        &self,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
        facts: &dyn Facts,
    ) -> Result<ActivityTransitioned, ActivityError> {
        let (plan, to) = self.decide(command, actor, now, catalog, facts)?;
        let mut claim = self.clone();
        let events = claim.commit(plan, to, command.kind(), actor, now, None);
        Ok(ActivityTransitioned { claim, events })
    }

    /// The record of `command` by `actor` under request `id`, as its history entry keeps it.
    #[must_use]
    pub fn command_request(id: RequestId, command: &ActivityCommand, actor: &Actor) -> Request {
        Request::new(Some(id), &(command, actor))
    }

    /// Whether the history already has an entry made under `request`'s ID: `Some(true)` for
    /// a retry of the same command, `Some(false)` for the ID reused for another, `None` if
    /// it is new.
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
    /// As [`transition`](Self::transition), and [`ActivityError::RequestSeen`] if the history
    /// already has an entry of that request ID.
    pub fn transition_requested(
        &self,
        command: &ActivityCommand,
        request: Request,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
        facts: &dyn Facts,
    ) -> Result<ActivityTransitioned, ActivityError> {
        if self.has_seen(&request).is_some() {
            return Err(ActivityError::RequestSeen {
                claim: self.data.id,
            });
        }
        let (plan, to) = self.decide(command, actor, now, catalog, facts)?;
        let mut claim = self.clone();
        let events = claim.commit(plan, to, command.kind(), actor, now, Some(request));
        Ok(ActivityTransitioned { claim, events })
    }

    /// The request the claim's creation recorded.
    #[must_use]
    pub fn creation_request(&self) -> Option<&Request> {
        self.data.history.first()?.request.as_ref()
    }

    /// Applies a command in place, returning its events. Every check happens before any
    /// change, so on error the claim is exactly as it was.
    ///
    /// # Errors
    ///
    /// - [`ActivityError::NotFound`] for a partner user of a location it may not act for,
    ///   before anything else, so that nothing about another partner's claim shows;
    /// - [`ActivityError::Forbidden`] if the actor's kind may not issue the command (which
    ///   says nothing about the claim);
    /// - [`ActivityError::NotFound`] for a customer the claim is not about;
    /// - [`ActivityError::CatalogMismatch`] if `catalog` is not of the claim's program year;
    /// - [`ActivityError::InvalidState`] if the transition table has no such transition;
    /// - [`ActivityError::TimeWentBack`] if `now` is before the last history entry;
    /// - [`ActivityError::DeadlinePassed`] for any command but `expire` once the claim's
    ///   deadline has passed, and [`ActivityError::NotDue`] for `expire` before it;
    /// - a guard's error: [`EvidenceMissing`](ActivityError::EvidenceMissing),
    ///   [`HoursImmutable`](ActivityError::HoursImmutable),
    ///   [`DealSizeImmutable`](ActivityError::DealSizeImmutable),
    ///   [`ContactsLocked`](ActivityError::ContactsLocked),
    ///   [`ReferralAlreadyLinked`](ActivityError::ReferralAlreadyLinked).
    pub fn apply(
        &mut self,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
        facts: &dyn Facts,
    ) -> Result<Vec<ActivityEvent>, ActivityError> {
        let (plan, to) = self.decide(command, actor, now, catalog, facts)?;
        Ok(self.commit(plan, to, command.kind(), actor, now, None))
    }

    fn decide(
        &self,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        catalog: &Catalog,
        facts: &dyn Facts,
    ) -> Result<(Plan, ActivityState), ActivityError> {
        let d = &self.data;
        let kind = command.kind();
        // Isolation first: a claim of a location the user may not act for, or about another
        // customer, must look exactly like a missing one, so nothing about it (not even its
        // program year) shows before these checks. Whether the actor's kind may issue the
        // command at all says nothing about the claim, so it comes before the customer's
        // check, which a customer's refused partner command then skips.
        if actor.partner_id().is_some() && !actor.acts_for(d.partner) {
            return Err(ActivityError::NotFound { claim: d.id });
        }
        if !activity_issuer_of(kind).admits(actor.kind()) {
            return Err(ActivityError::Forbidden {
                command: kind,
                actor: actor.kind(),
            });
        }
        if !actor.may_see(d.partner, &d.customer, d.resolved_tenant) {
            return Err(ActivityError::NotFound { claim: d.id });
        }
        if catalog.program_year() != d.program_year {
            return Err(ActivityError::CatalogMismatch {
                claim: d.program_year,
                catalog: catalog.program_year(),
            });
        }
        let Some(transition) = activity_transition(d.state, kind, d.disputed_at.is_some()) else {
            return Err(ActivityError::InvalidState {
                command: kind,
                state: d.state,
            });
        };
        let last = d.history.last().map_or(d.created_at, |e| e.at);
        if now < last {
            return Err(ActivityError::TimeWentBack { last, now });
        }
        let deadline = self.next_deadline();
        match (kind, deadline) {
            (ActivityCommandKind::Expire, Some(due)) if now >= due => {}
            (ActivityCommandKind::Expire, due) => return Err(ActivityError::NotDue { due }),
            (_, Some(deadline)) if now >= deadline => {
                return Err(ActivityError::DeadlinePassed { deadline });
            }
            _ => {}
        }
        let mci = self.rules(catalog)?;
        let mut plan = self.plan(command, now, mci, facts)?;
        plan.deadlines = catalog
            .engagement_type(&mci.engagement_type)
            .map(|t| t.deadlines);
        Ok((plan, transition.to))
    }

    /// The rules of the claim's engagement in `catalog`.
    fn rules<'c>(&self, catalog: &'c Catalog) -> Result<&'c MciEngagement, ActivityError> {
        catalog
            .engagement(&self.data.engagement)
            .and_then(Engagement::as_mci)
            .ok_or_else(|| ActivityError::UnknownEngagement {
                engagement: self.data.engagement.clone(),
            })
    }

    fn plan(
        &self,
        command: &ActivityCommand,
        now: DateTime<Utc>,
        mci: &MciEngagement,
        facts: &dyn Facts,
    ) -> Result<Plan, ActivityError> {
        let d = &self.data;
        let mut plan = Plan::default();
        match command {
            ActivityCommand::SendConsent {
                estimated_deal_size,
            } => {
                plan.deal_size = Some(*estimated_deal_size);
                plan.note =
                    Text::parse(&format!("estimated deal size {estimated_deal_size} usd")).ok();
                plan.events.push(ActivityEvent::ConsentEmailRequested {
                    to: d.customer_contact.email.clone(),
                    reminder: false,
                });
                if mci.referral_enabled
                    && !d.referral_requested
                    && facts.referral_conditions_hold(&d.customer, &d.engagement)
                {
                    plan.referral_requested = true;
                    plan.events.push(ActivityEvent::ReferralRequested {
                        customer: d.customer.clone(),
                        engagement: d.engagement.clone(),
                    });
                }
            }
            ActivityCommand::ResendConsent => {
                plan.events.push(ActivityEvent::ConsentEmailRequested {
                    to: d.customer_contact.email.clone(),
                    reminder: true,
                });
            }
            ActivityCommand::AcceptConsent => {
                plan.consented_at = Some(now);
                if d.referral_requested && facts.co_sell_qualified(&d.customer) {
                    plan.events.push(ActivityEvent::CoSellUpgradeRequested {
                        customer: d.customer.clone(),
                    });
                }
            }
            ActivityCommand::Edit { changes } => {
                self.check_edit(changes)?;
                plan.edit = Some(changes.clone());
            }
            ActivityCommand::AddEvidence { kind, reference } => {
                plan.note = Some(reference.clone());
                plan.evidence = Some(Evidence {
                    kind: *kind,
                    reference: reference.clone(),
                    at: now,
                });
            }
            ActivityCommand::Submit => {
                self.check_evidence(mci)?;
                plan.first_submitted_at = Some(now);
            }
            ActivityCommand::Resubmit => {
                self.check_evidence(mci)?;
                if d.state == ActivityState::Disputed {
                    plan.dispute_resubmitted_at = Some(now);
                }
            }
            ActivityCommand::Reject { reason } => {
                plan.rejected_at = Some(now);
                plan.note = Some(reason.clone());
            }
            ActivityCommand::Dispute { reason } => {
                plan.disputed_at = Some(now);
                plan.note = Some(reason.clone());
            }
            ActivityCommand::RequestInfo { reason } => plan.note = Some(reason.clone()),
            ActivityCommand::Approve => {
                plan.events.push(ActivityEvent::PayoutDue {
                    amount: d.variable.map(|v| v.proposed_payout),
                });
            }
            ActivityCommand::LinkReferral { referral } => {
                if d.referral.is_some() {
                    return Err(ActivityError::ReferralAlreadyLinked);
                }
                plan.referral = Some(referral.clone());
            }
            ActivityCommand::DeclineConsent
            | ActivityCommand::Cancel
            | ActivityCommand::StartReview
            | ActivityCommand::MarkPaid
            | ActivityCommand::Expire => {}
        }
        Ok(plan)
    }

    fn check_edit(&self, changes: &ActivityEdit) -> Result<(), ActivityError> {
        let d = &self.data;
        if let Some(requested) = changes.hours {
            let current = d.variable.map(|v| v.hours);
            if current != Some(requested) {
                return Err(ActivityError::HoursImmutable { current, requested });
            }
        }
        if let Some(size) = changes.estimated_deal_size
            && d.estimated_deal_size != Some(size)
        {
            return Err(ActivityError::DealSizeImmutable);
        }
        // Only the customer contact locks once the customer survey is in; the own company contact
        // stays editable.
        let contact_change = changes
            .customer_contact
            .as_ref()
            .is_some_and(|c| *c != d.customer_contact);
        if contact_change && self.has_evidence(EvidenceKind::CustomerSurvey) {
            return Err(ActivityError::ContactsLocked);
        }
        Ok(())
    }

    fn check_evidence(&self, mci: &MciEngagement) -> Result<(), ActivityError> {
        let missing = self.missing_by(EvidenceRules::of(mci));
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ActivityError::EvidenceMissing { missing })
        }
    }

    /// The evidence that the claim's engagement in `catalog` requires and that is not yet
    /// added, in order. An engagement the catalog does not know requires the POE and the
    /// partner survey, which every engagement requires.
    #[must_use]
    pub fn missing_evidence(&self, catalog: &Catalog) -> Vec<EvidenceKind> {
        let rules = self
            .rules(catalog)
            .map_or(EvidenceRules::BASE, EvidenceRules::of);
        self.missing_by(rules)
    }

    fn missing_by(&self, rules: EvidenceRules) -> Vec<EvidenceKind> {
        EvidenceKind::ALL
            .into_iter()
            .filter(|kind| rules.requires(*kind) && !self.has_evidence(*kind))
            .collect()
    }

    fn has_evidence(&self, kind: EvidenceKind) -> bool {
        self.data.evidence.iter().any(|e| e.kind == kind)
    }

    fn commit(
        &mut self,
        plan: Plan,
        to: ActivityState,
        command: ActivityCommandKind,
        actor: &Actor,
        now: DateTime<Utc>,
        request: Option<Request>,
    ) -> Vec<ActivityEvent> {
        let d = &mut self.data;
        let from = d.state;
        if let Some(edit) = plan.edit {
            if let Some(name) = edit.name {
                d.name = name;
            }
            if let Some(contact) = edit.customer_contact {
                d.customer_contact = contact;
            }
            if let Some(contact) = edit.company_contact {
                d.company_contact = contact;
            }
        }
        if plan.deal_size.is_some() {
            d.estimated_deal_size = plan.deal_size;
        }
        let set = |slot: &mut Option<DateTime<Utc>>, value: Option<DateTime<Utc>>| {
            if value.is_some() {
                *slot = value;
            }
        };
        set(&mut d.consented_at, plan.consented_at);
        if d.first_submitted_at.is_none() {
            set(&mut d.first_submitted_at, plan.first_submitted_at);
        }
        set(&mut d.rejected_at, plan.rejected_at);
        set(&mut d.disputed_at, plan.disputed_at);
        set(&mut d.dispute_resubmitted_at, plan.dispute_resubmitted_at);
        if let Some(evidence) = plan.evidence {
            d.evidence.push(evidence);
        }
        d.referral_requested |= plan.referral_requested;
        if plan.referral.is_some() {
            d.referral = plan.referral;
        }
        d.state = to;
        if let Some(rules) = plan.deadlines {
            d.deadline = deadline_for(d, &rules);
        }
        d.history.push(ActivityHistoryEntry {
            at: now,
            actor: actor.clone(),
            command,
            from: Some(from),
            to,
            note: plan.note,
            request,
        });
        let mut events = plan.events;
        events.push(ActivityEvent::Transitioned {
            command,
            from: Some(from),
            to,
        });
        events
    }

    /// Applies the timer: `None` if no deadline has passed at `now`.
    ///
    /// # Errors
    ///
    /// As [`transition`](Self::transition) with [`ActivityCommand::Expire`].
    pub fn expire(
        &self,
        now: DateTime<Utc>,
        catalog: &Catalog,
        facts: &dyn Facts,
    ) -> Result<Option<ActivityTransitioned>, ActivityError> {
        match self.next_deadline() {
            Some(due) if now >= due => self
                .transition(
                    &ActivityCommand::Expire,
                    &Actor::System,
                    now,
                    catalog,
                    facts,
                )
                .map(Some),
            _ => Ok(None),
        }
    }

    /// The moment the timer acts on the claim, in calendar days from the engagement type's
    /// deadline table ([guide](crate::guide::activity#deadlines)):
    ///
    /// | State | Deadline |
    /// |---|---|
    /// | customer_claimed, awaiting_consent | creation + consent days |
    /// | consent_received | consent + first-submit days |
    /// | partner_action_required | consent + review days; after a dispute's resubmission, that resubmission + the post-dispute days |
    /// | rejected, disputed | rejection + dispute days |
    ///
    /// Other states have no deadline. The claim expires exactly at the deadline: at that
    /// instant `expire` acts and every other command is refused.
    #[must_use]
    pub const fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.data.deadline
    }

    /// The referral linked to the claim, for a Referral admin.
    ///
    /// # Errors
    ///
    /// [`ActivityError::ReferralHidden`] for anyone else, and [`ActivityError::NotFound`] for
    /// a user of another partner location.
    pub fn referral(&self, actor: &Actor) -> Result<Option<&Text>, ActivityError> {
        let d = &self.data;
        if !actor.may_see(d.partner, &d.customer, d.resolved_tenant) {
            return Err(ActivityError::NotFound { claim: d.id });
        }
        if actor.has_role(PartnerUserRole::ReferralAdmin) {
            Ok(self.data.referral.as_ref())
        } else {
            Err(ActivityError::ReferralHidden)
        }
    }

    /// The same claim with its referral link withheld, for anyone but a Referral admin: the
    /// link stays in the store, and the history still shows that one was linked. A claim
    /// read back from such a copy has no link, and still passes every check.
    #[must_use]
    pub fn without_referral(mut self) -> Self {
        self.data.referral = None;
        self
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

    /// The claim name.
    #[must_use]
    pub const fn name(&self) -> &Text {
        &self.data.name
    }

    /// The partner location.
    #[must_use]
    pub const fn partner(&self) -> PartnerId {
        self.data.partner
    }

    /// The customer ID the customer was nominated by.
    #[must_use]
    pub const fn customer(&self) -> &CustomerId {
        &self.data.customer
    }

    /// The tenant a domain nomination resolved to.
    #[must_use]
    pub const fn resolved_tenant(&self) -> Option<TenantId> {
        self.data.resolved_tenant
    }

    /// The engagement.
    #[must_use]
    pub const fn engagement(&self) -> &EngagementId {
        &self.data.engagement
    }

    /// Added or claimed.
    #[must_use]
    pub const fn origin(&self) -> Origin {
        self.data.origin
    }

    /// The hours and proposed payout, for variable pay.
    #[must_use]
    pub const fn variable_pay(&self) -> Option<VariablePay> {
        self.data.variable
    }

    /// The estimated deal size, once the consent email was sent.
    #[must_use]
    pub const fn estimated_deal_size(&self) -> Option<Usd> {
        self.data.estimated_deal_size
    }

    /// The tenant/email-domain mismatch reason recorded at creation.
    #[must_use]
    pub const fn mismatch_reason(&self) -> Option<&Text> {
        self.data.mismatch_reason.as_ref()
    }

    /// The customer contact.
    #[must_use]
    pub const fn customer_contact(&self) -> &CustomerContact {
        &self.data.customer_contact
    }

    /// The own company contact.
    #[must_use]
    pub const fn company_contact(&self) -> &CompanyContact {
        &self.data.company_contact
    }

    /// The state.
    #[must_use]
    pub const fn state(&self) -> ActivityState {
        self.data.state
    }

    /// The evidence, oldest first.
    #[must_use]
    pub fn evidence(&self) -> &[Evidence] {
        &self.data.evidence
    }

    /// Whether the claim has been disputed.
    #[must_use]
    pub const fn is_disputed(&self) -> bool {
        self.data.disputed_at.is_some()
    }

    /// Whether the claim was ever submitted.
    #[must_use]
    pub const fn was_submitted(&self) -> bool {
        self.data.first_submitted_at.is_some()
    }

    /// The history, oldest first.
    #[must_use]
    pub fn history(&self) -> &[ActivityHistoryEntry] {
        &self.data.history
    }

    /// When the claim was created.
    #[must_use]
    pub const fn created_at(&self) -> DateTime<Utc> {
        self.data.created_at
    }

    /// When the customer consented.
    #[must_use]
    pub const fn consented_at(&self) -> Option<DateTime<Utc>> {
        self.data.consented_at
    }

    /// Checks every invariant that needs no catalog: the history is a walk of the transition
    /// table by the claim's own partner location, and the fields agree with it.
    ///
    /// Every way in (creation, transitions, JSON, the binary form) ends here, so a value of
    /// this type always passes it.
    pub(crate) fn check_structure(&self) -> Result<(), InvalidClaim> {
        check::structure(&self.data).map_err(|b| InvalidClaim::new(self.data.id, b))
    }

    /// Checks the claim against `catalog`, which must be of its program year: its engagement
    /// is an MCI engagement there that allows its customer ID kind, its variable pay is the
    /// engagement's payout for its hours, every submission had the evidence the engagement
    /// requires, a referral was requested only where the engagement has referrals, and the
    /// stored next deadline is the one the engagement's deadline table gives.
    ///
    /// # Errors
    ///
    /// [`InvalidClaim`] naming the first broken invariant.
    pub fn validate(&self, catalog: &Catalog) -> Result<(), InvalidClaim> {
        check::against(&self.data, catalog).map_err(|b| InvalidClaim::new(self.data.id, b))
    }
}

#[cfg(any(test, feature = "testing"))]
impl ActivityClaim {
    /// A claim from JSON with no invariant check: only for tests that the codec carries any
    /// value and that stores refuse forged bodies.
    pub(crate) fn forged(value: serde_json::Value) -> Result<Self, serde_json::Error> {
        Ok(Self {
            data: serde_json::from_value(value)?,
        })
    }
}

#[cfg(test)]
impl ActivityClaim {
    /// A claim from JSON with no invariant check, for tests of the codec.
    pub(crate) fn from_value_unchecked(value: serde_json::Value) -> Self {
        Self::forged(value).unwrap()
    }
}

impl Serialize for ActivityClaim {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.data.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ActivityClaim {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let claim = Self {
            data: Data::deserialize(deserializer)?,
        };
        claim.check_structure().map_err(serde::de::Error::custom)?;
        Ok(claim)
    }
}
