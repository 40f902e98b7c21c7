//! The reference store: everything in memory, every check and write under one lock.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{
    Claim, CountedKey, Cursor, Expect, Holdings, ImportReport, Leased, Page, PageRequest, Scope,
    Store, StoreError, Stored, UniqueKey, Version, Write, lease_end, lease_limit,
};
use crate::catalog::{Catalogs, EngagementId};
use crate::claim::InvalidClaim;
use crate::event::EventId;
use crate::id::{ClaimId, CustomerId, PartnerId};

mod inner;
mod outbox;

use inner::{Inner, LISTED};

/// A store that keeps everything in memory, as strict as a real database: every check and
/// every write of a commit happen under **one** lock, and nothing is written until every check
/// has passed, so a refused commit leaves no trace.
///
/// It is the reference the conformance suite (`cpor::testing`) is written against, and fits
/// tests, examples and single-process services.
///
/// # Layout
///
/// Each claim is kept **packed**: a private, compact binary encoding of the whole claim (its
/// strings once each, its dates as numbers, the actors of its history once each), decoded
/// again when it is read. A typical claim (3 workloads, 2 contacts, 1 PoE reference,
/// 5 history entries) takes about 500 bytes with the indexes, a third of what it took as a
/// [`Claim`] value. Reads pay for it: [`load`](Store::load) and the queries decode every
/// claim they return (one to two microseconds each), much as a database would; a commit
/// encodes the claims it writes (a few hundred nanoseconds).
///
/// Every uniqueness key and counted limit is about one customer ([`UniqueKey::customer`]), so
/// the store keeps one small index, claims by customer, and answers "who holds this key" and
/// "how many count towards this limit" from the claims of that customer that hold anything,
/// reading only the head of their encoding (no decoding, no allocation). A commit touches the
/// claim map and one customer entry, whatever the number of keys. Customers are indexed by a
/// 64-bit fingerprint; two customers that share one only share an index entry, because every
/// answer is checked against the claims themselves.
///
/// The store holds at most `u32::MAX` claims; a commit beyond that fails with
/// [`StoreError::Backend`].
///
/// # What it checks
///
/// The store enforces the rules of the catalogs it was made with ([`new`](Self::new): the
/// built-in ones; [`with_catalogs`](Self::with_catalogs): yours), never numbers a claim
/// carries. Every claim of a commit or an import is checked against the catalog of its
/// program year ([`Claim::validate`]) before the lock is taken, and its per-customer cap is
/// that catalog's. A claim of a year the store has no catalog for is refused with
/// [`StoreError::Invalid`]. The packed form never leaves the store, and a read decodes it
/// through the same invariant check as every other way in.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    inner: Mutex<Inner>,
    catalogs: Catalogs,
}

impl InMemoryStore {
    /// An empty store that enforces the built-in catalogs ([`Catalogs::builtin`]).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store that enforces `catalogs`: the per-customer caps, and every rule
    /// [`Claim::validate`] checks, come from the catalog of each claim's program year.
    #[must_use]
    pub fn with_catalogs(catalogs: Catalogs) -> Self {
        Self {
            inner: Mutex::default(),
            catalogs,
        }
    }

    /// The catalogs the store enforces.
    #[must_use]
    pub const fn catalogs(&self) -> &Catalogs {
        &self.catalogs
    }

    /// How many claims the store holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().ids.len()
    }

    /// Whether the store is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many events wait in the outbox, leased or not.
    #[must_use]
    pub fn pending_events(&self) -> usize {
        self.lock().outbox.len()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied commit (commits apply
        // only after every check), so the data is still consistent: keep going.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store for InMemoryStore {
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        let inner = self.lock();
        match inner.get(&id) {
            Some((_, slot)) if scope.sees(slot.head()?.partner()) => slot.stored().map(Some),
            _ => Ok(None),
        }
    }

    fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        for write in &writes {
            write.claim.validate(&self.catalogs)?;
        }
        let mut inner = self.lock();
        let planned = inner.plan(&writes, &self.catalogs)?;
        let changes: Vec<bool> = planned.iter().map(inner::Planned::changes).collect();
        let versions = inner.apply(&writes, planned);
        for ((write, version), changes) in writes.iter().zip(&versions).zip(changes) {
            if changes {
                for (id, event) in write.numbered_events(*version) {
                    inner.outbox.push(id, event.clone());
                }
            }
        }
        drop(inner);
        drop(writes);
        Ok(versions)
    }

    /// The whole batch under one lock: each claim is planned against the store as the claims
    /// before it left it, and applied at once if accepted.
    fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport::with_capacity(claims.len());
        let checked: Vec<(Claim, Result<(), InvalidClaim>)> = claims
            .into_iter()
            .map(|claim| {
                let valid = claim.validate(&self.catalogs);
                (claim, valid)
            })
            .collect();
        let mut inner = self.lock();
        for (claim, valid) in checked {
            let id = claim.id();
            if let Err(invalid) = valid {
                report.outcomes.push((id, Err(invalid.into())));
                continue;
            }
            let writes = vec![Write::create(claim)];
            let outcome = match inner.plan(&writes, &self.catalogs) {
                Ok(planned) => inner
                    .apply(&writes, planned)
                    .first()
                    .copied()
                    .ok_or(StoreError::NotFound { claim: id }),
                Err(refusal) => Err(refusal),
            };
            report.outcomes.push((id, outcome));
        }
        Ok(report)
    }

    fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let inner = self.lock();
        let slots = inner
            .by_partner
            .get(&partner)
            .map_or(&[][..], Vec::as_slice);
        inner.page(slots, page, |_| Ok(true))
    }

    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let inner = self.lock();
        let slots = inner
            .by_partner
            .get(&partner)
            .map_or(&[][..], Vec::as_slice);
        inner.page(slots, page, |slot| {
            Ok(slot.head()?.is_engagement(engagement))
        })
    }

    fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError> {
        let inner = self.lock();
        let mut slots: Vec<u32> = inner.members(customer, LISTED).map(|(i, _)| i).collect();
        slots.sort_unstable();
        slots.dedup();
        inner.page(&slots, page, |slot| {
            let head = slot.head()?;
            Ok(scope.sees(head.partner()) && head.is_customer(customer))
        })
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        self.lock().holder(key)
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        self.lock().count(key)
    }

    fn due(&self, now: DateTime<Utc>, page: PageRequest) -> Result<Page<ClaimId>, StoreError> {
        let inner = self.lock();
        let after = page.cursor().map(Cursor::get);
        // Due claims in the order they were stored: their slots, after the cursor.
        let mut slots: Vec<u32> = inner
            .due
            .iter()
            .take_while(|(deadline, _)| *deadline <= now)
            .map(|(_, i)| *i)
            .filter(|i| after.is_none_or(|after| u64::from(*i) > after))
            .collect();
        slots.sort_unstable();
        let mut read = Vec::new();
        for i in slots.into_iter().take(page.limit_usize().saturating_add(1)) {
            if let Some(slot) = inner.slot(i) {
                read.push((u64::from(i), slot.head()?.id()));
            }
        }
        Ok(Page::from_positioned(read, page))
    }

    fn take_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimId>, StoreError> {
        let (until, limit) = (lease_end(now, lease), lease_limit(limit));
        let mut inner = self.lock();
        inner.sweeps.expire(now);
        let mut slots: Vec<u32> = inner
            .due
            .iter()
            .take_while(|(deadline, _)| *deadline <= now)
            .map(|(_, i)| *i)
            .collect();
        slots.sort_unstable();
        let mut taken = Vec::new();
        for i in slots {
            if taken.len() >= limit {
                break;
            }
            if let Some(slot) = inner.slot(i) {
                let id = slot.head()?.id();
                if !inner.sweeps.is_taken(&id, now) {
                    taken.push(id);
                }
            }
        }
        for id in &taken {
            inner.sweeps.take(*id, until);
        }
        Ok(taken)
    }

    fn lease_events(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Leased>, StoreError> {
        let (until, limit) = (lease_end(now, lease), lease_limit(limit));
        Ok(self.lock().outbox.lease(now, until, limit))
    }

    fn acknowledge(&self, ids: &[EventId]) -> Result<usize, StoreError> {
        Ok(self.lock().outbox.acknowledge(ids))
    }
}
