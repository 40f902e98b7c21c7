//! Fixtures shared by the integration tests: actors, forms, times and claims in every state.
#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate, Utc};
use cpor::association::{
    Acknowledgement, Arbitration, AssociationClaim, AssociationCommand, AssociationForm,
    AssociationState, CompanyContactForm, CustomerContactForm, InfoRequestReason, ReviewRejection,
};
use cpor::{Actor, Catalog, ClaimId, PartnerId, PartnerUserRole, Text, UserId, UserRoles};
use proptest::test_runner::{Config, FileFailurePersistence};

/// A proptest config with `cases` cases (or `PROPTEST_CASES`, if set, for a longer or
/// shorter run), persisting failures under `proptest-regressions/`.
pub fn proptest_config(cases: u32, file: &'static str) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        ..Config::default()
    }
}

pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const SUBSCRIPTION: &str = "6f9619ff-8b86-d011-b42d-00c04fc964ff";

pub fn catalog() -> Catalog {
    Catalog::builtin()
}

pub fn partner() -> PartnerId {
    PartnerId::new(4_512_345).unwrap()
}

pub fn other_partner() -> PartnerId {
    PartnerId::new(7_700_001).unwrap()
}

pub fn claim_id(n: u128) -> ClaimId {
    ClaimId::from_uuid(uuid::Uuid::from_u128(n)).unwrap()
}

pub fn user(name: &str) -> UserId {
    UserId::parse(name).unwrap()
}

/// An Incentives admin of `partner()`.
pub fn admin() -> Actor {
    admin_of(partner())
}

pub fn admin_of(partner: PartnerId) -> Actor {
    Actor::partner(
        partner,
        user("admin@fabrikam.com"),
        UserRoles::of([PartnerUserRole::IncentivesAdmin]),
    )
}

/// An Incentives user (not admin) of `partner()`.
pub fn incentives_user() -> Actor {
    Actor::partner(
        partner(),
        user("user@fabrikam.com"),
        UserRoles::of([PartnerUserRole::IncentivesUser]),
    )
}

pub fn reviewer() -> Actor {
    Actor::reviewer(user("reviewer@microsoft.com"))
}

/// The customer of [`TENANT`], which speaks for the claims the tests make about it (an
/// activity claim by domain resolves to it).
pub fn customer() -> Actor {
    Actor::customer(cpor::CustomerId::Tenant(TENANT.parse().unwrap()))
}

/// Every kind of actor, including an admin of another partner location.
pub fn all_actors() -> Vec<Actor> {
    vec![
        admin(),
        incentives_user(),
        admin_of(other_partner()),
        reviewer(),
        customer(),
        Actor::System,
    ]
}

/// Monday 2 March 2026, 09:00 UTC.
pub fn t0() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc()
}

pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

pub fn text(s: &str) -> Text {
    Text::parse(s).unwrap()
}

/// A complete Modern Work and Security form: three workloads.
pub fn mws_form() -> AssociationForm {
    AssociationForm {
        name: "Contoso Teams rollout".into(),
        tenant: TENANT.into(),
        solution_area: "modern_work_security".into(),
        role: "use_or_consume".into(),
        workloads: vec!["teams".into(), "exchange".into(), "intune".into()],
        customer_contact: CustomerContactForm {
            name: "Megan Bowen".into(),
            title: "CIO".into(),
            email: "megan@contoso.com".into(),
        },
        company_contact: CompanyContactForm {
            name: "Alex Wilber".into(),
            email: "alex@fabrikam.com".into(),
        },
        ..AssociationForm::default()
    }
}

/// A complete Business Applications form (presales advisor): a subscription and two products.
pub fn bizapps_form() -> AssociationForm {
    AssociationForm {
        name: "Contoso Dynamics presales".into(),
        solution_area: "business_applications".into(),
        role: "build_intent_advisor".into(),
        workloads: vec!["dynamics_365_sales".into(), "power_bi".into()],
        subscription: SUBSCRIPTION.into(),
        purchase_channel: "volume_licensing".into(),
        ..mws_form()
    }
}

pub fn create(form: &AssociationForm, at: DateTime<Utc>) -> AssociationClaim {
    AssociationClaim::create(claim_id(1), form, &admin(), at, &catalog())
        .unwrap()
        .claim
}

/// Applies a command that must be accepted.
#[track_caller]
pub fn step(
    claim: &AssociationClaim,
    command: AssociationCommand,
    actor: &Actor,
    at: DateTime<Utc>,
) -> AssociationClaim {
    match claim.transition(&command, actor, at, &catalog()) {
        Ok(t) => t.claim,
        Err(e) => panic!("{command:?} by {actor:?} in {}: {e}", claim.state()),
    }
}

/// A claim in `state`, reached along the shortest path from a Modern Work and Security draft
/// created at `t0()`, one hour per step. Also returns the time of its last step.
pub fn claim_in(state: AssociationState) -> (AssociationClaim, DateTime<Utc>) {
    use AssociationCommand as C;
    use AssociationState as S;
    let mut at = t0();
    let mut claim = create(&mws_form(), at);
    let mut go = |claim: &mut AssociationClaim, command: C, actor: Actor| {
        at += Duration::hours(1);
        *claim = step(claim, command, &actor, at);
    };
    let path: Vec<(C, Actor)> = match state {
        S::Draft => vec![],
        S::Withdrawn => vec![(C::Withdraw, admin())],
        _ => {
            let mut path = vec![
                (
                    C::AttachPoe {
                        reference: text("sow-signed.pdf"),
                    },
                    admin(),
                ),
                (
                    C::Submit {
                        acknowledgement: Acknowledgement::Given,
                    },
                    admin(),
                ),
            ];
            let review = [(C::StartReview, reviewer())];
            let rejected = [(
                C::Reject {
                    reason: ReviewRejection::InsufficientPoe,
                },
                reviewer(),
            )];
            let approved = [(
                C::Approve {
                    arbitration: Arbitration::None,
                },
                reviewer(),
            )];
            let disputed = [(
                C::Dispute {
                    reason: text("the sow is signed"),
                },
                admin(),
            )];
            match state {
                S::Submitted => {}
                S::UnderReview => path.extend(review),
                S::PartnerActionRequired => {
                    path.extend(review);
                    path.push((
                        C::RequestInfo {
                            reason: InfoRequestReason::MissingOrOldDates,
                        },
                        reviewer(),
                    ));
                }
                S::Approved => {
                    path.extend(review);
                    path.extend(approved);
                }
                S::Rejected => {
                    path.extend(review);
                    path.extend(rejected);
                }
                S::Disputed => {
                    path.extend(review);
                    path.extend(rejected);
                    path.extend(disputed);
                }
                S::RejectedFinal => {
                    path.extend(review);
                    path.extend(rejected);
                    path.extend(disputed);
                    path.push((C::RejectDispute, reviewer()));
                }
                S::Draft | S::Withdrawn => unreachable!(),
            }
            path
        }
    };
    for (command, actor) in path {
        go(&mut claim, command, actor);
    }
    assert_eq!(claim.state(), state);
    (claim, at)
}

// ---- MCI partner-activity fixtures ----

pub mod files;
pub mod lifecycles;

pub mod mci {
    use super::*;
    use cpor::activity::{
        ActivityClaim, ActivityCommand, ActivityState, EvidenceKind, Nomination, add_customer,
    };
    use cpor::association::{CompanyContact, CustomerContact};
    use cpor::catalog::EngagementId;
    use cpor::eligibility::InMemoryFacts;
    use cpor::{CustomerId, DomainName, TenantId, Usd};

    /// Fixed pay; domain or tenant; referral enabled; assessment deadlines (30/60/90/30).
    pub const ASSESSMENT: &str = "copilot_readiness_assessment";
    /// Fixed pay; domain, tenant or TPID; customer survey required; workshop (30/90/120/30).
    pub const WORKSHOP: &str = "threat_protection_workshop";
    /// Fixed pay; TPID or Azure subscription; invoice required; cap 2; small project.
    pub const SMALL: &str = "azure_migration_small_project";
    /// Variable pay ($150/h, 40 h max, $5,000 cap); MSX only; referral, invoice, survey.
    pub const MEDIUM: &str = "bizapps_deployment_medium_project";
    /// Variable pay ($200/h, 300 h max, no cap); MSX only; invoice.
    pub const LARGE: &str = "azure_innovate_large_project";

    pub const MSX: &str = "7-3CVDESBISU";
    pub const TPID: &str = "123456";

    pub fn engagement(key: &str) -> EngagementId {
        EngagementId::parse(key).unwrap()
    }

    pub fn tenant() -> TenantId {
        TENANT.parse().unwrap()
    }

    pub fn contoso() -> DomainName {
        "contoso.com".parse().unwrap()
    }

    pub fn tenant_customer() -> CustomerId {
        CustomerId::Tenant(tenant())
    }

    pub fn msx_customer() -> CustomerId {
        CustomerId::parse_as(cpor::CustomerIdKind::MsxOpportunity, MSX).unwrap()
    }

    /// Facts under which `partner()` is enrolled in every MCI engagement, contoso.com resolves
    /// to `tenant()`, whose email domain is contoso.com, and the tenant, the domain's tenant,
    /// the TPID and the MSX opportunity are eligible for every engagement that accepts them.
    pub fn facts() -> InMemoryFacts {
        let mut facts = InMemoryFacts::new()
            .with_domain(contoso(), tenant())
            .with_email_domains(tenant(), [contoso()]);
        for key in [ASSESSMENT, WORKSHOP, SMALL, MEDIUM, LARGE] {
            facts = facts
                .enrolled(partner(), engagement(key))
                .eligible(tenant(), engagement(key))
                .eligible(cpor::Tpid::parse(TPID).unwrap(), engagement(key))
                .eligible(msx_customer(), engagement(key));
        }
        facts
    }

    pub fn customer_contact() -> CustomerContact {
        CustomerContact {
            name: text("Megan Bowen"),
            title: text("CIO"),
            email: "megan@contoso.com".parse().unwrap(),
        }
    }

    pub fn company_contact() -> CompanyContact {
        CompanyContact {
            name: text("Alex Wilber"),
            email: "alex@fabrikam.com".parse().unwrap(),
        }
    }

    /// A nomination of `customer` for the given engagements (claim IDs 100, 101, ...).
    pub fn nomination(
        customer: CustomerId,
        engagements: &[&str],
        hours: Option<u32>,
    ) -> Nomination {
        Nomination {
            name: text("Contoso engagement"),
            partner: partner(),
            customer,
            customer_contact: customer_contact(),
            company_contact: company_contact(),
            mismatch_reason: None,
            engagements: engagements
                .iter()
                .enumerate()
                .map(|(i, key)| (engagement(key), claim_id(100 + i as u128)))
                .collect(),
            hours,
        }
    }

    /// A fresh claim on `key` at `t0()`: a tenant nomination for fixed pay, an MSX nomination
    /// with 30 hours for variable pay.
    pub fn created(key: &str) -> ActivityClaim {
        let variable = key == MEDIUM || key == LARGE;
        let n = if variable {
            nomination(msx_customer(), &[key], Some(30))
        } else if key == SMALL {
            nomination(
                CustomerId::Tpid(cpor::Tpid::parse(TPID).unwrap()),
                &[key],
                None,
            )
        } else {
            nomination(tenant_customer(), &[key], None)
        };
        let mut made = add_customer(&n, &admin(), t0(), &catalog(), &facts(), &[]).unwrap();
        made.remove(0).claim
    }

    /// Applies a command that must be accepted.
    #[track_caller]
    pub fn act(
        claim: &ActivityClaim,
        command: ActivityCommand,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> ActivityClaim {
        match claim.transition(&command, actor, at, &catalog(), &facts()) {
            Ok(t) => t.claim,
            Err(e) => panic!("{command:?} by {actor:?} in {}: {e}", claim.state()),
        }
    }

    /// Every piece of evidence the claim's engagement requires, added one hour apart.
    pub fn with_all_evidence(
        mut claim: ActivityClaim,
        mut at: DateTime<Utc>,
    ) -> (ActivityClaim, DateTime<Utc>) {
        for kind in claim.missing_evidence(&catalog()) {
            at += Duration::hours(1);
            let reference = text(&format!("{kind}.pdf"));
            claim = act(
                &claim,
                ActivityCommand::AddEvidence { kind, reference },
                &admin(),
                at,
            );
        }
        (claim, at)
    }

    /// A claim on `key` in `state`, along the shortest path from creation at `t0()`, one hour
    /// per step (expiries happen at their exact deadline). Returns the time of the last step.
    pub fn activity_in(key: &str, state: ActivityState) -> (ActivityClaim, DateTime<Utc>) {
        use ActivityCommand as C;
        use ActivityState as S;
        let mut at = t0();
        let mut claim = created(key);
        fn go(
            claim: &mut ActivityClaim,
            at: &mut DateTime<Utc>,
            command: ActivityCommand,
            actor: Actor,
        ) {
            *at += Duration::hours(1);
            *claim = act(claim, command, &actor, *at);
        }
        let deal = C::SendConsent {
            estimated_deal_size: Usd::from_dollars(250_000).unwrap(),
        };
        match state {
            S::CustomerClaimed => {}
            S::Canceled => go(&mut claim, &mut at, C::Cancel, admin()),
            S::ConsentExpired => {
                at = claim.next_deadline().unwrap();
                claim = act(&claim, C::Expire, &Actor::System, at);
            }
            S::AwaitingConsent | S::ConsentDeclined => {
                go(&mut claim, &mut at, deal, admin());
                if state == S::ConsentDeclined {
                    let customer = Actor::customer(claim.customer().clone());
                    go(&mut claim, &mut at, C::DeclineConsent, customer);
                }
            }
            _ => {
                go(&mut claim, &mut at, deal, admin());
                let customer = Actor::customer(claim.customer().clone());
                go(&mut claim, &mut at, C::AcceptConsent, customer);
                if state == S::NotSubmittedExpired {
                    at = claim.next_deadline().unwrap();
                    claim = act(&claim, C::Expire, &Actor::System, at);
                } else if state != S::ConsentReceived {
                    let (with, last) = with_all_evidence(claim.clone(), at);
                    claim = with;
                    at = last;
                    go(&mut claim, &mut at, C::Submit, admin());
                    let review = [C::StartReview];
                    let reject = C::Reject {
                        reason: text("the poe is unsigned"),
                    };
                    let dispute = C::Dispute {
                        reason: text("signed poe attached"),
                    };
                    let path: Vec<(C, Actor)> = match state {
                        S::Submitted => vec![],
                        S::UnderReview => review.into_iter().map(|c| (c, reviewer())).collect(),
                        S::PartnerActionRequired | S::PostSubmissionExpired => vec![
                            (C::StartReview, reviewer()),
                            (
                                C::RequestInfo {
                                    reason: text("add the invoice date"),
                                },
                                reviewer(),
                            ),
                        ],
                        S::Approved | S::Completed => {
                            let mut p =
                                vec![(C::StartReview, reviewer()), (C::Approve, reviewer())];
                            if state == S::Completed {
                                p.push((C::MarkPaid, reviewer()));
                            }
                            p
                        }
                        S::Rejected | S::DisputedExpired => {
                            vec![(C::StartReview, reviewer()), (reject, reviewer())]
                        }
                        S::Disputed => vec![
                            (C::StartReview, reviewer()),
                            (reject, reviewer()),
                            (dispute, admin()),
                        ],
                        S::RejectedFinal => vec![
                            (C::StartReview, reviewer()),
                            (reject.clone(), reviewer()),
                            (dispute, admin()),
                            (C::Resubmit, admin()),
                            (C::StartReview, reviewer()),
                            (reject, reviewer()),
                        ],
                        _ => unreachable!("{state}"),
                    };
                    for (command, actor) in path {
                        go(&mut claim, &mut at, command, actor);
                    }
                    if matches!(state, S::PostSubmissionExpired | S::DisputedExpired) {
                        at = claim.next_deadline().unwrap();
                        claim = act(&claim, C::Expire, &Actor::System, at);
                    }
                }
            }
        }
        let _ = EvidenceKind::Poe;
        assert_eq!(claim.state(), state, "fixture for {key}");
        (claim, at)
    }
}

/// Every claim a sequence of commands reaches is sound: it passes the catalog's checks of
/// `catalog`, and its JSON and its bytes read back as the identical claim.
pub fn assert_sound(claim: impl Into<cpor::store::Claim>, catalog: &Catalog) {
    let claim: cpor::store::Claim = claim.into();
    let catalogs = cpor::Catalogs::new(catalog.clone());
    if let Err(e) = claim.validate(&catalogs) {
        panic!("a reached claim fails its catalog's checks: {e}");
    }
    let json = serde_json::to_string(&claim).unwrap();
    let back: cpor::store::Claim = serde_json::from_str(&json).unwrap();
    assert_eq!(back, claim, "the JSON round trip changed the claim");
    let bytes = claim.to_bytes();
    let back = cpor::store::Claim::from_bytes(&bytes).unwrap();
    assert_eq!(back, claim, "the binary round trip changed the claim");
}
