//! The customer ID that nominates a customer: one of five kinds.

use std::fmt;

use super::{
    AzureSubscriptionId, DomainName, IdError, IdErrorKind, IdField, MsxOpportunityId, TenantId,
    Tpid, text_conversions,
};

/// The kind of a [`CustomerId`].
///
/// Which kinds an engagement accepts is data in the catalog; this enum only names the formats.
/// Its text form is the `kind` of a customer ID's `kind:value` text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[non_exhaustive]
pub enum CustomerIdKind {
    /// A [`DomainName`]: `domain`.
    Domain,
    /// A [`TenantId`]: `tenant`.
    Tenant,
    /// A [`Tpid`]: `tpid`.
    Tpid,
    /// An [`AzureSubscriptionId`]: `azure_subscription`.
    AzureSubscription,
    /// An [`MsxOpportunityId`]: `msx_opportunity`.
    MsxOpportunity,
}

impl CustomerIdKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 5] = [
        Self::Domain,
        Self::Tenant,
        Self::Tpid,
        Self::AzureSubscription,
        Self::MsxOpportunity,
    ];

    /// The text form: `domain`, `tenant`, `tpid`, `azure_subscription` or `msx_opportunity`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Domain => "domain",
            Self::Tenant => "tenant",
            Self::Tpid => "tpid",
            Self::AzureSubscription => "azure_subscription",
            Self::MsxOpportunity => "msx_opportunity",
        }
    }

    /// Parses the text form, which is lowercase.
    ///
    /// # Errors
    ///
    /// An [`IdError`] with code `customer_id_kind.unknown_kind` (or `.empty`).
    pub fn parse(text: &str) -> Result<Self, IdError> {
        Self::from_text(text).map_err(|kind| IdError::new(IdField::CustomerIdKind, kind, text))
    }

    fn from_text(text: &str) -> Result<Self, IdErrorKind> {
        if text.is_empty() {
            return Err(IdErrorKind::Empty);
        }
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or(IdErrorKind::UnknownKind)
    }
}

impl fmt::Display for CustomerIdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

text_conversions!(
    CustomerIdKind,
    "a customer id kind: domain, tenant, tpid, azure_subscription or msx_opportunity"
);

/// The ID by which a customer is nominated: exactly one of five kinds.
///
/// Its text form is `kind:value`, as in `tenant:72f988bf-86f1-41af-91ab-2d7cd011db47` or
/// `msx_opportunity:7-3CVDESBISU`; the value is parsed by its own type, and printed in its
/// canonical form. [`CustomerId::parse_as`] parses a value whose kind is known from elsewhere,
/// such as a form's drop-down.
///
/// Eligibility never carries over between kinds: a TPID and a tenant ID of the same customer are
/// different customer IDs.
///
/// ```
/// use cpor::{CustomerId, CustomerIdKind};
///
/// let id = CustomerId::parse_as(CustomerIdKind::Domain, "Contoso.com")?;
/// assert_eq!(id.to_string(), "domain:contoso.com");
/// assert_eq!("domain:contoso.com".parse::<CustomerId>()?, id);
/// # Ok::<(), cpor::IdError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[non_exhaustive]
pub enum CustomerId {
    /// A domain, resolved to a tenant before it is checked.
    Domain(DomainName),
    /// A tenant ID, compared with the customer's email domain.
    Tenant(TenantId),
    /// A Top Parent ID.
    Tpid(Tpid),
    /// An Azure subscription ID.
    AzureSubscription(AzureSubscriptionId),
    /// An MSX opportunity ID.
    MsxOpportunity(MsxOpportunityId),
}

impl CustomerId {
    /// Parses `kind:value`.
    ///
    /// # Errors
    ///
    /// An [`IdError`] with field [`IdField::CustomerId`] if the text has no `kind:` prefix or an
    /// unknown kind; otherwise the value's own error, with the value's field (such as
    /// [`IdField::TenantId`]).
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let Some((kind, value)) = text.split_once(':') else {
            let kind = if text.is_empty() {
                IdErrorKind::Empty
            } else {
                IdErrorKind::MissingKind
            };
            return Err(IdError::new(IdField::CustomerId, kind, text));
        };
        let kind = CustomerIdKind::from_text(kind)
            .map_err(|_| IdError::new(IdField::CustomerId, IdErrorKind::UnknownKind, text))?;
        Self::parse_as(kind, value)
    }

    /// Parses a value of a known kind, such as `contoso.com` as a [`CustomerIdKind::Domain`].
    ///
    /// # Errors
    ///
    /// The value type's [`IdError`].
    pub fn parse_as(kind: CustomerIdKind, value: &str) -> Result<Self, IdError> {
        Ok(match kind {
            CustomerIdKind::Domain => Self::Domain(DomainName::parse(value)?),
            CustomerIdKind::Tenant => Self::Tenant(TenantId::parse(value)?),
            CustomerIdKind::Tpid => Self::Tpid(Tpid::parse(value)?),
            CustomerIdKind::AzureSubscription => {
                Self::AzureSubscription(AzureSubscriptionId::parse(value)?)
            }
            CustomerIdKind::MsxOpportunity => Self::MsxOpportunity(MsxOpportunityId::parse(value)?),
        })
    }

    /// The kind of this ID.
    #[must_use]
    pub const fn kind(&self) -> CustomerIdKind {
        match self {
            Self::Domain(_) => CustomerIdKind::Domain,
            Self::Tenant(_) => CustomerIdKind::Tenant,
            Self::Tpid(_) => CustomerIdKind::Tpid,
            Self::AzureSubscription(_) => CustomerIdKind::AzureSubscription,
            Self::MsxOpportunity(_) => CustomerIdKind::MsxOpportunity,
        }
    }

    /// The tenant ID, for a tenant nomination.
    #[must_use]
    pub const fn as_tenant(&self) -> Option<&TenantId> {
        match self {
            Self::Tenant(tenant) => Some(tenant),
            _ => None,
        }
    }

    /// The value alone, in canonical form, without the `kind:` prefix.
    #[must_use]
    pub fn value_string(&self) -> String {
        self.value().to_string()
    }

    fn value(&self) -> &dyn fmt::Display {
        match self {
            Self::Domain(v) => v,
            Self::Tenant(v) => v,
            Self::Tpid(v) => v,
            Self::AzureSubscription(v) => v,
            Self::MsxOpportunity(v) => v,
        }
    }
}

impl fmt::Display for CustomerId {
    /// The canonical `kind:value` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.value())
    }
}

macro_rules! from_value {
    ($($ty:ident => $variant:ident),*) => {
        $(impl From<$ty> for CustomerId {
            fn from(value: $ty) -> Self {
                Self::$variant(value)
            }
        })*
    };
}
from_value!(
    DomainName => Domain,
    TenantId => Tenant,
    Tpid => Tpid,
    AzureSubscriptionId => AzureSubscription,
    MsxOpportunityId => MsxOpportunity
);

text_conversions!(
    CustomerId,
    "a customer id as kind:value, such as \"tenant:<guid>\" or \"tpid:123\""
);
