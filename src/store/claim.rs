//! A stored claim of either family, and the keys it holds.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::activity::ActivityClaim;
use crate::association::{AssociationClaim, AssociationKey, AssociationState};
#[cfg(test)]
use crate::association::{KeyUnit, Target};
use crate::catalog::EngagementId;
use crate::codec::{CodecError, Head, Reader, TypedHead, Writer};
use crate::id::{ClaimId, CustomerId, PartnerId};

/// The bytes [`Claim::encode`] reserves: more than a typical claim takes.
const ENCODED_GUESS: usize = 512;

/// A claim of either family, as a store keeps it.
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

/// Why [`Claim::from_bytes`] refused its bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimBytesError {
    /// No bytes at all.
    #[error("claim bytes are empty")]
    Empty,
    /// The first byte is a format version this build does not know.
    #[error(
        "claim bytes are of format {format}, which this build does not know (it reads format \
         {known}); a newer format needs a newer version of the cpor crate"
    )]
    UnknownFormat {
        /// The format version found.
        format: u8,
        /// The newest format version this build reads.
        known: u8,
    },
    /// The bytes are truncated, trailing, malformed or describe an invalid claim.
    #[error("claim bytes are corrupt at byte {offset}: {reason}")]
    Invalid {
        /// The byte offset, from the start of the bytes, at which reading failed.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
}

impl ClaimBytesError {
    /// The stable machine-readable code, such as `claim_bytes.invalid`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "claim_bytes.empty",
            Self::UnknownFormat { .. } => "claim_bytes.unknown_format",
            Self::Invalid { .. } => "claim_bytes.invalid",
        }
    }
}

/// A uniqueness key: at most one claim holds it at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum UniqueKey {
    /// One associated partner per (engagement, tenant, workload or subscription): held by an
    /// approved association claim.
    Associated {
        /// The association key.
        key: AssociationKey,
    },
    /// One open association claim per partner location and association key.
    OpenAssociation {
        /// The partner location.
        partner: PartnerId,
        /// The association key.
        key: AssociationKey,
    },
    /// One open activity claim per partner location, engagement and customer.
    OpenActivity {
        /// The partner location.
        partner: PartnerId,
        /// The engagement.
        engagement: EngagementId,
        /// The customer.
        customer: CustomerId,
    },
}

impl UniqueKey {
    /// The customer the key is about: stores may group keys by it.
    #[must_use]
    pub fn customer(&self) -> CustomerId {
        match self {
            Self::Associated { key } | Self::OpenAssociation { key, .. } => {
                CustomerId::Tenant(key.tenant)
            }
            Self::OpenActivity { customer, .. } => customer.clone(),
        }
    }
}

impl fmt::Display for UniqueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Associated { key } => write!(f, "associated:{key}"),
            Self::OpenAssociation { partner, key } => write!(f, "open:{partner}:{key}"),
            Self::OpenActivity {
                partner,
                engagement,
                customer,
            } => write!(f, "open:{partner}:{engagement}:{customer}"),
        }
    }
}

/// A counted limit: at most `limit` active claims per (engagement, customer), across all
/// partners.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CountedKey {
    /// The engagement.
    pub engagement: EngagementId,
    /// The customer.
    pub customer: CustomerId,
}

impl fmt::Display for CountedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.engagement, self.customer)
    }
}

/// What a claim holds in a store, in its current state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holdings {
    /// The uniqueness keys it holds.
    pub unique: Vec<UniqueKey>,
    /// The counted limit it counts towards, with the limit.
    pub counted: Option<(CountedKey, u32)>,
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

    /// The keys and the counted limit the claim holds in its current state:
    ///
    /// - an approved association claim holds `Associated` for each of its keys;
    /// - an open association claim (draft, submitted, under review, partner action required,
    ///   approved or disputed) holds `OpenAssociation` for each of its keys;
    /// - an active activity claim holds `OpenActivity` and counts towards its engagement's
    ///   per-customer cap. Both are keyed by the tenant a domain nomination resolved to, so
    ///   that claims made by domain and by tenant ID count together (as eligibility counts
    ///   them, domain.md section 5.2); other nominations are keyed by the nominated ID.
    #[must_use]
    pub fn holdings(&self) -> Holdings {
        match self {
            Self::Association(c) => {
                let open = holds_open_keys(c.state());
                let approved = c.state() == AssociationState::Approved;
                let partner = c.content().partner;
                let mut unique = Vec::new();
                if open || approved {
                    for key in c.keys() {
                        if approved {
                            unique.push(UniqueKey::Associated { key: key.clone() });
                        }
                        if open {
                            unique.push(UniqueKey::OpenAssociation { partner, key });
                        }
                    }
                }
                Holdings {
                    unique,
                    counted: None,
                }
            }
            Self::Activity(c) if c.state().is_active() => {
                let customer = key_customer(c);
                Holdings {
                    unique: vec![UniqueKey::OpenActivity {
                        partner: c.partner(),
                        engagement: c.engagement().clone(),
                        customer: customer.clone(),
                    }],
                    counted: Some((
                        CountedKey {
                            engagement: c.engagement().clone(),
                            customer,
                        },
                        c.max_active_per_customer(),
                    )),
                }
            }
            Self::Activity(_) => Holdings::default(),
        }
    }

    /// The customer the claim's keys and counted limit are about: the tenant of an association
    /// claim; for an activity claim, the tenant a domain nomination resolved to, else the
    /// nominated ID.
    pub(crate) fn key_customer(&self) -> CustomerId {
        match self {
            Self::Association(c) => CustomerId::Tenant(c.content().tenant),
            Self::Activity(c) => key_customer(c),
        }
    }

    #[cfg(test)]
    /// Whether the claim holds `key` in its current state: the same answer as
    /// `self.holdings().unique.contains(key)`, without building the holdings.
    pub(crate) fn holds(&self, key: &UniqueKey) -> bool {
        match (self, key) {
            (Self::Association(c), UniqueKey::Associated { key }) => {
                c.state() == AssociationState::Approved && is_about(c, key)
            }
            (Self::Association(c), UniqueKey::OpenAssociation { partner, key }) => {
                holds_open_keys(c.state()) && c.content().partner == *partner && is_about(c, key)
            }
            (
                Self::Activity(c),
                UniqueKey::OpenActivity {
                    partner,
                    engagement,
                    customer,
                },
            ) => {
                c.state().is_active()
                    && c.partner() == *partner
                    && c.engagement() == engagement
                    && key_customer(c) == *customer
            }
            _ => false,
        }
    }

    #[cfg(test)]
    /// Whether the claim counts towards `key` in its current state: the same answer as
    /// comparing `self.holdings().counted` with `key`.
    pub(crate) fn counts_towards(&self, key: &CountedKey) -> bool {
        match self {
            Self::Activity(c) => {
                c.state().is_active()
                    && c.engagement() == &key.engagement
                    && key_customer(c) == key.customer
            }
            Self::Association(_) => false,
        }
    }

    /// Whether the claim holds any key or counts towards a limit in its current state.
    pub(crate) fn holds_anything(&self) -> bool {
        match self {
            Self::Association(c) => holds_open_keys(c.state()),
            Self::Activity(c) => c.state().is_active(),
        }
    }

    /// Appends the claim's compact private encoding to `out` (see `crate::codec`): a
    /// [`Head`] with what the key questions need, then the family's body.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        w.reserve(ENCODED_GUESS);
        match self {
            Self::Association(c) => {
                Head::write_association(&mut w, c);
                c.encode_body(&mut w);
            }
            Self::Activity(c) => {
                Head::write_activity(&mut w, c);
                c.encode_body(&mut w);
            }
        }
    }

    /// Decodes what [`encode`](Self::encode) wrote. Every value goes through its validating
    /// constructor and the claim through the consistency check of deserializing, so no bytes
    /// give an invalid claim.
    ///
    /// # Errors
    ///
    /// A [`CodecError`] for truncated, trailing, malformed or inconsistent bytes.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader::new(bytes);
        let head = Head::read(&mut r)?;
        let claim: Self = match head.typed()? {
            TypedHead::Association(typed) => AssociationClaim::decode_body(typed, &mut r)?.into(),
            TypedHead::Activity(typed) => ActivityClaim::decode_body(typed, &mut r)?.into(),
        };
        r.finish()?;
        if claim.next_deadline() != head.next_deadline() {
            return Err(CodecError::new(0, "the head's deadline is not the claim's"));
        }
        Ok(claim)
    }

    /// The claim as bytes in the stable binary format `SqliteStore` persists: a format
    /// version byte ([`Claim::BYTES_FORMAT`], 1), then the claim's compact encoding. A typical
    /// claim takes about a quarter of its JSON.
    ///
    /// A store over another database can keep the same bytes; [`Claim::from_bytes`] reads
    /// them back. A later version of this crate that changes the encoding writes a new format
    /// version and still reads this one.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ENCODED_GUESS);
        self.write_bytes(&mut out);
        out
    }

    /// Appends [`to_bytes`](Self::to_bytes)'s bytes to `out`, for a caller that reuses a
    /// buffer.
    pub(crate) fn write_bytes(&self, out: &mut Vec<u8>) {
        out.push(Self::BYTES_FORMAT);
        self.encode(out);
    }

    /// The format version [`to_bytes`](Self::to_bytes) writes as its first byte.
    pub const BYTES_FORMAT: u8 = 1;

    /// Reads a claim from the bytes of [`to_bytes`](Self::to_bytes). Every value goes
    /// through its validating constructor and the claim through its consistency check, so no
    /// bytes give an invalid claim.
    ///
    /// # Errors
    ///
    /// [`ClaimBytesError::Empty`] for no bytes, [`ClaimBytesError::UnknownFormat`] for a
    /// format version this build does not know (such as one written by a newer version of
    /// this crate), and [`ClaimBytesError::Invalid`] for truncated, trailing, malformed or
    /// inconsistent bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ClaimBytesError> {
        match bytes.split_first() {
            None => Err(ClaimBytesError::Empty),
            Some((&Self::BYTES_FORMAT, encoded)) => {
                Self::decode(encoded).map_err(|e| ClaimBytesError::Invalid {
                    offset: e.offset().saturating_add(1),
                    reason: e.what(),
                })
            }
            Some((&format, _)) => Err(ClaimBytesError::UnknownFormat {
                format,
                known: Self::BYTES_FORMAT,
            }),
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
}

/// Whether an association claim in `state` holds its `OpenAssociation` keys: open (draft,
/// submitted, under review, partner action required, approved or disputed).
pub(crate) const fn holds_open_keys(state: AssociationState) -> bool {
    matches!(
        state,
        AssociationState::Draft
            | AssociationState::Submitted
            | AssociationState::UnderReview
            | AssociationState::PartnerActionRequired
            | AssociationState::Approved
            | AssociationState::Disputed
    )
}

/// The customer an activity claim's keys are about: a domain counts as the tenant it resolved
/// to (domain.md section 5.2), so claims by domain and by tenant ID count together.
fn key_customer(c: &ActivityClaim) -> CustomerId {
    match (c.customer(), c.resolved_tenant()) {
        (CustomerId::Domain(_), Some(tenant)) => CustomerId::Tenant(tenant),
        (customer, _) => customer.clone(),
    }
}

#[cfg(test)]
/// Whether an association key is one of the claim's keys.
fn is_about(c: &AssociationClaim, key: &AssociationKey) -> bool {
    let content = c.content();
    content.tenant == key.tenant
        && content.engagement == key.engagement
        && match (&content.target, &key.unit) {
            (Target::Workloads { workloads }, KeyUnit::Workload(w)) => workloads.contains(w),
            (Target::Subscription { subscription, .. }, KeyUnit::Subscription(s)) => {
                subscription == s
            }
            _ => false,
        }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::fixtures::{
        CAP_ONE, PARTNER_A, PARTNER_B, Stage, World, claim_id, partner, tenant,
    };

    /// `holds`, `counts_towards` and `holds_anything` agree with `holdings` on claims of every
    /// stage, for their own keys and for the keys of every other claim.
    #[test]
    fn holds_agrees_with_holdings() {
        let w = World::new().unwrap();
        let stages = [
            Stage::Draft,
            Stage::DraftWithPoe,
            Stage::Withdrawn,
            Stage::Submitted,
            Stage::UnderReview,
            Stage::InfoRequested,
            Stage::Approved,
            Stage::Declined,
        ];
        let mut claims: Vec<Claim> = Vec::new();
        for (n, stage) in (1_u128..).zip(stages) {
            let p = partner(if n % 2 == 0 { PARTNER_A } else { PARTNER_B }).unwrap();
            let t = tenant(n % 3).unwrap();
            let workloads: &[&str] = if n % 2 == 0 {
                &["teams", "exchange"]
            } else {
                &["teams"]
            };
            claims.push(
                w.association(claim_id(n).unwrap(), p, t, workloads, stage)
                    .unwrap()
                    .into(),
            );
        }
        for n in 20_u128..24 {
            let p = partner(if n % 2 == 0 { PARTNER_A } else { PARTNER_B }).unwrap();
            let customer = CustomerId::Tenant(tenant(n % 2).unwrap());
            let claim = w
                .activity(claim_id(n).unwrap(), p, CAP_ONE, &customer, 0)
                .unwrap();
            claims.push(claim.clone().into());
            claims.push(w.cancel(&claim, 1).unwrap().into());
        }
        let keys: Vec<UniqueKey> = claims.iter().flat_map(|c| c.holdings().unique).collect();
        let counted: Vec<CountedKey> = claims
            .iter()
            .filter_map(|c| c.holdings().counted.map(|(k, _)| k))
            .collect();
        assert!(keys.len() > 10 && !counted.is_empty());
        for claim in &claims {
            let holdings = claim.holdings();
            assert_eq!(
                claim.holds_anything(),
                !holdings.unique.is_empty() || holdings.counted.is_some()
            );
            for key in &keys {
                assert_eq!(claim.holds(key), holdings.unique.contains(key), "{key}");
                if claim.holds(key) {
                    assert_eq!(key.customer(), claim.key_customer());
                }
            }
            for key in &counted {
                let expected = holdings.counted.as_ref().is_some_and(|(k, _)| k == key);
                assert_eq!(claim.counts_towards(key), expected, "{key}");
            }
        }
    }
}
