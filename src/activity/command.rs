//! The commands on a partner-activity claim, its evidence, and the events it produces.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::state::{ActivityCommandKind, ActivityState};
use crate::association::{CompanyContact, CustomerContact};
use crate::catalog::EngagementId;
use crate::id::{CustomerId, EmailAddress};
use crate::money::Usd;
use crate::text::Text;

/// A kind of evidence of a delivered engagement: the POE document, the invoice, the customer
/// survey or the partner survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// The proof-of-execution document: always required.
    Poe,
    /// The invoice: required if the engagement says so.
    Invoice,
    /// The customer survey, completed: required if the engagement says so. Once it is
    /// completed, the customer contact locks.
    CustomerSurvey,
    /// The partner survey: always required.
    PartnerSurvey,
}

impl EvidenceKind {
    /// Every kind, in the order Partner Center lists them.
    pub const ALL: [Self; 4] = [
        Self::Poe,
        Self::Invoice,
        Self::CustomerSurvey,
        Self::PartnerSurvey,
    ];

    /// The snake-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Poe => "poe",
            Self::Invoice => "invoice",
            Self::CustomerSurvey => "customer_survey",
            Self::PartnerSurvey => "partner_survey",
        }
    }
}

impl fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Evidence {
    /// What it is.
    pub kind: EvidenceKind,
    /// A reference to the document or survey, such as a file name or a storage key.
    pub reference: Text,
    /// When it was added.
    pub at: DateTime<Utc>,
}

/// Changes to a claim after creation. `None` keeps a field as it is.
///
/// Only the name, the own company contact and, until the customer survey is completed, the
/// customer contact may change. The hours of a variable-pay claim never change, and the
/// estimated deal size is set only by the first consent email: a different value for either
/// is refused, so that a form that sends every field back can be used as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActivityEdit {
    /// A new claim name.
    pub name: Option<Text>,
    /// The hours: refused unless equal to the claim's.
    pub hours: Option<u32>,
    /// The estimated deal size: refused unless equal to the claim's.
    pub estimated_deal_size: Option<Usd>,
    /// A new customer contact; refused once the customer survey is completed.
    pub customer_contact: Option<CustomerContact>,
    /// A new own company contact.
    pub company_contact: Option<CompanyContact>,
}

/// A command on an existing partner-activity claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ActivityCommand {
    /// Send the consent email. The estimated deal size (USD, first 12 months of revenue) is
    /// required here and never changes afterwards; it affects neither eligibility nor payout.
    SendConsent {
        /// The estimated deal size.
        estimated_deal_size: Usd,
    },
    /// Send the consent email again, as a reminder; nothing else changes.
    ResendConsent,
    /// The customer consents.
    AcceptConsent,
    /// The customer declines.
    DeclineConsent,
    /// Change the name or contacts.
    Edit {
        /// The changes.
        changes: ActivityEdit,
    },
    /// Add evidence; in any order, before submitting.
    AddEvidence {
        /// What it is.
        kind: EvidenceKind,
        /// Where it is.
        reference: Text,
    },
    /// Submit for review; refused with the list of missing evidence.
    Submit,
    /// Cancel, before the first submission only.
    Cancel,
    /// Reviewer: start the review.
    StartReview,
    /// Reviewer: ask for information.
    RequestInfo {
        /// What is needed.
        reason: Text,
    },
    /// Answer an info request or a dispute and submit again.
    Resubmit,
    /// Reviewer: approve.
    Approve,
    /// Reviewer: reject. After a dispute, the rejection is final.
    Reject {
        /// Why.
        reason: Text,
    },
    /// Reviewer: the payment was made.
    MarkPaid,
    /// Dispute a rejection, within the dispute window.
    Dispute {
        /// Why.
        reason: Text,
    },
    /// Timer: apply the deadline that has passed.
    Expire,
    /// Record the partner-led referral the application created for the claim.
    LinkReferral {
        /// The referral's link or ID.
        referral: Text,
    },
}

impl ActivityCommand {
    /// The command's kind, as the transition table names it.
    #[must_use]
    pub const fn kind(&self) -> ActivityCommandKind {
        match self {
            Self::SendConsent { .. } => ActivityCommandKind::SendConsent,
            Self::ResendConsent => ActivityCommandKind::ResendConsent,
            Self::AcceptConsent => ActivityCommandKind::AcceptConsent,
            Self::DeclineConsent => ActivityCommandKind::DeclineConsent,
            Self::Edit { .. } => ActivityCommandKind::Edit,
            Self::AddEvidence { .. } => ActivityCommandKind::AddEvidence,
            Self::Submit => ActivityCommandKind::Submit,
            Self::Cancel => ActivityCommandKind::Cancel,
            Self::StartReview => ActivityCommandKind::StartReview,
            Self::RequestInfo { .. } => ActivityCommandKind::RequestInfo,
            Self::Resubmit => ActivityCommandKind::Resubmit,
            Self::Approve => ActivityCommandKind::Approve,
            Self::Reject { .. } => ActivityCommandKind::Reject,
            Self::MarkPaid => ActivityCommandKind::MarkPaid,
            Self::Dispute { .. } => ActivityCommandKind::Dispute,
            Self::Expire => ActivityCommandKind::Expire,
            Self::LinkReferral { .. } => ActivityCommandKind::LinkReferral,
        }
    }
}

/// An effect for the application to perform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ActivityEvent {
    /// Send the consent email.
    ConsentEmailRequested {
        /// The customer contact.
        to: EmailAddress,
        /// Whether it is a reminder.
        reminder: bool,
    },
    /// Create a partner-led referral for the claim, then record it with
    /// [`ActivityCommand::LinkReferral`].
    ReferralRequested {
        /// The customer.
        customer: CustomerId,
        /// The engagement.
        engagement: EngagementId,
    },
    /// Upgrade the claim's referral to co-sell: the customer consented and qualifies.
    CoSellUpgradeRequested {
        /// The customer.
        customer: CustomerId,
    },
    /// The claim was approved: pay the partner (`None` for a fixed amount set elsewhere).
    PayoutDue {
        /// The proposed variable payout.
        amount: Option<Usd>,
    },
    /// Every accepted command, for audit and notification.
    Transitioned {
        /// The command.
        command: ActivityCommandKind,
        /// The state before (`None` on creation).
        from: Option<ActivityState>,
        /// The state after.
        to: ActivityState,
    },
}
