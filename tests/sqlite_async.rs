//! `SqliteStore` as an `AsyncStore`: both lifecycles through `AsyncClaims<SqliteStore>` on a
//! multi-threaded tokio runtime, the blocking and the async API side by side inside a
//! runtime (no panic), the async API outside one (it runs inline), and the conformance suite
//! through the async trait.
#![cfg(all(feature = "sqlite", feature = "testing"))]

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use chrono::{DateTime, Utc};
use common::files::TempDb;
use common::lifecycles::run_both_lifecycles;
use common::*;
use cpor::catalog::EngagementId;
use cpor::service::AsyncClaims;
use cpor::store::{
    AsyncStore, Claim, CountedKey, ImportReport, Page, PageRequest, Scope, SqliteOptions,
    SqliteStore, Store, StoreError, Stored, UniqueKey, Version, Write,
};
use cpor::testing::{self, Failure};
use cpor::{Catalogs, ClaimId, CustomerId, PartnerId};

/// A draft association of its own partner location, so that drafts never share a key.
fn draft(n: u64) -> Claim {
    common::files::own_draft(5_000_000, n)
}

fn service(store: SqliteStore) -> AsyncClaims<SqliteStore> {
    AsyncClaims::new(store, Catalogs::builtin())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_lifecycles_run_through_the_async_service_over_a_file() {
    let db = TempDb::new("sqlite-async");
    let store = SqliteStore::open(db.path()).unwrap();
    assert_eq!(store.readers(), SqliteOptions::DEFAULT_READERS);
    run_both_lifecycles(&service(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_lifecycles_run_through_the_async_service_in_memory() {
    let store = SqliteStore::open_in_memory().unwrap();
    assert_eq!(store.readers(), 0);
    run_both_lifecycles(&service(store)).await;
}

#[tokio::test(flavor = "current_thread")]
async fn both_lifecycles_run_on_a_current_thread_runtime() {
    let db = TempDb::new("sqlite-async");
    run_both_lifecycles(&service(SqliteStore::open(db.path()).unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_and_the_async_api_do_not_panic_inside_a_runtime() {
    let db = TempDb::new("sqlite-async");
    for store in [
        SqliteStore::open(db.path()).unwrap(),
        SqliteStore::open_in_memory().unwrap(),
    ] {
        // Blocking, on the executor's thread (allowed, if unwise): no panic.
        let first = draft(1);
        let versions = Store::commit(&store, vec![Write::create(first.clone())]).unwrap();
        assert_eq!(versions, [Version::FIRST]);
        // Async, on a blocking thread.
        let second = draft(2);
        let versions = AsyncStore::commit(&store, vec![Write::create(second.clone())])
            .await
            .unwrap();
        assert_eq!(versions, [Version::FIRST]);
        for claim in [&first, &second] {
            let blocking = Store::load(&store, Scope::Microsoft, claim.id()).unwrap();
            let along = AsyncStore::load(&store, Scope::Microsoft, claim.id())
                .await
                .unwrap();
            assert_eq!(blocking, along);
            assert_eq!(along.unwrap().claim, *claim);
        }
        let partner = first.partner();
        let listed = AsyncStore::by_partner(&store, partner, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(listed.items.len(), 1);
        let engagement = first.engagement().clone();
        let listed =
            AsyncStore::by_partner_engagement(&store, partner, &engagement, PageRequest::default())
                .await
                .unwrap();
        assert_eq!(listed.items.len(), 1);
        let customer = first.customer();
        let listed =
            AsyncStore::by_customer(&store, Scope::Microsoft, &customer, PageRequest::default())
                .await
                .unwrap();
        assert_eq!(listed.items.len(), 2);
        let due = AsyncStore::due(&store, t0(), PageRequest::default()).await;
        assert!(due.is_ok());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_calls_run_in_spawned_tasks() {
    // `tokio::spawn` needs `Send + 'static` futures: an `Arc<SqliteStore>`'s are.
    let db = TempDb::new("sqlite-async");
    let store = Arc::new(SqliteStore::open(db.path()).unwrap());
    let mut tasks = Vec::new();
    for n in 0..16 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let claim = draft(n);
            AsyncStore::commit(&store, vec![Write::create(claim.clone())]).await?;
            AsyncStore::load(&store, Scope::Partner(claim.partner()), claim.id()).await
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap().unwrap().is_some());
    }
}

/// Polls a future once, with a waker that does nothing: outside a runtime the store's
/// futures are ready at once.
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let future = pin!(future);
    future.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn outside_a_runtime_the_async_api_runs_inline() {
    assert!(tokio::runtime::Handle::try_current().is_err());
    let store = SqliteStore::open_in_memory().unwrap();
    let claim = draft(7);
    let Poll::Ready(versions) = poll_once(AsyncStore::commit(
        &store,
        vec![Write::create(claim.clone())],
    )) else {
        panic!("a commit outside a runtime was not ready at once");
    };
    assert_eq!(versions.unwrap(), [Version::FIRST]);
    let Poll::Ready(loaded) = poll_once(AsyncStore::load(&store, Scope::Microsoft, claim.id()))
    else {
        panic!("a load outside a runtime was not ready at once");
    };
    assert_eq!(loaded.unwrap().unwrap().claim, claim);
}

#[test]
fn a_future_never_polled_writes_nothing() {
    let store = SqliteStore::open_in_memory().unwrap();
    let claim = draft(8);
    drop(AsyncStore::commit(
        &store,
        vec![Write::create(claim.clone())],
    ));
    assert!(
        Store::load(&store, Scope::Microsoft, claim.id())
            .unwrap()
            .is_none()
    );
}

// ---- The conformance suite through the async trait ----

/// A `Store` that drives every call through `SqliteStore`'s `AsyncStore` methods on a
/// multi-threaded runtime of its own, so that each runs on `spawn_blocking`.
struct ThroughAsync {
    store: SqliteStore,
    runtime: tokio::runtime::Runtime,
    _db: Option<TempDb>,
}

impl ThroughAsync {
    fn new(store: SqliteStore, db: Option<TempDb>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        Self {
            store,
            runtime,
            _db: db,
        }
    }

    fn run<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }
}

impl Store for ThroughAsync {
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        self.run(AsyncStore::load(&self.store, scope, id))
    }

    fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        self.run(AsyncStore::commit(&self.store, writes))
    }

    fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        self.run(AsyncStore::import(&self.store, claims))
    }

    fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        self.run(AsyncStore::by_partner(&self.store, partner, page))
    }

    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        self.run(AsyncStore::by_partner_engagement(
            &self.store,
            partner,
            engagement,
            page,
        ))
    }

    fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        self.run(AsyncStore::by_customer(&self.store, scope, customer, page))
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        self.run(AsyncStore::holder(&self.store, key))
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        self.run(AsyncStore::count(&self.store, key))
    }

    fn due(&self, now: DateTime<Utc>, page: PageRequest) -> Result<Page<ClaimId>, StoreError> {
        self.run(AsyncStore::due(&self.store, now, page))
    }

    fn take_due(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<ClaimId>, StoreError> {
        self.run(AsyncStore::take_due(&self.store, now, lease, limit))
    }

    fn lease_events(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<cpor::store::Leased>, StoreError> {
        self.run(AsyncStore::lease_events(&self.store, now, lease, limit))
    }

    fn acknowledge(&self, ids: &[cpor::event::EventId]) -> Result<usize, StoreError> {
        self.run(AsyncStore::acknowledge(&self.store, ids))
    }
}

#[track_caller]
fn passes(result: Result<(), Vec<Failure>>) {
    if let Err(failures) = result {
        let report: Vec<String> = failures.iter().map(ToString::to_string).collect();
        panic!("{} case(s) failed:\n{}", failures.len(), report.join("\n"));
    }
}

#[test]
fn the_suite_passes_through_the_async_trait_in_memory() {
    passes(testing::run_all(&|| {
        ThroughAsync::new(SqliteStore::open_in_memory().unwrap(), None)
    }));
}

#[test]
fn the_suite_passes_through_the_async_trait_in_a_file() {
    passes(testing::run_all(&|| {
        let db = TempDb::new("sqlite-async");
        ThroughAsync::new(SqliteStore::open(db.path()).unwrap(), Some(db))
    }));
}
