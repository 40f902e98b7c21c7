//! Memory per typical claim in `InMemoryStore`, measured with a counting allocator
//! (issue 5 target: ≤ 1 KiB).
//!
//! A typical claim: 3 workloads, 2 contacts, 1 PoE reference, 5 history entries (create,
//! attach PoE, submit, start review, approve). Run with `cargo bench --bench memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

mod support;

use chrono::{Duration, TimeZone, Utc};
use cpor::association::{Acknowledgement, Arbitration, AssociationClaim, AssociationCommand};
use cpor::store::{InMemoryStore, Store, Write};
use cpor::{Actor, Catalog, Text, UserId};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

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

const CLAIMS: usize = 20_000;

fn main() {
    let catalog = Catalog::builtin();
    let reviewer = Actor::reviewer(UserId::parse("reviewer@microsoft.com").unwrap());
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    // Claims are built one at a time, as a service would receive them, and only the store's
    // growth is counted: the form and the intermediate states are dropped before measuring.
    let store = InMemoryStore::new();
    let before = LIVE.load(Ordering::Relaxed);
    for n in 0..CLAIMS {
        let claim = typical(n, &catalog, &reviewer, t0);
        store.commit(vec![Write::create(claim)]).unwrap();
    }
    let after = LIVE.load(Ordering::Relaxed);
    let per_claim = (after - before) as f64 / CLAIMS as f64;
    let claim = typical(CLAIMS, &catalog, &reviewer, t0);
    let one_before = LIVE.load(Ordering::Relaxed);
    let copy = claim.clone();
    let one_claim_heap = LIVE.load(Ordering::Relaxed) - one_before;
    println!(
        "typical claim: {} workloads, {} history entries, {} poe",
        claim.keys().len(),
        claim.history().len(),
        claim.poe().len()
    );
    println!(
        "claim value: {} bytes inline + {} bytes on the heap",
        std::mem::size_of_val(&copy),
        one_claim_heap
    );
    println!(
        "InMemoryStore, {CLAIMS} claims: {:.0} bytes per claim, indexes included",
        per_claim
    );
}

fn typical(
    n: usize,
    catalog: &Catalog,
    reviewer: &Actor,
    t0: chrono::DateTime<Utc>,
) -> AssociationClaim {
    let admin = support::admin(n);
    let mut claim = support::draft(n, &admin, catalog, t0);
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
    for (i, (command, actor)) in steps.into_iter().enumerate() {
        claim = claim
            .transition(&command, actor, t0 + Duration::hours(i as i64 + 1), catalog)
            .unwrap()
            .claim;
    }
    claim
}
