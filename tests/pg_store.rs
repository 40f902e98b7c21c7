//! `PgStore` against the store conformance suite (`cpor::testing`), case by case, each case in
//! a fresh schema; two store instances on one schema, as two service instances would share a
//! database; and the schema: versioned, migrated once, a newer version refused.
//!
//! The server comes from `CPOR_PG_URL` (a `postgresql://` URL or a `key=value` string). Unset,
//! every test prints a note and passes without running, so that `cargo test --all-features`
//! passes on a machine without PostgreSQL; set, a server that cannot be reached fails them.
//! `.ci/run` starts a throwaway server and sets it.
#![cfg(all(feature = "postgres", feature = "testing"))]

mod common;
mod pg_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use chrono::{DateTime, Utc};
use cpor::activity::{ActivityClaim, Nomination, add_customer};
use cpor::catalog::EngagementId;
use cpor::eligibility::InMemoryFacts;
use cpor::store::{
    Claim, CountedKey, ImportReport, Page, PageRequest, PgStore, Scope, Store, StoreError, Stored,
    UniqueKey, Version, Write,
};
use cpor::{ClaimId, CustomerId, PartnerId, Tpid};

use common::mci::{company_contact, customer_contact, engagement};
use common::{admin_of, catalog, claim_id, t0, text};
use pg_support::{Schema, unique_schema};

/// A `PgStore` in a fresh schema, which goes with it.
struct Fresh {
    store: Option<PgStore>,
    _schema: Schema,
}

impl Fresh {
    fn store(&self) -> &PgStore {
        self.store.as_ref().unwrap()
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        // Close the connections before the schema goes.
        self.store = None;
    }
}

/// The factory of the suite: a fresh store in a fresh schema for every case. Panics (failing
/// the case) if `CPOR_PG_URL` is set and the server cannot be reached.
fn fresh() -> Fresh {
    let url = std::env::var("CPOR_PG_URL").unwrap();
    let schema = Schema::new(&url);
    Fresh {
        store: Some(schema.store()),
        _schema: schema,
    }
}

/// Forwards every method, `import` included, to the store returned by `$get`.
macro_rules! forward {
    ($ty:ty, |$s:ident| $get:expr) => {
        impl Store for $ty {
            fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
                let $s = self;
                $get.load(scope, id)
            }

            fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
                let $s = self;
                $get.commit(writes)
            }

            fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
                let $s = self;
                $get.import(claims)
            }

            fn by_partner(
                &self,
                partner: PartnerId,
                page: PageRequest,
            ) -> Result<Page<Stored>, StoreError> {
                let $s = self;
                $get.by_partner(partner, page)
            }

            fn by_partner_engagement(
                &self,
                partner: PartnerId,
                engagement: &EngagementId,
                page: PageRequest,
            ) -> Result<Page<Stored>, StoreError> {
                let $s = self;
                $get.by_partner_engagement(partner, engagement, page)
            }

            fn by_customer(
                &self,
                scope: Scope,
                customer: &CustomerId,
                page: PageRequest,
            ) -> Result<Page<Stored>, StoreError> {
                let $s = self;
                $get.by_customer(scope, customer, page)
            }

            fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
                let $s = self;
                $get.holder(key)
            }

            fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
                let $s = self;
                $get.count(key)
            }

            fn due(
                &self,
                now: DateTime<Utc>,
                page: PageRequest,
            ) -> Result<Page<ClaimId>, StoreError> {
                let $s = self;
                $get.due(now, page)
            }

            fn take_due(
                &self,
                now: DateTime<Utc>,
                lease: std::time::Duration,
                limit: usize,
            ) -> Result<Vec<ClaimId>, StoreError> {
                let $s = self;
                $get.take_due(now, lease, limit)
            }

            fn lease_events(
                &self,
                now: DateTime<Utc>,
                lease: std::time::Duration,
                limit: usize,
            ) -> Result<Vec<cpor::store::Leased>, StoreError> {
                let $s = self;
                $get.lease_events(now, lease, limit)
            }

            fn acknowledge(&self, ids: &[cpor::event::EventId]) -> Result<usize, StoreError> {
                let $s = self;
                $get.acknowledge(ids)
            }
        }
    };
}

forward!(Fresh, |s| s.store());

/// Each case as its own test, on a fresh schema. Built without `CPOR_PG_URL`, every case is
/// reported as ignored, with the reason.
mod suite {
    cpor::store_conformance_tests!(
        #[cfg_attr(not(cpor_pg), ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server")];
        {
            if super::pg_support::pg_url("conformance case").is_none() {
                return Ok(());
            }
            super::fresh
        }
    );
}

// ---- Two service instances on one schema ----

/// Two `PgStore`s on one schema, with connections of their own, taking calls in turn: what
/// two service instances sharing a database do.
struct TwoInstances {
    stores: [PgStore; 2],
    next: AtomicUsize,
    _schema: Schema,
}

impl TwoInstances {
    fn new(url: &str) -> Self {
        let schema = Schema::new(url);
        Self {
            stores: [schema.store(), schema.store()],
            next: AtomicUsize::new(0),
            _schema: schema,
        }
    }

    fn pick(&self) -> &PgStore {
        &self.stores[self.next.fetch_add(1, Ordering::Relaxed) % 2]
    }
}

forward!(TwoInstances, |s| s.pick());

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn two_instances_keep_one_holder_per_key_under_races() {
    let url = url_or_skip!("two_instances_keep_one_holder_per_key_under_races");
    let factory = || TwoInstances::new(&url);
    // The lost-update race of the suite takes 20 s in a debug build: the single-instance run
    // covers the version check, which is the claim row's lock whichever instance writes.
    cpor::testing::race_one_holder_per_key(&factory).unwrap();
    cpor::testing::arbitration_moves_keys_in_one_commit(&factory).unwrap();
    cpor::testing::counted_limit_of_two(&factory).unwrap();
}

/// The cap-2 engagement (TPID customers).
const CAP_TWO: &str = "azure_migration_small_project";

/// A new activity claim of `partner` adding TPID customer `tpid` to the cap-2 engagement.
fn activity(id: u128, partner: PartnerId, tpid: u64) -> ActivityClaim {
    let customer = CustomerId::Tpid(Tpid::new(tpid).unwrap());
    let facts = InMemoryFacts::new()
        .enrolled(partner, engagement(CAP_TWO))
        .eligible(customer.clone(), engagement(CAP_TWO));
    let nomination = Nomination {
        name: text("Contoso engagement"),
        partner,
        customer,
        customer_contact: customer_contact(),
        company_contact: company_contact(),
        mismatch_reason: None,
        engagements: vec![(engagement(CAP_TWO), claim_id(id))],
        hours: None,
    };
    add_customer(
        &nomination,
        &admin_of(partner),
        t0(),
        &catalog(),
        &facts,
        &[],
    )
    .unwrap()
    .remove(0)
    .claim
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn two_instances_share_a_cap_under_races() {
    const THREADS: usize = 8;
    const ROUNDS: u64 = 20;
    let url = url_or_skip!("two_instances_share_a_cap_under_races");
    let both = TwoInstances::new(&url);
    for round in 0..ROUNDS {
        let tpid = 500_000 + round;
        // Each thread's partner location claims the same customer at once, half of them
        // through each instance.
        let claims: Vec<ActivityClaim> = (0..THREADS)
            .map(|t| {
                let partner = PartnerId::new(6_100_000 + t as u64).unwrap();
                activity(u128::from(round) * 100 + t as u128 + 1, partner, tpid)
            })
            .collect();
        let start = Barrier::new(THREADS);
        let outcomes: Vec<Result<Vec<Version>, StoreError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = claims
                .iter()
                .enumerate()
                .map(|(t, claim)| {
                    let (store, start) = (&both.stores[t % 2], &start);
                    scope.spawn(move || {
                        start.wait();
                        store.commit(vec![Write::create(claim.clone())])
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let won = outcomes.iter().filter(|o| o.is_ok()).count();
        for outcome in &outcomes {
            if let Err(e) = outcome {
                assert_eq!(e.code(), "store.limit_reached", "round {round}: {e}");
            }
        }
        assert_eq!(won, 2, "round {round}: {outcomes:?}");
        let key = Claim::from(claims[0].clone())
            .holdings(&cpor::Catalogs::builtin())
            .unwrap()
            .counted
            .unwrap()
            .0;
        for store in &both.stores {
            assert_eq!(store.count(&key).unwrap(), 2, "round {round}");
        }
        let stored = both.stores[1]
            .by_customer(
                Scope::Microsoft,
                &CustomerId::Tpid(Tpid::new(tpid).unwrap()),
                cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT),
            )
            .unwrap();
        assert_eq!(stored.len(), 2, "round {round}");
    }
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn two_instances_see_each_others_commits() {
    let url = url_or_skip!("two_instances_see_each_others_commits");
    let both = TwoInstances::new(&url);
    let partner = PartnerId::new(6_200_001).unwrap();
    let claim = activity(1, partner, 600_001);
    both.stores[0]
        .commit(vec![Write::create(claim.clone())])
        .unwrap();
    let seen = both.stores[1].load(Scope::Microsoft, claim.id()).unwrap();
    assert_eq!(seen.unwrap().version, Version::FIRST);
    // A retried create through the other instance is idempotent.
    assert_eq!(
        both.stores[1]
            .commit(vec![Write::create(claim.clone())])
            .unwrap(),
        [Version::FIRST]
    );
}

// ---- The pool ----

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn one_connection_serves_many_threads() {
    const THREADS: usize = 8;
    const CLAIMS: usize = 10;
    let url = url_or_skip!("one_connection_serves_many_threads");
    let schema = Schema::new(&url);
    let store = PgStore::connect_with(&url, &schema.name, 1).unwrap();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let store = &store;
            scope.spawn(move || {
                let partner = PartnerId::new(6_400_000 + t as u64).unwrap();
                for c in 0..CLAIMS {
                    let n = (t * CLAIMS + c) as u128 + 1;
                    let claim = activity(n, partner, 800_000 + n as u64);
                    store.commit(vec![Write::create(claim.clone())]).unwrap();
                    let loaded = store.load(Scope::Partner(partner), claim.id()).unwrap();
                    assert_eq!(loaded.unwrap().version, Version::FIRST);
                }
                assert_eq!(
                    store
                        .by_partner(
                            partner,
                            cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT)
                        )
                        .unwrap()
                        .len(),
                    CLAIMS
                );
            });
        }
    });
    assert!(
        format!("{store:?}").contains("open_connections: 1"),
        "{store:?}"
    );
}

#[test]
fn pg_store_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<PgStore>();
}

// ---- The schema ----

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn a_new_schema_records_version_3() {
    let url = url_or_skip!("a_new_schema_records_version_3");
    let schema = Schema::new(&url);
    drop(schema.store());
    let versions: Vec<i64> = schema
        .client()
        .query("SELECT version FROM schema_version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [3]);
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn a_newer_schema_is_refused() {
    let url = url_or_skip!("a_newer_schema_is_refused");
    let schema = Schema::new(&url);
    drop(schema.store());
    schema
        .client()
        .execute("UPDATE schema_version SET version = 4", &[])
        .unwrap();

    let err = PgStore::connect_in_schema(&url, &schema.name).unwrap_err();
    assert_eq!(err.code(), "store.backend");
    assert_eq!(
        err.to_string(),
        "storage back end failed: database schema version 4 is newer than the newest this \
         build knows (3); upgrade the cpor crate to open it"
    );
    // Refusing changed nothing.
    let version: i64 = schema
        .client()
        .query_one("SELECT version FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 4);
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn a_reconnected_store_keeps_its_claims_and_keys() {
    let url = url_or_skip!("a_reconnected_store_keeps_its_claims_and_keys");
    let schema = Schema::new(&url);
    let first = Arc::new(schema.store());
    let factory = {
        let first = Arc::clone(&first);
        move || Arc::clone(&first)
    };
    cpor::testing::counted_limit_of_two(&factory).unwrap();
    let claims = first
        .by_partner(
            PartnerId::new(4_512_345).unwrap(),
            cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT),
        )
        .unwrap();
    assert!(!claims.is_empty());
    drop(factory);
    drop(Arc::into_inner(first).unwrap());

    // Migrating again changes nothing, and the keys and counts are still enforced.
    let again = schema.store();
    assert_eq!(
        again
            .by_partner(
                PartnerId::new(4_512_345).unwrap(),
                cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT)
            )
            .unwrap(),
        claims
    );
    for stored in &claims {
        let holdings = stored.claim.holdings(&cpor::Catalogs::builtin()).unwrap();
        for key in holdings.unique {
            assert_eq!(again.holder(&key).unwrap(), Some(stored.claim.id()));
        }
        if let Some((key, limit)) = holdings.counted {
            assert!(again.count(&key).unwrap() <= limit);
        }
    }
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn concurrent_connects_migrate_once() {
    let url = url_or_skip!("concurrent_connects_migrate_once");
    let schema = Schema::new(&url);
    let start = Barrier::new(4);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                start.wait();
                drop(schema.store());
            });
        }
    });
    let versions: i64 = schema
        .client()
        .query_one("SELECT count(*) FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(versions, 1);
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn a_bad_schema_name_is_refused() {
    let url = url_or_skip!("a_bad_schema_name_is_refused");
    for name in ["", &"x".repeat(64), "a\0b"] {
        let err = PgStore::connect_in_schema(&url, name).unwrap_err();
        assert_eq!(err.code(), "store.backend");
        assert!(err.to_string().contains("is not valid"), "{err}");
    }
    // Quotes are quoted, not interpreted.
    let schema = Schema {
        url: url.clone(),
        name: format!("{}\"; DROP TABLE x; --", unique_schema()),
    };
    let store = schema.store();
    assert!(
        store
            .by_partner(
                PartnerId::new(4_512_345).unwrap(),
                cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT)
            )
            .unwrap()
            .is_empty()
    );
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn an_unreachable_server_is_unavailable() {
    let _ = url_or_skip!("an_unreachable_server_is_unavailable");
    let err = PgStore::connect("host=/nonexistent/cpor-socket-dir user=postgres").unwrap_err();
    assert_eq!(err.code(), "store.unavailable", "{err}");
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn due_at_the_ends_of_time() {
    let _ = url_or_skip!("due_at_the_ends_of_time");
    let store = fresh();
    assert_eq!(
        store
            .due(
                DateTime::<Utc>::MIN_UTC,
                cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT)
            )
            .unwrap()
            .items,
        []
    );
    assert_eq!(
        store
            .due(
                DateTime::<Utc>::MAX_UTC,
                cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT)
            )
            .unwrap()
            .items,
        []
    );
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn deadlines_compare_to_the_nanosecond() {
    let _ = url_or_skip!("deadlines_compare_to_the_nanosecond");
    let store = fresh();
    let claim = activity(1, PartnerId::new(6_300_001).unwrap(), 700_001);
    let deadline = Claim::from(claim.clone()).next_deadline().unwrap();
    store.commit(vec![Write::create(claim.clone())]).unwrap();
    let just_before = deadline - chrono::Duration::nanoseconds(1);
    assert_eq!(
        store
            .due(
                just_before,
                cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT)
            )
            .unwrap()
            .items,
        []
    );
    assert_eq!(
        store
            .due(
                deadline,
                cpor::store::PageRequest::first(cpor::store::PageRequest::MAX_LIMIT)
            )
            .unwrap()
            .items,
        [claim.id()]
    );
}

/// A body edited in the table (an approved claim moved to another partner in its JSON) is
/// refused on load as corrupt, naming the row's claim; so is a row whose `partner` column
/// disagrees with its body, which partner B never gets.
#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn a_forged_or_moved_row_is_refused_on_load() {
    let url = url_or_skip!("a_forged_or_moved_row_is_refused_on_load");
    let schema = Schema::new(&url);
    let store = schema.store();
    let (claim, _) = common::claim_in(cpor::association::AssociationState::Approved);
    let claim = Claim::from(claim);
    let id = claim.id();
    store.import(vec![claim.clone()]).unwrap();
    let client = schema.client();

    // The partner column moved to B: B gets an error, never A's claim; A no longer sees it.
    client
        .execute(
            "UPDATE claims SET partner = 7700001 WHERE id = $1",
            &[&id.as_uuid()],
        )
        .unwrap();
    let b = PartnerId::new(7_700_001).unwrap();
    let err = store.load(Scope::Partner(b), id).unwrap_err();
    assert_eq!(err.code(), "store.corrupt", "{err}");
    assert!(
        store
            .load(Scope::Partner(claim.partner()), id)
            .unwrap()
            .is_none()
    );

    // The body's partner edited to match the column: the history still shows A's users.
    client
        .execute(
            "UPDATE claims SET body = jsonb_set(body::jsonb, '{claim,content,partner}', '\"7700001\"')::json
             WHERE id = $1",
            &[&id.as_uuid()],
        )
        .or_else(|_| {
            client.execute(
                "UPDATE claims SET body = jsonb_set(body, '{claim,content,partner}', '\"7700001\"')
                 WHERE id = $1",
                &[&id.as_uuid()],
            )
        })
        .unwrap();
    let err = store.load(Scope::Partner(b), id).unwrap_err();
    assert_eq!(err.code(), "store.corrupt", "{err}");
    let message = err.to_string();
    assert!(message.contains(&id.to_string()), "{message}");
    assert!(message.contains("claim.partner"), "{message}");
    assert!(message.len() < 400, "{message}");
    drop(store);
}
