//! Group **in-memory store**: `InMemoryStore` commit and holder lookup at 1,000, 100,000 and
//! 1,000,000 stored claims, each beside a bare `Mutex<HashMap>` doing the least the same
//! operation needs (goal for the commit: ≤ 1.5× the baseline at 1,000,000 claims).
//!
//! - commit: creating a draft (3 workloads, 2 contacts) with its keys, against two bare
//!   baselines: a `Mutex<HashMap<UniqueKey, ClaimId>>` insert-if-absent of the same uniqueness
//!   keys (what the issue names: the keys the commit acquires), and a
//!   `Mutex<HashMap<ClaimId, Claim>>` insert-if-absent of the same claim under its ID (which
//!   also stores the claim);
//! - holder lookup: `Store::holder` of an approved claim's key, against a
//!   `Mutex<HashMap<UniqueKey, ClaimId>>` lookup of the same key.
//!
//! The three sizes show how the cost grows with the store. `CPOR_BENCH_QUICK=1` keeps the
//! 1,000 size only (the CI's short mode).

mod support;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Mutex;

use chrono::{DateTime, TimeZone, Utc};
use cpor::store::{Claim, InMemoryStore, Store, UniqueKey, Write};
use cpor::{Catalog, ClaimId};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};

fn draft(n: usize, catalog: &Catalog, t0: DateTime<Utc>) -> Claim {
    support::draft(n, &support::admin(n), catalog, t0).into()
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    for &size in support::sizes() {
        let store = InMemoryStore::new();
        let baseline: Mutex<HashMap<ClaimId, Claim>> = Mutex::new(HashMap::new());
        let keys: Mutex<HashMap<UniqueKey, ClaimId>> = Mutex::new(HashMap::new());
        // Every tenth claim approved, so that lookups find associated keys.
        for chunk in (0..size).collect::<Vec<_>>().chunks(10_000) {
            let claims: Vec<Claim> = chunk
                .iter()
                .map(|&n| {
                    if n % 10 == 0 {
                        support::approved(n, &catalog, t0).into()
                    } else {
                        draft(n, &catalog, t0)
                    }
                })
                .collect();
            {
                let mut map = baseline.lock().unwrap();
                let mut held = keys.lock().unwrap();
                for claim in &claims {
                    map.insert(claim.id(), claim.clone());
                    for key in claim.holdings(&cpor::Catalogs::builtin()).unwrap().unique {
                        held.insert(key, claim.id());
                    }
                }
            }
            assert!(store.import(claims).unwrap().is_complete());
        }
        let probes: Vec<UniqueKey> = (0..size)
            .step_by(10)
            .take(1_000)
            .flat_map(|n| {
                let claim: Claim = support::approved(n, &catalog, t0).into();
                claim.holdings(&cpor::Catalogs::builtin()).unwrap().unique
            })
            .collect();
        let mut next = size;
        let mut group = c.benchmark_group("in-memory store: commit");
        group.bench_function(
            BenchmarkId::new(
                "baseline: Mutex<HashMap> insert-if-absent of the claim",
                size,
            ),
            |b| {
                b.iter_batched(
                    || {
                        next += 1;
                        draft(next, &catalog, t0)
                    },
                    |claim| {
                        let mut map = baseline.lock().unwrap();
                        let id = claim.id();
                        black_box(map.entry(id).or_insert(claim));
                    },
                    BatchSize::SmallInput,
                )
            },
        );
        group.bench_function(
            BenchmarkId::new(
                "baseline: Mutex<HashMap> insert-if-absent of the keys",
                size,
            ),
            |b| {
                b.iter_batched(
                    || {
                        next += 1;
                        let claim = draft(next, &catalog, t0);
                        (
                            claim.id(),
                            claim.holdings(&cpor::Catalogs::builtin()).unwrap().unique,
                        )
                    },
                    |(id, unique)| {
                        let mut map = keys.lock().unwrap();
                        for key in unique {
                            black_box(map.entry(key).or_insert(id));
                        }
                    },
                    BatchSize::SmallInput,
                )
            },
        );
        group.bench_function(BenchmarkId::new("InMemoryStore::commit", size), |b| {
            b.iter_batched(
                || {
                    next += 1;
                    Write::create(draft(next, &catalog, t0))
                },
                |write| black_box(store.commit(vec![write]).unwrap()),
                BatchSize::SmallInput,
            )
        });
        group.finish();

        let mut group = c.benchmark_group("in-memory store: holder lookup");
        let mut i = 0_usize;
        group.bench_function(
            BenchmarkId::new("baseline: Mutex<HashMap> get", size),
            |b| {
                b.iter(|| {
                    i = (i + 1) % probes.len();
                    black_box(keys.lock().unwrap().get(&probes[i]).copied())
                })
            },
        );
        group.bench_function(BenchmarkId::new("InMemoryStore::holder", size), |b| {
            b.iter(|| {
                i = (i + 1) % probes.len();
                black_box(store.holder(&probes[i]).unwrap())
            })
        });
        group.finish();
        assert_eq!(
            store.holder(&probes[0]).unwrap(),
            keys.lock().unwrap().get(&probes[0]).copied()
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
