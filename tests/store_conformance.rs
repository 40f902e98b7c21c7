//! The store conformance suite (`cpor::testing`) against the reference `InMemoryStore`:
//! directly, through `Box<dyn Store>` and `Arc<dyn Store>`, and case by case; and against
//! deliberately broken stores, to show that the suite catches them.
#![cfg(feature = "testing")]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cpor::catalog::EngagementId;
use cpor::store::{
    CountedKey, Expect, InMemoryStore, Page, PageRequest, Scope, Store, StoreError, Stored,
    UniqueKey, Version, Write,
};
use cpor::testing::{self, Failure, StoreFactory};
use cpor::{ClaimId, CustomerId, PartnerId};

#[track_caller]
fn passes(result: Result<(), Vec<Failure>>) {
    if let Err(failures) = result {
        let report: Vec<String> = failures.iter().map(ToString::to_string).collect();
        panic!("{} case(s) failed:\n{}", failures.len(), report.join("\n"));
    }
}

#[test]
fn in_memory_store_passes_the_suite() {
    passes(testing::run_all(&InMemoryStore::new));
}

#[test]
fn boxed_dyn_store_passes_the_suite() {
    passes(testing::run_all(&|| -> Box<dyn Store> {
        Box::new(InMemoryStore::new())
    }));
}

#[test]
fn arc_dyn_store_passes_the_suite() {
    passes(testing::run_all(&|| -> Arc<dyn Store> {
        Arc::new(InMemoryStore::new())
    }));
}

/// Each case as its own test, so that a failure names its case.
mod each_case {
    cpor::store_conformance_tests!(cpor::store::InMemoryStore::new);
}

#[test]
fn borrowed_dyn_store_passes_the_suite() {
    // Each case gets its own store, leaked so that it can be lent for `'static`.
    passes(testing::run_all(&|| -> &'static dyn Store {
        Box::leak(Box::new(InMemoryStore::new()))
    }));
}

// ---- Broken stores: the suite must catch each ----

/// Wraps an `InMemoryStore` and breaks one rule.
struct Broken {
    inner: InMemoryStore,
    flaw: Flaw,
}

#[derive(Clone, Copy)]
enum Flaw {
    /// Loads ignore the partner scope.
    ScopeBlind,
    /// Updates skip the version check: they read the current version and write over it.
    LastWriterWins,
    /// A commit is applied one write at a time, each in its own step.
    NotAtomic,
    /// A commit writes its claims and drops their events.
    DropsEvents,
    /// Leases are not respected: an event is handed out again while another worker holds it.
    IgnoresEventLeases,
    /// The sweep's leases are not respected: a due claim is handed to every sweep.
    IgnoresSweepLeases,
}

/// A moment later than every moment this function returned before: a lease taken at it
/// has run out by the next call.
fn ever_later(now: DateTime<Utc>) -> DateTime<Utc> {
    static CALLS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    now + chrono::Duration::days(n)
}

impl Store for Broken {
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        match self.flaw {
            Flaw::ScopeBlind => self.inner.load(Scope::Microsoft, id),
            _ => self.inner.load(scope, id),
        }
    }

    fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        match self.flaw {
            Flaw::LastWriterWins => {
                let mut rewritten = Vec::with_capacity(writes.len());
                for w in writes {
                    let expect = match w.expect {
                        Expect::Version(_) => self
                            .inner
                            .load(Scope::Microsoft, w.claim.id())?
                            .map_or(Expect::Absent, |s| Expect::Version(s.version)),
                        Expect::Absent => Expect::Absent,
                    };
                    rewritten.push(Write {
                        claim: w.claim.clone(),
                        expect,
                        events: w.events.clone(),
                    });
                }
                self.inner.commit(rewritten)
            }
            Flaw::NotAtomic => {
                let mut versions = Vec::new();
                for write in writes {
                    versions.extend(self.inner.commit(vec![write])?);
                }
                Ok(versions)
            }
            Flaw::DropsEvents => self.inner.commit(
                writes
                    .into_iter()
                    .map(|w| w.with_events(Vec::<cpor::event::Event>::new()))
                    .collect(),
            ),
            _ => self.inner.commit(writes),
        }
    }

    fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        self.inner.by_partner(partner, page)
    }

    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        self.inner.by_partner_engagement(partner, engagement, page)
    }

    fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        self.inner.by_customer(scope, customer, page)
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        self.inner.holder(key)
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        self.inner.count(key)
    }

    fn due(&self, now: DateTime<Utc>, page: PageRequest) -> Result<Page<ClaimId>, StoreError> {
        self.inner.due(now, page)
    }

    fn take_due(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<ClaimId>, StoreError> {
        match self.flaw {
            // The due claims, as if none were taken.
            Flaw::IgnoresSweepLeases => Ok(self
                .inner
                .due(
                    now,
                    PageRequest::first(u32::try_from(limit.clamp(1, 1_000)).unwrap()),
                )?
                .items),
            _ => self.inner.take_due(now, lease, limit),
        }
    }

    fn lease_events(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<cpor::store::Leased>, StoreError> {
        match self.flaw {
            Flaw::IgnoresEventLeases => self.inner.lease_events(ever_later(now), lease, limit),
            _ => self.inner.lease_events(now, lease, limit),
        }
    }

    fn acknowledge(&self, ids: &[cpor::event::EventId]) -> Result<usize, StoreError> {
        self.inner.acknowledge(ids)
    }
}

fn broken(flaw: Flaw) -> impl StoreFactory {
    move || Broken {
        inner: InMemoryStore::new(),
        flaw,
    }
}

/// The names of the failing cases, checking that every failure names a known case.
fn failing(factory: &impl StoreFactory) -> Vec<&'static str> {
    match testing::run_all(factory) {
        Ok(()) => Vec::new(),
        Err(failures) => {
            for failure in &failures {
                let known = testing::cases::<fn() -> InMemoryStore>();
                assert!(
                    known.iter().any(|(name, _)| *name == failure.case()),
                    "{failure}"
                );
                assert!(!failure.message().is_empty());
            }
            failures.iter().map(Failure::case).collect()
        }
    }
}

#[test]
fn the_suite_catches_a_scope_blind_load() {
    let failed = failing(&broken(Flaw::ScopeBlind));
    assert_eq!(failed, ["load_is_scoped_to_partner"]);
}

#[test]
fn the_suite_catches_a_missing_version_check() {
    let failed = failing(&broken(Flaw::LastWriterWins));
    for case in [
        "stale_update_conflicts",
        "conflicting_write_fails_the_whole_commit",
        "race_no_lost_update",
    ] {
        assert!(failed.contains(&case), "{case} passed; failed: {failed:?}");
    }
}

#[test]
fn the_suite_catches_a_commit_that_is_not_atomic() {
    let failed = failing(&broken(Flaw::NotAtomic));
    for case in [
        "arbitration_moves_keys_in_one_commit",
        "counted_limit_of_one",
        "conflicting_write_fails_the_whole_commit",
        "duplicate_write_is_refused",
    ] {
        assert!(failed.contains(&case), "{case} passed; failed: {failed:?}");
    }
}

/// Fails unless each of `cases` fails on `factory` (only those cases run).
fn each_fails(factory: &impl StoreFactory, cases: &[&str]) {
    let all = testing::cases();
    for case in cases {
        let (_, run) = all
            .iter()
            .find(|(name, _)| name == case)
            .unwrap_or_else(|| panic!("no case {case}"));
        assert!(run(factory).is_err(), "{case} passed on a broken store");
    }
}

#[test]
fn the_suite_catches_a_commit_that_drops_its_events() {
    each_fails(
        &broken(Flaw::DropsEvents),
        &[
            "commit_writes_its_events",
            "lease_runs_out_and_the_event_comes_back",
            "lease_takes_the_oldest_first_in_batches",
            "race_workers_share_the_outbox",
        ],
    );
}

#[test]
fn the_suite_catches_an_outbox_that_ignores_its_leases() {
    each_fails(
        &broken(Flaw::IgnoresEventLeases),
        &[
            "commit_writes_its_events",
            "lease_runs_out_and_the_event_comes_back",
            "race_workers_share_the_outbox",
        ],
    );
}

#[test]
fn the_suite_catches_a_sweep_that_ignores_its_leases() {
    each_fails(
        &broken(Flaw::IgnoresSweepLeases),
        &[
            "take_due_shares_the_due_claims",
            "race_sweeps_share_the_due_claims",
        ],
    );
}
