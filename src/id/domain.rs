//! Domain names: `contoso.onmicrosoft.com` or a verified custom domain.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use super::{IdError, IdErrorKind, IdField, text_conversions};

/// The longest domain name, without its trailing dot.
const MAX_LEN: usize = 253;
/// The longest label.
const MAX_LABEL: usize = 63;

/// A fully qualified domain name, such as `contoso.onmicrosoft.com`, in lowercase.
///
/// The rules:
/// - ASCII letters, digits and hyphens only (LDH), in labels of 1 to 63 characters separated by
///   dots; no label starts or ends with a hyphen;
/// - at least two labels, at most 253 characters, and a top-level label that is not all digits;
/// - one trailing dot is accepted on input and dropped;
/// - IPv4 and IPv6 addresses are refused with their own code, `domain.ip_address`;
/// - internationalized names are accepted only in their `xn--` form. Non-ASCII input is refused
///   with `domain.non_ascii` and a hint to use that form. The library does not decode punycode,
///   so an `xn--` label is checked as LDH only.
///
/// The canonical form is lowercase without the trailing dot; letter case never makes two domains
/// different. A `DomainName` is shared, not copied, when cloned.
///
/// ```
/// let domain: cpor::DomainName = "Contoso.OnMicrosoft.com.".parse()?;
/// assert_eq!(domain.as_str(), "contoso.onmicrosoft.com");
///
/// let err = "bücher.de".parse::<cpor::DomainName>().unwrap_err();
/// assert_eq!(err.code(), "domain.non_ascii");
/// assert!(err.to_string().contains("xn--"));
/// # Ok::<(), cpor::IdError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(Arc<str>);

impl DomainName {
    /// Parses a domain name.
    ///
    /// # Errors
    ///
    /// An [`IdError`] with field [`IdField::DomainName`] when a rule in the type's documentation
    /// does not hold.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        canonical(text)
            .map(Self)
            .map_err(|kind| IdError::new(IdField::DomainName, kind, text))
    }

    /// Wraps the output of [`canonical`].
    pub(crate) const fn from_canonical(canonical: Arc<str>) -> Self {
        Self(canonical)
    }

    /// The canonical form: lowercase, without a trailing dot.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The labels, from left to right: `["contoso", "onmicrosoft", "com"]`.
    pub fn labels(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.0.split('.')
    }
}

/// Validates a domain name and builds its canonical form in one pass.
pub(crate) fn canonical(text: &str) -> Result<Arc<str>, IdErrorKind> {
    let body = text.strip_suffix('.').unwrap_or(text);
    if body.is_empty() {
        return Err(if text.is_empty() {
            IdErrorKind::Empty
        } else {
            IdErrorKind::EmptyLabel { index: 0 }
        });
    }
    if body.len() > MAX_LEN {
        return Err(first_non_ascii(text).unwrap_or(IdErrorKind::TooLong { max: MAX_LEN }));
    }
    let bytes = body.as_bytes();
    let mut label_start = 0;
    let mut labels = 1_usize;
    let mut upper = false;
    for (at, &byte) in bytes.iter().enumerate() {
        match class(byte) {
            Class::LowerOrDigit => {}
            Class::Upper => upper = true,
            Class::Hyphen if at == label_start => {
                return Err(IdErrorKind::LabelHyphen { index: at });
            }
            Class::Hyphen => {}
            Class::Dot => {
                check_label(bytes, label_start, at)?;
                label_start = at.saturating_add(1);
                labels = labels.saturating_add(1);
            }
            Class::Other => return Err(bad_character(text, at)),
        }
    }
    check_label(bytes, label_start, bytes.len())?;
    if labels < 2 {
        return Err(IdErrorKind::SingleLabel);
    }
    let tld = bytes.get(label_start..).unwrap_or_default();
    if tld.iter().all(u8::is_ascii_digit) {
        return Err(if body.parse::<IpAddr>().is_ok() {
            IdErrorKind::IpAddress
        } else {
            IdErrorKind::NumericTld
        });
    }
    Ok(if upper {
        Arc::from(body.to_ascii_lowercase())
    } else {
        Arc::from(body)
    })
}

/// What a byte is to the domain grammar.
#[derive(Clone, Copy)]
enum Class {
    LowerOrDigit,
    Upper,
    Hyphen,
    Dot,
    Other,
}

/// The class of every byte, looked up rather than tested range by range.
const CLASSES: [Class; 256] = {
    let mut table = [Class::Other; 256];
    let mut b = 0_u8;
    loop {
        // Evaluated at compile time: an out-of-bounds index would fail the build.
        #[allow(clippy::indexing_slicing)]
        {
            table[b as usize] = match b {
                b'a'..=b'z' | b'0'..=b'9' => Class::LowerOrDigit,
                b'A'..=b'Z' => Class::Upper,
                b'-' => Class::Hyphen,
                b'.' => Class::Dot,
                _ => Class::Other,
            };
        }
        if b == u8::MAX {
            break;
        }
        b += 1;
    }
    table
};

#[inline]
fn class(byte: u8) -> Class {
    CLASSES
        .get(usize::from(byte))
        .copied()
        .unwrap_or(Class::Other)
}

/// Checks the label `bytes[start..end]`, whose characters are already known to be LDH and
/// whose first character is known not to be a hyphen.
fn check_label(bytes: &[u8], start: usize, end: usize) -> Result<(), IdErrorKind> {
    let len = end.saturating_sub(start);
    if len == 0 {
        return Err(IdErrorKind::EmptyLabel { index: start });
    }
    if len > MAX_LABEL {
        return Err(IdErrorKind::LabelTooLong { index: start, len });
    }
    let last = end.saturating_sub(1);
    if bytes.get(last) == Some(&b'-') {
        return Err(IdErrorKind::LabelHyphen { index: last });
    }
    Ok(())
}

/// The error for a byte that is not LDH or a dot, at `at`, all bytes before it being ASCII.
fn bad_character(text: &str, at: usize) -> IdErrorKind {
    let unbracketed = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    if unbracketed.parse::<IpAddr>().is_ok() {
        return IdErrorKind::IpAddress;
    }
    // Every byte before `at` is ASCII, so the byte index is also the character index.
    let ch = text.get(at..).and_then(|rest| rest.chars().next());
    match ch {
        Some(ch) if !ch.is_ascii() => IdErrorKind::NonAscii { ch, index: at },
        Some(ch) => IdErrorKind::InvalidCharacter { ch, index: at },
        None => IdErrorKind::Empty,
    }
}

/// The first non-ASCII character, if any, as an error.
fn first_non_ascii(text: &str) -> Option<IdErrorKind> {
    text.chars()
        .enumerate()
        .find(|(_, ch)| !ch.is_ascii())
        .map(|(index, ch)| IdErrorKind::NonAscii { ch, index })
}

impl fmt::Display for DomainName {
    /// The canonical form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainName({})", self.0)
    }
}

impl AsRef<str> for DomainName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

text_conversions!(DomainName, "a domain name such as \"contoso.com\"");
