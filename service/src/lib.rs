//! # cpor-service
//!
//! A reference HTTP service over [`cpor`]: the JSON API of both claim families (CPOR
//! association claims and MCI activity claims), the timer's sweep and the delivery of the
//! outbox, over SQLite (the default), PostgreSQL or the in-memory store.
//!
//! It shows how the pieces of the library fit in a service; it is not a product.
//!
//! # No authentication
//!
//! **The caller states who it is in headers** (`x-cpor-partner`, `x-cpor-user`,
//! `x-cpor-roles`, `x-cpor-actor`: see [`actor`]), and the service believes it. Anyone who
//! can reach the port can act as any partner user, reviewer, customer or the timer. A real
//! deployment puts authentication in front (Microsoft Entra ID tokens) and derives the actor
//! from the validated token, and terminates TLS before this service.
//!
//! # Pieces
//!
//! - [`router`] builds the [`axum::Router`] over an [`AppState`]: the claims service
//!   (`AsyncClaims<S>`, generic over the store), the facts ([`facts`]) and a clock;
//! - [`spawn`] serves a router on a listener and starts the two loops, the sweep
//!   ([`sweep`]) and the delivery of the outbox ([`delivery`]), all stopped by
//!   [`Running::stop`];
//! - [`start`] opens the store a [`Config`] names and spawns; [`serve`] does that and
//!   waits for Ctrl-C or SIGTERM (the binary, `cpor-service`).
//!
//! Tests start it on `127.0.0.1:0` with their own store, clock and [`MemorySink`].

pub mod actor;
pub mod app;
pub mod config;
pub mod delivery;
pub mod error;
pub mod facts;
pub mod routes;
pub mod sweep;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;

use cpor::store::{AsyncStore, InMemoryStore, PgStore, SqliteStore};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use app::{AppState, Clock, router, system_clock};
pub use config::{Config, Intervals, SinkConfig, StoreConfig};
pub use delivery::{Delivery, LogSink, MemorySink, Sink};
pub use facts::ServiceFacts;
pub use webhook::WebhookSink;

/// Why the service could not start.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// A service that runs: its address, and what stops it.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// The address it listens on (with the port the system chose for port 0).
    #[must_use]
    pub const fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server (after the requests in flight) and the loops, and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "a task of the service ended badly");
            }
        }
    }
}

/// Serves the API over `state` on `listener`, and starts the sweep and delivery loops
/// (delivering to `sink`, at `intervals`).
///
/// # Errors
///
/// The listener's address cannot be read.
pub fn spawn<S: AsyncStore + 'static>(
    listener: TcpListener,
    state: AppState<S>,
    sink: Arc<dyn Sink>,
    intervals: Intervals,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = stopped.clone();
    let app = router(state.clone());
    let server = tokio::spawn(async move {
        let graceful = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(graceful)
            .await
        {
            tracing::error!(error = %e, "the server failed");
        }
    });
    let sweeper = tokio::spawn(sweep::run(state.clone(), intervals, stopped.clone()));
    let deliverer = tokio::spawn(delivery::run(state, sink, intervals, stopped));
    Ok(Running {
        addr,
        stop,
        tasks: vec![server, sweeper, deliverer],
    })
}

/// Opens what `config` names (the store, the facts, the sink), binds its address and
/// [`spawn`]s.
///
/// # Errors
///
/// The facts file, the webhook URL, the store or the address.
pub async fn start(config: &Config) -> Result<Running, StartError> {
    let facts = match &config.facts {
        Some(path) => ServiceFacts::load(path)?,
        None => ServiceFacts::demo(),
    };
    let sink: Arc<dyn Sink> = match &config.sink {
        SinkConfig::Log => Arc::new(LogSink),
        SinkConfig::Webhook(url) => Arc::new(WebhookSink::new(url)?),
    };
    let listener = TcpListener::bind(config.listen).await?;
    let intervals = config.intervals;
    let running = match &config.store {
        StoreConfig::Sqlite(path) => {
            let path = path.clone();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(path)).await??;
            spawn(listener, AppState::new(store, facts), sink, intervals)?
        }
        StoreConfig::Postgres(url) => {
            let store = PgStore::connect_async(url).await?;
            spawn(listener, AppState::new(store, facts), sink, intervals)?
        }
        StoreConfig::Memory => spawn(
            listener,
            AppState::new(InMemoryStore::new(), facts),
            sink,
            intervals,
        )?,
    };
    tracing::info!(
        addr = %running.addr(),
        store = store_name(&config.store),
        "cpor-service listening (no authentication: the caller's headers name the actor)"
    );
    Ok(running)
}

/// Runs the service `config` describes until Ctrl-C or SIGTERM, then stops it.
///
/// # Errors
///
/// As [`start`].
pub async fn serve(config: Config) -> Result<(), StartError> {
    let running = start(&config).await?;
    shutdown_signal().await;
    tracing::info!("stopping");
    running.stop().await;
    tracing::info!("stopped");
    Ok(())
}

const fn store_name(store: &StoreConfig) -> &'static str {
    match store {
        StoreConfig::Sqlite(_) => "sqlite",
        StoreConfig::Postgres(_) => "postgres",
        StoreConfig::Memory => "memory",
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
