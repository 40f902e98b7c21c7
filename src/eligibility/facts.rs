//! The facts an application supplies, and an in-memory implementation of them.

use crate::catalog::EngagementId;
use crate::fast_hash::{Map, Set};
use crate::id::{CustomerId, DomainName, PartnerId, TenantId};
use crate::text::Text;

/// Whether one customer ID is eligible for one engagement, as Microsoft's systems say.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CustomerEligibility {
    /// The ID is eligible.
    Eligible,
    /// The ID is not eligible, for the given reason (shown to the partner).
    NotEligible {
        /// Why, in the application's words.
        reason: Text,
    },
    /// The application has no eligibility data for the ID. Treated as not eligible, with the
    /// message "no eligibility data".
    Unknown,
}

/// A partner location's standing in MCI, for one engagement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Enrollment {
    /// Enrolled in MCI and eligible for the engagement.
    Eligible,
    /// Enrolled in MCI, but not eligible for this engagement.
    NotEligibleForEngagement,
    /// Not enrolled in MCI.
    NotEnrolled,
}

/// The outside facts that eligibility is decided on (see the
/// [guide](crate::guide::rules#eligibility)).
///
/// The real criteria (usage thresholds, bona fide checks, program enrolment) live in
/// Microsoft's systems, so the application answers these questions, typically from data it
/// fetched before calling [`check`](super::check). Every method is a pure lookup: it is called
/// at most once per check, and must not fail; an application that cannot answer returns the
/// refusing answer ([`CustomerEligibility::Unknown`], `None`, [`Enrollment::NotEnrolled`]).
///
/// The trait is object safe, so `&dyn Facts` works, and it is not sealed. [`InMemoryFacts`] is
/// a ready-made implementation for tests and examples.
pub trait Facts {
    /// The tenant that a domain name belongs to, or `None` if the domain does not resolve.
    fn resolve_domain(&self, domain: &DomainName) -> Option<TenantId>;

    /// Whether **this** ID is eligible for the engagement.
    ///
    /// Eligibility never carries over between IDs: answer for `id` alone, not for other IDs of
    /// the same customer. For a domain nomination the library asks about the tenant the domain
    /// resolved to, never about the domain.
    fn customer_eligibility(
        &self,
        id: &CustomerId,
        engagement: &EngagementId,
    ) -> CustomerEligibility;

    /// The email domains of a tenant (its verified domains). Empty if unknown.
    fn tenant_email_domains(&self, tenant: &TenantId) -> &[DomainName];

    /// Whether a partner location is enrolled in MCI and eligible for the engagement.
    fn partner_enrollment(&self, partner: PartnerId, engagement: &EngagementId) -> Enrollment;

    /// How many **active** claims the customer has for the engagement, across **all**
    /// partners, as counted from the application's store.
    ///
    /// For a domain nomination the library asks about the tenant the domain resolved to, so
    /// that claims made by domain and by tenant ID count together.
    fn active_claims(&self, engagement: &EngagementId, customer: &CustomerId) -> u32;

    /// Whether the conditions for creating a partner-led referral hold for this customer and
    /// engagement (see [referrals](crate::guide::activity#referrals-and-co-sell)). Asked by
    /// the claim code when a claim is created or consent is asked, and only for engagements
    /// with referrals enabled; not used by [`check`](super::check).
    fn referral_conditions_hold(&self, customer: &CustomerId, engagement: &EngagementId) -> bool;

    /// Whether the customer qualifies for the upgrade of its partner-led referral to co-sell
    /// after consent (see [referrals](crate::guide::activity#referrals-and-co-sell)). Not used by [`check`](super::check).
    fn co_sell_qualified(&self, customer: &CustomerId) -> bool;
}

/// A reference to facts is facts: so that generic code holding `&F` (with `F` unsized, such
/// as `dyn Facts + Sync`) can pass it on as `&dyn Facts`.
impl<F: Facts + ?Sized> Facts for &F {
    fn resolve_domain(&self, domain: &DomainName) -> Option<TenantId> {
        (**self).resolve_domain(domain)
    }

    fn customer_eligibility(
        &self,
        id: &CustomerId,
        engagement: &EngagementId,
    ) -> CustomerEligibility {
        (**self).customer_eligibility(id, engagement)
    }

    fn tenant_email_domains(&self, tenant: &TenantId) -> &[DomainName] {
        (**self).tenant_email_domains(tenant)
    }

    fn partner_enrollment(&self, partner: PartnerId, engagement: &EngagementId) -> Enrollment {
        (**self).partner_enrollment(partner, engagement)
    }

    fn active_claims(&self, engagement: &EngagementId, customer: &CustomerId) -> u32 {
        (**self).active_claims(engagement, customer)
    }

    fn referral_conditions_hold(&self, customer: &CustomerId, engagement: &EngagementId) -> bool {
        (**self).referral_conditions_hold(customer, engagement)
    }

    fn co_sell_qualified(&self, customer: &CustomerId) -> bool {
        (**self).co_sell_qualified(customer)
    }
}

/// Facts held in hash maps, built with chained calls: for tests, examples and small tools.
///
/// Defaults, for anything not set:
///
/// | Question | Default |
/// |---|---|
/// | [`resolve_domain`](Facts::resolve_domain) | `None`: the domain does not resolve |
/// | [`customer_eligibility`](Facts::customer_eligibility) | [`CustomerEligibility::Unknown`]: not eligible, "no eligibility data" |
/// | [`tenant_email_domains`](Facts::tenant_email_domains) | none |
/// | [`partner_enrollment`](Facts::partner_enrollment) | [`Enrollment::NotEnrolled`]; a partner set by [`enrolled_in_mci`](Self::enrolled_in_mci) alone is [`Enrollment::NotEligibleForEngagement`] |
/// | [`active_claims`](Facts::active_claims) | 0 |
/// | [`referral_conditions_hold`](Facts::referral_conditions_hold), [`co_sell_qualified`](Facts::co_sell_qualified) | `false` |
///
/// Customer IDs are looked up exactly: a tenant's eligibility says nothing about its TPID.
///
/// The maps hash with a fast hasher without a random key, to keep a check well under 300 ns.
/// That suits tests, examples and data the application trusts; do not fill it with keys an
/// attacker chooses in bulk.
///
/// ```
/// use cpor::eligibility::{CustomerEligibility, Enrollment, Facts, InMemoryFacts};
/// use cpor::catalog::EngagementId;
/// use cpor::{CustomerId, PartnerId};
///
/// let workshop: EngagementId = "threat_protection_workshop".parse()?;
/// let tenant: CustomerId = "tenant:72f988bf-86f1-41af-91ab-2d7cd011db47".parse()?;
/// let tpid: CustomerId = "tpid:123456".parse()?;
/// let partner = PartnerId::new(4_512_345)?;
/// let facts = InMemoryFacts::new()
///     .enrolled(partner, workshop.clone())
///     .eligible(tenant.clone(), workshop.clone());
///
/// assert_eq!(facts.partner_enrollment(partner, &workshop), Enrollment::Eligible);
/// assert_eq!(facts.customer_eligibility(&tenant, &workshop), CustomerEligibility::Eligible);
/// assert_eq!(facts.customer_eligibility(&tpid, &workshop), CustomerEligibility::Unknown);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct InMemoryFacts {
    domains: Map<DomainName, TenantId>,
    email_domains: Map<TenantId, Vec<DomainName>>,
    eligibility: Map<EngagementId, Map<CustomerId, CustomerEligibility>>,
    partners: Map<PartnerId, Set<EngagementId>>,
    active_claims: Map<EngagementId, Map<CustomerId, u32>>,
    referrals: Map<EngagementId, Set<CustomerId>>,
    co_sell: Set<CustomerId>,
}

impl InMemoryFacts {
    /// No facts at all: every answer is the default of the table above.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `domain` resolves to `tenant`.
    #[must_use]
    pub fn with_domain(mut self, domain: DomainName, tenant: TenantId) -> Self {
        self.domains.insert(domain, tenant);
        self
    }

    /// `tenant` owns these email domains, in addition to those already set.
    #[must_use]
    pub fn with_email_domains(
        mut self,
        tenant: TenantId,
        domains: impl IntoIterator<Item = DomainName>,
    ) -> Self {
        self.email_domains
            .entry(tenant)
            .or_default()
            .extend(domains);
        self
    }

    /// The ID `id` is eligible for `engagement`.
    #[must_use]
    pub fn eligible(self, id: impl Into<CustomerId>, engagement: EngagementId) -> Self {
        self.with_eligibility(id, engagement, CustomerEligibility::Eligible)
    }

    /// The ID `id` is not eligible for `engagement`, because of `reason`.
    #[must_use]
    pub fn not_eligible(
        self,
        id: impl Into<CustomerId>,
        engagement: EngagementId,
        reason: Text,
    ) -> Self {
        self.with_eligibility(id, engagement, CustomerEligibility::NotEligible { reason })
    }

    /// The eligibility of `id` for `engagement`, replacing any earlier one.
    #[must_use]
    pub fn with_eligibility(
        mut self,
        id: impl Into<CustomerId>,
        engagement: EngagementId,
        eligibility: CustomerEligibility,
    ) -> Self {
        self.eligibility
            .entry(engagement)
            .or_default()
            .insert(id.into(), eligibility);
        self
    }

    /// The partner location is enrolled in MCI, and eligible for `engagement`.
    #[must_use]
    pub fn enrolled(mut self, partner: PartnerId, engagement: EngagementId) -> Self {
        self.partners.entry(partner).or_default().insert(engagement);
        self
    }

    /// The partner location is enrolled in MCI; it is eligible only for the engagements given
    /// to [`enrolled`](Self::enrolled).
    #[must_use]
    pub fn enrolled_in_mci(mut self, partner: PartnerId) -> Self {
        self.partners.entry(partner).or_default();
        self
    }

    /// The customer has `count` active claims for `engagement`, across all partners.
    #[must_use]
    pub fn with_active_claims(
        mut self,
        engagement: EngagementId,
        customer: impl Into<CustomerId>,
        count: u32,
    ) -> Self {
        self.active_claims
            .entry(engagement)
            .or_default()
            .insert(customer.into(), count);
        self
    }

    /// The referral conditions hold for `customer` and `engagement`.
    #[must_use]
    pub fn with_referral_conditions(
        mut self,
        customer: impl Into<CustomerId>,
        engagement: EngagementId,
    ) -> Self {
        self.referrals
            .entry(engagement)
            .or_default()
            .insert(customer.into());
        self
    }

    /// The customer qualifies for co-sell.
    #[must_use]
    pub fn with_co_sell_qualified(mut self, customer: impl Into<CustomerId>) -> Self {
        self.co_sell.insert(customer.into());
        self
    }
}

impl Facts for InMemoryFacts {
    fn resolve_domain(&self, domain: &DomainName) -> Option<TenantId> {
        self.domains.get(domain).copied()
    }

    fn customer_eligibility(
        &self,
        id: &CustomerId,
        engagement: &EngagementId,
    ) -> CustomerEligibility {
        self.eligibility
            .get(engagement)
            .and_then(|ids| ids.get(id))
            .cloned()
            .unwrap_or(CustomerEligibility::Unknown)
    }

    fn tenant_email_domains(&self, tenant: &TenantId) -> &[DomainName] {
        self.email_domains.get(tenant).map_or(&[], Vec::as_slice)
    }

    fn partner_enrollment(&self, partner: PartnerId, engagement: &EngagementId) -> Enrollment {
        match self.partners.get(&partner) {
            None => Enrollment::NotEnrolled,
            Some(engagements) if engagements.contains(engagement) => Enrollment::Eligible,
            Some(_) => Enrollment::NotEligibleForEngagement,
        }
    }

    fn active_claims(&self, engagement: &EngagementId, customer: &CustomerId) -> u32 {
        self.active_claims
            .get(engagement)
            .and_then(|customers| customers.get(customer))
            .copied()
            .unwrap_or(0)
    }

    fn referral_conditions_hold(&self, customer: &CustomerId, engagement: &EngagementId) -> bool {
        self.referrals
            .get(engagement)
            .is_some_and(|customers| customers.contains(customer))
    }

    fn co_sell_qualified(&self, customer: &CustomerId) -> bool {
        self.co_sell.contains(customer)
    }
}
