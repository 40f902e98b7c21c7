//! Why a command on a partner-activity claim was refused.

use chrono::{DateTime, Utc};

use super::command::EvidenceKind;
use super::state::{ActivityCommandKind, ActivityState};
use crate::actor::ActorKind;
use crate::catalog::{EngagementId, ProgramYear};
use crate::eligibility::Reason;
use crate::error::ErrorKind;
use crate::id::ClaimId;
use crate::money::MoneyError;

/// A refused command or creation. Nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActivityError {
    /// The history already has an entry of the request's ID.
    #[error("claim {claim} already has an entry of this request id")]
    RequestSeen {
        /// The claim.
        claim: ClaimId,
    },
    /// No such claim for this partner; another partner's claim looks exactly the same.
    #[error("claim {claim} not found")]
    NotFound {
        /// The claim asked for.
        claim: ClaimId,
    },
    /// The actor may not issue the command (see
    /// [who may do what](crate::guide::rules#who-may-do-what)).
    #[error("{} may not {command} a partner activity claim", .actor.name())]
    Forbidden {
        /// The command.
        command: ActivityCommandKind,
        /// Who tried.
        actor: ActorKind,
    },
    /// The command is not allowed in the claim's state.
    #[error("cannot {command} a partner activity claim that is {state}")]
    InvalidState {
        /// The command.
        command: ActivityCommandKind,
        /// The state.
        state: ActivityState,
    },
    /// A deadline has passed: only the timer's `expire` may act on the claim now.
    #[error("the deadline {deadline} has passed; the claim is expiring")]
    DeadlinePassed {
        /// The deadline.
        deadline: DateTime<Utc>,
    },
    /// `expire` before any deadline.
    #[error("nothing is due yet{}", .due.map(|d| format!(": the deadline is {d}")).unwrap_or_default())]
    NotDue {
        /// The next deadline, if any.
        due: Option<DateTime<Utc>>,
    },
    /// Submitting without the required evidence.
    #[error("evidence is missing: {}", .missing.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))]
    EvidenceMissing {
        /// What is missing, in order.
        missing: Vec<EvidenceKind>,
    },
    /// The hours of a variable-pay claim never change.
    #[error(
        "hours cannot change after the claim is created (it has {}, not {requested})",
        .current.map_or_else(|| "no hours".to_owned(), |h| h.to_string())
    )]
    HoursImmutable {
        /// The claim's hours (`None` for fixed pay).
        current: Option<u32>,
        /// The hours asked for.
        requested: u32,
    },
    /// The estimated deal size is set by the first consent email and never changes.
    #[error("estimated deal size cannot change once the consent email is sent")]
    DealSizeImmutable,
    /// The customer contact locks once the customer survey is completed.
    #[error("contacts are locked: the customer survey is completed")]
    ContactsLocked,
    /// The referral link may be read by a Referral admin only.
    #[error("only a referral admin may see the referral of a claim")]
    ReferralHidden,
    /// A claim can link one referral.
    #[error("the claim already has a referral")]
    ReferralAlreadyLinked,
    /// Creating claims needs an eligible customer; every reason is listed.
    #[error("engagement {engagement} is not eligible: {}", .reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    NotEligible {
        /// The engagement.
        engagement: EngagementId,
        /// Every failing reason, in check order.
        reasons: Vec<Reason>,
    },
    /// Variable pay takes exactly one engagement, and the number of hours.
    #[error("a variable-pay engagement is claimed alone, with its number of hours (at least one)")]
    VariablePayShape,
    /// Hours were given for fixed-pay engagements.
    #[error("hours apply to variable-pay engagements only")]
    HoursNotApplicable,
    /// No engagement was chosen, or an engagement twice.
    #[error("choose each engagement once, and at least one")]
    EngagementChoice,
    /// An engagement that is not an MCI engagement of the catalog.
    #[error("engagement {engagement} is not a partner activity engagement of the catalog")]
    UnknownEngagement {
        /// The engagement.
        engagement: EngagementId,
    },
    /// A user of one partner location asked for another location's data.
    #[error("a user of one partner location cannot see another location's customers")]
    OtherPartner,
    /// The payout could not be computed.
    #[error("payout: {0}")]
    Money(#[from] MoneyError),
    /// The catalog is not of the claim's program year.
    #[error("the claim is governed by the {claim} catalog, not {catalog}")]
    CatalogMismatch {
        /// The claim's year.
        claim: ProgramYear,
        /// The catalog's year.
        catalog: ProgramYear,
    },
    /// `now` is before the claim's last history entry.
    #[error("time went back: now is {now}, but the claim last changed at {last}")]
    TimeWentBack {
        /// The last entry's time.
        last: DateTime<Utc>,
        /// The time given.
        now: DateTime<Utc>,
    },
}

impl ActivityError {
    /// The stable machine-readable code, such as `activity.evidence_missing`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "activity.not_found",
            Self::RequestSeen { .. } => "activity.request_seen",
            Self::Forbidden { .. } => "activity.forbidden",
            Self::InvalidState { .. } => "activity.invalid_state",
            Self::DeadlinePassed { .. } => "activity.deadline_passed",
            Self::NotDue { .. } => "activity.not_due",
            Self::EvidenceMissing { .. } => "activity.evidence_missing",
            Self::HoursImmutable { .. } => "activity.hours_immutable",
            Self::DealSizeImmutable => "activity.deal_size_immutable",
            Self::ContactsLocked => "activity.contacts_locked",
            Self::ReferralHidden => "activity.referral_hidden",
            Self::ReferralAlreadyLinked => "activity.referral_already_linked",
            Self::NotEligible { .. } => "activity.not_eligible",
            Self::VariablePayShape => "activity.variable_pay_shape",
            Self::HoursNotApplicable => "activity.hours_not_applicable",
            Self::EngagementChoice => "activity.engagement_choice",
            Self::UnknownEngagement { .. } => "activity.unknown_engagement",
            Self::OtherPartner => "activity.other_partner",
            Self::Money(_) => "activity.money",
            Self::CatalogMismatch { .. } => "activity.catalog_mismatch",
            Self::TimeWentBack { .. } => "activity.time_went_back",
        }
    }

    /// What kind of failure this is. See the [table of codes](crate::error#error-codes).
    ///
    /// - [`NotFound`](ErrorKind::NotFound): [`NotFound`](Self::NotFound);
    /// - [`Forbidden`](ErrorKind::Forbidden): [`Forbidden`](Self::Forbidden),
    ///   [`ReferralHidden`](Self::ReferralHidden) and [`OtherPartner`](Self::OtherPartner);
    /// - [`Conflict`](ErrorKind::Conflict), the claim's state does not allow the command now:
    ///   [`InvalidState`](Self::InvalidState), [`RequestSeen`](Self::RequestSeen),
    ///   [`DeadlinePassed`](Self::DeadlinePassed), [`NotDue`](Self::NotDue),
    ///   [`EvidenceMissing`](Self::EvidenceMissing) (attach the evidence first),
    ///   [`DealSizeImmutable`](Self::DealSizeImmutable) (after the consent email),
    ///   [`ContactsLocked`](Self::ContactsLocked) and
    ///   [`ReferralAlreadyLinked`](Self::ReferralAlreadyLinked);
    /// - [`Invalid`](ErrorKind::Invalid), the command or creation itself breaks a rule:
    ///   [`HoursImmutable`](Self::HoursImmutable), [`NotEligible`](Self::NotEligible) (each
    ///   [reason](crate::eligibility::Reason::kind) has its own kind),
    ///   [`VariablePayShape`](Self::VariablePayShape),
    ///   [`HoursNotApplicable`](Self::HoursNotApplicable),
    ///   [`EngagementChoice`](Self::EngagementChoice),
    ///   [`UnknownEngagement`](Self::UnknownEngagement) and [`Money`](Self::Money);
    /// - [`Internal`](ErrorKind::Internal), the caller passed what it must not:
    ///   [`CatalogMismatch`](Self::CatalogMismatch) (another year's catalog) and
    ///   [`TimeWentBack`](Self::TimeWentBack) (a clock that went back).
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Forbidden { .. } | Self::ReferralHidden | Self::OtherPartner => {
                ErrorKind::Forbidden
            }
            Self::RequestSeen { .. }
            | Self::InvalidState { .. }
            | Self::DeadlinePassed { .. }
            | Self::NotDue { .. }
            | Self::EvidenceMissing { .. }
            | Self::DealSizeImmutable
            | Self::ContactsLocked
            | Self::ReferralAlreadyLinked => ErrorKind::Conflict,
            Self::HoursImmutable { .. }
            | Self::NotEligible { .. }
            | Self::VariablePayShape
            | Self::HoursNotApplicable
            | Self::EngagementChoice
            | Self::UnknownEngagement { .. }
            | Self::Money(_) => ErrorKind::Invalid,
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
