//! One CPOR command: a pure transition, with its history entry (issue 3 target: ≤ 1 µs median).

use std::hint::black_box;

use chrono::{Duration, NaiveDate};
use cpor::association::{
    Acknowledgement, Arbitration, AssociationClaim, AssociationCommand, AssociationForm,
    CompanyContactForm, CustomerContactForm, InfoRequestReason,
};
use cpor::{Actor, Catalog, ClaimId, PartnerId, PartnerUserRole, Text, UserId, UserRoles};
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

    let mut group = c.benchmark_group("association");
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

criterion_group!(benches, bench);
criterion_main!(benches);
