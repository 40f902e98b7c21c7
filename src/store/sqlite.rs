//! A [`Store`] over SQLite (feature `sqlite`), through `rusqlite` with SQLite bundled.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior, params,
};

use super::{
    Claim, CountedKey, Expect, ImportReport, Scope, Store, StoreError, Stored, UniqueKey, Version,
    Write,
};
use crate::catalog::EngagementId;
use crate::id::{ClaimId, CustomerId, PartnerId};

/// How hard SQLite works to make a commit durable: its `synchronous` setting.
///
/// The store always commits atomically; this only decides what survives a crash of the
/// operating system or a power loss (a crash of the process alone loses nothing in WAL mode,
/// whatever the level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Synchronous {
    /// `synchronous = OFF`: SQLite hands writes to the operating system and never waits for
    /// the disk. Fastest; a power loss may lose recent commits or corrupt the file.
    Off,
    /// `synchronous = NORMAL`: in WAL mode, the file stays consistent after a power loss, but
    /// the last commits before it may be lost.
    Normal,
    /// `synchronous = FULL`, the default: every commit is on disk before `commit` returns.
    #[default]
    Full,
}

impl Synchronous {
    const fn pragma(self) -> &'static str {
        match self {
            Self::Off => "OFF",
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
        }
    }
}

/// A back end failure this module detects itself (the others are `rusqlite`'s errors).
#[derive(Debug, thiserror::Error)]
enum SqliteError {
    /// The file was written by a newer version of this crate.
    #[error(
        "database schema version {found} is newer than the newest this build knows ({known}); \
         upgrade the cpor crate to open it"
    )]
    NewerSchema { found: i64, known: i64 },
    /// A value does not fit the column that stores it.
    #[error("{what} {value} does not fit in the database")]
    OutOfRange { what: &'static str, value: String },
    /// A stored value does not read back.
    #[error("stored {what} {value:?} is not valid: {reason}")]
    Corrupt {
        what: &'static str,
        value: String,
        reason: String,
    },
}

/// The schema, one migration per version: entry `n` takes the database from version `n` to
/// version `n + 1`.
const MIGRATIONS: &[&str] = &[
    // Version 1.
    "CREATE TABLE claims (
        id TEXT PRIMARY KEY,
        partner INTEGER NOT NULL,
        engagement TEXT NOT NULL,
        customer TEXT NOT NULL,
        version INTEGER NOT NULL,
        next_deadline TEXT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX claims_partner_engagement ON claims (partner, engagement);
    CREATE INDEX claims_customer ON claims (customer, partner);
    CREATE INDEX claims_next_deadline ON claims (next_deadline, id)
        WHERE next_deadline IS NOT NULL;
    CREATE TABLE unique_keys (
        key TEXT PRIMARY KEY,
        claim TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX unique_keys_claim ON unique_keys (claim);
    CREATE TABLE counted (
        claim TEXT PRIMARY KEY,
        key TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX counted_key ON counted (key);",
];

/// The newest schema version this build knows.
const SCHEMA_VERSION: i64 = 1;

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
/// assert!(store.by_partner(PartnerId::new(4_512_345)?)?.is_empty());
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
/// 3. every write inserts the keys it newly holds: the key is the primary key of
///    `unique_keys`, so a key already held fails the insert, and the commit fails with
///    [`StoreError::KeyHeld`] naming the holder read in the same transaction;
/// 4. every newly counted place is checked with a `COUNT` over `counted`, after all the
///    writes of the commit, and the commit fails with [`StoreError::LimitReached`] if it is
///    over the limit.
///
/// Any error rolls the transaction back: nothing is written.
///
/// # Bulk import
///
/// An [`import`](Store::import) is **one** `BEGIN IMMEDIATE` transaction for the whole batch,
/// and one durable commit at its end. Each claim runs in a `SAVEPOINT` of its own through the
/// same statements as a one-write create (steps 1, 3 and 4 above): a claim the database
/// refuses is rolled back to its savepoint, leaving no trace, and reported in the
/// [`ImportReport`]; the batch goes on with the next claim. A back-end failure rolls the whole
/// batch back.
///
/// # Schema
///
/// - `claims(id, partner, engagement, customer, version, next_deadline, body)`: one row per
///   claim, its body as JSON, with indexes on `(partner, engagement)` (which also serves
///   queries by partner alone), `(customer, partner)` and `next_deadline`. Customers are
///   stored in their canonical text form; deadlines as RFC 3339 UTC text with nanoseconds,
///   which sorts in time order (a deadline outside the years 0 to 9999 cannot be stored: its
///   commit fails with [`StoreError::Backend`]).
/// - `unique_keys(key PRIMARY KEY, claim)`: the holder of each uniqueness key held.
/// - `counted(claim PRIMARY KEY, key)`: the counted key each active claim counts towards; a
///   count is the number of its rows, so it can never drift from the claims.
/// - `schema_version(version)`: the schema's version, migrated on open. A database of a newer
///   version than this build knows is refused.
///
/// Keys are stored as their JSON serialization, which is unambiguous.
///
/// # Concurrency
///
/// One connection behind a mutex: commits and queries run one at a time within a process.
/// Other processes that open the same file wait for its lock for up to five seconds. Files
/// use the WAL journal.
#[derive(Debug)]
pub struct SqliteStore {
    connection: Mutex<Connection>,
}

/// The outcome of the first step of one write.
struct Planned {
    id: String,
    version: Version,
    /// The keys the stored version held (JSON), for an update.
    old_keys: Vec<String>,
    /// The counted key the stored version counted towards (JSON), for an update.
    old_counted: Option<String>,
    /// The keys and counted place of the new version; `None` for an idempotent create.
    new: Option<NewHoldings>,
}

struct NewHoldings {
    keys: Vec<(UniqueKey, String)>,
    counted: Option<(CountedKey, String, u32)>,
}

impl SqliteStore {
    /// Opens (or creates) a database file, with [`Synchronous::Full`].
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if the file cannot be opened or migrated, or if it holds a
    /// schema newer than this build knows.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, Synchronous::default())
    }

    /// Opens (or creates) a database file, with the given durability.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if the file cannot be opened or migrated, or if it holds a
    /// schema newer than this build knows.
    pub fn open_with(path: impl AsRef<Path>, synchronous: Synchronous) -> Result<Self, StoreError> {
        let connection = Connection::open(path).map_err(StoreError::backend)?;
        connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(StoreError::backend)?;
        Self::setup(connection, synchronous)
    }

    /// A new, empty database in memory, gone when the store is dropped.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if SQLite fails.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let connection = Connection::open_in_memory().map_err(StoreError::backend)?;
        Self::setup(connection, Synchronous::default())
    }

    fn setup(mut connection: Connection, synchronous: Synchronous) -> Result<Self, StoreError> {
        connection
            .pragma_update(None, "synchronous", synchronous.pragma())
            .map_err(StoreError::backend)?;
        // Savepoints (one per claim of an import) journal the pages they change; in memory,
        // that journal is a copy in RAM rather than writes to a temporary file.
        connection
            .pragma_update(None, "temp_store", "MEMORY")
            .map_err(StoreError::backend)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(StoreError::backend)?;
        migrate(&mut connection)?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock drops the open transaction, which rolls it back:
        // the database is still consistent, so keep going.
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn select(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Stored>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare_cached(sql)
            .map_err(StoreError::backend)?;
        let rows = statement
            .query_map(params, |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(StoreError::backend)?;
        let mut stored = Vec::new();
        for row in rows {
            let (version, body) = row.map_err(StoreError::backend)?;
            stored.push(Stored {
                claim: claim_from(&body)?,
                version: version_from(version)?,
            });
        }
        Ok(stored)
    }
}

/// Creates or migrates the schema, in one transaction.
fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::backend)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")
        .map_err(StoreError::backend)?;
    let found: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |row| row.get(0),
        )
        .map_err(StoreError::backend)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::backend(SqliteError::NewerSchema {
            found,
            known: SCHEMA_VERSION,
        }));
    }
    if found < SCHEMA_VERSION {
        let done = usize::try_from(found).unwrap_or(0);
        for migration in MIGRATIONS.iter().skip(done) {
            tx.execute_batch(migration).map_err(StoreError::backend)?;
        }
        tx.execute("DELETE FROM schema_version", [])
            .map_err(StoreError::backend)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [SCHEMA_VERSION],
        )
        .map_err(StoreError::backend)?;
    }
    tx.commit().map_err(StoreError::backend)
}

// ---- Conversions between values and columns ----

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::backend)
}

fn claim_from(body: &str) -> Result<Claim, StoreError> {
    serde_json::from_str(body).map_err(|e| corrupt("claim", body, &e))
}

fn corrupt(what: &'static str, value: &str, reason: &dyn std::fmt::Display) -> StoreError {
    StoreError::backend(SqliteError::Corrupt {
        what,
        // Enough to recognize the value; a claim's body may be long.
        value: value.chars().take(80).collect(),
        reason: reason.to_string(),
    })
}

fn out_of_range(what: &'static str, value: impl ToString) -> StoreError {
    StoreError::backend(SqliteError::OutOfRange {
        what,
        value: value.to_string(),
    })
}

fn version_to(version: Version) -> Result<i64, StoreError> {
    i64::try_from(version.get()).map_err(|_| out_of_range("version", version))
}

fn version_from(n: i64) -> Result<Version, StoreError> {
    u64::try_from(n)
        .map(Version::new)
        .map_err(|e| corrupt("version", &n.to_string(), &e))
}

fn partner_to(partner: PartnerId) -> Result<i64, StoreError> {
    i64::try_from(partner.get()).map_err(|_| out_of_range("partner", partner))
}

fn claim_id_from(text: &str) -> Result<ClaimId, StoreError> {
    ClaimId::parse(text).map_err(|e| corrupt("claim ID", text, &e))
}

/// The earliest and latest moments stored as text: four-digit years sort as text.
fn in_text_range(t: DateTime<Utc>) -> bool {
    (0..=9999).contains(&t.year())
}

/// A deadline as fixed-width RFC 3339 text, which sorts in time order.
fn timestamp(t: DateTime<Utc>) -> Result<String, StoreError> {
    if in_text_range(t) {
        Ok(t.to_rfc3339_opts(SecondsFormat::Nanos, true))
    } else {
        Err(out_of_range("deadline", t))
    }
}

/// The columns of a claim row, derived from the claim.
struct Row {
    id: String,
    partner: i64,
    engagement: String,
    customer: String,
    next_deadline: Option<String>,
    body: String,
}

impl Row {
    fn of(claim: &Claim) -> Result<Self, StoreError> {
        Ok(Self {
            id: claim.id().to_string(),
            partner: partner_to(claim.partner())?,
            engagement: claim.engagement().as_str().to_owned(),
            customer: claim.customer().to_string(),
            next_deadline: claim.next_deadline().map(timestamp).transpose()?,
            body: json(claim)?,
        })
    }
}

fn new_holdings(claim: &Claim) -> Result<NewHoldings, StoreError> {
    let holdings = claim.holdings();
    let mut keys = Vec::with_capacity(holdings.unique.len());
    for key in holdings.unique {
        let text = json(&key)?;
        keys.push((key, text));
    }
    let counted = match holdings.counted {
        Some((key, limit)) => {
            let text = json(&key)?;
            Some((key, text, limit))
        }
        None => None,
    };
    Ok(NewHoldings { keys, counted })
}

/// Whether a statement failed on a `UNIQUE` or `PRIMARY KEY` constraint.
fn is_constraint(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
}

// ---- The commit, inside its transaction ----

/// Step 1 of a commit: the conditional write of each claim, in order.
fn write_claims(tx: &Transaction<'_>, writes: &[Write]) -> Result<Vec<Planned>, StoreError> {
    let mut planned = Vec::with_capacity(writes.len());
    for (i, write) in writes.iter().enumerate() {
        let claim_id = write.claim.id();
        if writes.iter().take(i).any(|w| w.claim.id() == claim_id) {
            return Err(StoreError::DuplicateWrite { claim: claim_id });
        }
        let row = Row::of(&write.claim)?;
        match write.expect {
            Expect::Absent => planned.push(create(tx, &write.claim, row)?),
            Expect::Version(expected) => planned.push(update(tx, write, row, expected)?),
        }
    }
    Ok(planned)
}

fn create(tx: &Transaction<'_>, claim: &Claim, row: Row) -> Result<Planned, StoreError> {
    let first = version_to(Version::FIRST)?;
    let inserted = tx
        .prepare_cached(
            "INSERT INTO claims (id, partner, engagement, customer, version, next_deadline, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
        )
        .and_then(|mut s| {
            s.execute(params![
                row.id,
                row.partner,
                row.engagement,
                row.customer,
                first,
                row.next_deadline,
                row.body,
            ])
        })
        .map_err(StoreError::backend)?;
    if inserted == 1 {
        return Ok(Planned {
            id: row.id,
            version: Version::FIRST,
            old_keys: Vec::new(),
            old_counted: None,
            new: Some(new_holdings(claim)?),
        });
    }
    let (version, body): (i64, String) = tx
        .prepare_cached("SELECT version, body FROM claims WHERE id = ?1")
        .and_then(|mut s| s.query_row([&row.id], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(StoreError::backend)?;
    if !claim_from(&body)?.same_content(claim) {
        return Err(StoreError::IdConflict { claim: claim.id() });
    }
    Ok(Planned {
        id: row.id,
        version: version_from(version)?,
        old_keys: Vec::new(),
        old_counted: None,
        new: None,
    })
}

fn update(
    tx: &Transaction<'_>,
    write: &Write,
    row: Row,
    expected: Version,
) -> Result<Planned, StoreError> {
    let next = expected.next();
    let (next_n, expected_n) = (version_to(next)?, version_to(expected)?);
    let updated = tx
        .prepare_cached(
            "UPDATE claims SET partner = ?2, engagement = ?3, customer = ?4, version = ?5,
                 next_deadline = ?6, body = ?7
             WHERE id = ?1 AND version = ?8",
        )
        .and_then(|mut s| {
            s.execute(params![
                row.id,
                row.partner,
                row.engagement,
                row.customer,
                next_n,
                row.next_deadline,
                row.body,
                expected_n,
            ])
        })
        .map_err(StoreError::backend)?;
    if updated != 1 {
        let actual: Option<i64> = tx
            .prepare_cached("SELECT version FROM claims WHERE id = ?1")
            .and_then(|mut s| s.query_row([&row.id], |r| r.get(0)).optional())
            .map_err(StoreError::backend)?;
        return Err(StoreError::Conflict {
            claim: write.claim.id(),
            expected: Some(expected),
            actual: actual.map(version_from).transpose()?,
        });
    }
    let old_keys = tx
        .prepare_cached("SELECT key FROM unique_keys WHERE claim = ?1")
        .and_then(|mut s| {
            s.query_map([&row.id], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(StoreError::backend)?;
    let old_counted = tx
        .prepare_cached("SELECT key FROM counted WHERE claim = ?1")
        .and_then(|mut s| s.query_row([&row.id], |r| r.get::<_, String>(0)).optional())
        .map_err(StoreError::backend)?;
    Ok(Planned {
        id: row.id,
        version: next,
        old_keys,
        old_counted,
        new: Some(new_holdings(&write.claim)?),
    })
}

/// Step 2: every write releases what its new version no longer holds.
fn release(tx: &Transaction<'_>, planned: &[Planned]) -> Result<(), StoreError> {
    for p in planned {
        let Some(new) = &p.new else { continue };
        for old in &p.old_keys {
            if !new.keys.iter().any(|(_, key)| key == old) {
                tx.prepare_cached("DELETE FROM unique_keys WHERE claim = ?1 AND key = ?2")
                    .and_then(|mut s| s.execute([&p.id, old]))
                    .map_err(StoreError::backend)?;
            }
        }
        let new_counted = new.counted.as_ref().map(|(_, key, _)| key);
        if p.old_counted.is_some() && p.old_counted.as_ref() != new_counted {
            tx.prepare_cached("DELETE FROM counted WHERE claim = ?1")
                .and_then(|mut s| s.execute([&p.id]))
                .map_err(StoreError::backend)?;
        }
    }
    Ok(())
}

/// Step 3: every write acquires the keys and the counted place it newly holds.
fn acquire(tx: &Transaction<'_>, planned: &[Planned]) -> Result<(), StoreError> {
    for p in planned {
        let Some(new) = &p.new else { continue };
        for (key, text) in &new.keys {
            if p.old_keys.contains(text) {
                continue;
            }
            let inserted = tx
                .prepare_cached("INSERT INTO unique_keys (key, claim) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute([text, &p.id]));
            match inserted {
                Ok(_) => {}
                Err(e) if is_constraint(&e) => {
                    let holder: String = tx
                        .prepare_cached("SELECT claim FROM unique_keys WHERE key = ?1")
                        .and_then(|mut s| s.query_row([text], |r| r.get(0)))
                        .map_err(StoreError::backend)?;
                    return Err(StoreError::KeyHeld {
                        key: key.clone(),
                        holder: claim_id_from(&holder)?,
                    });
                }
                Err(e) => return Err(StoreError::backend(e)),
            }
        }
        if let Some((_, text, _)) = &new.counted
            && p.old_counted.as_ref() != Some(text)
        {
            tx.prepare_cached("INSERT INTO counted (claim, key) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute([&p.id, text]))
                .map_err(StoreError::backend)?;
        }
    }
    Ok(())
}

/// Step 4: every newly counted place is within its limit, after the whole commit.
fn check_limits(tx: &Transaction<'_>, planned: &[Planned]) -> Result<(), StoreError> {
    for p in planned {
        let Some((key, text, limit)) = p.new.as_ref().and_then(|n| n.counted.as_ref()) else {
            continue;
        };
        if p.old_counted.as_ref() == Some(text) {
            continue;
        }
        let count = count_in(tx, text)?;
        if count > i64::from(*limit) {
            return Err(StoreError::LimitReached {
                key: key.clone(),
                limit: *limit,
            });
        }
    }
    Ok(())
}

/// One claim of an import, checked as a one-write commit would check it (a create: nothing
/// to release), inside the batch's transaction.
fn import_one(tx: &Transaction<'_>, claim: &Claim) -> Result<Version, StoreError> {
    let planned = create(tx, claim, Row::of(claim)?)?;
    let planned = std::slice::from_ref(&planned);
    acquire(tx, planned)?;
    check_limits(tx, planned)?;
    Ok(planned.first().map_or(Version::FIRST, |p| p.version))
}

/// Runs a statement without parameters and rows (a savepoint's), from the statement cache.
fn run(tx: &Transaction<'_>, sql: &str) -> Result<(), StoreError> {
    tx.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(drop)
        .map_err(StoreError::backend)
}

fn count_in(connection: &Connection, key: &str) -> Result<i64, StoreError> {
    connection
        .prepare_cached("SELECT COUNT(*) FROM counted WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| r.get(0)))
        .map_err(StoreError::backend)
}

impl Store for SqliteStore {
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        let found = match scope {
            Scope::Microsoft => self.select(
                "SELECT version, body FROM claims WHERE id = ?1",
                [id.to_string()],
            )?,
            Scope::Partner(partner) => self.select(
                "SELECT version, body FROM claims WHERE id = ?1 AND partner = ?2",
                params![id.to_string(), partner_to(partner)?],
            )?,
        };
        Ok(found.into_iter().next())
    }

    fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        let mut connection = self.lock();
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::backend)?;
        // On any error `tx` is dropped, which rolls the transaction back.
        let planned = write_claims(&tx, &writes)?;
        release(&tx, &planned)?;
        acquire(&tx, &planned)?;
        check_limits(&tx, &planned)?;
        tx.commit().map_err(StoreError::backend)?;
        Ok(planned.into_iter().map(|p| p.version).collect())
    }

    fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport::with_capacity(claims.len());
        let mut connection = self.lock();
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::backend)?;
        // Each claim in a savepoint of its own: a refused claim is rolled back to it, leaving
        // no trace, and the batch goes on. A back-end failure drops `tx`, which rolls the
        // whole batch back.
        for claim in &claims {
            let id = claim.id();
            run(&tx, "SAVEPOINT import_claim")?;
            match import_one(&tx, claim) {
                Ok(version) => {
                    run(&tx, "RELEASE import_claim")?;
                    report.outcomes.push((id, Ok(version)));
                }
                Err(error @ StoreError::Backend { .. }) => return Err(error),
                Err(refusal) => {
                    run(&tx, "ROLLBACK TO import_claim")?;
                    run(&tx, "RELEASE import_claim")?;
                    report.outcomes.push((id, Err(refusal)));
                }
            }
        }
        tx.commit().map_err(StoreError::backend)?;
        Ok(report)
    }

    fn by_partner(&self, partner: PartnerId) -> Result<Vec<Stored>, StoreError> {
        self.select(
            "SELECT version, body FROM claims WHERE partner = ?1 ORDER BY rowid",
            [partner_to(partner)?],
        )
    }

    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
    ) -> Result<Vec<Stored>, StoreError> {
        self.select(
            "SELECT version, body FROM claims WHERE partner = ?1 AND engagement = ?2
             ORDER BY rowid",
            params![partner_to(partner)?, engagement.as_str()],
        )
    }

    fn by_customer(&self, scope: Scope, customer: &CustomerId) -> Result<Vec<Stored>, StoreError> {
        let mut claims = match scope {
            Scope::Microsoft => self.select(
                "SELECT version, body FROM claims WHERE customer = ?1 ORDER BY id",
                [customer.to_string()],
            )?,
            Scope::Partner(partner) => self.select(
                "SELECT version, body FROM claims WHERE customer = ?1 AND partner = ?2
                 ORDER BY id",
                params![customer.to_string(), partner_to(partner)?],
            )?,
        };
        claims.retain(|s| s.claim.customer() == *customer);
        Ok(claims)
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        let text = json(key)?;
        let holder: Option<String> = self
            .lock()
            .prepare_cached("SELECT claim FROM unique_keys WHERE key = ?1")
            .and_then(|mut s| s.query_row([text], |r| r.get(0)).optional())
            .map_err(StoreError::backend)?;
        holder.as_deref().map(claim_id_from).transpose()
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        let n = count_in(&self.lock(), &json(key)?)?;
        u32::try_from(n).map_err(|e| corrupt("count", &n.to_string(), &e))
    }

    fn due(&self, now: DateTime<Utc>) -> Result<Vec<ClaimId>, StoreError> {
        // Deadlines outside the years 0 to 9999 cannot be stored, so a `now` beyond them is
        // the same as the last (or first) moment stored.
        let now = if in_text_range(now) {
            now.to_rfc3339_opts(SecondsFormat::Nanos, true)
        } else if now.year() > 9999 {
            "9999-12-31T23:59:59.999999999Z".to_owned()
        } else {
            return Ok(Vec::new());
        };
        let connection = self.lock();
        let mut statement = connection
            .prepare_cached(
                "SELECT id FROM claims
                 WHERE next_deadline IS NOT NULL AND next_deadline <= ?1
                 ORDER BY next_deadline, id",
            )
            .map_err(StoreError::backend)?;
        let ids = statement
            .query_map([now], |r| r.get::<_, String>(0))
            .map_err(StoreError::backend)?;
        let mut due = Vec::new();
        for id in ids {
            due.push(claim_id_from(&id.map_err(StoreError::backend)?)?);
        }
        Ok(due)
    }
}
