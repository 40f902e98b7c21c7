//! The outbox's types: an event taken under a lease, and the bounds every store applies to a
//! lease request. The contract is in [the store's docs](super#the-outbox).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::event::{Event, EventId};
use crate::id::ClaimId;

/// The most events (or due claims) one lease request takes: a larger `limit` is lowered to it.
pub const MAX_LEASE_BATCH: usize = 1_000;

/// The longest lease: a longer one is shortened to it (one day).
pub const MAX_LEASE: Duration = Duration::from_secs(86_400);

/// A lease long enough for a delivery worker to send a batch: 30 seconds.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// An event taken from the outbox under a lease, for a worker to deliver and then
/// [acknowledge](super::Store::acknowledge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leased {
    /// The event's stable ID (its claim, the version the commit gave it, its place among that
    /// commit's events): the consumer's idempotency key.
    pub id: EventId,
    /// The event.
    pub event: Event,
    /// How many times it has been leased, this lease included (1 the first time): a worker
    /// may set aside an event that keeps failing.
    pub attempt: u32,
    /// When the lease runs out: after it, unless acknowledged, the event is leased again.
    pub leased_until: DateTime<Utc>,
}

impl Leased {
    /// The claim the event is about.
    #[must_use]
    pub const fn claim(&self) -> ClaimId {
        self.id.claim
    }
}

/// `limit` brought into `1..=MAX_LEASE_BATCH`.
#[must_use]
pub(crate) fn lease_limit(limit: usize) -> usize {
    limit.clamp(1, MAX_LEASE_BATCH)
}

/// When a lease taken at `now` for `lease` (at most [`MAX_LEASE`], at least a millisecond)
/// runs out. Saturates at the latest time chrono can represent.
#[must_use]
pub(crate) fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    let lease = lease.clamp(Duration::from_millis(1), MAX_LEASE);
    chrono::Duration::from_std(lease)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
