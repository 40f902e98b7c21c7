//! US dollar amounts in integer cents, with checked arithmetic and one strict text form.
//!
//! Every amount of the incentives program (hourly rates, payout caps, proposed payouts,
//! estimated deal sizes) is a [`Usd`]: a count of **cents** in a `u64`. Amounts are never
//! negative and never floats. All arithmetic is checked and fails with a coded
//! [`MoneyError`] instead of wrapping or panicking.
//!
//! # Text form
//!
//! | Input | Meaning | Canonical form |
//! |---|---|---|
//! | `1234` | whole dollars | `1234.00` |
//! | `1234.5` | one decimal | `1234.50` |
//! | `1234.56` | two decimals | `1234.56` |
//! | `0007.10` | leading zeros are accepted | `7.10` |
//!
//! Refused: empty text, more than two decimals, a sign, `$`, spaces, digit separators,
//! exponents, a lone `.` or a `.` with no digits on one side, and anything above
//! [`Usd::MAX`]. [`Display`](std::fmt::Display) and `Serialize` write the canonical form,
//! always with two decimals; [`FromStr`], `TryFrom<&str>`, `TryFrom<String>` and
//! `Deserialize` all go through the same validator, [`Usd::parse`]. In JSON an amount is a
//! string, such as `"5000.00"`, never a number.
//!
//! ```
//! use cpor::money::{Usd, proposed_payout};
//!
//! let rate: Usd = "150".parse()?;
//! assert_eq!(rate.to_string(), "150.00");
//!
//! // 50 hours asked, 40 allowed: 40 × 150.00 = 6000.00, capped at 5000.00.
//! let cap = Usd::from_dollars(5_000);
//! assert_eq!(proposed_payout(50, 40, rate, cap)?.to_string(), "5000.00");
//!
//! let err = "12.345".parse::<Usd>().unwrap_err();
//! assert_eq!(err.code(), "money.too_many_decimals");
//! # Ok::<(), cpor::money::MoneyError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::ErrorKind;

/// The longest piece of the offending input that a [`MoneyError`] keeps, in characters.
pub const INPUT_ECHO_LIMIT: usize = 64;

/// Cents in one dollar.
const CENTS_PER_DOLLAR: u64 = 100;

/// An amount of US dollars, held as a whole number of cents.
///
/// The text form is `dollars.cents` with exactly two decimals, such as `1234.56`; see the
/// [module documentation](self) for what parsing accepts.
///
/// ```
/// use cpor::money::Usd;
///
/// let a = Usd::from_cents(123_456);
/// assert_eq!(a.to_string(), "1234.56");
/// assert_eq!("1234.56".parse::<Usd>()?, a);
/// assert_eq!(a.checked_add(Usd::from_cents(44))?.to_string(), "1235.00");
/// assert_eq!(Usd::ZERO.checked_sub(a).unwrap_err().code(), "money.underflow");
/// # Ok::<(), cpor::money::MoneyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct Usd(u64);

impl Usd {
    /// Zero dollars.
    pub const ZERO: Self = Self(0);

    /// The largest amount, `184467440737095516.15`.
    pub const MAX: Self = Self(u64::MAX);

    /// The amount of `cents` cents.
    #[must_use]
    pub const fn from_cents(cents: u64) -> Self {
        Self(cents)
    }

    /// The amount of `dollars` whole dollars, or `None` if it is above [`Usd::MAX`].
    #[must_use]
    pub const fn from_dollars(dollars: u64) -> Option<Self> {
        match dollars.checked_mul(CENTS_PER_DOLLAR) {
            Some(cents) => Some(Self(cents)),
            None => None,
        }
    }

    /// The amount in cents.
    #[must_use]
    pub const fn cents(self) -> u64 {
        self.0
    }

    /// Whether the amount is zero.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Overflow`] (`money.overflow`) if the sum is above [`Usd::MAX`].
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Self)
            .ok_or_else(|| MoneyError::Overflow {
                expression: format!("{self} + {other}"),
            })
    }

    /// `self - other`.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Underflow`] (`money.underflow`) if `other` is larger than `self`: amounts
    /// are never negative.
    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Self)
            .ok_or(MoneyError::Underflow {
                left: self,
                right: other,
            })
    }

    /// `self × factor`, such as an hourly rate times a number of hours.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Overflow`] (`money.overflow`) if the product is above [`Usd::MAX`].
    pub fn checked_mul(self, factor: u64) -> Result<Self, MoneyError> {
        self.0
            .checked_mul(factor)
            .map(Self)
            .ok_or_else(|| MoneyError::Overflow {
                expression: format!("{self} × {factor}"),
            })
    }

    /// Parses the text form: digits, optionally followed by `.` and one or two digits.
    ///
    /// This is the one validator behind [`FromStr`], `TryFrom<&str>`, `TryFrom<String>` and
    /// `Deserialize`.
    ///
    /// # Errors
    ///
    /// A [`MoneyError`] whose [code](MoneyError::code) says why:
    ///
    /// - `money.empty`: the text is empty;
    /// - `money.invalid`: a character other than an ASCII digit or one `.`, or a `.` without
    ///   digits on both sides;
    /// - `money.too_many_decimals`: more than two digits after the `.`;
    /// - `money.overflow`: the amount is above [`Usd::MAX`].
    pub fn parse(text: &str) -> Result<Self, MoneyError> {
        if text.is_empty() {
            return Err(MoneyError::Empty);
        }
        let mut point = None;
        for (index, (at, ch)) in text.char_indices().enumerate() {
            match ch {
                '0'..='9' => {}
                '.' if point.is_none() => point = Some(at),
                _ => {
                    let (input, truncated) = echo(text);
                    return Err(MoneyError::InvalidCharacter {
                        input,
                        truncated,
                        ch,
                        index,
                    });
                }
            }
        }
        // Only ASCII digits and at most one '.' are left, so every split is on a boundary.
        let (whole, fraction) = match point {
            Some(at) => (
                text.get(..at).unwrap_or_default(),
                text.get(at..).and_then(|rest| rest.get(1..)),
            ),
            None => (text, None),
        };
        if whole.is_empty() || fraction.is_some_and(str::is_empty) {
            let (input, truncated) = echo(text);
            return Err(MoneyError::MissingDigits { input, truncated });
        }
        let fraction = fraction.unwrap_or_default();
        if fraction.len() > 2 {
            let (input, truncated) = echo(text);
            return Err(MoneyError::TooManyDecimals {
                input,
                truncated,
                decimals: fraction.len(),
            });
        }
        let too_large = || {
            let (input, truncated) = echo(text);
            MoneyError::TooLarge { input, truncated }
        };
        let mut cents: u64 = 0;
        // Whole dollars, then the decimals padded to two digits: "1.5" is 1, 5, 0.
        let digits = whole
            .bytes()
            .chain(fraction.bytes())
            .chain(std::iter::repeat_n(
                b'0',
                2_usize.saturating_sub(fraction.len()),
            ));
        for digit in digits {
            cents = cents
                .checked_mul(10)
                .and_then(|c| c.checked_add(u64::from(digit.saturating_sub(b'0'))))
                .ok_or_else(too_large)?;
        }
        Ok(Self(cents))
    }
}

impl fmt::Display for Usd {
    /// The canonical form: whole dollars, `.`, and exactly two decimals, such as `1234.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dollars = self.0.checked_div(CENTS_PER_DOLLAR).unwrap_or_default();
        let cents = self.0.checked_rem(CENTS_PER_DOLLAR).unwrap_or_default();
        write!(f, "{dollars}.{cents:02}")
    }
}

impl FromStr for Usd {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<&str> for Usd {
    type Error = MoneyError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

impl TryFrom<String> for Usd {
    type Error = MoneyError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl serde::Serialize for Usd {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Usd {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = Usd;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a usd amount as a string, such as \"1234.56\"")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Usd, E> {
                Usd::parse(text).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

/// The proposed payout of a variable-pay engagement: `min(hours, max_hours) × hourly_rate`,
/// capped at `cap` when one is set.
///
/// This is the amount shown on review, before a variable-pay MCI claim is created. The
/// formula is this crate's interpretation of the help pages, which only say that the amount
/// is based on the MSX opportunity, the hours and the engagement's rules.
///
/// The product is computed exactly: when a cap is set and the uncapped product would be
/// above [`Usd::MAX`], the result is the cap (which is what `min` gives on exact numbers),
/// not an error.
///
/// ```
/// use cpor::money::{Usd, proposed_payout};
///
/// let rate = Usd::from_cents(15_000);
/// assert_eq!(proposed_payout(10, 40, rate, None)?, Usd::from_cents(150_000));
/// assert_eq!(proposed_payout(99, 40, rate, None)?, Usd::from_cents(600_000));
/// assert_eq!(proposed_payout(99, 40, rate, Some(Usd::from_cents(500_000)))?, Usd::from_cents(500_000));
/// # Ok::<(), cpor::money::MoneyError>(())
/// ```
///
/// # Errors
///
/// [`MoneyError::Overflow`] (`money.overflow`) if there is no cap and the product is above
/// [`Usd::MAX`].
pub fn proposed_payout(
    hours: u32,
    max_hours: u32,
    hourly_rate: Usd,
    cap: Option<Usd>,
) -> Result<Usd, MoneyError> {
    let billable = hours.min(max_hours);
    let exact = u128::from(hourly_rate.0).checked_mul(u128::from(billable));
    let capped = match (exact, cap) {
        (Some(amount), Some(cap)) => Some(amount.min(u128::from(cap.0))),
        (amount, None) => amount,
        // A u64 times a u32 always fits in a u128; keep the cap if it ever did not.
        (None, Some(cap)) => Some(u128::from(cap.0)),
    };
    capped
        .and_then(|cents| u64::try_from(cents).ok())
        .map(Usd)
        .ok_or_else(|| MoneyError::Overflow {
            expression: format!("{hourly_rate} × {billable}"),
        })
}

/// Why an amount was refused, or why arithmetic on amounts failed.
///
/// Every variant has a stable machine-readable [code](MoneyError::code). Messages are
/// lowercase and quote the offending input, cut to at most [`INPUT_ECHO_LIMIT`] characters
/// (`truncated` says whether it was cut).
///
/// ```
/// let err = "$12".parse::<cpor::money::Usd>().unwrap_err();
/// assert_eq!(err.code(), "money.invalid");
/// assert_eq!(
///     err.to_string(),
///     r#"usd amount "$12" has the invalid character '$' at index 0; write digits with an optional "." and at most two decimals, as in "1234.56""#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The text is empty (`money.empty`).
    #[error("usd amount \"\" is empty")]
    Empty,
    /// A character that is neither an ASCII digit nor the one decimal point
    /// (`money.invalid`). `index` counts characters from 0.
    #[error(
        "usd amount {} has the invalid character {ch:?} at index {index}; write digits with an \
         optional \".\" and at most two decimals, as in \"1234.56\"",
        quoted(input, *truncated)
    )]
    InvalidCharacter {
        /// The input, cut to at most [`INPUT_ECHO_LIMIT`] characters.
        input: String,
        /// Whether `input` was cut.
        truncated: bool,
        /// The offending character.
        ch: char,
        /// Its position, in characters from 0.
        index: usize,
    },
    /// A decimal point without digits before or after it, such as `.5` or `12.`
    /// (`money.invalid`).
    #[error(
        "usd amount {} needs digits on both sides of the decimal point",
        quoted(input, *truncated)
    )]
    MissingDigits {
        /// The input, cut to at most [`INPUT_ECHO_LIMIT`] characters.
        input: String,
        /// Whether `input` was cut.
        truncated: bool,
    },
    /// More than two digits after the decimal point (`money.too_many_decimals`).
    #[error(
        "usd amount {} has {decimals} decimals; at most 2 are allowed",
        quoted(input, *truncated)
    )]
    TooManyDecimals {
        /// The input, cut to at most [`INPUT_ECHO_LIMIT`] characters.
        input: String,
        /// Whether `input` was cut.
        truncated: bool,
        /// How many digits follow the decimal point.
        decimals: usize,
    },
    /// Text for an amount above [`Usd::MAX`] (`money.overflow`).
    #[error(
        "usd amount {} is larger than the largest amount, 184467440737095516.15",
        quoted(input, *truncated)
    )]
    TooLarge {
        /// The input, cut to at most [`INPUT_ECHO_LIMIT`] characters.
        input: String,
        /// Whether `input` was cut.
        truncated: bool,
    },
    /// A sum or product above [`Usd::MAX`] (`money.overflow`).
    #[error(
        "usd amount overflow: {expression} is larger than the largest amount, \
         184467440737095516.15"
    )]
    Overflow {
        /// The operation that overflowed, such as `150.00 × 40`.
        expression: String,
    },
    /// A difference below zero (`money.underflow`).
    #[error("usd amount underflow: {left} - {right} is below zero")]
    Underflow {
        /// The amount subtracted from.
        left: Usd,
        /// The larger amount subtracted.
        right: Usd,
    },
}

impl MoneyError {
    /// The stable machine-readable code: `money.empty`, `money.invalid`,
    /// `money.too_many_decimals`, `money.overflow` or `money.underflow`.
    ///
    /// Text above the largest amount and arithmetic above it share `money.overflow`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "money.empty",
            Self::InvalidCharacter { .. } | Self::MissingDigits { .. } => "money.invalid",
            Self::TooManyDecimals { .. } => "money.too_many_decimals",
            Self::TooLarge { .. } | Self::Overflow { .. } => "money.overflow",
            Self::Underflow { .. } => "money.underflow",
        }
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`], an amount that does not parse, or arithmetic out of range.
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

/// `text` cut to at most [`INPUT_ECHO_LIMIT`] characters, and whether it was cut.
fn echo(text: &str) -> (String, bool) {
    let cut = text
        .char_indices()
        .nth(INPUT_ECHO_LIMIT)
        .map_or(text.len(), |(at, _)| at);
    (text.get(..cut).unwrap_or(text).to_owned(), cut < text.len())
}

/// The quoted input of an error message, with `...` after the quote when it was cut.
fn quoted(input: &str, truncated: bool) -> String {
    if truncated {
        format!("{input:?}...")
    } else {
        format!("{input:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_cuts_on_a_character_boundary() {
        let long = "é".repeat(100);
        let (kept, truncated) = echo(&long);
        assert_eq!(kept.chars().count(), INPUT_ECHO_LIMIT);
        assert!(truncated);
        let (kept, truncated) = echo("12");
        assert_eq!(kept, "12");
        assert!(!truncated);
    }
}
