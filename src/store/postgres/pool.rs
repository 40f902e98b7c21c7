//! The connections: opened on the store's own runtime, set up for the store's schema and
//! timeouts, pooled by `deadpool`, and checked out with a deadline.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleError, RecycleResult, Timeouts};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, GenericClient, NoTls, Row, Statement};

use super::error::{PgError, is_unavailable, store_error};
use crate::store::StoreError;

/// One connection with the statements it prepared.
pub(super) struct Connection {
    pub(super) client: Client,
    pub(super) statements: HashMap<&'static str, Statement>,
    /// The task that drives the connection's socket, on the store's runtime.
    task: JoinHandle<()>,
    /// The pool's generation when the connection was opened.
    generation: u64,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Opens the store's connections. A connection's socket lives on the runtime it was opened
/// on, so every connection is opened, and driven, on the store's own runtime: it then serves
/// callers on any runtime, and outlives none of theirs.
pub(super) struct Manager {
    pub(super) config: Config,
    pub(super) runtime: Handle,
    /// The session settings every connection starts with: the schema's `search_path`, the
    /// `statement_timeout` and the `lock_timeout`.
    pub(super) setup: String,
    /// One more each time a connection is found broken: the connections opened before are
    /// suspect (a server restart closes them all, and a closed socket may not have been
    /// noticed yet), so they are not handed out again.
    pub(super) generation: AtomicU64,
}

impl Manager {
    /// Marks every connection open now as suspect: each is replaced when next checked out.
    pub(super) fn connection_broke(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }
}

impl managed::Manager for Manager {
    type Type = Connection;
    type Error = StoreError;

    async fn create(&self) -> Result<Connection, StoreError> {
        let config = self.config.clone();
        let setup = self.setup.clone();
        let generation = self.generation.load(Ordering::Relaxed);
        let opened = self.runtime.spawn(async move {
            let (client, connection) = config.connect(NoTls).await.map_err(store_error)?;
            let task = tokio::spawn(async move {
                if let Err(error) = connection.await {
                    // A server restart or a lost socket: the pool replaces the connection.
                    tracing::debug!(
                        store = "postgres",
                        error = %store_error(error).code(),
                        "connection closed"
                    );
                }
            });
            let connection = Connection {
                client,
                statements: HashMap::new(),
                task,
                generation,
            };
            connection
                .client
                .batch_execute(&setup)
                .await
                .map_err(store_error)?;
            Ok(connection)
        });
        match opened.await {
            Ok(result) => result,
            Err(join) => Err(PgError::Runtime {
                reason: join.to_string(),
            }
            .backend()),
        }
    }

    async fn recycle(&self, connection: &mut Connection, _: &Metrics) -> RecycleResult<StoreError> {
        if connection.client.is_closed() {
            tracing::debug!(store = "postgres", "a closed connection is replaced");
            return Err(RecycleError::message("connection closed"));
        }
        if connection.generation < self.generation.load(Ordering::Relaxed) {
            tracing::debug!(
                store = "postgres",
                "a connection opened before another broke is replaced"
            );
            return Err(RecycleError::message("connection suspect"));
        }
        Ok(())
    }
}

/// The pool of the store's connections.
pub(super) type Pool = managed::Pool<Manager>;

/// A connection checked out of the pool, given back when dropped.
pub(super) type Pooled = Object<Manager>;

/// How long to wait before trying again to open a connection the server refused.
const REOPEN_BACKOFF: Duration = Duration::from_millis(25);

/// The longest wait between two tries to open a connection.
const REOPEN_BACKOFF_MAX: Duration = Duration::from_millis(400);

/// Takes a connection from `pool`: an idle one, or a new one, or one given back within
/// `timeout`. With `persist`, a server that refuses connections (restarting, say) is tried
/// again until the timeout: nothing was sent yet, so any operation may wait for it.
///
/// # Errors
///
/// [`StoreError::Timeout`] of `pool checkout` if no connection came within `timeout`, and
/// [`StoreError::Unavailable`] if the server could not be reached.
pub(super) async fn checkout(
    pool: &Pool,
    timeout: Duration,
    persist: bool,
) -> Result<Pooled, StoreError> {
    let start = Instant::now();
    let mut backoff = REOPEN_BACKOFF;
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        let timeouts = Timeouts {
            wait: Some(left),
            create: Some(left),
            recycle: Some(left),
        };
        let error = match pool.timeout_get(&timeouts).await {
            Ok(connection) => return Ok(connection),
            Err(PoolError::Timeout(_)) => {
                return Err(StoreError::Timeout {
                    what: "pool checkout",
                    source: Box::new(PgError::Checkout { timeout }),
                });
            }
            Err(PoolError::Backend(error)) => error,
            Err(PoolError::Closed) => {
                return Err(PgError::Runtime {
                    reason: "the pool is closed".to_owned(),
                }
                .backend());
            }
            Err(other) => {
                return Err(PgError::Runtime {
                    reason: other.to_string(),
                }
                .backend());
            }
        };
        let left = timeout.saturating_sub(start.elapsed());
        if !persist || !is_unavailable(&error) || left.is_zero() {
            return Err(error);
        }
        tracing::debug!(
            store = "postgres",
            error = error.code(),
            "the server refused a connection; trying again"
        );
        tokio::time::sleep(backoff.min(left)).await;
        backoff = backoff.saturating_mul(2).min(REOPEN_BACKOFF_MAX);
    }
}

/// The statement parameters of a query.
pub(super) type Params<'p> = [&'p (dyn ToSql + Sync)];

/// A client (a connection or a transaction) with its connection's prepared statements.
pub(super) struct Session<'a, C> {
    pub(super) client: &'a C,
    pub(super) statements: &'a mut HashMap<&'static str, Statement>,
}

impl<C: GenericClient + Sync> Session<'_, C> {
    /// The statement of `sql`, prepared once per connection.
    pub(super) async fn statement(
        &mut self,
        sql: &'static str,
    ) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).await?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    pub(super) async fn query(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.statement(sql).await?;
        self.client.query(&statement, params).await
    }

    pub(super) async fn execute(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<u64, tokio_postgres::Error> {
        let statement = self.statement(sql).await?;
        self.client.execute(&statement, params).await
    }

    pub(super) async fn query_one(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Row, tokio_postgres::Error> {
        let statement = self.statement(sql).await?;
        self.client.query_one(&statement, params).await
    }

    pub(super) async fn query_opt(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = self.statement(sql).await?;
        self.client.query_opt(&statement, params).await
    }
}

/// The longest timeout PostgreSQL takes, in milliseconds (`i32::MAX`).
const MAX_MILLIS: u64 = 2_147_483_647;

/// The session settings of every connection: `SET` statements with the schema (quoted) and
/// the timeouts in milliseconds (0 turns a timeout off).
pub(super) fn session_setup(schema: &str, statement: Duration, lock: Duration) -> String {
    let millis = |d: Duration| {
        u64::try_from(d.as_millis())
            .unwrap_or(u64::MAX)
            .min(MAX_MILLIS)
    };
    format!(
        "SET search_path TO {schema}; SET statement_timeout = {}; SET lock_timeout = {}",
        millis(statement),
        millis(lock)
    )
}
