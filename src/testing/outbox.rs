//! The cases of the outbox ([`Store::lease_events`], [`Store::acknowledge`]) and of the
//! sweep's leases ([`Store::take_due`]).

use std::collections::BTreeMap;
use std::thread;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::StoreFactory;
use super::check::{Context, Outcome, Problem, ensure, refused, same, sorted};
use super::fixtures::{CAP_ONE, PARTNER_A, Stage, World, claim_id, partner, tenant};
use crate::activity::ActivityEvent;
use crate::association::AssociationEvent;
use crate::event::{Event, EventId};
use crate::id::{ClaimId, CustomerId, EmailAddress};
use crate::store::{Claim, Leased, Store, StoreError, Version, Write};

/// The lease the cases take: long enough that no lease runs out unless the case moves `now`.
const LEASE: Duration = Duration::from_secs(30);

/// How many events the outbox race shares out, and how many workers take them.
const RACE_EVENTS: usize = 300;
const RACE_WORKERS: usize = 4;

/// Three events for a write (of both families: the store keeps whatever it is given).
fn events(n: u32) -> Outcome<Vec<Event>> {
    Ok(vec![
        ActivityEvent::PayoutDue { amount: None }.into(),
        AssociationEvent::SupersedeHolder {
            holder: claim_id(u128::from(n))?,
        }
        .into(),
        ActivityEvent::ConsentEmailRequested {
            to: EmailAddress::parse("pat@contoso.com").context("an email address")?,
            reminder: n.is_multiple_of(2),
        }
        .into(),
    ])
}

/// The IDs of `events` written for `claim` at `version`.
fn ids(claim: ClaimId, version: Version, count: usize) -> Vec<EventId> {
    (0_u32..)
        .take(count)
        .map(|index| EventId {
            claim,
            version,
            index,
        })
        .collect()
}

/// Every pending event free at `now`, leased for [`LEASE`].
fn lease_all<S: Store + ?Sized>(store: &S, now: DateTime<Utc>) -> Outcome<Vec<Leased>> {
    store
        .lease_events(now, LEASE, crate::store::MAX_LEASE_BATCH)
        .context("lease_events")
}

/// `at` moved on by `by`.
fn later(at: DateTime<Utc>, by: TimeDelta) -> Outcome<DateTime<Utc>> {
    at.checked_add_signed(by).context("a time out of range")
}

fn leased_ids(leased: &[Leased]) -> Vec<EventId> {
    leased.iter().map(|l| l.id).collect()
}

/// An association draft of `n`: its own claim ID, tenant and keys.
fn draft(w: &World, n: u128) -> Outcome<Claim> {
    Ok(w.association(
        claim_id(n)?,
        partner(PARTNER_A)?,
        tenant(n)?,
        &["teams"],
        Stage::Draft,
    )?
    .into())
}

/// Creates `count` MCI nominations awaiting consent, each about its own customer; returns
/// their IDs in the order stored and a moment after every one of their deadlines.
fn nominations<S: Store + ?Sized>(
    store: &S,
    w: &World,
    count: u128,
) -> Outcome<(Vec<ClaimId>, DateTime<Utc>)> {
    let a = partner(PARTNER_A)?;
    let mut due = Vec::new();
    let mut latest = None;
    for n in 1..=count {
        let customer = CustomerId::Tenant(tenant(n)?);
        let claim: Claim = w.activity(claim_id(n)?, a, CAP_ONE, &customer, 0)?.into();
        let deadline = claim.next_deadline().context("a nomination's deadline")?;
        latest = latest.max(Some(deadline));
        due.push(claim.id());
        store.commit(vec![Write::create(claim)]).context("create")?;
    }
    let now = later(latest.context("a deadline")?, TimeDelta::seconds(1))?;
    Ok((due, now))
}

pub(super) fn commit_writes_its_events<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let now = w.at(1)?;
    let claim = draft(&w, 1)?;
    let id = claim.id();
    store
        .commit(vec![Write::create(claim.clone()).with_events(events(1)?)])
        .context("a create with events")?;
    let leased = lease_all(&store, now)?;
    same(
        "the IDs of a create's events",
        &leased_ids(&leased),
        &ids(id, Version::FIRST, 3),
    )?;
    same(
        "the events, as written",
        &leased.iter().map(|l| l.event.clone()).collect::<Vec<_>>(),
        &events(1)?,
    )?;
    for l in &leased {
        same(format_args!("the attempt of {}", l.id), &l.attempt, &1)?;
        ensure(l.leased_until > now, || {
            format!(
                "event {} is leased until {}, not after {now}",
                l.id, l.leased_until
            )
        })?;
    }
    // An update's events come under the version it gave the claim, after the create's.
    store
        .commit(vec![
            Write::update(claim.clone(), Version::FIRST).with_events(events(2)?),
        ])
        .context("an update with events")?;
    let later = lease_all(&store, now)?;
    same(
        "the IDs of an update's events (the create's are leased)",
        &leased_ids(&later),
        &ids(id, Version::FIRST.next(), 3),
    )?;
    // A write without events writes none.
    store
        .commit(vec![Write::update(claim, Version::new(2))])
        .context("an update without events")?;
    same(
        "events after a write without events",
        &lease_all(&store, now)?.len(),
        &0,
    )
}

pub(super) fn refused_commit_writes_no_event<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let now = w.at(1)?;
    let first = draft(&w, 1)?;
    store
        .commit(vec![Write::create(first.clone())])
        .context("the first draft")?;
    // A stale update, a held key, a duplicate write and an ID taken by other content.
    let stale = Write::update(first.clone(), Version::new(7)).with_events(events(1)?);
    refused(&store, &[stale], "a stale update")?;
    let same_key: Claim = w
        .association(
            claim_id(2)?,
            partner(PARTNER_A)?,
            tenant(1)?,
            &["teams"],
            Stage::Draft,
        )?
        .into();
    let held = Write::create(same_key).with_events(events(2)?);
    let fresh = Write::create(draft(&w, 3)?).with_events(events(3)?);
    refused(&store, &[fresh.clone(), held], "a create on a held key")?;
    refused(&store, &[fresh.clone(), fresh], "a duplicate write")?;
    let other_content: Claim = w
        .association(
            first.id(),
            partner(PARTNER_A)?,
            tenant(4)?,
            &["teams"],
            Stage::Draft,
        )?
        .into();
    let other = Write::create(other_content).with_events(events(4)?);
    refused(&store, &[other], "a create with a taken ID")?;
    same(
        "events after four refused commits",
        &leased_ids(&lease_all(&store, now)?),
        &vec![],
    )
}

pub(super) fn create_retry_writes_no_event_again<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let now = w.at(1)?;
    let claim = draft(&w, 1)?;
    let write = Write::create(claim.clone()).with_events(events(1)?);
    store.commit(vec![write.clone()]).context("the create")?;
    let leased = lease_all(&store, now)?;
    same(
        "acknowledged",
        &store.acknowledge(&leased_ids(&leased)).context("ack")?,
        &3,
    )?;
    let versions = store.commit(vec![write]).context("the retried create")?;
    same(
        "the retried create's version",
        &versions,
        &vec![Version::FIRST],
    )?;
    same(
        "events after a retried create",
        &leased_ids(&lease_all(&store, now)?),
        &vec![],
    )
}

pub(super) fn lease_runs_out_and_the_event_comes_back<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let now = w.at(1)?;
    let claim = draft(&w, 1)?;
    let id = claim.id();
    store
        .commit(vec![Write::create(claim).with_events(events(1)?)])
        .context("the create")?;
    let first = lease_all(&store, now)?;
    same("the first lease", &first.len(), &3)?;
    let during = later(now, TimeDelta::seconds(29))?;
    same(
        "events leased again while their lease runs",
        &leased_ids(&lease_all(&store, during)?),
        &vec![],
    )?;
    // One is acknowledged; the other two come back once the lease ran out, attempt 2.
    let acked = ids(id, Version::FIRST, 1);
    same(
        "acknowledged",
        &store.acknowledge(&acked).context("ack")?,
        &1,
    )?;
    let after = later(now, TimeDelta::seconds(31))?;
    let again = lease_all(&store, after)?;
    same(
        "events back after their lease",
        &leased_ids(&again),
        &ids(id, Version::FIRST, 3).split_off(1),
    )?;
    for l in &again {
        same(format_args!("the attempt of {}", l.id), &l.attempt, &2)?;
    }
    Ok(())
}

pub(super) fn acknowledge_removes_for_good<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let now = w.at(1)?;
    let claim = draft(&w, 1)?;
    let id = claim.id();
    store
        .commit(vec![Write::create(claim).with_events(events(1)?)])
        .context("the create")?;
    let all = ids(id, Version::FIRST, 3);
    // Acknowledged before it is leased, with an unknown ID and a repeat beside it.
    let mut acks = all.clone();
    acks.push(EventId {
        claim: claim_id(99)?,
        version: Version::FIRST,
        index: 0,
    });
    acks.push(all.first().copied().context("an event ID")?);
    same(
        "acknowledged",
        &store.acknowledge(&acks).context("ack")?,
        &3,
    )?;
    same(
        "acknowledged again",
        &store.acknowledge(&all).context("ack again")?,
        &0,
    )?;
    same(
        "an empty acknowledgement",
        &store.acknowledge(&[]).context("ack")?,
        &0,
    )?;
    let much_later = later(now, TimeDelta::days(2))?;
    same(
        "events after acknowledgement",
        &leased_ids(&lease_all(&store, much_later)?),
        &vec![],
    )
}

pub(super) fn lease_takes_the_oldest_first_in_batches<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let now = w.at(1)?;
    let mut expected = Vec::new();
    for n in 1..=4 {
        let claim = draft(&w, n)?;
        expected.extend(ids(claim.id(), Version::FIRST, 3));
        store
            .commit(vec![Write::create(claim).with_events(events(1)?)])
            .context("a create")?;
    }
    let mut got = Vec::new();
    loop {
        let batch = store.lease_events(now, LEASE, 5).context("a batch")?;
        ensure(batch.len() <= 5, || {
            format!("a lease of at most 5 returned {}", batch.len())
        })?;
        if batch.is_empty() {
            break;
        }
        got.extend(leased_ids(&batch));
        ensure(got.len() <= expected.len(), || {
            "the outbox handed out more events than were written".to_owned()
        })?;
    }
    same("the events in the order committed", &got, &expected)?;
    // A limit of 0 is raised to 1.
    let after = later(now, TimeDelta::minutes(1))?;
    same(
        "a lease of 0 after the leases ran out",
        &store
            .lease_events(after, LEASE, 0)
            .context("limit 0")?
            .len(),
        &1,
    )
}

pub(super) fn take_due_shares_the_due_claims<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (due, now) = nominations(&store, &w, 5)?;
    // A draft has no deadline and is never due.
    store
        .commit(vec![Write::create(draft(&w, 9)?)])
        .context("a draft")?;
    let before = w.at(0)?;
    same(
        "claims taken before any deadline",
        &store.take_due(before, LEASE, 100).context("take_due")?,
        &vec![],
    )?;
    let first = store.take_due(now, LEASE, 2).context("take_due")?;
    let second = store.take_due(now, LEASE, 2).context("take_due")?;
    let third = store.take_due(now, LEASE, 2).context("take_due")?;
    let fourth = store.take_due(now, LEASE, 2).context("take_due")?;
    let part = |range: std::ops::Range<usize>| due.get(range).map(<[ClaimId]>::to_vec);
    same(
        "the first batch, in the order stored",
        &Some(first),
        &part(0..2),
    )?;
    same("the second batch", &Some(second), &part(2..4))?;
    same("the third batch", &Some(third), &part(4..5))?;
    same("a batch once every due claim is taken", &fourth, &vec![])?;
    // Once the leases run out, the claims (still due) can be taken again.
    let after = later(now, TimeDelta::seconds(31))?;
    same(
        "claims taken again after their leases",
        &sorted(store.take_due(after, LEASE, 100).context("take_due")?),
        &sorted(due),
    )
}

pub(super) fn race_workers_share_the_outbox<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let now = w.at(1)?;
    let mut written = Vec::new();
    let claims = RACE_EVENTS / 3;
    for n in 1..=claims {
        let claim = draft(&w, u128::try_from(n).unwrap_or(u128::MAX))?;
        written.extend(ids(claim.id(), Version::FIRST, 3));
        store
            .commit(vec![Write::create(claim).with_events(events(1)?)])
            .context("a create")?;
    }
    // Each worker leases small batches and acknowledges each: with leases that never run
    // out, no event may reach two workers.
    let total = written.len();
    let barrier = std::sync::Barrier::new(RACE_WORKERS);
    let results: Vec<Result<Vec<EventId>, StoreError>> = thread::scope(|scope| {
        let workers: Vec<_> = (0..RACE_WORKERS)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    let mut first = true;
                    // More than every event: an event was handed out twice, stop.
                    while mine.len() <= total {
                        let batch = store.lease_events(now, LEASE, 7)?;
                        // Every worker holds its first batch before any acknowledges: they
                        // overlap at least once, whatever the scheduler does.
                        if std::mem::take(&mut first) {
                            barrier.wait();
                        }
                        if batch.is_empty() {
                            break;
                        }
                        let ids = leased_ids(&batch);
                        store.acknowledge(&ids)?;
                        mine.extend(ids);
                    }
                    Ok(mine)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Ok(Vec::new())))
            .collect()
    });
    let mut delivered: BTreeMap<EventId, usize> = BTreeMap::new();
    for result in results {
        for id in result.map_err(|e| Problem::new(format!("a worker failed: {e}")))? {
            let n = delivered.entry(id).or_default();
            *n = n.saturating_add(1);
        }
    }
    let twice: Vec<_> = delivered.iter().filter(|(_, n)| **n > 1).collect();
    ensure(twice.is_empty(), || {
        format!(
            "{} event(s) reached two workers within their lease",
            twice.len()
        )
    })?;
    same(
        "the events the workers took",
        &delivered.into_keys().collect::<Vec<_>>(),
        &{
            written.sort();
            written
        },
    )?;
    same(
        "events left after the race",
        &lease_all(&store, later(now, TimeDelta::days(2))?)?.len(),
        &0,
    )
}

pub(super) fn race_sweeps_share_the_due_claims<F: StoreFactory>(factory: &F) -> Outcome {
    let store = factory.make();
    let w = World::new()?;
    let (due, now) = nominations(&store, &w, 60)?;
    let total = due.len();
    let results: Vec<Result<Vec<ClaimId>, StoreError>> = thread::scope(|scope| {
        let sweeps: Vec<_> = (0..RACE_WORKERS)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    // More than every due claim: a claim was handed out twice, stop.
                    while mine.len() <= total {
                        let batch = store.take_due(now, LEASE, 3)?;
                        if batch.is_empty() {
                            break;
                        }
                        mine.extend(batch);
                    }
                    Ok(mine)
                })
            })
            .collect();
        sweeps
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Ok(Vec::new())))
            .collect()
    });
    let mut taken = Vec::new();
    for result in results {
        taken.extend(result.map_err(|e| Problem::new(format!("a sweep failed: {e}")))?);
    }
    same(
        "the claims the sweeps took, each once",
        &sorted(taken),
        &sorted(due),
    )
}
