//! The store's own runtime: it drives the store's connections, and runs the work of the
//! blocking [`Store`](crate::store::Store) methods, so that they never need the caller's
//! runtime (nor block on it).

use std::future::Future;

use tokio::runtime::{Builder, Handle, Runtime};

use super::error::PgError;
use crate::store::StoreError;

/// How many worker threads the runtime of each store has: enough to drive its connections
/// and the blocking calls' work while one thread decodes a large page.
const WORKER_THREADS: usize = 2;

/// A small multi-threaded tokio runtime owned by one store, shut down with it.
pub(super) struct StoreRuntime {
    runtime: Option<Runtime>,
}

impl StoreRuntime {
    /// Starts the runtime's threads. Starting a runtime is allowed inside another one.
    pub(super) fn start() -> Result<Self, StoreError> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_name("cpor-pg")
            .enable_all()
            .build()
            .map_err(|e| {
                PgError::Runtime {
                    reason: e.to_string(),
                }
                .backend()
            })?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    /// A handle to spawn on the runtime.
    pub(super) fn handle(&self) -> Option<&Handle> {
        self.runtime.as_ref().map(Runtime::handle)
    }

    /// Runs `work` on the store's runtime and waits for it on the calling thread, on a
    /// channel: this never enters the caller's runtime, so it works on any thread, a tokio
    /// worker included (which it blocks, as any blocking call does).
    pub(super) fn block_on<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        let Some(handle) = self.handle() else {
            return Err(stopped());
        };
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        drop(handle.spawn(async move {
            // The caller waits until the work ends, so the receiver is still there.
            let _ = sender.send(work.await);
        }));
        receiver.recv().unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> StoreError {
    PgError::Runtime {
        reason: "it has stopped".to_owned(),
    }
    .backend()
}

impl Drop for StoreRuntime {
    fn drop(&mut self) {
        // Without waiting for its tasks (the connections' drivers): allowed anywhere, inside
        // an async context too, where dropping a runtime is not.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
