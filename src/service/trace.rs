//! The service's tracing: one span per action, one event when it ends.

use std::future::Future;
use std::time::Instant;

use tracing::Instrument;
use tracing::field::{Empty, display};

use super::{Outcome, ServiceError};
use crate::id::{ClaimId, PartnerId};

/// What an action is about, for its span: never an email, a name or free text.
pub(super) struct Action {
    /// The action, such as `association` or `nominate`.
    pub(super) name: &'static str,
    /// The claim, when there is one.
    pub(super) claim: Option<ClaimId>,
    /// The partner location, when known before the claim is read.
    pub(super) partner: Option<PartnerId>,
    /// The command's kind, such as `approve`.
    pub(super) command: Option<&'static str>,
}

/// The outcome code an accepted action records: `ok`, or `replayed` for a retry answered
/// from the stored claim.
pub(super) trait Recorded {
    /// The code.
    fn outcome(&self) -> &'static str {
        "ok"
    }
}

impl<C, E> Recorded for Outcome<C, E> {
    fn outcome(&self) -> &'static str {
        if self.replayed { "replayed" } else { "ok" }
    }
}

impl<C, E> Recorded for Vec<Outcome<C, E>> {
    fn outcome(&self) -> &'static str {
        if self.iter().any(|o| o.replayed) {
            "replayed"
        } else {
            "ok"
        }
    }
}

impl<T> Recorded for crate::store::Page<T> {}
impl Recorded for crate::store::Stored {}
impl Recorded for crate::customers::CustomersPage {}
impl Recorded for Vec<super::UsageGrant> {}
impl Recorded for Vec<super::Swept> {}

/// Runs `action` in its span, and records how it ended: the outcome code, the attempts
/// (recorded by the retry loop into the span) and the time taken.
pub(super) async fn traced<T: Recorded>(
    action: Action,
    work: impl Future<Output = Result<T, ServiceError>>,
) -> Result<T, ServiceError> {
    let span = tracing::info_span!(
        "cpor.service",
        action = action.name,
        claim = Empty,
        partner = Empty,
        command = action.command.unwrap_or(""),
        attempts = Empty,
    );
    if let Some(claim) = action.claim {
        span.record("claim", display(claim));
    }
    if let Some(partner) = action.partner {
        span.record("partner", partner.get());
    }
    let started = Instant::now();
    let result = work.instrument(span.clone()).await;
    let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let _entered = span.enter();
    match &result {
        Ok(done) => tracing::info!(outcome = done.outcome(), elapsed_us, "action done"),
        Err(error) => tracing::info!(outcome = error.code(), elapsed_us, "action refused"),
    }
    result
}

/// Records the number of attempts in the current span.
pub(super) fn attempts(n: u32) {
    tracing::Span::current().record("attempts", n);
}
