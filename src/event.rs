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
/// Its text form is `{claim}/{version}/{index}`, such as
/// `0c1a1d00-0000-4000-8000-000000000001/v3/0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
