//! The asynchronous store: [`AsyncStore`], the [`Store`](super::Store) contract for async
//! services.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{
    Claim, CountedKey, ImportReport, InMemoryStore, Leased, Page, PageRequest, Scope, Store,
    StoreError, Stored, UniqueKey, Version, Write,
};
use crate::catalog::EngagementId;
use crate::event::EventId;
use crate::id::{ClaimId, CustomerId, PartnerId};

/// A claim store for async code: the contract of [`Store`], method for method, with each
/// method returning a `Send` future, so that it can be awaited from a tokio handler and held
/// across `.await` in a spawned task.
///
/// [`AsyncClaims`](crate::service::AsyncClaims) runs over it. Every store of this crate
/// implements both traits: [`InMemoryStore`] answers at once (its work is a few
/// microseconds under a lock), `SqliteStore` runs its statements on a blocking thread, off
/// the executor, and `PgStore` talks to PostgreSQL without blocking at all. A store must
/// pass the same conformance suite through either trait.
///
/// The futures are lazy: nothing happens until they are polled, so a write that is dropped
/// before its first poll writes nothing. A write dropped part way (its task cancelled) is
/// either committed whole or not at all, as with a lost connection: retry it with a request
/// ID to find out which.
///
/// Because the methods return `impl Future + Send`, the trait is not object safe; use a
/// generic parameter (`AsyncClaims<S>`), a reference or an `Arc<S>`. When both traits are in
/// scope, a method call on a store of this crate is ambiguous: import the one you use.
pub trait AsyncStore: Send + Sync {
    /// Loads a claim, as seen from `scope`. See [`Store::load`].
    fn load(
        &self,
        scope: Scope,
        id: ClaimId,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send;

    /// Writes every claim of `writes` in one atomic step, or none of them. See
    /// [`Store::commit`].
    fn commit(
        &self,
        writes: Vec<Write>,
    ) -> impl Future<Output = Result<Vec<Version>, StoreError>> + Send;

    /// Imports a batch of existing claims in one transaction. See [`Store::import`].
    fn import(
        &self,
        claims: Vec<Claim>,
    ) -> impl Future<Output = Result<ImportReport, StoreError>> + Send;

    /// A page of the claims of a partner location. See [`Store::by_partner`].
    fn by_partner(
        &self,
        partner: PartnerId,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Stored>, StoreError>> + Send;

    /// A page of the claims of a partner location for one engagement. See
    /// [`Store::by_partner_engagement`].
    fn by_partner_engagement(
        &self,
        partner: PartnerId,
        engagement: &EngagementId,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Stored>, StoreError>> + Send;

    /// A page of the claims about one customer. See [`Store::by_customer`].
    fn by_customer(
        &self,
        scope: Scope,
        customer: &CustomerId,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Stored>, StoreError>> + Send;

    /// The claim that holds a uniqueness key. See [`Store::holder`].
    fn holder(
        &self,
        key: &UniqueKey,
    ) -> impl Future<Output = Result<Option<ClaimId>, StoreError>> + Send;

    /// How many active claims count towards a counted key. See [`Store::count`].
    fn count(&self, key: &CountedKey) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// A page of the IDs of the claims due at `now`. See [`Store::due`].
    fn due(
        &self,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<ClaimId>, StoreError>> + Send;

    /// Takes up to `limit` due claims no other caller holds, for `lease`. See
    /// [`Store::take_due`].
    fn take_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<ClaimId>, StoreError>> + Send;

    /// Takes up to `limit` pending events from the outbox under a lease. See
    /// [`Store::lease_events`].
    fn lease_events(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Leased>, StoreError>> + Send;

    /// Removes delivered events from the outbox. See [`Store::acknowledge`].
    fn acknowledge(
        &self,
        ids: &[EventId],
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// A blocking [`Store`] seen as an [`AsyncStore`] whose futures do the blocking work when
/// first polled and are then ready.
///
/// For stores whose calls are short and never wait on I/O ([`InMemoryStore`]), and for the
/// blocking service, which drives the shared async core on the calling thread. Do not wrap
/// a store that waits on a disk or a network in it inside an async executor: that blocks
/// the executor's thread.
#[derive(Debug)]
pub(crate) struct Immediate<S>(pub(crate) S);

macro_rules! immediate_store {
    ($($(#[$doc:meta])* impl [$($gen:tt)*] for $ty:ty => |$this:ident| $store:expr;)*) => {$(
        $(#[$doc])*
        impl<$($gen)*> AsyncStore for $ty {
            async fn load(&self, scope: Scope, id: ClaimId) -> Result<Option<Stored>, StoreError> {
                let $this = self;
                Store::load($store, scope, id)
            }

            async fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
                let $this = self;
                Store::commit($store, writes)
            }

            async fn import(&self, claims: Vec<Claim>) -> Result<ImportReport, StoreError> {
                let $this = self;
                Store::import($store, claims)
            }

            async fn by_partner(
                &self,
                partner: PartnerId,
                page: PageRequest,
            ) -> Result<Page<Stored>, StoreError> {
                let $this = self;
                Store::by_partner($store, partner, page)
            }

            async fn by_partner_engagement(
                &self,
                partner: PartnerId,
                engagement: &EngagementId,
                page: PageRequest,
            ) -> Result<Page<Stored>, StoreError> {
                let $this = self;
                Store::by_partner_engagement($store, partner, engagement, page)
            }

            async fn by_customer(
                &self,
                scope: Scope,
                customer: &CustomerId,
                page: PageRequest,
            ) -> Result<Page<Stored>, StoreError> {
                let $this = self;
                Store::by_customer($store, scope, customer, page)
            }

            async fn holder(&self, key: &UniqueKey) -> Result<Option<ClaimId>, StoreError> {
                let $this = self;
                Store::holder($store, key)
            }

            async fn count(&self, key: &CountedKey) -> Result<u32, StoreError> {
                let $this = self;
                Store::count($store, key)
            }

            async fn due(
                &self,
                now: DateTime<Utc>,
                page: PageRequest,
            ) -> Result<Page<ClaimId>, StoreError> {
                let $this = self;
                Store::due($store, now, page)
            }

            async fn take_due(
                &self,
                now: DateTime<Utc>,
                lease: Duration,
                limit: usize,
            ) -> Result<Vec<ClaimId>, StoreError> {
                let $this = self;
                Store::take_due($store, now, lease, limit)
            }

            async fn lease_events(
                &self,
                now: DateTime<Utc>,
                lease: Duration,
                limit: usize,
            ) -> Result<Vec<Leased>, StoreError> {
                let $this = self;
                Store::lease_events($store, now, lease, limit)
            }

            async fn acknowledge(&self, ids: &[EventId]) -> Result<usize, StoreError> {
                let $this = self;
                Store::acknowledge($store, ids)
            }
        }
    )*};
}

immediate_store! {
    /// The in-memory store answers at once: each call is a few microseconds under its lock,
    /// with no I/O, so it runs on the calling task.
    impl [] for InMemoryStore => |this| this;
    impl [S: Store] for Immediate<S> => |this| &this.0;
}

/// Implements [`AsyncStore`] for a pointer type by forwarding every method to the pointee.
macro_rules! forward_async_store {
    ($(#[$doc:meta])* $ptr:ty) => {
        $(#[$doc])*
        impl<T: AsyncStore + ?Sized> AsyncStore for $ptr {
            fn load(
                &self,
                scope: Scope,
                id: ClaimId,
            ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
                (**self).load(scope, id)
            }

            fn commit(
                &self,
                writes: Vec<Write>,
            ) -> impl Future<Output = Result<Vec<Version>, StoreError>> + Send {
                (**self).commit(writes)
            }

            fn import(
                &self,
                claims: Vec<Claim>,
            ) -> impl Future<Output = Result<ImportReport, StoreError>> + Send {
                (**self).import(claims)
            }

            fn by_partner(
                &self,
                partner: PartnerId,
                page: PageRequest,
            ) -> impl Future<Output = Result<Page<Stored>, StoreError>> + Send {
                (**self).by_partner(partner, page)
            }

            fn by_partner_engagement(
                &self,
                partner: PartnerId,
                engagement: &EngagementId,
                page: PageRequest,
            ) -> impl Future<Output = Result<Page<Stored>, StoreError>> + Send {
                (**self).by_partner_engagement(partner, engagement, page)
            }

            fn by_customer(
                &self,
                scope: Scope,
                customer: &CustomerId,
                page: PageRequest,
            ) -> impl Future<Output = Result<Page<Stored>, StoreError>> + Send {
                (**self).by_customer(scope, customer, page)
            }

            fn holder(
                &self,
                key: &UniqueKey,
            ) -> impl Future<Output = Result<Option<ClaimId>, StoreError>> + Send {
                (**self).holder(key)
            }

            fn count(
                &self,
                key: &CountedKey,
            ) -> impl Future<Output = Result<u32, StoreError>> + Send {
                (**self).count(key)
            }

            fn due(
                &self,
                now: DateTime<Utc>,
                page: PageRequest,
            ) -> impl Future<Output = Result<Page<ClaimId>, StoreError>> + Send {
                (**self).due(now, page)
            }

            fn take_due(
                &self,
                now: DateTime<Utc>,
                lease: Duration,
                limit: usize,
            ) -> impl Future<Output = Result<Vec<ClaimId>, StoreError>> + Send {
                (**self).take_due(now, lease, limit)
            }

            fn lease_events(
                &self,
                now: DateTime<Utc>,
                lease: Duration,
                limit: usize,
            ) -> impl Future<Output = Result<Vec<Leased>, StoreError>> + Send {
                (**self).lease_events(now, lease, limit)
            }

            fn acknowledge(
                &self,
                ids: &[EventId],
            ) -> impl Future<Output = Result<usize, StoreError>> + Send {
                (**self).acknowledge(ids)
            }
        }
    };
}

forward_async_store!(
    /// A borrowed async store is an async store.
    &T
);
forward_async_store!(
    /// `Arc<S>` is an async store, shared between tasks.
    std::sync::Arc<T>
);
