//! The states of an association claim and the table of allowed transitions.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::actor::ActorKind;

/// The state of a CPOR association claim; the [guide](crate::guide::association#lifecycle)
/// draws the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssociationState {
    /// Being written by the partner; editable.
    Draft,
    /// Submitted with PoE and acknowledgements; the customer has been notified.
    Submitted,
    /// A reviewer is looking at it.
    UnderReview,
    /// The reviewer asked for more information; the partner may edit the partner location,
    /// products, contacts, PoE and comments, and resubmit.
    PartnerActionRequired,
    /// Approved: the partner is associated (official once the opt-out window has passed).
    Approved,
    /// Rejected; disputable once, within the dispute window, unless the customer declined.
    Rejected,
    /// Disputed by the partner; a reviewer decides.
    Disputed,
    /// Rejected for good: after a lost dispute, or disassociated by the partner. Terminal.
    RejectedFinal,
    /// Deleted as a draft. Terminal.
    Withdrawn,
}

impl AssociationState {
    /// Every state, in lifecycle order.
    pub const ALL: [Self; 9] = [
        Self::Draft,
        Self::Submitted,
        Self::UnderReview,
        Self::PartnerActionRequired,
        Self::Approved,
        Self::Rejected,
        Self::Disputed,
        Self::RejectedFinal,
        Self::Withdrawn,
    ];

    /// Whether no command can ever change the claim again.
    #[must_use]
    pub const fn is_terminal(self) -> bool {
        matches!(self, Self::RejectedFinal | Self::Withdrawn)
    }

    /// The snake-case name, as in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::UnderReview => "under_review",
            Self::PartnerActionRequired => "partner_action_required",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Disputed => "disputed",
            Self::RejectedFinal => "rejected_final",
            Self::Withdrawn => "withdrawn",
        }
    }
}

impl fmt::Display for AssociationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The kind of an [`AssociationCommand`](super::AssociationCommand), without its data: what
/// the transition table and the history name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CommandKind {
    /// The draft was created (history only; creation is not a transition of an existing claim).
    Create,
    /// Partner: replace the draft's content.
    EditDraft,
    /// Partner: add a PoE document reference.
    AttachPoe,
    /// Partner: submit, with acknowledgements.
    Submit,
    /// Partner: delete the draft.
    Withdraw,
    /// Reviewer: start the review.
    StartReview,
    /// Reviewer: ask the partner for information.
    RequestInfo,
    /// Reviewer: approve.
    Approve,
    /// Reviewer: reject.
    Reject,
    /// Partner: answer an info request and resubmit.
    Resubmit,
    /// Timer: reject an unanswered info request.
    Expire,
    /// Customer: decline or opt out.
    Decline,
    /// Partner: end an approved association.
    Disassociate,
    /// Reviewer: end this association because arbitration approved another partner's claim.
    Supersede,
    /// Partner: dispute a rejection.
    Dispute,
    /// Reviewer: uphold a dispute and approve.
    ApproveDispute,
    /// Reviewer: deny a dispute.
    RejectDispute,
}

impl CommandKind {
    /// The snake-case name, as in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::EditDraft => "edit_draft",
            Self::AttachPoe => "attach_poe",
            Self::Submit => "submit",
            Self::Withdraw => "withdraw",
            Self::StartReview => "start_review",
            Self::RequestInfo => "request_info",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Resubmit => "resubmit",
            Self::Expire => "expire",
            Self::Decline => "decline",
            Self::Disassociate => "disassociate",
            Self::Supersede => "supersede",
            Self::Dispute => "dispute",
            Self::ApproveDispute => "approve_dispute",
            Self::RejectDispute => "reject_dispute",
        }
    }

    /// Every kind that is a command on an existing claim (all but [`Create`](Self::Create)).
    pub const COMMANDS: [Self; 16] = [
        Self::EditDraft,
        Self::AttachPoe,
        Self::Submit,
        Self::Withdraw,
        Self::StartReview,
        Self::RequestInfo,
        Self::Approve,
        Self::Reject,
        Self::Resubmit,
        Self::Expire,
        Self::Decline,
        Self::Disassociate,
        Self::Supersede,
        Self::Dispute,
        Self::ApproveDispute,
        Self::RejectDispute,
    ];
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Who may issue a command (see [who may do what](crate::guide::rules#who-may-do-what)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Issuer {
    /// A partner user with the Incentives admin role, of the claim's own partner location.
    IncentivesAdmin,
    /// A Microsoft reviewer.
    Reviewer,
    /// The customer.
    Customer,
    /// The timer.
    System,
}

impl Issuer {
    /// Whether an actor of kind `kind` is this issuer.
    #[must_use]
    pub const fn admits(self, kind: ActorKind) -> bool {
        matches!(
            (self, kind),
            (Self::IncentivesAdmin, ActorKind::IncentivesAdmin)
                | (Self::Reviewer, ActorKind::Reviewer)
                | (Self::Customer, ActorKind::Customer)
                | (Self::System, ActorKind::System)
        )
    }
}

/// One allowed transition: in state `from`, command `command` by `issuer` leads to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// The state before.
    pub from: AssociationState,
    /// The command.
    pub command: CommandKind,
    /// Who may issue it.
    pub issuer: Issuer,
    /// The state after.
    pub to: AssociationState,
}

const fn t(
    from: AssociationState,
    command: CommandKind,
    issuer: Issuer,
    to: AssociationState,
) -> Transition {
    Transition {
        from,
        command,
        issuer,
        to,
    }
}

use AssociationState as S;
use CommandKind as C;
use Issuer as I;

/// Every allowed transition. Any (state, command) pair not listed is refused with
/// `association.invalid_state`, and any issuer not listed with `association.forbidden`.
///
/// | From | Command | Issuer | To |
/// |---|---|---|---|
/// | draft | edit_draft | incentives_admin | draft |
/// | draft | attach_poe | incentives_admin | draft |
/// | draft | submit | incentives_admin | submitted |
/// | draft | withdraw | incentives_admin | withdrawn |
/// | submitted | start_review | reviewer | under_review |
/// | submitted | decline | customer | rejected |
/// | under_review | request_info | reviewer | partner_action_required |
/// | under_review | approve | reviewer | approved |
/// | under_review | reject | reviewer | rejected |
/// | under_review | decline | customer | rejected |
/// | partner_action_required | attach_poe | incentives_admin | partner_action_required |
/// | partner_action_required | resubmit | incentives_admin | submitted |
/// | partner_action_required | expire | system | rejected |
/// | partner_action_required | decline | customer | rejected |
/// | approved | decline | customer | rejected |
/// | approved | disassociate | incentives_admin | rejected_final |
/// | approved | supersede | reviewer | rejected |
/// | rejected | dispute | incentives_admin | disputed |
/// | disputed | approve_dispute | reviewer | approved |
/// | disputed | reject_dispute | reviewer | rejected_final |
/// | disputed | decline | customer | rejected |
pub const TRANSITIONS: [Transition; 21] = [
    t(S::Draft, C::EditDraft, I::IncentivesAdmin, S::Draft),
    t(S::Draft, C::AttachPoe, I::IncentivesAdmin, S::Draft),
    t(S::Draft, C::Submit, I::IncentivesAdmin, S::Submitted),
    t(S::Draft, C::Withdraw, I::IncentivesAdmin, S::Withdrawn),
    t(S::Submitted, C::StartReview, I::Reviewer, S::UnderReview),
    t(S::Submitted, C::Decline, I::Customer, S::Rejected),
    t(
        S::UnderReview,
        C::RequestInfo,
        I::Reviewer,
        S::PartnerActionRequired,
    ),
    t(S::UnderReview, C::Approve, I::Reviewer, S::Approved),
    t(S::UnderReview, C::Reject, I::Reviewer, S::Rejected),
    t(S::UnderReview, C::Decline, I::Customer, S::Rejected),
    t(
        S::PartnerActionRequired,
        C::AttachPoe,
        I::IncentivesAdmin,
        S::PartnerActionRequired,
    ),
    t(
        S::PartnerActionRequired,
        C::Resubmit,
        I::IncentivesAdmin,
        S::Submitted,
    ),
    t(S::PartnerActionRequired, C::Expire, I::System, S::Rejected),
    t(
        S::PartnerActionRequired,
        C::Decline,
        I::Customer,
        S::Rejected,
    ),
    t(S::Approved, C::Decline, I::Customer, S::Rejected),
    t(
        S::Approved,
        C::Disassociate,
        I::IncentivesAdmin,
        S::RejectedFinal,
    ),
    t(S::Approved, C::Supersede, I::Reviewer, S::Rejected),
    t(S::Rejected, C::Dispute, I::IncentivesAdmin, S::Disputed),
    t(S::Disputed, C::ApproveDispute, I::Reviewer, S::Approved),
    t(S::Disputed, C::RejectDispute, I::Reviewer, S::RejectedFinal),
    t(S::Disputed, C::Decline, I::Customer, S::Rejected),
];

/// The issuer of `command`, whatever the state: every command has exactly one.
#[must_use]
pub const fn issuer_of(command: CommandKind) -> Issuer {
    match command {
        C::StartReview
        | C::RequestInfo
        | C::Approve
        | C::Reject
        | C::Supersede
        | C::ApproveDispute
        | C::RejectDispute => I::Reviewer,
        C::Decline => I::Customer,
        C::Expire => I::System,
        C::Create
        | C::EditDraft
        | C::AttachPoe
        | C::Submit
        | C::Withdraw
        | C::Resubmit
        | C::Disassociate
        | C::Dispute => I::IncentivesAdmin,
    }
}

/// The allowed transition for `command` in state `from`, if any.
#[must_use]
pub fn transition(from: AssociationState, command: CommandKind) -> Option<&'static Transition> {
    TRANSITIONS
        .iter()
        .find(|t| t.from == from && t.command == command)
}
