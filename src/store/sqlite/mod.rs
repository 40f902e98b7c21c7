//! A [`Store`] and an [`AsyncStore`](super::AsyncStore) over SQLite (feature `sqlite`), through `rusqlite` with
//! SQLite bundled.

mod commit;
mod import;
mod keys;
mod migrate;
mod options;
mod outbox;
mod pool;
mod queries;
mod run;
mod values;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use self::pool::Pool;
use self::run::traced;
use super::{
    Claim, CountedKey, ImportReport, Page, PageRequest, Scope, Store, StoreError, Stored,
    UniqueKey, Version, Write,
};
use crate::catalog::{Catalogs, EngagementId};
use crate::id::{ClaimId, CustomerId, PartnerId};

pub use options::{SqliteOptions, Synchronous};

/// A [`Store`] over one SQLite database, in a file or in memory (feature `sqlite`).
///
/// It keeps the contract exactly as [`InMemoryStore`](super::InMemoryStore) does, and passes
/// the conformance suite in `cpor::testing`.
///
/// ```
/// use cpor::PartnerId;
/// use cpor::store::{SqliteStore, Store, Synchronous};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = SqliteStore::open_in_memory()?;
/// assert!(store.by_partner(PartnerId::new(4_512_345)?, Default::default())?.is_empty());
///
/// // A file, created and migrated on open, trading some durability for speed.
/// let path = std::env::temp_dir().join(format!("cpor-doc-{}.db", std::process::id()));
/// let file = SqliteStore::open_with(&path, Synchronous::Normal)?;
/// # drop(file);
/// # for suffix in ["", "-wal", "-shm"] {
/// #     let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
/// # }
/// # Ok(())
/// # }
/// ```
///
/// # Transactions
///
/// Each [`commit`](Store::commit) is **one** `BEGIN IMMEDIATE` transaction, and the database
/// itself enforces the contract inside it:
///
/// 1. each write, in order, is a conditional statement: a create is an
///    `INSERT ... ON CONFLICT DO NOTHING` (a row already there is compared with
///    [`Claim::same_content`] for an idempotent retry), an update is an
///    `UPDATE ... WHERE version = ?` that must change one row, else the commit fails with
///    [`StoreError::Conflict`];
/// 2. every write releases the uniqueness keys and the counted place its old version held and
///    its new version no longer holds (releases of the whole commit come first, so a key one
///    write releases may go to another);
/// 3. every write inserts the keys it newly holds: the key is the primary key of `keys`, so
///    the insert (`INSERT OR IGNORE`) of a key already held changes no row, and the
///    commit fails with [`StoreError::KeyHeld`] naming the holder read in the same
///    transaction;
/// 4. every newly counted place is checked with a `COUNT` over `counts`, after all the
///    writes of the commit, and the commit fails with [`StoreError::LimitReached`] if it is
///    over the limit.
///
/// Any error rolls the transaction back: nothing is written.
///
/// # Bulk import
///
/// An [`import`](Store::import) is **one** `BEGIN IMMEDIATE` transaction for the whole batch,
/// and one durable commit at its end. Each claim goes through the same statements as a
/// one-write create (steps 1, 3 and 4 above), in order: its row, then its keys, then its
/// counted place. A claim the database refuses (a key already held, a limit reached) takes
/// back the rows it wrote, deleting them by their primary keys, so that it leaves no trace;
/// it is reported in the [`ImportReport`] and the batch goes on with the next claim. A
/// back-end failure rolls the whole batch back.
///
/// Each batch pays one durable commit (under [`Synchronous::Full`], an `fsync` of the WAL)
/// and about one checkpoint, whatever its size, so bigger batches cost less per claim:
/// batches of about 10,000 claims are a good size (they ran at 110,000 to 150,000 claims a
/// second into a file on the 2-core machine of the README's benchmarks, and batches of
/// 1,000 at 80,000 to 100,000). A batch is held in memory, with a page cache of up to
/// 64 MiB (see *Concurrency* below).
///
/// # Schema
///
/// Version 4 (a file of version 1, 2 or 3 is migrated when it is opened):
///
/// - `claims(id, partner, engagement, customer, version, next_deadline, body)`: one row per
///   claim, its ID as the 16 bytes of its UUID (a `BLOB`, which sorts as the ID's text does;
///   version 2 stored the 36-character text), its body as a `BLOB` in the binary form of
///   [`Claim::to_bytes`] (a format version byte, 2, the claim's compact encoding and a
///   checksum; read it with [`Claim::from_bytes`]; versions 1 and 2 stored JSON, about four
///   times as long; a body of a format this build does not read, damaged or inconsistent,
///   fails the read with [`StoreError::Corrupt`]), with indexes on
///   `(partner, engagement)` (which also serves queries by partner alone),
///   `(customer, partner)` and `next_deadline`. Customers are stored in binary, as in the
///   body: a kind byte (0 domain, 1 tenant, 2 TPID, 3 Azure subscription, 4 MSX
///   opportunity), then the value (a GUID as its 16 bytes, a TPID as a variable-length
///   integer, a domain after its length, an MSX opportunity ID as its 12 characters);
///   version 3 stored the canonical text, such as `tenant:<GUID>`, 43 characters for a
///   tenant rather than 17 bytes. Deadlines are stored as RFC 3339 UTC text with nanoseconds,
///   which sorts in time order (a deadline outside the years 0 to 9999 cannot be stored: its
///   commit fails with [`StoreError::Backend`]). An update reads the keys and the counted key
///   the stored version holds from its body, and releases them by their primary keys
///   (version 2 kept them in two more columns, `held_keys` and `counted_key`, which made
///   every row a sixth longer).
/// - `keys(key PRIMARY KEY, claim) WITHOUT ROWID`: the holder of each uniqueness key held
///   (its ID, 16 bytes as in `claims`).
/// - `counts(key, claim, PRIMARY KEY (key, claim)) WITHOUT ROWID`: the counted key each
///   active claim counts towards (the engagement after its length, then the customer as in
///   `claims`); a count is the number of its rows, so it can never drift from the claims.
/// - `schema_version(version)`: the schema's version, migrated on open. A database of a newer
///   version than this build knows is refused.
///
/// Keys are `BLOB`s in a binary form that is unambiguous: a tag byte, then fields that each
/// say where they end, such as `o`, the tenant's 16 bytes, the partner, the engagement and
/// `w` and the workload for an open association, about 40 bytes. The tenant comes first, so
/// the keys of one claim stay side by side. Version 1 stored keys as JSON, about three times
/// as long, and indexed them a second time by claim; version 2 as text with the partner
/// before the tenant, so that the keys of new claims went in at as many places as there are
/// partners; version 3 as text with the tenant in 32 hexadecimal digits, about 65
/// characters. The migration to version 4 derives the keys and the counted places again from
/// the bodies, which the primary keys check as they go in.
///
/// A new file has pages of 8 KiB (SQLite's default is 4 KiB): an import of batches of 10,000
/// claims ran 15 to 20% faster with them. A file created with other pages keeps them.
///
/// # What is checked, and what is trusted
///
/// The store enforces the catalogs it was opened with ([`with_catalogs`](Self::with_catalogs);
/// the built-in ones by default), never numbers a claim carries. Every claim of a commit or an
/// import is checked against the catalog of its program year before its transaction begins
/// (a claim that fails is [`StoreError::Invalid`]). Every claim read is checked as every way
/// in is checked: the body's checksum and format ([`Claim::from_bytes`]), the invariants of
/// a claim, its `id` and `partner` columns against the body (so a row moved to another
/// partner location is never returned to it), and its catalog. A row that fails any of these
/// is [`StoreError::Corrupt`], naming the row's claim. What no store can check (the facts from
/// outside, see [`Store::import`]) is trusted. An error's message names SQLite's result code
/// and quotes at most 200 characters of its message, never a statement.
///
/// # Concurrency
///
/// One writer connection and, for a file, a pool of read connections beside it
/// ([`SqliteOptions::readers`], [`SqliteOptions::DEFAULT_READERS`] by default). Commits and
/// imports take the writer, one at a time within a process, each in its `BEGIN IMMEDIATE`
/// transaction. Queries ([`load`](Store::load), [`by_partner`](Store::by_partner),
/// [`by_partner_engagement`](Store::by_partner_engagement),
/// [`by_customer`](Store::by_customer), [`holder`](Store::holder), [`count`](Store::count),
/// [`due`](Store::due)) take a free reader: in WAL mode a reader reads the last commit and
/// never waits for the writer, so queries run beside a commit and beside each other. A query
/// sees every commit that returned before it began.
///
/// A database in memory has no readers: SQLite's in-memory database is private to its
/// connection, and the shared-cache form that lets several connections see one database
/// locks whole tables, under which a read during a write fails with `SQLITE_LOCKED` instead
/// of running beside it. Its queries take the writer, one at a time with commits. So does a
/// file whose journal could not be put in WAL mode.
///
/// The writer waits for the file's lock, held by another process or another store on the
/// same file, for up to the busy timeout ([`SqliteOptions::busy_timeout`],
/// [`SqliteOptions::DEFAULT_BUSY_TIMEOUT`] by default), then fails with
/// [`StoreError::Timeout`] (`what`: `lock`): nothing was written. Files use the WAL journal.
/// The writer keeps SQLite's default page cache (2 MiB); an import raises it to 64 MiB for
/// its batch (allocated as it is used). Each reader keeps the default.
///
/// # Async
///
/// The store is also an [`AsyncStore`](super::AsyncStore). Inside a tokio runtime each call runs on
/// `tokio::task::spawn_blocking`, off the executor's threads (the blocking task shares the
/// store's connections through an `Arc`; at most one commit and as many queries as there are
/// readers run at once, the other tasks wait for a connection on their blocking threads).
/// Outside a runtime the call runs on the calling thread when its future is first polled. A
/// call whose future is dropped after its first poll runs to its end on its blocking thread:
/// a commit is written whole, or not at all.
///
/// # Tracing
///
/// Each operation runs in a `debug` span `cpor.store`, with the fields `store` (`sqlite`),
/// `op` (the method, such as `load`) and `claim` (the claim loaded, or the first claim a
/// commit writes), and ends with a `debug` event with `elapsed_us` and `outcome` (`ok`, or
/// the error's [code](StoreError::code)). No email, name or other free text is recorded.
#[derive(Debug)]
pub struct SqliteStore {
    pool: Arc<Pool>,
    catalogs: Arc<Catalogs>,
}

impl SqliteStore {
    /// Opens (or creates) a database file, with [`Synchronous::Full`] and the other
    /// [defaults](SqliteOptions::new).
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if the file cannot be opened or migrated, or if it holds a
    /// schema newer than this build knows; [`StoreError::Timeout`] if another connection
    /// held its lock for longer than the busy timeout.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with_options(path, SqliteOptions::new())
    }

    /// Opens (or creates) a database file, with the given durability and the other
    /// [defaults](SqliteOptions::new).
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    pub fn open_with(path: impl AsRef<Path>, synchronous: Synchronous) -> Result<Self, StoreError> {
        Self::open_with_options(path, SqliteOptions::new().synchronous(synchronous))
    }

    /// Opens (or creates) a database file, with the given options (see [`SqliteOptions`]).
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    pub fn open_with_options(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<Self, StoreError> {
        Ok(Self::over(Pool::open_file(path.as_ref(), &options)?))
    }

    /// A new, empty database in memory, gone when the store is dropped.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if SQLite fails.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::open_in_memory_with_options(SqliteOptions::new())
    }

    /// A new, empty database in memory, with the given options (it has no readers: see
    /// *Concurrency* above).
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if SQLite fails.
    pub fn open_in_memory_with_options(options: SqliteOptions) -> Result<Self, StoreError> {
        Ok(Self::over(Pool::open_in_memory(&options)?))
    }

    fn over(pool: Pool) -> Self {
        Self {
            pool: Arc::new(pool),
            catalogs: Arc::new(Catalogs::builtin()),
        }
    }

    /// The store, enforcing `catalogs` instead of the built-in ones ([`Catalogs::builtin`],
    /// which every `open` starts with): the per-customer caps, and every rule
    /// [`Claim::validate`] checks on each write and each load, come from the catalog of each
    /// claim's program year.
    #[must_use]
    pub fn with_catalogs(mut self, catalogs: Catalogs) -> Self {
        self.catalogs = Arc::new(catalogs);
        self
    }

    /// The catalogs the store enforces.
    #[must_use]
    pub fn catalogs(&self) -> &Catalogs {
        &self.catalogs
    }

    /// How many read connections the store has beside its writer: 0 for a database in
    /// memory (its queries take the writer).
    #[must_use]
    pub fn readers(&self) -> usize {
        self.pool.readers()
    }

    /// Another handle on the same connections and catalogs, for a blocking task to own.
    fn share(&self) -> Self {
        Self {
            pool: Arc::clone(&self.pool),
            catalogs: Arc::clone(&self.catalogs),
        }
    }
}

impl Store for SqliteStore {
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        traced("load", Some(id), || {
            queries::load(&self.pool.reader(), &self.catalogs, scope, id)
        })
    }

    fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        let first = writes.first().map(|w| w.claim.id());
        traced("commit", first, || {
            commit::commit(&mut self.pool.writer(), &self.catalogs, &writes)
        })
    }

    fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        traced("import", None, || {
            import::import(&mut self.pool.writer(), &self.catalogs, &claims)
        })
    }

    fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        traced("by_partner", None, || {
            queries::by_partner(&self.pool.reader(), &self.catalogs, partner, page)
        })
    }

    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        traced("by_partner_engagement", None, || {
            queries::by_partner_engagement(
                &self.pool.reader(),
                &self.catalogs,
                partner,
                engagement,
                page,
            )
        })
    }

    fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        traced("by_customer", None, || {
            queries::by_customer(&self.pool.reader(), &self.catalogs, scope, customer, page)
        })
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        traced("holder", None, || queries::holder(&self.pool.reader(), key))
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        traced("count", None, || queries::count(&self.pool.reader(), key))
    }

    fn due(&self, now: DateTime<Utc>, page: PageRequest) -> Result<Page<ClaimId>, StoreError> {
        traced("due", None, || queries::due(&self.pool.reader(), now, page))
    }

    fn take_due(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<ClaimId>, StoreError> {
        traced("take_due", None, || {
            outbox::take_due(&mut self.pool.writer(), now, lease, limit)
        })
    }

    fn lease_events(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<super::Leased>, StoreError> {
        traced("lease_events", None, || {
            outbox::lease_events(&mut self.pool.writer(), now, lease, limit)
        })
    }

    fn acknowledge(&self, ids: &[crate::event::EventId]) -> Result<usize, StoreError> {
        traced("acknowledge", None, || {
            outbox::acknowledge(&mut self.pool.writer(), ids)
        })
    }
}
