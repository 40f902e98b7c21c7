//! `SqliteStore`'s readers: with a file in WAL mode, queries run beside a write that holds
//! the database's lock, and a commit that waits for the lock longer than the busy timeout
//! fails with `StoreError::Timeout` (`lock`).
#![cfg(feature = "sqlite")]

mod common;

use std::time::{Duration, Instant};

use common::files::TempDb;
use common::*;
use cpor::ErrorKind;
use cpor::store::{
    AsyncStore, Claim, PageRequest, Scope, SqliteOptions, SqliteStore, Store, StoreError, Write,
};

/// A draft association of its own partner location, so that drafts never share a key.
fn draft(n: u64) -> Claim {
    common::files::own_draft(6_000_000, n)
}

/// Another connection to the file, in a write transaction it has written in: it holds the
/// database's write lock until it is dropped (which rolls it back).
fn hold_the_write_lock(db: &TempDb) -> rusqlite::Connection {
    let other = rusqlite::Connection::open(db.path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    other
        .execute("DELETE FROM schema_version WHERE version < 0", [])
        .unwrap();
    other
        .execute_batch("CREATE TABLE held_by_another_writer (x INTEGER)")
        .unwrap();
    other
}

const PROMPTLY: Duration = Duration::from_millis(500);

#[test]
fn queries_run_beside_a_write_that_holds_the_lock() {
    let db = TempDb::new("sqlite-conc");
    let store = SqliteOptions::new()
        .busy_timeout(Duration::from_millis(200))
        .open(db.path())
        .unwrap();
    assert_eq!(store.readers(), SqliteOptions::DEFAULT_READERS);
    let claim = draft(1);
    Store::commit(&store, vec![Write::create(claim.clone())]).unwrap();

    let other = hold_the_write_lock(&db);
    let started = Instant::now();
    let loaded = Store::load(&store, Scope::Partner(claim.partner()), claim.id()).unwrap();
    assert_eq!(loaded.unwrap().claim, claim);
    let listed = Store::by_partner(&store, claim.partner(), PageRequest::default()).unwrap();
    assert_eq!(listed.items.len(), 1);
    let listed = Store::by_customer(
        &store,
        Scope::Microsoft,
        &claim.customer(),
        PageRequest::default(),
    )
    .unwrap();
    assert_eq!(listed.items.len(), 1);
    for key in &claim.holdings(&cpor::Catalogs::builtin()).unwrap().unique {
        assert_eq!(Store::holder(&store, key).unwrap(), Some(claim.id()));
    }
    let counted = cpor::store::CountedKey {
        engagement: claim.engagement().clone(),
        customer: claim.customer(),
    };
    assert_eq!(Store::count(&store, &counted).unwrap(), 0);
    assert!(Store::due(&store, t0(), PageRequest::default()).is_ok());
    assert!(
        started.elapsed() < PROMPTLY,
        "the queries waited for the other writer: {:?}",
        started.elapsed()
    );

    // A commit waits for the lock for the busy timeout, then times out, writing nothing.
    let second = draft(2);
    let started = Instant::now();
    let refused = Store::commit(&store, vec![Write::create(second.clone())]).unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(refused, StoreError::Timeout { what: "lock", .. }),
        "{refused:?}"
    );
    assert_eq!(refused.code(), "store.timeout");
    assert_eq!(refused.kind(), ErrorKind::Timeout);
    assert!(refused.is_retryable());
    assert!(waited >= Duration::from_millis(150), "{waited:?}");
    // So does an import.
    let refused = Store::import(&store, vec![second.clone()]).unwrap_err();
    assert!(matches!(refused, StoreError::Timeout { what: "lock", .. }));

    // Once the other writer is gone, the commit goes through.
    drop(other);
    Store::commit(&store, vec![Write::create(second.clone())]).unwrap();
    assert!(
        Store::load(&store, Scope::Microsoft, second.id())
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_queries_run_beside_a_write_that_holds_the_lock() {
    let db = TempDb::new("sqlite-conc");
    let store = SqliteOptions::new()
        .busy_timeout(Duration::from_millis(100))
        .open(db.path())
        .unwrap();
    let claim = draft(3);
    AsyncStore::commit(&store, vec![Write::create(claim.clone())])
        .await
        .unwrap();
    let other = hold_the_write_lock(&db);
    let started = Instant::now();
    let loaded = AsyncStore::load(&store, Scope::Microsoft, claim.id())
        .await
        .unwrap();
    assert_eq!(loaded.unwrap().claim, claim);
    let listed = AsyncStore::by_partner(&store, claim.partner(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(started.elapsed() < PROMPTLY, "{:?}", started.elapsed());
    let refused = AsyncStore::commit(&store, vec![Write::create(draft(4))])
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::Timeout { what: "lock", .. }));
    drop(other);
}

#[test]
fn queries_run_beside_a_commit_of_the_same_store() {
    // A reader is not the writer: a query made while the store's own commit holds the
    // writer (here: a commit made on another thread, waiting for another writer's lock)
    // does not wait for it.
    let db = TempDb::new("sqlite-conc");
    let store = SqliteOptions::new()
        .busy_timeout(Duration::from_secs(2))
        .open(db.path())
        .unwrap();
    let claim = draft(5);
    Store::commit(&store, vec![Write::create(claim.clone())]).unwrap();
    let other = hold_the_write_lock(&db);
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| Store::commit(&store, vec![Write::create(draft(6))]));
        // Let the commit take the writer and wait on the lock.
        std::thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        for _ in 0..20 {
            let loaded = Store::load(&store, Scope::Microsoft, claim.id()).unwrap();
            assert!(loaded.is_some());
        }
        assert!(started.elapsed() < PROMPTLY, "{:?}", started.elapsed());
        drop(other);
        assert!(waiting.join().unwrap().is_ok());
    });
}

#[test]
fn with_no_readers_queries_take_the_writer() {
    let db = TempDb::new("sqlite-conc");
    let store = SqliteOptions::new().readers(0).open(db.path()).unwrap();
    assert_eq!(store.readers(), 0);
    let claim = draft(7);
    Store::commit(&store, vec![Write::create(claim.clone())]).unwrap();
    assert!(
        Store::load(&store, Scope::Microsoft, claim.id())
            .unwrap()
            .is_some()
    );
    let memory = SqliteOptions::new().readers(8).open_in_memory().unwrap();
    assert_eq!(memory.readers(), 0);
}

#[test]
fn a_reader_sees_every_commit_that_returned() {
    let db = TempDb::new("sqlite-conc");
    let store = SqliteStore::open(db.path()).unwrap();
    for n in 10..40 {
        let claim = draft(n);
        Store::commit(&store, vec![Write::create(claim.clone())]).unwrap();
        // Whichever reader takes it, the load sees the commit.
        assert!(
            Store::load(&store, Scope::Microsoft, claim.id())
                .unwrap()
                .is_some()
        );
    }
}

#[test]
fn with_no_readers_a_query_waits_for_the_commit_on_the_writer() {
    // The contrast of `queries_run_beside_a_commit_of_the_same_store`: on one connection, a
    // query waits until the commit that holds it gives up.
    let db = TempDb::new("sqlite-conc");
    let store = SqliteOptions::new()
        .readers(0)
        .busy_timeout(Duration::from_millis(400))
        .open(db.path())
        .unwrap();
    let claim = draft(50);
    Store::commit(&store, vec![Write::create(claim.clone())]).unwrap();
    let other = hold_the_write_lock(&db);
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| Store::commit(&store, vec![Write::create(draft(51))]));
        std::thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        assert!(
            Store::load(&store, Scope::Microsoft, claim.id())
                .unwrap()
                .is_some()
        );
        assert!(
            started.elapsed() >= Duration::from_millis(150),
            "{:?}",
            started.elapsed()
        );
        let refused = waiting.join().unwrap().unwrap_err();
        assert!(matches!(refused, StoreError::Timeout { what: "lock", .. }));
    });
    drop(other);
}
