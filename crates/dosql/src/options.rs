//! How a database is opened: [`Options`], and how
//! [`crate::Connection::insert_batch`] splits its rows: [`BatchConfig`].

pub use dosql_storage::Synchronous;
use std::time::Duration;

/// Options for opening a [`crate::Database`]. The defaults are the product
/// guide's: 4 KiB pages, a 32 MiB page cache, `synchronous = full`, no
/// history kept beyond what the change feed's consumers need.
///
/// ```
/// # use dosql::{Database, Options, Synchronous};
/// # use std::time::Duration;
/// let dir = tempfile::tempdir()?;
/// let opts = Options::new()
///     .cache_bytes(64 << 20)
///     .synchronous(Synchronous::Normal)
///     .wal_retention(Duration::from_secs(3600))
///     .foreign_keys(true);
/// let db = Database::open_with(dir.path().join("app.db"), &opts)?;
/// assert_eq!(db.query_row("PRAGMA foreign_keys", (), |r| r.get::<i64>(0))?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    pub(crate) page_size: usize,
    pub(crate) cache_bytes: usize,
    pub(crate) synchronous: Synchronous,
    pub(crate) wal_retention: Duration,
    pub(crate) foreign_keys: bool,
    pub(crate) batch: BatchConfig,
}

impl Default for Options {
    fn default() -> Self {
        let c = dosql_storage::Config::default();
        Options {
            page_size: c.page_size,
            cache_bytes: c.cache_bytes,
            synchronous: c.synchronous,
            wal_retention: c.retention.history,
            foreign_keys: false,
            batch: BatchConfig::default(),
        }
    }
}

impl Options {
    /// The defaults.
    ///
    /// ```
    /// let o = dosql::Options::new();
    /// # let _ = o;
    /// ```
    pub fn new() -> Options {
        Options::default()
    }

    /// Page size of a new database: a power of two from 1 KiB to 64 KiB
    /// (an existing database keeps its own).
    ///
    /// ```
    /// let o = dosql::Options::new().page_size(8192);
    /// # let _ = o;
    /// ```
    pub fn page_size(mut self, bytes: usize) -> Options {
        self.page_size = bytes;
        self
    }

    /// The page cache budget, shared by every connection to the database.
    ///
    /// ```
    /// let o = dosql::Options::new().cache_bytes(128 << 20);
    /// # let _ = o;
    /// ```
    pub fn cache_bytes(mut self, bytes: usize) -> Options {
        self.cache_bytes = bytes;
        self
    }

    /// When commits become durable (`PRAGMA synchronous` changes it later).
    ///
    /// ```
    /// let o = dosql::Options::new().synchronous(dosql::Synchronous::Normal);
    /// # let _ = o;
    /// ```
    pub fn synchronous(mut self, mode: Synchronous) -> Options {
        self.synchronous = mode;
        self
    }

    /// How long committed changes stay in the write-ahead log for time
    /// travel and the change feed.
    ///
    /// ```
    /// let o = dosql::Options::new().wal_retention(std::time::Duration::from_secs(600));
    /// # let _ = o;
    /// ```
    pub fn wal_retention(mut self, history: Duration) -> Options {
        self.wal_retention = history;
        self
    }

    /// Whether every connection enforces FOREIGN KEY constraints (SQLite's
    /// `PRAGMA foreign_keys`, off by default as in SQLite).
    ///
    /// ```
    /// let o = dosql::Options::new().foreign_keys(true);
    /// # let _ = o;
    /// ```
    pub fn foreign_keys(mut self, on: bool) -> Options {
        self.foreign_keys = on;
        self
    }

    /// How [`crate::Connection::insert_batch`] splits rows.
    ///
    /// ```
    /// let o = dosql::Options::new().batch(dosql::BatchConfig { insert_batch_size: 50, ..Default::default() });
    /// # let _ = o;
    /// ```
    pub fn batch(mut self, batch: BatchConfig) -> Options {
        self.batch = batch;
        self
    }

    pub(crate) fn storage_config(&self) -> dosql_storage::Config {
        let mut c = dosql_storage::Config {
            page_size: self.page_size,
            cache_bytes: self.cache_bytes,
            synchronous: self.synchronous,
            ..dosql_storage::Config::default()
        };
        c.retention.history = self.wal_retention;
        c
    }
}

/// How [`crate::Connection::insert_batch`] splits rows, with the product
/// guide's `BATCH_CONFIG` as defaults.
///
/// ```
/// let b = dosql::BatchConfig::default();
/// assert_eq!((b.insert_batch_size, b.max_batch_size, b.transaction_batch_size), (100, 1000, 500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// Rows per INSERT statement.
    pub insert_batch_size: usize,
    /// Batches up to this many rows commit in one transaction.
    pub max_batch_size: usize,
    /// Larger batches commit every this many rows, so one batch does not
    /// hold the write lock for its whole length.
    pub transaction_batch_size: usize,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig { insert_batch_size: 100, max_batch_size: 1000, transaction_batch_size: 500 }
    }
}
