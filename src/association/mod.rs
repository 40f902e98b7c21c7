//! CPOR customer-association claims (domain.md sections 4.1, 5.1, 5.3, 6.1 and 7).
//!
//! An association claim ties a partner **location** to a customer **tenant** for one or more
//! **workloads** (Modern Work and Security) or one **subscription** (Business Applications).
//! The customer is notified on submission and may opt out; once approved and past the opt-out
//! window, the association is *official*.
//!
//! # Lifecycle
//!
//! ```mermaid
//! stateDiagram-v2
//!     [*] --> Draft: create (form)
//!     Draft --> Draft: edit_draft, attach_poe
//!     Draft --> Submitted: submit (PoE + acknowledgements; customer notified)
//!     Draft --> Withdrawn: withdraw
//!     Submitted --> UnderReview: start_review
//!     UnderReview --> PartnerActionRequired: request_info (reason)
//!     PartnerActionRequired --> PartnerActionRequired: attach_poe
//!     PartnerActionRequired --> Submitted: resubmit (section 5.3 fields only)
//!     PartnerActionRequired --> Rejected: expire (14 business days, timer)
//!     UnderReview --> Approved: approve (maybe superseding a holder)
//!     UnderReview --> Rejected: reject (reason)
//!     Submitted --> Rejected: decline (customer)
//!     UnderReview --> Rejected: decline (customer)
//!     PartnerActionRequired --> Rejected: decline (customer)
//!     Approved --> Rejected: decline (customer), supersede (arbitration)
//!     Disputed --> Rejected: decline (customer)
//!     Approved --> RejectedFinal: disassociate (reason)
//!     Rejected --> Disputed: dispute (once, within 30 days; not after a decline)
//!     Disputed --> Approved: approve_dispute
//!     Disputed --> RejectedFinal: reject_dispute
//!     Withdrawn --> [*]
//!     RejectedFinal --> [*]
//! ```
//!
//! The same transitions, with who may issue each, are the table [`TRANSITIONS`]; the transition
//! function looks commands up in it, and the tests check every (state, command, actor) triple
//! against it.
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
