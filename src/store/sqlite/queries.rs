//! The queries, each on one connection (a reader, or the writer when there is none), each
//! claim read checked.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::commit::count_in;
use super::keys::{counted_bytes, customer_column, key_bytes};
use super::values::{claim_from, claim_id_from, db, id_to, moment, with_claim};
use crate::catalog::{Catalogs, EngagementId};
use crate::id::{ClaimId, CustomerId, PartnerId};
use crate::store::columns::{checked_row, corrupt, partner_to, version_from};
use crate::store::{CountedKey, Page, PageRequest, Scope, StoreError, Stored, UniqueKey};

/// The rowid to read after, and how many rows to read (one more than the page, to know
/// whether another follows).
fn page_bounds(page: PageRequest) -> (i64, i64) {
    let after = page
        .cursor()
        .map_or(0, |c| i64::try_from(c.get()).unwrap_or(i64::MAX));
    (after, i64::from(page.limit()).saturating_add(1))
}

/// Reads rows of `rowid, id, partner, version, body`, each claim checked.
fn select_positioned(
    connection: &Connection,
    catalogs: &Catalogs,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<(u64, Stored)>, StoreError> {
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
                claim: checked_row(id, partner, claim, catalogs)?,
                version: version_from(version)?,
            },
        ));
    }
    Ok(stored)
}

/// [`Store::load`](crate::store::Store::load).
pub(super) fn load(
    connection: &Connection,
    catalogs: &Catalogs,
    scope: Scope,
    id: ClaimId,
) -> Result<Option<Stored>, StoreError> {
    let found = match scope {
        Scope::Microsoft => select_positioned(
            connection,
            catalogs,
            "SELECT rowid, id, partner, version, body FROM claims WHERE id = ?1",
            [id_to(id)],
        )?,
        Scope::Partner(partner) => select_positioned(
            connection,
            catalogs,
            "SELECT rowid, id, partner, version, body FROM claims WHERE id = ?1 AND partner = ?2",
            params![id_to(id), partner_to(partner)?],
        )?,
    };
    Ok(found.into_iter().next().map(|(_, stored)| stored))
}

/// [`Store::by_partner`](crate::store::Store::by_partner).
pub(super) fn by_partner(
    connection: &Connection,
    catalogs: &Catalogs,
    partner: PartnerId,
    page: PageRequest,
) -> Result<Page<Stored>, StoreError> {
    let (after, n) = page_bounds(page);
    let read = select_positioned(
        connection,
        catalogs,
        "SELECT rowid, id, partner, version, body FROM claims
         WHERE partner = ?1 AND rowid > ?2 ORDER BY rowid LIMIT ?3",
        params![partner_to(partner)?, after, n],
    )?;
    Ok(Page::from_positioned(read, page))
}

/// [`Store::by_partner_engagement`](crate::store::Store::by_partner_engagement).
pub(super) fn by_partner_engagement(
    connection: &Connection,
    catalogs: &Catalogs,
    partner: PartnerId,
    engagement: &EngagementId,
    page: PageRequest,
) -> Result<Page<Stored>, StoreError> {
    let (after, n) = page_bounds(page);
    let read = select_positioned(
        connection,
        catalogs,
        "SELECT rowid, id, partner, version, body FROM claims
         WHERE partner = ?1 AND engagement = ?2 AND rowid > ?3 ORDER BY rowid LIMIT ?4",
        params![partner_to(partner)?, engagement.as_str(), after, n],
    )?;
    Ok(Page::from_positioned(read, page))
}

/// [`Store::by_customer`](crate::store::Store::by_customer).
pub(super) fn by_customer(
    connection: &Connection,
    catalogs: &Catalogs,
    scope: Scope,
    customer: &CustomerId,
    page: PageRequest,
) -> Result<Page<Stored>, StoreError> {
    let (after, n) = page_bounds(page);
    let read = match scope {
        Scope::Microsoft => select_positioned(
            connection,
            catalogs,
            "SELECT rowid, id, partner, version, body FROM claims
             WHERE customer = ?1 AND rowid > ?2 ORDER BY rowid LIMIT ?3",
            params![customer_column(customer), after, n],
        )?,
        Scope::Partner(partner) => select_positioned(
            connection,
            catalogs,
            "SELECT rowid, id, partner, version, body FROM claims
             WHERE customer = ?1 AND partner = ?2 AND rowid > ?3 ORDER BY rowid LIMIT ?4",
            params![customer_column(customer), partner_to(partner)?, after, n],
        )?,
    };
    let mut found = Page::from_positioned(read, page);
    found.items.retain(|s| s.claim.customer() == *customer);
    Ok(found)
}

/// [`Store::holder`](crate::store::Store::holder).
pub(super) fn holder(
    connection: &Connection,
    key: &UniqueKey,
) -> Result<Option<ClaimId>, StoreError> {
    let holder: Option<Vec<u8>> = connection
        .prepare_cached("SELECT claim FROM keys WHERE key = ?1")
        .and_then(|mut s| s.query_row([key_bytes(key)], |r| r.get(0)).optional())
        .map_err(db)?;
    holder.as_deref().map(claim_id_from).transpose()
}

/// [`Store::count`](crate::store::Store::count).
pub(super) fn count(connection: &Connection, key: &CountedKey) -> Result<u32, StoreError> {
    let n = count_in(connection, &counted_bytes(key))?;
    u32::try_from(n).map_err(|e| corrupt("count", &n.to_string(), &e))
}

/// [`Store::due`](crate::store::Store::due).
pub(super) fn due(
    connection: &Connection,
    now: DateTime<Utc>,
    page: PageRequest,
) -> Result<Page<ClaimId>, StoreError> {
    // Deadlines outside the years 0 to 9999 cannot be stored, so a `now` beyond them is
    // the same as the last (or first) moment stored.
    let Some(now) = moment(now) else {
        return Ok(Page::empty());
    };
    let (after, n) = page_bounds(page);
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
