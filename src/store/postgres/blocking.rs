//! The blocking [`Store`]: each call's work runs on the store's own runtime, and the
//! calling thread waits for it on a channel.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{PgStore, first_claim, span, traced};
use crate::catalog::EngagementId;
use crate::event::EventId;
use crate::id::{ClaimId, CustomerId, PartnerId};
use crate::store::{
    Claim, CountedKey, ImportReport, Leased, Page, PageRequest, Scope, Store, StoreError, Stored,
    UniqueKey, Version, Write,
};

impl Store for PgStore {
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        let inner = self.inner.clone();
        let span = span("load", Some(id));
        self.runtime
            .block_on(async move { traced(span, inner.load(scope, id)).await })
    }

    fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        let inner = self.inner.clone();
        let span = span("commit", first_claim(&writes));
        self.runtime
            .block_on(async move { traced(span, inner.commit(writes)).await })
    }

    fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        let inner = self.inner.clone();
        let span = span("import", None);
        self.runtime
            .block_on(async move { traced(span, inner.import(claims)).await })
    }

    fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let inner = self.inner.clone();
        let span = span("by_partner", None);
        self.runtime
            .block_on(async move { traced(span, inner.by_partner(partner, page)).await })
    }

    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let (inner, engagement) = (self.inner.clone(), engagement.clone());
        let span = span("by_partner_engagement", None);
        self.runtime.block_on(async move {
            traced(
                span,
                inner.by_partner_engagement(partner, &engagement, page),
            )
            .await
        })
    }

    fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let (inner, customer) = (self.inner.clone(), customer.clone());
        let span = span("by_customer", None);
        self.runtime
            .block_on(async move { traced(span, inner.by_customer(scope, &customer, page)).await })
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        let (inner, key) = (self.inner.clone(), key.clone());
        let span = span("holder", None);
        self.runtime
            .block_on(async move { traced(span, inner.holder(&key)).await })
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        let (inner, key) = (self.inner.clone(), key.clone());
        let span = span("count", None);
        self.runtime
            .block_on(async move { traced(span, inner.count(&key)).await })
    }

    fn due(&self, now: DateTime<Utc>, page: PageRequest) -> Result<Page<ClaimId>, StoreError> {
        let inner = self.inner.clone();
        let span = span("due", None);
        self.runtime
            .block_on(async move { traced(span, inner.due(now, page)).await })
    }

    fn take_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimId>, StoreError> {
        let inner = self.inner.clone();
        let span = span("take_due", None);
        self.runtime
            .block_on(async move { traced(span, inner.take_due(now, lease, limit)).await })
    }

    fn lease_events(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Leased>, StoreError> {
        let inner = self.inner.clone();
        let span = span("lease_events", None);
        self.runtime
            .block_on(async move { traced(span, inner.lease_events(now, lease, limit)).await })
    }

    fn acknowledge(&self, ids: &[EventId]) -> Result<usize, StoreError> {
        let (inner, ids) = (self.inner.clone(), ids.to_vec());
        let span = span("acknowledge", None);
        self.runtime
            .block_on(async move { traced(span, inner.acknowledge(ids)).await })
    }
}
