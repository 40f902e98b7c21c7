//! The store's failures as [`StoreError`]s: what timed out, what is unreachable, and what
//! else the server said, by its SQLSTATE code and primary message only.

use std::time::Duration;

use tokio_postgres::error::SqlState;

use crate::store::StoreError;

/// A back-end failure this module reports itself (the driver's are converted by
/// [`store_error`]).
#[derive(Debug, thiserror::Error)]
pub(super) enum PgError {
    /// The schema name cannot name a PostgreSQL schema.
    #[error("schema name {name:?} is not valid: {reason}")]
    SchemaName { name: String, reason: &'static str },
    /// The connection string does not parse.
    #[error("connection string is not valid: {reason}")]
    Url { reason: String },
    /// Every attempt of a commit met a concurrent one.
    #[error("gave up after {attempts} attempts that each met a concurrent transaction")]
    Contention { attempts: usize },
    /// The server refused a statement. Only the SQLSTATE code and the primary message are
    /// kept: the DETAIL of a message may quote a row's values, and no SQL text is shown.
    #[error("server error {code}: {message}")]
    Server { code: String, message: String },
    /// No connection was free, nor could one be opened, within the checkout timeout.
    #[error("no connection could be checked out within {timeout:?}")]
    Checkout { timeout: Duration },
    /// The store's own runtime, which runs its connections, could not be started or has
    /// stopped.
    #[error("the store's runtime is not running: {reason}")]
    Runtime { reason: String },
}

impl PgError {
    /// Wrapped as a [`StoreError::Backend`].
    pub(super) fn backend(self) -> StoreError {
        StoreError::backend(self)
    }
}

/// Whether a SQLSTATE tells that the server cannot be used now: a connection failure (class
/// 08), a server shutting down or starting up (57P01 to 57P03) or out of connections (53300).
fn is_unreachable(code: &SqlState) -> bool {
    code.code().starts_with("08")
        || *code == SqlState::ADMIN_SHUTDOWN
        || *code == SqlState::CRASH_SHUTDOWN
        || *code == SqlState::CANNOT_CONNECT_NOW
        || *code == SqlState::TOO_MANY_CONNECTIONS
}

/// Whether PostgreSQL aborted a transaction that may succeed if run again: a serialization
/// failure, a deadlock, or a unique violation of a concurrent insert.
pub(super) fn is_transient(error: &tokio_postgres::Error) -> bool {
    matches!(
        error.code(),
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::UNIQUE_VIOLATION
    )
}

/// Whether an I/O error is somewhere in the error's sources: a socket refused, reset or
/// closed.
fn has_io_source(error: &tokio_postgres::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        if inner.is::<std::io::Error>() {
            return true;
        }
        source = inner.source();
    }
    false
}

/// The driver's error as a [`StoreError`]:
///
/// - SQLSTATE 57014 (`query_canceled`, a `statement_timeout`) is [`StoreError::Timeout`] of
///   `statement`, 55P03 (`lock_not_available`, a `lock_timeout`) of `lock`;
/// - a closed connection, an I/O failure and the SQLSTATEs of an unreachable server are
///   [`StoreError::Unavailable`];
/// - any other server error is [`StoreError::Backend`] with its SQLSTATE and primary message.
pub(super) fn store_error(error: tokio_postgres::Error) -> StoreError {
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        let source = Box::new(PgError::Server {
            code: code.code().to_owned(),
            message: db.message().to_owned(),
        });
        return if *code == SqlState::QUERY_CANCELED {
            StoreError::Timeout {
                what: "statement",
                source,
            }
        } else if *code == SqlState::LOCK_NOT_AVAILABLE {
            StoreError::Timeout {
                what: "lock",
                source,
            }
        } else if is_unreachable(code) {
            StoreError::Unavailable { source }
        } else {
            StoreError::Backend { source }
        };
    }
    if error.is_closed() || has_io_source(&error) {
        StoreError::Unavailable {
            source: Box::new(error),
        }
    } else {
        StoreError::backend(error)
    }
}

/// Whether a failure means the connection or the server is gone: a retry on a fresh
/// connection may succeed.
pub(super) const fn is_unavailable(error: &StoreError) -> bool {
    matches!(error, StoreError::Unavailable { .. })
}
