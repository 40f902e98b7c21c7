//! Why a command on an association claim was refused.

use chrono::{DateTime, Utc};

use super::command::RejectionReason;
use super::form::FormErrors;
use super::state::{AssociationState, CommandKind};
use crate::actor::ActorKind;
use crate::catalog::ProgramYear;
use crate::error::ErrorKind;
use crate::id::ClaimId;

/// A refused command. The claim is left exactly as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssociationError {
    /// No such claim for this partner. A claim of another partner location looks exactly the
    /// same as a missing one.
    #[error("claim {claim} not found")]
    NotFound {
        /// The claim asked for.
        claim: ClaimId,
    },
    /// The actor may not issue the command (see
    /// [who may do what](crate::guide::rules#who-may-do-what)).
    #[error("{} may not {command} an association claim", .actor.name())]
    Forbidden {
        /// The command.
        command: CommandKind,
        /// Who tried.
        actor: ActorKind,
    },
    /// The history already has an entry of the request's ID.
    #[error("claim {claim} already has an entry of this request id")]
    RequestSeen {
        /// The claim.
        claim: ClaimId,
    },
    /// A resubmit would move the claim to a partner location the user may not act for.
    #[error("the user may not act for partner location {partner}, so may not move the claim to it")]
    ForbiddenLocation {
        /// The location asked for.
        partner: crate::id::PartnerId,
    },
    /// The command is not allowed in the claim's state; see the transition table.
    #[error("cannot {command} an association claim that is {state}")]
    InvalidState {
        /// The command.
        command: CommandKind,
        /// The claim's state.
        state: AssociationState,
    },
    /// The form has problems; all are listed.
    #[error("{0}")]
    Form(#[from] FormErrors),
    /// Submitting needs at least one PoE document.
    #[error("poe is missing: attach at least one proof of execution before submitting")]
    PoeRequired,
    /// Submitting needs the acknowledgements.
    #[error("acknowledgement is missing: the acknowledgements are required to submit")]
    AcknowledgementRequired,
    /// A timer command before its deadline, or with nothing to expire.
    #[error("nothing is due yet{}", .due.map(|d| format!(": the deadline is {d}")).unwrap_or_default())]
    NotDue {
        /// The deadline, if there is one.
        due: Option<DateTime<Utc>>,
    },
    /// The claim's deadline has passed: only the timer's `expire` (and a customer decline) may
    /// act on it now.
    #[error("the deadline {deadline} has passed; the claim is expiring")]
    DeadlinePassed {
        /// The deadline.
        deadline: DateTime<Utc>,
    },
    /// A claim is disputed at most once.
    #[error("the claim was already disputed; a claim can be disputed once")]
    AlreadyDisputed,
    /// A rejection that cannot be disputed, such as a customer decline.
    #[error("a rejection for {} cannot be disputed", .reason.as_str())]
    NotDisputable {
        /// The rejection's reason.
        reason: RejectionReason,
    },
    /// The dispute window has closed.
    #[error("the dispute window closed at {closed_at}")]
    DisputeWindowClosed {
        /// When it closed.
        closed_at: DateTime<Utc>,
    },
    /// A claim cannot supersede itself.
    #[error("a claim cannot supersede itself")]
    SupersedeSelf,
    /// The catalog is not of the claim's program year.
    #[error("the claim is governed by the {claim} catalog, not {catalog}")]
    CatalogMismatch {
        /// The claim's program year.
        claim: ProgramYear,
        /// The catalog's program year.
        catalog: ProgramYear,
    },
    /// `now` is before the claim's last history entry.
    #[error("time went back: now is {now}, but the claim last changed at {last}")]
    TimeWentBack {
        /// The last history entry's time.
        last: DateTime<Utc>,
        /// The time given.
        now: DateTime<Utc>,
    },
    /// A deadline falls outside the supported dates.
    #[error("a deadline falls outside the supported date range")]
    DateOutOfRange,
}

impl AssociationError {
    /// The stable machine-readable code, such as `association.invalid_state`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "association.not_found",
            Self::Forbidden { .. } => "association.forbidden",
            Self::ForbiddenLocation { .. } => "association.forbidden_location",
            Self::RequestSeen { .. } => "association.request_seen",
            Self::InvalidState { .. } => "association.invalid_state",
            Self::Form(_) => "association.invalid_form",
            Self::PoeRequired => "association.poe_required",
            Self::AcknowledgementRequired => "association.acknowledgement_required",
            Self::NotDue { .. } => "association.not_due",
            Self::DeadlinePassed { .. } => "association.deadline_passed",
            Self::AlreadyDisputed => "association.already_disputed",
            Self::NotDisputable { .. } => "association.not_disputable",
            Self::DisputeWindowClosed { .. } => "association.dispute_window_closed",
            Self::SupersedeSelf => "association.supersede_self",
            Self::CatalogMismatch { .. } => "association.catalog_mismatch",
            Self::TimeWentBack { .. } => "association.time_went_back",
            Self::DateOutOfRange => "association.date_out_of_range",
        }
    }

    /// What kind of failure this is. See the [table of codes](crate::error#error-codes).
    ///
    /// - [`NotFound`](ErrorKind::NotFound): [`NotFound`](Self::NotFound);
    /// - [`Forbidden`](ErrorKind::Forbidden): [`Forbidden`](Self::Forbidden) and
    ///   [`ForbiddenLocation`](Self::ForbiddenLocation);
    /// - [`Conflict`](ErrorKind::Conflict), the claim's state does not allow the command now:
    ///   [`InvalidState`](Self::InvalidState), [`RequestSeen`](Self::RequestSeen),
    ///   [`PoeRequired`](Self::PoeRequired) (attach a PoE first), [`NotDue`](Self::NotDue),
    ///   [`DeadlinePassed`](Self::DeadlinePassed), [`AlreadyDisputed`](Self::AlreadyDisputed),
    ///   [`NotDisputable`](Self::NotDisputable) and
    ///   [`DisputeWindowClosed`](Self::DisputeWindowClosed);
    /// - [`Invalid`](ErrorKind::Invalid), the command itself breaks a rule:
    ///   [`Form`](Self::Form), [`AcknowledgementRequired`](Self::AcknowledgementRequired),
    ///   [`SupersedeSelf`](Self::SupersedeSelf) and [`DateOutOfRange`](Self::DateOutOfRange);
    /// - [`Internal`](ErrorKind::Internal), the caller passed what it must not:
    ///   [`CatalogMismatch`](Self::CatalogMismatch) (another year's catalog) and
    ///   [`TimeWentBack`](Self::TimeWentBack) (a clock that went back).
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Forbidden { .. } | Self::ForbiddenLocation { .. } => ErrorKind::Forbidden,
            Self::RequestSeen { .. }
            | Self::InvalidState { .. }
            | Self::PoeRequired
            | Self::NotDue { .. }
            | Self::DeadlinePassed { .. }
            | Self::AlreadyDisputed
            | Self::NotDisputable { .. }
            | Self::DisputeWindowClosed { .. } => ErrorKind::Conflict,
            Self::Form(_)
            | Self::AcknowledgementRequired
            | Self::SupersedeSelf
            | Self::DateOutOfRange => ErrorKind::Invalid,
            Self::CatalogMismatch { .. } | Self::TimeWentBack { .. } => ErrorKind::Internal,
        }
    }

    /// Whether trying the same command again may succeed: never. A refused command is
    /// refused again until the claim or the command changes.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }
}
