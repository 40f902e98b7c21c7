//! A [`Store`] and an [`AsyncStore`] over PostgreSQL (feature `postgres`), through
//! `tokio-postgres`, its connections pooled by `deadpool`.

mod blocking;
mod commit;
mod config;
mod error;
mod import;
mod outbox;
mod pool;
mod queries;
mod rows;
mod runtime;
mod schema;
mod sql;
mod tx;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use tracing::field::{Empty, display};
use tracing::{Instrument, Span};

pub use config::{DEFAULT_MAX_CONNECTIONS, DEFAULT_PG_TIMEOUT, DEFAULT_SCHEMA, PgStoreConfig};

#[cfg(doc)]
use super::Store;
use super::{
    AsyncStore, Claim, CountedKey, ImportReport, Page, PageRequest, Scope, StoreError, Stored,
    UniqueKey, Version, Write,
};
use crate::catalog::{Catalogs, EngagementId};
use crate::id::{ClaimId, CustomerId, PartnerId};
use runtime::StoreRuntime;

/// A [`Store`] and an [`AsyncStore`] over a PostgreSQL database (feature `postgres`), in one
/// schema of its own.
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
/// In async code, connect with [`PgStore::connect_async`] (or
/// [`PgStoreConfig::connect_async`]) and use it through [`AsyncStore`], as
/// [`AsyncClaims`](crate::service::AsyncClaims) does.
///
/// # Async and blocking
///
/// The store talks to PostgreSQL through `tokio-postgres`. Each store owns a small tokio
/// runtime of its own (two threads named `cpor-pg`), which opens and drives its
/// connections: a connection's socket belongs to the runtime it was opened on, so the
/// store's connections serve callers on any runtime and never die with one.
///
/// - Through [`AsyncStore`], an operation runs on the caller's task: it awaits the pool and
///   the server without blocking any thread. Its futures use the tokio timer (for the
///   checkout timeout and the retries' back-off), so await them inside a tokio runtime.
/// - Through the blocking [`Store`], an operation is sent to the store's runtime and the
///   calling thread waits for its result on a channel. It never enters the caller's runtime,
///   so it works on any thread, inside a tokio runtime too (where it blocks the worker
///   thread, as any blocking call does; prefer the async methods there).
///
/// The blocking constructors ([`connect`](Self::connect),
/// [`connect_in_schema`](Self::connect_in_schema), [`connect_with`](Self::connect_with),
/// [`PgStoreConfig::connect`]) work the same way, and so may be called anywhere; the store
/// may be dropped anywhere.
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
/// for a serialization failure (SQLSTATE 40001) or a deadlock (40P01) is retried, after a
/// short asynchronous back-off, up to 8 times in all, then fails with [`StoreError::Backend`].
///
/// [`import`](Store::import) runs the whole batch in **one** transaction, set-based: the
/// accepted claims are sent with one `COPY claims ... FROM STDIN (FORMAT binary)`, their keys
/// with one `COPY unique_keys` (sorted by key, as a commit inserts them), and their counted
/// places with one `INSERT ... SELECT FROM unnest(...)` that adds to each counter and returns
/// the new counts, locking the counters as a commit does. The round trips are the same for a
/// batch of 10 claims and one of 10,000. Which claims are accepted is decided one of two ways:
///
/// - **at once**, when no two claims of the batch share an ID or a key (a batch of new claims,
///   usually): every claim is written, and the constraints check them. A claim ID or a key
///   already stored is a `unique_violation` of the `COPY`, and a count over the least limit of
///   the claims counted shows in the counts returned; either rolls the transaction back, and
///   the batch runs again claim by claim. Nothing is read first;
/// - **claim by claim**, otherwise: one statement reads what the store holds for the batch
///   (the stored claims of its IDs, the holders of its keys, the counts of its counted keys),
///   each claim is checked against it and the claims accepted before it, in batch order, as a
///   one-write commit of a create would be (an ID already there with the same content is an
///   idempotent retry, reported at the stored version; with other content
///   [`StoreError::IdConflict`]; then [`StoreError::KeyHeld`] naming the holder, then
///   [`StoreError::LimitReached`]), and only the accepted claims are written. A refused claim
///   holds no key and no place for the claims after it. A writer that commits between the
///   read and the writes is caught as above (a key or ID it inserted is a `unique_violation`,
///   a count it changed is not the count the batch was checked against), and the batch runs
///   again, as a commit does.
///
/// A refused claim is reported in its place and not written; the others are committed
/// together, and a back-end failure writes nothing. A batch tried at once that meets the
/// store (a retried batch, say) is sent up to twice, and its `unique_violation` is an error
/// line in the server's log. Every statement of an import runs under the store's
/// `statement_timeout`: batches of 1,000 to 10,000 claims suit it.
///
/// # Outbox and sweeps
///
/// A commit files each write's [`events`](Write::events) in the `outbox` table under the
/// [`EventId`](crate::event::EventId) `(claim, version, idx)`, in the very statement that
/// writes the claim (a common-table expression fed by the inserted or updated row), so in
/// the commit's transaction and with no round trip more: a refused commit files none (its
/// rollback, or the one-statement create's `refuse_commit()`, undoes them), and a create
/// that found its claim already there, or an update that did not find its version, files
/// none. A write without events runs the statement it ran before the outbox.
///
/// [`lease_events`](Store::lease_events) is one `UPDATE` over the oldest free rows, picked
/// in `seq` order (the primary key) with `FOR UPDATE SKIP LOCKED`: workers on every
/// instance share the outbox without waiting for each other, and a row another worker
/// leased after the statement began is checked again and passed over. A lease is the
/// row's `leased_until`: until then no caller, on any instance, is handed the event; after
/// it, unless acknowledged, it is leased again with `attempts` one higher.
/// [`acknowledge`](Store::acknowledge) deletes rows by ID, 1,000 IDs a statement, in one
/// transaction. An event that does not read back as an [`Event`](crate::event::Event) fails
/// the lease with [`StoreError::Corrupt`], and nothing is leased.
///
/// [`take_due`](Store::take_due) is the same `UPDATE ... SKIP LOCKED` over `claims`: it sets
/// the sweep lease kept on each due claim's row (`swept_until`), so that sweeps running on
/// many instances at once take disjoint batches, and a claim stays with one sweep until its
/// lease runs out. A claim whose row a commit holds at that moment is left for the next
/// call. Taking a claim changes nothing else about it: its expiry is a version-checked
/// commit like any other.
///
/// `now` comes from the caller, and every lease is compared with the `now` of the next
/// caller, which may be another instance: the instances' clocks should agree to well within
/// the leases (seconds), or a lease may run out early on a clock that runs ahead. Lease ends
/// are kept to the nanosecond (a `timestamptz` and the nanoseconds below it), so they
/// compare exactly, as deadlines do.
///
/// # Timeouts and recovery
///
/// Every connection runs with the `statement_timeout` and `lock_timeout` of the store's
/// [`PgStoreConfig`] (5 seconds each by default), and an operation waits at most the
/// checkout timeout (5 seconds) for a connection. A statement cancelled by its timeout
/// (SQLSTATE 57014) is [`StoreError::Timeout`] of `statement`, a lock wait that timed out
/// (55P03) of `lock`, and a checkout that timed out of `pool checkout`; nothing was written.
/// A connection refused or lost (the server restarting, say) is [`StoreError::Unavailable`].
/// Any other error of the server is [`StoreError::Backend`], showing its SQLSTATE and its
/// primary message only: never the statement, and never the message's DETAIL, which may
/// quote a row.
///
/// A connection the server closed is replaced: the pool checks each connection before it
/// hands it out, and drops a closed one. An operation that finds the server refusing
/// connections keeps trying to open one, with a growing back-off, until its checkout
/// timeout: nothing was sent yet. A **read** whose connection breaks under it runs once
/// more on a fresh connection. A **write** runs again on a fresh connection only if its
/// connection broke before anything of it was sent (at `BEGIN`); once its statements were
/// sent it fails with the retryable [`StoreError::Unavailable`], because it may or may not
/// have landed: retry it with a request ID (the service does) to find out.
///
/// # Tracing
///
/// Each operation runs in a `debug` span named `cpor.store`, with the fields `store`
/// (`postgres`), `op` (`load`, `commit`, ...), `claim` (when one is known) and `attempts`;
/// when it ends, a `debug` event records `elapsed_us` and `outcome` (`ok` or the error's
/// code). Retries are `debug` events, a read retried on a fresh connection and a commit
/// (or a lease, an acknowledgement, a take) that gave up on contention `warn` events. No email address, name or claim content is
/// recorded.
///
/// # Schema
///
/// - `claims(id, seq, partner, engagement, customer, version, next_deadline,
///   next_deadline_ns, body)`: one row per claim, its body as `jsonb`, with indexes on
///   `(partner, engagement, seq)` (which also serves queries by partner alone),
///   `(customer, seq)` and `(next_deadline, next_deadline_ns, id)`. Every list pages by
///   `seq`, the order claims were created in, through an index. A deadline is a
///   `timestamptz` (microseconds) with the nanoseconds below the microsecond in
///   `next_deadline_ns`, so deadlines compare exactly; one before 4714 BC cannot be stored
///   (its commit fails with [`StoreError::Backend`]).
/// - `unique_keys(key PRIMARY KEY, claim)`: the holder of each uniqueness key held.
/// - `counted(claim PRIMARY KEY, key)`: the counted key each active claim counts towards, and
///   `counted_keys(key PRIMARY KEY, n)`: how many do, changed in the same transactions.
/// - `claims.swept_until`, `claims.swept_until_ns`: the end of the lease a sweep holds on a
///   due claim, if any.
/// - `outbox(seq, claim, version, idx, event, attempts, leased_until, leased_until_ns)`:
///   the pending events, oldest first by `seq` (the primary key), each once
///   (`UNIQUE (claim, version, idx)`), its `Event` as `jsonb`.
/// - `refuse_commit()`: a function that raises SQLSTATE `CR001`, for the one-statement commit.
/// - `schema_version(version)`: the schema's version (3), migrated on connect under an
///   advisory lock, so that service instances starting together migrate once. A schema of a
///   newer version than this build knows is refused.
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
/// A pool of at most [`DEFAULT_MAX_CONNECTIONS`] connections (or as configured), opened on
/// demand. Each connection prepares its statements once. Connections use no TLS: connect
/// through a Unix socket, a local network or a TLS-terminating proxy. Session settings such
/// as `synchronous_commit` can be given in the connection string's `options`.
pub struct PgStore {
    inner: Inner,
    runtime: StoreRuntime,
}

/// What the store's operations need, cheap to clone into the work of a blocking call.
#[derive(Clone)]
struct Inner {
    pool: pool::Pool,
    catalogs: Arc<Catalogs>,
    settings: Arc<Settings>,
}

/// How the store was connected.
struct Settings {
    /// The schema's name, quoted as an SQL identifier.
    quoted: String,
    config: PgStoreConfig,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.inner.pool.status();
        f.debug_struct("PgStore")
            .field("schema", &self.inner.settings.quoted)
            .field("max_connections", &self.inner.settings.config.max())
            .field("open_connections", &status.size)
            .field("idle_connections", &status.available)
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// A pooled connection, waiting for the server up to the checkout timeout.
    async fn checkout(&self) -> Result<pool::Pooled, StoreError> {
        pool::checkout(&self.pool, self.settings.config.checkout_wait(), true).await
    }

    /// Passes `error` on, first marking the pool's connections suspect if it tells that a
    /// connection broke.
    fn noticed(&self, error: StoreError) -> StoreError {
        if error::is_unavailable(&error) {
            self.pool.manager().connection_broke();
        }
        error
    }
}

impl PgStore {
    /// Connects to a database, in the schema [`DEFAULT_SCHEMA`] (`cpor`), with at most
    /// [`DEFAULT_MAX_CONNECTIONS`] connections and the default timeouts
    /// ([`DEFAULT_PG_TIMEOUT`]). The schema is created and migrated. Blocking, and usable on
    /// any thread, inside a tokio runtime too.
    ///
    /// `url` is a `postgresql://` URL or a `key=value` connection string, as `libpq` takes
    /// them.
    ///
    /// # Errors
    ///
    /// As [`PgStoreConfig::connect`].
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        PgStoreConfig::new(url).connect()
    }

    /// Connects to a database, in the schema `schema`, with at most
    /// [`DEFAULT_MAX_CONNECTIONS`] connections. The schema is created and migrated.
    ///
    /// # Errors
    ///
    /// As [`PgStoreConfig::connect`], and [`StoreError::Backend`] if `schema` is empty,
    /// longer than 63 bytes or holds a NUL character.
    pub fn connect_in_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        PgStoreConfig::new(url).schema(schema).connect()
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
        PgStoreConfig::new(url)
            .schema(schema)
            .max_connections(max_connections)
            .connect()
    }

    /// Connects as [`connect`](Self::connect) does, without blocking: to be awaited inside a
    /// tokio runtime.
    ///
    /// # Errors
    ///
    /// As [`PgStoreConfig::connect`].
    pub async fn connect_async(url: &str) -> Result<Self, StoreError> {
        PgStoreConfig::new(url).connect_async().await
    }

    /// The default configuration for the server of `url`, to change before connecting.
    #[must_use]
    pub fn config(url: &str) -> PgStoreConfig {
        PgStoreConfig::new(url)
    }

    /// The store, enforcing `catalogs` instead of the built-in ones ([`Catalogs::builtin`],
    /// which every `connect` starts with): the per-customer caps, and every rule
    /// [`Claim::validate`] checks on each write and each load, come from the catalog of each
    /// claim's program year.
    #[must_use]
    pub fn with_catalogs(mut self, catalogs: Catalogs) -> Self {
        self.inner.catalogs = Arc::new(catalogs);
        self
    }

    /// The catalogs the store enforces.
    #[must_use]
    pub fn catalogs(&self) -> &Catalogs {
        &self.inner.catalogs
    }

    /// The schema's name, quoted as an SQL identifier.
    #[must_use]
    pub fn schema(&self) -> &str {
        &self.inner.settings.quoted
    }
}

/// The span of one store operation: never an email, a name or a claim's content.
fn span(op: &'static str, claim: Option<ClaimId>) -> Span {
    let span = tracing::debug_span!(
        "cpor.store",
        store = "postgres",
        op,
        claim = Empty,
        attempts = Empty
    );
    if let Some(claim) = claim {
        span.record("claim", display(claim));
    }
    span
}

/// Runs `work` in `span`, and records how it ended: the time taken and the outcome code.
async fn traced<T>(
    span: Span,
    work: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let start = Instant::now();
    let result = work.instrument(span.clone()).await;
    let elapsed_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    let outcome = result.as_ref().map_or_else(StoreError::code, |_| "ok");
    span.in_scope(|| tracing::debug!(elapsed_us, outcome, "store operation ended"));
    result
}

/// The claim a commit is about, for its span: the first write's.
fn first_claim(writes: &[Write]) -> Option<ClaimId> {
    writes.first().map(|w| w.claim.id())
}

impl AsyncStore for PgStore {
    async fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        traced(span("load", Some(id)), self.inner.load(scope, id)).await
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        traced(
            span("commit", first_claim(&writes)),
            self.inner.commit(writes),
        )
        .await
    }

    async fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        traced(span("import", None), self.inner.import(claims)).await
    }

    async fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        traced(
            span("by_partner", None),
            self.inner.by_partner(partner, page),
        )
        .await
    }

    async fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        traced(
            span("by_partner_engagement", None),
            self.inner.by_partner_engagement(partner, engagement, page),
        )
        .await
    }

    async fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        traced(
            span("by_customer", None),
            self.inner.by_customer(scope, customer, page),
        )
        .await
    }

    async fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        traced(span("holder", None), self.inner.holder(key)).await
    }

    async fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        traced(span("count", None), self.inner.count(key)).await
    }

    async fn due(
        &self,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<Page<ClaimId>, StoreError> {
        traced(span("due", None), self.inner.due(now, page)).await
    }

    async fn take_due(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<ClaimId>, StoreError> {
        traced(
            span("take_due", None),
            self.inner.take_due(now, lease, limit),
        )
        .await
    }

    async fn lease_events(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<super::Leased>, StoreError> {
        traced(
            span("lease_events", None),
            self.inner.lease_events(now, lease, limit),
        )
        .await
    }

    async fn acknowledge(&self, ids: &[crate::event::EventId]) -> Result<usize, StoreError> {
        traced(
            span("acknowledge", None),
            self.inner.acknowledge(ids.to_vec()),
        )
        .await
    }
}
