//! Commits: their transactions, run again when PostgreSQL aborts them for a concurrent one
//! (imports run the same way, see `import`), and the one-statement commit of a single create.

use std::future::Future;
use std::time::Duration;

use tokio_postgres::types::ToSql;

use super::Inner;
use super::commit::{Abort, Attempt, commit_in};
use super::error::{PgError, is_transient, is_unavailable, store_error};
use super::pool::{Connection, Pooled, Session};
use super::rows::{Prepared, prepare};
use super::sql::{FAST_CREATE, FAST_CREATE_EVENTS, REFUSED};
use crate::store::{Expect, StoreError, Version, Write};

/// How many times a commit runs when PostgreSQL aborts it for a serialization failure or a
/// deadlock.
const ATTEMPTS: usize = 8;

/// How long to wait before each attempt.
const BACKOFF_MS: [u64; ATTEMPTS] = [0, 1, 2, 4, 8, 16, 32, 64];

/// The work of one transaction, run once per attempt.
pub(super) trait TxWork: Sync {
    type Output: Send;

    /// One attempt on `connection`: a transaction that commits only if the work passed.
    fn attempt<'a>(
        &'a self,
        connection: &'a mut Connection,
    ) -> impl Future<Output = Attempt<Self::Output>> + Send + 'a;
}

/// The writes of one commit.
struct CommitWork<'w>(Vec<Prepared<'w>>);

impl TxWork for CommitWork<'_> {
    type Output = Vec<Version>;

    async fn attempt(&self, connection: &mut Connection) -> Attempt<Vec<Version>> {
        let Connection {
            client, statements, ..
        } = connection;
        let tx = client.transaction().await.map_err(Abort::Unsent)?;
        let versions = commit_in(
            &mut Session {
                client: &tx,
                statements,
            },
            &self.0,
        )
        .await?;
        // On any error above, `tx` is dropped, which rolls the transaction back.
        tx.commit().await?;
        Ok(versions)
    }
}

impl Inner {
    /// Runs `work` on a pooled connection, again when PostgreSQL aborts it for a
    /// serialization failure or a deadlock, and once more on a fresh connection when the
    /// transaction could not begin on a broken one. A connection lost after the transaction
    /// began is [`StoreError::Unavailable`]: the write may or may not have landed.
    pub(super) async fn run<W: TxWork>(&self, work: &W) -> Result<W::Output, StoreError> {
        let mut connection = self.checkout().await?;
        let mut reopened = false;
        for (n, backoff) in BACKOFF_MS.into_iter().enumerate() {
            if backoff > 0 {
                tokio::time::sleep(Duration::from_millis(backoff)).await;
            }
            tracing::Span::current().record("attempts", n.saturating_add(1));
            match work.attempt(&mut connection).await {
                Ok(value) => return Ok(value),
                Err(Abort::Refused(error) | Abort::Failed(error)) => return Err(error),
                Err(Abort::Unsent(error)) => {
                    let error = self.noticed(store_error(error));
                    if reopened || !is_unavailable(&error) {
                        return Err(error);
                    }
                    tracing::debug!(
                        store = "postgres",
                        "the connection was broken before the write was sent; on a fresh one"
                    );
                    reopened = true;
                    drop(Pooled::take(connection));
                    connection = self.checkout().await?;
                }
                Err(Abort::Db(error)) if !is_transient(&error) => {
                    return Err(self.noticed(store_error(error)));
                }
                Err(Abort::Db(_) | Abort::Retry) => {
                    tracing::debug!(
                        store = "postgres",
                        attempt = n.saturating_add(1),
                        "a concurrent transaction got in the way; retrying"
                    );
                }
            }
        }
        tracing::warn!(
            store = "postgres",
            attempts = ATTEMPTS,
            "gave up on a transaction that met a concurrent one on every attempt"
        );
        Err(PgError::Contention { attempts: ATTEMPTS }.backend())
    }

    /// Tries a commit of one create as one autocommitted statement: `true` if it is
    /// committed; `false` if the statement refused it or met a concurrent transaction, and
    /// wrote nothing, so that the full transaction decides (and names the holder of a key,
    /// say).
    async fn fast_create(&self, p: &Prepared<'_>) -> Result<bool, StoreError> {
        let row = &p.row;
        let limit = p
            .held
            .counted
            .as_ref()
            .map(|(_, _, limit)| i64::from(*limit));
        let counted = p.held.counted_text();
        tracing::Span::current().record("attempts", 1);
        let mut connection = self.checkout().await?;
        let Connection {
            client, statements, ..
        } = &mut *connection;
        let mut session = Session { client, statements };
        let params: [&(dyn ToSql + Sync); 12] = [
            &row.id,
            &row.partner,
            &row.engagement,
            &row.customer,
            &row.next_deadline,
            &row.next_deadline_ns,
            &row.body,
            &p.held.sorted,
            &counted,
            &limit,
            &p.events.places,
            &p.events.json,
        ];
        // A create without events keeps to the statement that knows no outbox.
        let (sql, params) = match params.first_chunk::<10>() {
            Some(claim_only) if p.events.is_empty() => (FAST_CREATE, claim_only.as_slice()),
            _ => (FAST_CREATE_EVENTS, params.as_slice()),
        };
        let outcome = session.query_one(sql, params).await;
        match outcome {
            Ok(_) => Ok(true),
            Err(error) if error.code().is_some_and(|c| c.code() == REFUSED) => Ok(false),
            Err(error) if is_transient(&error) => Ok(false),
            Err(error) => Err(self.noticed(store_error(error))),
        }
    }

    pub(super) async fn commit(&self, writes: Vec<Write>) -> Result<Vec<Version>, StoreError> {
        for write in &writes {
            write.claim.validate(&self.catalogs)?;
        }
        let prepared = prepare(&writes, &self.catalogs)?;
        if let [single] = prepared.as_slice()
            && single.write.expect == Expect::Absent
            && self.fast_create(single).await?
        {
            return Ok(vec![Version::FIRST]);
        }
        self.run(&CommitWork(prepared)).await
    }
}
