//! A [`Store`] over PostgreSQL (feature `postgres`), through the synchronous `postgres` client.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use postgres::error::SqlState;
use postgres::types::{Json, ToSql};
use postgres::{Client, Config, GenericClient, NoTls, Statement, Transaction};

use super::columns::{
    checked_row, corrupt, corrupt_claim, newer_schema, out_of_range, partner_to, version_from,
    version_to,
};
use super::{
    Claim, Expect, ImportReport, Page, PageRequest, Scope, Store, StoreError, Stored, UniqueKey,
    Version, Write,
};
use crate::catalog::{Catalogs, EngagementId};
use crate::id::{ClaimId, CustomerId, PartnerId};
use crate::store::CountedKey;

/// A back end failure this module detects itself (the others are `postgres`' errors).
#[derive(Debug, thiserror::Error)]
enum PgError {
    /// The schema name cannot name a PostgreSQL schema.
    #[error("schema name {name:?} is not valid: {reason}")]
    SchemaName { name: String, reason: &'static str },
    /// Every attempt of a commit met a concurrent one.
    #[error("gave up after {attempts} attempts that each met a concurrent transaction")]
    Contention { attempts: usize },
}

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
];

/// The newest schema version this build knows.
const SCHEMA_VERSION: i64 = 1;

/// The schema of [`PgStore::connect`].
pub const DEFAULT_SCHEMA: &str = "cpor";

/// The most connections of [`PgStore::connect`] and [`PgStore::connect_in_schema`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 16;

/// How many times a commit runs when PostgreSQL aborts it for a serialization failure or a
/// deadlock.
const ATTEMPTS: usize = 8;

/// How long to wait before each retry.
const BACKOFF_MS: [u64; ATTEMPTS] = [0, 1, 2, 4, 8, 16, 32, 64];

/// A [`Store`] over a PostgreSQL database (feature `postgres`), in one schema of its own.
///
/// It keeps the contract exactly as [`InMemoryStore`](super::InMemoryStore) does, passes the
/// conformance suite in `cpor::testing`, and any number of `PgStore`s, in one process or in
/// many service instances, may share a schema: the database enforces every key and limit.
///
/// ```no_run
/// use cpor::PartnerId;
/// use cpor::store::{PgStore, Store};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // The schema `cpor` is created and migrated on connect.
/// let store = PgStore::connect("host=localhost user=cpor dbname=claims")?;
/// assert!(store.by_partner(PartnerId::new(4_512_345)?, Default::default())?.is_empty());
///
/// // A schema of its own, and at most 4 connections.
/// let tenant = PgStore::connect_with(
///     "postgresql://cpor@localhost/claims",
///     "cpor_eu",
///     4,
/// )?;
/// # drop(tenant);
/// # Ok(())
/// # }
/// ```
///
/// # Transactions
///
/// Each [`commit`](Store::commit) is **one** `READ COMMITTED` transaction, and the database
/// itself enforces the contract inside it:
///
/// 1. each write, in order, is a conditional statement: a create is an
///    `INSERT ... ON CONFLICT (id) DO NOTHING` (a row already there is compared with
///    [`Claim::same_content`] for an idempotent retry), an update is an
///    `UPDATE ... WHERE version = $expected` that must change one row, else the commit fails
///    with [`StoreError::Conflict`]; the update locks the claim's row, and in the same
///    statement releases the uniqueness keys and the counted place the new version no longer
///    holds;
/// 2. every write then inserts the keys it holds into `unique_keys`, whose primary key is the
///    key, with `ON CONFLICT (key) DO NOTHING`: a key another claim holds is not inserted (a
///    concurrent transaction that is inserting it is waited for), and the commit fails with
///    [`StoreError::KeyHeld`] naming the holder, read in the same transaction. This is the
///    unique constraint doing the work without aborting the transaction, which a
///    `unique_violation` (SQLSTATE 23505) would; should one still occur, the commit is retried;
/// 3. every newly counted place increments its counter row in `counted_keys` with
///    `INSERT ... ON CONFLICT (key) DO UPDATE SET n = n + 1 RETURNING n`: the row stays locked
///    until the transaction ends, so concurrent commits on one counted key, from any number of
///    service instances, take turns, and the commit fails with [`StoreError::LimitReached`] if
///    the count it returns is over the limit.
///
/// A commit of creates only acquires each create's keys and counted place in the create's own
/// statement: one statement per create between `BEGIN` and `COMMIT`. A commit with an update
/// acquires after every write's releases, so that a key one write releases may go to another.
///
/// A commit of **one** create (the common case) is first tried as that one statement alone,
/// autocommitted: one round trip instead of three. The statement ends by calling the schema's
/// `refuse_commit()` unless the claim was inserted, every key acquired and the count within the
/// limit; that function raises an error, which undoes the whole statement. The commit then runs
/// as a transaction as above, which finds the same refusal (or an idempotent retry) and names
/// it exactly.
///
/// Any refusal rolls the transaction back: nothing is written. A transaction PostgreSQL aborts
/// for a serialization failure (SQLSTATE 40001) or a deadlock (40P01) is retried, up to 8
/// times in all, then fails with [`StoreError::Backend`].
///
/// [`import`](Store::import) runs the whole batch in one transaction, each claim in a
/// savepoint of its own: a refused claim is rolled back to its savepoint and reported, the
/// others are committed together.
///
/// # Schema
///
/// - `claims(id, seq, partner, engagement, customer, version, next_deadline,
///   next_deadline_ns, body)`: one row per claim, its body as `jsonb`, with indexes on
///   `(partner, engagement, seq)` (which also serves queries by partner alone),
///   `(customer, partner)` and `(next_deadline, next_deadline_ns, id)`. Claims of a partner
///   come in the order they were created (`seq`), claims of a customer in the order of their
///   IDs. A deadline is a `timestamptz` (microseconds) with the nanoseconds below the
///   microsecond in `next_deadline_ns`, so deadlines compare exactly; one before 4714 BC cannot
///   be stored (its commit fails with [`StoreError::Backend`]).
/// - `unique_keys(key PRIMARY KEY, claim)`: the holder of each uniqueness key held.
/// - `counted(claim PRIMARY KEY, key)`: the counted key each active claim counts towards, and
///   `counted_keys(key PRIMARY KEY, n)`: how many do, changed in the same transactions.
/// - `refuse_commit()`: a function that raises SQLSTATE `CR001`, for the one-statement commit.
/// - `schema_version(version)`: the schema's version, migrated on connect under an advisory
///   lock, so that service instances starting together migrate once. A schema of a newer
///   version than this build knows is refused.
///
/// Keys are stored as their JSON serialization, which is unambiguous.
///
/// # What is checked, and what is trusted
///
/// The store enforces the catalogs it was connected with
/// ([`with_catalogs`](Self::with_catalogs); the built-in ones by default), never numbers a
/// claim carries: every claim of a commit or an import is checked against the catalog of its
/// program year before it is sent (a claim that fails is [`StoreError::Invalid`]), and the
/// per-customer cap each commit checks is that catalog's. Every claim read is checked as
/// every way in is checked: its JSON body through the invariants of a claim, its `id` and
/// `partner` columns against the body (so a row moved to another partner location is never
/// returned to it), and its catalog; a row that fails is [`StoreError::Corrupt`], naming the
/// row's claim. What no store can check (the facts from outside, see [`Store::import`]) is
/// trusted.
///
/// # Connections
///
/// A small pool of its own: a connection is opened when every open one is busy, up to the
/// maximum, after which callers wait for one to come back. Each connection prepares its
/// statements once. A connection the server closed is dropped when it fails (that call fails
/// with [`StoreError::Backend`]) and a new one is opened on demand. Connections use no TLS:
/// connect through a Unix socket, a local network or a TLS-terminating proxy. Session settings
/// such as `synchronous_commit` can be given in the connection string's `options`.
pub struct PgStore {
    config: Config,
    /// The schema's name, quoted as an SQL identifier.
    schema: String,
    max_connections: usize,
    pool: Mutex<Pool>,
    returned: Condvar,
    catalogs: Catalogs,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pool = lock(&self.pool);
        f.debug_struct("PgStore")
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .field("open_connections", &pool.open)
            .field("idle_connections", &pool.idle.len())
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Pool {
    idle: Vec<Connection>,
    /// Connections open, idle or in use.
    open: usize,
}

/// One connection with the statements it prepared.
struct Connection {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

/// A connection taken from the pool, given back when dropped.
struct Pooled<'a> {
    store: &'a PgStore,
    connection: Option<Connection>,
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let mut pool = lock(&self.store.pool);
        match self.connection.take() {
            Some(connection) if !connection.client.is_closed() => pool.idle.push(connection),
            _ => pool.open = pool.open.saturating_sub(1),
        }
        drop(pool);
        self.store.returned.notify_one();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The pool's lists stay consistent whatever panicked while holding the lock.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A client (a connection or a transaction) with its connection's prepared statements.
struct Session<'a, C> {
    client: &'a mut C,
    statements: &'a mut HashMap<&'static str, Statement>,
}

type Params<'p> = [&'p (dyn ToSql + Sync)];

impl<C: GenericClient> Session<'_, C> {
    fn statement(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Vec<postgres::Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query(&statement, params)
    }

    fn query_one(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<postgres::Row, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query_one(&statement, params)
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Option<postgres::Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query_opt(&statement, params)
    }
}

/// Why one attempt of a transaction ended early.
enum Abort {
    /// The contract refuses the commit: report it.
    Refused(StoreError),
    /// The store's own failure (a value out of range, a corrupt row): report it.
    Failed(StoreError),
    /// The database failed: retry if transient, else report.
    Db(postgres::Error),
    /// A concurrent transaction changed what this one read: retry.
    Retry,
}

impl From<postgres::Error> for Abort {
    fn from(error: postgres::Error) -> Self {
        Self::Db(error)
    }
}

type Attempt<T> = Result<T, Abort>;

/// Whether PostgreSQL aborted a transaction that may succeed if run again.
fn is_transient(error: &postgres::Error) -> bool {
    matches!(
        error.code(),
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::UNIQUE_VIOLATION
    )
}

impl PgStore {
    /// Connects to a database, in the schema [`DEFAULT_SCHEMA`] (`cpor`), with at most
    /// [`DEFAULT_MAX_CONNECTIONS`] connections. The schema is created and migrated.
    ///
    /// `url` is a `postgresql://` URL or a `key=value` connection string, as `libpq` takes
    /// them.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if the URL is not valid, the server cannot be reached, the
    /// schema cannot be created or migrated, or it holds a schema version newer than this
    /// build knows.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, DEFAULT_SCHEMA, DEFAULT_MAX_CONNECTIONS)
    }

    /// Connects to a database, in the schema `schema`, with at most
    /// [`DEFAULT_MAX_CONNECTIONS`] connections. The schema is created and migrated.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect), and [`StoreError::Backend`] if `schema` is empty,
    /// longer than 63 bytes or holds a NUL character.
    pub fn connect_in_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, schema, DEFAULT_MAX_CONNECTIONS)
    }

    /// Connects to a database, in the schema `schema`, with at most `max_connections`
    /// connections (at least one). The schema is created and migrated.
    ///
    /// # Errors
    ///
    /// As [`connect_in_schema`](Self::connect_in_schema).
    pub fn connect_with(
        url: &str,
        schema: &str,
        max_connections: usize,
    ) -> Result<Self, StoreError> {
        let config: Config = url.parse().map_err(StoreError::backend)?;
        let store = Self {
            config,
            schema: quote_schema(schema)?,
            max_connections: max_connections.max(1),
            pool: Mutex::new(Pool::default()),
            returned: Condvar::new(),
            catalogs: Catalogs::builtin(),
        };
        let mut connection = store.checkout()?;
        store.migrate(&mut connection, schema)?;
        drop(connection);
        Ok(store)
    }

    /// The store, enforcing `catalogs` instead of the built-in ones ([`Catalogs::builtin`],
    /// which every `connect` starts with): the per-customer caps, and every rule
    /// [`Claim::validate`] checks on each write and each load, come from the catalog of each
    /// claim's program year.
    #[must_use]
    pub fn with_catalogs(mut self, catalogs: Catalogs) -> Self {
        self.catalogs = catalogs;
        self
    }

    /// The catalogs the store enforces.
    #[must_use]
    pub const fn catalogs(&self) -> &Catalogs {
        &self.catalogs
    }

    /// The schema's name, quoted as an SQL identifier.
    #[must_use]
    pub fn schema(&self) -> &str {
        &self.schema
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let mut client = self.config.connect(NoTls).map_err(StoreError::backend)?;
        client
            .batch_execute(&format!("SET search_path TO {}", self.schema))
            .map_err(StoreError::backend)?;
        Ok(Connection {
            client,
            statements: HashMap::new(),
        })
    }

    /// Takes an idle connection, or opens one, or waits for one to come back.
    fn checkout(&self) -> Result<Pooled<'_>, StoreError> {
        let mut pool = lock(&self.pool);
        loop {
            if let Some(connection) = pool.idle.pop() {
                return Ok(Pooled {
                    store: self,
                    connection: Some(connection),
                });
            }
            if pool.open < self.max_connections {
                pool.open = pool.open.saturating_add(1);
                drop(pool);
                // A failed open gives its place back through the drop of `Pooled`.
                let mut pooled = Pooled {
                    store: self,
                    connection: None,
                };
                pooled.connection = Some(self.open()?);
                return Ok(pooled);
            }
            pool = self
                .returned
                .wait(pool)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Runs `attempt` on a pooled connection, again when PostgreSQL aborts it for a
    /// serialization failure or a deadlock.
    fn run<T>(
        &self,
        mut attempt: impl FnMut(&mut Connection) -> Attempt<T>,
    ) -> Result<T, StoreError> {
        let mut pooled = self.checkout()?;
        for backoff in BACKOFF_MS {
            if backoff > 0 {
                std::thread::sleep(Duration::from_millis(backoff));
            }
            let Some(connection) = pooled.connection.as_mut() else {
                break;
            };
            match attempt(connection) {
                Ok(value) => return Ok(value),
                Err(Abort::Refused(error) | Abort::Failed(error)) => return Err(error),
                Err(Abort::Db(error)) if !is_transient(&error) => {
                    return Err(StoreError::backend(error));
                }
                Err(Abort::Db(_) | Abort::Retry) => {}
            }
        }
        Err(StoreError::backend(PgError::Contention {
            attempts: ATTEMPTS,
        }))
    }

    /// Tries a commit of one create as one autocommitted statement: `true` if it is committed;
    /// `false` if the statement refused it or met a concurrent transaction, and wrote nothing,
    /// so that the full transaction decides (and names the holder of a key, say).
    fn fast_create(&self, p: &Prepared<'_>) -> Result<bool, StoreError> {
        let row = &p.row;
        let limit = p
            .held
            .counted
            .as_ref()
            .map(|(_, _, limit)| i64::from(*limit));
        let outcome = self.read(|session| {
            Ok(session.query_one(
                FAST_CREATE,
                &[
                    &row.id,
                    &row.partner,
                    &row.engagement,
                    &row.customer,
                    &row.next_deadline,
                    &row.next_deadline_ns,
                    &row.body,
                    &p.held.sorted,
                    &p.held.counted_text(),
                    &limit,
                ],
            ))
        })?;
        match outcome {
            Ok(_) => Ok(true),
            Err(error) if error.code().is_some_and(|c| c.code() == REFUSED) => Ok(false),
            Err(error) if is_transient(&error) => Ok(false),
            Err(error) => Err(StoreError::backend(error)),
        }
    }

    /// Runs a read on a pooled connection.
    fn read<T>(
        &self,
        read: impl FnOnce(&mut Session<'_, Client>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut pooled = self.checkout()?;
        let Some(Connection { client, statements }) = pooled.connection.as_mut() else {
            return Err(StoreError::backend(PgError::Contention { attempts: 0 }));
        };
        read(&mut Session { client, statements })
    }

    /// Reads rows of `id, partner, version, body, seq` into a page.
    fn select_page(
        &self,
        sql: &'static str,
        params: &Params<'_>,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let read = self.read(|session| {
            session
                .query(sql, params)
                .map_err(StoreError::backend)?
                .iter()
                .map(|row| {
                    let seq: i64 = row.try_get(4).map_err(StoreError::backend)?;
                    Ok((
                        u64::try_from(seq).unwrap_or(0),
                        loaded_from(row, &self.catalogs)?,
                    ))
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })?;
        Ok(Page::from_positioned(read, page))
    }

    fn select(&self, sql: &'static str, params: &Params<'_>) -> Result<Vec<Stored>, StoreError> {
        self.read(|session| {
            session
                .query(sql, params)
                .map_err(StoreError::backend)?
                .iter()
                .map(|row| loaded_from(row, &self.catalogs))
                .collect()
        })
    }

    /// Creates or migrates the schema, in one transaction under an advisory lock.
    fn migrate(&self, pooled: &mut Pooled<'_>, name: &str) -> Result<(), StoreError> {
        let Some(connection) = pooled.connection.as_mut() else {
            return Err(StoreError::backend(PgError::Contention { attempts: 0 }));
        };
        let mut tx = connection
            .client
            .transaction()
            .map_err(StoreError::backend)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('cpor.migrate:' || $1::text))",
            &[&name],
        )
        .map_err(StoreError::backend)?;
        let exists = tx
            .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&name])
            .map_err(StoreError::backend)?
            .is_some();
        if !exists {
            tx.batch_execute(&format!("CREATE SCHEMA {}", self.schema))
                .map_err(StoreError::backend)?;
        }
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version bigint NOT NULL)")
            .map_err(StoreError::backend)?;
        let found: i64 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .and_then(|row| row.try_get(0))
            .map_err(StoreError::backend)?;
        if found > SCHEMA_VERSION {
            return Err(newer_schema(found, SCHEMA_VERSION));
        }
        if found < SCHEMA_VERSION {
            let done = usize::try_from(found).unwrap_or(0);
            for migration in MIGRATIONS.iter().skip(done) {
                tx.batch_execute(migration).map_err(StoreError::backend)?;
            }
            tx.execute("DELETE FROM schema_version", &[])
                .map_err(StoreError::backend)?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&SCHEMA_VERSION],
            )
            .map_err(StoreError::backend)?;
        }
        tx.commit().map_err(StoreError::backend)
    }
}

/// Quotes a schema name as an SQL identifier.
fn quote_schema(name: &str) -> Result<String, StoreError> {
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
        return Err(StoreError::backend(PgError::SchemaName {
            name: name.to_owned(),
            reason,
        }));
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

// ---- Conversions between values and columns ----

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::backend)
}

fn claim_id_from(id: uuid::Uuid) -> Result<ClaimId, StoreError> {
    ClaimId::from_uuid(id).map_err(|e| corrupt("claim ID", &id.to_string(), &e))
}

/// A claim read by a query of `LOADED` columns (id, partner, version, body), checked as
/// every way in is checked: the JSON body through the claim's invariants, then against the
/// row's ID and partner, then against the catalog of its program year.
fn loaded_from(row: &postgres::Row, catalogs: &Catalogs) -> Result<Stored, StoreError> {
    let id: uuid::Uuid = row.try_get(0).map_err(StoreError::backend)?;
    let id = claim_id_from(id)?;
    let partner: i64 = row.try_get(1).map_err(StoreError::backend)?;
    let version: i64 = row.try_get(2).map_err(StoreError::backend)?;
    let Json(claim): Json<Claim> = row.try_get(3).map_err(|e| {
        // The driver's own message only names the column; the reason is its source's.
        let reason =
            std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string);
        corrupt_claim(Some(id), &reason)
    })?;
    Ok(Stored {
        claim: checked_row(id, partner, claim, catalogs)?,
        version: version_from(version)?,
    })
}

fn stored_from(row: &postgres::Row) -> Result<Stored, StoreError> {
    let version: i64 = row.try_get(0).map_err(StoreError::backend)?;
    let Json(claim): Json<Claim> = row.try_get(1).map_err(StoreError::backend)?;
    Ok(Stored {
        claim,
        version: version_from(version)?,
    })
}

/// A moment as stored: the `timestamptz` (whole microseconds) and the nanoseconds below.
fn moment(t: DateTime<Utc>) -> Result<(DateTime<Utc>, i32), StoreError> {
    let nanos = t.nanosecond();
    let below = nanos.checked_rem(1_000).unwrap_or(0);
    let micros = t
        .with_nanosecond(nanos.saturating_sub(below))
        .ok_or_else(|| out_of_range("deadline", t))?;
    let below = i32::try_from(below).map_err(|_| out_of_range("deadline", t))?;
    Ok((micros, below))
}

/// The earliest moment a `timestamptz` holds: 4714-11-24 BC, midnight UTC.
fn earliest_timestamp() -> Option<DateTime<Utc>> {
    NaiveDate::from_ymd_opt(-4713, 11, 24)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// The columns of a claim row, derived from the claim.
struct Row<'c> {
    id: uuid::Uuid,
    partner: i64,
    engagement: &'c str,
    customer: String,
    next_deadline: Option<DateTime<Utc>>,
    next_deadline_ns: Option<i32>,
    body: Json<&'c Claim>,
}

impl<'c> Row<'c> {
    fn of(claim: &'c Claim) -> Result<Self, StoreError> {
        let (next_deadline, next_deadline_ns) = match claim.next_deadline() {
            Some(t) => {
                let (micros, below) = moment(t)?;
                (Some(micros), Some(below))
            }
            None => (None, None),
        };
        Ok(Self {
            id: claim.id().as_uuid(),
            partner: partner_to(claim.partner())?,
            engagement: claim.engagement().as_str(),
            customer: claim.customer().to_string(),
            next_deadline,
            next_deadline_ns,
            body: Json(claim),
        })
    }
}

/// The keys and counted place a claim holds in its new state, as stored.
struct Held {
    /// The keys, in the order of [`Claim::holdings`], with their JSON.
    keys: Vec<(UniqueKey, String)>,
    /// The same JSON, sorted: the order keys are inserted in, so that concurrent commits lock
    /// them in one order.
    sorted: Vec<String>,
    counted: Option<(CountedKey, String, u32)>,
}

impl Held {
    /// What a claim already checked against `catalogs` holds.
    fn of(claim: &Claim, catalogs: &Catalogs) -> Result<Self, StoreError> {
        let holdings = claim.holdings_trusted(catalogs);
        let mut keys = Vec::with_capacity(holdings.unique.len());
        for key in holdings.unique {
            let text = json(&key)?;
            keys.push((key, text));
        }
        let mut sorted: Vec<String> = keys.iter().map(|(_, text)| text.clone()).collect();
        sorted.sort_unstable();
        let counted = match holdings.counted {
            Some((key, limit)) => {
                let text = json(&key)?;
                Some((key, text, limit))
            }
            None => None,
        };
        Ok(Self {
            keys,
            sorted,
            counted,
        })
    }

    fn counted_text(&self) -> Option<&str> {
        self.counted.as_ref().map(|(_, text, _)| text.as_str())
    }
}

/// One write, converted once for every attempt.
struct Prepared<'w> {
    write: &'w Write,
    row: Row<'w>,
    held: Held,
}

fn prepare<'w>(writes: &'w [Write], catalogs: &Catalogs) -> Result<Vec<Prepared<'w>>, StoreError> {
    writes
        .iter()
        .map(|write| {
            Ok(Prepared {
                write,
                row: Row::of(&write.claim)?,
                held: Held::of(&write.claim, catalogs)?,
            })
        })
        .collect()
}

/// What one write did in the first step of a commit.
struct Done {
    version: Version,
    /// Whether the write changed the claim (not an idempotent create).
    changed: bool,
    /// The keys of the new version that another claim holds (JSON), in holdings order;
    /// filled by the step that acquires keys.
    missing: Vec<String>,
    /// The count of the counted place the write newly took, once taken.
    count: Option<i64>,
}

// ---- The statements of a commit ----

/// A create, with (in a commit of creates only) its keys and counted place: the keys another
/// claim holds are left out, and the statement returns those inserted and the new count.
const CREATE: &str = "WITH ins AS (
        INSERT INTO claims
            (id, partner, engagement, customer, version, next_deadline, next_deadline_ns, body)
        VALUES ($1, $2, $3, $4, 1, $5, $6, $7)
        ON CONFLICT (id) DO NOTHING
        RETURNING id
    ), keys AS (
        INSERT INTO unique_keys (key, claim)
        SELECT k.key, ins.id FROM ins, unnest($8::text[]) WITH ORDINALITY AS k(key, n)
        ORDER BY k.n
        ON CONFLICT (key) DO NOTHING
        RETURNING key
    ), place AS (
        INSERT INTO counted (claim, key)
        SELECT ins.id, $9::text FROM ins WHERE $9::text IS NOT NULL
        RETURNING key
    ), counter AS (
        INSERT INTO counted_keys (key, n) SELECT key, 1 FROM place
        ON CONFLICT (key) DO UPDATE SET n = counted_keys.n + 1
        RETURNING n
    )
    SELECT (SELECT count(*) FROM ins), ARRAY(SELECT key FROM keys), (SELECT n FROM counter)";

/// The SQLSTATE of `refuse_commit()`.
const REFUSED: &str = "CR001";

/// A commit of one create in one autocommitted statement: [`CREATE`], then `refuse_commit()`
/// (which aborts the statement, so that nothing is written) unless the claim was inserted,
/// every key acquired and the count within `$10`.
const FAST_CREATE: &str = "WITH ins AS (
        INSERT INTO claims
            (id, partner, engagement, customer, version, next_deadline, next_deadline_ns, body)
        VALUES ($1, $2, $3, $4, 1, $5, $6, $7)
        ON CONFLICT (id) DO NOTHING
        RETURNING id
    ), keys AS (
        INSERT INTO unique_keys (key, claim)
        SELECT k.key, ins.id FROM ins, unnest($8::text[]) WITH ORDINALITY AS k(key, n)
        ORDER BY k.n
        ON CONFLICT (key) DO NOTHING
        RETURNING key
    ), place AS (
        INSERT INTO counted (claim, key)
        SELECT ins.id, $9::text FROM ins WHERE $9::text IS NOT NULL
        RETURNING key
    ), counter AS (
        INSERT INTO counted_keys (key, n) SELECT key, 1 FROM place
        ON CONFLICT (key) DO UPDATE SET n = counted_keys.n + 1
        RETURNING n
    ), outcome AS (
        SELECT (SELECT count(*) FROM ins) = 1
            AND (SELECT count(*) FROM keys) = cardinality($8::text[])
            AND coalesce((SELECT n FROM counter) <= $10::bigint, true) AS accepted
    )
    SELECT CASE WHEN accepted THEN 1 ELSE refuse_commit() END FROM outcome";

/// The claim a create found in its place.
const EXISTING: &str = "SELECT version, body FROM claims WHERE id = $1";

/// An update that must find the expected version, releasing the keys and the counted place
/// the new version no longer holds.
const UPDATE: &str = "WITH upd AS (
        UPDATE claims SET partner = $2, engagement = $3, customer = $4, version = $5,
            next_deadline = $6, next_deadline_ns = $7, body = $8
        WHERE id = $1 AND version = $9
        RETURNING id
    ), released_keys AS (
        DELETE FROM unique_keys
        WHERE claim IN (SELECT id FROM upd) AND NOT (key = ANY($10::text[]))
    ), released_place AS (
        DELETE FROM counted
        WHERE claim IN (SELECT id FROM upd) AND key IS DISTINCT FROM $11::text
        RETURNING key
    ), counter AS (
        UPDATE counted_keys SET n = n - 1 WHERE key IN (SELECT key FROM released_place)
    )
    SELECT count(*) FROM upd";

/// The version an update did not find.
const VERSION_OF: &str = "SELECT version FROM claims WHERE id = $1";

/// The keys of a commit with updates, after every release: those inserted come back.
const ACQUIRE_KEYS: &str = "INSERT INTO unique_keys (key, claim)
    SELECT key, claim FROM unnest($1::text[], $2::uuid[]) WITH ORDINALITY AS k(key, claim, n)
    ORDER BY k.n
    ON CONFLICT (key) DO NOTHING
    RETURNING key, claim";

/// The counted place of one write of a commit with updates; no row if the claim kept it.
const ACQUIRE_PLACE: &str = "WITH place AS (
        INSERT INTO counted (claim, key) VALUES ($1, $2)
        ON CONFLICT (claim) DO NOTHING
        RETURNING key
    )
    INSERT INTO counted_keys (key, n) SELECT key, 1 FROM place
    ON CONFLICT (key) DO UPDATE SET n = counted_keys.n + 1
    RETURNING n";

/// The holders of some keys.
const HOLDERS: &str = "SELECT key, claim FROM unique_keys WHERE key = ANY($1::text[])";

// ---- The commit, inside its transaction ----

/// Runs the writes of one commit in `session`'s transaction; on `Ok`, the caller commits.
fn commit_in(
    session: &mut Session<'_, Transaction<'_>>,
    prepared: &[Prepared<'_>],
) -> Attempt<Vec<Version>> {
    let creates_only = prepared
        .iter()
        .all(|p| matches!(p.write.expect, Expect::Absent));
    let mut done: Vec<Done> = Vec::with_capacity(prepared.len());
    for (i, p) in prepared.iter().enumerate() {
        let id = p.write.claim.id();
        if prepared.iter().take(i).any(|q| q.write.claim.id() == id) {
            return Err(Abort::Refused(StoreError::DuplicateWrite { claim: id }));
        }
        done.push(match p.write.expect {
            Expect::Absent => create(session, p, creates_only)?,
            Expect::Version(expected) => update(session, p, expected)?,
        });
    }
    if !creates_only {
        acquire_keys(session, prepared, &mut done)?;
    }
    report_held_keys(session, prepared, &done)?;
    if !creates_only {
        acquire_places(session, prepared, &mut done)?;
    }
    for (p, d) in prepared.iter().zip(&done) {
        if let (Some((key, _, limit)), Some(count)) = (&p.held.counted, d.count)
            && count > i64::from(*limit)
        {
            return Err(Abort::Refused(StoreError::LimitReached {
                key: key.clone(),
                limit: *limit,
            }));
        }
    }
    Ok(done.into_iter().map(|d| d.version).collect())
}

fn create(
    session: &mut Session<'_, Transaction<'_>>,
    p: &Prepared<'_>,
    with_holdings: bool,
) -> Attempt<Done> {
    let row = &p.row;
    let no_keys: &[String] = &[];
    let keys = if with_holdings {
        p.held.sorted.as_slice()
    } else {
        no_keys
    };
    let counted = if with_holdings {
        p.held.counted_text()
    } else {
        None
    };
    let result = session.query_one(
        CREATE,
        &[
            &row.id,
            &row.partner,
            &row.engagement,
            &row.customer,
            &row.next_deadline,
            &row.next_deadline_ns,
            &row.body,
            &keys,
            &counted,
        ],
    )?;
    let inserted: i64 = result.try_get(0)?;
    if inserted == 1 {
        let acquired: Vec<String> = result.try_get(1)?;
        let count: Option<i32> = result.try_get(2)?;
        let missing = if with_holdings {
            p.held
                .keys
                .iter()
                .filter(|(_, text)| !acquired.contains(text))
                .map(|(_, text)| text.clone())
                .collect()
        } else {
            Vec::new()
        };
        return Ok(Done {
            version: Version::FIRST,
            changed: true,
            missing,
            count: count.map(i64::from),
        });
    }
    // The claim exists (a concurrent create was waited for): an idempotent retry or a clash.
    let Some(existing) = session.query_opt(EXISTING, &[&row.id])? else {
        return Err(Abort::Retry);
    };
    let stored = stored_from(&existing).map_err(Abort::Failed)?;
    if !stored.claim.same_content(&p.write.claim) {
        return Err(Abort::Refused(StoreError::IdConflict {
            claim: p.write.claim.id(),
        }));
    }
    Ok(Done {
        version: stored.version,
        changed: false,
        missing: Vec::new(),
        count: None,
    })
}

fn update(
    session: &mut Session<'_, Transaction<'_>>,
    p: &Prepared<'_>,
    expected: Version,
) -> Attempt<Done> {
    let row = &p.row;
    let next = expected.next();
    let (next_n, expected_n) = (
        version_to(next).map_err(Abort::Failed)?,
        version_to(expected).map_err(Abort::Failed)?,
    );
    let updated: i64 = session
        .query_one(
            UPDATE,
            &[
                &row.id,
                &row.partner,
                &row.engagement,
                &row.customer,
                &next_n,
                &row.next_deadline,
                &row.next_deadline_ns,
                &row.body,
                &expected_n,
                &p.held.sorted,
                &p.held.counted_text(),
            ],
        )?
        .try_get(0)?;
    if updated != 1 {
        let actual = match session.query_opt(VERSION_OF, &[&row.id])? {
            Some(found) => Some(version_from(found.try_get(0)?).map_err(Abort::Failed)?),
            None => None,
        };
        return Err(Abort::Refused(StoreError::Conflict {
            claim: p.write.claim.id(),
            expected: Some(expected),
            actual,
        }));
    }
    Ok(Done {
        version: next,
        changed: true,
        missing: Vec::new(),
        count: None,
    })
}

/// In a commit with updates: inserts the keys of every write, after every release.
fn acquire_keys(
    session: &mut Session<'_, Transaction<'_>>,
    prepared: &[Prepared<'_>],
    done: &mut [Done],
) -> Attempt<()> {
    // Sorted by key (stable, so a key two writes want goes to the first), so that concurrent
    // commits lock keys in one order.
    let mut wanted: Vec<(&str, uuid::Uuid)> = prepared
        .iter()
        .zip(done.iter())
        .filter(|(_, d)| d.changed)
        .flat_map(|(p, _)| p.held.sorted.iter().map(|k| (k.as_str(), p.row.id)))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    wanted.sort_by(|a, b| a.0.cmp(b.0));
    let keys: Vec<&str> = wanted.iter().map(|(k, _)| *k).collect();
    let claims: Vec<uuid::Uuid> = wanted.iter().map(|(_, c)| *c).collect();
    let rows = session.query(ACQUIRE_KEYS, &[&keys, &claims])?;
    let mut acquired: Vec<(String, uuid::Uuid)> = Vec::with_capacity(rows.len());
    for row in rows {
        acquired.push((row.try_get(0)?, row.try_get(1)?));
    }
    for (p, d) in prepared.iter().zip(done.iter_mut()) {
        if !d.changed {
            continue;
        }
        d.missing = p
            .held
            .keys
            .iter()
            .filter(|(_, text)| !acquired.iter().any(|(k, c)| k == text && *c == p.row.id))
            .map(|(_, text)| text.clone())
            .collect();
    }
    Ok(())
}

/// Fails with the first key, in the order of the writes, that another claim holds. A key the
/// claim itself held before is not missing.
fn report_held_keys(
    session: &mut Session<'_, Transaction<'_>>,
    prepared: &[Prepared<'_>],
    done: &[Done],
) -> Attempt<()> {
    let missing: Vec<&str> = done
        .iter()
        .flat_map(|d| d.missing.iter().map(String::as_str))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let rows = session.query(HOLDERS, &[&missing])?;
    let mut holders: Vec<(String, uuid::Uuid)> = Vec::with_capacity(rows.len());
    for row in rows {
        holders.push((row.try_get(0)?, row.try_get(1)?));
    }
    for (p, d) in prepared.iter().zip(done) {
        for text in &d.missing {
            let Some((_, holder)) = holders.iter().find(|(k, _)| k == text) else {
                // Released by a concurrent commit since: the next attempt may take it.
                return Err(Abort::Retry);
            };
            if *holder == p.row.id {
                continue;
            }
            let Some((key, _)) = p.held.keys.iter().find(|(_, t)| t == text) else {
                continue;
            };
            return Err(Abort::Refused(StoreError::KeyHeld {
                key: key.clone(),
                holder: claim_id_from(*holder).map_err(Abort::Failed)?,
            }));
        }
    }
    Ok(())
}

/// In a commit with updates: takes the counted place of every write that newly counts.
fn acquire_places(
    session: &mut Session<'_, Transaction<'_>>,
    prepared: &[Prepared<'_>],
    done: &mut [Done],
) -> Attempt<()> {
    for (p, d) in prepared.iter().zip(done.iter_mut()) {
        let Some(text) = p.held.counted_text().filter(|_| d.changed) else {
            continue;
        };
        if let Some(row) = session.query_opt(ACQUIRE_PLACE, &[&p.row.id, &text])? {
            let n: i32 = row.try_get(0)?;
            d.count = Some(i64::from(n));
        }
    }
    Ok(())
}

/// One attempt of a commit: a transaction that commits only if every write passed.
fn commit_attempt(connection: &mut Connection, prepared: &[Prepared<'_>]) -> Attempt<Vec<Version>> {
    let Connection { client, statements } = connection;
    let mut tx = client.transaction()?;
    let versions = commit_in(
        &mut Session {
            client: &mut tx,
            statements,
        },
        prepared,
    )?;
    // On any error above, `tx` is dropped, which rolls the transaction back.
    tx.commit()?;
    Ok(versions)
}

/// One attempt of an import: one transaction, a savepoint per claim.
fn import_attempt(connection: &mut Connection, prepared: &[Prepared<'_>]) -> Attempt<ImportReport> {
    let Connection { client, statements } = connection;
    let mut tx = client.transaction()?;
    let mut report = ImportReport::with_capacity(prepared.len());
    tx.batch_execute("SAVEPOINT cpor_import")?;
    for p in prepared {
        let id = p.write.claim.id();
        let mut session = Session {
            client: &mut tx,
            statements: &mut *statements,
        };
        match commit_in(&mut session, std::slice::from_ref(p)) {
            Ok(versions) => {
                let version = versions.first().copied().unwrap_or(Version::FIRST);
                report.outcomes.push((id, Ok(version)));
                // Keep the claim's writes, and mark the start of the next claim's.
                tx.batch_execute("RELEASE SAVEPOINT cpor_import; SAVEPOINT cpor_import")?;
            }
            Err(Abort::Refused(refusal)) => {
                report.outcomes.push((id, Err(refusal)));
                tx.batch_execute("ROLLBACK TO SAVEPOINT cpor_import")?;
            }
            Err(other) => return Err(other),
        }
    }
    tx.commit()?;
    Ok(report)
}

impl Store for PgStore {
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        let id = id.as_uuid();
        let found = match scope {
            Scope::Microsoft => self.select(
                "SELECT id, partner, version, body FROM claims WHERE id = $1",
                &[&id],
            )?,
            Scope::Partner(partner) => self.select(
                "SELECT id, partner, version, body FROM claims WHERE id = $1 AND partner = $2",
                &[&id, &partner_to(partner)?],
            )?,
        };
        Ok(found.into_iter().next())
    }

    fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        for write in &writes {
            write.claim.validate(&self.catalogs)?;
        }
        let prepared = prepare(&writes, &self.catalogs)?;
        if let [single] = prepared.as_slice()
            && single.write.expect == Expect::Absent
            && self.fast_create(single)?
        {
            return Ok(vec![Version::FIRST]);
        }
        self.run(|connection| commit_attempt(connection, &prepared))
    }

    fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        // Each claim is checked against the catalogs first; a refused one is reported in its
        // place and never reaches the database.
        let mut refused: Vec<Option<(ClaimId, StoreError)>> = Vec::with_capacity(claims.len());
        let mut writes: Vec<Write> = Vec::with_capacity(claims.len());
        for claim in claims {
            match claim.validate(&self.catalogs) {
                Ok(()) => {
                    refused.push(None);
                    writes.push(Write::create(claim));
                }
                Err(invalid) => refused.push(Some((claim.id(), invalid.into()))),
            }
        }
        let prepared = prepare(&writes, &self.catalogs)?;
        let written = self.run(|connection| import_attempt(connection, &prepared))?;
        let mut written = written.outcomes.into_iter();
        let mut report = ImportReport::with_capacity(refused.len());
        for slot in refused {
            match slot {
                Some(refusal) => report.outcomes.push((refusal.0, Err(refusal.1))),
                None => {
                    if let Some(outcome) = written.next() {
                        report.outcomes.push(outcome);
                    }
                }
            }
        }
        Ok(report)
    }

    fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let (after, n) = page_bounds(page);
        self.select_page(
            "SELECT id, partner, version, body, seq FROM claims
             WHERE partner = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&partner_to(partner)?, &after, &n],
            page,
        )
    }

    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let (after, n) = page_bounds(page);
        self.select_page(
            "SELECT id, partner, version, body, seq FROM claims
             WHERE partner = $1 AND engagement = $2 AND seq > $3 ORDER BY seq LIMIT $4",
            &[&partner_to(partner)?, &engagement.as_str(), &after, &n],
            page,
        )
    }

    fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let text = customer.to_string();
        let (after, n) = page_bounds(page);
        let mut found = match scope {
            Scope::Microsoft => self.select_page(
                "SELECT id, partner, version, body, seq FROM claims
                 WHERE customer = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                &[&text, &after, &n],
                page,
            )?,
            Scope::Partner(partner) => self.select_page(
                "SELECT id, partner, version, body, seq FROM claims
                 WHERE customer = $1 AND partner = $2 AND seq > $3 ORDER BY seq LIMIT $4",
                &[&text, &partner_to(partner)?, &after, &n],
                page,
            )?,
        };
        found.items.retain(|s| s.claim.customer() == *customer);
        Ok(found)
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        let text = json(key)?;
        let holder: Option<uuid::Uuid> = self.read(|session| {
            session
                .query_opt("SELECT claim FROM unique_keys WHERE key = $1", &[&text])
                .and_then(|row| row.map(|r| r.try_get(0)).transpose())
                .map_err(StoreError::backend)
        })?;
        holder.map(claim_id_from).transpose()
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        let text = json(key)?;
        let n: Option<i32> = self.read(|session| {
            session
                .query_opt("SELECT n FROM counted_keys WHERE key = $1", &[&text])
                .and_then(|row| row.map(|r| r.try_get(0)).transpose())
                .map_err(StoreError::backend)
        })?;
        let n = n.unwrap_or(0);
        u32::try_from(n).map_err(|e| corrupt("count", &n.to_string(), &e))
    }

    fn due(&self, now: DateTime<Utc>, page: PageRequest) -> Result<Page<ClaimId>, StoreError> {
        // No deadline before the earliest `timestamptz` can be stored.
        if earliest_timestamp().is_none_or(|earliest| now < earliest) {
            return Ok(Page::empty());
        }
        let (micros, below) = moment(now)?;
        let (after, n) = page_bounds(page);
        let rows: Vec<(i64, uuid::Uuid)> = self.read(|session| {
            session
                .query(
                    "SELECT seq, id FROM claims
                     WHERE next_deadline IS NOT NULL
                         AND (next_deadline, next_deadline_ns) <= ($1, $2)
                         AND seq > $3
                     ORDER BY seq LIMIT $4",
                    &[&micros, &below, &after, &n],
                )
                .and_then(|rows| {
                    rows.iter()
                        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                        .collect()
                })
                .map_err(StoreError::backend)
        })?;
        let read = rows
            .into_iter()
            .map(|(seq, id)| Ok((u64::try_from(seq).unwrap_or(0), claim_id_from(id)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Page::from_positioned(read, page))
    }
}

/// The `seq` to read after, and how many rows to read (one more than the page, to know
/// whether another follows).
fn page_bounds(page: PageRequest) -> (i64, i64) {
    let after = page
        .cursor()
        .map_or(0, |c| i64::try_from(c.get()).unwrap_or(i64::MAX));
    (after, i64::from(page.limit()).saturating_add(1))
}
