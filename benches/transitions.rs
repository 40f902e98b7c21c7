//! Group **transitions**: one command through the pure core, with its history entry and its
//! events, for a CPOR association claim and for an MCI activity claim. No baseline: the goal is
//! an absolute median of ≤ 1 µs per command.

use std::hint::black_box;

use chrono::{Duration, NaiveDate};
use cpor::activity::{ActivityCommand, Nomination, add_customer};
use cpor::association::{
    Acknowledgement, Arbitration, AssociationClaim, AssociationCommand, AssociationForm,
    CompanyContactForm, CustomerContactForm, InfoRequestReason,
};
use cpor::association::{CompanyContact, CustomerContact};
use cpor::catalog::EngagementId;
use cpor::eligibility::InMemoryFacts;
use cpor::{
    Actor, Catalog, ClaimId, CustomerId, DomainName, PartnerId, PartnerUserRole, Text, Usd, UserId,
    UserRoles,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let admin = Actor::partner(
        PartnerId::new(4_512_345).unwrap(),
        UserId::parse("alex@fabrikam.com").unwrap(),
        UserRoles::of([PartnerUserRole::IncentivesAdmin]),
    );
    let reviewer = Actor::reviewer(UserId::parse("reviewer@microsoft.com").unwrap());
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
    let t0 = NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    let id = ClaimId::from_uuid(uuid::Uuid::from_u128(1)).unwrap();
    let draft = AssociationClaim::create(id, &form, &admin, t0, &catalog)
        .unwrap()
        .claim;
    let poe = AssociationCommand::AttachPoe {
        reference: Text::parse("sow.pdf").unwrap(),
    };
    let draft = draft.transition(&poe, &admin, t0, &catalog).unwrap().claim;
    let submit = AssociationCommand::Submit {
        acknowledgement: Acknowledgement::Given,
    };
    let submitted = draft
        .transition(&submit, &admin, t0, &catalog)
        .unwrap()
        .claim;
    let review = submitted
        .transition(&AssociationCommand::StartReview, &reviewer, t0, &catalog)
        .unwrap()
        .claim;
    let later = t0 + Duration::days(1);

    let mut group = c.benchmark_group("transitions: one CPOR command");
    group.bench_function("submit (draft -> submitted)", |b| {
        b.iter(|| black_box(draft.transition(black_box(&submit), &admin, later, &catalog)))
    });
    let approve = AssociationCommand::Approve {
        arbitration: Arbitration::None,
    };
    group.bench_function("approve (under_review -> approved)", |b| {
        b.iter(|| black_box(review.transition(black_box(&approve), &reviewer, later, &catalog)))
    });
    let info = AssociationCommand::RequestInfo {
        reason: InfoRequestReason::MissingProducts,
    };
    group.bench_function(
        "request_info (under_review -> partner_action_required)",
        |b| b.iter(|| black_box(review.transition(black_box(&info), &reviewer, later, &catalog))),
    );
    group.bench_function("refused: submit under review", |b| {
        b.iter(|| black_box(review.transition(black_box(&submit), &admin, later, &catalog)))
    });
    group.finish();
}

fn mci(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let partner = PartnerId::new(4_512_345).unwrap();
    let admin = Actor::partner(
        partner,
        UserId::parse("alex@fabrikam.com").unwrap(),
        UserRoles::of([PartnerUserRole::IncentivesAdmin]),
    );
    let workshop: EngagementId = "threat_protection_workshop".parse().unwrap();
    let tenant: cpor::TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47".parse().unwrap();
    let customer = CustomerId::Tenant(tenant);
    let contoso: DomainName = "contoso.com".parse().unwrap();
    let facts = InMemoryFacts::new()
        .enrolled(partner, workshop.clone())
        .eligible(customer.clone(), workshop.clone())
        .with_email_domains(tenant, [contoso]);
    let nomination = Nomination {
        name: Text::parse("Contoso threat protection").unwrap(),
        partner,
        customer,
        customer_contact: CustomerContact {
            name: Text::parse("Megan Bowen").unwrap(),
            title: Text::parse("CIO").unwrap(),
            email: "megan@contoso.com".parse().unwrap(),
        },
        company_contact: CompanyContact {
            name: Text::parse("Alex Wilber").unwrap(),
            email: "alex@fabrikam.com".parse().unwrap(),
        },
        mismatch_reason: None,
        engagements: vec![(
            workshop,
            ClaimId::from_uuid(uuid::Uuid::from_u128(2)).unwrap(),
        )],
        hours: None,
    };
    let t0 = NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    let added = add_customer(&nomination, &admin, t0, &catalog, &facts, &[])
        .unwrap()
        .remove(0)
        .claim;
    let consent = ActivityCommand::SendConsent {
        estimated_deal_size: Usd::from_dollars(250_000).unwrap(),
    };
    let sent = added
        .transition(&consent, &admin, t0, &catalog, &facts)
        .unwrap()
        .claim;
    let later = t0 + Duration::hours(2);
    let customer = Actor::customer(sent.customer().clone());

    let mut group = c.benchmark_group("transitions: one MCI command");
    group.bench_function("send_consent (added -> consent_pending)", |b| {
        b.iter(|| black_box(added.transition(black_box(&consent), &admin, later, &catalog, &facts)))
    });
    group.bench_function("accept_consent (customer)", |b| {
        b.iter(|| {
            black_box(sent.transition(
                black_box(&ActivityCommand::AcceptConsent),
                &customer,
                later,
                &catalog,
                &facts,
            ))
        })
    });
    group.bench_function("refused: cancel by the customer", |b| {
        b.iter(|| {
            black_box(sent.transition(
                black_box(&ActivityCommand::Cancel),
                &customer,
                later,
                &catalog,
                &facts,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench, mci);
criterion_main!(benches);
