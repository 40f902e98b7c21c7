//! A CPOR association claim from draft to official, and a rejection that is disputed.
//!
//! Run it with `cargo run --example cpor_claim`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use cpor::association::{
    Acknowledgement, Arbitration, Association, AssociationClaim, AssociationCommand,
    AssociationEvent, AssociationForm, CompanyContactForm, CustomerContactForm, ReviewRejection,
};
use cpor::{Actor, Catalog, ClaimId, PartnerId, PartnerUserRole, Text, UserId, UserRoles};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 3, day)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .map(|t| t.and_utc())
        .expect("a valid date")
}

fn show(step: &str, claim: &AssociationClaim, events: &[AssociationEvent]) {
    println!("{step:<34} -> {}", claim.state());
    for event in events {
        match event {
            AssociationEvent::Transitioned { .. } => {}
            other => println!("{:<37} effect: {other:?}", ""),
        }
    }
}

fn main() -> Result<()> {
    let catalog = Catalog::builtin();
    let partner = PartnerId::new(4_512_345)?;
    let admin = Actor::partner(
        partner,
        UserId::parse("alex@fabrikam.com")?,
        UserRoles::of([PartnerUserRole::IncentivesAdmin]),
    );
    let reviewer = Actor::reviewer(UserId::parse("reviewer@microsoft.com")?);

    println!("== Catalog {} ==", catalog.program_year());
    let form = AssociationForm {
        name: "Contoso Teams rollout".into(),
        tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
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
    };

    println!("\n== A form with mistakes reports every problem at once ==");
    let broken = AssociationForm {
        role: "build_intent_advisor".into(),
        customer_contact: CustomerContactForm::default(),
        engagement: "CSP".into(),
        ..form.clone()
    };
    let id = ClaimId::from_uuid(uuid::Uuid::from_u128(1))?;
    if let Err(cpor::AssociationError::Form(problems)) =
        AssociationClaim::create(id, &broken, &admin, at(2, 9), &catalog)
    {
        for problem in problems.problems() {
            println!("  [{}] {problem}", problem.code());
        }
    }

    println!("\n== One association, from draft to official ==");
    let created = AssociationClaim::create(id, &form, &admin, at(2, 9), &catalog)?;
    let mut claim = created.claim;
    show("create draft (Mon 2 Mar)", &claim, &created.events);
    let steps: Vec<(&str, AssociationCommand, &Actor, DateTime<Utc>)> = vec![
        (
            "attach PoE",
            AssociationCommand::AttachPoe {
                reference: Text::parse("sow-signed-by-contoso.pdf")?,
            },
            &admin,
            at(2, 10),
        ),
        (
            "submit (customer notified)",
            AssociationCommand::Submit {
                acknowledgement: Acknowledgement::Given,
            },
            &admin,
            at(2, 11),
        ),
        (
            "start review (Tue 3 Mar)",
            AssociationCommand::StartReview,
            &reviewer,
            at(3, 9),
        ),
        (
            "approve (Wed 4 Mar)",
            AssociationCommand::Approve {
                arbitration: Arbitration::None,
            },
            &reviewer,
            at(4, 9),
        ),
    ];
    for (label, command, actor, now) in steps {
        let next = claim.transition(&command, actor, now, &catalog)?;
        show(label, &next.claim, &next.events);
        claim = next.claim;
    }
    for (label, now) in [
        ("Thu 5 Mar", at(5, 12)),
        ("Mon 9 Mar, 11:00", at(9, 11)),
        ("Tue 10 Mar", at(10, 9)),
    ] {
        let status = match claim.association(now) {
            Association::PendingOptOut { until } => {
                format!("pending: the customer may opt out until {until}")
            }
            Association::Official { since } => format!("official since {since}"),
            other => format!("{other:?}"),
        };
        println!("  association on {label:<17} {status}");
    }
    println!(
        "  keys held: {}",
        claim
            .held_keys()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );

    println!("\n== A rejection, disputed and won ==");
    let second = ClaimId::from_uuid(uuid::Uuid::from_u128(2))?;
    let biz_form = AssociationForm {
        name: "Contoso Dynamics presales".into(),
        solution_area: "business_applications".into(),
        role: "build_intent_advisor".into(),
        workloads: vec!["dynamics_365_sales".into()],
        subscription: "6f9619ff-8b86-d011-b42d-00c04fc964ff".into(),
        purchase_channel: "volume_licensing".into(),
        ..form
    };
    let mut claim = AssociationClaim::create(second, &biz_form, &admin, at(2, 9), &catalog)?.claim;
    let steps: Vec<(&str, AssociationCommand, &Actor, DateTime<Utc>)> = vec![
        (
            "attach PoE",
            AssociationCommand::AttachPoe {
                reference: Text::parse("workshop-notes.pdf")?,
            },
            &admin,
            at(2, 10),
        ),
        (
            "submit",
            AssociationCommand::Submit {
                acknowledgement: Acknowledgement::Given,
            },
            &admin,
            at(2, 11),
        ),
        (
            "start review",
            AssociationCommand::StartReview,
            &reviewer,
            at(3, 9),
        ),
        (
            "reject: insufficient PoE",
            AssociationCommand::Reject {
                reason: ReviewRejection::InsufficientPoe,
            },
            &reviewer,
            at(4, 9),
        ),
        (
            "dispute (within 30 days)",
            AssociationCommand::Dispute {
                reason: Text::parse("the signed SoW is attached")?,
            },
            &admin,
            at(10, 9),
        ),
        (
            "reviewer upholds the dispute",
            AssociationCommand::ApproveDispute,
            &reviewer,
            at(12, 9),
        ),
    ];
    for (label, command, actor, now) in steps {
        let next = claim.transition(&command, actor, now, &catalog)?;
        show(label, &next.claim, &next.events);
        claim = next.claim;
    }
    let again = claim.transition(
        &AssociationCommand::Decline,
        &Actor::customer(cpor::CustomerId::Tenant(claim.content().tenant)),
        at(13, 9) + Duration::hours(1),
        &catalog,
    )?;
    show("customer declines later", &again.claim, &again.events);
    let err = again
        .claim
        .transition(
            &AssociationCommand::Dispute {
                reason: Text::parse("please")?,
            },
            &admin,
            at(14, 9),
            &catalog,
        )
        .expect_err("a second dispute is refused");
    println!("  a second dispute: [{}] {err}", err.code());

    println!("\n== History of the second claim ==");
    for entry in again.claim.history() {
        println!(
            "  {}  {:<16} {:<15} -> {}",
            entry.at.format("%a %d %b %H:%M"),
            format!("{:?}", entry.actor.kind()),
            entry.command,
            entry.to
        );
    }
    Ok(())
}
