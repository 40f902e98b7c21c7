//! The schema, and its migrations from every earlier version, each in the migration's one
//! transaction.

use std::fmt::Write as _;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::commit::{NewHoldings, insert_counted};
use super::keys::{HELD_SEPARATOR, counted_text, customer_column, key_text, write_unit};
use super::values::{claim_from, db, id_to};
use crate::association::AssociationKey;
use crate::catalog::builtin_catalogs;
use crate::store::columns::{corrupt, newer_schema};
use crate::store::{Claim, CountedKey, StoreError, UniqueKey};

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
const MIGRATIONS: &[Migration] = &[create_v1, v1_to_v2, v2_to_v3, v3_to_v4, v4_to_v5];

/// The newest schema version this build knows.
const SCHEMA_VERSION: i64 = 5;

/// Version 1: the tables, empty.
/// Version 4 to 5: the outbox and the sweep's leases (see [`super::outbox`]).
fn v4_to_v5(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(super::outbox::SCHEMA_V5_TABLES)
        .map_err(db)
}

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
pub(super) fn v2_key_text(key: &UniqueKey) -> String {
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
pub(super) fn v3_key_text(v2: &str) -> Result<String, StoreError> {
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

/// Creates or migrates the schema, in one transaction.
pub(super) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
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
