//! `SqliteStore` in a file (WAL), each figure beside its baseline in one run:
//!
//! - `sqlite commit (<synchronous>)`: a create of a typical claim through `Store::commit`,
//!   beside a raw `rusqlite` one-row transaction (`BEGIN IMMEDIATE`; `INSERT` of the claim's
//!   row, its ID as the same 16 bytes, its customer in the same binary form and its body as
//!   the same bytes (`Claim::to_bytes`, encoded in the timed routine), into the same `claims`
//!   table of the same schema; `COMMIT`) on a connection with the same settings (issue 6
//!   target: ≤ 1.5×),
//!   under `synchronous = FULL` (the store's default) and `NORMAL`;
//! - `sqlite import`: bulk import throughput, in claims per second, of batches of 1,000 and
//!   10,000 claims, under `FULL` (issue 6 target: ≥ 100,000 claims/s), each beside a
//!   reference: a bare connection that inserts the very rows the store writes for the same
//!   claims (read back from a scratch store in memory, outside the timing), one plain `INSERT` per row,
//!   one transaction per batch, with the same cache. It has no rule to check and no row to
//!   make, so it shows how much of an import is SQLite's own work (no target);
//! - `sqlite commit growth`: the same commit at 1,000, 100,000 and 1,000,000 stored claims
//!   (prefilled by `import`), under `NORMAL`, so that the disk's flush does not hide the
//!   growth.
//!
//! Every database is a file in a directory of its own under the system's temporary
//! directory, removed at the end. `CPOR_BENCH_QUICK=1` caps the prefills at 1,000 claims and
//! shortens the measurements, so that the whole run takes seconds (CI). Run with
//! `cargo bench -p cpor-benches --bench sqlite`.

mod support;

use support::TempDir;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use cpor::store::{Claim, SqliteStore, Store, Synchronous, Write};
use cpor::{Catalog, CustomerId};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rusqlite::{Connection, TransactionBehavior, params};

/// Whether CI asked for a short run.
fn quick() -> bool {
    std::env::var("CPOR_BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// The prefill sizes of the growth benchmark.
fn growth_sizes() -> Vec<usize> {
    if quick() {
        vec![1_000]
    } else {
        vec![1_000, 100_000, 1_000_000]
    }
}

/// The claims of one batch of a prefill or an import.
const PREFILL_BATCH: usize = 10_000;

/// Makes typical claims (`support::draft`: 3 workloads, 2 contacts) with fresh numbers.
struct Claims {
    catalog: Catalog,
    t0: DateTime<Utc>,
    next: usize,
}

impl Claims {
    fn new() -> Self {
        Self {
            catalog: Catalog::builtin(),
            t0: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
            next: 0,
        }
    }

    fn one(&mut self) -> Claim {
        let n = self.next;
        self.next += 1;
        support::draft(n, &support::admin(n), &self.catalog, self.t0).into()
    }

    fn batch(&mut self, size: usize) -> Vec<Claim> {
        (0..size).map(|_| self.one()).collect()
    }
}

fn sync_name(synchronous: Synchronous) -> &'static str {
    match synchronous {
        Synchronous::Off => "OFF",
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    }
}

/// Imports `size` fresh claims, in batches, all accepted.
fn prefill(store: &SqliteStore, claims: &mut Claims, size: usize) {
    let mut left = size;
    while left > 0 {
        let batch = left.min(PREFILL_BATCH);
        let report = store.import(claims.batch(batch)).unwrap();
        assert!(report.is_complete());
        left -= batch;
    }
}

/// The store's `customer` column for a claim (schema version 4): the kind byte of a tenant,
/// 1, then its 16 bytes. Every claim of these benchmarks is about a tenant.
fn customer_column(claim: &Claim) -> Vec<u8> {
    match claim.customer() {
        CustomerId::Tenant(tenant) => [&[1][..], tenant.as_uuid().as_bytes()].concat(),
        other => panic!("the benchmarks' claims are about tenants, not {other}"),
    }
}

/// The baseline: a bare connection to a database of the store's schema, with the same
/// journal and synchronous settings, that inserts one claim row per transaction.
struct Raw {
    connection: Connection,
}

impl Raw {
    const INSERT: &str =
        "INSERT INTO claims (id, partner, engagement, customer, version, next_deadline, body)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)";

    fn open(dir: &TempDir, synchronous: Synchronous) -> Self {
        // The store creates the schema; then it is closed and only the bare connection writes.
        drop(SqliteStore::open_with(dir.db(), synchronous).unwrap());
        let connection = Connection::open(dir.db()).unwrap();
        connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .unwrap();
        connection
            .pragma_update(None, "synchronous", sync_name(synchronous))
            .unwrap();
        Self { connection }
    }

    fn insert(&mut self, claim: &Claim) {
        let body = claim.to_bytes();
        let deadline = claim
            .next_deadline()
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Nanos, true));
        let tx = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        tx.prepare_cached(Self::INSERT)
            .unwrap()
            .execute(params![
                claim.id().as_uuid().as_bytes(),
                i64::try_from(claim.partner().get()).unwrap(),
                claim.engagement().as_str(),
                customer_column(claim),
                deadline,
                body,
            ])
            .unwrap();
        tx.commit().unwrap();
    }
}

fn commit_beside_raw(c: &mut Criterion) {
    let mut claims = Claims::new();
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        let (raw_dir, store_dir) = (TempDir::new("sqlite-raw"), TempDir::new("sqlite-store"));
        let mut raw = Raw::open(&raw_dir, synchronous);
        let store = SqliteStore::open_with(store_dir.db(), synchronous).unwrap();
        // Both start from the same 1,000 claims.
        for claim in claims.batch(1_000) {
            raw.insert(&claim);
            store.commit(vec![Write::create(claim)]).unwrap();
        }
        let mut group = c.benchmark_group(format!("sqlite commit ({})", sync_name(synchronous)));
        group.bench_function("raw rusqlite one-row transaction (baseline)", |b| {
            b.iter_batched(
                || claims.one(),
                |claim| raw.insert(black_box(&claim)),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("SqliteStore::commit (create)", |b| {
            b.iter_batched(
                || Write::create(claims.one()),
                |write| black_box(store.commit(vec![write]).unwrap()),
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

/// One claim's rows as the store wrote them: the `claims` row and its rows of `keys`.
struct Rows {
    id: Vec<u8>,
    partner: i64,
    engagement: String,
    customer: Vec<u8>,
    version: i64,
    next_deadline: Option<String>,
    body: Vec<u8>,
    keys: Vec<Vec<u8>>,
}

/// The rows an import of `batch` writes, read back from a scratch store in memory: the
/// reference writes the very same bytes without knowing how the store makes them.
fn rows_of(batch: Vec<Claim>) -> Vec<Rows> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let uri = format!(
        "file:cpor-bench-rows-{}?mode=memory&cache=shared",
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    // Opened first, so that the database outlives the store.
    let connection = Connection::open(&uri).unwrap();
    let store = SqliteStore::open(&uri).unwrap();
    assert!(store.import(batch).unwrap().is_complete());
    drop(store);
    let mut keys: HashMap<Vec<u8>, Vec<Vec<u8>>> = HashMap::new();
    let mut select = connection.prepare("SELECT key, claim FROM keys").unwrap();
    let mut found = select.query([]).unwrap();
    while let Some(row) = found.next().unwrap() {
        keys.entry(row.get(1).unwrap())
            .or_default()
            .push(row.get(0).unwrap());
    }
    let mut claims = connection
        .prepare(
            "SELECT id, partner, engagement, customer, version, next_deadline, body
             FROM claims ORDER BY rowid",
        )
        .unwrap();
    claims
        .query_map([], |r| {
            let id: Vec<u8> = r.get(0)?;
            Ok(Rows {
                keys: keys.remove(&id).unwrap_or_default(),
                id,
                partner: r.get(1)?,
                engagement: r.get(2)?,
                customer: r.get(3)?,
                version: r.get(4)?,
                next_deadline: r.get(5)?,
                body: r.get(6)?,
            })
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// The reference of the import: a bare connection to a file of the store's schema, with the
/// same journal, synchronous and cache settings, that inserts rows already made, one
/// statement per row, in one transaction per batch.
struct RawImport {
    connection: Connection,
}

impl RawImport {
    fn open(dir: &TempDir) -> Self {
        Self {
            connection: Raw::open(dir, Synchronous::Full).connection,
        }
    }

    /// One batch, with the page cache the store takes for an import (64 MiB, then back to
    /// SQLite's default).
    fn insert(&mut self, rows: Vec<Rows>) {
        self.connection
            .pragma_update(None, "cache_size", -65_536)
            .unwrap();
        let tx = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        {
            let mut claim = tx
                .prepare(
                    "INSERT INTO claims
                         (id, partner, engagement, customer, version, next_deadline, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .unwrap();
            let mut key = tx
                .prepare("INSERT INTO keys (key, claim) VALUES (?1, ?2)")
                .unwrap();
            for row in &rows {
                claim
                    .execute(params![
                        row.id,
                        row.partner,
                        row.engagement,
                        row.customer,
                        row.version,
                        row.next_deadline,
                        row.body,
                    ])
                    .unwrap();
                for bytes in &row.keys {
                    key.execute(params![bytes, row.id]).unwrap();
                }
            }
        }
        tx.commit().unwrap();
        self.connection
            .pragma_update(None, "cache_size", -2_000)
            .unwrap();
    }
}

fn import(c: &mut Criterion) {
    let mut claims = Claims::new();
    let dir = TempDir::new("sqlite-import");
    let store = SqliteStore::open(dir.db()).unwrap();
    let raw_dir = TempDir::new("sqlite-raw-import");
    let mut raw = RawImport::open(&raw_dir);
    let mut group = c.benchmark_group("sqlite import (FULL)");
    group.sample_size(10);
    for batch in [1_000, 10_000] {
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(format!("SqliteStore::import, batches of {batch}"), |b| {
            b.iter_batched(
                || claims.batch(batch),
                |batch| {
                    let report = store.import(batch).unwrap();
                    assert!(report.is_complete());
                    report
                },
                BatchSize::LargeInput,
            )
        });
        // Its file grows as the store's does: each batch is new claims.
        group.bench_function(
            format!("raw rusqlite inserts of the same rows, batches of {batch} (reference)"),
            |b| {
                b.iter_batched(
                    || rows_of(claims.batch(batch)),
                    |rows| raw.insert(rows),
                    BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();
}

fn growth(c: &mut Criterion) {
    let mut claims = Claims::new();
    let mut group = c.benchmark_group("sqlite commit growth (NORMAL)");
    for size in growth_sizes() {
        let dir = TempDir::new("sqlite-growth");
        let store = SqliteStore::open_with(dir.db(), Synchronous::Normal).unwrap();
        prefill(&store, &mut claims, size);
        group.bench_function(
            format!("SqliteStore::commit (create) at {size} claims"),
            |b| {
                b.iter_batched(
                    || Write::create(claims.one()),
                    |write| black_box(store.commit(vec![write]).unwrap()),
                    BatchSize::SmallInput,
                )
            },
        );
        // Close the store before its file goes.
        drop(store);
    }
    group.finish();
}

fn config() -> Criterion {
    let criterion = Criterion::default().sample_size(30);
    if quick() {
        criterion
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(500))
    } else {
        criterion
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = commit_beside_raw, import, growth
}
criterion_main!(benches);
