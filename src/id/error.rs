//! The one error type of every identifier parser.

use std::fmt;

use crate::error::ErrorKind;

/// The longest piece of the offending input that an [`IdError`] keeps, in characters.
///
/// A 10 KB input is never echoed back: only its first `INPUT_ECHO_LIMIT` characters are kept.
pub const INPUT_ECHO_LIMIT: usize = 64;

macro_rules! fields {
    ($($(#[$doc:meta])* $variant:ident => $code:literal, $name:literal;)*) => {
        /// Which identifier an [`IdError`] is about.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum IdField {
            $($(#[$doc])* $variant,)*
        }

        impl IdField {
            /// The stable machine-readable prefix of this field's error codes, such as
            /// `tenant_id`.
            #[must_use]
            pub const fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            /// The lowercase human name of the field, such as `tenant id`.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }

        /// `field.kind`, spelled out for every pair so that the code is a `&'static str`.
        const fn code_of(field: IdField, kind: &IdErrorKind) -> &'static str {
            match field {
                $(IdField::$variant => kind_codes!($code, kind),)*
            }
        }
    };
}

macro_rules! kinds {
    ($d:tt; $($(#[$doc:meta])* $variant:ident $({ $($f:ident : $t:ty),* })? => $code:literal;)*) => {
        /// Why an identifier was refused.
        ///
        /// Positions are 0-based character indexes into the input as written.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum IdErrorKind {
            $($(#[$doc])* $variant $({ $(#[allow(missing_docs)] $f: $t),* })?,)*
        }

        impl IdErrorKind {
            /// The stable machine-readable suffix of the error code, such as `nil`.
            #[must_use]
            pub const fn code(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $code,)*
                }
            }
        }

        macro_rules! kind_codes {
            ($d prefix:literal, $d kind:expr) => {
                match $d kind {
                    $(IdErrorKind::$variant { .. } => concat!($d prefix, ".", $code),)*
                }
            };
        }
    };
}

kinds! {
    $;
    /// The input is empty.
    Empty => "empty";
    /// The input is longer than the format allows.
    TooLong { max: usize } => "too_long";
    /// The input does not have the fixed length of its format.
    WrongLength { len: usize, expected: &'static str } => "length";
    /// A character that the format does not allow at this place.
    InvalidCharacter { ch: char, index: usize } => "invalid_character";
    /// A hyphen is missing where the format needs one, or stands where it must not.
    MisplacedHyphen { index: usize } => "hyphen";
    /// A GUID with only one of its braces, or 38 characters without braces.
    Braces => "braces";
    /// The nil GUID `00000000-0000-0000-0000-000000000000`.
    Nil => "nil";
    /// A number made only of zeros.
    Zero => "zero";
    /// A non-ASCII character in a domain name: it must be written in its `xn--` form.
    NonAscii { ch: char, index: usize } => "non_ascii";
    /// An IPv4 or IPv6 address where a domain name is expected.
    IpAddress => "ip_address";
    /// A domain name with one label only.
    SingleLabel => "single_label";
    /// Two dots in a row, or a leading dot.
    EmptyLabel { index: usize } => "empty_label";
    /// A domain label longer than 63 characters.
    LabelTooLong { index: usize, len: usize } => "label_too_long";
    /// A domain label that starts or ends with a hyphen.
    LabelHyphen { index: usize } => "label_hyphen";
    /// A top-level label made only of digits.
    NumericTld => "numeric_tld";
    /// An email address without `@`.
    MissingAt => "missing_at";
    /// An email address with nothing before `@`.
    LocalEmpty => "local_empty";
    /// An email local part longer than 64 characters.
    LocalTooLong => "local_too_long";
    /// An email local part with a leading, trailing or doubled dot.
    LocalDot { index: usize } => "local_dot";
    /// A customer ID text without its `kind:` prefix.
    MissingKind => "missing_kind";
    /// A customer ID kind that is not one of the five nomination kinds.
    UnknownKind => "unknown_kind";
}

fields! {
    /// A customer's Microsoft Entra tenant (directory) ID.
    TenantId => "tenant_id", "tenant id";
    /// An Azure subscription ID.
    AzureSubscriptionId => "azure_subscription_id", "azure subscription id";
    /// A Business Applications subscription ID.
    SubscriptionId => "subscription_id", "subscription id";
    /// A claim ID chosen by the caller.
    ClaimId => "claim_id", "claim id";
    /// A domain name.
    DomainName => "domain", "domain name";
    /// A Top Parent ID.
    Tpid => "tpid", "tpid";
    /// An MSX opportunity ID.
    MsxOpportunityId => "msx_opportunity_id", "msx opportunity id";
    /// A partner location ID (PartnerID, formerly MPN ID).
    PartnerId => "partner_id", "partner id";
    /// An email address as a whole, or its local part.
    EmailAddress => "email", "email address";
    /// The domain part of an email address. The error's input is the whole address.
    EmailDomain => "email.domain", "email address domain part";
    /// A customer ID with its kind.
    CustomerId => "customer_id", "customer id";
    /// The kind of a customer ID alone.
    CustomerIdKind => "customer_id_kind", "customer id kind";
}

impl fmt::Display for IdField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl fmt::Display for IdErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("is empty"),
            Self::TooLong { max } => write!(f, "is longer than {max} characters"),
            Self::WrongLength { len, expected } => {
                let plural = if len == 1 { "" } else { "s" };
                write!(f, "has {len} character{plural}; expected {expected}")
            }
            Self::InvalidCharacter { ch, index } => {
                write!(f, "has the invalid character {ch:?} at index {index}")
            }
            Self::MisplacedHyphen { index } => {
                write!(f, "has a missing or misplaced hyphen at index {index}")
            }
            Self::Braces => f.write_str("has unbalanced braces; write {guid} or guid"),
            Self::Nil => f.write_str("is the nil guid, which names nothing"),
            Self::Zero => f.write_str("is zero"),
            Self::NonAscii { ch, index } => write!(
                f,
                "has the non-ascii character {ch:?} at index {index}; \
                 write an internationalized domain in its punycode \"xn--\" form"
            ),
            Self::IpAddress => f.write_str("is an ip address, not a domain name"),
            Self::SingleLabel => {
                f.write_str("has a single label; expected at least two, as in \"contoso.com\"")
            }
            Self::EmptyLabel { index } => write!(f, "has an empty label at index {index}"),
            Self::LabelTooLong { index, len } => write!(
                f,
                "has a label of {len} characters at index {index}; at most 63 are allowed"
            ),
            Self::LabelHyphen { index } => write!(
                f,
                "has a label that starts or ends with a hyphen at index {index}"
            ),
            Self::NumericTld => f.write_str("has an all-numeric top-level label"),
            Self::MissingAt => f.write_str("has no \"@\""),
            Self::LocalEmpty => f.write_str("has an empty local part before \"@\""),
            Self::LocalTooLong => f.write_str("has a local part longer than 64 characters"),
            Self::LocalDot { index } => write!(
                f,
                "has a leading, trailing or doubled dot in its local part at index {index}"
            ),
            Self::MissingKind => f.write_str(
                "has no kind prefix; write kind:value, as in \"tenant:<guid>\" or \"tpid:123\"",
            ),
            Self::UnknownKind => f.write_str(
                "has an unknown kind; expected domain, tenant, tpid, \
                 azure_subscription or msx_opportunity",
            ),
        }
    }
}

impl IdErrorKind {
    /// The same kind with every index moved right by `by` characters.
    ///
    /// Used when a part of a larger input (the domain of an email) is validated alone.
    pub(crate) fn shifted(self, by: usize) -> Self {
        let add = |i: usize| i.saturating_add(by);
        match self {
            Self::InvalidCharacter { ch, index } => Self::InvalidCharacter {
                ch,
                index: add(index),
            },
            Self::MisplacedHyphen { index } => Self::MisplacedHyphen { index: add(index) },
            Self::NonAscii { ch, index } => Self::NonAscii {
                ch,
                index: add(index),
            },
            Self::EmptyLabel { index } => Self::EmptyLabel { index: add(index) },
            Self::LabelTooLong { index, len } => Self::LabelTooLong {
                index: add(index),
                len,
            },
            Self::LabelHyphen { index } => Self::LabelHyphen { index: add(index) },
            Self::LocalDot { index } => Self::LocalDot { index: add(index) },
            other => other,
        }
    }
}

/// An identifier that could not be parsed.
///
/// It names the [field](IdField), says [why](IdError::reason), has a stable machine-readable
/// [code](IdError::code) such as `tenant_id.nil` or `domain.label_too_long`, and keeps at most
/// [`INPUT_ECHO_LIMIT`] characters of the offending input.
///
/// ```
/// let err = "{00000000-0000-0000-0000-000000000000}".parse::<cpor::TenantId>().unwrap_err();
/// assert_eq!(err.code(), "tenant_id.nil");
/// assert_eq!(
///     err.to_string(),
///     r#"tenant id "{00000000-0000-0000-0000-000000000000}" is the nil guid, which names nothing"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{field} {} {kind}", echo(.input, *.truncated))]
#[non_exhaustive]
pub struct IdError {
    field: IdField,
    kind: IdErrorKind,
    input: Box<str>,
    truncated: bool,
}

impl IdError {
    /// Builds an error, keeping at most [`INPUT_ECHO_LIMIT`] characters of `input`.
    #[must_use]
    pub fn new(field: IdField, kind: IdErrorKind, input: &str) -> Self {
        let cut = input
            .char_indices()
            .nth(INPUT_ECHO_LIMIT)
            .map_or(input.len(), |(at, _)| at);
        let kept = input.get(..cut).unwrap_or(input);
        Self {
            field,
            kind,
            input: kept.into(),
            truncated: cut < input.len(),
        }
    }

    /// The identifier that was being parsed.
    #[must_use]
    pub const fn field(&self) -> IdField {
        self.field
    }

    /// Why it was refused.
    #[must_use]
    pub const fn reason(&self) -> IdErrorKind {
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

    /// The stable machine-readable code, `field.kind`, such as `tenant_id.nil`.
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

/// The quoted input of an error message.
const fn echo(text: &str, truncated: bool) -> Echo<'_> {
    Echo { text, truncated }
}

/// The quoted input of an error message, with `...` after the quote when it was cut.
struct Echo<'a> {
    text: &'a str,
    truncated: bool,
}

impl fmt::Display for Echo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)?;
        if self.truncated {
            f.write_str("...")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_field_then_kind() {
        let err = IdError::new(IdField::DomainName, IdErrorKind::SingleLabel, "x");
        assert_eq!(err.code(), "domain.single_label");
        let err = IdError::new(IdField::EmailDomain, IdErrorKind::Empty, "a@");
        assert_eq!(err.code(), "email.domain.empty");
    }

    #[test]
    fn input_is_cut_on_a_character_boundary() {
        let long = "é".repeat(100);
        let err = IdError::new(
            IdField::DomainName,
            IdErrorKind::TooLong { max: 253 },
            &long,
        );
        assert_eq!(err.input().chars().count(), INPUT_ECHO_LIMIT);
        assert!(err.is_input_truncated());
        assert!(err.to_string().contains("\"..."));
        let short = IdError::new(IdField::Tpid, IdErrorKind::Empty, "");
        assert!(!short.is_input_truncated());
        assert_eq!(short.to_string(), "tpid \"\" is empty");
    }
}
