//! **Memory**: bytes per stored claim in `InMemoryStore` at 1,000,000 typical claims, measured
//! with a counting global allocator (goal: ≤ 1 KiB per claim, indexes included).
//!
//! A typical claim: 3 workloads, 2 contacts, 1 PoE reference, 5 history entries (create,
//! attach PoE, submit, start review, approve). Claims are built one at a time, as a service
//! receives them, and only the store's growth is counted. The allocator counts the bytes
//! asked for; the system allocator's own overhead per allocation comes on top.
//!
//! Run with `cargo bench -p cpor-benches --bench memory`; `CPOR_BENCH_QUICK=1` stores 10,000 claims. It writes
//! its figures to `target/criterion/memory.json` for `.ci/perf_table.py`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

mod support;

use chrono::{TimeZone, Utc};
use cpor::Catalog;
use cpor::store::{InMemoryStore, Store, Write};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter this bench ignores.
    let claims: usize = if support::quick() { 10_000 } else { 1_000_000 };
    let catalog = Catalog::builtin();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let store = InMemoryStore::new();
    let before = LIVE.load(Ordering::Relaxed);
    for n in 0..claims {
        let claim = support::approved(n, &catalog, t0);
        store.commit(vec![Write::create(claim)]).unwrap();
    }
    let after = LIVE.load(Ordering::Relaxed);
    let per_claim = (after - before) as f64 / claims as f64;

    let claim = support::approved(claims, &catalog, t0);
    println!(
        "typical claim: {} workloads, {} history entries, {} PoE reference",
        claim.keys().len(),
        claim.history().len(),
        claim.poe().len()
    );
    println!(
        "as a `Claim` value: {} bytes inline, plus its heap (the store keeps it packed)",
        std::mem::size_of_val(&claim)
    );
    println!("InMemoryStore, {claims} claims: {per_claim:.0} bytes per claim, indexes included");
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|target| target.join("criterion"))
        .unwrap();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("memory.json"),
        format!("{{\"claims\": {claims}, \"bytes_per_claim\": {per_claim:.1}}}\n"),
    )
    .unwrap();
}
