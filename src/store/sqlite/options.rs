//! The settings of a store: [`Synchronous`] and [`SqliteOptions`].

use std::path::Path;
use std::time::Duration;

use super::SqliteStore;
use crate::store::StoreError;

/// How hard SQLite works to make a commit durable: its `synchronous` setting.
///
/// The store always commits atomically; this only decides what survives a crash of the
/// operating system or a power loss (a crash of the process alone loses nothing in WAL mode,
/// whatever the level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Synchronous {
    /// `synchronous = OFF`: SQLite hands writes to the operating system and never waits for
    /// the disk. Fastest; a power loss may lose recent commits or corrupt the file.
    Off,
    /// `synchronous = NORMAL`: in WAL mode, the file stays consistent after a power loss, but
    /// the last commits before it may be lost.
    Normal,
    /// `synchronous = FULL`, the default: every commit is on disk before `commit` returns.
    #[default]
    Full,
}

impl Synchronous {
    pub(super) const fn pragma(self) -> &'static str {
        match self {
            Self::Off => "OFF",
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
        }
    }
}

/// How a [`SqliteStore`] is opened: its durability, its read connections and how long a
/// write waits for the database's lock.
///
/// ```
/// use std::time::Duration;
///
/// use cpor::store::{SqliteOptions, Synchronous};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let path = std::env::temp_dir().join(format!("cpor-options-{}.db", std::process::id()));
/// let store = SqliteOptions::new()
///     .synchronous(Synchronous::Normal)
///     .readers(8)
///     .busy_timeout(Duration::from_secs(2))
///     .open(&path)?;
/// # drop(store);
/// # for suffix in ["", "-wal", "-shm"] {
/// #     let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
/// # }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqliteOptions {
    pub(super) synchronous: Synchronous,
    pub(super) readers: usize,
    pub(super) busy_timeout: Duration,
}

impl SqliteOptions {
    /// The read connections a file store opens by default: 4. Queries run on them beside
    /// the writer, so that four queries and a commit can run at once; more only help with
    /// more cores than that, and each costs a file handle and a page cache of up to 2 MiB.
    pub const DEFAULT_READERS: usize = 4;

    /// How long a write waits for the database's lock by default: 5 seconds.
    pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

    /// The defaults: [`Synchronous::Full`], [`DEFAULT_READERS`](Self::DEFAULT_READERS)
    /// readers and a busy timeout of
    /// [`DEFAULT_BUSY_TIMEOUT`](Self::DEFAULT_BUSY_TIMEOUT).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            synchronous: Synchronous::Full,
            readers: Self::DEFAULT_READERS,
            busy_timeout: Self::DEFAULT_BUSY_TIMEOUT,
        }
    }

    /// How hard SQLite works to make a commit durable.
    #[must_use]
    pub const fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// How many read connections a file store opens beside its writer (0: queries run on
    /// the writer, one at a time with commits). A database in memory has none whatever this
    /// says, nor has a file whose journal cannot be WAL.
    #[must_use]
    pub const fn readers(mut self, readers: usize) -> Self {
        self.readers = readers;
        self
    }

    /// How long a commit or an import waits for the database's lock, held by another
    /// connection (another process, or another store on the same file), before it fails with
    /// [`StoreError::Timeout`] (`what`: `lock`). Readers wait as long in the rare moments a
    /// reader must (while the WAL is reset).
    #[must_use]
    pub const fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Opens (or creates) a database file with these options.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if the file cannot be opened or migrated, or if it holds a
    /// schema newer than this build knows; [`StoreError::Timeout`] if another connection
    /// held its lock for longer than the busy timeout.
    pub fn open(self, path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with_options(path, self)
    }

    /// A new, empty database in memory with these options (it has no readers).
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if SQLite fails.
    pub fn open_in_memory(self) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_in_memory_with_options(self)
    }
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self::new()
    }
}
