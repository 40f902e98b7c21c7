//! Group **eligibility**, part 2: the Customers page of 10,000 customers for 4 engagements,
//! every customer checked for every engagement. No baseline: the goal is an absolute median of
//! ≤ 10 ms for the four tabs.

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use cpor::activity::{Nomination, add_customer};
use cpor::association::{CompanyContact, CustomerContact};
use cpor::catalog::EngagementId;
use cpor::customers::customers_page;
use cpor::eligibility::InMemoryFacts;
use cpor::{
    Actor, Catalog, ClaimId, CustomerId, PartnerId, PartnerUserRole, TenantId, Text, UserId,
    UserRoles,
};
use criterion::{Criterion, criterion_group, criterion_main};

const CUSTOMERS: u128 = 10_000;

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let partner = PartnerId::new(4_512_345).unwrap();
    let admin = Actor::partner(
        partner,
        UserId::parse("alex@fabrikam.com").unwrap(),
        UserRoles::of([PartnerUserRole::IncentivesAdmin]),
    );
    let engagements: Vec<EngagementId> = [
        "copilot_readiness_assessment",
        "threat_protection_workshop",
        "azure_migration_small_project",
        "bizapps_deployment_medium_project",
    ]
    .into_iter()
    .map(|k| EngagementId::parse(k).unwrap())
    .collect();
    let customers: Vec<CustomerId> = (1..=CUSTOMERS)
        .map(|n| {
            CustomerId::Tenant(TenantId::from_uuid(uuid::Uuid::from_u128(n << 64 | n)).unwrap())
        })
        .collect();
    // Every customer is eligible for the first two engagements, except every tenth; the last
    // two do not accept tenant nominations, so every customer is not eligible there.
    let mut facts = InMemoryFacts::new();
    for e in &engagements {
        facts = facts.enrolled(partner, e.clone());
    }
    for (i, customer) in customers.iter().enumerate() {
        for e in &engagements[..2] {
            facts = if i % 10 == 0 {
                facts.not_eligible(
                    customer.clone(),
                    e.clone(),
                    Text::parse("below the usage threshold").unwrap(),
                )
            } else {
                facts.eligible(customer.clone(), e.clone())
            };
        }
    }
    // The partner already has a claim in progress for every fourth customer, on the first
    // engagement: those customers are known, and appear with the claim action elsewhere.
    let at = Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap();
    let claims: Vec<_> = customers
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 == 1)
        .map(|(i, customer)| {
            let nomination = Nomination {
                name: Text::parse("engagement").unwrap(),
                partner,
                customer: customer.clone(),
                customer_contact: CustomerContact {
                    name: Text::parse("Megan Bowen").unwrap(),
                    title: Text::parse("CIO").unwrap(),
                    email: "megan@contoso.com".parse().unwrap(),
                },
                company_contact: CompanyContact {
                    name: Text::parse("Alex Wilber").unwrap(),
                    email: "alex@fabrikam.com".parse().unwrap(),
                },
                mismatch_reason: Some(Text::parse("subsidiary mailbox domain").unwrap()),
                engagements: vec![(
                    engagements[0].clone(),
                    ClaimId::from_uuid(uuid::Uuid::from_u128(i as u128 + 1)).unwrap(),
                )],
                hours: None,
            };
            add_customer(&nomination, &admin, at, &catalog, &facts, &[])
                .unwrap()
                .remove(0)
                .claim
        })
        .collect();

    let mut group = c.benchmark_group("eligibility: Customers page");
    group.bench_function("10,000 customers x 4 engagements", |b| {
        b.iter(|| {
            for engagement in &engagements {
                let page = customers_page(
                    &catalog, &facts, engagement, partner, &admin, &claims, &customers, at,
                )
                .unwrap();
                black_box(page);
            }
        })
    });
    group.finish();
    let page = customers_page(
        &catalog,
        &facts,
        &engagements[0],
        partner,
        &admin,
        &claims,
        &customers,
        at,
    )
    .unwrap();
    assert_eq!(
        page.eligible.len() + page.not_eligible.len() + page.complete.len(),
        CUSTOMERS as usize
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
