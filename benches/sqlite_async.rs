//! `SqliteStore`'s readers and its async API, in a file (WAL, `synchronous = NORMAL`):
//!
//! - `sqlite reads beside a writer`: loads of random claims of a prefilled store (10,000
//!   claims; 1,000 in short mode) from 4 reader threads (the store's default number of
//!   readers), with no writer, then while a writer thread commits new claims continuously,
//!   in one run. After the two measurements the bench prints both rates and their ratio
//!   (reads per second with the writer over reads per second without it), the medians of
//!   three alternated fixed-time runs of each (2 s; 0.2 s in short mode). The reference
//!   is the same reads and writes through a store of the same file with no readers
//!   (`SqliteOptions::readers(0)`: one connection, as before the pool), whose reads wait
//!   behind each commit;
//! - `sqlite async commands`: commands per second through `AsyncClaims<SqliteStore>` on a
//!   multi-threaded tokio runtime (2 workers), with 1, 8 and 32 concurrent clients (tokio
//!   tasks), each driving claims of its own through a create and four commands (attach a
//!   proof of execution, submit, start the review, approve): five commits and four loads
//!   per claim. One iteration is one such claim, five commands; the throughput is in
//!   commands.
//!
//! Every database is a file in a directory of its own under the system's temporary
//! directory, removed at the end. `CPOR_BENCH_QUICK=1` shortens the prefill and the
//! measurements, so that the whole run takes seconds (CI). Run with
//! `cargo bench --features sqlite --bench sqlite_async`.

mod support;

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use cpor::association::{
    Acknowledgement, Arbitration, AssociationCommand, AssociationForm, CompanyContactForm,
    CustomerContactForm,
};
use cpor::service::AsyncClaims;
use cpor::store::{Claim, Scope, SqliteOptions, SqliteStore, Store, Synchronous, Write};
use cpor::{Actor, Catalog, Catalogs, ClaimId, TenantId, Text, UserId};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use support::quick;

/// The reader threads of the read benchmark: as many as the store has readers.
const READERS: usize = SqliteOptions::DEFAULT_READERS;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// A directory of its own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("cpor-bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
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

fn open(dir: &TempDir) -> SqliteStore {
    SqliteOptions::new()
        .synchronous(Synchronous::Normal)
        .open(dir.db())
        .unwrap()
}

/// A small random number generator (xorshift), one per thread: no dependency, no lock.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Worker `i`'s share of `total` among `workers`: the shares add up to `total`.
fn share(total: u64, workers: usize, i: usize) -> u64 {
    let workers = workers as u64;
    total / workers + u64::from((i as u64) < total % workers)
}

/// `total` loads of random claims of `ids`, split over [`READERS`] threads: the wall time.
fn read_from_threads(store: &SqliteStore, ids: &[ClaimId], total: u64) -> Duration {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..READERS {
            let per_thread = share(total, READERS, t);
            scope.spawn(move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t as u64 + 1));
                for _ in 0..per_thread {
                    let id = ids[rng.below(ids.len())];
                    black_box(Store::load(store, Scope::Microsoft, id).unwrap().unwrap());
                }
            });
        }
    });
    started.elapsed()
}

/// A writer thread that commits new claims until it is stopped: how many it committed.
struct Writer {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl Writer {
    fn start(store: Arc<SqliteStore>, first: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let catalog = Catalog::builtin();
            let mut n = first;
            let mut committed = 0;
            while !stopped.load(Ordering::Relaxed) {
                let claim = support::draft(n, &support::admin(n), &catalog, t0());
                store.commit(vec![Write::create(claim)]).unwrap();
                n += 1;
                committed += 1;
            }
            committed
        });
        Self { stop, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

fn reads_beside_a_writer(c: &mut Criterion) {
    let prefill = if quick() { 1_000 } else { 10_000 };
    let dir = TempDir::new("reads");
    let store = Arc::new(open(&dir));
    let catalog = Catalog::builtin();
    let claims: Vec<Claim> = (0..prefill)
        .map(|n| support::approved(n, &catalog, t0()).into())
        .collect();
    let ids: Vec<ClaimId> = claims.iter().map(Claim::id).collect();
    assert!(store.import(claims).unwrap().is_complete());

    let mut group = c.benchmark_group("sqlite reads beside a writer");
    group.throughput(Throughput::Elements(1));
    group.bench_function("load, 4 reader threads, no writer", |b| {
        b.iter_custom(|iters| read_from_threads(&store, &ids, iters));
    });
    let writer = Writer::start(Arc::clone(&store), prefill);
    group.bench_function("load, 4 reader threads, a writer committing", |b| {
        b.iter_custom(|iters| read_from_threads(&store, &ids, iters));
    });
    writer.stop();
    // The reference: the same reads and writes on one connection (a store of the same file
    // with no readers, as `SqliteStore` was before its pool), so that reads wait behind each
    // commit.
    let single = Arc::new(
        SqliteOptions::new()
            .synchronous(Synchronous::Normal)
            .readers(0)
            .open(dir.db())
            .unwrap(),
    );
    let writer = Writer::start(Arc::clone(&single), prefill + 500_000);
    group.bench_function(
        "load, 4 threads, a writer committing, one connection",
        |b| {
            b.iter_custom(|iters| read_from_threads(&single, &ids, iters));
        },
    );
    writer.stop();
    group.finish();

    // The same two runs for a fixed time, for the ratio in one line.
    let window = if quick() {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(2)
    };
    let rate = |store: &SqliteStore| {
        let loads = AtomicU64::new(0);
        let started = Instant::now();
        std::thread::scope(|scope| {
            for t in 0..READERS {
                let (loads, ids) = (&loads, &ids);
                scope.spawn(move || {
                    let mut rng = Rng(0x2545_F491_4F6C_DD1D ^ (t as u64 + 1));
                    while started.elapsed() < window {
                        let id = ids[rng.below(ids.len())];
                        black_box(Store::load(store, Scope::Microsoft, id).unwrap());
                        loads.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        loads.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
    };
    // Alternated, three rounds each, so that a slow moment of the machine does not fall on
    // one side only: the medians.
    let (mut alone, mut beside, mut commits) = (Vec::new(), Vec::new(), Vec::new());
    let (mut one, mut one_commits) = (Vec::new(), Vec::new());
    for round in 0..3 {
        alone.push(rate(&store));
        let writer = Writer::start(Arc::clone(&store), prefill + 1_000_000 * (round + 1));
        beside.push(rate(&store));
        commits.push(writer.stop() as f64 / window.as_secs_f64());
        let writer = Writer::start(Arc::clone(&single), prefill + 1_000_000 * (round + 4));
        one.push(rate(&single));
        one_commits.push(writer.stop() as f64 / window.as_secs_f64());
    }
    let (alone, beside, commits) = (median(alone), median(beside), median(commits));
    let (one, one_commits) = (median(one), median(one_commits));
    println!(
        "sqlite reads beside a writer (medians of 3 alternated runs of {window:?}): \
         {alone:.0} loads/s alone, {beside:.0} loads/s with a writer committing \
         ({commits:.0} commits/s): ratio {:.2}; on one connection with the writer \
         {one:.0} loads/s ({one_commits:.0} commits/s): ratio {:.2}",
        beside / alone,
        one / alone
    );
    drop(single);
    drop(store);
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The form of claim `n`: a tenant of its own, so that no two claims share a key.
fn form(n: usize) -> AssociationForm {
    let tenant =
        TenantId::from_uuid(uuid::Uuid::from_u128(0x0A5C_0000_0000_0000 + n as u128)).unwrap();
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

/// The commands of one claim run: a create and four commands.
const COMMANDS_PER_CLAIM: u64 = 5;

/// One client's claim: created, then taken to approval.
async fn drive_one(claims: &AsyncClaims<SqliteStore>, n: usize, reviewer: &Actor) {
    let admin = support::admin(n);
    let id = ClaimId::from_uuid(uuid::Uuid::from_u128(0x0B00_0000 + n as u128)).unwrap();
    let mut now = t0();
    claims
        .create_association(id, &form(n), &admin, now)
        .await
        .unwrap();
    let steps = [
        (
            AssociationCommand::AttachPoe {
                reference: Text::parse("sow-signed.pdf").unwrap(),
            },
            &admin,
        ),
        (
            AssociationCommand::Submit {
                acknowledgement: Acknowledgement::Given,
            },
            &admin,
        ),
        (AssociationCommand::StartReview, reviewer),
        (
            AssociationCommand::Approve {
                arbitration: Arbitration::None,
            },
            reviewer,
        ),
    ];
    for (command, actor) in &steps {
        now += chrono::Duration::hours(1);
        claims.association(id, command, actor, now).await.unwrap();
    }
}

/// `claim_runs` claim runs split over `clients` tasks: the wall time.
fn drive(
    runtime: &tokio::runtime::Runtime,
    claims: &Arc<AsyncClaims<SqliteStore>>,
    next: &Arc<AtomicUsize>,
    clients: usize,
    claim_runs: u64,
) -> Duration {
    runtime.block_on(async {
        let started = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|client| {
                let per_client = share(claim_runs, clients, client);
                let (claims, next) = (Arc::clone(claims), Arc::clone(next));
                tokio::spawn(async move {
                    let reviewer =
                        Actor::reviewer(UserId::parse("reviewer@microsoft.com").unwrap());
                    for _ in 0..per_client {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        drive_one(&claims, n, &reviewer).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        started.elapsed()
    })
}

fn async_commands(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = TempDir::new("async");
    let claims = Arc::new(AsyncClaims::new(open(&dir), Catalogs::builtin()));
    let next = Arc::new(AtomicUsize::new(0));
    let mut group = c.benchmark_group("sqlite async commands");
    group.throughput(Throughput::Elements(COMMANDS_PER_CLAIM));
    for clients in [1, 8, 32] {
        group.bench_function(format!("{clients} clients"), |b| {
            // One iteration is one claim run (five commands): the throughput is in commands.
            b.iter_custom(|iters| drive(&runtime, &claims, &next, clients, iters));
        });
    }
    group.finish();
    drop(claims);
}

fn config() -> Criterion {
    let criterion = Criterion::default().sample_size(20);
    if quick() {
        criterion
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(500))
    } else {
        criterion.measurement_time(Duration::from_secs(5))
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = reads_beside_a_writer, async_commands
}
criterion_main!(benches);
