//! The cpor walkthrough, against the in-memory store: a CPOR association from draft to
//! official, a competing claim won by arbitration, an MCI assessment from add customer to
//! paid, a customer that is not eligible, the Customers page, and the timer.
//!
//! Each step prints what the application must do next, from the events the step returned:
//! the emails to send, the referrals to create, the associations that start or end, the
//! payouts due.
//!
//! Run it with `cargo run --example quickstart`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cpor::activity::{ActivityCommand, ActivityError, EvidenceKind, Nomination};
use cpor::association::{
    Acknowledgement, Arbitration, Association, AssociationCommand, AssociationForm, CompanyContact,
    CompanyContactForm, CustomerContact, CustomerContactForm, InfoRequestReason, KeyUnit,
};
use cpor::catalog::EngagementId;
use cpor::eligibility::{Action, InMemoryFacts, Reason};
use cpor::service::{Claims, ServiceError, Swept};
use cpor::store::InMemoryStore;
use cpor::{
    Actor, Catalog, Catalogs, ClaimId, CustomerId, PartnerId, PartnerUserRole, TenantId, Text, Usd,
    UserId, UserRoles,
};

mod words;

use words::{Names, date, tell_activity, tell_association};

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
    let claims = Claims::new(InMemoryStore::new(), Catalogs::builtin());
    let tenant: TenantId = "{72F988BF-86F1-41AF-91AB-2D7CD011DB47}".parse()?;
    let fabrikam = PartnerId::new(4_512_345)?;
    let northwind = PartnerId::new(7_700_001)?;
    let names = Names {
        catalog: Catalog::builtin(),
        contoso: tenant,
        fabrikam,
    };
    let alex = admin(fabrikam, "alex@fabrikam.com")?;
    let nancy = admin(northwind, "nancy@northwind.com")?;
    let reviewer = Actor::reviewer(UserId::parse("reviewer@microsoft.com")?);

    println!("== 1. Fabrikam claims Contoso's Teams usage: draft to official ==");
    let form = AssociationForm {
        name: "Contoso Teams rollout".into(),
        // Loose input is fine: the tenant ID is stored lowercase and without braces.
        tenant: "{72F988BF-86F1-41AF-91AB-2D7CD011DB47}".into(),
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
    let created = claims.create_association(first, &form, &alex, day(0))?;
    println!(
        "  Alex creates the draft                 [{}]",
        created.claim.state()
    );
    tell_association(&names, fabrikam, &created.events);
    for (label, command, actor) in [
        (
            "Alex attaches the signed SoW",
            AssociationCommand::AttachPoe {
                reference: Text::parse("sow-fabrikam.pdf")?,
            },
            &alex,
        ),
        (
            "Alex submits",
            AssociationCommand::Submit {
                acknowledgement: Acknowledgement::Given,
            },
            &alex,
        ),
        (
            "the reviewer starts the review",
            AssociationCommand::StartReview,
            &reviewer,
        ),
        (
            "the reviewer approves",
            AssociationCommand::Approve {
                arbitration: Arbitration::None,
            },
            &reviewer,
        ),
    ] {
        let done = claims.association(first, &command, actor, day(1))?;
        println!("  {label:<38} [{}]", done.claim.state());
        tell_association(&names, fabrikam, &done.events);
    }
    let stored = claims.load(&alex, first)?;
    if let Some(claim) = stored.claim.as_association() {
        for (when, now) in [("on day 2", day(2)), ("on day 8", day(8))] {
            match claim.association(now) {
                Association::PendingOptOut { until } => {
                    println!("  {when}, Contoso may still opt out, until {}", date(until));
                }
                Association::Official { since } => {
                    println!(
                        "  {when}, the association is official (since {})",
                        date(since)
                    );
                }
                _ => println!("  {when}, there is no association"),
            }
        }
    }
    let workloads = |partner| -> Result<Vec<String>> {
        Ok(claims
            .usage_scope(partner, tenant, day(8))?
            .iter()
            .map(|grant| match &grant.unit {
                KeyUnit::Workload(w) => names
                    .catalog
                    .workload(w)
                    .map_or_else(|| w.to_string(), |w| w.name.clone()),
                KeyUnit::Subscription(s) => format!("subscription {s}"),
            })
            .collect())
    };
    println!(
        "  Fabrikam may now see Contoso's usage of: {:?}; Northwind of: {:?}",
        workloads(fabrikam)?,
        workloads(northwind)?
    );

    println!("\n== 2. Northwind claims the same workload: refused, then won by arbitration ==");
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
    println!("  Nancy creates, attaches a newer SoW and submits: allowed while Fabrikam holds it");
    claims.association(second, &AssociationCommand::StartReview, &reviewer, day(10))?;
    let plain = AssociationCommand::Approve {
        arbitration: Arbitration::None,
    };
    let refused = claims
        .association(second, &plain, &reviewer, day(10))
        .unwrap_err();
    println!(
        "  a plain approval is refused ({}): Fabrikam's claim holds Contoso's Teams{}",
        refused.code(),
        if refused.holder() == Some(first) {
            ""
        } else {
            " (unexpected holder)"
        }
    );
    let arbitration = AssociationCommand::Approve {
        arbitration: Arbitration::Supersedes(first),
    };
    let won = claims.association(second, &arbitration, &reviewer, day(11))?;
    println!(
        "  the reviewer approves as an arbitration  [{}]",
        won.claim.state()
    );
    // Each event names its claim: the winner's are Northwind's, the superseded claim's are
    // Fabrikam's.
    let (winner, superseded): (Vec<_>, Vec<_>) = won
        .events
        .iter()
        .cloned()
        .partition(|e| e.claim() == second);
    tell_association(&names, northwind, &winner);
    tell_association(&names, fabrikam, &superseded);
    let lost = claims.load(&alex, first)?;
    println!(
        "  in the same write, Fabrikam's claim became [{}]",
        lost.claim
            .as_association()
            .map(|c| c.state().to_string())
            .unwrap_or_default()
    );
    let not_found = claims.load(&alex, second).unwrap_err();
    println!(
        "  Fabrikam asking for Northwind's claim is told it does not exist ({})",
        not_found.code()
    );

    println!("\n== 3. An MCI assessment: add customer, consent, evidence, paid ==");
    let assessment = EngagementId::parse("copilot_readiness_assessment")?;
    let contoso = CustomerId::Tenant(tenant);
    let fourth_coffee_tenant: TenantId = "0b1f6471-1bf0-4dda-aec3-cb9272f09590".parse()?;
    let fourth_coffee = CustomerId::Tenant(fourth_coffee_tenant);
    let facts = InMemoryFacts::new()
        .enrolled(fabrikam, assessment.clone())
        .with_email_domains(tenant, ["contoso.com".parse()?])
        .eligible(contoso.clone(), assessment.clone())
        .with_referral_conditions(contoso.clone(), assessment.clone())
        .with_co_sell_qualified(contoso.clone())
        .with_email_domains(fourth_coffee_tenant, ["fourthcoffee.com".parse()?])
        .not_eligible(
            fourth_coffee.clone(),
            assessment.clone(),
            Text::parse("below the seat threshold")?,
        );
    let nomination = Nomination {
        name: Text::parse("Contoso Copilot readiness")?,
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
        engagements: vec![(assessment.clone(), id(3)?)],
        hours: None,
    };
    let made = claims.nominate(&nomination, Action::Add, &alex, day(12), &facts)?;
    let created = made.first().ok_or("one claim")?;
    let assessment_claim = created.claim.id();
    println!(
        "  Alex adds Contoso                      [{}]",
        created.claim.state()
    );
    tell_activity(&names, &assessment, &contoso, &created.events);
    let contoso_customer = Actor::customer(contoso.clone());
    let steps: Vec<(&str, ActivityCommand, &Actor, i64)> = vec![
        (
            "the referral is linked",
            ActivityCommand::LinkReferral {
                referral: Text::parse("referral-8842")?,
            },
            &Actor::System,
            12,
        ),
        (
            "Alex asks for consent ($80,000 deal)",
            ActivityCommand::SendConsent {
                estimated_deal_size: Usd::from_dollars(80_000).ok_or("amount")?,
            },
            &alex,
            12,
        ),
        (
            "Contoso consents",
            ActivityCommand::AcceptConsent,
            &contoso_customer,
            14,
        ),
        (
            "Alex adds the POE document",
            ActivityCommand::AddEvidence {
                kind: EvidenceKind::Poe,
                reference: Text::parse("readiness-report.pdf")?,
            },
            &alex,
            20,
        ),
        (
            "Alex adds the partner survey",
            ActivityCommand::AddEvidence {
                kind: EvidenceKind::PartnerSurvey,
                reference: Text::parse("survey-2")?,
            },
            &alex,
            21,
        ),
        ("Alex submits", ActivityCommand::Submit, &alex, 22),
        (
            "the reviewer starts the review",
            ActivityCommand::StartReview,
            &reviewer,
            23,
        ),
        (
            "the reviewer approves",
            ActivityCommand::Approve,
            &reviewer,
            25,
        ),
        (
            "the payment is recorded",
            ActivityCommand::MarkPaid,
            &reviewer,
            40,
        ),
    ];
    for (label, command, actor, at) in steps {
        let done = claims.activity(assessment_claim, &command, actor, day(at), &facts)?;
        println!("  {label:<38} [{}]", done.claim.state());
        tell_activity(&names, &assessment, &contoso, &done.events);
    }

    println!("\n== 4. A customer that is not eligible, with every reason ==");
    let refused = claims
        .nominate(
            &Nomination {
                customer: fourth_coffee.clone(),
                customer_contact: CustomerContact {
                    name: Text::parse("Sara Davis")?,
                    title: Text::parse("IT director")?,
                    email: "sara@fourthcoffee.com".parse()?,
                },
                engagements: vec![(assessment.clone(), id(4)?)],
                ..nomination.clone()
            },
            Action::Add,
            &alex,
            day(41),
            &facts,
        )
        .unwrap_err();
    println!("  adding Fourth Coffee is refused ({}):", refused.code());
    if let ServiceError::Activity(ActivityError::NotEligible { reasons, .. }) = &refused {
        for reason in reasons {
            match reason {
                Reason::CustomerNotEligible {
                    reason: Some(why), ..
                } => println!("    {}: {why}", reason.code()),
                other => println!("    {}", other.code()),
            }
        }
    }

    println!("\n== 5. The Customers page of the assessment ==");
    let page = claims.customers_page(
        &assessment,
        fabrikam,
        &alex,
        std::slice::from_ref(&fourth_coffee),
        day(41),
        &facts,
    )?;
    let customer_name = |c: &CustomerId| {
        if *c == fourth_coffee {
            "Fourth Coffee".to_string()
        } else {
            names.customer(c)
        }
    };
    for row in &page.eligible {
        println!(
            "  Eligible:     {} ({:?})",
            customer_name(&row.customer),
            row.actions
        );
    }
    for row in &page.not_eligible {
        let reasons: Vec<&str> = row.reasons.iter().flatten().map(|r| r.code()).collect();
        println!(
            "  Not eligible: {} ({})",
            customer_name(&row.customer),
            reasons.join(", ")
        );
    }
    for row in &page.complete {
        println!(
            "  Complete:     {} [{}]",
            customer_name(&row.customer),
            row.state
        );
    }

    println!("\n== 6. The timer: an unanswered info request expires ==");
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
    println!(
        "  the reviewer asks for information      [{}]",
        asked.claim.state()
    );
    tell_association(&names, fabrikam, &asked.events);
    let due = asked.claim.next_deadline().ok_or("a deadline")?;
    println!(
        "  the sweep a day before the deadline expires {} claim(s)",
        claims.sweep(due - Duration::days(1), &facts)?.len()
    );
    for swept in claims.sweep(due, &facts)? {
        if let Swept::Association(done) = swept {
            println!(
                "  the sweep at the deadline              [{}]",
                done.claim.state()
            );
            tell_association(&names, fabrikam, &done.events);
        }
    }
    Ok(())
}
