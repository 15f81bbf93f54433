//! SQLite (through rusqlite) as an [`SltEngine`], driven the way the
//! reference harness drives it; shared by the tests that use SQLite as the
//! oracle.

use dosql_slt::{QueryOutput, SltEngine, SltValue};
use rusqlite::fallible_iterator::FallibleIterator as _;
use rusqlite::types::ValueRef;
use rusqlite::{Batch, Connection};

/// SQLite through rusqlite, one in-memory database per file.
pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// A fresh in-memory database.
    pub fn new() -> Self {
        Self { conn: Connection::open_in_memory().expect("open in-memory database") }
    }
}

impl Default for Sqlite {
    fn default() -> Self {
        Self::new()
    }
}

/// A column value by its dynamic type. Text that is not UTF-8 becomes a
/// BLOB, which the harness formats identically (bytes up to the first NUL).
fn value(v: ValueRef<'_>) -> SltValue {
    match v {
        ValueRef::Null => SltValue::Null,
        ValueRef::Integer(i) => SltValue::Integer(i),
        ValueRef::Real(r) => SltValue::Real(r),
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(s) => SltValue::Text(s.to_owned()),
            Err(_) => SltValue::Blob(t.to_vec()),
        },
        ValueRef::Blob(b) => SltValue::Blob(b.to_vec()),
    }
}

impl SltEngine for Sqlite {
    /// Like `sqlite3_exec`, which the reference harness uses: every
    /// statement in turn, each stepped to completion.
    fn statement(&mut self, sql: &str) -> Result<(), String> {
        let mut batch = Batch::new(&self.conn, sql);
        while let Some(mut stmt) = batch.next().map_err(|e| e.to_string())? {
            let mut rows = stmt.raw_query();
            while rows.next().map_err(|e| e.to_string())?.is_some() {}
        }
        Ok(())
    }

    fn query(&mut self, sql: &str) -> Result<QueryOutput, String> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| e.to_string())?;
        let columns = stmt.column_count();
        let mut out = QueryOutput { columns, ..QueryOutput::default() };
        let mut rows = stmt.raw_query();
        loop {
            match rows.next() {
                Ok(Some(row)) => {
                    let values = (0..columns)
                        .map(|i| row.get_ref(i).map(value))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| e.to_string())?;
                    out.rows.push(values);
                }
                Ok(None) => break,
                Err(e) => {
                    out.runtime_error = Some(e.to_string());
                    break;
                }
            }
        }
        Ok(out)
    }
}
