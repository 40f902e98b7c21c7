//! An `InMemoryStore` commit at 1,000,000 stored claims, beside a bare `Mutex<HashMap>`
//! insert-if-absent of the same claims under the same IDs (issue 5 target: ≤ 1.5×).

mod support;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Mutex;

use chrono::{TimeZone, Utc};
use cpor::store::{Claim, InMemoryStore, Store, Write};
use cpor::{Catalog, ClaimId};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const PREFILL: usize = 1_000_000;

fn draft(n: usize, catalog: &Catalog, t0: chrono::DateTime<Utc>) -> Claim {
    support::draft(n, &support::admin(n), catalog, t0).into()
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let store = InMemoryStore::new();
    let baseline: Mutex<HashMap<ClaimId, Claim>> = Mutex::new(HashMap::new());
    for n in 0..PREFILL {
        let claim = draft(n, &catalog, t0);
        baseline.lock().unwrap().insert(claim.id(), claim.clone());
        store.commit(vec![Write::create(claim)]).unwrap();
    }
    let mut next = PREFILL;
    let mut group = c.benchmark_group("store commit at 1,000,000 claims");
    group.bench_function("Mutex<HashMap> insert-if-absent (baseline)", |b| {
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
    });
    group.bench_function("InMemoryStore::commit (create)", |b| {
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
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
