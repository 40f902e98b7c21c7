//! The blocking driver: [`Claims`], the service over a blocking [`Store`].

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::activity::{ActivityClaim, ActivityCommand, ActivityEvent, Nomination};
use crate::actor::Actor;
use crate::association::{AssociationClaim, AssociationCommand, AssociationEvent, AssociationForm};
use crate::catalog::{Catalogs, EngagementId};
use crate::customers::CustomersPage;
use crate::eligibility::{Action, Facts};
use crate::id::{ClaimId, CustomerId, PartnerId, TenantId};
use crate::request::RequestId;
use crate::store::asynchronous::Immediate;
use crate::store::{Page, PageRequest, Store, Stored};

use super::drive::block_on;
use super::{AsyncClaims, Outcome, ServiceError, Swept, UsageGrant};

/// The claims service over a blocking [`Store`] `S`: the methods of [`AsyncClaims`], each
/// run to completion on the calling thread.
///
/// The decisions are those of [`AsyncClaims`], not a copy: see
/// [One core, two drivers](super#one-core-two-drivers). It needs no async runtime, and it
/// does not panic inside one (a call blocks the thread it runs on).
///
/// ```
/// use cpor::service::Claims;
/// use cpor::store::InMemoryStore;
/// use cpor::Catalogs;
///
/// let claims = Claims::new(InMemoryStore::new(), Catalogs::builtin());
/// assert!(claims.store().is_empty());
/// ```
#[derive(Debug)]
pub struct Claims<S> {
    core: AsyncClaims<Immediate<S>>,
}

impl<S: Store> Claims<S> {
    /// A service over `store`, governed by `catalogs`; new claims take the newest year.
    pub fn new(store: S, catalogs: Catalogs) -> Self {
        Self {
            core: AsyncClaims::new(Immediate(store), catalogs),
        }
    }

    /// The same service, retrying a contended action at most `attempts` times (at least 1).
    #[must_use]
    pub fn with_max_attempts(self, attempts: u32) -> Self {
        Self {
            core: self.core.with_max_attempts(attempts),
        }
    }

    /// The same service with another clock-skew tolerance: see
    /// [`AsyncClaims::with_clock_skew`].
    #[must_use]
    pub fn with_clock_skew(self, tolerance: Duration) -> Self {
        Self {
            core: self.core.with_clock_skew(tolerance),
        }
    }

    /// The same service with another sweep lease: see [`AsyncClaims::with_sweep_lease`].
    #[must_use]
    pub fn with_sweep_lease(self, lease: Duration) -> Self {
        Self {
            core: self.core.with_sweep_lease(lease),
        }
    }

    /// The store.
    pub const fn store(&self) -> &S {
        &self.core.store().0
    }

    /// The catalogs.
    pub const fn catalogs(&self) -> &Catalogs {
        self.core.catalogs()
    }

    /// Loads a claim as `actor` may see it: see [`AsyncClaims::load`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::load`].
    pub fn load(&self, actor: &Actor, id: ClaimId) -> Result<Stored, ServiceError> {
        block_on(self.core.load(actor, id))
    }

    /// Creates an association draft: see [`AsyncClaims::create_association`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::create_association`].
    pub fn create_association(
        &self,
        id: ClaimId,
        form: &AssociationForm,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        block_on(self.core.create_association(id, form, actor, now))
    }

    /// Creates an association draft under a request ID: see
    /// [`AsyncClaims::create_association_once`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::create_association_once`].
    pub fn create_association_once(
        &self,
        id: ClaimId,
        request: &RequestId,
        form: &AssociationForm,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        block_on(
            self.core
                .create_association_once(id, request, form, actor, now),
        )
    }

    /// Runs a command on an association claim: see [`AsyncClaims::association`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::association`].
    pub fn association(
        &self,
        id: ClaimId,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        block_on(self.core.association(id, command, actor, now))
    }

    /// Runs a command on an association claim under a request ID: see
    /// [`AsyncClaims::association_once`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::association_once`].
    pub fn association_once(
        &self,
        id: ClaimId,
        request: &RequestId,
        command: &AssociationCommand,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Outcome<AssociationClaim, AssociationEvent>, ServiceError> {
        block_on(self.core.association_once(id, request, command, actor, now))
    }

    /// "Add customer" or "claim customer": see [`AsyncClaims::nominate`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::nominate`].
    pub fn nominate(
        &self,
        nomination: &Nomination,
        action: Action,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<Vec<Outcome<ActivityClaim, ActivityEvent>>, ServiceError> {
        block_on(self.core.nominate(nomination, action, actor, now, facts))
    }

    /// A nomination under a request ID: see [`AsyncClaims::nominate_once`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::nominate_once`].
    pub fn nominate_once(
        &self,
        nomination: &Nomination,
        action: Action,
        request: &RequestId,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<Vec<Outcome<ActivityClaim, ActivityEvent>>, ServiceError> {
        block_on(
            self.core
                .nominate_once(nomination, action, request, actor, now, facts),
        )
    }

    /// Runs a command on an activity claim: see [`AsyncClaims::activity`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::activity`].
    pub fn activity(
        &self,
        id: ClaimId,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<Outcome<ActivityClaim, ActivityEvent>, ServiceError> {
        block_on(self.core.activity(id, command, actor, now, facts))
    }

    /// Runs a command on an activity claim under a request ID: see
    /// [`AsyncClaims::activity_once`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::activity_once`].
    pub fn activity_once(
        &self,
        id: ClaimId,
        request: &RequestId,
        command: &ActivityCommand,
        actor: &Actor,
        now: DateTime<Utc>,
        facts: &dyn Facts,
    ) -> Result<Outcome<ActivityClaim, ActivityEvent>, ServiceError> {
        block_on(
            self.core
                .activity_once(id, request, command, actor, now, facts),
        )
    }

    /// Applies every timer due at `now`: see [`AsyncClaims::sweep`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::sweep`].
    pub fn sweep(&self, now: DateTime<Utc>, facts: &dyn Facts) -> Result<Vec<Swept>, ServiceError> {
        block_on(self.core.sweep(now, facts))
    }

    /// The Customers page: see [`AsyncClaims::customers_page`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::customers_page`].
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
        block_on(
            self.core
                .customers_page(engagement, partner, viewer, proposed, now, facts),
        )
    }

    /// The usage scope of a partner on a tenant: see [`AsyncClaims::usage_scope`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::usage_scope`].
    pub fn usage_scope(
        &self,
        partner: PartnerId,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<UsageGrant>, ServiceError> {
        block_on(self.core.usage_scope(partner, tenant, now))
    }

    /// A page of a partner location's claims: see [`AsyncClaims::partner_claims`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::partner_claims`].
    pub fn partner_claims(
        &self,
        actor: &Actor,
        partner: PartnerId,
        engagement: Option<&EngagementId>,
        page: PageRequest,
    ) -> Result<Page<Stored>, ServiceError> {
        block_on(self.core.partner_claims(actor, partner, engagement, page))
    }

    /// A page of the claims about a customer: see [`AsyncClaims::customer_claims`].
    ///
    /// # Errors
    ///
    /// As [`AsyncClaims::customer_claims`].
    pub fn customer_claims(
        &self,
        actor: &Actor,
        customer: &CustomerId,
        page: PageRequest,
    ) -> Result<Page<Stored>, ServiceError> {
        block_on(self.core.customer_claims(actor, customer, page))
    }
}
