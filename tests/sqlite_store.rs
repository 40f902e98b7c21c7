//! `SqliteStore` against the store conformance suite (`cpor::testing`), in memory and in
//! files, case by case; and its schema: claims survive a reopen, a newer schema is refused.
#![cfg(all(feature = "sqlite", feature = "testing"))]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use cpor::catalog::EngagementId;
use cpor::store::{
    Claim, CountedKey, ImportReport, Scope, SqliteStore, Store, StoreError, Stored, Synchronous,
    UniqueKey, Version, Write,
};
use cpor::testing::{self, Failure};
use cpor::{ClaimId, CustomerId, PartnerId};

#[track_caller]
fn passes(result: Result<(), Vec<Failure>>) {
    if let Err(failures) = result {
        let report: Vec<String> = failures.iter().map(ToString::to_string).collect();
        panic!("{} case(s) failed:\n{}", failures.len(), report.join("\n"));
    }
}

fn in_memory() -> SqliteStore {
    SqliteStore::open_in_memory().unwrap()
}

/// A directory of its own under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path =
            std::env::temp_dir().join(format!("cpor-sqlite-{}-{nanos}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn db(&self) -> PathBuf {
        self.0.join("claims.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `SqliteStore` in a file of its own, deleted (with its WAL) when the store is dropped.
struct FileStore {
    store: Option<SqliteStore>,
    _dir: TempDir,
}

impl FileStore {
    fn store(&self) -> &SqliteStore {
        self.store.as_ref().unwrap()
    }
}

impl Drop for FileStore {
    fn drop(&mut self) {
        // Close the database before its directory goes.
        self.store = None;
    }
}

fn in_file() -> FileStore {
    let dir = TempDir::new();
    let store = SqliteStore::open(dir.db()).unwrap();
    FileStore {
        store: Some(store),
        _dir: dir,
    }
}

impl Store for FileStore {
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        self.store().load(scope, id)
    }

    fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        self.store().commit(writes)
    }

    fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        self.store().import(claims)
    }

    fn by_partner(&self, partner: PartnerId) -> Result<Vec<Stored>, StoreError> {
        self.store().by_partner(partner)
    }

    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
    ) -> Result<Vec<Stored>, StoreError> {
        self.store().by_partner_engagement(partner, engagement)
    }

    fn by_customer(&self, scope: Scope, customer: &CustomerId) -> Result<Vec<Stored>, StoreError> {
        self.store().by_customer(scope, customer)
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        self.store().holder(key)
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        self.store().count(key)
    }

    fn due(&self, now: DateTime<Utc>) -> Result<Vec<ClaimId>, StoreError> {
        self.store().due(now)
    }
}

#[test]
fn in_memory_sqlite_store_passes_the_suite() {
    passes(testing::run_all(&in_memory));
}

#[test]
fn file_sqlite_store_passes_the_suite() {
    passes(testing::run_all(&in_file));
}

#[test]
fn file_store_with_synchronous_off_or_normal_keeps_the_contract() {
    for synchronous in [Synchronous::Off, Synchronous::Normal] {
        let factory = || {
            let dir = TempDir::new();
            let store = SqliteStore::open_with(dir.db(), synchronous).unwrap();
            FileStore {
                store: Some(store),
                _dir: dir,
            }
        };
        testing::arbitration_moves_keys_in_one_commit(&factory).unwrap();
        testing::counted_limit_of_two(&factory).unwrap();
        testing::failed_commit_on_third_key_changes_nothing(&factory).unwrap();
    }
}

/// Each case as its own test on an in-memory store, so that a failure names its case (the
/// file store runs the whole suite in `file_sqlite_store_passes_the_suite`, which names failing
/// cases too).
mod in_memory {
    cpor::store_conformance_tests!(super::in_memory);
}

#[test]
fn sqlite_store_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SqliteStore>();
    check::<Synchronous>();
}

#[test]
fn synchronous_defaults_to_full() {
    assert_eq!(Synchronous::default(), Synchronous::Full);
}

// ---- The schema on disk ----

/// Every claim ID in a database file, read with a connection of its own.
fn ids_in(path: &Path) -> Vec<ClaimId> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut statement = conn.prepare("SELECT id FROM claims ORDER BY id").unwrap();
    statement
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(|id| ClaimId::parse(&id.unwrap()).unwrap())
        .collect()
}

/// Everything a store shows about the claims: each claim and version, the holder of every
/// key they hold, the count of every counted key, and every deadline.
type Snapshot = (
    Vec<Stored>,
    Vec<(UniqueKey, Option<ClaimId>)>,
    Vec<(CountedKey, u32)>,
    Vec<ClaimId>,
);

fn snapshot(store: &SqliteStore, ids: &[ClaimId]) -> Snapshot {
    let claims: Vec<Stored> = ids
        .iter()
        .map(|id| store.load(Scope::Microsoft, *id).unwrap().unwrap())
        .collect();
    let mut holders = Vec::new();
    let mut counts = Vec::new();
    for stored in &claims {
        let holdings = stored.claim.holdings();
        for key in holdings.unique {
            let holder = store.holder(&key).unwrap();
            holders.push((key, holder));
        }
        if let Some((key, _)) = holdings.counted {
            let n = store.count(&key).unwrap();
            counts.push((key, n));
        }
    }
    let due = store.due(DateTime::<Utc>::MAX_UTC).unwrap();
    (claims, holders, counts, due)
}

/// Runs `case` with a factory that makes a fresh file store for each call, then checks for
/// each file that a reopened store shows exactly what the store that wrote it showed: the same
/// claims, keys, counts and deadlines.
fn reopen_keeps(case: fn(&dyn Fn() -> Arc<SqliteStore>) -> Result<(), Failure>) {
    let made: Mutex<Vec<(TempDir, Arc<SqliteStore>)>> = Mutex::new(Vec::new());
    let factory = || {
        let dir = TempDir::new();
        let store = Arc::new(SqliteStore::open(dir.db()).unwrap());
        made.lock().unwrap().push((dir, Arc::clone(&store)));
        store
    };
    case(&factory).unwrap();

    let made = made.into_inner().unwrap();
    assert!(!made.is_empty());
    for (dir, store) in made {
        let store = Arc::into_inner(store).unwrap();
        let ids = ids_in(&dir.db());
        assert!(!ids.is_empty(), "the case left no claims");
        let before = snapshot(&store, &ids);
        drop(store);

        let reopened = SqliteStore::open(dir.db()).unwrap();
        assert_eq!(ids_in(&dir.db()), ids);
        assert_eq!(snapshot(&reopened, &ids), before);
    }
}

#[test]
fn reopen_keeps_association_claims_and_their_keys() {
    reopen_keeps(|f| testing::arbitration_moves_keys_in_one_commit(&f));
}

#[test]
fn reopen_keeps_activity_claims_and_their_counts() {
    reopen_keeps(|f| testing::counted_limit_of_two(&f));
}

#[test]
fn reopen_keeps_deadlines() {
    reopen_keeps(|f| testing::due_lists_deadlines_earliest_first(&f));
}

#[test]
fn reopen_keeps_an_import_and_none_of_its_refusals() {
    reopen_keeps(|f| testing::import_reports_each_claim(&f));
}

#[test]
fn a_reopened_store_takes_new_commits() {
    // The schema is not migrated twice, and the store still enforces its keys.
    let dir = TempDir::new();
    drop(SqliteStore::open(dir.db()).unwrap());
    let store = Arc::new(SqliteStore::open(dir.db()).unwrap());
    let factory = {
        let store = Arc::clone(&store);
        move || Arc::clone(&store)
    };
    testing::competing_approval_is_refused(&factory).unwrap();
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = TempDir::new();
    drop(SqliteStore::open(dir.db()).unwrap());
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    conn.execute("UPDATE schema_version SET version = 2", [])
        .unwrap();
    drop(conn);

    let err = SqliteStore::open(dir.db()).unwrap_err();
    assert_eq!(err.code(), "store.backend");
    assert_eq!(
        err.to_string(),
        "storage back end failed: database schema version 2 is newer than the newest this \
         build knows (1); upgrade the cpor crate to open it"
    );
    // Refusing changed nothing.
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    let version: i64 = conn
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
}

#[test]
fn a_new_file_records_schema_version_1() {
    let dir = TempDir::new();
    drop(SqliteStore::open(dir.db()).unwrap());
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM schema_version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(versions, [1]);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn due_at_the_ends_of_time() {
    let store = in_memory();
    assert_eq!(store.due(DateTime::<Utc>::MIN_UTC).unwrap(), []);
    assert_eq!(store.due(DateTime::<Utc>::MAX_UTC).unwrap(), []);
}
