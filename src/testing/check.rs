//! What the cases use to check and to report: a problem type that `?` fills from any error,
//! and small assertions that return it.

use std::fmt::{self, Debug, Display};

use super::Failure;
use crate::catalog::builtin_catalogs;
use crate::id::ClaimId;
use crate::store::{
    Claim, CountedKey, Scope, Store, StoreError, Stored, UniqueKey, Version, Write,
};

/// Why a case failed, before it is named.
#[derive(Debug)]
pub(crate) struct Problem(String);

/// A case's result.
pub(crate) type Outcome<T = ()> = Result<T, Problem>;

impl Problem {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// The problem, said to be of `what`.
    pub(crate) fn within(self, what: impl Display) -> Self {
        Self(format!("{what}: {}", self.0))
    }

    pub(crate) fn into_failure(self, case: &'static str) -> Failure {
        Failure::new(case, self.0)
    }
}

/// Any error met along the way (a fixture the core refuses, a store error no check expected)
/// fails the case with its message.
impl<E: std::error::Error> From<E> for Problem {
    fn from(error: E) -> Self {
        Self(format!("unexpected error: {error}"))
    }
}

/// Adds what was being done to an error, or turns a missing value into a problem.
pub(crate) trait Context<T> {
    fn context(self, what: impl Display) -> Outcome<T>;
}

impl<T, E: Display> Context<T> for Result<T, E> {
    fn context(self, what: impl Display) -> Outcome<T> {
        self.map_err(|e| Problem(format!("{what}: {e}")))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: impl Display) -> Outcome<T> {
        self.ok_or_else(|| Problem(format!("{what}: nothing there")))
    }
}

/// Fails with `message` unless `condition` holds.
pub(crate) fn ensure(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition {
        Ok(())
    } else {
        Err(Problem(message()))
    }
}

/// Fails unless `actual == expected`, showing both.
pub(crate) fn same<T: PartialEq + Debug>(what: impl Display, actual: &T, expected: &T) -> Outcome {
    ensure(actual == expected, || {
        format!("{what}: expected {expected:?}, found {actual:?}")
    })
}

/// Sorts a list of IDs, for comparisons where the order is not specified.
pub(crate) fn sorted(mut ids: Vec<ClaimId>) -> Vec<ClaimId> {
    ids.sort_unstable();
    ids
}

/// The IDs of stored claims, sorted.
pub(crate) fn ids_of<'a>(stored: impl IntoIterator<Item = &'a Stored>) -> Vec<ClaimId> {
    sorted(stored.into_iter().map(|s| s.claim.id()).collect())
}

/// Creates one claim; it must succeed.
pub(crate) fn create<S: Store + ?Sized>(store: &S, claim: impl Into<Claim>) -> Outcome<Version> {
    let claim = claim.into();
    let id = claim.id();
    let versions = store
        .commit(vec![Write::create(claim)])
        .context(format_args!("creating claim {id}"))?;
    only_version(&versions, id)
}

/// Updates one claim read at `version`; it must succeed with the next version.
pub(crate) fn update<S: Store + ?Sized>(
    store: &S,
    claim: impl Into<Claim>,
    version: Version,
) -> Outcome<Version> {
    let claim = claim.into();
    let id = claim.id();
    let versions = store
        .commit(vec![Write::update(claim, version)])
        .context(format_args!("updating claim {id} at {version}"))?;
    let new = only_version(&versions, id)?;
    same(
        format_args!("the version after updating claim {id} at {version}"),
        &new,
        &version.next(),
    )?;
    Ok(new)
}

fn only_version(versions: &[Version], id: ClaimId) -> Outcome<Version> {
    match versions {
        [version] => Ok(*version),
        _ => Err(Problem(format!(
            "a commit of one write of claim {id} returned {} versions: {versions:?}",
            versions.len()
        ))),
    }
}

/// The error of a commit that must be refused.
pub(crate) fn refused<S: Store + ?Sized>(
    store: &S,
    writes: &[Write],
    what: impl Display,
) -> Outcome<StoreError> {
    match store.commit(writes.to_vec()) {
        Ok(versions) => Err(Problem(format!(
            "{what}: the commit succeeded with versions {versions:?}, but must be refused"
        ))),
        Err(error) => Ok(error),
    }
}

/// Fails unless `error` is `KeyHeld` on `key` naming `holder`.
pub(crate) fn is_key_held(error: &StoreError, key: &UniqueKey, holder: ClaimId) -> Outcome {
    match error {
        StoreError::KeyHeld { key: k, holder: h } if k == key && *h == holder => Ok(()),
        _ => Err(Problem(format!(
            "expected KeyHeld {{ key: {key}, holder: {holder} }}, found {}",
            describe_error(error)
        ))),
    }
}

/// Fails unless `error` is `KeyHeld` on `key` naming one of `holders` (for two claims of one
/// commit that want the same key, either may be named).
pub(crate) fn is_key_held_by_one_of(
    error: &StoreError,
    key: &UniqueKey,
    holders: &[ClaimId],
) -> Outcome {
    match error {
        StoreError::KeyHeld { key: k, holder } if k == key && holders.contains(holder) => Ok(()),
        _ => Err(Problem(format!(
            "expected KeyHeld {{ key: {key}, holder: one of {holders:?} }}, found {}",
            describe_error(error)
        ))),
    }
}

/// Fails unless `error` is `Conflict` on `claim` with these versions.
pub(crate) fn is_conflict(
    error: &StoreError,
    claim: ClaimId,
    expected: Option<Version>,
    actual: Option<Version>,
) -> Outcome {
    match error {
        StoreError::Conflict {
            claim: c,
            expected: e,
            actual: a,
        } if *c == claim && *e == expected && *a == actual => Ok(()),
        _ => Err(Problem(format!(
            "expected Conflict {{ claim: {claim}, expected: {expected:?}, actual: {actual:?} }}, \
             found {}",
            describe_error(error)
        ))),
    }
}

/// Fails unless `error` is `LimitReached` on `key` with `limit`.
pub(crate) fn is_limit_reached(error: &StoreError, key: &CountedKey, limit: u32) -> Outcome {
    match error {
        StoreError::LimitReached { key: k, limit: l } if k == key && *l == limit => Ok(()),
        _ => Err(Problem(format!(
            "expected LimitReached {{ key: {key}, limit: {limit} }}, found {}",
            describe_error(error)
        ))),
    }
}

/// An error with its variant's fields, for messages.
pub(crate) fn describe_error(error: &StoreError) -> String {
    match error {
        StoreError::Conflict {
            claim,
            expected,
            actual,
        } => format!("Conflict {{ claim: {claim}, expected: {expected:?}, actual: {actual:?} }}"),
        StoreError::KeyHeld { key, holder } => {
            format!("KeyHeld {{ key: {key}, holder: {holder} }}")
        }
        StoreError::LimitReached { key, limit } => {
            format!("LimitReached {{ key: {key}, limit: {limit} }}")
        }
        StoreError::NotFound { claim } => format!("NotFound {{ claim: {claim} }}"),
        StoreError::IdConflict { claim } => format!("IdConflict {{ claim: {claim} }}"),
        StoreError::DuplicateWrite { claim } => format!("DuplicateWrite {{ claim: {claim} }}"),
        StoreError::Invalid(invalid) => format!("Invalid({invalid})"),
        StoreError::Corrupt { claim, what } => {
            format!("Corrupt {{ claim: {claim:?}, what: {what} }}")
        }
        StoreError::Unavailable { source } => format!("Unavailable({source})"),
        StoreError::Timeout { what, source } => format!("Timeout({what}: {source})"),
        StoreError::Backend { source } => format!("Backend({source})"),
    }
}

/// A claim's state, for messages.
pub(crate) fn state_of(claim: &Claim) -> String {
    match claim {
        Claim::Association(c) => format!("association {}", c.state()),
        Claim::Activity(c) => format!("activity {}", c.state()),
    }
}

/// What a load returned, for messages: `absent` or the version and state.
pub(crate) struct Shown<'a>(pub(crate) Option<&'a Stored>);

impl Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("absent"),
            Some(s) => write!(f, "{} {}", s.version, state_of(&s.claim)),
        }
    }
}

/// Every key a claim can hold in some state: for an association claim the associated and
/// the open key of each of its keys; for an activity claim the open key it holds now (none
/// once it has ended), as [`Claim::holdings`] derives it.
pub(crate) fn every_key(claim: &Claim) -> Vec<UniqueKey> {
    match claim {
        Claim::Association(c) => {
            let partner = c.content().partner;
            c.keys()
                .into_iter()
                .flat_map(|key| {
                    [
                        UniqueKey::Associated { key: key.clone() },
                        UniqueKey::OpenAssociation { partner, key },
                    ]
                })
                .collect()
        }
        Claim::Activity(_) => claim.holdings_trusted(builtin_catalogs()).unique,
    }
}

/// The counted key an activity claim counts towards now, as [`Claim::holdings`] derives it.
pub(crate) fn counted_key(claim: &Claim) -> Option<CountedKey> {
    claim
        .holdings_trusted(builtin_catalogs())
        .counted
        .map(|(key, _)| key)
}

/// What a store shows about some claims and keys, to check that a refused commit changed
/// nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Snapshot {
    claims: Vec<(ClaimId, Option<Stored>)>,
    holders: Vec<(UniqueKey, Option<ClaimId>)>,
    counts: Vec<(CountedKey, u32)>,
}

impl Snapshot {
    /// Reads the claims, every key they can hold, and their counted keys.
    pub(crate) fn take<S: Store + ?Sized>(store: &S, claims: &[&Claim]) -> Outcome<Self> {
        let mut snapshot = Self {
            claims: Vec::new(),
            holders: Vec::new(),
            counts: Vec::new(),
        };
        for claim in claims {
            let id = claim.id();
            snapshot
                .claims
                .push((id, store.load(Scope::Microsoft, id).context("load")?));
            for key in every_key(claim) {
                let holder = store.holder(&key).context("holder")?;
                snapshot.holders.push((key, holder));
            }
            if let Some(key) = counted_key(claim) {
                let count = store.count(&key).context("count")?;
                snapshot.counts.push((key, count));
            }
        }
        Ok(snapshot)
    }

    /// Fails, naming every difference, unless `after` shows what `self` showed.
    pub(crate) fn unchanged(&self, after: &Self, what: impl Display) -> Outcome {
        let mut differences = Vec::new();
        for ((id, before), (_, now)) in self.claims.iter().zip(&after.claims) {
            if before != now {
                differences.push(format!(
                    "claim {id} was {}, is {}",
                    Shown(before.as_ref()),
                    Shown(now.as_ref())
                ));
            }
        }
        for ((key, before), (_, now)) in self.holders.iter().zip(&after.holders) {
            if before != now {
                differences.push(format!(
                    "key {key} was held by {before:?}, is held by {now:?}"
                ));
            }
        }
        for ((key, before), (_, now)) in self.counts.iter().zip(&after.counts) {
            if before != now {
                differences.push(format!("count of {key} was {before}, is {now}"));
            }
        }
        ensure(differences.is_empty(), || {
            format!("{what} changed the store: {}", differences.join("; "))
        })
    }
}

/// Fails unless `key` is held by `holder` (`None`: free).
pub(crate) fn holds<S: Store + ?Sized>(
    store: &S,
    key: &UniqueKey,
    holder: Option<ClaimId>,
) -> Outcome {
    let actual = store.holder(key).context(format_args!("holder of {key}"))?;
    same(format_args!("the holder of {key}"), &actual, &holder)
}

/// Loads a claim that must exist, in Microsoft's scope.
pub(crate) fn load<S: Store + ?Sized>(store: &S, id: ClaimId) -> Outcome<Stored> {
    store
        .load(Scope::Microsoft, id)
        .context(format_args!("loading claim {id}"))?
        .context(format_args!("loading claim {id}, which must exist"))
}

/// Fails unless a claim is stored at `version` with exactly the content `claim`.
pub(crate) fn stored_as<S: Store + ?Sized>(store: &S, claim: &Claim, version: Version) -> Outcome {
    let stored = load(store, claim.id())?;
    same(
        format_args!("the version of claim {}", claim.id()),
        &stored.version,
        &version,
    )?;
    ensure(&stored.claim == claim, || {
        format!(
            "claim {} loads as {}, not as the {} written",
            claim.id(),
            state_of(&stored.claim),
            state_of(claim)
        )
    })
}
