//! SQLite (rusqlite, bundled) as the differential harness's reference
//! engine; shared by the `difffuzz` test and example through `#[path]`.
//! Leaves out everything but running whole statement texts.

use dosql_fuzz::diff::{Answer, Engine};
use dosql_sql::Value;
use rusqlite::types::ValueRef;

/// SQLite on a fresh in-memory database.
pub struct Sqlite(rusqlite::Connection);

impl Sqlite {
    /// Opens a fresh in-memory database set up as stock SQLite starts.
    pub fn new() -> Self {
        let db = rusqlite::Connection::open_in_memory().expect("open an in-memory SQLite database");
        // rusqlite's bundled build turns foreign keys on; stock SQLite (and
        // DoSQL) starts with them off.
        db.execute_batch("PRAGMA foreign_keys = OFF").expect("turn foreign keys off");
        Sqlite(db)
    }

    fn rows(&self, sql: &str) -> Result<Vec<Vec<Value>>, String> {
        let mut stmt = self.0.prepare(sql).map_err(message)?;
        let n = stmt.column_count();
        let mut rows = stmt.query([]).map_err(message)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(message)? {
            out.push((0..n).map(|i| row.get_ref(i).map(value).unwrap_or(Value::Null)).collect());
        }
        Ok(out)
    }
}

impl Engine for Sqlite {
    fn run(&mut self, sql: &str) -> Answer {
        match self.rows(sql) {
            Ok(rows) => Answer::Rows { rows, changes: self.0.changes() },
            Err(m) => Answer::Error(m),
        }
    }
}

/// A rusqlite value as DoSQL's.
fn value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// SQLite's own message, without rusqlite's decoration.
fn message(e: rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqlInputError { msg, .. } => msg,
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg,
        other => other.to_string(),
    }
}
