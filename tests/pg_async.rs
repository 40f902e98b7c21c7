//! `PgStore` inside tokio: built both ways (blocking and async) and used through both traits
//! on a multi-threaded runtime without a panic, and both claim lifecycles through
//! `AsyncClaims<PgStore>` with no `spawn_blocking`.
#![cfg(all(feature = "postgres", feature = "testing"))]

mod common;
mod pg_support;

use std::time::Duration;

use common::lifecycles::run_both_lifecycles;
use cpor::Catalogs;
use cpor::association::AssociationState;
use cpor::service::AsyncClaims;
use cpor::store::{
    AsyncStore, Claim, PageRequest, PgStore, PgStoreConfig, Scope, Store, Version, Write,
};
use pg_support::Schema;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
async fn blocking_and_async_apis_work_inside_tokio() {
    let url = url_or_skip!("blocking_and_async_apis_work_inside_tokio");
    let schema = Schema::new(&url);
    // Built by the blocking constructor, on a runtime worker: no "runtime within a runtime".
    let blocking = PgStore::connect_in_schema(&url, &schema.name).unwrap();
    // And by the async one.
    let asynchronous = PgStoreConfig::new(&url)
        .schema(&schema.name)
        .max_connections(4)
        .statement_timeout(Duration::from_secs(10))
        .connect_async()
        .await
        .unwrap();

    let claim = Claim::from(common::claim_in(AssociationState::Approved).0);
    // A blocking commit on the worker thread, then an async read through the other store.
    let versions = Store::commit(&blocking, vec![Write::create(claim.clone())]).unwrap();
    assert_eq!(versions, [Version::FIRST]);
    let loaded = AsyncStore::load(&asynchronous, Scope::Microsoft, claim.id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.version, Version::FIRST);
    // An async idempotent create, and a blocking read of the page.
    let again = AsyncStore::commit(&asynchronous, vec![Write::create(claim.clone())])
        .await
        .unwrap();
    assert_eq!(again, [Version::FIRST]);
    let page = Store::by_partner(&blocking, claim.partner(), PageRequest::first(10)).unwrap();
    assert_eq!(page.len(), 1);
    // A spawned task holds the store's future across awaits: it is `Send`.
    let shared = std::sync::Arc::new(asynchronous);
    let task = {
        let shared = std::sync::Arc::clone(&shared);
        let id = claim.id();
        tokio::spawn(async move { AsyncStore::load(&*shared, Scope::Microsoft, id).await })
    };
    assert!(task.await.unwrap().unwrap().is_some());
    // Both stores are dropped on the runtime's thread: no panic either.
    drop(blocking);
    drop(shared);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
async fn both_lifecycles_run_through_the_async_service_on_postgres() {
    let url = url_or_skip!("both_lifecycles_run_through_the_async_service_on_postgres");
    let schema = Schema::new(&url);
    let store = PgStore::config(&url)
        .schema(&schema.name)
        .connect_async()
        .await
        .unwrap();
    let claims = AsyncClaims::new(store, Catalogs::builtin());
    run_both_lifecycles(&claims).await;
}
