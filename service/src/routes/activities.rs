//! MCI activity claims: nominate a customer ("add" or "claim"), run a command, read.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cpor::RequestId;
use cpor::activity::{ActivityClaim, ActivityCommand, Nomination};
use cpor::eligibility::Action;
use cpor::service::ServiceError;
use cpor::store::{AsyncStore, Claim, Version};
use serde::{Deserialize, Serialize};

use super::{claim_id, command_body, request_id};
use crate::actor::Caller;
use crate::app::AppState;
use crate::error::ApiError;

/// The body of `POST /activities`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nominate {
    /// `add` (a customer the location does not know) or `claim` (one it knows).
    pub action: Action,
    /// The request ID (or the `Idempotency-Key` header).
    #[serde(default)]
    pub request_id: Option<RequestId>,
    /// The nomination, with the claim ID the caller chose for each engagement.
    pub nomination: Nomination,
}

/// An activity claim as `GET` shows it.
#[derive(Debug, Serialize)]
pub struct ActivityView {
    /// The claim (the referral link only for Referral admins).
    pub claim: ActivityClaim,
    /// Its version.
    pub version: Version,
}

/// `POST /activities`: 201 with one outcome per engagement (200 if it answers a retry).
pub async fn nominate<S: AsyncStore + 'static>(
    State(state): State<AppState<S>>,
    Caller(actor): Caller,
    headers: HeaderMap,
    body: Result<Json<Nominate>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let now = state.now();
    let facts = &*state.facts;
    let outcomes = match request_id(&headers, body.request_id)? {
        Some(request) => {
            state
                .claims
                .nominate_once(&body.nomination, body.action, &request, &actor, now, facts)
                .await?
        }
        None => {
            state
                .claims
                .nominate(&body.nomination, body.action, &actor, now, facts)
                .await?
        }
    };
    let status = if outcomes.iter().all(|o| o.replayed) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(outcomes)).into_response())
}

/// `POST /activities/{id}/commands`: the body is an [`ActivityCommand`] (such as
/// `{"command": "accept_consent"}`) with an optional `request_id`.
pub async fn command<S: AsyncStore + 'static>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    Caller(actor): Caller,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let id = claim_id(&id)?;
    let Json(body) = body?;
    let (command, body_request) = command_body::<ActivityCommand>(body)?;
    let now = state.now();
    let facts = &*state.facts;
    let outcome = match request_id(&headers, body_request)? {
        Some(request) => {
            state
                .claims
                .activity_once(id, &request, &command, &actor, now, facts)
                .await?
        }
        None => {
            state
                .claims
                .activity(id, &command, &actor, now, facts)
                .await?
        }
    };
    Ok(Json(outcome).into_response())
}

/// `GET /activities/{id}`: the claim as the caller may see it; 404 for a claim of another
/// partner location.
pub async fn get<S: AsyncStore + 'static>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    Caller(actor): Caller,
) -> Result<Json<ActivityView>, ApiError> {
    let id = claim_id(&id)?;
    let stored = state.claims.load(&actor, id).await?;
    let Claim::Activity(claim) = stored.claim else {
        return Err(ServiceError::NotFound { claim: id }.into());
    };
    Ok(Json(ActivityView {
        claim,
        version: stored.version,
    }))
}
