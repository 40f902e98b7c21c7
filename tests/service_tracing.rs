//! The service's tracing: each action's span carries the claim, the partner, the command kind,
//! the attempts and the outcome code, and nothing a person typed (no email address, no
//! name). A tiny subscriber records every span and event field.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use cpor::Catalogs;
use cpor::association::AssociationCommand as C;
use cpor::service::Claims;
use cpor::store::InMemoryStore;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Every field recorded, as (span or event name, field, value).
#[derive(Clone, Default)]
struct Recorder {
    fields: Arc<Mutex<Vec<(String, String, String)>>>,
    next: Arc<Mutex<u64>>,
    names: Arc<Mutex<Vec<(String, &'static Metadata<'static>)>>>,
    entered: Arc<Mutex<Vec<Id>>>,
}

struct Fields<'a>(&'a str, &'a mut Vec<(String, String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.1.push((
            self.0.to_owned(),
            field.name().to_owned(),
            format!("{value:?}"),
        ));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.1
            .push((self.0.to_owned(), field.name().to_owned(), value.to_owned()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut next = self.next.lock().unwrap();
        *next += 1;
        let name = span.metadata().name().to_owned();
        self.names
            .lock()
            .unwrap()
            .push((name.clone(), span.metadata()));
        span.record(&mut Fields(&name, &mut self.fields.lock().unwrap()));
        Id::from_u64(*next)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let names = self.names.lock().unwrap();
        let name = names
            .get(span.into_u64() as usize - 1)
            .map(|(name, _)| name.clone())
            .unwrap_or_default();
        values.record(&mut Fields(&name, &mut self.fields.lock().unwrap()));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        event.record(&mut Fields("event", &mut self.fields.lock().unwrap()));
    }

    fn enter(&self, span: &Id) {
        self.entered.lock().unwrap().push(span.clone());
    }

    fn exit(&self, _: &Id) {
        self.entered.lock().unwrap().pop();
    }

    fn current_span(&self) -> tracing_core::span::Current {
        let entered = self.entered.lock().unwrap();
        let names = self.names.lock().unwrap();
        match entered.last() {
            Some(id) => match names.get(id.into_u64() as usize - 1) {
                Some((_, metadata)) => tracing_core::span::Current::new(id.clone(), metadata),
                None => tracing_core::span::Current::none(),
            },
            None => tracing_core::span::Current::none(),
        }
    }
}

#[test]
fn actions_are_traced_with_ids_and_codes_but_no_personal_data() {
    let recorder = Recorder::default();
    let fields = Arc::clone(&recorder.fields);
    tracing::subscriber::with_default(recorder, || {
        let claims = Claims::new(InMemoryStore::new(), Catalogs::builtin());
        claims
            .create_association(claim_id(1), &mws_form(), &admin(), t0())
            .unwrap();
        let poe = C::AttachPoe {
            reference: text("sow.pdf"),
        };
        claims
            .association(claim_id(1), &poe, &admin(), t0())
            .unwrap();
        // Refused: a reviewer command from a partner.
        let _ = claims.association(claim_id(1), &C::StartReview, &admin(), t0());
    });
    let fields = fields.lock().unwrap();
    let has = |name: &str, value: &str| {
        fields
            .iter()
            .any(|(_, field, v)| field == name && v.contains(value))
    };
    assert!(has("action", "create_association"));
    assert!(has("action", "association"));
    assert!(has("claim", &claim_id(1).to_string()));
    assert!(has("partner", &partner().get().to_string()));
    assert!(has("command", "attach_poe"));
    assert!(has("attempts", "1"));
    assert!(has("outcome", "ok"));
    assert!(
        has("outcome", "association."),
        "a refusal records its code: {fields:?}"
    );
    assert!(fields.iter().any(|(_, field, _)| field == "elapsed_us"));
    for (span, field, value) in fields.iter() {
        assert!(
            !value.contains('@') && !value.contains("Megan") && !value.contains("Alex"),
            "{span}.{field} = {value} holds personal data"
        );
    }
}
