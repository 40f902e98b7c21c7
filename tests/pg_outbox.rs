//! `PgStore`'s outbox and sweep leases: a commit's events come back from `lease_events` under
//! their IDs, a refused commit or an idempotent create files none, leases run out exactly and
//! acknowledged events are gone; concurrent callers, on two stores as two service instances,
//! never lease one event or take one due claim at the same time; and two instances sweeping
//! and delivering together expire each due claim once and deliver every event.
//!
//! Built without `CPOR_PG_URL`, every test is reported as ignored, with the reason.
#![cfg(all(feature = "postgres", feature = "testing"))]

mod common;
mod pg_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use cpor::Catalogs;
use cpor::activity::Nomination;
use cpor::association::{
    Acknowledgement, AssociationClaim, AssociationCommand, AssociationForm, AssociationState,
    InfoRequestReason,
};
use cpor::eligibility::{Action, InMemoryFacts};
use cpor::event::{Event, EventId};
use cpor::service::{Claims, Swept};
use cpor::store::{Claim, Leased, PgStore, Scope, Store, StoreError, Version, Write};
use cpor::{ClaimId, CustomerId, TenantId};

use common::mci::{WORKSHOP, company_contact, contoso, customer_contact, engagement};
use common::{admin, catalog, claim_id, mws_form, reviewer, step, t0, text};
use pg_support::Schema;

const LEASE: StdDuration = StdDuration::from_secs(30);

/// A tenant of its own for claim `n`, so that claims do not hold each other's keys.
fn tenant_text(n: u128) -> String {
    format!("{:08x}-86f1-41af-91ab-2d7cd011db47", n)
}

fn form_for(n: u128) -> AssociationForm {
    AssociationForm {
        tenant: tenant_text(n),
        ..mws_form()
    }
}

/// The create of draft `n` at `t0()`, with its events.
fn create_write(n: u128) -> Write {
    let made =
        AssociationClaim::create(claim_id(n), &form_for(n), &admin(), t0(), &catalog()).unwrap();
    assert!(!made.events.is_empty());
    Write::create(made.claim).with_events(made.events)
}

/// The update of `claim` at `version` by attaching a proof of execution, with its events.
fn attach_poe(claim: &Claim, version: Version, hour: i64) -> Write {
    let Claim::Association(claim) = claim else {
        panic!("not an association claim");
    };
    let command = AssociationCommand::AttachPoe {
        reference: text(&format!("sow-{hour}.pdf")),
    };
    let t = claim
        .transition(&command, &admin(), t0() + Duration::hours(hour), &catalog())
        .unwrap();
    assert!(!t.events.is_empty());
    Write::update(t.claim, version).with_events(t.events)
}

/// Claim `n` waiting for the partner's answer to an information request: due once its
/// deadline has passed.
fn waiting(n: u128) -> AssociationClaim {
    let mut at = t0();
    let mut claim = AssociationClaim::create(claim_id(n), &form_for(n), &admin(), at, &catalog())
        .unwrap()
        .claim;
    for (command, actor) in waiting_path() {
        at += Duration::hours(1);
        claim = step(&claim, command, &actor, at);
    }
    assert_eq!(claim.state(), AssociationState::PartnerActionRequired);
    claim
}

/// The commands from a draft to an information request.
fn waiting_path() -> Vec<(AssociationCommand, cpor::Actor)> {
    use AssociationCommand as C;
    vec![
        (
            C::AttachPoe {
                reference: text("sow-signed.pdf"),
            },
            admin(),
        ),
        (
            C::Submit {
                acknowledgement: Acknowledgement::Given,
            },
            admin(),
        ),
        (C::StartReview, reviewer()),
        (
            C::RequestInfo {
                reason: InfoRequestReason::MissingOrOldDates,
            },
            reviewer(),
        ),
    ]
}

/// The IDs and events a commit of `writes` filed, given the versions it returned.
fn filed(writes: &[Write], versions: &[Version]) -> Vec<(EventId, Event)> {
    writes
        .iter()
        .zip(versions)
        .flat_map(|(w, v)| w.numbered_events(*v).map(|(id, e)| (id, e.clone())))
        .collect()
}

fn pairs(leased: &[Leased]) -> Vec<(EventId, Event)> {
    leased.iter().map(|l| (l.id, l.event.clone())).collect()
}

fn outbox_rows(schema: &Schema) -> i64 {
    schema
        .client()
        .query_one("SELECT count(*) FROM outbox", &[])
        .unwrap()
        .get(0)
}

/// A moment with nanoseconds below the microsecond, which the store keeps exactly.
fn odd_now() -> DateTime<Utc> {
    t0() + Duration::nanoseconds(123_456_789)
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn a_commits_events_come_back_with_their_ids_and_content() {
    let url = url_or_skip!("a_commits_events_come_back_with_their_ids_and_content");
    let schema = Schema::new(&url);
    let store = schema.store();
    let mut expected = Vec::new();

    // One create: the one-statement commit.
    let one = vec![create_write(1)];
    let versions = store.commit(one.clone()).unwrap();
    expected.extend(filed(&one, &versions));
    // Two creates: the transaction of creates only.
    let two = vec![create_write(2), create_write(3)];
    let versions = store.commit(two.clone()).unwrap();
    expected.extend(filed(&two, &versions));
    // An update and a create: the transaction with updates.
    let mixed = vec![
        attach_poe(&one[0].claim, Version::FIRST, 1),
        create_write(4),
    ];
    let versions = store.commit(mixed.clone()).unwrap();
    assert_eq!(versions, [Version::new(2), Version::FIRST]);
    expected.extend(filed(&mixed, &versions));
    assert!(
        expected
            .iter()
            .any(|(id, _)| id.claim == claim_id(1) && id.version == Version::new(2))
    );

    let now = odd_now();
    let leased = store.lease_events(now, LEASE, 100).unwrap();
    assert_eq!(pairs(&leased), expected, "oldest first, under their IDs");
    let until = now + Duration::from_std(LEASE).unwrap();
    for l in &leased {
        assert_eq!(l.attempt, 1);
        assert_eq!(l.leased_until, until, "the lease's end, exactly");
        assert_eq!(l.claim(), l.id.claim);
    }
    // The other instance sees them leased.
    let other = schema.store();
    assert!(other.lease_events(now, LEASE, 100).unwrap().is_empty());
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn a_refused_commit_files_no_event() {
    let url = url_or_skip!("a_refused_commit_files_no_event");
    let schema = Schema::new(&url);
    let store = schema.store();
    let first = vec![create_write(1)];
    let v = store.commit(first.clone()).unwrap();
    let mut expected = filed(&first, &v);
    let update = vec![attach_poe(&first[0].claim, Version::FIRST, 1)];
    let v = store.commit(update.clone()).unwrap();
    expected.extend(filed(&update, &v));
    let rows = outbox_rows(&schema);

    // A stale version.
    let stale = attach_poe(&first[0].claim, Version::FIRST, 2);
    let err = store.commit(vec![stale.clone()]).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    // A key held by claim 1: alone (the one-statement commit), with another create, and
    // with an update that would have landed.
    let clash = {
        let made = AssociationClaim::create(claim_id(9), &form_for(1), &admin(), t0(), &catalog())
            .unwrap();
        Write::create(made.claim).with_events(made.events)
    };
    let err = store.commit(vec![clash.clone()]).unwrap_err();
    assert!(matches!(err, StoreError::KeyHeld { holder, .. } if holder == claim_id(1)));
    let err = store
        .commit(vec![create_write(5), clash.clone()])
        .unwrap_err();
    assert!(matches!(err, StoreError::KeyHeld { .. }), "{err}");
    let err = store
        .commit(vec![
            attach_poe(&update[0].claim, Version::new(2), 3),
            clash,
        ])
        .unwrap_err();
    assert!(matches!(err, StoreError::KeyHeld { .. }), "{err}");
    // The same claim twice.
    let err = store
        .commit(vec![create_write(6), create_write(6)])
        .unwrap_err();
    assert!(matches!(err, StoreError::DuplicateWrite { .. }), "{err}");

    assert_eq!(
        outbox_rows(&schema),
        rows,
        "no refused commit filed an event"
    );
    let leased = store.lease_events(odd_now(), LEASE, 100).unwrap();
    assert_eq!(pairs(&leased), expected);
    assert!(store.load(Scope::Microsoft, claim_id(5)).unwrap().is_none());
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn an_idempotent_create_files_no_event_again() {
    let url = url_or_skip!("an_idempotent_create_files_no_event_again");
    let schema = Schema::new(&url);
    let store = schema.store();
    let one = create_write(1);
    let v = store.commit(vec![one.clone()]).unwrap();
    let mut expected = filed(std::slice::from_ref(&one), &v);
    let rows = outbox_rows(&schema);

    // Alone, then with a new create in one transaction.
    assert_eq!(store.commit(vec![one.clone()]).unwrap(), [Version::FIRST]);
    assert_eq!(outbox_rows(&schema), rows);
    let both = vec![one, create_write(2)];
    let v = store.commit(both.clone()).unwrap();
    assert_eq!(v, [Version::FIRST, Version::FIRST]);
    expected.extend(filed(&both[1..], &v[1..]));

    let leased = store.lease_events(odd_now(), LEASE, 100).unwrap();
    assert_eq!(pairs(&leased), expected);
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn leases_run_out_exactly_and_acknowledged_events_are_gone() {
    let url = url_or_skip!("leases_run_out_exactly_and_acknowledged_events_are_gone");
    let schema = Schema::new(&url);
    let store = schema.store();
    let writes: Vec<Write> = (1..=3).map(create_write).collect();
    let mut all = Vec::new();
    for w in writes {
        let v = store.commit(vec![w.clone()]).unwrap();
        all.extend(filed(std::slice::from_ref(&w), &v));
    }
    assert!(all.len() >= 3);
    let ids: Vec<EventId> = all.iter().map(|(id, _)| *id).collect();

    let now = odd_now();
    let lease = Duration::from_std(LEASE).unwrap();
    let first = store.lease_events(now, LEASE, 2).unwrap();
    assert_eq!(pairs(&first), all[..2]);
    let rest = store.lease_events(now, LEASE, 100).unwrap();
    assert_eq!(pairs(&rest), all[2..]);
    // Not again before the lease runs out, by a nanosecond.
    let just_before = now + lease - Duration::nanoseconds(1);
    assert!(
        store
            .lease_events(just_before, LEASE, 100)
            .unwrap()
            .is_empty()
    );
    // Again when it runs out, oldest first, one more attempt; `limit` 0 counts as 1.
    let again = store.lease_events(now + lease, LEASE, 0).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, ids[0]);
    assert_eq!(again[0].attempt, 2);
    assert_eq!(again[0].leased_until, now + lease + lease);

    // Acknowledging removes, whoever holds the lease; repeats and unknown IDs are ignored.
    let unknown = EventId {
        claim: claim_id(77),
        version: Version::FIRST,
        index: 0,
    };
    let huge = EventId {
        claim: claim_id(1),
        version: Version::new(u64::MAX),
        index: u32::MAX,
    };
    let other = schema.store();
    assert_eq!(
        other
            .acknowledge(&[ids[0], ids[0], unknown, huge, ids[1]])
            .unwrap(),
        2
    );
    assert_eq!(other.acknowledge(&[ids[0]]).unwrap(), 0);
    assert_eq!(other.acknowledge(&[]).unwrap(), 0);
    let later = store
        .lease_events(now + Duration::days(1), LEASE, 100)
        .unwrap();
    assert_eq!(pairs(&later), all[2..]);
    assert!(later.iter().all(|l| l.attempt == 2));
    assert_eq!(store.acknowledge(&ids).unwrap(), all.len() - 2);
    assert_eq!(outbox_rows(&schema), 0);
    assert!(
        store
            .lease_events(now + Duration::days(9), LEASE, 100)
            .unwrap()
            .is_empty()
    );
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn an_event_that_does_not_read_back_fails_the_lease_and_leases_nothing() {
    let url = url_or_skip!("an_event_that_does_not_read_back_fails_the_lease_and_leases_nothing");
    let schema = Schema::new(&url);
    let store = schema.store();
    store.commit(vec![create_write(1)]).unwrap();
    store.commit(vec![create_write(2)]).unwrap();
    let client = schema.client();
    client
        .execute(
            "UPDATE outbox SET event = jsonb_set(event, '{family}', '\"pottery\"')
             WHERE seq = (SELECT max(seq) FROM outbox)",
            &[],
        )
        .unwrap();

    let err = store.lease_events(odd_now(), LEASE, 100).unwrap_err();
    assert_eq!(err.code(), "store.corrupt");
    let StoreError::Corrupt { claim, what } = &err else {
        panic!("{err}");
    };
    assert_eq!(*claim, Some(claim_id(2)));
    let message = err.to_string();
    assert!(message.contains("does not read as an event"), "{message}");
    assert!(message.contains("pottery"), "{message}");
    assert!(what.chars().count() <= 203, "{message}");
    for sql in ["SELECT", "UPDATE", "outbox o", "$1"] {
        assert!(!message.contains(sql), "{message}");
    }
    // Nothing was leased: not the good event either.
    let leased: i64 = client
        .query_one(
            "SELECT count(*) FROM outbox WHERE leased_until IS NOT NULL OR attempts > 0",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(leased, 0);
    // Leasing the good one alone works.
    let good = store.lease_events(odd_now(), LEASE, 1).unwrap();
    assert_eq!(good.len(), 1);
    assert_eq!(good[0].id.claim, claim_id(1));
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn concurrent_workers_on_two_instances_never_lease_one_event_twice() {
    let url = url_or_skip!("concurrent_workers_on_two_instances_never_lease_one_event_twice");
    let schema = Schema::new(&url);
    let stores = [schema.store(), schema.store()];
    let mut all = BTreeSet::new();
    for chunk in (1..=120_u128).collect::<Vec<_>>().chunks(10) {
        let writes: Vec<Write> = chunk.iter().map(|n| create_write(*n)).collect();
        let v = stores[0].commit(writes.clone()).unwrap();
        all.extend(filed(&writes, &v).into_iter().map(|(id, _)| id));
    }
    let now = odd_now();
    let taken: Mutex<Vec<EventId>> = Mutex::new(Vec::new());
    let start = Barrier::new(4);
    std::thread::scope(|s| {
        for worker in 0..4 {
            let (store, taken, start) = (&stores[worker % 2], &taken, &start);
            s.spawn(move || {
                start.wait();
                loop {
                    let batch = store.lease_events(now, LEASE, 7).unwrap();
                    if batch.is_empty() {
                        break;
                    }
                    assert!(batch.iter().all(|l| l.attempt == 1));
                    assert!(batch.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
                    taken.lock().unwrap().extend(batch.iter().map(|l| l.id));
                }
            });
        }
    });
    let taken = taken.into_inner().unwrap();
    let distinct: BTreeSet<EventId> = taken.iter().copied().collect();
    assert_eq!(distinct.len(), taken.len(), "an event was leased twice");
    assert_eq!(distinct, all);
}

/// How many claims the take race shares, between how many callers, how many at a time.
const DUE: u128 = 200;
const TAKERS: usize = 4;
const TAKE: usize = 7;

/// How many claims are due at `$1` (whole microseconds) and free of any lease.
const FREE_DUE: &str = "SELECT count(*) FROM claims
    WHERE next_deadline <= $1 AND (swept_until IS NULL OR swept_until <= $1)";

/// Due claims `1..=n`, imported, and a draft (`n + 1`) with no deadline.
fn import_due(store: &PgStore, n: u128) -> DateTime<Utc> {
    let mut claims: Vec<Claim> = (1..=n).map(|i| Claim::from(waiting(i))).collect();
    let deadline = claims[0].next_deadline().unwrap();
    assert!(claims.iter().all(|c| c.next_deadline() == Some(deadline)));
    claims.push(Claim::from(
        AssociationClaim::create(
            claim_id(n + 1),
            &form_for(n + 1),
            &admin(),
            t0(),
            &catalog(),
        )
        .unwrap()
        .claim,
    ));
    assert!(store.import(claims).unwrap().is_complete());
    deadline
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn take_due_gives_each_due_claim_to_one_caller_while_its_lease_runs() {
    let url = url_or_skip!("take_due_gives_each_due_claim_to_one_caller_while_its_lease_runs");
    let schema = Schema::new(&url);
    let stores = [schema.store(), schema.store()];
    let deadline = import_due(&stores[0], DUE);
    let due: Vec<ClaimId> = (1..=DUE).map(claim_id).collect();
    let lease = StdDuration::from_secs(60);
    assert!(
        stores[0]
            .take_due(deadline - Duration::nanoseconds(1), lease, 100)
            .unwrap()
            .is_empty()
    );

    let now = deadline + Duration::microseconds(1);
    let taken: Mutex<Vec<Vec<ClaimId>>> = Mutex::new(Vec::new());
    let start = Barrier::new(TAKERS);
    std::thread::scope(|s| {
        for worker in 0..TAKERS {
            let (store, taken, start, schema) = (&stores[worker % 2], &taken, &start, &schema);
            s.spawn(move || {
                let client = schema.client();
                start.wait();
                loop {
                    let batch = store.take_due(now, lease, TAKE).unwrap();
                    if batch.is_empty() {
                        // Nothing taken means nothing free but what the other callers were
                        // taking at that moment (their batches, not yet committed, which
                        // this count may still see as free): a caller that met leases
                        // committed while it ran still takes what is free.
                        let free: i64 = client.query_one(FREE_DUE, &[&now]).unwrap().get(0);
                        let in_flight = i64::try_from((TAKERS - 1) * TAKE).unwrap();
                        assert!(free <= in_flight, "empty with {free} claims free");
                        break;
                    }
                    assert!(batch.len() <= TAKE);
                    assert!(batch.windows(2).all(|w| w[0] < w[1]), "in seq order");
                    taken.lock().unwrap().push(batch);
                }
            });
        }
    });
    let taken: Vec<ClaimId> = taken.into_inner().unwrap().concat();
    let distinct: BTreeSet<ClaimId> = taken.iter().copied().collect();
    assert_eq!(distinct.len(), taken.len(), "a claim was taken twice");
    assert_eq!(distinct, due.iter().copied().collect());

    // Held until the lease runs out, to the nanosecond; then taken again, in seq order.
    let lease_c = Duration::from_std(lease).unwrap();
    assert!(
        stores[1]
            .take_due(now + lease_c - Duration::nanoseconds(1), lease, 100)
            .unwrap()
            .is_empty()
    );
    // Some stop being due meanwhile (expired, their lease still on their row).
    for id in &due[..30] {
        let stored = stores[0].load(Scope::Microsoft, *id).unwrap().unwrap();
        let Claim::Association(claim) = &stored.claim else {
            panic!("not an association");
        };
        let t = claim.expire(now, &catalog()).unwrap().unwrap();
        stores[0]
            .commit(vec![
                Write::update(t.claim, stored.version).with_events(t.events),
            ])
            .unwrap();
    }
    let again = stores[1].take_due(now + lease_c, lease, 1_000).unwrap();
    assert_eq!(again, due[30..]);
}

// ---- Two service instances sweeping and delivering together ----

const ASSOCIATIONS: u128 = 100;
const ACTIVITIES: u128 = 1_100;

fn tenant(n: u128) -> TenantId {
    tenant_text(n).parse().unwrap()
}

/// The partner is enrolled in the workshop, and each activity claim's tenant is eligible for
/// it and owns contoso.com's email.
fn facts() -> InMemoryFacts {
    let mut facts = InMemoryFacts::new().enrolled(common::partner(), engagement(WORKSHOP));
    for n in ASSOCIATIONS + 1..=ASSOCIATIONS + ACTIVITIES {
        facts = facts
            .eligible(CustomerId::Tenant(tenant(n)), engagement(WORKSHOP))
            .with_email_domains(tenant(n), [contoso()]);
    }
    facts
}

/// The events the service returned, by ID.
type Returned = BTreeMap<EventId, Event>;

/// Makes claim `n` through `claims` (an association waiting for an answer, or an activity
/// awaiting consent), and keeps the events each action returned.
fn make(claims: &Claims<PgStore>, n: u128, facts: &InMemoryFacts, returned: &mut Returned) {
    let at = t0();
    if n <= ASSOCIATIONS {
        let made = claims
            .create_association(claim_id(n), &form_for(n), &admin(), at)
            .unwrap();
        returned.extend(made.events.into_iter().map(|e| (e.id, e.event.into())));
        for (i, (command, actor)) in waiting_path().into_iter().enumerate() {
            let hour = i64::try_from(i).unwrap() + 1;
            let done = claims
                .association(claim_id(n), &command, &actor, at + Duration::hours(hour))
                .unwrap();
            returned.extend(done.events.into_iter().map(|e| (e.id, e.event.into())));
        }
    } else {
        let nomination = Nomination {
            name: text("Contoso workshop"),
            partner: common::partner(),
            customer: CustomerId::Tenant(tenant(n)),
            customer_contact: customer_contact(),
            company_contact: company_contact(),
            mismatch_reason: None,
            engagements: vec![(engagement(WORKSHOP), claim_id(n))],
            hours: None,
        };
        for made in claims
            .nominate(&nomination, Action::Add, &admin(), at, facts)
            .unwrap()
        {
            returned.extend(made.events.into_iter().map(|e| (e.id, e.event.into())));
        }
    }
}

fn swept_events(swept: &[Swept], returned: &mut Returned) -> Vec<(ClaimId, Version)> {
    let mut claims = Vec::new();
    for s in swept {
        match s {
            Swept::Association(o) => {
                claims.push((o.claim.id(), o.version));
                returned.extend(o.events.iter().map(|e| (e.id, e.event.clone().into())));
            }
            Swept::Activity(o) => {
                claims.push((o.claim.id(), o.version));
                returned.extend(o.events.iter().map(|e| (e.id, e.event.clone().into())));
            }
        }
    }
    claims
}

/// Leases, records and acknowledges events until `done` was set before a lease that found
/// none.
fn deliver(store: &PgStore, done: &AtomicBool, delivered: &Mutex<Vec<(EventId, Event)>>) {
    loop {
        let finished = done.load(Ordering::SeqCst);
        let batch = store.lease_events(Utc::now(), LEASE, 100).unwrap();
        if batch.is_empty() {
            if finished {
                return;
            }
            std::thread::sleep(StdDuration::from_millis(2));
            continue;
        }
        let ids: Vec<EventId> = batch.iter().map(|l| l.id).collect();
        delivered.lock().unwrap().extend(pairs(&batch));
        assert_eq!(store.acknowledge(&ids).unwrap(), ids.len());
    }
}

#[test]
#[cfg_attr(
    not(cpor_pg),
    ignore = "CPOR_PG_URL was unset when the tests were built: no PostgreSQL server"
)]
fn two_instances_sweep_and_deliver_together() {
    let test = "two_instances_sweep_and_deliver_together";
    let url = url_or_skip!(test);
    let schema = Schema::new(&url);
    let instances = [
        Claims::new(schema.store(), Catalogs::builtin()),
        Claims::new(schema.store(), Catalogs::builtin()),
    ];
    let facts = facts();
    let all: Vec<u128> = (1..=ASSOCIATIONS + ACTIVITIES).collect();
    let sweep_at = t0() + Duration::days(400);
    let done = AtomicBool::new(false);
    let delivered: Mutex<Vec<(EventId, Event)>> = Mutex::new(Vec::new());
    let start_sweep = Barrier::new(2);

    // Each instance makes half the claims, then both sweep at once; each delivers all along.
    let (made, swept) = std::thread::scope(|s| {
        let deliverers: Vec<_> = instances
            .iter()
            .map(|claims| {
                let (done, delivered) = (&done, &delivered);
                s.spawn(move || deliver(claims.store(), done, delivered))
            })
            .collect();
        let workers: Vec<_> = instances
            .iter()
            .enumerate()
            .map(|(i, claims)| {
                let (facts, all, start_sweep) = (&facts, &all, &start_sweep);
                s.spawn(move || {
                    let mut returned = Returned::new();
                    for n in all.iter().skip(i).step_by(2) {
                        make(claims, *n, facts, &mut returned);
                    }
                    start_sweep.wait();
                    let swept = claims.sweep(sweep_at, facts).unwrap();
                    (returned, swept)
                })
            })
            .collect();
        let results: Vec<(Returned, Vec<Swept>)> =
            workers.into_iter().map(|w| w.join().unwrap()).collect();
        done.store(true, Ordering::SeqCst);
        for d in deliverers {
            d.join().unwrap();
        }
        let mut made = Returned::new();
        let mut swept = Vec::new();
        for (returned, s) in results {
            made.extend(returned);
            swept.push(s);
        }
        (made, swept)
    });

    // Each due claim expired exactly once: the sweeps are disjoint, together cover every
    // claim, and each claim is one version past what its making left.
    let mut returned = made.clone();
    let a = swept_events(&swept[0], &mut returned);
    let b = swept_events(&swept[1], &mut returned);
    let ids_a: BTreeSet<ClaimId> = a.iter().map(|(id, _)| *id).collect();
    let ids_b: BTreeSet<ClaimId> = b.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids_a.len(), a.len());
    assert_eq!(ids_b.len(), b.len());
    assert!(ids_a.is_disjoint(&ids_b), "a claim was swept by both");
    // Both started at once, 32 claims a batch: each found work, and none stopped early.
    assert!(!a.is_empty() && !b.is_empty(), "{} + {}", a.len(), b.len());
    let every: BTreeSet<ClaimId> = all.iter().map(|n| claim_id(*n)).collect();
    assert_eq!(&ids_a | &ids_b, every);
    let store = instances[0].store();
    for (id, version) in a.iter().chain(&b) {
        let before = if id.as_uuid().as_u128() <= ASSOCIATIONS {
            5
        } else {
            1
        };
        assert_eq!(*version, Version::new(before + 1), "{id}");
        let now = store.load(Scope::Microsoft, *id).unwrap().unwrap();
        assert_eq!(now.version, *version, "{id}");
        assert!(now.claim.next_deadline().is_none(), "{id}");
    }

    // Every event of every commit was delivered, as returned, and nothing else.
    let delivered = delivered.into_inner().unwrap();
    let mut once = Returned::new();
    let mut repeats = 0_usize;
    for (id, event) in &delivered {
        assert_eq!(returned.get(id), Some(event), "{id}");
        if once.insert(*id, event.clone()).is_some() {
            repeats += 1;
        }
    }
    assert_eq!(once, returned);
    // And the outbox is empty.
    assert!(
        store
            .lease_events(Utc::now() + Duration::days(2), LEASE, 1_000)
            .unwrap()
            .is_empty()
    );
    assert_eq!(outbox_rows(&schema), 0);

    let _ = writeln!(
        std::io::stdout(),
        "{test}: {} claims made with {} events; swept {} + {} = {} claims, {} events; \
         {} deliveries, {} repeated",
        every.len(),
        made.len(),
        a.len(),
        b.len(),
        a.len() + b.len(),
        returned.len() - made.len(),
        delivered.len(),
        repeats
    );
}
