//! Model-based test of the MCI partner-activity claim lifecycle (domain.md section 6.2), with
//! proptest-state-machine.
//!
//! A small reference model, written from domain.md (sections 5.3, 6.2, 7 and 8) and the
//! "Choices" of `cpor::activity`, not from the implementation's transition table, predicts for
//! every generated command whether it is accepted (or the code of its refusal) and what the
//! claim looks like after it. The real [`ActivityClaim`] is driven through
//! [`ActivityClaim::transition`] (and its in-place twin [`ActivityClaim::apply`]) with the same
//! commands, actors and times, and the invariants are checked after every step.
//!
//! Commands are generated valid and invalid alike: every command kind with its data (edits
//! that change or keep the hours, the deal size and the contacts; every kind of evidence;
//! submissions with evidence missing), by every kind of actor, at times that move forward by
//! seconds to ~100 days (sometimes exactly at a deadline, a second before or after, sometimes
//! back), over the five built-in MCI engagements, fixed and variable pay.

mod common;

use std::sync::LazyLock;

use chrono::{DateTime, Days, Duration, Utc};
use common::mci::*;
use common::*;
use cpor::activity::{
    ActivityClaim, ActivityCommand, ActivityCommandKind, ActivityEdit, ActivityEvent,
    ActivityState, EvidenceKind, add_customer,
};
use cpor::association::{CompanyContact, CustomerContact};
use cpor::eligibility::InMemoryFacts;
use cpor::{Actor, Catalog, CustomerId, PartnerUserRole, Tpid, Usd, UserRoles};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);
/// A catalog of another program year: every command given it is refused.
static OTHER_YEAR: LazyLock<Catalog> = LazyLock::new(Catalog::fy20);
static FACTS: LazyLock<InMemoryFacts> = LazyLock::new(facts);

// ---------------------------------------------------------------------------------------------
// The engagements and their rules, from domain.md section 6.2 and the fixture's catalog notes.
// ---------------------------------------------------------------------------------------------

/// Calendar days to consent, from creation.
const CONSENT_DAYS: u64 = 30;
/// Calendar days to dispute, from the rejection.
const DISPUTE_DAYS: u64 = 30;
/// Calendar days for further info requests, from a dispute's resubmission.
const POST_DISPUTE_DAYS: u64 = 30;

/// One of the five built-in MCI engagements, one per engagement type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Eng {
    Assessment,
    Workshop,
    Small,
    Medium,
    Large,
}

const ENGAGEMENTS: [Eng; 5] = [
    Eng::Assessment,
    Eng::Workshop,
    Eng::Small,
    Eng::Medium,
    Eng::Large,
];

impl Eng {
    fn key(self) -> &'static str {
        match self {
            Self::Assessment => ASSESSMENT,
            Self::Workshop => WORKSHOP,
            Self::Small => SMALL,
            Self::Medium => MEDIUM,
            Self::Large => LARGE,
        }
    }

    fn variable_pay(self) -> bool {
        matches!(self, Self::Medium | Self::Large)
    }

    /// Calendar days from consent to the first submission, and to the end of the review
    /// (domain.md section 6.2, by engagement type).
    fn days_from_consent(self) -> (u64, u64) {
        match self {
            Self::Assessment => (60, 90),
            Self::Workshop => (90, 120),
            Self::Small => (120, 150),
            Self::Medium => (200, 230),
            Self::Large => (260, 290),
        }
    }

    /// The required evidence, in Partner Center's order: a POE and a partner survey always, an
    /// invoice and a customer survey if the engagement asks for them.
    fn required(self) -> Vec<EvidenceKind> {
        let invoice = matches!(self, Self::Small | Self::Medium | Self::Large);
        let survey = matches!(self, Self::Workshop | Self::Medium);
        let mut kinds = vec![EvidenceKind::Poe];
        if invoice {
            kinds.push(EvidenceKind::Invoice);
        }
        if survey {
            kinds.push(EvidenceKind::CustomerSurvey);
        }
        kinds.push(EvidenceKind::PartnerSurvey);
        kinds
    }

    /// The customer a claim on this engagement is nominated by.
    fn customer(self) -> CustomerId {
        match self {
            Self::Assessment | Self::Workshop => tenant_customer(),
            Self::Small => CustomerId::Tpid(Tpid::parse(TPID).unwrap()),
            Self::Medium | Self::Large => msx_customer(),
        }
    }
}

/// The contacts an edit may set: index 0 is the one the claim is created with.
fn customer_contact_variant(i: u8) -> CustomerContact {
    match i {
        0 => customer_contact(),
        _ => CustomerContact {
            name: text("Nestor Wilke"),
            title: text("CTO"),
            email: "nestor@contoso.com".parse().unwrap(),
        },
    }
}

fn company_contact_variant(i: u8) -> CompanyContact {
    match i {
        0 => company_contact(),
        _ => CompanyContact {
            name: text("Isaiah Langer"),
            email: "isaiah@fabrikam.com".parse().unwrap(),
        },
    }
}

const CLAIM_NAME: &str = "Contoso engagement";
const NEW_NAME: &str = "Contoso engagement, phase 2";

/// Estimated deal sizes, in cents.
const DEALS: [u64; 4] = [0, 1_000_000, 25_000_000, 1_234_567_890];

// ---------------------------------------------------------------------------------------------
// The generated steps.
// ---------------------------------------------------------------------------------------------

/// Who issues a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// An Incentives admin of `partner()`.
    Admin,
    /// An Incentives user (not admin) of `partner()`.
    User,
    /// A user of `partner()` with neither incentives role (a Referral admin only).
    Viewer,
    /// An Incentives admin of `other_partner()`.
    OtherAdmin,
    /// An Incentives admin of `other_partner()` who may act for `partner()` too.
    AccountAdmin,
    Reviewer,
    /// The customer the claim is about.
    Customer,
    /// A customer of another tenant: every claim looks missing to it.
    Stranger,
    System,
}

const EVERYONE: [Who; 9] = [
    Who::Admin,
    Who::User,
    Who::Viewer,
    Who::OtherAdmin,
    Who::AccountAdmin,
    Who::Reviewer,
    Who::Customer,
    Who::Stranger,
    Who::System,
];

impl Who {
    fn actor(self) -> Actor {
        match self {
            Self::Admin => admin(),
            Self::User => incentives_user(),
            Self::Viewer => Actor::partner(
                partner(),
                user("viewer@fabrikam.com"),
                UserRoles::of([PartnerUserRole::ReferralAdmin]),
            ),
            Self::OtherAdmin => admin_of(other_partner()),
            Self::AccountAdmin => {
                admin_of(other_partner()).with_locations(cpor::Locations::of([partner()]).unwrap())
            }
            Self::Reviewer => reviewer(),
            Self::Customer => customer(),
            Self::Stranger => Actor::customer(CustomerId::Tenant(
                "5e5e5e5e-5e5e-4e5e-8e5e-5e5e5e5e5e5e".parse().unwrap(),
            )),
            Self::System => Actor::System,
        }
    }

    /// The actor, acting on `claim`: the customer of the claim speaks for it.
    fn acting(self, claim: &ActivityClaim) -> Actor {
        match self {
            Self::Customer => Actor::customer(claim.customer().clone()),
            other => other.actor(),
        }
    }
}

/// The changes of an `Edit`, as generated.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EditSpec {
    rename: bool,
    hours: Option<u32>,
    /// In cents.
    deal: Option<u64>,
    customer_contact: Option<u8>,
    company_contact: Option<u8>,
}

impl EditSpec {
    fn edit(&self) -> ActivityEdit {
        ActivityEdit {
            name: self.rename.then(|| text(NEW_NAME)),
            hours: self.hours,
            estimated_deal_size: self.deal.map(Usd::from_cents),
            customer_contact: self.customer_contact.map(customer_contact_variant),
            company_contact: self.company_contact.map(company_contact_variant),
        }
    }
}

/// A command, as generated.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cmd {
    /// With the deal size in cents.
    SendConsent(u64),
    ResendConsent,
    AcceptConsent,
    DeclineConsent,
    Edit(EditSpec),
    AddEvidence(EvidenceKind),
    Submit,
    Cancel,
    StartReview,
    RequestInfo,
    Resubmit,
    Approve,
    Reject,
    MarkPaid,
    Dispute,
    Expire,
    LinkReferral,
}

/// The model names command kinds with the crate's own (data-free) enum.
type Kind = ActivityCommandKind;

const KINDS: [Kind; 17] = [
    Kind::SendConsent,
    Kind::ResendConsent,
    Kind::AcceptConsent,
    Kind::DeclineConsent,
    Kind::Edit,
    Kind::AddEvidence,
    Kind::Submit,
    Kind::Cancel,
    Kind::StartReview,
    Kind::RequestInfo,
    Kind::Resubmit,
    Kind::Approve,
    Kind::Reject,
    Kind::MarkPaid,
    Kind::Dispute,
    Kind::Expire,
    Kind::LinkReferral,
];

impl Cmd {
    fn kind(&self) -> Kind {
        match self {
            Self::SendConsent(_) => Kind::SendConsent,
            Self::ResendConsent => Kind::ResendConsent,
            Self::AcceptConsent => Kind::AcceptConsent,
            Self::DeclineConsent => Kind::DeclineConsent,
            Self::Edit(_) => Kind::Edit,
            Self::AddEvidence(_) => Kind::AddEvidence,
            Self::Submit => Kind::Submit,
            Self::Cancel => Kind::Cancel,
            Self::StartReview => Kind::StartReview,
            Self::RequestInfo => Kind::RequestInfo,
            Self::Resubmit => Kind::Resubmit,
            Self::Approve => Kind::Approve,
            Self::Reject => Kind::Reject,
            Self::MarkPaid => Kind::MarkPaid,
            Self::Dispute => Kind::Dispute,
            Self::Expire => Kind::Expire,
            Self::LinkReferral => Kind::LinkReferral,
        }
    }

    fn command(&self) -> ActivityCommand {
        use ActivityCommand as C;
        match self {
            Self::SendConsent(cents) => C::SendConsent {
                estimated_deal_size: Usd::from_cents(*cents),
            },
            Self::ResendConsent => C::ResendConsent,
            Self::AcceptConsent => C::AcceptConsent,
            Self::DeclineConsent => C::DeclineConsent,
            Self::Edit(spec) => C::Edit {
                changes: spec.edit(),
            },
            Self::AddEvidence(kind) => C::AddEvidence {
                kind: *kind,
                reference: text(&format!("{kind}.pdf")),
            },
            Self::Submit => C::Submit,
            Self::Cancel => C::Cancel,
            Self::StartReview => C::StartReview,
            Self::RequestInfo => C::RequestInfo {
                reason: text("add the invoice date"),
            },
            Self::Resubmit => C::Resubmit,
            Self::Approve => C::Approve,
            Self::Reject => C::Reject {
                reason: text("the poe is unsigned"),
            },
            Self::MarkPaid => C::MarkPaid,
            Self::Dispute => C::Dispute {
                reason: text("signed poe attached"),
            },
            Self::Expire => C::Expire,
            Self::LinkReferral => C::LinkReferral {
                referral: text("referral-4711"),
            },
        }
    }
}

/// One generated step: a command, who issues it, when, and with which catalog.
#[derive(Debug, Clone)]
struct Step {
    at: DateTime<Utc>,
    who: Who,
    cmd: Cmd,
    /// Given the catalog of another program year.
    other_year: bool,
}

// ---------------------------------------------------------------------------------------------
// The reference model.
// ---------------------------------------------------------------------------------------------

use ActivityState as S;

/// The lifecycle of domain.md section 6.2, with the extra self-loops the module docs list
/// (`edit` before consent and while the partner's action is required or a dispute is open,
/// evidence after consent, the referral link before the first submission): where `kind`
/// leads from `state`, if anywhere.
fn next_state(state: S, kind: Kind, disputed: bool) -> Option<S> {
    use Kind as K;
    Some(match (state, kind) {
        (S::CustomerClaimed, K::SendConsent) => S::AwaitingConsent,
        (S::AwaitingConsent, K::ResendConsent) => S::AwaitingConsent,
        (S::AwaitingConsent, K::AcceptConsent) => S::ConsentReceived,
        (S::AwaitingConsent, K::DeclineConsent) => S::ConsentDeclined,
        (S::CustomerClaimed | S::AwaitingConsent, K::Expire) => S::ConsentExpired,
        // "any state before first submit --partner cancels--> Canceled".
        (S::CustomerClaimed | S::AwaitingConsent | S::ConsentReceived, K::Cancel) => S::Canceled,
        (S::ConsentReceived, K::Submit) => S::Submitted,
        (S::ConsentReceived, K::Expire) => S::NotSubmittedExpired,
        (S::Submitted, K::StartReview) => S::UnderReview,
        (S::UnderReview, K::RequestInfo) => S::PartnerActionRequired,
        (S::PartnerActionRequired, K::Resubmit) => S::Submitted,
        (S::PartnerActionRequired, K::Expire) => S::PostSubmissionExpired,
        (S::UnderReview, K::Approve) => S::Approved,
        (S::Approved, K::MarkPaid) => S::Completed,
        // "post-dispute review --reject--> RejectedFinal".
        (S::UnderReview, K::Reject) if disputed => S::RejectedFinal,
        (S::UnderReview, K::Reject) => S::Rejected,
        (S::Rejected, K::Dispute) => S::Disputed,
        (S::Disputed, K::Resubmit) => S::Submitted,
        (S::Rejected | S::Disputed, K::Expire) => S::DisputedExpired,
        // Self-loops.
        (
            s @ (S::CustomerClaimed
            | S::AwaitingConsent
            | S::ConsentReceived
            | S::PartnerActionRequired
            | S::Disputed),
            K::Edit,
        ) => s,
        (s @ (S::ConsentReceived | S::PartnerActionRequired | S::Disputed), K::AddEvidence) => s,
        (s @ (S::CustomerClaimed | S::AwaitingConsent | S::ConsentReceived), K::LinkReferral) => s,
        _ => return None,
    })
}

/// The *_expired states: once there, a claim never changes again ("no reactivation").
fn expired(state: S) -> bool {
    matches!(
        state,
        S::ConsentExpired | S::NotSubmittedExpired | S::PostSubmissionExpired | S::DisputedExpired
    )
}

/// Who may issue `kind` (domain.md section 7 and the module's choices): the Incentives user
/// runs the consent and evidence steps, everything else a partner does needs the Incentives
/// admin; the timer (or the application) expires and records the referral.
fn may_issue(who: Who, kind: Kind) -> bool {
    use Kind as K;
    match kind {
        K::SendConsent | K::ResendConsent | K::AddEvidence => {
            matches!(
                who,
                Who::Admin | Who::User | Who::OtherAdmin | Who::AccountAdmin
            )
        }
        K::Edit | K::Submit | K::Cancel | K::Resubmit | K::Dispute => {
            matches!(who, Who::Admin | Who::OtherAdmin | Who::AccountAdmin)
        }
        K::AcceptConsent | K::DeclineConsent => matches!(who, Who::Customer | Who::Stranger),
        K::StartReview | K::RequestInfo | K::Approve | K::Reject | K::MarkPaid => {
            who == Who::Reviewer
        }
        K::Expire | K::LinkReferral => who == Who::System,
        _ => false,
    }
}

/// The model's view of a claim.
#[derive(Debug, Clone)]
struct Model {
    eng: Eng,
    /// The hours of a variable-pay claim, fixed at creation.
    hours: Option<u32>,
    created: DateTime<Utc>,
    state: S,
    consented: Option<DateTime<Utc>>,
    rejected: Option<DateTime<Utc>>,
    /// When a dispute was answered with a resubmission.
    dispute_resubmitted: Option<DateTime<Utc>>,
    /// The estimated deal size in cents, fixed by the consent email.
    deal: Option<u64>,
    /// The evidence added, oldest first.
    evidence: Vec<EvidenceKind>,
    customer_contact: u8,
    company_contact: u8,
    renamed: bool,
    disputed: bool,
    submitted: bool,
    referral: bool,
    /// The time of the last accepted command.
    last_change: DateTime<Utc>,
    /// The latest time a step was issued at: later steps are generated from it.
    clock: DateTime<Utc>,
    history: usize,
    /// The last step's predicted outcome: accepted, or the code of the refusal.
    outcome: Result<(), &'static str>,
    /// The prediction for the timer (`expire(now)`) at the last step's time, on the claim as
    /// it was before the step: the state it expires to, nothing due, or the refusal's code.
    sweep: Result<Option<S>, &'static str>,
}

impl Model {
    fn new(eng: Eng, hours: Option<u32>, created: DateTime<Utc>) -> Self {
        Self {
            eng,
            hours,
            created,
            state: S::CustomerClaimed,
            consented: None,
            rejected: None,
            dispute_resubmitted: None,
            deal: None,
            evidence: Vec::new(),
            customer_contact: 0,
            company_contact: 0,
            renamed: false,
            disputed: false,
            submitted: false,
            referral: false,
            last_change: created,
            clock: created,
            history: 1,
            outcome: Ok(()),
            sweep: Ok(None),
        }
    }

    fn missing(&self) -> Vec<EvidenceKind> {
        self.eng
            .required()
            .into_iter()
            .filter(|k| !self.evidence.contains(k))
            .collect()
    }

    /// The moment the timer acts on the claim (domain.md section 6.2, calendar days).
    fn deadline(&self) -> Option<DateTime<Utc>> {
        let (first_submit, review) = self.eng.days_from_consent();
        let after = |from: Option<DateTime<Utc>>, days: u64| from.map(|at| at + Days::new(days));
        match self.state {
            S::CustomerClaimed | S::AwaitingConsent => after(Some(self.created), CONSENT_DAYS),
            S::ConsentReceived => after(self.consented, first_submit),
            // One fresh window after a dispute's resubmission, for any further info requests.
            S::PartnerActionRequired => match self.dispute_resubmitted {
                Some(at) => after(Some(at), POST_DISPUTE_DAYS),
                None => after(self.consented, review),
            },
            // The dispute and its resubmission both fit in the window from the rejection.
            S::Rejected | S::Disputed => after(self.rejected, DISPUTE_DAYS),
            _ => None,
        }
    }

    /// Every deadline the claim has or may come to have, for the step times to aim at.
    fn deadlines(&self) -> Vec<DateTime<Utc>> {
        let (first_submit, review) = self.eng.days_from_consent();
        let mut all = vec![self.created + Days::new(CONSENT_DAYS)];
        if let Some(at) = self.consented {
            all.extend([at + Days::new(first_submit), at + Days::new(review)]);
        }
        if let Some(at) = self.rejected {
            all.push(at + Days::new(DISPUTE_DAYS));
        }
        if let Some(at) = self.dispute_resubmitted {
            all.push(at + Days::new(POST_DISPUTE_DAYS));
        }
        all
    }

    /// The claim after `step`, or the code of its refusal.
    fn step(&self, step: &Step) -> Result<Self, &'static str> {
        // Section 7: a claim of a location the user may not act for, or about another
        // customer, looks exactly like a missing one.
        if step.who == Who::OtherAdmin {
            return Err("activity.not_found");
        }
        // Whether the actor's kind may issue the command says nothing about the claim.
        let kind = step.cmd.kind();
        if !may_issue(step.who, kind) {
            return Err("activity.forbidden");
        }
        if step.who == Who::Stranger {
            return Err("activity.not_found");
        }
        if step.other_year {
            return Err("activity.catalog_mismatch");
        }
        let Some(to) = next_state(self.state, kind, self.disputed) else {
            return Err("activity.invalid_state");
        };
        let at = step.at;
        if at < self.last_change {
            return Err("activity.time_went_back");
        }
        // Half-open deadlines: at the deadline the claim expires, and only `expire` may act.
        match (kind, self.deadline()) {
            (Kind::Expire, Some(due)) if at >= due => {}
            (Kind::Expire, _) => return Err("activity.not_due"),
            (_, Some(due)) if at >= due => return Err("activity.deadline_passed"),
            _ => {}
        }
        let mut next = self.clone();
        match &step.cmd {
            Cmd::SendConsent(cents) => next.deal = Some(*cents),
            Cmd::AcceptConsent => next.consented = Some(at),
            Cmd::Edit(spec) => {
                // Section 5.3: the hours never change; the deal size is fixed by the first
                // consent email (an edit carrying a different value is refused); the customer
                // contact locks once the customer survey is completed. The own company contact
                // is no customer contact: it stays editable.
                if spec.hours.is_some() && spec.hours != self.hours {
                    return Err("activity.hours_immutable");
                }
                if spec.deal.is_some() && spec.deal != self.deal {
                    return Err("activity.deal_size_immutable");
                }
                let survey = self.evidence.contains(&EvidenceKind::CustomerSurvey);
                if survey
                    && spec
                        .customer_contact
                        .is_some_and(|c| c != self.customer_contact)
                {
                    return Err("activity.contacts_locked");
                }
                next.renamed |= spec.rename;
                if let Some(c) = spec.customer_contact {
                    next.customer_contact = c;
                }
                if let Some(c) = spec.company_contact {
                    next.company_contact = c;
                }
            }
            Cmd::AddEvidence(kind) => next.evidence.push(*kind),
            Cmd::Submit | Cmd::Resubmit => {
                if !self.missing().is_empty() {
                    return Err("activity.evidence_missing");
                }
                next.submitted = true;
                if self.state == S::Disputed {
                    next.dispute_resubmitted = Some(at);
                }
            }
            Cmd::Reject => next.rejected = Some(at),
            Cmd::Dispute => next.disputed = true,
            Cmd::LinkReferral => {
                if self.referral {
                    return Err("activity.referral_already_linked");
                }
                next.referral = true;
            }
            Cmd::ResendConsent
            | Cmd::DeclineConsent
            | Cmd::Cancel
            | Cmd::StartReview
            | Cmd::RequestInfo
            | Cmd::Approve
            | Cmd::MarkPaid
            | Cmd::Expire => {}
        }
        next.state = to;
        next.last_change = at;
        next.history += 1;
        Ok(next)
    }
}

/// The reference state machine.
struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        (
            proptest::sample::select(ENGAGEMENTS.to_vec()),
            1..=400_u32,
            0..=60 * 24 * 3600_i64,
        )
            .prop_map(|(eng, hours, seconds)| {
                let hours = eng.variable_pay().then_some(hours);
                Model::new(eng, hours, t0() + Duration::seconds(seconds))
            })
            .boxed()
    }

    fn transitions(model: &Model) -> BoxedStrategy<Step> {
        let command = prop_oneof![1 => any_command(model), 6 => likely_command(model)];
        let issued = command.prop_flat_map(|cmd| {
            let proper: Vec<Who> = EVERYONE
                .into_iter()
                .filter(|who| {
                    !matches!(who, Who::OtherAdmin | Who::Stranger) && may_issue(*who, cmd.kind())
                })
                .collect();
            let who = prop_oneof![
                6 => proptest::sample::select(proper),
                1 => proptest::sample::select(EVERYONE.to_vec()),
            ];
            (Just(cmd), who)
        });
        (time(model), issued, proptest::bool::weighted(0.02))
            .prop_map(|(at, (cmd, who), other_year)| Step {
                at,
                who,
                cmd,
                other_year,
            })
            .boxed()
    }

    fn apply(mut model: Model, step: &Step) -> Model {
        // The timer at this moment: it acts only once a deadline is due, as the system's
        // `expire`.
        let sweep = match model.deadline() {
            Some(due) if step.at >= due => {
                let expire = Step {
                    who: Who::System,
                    cmd: Cmd::Expire,
                    other_year: false,
                    at: step.at,
                };
                model.step(&expire).map(|m| Some(m.state))
            }
            _ => Ok(None),
        };
        let outcome = match model.step(step) {
            Ok(next) => {
                model = next;
                Ok(())
            }
            Err(code) => Err(code),
        };
        model.outcome = outcome;
        model.sweep = sweep;
        model.clock = model.clock.max(step.at);
        model
    }
}

/// When the next step happens: from the model's clock, forward by seconds to ~100 days, at a
/// deadline (a second before, at, a second after), at the same moment, or a little back.
fn time(model: &Model) -> BoxedStrategy<DateTime<Utc>> {
    let base = model.clock;
    let around = |d: DateTime<Utc>| [d - Duration::seconds(1), d, d + Duration::seconds(1)];
    let future = |points: Vec<DateTime<Utc>>| {
        let mut points: Vec<_> = points.into_iter().filter(|d| *d >= base).collect();
        if points.is_empty() {
            points.push(base + Duration::seconds(1));
        }
        proptest::sample::select(points)
    };
    // The current deadline, and any deadline the claim may come to have.
    let current = future(model.deadline().into_iter().flat_map(around).collect());
    let any = future(model.deadlines().into_iter().flat_map(around).collect());
    let seconds =
        move |from: i64, to: i64| (from..=to).prop_map(move |s| base + Duration::seconds(s));
    // The review and dispute windows are long: aim at them more often once they run.
    let current_weight = match model.state {
        S::PartnerActionRequired | S::Rejected | S::Disputed => 6,
        _ => 1,
    };
    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    prop_oneof![
        3 => Just(base),
        16 => seconds(1, HOUR),
        20 => seconds(HOUR, 48 * HOUR),
        3 => seconds(2 * DAY, 20 * DAY),
        1 => seconds(20 * DAY, 100 * DAY),
        current_weight => current,
        1 => any,
        1 => (1..=HOUR).prop_map(move |s| base - Duration::seconds(s)),
    ]
    .boxed()
}

/// Any command of `kind`, with data that may or may not fit `model`.
fn command_of(kind: Kind, model: &Model) -> BoxedStrategy<Cmd> {
    let deal = proptest::sample::select(DEALS.to_vec());
    match kind {
        Kind::SendConsent => deal.prop_map(Cmd::SendConsent).boxed(),
        Kind::ResendConsent => Just(Cmd::ResendConsent).boxed(),
        Kind::AcceptConsent => Just(Cmd::AcceptConsent).boxed(),
        Kind::DeclineConsent => Just(Cmd::DeclineConsent).boxed(),
        Kind::Edit => {
            let same_hours = model.hours.unwrap_or(30);
            let hours = prop_oneof![
                4 => Just(None),
                2 => Just(Some(same_hours)),
                1 => (1..=400_u32).prop_map(Some),
            ];
            let same_deal = model.deal.unwrap_or(DEALS[1]);
            let deal = prop_oneof![
                4 => Just(None),
                2 => Just(Some(same_deal)),
                1 => deal.prop_map(Some),
            ];
            let contact =
                || prop_oneof![2 => Just(None), 1 => Just(Some(0_u8)), 1 => Just(Some(1_u8))];
            (any::<bool>(), hours, deal, contact(), contact())
                .prop_map(|(rename, hours, deal, customer_contact, company_contact)| {
                    Cmd::Edit(EditSpec {
                        rename,
                        hours,
                        deal,
                        customer_contact,
                        company_contact,
                    })
                })
                .boxed()
        }
        Kind::AddEvidence => {
            let all = proptest::sample::select(EvidenceKind::ALL.to_vec());
            let missing = model.missing();
            if missing.is_empty() {
                all.prop_map(Cmd::AddEvidence).boxed()
            } else {
                prop_oneof![3 => proptest::sample::select(missing), 1 => all]
                    .prop_map(Cmd::AddEvidence)
                    .boxed()
            }
        }
        Kind::Submit => Just(Cmd::Submit).boxed(),
        Kind::Cancel => Just(Cmd::Cancel).boxed(),
        Kind::StartReview => Just(Cmd::StartReview).boxed(),
        Kind::RequestInfo => Just(Cmd::RequestInfo).boxed(),
        Kind::Resubmit => Just(Cmd::Resubmit).boxed(),
        Kind::Approve => Just(Cmd::Approve).boxed(),
        Kind::Reject => Just(Cmd::Reject).boxed(),
        Kind::MarkPaid => Just(Cmd::MarkPaid).boxed(),
        Kind::Dispute => Just(Cmd::Dispute).boxed(),
        Kind::Expire => Just(Cmd::Expire).boxed(),
        Kind::LinkReferral => Just(Cmd::LinkReferral).boxed(),
        _ => unreachable!("{kind}"),
    }
}

fn any_command(model: &Model) -> BoxedStrategy<Cmd> {
    Union::new(KINDS.map(|kind| command_of(kind, model))).boxed()
}

/// A command the lifecycle allows in the model's state (its guards may still refuse it),
/// weighted so that sequences get deep into the lifecycle; any command in a final state.
fn likely_command(model: &Model) -> BoxedStrategy<Cmd> {
    // Past the deadline only the timer may act: let it, mostly.
    let overdue = model.deadline().is_some_and(|due| model.clock >= due);
    let complete = model.missing().is_empty();
    let weight = |kind| match kind {
        Kind::Expire if overdue => 200,
        Kind::Cancel | Kind::DeclineConsent | Kind::Expire => 1,
        Kind::Edit | Kind::LinkReferral | Kind::ResendConsent => 4,
        Kind::Submit | Kind::Resubmit if !complete => 4,
        Kind::AddEvidence if complete => 4,
        Kind::AddEvidence => 30,
        _ => 20,
    };
    let allowed: Vec<_> = KINDS
        .into_iter()
        .filter(|kind| next_state(model.state, *kind, model.disputed).is_some())
        .map(|kind| (weight(kind), command_of(kind, model)))
        .collect();
    if allowed.is_empty() {
        any_command(model)
    } else {
        Union::new_weighted(allowed).boxed()
    }
}

// ---------------------------------------------------------------------------------------------
// The system under test and the invariants.
// ---------------------------------------------------------------------------------------------

struct ClaimTest;

fn ever_submitted(claim: &ActivityClaim) -> bool {
    claim
        .history()
        .iter()
        .any(|e| e.command == ActivityCommandKind::Submit)
}

impl StateMachineTest for ClaimTest {
    type SystemUnderTest = ActivityClaim;
    type Reference = Reference;

    fn init_test(model: &Model) -> ActivityClaim {
        let mut n = nomination(model.eng.customer(), &[model.eng.key()], model.hours);
        n.name = text(CLAIM_NAME);
        let mut made = add_customer(&n, &admin(), model.created, &CATALOG, &*FACTS, &[]).unwrap();
        assert_eq!(made.len(), 1);
        made.remove(0).claim
    }

    fn apply(before: ActivityClaim, model: &Model, step: Step) -> ActivityClaim {
        let command = step.cmd.command();
        let actor = step.who.acting(&before);
        let catalog: &Catalog = if step.other_year {
            &OTHER_YEAR
        } else {
            &CATALOG
        };
        let context = || {
            format!(
                "{:?} by {:?} at {} on {:?} in {}",
                step.cmd,
                step.who,
                step.at,
                model.eng,
                before.state()
            )
        };

        // 7. The timer at this moment agrees with the model's deadline.
        match (before.expire(step.at, &CATALOG, &*FACTS), model.sweep) {
            (Ok(None), Ok(None)) => {}
            (Ok(Some(t)), Ok(Some(state))) => {
                assert_eq!(t.claim.state(), state, "sweep: {}", context());
                assert_eq!(t.claim.history().len(), before.history().len() + 1);
                let entry = t.claim.history().last().unwrap();
                assert_eq!(entry.command, ActivityCommandKind::Expire);
                assert_eq!((entry.at, &entry.actor), (step.at, &Actor::System));
                assert!(step.at >= before.next_deadline().unwrap());
            }
            (Err(e), Err(code)) => assert_eq!(e.code(), code, "sweep: {}", context()),
            (real, predicted) => panic!(
                "sweep: {}: got {real:?}, model says {predicted:?}",
                context()
            ),
        }

        let result = before.transition(&command, &actor, step.at, catalog, &*FACTS);
        // The in-place twin must agree with the pure transition.
        let mut in_place = before.clone();
        let in_place_result = in_place.apply(&command, &actor, step.at, catalog, &*FACTS);

        let after = match (result, model.outcome) {
            (Err(error), Err(code)) => {
                // 1. Refused with the model's code.
                assert_eq!(error.code(), code, "{}: {error}", context());
                // 2. A refused command leaves the claim equal to before, with no new history.
                assert_eq!(in_place_result, Err(error), "{}", context());
                assert_eq!(
                    in_place,
                    before,
                    "a refused {} changed the claim",
                    context()
                );
                before.clone()
            }
            (Ok(t), Ok(())) => {
                assert_eq!(in_place_result.as_ref(), Ok(&t.events), "{}", context());
                assert_eq!(in_place, t.claim, "{}", context());
                check_accepted(&before, &t.claim, &t.events, model, &step);
                t.claim
            }
            (Err(error), Ok(())) => panic!(
                "{}: refused with {error} ({}), model accepts",
                context(),
                error.code()
            ),
            (Ok(t), Err(code)) => panic!(
                "{}: accepted (now {}), model refuses with {code}",
                context(),
                t.claim.state()
            ),
        };

        // 3. Cancel never happens after a submit.
        if ever_submitted(&before) {
            assert_ne!(
                after.state(),
                S::Canceled,
                "canceled after a submit: {}",
                context()
            );
        }
        // 4. An expired claim stays expired.
        if expired(before.state()) {
            assert_eq!(after.state(), before.state(), "{}", context());
        }
        // 5. The hours never change; the deal size never changes once set.
        assert_eq!(after.variable_pay(), before.variable_pay(), "{}", context());
        if before.estimated_deal_size().is_some() {
            assert_eq!(
                after.estimated_deal_size(),
                before.estimated_deal_size(),
                "{}",
                context()
            );
        }
        after
    }

    fn check_invariants(claim: &ActivityClaim, model: &Model) {
        // 0. The claim passes the validator and round-trips unchanged.
        assert_sound(claim.clone(), &CATALOG);
        // 1. The state is the model's.
        assert_eq!(claim.state(), model.state, "state");
        // 6. One history entry per accepted command, plus the creation.
        assert_eq!(claim.history().len(), model.history, "history length");
        // 7. The deadline is the model's.
        assert_eq!(
            claim.next_deadline(),
            model.deadline(),
            "deadline in {}",
            model.state
        );
        assert_eq!(claim.created_at(), model.created);
        assert_eq!(claim.consented_at(), model.consented);
        assert_eq!(claim.is_disputed(), model.disputed);
        assert_eq!(claim.was_submitted(), model.submitted);
        assert_eq!(ever_submitted(claim), model.submitted);
        // 3. Never canceled once submitted.
        if model.submitted {
            assert_ne!(claim.state(), S::Canceled);
        }
        // 5. Hours from creation, deal size from the first consent email.
        assert_eq!(claim.variable_pay().map(|v| v.hours), model.hours);
        assert_eq!(claim.estimated_deal_size(), model.deal.map(Usd::from_cents));
        // Evidence and contacts.
        let kinds: Vec<_> = claim.evidence().iter().map(|e| e.kind).collect();
        assert_eq!(kinds, model.evidence);
        assert_eq!(claim.missing_evidence(&catalog()), model.missing());
        assert_eq!(
            claim.customer_contact(),
            &customer_contact_variant(model.customer_contact)
        );
        assert_eq!(
            claim.company_contact(),
            &company_contact_variant(model.company_contact)
        );
        let name = if model.renamed { NEW_NAME } else { CLAIM_NAME };
        assert_eq!(claim.name().as_str(), name);
        assert_eq!(claim.state().is_expired(), expired(model.state));
    }
}

/// The checks of an accepted command.
fn check_accepted(
    before: &ActivityClaim,
    after: &ActivityClaim,
    events: &[ActivityEvent],
    model: &Model,
    step: &Step,
) {
    let kind = step.cmd.kind();
    // 6. Exactly one new history entry, saying who did what, when.
    assert_eq!(after.history().len(), before.history().len() + 1);
    assert_eq!(&after.history()[..before.history().len()], before.history());
    let entry = after.history().last().unwrap();
    assert_eq!(entry.at, step.at);
    assert_eq!(entry.actor, step.who.acting(before));
    assert_eq!(entry.command, kind);
    assert_eq!(entry.from, Some(before.state()));
    assert_eq!(entry.to, model.state);
    assert_eq!(
        events.last(),
        Some(&ActivityEvent::Transitioned {
            command: kind,
            from: Some(before.state()),
            to: model.state,
        })
    );
    if let Cmd::SendConsent(_) = step.cmd {
        assert!(events.iter().any(|e| matches!(
            e,
            ActivityEvent::ConsentEmailRequested {
                reminder: false,
                ..
            }
        )));
    }
    if kind == Kind::Approve {
        let amount = after.variable_pay().map(|v| v.proposed_payout);
        assert!(events.contains(&ActivityEvent::PayoutDue { amount }));
    }
}

prop_state_machine! {
    #![proptest_config(proptest_config(1000, "proptest-regressions/activity_model.txt"))]

    #[test]
    fn activity_claims_follow_the_model(sequential 1..30 => ClaimTest);
}

// ---------------------------------------------------------------------------------------------
// The model's own arithmetic, pinned against the fixtures.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_model_deadlines_match_the_fixture_paths() {
    for eng in ENGAGEMENTS {
        let (first_submit, review) = eng.days_from_consent();
        let (claim, _) = activity_in(eng.key(), S::CustomerClaimed);
        assert_eq!(claim.next_deadline(), Some(t0() + Days::new(CONSENT_DAYS)));
        let (claim, _) = activity_in(eng.key(), S::ConsentReceived);
        let consented = claim.consented_at().unwrap();
        assert_eq!(
            claim.next_deadline(),
            Some(consented + Days::new(first_submit))
        );
        let (claim, _) = activity_in(eng.key(), S::PartnerActionRequired);
        assert_eq!(claim.next_deadline(), Some(consented + Days::new(review)));
        assert_eq!(
            claim.missing_evidence(&catalog()),
            Vec::<EvidenceKind>::new(),
            "{eng:?}"
        );
        let (claim, _) = activity_in(eng.key(), S::ConsentReceived);
        assert_eq!(
            claim.missing_evidence(&catalog()),
            eng.required(),
            "{eng:?}"
        );
    }
}
