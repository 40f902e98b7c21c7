//! Claims and settings shared by the store benchmarks. Each bench uses some of them.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use cpor::association::{
    Acknowledgement, Arbitration, AssociationClaim, AssociationCommand, AssociationForm,
    CompanyContactForm, CustomerContactForm,
};
use cpor::{
    Actor, Catalog, ClaimId, PartnerId, PartnerUserRole, TenantId, Text, UserId, UserRoles,
};

/// Whether the CI's short mode is on (`CPOR_BENCH_QUICK=1`): small sizes only, to check that
/// the benches build and run, not to measure.
pub fn quick() -> bool {
    std::env::var_os("CPOR_BENCH_QUICK").is_some_and(|v| v != "0")
}

/// The store sizes the growth benches run at: 1,000, 100,000 and 1,000,000 claims, or 1,000
/// in short mode.
pub fn sizes() -> &'static [usize] {
    if quick() {
        &[1_000]
    } else {
        &[1_000, 100_000, 1_000_000]
    }
}

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

/// A typical claim, number `n`: 3 workloads, 2 contacts, 1 PoE reference and 5 history
/// entries (create, attach PoE, submit, start review, approve).
pub fn approved(n: usize, catalog: &Catalog, t0: DateTime<Utc>) -> AssociationClaim {
    let admin = admin(n);
    let reviewer = Actor::reviewer(UserId::parse("reviewer@microsoft.com").unwrap());
    let mut claim = draft(n, &admin, catalog, t0);
    let steps = [
        (
            AssociationCommand::AttachPoe {
                reference: Text::parse("sow-signed.pdf").unwrap(),
            },
            &admin,
        ),
        (
            AssociationCommand::Submit {
                acknowledgement: Acknowledgement::Given,
            },
            &admin,
        ),
        (AssociationCommand::StartReview, &reviewer),
        (
            AssociationCommand::Approve {
                arbitration: Arbitration::None,
            },
            &reviewer,
        ),
    ];
    for (i, (command, actor)) in steps.into_iter().enumerate() {
        claim = claim
            .transition(&command, actor, t0 + Duration::hours(i as i64 + 1), catalog)
            .unwrap()
            .claim;
    }
    claim
}

/// A directory of its own under the system's temporary directory, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// A fresh directory named after the bench's `name`, the process and a counter.
    pub fn new(name: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("cpor-bench-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    /// The database file in it.
    pub fn db(&self) -> std::path::PathBuf {
        self.0.join("claims.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
