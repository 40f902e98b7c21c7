//! The uniqueness keys and counted limits a claim holds in a store.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Claim, InvalidClaim};
use crate::activity::ActivityClaim;
#[cfg(test)]
use crate::association::AssociationClaim;
use crate::association::{AssociationKey, AssociationState};
#[cfg(test)]
use crate::association::{KeyUnit, Target};
use crate::catalog::{Catalogs, EngagementId};
use crate::id::{CustomerId, PartnerId};

/// A uniqueness key: at most one claim holds it at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum UniqueKey {
    /// One associated partner per (engagement, tenant, workload or subscription): held by an
    /// approved association claim.
    Associated {
        /// The association key.
        key: AssociationKey,
    },
    /// One open association claim per partner location and association key.
    OpenAssociation {
        /// The partner location.
        partner: PartnerId,
        /// The association key.
        key: AssociationKey,
    },
    /// One open activity claim per partner location, engagement and customer.
    OpenActivity {
        /// The partner location.
        partner: PartnerId,
        /// The engagement.
        engagement: EngagementId,
        /// The customer.
        customer: CustomerId,
    },
}

impl UniqueKey {
    /// The customer the key is about: stores may group keys by it.
    #[must_use]
    pub fn customer(&self) -> CustomerId {
        match self {
            Self::Associated { key } | Self::OpenAssociation { key, .. } => {
                CustomerId::Tenant(key.tenant)
            }
            Self::OpenActivity { customer, .. } => customer.clone(),
        }
    }
}

impl fmt::Display for UniqueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Associated { key } => write!(f, "associated:{key}"),
            Self::OpenAssociation { partner, key } => write!(f, "open:{partner}:{key}"),
            Self::OpenActivity {
                partner,
                engagement,
                customer,
            } => write!(f, "open:{partner}:{engagement}:{customer}"),
        }
    }
}

/// A counted limit: at most `limit` active claims per (engagement, customer), across all
/// partners.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CountedKey {
    /// The engagement.
    pub engagement: EngagementId,
    /// The customer.
    pub customer: CustomerId,
}

impl fmt::Display for CountedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.engagement, self.customer)
    }
}

/// What a claim holds in a store, in its current state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holdings {
    /// The uniqueness keys it holds.
    pub unique: Vec<UniqueKey>,
    /// The counted limit it counts towards, with the limit its catalog sets.
    pub counted: Option<(CountedKey, u32)>,
}

impl Claim {
    /// The keys and the counted limit the claim holds in its current state:
    ///
    /// - an approved association claim holds `Associated` for each of its keys;
    /// - an open association claim (draft, submitted, under review, partner action required,
    ///   approved or disputed) holds `OpenAssociation` for each of its keys;
    /// - an active activity claim holds `OpenActivity` and counts towards its engagement's
    ///   per-customer cap. Both are keyed by the tenant a domain nomination resolved to, so
    ///   that claims made by domain and by tenant ID count together (as eligibility counts
    ///   them); other nominations are keyed by the nominated ID. The cap is the engagement's
    ///   in the catalog of the claim's program year, never a number the claim carries.
    ///
    /// This is what a store enforces, so it first checks the claim against its catalog in
    /// `catalogs` ([`Claim::validate`]).
    ///
    /// # Errors
    ///
    /// [`InvalidClaim`] if the claim's program year is not in `catalogs` or the claim breaks
    /// its catalog's rules.
    pub fn holdings(&self, catalogs: &Catalogs) -> Result<Holdings, InvalidClaim> {
        self.validate(catalogs)?;
        Ok(self.holdings_trusted(catalogs))
    }

    /// The holdings of a claim already checked against `catalogs`. A cap the catalogs do not
    /// have (which a checked claim never lacks) reads as 0, which admits nothing.
    pub(crate) fn holdings_trusted(&self, catalogs: &Catalogs) -> Holdings {
        self.holdings_with(|_| self.cap(catalogs).unwrap_or(0))
    }

    /// The per-customer cap of an activity claim's engagement in `catalogs`.
    pub(crate) fn cap(&self, catalogs: &Catalogs) -> Option<u32> {
        let activity = self.as_activity()?;
        catalogs
            .get(self.program_year())?
            .engagement(activity.engagement())?
            .as_mci()
            .map(|mci| mci.max_active_claims_per_customer)
    }

    /// The holdings, with the cap of an engagement from `cap`.
    fn holdings_with(&self, cap: impl FnOnce(&EngagementId) -> u32) -> Holdings {
        match self {
            Self::Association(c) => {
                let open = holds_open_keys(c.state());
                let approved = c.state() == AssociationState::Approved;
                let partner = c.content().partner;
                let mut unique = Vec::new();
                if open || approved {
                    for key in c.keys() {
                        if approved {
                            unique.push(UniqueKey::Associated { key: key.clone() });
                        }
                        if open {
                            unique.push(UniqueKey::OpenAssociation { partner, key });
                        }
                    }
                }
                Holdings {
                    unique,
                    counted: None,
                }
            }
            Self::Activity(c) if c.state().is_active() => {
                let customer = key_customer(c);
                Holdings {
                    unique: vec![UniqueKey::OpenActivity {
                        partner: c.partner(),
                        engagement: c.engagement().clone(),
                        customer: customer.clone(),
                    }],
                    counted: Some((
                        CountedKey {
                            engagement: c.engagement().clone(),
                            customer,
                        },
                        cap(c.engagement()),
                    )),
                }
            }
            Self::Activity(_) => Holdings::default(),
        }
    }

    /// The customer the claim's keys and counted limit are about: the tenant of an association
    /// claim; for an activity claim, the tenant a domain nomination resolved to, else the
    /// nominated ID.
    pub(crate) fn key_customer(&self) -> CustomerId {
        match self {
            Self::Association(c) => CustomerId::Tenant(c.content().tenant),
            Self::Activity(c) => key_customer(c),
        }
    }

    #[cfg(test)]
    /// Whether the claim holds `key` in its current state: the same answer as
    /// `self.holdings().unique.contains(key)`, without building the holdings.
    pub(crate) fn holds(&self, key: &UniqueKey) -> bool {
        match (self, key) {
            (Self::Association(c), UniqueKey::Associated { key }) => {
                c.state() == AssociationState::Approved && is_about(c, key)
            }
            (Self::Association(c), UniqueKey::OpenAssociation { partner, key }) => {
                holds_open_keys(c.state()) && c.content().partner == *partner && is_about(c, key)
            }
            (
                Self::Activity(c),
                UniqueKey::OpenActivity {
                    partner,
                    engagement,
                    customer,
                },
            ) => {
                c.state().is_active()
                    && c.partner() == *partner
                    && c.engagement() == engagement
                    && key_customer(c) == *customer
            }
            _ => false,
        }
    }

    #[cfg(test)]
    /// Whether the claim counts towards `key` in its current state: the same answer as
    /// comparing `self.holdings().counted` with `key`.
    pub(crate) fn counts_towards(&self, key: &CountedKey) -> bool {
        match self {
            Self::Activity(c) => {
                c.state().is_active()
                    && c.engagement() == &key.engagement
                    && key_customer(c) == key.customer
            }
            Self::Association(_) => false,
        }
    }

    /// Whether the claim holds any key or counts towards a limit in its current state.
    pub(crate) fn holds_anything(&self) -> bool {
        match self {
            Self::Association(c) => holds_open_keys(c.state()),
            Self::Activity(c) => c.state().is_active(),
        }
    }
}

/// Whether an association claim in `state` holds its `OpenAssociation` keys: open (draft,
/// submitted, under review, partner action required, approved or disputed).
pub(crate) const fn holds_open_keys(state: AssociationState) -> bool {
    matches!(
        state,
        AssociationState::Draft
            | AssociationState::Submitted
            | AssociationState::UnderReview
            | AssociationState::PartnerActionRequired
            | AssociationState::Approved
            | AssociationState::Disputed
    )
}

/// The customer an activity claim's keys are about: a domain counts as the tenant it resolved
/// to, so claims by domain and by tenant ID count together.
fn key_customer(c: &ActivityClaim) -> CustomerId {
    match (c.customer(), c.resolved_tenant()) {
        (CustomerId::Domain(_), Some(tenant)) => CustomerId::Tenant(tenant),
        (customer, _) => customer.clone(),
    }
}

#[cfg(test)]
/// Whether an association key is one of the claim's keys.
fn is_about(c: &AssociationClaim, key: &AssociationKey) -> bool {
    let content = c.content();
    content.tenant == key.tenant
        && content.engagement == key.engagement
        && match (&content.target, &key.unit) {
            (Target::Workloads { workloads }, KeyUnit::Workload(w)) => workloads.contains(w),
            (Target::Subscription { subscription, .. }, KeyUnit::Subscription(s)) => {
                subscription == s
            }
            _ => false,
        }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::catalog::builtin_catalogs;
    use crate::testing::fixtures::{
        CAP_ONE, PARTNER_A, PARTNER_B, Stage, World, claim_id, partner, tenant,
    };

    /// `holds`, `counts_towards` and `holds_anything` agree with `holdings` on claims of every
    /// stage, for their own keys and for the keys of every other claim.
    #[test]
    fn holds_agrees_with_holdings() {
        let w = World::new().unwrap();
        let stages = [
            Stage::Draft,
            Stage::DraftWithPoe,
            Stage::Withdrawn,
            Stage::Submitted,
            Stage::UnderReview,
            Stage::InfoRequested,
            Stage::Approved,
            Stage::Declined,
        ];
        let mut claims: Vec<Claim> = Vec::new();
        for (n, stage) in (1_u128..).zip(stages) {
            let p = partner(if n % 2 == 0 { PARTNER_A } else { PARTNER_B }).unwrap();
            let t = tenant(n % 3).unwrap();
            let workloads: &[&str] = if n % 2 == 0 {
                &["teams", "exchange"]
            } else {
                &["teams"]
            };
            claims.push(
                w.association(claim_id(n).unwrap(), p, t, workloads, stage)
                    .unwrap()
                    .into(),
            );
        }
        for n in 20_u128..24 {
            let p = partner(if n % 2 == 0 { PARTNER_A } else { PARTNER_B }).unwrap();
            let customer = CustomerId::Tenant(tenant(n % 2).unwrap());
            let claim = w
                .activity(claim_id(n).unwrap(), p, CAP_ONE, &customer, 0)
                .unwrap();
            claims.push(claim.clone().into());
            claims.push(w.cancel(&claim, 1).unwrap().into());
        }
        let keys: Vec<UniqueKey> = claims
            .iter()
            .flat_map(|c| c.holdings(builtin_catalogs()).unwrap().unique)
            .collect();
        let counted: Vec<CountedKey> = claims
            .iter()
            .filter_map(|c| {
                c.holdings(builtin_catalogs())
                    .unwrap()
                    .counted
                    .map(|(k, _)| k)
            })
            .collect();
        assert!(keys.len() > 10 && !counted.is_empty());
        for claim in &claims {
            let holdings = claim.holdings(builtin_catalogs()).unwrap();
            assert_eq!(
                claim.holds_anything(),
                !holdings.unique.is_empty() || holdings.counted.is_some()
            );
            for key in &keys {
                assert_eq!(claim.holds(key), holdings.unique.contains(key), "{key}");
                if claim.holds(key) {
                    assert_eq!(key.customer(), claim.key_customer());
                }
            }
            for key in &counted {
                let expected = holdings.counted.as_ref().is_some_and(|(k, _)| k == key);
                assert_eq!(claim.counts_towards(key), expected, "{key}");
            }
        }
    }
}
