//! Numeric identifiers: the Top Parent ID and the partner location ID.

use std::fmt;
use std::num::NonZeroU64;

use super::{IdError, IdErrorKind, IdField, text_conversions};

/// Parses 1 to `max_digits` decimal digits, not all zeros. Leading zeros count as digits.
fn parse_digits(text: &str, max_digits: usize) -> Result<NonZeroU64, IdErrorKind> {
    if text.is_empty() {
        return Err(IdErrorKind::Empty);
    }
    let mut value = 0_u64;
    for (index, &byte) in text.as_bytes().iter().enumerate() {
        if !byte.is_ascii_digit() {
            // Every byte before `index` is an ASCII digit: the byte index is the char index.
            return Err(text
                .get(index..)
                .and_then(|rest| rest.chars().next())
                .map_or(IdErrorKind::Empty, |ch| IdErrorKind::InvalidCharacter {
                    ch,
                    index,
                }));
        }
        if index >= max_digits {
            return Err(IdErrorKind::TooLong { max: max_digits });
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(byte.saturating_sub(b'0'))))
            .ok_or(IdErrorKind::TooLong { max: max_digits })?;
    }
    NonZeroU64::new(value).ok_or(IdErrorKind::Zero)
}

/// Checks a number against the digit limit, for constructors from integers.
fn check_number(value: u64, max_digits: u32) -> Result<NonZeroU64, IdErrorKind> {
    let limit = 10_u64.checked_pow(max_digits).unwrap_or(u64::MAX);
    if value >= limit {
        return Err(IdErrorKind::TooLong {
            max: max_digits as usize,
        });
    }
    NonZeroU64::new(value).ok_or(IdErrorKind::Zero)
}

macro_rules! number_type {
    ($(#[$doc:meta])* $ty:ident, $field:ident, $max:literal, $expecting:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(NonZeroU64);

        impl $ty {
            /// The most decimal digits the text form may have, leading zeros included.
            pub const MAX_DIGITS: u32 = $max;

            /// Parses the decimal text form. Leading zeros are accepted and dropped.
            ///
            /// # Errors
            ///
            #[doc = concat!("An [`IdError`] with field [`IdField::", stringify!($field), "`] if the text is")]
            #[doc = concat!("empty, has a character that is not a decimal digit, has more than ", stringify!($max))]
            /// digits, or is zero.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                parse_digits(text, $max)
                    .map(Self)
                    .map_err(|kind| IdError::new(IdField::$field, kind, text))
            }

            /// Wraps a number that is already known.
            ///
            /// # Errors
            ///
            #[doc = concat!("An [`IdError`] if `value` is zero or has more than ", stringify!($max), " digits.")]
            pub fn new(value: u64) -> Result<Self, IdError> {
                check_number(value, $max)
                    .map(Self)
                    .map_err(|kind| IdError::new(IdField::$field, kind, &value.to_string()))
            }

            /// The number.
            #[must_use]
            pub const fn get(&self) -> u64 {
                self.0.get()
            }
        }

        impl fmt::Display for $ty {
            /// The canonical form: the number, without leading zeros.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), self.0)
            }
        }

        text_conversions!($ty, $expecting);
    };
}

number_type! {
    /// A Top Parent ID (TPID): 1 to 12 decimal digits, not all zeros.
    ///
    /// The format is known only from third-party code; this is the library's reading of it.
    /// Leading zeros are accepted and dropped, and count towards the 12 digits.
    ///
    /// ```
    /// let tpid: cpor::Tpid = "000123456".parse()?;
    /// assert_eq!(tpid.to_string(), "123456");
    /// assert_eq!(tpid.get(), 123_456);
    /// # Ok::<(), cpor::IdError>(())
    /// ```
    Tpid, Tpid, 12, "a tpid: 1 to 12 decimal digits, not all zeros"
}

number_type! {
    /// A partner **location** ID (PartnerID, formerly MPN ID): 1 to 10 decimal digits, not zero.
    ///
    /// Incentives always use the location's PartnerID, never the global account's; the type
    /// cannot tell them apart, so callers pass the location ID. Leading zeros are accepted and
    /// dropped, and count towards the 10 digits.
    ///
    /// ```
    /// let partner: cpor::PartnerId = "4512345".parse()?;
    /// assert_eq!(partner.get(), 4_512_345);
    /// # Ok::<(), cpor::IdError>(())
    /// ```
    PartnerId, PartnerId, 10, "a partner location id: 1 to 10 decimal digits, not zero"
}
