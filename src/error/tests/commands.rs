//! Samples of the errors of commands, stores and the service.

use super::values::{
    at, boxed, claim, customer, engagement, form_problems, invalid_claim, partner, year,
};
use crate::activity::{ActivityCommandKind, ActivityError, ActivityState, EvidenceKind};
use crate::actor::ActorKind;
use crate::association::{
    AssociationError, AssociationKey, AssociationState, CommandKind, FormErrors, KeyUnit,
    RejectionReason,
};
use crate::catalog::ProgramYear;
use crate::claim::{CountedKey, UniqueKey};
use crate::eligibility::Reason;
use crate::money::MoneyError;
use crate::service::ServiceError;
use crate::store::{StoreError, Version};

pub(super) const ACTORS: [ActorKind; 6] = [
    ActorKind::IncentivesAdmin,
    ActorKind::IncentivesUser,
    ActorKind::OtherPartnerUser,
    ActorKind::Reviewer,
    ActorKind::Customer,
    ActorKind::System,
];

pub(super) fn association_errors() -> Vec<AssociationError> {
    use AssociationError as A;
    let mut all: Vec<A> = ACTORS
        .into_iter()
        .map(|actor| A::Forbidden {
            command: CommandKind::Approve,
            actor,
        })
        .collect();
    all.extend([
        A::NotFound { claim: claim() },
        A::RequestSeen { claim: claim() },
        A::ForbiddenLocation { partner: partner() },
        A::InvalidState {
            command: CommandKind::EditDraft,
            state: AssociationState::Submitted,
        },
        A::Form(FormErrors::from_problems(form_problems())),
        A::PoeRequired,
        A::AcknowledgementRequired,
        A::NotDue { due: Some(at()) },
        A::NotDue { due: None },
        A::DeadlinePassed { deadline: at() },
        A::AlreadyDisputed,
        A::NotDisputable {
            reason: RejectionReason::CustomerDeclined,
        },
        A::DisputeWindowClosed { closed_at: at() },
        A::SupersedeSelf,
        A::CatalogMismatch {
            claim: year(),
            catalog: ProgramYear::new(27).unwrap(),
        },
        A::TimeWentBack {
            last: at(),
            now: at(),
        },
        A::DateOutOfRange,
    ]);
    for e in &all {
        match e {
            A::NotFound { .. }
            | A::Forbidden { .. }
            | A::RequestSeen { .. }
            | A::ForbiddenLocation { .. }
            | A::InvalidState { .. }
            | A::Form(_)
            | A::PoeRequired
            | A::AcknowledgementRequired
            | A::NotDue { .. }
            | A::DeadlinePassed { .. }
            | A::AlreadyDisputed
            | A::NotDisputable { .. }
            | A::DisputeWindowClosed { .. }
            | A::SupersedeSelf
            | A::CatalogMismatch { .. }
            | A::TimeWentBack { .. }
            | A::DateOutOfRange => {}
        }
    }
    all
}

pub(super) fn activity_errors() -> Vec<ActivityError> {
    use ActivityError as A;
    let mut all: Vec<A> = ACTORS
        .into_iter()
        .map(|actor| A::Forbidden {
            command: ActivityCommandKind::SendConsent,
            actor,
        })
        .collect();
    all.extend([
        A::RequestSeen { claim: claim() },
        A::NotFound { claim: claim() },
        A::InvalidState {
            command: ActivityCommandKind::SendConsent,
            state: ActivityState::ConsentReceived,
        },
        A::DeadlinePassed { deadline: at() },
        A::NotDue { due: Some(at()) },
        A::EvidenceMissing {
            missing: vec![EvidenceKind::Poe, EvidenceKind::CustomerSurvey],
        },
        A::HoursImmutable {
            current: Some(10),
            requested: 12,
        },
        A::HoursImmutable {
            current: None,
            requested: 12,
        },
        A::DealSizeImmutable,
        A::ContactsLocked,
        A::ReferralHidden,
        A::ReferralAlreadyLinked,
        A::NotEligible {
            engagement: engagement(),
            reasons: vec![Reason::ActorNotIncentivesAdmin, Reason::ClaimDuplicateOpen],
        },
        A::VariablePayShape,
        A::HoursNotApplicable,
        A::EngagementChoice,
        A::UnknownEngagement {
            engagement: engagement(),
        },
        A::OtherPartner,
        A::Money(MoneyError::Overflow {
            expression: "150.00 × 40".to_owned(),
        }),
        A::CatalogMismatch {
            claim: year(),
            catalog: ProgramYear::new(27).unwrap(),
        },
        A::TimeWentBack {
            last: at(),
            now: at(),
        },
    ]);
    for e in &all {
        match e {
            A::RequestSeen { .. }
            | A::NotFound { .. }
            | A::Forbidden { .. }
            | A::InvalidState { .. }
            | A::DeadlinePassed { .. }
            | A::NotDue { .. }
            | A::EvidenceMissing { .. }
            | A::HoursImmutable { .. }
            | A::DealSizeImmutable
            | A::ContactsLocked
            | A::ReferralHidden
            | A::ReferralAlreadyLinked
            | A::NotEligible { .. }
            | A::VariablePayShape
            | A::HoursNotApplicable
            | A::EngagementChoice
            | A::UnknownEngagement { .. }
            | A::OtherPartner
            | A::Money(_)
            | A::CatalogMismatch { .. }
            | A::TimeWentBack { .. } => {}
        }
    }
    all
}

pub(super) fn store_errors() -> Vec<StoreError> {
    use StoreError as S;
    let key = AssociationKey {
        engagement: engagement(),
        tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47".parse().unwrap(),
        unit: KeyUnit::Workload("teams".parse().unwrap()),
    };
    let all = vec![
        S::Conflict {
            claim: claim(),
            expected: Some(Version::FIRST),
            actual: None,
        },
        S::KeyHeld {
            key: UniqueKey::Associated { key },
            holder: claim(),
        },
        S::LimitReached {
            key: CountedKey {
                engagement: engagement(),
                customer: customer(),
            },
            limit: 3,
        },
        S::NotFound { claim: claim() },
        S::IdConflict { claim: claim() },
        S::DuplicateWrite { claim: claim() },
        S::Invalid(invalid_claim()),
        S::Corrupt {
            claim: None,
            what: "the checksum does not match".to_owned(),
        },
        S::Unavailable { source: boxed() },
        S::Timeout {
            what: "statement",
            source: boxed(),
        },
        S::Backend { source: boxed() },
    ];
    for e in &all {
        match e {
            S::Conflict { .. }
            | S::KeyHeld { .. }
            | S::LimitReached { .. }
            | S::NotFound { .. }
            | S::IdConflict { .. }
            | S::DuplicateWrite { .. }
            | S::Invalid(_)
            | S::Corrupt { .. }
            | S::Unavailable { .. }
            | S::Timeout { .. }
            | S::Backend { .. } => {}
        }
    }
    all
}

pub(super) fn service_errors() -> Vec<ServiceError> {
    use ServiceError as S;
    let mut all: Vec<S> = store_errors().into_iter().map(S::Store).collect();
    all.extend(association_errors().into_iter().map(S::Association));
    all.extend(activity_errors().into_iter().map(S::Activity));
    all.extend([
        S::NotFound { claim: claim() },
        S::UnknownProgramYear { year: year() },
        S::NotAHolder {
            claim: claim(),
            holder: claim(),
        },
        S::SupersedeOnlyByArbitration { claim: claim() },
        S::RequestReused { claim: claim() },
        S::Contended {
            claim: claim(),
            attempts: 5,
        },
    ]);
    for e in &all {
        match e {
            S::Association(_)
            | S::Activity(_)
            | S::Store(_)
            | S::NotFound { .. }
            | S::UnknownProgramYear { .. }
            | S::NotAHolder { .. }
            | S::SupersedeOnlyByArbitration { .. }
            | S::RequestReused { .. }
            | S::Contended { .. } => {}
        }
    }
    all
}
