//! The cpor walkthrough, against the in-memory store: identifiers, a CPOR association from
//! draft to official, a competing claim won by arbitration, an MCI workshop from add customer
//! to completed, a customer that is not eligible, the Customers page, and the timer.
//!
//! Run it with `cargo run --example quickstart`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cpor::activity::{ActivityCommand, EvidenceKind, Nomination};
use cpor::association::{
    Acknowledgement, Arbitration, Association, AssociationCommand, AssociationForm, CompanyContact,
    CompanyContactForm, CustomerContact, CustomerContactForm, InfoRequestReason,
};
use cpor::catalog::EngagementId;
use cpor::eligibility::{Action, InMemoryFacts};
use cpor::service::{Claims, Swept};
use cpor::store::InMemoryStore;
use cpor::{
    Actor, Catalogs, ClaimId, CustomerId, DomainName, PartnerId, PartnerUserRole, TenantId, Text,
    Usd, UserId, UserRoles,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn day(n: i64) -> DateTime<Utc> {
    // Monday 2 March 2026, 09:00 UTC, plus n days.
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::days(n)
}

fn id(n: u128) -> Result<ClaimId> {
    Ok(ClaimId::from_uuid(uuid::Uuid::from_u128(n))?)
}

fn admin(partner: PartnerId, name: &str) -> Result<Actor> {
    Ok(Actor::partner(
        partner,
        UserId::parse(name)?,
        UserRoles::of([PartnerUserRole::IncentivesAdmin]),
    ))
}

fn main() -> Result<()> {
    println!("== 1. Identifiers are strict, and printed in one canonical form ==");
    let tenant: TenantId = "{72F988BF-86F1-41AF-91AB-2D7CD011DB47}".parse()?;
    let domain: DomainName = "Contoso.OnMicrosoft.com.".parse()?;
    println!("tenant {tenant}, domain {domain}");
    let err = "bücher.de".parse::<DomainName>().unwrap_err();
    println!("refused: [{}] {err}", err.code());

    let claims = Claims::new(InMemoryStore::new(), Catalogs::builtin());
    let fabrikam = PartnerId::new(4_512_345)?;
    let northwind = PartnerId::new(7_700_001)?;
    let alex = admin(fabrikam, "alex@fabrikam.com")?;
    let nancy = admin(northwind, "nancy@northwind.com")?;
    let reviewer = Actor::reviewer(UserId::parse("reviewer@microsoft.com")?);

    println!("\n== 2. Fabrikam claims Contoso's Teams usage: draft to official ==");
    let form = AssociationForm {
        name: "Contoso Teams rollout".into(),
        tenant: tenant.to_string(),
        solution_area: "modern_work_security".into(),
        role: "use_or_consume".into(),
        workloads: vec!["teams".into()],
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
    let first = id(1)?;
    claims.create_association(first, &form, &alex, day(0))?;
    for (label, command, actor) in [
        (
            "attach the signed SoW",
            AssociationCommand::AttachPoe {
                reference: Text::parse("sow-fabrikam.pdf")?,
            },
            &alex,
        ),
        (
            "submit; Contoso is notified",
            AssociationCommand::Submit {
                acknowledgement: Acknowledgement::Given,
            },
            &alex,
        ),
        (
            "reviewer starts the review",
            AssociationCommand::StartReview,
            &reviewer,
        ),
        (
            "reviewer approves",
            AssociationCommand::Approve {
                arbitration: Arbitration::None,
            },
            &reviewer,
        ),
    ] {
        let done = claims.association(first, &command, actor, day(1))?;
        println!("  {label:<32} -> {}", done.claim.state());
    }
    let stored = claims.load(&alex, first)?;
    if let Some(claim) = stored.claim.as_association() {
        for (when, now) in [("day 2", day(2)), ("day 8", day(8))] {
            match claim.association(now) {
                Association::PendingOptOut { until } => {
                    println!("  {when}: the customer may opt out until {until}")
                }
                Association::Official { since } => println!("  {when}: official since {since}"),
                other => println!("  {when}: {other:?}"),
            }
        }
    }
    let scope = claims.usage_scope(fabrikam, tenant, day(8))?;
    println!(
        "  Fabrikam may now see usage data for: {:?}",
        scope.iter().map(|g| g.unit.to_string()).collect::<Vec<_>>()
    );
    println!(
        "  Northwind may see: {:?}",
        claims.usage_scope(northwind, tenant, day(8))?
    );

    println!("\n== 3. Northwind claims the same workload: refused, then won by arbitration ==");
    let second = id(2)?;
    let nw_form = AssociationForm {
        name: "Contoso Teams adoption".into(),
        company_contact: CompanyContactForm {
            name: "Nancy Davolio".into(),
            email: "nancy@northwind.com".into(),
        },
        ..form.clone()
    };
    claims.create_association(second, &nw_form, &nancy, day(9))?;
    for command in [
        AssociationCommand::AttachPoe {
            reference: Text::parse("sow-northwind-newer.pdf")?,
        },
        AssociationCommand::Submit {
            acknowledgement: Acknowledgement::Given,
        },
    ] {
        claims.association(second, &command, &nancy, day(9))?;
    }
    claims.association(second, &AssociationCommand::StartReview, &reviewer, day(10))?;
    let plain = AssociationCommand::Approve {
        arbitration: Arbitration::None,
    };
    let refused = claims
        .association(second, &plain, &reviewer, day(10))
        .unwrap_err();
    println!("  plain approval refused: [{}] {refused}", refused.code());
    println!("  the holder is {:?}", refused.holder());
    let arbitration = AssociationCommand::Approve {
        arbitration: Arbitration::Supersedes(first),
    };
    let won = claims.association(second, &arbitration, &reviewer, day(11))?;
    println!(
        "  arbitration approval -> {} (in one commit the holder becomes {})",
        won.claim.state(),
        claims
            .load(&alex, first)?
            .claim
            .as_association()
            .map(|c| c.state().to_string())
            .unwrap_or_default()
    );
    let not_found = claims.load(&alex, second).unwrap_err();
    println!(
        "  Fabrikam asking for Northwind's claim: [{}] {not_found}",
        not_found.code()
    );

    println!("\n== 4. An MCI workshop: add customer, consent, evidence, completed ==");
    let workshop = EngagementId::parse("threat_protection_workshop")?;
    let contoso = CustomerId::Tenant(tenant);
    let fourth_coffee = CustomerId::Tenant("0b1f6471-1bf0-4dda-aec3-cb9272f09590".parse()?);
    let facts = InMemoryFacts::new()
        .enrolled(fabrikam, workshop.clone())
        .with_email_domains(tenant, ["contoso.com".parse()?])
        .eligible(contoso.clone(), workshop.clone())
        .not_eligible(
            fourth_coffee.clone(),
            workshop.clone(),
            Text::parse("below the seat threshold")?,
        );
    let nomination = Nomination {
        name: Text::parse("Contoso threat protection")?,
        partner: fabrikam,
        customer: contoso.clone(),
        customer_contact: CustomerContact {
            name: Text::parse("Megan Bowen")?,
            title: Text::parse("CIO")?,
            email: "megan@contoso.com".parse()?,
        },
        company_contact: CompanyContact {
            name: Text::parse("Alex Wilber")?,
            email: "alex@fabrikam.com".parse()?,
        },
        mismatch_reason: None,
        engagements: vec![(workshop.clone(), id(3)?)],
        hours: None,
    };
    let made = claims.nominate(&nomination, Action::Add, &alex, day(12), &facts)?;
    let workshop_claim = made.first().map(|o| o.claim.id()).ok_or("one claim")?;
    println!("  add customer                     -> customer_claimed");
    let contoso_customer = Actor::customer(contoso.clone());
    let steps: Vec<(&str, ActivityCommand, &Actor, i64)> = vec![
        (
            "send consent ($80,000 deal)",
            ActivityCommand::SendConsent {
                estimated_deal_size: Usd::from_dollars(80_000).ok_or("amount")?,
            },
            &alex,
            12,
        ),
        (
            "customer consents",
            ActivityCommand::AcceptConsent,
            &contoso_customer,
            14,
        ),
        (
            "POE document",
            ActivityCommand::AddEvidence {
                kind: EvidenceKind::Poe,
                reference: Text::parse("report.pdf")?,
            },
            &alex,
            20,
        ),
        (
            "customer survey",
            ActivityCommand::AddEvidence {
                kind: EvidenceKind::CustomerSurvey,
                reference: Text::parse("survey-1")?,
            },
            &alex,
            21,
        ),
        (
            "partner survey",
            ActivityCommand::AddEvidence {
                kind: EvidenceKind::PartnerSurvey,
                reference: Text::parse("survey-2")?,
            },
            &alex,
            21,
        ),
        ("submit", ActivityCommand::Submit, &alex, 22),
        ("start review", ActivityCommand::StartReview, &reviewer, 23),
        ("approve", ActivityCommand::Approve, &reviewer, 25),
        ("paid", ActivityCommand::MarkPaid, &reviewer, 40),
    ];
    for (label, command, actor, at) in steps {
        let done = claims.activity(workshop_claim, &command, actor, day(at), &facts)?;
        println!("  {label:<32} -> {}", done.claim.state());
    }

    println!("\n== 5. A customer that is not eligible, with every reason ==");
    let refused = claims
        .nominate(
            &Nomination {
                customer: fourth_coffee.clone(),
                engagements: vec![(workshop.clone(), id(4)?)],
                ..nomination.clone()
            },
            Action::Add,
            &alex,
            day(41),
            &facts,
        )
        .unwrap_err();
    println!("  [{}] {refused}", refused.code());

    println!("\n== 6. The Customers page of the workshop ==");
    let page = claims.customers_page(
        &workshop,
        fabrikam,
        &alex,
        std::slice::from_ref(&fourth_coffee),
        day(41),
        &facts,
    )?;
    println!(
        "  eligible:     {:?}",
        page.eligible
            .iter()
            .map(|r| (r.customer.to_string(), r.actions))
            .collect::<Vec<_>>()
    );
    println!(
        "  not eligible: {:?}",
        page.not_eligible
            .iter()
            .map(|r| (
                r.customer.to_string(),
                r.reasons
                    .iter()
                    .flatten()
                    .map(|x| x.code())
                    .collect::<Vec<_>>()
            ))
            .collect::<Vec<_>>()
    );
    println!(
        "  complete:     {:?}",
        page.complete
            .iter()
            .map(|r| (r.customer.to_string(), r.state))
            .collect::<Vec<_>>()
    );

    println!("\n== 7. The timer: an unanswered info request expires ==");
    let third = id(5)?;
    let biz = AssociationForm {
        name: "Contoso Dynamics presales".into(),
        solution_area: "business_applications".into(),
        role: "build_intent_advisor".into(),
        workloads: vec!["dynamics_365_sales".into()],
        subscription: "6f9619ff-8b86-d011-b42d-00c04fc964ff".into(),
        purchase_channel: "volume_licensing".into(),
        ..form
    };
    claims.create_association(third, &biz, &alex, day(42))?;
    claims.association(
        third,
        &AssociationCommand::AttachPoe {
            reference: Text::parse("notes.pdf")?,
        },
        &alex,
        day(42),
    )?;
    claims.association(
        third,
        &AssociationCommand::Submit {
            acknowledgement: Acknowledgement::Given,
        },
        &alex,
        day(42),
    )?;
    claims.association(third, &AssociationCommand::StartReview, &reviewer, day(43))?;
    let asked = claims.association(
        third,
        &AssociationCommand::RequestInfo {
            reason: InfoRequestReason::MissingOrOldDates,
        },
        &reviewer,
        day(43),
    )?;
    let due = asked.claim.next_deadline().ok_or("a deadline")?;
    println!("  info requested; the partner must answer by {due}");
    println!(
        "  sweep a day before: {} claim(s) expired",
        claims.sweep(due - Duration::days(1), &facts)?.len()
    );
    for swept in claims.sweep(due, &facts)? {
        if let Swept::Association(done) = swept {
            println!(
                "  sweep at the deadline: {} -> {} ({:?})",
                done.claim.id(),
                done.claim.state(),
                done.claim.rejection().map(|r| r.reason)
            );
        }
    }
    Ok(())
}
