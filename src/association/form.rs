//! The claim form as a partner fills it in, and its validation against a catalog.
//!
//! A form holds raw text, as a web form would. [`AssociationForm::validate`] checks every field
//! and reports **every** problem at once, each with a stable code, or returns the typed
//! [`AssociationContent`] of a claim.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::{
    AssociationUnit, Catalog, Engagement, EngagementId, RoleId, SolutionAreaId, WorkloadId,
};
use crate::error::ErrorKind;
use crate::id::{EmailAddress, IdError, PartnerId, SubscriptionId, TenantId};
use crate::text::{Text, TextError};

/// A field of an association claim, as named in form problems and in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Field {
    /// The claim name.
    Name,
    /// The partner location ID.
    Partner,
    /// The customer tenant ID.
    Tenant,
    /// The solution area.
    SolutionArea,
    /// The partner role.
    Role,
    /// The engagement or program the claim is for.
    Engagement,
    /// The workloads (Modern Work and Security) or products (Business Applications).
    Workloads,
    /// The Business Applications subscription ID.
    Subscription,
    /// The customer contact's name.
    CustomerContactName,
    /// The customer contact's title.
    CustomerContactTitle,
    /// The customer contact's email.
    CustomerContactEmail,
    /// The own company contact's name.
    CompanyContactName,
    /// The own company contact's email.
    CompanyContactEmail,
    /// The Dynamics solution seller name (revenue association).
    RevenueSeller,
    /// The customer name (revenue association).
    RevenueCustomer,
    /// The ISV product or solution name (revenue association).
    RevenueIsvProduct,
    /// The "opt out of incentive payments" choice.
    IncentivePayments,
    /// The comments.
    Comments,
    /// The PoE document references.
    Poe,
    /// How the Business Applications products were bought.
    PurchaseChannel,
}

impl Field {
    /// The field's path, such as `customer_contact.email`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Partner => "partner",
            Self::Tenant => "tenant",
            Self::SolutionArea => "solution_area",
            Self::Role => "role",
            Self::Engagement => "engagement",
            Self::Workloads => "workloads",
            Self::Subscription => "subscription",
            Self::CustomerContactName => "customer_contact.name",
            Self::CustomerContactTitle => "customer_contact.title",
            Self::CustomerContactEmail => "customer_contact.email",
            Self::CompanyContactName => "company_contact.name",
            Self::CompanyContactEmail => "company_contact.email",
            Self::RevenueSeller => "revenue.seller",
            Self::RevenueCustomer => "revenue.customer",
            Self::RevenueIsvProduct => "revenue.isv_product",
            Self::IncentivePayments => "incentive_payments",
            Self::Comments => "comments",
            Self::Poe => "poe",
            Self::PurchaseChannel => "purchase_channel",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Field {
    /// Every field, in form order.
    pub const ALL: [Self; 20] = [
        Self::Name,
        Self::Partner,
        Self::Tenant,
        Self::SolutionArea,
        Self::Role,
        Self::Engagement,
        Self::Workloads,
        Self::Subscription,
        Self::CustomerContactName,
        Self::CustomerContactTitle,
        Self::CustomerContactEmail,
        Self::CompanyContactName,
        Self::CompanyContactEmail,
        Self::RevenueSeller,
        Self::RevenueCustomer,
        Self::RevenueIsvProduct,
        Self::IncentivePayments,
        Self::Comments,
        Self::Poe,
        Self::PurchaseChannel,
    ];

    const fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of [`Field`]s, such as the fields a command changed. Serialized as a list.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FieldSet(u32);

impl FieldSet {
    /// No field.
    pub const EMPTY: Self = Self(0);

    /// This set plus `field`.
    #[must_use]
    pub const fn with(self, field: Field) -> Self {
        Self(self.0 | field.bit())
    }

    /// Adds `field`.
    pub const fn insert(&mut self, field: Field) {
        self.0 |= field.bit();
    }

    /// Whether the set holds `field`.
    #[must_use]
    pub const fn contains(self, field: Field) -> bool {
        self.0 & field.bit() != 0
    }

    /// Whether the set is empty.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set as bits, bit `n` for the `n`-th field of [`Field::ALL`]: for the private
    /// binary encoding of claims.
    pub(crate) const fn bits(self) -> u32 {
        self.0
    }

    /// The set of the given bits, or `None` if a bit names no field.
    pub(crate) const fn from_bits(bits: u32) -> Option<Self> {
        // Fields are numbered from 0 in declaration order, `PurchaseChannel` last: every bit
        // up to its.
        let all = Field::PurchaseChannel.bit().wrapping_mul(2).wrapping_sub(1);
        if bits & !all == 0 {
            Some(Self(bits))
        } else {
            None
        }
    }

    /// The fields, in form order.
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

impl FromIterator<Field> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Field>>(fields: I) -> Self {
        fields.into_iter().fold(Self::EMPTY, Self::with)
    }
}

impl fmt::Debug for FieldSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for FieldSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for FieldSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Field>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

/// How a customer bought the Business Applications products a claim names. Partner roles
/// of Business Applications apply only to products bought through Volume Licensing or
/// Web-Direct; products bought through CSP are claimed through the partner's CSP (co-op)
/// claim process instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PurchaseChannel {
    /// A Volume Licensing agreement.
    VolumeLicensing,
    /// Bought online, Web-Direct.
    WebDirect,
}

impl PurchaseChannel {
    /// The snake-case name, as in JSON and in forms: `volume_licensing`, `web_direct`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VolumeLicensing => "volume_licensing",
            Self::WebDirect => "web_direct",
        }
    }
}

/// Whether a Modern Work and Security partner takes incentive payments for the association.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncentivePayments {
    /// The default: the partner is paid where the engagement pays.
    #[default]
    Wanted,
    /// The partner ticked "opt out of incentive payments" (Modern Work and Security only).
    OptedOut,
}

/// A customer contact as typed: name, title and email, all required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerContactForm {
    /// Name.
    pub name: String,
    /// Job title.
    pub title: String,
    /// Email address.
    pub email: String,
}

/// The partner's own company contact as typed: name and email, both required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompanyContactForm {
    /// Name.
    pub name: String,
    /// Email address.
    pub email: String,
}

/// The revenue-association details as typed; required only by revenue-association engagements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RevenueForm {
    /// The Dynamics solution seller name.
    pub seller: String,
    /// The customer name.
    pub customer: String,
    /// The ISV product or solution name.
    pub isv_product: String,
}

/// An association claim form, as a partner fills it in (see
/// [what a claim holds](crate::guide::association#what-a-claim-holds)).
///
/// The partner location is not on the form: it is the location the acting user works for.
/// PoE documents are attached after the draft exists, and acknowledgements are given on submit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssociationForm {
    /// The claim name.
    pub name: String,
    /// The customer tenant ID.
    pub tenant: String,
    /// The solution area key, such as `business_applications`.
    pub solution_area: String,
    /// The partner role key.
    pub role: String,
    /// The engagement or program the partner means to claim for, if the form names one: an
    /// engagement key or name, or a program name. Optional, since the role decides the
    /// engagement; when given it must be the role's engagement. A co-op program (CSP, Managed
    /// Reseller, Hosting, Surface) is refused with `form.co_op_program`.
    pub engagement: String,
    /// Workload keys (Modern Work and Security) or product keys (Business Applications).
    pub workloads: Vec<String>,
    /// The Business Applications subscription ID; required there, refused elsewhere.
    pub subscription: String,
    /// The customer contact.
    pub customer_contact: CustomerContactForm,
    /// The own company contact.
    pub company_contact: CompanyContactForm,
    /// The revenue-association details.
    pub revenue: RevenueForm,
    /// The "opt out of incentive payments" choice.
    pub incentive_payments: IncentivePayments,
    /// Optional comments.
    pub comments: String,
    /// How the products were bought, for a Business Applications claim: `volume_licensing`
    /// or `web_direct` (`csp` is refused: CSP purchases have their own claim process).
    pub purchase_channel: String,
}

/// The fields a partner may change when answering an info request (see
/// [what cannot change](crate::guide::rules#what-cannot-change)):
/// the location ID, products, contacts, PoE and comments. `None` keeps a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResubmitForm {
    /// A new partner location ID. The application checks that the user may act for it.
    pub partner: Option<String>,
    /// New workloads or products.
    pub workloads: Option<Vec<String>>,
    /// A new customer contact.
    pub customer_contact: Option<CustomerContactForm>,
    /// A new own company contact.
    pub company_contact: Option<CompanyContactForm>,
    /// More PoE document references.
    pub poe: Vec<String>,
    /// New comments (an empty string clears them).
    pub comments: Option<String>,
}

/// A customer contact: name, title and email.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CustomerContact {
    /// Name.
    pub name: Text,
    /// Job title.
    pub title: Text,
    /// Email address.
    pub email: EmailAddress,
}

/// The partner's own company contact: name and email.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CompanyContact {
    /// Name.
    pub name: Text,
    /// Email address.
    pub email: EmailAddress,
}

/// The revenue-association details.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RevenueDetails {
    /// The Dynamics solution seller name.
    pub seller: Text,
    /// The customer name.
    pub customer: Text,
    /// The ISV product or solution name.
    pub isv_product: Text,
}

/// What a claim associates the partner with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "snake_case")]
pub enum Target {
    /// Modern Work and Security: one association per workload.
    Workloads {
        /// At least one workload, without repeats, in the order given.
        workloads: Vec<WorkloadId>,
    },
    /// Business Applications: one association per subscription, naming its products.
    Subscription {
        /// The subscription.
        subscription: SubscriptionId,
        /// At least one product, without repeats, in the order given.
        products: Vec<WorkloadId>,
    },
}

impl Target {
    /// The workloads or products.
    #[must_use]
    pub fn workloads(&self) -> &[WorkloadId] {
        match self {
            Self::Workloads { workloads } => workloads,
            Self::Subscription { products, .. } => products,
        }
    }
}

/// The checked content of an association claim: what the form said, typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AssociationContent {
    /// The claim name.
    pub name: Text,
    /// The partner location.
    pub partner: PartnerId,
    /// The customer tenant.
    pub tenant: TenantId,
    /// The solution area.
    pub solution_area: SolutionAreaId,
    /// The partner role.
    pub role: RoleId,
    /// The engagement, decided by the role.
    pub engagement: EngagementId,
    /// The workloads, or the subscription and its products.
    pub target: Target,
    /// The customer contact.
    pub customer_contact: CustomerContact,
    /// The own company contact.
    pub company_contact: CompanyContact,
    /// The revenue-association details, for revenue-association engagements.
    pub revenue: Option<RevenueDetails>,
    /// Whether the partner opted out of incentive payments.
    pub incentive_payments: IncentivePayments,
    /// Optional comments.
    pub comments: Option<Text>,
    /// How the products were bought: set exactly for a claim by subscription (Business
    /// Applications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_channel: Option<PurchaseChannel>,
}

impl AssociationContent {
    /// The fields whose values differ between `self` and `other`.
    #[must_use]
    pub fn changed_fields(&self, other: &Self) -> FieldSet {
        let mut changed = FieldSet::EMPTY;
        let mut diff = |same: bool, field| {
            if !same {
                changed.insert(field);
            }
        };
        diff(self.name == other.name, Field::Name);
        diff(self.partner == other.partner, Field::Partner);
        diff(self.tenant == other.tenant, Field::Tenant);
        diff(
            self.solution_area == other.solution_area,
            Field::SolutionArea,
        );
        diff(self.role == other.role, Field::Role);
        diff(self.engagement == other.engagement, Field::Engagement);
        diff(
            self.target.workloads() == other.target.workloads(),
            Field::Workloads,
        );
        diff(
            subscription(&self.target) == subscription(&other.target),
            Field::Subscription,
        );
        diff(
            self.purchase_channel == other.purchase_channel,
            Field::PurchaseChannel,
        );
        let (a, b) = (&self.customer_contact, &other.customer_contact);
        diff(a.name == b.name, Field::CustomerContactName);
        diff(a.title == b.title, Field::CustomerContactTitle);
        diff(a.email == b.email, Field::CustomerContactEmail);
        let (a, b) = (&self.company_contact, &other.company_contact);
        diff(a.name == b.name, Field::CompanyContactName);
        diff(a.email == b.email, Field::CompanyContactEmail);
        let (a, b) = (&self.revenue, &other.revenue);
        let part = |r: &Option<RevenueDetails>, f: fn(&RevenueDetails) -> &Text| {
            r.as_ref().map(f).cloned()
        };
        diff(
            part(a, |r| &r.seller) == part(b, |r| &r.seller),
            Field::RevenueSeller,
        );
        diff(
            part(a, |r| &r.customer) == part(b, |r| &r.customer),
            Field::RevenueCustomer,
        );
        diff(
            part(a, |r| &r.isv_product) == part(b, |r| &r.isv_product),
            Field::RevenueIsvProduct,
        );
        diff(
            self.incentive_payments == other.incentive_payments,
            Field::IncentivePayments,
        );
        diff(self.comments == other.comments, Field::Comments);
        changed
    }
}

fn subscription(target: &Target) -> Option<SubscriptionId> {
    match target {
        Target::Subscription { subscription, .. } => Some(*subscription),
        Target::Workloads { .. } => None,
    }
}

/// One problem with a form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormProblem {
    /// A required field is empty.
    #[error("{field} is missing")]
    Missing {
        /// The field.
        field: Field,
    },
    /// An identifier field does not parse.
    #[error("{field}: {error}")]
    InvalidId {
        /// The field.
        field: Field,
        /// Why.
        error: IdError,
    },
    /// A text field is not acceptable text.
    #[error("{field}: {error}")]
    InvalidText {
        /// The field.
        field: Field,
        /// Why.
        error: TextError,
    },
    /// A key that the catalog does not know.
    #[error("{field} {value:?} is not in the catalog")]
    Unknown {
        /// The field.
        field: Field,
        /// The value, cut to 64 characters.
        value: String,
    },
    /// A role chosen against the wrong solution area. A wrong role "may result in missed
    /// eligibility and incentive earnings", so this is an error, not a warning.
    #[error("role {role:?} does not belong to solution area {solution_area:?}")]
    RoleAreaMismatch {
        /// The role.
        role: String,
        /// The chosen solution area.
        solution_area: String,
    },
    /// A workload or product of another solution area.
    #[error("workloads: {workload:?} does not belong to solution area {solution_area:?}")]
    WorkloadAreaMismatch {
        /// The workload.
        workload: String,
        /// The chosen solution area.
        solution_area: String,
    },
    /// The same workload twice.
    #[error("workloads: {workload:?} is listed twice")]
    DuplicateWorkload {
        /// The workload.
        workload: String,
    },
    /// A Business Applications claim without a subscription ID.
    #[error("subscription is required for a business applications claim")]
    SubscriptionRequired,
    /// A subscription ID on a workload claim.
    #[error("subscription {value:?} is not allowed on a workload claim")]
    SubscriptionNotAllowed {
        /// The value, cut to 64 characters.
        value: String,
    },
    /// A revenue-association field missing on a revenue-association claim.
    #[error("{field} is required for a revenue association claim")]
    RevenueDetailsRequired {
        /// The field.
        field: Field,
    },
    /// Opting out of incentive payments where the engagement does not allow it.
    #[error("incentive_payments: engagement {engagement:?} does not offer an opt-out")]
    OptOutNotAllowed {
        /// The engagement.
        engagement: String,
    },
    /// A program that is not claimed through CPOR.
    #[error(
        "engagement {program:?} is not a customer association program; \
         claim it through the co-op claim process"
    )]
    CoOpProgram {
        /// The program as typed, cut to 64 characters.
        program: String,
    },
    /// An engagement that is not one of the CPOR engagements of the catalog.
    #[error(
        "engagement {value:?} is not a customer association engagement; \
         other programs are claimed through the co-op claim process"
    )]
    NotAssociationEngagement {
        /// The engagement as typed, cut to 64 characters.
        value: String,
    },
    /// Products bought through CSP: not a CPOR claim.
    #[error(
        "purchase_channel: products bought through csp are claimed through the partner's csp \
         (co-op) claim process, not by a customer association claim"
    )]
    CspPurchase,
    /// A purchase channel on a claim by workload, which has none.
    #[error("purchase_channel {value:?} is not allowed on a workload claim")]
    PurchaseChannelNotAllowed {
        /// The channel given (cut to 64 characters).
        value: String,
    },
    /// An engagement that is not the role's.
    #[error("engagement {engagement:?} is not the engagement of role {role:?}")]
    EngagementRoleMismatch {
        /// The engagement as typed.
        engagement: String,
        /// The role.
        role: String,
    },
}

impl FormProblem {
    /// The stable machine-readable code, such as `form.missing`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Missing { .. } => "form.missing",
            Self::InvalidId { .. } => "form.invalid_id",
            Self::InvalidText { .. } => "form.invalid_text",
            Self::Unknown { .. } => "form.unknown",
            Self::RoleAreaMismatch { .. } => "form.role_area_mismatch",
            Self::WorkloadAreaMismatch { .. } => "form.workload_area_mismatch",
            Self::DuplicateWorkload { .. } => "form.duplicate_workload",
            Self::SubscriptionRequired => "form.subscription_required",
            Self::SubscriptionNotAllowed { .. } => "form.subscription_not_allowed",
            Self::RevenueDetailsRequired { .. } => "form.revenue_details_required",
            Self::OptOutNotAllowed { .. } => "form.opt_out_not_allowed",
            Self::CoOpProgram { .. } => "form.co_op_program",
            Self::NotAssociationEngagement { .. } => "form.not_association_engagement",
            Self::EngagementRoleMismatch { .. } => "form.engagement_role_mismatch",
            Self::CspPurchase => "form.csp_purchase",
            Self::PurchaseChannelNotAllowed { .. } => "form.purchase_channel_not_allowed",
        }
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`], the form breaks a rule.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }

    /// Whether trying again may succeed: never, the same form is refused again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }

    /// The field the problem is about.
    #[must_use]
    pub const fn field(&self) -> Field {
        match self {
            Self::Missing { field }
            | Self::InvalidId { field, .. }
            | Self::InvalidText { field, .. }
            | Self::Unknown { field, .. }
            | Self::RevenueDetailsRequired { field } => *field,
            Self::RoleAreaMismatch { .. } => Field::Role,
            Self::WorkloadAreaMismatch { .. } | Self::DuplicateWorkload { .. } => Field::Workloads,
            Self::SubscriptionRequired | Self::SubscriptionNotAllowed { .. } => Field::Subscription,
            Self::OptOutNotAllowed { .. } => Field::IncentivePayments,
            Self::CspPurchase | Self::PurchaseChannelNotAllowed { .. } => Field::PurchaseChannel,
            Self::CoOpProgram { .. }
            | Self::NotAssociationEngagement { .. }
            | Self::EngagementRoleMismatch { .. } => Field::Engagement,
        }
    }
}

/// Every problem of a form; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the form has {} problem(s): {}", .problems.len(), join(.problems))]
pub struct FormErrors {
    problems: Vec<FormProblem>,
}

fn join(problems: &[FormProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl FormErrors {
    /// The problems, in field order.
    #[must_use]
    pub fn problems(&self) -> &[FormProblem] {
        &self.problems
    }

    /// The codes of the problems, in order.
    pub fn codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.problems.iter().map(FormProblem::code)
    }

    /// The errors of `problems`, for the crate's tests.
    #[cfg(test)]
    pub(crate) const fn from_problems(problems: Vec<FormProblem>) -> Self {
        Self { problems }
    }

    /// The stable machine-readable code of the refusal as a whole: `form.invalid`. Each
    /// problem has its own [code](FormProblem::code).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        "form.invalid"
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`], the form breaks a rule.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }

    /// Whether trying again may succeed: never, the same form is refused again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }
}

/// Cuts a value for echoing in a problem.
fn echo(value: &str) -> String {
    value.chars().take(crate::id::INPUT_ECHO_LIMIT).collect()
}

/// Collects problems while fields are checked.
#[derive(Default)]
struct Checker {
    problems: Vec<FormProblem>,
}

impl Checker {
    fn push(&mut self, problem: FormProblem) {
        self.problems.push(problem);
    }

    fn text(&mut self, field: Field, value: &str) -> Option<Text> {
        if value.trim().is_empty() {
            self.push(FormProblem::Missing { field });
            return None;
        }
        Text::parse(value)
            .map_err(|error| self.push(FormProblem::InvalidText { field, error }))
            .ok()
    }

    fn optional_text(&mut self, field: Field, value: &str) -> Option<Text> {
        if value.trim().is_empty() {
            return None;
        }
        self.text(field, value)
    }

    fn id<T>(
        &mut self,
        field: Field,
        value: &str,
        parse: fn(&str) -> Result<T, IdError>,
    ) -> Option<T> {
        if value.trim().is_empty() {
            self.push(FormProblem::Missing { field });
            return None;
        }
        parse(value)
            .map_err(|error| self.push(FormProblem::InvalidId { field, error }))
            .ok()
    }

    fn customer_contact(&mut self, form: &CustomerContactForm) -> Option<CustomerContact> {
        let name = self.text(Field::CustomerContactName, &form.name);
        let title = self.text(Field::CustomerContactTitle, &form.title);
        let email = self.id(
            Field::CustomerContactEmail,
            &form.email,
            EmailAddress::parse,
        );
        Some(CustomerContact {
            name: name?,
            title: title?,
            email: email?,
        })
    }

    fn company_contact(&mut self, form: &CompanyContactForm) -> Option<CompanyContact> {
        let name = self.text(Field::CompanyContactName, &form.name);
        let email = self.id(Field::CompanyContactEmail, &form.email, EmailAddress::parse);
        Some(CompanyContact {
            name: name?,
            email: email?,
        })
    }

    /// Checks workload keys against the catalog and the solution area.
    fn workloads(
        &mut self,
        catalog: &Catalog,
        area: Option<&SolutionAreaId>,
        values: &[String],
    ) -> Option<Vec<WorkloadId>> {
        if values.is_empty() {
            self.push(FormProblem::Missing {
                field: Field::Workloads,
            });
            return None;
        }
        let mut ids: Vec<WorkloadId> = Vec::with_capacity(values.len());
        // Each workload once: a set keeps the check linear however many are given.
        let mut seen: std::collections::HashSet<WorkloadId> = std::collections::HashSet::new();
        let before = self.problems.len();
        for value in values {
            let Some(workload) = WorkloadId::parse(value)
                .ok()
                .and_then(|id| catalog.workload(&id))
            else {
                self.push(FormProblem::Unknown {
                    field: Field::Workloads,
                    value: echo(value),
                });
                continue;
            };
            if let Some(area) = area
                && &workload.solution_area != area
            {
                self.push(FormProblem::WorkloadAreaMismatch {
                    workload: workload.id.to_string(),
                    solution_area: area.to_string(),
                });
                continue;
            }
            if !seen.insert(workload.id.clone()) {
                self.push(FormProblem::DuplicateWorkload {
                    workload: workload.id.to_string(),
                });
                continue;
            }
            ids.push(workload.id.clone());
        }
        (self.problems.len() == before).then_some(ids)
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, FormErrors> {
        match value {
            Some(value) if self.problems.is_empty() => Ok(value),
            _ => Err(FormErrors {
                problems: self.problems,
            }),
        }
    }
}

/// Finds the CPOR engagement that a form's `engagement` text names: a key or a name.
fn named_engagement<'c>(catalog: &'c Catalog, text: &str) -> Option<&'c Engagement> {
    catalog
        .engagements()
        .iter()
        .find(|e| e.id.as_str() == text || e.name.eq_ignore_ascii_case(text.trim()))
}

impl AssociationForm {
    /// Checks the form against `catalog` for the partner location `partner`.
    ///
    /// # Errors
    ///
    /// [`FormErrors`] with **every** problem found, each with a stable code: missing fields,
    /// identifiers that do not parse, keys the catalog does not know, a role of another
    /// solution area, workloads of another solution area, a Business Applications claim
    /// without a subscription ID, a revenue-association claim without the seller, customer and
    /// ISV product names, an opt-out where the engagement has none, and a program outside the
    /// CPOR engagements (pointing to the co-op claim process).
    pub fn validate(
        &self,
        catalog: &Catalog,
        partner: PartnerId,
    ) -> Result<AssociationContent, FormErrors> {
        let mut check = Checker::default();
        let name = check.text(Field::Name, &self.name);
        let tenant = check.id(Field::Tenant, &self.tenant, TenantId::parse);

        let area = self.solution_area(&mut check, catalog);
        let role = self.role(&mut check, catalog, area.as_ref());
        let engagement = role
            .as_ref()
            .and_then(|role| catalog.engagement_for_role(role));
        self.check_named_engagement(&mut check, catalog, role.as_ref(), engagement);
        let rules = engagement.and_then(Engagement::as_cpor);

        let workloads = check.workloads(catalog, area.as_ref(), &self.workloads);
        let purchase_channel = self.purchase_channel(&mut check, rules.map(|r| r.unit));
        let target = match rules.map(|r| r.unit) {
            Some(AssociationUnit::Subscription) => {
                let subscription = if self.subscription.is_empty() {
                    check.push(FormProblem::SubscriptionRequired);
                    None
                } else {
                    check.id(
                        Field::Subscription,
                        &self.subscription,
                        SubscriptionId::parse,
                    )
                };
                subscription
                    .zip(workloads)
                    .map(|(subscription, products)| Target::Subscription {
                        subscription,
                        products,
                    })
            }
            Some(AssociationUnit::Workload) => {
                if !self.subscription.is_empty() {
                    check.push(FormProblem::SubscriptionNotAllowed {
                        value: echo(&self.subscription),
                    });
                }
                workloads.map(|workloads| Target::Workloads { workloads })
            }
            _ => None,
        };

        let customer_contact = check.customer_contact(&self.customer_contact);
        let company_contact = check.company_contact(&self.company_contact);

        let mut revenue = None;
        if rules.is_some_and(|r| r.requires_revenue_details()) {
            let form = &self.revenue;
            let required = |check: &mut Checker, field, value: &str| {
                if value.trim().is_empty() {
                    check.push(FormProblem::RevenueDetailsRequired { field });
                    None
                } else {
                    check.text(field, value)
                }
            };
            let seller = required(&mut check, Field::RevenueSeller, &form.seller);
            let customer = required(&mut check, Field::RevenueCustomer, &form.customer);
            let isv = required(&mut check, Field::RevenueIsvProduct, &form.isv_product);
            revenue = seller
                .zip(customer)
                .zip(isv)
                .map(|((seller, customer), isv_product)| RevenueDetails {
                    seller,
                    customer,
                    isv_product,
                });
        }
        if self.incentive_payments == IncentivePayments::OptedOut
            && rules.is_some_and(|r| !r.opt_out_allowed())
        {
            check.push(FormProblem::OptOutNotAllowed {
                engagement: engagement.map(|e| e.id.to_string()).unwrap_or_default(),
            });
        }
        let comments = check.optional_text(Field::Comments, &self.comments);
        let needs_revenue = rules.is_some_and(|r| r.requires_revenue_details());

        let content = (|| {
            Some(AssociationContent {
                name: name?,
                partner,
                tenant: tenant?,
                solution_area: area?,
                role: role?,
                engagement: engagement?.id.clone(),
                target: target?,
                customer_contact: customer_contact?,
                company_contact: company_contact?,
                revenue: if needs_revenue { Some(revenue?) } else { None },
                incentive_payments: self.incentive_payments,
                comments,
                purchase_channel,
            })
        })();
        check.finish(content)
    }

    /// The purchase channel: required on a claim by subscription (Volume Licensing or
    /// Web-Direct; CSP has its own process), not allowed on a claim by workload.
    fn purchase_channel(
        &self,
        check: &mut Checker,
        unit: Option<AssociationUnit>,
    ) -> Option<PurchaseChannel> {
        let text = self.purchase_channel.trim();
        match unit {
            Some(AssociationUnit::Subscription) => match text {
                "" => {
                    check.push(FormProblem::Missing {
                        field: Field::PurchaseChannel,
                    });
                    None
                }
                "volume_licensing" => Some(PurchaseChannel::VolumeLicensing),
                "web_direct" => Some(PurchaseChannel::WebDirect),
                other if other.eq_ignore_ascii_case("csp") => {
                    check.push(FormProblem::CspPurchase);
                    None
                }
                other => {
                    check.push(FormProblem::Unknown {
                        field: Field::PurchaseChannel,
                        value: echo(other),
                    });
                    None
                }
            },
            _ if !text.is_empty() => {
                check.push(FormProblem::PurchaseChannelNotAllowed { value: echo(text) });
                None
            }
            _ => None,
        }
    }

    fn solution_area(&self, check: &mut Checker, catalog: &Catalog) -> Option<SolutionAreaId> {
        if self.solution_area.is_empty() {
            check.push(FormProblem::Missing {
                field: Field::SolutionArea,
            });
            return None;
        }
        let found = SolutionAreaId::parse(&self.solution_area)
            .ok()
            .filter(|id| catalog.solution_area(id).is_some());
        if found.is_none() {
            check.push(FormProblem::Unknown {
                field: Field::SolutionArea,
                value: echo(&self.solution_area),
            });
        }
        found
    }

    fn role(
        &self,
        check: &mut Checker,
        catalog: &Catalog,
        area: Option<&SolutionAreaId>,
    ) -> Option<RoleId> {
        if self.role.is_empty() {
            check.push(FormProblem::Missing { field: Field::Role });
            return None;
        }
        let Some(role) = RoleId::parse(&self.role)
            .ok()
            .and_then(|id| catalog.role(&id))
        else {
            check.push(FormProblem::Unknown {
                field: Field::Role,
                value: echo(&self.role),
            });
            return None;
        };
        if let Some(area) = area
            && &role.solution_area != area
        {
            check.push(FormProblem::RoleAreaMismatch {
                role: role.id.to_string(),
                solution_area: area.to_string(),
            });
            return None;
        }
        Some(role.id.clone())
    }

    fn check_named_engagement(
        &self,
        check: &mut Checker,
        catalog: &Catalog,
        role: Option<&RoleId>,
        engagement: Option<&Engagement>,
    ) {
        let text = self.engagement.trim();
        if text.is_empty() {
            return;
        }
        if catalog.is_co_op_program(text) {
            check.push(FormProblem::CoOpProgram {
                program: echo(text),
            });
            return;
        }
        match named_engagement(catalog, text) {
            Some(named) if named.is_cpor() => {
                if let (Some(role), Some(engagement)) = (role, engagement)
                    && named.id != engagement.id
                {
                    check.push(FormProblem::EngagementRoleMismatch {
                        engagement: echo(text),
                        role: role.to_string(),
                    });
                }
            }
            _ => check.push(FormProblem::NotAssociationEngagement { value: echo(text) }),
        }
    }
}

impl ResubmitForm {
    /// Applies the allowed changes to `content`, checking each changed field.
    ///
    /// # Errors
    ///
    /// [`FormErrors`] with every problem of the changed fields.
    pub(crate) fn apply(
        &self,
        catalog: &Catalog,
        content: &AssociationContent,
    ) -> Result<(AssociationContent, Vec<Text>), FormErrors> {
        let mut check = Checker::default();
        let mut next = content.clone();
        if let Some(partner) = &self.partner
            && let Some(partner) = check.id(Field::Partner, partner, PartnerId::parse)
        {
            next.partner = partner;
        }
        if let Some(values) = &self.workloads
            && let Some(workloads) = check.workloads(catalog, Some(&content.solution_area), values)
        {
            next.target = match &content.target {
                Target::Workloads { .. } => Target::Workloads { workloads },
                Target::Subscription { subscription, .. } => Target::Subscription {
                    subscription: *subscription,
                    products: workloads,
                },
            };
        }
        if let Some(form) = &self.customer_contact
            && let Some(contact) = check.customer_contact(form)
        {
            next.customer_contact = contact;
        }
        if let Some(form) = &self.company_contact
            && let Some(contact) = check.company_contact(form)
        {
            next.company_contact = contact;
        }
        if let Some(comments) = &self.comments {
            next.comments = check.optional_text(Field::Comments, comments);
        }
        let poe: Vec<Text> = self
            .poe
            .iter()
            .filter_map(|reference| check.text(Field::Poe, reference))
            .collect();
        check.finish(Some((next, poe)))
    }
}

/// A problem serializes as its code, its field and its message, such as
/// `{"code": "form.required", "field": "name", "message": "..."}`.
impl Serialize for FormProblem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut problem = serializer.serialize_struct("FormProblem", 3)?;
        problem.serialize_field("code", self.code())?;
        problem.serialize_field("field", &self.field())?;
        problem.serialize_field("message", &self.to_string())?;
        problem.end()
    }
}

/// The problems of a form serialize as `{"problems": [...]}`, each as a [`FormProblem`] does.
impl Serialize for FormErrors {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut errors = serializer.serialize_struct("FormErrors", 1)?;
        errors.serialize_field("problems", &self.problems)?;
        errors.end()
    }
}
