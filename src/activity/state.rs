//! The states of a partner-activity claim and the table of allowed transitions.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::actor::ActorKind;

/// The state of an MCI partner-activity engagement claim; the
/// [guide](crate::guide::activity#lifecycle) draws the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityState {
    /// Added or claimed; the consent clock runs from creation.
    CustomerClaimed,
    /// The consent email was sent; waiting for the customer.
    AwaitingConsent,
    /// The customer consented; evidence is gathered and the claim submitted.
    ConsentReceived,
    /// The customer declined. Terminal; the customer leaves the engagement's Customers page.
    ConsentDeclined,
    /// The consent window passed. Terminal; the customer leaves the Customers page.
    ConsentExpired,
    /// Canceled by the partner before the first submission. Terminal.
    Canceled,
    /// The first-submission window passed. Terminal.
    NotSubmittedExpired,
    /// Submitted with the required evidence.
    Submitted,
    /// A reviewer is looking at it.
    UnderReview,
    /// The reviewer asked for information.
    PartnerActionRequired,
    /// The review window passed while the partner's action was required. Terminal.
    PostSubmissionExpired,
    /// Approved; waiting for payment.
    Approved,
    /// Paid. Terminal.
    Completed,
    /// Rejected; disputable within the dispute window.
    Rejected,
    /// Disputed; the partner resubmits within the window.
    Disputed,
    /// The dispute window passed without a resubmission. Terminal.
    DisputedExpired,
    /// Rejected again after a dispute. Terminal.
    RejectedFinal,
}

impl ActivityState {
    /// Every state, in lifecycle order.
    pub const ALL: [Self; 17] = [
        Self::CustomerClaimed,
        Self::AwaitingConsent,
        Self::ConsentReceived,
        Self::ConsentDeclined,
        Self::ConsentExpired,
        Self::Canceled,
        Self::NotSubmittedExpired,
        Self::Submitted,
        Self::UnderReview,
        Self::PartnerActionRequired,
        Self::PostSubmissionExpired,
        Self::Approved,
        Self::Completed,
        Self::Rejected,
        Self::Disputed,
        Self::DisputedExpired,
        Self::RejectedFinal,
    ];

    /// Whether no command can ever change the claim again.
    #[must_use]
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::ConsentDeclined
                | Self::ConsentExpired
                | Self::Canceled
                | Self::NotSubmittedExpired
                | Self::PostSubmissionExpired
                | Self::Completed
                | Self::DisputedExpired
                | Self::RejectedFinal
        )
    }

    /// Whether the claim expired by a timer. An expired claim never comes back.
    #[must_use]
    pub const fn is_expired(self) -> bool {
        matches!(
            self,
            Self::ConsentExpired
                | Self::NotSubmittedExpired
                | Self::PostSubmissionExpired
                | Self::DisputedExpired
        )
    }

    /// Whether the claim counts as *active* towards the per-customer cap: it is neither
    /// terminal nor completed. A completed claim has used the engagement but no longer holds a
    /// place; the library counts only claims still in progress (an interpretation).
    #[must_use]
    pub const fn is_active(self) -> bool {
        !self.is_terminal()
    }

    /// Whether the claim was never submitted: the states in which it may still be canceled.
    #[must_use]
    pub const fn is_before_first_submit(self) -> bool {
        matches!(
            self,
            Self::CustomerClaimed | Self::AwaitingConsent | Self::ConsentReceived
        )
    }

    /// The snake-case name, as in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CustomerClaimed => "customer_claimed",
            Self::AwaitingConsent => "awaiting_consent",
            Self::ConsentReceived => "consent_received",
            Self::ConsentDeclined => "consent_declined",
            Self::ConsentExpired => "consent_expired",
            Self::Canceled => "canceled",
            Self::NotSubmittedExpired => "not_submitted_expired",
            Self::Submitted => "submitted",
            Self::UnderReview => "under_review",
            Self::PartnerActionRequired => "partner_action_required",
            Self::PostSubmissionExpired => "post_submission_expired",
            Self::Approved => "approved",
            Self::Completed => "completed",
            Self::Rejected => "rejected",
            Self::Disputed => "disputed",
            Self::DisputedExpired => "disputed_expired",
            Self::RejectedFinal => "rejected_final",
        }
    }
}

impl fmt::Display for ActivityState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The kind of an [`ActivityCommand`](super::ActivityCommand), without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ActivityCommandKind {
    /// The claim was created by "add customer" or "claim customer" (history only).
    Create,
    /// Partner: send the consent email, fixing the estimated deal size.
    SendConsent,
    /// Partner: resend the consent email, as a reminder.
    ResendConsent,
    /// Customer: consent.
    AcceptConsent,
    /// Customer: decline.
    DeclineConsent,
    /// Partner: change the claim name or the contacts.
    Edit,
    /// Partner: add a piece of evidence.
    AddEvidence,
    /// Partner: submit for review.
    Submit,
    /// Partner: cancel before the first submission.
    Cancel,
    /// Reviewer: start the review.
    StartReview,
    /// Reviewer: ask for information.
    RequestInfo,
    /// Partner: answer an info request, or a dispute, and submit again.
    Resubmit,
    /// Reviewer: approve.
    Approve,
    /// Reviewer: reject.
    Reject,
    /// Reviewer: record the payment.
    MarkPaid,
    /// Partner: dispute a rejection.
    Dispute,
    /// Timer: apply a passed deadline.
    Expire,
    /// Timer or application: record the referral created for the claim.
    LinkReferral,
}

impl ActivityCommandKind {
    /// Every kind that is a command on an existing claim (all but [`Create`](Self::Create)).
    pub const COMMANDS: [Self; 17] = [
        Self::SendConsent,
        Self::ResendConsent,
        Self::AcceptConsent,
        Self::DeclineConsent,
        Self::Edit,
        Self::AddEvidence,
        Self::Submit,
        Self::Cancel,
        Self::StartReview,
        Self::RequestInfo,
        Self::Resubmit,
        Self::Approve,
        Self::Reject,
        Self::MarkPaid,
        Self::Dispute,
        Self::Expire,
        Self::LinkReferral,
    ];

    /// The snake-case name, as in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::SendConsent => "send_consent",
            Self::ResendConsent => "resend_consent",
            Self::AcceptConsent => "accept_consent",
            Self::DeclineConsent => "decline_consent",
            Self::Edit => "edit",
            Self::AddEvidence => "add_evidence",
            Self::Submit => "submit",
            Self::Cancel => "cancel",
            Self::StartReview => "start_review",
            Self::RequestInfo => "request_info",
            Self::Resubmit => "resubmit",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::MarkPaid => "mark_paid",
            Self::Dispute => "dispute",
            Self::Expire => "expire",
            Self::LinkReferral => "link_referral",
        }
    }
}

impl fmt::Display for ActivityCommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Who may issue an activity command (see
/// [who may do what](crate::guide::rules#who-may-do-what)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityIssuer {
    /// A partner user with the Incentives admin role.
    IncentivesAdmin,
    /// A partner user with the Incentives admin or the Incentives user role: the consent and
    /// evidence steps.
    PartnerUser,
    /// A Microsoft reviewer.
    Reviewer,
    /// The customer.
    Customer,
    /// The timer, or the application on the library's behalf.
    System,
}

impl ActivityIssuer {
    /// Whether an actor of kind `kind` is this issuer.
    #[must_use]
    pub const fn admits(self, kind: ActorKind) -> bool {
        matches!(
            (self, kind),
            (Self::IncentivesAdmin, ActorKind::IncentivesAdmin)
                | (
                    Self::PartnerUser,
                    ActorKind::IncentivesAdmin | ActorKind::IncentivesUser
                )
                | (Self::Reviewer, ActorKind::Reviewer)
                | (Self::Customer, ActorKind::Customer)
                | (Self::System, ActorKind::System)
        )
    }
}

/// A condition on a transition, for the one command whose target depends on the past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Always.
    Always,
    /// The claim has not been disputed.
    NotDisputed,
    /// The claim has been disputed.
    Disputed,
}

/// One allowed transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActivityTransition {
    /// The state before.
    pub from: ActivityState,
    /// The command.
    pub command: ActivityCommandKind,
    /// Who may issue it.
    pub issuer: ActivityIssuer,
    /// When it applies.
    pub condition: Condition,
    /// The state after.
    pub to: ActivityState,
}

const fn t(
    from: ActivityState,
    command: ActivityCommandKind,
    issuer: ActivityIssuer,
    to: ActivityState,
) -> ActivityTransition {
    ActivityTransition {
        from,
        command,
        issuer,
        condition: Condition::Always,
        to,
    }
}

const fn when(
    from: ActivityState,
    command: ActivityCommandKind,
    issuer: ActivityIssuer,
    condition: Condition,
    to: ActivityState,
) -> ActivityTransition {
    ActivityTransition {
        from,
        command,
        issuer,
        condition,
        to,
    }
}

use ActivityCommandKind as C;
use ActivityIssuer as I;
use ActivityState as S;

/// Every allowed transition. Any other (state, command) pair is refused with
/// `activity.invalid_state`, and any other issuer with `activity.forbidden`.
///
/// | From | Command | Issuer | Condition | To |
/// |---|---|---|---|---|
/// | customer_claimed | send_consent | partner_user | always | awaiting_consent |
/// | customer_claimed | edit | incentives_admin | always | customer_claimed |
/// | customer_claimed | cancel | incentives_admin | always | canceled |
/// | customer_claimed | expire | system | always | consent_expired |
/// | customer_claimed | link_referral | system | always | customer_claimed |
/// | awaiting_consent | resend_consent | partner_user | always | awaiting_consent |
/// | awaiting_consent | accept_consent | customer | always | consent_received |
/// | awaiting_consent | decline_consent | customer | always | consent_declined |
/// | awaiting_consent | edit | incentives_admin | always | awaiting_consent |
/// | awaiting_consent | cancel | incentives_admin | always | canceled |
/// | awaiting_consent | expire | system | always | consent_expired |
/// | awaiting_consent | link_referral | system | always | awaiting_consent |
/// | consent_received | add_evidence | partner_user | always | consent_received |
/// | consent_received | edit | incentives_admin | always | consent_received |
/// | consent_received | submit | incentives_admin | always | submitted |
/// | consent_received | cancel | incentives_admin | always | canceled |
/// | consent_received | expire | system | always | not_submitted_expired |
/// | consent_received | link_referral | system | always | consent_received |
/// | submitted | start_review | reviewer | always | under_review |
/// | under_review | request_info | reviewer | always | partner_action_required |
/// | under_review | approve | reviewer | always | approved |
/// | under_review | reject | reviewer | not_disputed | rejected |
/// | under_review | reject | reviewer | disputed | rejected_final |
/// | partner_action_required | add_evidence | partner_user | always | partner_action_required |
/// | partner_action_required | edit | incentives_admin | always | partner_action_required |
/// | partner_action_required | resubmit | incentives_admin | always | submitted |
/// | partner_action_required | expire | system | always | post_submission_expired |
/// | approved | mark_paid | reviewer | always | completed |
/// | rejected | dispute | incentives_admin | always | disputed |
/// | rejected | expire | system | always | disputed_expired |
/// | disputed | add_evidence | partner_user | always | disputed |
/// | disputed | edit | incentives_admin | always | disputed |
/// | disputed | resubmit | incentives_admin | always | submitted |
/// | disputed | expire | system | always | disputed_expired |
pub const ACTIVITY_TRANSITIONS: [ActivityTransition; 34] = [
    t(
        S::CustomerClaimed,
        C::SendConsent,
        I::PartnerUser,
        S::AwaitingConsent,
    ),
    t(
        S::CustomerClaimed,
        C::Edit,
        I::IncentivesAdmin,
        S::CustomerClaimed,
    ),
    t(
        S::CustomerClaimed,
        C::Cancel,
        I::IncentivesAdmin,
        S::Canceled,
    ),
    t(S::CustomerClaimed, C::Expire, I::System, S::ConsentExpired),
    t(
        S::CustomerClaimed,
        C::LinkReferral,
        I::System,
        S::CustomerClaimed,
    ),
    t(
        S::AwaitingConsent,
        C::ResendConsent,
        I::PartnerUser,
        S::AwaitingConsent,
    ),
    t(
        S::AwaitingConsent,
        C::AcceptConsent,
        I::Customer,
        S::ConsentReceived,
    ),
    t(
        S::AwaitingConsent,
        C::DeclineConsent,
        I::Customer,
        S::ConsentDeclined,
    ),
    t(
        S::AwaitingConsent,
        C::Edit,
        I::IncentivesAdmin,
        S::AwaitingConsent,
    ),
    t(
        S::AwaitingConsent,
        C::Cancel,
        I::IncentivesAdmin,
        S::Canceled,
    ),
    t(S::AwaitingConsent, C::Expire, I::System, S::ConsentExpired),
    t(
        S::AwaitingConsent,
        C::LinkReferral,
        I::System,
        S::AwaitingConsent,
    ),
    t(
        S::ConsentReceived,
        C::AddEvidence,
        I::PartnerUser,
        S::ConsentReceived,
    ),
    t(
        S::ConsentReceived,
        C::Edit,
        I::IncentivesAdmin,
        S::ConsentReceived,
    ),
    t(
        S::ConsentReceived,
        C::Submit,
        I::IncentivesAdmin,
        S::Submitted,
    ),
    t(
        S::ConsentReceived,
        C::Cancel,
        I::IncentivesAdmin,
        S::Canceled,
    ),
    t(
        S::ConsentReceived,
        C::Expire,
        I::System,
        S::NotSubmittedExpired,
    ),
    t(
        S::ConsentReceived,
        C::LinkReferral,
        I::System,
        S::ConsentReceived,
    ),
    t(S::Submitted, C::StartReview, I::Reviewer, S::UnderReview),
    t(
        S::UnderReview,
        C::RequestInfo,
        I::Reviewer,
        S::PartnerActionRequired,
    ),
    t(S::UnderReview, C::Approve, I::Reviewer, S::Approved),
    when(
        S::UnderReview,
        C::Reject,
        I::Reviewer,
        Condition::NotDisputed,
        S::Rejected,
    ),
    when(
        S::UnderReview,
        C::Reject,
        I::Reviewer,
        Condition::Disputed,
        S::RejectedFinal,
    ),
    t(
        S::PartnerActionRequired,
        C::AddEvidence,
        I::PartnerUser,
        S::PartnerActionRequired,
    ),
    t(
        S::PartnerActionRequired,
        C::Edit,
        I::IncentivesAdmin,
        S::PartnerActionRequired,
    ),
    t(
        S::PartnerActionRequired,
        C::Resubmit,
        I::IncentivesAdmin,
        S::Submitted,
    ),
    t(
        S::PartnerActionRequired,
        C::Expire,
        I::System,
        S::PostSubmissionExpired,
    ),
    t(S::Approved, C::MarkPaid, I::Reviewer, S::Completed),
    t(S::Rejected, C::Dispute, I::IncentivesAdmin, S::Disputed),
    t(S::Rejected, C::Expire, I::System, S::DisputedExpired),
    t(S::Disputed, C::AddEvidence, I::PartnerUser, S::Disputed),
    t(S::Disputed, C::Edit, I::IncentivesAdmin, S::Disputed),
    t(S::Disputed, C::Resubmit, I::IncentivesAdmin, S::Submitted),
    t(S::Disputed, C::Expire, I::System, S::DisputedExpired),
];

/// The issuer of `command`, whatever the state: every command has exactly one.
#[must_use]
pub const fn activity_issuer_of(command: ActivityCommandKind) -> ActivityIssuer {
    match command {
        C::SendConsent | C::ResendConsent | C::AddEvidence => I::PartnerUser,
        C::AcceptConsent | C::DeclineConsent => I::Customer,
        C::StartReview | C::RequestInfo | C::Approve | C::Reject | C::MarkPaid => I::Reviewer,
        C::Expire | C::LinkReferral => I::System,
        C::Create | C::Edit | C::Submit | C::Cancel | C::Resubmit | C::Dispute => {
            I::IncentivesAdmin
        }
    }
}

/// The allowed transition for `command` in state `from` for a claim that was (or was not)
/// disputed, if any.
#[must_use]
pub fn activity_transition(
    from: ActivityState,
    command: ActivityCommandKind,
    disputed: bool,
) -> Option<&'static ActivityTransition> {
    ACTIVITY_TRANSITIONS.iter().find(|t| {
        t.from == from
            && t.command == command
            && match t.condition {
                Condition::Always => true,
                Condition::NotDisputed => !disputed,
                Condition::Disputed => disputed,
            }
    })
}
