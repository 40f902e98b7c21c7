//! Request IDs: what makes a retried create or command safe.
//!
//! A caller chooses a [`RequestId`] for each create or command it may retry (a UUID, or its
//! own idempotency key). The claim records it in the history entry the command made, with a
//! digest of the command's input ([`Request`]). A retry with the same request ID and the same
//! input finds the entry and is answered with the claim as stored, without applying the
//! command again; the same request ID with other input is refused. Creates record the digest
//! of their input (form or nomination, actor, program year) whether or not a request ID is
//! given, so a retried create is recognised by its claim ID, whatever happened to the claim
//! since.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::claim::invalid::{Checked, Invariant, ensure, excerpt};
use crate::error::ErrorKind;

/// A caller-chosen request ID: 1 to 128 characters of ASCII letters, digits and `-`, `_`,
/// `.`, `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RequestId(Box<str>);

/// Why a request ID was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("request id '{value}' is not 1 to 128 letters, digits, '-', '_', '.' or ':'")]
pub struct RequestIdError {
    value: String,
}

impl RequestIdError {
    /// The stable machine-readable code: `request_id.invalid`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        "request_id.invalid"
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

impl RequestId {
    /// The most characters of a request ID.
    pub const MAX_LEN: usize = 128;

    /// Parses a request ID.
    ///
    /// # Errors
    ///
    /// [`RequestIdError`] for an empty or longer ID, or another character.
    pub fn parse(text: &str) -> Result<Self, RequestIdError> {
        let ok = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if ok {
            Ok(Self(text.into()))
        } else {
            Err(RequestIdError {
                value: excerpt(text),
            })
        }
    }

    /// The ID as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for RequestId {
    type Err = RequestIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What a history entry records of the request that made it: the caller's request ID, if it
/// gave one, and a digest of the command's input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Request {
    /// The caller's request ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RequestId>,
    /// A 64-bit digest (FNV-1a) of the input's JSON: the command or the creation's form or
    /// nomination, the actor and, for a creation, the program year. It tells a retry from a
    /// reuse of the same request ID for something else.
    pub input: u64,
}

impl Request {
    /// The record of a request for `input`.
    #[must_use]
    pub fn new(id: Option<RequestId>, input: &impl Serialize) -> Self {
        Self {
            id,
            input: digest(input),
        }
    }
}

/// The FNV-1a digest of `value`'s JSON: stable across builds and platforms, as JSON is.
pub(crate) fn digest(value: &impl Serialize) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    // Serializing these values cannot fail (no maps with non-string keys); an error would
    // only make every digest of that input the same, never panic.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

/// Whether a request was seen in a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// No entry has its ID.
    New,
    /// An entry has its ID and the same input: a retry.
    Same,
    /// An entry has its ID and other input.
    Reused,
}

/// Whether `request` was seen among `recorded`.
pub(crate) fn seen<'a>(recorded: impl Iterator<Item = &'a Request>, request: &Request) -> Seen {
    let Some(id) = &request.id else {
        return Seen::New;
    };
    for r in recorded {
        if r.id.as_ref() == Some(id) {
            return if r.input == request.input {
                Seen::Same
            } else {
                Seen::Reused
            };
        }
    }
    Seen::New
}

/// The history's record of requests is sound: the creation records its request (the digest
/// of its input), and each request ID names one entry, so a retry finds the one it made.
pub(crate) fn requests<'a>(
    creation: Option<&Request>,
    entries: impl Iterator<Item = Option<&'a Request>>,
) -> Checked {
    ensure(creation.is_some(), Invariant::History, || {
        "the creation does not record its request".into()
    })?;
    let mut ids: Vec<&RequestId> = entries.filter_map(|r| r?.id.as_ref()).collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    ensure(ids.len() == count, Invariant::History, || {
        "two history entries name one request id".into()
    })
}
