//! One named test per rule of domain.md sections 5.2 (as the add/claim-customer flows apply
//! it), 5.3, 6.2, 7 and 8 for MCI partner-activity claims.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::mci::*;
use common::*;
use cpor::activity::{
    ActivityClaim, ActivityCommand, ActivityCommandKind, ActivityEdit, ActivityError,
    ActivityEvent, ActivityState, ActivityTransitioned, EvidenceKind, Nomination, Origin,
    VariablePay, add_customer, claim_customer, partner_view, review_payout,
};
use cpor::association::{CompanyContact, CustomerContact};
use cpor::eligibility::{Facts, InMemoryFacts, OpenClaim, Reason, Relationship};
use cpor::{
    Actor, AzureSubscriptionId, Catalog, CustomerId, PartnerUserRole, Tpid, Usd, UserRoles,
};

use ActivityCommand as C;
use ActivityState as S;

// ---- helpers ----

fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

fn usd(dollars: u64) -> Usd {
    Usd::from_dollars(dollars).unwrap()
}

fn deal() -> ActivityCommand {
    C::SendConsent {
        estimated_deal_size: usd(250_000),
    }
}

fn evidence(kind: EvidenceKind) -> ActivityCommand {
    C::AddEvidence {
        kind,
        reference: text(&format!("{kind}-file.pdf")),
    }
}

fn edit(changes: ActivityEdit) -> ActivityCommand {
    C::Edit { changes }
}

fn reject() -> ActivityCommand {
    C::Reject {
        reason: text("the poe is unsigned"),
    }
}

fn dispute() -> ActivityCommand {
    C::Dispute {
        reason: text("the signed poe is attached"),
    }
}

fn request_info() -> ActivityCommand {
    C::RequestInfo {
        reason: text("add the attendee list"),
    }
}

fn run_with(
    facts: &dyn Facts,
    claim: &ActivityClaim,
    command: &ActivityCommand,
    actor: &Actor,
    at: DateTime<Utc>,
) -> Result<ActivityTransitioned, ActivityError> {
    claim.transition(command, actor, at, &catalog(), facts)
}

#[track_caller]
fn ok(
    claim: &ActivityClaim,
    command: &ActivityCommand,
    actor: &Actor,
    at: DateTime<Utc>,
) -> ActivityTransitioned {
    match run_with(&facts(), claim, command, actor, at) {
        Ok(t) => t,
        Err(e) => panic!(
            "{command:?} by {:?} in {}: {e}",
            actor.kind(),
            claim.state()
        ),
    }
}

/// Asserts that the command is refused with `code`, by `transition` and by `apply`, and that
/// the claim is left equal.
#[track_caller]
fn refuse(
    claim: &ActivityClaim,
    command: &ActivityCommand,
    actor: &Actor,
    at: DateTime<Utc>,
    code: &str,
) -> ActivityError {
    let before = claim.clone();
    let err = match run_with(&facts(), claim, command, actor, at) {
        Ok(t) => panic!(
            "{command:?} by {:?} in {} was accepted: {}",
            actor.kind(),
            claim.state(),
            t.claim.state()
        ),
        Err(e) => e,
    };
    assert_eq!(err.code(), code, "{command:?} in {}: {err}", claim.state());
    let mut copy = claim.clone();
    assert_eq!(
        copy.apply(command, actor, at, &catalog(), &facts()),
        Err(err.clone())
    );
    assert_eq!(copy, before, "a refused command changed the claim");
    assert_eq!(*claim, before);
    err
}

fn reason_codes(reasons: &[Reason]) -> Vec<&'static str> {
    reasons.iter().map(Reason::code).collect()
}

/// The reasons of a `NotEligible` error, for `engagement`.
#[track_caller]
fn not_eligible(
    result: Result<Vec<ActivityTransitioned>, ActivityError>,
    key: &str,
) -> Vec<Reason> {
    match result {
        Err(ActivityError::NotEligible {
            engagement: e,
            reasons,
        }) => {
            assert_eq!(e, engagement(key));
            reasons
        }
        other => panic!("expected activity.not_eligible for {key}, got {other:?}"),
    }
}

fn add(
    n: &Nomination,
    facts: &dyn Facts,
    claims: &[ActivityClaim],
) -> Result<Vec<ActivityTransitioned>, ActivityError> {
    add_customer(n, &admin(), t0(), &catalog(), facts, claims)
}

fn claim(
    n: &Nomination,
    facts: &dyn Facts,
    claims: &[ActivityClaim],
) -> Result<Vec<ActivityTransitioned>, ActivityError> {
    claim_customer(n, &admin(), t0(), &catalog(), facts, claims)
}

fn tpid() -> Tpid {
    Tpid::parse(TPID).unwrap()
}

fn referral_admin() -> Actor {
    Actor::partner(
        partner(),
        user("referrals@fabrikam.com"),
        UserRoles::of([PartnerUserRole::ReferralAdmin]),
    )
}

/// A claim in `state` plus the time of its last step (see `activity_in`), with all evidence
/// when the state is consent_received.
fn ready(key: &str, state: ActivityState) -> (ActivityClaim, DateTime<Utc>) {
    let (claim, at) = activity_in(key, state);
    if state == S::ConsentReceived {
        with_all_evidence(claim, at)
    } else {
        (claim, at)
    }
}

/// The claim's JSON without its history.
fn without_history(claim: &ActivityClaim) -> serde_json::Value {
    let mut value = serde_json::to_value(claim).unwrap();
    value.as_object_mut().unwrap().remove("history").unwrap();
    value
}

// ---- 4.2 / 5.2: the add-customer flow ----

#[test]
fn add_fixed_pay_with_several_engagements_makes_one_claim_each() {
    let n = nomination(tenant_customer(), &[ASSESSMENT, WORKSHOP], None);
    let made = add(&n, &facts(), &[]).unwrap();
    assert_eq!(made.len(), 2);
    for (t, (key, id)) in made.iter().zip([(ASSESSMENT, 100), (WORKSHOP, 101)]) {
        let c = &t.claim;
        assert_eq!(c.id(), claim_id(id));
        assert_eq!(c.engagement(), &engagement(key));
        assert_eq!(c.state(), S::CustomerClaimed);
        assert_eq!(c.origin(), Origin::Added);
        assert_eq!(c.partner(), partner());
        assert_eq!(c.customer(), &tenant_customer());
        assert_eq!(c.name(), &text("Contoso engagement"));
        assert_eq!(c.customer_contact(), &customer_contact());
        assert_eq!(c.company_contact(), &company_contact());
        assert_eq!(c.variable_pay(), None);
        assert_eq!(c.estimated_deal_size(), None);
        assert_eq!(c.created_at(), t0());
        assert_eq!(c.program_year(), catalog().program_year());
        assert_eq!(c.history().len(), 1);
        let entry = &c.history()[0];
        assert_eq!(
            (entry.command, entry.from, entry.to, entry.at),
            (ActivityCommandKind::Create, None, S::CustomerClaimed, t0())
        );
        assert_eq!(entry.actor, admin());
        assert_eq!(
            t.events.last(),
            Some(&ActivityEvent::Transitioned {
                command: ActivityCommandKind::Create,
                from: None,
                to: S::CustomerClaimed,
            })
        );
    }
}

#[test]
fn add_variable_pay_takes_exactly_one_engagement_with_hours() {
    let made = add(
        &nomination(msx_customer(), &[MEDIUM], Some(30)),
        &facts(),
        &[],
    )
    .unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!(
        made[0].claim.variable_pay(),
        Some(VariablePay {
            hours: 30,
            proposed_payout: Usd::from_cents(450_000),
        })
    );
    for (keys, hours) in [
        (&[MEDIUM][..], None),
        (&[MEDIUM, LARGE][..], Some(30)),
        (&[MEDIUM, LARGE][..], None),
        (&[ASSESSMENT, MEDIUM][..], Some(30)),
        (&[WORKSHOP, LARGE][..], None),
    ] {
        let err = add(&nomination(msx_customer(), keys, hours), &facts(), &[]).unwrap_err();
        assert_eq!(
            err.code(),
            "activity.variable_pay_shape",
            "{keys:?} {hours:?}"
        );
    }
}

#[test]
fn add_hours_on_fixed_pay_are_refused() {
    for keys in [&[WORKSHOP][..], &[ASSESSMENT, WORKSHOP][..]] {
        let err = add(&nomination(tenant_customer(), keys, Some(8)), &facts(), &[]).unwrap_err();
        assert_eq!(err, ActivityError::HoursNotApplicable);
        assert_eq!(err.code(), "activity.hours_not_applicable");
    }
}

#[test]
fn add_needs_each_engagement_once_and_at_least_one() {
    let none = nomination(tenant_customer(), &[], None);
    assert_eq!(
        add(&none, &facts(), &[]).unwrap_err().code(),
        "activity.engagement_choice"
    );
    let twice = nomination(tenant_customer(), &[WORKSHOP, WORKSHOP], None);
    assert_eq!(
        add(&twice, &facts(), &[]).unwrap_err().code(),
        "activity.engagement_choice"
    );
    let mut same_id = nomination(tenant_customer(), &[ASSESSMENT, WORKSHOP], None);
    same_id.engagements[1].1 = same_id.engagements[0].1;
    assert_eq!(
        add(&same_id, &facts(), &[]).unwrap_err().code(),
        "activity.engagement_choice"
    );
}

#[test]
fn add_for_an_unknown_or_cpor_engagement_is_refused() {
    for key in ["no_such_engagement", "mws_usage"] {
        let n = nomination(tenant_customer(), &[key], None);
        assert_eq!(
            add(&n, &facts(), &[]).unwrap_err(),
            ActivityError::UnknownEngagement {
                engagement: engagement(key)
            }
        );
    }
}

#[test]
fn an_ineligible_engagement_fails_the_whole_flow_with_every_reason() {
    // Enrolled for the assessment only; the tenant is not eligible for the workshop, and the
    // workshop's cap (1) is reached.
    let facts = InMemoryFacts::new()
        .with_domain(contoso(), tenant())
        .with_email_domains(tenant(), [contoso()])
        .enrolled(partner(), engagement(ASSESSMENT))
        .eligible(tenant(), engagement(ASSESSMENT))
        .not_eligible(tenant(), engagement(WORKSHOP), text("no security usage"))
        .with_active_claims(engagement(WORKSHOP), tenant(), 1);
    for order in [[ASSESSMENT, WORKSHOP], [WORKSHOP, ASSESSMENT]] {
        let n = nomination(tenant_customer(), &order, None);
        let reasons = not_eligible(add(&n, &facts, &[]), WORKSHOP);
        assert_eq!(
            reasons,
            [
                Reason::PartnerNotEligibleForEngagement { partner: partner() },
                Reason::CustomerNotEligible {
                    id: tenant_customer(),
                    reason: Some(text("no security usage")),
                },
                Reason::CustomerCapReached { active: 1, max: 1 },
            ]
        );
    }
    // The assessment alone is fine.
    let n = nomination(tenant_customer(), &[ASSESSMENT], None);
    assert_eq!(add(&n, &facts, &[]).unwrap().len(), 1);
}

#[test]
fn rule_1_the_partner_location_must_be_enrolled_and_eligible() {
    let n = nomination(tenant_customer(), &[WORKSHOP], None);
    let base = InMemoryFacts::new()
        .with_email_domains(tenant(), [contoso()])
        .eligible(tenant(), engagement(WORKSHOP));
    assert_eq!(
        reason_codes(&not_eligible(add(&n, &base, &[]), WORKSHOP)),
        ["partner.not_enrolled"]
    );
    let in_mci = base.clone().enrolled_in_mci(partner());
    assert_eq!(
        reason_codes(&not_eligible(add(&n, &in_mci, &[]), WORKSHOP)),
        ["partner.not_eligible_for_engagement"]
    );
}

#[test]
fn rule_2_only_an_incentives_admin_of_the_location_adds_or_claims() {
    let n = nomination(tenant_customer(), &[WORKSHOP], None);
    for (actor, codes) in [
        (incentives_user(), &["actor.not_incentives_admin"][..]),
        (reviewer(), &["actor.not_incentives_admin"][..]),
        (customer(), &["actor.not_incentives_admin"][..]),
        (Actor::System, &["actor.not_incentives_admin"][..]),
        (referral_admin(), &["actor.not_incentives_admin"][..]),
        (
            admin_of(other_partner()),
            &["actor.other_partner_location"][..],
        ),
    ] {
        for flow in [add_customer, claim_customer] {
            let result = flow(&n, &actor, t0(), &catalog(), &facts(), &[]);
            let reasons = not_eligible(result, WORKSHOP);
            assert_eq!(&reason_codes(&reasons)[..codes.len()], codes, "{actor:?}");
        }
    }
}

#[test]
fn rule_3_the_customer_id_kind_must_be_allowed() {
    let cases = [
        (CustomerId::Tpid(tpid()), ASSESSMENT),
        (tenant_customer(), SMALL),
        (tenant_customer(), MEDIUM),
        (CustomerId::Tpid(tpid()), LARGE),
        (msx_customer(), WORKSHOP),
        (msx_customer(), ASSESSMENT),
    ];
    for (customer, key) in cases {
        let kind = customer.kind();
        let hours = (key == MEDIUM || key == LARGE).then_some(10);
        let n = nomination(customer, &[key], hours);
        assert_eq!(
            not_eligible(add(&n, &facts(), &[]), key),
            [Reason::CustomerIdKindNotAllowed { kind }],
            "{key}"
        );
    }
    // An Azure subscription is one of the small project's kinds.
    let sub = AzureSubscriptionId::parse(SUBSCRIPTION).unwrap();
    let facts = facts().eligible(sub, engagement(SMALL));
    let n = nomination(CustomerId::AzureSubscription(sub), &[SMALL], None);
    assert_eq!(
        add(&n, &facts, &[]).unwrap()[0].claim.resolved_tenant(),
        None
    );
}

#[test]
fn rule_4_a_domain_nomination_records_the_resolved_tenant() {
    let domain = CustomerId::Domain(contoso());
    let made = add(
        &nomination(domain.clone(), &[WORKSHOP], None),
        &facts(),
        &[],
    )
    .unwrap();
    let c = &made[0].claim;
    assert_eq!(c.customer(), &domain);
    assert_eq!(c.resolved_tenant(), Some(tenant()));
    assert_eq!(c.mismatch_reason(), None);
}

#[test]
fn rule_4_an_unresolved_domain_has_its_own_reason() {
    let northwind: cpor::DomainName = "northwind.com".parse().unwrap();
    let n = nomination(CustomerId::Domain(northwind.clone()), &[WORKSHOP], None);
    assert_eq!(
        not_eligible(add(&n, &facts(), &[]), WORKSHOP),
        [Reason::DomainUnresolved { domain: northwind }]
    );
}

#[test]
fn rule_4_a_domain_is_checked_through_its_tenant() {
    // The domain resolves, but its tenant is not eligible for the workshop.
    let facts = facts().not_eligible(tenant(), engagement(WORKSHOP), text("no seats"));
    let n = nomination(CustomerId::Domain(contoso()), &[WORKSHOP], None);
    assert_eq!(
        not_eligible(add(&n, &facts, &[]), WORKSHOP),
        [Reason::CustomerNotEligible {
            id: tenant_customer(),
            reason: Some(text("no seats")),
        }]
    );
}

#[test]
fn rule_5_a_tenant_email_domain_mismatch_needs_a_reason_which_is_recorded() {
    let mut n = nomination(tenant_customer(), &[WORKSHOP], None);
    n.customer_contact.email = "megan@northwind.com".parse().unwrap();
    assert_eq!(
        not_eligible(add(&n, &facts(), &[]), WORKSHOP),
        [Reason::TenantEmailDomainMismatchReasonRequired {
            email_domain: "northwind.com".parse().unwrap(),
        }]
    );
    let why = text("northwind.com is the parent company's domain");
    n.mismatch_reason = Some(why.clone());
    let made = add(&n, &facts(), &[]).unwrap();
    assert_eq!(made[0].claim.mismatch_reason(), Some(&why));
    assert_eq!(made[0].claim.resolved_tenant(), Some(tenant()));
    assert_eq!(
        made[0].claim.customer_contact().email,
        "megan@northwind.com".parse().unwrap()
    );
}

#[test]
fn rule_5_a_reason_given_without_a_mismatch_is_not_recorded() {
    let mut n = nomination(tenant_customer(), &[WORKSHOP], None);
    n.mismatch_reason = Some(text("just in case"));
    let made = add(&n, &facts(), &[]).unwrap();
    assert_eq!(made[0].claim.mismatch_reason(), None);
}

#[test]
fn rule_6_a_tpid_is_checked_on_its_own() {
    // The tenant is eligible, another TPID of the same customer is not known to the facts.
    let other = Tpid::parse("987654").unwrap();
    let n = nomination(CustomerId::Tpid(other), &[WORKSHOP], None);
    assert_eq!(
        not_eligible(add(&n, &facts(), &[]), WORKSHOP),
        [Reason::CustomerNotEligible {
            id: CustomerId::Tpid(other),
            reason: None,
        }]
    );
    let made = add(
        &nomination(CustomerId::Tpid(tpid()), &[WORKSHOP], None),
        &facts(),
        &[],
    )
    .unwrap();
    assert_eq!(made[0].claim.resolved_tenant(), None);
}

#[test]
fn rule_7_the_per_customer_cap_counts_all_partners() {
    let n = nomination(CustomerId::Tpid(tpid()), &[SMALL], None);
    // The small project allows two active claims per customer.
    let one = facts().with_active_claims(engagement(SMALL), tpid(), 1);
    assert!(add(&n, &one, &[]).is_ok());
    let two = facts().with_active_claims(engagement(SMALL), tpid(), 2);
    assert_eq!(
        not_eligible(add(&n, &two, &[]), SMALL),
        [Reason::CustomerCapReached { active: 2, max: 2 }]
    );
    // The workshop allows one.
    let n = nomination(tenant_customer(), &[WORKSHOP], None);
    let one = facts().with_active_claims(engagement(WORKSHOP), tenant(), 1);
    assert_eq!(
        not_eligible(add(&n, &one, &[]), WORKSHOP),
        [Reason::CustomerCapReached { active: 1, max: 1 }]
    );
}

#[test]
fn review_payout_is_min_hours_times_rate_capped() {
    let catalog = catalog();
    let cases = [
        // Medium: $150/h, 40 h max, $5,000 cap.
        (MEDIUM, 30, Some(450_000)), // 30 × 150 = 4,500
        (MEDIUM, 33, Some(495_000)), // 33 × 150 = 4,950
        (MEDIUM, 34, Some(500_000)), // 34 × 150 = 5,100 → capped at 5,000
        (MEDIUM, 50, Some(500_000)), // 40 × 150 = 6,000 → capped at 5,000
        (MEDIUM, 0, Some(0)),
        // Large: $200/h, 300 h max, no cap.
        (LARGE, 100, Some(2_000_000)), // 100 × 200 = 20,000
        (LARGE, 300, Some(6_000_000)), // 300 × 200 = 60,000
        (LARGE, 350, Some(6_000_000)), // capped at 300 h
        (LARGE, u32::MAX, Some(6_000_000)),
        // Fixed pay: no proposal.
        (ASSESSMENT, 10, None),
        (WORKSHOP, 10, None),
        (SMALL, 10, None),
    ];
    for (key, hours, cents) in cases {
        assert_eq!(
            review_payout(&catalog, &engagement(key), hours).unwrap(),
            cents.map(Usd::from_cents),
            "{key} {hours} h"
        );
    }
    assert_eq!(
        review_payout(&catalog, &engagement("mws_usage"), 10)
            .unwrap_err()
            .code(),
        "activity.unknown_engagement"
    );
}

#[test]
fn a_variable_claim_keeps_the_payout_shown_on_review() {
    for (key, hours) in [(MEDIUM, 50), (LARGE, 350), (LARGE, 12)] {
        let made = add(
            &nomination(msx_customer(), &[key], Some(hours)),
            &facts(),
            &[],
        )
        .unwrap();
        let shown = review_payout(&catalog(), &engagement(key), hours)
            .unwrap()
            .unwrap();
        assert_eq!(
            made[0].claim.variable_pay(),
            Some(VariablePay {
                hours,
                proposed_payout: shown,
            })
        );
    }
}

// ---- 5.1 / 5.2 rule 7: add xor claim, duplicates ----

#[test]
fn claim_customer_works_for_a_customer_known_from_another_active_or_completed_engagement() {
    for state in [S::AwaitingConsent, S::Submitted, S::Rejected, S::Completed] {
        let (known, _) = activity_in(ASSESSMENT, state);
        let n = nomination(tenant_customer(), &[WORKSHOP], None);
        let made = claim(&n, &facts(), std::slice::from_ref(&known)).unwrap();
        assert_eq!(made[0].claim.origin(), Origin::Claimed, "{state}");
        assert_eq!(made[0].claim.engagement(), &engagement(WORKSHOP));
        assert_eq!(
            partner_view(
                std::slice::from_ref(&known),
                partner(),
                &engagement(WORKSHOP),
                &tenant_customer()
            ),
            (OpenClaim::Absent, Relationship::Known)
        );
    }
}

#[test]
fn claim_customer_for_an_unknown_customer_is_use_add() {
    let n = nomination(tenant_customer(), &[WORKSHOP], None);
    assert_eq!(
        not_eligible(claim(&n, &facts(), &[]), WORKSHOP),
        [Reason::ActionUseAdd]
    );
    // A canceled, declined or expired claim elsewhere does not make the customer known.
    for state in [
        S::Canceled,
        S::ConsentDeclined,
        S::ConsentExpired,
        S::NotSubmittedExpired,
        S::RejectedFinal,
    ] {
        let (ended, _) = activity_in(ASSESSMENT, state);
        let claims = [ended];
        assert_eq!(
            not_eligible(claim(&n, &facts(), &claims), WORKSHOP),
            [Reason::ActionUseAdd],
            "{state}"
        );
        assert_eq!(add(&n, &facts(), &claims).unwrap().len(), 1, "{state}");
    }
}

#[test]
fn add_customer_for_a_known_customer_is_use_claim() {
    let (known, _) = activity_in(ASSESSMENT, S::ConsentReceived);
    let n = nomination(tenant_customer(), &[WORKSHOP], None);
    assert_eq!(
        not_eligible(add(&n, &facts(), &[known]), WORKSHOP),
        [Reason::ActionUseClaim]
    );
}

#[test]
fn a_second_open_claim_on_the_same_engagement_is_a_duplicate() {
    let n = nomination(tenant_customer(), &[WORKSHOP], None);
    for state in ActivityState::ALL {
        let (existing, _) = activity_in(WORKSHOP, state);
        let claims = [existing];
        let result = add(&n, &facts(), &claims);
        if state.is_terminal() {
            // The partner starts a new claim after one ended.
            assert!(result.is_ok(), "{state}: {result:?}");
        } else {
            assert_eq!(
                not_eligible(result, WORKSHOP),
                [Reason::ClaimDuplicateOpen],
                "{state}"
            );
        }
    }
}

#[test]
fn another_partners_claims_neither_block_nor_make_known() {
    let facts = facts()
        .enrolled(other_partner(), engagement(WORKSHOP))
        .enrolled(other_partner(), engagement(ASSESSMENT));
    let mut theirs = Vec::new();
    for key in [WORKSHOP, ASSESSMENT] {
        let mut n = nomination(tenant_customer(), &[key], None);
        n.partner = other_partner();
        let made = add_customer(
            &n,
            &admin_of(other_partner()),
            t0(),
            &catalog(),
            &facts,
            &[],
        )
        .unwrap();
        theirs.push(made[0].claim.clone());
    }
    let n = nomination(tenant_customer(), &[WORKSHOP], None);
    assert_eq!(
        add(&n, &facts, &theirs).unwrap()[0].claim.partner(),
        partner()
    );
    assert_eq!(
        partner_view(
            &theirs,
            partner(),
            &engagement(WORKSHOP),
            &tenant_customer()
        ),
        (OpenClaim::Absent, Relationship::New)
    );
}

// ---- 6.2 consent ----

#[test]
fn send_consent_requires_and_fixes_the_deal_size() {
    let c = created(WORKSHOP);
    assert_eq!(c.estimated_deal_size(), None);
    let at = t0() + hours(1);
    let t = ok(&c, &deal(), &admin(), at);
    assert_eq!(t.claim.state(), S::AwaitingConsent);
    assert_eq!(t.claim.estimated_deal_size(), Some(usd(250_000)));
    assert_eq!(
        t.events,
        [
            ActivityEvent::ConsentEmailRequested {
                to: "megan@contoso.com".parse().unwrap(),
                reminder: false,
            },
            ActivityEvent::Transitioned {
                command: ActivityCommandKind::SendConsent,
                from: Some(S::CustomerClaimed),
                to: S::AwaitingConsent,
            },
        ]
    );
    assert_eq!(
        t.claim.history().last().unwrap().note,
        Some(text("estimated deal size 250000.00 usd"))
    );
    // It is sent once: a second send is refused, and the deal size stays.
    let again = C::SendConsent {
        estimated_deal_size: usd(1),
    };
    refuse(
        &t.claim,
        &again,
        &admin(),
        at + hours(1),
        "activity.invalid_state",
    );
}

#[test]
fn the_deal_size_cannot_change_after_the_consent_email() {
    let (c, at) = activity_in(WORKSHOP, S::AwaitingConsent);
    let same = edit(ActivityEdit {
        estimated_deal_size: Some(usd(250_000)),
        ..ActivityEdit::default()
    });
    assert_eq!(
        ok(&c, &same, &admin(), at + hours(1))
            .claim
            .estimated_deal_size(),
        Some(usd(250_000))
    );
    for state in [
        S::AwaitingConsent,
        S::ConsentReceived,
        S::PartnerActionRequired,
    ] {
        let (c, at) = activity_in(WORKSHOP, state);
        let other = edit(ActivityEdit {
            estimated_deal_size: Some(usd(300_000)),
            ..ActivityEdit::default()
        });
        let err = refuse(
            &c,
            &other,
            &admin(),
            at + hours(1),
            "activity.deal_size_immutable",
        );
        assert_eq!(err, ActivityError::DealSizeImmutable);
    }
    // Before the email, an edit cannot set it either.
    let c = created(WORKSHOP);
    let early = edit(ActivityEdit {
        estimated_deal_size: Some(usd(1_000)),
        ..ActivityEdit::default()
    });
    refuse(
        &c,
        &early,
        &admin(),
        t0() + hours(1),
        "activity.deal_size_immutable",
    );
}

#[test]
fn resend_consent_changes_nothing_but_the_history() {
    let (c, at) = activity_in(WORKSHOP, S::AwaitingConsent);
    for actor in [admin(), incentives_user()] {
        let t = ok(&c, &C::ResendConsent, &actor, at + hours(5));
        assert_eq!(t.claim.state(), S::AwaitingConsent);
        assert_eq!(without_history(&t.claim), without_history(&c));
        assert_ne!(t.claim, c);
        assert_eq!(t.claim.history().len(), c.history().len() + 1);
        assert_eq!(&t.claim.history()[..c.history().len()], c.history());
        let entry = t.claim.history().last().unwrap();
        assert_eq!(
            (entry.command, entry.from, entry.to, entry.at),
            (
                ActivityCommandKind::ResendConsent,
                Some(S::AwaitingConsent),
                S::AwaitingConsent,
                at + hours(5)
            )
        );
        assert_eq!(entry.actor, actor);
        assert_eq!(
            t.events,
            [
                ActivityEvent::ConsentEmailRequested {
                    to: "megan@contoso.com".parse().unwrap(),
                    reminder: true,
                },
                ActivityEvent::Transitioned {
                    command: ActivityCommandKind::ResendConsent,
                    from: Some(S::AwaitingConsent),
                    to: S::AwaitingConsent,
                },
            ]
        );
    }
    // Nothing to remind before the first email.
    refuse(
        &created(WORKSHOP),
        &C::ResendConsent,
        &admin(),
        t0() + hours(1),
        "activity.invalid_state",
    );
}

#[test]
fn the_customer_accepts_consent() {
    let (c, at) = activity_in(WORKSHOP, S::AwaitingConsent);
    let t = ok(&c, &C::AcceptConsent, &customer(), at + hours(3));
    assert_eq!(t.claim.state(), S::ConsentReceived);
    assert_eq!(t.claim.consented_at(), Some(at + hours(3)));
    assert_eq!(t.claim.history().last().unwrap().actor, customer());
    // The first-submit window now runs from the consent: workshop, 90 days.
    assert_eq!(t.claim.next_deadline(), Some(at + hours(3) + days(90)));
}

#[test]
fn the_customer_declines_consent_and_that_is_terminal() {
    let (c, at) = activity_in(WORKSHOP, S::AwaitingConsent);
    let t = ok(&c, &C::DeclineConsent, &customer(), at + hours(3));
    let declined = t.claim;
    assert_eq!(declined.state(), S::ConsentDeclined);
    assert!(declined.state().is_terminal());
    assert_eq!(declined.next_deadline(), None);
    assert_eq!(declined.consented_at(), None);
    let later = at + days(400);
    assert!(
        declined
            .expire(later, &catalog(), &facts())
            .unwrap()
            .is_none()
    );
    for command in every_command() {
        for actor in all_actors() {
            let code = if actor.partner_id() == Some(other_partner()) {
                "activity.not_found"
            } else if cpor::activity::activity_issuer_of(command.kind()).admits(actor.kind()) {
                "activity.invalid_state"
            } else {
                "activity.forbidden"
            };
            refuse(&declined, &command, &actor, later, code);
        }
    }
}

/// One command of every kind.
fn every_command() -> Vec<ActivityCommand> {
    vec![
        deal(),
        C::ResendConsent,
        C::AcceptConsent,
        C::DeclineConsent,
        edit(ActivityEdit {
            name: Some(text("renamed")),
            ..ActivityEdit::default()
        }),
        evidence(EvidenceKind::Poe),
        C::Submit,
        C::Cancel,
        C::StartReview,
        request_info(),
        C::Resubmit,
        C::Approve,
        reject(),
        C::MarkPaid,
        dispute(),
        C::Expire,
        C::LinkReferral {
            referral: text("ref-1"),
        },
    ]
}

#[test]
fn every_command_helper_covers_every_kind() {
    let kinds: Vec<_> = every_command().iter().map(ActivityCommand::kind).collect();
    assert_eq!(kinds, ActivityCommandKind::COMMANDS);
}

// ---- 6.2 evidence ----

#[test]
fn required_evidence_is_poe_and_partner_survey_plus_what_the_engagement_asks() {
    use EvidenceKind::{CustomerSurvey, Invoice, PartnerSurvey, Poe};
    let expected = [
        (ASSESSMENT, vec![Poe, PartnerSurvey]),
        (WORKSHOP, vec![Poe, CustomerSurvey, PartnerSurvey]),
        (SMALL, vec![Poe, Invoice, PartnerSurvey]),
        (MEDIUM, vec![Poe, Invoice, CustomerSurvey, PartnerSurvey]),
        (LARGE, vec![Poe, Invoice, PartnerSurvey]),
    ];
    for (key, missing) in expected {
        assert_eq!(created(key).missing_evidence(&catalog()), missing, "{key}");
        // And the catalog agrees.
        let catalog = catalog();
        let mci = catalog
            .engagement(&engagement(key))
            .unwrap()
            .as_mci()
            .unwrap();
        assert_eq!(mci.requires_invoice, missing.contains(&Invoice), "{key}");
        assert_eq!(
            mci.requires_customer_survey,
            missing.contains(&CustomerSurvey),
            "{key}"
        );
    }
}

#[test]
fn evidence_may_be_added_in_any_order() {
    use EvidenceKind::{CustomerSurvey, Invoice, PartnerSurvey, Poe};
    let orders = [
        [PartnerSurvey, CustomerSurvey, Invoice, Poe],
        [Invoice, Poe, PartnerSurvey, CustomerSurvey],
        [CustomerSurvey, PartnerSurvey, Poe, Invoice],
    ];
    for order in orders {
        let (mut c, mut at) = activity_in(MEDIUM, S::ConsentReceived);
        for kind in order {
            at += hours(1);
            // Incentives users run the evidence step too.
            c = ok(&c, &evidence(kind), &incentives_user(), at).claim;
        }
        assert!(c.missing_evidence(&catalog()).is_empty());
        let added: Vec<_> = c.evidence().iter().map(|e| (e.kind, e.at)).collect();
        let expected: Vec<_> = order
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, at - hours(3 - i as i64)))
            .collect();
        assert_eq!(added, expected);
        assert_eq!(
            c.evidence()[0].reference,
            text(&format!("{}-file.pdf", order[0]))
        );
        at += hours(1);
        let t = ok(&c, &C::Submit, &admin(), at);
        assert_eq!(t.claim.state(), S::Submitted);
        assert!(t.claim.was_submitted());
    }
}

#[test]
fn submit_refuses_with_the_exact_list_of_missing_kinds() {
    use EvidenceKind::{CustomerSurvey, Invoice, PartnerSurvey, Poe};
    let (c, mut at) = activity_in(MEDIUM, S::ConsentReceived);
    let err = refuse(
        &c,
        &C::Submit,
        &admin(),
        at + hours(1),
        "activity.evidence_missing",
    );
    assert_eq!(
        err,
        ActivityError::EvidenceMissing {
            missing: vec![Poe, Invoice, CustomerSurvey, PartnerSurvey],
        }
    );
    at += hours(1);
    let c = ok(&c, &evidence(Invoice), &admin(), at).claim;
    at += hours(1);
    let c = ok(&c, &evidence(PartnerSurvey), &admin(), at).claim;
    let err = refuse(&c, &C::Submit, &admin(), at, "activity.evidence_missing");
    assert_eq!(
        err,
        ActivityError::EvidenceMissing {
            missing: vec![Poe, CustomerSurvey],
        }
    );
    assert_eq!(err.to_string(), "evidence is missing: poe, customer_survey");
    // Evidence the engagement does not ask for does not stand in for what it does.
    let (w, at) = activity_in(WORKSHOP, S::ConsentReceived);
    let w = ok(&w, &evidence(Invoice), &admin(), at + hours(1)).claim;
    let w = ok(&w, &evidence(Poe), &admin(), at + hours(2)).claim;
    let err = refuse(
        &w,
        &C::Submit,
        &admin(),
        at + hours(3),
        "activity.evidence_missing",
    );
    assert_eq!(
        err,
        ActivityError::EvidenceMissing {
            missing: vec![CustomerSurvey, PartnerSurvey],
        }
    );
}

#[test]
fn evidence_comes_after_consent_and_before_submit_or_while_answering() {
    for state in [
        S::CustomerClaimed,
        S::AwaitingConsent,
        S::Submitted,
        S::UnderReview,
        S::Approved,
        S::Rejected,
    ] {
        let (c, at) = activity_in(WORKSHOP, state);
        refuse(
            &c,
            &evidence(EvidenceKind::Poe),
            &admin(),
            at + hours(1),
            "activity.invalid_state",
        );
    }
    for state in [S::ConsentReceived, S::PartnerActionRequired, S::Disputed] {
        let (c, at) = activity_in(WORKSHOP, state);
        let t = ok(
            &c,
            &evidence(EvidenceKind::Poe),
            &incentives_user(),
            at + hours(1),
        );
        assert_eq!(t.claim.state(), state);
        assert_eq!(t.claim.evidence().len(), c.evidence().len() + 1);
    }
}

fn new_customer_contact() -> CustomerContact {
    CustomerContact {
        name: text("Lynne Robbins"),
        title: text("CISO"),
        email: "lynne@contoso.com".parse().unwrap(),
    }
}

fn new_company_contact() -> CompanyContact {
    CompanyContact {
        name: text("Diego Siciliani"),
        email: "diego@fabrikam.com".parse().unwrap(),
    }
}

#[test]
fn the_customer_contact_can_be_edited_until_the_customer_survey_is_added() {
    let (c, at) = activity_in(WORKSHOP, S::ConsentReceived);
    // Before the survey (and after other evidence), contacts may change.
    let c = ok(&c, &evidence(EvidenceKind::Poe), &admin(), at + hours(1)).claim;
    let change = edit(ActivityEdit {
        customer_contact: Some(new_customer_contact()),
        company_contact: Some(new_company_contact()),
        ..ActivityEdit::default()
    });
    let edited = ok(&c, &change, &admin(), at + hours(2)).claim;
    assert_eq!(edited.customer_contact(), &new_customer_contact());
    assert_eq!(edited.company_contact(), &new_company_contact());
    assert_eq!(edited.state(), S::ConsentReceived);
    // Once the survey is in, the customer contact locks (section 5.3: "customer contacts
    // lock"), alone or together with other changes.
    let surveyed = ok(
        &c,
        &evidence(EvidenceKind::CustomerSurvey),
        &admin(),
        at + hours(2),
    )
    .claim;
    for changes in [
        ActivityEdit {
            customer_contact: Some(new_customer_contact()),
            ..ActivityEdit::default()
        },
        ActivityEdit {
            name: Some(text("renamed")),
            customer_contact: Some(new_customer_contact()),
            company_contact: Some(new_company_contact()),
            ..ActivityEdit::default()
        },
    ] {
        let err = refuse(
            &surveyed,
            &edit(changes),
            &admin(),
            at + hours(3),
            "activity.contacts_locked",
        );
        assert_eq!(err, ActivityError::ContactsLocked);
    }
    // The partner's own company contact is not the customer's: it stays editable.
    let own = edit(ActivityEdit {
        company_contact: Some(new_company_contact()),
        ..ActivityEdit::default()
    });
    let moved = ok(&surveyed, &own, &admin(), at + hours(3)).claim;
    assert_eq!(moved.company_contact(), &new_company_contact());
    assert_eq!(moved.customer_contact(), &customer_contact());
    // The same contacts sent back, and a new name, are fine.
    let rename = edit(ActivityEdit {
        name: Some(text("Contoso threat protection")),
        customer_contact: Some(customer_contact()),
        company_contact: Some(company_contact()),
        ..ActivityEdit::default()
    });
    let renamed = ok(&surveyed, &rename, &admin(), at + hours(3)).claim;
    assert_eq!(renamed.name(), &text("Contoso threat protection"));
    assert_eq!(renamed.customer_contact(), &customer_contact());
    // Still locked while answering an info request.
    let (par, at) = activity_in(WORKSHOP, S::PartnerActionRequired);
    refuse(
        &par,
        &edit(ActivityEdit {
            customer_contact: Some(new_customer_contact()),
            ..ActivityEdit::default()
        }),
        &admin(),
        at + hours(1),
        "activity.contacts_locked",
    );
}

// ---- 5.3 immutables ----

#[test]
fn hours_cannot_change_after_creation() {
    for state in [
        S::CustomerClaimed,
        S::AwaitingConsent,
        S::ConsentReceived,
        S::PartnerActionRequired,
        S::Disputed,
    ] {
        let (c, at) = activity_in(MEDIUM, state);
        assert_eq!(c.variable_pay().unwrap().hours, 30);
        let err = refuse(
            &c,
            &edit(ActivityEdit {
                hours: Some(31),
                ..ActivityEdit::default()
            }),
            &admin(),
            at + hours(1),
            "activity.hours_immutable",
        );
        assert_eq!(
            err,
            ActivityError::HoursImmutable {
                current: Some(30),
                requested: 31,
            }
        );
        // The same hours sent back are fine.
        let same = edit(ActivityEdit {
            hours: Some(30),
            name: Some(text("renamed")),
            ..ActivityEdit::default()
        });
        let t = ok(&c, &same, &admin(), at + hours(1));
        assert_eq!(t.claim.variable_pay(), c.variable_pay());
        assert_eq!(t.claim.name(), &text("renamed"));
    }
    // Fixed pay has no hours to set.
    let c = created(WORKSHOP);
    let err = refuse(
        &c,
        &edit(ActivityEdit {
            hours: Some(1),
            ..ActivityEdit::default()
        }),
        &admin(),
        t0() + hours(1),
        "activity.hours_immutable",
    );
    assert_eq!(
        err,
        ActivityError::HoursImmutable {
            current: None,
            requested: 1,
        }
    );
}

#[test]
fn a_refused_edit_changes_nothing_even_with_valid_parts() {
    // A new name together with a refused change: neither is applied.
    let (c, at) = activity_in(MEDIUM, S::AwaitingConsent);
    refuse(
        &c,
        &edit(ActivityEdit {
            name: Some(text("renamed")),
            hours: Some(10),
            ..ActivityEdit::default()
        }),
        &admin(),
        at + hours(1),
        "activity.hours_immutable",
    );
    refuse(
        &c,
        &edit(ActivityEdit {
            name: Some(text("renamed")),
            estimated_deal_size: Some(usd(9)),
            ..ActivityEdit::default()
        }),
        &admin(),
        at + hours(1),
        "activity.deal_size_immutable",
    );
    assert_eq!(c.name(), &text("Contoso engagement"));
}

// ---- 6.2 review ----

#[test]
fn review_with_an_info_request_then_approval_and_payment() {
    let (c, mut at) = ready(MEDIUM, S::ConsentReceived);
    let mut step = |c: &ActivityClaim, command: ActivityCommand, actor: Actor| {
        at += hours(1);
        ok(c, &command, &actor, at)
    };
    let c = step(&c, C::Submit, admin()).claim;
    assert_eq!(c.state(), S::Submitted);
    let c = step(&c, C::StartReview, reviewer()).claim;
    assert_eq!(c.state(), S::UnderReview);
    let c = step(&c, request_info(), reviewer()).claim;
    assert_eq!(c.state(), S::PartnerActionRequired);
    assert_eq!(
        c.history().last().unwrap().note,
        Some(text("add the attendee list"))
    );
    let c = step(&c, evidence(EvidenceKind::Poe), incentives_user()).claim;
    let c = step(&c, C::Resubmit, admin()).claim;
    assert_eq!(c.state(), S::Submitted);
    let c = step(&c, C::StartReview, reviewer()).claim;
    let t = step(&c, C::Approve, reviewer());
    assert_eq!(t.claim.state(), S::Approved);
    assert_eq!(
        t.events,
        [
            ActivityEvent::PayoutDue {
                amount: Some(Usd::from_cents(450_000)),
            },
            ActivityEvent::Transitioned {
                command: ActivityCommandKind::Approve,
                from: Some(S::UnderReview),
                to: S::Approved,
            },
        ]
    );
    let paid = step(&t.claim, C::MarkPaid, reviewer()).claim;
    assert_eq!(paid.state(), S::Completed);
    assert!(paid.state().is_terminal());
    assert!(!paid.is_disputed());
}

#[test]
fn approving_fixed_pay_gives_no_amount() {
    for key in [ASSESSMENT, WORKSHOP, SMALL] {
        let (c, at) = activity_in(key, S::UnderReview);
        let t = ok(&c, &C::Approve, &reviewer(), at + hours(1));
        assert_eq!(
            t.events[0],
            ActivityEvent::PayoutDue { amount: None },
            "{key}"
        );
    }
    let (c, at) = activity_in(LARGE, S::UnderReview);
    let t = ok(&c, &C::Approve, &reviewer(), at + hours(1));
    // 30 hours × $200.
    assert_eq!(
        t.events[0],
        ActivityEvent::PayoutDue {
            amount: Some(usd(6_000)),
        }
    );
}

#[test]
fn reject_dispute_resubmit_and_a_second_reject_is_final() {
    let (c, at) = activity_in(WORKSHOP, S::UnderReview);
    let rejected_at = at + hours(1);
    let rejected = ok(&c, &reject(), &reviewer(), rejected_at).claim;
    assert_eq!(rejected.state(), S::Rejected);
    assert!(!rejected.is_disputed());
    assert_eq!(
        rejected.history().last().unwrap().note,
        Some(text("the poe is unsigned"))
    );
    // The dispute window: 30 days from the rejection.
    assert_eq!(rejected.next_deadline(), Some(rejected_at + days(30)));
    let disputed_at = rejected_at + days(29);
    let disputed = ok(&rejected, &dispute(), &admin(), disputed_at).claim;
    assert_eq!(disputed.state(), S::Disputed);
    assert!(disputed.is_disputed());
    let resubmitted = ok(&disputed, &C::Resubmit, &admin(), disputed_at + hours(1)).claim;
    assert_eq!(resubmitted.state(), S::Submitted);
    let review = ok(
        &resubmitted,
        &C::StartReview,
        &reviewer(),
        disputed_at + hours(2),
    )
    .claim;
    let last = ok(&review, &reject(), &reviewer(), disputed_at + hours(3)).claim;
    assert_eq!(last.state(), S::RejectedFinal);
    assert!(last.state().is_terminal());
    // Once only: no second dispute.
    refuse(
        &last,
        &dispute(),
        &admin(),
        disputed_at + hours(4),
        "activity.invalid_state",
    );
}

#[test]
fn a_disputed_claim_may_still_be_approved() {
    let (c, at) = activity_in(WORKSHOP, S::Disputed);
    let c = ok(&c, &C::Resubmit, &admin(), at + hours(1)).claim;
    let c = ok(&c, &C::StartReview, &reviewer(), at + hours(2)).claim;
    let c = ok(&c, &C::Approve, &reviewer(), at + hours(3)).claim;
    assert_eq!(c.state(), S::Approved);
    assert!(c.is_disputed());
}

#[test]
fn a_dispute_is_refused_after_30_days() {
    let (c, at) = activity_in(WORKSHOP, S::Rejected);
    // `at` is the rejection.
    assert_eq!(c.next_deadline(), Some(at + days(30)));
    let err = refuse(
        &c,
        &dispute(),
        &admin(),
        at + days(30),
        "activity.deadline_passed",
    );
    assert_eq!(
        err,
        ActivityError::DeadlinePassed {
            deadline: at + days(30)
        }
    );
    assert_eq!(
        ok(
            &c,
            &dispute(),
            &admin(),
            at + days(30) - Duration::seconds(1)
        )
        .claim
        .state(),
        S::Disputed
    );
}

// ---- 6.2 cancel ----

#[test]
fn cancel_is_allowed_before_the_first_submit() {
    for state in [S::CustomerClaimed, S::AwaitingConsent, S::ConsentReceived] {
        let (c, at) = ready(WORKSHOP, state);
        let t = ok(&c, &C::Cancel, &admin(), at + hours(1));
        assert_eq!(t.claim.state(), S::Canceled, "{state}");
        assert!(!t.claim.was_submitted());
        refuse(
            &c,
            &C::Cancel,
            &incentives_user(),
            at + hours(1),
            "activity.forbidden",
        );
    }
}

#[test]
fn cancel_is_never_allowed_after_a_submit() {
    for state in ActivityState::ALL
        .into_iter()
        .filter(|s| !s.is_before_first_submit())
    {
        let (c, at) = activity_in(WORKSHOP, state);
        refuse(
            &c,
            &C::Cancel,
            &admin(),
            at + hours(1),
            "activity.invalid_state",
        );
    }
    // Even back in partner_action_required or disputed, which still allow edits.
    for state in [S::PartnerActionRequired, S::Disputed] {
        let (c, _) = activity_in(WORKSHOP, state);
        assert!(c.was_submitted(), "{state}");
    }
}

// ---- 7 permissions ----

#[test]
fn an_incentives_user_runs_consent_and_evidence_steps_only() {
    let user = incentives_user();
    let (c, at) = activity_in(WORKSHOP, S::CustomerClaimed);
    let c = ok(&c, &deal(), &user, at + hours(1)).claim;
    assert_eq!(c.state(), S::AwaitingConsent);
    let c = ok(&c, &C::ResendConsent, &user, at + hours(2)).claim;
    assert_eq!(c.history().last().unwrap().actor, user);
    let (c, at) = activity_in(WORKSHOP, S::ConsentReceived);
    let c = ok(&c, &evidence(EvidenceKind::Poe), &user, at + hours(1)).claim;
    assert_eq!(c.evidence().len(), 1);
    // Not: create, edit, submit, cancel, resubmit, dispute.
    let (full, at) = ready(WORKSHOP, S::ConsentReceived);
    for command in [
        C::Submit,
        C::Cancel,
        edit(ActivityEdit {
            name: Some(text("renamed")),
            ..ActivityEdit::default()
        }),
    ] {
        refuse(&full, &command, &user, at + hours(1), "activity.forbidden");
    }
    let (par, at) = activity_in(WORKSHOP, S::PartnerActionRequired);
    refuse(
        &par,
        &C::Resubmit,
        &user,
        at + hours(1),
        "activity.forbidden",
    );
    let (rejected, at) = activity_in(WORKSHOP, S::Rejected);
    refuse(
        &rejected,
        &dispute(),
        &user,
        at + hours(1),
        "activity.forbidden",
    );
    let n = nomination(tenant_customer(), &[WORKSHOP], None);
    for flow in [add_customer, claim_customer] {
        let result = flow(&n, &user, t0(), &catalog(), &facts(), &[]);
        assert!(not_eligible(result, WORKSHOP).contains(&Reason::ActorNotIncentivesAdmin));
    }
}

#[test]
fn a_reviewer_only_reviews() {
    let r = reviewer();
    let reviews = [
        ActivityCommandKind::StartReview,
        ActivityCommandKind::RequestInfo,
        ActivityCommandKind::Approve,
        ActivityCommandKind::Reject,
        ActivityCommandKind::MarkPaid,
    ];
    // In each state, the commands the table allows someone else are forbidden to a reviewer.
    for state in ActivityState::ALL {
        let (c, at) = ready(WORKSHOP, state);
        for command in every_command() {
            let now = at + hours(1);
            if reviews.contains(&command.kind()) {
                continue;
            }
            refuse(&c, &command, &r, now, "activity.forbidden");
        }
    }
    let (c, at) = activity_in(WORKSHOP, S::Submitted);
    let c = ok(&c, &C::StartReview, &r, at + hours(1)).claim;
    let c = ok(&c, &request_info(), &r, at + hours(2)).claim;
    assert_eq!(c.state(), S::PartnerActionRequired);
    let (c, at) = activity_in(WORKSHOP, S::Approved);
    assert_eq!(
        ok(&c, &C::MarkPaid, &r, at + hours(1)).claim.state(),
        S::Completed
    );
}

#[test]
fn the_customer_only_consents_or_declines() {
    let (c, at) = activity_in(WORKSHOP, S::AwaitingConsent);
    for command in every_command() {
        let kind = command.kind();
        let to = match kind {
            ActivityCommandKind::AcceptConsent => Some(S::ConsentReceived),
            ActivityCommandKind::DeclineConsent => Some(S::ConsentDeclined),
            _ => None,
        };
        if let Some(to) = to {
            let t = ok(&c, &command, &customer(), at + hours(1));
            assert_eq!(t.claim.state(), to);
        } else {
            refuse(
                &c,
                &command,
                &customer(),
                at + hours(1),
                "activity.forbidden",
            );
        }
    }
    // A partner cannot consent for the customer.
    for actor in [admin(), incentives_user(), reviewer(), Actor::System] {
        refuse(
            &c,
            &C::AcceptConsent,
            &actor,
            at + hours(1),
            "activity.forbidden",
        );
        refuse(
            &c,
            &C::DeclineConsent,
            &actor,
            at + hours(1),
            "activity.forbidden",
        );
    }
}

#[test]
fn the_system_only_expires_and_links_referrals() {
    let (c, at) = activity_in(WORKSHOP, S::CustomerClaimed);
    for command in every_command() {
        match command.kind() {
            ActivityCommandKind::LinkReferral => {
                ok(&c, &command, &Actor::System, at + hours(1));
            }
            ActivityCommandKind::Expire => {
                let due = c.next_deadline().unwrap();
                assert_eq!(
                    ok(&c, &command, &Actor::System, due).claim.state(),
                    S::ConsentExpired
                );
                // Nobody else drives the timer.
                for actor in [admin(), incentives_user(), reviewer(), customer()] {
                    refuse(&c, &command, &actor, due, "activity.forbidden");
                }
            }
            _ => {
                refuse(
                    &c,
                    &command,
                    &Actor::System,
                    at + hours(1),
                    "activity.forbidden",
                );
            }
        }
    }
}

#[test]
fn another_locations_admin_finds_nothing() {
    let stranger = admin_of(other_partner());
    for state in ActivityState::ALL {
        let (c, at) = ready(WORKSHOP, state);
        for command in every_command() {
            let err = refuse(&c, &command, &stranger, at + hours(1), "activity.not_found");
            assert_eq!(err, ActivityError::NotFound { claim: c.id() });
        }
    }
    let mut both = UserRoles::of([PartnerUserRole::ReferralAdmin]);
    both = both.with(PartnerUserRole::IncentivesAdmin);
    let stranger = Actor::partner(other_partner(), user("x@northwind.com"), both);
    assert_eq!(
        created(ASSESSMENT).referral(&stranger),
        Err(ActivityError::NotFound {
            claim: claim_id(100)
        })
    );
}

#[test]
fn a_partner_user_without_an_incentives_role_may_do_nothing() {
    let nobody = referral_admin();
    let (c, at) = activity_in(WORKSHOP, S::CustomerClaimed);
    for command in every_command() {
        refuse(&c, &command, &nobody, at + hours(1), "activity.forbidden");
    }
}

// ---- 8 referrals ----

fn referral_facts() -> InMemoryFacts {
    facts()
        .with_referral_conditions(tenant_customer(), engagement(ASSESSMENT))
        .with_referral_conditions(tenant_customer(), engagement(WORKSHOP))
        .with_referral_conditions(msx_customer(), engagement(MEDIUM))
}

fn referral_requests(events: &[ActivityEvent]) -> Vec<&ActivityEvent> {
    events
        .iter()
        .filter(|e| matches!(e, ActivityEvent::ReferralRequested { .. }))
        .collect()
}

#[test]
fn creation_requests_a_referral_when_the_conditions_hold_and_only_once() {
    let facts = referral_facts();
    let n = nomination(tenant_customer(), &[ASSESSMENT], None);
    let made = add(&n, &facts, &[]).unwrap();
    assert_eq!(
        made[0].events,
        [
            ActivityEvent::ReferralRequested {
                customer: tenant_customer(),
                engagement: engagement(ASSESSMENT),
            },
            ActivityEvent::Transitioned {
                command: ActivityCommandKind::Create,
                from: None,
                to: S::CustomerClaimed,
            },
        ]
    );
    let c = &made[0].claim;
    let sent = run_with(&facts, c, &deal(), &admin(), t0() + hours(1)).unwrap();
    assert!(referral_requests(&sent.events).is_empty());
    let resent = run_with(
        &facts,
        &sent.claim,
        &C::ResendConsent,
        &admin(),
        t0() + hours(2),
    )
    .unwrap();
    assert!(referral_requests(&resent.events).is_empty());
}

#[test]
fn a_referral_is_requested_at_the_consent_email_if_the_conditions_hold_only_then() {
    // Created while the conditions do not hold.
    let n = nomination(tenant_customer(), &[ASSESSMENT], None);
    let made = add(&n, &facts(), &[]).unwrap();
    assert!(referral_requests(&made[0].events).is_empty());
    let sent = run_with(
        &referral_facts(),
        &made[0].claim,
        &deal(),
        &admin(),
        t0() + hours(1),
    )
    .unwrap();
    assert_eq!(
        referral_requests(&sent.events),
        [&ActivityEvent::ReferralRequested {
            customer: tenant_customer(),
            engagement: engagement(ASSESSMENT),
        }]
    );
    assert!(matches!(
        sent.events[0],
        ActivityEvent::ConsentEmailRequested {
            reminder: false,
            ..
        }
    ));
    // Not again at the reminder.
    let resent = run_with(
        &referral_facts(),
        &sent.claim,
        &C::ResendConsent,
        &admin(),
        t0() + hours(2),
    )
    .unwrap();
    assert!(referral_requests(&resent.events).is_empty());
}

#[test]
fn no_referral_without_the_conditions_or_on_an_engagement_without_referrals() {
    // Conditions never hold: nothing at creation or consent.
    let made = add(
        &nomination(tenant_customer(), &[ASSESSMENT], None),
        &facts(),
        &[],
    )
    .unwrap();
    let sent = ok(&made[0].claim, &deal(), &admin(), t0() + hours(1));
    assert!(referral_requests(&made[0].events).is_empty());
    assert!(referral_requests(&sent.events).is_empty());
    // The workshop has referrals disabled, whatever the facts say.
    let facts = referral_facts().with_co_sell_qualified(tenant_customer());
    let made = add(
        &nomination(tenant_customer(), &[WORKSHOP], None),
        &facts,
        &[],
    )
    .unwrap();
    assert!(referral_requests(&made[0].events).is_empty());
    let sent = run_with(&facts, &made[0].claim, &deal(), &admin(), t0() + hours(1)).unwrap();
    assert!(referral_requests(&sent.events).is_empty());
    let accepted = run_with(
        &facts,
        &sent.claim,
        &C::AcceptConsent,
        &customer(),
        t0() + hours(2),
    )
    .unwrap();
    assert_eq!(accepted.events.len(), 1, "{:?}", accepted.events);
}

#[test]
fn after_consent_a_co_sell_upgrade_is_requested_if_the_customer_qualifies() {
    for (qualified, expected) in [(true, 1), (false, 0)] {
        let facts = if qualified {
            referral_facts().with_co_sell_qualified(msx_customer())
        } else {
            referral_facts()
        };
        let made = add(
            &nomination(msx_customer(), &[MEDIUM], Some(30)),
            &facts,
            &[],
        )
        .unwrap();
        assert_eq!(referral_requests(&made[0].events).len(), 1);
        let sent = run_with(&facts, &made[0].claim, &deal(), &admin(), t0() + hours(1)).unwrap();
        let consented = run_with(
            &facts,
            &sent.claim,
            &C::AcceptConsent,
            &Actor::customer(msx_customer()),
            t0() + hours(2),
        )
        .unwrap();
        let upgrades: Vec<_> = consented
            .events
            .iter()
            .filter(|e| {
                **e == ActivityEvent::CoSellUpgradeRequested {
                    customer: msx_customer(),
                }
            })
            .collect();
        assert_eq!(upgrades.len(), expected, "qualified: {qualified}");
        assert_eq!(consented.events.len(), expected + 1);
    }
}

#[test]
fn link_referral_records_one_link_that_only_referral_admins_see() {
    let facts = referral_facts();
    let made = add(
        &nomination(tenant_customer(), &[ASSESSMENT], None),
        &facts,
        &[],
    )
    .unwrap();
    let c = &made[0].claim;
    assert_eq!(c.referral(&referral_admin()), Ok(None));
    let link = text("https://partner.microsoft.com/referrals/42");
    let linked = run_with(
        &facts,
        c,
        &C::LinkReferral {
            referral: link.clone(),
        },
        &Actor::System,
        t0() + hours(1),
    )
    .unwrap()
    .claim;
    assert_eq!(linked.state(), S::CustomerClaimed);
    assert_eq!(linked.referral(&referral_admin()), Ok(Some(&link)));
    let both = Actor::partner(
        partner(),
        user("boss@fabrikam.com"),
        UserRoles::of([
            PartnerUserRole::IncentivesAdmin,
            PartnerUserRole::ReferralAdmin,
        ]),
    );
    assert_eq!(linked.referral(&both), Ok(Some(&link)));
    for actor in [
        admin(),
        incentives_user(),
        reviewer(),
        customer(),
        Actor::System,
    ] {
        assert_eq!(
            linked.referral(&actor),
            Err(ActivityError::ReferralHidden),
            "{actor:?}"
        );
        assert_eq!(
            linked.referral(&actor).unwrap_err().code(),
            "activity.referral_hidden"
        );
    }
    // A second link is refused; the first stays.
    let err = refuse(
        &linked,
        &C::LinkReferral {
            referral: text("https://partner.microsoft.com/referrals/43"),
        },
        &Actor::System,
        t0() + hours(2),
        "activity.referral_already_linked",
    );
    assert_eq!(err, ActivityError::ReferralAlreadyLinked);
    // Also later in the lifecycle.
    let sent = ok(&linked, &deal(), &admin(), t0() + hours(3)).claim;
    refuse(
        &sent,
        &C::LinkReferral {
            referral: text("other"),
        },
        &Actor::System,
        t0() + hours(4),
        "activity.referral_already_linked",
    );
    assert_eq!(sent.referral(&referral_admin()), Ok(Some(&link)));
}

// ---- 6 history ----

#[test]
fn history_has_one_entry_per_accepted_command_and_none_for_a_refused_one() {
    let mut c = created(MEDIUM);
    let mut at = t0();
    let mut expected = vec![(
        ActivityCommandKind::Create,
        None,
        S::CustomerClaimed,
        admin(),
        t0(),
    )];
    let path: Vec<(ActivityCommand, Actor)> = vec![
        (deal(), incentives_user()),
        (C::ResendConsent, admin()),
        (C::AcceptConsent, Actor::customer(c.customer().clone())),
        (evidence(EvidenceKind::Poe), admin()),
        (evidence(EvidenceKind::Invoice), incentives_user()),
        (evidence(EvidenceKind::CustomerSurvey), admin()),
        (evidence(EvidenceKind::PartnerSurvey), admin()),
        (C::Submit, admin()),
        (C::StartReview, reviewer()),
        (reject(), reviewer()),
        (dispute(), admin()),
        (C::Resubmit, admin()),
        (C::StartReview, reviewer()),
        (C::Approve, reviewer()),
        (C::MarkPaid, reviewer()),
    ];
    for (command, actor) in path {
        at += hours(1);
        // A refused command first: nothing is recorded.
        let len = c.history().len();
        let _ = run_with(&facts(), &c, &C::Cancel, &reviewer(), at).unwrap_err();
        assert_eq!(c.history().len(), len);
        let before = c.state();
        c = ok(&c, &command, &actor, at).claim;
        expected.push((command.kind(), Some(before), c.state(), actor, at));
    }
    let got: Vec<_> = c
        .history()
        .iter()
        .map(|e| (e.command, e.from, e.to, e.actor.clone(), e.at))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(c.state(), S::Completed);
    // Each entry starts where the one before ended.
    for pair in c.history().windows(2) {
        assert_eq!(pair[1].from, Some(pair[0].to));
    }
}

#[test]
fn the_timer_is_recorded_in_the_history() {
    let (c, _) = activity_in(WORKSHOP, S::ConsentExpired);
    let entry = c.history().last().unwrap();
    assert_eq!(entry.command, ActivityCommandKind::Expire);
    assert_eq!(entry.actor, Actor::System);
    assert_eq!(entry.at, t0() + days(30));
    assert_eq!(c.history().len(), 2);
}

#[test]
fn time_never_goes_back_and_the_catalog_year_must_match() {
    let (c, at) = activity_in(WORKSHOP, S::AwaitingConsent);
    refuse(
        &c,
        &C::ResendConsent,
        &admin(),
        at - Duration::seconds(1),
        "activity.time_went_back",
    );
    let fy20 = Catalog::fy20();
    let err = c
        .transition(&C::ResendConsent, &admin(), at + hours(1), &fy20, &facts())
        .unwrap_err();
    assert_eq!(err.code(), "activity.catalog_mismatch");
}

// ---- serde ----

#[test]
fn json_round_trips_every_state_of_every_engagement() {
    for key in [ASSESSMENT, WORKSHOP, SMALL, MEDIUM, LARGE] {
        for state in ActivityState::ALL {
            let (c, _) = activity_in(key, state);
            let json = serde_json::to_string(&c).unwrap();
            let back: ActivityClaim = serde_json::from_str(&json).unwrap();
            assert_eq!(back, c, "{key} {state}");
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(value["state"], state.as_str(), "{key} {state}");
        }
    }
}

#[test]
fn an_inconsistent_json_claim_is_refused() {
    let (c, _) = activity_in(WORKSHOP, S::AwaitingConsent);
    let good = serde_json::to_value(&c).unwrap();
    let refuse_json = |value: serde_json::Value, why: &str| {
        let err = serde_json::from_value::<ActivityClaim>(value).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!("claim {} is invalid", c.id())) && message.contains(why),
            "{message}"
        );
    };
    // The state is not where the history ends.
    let mut v = good.clone();
    v["state"] = "approved".into();
    refuse_json(
        v,
        "(claim.history): the history ends in awaiting_consent but the state is approved",
    );
    // No history at all.
    let mut v = good.clone();
    v["history"] = serde_json::json!([]);
    refuse_json(v, "(claim.history): the history is empty");
    // Awaiting consent without the deal size.
    let mut v = good.clone();
    v["estimated_deal_size"] = serde_json::Value::Null;
    refuse_json(
        v,
        "(claim.fields): the estimated deal size is not the consent request's",
    );
    // History out of time order.
    let mut v = good.clone();
    v["history"][1]["at"] = "2020-01-01T00:00:00Z".into();
    refuse_json(
        v,
        "(claim.times): history entry 1 is earlier than the one before",
    );
    // And the untouched value still loads.
    assert_eq!(serde_json::from_value::<ActivityClaim>(good).unwrap(), c);
}
