//! The two engines behind one interface, the suite's schema, statements
//! and data.
//!
//! Every operation of the suite is written once against [`Engine`], so
//! DoSQL and SQLite run the same SQL text with the same parameters. DoSQL
//! runs through its public API, the `dosql` crate, as an application
//! would: `Connection::query` / `execute`, which keep recent texts
//! prepared; SQLite through rusqlite's `prepare_cached`. Both read every
//! column of every result row.
//!
//! SQLite runs in WAL mode (DoSQL always logs ahead) with the same
//! `synchronous` level as DoSQL and a page cache of 32 MiB, DoSQL's default
//! budget, so neither engine gets more memory. Not covered: engines other
//! than these two, in-memory databases.

use anyhow::{Context, Result};
use dosql::{Connection, Database, Options, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use std::path::{Path, PathBuf};

/// Durability of commits, applied alike to both engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// Every commit is durable when it returns (DoSQL `Synchronous::Full`,
    /// SQLite `synchronous=FULL`).
    Full,
    /// Commits are synced in batches and at checkpoints (DoSQL
    /// `Synchronous::Normal`, SQLite `synchronous=NORMAL`).
    Normal,
}

impl Sync {
    /// The PRAGMA's name for the level: `full` or `normal`.
    pub fn name(self) -> &'static str {
        match self {
            Sync::Full => "full",
            Sync::Normal => "normal",
        }
    }
}

/// Which engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// DoSQL: `dosql_sql` over `dosql_storage`.
    Dosql,
    /// SQLite, bundled with rusqlite.
    Sqlite,
}

impl EngineKind {
    /// Both engines, in the order they run.
    pub const ALL: [EngineKind; 2] = [EngineKind::Dosql, EngineKind::Sqlite];

    /// The key used in the JSON report: `dosql` or `sqlite`.
    pub fn key(self) -> &'static str {
        match self {
            EngineKind::Dosql => "dosql",
            EngineKind::Sqlite => "sqlite",
        }
    }

    /// The display name: `DoSQL` or `SQLite`.
    pub fn label(self) -> &'static str {
        match self {
            EngineKind::Dosql => "DoSQL",
            EngineKind::Sqlite => "SQLite",
        }
    }

    /// The database file name this engine uses for a database called `stem`.
    pub(crate) fn file(self, dir: &Path, stem: &str) -> PathBuf {
        dir.join(format!("{stem}-{}.db", self.key()))
    }
}

/// The guide's benchmark table (its `benchmark.config.ts` schema): primary
/// key `id`, indexes on `name` and `created_at`.
pub(crate) const SCHEMA: &str =
    "CREATE TABLE benchmark_data (id INTEGER PRIMARY KEY, name TEXT, value REAL, data TEXT, created_at INTEGER);
CREATE INDEX idx_benchmark_data_name ON benchmark_data(name);
CREATE INDEX idx_benchmark_data_created_at ON benchmark_data(created_at);";

/// Loads rows with given ids (the initial data and the rows deletes remove).
pub(crate) const INSERT_WITH_ID: &str =
    "INSERT INTO benchmark_data (id, name, value, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
/// A new row; its id is the next rowid.
pub(crate) const INSERT: &str = "INSERT INTO benchmark_data (name, value, data, created_at) VALUES (?1, ?2, ?3, ?4)";
/// One row by primary key.
pub(crate) const POINT: &str = "SELECT * FROM benchmark_data WHERE id = ?1";
/// A run of rows by primary key: ids `?1` up to but excluding `?2`.
pub(crate) const RANGE: &str = "SELECT * FROM benchmark_data WHERE id >= ?1 AND id < ?2";
/// Changes one row's unindexed columns by primary key.
pub(crate) const UPDATE: &str = "UPDATE benchmark_data SET value = ?2, data = ?3 WHERE id = ?1";
/// Removes one row by primary key.
pub(crate) const DELETE: &str = "DELETE FROM benchmark_data WHERE id = ?1";

/// Rows per transaction when loading data.
const LOAD_BATCH: u64 = 10_000;

/// The column values (name, value, data, created_at) of row number `i`:
/// distinct names and timestamps, a 100-character `data` text.
pub(crate) fn row_values(i: i64) -> [Value; 4] {
    [
        Value::Text(format!("user-{i}")),
        Value::Real((i % 10_000) as f64 * 0.25),
        Value::Text(format!("data-{i:095}")),
        Value::Integer(1_705_840_000_000_i64.saturating_add(i)),
    ]
}

/// The same values with the id in front, for [`INSERT_WITH_ID`].
pub(crate) fn row_with_id(id: i64) -> [Value; 5] {
    let [a, b, c, d] = row_values(id);
    [Value::Integer(id), a, b, c, d]
}

/// What one statement did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Result rows read.
    pub rows: usize,
    /// Rows inserted, updated or deleted.
    pub changes: u64,
}

/// A connection to one engine's database. It stays on the thread that
/// made it (a DoSQL connection in a transaction holds the writer's lock,
/// which cannot move between threads); other threads connect through a
/// [`Connector`].
pub(crate) trait Engine {
    /// Runs SQL text once, unprepared (schema, BEGIN, COMMIT).
    fn execute(&mut self, sql: &str) -> Result<()>;
    /// Runs `sql` (one statement) with `params`, prepared on first use and
    /// reused after; reads every column of every row.
    fn run(&mut self, sql: &'static str, params: &[Value]) -> Result<Outcome>;
    /// What makes further connections to the same database, on any thread.
    fn connector(&self) -> Box<dyn Connector>;
    /// Closes the connection as an application would (both engines
    /// checkpoint their log when the last connection closes).
    fn close(self: Box<Self>) -> Result<()>;
}

/// Makes connections to one open database, on any thread.
pub(crate) trait Connector: Send + std::marker::Sync {
    /// A new connection to the database.
    fn connect(&self) -> Result<Box<dyn Engine>>;
}

/// Opens (creating if absent) `kind`'s database at `path`.
pub(crate) fn open(kind: EngineKind, path: &Path, sync: Sync) -> Result<Box<dyn Engine>> {
    match kind {
        EngineKind::Dosql => {
            let synchronous = match sync {
                Sync::Full => dosql::Synchronous::Full,
                Sync::Normal => dosql::Synchronous::Normal,
            };
            let db = Database::open_with(path, &Options::new().synchronous(synchronous))
                .with_context(|| format!("opening {}", path.display()))?;
            Ok(Box::new(Dosql { conn: db.connect()?, db }))
        }
        EngineKind::Sqlite => Ok(Box::new(Sqlite::open(path, sync)?)),
    }
}

/// Creates the schema and loads rows `1..=rows` in transactions of
/// [`LOAD_BATCH`] rows; `loaded` hears the count after each one.
pub(crate) fn load(engine: &mut dyn Engine, rows: u64, loaded: &mut dyn FnMut(u64)) -> Result<()> {
    engine.execute(SCHEMA)?;
    let mut next = 1u64;
    while next <= rows {
        let end = rows.min(next.saturating_add(LOAD_BATCH - 1));
        engine.execute("BEGIN")?;
        for id in next..=end {
            engine.run(INSERT_WITH_ID, &row_with_id(id as i64))?;
        }
        engine.execute("COMMIT")?;
        loaded(end);
        next = end + 1;
    }
    Ok(())
}

/// DoSQL through the `dosql` crate.
struct Dosql {
    db: Database,
    conn: Connection,
}

impl Engine for Dosql {
    fn execute(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql)?;
        Ok(())
    }

    fn run(&mut self, sql: &'static str, params: &[Value]) -> Result<Outcome> {
        if !sql.starts_with("SELECT") {
            return Ok(Outcome { rows: 0, changes: self.conn.execute(sql, params)? });
        }
        // Rows lent one after another, as rusqlite's `Rows::next` lends
        // SQLite's below.
        let mut out = Outcome::default();
        let mut rows = self.conn.query(sql, params)?;
        while let Some(row) = rows.step()? {
            for v in row.values() {
                std::hint::black_box(v);
            }
            out.rows += 1;
        }
        Ok(out)
    }

    fn connector(&self) -> Box<dyn Connector> {
        Box::new(DosqlConnector(self.db.clone()))
    }

    fn close(self: Box<Self>) -> Result<()> {
        let Dosql { db, conn } = *self;
        drop(conn);
        db.close()?;
        Ok(())
    }
}

/// Connects to a DoSQL database by sharing its `Database`, as threads of
/// one process do.
struct DosqlConnector(Database);

impl Connector for DosqlConnector {
    fn connect(&self) -> Result<Box<dyn Engine>> {
        Ok(Box::new(Dosql { conn: self.0.connect()?, db: self.0.clone() }))
    }
}

/// Connects to a SQLite database by opening its file again.
struct SqliteConnector {
    path: PathBuf,
    sync: Sync,
}

impl Connector for SqliteConnector {
    fn connect(&self) -> Result<Box<dyn Engine>> {
        Ok(Box::new(Sqlite::open(&self.path, self.sync)?))
    }
}

/// SQLite through rusqlite.
struct Sqlite {
    conn: rusqlite::Connection,
    path: PathBuf,
    sync: Sync,
}

impl Sqlite {
    fn open(path: &Path, sync: Sync) -> Result<Sqlite> {
        let conn = rusqlite::Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        let level = match sync {
            Sync::Full => "FULL",
            Sync::Normal => "NORMAL",
        };
        // A busy timeout so a reader never fails while the writer
        // checkpoints; WAL readers do not otherwise wait for the writer.
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {level}; PRAGMA cache_size = -32768; PRAGMA busy_timeout = 10000;"
        ))?;
        Ok(Sqlite { conn, path: path.to_path_buf(), sync })
    }
}

/// A DoSQL value lent to SQLite as a parameter, without copying.
struct Param<'a>(&'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl Engine for Sqlite {
    fn execute(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql)?;
        Ok(())
    }

    fn run(&mut self, sql: &'static str, params: &[Value]) -> Result<Outcome> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let params = rusqlite::params_from_iter(params.iter().map(Param));
        if columns == 0 {
            let changes = stmt.execute(params)?;
            return Ok(Outcome { rows: 0, changes: changes as u64 });
        }
        let mut out = Outcome::default();
        let mut rows = stmt.query(params)?;
        while let Some(row) = rows.next()? {
            for c in 0..columns {
                std::hint::black_box(row.get_ref(c)?);
            }
            out.rows += 1;
        }
        Ok(out)
    }

    fn connector(&self) -> Box<dyn Connector> {
        Box::new(SqliteConnector { path: self.path.clone(), sync: self.sync })
    }

    fn close(self: Box<Self>) -> Result<()> {
        self.conn.close().map_err(|(_, e)| e)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_engines_load_and_answer_alike() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let mut answers = Vec::new();
        for kind in EngineKind::ALL {
            let mut e = open(kind, &kind.file(dir.path(), "t"), Sync::Normal)?;
            let mut seen = Vec::new();
            load(e.as_mut(), 25, &mut |n| seen.push(n))?;
            assert_eq!(seen, vec![25]);
            let point = e.run(POINT, &[Value::Integer(7)])?;
            let range = e.run(RANGE, &[Value::Integer(3), Value::Integer(13)])?;
            let update = e.run(UPDATE, &[Value::Integer(5), Value::Real(1.5), Value::Text("x".into())])?;
            let delete = e.run(DELETE, &[Value::Integer(6)])?;
            let missing = e.run(DELETE, &[Value::Integer(6)])?;
            let insert = e.run(INSERT, &row_values(99))?;
            let mut other = e.connector().connect()?;
            let seen_elsewhere = other.run(RANGE, &[Value::Integer(1), Value::Integer(1000)])?;
            answers.push((point, range, update, delete, missing, insert, seen_elsewhere));
        }
        let dosql = answers.first().copied();
        assert_eq!(dosql.map(|a| a.0.rows), Some(1));
        assert_eq!(dosql.map(|a| a.1.rows), Some(10));
        assert_eq!(dosql.map(|a| (a.2.changes, a.3.changes, a.4.changes, a.5.changes)), Some((1, 1, 0, 1)));
        // 25 loaded, one deleted, one inserted: the other connection sees 25.
        assert_eq!(dosql.map(|a| a.6.rows), Some(25));
        assert_eq!(answers.first(), answers.get(1), "DoSQL and SQLite disagree");
        Ok(())
    }
}
