//! Who acts on a claim, and with which roles (see
//! [who may do what](crate::guide::rules#who-may-do-what)).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ErrorKind;
use crate::id::{CustomerId, PartnerId};

/// The ID of a person as the application knows them: a user principal name, an object ID, a
/// reviewer alias. Opaque to the library; 1 to 256 characters, no whitespace or control
/// characters. Cheap to clone.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(Arc<str>);

/// Why a [`UserId`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum UserIdError {
    /// Empty.
    #[error("user id is empty")]
    Empty,
    /// Longer than 256 characters.
    #[error("user id is longer than 256 characters")]
    TooLong,
    /// Whitespace or a control character.
    #[error("user id has the invalid character {ch:?} at index {index}")]
    InvalidCharacter {
        /// The character.
        ch: char,
        /// Its 0-based character index.
        index: usize,
    },
}

impl UserIdError {
    /// The stable machine-readable code, such as `user_id.empty`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "user_id.empty",
            Self::TooLong => "user_id.too_long",
            Self::InvalidCharacter { .. } => "user_id.invalid_character",
        }
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`], the input does not parse.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }

    /// Whether trying again may succeed: never, the same input is refused again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }
}

impl UserId {
    /// Checks and keeps a user ID.
    ///
    /// # Errors
    ///
    /// A [`UserIdError`] if the ID is empty, longer than 256 characters, or has whitespace or
    /// a control character.
    pub fn parse(text: &str) -> Result<Self, UserIdError> {
        if text.is_empty() {
            return Err(UserIdError::Empty);
        }
        for (index, ch) in text.chars().enumerate() {
            if index >= 256 {
                return Err(UserIdError::TooLong);
            }
            if ch.is_whitespace() || ch.is_control() {
                return Err(UserIdError::InvalidCharacter { ch, index });
            }
        }
        Ok(Self(Arc::from(text)))
    }

    /// The ID.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An ID the library uses for itself, known to be valid.
    pub(crate) fn internal(name: &'static str) -> Self {
        Self(Arc::from(name))
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserId({})", self.0)
    }
}

impl std::str::FromStr for UserId {
    type Err = UserIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for UserId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A Partner Center role of a partner user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerUserRole {
    /// Creates, edits, submits, cancels, disputes and disassociates claims.
    IncentivesAdmin,
    /// Views claims and Customers pages; runs MCI consent and evidence steps.
    IncentivesUser,
    /// Sees the referral linked to a claim.
    ReferralAdmin,
}

impl PartnerUserRole {
    const fn bit(self) -> u8 {
        match self {
            Self::IncentivesAdmin => 1,
            Self::IncentivesUser => 2,
            Self::ReferralAdmin => 4,
        }
    }

    /// Every role.
    pub const ALL: [Self; 3] = [
        Self::IncentivesAdmin,
        Self::IncentivesUser,
        Self::ReferralAdmin,
    ];
}

/// The set of roles a partner user holds. Serialized as a list of role names.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UserRoles(u8);

impl UserRoles {
    /// No role at all.
    pub const NONE: Self = Self(0);

    /// A set of the given roles.
    pub fn of(roles: impl IntoIterator<Item = PartnerUserRole>) -> Self {
        roles.into_iter().fold(Self::NONE, Self::with)
    }

    /// This set plus `role`.
    #[must_use]
    pub const fn with(self, role: PartnerUserRole) -> Self {
        Self(self.0 | role.bit())
    }

    /// Whether the set holds `role`.
    #[must_use]
    pub const fn contains(self, role: PartnerUserRole) -> bool {
        self.0 & role.bit() != 0
    }

    /// The roles in the set.
    pub fn iter(self) -> impl Iterator<Item = PartnerUserRole> {
        PartnerUserRole::ALL
            .into_iter()
            .filter(move |role| self.contains(*role))
    }
}

impl fmt::Debug for UserRoles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for UserRoles {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for UserRoles {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::of(Vec::<PartnerUserRole>::deserialize(deserializer)?))
    }
}

/// Who issues a command, with the identity that decides what it may do.
///
/// - A partner user acts **at** one location of its account (`partner`: new claims belong
///   to it) and **for** a set of locations: that one and the others it is entitled to
///   (`also`). It sees and changes the claims of those locations only, and may move a claim
///   only to one of them.
/// - A customer speaks for one customer ID: the tenant of an association claim, or, for an
///   activity claim, the ID it was nominated by or the tenant that ID resolved to. It may
///   answer only for claims about that customer; any other claim looks missing to it.
/// - A reviewer and the timer act on any claim.
///
/// The history records the whole actor, so it shows who acted: the user and its location,
/// the customer's ID, the reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Actor {
    /// A user of a partner organisation.
    Partner {
        /// The partner location the user acts at; claims it creates belong to it.
        partner: PartnerId,
        /// The user.
        user: UserId,
        /// The user's roles.
        roles: UserRoles,
        /// The other locations of the account the user may act for (none by default).
        #[serde(default, skip_serializing_if = "Locations::is_empty")]
        also: Locations,
    },
    /// A Microsoft reviewer.
    Reviewer {
        /// The reviewer.
        user: UserId,
    },
    /// The customer, answering a notification or a consent email.
    Customer {
        /// The customer it speaks for.
        customer: CustomerId,
    },
    /// The application's timer, applying deadlines.
    System,
}

/// A set of partner locations, each once, in ascending order.
///
/// Deserializing sorts and deduplicates, and refuses more than [`Locations::MAX`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Locations(Box<[PartnerId]>);

impl Locations {
    /// The most locations a set holds: more than any partner account has.
    pub const MAX: usize = 1_000;

    /// The set of `locations`, sorted, each once; `None` if there are more than
    /// [`Locations::MAX`].
    #[must_use]
    pub fn of(locations: impl IntoIterator<Item = PartnerId>) -> Option<Self> {
        let mut all: Vec<PartnerId> = locations
            .into_iter()
            .take(Self::MAX.saturating_add(1))
            .collect();
        if all.len() > Self::MAX {
            return None;
        }
        all.sort_unstable();
        all.dedup();
        Some(Self(all.into_boxed_slice()))
    }

    /// Whether the set holds `partner`.
    #[must_use]
    #[inline]
    pub fn contains(&self, partner: PartnerId) -> bool {
        self.0.binary_search(&partner).is_ok()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The locations, ascending.
    pub fn iter(&self) -> impl Iterator<Item = PartnerId> + '_ {
        self.0.iter().copied()
    }
}

impl<'de> Deserialize<'de> for Locations {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Locations;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "at most {} partner locations", Locations::MAX)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Locations, A::Error> {
                let mut all = Vec::new();
                while let Some(partner) = seq.next_element::<PartnerId>()? {
                    if all.len() >= Locations::MAX {
                        return Err(serde::de::Error::custom(format_args!(
                            "more than {} partner locations",
                            Locations::MAX
                        )));
                    }
                    all.push(partner);
                }
                Locations::of(all)
                    .ok_or_else(|| serde::de::Error::custom("too many partner locations"))
            }
        }
        deserializer.deserialize_seq(Visitor)
    }
}

/// The kind of an [`Actor`], without its details: what the transition tables name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ActorKind {
    /// A partner user with the Incentives admin role.
    IncentivesAdmin,
    /// A partner user with the Incentives user role (and not admin).
    IncentivesUser,
    /// A partner user with neither incentives role.
    OtherPartnerUser,
    /// A Microsoft reviewer.
    Reviewer,
    /// The customer.
    Customer,
    /// The timer.
    System,
}

impl ActorKind {
    /// The snake-case name, as in JSON, such as `incentives_admin`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::IncentivesAdmin => "incentives_admin",
            Self::IncentivesUser => "incentives_user",
            Self::OtherPartnerUser => "other_partner_user",
            Self::Reviewer => "reviewer",
            Self::Customer => "customer",
            Self::System => "system",
        }
    }

    /// The kind in lowercase words with its article, for messages, such as
    /// `an incentives admin` or `the timer`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::IncentivesAdmin => "an incentives admin",
            Self::IncentivesUser => "an incentives user",
            Self::OtherPartnerUser => "a partner user without an incentives role",
            Self::Reviewer => "a microsoft reviewer",
            Self::Customer => "the customer",
            Self::System => "the timer",
        }
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Actor {
    /// A partner user acting at `partner`, for that location only.
    #[must_use]
    pub fn partner(partner: PartnerId, user: UserId, roles: UserRoles) -> Self {
        Self::Partner {
            partner,
            user,
            roles,
            also: Locations::default(),
        }
    }

    /// The same partner user, entitled to act for `locations` as well (other locations of
    /// its account). Other actors are returned unchanged.
    #[must_use]
    pub fn with_locations(self, locations: Locations) -> Self {
        match self {
            Self::Partner {
                partner,
                user,
                roles,
                ..
            } => Self::Partner {
                partner,
                user,
                roles,
                also: locations,
            },
            other => other,
        }
    }

    /// The customer that speaks for `customer`.
    #[must_use]
    pub const fn customer(customer: CustomerId) -> Self {
        Self::Customer { customer }
    }

    /// A reviewer.
    #[must_use]
    pub const fn reviewer(user: UserId) -> Self {
        Self::Reviewer { user }
    }

    /// The strongest kind this actor acts as: Incentives admin before Incentives user.
    #[must_use]
    #[inline]
    pub const fn kind(&self) -> ActorKind {
        match self {
            Self::Partner { roles, .. } if roles.contains(PartnerUserRole::IncentivesAdmin) => {
                ActorKind::IncentivesAdmin
            }
            Self::Partner { roles, .. } if roles.contains(PartnerUserRole::IncentivesUser) => {
                ActorKind::IncentivesUser
            }
            Self::Partner { .. } => ActorKind::OtherPartnerUser,
            Self::Reviewer { .. } => ActorKind::Reviewer,
            Self::Customer { .. } => ActorKind::Customer,
            Self::System => ActorKind::System,
        }
    }

    /// The partner location a partner user acts at.
    #[must_use]
    #[inline]
    pub const fn partner_id(&self) -> Option<PartnerId> {
        match self {
            Self::Partner { partner, .. } => Some(*partner),
            _ => None,
        }
    }

    /// Whether this is a partner user entitled to act for `location`: the one it acts at, or
    /// one of its other locations. `false` for every other actor.
    #[must_use]
    #[inline]
    pub fn acts_for(&self, location: PartnerId) -> bool {
        match self {
            Self::Partner { partner, also, .. } => *partner == location || also.contains(location),
            _ => false,
        }
    }

    /// The customer a customer actor speaks for.
    #[must_use]
    #[inline]
    pub const fn customer_id(&self) -> Option<&CustomerId> {
        match self {
            Self::Customer { customer } => Some(customer),
            _ => None,
        }
    }

    /// Whether this actor may see and act on a claim of location `owner` about `customer`
    /// (for an activity claim by domain, also `resolved`, the tenant it resolved to):
    /// a partner user entitled to `owner`, the customer that speaks for `customer` (or for
    /// `resolved`), and every reviewer and the timer.
    #[must_use]
    #[inline]
    pub fn may_see(
        &self,
        owner: PartnerId,
        customer: &CustomerId,
        resolved: Option<crate::id::TenantId>,
    ) -> bool {
        match self {
            Self::Partner { .. } => self.acts_for(owner),
            Self::Customer { customer: speaks } => {
                speaks == customer
                    || matches!((speaks, resolved), (CustomerId::Tenant(t), Some(r)) if *t == r)
            }
            Self::Reviewer { .. } | Self::System => true,
        }
    }

    /// Whether this is a partner user holding `role`.
    #[must_use]
    pub const fn has_role(&self, role: PartnerUserRole) -> bool {
        match self {
            Self::Partner { roles, .. } => roles.contains(role),
            _ => false,
        }
    }
}
