//! [`Database`]: an open database that threads share.

use crate::connection::{Connection, Transaction};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::row::Row;
use crate::value::Params;
use dosql_sql::Value;
use dosql_sql::explain::Explain;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// How many idle connections a database keeps for its own methods.
const POOL: usize = 16;

/// An open database, cheap to clone and safe to share between threads
/// (`Send + Sync`): one writer at a time, and any number of readers, each
/// reading the latest commit as of its statement's start, never blocked by
/// the writer.
///
/// Its methods run on connections it keeps in a pool; [`Database::connect`]
/// gives a connection of your own (for a streamed query, a prepared
/// statement, TEMP tables or per-connection PRAGMAs).
///
/// ```
/// use dosql::Database;
/// use std::thread;
///
/// let db = Database::open_in_memory()?;
/// db.execute("CREATE TABLE hits(n INTEGER)", ())?;
/// let writers: Vec<_> = (0..4)
///     .map(|i| {
///         let db = db.clone();
///         thread::spawn(move || db.execute("INSERT INTO hits VALUES(?)", (i,)))
///     })
///     .collect();
/// for w in writers {
///     w.join().unwrap()?;
/// }
/// assert_eq!(db.query_row("SELECT sum(n) FROM hits", (), |r| r.get::<i64>(0))?, 6);
/// # Ok::<(), dosql::Error>(())
/// ```
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    storage: dosql_storage::Database,
    options: Options,
    pool: Mutex<Vec<dosql_sql::Connection>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("storage", &self.inner.storage).finish_non_exhaustive()
    }
}

impl Database {
    /// Opens (creating if absent, recovering if it was not closed cleanly)
    /// the database file at `path`, with the default [`Options`]. Its
    /// write-ahead log lives beside it as `{path}-wal-*`.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("shop.db");
    /// {
    ///     let db = dosql::Database::open(&path)?;
    ///     db.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES(1);")?;
    /// }
    /// let db = dosql::Database::open(&path)?;
    /// assert_eq!(db.query_row("SELECT x FROM t", (), |r| r.get::<i64>(0))?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Self::open_with(path, &Options::default())
    }

    /// [`Database::open`] with options.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let db = dosql::Database::open_with(dir.path().join("a.db"), &dosql::Options::new().page_size(8192))?;
    /// # let _ = db;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_with(path: impl AsRef<Path>, options: &Options) -> Result<Database> {
        let storage = dosql_storage::Database::open(path, options.storage_config())?;
        Self::from_storage(storage, options)
    }

    /// A fresh database held in memory, gone when the last clone of it is
    /// dropped.
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory()?;
    /// # let _ = db;
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn open_in_memory() -> Result<Database> {
        Self::open_in_memory_with(&Options::default())
    }

    /// [`Database::open_in_memory`] with options.
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory_with(&dosql::Options::new().foreign_keys(true))?;
    /// # let _ = db;
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn open_in_memory_with(options: &Options) -> Result<Database> {
        let storage = dosql_storage::Database::open_in_memory(options.storage_config())?;
        Self::from_storage(storage, options)
    }

    fn from_storage(storage: dosql_storage::Database, options: &Options) -> Result<Database> {
        let db =
            Database { inner: Arc::new(Inner { storage, options: options.clone(), pool: Mutex::new(Vec::new()) }) };
        // Creates the schema table of a new database now, and checks an
        // existing one's schema parses.
        let first = db.connect()?;
        db.give_back(first);
        Ok(db)
    }

    /// A new connection of your own.
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory()?;
    /// let mut a = db.connect()?;
    /// let mut b = db.connect()?;
    /// a.execute("CREATE TABLE t(x)", ())?;
    /// b.execute("INSERT INTO t VALUES(1)", ())?;
    /// assert_eq!(a.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0))?, 1);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn connect(&self) -> Result<Connection> {
        let inner = dosql_sql::Connection::from_database(self.inner.storage.clone())?;
        Connection::wrap(inner, &self.inner.options)
    }

    /// Runs `f` on one of the pool's connections (a new one if none is
    /// idle). A transaction `f` leaves open is rolled back.
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory()?;
    /// let n = db.with_connection(|c| {
    ///     c.execute("CREATE TABLE t(x)", ())?;
    ///     c.execute("INSERT INTO t VALUES(1), (2)", ())
    /// })?;
    /// assert_eq!(n, 2);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn with_connection<T, E: From<Error>>(
        &self,
        f: impl FnOnce(&mut Connection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let idle = self.inner.pool.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut c = match idle {
            Some(inner) => Connection::wrap(inner, &Options { foreign_keys: false, ..self.inner.options.clone() })?,
            None => self.connect()?,
        };
        let r = f(&mut c);
        if c.in_transaction() {
            let _ = c.execute("ROLLBACK", ());
        }
        self.give_back(c);
        r
    }

    fn give_back(&self, c: Connection) {
        let mut pool = self.inner.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < POOL {
            pool.push(c.into_inner());
        }
    }

    /// [`Connection::execute`] on a pooled connection.
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory()?;
    /// db.execute("CREATE TABLE t(x)", ())?;
    /// assert_eq!(db.execute("INSERT INTO t VALUES(?)", (1,))?, 1);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<u64> {
        self.with_connection(|c| c.execute(sql, params))
    }

    /// [`Connection::execute_batch`] on a pooled connection (the guide's
    /// `client.exec`).
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory()?;
    /// db.execute_batch("CREATE TABLE a(x); CREATE INDEX a_x ON a(x);")?;
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        self.with_connection(|c| c.execute_batch(sql))
    }

    /// Every row of `sql`'s last statement (the guide's `client.query`).
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory()?;
    /// let rows = db.query("SELECT 1 AS a UNION ALL SELECT 2", ())?;
    /// assert_eq!(rows[1].get::<i64>("a")?, 2);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn query(&self, sql: &str, params: impl Params) -> Result<Vec<Row>> {
        self.with_connection(|c| c.query_all(sql, params))
    }

    /// [`Connection::query_row`] on a pooled connection.
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory()?;
    /// assert_eq!(db.query_row("SELECT 'x'", (), |r| r.get::<String>(0))?, "x");
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn query_row<T>(&self, sql: &str, params: impl Params, f: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
        self.with_connection(|c| c.query_row(sql, params, f))
    }

    /// [`Connection::explain`] on a pooled connection.
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory()?;
    /// db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY)", ())?;
    /// let plan = db.explain("SELECT * FROM t WHERE id = 1")?;
    /// assert_eq!(plan.steps[0].detail, "SEARCH t USING INTEGER PRIMARY KEY (rowid=?)");
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn explain(&self, sql: &str) -> Result<Explain> {
        self.with_connection(|c| c.explain(sql))
    }

    /// [`Connection::insert_batch`] on a pooled connection.
    ///
    /// ```
    /// # use dosql::params;
    /// let db = dosql::Database::open_in_memory()?;
    /// db.execute("CREATE TABLE t(a, b)", ())?;
    /// assert_eq!(db.insert_batch("t", &["a", "b"], &[params![1, 2], params![3, 4]])?, 2);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn insert_batch<R: AsRef<[Value]>>(&self, table: &str, columns: &[&str], rows: &[R]) -> Result<u64> {
        self.with_connection(|c| c.insert_batch(table, columns, rows))
    }

    /// [`Connection::transaction`] on a pooled connection.
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory()?;
    /// db.execute("CREATE TABLE t(x)", ())?;
    /// db.transaction(|tx| {
    ///     tx.execute("INSERT INTO t VALUES(1)", ())?;
    ///     tx.execute("INSERT INTO t VALUES(2)", ())
    /// })?;
    /// assert_eq!(db.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0))?, 2);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn transaction<T, E: From<Error>>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.with_connection(|c| c.transaction(f))
    }

    /// Writes every committed change into the data file and trims the
    /// write-ahead log (this also happens on its own, by the thresholds of
    /// the product guide).
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory()?;
    /// db.execute("CREATE TABLE t(x)", ())?;
    /// db.checkpoint()?;
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn checkpoint(&self) -> Result<()> {
        self.inner.storage.checkpoint()?;
        Ok(())
    }

    /// Closes this handle: writes every committed change into the data file
    /// (a checkpoint, as the product guide's default `checkpoint_on_close`
    /// asks) so the next open has no log to replay. Other clones and
    /// connections stay usable.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let db = dosql::Database::open(dir.path().join("c.db"))?;
    /// db.execute("CREATE TABLE t(x)", ())?;
    /// db.close()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close(self) -> Result<()> {
        self.inner.pool.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.inner.storage.clone().close()?;
        Ok(())
    }

    /// The storage engine's database, for what this API does not wrap
    /// (statistics, the change feed, time travel).
    ///
    /// ```
    /// let db = dosql::Database::open_in_memory()?;
    /// let stats = db.storage().stats();
    /// # let _ = stats;
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn storage(&self) -> &dosql_storage::Database {
        &self.inner.storage
    }
}
