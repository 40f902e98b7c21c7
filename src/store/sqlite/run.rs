//! Where each call runs: its tracing span, and, for the [`AsyncStore`] methods, a blocking
//! thread of the tokio runtime (or the calling thread outside one).

use std::time::Instant;

use chrono::{DateTime, Utc};
use tracing::Span;
use tracing::field::{Empty, display};

use super::SqliteStore;
use crate::catalog::EngagementId;
use crate::id::{ClaimId, CustomerId, PartnerId};
use crate::store::{
    AsyncStore, Claim, CountedKey, ImportReport, Page, PageRequest, Scope, Store, StoreError,
    Stored, UniqueKey, Version, Write,
};

/// Runs one store operation in its `debug` span `cpor.store`, and records how it ended: the
/// outcome (`ok` or the error's code) and the time taken, in microseconds.
pub(super) fn traced<T>(
    op: &'static str,
    claim: Option<ClaimId>,
    work: impl FnOnce() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let span = tracing::debug_span!("cpor.store", store = "sqlite", op, claim = Empty);
    if let Some(claim) = claim {
        span.record("claim", display(claim));
    }
    let _entered = span.enter();
    let started = Instant::now();
    let result = work();
    let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let outcome = match &result {
        Ok(_) => "ok",
        Err(error) => error.code(),
    };
    tracing::debug!(elapsed_us, outcome, "store operation done");
    result
}

/// Runs `work` off the async executor: on a blocking thread of the current tokio runtime,
/// inside the caller's span; on the calling thread if there is no runtime.
async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            let parent = Span::current();
            runtime
                .spawn_blocking(move || parent.in_scope(work))
                .await
                .unwrap_or_else(|joined| Err(not_joined(&joined)))
        }
        Err(_) => work(),
    }
}

/// A blocking task that did not finish: the runtime shut down before it ran (nothing was
/// done: the back end is unavailable), or it panicked (which the store never does).
fn not_joined(error: &tokio::task::JoinError) -> StoreError {
    let source = BlockingTask(if error.is_cancelled() {
        "the runtime shut down before the store's blocking task ran"
    } else {
        "the store's blocking task panicked"
    });
    if error.is_cancelled() {
        StoreError::Unavailable {
            source: Box::new(source),
        }
    } else {
        StoreError::backend(source)
    }
}

/// Why a blocking task gave no result (see [`not_joined`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BlockingTask(&'static str);

/// The blocking methods, each on a blocking thread with its own handle on the store.
impl AsyncStore for SqliteStore {
    async fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        let store = self.share();
        off_executor(move || Store::load(&store, scope, id)).await
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        let store = self.share();
        off_executor(move || Store::commit(&store, writes)).await
    }

    async fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        let store = self.share();
        off_executor(move || Store::import(&store, claims)).await
    }

    async fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let store = self.share();
        off_executor(move || Store::by_partner(&store, partner, page)).await
    }

    async fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let (store, engagement) = (self.share(), engagement.clone());
        off_executor(move || Store::by_partner_engagement(&store, partner, &engagement, page)).await
    }

    async fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let (store, customer) = (self.share(), customer.clone());
        off_executor(move || Store::by_customer(&store, scope, &customer, page)).await
    }

    async fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        let (store, key) = (self.share(), key.clone());
        off_executor(move || Store::holder(&store, &key)).await
    }

    async fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        let (store, key) = (self.share(), key.clone());
        off_executor(move || Store::count(&store, &key)).await
    }

    async fn due(
        &self,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<Page<ClaimId>, StoreError> {
        let store = self.share();
        off_executor(move || Store::due(&store, now, page)).await
    }

    async fn take_due(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<ClaimId>, StoreError> {
        let store = self.share();
        off_executor(move || Store::take_due(&store, now, lease, limit)).await
    }

    async fn lease_events(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<crate::store::Leased>, StoreError> {
        let store = self.share();
        off_executor(move || Store::lease_events(&store, now, lease, limit)).await
    }

    async fn acknowledge(&self, ids: &[crate::event::EventId]) -> Result<usize, StoreError> {
        let (store, ids) = (self.share(), ids.to_vec());
        off_executor(move || Store::acknowledge(&store, &ids)).await
    }
}
