//! MSX opportunity IDs, the only nomination that variable-pay engagements accept.

use std::fmt;

use super::{IdError, IdErrorKind, IdField, text_conversions};

/// The length of an MSX opportunity ID.
const LEN: usize = 12;

/// An MSX opportunity ID: one digit, a hyphen, then 10 letters or digits, such as
/// `7-3CVDESBISU`.
///
/// Input is case-insensitive and printed in uppercase. The format is known only from
/// third-party code; this is the library's reading of it.
///
/// ```
/// let msx: cpor::MsxOpportunityId = "7-3cvdesbisu".parse()?;
/// assert_eq!(msx.as_str(), "7-3CVDESBISU");
/// # Ok::<(), cpor::IdError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsxOpportunityId([u8; LEN]);

impl MsxOpportunityId {
    /// Parses an MSX opportunity ID, in any letter case.
    ///
    /// # Errors
    ///
    /// An [`IdError`] with field [`IdField::MsxOpportunityId`] if the text is not 12 characters
    /// long, does not start with a digit and a hyphen, or has a character after the hyphen that
    /// is not an ASCII letter or digit.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        canonical(text)
            .map(Self)
            .map_err(|kind| IdError::new(IdField::MsxOpportunityId, kind, text))
    }

    /// The canonical, uppercase form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

fn canonical(text: &str) -> Result<[u8; LEN], IdErrorKind> {
    let Ok(mut bytes) = <[u8; LEN]>::try_from(text.as_bytes()) else {
        let mut chars = text.chars().enumerate();
        return Err(match text.chars().count() {
            0 => IdErrorKind::Empty,
            // Twelve characters, but not twelve bytes: name the first non-ASCII one.
            LEN => chars
                .find(|(_, ch)| !ch.is_ascii())
                .map_or(IdErrorKind::Empty, |(index, ch)| {
                    IdErrorKind::InvalidCharacter { ch, index }
                }),
            len => IdErrorKind::WrongLength {
                len,
                expected: "12: a digit, a hyphen and 10 letters or digits",
            },
        });
    };
    let bad = |index: usize| {
        // Every byte before `index` is ASCII: the byte index is the char index.
        match text.get(index..).and_then(|rest| rest.chars().next()) {
            Some('-') => IdErrorKind::MisplacedHyphen { index },
            Some(ch) => IdErrorKind::InvalidCharacter { ch, index },
            None => IdErrorKind::Empty,
        }
    };
    for (index, &byte) in bytes.iter().enumerate() {
        let ok = match index {
            0 => byte.is_ascii_digit(),
            1 => byte == b'-',
            _ => byte.is_ascii_alphanumeric(),
        };
        if !ok {
            return Err(if index == 1 {
                IdErrorKind::MisplacedHyphen { index }
            } else {
                bad(index)
            });
        }
    }
    bytes.make_ascii_uppercase();
    Ok(bytes)
}

impl fmt::Display for MsxOpportunityId {
    /// The canonical, uppercase form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for MsxOpportunityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsxOpportunityId({})", self.as_str())
    }
}

text_conversions!(
    MsxOpportunityId,
    "an msx opportunity id: a digit, a hyphen and 10 letters or digits"
);
