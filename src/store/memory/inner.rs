//! The memory store's insides: the packed claims, the index by customer, the planning of a
//! commit.

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};

use super::{
    Claim, CountedKey, Expect, Holdings, Page, PageRequest, StoreError, Stored, UniqueKey, Version,
    Write,
};
use crate::catalog::Catalogs;
use crate::codec::Head;
use crate::fast_hash::{FastHasher, Map};
use crate::id::{ClaimId, CustomerId, PartnerId};

use super::outbox::{Outbox, SweepLeases};

/// Everything the store keeps, behind its one lock.
#[derive(Debug, Default)]
pub(super) struct Inner {
    /// Where each claim is in `slots`.
    pub(super) ids: Map<ClaimId, u32>,
    /// The claims, in chunks of [`CHUNK`] slots allocated whole: one allocation per thousand
    /// claims rather than one per claim.
    pub(super) slots: Vec<Vec<Slot>>,
    /// The claims about each customer (by fingerprint): those that name it, and those whose
    /// keys are about it (an activity claim by domain holds keys about the resolved tenant).
    pub(super) customers: Map<u64, Box<[Member]>>,
    /// The slots of each partner location's claims, in the order stored.
    pub(super) by_partner: Map<PartnerId, Vec<u32>>,
    /// The next deadline of each claim that has one, with its slot: earliest first, ties in
    /// the order the claims were created.
    pub(super) due: BTreeSet<(DateTime<Utc>, u32)>,
    /// Where a commit encodes a claim before it is copied at its exact size.
    pub(super) scratch: Vec<u8>,
    /// The events of the commits, until acknowledged.
    pub(super) outbox: Outbox,
    /// The due claims sweeps have taken.
    pub(super) sweeps: SweepLeases,
}

/// How many claims a chunk of `slots` holds.
const CHUNK: usize = 1024;

/// One stored claim: its version and its encoding.
#[derive(Debug)]
pub(super) struct Slot {
    version: Version,
    packed: Box<[u8]>,
}

impl Slot {
    pub(super) fn head(&self) -> Result<Head<'_>, StoreError> {
        Head::parse(&self.packed).map_err(StoreError::backend)
    }

    pub(super) fn claim(&self) -> Result<Claim, StoreError> {
        let claim = Claim::decode(&self.packed).map_err(StoreError::backend)?;
        claim.check_structure().map_err(|e| StoreError::Corrupt {
            claim: Some(e.claim()),
            what: e.to_string(),
        })?;
        Ok(claim)
    }

    pub(super) fn stored(&self) -> Result<Stored, StoreError> {
        Ok(Stored {
            claim: self.claim()?,
            version: self.version,
        })
    }
}

/// A claim's entry under a customer: its slot and how it is indexed there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Member {
    slot: u32,
    /// [`LISTED`] and/or [`HOLDS`].
    flags: u8,
}

/// The claim names the customer: `by_customer` lists it.
pub(super) const LISTED: u8 = 1;
/// The claim holds keys or counts towards a limit about the customer.
const HOLDS: u8 = 2;

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

/// What a write replaces: the stored version's slot and what it held.
pub(super) struct Old {
    slot: u32,
    holdings: Holdings,
    index: Memberships,
    partner: PartnerId,
    deadline: Option<DateTime<Utc>>,
}

/// One write, checked and ready to apply.
pub(super) struct Planned {
    version: Version,
    /// The stored version, if any.
    old: Option<Old>,
    /// The holdings of the new version; `None` for an idempotent create that changes nothing.
    new: Option<Holdings>,
    /// Where the new version is indexed.
    index: Memberships,
}

impl Planned {
    /// Whether the write changes its claim (all but an idempotent create).
    pub(super) const fn changes(&self) -> bool {
        self.new.is_some()
    }

    pub(super) fn old_holdings(&self) -> Option<&Holdings> {
        self.old.as_ref().map(|o| &o.holdings)
    }
}

/// A 64-bit fingerprint of a customer (fast and unkeyed: a collision only shares an index
/// entry).
fn fingerprint(value: &impl Hash) -> u64 {
    let mut hasher = FastHasher::default();
    value.hash(&mut hasher);
    hasher.finish()
}

impl Inner {
    /// The claim in slot `i`.
    pub(super) fn slot(&self, i: u32) -> Option<&Slot> {
        let i = usize::try_from(i).ok()?;
        self.slots
            .get(i.checked_div(CHUNK)?)?
            .get(i.checked_rem(CHUNK)?)
    }

    pub(super) fn slot_mut(&mut self, i: u32) -> Option<&mut Slot> {
        let i = usize::try_from(i).ok()?;
        self.slots
            .get_mut(i.checked_div(CHUNK)?)?
            .get_mut(i.checked_rem(CHUNK)?)
    }

    /// The stored claim `id`, with its slot.
    pub(super) fn get(&self, id: &ClaimId) -> Option<(u32, &Slot)> {
        let i = *self.ids.get(id)?;
        Some((i, self.slot(i)?))
    }

    /// Stores a new claim in the next free slot, which `plan` checked exists.
    pub(super) fn push(&mut self, id: ClaimId, slot: Slot) -> u32 {
        let i = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        if self.slots.last().is_none_or(|chunk| chunk.len() >= CHUNK) {
            self.slots.push(Vec::with_capacity(CHUNK));
        }
        if let Some(chunk) = self.slots.last_mut() {
            chunk.push(slot);
            self.ids.insert(id, i);
        }
        i
    }

    /// The claims in `slots` that `scope` sees, decoded.
    /// A page of the claims in `slots` (in increasing order) that pass `keep`, after the
    /// request's cursor: decodes only the claims it returns.
    pub(super) fn page(
        &self,
        slots: &[u32],
        request: PageRequest,
        mut keep: impl FnMut(&Slot) -> Result<bool, StoreError>,
    ) -> Result<Page<Stored>, StoreError> {
        let start = request.cursor().map_or(0, |after| {
            slots.partition_point(|i| u64::from(*i) <= after.get())
        });
        let wanted = request.limit_usize().saturating_add(1);
        let mut read = Vec::new();
        for &i in slots.get(start..).unwrap_or_default() {
            if read.len() >= wanted {
                break;
            }
            let Some(slot) = self.slot(i) else { continue };
            if keep(slot)? {
                read.push((u64::from(i), slot.stored()?));
            }
        }
        Ok(Page::from_positioned(read, request))
    }

    /// The claims indexed under `customer` with any of `flags`.
    pub(super) fn members<'a>(
        &'a self,
        customer: &CustomerId,
        flags: u8,
    ) -> impl Iterator<Item = (u32, &'a Slot)> + 'a {
        self.customers
            .get(&fingerprint(customer))
            .map_or(&[][..], |m| &m[..])
            .iter()
            .filter(move |m| m.flags & flags != 0)
            .filter_map(|m| Some((m.slot, self.slot(m.slot)?)))
    }

    /// Whether no claim holds a key or counts towards a limit about `claim`'s customer, and the
    /// claim's own limit (if any) admits one claim: then `claim` can take its keys and its
    /// place without checking them one by one.
    pub(super) fn is_free_for(
        &self,
        claim: &Claim,
        index: &Memberships,
        catalogs: &Catalogs,
    ) -> bool {
        let admits_one = claim.as_activity().is_none() || claim.cap(catalogs) >= Some(1);
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
    pub(super) fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
        for (_, slot) in self.members(&key.customer(), HOLDS) {
            let head = slot.head()?;
            if head.holds(key) {
                return Ok(Some(head.id()));
            }
        }
        Ok(None)
    }

    /// How many claims count towards `key`.
    pub(super) fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
        let mut n: u32 = 0;
        for (_, slot) in self.members(&key.customer, HOLDS) {
            if slot.head()?.counts_towards(key) {
                n = n.saturating_add(1);
            }
        }
        Ok(n)
    }

    /// Checks every write against the store and against each other; changes nothing.
    pub(super) fn plan(
        &self,
        writes: &[Write],
        catalogs: &Catalogs,
    ) -> Result<Vec<Planned>, StoreError> {
        let mut planned = Vec::with_capacity(writes.len());
        let mut creates: usize = 0;
        for (i, write) in writes.iter().enumerate() {
            let id = write.claim.id();
            if writes.iter().take(i).any(|w| w.claim.id() == id) {
                return Err(StoreError::DuplicateWrite { claim: id });
            }
            let existing = self.get(&id);
            let actual = existing.map(|(_, s)| s.version);
            let index = memberships(&write.claim);
            match (write.expect, existing) {
                (Expect::Absent, None) => {
                    creates = creates.saturating_add(1);
                    planned.push(Planned {
                        version: Version::FIRST,
                        old: None,
                        new: Some(
                            if writes.len() == 1 && self.is_free_for(&write.claim, &index, catalogs)
                            {
                                // Nothing about this customer is held or counted: the claim's
                                // keys and limit cannot clash, so they need not be listed.
                                Holdings::default()
                            } else {
                                write.claim.holdings_trusted(catalogs)
                            },
                        ),
                        index,
                    });
                }
                (Expect::Absent, Some((_, stored))) => {
                    if !stored.claim()?.same_content(&write.claim) {
                        return Err(StoreError::IdConflict { claim: id });
                    }
                    planned.push(Planned {
                        version: stored.version,
                        old: None,
                        new: None,
                        index,
                    });
                }
                (Expect::Version(expected), Some((slot, stored))) if stored.version == expected => {
                    let old = stored.claim()?;
                    planned.push(Planned {
                        version: expected.next(),
                        old: Some(Old {
                            slot,
                            holdings: old.holdings_trusted(catalogs),
                            index: memberships(&old),
                            partner: old.partner(),
                            deadline: old.next_deadline(),
                        }),
                        new: Some(write.claim.holdings_trusted(catalogs)),
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
        if u32::try_from(self.ids.len().saturating_add(creates)).is_err() {
            return Err(StoreError::backend(Full));
        }
        self.check_keys(writes, &planned)?;
        Ok(planned)
    }

    /// Checks the keys and counts the planned writes acquire, after the releases of the whole
    /// commit.
    pub(super) fn check_keys(
        &self,
        writes: &[Write],
        planned: &[Planned],
    ) -> Result<(), StoreError> {
        let held_before =
            |p: &Planned, key: &UniqueKey| p.old_holdings().is_some_and(|o| o.unique.contains(key));
        // Keys released by some write of this commit: free for the others.
        let released = |key: &UniqueKey| {
            planned.iter().any(|p| {
                p.new
                    .as_ref()
                    .is_some_and(|new| held_before(p, key) && !new.unique.contains(key))
            })
        };
        let mut acquired: Vec<(&UniqueKey, ClaimId)> = Vec::new();
        for (write, p) in writes.iter().zip(planned) {
            let Some(new) = &p.new else { continue };
            let id = write.claim.id();
            for key in &new.unique {
                if let Some((_, other)) = acquired.iter().find(|(k, _)| *k == key) {
                    return Err(StoreError::KeyHeld {
                        key: key.clone(),
                        holder: *other,
                    });
                }
                if !held_before(p, key) {
                    match self.holder(key)? {
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
            if counts(p.old_holdings(), key) {
                continue;
            }
            let mut count = i64::from(self.count(key)?);
            for q in planned.iter().filter(|q| q.new.is_some()) {
                count = match (counts(q.old_holdings(), key), counts(q.new.as_ref(), key)) {
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
    ///
    /// It only reads the claims: the caller drops them once the lock is released, so that
    /// freeing them does not lengthen the critical section.
    pub(super) fn apply(&mut self, writes: &[Write], planned: Vec<Planned>) -> Vec<Version> {
        let mut versions = Vec::with_capacity(planned.len());
        for (write, p) in writes.iter().zip(planned) {
            versions.push(p.version);
            if p.new.is_none() {
                continue;
            }
            let claim = &write.claim;
            let id = claim.id();
            let partner = claim.partner();
            let deadline = claim.next_deadline();
            self.scratch.clear();
            claim.encode(&mut self.scratch);
            let slot = Slot {
                version: p.version,
                packed: Box::from(self.scratch.as_slice()),
            };
            let new = p.index;
            let i = match p.old {
                None => {
                    let i = self.push(id, slot);
                    self.by_partner.entry(partner).or_default().push(i);
                    for (print, flags) in new.into_iter().flatten() {
                        self.index(print, i, flags);
                    }
                    i
                }
                Some(old) => {
                    let i = old.slot;
                    if let Some(stored) = self.slot_mut(i) {
                        *stored = slot;
                    }
                    if old.index != new {
                        for (print, _) in old.index.into_iter().flatten() {
                            self.index(print, i, 0);
                        }
                        for (print, flags) in new.into_iter().flatten() {
                            self.index(print, i, flags);
                        }
                    }
                    if old.partner != partner {
                        if let Some(slots) = self.by_partner.get_mut(&old.partner) {
                            slots.retain(|s| *s != i);
                        }
                        self.by_partner.entry(partner).or_default().push(i);
                    }
                    if old.deadline != deadline
                        && let Some(old_deadline) = old.deadline
                    {
                        self.due.remove(&(old_deadline, i));
                    }
                    i
                }
            };
            if let Some(deadline) = deadline {
                self.due.insert((deadline, i));
            }
        }
        // A large encoding (a long history) does not keep its buffer.
        if self.scratch.capacity() > SCRATCH {
            self.scratch = Vec::new();
        }
        versions
    }

    /// Sets the flags of slot `i` under customer fingerprint `print` (0: removes it). The
    /// entry is rebuilt at its exact size, so the index has no spare capacity.
    pub(super) fn index(&mut self, print: u64, i: u32, flags: u8) {
        let members = self.customers.get(&print).map_or(&[][..], |m| &m[..]);
        let mut next: Vec<Member> = Vec::with_capacity(members.len().saturating_add(1));
        let mut merged = false;
        for m in members {
            if m.slot == i {
                merged = true;
                let flags = if flags == 0 { 0 } else { m.flags | flags };
                if flags != 0 {
                    next.push(Member { slot: i, flags });
                }
            } else {
                next.push(*m);
            }
        }
        if !merged && flags != 0 {
            next.push(Member { slot: i, flags });
        }
        if next.is_empty() {
            self.customers.remove(&print);
        } else {
            self.customers.insert(print, next.into_boxed_slice());
        }
    }
}

/// The scratch buffer a commit keeps between commits, in bytes.
const SCRATCH: usize = 16 * 1024;

/// The store already holds `u32::MAX` claims.
#[derive(Debug, thiserror::Error)]
#[error("the in-memory store is full: it holds at most {} claims", u32::MAX)]
pub(super) struct Full;
