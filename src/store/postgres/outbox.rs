//! The outbox and the sweep's leases on PostgreSQL.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Inner;
use crate::event::EventId;
use crate::id::ClaimId;
use crate::store::{Leased, StoreError};

/// Not built yet.
#[derive(Debug, thiserror::Error)]
#[error("the outbox is not built yet on this store")]
struct NotYet;

impl Inner {
    pub(super) async fn take_due(
        &self,
        _now: DateTime<Utc>,
        _lease: Duration,
        _limit: usize,
    ) -> Result<Vec<ClaimId>, StoreError> {
        Err(StoreError::backend(NotYet))
    }

    pub(super) async fn lease_events(
        &self,
        _now: DateTime<Utc>,
        _lease: Duration,
        _limit: usize,
    ) -> Result<Vec<Leased>, StoreError> {
        Err(StoreError::backend(NotYet))
    }

    pub(super) async fn acknowledge(&self, _ids: Vec<EventId>) -> Result<usize, StoreError> {
        Err(StoreError::backend(NotYet))
    }
}
