//! CPOR association claims: create from a form, run a command, read.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cpor::association::{Association, AssociationClaim, AssociationCommand, AssociationForm};
use cpor::service::ServiceError;
use cpor::store::{AsyncStore, Claim, Version};
use cpor::{ClaimId, RequestId};
use serde::{Deserialize, Serialize};

use super::{claim_id, command_body, new_claim_id, request_id};
use crate::actor::Caller;
use crate::app::AppState;
use crate::error::ApiError;

/// The body of `POST /associations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAssociation {
    /// The new claim's ID, chosen by the caller so that a retry is recognised; a random one
    /// if left out.
    #[serde(default)]
    pub id: Option<ClaimId>,
    /// The request ID (or the `Idempotency-Key` header).
    #[serde(default)]
    pub request_id: Option<RequestId>,
    /// The claim form, checked field by field by the crate.
    pub form: AssociationForm,
}

/// An association claim as `GET` shows it: the claim, its version, and where its
/// association stands now (`none`, `pending_opt_out`, `official`, `ended`).
#[derive(Debug, Serialize)]
pub struct AssociationView {
    /// The claim.
    pub claim: AssociationClaim,
    /// Its version.
    pub version: Version,
    /// Its association at the service's `now`.
    pub association: Association,
}

/// `POST /associations`: 201 with the outcome (200 if it answers a retry).
pub async fn create<S: AsyncStore + 'static>(
    State(state): State<AppState<S>>,
    Caller(actor): Caller,
    headers: HeaderMap,
    body: Result<Json<CreateAssociation>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let id = match body.id {
        Some(id) => id,
        None => new_claim_id()?,
    };
    let now = state.now();
    let outcome = match request_id(&headers, body.request_id)? {
        Some(request) => {
            state
                .claims
                .create_association_once(id, &request, &body.form, &actor, now)
                .await?
        }
        None => {
            state
                .claims
                .create_association(id, &body.form, &actor, now)
                .await?
        }
    };
    let status = if outcome.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(outcome)).into_response())
}

/// `POST /associations/{id}/commands`: the body is an [`AssociationCommand`] (such as
/// `{"command": "submit", "acknowledgement": "given"}`) with an optional `request_id`.
pub async fn command<S: AsyncStore + 'static>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    Caller(actor): Caller,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let id = claim_id(&id)?;
    let Json(body) = body?;
    let (command, body_request) = command_body::<AssociationCommand>(body)?;
    let now = state.now();
    let outcome = match request_id(&headers, body_request)? {
        Some(request) => {
            state
                .claims
                .association_once(id, &request, &command, &actor, now)
                .await?
        }
        None => state.claims.association(id, &command, &actor, now).await?,
    };
    Ok(Json(outcome).into_response())
}

/// `GET /associations/{id}`: the claim as the caller may see it; 404 for a claim of another
/// partner location, exactly as for a missing one.
pub async fn get<S: AsyncStore + 'static>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    Caller(actor): Caller,
) -> Result<Json<AssociationView>, ApiError> {
    let id = claim_id(&id)?;
    let stored = state.claims.load(&actor, id).await?;
    let Claim::Association(claim) = stored.claim else {
        return Err(ServiceError::NotFound { claim: id }.into());
    };
    let association = claim.association(state.now());
    Ok(Json(AssociationView {
        claim,
        version: stored.version,
        association,
    }))
}
