//! `PgStore` inside tokio: built both ways (blocking and async) and used through both traits
//! on a multi-threaded runtime without a panic, and both claim lifecycles through
//! `AsyncClaims<PgStore>` with no `spawn_blocking`; and the store's tracing, which records
//! no personal data.
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

/// Every span, record and event, as lines of `name=value`.
#[derive(Clone, Default)]
struct Recorder {
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

struct Line<'a>(&'a mut String);

impl tracing::field::Visit for Line<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Recorder {
    fn push(&self, line: String) {
        self.lines.lock().unwrap().push(line);
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut line = format!("span {}", span.metadata().name());
        span.record(&mut Line(&mut line));
        self.push(line);
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::span::Id::from_u64(n + 1)
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut line = "record".to_owned();
        values.record(&mut Line(&mut line));
        self.push(line);
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = "event".to_owned();
        event.record(&mut Line(&mut line));
        self.push(line);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// Each operation is a `cpor.store` span with the store, the operation and the claim, and
/// ends with an event of its time and outcome; nothing recorded holds an email address.
#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn operations_are_traced_without_personal_data() {
    let url = url_or_skip!("operations_are_traced_without_personal_data");
    let schema = Schema::new(&url);
    let store = schema.store();
    let claim = Claim::from(common::claim_in(AssociationState::Approved).0);
    assert!(serde_json::to_string(&claim).unwrap().contains('@'));
    let recorder = Recorder::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            AsyncStore::commit(&store, vec![Write::create(claim.clone())])
                .await
                .unwrap();
            AsyncStore::load(&store, Scope::Microsoft, claim.id())
                .await
                .unwrap();
        });
    });
    let lines = recorder.lines.lock().unwrap().clone();
    let text = lines.join("\n");
    // The span, then the claim recorded into it.
    let commit = lines
        .iter()
        .position(|l| {
            l.starts_with("span cpor.store")
                && l.contains("store=\"postgres\"")
                && l.contains("op=\"commit\"")
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        lines.get(commit + 1),
        Some(&format!("record claim={}", claim.id())),
        "{text}"
    );
    assert!(lines.iter().any(|l| l.contains("op=\"load\"")), "{text}");
    assert!(
        lines.iter().any(|l| l.starts_with("event")
            && l.contains("outcome=\"ok\"")
            && l.contains("elapsed_us=")),
        "{text}"
    );
    assert!(!text.contains('@'), "{text}");
    drop(store);
}
