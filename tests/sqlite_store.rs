//! `SqliteStore` against the store conformance suite (`cpor::testing`), in memory and in
//! files, case by case; and its schema: claims survive a reopen, a newer schema is refused.
#![cfg(all(feature = "sqlite", feature = "testing"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use cpor::association::KeyUnit;
use cpor::catalog::EngagementId;
use cpor::store::{
    Claim, CountedKey, ImportReport, Page, PageRequest, Scope, SqliteStore, Store, StoreError,
    Stored, Synchronous, UniqueKey, Version, Write,
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

    fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        self.store().by_partner(partner, page)
    }

    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        self.store()
            .by_partner_engagement(partner, engagement, page)
    }

    fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        self.store().by_customer(scope, customer, page)
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        self.store().holder(key)
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        self.store().count(key)
    }

    fn due(&self, now: DateTime<Utc>, page: PageRequest) -> Result<Page<ClaimId>, StoreError> {
        self.store().due(now, page)
    }

    fn take_due(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<ClaimId>, StoreError> {
        self.store().take_due(now, lease, limit)
    }

    fn lease_events(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<cpor::store::Leased>, StoreError> {
        self.store().lease_events(now, lease, limit)
    }

    fn acknowledge(&self, ids: &[cpor::event::EventId]) -> Result<usize, StoreError> {
        self.store().acknowledge(ids)
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
        .query_map([], |row| row.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|id| ClaimId::from_uuid(uuid::Uuid::from_slice(&id.unwrap()).unwrap()).unwrap())
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
        let holdings = stored.claim.holdings(&cpor::Catalogs::builtin()).unwrap();
        for key in holdings.unique {
            let holder = store.holder(&key).unwrap();
            holders.push((key, holder));
        }
        if let Some((key, _)) = holdings.counted {
            let n = store.count(&key).unwrap();
            counts.push((key, n));
        }
    }
    let due = store
        .due(
            DateTime::<Utc>::MAX_UTC,
            cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT),
        )
        .unwrap()
        .items;
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
    conn.execute("UPDATE schema_version SET version = 6", [])
        .unwrap();
    drop(conn);

    let err = SqliteStore::open(dir.db()).unwrap_err();
    assert_eq!(err.code(), "store.backend");
    assert_eq!(
        err.to_string(),
        "storage back end failed: database schema version 6 is newer than the newest this \
         build knows (5); upgrade the cpor crate to open it"
    );
    // Refusing changed nothing.
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    let version: i64 = conn
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 6);
}

#[test]
fn a_body_of_an_unknown_format_is_refused_as_corrupt() {
    let dir = TempDir::new();
    let store = Arc::new(SqliteStore::open(dir.db()).unwrap());
    testing::import_reports_each_claim(&|| Arc::clone(&store)).unwrap();
    let id = ids_in(&dir.db())[0];
    drop(store);
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    // A body as a newer format would write it: its first byte is the format version.
    conn.execute(
        "UPDATE claims SET body = CAST(X'03' || substr(body, 2) AS BLOB) WHERE id = ?1",
        [id.as_uuid().as_bytes()],
    )
    .unwrap();
    drop(conn);

    let store = SqliteStore::open(dir.db()).unwrap();
    let err = store.load(Scope::Microsoft, id).unwrap_err();
    assert_eq!(err.code(), "store.corrupt");
    let message = err.to_string();
    assert!(message.contains(&id.to_string()), "{message}");
    assert!(message.contains("format 3"), "{message}");
    assert!(message.contains("newer"), "{message}");
}

#[test]
fn a_new_file_records_schema_version_5() {
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
    assert_eq!(versions, [5]);
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();
    assert_eq!(page_size, 8_192);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn due_at_the_ends_of_time() {
    let store = in_memory();
    assert_eq!(
        store
            .due(
                DateTime::<Utc>::MIN_UTC,
                cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT)
            )
            .unwrap()
            .items,
        []
    );
    assert_eq!(
        store
            .due(
                DateTime::<Utc>::MAX_UTC,
                cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT)
            )
            .unwrap()
            .items,
        []
    );
}

// ---- Migration from schema version 1 ----

/// The schema of version 1, as cpor 0.1's `SqliteStore` created it.
const SCHEMA_V1: &str = "CREATE TABLE schema_version (version INTEGER NOT NULL);
    INSERT INTO schema_version (version) VALUES (1);
    CREATE TABLE claims (
        id TEXT PRIMARY KEY,
        partner INTEGER NOT NULL,
        engagement TEXT NOT NULL,
        customer TEXT NOT NULL,
        version INTEGER NOT NULL,
        next_deadline TEXT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX claims_partner_engagement ON claims (partner, engagement);
    CREATE INDEX claims_customer ON claims (customer, partner);
    CREATE INDEX claims_next_deadline ON claims (next_deadline, id)
        WHERE next_deadline IS NOT NULL;
    CREATE TABLE unique_keys (
        key TEXT PRIMARY KEY,
        claim TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX unique_keys_claim ON unique_keys (claim);
    CREATE TABLE counted (
        claim TEXT PRIMARY KEY,
        key TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX counted_key ON counted (key);";

/// Writes `stored` into a new version-1 file as version 1 wrote it: each claim's row, its
/// keys and its counted place as JSON.
fn write_v1(path: &Path, stored: &[Stored]) {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        .unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute_batch(SCHEMA_V1).unwrap();
    for s in stored {
        let claim = &s.claim;
        let id = claim.id().to_string();
        tx.execute(
            "INSERT INTO claims (id, partner, engagement, customer, version, next_deadline, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                id,
                i64::try_from(claim.partner().get()).unwrap(),
                claim.engagement().as_str(),
                claim.customer().to_string(),
                i64::try_from(s.version.get()).unwrap(),
                claim
                    .next_deadline()
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)),
                serde_json::to_string(claim).unwrap(),
            ],
        )
        .unwrap();
        let holdings = claim.holdings(&cpor::Catalogs::builtin()).unwrap();
        for key in holdings.unique {
            tx.execute(
                "INSERT INTO unique_keys (key, claim) VALUES (?1, ?2)",
                [serde_json::to_string(&key).unwrap(), id.clone()],
            )
            .unwrap();
        }
        if let Some((key, _)) = holdings.counted {
            tx.execute(
                "INSERT INTO counted (claim, key) VALUES (?1, ?2)",
                [id.clone(), serde_json::to_string(&key).unwrap()],
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// Runs `case` on a store in a version-2 file, copies what it left into a version-1 file,
/// opens that file (which migrates it) and checks that the migrated store shows exactly the
/// same claims, keys, counts and deadlines, and still enforces its keys and limits.
fn migration_keeps(case: fn(&dyn Fn() -> Arc<SqliteStore>) -> Result<(), Failure>) {
    let made: Mutex<Vec<(TempDir, Arc<SqliteStore>)>> = Mutex::new(Vec::new());
    let factory = || {
        let dir = TempDir::new();
        let store = Arc::new(SqliteStore::open(dir.db()).unwrap());
        made.lock().unwrap().push((dir, Arc::clone(&store)));
        store
    };
    case(&factory).unwrap();

    for (dir, store) in made.into_inner().unwrap() {
        let store = Arc::into_inner(store).unwrap();
        let ids = ids_in(&dir.db());
        assert!(!ids.is_empty(), "the case left no claims");
        let before = snapshot(&store, &ids);
        drop(store);

        let v1 = TempDir::new();
        write_v1(&v1.db(), &before.0);
        let migrated = SqliteStore::open(v1.db()).unwrap();
        assert_eq!(ids_in(&v1.db()), ids);
        assert_eq!(snapshot(&migrated, &ids), before);

        check_migrated(&v1.db(), &before.0);
    }
}

/// Checks a migrated file: version 5 (an empty outbox), without the tables of version 1, claim IDs, customers
/// and keys as BLOBs, and the key tables recording for each claim exactly the keys and the
/// counted place it holds, so that its next update releases them.
fn check_migrated(path: &Path, stored: &[Stored]) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let version: i64 = conn
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 5);
    let pending: i64 = conn
        .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pending, 0);
    let old_tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('unique_keys', 'counted')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old_tables, 0);
    let not_blobs: i64 = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM claims WHERE typeof(id) != 'blob' OR length(id) != 16)
                  + (SELECT COUNT(*) FROM keys WHERE typeof(claim) != 'blob')
                  + (SELECT COUNT(*) FROM counts WHERE typeof(claim) != 'blob')
                  + (SELECT COUNT(*) FROM claims WHERE typeof(customer) != 'blob')
                  + (SELECT COUNT(*) FROM keys WHERE typeof(key) != 'blob')
                  + (SELECT COUNT(*) FROM counts WHERE typeof(key) != 'blob')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(not_blobs, 0);
    // Each body is binary, format 1, and reads back as the claim stored before.
    let mut bodies: Vec<Claim> = conn
        .prepare("SELECT body FROM claims WHERE typeof(body) = 'blob' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|body| {
            let body = body.unwrap();
            assert_eq!(body.first(), Some(&Claim::BYTES_FORMAT));
            Claim::from_bytes(&body).unwrap()
        })
        .collect();
    let mut expected: Vec<Claim> = stored.iter().map(|s| s.claim.clone()).collect();
    bodies.sort_by_key(Claim::id);
    expected.sort_by_key(Claim::id);
    assert_eq!(bodies, expected);
    let rows_of = |sql: &str| -> BTreeSet<(String, String)> {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    // Each claim is listed in `keys` once for every key it holds, and in `counts` once if
    // it counts towards a key (the snapshot checked that it is the holder of each key).
    let per_claim = |sql: &str| -> BTreeMap<String, usize> {
        let mut n = BTreeMap::new();
        for (claim, _) in rows_of(sql) {
            *n.entry(claim).or_insert(0) += 1;
        }
        n
    };
    let hex = |s: &Stored| -> String {
        s.claim
            .id()
            .as_uuid()
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    };
    let held: BTreeMap<String, usize> = stored
        .iter()
        .map(|s| {
            (
                hex(s),
                s.claim
                    .holdings(&cpor::Catalogs::builtin())
                    .unwrap()
                    .unique
                    .len(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(per_claim("SELECT hex(claim), hex(key) FROM keys"), held);
    let counting: BTreeMap<String, usize> = stored
        .iter()
        .filter(|s| {
            s.claim
                .holdings(&cpor::Catalogs::builtin())
                .unwrap()
                .counted
                .is_some()
        })
        .map(|s| (hex(s), 1))
        .collect();
    assert_eq!(
        per_claim("SELECT hex(claim), hex(key) FROM counts"),
        counting
    );
    let old_columns: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('claims')
             WHERE name IN ('held_keys', 'counted_key')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old_columns, 0);
}

#[test]
fn a_version_1_file_is_migrated_with_its_association_claims_and_keys() {
    migration_keeps(|f| testing::arbitration_moves_keys_in_one_commit(&f));
}

#[test]
fn a_version_1_file_is_migrated_with_its_activity_claims_and_counts() {
    migration_keeps(|f| testing::counted_limit_of_two(&f));
}

#[test]
fn a_version_1_file_is_migrated_with_its_deadlines() {
    migration_keeps(|f| testing::due_lists_deadlines_earliest_first(&f));
}

// ---- Migration from schema version 2 ----

/// The schema of version 2, as cpor's `SqliteStore` created it (version 1, then its migration
/// to version 2): claim IDs as text.
const SCHEMA_V2: &str = "CREATE TABLE schema_version (version INTEGER NOT NULL);
    INSERT INTO schema_version (version) VALUES (2);
    CREATE TABLE claims (
        id TEXT PRIMARY KEY,
        partner INTEGER NOT NULL,
        engagement TEXT NOT NULL,
        customer TEXT NOT NULL,
        version INTEGER NOT NULL,
        next_deadline TEXT NULL,
        body TEXT NOT NULL,
        held_keys TEXT NOT NULL DEFAULT '',
        counted_key TEXT NULL
    );
    CREATE INDEX claims_partner_engagement ON claims (partner, engagement);
    CREATE INDEX claims_customer ON claims (customer, partner);
    CREATE INDEX claims_next_deadline ON claims (next_deadline, id)
        WHERE next_deadline IS NOT NULL;
    CREATE TABLE keys (
        key TEXT PRIMARY KEY,
        claim TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE counts (
        key TEXT NOT NULL,
        claim TEXT NOT NULL,
        PRIMARY KEY (key, claim)
    ) WITHOUT ROWID;";

/// A claim ID of versions 3 and 4 (16 bytes) as version 2 stored it: lowercase hyphenated text.
fn v2_id(blob: &[u8]) -> String {
    uuid::Uuid::from_slice(blob)
        .unwrap()
        .hyphenated()
        .to_string()
}

/// A key's text of version 3 as version 2 wrote it: the tenant of an association key after
/// the partner and the engagement.
fn v2_key(v3: &str) -> String {
    let fields: Vec<&str> = v3.split('|').collect();
    match fields.as_slice() {
        ["a", tenant, engagement, unit] => format!("a|{engagement}|{tenant}|{unit}"),
        ["o", tenant, partner, engagement, unit] => {
            format!("o|{partner}|{engagement}|{tenant}|{unit}")
        }
        ["c", ..] => v3.to_owned(),
        _ => panic!("not a key of version 3: {v3}"),
    }
}

/// Writes into a new version-2 file the rows of the current file at `from`, through a
/// version-3 file (see [`write_v3`]).
fn write_v2_from_current(path: &Path, from: &Path) {
    let v3 = TempDir::new();
    write_v3(&v3.db(), from);
    write_v2(path, &v3.db());
}

/// Writes into a new version-2 file, as version 2 wrote them, the rows of the version-3 file
/// at `from`: the same claim rows (with the same rowids), key rows and counted rows, with
/// claim IDs as text and keys in the text form of version 2.
fn write_v2(path: &Path, from: &Path) {
    let v3 = rusqlite::Connection::open(from).unwrap();
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        .unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute_batch(SCHEMA_V2).unwrap();
    let mut claims = v3
        .prepare(
            "SELECT rowid, id, partner, engagement, customer, version, next_deadline, body,
                 (SELECT group_concat(key, char(10)) FROM keys WHERE keys.claim = claims.id),
                 (SELECT key FROM counts WHERE counts.claim = claims.id)
             FROM claims ORDER BY rowid",
        )
        .unwrap();
    let mut rows = claims.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let held: String = r.get::<_, Option<String>>(8).unwrap().unwrap_or_default();
        let held: Vec<String> = held
            .split('\n')
            .filter(|k| !k.is_empty())
            .map(v2_key)
            .collect();
        tx.execute(
            "INSERT INTO claims (rowid, id, partner, engagement, customer, version,
                 next_deadline, body, held_keys, counted_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                r.get::<_, i64>(0).unwrap(),
                v2_id(&r.get::<_, Vec<u8>>(1).unwrap()),
                r.get::<_, i64>(2).unwrap(),
                r.get::<_, String>(3).unwrap(),
                r.get::<_, String>(4).unwrap(),
                r.get::<_, i64>(5).unwrap(),
                r.get::<_, Option<String>>(6).unwrap(),
                serde_json::to_string(
                    &Claim::from_bytes(&r.get::<_, Vec<u8>>(7).unwrap()).unwrap()
                )
                .unwrap(),
                held.join("\n"),
                r.get::<_, Option<String>>(9).unwrap(),
            ],
        )
        .unwrap();
    }
    for (table, convert) in [
        ("keys", v2_key as fn(&str) -> String),
        ("counts", str::to_owned),
    ] {
        let mut select = v3
            .prepare(&format!("SELECT key, claim FROM {table}"))
            .unwrap();
        let mut rows = select.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            tx.execute(
                &format!("INSERT INTO {table} (key, claim) VALUES (?1, ?2)"),
                [
                    convert(&r.get::<_, String>(0).unwrap()),
                    v2_id(&r.get::<_, Vec<u8>>(1).unwrap()),
                ],
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// Runs `case` on stores in files of the current version, copies what each left into a file
/// of an older version with `write_old(old, current)`, opens that file (which migrates it)
/// and checks that the migrated store shows exactly the same claims (in the same order by
/// partner), keys, counts and deadlines, and still enforces its keys and limits.
fn migration_from_file_keeps(
    write_old: fn(&Path, &Path),
    case: fn(&dyn Fn() -> Arc<SqliteStore>) -> Result<(), Failure>,
) {
    let made: Mutex<Vec<(TempDir, Arc<SqliteStore>)>> = Mutex::new(Vec::new());
    let factory = || {
        let dir = TempDir::new();
        let store = Arc::new(SqliteStore::open(dir.db()).unwrap());
        made.lock().unwrap().push((dir, Arc::clone(&store)));
        store
    };
    case(&factory).unwrap();

    for (dir, store) in made.into_inner().unwrap() {
        let store = Arc::into_inner(store).unwrap();
        let ids = ids_in(&dir.db());
        assert!(!ids.is_empty(), "the case left no claims");
        let before = snapshot(&store, &ids);
        let partners: BTreeSet<PartnerId> = before.0.iter().map(|s| s.claim.partner()).collect();
        let by_partner = |store: &SqliteStore| -> Vec<Vec<Stored>> {
            partners
                .iter()
                .map(|p| {
                    store
                        .by_partner(
                            *p,
                            cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT),
                        )
                        .unwrap()
                        .items
                })
                .collect()
        };
        let listed = by_partner(&store);
        drop(store);

        let old = TempDir::new();
        write_old(&old.db(), &dir.db());
        let migrated = SqliteStore::open(old.db()).unwrap();
        assert_eq!(ids_in(&old.db()), ids);
        assert_eq!(snapshot(&migrated, &ids), before);
        assert_eq!(by_partner(&migrated), listed);
        drop(migrated);
        check_migrated(&old.db(), &before.0);

        // The migrated store still knows the holder of every key the stored claims hold.
        let migrated = SqliteStore::open(old.db()).unwrap();
        for stored in &before.0 {
            let Some(key) = stored
                .claim
                .holdings(&cpor::Catalogs::builtin())
                .unwrap()
                .unique
                .into_iter()
                .next()
            else {
                continue;
            };
            assert_eq!(migrated.holder(&key).unwrap(), Some(stored.claim.id()));
        }
    }
}

#[test]
fn a_version_2_file_is_migrated_with_its_association_claims_and_keys() {
    migration_from_file_keeps(write_v2_from_current, |f| {
        testing::arbitration_moves_keys_in_one_commit(&f)
    });
}

#[test]
fn a_version_2_file_is_migrated_with_its_activity_claims_and_counts() {
    migration_from_file_keeps(write_v2_from_current, |f| testing::counted_limit_of_two(&f));
}

#[test]
fn a_version_2_file_is_migrated_with_its_deadlines() {
    migration_from_file_keeps(write_v2_from_current, |f| {
        testing::due_lists_deadlines_earliest_first(&f)
    });
}

#[test]
fn a_version_2_file_with_an_import_is_migrated_without_its_refusals() {
    migration_from_file_keeps(write_v2_from_current, |f| {
        testing::import_reports_each_claim(&f)
    });
}

#[test]
fn a_version_2_file_with_a_claim_id_that_is_not_a_uuid_is_refused_unchanged() {
    let dir = TempDir::new();
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    conn.execute_batch(SCHEMA_V2).unwrap();
    conn.execute(
        "INSERT INTO claims (id, partner, engagement, customer, version, body)
         VALUES ('not-a-uuid', 1, 'mws_usage', 'tpid:1', 1, '{}')",
        [],
    )
    .unwrap();
    drop(conn);
    let err = SqliteStore::open(dir.db()).unwrap_err();
    assert_eq!(err.code(), "store.backend");
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    let version: i64 = conn
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
    let id: String = conn
        .query_row("SELECT id FROM claims", [], |r| r.get(0))
        .unwrap();
    assert_eq!(id, "not-a-uuid");
}

#[test]
fn a_version_2_file_with_a_key_that_is_not_of_version_2_is_refused_unchanged() {
    let dir = TempDir::new();
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    conn.execute_batch(SCHEMA_V2).unwrap();
    let id = "0f0e0d0c-0b0a-4908-8706-050403020100";
    conn.execute(
        "INSERT INTO claims (id, partner, engagement, customer, version, body, held_keys)
         VALUES (?1, 1, 'mws_usage', 'tpid:1', 1, '{}', 'x|not a key')",
        [id],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO keys (key, claim) VALUES ('x|not a key', ?1)",
        [id],
    )
    .unwrap();
    drop(conn);
    let err = SqliteStore::open(dir.db()).unwrap_err();
    assert_eq!(err.code(), "store.backend");
    assert!(err.to_string().contains("x|not a key"), "{err}");
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    let version: i64 = conn
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
    let key: String = conn
        .query_row("SELECT key FROM keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(key, "x|not a key");
}

// ---- Migration from schema version 3 ----

/// The schema of version 3, as cpor's `SqliteStore` created it (versions 1 and 2, then the
/// migration to version 3): customers and keys as text.
const SCHEMA_V3: &str = "CREATE TABLE schema_version (version INTEGER NOT NULL);
    INSERT INTO schema_version (version) VALUES (3);
    CREATE TABLE claims (
        id BLOB NOT NULL PRIMARY KEY,
        partner INTEGER NOT NULL,
        engagement TEXT NOT NULL,
        customer TEXT NOT NULL,
        version INTEGER NOT NULL,
        next_deadline TEXT NULL,
        body BLOB NOT NULL
    );
    CREATE TABLE keys (
        key TEXT PRIMARY KEY,
        claim BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE counts (
        key TEXT NOT NULL,
        claim BLOB NOT NULL,
        PRIMARY KEY (key, claim)
    ) WITHOUT ROWID;
    CREATE INDEX claims_partner_engagement ON claims (partner, engagement);
    CREATE INDEX claims_customer ON claims (customer, partner);
    CREATE INDEX claims_next_deadline ON claims (next_deadline, id)
        WHERE next_deadline IS NOT NULL;";

/// A key's text in version 3: `a|<tenant>|<engagement>|<unit>`,
/// `o|<tenant>|<partner>|<engagement>|<unit>` or `c|<partner>|<engagement>|<customer>`, a
/// tenant as 32 hexadecimal digits, a unit as `w:<workload>` or `s:<subscription>`.
fn v3_key(key: &UniqueKey) -> String {
    let unit = |unit: &KeyUnit| match unit {
        KeyUnit::Workload(workload) => format!("w:{workload}"),
        KeyUnit::Subscription(subscription) => format!("s:{}", subscription.as_uuid().simple()),
    };
    match key {
        UniqueKey::Associated { key } => format!(
            "a|{}|{}|{}",
            key.tenant.as_uuid().simple(),
            key.engagement,
            unit(&key.unit)
        ),
        UniqueKey::OpenAssociation { partner, key } => format!(
            "o|{}|{partner}|{}|{}",
            key.tenant.as_uuid().simple(),
            key.engagement,
            unit(&key.unit)
        ),
        UniqueKey::OpenActivity {
            partner,
            engagement,
            customer,
        } => format!("c|{partner}|{engagement}|{customer}"),
        other => panic!("a key version 3 did not know: {other:?}"),
    }
}

/// Writes into a new version-3 file, as version 3 wrote them, the rows of the current file at
/// `from`: the same claim rows (with the same rowids and bodies), each customer in its
/// canonical text, and the keys and counted places each claim holds, as text.
fn write_v3(path: &Path, from: &Path) {
    let current = rusqlite::Connection::open(from).unwrap();
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        .unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute_batch(SCHEMA_V3).unwrap();
    let mut claims = current
        .prepare(
            "SELECT rowid, id, partner, engagement, version, next_deadline, body
             FROM claims ORDER BY rowid",
        )
        .unwrap();
    let mut rows = claims.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let id: Vec<u8> = r.get(1).unwrap();
        let body: Vec<u8> = r.get(6).unwrap();
        let claim = Claim::from_bytes(&body).unwrap();
        tx.execute(
            "INSERT INTO claims (rowid, id, partner, engagement, customer, version,
                 next_deadline, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                r.get::<_, i64>(0).unwrap(),
                id,
                r.get::<_, i64>(2).unwrap(),
                r.get::<_, String>(3).unwrap(),
                claim.customer().to_string(),
                r.get::<_, i64>(4).unwrap(),
                r.get::<_, Option<String>>(5).unwrap(),
                body,
            ],
        )
        .unwrap();
        let holdings = claim.holdings(&cpor::Catalogs::builtin()).unwrap();
        for key in &holdings.unique {
            tx.execute(
                "INSERT INTO keys (key, claim) VALUES (?1, ?2)",
                rusqlite::params![v3_key(key), id],
            )
            .unwrap();
        }
        if let Some((key, _)) = holdings.counted {
            tx.execute(
                "INSERT INTO counts (key, claim) VALUES (?1, ?2)",
                rusqlite::params![format!("{}|{}", key.engagement, key.customer), id],
            )
            .unwrap();
        }
    }
    drop(rows);
    drop(claims);
    tx.commit().unwrap();
}

#[test]
fn a_version_3_file_is_migrated_with_its_association_claims_and_keys() {
    migration_from_file_keeps(write_v3, |f| {
        testing::arbitration_moves_keys_in_one_commit(&f)
    });
}

#[test]
fn a_version_3_file_is_migrated_with_its_activity_claims_and_counts() {
    migration_from_file_keeps(write_v3, |f| testing::counted_limit_of_two(&f));
}

#[test]
fn a_version_3_file_is_migrated_with_its_deadlines() {
    migration_from_file_keeps(write_v3, |f| {
        testing::due_lists_deadlines_earliest_first(&f)
    });
}

#[test]
fn a_version_3_file_with_an_import_is_migrated_without_its_refusals() {
    migration_from_file_keeps(write_v3, |f| testing::import_reports_each_claim(&f));
}

/// Makes a version-3 file of the claims `case` leaves, lets `spoil` change it, and checks
/// that opening it fails with a back-end error naming `expected`, and leaves the file at
/// version 3, with every row as it was.
fn a_spoiled_version_3_file_is_refused_unchanged(spoil: &str, code: &str, expected: &str) {
    let dir = TempDir::new();
    let store = Arc::new(SqliteStore::open(dir.db()).unwrap());
    testing::import_reports_each_claim(&|| Arc::clone(&store)).unwrap();
    drop(Arc::into_inner(store).unwrap());
    let v3 = TempDir::new();
    write_v3(&v3.db(), &dir.db());
    let conn = rusqlite::Connection::open(v3.db()).unwrap();
    conn.execute_batch(spoil).unwrap();
    let dump = |conn: &rusqlite::Connection| -> Vec<(i64, Vec<u8>, String, Vec<u8>)> {
        conn.prepare("SELECT rowid, id, customer, body FROM claims ORDER BY rowid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let keys = |conn: &rusqlite::Connection| -> Vec<(String, Vec<u8>)> {
        conn.prepare("SELECT key, claim FROM keys ORDER BY key")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let (rows, held) = (dump(&conn), keys(&conn));
    assert!(!rows.is_empty() && !held.is_empty());
    drop(conn);

    let err = SqliteStore::open(v3.db()).unwrap_err();
    assert_eq!(err.code(), code);
    assert!(err.to_string().contains(expected), "{err}");
    let conn = rusqlite::Connection::open(v3.db()).unwrap();
    let version: i64 = conn
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 3);
    assert_eq!(dump(&conn), rows);
    assert_eq!(keys(&conn), held);
}

#[test]
fn a_version_3_file_with_a_row_id_that_is_not_its_body_s_is_refused_unchanged() {
    a_spoiled_version_3_file_is_refused_unchanged(
        "UPDATE claims SET id = X'ffffffffffffffffffffffffffffffff'
         WHERE rowid = (SELECT MIN(rowid) FROM claims)",
        "store.backend",
        "not the ID of the claim in its body",
    );
}

#[test]
fn a_version_3_file_with_a_corrupt_body_is_refused_unchanged() {
    a_spoiled_version_3_file_is_refused_unchanged(
        "UPDATE claims SET body = X'01ff' WHERE rowid = (SELECT MIN(rowid) FROM claims)",
        "store.corrupt",
        "claim bytes are of format 1, which this build does not read",
    );
}
