//! String keys of catalog items, and the program year.
//!
//! Every key type ([`SolutionAreaId`], [`WorkloadId`], [`WorkloadGroupId`], [`EngagementId`],
//! [`EngagementTypeId`], [`RoleId`]) has the same format: 1 to 64 characters, each a lowercase
//! ASCII letter, an ASCII digit, `_`, `-` or `.`. Keys are data, chosen by whoever writes the
//! catalog; they are not enums, so a renamed program needs no new release of this crate.

use std::fmt;
use std::str::FromStr;

use crate::error::ErrorKind;

/// The longest key, in characters.
pub const MAX_KEY_LEN: usize = 64;

/// The longest piece of the offending input that a [`KeyError`] keeps, in characters.
pub const INPUT_ECHO_LIMIT: usize = 64;

/// Whether `byte` may appear in a key.
const fn is_key_byte(byte: u8) -> bool {
    matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.')
}

/// What is wrong with a key, before the offending character is decoded.
#[derive(Clone, Copy)]
enum KeyFault {
    Empty,
    InvalidAt(usize),
    TooLong,
}

/// The one key validator, usable in constants.
///
/// Characters are checked before the length, so when it reports `InvalidAt(i)` every byte
/// before `i` is an allowed ASCII byte and `i` is also the character index.
const fn key_fault(text: &str) -> Option<KeyFault> {
    let mut rest = text.as_bytes();
    if rest.is_empty() {
        return Some(KeyFault::Empty);
    }
    let mut index: usize = 0;
    while let [byte, tail @ ..] = rest {
        if !is_key_byte(*byte) {
            return Some(KeyFault::InvalidAt(index));
        }
        index = index.saturating_add(1);
        rest = tail;
    }
    if text.len() > MAX_KEY_LEN {
        return Some(KeyFault::TooLong);
    }
    None
}

/// Checks `text` as a key of `field`.
fn check_key(field: KeyField, text: &str) -> Result<(), KeyError> {
    let kind = match key_fault(text) {
        None => return Ok(()),
        Some(KeyFault::Empty) => KeyErrorKind::Empty,
        Some(KeyFault::TooLong) => KeyErrorKind::TooLong { max: MAX_KEY_LEN },
        Some(KeyFault::InvalidAt(index)) => KeyErrorKind::InvalidCharacter {
            ch: text
                .get(index..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or(char::REPLACEMENT_CHARACTER),
            index,
        },
    };
    Err(KeyError::new(field, kind, text))
}

macro_rules! key_fields {
    ($($(#[$doc:meta])* $variant:ident => $code:literal, $name:literal;)*) => {
        /// Which key a [`KeyError`] is about.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum KeyField {
            $($(#[$doc])* $variant,)*
        }

        impl KeyField {
            /// The stable machine-readable prefix of this field's error codes, such as
            /// `engagement_id`.
            #[must_use]
            pub const fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            /// The lowercase human name of the field, such as `engagement id`.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }

        /// `field.kind`, spelled out for every pair so that the code is a `&'static str`.
        const fn code_of(field: KeyField, kind: &KeyErrorKind) -> &'static str {
            match field {
                $(KeyField::$variant => match kind {
                    KeyErrorKind::Empty => concat!($code, ".empty"),
                    KeyErrorKind::TooLong { .. } => concat!($code, ".too_long"),
                    KeyErrorKind::InvalidCharacter { .. } => concat!($code, ".invalid_character"),
                    KeyErrorKind::ProgramYear => concat!($code, ".format"),
                },)*
            }
        }
    };
}

key_fields! {
    /// A [`SolutionAreaId`].
    SolutionAreaId => "solution_area_id", "solution area id";
    /// A [`WorkloadId`].
    WorkloadId => "workload_id", "workload id";
    /// A [`WorkloadGroupId`].
    WorkloadGroupId => "workload_group_id", "workload group id";
    /// An [`EngagementId`].
    EngagementId => "engagement_id", "engagement id";
    /// An [`EngagementTypeId`].
    EngagementTypeId => "engagement_type_id", "engagement type id";
    /// A [`RoleId`].
    RoleId => "role_id", "role id";
    /// A [`ProgramYear`].
    ProgramYear => "program_year", "program year";
}

impl fmt::Display for KeyField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a key or a program year was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyErrorKind {
    /// The input is empty (`.empty`).
    Empty,
    /// The input is longer than `max` characters (`.too_long`).
    TooLong {
        /// The largest length allowed.
        max: usize,
    },
    /// A character other than a lowercase ASCII letter, a digit, `_`, `-` or `.`
    /// (`.invalid_character`). `index` counts characters from 0.
    InvalidCharacter {
        /// The offending character.
        ch: char,
        /// Its position, in characters from 0.
        index: usize,
    },
    /// A program year that is not `FY` followed by two digits (`program_year.format`).
    ProgramYear,
}

impl fmt::Display for KeyErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("is empty"),
            Self::TooLong { max } => write!(f, "is longer than {max} characters"),
            Self::InvalidCharacter { ch, index } => write!(
                f,
                "has the invalid character {ch:?} at index {index}; keys use lowercase ascii \
                 letters, digits, '_', '-' and '.'"
            ),
            Self::ProgramYear => {
                f.write_str("is not \"FY\" followed by two digits, as in \"FY26\"")
            }
        }
    }
}

/// A catalog key or program year that could not be parsed.
///
/// It names the [field](KeyField), says [why](KeyError::reason), has a stable code such as
/// `engagement_id.invalid_character` or `program_year.format`, and keeps at most
/// [`INPUT_ECHO_LIMIT`] characters of the offending input.
///
/// ```
/// let err = "Modern Work".parse::<cpor::catalog::SolutionAreaId>().unwrap_err();
/// assert_eq!(err.code(), "solution_area_id.invalid_character");
/// assert_eq!(
///     err.to_string(),
///     r#"solution area id "Modern Work" has the invalid character 'M' at index 0; keys use lowercase ascii letters, digits, '_', '-' and '.'"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{field} {} {kind}", quoted(input, *truncated))]
pub struct KeyError {
    field: KeyField,
    kind: KeyErrorKind,
    input: Box<str>,
    truncated: bool,
}

impl KeyError {
    /// Builds an error, keeping at most [`INPUT_ECHO_LIMIT`] characters of `input`.
    #[must_use]
    pub fn new(field: KeyField, kind: KeyErrorKind, input: &str) -> Self {
        let cut = input
            .char_indices()
            .nth(INPUT_ECHO_LIMIT)
            .map_or(input.len(), |(at, _)| at);
        Self {
            field,
            kind,
            input: input.get(..cut).unwrap_or(input).into(),
            truncated: cut < input.len(),
        }
    }

    /// The key that was being parsed.
    #[must_use]
    pub const fn field(&self) -> KeyField {
        self.field
    }

    /// Why it was refused.
    #[must_use]
    pub const fn reason(&self) -> KeyErrorKind {
        self.kind
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`], the input does not parse.
    /// (Why it does not parse is [`reason`](Self::reason).)
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }

    /// Whether trying again may succeed: never, the same input is refused again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }

    /// The stable machine-readable code, `field.kind`, such as `role_id.too_long`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        code_of(self.field, &self.kind)
    }

    /// The offending input, cut to at most [`INPUT_ECHO_LIMIT`] characters.
    #[must_use]
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Whether [`input`](Self::input) was cut.
    #[must_use]
    pub const fn is_input_truncated(&self) -> bool {
        self.truncated
    }
}

/// The quoted input of an error message, with `...` after the quote when it was cut.
fn quoted(input: &str, truncated: bool) -> String {
    if truncated {
        format!("{input:?}...")
    } else {
        format!("{input:?}")
    }
}

/// Defines a key newtype with its conversions, all through [`check_key`].
macro_rules! key_type {
    ($(#[$doc:meta])* $ty:ident, $expecting:literal) => {
        $(#[$doc])*
        ///
        /// Format: 1 to 64 characters, each a lowercase ASCII letter, an ASCII digit, `_`, `-`
        /// or `.`. [`FromStr`], `TryFrom<&str>`, `TryFrom<String>` and `Deserialize` all use
        /// the same validator; `Display` and `Serialize` write the key as is.
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $ty(String);

        impl $ty {
            /// Parses a key.
            ///
            /// # Errors
            ///
            /// A [`KeyError`] with code `.empty`, `.too_long` or `.invalid_character`.
            pub fn parse(text: &str) -> Result<Self, KeyError> {
                check_key(KeyField::$ty, text)?;
                Ok(Self(text.to_owned()))
            }

            /// The key as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The key as an owned string.
            #[must_use]
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($ty)).field(&self.as_str()).finish()
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl FromStr for $ty {
            type Err = KeyError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = KeyError;

            fn try_from(text: &str) -> Result<Self, Self::Error> {
                Self::parse(text)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = KeyError;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                check_key(KeyField::$ty, &text)?;
                Ok(Self(text))
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;

                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$ty, E> {
                        $ty::parse(text).map_err(E::custom)
                    }

                    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<$ty, E> {
                        $ty::try_from(text).map_err(E::custom)
                    }
                }

                deserializer.deserialize_string(Visitor)
            }
        }
    };
}

key_type!(
    /// The key of a [`SolutionArea`](super::SolutionArea), such as `business_applications`.
    SolutionAreaId,
    "a solution area id such as \"business_applications\""
);
key_type!(
    /// The key of a [`Workload`](super::Workload) or product, such as `teams`.
    WorkloadId,
    "a workload id such as \"teams\""
);
key_type!(
    /// The key of a workload group, such as `modern_work` or `security`: the lists of
    /// workloads that a solution area shows.
    WorkloadGroupId,
    "a workload group id such as \"security\""
);
key_type!(
    /// The key of an [`Engagement`](super::Engagement), such as `mws_usage`.
    EngagementId,
    "an engagement id such as \"mws_usage\""
);
key_type!(
    /// The key of an [`EngagementType`](super::EngagementType), such as `workshop`.
    EngagementTypeId,
    "an engagement type id such as \"workshop\""
);
key_type!(
    /// The key of a [`PartnerRole`](super::PartnerRole), such as `use_or_consume`.
    RoleId,
    "a role id such as \"use_or_consume\""
);

/// A Microsoft fiscal year, which is the program year of the incentives program: `FY` and
/// two digits, such as `FY26`.
///
/// `FYnn` is the fiscal year that ends on 30 June 20nn; FY26 runs from 1 July 2025 to
/// 30 June 2026. Two digits only ever name 2000-2099.
///
/// Parsing accepts any letter case (`fy26`); the canonical form is uppercase. Program years
/// order by year.
///
/// ```
/// use cpor::catalog::ProgramYear;
///
/// let year: ProgramYear = "fy26".parse()?;
/// assert_eq!(year.to_string(), "FY26");
/// assert_eq!(year.fiscal_year(), 2026);
/// assert!(ProgramYear::new(20) < Some(year));
/// # Ok::<(), cpor::catalog::KeyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProgramYear(u8);

impl ProgramYear {
    /// The program year `FY{two_digits}`, or `None` if `two_digits` is above 99.
    #[must_use]
    pub const fn new(two_digits: u8) -> Option<Self> {
        if two_digits <= 99 {
            Some(Self(two_digits))
        } else {
            None
        }
    }

    /// A built-in program year; `two_digits` above 99 wraps around.
    pub(crate) const fn of(two_digits: u8) -> Self {
        Self(two_digits % 100)
    }

    /// The program year ending in the fiscal year `year`, such as 2026 for FY26, or `None`
    /// outside 2000-2099.
    #[must_use]
    pub const fn from_fiscal_year(year: u16) -> Option<Self> {
        match year.checked_sub(2000) {
            // `offset <= 99`, so the cast is exact.
            #[allow(clippy::cast_possible_truncation)]
            Some(offset) if offset <= 99 => Some(Self(offset as u8)),
            _ => None,
        }
    }

    /// The two digits, such as 26 for FY26.
    #[must_use]
    pub const fn two_digits(self) -> u8 {
        self.0
    }

    /// The calendar year in which this fiscal year ends, such as 2026 for FY26.
    #[must_use]
    pub const fn fiscal_year(self) -> u16 {
        2000_u16.saturating_add(self.0 as u16)
    }

    /// Parses `FY` and two digits, in any letter case.
    ///
    /// # Errors
    ///
    /// A [`KeyError`] with code `program_year.empty` or `program_year.format`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let kind = match text.as_bytes() {
            [] => KeyErrorKind::Empty,
            [f, y, tens @ b'0'..=b'9', units @ b'0'..=b'9']
                if f.eq_ignore_ascii_case(&b'f') && y.eq_ignore_ascii_case(&b'y') =>
            {
                let digits = tens
                    .saturating_sub(b'0')
                    .saturating_mul(10)
                    .saturating_add(units.saturating_sub(b'0'));
                return Ok(Self(digits));
            }
            _ => KeyErrorKind::ProgramYear,
        };
        Err(KeyError::new(KeyField::ProgramYear, kind, text))
    }
}

impl fmt::Debug for ProgramYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProgramYear(FY{:02})", self.0)
    }
}

impl fmt::Display for ProgramYear {
    /// The canonical form, such as `FY26`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FY{:02}", self.0)
    }
}

impl FromStr for ProgramYear {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<&str> for ProgramYear {
    type Error = KeyError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

impl TryFrom<String> for ProgramYear {
    type Error = KeyError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl serde::Serialize for ProgramYear {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ProgramYear {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = ProgramYear;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a program year such as \"FY26\"")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ProgramYear, E> {
                ProgramYear::parse(text).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_character_index_is_a_character_index() {
        let err = EngagementId::parse("ab\u{e9}c").err();
        assert_eq!(
            err.map(|e| e.reason()),
            Some(KeyErrorKind::InvalidCharacter {
                ch: '\u{e9}',
                index: 2
            })
        );
    }
}
