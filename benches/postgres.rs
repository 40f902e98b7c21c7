//! `PgStore` against the server of `CPOR_PG_URL`, beside raw `tokio-postgres` statements on the same
//! server, schema and session settings (issue 6 target: a per-claim commit ≤ 1.5× a raw
//! one-row transaction):
//!
//! - a commit that creates one typical claim (a draft with three workloads: one claim row and
//!   three uniqueness keys), beside `BEGIN; INSERT` of the same row, with the same JSON body,
//!   into a table like the store's `claims` (`LIKE claims INCLUDING ALL`: the same columns and
//!   indexes) `; COMMIT`;
//! - bulk import throughput (claims per second), batches of 1,000 drafts.
//!
//! Both run after a prefill of 100,000 claims in each table. The schema `cpor_bench` is
//! dropped and made anew at the start. Without `CPOR_PG_URL` it prints a note and measures
//! nothing. `CPOR_BENCH_QUICK=1` runs small sizes in a few seconds (for CI).

mod support;

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use cpor::store::{Claim, PgStore, Store, Write};
use cpor::{Catalog, ClaimId};
use criterion::{BatchSize, Criterion, Throughput};
use tokio_postgres::types::Json;

const SCHEMA: &str = "cpor_bench";

struct Sizes {
    prefill: usize,
    batch: usize,
}

fn draft(n: usize, catalog: &Catalog, t0: DateTime<Utc>) -> Claim {
    support::draft(n, &support::admin(n), catalog, t0).into()
}

/// A raw blocking client: `tokio-postgres` on a current-thread runtime of its own.
struct Raw {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Raw {
    fn batch_execute(&mut self, sql: &str) -> Result<(), tokio_postgres::Error> {
        self.runtime.block_on(self.client.batch_execute(sql))
    }

    fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<tokio_postgres::Row, tokio_postgres::Error> {
        self.runtime.block_on(self.client.query_one(sql, params))
    }

    fn prepare(&mut self, sql: &str) -> Result<tokio_postgres::Statement, tokio_postgres::Error> {
        self.runtime.block_on(self.client.prepare(sql))
    }
}

fn connect(url: &str) -> Raw {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (client, connection) = runtime
        .block_on(
            url.parse::<tokio_postgres::Config>()
                .unwrap()
                .connect(tokio_postgres::NoTls),
        )
        .unwrap();
    runtime.spawn(connection);
    let mut client = Raw { runtime, client };
    client
        .batch_execute(&format!("SET search_path TO {SCHEMA}"))
        .unwrap();
    client
}

/// The raw insert of one claim row, as the store's `claims` table takes it.
const RAW_INSERT: &str = "INSERT INTO raw_claims
    (id, partner, engagement, customer, version, next_deadline, next_deadline_ns, body)
    VALUES ($1, $2, $3, $4, 1, $5, $6, $7)";

/// One raw one-row transaction: `BEGIN; INSERT; COMMIT`.
fn raw_create(client: &mut Raw, insert: &tokio_postgres::Statement, claim: &Claim) {
    let deadline = claim.next_deadline();
    let ns = deadline.map(|t| (t.timestamp_subsec_nanos() % 1_000) as i32);
    let partner = claim.partner().get() as i64;
    let customer = claim.customer().to_string();
    let Raw { runtime, client } = client;
    runtime.block_on(async {
        let tx = client.transaction().await.unwrap();
        tx.execute(
            insert,
            &[
                &claim.id().as_uuid(),
                &partner,
                &claim.engagement().as_str(),
                &customer,
                &deadline,
                &ns,
                &Json(claim),
            ],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    });
}

fn bench(c: &mut Criterion, url: &str, sizes: &Sizes) {
    let catalog = Catalog::builtin();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();

    let mut client = connect(url);
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        .unwrap();
    let store = PgStore::connect_in_schema(url, SCHEMA).unwrap();
    client
        .batch_execute("CREATE TABLE raw_claims (LIKE claims INCLUDING ALL)")
        .unwrap();
    for setting in ["server_version", "synchronous_commit", "fsync"] {
        let value: String = client
            .query_one(&format!("SHOW {setting}"), &[])
            .unwrap()
            .get(0);
        eprintln!("postgres {setting} = {value}");
    }

    // The prefill: the same claims in the store and in the raw table.
    let mut next = 0;
    while next < sizes.prefill {
        let end = (next + 1_000).min(sizes.prefill);
        let claims: Vec<Claim> = (next..end).map(|n| draft(n, &catalog, t0)).collect();
        assert!(store.import(claims).unwrap().is_complete());
        next = end;
    }
    client
        .batch_execute(
            "INSERT INTO raw_claims OVERRIDING SYSTEM VALUE SELECT * FROM claims;
             ANALYZE",
        )
        .unwrap();
    let insert = client.prepare(RAW_INSERT).unwrap();

    let mut group = c.benchmark_group(format!(
        "postgres commit (create) at {} claims",
        sizes.prefill
    ));
    let mut raw_next = next;
    group.bench_function("raw BEGIN; INSERT one row; COMMIT (baseline)", |b| {
        b.iter_batched(
            || {
                raw_next += 1;
                draft(raw_next, &catalog, t0)
            },
            |claim| raw_create(&mut client, &insert, &claim),
            BatchSize::SmallInput,
        )
    });
    let mut store_next = next;
    group.bench_function("PgStore::commit (create)", |b| {
        b.iter_batched(
            || {
                store_next += 1;
                Write::create(draft(store_next, &catalog, t0))
            },
            |write| black_box(store.commit(vec![write]).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("postgres import");
    group.throughput(Throughput::Elements(sizes.batch as u64));
    group.sample_size(10);
    let mut import_next = store_next.max(raw_next) + 1_000_000;
    group.bench_function(format!("PgStore::import ({} drafts)", sizes.batch), |b| {
        b.iter_batched(
            || {
                let start = import_next;
                import_next += sizes.batch;
                (start..import_next)
                    .map(|n| draft(n, &catalog, t0))
                    .collect::<Vec<_>>()
            },
            |claims| {
                let report = store.import(claims).unwrap();
                assert!(report.is_complete());
                black_box(report)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();

    // A sanity check that both sides wrote what they claim to.
    let raw_rows: i64 = client
        .query_one("SELECT count(*) FROM raw_claims", &[])
        .unwrap()
        .get(0);
    assert!(raw_rows as usize > sizes.prefill);
    let probe = ClaimId::from_uuid(uuid::Uuid::from_u128(next as u128 + 2)).unwrap();
    assert!(
        store
            .load(cpor::store::Scope::Microsoft, probe)
            .unwrap()
            .is_some()
    );
}

fn main() {
    let Ok(url) = std::env::var("CPOR_PG_URL") else {
        eprintln!("CPOR_PG_URL is unset: the postgres benchmark measures nothing");
        return;
    };
    let quick = std::env::var("CPOR_BENCH_QUICK").is_ok_and(|v| v == "1");
    let (sizes, mut criterion) = if quick {
        (
            Sizes {
                prefill: 1_000,
                batch: 100,
            },
            Criterion::default()
                .sample_size(10)
                .warm_up_time(Duration::from_millis(200))
                .measurement_time(Duration::from_millis(500)),
        )
    } else {
        (
            Sizes {
                prefill: 100_000,
                batch: 1_000,
            },
            Criterion::default(),
        )
    };
    criterion = criterion.configure_from_args();
    bench(&mut criterion, &url, &sizes);
    criterion.final_summary();
}
