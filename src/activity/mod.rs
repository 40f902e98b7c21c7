//! MCI partner-activity engagement claims. The [guide](crate::guide::activity) describes
//! them for users, with the lifecycle drawn from [`ACTIVITY_TRANSITIONS`].
//!
//! A partner-activity claim pays a partner location for delivering one engagement (a
//! workshop, an assessment, a project) to one customer. The customer must consent by email
//! before the partner goes on; evidence comes after delivery; a reviewer approves, and the
//! claim is paid.
//!
//! # Lifecycle
//!
//! The same transitions, with who may issue each, are [`ACTIVITY_TRANSITIONS`]. `edit` is
//! also allowed in awaiting_consent, partner_action_required and disputed, `add_evidence` in
//! partner_action_required and disputed, and `link_referral` before the first submission;
//! the table lists them all. The guide [draws the lifecycle](crate::guide::activity#lifecycle)
//! from that table, and a test fails if the drawing and the table differ.
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
