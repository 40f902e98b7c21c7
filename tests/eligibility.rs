//! Eligibility of MCI nominations (domain.md section 5.2): a table of cases covering every
//! reason code, named tests for each rule, and a property test against a reference model.

use std::cell::RefCell;
use std::collections::BTreeSet;

use cpor::catalog::EngagementId;
use cpor::eligibility::{
    Action, CustomerEligibility, Decision, DecisionView, EligibilityRequest, EmailDomainCheck,
    Enrollment, Facts, InMemoryFacts, OpenClaim, Reason, ReasonVisibility, Relationship, Step,
    check,
};
use cpor::{
    Actor, Catalog, CustomerId, CustomerIdKind, DomainName, EmailAddress, PartnerId,
    PartnerUserRole, TenantId, Text, UserId, UserRoles,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const ASSESSMENT: &str = "copilot_readiness_assessment"; // fixed: domain, tenant; cap 1
const WORKSHOP: &str = "threat_protection_workshop"; // fixed: domain, tenant, tpid; cap 1
const SMALL: &str = "azure_migration_small_project"; // fixed: tpid, azure subscription; cap 2
const MEDIUM: &str = "bizapps_deployment_medium_project"; // variable: msx only; cap 1
const LARGE: &str = "azure_innovate_large_project"; // variable: msx only; cap 1
const CPOR: &str = "mws_usage"; // a CPOR engagement
const UNKNOWN: &str = "no_such_engagement";
const MCI: [&str; 5] = [ASSESSMENT, WORKSHOP, SMALL, MEDIUM, LARGE];

const TENANT_A: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47"; // owns contoso.com
const TENANT_B: &str = "6f9619ff-8b86-d011-b42d-00c04fc964ff"; // owns northwind.com
const TENANT_C: &str = "0b1e7a52-0c4d-4d5e-9f3a-1c2b3d4e5f60"; // not eligible

const DOMAIN: &str = "domain:contoso.com"; // resolves to TENANT_A
const DOMAIN_C: &str = "domain:tailspin.com"; // resolves to TENANT_C
const DOMAIN_UNRESOLVED: &str = "domain:unknown-customer.com";
const TENANT: &str = "tenant:72f988bf-86f1-41af-91ab-2d7cd011db47";
const TENANT_NORTHWIND: &str = "tenant:6f9619ff-8b86-d011-b42d-00c04fc964ff";
const TENANT_INELIGIBLE: &str = "tenant:0b1e7a52-0c4d-4d5e-9f3a-1c2b3d4e5f60";
const TPID: &str = "tpid:123456";
const TPID_INELIGIBLE: &str = "tpid:999";
const TPID_NO_DATA: &str = "tpid:424242";
const AZURE: &str = "azure_subscription:3fa85f64-5717-4562-b3fc-2c963f66afa6";
const MSX: &str = "msx_opportunity:7-3CVDESBISU";
const MSX_INELIGIBLE: &str = "msx_opportunity:7-ZZZZZZZZZZ";

const EMAIL_CONTOSO: &str = "megan@contoso.com";

fn engagement(id: &str) -> EngagementId {
    id.parse().unwrap()
}

fn customer(id: &str) -> CustomerId {
    id.parse().unwrap()
}

fn tenant(id: &str) -> TenantId {
    id.parse().unwrap()
}

fn domain(name: &str) -> DomainName {
    name.parse().unwrap()
}

fn text(s: &str) -> Text {
    Text::parse(s).unwrap()
}

fn partner() -> PartnerId {
    PartnerId::new(4_512_345).unwrap()
}

fn other_partner() -> PartnerId {
    PartnerId::new(7_700_001).unwrap()
}

/// The actors of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    IncentivesUser,
    NoRole,
    OtherAdmin,
    OtherUser,
    Reviewer,
    Customer,
    System,
}

impl Who {
    const ALL: [Self; 8] = [
        Self::Admin,
        Self::IncentivesUser,
        Self::NoRole,
        Self::OtherAdmin,
        Self::OtherUser,
        Self::Reviewer,
        Self::Customer,
        Self::System,
    ];

    fn actor(self) -> Actor {
        let user = UserId::parse("alex@fabrikam.com").unwrap();
        let admin = UserRoles::of([PartnerUserRole::IncentivesAdmin]);
        let incentives_user = UserRoles::of([PartnerUserRole::IncentivesUser]);
        match self {
            Self::Admin => Actor::partner(partner(), user, admin),
            Self::IncentivesUser => Actor::partner(partner(), user, incentives_user),
            Self::NoRole => Actor::partner(
                partner(),
                user,
                UserRoles::of([PartnerUserRole::ReferralAdmin]),
            ),
            Self::OtherAdmin => Actor::partner(other_partner(), user, admin),
            Self::OtherUser => Actor::partner(other_partner(), user, incentives_user),
            Self::Reviewer => Actor::reviewer(UserId::parse("reviewer@microsoft.com").unwrap()),
            Self::Customer => Actor::customer(cpor::CustomerId::Tenant(
                "72f988bf-86f1-41af-91ab-2d7cd011db47".parse().unwrap(),
            )),
            Self::System => Actor::System,
        }
    }

    /// The reason codes of step 2 for this actor.
    fn codes(self) -> &'static [&'static str] {
        match self {
            Self::Admin => &[],
            Self::IncentivesUser
            | Self::NoRole
            | Self::Reviewer
            | Self::Customer
            | Self::System => &["actor.not_incentives_admin"],
            Self::OtherAdmin => &["actor.other_partner_location"],
            Self::OtherUser => &["actor.not_incentives_admin", "actor.other_partner_location"],
        }
    }
}

/// Facts where the partner is enrolled and eligible for `engagements`, every good ID is
/// eligible for every MCI engagement, and nobody has active claims.
fn base_facts(enrollment: Enrollment, engagements: &[&str]) -> InMemoryFacts {
    let mut facts = InMemoryFacts::new()
        .with_domain(domain("contoso.com"), tenant(TENANT_A))
        .with_domain(domain("tailspin.com"), tenant(TENANT_C))
        .with_email_domains(
            tenant(TENANT_A),
            [domain("contoso.com"), domain("contoso.net")],
        )
        .with_email_domains(tenant(TENANT_B), [domain("northwind.com")]);
    for id in MCI {
        for good in [TENANT, TENANT_NORTHWIND, TPID, AZURE, MSX] {
            facts = facts.eligible(customer(good), engagement(id));
        }
        facts = facts
            .not_eligible(
                customer(TENANT_INELIGIBLE),
                engagement(id),
                text("below the usage threshold"),
            )
            .not_eligible(
                customer(TPID_INELIGIBLE),
                engagement(id),
                text("failed the bona fide check"),
            )
            .not_eligible(
                customer(MSX_INELIGIBLE),
                engagement(id),
                text("opportunity is closed"),
            );
    }
    match enrollment {
        Enrollment::Eligible => {
            for id in engagements {
                facts = facts.enrolled(partner(), engagement(id));
            }
        }
        Enrollment::NotEligibleForEngagement => facts = facts.enrolled_in_mci(partner()),
        Enrollment::NotEnrolled => {}
    }
    facts
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/// One case: a request against `Catalog::builtin()` and the base facts with `extra` applied.
#[derive(Clone)]
struct Case {
    name: &'static str,
    engagement: &'static str,
    customer: &'static str,
    who: Who,
    enrollment: Enrollment,
    action: Action,
    relationship: Relationship,
    open_claim: OpenClaim,
    email: Option<&'static str>,
    mismatch_reason: Option<&'static str>,
    extra: fn(InMemoryFacts) -> InMemoryFacts,
    expect: &'static [&'static str],
}

fn case() -> Case {
    Case {
        name: "",
        engagement: WORKSHOP,
        customer: TENANT,
        who: Who::Admin,
        enrollment: Enrollment::Eligible,
        action: Action::Add,
        relationship: Relationship::New,
        open_claim: OpenClaim::Absent,
        email: Some(EMAIL_CONTOSO),
        mismatch_reason: None,
        extra: |facts| facts,
        expect: &[],
    }
}

fn table() -> Vec<Case> {
    use Action::{Add, Claim};
    use Relationship::{Known, New};
    vec![
        // Eligible nominations, one per ID kind, fixed and variable pay.
        Case {
            name: "domain, fixed pay",
            engagement: ASSESSMENT,
            customer: DOMAIN,
            ..case()
        },
        Case {
            name: "tenant, fixed pay",
            engagement: ASSESSMENT,
            ..case()
        },
        Case {
            name: "tenant, other email domain of the tenant",
            email: Some("ops@contoso.net"),
            ..case()
        },
        Case {
            name: "tenant, no email yet",
            email: None,
            ..case()
        },
        Case {
            name: "tpid, fixed pay",
            customer: TPID,
            ..case()
        },
        Case {
            name: "azure subscription, fixed pay",
            engagement: SMALL,
            customer: AZURE,
            ..case()
        },
        Case {
            name: "tpid, fixed pay, cap 2",
            engagement: SMALL,
            customer: TPID,
            extra: |f| f.with_active_claims(engagement(SMALL), customer(TPID), 1),
            ..case()
        },
        Case {
            name: "msx, variable pay (medium)",
            engagement: MEDIUM,
            customer: MSX,
            ..case()
        },
        Case {
            name: "msx, variable pay (large)",
            engagement: LARGE,
            customer: MSX,
            ..case()
        },
        Case {
            name: "claim a known customer",
            action: Claim,
            relationship: Known,
            ..case()
        },
        Case {
            name: "mismatch with a reason",
            customer: TENANT_NORTHWIND,
            mismatch_reason: Some("contoso is the parent company"),
            ..case()
        },
        // Step 1.
        Case {
            name: "partner not enrolled",
            enrollment: Enrollment::NotEnrolled,
            expect: &["partner.not_enrolled"],
            ..case()
        },
        Case {
            name: "partner not eligible for engagement",
            enrollment: Enrollment::NotEligibleForEngagement,
            expect: &["partner.not_eligible_for_engagement"],
            ..case()
        },
        // Step 2.
        Case {
            name: "incentives user",
            who: Who::IncentivesUser,
            expect: &["actor.not_incentives_admin"],
            ..case()
        },
        Case {
            name: "partner user without incentives role",
            who: Who::NoRole,
            expect: &["actor.not_incentives_admin"],
            ..case()
        },
        Case {
            name: "admin of another location",
            who: Who::OtherAdmin,
            expect: &["actor.other_partner_location"],
            ..case()
        },
        Case {
            name: "incentives user of another location",
            who: Who::OtherUser,
            expect: &["actor.not_incentives_admin", "actor.other_partner_location"],
            ..case()
        },
        Case {
            name: "reviewer",
            who: Who::Reviewer,
            expect: &["actor.not_incentives_admin"],
            ..case()
        },
        Case {
            name: "customer",
            who: Who::Customer,
            expect: &["actor.not_incentives_admin"],
            ..case()
        },
        Case {
            name: "system",
            who: Who::System,
            expect: &["actor.not_incentives_admin"],
            ..case()
        },
        // Step 3.
        Case {
            name: "unknown engagement",
            engagement: UNKNOWN,
            expect: &["engagement.unknown"],
            ..case()
        },
        Case {
            name: "cpor engagement",
            engagement: CPOR,
            expect: &["engagement.not_mci"],
            ..case()
        },
        Case {
            name: "tenant for variable pay",
            engagement: MEDIUM,
            expect: &["customer_id.kind_not_allowed"],
            ..case()
        },
        Case {
            name: "tpid for variable pay",
            engagement: LARGE,
            customer: TPID,
            expect: &["customer_id.kind_not_allowed"],
            ..case()
        },
        Case {
            name: "msx for fixed pay",
            engagement: WORKSHOP,
            customer: MSX,
            expect: &["customer_id.kind_not_allowed"],
            ..case()
        },
        Case {
            name: "tpid outside the fixed-pay subset",
            engagement: ASSESSMENT,
            customer: TPID,
            expect: &["customer_id.kind_not_allowed"],
            ..case()
        },
        Case {
            name: "azure subscription outside the subset",
            engagement: WORKSHOP,
            customer: AZURE,
            expect: &["customer_id.kind_not_allowed"],
            ..case()
        },
        Case {
            name: "domain outside the subset",
            engagement: SMALL,
            customer: DOMAIN,
            expect: &["customer_id.kind_not_allowed"],
            ..case()
        },
        // Step 4.
        Case {
            name: "unresolved domain",
            customer: DOMAIN_UNRESOLVED,
            expect: &["domain.unresolved"],
            ..case()
        },
        Case {
            name: "domain whose tenant is not eligible",
            customer: DOMAIN_C,
            expect: &["customer.not_eligible"],
            ..case()
        },
        // Step 5.
        Case {
            name: "mismatch without a reason",
            customer: TENANT_NORTHWIND,
            expect: &["tenant.email_domain_mismatch_reason_required"],
            ..case()
        },
        Case {
            name: "tenant without email domains",
            customer: TENANT_INELIGIBLE,
            extra: |f| f.eligible(customer(TENANT_INELIGIBLE), engagement(WORKSHOP)),
            expect: &["tenant.email_domain_mismatch_reason_required"],
            ..case()
        },
        Case {
            name: "subdomain does not match",
            email: Some("megan@sales.contoso.com"),
            expect: &["tenant.email_domain_mismatch_reason_required"],
            ..case()
        },
        // Step 6.
        Case {
            name: "tenant not eligible",
            customer: TENANT_INELIGIBLE,
            mismatch_reason: Some("new tenant"),
            expect: &["customer.not_eligible"],
            ..case()
        },
        Case {
            name: "tpid not eligible",
            customer: TPID_INELIGIBLE,
            expect: &["customer.not_eligible"],
            ..case()
        },
        Case {
            name: "tpid without data",
            customer: TPID_NO_DATA,
            expect: &["customer.not_eligible"],
            ..case()
        },
        Case {
            name: "azure subscription without data",
            engagement: SMALL,
            customer: "azure_subscription:11111111-2222-3333-4444-555555555555",
            expect: &["customer.not_eligible"],
            ..case()
        },
        Case {
            name: "msx not eligible",
            engagement: MEDIUM,
            customer: MSX_INELIGIBLE,
            expect: &["customer.not_eligible"],
            ..case()
        },
        // Step 7.
        Case {
            name: "cap of 1 reached by another partner",
            extra: |f| f.with_active_claims(engagement(WORKSHOP), customer(TENANT), 1),
            expect: &["customer.cap_reached"],
            ..case()
        },
        Case {
            name: "cap of 2 reached",
            engagement: SMALL,
            customer: TPID,
            extra: |f| f.with_active_claims(engagement(SMALL), customer(TPID), 2),
            expect: &["customer.cap_reached"],
            ..case()
        },
        Case {
            name: "cap of a domain counts its tenant",
            engagement: ASSESSMENT,
            customer: DOMAIN,
            extra: |f| f.with_active_claims(engagement(ASSESSMENT), customer(TENANT), 1),
            expect: &["customer.cap_reached"],
            ..case()
        },
        Case {
            name: "cap of msx",
            engagement: MEDIUM,
            customer: MSX,
            extra: |f| f.with_active_claims(engagement(MEDIUM), customer(MSX), 5),
            expect: &["customer.cap_reached"],
            ..case()
        },
        Case {
            name: "add a known customer",
            action: Add,
            relationship: Known,
            expect: &["action.use_claim"],
            ..case()
        },
        Case {
            name: "claim an unknown customer",
            action: Claim,
            relationship: New,
            expect: &["action.use_add"],
            ..case()
        },
        Case {
            name: "duplicate open claim",
            open_claim: OpenClaim::Present,
            action: Claim,
            relationship: Known,
            expect: &["claim.duplicate_open"],
            ..case()
        },
        // Several reasons at once.
        Case {
            name: "everything outside the id fails",
            engagement: UNKNOWN,
            who: Who::OtherUser,
            enrollment: Enrollment::NotEnrolled,
            action: Claim,
            open_claim: OpenClaim::Present,
            expect: &[
                "partner.not_enrolled",
                "actor.not_incentives_admin",
                "actor.other_partner_location",
                "engagement.unknown",
                "action.use_add",
                "claim.duplicate_open",
            ],
            ..case()
        },
        Case {
            name: "variable pay nominated by tenant, with cap and duplicate",
            engagement: MEDIUM,
            who: Who::Reviewer,
            enrollment: Enrollment::NotEligibleForEngagement,
            relationship: Known,
            open_claim: OpenClaim::Present,
            extra: |f| f.with_active_claims(engagement(MEDIUM), customer(TENANT), 1),
            expect: &[
                "partner.not_eligible_for_engagement",
                "actor.not_incentives_admin",
                "customer_id.kind_not_allowed",
                "customer.cap_reached",
                "action.use_claim",
                "claim.duplicate_open",
            ],
            ..case()
        },
        Case {
            name: "unresolved domain, cap counted on the domain, duplicate",
            customer: DOMAIN_UNRESOLVED,
            extra: |f| f.with_active_claims(engagement(WORKSHOP), customer(DOMAIN_UNRESOLVED), 1),
            open_claim: OpenClaim::Present,
            expect: &[
                "domain.unresolved",
                "customer.cap_reached",
                "claim.duplicate_open",
            ],
            ..case()
        },
        Case {
            name: "mismatch, tenant not eligible, cap",
            customer: TENANT_INELIGIBLE,
            extra: |f| f.with_active_claims(engagement(WORKSHOP), customer(TENANT_INELIGIBLE), 1),
            expect: &[
                "tenant.email_domain_mismatch_reason_required",
                "customer.not_eligible",
                "customer.cap_reached",
            ],
            ..case()
        },
        Case {
            name: "msx not eligible, cap, claim without knowing",
            engagement: LARGE,
            customer: MSX_INELIGIBLE,
            action: Claim,
            extra: |f| f.with_active_claims(engagement(LARGE), customer(MSX_INELIGIBLE), 1),
            expect: &[
                "customer.not_eligible",
                "customer.cap_reached",
                "action.use_add",
            ],
            ..case()
        },
        Case {
            name: "cpor engagement by a no-role user of the location, not enrolled",
            engagement: CPOR,
            who: Who::NoRole,
            enrollment: Enrollment::NotEnrolled,
            customer: TPID_INELIGIBLE,
            expect: &[
                "partner.not_enrolled",
                "actor.not_incentives_admin",
                "engagement.not_mci",
            ],
            ..case()
        },
    ]
}

fn run(case: &Case) -> Decision {
    let catalog = Catalog::builtin();
    let facts = (case.extra)(base_facts(case.enrollment, &[case.engagement]));
    let actor = case.who.actor();
    let engagement = engagement(case.engagement);
    let customer = customer(case.customer);
    let email = case.email.map(|e| EmailAddress::parse(e).unwrap());
    let reason = case.mismatch_reason.map(text);
    let mut request =
        EligibilityRequest::new(&actor, partner(), &engagement, &customer, case.action)
            .with_relationship(case.relationship)
            .with_open_claim(case.open_claim);
    request.customer_email = email.as_ref();
    request.mismatch_reason = reason.as_ref();
    check(&catalog, &facts, &request)
}

fn codes(decision: &Decision) -> Vec<&'static str> {
    decision.reasons().iter().map(Reason::code).collect()
}

#[test]
fn the_eligibility_table() {
    let mut failures = Vec::new();
    for case in table() {
        let decision = run(&case);
        let got = codes(&decision);
        if got != case.expect {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                case.name, case.expect, got
            ));
        }
        assert_eq!(
            decision.is_eligible(),
            case.expect.is_empty(),
            "{}",
            case.name
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_table_covers_every_reason_code() {
    let covered: BTreeSet<&str> = table()
        .iter()
        .flat_map(|c| c.expect.iter().copied())
        .collect();
    let all: BTreeSet<&str> = Reason::CODES.into_iter().collect();
    assert_eq!(covered, all);
    assert_eq!(all.len(), Reason::CODES.len(), "codes are unique");
    let multi = table().iter().filter(|c| c.expect.len() >= 3).count();
    assert!(multi >= 5, "combinations of failing reasons");
}

#[test]
fn reason_messages_are_lowercase() {
    for case in table() {
        for reason in run(&case).reasons() {
            let message = reason.to_string();
            assert!(!message.is_empty(), "{}", reason.code());
            // MSX opportunity IDs print in uppercase; everything else is lowercase.
            let without_ids = message
                .replace("7-ZZZZZZZZZZ", "")
                .replace("7-3CVDESBISU", "");
            assert_eq!(
                without_ids,
                without_ids.to_lowercase(),
                "{}: {message}",
                case.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One test per rule of section 5.2
// ---------------------------------------------------------------------------------------------

fn admin() -> Actor {
    Who::Admin.actor()
}

/// Facts that answer like `inner` and record every question asked.
struct Recording<F> {
    inner: F,
    asked: RefCell<Vec<String>>,
}

impl<F: Facts> Recording<F> {
    fn new(inner: F) -> Self {
        Self {
            inner,
            asked: RefCell::new(Vec::new()),
        }
    }

    fn note(&self, question: String) {
        self.asked.borrow_mut().push(question);
    }

    fn asked(&self) -> Vec<String> {
        self.asked.borrow().clone()
    }
}

impl<F: Facts> Facts for Recording<F> {
    fn resolve_domain(&self, domain: &DomainName) -> Option<TenantId> {
        self.note(format!("resolve_domain {domain}"));
        self.inner.resolve_domain(domain)
    }

    fn customer_eligibility(
        &self,
        id: &CustomerId,
        engagement: &EngagementId,
    ) -> CustomerEligibility {
        self.note(format!("customer_eligibility {id} {engagement}"));
        self.inner.customer_eligibility(id, engagement)
    }

    fn tenant_email_domains(&self, tenant: &TenantId) -> &[DomainName] {
        self.note(format!("tenant_email_domains {tenant}"));
        self.inner.tenant_email_domains(tenant)
    }

    fn partner_enrollment(&self, partner: PartnerId, engagement: &EngagementId) -> Enrollment {
        self.note(format!("partner_enrollment {partner} {engagement}"));
        self.inner.partner_enrollment(partner, engagement)
    }

    fn active_claims(&self, engagement: &EngagementId, customer: &CustomerId) -> u32 {
        self.note(format!("active_claims {engagement} {customer}"));
        self.inner.active_claims(engagement, customer)
    }

    fn referral_conditions_hold(&self, customer: &CustomerId, engagement: &EngagementId) -> bool {
        self.note(format!("referral_conditions_hold {customer} {engagement}"));
        self.inner.referral_conditions_hold(customer, engagement)
    }

    fn co_sell_qualified(&self, customer: &CustomerId) -> bool {
        self.note(format!("co_sell_qualified {customer}"));
        self.inner.co_sell_qualified(customer)
    }
}

#[test]
fn a_domain_is_resolved_then_its_tenant_is_checked() {
    let catalog = Catalog::builtin();
    let assessment = engagement(ASSESSMENT);
    let nominated = customer(DOMAIN);
    // The domain itself is marked not eligible: it must never be asked about.
    let facts = Recording::new(
        base_facts(Enrollment::Eligible, &[ASSESSMENT]).not_eligible(
            nominated.clone(),
            assessment.clone(),
            text("domains are not checked"),
        ),
    );
    let actor = admin();
    let request = EligibilityRequest::new(&actor, partner(), &assessment, &nominated, Action::Add);
    let decision = check(&catalog, &facts, &request);
    assert!(decision.is_eligible(), "{decision:?}");
    assert_eq!(decision.resolved_tenant(), Some(tenant(TENANT_A)));
    assert!(matches!(
        decision,
        Decision::Eligible {
            email_domain: EmailDomainCheck::NotApplicable,
            ..
        }
    ));
    assert_eq!(
        facts.asked(),
        [
            format!("partner_enrollment {} {ASSESSMENT}", partner()),
            "resolve_domain contoso.com".to_owned(),
            format!("customer_eligibility {TENANT} {ASSESSMENT}"),
            format!("active_claims {ASSESSMENT} {TENANT}"),
        ]
    );

    // A domain whose tenant is not eligible: the reason names the tenant, not the domain.
    let other = customer(DOMAIN_C);
    let request = EligibilityRequest::new(&actor, partner(), &assessment, &other, Action::Add);
    let decision = check(&catalog, &facts, &request);
    assert_eq!(
        decision.reasons(),
        [Reason::CustomerNotEligible {
            id: customer(TENANT_INELIGIBLE),
            reason: Some(text("below the usage threshold")),
        }]
    );
}

#[test]
fn an_unresolved_domain_has_its_own_reason_and_no_tenant_check() {
    let catalog = Catalog::builtin();
    let workshop = engagement(WORKSHOP);
    let nominated = customer(DOMAIN_UNRESOLVED);
    let facts = Recording::new(base_facts(Enrollment::Eligible, &[WORKSHOP]));
    let actor = admin();
    let request = EligibilityRequest::new(&actor, partner(), &workshop, &nominated, Action::Add);
    let decision = check(&catalog, &facts, &request);
    assert_eq!(
        decision.reasons(),
        [Reason::DomainUnresolved {
            domain: domain("unknown-customer.com")
        }]
    );
    assert!(
        !facts
            .asked()
            .iter()
            .any(|q| q.starts_with("customer_eligibility"))
    );
}

#[test]
fn eligibility_never_carries_over_between_ids() {
    let catalog = Catalog::builtin();
    let actor = admin();
    let workshop = engagement(WORKSHOP);
    let small = engagement(SMALL);
    // The tenant is eligible; the same customer's TPID and Azure subscription are not known.
    let facts = InMemoryFacts::new()
        .enrolled(partner(), workshop.clone())
        .enrolled(partner(), small.clone())
        .with_email_domains(tenant(TENANT_A), [domain("contoso.com")])
        .eligible(customer(TENANT), workshop.clone())
        .eligible(customer(TENANT), small.clone());
    let email = EmailAddress::parse(EMAIL_CONTOSO).unwrap();
    let by_tenant = customer(TENANT);
    let request = EligibilityRequest::new(&actor, partner(), &workshop, &by_tenant, Action::Add)
        .with_customer_email(&email);
    assert!(check(&catalog, &facts, &request).is_eligible());

    for (engagement, id) in [(&workshop, TPID), (&small, TPID), (&small, AZURE)] {
        let id = customer(id);
        let request = EligibilityRequest::new(&actor, partner(), engagement, &id, Action::Add);
        let decision = check(&catalog, &facts, &request);
        assert_eq!(
            decision.reasons(),
            [Reason::CustomerNotEligible {
                id: id.clone(),
                reason: None
            }],
            "{id}"
        );
        assert_eq!(
            decision.reasons()[0].to_string(),
            format!("customer {id} is not eligible: no eligibility data")
        );
    }

    // The other way round: an eligible TPID does not make its tenant eligible.
    let facts = facts
        .eligible(customer(TPID), workshop.clone())
        .not_eligible(customer(TENANT), workshop.clone(), text("tenant is new"));
    let tpid = customer(TPID);
    let request = EligibilityRequest::new(&actor, partner(), &workshop, &tpid, Action::Add);
    assert!(check(&catalog, &facts, &request).is_eligible());
    let request = EligibilityRequest::new(&actor, partner(), &workshop, &by_tenant, Action::Add)
        .with_customer_email(&email);
    assert_eq!(
        codes(&check(&catalog, &facts, &request)),
        ["customer.not_eligible"]
    );

    // Eligibility for one engagement says nothing about another.
    let assessment = engagement(ASSESSMENT);
    let facts = facts.enrolled(partner(), assessment.clone());
    let request = EligibilityRequest::new(&actor, partner(), &assessment, &by_tenant, Action::Add)
        .with_customer_email(&email);
    assert_eq!(
        codes(&check(&catalog, &facts, &request)),
        ["customer.not_eligible"]
    );
}

#[test]
fn a_tenant_email_mismatch_needs_a_reason_and_records_it() {
    let catalog = Catalog::builtin();
    let actor = admin();
    let workshop = engagement(WORKSHOP);
    let facts = base_facts(Enrollment::Eligible, &[WORKSHOP]);
    let northwind = customer(TENANT_NORTHWIND);
    let email = EmailAddress::parse("Megan@Contoso.COM").unwrap();
    let request = EligibilityRequest::new(&actor, partner(), &workshop, &northwind, Action::Add)
        .with_customer_email(&email);

    let refused = check(&catalog, &facts, &request);
    assert_eq!(
        refused.reasons(),
        [Reason::TenantEmailDomainMismatchReasonRequired {
            email_domain: domain("contoso.com")
        }]
    );
    assert_eq!(
        refused.reasons()[0].to_string(),
        "the tenant does not match the customer's email domain contoso.com: a reason is required"
    );
    assert_eq!(refused.mismatch_reason(), None);

    let why = text("northwind runs contoso's it");
    let accepted = check(&catalog, &facts, &request.with_mismatch_reason(&why));
    assert_eq!(
        accepted,
        check(&catalog, &facts, &request.with_mismatch_reason(&why)),
        "deterministic"
    );
    assert!(matches!(
        &accepted,
        Decision::Eligible {
            resolved_tenant: Some(t),
            email_domain: EmailDomainCheck::MismatchExplained,
            mismatch_reason: Some(r),
            ..
        } if *t == tenant(TENANT_B) && *r == why
    ));
    assert_eq!(accepted.mismatch_reason(), Some(&why));

    // A matching email (in any letter case) records no reason, even if one is given.
    let contoso = customer(TENANT);
    let request = EligibilityRequest::new(&actor, partner(), &workshop, &contoso, Action::Add)
        .with_customer_email(&email)
        .with_mismatch_reason(&why);
    let matched = check(&catalog, &facts, &request);
    assert!(matches!(
        matched,
        Decision::Eligible {
            email_domain: EmailDomainCheck::Matches,
            mismatch_reason: None,
            ..
        }
    ));

    // Without an email the comparison waits, and says so.
    let request = EligibilityRequest::new(&actor, partner(), &workshop, &northwind, Action::Add);
    assert!(matches!(
        check(&catalog, &facts, &request),
        Decision::Eligible {
            email_domain: EmailDomainCheck::NotChecked,
            ..
        }
    ));

    // Other kinds of nomination are never compared, and a given reason is ignored.
    let tpid = customer(TPID);
    let request = EligibilityRequest::new(&actor, partner(), &workshop, &tpid, Action::Add)
        .with_customer_email(&email)
        .with_mismatch_reason(&why);
    let decision = check(&catalog, &facts, &request);
    assert!(matches!(
        decision,
        Decision::Eligible {
            resolved_tenant: None,
            email_domain: EmailDomainCheck::NotApplicable,
            mismatch_reason: None,
            ..
        }
    ));
}

#[test]
fn the_cap_counts_claims_of_all_partners() {
    let catalog = Catalog::builtin();
    let actor = admin();
    let small = engagement(SMALL); // cap 2
    let tpid = customer(TPID);
    // The partner has no claim of its own; the count is what the application reports for all
    // partners together.
    let request = EligibilityRequest::new(&actor, partner(), &small, &tpid, Action::Add);
    for (active, eligible) in [
        (0, true),
        (1, true),
        (2, false),
        (3, false),
        (u32::MAX, false),
    ] {
        let facts = base_facts(Enrollment::Eligible, &[SMALL]).with_active_claims(
            small.clone(),
            tpid.clone(),
            active,
        );
        let decision = check(&catalog, &facts, &request);
        assert_eq!(decision.is_eligible(), eligible, "{active}");
        if !eligible {
            assert_eq!(
                decision.reasons(),
                [Reason::CustomerCapReached { active, max: 2 }]
            );
        }
    }
    // Claims of the same customer for another engagement do not count.
    let facts = base_facts(Enrollment::Eligible, &[SMALL]).with_active_claims(
        engagement(WORKSHOP),
        tpid.clone(),
        5,
    );
    assert!(check(&catalog, &facts, &request).is_eligible());

    // Claims made by domain and by tenant count together: a domain is counted on its tenant.
    let assessment = engagement(ASSESSMENT);
    let by_domain = customer(DOMAIN);
    let facts = base_facts(Enrollment::Eligible, &[ASSESSMENT]).with_active_claims(
        assessment.clone(),
        customer(TENANT),
        1,
    );
    let request = EligibilityRequest::new(&actor, partner(), &assessment, &by_domain, Action::Add);
    assert_eq!(
        codes(&check(&catalog, &facts, &request)),
        ["customer.cap_reached"]
    );
}

#[test]
fn add_xor_claim() {
    let catalog = Catalog::builtin();
    let actor = admin();
    let workshop = engagement(WORKSHOP);
    let id = customer(TPID);
    let facts = base_facts(Enrollment::Eligible, &[WORKSHOP]);
    for (action, relationship, expect) in [
        (Action::Add, Relationship::New, &[][..]),
        (Action::Add, Relationship::Known, &["action.use_claim"][..]),
        (Action::Claim, Relationship::New, &["action.use_add"][..]),
        (Action::Claim, Relationship::Known, &[][..]),
    ] {
        let request = EligibilityRequest::new(&actor, partner(), &workshop, &id, action)
            .with_relationship(relationship);
        assert_eq!(
            codes(&check(&catalog, &facts, &request)),
            expect,
            "{action:?} {relationship:?}"
        );
    }
}

#[test]
fn no_duplicate_open_claim() {
    let catalog = Catalog::builtin();
    let actor = admin();
    let medium = engagement(MEDIUM);
    let id = customer(MSX);
    let facts = base_facts(Enrollment::Eligible, &[MEDIUM]);
    let request = EligibilityRequest::new(&actor, partner(), &medium, &id, Action::Claim)
        .with_relationship(Relationship::Known);
    assert!(check(&catalog, &facts, &request).is_eligible());
    // The partner's own open claim also counts towards the cap (as the store would report).
    let facts = facts.with_active_claims(medium.clone(), id.clone(), 1);
    let request = request.with_open_claim(OpenClaim::Present);
    assert_eq!(
        codes(&check(&catalog, &facts, &request)),
        ["customer.cap_reached", "claim.duplicate_open"]
    );
}

#[test]
fn the_partner_location_must_be_enrolled_and_eligible() {
    let catalog = Catalog::builtin();
    let actor = admin();
    let workshop = engagement(WORKSHOP);
    let id = customer(TPID);
    let request = EligibilityRequest::new(&actor, partner(), &workshop, &id, Action::Add);
    let enrolled_elsewhere = base_facts(Enrollment::Eligible, &[ASSESSMENT]);
    assert_eq!(
        check(&catalog, &enrolled_elsewhere, &request).reasons(),
        [Reason::PartnerNotEligibleForEngagement { partner: partner() }]
    );
    let not_enrolled = base_facts(Enrollment::NotEnrolled, &[]);
    assert_eq!(
        check(&catalog, &not_enrolled, &request).reasons()[0].to_string(),
        "partner location 4512345 is not enrolled in mci"
    );
}

#[test]
fn only_incentives_admins_of_the_location_may_add_or_claim() {
    let catalog = Catalog::builtin();
    let workshop = engagement(WORKSHOP);
    let id = customer(TPID);
    let facts = base_facts(Enrollment::Eligible, &[WORKSHOP]);
    for who in Who::ALL {
        let actor = who.actor();
        for action in [Action::Add, Action::Claim] {
            let relationship = if action == Action::Add {
                Relationship::New
            } else {
                Relationship::Known
            };
            let request = EligibilityRequest::new(&actor, partner(), &workshop, &id, action)
                .with_relationship(relationship);
            let decision = check(&catalog, &facts, &request);
            assert_eq!(codes(&decision), who.codes(), "{who:?} {action:?}");
            assert!(decision.reasons().iter().all(|r| r.step() == Step::Actor));
        }
    }
    // An admin of the other location is fine for that location.
    let actor = Who::OtherAdmin.actor();
    let facts = facts.enrolled(other_partner(), workshop.clone());
    let request = EligibilityRequest::new(&actor, other_partner(), &workshop, &id, Action::Add);
    assert!(check(&catalog, &facts, &request).is_eligible());
}

#[test]
fn the_id_kind_must_be_allowed_and_variable_pay_takes_msx_only() {
    let catalog = Catalog::builtin();
    let actor = admin();
    let ids = [DOMAIN, TENANT, TPID, AZURE, MSX].map(customer);
    let mut variable = 0;
    for engagement in catalog.mci_engagements() {
        let mci = engagement.as_mci().unwrap();
        if mci.is_variable_pay() {
            variable += 1;
            assert_eq!(mci.allowed_id_kinds, [CustomerIdKind::MsxOpportunity]);
        }
        let facts = base_facts(Enrollment::Eligible, &[engagement.id.as_str()]);
        for id in &ids {
            let request =
                EligibilityRequest::new(&actor, partner(), &engagement.id, id, Action::Add);
            let decision = check(&catalog, &facts, &request);
            let allowed = mci.allows(id.kind());
            assert_eq!(decision.is_eligible(), allowed, "{} {id}", engagement.id);
            if !allowed {
                assert_eq!(
                    decision.reasons(),
                    [Reason::CustomerIdKindNotAllowed { kind: id.kind() }]
                );
            }
        }
    }
    assert!(variable >= 2);
}

#[test]
fn msx_only_engagements_hide_reasons_in_the_view() {
    let catalog = Catalog::builtin();
    let actor = admin();
    let facts = base_facts(Enrollment::Eligible, &[MEDIUM, WORKSHOP]);

    let medium = engagement(MEDIUM);
    let msx = customer(MSX_INELIGIBLE);
    let request = EligibilityRequest::new(&actor, partner(), &medium, &msx, Action::Add);
    let decision = check(&catalog, &facts, &request);
    assert_eq!(
        codes(&decision),
        ["customer.not_eligible"],
        "the caller keeps the reasons"
    );
    assert!(matches!(
        decision,
        Decision::NotEligible {
            visibility: ReasonVisibility::Hidden,
            ..
        }
    ));
    assert_eq!(decision.view(), DecisionView::NotEligible { reasons: None });

    // Hidden for every failing reason of such an engagement, even a kind not allowed.
    let tenant = customer(TENANT);
    let request = EligibilityRequest::new(&actor, partner(), &medium, &tenant, Action::Add);
    assert_eq!(
        check(&catalog, &facts, &request).view(),
        DecisionView::NotEligible { reasons: None }
    );

    // A fixed-pay engagement shows its reasons.
    let workshop = engagement(WORKSHOP);
    let tpid = customer(TPID_INELIGIBLE);
    let request = EligibilityRequest::new(&actor, partner(), &workshop, &tpid, Action::Add);
    let decision = check(&catalog, &facts, &request);
    assert_eq!(
        decision.view(),
        DecisionView::NotEligible {
            reasons: Some(decision.reasons())
        }
    );
    assert_eq!(
        decision.view(),
        DecisionView::NotEligible {
            reasons: Some(&decision.reasons()[..1])
        }
    );

    // An unknown engagement shows its reasons; an eligible decision is just eligible.
    let unknown = engagement(UNKNOWN);
    let request = EligibilityRequest::new(&actor, partner(), &unknown, &tpid, Action::Add);
    let decision = check(&catalog, &facts, &request);
    assert!(
        matches!(decision.view(), DecisionView::NotEligible { reasons: Some(r) } if !r.is_empty())
    );
    let good = customer(MSX);
    let request = EligibilityRequest::new(&actor, partner(), &medium, &good, Action::Add);
    assert_eq!(
        check(&catalog, &facts, &request).view(),
        DecisionView::Eligible
    );
}

#[test]
fn each_fact_is_asked_at_most_once_and_side_facts_are_not_asked() {
    let catalog = Catalog::builtin();
    for case in table() {
        let facts = Recording::new((case.extra)(base_facts(
            case.enrollment,
            &[case.engagement],
        )));
        let actor = case.who.actor();
        let engagement = engagement(case.engagement);
        let customer = customer(case.customer);
        let email = case.email.map(|e| EmailAddress::parse(e).unwrap());
        let mut request =
            EligibilityRequest::new(&actor, partner(), &engagement, &customer, case.action);
        request.customer_email = email.as_ref();
        let dyn_facts: &dyn Facts = &facts;
        let _ = check(&catalog, dyn_facts, &request);
        let asked = facts.asked();
        for method in [
            "resolve_domain",
            "customer_eligibility",
            "tenant_email_domains",
            "partner_enrollment",
            "active_claims",
        ] {
            let n = asked
                .iter()
                .filter(|q| q.split(' ').next() == Some(method))
                .count();
            assert!(n <= 1, "{}: {method} asked {n} times", case.name);
        }
        assert!(
            !asked
                .iter()
                .any(|q| q.starts_with("referral") || q.starts_with("co_sell")),
            "{}",
            case.name
        );
    }
}

#[test]
fn in_memory_facts_defaults_and_setters() {
    let facts = InMemoryFacts::new();
    let workshop = engagement(WORKSHOP);
    let id = customer(TPID);
    assert_eq!(facts.resolve_domain(&domain("contoso.com")), None);
    assert_eq!(
        facts.customer_eligibility(&id, &workshop),
        CustomerEligibility::Unknown
    );
    assert!(facts.tenant_email_domains(&tenant(TENANT_A)).is_empty());
    assert_eq!(
        facts.partner_enrollment(partner(), &workshop),
        Enrollment::NotEnrolled
    );
    assert_eq!(facts.active_claims(&workshop, &id), 0);
    assert!(!facts.referral_conditions_hold(&id, &workshop));
    assert!(!facts.co_sell_qualified(&id));

    let facts = facts
        .enrolled_in_mci(partner())
        .with_referral_conditions(id.clone(), workshop.clone())
        .with_co_sell_qualified(id.clone())
        .with_email_domains(tenant(TENANT_A), [domain("contoso.com")])
        .with_email_domains(tenant(TENANT_A), [domain("contoso.net")])
        .with_eligibility(id.clone(), workshop.clone(), CustomerEligibility::Eligible)
        .not_eligible(id.clone(), workshop.clone(), text("replaced"));
    assert_eq!(
        facts.partner_enrollment(partner(), &workshop),
        Enrollment::NotEligibleForEngagement
    );
    assert!(facts.referral_conditions_hold(&id, &workshop));
    assert!(!facts.referral_conditions_hold(&id, &engagement(ASSESSMENT)));
    assert!(facts.co_sell_qualified(&id));
    assert!(!facts.co_sell_qualified(&customer(TENANT)));
    assert_eq!(
        facts.tenant_email_domains(&tenant(TENANT_A)),
        [domain("contoso.com"), domain("contoso.net")]
    );
    assert_eq!(
        facts.customer_eligibility(&id, &workshop),
        CustomerEligibility::NotEligible {
            reason: text("replaced")
        }
    );
}

#[test]
fn reason_codes_and_steps_follow_check_order() {
    let mut steps = Vec::new();
    for case in table() {
        for reason in run(&case).reasons() {
            let index = Reason::CODES
                .iter()
                .position(|c| *c == reason.code())
                .unwrap();
            steps.push((index, reason.step()));
        }
    }
    steps.sort();
    assert!(
        steps.windows(2).all(|w| w[0].1 <= w[1].1),
        "steps grow with code order"
    );
    assert_eq!(Step::ALL.len(), 7);
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Decision>();
    assert_send_sync::<Reason>();
    assert_send_sync::<InMemoryFacts>();
    assert_send_sync::<EligibilityRequest<'static>>();
    assert_send_sync::<DecisionView<'static>>();
}

// ---------------------------------------------------------------------------------------------
// Property test: arbitrary facts against a reference model
// ---------------------------------------------------------------------------------------------

/// The customer IDs the property test draws from.
const UNIVERSE: [&str; 8] = [
    DOMAIN,
    DOMAIN_UNRESOLVED,
    TENANT,
    TENANT_NORTHWIND,
    TPID,
    AZURE,
    MSX,
    MSX_INELIGIBLE,
];

/// Facts answered from generated data.
#[derive(Debug, Clone)]
struct Scripted {
    /// Where each domain resolves.
    resolves: Vec<(DomainName, Option<TenantId>)>,
    /// The eligibility of each ID, the same for every engagement.
    eligibility: Vec<(CustomerId, CustomerEligibility)>,
    email_domains: Vec<(TenantId, Vec<DomainName>)>,
    enrollment: Enrollment,
    active: u32,
}

impl Facts for Scripted {
    fn resolve_domain(&self, domain: &DomainName) -> Option<TenantId> {
        self.resolves
            .iter()
            .find(|(d, _)| d == domain)
            .and_then(|(_, t)| *t)
    }

    fn customer_eligibility(&self, id: &CustomerId, _: &EngagementId) -> CustomerEligibility {
        self.eligibility
            .iter()
            .find(|(i, _)| i == id)
            .map_or(CustomerEligibility::Unknown, |(_, e)| e.clone())
    }

    fn tenant_email_domains(&self, tenant: &TenantId) -> &[DomainName] {
        self.email_domains
            .iter()
            .find(|(t, _)| t == tenant)
            .map_or(&[], |(_, d)| d.as_slice())
    }

    fn partner_enrollment(&self, _: PartnerId, _: &EngagementId) -> Enrollment {
        self.enrollment
    }

    fn active_claims(&self, _: &EngagementId, _: &CustomerId) -> u32 {
        self.active
    }

    fn referral_conditions_hold(&self, _: &CustomerId, _: &EngagementId) -> bool {
        true
    }

    fn co_sell_qualified(&self, _: &CustomerId) -> bool {
        true
    }
}

fn eligibility_strategy() -> impl Strategy<Value = CustomerEligibility> {
    prop_oneof![
        Just(CustomerEligibility::Eligible),
        Just(CustomerEligibility::Unknown),
        "[a-z ]{0,12}[a-z]".prop_map(|r| CustomerEligibility::NotEligible { reason: text(&r) }),
    ]
}

fn enrollment_strategy() -> impl Strategy<Value = Enrollment> {
    prop_oneof![
        Just(Enrollment::Eligible),
        Just(Enrollment::NotEligibleForEngagement),
        Just(Enrollment::NotEnrolled),
    ]
}

fn tenant_strategy() -> impl Strategy<Value = Option<TenantId>> {
    prop_oneof![
        Just(None),
        Just(Some(tenant(TENANT_A))),
        Just(Some(tenant(TENANT_B))),
        Just(Some(tenant(TENANT_C))),
    ]
}

fn domains_strategy() -> impl Strategy<Value = Vec<DomainName>> {
    proptest::sample::subsequence(vec!["contoso.com", "northwind.com", "contoso.net"], 0..=3)
        .prop_map(|names| names.into_iter().map(domain).collect())
}

fn scripted_strategy() -> impl Strategy<Value = Scripted> {
    (
        tenant_strategy(),
        tenant_strategy(),
        proptest::collection::vec(eligibility_strategy(), UNIVERSE.len() + 1),
        domains_strategy(),
        domains_strategy(),
        enrollment_strategy(),
        prop_oneof![0..3u32, any::<u32>()],
    )
        .prop_map(
            |(contoso, unresolved, eligibility, a_domains, b_domains, enrollment, active)| {
                let mut ids: Vec<CustomerId> = UNIVERSE.iter().map(|s| customer(s)).collect();
                ids.push(customer(TENANT_INELIGIBLE));
                Scripted {
                    resolves: vec![
                        (domain("contoso.com"), contoso),
                        (domain("unknown-customer.com"), unresolved),
                    ],
                    eligibility: ids.into_iter().zip(eligibility).collect(),
                    email_domains: vec![
                        (tenant(TENANT_A), a_domains),
                        (tenant(TENANT_B), b_domains),
                    ],
                    enrollment,
                    active,
                }
            },
        )
}

#[derive(Debug, Clone)]
struct Input {
    facts: Scripted,
    who: Who,
    engagement: &'static str,
    customer: &'static str,
    email: Option<&'static str>,
    mismatch_reason: bool,
    action: Action,
    relationship: Relationship,
    open_claim: OpenClaim,
}

fn input_strategy() -> impl Strategy<Value = Input> {
    (
        scripted_strategy(),
        proptest::sample::select(Who::ALL.to_vec()),
        proptest::sample::select(vec![
            ASSESSMENT, WORKSHOP, SMALL, MEDIUM, LARGE, CPOR, UNKNOWN,
        ]),
        proptest::sample::select(UNIVERSE.to_vec()),
        proptest::sample::select(vec![
            None,
            Some(EMAIL_CONTOSO),
            Some("bob@northwind.com"),
            Some("x@elsewhere.org"),
        ]),
        any::<bool>(),
        prop_oneof![Just(Action::Add), Just(Action::Claim)],
        prop_oneof![Just(Relationship::New), Just(Relationship::Known)],
        prop_oneof![Just(OpenClaim::Absent), Just(OpenClaim::Present)],
    )
        .prop_map(
            |(
                facts,
                who,
                engagement,
                customer,
                email,
                mismatch_reason,
                action,
                relationship,
                open_claim,
            )| Input {
                facts,
                who,
                engagement,
                customer,
                email,
                mismatch_reason,
                action,
                relationship,
                open_claim,
            },
        )
}

/// The reference model: the reason codes that apply, written independently of the library.
fn model(catalog: &Catalog, input: &Input) -> Vec<&'static str> {
    let mut codes = Vec::new();
    match input.facts.enrollment {
        Enrollment::Eligible => {}
        Enrollment::NotEligibleForEngagement => codes.push("partner.not_eligible_for_engagement"),
        Enrollment::NotEnrolled => codes.push("partner.not_enrolled"),
    }
    codes.extend_from_slice(input.who.codes());
    let id = customer(input.customer);
    let mci = catalog
        .engagement(&engagement(input.engagement))
        .and_then(|e| e.as_mci());
    if catalog.engagement(&engagement(input.engagement)).is_none() {
        codes.push("engagement.unknown");
    } else if mci.is_none() {
        codes.push("engagement.not_mci");
    } else if !mci.unwrap().allows(id.kind()) {
        codes.push("customer_id.kind_not_allowed");
    }
    let mut counted = id.clone();
    if mci.is_some_and(|m| m.allows(id.kind())) {
        let checked = match &id {
            CustomerId::Domain(d) => match input.facts.resolve_domain(d) {
                Some(t) => Some(CustomerId::Tenant(t)),
                None => {
                    codes.push("domain.unresolved");
                    None
                }
            },
            CustomerId::Tenant(t) => {
                if let Some(email) = input.email {
                    let email_domain = domain(email.split('@').nth(1).unwrap());
                    let owned = input.facts.tenant_email_domains(t).contains(&email_domain);
                    if !owned && !input.mismatch_reason {
                        codes.push("tenant.email_domain_mismatch_reason_required");
                    }
                }
                Some(id.clone())
            }
            _ => Some(id.clone()),
        };
        if let Some(checked) = checked {
            if input
                .facts
                .customer_eligibility(&checked, &engagement(input.engagement))
                != CustomerEligibility::Eligible
            {
                codes.push("customer.not_eligible");
            }
            counted = checked;
        }
    }
    let _ = counted; // Scripted counts the same for every ID.
    if let Some(mci) = mci
        && input.facts.active >= mci.max_active_claims_per_customer
    {
        codes.push("customer.cap_reached");
    }
    match (input.action, input.relationship) {
        (Action::Add, Relationship::Known) => codes.push("action.use_claim"),
        (Action::Claim, Relationship::New) => codes.push("action.use_add"),
        _ => {}
    }
    if input.open_claim == OpenClaim::Present {
        codes.push("claim.duplicate_open");
    }
    codes
}

proptest! {
    #![proptest_config(Config {
        cases: 1000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/eligibility.txt",
        ))),
        ..Config::default()
    })]

    #[test]
    fn the_decision_matches_the_model_for_arbitrary_facts(input in input_strategy()) {
        let catalog = Catalog::builtin();
        let actor = input.who.actor();
        let engagement_id = engagement(input.engagement);
        let id = customer(input.customer);
        let email = input.email.map(|e| EmailAddress::parse(e).unwrap());
        let why = text("explained");
        let mut request = EligibilityRequest::new(&actor, partner(), &engagement_id, &id, input.action)
            .with_relationship(input.relationship)
            .with_open_claim(input.open_claim);
        request.customer_email = email.as_ref();
        if input.mismatch_reason {
            request.mismatch_reason = Some(&why);
        }
        let decision = check(&catalog, &input.facts as &dyn Facts, &request);
        let expected = model(&catalog, &input);

        // Eligible iff no reason applies, and exactly the reasons that apply.
        prop_assert_eq!(decision.is_eligible(), expected.is_empty());
        prop_assert_eq!(codes(&decision), expected);

        // In check order, without duplicates: strictly increasing positions in `CODES`.
        let positions: Vec<usize> = decision
            .reasons()
            .iter()
            .map(|r| Reason::CODES.iter().position(|c| *c == r.code()).unwrap())
            .collect();
        prop_assert!(positions.windows(2).all(|w| w[0] < w[1]), "{:?}", positions);
        prop_assert!(decision.reasons().windows(2).all(|w| w[0].step() <= w[1].step()));
        for reason in decision.reasons() {
            prop_assert!(!reason.to_string().is_empty());
        }

        // The view hides reasons exactly for not-eligible MSX-only engagements.
        let msx_only = catalog
            .engagement(&engagement_id)
            .and_then(|e| e.as_mci())
            .is_some_and(|m| m.allowed_id_kinds == [CustomerIdKind::MsxOpportunity]);
        match decision.view() {
            DecisionView::Eligible => prop_assert!(decision.is_eligible()),
            DecisionView::NotEligible { reasons: None } => prop_assert!(msx_only && !decision.is_eligible()),
            DecisionView::NotEligible { reasons: Some(r) } => {
                prop_assert!(!msx_only);
                prop_assert_eq!(r, decision.reasons());
            }
        }

        // An eligible tenant or domain nomination names its tenant; a mismatch reason is
        // recorded only when it was needed.
        if decision.is_eligible() {
            match &id {
                CustomerId::Tenant(t) => prop_assert_eq!(decision.resolved_tenant(), Some(*t)),
                CustomerId::Domain(_) => prop_assert!(decision.resolved_tenant().is_some()),
                _ => prop_assert_eq!(decision.resolved_tenant(), None),
            }
            if decision.mismatch_reason().is_some() {
                prop_assert!(input.mismatch_reason && email.is_some() && id.kind() == CustomerIdKind::Tenant);
            }
        }
    }
}
