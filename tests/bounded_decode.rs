//! No input makes `Claim::from_bytes` reserve memory sized by a count it read: a body of
//! 400 MB whose history count says 400,000,000 entries (which once asked for 28.8 GB and
//! aborted the process) is refused, with a valid checksum, while the decoder allocates less
//! than a megabyte. A counting allocator measures it; this binary holds this one test, so
//! nothing else allocates meanwhile.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use cpor::association::AssociationCommand;
use cpor::store::Claim;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counters only
// observe the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(live, Ordering::SeqCst);
        // SAFETY: as the caller promised for `layout`.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: `ptr` came from `alloc` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const COUNT: usize = 400_000_000;

fn varint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The bytes of a draft up to its history count: a draft and the same draft edited with the
/// same form differ first at that count (one entry, then two).
fn prefix_before_history_count() -> Vec<u8> {
    let (draft, at) = common::claim_in(cpor::association::AssociationState::Draft);
    let edited = draft
        .transition(
            &AssociationCommand::EditDraft {
                form: common::mws_form(),
            },
            &common::admin(),
            at,
            &common::catalog(),
        )
        .unwrap()
        .claim;
    let (a, b) = (
        Claim::from(draft).to_bytes(),
        Claim::from(edited).to_bytes(),
    );
    let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap();
    assert_eq!(
        (a[at], b[at]),
        (1, 2),
        "the first difference is the history count"
    );
    a[..at].to_vec()
}

#[test]
fn a_huge_count_is_refused_with_bounded_memory() {
    let mut body = prefix_before_history_count();
    varint(COUNT as u64, &mut body);
    // Every byte left is a continuation byte: the first entry fails within ten bytes.
    body.resize(body.len() + COUNT, 0xff);
    let sum = crc32fast::hash(&body);
    body.extend_from_slice(&sum.to_le_bytes());

    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let refused = Claim::from_bytes(&body);
    let peak = PEAK.load(Ordering::SeqCst) - before;
    eprintln!(
        "a {} MB body with a history count of {COUNT}: refused ({}), peak allocation {peak} bytes",
        body.len() / 1_000_000,
        refused
            .as_ref()
            .map_or_else(ToString::to_string, |_| "accepted".into())
    );
    let err = refused.unwrap_err();
    assert_eq!(err.code(), "claim_bytes.invalid", "{err}");
    assert!(peak < 1 << 20, "the decoder allocated {peak} bytes");
}
