//! What the checks of trust cost: the binary form with its checksum and the invariant check,
//! and a store's load and commit of a typical claim (3 workloads, 2 contacts, 1 PoE, 5
//! history entries), each of which now validates the claim against its catalog (and, for a
//! durable store, cross-checks the row).
//!
//! Save the `trust: checks` group, the file uses only what the crate had before those checks,
//! so that the same groups can be run on the commit before them and the medians compared.

use std::hint::black_box;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use cpor::store::{Claim, InMemoryStore, Scope, SqliteStore, Store, Synchronous, Write};
use cpor::{Catalog, ClaimId};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

#[path = "support/mod.rs"]
mod support;

/// How many claims each store holds before it is measured.
fn prefill() -> usize {
    if support::quick() { 200 } else { 10_000 }
}

fn claims(range: std::ops::Range<usize>) -> Vec<Claim> {
    let catalog = Catalog::builtin();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    range
        .map(|n| support::approved(n, &catalog, t0).into())
        .collect()
}

fn bytes(c: &mut Criterion) {
    let claim = claims(7..8).remove(0);
    let encoded = claim.to_bytes();
    let mut group = c.benchmark_group("trust: binary form");
    group.bench_function("Claim::to_bytes", |b| {
        b.iter(|| black_box(&claim).to_bytes())
    });
    group.bench_function("Claim::from_bytes", |b| {
        b.iter(|| Claim::from_bytes(black_box(&encoded)).unwrap())
    });
    group.finish();
    let catalogs = cpor::Catalogs::builtin();
    let mut group = c.benchmark_group("trust: checks");
    group.bench_function("Claim::validate (the catalog's rules)", |b| {
        b.iter(|| black_box(&claim).validate(black_box(&catalogs)).unwrap())
    });
    group.finish();
}

/// Loads of stored claims in turn, and commits of new approved claims.
fn load_and_commit(c: &mut Criterion, name: &str, store: &dyn Store) {
    let n = prefill();
    for chunk in claims(0..n).chunks(1_000) {
        assert!(store.import(chunk.to_vec()).unwrap().is_complete());
    }
    let ids: Vec<ClaimId> = (0..n)
        .map(|i| ClaimId::from_uuid(uuid::Uuid::from_u128(i as u128 + 1)).unwrap())
        .collect();
    let mut group = c.benchmark_group(format!("trust: {name}"));
    let mut i = 0_usize;
    group.bench_function("load", |b| {
        b.iter(|| {
            i = (i + 7) % ids.len();
            black_box(store.load(Scope::Microsoft, ids[i]).unwrap().unwrap())
        })
    });
    let mut next = n;
    group.bench_function("commit (create an approved claim)", |b| {
        b.iter_batched(
            || {
                next += 1;
                Write::create(claims(next..next + 1).remove(0))
            },
            |write| black_box(store.commit(vec![write]).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn memory(c: &mut Criterion) {
    load_and_commit(c, "in-memory store", &InMemoryStore::new());
}

fn sqlite(c: &mut Criterion) {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("cpor-bench-trust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open_with(dir.join("claims.db"), Synchronous::Normal).unwrap();
    load_and_commit(c, "sqlite store (NORMAL)", &store);
    drop(store);
    let _ = std::fs::remove_dir_all(dir);
}

fn postgres(c: &mut Criterion) {
    let Ok(url) = std::env::var("CPOR_PG_URL") else {
        eprintln!("CPOR_PG_URL is unset: the PostgreSQL group of the trust bench did not run");
        return;
    };
    let schema = format!("cpor_bench_trust_{}", std::process::id());
    let store = cpor::store::PgStore::connect_in_schema(&url, &schema).unwrap();
    load_and_commit(c, "postgres store", &store);
    drop(store);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        if let Ok((client, connection)) = url
            .parse::<tokio_postgres::Config>()
            .unwrap()
            .connect(tokio_postgres::NoTls)
            .await
        {
            tokio::spawn(connection);
            let _ = client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .await;
        }
    });
}

criterion_group!(benches, bytes, memory, sqlite, postgres);
criterion_main!(benches);
