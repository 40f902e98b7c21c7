//! `PgStore`'s schema migrations: a schema of version 1 (the first release's) is migrated to
//! version 2 on connect, whose `by_customer` query pages on the `(customer, seq)` index.
#![cfg(all(feature = "postgres", feature = "testing"))]

mod common;
mod pg_support;

use cpor::association::AssociationState;
use cpor::store::{Claim, PageRequest, Scope, Store};
use pg_support::Schema;

/// The schema of version 1, as the store of the first release made it.
const SCHEMA_V1: &str = "CREATE TABLE claims (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        partner bigint NOT NULL,
        engagement text NOT NULL,
        customer text NOT NULL,
        version bigint NOT NULL CHECK (version > 0),
        next_deadline timestamptz NULL,
        next_deadline_ns integer NULL CHECK (next_deadline_ns BETWEEN 0 AND 999),
        body jsonb NOT NULL
    );
    CREATE INDEX claims_partner_engagement ON claims (partner, engagement, seq);
    CREATE INDEX claims_customer ON claims (customer, partner);
    CREATE INDEX claims_next_deadline ON claims (next_deadline, next_deadline_ns, id)
        WHERE next_deadline IS NOT NULL;
    CREATE TABLE unique_keys (
        key text PRIMARY KEY,
        claim uuid NOT NULL
    );
    CREATE INDEX unique_keys_claim ON unique_keys (claim);
    CREATE TABLE counted (
        claim uuid PRIMARY KEY,
        key text NOT NULL
    );
    CREATE TABLE counted_keys (
        key text PRIMARY KEY,
        n integer NOT NULL CHECK (n >= 0)
    );
    CREATE FUNCTION refuse_commit() RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
        RAISE EXCEPTION 'cpor: the store refuses this commit' USING ERRCODE = 'CR001';
    END
    $$;";

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn a_version_1_schema_is_migrated_and_by_customer_pages_by_index() {
    let url = url_or_skip!("a_version_1_schema_is_migrated_and_by_customer_pages_by_index");
    let schema = Schema::new(&url);
    let raw = pg_support::Raw::connect(&url).unwrap();
    raw.batch_execute(&format!(
        "CREATE SCHEMA \"{0}\"; SET search_path TO \"{0}\"; {SCHEMA_V1};
         CREATE TABLE schema_version (version bigint NOT NULL);
         INSERT INTO schema_version VALUES (1)",
        schema.name
    ))
    .unwrap();
    let claim = Claim::from(common::claim_in(AssociationState::Approved).0);
    let store = schema.store();
    store.import(vec![claim.clone()]).unwrap();

    let client = schema.client();
    let version: i64 = client
        .query_one("SELECT version FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 2);
    let indexes: Vec<String> = client
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 AND tablename = 'claims'",
            &[&schema.name],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        indexes.iter().any(|i| i == "claims_customer_seq"),
        "{indexes:?}"
    );
    assert!(
        !indexes.iter().any(|i| i == "claims_customer"),
        "{indexes:?}"
    );
    // The page query of by_customer can run on the index alone, in seq order.
    client
        .batch_execute("SET enable_seqscan = off; SET enable_sort = off")
        .unwrap();
    let plan: Vec<String> = client
        .query(
            "EXPLAIN SELECT id, partner, version, body, seq FROM claims
             WHERE customer = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&"x", &0_i64, &10_i64],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        plan.iter().any(|line| line.contains("claims_customer_seq")),
        "{plan:#?}"
    );
    assert!(!plan.iter().any(|line| line.contains("Sort")), "{plan:#?}");
    let customer = claim.customer();
    let page = store
        .by_customer(Scope::Microsoft, &customer, PageRequest::first(10))
        .unwrap();
    assert_eq!(page.len(), 1);
    drop(store);
}
