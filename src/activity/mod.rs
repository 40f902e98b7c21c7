//! MCI partner-activity engagement claims (domain.md sections 3.3, 4.2, 5.1 to 5.4, 6.2, 7
//! and 8).
//!
//! A partner-activity claim pays a partner location for delivering one engagement (a
//! workshop, an assessment, a project) to one customer. The customer must consent by email
//! before the partner goes on; evidence comes after delivery; a reviewer approves, and the
//! claim is paid.
//!
//! # Lifecycle
//!
//! ```mermaid
//! stateDiagram-v2
//!     [*] --> CustomerClaimed: add customer / claim customer (eligibility checked)
//!     CustomerClaimed --> AwaitingConsent: send_consent (deal size fixed)
//!     AwaitingConsent --> AwaitingConsent: resend_consent
//!     AwaitingConsent --> ConsentReceived: accept_consent (customer)
//!     AwaitingConsent --> ConsentDeclined: decline_consent (customer)
//!     CustomerClaimed --> ConsentExpired: expire (consent window)
//!     AwaitingConsent --> ConsentExpired: expire (consent window)
//!     CustomerClaimed --> Canceled: cancel
//!     AwaitingConsent --> Canceled: cancel
//!     ConsentReceived --> Canceled: cancel
//!     ConsentReceived --> ConsentReceived: add_evidence, edit
//!     ConsentReceived --> Submitted: submit (required evidence)
//!     ConsentReceived --> NotSubmittedExpired: expire (first-submit window)
//!     Submitted --> UnderReview: start_review
//!     UnderReview --> PartnerActionRequired: request_info
//!     PartnerActionRequired --> Submitted: resubmit
//!     PartnerActionRequired --> PostSubmissionExpired: expire (review window)
//!     UnderReview --> Approved: approve
//!     Approved --> Completed: mark_paid
//!     UnderReview --> Rejected: reject (not disputed before)
//!     UnderReview --> RejectedFinal: reject (after a dispute)
//!     Rejected --> Disputed: dispute (within 30 days)
//!     Disputed --> Submitted: resubmit
//!     Rejected --> DisputedExpired: expire (dispute window)
//!     Disputed --> DisputedExpired: expire (dispute window)
//! ```
//!
//! The same transitions, with who may issue each, are [`ACTIVITY_TRANSITIONS`]. `edit` is
//! also allowed in awaiting_consent, partner_action_required and disputed, `add_evidence` in
//! partner_action_required and disputed, and `link_referral` before the first submission;
//! the table lists them all.
//!
//! # Choices where the documents are silent
//!
//! - Every deadline is half-open: at the deadline instant the claim expires, and any other
//!   command is refused with `activity.deadline_passed` even if the timer has not run yet, so
//!   the outcome never depends on when the sweep runs.
//! - The dispute window of a disputed claim runs from the rejection: the dispute and its
//!   resubmission both fit in the 30 days.
//! - A claim counts as *active* towards the per-customer cap while it is not terminal.
//! - The estimated deal size is set only by the first consent email; an `edit` carrying a
//!   different value is refused.
//! - A referral is requested at most once per claim, at creation or at the first consent
//!   email, whichever first finds the referral conditions true.
//! - The Incentives user role may run the consent and evidence steps; everything else a
//!   partner does needs the Incentives admin role.

mod claim;
mod command;
mod error;
mod flow;
mod state;

pub use claim::{
    ActivityClaim, ActivityHistoryEntry, ActivityTransitioned, EvidenceRules, Origin, VariablePay,
};
pub use command::{ActivityCommand, ActivityEdit, ActivityEvent, Evidence, EvidenceKind};
pub use error::ActivityError;
pub use flow::{
    Nomination, add_customer, claim_customer, nominate, nomination_input, partner_view,
    review_payout,
};
pub use state::{
    ACTIVITY_TRANSITIONS, ActivityCommandKind, ActivityIssuer, ActivityState, ActivityTransition,
    Condition, activity_issuer_of, activity_transition,
};
