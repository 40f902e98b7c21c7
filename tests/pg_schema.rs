//! `PgStore`'s schema migrations: a schema of version 1 (the first release's) is migrated to
//! the newest on connect, whose `by_customer` query pages on the `(customer, seq)` index; a
//! schema of version 2, with a claim in it, is migrated to version 3, which adds the outbox
//! and the sweep's lease on each claim, and the claim is swept and its events delivered
//! through them.
#![cfg(all(feature = "postgres", feature = "testing"))]

mod common;
mod pg_support;

use std::time::Duration;

use chrono::Utc;
use cpor::Catalogs;
use cpor::association::AssociationState;
use cpor::eligibility::InMemoryFacts;
use cpor::event::EventId;
use cpor::service::{Claims, Swept};
use cpor::store::{Claim, PageRequest, Scope, Store, Version};
use pg_support::Schema;
use tokio_postgres::types::Json;

/// The newest schema version.
const NEWEST: i64 = 3;

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

/// What version 2 added to version 1.
const SCHEMA_V2_STEP: &str = "CREATE INDEX claims_customer_seq ON claims (customer, seq);
    DROP INDEX claims_customer;";

/// The names of the tables of `schema`.
fn tables(client: &pg_support::Raw, schema: &str) -> Vec<String> {
    client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1",
            &[&schema],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

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
    assert_eq!(version, NEWEST);
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

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn a_version_2_schema_with_a_claim_is_migrated_and_gets_an_outbox() {
    let url = url_or_skip!("a_version_2_schema_with_a_claim_is_migrated_and_gets_an_outbox");
    let schema = Schema::new(&url);
    let raw = pg_support::Raw::connect(&url).unwrap();
    raw.batch_execute(&format!(
        "CREATE SCHEMA \"{0}\"; SET search_path TO \"{0}\"; {SCHEMA_V1}; {SCHEMA_V2_STEP};
         CREATE TABLE schema_version (version bigint NOT NULL);
         INSERT INTO schema_version VALUES (2)",
        schema.name
    ))
    .unwrap();
    // A claim waiting for the partner's answer, written as a version 2 store wrote it.
    let (waiting, _) = common::claim_in(AssociationState::PartnerActionRequired);
    let claim = Claim::from(waiting);
    let deadline = claim.next_deadline().unwrap();
    raw.execute(
        "INSERT INTO claims (id, partner, engagement, customer, version, next_deadline,
             next_deadline_ns, body)
         VALUES ($1, $2, $3, $4, 1, $5, 0, $6)",
        &[
            &claim.id().as_uuid(),
            &i64::try_from(claim.partner().get()).unwrap(),
            &claim.engagement().as_str(),
            &claim.customer().to_string(),
            &deadline,
            &Json(&claim),
        ],
    )
    .unwrap();
    assert!(!tables(&raw, &schema.name).contains(&"outbox".to_owned()));

    let store = schema.store();
    let client = schema.client();
    let version: i64 = client
        .query_one("SELECT version FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, NEWEST);
    let found = tables(&client, &schema.name);
    for table in ["claims", "outbox"] {
        assert!(found.iter().any(|t| t == table), "{found:?}");
    }
    let lease_columns: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.columns
             WHERE table_schema = $1 AND table_name = 'claims'
                 AND column_name IN ('swept_until', 'swept_until_ns')",
            &[&schema.name],
        )
        .unwrap()
        .get(0);
    assert_eq!(lease_columns, 2);
    assert_eq!(
        store
            .load(Scope::Microsoft, claim.id())
            .unwrap()
            .unwrap()
            .version,
        Version::FIRST
    );

    // The claim is due; the sweep takes it, expires it and files its events.
    let now = deadline + chrono::Duration::hours(1);
    let claims = Claims::new(store, Catalogs::builtin());
    let swept = claims.sweep(now, &InMemoryFacts::new()).unwrap();
    assert_eq!(swept.len(), 1);
    let Swept::Association(outcome) = &swept[0] else {
        panic!("not an association: {swept:?}");
    };
    assert_eq!(outcome.version, Version::new(2));
    let expected: Vec<EventId> = outcome.events.iter().map(|e| e.id).collect();
    assert!(!expected.is_empty());
    let store = claims.store();
    let leased = store
        .lease_events(Utc::now(), Duration::from_secs(30), 100)
        .unwrap();
    let ids: Vec<EventId> = leased.iter().map(|l| l.id).collect();
    assert_eq!(ids, expected);
    assert_eq!(store.acknowledge(&ids).unwrap(), ids.len());
    let left: i64 = client
        .query_one("SELECT count(*) FROM outbox", &[])
        .unwrap()
        .get(0);
    assert_eq!(left, 0);

    // Leasing walks the outbox in order on its primary key.
    client
        .batch_execute("SET enable_seqscan = off; SET enable_sort = off")
        .unwrap();
    let plan: Vec<String> = client
        .query(
            "EXPLAIN SELECT seq FROM outbox
             WHERE leased_until IS NULL OR (leased_until, leased_until_ns) <= ($1, $2)
             ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED",
            &[&now, &0_i32, &100_i64],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        plan.iter().any(|line| line.contains("outbox_pkey")),
        "{plan:#?}"
    );
    assert!(!plan.iter().any(|line| line.contains("Sort")), "{plan:#?}");
}
