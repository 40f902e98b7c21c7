//! The reads: each one statement on a pooled connection, run once more on a fresh
//! connection when its connection was found broken.

use chrono::{DateTime, Utc};

use super::super::columns::{corrupt, partner_to};
use super::Inner;
use super::error::{is_unavailable, store_error};
use super::pool::{Connection, Params, Pooled, Session};
use super::rows::{claim_id_from, earliest_timestamp, json, loaded_from, moment, page_bounds};
use crate::catalog::EngagementId;
use crate::id::{ClaimId, CustomerId, PartnerId};
use crate::store::{CountedKey, Page, PageRequest, Scope, StoreError, Stored, UniqueKey};

impl Inner {
    /// Runs one read statement; if the connection was broken (the server restarted, say),
    /// once more on a fresh connection, which waits for the server up to the checkout
    /// timeout.
    async fn query(
        &self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let mut retried = false;
        tracing::Span::current().record("attempts", 1);
        loop {
            let mut connection = self.checkout().await?;
            let Connection {
                client, statements, ..
            } = &mut *connection;
            let error = match (Session { client, statements }).query(sql, params).await {
                Ok(rows) => return Ok(rows),
                Err(error) => self.noticed(store_error(error)),
            };
            if retried || !is_unavailable(&error) {
                return Err(error);
            }
            tracing::warn!(
                store = "postgres",
                error = error.code(),
                "a read met a broken connection; once more on a fresh one"
            );
            retried = true;
            tracing::Span::current().record("attempts", 2);
            drop(Pooled::take(connection));
        }
    }

    /// Reads rows of `id, partner, version, body` into stored claims.
    async fn select(
        &self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Vec<Stored>, StoreError> {
        self.query(sql, params)
            .await?
            .iter()
            .map(|row| loaded_from(row, &self.catalogs))
            .collect()
    }

    /// Reads rows of `id, partner, version, body, seq` into a page.
    async fn select_page(
        &self,
        sql: &'static str,
        params: &Params<'_>,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let read = self
            .query(sql, params)
            .await?
            .iter()
            .map(|row| {
                let seq: i64 = row.try_get(4).map_err(StoreError::backend)?;
                Ok((
                    u64::try_from(seq).unwrap_or(0),
                    loaded_from(row, &self.catalogs)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Page::from_positioned(read, page))
    }

    pub(super) async fn load(
        &self,
        scope: Scope,
        id: ClaimId,
    ) -> Result<Option<Stored>, StoreError> {
        let id = id.as_uuid();
        let found = match scope {
            Scope::Microsoft => {
                self.select(
                    "SELECT id, partner, version, body FROM claims WHERE id = $1",
                    &[&id],
                )
                .await?
            }
            Scope::Partner(partner) => {
                let partner = partner_to(partner)?;
                self.select(
                    "SELECT id, partner, version, body FROM claims WHERE id = $1 AND partner = $2",
                    &[&id, &partner],
                )
                .await?
            }
        };
        Ok(found.into_iter().next())
    }

    pub(super) async fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let (after, n) = page_bounds(page);
        let partner = partner_to(partner)?;
        self.select_page(
            "SELECT id, partner, version, body, seq FROM claims
             WHERE partner = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&partner, &after, &n],
            page,
        )
        .await
    }

    pub(super) async fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let (after, n) = page_bounds(page);
        let partner = partner_to(partner)?;
        let engagement = engagement.as_str();
        self.select_page(
            "SELECT id, partner, version, body, seq FROM claims
             WHERE partner = $1 AND engagement = $2 AND seq > $3 ORDER BY seq LIMIT $4",
            &[&partner, &engagement, &after, &n],
            page,
        )
        .await
    }

    /// Pages by the index on `(customer, seq)`.
    pub(super) async fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let text = customer.to_string();
        let (after, n) = page_bounds(page);
        let mut found = match scope {
            Scope::Microsoft => {
                self.select_page(
                    "SELECT id, partner, version, body, seq FROM claims
                     WHERE customer = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    &[&text, &after, &n],
                    page,
                )
                .await?
            }
            Scope::Partner(partner) => {
                let partner = partner_to(partner)?;
                self.select_page(
                    "SELECT id, partner, version, body, seq FROM claims
                     WHERE customer = $1 AND partner = $2 AND seq > $3 ORDER BY seq LIMIT $4",
                    &[&text, &partner, &after, &n],
                    page,
                )
                .await?
            }
        };
        found.items.retain(|s| s.claim.customer() == *customer);
        Ok(found)
    }

    pub(super) async fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        let text = json(key)?;
        let rows = self
            .query("SELECT claim FROM unique_keys WHERE key = $1", &[&text])
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let holder: uuid::Uuid = row.try_get(0).map_err(store_error)?;
        claim_id_from(holder).map(Some)
    }

    pub(super) async fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        let text = json(key)?;
        let rows = self
            .query("SELECT n FROM counted_keys WHERE key = $1", &[&text])
            .await?;
        let n: i32 = match rows.first() {
            Some(row) => row.try_get(0).map_err(store_error)?,
            None => 0,
        };
        u32::try_from(n).map_err(|e| corrupt("count", &n.to_string(), &e))
    }

    pub(super) async fn due(
        &self,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<Page<ClaimId>, StoreError> {
        // No deadline before the earliest `timestamptz` can be stored.
        if earliest_timestamp().is_none_or(|earliest| now < earliest) {
            return Ok(Page::empty());
        }
        let (micros, below) = moment(now)?;
        let (after, n) = page_bounds(page);
        let rows = self
            .query(
                "SELECT seq, id FROM claims
                 WHERE next_deadline IS NOT NULL
                     AND (next_deadline, next_deadline_ns) <= ($1, $2)
                     AND seq > $3
                 ORDER BY seq LIMIT $4",
                &[&micros, &below, &after, &n],
            )
            .await?;
        let read = rows
            .iter()
            .map(|r| {
                let seq: i64 = r.try_get(0).map_err(store_error)?;
                let id: uuid::Uuid = r.try_get(1).map_err(store_error)?;
                Ok((u64::try_from(seq).unwrap_or(0), claim_id_from(id)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Page::from_positioned(read, page))
    }
}
