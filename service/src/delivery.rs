//! Delivery of the outbox: lease a batch of events, hand each to a [`Sink`], acknowledge
//! the ones delivered.
//!
//! Every accepted command writes its events to the store's outbox in the same transaction
//! as the claim (see `cpor::store`, "The outbox"). This loop takes them with
//! `lease_events(now, lease, batch)`, delivers them one by one in the order leased, and
//! `acknowledge`s those the sink accepted. An event whose delivery failed is not
//! acknowledged: its lease runs out and it is leased again, with its attempt count one
//! higher. Several instances may run the loop on one database; the leases share the events
//! among them.
//!
//! That is **at-least-once** delivery: an event may arrive twice (a sink that delivered
//! and an acknowledgement that failed, an instance that stopped between the two). Each
//! delivery carries the event's stable ID (`{claim}/v{version}/{index}`), and the webhook
//! sends it as `Idempotency-Key`: consumers recognise a repeat by it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cpor::ClaimId;
use cpor::event::Event;
use cpor::store::{AsyncStore, Leased};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::app::AppState;
use crate::config::Intervals;

/// A boxed, `Send` future: what a [`Sink`] returns, so that sinks can be `dyn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One event as delivered: the body the webhook POSTs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The event's stable ID, `{claim}/v{version}/{index}`: the consumer's idempotency key.
    pub id: String,
    /// The claim the event is about.
    pub claim: ClaimId,
    /// How many times it has been leased, this time included.
    pub attempt: u32,
    /// The event, tagged by `family` and `event`.
    pub event: Event,
}

impl From<&Leased> for Delivery {
    fn from(leased: &Leased) -> Self {
        Self {
            id: leased.id.to_string(),
            claim: leased.claim(),
            attempt: leased.attempt,
            event: leased.event.clone(),
        }
    }
}

/// Where events go. `Err` leaves the event in the outbox, to be leased again.
pub trait Sink: Send + Sync + 'static {
    /// Delivers one event.
    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), String>>;
}

/// Delivers each event as a log line (tracing, `info`), with its ID and JSON. The default:
/// it makes the outbox visible while trying the service. The JSON holds the contacts'
/// email addresses, so this is for demonstrations, not for a production log.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSink;

impl Sink for LogSink {
    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let json = serde_json::to_string(&delivery.event).map_err(|e| e.to_string())?;
            tracing::info!(
                event_id = %delivery.id,
                claim = %delivery.claim,
                attempt = delivery.attempt,
                event = %json,
                "event delivered"
            );
            Ok(())
        })
    }
}

/// Keeps every delivery in memory, in order: for tests. Clones share the list.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    delivered: Arc<Mutex<Vec<Delivery>>>,
    fail: Arc<Mutex<u32>>,
}

impl MemorySink {
    /// An empty sink.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything delivered so far, in order (repeats included).
    #[must_use]
    pub fn delivered(&self) -> Vec<Delivery> {
        self.delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Makes the next `n` deliveries fail, as a consumer that is down would.
    pub fn fail_next(&self, n: u32) {
        *self.fail.lock().unwrap_or_else(PoisonError::into_inner) = n;
    }
}

impl Sink for MemorySink {
    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            {
                let mut fail = self.fail.lock().unwrap_or_else(PoisonError::into_inner);
                if *fail > 0 {
                    *fail -= 1;
                    return Err("the test sink refused it".to_owned());
                }
            }
            self.delivered
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(delivery.clone());
            Ok(())
        })
    }
}

/// The delivery loop: runs until `stop` turns `true` (or its sender is dropped).
pub async fn run<S: AsyncStore + 'static>(
    state: AppState<S>,
    sink: Arc<dyn Sink>,
    intervals: Intervals,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(
        every_ms = millis(intervals.deliver_every),
        "delivery loop started"
    );
    while !*stop.borrow() {
        let busy = match deliver_batch(&state, &*sink, intervals).await {
            Ok(delivered) => delivered > 0,
            Err(e) => {
                tracing::warn!(error = %e, "delivery: leasing or acknowledging failed; retrying");
                false
            }
        };
        if !busy && stopped_during(&mut stop, intervals.deliver_every).await {
            break;
        }
    }
    tracing::info!("delivery loop stopped");
}

/// Leases one batch, delivers it and acknowledges what was delivered. Returns how many
/// events were delivered (0 for an empty batch, or one where every delivery failed).
///
/// # Errors
///
/// The store's error from leasing or acknowledging (delivered events whose acknowledgement
/// failed come back after the lease: at least once).
pub async fn deliver_batch<S: AsyncStore>(
    state: &AppState<S>,
    sink: &dyn Sink,
    intervals: Intervals,
) -> Result<usize, cpor::store::StoreError> {
    let store = state.claims.store();
    let batch = store
        .lease_events(state.now(), intervals.lease, intervals.batch)
        .await?;
    let mut delivered = Vec::with_capacity(batch.len());
    for leased in &batch {
        let delivery = Delivery::from(leased);
        match sink.deliver(&delivery).await {
            Ok(()) => delivered.push(leased.id),
            Err(why) => tracing::warn!(
                event_id = %delivery.id,
                attempt = delivery.attempt,
                error = %why,
                "delivery failed; the event comes back after its lease"
            ),
        }
    }
    if !delivered.is_empty() {
        store.acknowledge(&delivered).await?;
    }
    Ok(delivered.len())
}

/// Waits `every`, or until `stop` turns `true`; returns whether it did.
pub(crate) async fn stopped_during(stop: &mut watch::Receiver<bool>, every: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(every) => *stop.borrow(),
        changed = stop.changed() => changed.is_err() || *stop.borrow(),
    }
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
