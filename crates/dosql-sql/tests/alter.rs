//! ALTER TABLE against SQLite: the stored CREATE texts after each action,
//! the data, the objects that depend on the table, and the errors.

mod common;

use common::check_script;
use dosql_sql::{Connection, Value};

#[test]
fn rename_table_and_column_rewrite_dependents() {
    check_script(&[
        "CREATE TABLE t(a integer primary key, b text check(b <> 'x'), c unique)",
        "CREATE INDEX ti on t(b, c) where b > ''",
        "CREATE VIEW v as select a, t.b from t where c > 0",
        "CREATE TRIGGER tr after update of b on t begin insert into t(b) values(new.b || old.b); end",
        "CREATE TABLE ch(x references t(c))",
        "INSERT INTO t VALUES(1, 'p', 10), (2, 'q', 20)",
        "ALTER TABLE t RENAME COLUMN b TO bee",
        "SELECT name, tbl_name, sql FROM sqlite_schema ORDER BY name",
        "SELECT * FROM v ORDER BY a",
        "UPDATE t SET bee = 'z' WHERE a = 1",
        "SELECT * FROM t ORDER BY a",
        "ALTER TABLE t RENAME TO t2",
        "SELECT name, tbl_name, sql FROM sqlite_schema ORDER BY name",
        "SELECT * FROM t2 ORDER BY a",
        "SELECT * FROM v ORDER BY a",
        "INSERT INTO t2(bee, c) VALUES('x', 5)",
        "INSERT INTO t2(bee, c) VALUES('ok', 10)",
        "ALTER TABLE t2 RENAME TO ch",
        "ALTER TABLE nosuch RENAME TO z",
        "ALTER TABLE t2 RENAME COLUMN nosuch TO z",
        "ALTER TABLE t2 RENAME COLUMN a TO c",
        "ALTER TABLE sqlite_schema RENAME TO z",
        "ALTER TABLE t2 RENAME a TO \"new name\"",
        "SELECT sql FROM sqlite_schema WHERE name = 't2'",
        "SELECT \"new name\" FROM t2 ORDER BY 1",
    ]);
}

#[test]
fn add_and_drop_columns() {
    check_script(&[
        "CREATE TABLE t(a integer primary key, b text, c unique, d)",
        "INSERT INTO t VALUES(1, 'x', 10, 'd1'), (2, 'y', 20, 'd2')",
        "ALTER TABLE t ADD COLUMN e int default 5 not null",
        "ALTER TABLE t ADD f",
        "ALTER TABLE t ADD COLUMN g TEXT DEFAULT 'hello' CHECK (length(g) > 0)",
        "SELECT sql FROM sqlite_schema WHERE name = 't'",
        "SELECT * FROM t ORDER BY a",
        "SELECT typeof(e), typeof(f) FROM t ORDER BY a",
        "INSERT INTO t(b) VALUES('z')",
        "SELECT * FROM t ORDER BY a",
        "ALTER TABLE t ADD COLUMN h PRIMARY KEY",
        "ALTER TABLE t ADD COLUMN h UNIQUE",
        "ALTER TABLE t ADD COLUMN h NOT NULL",
        "ALTER TABLE t ADD COLUMN h DEFAULT CURRENT_TIMESTAMP",
        "ALTER TABLE t ADD COLUMN b",
        "ALTER TABLE t DROP COLUMN d",
        "SELECT sql FROM sqlite_schema WHERE name = 't'",
        "SELECT * FROM t ORDER BY a",
        "ALTER TABLE t DROP COLUMN a",
        "ALTER TABLE t DROP COLUMN c",
        "ALTER TABLE t DROP COLUMN nosuch",
        "CREATE INDEX tb ON t(b)",
        "ALTER TABLE t DROP COLUMN b",
        "ALTER TABLE t DROP COLUMN f",
        "SELECT * FROM t ORDER BY a",
        "CREATE TABLE one(x)",
        "ALTER TABLE one DROP COLUMN x",
        "CREATE TABLE dd(a, b, c)",
        "ALTER TABLE dd DROP COLUMN a",
        "SELECT sql FROM sqlite_schema WHERE name = 'dd'",
        "ALTER TABLE dd DROP COLUMN c",
        "SELECT sql FROM sqlite_schema WHERE name = 'dd'",
    ]);
}

#[test]
fn altered_tables_survive_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.db");
    {
        let mut c = Connection::open(&path).expect("open");
        c.execute("CREATE TABLE t(a, b, c); INSERT INTO t VALUES(1, 2, 3)").expect("setup");
        c.execute("ALTER TABLE t ADD COLUMN d DEFAULT 4; ALTER TABLE t DROP COLUMN b").expect("alter");
        c.execute("ALTER TABLE t RENAME COLUMN c TO cc; ALTER TABLE t RENAME TO u").expect("rename");
    }
    let mut c = Connection::open(&path).expect("reopen");
    let r = c.query("SELECT a, cc, d FROM u").expect("query");
    assert_eq!(r.rows, vec![vec![Value::Integer(1), Value::Integer(3), Value::Integer(4)]]);
}
