//! [`Connection`]: runs SQL on a database, with SQLite's transaction rules;
//! [`Statement`]: a prepared text; [`Transaction`]: the scope of
//! [`Connection::transaction`].

use crate::error::{Error, Result};
use crate::options::{BatchConfig, Options};
use crate::row::{Row, Rows};
use crate::value::Params;
use dosql_sql::Value;
use dosql_sql::explain::Explain;
use std::ops::{Deref, DerefMut};
use std::path::Path;

/// A connection to a database. Each has its own view of the database
/// between statements (the latest commit, or its open transaction), its
/// own TEMP objects and PRAGMA settings, and a cache of recently run SQL
/// texts, kept prepared. Open one per thread with
/// [`crate::Database::connect`].
///
/// ```
/// # use dosql::Connection;
/// let mut c = Connection::open_in_memory()?;
/// c.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL)", ())?;
/// c.execute("INSERT INTO users(name) VALUES(?)", ("Ada",))?;
/// let name: String = c.query_row("SELECT name FROM users WHERE id = ?", (1,), |r| r.get("name"))?;
/// assert_eq!(name, "Ada");
/// # Ok::<(), dosql::Error>(())
/// ```
pub struct Connection {
    inner: dosql_sql::Connection,
    batch: BatchConfig,
    /// Open [`Connection::transaction`] scopes: nested ones are savepoints.
    depth: usize,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("database", self.inner.database()).finish_non_exhaustive()
    }
}

impl Connection {
    pub(crate) fn wrap(inner: dosql_sql::Connection, options: &Options) -> Result<Connection> {
        let mut c = Connection { inner, batch: options.batch, depth: 0 };
        if options.foreign_keys {
            c.execute("PRAGMA foreign_keys = ON", ())?;
        }
        Ok(c)
    }

    pub(crate) fn into_inner(self) -> dosql_sql::Connection {
        self.inner
    }

    /// Opens (creating if absent) the database file at `path` with the
    /// default [`Options`], for this connection alone. To share a database
    /// between threads, open a [`crate::Database`] and connect to it.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let mut c = dosql::Connection::open(dir.path().join("app.db"))?;
    /// c.execute("CREATE TABLE t(x)", ())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Connection> {
        crate::Database::open(path)?.connect()
    }

    /// Opens a private database in memory.
    ///
    /// ```
    /// let mut c = dosql::Connection::open_in_memory()?;
    /// assert_eq!(c.query_row("SELECT 1 + 1", (), |r| r.get::<i64>(0))?, 2);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn open_in_memory() -> Result<Connection> {
        crate::Database::open_in_memory()?.connect()
    }

    /// Runs `sql` (one statement, or several separated by `;`) with
    /// positional parameters; returns the rows the last statement inserted,
    /// updated or deleted.
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// c.execute("CREATE TABLE t(x)", ())?;
    /// assert_eq!(c.execute("INSERT INTO t VALUES(?), (?)", (1, 2))?, 2);
    /// assert_eq!(c.execute("UPDATE t SET x = x + 1 WHERE x > ?", (1,))?, 1);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn execute(&mut self, sql: &str, params: impl Params) -> Result<u64> {
        let results = params.with_values(|v| self.inner.execute_with(sql, v))?;
        Ok(results.last().map_or(0, |r| r.changes))
    }

    /// Runs a script of statements without parameters (the guide's
    /// `client.exec`), stopping at the first error.
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// c.execute_batch("CREATE TABLE a(x); CREATE TABLE b(y); INSERT INTO a VALUES(1);")?;
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.inner.execute(sql)?;
        Ok(())
    }

    /// Runs `sql` and gives the rows of its last statement as they are read
    /// (see [`Rows`]).
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES(1),(2),(3);")?;
    /// let xs: Vec<i64> = c.query("SELECT x FROM t ORDER BY x DESC", ())?.map_rows(|r| r.get(0))?;
    /// assert_eq!(xs, [3, 2, 1]);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn query(&mut self, sql: &str, params: impl Params) -> Result<Rows<'_>> {
        let inner = &mut self.inner;
        Ok(Rows::new(params.with_values(|v| inner.query_stream(sql, v))?))
    }

    /// Every row of `sql`'s last statement.
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// let rows = c.query_all("SELECT 1 UNION ALL SELECT 2", ())?;
    /// assert_eq!(rows.len(), 2);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn query_all(&mut self, sql: &str, params: impl Params) -> Result<Vec<Row>> {
        self.query(sql, params)?.collect()
    }

    /// `f` of the first row of `sql`'s last statement; [`Error::NoRows`]
    /// when there is none.
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// let v: f64 = c.query_row("SELECT avg(x) FROM (SELECT 1 AS x UNION SELECT 2)", (), |r| r.get(0))?;
    /// assert_eq!(v, 1.5);
    /// assert!(matches!(c.query_row("SELECT 1 WHERE 0", (), |r| r.get::<i64>(0)), Err(dosql::Error::NoRows)));
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn query_row<T>(&mut self, sql: &str, params: impl Params, f: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
        match self.query(sql, params)?.next() {
            Some(row) => f(&row?),
            None => Err(Error::NoRows),
        }
    }

    /// Parses and binds `sql` once, to run many times. (Texts run through
    /// [`Connection::execute`] and [`Connection::query`] are also kept
    /// prepared: the 32 most recent.)
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// c.execute("CREATE TABLE t(x)", ())?;
    /// let mut ins = c.prepare("INSERT INTO t VALUES(?)")?;
    /// for i in 0..10 {
    ///     ins.execute((i,))?;
    /// }
    /// drop(ins);
    /// assert_eq!(c.query_row("SELECT sum(x) FROM t", (), |r| r.get::<i64>(0))?, 45);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn prepare(&mut self, sql: &str) -> Result<Statement<'_>> {
        let prepared = self.inner.prepare(sql)?;
        Ok(Statement { conn: self, prepared })
    }

    /// The plan of `sql`'s last statement, without running it: its steps in
    /// SQLite's words with the table and index of each, the rows it expects
    /// to read, and whether it uses an index (the guide's `client.explain`).
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// c.execute_batch("CREATE TABLE users(id TEXT PRIMARY KEY, tenant_id TEXT);
    ///                  CREATE INDEX idx_users_tenant ON users(tenant_id);")?;
    /// let plan = c.explain("SELECT * FROM users WHERE tenant_id = 'tenant-123'")?;
    /// assert!(plan.index_used);
    /// assert_eq!(plan.steps[0].detail, "SEARCH users USING INDEX idx_users_tenant (tenant_id=?)");
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn explain(&mut self, sql: &str) -> Result<Explain> {
        Ok(self.inner.explain(sql)?)
    }

    /// Inserts `rows` (each the values of `columns`, in order) into
    /// `table`: the guide's `client.insertBatch`. Rows go in multi-row
    /// INSERTs of [`BatchConfig::insert_batch_size`]. Inside a transaction
    /// they join it; otherwise a batch of up to
    /// [`BatchConfig::max_batch_size`] rows commits as one transaction, and
    /// a larger one commits every [`BatchConfig::transaction_batch_size`]
    /// rows (wrap the call in [`Connection::transaction`] to make any batch
    /// all-or-nothing). Returns the rows inserted. Every row is checked to
    /// have one value per column before anything is written.
    ///
    /// ```
    /// # use dosql::{Value, params};
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// c.execute("CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, email TEXT)", ())?;
    /// let rows: Vec<Vec<Value>> = (0..250).map(|i| params![format!("u{i}"), "name", format!("u{i}@x.io")]).collect();
    /// assert_eq!(c.insert_batch("users", &["id", "name", "email"], &rows)?, 250);
    /// assert_eq!(c.query_row("SELECT count(*) FROM users", (), |r| r.get::<i64>(0))?, 250);
    /// // A bad row rolls back the whole (small) batch.
    /// let dup = vec![params!["new", "n", "e"], params!["u1", "n", "e"]];
    /// assert!(c.insert_batch("users", &["id", "name", "email"], &dup).is_err());
    /// assert_eq!(c.query_row("SELECT count(*) FROM users", (), |r| r.get::<i64>(0))?, 250);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn insert_batch<R: AsRef<[Value]>>(&mut self, table: &str, columns: &[&str], rows: &[R]) -> Result<u64> {
        if columns.is_empty() {
            return Err(Error::Misuse("insert_batch needs at least one column".into()));
        }
        if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.as_ref().len() != columns.len()) {
            return Err(Error::Misuse(format!(
                "insert_batch row {i} has {} values for {} columns",
                r.as_ref().len(),
                columns.len()
            )));
        }
        let b = self.batch;
        let per_insert = b.insert_batch_size.max(1);
        if self.inner.in_transaction() || rows.len() <= b.max_batch_size {
            return self.transaction(|tx| tx.insert_chunks(table, columns, rows, per_insert));
        }
        let mut committed = 0u64;
        for group in rows.chunks(b.transaction_batch_size.max(1)) {
            match self.transaction(|tx| tx.insert_chunks(table, columns, group, per_insert)) {
                Ok(n) => committed += n,
                Err(e) => return Err(Error::Batch { committed, source: Box::new(e) }),
            }
        }
        Ok(committed)
    }

    /// INSERT statements of `per_insert` rows each; the full-size text is
    /// the same every time, so it stays prepared.
    fn insert_chunks<R: AsRef<[Value]>>(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[R],
        per_insert: usize,
    ) -> Result<u64> {
        let head = format!(
            "INSERT INTO {}({}) VALUES ",
            quote_ident(table),
            columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ")
        );
        let tuple = format!("({})", vec!["?"; columns.len()].join(", "));
        let mut n = 0;
        for chunk in rows.chunks(per_insert) {
            let sql = format!("{head}{}", vec![tuple.as_str(); chunk.len()].join(", "));
            let params: Vec<Value> = chunk.iter().flat_map(|r| r.as_ref().iter().cloned()).collect();
            n += self.execute(&sql, params)?;
        }
        Ok(n)
    }

    /// Runs `f` in a transaction: it commits when `f` returns `Ok`, and
    /// rolls back when `f` returns `Err` or panics. Called inside another
    /// transaction, it is a savepoint of it (rolled back alone).
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// c.execute_batch("CREATE TABLE inventory(product_id INT PRIMARY KEY, quantity INT CHECK (quantity >= 0));
    ///                  INSERT INTO inventory VALUES(1, 5);")?;
    /// // Commits:
    /// c.transaction(|tx| tx.execute("UPDATE inventory SET quantity = quantity - ? WHERE product_id = ?", (2, 1)))?;
    /// // Rolls back: the CHECK fails on the second update.
    /// let r = c.transaction(|tx| {
    ///     tx.execute("UPDATE inventory SET quantity = quantity - 1 WHERE product_id = 1", ())?;
    ///     tx.execute("UPDATE inventory SET quantity = quantity - 10 WHERE product_id = 1", ())
    /// });
    /// assert!(r.is_err());
    /// assert_eq!(c.query_row("SELECT quantity FROM inventory", (), |r| r.get::<i64>(0))?, 3);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn transaction<T, E: From<Error>>(
        &mut self,
        f: impl FnOnce(&mut Transaction<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let savepoint = if self.inner.in_transaction() {
            let name = format!("dosql_tx_{}", self.depth);
            self.execute(&format!("SAVEPOINT {name}"), ())?;
            Some(name)
        } else {
            self.execute("BEGIN", ())?;
            None
        };
        self.depth += 1;
        let mut tx = Transaction { conn: self, savepoint, open: true };
        match f(&mut tx) {
            Ok(v) => {
                tx.commit()?;
                Ok(v)
            }
            Err(e) => {
                tx.rollback();
                Err(e)
            }
        }
    }

    /// Whether a transaction is open.
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// c.execute("BEGIN", ())?;
    /// assert!(c.in_transaction());
    /// c.execute("COMMIT", ())?;
    /// assert!(!c.in_transaction());
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn in_transaction(&self) -> bool {
        self.inner.in_transaction()
    }

    /// The rowid of the last row an INSERT added (SQLite's
    /// `last_insert_rowid()`).
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, x)", ())?;
    /// c.execute("INSERT INTO t(x) VALUES('a')", ())?;
    /// assert_eq!(c.last_insert_rowid(), 1);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn last_insert_rowid(&self) -> i64 {
        self.inner.last_insert_rowid()
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES(1),(2);")?;
    /// assert_eq!(c.changes(), 2);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn changes(&self) -> i64 {
        self.inner.changes()
    }

    /// The engine's own connection, for what this API does not wrap.
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// let results = c.engine().execute("SELECT 1; SELECT 2")?;
    /// assert_eq!(results.len(), 2);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn engine(&mut self) -> &mut dosql_sql::Connection {
        &mut self.inner
    }
}

/// `"name"`, with embedded quotes doubled.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A prepared SQL text (one or more statements), bound to its connection.
///
/// ```
/// # let mut c = dosql::Connection::open_in_memory()?;
/// c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES(1),(2),(3);")?;
/// let mut q = c.prepare("SELECT x FROM t WHERE x >= ?")?;
/// assert_eq!(q.columns()?, ["x"]);
/// assert_eq!(q.query((2,))?.count(), 2);
/// # Ok::<(), dosql::Error>(())
/// ```
pub struct Statement<'c> {
    conn: &'c mut Connection,
    prepared: dosql_sql::Prepared,
}

impl Statement<'_> {
    /// Runs the text; returns the rows its last statement changed.
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// # c.execute("CREATE TABLE t(x)", ())?;
    /// let mut del = c.prepare("DELETE FROM t WHERE x = ?")?;
    /// assert_eq!(del.execute((1,))?, 0);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn execute(&mut self, params: impl Params) -> Result<u64> {
        let (inner, prepared) = (&mut self.conn.inner, &mut self.prepared);
        let results = params.with_values(|v| inner.run_prepared(prepared, v))?;
        Ok(results.last().map_or(0, |r| r.changes))
    }

    /// Runs the text and gives its last statement's rows as they are read.
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// let mut q = c.prepare("SELECT ?1 * 2")?;
    /// let v: i64 = q.query((21,))?.next().unwrap()?.get(0)?;
    /// assert_eq!(v, 42);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn query(&mut self, params: impl Params) -> Result<Rows<'_>> {
        let (inner, prepared) = (&mut self.conn.inner, &mut self.prepared);
        Ok(Rows::new(params.with_values(|v| inner.query_prepared(prepared, v))?))
    }

    /// `f` of the first row; [`Error::NoRows`] when there is none.
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// let mut q = c.prepare("SELECT upper(?)")?;
    /// assert_eq!(q.query_row(("a",), |r| r.get::<String>(0))?, "A");
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn query_row<T>(&mut self, params: impl Params, f: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
        match self.query(params)?.next() {
            Some(row) => f(&row?),
            None => Err(Error::NoRows),
        }
    }

    /// The result column names of the last statement (empty when it is not
    /// a query).
    ///
    /// ```
    /// # let mut c = dosql::Connection::open_in_memory()?;
    /// assert_eq!(c.prepare("SELECT 1 AS one, 2 AS two")?.columns()?, ["one", "two"]);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn columns(&mut self) -> Result<Vec<String>> {
        Ok(self.conn.inner.prepared_columns(&mut self.prepared)?.unwrap_or_default())
    }
}

/// The scope of [`Connection::transaction`]: a connection whose statements
/// run in the transaction (it dereferences to [`Connection`]). Dropped
/// without finishing (a panic in the closure), it rolls back.
///
/// ```
/// # use dosql::{params, Connection, Transaction};
/// fn place_order(tx: &mut Transaction<'_>, user: &str, total: f64) -> dosql::Result<i64> {
///     tx.execute("INSERT INTO orders(user_id, total) VALUES(?, ?)", (user, total))?;
///     Ok(tx.last_insert_rowid())
/// }
/// let mut c = Connection::open_in_memory()?;
/// c.execute("CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id TEXT, total REAL)", ())?;
/// let id = c.transaction(|tx| place_order(tx, "u1", 9.5))?;
/// assert_eq!(id, 1);
/// # Ok::<(), dosql::Error>(())
/// ```
pub struct Transaction<'c> {
    conn: &'c mut Connection,
    /// The savepoint standing for a nested transaction.
    savepoint: Option<String>,
    open: bool,
}

impl Transaction<'_> {
    fn commit(&mut self) -> Result<()> {
        self.open = false;
        self.conn.depth = self.conn.depth.saturating_sub(1);
        let sql = match &self.savepoint {
            Some(name) => format!("RELEASE {name}"),
            None => "COMMIT".to_string(),
        };
        if let Err(e) = self.conn.execute(&sql, ()) {
            // A commit that fails (a deferred foreign key) leaves nothing open.
            self.undo();
            return Err(e);
        }
        Ok(())
    }

    fn rollback(&mut self) {
        self.open = false;
        self.conn.depth = self.conn.depth.saturating_sub(1);
        self.undo();
    }

    /// Rolls back what the scope did; errors are ignored because there is
    /// nothing more to undo (the transaction may already be gone, rolled
    /// back by a constraint's ROLLBACK resolution).
    fn undo(&mut self) {
        let sql = match &self.savepoint {
            Some(name) => format!("ROLLBACK TO {name}; RELEASE {name}"),
            None => "ROLLBACK".to_string(),
        };
        if self.conn.in_transaction() {
            let _ = self.conn.execute_batch(&sql);
        }
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open {
            self.rollback();
        }
    }
}

impl Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
    }
}
