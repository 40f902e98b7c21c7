//! # cpor
//!
//! Model, check and track customer-association claims in the Partner Center incentives
//! program: CPOR association claims ([`association`]) and MCI partner-activity claims
//! ([`activity`]).
//!
//! The core is pure: it reads no clock, makes no randomness and does no I/O. Time (`now`),
//! IDs and outside facts are passed in; effects (emails to send, keys for the store to grant)
//! come back as events for the caller to perform. The optional database stores are the only
//! I/O.
//!
//! New here? The [`guide`] explains the program, the two lifecycles (with diagrams drawn from
//! the code's transition tables), the rules and the choices the crate made.
//!
//! | Module | What it holds |
//! |---|---|
//! | [`guide`] | the user's guide: the program, the lifecycles, the rules, the crate's choices (documentation only) |
//! | [`service`] | [`AsyncClaims`](service::AsyncClaims) and [`Claims`](service::Claims) (blocking), one core: what an application calls for each user action: load, decide, commit atomically, retry; paged lists; the timer's sweep; usage scope |
//! | [`store`] | the [`Store`](store::Store) and [`AsyncStore`](store::AsyncStore) traits, paging, the strict in-memory store, and the SQLite and PostgreSQL stores (features `sqlite`, `postgres`) |
//! | [`event`] | the events the service returns, each with a stable ID that names its claim |
//! | [`error`] | [`ErrorKind`] and the table of every error code |
//! | [`association`] | the CPOR claim: form, state machine, history, uniqueness keys, official status |
//! | [`activity`] | the MCI partner-activity claim: add/claim customer, consent, evidence, review, payout |
//! | [`eligibility`] | MCI eligibility as a pure decision over facts the application supplies |
//! | [`customers`] | the Customers page of an MCI engagement |
//! | [`claim`] | either kind of claim as one value, its binary form, its validation and the keys it holds |
//! | [`request`] | caller-chosen request IDs, which make a retried command safe |
//! | [`id`] | one strict type per identifier: tenant, subscription, domain, TPID, MSX, partner, email, claim |
//! | [`catalog`] | the rules as data, by program year: engagements, roles, workloads, payouts, deadlines |
//! | [`calendar`] | business days: weekends plus holidays |
//! | [`money`] | USD in integer cents, checked arithmetic |
//! | [`actor`], [`text`] | who acts, with which roles; validated free text |
//! | `testing` | the conformance suite every [`Store`](store::Store) must pass (feature `testing`) |
//!
//! ## End to end, through the service
//!
//! An application keeps claims in a [`Store`](store::Store) and acts on them through
//! [`Claims`](service::Claims). Each action returns the **events** the application must
//! perform: here, the email to the customer and the keys the approval granted. The same
//! events are in the store's **outbox**, written in the commit's transaction, for a
//! delivery worker to lease, send and acknowledge, so that a crash after the commit loses
//! none (see [the outbox](store#the-outbox)).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use cpor::association::{
//!     Acknowledgement, Arbitration, AssociationCommand, AssociationEvent, AssociationForm,
//!     CompanyContactForm, CustomerContactForm,
//! };
//! use cpor::service::Claims;
//! use cpor::store::{DEFAULT_LEASE, InMemoryStore, Store};
//! use cpor::{Actor, Catalogs, ClaimId, PartnerId, PartnerUserRole, Text, UserId, UserRoles};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let claims = Claims::new(InMemoryStore::new(), Catalogs::builtin());
//! let admin = Actor::partner(
//!     PartnerId::new(4_512_345)?,
//!     UserId::parse("alex@fabrikam.com")?,
//!     UserRoles::of([PartnerUserRole::IncentivesAdmin]),
//! );
//! let reviewer = Actor::reviewer(UserId::parse("reviewer@microsoft.com")?);
//! let monday = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//!
//! // The form holds raw text; creating the draft checks every field at once.
//! let form = AssociationForm {
//!     name: "Contoso Teams rollout".into(),
//!     tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
//!     solution_area: "modern_work_security".into(),
//!     role: "use_or_consume".into(),
//!     workloads: vec!["teams".into()],
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
//! let id = ClaimId::from_uuid(uuid::Uuid::from_u128(7))?; // chosen by the caller
//! claims.create_association(id, &form, &admin, monday)?;
//!
//! let poe = AssociationCommand::AttachPoe { reference: Text::parse("sow.pdf")? };
//! claims.association(id, &poe, &admin, monday)?;
//!
//! // Submitting notifies the customer, who may opt out for five business days.
//! let submit = AssociationCommand::Submit { acknowledgement: Acknowledgement::Given };
//! let submitted = claims.association(id, &submit, &admin, monday)?;
//! assert!(submitted.events.iter().any(|emitted| matches!(
//!     &emitted.event,
//!     AssociationEvent::CustomerNotified { contact, .. } if contact.to_string() == "megan@contoso.com"
//! )));
//!
//! claims.association(id, &AssociationCommand::StartReview, &reviewer, monday)?;
//! let approve = AssociationCommand::Approve { arbitration: Arbitration::None };
//! let approved = claims.association(id, &approve, &reviewer, monday)?;
//! for emitted in &approved.events {
//!     // Each event names its claim: `emitted.id` is (claim, version, index).
//!     assert_eq!(emitted.id.claim, id);
//!     if let AssociationEvent::AssociationStarted { keys } = &emitted.event {
//!         // One key per workload: Fabrikam is now the partner for Contoso's Teams usage.
//!         assert_eq!(keys.len(), 1);
//!         println!("associated: {}", keys[0]);
//!     }
//! }
//! assert_eq!(approved.claim.state().as_str(), "approved");
//!
//! // A delivery worker takes the same events from the outbox, then acknowledges them.
//! let later = monday + chrono::Duration::hours(1);
//! let leased = claims.store().lease_events(later, DEFAULT_LEASE, 100)?;
//! assert!(leased.iter().any(|l| l.id == approved.events[0].id));
//! let ids: Vec<_> = leased.iter().map(|l| l.id).collect();
//! claims.store().acknowledge(&ids)?;
//!
//! // A refused command is an error with a stable code, and changes nothing.
//! let err = claims.association(id, &AssociationCommand::Withdraw, &admin, monday).unwrap_err();
//! assert_eq!(err.code(), "association.invalid_state");
//! # Ok(())
//! # }
//! ```
//!
//! ## The pure core
//!
//! Underneath, each command is a pure transition: a new claim and its events, or an error.
//! Use it directly when your application keeps claims its own way.
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
//! let id = ClaimId::from_uuid(uuid::Uuid::from_u128(7))?;
//! let mut claim = AssociationClaim::create(id, &form, &admin, monday, &catalog)?.claim;
//!
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
#![cfg_attr(docsrs, feature(doc_cfg))]
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
pub mod event;
mod fast_hash;
pub mod guide;
pub mod id;
pub mod money;
pub mod request;
pub mod service;
pub mod store;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
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
