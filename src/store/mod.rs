//! Storage: the [`Store`] trait that applications implement over their database, and the
//! strict [`InMemoryStore`].
//!
//! The domain decides; the store keeps. A commit carries whole claims: the store derives from
//! each claim the uniqueness keys and the counted limit it holds in its state
//! ([`Claim::holdings`]) and enforces them **atomically** with the version check:
//!
//! - one associated partner per (engagement, tenant, workload or subscription);
//! - one open claim per partner location and key;
//! - at most the engagement's cap of active activity claims per customer, across partners.
//!
//! Conditional writes are data ([`Expect`]), in the manner of `object_store`'s `PutMode`: a
//! create expects the claim to be absent, an update expects the version it read. A store that
//! implements this trait must pass the conformance suite in `cpor::testing` (feature
//! `testing`).
//!
//! # The catalog's rules, never a claim's own
//!
//! A store enforces the rules of the catalogs it was made with, not numbers a claim carries
//! (a claim carries none). Every store of this crate is made with a [`Catalogs`]: the
//! built-in ones by default, yours through its `with_catalogs`. On each write and each
//! import it checks the claim against the catalog of its program year
//! ([`Claim::validate`], through [`Claim::holdings`]), and takes the per-customer cap from
//! that catalog; a claim of a year it has no catalog for is refused with
//! [`StoreError::Invalid`]. Durable stores check each claim they load the same way, and
//! cross-check its body against the columns it is indexed by: a damaged or edited row is
//! [`StoreError::Corrupt`], never returned in its place and never to another partner.
//!
//! # The outbox
//!
//! The events of a commit (the customer notification, consent emails, referral requests,
//! the facts of an association starting or ending) are part of the commit: each [`Write`]
//! carries its claim's [`events`](Write::events), and the store writes them to its outbox
//! **in the same transaction** as the claim. A refused commit writes none; a retried create
//! that changes nothing writes none again. Each event is stored under its [`EventId`]: the
//! claim, the version the commit gave it, and its place among that write's events, the same
//! ID the service returns in its `Outcome`.
//!
//! Delivery workers take pending events with [`lease_events`](Store::lease_events): up to a
//! batch of them, oldest first, each marked as taken until the lease runs out, so that
//! several workers (threads, processes, service instances on one database) share the outbox
//! and none is handed an event another holds. A worker delivers what it took, then
//! [`acknowledge`](Store::acknowledge)s it, which removes it for good. An event whose lease
//! runs out unacknowledged (its worker crashed, or the delivery failed) is leased again,
//! with its attempt count one higher.
//!
//! That is **at-least-once** delivery: an event is never lost once its commit returned, and
//! may be delivered more than once (a worker that delivered and crashed before it
//! acknowledged, or one slower than its lease). A consumer recognises a repeat by its
//! [`EventId`] and ignores it. Events of one claim are leased in the order committed, but
//! two workers may deliver them out of order; the ID's version orders them.
//!
//! # Timers on many instances
//!
//! The sweep that expires overdue claims may run on every instance at once.
//! [`take_due`](Store::take_due) hands each caller a batch of due claims that no other
//! caller holds, marked as taken for a lease, so the instances share the work; the
//! version-checked commit of each expiry makes sure a claim expires once even if two
//! instances reached it.
//!
//! [`Catalogs`]: crate::Catalogs

pub(crate) mod asynchronous;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod columns;
mod error;
mod memory;
mod outbox;
mod page;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::claim::{Claim, ClaimBytesError, CountedKey, Holdings, InvalidClaim, UniqueKey};
pub use asynchronous::AsyncStore;
pub use error::StoreError;
pub use memory::InMemoryStore;
pub use outbox::{DEFAULT_LEASE, Leased, MAX_LEASE, MAX_LEASE_BATCH};
pub(crate) use outbox::{lease_end, lease_limit};
pub use page::{Cursor, CursorError, Page, PageRequest};
#[cfg(feature = "postgres")]
pub use postgres::{
    DEFAULT_MAX_CONNECTIONS, DEFAULT_PG_TIMEOUT, DEFAULT_SCHEMA, PgStore, PgStoreConfig,
};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteOptions, SqliteStore, Synchronous};

use crate::catalog::EngagementId;
use crate::event::{Event, EventId};
use crate::id::{ClaimId, CustomerId, PartnerId};

/// The version of a stored claim: 1 when created, one more on each write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Version(u64);

impl Version {
    /// The version of a claim just created.
    pub const FIRST: Self = Self(1);

    /// Wraps a number read from a database.
    #[must_use]
    pub const fn new(n: u64) -> Self {
        Self(n)
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The next version, saturating at `u64::MAX`.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// A claim as stored, with its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stored {
    /// The claim.
    pub claim: Claim,
    /// Its version.
    pub version: Version,
}

/// What a write expects to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expect {
    /// No claim with this ID: a create. If a claim with the same ID and the same content
    /// exists, the write succeeds without change (an idempotent retry); with other content it
    /// fails with [`StoreError::IdConflict`].
    Absent,
    /// The claim at exactly this version: an update (optimistic concurrency).
    Version(Version),
}

/// One claim to write, with the events its change made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// The claim in its new state, with its new history.
    pub claim: Claim,
    /// What the store must find first.
    pub expect: Expect,
    /// The events of this change of the claim, in order: the store writes them to its
    /// outbox in the commit's transaction, numbered from 0 under the version it gives the
    /// claim (see [the outbox](self#the-outbox)). A create that finds the same claim
    /// already stored writes none.
    pub events: Vec<Event>,
}

impl Write {
    /// A create, with no events.
    #[must_use]
    pub fn create(claim: impl Into<Claim>) -> Self {
        Self {
            claim: claim.into(),
            expect: Expect::Absent,
            events: Vec::new(),
        }
    }

    /// An update of the claim read at `version`, with no events.
    #[must_use]
    pub fn update(claim: impl Into<Claim>, version: Version) -> Self {
        Self {
            claim: claim.into(),
            expect: Expect::Version(version),
            events: Vec::new(),
        }
    }

    /// The same write, with `events` for the outbox.
    #[must_use]
    pub fn with_events<E: Into<Event>>(mut self, events: impl IntoIterator<Item = E>) -> Self {
        self.events = events.into_iter().map(Into::into).collect();
        self
    }

    /// The version this write gives its claim if it changes it: the first version for a
    /// create, the next one for an update.
    #[must_use]
    pub const fn new_version(&self) -> Version {
        match self.expect {
            Expect::Absent => Version::FIRST,
            Expect::Version(v) => v.next(),
        }
    }

    /// The events with the IDs the store keeps them under, given the version it gave the
    /// claim (for implementers of [`Store::commit`]).
    pub fn numbered_events(&self, version: Version) -> impl Iterator<Item = (EventId, &Event)> {
        let claim = self.claim.id();
        self.events.iter().zip(0_u32..).map(move |(event, index)| {
            (
                EventId {
                    claim,
                    version,
                    index,
                },
                event,
            )
        })
    }
}

/// What became of each claim of a bulk [`import`](Store::import), in the order given.
///
/// A refused claim was not written; the others were, in the batch's one transaction.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ImportReport {
    /// One entry per claim of the batch, in order: the claim's ID and its stored version, or
    /// why it was refused.
    pub outcomes: Vec<(ClaimId, Result<Version, StoreError>)>,
}

impl ImportReport {
    /// An empty report, to push outcomes into (for implementers of [`Store::import`]).
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            outcomes: Vec::with_capacity(capacity),
        }
    }

    /// How many claims were imported (an idempotent re-import counts as imported).
    #[must_use]
    pub fn imported(&self) -> usize {
        self.outcomes.iter().filter(|(_, r)| r.is_ok()).count()
    }

    /// The refused claims, with why.
    pub fn refused(&self) -> impl Iterator<Item = (ClaimId, &StoreError)> {
        self.outcomes
            .iter()
            .filter_map(|(id, r)| r.as_ref().err().map(|e| (*id, e)))
    }

    /// Whether every claim was imported.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.outcomes.iter().all(|(_, r)| r.is_ok())
    }
}

/// Who reads: a partner location sees only its own claims; Microsoft (reviewers, the timer)
/// sees all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One partner location.
    Partner(PartnerId),
    /// Microsoft's side: reviewers and the timer.
    Microsoft,
}

impl Scope {
    /// Whether a claim of `owner` is visible in this scope.
    #[must_use]
    pub fn sees(self, owner: PartnerId) -> bool {
        match self {
            Self::Partner(partner) => partner == owner,
            Self::Microsoft => true,
        }
    }
}

/// A claim store. Applications implement it over their own database; [`InMemoryStore`] is the
/// reference.
///
/// It is synchronous, `Send + Sync` and object safe (`&dyn Store`, `Box<dyn Store>` and
/// `Arc<dyn Store>` all work), and deliberately not sealed. Until version 1.0, methods may be
/// added without a default body (the outbox added [`lease_events`](Self::lease_events),
/// [`acknowledge`](Self::acknowledge) and [`take_due`](Self::take_due)); from 1.0, a method
/// added later will come with one.
pub trait Store: Send + Sync {
    /// Loads a claim, as seen from `scope`.
    ///
    /// A claim of another partner location is indistinguishable from a missing one: both are
    /// `Ok(None)`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] if the stored claim is damaged, fails a check of its catalog
    /// or disagrees with the columns it is found by (a durable store checks every claim it
    /// reads as every way in is checked), and [`StoreError::Backend`] if the back end fails.
    fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError>;

    /// Writes every claim of `writes` in one atomic step, or none of them, with each write's
    /// [`events`](Write::events) in the outbox. The store takes the writes by value, so that
    /// it may keep the claims without copying them.
    ///
    /// For each write the store checks the [`Expect`]ation, then releases the keys the claim
    /// held at its old version and no longer holds, acquires the keys it holds now, and checks
    /// the counted limits it newly counts towards. A key released by one write of the commit
    /// may be acquired by another (an arbitration that supersedes a holder). Returns the new
    /// versions, in the order of `writes`; an idempotent create returns the existing version.
    ///
    /// # Errors
    ///
    /// - [`StoreError::Invalid`] for a claim that fails its catalog's checks (or whose
    ///   program year has no catalog in the store), before anything is written;
    /// - [`StoreError::Conflict`] naming the expected and actual versions;
    /// - [`StoreError::IdConflict`] for a create whose ID exists with other content;
    /// - [`StoreError::KeyHeld`] naming the holder of a uniqueness key;
    /// - [`StoreError::LimitReached`] when a counted limit would be exceeded;
    /// - [`StoreError::DuplicateWrite`] for one claim written twice;
    /// - [`StoreError::Backend`] if the back end fails.
    ///
    /// On any error nothing is written and no key changes hands.
    fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError>;

    /// Imports a batch of existing claims, as creates ([`Expect::Absent`]), in one
    /// transaction.
    ///
    /// # What is checked, and what is trusted
    ///
    /// An imported claim is a [`Claim`], so it already keeps every invariant that needs no
    /// catalog: its history is a walk of the transition table by users of its own partner
    /// location, and every field its state implies agrees with that history (see
    /// [`Claim`]). The store checks the rest against its catalogs: the program year, the
    /// engagement, role, solution area and workloads, the customer ID kind, the payout, the
    /// evidence each submission needed, and every stored deadline and window
    /// ([`Claim::validate`]); a claim that fails is refused with [`StoreError::Invalid`] in
    /// its place. Then the keys and the per-customer cap are enforced as for a create.
    ///
    /// Some facts come from outside and no store can check them: that the customer was
    /// eligible and the partner enrolled when the claim was made, which tenant a domain
    /// resolved to, that contacts, documents and references are real, and that the times are
    /// the true ones. They are **the importer's responsibility**: import only claims whose
    /// outside facts you trust, as the crate trusts the facts an application passes to a
    /// transition.
    ///
    /// Each claim is checked on its own, exactly as a one-write [`commit`](Self::commit) would
    /// check it, against the store and against the claims before it in the batch: a claim
    /// that is refused (its key held, its limit reached, its ID taken by other content) is left
    /// out and reported, and the others are written. Re-importing a claim with the same
    /// content is accepted without change, so a batch can be retried.
    ///
    /// The default body commits claim by claim, so a back-end failure part way leaves the
    /// claims before it written; every store of this crate overrides it with one transaction
    /// per batch, and a store over a transactional database should too.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`], [`StoreError::Unavailable`] or [`StoreError::Timeout`] if
    /// the back end fails; then nothing of the batch is written
    /// (but see the default body above). Refusals of single claims (including
    /// [`StoreError::Invalid`]) are not errors: they are in the [`ImportReport`].
    fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport::with_capacity(claims.len());
        for claim in claims {
            let id = claim.id();
            match self.commit(vec![Write::create(claim)]) {
                Err(
                    error @ (StoreError::Backend { .. }
                    | StoreError::Unavailable { .. }
                    | StoreError::Timeout { .. }),
                ) => return Err(error),
                Err(refusal) => report.outcomes.push((id, Err(refusal))),
                Ok(versions) => {
                    let version = versions.first().copied().unwrap_or(Version::FIRST);
                    report.outcomes.push((id, Ok(version)));
                }
            }
        }
        Ok(report)
    }

    /// A page of the claims of a partner location, in the order they were first stored.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] for a damaged claim, and the back end's failures.
    fn by_partner(&self, partner: PartnerId, page: PageRequest)
    -> Result<Page<Stored>, StoreError>;

    /// A page of the claims of a partner location for one engagement, in the order they were
    /// first stored.
    ///
    /// # Errors
    ///
    /// As [`by_partner`](Self::by_partner).
    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError>;

    /// A page of the claims about one customer, of every partner, as seen from `scope`, in
    /// the order they were first stored.
    ///
    /// # Errors
    ///
    /// As [`by_partner`](Self::by_partner).
    fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, StoreError>;

    /// The claim that holds a uniqueness key, if any.
    ///
    /// # Errors
    ///
    /// The back end's failures.
    fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError>;

    /// How many active claims count towards a counted key.
    ///
    /// # Errors
    ///
    /// The back end's failures.
    fn count(&self, key: &CountedKey) -> Result<u32, StoreError>;

    /// A page of the IDs of the claims whose next deadline is at or before `now`, in the
    /// order they were first stored. Walking the pages with their cursors visits each due
    /// claim once, even while the claims visited are written.
    ///
    /// # Errors
    ///
    /// The back end's failures.
    fn due(&self, now: DateTime<Utc>, page: PageRequest) -> Result<Page<ClaimId>, StoreError>;

    /// Takes up to `limit` due claims (next deadline at or before `now`) that no other
    /// caller holds, and holds them for `lease`: a call before the lease runs out, by this
    /// caller or another, does not return them again. For a sweep that runs on many
    /// instances at once: see [timers on many instances](self#timers-on-many-instances).
    ///
    /// The claims come in the order they were first stored. `limit` is brought into
    /// `1..=`[`MAX_LEASE_BATCH`], `lease` to at most [`MAX_LEASE`]. Taking a claim changes
    /// nothing else about it: expiring it is a version-checked commit as any other.
    ///
    /// # Errors
    ///
    /// The back end's failures; then nothing was taken.
    fn take_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimId>, StoreError>;

    /// Takes up to `limit` pending events from the outbox, oldest first, and leases them
    /// until `now + lease`: none of them is leased again before that, unless acknowledged
    /// first it is leased again after. See [the outbox](self#the-outbox).
    ///
    /// `limit` is brought into `1..=`[`MAX_LEASE_BATCH`], `lease` to at most [`MAX_LEASE`].
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] if a stored event does not read back as an [`Event`], and the
    /// back end's failures; then nothing was leased.
    fn lease_events(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Leased>, StoreError>;

    /// Removes delivered events from the outbox, whoever holds their lease, and returns how
    /// many were there. Unknown or already acknowledged IDs are ignored, so an
    /// acknowledgement may be retried.
    ///
    /// # Errors
    ///
    /// The back end's failures; then nothing was removed.
    fn acknowledge(&self, ids: &[EventId]) -> Result<usize, StoreError>;
}

// ---- Forwarding impls: a store behind a reference or a smart pointer is a store ----

/// Implements [`Store`] for a pointer type by forwarding every method to the pointee.
macro_rules! forward_store {
    ($(#[$doc:meta])* $ptr:ty) => {
        $(#[$doc])*
        impl<T: Store + ?Sized> Store for $ptr {
            fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
                (**self).load(scope, id)
            }

            fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
                (**self).commit(writes)
            }

            fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
                (**self).import(claims)
            }

            fn by_partner(
                &self,
                partner: PartnerId,
                page: PageRequest,
            ) -> Result<Page<Stored>, StoreError> {
                (**self).by_partner(partner, page)
            }

            fn by_partner_engagement(
                &self,
                partner: PartnerId,
                engagement: &EngagementId,
                page: PageRequest,
            ) -> Result<Page<Stored>, StoreError> {
                (**self).by_partner_engagement(partner, engagement, page)
            }

            fn by_customer(
                &self,
                scope: Scope,
                customer: &CustomerId,
                page: PageRequest,
            ) -> Result<Page<Stored>, StoreError> {
                (**self).by_customer(scope, customer, page)
            }

            fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
                (**self).holder(key)
            }

            fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
                (**self).count(key)
            }

            fn due(
                &self,
                now: DateTime<Utc>,
                page: PageRequest,
            ) -> Result<Page<ClaimId>, StoreError> {
                (**self).due(now, page)
            }

            fn take_due(
                &self,
                now: DateTime<Utc>,
                lease: Duration,
                limit: usize,
            ) -> Result<Vec<ClaimId>, StoreError> {
                (**self).take_due(now, lease, limit)
            }

            fn lease_events(
                &self,
                now: DateTime<Utc>,
                lease: Duration,
                limit: usize,
            ) -> Result<Vec<Leased>, StoreError> {
                (**self).lease_events(now, lease, limit)
            }

            fn acknowledge(&self, ids: &[EventId]) -> Result<usize, StoreError> {
                (**self).acknowledge(ids)
            }
        }
    };
}

forward_store!(
    /// A borrowed store (`&InMemoryStore`, `&dyn Store`) is a store.
    &T
);
forward_store!(
    /// `Box<dyn Store>` is a store.
    Box<T>
);
forward_store!(
    /// `Arc<dyn Store>` is a store, shared between threads.
    std::sync::Arc<T>
);
