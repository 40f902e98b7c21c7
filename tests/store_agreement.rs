//! The stores agree on the same input: a claim with more keys than SQLite takes variables in
//! one statement (a catalog of 20,000 workloads, a claim naming every one) is accepted by
//! every store, holds every key, and frees them together; and the claim every store refused
//! before any store saw it (repeated workloads) cannot be built.
#![cfg(all(feature = "testing", feature = "sqlite"))]

mod common;

use std::sync::Arc;

use cpor::association::{AssociationClaim, AssociationCommand, AssociationKey, KeyUnit};
use cpor::catalog::{Workload, WorkloadId};
use cpor::store::{InMemoryStore, SqliteStore, Store, UniqueKey, Version, Write};
use cpor::{Catalog, Catalogs, TenantId};

/// More keys than one SQLite statement takes variables for (32,766 by default, two per key).
const WORKLOADS: usize = 20_000;

fn big_catalog() -> Catalog {
    let mut raw = Catalog::builtin().into_raw();
    let teams = raw
        .workloads
        .iter()
        .find(|w| w.id.as_str() == "teams")
        .unwrap()
        .clone();
    for n in 0..WORKLOADS {
        raw.workloads.push(Workload {
            id: WorkloadId::parse(&format!("extra_{n}")).unwrap(),
            name: format!("Extra {n}"),
            ..teams.clone()
        });
    }
    Catalog::new(raw).unwrap()
}

fn stores(catalogs: &Catalogs) -> Vec<(String, Arc<dyn Store>)> {
    #[cfg_attr(not(feature = "postgres"), allow(unused_mut))]
    let mut stores: Vec<(String, Arc<dyn Store>)> = vec![
        (
            "memory".into(),
            Arc::new(InMemoryStore::with_catalogs(catalogs.clone())),
        ),
        (
            "sqlite".into(),
            Arc::new(
                SqliteStore::open_in_memory()
                    .unwrap()
                    .with_catalogs(catalogs.clone()),
            ),
        ),
    ];
    #[cfg(feature = "postgres")]
    if let Ok(url) = std::env::var("CPOR_PG_URL")
        && !url.is_empty()
    {
        let schema = format!("cpor_agreement_{}", std::process::id());
        let store = cpor::store::PgStore::connect_in_schema(&url, &schema)
            .unwrap()
            .with_catalogs(catalogs.clone());
        stores.push(("postgres".into(), Arc::new(store)));
    }
    stores
}

#[test]
fn a_claim_with_more_keys_than_a_statement_takes_behaves_alike_on_every_store() {
    let catalog = big_catalog();
    let catalogs = Catalogs::new(catalog.clone());
    let mut form = common::mws_form();
    form.workloads = (0..WORKLOADS).map(|n| format!("extra_{n}")).collect();
    let draft = AssociationClaim::create(
        common::claim_id(1),
        &form,
        &common::admin(),
        common::t0(),
        &catalog,
    )
    .unwrap()
    .claim;
    let withdrawn = draft
        .transition(
            &AssociationCommand::Withdraw,
            &common::admin(),
            common::t0(),
            &catalog,
        )
        .unwrap()
        .claim;
    let tenant: TenantId = common::TENANT.parse().unwrap();
    let key = |n: usize| UniqueKey::OpenAssociation {
        partner: common::partner(),
        key: AssociationKey {
            engagement: draft.content().engagement.clone(),
            tenant,
            unit: KeyUnit::Workload(WorkloadId::parse(&format!("extra_{n}")).unwrap()),
        },
    };
    for (name, store) in stores(&catalogs) {
        let versions = store.commit(vec![Write::create(draft.clone())]);
        assert_eq!(versions.unwrap(), vec![Version::FIRST], "{name}");
        for n in [0, 16_383, 16_384, WORKLOADS - 1] {
            assert_eq!(
                store.holder(&key(n)).unwrap(),
                Some(draft.id()),
                "{name}: key {n}"
            );
        }
        // A second claim of the same partner on one of those keys is refused alike.
        let mut rival_form = common::mws_form();
        rival_form.workloads = vec![format!("extra_{}", WORKLOADS - 1)];
        let rival = AssociationClaim::create(
            common::claim_id(2),
            &rival_form,
            &common::admin(),
            common::t0(),
            &catalog,
        )
        .unwrap()
        .claim;
        let err = store.commit(vec![Write::create(rival)]).unwrap_err();
        assert_eq!(err.code(), "store.key_held", "{name}: {err}");
        assert!(err.to_string().len() < 400, "{name}: {err}");
        // Withdrawn, the draft frees every key at once.
        store
            .commit(vec![Write::update(withdrawn.clone(), Version::FIRST)])
            .unwrap();
        for n in [0, 16_383, 16_384, WORKLOADS - 1] {
            assert_eq!(store.holder(&key(n)).unwrap(), None, "{name}: key {n}");
        }
        // And a re-import of the same batch is an idempotent retry everywhere.
        let report = store.import(vec![withdrawn.clone().into()]).unwrap();
        assert!(report.is_complete(), "{name}");
    }
    #[cfg(feature = "postgres")]
    if let Ok(url) = std::env::var("CPOR_PG_URL")
        && !url.is_empty()
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, connection) = url
                .parse::<tokio_postgres::Config>()
                .unwrap()
                .connect(tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            client
                .batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS cpor_agreement_{} CASCADE",
                    std::process::id()
                ))
                .await
                .unwrap();
        });
    }
}

#[test]
fn repeated_workloads_never_reach_a_store() {
    let mut form = common::mws_form();
    form.workloads = vec!["teams".into(), "teams".into(), "teams".into()];
    let err = AssociationClaim::create(
        common::claim_id(3),
        &form,
        &common::admin(),
        common::t0(),
        &common::catalog(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "association.invalid_form", "{err}");
}
