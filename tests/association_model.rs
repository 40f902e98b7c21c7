//! Model-based test of the association claim lifecycle (domain.md section 6.1), with
//! proptest-state-machine.
//!
//! A small reference model, written from domain.md and the "Choices" of
//! `cpor::association`, not from the implementation, predicts for every generated command
//! whether it is accepted (or the code of its refusal) and what the claim looks like after it.
//! The real [`AssociationClaim`] is driven through [`AssociationClaim::transition`] with the
//! same commands, actors and times, and the invariants are checked after every step.
//!
//! Commands are generated valid and invalid alike: every command kind, by every kind of
//! actor, at times that move forward by minutes to ~40 days (sometimes back), landing on
//! weekends, on the holidays of the test calendar, and exactly on the deadlines.

mod common;

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc, Weekday};
use common::*;
use cpor::association::{
    Acknowledgement, Arbitration, Association, AssociationClaim, AssociationCommand,
    AssociationEvent, AssociationForm, AssociationState, CommandKind, CustomerContactForm,
    EndReason, InfoRequestReason, RejectionReason, ResubmitForm, ReviewRejection,
};
use cpor::calendar::BusinessCalendar;
use cpor::{Actor, Catalog, Locations, PartnerId};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

// ---------------------------------------------------------------------------------------------
// The calendar: weekends plus a handful of holidays in the generated range (early 2026).
// ---------------------------------------------------------------------------------------------

/// The holidays of the test calendar. 4 July 2026 is a Saturday: a holiday on a weekend.
const HOLIDAYS: [(i32, u32, u32); 10] = [
    (2026, 1, 1),
    (2026, 1, 19),
    (2026, 2, 16),
    (2026, 3, 9),
    (2026, 4, 3),
    (2026, 4, 6),
    (2026, 5, 1),
    (2026, 5, 25),
    (2026, 7, 4),
    (2026, 12, 25),
];

fn holidays() -> Vec<NaiveDate> {
    HOLIDAYS
        .iter()
        .map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
        .collect()
}

/// The built-in catalog with the holiday calendar.
static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut raw = Catalog::builtin().into_raw();
    raw.calendar = BusinessCalendar::new([Weekday::Sat, Weekday::Sun], holidays()).unwrap();
    Catalog::new(raw).unwrap()
});

/// A catalog of another program year: every command given it is refused.
static OTHER_YEAR: LazyLock<Catalog> = LazyLock::new(Catalog::fy20);

/// The model's own business-day arithmetic, day by day: the `n`-th business day strictly after
/// the UTC date of `at`, at the same time of day.
fn add_business_days(at: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    let holidays = holidays();
    let mut date = at.date_naive();
    let mut left = n;
    while left > 0 {
        date = date.succ_opt().unwrap();
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        if !weekend && !holidays.contains(&date) {
            left -= 1;
        }
    }
    date.and_time(at.time()).and_utc()
}

const OPT_OUT_BUSINESS_DAYS: u32 = 5;
const INFO_REQUEST_BUSINESS_DAYS: u32 = 14;
const DISPUTE_DAYS: u64 = 30;

/// The claim under test is always `claim_id(1)`; arbitration names other claims.
const OWN_ID: u128 = 1;

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
    /// An Incentives admin of `other_partner()`.
    OtherAdmin,
    /// An Incentives admin acting at `partner()` and entitled to `other_partner()` too: it may
    /// act on the claims of both, and move a claim from one to the other.
    AccountAdmin,
    Reviewer,
    /// The customer of the claim's tenant.
    Customer,
    /// A customer of another tenant: every claim looks missing to it.
    Stranger,
    System,
}

const EVERYONE: [Who; 8] = [
    Who::Admin,
    Who::User,
    Who::OtherAdmin,
    Who::AccountAdmin,
    Who::Reviewer,
    Who::Customer,
    Who::Stranger,
    Who::System,
];

/// A partner location of the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location {
    Home,
    Other,
}

impl Location {
    fn id(self) -> PartnerId {
        match self {
            Self::Home => partner(),
            Self::Other => other_partner(),
        }
    }

    fn admin(self) -> Who {
        match self {
            Self::Home => Who::Admin,
            Self::Other => Who::OtherAdmin,
        }
    }
}

impl Who {
    fn actor(self) -> Actor {
        match self {
            Self::Admin => admin(),
            Self::User => incentives_user(),
            Self::OtherAdmin => admin_of(other_partner()),
            Self::AccountAdmin => admin().with_locations(Locations::of([other_partner()]).unwrap()),
            Self::Reviewer => reviewer(),
            Self::Customer => customer(),
            Self::Stranger => Actor::customer(cpor::CustomerId::Tenant(
                "5e5e5e5e-5e5e-4e5e-8e5e-5e5e5e5e5e5e".parse().unwrap(),
            )),
            Self::System => Actor::System,
        }
    }

    /// The locations a partner user may act for.
    fn locations(self) -> Option<&'static [Location]> {
        match self {
            Self::Admin | Self::User => Some(&[Location::Home]),
            Self::OtherAdmin => Some(&[Location::Other]),
            Self::AccountAdmin => Some(&[Location::Home, Location::Other]),
            Self::Reviewer | Self::Customer | Self::Stranger | Self::System => None,
        }
    }
}

/// The solution area of the claim's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    ModernWork,
    BusinessApplications,
}

/// The form of an `EditDraft`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormSpec {
    ModernWork,
    ModernWorkRenamed,
    BusinessApplications,
    Broken(Broken),
}

/// How a form is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    EmptyName,
    UnknownWorkload,
    BadTenant,
    NoSubscription,
    BadEmail,
}

impl FormSpec {
    fn form(self) -> AssociationForm {
        match self {
            Self::ModernWork => mws_form(),
            Self::ModernWorkRenamed => AssociationForm {
                name: "Contoso Teams rollout, phase 2".into(),
                workloads: vec!["teams".into()],
                ..mws_form()
            },
            Self::BusinessApplications => bizapps_form(),
            Self::Broken(Broken::EmptyName) => AssociationForm {
                name: String::new(),
                ..mws_form()
            },
            Self::Broken(Broken::UnknownWorkload) => AssociationForm {
                workloads: vec!["minecraft".into()],
                ..mws_form()
            },
            Self::Broken(Broken::BadTenant) => AssociationForm {
                tenant: "not-a-tenant".into(),
                ..mws_form()
            },
            Self::Broken(Broken::NoSubscription) => AssociationForm {
                subscription: String::new(),
                ..bizapps_form()
            },
            Self::Broken(Broken::BadEmail) => {
                let mut form = mws_form();
                form.customer_contact.email = "megan-at-contoso".into();
                form
            }
        }
    }

    /// The area of a valid form; `None` for a broken one.
    fn area(self) -> Option<Area> {
        match self {
            Self::ModernWork | Self::ModernWorkRenamed => Some(Area::ModernWork),
            Self::BusinessApplications => Some(Area::BusinessApplications),
            Self::Broken(_) => None,
        }
    }
}

/// The workloads of a `Resubmit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workloads {
    ModernWorkPair,
    Intune,
    PowerBi,
    Empty,
    Unknown,
    Duplicate,
}

impl Workloads {
    fn values(self) -> Vec<String> {
        let keys: &[&str] = match self {
            Self::ModernWorkPair => &["teams", "sharepoint"],
            Self::Intune => &["intune"],
            Self::PowerBi => &["power_bi"],
            Self::Empty => &[],
            Self::Unknown => &["minecraft"],
            Self::Duplicate => &["teams", "teams"],
        };
        keys.iter().map(|k| (*k).to_string()).collect()
    }

    /// Whether these workloads are valid for a claim of `area`.
    fn valid_for(self, area: Area) -> bool {
        match self {
            Self::ModernWorkPair | Self::Intune => area == Area::ModernWork,
            Self::PowerBi => area == Area::BusinessApplications,
            Self::Empty | Self::Unknown | Self::Duplicate => false,
        }
    }
}

/// A new partner location on a `Resubmit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NewLocation {
    To(Location),
    Garbage,
}

/// The changes of a `Resubmit`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ResubmitSpec {
    partner: Option<NewLocation>,
    workloads: Option<Workloads>,
    /// A new customer contact: with a valid email or not.
    contact: Option<bool>,
    comments: Option<&'static str>,
    poe: u8,
}

impl ResubmitSpec {
    fn form(&self) -> ResubmitForm {
        ResubmitForm {
            partner: self.partner.map(|p| match p {
                NewLocation::To(location) => location.id().to_string(),
                NewLocation::Garbage => "45x".into(),
            }),
            workloads: self.workloads.map(Workloads::values),
            customer_contact: self.contact.map(|valid| CustomerContactForm {
                name: "Nestor Wilke".into(),
                title: "CTO".into(),
                email: if valid {
                    "nestor@contoso.com".into()
                } else {
                    "nestor(at)contoso".into()
                },
            }),
            company_contact: None,
            poe: (0..self.poe).map(|i| format!("sow-v{i}.pdf")).collect(),
            comments: self.comments.map(str::to_string),
        }
    }

    fn valid_for(&self, area: Area) -> bool {
        self.partner != Some(NewLocation::Garbage)
            && self.workloads.is_none_or(|w| w.valid_for(area))
            && self.contact != Some(false)
    }
}

/// A command, as generated; turned into an [`AssociationCommand`] for the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cmd {
    EditDraft(FormSpec),
    AttachPoe,
    Submit(Acknowledgement),
    Withdraw,
    StartReview,
    RequestInfo(InfoRequestReason),
    /// Plain, or superseding the claim with this number.
    Approve(Option<u128>),
    Reject(ReviewRejection),
    Resubmit(ResubmitSpec),
    Expire,
    Decline,
    Disassociate,
    Supersede(u128),
    Dispute,
    ApproveDispute,
    RejectDispute,
}

/// The kind of a [`Cmd`], for the model's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    EditDraft,
    AttachPoe,
    Submit,
    Withdraw,
    StartReview,
    RequestInfo,
    Approve,
    Reject,
    Resubmit,
    Expire,
    Decline,
    Disassociate,
    Supersede,
    Dispute,
    ApproveDispute,
    RejectDispute,
}

const KINDS: [Kind; 16] = [
    Kind::EditDraft,
    Kind::AttachPoe,
    Kind::Submit,
    Kind::Withdraw,
    Kind::StartReview,
    Kind::RequestInfo,
    Kind::Approve,
    Kind::Reject,
    Kind::Resubmit,
    Kind::Expire,
    Kind::Decline,
    Kind::Disassociate,
    Kind::Supersede,
    Kind::Dispute,
    Kind::ApproveDispute,
    Kind::RejectDispute,
];

impl Cmd {
    fn kind(&self) -> Kind {
        match self {
            Self::EditDraft(_) => Kind::EditDraft,
            Self::AttachPoe => Kind::AttachPoe,
            Self::Submit(_) => Kind::Submit,
            Self::Withdraw => Kind::Withdraw,
            Self::StartReview => Kind::StartReview,
            Self::RequestInfo(_) => Kind::RequestInfo,
            Self::Approve(_) => Kind::Approve,
            Self::Reject(_) => Kind::Reject,
            Self::Resubmit(_) => Kind::Resubmit,
            Self::Expire => Kind::Expire,
            Self::Decline => Kind::Decline,
            Self::Disassociate => Kind::Disassociate,
            Self::Supersede(_) => Kind::Supersede,
            Self::Dispute => Kind::Dispute,
            Self::ApproveDispute => Kind::ApproveDispute,
            Self::RejectDispute => Kind::RejectDispute,
        }
    }

    fn command(&self) -> AssociationCommand {
        use AssociationCommand as C;
        match self {
            Self::EditDraft(spec) => C::EditDraft { form: spec.form() },
            Self::AttachPoe => C::AttachPoe {
                reference: text("sow-signed.pdf"),
            },
            Self::Submit(acknowledgement) => C::Submit {
                acknowledgement: *acknowledgement,
            },
            Self::Withdraw => C::Withdraw,
            Self::StartReview => C::StartReview,
            Self::RequestInfo(reason) => C::RequestInfo { reason: *reason },
            Self::Approve(None) => C::Approve {
                arbitration: Arbitration::None,
            },
            Self::Approve(Some(holder)) => C::Approve {
                arbitration: Arbitration::Supersedes(claim_id(*holder)),
            },
            Self::Reject(reason) => C::Reject { reason: *reason },
            Self::Resubmit(spec) => C::Resubmit {
                changes: spec.form(),
            },
            Self::Expire => C::Expire,
            Self::Decline => C::Decline,
            Self::Disassociate => C::Disassociate {
                reason: text("the customer moved to another partner"),
            },
            Self::Supersede(by) => C::Supersede { by: claim_id(*by) },
            Self::Dispute => C::Dispute {
                reason: text("the statement of work is signed"),
            },
            Self::ApproveDispute => C::ApproveDispute,
            Self::RejectDispute => C::RejectDispute,
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

/// The model's states (domain.md section 6.1, plus the withdrawn draft).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Draft,
    Submitted,
    UnderReview,
    ActionRequired,
    Approved,
    Rejected,
    Disputed,
    RejectedFinal,
    Withdrawn,
}

impl St {
    fn real(self) -> AssociationState {
        match self {
            Self::Draft => AssociationState::Draft,
            Self::Submitted => AssociationState::Submitted,
            Self::UnderReview => AssociationState::UnderReview,
            Self::ActionRequired => AssociationState::PartnerActionRequired,
            Self::Approved => AssociationState::Approved,
            Self::Rejected => AssociationState::Rejected,
            Self::Disputed => AssociationState::Disputed,
            Self::RejectedFinal => AssociationState::RejectedFinal,
            Self::Withdrawn => AssociationState::Withdrawn,
        }
    }

    fn terminal(self) -> bool {
        matches!(self, Self::RejectedFinal | Self::Withdrawn)
    }
}

/// The lifecycle of domain.md section 6.1: where `kind` leads from `state`, if anywhere.
fn next_state(state: St, kind: Kind) -> Option<St> {
    use Kind as K;
    use St as S;
    Some(match (state, kind) {
        (S::Draft, K::EditDraft | K::AttachPoe) => S::Draft,
        (S::Draft, K::Submit) => S::Submitted,
        (S::Draft, K::Withdraw) => S::Withdrawn,
        (S::Submitted, K::StartReview) => S::UnderReview,
        (S::UnderReview, K::RequestInfo) => S::ActionRequired,
        (S::UnderReview, K::Approve) => S::Approved,
        (S::UnderReview, K::Reject) => S::Rejected,
        // Section 5.3: the partner may change the PoE when action is required.
        (S::ActionRequired, K::AttachPoe) => S::ActionRequired,
        (S::ActionRequired, K::Resubmit) => S::Submitted,
        (S::ActionRequired, K::Expire) => S::Rejected,
        // The customer may decline any live claim after submission (a disputed one too: see
        // the choices of `cpor::association`).
        (
            S::Submitted | S::UnderReview | S::ActionRequired | S::Approved | S::Disputed,
            K::Decline,
        ) => S::Rejected,
        (S::Approved, K::Disassociate) => S::RejectedFinal,
        (S::Approved, K::Supersede) => S::Rejected,
        (S::Rejected, K::Dispute) => S::Disputed,
        (S::Disputed, K::ApproveDispute) => S::Approved,
        (S::Disputed, K::RejectDispute) => S::RejectedFinal,
        _ => return None,
    })
}

/// Who may issue `kind` (domain.md section 7).
fn issuer(kind: Kind) -> Who {
    use Kind as K;
    match kind {
        K::EditDraft
        | K::AttachPoe
        | K::Submit
        | K::Withdraw
        | K::Resubmit
        | K::Disassociate
        | K::Dispute => Who::Admin,
        K::StartReview
        | K::RequestInfo
        | K::Approve
        | K::Reject
        | K::Supersede
        | K::ApproveDispute
        | K::RejectDispute => Who::Reviewer,
        K::Decline => Who::Customer,
        K::Expire => Who::System,
    }
}

/// Whether `who` may issue `kind`, leaving visibility (the location check) aside.
fn may_issue(who: Who, kind: Kind) -> bool {
    match issuer(kind) {
        // An Incentives admin of the claim's own location (the location check comes first).
        Who::Admin => matches!(who, Who::Admin | Who::OtherAdmin | Who::AccountAdmin),
        Who::Customer => matches!(who, Who::Customer | Who::Stranger),
        issuer => who == issuer,
    }
}

/// The model's view of a claim.
#[derive(Debug, Clone)]
struct Model {
    /// When the draft was created, and with which form.
    created: DateTime<Utc>,
    initial: FormSpec,
    area: Area,
    owner: Location,
    state: St,
    poe: usize,
    /// The end of the opt-out window, fixed at the first submission.
    opt_out_until: Option<DateTime<Utc>>,
    approved_at: Option<DateTime<Utc>>,
    /// The open info request's deadline.
    info_due: Option<DateTime<Utc>>,
    /// The last rejection: why, when, and until when it can be disputed.
    rejection: Option<(RejectionReason, DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// When the customer last declined.
    declined_at: Option<DateTime<Utc>>,
    disputed: bool,
    /// The last end of the association.
    ended: Option<(DateTime<Utc>, EndReason)>,
    /// The time of the last accepted command.
    last_change: DateTime<Utc>,
    /// The latest time a step was issued at: later steps are generated from it.
    clock: DateTime<Utc>,
    /// The time of the last step.
    now: DateTime<Utc>,
    history: usize,
    /// The last step's predicted outcome: accepted, or the code of the refusal.
    outcome: Result<(), &'static str>,
    /// The last step's prediction for the timer sweep (`expire`) at that step's time, on the
    /// claim as it was before the step: `Ok(true)` if it fires, `Ok(false)` if nothing is
    /// due, or the code of the refusal.
    sweep: Result<bool, &'static str>,
}

impl Model {
    fn new(created: DateTime<Utc>, initial: FormSpec) -> Self {
        Self {
            created,
            initial,
            area: initial.area().unwrap(),
            owner: Location::Home,
            state: St::Draft,
            poe: 0,
            opt_out_until: None,
            approved_at: None,
            info_due: None,
            rejection: None,
            declined_at: None,
            disputed: false,
            ended: None,
            last_change: created,
            clock: created,
            now: created,
            history: 1,
            outcome: Ok(()),
            sweep: Ok(false),
        }
    }

    /// The claim after `step`, or the code of its refusal.
    fn step(&self, step: &Step) -> Result<Self, &'static str> {
        // Section 7: another partner location's claim looks exactly like a missing one, so
        // nothing else about the claim (not even its program year) may show first.
        if let Some(locations) = step.who.locations()
            && !locations.contains(&self.owner)
        {
            return Err("association.not_found");
        }
        if step.who == Who::Stranger {
            return Err("association.not_found");
        }
        if step.other_year {
            return Err("association.catalog_mismatch");
        }
        let kind = step.cmd.kind();
        if !may_issue(step.who, kind) {
            return Err("association.forbidden");
        }
        let Some(to) = next_state(self.state, kind) else {
            return Err("association.invalid_state");
        };
        let at = step.at;
        if at < self.last_change {
            return Err("association.time_went_back");
        }
        // From the info-request deadline on, the timer owns the claim: only its `expire` and a
        // customer's decline may act, whether or not the sweep has run yet.
        if let Some(deadline) = self.deadline()
            && at >= deadline
            && !matches!(kind, Kind::Expire | Kind::Decline)
        {
            return Err("association.deadline_passed");
        }
        let disputable_until = |from: DateTime<Utc>| Some(from + Days::new(DISPUTE_DAYS));
        let mut next = self.clone();
        match &step.cmd {
            Cmd::EditDraft(form) => {
                next.area = form.area().ok_or("association.invalid_form")?;
            }
            Cmd::AttachPoe => next.poe += 1,
            Cmd::Submit(acknowledgement) => {
                if self.poe == 0 {
                    return Err("association.poe_required");
                }
                if *acknowledgement != Acknowledgement::Given {
                    return Err("association.acknowledgement_required");
                }
                if self.opt_out_until.is_none() {
                    next.opt_out_until = Some(add_business_days(at, OPT_OUT_BUSINESS_DAYS));
                }
            }
            Cmd::Withdraw | Cmd::StartReview | Cmd::RejectDispute => {}
            Cmd::RequestInfo(_) => {
                next.info_due = Some(add_business_days(at, INFO_REQUEST_BUSINESS_DAYS));
            }
            Cmd::Approve(holder) => {
                if *holder == Some(OWN_ID) {
                    return Err("association.supersede_self");
                }
                next.approved_at = Some(at);
            }
            Cmd::ApproveDispute => next.approved_at = Some(at),
            Cmd::Reject(reason) => {
                next.rejection = Some(((*reason).into(), at, disputable_until(at)));
            }
            Cmd::Resubmit(changes) => {
                if !changes.valid_for(self.area) {
                    return Err("association.invalid_form");
                }
                if let Some(NewLocation::To(location)) = changes.partner {
                    // A move goes only to a location the user may act for.
                    if location != self.owner
                        && !step
                            .who
                            .locations()
                            .is_some_and(|ls| ls.contains(&location))
                    {
                        return Err("association.forbidden_location");
                    }
                    next.owner = location;
                }
                next.poe += usize::from(changes.poe);
                next.info_due = None;
            }
            Cmd::Expire => {
                let due = match self.info_due {
                    Some(due) if at >= due => due,
                    _ => return Err("association.not_due"),
                };
                next.info_due = None;
                // The no-response rejection dates from the deadline, not from the sweep, so a
                // late sweep does not lengthen the dispute window.
                next.rejection = Some((RejectionReason::NoResponse, due, disputable_until(due)));
            }
            Cmd::Decline => {
                if self.state == St::Approved {
                    next.ended = Some((at, EndReason::CustomerDeclined));
                }
                next.declined_at = Some(at);
                // A customer's decline is not disputable.
                next.rejection = Some((RejectionReason::CustomerDeclined, at, None));
            }
            Cmd::Disassociate => next.ended = Some((at, EndReason::Disassociated)),
            Cmd::Supersede(by) => {
                if *by == OWN_ID {
                    return Err("association.supersede_self");
                }
                next.ended = Some((at, EndReason::Superseded));
                next.rejection = Some((
                    RejectionReason::SupersededByArbitration,
                    at,
                    disputable_until(at),
                ));
            }
            Cmd::Dispute => {
                if self.disputed {
                    return Err("association.already_disputed");
                }
                let (_, _, until) = self.rejection.expect("a rejected claim has a rejection");
                match until {
                    None => return Err("association.not_disputable"),
                    Some(until) if at >= until => return Err("association.dispute_window_closed"),
                    Some(_) => {}
                }
                next.disputed = true;
            }
        }
        next.state = to;
        next.last_change = at;
        next.history += 1;
        Ok(next)
    }

    /// The next moment the timer changes the claim.
    fn deadline(&self) -> Option<DateTime<Utc>> {
        (self.state == St::ActionRequired)
            .then_some(self.info_due)
            .flatten()
    }

    /// Official: approved (by `now`), the opt-out window has passed, and no decline followed
    /// the approval.
    fn official(&self, now: DateTime<Utc>) -> bool {
        let declined_since = match (self.declined_at, self.approved_at) {
            (Some(declined), Some(approved)) => declined >= approved,
            _ => false,
        };
        self.state == St::Approved
            && self.approved_at.is_some_and(|approved| now >= approved)
            && self.opt_out_until.is_some_and(|until| now >= until)
            && !declined_since
    }

    /// Where the association stands at `now`.
    fn association(&self, now: DateTime<Utc>) -> Association {
        if self.state == St::Approved && self.approved_at.is_some_and(|approved| now < approved) {
            // Before the approval, there is no association yet (whatever came before it).
            Association::None
        } else if self.state == St::Approved {
            let until = self.opt_out_until.unwrap();
            if self.official(now) {
                Association::Official {
                    since: until.max(self.approved_at.unwrap()),
                }
            } else {
                Association::PendingOptOut { until }
            }
        } else if let Some((at, reason)) = self.ended {
            Association::Ended { at, reason }
        } else {
            Association::None
        }
    }

    /// The moments at which the association is worth looking at.
    fn probes(&self) -> Vec<DateTime<Utc>> {
        let mut probes = vec![self.now, self.clock + Days::new(60)];
        if let Some(until) = self.opt_out_until {
            probes.extend([
                until - Duration::seconds(1),
                until,
                until + Duration::hours(1),
            ]);
        }
        if let Some(approved) = self.approved_at {
            probes.extend([approved - Duration::seconds(1), approved]);
        }
        probes
    }
}

/// The reference state machine.
struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        // Some time in the first three weeks of 2026: New Year's Day and 19 January are
        // holidays, and weekends come every week.
        let start = NaiveDate::from_ymd_opt(2025, 12, 31)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        (
            0..21 * 24 * 60_i64,
            prop_oneof![
                Just(FormSpec::ModernWork),
                Just(FormSpec::BusinessApplications)
            ],
        )
            .prop_map(move |(minutes, form)| Model::new(start + Duration::minutes(minutes), form))
            .boxed()
    }

    fn transitions(model: &Model) -> BoxedStrategy<Step> {
        let owner = model.owner;
        let command = prop_oneof![1 => any_command(), 4 => likely_command(model.state)];
        let issued = command.prop_flat_map(move |cmd| {
            // The location's own admin, or the admin entitled to both locations (who may
            // move the claim).
            let proper = match issuer(cmd.kind()) {
                Who::Admin => vec![owner.admin(), Who::AccountAdmin],
                who => vec![who],
            };
            let who = prop_oneof![
                3 => proptest::sample::select(proper),
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
        // The timer sweep fires only when a deadline is due; then it is the system's `Expire`.
        let sweep = match model.deadline() {
            Some(due) if step.at >= due => {
                let expire = Step {
                    who: Who::System,
                    cmd: Cmd::Expire,
                    other_year: false,
                    ..step.clone()
                };
                model.step(&expire).map(|_| true)
            }
            _ => Ok(false),
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
        model.now = step.at;
        model.clock = model.clock.max(step.at);
        model
    }
}

/// When the next step happens: from the model's clock, forward by minutes to ~40 days, onto a
/// weekend day, a holiday or a deadline (just before, at, just after), past the info-request
/// deadline, or back a little.
fn time(model: &Model) -> BoxedStrategy<DateTime<Utc>> {
    let base = model.clock;
    let day_at = move |date: NaiveDate, minutes: i64| {
        date.and_hms_opt(0, 0, 0).unwrap().and_utc() + Duration::minutes(minutes)
    };
    let holiday = holidays()
        .into_iter()
        .find(|h| *h > base.date_naive())
        .unwrap_or(base.date_naive() + Days::new(1));
    let mut weekend = base.date_naive() + Days::new(1);
    while !matches!(weekend.weekday(), Weekday::Sat | Weekday::Sun) {
        weekend = weekend.succ_opt().unwrap();
    }
    let mut deadlines: Vec<DateTime<Utc>> = [
        model.opt_out_until,
        model.deadline(),
        model.rejection.and_then(|(_, _, until)| until),
    ]
    .into_iter()
    .flatten()
    .flat_map(|d| [d - Duration::seconds(1), d, d + Duration::seconds(1)])
    .filter(|d| *d >= base)
    .collect();
    if deadlines.is_empty() {
        deadlines.push(base + Duration::hours(1));
    }
    // While the partner's action is required, often land past the info-request deadline (the
    // sweep may not have run yet): only `expire` and a decline may act then.
    let (late_weight, late_from) = match model.deadline() {
        Some(due) => (8, due.max(base)),
        None => (1, base),
    };
    prop_oneof![
        2 => Just(base),
        8 => (1..=180_i64).prop_map(move |m| base + Duration::minutes(m)),
        8 => (1..=72_i64).prop_map(move |h| base + Duration::hours(h)),
        8 => (1..=14 * 24 * 60_i64).prop_map(move |m| base + Duration::days(1) + Duration::minutes(m)),
        5 => (14 * 24 * 60..=40 * 24 * 60_i64).prop_map(move |m| base + Duration::minutes(m)),
        3 => (0..24 * 60_i64).prop_map(move |m| day_at(holiday, m)),
        3 => (0..2 * 24 * 60_i64).prop_map(move |m| day_at(weekend, m)),
        5 => proptest::sample::select(deadlines),
        late_weight => (0..=10 * 24 * 60_i64).prop_map(move |m| late_from + Duration::minutes(m)),
        1 => (1..=120_i64).prop_map(move |m| base - Duration::minutes(m)),
    ]
    .boxed()
}

/// Any command of `kind`, with its data.
fn command_of(kind: Kind) -> BoxedStrategy<Cmd> {
    let other_claim = prop_oneof![4 => 2..=5_u128, 1 => Just(OWN_ID)];
    match kind {
        Kind::EditDraft => prop_oneof![
            3 => prop_oneof![
                Just(FormSpec::ModernWork),
                Just(FormSpec::ModernWorkRenamed),
                Just(FormSpec::BusinessApplications),
            ],
            2 => prop_oneof![
                Just(Broken::EmptyName),
                Just(Broken::UnknownWorkload),
                Just(Broken::BadTenant),
                Just(Broken::NoSubscription),
                Just(Broken::BadEmail),
            ]
            .prop_map(FormSpec::Broken),
        ]
        .prop_map(Cmd::EditDraft)
        .boxed(),
        Kind::AttachPoe => Just(Cmd::AttachPoe).boxed(),
        Kind::Submit => prop_oneof![
            3 => Just(Acknowledgement::Given),
            1 => Just(Acknowledgement::Withheld),
        ]
        .prop_map(Cmd::Submit)
        .boxed(),
        Kind::Withdraw => Just(Cmd::Withdraw).boxed(),
        Kind::StartReview => Just(Cmd::StartReview).boxed(),
        Kind::RequestInfo => proptest::sample::select(vec![
            InfoRequestReason::MissingAllPoe,
            InfoRequestReason::MissingCustomerAcknowledgement,
            InfoRequestReason::MissingOrOldDates,
            InfoRequestReason::MissingPartnerSolution,
            InfoRequestReason::MissingProducts,
        ])
        .prop_map(Cmd::RequestInfo)
        .boxed(),
        Kind::Approve => prop_oneof![3 => Just(None), 1 => other_claim.prop_map(Some)]
            .prop_map(Cmd::Approve)
            .boxed(),
        Kind::Reject => prop_oneof![
            Just(ReviewRejection::InsufficientPoe),
            Just(ReviewRejection::PartnerRequest),
        ]
        .prop_map(Cmd::Reject)
        .boxed(),
        Kind::Resubmit => resubmit().prop_map(Cmd::Resubmit).boxed(),
        Kind::Expire => Just(Cmd::Expire).boxed(),
        Kind::Decline => Just(Cmd::Decline).boxed(),
        Kind::Disassociate => Just(Cmd::Disassociate).boxed(),
        Kind::Supersede => other_claim.prop_map(Cmd::Supersede).boxed(),
        Kind::Dispute => Just(Cmd::Dispute).boxed(),
        Kind::ApproveDispute => Just(Cmd::ApproveDispute).boxed(),
        Kind::RejectDispute => Just(Cmd::RejectDispute).boxed(),
    }
}

fn resubmit() -> impl Strategy<Value = ResubmitSpec> {
    let partner = prop_oneof![
        12 => Just(None),
        1 => Just(Some(NewLocation::To(Location::Home))),
        1 => Just(Some(NewLocation::To(Location::Other))),
        1 => Just(Some(NewLocation::Garbage)),
    ];
    let workloads = prop_oneof![
        3 => Just(None),
        1 => proptest::sample::select(vec![
            Workloads::ModernWorkPair,
            Workloads::Intune,
            Workloads::PowerBi,
            Workloads::Empty,
            Workloads::Unknown,
            Workloads::Duplicate,
        ])
        .prop_map(Some),
    ];
    let contact = prop_oneof![3 => Just(None), 2 => Just(Some(true)), 1 => Just(Some(false))];
    let comments = prop_oneof![
        Just(None),
        Just(Some("")),
        Just(Some("dates fixed in the new sow"))
    ];
    (partner, workloads, contact, comments, 0..=2_u8).prop_map(
        |(partner, workloads, contact, comments, poe)| ResubmitSpec {
            partner,
            workloads,
            contact,
            comments,
            poe,
        },
    )
}

fn any_command() -> BoxedStrategy<Cmd> {
    Union::new(KINDS.map(command_of)).boxed()
}

/// A command the lifecycle allows in `state` (its guards may still refuse it), weighted so
/// that sequences get deep into the lifecycle; any command in a terminal state.
fn likely_command(state: St) -> BoxedStrategy<Cmd> {
    let weight = |kind| match kind {
        Kind::Withdraw => 1,
        Kind::Decline | Kind::Disassociate | Kind::Supersede => 2,
        Kind::EditDraft | Kind::RejectDispute => 4,
        // Info requests lead to the deadline and its refusals: make them common.
        Kind::RequestInfo => 20,
        _ => 10,
    };
    let allowed: Vec<_> = KINDS
        .into_iter()
        .filter(|kind| next_state(state, *kind).is_some())
        .map(|kind| (weight(kind), command_of(kind)))
        .collect();
    if allowed.is_empty() {
        any_command()
    } else {
        Union::new_weighted(allowed).boxed()
    }
}

// ---------------------------------------------------------------------------------------------
// The system under test and the invariants.
// ---------------------------------------------------------------------------------------------

struct ClaimTest;

fn real_kind(kind: Kind) -> CommandKind {
    match kind {
        Kind::EditDraft => CommandKind::EditDraft,
        Kind::AttachPoe => CommandKind::AttachPoe,
        Kind::Submit => CommandKind::Submit,
        Kind::Withdraw => CommandKind::Withdraw,
        Kind::StartReview => CommandKind::StartReview,
        Kind::RequestInfo => CommandKind::RequestInfo,
        Kind::Approve => CommandKind::Approve,
        Kind::Reject => CommandKind::Reject,
        Kind::Resubmit => CommandKind::Resubmit,
        Kind::Expire => CommandKind::Expire,
        Kind::Decline => CommandKind::Decline,
        Kind::Disassociate => CommandKind::Disassociate,
        Kind::Supersede => CommandKind::Supersede,
        Kind::Dispute => CommandKind::Dispute,
        Kind::ApproveDispute => CommandKind::ApproveDispute,
        Kind::RejectDispute => CommandKind::RejectDispute,
    }
}

impl StateMachineTest for ClaimTest {
    type SystemUnderTest = AssociationClaim;
    type Reference = Reference;

    fn init_test(model: &Model) -> AssociationClaim {
        AssociationClaim::create(
            claim_id(OWN_ID),
            &model.initial.form(),
            &admin(),
            model.created,
            &CATALOG,
        )
        .unwrap()
        .claim
    }

    fn apply(before: AssociationClaim, model: &Model, step: Step) -> AssociationClaim {
        let command = step.cmd.command();
        let actor = step.who.actor();
        let catalog: &Catalog = if step.other_year {
            &OTHER_YEAR
        } else {
            &CATALOG
        };
        let context = || {
            format!(
                "{:?} by {:?} at {} in {}",
                step.cmd,
                step.who,
                step.at,
                before.state()
            )
        };

        // The timer sweep at this moment agrees with the model.
        match (before.expire(step.at, &CATALOG), model.sweep) {
            (Ok(None), Ok(false)) => {}
            (Ok(Some(t)), Ok(true)) => {
                assert_eq!(
                    t.claim.state(),
                    AssociationState::Rejected,
                    "sweep: {}",
                    context()
                );
                // However late the sweep, the rejection dates from the deadline.
                assert_eq!(
                    t.claim.rejection().map(|r| r.at),
                    before.next_deadline(),
                    "sweep: {}",
                    context()
                );
            }
            (Err(e), Err(code)) => assert_eq!(e.code(), code, "sweep: {}", context()),
            (real, predicted) => panic!(
                "sweep: {}: got {real:?}, model says {predicted:?}",
                context()
            ),
        }

        let result = before.transition(&command, &actor, step.at, catalog);
        // The in-place twin must agree with the pure transition.
        let mut in_place = before.clone();
        let in_place_result = in_place.apply(&command, &actor, step.at, catalog);

        match (result, model.outcome) {
            (Err(error), Err(code)) => {
                assert_eq!(error.code(), code, "{}: {error}", context());
                // 2. A refused command leaves the claim equal to before, with no new history.
                assert_eq!(in_place_result, Err(error), "{}", context());
                assert_eq!(
                    in_place,
                    before,
                    "a refused {} changed the claim",
                    context()
                );
                before
            }
            (Ok(t), Ok(())) => {
                assert_eq!(in_place_result.as_ref(), Ok(&t.events), "{}", context());
                assert_eq!(in_place, t.claim, "{}", context());
                // 6. Terminal states absorb every command.
                assert!(!before.state().is_terminal(), "{} was accepted", context());
                check_accepted(&before, &t.claim, &t.events, model, &step);
                t.claim
            }
            (Err(error), Ok(())) => {
                panic!(
                    "{}: refused with {error} ({}), model accepts",
                    context(),
                    error.code()
                )
            }
            (Ok(t), Err(code)) => panic!(
                "{}: accepted (now {}), model refuses with {code}",
                context(),
                t.claim.state()
            ),
        }
    }

    fn check_invariants(claim: &AssociationClaim, model: &Model) {
        // 0. The claim passes the validator and round-trips unchanged.
        assert_sound(claim.clone(), &CATALOG);
        // 1. The state is the model's.
        assert_eq!(claim.state(), model.state.real());
        assert_eq!(claim.state().is_terminal(), model.state.terminal());
        // 3. One history entry per accepted command (plus the creation).
        assert_eq!(claim.history().len(), model.history);
        assert_eq!(claim.poe().len(), model.poe);
        assert_eq!(claim.content().partner, model.owner.id());
        assert_eq!(
            claim.content().solution_area.as_str() == "business_applications",
            model.area == Area::BusinessApplications
        );
        // 5. A dispute happens at most once.
        let disputes = claim
            .history()
            .iter()
            .filter(|e| e.command == CommandKind::Dispute)
            .count();
        assert!(disputes <= 1, "disputed {disputes} times");
        assert_eq!(claim.is_disputed(), model.disputed);
        assert_eq!(disputes, usize::from(model.disputed));
        // The rejection and the timer.
        assert_eq!(
            claim.rejection().map(|r| (r.reason, r.at, r.dispute_until)),
            model.rejection
        );
        assert_eq!(claim.next_deadline(), model.deadline());
        if model.state == St::ActionRequired {
            assert_eq!(claim.info_request().map(|(_, due)| due), model.info_due);
        }
        assert_eq!(claim.notified_at().is_some(), model.opt_out_until.is_some());
        // 7. Official exactly when approved, the opt-out window has passed, and no decline
        // followed.
        for now in model.probes() {
            let association = claim.association(now);
            assert_eq!(
                matches!(association, Association::Official { .. }),
                model.official(now),
                "official at {now}: {association:?}"
            );
            assert_eq!(association, model.association(now), "association at {now}");
        }
        // 8. Keys are held exactly while approved.
        let held = claim.held_keys();
        assert_eq!(
            !held.is_empty(),
            model.state == St::Approved,
            "held keys {held:?}"
        );
        if model.state == St::Approved {
            assert_eq!(held, claim.keys());
        }
    }
}

/// The checks of an accepted command.
fn check_accepted(
    before: &AssociationClaim,
    after: &AssociationClaim,
    events: &[AssociationEvent],
    model: &Model,
    step: &Step,
) {
    let kind = step.cmd.kind();
    let from = before.state();
    // 3. Exactly one new history entry, saying who did what, when.
    assert_eq!(after.history().len(), before.history().len() + 1);
    assert_eq!(&after.history()[..before.history().len()], before.history());
    let entry = after.history().last().unwrap();
    assert_eq!(entry.at, step.at);
    assert_eq!(entry.actor, step.who.actor());
    assert_eq!(entry.command, real_kind(kind));
    assert_eq!(entry.from, Some(from));
    assert_eq!(entry.to, model.state.real());

    // 4. No content edit after submission, except when the partner's action is required.
    let editing = matches!(
        (kind, from),
        (Kind::EditDraft, AssociationState::Draft)
            | (Kind::Resubmit, AssociationState::PartnerActionRequired)
    );
    if after.content() != before.content() {
        assert!(editing, "{kind:?} in {from} changed the content");
    }
    if after.poe() != before.poe() {
        assert!(
            editing || kind == Kind::AttachPoe,
            "{kind:?} in {from} changed the PoE"
        );
        assert!(after.poe().starts_with(before.poe()), "PoE removed");
    }

    // The effects.
    let notified = events.iter().find_map(|e| match e {
        AssociationEvent::CustomerNotified { opt_out_until, .. } => Some(*opt_out_until),
        _ => None,
    });
    let first_submission = before.notified_at().is_none() && after.notified_at().is_some();
    assert_eq!(notified.is_some(), first_submission);
    if first_submission {
        assert_eq!(notified, model.opt_out_until);
    }
    let started = events
        .iter()
        .any(|e| matches!(e, AssociationEvent::AssociationStarted { .. }));
    assert_eq!(started, model.state == St::Approved);
    let ended = events.iter().find_map(|e| match e {
        AssociationEvent::AssociationEnded { keys, reason } => Some((keys.clone(), *reason)),
        _ => None,
    });
    assert_eq!(
        ended.is_some(),
        from == AssociationState::Approved && model.state != St::Approved
    );
    if let Some((keys, reason)) = ended {
        assert_eq!(keys, before.keys());
        assert_eq!(Some((step.at, reason)), model.ended);
    }
    // The rejection is dated by the model (at the deadline for a no-response one); the
    // event carries its dispute window.
    let rejected = events.iter().find_map(|e| match e {
        AssociationEvent::Rejected {
            reason,
            dispute_until,
        } => Some((*reason, *dispute_until)),
        _ => None,
    });
    assert_eq!(
        rejected.is_some(),
        model.state == St::Rejected,
        "rejected event {rejected:?}"
    );
    if rejected.is_some() {
        assert_eq!(
            rejected,
            model.rejection.map(|(reason, _, until)| (reason, until))
        );
        let rejection = after.rejection().unwrap();
        assert_eq!(
            Some((rejection.reason, rejection.at, rejection.dispute_until)),
            model.rejection
        );
        if kind == Kind::Expire {
            let due = before.next_deadline().unwrap();
            assert_eq!(
                rejection.at, due,
                "a no-response rejection dates from the deadline"
            );
            assert_eq!(rejection.dispute_until, Some(due + Days::new(DISPUTE_DAYS)));
        }
    }
    let info = events.iter().find_map(|e| match e {
        AssociationEvent::InfoRequested { respond_by, .. } => Some(*respond_by),
        _ => None,
    });
    assert_eq!(
        info,
        (kind == Kind::RequestInfo)
            .then_some(model.info_due)
            .flatten()
    );
    assert!(
        matches!(events.last(), Some(AssociationEvent::Transitioned { command, .. }) if *command == real_kind(kind))
    );
}

prop_state_machine! {
    #![proptest_config(proptest_config(1000, "proptest-regressions/association_model.txt"))]

    #[test]
    fn association_claims_follow_the_model(sequential 1..30 => ClaimTest);
}

// ---------------------------------------------------------------------------------------------
// The model's own arithmetic, pinned on a few dates.
// ---------------------------------------------------------------------------------------------

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
        .and_utc()
}

#[test]
fn the_model_calendar_skips_weekends_and_holidays() {
    // Friday 13 March 2026 + 5 business days: Mon 16 .. Fri 20.
    assert_eq!(
        add_business_days(utc(2026, 3, 13, 9), 5),
        utc(2026, 3, 20, 9)
    );
    // Friday 6 March + 1: Monday 9 March is a holiday, so Tuesday 10.
    assert_eq!(
        add_business_days(utc(2026, 3, 6, 9), 1),
        utc(2026, 3, 10, 9)
    );
    // From a holiday (New Year's Day, a Thursday): Fri 2, Mon 5, ..., Thu 8.
    assert_eq!(
        add_business_days(utc(2026, 1, 1, 23), 5),
        utc(2026, 1, 8, 23)
    );
    // Good Friday and Easter Monday: Thursday 2 April + 1 is Tuesday 7 April.
    assert_eq!(
        add_business_days(utc(2026, 4, 2, 12), 1),
        utc(2026, 4, 7, 12)
    );
    // The model agrees with the catalog's calendar on those.
    let calendar = CATALOG.calendar();
    for at in [utc(2026, 3, 13, 9), utc(2026, 3, 6, 9), utc(2026, 1, 1, 23)] {
        for n in [1, 5, 14] {
            assert_eq!(
                calendar.add_business_days_at(at, n),
                Some(add_business_days(at, n))
            );
        }
    }
}
