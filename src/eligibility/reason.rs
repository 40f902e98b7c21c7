//! Why a nomination is not eligible: one [`Reason`] per failing check, each with a stable code.

use std::fmt;

use crate::catalog::EngagementId;
use crate::error::ErrorKind;
use crate::id::{CustomerId, CustomerIdKind, DomainName, PartnerId};
use crate::text::Text;

/// The reasons of the seven eligibility checks, in the order [`check`](super::check) runs them
/// (see the [guide](crate::guide::rules#eligibility)).
///
/// Every [`Reason`] belongs to one step; the reasons of a decision never go back to an earlier
/// step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Step {
    /// 1. The partner location is enrolled in MCI and eligible for the engagement.
    PartnerLocation,
    /// 2. The user is an Incentives admin of that partner location.
    Actor,
    /// 3. The engagement is a known MCI engagement that allows the customer ID's kind.
    Engagement,
    /// 4. A domain resolves to a tenant.
    Domain,
    /// 5. A tenant ID matches the customer's email domain, or the mismatch is explained.
    EmailDomain,
    /// 6. The checked ID (the nominated ID, or a domain's tenant) is eligible.
    CustomerId,
    /// 7. Per-customer cap, add-xor-claim, and no duplicate open claim.
    Limits,
}

impl Step {
    /// Every step, in check order.
    pub const ALL: [Self; 7] = [
        Self::PartnerLocation,
        Self::Actor,
        Self::Engagement,
        Self::Domain,
        Self::EmailDomain,
        Self::CustomerId,
        Self::Limits,
    ];
}

/// One failing eligibility check.
///
/// [`code`](Self::code) is stable and machine-readable; `Display` is a lowercase message for
/// people. Each code appears at most once in a decision, and the reasons of a decision are in
/// the order of [`Reason::CODES`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// `partner.not_enrolled`: the partner location is not enrolled in MCI.
    PartnerNotEnrolled {
        /// The partner location.
        partner: PartnerId,
    },
    /// `partner.not_eligible_for_engagement`: the partner location is enrolled in MCI but not
    /// eligible for this engagement.
    PartnerNotEligibleForEngagement {
        /// The partner location.
        partner: PartnerId,
    },
    /// `actor.not_incentives_admin`: the user does not hold the Incentives admin role, or is not
    /// a partner user at all. Adding and claiming customers are admin actions.
    ActorNotIncentivesAdmin,
    /// `actor.other_partner_location`: the user acts for another partner location than the one
    /// chosen for the claim.
    ActorOtherPartnerLocation {
        /// The location the user acts for.
        actor_partner: PartnerId,
        /// The location chosen for the claim.
        partner: PartnerId,
    },
    /// `engagement.unknown`: the catalog has no such engagement.
    EngagementUnknown {
        /// The engagement asked for.
        engagement: EngagementId,
    },
    /// `engagement.not_mci`: the engagement is a CPOR engagement, not an MCI one.
    EngagementNotMci {
        /// The engagement asked for.
        engagement: EngagementId,
    },
    /// `customer_id.kind_not_allowed`: the engagement does not nominate customers by this kind
    /// of ID (variable pay takes MSX opportunity IDs only).
    CustomerIdKindNotAllowed {
        /// The kind of the nominated ID.
        kind: CustomerIdKind,
    },
    /// `domain.unresolved`: the nominated domain does not resolve to a tenant.
    DomainUnresolved {
        /// The domain.
        domain: DomainName,
    },
    /// `tenant.email_domain_mismatch_reason_required`: the nominated tenant does not own the
    /// customer's email domain, and no mismatch reason was given.
    TenantEmailDomainMismatchReasonRequired {
        /// The customer's email domain.
        email_domain: DomainName,
    },
    /// `customer.not_eligible`: the checked ID is not eligible for the engagement.
    CustomerNotEligible {
        /// The ID that was checked: the nominated ID, or the tenant a domain resolved to.
        id: CustomerId,
        /// The application's reason; `None` when the facts had no eligibility data for the ID.
        reason: Option<Text>,
    },
    /// `customer.cap_reached`: the customer already has the most active claims allowed for the
    /// engagement, counted across all partners.
    CustomerCapReached {
        /// Active claims, across all partners.
        active: u32,
        /// The engagement's `max_active_claims_per_customer`.
        max: u32,
    },
    /// `action.use_claim`: the partner knows this customer from another engagement, so it must
    /// *claim* the customer, not add it.
    ActionUseClaim,
    /// `action.use_add`: the partner does not know this customer from another engagement, so it
    /// must *add* the customer, not claim it.
    ActionUseAdd,
    /// `claim.duplicate_open`: the partner location already has an open claim for this
    /// engagement and customer.
    ClaimDuplicateOpen,
}

impl Reason {
    /// Every code, in check order.
    pub const CODES: [&'static str; 14] = [
        "partner.not_enrolled",
        "partner.not_eligible_for_engagement",
        "actor.not_incentives_admin",
        "actor.other_partner_location",
        "engagement.unknown",
        "engagement.not_mci",
        "customer_id.kind_not_allowed",
        "domain.unresolved",
        "tenant.email_domain_mismatch_reason_required",
        "customer.not_eligible",
        "customer.cap_reached",
        "action.use_claim",
        "action.use_add",
        "claim.duplicate_open",
    ];

    /// The stable machine-readable code, such as `customer.cap_reached`; one of
    /// [`Reason::CODES`].
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::PartnerNotEnrolled { .. } => "partner.not_enrolled",
            Self::PartnerNotEligibleForEngagement { .. } => "partner.not_eligible_for_engagement",
            Self::ActorNotIncentivesAdmin => "actor.not_incentives_admin",
            Self::ActorOtherPartnerLocation { .. } => "actor.other_partner_location",
            Self::EngagementUnknown { .. } => "engagement.unknown",
            Self::EngagementNotMci { .. } => "engagement.not_mci",
            Self::CustomerIdKindNotAllowed { .. } => "customer_id.kind_not_allowed",
            Self::DomainUnresolved { .. } => "domain.unresolved",
            Self::TenantEmailDomainMismatchReasonRequired { .. } => {
                "tenant.email_domain_mismatch_reason_required"
            }
            Self::CustomerNotEligible { .. } => "customer.not_eligible",
            Self::CustomerCapReached { .. } => "customer.cap_reached",
            Self::ActionUseClaim => "action.use_claim",
            Self::ActionUseAdd => "action.use_add",
            Self::ClaimDuplicateOpen => "claim.duplicate_open",
        }
    }

    /// What kind of failure this reason is, for an application that answers one reason:
    /// [`Forbidden`](ErrorKind::Forbidden) for the partner location and actor checks
    /// (`partner.*`, `actor.*`), [`Conflict`](ErrorKind::Conflict) for a limit the
    /// customer's or location's claims reach (`customer.cap_reached`,
    /// `claim.duplicate_open`), and [`Invalid`](ErrorKind::Invalid) for the others. A refused
    /// creation, [`ActivityError::NotEligible`](crate::activity::ActivityError::NotEligible),
    /// is [`Invalid`](ErrorKind::Invalid) whatever its reasons.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::PartnerNotEnrolled { .. }
            | Self::PartnerNotEligibleForEngagement { .. }
            | Self::ActorNotIncentivesAdmin
            | Self::ActorOtherPartnerLocation { .. } => ErrorKind::Forbidden,
            Self::EngagementUnknown { .. }
            | Self::EngagementNotMci { .. }
            | Self::CustomerIdKindNotAllowed { .. }
            | Self::DomainUnresolved { .. }
            | Self::TenantEmailDomainMismatchReasonRequired { .. }
            | Self::CustomerNotEligible { .. }
            | Self::ActionUseClaim
            | Self::ActionUseAdd => ErrorKind::Invalid,
            Self::CustomerCapReached { .. } | Self::ClaimDuplicateOpen => ErrorKind::Conflict,
        }
    }

    /// Whether trying again may succeed: never, the same nomination and facts give the same
    /// reason.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }

    /// The check this reason comes from.
    #[must_use]
    pub const fn step(&self) -> Step {
        match self {
            Self::PartnerNotEnrolled { .. } | Self::PartnerNotEligibleForEngagement { .. } => {
                Step::PartnerLocation
            }
            Self::ActorNotIncentivesAdmin | Self::ActorOtherPartnerLocation { .. } => Step::Actor,
            Self::EngagementUnknown { .. }
            | Self::EngagementNotMci { .. }
            | Self::CustomerIdKindNotAllowed { .. } => Step::Engagement,
            Self::DomainUnresolved { .. } => Step::Domain,
            Self::TenantEmailDomainMismatchReasonRequired { .. } => Step::EmailDomain,
            Self::CustomerNotEligible { .. } => Step::CustomerId,
            Self::CustomerCapReached { .. }
            | Self::ActionUseClaim
            | Self::ActionUseAdd
            | Self::ClaimDuplicateOpen => Step::Limits,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PartnerNotEnrolled { partner } => {
                write!(f, "partner location {partner} is not enrolled in mci")
            }
            Self::PartnerNotEligibleForEngagement { partner } => write!(
                f,
                "partner location {partner} is enrolled in mci but not eligible for this engagement"
            ),
            Self::ActorNotIncentivesAdmin => {
                f.write_str("adding or claiming a customer needs the incentives admin role")
            }
            Self::ActorOtherPartnerLocation {
                actor_partner,
                partner,
            } => write!(
                f,
                "the user acts for partner location {actor_partner}, not {partner}"
            ),
            Self::EngagementUnknown { engagement } => {
                write!(f, "engagement {engagement} is not in the catalog")
            }
            Self::EngagementNotMci { engagement } => write!(
                f,
                "engagement {engagement} is not an mci partner-activity engagement"
            ),
            Self::CustomerIdKindNotAllowed { kind } => write!(
                f,
                "this engagement does not nominate customers by {}",
                kind_name(*kind)
            ),
            Self::DomainUnresolved { domain } => {
                write!(f, "domain {domain} does not resolve to a tenant")
            }
            Self::TenantEmailDomainMismatchReasonRequired { email_domain } => write!(
                f,
                "the tenant does not match the customer's email domain {email_domain}: a reason is required"
            ),
            Self::CustomerNotEligible { id, reason: None } => {
                write!(f, "customer {id} is not eligible: no eligibility data")
            }
            Self::CustomerNotEligible {
                id,
                reason: Some(reason),
            } => write!(f, "customer {id} is not eligible: {reason}"),
            Self::CustomerCapReached { active, max } => write!(
                f,
                "the customer has {active} active claims for this engagement, the most allowed is {max}"
            ),
            Self::ActionUseClaim => f.write_str(
                "the customer is known from another engagement: claim it instead of adding it",
            ),
            Self::ActionUseAdd => f.write_str(
                "the customer is not known from another engagement: add it instead of claiming it",
            ),
            Self::ClaimDuplicateOpen => f.write_str(
                "the partner location already has an open claim for this engagement and customer",
            ),
        }
    }
}

/// The human name of an ID kind, for messages.
const fn kind_name(kind: CustomerIdKind) -> &'static str {
    match kind {
        CustomerIdKind::Domain => "domain name",
        CustomerIdKind::Tenant => "tenant id",
        CustomerIdKind::Tpid => "tpid",
        CustomerIdKind::AzureSubscription => "azure subscription id",
        CustomerIdKind::MsxOpportunity => "msx opportunity id",
    }
}

/// A reason serializes as its stable code and its message, such as
/// `{"code": "customer.cap_reached", "message": "..."}`: what a service shows a partner.
impl serde::Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut reason = serializer.serialize_struct("Reason", 2)?;
        reason.serialize_field("code", self.code())?;
        reason.serialize_field("message", &self.to_string())?;
        reason.end()
    }
}
