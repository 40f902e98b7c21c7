//! The timer: every claim whose deadline has passed, expired and committed.

use chrono::{DateTime, Utc};

use crate::eligibility::Facts;
use crate::id::ClaimId;
use crate::store::{AsyncStore, Claim, PageRequest, Scope, Write};

use super::trace::{self, Action, traced};
use super::{AsyncClaims, Outcome, ServiceError, Swept};
use crate::event::Emitted;

impl<S: AsyncStore> AsyncClaims<S> {
    /// Applies every timer that is due at `now`: each claim whose next deadline has passed is
    /// expired and committed. The due claims are read a page at a time, each visited once;
    /// claims that changed meanwhile are re-read, and claims no longer due are skipped.
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
            let mut request = Some(PageRequest::first(PageRequest::DEFAULT_LIMIT));
            while let Some(page_request) = request {
                let page = self.store.due(now, page_request).await?;
                request = page_request.next(&page);
                for id in page.items {
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
                    .commit(vec![Write::update(t.claim.clone(), stored.version)])
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
                    .commit(vec![Write::update(t.claim.clone(), stored.version)])
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
