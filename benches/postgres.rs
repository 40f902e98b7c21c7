//! `PgStore` against the server of `CPOR_PG_URL`, beside raw `tokio-postgres` statements on the same
//! server, schema and session settings (issue 6 target: a per-claim commit ≤ 1.5× a raw
//! one-row transaction):
//!
//! - a commit that creates one typical claim (a draft with three workloads: one claim row and
//!   three uniqueness keys), beside `BEGIN; INSERT` of the same row, with the same JSON body,
//!   into a table like the store's `claims` (`LIKE claims INCLUDING ALL`: the same columns and
//!   indexes) `; COMMIT`;
//! - bulk import throughput (claims per second), batches of 1,000 and 10,000 drafts (each
//!   with three uniqueness keys), beside a raw `COPY ... FROM STDIN (FORMAT binary)` of the
//!   same claim rows (the columns the store writes, the same JSON body) into that table, in
//!   batches of the same size: no check, no key, no counted place (issue 18 target: 100,000
//!   claims/s in batches of 10,000, within 1.5× the raw `COPY`'s time); and beside a raw
//!   `COPY` of those claim rows and of the key rows the store writes for them (into a table
//!   like `unique_keys`), in one transaction, with no check;
//! - `postgres outbox commit (update)`: the submission of a draft with its proof of
//!   execution (an update of one claim) with its events filed in the outbox, beside the same
//!   update without events;
//! - `postgres outbox delivery`: events per second leased (batches of 100) and acknowledged
//!   by 1 and by 4 threads sharing one store, draining 20,000 pending events (1,000 in short
//!   mode); the filling, one untimed `INSERT ... SELECT` of rows as a commit writes them, is
//!   not timed.
//!
//! All run after a prefill of 100,000 claims in each table. The schema `cpor_bench` (or
//! `CPOR_BENCH_SCHEMA`) is dropped and made anew at the start. Without `CPOR_PG_URL` it prints
//! a note and measures nothing. `CPOR_BENCH_QUICK=1` runs small sizes in a few seconds (for CI).

mod support;

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use cpor::store::{Claim, PgStore, Store, Write};
use cpor::{Catalog, Catalogs, ClaimId};
use criterion::{BatchSize, Criterion, Throughput};
use tokio_postgres::types::Json;

/// The schema the bench makes anew: `cpor_bench`, or `CPOR_BENCH_SCHEMA` (a plain lower-case
/// identifier), so that two runs on one server do not drop each other's tables.
fn schema() -> String {
    std::env::var("CPOR_BENCH_SCHEMA").unwrap_or_else(|_| "cpor_bench".to_owned())
}

struct Sizes {
    prefill: usize,
    batches: Vec<usize>,
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
        .batch_execute(&format!("SET search_path TO {}", schema()))
        .unwrap();
    client
}

/// The raw insert of one claim row, as the store's `claims` table takes it.
const RAW_INSERT: &str = "INSERT INTO raw_claims
    (id, partner, engagement, customer, version, next_deadline, next_deadline_ns, body)
    VALUES ($1, $2, $3, $4, 1, $5, $6, $7)";

/// The raw `COPY` of claim rows, as the store's `claims` table takes them.
const RAW_COPY: &str = "COPY raw_claims
    (id, partner, engagement, customer, version, next_deadline, next_deadline_ns, body)
    FROM STDIN (FORMAT binary)";

/// The raw `COPY` of key rows, as the store's `unique_keys` table takes them.
const RAW_COPY_KEYS: &str = "COPY raw_keys (key, claim) FROM STDIN (FORMAT binary)";

/// The raw `COPY` of a batch of claims: the row of each, computed as the store computes it,
/// and nothing else; with `keys`, in the same transaction, the `COPY` of the key rows the
/// store writes for them (each key's JSON and its claim, sorted by key), but no check.
fn raw_copy(client: &mut Raw, claims: &[Claim], keys: Option<&Catalogs>) {
    use tokio_postgres::binary_copy::BinaryCopyInWriter;
    use tokio_postgres::types::{ToSql, Type};
    let types = [
        Type::UUID,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::TIMESTAMPTZ,
        Type::INT4,
        Type::JSONB,
    ];
    let Raw { runtime, client } = client;
    runtime.block_on(async {
        let tx = client.transaction().await.unwrap();
        let sink = tx.copy_in(RAW_COPY).await.unwrap();
        let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
        for claim in claims {
            let deadline = claim.next_deadline();
            let micros = deadline.map(|t| {
                t - chrono::Duration::nanoseconds((t.timestamp_subsec_nanos() % 1_000) as i64)
            });
            let ns = deadline.map(|t| (t.timestamp_subsec_nanos() % 1_000) as i32);
            let partner = claim.partner().get() as i64;
            let customer = claim.customer().to_string();
            let row: [&(dyn ToSql + Sync); 8] = [
                &claim.id().as_uuid(),
                &partner,
                &claim.engagement().as_str(),
                &customer,
                &1_i64,
                &micros,
                &ns,
                &Json(claim),
            ];
            writer.as_mut().write(&row).await.unwrap();
        }
        let rows = writer.finish().await.unwrap();
        assert_eq!(rows as usize, claims.len());
        if let Some(catalogs) = keys {
            let mut rows: Vec<(String, uuid::Uuid)> = Vec::new();
            for claim in claims {
                for key in claim.holdings(catalogs).unwrap().unique {
                    rows.push((serde_json::to_string(&key).unwrap(), claim.id().as_uuid()));
                }
            }
            rows.sort_unstable();
            let sink = tx.copy_in(RAW_COPY_KEYS).await.unwrap();
            let mut writer =
                std::pin::pin!(BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::UUID]));
            for (key, claim) in &rows {
                writer.as_mut().write(&[key, claim]).await.unwrap();
            }
            writer.finish().await.unwrap();
        }
        tx.commit().await.unwrap();
    });
}

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
    let catalogs = Catalogs::builtin();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();

    let mut client = connect(url);
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", schema()))
        .unwrap();
    let store = PgStore::connect_in_schema(url, &schema()).unwrap();
    client
        .batch_execute(
            "CREATE TABLE raw_claims (LIKE claims INCLUDING ALL);
             CREATE TABLE raw_keys (LIKE unique_keys INCLUDING ALL)",
        )
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
             INSERT INTO raw_keys SELECT * FROM unique_keys;
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
    group.sample_size(10);
    let mut import_next = store_next.max(raw_next) + 1_000_000;
    for &batch in &sizes.batches {
        group.throughput(Throughput::Elements(batch as u64));
        let mut next_batch = || {
            let start = import_next;
            import_next += batch;
            (start..import_next)
                .map(|n| draft(n, &catalog, t0))
                .collect::<Vec<_>>()
        };
        group.bench_function(format!("PgStore::import, batches of {batch}"), |b| {
            b.iter_batched(
                &mut next_batch,
                |claims| {
                    let report = store.import(claims).unwrap();
                    assert!(report.is_complete());
                    black_box(report)
                },
                BatchSize::PerIteration,
            )
        });
        // Its table grows as the store's does: each batch is new claims.
        group.bench_function(
            format!("raw COPY of the same rows, batches of {batch} (reference)"),
            |b| {
                b.iter_batched(
                    &mut next_batch,
                    |claims| raw_copy(&mut client, &claims, None),
                    BatchSize::PerIteration,
                )
            },
        );
        // The same, with the key rows the store writes: what is left of the store's time is
        // its checks and its counted places.
        group.bench_function(
            format!("raw COPY of the same rows and their key rows, batches of {batch} (reference)"),
            |b| {
                b.iter_batched(
                    &mut next_batch,
                    |claims| raw_copy(&mut client, &claims, Some(&catalogs)),
                    BatchSize::PerIteration,
                )
            },
        );
    }
    group.finish();

    // A sanity check that both sides wrote what they claim to.
    let raw_rows: i64 = client
        .query_one("SELECT count(*) FROM raw_claims", &[])
        .unwrap()
        .get(0);
    assert!(raw_rows as usize >= sizes.prefill);
    // A claim of the prefill (draft 0), there whichever groups ran.
    let probe = ClaimId::from_uuid(uuid::Uuid::from_u128(1)).unwrap();
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
                batches: vec![100],
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
                batches: vec![1_000, 10_000],
            },
            Criterion::default(),
        )
    };
    criterion = criterion.configure_from_args();
    bench(&mut criterion, &url, &sizes);
    outbox_commit(&mut criterion, &url, quick);
    outbox_delivery(&mut criterion, &url, quick);
    criterion.final_summary();
}

// ---- The outbox ----

/// Drafts with their proof of execution attached, imported into the store, and their
/// submission (an update of one claim, at version 1) built beforehand.
struct Submissions {
    catalog: Catalog,
    t0: DateTime<Utc>,
    next: usize,
    ready: Vec<cpor::association::Transitioned>,
}

impl Submissions {
    fn new(first: usize) -> Self {
        Self {
            catalog: Catalog::builtin(),
            t0: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
            next: first,
            ready: Vec::new(),
        }
    }

    /// The next submission; when none is ready, imports 1,000 more drafts first (in the
    /// benchmark's setup, so untimed).
    fn take(&mut self, store: &PgStore) -> cpor::association::Transitioned {
        use cpor::association::{Acknowledgement, AssociationCommand};
        if self.ready.is_empty() {
            let mut drafts = Vec::with_capacity(1_000);
            for n in self.next..self.next + 1_000 {
                let admin = support::admin(n);
                let draft = support::draft(n, &admin, &self.catalog, self.t0);
                let poe = AssociationCommand::AttachPoe {
                    reference: cpor::Text::parse("sow-signed.pdf").unwrap(),
                };
                let with_poe = draft
                    .transition(&poe, &admin, self.t0, &self.catalog)
                    .unwrap()
                    .claim;
                let submit = AssociationCommand::Submit {
                    acknowledgement: Acknowledgement::Given,
                };
                let at = self.t0 + chrono::Duration::hours(1);
                self.ready.push(
                    with_poe
                        .transition(&submit, &admin, at, &self.catalog)
                        .unwrap(),
                );
                drafts.push(Claim::from(with_poe));
            }
            self.next += 1_000;
            assert!(store.import(drafts).unwrap().is_complete());
            self.ready.reverse();
        }
        self.ready.pop().unwrap()
    }
}

/// A commit of one update with its events in the outbox, beside the same update without.
fn outbox_commit(c: &mut Criterion, url: &str, quick: bool) {
    let store = PgStore::connect_in_schema(url, &schema()).unwrap();
    let mut with = Submissions::new(20_000_000);
    let mut without = Submissions::new(30_000_000);
    let events = with.take(&store).events.len();
    let mut group = c.benchmark_group("postgres outbox commit (update)");
    if quick {
        group.sample_size(10);
    }
    group.bench_function("PgStore::commit (update, no events) (baseline)", |b| {
        b.iter_batched(
            || Write::update(without.take(&store).claim, cpor::store::Version::FIRST),
            |write| black_box(store.commit(vec![write]).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function(
        format!("PgStore::commit (update with its {events} events in the outbox)"),
        |b| {
            b.iter_batched(
                || {
                    let t = with.take(&store);
                    Write::update(t.claim, cpor::store::Version::FIRST).with_events(t.events)
                },
                |write| black_box(store.commit(vec![write]).unwrap()),
                BatchSize::SmallInput,
            )
        },
    );
    group.finish();
    // Deliver what the commits filed, so that the delivery groups start from an empty outbox.
    loop {
        let batch = store
            .lease_events(Utc::now(), Duration::from_secs(60), 1_000)
            .unwrap();
        if batch.is_empty() {
            break;
        }
        let ids: Vec<cpor::event::EventId> = batch.iter().map(|l| l.id).collect();
        store.acknowledge(&ids).unwrap();
    }
}

/// Files `events` pending events in the outbox in one statement, as a commit files them
/// (three events a claim, the first three events of a submission's kind, as `jsonb`), under
/// claims numbered from `first`.
fn fill_outbox(client: &mut Raw, first: i64, events: i64) {
    use cpor::association::{AssociationEvent, InfoRequestReason};
    use cpor::event::Event;
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let three: Vec<Event> = vec![
        AssociationEvent::CustomerNotified {
            tenant: cpor::TenantId::parse("72f988bf-86f1-41af-91ab-2d7cd011db47").unwrap(),
            contact: cpor::EmailAddress::parse("megan@contoso.com").unwrap(),
            opt_out_until: t0,
        }
        .into(),
        AssociationEvent::InfoRequested {
            reason: InfoRequestReason::MissingAllPoe,
            respond_by: t0,
        }
        .into(),
        cpor::activity::ActivityEvent::PayoutDue { amount: None }.into(),
    ];
    let json: Vec<Json<&Event>> = three.iter().map(Json).collect();
    let Raw { runtime, client } = client;
    runtime
        .block_on(client.execute(
            "INSERT INTO outbox (claim, version, idx, event)
             SELECT ('00000000-0000-4000-8000-' || lpad(to_hex($1::bigint + i / 3), 12, '0'))::uuid,
                 1, (i % 3)::int, ($3::jsonb[])[i % 3 + 1]
             FROM generate_series(0::bigint, $2::bigint - 1) AS i",
            &[&first, &events, &json],
        ))
        .unwrap();
}

/// Events per second leased (batches of 100) and acknowledged by 1 and by 4 threads sharing
/// one store, draining a full outbox.
fn outbox_delivery(c: &mut Criterion, url: &str, quick: bool) {
    let store = PgStore::connect_in_schema(url, &schema()).unwrap();
    let mut client = connect(url);
    let events: i64 = if quick { 1_000 } else { 20_000 };
    let mut next_claim: i64 = 1;
    let mut group = c.benchmark_group("postgres outbox delivery");
    group.sample_size(10);
    group.sampling_mode(criterion::SamplingMode::Flat);
    group.throughput(Throughput::Elements(events as u64));
    for workers in [1_usize, 4] {
        group.bench_function(format!("{workers} worker(s), batches of 100"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    fill_outbox(&mut client, next_claim, events);
                    next_claim += events;
                    let now = Utc::now();
                    let start = std::time::Instant::now();
                    let delivered: usize = std::thread::scope(|scope| {
                        let handles: Vec<_> = (0..workers)
                            .map(|_| {
                                scope.spawn(|| {
                                    let mut delivered = 0;
                                    loop {
                                        let batch = store
                                            .lease_events(now, Duration::from_secs(60), 100)
                                            .unwrap();
                                        if batch.is_empty() {
                                            return delivered;
                                        }
                                        let ids: Vec<cpor::event::EventId> =
                                            batch.iter().map(|l| l.id).collect();
                                        delivered += black_box(store.acknowledge(&ids).unwrap());
                                    }
                                })
                            })
                            .collect();
                        handles.into_iter().map(|h| h.join().unwrap()).sum()
                    });
                    total += start.elapsed();
                    assert_eq!(delivered as i64, events);
                }
                total
            })
        });
    }
    group.finish();
}
