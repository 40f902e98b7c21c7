//! Samples of the errors of values, catalogs, forms and claims.

use chrono::{DateTime, Utc};

use super::Sample;
use crate::actor::{UserId, UserIdError};
use crate::association::{Field, FormProblem};
use crate::calendar::CalendarError;
use crate::catalog::{
    CatalogError, CatalogList, CatalogProblem, CatalogsError, EngagementId, KeyError, KeyErrorKind,
    KeyField, ProgramYear,
};
use crate::claim::invalid::Broken;
use crate::claim::{ClaimBytesError, InvalidClaim, Invariant};
use crate::eligibility::Reason;
use crate::id::{ClaimId, CustomerId, CustomerIdKind, IdError, IdErrorKind, IdField, PartnerId};
use crate::money::{MoneyError, Usd};
use crate::request::RequestId;
use crate::text::{Text, TextError};

pub(super) fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

pub(super) fn claim() -> ClaimId {
    "7d4f3c1e-2b6a-4f59-9c1e-3a2b1c0d9e8f".parse().unwrap()
}

pub(super) fn partner() -> PartnerId {
    PartnerId::new(1_234_567).unwrap()
}

pub(super) fn engagement() -> EngagementId {
    "mci_workshop".parse().unwrap()
}

pub(super) fn customer() -> CustomerId {
    CustomerId::parse("tpid:123456").unwrap()
}

pub(super) fn year() -> ProgramYear {
    ProgramYear::new(26).unwrap()
}

pub(super) fn boxed() -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(std::io::Error::other("connection reset by peer"))
}

pub(super) fn invalid_claim() -> InvalidClaim {
    InvalidClaim::new(
        claim(),
        Broken::new(Invariant::History, "the first entry is not a creation"),
    )
}

/// Every identifier field, and a guard that fails to compile when one is added.
pub(super) fn id_fields() -> Vec<IdField> {
    use IdField as F;
    let all = vec![
        F::TenantId,
        F::AzureSubscriptionId,
        F::SubscriptionId,
        F::ClaimId,
        F::DomainName,
        F::Tpid,
        F::MsxOpportunityId,
        F::PartnerId,
        F::EmailAddress,
        F::EmailDomain,
        F::CustomerId,
        F::CustomerIdKind,
    ];
    for f in &all {
        match f {
            F::TenantId
            | F::AzureSubscriptionId
            | F::SubscriptionId
            | F::ClaimId
            | F::DomainName
            | F::Tpid
            | F::MsxOpportunityId
            | F::PartnerId
            | F::EmailAddress
            | F::EmailDomain
            | F::CustomerId
            | F::CustomerIdKind => {}
        }
    }
    all
}

/// Every identifier reason, and a guard that fails to compile when one is added.
pub(super) fn id_reasons() -> Vec<IdErrorKind> {
    use IdErrorKind as K;
    let all = vec![
        K::Empty,
        K::TooLong { max: 64 },
        K::WrongLength {
            len: 3,
            expected: "36 characters",
        },
        K::InvalidCharacter { ch: '\0', index: 1 },
        K::MisplacedHyphen { index: 8 },
        K::Braces,
        K::Nil,
        K::Zero,
        K::NonAscii { ch: 'é', index: 2 },
        K::IpAddress,
        K::SingleLabel,
        K::EmptyLabel { index: 0 },
        K::LabelTooLong { index: 0, len: 64 },
        K::LabelHyphen { index: 0 },
        K::NumericTld,
        K::MissingAt,
        K::LocalEmpty,
        K::LocalTooLong,
        K::LocalDot { index: 0 },
        K::MissingKind,
        K::UnknownKind,
    ];
    for k in &all {
        match k {
            K::Empty
            | K::TooLong { .. }
            | K::WrongLength { .. }
            | K::InvalidCharacter { .. }
            | K::MisplacedHyphen { .. }
            | K::Braces
            | K::Nil
            | K::Zero
            | K::NonAscii { .. }
            | K::IpAddress
            | K::SingleLabel
            | K::EmptyLabel { .. }
            | K::LabelTooLong { .. }
            | K::LabelHyphen { .. }
            | K::NumericTld
            | K::MissingAt
            | K::LocalEmpty
            | K::LocalTooLong
            | K::LocalDot { .. }
            | K::MissingKind
            | K::UnknownKind => {}
        }
    }
    all
}

/// Every catalog key field, and a guard that fails to compile when one is added.
pub(super) fn key_fields() -> Vec<KeyField> {
    use KeyField as F;
    let all = vec![
        F::SolutionAreaId,
        F::WorkloadId,
        F::WorkloadGroupId,
        F::EngagementId,
        F::EngagementTypeId,
        F::RoleId,
        F::ProgramYear,
    ];
    for f in &all {
        match f {
            F::SolutionAreaId
            | F::WorkloadId
            | F::WorkloadGroupId
            | F::EngagementId
            | F::EngagementTypeId
            | F::RoleId
            | F::ProgramYear => {}
        }
    }
    all
}

/// Every catalog key reason, and a guard that fails to compile when one is added.
pub(super) fn key_reasons() -> Vec<KeyErrorKind> {
    use KeyErrorKind as K;
    let all = vec![
        K::Empty,
        K::TooLong { max: 64 },
        K::InvalidCharacter { ch: 'M', index: 0 },
        K::ProgramYear,
    ];
    for k in &all {
        match k {
            K::Empty | K::TooLong { .. } | K::InvalidCharacter { .. } | K::ProgramYear => {}
        }
    }
    all
}

pub(super) fn value_samples(out: &mut Vec<Sample>) {
    for e in [
        TextError::Blank,
        TextError::TooLong,
        TextError::ControlCharacter { ch: '\0', index: 3 },
    ] {
        match e {
            TextError::Blank | TextError::TooLong | TextError::ControlCharacter { .. } => {}
        }
        out.push(sample!(e));
    }
    for e in [
        UserIdError::Empty,
        UserIdError::TooLong,
        UserIdError::InvalidCharacter { ch: ' ', index: 2 },
    ] {
        match e {
            UserIdError::Empty | UserIdError::TooLong | UserIdError::InvalidCharacter { .. } => {}
        }
        out.push(sample!(e));
    }
    assert!(UserId::parse("a b").is_err());
    out.push(sample!(RequestId::parse("a b").unwrap_err()));
    out.push(sample!(
        "x/v1/0".parse::<crate::event::EventId>().unwrap_err()
    ));
    let e = CalendarError::NoBusinessDays;
    match e {
        CalendarError::NoBusinessDays => {}
    }
    out.push(sample!(e));
    let input = || "12x".to_owned();
    for e in [
        MoneyError::Empty,
        MoneyError::InvalidCharacter {
            input: input(),
            truncated: false,
            ch: 'x',
            index: 2,
        },
        MoneyError::MissingDigits {
            input: ".5".to_owned(),
            truncated: false,
        },
        MoneyError::TooManyDecimals {
            input: "1.234".to_owned(),
            truncated: false,
            decimals: 3,
        },
        MoneyError::TooLarge {
            input: "9".repeat(64),
            truncated: true,
        },
        MoneyError::Overflow {
            expression: "150.00 × 40".to_owned(),
        },
        MoneyError::Underflow {
            left: Usd::from_cents(100),
            right: Usd::from_cents(200),
        },
    ] {
        match e {
            MoneyError::Empty
            | MoneyError::InvalidCharacter { .. }
            | MoneyError::MissingDigits { .. }
            | MoneyError::TooManyDecimals { .. }
            | MoneyError::TooLarge { .. }
            | MoneyError::Overflow { .. }
            | MoneyError::Underflow { .. } => {}
        }
        out.push(sample!(e));
    }
    for field in id_fields() {
        for reason in id_reasons() {
            out.push(sample!(IdError::new(field, reason, "x")));
        }
    }
    for field in key_fields() {
        for reason in key_reasons() {
            out.push(sample!(KeyError::new(field, reason, "Modern Work")));
        }
    }
}

pub(super) fn catalog_samples(out: &mut Vec<Sample>) {
    for e in [
        CatalogsError::Empty,
        CatalogsError::DuplicateYear { year: year() },
    ] {
        match e {
            CatalogsError::Empty | CatalogsError::DuplicateYear { .. } => {}
        }
        out.push(sample!(e));
    }
    let role = || "mws_usage".parse().unwrap();
    let area = || "modern_work".parse().unwrap();
    let workload = || "teams".parse().unwrap();
    use CatalogProblem as P;
    let problems = vec![
        P::DuplicateId {
            list: CatalogList::Roles,
            id: "mws_usage".to_owned(),
        },
        P::UnknownReference {
            list: CatalogList::Workloads,
            owner: "teams".to_owned(),
            field: "solution_area",
            target: "nowhere".to_owned(),
        },
        P::EmptyName {
            list: CatalogList::CoOpPrograms,
            id: "#0".to_owned(),
        },
        P::RoleWithoutEngagement {
            role: role(),
            engagement: engagement(),
        },
        P::RoleEngagementNotCpor {
            role: role(),
            engagement: engagement(),
        },
        P::RoleAreaMismatch {
            role: role(),
            role_area: area(),
            engagement: engagement(),
            engagement_area: area(),
        },
        P::CporEngagementWithoutRole {
            engagement: engagement(),
        },
        P::EngagementWithoutWorkloads {
            engagement: engagement(),
            solution_area: area(),
        },
        P::EmptyWorkloadGroups {
            workload: workload(),
        },
        P::WorkloadAreaMismatch {
            workload: workload(),
            group: "collaboration".to_owned(),
            solution_area: area(),
        },
        P::NonpositiveDeadline {
            owner: "cpor rules".to_owned(),
            field: "consent_days",
        },
        P::DeadlineOrder {
            engagement_type: "workshop".parse().unwrap(),
            first_submit_days: 30,
            review_days: 10,
        },
        P::EmptyAllowedIdKinds {
            engagement: engagement(),
        },
        P::DuplicateIdKind {
            engagement: engagement(),
            kind: CustomerIdKind::Tpid,
        },
        P::VariablePayNotMsxOnly {
            engagement: engagement(),
            kind: CustomerIdKind::Tenant,
        },
        P::FixedPayAllowsMsx {
            engagement: engagement(),
        },
        P::ZeroHourlyRate {
            engagement: engagement(),
        },
        P::ZeroMaxHours {
            engagement: engagement(),
        },
        P::ZeroCap {
            engagement: engagement(),
        },
        P::ZeroMaxClaims {
            engagement: engagement(),
        },
        P::CoOpProgramConflict {
            program: "Marketing".to_owned(),
            engagement: engagement(),
        },
    ];
    for e in &problems {
        match e {
            P::DuplicateId { .. }
            | P::UnknownReference { .. }
            | P::EmptyName { .. }
            | P::RoleWithoutEngagement { .. }
            | P::RoleEngagementNotCpor { .. }
            | P::RoleAreaMismatch { .. }
            | P::CporEngagementWithoutRole { .. }
            | P::EngagementWithoutWorkloads { .. }
            | P::EmptyWorkloadGroups { .. }
            | P::WorkloadAreaMismatch { .. }
            | P::NonpositiveDeadline { .. }
            | P::DeadlineOrder { .. }
            | P::EmptyAllowedIdKinds { .. }
            | P::DuplicateIdKind { .. }
            | P::VariablePayNotMsxOnly { .. }
            | P::FixedPayAllowsMsx { .. }
            | P::ZeroHourlyRate { .. }
            | P::ZeroMaxHours { .. }
            | P::ZeroCap { .. }
            | P::ZeroMaxClaims { .. }
            | P::CoOpProgramConflict { .. } => {}
        }
        out.push(sample!(e));
    }
    out.push(sample!(CatalogError::from_problems(year(), problems)));
}

pub(super) fn form_problems() -> Vec<FormProblem> {
    use FormProblem as P;
    let all = vec![
        P::Missing { field: Field::Name },
        P::InvalidId {
            field: Field::Tenant,
            error: IdError::new(IdField::TenantId, IdErrorKind::Nil, "0"),
        },
        P::InvalidText {
            field: Field::Comments,
            error: TextError::Blank,
        },
        P::Unknown {
            field: Field::Role,
            value: "Role X".to_owned(),
        },
        P::RoleAreaMismatch {
            role: "mws_usage".to_owned(),
            solution_area: "security".to_owned(),
        },
        P::WorkloadAreaMismatch {
            workload: "teams".to_owned(),
            solution_area: "security".to_owned(),
        },
        P::DuplicateWorkload {
            workload: "teams".to_owned(),
        },
        P::SubscriptionRequired,
        P::SubscriptionNotAllowed {
            value: "sub".to_owned(),
        },
        P::RevenueDetailsRequired {
            field: Field::RevenueSeller,
        },
        P::OptOutNotAllowed {
            engagement: "mws_usage".to_owned(),
        },
        P::CoOpProgram {
            program: "Marketing".to_owned(),
        },
        P::NotAssociationEngagement {
            value: "Something".to_owned(),
        },
        P::CspPurchase,
        P::PurchaseChannelNotAllowed {
            value: "csp".to_owned(),
        },
        P::EngagementRoleMismatch {
            engagement: "mws_usage".to_owned(),
            role: "security_usage".to_owned(),
        },
    ];
    for p in &all {
        match p {
            P::Missing { .. }
            | P::InvalidId { .. }
            | P::InvalidText { .. }
            | P::Unknown { .. }
            | P::RoleAreaMismatch { .. }
            | P::WorkloadAreaMismatch { .. }
            | P::DuplicateWorkload { .. }
            | P::SubscriptionRequired
            | P::SubscriptionNotAllowed { .. }
            | P::RevenueDetailsRequired { .. }
            | P::OptOutNotAllowed { .. }
            | P::CoOpProgram { .. }
            | P::NotAssociationEngagement { .. }
            | P::CspPurchase
            | P::PurchaseChannelNotAllowed { .. }
            | P::EngagementRoleMismatch { .. } => {}
        }
    }
    all
}

pub(super) fn claim_samples(out: &mut Vec<Sample>) {
    for invariant in [
        Invariant::History,
        Invariant::Times,
        Invariant::Fields,
        Invariant::Partner,
        Invariant::Repeated,
        Invariant::Catalog,
        Invariant::Derived,
    ] {
        match invariant {
            Invariant::History
            | Invariant::Times
            | Invariant::Fields
            | Invariant::Partner
            | Invariant::Repeated
            | Invariant::Catalog
            | Invariant::Derived => {}
        }
        out.push(sample!(InvalidClaim::new(
            claim(),
            Broken::new(invariant, "a detail")
        )));
    }
    for e in [
        ClaimBytesError::Empty,
        ClaimBytesError::UnknownFormat {
            format: 9,
            known: 2,
        },
        ClaimBytesError::Corrupt {
            claim: Some(claim()),
        },
        ClaimBytesError::Corrupt { claim: None },
        ClaimBytesError::Invalid {
            offset: 3,
            reason: "a length runs past the end",
        },
        ClaimBytesError::Inconsistent(invalid_claim()),
    ] {
        match e {
            ClaimBytesError::Empty
            | ClaimBytesError::UnknownFormat { .. }
            | ClaimBytesError::Corrupt { .. }
            | ClaimBytesError::Invalid { .. }
            | ClaimBytesError::Inconsistent(_) => {}
        }
        out.push(sample!(e));
    }
    out.push(sample!("x1".parse::<crate::store::Cursor>().unwrap_err()));
    let domain = || "contoso.com".parse().unwrap();
    use Reason as R;
    for e in [
        R::PartnerNotEnrolled { partner: partner() },
        R::PartnerNotEligibleForEngagement { partner: partner() },
        R::ActorNotIncentivesAdmin,
        R::ActorOtherPartnerLocation {
            actor_partner: partner(),
            partner: PartnerId::new(7_654_321).unwrap(),
        },
        R::EngagementUnknown {
            engagement: engagement(),
        },
        R::EngagementNotMci {
            engagement: engagement(),
        },
        R::CustomerIdKindNotAllowed {
            kind: CustomerIdKind::Domain,
        },
        R::DomainUnresolved { domain: domain() },
        R::TenantEmailDomainMismatchReasonRequired {
            email_domain: domain(),
        },
        R::CustomerNotEligible {
            id: customer(),
            reason: None,
        },
        R::CustomerNotEligible {
            id: customer(),
            reason: Some(Text::parse("not a managed customer").unwrap()),
        },
        R::CustomerCapReached { active: 3, max: 3 },
        R::ActionUseClaim,
        R::ActionUseAdd,
        R::ClaimDuplicateOpen,
    ] {
        match e {
            R::PartnerNotEnrolled { .. }
            | R::PartnerNotEligibleForEngagement { .. }
            | R::ActorNotIncentivesAdmin
            | R::ActorOtherPartnerLocation { .. }
            | R::EngagementUnknown { .. }
            | R::EngagementNotMci { .. }
            | R::CustomerIdKindNotAllowed { .. }
            | R::DomainUnresolved { .. }
            | R::TenantEmailDomainMismatchReasonRequired { .. }
            | R::CustomerNotEligible { .. }
            | R::CustomerCapReached { .. }
            | R::ActionUseClaim
            | R::ActionUseAdd
            | R::ClaimDuplicateOpen => {}
        }
        out.push(sample!(e));
    }
}
