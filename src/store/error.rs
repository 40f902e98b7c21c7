//! Why a store refused or failed: [`StoreError`].

use super::{CountedKey, InvalidClaim, UniqueKey, Version};
use crate::id::ClaimId;

/// Why a store refused or failed. A refused commit changed nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The claim's version is not the one expected (optimistic concurrency).
    #[error(
        "claim {claim} changed: expected {}, found {}",
        .expected.map_or_else(|| "no claim".to_owned(), |v| v.to_string()),
        .actual.map_or_else(|| "no claim".to_owned(), |v| v.to_string())
    )]
    Conflict {
        /// The claim.
        claim: ClaimId,
        /// The version the write expected (`None`: absent).
        expected: Option<Version>,
        /// The version found (`None`: absent).
        actual: Option<Version>,
    },
    /// A uniqueness key is held by another claim.
    #[error("key {key} is held by claim {holder}")]
    KeyHeld {
        /// The key.
        key: UniqueKey,
        /// The claim that holds it.
        holder: ClaimId,
    },
    /// A counted limit is reached.
    #[error("{key} already has {limit} active claim(s), the most allowed")]
    LimitReached {
        /// The counted key.
        key: CountedKey,
        /// The limit.
        limit: u32,
    },
    /// No such claim in the scope.
    #[error("claim {claim} not found")]
    NotFound {
        /// The claim.
        claim: ClaimId,
    },
    /// A create with the ID of an existing claim with other content.
    #[error("claim {claim} already exists with other content")]
    IdConflict {
        /// The claim.
        claim: ClaimId,
    },
    /// The same claim twice in one commit.
    #[error("claim {claim} appears twice in one commit")]
    DuplicateWrite {
        /// The claim.
        claim: ClaimId,
    },
    /// The claim breaks an invariant or a rule of its catalog (or its program year is not in
    /// the store's catalogs): refused before anything is written.
    #[error(transparent)]
    Invalid(#[from] InvalidClaim),
    /// A stored claim is damaged: its body fails its checksum or its invariants, or
    /// disagrees with the columns it is indexed by. Nothing is returned in its place.
    #[error("stored claim {} is corrupt: {what}", .claim.map_or_else(|| "(unknown)".to_owned(), |c| c.to_string()))]
    Corrupt {
        /// The claim, as its row names it.
        claim: Option<ClaimId>,
        /// What is wrong, in a few lowercase words.
        what: String,
    },
    /// The back end could not be reached: a connection was refused or lost. Nothing was
    /// written if the store could tell; a write may be retried (with a request ID, so that a
    /// retry of a write that did land is recognised).
    #[error("storage back end unavailable: {source}")]
    Unavailable {
        /// The back end's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A statement, a lock wait or a pool checkout took longer than its configured timeout.
    /// Nothing was written.
    #[error("storage back end timed out ({what}): {source}")]
    Timeout {
        /// What timed out, in a few lowercase words (`statement`, `lock`, `pool checkout`).
        what: &'static str,
        /// The back end's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The back end failed.
    #[error("storage back end failed: {source}")]
    Backend {
        /// The back end's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// The stable machine-readable code, such as `store.conflict`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Conflict { .. } => "store.conflict",
            Self::KeyHeld { .. } => "store.key_held",
            Self::LimitReached { .. } => "store.limit_reached",
            Self::NotFound { .. } => "store.not_found",
            Self::IdConflict { .. } => "store.id_conflict",
            Self::DuplicateWrite { .. } => "store.duplicate_write",
            Self::Invalid(_) => "store.invalid_claim",
            Self::Corrupt { .. } => "store.corrupt",
            Self::Unavailable { .. } => "store.unavailable",
            Self::Timeout { .. } => "store.timeout",
            Self::Backend { .. } => "store.backend",
        }
    }

    /// Wraps a back end's error.
    pub fn backend(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Backend {
            source: Box::new(source),
        }
    }
}
