//! The outbox and the sweep's leases on SQLite.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::event::EventId;
use crate::id::ClaimId;
use crate::store::{Leased, StoreError};

/// Not built yet.
#[derive(Debug, thiserror::Error)]
#[error("the outbox is not built yet on this store")]
struct NotYet;

pub(super) fn take_due(
    _connection: &mut Connection,
    _now: DateTime<Utc>,
    _lease: Duration,
    _limit: usize,
) -> Result<Vec<ClaimId>, StoreError> {
    Err(StoreError::backend(NotYet))
}

pub(super) fn lease_events(
    _connection: &mut Connection,
    _now: DateTime<Utc>,
    _lease: Duration,
    _limit: usize,
) -> Result<Vec<Leased>, StoreError> {
    Err(StoreError::backend(NotYet))
}

pub(super) fn acknowledge(
    _connection: &mut Connection,
    _ids: &[EventId],
) -> Result<usize, StoreError> {
    Err(StoreError::backend(NotYet))
}
