//! [`PgStoreConfig`]: where a [`PgStore`] connects, its schema, its pool and its timeouts.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::Pool;

use super::error::PgError;
use super::pool::{self, Manager, session_setup};
use super::runtime::StoreRuntime;
use super::schema::{migrate, quote_schema};
use super::{Inner, PgStore, Settings};
use crate::catalog::Catalogs;
use crate::store::StoreError;

/// The schema of [`PgStore::connect`].
pub const DEFAULT_SCHEMA: &str = "cpor";

/// The most connections of a store, unless [`PgStoreConfig::max_connections`] says
/// otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 16;

/// The statement, lock and pool checkout timeouts of a store, unless its
/// [`PgStoreConfig`] says otherwise: 5 seconds each.
pub const DEFAULT_PG_TIMEOUT: Duration = Duration::from_secs(5);

/// How to connect a [`PgStore`]: the server, the schema, the most connections and the
/// timeouts. Start with [`PgStoreConfig::new`] (or [`PgStore::config`]), change what you
/// need, then [`connect`](Self::connect) (blocking, usable on any thread) or
/// [`connect_async`](Self::connect_async).
///
/// ```no_run
/// use std::time::Duration;
/// use cpor::store::PgStoreConfig;
///
/// # fn main() -> Result<(), cpor::store::StoreError> {
/// let store = PgStoreConfig::new("host=/run/postgresql user=cpor dbname=claims")
///     .schema("cpor_eu")
///     .max_connections(8)
///     .statement_timeout(Duration::from_secs(2))
///     .lock_timeout(Duration::from_secs(1))
///     .checkout_timeout(Duration::from_millis(500))
///     .connect()?;
/// # drop(store);
/// # Ok(())
/// # }
/// ```
///
/// Its `Debug` form leaves out the connection string, which may hold a password.
#[derive(Clone)]
pub struct PgStoreConfig {
    url: String,
    schema: String,
    max_connections: usize,
    statement_timeout: Duration,
    lock_timeout: Duration,
    checkout_timeout: Duration,
}

impl fmt::Debug for PgStoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStoreConfig")
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .field("statement_timeout", &self.statement_timeout)
            .field("lock_timeout", &self.lock_timeout)
            .field("checkout_timeout", &self.checkout_timeout)
            .finish_non_exhaustive()
    }
}

impl PgStoreConfig {
    /// The defaults for the server of `url`, a `postgresql://` URL or a `key=value`
    /// connection string as `libpq` takes them: the schema [`DEFAULT_SCHEMA`], at most
    /// [`DEFAULT_MAX_CONNECTIONS`] connections, and [`DEFAULT_PG_TIMEOUT`] for statements,
    /// lock waits and pool checkouts.
    #[must_use]
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            schema: DEFAULT_SCHEMA.to_owned(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            statement_timeout: DEFAULT_PG_TIMEOUT,
            lock_timeout: DEFAULT_PG_TIMEOUT,
            checkout_timeout: DEFAULT_PG_TIMEOUT,
        }
    }

    /// The schema the store keeps its tables in, created and migrated on connect.
    #[must_use]
    pub fn schema(mut self, schema: &str) -> Self {
        schema.clone_into(&mut self.schema);
        self
    }

    /// The most connections the store opens (at least one); callers beyond wait for one to
    /// come back, up to the checkout timeout.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// The longest one statement may run (the session's `statement_timeout`); past it the
    /// statement is cancelled and the operation fails with [`StoreError::Timeout`] of
    /// `statement`. Zero turns the timeout off.
    #[must_use]
    pub const fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// The longest a statement waits for a lock another transaction holds (the session's
    /// `lock_timeout`); past it the operation fails with [`StoreError::Timeout`] of `lock`.
    /// Zero turns the timeout off.
    #[must_use]
    pub const fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The longest an operation waits for a connection: for one to come back to a full pool,
    /// or for a new one to open (while the server restarts, say). Past it the operation fails
    /// with [`StoreError::Timeout`] of `pool checkout`, or [`StoreError::Unavailable`] if the
    /// server refused every connection.
    #[must_use]
    pub const fn checkout_timeout(mut self, timeout: Duration) -> Self {
        self.checkout_timeout = timeout;
        self
    }

    /// Connects, and creates or migrates the schema. Blocking, and usable on any thread,
    /// inside a tokio runtime too: the work runs on the store's own runtime.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if the URL is not valid, the schema name is not (empty,
    /// longer than 63 bytes, or holding a NUL character), the schema cannot be created or
    /// migrated, or it holds a schema version newer than this build knows;
    /// [`StoreError::Unavailable`] if the server cannot be reached; [`StoreError::Timeout`]
    /// if the migration waits too long.
    pub fn connect(self) -> Result<PgStore, StoreError> {
        let store = self.build()?;
        let inner = store.inner.clone();
        store
            .runtime
            .block_on(async move { inner.migrate().await })?;
        Ok(store)
    }

    /// Connects, and creates or migrates the schema, without blocking. To be awaited inside
    /// a tokio runtime (whose timer it uses); the store's connections run on a small runtime
    /// of its own.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect).
    pub async fn connect_async(self) -> Result<PgStore, StoreError> {
        let store = self.build()?;
        store.inner.migrate().await?;
        Ok(store)
    }

    /// The store, its runtime and its pool, with no connection opened yet.
    fn build(self) -> Result<PgStore, StoreError> {
        let config: tokio_postgres::Config =
            self.url.parse().map_err(|e: tokio_postgres::Error| {
                PgError::Url {
                    reason: e.to_string(),
                }
                .backend()
            })?;
        let quoted = quote_schema(&self.schema)?;
        let runtime = StoreRuntime::start()?;
        let Some(handle) = runtime.handle().cloned() else {
            return Err(PgError::Runtime {
                reason: "it did not start".to_owned(),
            }
            .backend());
        };
        let manager = Manager {
            config,
            runtime: handle,
            setup: session_setup(&quoted, self.statement_timeout, self.lock_timeout),
            generation: AtomicU64::new(0),
        };
        let pool: pool::Pool = Pool::builder(manager)
            .max_size(self.max_connections)
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| {
                PgError::Runtime {
                    reason: e.to_string(),
                }
                .backend()
            })?;
        Ok(PgStore {
            inner: Inner {
                pool,
                catalogs: Arc::new(Catalogs::builtin()),
                settings: Arc::new(Settings {
                    quoted,
                    config: self,
                }),
            },
            runtime,
        })
    }

    pub(super) const fn checkout_wait(&self) -> Duration {
        self.checkout_timeout
    }

    pub(super) fn schema_name(&self) -> &str {
        &self.schema
    }

    pub(super) const fn max(&self) -> usize {
        self.max_connections
    }
}

impl Inner {
    /// Creates or migrates the schema on a connection of its own (the first), which is not
    /// retried: a server that cannot be reached fails the connect at once.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut connection =
            pool::checkout(&self.pool, self.settings.config.checkout_wait(), false).await?;
        migrate(
            &mut connection,
            self.settings.config.schema_name(),
            &self.settings.quoted,
        )
        .await
    }
}
