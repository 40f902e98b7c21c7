//! Events as the service returns them: each names the claim it is about and has a stable ID.
//!
//! The pure transitions return bare events (`AssociationEvent`, `ActivityEvent`): what to do.
//! The service, once the commit has landed, gives each an [`EventId`] (the claim, the version
//! the commit gave it, and the event's place among that commit's events of that claim) and
//! returns it as an [`Emitted`]. An arbitration's approval returns the winner's events under
//! the winner's ID and the superseded claim's events under its own.
//!
//! The same events, with the same IDs, are written to the store's **outbox** in the commit's
//! own transaction, as [`Event`]s of either family, for a delivery worker to take under a
//! lease and acknowledge: see [the outbox](crate::store#the-outbox).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::activity::ActivityEvent;
use crate::association::AssociationEvent;
use crate::id::ClaimId;
use crate::store::Version;

/// An event of either claim family, as the outbox keeps it.
///
/// Its JSON form is the family's event with a `family` field beside the `event` tag, such
/// as `{"family":"association","event":"customer_notified","tenant":...}`. Reading it back
/// (from JSON or from a database row) goes through the same checks as every other way in:
/// an invalid email address or tenant ID is refused, never built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// An event of a CPOR association claim.
    Association(AssociationEvent),
    /// An event of an MCI activity claim.
    Activity(ActivityEvent),
}

impl Event {
    /// The family's name: `association` or `activity`.
    #[must_use]
    pub const fn family(&self) -> &'static str {
        match self {
            Self::Association(_) => "association",
            Self::Activity(_) => "activity",
        }
    }
}

impl From<AssociationEvent> for Event {
    fn from(event: AssociationEvent) -> Self {
        Self::Association(event)
    }
}

impl From<ActivityEvent> for Event {
    fn from(event: ActivityEvent) -> Self {
        Self::Activity(event)
    }
}

/// The stable identity of one event: the claim it is about, the version of the claim the
/// commit that made it wrote, and its place among that commit's events of the claim.
///
/// The same event always has the same ID, so a consumer may use it as an idempotency key:
/// an event delivered twice (a retry, at-least-once delivery) has the same ID both times.
/// Its text form, which is also its JSON form, is `{claim}/v{version}/{index}`, such as
/// `0c1a1d00-0000-4000-8000-000000000001/v3/0`; parsing it ([`FromStr`](std::str::FromStr),
/// serde) goes through the claim ID's own validator.
///
/// ```
/// use cpor::event::EventId;
///
/// let id: EventId = "0c1a1d00-0000-4000-8000-000000000001/v3/0".parse()?;
/// assert_eq!((id.version.get(), id.index), (3, 0));
/// assert_eq!(serde_json::to_string(&id)?, format!("\"{id}\""));
/// assert_eq!("x/v0/0".parse::<EventId>().unwrap_err().code(), "event_id.invalid");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct EventId {
    /// The claim the event is about.
    pub claim: ClaimId,
    /// The version the commit that made the event gave the claim.
    pub version: Version,
    /// The event's place among that commit's events of the claim, from 0.
    pub index: u32,
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.claim, self.version, self.index)
    }
}

impl From<EventId> for String {
    fn from(id: EventId) -> Self {
        id.to_string()
    }
}

impl TryFrom<String> for EventId {
    type Error = EventIdError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl std::str::FromStr for EventId {
    type Err = EventIdError;

    /// Parses `{claim}/v{version}/{index}`: a claim ID, a version of at least 1, an index.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refused = || EventIdError {
            value: text.chars().take(EventIdError::QUOTED).collect(),
        };
        let mut parts = text.splitn(3, '/');
        let (Some(claim), Some(version), Some(index)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(refused());
        };
        let claim = ClaimId::parse(claim).map_err(|_| refused())?;
        let version = version
            .strip_prefix('v')
            .filter(|v| !v.starts_with('+'))
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|v| *v >= 1)
            .ok_or_else(refused)?;
        let index = Some(index)
            .filter(|i| !i.starts_with('+'))
            .and_then(|i| i.parse::<u32>().ok())
            .ok_or_else(refused)?;
        Ok(Self {
            claim,
            version: Version::new(version),
            index,
        })
    }
}

/// Why a text is not an [`EventId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event id '{value}' is not a claim id, a version 'v1' or more and an index, joined by '/'")]
pub struct EventIdError {
    value: String,
}

impl EventIdError {
    /// The most characters of the refused text the message quotes.
    const QUOTED: usize = 80;

    /// The stable machine-readable code: `event_id.invalid`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        "event_id.invalid"
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`](crate::ErrorKind::Invalid),
    /// the input does not parse.
    #[must_use]
    pub const fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Invalid
    }

    /// Whether trying again may succeed: never, the same input is refused again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }
}

/// An event with its ID: what the application must do, and about which claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Emitted<E> {
    /// The event's stable ID, which names its claim.
    pub id: EventId,
    /// What to do.
    pub event: E,
}

impl<E> Emitted<E> {
    /// The claim the event is about.
    #[must_use]
    pub const fn claim(&self) -> ClaimId {
        self.id.claim
    }

    /// The events of one commit of `claim` at `version`, numbered in order.
    #[must_use]
    pub fn numbered(claim: ClaimId, version: Version, events: Vec<E>) -> Vec<Self> {
        events
            .into_iter()
            .zip(0_u32..)
            .map(|(event, index)| Self {
                id: EventId {
                    claim,
                    version,
                    index,
                },
                event,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const CLAIM: &str = "0c1a1d00-0000-4000-8000-000000000001";

    #[test]
    fn event_id_formats() {
        let good = [
            (format!("{CLAIM}/v1/0"), 1, 0),
            (format!("{CLAIM}/v3/2"), 3, 2),
            (
                format!("{CLAIM}/v18446744073709551615/4294967295"),
                u64::MAX,
                u32::MAX,
            ),
        ];
        for (text, version, index) in good {
            let id: EventId = text.parse().unwrap();
            assert_eq!((id.version.get(), id.index), (version, index), "{text}");
            assert_eq!(id.to_string(), text);
        }
        let bad = [
            String::new(),
            "/v1/0".to_owned(),
            "not-a-claim/v1/0".to_owned(),
            CLAIM.to_owned(),
            format!("{CLAIM}/v1"),
            format!("{CLAIM}/1/0"),
            format!("{CLAIM}/v0/0"),
            format!("{CLAIM}/v+1/0"),
            format!("{CLAIM}/v1/+0"),
            format!("{CLAIM}/v1/-1"),
            format!("{CLAIM}/v1/0/1"),
            format!("{CLAIM}/v1/4294967296"),
            format!("{CLAIM}/v18446744073709551616/0"),
            format!("{CLAIM}/v1/0 "),
        ];
        for text in bad {
            let err = text.parse::<EventId>().unwrap_err();
            assert_eq!(err.code(), "event_id.invalid", "{text}");
            assert!(err.to_string().starts_with("event id '"), "{err}");
        }
        // A long refusal quotes a bounded excerpt.
        let long = "x".repeat(10_000);
        assert!(long.parse::<EventId>().unwrap_err().to_string().len() < 200);
        // serde takes the same path.
        let json = format!("\"{CLAIM}/v0/0\"");
        assert!(serde_json::from_str::<EventId>(&json).is_err());
    }

    proptest! {
        #[test]
        fn every_event_id_reads_back_from_its_text_and_json(
            claim in 1_u128..,
            version in 1_u64..,
            index in any::<u32>(),
        ) {
            let id = EventId {
                claim: ClaimId::from_uuid(uuid::Uuid::from_u128(claim)).unwrap(),
                version: Version::new(version),
                index,
            };
            prop_assert_eq!(id.to_string().parse::<EventId>().unwrap(), id);
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<EventId>(&json).unwrap(), id);
        }
    }
}
