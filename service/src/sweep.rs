//! The timer: every few seconds, expire the claims whose deadline has passed.
//!
//! `AsyncClaims::sweep` takes the due claims through the store's `take_due` leases, so
//! the loop may run on every instance at once: the instances share the due claims, and the
//! version-checked commit makes sure a claim expires once. The expiries' events go to the
//! outbox with their commits, and the delivery loop delivers them like any other.

use cpor::service::Swept;
use cpor::store::AsyncStore;
use tokio::sync::watch;

use crate::app::AppState;
use crate::config::Intervals;
use crate::delivery::{millis, stopped_during};

/// The sweep loop: runs until `stop` turns `true` (or its sender is dropped). A failed sweep
/// is logged and tried again at the next tick.
pub async fn run<S: AsyncStore + 'static>(
    state: AppState<S>,
    intervals: Intervals,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(
        every_ms = millis(intervals.sweep_every),
        "sweep loop started"
    );
    loop {
        sweep_once(&state).await;
        if stopped_during(&mut stop, intervals.sweep_every).await {
            break;
        }
    }
    tracing::info!("sweep loop stopped");
}

/// One sweep at the state's `now`; returns how many claims it expired (0 on failure).
pub async fn sweep_once<S: AsyncStore>(state: &AppState<S>) -> usize {
    let now = state.now();
    match state.claims.sweep(now, &*state.facts).await {
        Ok(swept) => {
            if !swept.is_empty() {
                let associations = swept
                    .iter()
                    .filter(|s| matches!(s, Swept::Association(_)))
                    .count();
                tracing::info!(
                    expired = swept.len(),
                    associations,
                    activities = swept.len() - associations,
                    %now,
                    "sweep expired claims"
                );
            }
            swept.len()
        }
        Err(e) => {
            tracing::warn!(code = e.code(), error = %e, "sweep failed; retrying at the next tick");
            0
        }
    }
}
