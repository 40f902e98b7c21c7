//! Email addresses of customer and partner contacts.

use std::fmt;
use std::sync::Arc;

use super::domain::{self, DomainName};
use super::{IdError, IdErrorKind, IdField, text_conversions};

/// The longest address, in characters.
const MAX_LEN: usize = 254;
/// The longest local part, in characters.
const MAX_LOCAL: usize = 64;

/// An email address, `local@domain`.
///
/// - The local part is an RFC 5322 *dot-atom*: 1 to 64 ASCII letters, digits and
///   ``!#$%&'*+-/=?^_`{|}~``, with dots between them, never first, last or doubled. Quoted local
///   parts and non-ASCII local parts are refused: contact fields in Partner Center are plain
///   addresses.
/// - The domain part must be a valid [`DomainName`]; its errors have codes `email.domain.*`.
///   An address literal such as `user@[10.0.0.1]` is refused.
/// - At most 254 characters in all.
///
/// The canonical form lowercases the domain and keeps the local part as written, since a local
/// part may be case-sensitive. [`domain`](Self::domain) is what the tenant/email-domain check
/// compares.
///
/// ```
/// let email: cpor::EmailAddress = "Megan.Bowen@Contoso.COM".parse()?;
/// assert_eq!(email.to_string(), "Megan.Bowen@contoso.com");
/// assert_eq!(email.domain().as_str(), "contoso.com");
/// # Ok::<(), cpor::IdError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress {
    local: Arc<str>,
    domain: DomainName,
}

impl EmailAddress {
    /// Parses an email address.
    ///
    /// # Errors
    ///
    /// An [`IdError`] with field [`IdField::EmailAddress`] for the address as a whole or its local
    /// part, or [`IdField::EmailDomain`] for its domain part.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let fail = |field, kind| IdError::new(field, kind, text);
        let whole = |kind| fail(IdField::EmailAddress, kind);
        if text.is_empty() {
            return Err(whole(IdErrorKind::Empty));
        }
        // A longer non-ASCII text fails below, on its first non-ASCII character.
        if text.len() > MAX_LEN && text.is_ascii() {
            return Err(whole(IdErrorKind::TooLong { max: MAX_LEN }));
        }
        let Some((local, domain_part)) = text.split_once('@') else {
            return Err(whole(IdErrorKind::MissingAt));
        };
        check_local(local).map_err(whole)?;
        let domain = domain::canonical(domain_part).map_err(|kind| {
            fail(
                IdField::EmailDomain,
                kind.shifted(local.len().saturating_add(1)),
            )
        })?;
        Ok(Self {
            local: local.into(),
            domain: DomainName::from_canonical(&domain),
        })
    }

    /// The part before `@`, as written.
    #[must_use]
    pub fn local_part(&self) -> &str {
        &self.local
    }

    /// The domain part, in canonical form.
    #[must_use]
    pub const fn domain(&self) -> &DomainName {
        &self.domain
    }
}

/// Checks a dot-atom local part.
fn check_local(local: &str) -> Result<(), IdErrorKind> {
    if local.is_empty() {
        return Err(IdErrorKind::LocalEmpty);
    }
    let mut previous_dot = true;
    for (index, ch) in local.chars().enumerate() {
        if index >= MAX_LOCAL {
            return Err(IdErrorKind::LocalTooLong);
        }
        if ch == '.' {
            if previous_dot {
                return Err(IdErrorKind::LocalDot { index });
            }
            previous_dot = true;
        } else if is_atext(ch) {
            previous_dot = false;
        } else {
            return Err(IdErrorKind::InvalidCharacter { ch, index });
        }
    }
    if previous_dot {
        return Err(IdErrorKind::LocalDot {
            index: local.len().saturating_sub(1),
        });
    }
    Ok(())
}

/// RFC 5322 `atext`.
const fn is_atext(ch: char) -> bool {
    ch.is_ascii_alphanumeric()
        || matches!(
            ch,
            '!' | '#'
                | '$'
                | '%'
                | '&'
                | '\''
                | '*'
                | '+'
                | '-'
                | '/'
                | '='
                | '?'
                | '^'
                | '_'
                | '`'
                | '{'
                | '|'
                | '}'
                | '~'
        )
}

impl fmt::Display for EmailAddress {
    /// The canonical form: the local part as written, `@`, the lowercase domain.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({self})")
    }
}

text_conversions!(
    EmailAddress,
    "an email address such as \"megan@contoso.com\""
);
