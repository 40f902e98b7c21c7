//! The reference store: everything in memory, every check and write under one lock.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use super::{
    CountedKey, Expect, Holdings, Scope, Store, StoreError, Stored, UniqueKey, Version, Write,
};
use crate::catalog::EngagementId;
use crate::fast_hash::Map;
use crate::id::{ClaimId, CustomerId, PartnerId};

/// A store that keeps everything in memory, as strict as a real database: every check and
/// every write of a commit happen under **one** lock, and nothing is written until every check
/// has passed, so a refused commit leaves no trace.
///
/// It is the reference the conformance suite (`cpor::testing`) is written against, and fits
/// tests, examples and single-process services that keep their own snapshots.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    claims: Map<ClaimId, Entry>,
    unique: Map<UniqueKey, ClaimId>,
    counts: Map<CountedKey, u32>,
    by_partner: Map<PartnerId, Vec<ClaimId>>,
    by_customer: Map<CustomerId, Vec<ClaimId>>,
    due: BTreeSet<(DateTime<Utc>, ClaimId)>,
}

#[derive(Debug)]
struct Entry {
    stored: Stored,
    holdings: Holdings,
}

/// One write, checked and ready to apply.
struct Planned<'w> {
    write: &'w Write,
    version: Version,
    /// `None` for an idempotent create that changes nothing.
    holdings: Option<Holdings>,
}

impl InMemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many claims the store holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().claims.len()
    }

    /// Whether the store is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied commit (commits apply
        // only after every check), so the data is still consistent: keep going.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn stored(&self, ids: &[ClaimId], scope: Scope) -> Vec<Stored> {
        ids.iter()
            .filter_map(|id| self.claims.get(id))
            .filter(|e| scope.sees(e.stored.claim.partner()))
            .map(|e| e.stored.clone())
            .collect()
    }

    /// Checks every write against the store and against each other; changes nothing.
    fn plan<'w>(&self, writes: &'w [Write]) -> Result<Vec<Planned<'w>>, StoreError> {
        let mut planned = Vec::with_capacity(writes.len());
        for (i, write) in writes.iter().enumerate() {
            let id = write.claim.id();
            if writes.iter().take(i).any(|w| w.claim.id() == id) {
                return Err(StoreError::DuplicateWrite { claim: id });
            }
            let existing = self.claims.get(&id);
            let actual = existing.map(|e| e.stored.version);
            match (write.expect, existing) {
                (Expect::Absent, None) => planned.push(Planned {
                    write,
                    version: Version::FIRST,
                    holdings: Some(write.claim.holdings()),
                }),
                (Expect::Absent, Some(entry)) => {
                    if !entry.stored.claim.same_content(&write.claim) {
                        return Err(StoreError::IdConflict { claim: id });
                    }
                    planned.push(Planned {
                        write,
                        version: entry.stored.version,
                        holdings: None,
                    });
                }
                (Expect::Version(expected), Some(entry)) if entry.stored.version == expected => {
                    planned.push(Planned {
                        write,
                        version: expected.next(),
                        holdings: Some(write.claim.holdings()),
                    });
                }
                (Expect::Version(expected), _) => {
                    return Err(StoreError::Conflict {
                        claim: id,
                        expected: Some(expected),
                        actual,
                    });
                }
            }
        }
        self.check_keys(&planned)?;
        Ok(planned)
    }

    /// Checks the keys and counts the planned writes acquire, after the releases of the whole
    /// commit.
    fn check_keys(&self, planned: &[Planned<'_>]) -> Result<(), StoreError> {
        let old = |p: &Planned<'_>| self.claims.get(&p.write.claim.id()).map(|e| &e.holdings);
        // Keys released by some write of this commit: free for the others.
        let released = |key: &UniqueKey| {
            planned.iter().any(|p| {
                p.holdings.as_ref().is_some_and(|new| {
                    old(p).is_some_and(|o| o.unique.contains(key)) && !new.unique.contains(key)
                })
            })
        };
        let mut acquired: Vec<(&UniqueKey, ClaimId)> = Vec::new();
        for p in planned {
            let Some(new) = &p.holdings else { continue };
            let id = p.write.claim.id();
            for key in &new.unique {
                if let Some((_, other)) = acquired.iter().find(|(k, _)| *k == key) {
                    return Err(StoreError::KeyHeld {
                        key: key.clone(),
                        holder: *other,
                    });
                }
                match self.unique.get(key) {
                    Some(holder) if *holder != id && !released(key) => {
                        return Err(StoreError::KeyHeld {
                            key: key.clone(),
                            holder: *holder,
                        });
                    }
                    _ => acquired.push((key, id)),
                }
            }
        }
        // Counted limits: the count after the whole commit, for every key newly counted.
        for p in planned {
            let Some((key, limit)) = p.holdings.as_ref().and_then(|h| h.counted.as_ref()) else {
                continue;
            };
            let was_counted =
                old(p).is_some_and(|o| o.counted.as_ref().is_some_and(|(k, _)| k == key));
            if was_counted {
                continue;
            }
            let mut count = i64::from(self.counts.get(key).copied().unwrap_or(0));
            for q in planned {
                let Some(new) = &q.holdings else { continue };
                let before =
                    old(q).is_some_and(|o| o.counted.as_ref().is_some_and(|(k, _)| k == key));
                let after = new.counted.as_ref().is_some_and(|(k, _)| k == key);
                count = match (before, after) {
                    (true, false) => count.saturating_sub(1),
                    (false, true) => count.saturating_add(1),
                    _ => count,
                };
            }
            if count > i64::from(*limit) {
                return Err(StoreError::LimitReached {
                    key: key.clone(),
                    limit: *limit,
                });
            }
        }
        Ok(())
    }

    /// Applies checked writes; cannot fail.
    fn apply(&mut self, planned: Vec<Planned<'_>>) -> Vec<Version> {
        let mut versions = Vec::with_capacity(planned.len());
        // Releases first, so that a key moving between two claims of the commit ends with
        // its new holder.
        let mut olds = Vec::with_capacity(planned.len());
        for p in &planned {
            let old = p
                .holdings
                .as_ref()
                .and_then(|_| self.claims.get(&p.write.claim.id()))
                .map(|e| (e.holdings.clone(), e.stored.claim.clone()));
            if let Some((holdings, claim)) = &old {
                self.release(claim.id(), holdings, claim.next_deadline());
            }
            olds.push(old);
        }
        for (p, old) in planned.into_iter().zip(olds) {
            versions.push(p.version);
            let Some(holdings) = p.holdings else { continue };
            let claim = p.write.claim.clone();
            let id = claim.id();
            for key in &holdings.unique {
                self.unique.insert(key.clone(), id);
            }
            if let Some((key, _)) = &holdings.counted {
                let count = self.counts.entry(key.clone()).or_insert(0);
                *count = count.saturating_add(1);
            }
            if let Some(deadline) = claim.next_deadline() {
                self.due.insert((deadline, id));
            }
            let partner = claim.partner();
            match &old {
                None => {
                    self.by_partner.entry(partner).or_default().push(id);
                    self.by_customer
                        .entry(claim.customer())
                        .or_default()
                        .push(id);
                }
                Some((_, before)) if before.partner() != partner => {
                    if let Some(ids) = self.by_partner.get_mut(&before.partner()) {
                        ids.retain(|c| *c != id);
                    }
                    self.by_partner.entry(partner).or_default().push(id);
                }
                Some(_) => {}
            }
            self.claims.insert(
                id,
                Entry {
                    stored: Stored {
                        claim,
                        version: p.version,
                    },
                    holdings,
                },
            );
        }
        versions
    }

    fn release(&mut self, id: ClaimId, holdings: &Holdings, deadline: Option<DateTime<Utc>>) {
        for key in &holdings.unique {
            if self.unique.get(key) == Some(&id) {
                self.unique.remove(key);
            }
        }
        if let Some((key, _)) = &holdings.counted
            && let Some(count) = self.counts.get_mut(key)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.counts.remove(key);
            }
        }
        if let Some(deadline) = deadline {
            self.due.remove(&(deadline, id));
        }
    }
}

impl Store for InMemoryStore {
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        Ok(self
            .lock()
            .claims
            .get(&id)
            .filter(|e| scope.sees(e.stored.claim.partner()))
            .map(|e| e.stored.clone()))
    }

    fn commit(&self, writes: &[Write]) -> Result<Vec<Version>, StoreError> {
        let mut inner = self.lock();
        let planned = inner.plan(writes)?;
        Ok(inner.apply(planned))
    }

    fn by_partner(&self, partner: PartnerId) -> Result<Vec<Stored>, StoreError> {
        let inner = self.lock();
        let ids = inner
            .by_partner
            .get(&partner)
            .map_or(&[][..], Vec::as_slice);
        Ok(inner.stored(ids, Scope::Partner(partner)))
    }

    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
    ) -> Result<Vec<Stored>, StoreError> {
        let mut claims = self.by_partner(partner)?;
        claims.retain(|s| s.claim.engagement() == engagement);
        Ok(claims)
    }

    fn by_customer(&self, scope: Scope, customer: &CustomerId) -> Result<Vec<Stored>, StoreError> {
        let inner = self.lock();
        let ids = inner
            .by_customer
            .get(customer)
            .map_or(&[][..], Vec::as_slice);
        Ok(inner.stored(ids, scope))
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        Ok(self.lock().unique.get(key).copied())
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        Ok(self.lock().counts.get(key).copied().unwrap_or(0))
    }

    fn due(&self, now: DateTime<Utc>) -> Result<Vec<ClaimId>, StoreError> {
        Ok(self
            .lock()
            .due
            .iter()
            .take_while(|(deadline, _)| *deadline <= now)
            .map(|(_, id)| *id)
            .collect())
    }
}
