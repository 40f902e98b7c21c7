//! A bulk import: one `BEGIN IMMEDIATE` transaction per batch, on the writer.

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::commit::{
    Statements, count_in, create, delete_counted, delete_key, first_held, insert_counted,
};
use super::pool::{COMMIT_CACHE_KIB, IMPORT_CACHE_KIB};
use super::values::{IdColumn, Row, db};
use crate::catalog::Catalogs;
use crate::store::{Claim, ImportReport, StoreError, UniqueKey, Version};

/// [`Store::import`](crate::store::Store::import), on the writer, with a page cache of
/// [`IMPORT_CACHE_KIB`] for the batch.
pub(super) fn import(
    connection: &mut Connection,
    catalogs: &Catalogs,
    claims: &[Claim],
) -> Result<ImportReport, StoreError> {
    connection
        .pragma_update(None, "cache_size", IMPORT_CACHE_KIB)
        .map_err(db)?;
    let imported = import_batch(connection, claims, catalogs);
    // Only a cap on memory: failing to lower it again changes no data, and the batch's
    // outcome is what the caller needs.
    let _ = connection.pragma_update(None, "cache_size", COMMIT_CACHE_KIB);
    imported
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
                Err(
                    error @ (StoreError::Backend { .. }
                    | StoreError::Unavailable { .. }
                    | StoreError::Timeout { .. }),
                ) => return Err(error),
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
