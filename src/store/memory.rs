//! The reference store: everything in memory, every check and write under one lock.

use std::collections::BTreeSet;
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
/// Every uniqueness key and counted limit is about one customer ([`UniqueKey::customer`]), so
/// the store keeps one small index, claims by customer, and answers "who holds this key" and
/// "how many count towards this limit" from the claims of that customer that hold anything.
/// A commit touches the claim map and one customer entry, whatever the number of keys, and
/// the index costs a few dozen bytes per claim. Customers are indexed by a 64-bit fingerprint;
/// two customers that share one only share an index entry, because every answer is checked
/// against the claims themselves.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Where each claim is in `slots`.
    ids: Map<ClaimId, usize>,
    /// The claims, in chunks of [`CHUNK`] slots allocated whole: one allocation per thousand
    /// claims rather than one per claim, and no pointer per claim.
    slots: Vec<Vec<Stored>>,
    /// The claims about each customer (by fingerprint): those that name it, and those whose
    /// keys are about it (an activity claim by domain holds keys about the resolved tenant).
    customers: Map<u64, Box<[Member]>>,
    by_partner: Map<PartnerId, Vec<ClaimId>>,
    due: BTreeSet<(DateTime<Utc>, ClaimId)>,
}

/// How many claims a chunk of `slots` holds.
const CHUNK: usize = 1024;

/// A claim's entry under a customer: 17 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Member {
    id: [u8; 16],
    /// [`LISTED`] and/or [`HOLDS`].
    flags: u8,
}

/// The claim names the customer: `by_customer` lists it.
const LISTED: u8 = 1;
/// The claim holds keys or counts towards a limit about the customer.
const HOLDS: u8 = 2;

impl Member {
    fn claim(self) -> Option<ClaimId> {
        ClaimId::from_uuid(uuid::Uuid::from_bytes(self.id)).ok()
    }
}

/// Where a claim is indexed: up to two (customer fingerprint, flags) entries.
type Memberships = [Option<(u64, u8)>; 2];

fn memberships(claim: &Claim) -> Memberships {
    let customer = claim.customer();
    let listed = fingerprint(&customer);
    if !claim.holds_anything() {
        return [Some((listed, LISTED)), None];
    }
    let key_customer = claim.key_customer();
    let keyed = if key_customer == customer {
        listed
    } else {
        fingerprint(&key_customer)
    };
    if keyed == listed {
        [Some((listed, LISTED | HOLDS)), None]
    } else {
        [Some((listed, LISTED)), Some((keyed, HOLDS))]
    }
}

/// One write, checked and ready to apply.
struct Planned {
    id: ClaimId,
    version: Version,
    /// The holdings of the stored version, if any.
    old: Option<Holdings>,
    /// The holdings of the new version; `None` for an idempotent create that changes nothing.
    new: Option<Holdings>,
    /// Where the new version is indexed.
    index: Memberships,
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
        self.lock().ids.len()
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
    /// The stored claim `id`.
    fn get(&self, id: &ClaimId) -> Option<&Stored> {
        let i = *self.ids.get(id)?;
        self.slots
            .get(i.checked_div(CHUNK)?)?
            .get(i.checked_rem(CHUNK)?)
    }

    /// Stores claim `id`, in its slot if it has one, else in the next free slot.
    fn put(&mut self, id: ClaimId, stored: Stored) {
        if let Some(&i) = self.ids.get(&id) {
            if let Some(slot) = i
                .checked_div(CHUNK)
                .zip(i.checked_rem(CHUNK))
                .and_then(|(c, j)| self.slots.get_mut(c)?.get_mut(j))
            {
                *slot = stored;
            }
            return;
        }
        let i = self.ids.len();
        if self.slots.last().is_none_or(|chunk| chunk.len() >= CHUNK) {
            self.slots.push(Vec::with_capacity(CHUNK));
        }
        if let Some(chunk) = self.slots.last_mut() {
            chunk.push(stored);
            self.ids.insert(id, i);
        }
    }

    fn stored(&self, ids: impl Iterator<Item = ClaimId>, scope: Scope) -> Vec<Stored> {
        ids.filter_map(|id| self.get(&id))
            .filter(|s| scope.sees(s.claim.partner()))
            .map(Stored::clone)
            .collect()
    }

    /// The claims indexed under `customer` with any of `flags`.
    fn members<'a>(
        &'a self,
        customer: &CustomerId,
        flags: u8,
    ) -> impl Iterator<Item = &'a Stored> + 'a {
        self.customers
            .get(&fingerprint(customer))
            .map_or(&[][..], |m| &m[..])
            .iter()
            .filter(move |m| m.flags & flags != 0)
            .filter_map(|m| m.claim())
            .filter_map(|id| self.get(&id))
    }

    /// Whether no claim holds a key or counts towards a limit about `claim`'s customer, and the
    /// claim's own limit (if any) admits one claim: then `claim` can take its keys and its
    /// place without checking them one by one.
    fn is_free_for(&self, claim: &Claim, index: &Memberships) -> bool {
        let admits_one = claim
            .as_activity()
            .is_none_or(|a| a.max_active_per_customer() >= 1);
        let held = index
            .iter()
            .flatten()
            .filter(|(_, flags)| flags & HOLDS != 0)
            .any(|(print, _)| {
                self.customers
                    .get(print)
                    .is_some_and(|members| members.iter().any(|m| m.flags & HOLDS != 0))
            });
        admits_one && !held
    }

    /// The claim that holds `key`.
    fn holder(&self, key: &UniqueKey) -> Option<ClaimId> {
        self.members(&key.customer(), HOLDS)
            .find(|s| s.claim.holds(key))
            .map(|s| s.claim.id())
    }

    /// How many claims count towards `key`.
    fn count(&self, key: &CountedKey) -> u32 {
        let n = self
            .members(&key.customer, HOLDS)
            .filter(|s| s.claim.counts_towards(key))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Checks every write against the store and against each other; changes nothing.
    fn plan(&self, writes: &[Write]) -> Result<Vec<Planned>, StoreError> {
        let mut planned = Vec::with_capacity(writes.len());
        for (i, write) in writes.iter().enumerate() {
            let id = write.claim.id();
            if writes.iter().take(i).any(|w| w.claim.id() == id) {
                return Err(StoreError::DuplicateWrite { claim: id });
            }
            let existing = self.get(&id);
            let actual = existing.map(|s| s.version);
            let index = memberships(&write.claim);
            match (write.expect, existing) {
                (Expect::Absent, None) => planned.push(Planned {
                    id,
                    version: Version::FIRST,
                    old: None,
                    new: Some(
                        if writes.len() == 1 && self.is_free_for(&write.claim, &index) {
                            // Nothing about this customer is held or counted: the claim's
                            // keys and limit cannot clash, so they need not be listed.
                            Holdings::default()
                        } else {
                            write.claim.holdings()
                        },
                    ),
                    index,
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
                        index,
                    });
                }
                (Expect::Version(expected), Some(stored)) if stored.version == expected => {
                    planned.push(Planned {
                        id,
                        version: expected.next(),
                        old: Some(stored.claim.holdings()),
                        new: Some(write.claim.holdings()),
                        index,
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
            for key in &new.unique {
                if let Some((_, other)) = acquired.iter().find(|(k, _)| *k == key) {
                    return Err(StoreError::KeyHeld {
                        key: key.clone(),
                        holder: *other,
                    });
                }
                if !held_before(p, key) {
                    match self.holder(key) {
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
            let mut count = i64::from(self.count(key));
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
        let mut versions = Vec::with_capacity(planned.len());
        for (write, p) in writes.into_iter().zip(planned) {
            versions.push(p.version);
            if p.new.is_none() {
                continue;
            }
            let mut claim = write.claim;
            claim.shrink_to_fit();
            let id = p.id;
            let new = p.index;
            let deadline = claim.next_deadline();
            match self.get(&id) {
                None => {
                    self.by_partner.entry(claim.partner()).or_default().push(id);
                    for (print, flags) in new.into_iter().flatten() {
                        self.index(print, id, flags);
                    }
                }
                Some(old) => {
                    let old_partner = old.claim.partner();
                    let old_deadline = old.claim.next_deadline();
                    let old = memberships(&old.claim);
                    if old != new {
                        for (print, _) in old.into_iter().flatten() {
                            self.index(print, id, 0);
                        }
                        for (print, flags) in new.into_iter().flatten() {
                            self.index(print, id, flags);
                        }
                    }
                    if old_partner != claim.partner() {
                        if let Some(ids) = self.by_partner.get_mut(&old_partner) {
                            ids.retain(|c| *c != id);
                        }
                        self.by_partner.entry(claim.partner()).or_default().push(id);
                    }
                    if old_deadline != deadline
                        && let Some(old_deadline) = old_deadline
                    {
                        self.due.remove(&(old_deadline, id));
                    }
                }
            }
            if let Some(deadline) = deadline {
                self.due.insert((deadline, id));
            }
            self.put(
                id,
                Stored {
                    claim,
                    version: p.version,
                },
            );
        }
        versions
    }

    /// Sets the flags of claim `id` under customer fingerprint `print` (0: removes it). The
    /// entry is rebuilt at its exact size, so the index has no spare capacity.
    fn index(&mut self, print: u64, id: ClaimId, flags: u8) {
        let bytes = id.as_uuid().into_bytes();
        let members = self.customers.get(&print).map_or(&[][..], |m| &m[..]);
        let mut next: Vec<Member> = Vec::with_capacity(members.len().saturating_add(1));
        let mut merged = false;
        for m in members {
            if m.id == bytes {
                merged = true;
                let flags = if flags == 0 { 0 } else { m.flags | flags };
                if flags != 0 {
                    next.push(Member { id: bytes, flags });
                }
            } else {
                next.push(*m);
            }
        }
        if !merged && flags != 0 {
            next.push(Member { id: bytes, flags });
        }
        if next.is_empty() {
            self.customers.remove(&print);
        } else {
            self.customers.insert(print, next.into_boxed_slice());
        }
    }
}

impl Store for InMemoryStore {
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
        Ok(self
            .lock()
            .get(&id)
            .filter(|s| scope.sees(s.claim.partner()))
            .cloned())
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
        Ok(inner
            .members(customer, LISTED)
            .filter(|s| scope.sees(s.claim.partner()) && s.claim.customer() == *customer)
            .cloned()
            .collect())
    }

    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        Ok(self.lock().holder(key))
    }

    fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        Ok(self.lock().count(key))
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
