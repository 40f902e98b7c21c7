//! Why a claim value was refused: the first broken invariant.

use std::fmt;

use crate::error::ErrorKind;
use crate::id::ClaimId;

/// The most characters of an outside value that an error quotes.
pub(crate) const EXCERPT_CHARS: usize = 64;

/// The invariants every [`Claim`](super::Claim) keeps, one per refusal code.
///
/// The first group is checked wherever a claim comes into existence, with or without a
/// catalog (creation, transitions, JSON, the binary form). [`Invariant::Catalog`] and
/// [`Invariant::Derived`] need the catalog of the claim's program year, and are checked
/// wherever one is known: by every transition, by every store of this crate on each write
/// and load, and by [`Claim::validate`](super::Claim::validate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Invariant {
    /// The history is a walk of the transition table from the creation: each entry's from,
    /// to, command and actor kind is an allowed transition, and the last entry's state is the
    /// claim's state.
    History,
    /// Times never decrease along the history, and the creation time is the first entry's.
    Times,
    /// Every field the state implies (notification, opt-out, approval, rejection, dispute,
    /// info request, ending, consent, submission, evidence, referral) agrees with the history.
    Fields,
    /// Every partner user in the history acted for the claim's partner location, save before
    /// a resubmit that moved the claim (which the history shows).
    Partner,
    /// No workload, product or evidence reference is repeated.
    Repeated,
    /// The claim's program year, engagement, role, solution area, workloads, customer ID kind
    /// or payout are not what its catalog allows.
    Catalog,
    /// A deadline or window stored in the claim is not the one its catalog computes.
    Derived,
}

impl Invariant {
    /// The stable machine-readable code, such as `claim.history`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::History => "claim.history",
            Self::Times => "claim.times",
            Self::Fields => "claim.fields",
            Self::Partner => "claim.partner",
            Self::Repeated => "claim.repeated",
            Self::Catalog => "claim.catalog",
            Self::Derived => "claim.derived",
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A claim value that breaks an invariant: it names the claim and the first broken
/// invariant, with a short lowercase description. Building one never panics, and its message
/// quotes at most a bounded excerpt of any value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("claim {claim} is invalid ({invariant}): {detail}")]
pub struct InvalidClaim {
    claim: ClaimId,
    invariant: Invariant,
    detail: String,
}

impl InvalidClaim {
    pub(crate) fn new(claim: ClaimId, broken: Broken) -> Self {
        Self {
            claim,
            invariant: broken.invariant,
            detail: broken.detail,
        }
    }

    /// The claim.
    #[must_use]
    pub const fn claim(&self) -> ClaimId {
        self.claim
    }

    /// The first broken invariant.
    #[must_use]
    pub const fn invariant(&self) -> Invariant {
        self.invariant
    }

    /// The stable machine-readable code of the broken invariant, such as `claim.history`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        self.invariant.code()
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`], the claim breaks an
    /// invariant. (A stored claim that does is reported as
    /// [`StoreError::Corrupt`](crate::store::StoreError::Corrupt), which is
    /// [`Internal`](ErrorKind::Internal).)
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }

    /// Whether trying again may succeed: never, the same claim is refused again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }

    /// What is wrong, in a few lowercase words.
    #[must_use]
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

/// A broken invariant before it is tied to its claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Broken {
    pub(crate) invariant: Invariant,
    pub(crate) detail: String,
}

impl Broken {
    pub(crate) fn new(invariant: Invariant, detail: impl Into<String>) -> Self {
        Self {
            invariant,
            detail: detail.into(),
        }
    }
}

/// The result of one invariant check.
pub(crate) type Checked = Result<(), Broken>;

/// Fails with `invariant` and `detail` unless `ok`.
pub(crate) fn ensure(ok: bool, invariant: Invariant, detail: impl FnOnce() -> String) -> Checked {
    if ok {
        Ok(())
    } else {
        Err(Broken::new(invariant, detail()))
    }
}

/// At most [`EXCERPT_CHARS`] characters of `value`, with `...` when cut.
pub(crate) fn excerpt(value: &str) -> String {
    let mut out: String = value.chars().take(EXCERPT_CHARS).collect();
    if out.len() < value.len() {
        out.push_str("...");
    }
    out
}
