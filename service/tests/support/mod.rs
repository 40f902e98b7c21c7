//! The acceptance test's harness: a service on `127.0.0.1:0` with a test clock and sink,
//! a plain HTTP/1 client, and the callers' headers.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use cpor::store::AsyncStore;
use cpor_service::{AppState, Clock, Intervals, MemorySink, Running, ServiceFacts, Sink};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::net::TcpListener;

pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const OTHER_TENANT: &str = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
pub const FABRIKAM: &str = "4512345";
pub const NORTHWIND: &str = "7700001";

/// A clock that runs with real time from Monday 2 March 2026, 09:00 UTC, and that the test
/// can move forward by days.
#[derive(Clone)]
pub struct TestClock {
    start: Instant,
    skipped_secs: Arc<AtomicI64>,
}

impl TestClock {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            skipped_secs: Arc::new(AtomicI64::new(0)),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let base = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let ran = chrono::Duration::from_std(self.start.elapsed()).unwrap();
        base + ran + chrono::Duration::seconds(self.skipped_secs.load(Ordering::SeqCst))
    }

    /// Moves the clock to just after `at`.
    pub fn skip_past(&self, at: DateTime<Utc>) {
        let gap = (at - self.now()).num_seconds() + 60;
        if gap > 0 {
            self.skipped_secs.fetch_add(gap, Ordering::SeqCst);
        }
    }

    pub fn as_clock(&self) -> Clock {
        let me = self.clone();
        Arc::new(move || me.now())
    }
}

/// A running service, its test sink and clock, and a client.
pub struct Harness {
    pub running: Running,
    pub sink: MemorySink,
    pub clock: TestClock,
    pub client: Client<HttpConnector, Full<Bytes>>,
    /// Every event ID the responses returned, as `{claim}/v{version}/{index}`.
    pub returned: Mutex<BTreeSet<String>>,
}

pub fn intervals() -> Intervals {
    Intervals {
        sweep_every: Duration::from_millis(50),
        deliver_every: Duration::from_millis(20),
        lease: Duration::from_millis(300),
        batch: 100,
    }
}

pub async fn start<S: AsyncStore + 'static>(store: S) -> Harness {
    let clock = TestClock::new();
    let sink = MemorySink::new();
    let state = AppState::new(store, ServiceFacts::demo()).with_clock(clock.as_clock());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shared: Arc<dyn Sink> = Arc::new(sink.clone());
    let running = cpor_service::spawn(listener, state, shared, intervals()).unwrap();
    Harness {
        running,
        sink,
        clock,
        client: Client::builder(TokioExecutor::new()).build_http(),
        returned: Mutex::new(BTreeSet::new()),
    }
}

/// Who calls: header pairs.
pub type As = &'static [(&'static str, &'static str)];
pub const ALEX: As = &[
    ("x-cpor-partner", FABRIKAM),
    ("x-cpor-user", "alex@fabrikam.com"),
    ("x-cpor-roles", "incentives_admin"),
];
pub const NANCY: As = &[
    ("x-cpor-partner", NORTHWIND),
    ("x-cpor-user", "nancy@northwind.com"),
    ("x-cpor-roles", "incentives_admin"),
];
pub const REVIEWER: As = &[
    ("x-cpor-actor", "reviewer"),
    ("x-cpor-user", "reviewer@microsoft.com"),
];
pub const SYSTEM: As = &[("x-cpor-actor", "system")];
pub const CONTOSO: As = &[(
    "x-cpor-actor",
    "customer:tenant:72f988bf-86f1-41af-91ab-2d7cd011db47",
)];

impl Harness {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        who: As,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_with(method, path, who, &[], body).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        who: As,
        extra: &[(&str, &str)],
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.running.addr()));
        for (name, value) in who.iter().chain(extra) {
            request = request.header(*name, *value);
        }
        let bytes = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Bytes::from(serde_json::to_vec(&body).unwrap())
            }
            None => Bytes::new(),
        };
        let response = self
            .client
            .request(request.body(Full::new(bytes)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).unwrap_or_else(|e| {
                panic!("{path}: not JSON ({e}): {}", String::from_utf8_lossy(&body))
            })
        };
        self.note_events(&value);
        (status, value)
    }

    /// Notes the IDs of the events of an outcome (or of a list of outcomes).
    fn note_events(&self, value: &Value) {
        let outcomes = match value {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let mut returned = self.returned.lock().unwrap();
        for outcome in outcomes {
            for event in outcome["events"].as_array().into_iter().flatten() {
                // An event ID's JSON is its text form, `{claim}/v{version}/{index}`.
                returned.insert(event["id"].as_str().unwrap().to_owned());
            }
        }
    }

    /// A command that must be accepted: its outcome.
    pub async fn ok(&self, path: &str, who: As, body: Value) -> Value {
        let (status, outcome) = self.call(Method::POST, path, who, Some(body.clone())).await;
        assert_eq!(status, StatusCode::OK, "{path} {body}: {outcome}");
        outcome
    }

    /// Waits until `check` holds, polling, for at most 10 seconds.
    pub async fn eventually<T>(&self, what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(done) = check().await {
                return done;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
