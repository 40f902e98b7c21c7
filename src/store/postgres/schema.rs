//! The schema: one migration per version, run on connect under an advisory lock.

use super::super::columns::newer_schema;
use super::error::{PgError, store_error};
use super::pool::Connection;
use crate::store::StoreError;

/// The schema, one migration per version: entry `n` takes the schema from version `n` to
/// version `n + 1`. Each runs with the store's schema first on the `search_path`.
const MIGRATIONS: &[&str] = &[
    // Version 1.
    "CREATE TABLE claims (
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
    $$;",
    // Version 2: the claims of a customer page in `seq` order by index, as those of a
    // partner do; the index it replaces ordered them by partner.
    "CREATE INDEX claims_customer_seq ON claims (customer, seq);
    DROP INDEX claims_customer;",
    // Version 3: the outbox, and the lease a sweep takes on a due claim. A lease's end is a
    // `timestamptz` (microseconds) with the nanoseconds below in a column of its own, as a
    // deadline is, so that it compares exactly with the caller's `now`. The outbox leaves
    // room on each page (fillfactor) so that leasing an event, which changes no indexed
    // column, can be a heap-only update; events are found in order by the primary key. The
    // sweep's lease is on the claim's own row, so that taking due claims is the same
    // `SKIP LOCKED` update as leasing events. Adding null columns rewrites no row, and their
    // check is `NOT VALID` (enforced on every write, not checked against the rows there,
    // which are all null), so that the migration does not scan a large table under its lock.
    "CREATE TABLE outbox (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        claim uuid NOT NULL,
        version bigint NOT NULL CHECK (version > 0),
        idx integer NOT NULL CHECK (idx >= 0),
        event jsonb NOT NULL,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        leased_until timestamptz NULL,
        leased_until_ns integer NULL CHECK (leased_until_ns BETWEEN 0 AND 999),
        CHECK ((leased_until IS NULL) = (leased_until_ns IS NULL)),
        UNIQUE (claim, version, idx)
    ) WITH (fillfactor = 80);
    ALTER TABLE claims
        ADD COLUMN swept_until timestamptz NULL,
        ADD COLUMN swept_until_ns integer NULL,
        ADD CONSTRAINT claims_swept_until CHECK (
            (swept_until IS NULL) = (swept_until_ns IS NULL)
            AND swept_until_ns BETWEEN 0 AND 999
        ) NOT VALID;",
];

/// The newest schema version this build knows.
pub(super) const SCHEMA_VERSION: i64 = 3;

/// Quotes a schema name as an SQL identifier.
pub(super) fn quote_schema(name: &str) -> Result<String, StoreError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 63 {
        Some("it is longer than 63 bytes")
    } else if name.contains('\0') {
        Some("it holds a NUL character")
    } else {
        None
    };
    if let Some(reason) = reason {
        return Err(PgError::SchemaName {
            name: name.to_owned(),
            reason,
        }
        .backend());
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

/// Creates or migrates the schema `name` (quoted: `quoted`), in one transaction under an
/// advisory lock, so that service instances starting together migrate once.
pub(super) async fn migrate(
    connection: &mut Connection,
    name: &str,
    quoted: &str,
) -> Result<(), StoreError> {
    let tx = connection.client.transaction().await.map_err(store_error)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('cpor.migrate:' || $1::text))",
        &[&name],
    )
    .await
    .map_err(store_error)?;
    let exists = tx
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&name])
        .await
        .map_err(store_error)?
        .is_some();
    if !exists {
        tx.batch_execute(&format!("CREATE SCHEMA {quoted}"))
            .await
            .map_err(store_error)?;
    }
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version bigint NOT NULL)")
        .await
        .map_err(store_error)?;
    let found: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(store_error)?;
    if found > SCHEMA_VERSION {
        return Err(newer_schema(found, SCHEMA_VERSION));
    }
    if found < SCHEMA_VERSION {
        let done = usize::try_from(found).unwrap_or(0);
        for migration in MIGRATIONS.iter().skip(done) {
            tx.batch_execute(migration).await.map_err(store_error)?;
        }
        tx.execute("DELETE FROM schema_version", &[])
            .await
            .map_err(store_error)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&SCHEMA_VERSION],
        )
        .await
        .map_err(store_error)?;
    }
    tx.commit().await.map_err(store_error)
}
