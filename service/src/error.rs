//! Errors as HTTP answers: `{"code", "message", "kind", "retryable"}` with the status of the
//! error's kind.
//!
//! The crate's errors keep their own code (such as `association.invalid_state` or
//! `partner_id.zero`) and kind; the status follows the kind as [`cpor::ErrorKind`] documents
//! it, with one refinement: input that does not parse (a header, a path segment, a query
//! parameter, a JSON body) is `400 Bad Request`, input that parses but breaks a rule is
//! `422 Unprocessable Content`. The service's own codes are:
//!
//! | Code | Status | When |
//! |---|---|---|
//! | `request.invalid_json` | 400 | the body is not JSON of the expected shape (the message says where) |
//! | `request.invalid_query` | 400 | a query parameter does not parse |
//! | `request.not_found` | 404 | no such route |
//! | `actor.missing` | 400 | the request does not say who is calling |
//! | `actor.invalid` | 400 | the actor headers contradict each other or name an unknown role or kind |
//!
//! The message is the error's `Display`, never a `Debug` dump.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cpor::ErrorKind;
use cpor::service::ServiceError;
use serde::Serialize;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// The HTTP status (not in the body).
    #[serde(skip)]
    pub status: StatusCode,
    /// The stable machine-readable code.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// The kind: `not_found`, `forbidden`, `invalid`, `conflict`, `unavailable`, `timeout`,
    /// `internal`.
    pub kind: ErrorKind,
    /// Whether the same request may succeed if sent again.
    pub retryable: bool,
}

/// The status of an error of `kind`: [`ErrorKind::http_status`] (504 for a timeout).
#[must_use]
pub fn status_of(kind: ErrorKind) -> StatusCode {
    StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ApiError {
    /// An error of the service's own.
    pub fn new(
        status: StatusCode,
        code: &str,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            kind,
            retryable: false,
        }
    }

    /// Input that does not parse: 400, with the validator's code and message.
    pub fn bad_input(code: &str, message: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            code,
            ErrorKind::Invalid,
            message.to_string(),
        )
    }

    /// No such route.
    #[must_use]
    pub fn no_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "request.not_found",
            ErrorKind::NotFound,
            "no such resource",
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let kind = e.kind();
        if matches!(kind, ErrorKind::Internal) {
            // The detail of a corrupt row or a failed back end is for the operator's log.
            tracing::error!(code = e.code(), error = %e, "internal error");
        }
        Self {
            status: status_of(kind),
            code: e.code().to_owned(),
            message: e.to_string(),
            kind,
            retryable: e.is_retryable(),
        }
    }
}

/// An identifier that does not parse, from a path, a header or a query.
impl From<cpor::IdError> for ApiError {
    fn from(e: cpor::IdError) -> Self {
        Self::bad_input(e.code(), &e)
    }
}

impl From<cpor::catalog::KeyError> for ApiError {
    fn from(e: cpor::catalog::KeyError) -> Self {
        Self::bad_input(e.code(), &e)
    }
}

impl From<cpor::request::RequestIdError> for ApiError {
    fn from(e: cpor::request::RequestIdError) -> Self {
        Self::bad_input(e.code(), &e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        let status = match e {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(
            status,
            "request.invalid_json",
            ErrorKind::Invalid,
            e.body_text(),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        Self::bad_input("request.invalid_query", e.body_text())
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        Self::bad_input("request.invalid_json", e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(&self)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_documented_status() {
        let expected = [
            (ErrorKind::NotFound, 404),
            (ErrorKind::Forbidden, 403),
            (ErrorKind::Invalid, 422),
            (ErrorKind::Conflict, 409),
            (ErrorKind::Unavailable, 503),
            (ErrorKind::Timeout, 504),
            (ErrorKind::Internal, 500),
        ];
        for (kind, status) in expected {
            assert_eq!(status_of(kind).as_u16(), status, "{kind}");
        }
    }

    #[test]
    fn an_id_error_is_a_bad_request_with_its_code() {
        let e = ApiError::from("0".parse::<cpor::PartnerId>().unwrap_err());
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.code, "partner_id.zero");
        let body = serde_json::to_value(&e).unwrap();
        assert_eq!(body["kind"], "invalid");
        assert!(body.get("status").is_none());
    }
}
