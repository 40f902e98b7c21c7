//! Paged lists of claims, scoped to the actor.

use crate::actor::Actor;
use crate::catalog::EngagementId;
use crate::id::{CustomerId, PartnerId};
use crate::store::{AsyncStore, Page, PageRequest, Scope, Stored};

use super::trace::{Action, traced};
use super::{AsyncClaims, ServiceError, scope_of, sees, shown_to};

impl<S: AsyncStore> AsyncClaims<S> {
    /// A page of the claims of partner location `partner` (of one engagement, if given), in
    /// the order they were first stored, as `actor` may see them.
    ///
    /// A partner user sees the claims of the locations it may act for, a reviewer and the
    /// timer every location's; anyone else (a customer, a user of another location) gets an
    /// empty page, exactly as for a location with no claims. Each claim is shown as
    /// [`load`](Self::load) shows it (the referral link only to Referral admins). The store
    /// reads the page through its index on the partner location: a page costs its own
    /// claims, whatever the location holds.
    ///
    /// # Errors
    ///
    /// The store's error.
    pub async fn partner_claims(
        &self,
        actor: &Actor,
        partner: PartnerId,
        engagement: Option<&EngagementId>,
        page: PageRequest,
    ) -> Result<Page<Stored>, ServiceError> {
        let action = Action {
            name: "partner_claims",
            claim: None,
            partner: Some(partner),
            command: None,
        };
        traced(action, async {
            let allowed = match actor {
                Actor::Partner { .. } => actor.acts_for(partner),
                Actor::Reviewer { .. } | Actor::System => true,
                _ => false,
            };
            if !allowed {
                return Ok(Page::empty());
            }
            let listed = match engagement {
                None => self.store.by_partner(partner, page).await?,
                Some(engagement) => {
                    self.store
                        .by_partner_engagement(partner, engagement, page)
                        .await?
                }
            };
            Ok(listed.map(|stored| Stored {
                claim: shown_to(actor, stored.claim),
                version: stored.version,
            }))
        })
        .await
    }

    /// A page of the claims about `customer`, in the order they were first stored, as `actor`
    /// may see them: a partner user's own locations' claims, a customer's claims about
    /// itself, every claim for a reviewer or the timer. Claims the actor may not see are
    /// left out of the page (which may then hold fewer items than the limit while a cursor
    /// still follows).
    ///
    /// # Errors
    ///
    /// The store's error.
    pub async fn customer_claims(
        &self,
        actor: &Actor,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, ServiceError> {
        let action = Action {
            name: "customer_claims",
            claim: None,
            partner: actor.partner_id(),
            command: None,
        };
        traced(action, async {
            let scope: Scope = scope_of(actor);
            let listed = self.store.by_customer(scope, customer, page).await?;
            let next = listed.next;
            let items = listed
                .items
                .into_iter()
                .filter(|stored| sees(actor, &stored.claim))
                .map(|stored| Stored {
                    claim: shown_to(actor, stored.claim),
                    version: stored.version,
                })
                .collect();
            Ok(Page { items, next })
        })
        .await
    }
}
