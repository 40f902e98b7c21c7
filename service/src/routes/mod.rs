//! The handlers, one module per family, and what they share: reading a claim ID from the
//! path, a request ID from the `Idempotency-Key` header or the body, and a command body.

pub mod activities;
pub mod associations;
pub mod lists;

use axum::http::HeaderMap;
use cpor::{ClaimId, RequestId};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The header that may carry a command's request ID.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A claim ID from a path segment, through the crate's validator (400 with its code).
pub(crate) fn claim_id(text: &str) -> Result<ClaimId, ApiError> {
    Ok(text.parse::<ClaimId>()?)
}

/// A fresh random claim ID, for a create that did not choose one.
pub(crate) fn new_claim_id() -> Result<ClaimId, ApiError> {
    Ok(ClaimId::from_uuid(uuid::Uuid::new_v4())?)
}

/// The request ID of a command: the `Idempotency-Key` header's, or the body's
/// `request_id`; both may be given only if they agree.
pub(crate) fn request_id(
    headers: &HeaderMap,
    body: Option<RequestId>,
) -> Result<Option<RequestId>, ApiError> {
    let header = match headers.get(IDEMPOTENCY_KEY) {
        None => None,
        Some(value) => {
            let text = value.to_str().map_err(|_| {
                ApiError::bad_input("request_id.invalid", "Idempotency-Key is not visible ASCII")
            })?;
            Some(RequestId::parse(text.trim())?)
        }
    };
    match (header, body) {
        (Some(h), Some(b)) if h != b => Err(ApiError::bad_input(
            "request.request_id_mismatch",
            format!("the Idempotency-Key {h} and the body's request_id {b} differ"),
        )),
        (Some(id), _) | (None, Some(id)) => Ok(Some(id)),
        (None, None) => Ok(None),
    }
}

/// A command body: the crate's command (tagged by `command`) with an optional
/// `request_id` beside its fields.
pub(crate) fn command_body<C: DeserializeOwned>(
    mut body: serde_json::Value,
) -> Result<(C, Option<RequestId>), ApiError> {
    let request = match body.as_object_mut().and_then(|o| o.remove("request_id")) {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => Some(serde_json::from_value::<RequestId>(value)?),
    };
    Ok((serde_json::from_value(body)?, request))
}
