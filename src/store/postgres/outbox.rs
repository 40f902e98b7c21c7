//! The outbox and the sweeps' leases on PostgreSQL.
//!
//! Each operation is a short transaction run by [`Inner::run`]: a broken connection found
//! at `BEGIN` (nothing sent) is replaced and the work runs again; once a statement was sent
//! it is [`StoreError::Unavailable`], as for a commit. A lease or an acknowledgement that
//! fails leaves nothing changed.
//!
//! **Leasing events.** `lease_events` picks the oldest free events (never leased, or whose
//! lease ran out by `now`) in `seq` order with `FOR UPDATE SKIP LOCKED`, and marks them
//! leased in the same statement. A worker that meets rows another worker is leasing skips
//! them rather than waits, and a row leased and committed since the statement's snapshot is
//! checked again under its lock (PostgreSQL re-evaluates the condition on the new row), so
//! two workers never lease one event for the same time.
//!
//! **Taking due claims.** `take_due` is the same statement over `claims`: it picks the due
//! claims whose sweep lease (`swept_until`, on the claim's row) is unset or ran out, in
//! `seq` order, with `FOR NO KEY UPDATE SKIP LOCKED`, and sets their lease. A caller skips
//! the claims another is taking at that moment, and a claim another caller took since its
//! snapshot is checked again on the new row and passed over, so concurrent sweeps on any
//! number of instances get disjoint batches, and none comes back empty while a claim is free
//! that no other caller is taking at that moment.
//! (A lease kept in a table of its own, written with an `INSERT ... ON CONFLICT DO UPDATE
//! ... WHERE` the lease ran out, is as exclusive, but a caller whose snapshot predates
//! another's leases picks those claims, loses them to the upsert's check and may come back
//! with nothing, which ends a sweep early.) A claim whose row a commit holds locked at that
//! moment is skipped this time, and found by the next call. A lease that ran out is a lease
//! that is not there: nothing needs clearing, and the next take writes over it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::super::columns::{bounded, corrupt, version_from, version_to};
use super::Inner;
use super::commit::{Abort, Attempt};
use super::error::store_error;
use super::pool::{Connection, Session};
use super::rows::{claim_id_from, earliest_timestamp, moment};
use super::tx::TxWork;
use crate::event::{Event, EventId};
use crate::id::ClaimId;
use crate::store::{Leased, StoreError, lease_end, lease_limit};

/// Leases the oldest free events at `($1, $2)` until `($4, $5)`, at most `$3` of them.
/// Attempts saturate at the largest `integer`. The rows picked are updated through
/// `seq = ANY(ARRAY(...))`, an index scan on the primary key whatever the plan: a join with
/// the picked rows may be planned, for a statement prepared once with `LIMIT $3` unknown, as
/// a hash join over the whole outbox.
const LEASE: &str = "WITH picked AS (
        SELECT seq FROM outbox
        WHERE leased_until IS NULL OR (leased_until, leased_until_ns) <= ($1, $2)
        ORDER BY seq
        LIMIT $3
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox
    SET attempts = CASE WHEN attempts < 2147483647 THEN attempts + 1 ELSE attempts END,
        leased_until = $4, leased_until_ns = $5
    WHERE seq = ANY(ARRAY(SELECT seq FROM picked))
    RETURNING seq, claim, version, idx, event::text, attempts";

/// Removes the events of some IDs; how many there were is the statement's row count.
const ACKNOWLEDGE: &str = "DELETE FROM outbox WHERE (claim, version, idx) IN (
        SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::int[]))";

/// Takes at most `$3` claims due at `($1, $2)` and free of any sweep lease, until
/// `($4, $5)`: see the module's docs. The rows come back in no order; their `seq` orders
/// them. As in [`LEASE`], the picked rows are updated by an index scan.
const TAKE_DUE: &str = "WITH picked AS (
        SELECT id FROM claims
        WHERE next_deadline IS NOT NULL
            AND (next_deadline, next_deadline_ns) <= ($1, $2)
            AND (swept_until IS NULL OR (swept_until, swept_until_ns) <= ($1, $2))
        ORDER BY seq
        LIMIT $3
        FOR NO KEY UPDATE SKIP LOCKED
    )
    UPDATE claims SET swept_until = $4, swept_until_ns = $5
    WHERE id = ANY(ARRAY(SELECT id FROM picked))
    RETURNING seq, id";

/// The most IDs one acknowledging statement carries.
const ACKNOWLEDGE_CHUNK: usize = 1_000;

/// How many characters of an unreadable event its error quotes.
const EXCERPT_CHARS: usize = 60;

/// A moment as its two columns.
type Moment = (DateTime<Utc>, i32);

/// One `lease_events`.
struct LeaseWork {
    now: Moment,
    until: Moment,
    /// The lease's end, exactly (the columns keep it exactly too).
    leased_until: DateTime<Utc>,
    limit: i64,
}

impl TxWork for LeaseWork {
    type Output = Vec<Leased>;

    async fn attempt(&self, connection: &mut Connection) -> Attempt<Vec<Leased>> {
        let Connection {
            client, statements, ..
        } = connection;
        let tx = client.transaction().await.map_err(Abort::Unsent)?;
        let rows = Session {
            client: &tx,
            statements,
        }
        .query(
            LEASE,
            &[
                &self.now.0,
                &self.now.1,
                &self.limit,
                &self.until.0,
                &self.until.1,
            ],
        )
        .await?;
        // An event that does not read back fails the call; dropping `tx` rolls the lease
        // back, so nothing was leased.
        let mut leased = rows
            .iter()
            .map(|row| leased_from(row, self.leased_until))
            .collect::<Result<Vec<(i64, Leased)>, StoreError>>()
            .map_err(Abort::Failed)?;
        tx.commit().await?;
        leased.sort_unstable_by_key(|(seq, _)| *seq);
        Ok(leased.into_iter().map(|(_, leased)| leased).collect())
    }
}

/// One row of [`LEASE`], with its `seq`: the event read back through serde, as every way
/// in reads one.
fn leased_from(
    row: &tokio_postgres::Row,
    leased_until: DateTime<Utc>,
) -> Result<(i64, Leased), StoreError> {
    let seq: i64 = row.try_get(0).map_err(store_error)?;
    let claim: uuid::Uuid = row.try_get(1).map_err(store_error)?;
    let version: i64 = row.try_get(2).map_err(store_error)?;
    let index: i32 = row.try_get(3).map_err(store_error)?;
    let text: String = row.try_get(4).map_err(store_error)?;
    let attempts: i32 = row.try_get(5).map_err(store_error)?;
    let id = EventId {
        claim: claim_id_from(claim)?,
        version: version_from(version)?,
        index: u32::try_from(index).map_err(|e| corrupt("event place", &index.to_string(), &e))?,
    };
    let event: Event = serde_json::from_str(&text).map_err(|e| {
        let excerpt: String = text.chars().take(EXCERPT_CHARS).collect();
        StoreError::Corrupt {
            claim: Some(id.claim),
            what: bounded(&format!(
                "its outbox event {id} does not read as an event ({e}): {excerpt}"
            )),
        }
    })?;
    let attempt =
        u32::try_from(attempts).map_err(|e| corrupt("attempts", &attempts.to_string(), &e))?;
    Ok((
        seq,
        Leased {
            id,
            event,
            attempt,
            leased_until,
        },
    ))
}

/// One `acknowledge`: the IDs as columns, sorted and without repeats, so that concurrent
/// acknowledgements lock rows in one order.
struct AcknowledgeWork {
    claims: Vec<uuid::Uuid>,
    versions: Vec<i64>,
    places: Vec<i32>,
}

impl TxWork for AcknowledgeWork {
    type Output = usize;

    async fn attempt(&self, connection: &mut Connection) -> Attempt<usize> {
        let Connection {
            client, statements, ..
        } = connection;
        let tx = client.transaction().await.map_err(Abort::Unsent)?;
        let mut session = Session {
            client: &tx,
            statements,
        };
        let mut removed: u64 = 0;
        for ((claims, versions), places) in self
            .claims
            .chunks(ACKNOWLEDGE_CHUNK)
            .zip(self.versions.chunks(ACKNOWLEDGE_CHUNK))
            .zip(self.places.chunks(ACKNOWLEDGE_CHUNK))
        {
            let n = session
                .execute(ACKNOWLEDGE, &[&claims, &versions, &places])
                .await?;
            removed = removed.saturating_add(n);
        }
        tx.commit().await?;
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }
}

/// One `take_due`.
struct TakeWork {
    now: Moment,
    until: Moment,
    limit: i64,
}

impl TxWork for TakeWork {
    type Output = Vec<ClaimId>;

    async fn attempt(&self, connection: &mut Connection) -> Attempt<Vec<ClaimId>> {
        let Connection {
            client, statements, ..
        } = connection;
        let tx = client.transaction().await.map_err(Abort::Unsent)?;
        let rows = Session {
            client: &tx,
            statements,
        }
        .query(
            TAKE_DUE,
            &[
                &self.now.0,
                &self.now.1,
                &self.limit,
                &self.until.0,
                &self.until.1,
            ],
        )
        .await?;
        let mut taken = rows
            .iter()
            .map(|row| {
                let seq: i64 = row.try_get(0).map_err(store_error)?;
                let id: uuid::Uuid = row.try_get(1).map_err(store_error)?;
                Ok((seq, claim_id_from(id)?))
            })
            .collect::<Result<Vec<(i64, ClaimId)>, StoreError>>()
            .map_err(Abort::Failed)?;
        tx.commit().await?;
        taken.sort_unstable_by_key(|(seq, _)| *seq);
        Ok(taken.into_iter().map(|(_, id)| id).collect())
    }
}

/// `limit` as a statement's `LIMIT`.
fn limit_of(limit: usize) -> i64 {
    i64::try_from(lease_limit(limit)).unwrap_or(i64::MAX)
}

impl Inner {
    pub(super) async fn take_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimId>, StoreError> {
        // No deadline before the earliest `timestamptz` can be stored.
        if earliest_timestamp().is_none_or(|earliest| now < earliest) {
            return Ok(Vec::new());
        }
        let work = TakeWork {
            now: moment(now)?,
            until: moment(lease_end(now, lease))?,
            limit: limit_of(limit),
        };
        self.run(&work).await
    }

    pub(super) async fn lease_events(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Leased>, StoreError> {
        let leased_until = lease_end(now, lease);
        let work = LeaseWork {
            now: moment(now)?,
            until: moment(leased_until)?,
            leased_until,
            limit: limit_of(limit),
        };
        self.run(&work).await
    }

    pub(super) async fn acknowledge(&self, mut ids: Vec<EventId>) -> Result<usize, StoreError> {
        ids.sort_unstable();
        ids.dedup();
        let mut work = AcknowledgeWork {
            claims: Vec::with_capacity(ids.len()),
            versions: Vec::with_capacity(ids.len()),
            places: Vec::with_capacity(ids.len()),
        };
        for id in ids {
            // An ID whose version or place no row can hold names no event: it is ignored,
            // as an unknown one is.
            let (Ok(version), Ok(place)) = (version_to(id.version), i32::try_from(id.index)) else {
                continue;
            };
            work.claims.push(id.claim.as_uuid());
            work.versions.push(version);
            work.places.push(place);
        }
        if work.claims.is_empty() {
            return Ok(0);
        }
        self.run(&work).await
    }
}
