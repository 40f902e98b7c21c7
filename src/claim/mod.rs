//! A claim of either family, its invariants, the keys it holds and its binary form.
//!
//! A [`Claim`] is consistent by construction: every way one comes into existence (creation,
//! a transition, JSON, [`Claim::from_bytes`], a store's import and load) passes one validator
//! of its invariants ([`Invariant`]). What the catalog decides is checked against the catalog
//! of the claim's program year wherever catalogs are known ([`Claim::validate`]).

mod bytes;
pub(crate) mod invalid;
mod keys;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::activity::ActivityClaim;
use crate::association::AssociationClaim;
use crate::catalog::{Catalogs, EngagementId, ProgramYear};
use crate::claim::invalid::{Broken, Invariant as I};
use crate::id::{ClaimId, CustomerId, PartnerId};

pub use bytes::ClaimBytesError;
pub use invalid::{InvalidClaim, Invariant};
pub(crate) use keys::holds_open_keys;
pub use keys::{CountedKey, Holdings, UniqueKey};

/// A claim of either family, as a store keeps it.
///
/// # What is checked, and what is trusted
///
/// Every `Claim` value is consistent, however it came to exist: created, changed by a
/// transition, read from JSON (`Deserialize`), read from [`Claim::from_bytes`], imported,
/// or loaded by a store. One validator runs on each of these ways in, and a value that fails
/// it is refused with an [`InvalidClaim`] naming the claim and the first broken
/// [`Invariant`]; it never panics. It checks that:
///
/// - the history is a walk of the transition table from the creation: each entry's from,
///   to, command and actor kind is an allowed transition, and the last entry's state is the
///   claim's state ([`Invariant::History`]);
/// - times never decrease along the history, and the creation time is its first entry's
///   ([`Invariant::Times`]);
/// - every field the state implies (the notification and opt-out window, approval,
///   rejection and dispute window, dispute, info request, end of the association, consent,
///   submissions, evidence, estimated deal size, referral) is what the history made it
///   ([`Invariant::Fields`]);
/// - every partner user in the history acted for the claim's partner location, except
///   before a resubmit that moved the claim to another location, which the history shows
///   ([`Invariant::Partner`]);
/// - no workload or product is named twice ([`Invariant::Repeated`]).
///
/// What the catalog decides needs the catalog of the claim's program year, and is checked
/// by [`Claim::validate`] wherever catalogs are known: by every transition (which is given
/// its catalog), and by every store of this crate on each write, import and load
/// ([`Invariant::Catalog`], [`Invariant::Derived`]). A claim carries no copy of a rule: its
/// per-customer cap, deadlines and evidence rules are always its catalog's.
///
/// Facts from outside that the crate cannot check are trusted as given: which tenant a
/// domain resolved to (a tenant nomination resolves only to itself), the eligibility and
/// enrollment decided when the claim was made, and the truth of contacts, documents and
/// times. A caller that reads claims from elsewhere (see [`Store::import`]) is responsible
/// for them.
///
/// [`Store::import`]: crate::store::Store::import
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "family", content = "claim", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Claim {
    /// A CPOR customer-association claim.
    Association(AssociationClaim),
    /// An MCI partner-activity claim.
    Activity(ActivityClaim),
}

impl From<AssociationClaim> for Claim {
    fn from(claim: AssociationClaim) -> Self {
        Self::Association(claim)
    }
}

impl From<ActivityClaim> for Claim {
    fn from(claim: ActivityClaim) -> Self {
        Self::Activity(claim)
    }
}

impl Claim {
    /// The claim's ID.
    #[must_use]
    pub const fn id(&self) -> ClaimId {
        match self {
            Self::Association(c) => c.id(),
            Self::Activity(c) => c.id(),
        }
    }

    /// The program year whose catalog governs the claim.
    #[must_use]
    pub const fn program_year(&self) -> ProgramYear {
        match self {
            Self::Association(c) => c.program_year(),
            Self::Activity(c) => c.program_year(),
        }
    }

    /// The partner location that owns it.
    #[must_use]
    pub const fn partner(&self) -> PartnerId {
        match self {
            Self::Association(c) => c.content().partner,
            Self::Activity(c) => c.partner(),
        }
    }

    /// The engagement.
    #[must_use]
    pub const fn engagement(&self) -> &EngagementId {
        match self {
            Self::Association(c) => &c.content().engagement,
            Self::Activity(c) => c.engagement(),
        }
    }

    /// The customer: the tenant of an association claim, the nominated ID of an activity
    /// claim.
    #[must_use]
    pub fn customer(&self) -> CustomerId {
        match self {
            Self::Association(c) => CustomerId::Tenant(c.content().tenant),
            Self::Activity(c) => c.customer().clone(),
        }
    }

    /// The next moment a timer changes the claim; stores index on it.
    #[must_use]
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Association(c) => c.next_deadline(),
            Self::Activity(c) => c.next_deadline(),
        }
    }

    /// The association claim, if it is one.
    #[must_use]
    pub const fn as_association(&self) -> Option<&AssociationClaim> {
        match self {
            Self::Association(c) => Some(c),
            Self::Activity(_) => None,
        }
    }

    /// The activity claim, if it is one.
    #[must_use]
    pub const fn as_activity(&self) -> Option<&ActivityClaim> {
        match self {
            Self::Activity(c) => Some(c),
            Self::Association(_) => None,
        }
    }

    /// Whether two claims have the same content, for an idempotent create: same family, ID,
    /// partner, customer, engagement and form content, whatever their times.
    #[must_use]
    pub fn same_content(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Association(a), Self::Association(b)) => {
                a.id() == b.id() && a.content() == b.content() && a.poe() == b.poe()
            }
            (Self::Activity(a), Self::Activity(b)) => {
                a.id() == b.id()
                    && a.partner() == b.partner()
                    && a.customer() == b.customer()
                    && a.engagement() == b.engagement()
                    && a.name() == b.name()
                    && a.variable_pay() == b.variable_pay()
                    && a.customer_contact() == b.customer_contact()
                    && a.company_contact() == b.company_contact()
            }
            _ => false,
        }
    }

    /// Checks the claim against the catalog of its program year in `catalogs`: every rule
    /// the catalog decides (engagement, role, solution area, workloads, customer ID kind,
    /// payout, evidence, and each stored deadline or window).
    ///
    /// The invariants that need no catalog hold for every `Claim` value already; this adds
    /// the catalog's. Every store of this crate runs it on each claim it writes or loads,
    /// against the catalogs it was opened with.
    ///
    /// # Errors
    ///
    /// [`InvalidClaim`] with [`Invariant::Catalog`] if the program year is not in `catalogs`,
    /// and otherwise the first broken invariant.
    pub fn validate(&self, catalogs: &Catalogs) -> Result<(), InvalidClaim> {
        let year = self.program_year();
        let Some(catalog) = catalogs.get(year) else {
            return Err(InvalidClaim::new(
                self.id(),
                Broken::new(
                    I::Catalog,
                    format!("program year {year} is not in the catalogs"),
                ),
            ));
        };
        match self {
            Self::Association(c) => c.validate(catalog),
            Self::Activity(c) => c.validate(catalog),
        }
    }

    /// Checks the invariants that need no catalog; every constructor has run it already.
    pub(crate) fn check_structure(&self) -> Result<(), InvalidClaim> {
        match self {
            Self::Association(c) => c.check_structure(),
            Self::Activity(c) => c.check_structure(),
        }
    }
}

/// A claim's history: a vector whose clone keeps room for one more entry, so that a
/// transition (which clones the claim, then appends its entry) copies the history once.
#[derive(Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct History<T>(pub(crate) Vec<T>);

impl<T: Clone> Clone for History<T> {
    fn clone(&self) -> Self {
        let mut entries = Vec::with_capacity(self.0.len().saturating_add(1));
        entries.extend_from_slice(&self.0);
        Self(entries)
    }
}

impl<T> std::ops::Deref for History<T> {
    type Target = Vec<T>;

    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> std::ops::DerefMut for History<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<'a, T> IntoIterator for &'a History<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
