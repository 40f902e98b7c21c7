//! Claims that outlive the process: the claims service over `SqliteStore`, in a file.
//!
//! Fabrikam's CPOR claim on Contoso's Teams usage goes from draft to official, an MCI workshop
//! claim is added, and a batch of claims from an older system is imported in one transaction,
//! one of them refused and reported. Then the store is closed, the file reopened, and
//! everything is still there: the claims, the key Fabrikam holds, the workshop on the
//! Customers page. The files are removed at the end.
//!
//! Run it with `cargo run --example durable --features sqlite`.

use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use cpor::activity::Nomination;
use cpor::association::{
    Acknowledgement, Arbitration, Association, AssociationClaim, AssociationCommand,
    AssociationForm, CompanyContact, CompanyContactForm, CustomerContact, CustomerContactForm,
};
use cpor::catalog::EngagementId;
use cpor::eligibility::{Action, InMemoryFacts};
use cpor::service::Claims;
use cpor::store::{Claim, SqliteStore, Store, UniqueKey};
use cpor::{
    Actor, Catalog, Catalogs, ClaimId, CustomerId, PartnerId, PartnerUserRole, TenantId, Text,
    UserId, UserRoles,
};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

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

/// A CPOR form of `workloads` on `tenant`, with Contoso's contacts.
fn form(name: &str, tenant: TenantId, workloads: &[&str], contact: &str) -> AssociationForm {
    AssociationForm {
        name: name.into(),
        tenant: tenant.to_string(),
        solution_area: "modern_work_security".into(),
        role: "use_or_consume".into(),
        workloads: workloads.iter().map(|&w| w.into()).collect(),
        customer_contact: CustomerContactForm {
            name: "Megan Bowen".into(),
            title: "CIO".into(),
            email: "megan@contoso.com".into(),
        },
        company_contact: CompanyContactForm {
            name: "Alex Wilber".into(),
            email: contact.into(),
        },
        ..AssociationForm::default()
    }
}

/// A directory of its own under the system's temporary directory.
fn temp_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("cpor-durable-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn main() -> Result<()> {
    let dir = temp_dir()?;
    let outcome = walkthrough(&dir.join("claims.db"));
    // The database, its WAL and its shared-memory index go, whatever happened.
    std::fs::remove_dir_all(&dir)?;
    println!("\nremoved {}", dir.display());
    outcome
}

fn walkthrough(path: &Path) -> Result<()> {
    let fabrikam = PartnerId::new(4_512_345)?;
    let northwind = PartnerId::new(7_700_001)?;
    let alex = admin(fabrikam, "alex@fabrikam.com")?;
    let nancy = admin(northwind, "nancy@northwind.com")?;
    let reviewer = Actor::reviewer(UserId::parse("reviewer@microsoft.com")?);
    let contoso: TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47".parse()?;
    let workshop = EngagementId::parse("threat_protection_workshop")?;
    let facts = InMemoryFacts::new()
        .enrolled(fabrikam, workshop.clone())
        .with_email_domains(contoso, ["contoso.com".parse()?])
        .eligible(CustomerId::Tenant(contoso), workshop.clone());
    let (official, workshop_claim) = (id(1)?, id(2)?);

    println!("== 1. A store in a file: {} ==", path.display());
    let claims = Claims::new(SqliteStore::open(path)?, Catalogs::builtin());

    println!("\n== 2. Fabrikam's CPOR claim on Contoso's Teams usage, draft to official ==");
    let teams = form(
        "Contoso Teams rollout",
        contoso,
        &["teams"],
        "alex@fabrikam.com",
    );
    claims.create_association(official, &teams, &alex, day(0))?;
    for (command, actor) in [
        (
            AssociationCommand::AttachPoe {
                reference: Text::parse("sow-fabrikam.pdf")?,
            },
            &alex,
        ),
        (
            AssociationCommand::Submit {
                acknowledgement: Acknowledgement::Given,
            },
            &alex,
        ),
        (AssociationCommand::StartReview, &reviewer),
        (
            AssociationCommand::Approve {
                arbitration: Arbitration::None,
            },
            &reviewer,
        ),
    ] {
        let done = claims.association(official, &command, actor, day(1))?;
        println!("  {:<14} -> {}", command_name(&command), done.claim.state());
    }
    println!("  committed, each step in one transaction; the approval holds the Teams key");

    println!("\n== 3. Fabrikam adds Contoso to a threat protection workshop (MCI) ==");
    let nomination = Nomination {
        name: Text::parse("Contoso threat protection")?,
        partner: fabrikam,
        customer: CustomerId::Tenant(contoso),
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
        engagements: vec![(workshop.clone(), workshop_claim)],
        hours: None,
    };
    for made in claims.nominate(&nomination, Action::Add, &alex, day(2), &facts)? {
        println!("  claim {} -> {}", made.claim.id(), made.claim.state());
    }

    println!("\n== 4. A bulk import from the old system, in one transaction ==");
    let catalog = Catalog::builtin();
    let other_tenants: [TenantId; 2] = [
        "0b1f6471-1bf0-4dda-aec3-cb9272f09590".parse()?,
        "6f9619ff-8b86-d011-b42d-00c04fc964ff".parse()?,
    ];
    let mut batch: Vec<Claim> = Vec::new();
    for (n, tenant) in (10..).zip(other_tenants) {
        let draft = form(
            "Imported Teams claim",
            tenant,
            &["teams"],
            "nancy@northwind.com",
        );
        batch.push(imported(id(n)?, &draft, &nancy, &catalog)?.into());
    }
    // Fabrikam's own Teams claim on Contoso again, from the old system: Fabrikam already has
    // an open claim on that key, so the database refuses this one.
    let duplicate = form(
        "Old Contoso Teams claim",
        contoso,
        &["teams"],
        "alex@fabrikam.com",
    );
    batch.push(imported(id(12)?, &duplicate, &alex, &catalog)?.into());
    let report = claims.store().import(batch)?;
    println!(
        "  {} imported, {} refused",
        report.imported(),
        report.refused().count()
    );
    for (claim, outcome) in &report.outcomes {
        match outcome {
            Ok(version) => println!("  {claim}: imported at {version}"),
            Err(e) => println!("  {claim}: refused [{}] {e}", e.code()),
        }
    }

    println!("\n== 5. Close the store, reopen the file ==");
    drop(claims);
    let claims = Claims::new(SqliteStore::open(path)?, Catalogs::builtin());
    println!("  reopened {}", path.display());

    let stored = claims.load(&alex, official)?;
    if let Some(claim) = stored.claim.as_association() {
        let status = match claim.association(day(8)) {
            Association::Official { since } => format!("official since {since}"),
            other => format!("{other:?}"),
        };
        println!(
            "  Fabrikam's claim {official}: {} at {}, on day 8 {status}",
            claim.state(),
            stored.version
        );
        for key in claim.keys() {
            let holder = claims
                .store()
                .holder(&UniqueKey::Associated { key: key.clone() })?;
            let holder = holder.map_or_else(|| "nobody".to_owned(), |h| h.to_string());
            println!("  key {key} is held by {holder}");
        }
    }
    let workshop_stored = claims.load(&alex, workshop_claim)?;
    if let Some(claim) = workshop_stored.claim.as_activity() {
        println!(
            "  the workshop claim {workshop_claim}: {} at {}",
            claim.state(),
            workshop_stored.version
        );
    }
    let imported_claims = claims.store().by_partner(
        northwind,
        cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT),
    )?;
    println!(
        "  Northwind's claims, by partner: {} ({})",
        imported_claims.len(),
        imported_claims
            .iter()
            .map(|s| s.claim.id().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let page = claims.customers_page(&workshop, fabrikam, &alex, &[], day(3), &facts)?;
    println!(
        "  the workshop's Customers page, in progress: {:?}",
        page.eligible
            .iter()
            .filter_map(|r| r
                .claim
                .map(|(_, state)| (r.customer.to_string(), state.to_string())))
            .collect::<Vec<_>>()
    );
    println!(
        "  Fabrikam may see usage data for: {:?}",
        claims
            .usage_scope(fabrikam, contoso, day(8))?
            .iter()
            .map(|g| g.unit.to_string())
            .collect::<Vec<_>>()
    );
    Ok(())
}

/// A draft made by the old system, as the import receives it.
fn imported(
    id: ClaimId,
    form: &AssociationForm,
    actor: &Actor,
    catalog: &Catalog,
) -> Result<AssociationClaim> {
    Ok(AssociationClaim::create(id, form, actor, day(-30), catalog)?.claim)
}

fn command_name(command: &AssociationCommand) -> &'static str {
    match command {
        AssociationCommand::AttachPoe { .. } => "attach PoE",
        AssociationCommand::Submit { .. } => "submit",
        AssociationCommand::StartReview => "start review",
        AssociationCommand::Approve { .. } => "approve",
        _ => "other",
    }
}
