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
/// different. A `DomainName` of up to 30 characters is kept inline, without allocating;
/// longer ones are shared when cloned.
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
#[derive(Clone)]
pub struct DomainName(Repr);

/// The longest domain kept inline, without a heap allocation.
const INLINE: usize = 30;

/// Short domains (almost all) live inline; longer ones are shared on the heap. Every domain
/// has exactly one representation, chosen by its length.
#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

impl Repr {
    /// Builds the representation of canonical (lowercase ASCII) text.
    fn new(canonical: &[u8]) -> Self {
        match (u8::try_from(canonical.len()), canonical.len() <= INLINE) {
            (Ok(len), true) => {
                let mut bytes = [0_u8; INLINE];
                if let Some(slot) = bytes.get_mut(..canonical.len()) {
                    slot.copy_from_slice(canonical);
                }
                Self::Inline { len, bytes }
            }
            _ => Self::Shared(Arc::from(
                std::str::from_utf8(canonical).unwrap_or_default(),
            )),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Inline { len, bytes } => bytes
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
            Self::Shared(text) => text,
        }
    }
}

impl PartialEq for DomainName {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for DomainName {}

impl std::hash::Hash for DomainName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for DomainName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DomainName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl DomainName {
    /// Parses a domain name.
    ///
    /// # Errors
    ///
    /// An [`IdError`] with field [`IdField::DomainName`] when a rule in the type's documentation
    /// does not hold.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        canonical(text)
            .map(|c| Self::from_canonical(&c))
            .map_err(|kind| IdError::new(IdField::DomainName, kind, text))
    }

    /// Wraps the output of [`canonical`].
    pub(crate) fn from_canonical(canonical: &Canonical) -> Self {
        Self(Repr::new(canonical.as_bytes()))
    }

    /// The canonical form: lowercase, without a trailing dot.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The labels, from left to right: `["contoso", "onmicrosoft", "com"]`.
    pub fn labels(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.as_str().split('.')
    }
}

/// Validates a domain name and builds its canonical form in one pass.
/// A validated domain: the input itself when it was already lowercase, or its lowercase copy.
pub(crate) enum Canonical<'a> {
    Borrowed(&'a str),
    Lowered(String),
}

impl Canonical<'_> {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Borrowed(text) => text.as_bytes(),
            Self::Lowered(text) => text.as_bytes(),
        }
    }
}

pub(crate) fn canonical(text: &str) -> Result<Canonical<'_>, IdErrorKind> {
    match fast(text) {
        Some(canonical) => Ok(canonical),
        None => checked(text),
    }
}

/// The common case, checked with few branches: LDH bytes and dots only, labels of 1 to 63
/// characters without a hyphen at either end, at least two labels, a top-level label with a
/// letter. `None` means "not sure": [`checked`] then decides and explains. It never accepts a
/// text that [`checked`] refuses (a property test holds them together).
fn fast(text: &str) -> Option<Canonical<'_>> {
    let body = text.strip_suffix('.').unwrap_or(text);
    let bytes = body.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_LEN {
        return None;
    }
    let mut bad = false;
    let mut upper = false;
    for &byte in bytes {
        let folded = byte | 0x20;
        let letter = folded.wrapping_sub(b'a') < 26;
        let digit = byte.wrapping_sub(b'0') < 10;
        bad |= !(letter | digit | (byte == b'-') | (byte == b'.'));
        upper |= byte.wrapping_sub(b'A') < 26;
    }
    if bad {
        return None;
    }
    let mut labels = 0_usize;
    let mut last: &[u8] = &[];
    for label in bytes.split(|b| *b == b'.') {
        match label.first().zip(label.last()) {
            Some((first, end)) if label.len() <= MAX_LABEL && *first != b'-' && *end != b'-' => {}
            _ => return None,
        }
        labels = labels.saturating_add(1);
        last = label;
    }
    if labels < 2 || last.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(if upper {
        Canonical::Lowered(body.to_ascii_lowercase())
    } else {
        Canonical::Borrowed(body)
    })
}

/// The full validator: decides every text and names the leftmost problem.
fn checked(text: &str) -> Result<Canonical<'_>, IdErrorKind> {
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
        Canonical::Lowered(body.to_ascii_lowercase())
    } else {
        Canonical::Borrowed(body)
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
        f.pad(self.as_str())
    }
}

impl fmt::Debug for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainName({})", self.as_str())
    }
}

impl AsRef<str> for DomainName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

text_conversions!(DomainName, "a domain name such as \"contoso.com\"");

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2000,
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::Direct(
                    "proptest-regressions/domain_fast_path.txt",
                ),
            )),
            ..ProptestConfig::default()
        })]

        /// The fast path and the full validator agree on every text the fast path decides.
        #[test]
        fn the_fast_path_agrees_with_the_full_validator(
            text in prop_oneof![
                "[a-zA-Z0-9.-]{0,70}",
                "([a-z0-9-]{0,64}\\.){1,4}[a-z0-9-]{0,12}\\.?",
                any::<String>(),
            ]
        ) {
            let full = checked(&text).map(|c| c.as_bytes().to_vec());
            if let Some(fast) = fast(&text) {
                prop_assert_eq!(full, Ok(fast.as_bytes().to_vec()), "{:?}", text);
            }
        }
    }
}
