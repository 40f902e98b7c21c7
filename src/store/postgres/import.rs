//! A bulk import, set-based: the accepted claims and their keys are written with `COPY`, and
//! their counted places with one statement, so that a batch of 10 claims and one of 10,000
//! take the same round trips. Which claims are accepted is decided one of two ways:
//!
//! - **at once**, when no two claims of the batch share an ID or a key (the usual batch of new
//!   claims): every claim is written, and the database's own constraints check them. A claim
//!   ID or a key already stored is a `unique_violation` of the `COPY`, and a count over a
//!   limit shows in the counts the counter statement returns: either aborts the transaction,
//!   and the batch runs again the other way;
//! - **claim by claim**: one statement reads what the store holds for the whole batch (the
//!   stored claims of its IDs, the holders of its keys, the counts of its counted keys), the
//!   claims are checked against it in batch order (in Rust, since what "the claims before it"
//!   hold depends on which of them were accepted), and only the accepted ones are written.
//!   Another writer may commit between the read and the writes: a claim ID or a key it
//!   inserted is a `unique_violation`, and a count it changed shows in the counts returned,
//!   which must be those the batch was checked against; either way the batch runs again (as a
//!   commit does, see `tx`).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::future::poll_fn;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use futures_sink::Sink;
use tokio_postgres::CopyInSink;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, Json, ToSql, Type};
use uuid::Uuid;

use super::super::columns::version_from;
use super::Inner;
use super::commit::{Abort, Attempt, Tx};
use super::pool::{Connection, Session};
use super::rows::{Prepared, claim_id_from, prepare};
use super::sql::{IMPORT_CLAIMS, IMPORT_COUNTED, IMPORT_KEYS, IMPORT_READ};
use super::tx::TxWork;
use crate::id::ClaimId;
use crate::store::{Claim, ImportReport, StoreError, Version, Write};

/// The outcome of each claim sent to the database, in batch order.
type Outcomes = Vec<Result<Version, StoreError>>;

/// The claims of one import that passed the catalogs, and the keys they hold.
struct ImportWork<'p, 'w> {
    prepared: &'p [Prepared<'w>],
    /// Every key a claim of the batch holds, with the claim's index, sorted by key (the order
    /// commits insert keys in, so that concurrent writers lock them in one order).
    pairs: Vec<(&'p str, usize)>,
    /// Whether the batch is checked claim by claim (else at once).
    careful: AtomicBool,
}

impl<'p, 'w> ImportWork<'p, 'w> {
    fn new(prepared: &'p [Prepared<'w>]) -> Self {
        let mut pairs: Vec<(&str, usize)> = prepared
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.held.sorted.iter().map(move |key| (key.as_str(), i)))
            .collect();
        pairs.sort_unstable();
        // A key listed twice by one claim is held once.
        pairs.dedup();
        let shared_key = pairs
            .windows(2)
            .any(|w| matches!(w, [(a, _), (b, _)] if a == b));
        let mut ids: Vec<Uuid> = prepared.iter().map(|p| p.row.id).collect();
        ids.sort_unstable();
        let shared_id = ids.windows(2).any(|w| matches!(w, [a, b] if a == b));
        Self {
            prepared,
            pairs,
            careful: AtomicBool::new(shared_key || shared_id),
        }
    }

    /// Goes on claim by claim.
    fn be_careful(&self) -> Abort {
        if !self.careful.swap(true, Ordering::Relaxed) {
            tracing::debug!(
                store = "postgres",
                "the batch meets stored claims, keys or counts: checking it claim by claim"
            );
        }
        Abort::Retry
    }
}

impl TxWork for ImportWork<'_, '_> {
    type Output = Outcomes;

    async fn attempt(&self, connection: &mut Connection) -> Attempt<Outcomes> {
        let Connection {
            client, statements, ..
        } = connection;
        let careful = self.careful.load(Ordering::Relaxed);
        let tx = client.transaction().await.map_err(Abort::Unsent)?;
        let mut session = Session {
            client: &tx,
            statements,
        };
        let plan = if careful {
            let found = read(&mut session, self).await?;
            resolve(self, &found).map_err(Abort::Failed)?
        } else {
            at_once(self).map_err(Abort::Failed)?
        };
        // On any error, `tx` is dropped, which rolls the whole batch back.
        match write(&mut session, &plan).await {
            Ok(true) => {}
            Ok(false) => return Err(self.be_careful()),
            Err(Abort::Db(e)) if !careful && e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                return Err(self.be_careful());
            }
            Err(other) => return Err(other),
        }
        tx.commit().await?;
        Ok(plan.outcomes)
    }
}

/// What the store holds for a batch, as one statement read it.
#[derive(Default)]
struct Found {
    /// The stored claims of the batch's IDs, at their versions.
    claims: HashMap<Uuid, (Version, Claim)>,
    /// The holder of each of the batch's keys that is held.
    holders: HashMap<String, Uuid>,
    /// The count of each of the batch's counted keys that has a counter.
    counts: HashMap<String, i64>,
}

/// Reads what the store holds for the batch: its IDs, keys and counted keys, each once.
async fn read(session: &mut Tx<'_, '_>, work: &ImportWork<'_, '_>) -> Attempt<Found> {
    let mut ids: Vec<Uuid> = work.prepared.iter().map(|p| p.row.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut keys: Vec<&str> = work.pairs.iter().map(|(key, _)| *key).collect();
    keys.dedup();
    let mut counted: Vec<&str> = work
        .prepared
        .iter()
        .filter_map(|p| p.held.counted_text())
        .collect();
    counted.sort_unstable();
    counted.dedup();
    let rows = session.query(IMPORT_READ, &[&ids, &keys, &counted]).await?;
    let mut found = Found::default();
    for row in rows {
        let kind: i16 = row.try_get(0)?;
        match kind {
            0 => {
                let version = version_from(row.try_get(2)?).map_err(Abort::Failed)?;
                let Json(claim): Json<Claim> = row
                    .try_get(3)
                    .map_err(|e| Abort::Failed(StoreError::backend(e)))?;
                found.claims.insert(row.try_get(1)?, (version, claim));
            }
            1 => {
                found.holders.insert(row.try_get(4)?, row.try_get(1)?);
            }
            _ => {
                let n: i32 = row.try_get(5)?;
                found.counts.insert(row.try_get(4)?, i64::from(n));
            }
        }
    }
    Ok(found)
}

/// What an import writes.
struct Plan<'p, 'w> {
    /// The outcome of each claim, in batch order.
    outcomes: Outcomes,
    /// The claims accepted, in batch order.
    claims: Vec<&'p Prepared<'w>>,
    /// The keys they take, with their claim, sorted by key.
    keys: Vec<(&'p str, Uuid)>,
    /// The counted places they take: the claims, and the counted key of each.
    place_claims: Vec<Uuid>,
    place_keys: Vec<&'p str>,
    /// Each counted key they count towards, sorted, with how many of them do and the bound on
    /// the count the key then has.
    counter_keys: Vec<&'p str>,
    counter_added: Vec<i32>,
    counter_bound: Vec<i64>,
    /// Whether the count must be its bound (claim by claim: the count the batch was checked
    /// against), else at most its bound (at once: the least limit of the claims counted).
    exact: bool,
}

impl<'p, 'w> Plan<'p, 'w> {
    fn new(capacity: usize, exact: bool) -> Self {
        Self {
            outcomes: Vec::with_capacity(capacity),
            claims: Vec::with_capacity(capacity),
            keys: Vec::new(),
            place_claims: Vec::new(),
            place_keys: Vec::new(),
            counter_keys: Vec::new(),
            counter_added: Vec::new(),
            counter_bound: Vec::new(),
            exact,
        }
    }

    /// Fills the counters from the counted places, given the bound each place sets: the counts
    /// of the same key fold into one bound with `fold`.
    fn count(
        &mut self,
        mut places: Vec<(&'p str, i64)>,
        fold: fn(i64, i64) -> i64,
    ) -> Result<(), StoreError> {
        places.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (key, bound) in places {
            if let (Some(last), Some(added), Some(folded)) = (
                self.counter_keys.last(),
                self.counter_added.last_mut(),
                self.counter_bound.last_mut(),
            ) && *last == key
            {
                *added = added
                    .checked_add(1)
                    .ok_or_else(|| StoreError::backend(TooManyPlaces))?;
                *folded = fold(*folded, bound);
                continue;
            }
            self.counter_keys.push(key);
            self.counter_added.push(1);
            self.counter_bound.push(bound);
        }
        Ok(())
    }
}

/// The plan of a batch checked at once: every claim, its keys and its counted place.
fn at_once<'p, 'w>(work: &ImportWork<'p, 'w>) -> Result<Plan<'p, 'w>, StoreError> {
    let mut plan = Plan::new(work.prepared.len(), false);
    let mut places = Vec::new();
    for p in work.prepared {
        plan.outcomes.push(Ok(Version::FIRST));
        plan.claims.push(p);
        if let Some((_, text, limit)) = &p.held.counted {
            plan.place_claims.push(p.row.id);
            plan.place_keys.push(text.as_str());
            places.push((text.as_str(), i64::from(*limit)));
        }
    }
    plan.keys = work
        .pairs
        .iter()
        .filter_map(|(key, i)| work.prepared.get(*i).map(|p| (*key, p.row.id)))
        .collect();
    plan.count(places, i64::min)?;
    Ok(plan)
}

/// Checks each claim, in batch order, as a one-write commit of a create would be checked
/// against the store as `found` shows it and the claims accepted before it.
fn resolve<'p, 'w>(work: &ImportWork<'p, 'w>, found: &Found) -> Result<Plan<'p, 'w>, StoreError> {
    let mut holders: HashMap<&str, Uuid> = found
        .holders
        .iter()
        .map(|(key, claim)| (key.as_str(), *claim))
        .collect();
    let mut counts: HashMap<&str, i64> = found
        .counts
        .iter()
        .map(|(key, n)| (key.as_str(), *n))
        .collect();
    // The claims accepted so far, by ID: a later claim of one of their IDs is a retry of it
    // (at the first version) or a clash.
    let mut accepted: HashMap<Uuid, &Claim> = HashMap::new();
    let mut plan = Plan::new(work.prepared.len(), true);
    let mut places = Vec::new();
    for p in work.prepared {
        let claim = &p.write.claim;
        let id = p.row.id;
        let earlier = accepted
            .get(&id)
            .map(|c| (Version::FIRST, *c))
            .or_else(|| found.claims.get(&id).map(|(v, c)| (*v, c)));
        if let Some((version, stored)) = earlier {
            plan.outcomes.push(if stored.same_content(claim) {
                Ok(version)
            } else {
                Err(StoreError::IdConflict { claim: claim.id() })
            });
            continue;
        }
        if let Some(refusal) = held_key(p, &holders)? {
            plan.outcomes.push(Err(refusal));
            continue;
        }
        let place = match &p.held.counted {
            Some((key, text, limit)) => {
                let n = counts
                    .get(text.as_str())
                    .copied()
                    .unwrap_or(0)
                    .saturating_add(1);
                if n > i64::from(*limit) {
                    plan.outcomes.push(Err(StoreError::LimitReached {
                        key: key.clone(),
                        limit: *limit,
                    }));
                    continue;
                }
                Some((text.as_str(), n))
            }
            None => None,
        };
        for (_, text) in &p.held.keys {
            // A key the claim itself holds already (listed twice, say) is not taken again.
            if let Entry::Vacant(free) = holders.entry(text.as_str()) {
                free.insert(id);
                plan.keys.push((text.as_str(), id));
            }
        }
        if let Some((text, n)) = place {
            counts.insert(text, n);
            plan.place_claims.push(id);
            plan.place_keys.push(text);
            places.push((text, n));
        }
        accepted.insert(id, claim);
        plan.claims.push(p);
        plan.outcomes.push(Ok(Version::FIRST));
    }
    plan.keys.sort_unstable();
    // Each place's count is one more than the last: the key's count is the greatest.
    plan.count(places, i64::max)?;
    Ok(plan)
}

/// The first key of `p`, in the order of its holdings, that another claim holds.
fn held_key(
    p: &Prepared<'_>,
    holders: &HashMap<&str, Uuid>,
) -> Result<Option<StoreError>, StoreError> {
    for (key, text) in &p.held.keys {
        if let Some(holder) = holders.get(text.as_str())
            && *holder != p.row.id
        {
            return Ok(Some(StoreError::KeyHeld {
                key: key.clone(),
                holder: claim_id_from(*holder)?,
            }));
        }
    }
    Ok(None)
}

/// More claims of one batch count towards one counted key than a counter statement takes.
#[derive(Debug, thiserror::Error)]
#[error(
    "an import batch counts more than {} claims towards one counted key",
    i32::MAX
)]
struct TooManyPlaces;

/// The column types of [`IMPORT_CLAIMS`].
const CLAIM_TYPES: [Type; 8] = [
    Type::UUID,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::TIMESTAMPTZ,
    Type::INT4,
    Type::JSONB,
];

/// The column types of [`IMPORT_KEYS`].
const KEY_TYPES: [Type; 2] = [Type::TEXT, Type::UUID];

/// Writes what `plan` accepted: `false` if a count the counters came back with is not within
/// its bound, and the batch must be checked again.
async fn write(session: &mut Tx<'_, '_>, plan: &Plan<'_, '_>) -> Attempt<bool> {
    if plan.claims.is_empty() {
        return Ok(true);
    }
    let claims = plan.claims.iter().map(|p| {
        let r = &p.row;
        [
            &r.id as &(dyn ToSql + Sync),
            &r.partner,
            &r.engagement,
            &r.customer,
            &1_i64,
            &r.next_deadline,
            &r.next_deadline_ns,
            &r.body,
        ]
    });
    copy_in(session, IMPORT_CLAIMS, &CLAIM_TYPES, claims).await?;
    if !plan.keys.is_empty() {
        let keys = plan
            .keys
            .iter()
            .map(|(key, claim)| [key as &(dyn ToSql + Sync), claim]);
        copy_in(session, IMPORT_KEYS, &KEY_TYPES, keys).await?;
    }
    if plan.counter_keys.is_empty() {
        return Ok(true);
    }
    let rows = session
        .query(
            IMPORT_COUNTED,
            &[
                &plan.place_claims,
                &plan.place_keys,
                &plan.counter_keys,
                &plan.counter_added,
            ],
        )
        .await?;
    for row in rows {
        let key: &str = row.try_get(0)?;
        let n = i64::from(row.try_get::<_, i32>(1)?);
        let bound = plan
            .counter_keys
            .binary_search(&key)
            .ok()
            .and_then(|i| plan.counter_bound.get(i));
        let within = bound.is_some_and(|b| if plan.exact { n == *b } else { n <= *b });
        if !within {
            return Ok(false);
        }
    }
    Ok(true)
}

/// How much `COPY` data is sent at a time.
const CHUNK: usize = 256 * 1024;

/// The start of binary `COPY` data: the signature, no flags, no header extension.
const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// A value of an import that its column's type does not take.
#[derive(Debug, thiserror::Error)]
#[error("a value of an import does not encode: {0}")]
struct Encode(Box<dyn std::error::Error + Send + Sync>);

/// Writes `rows` with the `COPY ... FROM STDIN (FORMAT binary)` of `sql`, whose columns are of
/// `types`, in chunks of [`CHUNK`] bytes.
async fn copy_in<'r, const N: usize>(
    session: &mut Tx<'_, '_>,
    sql: &'static str,
    types: &[Type; N],
    rows: impl Iterator<Item = [&'r (dyn ToSql + Sync); N]> + Send,
) -> Attempt<()> {
    let encode = |e| Abort::Failed(StoreError::backend(Encode(e)));
    let fields = i16::try_from(N).map_err(|e| encode(e.into()))?;
    let statement = session.statement(sql).await?;
    let sink = session.client.copy_in::<_, Bytes>(&statement).await?;
    // Dropped before `finish` (on an error), the sink aborts the `COPY`.
    let mut sink = pin!(sink);
    let mut buf = BytesMut::with_capacity(CHUNK.saturating_mul(2));
    buf.put_slice(COPY_HEADER);
    for row in rows {
        buf.put_i16(fields);
        for (value, ty) in row.iter().zip(types) {
            let at = buf.len();
            buf.put_i32(0);
            let len = match value.to_sql_checked(ty, &mut buf).map_err(encode)? {
                IsNull::Yes => -1,
                IsNull::No => i32::try_from(buf.len().saturating_sub(at).saturating_sub(4))
                    .map_err(|e| encode(e.into()))?,
            };
            if let Some(slot) = buf.get_mut(at..at.saturating_add(4)) {
                slot.copy_from_slice(&len.to_be_bytes());
            }
        }
        if buf.len() >= CHUNK {
            send(sink.as_mut(), buf.split().freeze()).await?;
        }
    }
    buf.put_i16(-1);
    send(sink.as_mut(), buf.split().freeze()).await?;
    sink.finish().await?;
    Ok(())
}

/// Sends one chunk of `COPY` data.
async fn send(mut sink: Pin<&mut CopyInSink<Bytes>>, chunk: Bytes) -> Attempt<()> {
    poll_fn(|cx| sink.as_mut().poll_ready(cx)).await?;
    sink.as_mut().start_send(chunk)?;
    Ok(())
}

impl Inner {
    pub(super) async fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
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
        let written = if prepared.is_empty() {
            Vec::new()
        } else {
            self.run(&ImportWork::new(&prepared)).await?
        };
        let mut written = writes.iter().map(|w| w.claim.id()).zip(written);
        let mut report = ImportReport::with_capacity(refused.len());
        for slot in refused {
            match slot {
                Some((id, refusal)) => report.outcomes.push((id, Err(refusal))),
                None => {
                    if let Some(outcome) = written.next() {
                        report.outcomes.push(outcome);
                    }
                }
            }
        }
        Ok(report)
    }
}
