//! PRAGMAs against SQLite: the schema reports (`table_info`, `index_list`,
//! `index_info`) and the settings (`foreign_keys`, `user_version`,
//! `cache_size`, `synchronous`, `page_size`).

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
