//! The memory store's outbox and its sweep leases, kept under the store's one lock.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::event::{Event, EventId};
use crate::fast_hash::Map;
use crate::id::ClaimId;
use crate::store::Leased;

/// The pending events, in the order committed.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    /// The number the next event is filed under.
    next: u64,
    /// The pending events by the order committed.
    pending: BTreeMap<u64, Pending>,
    /// Where each pending event is filed.
    by_id: Map<EventId, u64>,
}

/// One pending event and its lease.
#[derive(Debug)]
struct Pending {
    id: EventId,
    event: Event,
    attempts: u32,
    leased_until: Option<DateTime<Utc>>,
}

impl Outbox {
    /// Files a committed event. An event already filed under `id` is kept as it is (the
    /// store never files one ID twice: a version is given once).
    pub(super) fn push(&mut self, id: EventId, event: Event) {
        if self.by_id.contains_key(&id) {
            return;
        }
        let n = self.next;
        self.next = self.next.saturating_add(1);
        self.by_id.insert(id, n);
        self.pending.insert(
            n,
            Pending {
                id,
                event,
                attempts: 0,
                leased_until: None,
            },
        );
    }

    /// Leases up to `limit` events free at `now` until `until`, oldest first.
    ///
    /// Walks the pending events in order: a backlog of leased events is walked past, which
    /// is fine for a store in memory (a database keeps an index instead).
    pub(super) fn lease(
        &mut self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Vec<Leased> {
        let mut leased = Vec::new();
        for pending in self.pending.values_mut() {
            if leased.len() >= limit {
                break;
            }
            if pending.leased_until.is_some_and(|t| t > now) {
                continue;
            }
            pending.attempts = pending.attempts.saturating_add(1);
            pending.leased_until = Some(until);
            leased.push(Leased {
                id: pending.id,
                event: pending.event.clone(),
                attempt: pending.attempts,
                leased_until: until,
            });
        }
        leased
    }

    /// Removes the events of `ids` that are pending; returns how many were.
    pub(super) fn acknowledge(&mut self, ids: &[EventId]) -> usize {
        let mut removed: usize = 0;
        for id in ids {
            if let Some(n) = self.by_id.remove(id) {
                self.pending.remove(&n);
                removed = removed.saturating_add(1);
            }
        }
        removed
    }

    /// How many events are pending.
    pub(super) fn len(&self) -> usize {
        self.pending.len()
    }
}

/// Which due claims a sweep has taken, and until when.
#[derive(Debug, Default)]
pub(super) struct SweepLeases {
    taken: Map<ClaimId, DateTime<Utc>>,
}

impl SweepLeases {
    /// Forgets the leases that ran out by `now`.
    pub(super) fn expire(&mut self, now: DateTime<Utc>) {
        self.taken.retain(|_, until| *until > now);
    }

    /// Whether `claim` is taken at `now`.
    pub(super) fn is_taken(&self, claim: &ClaimId, now: DateTime<Utc>) -> bool {
        self.taken.get(claim).is_some_and(|until| *until > now)
    }

    /// Takes `claim` until `until`.
    pub(super) fn take(&mut self, claim: ClaimId, until: DateTime<Utc>) {
        self.taken.insert(claim, until);
    }
}
