//! The commands on an association claim, their reasons, and the events they produce.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::form::{AssociationForm, FieldSet, ResubmitForm};
use super::key::AssociationKey;
use super::state::CommandKind;
use crate::id::{ClaimId, EmailAddress, TenantId};
use crate::text::Text;

/// Whether the partner gave the acknowledgements that submitting requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acknowledgement {
    /// The partner confirmed the acknowledgements of the claim form.
    Given,
    /// The partner did not; submitting is refused.
    Withheld,
}

/// Why a reviewer asked for information (docs 2023).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InfoRequestReason {
    /// No PoE at all.
    MissingAllPoe,
    /// No customer acknowledgement in the PoE.
    MissingCustomerAcknowledgement,
    /// Missing or old dates in the PoE.
    MissingOrOldDates,
    /// The partner's solution or service is not described.
    MissingPartnerSolution,
    /// Products are missing.
    MissingProducts,
}

/// Why a claim was rejected (docs 2023).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RejectionReason {
    /// The customer declined or opted out. Not disputable.
    CustomerDeclined,
    /// The PoE does not show the work.
    InsufficientPoe,
    /// The partner asked for the rejection.
    PartnerRequest,
    /// The partner did not answer an info request in time.
    NoResponse,
    /// Arbitration approved another partner's claim on the same key.
    SupersededByArbitration,
}

impl RejectionReason {
    /// The snake-case name, as in JSON, such as `customer_declined`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CustomerDeclined => "customer_declined",
            Self::InsufficientPoe => "insufficient_poe",
            Self::PartnerRequest => "partner_request",
            Self::NoResponse => "no_response",
            Self::SupersededByArbitration => "superseded_by_arbitration",
        }
    }

    /// Whether the partner may dispute a rejection for this reason.
    #[must_use]
    pub const fn is_disputable(self) -> bool {
        !matches!(self, Self::CustomerDeclined)
    }
}

/// The reasons a reviewer may give when rejecting a claim under review. The other rejection
/// reasons come from their own commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReviewRejection {
    /// The PoE does not show the work.
    InsufficientPoe,
    /// The partner asked for the rejection.
    PartnerRequest,
}

impl From<ReviewRejection> for RejectionReason {
    fn from(reason: ReviewRejection) -> Self {
        match reason {
            ReviewRejection::InsufficientPoe => Self::InsufficientPoe,
            ReviewRejection::PartnerRequest => Self::PartnerRequest,
        }
    }
}

/// Whether an approval is an arbitration outcome that takes a key from its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arbitration {
    /// A plain approval: it fails in the store if another partner holds a key.
    None,
    /// Arbitration compared the PoE and chose this claim: the holder's association ends in the
    /// same atomic write.
    Supersedes(ClaimId),
}

/// Why an association ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EndReason {
    /// The customer declined or opted out.
    CustomerDeclined,
    /// The partner disassociated.
    Disassociated,
    /// Arbitration gave the key to another partner's claim.
    Superseded,
}

/// A command on an existing association claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AssociationCommand {
    /// Partner: replace the draft's content with a new form.
    EditDraft {
        /// The whole form, checked again.
        form: AssociationForm,
    },
    /// Partner: attach a PoE document reference (in draft, or when info was requested).
    AttachPoe {
        /// The document reference, such as a file name or a storage key.
        reference: Text,
    },
    /// Partner: submit the draft. Needs at least one PoE and the acknowledgements.
    Submit {
        /// The acknowledgements.
        acknowledgement: Acknowledgement,
    },
    /// Partner: delete the draft.
    Withdraw,
    /// Reviewer: start the review.
    StartReview,
    /// Reviewer: ask the partner for information.
    RequestInfo {
        /// Why.
        reason: InfoRequestReason,
    },
    /// Reviewer: approve, possibly as an arbitration outcome.
    Approve {
        /// Whether it supersedes another holder.
        arbitration: Arbitration,
    },
    /// Reviewer: reject.
    Reject {
        /// Why.
        reason: ReviewRejection,
    },
    /// Partner: answer an info request, changing only the partner location, products, contacts,
    /// PoE and comments, and resubmit.
    Resubmit {
        /// The changes.
        changes: ResubmitForm,
    },
    /// Timer: reject an info request left unanswered past its deadline.
    Expire,
    /// Customer: decline or opt out.
    Decline,
    /// Partner: end an approved association.
    Disassociate {
        /// Why; required.
        reason: Text,
    },
    /// Reviewer: end this association, because arbitration approved `by`.
    Supersede {
        /// The claim that won.
        by: ClaimId,
    },
    /// Partner: dispute a rejection, once, within the dispute window.
    Dispute {
        /// Why.
        reason: Text,
    },
    /// Reviewer: uphold the dispute and approve.
    ApproveDispute,
    /// Reviewer: deny the dispute; the rejection is final.
    RejectDispute,
}

impl AssociationCommand {
    /// The command's kind, as the transition table names it.
    #[must_use]
    pub const fn kind(&self) -> CommandKind {
        match self {
            Self::EditDraft { .. } => CommandKind::EditDraft,
            Self::AttachPoe { .. } => CommandKind::AttachPoe,
            Self::Submit { .. } => CommandKind::Submit,
            Self::Withdraw => CommandKind::Withdraw,
            Self::StartReview => CommandKind::StartReview,
            Self::RequestInfo { .. } => CommandKind::RequestInfo,
            Self::Approve { .. } => CommandKind::Approve,
            Self::Reject { .. } => CommandKind::Reject,
            Self::Resubmit { .. } => CommandKind::Resubmit,
            Self::Expire => CommandKind::Expire,
            Self::Decline => CommandKind::Decline,
            Self::Disassociate { .. } => CommandKind::Disassociate,
            Self::Supersede { .. } => CommandKind::Supersede,
            Self::Dispute { .. } => CommandKind::Dispute,
            Self::ApproveDispute => CommandKind::ApproveDispute,
            Self::RejectDispute => CommandKind::RejectDispute,
        }
    }
}

/// An effect for the application to perform, or a fact for the store to apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AssociationEvent {
    /// Tell the customer about the claim; they may opt out until `opt_out_until`.
    CustomerNotified {
        /// The customer.
        tenant: TenantId,
        /// Whom to email.
        contact: EmailAddress,
        /// The end of the opt-out window.
        opt_out_until: DateTime<Utc>,
    },
    /// Tell the partner that information is needed by `respond_by`.
    InfoRequested {
        /// Why.
        reason: InfoRequestReason,
        /// The deadline, after which the claim is rejected.
        respond_by: DateTime<Utc>,
    },
    /// The association starts: the store must grant these keys to this claim.
    AssociationStarted {
        /// The keys.
        keys: Vec<AssociationKey>,
    },
    /// The store must end `holder`'s association in the same atomic write.
    SupersedeHolder {
        /// The claim that held the key.
        holder: ClaimId,
    },
    /// The association ended: the store must release these keys.
    AssociationEnded {
        /// The keys.
        keys: Vec<AssociationKey>,
        /// Why.
        reason: EndReason,
    },
    /// Tell the partner the claim was rejected; disputable until `dispute_until`, if at all.
    Rejected {
        /// Why.
        reason: RejectionReason,
        /// The end of the dispute window, if the rejection is disputable.
        dispute_until: Option<DateTime<Utc>>,
    },
    /// Any other accepted command, for audit and notification.
    Transitioned {
        /// The command.
        command: CommandKind,
        /// The fields it changed.
        changed: FieldSet,
    },
}
