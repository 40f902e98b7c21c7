//! The outbox and the sweep's leases on SQLite, each on the writer.
//!
//! Events are rows of `outbox` in the order committed (its rowid, `seq`); a free event has
//! `leased_until` at or before `now` (never leased: the empty text, which sorts first).
//! Leasing is one `UPDATE ... RETURNING` over the oldest free rows; the writer is the only
//! connection that writes, so two leases never overlap. The sweep's leases are rows of
//! `sweeps`, one per claim taken, dropped once they ran out.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::commit::Planned;
use super::values::{claim_id_from, db, id_to, moment};
use crate::event::{Event, EventId};
use crate::id::ClaimId;
use crate::store::columns::{corrupt, version_from, version_to};
use crate::store::{Leased, StoreError, Write, lease_end, lease_limit};

/// The tables of schema version 5.
pub(super) const SCHEMA_V5_TABLES: &str = "CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY,
        claim BLOB NOT NULL,
        version INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        event TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        leased_until TEXT NOT NULL DEFAULT '',
        UNIQUE (claim, version, idx)
    );
    CREATE TABLE sweeps (
        claim BLOB NOT NULL PRIMARY KEY,
        until TEXT NOT NULL
    ) WITHOUT ROWID;";

/// Files the events of each write that changed its claim, in the commit's transaction.
pub(super) fn file_events(
    tx: &Transaction<'_>,
    writes: &[Write],
    planned: &[Planned],
) -> Result<(), StoreError> {
    let mut insert = None;
    for (write, planned) in writes.iter().zip(planned) {
        if planned.new.is_none() || write.events.is_empty() {
            continue;
        }
        let statement = match &mut insert {
            Some(statement) => statement,
            None => insert.insert(
                tx.prepare_cached(
                    "INSERT INTO outbox (claim, version, idx, event) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db)?,
            ),
        };
        let version = version_to(planned.version)?;
        for (id, event) in write.numbered_events(planned.version) {
            let json = serde_json::to_string(event).map_err(StoreError::backend)?;
            statement
                .execute(params![planned.id, version, id.index, json])
                .map_err(db)?;
        }
    }
    Ok(())
}

/// [`Store::lease_events`](crate::store::Store::lease_events).
pub(super) fn lease_events(
    connection: &mut Connection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: usize,
) -> Result<Vec<Leased>, StoreError> {
    let Some(at) = moment(now) else {
        return Ok(Vec::new());
    };
    let until = lease_end(now, lease);
    let until_text = moment(until).unwrap_or_default();
    let n = i64::try_from(lease_limit(limit)).unwrap_or(1);
    let mut statement = connection
        .prepare_cached(
            "UPDATE outbox SET attempts = attempts + 1, leased_until = ?2
             WHERE seq IN (SELECT seq FROM outbox WHERE leased_until <= ?1
                           ORDER BY seq LIMIT ?3)
             RETURNING seq, claim, version, idx, event, attempts",
        )
        .map_err(db)?;
    let rows = statement
        .query_map(params![at, until_text, n], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .map_err(db)?;
    let mut leased = Vec::new();
    for row in rows {
        let (seq, claim, version, index, json, attempts) = row.map_err(db)?;
        let id = EventId {
            claim: claim_id_from(&claim)?,
            version: version_from(version)?,
            index: u32::try_from(index)
                .map_err(|e| corrupt("event index", &index.to_string(), &e))?,
        };
        let event: Event = serde_json::from_str(&json).map_err(|e| corrupt("event", &json, &e))?;
        let attempt = u32::try_from(attempts).unwrap_or(u32::MAX);
        leased.push((
            seq,
            Leased {
                id,
                event,
                attempt,
                leased_until: until,
            },
        ));
    }
    // `RETURNING` gives the rows in no set order.
    leased.sort_unstable_by_key(|(seq, _)| *seq);
    Ok(leased.into_iter().map(|(_, l)| l).collect())
}

/// [`Store::acknowledge`](crate::store::Store::acknowledge), in one transaction.
pub(super) fn acknowledge(
    connection: &mut Connection,
    ids: &[EventId],
) -> Result<usize, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let mut removed: usize = 0;
    {
        let mut delete = tx
            .prepare_cached("DELETE FROM outbox WHERE claim = ?1 AND version = ?2 AND idx = ?3")
            .map_err(db)?;
        for id in ids {
            let version = version_to(id.version)?;
            let n = delete
                .execute(params![id_to(id.claim), version, id.index])
                .map_err(db)?;
            removed = removed.saturating_add(n);
        }
    }
    tx.commit().map_err(db)?;
    Ok(removed)
}

/// [`Store::take_due`](crate::store::Store::take_due), in one transaction.
pub(super) fn take_due(
    connection: &mut Connection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: usize,
) -> Result<Vec<ClaimId>, StoreError> {
    let Some(at) = moment(now) else {
        return Ok(Vec::new());
    };
    let until = moment(lease_end(now, lease)).unwrap_or_default();
    let n = i64::try_from(lease_limit(limit)).unwrap_or(1);
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let mut taken = Vec::new();
    {
        tx.prepare_cached("DELETE FROM sweeps WHERE until <= ?1")
            .and_then(|mut s| s.execute([&at]))
            .map_err(db)?;
        let mut select = tx
            .prepare_cached(
                "SELECT id FROM claims
                 WHERE next_deadline IS NOT NULL AND next_deadline <= ?1
                     AND NOT EXISTS (SELECT 1 FROM sweeps WHERE sweeps.claim = claims.id)
                 ORDER BY rowid LIMIT ?2",
            )
            .map_err(db)?;
        let rows = select
            .query_map(params![at, n], |r| r.get::<_, Vec<u8>>(0))
            .map_err(db)?;
        let mut insert = tx
            .prepare_cached("INSERT INTO sweeps (claim, until) VALUES (?1, ?2)")
            .map_err(db)?;
        for row in rows {
            let id = row.map_err(db)?;
            taken.push(claim_id_from(&id)?);
            insert.execute(params![id, until]).map_err(db)?;
        }
    }
    tx.commit().map_err(db)?;
    Ok(taken)
}
