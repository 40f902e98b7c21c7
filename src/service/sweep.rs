//! The timer: every claim whose deadline has passed, expired and committed.

use chrono::{DateTime, Utc};

use crate::eligibility::Facts;
use crate::store::{Claim, Scope, Store, Write};

use super::{Claims, Outcome, ServiceError, Swept};

impl<S: Store> Claims<S> {
    /// Applies every timer that is due at `now`: each claim whose next deadline has passed is
    /// expired and committed. Claims that changed meanwhile are re-read; claims no longer due
    /// are skipped.
    ///
    /// # Errors
    ///
    /// The first store failure, or a claim refusing its own timer (which would be a bug).
    pub fn sweep(&self, now: DateTime<Utc>, facts: &dyn Facts) -> Result<Vec<Swept>, ServiceError> {
        let mut swept = Vec::new();
        for id in self.store.due(now)? {
            let done = self.retrying(id, || {
                let Some(stored) = self.store.load(Scope::Microsoft, id)? else {
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
                            .commit(vec![Write::update(t.claim.clone(), stored.version)])?;
                        Ok(Some(Swept::Association(Outcome {
                            claim: t.claim,
                            version: versions.first().copied().unwrap_or(stored.version),
                            events: t.events,
                            replayed: false,
                        })))
                    }
                    Claim::Activity(claim) => {
                        let catalog = self.catalog(claim.program_year())?;
                        let Some(t) = claim.expire(now, catalog, facts)? else {
                            return Ok(None);
                        };
                        let versions = self
                            .store
                            .commit(vec![Write::update(t.claim.clone(), stored.version)])?;
                        Ok(Some(Swept::Activity(Outcome {
                            claim: t.claim,
                            version: versions.first().copied().unwrap_or(stored.version),
                            events: t.events,
                            replayed: false,
                        })))
                    }
                }
            })?;
            swept.extend(done);
        }
        Ok(swept)
    }
}
