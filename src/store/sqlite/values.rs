//! Conversions between values and columns, and SQLite's errors as store errors.

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use rusqlite::ErrorCode;

use super::keys::customer_column;
use crate::id::ClaimId;
use crate::store::columns::{bounded, corrupt, corrupt_claim, out_of_range, partner_to};
use crate::store::{Claim, StoreError};

/// A SQLite failure, as a store error that names SQLite's result code and message and never
/// the statement's text or a bound value. `SQLITE_BUSY` and `SQLITE_LOCKED`, which SQLite
/// returns once the busy timeout has passed, are [`StoreError::Timeout`] (`lock`).
pub(super) fn db(error: rusqlite::Error) -> StoreError {
    let busy = matches!(
        &error,
        rusqlite::Error::SqliteFailure(e, _)
            if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    );
    let message = match &error {
        rusqlite::Error::SqliteFailure(e, message) => format!(
            "sqlite error {} (extended {}): {}",
            e.code as i32,
            e.extended_code,
            bounded(message.as_deref().unwrap_or("no message"))
        ),
        rusqlite::Error::SqlInputError { error, msg, .. } => format!(
            "sqlite error {} (extended {}): {}",
            error.code as i32,
            error.extended_code,
            bounded(msg)
        ),
        other => bounded(&other.to_string()),
    };
    if busy {
        StoreError::Timeout {
            what: "lock",
            source: Box::new(SqliteFailure(message)),
        }
    } else {
        StoreError::backend(SqliteFailure(message))
    }
}

/// The text of a SQLite failure (see [`db`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SqliteFailure(String);

/// A claim read from its body, the bytes of [`Claim::to_bytes`]: a body that fails its
/// checksum, its format or its invariants is [`StoreError::Corrupt`].
pub(super) fn claim_from(body: &[u8]) -> Result<Claim, StoreError> {
    Claim::from_bytes(body).map_err(|e| corrupt_claim(None, &e))
}

/// A corrupt-claim error named after the row's claim, whatever the body said.
pub(super) fn with_claim(error: StoreError, id: ClaimId) -> StoreError {
    match error {
        StoreError::Corrupt { what, .. } => StoreError::Corrupt {
            claim: Some(id),
            what,
        },
        other => other,
    }
}

/// A claim ID as a column: the 16 bytes of its UUID, which sort as its text does.
pub(super) type IdColumn = [u8; 16];

pub(super) fn id_to(id: ClaimId) -> IdColumn {
    id.as_uuid().into_bytes()
}

pub(super) fn claim_id_from(bytes: &[u8]) -> Result<ClaimId, StoreError> {
    let uuid = uuid::Uuid::from_slice(bytes)
        .map_err(|e| corrupt("claim ID", &format!("{bytes:02x?}"), &e))?;
    ClaimId::from_uuid(uuid).map_err(|e| corrupt("claim ID", &uuid.to_string(), &e))
}

/// The earliest and latest moments stored as text: four-digit years sort as text.
pub(super) fn in_text_range(t: DateTime<Utc>) -> bool {
    (0..=9999).contains(&t.year())
}

/// A moment as the text it is compared with (see [`timestamp`]), brought into the years
/// 0 to 9999: `None` before them (no stored moment is earlier), the last moment stored
/// after them.
pub(super) fn moment(t: DateTime<Utc>) -> Option<String> {
    if in_text_range(t) {
        Some(t.to_rfc3339_opts(SecondsFormat::Nanos, true))
    } else if t.year() > 9999 {
        Some("9999-12-31T23:59:59.999999999Z".to_owned())
    } else {
        None
    }
}

/// A deadline as fixed-width RFC 3339 text, which sorts in time order.
pub(super) fn timestamp(t: DateTime<Utc>) -> Result<String, StoreError> {
    if in_text_range(t) {
        Ok(t.to_rfc3339_opts(SecondsFormat::Nanos, true))
    } else {
        Err(out_of_range("deadline", t))
    }
}

/// The columns of a claim row, derived from the claim; the body is [`Claim::to_bytes`]'s,
/// written into a buffer the caller reuses from claim to claim.
pub(super) struct Row<'a> {
    pub(super) id: IdColumn,
    pub(super) partner: i64,
    pub(super) engagement: &'a str,
    pub(super) customer: Vec<u8>,
    pub(super) next_deadline: Option<String>,
    pub(super) body: &'a [u8],
}

impl<'a> Row<'a> {
    pub(super) fn of(claim: &'a Claim, buffer: &'a mut Vec<u8>) -> Result<Self, StoreError> {
        buffer.clear();
        claim.write_bytes(buffer);
        let buffer: &'a Vec<u8> = buffer;
        Ok(Self {
            id: id_to(claim.id()),
            partner: partner_to(claim.partner())?,
            engagement: claim.engagement().as_str(),
            customer: customer_column(&claim.customer()),
            next_deadline: claim.next_deadline().map(timestamp).transpose()?,
            body: buffer,
        })
    }
}
