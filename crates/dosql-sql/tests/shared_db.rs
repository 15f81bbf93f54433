//! Connections sharing one storage database: each sees the others'
//! committed schema changes and data at its next statement.

#![allow(clippy::unwrap_used)]

use dosql_sql::{Connection, Value};
use dosql_storage::{Config, Database};

#[test]
fn ddl_of_one_connection_is_seen_by_another() {
    let db = Database::open_in_memory(Config::default()).unwrap();
    let mut a = Connection::from_database(db.clone()).unwrap();
    let mut b = Connection::from_database(db.clone()).unwrap();
    a.execute("CREATE TABLE t(x); INSERT INTO t VALUES(1)").unwrap();
    // b prepared nothing yet: its first statement must find the table.
    let r = b.query("SELECT x FROM t").unwrap();
    assert_eq!(r.rows, vec![vec![Value::Integer(1)]]);
    // A prepared statement of b is bound again after a's ALTER.
    let mut q = b.prepare("SELECT * FROM t").unwrap();
    a.execute("ALTER TABLE t ADD COLUMN y DEFAULT 7").unwrap();
    let r = b.run_prepared(&mut q, &[]).unwrap();
    assert_eq!(r[0].columns, vec!["x", "y"]);
    assert_eq!(r[0].rows, vec![vec![Value::Integer(1), Value::Integer(7)]]);
    // A DROP is noticed too, with SQLite's message.
    a.execute("DROP TABLE t").unwrap();
    let e = b.query("SELECT * FROM t").unwrap_err();
    assert_eq!(e.to_string(), "no such table: t");
    // And a table created under another name in the dropped one's place
    // is found.
    a.execute("CREATE TABLE u(z); INSERT INTO u VALUES('new')").unwrap();
    let r = b.query("SELECT z FROM u").unwrap();
    assert_eq!(r.rows, vec![vec![Value::Text("new".into())]]);
}

#[test]
fn rolled_back_ddl_changes_nothing_for_others() {
    let db = Database::open_in_memory(Config::default()).unwrap();
    let mut a = Connection::from_database(db.clone()).unwrap();
    let mut b = Connection::from_database(db.clone()).unwrap();
    a.execute("CREATE TABLE t(x)").unwrap();
    a.execute("BEGIN; CREATE TABLE gone(y); ROLLBACK").unwrap();
    assert!(b.query("SELECT * FROM gone").is_err());
    assert!(b.query("SELECT * FROM t").unwrap().rows.is_empty());
    // Data changes without DDL keep b's schema and show the new rows.
    a.execute("INSERT INTO t VALUES(5)").unwrap();
    assert_eq!(b.query("SELECT x FROM t").unwrap().rows, vec![vec![Value::Integer(5)]]);
}

#[test]
fn schema_survives_reopen_with_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    {
        let mut a = Connection::open(&path).unwrap();
        a.execute("CREATE TABLE t(x); CREATE INDEX i ON t(x); INSERT INTO t VALUES(3)").unwrap();
    }
    let mut a = Connection::open(&path).unwrap();
    let db = a.database().clone();
    let mut b = Connection::from_database(db).unwrap();
    b.execute("DROP INDEX i").unwrap();
    let plan = a.explain("SELECT * FROM t WHERE x = 3").unwrap();
    assert!(!plan.index_used, "a still plans with the dropped index: {:?}", plan.steps);
    assert_eq!(a.query("SELECT x FROM t WHERE x = 3").unwrap().rows, vec![vec![Value::Integer(3)]]);
}
