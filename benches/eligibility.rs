//! Group **eligibility**, part 1: one decision for one (customer, engagement) with
//! `InMemoryFacts`. No baseline: the goal is an absolute median of ≤ 300 ns per decision.

use std::hint::black_box;

use cpor::catalog::EngagementId;
use cpor::eligibility::{
    Action, EligibilityRequest, InMemoryFacts, OpenClaim, Relationship, check,
};
use cpor::{
    Actor, Catalog, CustomerId, DomainName, EmailAddress, PartnerId, PartnerUserRole, TenantId,
    Text, UserId, UserRoles,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let partner = PartnerId::new(4_512_345).unwrap();
    let admin = Actor::partner(
        partner,
        UserId::parse("alex@fabrikam.com").unwrap(),
        UserRoles::of([PartnerUserRole::IncentivesAdmin]),
    );
    let assessment: EngagementId = "copilot_readiness_assessment".parse().unwrap();
    let workshop: EngagementId = "threat_protection_workshop".parse().unwrap();
    let medium: EngagementId = "bizapps_deployment_medium_project".parse().unwrap();
    let tenant_id: TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47".parse().unwrap();
    let contoso: DomainName = "contoso.com".parse().unwrap();
    let tenant = CustomerId::Tenant(tenant_id);
    let domain = CustomerId::Domain(contoso.clone());
    let msx: CustomerId = "msx_opportunity:7-3CVDESBISU".parse().unwrap();
    let tpid: CustomerId = "tpid:999".parse().unwrap();
    let email = EmailAddress::parse("megan@contoso.com").unwrap();

    // A realistic amount of data: the partner enrolled in every MCI engagement, and a few
    // hundred customers with facts.
    let mut facts = InMemoryFacts::new()
        .with_domain(contoso.clone(), tenant_id)
        .with_email_domains(tenant_id, [contoso, "contoso.net".parse().unwrap()]);
    for engagement in catalog.mci_engagements() {
        facts = facts
            .enrolled(partner, engagement.id.clone())
            .eligible(tenant.clone(), engagement.id.clone())
            .eligible(msx.clone(), engagement.id.clone())
            .not_eligible(
                tpid.clone(),
                engagement.id.clone(),
                Text::parse("failed the bona fide check").unwrap(),
            );
        for n in 1..=300u64 {
            let other: CustomerId = format!("tpid:{n}").parse().unwrap();
            facts = facts
                .eligible(other.clone(), engagement.id.clone())
                .with_active_claims(engagement.id.clone(), other, 1);
        }
    }
    let facts = facts.with_active_claims(workshop.clone(), tpid.clone(), 1);

    let eligible_tenant = EligibilityRequest::new(&admin, partner, &workshop, &tenant, Action::Add)
        .with_customer_email(&email);
    let eligible_domain =
        EligibilityRequest::new(&admin, partner, &assessment, &domain, Action::Add);
    let eligible_msx = EligibilityRequest::new(&admin, partner, &medium, &msx, Action::Add);
    // Not eligible, cap reached, and a duplicate open claim.
    let three_reasons = EligibilityRequest::new(&admin, partner, &workshop, &tpid, Action::Claim)
        .with_relationship(Relationship::Known)
        .with_open_claim(OpenClaim::Present);
    assert!(check(&catalog, &facts, &eligible_tenant).is_eligible());
    assert!(check(&catalog, &facts, &eligible_domain).is_eligible());
    assert!(check(&catalog, &facts, &eligible_msx).is_eligible());
    assert_eq!(check(&catalog, &facts, &three_reasons).reasons().len(), 3);

    let mut group = c.benchmark_group("eligibility: one decision");
    for (name, request) in [
        ("eligible_tenant", &eligible_tenant),
        ("eligible_domain", &eligible_domain),
        ("eligible_msx_variable_pay", &eligible_msx),
        ("not_eligible_3_reasons", &three_reasons),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(check(&catalog, &facts, black_box(request))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
