//! The reference store: everything in memory, every check and write under one lock.

use std::collections::{BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use super::{
    Claim, CountedKey, Expect, Holdings, ImportReport, Scope, Store, StoreError, Stored, UniqueKey,
    Version, Write,
};
use crate::catalog::EngagementId;
use crate::fast_hash::Map;
use crate::id::{ClaimId, CustomerId, PartnerId};

/// A store that keeps everything in memory, as strict as a real database: every check and
/// every write of a commit happen under **one** lock, and nothing is written until every check
/// has passed, so a refused commit leaves no trace.
///
/// It is the reference the conformance suite (`cpor::testing`) is written against, and fits
/// tests, examples and single-process services.
///
/// To stay small with millions of claims, its indexes keep 64-bit fingerprints of keys and
/// customers rather than the values: a fingerprint hit is confirmed against the claim it
/// points to, and the rare key whose fingerprint another key already took is kept whole.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    claims: Map<ClaimId, Box<Stored>>,
    /// Uniqueness keys by fingerprint.
    unique: Map<u64, ClaimId>,
    /// Uniqueness keys whose fingerprint was taken by another key held by another claim.
    collided: HashMap<UniqueKey, ClaimId>,
    counts: Map<CountedKey, u32>,
    by_partner: Map<PartnerId, Vec<ClaimId>>,
    /// (customer fingerprint, claim ID as a number).
    by_customer: BTreeSet<(u64, u128)>,
    due: BTreeSet<(DateTime<Utc>, ClaimId)>,
}

/// One write, checked and ready to apply.
struct Planned {
    id: ClaimId,
    version: Version,
    /// The holdings of the stored version, if any.
    old: Option<Holdings>,
    /// The holdings of the new version; `None` for an idempotent create that changes nothing.
    new: Option<Holdings>,
    /// The fingerprints of `new`'s uniqueness keys, in order.
    prints: Vec<u64>,
}

/// A stable 64-bit fingerprint (SipHash with fixed keys).
fn fingerprint(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
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
    fn stored(&self, ids: impl Iterator<Item = ClaimId>, scope: Scope) -> Vec<Stored> {
        ids.filter_map(|id| self.claims.get(&id))
            .filter(|s| scope.sees(s.claim.partner()))
            .map(|s| Stored::clone(s))
            .collect()
    }

    /// The claim that holds `key`, confirmed against the claim.
    fn holder(&self, key: &UniqueKey) -> Option<ClaimId> {
        self.holder_by(key, fingerprint(key))
    }

    /// [`holder`](Self::holder), with the key's fingerprint already known.
    fn holder_by(&self, key: &UniqueKey, print: u64) -> Option<ClaimId> {
        if !self.collided.is_empty()
            && let Some(id) = self.collided.get(key)
        {
            return Some(*id);
        }
        let id = *self.unique.get(&print)?;
        let holds = self
            .claims
            .get(&id)
            .is_some_and(|s| s.claim.holdings().unique.contains(key));
        holds.then_some(id)
    }

    /// Checks every write against the store and against each other; changes nothing.
    fn plan(&self, writes: &[Write]) -> Result<Vec<Planned>, StoreError> {
        let mut planned = Vec::with_capacity(writes.len());
        for (i, write) in writes.iter().enumerate() {
            let id = write.claim.id();
            if writes.iter().take(i).any(|w| w.claim.id() == id) {
                return Err(StoreError::DuplicateWrite { claim: id });
            }
            let existing = self.claims.get(&id);
            let actual = existing.map(|s| s.version);
            match (write.expect, existing) {
                (Expect::Absent, None) => planned.push(Planned {
                    id,
                    version: Version::FIRST,
                    old: None,
                    new: Some(write.claim.holdings()),
                    prints: Vec::new(),
                }),
                (Expect::Absent, Some(stored)) => {
                    if !stored.claim.same_content(&write.claim) {
                        return Err(StoreError::IdConflict { claim: id });
                    }
                    planned.push(Planned {
                        id,
                        version: stored.version,
                        old: None,
                        new: None,
                        prints: Vec::new(),
                    });
                }
                (Expect::Version(expected), Some(stored)) if stored.version == expected => {
                    planned.push(Planned {
                        id,
                        version: expected.next(),
                        old: Some(stored.claim.holdings()),
                        new: Some(write.claim.holdings()),
                        prints: Vec::new(),
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
        for p in &mut planned {
            if let Some(new) = &p.new {
                p.prints = new.unique.iter().map(fingerprint).collect();
            }
        }
        self.check_keys(&planned)?;
        Ok(planned)
    }

    /// Checks the keys and counts the planned writes acquire, after the releases of the whole
    /// commit.
    fn check_keys(&self, planned: &[Planned]) -> Result<(), StoreError> {
        let held_before =
            |p: &Planned, key: &UniqueKey| p.old.as_ref().is_some_and(|o| o.unique.contains(key));
        // Keys released by some write of this commit: free for the others.
        let released = |key: &UniqueKey| {
            planned.iter().any(|p| {
                p.new
                    .as_ref()
                    .is_some_and(|new| held_before(p, key) && !new.unique.contains(key))
            })
        };
        let mut acquired: Vec<(&UniqueKey, ClaimId)> = Vec::new();
        for p in planned {
            let Some(new) = &p.new else { continue };
            let id = p.id;
            for (key, print) in new.unique.iter().zip(&p.prints) {
                if let Some((_, other)) = acquired.iter().find(|(k, _)| *k == key) {
                    return Err(StoreError::KeyHeld {
                        key: key.clone(),
                        holder: *other,
                    });
                }
                if !held_before(p, key) {
                    match self.holder_by(key, *print) {
                        Some(holder) if holder != id && !released(key) => {
                            return Err(StoreError::KeyHeld {
                                key: key.clone(),
                                holder,
                            });
                        }
                        _ => {}
                    }
                }
                acquired.push((key, id));
            }
        }
        // Counted limits: the count after the whole commit, for every key newly counted.
        let counts = |h: Option<&Holdings>, key: &CountedKey| {
            h.and_then(|h| h.counted.as_ref())
                .is_some_and(|(k, _)| k == key)
        };
        for p in planned {
            let Some((key, limit)) = p.new.as_ref().and_then(|h| h.counted.as_ref()) else {
                continue;
            };
            if counts(p.old.as_ref(), key) {
                continue;
            }
            let mut count = i64::from(self.counts.get(key).copied().unwrap_or(0));
            for q in planned.iter().filter(|q| q.new.is_some()) {
                count = match (counts(q.old.as_ref(), key), counts(q.new.as_ref(), key)) {
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
    fn apply(&mut self, writes: Vec<Write>, planned: Vec<Planned>) -> Vec<Version> {
        // Releases first, so that a key moving between two claims of the commit ends with its
        // new holder.
        for p in &planned {
            if let (Some(old), Some(_)) = (&p.old, &p.new) {
                let id = p.id;
                let deadline = self.claims.get(&id).and_then(|s| s.claim.next_deadline());
                self.release(id, old, deadline);
            }
        }
        let mut versions = Vec::with_capacity(planned.len());
        for (write, p) in writes.into_iter().zip(planned) {
            versions.push(p.version);
            let Some(new) = p.new else { continue };
            let mut claim = write.claim;
            claim.shrink_to_fit();
            let id = p.id;
            for (key, print) in new.unique.iter().zip(p.prints) {
                self.acquire(key, print, id);
            }
            if let Some((key, _)) = new.counted {
                let count = self.counts.entry(key).or_insert(0);
                *count = count.saturating_add(1);
            }
            if let Some(deadline) = claim.next_deadline() {
                self.due.insert((deadline, id));
            }
            let partner = claim.partner();
            let customer = fingerprint(&claim.customer());
            let before = self
                .claims
                .get(&id)
                .map(|s| (s.claim.partner(), fingerprint(&s.claim.customer())));
            match before {
                None => {
                    self.by_partner.entry(partner).or_default().push(id);
                    self.by_customer.insert((customer, id.as_uuid().as_u128()));
                }
                Some((old_partner, old_customer)) => {
                    if old_partner != partner {
                        if let Some(ids) = self.by_partner.get_mut(&old_partner) {
                            ids.retain(|c| *c != id);
                        }
                        self.by_partner.entry(partner).or_default().push(id);
                    }
                    if old_customer != customer {
                        let n = id.as_uuid().as_u128();
                        self.by_customer.remove(&(old_customer, n));
                        self.by_customer.insert((customer, n));
                    }
                }
            }
            self.claims.insert(
                id,
                Box::new(Stored {
                    claim,
                    version: p.version,
                }),
            );
        }
        versions
    }

    fn acquire(&mut self, key: &UniqueKey, print: u64, id: ClaimId) {
        match self.unique.get(&print) {
            None => {
                self.unique.insert(print, id);
            }
            Some(holder) if *holder == id => {}
            // Another claim holds a different key with the same fingerprint.
            Some(_) => {
                self.collided.insert(key.clone(), id);
            }
        }
    }

    fn release(&mut self, id: ClaimId, holdings: &Holdings, deadline: Option<DateTime<Utc>>) {
        for key in &holdings.unique {
            if !self.collided.is_empty() && self.collided.get(key) == Some(&id) {
                self.collided.remove(key);
                continue;
            }
            let print = fingerprint(key);
            if self.unique.get(&print) == Some(&id) {
                self.unique.remove(&print);
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
            .filter(|s| scope.sees(s.claim.partner()))
            .map(|s| Stored::clone(s)))
    }

    fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        let mut inner = self.lock();
        let planned = inner.plan(&writes)?;
        Ok(inner.apply(writes, planned))
    }

    /// The whole batch under one lock: each claim is planned against the store as the claims
    /// before it left it, and applied at once if accepted.
    fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport::with_capacity(claims.len());
        let mut inner = self.lock();
        for claim in claims {
            let id = claim.id();
            let writes = vec![Write::create(claim)];
            let outcome = match inner.plan(&writes) {
                Ok(planned) => inner
                    .apply(writes, planned)
                    .first()
                    .copied()
                    .ok_or(StoreError::NotFound { claim: id }),
                Err(refusal) => Err(refusal),
            };
            report.outcomes.push((id, outcome));
        }
        Ok(report)
    }

    fn by_partner(&self, partner: PartnerId) -> Result<Vec<Stored>, StoreError> {
        let inner = self.lock();
        let ids = inner
            .by_partner
            .get(&partner)
            .map_or(&[][..], Vec::as_slice);
        Ok(inner.stored(ids.iter().copied(), Scope::Partner(partner)))
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
        let print = fingerprint(customer);
        let ids = inner
            .by_customer
            .range((print, 0)..=(print, u128::MAX))
            .filter_map(|(_, n)| ClaimId::from_uuid(uuid::Uuid::from_u128(*n)).ok());
        let mut claims = inner.stored(ids, scope);
        claims.retain(|s| s.claim.customer() == *customer);
        Ok(claims)
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        Ok(self.lock().holder(key))
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
