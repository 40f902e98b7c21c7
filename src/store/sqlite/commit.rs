//! A commit, inside its one `BEGIN IMMEDIATE` transaction on the writer: the conditional
//! write of each claim, the release and the acquisition of keys, and the check of the counted
//! limits.

use std::fmt::Write as _;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{
    CachedStatement, Connection, OptionalExtension, Transaction, TransactionBehavior, params,
};

use super::keys::{counted_bytes, key_bytes};
use super::values::{IdColumn, Row, claim_from, claim_id_from, db, with_claim};
use crate::catalog::Catalogs;
use crate::store::columns::{corrupt, version_from, version_to};
use crate::store::{Claim, CountedKey, Expect, StoreError, UniqueKey, Version, Write};

/// [`Store::commit`](crate::store::Store::commit), on the writer: every claim checked
/// against its catalog first, then one transaction.
pub(super) fn commit(
    connection: &mut Connection,
    catalogs: &Catalogs,
    writes: &[Write],
) -> Result<Vec<Version>, StoreError> {
    for write in writes {
        write.claim.validate(catalogs)?;
    }
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    // On any error `tx` is dropped, which rolls the transaction back.
    let planned = {
        let mut statements = Statements::new(&tx)?;
        let planned = write_claims(&mut statements, writes, catalogs)?;
        release(&tx, &planned)?;
        acquire(&mut statements, &planned)?;
        planned
    };
    super::outbox::file_events(&tx, writes, &planned)?;
    check_limits(&tx, &planned)?;
    tx.commit().map_err(db)?;
    Ok(planned.into_iter().map(|p| p.version).collect())
}

/// The outcome of the first step of one write.
pub(super) struct Planned {
    pub(super) id: IdColumn,
    pub(super) version: Version,
    /// The keys the stored version held (see [`key_bytes`]), for an update.
    old_keys: Vec<Vec<u8>>,
    /// The counted key the stored version counted towards (see [`counted_bytes`]), for an
    /// update.
    old_counted: Option<Vec<u8>>,
    /// The keys and counted place of the new version; `None` for an idempotent create.
    pub(super) new: Option<NewHoldings>,
}

/// What a claim holds, each key beside its binary form.
pub(super) struct NewHoldings {
    pub(super) keys: Vec<(UniqueKey, Vec<u8>)>,
    pub(super) counted: Option<(CountedKey, Vec<u8>, u32)>,
}

impl NewHoldings {
    /// What a claim already checked against `catalogs` holds.
    pub(super) fn of(claim: &Claim, catalogs: &Catalogs) -> Self {
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

/// The insert of a new claim's row; a row already there with the same ID is left alone (the
/// caller compares it, for an idempotent retry).
const INSERT_CLAIM: &str =
    "INSERT INTO claims (id, partner, engagement, customer, version, next_deadline, body)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING";

/// The statements run for every claim of a commit or an import, prepared once for the whole
/// transaction: looking each up in the connection's statement cache, claim after claim, cost
/// an import about a twentieth of its time.
pub(super) struct Statements<'c> {
    pub(super) tx: &'c Transaction<'c>,
    insert_claim: CachedStatement<'c>,
    /// The `INSERT OR IGNORE` of `n` key rows, at index `n - 1`, prepared when first needed.
    insert_keys: Vec<Option<CachedStatement<'c>>>,
}

impl<'c> Statements<'c> {
    pub(super) fn new(tx: &'c Transaction<'c>) -> Result<Self, StoreError> {
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
    pub(super) fn insert_keys<'k>(
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

pub(super) fn create(
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
pub(super) fn first_held<'k>(
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

pub(super) fn delete_key(
    tx: &Transaction<'_>,
    key: &[u8],
    claim: &IdColumn,
) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM keys WHERE key = ?1 AND claim = ?2")
        .and_then(|mut s| s.execute(params![key, claim]))
        .map(drop)
        .map_err(db)
}

pub(super) fn insert_counted(
    tx: &Transaction<'_>,
    key: &[u8],
    claim: &IdColumn,
) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO counts (key, claim) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![key, claim]))
        .map(drop)
        .map_err(db)
}

pub(super) fn delete_counted(
    tx: &Transaction<'_>,
    key: &[u8],
    claim: &IdColumn,
) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM counts WHERE key = ?1 AND claim = ?2")
        .and_then(|mut s| s.execute(params![key, claim]))
        .map(drop)
        .map_err(db)
}

/// How many claims count towards a counted key (its binary form).
pub(super) fn count_in(connection: &Connection, key: &[u8]) -> Result<i64, StoreError> {
    connection
        .prepare_cached("SELECT COUNT(*) FROM counts WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| r.get(0)))
        .map_err(db)
}
