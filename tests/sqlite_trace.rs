//! `SqliteStore`'s tracing: a `debug` span `cpor.store` per operation, with `store`, `op` and
//! `claim`, and an event with `elapsed_us` and `outcome`, through the blocking and the async
//! API; never an email or a name.
#![cfg(feature = "sqlite")]

mod common;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use common::*;
use cpor::association::AssociationClaim;
use cpor::store::{AsyncStore, Claim, PageRequest, Scope, SqliteStore, Store, Write};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

type Fields = BTreeMap<String, String>;

/// Every span (name and fields) and every event (fields) recorded, from every thread.
#[derive(Default)]
struct Recorded {
    spans: Mutex<Vec<(String, Fields)>>,
    events: Mutex<Vec<Fields>>,
}

struct Collect<'a>(&'a mut Fields);

impl Visit for Collect<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").replace('"', ""),
        );
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

#[derive(Clone)]
struct Capture(Arc<Recorded>);

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields::new();
        span.record(&mut Collect(&mut fields));
        let mut spans = self.0.spans.lock().unwrap();
        spans.push((span.metadata().name().to_owned(), fields));
        Id::from_u64(spans.len() as u64)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.0.spans.lock().unwrap();
        let index = usize::try_from(span.into_u64()).unwrap() - 1;
        values.record(&mut Collect(&mut spans[index].1));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::new();
        event.record(&mut Collect(&mut fields));
        self.0.events.lock().unwrap().push(fields);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

fn draft(n: u64) -> Claim {
    let partner = cpor::PartnerId::new(7_000_000 + n).unwrap();
    AssociationClaim::create(
        claim_id(u128::from(n) + 1),
        &mws_form(),
        &admin_of(partner),
        t0(),
        &catalog(),
    )
    .unwrap()
    .claim
    .into()
}

#[test]
fn each_operation_has_its_span_and_its_event_and_no_personal_data() {
    let recorded = Arc::new(Recorded::default());
    tracing::subscriber::set_global_default(Capture(Arc::clone(&recorded))).unwrap();
    let store = SqliteStore::open_in_memory().unwrap();
    let (first, second) = (draft(1), draft(2));

    // Blocking.
    Store::commit(&store, vec![Write::create(first.clone())]).unwrap();
    Store::load(&store, Scope::Microsoft, first.id()).unwrap();
    // Async, on a blocking thread of a multi-threaded runtime.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    runtime.block_on(async {
        AsyncStore::commit(&store, vec![Write::create(second.clone())])
            .await
            .unwrap();
        AsyncStore::load(&store, Scope::Microsoft, second.id())
            .await
            .unwrap();
        AsyncStore::by_partner(&store, second.partner(), PageRequest::default())
            .await
            .unwrap();
    });
    // A refusal records its code.
    let refused = Store::commit(
        &store,
        vec![Write::update(first.clone(), cpor::store::Version::new(9))],
    );
    assert!(refused.is_err());

    let spans = recorded.spans.lock().unwrap().clone();
    let store_spans: Vec<&Fields> = spans
        .iter()
        .filter(|(name, _)| name == "cpor.store")
        .map(|(_, fields)| fields)
        .collect();
    let ops: Vec<(&str, Option<&str>)> = store_spans
        .iter()
        .map(|f| {
            assert_eq!(f.get("store").map(String::as_str), Some("sqlite"));
            (
                f.get("op").map_or("", String::as_str),
                f.get("claim").map(String::as_str),
            )
        })
        .collect();
    let (one, two) = (first.id().to_string(), second.id().to_string());
    assert_eq!(
        ops,
        [
            ("commit", Some(one.as_str())),
            ("load", Some(one.as_str())),
            ("commit", Some(two.as_str())),
            ("load", Some(two.as_str())),
            ("by_partner", None),
            ("commit", Some(one.as_str())),
        ]
    );
    let events = recorded.events.lock().unwrap().clone();
    let outcomes: Vec<&str> = events
        .iter()
        .filter_map(|e| {
            assert!(e.contains_key("elapsed_us"), "{e:?}");
            e.get("outcome").map(String::as_str)
        })
        .collect();
    assert_eq!(outcomes, ["ok", "ok", "ok", "ok", "ok", "store.conflict"]);
    // No email, no name: nothing of the claims' contacts is recorded.
    let everything = format!("{spans:?} {events:?}");
    assert!(!everything.contains('@'), "{everything}");
    assert!(!everything.contains("Megan"), "{everything}");
    assert!(!everything.contains("Alex"), "{everything}");
}
