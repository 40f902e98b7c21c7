//! Claims shared by the store benchmarks.

use chrono::{DateTime, Utc};
use cpor::association::{
    AssociationClaim, AssociationForm, CompanyContactForm, CustomerContactForm,
};
use cpor::{Actor, Catalog, ClaimId, PartnerId, PartnerUserRole, TenantId, UserId, UserRoles};

/// The admin of one of 50 partner locations, by claim number.
pub fn admin(n: usize) -> Actor {
    let partner = PartnerId::new(4_000_000 + (n % 50) as u64).unwrap();
    Actor::partner(
        partner,
        UserId::parse("alex@fabrikam.com").unwrap(),
        UserRoles::of([PartnerUserRole::IncentivesAdmin]),
    )
}

/// Draft number `n` by `admin`: its own ID and tenant, 3 workloads, 2 contacts.
pub fn draft(n: usize, admin: &Actor, catalog: &Catalog, t0: DateTime<Utc>) -> AssociationClaim {
    let tenant =
        TenantId::from_uuid(uuid::Uuid::from_u128(0x00C0_FFEE_0000_0000 + n as u128)).unwrap();
    let form = AssociationForm {
        name: "Contoso Teams rollout".into(),
        tenant: tenant.to_string(),
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
    let id = ClaimId::from_uuid(uuid::Uuid::from_u128(n as u128 + 1)).unwrap();
    AssociationClaim::create(id, &form, admin, t0, catalog)
        .unwrap()
        .claim
}
