//! Model-based test of the claims service across partner locations, with
//! proptest-state-machine (domain.md sections 5.1 and 7).
//!
//! Three partner locations (each with an Incentives admin; the first also with an Incentives
//! user), a reviewer, the customer and the timer share two customer tenants, the three Modern
//! Work and Security workloads (`teams`, `exchange`, `intune`) and two MCI engagements: the
//! cap-1 `copilot_readiness_assessment` (domain or tenant nominations) and the cap-2
//! `azure_migration_small_project` (TPID or Azure subscription nominations). Every operation
//! goes through [`Claims`] over an [`InMemoryStore`].
//!
//! A small reference model, written from domain.md and the rustdoc of the service and the
//! store, keeps what the store should hold: every claim's owner, customer, keys and state, and
//! from those which claim holds which uniqueness key and how many active claims count towards
//! each (engagement, customer). For every generated operation it predicts acceptance, or the
//! code of the refusal (with the holder for `store.key_held` and the reasons for
//! `activity.not_eligible`), and which claims an accepted operation writes.
//!
//! Operations are generated valid and invalid alike: association drafts over random workload
//! subsets and the commands of the association lifecycle (attach PoE, submit,
//! start review, info request and resubmission, approval plain or as an arbitration outcome
//! superseding a holder, rejection, decline, disassociation, dispute and its decision);
//! nominations for the two MCI engagements, consent and cancellation; loads by every actor,
//! including other partners; and timer sweeps, at times moving forward by minutes to weeks and
//! onto the deadlines. Most generated moves are ones the lifecycle allows on the existing
//! claims (by the proper actor), including drafts and nominations that compete with another
//! partner's claim; the rest are anything, by anyone. Most initial states already hold one to
//! three association claims under review or approved (built through the service and checked
//! like any step), so that sequences start from contested keys.
//!
//! After every step the invariants are checked against the store itself:
//!
//! 1. at most one associated partner per key, and the store's holder is the approved claim;
//! 2. no (engagement, customer) exceeds its cap of active activity claims (a domain counting
//!    as the tenant it resolves to), and `count` agrees;
//! 3. a partner never reads another partner's claim: `load` says `service.not_found`, the
//!    partner-scoped listings and the usage scope hold only the partner's own;
//! 4. a refused operation changes nothing in the store: every claim and version, every key
//!    holder, every count and the timer index are as before.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Days, Duration, Utc, Weekday};
use common::mci::{ASSESSMENT, SMALL, company_contact, customer_contact};
use common::*;
use cpor::activity::{
    ActivityClaim, ActivityCommand, ActivityError, ActivityEvent, ActivityState, Nomination,
};
use cpor::association::{
    Acknowledgement, Arbitration, AssociationClaim, AssociationCommand, AssociationEvent,
    AssociationForm, AssociationKey, AssociationState, InfoRequestReason, KeyUnit, ResubmitForm,
    ReviewRejection,
};
use cpor::catalog::{EngagementId, WorkloadId};
use cpor::eligibility::{Action, InMemoryFacts};
use cpor::service::{self, Claims, ServiceError, Swept, UsageGrant};
use cpor::store::{
    Claim, CountedKey, InMemoryStore, Scope, Store, StoreError, Stored, UniqueKey, Version,
};
use cpor::{
    Actor, AzureSubscriptionId, Catalog, Catalogs, ClaimId, CustomerId, DomainName, PartnerId,
    TenantId, Tpid, Usd,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

// ---------------------------------------------------------------------------------------------
// The cast: partners, tenants, workloads, engagements, customers, facts.
// ---------------------------------------------------------------------------------------------

/// The partner locations. The first is `partner()` of the fixtures, whose Incentives user is
/// `incentives_user()`.
const PARTNERS: [u64; 3] = [4_512_345, 7_700_001, 5_100_200];
const TENANTS: [&str; 2] = [TENANT, "3f2504e0-4f89-11d3-9a0c-0305e82c3301"];
const WORKLOADS: [&str; 3] = ["teams", "exchange", "intune"];
/// The engagement of the `use_or_consume` role of the fixtures' Modern Work and Security form.
const MWS: &str = "mws_usage";

const OPT_OUT_BUSINESS_DAYS: u32 = 5;
const INFO_REQUEST_BUSINESS_DAYS: u32 = 14;
const DISPUTE_DAYS: u64 = 30;
const CONSENT_DAYS: u64 = 30;

fn pid(p: u8) -> PartnerId {
    PartnerId::new(PARTNERS[usize::from(p)]).unwrap()
}

fn tenant_id(t: u8) -> TenantId {
    TENANTS[usize::from(t)].parse().unwrap()
}

fn domain(name: &str) -> DomainName {
    name.parse().unwrap()
}

fn mws() -> EngagementId {
    EngagementId::parse(MWS).unwrap()
}

fn workload(w: u8) -> WorkloadId {
    WorkloadId::parse(WORKLOADS[usize::from(w)]).unwrap()
}

/// The workloads of a bit mask, in the catalog's order (bit 0 is `teams`).
fn workloads_of(mask: u8) -> Vec<u8> {
    (0..3).filter(|w| mask & (1 << w) != 0).collect()
}

fn association_key(t: u8, w: u8) -> AssociationKey {
    AssociationKey {
        engagement: mws(),
        tenant: tenant_id(t),
        unit: KeyUnit::Workload(workload(w)),
    }
}

fn num(id: ClaimId) -> u128 {
    id.as_uuid().as_u128()
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The Incentives admin of a partner location.
    Admin(u8),
    /// The Incentives user (not admin) of the first partner location.
    User,
    Reviewer,
    /// The customer the claim acted on is about (a tenant, or the ID an activity claim was
    /// nominated by): the customer of that claim, whichever it is.
    Customer,
    /// A customer no claim is about: every claim looks missing to it.
    Stranger,
    /// The Incentives admin of an account with all three locations: it acts at the first and
    /// may act for every one, and move a claim between them.
    Account,
    System,
}

const EVERYONE: [Who; 9] = [
    Who::Admin(0),
    Who::Admin(1),
    Who::Admin(2),
    Who::Account,
    Who::User,
    Who::Reviewer,
    Who::Customer,
    Who::Stranger,
    Who::System,
];

impl Who {
    fn actor(self) -> Actor {
        match self {
            Self::Admin(p) => admin_of(pid(p)),
            Self::User => incentives_user(),
            Self::Reviewer => reviewer(),
            Self::Customer => customer(),
            Self::Account => {
                admin_of(pid(0)).with_locations(cpor::Locations::of([pid(1), pid(2)]).unwrap())
            }
            Self::Stranger => Actor::customer(CustomerId::Tenant(
                "5e5e5e5e-5e5e-4e5e-8e5e-5e5e5e5e5e5e".parse().unwrap(),
            )),
            Self::System => Actor::System,
        }
    }

    /// The actor, acting on claim `id`: the customer of that claim speaks for it.
    fn actor_on(self, claims: &Claims<InMemoryStore>, id: u128) -> Actor {
        if self != Self::Customer {
            return self.actor();
        }
        match claims.store().load(Scope::Microsoft, claim_id(id)) {
            Ok(Some(stored)) => match stored.claim {
                Claim::Association(c) => Actor::customer(CustomerId::Tenant(c.content().tenant)),
                Claim::Activity(c) => Actor::customer(c.customer().clone()),
                _ => self.actor(),
            },
            _ => self.actor(),
        }
    }

    /// The partner location a partner user acts at.
    fn partner(self) -> Option<u8> {
        match self {
            Self::Admin(p) => Some(p),
            Self::User | Self::Account => Some(0),
            Self::Reviewer | Self::Customer | Self::Stranger | Self::System => None,
        }
    }

    /// Whether a partner user may act for location `p`.
    fn acts_for(self, p: u8) -> bool {
        match self {
            Self::Account => true,
            other => other.partner() == Some(p),
        }
    }

    /// Whether a claim of location `p` is another location's for this partner user.
    fn foreign(self, p: u8) -> bool {
        self.partner().is_some() && !self.acts_for(p)
    }
}

/// The two MCI engagements (domain.md section 3.3 and the built-in catalog).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Eng {
    /// Cap 1; nominated by domain or tenant; assessment deadlines.
    Assessment,
    /// Cap 2; nominated by TPID or Azure subscription; small-project deadlines.
    Small,
}

const ENGAGEMENTS: [Eng; 2] = [Eng::Assessment, Eng::Small];

impl Eng {
    fn id(self) -> EngagementId {
        EngagementId::parse(match self {
            Self::Assessment => ASSESSMENT,
            Self::Small => SMALL,
        })
        .unwrap()
    }

    fn cap(self) -> u32 {
        match self {
            Self::Assessment => 1,
            Self::Small => 2,
        }
    }

    /// Calendar days from consent to the first submission.
    fn first_submit_days(self) -> u64 {
        match self {
            Self::Assessment => 60,
            Self::Small => 120,
        }
    }

    fn allows(self, customer: Cust) -> bool {
        use Cust as C;
        match self {
            Self::Assessment => matches!(customer, C::Contoso | C::Unresolved | C::T0 | C::T1),
            Self::Small => matches!(customer, C::Tpid | C::TpidUnknown | C::Azure),
        }
    }

    /// Every partner location is enrolled for the assessment; the third is not for the small
    /// project.
    fn enrolled(self, partner: u8) -> bool {
        self == Self::Assessment || partner != 2
    }
}

/// The customer IDs of nominations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cust {
    /// `contoso.com`, which resolves to the first tenant.
    Contoso,
    /// A domain that resolves to no tenant.
    Unresolved,
    /// The first tenant, whose email domain is contoso.com (the contacts' domain).
    T0,
    /// The second tenant, whose email domain is northwind.com: a reason is required.
    T1,
    /// A TPID eligible for the small project.
    Tpid,
    /// A TPID the facts know nothing about.
    TpidUnknown,
    /// An Azure subscription eligible for the small project.
    Azure,
}

const CUSTOMERS: [Cust; 7] = [
    Cust::Contoso,
    Cust::Unresolved,
    Cust::T0,
    Cust::T1,
    Cust::Tpid,
    Cust::TpidUnknown,
    Cust::Azure,
];

impl Cust {
    fn id(self) -> CustomerId {
        match self {
            Self::Contoso => CustomerId::Domain(domain("contoso.com")),
            Self::Unresolved => CustomerId::Domain(domain("unknown-customer.com")),
            Self::T0 => CustomerId::Tenant(tenant_id(0)),
            Self::T1 => CustomerId::Tenant(tenant_id(1)),
            Self::Tpid => CustomerId::Tpid(Tpid::parse("123456").unwrap()),
            Self::TpidUnknown => CustomerId::Tpid(Tpid::parse("654321").unwrap()),
            Self::Azure => {
                CustomerId::AzureSubscription(AzureSubscriptionId::parse(SUBSCRIPTION).unwrap())
            }
        }
    }

    /// The customer a claim on this ID counts towards and is open for: a domain counts as the
    /// tenant it resolves to, "so that claims made by domain and by tenant ID count together"
    /// (`cpor::eligibility`, domain.md section 5.2).
    fn counted(self) -> Self {
        match self {
            Self::Contoso => Self::T0,
            other => other,
        }
    }

    /// Whether the facts say this (checked) ID is eligible for `eng`.
    fn eligible_for(self, eng: Eng) -> bool {
        matches!(
            (eng, self),
            (Eng::Assessment, Self::T0 | Self::T1) | (Eng::Small, Self::Tpid | Self::Azure)
        )
    }
}

static FACTS: LazyLock<InMemoryFacts> = LazyLock::new(|| {
    let mut facts = InMemoryFacts::new()
        .with_domain(domain("contoso.com"), tenant_id(0))
        .with_email_domains(tenant_id(0), [domain("contoso.com")])
        .with_email_domains(tenant_id(1), [domain("northwind.com")]);
    for eng in ENGAGEMENTS {
        for customer in CUSTOMERS {
            if customer.eligible_for(eng) {
                facts = facts.eligible(customer.id(), eng.id());
            }
        }
        for p in 0..3 {
            if eng.enrolled(p) {
                facts = facts.enrolled(pid(p), eng.id());
            }
        }
    }
    facts
});

/// The model's business days: the `n`-th weekday strictly after the UTC date of `at`, at the
/// same time of day (the built-in calendar has weekends and no holidays).
fn add_business_days(at: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    let mut date = at.date_naive();
    let mut left = n;
    while left > 0 {
        date = date.succ_opt().unwrap();
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    date.and_time(at.time()).and_utc()
}

fn days_after(at: DateTime<Utc>, n: u64) -> DateTime<Utc> {
    at + Days::new(n)
}

// ---------------------------------------------------------------------------------------------
// The generated operations.
// ---------------------------------------------------------------------------------------------

/// The tenant of an association form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ten {
    Known(u8),
    Garbage,
}

/// An association command.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ACmd {
    AttachPoe,
    Submit(Acknowledgement),
    Withdraw,
    StartReview,
    RequestInfo,
    /// Plain, or as the arbitration outcome superseding this claim.
    Approve(Option<u128>),
    Reject,
    /// Move to another location, change the workloads (mask 0: none, refused), add a PoE.
    Resubmit {
        partner: Option<u8>,
        mask: Option<u8>,
        poe: bool,
    },
    Expire,
    Decline,
    Disassociate,
    Dispute,
    ApproveDispute,
    RejectDispute,
}

/// The kind of an association command, for the lifecycle table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AKind {
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
    Dispute,
    ApproveDispute,
    RejectDispute,
}

impl ACmd {
    fn kind(&self) -> AKind {
        match self {
            Self::AttachPoe => AKind::AttachPoe,
            Self::Submit(_) => AKind::Submit,
            Self::Withdraw => AKind::Withdraw,
            Self::StartReview => AKind::StartReview,
            Self::RequestInfo => AKind::RequestInfo,
            Self::Approve(_) => AKind::Approve,
            Self::Reject => AKind::Reject,
            Self::Resubmit { .. } => AKind::Resubmit,
            Self::Expire => AKind::Expire,
            Self::Decline => AKind::Decline,
            Self::Disassociate => AKind::Disassociate,
            Self::Dispute => AKind::Dispute,
            Self::ApproveDispute => AKind::ApproveDispute,
            Self::RejectDispute => AKind::RejectDispute,
        }
    }

    fn command(&self) -> AssociationCommand {
        use AssociationCommand as C;
        match self {
            Self::AttachPoe => C::AttachPoe {
                reference: text("sow-signed.pdf"),
            },
            Self::Submit(acknowledgement) => C::Submit {
                acknowledgement: *acknowledgement,
            },
            Self::Withdraw => C::Withdraw,
            Self::StartReview => C::StartReview,
            Self::RequestInfo => C::RequestInfo {
                reason: InfoRequestReason::MissingOrOldDates,
            },
            Self::Approve(None) => C::Approve {
                arbitration: Arbitration::None,
            },
            Self::Approve(Some(holder)) => C::Approve {
                arbitration: Arbitration::Supersedes(claim_id(*holder)),
            },
            Self::Reject => C::Reject {
                reason: ReviewRejection::InsufficientPoe,
            },
            Self::Resubmit { partner, mask, poe } => C::Resubmit {
                changes: ResubmitForm {
                    partner: partner.map(|p| pid(p).to_string()),
                    workloads: mask.map(|m| {
                        workloads_of(m)
                            .into_iter()
                            .map(|w| WORKLOADS[usize::from(w)].to_string())
                            .collect()
                    }),
                    poe: if *poe {
                        vec!["sow-v2.pdf".into()]
                    } else {
                        Vec::new()
                    },
                    ..ResubmitForm::default()
                },
            },
            Self::Expire => C::Expire,
            Self::Decline => C::Decline,
            Self::Disassociate => C::Disassociate {
                reason: text("the customer moved to another partner"),
            },
            Self::Dispute => C::Dispute {
                reason: text("the statement of work is signed"),
            },
            Self::ApproveDispute => C::ApproveDispute,
            Self::RejectDispute => C::RejectDispute,
        }
    }
}

/// An activity command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MCmd {
    SendConsent,
    ResendConsent,
    AcceptConsent,
    DeclineConsent,
    Cancel,
    Expire,
}

const MCMDS: [MCmd; 6] = [
    MCmd::SendConsent,
    MCmd::ResendConsent,
    MCmd::AcceptConsent,
    MCmd::DeclineConsent,
    MCmd::Cancel,
    MCmd::Expire,
];

impl MCmd {
    fn command(self) -> ActivityCommand {
        match self {
            Self::SendConsent => ActivityCommand::SendConsent {
                estimated_deal_size: Usd::from_dollars(250_000).unwrap(),
            },
            Self::ResendConsent => ActivityCommand::ResendConsent,
            Self::AcceptConsent => ActivityCommand::AcceptConsent,
            Self::DeclineConsent => ActivityCommand::DeclineConsent,
            Self::Cancel => ActivityCommand::Cancel,
            Self::Expire => ActivityCommand::Expire,
        }
    }
}

/// One operation on the service.
#[derive(Debug, Clone)]
enum Op {
    /// Create an association draft: the fixtures' Modern Work and Security form, with this
    /// tenant and these workloads (a bit mask; 0 is none).
    Create {
        id: u128,
        who: Who,
        tenant: Ten,
        mask: u8,
    },
    Association {
        id: u128,
        who: Who,
        cmd: ACmd,
    },
    /// Add (or claim) a customer for these engagements, each with its claim ID.
    Nominate {
        who: Who,
        partner: u8,
        customer: Cust,
        engagements: Vec<(Eng, u128)>,
        action: Action,
        /// Give a tenant/email-domain mismatch reason.
        reason: bool,
        /// Give hours (refused: both engagements are fixed pay).
        hours: bool,
    },
    Activity {
        id: u128,
        who: Who,
        cmd: MCmd,
    },
    Load {
        id: u128,
        who: Who,
    },
    Sweep,
}

impl Op {
    /// The largest claim ID the operation names.
    fn max_id(&self) -> u128 {
        match self {
            Self::Association {
                id,
                cmd: ACmd::Approve(Some(holder)),
                ..
            } => (*id).max(*holder),
            Self::Create { id, .. }
            | Self::Association { id, .. }
            | Self::Activity { id, .. }
            | Self::Load { id, .. } => *id,
            Self::Nominate { engagements, .. } => {
                engagements.iter().map(|(_, id)| *id).max().unwrap_or(0)
            }
            Self::Sweep => 0,
        }
    }
}

#[derive(Debug, Clone)]
struct Step {
    at: DateTime<Utc>,
    op: Op,
}

// ---------------------------------------------------------------------------------------------
// The reference model.
// ---------------------------------------------------------------------------------------------

/// The model of an association claim.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Assoc {
    partner: u8,
    tenant: u8,
    mask: u8,
    state: AssociationState,
    poe: usize,
    /// Fixed at the first submission.
    opt_out_until: Option<DateTime<Utc>>,
    /// The open info request's deadline.
    info_due: Option<DateTime<Utc>>,
    /// The last rejection's dispute window: `Some(None)` if it is not disputable.
    dispute_until: Option<Option<DateTime<Utc>>>,
    disputed: bool,
    last: DateTime<Utc>,
    /// What the creation was made from: who, the tenant and the workloads.
    created_from: (Who, u8, u8),
}

/// The model of an activity claim.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Act {
    partner: u8,
    customer: Cust,
    eng: Eng,
    state: ActivityState,
    created: DateTime<Utc>,
    consented: Option<DateTime<Utc>>,
    last: DateTime<Utc>,
    /// What the nomination that made it was: who, the partner, the customer, every
    /// engagement with its claim, the action, the mismatch reason and the hours.
    created_from: NominationInput,
}

type NominationInput = (Who, u8, Cust, Vec<(Eng, u128)>, Action, bool, bool);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rec {
    Assoc(Assoc),
    Act(Act),
}

/// A uniqueness key, in the model's terms (domain.md section 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// One associated partner per (engagement, tenant, workload): held while approved.
    Associated { tenant: u8, workload: u8 },
    /// One open association claim per partner location and key.
    OpenAssociation {
        partner: u8,
        tenant: u8,
        workload: u8,
    },
    /// One open activity claim per partner location, engagement and (counted) customer.
    OpenActivity {
        partner: u8,
        eng: Eng,
        customer: Cust,
    },
}

impl Key {
    fn unique(self) -> UniqueKey {
        match self {
            Self::Associated { tenant, workload } => UniqueKey::Associated {
                key: association_key(tenant, workload),
            },
            Self::OpenAssociation {
                partner,
                tenant,
                workload,
            } => UniqueKey::OpenAssociation {
                partner: pid(partner),
                key: association_key(tenant, workload),
            },
            Self::OpenActivity {
                partner,
                eng,
                customer,
            } => UniqueKey::OpenActivity {
                partner: pid(partner),
                engagement: eng.id(),
                customer: customer.id(),
            },
        }
    }
}

/// Every key the test's claims can hold, and every counted key, with the store's names.
static KEYS: LazyLock<Vec<(Key, UniqueKey)>> = LazyLock::new(|| {
    let mut keys = Vec::new();
    for tenant in 0..2 {
        for workload in 0..3 {
            keys.push(Key::Associated { tenant, workload });
            for partner in 0..3 {
                keys.push(Key::OpenAssociation {
                    partner,
                    tenant,
                    workload,
                });
            }
        }
    }
    for partner in 0..3 {
        for eng in ENGAGEMENTS {
            for customer in CUSTOMERS {
                keys.push(Key::OpenActivity {
                    partner,
                    eng,
                    customer,
                });
            }
        }
    }
    keys.into_iter().map(|k| (k, k.unique())).collect()
});

static COUNTED: LazyLock<Vec<((Eng, Cust), CountedKey)>> = LazyLock::new(|| {
    ENGAGEMENTS
        .into_iter()
        .flat_map(|eng| CUSTOMERS.map(|customer| (eng, customer)))
        .map(|(eng, customer)| {
            let key = CountedKey {
                engagement: eng.id(),
                customer: customer.id(),
            };
            ((eng, customer), key)
        })
        .collect()
});

impl Assoc {
    fn draft(who: Who, partner: u8, tenant: u8, mask: u8, at: DateTime<Utc>) -> Self {
        Self {
            created_from: (who, tenant, mask),
            partner,
            tenant,
            mask,
            state: AssociationState::Draft,
            poe: 0,
            opt_out_until: None,
            info_due: None,
            dispute_until: None,
            disputed: false,
            last: at,
        }
    }

    fn open(&self) -> bool {
        use AssociationState as S;
        matches!(
            self.state,
            S::Draft
                | S::Submitted
                | S::UnderReview
                | S::PartnerActionRequired
                | S::Approved
                | S::Disputed
        )
    }
}

impl Act {
    fn deadline(&self) -> Option<DateTime<Utc>> {
        match self.state {
            ActivityState::CustomerClaimed | ActivityState::AwaitingConsent => {
                Some(days_after(self.created, CONSENT_DAYS))
            }
            ActivityState::ConsentReceived => self
                .consented
                .map(|at| days_after(at, self.eng.first_submit_days())),
            _ => None,
        }
    }
}

impl Rec {
    fn partner(&self) -> u8 {
        match self {
            Self::Assoc(a) => a.partner,
            Self::Act(m) => m.partner,
        }
    }

    /// The keys the claim holds in its current state.
    fn keys(&self) -> Vec<Key> {
        match self {
            Self::Assoc(a) => {
                let mut keys = Vec::new();
                for workload in workloads_of(a.mask) {
                    if a.state == AssociationState::Approved {
                        keys.push(Key::Associated {
                            tenant: a.tenant,
                            workload,
                        });
                    }
                    if a.open() {
                        keys.push(Key::OpenAssociation {
                            partner: a.partner,
                            tenant: a.tenant,
                            workload,
                        });
                    }
                }
                keys
            }
            Self::Act(m) if m.state.is_active() => vec![Key::OpenActivity {
                partner: m.partner,
                eng: m.eng,
                customer: m.customer.counted(),
            }],
            Self::Act(_) => Vec::new(),
        }
    }

    /// The (engagement, customer) an active activity claim counts towards.
    fn counted(&self) -> Option<(Eng, Cust)> {
        match self {
            Self::Act(m) if m.state.is_active() => Some((m.eng, m.customer.counted())),
            _ => None,
        }
    }

    fn deadline(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Assoc(a) if a.state == AssociationState::PartnerActionRequired => a.info_due,
            Self::Assoc(_) => None,
            Self::Act(m) => m.deadline(),
        }
    }
}

/// Where an association command leads from a state (domain.md section 6.1).
fn association_next(state: AssociationState, kind: AKind) -> Option<AssociationState> {
    use AKind as K;
    use AssociationState as S;
    Some(match (state, kind) {
        (S::Draft, K::AttachPoe) => S::Draft,
        (S::Draft, K::Submit) => S::Submitted,
        (S::Draft, K::Withdraw) => S::Withdrawn,
        (S::Submitted, K::StartReview) => S::UnderReview,
        (S::UnderReview, K::RequestInfo) => S::PartnerActionRequired,
        (S::UnderReview, K::Approve) => S::Approved,
        (S::UnderReview, K::Reject) => S::Rejected,
        (S::PartnerActionRequired, K::AttachPoe) => S::PartnerActionRequired,
        (S::PartnerActionRequired, K::Resubmit) => S::Submitted,
        (S::PartnerActionRequired, K::Expire) => S::Rejected,
        (
            S::Submitted | S::UnderReview | S::PartnerActionRequired | S::Approved | S::Disputed,
            K::Decline,
        ) => S::Rejected,
        (S::Approved, K::Disassociate) => S::RejectedFinal,
        (S::Rejected, K::Dispute) => S::Disputed,
        (S::Disputed, K::ApproveDispute) => S::Approved,
        (S::Disputed, K::RejectDispute) => S::RejectedFinal,
        _ => return None,
    })
}

/// Whether `who` may issue an association command of `kind` (domain.md section 7).
fn may_associate(who: Who, kind: AKind) -> bool {
    use AKind as K;
    match kind {
        K::AttachPoe | K::Submit | K::Withdraw | K::Resubmit | K::Disassociate | K::Dispute => {
            matches!(who, Who::Admin(_) | Who::Account)
        }
        K::StartReview
        | K::RequestInfo
        | K::Approve
        | K::Reject
        | K::ApproveDispute
        | K::RejectDispute => who == Who::Reviewer,
        K::Decline => who == Who::Customer,
        K::Expire => who == Who::System,
    }
}

/// Where an activity command leads from a state (domain.md section 6.2).
fn activity_next(state: ActivityState, cmd: MCmd) -> Option<ActivityState> {
    use ActivityState as S;
    Some(match (state, cmd) {
        (S::CustomerClaimed, MCmd::SendConsent) => S::AwaitingConsent,
        (S::AwaitingConsent, MCmd::ResendConsent) => S::AwaitingConsent,
        (S::AwaitingConsent, MCmd::AcceptConsent) => S::ConsentReceived,
        (S::AwaitingConsent, MCmd::DeclineConsent) => S::ConsentDeclined,
        (S::CustomerClaimed | S::AwaitingConsent | S::ConsentReceived, MCmd::Cancel) => S::Canceled,
        (S::CustomerClaimed | S::AwaitingConsent, MCmd::Expire) => S::ConsentExpired,
        (S::ConsentReceived, MCmd::Expire) => S::NotSubmittedExpired,
        _ => return None,
    })
}

/// Whether `who` may issue an activity command (domain.md section 7: the Incentives user runs
/// the consent steps).
fn may_act(who: Who, cmd: MCmd) -> bool {
    match cmd {
        MCmd::SendConsent | MCmd::ResendConsent => {
            matches!(who, Who::Admin(_) | Who::Account | Who::User)
        }
        MCmd::AcceptConsent | MCmd::DeclineConsent => who == Who::Customer,
        MCmd::Cancel => matches!(who, Who::Admin(_) | Who::Account),
        MCmd::Expire => who == Who::System,
    }
}

/// A predicted refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    code: &'static str,
    /// For `store.key_held`: the claims that hold a key the command needs.
    holders: BTreeSet<u128>,
    /// For `activity.not_eligible`: the reason codes.
    reasons: Vec<&'static str>,
}

fn refuse(code: &'static str) -> Refusal {
    Refusal {
        code,
        holders: BTreeSet::new(),
        reasons: Vec::new(),
    }
}

/// The last step's prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Accepted, writing exactly these claims.
    Accepted(BTreeSet<u128>),
    Refused(Refusal),
}

/// What the store should hold.
#[derive(Debug, Clone)]
struct Model {
    claims: BTreeMap<u128, Rec>,
    /// The latest time of a step.
    clock: DateTime<Utc>,
    /// The largest claim ID named so far.
    max_id: u128,
    expect: Expect,
    /// The steps that built the initial state, which the test replays through the service.
    setup: Vec<Step>,
}

type Writes = Vec<(u128, Rec)>;

impl Model {
    fn new() -> Self {
        Self {
            claims: BTreeMap::new(),
            clock: t0(),
            max_id: 0,
            expect: Expect::Accepted(BTreeSet::new()),
            setup: Vec::new(),
        }
    }

    /// An initial state with association claims already under way, so that generated steps
    /// start from contested keys: each seed is a partner's claim on a tenant's workloads,
    /// taken to review and, if `approve`, approved (which the model may predict refused, when
    /// an earlier seed of another partner holds a key). One minute per step from `t0()`.
    fn seeded(seeds: &[(u8, u8, u8, bool)]) -> Self {
        let mut model = Self::new();
        let mut at = t0();
        for &(partner, tenant, mask, approve) in seeds {
            let id = model.max_id + 1;
            let admin = Who::Admin(partner);
            let mut ops = vec![
                Op::Create {
                    id,
                    who: admin,
                    tenant: Ten::Known(tenant),
                    mask,
                },
                Op::Association {
                    id,
                    who: admin,
                    cmd: ACmd::AttachPoe,
                },
                Op::Association {
                    id,
                    who: admin,
                    cmd: ACmd::Submit(Acknowledgement::Given),
                },
                Op::Association {
                    id,
                    who: Who::Reviewer,
                    cmd: ACmd::StartReview,
                },
            ];
            if approve {
                ops.push(Op::Association {
                    id,
                    who: Who::Reviewer,
                    cmd: ACmd::Approve(None),
                });
            }
            for op in ops {
                at += Duration::minutes(1);
                let step = Step { at, op };
                model = Reference::apply(model, &step);
                model.setup.push(step);
            }
        }
        model
    }

    /// The claims that hold `key`.
    fn holders(&self, key: Key) -> Vec<u128> {
        self.claims
            .iter()
            .filter(|(_, rec)| rec.keys().contains(&key))
            .map(|(id, _)| *id)
            .collect()
    }

    /// How many active activity claims count towards (`eng`, `customer`).
    fn count(&self, eng: Eng, customer: Cust) -> u32 {
        let n = self
            .claims
            .values()
            .filter(|rec| rec.counted() == Some((eng, customer)))
            .count();
        u32::try_from(n).unwrap()
    }

    /// The store's atomic commit of `writes` (each already past its version or absence check):
    /// every key they hold must be free or released by the same commit, and no cap exceeded.
    fn commit(&self, writes: Writes) -> Result<Writes, Refusal> {
        let old_keys = |id: u128| self.claims.get(&id).map(Rec::keys).unwrap_or_default();
        let released = |key: Key| {
            writes
                .iter()
                .any(|(id, new)| old_keys(*id).contains(&key) && !new.keys().contains(&key))
        };
        let mut acquired: Vec<(Key, u128)> = Vec::new();
        let mut holders = BTreeSet::new();
        for (id, new) in &writes {
            for key in new.keys() {
                if let Some((_, other)) = acquired.iter().find(|(k, _)| *k == key) {
                    holders.insert(*other);
                    continue;
                }
                for holder in self.holders(key) {
                    if holder != *id && !released(key) {
                        holders.insert(holder);
                    }
                }
                acquired.push((key, *id));
            }
        }
        if !holders.is_empty() {
            return Err(Refusal {
                holders,
                ..refuse("store.key_held")
            });
        }
        for (id, new) in &writes {
            let Some(counted) = new.counted() else {
                continue;
            };
            if self.claims.get(id).and_then(Rec::counted) == Some(counted) {
                continue;
            }
            let mut count = i64::from(self.count(counted.0, counted.1));
            for (other, after) in &writes {
                let before = self.claims.get(other).and_then(Rec::counted) == Some(counted);
                let after = after.counted() == Some(counted);
                count += i64::from(after) - i64::from(before);
            }
            if count > i64::from(counted.0.cap()) {
                return Err(refuse("store.limit_reached"));
            }
        }
        Ok(writes)
    }

    fn step(&self, step: &Step) -> Result<Writes, Refusal> {
        let at = step.at;
        match &step.op {
            Op::Create {
                id,
                who,
                tenant,
                mask,
            } => self.create(*id, *who, *tenant, *mask, at),
            Op::Association { id, who, cmd } => self.association(*id, *who, cmd, at),
            Op::Nominate {
                who,
                partner,
                customer,
                engagements,
                action,
                reason,
                hours,
            } => self.nominate(
                *who,
                *partner,
                *customer,
                engagements,
                *action,
                *reason,
                *hours,
                at,
            ),
            Op::Activity { id, who, cmd } => self.activity(*id, *who, *cmd, at),
            Op::Load { id, who } => match self.claims.get(id) {
                Some(rec) if *who != Who::Stranger && !who.foreign(rec.partner()) => Ok(Vec::new()),
                _ => Err(refuse("service.not_found")),
            },
            Op::Sweep => self.commit(self.sweep(at)),
        }
    }

    fn create(
        &self,
        id: u128,
        who: Who,
        tenant: Ten,
        mask: u8,
        at: DateTime<Utc>,
    ) -> Result<Writes, Refusal> {
        let partner = match who {
            Who::Admin(partner) => partner,
            Who::Account => 0,
            _ => return Err(refuse("association.forbidden")),
        };
        let Ten::Known(tenant) = tenant else {
            return Err(refuse("association.invalid_form"));
        };
        if mask == 0 {
            return Err(refuse("association.invalid_form"));
        }
        match self.claims.get(&id) {
            // A retried create: the same input (who, form) answers with what is stored,
            // whatever happened to the claim since.
            Some(Rec::Assoc(old)) if old.created_from == (who, tenant, mask) => Ok(Vec::new()),
            Some(_) => Err(refuse("store.id_conflict")),
            None => self.commit(vec![(
                id,
                Rec::Assoc(Assoc::draft(who, partner, tenant, mask, at)),
            )]),
        }
    }

    fn association(
        &self,
        id: u128,
        who: Who,
        cmd: &ACmd,
        at: DateTime<Utc>,
    ) -> Result<Writes, Refusal> {
        let Some(Rec::Assoc(a)) = self.claims.get(&id) else {
            return Err(refuse("service.not_found"));
        };
        // Section 7: another partner's claim looks exactly like a missing one, and so does a
        // claim about another customer.
        if who.foreign(a.partner) || who == Who::Stranger {
            return Err(refuse("service.not_found"));
        }
        let kind = cmd.kind();
        if !may_associate(who, kind) {
            return Err(refuse("association.forbidden"));
        }
        let Some(to) = association_next(a.state, kind) else {
            return Err(refuse("association.invalid_state"));
        };
        if at < a.last {
            return Err(refuse("association.time_went_back"));
        }
        if let Some(deadline) = Rec::Assoc(a.clone()).deadline()
            && at >= deadline
            && !matches!(kind, AKind::Expire | AKind::Decline)
        {
            return Err(refuse("association.deadline_passed"));
        }
        let mut next = a.clone();
        let disputable = |from: DateTime<Utc>| Some(Some(days_after(from, DISPUTE_DAYS)));
        match cmd {
            ACmd::AttachPoe => next.poe += 1,
            ACmd::Submit(acknowledgement) => {
                if a.poe == 0 {
                    return Err(refuse("association.poe_required"));
                }
                if *acknowledgement != Acknowledgement::Given {
                    return Err(refuse("association.acknowledgement_required"));
                }
                if a.opt_out_until.is_none() {
                    next.opt_out_until = Some(add_business_days(at, OPT_OUT_BUSINESS_DAYS));
                }
            }
            ACmd::Withdraw
            | ACmd::StartReview
            | ACmd::Disassociate
            | ACmd::ApproveDispute
            | ACmd::RejectDispute => {}
            ACmd::RequestInfo => {
                next.info_due = Some(add_business_days(at, INFO_REQUEST_BUSINESS_DAYS));
            }
            ACmd::Approve(holder) => {
                if *holder == Some(id) {
                    return Err(refuse("association.supersede_self"));
                }
            }
            ACmd::Reject => next.dispute_until = disputable(at),
            ACmd::Resubmit { partner, mask, poe } => {
                if *mask == Some(0) {
                    return Err(refuse("association.invalid_form"));
                }
                if let Some(p) = partner {
                    // A move goes only to a location the user may act for.
                    if *p != a.partner && !who.acts_for(*p) {
                        return Err(refuse("association.forbidden_location"));
                    }
                    next.partner = *p;
                }
                if let Some(m) = mask {
                    next.mask = *m;
                }
                next.poe += usize::from(*poe);
                next.info_due = None;
            }
            ACmd::Expire => match a.info_due {
                Some(due) if at >= due => {
                    next.info_due = None;
                    next.dispute_until = disputable(due);
                }
                _ => return Err(refuse("association.not_due")),
            },
            // A customer's decline is not disputable.
            ACmd::Decline => next.dispute_until = Some(None),
            ACmd::Dispute => {
                if a.disputed {
                    return Err(refuse("association.already_disputed"));
                }
                match a.dispute_until {
                    None => return Err(refuse("association.not_due")),
                    Some(None) => return Err(refuse("association.not_disputable")),
                    Some(Some(until)) if at >= until => {
                        return Err(refuse("association.dispute_window_closed"));
                    }
                    Some(Some(_)) => next.disputed = true,
                }
            }
        }
        next.state = to;
        next.last = at;
        let mut writes = vec![(id, Rec::Assoc(next))];
        // An arbitration outcome ends the holder's association in the same commit. The holder
        // is read on Microsoft's side, and must hold a key the approved claim needs.
        if let ACmd::Approve(Some(holder)) = cmd {
            let Some(Rec::Assoc(held)) = self.claims.get(holder) else {
                return Err(refuse("service.not_found"));
            };
            // The holder must hold a key the approved claim needs: approved, on the same
            // tenant, with a workload in common.
            if held.state != AssociationState::Approved
                || held.tenant != a.tenant
                || held.mask & a.mask == 0
            {
                return Err(refuse("service.not_a_holder"));
            }
            if at < held.last {
                return Err(refuse("association.time_went_back"));
            }
            let mut ended = held.clone();
            ended.state = AssociationState::Rejected;
            ended.dispute_until = disputable(at);
            ended.last = at;
            writes.push((*holder, Rec::Assoc(ended)));
        }
        self.commit(writes)
    }

    #[allow(clippy::too_many_arguments)]
    fn nominate(
        &self,
        who: Who,
        partner: u8,
        customer: Cust,
        engagements: &[(Eng, u128)],
        action: Action,
        reason: bool,
        hours: bool,
        at: DateTime<Utc>,
    ) -> Result<Writes, Refusal> {
        // A retried nomination: every claim stored from the same input answers with what is
        // stored, before any check, so that a retry never counts against itself.
        let input: NominationInput = (
            who,
            partner,
            customer,
            engagements.to_vec(),
            action,
            reason,
            hours,
        );
        let stored: Vec<Option<&Rec>> = engagements
            .iter()
            .map(|(_, id)| self.claims.get(id))
            .collect();
        if stored.iter().any(Option::is_some) {
            let same = stored
                .iter()
                .all(|rec| matches!(rec, Some(Rec::Act(a)) if a.created_from == input));
            return if same {
                Ok(Vec::new())
            } else {
                Err(refuse("store.id_conflict"))
            };
        }
        let unique = engagements.iter().enumerate().all(|(i, (e, id))| {
            engagements
                .iter()
                .skip(i + 1)
                .all(|(f, other)| e != f && id != other)
        });
        if engagements.is_empty() || !unique {
            return Err(refuse("activity.engagement_choice"));
        }
        if hours {
            return Err(refuse("activity.hours_not_applicable"));
        }
        for (eng, _) in engagements {
            let reasons = self.reasons(who, partner, *eng, customer, action, reason);
            if !reasons.is_empty() {
                return Err(Refusal {
                    reasons,
                    ..refuse("activity.not_eligible")
                });
            }
        }
        let mut writes = Vec::new();
        for (eng, id) in engagements {
            match self.claims.get(id) {
                None => writes.push((
                    *id,
                    Rec::Act(Act {
                        partner,
                        customer,
                        eng: *eng,
                        state: ActivityState::CustomerClaimed,
                        created: at,
                        consented: None,
                        last: at,
                        created_from: input.clone(),
                    }),
                )),
                Some(_) => return Err(refuse("store.id_conflict")),
            }
        }
        self.commit(writes)
    }

    /// The eligibility reasons of a nomination (domain.md section 5.2), in check order.
    ///
    /// The partner's own claims decide add-xor-claim and duplicates; a user of another
    /// location must learn nothing from them (section 7), so for one the partner has none.
    fn reasons(
        &self,
        who: Who,
        partner: u8,
        eng: Eng,
        customer: Cust,
        action: Action,
        reason: bool,
    ) -> Vec<&'static str> {
        let mut reasons = Vec::new();
        if !eng.enrolled(partner) {
            reasons.push("partner.not_eligible_for_engagement");
        }
        if !matches!(who, Who::Admin(_) | Who::Account) {
            reasons.push("actor.not_incentives_admin");
        }
        let foreign = who.foreign(partner);
        if foreign {
            reasons.push("actor.other_partner_location");
        }
        let mut counted = customer;
        if eng.allows(customer) {
            let checked = match customer {
                Cust::Unresolved => {
                    reasons.push("domain.unresolved");
                    None
                }
                Cust::Contoso => Some(Cust::T0),
                Cust::T1 if !reason => {
                    reasons.push("tenant.email_domain_mismatch_reason_required");
                    Some(Cust::T1)
                }
                other => Some(other),
            };
            if let Some(checked) = checked {
                if !checked.eligible_for(eng) {
                    reasons.push("customer.not_eligible");
                }
                counted = checked;
            }
        } else {
            reasons.push("customer_id.kind_not_allowed");
        }
        if self.count(eng, counted) >= eng.cap() {
            reasons.push("customer.cap_reached");
        }
        let (mut open, mut known) = (false, false);
        if !foreign {
            for rec in self.claims.values() {
                if let Rec::Act(m) = rec
                    && m.partner == partner
                    && m.customer == customer
                {
                    if m.eng == eng {
                        open |= m.state.is_active();
                    } else {
                        known |= m.state.is_active() || m.state == ActivityState::Completed;
                    }
                }
            }
        }
        match (action, known) {
            (Action::Add, true) => reasons.push("action.use_claim"),
            (Action::Claim, false) => reasons.push("action.use_add"),
            _ => {}
        }
        if open {
            reasons.push("claim.duplicate_open");
        }
        reasons
    }

    fn activity(
        &self,
        id: u128,
        who: Who,
        cmd: MCmd,
        at: DateTime<Utc>,
    ) -> Result<Writes, Refusal> {
        let Some(Rec::Act(m)) = self.claims.get(&id) else {
            return Err(refuse("service.not_found"));
        };
        if who.foreign(m.partner) || who == Who::Stranger {
            return Err(refuse("service.not_found"));
        }
        if !may_act(who, cmd) {
            return Err(refuse("activity.forbidden"));
        }
        let Some(to) = activity_next(m.state, cmd) else {
            return Err(refuse("activity.invalid_state"));
        };
        if at < m.last {
            return Err(refuse("activity.time_went_back"));
        }
        match (cmd, m.deadline()) {
            (MCmd::Expire, Some(due)) if at >= due => {}
            (MCmd::Expire, _) => return Err(refuse("activity.not_due")),
            (_, Some(deadline)) if at >= deadline => {
                return Err(refuse("activity.deadline_passed"));
            }
            _ => {}
        }
        let mut next = m.clone();
        if cmd == MCmd::AcceptConsent {
            next.consented = Some(at);
        }
        next.state = to;
        next.last = at;
        self.commit(vec![(id, Rec::Act(next))])
    }

    /// The timer at `at`: every claim whose deadline has passed expires.
    fn sweep(&self, at: DateTime<Utc>) -> Writes {
        let mut writes = Vec::new();
        for (id, rec) in &self.claims {
            let Some(due) = rec.deadline().filter(|due| *due <= at) else {
                continue;
            };
            let next = match rec {
                Rec::Assoc(a) => {
                    let mut next = a.clone();
                    next.state = AssociationState::Rejected;
                    next.info_due = None;
                    // The no-response rejection dates from the deadline.
                    next.dispute_until = Some(Some(days_after(due, DISPUTE_DAYS)));
                    next.last = at;
                    Rec::Assoc(next)
                }
                Rec::Act(m) => {
                    let mut next = m.clone();
                    next.state = activity_next(m.state, MCmd::Expire).unwrap();
                    next.last = at;
                    Rec::Act(next)
                }
            };
            writes.push((*id, next));
        }
        writes
    }

    /// The usage grants of `partner` on tenant `t` at the model's clock: the workloads of its
    /// official associations (approved, opt-out window passed).
    fn grants(&self, partner: u8, t: u8) -> Vec<UsageGrant> {
        let grants: BTreeSet<UsageGrant> = self
            .claims
            .values()
            .filter_map(|rec| match rec {
                Rec::Assoc(a)
                    if a.partner == partner
                        && a.tenant == t
                        && a.state == AssociationState::Approved
                        && a.opt_out_until.is_some_and(|until| self.clock >= until) =>
                {
                    Some(a)
                }
                _ => None,
            })
            .flat_map(|a| workloads_of(a.mask))
            .map(|w| UsageGrant {
                engagement: mws(),
                unit: KeyUnit::Workload(workload(w)),
            })
            .collect();
        grants.into_iter().collect()
    }

    /// Every deadline worth aiming at: timers, dispute windows and opt-out windows.
    fn deadlines(&self) -> Vec<DateTime<Utc>> {
        let mut points = Vec::new();
        for rec in self.claims.values() {
            points.extend(rec.deadline());
            if let Rec::Assoc(a) = rec {
                points.extend(a.opt_out_until);
                points.extend(a.dispute_until.flatten());
            }
        }
        points
    }

    /// Operations that the lifecycle allows on the existing claims, by the proper actor,
    /// weighted by repetition towards the long paths (approval, competition, arbitration).
    fn likely_ops(&self) -> Vec<Op> {
        use AssociationState as S;
        let mut ops = Vec::new();
        for (&id, rec) in &self.claims {
            match rec {
                Rec::Assoc(a) => {
                    let admin = Who::Admin(a.partner);
                    // Another partner competes for the keys of a claim under review or approved.
                    if matches!(a.state, S::UnderReview | S::Approved) {
                        for other in [(a.partner + 1) % 3, (a.partner + 2) % 3] {
                            ops.push(Op::Create {
                                id: self.max_id + 1,
                                who: Who::Admin(other),
                                tenant: Ten::Known(a.tenant),
                                mask: a.mask,
                            });
                        }
                    }
                    let mut push = |who: Who, cmd: ACmd, times: usize| {
                        for _ in 0..times {
                            ops.push(Op::Association {
                                id,
                                who,
                                cmd: cmd.clone(),
                            });
                        }
                    };
                    match a.state {
                        S::Draft if a.poe == 0 => {
                            push(admin, ACmd::AttachPoe, 6);
                            push(admin, ACmd::Withdraw, 1);
                        }
                        S::Draft => {
                            push(admin, ACmd::Submit(Acknowledgement::Given), 6);
                            push(admin, ACmd::AttachPoe, 1);
                        }
                        S::Submitted => {
                            push(Who::Reviewer, ACmd::StartReview, 6);
                            push(Who::Customer, ACmd::Decline, 1);
                        }
                        S::UnderReview => {
                            push(Who::Reviewer, ACmd::Approve(None), 6);
                            let competing: BTreeSet<u128> = workloads_of(a.mask)
                                .into_iter()
                                .flat_map(|workload| {
                                    self.holders(Key::Associated {
                                        tenant: a.tenant,
                                        workload,
                                    })
                                })
                                .filter(|h| *h != id)
                                .collect();
                            for holder in competing {
                                push(Who::Reviewer, ACmd::Approve(Some(holder)), 8);
                            }
                            push(Who::Reviewer, ACmd::RequestInfo, 2);
                            push(Who::Reviewer, ACmd::Reject, 2);
                            push(Who::Customer, ACmd::Decline, 1);
                        }
                        S::PartnerActionRequired => {
                            let plain = ACmd::Resubmit {
                                partner: None,
                                mask: None,
                                poe: false,
                            };
                            push(admin, plain, 2);
                            let moved = ACmd::Resubmit {
                                partner: Some((a.partner + 1) % 3),
                                mask: None,
                                poe: true,
                            };
                            push(admin, moved.clone(), 1);
                            push(Who::Account, moved, 1);
                            let widened = ACmd::Resubmit {
                                partner: None,
                                mask: Some(if a.mask == 7 { 1 } else { 7 }),
                                poe: false,
                            };
                            push(admin, widened, 1);
                            push(admin, ACmd::AttachPoe, 1);
                            push(Who::System, ACmd::Expire, 1);
                            push(Who::Customer, ACmd::Decline, 1);
                        }
                        S::Approved => {
                            push(admin, ACmd::Disassociate, 1);
                            push(Who::Customer, ACmd::Decline, 1);
                        }
                        S::Rejected if !a.disputed && a.dispute_until.flatten().is_some() => {
                            push(admin, ACmd::Dispute, 3);
                        }
                        S::Rejected => {}
                        S::Disputed => {
                            push(Who::Reviewer, ACmd::ApproveDispute, 3);
                            push(Who::Reviewer, ACmd::RejectDispute, 1);
                            push(Who::Customer, ACmd::Decline, 1);
                        }
                        S::RejectedFinal | S::Withdrawn => {}
                    }
                }
                Rec::Act(m) => {
                    let nominate = |who: Who, partner: u8, customer: Cust, id: u128| Op::Nominate {
                        who,
                        partner,
                        customer,
                        engagements: vec![(m.eng, id)],
                        action: Action::Add,
                        reason: true,
                        hours: false,
                    };
                    if m.state.is_active() {
                        // Partners compete for the customer's places, by the same ID or by
                        // its domain/tenant twin.
                        let twin = match m.customer {
                            Cust::Contoso => Cust::T0,
                            Cust::T0 => Cust::Contoso,
                            other => other,
                        };
                        for partner in 0..3 {
                            for customer in [m.customer, twin] {
                                let id = self.max_id + 1;
                                ops.push(nominate(Who::Admin(partner), partner, customer, id));
                            }
                        }
                    } else {
                        // A retry with the ID of a finished claim.
                        ops.push(nominate(Who::Admin(m.partner), m.partner, m.customer, id));
                    }
                    for cmd in MCMDS {
                        if activity_next(m.state, cmd).is_none() {
                            continue;
                        }
                        let who = match cmd {
                            MCmd::SendConsent | MCmd::ResendConsent if m.partner == 0 => Who::User,
                            MCmd::SendConsent | MCmd::ResendConsent | MCmd::Cancel => {
                                Who::Admin(m.partner)
                            }
                            MCmd::AcceptConsent | MCmd::DeclineConsent => Who::Customer,
                            MCmd::Expire => Who::System,
                        };
                        let times = match cmd {
                            MCmd::SendConsent | MCmd::AcceptConsent => 2,
                            _ => 1,
                        };
                        for _ in 0..times {
                            ops.push(Op::Activity { id, who, cmd });
                        }
                    }
                }
            }
        }
        ops
    }
}

// ---------------------------------------------------------------------------------------------
// Generation.
// ---------------------------------------------------------------------------------------------

fn any_who() -> BoxedStrategy<Who> {
    select(EVERYONE.to_vec()).boxed()
}

fn mask() -> BoxedStrategy<u8> {
    prop_oneof![12 => 1..=7_u8, 1 => Just(0_u8)].boxed()
}

fn any_association_command(ids: Vec<u128>) -> BoxedStrategy<ACmd> {
    let resubmit = (
        proptest::option::weighted(0.3, 0..3_u8),
        proptest::option::weighted(0.3, mask()),
        any::<bool>(),
    )
        .prop_map(|(partner, mask, poe)| ACmd::Resubmit { partner, mask, poe });
    prop_oneof![
        Just(ACmd::AttachPoe),
        select(vec![Acknowledgement::Given, Acknowledgement::Withheld]).prop_map(ACmd::Submit),
        Just(ACmd::Withdraw),
        Just(ACmd::StartReview),
        Just(ACmd::RequestInfo),
        Just(ACmd::Approve(None)),
        select(ids).prop_map(|h| ACmd::Approve(Some(h))),
        Just(ACmd::Reject),
        resubmit,
        Just(ACmd::Expire),
        Just(ACmd::Decline),
        Just(ACmd::Disassociate),
        Just(ACmd::Dispute),
        Just(ACmd::ApproveDispute),
        Just(ACmd::RejectDispute),
    ]
    .boxed()
}

/// A nomination: mostly one engagement, by the partner's admin, for a customer ID the
/// engagement accepts; sometimes anything.
fn nomination(fresh: u128, ids: Vec<u128>) -> BoxedStrategy<Op> {
    let engagements = prop_oneof![
        12 => select(ENGAGEMENTS.to_vec()).prop_map(|e| vec![e]),
        1 => Just(vec![Eng::Assessment, Eng::Small]),
        1 => Just(Vec::new()),
    ];
    let with_customer = engagements.prop_flat_map(|engs| {
        let fitting: Vec<Cust> = match engs.first() {
            Some(Eng::Assessment) => vec![Cust::Contoso, Cust::T0, Cust::T0, Cust::T1],
            Some(Eng::Small) => vec![Cust::Tpid, Cust::Tpid, Cust::Azure, Cust::TpidUnknown],
            None => CUSTOMERS.to_vec(),
        };
        let customer = prop_oneof![6 => select(fitting), 1 => select(CUSTOMERS.to_vec())];
        (Just(engs), customer)
    });
    let first = prop_oneof![9 => Just(fresh), 1 => select(ids)];
    let who = prop_oneof![8 => Just(None), 1 => any_who().prop_map(Some)];
    let action = prop_oneof![15 => Just(Action::Add), 1 => Just(Action::Claim)];
    (
        0..3_u8,
        who,
        with_customer,
        action,
        any::<bool>(),
        proptest::bool::weighted(0.03),
        first,
    )
        .prop_map(
            |(partner, who, (engs, customer), action, reason, hours, first)| Op::Nominate {
                who: who.unwrap_or(Who::Admin(partner)),
                partner,
                customer,
                engagements: engs.into_iter().zip(first..).collect::<Vec<(Eng, u128)>>(),
                action,
                reason,
                hours,
            },
        )
        .boxed()
}

/// When the next step happens: at the clock, minutes, hours or days later, or around a
/// deadline that is still ahead.
fn time(model: &Model) -> BoxedStrategy<DateTime<Utc>> {
    let base = model.clock;
    let mut points: Vec<DateTime<Utc>> = model
        .deadlines()
        .into_iter()
        .flat_map(|d| [d - Duration::seconds(1), d, d + Duration::seconds(1)])
        .filter(|d| *d >= base)
        .collect();
    if points.is_empty() {
        points.push(base);
    }
    prop_oneof![
        3 => Just(base),
        6 => (1..=600_i64).prop_map(move |m| base + Duration::minutes(m)),
        6 => (1..=72_i64).prop_map(move |h| base + Duration::hours(h)),
        4 => (1..=20_i64).prop_map(move |d| base + Duration::days(d)),
        1 => (20..=45_i64).prop_map(move |d| base + Duration::days(d)),
        3 => select(points),
    ]
    .boxed()
}

struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        let seed = (
            0..3_u8,
            prop_oneof![3 => Just(0_u8), 1 => Just(1_u8)],
            prop_oneof![1 => Just(7_u8), 1 => 1..=7_u8],
            proptest::bool::weighted(0.7),
        );
        prop_oneof![
            1 => Just(Vec::new()),
            3 => proptest::collection::vec(seed, 1..=3),
        ]
        .prop_map(|seeds| Model::seeded(&seeds))
        .boxed()
    }

    fn transitions(model: &Model) -> BoxedStrategy<Step> {
        let fresh = model.max_id + 1;
        let open = model
            .claims
            .values()
            .filter(|rec| matches!(rec, Rec::Assoc(a) if a.open()))
            .count();
        // Every ID named so far, and one that is not (yet).
        let ids: Vec<u128> = (1..=fresh).collect();
        let create = (
            prop_oneof![9 => Just(fresh), 1 => select(ids.clone())],
            prop_oneof![8 => (0..3_u8).prop_map(Who::Admin), 1 => any_who()],
            prop_oneof![
                8 => Just(Ten::Known(0)),
                4 => Just(Ten::Known(1)),
                1 => Just(Ten::Garbage),
            ],
            // Often every workload, so that partners compete for keys.
            prop_oneof![1 => Just(7_u8), 2 => mask()],
        )
            .prop_map(|(id, who, tenant, mask)| Op::Create {
                id,
                who,
                tenant,
                mask,
            });
        let association = (
            select(ids.clone()),
            any_who(),
            any_association_command(ids.clone()),
        )
            .prop_map(|(id, who, cmd)| Op::Association { id, who, cmd });
        let activity = (select(ids.clone()), any_who(), select(MCMDS.to_vec()))
            .prop_map(|(id, who, cmd)| Op::Activity { id, who, cmd });
        let load = (select(ids.clone()), any_who()).prop_map(|(id, who)| Op::Load { id, who });
        let mut ops: Vec<(u32, BoxedStrategy<Op>)> = vec![
            // Fewer new claims while several are under way, so that they get far.
            (if open < 3 { 6 } else { 2 }, create.boxed()),
            (3, nomination(fresh, ids)),
            (2, association.boxed()),
            (1, activity.boxed()),
            (2, load.boxed()),
            (2, Just(Op::Sweep).boxed()),
        ];
        let likely = model.likely_ops();
        if !likely.is_empty() {
            ops.push((30, select(likely).boxed()));
        }
        (time(model), Union::new_weighted(ops))
            .prop_map(|(at, op)| Step { at, op })
            .boxed()
    }

    fn apply(mut model: Model, step: &Step) -> Model {
        model.expect = match model.step(step) {
            Ok(writes) => {
                let touched = writes.iter().map(|(id, _)| *id).collect();
                for (id, rec) in writes {
                    model.claims.insert(id, rec);
                }
                Expect::Accepted(touched)
            }
            Err(refusal) => Expect::Refused(refusal),
        };
        model.clock = model.clock.max(step.at);
        model.max_id = model.max_id.max(step.op.max_id());
        model
    }
}

// ---------------------------------------------------------------------------------------------
// The system under test.
// ---------------------------------------------------------------------------------------------

fn form(tenant: Ten, mask: u8) -> AssociationForm {
    AssociationForm {
        tenant: match tenant {
            Ten::Known(t) => TENANTS[usize::from(t)].into(),
            Ten::Garbage => "not-a-tenant".into(),
        },
        workloads: workloads_of(mask)
            .into_iter()
            .map(|w| WORKLOADS[usize::from(w)].to_string())
            .collect(),
        ..mws_form()
    }
}

/// What an accepted operation answered.
enum Done {
    Association(service::Outcome<AssociationClaim, AssociationEvent>),
    Activities(Vec<service::Outcome<ActivityClaim, ActivityEvent>>),
    Swept(Vec<Swept>),
    Loaded(Stored),
}

impl Done {
    /// The claims it answered with, as (claim, version).
    fn claims(&self) -> Vec<(Claim, Version)> {
        match self {
            Self::Association(o) => vec![(Claim::Association(o.claim.clone()), o.version)],
            Self::Activities(os) => os
                .iter()
                .map(|o| (Claim::Activity(o.claim.clone()), o.version))
                .collect(),
            Self::Swept(swept) => swept
                .iter()
                .map(|s| match s {
                    Swept::Association(o) => (Claim::Association(o.claim.clone()), o.version),
                    Swept::Activity(o) => (Claim::Activity(o.claim.clone()), o.version),
                })
                .collect(),
            Self::Loaded(stored) => vec![(stored.claim.clone(), stored.version)],
        }
    }
}

fn run(claims: &Claims<InMemoryStore>, step: &Step) -> Result<Done, ServiceError> {
    let at = step.at;
    match &step.op {
        Op::Create {
            id,
            who,
            tenant,
            mask,
        } => claims
            .create_association(claim_id(*id), &form(*tenant, *mask), &who.actor(), at)
            .map(Done::Association),
        Op::Association { id, who, cmd } => claims
            .association(
                claim_id(*id),
                &cmd.command(),
                &who.actor_on(claims, *id),
                at,
            )
            .map(Done::Association),
        Op::Nominate {
            who,
            partner,
            customer,
            engagements,
            action,
            reason,
            hours,
        } => {
            let nomination = Nomination {
                name: text("Contoso engagement"),
                partner: pid(*partner),
                customer: customer.id(),
                customer_contact: customer_contact(),
                company_contact: company_contact(),
                mismatch_reason: reason.then(|| text("the customer mails from contoso.com")),
                engagements: engagements
                    .iter()
                    .map(|(eng, id)| (eng.id(), claim_id(*id)))
                    .collect(),
                hours: hours.then_some(10),
            };
            claims
                .nominate(&nomination, *action, &who.actor(), at, &*FACTS)
                .map(Done::Activities)
        }
        Op::Activity { id, who, cmd } => claims
            .activity(
                claim_id(*id),
                &cmd.command(),
                &who.actor_on(claims, *id),
                at,
                &*FACTS,
            )
            .map(|o| Done::Activities(vec![o])),
        Op::Load { id, who } => claims
            .load(&who.actor_on(claims, *id), claim_id(*id))
            .map(Done::Loaded),
        Op::Sweep => claims.sweep(at, &*FACTS).map(Done::Swept),
    }
}

/// Everything the store shows on Microsoft's side: every claim with its version, what each
/// partner location lists, every key's holder, every count, and the timer index.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    claims: BTreeMap<u128, Stored>,
    listed: Vec<Vec<ClaimId>>,
    holders: Vec<Option<ClaimId>>,
    counts: Vec<u32>,
    due: Vec<ClaimId>,
}

fn snapshot(store: &InMemoryStore, max_id: u128) -> Snapshot {
    Snapshot {
        claims: (1..=max_id)
            .filter_map(|n| {
                store
                    .load(Scope::Microsoft, claim_id(n))
                    .unwrap()
                    .map(|s| (n, s))
            })
            .collect(),
        listed: (0..3)
            .map(|p| {
                store
                    .by_partner(
                        pid(p),
                        cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT),
                    )
                    .unwrap()
                    .into_iter()
                    .map(|s| s.claim.id())
                    .collect()
            })
            .collect(),
        holders: KEYS.iter().map(|(_, k)| store.holder(k).unwrap()).collect(),
        counts: COUNTED
            .iter()
            .map(|(_, k)| store.count(k).unwrap())
            .collect(),
        due: store
            .due(
                DateTime::<Utc>::MAX_UTC,
                cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT),
            )
            .unwrap()
            .items,
    }
}

/// The customer an activity claim counts towards, from what the claim itself records: the
/// tenant its nomination resolved to, or the nominated ID.
fn counted_customer(claim: &ActivityClaim) -> CustomerId {
    match claim.customer() {
        CustomerId::Domain(_) => claim
            .resolved_tenant()
            .map_or_else(|| claim.customer().clone(), CustomerId::Tenant),
        other => other.clone(),
    }
}

/// The stored claim is the model's.
fn agrees(n: u128, rec: &Rec, claim: &Claim) {
    match (rec, claim) {
        (Rec::Assoc(a), Claim::Association(c)) => {
            assert_eq!(c.state(), a.state, "claim {n}");
            assert_eq!(c.content().partner, pid(a.partner), "claim {n}");
            assert_eq!(c.content().tenant, tenant_id(a.tenant), "claim {n}");
            let keys: Vec<_> = workloads_of(a.mask)
                .into_iter()
                .map(|w| association_key(a.tenant, w))
                .collect();
            assert_eq!(c.keys(), keys, "claim {n}");
            assert_eq!(c.poe().len(), a.poe, "claim {n}");
            assert_eq!(c.is_disputed(), a.disputed, "claim {n}");
            assert_eq!(c.next_deadline(), rec.deadline(), "claim {n}");
        }
        (Rec::Act(m), Claim::Activity(c)) => {
            assert_eq!(c.state(), m.state, "claim {n}");
            assert_eq!(c.partner(), pid(m.partner), "claim {n}");
            assert_eq!(c.customer(), &m.customer.id(), "claim {n}");
            assert_eq!(c.engagement(), &m.eng.id(), "claim {n}");
            assert_eq!(c.next_deadline(), rec.deadline(), "claim {n}");
        }
        (rec, claim) => panic!("claim {n}: the model has {rec:?}, the store {claim:?}"),
    }
}

struct ServiceTest;

impl StateMachineTest for ServiceTest {
    type SystemUnderTest = Claims<InMemoryStore>;
    type Reference = Reference;

    fn init_test(model: &Model) -> Claims<InMemoryStore> {
        let mut claims = Claims::new(InMemoryStore::new(), Catalogs::builtin());
        // Replay the setup through the service, checked like any step.
        let mut replay = Model::new();
        for step in &model.setup {
            replay = Reference::apply(replay, step);
            claims = Self::apply(claims, &replay, step.clone());
            Self::check_invariants(&claims, &replay);
        }
        claims
    }

    fn apply(claims: Claims<InMemoryStore>, model: &Model, step: Step) -> Claims<InMemoryStore> {
        let store = claims.store();
        let before = snapshot(store, model.max_id);
        let result = run(&claims, &step);
        match (result, &model.expect) {
            (Err(e), Expect::Refused(refusal)) => {
                assert_eq!(e.code(), refusal.code, "{step:?}: {e}");
                if let ServiceError::Store(StoreError::KeyHeld { key, holder }) = &e {
                    assert_eq!(e.holder(), Some(*holder));
                    assert!(
                        refusal.holders.contains(&num(*holder)),
                        "{step:?}: {e}, the model expects one of {:?}",
                        refusal.holders
                    );
                    assert_eq!(store.holder(key).unwrap(), Some(*holder), "{step:?}: {e}");
                } else {
                    assert_eq!(e.holder(), None, "{step:?}: {e}");
                }
                if let ServiceError::Activity(ActivityError::NotEligible { reasons, .. }) = &e {
                    let mut got: Vec<&str> = reasons.iter().map(|r| r.code()).collect();
                    let mut expected = refusal.reasons.clone();
                    got.sort_unstable();
                    expected.sort_unstable();
                    assert_eq!(got, expected, "{step:?}: {e}");
                }
                // 4. A refused command changes nothing in the store.
                assert_eq!(
                    snapshot(store, model.max_id),
                    before,
                    "{step:?} was refused ({e}) but changed the store"
                );
            }
            (Ok(done), Expect::Accepted(touched)) => {
                let after = snapshot(store, model.max_id);
                let changed: BTreeSet<u128> = after
                    .claims
                    .iter()
                    .filter(|(n, s)| before.claims.get(n) != Some(s))
                    .map(|(n, _)| *n)
                    .collect();
                assert_eq!(&changed, touched, "{step:?}: the claims written");
                // What the service answers is what it stored.
                for (claim, version) in done.claims() {
                    let stored = store.load(Scope::Microsoft, claim.id()).unwrap();
                    assert_eq!(
                        stored,
                        Some(Stored { claim, version }),
                        "{step:?}: the answer is not what is stored"
                    );
                }
                if let Done::Swept(swept) = &done {
                    let ids: BTreeSet<u128> = swept
                        .iter()
                        .map(|s| match s {
                            Swept::Association(o) => num(o.claim.id()),
                            Swept::Activity(o) => num(o.claim.id()),
                        })
                        .collect();
                    assert_eq!(&ids, touched, "{step:?}: swept");
                }
            }
            (Err(e), Expect::Accepted(_)) => {
                panic!(
                    "{step:?}: refused with {e} ({}), the model accepts",
                    e.code()
                )
            }
            (Ok(done), Expect::Refused(refusal)) => panic!(
                "{step:?}: accepted ({:?}), the model refuses with {refusal:?}",
                done.claims()
                    .iter()
                    .map(|(c, v)| (c.id(), *v))
                    .collect::<Vec<_>>()
            ),
        }
        claims
    }

    fn check_invariants(claims: &Claims<InMemoryStore>, model: &Model) {
        let store = claims.store();

        // Every stored claim, partner by partner. 3. A partner lists only its own claims.
        let mut all: BTreeMap<u128, Stored> = BTreeMap::new();
        for p in 0..3 {
            for stored in store
                .by_partner(
                    pid(p),
                    cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT),
                )
                .unwrap()
            {
                assert_eq!(
                    stored.claim.partner(),
                    pid(p),
                    "by_partner({p}): {stored:?}"
                );
                let n = num(stored.claim.id());
                assert!(all.insert(n, stored).is_none(), "claim {n} listed twice");
            }
            for engagement in [mws(), Eng::Assessment.id(), Eng::Small.id()] {
                for stored in store
                    .by_partner_engagement(
                        pid(p),
                        &engagement,
                        cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT),
                    )
                    .unwrap()
                {
                    assert_eq!(stored.claim.partner(), pid(p));
                    assert_eq!(stored.claim.engagement(), &engagement);
                }
            }
            for customer in CUSTOMERS {
                for stored in store
                    .by_customer(
                        Scope::Partner(pid(p)),
                        &customer.id(),
                        cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT),
                    )
                    .unwrap()
                {
                    assert_eq!(stored.claim.partner(), pid(p), "by_customer: {stored:?}");
                }
            }
        }
        // The store holds exactly the model's claims, as the model has them.
        assert_eq!(
            all.keys().collect::<Vec<_>>(),
            model.claims.keys().collect::<Vec<_>>(),
            "the claims in the store"
        );
        for (n, stored) in &all {
            assert_eq!(
                store.load(Scope::Microsoft, claim_id(*n)).unwrap().as_ref(),
                Some(stored)
            );
            agrees(*n, &model.claims[n], &stored.claim);
        }

        // 1. At most one associated partner per key, and it holds the key in the store.
        let mut associated: BTreeMap<AssociationKey, ClaimId> = BTreeMap::new();
        for stored in all.values() {
            if let Claim::Association(c) = &stored.claim
                && c.state() == AssociationState::Approved
            {
                for key in c.keys() {
                    if let Some(other) = associated.insert(key.clone(), c.id()) {
                        panic!("{key} is associated with both {other} and {}", c.id());
                    }
                    assert_eq!(
                        store.holder(&UniqueKey::Associated { key }).unwrap(),
                        Some(c.id())
                    );
                }
            }
        }
        // Every key's holder is the model's (the associated partner, the open claims per
        // partner and key, the open activity claims).
        for (key, unique) in KEYS.iter() {
            let holders = model.holders(*key);
            assert!(holders.len() <= 1, "the model holds {key:?} by {holders:?}");
            assert_eq!(
                store.holder(unique).unwrap(),
                holders.first().map(|n| claim_id(*n)),
                "holder of {unique}"
            );
            if let UniqueKey::Associated { key } = unique {
                assert_eq!(
                    store.holder(unique).unwrap(),
                    associated.get(key).copied(),
                    "{key}"
                );
            }
        }

        // 2. No cap is exceeded, and the store's count agrees with the active claims.
        let mut active: BTreeMap<CountedKey, u32> = BTreeMap::new();
        for stored in all.values() {
            if let Claim::Activity(c) = &stored.claim
                && c.state().is_active()
            {
                let key = CountedKey {
                    engagement: c.engagement().clone(),
                    customer: counted_customer(c),
                };
                let count = active.entry(key.clone()).or_insert(0);
                *count += 1;
                let cap = cpor::Catalogs::builtin()
                    .get(c.program_year())
                    .and_then(|catalog| catalog.engagement(c.engagement()))
                    .and_then(|e| e.as_mci())
                    .map(|mci| mci.max_active_claims_per_customer)
                    .unwrap();
                assert!(*count <= cap, "{key}: more than {cap} active claims");
            }
        }
        for ((eng, customer), key) in COUNTED.iter() {
            let n = active.get(key).copied().unwrap_or(0);
            assert!(n <= eng.cap(), "{key}: {n} active claims");
            assert_eq!(store.count(key).unwrap(), n, "count of {key}");
            assert_eq!(
                model.count(*eng, *customer),
                n,
                "the model's count of {key}"
            );
        }

        // 3. A partner never reads another partner's claim.
        for (n, stored) in &all {
            let owner = stored.claim.partner();
            for who in EVERYONE {
                let Some(_) = who.partner() else { continue };
                if (0..3).any(|p| pid(p) == owner && who.acts_for(p)) {
                    continue;
                }
                match claims.load(&who.actor(), claim_id(*n)) {
                    Err(e) => assert_eq!(e.code(), "service.not_found", "{who:?} loads {n}"),
                    Ok(seen) => panic!("{who:?} of another location loaded {seen:?}"),
                }
            }
        }
        for p in 0..3 {
            for t in 0..2 {
                let grants = claims
                    .usage_scope(pid(p), tenant_id(t), model.clock)
                    .unwrap();
                assert_eq!(
                    grants,
                    model.grants(p, t),
                    "usage scope of {p} on tenant {t}"
                );
            }
            let other = Who::Admin((p + 1) % 3).actor();
            let page = claims.customers_page(
                &Eng::Assessment.id(),
                pid(p),
                &other,
                &[],
                model.clock,
                &*FACTS,
            );
            assert_eq!(page.err().map(|e| e.code()), Some("activity.other_partner"));
        }
    }
}

prop_state_machine! {
    #![proptest_config(proptest_config(500, "proptest-regressions/service_model.txt"))]

    #[test]
    fn the_service_keeps_the_store_consistent_across_partners(sequential 1..25 => ServiceTest);
}

// ---------------------------------------------------------------------------------------------
// The model's own arithmetic, pinned against the library.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_model_calendar_and_engagements_match_the_catalog() {
    let catalog = Catalog::builtin();
    let calendar = catalog.calendar();
    for at in [t0(), t0() + Duration::days(4), t0() + Duration::hours(110)] {
        for n in [OPT_OUT_BUSINESS_DAYS, INFO_REQUEST_BUSINESS_DAYS] {
            assert_eq!(
                calendar.add_business_days_at(at, n),
                Some(add_business_days(at, n))
            );
        }
    }
    let rules = catalog.cpor_rules();
    assert_eq!(rules.opt_out_business_days, OPT_OUT_BUSINESS_DAYS);
    assert_eq!(rules.info_request_business_days, INFO_REQUEST_BUSINESS_DAYS);
    assert_eq!(u64::from(rules.dispute_days), DISPUTE_DAYS);
    for eng in ENGAGEMENTS {
        let mci = catalog.engagement(&eng.id()).unwrap().as_mci().unwrap();
        assert_eq!(mci.max_active_claims_per_customer, eng.cap(), "{eng:?}");
        for customer in CUSTOMERS {
            assert_eq!(mci.allows(customer.id().kind()), eng.allows(customer));
        }
        let deadlines = catalog.mci_deadlines(&eng.id()).unwrap();
        assert_eq!(u64::from(deadlines.consent_days), CONSENT_DAYS);
        assert_eq!(
            u64::from(deadlines.first_submit_days),
            eng.first_submit_days()
        );
    }
}
