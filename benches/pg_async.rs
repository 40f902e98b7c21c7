//! The async `PgStore` against the server of `CPOR_PG_URL` (issue 16 targets):
//!
//! - a commit that creates one typical claim (a draft with three workloads) through
//!   `AsyncStore::commit`, beside the very statement the store sends for it (its one-create
//!   commit, `FAST_CREATE`, with the same parameters) sent on one bare `tokio-postgres`
//!   connection: the store's own cost (checks, pool checkout, tracing) as a ratio, target
//!   ≤ 1.3;
//! - commands per second through `AsyncClaims<PgStore>` (16 connections) with 1, 8 and 32
//!   concurrent clients (tasks), each driving its own claims through create, attach PoE and
//!   submit.
//!
//! Both sides run on one multi-threaded tokio runtime (2 workers). The schema
//! `cpor_bench_async` is dropped and made anew at the start. After criterion's groups, a
//! paired run prints the ratio of the medians and the commands per second. Without
//! `CPOR_PG_URL` it prints a note and measures nothing. `CPOR_BENCH_QUICK=1` runs small sizes
//! in a few seconds (for CI).

mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use cpor::association::{
    Acknowledgement, AssociationCommand, AssociationForm, CompanyContactForm, CustomerContactForm,
};
use cpor::service::AsyncClaims;
use cpor::store::{AsyncStore, Claim, PgStore, Write};
use cpor::{Catalog, Catalogs, ClaimId, TenantId, Text};
use criterion::{Criterion, Throughput};
use tokio::runtime::Runtime;
use tokio_postgres::types::Json;

const SCHEMA: &str = "cpor_bench_async";

/// The store's one-create commit, as `src/store/postgres/sql.rs` has it.
const FAST_CREATE: &str = "WITH ins AS (
        INSERT INTO claims
            (id, partner, engagement, customer, version, next_deadline, next_deadline_ns, body)
        VALUES ($1, $2, $3, $4, 1, $5, $6, $7)
        ON CONFLICT (id) DO NOTHING
        RETURNING id
    ), keys AS (
        INSERT INTO unique_keys (key, claim)
        SELECT k.key, ins.id FROM ins, unnest($8::text[]) WITH ORDINALITY AS k(key, n)
        ORDER BY k.n
        ON CONFLICT (key) DO NOTHING
        RETURNING key
    ), place AS (
        INSERT INTO counted (claim, key)
        SELECT ins.id, $9::text FROM ins WHERE $9::text IS NOT NULL
        RETURNING key
    ), counter AS (
        INSERT INTO counted_keys (key, n) SELECT key, 1 FROM place
        ON CONFLICT (key) DO UPDATE SET n = counted_keys.n + 1
        RETURNING n
    ), outcome AS (
        SELECT (SELECT count(*) FROM ins) = 1
            AND (SELECT count(*) FROM keys) = cardinality($8::text[])
            AND coalesce((SELECT n FROM counter) <= $10::bigint, true) AS accepted
    )
    SELECT CASE WHEN accepted THEN 1 ELSE refuse_commit() END FROM outcome";

/// Claim numbers, never reused within a run.
static NEXT: AtomicUsize = AtomicUsize::new(1);

fn next_n() -> usize {
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn draft(n: usize, catalog: &Catalog) -> Claim {
    support::draft(n, &support::admin(n), catalog, t0()).into()
}

/// The form of claim `n`: its own tenant, so that no two claims share a key.
fn form(n: usize) -> AssociationForm {
    let tenant =
        TenantId::from_uuid(uuid::Uuid::from_u128(0x00C0_FFEE_0000_0000 + n as u128)).unwrap();
    AssociationForm {
        name: "Contoso Teams rollout".into(),
        tenant: tenant.to_string(),
        solution_area: "modern_work_security".into(),
        role: "use_or_consume".into(),
        workloads: vec!["teams".into(), "exchange".into(), "intune".into()],
        customer_contact: CustomerContactForm {
            name: "Megan Bowen".into(),
            title: "CIO".into(),
            email: "megan@contoso.com".into(),
        },
        company_contact: CompanyContactForm {
            name: "Alex Wilber".into(),
            email: "alex@fabrikam.com".into(),
        },
        ..AssociationForm::default()
    }
}

/// One bare connection, on the runtime, with the store's schema first on its path.
async fn bare(url: &str) -> tokio_postgres::Client {
    let (client, connection) = url
        .parse::<tokio_postgres::Config>()
        .unwrap()
        .connect(tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!("SET search_path TO {SCHEMA}"))
        .await
        .unwrap();
    client
}

/// The one-create statement on the bare connection, with the parameters the store derives.
async fn bare_create(
    client: &tokio_postgres::Client,
    statement: &tokio_postgres::Statement,
    claim: &Claim,
    catalogs: &Catalogs,
) {
    let holdings = claim.holdings(catalogs).unwrap();
    let mut keys: Vec<String> = holdings
        .unique
        .iter()
        .map(|k| serde_json::to_string(k).unwrap())
        .collect();
    keys.sort_unstable();
    let counted = holdings
        .counted
        .as_ref()
        .map(|(k, _)| serde_json::to_string(k).unwrap());
    let limit = holdings.counted.as_ref().map(|(_, l)| i64::from(*l));
    let deadline = claim.next_deadline();
    let ns = deadline.map(|t| (t.timestamp_subsec_nanos() % 1_000) as i32);
    let micros = deadline
        .map(|t| t - chrono::Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos() % 1_000)));
    let partner = claim.partner().get() as i64;
    let customer = claim.customer().to_string();
    client
        .query_one(
            statement,
            &[
                &claim.id().as_uuid(),
                &partner,
                &claim.engagement().as_str(),
                &customer,
                &micros,
                &ns,
                &Json(claim),
                &keys,
                &counted,
                &limit,
            ],
        )
        .await
        .unwrap();
}

/// Drives `clients` tasks, each creating `per_client` claims of its own through the service
/// and taking each through attach PoE and submit: returns the commands run and the time.
async fn drive(
    claims: &Arc<AsyncClaims<PgStore>>,
    clients: usize,
    per_client: usize,
) -> (usize, Duration) {
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let claims = Arc::clone(claims);
            tokio::spawn(async move {
                let poe = AssociationCommand::AttachPoe {
                    reference: Text::parse("sow.pdf").unwrap(),
                };
                let submit = AssociationCommand::Submit {
                    acknowledgement: Acknowledgement::Given,
                };
                for _ in 0..per_client {
                    let n = next_n();
                    let admin = support::admin(n);
                    let id = ClaimId::from_uuid(uuid::Uuid::from_u128(n as u128 + 1)).unwrap();
                    claims
                        .create_association(id, &form(n), &admin, t0())
                        .await
                        .unwrap();
                    claims.association(id, &poe, &admin, t0()).await.unwrap();
                    black_box(claims.association(id, &submit, &admin, t0()).await.unwrap());
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    (clients * per_client * 3, start.elapsed())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn bench(c: &mut Criterion, rt: &Runtime, url: &str, quick: bool) {
    let catalog = Catalog::builtin();
    let catalogs = Catalogs::builtin();
    let (store, client) = rt.block_on(async {
        let setup = bare(url).await;
        // The search path names a schema not made yet; drop the old one by name.
        setup
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            .await
            .unwrap();
        let store = PgStore::config(url)
            .schema(SCHEMA)
            .connect_async()
            .await
            .unwrap();
        (store, bare(url).await)
    });
    let statement = rt.block_on(client.prepare(FAST_CREATE)).unwrap();

    // A prefill, so that neither side measures an empty table.
    let prefill = if quick { 200 } else { 10_000 };
    rt.block_on(async {
        let mut n = 0;
        while n < prefill {
            let batch: Vec<Claim> = (0..500.min(prefill - n))
                .map(|_| draft(next_n(), &catalog))
                .collect();
            n += batch.len();
            assert!(
                AsyncStore::import(&store, batch)
                    .await
                    .unwrap()
                    .is_complete()
            );
        }
    });

    let mut group = c.benchmark_group("pg async commit (create)");
    group.bench_function(
        "bare tokio-postgres: the store's statement (baseline)",
        |b| {
            b.iter_custom(|iters| {
                let claims: Vec<Claim> = (0..iters).map(|_| draft(next_n(), &catalog)).collect();
                rt.block_on(async {
                    let start = Instant::now();
                    for claim in &claims {
                        bare_create(&client, &statement, claim, &catalogs).await;
                    }
                    start.elapsed()
                })
            })
        },
    );
    group.bench_function("AsyncStore::commit (create)", |b| {
        b.iter_custom(|iters| {
            let claims: Vec<Claim> = (0..iters).map(|_| draft(next_n(), &catalog)).collect();
            rt.block_on(async {
                let start = Instant::now();
                for claim in claims {
                    black_box(
                        AsyncStore::commit(&store, vec![Write::create(claim)])
                            .await
                            .unwrap(),
                    );
                }
                start.elapsed()
            })
        })
    });
    group.finish();

    // The ratio, from a paired run: rounds alternate the two sides, each a batch of commits.
    let (rounds, batch) = if quick { (3, 20) } else { (15, 400) };
    let (mut bare_us, mut store_us) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let claims: Vec<Claim> = (0..batch).map(|_| draft(next_n(), &catalog)).collect();
        let took = rt.block_on(async {
            let start = Instant::now();
            for claim in &claims {
                bare_create(&client, &statement, claim, &catalogs).await;
            }
            start.elapsed()
        });
        bare_us.push(took.as_secs_f64() * 1e6 / batch as f64);
        let claims: Vec<Claim> = (0..batch).map(|_| draft(next_n(), &catalog)).collect();
        let took = rt.block_on(async {
            let start = Instant::now();
            for claim in claims {
                AsyncStore::commit(&store, vec![Write::create(claim)])
                    .await
                    .unwrap();
            }
            start.elapsed()
        });
        store_us.push(took.as_secs_f64() * 1e6 / batch as f64);
    }
    let (bare_median, store_median) = (median(bare_us), median(store_us));
    eprintln!(
        "pg_async: one-create commit, median of {rounds} rounds of {batch}: bare {bare_median:.1} µs, \
         PgStore {store_median:.1} µs, ratio {:.2} (target <= 1.3)",
        store_median / bare_median
    );

    let claims = Arc::new(AsyncClaims::new(store, Catalogs::builtin()));
    let per_client = if quick { 2 } else { 20 };
    let mut group = c.benchmark_group("pg async service (create, attach PoE, submit)");
    group.sample_size(10);
    for clients in [1_usize, 8, 32] {
        group.throughput(Throughput::Elements((clients * per_client * 3) as u64));
        group.bench_function(format!("{clients} clients"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += drive(&claims, clients, per_client).await.1;
                    }
                    total
                })
            })
        });
    }
    group.finish();

    // Commands per second, from a run of its own per client count (median of 3).
    let per_client = if quick { 2 } else { 50 };
    for clients in [1_usize, 8, 32] {
        let rates: Vec<f64> = (0..3)
            .map(|_| {
                let (commands, took) = rt.block_on(drive(&claims, clients, per_client));
                commands as f64 / took.as_secs_f64()
            })
            .collect();
        eprintln!(
            "pg_async: {clients} clients x {per_client} claims x 3 commands: {:.0} commands/s (median of 3)",
            median(rates)
        );
    }
}

fn main() {
    let Ok(url) = std::env::var("CPOR_PG_URL") else {
        eprintln!("CPOR_PG_URL is unset: the pg_async benchmark measures nothing");
        return;
    };
    let quick = support::quick();
    let mut criterion = if quick {
        Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(500))
    } else {
        Criterion::default()
    };
    criterion = criterion.configure_from_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    bench(&mut criterion, &rt, &url, quick);
    criterion.final_summary();
}
