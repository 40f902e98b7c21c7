//! Free text typed by people: claim names, contact names, comments, reasons, PoE references.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ErrorKind;

/// The longest [`Text`], in characters.
pub const MAX_TEXT_CHARS: usize = 4000;

/// A piece of text that is not blank, at most [`MAX_TEXT_CHARS`] characters long, and has no
/// control characters other than line breaks and tabs.
///
/// It is kept as written (not trimmed), and is cheap to clone.
///
/// ```
/// let reason = cpor::Text::parse("customer asked to end the engagement")?;
/// assert_eq!(reason.as_str(), "customer asked to end the engagement");
/// assert_eq!(cpor::Text::parse("   ").unwrap_err().code(), "text.blank");
/// # Ok::<(), cpor::TextError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(Arc<str>);

/// Why a [`Text`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// Empty, or only whitespace.
    #[error("text is blank")]
    Blank,
    /// Longer than [`MAX_TEXT_CHARS`].
    #[error("text is longer than {max} characters", max = MAX_TEXT_CHARS)]
    TooLong,
    /// A control character other than a line break or a tab.
    #[error("text has the control character {ch:?} at index {index}")]
    ControlCharacter {
        /// The character.
        ch: char,
        /// Its 0-based character index.
        index: usize,
    },
}

impl TextError {
    /// The stable machine-readable code: `text.blank`, `text.too_long` or
    /// `text.control_character`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Blank => "text.blank",
            Self::TooLong => "text.too_long",
            Self::ControlCharacter { .. } => "text.control_character",
        }
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`], the input does not parse.
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

impl Text {
    /// Checks and keeps a text.
    ///
    /// # Errors
    ///
    /// A [`TextError`] if the text is blank, too long, or has a control character.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        if text.trim().is_empty() {
            return Err(TextError::Blank);
        }
        for (index, ch) in text.chars().enumerate() {
            if index >= MAX_TEXT_CHARS {
                return Err(TextError::TooLong);
            }
            if ch.is_control() && !matches!(ch, '\n' | '\r' | '\t') {
                return Err(TextError::ControlCharacter { ch, index });
            }
        }
        Ok(Self(Arc::from(text)))
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::str::FromStr for Text {
    type Err = TextError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<&str> for Text {
    type Error = TextError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

impl TryFrom<String> for Text {
    type Error = TextError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}
