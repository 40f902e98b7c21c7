//! The outbox on the memory store and on `SqliteStore` (a file, WAL), each figure beside its
//! baseline in one run:
//!
//! - `outbox commit (<store>)`: a create of a typical claim with three events (a customer
//!   notification, an information request, a payout), beside the same create without
//!   events: the cost of filing a commit's events in its own transaction;
//! - `outbox delivery (<store>)`: events per second leased (batches of 100) and acknowledged
//!   by 1 and by 4 worker threads draining an outbox of 20,000 events (1,000 in short
//!   mode); the filling is not timed.
//!
//! `CPOR_BENCH_QUICK=1` shortens everything (CI). Run with
//! `cargo bench -p cpor-benches --bench outbox`.

mod support;

use support::TempDir;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use cpor::activity::ActivityEvent;
use cpor::association::{AssociationEvent, InfoRequestReason};
use cpor::event::{Event, EventId};
use cpor::store::{Claim, InMemoryStore, SqliteStore, Store, Synchronous, Write};
use cpor::{Catalog, EmailAddress, TenantId};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

/// Makes typical claims (`support::draft`) with fresh numbers, and their events.
struct Claims {
    catalog: Catalog,
    t0: DateTime<Utc>,
    next: usize,
    events: Vec<Event>,
}

impl Claims {
    fn new() -> Self {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let events = vec![
            AssociationEvent::CustomerNotified {
                tenant: TenantId::parse("72f988bf-86f1-41af-91ab-2d7cd011db47").unwrap(),
                contact: EmailAddress::parse("megan@contoso.com").unwrap(),
                opt_out_until: t0,
            }
            .into(),
            AssociationEvent::InfoRequested {
                reason: InfoRequestReason::MissingAllPoe,
                respond_by: t0,
            }
            .into(),
            ActivityEvent::PayoutDue { amount: None }.into(),
        ];
        Self {
            catalog: Catalog::builtin(),
            t0,
            next: 0,
            events,
        }
    }

    fn one(&mut self) -> Claim {
        let n = self.next;
        self.next += 1;
        support::draft(n, &support::admin(n), &self.catalog, self.t0).into()
    }

    /// A create with the three events.
    fn with_events(&mut self) -> Write {
        Write::create(self.one()).with_events(self.events.clone())
    }
}

fn commit_with_events<S: Store>(c: &mut Criterion, name: &str, store: &S, claims: &mut Claims) {
    // Both start from the same 1,000 claims.
    for _ in 0..1_000 {
        store.commit(vec![claims.with_events()]).unwrap();
    }
    let mut group = c.benchmark_group(format!("outbox commit ({name})"));
    group.bench_function("create without events (baseline)", |b| {
        b.iter_batched(
            || Write::create(claims.one()),
            |write| black_box(store.commit(vec![write]).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("create with 3 events in the outbox", |b| {
        b.iter_batched(
            || claims.with_events(),
            |write| black_box(store.commit(vec![write]).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn commit(c: &mut Criterion) {
    let mut claims = Claims::new();
    let memory = InMemoryStore::new();
    commit_with_events(c, "memory", &memory, &mut claims);
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        let dir = TempDir::new("outbox-commit");
        let store = SqliteStore::open_with(dir.db(), synchronous).unwrap();
        let name = match synchronous {
            Synchronous::Full => "sqlite FULL",
            _ => "sqlite NORMAL",
        };
        commit_with_events(c, name, &store, &mut claims);
    }
}

/// How many events a delivery run drains.
fn backlog() -> usize {
    if support::quick() { 1_000 } else { 20_000 }
}

/// Fills `store`'s outbox with `events` events (claims of three events, ten to a commit).
fn fill<S: Store>(store: &S, claims: &mut Claims, events: usize) {
    let mut left = events.div_ceil(3);
    while left > 0 {
        let n = left.min(10);
        let writes: Vec<Write> = (0..n).map(|_| claims.with_events()).collect();
        store.commit(writes).unwrap();
        left -= n;
    }
}

/// Drains the outbox with `workers` threads, each leasing 100 and acknowledging them.
fn drain<S: Store>(store: &S, workers: usize, now: DateTime<Utc>) -> usize {
    std::thread::scope(|scope| {
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
                        let ids: Vec<EventId> = batch.iter().map(|l| l.id).collect();
                        delivered += black_box(store.acknowledge(&ids).unwrap());
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

fn delivery_on<S: Store>(c: &mut Criterion, name: &str, make: impl Fn() -> S) {
    let mut claims = Claims::new();
    let events = backlog();
    let mut group = c.benchmark_group(format!("outbox delivery ({name})"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(events as u64));
    for workers in [1, 4] {
        group.bench_function(format!("{workers} worker(s), batches of 100"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let store = make();
                    fill(&store, &mut claims, events);
                    let start = Instant::now();
                    let delivered = drain(&store, workers, claims.t0);
                    total += start.elapsed();
                    assert!(delivered >= events);
                }
                total
            })
        });
    }
    group.finish();
}

fn delivery(c: &mut Criterion) {
    delivery_on(c, "memory", InMemoryStore::new);
    let dir = TempDir::new("outbox-delivery");
    let next = AtomicU64::new(0);
    delivery_on(c, "sqlite NORMAL", || {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let path = dir.0.join(format!("outbox-{n}.db"));
        SqliteStore::open_with(path, Synchronous::Normal).unwrap()
    });
}

fn config() -> Criterion {
    let criterion = Criterion::default().sample_size(30);
    if support::quick() {
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
    targets = commit, delivery
}
criterion_main!(benches);
