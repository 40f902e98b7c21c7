//! The Customers page of one MCI engagement (domain.md section 6.2): one scenario per tab, the
//! actions each viewer gets, and who may see the page.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::mci::*;
use common::*;
use cpor::activity::{ActivityClaim, ActivityError, ActivityState, add_customer};
use cpor::customers::{
    CompleteRow, CustomersPage, EligibleRow, NotEligibleRow, RowAction, customers_page,
};
use cpor::eligibility::{Facts, Reason};
use cpor::{Actor, CustomerId, CustomerIdKind, PartnerUserRole, Tpid, UserRoles};

use ActivityState as S;
use RowAction as A;

fn page(
    key: &str,
    viewer: &Actor,
    claims: &[ActivityClaim],
    proposed: &[CustomerId],
    now: DateTime<Utc>,
) -> CustomersPage {
    page_with(&facts(), key, viewer, claims, proposed, now)
}

fn page_with(
    facts: &dyn Facts,
    key: &str,
    viewer: &Actor,
    claims: &[ActivityClaim],
    proposed: &[CustomerId],
    now: DateTime<Utc>,
) -> CustomersPage {
    customers_page(
        &catalog(),
        facts,
        &engagement(key),
        partner(),
        viewer,
        claims,
        proposed,
        now,
    )
    .unwrap()
}

fn actions(row: &EligibleRow) -> Vec<RowAction> {
    row.actions.iter().collect()
}

fn tpid(digits: &str) -> CustomerId {
    CustomerId::Tpid(Tpid::parse(digits).unwrap())
}

fn referral_admin() -> Actor {
    Actor::partner(
        partner(),
        user("referrals@fabrikam.com"),
        UserRoles::of([PartnerUserRole::ReferralAdmin]),
    )
}

/// A claim of `partner()` for `customer` on `key`, created at `t0()`.
fn claim_for(key: &str, customer: CustomerId, id: u128, facts: &dyn Facts) -> ActivityClaim {
    let mut n = nomination(customer, &[key], None);
    n.engagements[0].1 = claim_id(id);
    add_customer(&n, &admin(), t0(), &catalog(), facts, &[])
        .unwrap()
        .remove(0)
        .claim
}

fn soon(at: DateTime<Utc>) -> DateTime<Utc> {
    at + Duration::hours(1)
}

// ---- Eligible ----

#[test]
fn a_proposed_eligible_customer_gets_the_add_action() {
    let p = page(WORKSHOP, &admin(), &[], &[tenant_customer()], t0());
    assert_eq!(
        p.eligible,
        [EligibleRow {
            customer: tenant_customer(),
            claim: None,
            actions: p.eligible[0].actions,
        }]
    );
    assert_eq!(actions(&p.eligible[0]), [A::Add]);
    assert!(p.not_eligible.is_empty());
    assert!(p.complete.is_empty());
    // A domain that resolves to an eligible tenant too.
    let domain = CustomerId::Domain(contoso());
    let p = page(WORKSHOP, &admin(), &[], std::slice::from_ref(&domain), t0());
    assert_eq!(p.eligible.len(), 1);
    assert_eq!(p.eligible[0].customer, domain);
    assert_eq!(actions(&p.eligible[0]), [A::Add]);
}

#[test]
fn a_customer_known_from_another_active_or_completed_engagement_gets_the_claim_action() {
    for state in [
        S::CustomerClaimed,
        S::ConsentReceived,
        S::Approved,
        S::Completed,
    ] {
        let (known, _) = activity_in(ASSESSMENT, state);
        // Proposing it as well does not make a second row.
        let p = page(
            WORKSHOP,
            &admin(),
            std::slice::from_ref(&known),
            &[tenant_customer()],
            t0() + Duration::days(400),
        );
        assert_eq!(p.eligible.len(), 1, "{state}");
        assert_eq!(p.eligible[0].customer, tenant_customer());
        assert_eq!(p.eligible[0].claim, None);
        assert_eq!(actions(&p.eligible[0]), [A::Claim], "{state}");
        assert!(p.not_eligible.is_empty() && p.complete.is_empty());
    }
}

#[test]
fn a_customer_from_an_ended_engagement_is_not_known() {
    for state in [
        S::Canceled,
        S::ConsentDeclined,
        S::NotSubmittedExpired,
        S::RejectedFinal,
    ] {
        let (ended, _) = activity_in(ASSESSMENT, state);
        let claims = [ended];
        let p = page(WORKSHOP, &admin(), &claims, &[], t0());
        assert_eq!(p, CustomersPage::default(), "{state}");
        let p = page(WORKSHOP, &admin(), &claims, &[tenant_customer()], t0());
        assert_eq!(p.eligible.len(), 1);
        assert_eq!(actions(&p.eligible[0]), [A::Add], "{state}");
    }
}

#[test]
fn claims_in_progress_offer_the_next_steps_by_viewer_role() {
    // (state, with all evidence, admin's actions, incentives user's actions)
    let cases: [(ActivityState, bool, &[RowAction], &[RowAction]); 11] = [
        (
            S::CustomerClaimed,
            false,
            &[A::SendConsent, A::Cancel],
            &[A::SendConsent],
        ),
        (
            S::AwaitingConsent,
            false,
            &[A::ResendConsent, A::Cancel],
            &[A::ResendConsent],
        ),
        (
            S::ConsentReceived,
            false,
            &[A::AddEvidence, A::Cancel],
            &[A::AddEvidence],
        ),
        (
            S::ConsentReceived,
            true,
            &[A::AddEvidence, A::Submit, A::Cancel],
            &[A::AddEvidence],
        ),
        (S::Submitted, false, &[], &[]),
        (S::UnderReview, false, &[], &[]),
        (
            S::PartnerActionRequired,
            false,
            &[A::AddEvidence, A::Resubmit],
            &[A::AddEvidence],
        ),
        (S::Approved, false, &[], &[]),
        (S::Rejected, false, &[A::Dispute], &[]),
        (
            S::Disputed,
            false,
            &[A::AddEvidence, A::Resubmit],
            &[A::AddEvidence],
        ),
        (
            S::Disputed,
            true,
            &[A::AddEvidence, A::Resubmit],
            &[A::AddEvidence],
        ),
    ];
    for (state, evidence, for_admin, for_user) in cases {
        let (claim, at) = activity_in(WORKSHOP, state);
        let (claim, at) = if evidence {
            with_all_evidence(claim, at)
        } else {
            (claim, at)
        };
        let claims = [claim.clone()];
        for (viewer, expected) in [
            (admin(), for_admin),
            (incentives_user(), for_user),
            (referral_admin(), &[][..]),
            (reviewer(), &[][..]),
        ] {
            let p = page(WORKSHOP, &viewer, &claims, &[tenant_customer()], soon(at));
            assert_eq!(p.eligible.len(), 1, "{state} {:?}", viewer.kind());
            let row = &p.eligible[0];
            assert_eq!(row.customer, tenant_customer());
            assert_eq!(row.claim, Some((claim.id(), state)));
            assert_eq!(actions(row), expected, "{state} {:?}", viewer.kind());
            assert!(p.not_eligible.is_empty() && p.complete.is_empty());
        }
    }
}

#[test]
fn an_incentives_user_never_gets_add_claim_submit_or_cancel() {
    let (known, _) = activity_in(ASSESSMENT, S::ConsentReceived);
    let (ready, at) = activity_in(WORKSHOP, S::ConsentReceived);
    let (ready, at) = with_all_evidence(ready, at);
    let other = tpid("555555");
    let facts = facts().eligible(Tpid::parse("555555").unwrap(), engagement(WORKSHOP));
    let p = page_with(
        &facts,
        WORKSHOP,
        &incentives_user(),
        &[ready, known],
        &[other],
        soon(at),
    );
    assert_eq!(p.eligible.len(), 2);
    let forbidden = [
        A::Add,
        A::Claim,
        A::Submit,
        A::Cancel,
        A::Resubmit,
        A::Dispute,
    ];
    for row in &p.eligible {
        for action in forbidden {
            assert!(!row.actions.contains(action), "{row:?}");
        }
    }
    assert_eq!(actions(&p.eligible[0]), [A::AddEvidence]);
    assert!(p.eligible[1].actions.is_empty());
}

#[test]
fn a_claim_past_its_deadline_offers_nothing_until_the_timer_runs() {
    let (claim, _) = activity_in(WORKSHOP, S::CustomerClaimed);
    let due = claim.next_deadline().unwrap();
    let claims = [claim.clone()];
    let p = page(WORKSHOP, &admin(), &claims, &[], due - Duration::seconds(1));
    assert_eq!(actions(&p.eligible[0]), [A::SendConsent, A::Cancel]);
    let p = page(WORKSHOP, &admin(), &claims, &[], due);
    assert_eq!(p.eligible.len(), 1);
    assert_eq!(p.eligible[0].claim, Some((claim.id(), S::CustomerClaimed)));
    assert!(p.eligible[0].actions.is_empty());
}

#[test]
fn rows_follow_the_claims_then_the_proposed_customers() {
    // tenant: a claim in progress here; TPID 123456: known from the small project;
    // TPID 555555: proposed and eligible; TPID 987654: proposed, no data.
    let (here, at) = activity_in(WORKSHOP, S::AwaitingConsent);
    let known = claim_for(SMALL, tpid(TPID), 7, &facts());
    let facts = facts().eligible(Tpid::parse("555555").unwrap(), engagement(WORKSHOP));
    let proposed = [
        tpid("555555"),
        tpid("987654"),
        tpid("555555"),
        tenant_customer(),
    ];
    let p = page_with(
        &facts,
        WORKSHOP,
        &admin(),
        &[here.clone(), known],
        &proposed,
        soon(at),
    );
    let rows: Vec<_> = p
        .eligible
        .iter()
        .map(|r| (r.customer.clone(), r.claim, actions(r)))
        .collect();
    assert_eq!(
        rows,
        [
            (
                tenant_customer(),
                Some((here.id(), S::AwaitingConsent)),
                vec![A::ResendConsent, A::Cancel]
            ),
            (tpid(TPID), None, vec![A::Claim]),
            (tpid("555555"), None, vec![A::Add]),
        ]
    );
    assert_eq!(
        p.not_eligible,
        [NotEligibleRow {
            customer: tpid("987654"),
            reasons: Some(vec![Reason::CustomerNotEligible {
                id: tpid("987654"),
                reason: None,
            }]),
        }]
    );
    assert!(p.complete.is_empty());
}

#[test]
fn another_partners_claims_are_ignored() {
    let facts = facts().enrolled(other_partner(), engagement(WORKSHOP));
    let mut n = nomination(tenant_customer(), &[WORKSHOP], None);
    n.partner = other_partner();
    let theirs = add_customer(
        &n,
        &admin_of(other_partner()),
        t0(),
        &catalog(),
        &facts,
        &[],
    )
    .unwrap()
    .remove(0)
    .claim;
    let p = page_with(&facts, WORKSHOP, &admin(), &[theirs], &[], soon(t0()));
    assert_eq!(p, CustomersPage::default());
}

// ---- Not eligible ----

#[test]
fn not_eligible_customers_are_listed_with_their_reasons() {
    let facts = facts()
        .not_eligible(
            Tpid::parse("222222").unwrap(),
            engagement(WORKSHOP),
            cpor::Text::parse("below the usage threshold").unwrap(),
        )
        .with_active_claims(engagement(WORKSHOP), tenant(), 1);
    let northwind = CustomerId::Domain("northwind.com".parse().unwrap());
    let proposed = [
        tpid("222222"),
        tenant_customer(),
        msx_customer(),
        northwind.clone(),
    ];
    let p = page_with(&facts, WORKSHOP, &admin(), &[], &proposed, t0());
    assert!(p.eligible.is_empty());
    assert!(p.complete.is_empty());
    assert_eq!(
        p.not_eligible,
        [
            NotEligibleRow {
                customer: tpid("222222"),
                reasons: Some(vec![Reason::CustomerNotEligible {
                    id: tpid("222222"),
                    reason: Some(text("below the usage threshold")),
                }]),
            },
            NotEligibleRow {
                customer: tenant_customer(),
                reasons: Some(vec![Reason::CustomerCapReached { active: 1, max: 1 }]),
            },
            NotEligibleRow {
                customer: msx_customer(),
                reasons: Some(vec![Reason::CustomerIdKindNotAllowed {
                    kind: CustomerIdKind::MsxOpportunity,
                }]),
            },
            NotEligibleRow {
                customer: northwind.clone(),
                reasons: Some(vec![Reason::DomainUnresolved {
                    domain: "northwind.com".parse().unwrap(),
                }]),
            },
        ]
    );
    // An Incentives user sees the same reasons.
    let p2 = page_with(&facts, WORKSHOP, &incentives_user(), &[], &proposed, t0());
    assert_eq!(p2.not_eligible, p.not_eligible);
}

#[test]
fn a_known_customer_that_is_not_eligible_here_is_listed_with_its_reasons() {
    let (known, at) = activity_in(ASSESSMENT, S::Submitted);
    let facts = facts().not_eligible(tenant(), engagement(WORKSHOP), text("no e5 seats"));
    let p = page_with(&facts, WORKSHOP, &admin(), &[known], &[], soon(at));
    assert!(p.eligible.is_empty());
    assert_eq!(
        p.not_eligible,
        [NotEligibleRow {
            customer: tenant_customer(),
            reasons: Some(vec![Reason::CustomerNotEligible {
                id: tenant_customer(),
                reason: Some(text("no e5 seats")),
            }]),
        }]
    );
}

#[test]
fn reasons_are_hidden_for_an_engagement_nominated_only_by_msx_id() {
    let unknown_msx = CustomerId::parse_as(CustomerIdKind::MsxOpportunity, "7-AAAAAAAAAA").unwrap();
    for key in [MEDIUM, LARGE] {
        let p = page(
            key,
            &admin(),
            &[],
            &[unknown_msx.clone(), tenant_customer(), msx_customer()],
            t0(),
        );
        assert_eq!(
            p.not_eligible,
            [
                NotEligibleRow {
                    customer: unknown_msx.clone(),
                    reasons: None,
                },
                NotEligibleRow {
                    customer: tenant_customer(),
                    reasons: None,
                },
            ],
            "{key}"
        );
        assert_eq!(p.eligible.len(), 1);
        assert_eq!(p.eligible[0].customer, msx_customer());
        assert_eq!(actions(&p.eligible[0]), [A::Add]);
    }
    // A fixed-pay engagement shows them.
    let p = page(SMALL, &admin(), &[], &[tenant_customer()], t0());
    assert_eq!(
        p.not_eligible[0].reasons,
        Some(vec![Reason::CustomerIdKindNotAllowed {
            kind: CustomerIdKind::Tenant,
        }])
    );
}

// ---- Complete ----

#[test]
fn the_complete_tab_holds_completed_expired_canceled_and_rejected_final_claims() {
    for state in [
        S::Completed,
        S::NotSubmittedExpired,
        S::PostSubmissionExpired,
        S::DisputedExpired,
        S::Canceled,
        S::RejectedFinal,
    ] {
        let (claim, at) = activity_in(WORKSHOP, state);
        for viewer in [admin(), incentives_user()] {
            let p = page(
                WORKSHOP,
                &viewer,
                std::slice::from_ref(&claim),
                &[tenant_customer()],
                soon(at),
            );
            assert_eq!(
                p,
                CustomersPage {
                    eligible: vec![],
                    not_eligible: vec![],
                    complete: vec![CompleteRow {
                        customer: tenant_customer(),
                        claim: claim.id(),
                        state,
                    }],
                },
                "{state}"
            );
        }
    }
}

#[test]
fn declined_and_consent_expired_customers_leave_the_page() {
    let (known, _) = activity_in(ASSESSMENT, S::ConsentReceived);
    for state in [S::ConsentDeclined, S::ConsentExpired] {
        let (gone, at) = activity_in(WORKSHOP, state);
        // Even when proposed again or known from another engagement.
        let p = page(
            WORKSHOP,
            &admin(),
            &[gone.clone(), known.clone()],
            &[tenant_customer()],
            soon(at),
        );
        assert_eq!(p, CustomersPage::default(), "{state}");
        // Other customers stay.
        let p = page(WORKSHOP, &admin(), &[gone], &[tpid(TPID)], soon(at));
        assert_eq!(p.eligible.len(), 1);
        assert_eq!(p.eligible[0].customer, tpid(TPID));
    }
}

#[test]
fn one_page_sorts_every_tab_at_once() {
    let (done, _) = activity_in(WORKSHOP, S::Completed);
    let (declined, _) = activity_in(WORKSHOP, S::ConsentDeclined);
    let domain_claim = claim_for(WORKSHOP, CustomerId::Domain(contoso()), 8, &facts());
    let p = page(
        WORKSHOP,
        &admin(),
        &[done.clone(), declined, domain_claim.clone()],
        &[tpid("987654")],
        soon(t0()),
    );
    // The tenant's claims: one complete, one declined (hidden); the domain's claim is in progress.
    assert_eq!(p.complete.len(), 1);
    assert_eq!(p.complete[0].claim, done.id());
    assert_eq!(p.eligible.len(), 1);
    assert_eq!(
        p.eligible[0].claim,
        Some((domain_claim.id(), S::CustomerClaimed))
    );
    assert_eq!(p.not_eligible.len(), 1);
    assert_eq!(p.not_eligible[0].customer, tpid("987654"));
}

// ---- Who may see it ----

#[test]
fn another_locations_viewer_is_refused() {
    let (claim, at) = activity_in(WORKSHOP, S::AwaitingConsent);
    for viewer in [
        admin_of(other_partner()),
        Actor::partner(
            other_partner(),
            user("u@northwind.com"),
            UserRoles::of([PartnerUserRole::IncentivesUser]),
        ),
    ] {
        let err = customers_page(
            &catalog(),
            &facts(),
            &engagement(WORKSHOP),
            partner(),
            &viewer,
            std::slice::from_ref(&claim),
            &[tenant_customer()],
            soon(at),
        )
        .unwrap_err();
        assert_eq!(err, ActivityError::OtherPartner);
        assert_eq!(err.code(), "activity.other_partner");
    }
}

#[test]
fn an_unknown_or_non_mci_engagement_is_refused() {
    for key in ["no_such_engagement", "mws_usage"] {
        let err = customers_page(
            &catalog(),
            &facts(),
            &engagement(key),
            partner(),
            &admin(),
            &[],
            &[tenant_customer()],
            t0(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            ActivityError::UnknownEngagement {
                engagement: engagement(key)
            }
        );
        assert_eq!(err.code(), "activity.unknown_engagement");
    }
}
