//! PRAGMAs against SQLite: the schema reports (`table_info`, `index_list`,
//! `index_info`) and the settings (`foreign_keys`, `user_version`,
//! `cache_size`, `synchronous`, `page_size`, `query_only`).

mod common;

use common::check_script;
use dosql_sql::{Connection, Value};

#[test]
fn schema_reports_match_sqlite() {
    check_script(&[
        "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT UNIQUE, c DEFAULT 'x' NOT NULL, d DEFAULT (1+2), \
         e INT DEFAULT -5, f DEFAULT CURRENT_TIMESTAMP, g VARCHAR(10) DEFAULT NULL, UNIQUE(c, d))",
        "CREATE INDEX i1 ON t(e DESC, b COLLATE NOCASE)",
        "CREATE INDEX i2 ON t(f) WHERE f > 0",
        "CREATE TABLE u(x, y, PRIMARY KEY(y, x))",
        "CREATE VIEW v AS SELECT a, b AS bee, e + 1 FROM t",
        "PRAGMA table_info(t)",
        "PRAGMA table_info('u')",
        "PRAGMA main.table_info(u)",
        "PRAGMA table_xinfo(t)",
        "PRAGMA table_info(v)",
        "PRAGMA table_info(nosuch)",
        "PRAGMA index_list(t)",
        "PRAGMA index_list(u)",
        "PRAGMA index_list(nosuch)",
        "PRAGMA index_info(i1)",
        "PRAGMA index_info(sqlite_autoindex_t_2)",
        "PRAGMA index_info(sqlite_autoindex_u_1)",
        "PRAGMA index_info(nosuch)",
        "PRAGMA no_such_pragma",
    ]);
}

#[test]
fn settings_match_sqlite() {
    check_script(&[
        "PRAGMA foreign_keys",
        "PRAGMA foreign_keys = ON",
        "PRAGMA foreign_keys",
        "PRAGMA foreign_keys = off",
        "PRAGMA foreign_keys",
        "BEGIN",
        "PRAGMA foreign_keys = 1",
        "PRAGMA foreign_keys",
        "COMMIT",
        "PRAGMA user_version",
        "PRAGMA user_version = 42",
        "PRAGMA user_version",
        "PRAGMA user_version = -7",
        "PRAGMA user_version",
        "PRAGMA cache_size = -4000",
        "PRAGMA cache_size",
        "PRAGMA cache_size = 100",
        "PRAGMA cache_size",
        "PRAGMA page_size",
        "PRAGMA encoding",
    ]);
}

#[test]
fn user_version_persists_and_synchronous_changes_the_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.db");
    {
        let mut c = Connection::open(&path).expect("open");
        c.execute("PRAGMA user_version = 7; CREATE TABLE t(a)").expect("set");
        assert_eq!(c.query("PRAGMA synchronous").expect("sync").rows, vec![vec![Value::Integer(2)]]);
        c.execute("PRAGMA synchronous = FULL").expect("same mode is fine");
        c.execute("PRAGMA synchronous = NORMAL").expect("normal");
        assert_eq!(c.query("PRAGMA synchronous").expect("sync").rows, vec![vec![Value::Integer(1)]]);
        c.execute("PRAGMA synchronous = 0; INSERT INTO t VALUES(1); PRAGMA synchronous = extra").expect("off, full");
        assert_eq!(c.query("PRAGMA synchronous").expect("sync").rows, vec![vec![Value::Integer(2)]]);
        c.execute("BEGIN; PRAGMA user_version = 8; ROLLBACK").expect("rolled back");
    }
    let mut c = Connection::open(&path).expect("reopen");
    assert_eq!(c.query("PRAGMA user_version").expect("read").rows, vec![vec![Value::Integer(7)]]);
}

/// `sqlite_schema.sql` holds `CREATE <KIND> name...` as SQLite rewrites it,
/// whatever was typed before the name.
#[test]
fn stored_schema_text_matches_sqlite() {
    common::check_script(&[
        "create  table if not exists main.t(a int, b)",
        "create unique index IF NOT EXISTS ix on t(a) where a > 1",
        "Create View if not exists v(x) as select a from t",
        "create trigger if not exists tr after insert on t begin select 1; end",
        "create table c as select a, b + 1 AS bb from t",
        "create temp table long_name_for_a_table as select a AS first_long_column, b AS \"second \"\"quoted\"\" one\", 1 AS x from t",
        "create table c2 as select a as aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa from t",
        "create table c3 as select a as aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa from t",
        "SELECT name, sql FROM sqlite_temp_schema",
        "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
    ]);
}

/// `PRAGMA query_only`: every statement that would change a database
/// (TEMP included) fails with SQLite's message and changes nothing; reads,
/// transactions and settings pragmas still work; the setting reads back.
#[test]
fn query_only_matches_sqlite() {
    let writes = [
        "INSERT INTO t VALUES(2, 'b')",
        "INSERT OR IGNORE INTO t VALUES(1, 'dup')",
        "UPDATE t SET b = 'z'",
        "UPDATE t SET b = 'z' WHERE 0",
        "DELETE FROM t",
        "DELETE FROM t WHERE a = 99",
        "REPLACE INTO t VALUES(1, 'r')",
        "INSERT INTO t SELECT a + 10, b FROM t",
        "CREATE TABLE u(x)",
        "CREATE TABLE IF NOT EXISTS t(a)",
        "CREATE TEMP TABLE tt(x)",
        "CREATE INDEX t2 ON t(b)",
        "CREATE VIEW v2 AS SELECT 2",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
        "DROP TABLE t",
        "DROP TABLE IF EXISTS nosuch",
        "DROP TABLE nosuch",
        "DROP INDEX IF EXISTS nosuch",
        "DROP VIEW IF EXISTS nosuch",
        "DROP TRIGGER IF EXISTS nosuch",
        "CREATE TABLE t(x)",
        "CREATE INDEX IF NOT EXISTS ti ON t(b)",
        "CREATE INDEX ti ON t(b)",
        "CREATE INDEX tx ON nosuch(b)",
        "CREATE VIEW IF NOT EXISTS v AS SELECT 9",
        "INSERT INTO nosuch VALUES(1)",
        "UPDATE t SET nosuch = 1",
        "INSERT INTO t VALUES(1, 'unique clash')",
        "DROP VIEW v",
        "DROP INDEX ti",
        "ALTER TABLE t ADD COLUMN c",
        "ALTER TABLE t RENAME TO t9",
        "ALTER TABLE nosuch ADD COLUMN c",
        "ALTER TABLE t DROP COLUMN nosuch",
        "ANALYZE nosuch",
        "REINDEX nosuch",
        "INSERT INTO v VALUES(1)",
        "UPDATE v SET a = 1",
        "DELETE FROM nosuch",
        "INSERT INTO t(nosuch) VALUES(1)",
        "CREATE TRIGGER tv INSTEAD OF INSERT ON v BEGIN SELECT 1; END",
        "DROP TRIGGER nosuch",
        "CREATE TABLE sqlite_x(a)",
        "ALTER TABLE t RENAME COLUMN nosuch TO z",
        "ALTER TABLE t ADD COLUMN b",
        "WITH c(x) AS (SELECT 1) INSERT INTO t SELECT x + 5, 'w' FROM c",
        "SELECT * FROM t",
        "ANALYZE",
        "REINDEX",
        "REINDEX ti",
        "PRAGMA user_version = 3",
        "INSERT INTO temp_t VALUES(5)",
        "DELETE FROM temp_t",
    ];
    let mut script = vec![
        "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)",
        "INSERT INTO t VALUES(1, 'a')",
        "CREATE INDEX ti ON t(b)",
        "CREATE VIEW v AS SELECT a FROM t",
        "CREATE TEMP TABLE temp_t(x)",
        "INSERT INTO temp_t VALUES(1)",
        "PRAGMA query_only",
        "PRAGMA query_only = 1",
        "PRAGMA query_only",
    ];
    script.extend(writes);
    script.extend([
        "SELECT * FROM t",
        "SELECT * FROM v",
        "SELECT * FROM temp_t",
        "PRAGMA user_version",
        "PRAGMA foreign_keys = ON",
        "PRAGMA foreign_keys",
        "PRAGMA foreign_keys = OFF",
        "PRAGMA table_info(t)",
        "BEGIN",
        "SELECT count(*) FROM t",
        "SAVEPOINT s1",
        "INSERT INTO t VALUES(3, 'c')",
        "RELEASE s1",
        "COMMIT",
        "BEGIN",
        "ROLLBACK",
        "PRAGMA query_only = 2",
        "PRAGMA query_only",
        "PRAGMA query_only = 'off'",
        "PRAGMA query_only",
        "PRAGMA query_only = yes",
        "PRAGMA query_only",
        "PRAGMA query_only = false",
    ]);
    // Nothing changed while it was on; with it off, writes work again.
    script.extend([
        "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
        "SELECT * FROM t",
        "SELECT * FROM temp_t",
        "PRAGMA user_version",
        "INSERT INTO t VALUES(2, 'b')",
        "CREATE TABLE u(x)",
        "SELECT count(*) FROM t",
    ]);
    common::check_script(&script);
}

/// A writing statement refused inside a transaction leaves it open with
/// its earlier changes.
#[test]
fn query_only_inside_a_transaction_matches_sqlite() {
    common::check_script(&[
        "CREATE TABLE t(a)",
        "BEGIN",
        "INSERT INTO t VALUES(1)",
        "PRAGMA query_only = ON",
        "INSERT INTO t VALUES(2)",
        "SELECT * FROM t",
        "PRAGMA query_only = OFF",
        "INSERT INTO t VALUES(3)",
        "COMMIT",
        "SELECT * FROM t",
    ]);
}

/// `Connection::set_read_only` refuses changes as `query_only` does, but
/// neither shows in nor is lifted by the pragma.
#[test]
fn read_only_connection() {
    let mut c = Connection::open_in_memory().expect("open");
    c.execute("CREATE TABLE t(a); INSERT INTO t VALUES(1)").expect("setup");
    c.set_read_only(true);
    assert!(c.is_read_only());
    let err = c.execute("INSERT INTO t VALUES(2)").expect_err("read-only");
    assert_eq!(err.to_string(), "attempt to write a readonly database");
    assert_eq!(c.query("PRAGMA query_only").expect("read").rows, vec![vec![Value::Integer(0)]]);
    c.execute("PRAGMA query_only = OFF").expect("pragma");
    assert!(c.execute("CREATE TEMP TABLE x(a)").is_err());
    assert_eq!(c.query("SELECT count(*) FROM t").expect("read").rows, vec![vec![Value::Integer(1)]]);
    c.set_read_only(false);
    c.execute("INSERT INTO t VALUES(2)").expect("writable again");
}
