//! The router and the state every handler shares.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use cpor::service::AsyncClaims;
use cpor::store::{AsyncStore, Scope};
use cpor::{Catalogs, ClaimId};

use crate::error::ApiError;
use crate::facts::ServiceFacts;
use crate::routes::{activities, associations, lists};

/// The service's clock: the real one by default; tests pass one they can move.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The real clock.
#[must_use]
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// What the handlers and the background loops share: the claims service over the store,
/// the facts, and the clock. Cheap to clone.
pub struct AppState<S> {
    /// The claims service.
    pub claims: Arc<AsyncClaims<S>>,
    /// The eligibility facts.
    pub facts: Arc<ServiceFacts>,
    /// The clock every command, list, sweep and lease reads.
    pub clock: Clock,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            claims: Arc::clone(&self.claims),
            facts: Arc::clone(&self.facts),
            clock: Arc::clone(&self.clock),
        }
    }
}

impl<S> std::fmt::Debug for AppState<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("permissive_facts", &self.facts.is_permissive())
            .finish_non_exhaustive()
    }
}

impl<S: AsyncStore> AppState<S> {
    /// A service over `store` with the built-in catalogs, `facts` and the real clock.
    pub fn new(store: S, facts: ServiceFacts) -> Self {
        Self {
            claims: Arc::new(AsyncClaims::new(store, Catalogs::builtin())),
            facts: Arc::new(facts),
            clock: system_clock(),
        }
    }

    /// The same state, reading time from `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The time now, by the state's clock.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}

/// The HTTP API over `state` (see the crate's README for each route).
pub fn router<S: AsyncStore + 'static>(state: AppState<S>) -> Router {
    Router::new()
        .route("/health", get(health::<S>))
        .route("/associations", post(associations::create::<S>))
        .route("/associations/{id}", get(associations::get::<S>))
        .route(
            "/associations/{id}/commands",
            post(associations::command::<S>),
        )
        .route("/activities", post(activities::nominate::<S>))
        .route("/activities/{id}", get(activities::get::<S>))
        .route("/activities/{id}/commands", post(activities::command::<S>))
        .route(
            "/partners/{partner}/claims",
            get(lists::partner_claims::<S>),
        )
        .route(
            "/customers/{customer}/claims",
            get(lists::customer_claims::<S>),
        )
        .route(
            "/partners/{partner}/engagements/{engagement}/customers",
            get(lists::customers_page::<S>),
        )
        .route(
            "/partners/{partner}/usage/{tenant}",
            get(lists::usage_scope::<S>),
        )
        .fallback(|| async { ApiError::no_route() })
        .with_state(state)
}

/// A claim ID no claim has, for the health check's read.
const PROBE: uuid::Uuid = uuid::Uuid::from_u128(0x0c9e_a17b_0000_4000_8000_0000_0000_0001);

/// `GET /health`: one cheap read of the store. 200 `{"status":"ok"}`, or 503 with the
/// store's error code.
async fn health<S: AsyncStore + 'static>(State(state): State<AppState<S>>) -> Response {
    let probe = match ClaimId::from_uuid(PROBE) {
        Ok(id) => id,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match state.claims.store().load(Scope::Microsoft, probe).await {
        Ok(_) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::warn!(code = e.code(), error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "code": e.code() })),
            )
                .into_response()
        }
    }
}
