//! What the SQL stores share: the back-end failures they detect themselves, and the
//! conversions between stored values and database columns.

use std::fmt;

use super::{Claim, StoreError, Version};
use crate::catalog::Catalogs;
use crate::id::{ClaimId, PartnerId};

/// A back-end failure a SQL store detects itself (the others are its driver's errors).
#[derive(Debug, thiserror::Error)]
pub(super) enum ColumnError {
    /// The database was written by a newer version of this crate.
    #[error(
        "database schema version {found} is newer than the newest this build knows ({known}); \
         upgrade the cpor crate to open it"
    )]
    NewerSchema { found: i64, known: i64 },
    /// A value does not fit the column that stores it.
    #[error("{what} {value} does not fit in the database")]
    OutOfRange { what: &'static str, value: String },
    /// A stored value does not read back.
    #[error("stored {what} {value:?} is not valid: {reason}")]
    Corrupt {
        what: &'static str,
        value: String,
        reason: String,
    },
}

/// The database's schema is newer than this build's.
pub(super) fn newer_schema(found: i64, known: i64) -> StoreError {
    StoreError::backend(ColumnError::NewerSchema { found, known })
}

/// A stored value that does not read back; the value is cut to 80 characters (a claim's body
/// may be long).
pub(super) fn corrupt(what: &'static str, value: &str, reason: &dyn fmt::Display) -> StoreError {
    StoreError::backend(ColumnError::Corrupt {
        what,
        value: value.chars().take(80).collect(),
        reason: reason.to_string(),
    })
}

/// A value that does not fit its column.
pub(super) fn out_of_range(what: &'static str, value: impl ToString) -> StoreError {
    StoreError::backend(ColumnError::OutOfRange {
        what,
        value: value.to_string(),
    })
}

/// A version as a column.
pub(super) fn version_to(version: Version) -> Result<i64, StoreError> {
    i64::try_from(version.get()).map_err(|_| out_of_range("version", version))
}

/// A version read from a column.
pub(super) fn version_from(n: i64) -> Result<Version, StoreError> {
    u64::try_from(n)
        .map(Version::new)
        .map_err(|e| corrupt("version", &n.to_string(), &e))
}

/// A partner location as a column.
pub(super) fn partner_to(partner: PartnerId) -> Result<i64, StoreError> {
    i64::try_from(partner.get()).map_err(|_| out_of_range("partner", partner))
}

/// The most characters of a stored or given value that a store's error quotes.
pub(super) const QUOTE_CHARS: usize = 200;

/// At most [`QUOTE_CHARS`] characters of `text`.
pub(super) fn bounded(text: &str) -> String {
    let mut out: String = text.chars().take(QUOTE_CHARS).collect();
    if out.len() < text.len() {
        out.push_str("...");
    }
    out
}

/// A stored claim that is damaged: its body fails to read, or breaks an invariant.
pub(super) fn corrupt_claim(claim: Option<ClaimId>, what: &dyn fmt::Display) -> StoreError {
    StoreError::Corrupt {
        claim,
        what: bounded(&what.to_string()),
    }
}

/// A claim read from a row, checked as every way in is checked: its body decoded (and, for
/// a body in the binary form, its checksum verified) by the caller, then cross-checked
/// against the row's indexed columns (a body that names another claim or another partner
/// location is corrupt, and is never returned in the row's place), then against the catalog
/// of its program year.
pub(super) fn checked_row(
    row_id: ClaimId,
    row_partner: i64,
    claim: Claim,
    catalogs: &Catalogs,
) -> Result<Claim, StoreError> {
    if claim.id() != row_id {
        return Err(corrupt_claim(
            Some(row_id),
            &format_args!("the body is of claim {}", claim.id()),
        ));
    }
    if partner_to(claim.partner())? != row_partner {
        return Err(corrupt_claim(
            Some(row_id),
            &"the body's partner location is not the row's",
        ));
    }
    claim
        .validate(catalogs)
        .map_err(|e| corrupt_claim(Some(row_id), &e))?;
    Ok(claim)
}
