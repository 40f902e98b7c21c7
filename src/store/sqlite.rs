//! A [`Store`] over SQLite (feature `sqlite`), through `rusqlite` with SQLite bundled.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{
    CachedStatement, Connection, OptionalExtension, Transaction, TransactionBehavior, params,
};

use super::columns::{
    bounded, checked_row, corrupt, corrupt_claim, newer_schema, out_of_range, partner_to,
    version_from, version_to,
};
use super::{
    Claim, CountedKey, Expect, ImportReport, Page, PageRequest, Scope, Store, StoreError, Stored,
    UniqueKey, Version, Write,
};
use crate::association::{AssociationKey, KeyUnit};
use crate::catalog::{Catalogs, EngagementId, builtin_catalogs};
use crate::codec::Writer;
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

/// Version 1 of the schema: keys as JSON, each key table with a secondary index on its claim.
const SCHEMA_V1: &str = "CREATE TABLE claims (
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
    CREATE INDEX counted_key ON counted (key);";

/// The tables of version 2 (the `claims` table gains its `held_keys` and `counted_key`
/// columns): keys in their compact text form, one B-tree each, no secondary index.
const SCHEMA_V2_TABLES: &str = "ALTER TABLE claims ADD COLUMN held_keys TEXT NOT NULL DEFAULT '';
    ALTER TABLE claims ADD COLUMN counted_key TEXT NULL;
    CREATE TABLE keys (
        key TEXT PRIMARY KEY,
        claim TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE counts (
        key TEXT NOT NULL,
        claim TEXT NOT NULL,
        PRIMARY KEY (key, claim)
    ) WITHOUT ROWID;";

/// Version 2 to 3, first step: the tables of version 3, claim IDs as 16-byte BLOBs (the
/// UUID's bytes, which sort as its text did) rather than 36-character text. `claims` and
/// `counts` are copied into them (claims keep their rowids, the order of queries by
/// partner; bodies are copied as JSON; the `held_keys` and `counted_key` columns of version 2
/// go: an update reads what the old version held from its body); [`v2_to_v3`] then rewrites
/// the keys into the new `keys` table, and each body into its binary form, before
/// [`V2_TO_V3_SWAP`].
const V2_TO_V3_COPY: &str = "CREATE TABLE claims_v3 (
        id BLOB NOT NULL PRIMARY KEY,
        partner INTEGER NOT NULL,
        engagement TEXT NOT NULL,
        customer TEXT NOT NULL,
        version INTEGER NOT NULL,
        next_deadline TEXT NULL,
        body BLOB NOT NULL
    );
    INSERT INTO claims_v3 (rowid, id, partner, engagement, customer, version, next_deadline,
            body)
        SELECT rowid, unhex(replace(id, '-', '')), partner, engagement, customer, version,
            next_deadline, body
        FROM claims ORDER BY rowid;
    CREATE TABLE keys_v3 (
        key TEXT PRIMARY KEY,
        claim BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE counts_v3 (
        key TEXT NOT NULL,
        claim BLOB NOT NULL,
        PRIMARY KEY (key, claim)
    ) WITHOUT ROWID;
    INSERT INTO counts_v3 (key, claim) SELECT key, unhex(replace(claim, '-', '')) FROM counts;";

/// Version 2 to 3, last step: the tables of version 3 replace those of version 2, and the
/// indexes of `claims` are built again.
const V2_TO_V3_SWAP: &str = "DROP TABLE claims;
    ALTER TABLE claims_v3 RENAME TO claims;
    CREATE INDEX claims_partner_engagement ON claims (partner, engagement);
    CREATE INDEX claims_customer ON claims (customer, partner);
    CREATE INDEX claims_next_deadline ON claims (next_deadline, id)
        WHERE next_deadline IS NOT NULL;
    DROP TABLE keys;
    ALTER TABLE keys_v3 RENAME TO keys;
    DROP TABLE counts;
    ALTER TABLE counts_v3 RENAME TO counts;";

/// Version 3 to 4, first step: the tables of version 4, the `customer` column and the keys in
/// binary (see [`customer_column`], [`key_bytes`] and [`counted_bytes`]). Claims are copied
/// with their rowids (the order of queries by partner); [`v3_to_v4`] then rewrites each
/// customer column and fills the key tables again from the bodies, and [`V3_TO_V4_INDEXES`]
/// builds the indexes.
const V3_TO_V4_TABLES: &str = "CREATE TABLE claims_v4 (
        id BLOB NOT NULL PRIMARY KEY,
        partner INTEGER NOT NULL,
        engagement TEXT NOT NULL,
        customer BLOB NOT NULL,
        version INTEGER NOT NULL,
        next_deadline TEXT NULL,
        body BLOB NOT NULL
    );
    INSERT INTO claims_v4 (rowid, id, partner, engagement, customer, version, next_deadline,
            body)
        SELECT rowid, id, partner, engagement, customer, version, next_deadline, body
        FROM claims ORDER BY rowid;
    DROP TABLE claims;
    ALTER TABLE claims_v4 RENAME TO claims;
    DROP TABLE keys;
    DROP TABLE counts;
    CREATE TABLE keys (
        key BLOB NOT NULL PRIMARY KEY,
        claim BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE counts (
        key BLOB NOT NULL,
        claim BLOB NOT NULL,
        PRIMARY KEY (key, claim)
    ) WITHOUT ROWID;";

/// Version 3 to 4, last step: the indexes of `claims`, built once its rows are rewritten.
const V3_TO_V4_INDEXES: &str = "
    CREATE INDEX claims_partner_engagement ON claims (partner, engagement);
    CREATE INDEX claims_customer ON claims (customer, partner);
    CREATE INDEX claims_next_deadline ON claims (next_deadline, id)
        WHERE next_deadline IS NOT NULL;";

/// One step of the schema, inside the migration's transaction.
type Migration = fn(&Transaction<'_>) -> Result<(), StoreError>;

/// The schema, one migration per version: entry `n` takes the database from version `n` to
/// version `n + 1`.
const MIGRATIONS: &[Migration] = &[create_v1, v1_to_v2, v2_to_v3, v3_to_v4];

/// The newest schema version this build knows.
const SCHEMA_VERSION: i64 = 4;

/// Version 1: the tables, empty.
fn create_v1(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(SCHEMA_V1).map_err(db)
}

/// Version 1 to 2: every key row of version 1 (JSON) moves to the new tables in its compact
/// form, and onto its claim's row; then the old tables go. The new primary keys check the
/// keys again as they go in.
fn v1_to_v2(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(SCHEMA_V2_TABLES).map_err(db)?;
    let old_keys = tx
        .prepare("SELECT claim, key FROM unique_keys ORDER BY claim, key")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(db)?;
    let mut held: Vec<(String, String)> = Vec::new();
    for (claim, json_key) in old_keys {
        let key: UniqueKey =
            serde_json::from_str(&json_key).map_err(|e| corrupt("key", &json_key, &e))?;
        let text = v2_key_text(&key);
        tx.prepare_cached("INSERT INTO keys (key, claim) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute([&text, &claim]))
            .map_err(db)?;
        match held.last_mut() {
            Some((holder, keys)) if *holder == claim => {
                keys.push(HELD_SEPARATOR);
                keys.push_str(&text);
            }
            _ => held.push((claim, text)),
        }
    }
    for (claim, keys) in held {
        tx.prepare_cached("UPDATE claims SET held_keys = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute([&claim, &keys]))
            .map_err(db)?;
    }
    let old_counted = tx
        .prepare("SELECT claim, key FROM counted")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(db)?;
    for (claim, json_key) in old_counted {
        let key: CountedKey =
            serde_json::from_str(&json_key).map_err(|e| corrupt("counted key", &json_key, &e))?;
        let text = counted_text(&key);
        tx.prepare_cached("INSERT INTO counts (key, claim) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute([&text, &claim]))
            .map_err(db)?;
        tx.prepare_cached("UPDATE claims SET counted_key = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute([&claim, &text]))
            .map_err(db)?;
    }
    tx.execute_batch("DROP TABLE unique_keys; DROP TABLE counted;")
        .map_err(db)
}

/// Version 2 to 3: claim IDs as BLOBs (see [`V2_TO_V3_COPY`]), the association keys in
/// their text form of version 3, the tenant first (see [`key_text`]), and each body in binary
/// ([`Claim::to_bytes`]) rather than JSON. Every ID read must be a claim ID (a UUID as text),
/// every key a
/// key of version 2, else the migration fails and changes nothing. The rows are read from the
/// old tables as they are written to the new ones, never all held in memory.
fn v2_to_v3(tx: &Transaction<'_>) -> Result<(), StoreError> {
    // An ID that is not 32 hexadecimal digits and hyphens comes out NULL (refused by the
    // NOT NULL of the new tables) or of another length.
    tx.execute_batch(V2_TO_V3_COPY).map_err(db)?;
    let mut old_keys = tx
        .prepare("SELECT key, unhex(replace(claim, '-', '')) FROM keys")
        .map_err(db)?;
    let mut rows = old_keys.query([]).map_err(db)?;
    while let Some(row) = rows.next().map_err(db)? {
        let key: String = row.get(0).map_err(db)?;
        let claim: Option<Vec<u8>> = row.get(1).map_err(db)?;
        let text = v3_key_text(&key)?;
        tx.prepare_cached("INSERT INTO keys_v3 (key, claim) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![text, claim]))
            .map_err(db)?;
    }
    drop(rows);
    drop(old_keys);
    // Each JSON body becomes its binary form (format 1 of `Claim::to_bytes`).
    let mut old_bodies = tx.prepare("SELECT rowid, body FROM claims").map_err(db)?;
    let mut rows = old_bodies.query([]).map_err(db)?;
    let mut bytes = Vec::new();
    while let Some(row) = rows.next().map_err(db)? {
        let rowid: i64 = row.get(0).map_err(db)?;
        let json: String = row.get(1).map_err(db)?;
        let claim: Claim = serde_json::from_str(&json).map_err(|e| corrupt("claim", &json, &e))?;
        bytes.clear();
        claim.write_bytes(&mut bytes);
        tx.prepare_cached("UPDATE claims_v3 SET body = ?2 WHERE rowid = ?1")
            .and_then(|mut s| s.execute(params![rowid, bytes]))
            .map_err(db)?;
    }
    drop(rows);
    drop(old_bodies);
    tx.execute_batch(V2_TO_V3_SWAP).map_err(db)?;
    let bad: Option<Vec<u8>> = tx
        .query_row(
            "SELECT id FROM claims WHERE length(id) != 16
             UNION ALL SELECT claim FROM keys WHERE length(claim) != 16
             UNION ALL SELECT claim FROM counts WHERE length(claim) != 16
             LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    match bad {
        Some(id) => Err(corrupt(
            "claim ID",
            &String::from_utf8_lossy(&id),
            &"not a UUID",
        )),
        None => Ok(()),
    }
}

/// Version 3 to 4: the customer column and the keys in binary, the keys and counted places
/// derived again from the bodies (see [`V3_TO_V4_TABLES`]). Each body must be a claim, and
/// no two claims may hold the same key (the primary key of `keys` checks them again as they
/// go in), else the migration fails and changes nothing. The rows are read as they are
/// rewritten, never all held in memory.
fn v3_to_v4(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(V3_TO_V4_TABLES).map_err(db)?;
    let mut select = tx
        .prepare("SELECT rowid, id, body FROM claims")
        .map_err(db)?;
    let mut rows = select.query([]).map_err(db)?;
    while let Some(row) = rows.next().map_err(db)? {
        let rowid: i64 = row.get(0).map_err(db)?;
        let row_id: Vec<u8> = row.get(1).map_err(db)?;
        let body: Vec<u8> = row.get(2).map_err(db)?;
        let claim = claim_from(&body)?;
        let id = id_to(claim.id());
        if row_id != id {
            return Err(corrupt(
                "claim ID",
                &format!("{row_id:02x?}"),
                &"not the ID of the claim in its body",
            ));
        }
        tx.prepare_cached("UPDATE claims SET customer = ?2 WHERE rowid = ?1")
            .and_then(|mut s| s.execute(params![rowid, customer_column(&claim.customer())]))
            .map_err(db)?;
        // The keys do not depend on the catalog (only the caps do, which are not stored).
        let holdings = NewHoldings::of(&claim, builtin_catalogs());
        for (_, key) in &holdings.keys {
            tx.prepare_cached("INSERT INTO keys (key, claim) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute(params![key, id]))
                .map_err(db)?;
        }
        if let Some((_, key, _)) = &holdings.counted {
            insert_counted(tx, key, &id)?;
        }
    }
    drop(rows);
    drop(select);
    tx.execute_batch(V3_TO_V4_INDEXES).map_err(db)
}

/// The text of a key in schema version 2, as [`v1_to_v2`] writes it (the form of
/// [`key_text`], the partner and engagement before the tenant).
fn v2_key_text(key: &UniqueKey) -> String {
    let association = |text: &mut String, key: &AssociationKey| {
        write!(
            text,
            "{}|{}|",
            key.engagement,
            key.tenant.as_uuid().simple()
        )
        .and_then(|()| write_unit(text, &key.unit))
    };
    let mut text = String::with_capacity(96);
    // Writing to a `String` cannot fail.
    let _ = match key {
        UniqueKey::Associated { key } => {
            text.push_str("a|");
            association(&mut text, key)
        }
        UniqueKey::OpenAssociation { partner, key } => {
            write!(text, "o|{partner}|").and_then(|()| association(&mut text, key))
        }
        UniqueKey::OpenActivity { .. } => return key_text(key),
    };
    text
}

/// A key's text of version 2 in the form of version 3: the tenant of an association key moves
/// to the front (`a|<engagement>|<tenant>|<unit>` becomes `a|<tenant>|<engagement>|<unit>`,
/// `o|<partner>|<engagement>|<tenant>|<unit>` becomes `o|<tenant>|<partner>|<engagement>|<unit>`);
/// the keys of activities are the same.
fn v3_key_text(v2: &str) -> Result<String, StoreError> {
    let fields: Vec<&str> = v2.split('|').collect();
    match fields.as_slice() {
        ["a", engagement, tenant, unit] => Ok(format!("a|{tenant}|{engagement}|{unit}")),
        ["o", partner, engagement, tenant, unit] => {
            Ok(format!("o|{tenant}|{partner}|{engagement}|{unit}"))
        }
        ["c", ..] => Ok(v2.to_owned()),
        _ => Err(corrupt("key", v2, &"not a key of schema version 2")),
    }
}

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
/// One connection behind a mutex: commits and queries run one at a time within a process.
/// Other processes that open the same file wait for its lock for up to five seconds. Files
/// use the WAL journal. The connection keeps SQLite's default page cache (2 MiB); an import
/// raises it to 64 MiB for its batch (allocated as it is used).
#[derive(Debug)]
pub struct SqliteStore {
    connection: Mutex<Connection>,
    catalogs: Catalogs,
}

/// A SQLite failure, as a store error that names SQLite's result code and message and never
/// the statement's text or a bound value.
fn db(error: rusqlite::Error) -> StoreError {
    let message = match &error {
        rusqlite::Error::SqliteFailure(e, message) => format!(
            "sqlite error {} (extended {}): {}",
            e.code as i32,
            e.extended_code,
            bounded(message.as_deref().unwrap_or("no message"))
        ),
        rusqlite::Error::SqlInputError { error, msg, .. } => format!(
            "sqlite error {} (extended {}): {}",
            error.code as i32,
            error.extended_code,
            bounded(msg)
        ),
        other => bounded(&other.to_string()),
    };
    StoreError::backend(SqliteFailure(message))
}

/// The text of a SQLite failure (see [`db`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SqliteFailure(String);

/// The outcome of the first step of one write.
struct Planned {
    id: IdColumn,
    version: Version,
    /// The keys the stored version held (see [`key_bytes`]), for an update.
    old_keys: Vec<Vec<u8>>,
    /// The counted key the stored version counted towards (see [`counted_bytes`]), for an
    /// update.
    old_counted: Option<Vec<u8>>,
    /// The keys and counted place of the new version; `None` for an idempotent create.
    new: Option<NewHoldings>,
}

/// What a claim holds, each key beside its binary form.
struct NewHoldings {
    keys: Vec<(UniqueKey, Vec<u8>)>,
    counted: Option<(CountedKey, Vec<u8>, u32)>,
}

impl NewHoldings {
    /// What a claim already checked against `catalogs` holds.
    fn of(claim: &Claim, catalogs: &Catalogs) -> Self {
        let holdings = claim.holdings_trusted(catalogs);
        let keys = holdings
            .unique
            .into_iter()
            .map(|key| {
                let bytes = key_bytes(&key);
                (key, bytes)
            })
            .collect();
        let counted = holdings.counted.map(|(key, limit)| {
            let bytes = counted_bytes(&key);
            (key, bytes, limit)
        });
        Self { keys, counted }
    }

    /// The binary form of the counted key.
    fn counted_column(&self) -> Option<&[u8]> {
        self.counted.as_ref().map(|(_, bytes, _)| bytes.as_slice())
    }
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
        let connection = Connection::open(path).map_err(db)?;
        // Before anything is written: a new file takes this page size, a file with tables
        // keeps its own.
        connection
            .pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(db)?;
        connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(db)?;
        Self::setup(connection, synchronous)
    }

    /// A new, empty database in memory, gone when the store is dropped.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if SQLite fails.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let connection = Connection::open_in_memory().map_err(db)?;
        Self::setup(connection, Synchronous::default())
    }

    fn setup(mut connection: Connection, synchronous: Synchronous) -> Result<Self, StoreError> {
        connection
            .pragma_update(None, "synchronous", synchronous.pragma())
            .map_err(db)?;
        // Temporary tables and statement journals in RAM rather than in temporary files.
        connection
            .pragma_update(None, "temp_store", "MEMORY")
            .map_err(db)?;
        connection
            .pragma_update(None, "cache_size", COMMIT_CACHE_KIB)
            .map_err(db)?;
        // Room for the key inserts of every size (one statement per number of keys).
        connection.set_prepared_statement_cache_capacity(64);
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        migrate(&mut connection)?;
        Ok(Self {
            connection: Mutex::new(connection),
            catalogs: Catalogs::builtin(),
        })
    }

    /// The store, enforcing `catalogs` instead of the built-in ones ([`Catalogs::builtin`],
    /// which every `open` starts with): the per-customer caps, and every rule
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

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock drops the open transaction, which rolls it back:
        // the database is still consistent, so keep going.
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn select(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Stored>, StoreError> {
        Ok(self
            .select_positioned(sql, params)?
            .into_iter()
            .map(|(_, stored)| stored)
            .collect())
    }

    /// Reads rows of `rowid, id, partner, version, body`, each claim checked.
    fn select_positioned(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<(u64, Stored)>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(sql).map_err(db)?;
        let mut rows = statement.query(params).map_err(db)?;
        let mut stored = Vec::new();
        while let Some(row) = rows.next().map_err(db)? {
            let rowid: i64 = row.get(0).map_err(db)?;
            let id = row
                .get_ref(1)
                .and_then(|v| v.as_blob().map_err(Into::into))
                .map_err(db)?;
            let id = claim_id_from(id)?;
            let partner: i64 = row.get(2).map_err(db)?;
            let version: i64 = row.get(3).map_err(db)?;
            let body = row
                .get_ref(4)
                .and_then(|v| v.as_blob().map_err(Into::into))
                .map_err(db)?;
            let claim = claim_from(body).map_err(|e| with_claim(e, id))?;
            stored.push((
                u64::try_from(rowid).unwrap_or(0),
                Stored {
                    claim: checked_row(id, partner, claim, &self.catalogs)?,
                    version: version_from(version)?,
                },
            ));
        }
        Ok(stored)
    }
}

/// The rowid to read after, and how many rows to read (one more than the page, to know
/// whether another follows).
fn page_bounds(page: PageRequest) -> (i64, i64) {
    let after = page
        .cursor()
        .map_or(0, |c| i64::try_from(c.get()).unwrap_or(i64::MAX));
    (after, i64::from(page.limit()).saturating_add(1))
}

/// The page size of a new database, in bytes: 8 KiB rather than SQLite's default 4 KiB. A
/// claim's rows and keys take about 600 bytes, and an import of 10,000 claims writes every
/// page it fills twice (to the WAL, then to the file); with pages twice as large it handles
/// half as many, and ran 15 to 20% faster. A one-claim commit writes a page of each of the
/// claim's B-trees either way.
const PAGE_SIZE: i64 = 8_192;

/// The page cache of the connection (`cache_size`, negative: in KiB), SQLite's default. Not
/// larger: at the end of every transaction SQLite scans the cache's hash table, which grows
/// with the pages cached, and with 64 MiB of pages that scan cost a one-claim commit more
/// than a tenth of its time.
const COMMIT_CACHE_KIB: i64 = -2_000;

/// The page cache during an import's batch: 64 MiB. A batch changes pages all over the
/// indexes, and a cache that overflows writes its pages to the WAL before the commit, some
/// of them more than once. It is only a cap: pages are allocated as they are read or
/// written. Durability is the `synchronous` setting's.
const IMPORT_CACHE_KIB: i64 = -65_536;

/// Creates or migrates the schema, in one transaction.
fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")
        .map_err(db)?;
    let found: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |row| row.get(0),
        )
        .map_err(db)?;
    if found > SCHEMA_VERSION {
        return Err(newer_schema(found, SCHEMA_VERSION));
    }
    if found < SCHEMA_VERSION {
        let done = usize::try_from(found).unwrap_or(0);
        for migration in MIGRATIONS.iter().skip(done) {
            migration(&tx)?;
        }
        tx.execute("DELETE FROM schema_version", []).map_err(db)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [SCHEMA_VERSION],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)
}

// ---- Conversions between values and columns ----

/// Separates the keys of a claim row's `held_keys` column of schema version 2 (which the
/// migration from version 1 writes); no key text contains it.
const HELD_SEPARATOR: char = '\n';

/// The text of a uniqueness key in schema version 3 (the primary key of its `keys` table), which
/// [`v2_key_text`] still writes for the keys of activities.
///
/// A tag for the kind of key, then its fields separated by `|`, a fixed number for each tag.
/// No field but the last can contain `|` (engagement and workload IDs are catalog keys of
/// lowercase letters, digits, `_`, `-` and `.`; partner IDs are digits; GUIDs are written as
/// 32 lowercase hexadecimal digits), so different keys have different texts. No field contains
/// [`HELD_SEPARATOR`] (customer IDs are in their canonical `kind:value` form, of validated
/// values).
///
/// - `a|<tenant>|<engagement>|w:<workload>` or `a|<tenant>|<engagement>|s:<subscription>`:
///   [`UniqueKey::Associated`];
/// - `o|<tenant>|<partner>|<engagement>|w:<workload>` (or `s:`):
///   [`UniqueKey::OpenAssociation`];
/// - `c|<partner>|<engagement>|<customer>`: [`UniqueKey::OpenActivity`].
///
/// The tenant comes first (since schema version 3): the keys of a claim stay side by side,
/// and the keys of different claims spread over the table by tenant rather than bunching up
/// at the end of each partner's keys.
fn key_text(key: &UniqueKey) -> String {
    let mut text = String::with_capacity(96);
    // Writing to a `String` cannot fail.
    let _ = match key {
        UniqueKey::Associated { key } => write!(
            text,
            "a|{}|{}|",
            key.tenant.as_uuid().simple(),
            key.engagement
        )
        .and_then(|()| write_unit(&mut text, &key.unit)),
        UniqueKey::OpenAssociation { partner, key } => write!(
            text,
            "o|{}|{partner}|{}|",
            key.tenant.as_uuid().simple(),
            key.engagement
        )
        .and_then(|()| write_unit(&mut text, &key.unit)),
        UniqueKey::OpenActivity {
            partner,
            engagement,
            customer,
        } => write!(text, "c|{partner}|{engagement}|{customer}"),
    };
    text
}

fn write_unit(text: &mut String, unit: &KeyUnit) -> std::fmt::Result {
    match unit {
        KeyUnit::Workload(workload) => write!(text, "w:{workload}"),
        KeyUnit::Subscription(subscription) => {
            write!(text, "s:{}", subscription.as_uuid().simple())
        }
    }
}

/// The binary form of a uniqueness key, the primary key of `keys` (since schema version 4).
///
/// A tag byte for the kind of key, then its fields, each of which says where it ends
/// (GUIDs as their 16 bytes, numbers as variable-length integers, strings after their length,
/// a customer as in the `customer` column, see [`customer_column`]):
///
/// - `a`, tenant, engagement, unit: [`UniqueKey::Associated`];
/// - `o`, tenant, partner, engagement, unit: [`UniqueKey::OpenAssociation`];
/// - `c`, partner, engagement, customer: [`UniqueKey::OpenActivity`];
///
/// where a unit is `w` and the workload, or `s` and the subscription's 16 bytes. So
/// different keys have different bytes, and the tenant comes first in association keys: the
/// keys of one claim stay side by side.
fn key_bytes(key: &UniqueKey) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(48);
    let mut w = Writer::new(&mut bytes);
    match key {
        UniqueKey::Associated { key } => {
            w.u8(b'a');
            w.uuid(key.tenant.as_uuid());
            w.str(key.engagement.as_str());
            write_unit_bytes(&mut w, &key.unit);
        }
        UniqueKey::OpenAssociation { partner, key } => {
            w.u8(b'o');
            w.uuid(key.tenant.as_uuid());
            w.u64(partner.get());
            w.str(key.engagement.as_str());
            write_unit_bytes(&mut w, &key.unit);
        }
        UniqueKey::OpenActivity {
            partner,
            engagement,
            customer,
        } => {
            w.u8(b'c');
            w.u64(partner.get());
            w.str(engagement.as_str());
            w.customer(customer);
        }
    }
    bytes
}

fn write_unit_bytes(w: &mut Writer<'_>, unit: &KeyUnit) {
    match unit {
        KeyUnit::Workload(workload) => {
            w.u8(b'w');
            w.str(workload.as_str());
        }
        KeyUnit::Subscription(subscription) => {
            w.u8(b's');
            w.uuid(subscription.as_uuid());
        }
    }
}

/// The text of a counted key in schema versions 2 and 3, as [`v1_to_v2`] writes it:
/// `<engagement>|<customer>` (the engagement cannot contain `|`, see [`key_text`]).
fn counted_text(key: &CountedKey) -> String {
    format!("{}|{}", key.engagement, key.customer)
}

/// The binary form of a counted key, the first column of `counts`: the engagement (a
/// string), then the customer as in the `customer` column.
fn counted_bytes(key: &CountedKey) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(32);
    let mut w = Writer::new(&mut bytes);
    w.str(key.engagement.as_str());
    w.customer(&key.customer);
    bytes
}

/// The `customer` column (since schema version 4): a kind byte, then the value in binary (a
/// tenant or a subscription as its 16 bytes, a TPID as a number, a domain or an MSX
/// opportunity ID as its text), the form of the binary claim body.
fn customer_column(customer: &CustomerId) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(20);
    Writer::new(&mut bytes).customer(customer);
    bytes
}

/// A claim read from its body, the bytes of [`Claim::to_bytes`]: a body that fails its
/// checksum, its format or its invariants is [`StoreError::Corrupt`].
fn claim_from(body: &[u8]) -> Result<Claim, StoreError> {
    Claim::from_bytes(body).map_err(|e| corrupt_claim(None, &e))
}

/// A corrupt-claim error named after the row's claim, whatever the body said.
fn with_claim(error: StoreError, id: ClaimId) -> StoreError {
    match error {
        StoreError::Corrupt { what, .. } => StoreError::Corrupt {
            claim: Some(id),
            what,
        },
        other => other,
    }
}

/// A claim ID as a column: the 16 bytes of its UUID, which sort as its text does.
type IdColumn = [u8; 16];

fn id_to(id: ClaimId) -> IdColumn {
    id.as_uuid().into_bytes()
}

fn claim_id_from(bytes: &[u8]) -> Result<ClaimId, StoreError> {
    let uuid = uuid::Uuid::from_slice(bytes)
        .map_err(|e| corrupt("claim ID", &format!("{bytes:02x?}"), &e))?;
    ClaimId::from_uuid(uuid).map_err(|e| corrupt("claim ID", &uuid.to_string(), &e))
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

/// The columns of a claim row, derived from the claim; the body is [`Claim::to_bytes`]'s,
/// written into a buffer the caller reuses from claim to claim.
struct Row<'a> {
    id: IdColumn,
    partner: i64,
    engagement: &'a str,
    customer: Vec<u8>,
    next_deadline: Option<String>,
    body: &'a [u8],
}

impl<'a> Row<'a> {
    fn of(claim: &'a Claim, buffer: &'a mut Vec<u8>) -> Result<Self, StoreError> {
        buffer.clear();
        claim.write_bytes(buffer);
        let buffer: &'a Vec<u8> = buffer;
        Ok(Self {
            id: id_to(claim.id()),
            partner: partner_to(claim.partner())?,
            engagement: claim.engagement().as_str(),
            customer: customer_column(&claim.customer()),
            next_deadline: claim.next_deadline().map(timestamp).transpose()?,
            body: buffer,
        })
    }
}

// ---- The commit, inside its transaction ----

/// The insert of a new claim's row; a row already there with the same ID is left alone (the
/// caller compares it, for an idempotent retry).
const INSERT_CLAIM: &str =
    "INSERT INTO claims (id, partner, engagement, customer, version, next_deadline, body)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING";

/// The statements run for every claim of a commit or an import, prepared once for the whole
/// transaction: looking each up in the connection's statement cache, claim after claim, cost
/// an import about a twentieth of its time.
struct Statements<'c> {
    tx: &'c Transaction<'c>,
    insert_claim: CachedStatement<'c>,
    /// The `INSERT OR IGNORE` of `n` key rows, at index `n - 1`, prepared when first needed.
    insert_keys: Vec<Option<CachedStatement<'c>>>,
}

impl<'c> Statements<'c> {
    fn new(tx: &'c Transaction<'c>) -> Result<Self, StoreError> {
        Ok(Self {
            tx,
            insert_claim: tx.prepare_cached(INSERT_CLAIM).map_err(db)?,
            insert_keys: Vec::new(),
        })
    }

    /// Inserts the key rows of one claim, in one statement, skipping every key already
    /// held: whether every row went in. The key is the primary key of `keys`, so the database
    /// decides.
    ///
    /// `OR IGNORE` rather than `ON CONFLICT (key) DO NOTHING`: the same for the primary key,
    /// but then no constraint of the statement can abort it (the columns bound are never
    /// NULL), so SQLite keeps no statement journal of the pages a multi-row insert changes.
    fn insert_keys<'k>(
        &mut self,
        keys: impl ExactSizeIterator<Item = &'k [u8]>,
        claim: &IdColumn,
    ) -> Result<bool, StoreError> {
        let total = keys.len();
        let mut keys = keys.peekable();
        let mut inserted: usize = 0;
        // SQLite limits the variables of one statement (32,766 by default): a claim with more
        // keys than one statement takes goes in with several, in the same transaction.
        while keys.peek().is_some() {
            let chunk: Vec<&[u8]> = keys.by_ref().take(KEYS_PER_INSERT).collect();
            inserted = inserted.saturating_add(self.insert_key_rows(&chunk, claim)?);
        }
        Ok(inserted == total)
    }

    /// Inserts at most [`KEYS_PER_INSERT`] key rows in one statement: how many went in.
    fn insert_key_rows(&mut self, keys: &[&[u8]], claim: &IdColumn) -> Result<usize, StoreError> {
        let n = keys.len();
        let Some(slot) = n.checked_sub(1) else {
            return Ok(0);
        };
        if self.insert_keys.len() <= slot {
            self.insert_keys.resize_with(n, || None);
        }
        let statement = match self.insert_keys.get_mut(slot) {
            Some(Some(statement)) => statement,
            Some(empty) => empty.insert(self.tx.prepare_cached(&insert_keys_sql(n)).map_err(db)?),
            None => return Err(corrupt("key insert", &n.to_string(), &"no statement")),
        };
        statement
            .execute(rusqlite::params_from_iter(keys.iter().flat_map(|key| {
                [
                    ToSqlOutput::Borrowed(ValueRef::Blob(key)),
                    ToSqlOutput::Borrowed(ValueRef::Blob(claim)),
                ]
            })))
            .map_err(db)
    }
}

/// The most key rows one insert statement takes: 512 variables, far below SQLite's limit.
const KEYS_PER_INSERT: usize = 256;

/// `INSERT OR IGNORE INTO keys (key, claim) VALUES (?1, ?2), ...`, `n` rows.
fn insert_keys_sql(n: usize) -> String {
    let mut sql = String::from("INSERT OR IGNORE INTO keys (key, claim) VALUES ");
    for i in 1..=n {
        let comma = if i == 1 { "" } else { ", " };
        // Writing to a `String` cannot fail.
        let _ = write!(
            sql,
            "{comma}(?{}, ?{})",
            i.saturating_mul(2).saturating_sub(1),
            i.saturating_mul(2)
        );
    }
    sql
}

/// Step 1 of a commit: the conditional write of each claim, in order.
fn write_claims(
    statements: &mut Statements<'_>,
    writes: &[Write],
    catalogs: &Catalogs,
) -> Result<Vec<Planned>, StoreError> {
    let mut planned = Vec::with_capacity(writes.len());
    let mut buffer = Vec::new();
    for (i, write) in writes.iter().enumerate() {
        let claim_id = write.claim.id();
        if writes.iter().take(i).any(|w| w.claim.id() == claim_id) {
            return Err(StoreError::DuplicateWrite { claim: claim_id });
        }
        let row = Row::of(&write.claim, &mut buffer)?;
        match write.expect {
            Expect::Absent => planned.push(create(statements, &write.claim, &row, catalogs)?),
            Expect::Version(expected) => {
                planned.push(update(statements.tx, write, &row, expected, catalogs)?);
            }
        }
    }
    Ok(planned)
}

fn create(
    statements: &mut Statements<'_>,
    claim: &Claim,
    row: &Row<'_>,
    catalogs: &Catalogs,
) -> Result<Planned, StoreError> {
    let first = version_to(Version::FIRST)?;
    let new = NewHoldings::of(claim, catalogs);
    let inserted = statements
        .insert_claim
        .execute(params![
            row.id,
            row.partner,
            row.engagement,
            row.customer,
            first,
            row.next_deadline,
            row.body,
        ])
        .map_err(db)?;
    if inserted == 1 {
        return Ok(Planned {
            id: row.id,
            version: Version::FIRST,
            old_keys: Vec::new(),
            old_counted: None,
            new: Some(new),
        });
    }
    let (version, body): (i64, Vec<u8>) = statements
        .tx
        .prepare_cached("SELECT version, body FROM claims WHERE id = ?1")
        .and_then(|mut s| s.query_row([row.id], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(db)?;
    if !claim_from(&body)
        .map_err(|e| with_claim(e, claim.id()))?
        .same_content(claim)
    {
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
    row: &Row<'_>,
    expected: Version,
    catalogs: &Catalogs,
) -> Result<Planned, StoreError> {
    let next = expected.next();
    let (next_n, expected_n) = (version_to(next)?, version_to(expected)?);
    // What the stored version holds, read before it is replaced.
    let stored: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT version, body FROM claims WHERE id = ?1")
        .and_then(|mut s| {
            s.query_row([row.id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(db)?;
    let conflict = |actual: Option<i64>| -> StoreError {
        match actual.map(version_from).transpose() {
            Ok(actual) => StoreError::Conflict {
                claim: write.claim.id(),
                expected: Some(expected),
                actual,
            },
            Err(error) => error,
        }
    };
    let Some((actual, old_body)) = stored else {
        return Err(conflict(None));
    };
    let old = claim_from(&old_body).map_err(|e| with_claim(e, write.claim.id()))?;
    let old = NewHoldings::of(&old, catalogs);
    let new = NewHoldings::of(&write.claim, catalogs);
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
        .map_err(db)?;
    if updated != 1 {
        return Err(conflict(Some(actual)));
    }
    Ok(Planned {
        id: row.id,
        version: next,
        old_keys: old.keys.into_iter().map(|(_, bytes)| bytes).collect(),
        old_counted: old.counted.map(|(_, bytes, _)| bytes),
        new: Some(new),
    })
}

/// Step 2: every write releases what its new version no longer holds.
fn release(tx: &Transaction<'_>, planned: &[Planned]) -> Result<(), StoreError> {
    for p in planned {
        let Some(new) = &p.new else { continue };
        for old in &p.old_keys {
            if !new.keys.iter().any(|(_, key)| key == old) {
                delete_key(tx, old, &p.id)?;
            }
        }
        if let Some(old) = &p.old_counted
            && new.counted_column() != Some(old.as_slice())
        {
            delete_counted(tx, old, &p.id)?;
        }
    }
    Ok(())
}

/// Step 3: every write acquires the keys and the counted place it newly holds.
fn acquire(statements: &mut Statements<'_>, planned: &[Planned]) -> Result<(), StoreError> {
    for p in planned {
        let Some(new) = &p.new else { continue };
        let fresh: Vec<&(UniqueKey, Vec<u8>)> = new
            .keys
            .iter()
            .filter(|(_, bytes)| !p.old_keys.contains(bytes))
            .collect();
        if !statements.insert_keys(fresh.iter().map(|(_, bytes)| bytes.as_slice()), &p.id)? {
            return Err(first_held(statements.tx, fresh.into_iter(), &p.id));
        }
        if let Some((_, bytes, _)) = &new.counted
            && p.old_counted.as_ref() != Some(bytes)
        {
            insert_counted(statements.tx, bytes, &p.id)?;
        }
    }
    Ok(())
}

/// Step 4: every newly counted place is within its limit, after the whole commit.
fn check_limits(tx: &Transaction<'_>, planned: &[Planned]) -> Result<(), StoreError> {
    for p in planned {
        let Some((key, bytes, limit)) = p.new.as_ref().and_then(|n| n.counted.as_ref()) else {
            continue;
        };
        if p.old_counted.as_ref() == Some(bytes) {
            continue;
        }
        if count_in(tx, bytes)? > i64::from(*limit) {
            return Err(StoreError::LimitReached {
                key: key.clone(),
                limit: *limit,
            });
        }
    }
    Ok(())
}

/// The refusal of keys of which [`Statements::insert_keys`] could not insert every row: the
/// first key, in order, that another claim holds, or that comes again (as inserting them one
/// by one would have found), naming its holder as the transaction sees it.
fn first_held<'k>(
    tx: &Transaction<'_>,
    keys: impl Iterator<Item = &'k (UniqueKey, Vec<u8>)>,
    claim: &IdColumn,
) -> StoreError {
    let mut seen: Vec<&[u8]> = Vec::new();
    for (key, bytes) in keys {
        let holder = tx
            .prepare_cached("SELECT claim FROM keys WHERE key = ?1")
            .and_then(|mut s| s.query_row([bytes], |r| r.get::<_, Vec<u8>>(0)).optional());
        match holder {
            Ok(Some(holder)) if holder != claim || seen.contains(&bytes.as_slice()) => {
                return match claim_id_from(&holder) {
                    Ok(holder) => StoreError::KeyHeld {
                        key: key.clone(),
                        holder,
                    },
                    Err(error) => error,
                };
            }
            Ok(_) => seen.push(bytes),
            Err(error) => return StoreError::backend(error),
        }
    }
    corrupt(
        "key table",
        &format!("{claim:02x?}"),
        &"a key insert was refused, but no key is held",
    )
}

fn delete_key(tx: &Transaction<'_>, key: &[u8], claim: &IdColumn) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM keys WHERE key = ?1 AND claim = ?2")
        .and_then(|mut s| s.execute(params![key, claim]))
        .map(drop)
        .map_err(db)
}

fn insert_counted(tx: &Transaction<'_>, key: &[u8], claim: &IdColumn) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO counts (key, claim) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![key, claim]))
        .map(drop)
        .map_err(db)
}

fn delete_counted(tx: &Transaction<'_>, key: &[u8], claim: &IdColumn) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM counts WHERE key = ?1 AND claim = ?2")
        .and_then(|mut s| s.execute(params![key, claim]))
        .map(drop)
        .map_err(db)
}

/// One claim of an import, checked as a one-write commit would check it (a create: nothing
/// to release), inside the batch's transaction. A refused claim takes back the rows it wrote,
/// by their primary keys, so that it leaves no trace.
fn import_one(
    statements: &mut Statements<'_>,
    claim: &Claim,
    buffer: &mut Vec<u8>,
    catalogs: &Catalogs,
) -> Result<Version, StoreError> {
    claim.validate(catalogs)?;
    let row = Row::of(claim, buffer)?;
    let planned = create(statements, claim, &row, catalogs)?;
    // An idempotent retry wrote nothing and holds what it held.
    let Some(new) = &planned.new else {
        return Ok(planned.version);
    };
    let (tx, id) = (statements.tx, &planned.id);
    if !statements.insert_keys(new.keys.iter().map(|(_, bytes)| bytes.as_slice()), id)? {
        let refusal = first_held(tx, new.keys.iter(), id);
        undo_create(tx, id, new.keys.iter(), None)?;
        return Err(refusal);
    }
    if let Some((key, bytes, limit)) = &new.counted {
        insert_counted(tx, bytes, id)?;
        if count_in(tx, bytes)? > i64::from(*limit) {
            undo_create(tx, id, new.keys.iter(), Some(bytes))?;
            return Err(StoreError::LimitReached {
                key: key.clone(),
                limit: *limit,
            });
        }
    }
    Ok(planned.version)
}

/// One batch of an import, in one `BEGIN IMMEDIATE` transaction.
fn import_batch(
    connection: &mut Connection,
    claims: &[Claim],
    catalogs: &Catalogs,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::with_capacity(claims.len());
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    // A refused claim takes back what it wrote and the batch goes on. A back-end failure
    // drops `tx`, which rolls the whole batch back.
    {
        let mut statements = Statements::new(&tx)?;
        let mut buffer = Vec::new();
        for claim in claims {
            let id = claim.id();
            match import_one(&mut statements, claim, &mut buffer, catalogs) {
                Ok(version) => report.outcomes.push((id, Ok(version))),
                Err(error @ StoreError::Backend { .. }) => return Err(error),
                Err(refusal) => report.outcomes.push((id, Err(refusal))),
            }
        }
    }
    tx.commit().map_err(db)?;
    Ok(report)
}

/// Deletes what a refused create of an import wrote: its keys, its counted place, its row.
fn undo_create<'k>(
    tx: &Transaction<'_>,
    id: &IdColumn,
    keys: impl Iterator<Item = &'k (UniqueKey, Vec<u8>)>,
    counted: Option<&[u8]>,
) -> Result<(), StoreError> {
    for (_, bytes) in keys {
        delete_key(tx, bytes, id)?;
    }
    if let Some(bytes) = counted {
        delete_counted(tx, bytes, id)?;
    }
    tx.prepare_cached("DELETE FROM claims WHERE id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map(drop)
        .map_err(db)
}

fn count_in(connection: &Connection, key: &[u8]) -> Result<i64, StoreError> {
    connection
        .prepare_cached("SELECT COUNT(*) FROM counts WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| r.get(0)))
        .map_err(db)
}

impl Store for SqliteStore {
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        let found = match scope {
            Scope::Microsoft => self.select(
                "SELECT rowid, id, partner, version, body FROM claims WHERE id = ?1",
                [id_to(id)],
            )?,
            Scope::Partner(partner) => self.select(
                "SELECT rowid, id, partner, version, body FROM claims WHERE id = ?1 AND partner = ?2",
                params![id_to(id), partner_to(partner)?],
            )?,
        };
        Ok(found.into_iter().next())
    }

    fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        for write in &writes {
            write.claim.validate(&self.catalogs)?;
        }
        let mut connection = self.lock();
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        // On any error `tx` is dropped, which rolls the transaction back.
        let planned = {
            let mut statements = Statements::new(&tx)?;
            let planned = write_claims(&mut statements, &writes, &self.catalogs)?;
            release(&tx, &planned)?;
            acquire(&mut statements, &planned)?;
            planned
        };
        check_limits(&tx, &planned)?;
        tx.commit().map_err(db)?;
        Ok(planned.into_iter().map(|p| p.version).collect())
    }

    fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        let mut connection = self.lock();
        connection
            .pragma_update(None, "cache_size", IMPORT_CACHE_KIB)
            .map_err(db)?;
        let imported = import_batch(&mut connection, &claims, &self.catalogs);
        // Only a cap on memory: failing to lower it again changes no data, and the batch's
        // outcome is what the caller needs.
        let _ = connection.pragma_update(None, "cache_size", COMMIT_CACHE_KIB);
        imported
    }

    fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let (after, n) = page_bounds(page);
        let read = self.select_positioned(
            "SELECT rowid, id, partner, version, body FROM claims
             WHERE partner = ?1 AND rowid > ?2 ORDER BY rowid LIMIT ?3",
            params![partner_to(partner)?, after, n],
        )?;
        Ok(Page::from_positioned(read, page))
    }

    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let (after, n) = page_bounds(page);
        let read = self.select_positioned(
            "SELECT rowid, id, partner, version, body FROM claims
             WHERE partner = ?1 AND engagement = ?2 AND rowid > ?3 ORDER BY rowid LIMIT ?4",
            params![partner_to(partner)?, engagement.as_str(), after, n],
        )?;
        Ok(Page::from_positioned(read, page))
    }

    fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let (after, n) = page_bounds(page);
        let read = match scope {
            Scope::Microsoft => self.select_positioned(
                "SELECT rowid, id, partner, version, body FROM claims
                 WHERE customer = ?1 AND rowid > ?2 ORDER BY rowid LIMIT ?3",
                params![customer_column(customer), after, n],
            )?,
            Scope::Partner(partner) => self.select_positioned(
                "SELECT rowid, id, partner, version, body FROM claims
                 WHERE customer = ?1 AND partner = ?2 AND rowid > ?3 ORDER BY rowid LIMIT ?4",
                params![customer_column(customer), partner_to(partner)?, after, n],
            )?,
        };
        let mut found = Page::from_positioned(read, page);
        found.items.retain(|s| s.claim.customer() == *customer);
        Ok(found)
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        let holder: Option<Vec<u8>> = self
            .lock()
            .prepare_cached("SELECT claim FROM keys WHERE key = ?1")
            .and_then(|mut s| s.query_row([key_bytes(key)], |r| r.get(0)).optional())
            .map_err(db)?;
        holder.as_deref().map(claim_id_from).transpose()
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        let n = count_in(&self.lock(), &counted_bytes(key))?;
        u32::try_from(n).map_err(|e| corrupt("count", &n.to_string(), &e))
    }

    fn due(&self, now: DateTime<Utc>, page: PageRequest) -> Result<Page<ClaimId>, StoreError> {
        // Deadlines outside the years 0 to 9999 cannot be stored, so a `now` beyond them is
        // the same as the last (or first) moment stored.
        let now = if in_text_range(now) {
            now.to_rfc3339_opts(SecondsFormat::Nanos, true)
        } else if now.year() > 9999 {
            "9999-12-31T23:59:59.999999999Z".to_owned()
        } else {
            return Ok(Page::empty());
        };
        let (after, n) = page_bounds(page);
        let connection = self.lock();
        let mut statement = connection
            .prepare_cached(
                "SELECT rowid, id FROM claims
                 WHERE next_deadline IS NOT NULL AND next_deadline <= ?1 AND rowid > ?2
                 ORDER BY rowid LIMIT ?3",
            )
            .map_err(db)?;
        let rows = statement
            .query_map(params![now, after, n], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(db)?;
        let mut due = Vec::new();
        for row in rows {
            let (rowid, id) = row.map_err(db)?;
            due.push((u64::try_from(rowid).unwrap_or(0), claim_id_from(&id)?));
        }
        Ok(Page::from_positioned(due, page))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{
        counted_bytes, counted_text, customer_column, key_bytes, key_text, v2_key_text, v3_key_text,
    };
    use crate::association::{AssociationKey, KeyUnit};
    use crate::catalog::{EngagementId, WorkloadId};
    use crate::id::{CustomerId, PartnerId, SubscriptionId, TenantId};
    use crate::store::{CountedKey, UniqueKey};

    const TENANT: &str = "0f0e0d0c-0b0a-4908-8706-050403020100";
    const OTHER: &str = "1f0e0d0c-0b0a-4908-8706-050403020100";

    fn association(engagement: &str, tenant: &str, unit: KeyUnit) -> AssociationKey {
        AssociationKey {
            engagement: EngagementId::parse(engagement).unwrap(),
            tenant: TenantId::parse(tenant).unwrap(),
            unit,
        }
    }

    fn workload(id: &str) -> KeyUnit {
        KeyUnit::Workload(WorkloadId::parse(id).unwrap())
    }

    #[test]
    fn key_texts_are_compact_and_as_documented() {
        let partner = PartnerId::new(4_512_345).unwrap();
        let key = association("mws_usage", TENANT, workload("teams"));
        assert_eq!(
            key_text(&UniqueKey::OpenAssociation { partner, key }),
            "o|0f0e0d0c0b0a49088706050403020100|4512345|mws_usage|w:teams"
        );
        // Version 2's form, which the migration from version 1 still writes.
        assert_eq!(
            v2_key_text(&UniqueKey::OpenAssociation {
                partner,
                key: association("mws_usage", TENANT, workload("teams")),
            }),
            "o|4512345|mws_usage|0f0e0d0c0b0a49088706050403020100|w:teams"
        );
        let customer: CustomerId = "domain:contoso.com".parse().unwrap();
        let engagement = EngagementId::parse("mci_pre_sales").unwrap();
        assert_eq!(
            key_text(&UniqueKey::OpenActivity {
                partner,
                engagement: engagement.clone(),
                customer: customer.clone(),
            }),
            "c|4512345|mci_pre_sales|domain:contoso.com"
        );
        assert_eq!(
            counted_text(&CountedKey {
                engagement,
                customer
            }),
            "mci_pre_sales|domain:contoso.com"
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn key_bytes_are_as_documented() {
        let partner = PartnerId::new(4_512_345).unwrap();
        let key = association("mws_usage", TENANT, workload("teams"));
        // `o`, the tenant's 16 bytes, the partner as a varint, the engagement and the
        // workload after their lengths.
        assert_eq!(
            hex(&key_bytes(&UniqueKey::OpenAssociation {
                partner,
                key: key.clone()
            })),
            "6f0f0e0d0c0b0a49088706050403020100d9b4930209\
             6d77735f757361676577057465616d73"
        );
        assert_eq!(
            hex(&key_bytes(&UniqueKey::Associated { key })),
            "610f0e0d0c0b0a4908870605040302010009\
             6d77735f757361676577057465616d73"
        );
        let customer: CustomerId = "domain:contoso.com".parse().unwrap();
        let engagement = EngagementId::parse("mci_pre_sales").unwrap();
        assert_eq!(
            hex(&key_bytes(&UniqueKey::OpenActivity {
                partner,
                engagement: engagement.clone(),
                customer: customer.clone(),
            })),
            "63d9b493020d6d63695f7072655f73616c6573000b636f6e746f736f2e636f6d"
        );
        assert_eq!(
            hex(&counted_bytes(&CountedKey {
                engagement,
                customer: customer.clone()
            })),
            "0d6d63695f7072655f73616c6573000b636f6e746f736f2e636f6d"
        );
        assert_eq!(
            hex(&customer_column(&customer)),
            "000b636f6e746f736f2e636f6d"
        );
        let tenant: CustomerId = format!("tenant:{TENANT}").parse().unwrap();
        assert_eq!(
            hex(&customer_column(&tenant)),
            "010f0e0d0c0b0a49088706050403020100"
        );
    }

    #[test]
    fn different_keys_have_different_texts() {
        let partners = [1, 4_512_345].map(|n| PartnerId::new(n).unwrap());
        let subscription = SubscriptionId::parse(TENANT).unwrap();
        let mut keys = Vec::new();
        for engagement in ["mws_usage", "mws_usage.a", "bizapps"] {
            for tenant in [TENANT, OTHER] {
                for unit in [
                    workload("teams"),
                    workload("teams_phone"),
                    KeyUnit::Subscription(subscription),
                ] {
                    let key = association(engagement, tenant, unit);
                    keys.push(UniqueKey::Associated { key: key.clone() });
                    for partner in partners {
                        keys.push(UniqueKey::OpenAssociation {
                            partner,
                            key: key.clone(),
                        });
                    }
                }
                for customer in [format!("tenant:{tenant}"), "tpid:12".to_owned()] {
                    for partner in partners {
                        keys.push(UniqueKey::OpenActivity {
                            partner,
                            engagement: EngagementId::parse(engagement).unwrap(),
                            customer: customer.parse().unwrap(),
                        });
                    }
                }
            }
        }
        // Some keys come twice (a TPID does not depend on the tenant).
        let keys: BTreeSet<UniqueKey> = keys.into_iter().collect();
        let texts: BTreeSet<String> = keys.iter().map(key_text).collect();
        assert_eq!(texts.len(), keys.len());
        let bytes: BTreeSet<Vec<u8>> = keys.iter().map(key_bytes).collect();
        assert_eq!(bytes.len(), keys.len());
        // Within each kind, the association keys of one tenant sort together.
        let tenant_of = |key: &UniqueKey| match key {
            UniqueKey::Associated { key } | UniqueKey::OpenAssociation { key, .. } => {
                Some(key.tenant)
            }
            _ => None,
        };
        let mut sorted: Vec<&UniqueKey> = keys.iter().filter(|k| tenant_of(k).is_some()).collect();
        sorted.sort_by_key(|k| key_bytes(k));
        let runs = sorted
            .windows(2)
            .filter(|pair| tenant_of(pair[0]) != tenant_of(pair[1]))
            .count();
        // `a` keys of one tenant, then of the other, then the same for `o` keys.
        assert_eq!(runs, 3, "two kinds of key, two tenants each, four runs");
        assert!(texts.iter().all(|t| !t.contains(super::HELD_SEPARATOR)));
        // The migration from version 2 turns each key's text of version 2 into its text.
        for key in &keys {
            assert_eq!(v3_key_text(&v2_key_text(key)).unwrap(), key_text(key));
        }
    }
}
