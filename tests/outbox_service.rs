//! The outbox through the service: every event an action returns is in the store's outbox
//! under the same ID, an arbitration's events are filed under their own claims, and sweeps
//! running at once expire each due claim once.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cpor::association::{
    Acknowledgement, Arbitration, AssociationCommand as C, AssociationEvent, InfoRequestReason,
};
use cpor::event::{Event, EventId};
use cpor::service::{Claims, Outcome, Swept};
use cpor::store::{InMemoryStore, Store};
use cpor::{Actor, AssociationForm, Catalogs, ClaimId};

use common::*;

/// Every event an outcome returned, by ID.
fn record<C, E: Clone + Into<Event>>(into: &mut BTreeMap<EventId, Event>, outcome: &Outcome<C, E>) {
    for emitted in &outcome.events {
        into.insert(emitted.id, emitted.event.clone().into());
    }
}

/// Every event the outbox holds, by ID (leased at a time when every lease has run out).
fn outbox<S: Store>(store: &S, now: DateTime<Utc>) -> BTreeMap<EventId, Event> {
    store
        .lease_events(now, Duration::from_secs(1), 1_000)
        .unwrap()
        .into_iter()
        .map(|l| (l.id, l.event))
        .collect()
}

/// A form for the customer tenant `n`.
fn form(n: u128) -> AssociationForm {
    AssociationForm {
        tenant: uuid::Uuid::from_u128(0x7e00_0000_0000_4000_8000_0000_0000_0000 + n).to_string(),
        ..mws_form()
    }
}

/// Creates, documents and submits a claim; records the events.
fn submitted(
    claims: &Claims<impl Store>,
    events: &mut BTreeMap<EventId, Event>,
    id: ClaimId,
    form: &AssociationForm,
    actor: &Actor,
) {
    let at = t0();
    record(
        events,
        &claims.create_association(id, form, actor, at).unwrap(),
    );
    let poe = C::AttachPoe {
        reference: text("sow.pdf"),
    };
    record(events, &claims.association(id, &poe, actor, at).unwrap());
    let submit = C::Submit {
        acknowledgement: Acknowledgement::Given,
    };
    record(events, &claims.association(id, &submit, actor, at).unwrap());
}

#[test]
fn every_event_returned_is_in_the_outbox_under_its_own_claim() {
    let claims = Claims::new(InMemoryStore::new(), Catalogs::builtin());
    let mut returned = BTreeMap::new();
    let (holder, winner) = (claim_id(1), claim_id(2));
    let other = admin_of(other_partner());
    submitted(&claims, &mut returned, holder, &form(1), &admin());
    submitted(&claims, &mut returned, winner, &form(1), &other);
    let at = t0();
    for id in [holder, winner] {
        record(
            &mut returned,
            &claims
                .association(id, &C::StartReview, &reviewer(), at)
                .unwrap(),
        );
    }
    let plain = C::Approve {
        arbitration: Arbitration::None,
    };
    record(
        &mut returned,
        &claims.association(holder, &plain, &reviewer(), at).unwrap(),
    );
    // The winner's approval supersedes the holder in one commit.
    let arbitrated = claims
        .association(
            winner,
            &C::Approve {
                arbitration: Arbitration::Supersedes(holder),
            },
            &reviewer(),
            at,
        )
        .unwrap();
    record(&mut returned, &arbitrated);
    let holder_events: Vec<_> = arbitrated
        .events
        .iter()
        .filter(|e| e.claim() == holder)
        .collect();
    assert!(
        holder_events
            .iter()
            .any(|e| matches!(e.event, AssociationEvent::AssociationEnded { .. })),
        "the holder's end is filed under the holder: {holder_events:?}"
    );
    assert!(
        arbitrated
            .events
            .iter()
            .filter(|e| e.claim() == winner)
            .all(|e| !matches!(e.event, AssociationEvent::AssociationEnded { .. })),
        "no end is filed under the winner"
    );
    for e in &holder_events {
        assert_eq!(
            e.id.version,
            claims.load(&reviewer(), holder).unwrap().version
        );
    }

    let later = at + chrono::Duration::days(1);
    let filed = outbox(claims.store(), later);
    assert!(
        filed.values().any(|e| matches!(
            e,
            Event::Association(AssociationEvent::CustomerNotified { .. })
        )),
        "the customer notification is in the outbox"
    );
    assert_eq!(
        filed, returned,
        "the outbox holds exactly the events returned"
    );
}

#[test]
fn sweeps_running_at_once_expire_each_claim_once() {
    let store = Arc::new(InMemoryStore::new());
    let claims: Vec<Claims<Arc<InMemoryStore>>> = (0..4)
        .map(|_| Claims::new(Arc::clone(&store), Catalogs::builtin()))
        .collect();
    let mut events = BTreeMap::new();
    let count = 120;
    for n in 1..=count {
        let partner = cpor::PartnerId::new(6_000_000 + u64::try_from(n).unwrap()).unwrap();
        submitted(
            &claims[0],
            &mut events,
            claim_id(n),
            &form(n),
            &admin_of(partner),
        );
        // A request for information: the claim is rejected if the partner does not answer
        // by its deadline.
        for command in [
            C::StartReview,
            C::RequestInfo {
                reason: InfoRequestReason::MissingAllPoe,
            },
        ] {
            claims[0]
                .association(claim_id(n), &command, &reviewer(), t0())
                .unwrap();
        }
    }
    let due: BTreeSet<ClaimId> = (1..=count).map(claim_id).collect();
    let versions_before: BTreeMap<ClaimId, u64> = due
        .iter()
        .map(|id| (*id, claims[0].load(&reviewer(), *id).unwrap().version.get()))
        .collect();
    let late = t0() + chrono::Duration::days(60);
    let facts = cpor::eligibility::InMemoryFacts::new();
    let swept: Vec<Vec<Swept>> = std::thread::scope(|scope| {
        let sweeps: Vec<_> = claims
            .iter()
            .map(|c| scope.spawn(|| c.sweep(late, &facts).unwrap()))
            .collect();
        sweeps.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut seen: BTreeMap<ClaimId, usize> = BTreeMap::new();
    for swept in &swept {
        for s in swept {
            let id = match s {
                Swept::Association(o) => o.claim.id(),
                Swept::Activity(o) => o.claim.id(),
            };
            *seen.entry(id).or_default() += 1;
        }
    }
    let shares: Vec<usize> = swept.iter().map(Vec::len).collect();
    println!("four sweeps at once over {count} due claims: each expired {shares:?}");
    assert_eq!(seen.keys().copied().collect::<BTreeSet<_>>(), due);
    assert!(seen.values().all(|n| *n == 1), "a claim expired twice");
    for (id, before) in versions_before {
        let after = claims[0].load(&reviewer(), id).unwrap().version.get();
        assert_eq!(
            after,
            before + 1,
            "claim {id} was written once by the sweeps"
        );
    }
}
