//! CPOR customer-association claims. The [guide](crate::guide::association) describes them
//! for users, with the lifecycle drawn from [`TRANSITIONS`].
//!
//! An association claim ties a partner **location** to a customer **tenant** for one or more
//! **workloads** (Modern Work and Security) or one **subscription** (Business Applications).
//! The customer is notified on submission and may opt out; once approved and past the opt-out
//! window, the association is *official*.
//!
//! # Lifecycle
//!
//! The transitions, with who may issue each, are the table [`TRANSITIONS`]; the transition
//! function looks commands up in it, and the tests check every (state, command, actor) triple
//! against it. The guide [draws the lifecycle](crate::guide::association#lifecycle) from that
//! table, and a test fails if the drawing and the table differ.
//!
//! # Choices where the documents are silent
//!
//! - A customer may decline a **disputed** claim too: the claim is still live, and
//!   "at any time after submission" covers it.
//! - The customer is notified once, on the first submission; a resubmission does not restart
//!   the opt-out window.
//! - A rejection by arbitration (`supersede`) is disputable like a reviewer's rejection; a
//!   customer's decline is not.
//! - Windows are half-open: a dispute is accepted strictly before `rejected_at + 30 days`, and
//!   the info-request timer fires at `requested_at + 14 business days` exactly. From that
//!   instant only `expire` (and a customer's decline) may act, with
//!   `association.deadline_passed` for anything else, even if the sweep has not run yet; the
//!   no-response rejection dates from the deadline, so a late sweep changes nothing.
//! - Commands must come in time order: `now` before the last history entry is refused.
//! - Uniqueness keys are scoped per engagement (see [`AssociationKey`]).

mod claim;
mod command;
mod error;
mod form;
mod key;
mod state;

pub use claim::{Association, AssociationClaim, Ending, HistoryEntry, Rejection, Transitioned};
pub use command::{
    Acknowledgement, Arbitration, AssociationCommand, AssociationEvent, EndReason,
    InfoRequestReason, RejectionReason, ReviewRejection,
};
pub use error::AssociationError;
pub use form::{
    AssociationContent, AssociationForm, CompanyContact, CompanyContactForm, CustomerContact,
    CustomerContactForm, Field, FieldSet, FormErrors, FormProblem, IncentivePayments,
    PurchaseChannel, ResubmitForm, RevenueDetails, RevenueForm, Target,
};
pub use key::{AssociationKey, KeyUnit};
pub use state::{
    AssociationState, CommandKind, Issuer, TRANSITIONS, Transition, issuer_of, transition,
};
