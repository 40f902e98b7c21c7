//! The acceptance test: the service started on `127.0.0.1:0`, driven over HTTP/1 like any
//! client would, over a temporary SQLite file and over the in-memory store.
//!
//! A CPOR claim goes from draft to official (the customer notified, the opt-out window
//! passing on the service's clock), another expires through the sweep loop, and an MCI claim
//! goes from nomination to consent; every event the responses named must reach the test
//! sink through the outbox. Along the way: 404 for another partner's claim, 400 and 422 for
//! bad input, 409 for a conflict, a replayed retry, the paged lists and `/health`.

mod support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use cpor::store::{AsyncStore, InMemoryStore, SqliteStore};
use cpor_service::{AppState, MemorySink, ServiceFacts, Sink};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use support::*;
use tokio::net::TcpListener;

fn form(name: &str, tenant: &str) -> Value {
    json!({
        "name": name,
        "tenant": tenant,
        "solution_area": "modern_work_security",
        "role": "use_or_consume",
        "workloads": ["teams"],
        "customer_contact": {"name": "Megan Bowen", "title": "CIO", "email": "megan@contoso.com"},
        "company_contact": {"name": "Alex Wilber", "email": "alex@fabrikam.com"}
    })
}

fn event_names(outcome: &Value) -> Vec<String> {
    outcome["events"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["event"]["event"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

/// A CPOR claim from draft to official, with the refusals along the way.
async fn cpor_draft_to_official(h: &Harness) {
    let id = "0c1a1d00-0000-4000-8000-000000000001";
    let path = format!("/associations/{id}/commands");
    let (status, created) = h
        .call(
            Method::POST,
            "/associations",
            ALEX,
            Some(json!({"id": id, "form": form("Contoso Teams rollout", TENANT)})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["claim"]["state"], "draft");

    // Submitting before a PoE is a conflict with the claim's state: 409, with the code.
    let submit = json!({"command": "submit", "acknowledgement": "given"});
    let (status, error) = h
        .call(Method::POST, &path, ALEX, Some(submit.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["code"], "association.poe_required");
    assert_eq!(error["kind"], "conflict");

    h.ok(
        &path,
        ALEX,
        json!({"command": "attach_poe", "reference": "sow.pdf"}),
    )
    .await;
    // A command that breaks a rule: 422; one that does not parse: 400.
    let withheld = json!({"command": "submit", "acknowledgement": "withheld"});
    let (status, error) = h.call(Method::POST, &path, ALEX, Some(withheld)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "association.acknowledgement_required");
    let (status, error) = h
        .call(Method::POST, &path, ALEX, Some(json!({"command": "fly"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["code"], "request.invalid_json");

    // Submitting notifies the customer; a retry with the same Idempotency-Key is replayed.
    let key = [("idempotency-key", "submit-0001")];
    let (status, submitted) = h
        .call_with(Method::POST, &path, ALEX, &key, Some(submit.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    assert_eq!(submitted["claim"]["state"], "submitted");
    let notified = submitted["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"]["event"] == "customer_notified")
        .expect("the customer notification")
        .clone();
    assert_eq!(notified["event"]["contact"], "megan@contoso.com");
    let opt_out_until = time(&notified["event"]["opt_out_until"]);
    let (status, again) = h
        .call_with(Method::POST, &path, ALEX, &key, Some(submit))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["replayed"], true);
    assert_eq!(again["events"], json!([]));

    // Another partner location's user is told it does not exist.
    let (status, error) = h
        .call(Method::GET, &format!("/associations/{id}"), NANCY, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert_eq!(error["code"], "service.not_found");

    h.ok(&path, REVIEWER, json!({"command": "start_review"}))
        .await;
    let approved = h
        .ok(
            &path,
            REVIEWER,
            json!({"command": "approve", "arbitration": "none"}),
        )
        .await;
    assert_eq!(approved["claim"]["state"], "approved");
    assert!(event_names(&approved).contains(&"association_started".to_owned()));

    let (_, view) = h
        .call(Method::GET, &format!("/associations/{id}"), ALEX, None)
        .await;
    assert_eq!(view["association"]["status"], "pending_opt_out", "{view}");
    let usage = format!("/partners/{FABRIKAM}/usage/{TENANT}");
    let (_, scope) = h.call(Method::GET, &usage, ALEX, None).await;
    assert_eq!(scope["grants"], json!([]), "no usage before it is official");

    // The opt-out window passes on the service's clock: the association is official.
    h.clock.skip_past(opt_out_until);
    let (_, view) = h
        .call(Method::GET, &format!("/associations/{id}"), ALEX, None)
        .await;
    assert_eq!(view["association"]["status"], "official", "{view}");
    let (_, scope) = h.call(Method::GET, &usage, ALEX, None).await;
    let grants = scope["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1, "{scope}");
    assert_eq!(grants[0]["unit"]["workload"], "teams", "{scope}");
    let (_, theirs) = h.call(Method::GET, &usage, NANCY, None).await;
    assert_eq!(theirs["grants"], json!([]));
}

/// An info request left unanswered is rejected by the sweep loop once its deadline passes.
async fn cpor_expires_through_the_sweep(h: &Harness) -> String {
    let id = "0c1a1d00-0000-4000-8000-000000000002";
    let path = format!("/associations/{id}/commands");
    let (status, _) = h
        .call(
            Method::POST,
            "/associations",
            ALEX,
            Some(json!({"id": id, "form": form("Fourth Coffee Teams", OTHER_TENANT)})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    h.ok(
        &path,
        ALEX,
        json!({"command": "attach_poe", "reference": "sow-2.pdf"}),
    )
    .await;
    h.ok(
        &path,
        ALEX,
        json!({"command": "submit", "acknowledgement": "given"}),
    )
    .await;
    h.ok(&path, REVIEWER, json!({"command": "start_review"}))
        .await;
    let asked = h
        .ok(
            &path,
            REVIEWER,
            json!({"command": "request_info", "reason": "missing_or_old_dates"}),
        )
        .await;
    assert_eq!(asked["claim"]["state"], "partner_action_required");
    let respond_by = asked["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"]["event"] == "info_requested")
        .map(|e| time(&e["event"]["respond_by"]))
        .expect("the info request");
    h.clock.skip_past(respond_by);
    let get = format!("/associations/{id}");
    h.eventually("the sweep to reject the claim", async || {
        let (_, view) = h.call(Method::GET, &get, ALEX, None).await;
        (view["claim"]["state"] == "rejected").then_some(())
    })
    .await;
    id.to_owned()
}

/// An MCI claim from nomination to consent.
async fn mci_nomination_to_consent(h: &Harness) -> String {
    let id = "0c1a1d00-0000-4000-8000-000000000003";
    let nomination = json!({
        "action": "add",
        "nomination": {
            "name": "Contoso Copilot readiness",
            "partner": FABRIKAM,
            "customer": format!("tenant:{TENANT}"),
            "customer_contact": {"name": "Megan Bowen", "title": "CIO", "email": "megan@contoso.com"},
            "company_contact": {"name": "Alex Wilber", "email": "alex@fabrikam.com"},
            "mismatch_reason": null,
            "engagements": [["copilot_readiness_assessment", id]],
            "hours": null
        }
    });
    let (status, made) = h
        .call(Method::POST, "/activities", ALEX, Some(nomination.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made.as_array().unwrap().len(), 1);
    // The same nomination again is answered from the store, not made twice.
    let (status, again) = h
        .call(Method::POST, "/activities", ALEX, Some(nomination))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again[0]["replayed"], true);

    let path = format!("/activities/{id}/commands");
    h.ok(
        &path,
        SYSTEM,
        json!({"command": "link_referral", "referral": "referral-8842"}),
    )
    .await;
    let asked = h
        .ok(
            &path,
            ALEX,
            json!({"command": "send_consent", "estimated_deal_size": "80000.00", "request_id": "consent-1"}),
        )
        .await;
    assert_eq!(asked["claim"]["state"], "awaiting_consent", "{asked}");
    let email = asked["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"]["event"] == "consent_email_requested")
        .expect("the consent email");
    assert_eq!(email["event"]["to"], "megan@contoso.com");

    // Only the customer consents; another partner cannot even see the claim.
    let (status, _) = h
        .call(
            Method::POST,
            &path,
            NANCY,
            Some(json!({"command": "accept_consent"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let consented = h
        .ok(&path, CONTOSO, json!({"command": "accept_consent"}))
        .await;
    assert_eq!(
        consented["claim"]["state"], "consent_received",
        "{consented}"
    );
    let (status, view) = h
        .call(Method::GET, &format!("/activities/{id}"), ALEX, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["claim"]["state"], "consent_received");

    let page = format!("/partners/{FABRIKAM}/engagements/copilot_readiness_assessment/customers");
    let (status, customers) = h.call(Method::GET, &page, ALEX, None).await;
    assert_eq!(status, StatusCode::OK, "{customers}");
    assert!(customers["eligible"].is_array());
    id.to_owned()
}

/// The lists, page by page, as the caller may see them.
async fn lists(h: &Harness) {
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = h
            .call(
                Method::GET,
                &format!("/partners/{FABRIKAM}/claims?limit=2&cursor={cursor}"),
                ALEX,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|s| s["claim"]["claim"]["id"].clone()));
        match page["next"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    let (_, mci) = h
        .call(
            Method::GET,
            &format!("/partners/{FABRIKAM}/claims?engagement=copilot_readiness_assessment"),
            ALEX,
            None,
        )
        .await;
    assert_eq!(mci["items"].as_array().unwrap().len(), 1);
    let (_, theirs) = h
        .call(
            Method::GET,
            &format!("/partners/{FABRIKAM}/claims"),
            NANCY,
            None,
        )
        .await;
    assert_eq!(theirs["items"], json!([]));
    let (_, about) = h
        .call(
            Method::GET,
            &format!("/customers/tenant:{TENANT}/claims"),
            CONTOSO,
            None,
        )
        .await;
    assert_eq!(about["items"].as_array().unwrap().len(), 2, "{about}");
    let (status, error) = h
        .call(
            Method::GET,
            &format!("/partners/{FABRIKAM}/claims?cursor=x"),
            ALEX,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "page.cursor");
}

/// Bad actors and paths: 400 with the validator's code.
async fn bad_input(h: &Harness) {
    const ZERO: As = &[("x-cpor-partner", "0"), ("x-cpor-user", "a@b.com")];
    let (status, error) = h
        .call(
            Method::GET,
            &format!("/partners/{FABRIKAM}/claims"),
            ZERO,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "partner_id.zero");
    let (status, error) = h.call(Method::GET, "/associations/nope", ALEX, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "claim_id.length", "{error}");
    let (status, error) = h.call(Method::GET, "/associations/x", &[], None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "actor.missing", "{error}");
    let (status, error) = h.call(Method::GET, "/nowhere", ALEX, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["code"], "request.not_found");
}

/// Runs everything, then checks what the sink received.
async fn acceptance<S: AsyncStore + 'static>(store: S) {
    let h = start(store).await;
    let (status, health) = h.call(Method::GET, "/health", &[], None).await;
    assert_eq!((status, health), (StatusCode::OK, json!({"status": "ok"})));

    cpor_draft_to_official(&h).await;
    let expired = cpor_expires_through_the_sweep(&h).await;
    let mci = mci_nomination_to_consent(&h).await;
    lists(&h).await;
    bad_input(&h).await;

    // Every event a response named is delivered, at least once, naming its claim.
    let returned = h.returned.lock().unwrap().clone();
    assert!(!returned.is_empty());
    let delivered = h
        .eventually("every event to be delivered", async || {
            let delivered = h.sink.delivered();
            let ids: BTreeSet<String> = delivered.iter().map(|d| d.id.clone()).collect();
            returned.is_subset(&ids).then_some(delivered)
        })
        .await;
    for d in &delivered {
        assert!(d.id.starts_with(&d.claim.to_string()), "{d:?}");
        assert!(d.attempt >= 1);
    }
    let names: Vec<String> = delivered
        .iter()
        .map(|d| {
            let json = serde_json::to_value(&d.event).unwrap();
            format!(
                "{}:{}",
                json["family"].as_str().unwrap(),
                json["event"].as_str().unwrap()
            )
        })
        .collect();
    for wanted in [
        "association:customer_notified",
        "association:association_started",
        "activity:consent_email_requested",
    ] {
        assert!(names.iter().any(|n| n == wanted), "{wanted} in {names:?}");
    }
    // The sweep's rejection came through the outbox too, though no response returned it.
    assert!(
        delivered.iter().any(|d| d.claim.to_string() == expired
            && serde_json::to_value(&d.event).unwrap()["event"] == "rejected"),
        "the expiry's event"
    );
    assert!(delivered.iter().any(|d| d.claim.to_string() == mci));
    h.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acceptance_over_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpor.db");
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(path))
        .await
        .unwrap()
        .unwrap();
    acceptance(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acceptance_over_the_memory_store() {
    acceptance(InMemoryStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_comes_back_after_its_lease() {
    let h = start(InMemoryStore::new()).await;
    h.sink.fail_next(1);
    let id = "0c1a1d00-0000-4000-8000-000000000009";
    let path = format!("/associations/{id}/commands");
    let (status, _) = h
        .call(
            Method::POST,
            "/associations",
            ALEX,
            Some(json!({"id": id, "form": form("Contoso Teams rollout", TENANT)})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    h.ok(
        &path,
        ALEX,
        json!({"command": "attach_poe", "reference": "sow.pdf"}),
    )
    .await;
    let submitted = h
        .ok(
            &path,
            ALEX,
            json!({"command": "submit", "acknowledgement": "given"}),
        )
        .await;
    assert!(event_names(&submitted).contains(&"customer_notified".to_owned()));
    let retried = h
        .eventually("a second attempt", async || {
            h.sink.delivered().into_iter().find(|d| d.attempt >= 2)
        })
        .await;
    assert_eq!(retried.claim.to_string(), id);
    h.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_posts_each_event_with_its_id_as_idempotency_key() {
    use axum::http::HeaderMap;
    use axum::routing::post;

    // A consumer that refuses its first request and keeps the others.
    let received: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let refused = Arc::new(AtomicI64::new(0));
    let consumer = {
        let received = Arc::clone(&received);
        let refused = Arc::clone(&refused);
        axum::Router::new().route(
            "/events",
            post(
                move |headers: HeaderMap, body: axum::Json<Value>| async move {
                    if refused.fetch_add(1, Ordering::SeqCst) == 0 {
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let key = headers["idempotency-key"].to_str().unwrap().to_owned();
                    received.lock().unwrap().push((key, body.0));
                    StatusCode::NO_CONTENT
                },
            ),
        )
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, consumer).await });

    let clock = TestClock::new();
    let state =
        AppState::new(InMemoryStore::new(), ServiceFacts::demo()).with_clock(clock.as_clock());
    let sink: Arc<dyn Sink> = Arc::new(cpor_service::WebhookSink::new(&url).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = cpor_service::spawn(listener, state, sink, intervals()).unwrap();
    let h = Harness {
        running,
        sink: MemorySink::new(),
        clock,
        client: Client::builder(TokioExecutor::new()).build_http(),
        returned: Mutex::new(BTreeSet::new()),
    };
    let id = "0c1a1d00-0000-4000-8000-00000000000a";
    let path = format!("/associations/{id}/commands");
    h.call(
        Method::POST,
        "/associations",
        ALEX,
        Some(json!({"id": id, "form": form("Contoso Teams rollout", TENANT)})),
    )
    .await;
    h.ok(
        &path,
        ALEX,
        json!({"command": "attach_poe", "reference": "sow.pdf"}),
    )
    .await;
    h.ok(
        &path,
        ALEX,
        json!({"command": "submit", "acknowledgement": "given"}),
    )
    .await;
    let returned = h.returned.lock().unwrap().clone();
    let got = h
        .eventually("the webhook to receive every event", async || {
            let got = received.lock().unwrap().clone();
            let keys: BTreeSet<String> = got.iter().map(|(k, _)| k.clone()).collect();
            returned.is_subset(&keys).then_some(got)
        })
        .await;
    for (key, body) in &got {
        assert_eq!(body["id"], *key);
        assert_eq!(body["claim"], id);
        assert!(body["event"]["family"].is_string());
    }
    assert!(
        got.iter()
            .any(|(_, b)| b["event"]["event"] == "customer_notified")
    );
    h.running.stop().await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_opens_what_the_config_names() {
    let config = cpor_service::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        store: cpor_service::StoreConfig::Memory,
        ..cpor_service::Config::default()
    };
    let running = cpor_service::start(&config).await.unwrap();
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let response = client
        .request(
            Request::get(format!("http://{}/health", running.addr()))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    running.stop().await;
}
