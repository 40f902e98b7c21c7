//! What a partner sees beyond one claim: the Customers page and the usage scope.

use chrono::{DateTime, Utc};

use crate::activity::{ActivityClaim, ActivityError};
use crate::actor::Actor;
use crate::catalog::EngagementId;
use crate::customers::{self, CustomersPage};
use crate::eligibility::Facts;
use crate::id::{CustomerId, PartnerId, TenantId};
use crate::store::{AsyncStore, Claim, Scope};

use super::trace::{Action, traced};
use super::{AsyncClaims, Counted, ServiceError, UsageGrant, usage_scope};

impl<S: AsyncStore> AsyncClaims<S> {
    /// The Customers page of `engagement` for `partner`, as `viewer` sees it (see
    /// [`customers::customers_page`]); the partner's claims come from the store, and the
    /// per-customer caps count the store's active claims as well as the facts'.
    ///
    /// The page shows every customer of the partner location, so it reads every claim of
    /// the location (a page of the store at a time).
    ///
    /// # Errors
    ///
    /// The page's [`ActivityError`], or the store's error.
    #[allow(clippy::too_many_arguments)]
    pub async fn customers_page<F: Facts + ?Sized>(
        &self,
        engagement: &EngagementId,
        partner: PartnerId,
        viewer: &Actor,
        proposed: &[CustomerId],
        now: DateTime<Utc>,
        facts: &F,
    ) -> Result<CustomersPage, ServiceError> {
        let action = Action {
            name: "customers_page",
            claim: None,
            partner: Some(partner),
            command: None,
        };
        traced(action, async {
            if viewer.partner_id().is_some() && !viewer.acts_for(partner) {
                return Err(ActivityError::OtherPartner.into());
            }
            let claims: Vec<ActivityClaim> = self
                .all(|page| self.store.by_partner(partner, page))
                .await?
                .into_iter()
                .filter_map(|s| match s.claim {
                    Claim::Activity(claim) => Some(claim),
                    _ => None,
                })
                .collect();
            let catalog = self.catalogs.newest();
            let page = |facts: &dyn Facts| {
                customers::customers_page(
                    catalog, facts, engagement, partner, viewer, &claims, proposed, now,
                )
            };
            let keys = {
                let recording = Counted::recording(facts);
                let _ = page(&recording);
                recording.asked()
            };
            let counted = Counted::counted(facts, &self.store, keys).await?;
            Ok(page(&counted)?)
        })
        .await
    }

    /// The workloads and subscriptions of `tenant` on which `partner` may see usage and
    /// sold-seat data at `now`: [`usage_scope`] over the partner's claims about the tenant,
    /// read from the store.
    ///
    /// # Errors
    ///
    /// The store's error.
    pub async fn usage_scope(
        &self,
        partner: PartnerId,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<UsageGrant>, ServiceError> {
        let action = Action {
            name: "usage_scope",
            claim: None,
            partner: Some(partner),
            command: None,
        };
        traced(action, async {
            let customer = CustomerId::Tenant(tenant);
            let stored = self
                .all(|page| {
                    self.store
                        .by_customer(Scope::Partner(partner), &customer, page)
                })
                .await?;
            Ok(usage_scope(
                stored.iter().map(|s| &s.claim),
                partner,
                tenant,
                now,
            ))
        })
        .await
    }
}
