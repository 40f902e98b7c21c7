//! The races: many threads on one store, to show that the checks and the writes of a commit
//! are one atomic step.
//!
//! Every claim is built before the threads start; the threads only load, pick and commit
//! (and, for the lost-update race, attach a PoE with the pure core).

use std::collections::BTreeMap;
use std::thread;

use super::StoreFactory;
use super::check::{Context, Outcome, Problem, describe_error, ensure, holds, load, same};
use super::fixtures::{Stage, World, associated, claim_id, open_association, partner, tenant};
use crate::actor::Actor;
use crate::association::{AssociationCommand, AssociationState};
use crate::id::{ClaimId, PartnerId};
use crate::store::{Claim, Expect, Scope, Store, StoreError, UniqueKey, Version, Write};
use crate::text::Text;

/// How many threads each race runs.
pub const RACE_THREADS: usize = 8;
/// How many attempts each thread of a race makes.
pub const RACE_ATTEMPTS: usize = 500;
/// How many keys (and, in the lost-update race, drafts) the threads contend for.
pub const RACE_KEYS: usize = 50;
/// How many partner locations compete for each key.
const PARTNERS: u64 = 4;
/// The first partner location of the race.
const FIRST_PARTNER: u64 = 5_100_000;

/// SplitMix64: a tiny deterministic generator, one per thread.
struct Rng(u64);

impl Rng {
    fn new(thread: usize) -> Self {
        Self(0x5EED_0000_0000_0000 ^ u64::try_from(thread).unwrap_or(u64::MAX))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ z.wrapping_shr(30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ z.wrapping_shr(27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ z.wrapping_shr(31)
    }

    /// A number below `n` (0 if `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        self.next()
            .checked_rem(n)
            .and_then(|r| usize::try_from(r).ok())
            .unwrap_or(0)
    }
}

/// The partner locations of the race.
fn partners() -> Outcome<Vec<PartnerId>> {
    (0..PARTNERS)
        .map(|p| partner(FIRST_PARTNER.saturating_add(p)))
        .collect()
}

/// Runs `work` on [`RACE_THREADS`] threads sharing `store`, and collects what each returns.
fn race<S, T, W>(store: &S, work: W) -> Outcome<Vec<T>>
where
    S: Store,
    T: Send,
    W: Fn(&S, usize) -> Outcome<T> + Sync,
{
    let results: Vec<Outcome<T>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..RACE_THREADS)
            .map(|t| {
                let work = &work;
                scope.spawn(move || work(store, t))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Problem::new("a racing thread panicked")))
            })
            .collect()
    });
    results.into_iter().collect()
}

/// Adds `n` successes of `id` to `counts`.
fn bump(counts: &mut BTreeMap<ClaimId, u64>, id: ClaimId, n: u64) {
    let count = counts.entry(id).or_insert(0);
    *count = count.saturating_add(n);
}

/// One claim of the key race, in the three states the threads write.
struct Slot {
    id: ClaimId,
    partner: PartnerId,
    associated: UniqueKey,
    open: UniqueKey,
    under_review: Claim,
    approved: Claim,
    declined: Claim,
}

/// What one thread of the key race did.
#[derive(Default)]
struct KeyStats {
    /// Successful updates, by claim.
    updates: BTreeMap<ClaimId, u64>,
    /// Successful approvals (plain or by arbitration).
    approvals: u64,
}

pub(super) fn race_one_holder_per_key<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let partners = partners()?;
    // One row per key; in each row, one claim per partner. The threads cycle each claim
    // through under review → approved → declined → under review …: the store keeps keys
    // and versions, not the lifecycle, so it takes every snapshot as written.
    let mut rows: Vec<Vec<Slot>> = Vec::with_capacity(RACE_KEYS);
    let mut n = 0_u128;
    for k in 0..RACE_KEYS {
        let t = tenant(u128::try_from(k).context("key number")?)?;
        let mut row = Vec::with_capacity(partners.len());
        for &p in &partners {
            n = n.saturating_add(1);
            let id = claim_id(n)?;
            let build = |stage| -> Outcome<Claim> {
                Ok(w.association(id, p, t, &["teams"], stage)?.into())
            };
            row.push(Slot {
                id,
                partner: p,
                associated: associated(t, "teams")?,
                open: open_association(p, t, "teams")?,
                under_review: build(Stage::UnderReview)?,
                approved: build(Stage::Approved)?,
                declined: build(Stage::Declined)?,
            });
        }
        rows.push(row);
    }

    let stats = race(&store, |store, thread| key_worker(store, &rows, thread))?;
    let mut updates = BTreeMap::new();
    let mut approvals = 0_u64;
    for s in stats {
        for (id, n) in s.updates {
            bump(&mut updates, id, n);
        }
        approvals = approvals.saturating_add(s.approvals);
    }
    ensure(approvals > 0, || {
        "no approval succeeded in the whole race".to_owned()
    })?;

    for row in &rows {
        let mut approved = Vec::new();
        for slot in row {
            let stored = store
                .load(Scope::Microsoft, slot.id)
                .context("load after the race")?;
            let successes = updates.get(&slot.id).copied().unwrap_or(0);
            let Some(stored) = stored else {
                same(
                    format_args!("updates of never-created claim {}", slot.id),
                    &successes,
                    &0,
                )?;
                holds(&store, &slot.open, None)?;
                continue;
            };
            same(
                format_args!(
                    "the version of claim {} after {successes} successful updates",
                    slot.id
                ),
                &stored.version.get(),
                &successes.saturating_add(1),
            )?;
            let state = stored.claim.as_association().map(|c| c.state());
            if state == Some(AssociationState::Approved) {
                approved.push(slot.id);
            }
            let open = matches!(
                state,
                Some(AssociationState::UnderReview | AssociationState::Approved)
            );
            holds(&store, &slot.open, open.then_some(slot.id))?;
        }
        let key = row.first().map(|s| &s.associated).context("a row")?;
        ensure(approved.len() <= 1, || {
            format!(
                "{} claims are stored approved on key {key}: {approved:?}",
                approved.len()
            )
        })?;
        holds(&store, key, approved.first().copied())?;
    }
    Ok(())
}

/// One thread of the key race.
fn key_worker<S: Store>(store: &S, rows: &[Vec<Slot>], thread: usize) -> Outcome<KeyStats> {
    let mut rng = Rng::new(thread);
    let mut stats = KeyStats::default();
    for _ in 0..RACE_ATTEMPTS {
        let row = rows.get(rng.below(rows.len())).context("a row")?;
        let slot = row.get(rng.below(row.len())).context("a slot")?;
        let arbitrate = rng.below(3) == 0;
        let Some(stored) = store.load(Scope::Microsoft, slot.id).context("load")? else {
            // Not created yet; a concurrent create of the same claim is an idempotent retry.
            store
                .commit(vec![Write::create(slot.under_review.clone())])
                .context(format_args!("creating claim {} under review", slot.id))?;
            continue;
        };
        let version = stored.version;
        let state = stored.claim.as_association().map(|c| c.state());
        match state {
            Some(AssociationState::UnderReview) => {
                let mut writes = vec![Write::update(slot.approved.clone(), version)];
                let mut superseded = None;
                if arbitrate
                    && let Some(holder) = store.holder(&slot.associated).context("holder")?
                    && holder != slot.id
                {
                    let other = row.iter().find(|s| s.id == holder).context(format_args!(
                        "the holder {holder} of {} is not a claim on that key",
                        slot.associated
                    ))?;
                    if let Some(held) = store.load(Scope::Microsoft, holder).context("load")?
                        && held.claim.as_association().map(|c| c.state())
                            == Some(AssociationState::Approved)
                    {
                        writes.push(Write::update(other.declined.clone(), held.version));
                        superseded = Some(holder);
                    }
                }
                match store.commit(writes.to_vec()) {
                    Ok(_) => {
                        bump(&mut stats.updates, slot.id, 1);
                        if let Some(holder) = superseded {
                            bump(&mut stats.updates, holder, 1);
                        }
                        stats.approvals = stats.approvals.saturating_add(1);
                    }
                    Err(StoreError::KeyHeld { key, holder }) => {
                        ensure(key == slot.associated && holder != slot.id, || {
                            format!(
                                "approving claim {} was refused because {holder} holds {key}",
                                slot.id
                            )
                        })?;
                    }
                    Err(error) => expect_conflict(&error, &writes)?,
                }
            }
            Some(AssociationState::Approved | AssociationState::Rejected) => {
                let next = if state == Some(AssociationState::Approved) {
                    &slot.declined
                } else {
                    &slot.under_review
                };
                let writes = [Write::update(next.clone(), version)];
                match store.commit(writes.to_vec()) {
                    Ok(_) => bump(&mut stats.updates, slot.id, 1),
                    Err(error) => expect_conflict(&error, &writes)?,
                }
            }
            _ => {
                return Err(Problem::new(format!(
                    "claim {} of partner {} loads in a state no thread wrote: {}",
                    slot.id,
                    slot.partner,
                    super::check::state_of(&stored.claim)
                )));
            }
        }
    }
    Ok(stats)
}

/// Fails unless `error` is a `Conflict` on one of `writes`, naming the version it expected
/// and another one.
fn expect_conflict(error: &StoreError, writes: &[Write]) -> Outcome {
    let StoreError::Conflict {
        claim,
        expected,
        actual,
    } = error
    else {
        return Err(Problem::new(format!(
            "a version-checked write failed with {}",
            describe_error(error)
        )));
    };
    let sent = writes
        .iter()
        .find(|w| w.claim.id() == *claim)
        .map(|w| w.expect);
    let named_ours = matches!(
        (sent, expected),
        (Some(Expect::Version(ours)), Some(named)) if ours == *named
    );
    ensure(named_ours && actual != expected, || {
        format!(
            "a conflict must name the version the write expected and another one: {}",
            describe_error(error)
        )
    })
}

/// One draft of the lost-update race.
struct Draft {
    id: ClaimId,
    partner: PartnerId,
    admin: Actor,
}

pub(super) fn race_no_lost_update<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let partners = partners()?;
    let mut drafts = Vec::with_capacity(RACE_KEYS);
    for k in 0..RACE_KEYS {
        let n = u128::try_from(k).context("draft number")?;
        let p = *partners
            .get(k.checked_rem(partners.len()).unwrap_or(0))
            .context("a partner")?;
        let id = claim_id(n.saturating_add(1))?;
        // Each draft starts with one PoE, at version 1.
        let claim = w.association(id, p, tenant(n)?, &["teams"], Stage::DraftWithPoe)?;
        super::check::create(&store, claim)?;
        drafts.push(Draft {
            id,
            partner: p,
            admin: w.admin(p)?,
        });
    }
    let at = w.at(2)?;

    let counts = race(&store, |store, thread| {
        let mut rng = Rng::new(thread.saturating_add(RACE_THREADS));
        let mut successes = BTreeMap::new();
        for attempt in 0..RACE_ATTEMPTS {
            let draft = drafts.get(rng.below(drafts.len())).context("a draft")?;
            let stored = store
                .load(Scope::Partner(draft.partner), draft.id)
                .context("load")?
                .context(format_args!("draft {} vanished", draft.id))?;
            let claim = stored.claim.as_association().context("an association")?;
            let reference = Text::parse(&format!("poe-{thread}-{attempt}.pdf")).context("text")?;
            let next = claim
                .transition(
                    &AssociationCommand::AttachPoe { reference },
                    &draft.admin,
                    at,
                    &w.catalog,
                )
                .context("attaching a PoE")?
                .claim;
            let writes = [Write::update(next, stored.version)];
            match store.commit(writes.to_vec()) {
                Ok(versions) => {
                    same(
                        format_args!(
                            "the versions of an update of {} at {}",
                            draft.id, stored.version
                        ),
                        &versions,
                        &vec![stored.version.next()],
                    )?;
                    bump(&mut successes, draft.id, 1);
                }
                Err(error) => expect_conflict(&error, &writes)?,
            }
        }
        Ok(successes)
    })?;
    let mut successes = BTreeMap::new();
    for thread in counts {
        for (id, n) in thread {
            bump(&mut successes, id, n);
        }
    }
    let total: u64 = successes.values().fold(0, |a, b| a.saturating_add(*b));
    ensure(total > 0, || {
        "no update succeeded in the whole race".to_owned()
    })?;
    for draft in &drafts {
        let n = successes.get(&draft.id).copied().unwrap_or(0);
        let stored = load(&store, draft.id)?;
        same(
            format_args!(
                "the version of draft {} after {n} successful updates",
                draft.id
            ),
            &stored.version,
            &Version::new(n.saturating_add(1)),
        )?;
        let poe = stored.claim.as_association().map(|c| c.poe().len());
        same(
            format_args!(
                "the PoE count of draft {} after {n} successful updates",
                draft.id
            ),
            &poe.and_then(|p| u64::try_from(p).ok()),
            &Some(n.saturating_add(1)),
        )?;
    }
    Ok(())
}
