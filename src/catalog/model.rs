//! The items of a catalog: solution areas, workloads, engagements, roles, engagement types
//! and the CPOR timing rules.
//!
//! Items are plain data with public fields. They are checked as a whole when a
//! [`Catalog`](super::Catalog) is built from them, never one by one.

use serde::{Deserialize, Serialize};

use super::key::{
    EngagementId, EngagementTypeId, RoleId, SolutionAreaId, WorkloadGroupId, WorkloadId,
};
use crate::id::CustomerIdKind;
use crate::money::{MoneyError, Usd, proposed_payout};

/// A solution area, such as Business Applications or Modern Work and Security.
///
/// A solution area groups the partner roles of CPOR claims and the workloads or products
/// that a claim may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SolutionArea {
    /// Its key, such as `modern_work_security`.
    pub id: SolutionAreaId,
    /// Its display name, such as `Modern Work and Security`.
    pub name: String,
    /// The workload groups that this area shows, such as `modern_work` and `security`.
    ///
    /// Every workload of the area belongs to at least one of them.
    pub workload_groups: Vec<WorkloadGroupId>,
}

/// A workload (Modern Work and Security) or product (Business Applications) that a CPOR claim
/// may name.
///
/// A workload belongs to one solution area and to one or more of that area's workload
/// groups. Intune, which the help pages list under both Modern Work and Security, is **one**
/// workload with the groups `modern_work` and `security`: a claim on Intune is one claim on
/// one key, whichever list the partner picked it from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Its key, such as `teams_phone`.
    pub id: WorkloadId,
    /// Its display name, such as `Teams Phone`.
    pub name: String,
    /// The solution area it belongs to.
    pub solution_area: SolutionAreaId,
    /// The workload groups it is listed under; at least one, each declared by its solution
    /// area.
    pub groups: Vec<WorkloadGroupId>,
}

impl Workload {
    /// Whether the workload is listed under `group`.
    #[must_use]
    pub fn is_in_group(&self, group: &WorkloadGroupId) -> bool {
        self.groups.contains(group)
    }
}

/// An engagement: a program that claims are made for.
///
/// Its [`kind`](Engagement::kind) says whether it is a CPOR customer-association engagement
/// or an MCI partner-activity engagement, and carries that family's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Engagement {
    /// Its key, such as `mws_usage`.
    pub id: EngagementId,
    /// Its display name for the program year, such as `Modern Work and Security Usage`.
    pub name: String,
    /// The claim family and its rules.
    pub kind: EngagementKind,
}

impl Engagement {
    /// The CPOR rules, if this is a customer-association engagement.
    #[must_use]
    pub const fn as_cpor(&self) -> Option<&CporEngagement> {
        match &self.kind {
            EngagementKind::Cpor(cpor) => Some(cpor),
            EngagementKind::Mci(_) => None,
        }
    }

    /// The MCI rules, if this is a partner-activity engagement.
    #[must_use]
    pub const fn as_mci(&self) -> Option<&MciEngagement> {
        match &self.kind {
            EngagementKind::Mci(mci) => Some(mci),
            EngagementKind::Cpor(_) => None,
        }
    }

    /// Whether this is a CPOR customer-association engagement.
    #[must_use]
    pub const fn is_cpor(&self) -> bool {
        self.as_cpor().is_some()
    }

    /// Whether this is an MCI partner-activity engagement.
    #[must_use]
    pub const fn is_mci(&self) -> bool {
        self.as_mci().is_some()
    }
}

/// The claim family of an [`Engagement`], with its rules.
///
/// In JSON the family is the `type` field: `{"type": "cpor", ...}` or `{"type": "mci", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EngagementKind {
    /// A customer-association (CPOR) engagement.
    Cpor(CporEngagement),
    /// A partner-activity (MCI) engagement.
    Mci(MciEngagement),
}

/// The rules of a CPOR customer-association engagement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CporEngagement {
    /// The solution area whose roles and workloads the engagement uses.
    pub solution_area: SolutionAreaId,
    /// What a claim associates the partner with: workloads or a subscription.
    pub unit: AssociationUnit,
    /// Whether and how the association is paid.
    pub incentive: Incentive,
}

impl CporEngagement {
    /// Whether a claim must name the Dynamics solution seller, the customer and the ISV
    /// product (revenue-association-only engagements).
    #[must_use]
    pub const fn requires_revenue_details(&self) -> bool {
        self.incentive.requires_revenue_details()
    }

    /// Whether the partner may tick "opt out of incentive payments" on a claim.
    #[must_use]
    pub const fn opt_out_allowed(&self) -> bool {
        self.incentive.opt_out_allowed()
    }
}

/// What a CPOR claim associates a partner with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AssociationUnit {
    /// One or more workloads of a tenant (Modern Work and Security). Each workload is its own
    /// association key.
    Workload,
    /// One subscription of a tenant, with its products (Business Applications).
    Subscription,
}

/// Whether and how a CPOR association is paid.
///
/// In JSON: `{"type": "paid", "opt_out_allowed": true}`, `{"type": "recognition_only"}` or
/// `{"type": "revenue_association_only"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Incentive {
    /// The association earns an incentive payment.
    Paid {
        /// Whether the partner may opt out of incentive payments on a claim (Modern Work and
        /// Security usage).
        opt_out_allowed: bool,
    },
    /// The association is recognised but not paid ("Non-incentivized").
    RecognitionOnly,
    /// The association only ties influenced revenue to the partner ("Non-incentivized").
    /// Claims must name the Dynamics solution seller, the customer and the ISV product.
    RevenueAssociationOnly,
}

impl Incentive {
    /// Whether the association earns an incentive payment.
    #[must_use]
    pub const fn is_paid(self) -> bool {
        matches!(self, Self::Paid { .. })
    }

    /// Whether the partner may opt out of incentive payments.
    #[must_use]
    pub const fn opt_out_allowed(self) -> bool {
        matches!(
            self,
            Self::Paid {
                opt_out_allowed: true
            }
        )
    }

    /// Whether a claim must name the Dynamics solution seller, the customer and the ISV
    /// product.
    #[must_use]
    pub const fn requires_revenue_details(self) -> bool {
        matches!(self, Self::RevenueAssociationOnly)
    }
}

/// Default for [`MciEngagement::max_active_claims_per_customer`].
const fn one() -> u32 {
    1
}

/// The rules of an MCI partner-activity engagement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MciEngagement {
    /// The engagement type, which selects the deadline table.
    pub engagement_type: EngagementTypeId,
    /// Fixed or variable pay.
    pub payout: Payout,
    /// The customer ID kinds by which a customer may be nominated.
    ///
    /// Variable pay allows [`CustomerIdKind::MsxOpportunity`] only; fixed pay allows a
    /// non-empty subset of domain, tenant, TPID and Azure subscription.
    pub allowed_id_kinds: Vec<CustomerIdKind>,
    /// How many active claims one customer may have for this engagement, across all
    /// partners. Once reached, the customer is not eligible. Default 1 (an interpretation:
    /// the help pages say there is a limit, not its value).
    #[serde(default = "one")]
    pub max_active_claims_per_customer: u32,
    /// Whether a partner-led referral is created for claims of this engagement.
    #[serde(default)]
    pub referral_enabled: bool,
    /// Whether an invoice is required before submitting.
    #[serde(default)]
    pub requires_invoice: bool,
    /// Whether a completed customer survey is required before submitting.
    #[serde(default)]
    pub requires_customer_survey: bool,
}

impl MciEngagement {
    /// Whether a customer may be nominated by an ID of this kind.
    #[must_use]
    pub fn allows(&self, kind: CustomerIdKind) -> bool {
        self.allowed_id_kinds.contains(&kind)
    }

    /// Whether the engagement pays by the hour.
    #[must_use]
    pub const fn is_variable_pay(&self) -> bool {
        matches!(self.payout, Payout::Variable { .. })
    }

    /// The proposed payout for `hours`, for a variable-pay engagement; `None` for fixed pay.
    ///
    /// See [`Payout::proposed_payout`].
    ///
    /// # Errors
    ///
    /// [`MoneyError::Overflow`] if the amount is above [`Usd::MAX`] and there is no cap.
    pub fn proposed_payout(&self, hours: u32) -> Result<Option<Usd>, MoneyError> {
        self.payout.proposed_payout(hours)
    }
}

/// How an MCI engagement pays.
///
/// In JSON: `{"type": "fixed"}` or
/// `{"type": "variable", "hourly_rate": "150.00", "max_hours": 40, "cap": "5000.00"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Payout {
    /// A fixed amount per delivered engagement, set by the program outside this catalog.
    Fixed,
    /// Paid by the hour, with a ceiling on the hours and an optional cap on the amount.
    Variable {
        /// The rate per hour.
        hourly_rate: Usd,
        /// The most hours that are paid.
        max_hours: u32,
        /// The most that one claim is paid, if set.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cap: Option<Usd>,
    },
}

impl Payout {
    /// The proposed payout for `hours`: `min(hours, max_hours) × hourly_rate`, capped at
    /// `cap`, for variable pay; `None` for fixed pay.
    ///
    /// See [`proposed_payout`](crate::money::proposed_payout).
    ///
    /// # Errors
    ///
    /// [`MoneyError::Overflow`] if the amount is above [`Usd::MAX`] and there is no cap.
    pub fn proposed_payout(self, hours: u32) -> Result<Option<Usd>, MoneyError> {
        match self {
            Self::Fixed => Ok(None),
            Self::Variable {
                hourly_rate,
                max_hours,
                cap,
            } => proposed_payout(hours, max_hours, hourly_rate, cap).map(Some),
        }
    }
}

/// A partner role of a CPOR claim, such as `Use or consume`.
///
/// The partner picks a solution area, then a role; the role decides the engagement, and so
/// the unit of association and the incentive. Every role maps to exactly one CPOR engagement
/// of the same solution area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PartnerRole {
    /// Its key, such as `use_or_consume`.
    pub id: RoleId,
    /// Its display name, such as `Use or consume`.
    pub name: String,
    /// The solution area it is offered in.
    pub solution_area: SolutionAreaId,
    /// The CPOR engagement a claim with this role is made for.
    pub engagement: EngagementId,
}

/// An MCI engagement type, such as Workshop, with its deadline table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EngagementType {
    /// Its key, such as `workshop`.
    pub id: EngagementTypeId,
    /// Its display name, such as `Workshop`.
    pub name: String,
    /// Its deadlines.
    pub deadlines: MciDeadlines,
}

/// The deadlines of an MCI engagement type, in **calendar** days.
///
/// Every value is at least 1, and the review deadline is not before the first-submit
/// deadline (both count from consent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MciDeadlines {
    /// Days from the claim's creation for the customer to consent.
    pub consent_days: u32,
    /// Days from consent for the first submission.
    pub first_submit_days: u32,
    /// Days from consent for the review to be complete, including any info requests.
    pub review_days: u32,
    /// Days from a rejection to dispute it.
    pub dispute_days: u32,
    /// Days from a dispute's resubmission during which further info requests may be
    /// answered: one fresh window after a dispute.
    pub post_dispute_days: u32,
}

/// The timing rules of CPOR claims.
///
/// [`CporRules::default`] holds the documented values; each is data so a program year may
/// change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CporRules {
    /// Business days from the customer's notification to opt out; after them an approved
    /// association is official. Default 5.
    pub opt_out_business_days: u32,
    /// Business days the partner has to answer an info request before the claim is rejected.
    /// Default 14.
    pub info_request_business_days: u32,
    /// Calendar days from a rejection to dispute it. Default 30.
    pub dispute_days: u32,
    /// Business days from submission within which review should start (informational).
    /// Default 5.
    pub review_start_sla_business_days: u32,
    /// Business days a review should take once started (informational). Default 14.
    pub review_sla_business_days: u32,
}

impl Default for CporRules {
    /// 5 business days to opt out, 14 to answer an info request, 30 calendar days to dispute,
    /// review SLAs of 5 and 14 business days.
    fn default() -> Self {
        Self {
            opt_out_business_days: 5,
            info_request_business_days: 14,
            dispute_days: 30,
            review_start_sla_business_days: 5,
            review_sla_business_days: 14,
        }
    }
}
