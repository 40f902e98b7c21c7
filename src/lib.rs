//! # cpor
//!
//! Model, check and track customer-association claims in the Partner Center incentives
//! program: CPOR association claims and MCI partner-activity claims.
//!
//! The crate is pure: it reads no clock, makes no randomness and does no I/O. Time, IDs and
//! outside facts are passed in; effects come back as events for the caller to perform.
//!
//! ## Identifiers
//!
//! Every identifier is its own type, parsed strictly by one validator and printed in one
//! canonical form (see [`id`]). A tenant ID is never accepted where a subscription ID is
//! expected, even though both are GUIDs.
//!
//! ```
//! use cpor::{CustomerId, CustomerIdKind, EmailAddress, PartnerId, TenantId};
//!
//! let tenant: TenantId = "{72F988BF-86F1-41AF-91AB-2D7CD011DB47}".parse()?;
//! assert_eq!(tenant.to_string(), "72f988bf-86f1-41af-91ab-2d7cd011db47");
//!
//! let partner: PartnerId = "4512345".parse()?;
//! let contact: EmailAddress = "megan@Contoso.com".parse()?;
//! assert_eq!(contact.domain().as_str(), "contoso.com");
//!
//! // A customer is nominated by exactly one of five kinds of ID.
//! let customer = CustomerId::parse_as(CustomerIdKind::Tpid, "000123456")?;
//! assert_eq!(customer.to_string(), "tpid:123456");
//!
//! // Errors name the field, quote the input, and carry a stable code.
//! let err = "bücher.de".parse::<cpor::DomainName>().unwrap_err();
//! assert_eq!(err.code(), "domain.non_ascii");
//! println!("{err}");
//!
//! // serde goes through the same validator, so JSON can never build an invalid ID.
//! assert!(serde_json::from_str::<TenantId>(r#""00000000-0000-0000-0000-000000000000""#).is_err());
//! # let _ = partner;
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

pub mod actor;
pub mod association;
pub mod calendar;
pub mod catalog;
pub mod id;
pub mod money;
pub mod text;

pub use actor::{Actor, ActorKind, PartnerUserRole, UserId, UserRoles};
pub use association::{AssociationClaim, AssociationCommand, AssociationError, AssociationForm};
pub use calendar::BusinessCalendar;
pub use catalog::{Catalog, Catalogs, ProgramYear};
pub use id::{
    AzureSubscriptionId, ClaimId, CustomerId, CustomerIdKind, DomainName, EmailAddress, IdError,
    IdErrorKind, IdField, MsxOpportunityId, PartnerId, SubscriptionId, TenantId, Tpid,
};
pub use money::Usd;
pub use text::{Text, TextError};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
