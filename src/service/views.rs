//! What a partner sees beyond one claim: the Customers page and the usage scope.

use chrono::{DateTime, Utc};

use crate::activity::{ActivityClaim, ActivityError};
use crate::actor::Actor;
use crate::catalog::EngagementId;
use crate::customers::{self, CustomersPage};
use crate::eligibility::Facts;
use crate::id::{CustomerId, PartnerId, TenantId};
use crate::store::{Claim, Scope, Store};

use super::{Claims, ServiceError, StoreCounted, UsageGrant, usage_scope};

impl<S: Store> Claims<S> {
    /// The Customers page of `engagement` for `partner`, as `viewer` sees it (see
    /// [`customers::customers_page`]); the partner's claims come from the store.
    ///
    /// # Errors
    ///
    /// The page's [`ActivityError`], or the store's error.
    #[allow(clippy::too_many_arguments)]
    pub fn customers_page(
        &self,
        engagement: &EngagementId,
        partner: PartnerId,
        viewer: &Actor,
        proposed: &[CustomerId],
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<CustomersPage, ServiceError> {
        if viewer.partner_id().is_some() && !viewer.acts_for(partner) {
            return Err(ActivityError::OtherPartner.into());
        }
        let claims: Vec<ActivityClaim> = self
            .store
            .by_partner(partner)?
            .into_iter()
            .filter_map(|s| match s.claim {
                Claim::Activity(claim) => Some(claim),
                _ => None,
            })
            .collect();
        let counted = StoreCounted {
            facts,
            store: &self.store,
        };
        Ok(customers::customers_page(
            self.catalogs.newest(),
            &counted,
            engagement,
            partner,
            viewer,
            &claims,
            proposed,
            now,
        )?)
    }

    /// The workloads and subscriptions of `tenant` on which `partner` may see usage and
    /// sold-seat data at `now`: [`usage_scope`] over the partner's claims about the tenant,
    /// read from the store.
    ///
    /// # Errors
    ///
    /// The store's error.
    pub fn usage_scope(
        &self,
        partner: PartnerId,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<UsageGrant>, ServiceError> {
        let stored = self
            .store
            .by_customer(Scope::Partner(partner), &CustomerId::Tenant(tenant))?;
        Ok(usage_scope(
            stored.iter().map(|s| &s.claim),
            partner,
            tenant,
            now,
        ))
    }
}
