//! Identifiers: one strict type per ID, parsed by one validator, printed in one canonical form.
//!
//! | Type | Accepts | Canonical form |
//! |---|---|---|
//! | [`TenantId`], [`AzureSubscriptionId`], [`SubscriptionId`], [`ClaimId`] | a GUID, hyphenated, optionally in `{braces}`, any letter case; never nil | lowercase hyphenated |
//! | [`DomainName`] | ASCII LDH labels of 1-63 characters, at least two labels, at most 253 characters, an optional trailing dot | lowercase, no trailing dot |
//! | [`Tpid`] | 1-12 decimal digits, not all zeros | digits without leading zeros |
//! | [`MsxOpportunityId`] | a digit, `-`, 10 letters or digits, any letter case | uppercase |
//! | [`PartnerId`] | 1-10 decimal digits, not all zeros | digits without leading zeros |
//! | [`EmailAddress`] | `local@domain`, a dot-atom local part and a [`DomainName`] | domain lowercased |
//! | [`CustomerId`] | `kind:value`, for the five [`CustomerIdKind`]s | `kind:` and the value's canonical form |
//!
//! Every type implements [`FromStr`](std::str::FromStr), `TryFrom<&str>`, `TryFrom<String>` and
//! serde's `Deserialize` through the same validator, so no constructor and no deserializer can
//! build an invalid value. `Display` and `Serialize` write the canonical form, and parsing the
//! canonical form gives back an equal value.
//!
//! Nothing is trimmed: surrounding whitespace is an invalid character. Callers that accept
//! pasted input trim it first.

mod customer;
mod domain;
mod email;
mod error;
mod guid;
mod msx;
mod number;

pub use customer::{CustomerId, CustomerIdKind};
pub use domain::DomainName;
pub use email::EmailAddress;
pub use error::{INPUT_ECHO_LIMIT, IdError, IdErrorKind, IdField};
pub use guid::{AzureSubscriptionId, ClaimId, SubscriptionId, TenantId};
pub use msx::MsxOpportunityId;
pub use number::{PartnerId, Tpid};

/// Implements `FromStr`, `TryFrom<&str>`, `TryFrom<String>`, `Serialize` and `Deserialize` for a
/// type with an inherent `parse(&str) -> Result<Self, IdError>` and a canonical `Display`.
macro_rules! text_conversions {
    ($ty:ident, $expecting:literal) => {
        impl ::std::str::FromStr for $ty {
            type Err = $crate::id::IdError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = $crate::id::IdError;

            fn try_from(text: &str) -> Result<Self, Self::Error> {
                Self::parse(text)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $crate::id::IdError;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                struct Visitor;

                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_str<E: ::serde::de::Error>(self, text: &str) -> Result<$ty, E> {
                        $ty::parse(text).map_err(E::custom)
                    }
                }

                deserializer.deserialize_str(Visitor)
            }
        }
    };
}
pub(crate) use text_conversions;
