//! A commit inside its transaction: the conditional writes, then the keys and counted places
//! they acquire, each refusal named exactly.

use tokio_postgres::Transaction;

use super::super::columns::{version_from, version_to};
use super::pool::Session;
use tokio_postgres::types::ToSql;

use super::rows::{Done, Prepared, claim_id_from, stored_from};
use super::sql::{
    ACQUIRE_KEYS, ACQUIRE_PLACE, CREATE, CREATE_EVENTS, EXISTING, HOLDERS, UPDATE, UPDATE_EVENTS,
    VERSION_OF,
};
use crate::store::{Expect, StoreError, Version};

/// Why one attempt of a transaction ended early.
pub(super) enum Abort {
    /// The contract refuses the commit: report it.
    Refused(StoreError),
    /// The store's own failure (a value out of range, a corrupt row): report it.
    Failed(StoreError),
    /// The transaction could not begin: nothing of the write was sent, so it may run again
    /// on another connection.
    Unsent(tokio_postgres::Error),
    /// The database failed: retry if transient, else report.
    Db(tokio_postgres::Error),
    /// A concurrent transaction changed what this one read: retry.
    Retry,
}

impl From<tokio_postgres::Error> for Abort {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Db(error)
    }
}

pub(super) type Attempt<T> = Result<T, Abort>;

/// The session of a transaction.
pub(super) type Tx<'a, 'b> = Session<'a, Transaction<'b>>;

/// Runs the writes of one commit in `session`'s transaction; on `Ok`, the caller commits.
pub(super) async fn commit_in(
    session: &mut Tx<'_, '_>,
    prepared: &[Prepared<'_>],
) -> Attempt<Vec<Version>> {
    let creates_only = prepared
        .iter()
        .all(|p| matches!(p.write.expect, Expect::Absent));
    let mut done: Vec<Done> = Vec::with_capacity(prepared.len());
    for (i, p) in prepared.iter().enumerate() {
        let id = p.write.claim.id();
        if prepared.iter().take(i).any(|q| q.write.claim.id() == id) {
            return Err(Abort::Refused(StoreError::DuplicateWrite { claim: id }));
        }
        done.push(match p.write.expect {
            Expect::Absent => create(session, p, creates_only).await?,
            Expect::Version(expected) => update(session, p, expected).await?,
        });
    }
    if !creates_only {
        acquire_keys(session, prepared, &mut done).await?;
    }
    report_held_keys(session, prepared, &done).await?;
    if !creates_only {
        acquire_places(session, prepared, &mut done).await?;
    }
    for (p, d) in prepared.iter().zip(&done) {
        if let (Some((key, _, limit)), Some(count)) = (&p.held.counted, d.count)
            && count > i64::from(*limit)
        {
            return Err(Abort::Refused(StoreError::LimitReached {
                key: key.clone(),
                limit: *limit,
            }));
        }
    }
    Ok(done.into_iter().map(|d| d.version).collect())
}

async fn create(session: &mut Tx<'_, '_>, p: &Prepared<'_>, with_holdings: bool) -> Attempt<Done> {
    let row = &p.row;
    let no_keys: &[String] = &[];
    let keys = if with_holdings {
        p.held.sorted.as_slice()
    } else {
        no_keys
    };
    let counted = if with_holdings {
        p.held.counted_text()
    } else {
        None
    };
    let params: [&(dyn ToSql + Sync); 11] = [
        &row.id,
        &row.partner,
        &row.engagement,
        &row.customer,
        &row.next_deadline,
        &row.next_deadline_ns,
        &row.body,
        &keys,
        &counted,
        &p.events.places,
        &p.events.json,
    ];
    // A create without events keeps to the statement that knows no outbox.
    let (sql, params) = match params.first_chunk::<9>() {
        Some(claim_only) if p.events.is_empty() => (CREATE, claim_only.as_slice()),
        _ => (CREATE_EVENTS, params.as_slice()),
    };
    let result = session.query_one(sql, params).await?;
    let inserted: i64 = result.try_get(0)?;
    if inserted == 1 {
        let acquired: Vec<String> = result.try_get(1)?;
        let count: Option<i32> = result.try_get(2)?;
        let missing = if with_holdings {
            p.held
                .keys
                .iter()
                .filter(|(_, text)| !acquired.contains(text))
                .map(|(_, text)| text.clone())
                .collect()
        } else {
            Vec::new()
        };
        return Ok(Done {
            version: Version::FIRST,
            changed: true,
            missing,
            count: count.map(i64::from),
        });
    }
    // The claim exists (a concurrent create was waited for): an idempotent retry or a clash.
    let Some(existing) = session.query_opt(EXISTING, &[&row.id]).await? else {
        return Err(Abort::Retry);
    };
    let stored = stored_from(&existing).map_err(Abort::Failed)?;
    if !stored.claim.same_content(&p.write.claim) {
        return Err(Abort::Refused(StoreError::IdConflict {
            claim: p.write.claim.id(),
        }));
    }
    Ok(Done {
        version: stored.version,
        changed: false,
        missing: Vec::new(),
        count: None,
    })
}

async fn update(session: &mut Tx<'_, '_>, p: &Prepared<'_>, expected: Version) -> Attempt<Done> {
    let row = &p.row;
    let next = expected.next();
    let (next_n, expected_n) = (
        version_to(next).map_err(Abort::Failed)?,
        version_to(expected).map_err(Abort::Failed)?,
    );
    let counted = p.held.counted_text();
    let params: [&(dyn ToSql + Sync); 13] = [
        &row.id,
        &row.partner,
        &row.engagement,
        &row.customer,
        &next_n,
        &row.next_deadline,
        &row.next_deadline_ns,
        &row.body,
        &expected_n,
        &p.held.sorted,
        &counted,
        &p.events.places,
        &p.events.json,
    ];
    // An update without events keeps to the statement that knows no outbox.
    let (sql, params) = match params.first_chunk::<11>() {
        Some(claim_only) if p.events.is_empty() => (UPDATE, claim_only.as_slice()),
        _ => (UPDATE_EVENTS, params.as_slice()),
    };
    let updated: i64 = session.query_one(sql, params).await?.try_get(0)?;
    if updated != 1 {
        let actual = match session.query_opt(VERSION_OF, &[&row.id]).await? {
            Some(found) => Some(version_from(found.try_get(0)?).map_err(Abort::Failed)?),
            None => None,
        };
        return Err(Abort::Refused(StoreError::Conflict {
            claim: p.write.claim.id(),
            expected: Some(expected),
            actual,
        }));
    }
    Ok(Done {
        version: next,
        changed: true,
        missing: Vec::new(),
        count: None,
    })
}

/// In a commit with updates: inserts the keys of every write, after every release.
async fn acquire_keys(
    session: &mut Tx<'_, '_>,
    prepared: &[Prepared<'_>],
    done: &mut [Done],
) -> Attempt<()> {
    // Sorted by key (stable, so a key two writes want goes to the first), so that concurrent
    // commits lock keys in one order.
    let mut wanted: Vec<(&str, uuid::Uuid)> = prepared
        .iter()
        .zip(done.iter())
        .filter(|(_, d)| d.changed)
        .flat_map(|(p, _)| p.held.sorted.iter().map(|k| (k.as_str(), p.row.id)))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    wanted.sort_by(|a, b| a.0.cmp(b.0));
    let keys: Vec<&str> = wanted.iter().map(|(k, _)| *k).collect();
    let claims: Vec<uuid::Uuid> = wanted.iter().map(|(_, c)| *c).collect();
    let rows = session.query(ACQUIRE_KEYS, &[&keys, &claims]).await?;
    let mut acquired: Vec<(String, uuid::Uuid)> = Vec::with_capacity(rows.len());
    for row in rows {
        acquired.push((row.try_get(0)?, row.try_get(1)?));
    }
    for (p, d) in prepared.iter().zip(done.iter_mut()) {
        if !d.changed {
            continue;
        }
        d.missing = p
            .held
            .keys
            .iter()
            .filter(|(_, text)| !acquired.iter().any(|(k, c)| k == text && *c == p.row.id))
            .map(|(_, text)| text.clone())
            .collect();
    }
    Ok(())
}

/// Fails with the first key, in the order of the writes, that another claim holds. A key the
/// claim itself held before is not missing.
async fn report_held_keys(
    session: &mut Tx<'_, '_>,
    prepared: &[Prepared<'_>],
    done: &[Done],
) -> Attempt<()> {
    let missing: Vec<&str> = done
        .iter()
        .flat_map(|d| d.missing.iter().map(String::as_str))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let rows = session.query(HOLDERS, &[&missing]).await?;
    let mut holders: Vec<(String, uuid::Uuid)> = Vec::with_capacity(rows.len());
    for row in rows {
        holders.push((row.try_get(0)?, row.try_get(1)?));
    }
    for (p, d) in prepared.iter().zip(done) {
        for text in &d.missing {
            let Some((_, holder)) = holders.iter().find(|(k, _)| k == text) else {
                // Released by a concurrent commit since: the next attempt may take it.
                return Err(Abort::Retry);
            };
            if *holder == p.row.id {
                continue;
            }
            let Some((key, _)) = p.held.keys.iter().find(|(_, t)| t == text) else {
                continue;
            };
            return Err(Abort::Refused(StoreError::KeyHeld {
                key: key.clone(),
                holder: claim_id_from(*holder).map_err(Abort::Failed)?,
            }));
        }
    }
    Ok(())
}

/// In a commit with updates: takes the counted place of every write that newly counts.
async fn acquire_places(
    session: &mut Tx<'_, '_>,
    prepared: &[Prepared<'_>],
    done: &mut [Done],
) -> Attempt<()> {
    for (p, d) in prepared.iter().zip(done.iter_mut()) {
        let Some(text) = p.held.counted_text().filter(|_| d.changed) else {
            continue;
        };
        if let Some(row) = session
            .query_opt(ACQUIRE_PLACE, &[&p.row.id, &text])
            .await?
        {
            let n: i32 = row.try_get(0)?;
            d.count = Some(i64::from(n));
        }
    }
    Ok(())
}
