//! # cpor
//!
//! Model, check and track customer-association claims in the Partner Center incentives
//! program: CPOR association claims ([`association`]) and MCI partner-activity claims
//! ([`activity`]).
//!
//! The crate is pure: it reads no clock, makes no randomness and does no I/O. Time (`now`),
//! IDs and outside facts are passed in; effects (emails to send, keys for the store to grant)
//! come back as events for the caller to perform.
//!
//! | Module | What it holds |
//! |---|---|
//! | [`id`] | one strict type per identifier: tenant, subscription, domain, TPID, MSX, partner, email, claim |
//! | [`catalog`] | the rules as data, by program year: engagements, roles, workloads, payouts, deadlines |
//! | [`calendar`] | business days: weekends plus holidays |
//! | [`association`] | the CPOR claim: form, state machine, history, uniqueness keys, official status |
//! | [`eligibility`] | MCI eligibility as a pure decision over facts the application supplies |
//! | [`activity`] | the MCI partner-activity claim: add/claim customer, consent, evidence, review, payout |
//! | [`customers`] | the Customers page of an MCI engagement |
//! | [`money`] | USD in integer cents, checked arithmetic |
//! | [`actor`], [`text`] | who acts, with which roles; validated free text |
//!
//! ## End to end
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use cpor::association::{
//!     Acknowledgement, Arbitration, Association, AssociationClaim, AssociationCommand,
//!     AssociationForm, CompanyContactForm, CustomerContactForm,
//! };
//! use cpor::{Actor, Catalog, ClaimId, PartnerId, PartnerUserRole, Text, UserId, UserRoles};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let catalog = Catalog::builtin(); // the newest program year
//! let admin = Actor::partner(
//!     PartnerId::new(4_512_345)?,
//!     UserId::parse("alex@fabrikam.com")?,
//!     UserRoles::of([PartnerUserRole::IncentivesAdmin]),
//! );
//! let reviewer = Actor::reviewer(UserId::parse("reviewer@microsoft.com")?);
//!
//! // The form holds raw text; creating the draft checks every field at once.
//! let form = AssociationForm {
//!     name: "Contoso Teams rollout".into(),
//!     tenant: "{72F988BF-86F1-41AF-91AB-2D7CD011DB47}".into(),
//!     solution_area: "modern_work_security".into(),
//!     role: "use_or_consume".into(),
//!     workloads: vec!["teams".into(), "intune".into()],
//!     customer_contact: CustomerContactForm {
//!         name: "Megan Bowen".into(),
//!         title: "CIO".into(),
//!         email: "megan@contoso.com".into(),
//!     },
//!     company_contact: CompanyContactForm {
//!         name: "Alex Wilber".into(),
//!         email: "alex@fabrikam.com".into(),
//!     },
//!     ..AssociationForm::default()
//! };
//! let monday = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//! let id = ClaimId::from_uuid(uuid::Uuid::from_u128(7))?; // chosen by the caller
//! let mut claim = AssociationClaim::create(id, &form, &admin, monday, &catalog)?.claim;
//!
//! // Each command is a pure transition: a new claim and its events, or an error.
//! for (command, actor) in [
//!     (AssociationCommand::AttachPoe { reference: Text::parse("sow.pdf")? }, &admin),
//!     (AssociationCommand::Submit { acknowledgement: Acknowledgement::Given }, &admin),
//!     (AssociationCommand::StartReview, &reviewer),
//!     (AssociationCommand::Approve { arbitration: Arbitration::None }, &reviewer),
//! ] {
//!     claim = claim.transition(&command, actor, monday, &catalog)?.claim;
//! }
//! assert_eq!(claim.held_keys().len(), 2); // (engagement, tenant, workload) for each workload
//!
//! // The customer may opt out for five business days; then the association is official.
//! assert!(matches!(claim.association(monday), Association::PendingOptOut { .. }));
//! assert_eq!(
//!     claim.association(monday + Duration::days(7)),
//!     Association::Official { since: monday + Duration::days(7) }
//! );
//!
//! // A refused command is an error with a stable code, and changes nothing.
//! let err = claim
//!     .transition(&AssociationCommand::Withdraw, &admin, monday, &catalog)
//!     .unwrap_err();
//! assert_eq!(err.code(), "association.invalid_state");
//! # Ok(())
//! # }
//! ```
//!
//! ## Identifiers
//!
//! Every identifier is its own type, parsed strictly by one validator and printed in one
//! canonical form (see [`id`]). A tenant ID is never accepted where a subscription ID is
//! expected, even though both are GUIDs.
//!
//! ```
//! use cpor::{CustomerId, CustomerIdKind, TenantId};
//!
//! let tenant: TenantId = "{72F988BF-86F1-41AF-91AB-2D7CD011DB47}".parse()?;
//! assert_eq!(tenant.to_string(), "72f988bf-86f1-41af-91ab-2d7cd011db47");
//!
//! // A customer is nominated by exactly one of five kinds of ID.
//! let customer = CustomerId::parse_as(CustomerIdKind::Tpid, "000123456")?;
//! assert_eq!(customer.to_string(), "tpid:123456");
//!
//! // Errors name the field, quote the input, and carry a stable code.
//! let err = "bücher.de".parse::<cpor::DomainName>().unwrap_err();
//! assert_eq!(err.code(), "domain.non_ascii");
//!
//! // serde goes through the same validator, so JSON can never build an invalid ID.
//! assert!(serde_json::from_str::<TenantId>(r#""00000000-0000-0000-0000-000000000000""#).is_err());
//! # Ok::<(), cpor::IdError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

pub mod activity;
pub mod actor;
pub mod association;
pub mod calendar;
pub mod catalog;
pub mod claim;
pub(crate) mod codec;
pub mod customers;
pub mod eligibility;
pub mod error;
mod fast_hash;
pub mod id;
pub mod money;
pub mod request;
pub mod service;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text;

pub use actor::{Actor, ActorKind, Locations, PartnerUserRole, UserId, UserRoles};
pub use association::{AssociationClaim, AssociationCommand, AssociationError, AssociationForm};
pub use calendar::BusinessCalendar;
pub use catalog::{Catalog, Catalogs, ProgramYear};
pub use error::ErrorKind;
pub use id::{
    AzureSubscriptionId, ClaimId, CustomerId, CustomerIdKind, DomainName, EmailAddress, IdError,
    IdErrorKind, IdField, MsxOpportunityId, PartnerId, SubscriptionId, TenantId, Tpid,
};
pub use money::Usd;
pub use request::{Request, RequestId};
pub use text::{Text, TextError};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
