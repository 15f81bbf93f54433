//! The differential harness shared by the integration tests: the same
//! statements on DoSQL and on SQLite (rusqlite, bundled).
#![allow(dead_code)]

use dosql_sql::{Connection, Value};
use rusqlite::types::ValueRef;

/// A rusqlite value as ours.
pub fn sqlite_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// SQLite's own message, without rusqlite's decoration.
pub fn message(e: rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqlInputError { msg, .. } => msg,
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg,
        other => other.to_string(),
    }
}

/// Runs one statement on SQLite: its rows, or the error text.
pub fn run_sqlite(db: &rusqlite::Connection, sql: &str) -> Result<Vec<Vec<Value>>, String> {
    let mut stmt = db.prepare(sql).map_err(message)?;
    let n = stmt.column_count();
    let mut rows = stmt.query([]).map_err(message)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(message)? {
        out.push((0..n).map(|i| row.get_ref(i).map(sqlite_value).unwrap_or(Value::Null)).collect());
    }
    Ok(out)
}

/// Value equality, with NaN equal to NaN.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Real(x), Value::Real(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

/// Runs `script` on SQLite and DoSQL statement by statement; rows (as
/// multisets unless the statement says ORDER BY), errors and the change
/// counts of DML statements must agree.
pub fn check_script(script: &[&str]) {
    let lite = rusqlite::Connection::open_in_memory().expect("sqlite");
    // rusqlite's bundled build turns foreign keys on; stock SQLite (and
    // DoSQL) starts with them off.
    lite.execute_batch("PRAGMA foreign_keys = OFF").expect("pragma");
    let mut ours = Connection::open_in_memory().expect("dosql");
    for sql in script {
        let want = run_sqlite(&lite, sql);
        let got = ours.execute(sql).map(|mut r| r.pop().unwrap_or_default()).map_err(|e| e.to_string());
        let dml = ["insert", "update", "delete", "replace"]
            .iter()
            .any(|w| sql.trim_start().get(..w.len()).is_some_and(|p| p.eq_ignore_ascii_case(w)));
        if let (Ok(_), Ok(g), true) = (&want, &got, dml) {
            assert_eq!(lite.changes(), g.changes, "{sql}: change counts differ");
        }
        let got = got.map(|r| r.rows);
        match (&want, &got) {
            (Ok(w), Ok(g)) => {
                let mut w = w.clone();
                let mut g = g.clone();
                if !sql.to_ascii_lowercase().contains("order by") {
                    let key = |r: &Vec<Value>| format!("{r:?}");
                    w.sort_by_key(key);
                    g.sort_by_key(key);
                }
                let ok = w.len() == g.len()
                    && w.iter().zip(&g).all(|(a, b)| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y)));
                assert!(ok, "{sql}\n  sqlite: {w:?}\n  dosql:  {g:?}");
            }
            (Err(w), Err(g)) => assert_eq!(w, g, "{sql}: both fail, with different messages"),
            _ => panic!("{sql}\n  sqlite: {want:?}\n  dosql:  {got:?}"),
        }
    }
}
