//! Fixtures shared by the integration tests: actors, forms, times and claims in every state.
#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate, Utc};
use cpor::association::{
    Acknowledgement, Arbitration, AssociationClaim, AssociationCommand, AssociationForm,
    AssociationState, CompanyContactForm, CustomerContactForm, InfoRequestReason, ReviewRejection,
};
use cpor::{Actor, Catalog, ClaimId, PartnerId, PartnerUserRole, Text, UserId, UserRoles};
use proptest::test_runner::{Config, FileFailurePersistence};

/// A proptest config with `cases` cases, persisting failures under `proptest-regressions/`.
pub fn proptest_config(cases: u32, file: &'static str) -> Config {
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

/// Every kind of actor, including an admin of another partner location.
pub fn all_actors() -> Vec<Actor> {
    vec![
        admin(),
        incentives_user(),
        admin_of(other_partner()),
        reviewer(),
        Actor::Customer,
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
