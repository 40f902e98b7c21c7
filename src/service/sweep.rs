//! The timer: every claim whose deadline has passed, expired and committed.

use chrono::{DateTime, Utc};

use crate::eligibility::Facts;
use crate::id::ClaimId;
use std::collections::HashSet;

use crate::store::{AsyncStore, Claim, Scope, Write};

use super::trace::{self, Action, traced};
use super::{AsyncClaims, Outcome, ServiceError, Swept};
use crate::event::Emitted;

/// How many due claims a sweep takes at a time: small enough that sweeps on other
/// instances find work while this one expires its batch.
const SWEEP_BATCH: usize = 32;

impl<S: AsyncStore> AsyncClaims<S> {
    /// Applies every timer that is due at `now`: each claim whose next deadline has passed is
    /// expired and committed, with its events in the outbox.
    ///
    /// The sweep may run on every instance of a service at once. It takes the due claims in
    /// batches of 32 with [`take_due`](AsyncStore::take_due), each held for the sweep lease
    /// ([`DEFAULT_SWEEP_LEASE`](super::DEFAULT_SWEEP_LEASE),
    /// [`with_sweep_lease`](Self::with_sweep_lease)), so that concurrent sweeps share the
    /// claims rather than contend on them; each claim is visited once per sweep. A claim that
    /// changed meanwhile is re-read, one no longer due is skipped, and the version-checked
    /// commit makes sure a claim expires once even if two sweeps reach it. A claim taken by
    /// a sweep that then failed is taken again when its lease runs out.
    ///
    /// # Errors
    ///
    /// The first store failure, or a claim refusing its own timer (which would be a bug).
    pub async fn sweep<F: Facts + ?Sized>(
        &self,
        now: DateTime<Utc>,
        facts: &F,
    ) -> Result<Vec<Swept>, ServiceError> {
        let action = Action {
            name: "sweep",
            claim: None,
            partner: None,
            command: Some("expire"),
        };
        traced(action, async {
            let mut swept = Vec::new();
            let mut visited = HashSet::new();
            loop {
                let taken = self
                    .store
                    .take_due(now, self.sweep_lease, SWEEP_BATCH)
                    .await?;
                // A batch of claims all seen before (their leases ran out during a long
                // sweep) ends it: each claim is visited once per sweep.
                let fresh: Vec<ClaimId> =
                    taken.into_iter().filter(|id| visited.insert(*id)).collect();
                if fresh.is_empty() {
                    break;
                }
                for id in fresh {
                    let mut tries = 0_u32;
                    let done = loop {
                        tries = tries.saturating_add(1);
                        trace::attempts(tries);
                        let result = self.expire_one(id, now, facts).await;
                        if let Some(done) = self.settled(id, tries, result) {
                            break done;
                        }
                    }?;
                    swept.extend(done);
                }
            }
            Ok(swept)
        })
        .await
    }

    /// One attempt to expire one claim: `None` if it is gone or no longer due.
    async fn expire_one<F: Facts + ?Sized>(
        &self,
        id: ClaimId,
        now: DateTime<Utc>,
        facts: &F,
    ) -> Result<Option<Swept>, ServiceError> {
        let Some(stored) = self.store.load(Scope::Microsoft, id).await? else {
            return Ok(None);
        };
        match &stored.claim {
            Claim::Association(claim) => {
                let catalog = self.catalog(claim.program_year())?;
                let Some(t) = claim.expire(now, catalog)? else {
                    return Ok(None);
                };
                let versions = self
                    .store
                    .commit(vec![
                        Write::update(t.claim.clone(), stored.version)
                            .with_events(t.events.clone()),
                    ])
                    .await?;
                let version = versions.first().copied().unwrap_or(stored.version.next());
                Ok(Some(Swept::Association(Outcome {
                    claim: t.claim,
                    version,
                    events: Emitted::numbered(id, version, t.events),
                    replayed: false,
                })))
            }
            Claim::Activity(claim) => {
                let catalog = self.catalog(claim.program_year())?;
                let facts: &dyn Facts = &facts;
                let Some(t) = claim.expire(now, catalog, facts)? else {
                    return Ok(None);
                };
                let versions = self
                    .store
                    .commit(vec![
                        Write::update(t.claim.clone(), stored.version)
                            .with_events(t.events.clone()),
                    ])
                    .await?;
                let version = versions.first().copied().unwrap_or(stored.version.next());
                Ok(Some(Swept::Activity(Outcome {
                    claim: t.claim,
                    version,
                    events: Emitted::numbered(id, version, t.events),
                    replayed: false,
                })))
            }
        }
    }
}
