//! A bulk import, set-based: one statement reads what the store holds for the whole batch,
//! the claims are checked against it in batch order (in Rust, since what "the claims before it"
//! hold depends on which of them were accepted), and the accepted ones are written with `COPY`
//! and one statement for their counted places. A batch of 10 claims and one of 10,000 take the
//! same round trips.
//!
//! Another writer may commit between the read and the writes. What it can change is caught by
//! the database, and the whole batch then runs again (as a commit does, see `tx`): a claim ID
//! or a key it inserted is a `unique_violation` of the `COPY`; a count it changed shows in the
//! counts the counter statement returns, which must be those the batch was checked against.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::pin::pin;

use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{Json, ToSql, Type};
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

/// The claims of one import that passed the catalogs, and what the batch asks the store
/// about: its claim IDs, keys and counted keys, each once.
struct ImportWork<'p, 'w> {
    prepared: &'p [Prepared<'w>],
    ids: Vec<Uuid>,
    keys: Vec<&'p str>,
    counted: Vec<&'p str>,
}

impl<'p, 'w> ImportWork<'p, 'w> {
    fn new(prepared: &'p [Prepared<'w>]) -> Self {
        let mut ids: Vec<Uuid> = prepared.iter().map(|p| p.row.id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut keys: Vec<&str> = prepared
            .iter()
            .flat_map(|p| p.held.sorted.iter().map(String::as_str))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut counted: Vec<&str> = prepared
            .iter()
            .filter_map(|p| p.held.counted_text())
            .collect();
        counted.sort_unstable();
        counted.dedup();
        Self {
            prepared,
            ids,
            keys,
            counted,
        }
    }
}

impl TxWork for ImportWork<'_, '_> {
    type Output = Outcomes;

    async fn attempt(&self, connection: &mut Connection) -> Attempt<Outcomes> {
        let Connection {
            client, statements, ..
        } = connection;
        let tx = client.transaction().await.map_err(Abort::Unsent)?;
        let mut session = Session {
            client: &tx,
            statements,
        };
        let found = read(&mut session, self).await?;
        let plan = resolve(self.prepared, &found).map_err(Abort::Failed)?;
        write(&mut session, &plan).await?;
        // On any error above, `tx` is dropped, which rolls the whole batch back.
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

async fn read(session: &mut Tx<'_, '_>, work: &ImportWork<'_, '_>) -> Attempt<Found> {
    let rows = session
        .query(IMPORT_READ, &[&work.ids, &work.keys, &work.counted])
        .await?;
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
    /// Each counted key they count towards, sorted, with how many of them do and the count
    /// the key must then have.
    counter_keys: Vec<&'p str>,
    counter_added: Vec<i32>,
    counter_expected: Vec<i64>,
}

/// Checks each claim, in batch order, as a one-write commit of a create would be checked
/// against the store as `found` shows it and the claims accepted before it.
fn resolve<'p, 'w>(
    prepared: &'p [Prepared<'w>],
    found: &Found,
) -> Result<Plan<'p, 'w>, StoreError> {
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
    let mut plan = Plan {
        outcomes: Vec::with_capacity(prepared.len()),
        claims: Vec::with_capacity(prepared.len()),
        keys: Vec::new(),
        place_claims: Vec::new(),
        place_keys: Vec::new(),
        counter_keys: Vec::new(),
        counter_added: Vec::new(),
        counter_expected: Vec::new(),
    };
    for p in prepared {
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
        }
        accepted.insert(id, claim);
        plan.claims.push(p);
        plan.outcomes.push(Ok(Version::FIRST));
    }
    plan.keys.sort_unstable();
    counters(&mut plan, &counts)?;
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

/// Fills the plan's counters from its counted places and the counts they reach.
fn counters(plan: &mut Plan<'_, '_>, counts: &HashMap<&str, i64>) -> Result<(), StoreError> {
    let mut keys = plan.place_keys.clone();
    keys.sort_unstable();
    for key in keys {
        if plan.counter_keys.last() == Some(&key) {
            if let Some(added) = plan.counter_added.last_mut() {
                *added = added.saturating_add(1);
            }
            continue;
        }
        let Some(expected) = counts.get(key) else {
            return Err(StoreError::backend(CountLost));
        };
        plan.counter_keys.push(key);
        plan.counter_added.push(1);
        plan.counter_expected.push(*expected);
    }
    Ok(())
}

/// A counted key the plan places a claim in has no count: a bug of this module.
#[derive(Debug, thiserror::Error)]
#[error("an import placed a claim under a counted key it has no count for")]
struct CountLost;

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

async fn write(session: &mut Tx<'_, '_>, plan: &Plan<'_, '_>) -> Attempt<()> {
    if plan.claims.is_empty() {
        return Ok(());
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
        return Ok(());
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
        let n: i32 = row.try_get(1)?;
        let expected = plan
            .counter_keys
            .iter()
            .position(|k| *k == key)
            .and_then(|i| plan.counter_expected.get(i));
        if expected != Some(&i64::from(n)) {
            // A concurrent commit changed the count since the batch was read: check again.
            return Err(Abort::Retry);
        }
    }
    Ok(())
}

/// Writes `rows` with the `COPY ... FROM STDIN (FORMAT binary)` of `sql`, whose columns are of
/// `types`.
async fn copy_in<'r, const N: usize>(
    session: &mut Tx<'_, '_>,
    sql: &'static str,
    types: &[Type; N],
    rows: impl Iterator<Item = [&'r (dyn ToSql + Sync); N]> + Send,
) -> Attempt<()> {
    let statement = session.statement(sql).await?;
    let sink = session.client.copy_in(&statement).await?;
    // Dropped before `finish` (on an error), the writer aborts the `COPY`.
    let mut writer = pin!(BinaryCopyInWriter::new(sink, types));
    for row in rows {
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;
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
