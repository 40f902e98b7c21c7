//! `PgStore::import` racing other imports and commits on two store instances sharing a schema:
//! whichever way a batch is checked (at once, or claim by claim after a read) and however the
//! writers interleave, every key has one holder and every cap holds, and the reports tell
//! exactly what was stored. The import cases of the conformance suite run in `pg_store.rs`.
#![cfg(all(feature = "postgres", feature = "testing"))]

mod common;
mod pg_support;

use std::sync::Barrier;

use cpor::activity::{ActivityClaim, Nomination, add_customer};
use cpor::eligibility::InMemoryFacts;
use cpor::store::{Claim, PageRequest, PgStore, Scope, Store, Write};
use cpor::{CustomerId, PartnerId, Tpid};

use common::mci::{company_contact, customer_contact, engagement};
use common::{admin_of, catalog, claim_id, t0, text};
use pg_support::Schema;

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

fn partner(n: u64) -> PartnerId {
    PartnerId::new(6_300_000 + n).unwrap()
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn imports_race_imports_and_commits_on_keys_and_caps() {
    const ROUNDS: u64 = 20;
    const CUSTOMERS: u64 = 6;
    const PARTNERS: u64 = 4;
    let url = url_or_skip!("imports_race_imports_and_commits_on_keys_and_caps");
    let schema = Schema::new(&url);
    let stores: [PgStore; 2] = [schema.store(), schema.store()];
    let mut next_id: u128 = 0;
    let mut id = || {
        next_id += 1;
        next_id
    };
    for round in 0..ROUNDS {
        let tpid = |c: u64| 700_000 + round * 100 + c;
        // Two batches of every partner on every customer (no key twice within a batch: each
        // is tried at once first), the second in the other order; and one-claim commits of
        // the same partners on the same customers. Each customer takes two of them.
        let first: Vec<Claim> = (0..CUSTOMERS)
            .flat_map(|c| (0..PARTNERS).map(move |p| (c, p)))
            .map(|(c, p)| activity(id(), partner(p), tpid(c)).into())
            .collect();
        let second: Vec<Claim> = (0..CUSTOMERS)
            .rev()
            .flat_map(|c| (0..PARTNERS).rev().map(move |p| (c, p)))
            .map(|(c, p)| activity(id(), partner(p), tpid(c)).into())
            .collect();
        let singles: Vec<Claim> = (0..CUSTOMERS)
            .map(|c| activity(id(), partner(c % PARTNERS), tpid(c)).into())
            .collect();
        let start = Barrier::new(3);
        let (reports, committed) = std::thread::scope(|scope| {
            let imports: Vec<_> = [&first, &second]
                .into_iter()
                .enumerate()
                .map(|(i, batch)| {
                    let (store, start) = (&stores[i % 2], &start);
                    scope.spawn(move || {
                        start.wait();
                        store.import(batch.clone()).unwrap()
                    })
                })
                .collect();
            let commits = {
                let (store, start, singles) = (&stores[1], &start, &singles);
                scope.spawn(move || {
                    start.wait();
                    singles
                        .iter()
                        .map(|claim| store.commit(vec![Write::create(claim.clone())]).is_ok())
                        .collect::<Vec<bool>>()
                })
            };
            let reports: Vec<_> = imports.into_iter().map(|h| h.join().unwrap()).collect();
            (reports, commits.join().unwrap())
        });

        // Each report tells exactly what is stored, and refuses only on a key or a cap.
        for (batch, report) in [&first, &second].into_iter().zip(&reports) {
            assert_eq!(report.outcomes.len(), batch.len());
            for (claim, (reported, outcome)) in batch.iter().zip(&report.outcomes) {
                assert_eq!(*reported, claim.id());
                let stored = stores[0].load(Scope::Microsoft, claim.id()).unwrap();
                match outcome {
                    Ok(_) => assert!(stored.is_some(), "round {round}: {reported} not stored"),
                    Err(e) => {
                        assert!(
                            matches!(e.code(), "store.key_held" | "store.limit_reached"),
                            "round {round}: {e}"
                        );
                        assert!(stored.is_none(), "round {round}: refused {reported} stored");
                    }
                }
            }
        }
        for (claim, ok) in singles.iter().zip(&committed) {
            let stored = stores[0].load(Scope::Microsoft, claim.id()).unwrap();
            assert_eq!(
                stored.is_some(),
                *ok,
                "round {round}: commit of {}",
                claim.id()
            );
        }
        // Each customer has exactly its cap, counted right, each by a different partner.
        for c in 0..CUSTOMERS {
            let customer = CustomerId::Tpid(Tpid::new(tpid(c)).unwrap());
            let stored = stores[1]
                .by_customer(
                    Scope::Microsoft,
                    &customer,
                    PageRequest::first(PageRequest::MAX_LIMIT),
                )
                .unwrap();
            assert_eq!(stored.len(), 2, "round {round}, customer {c}");
            let mut partners: Vec<PartnerId> = stored.iter().map(|s| s.claim.partner()).collect();
            partners.dedup();
            assert_eq!(partners.len(), 2, "round {round}, customer {c}");
            let key = stored
                .iter()
                .next()
                .unwrap()
                .claim
                .holdings(&cpor::Catalogs::builtin())
                .unwrap()
                .counted
                .unwrap()
                .0;
            for store in &stores {
                assert_eq!(store.count(&key).unwrap(), 2, "round {round}, customer {c}");
            }
        }
        let imported: usize = reports.iter().map(|r| r.imported()).sum();
        let won = committed.iter().filter(|ok| **ok).count();
        assert_eq!(
            imported + won,
            usize::try_from(2 * CUSTOMERS).unwrap(),
            "round {round}"
        );
    }
}
