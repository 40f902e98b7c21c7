//! The connections of a store: one writer, and a few readers beside it for a file in WAL
//! mode.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::migrate::migrate;
use super::values::db;
use super::{SqliteOptions, StoreError};

/// The page size of a new database, in bytes: 8 KiB rather than SQLite's default 4 KiB. A
/// claim's rows and keys take about 600 bytes, and an import of 10,000 claims writes every
/// page it fills twice (to the WAL, then to the file); with pages twice as large it handles
/// half as many, and ran 15 to 20% faster. A one-claim commit writes a page of each of the
/// claim's B-trees either way.
const PAGE_SIZE: i64 = 8_192;

/// The page cache of the connection (`cache_size`, negative: in KiB), SQLite's default. Not
/// larger: at the end of every transaction SQLite scans the cache's hash table, which grows
/// with the pages cached, and with 64 MiB of pages that scan cost a one-claim commit more
/// than a tenth of its time.
pub(super) const COMMIT_CACHE_KIB: i64 = -2_000;

/// The page cache during an import's batch: 64 MiB. A batch changes pages all over the
/// indexes, and a cache that overflows writes its pages to the WAL before the commit, some
/// of them more than once. It is only a cap: pages are allocated as they are read or
/// written. Durability is the `synchronous` setting's.
pub(super) const IMPORT_CACHE_KIB: i64 = -65_536;

/// Room in each connection's statement cache: the key inserts of every size (one statement
/// per number of keys) on the writer, the queries on a reader.
const STATEMENT_CACHE: usize = 64;

/// The connections: the writer, behind its mutex, and the readers, each behind its own.
///
/// Commits and imports take the writer; queries take a free reader (the next one in turn
/// that is not in use, else they wait for the next one in turn). With no readers (a database
/// in memory, a file not in WAL mode, or `readers(0)`), queries take the writer.
#[derive(Debug)]
pub(super) struct Pool {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    /// The reader to try first, turn by turn (it wraps around).
    next: AtomicUsize,
}

impl Pool {
    /// Opens (or creates) a file: the writer, which migrates it, then the readers, if the
    /// file is in WAL mode.
    pub(super) fn open_file(path: &Path, options: &SqliteOptions) -> Result<Self, StoreError> {
        let mut writer = Connection::open(path).map_err(db)?;
        // Before anything is written: a new file takes this page size, a file with tables
        // keeps its own.
        writer
            .pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(db)?;
        let mode = writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(db)?;
        set_up_writer(&mut writer, options)?;
        // Readers read beside the writer only in WAL mode; in any other journal mode a reader
        // waits for a commit anyway, so queries stay on the writer.
        let readers = if mode.eq_ignore_ascii_case("wal") {
            (0..options.readers)
                .map(|_| open_reader(path, options.busy_timeout).map(Mutex::new))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        Ok(Self {
            writer: Mutex::new(writer),
            readers,
            next: AtomicUsize::new(0),
        })
    }

    /// A new database in memory: its one connection is both writer and reader (another
    /// connection could not see it).
    pub(super) fn open_in_memory(options: &SqliteOptions) -> Result<Self, StoreError> {
        let mut writer = Connection::open_in_memory().map_err(db)?;
        set_up_writer(&mut writer, options)?;
        Ok(Self {
            writer: Mutex::new(writer),
            readers: Vec::new(),
            next: AtomicUsize::new(0),
        })
    }

    /// How many read connections there are (0: queries take the writer).
    pub(super) fn readers(&self) -> usize {
        self.readers.len()
    }

    /// The writer.
    pub(super) fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock drops the open transaction, which rolls it back:
        // the database is still consistent, so keep going.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A connection to read with: a free reader, else the next reader in turn once it is
    /// free, else (no readers) the writer.
    pub(super) fn reader(&self) -> MutexGuard<'_, Connection> {
        let n = self.readers.len();
        let Some(start) = self.next.fetch_add(1, Ordering::Relaxed).checked_rem(n) else {
            return self.writer();
        };
        for reader in self.readers.iter().cycle().skip(start).take(n) {
            match reader.try_lock() {
                Ok(guard) => return guard,
                // A reader holds no transaction between queries: a panic in one left nothing
                // behind.
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        match self.readers.get(start) {
            Some(reader) => reader.lock().unwrap_or_else(PoisonError::into_inner),
            None => self.writer(),
        }
    }
}

/// The writer's settings, then the schema, created or migrated.
fn set_up_writer(connection: &mut Connection, options: &SqliteOptions) -> Result<(), StoreError> {
    connection
        .pragma_update(None, "synchronous", options.synchronous.pragma())
        .map_err(db)?;
    // Temporary tables and statement journals in RAM rather than in temporary files.
    connection
        .pragma_update(None, "temp_store", "MEMORY")
        .map_err(db)?;
    connection
        .pragma_update(None, "cache_size", COMMIT_CACHE_KIB)
        .map_err(db)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    connection.busy_timeout(options.busy_timeout).map_err(db)?;
    migrate(connection)
}

/// A read connection to a file in WAL mode that the writer has opened and migrated: it may
/// only read (`query_only`), and waits for a lock (rare in WAL mode: only while the WAL is
/// being reset) for up to `busy_timeout`.
fn open_reader(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    // Opened for writing as well, so that it can take part in the WAL's shared memory as any
    // connection does; `query_only` refuses every write.
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    connection
        .pragma_update(None, "query_only", true)
        .map_err(db)?;
    connection
        .pragma_update(None, "temp_store", "MEMORY")
        .map_err(db)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    connection.busy_timeout(busy_timeout).map_err(db)?;
    Ok(connection)
}
