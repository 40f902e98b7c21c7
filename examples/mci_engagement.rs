//! MCI partner-activity claims: a fixed-pay workshop from "add customer" to completed, and a
//! variable-pay project with its payout proposal.
//!
//! Run it with `cargo run --example mci_engagement`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cpor::activity::{
    ActivityClaim, ActivityCommand, ActivityEvent, EvidenceKind, Nomination, add_customer,
    review_payout,
};
use cpor::association::{CompanyContact, CustomerContact};
use cpor::catalog::EngagementId;
use cpor::eligibility::InMemoryFacts;
use cpor::{
    Actor, Catalog, ClaimId, CustomerId, CustomerIdKind, PartnerId, PartnerUserRole, Text, Usd,
    UserId, UserRoles,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn step(
    claim: &mut ActivityClaim,
    label: &str,
    command: ActivityCommand,
    actor: &Actor,
    at: DateTime<Utc>,
    catalog: &Catalog,
    facts: &InMemoryFacts,
) -> Result<()> {
    let next = claim.transition(&command, actor, at, catalog, facts)?;
    println!(
        "{:<12} {label:<36} -> {}",
        at.format("%a %d %b"),
        next.claim.state()
    );
    for event in &next.events {
        if !matches!(event, ActivityEvent::Transitioned { .. }) {
            println!("{:<13}{:<37} effect: {event:?}", "", "");
        }
    }
    *claim = next.claim;
    Ok(())
}

fn main() -> Result<()> {
    let catalog = Catalog::builtin();
    let partner = PartnerId::new(4_512_345)?;
    let admin = Actor::partner(
        partner,
        UserId::parse("alex@fabrikam.com")?,
        UserRoles::of([
            PartnerUserRole::IncentivesAdmin,
            PartnerUserRole::ReferralAdmin,
        ]),
    );
    let user = Actor::partner(
        partner,
        UserId::parse("dana@fabrikam.com")?,
        UserRoles::of([PartnerUserRole::IncentivesUser]),
    );
    let reviewer = Actor::reviewer(UserId::parse("reviewer@microsoft.com")?);
    let workshop = EngagementId::parse("threat_protection_workshop")?;
    let project = EngagementId::parse("bizapps_deployment_medium_project")?;
    let tenant: CustomerId = "tenant:72f988bf-86f1-41af-91ab-2d7cd011db47".parse()?;
    let msx = CustomerId::parse_as(CustomerIdKind::MsxOpportunity, "7-3cvdesbisu")?;

    // The facts come from Microsoft's systems; the application supplies them.
    let facts = InMemoryFacts::new()
        .enrolled(partner, workshop.clone())
        .enrolled(partner, project.clone())
        .with_email_domains(tenant_id(&tenant), ["contoso.com".parse()?])
        .eligible(tenant.clone(), workshop.clone())
        .eligible(msx.clone(), project.clone());

    println!("== A fixed-pay workshop, from add customer to completed ==");
    let contact = CustomerContact {
        name: Text::parse("Megan Bowen")?,
        title: Text::parse("CISO")?,
        email: "megan@contoso.com".parse()?,
    };
    let company = CompanyContact {
        name: Text::parse("Alex Wilber")?,
        email: "alex@fabrikam.com".parse()?,
    };
    let nomination = Nomination {
        name: Text::parse("Contoso threat protection")?,
        partner,
        customer: tenant.clone(),
        customer_contact: contact.clone(),
        company_contact: company.clone(),
        mismatch_reason: None,
        engagements: vec![(
            workshop.clone(),
            ClaimId::from_uuid(uuid::Uuid::from_u128(11))?,
        )],
        hours: None,
    };
    let start = Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap();
    let created = add_customer(&nomination, &admin, start, &catalog, &facts, &[])?;
    let mut claim = created.into_iter().next().ok_or("one claim")?.claim;
    println!(
        "{:<12} {:<36} -> {}",
        start.format("%a %d %b"),
        "add customer",
        claim.state()
    );
    println!(
        "{:<13}consent due by {}",
        "",
        claim.next_deadline().ok_or("deadline")?
    );
    let day = |n: i64| start + Duration::days(n);
    let deal = Usd::from_dollars(120_000).ok_or("amount")?;
    step(
        &mut claim,
        "send consent email ($120,000.00 deal)",
        ActivityCommand::SendConsent {
            estimated_deal_size: deal,
        },
        &user,
        day(1),
        &catalog,
        &facts,
    )?;
    step(
        &mut claim,
        "resend consent email",
        ActivityCommand::ResendConsent,
        &user,
        day(4),
        &catalog,
        &facts,
    )?;
    let customer = Actor::customer(claim.customer().clone());
    step(
        &mut claim,
        "customer consents",
        ActivityCommand::AcceptConsent,
        &customer,
        day(5),
        &catalog,
        &facts,
    )?;
    println!(
        "{:<13}first submission due by {}",
        "",
        claim.next_deadline().ok_or("deadline")?
    );
    step(
        &mut claim,
        "partner survey",
        ActivityCommand::AddEvidence {
            kind: EvidenceKind::PartnerSurvey,
            reference: Text::parse("partner-survey")?,
        },
        &user,
        day(20),
        &catalog,
        &facts,
    )?;
    if let Err(err) = claim.transition(&ActivityCommand::Submit, &admin, day(20), &catalog, &facts)
    {
        println!("{:<13}submit refused: [{}] {err}", "", err.code());
    }
    step(
        &mut claim,
        "POE document",
        ActivityCommand::AddEvidence {
            kind: EvidenceKind::Poe,
            reference: Text::parse("workshop-report.pdf")?,
        },
        &user,
        day(21),
        &catalog,
        &facts,
    )?;
    step(
        &mut claim,
        "customer survey (contacts lock)",
        ActivityCommand::AddEvidence {
            kind: EvidenceKind::CustomerSurvey,
            reference: Text::parse("survey-7781")?,
        },
        &user,
        day(22),
        &catalog,
        &facts,
    )?;
    step(
        &mut claim,
        "submit",
        ActivityCommand::Submit,
        &admin,
        day(23),
        &catalog,
        &facts,
    )?;
    step(
        &mut claim,
        "start review",
        ActivityCommand::StartReview,
        &reviewer,
        day(25),
        &catalog,
        &facts,
    )?;
    step(
        &mut claim,
        "approve",
        ActivityCommand::Approve,
        &reviewer,
        day(30),
        &catalog,
        &facts,
    )?;
    step(
        &mut claim,
        "paid",
        ActivityCommand::MarkPaid,
        &reviewer,
        day(45),
        &catalog,
        &facts,
    )?;

    println!("\n== A variable-pay project: payout proposed before the claim exists ==");
    for hours in [30, 40, 60] {
        let proposal = review_payout(&catalog, &project, hours)?.ok_or("variable pay")?;
        println!("{hours:>3} hours -> proposed payout ${proposal}");
    }
    let nomination = Nomination {
        name: Text::parse("Contoso Dynamics rollout")?,
        customer: msx,
        engagements: vec![(
            project.clone(),
            ClaimId::from_uuid(uuid::Uuid::from_u128(12))?,
        )],
        hours: Some(60),
        ..nomination
    };
    let claim = add_customer(&nomination, &admin, start, &catalog, &facts, &[])?
        .into_iter()
        .next()
        .ok_or("one claim")?
        .claim;
    let pay = claim.variable_pay().ok_or("variable pay")?;
    println!(
        "claim created with {} hours, proposed payout ${}",
        pay.hours, pay.proposed_payout
    );
    let err = claim
        .transition(
            &ActivityCommand::Edit {
                changes: cpor::activity::ActivityEdit {
                    hours: Some(80),
                    ..Default::default()
                },
            },
            &admin,
            day(1),
            &catalog,
            &facts,
        )
        .expect_err("hours are fixed");
    println!("changing the hours: [{}] {err}", err.code());
    Ok(())
}

fn tenant_id(customer: &CustomerId) -> cpor::TenantId {
    *customer.as_tenant().expect("a tenant nomination")
}
