//! The outside facts MCI eligibility is decided on, loaded from a JSON file.
//!
//! In production these answers come from Microsoft's systems (enrollment, eligibility,
//! domain resolution); a reference service reads them from a file. The library's
//! [`InMemoryFacts`] is not `Deserialize`, so the file has a shape of its own, every value
//! parsed by the crate's validators:
//!
//! ```json
//! {
//!   "permissive": false,
//!   "domains": { "contoso.com": "72f988bf-86f1-41af-91ab-2d7cd011db47" },
//!   "email_domains": { "72f988bf-86f1-41af-91ab-2d7cd011db47": ["contoso.com"] },
//!   "enrolled": { "4512345": ["copilot_readiness_assessment"] },
//!   "eligible": [
//!     { "customer": "tenant:72f988bf-86f1-41af-91ab-2d7cd011db47",
//!       "engagement": "copilot_readiness_assessment" }
//!   ],
//!   "not_eligible": [
//!     { "customer": "tpid:123456", "engagement": "copilot_readiness_assessment",
//!       "reason": "below the seat threshold" }
//!   ],
//!   "active_claims": [
//!     { "customer": "tpid:123456", "engagement": "copilot_readiness_assessment", "count": 1 }
//!   ],
//!   "referral_conditions": [
//!     { "customer": "tenant:72f988bf-86f1-41af-91ab-2d7cd011db47",
//!       "engagement": "copilot_readiness_assessment" }
//!   ],
//!   "co_sell_qualified": ["tenant:72f988bf-86f1-41af-91ab-2d7cd011db47"]
//! }
//! ```
//!
//! Every field may be left out. `permissive: true` answers "yes" where the file says
//! nothing: every partner location is enrolled for every engagement, every customer ID is
//! eligible (unless listed in `not_eligible`), the referral conditions hold and every
//! customer is co-sell qualified. Domains and email domains are never invented.
//!
//! Without a file the service runs on [`ServiceFacts::demo`]: permissive, with the
//! walkthrough's Contoso (`contoso.com`, tenant `72f988bf-86f1-41af-91ab-2d7cd011db47`).

use std::collections::HashMap;
use std::path::Path;

use cpor::catalog::EngagementId;
use cpor::eligibility::{CustomerEligibility, Enrollment, Facts, InMemoryFacts};
use cpor::{CustomerId, DomainName, PartnerId, TenantId, Text};
use serde::Deserialize;

/// The demo customer's tenant: the walkthrough's Contoso.
pub const DEMO_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// The facts file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FactsFile {
    /// Answer "yes" where the file says nothing (see the module's docs).
    pub permissive: bool,
    /// Domain → the tenant it resolves to.
    pub domains: HashMap<DomainName, TenantId>,
    /// Tenant → its verified email domains.
    pub email_domains: HashMap<TenantId, Vec<DomainName>>,
    /// Partner location → the MCI engagements it is enrolled and eligible for.
    pub enrolled: HashMap<PartnerId, Vec<EngagementId>>,
    /// Customer IDs eligible for an engagement.
    pub eligible: Vec<CustomerEngagement>,
    /// Customer IDs not eligible for an engagement, with why.
    pub not_eligible: Vec<NotEligible>,
    /// Active claims Microsoft's systems know of (the store's are counted too).
    pub active_claims: Vec<ActiveClaims>,
    /// Where the referral conditions hold.
    pub referral_conditions: Vec<CustomerEngagement>,
    /// Customers qualified for co-sell.
    pub co_sell_qualified: Vec<CustomerId>,
}

/// A customer ID and an engagement.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerEngagement {
    /// The customer ID, as `kind:value`.
    pub customer: CustomerId,
    /// The engagement.
    pub engagement: EngagementId,
}

/// A customer ID not eligible for an engagement.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotEligible {
    /// The customer ID.
    pub customer: CustomerId,
    /// The engagement.
    pub engagement: EngagementId,
    /// Why, shown to the partner.
    pub reason: Text,
}

/// A count of active claims.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveClaims {
    /// The customer ID.
    pub customer: CustomerId,
    /// The engagement.
    pub engagement: EngagementId,
    /// How many.
    pub count: u32,
}

/// The facts the service decides with: the file's, and whether to be permissive.
#[derive(Debug, Clone, Default)]
pub struct ServiceFacts {
    facts: InMemoryFacts,
    permissive: bool,
}

impl ServiceFacts {
    /// Exactly `facts`, answering "no" where they say nothing.
    #[must_use]
    pub fn strict(facts: InMemoryFacts) -> Self {
        Self {
            facts,
            permissive: false,
        }
    }

    /// The demo facts: permissive, with Contoso's domain `contoso.com`.
    #[must_use]
    pub fn demo() -> Self {
        let mut file = FactsFile {
            permissive: true,
            ..FactsFile::default()
        };
        if let (Ok(tenant), Ok(domain)) = (
            DEMO_TENANT.parse::<TenantId>(),
            "contoso.com".parse::<DomainName>(),
        ) {
            file.domains.insert(domain.clone(), tenant);
            file.email_domains.insert(tenant, vec![domain]);
        }
        Self::from_file(file)
    }

    /// The facts of a parsed file.
    #[must_use]
    pub fn from_file(file: FactsFile) -> Self {
        let mut facts = InMemoryFacts::new();
        for (domain, tenant) in file.domains {
            facts = facts.with_domain(domain, tenant);
        }
        for (tenant, domains) in file.email_domains {
            facts = facts.with_email_domains(tenant, domains);
        }
        for (partner, engagements) in file.enrolled {
            facts = facts.enrolled_in_mci(partner);
            for engagement in engagements {
                facts = facts.enrolled(partner, engagement);
            }
        }
        for e in file.eligible {
            facts = facts.eligible(e.customer, e.engagement);
        }
        for e in file.not_eligible {
            facts = facts.not_eligible(e.customer, e.engagement, e.reason);
        }
        for a in file.active_claims {
            facts = facts.with_active_claims(a.engagement, a.customer, a.count);
        }
        for r in file.referral_conditions {
            facts = facts.with_referral_conditions(r.customer, r.engagement);
        }
        for c in file.co_sell_qualified {
            facts = facts.with_co_sell_qualified(c);
        }
        Self {
            facts,
            permissive: file.permissive,
        }
    }

    /// Reads a facts file.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or is not JSON of the shape above (a value that does not
    /// pass the crate's validators included).
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read facts file {}: {e}", path.display()))?;
        let file: FactsFile = serde_json::from_str(&text)
            .map_err(|e| format!("facts file {}: {e}", path.display()))?;
        Ok(Self::from_file(file))
    }

    /// Whether the facts answer "yes" where they say nothing.
    #[must_use]
    pub const fn is_permissive(&self) -> bool {
        self.permissive
    }
}

impl Facts for ServiceFacts {
    fn resolve_domain(&self, domain: &DomainName) -> Option<TenantId> {
        self.facts.resolve_domain(domain)
    }

    fn customer_eligibility(
        &self,
        id: &CustomerId,
        engagement: &EngagementId,
    ) -> CustomerEligibility {
        match self.facts.customer_eligibility(id, engagement) {
            CustomerEligibility::Unknown if self.permissive => CustomerEligibility::Eligible,
            known => known,
        }
    }

    fn tenant_email_domains(&self, tenant: &TenantId) -> &[DomainName] {
        self.facts.tenant_email_domains(tenant)
    }

    fn partner_enrollment(&self, partner: PartnerId, engagement: &EngagementId) -> Enrollment {
        if self.permissive {
            Enrollment::Eligible
        } else {
            self.facts.partner_enrollment(partner, engagement)
        }
    }

    fn active_claims(&self, engagement: &EngagementId, customer: &CustomerId) -> u32 {
        self.facts.active_claims(engagement, customer)
    }

    fn referral_conditions_hold(&self, customer: &CustomerId, engagement: &EngagementId) -> bool {
        self.permissive || self.facts.referral_conditions_hold(customer, engagement)
    }

    fn co_sell_qualified(&self, customer: &CustomerId) -> bool {
        self.permissive || self.facts.co_sell_qualified(customer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_through_the_validators() {
        let file: FactsFile = serde_json::from_str(
            r#"{"enrolled": {"4512345": ["copilot_readiness_assessment"]},
                "eligible": [{"customer": "tpid:123456", "engagement": "copilot_readiness_assessment"}]}"#,
        )
        .unwrap();
        let facts = ServiceFacts::from_file(file);
        let engagement = EngagementId::parse("copilot_readiness_assessment").unwrap();
        let partner = PartnerId::new(4_512_345).unwrap();
        assert_eq!(
            facts.partner_enrollment(partner, &engagement),
            Enrollment::Eligible
        );
        let other = PartnerId::new(7_700_001).unwrap();
        assert_eq!(
            facts.partner_enrollment(other, &engagement),
            Enrollment::NotEnrolled
        );
        let bad = serde_json::from_str::<FactsFile>(r#"{"co_sell_qualified": ["tenant:nope"]}"#);
        assert!(bad.is_err());
        let unknown = serde_json::from_str::<FactsFile>(r#"{"permisive": true}"#);
        assert!(unknown.is_err(), "a misspelt field is refused");
    }

    #[test]
    fn the_demo_facts_are_permissive_but_invent_no_domain() {
        let facts = ServiceFacts::demo();
        let tenant: TenantId = DEMO_TENANT.parse().unwrap();
        let engagement = EngagementId::parse("copilot_readiness_assessment").unwrap();
        assert_eq!(
            facts.customer_eligibility(&CustomerId::Tenant(tenant), &engagement),
            CustomerEligibility::Eligible
        );
        assert_eq!(facts.tenant_email_domains(&tenant).len(), 1);
        assert_eq!(facts.resolve_domain(&"fabrikam.com".parse().unwrap()), None);
    }
}
