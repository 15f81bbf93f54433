//! Automatic indexes (UNIQUE and PRIMARY KEY constraints) are numbered as
//! SQLite numbers them, in the order their constraints appear, with no
//! index for a constraint identical to an earlier one; files made before
//! that numbering keep theirs.

mod common;

use common::check_script;
use dosql_sql::schema::{AUTOINDEX_ORDER_KEY, META_TREE};
use dosql_sql::{Connection, Value};
use dosql_storage::{Config, Database};

#[test]
fn numbered_in_order_of_appearance_without_duplicates() {
    check_script(&[
        "CREATE TABLE u(x UNIQUE, y PRIMARY KEY, z UNIQUE)",
        "CREATE TABLE v(a UNIQUE, b, PRIMARY KEY(b), UNIQUE(a, b))",
        "CREATE TABLE w(a PRIMARY KEY UNIQUE, b UNIQUE, UNIQUE(b), UNIQUE(a))",
        "CREATE TABLE x(a INTEGER PRIMARY KEY, b UNIQUE)",
        "CREATE TABLE z(a, b, UNIQUE(b), PRIMARY KEY(a, b), UNIQUE(a))",
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' ORDER BY name",
        "PRAGMA index_list('u')",
        "PRAGMA index_info('sqlite_autoindex_u_1')",
        "PRAGMA index_info('sqlite_autoindex_u_2')",
        "PRAGMA index_info('sqlite_autoindex_u_3')",
        "PRAGMA index_list('v')",
        "PRAGMA index_info('sqlite_autoindex_v_2')",
        "PRAGMA index_info('sqlite_autoindex_v_3')",
        "PRAGMA index_list('w')",
        "PRAGMA index_info('sqlite_autoindex_w_2')",
        "PRAGMA index_list('z')",
        "PRAGMA index_info('sqlite_autoindex_z_1')",
        "PRAGMA index_info('sqlite_autoindex_z_2')",
        // A duplicate lends its ON CONFLICT clause; two different ones clash.
        "CREATE TABLE q(a UNIQUE ON CONFLICT IGNORE, UNIQUE(a) ON CONFLICT REPLACE)",
        "CREATE TABLE q2(a UNIQUE, b, UNIQUE(a) ON CONFLICT REPLACE)",
        "INSERT INTO q2 VALUES (1, 'first')",
        "INSERT INTO q2 VALUES (1, 'second')",
        "SELECT * FROM q2",
        // A foreign key to a primary key that is not the first index.
        "CREATE TABLE parent(u UNIQUE, k PRIMARY KEY)",
        "CREATE TABLE child(p REFERENCES parent)",
        "PRAGMA foreign_keys = ON",
        "INSERT INTO parent VALUES (1, 'k1')",
        "INSERT INTO child VALUES ('k1')",
        "INSERT INTO child VALUES (1)",
        "SELECT * FROM child",
    ]);
}

#[test]
fn plans_name_the_index_sqlite_names() {
    let schema = "CREATE TABLE u(x UNIQUE, y PRIMARY KEY, z UNIQUE)";
    let lite = rusqlite::Connection::open_in_memory().expect("sqlite");
    lite.execute_batch(schema).expect("schema");
    let mut ours = Connection::open_in_memory().expect("dosql");
    ours.execute(schema).expect("schema");
    for q in ["SELECT * FROM u WHERE z = 1", "SELECT * FROM u WHERE x = 1", "SELECT * FROM u WHERE y = 1"] {
        let sql = format!("EXPLAIN QUERY PLAN {q}");
        let want: String = lite.query_row(&sql, [], |r| r.get(3)).expect("plan");
        let got = rows(&mut ours, &sql).remove(0).remove(3);
        assert_eq!(got, Value::Text(want), "{q}");
    }
}

fn rows(c: &mut Connection, sql: &str) -> Vec<Vec<Value>> {
    c.execute(sql).expect(sql).pop().unwrap_or_default().rows
}

#[test]
fn a_file_without_the_marker_keeps_the_numbering_it_was_made_with() {
    let db = Database::open_in_memory(Config::default()).expect("open");
    // Made as before the marker existed: take it away again.
    drop(Connection::from_database(db.clone()).expect("connect"));
    let mut tx = db.begin_write().expect("write");
    tx.delete(META_TREE, AUTOINDEX_ORDER_KEY).expect("delete marker");
    tx.commit().expect("commit");
    let mut old = Connection::from_database(db.clone()).expect("connect");
    old.execute("CREATE TABLE u(x UNIQUE, y PRIMARY KEY, z UNIQUE)").expect("create");
    old.execute("INSERT INTO u VALUES (1, 'a', 10), (2, 'b', 20)").expect("insert");
    drop(old);
    for _ in 0..2 {
        let mut c = Connection::from_database(db.clone()).expect("reconnect");
        // The primary key is still number 1, and every index finds its rows.
        assert_eq!(rows(&mut c, "PRAGMA index_info('sqlite_autoindex_u_1')")[0][2], Value::Text("y".into()));
        assert_eq!(rows(&mut c, "SELECT y FROM u WHERE x = 2"), vec![vec![Value::Text("b".into())]]);
        assert_eq!(rows(&mut c, "SELECT x FROM u WHERE y = 'a'"), vec![vec![Value::Integer(1)]]);
        assert_eq!(rows(&mut c, "SELECT x FROM u WHERE z = 20"), vec![vec![Value::Integer(2)]]);
        assert!(c.execute("INSERT INTO u VALUES (3, 'a', 30)").is_err(), "the primary key's index is lost");
        // New tables in that file are numbered the same way.
        c.execute("CREATE TABLE IF NOT EXISTS n(p UNIQUE, q PRIMARY KEY)").expect("create n");
        assert_eq!(rows(&mut c, "PRAGMA index_info('sqlite_autoindex_n_1')")[0][2], Value::Text("q".into()));
    }
    // A new file gets the marker, and SQLite's numbering.
    let mut fresh = Connection::open_in_memory().expect("fresh");
    fresh.execute("CREATE TABLE u(x UNIQUE, y PRIMARY KEY, z UNIQUE)").expect("create");
    assert_eq!(rows(&mut fresh, "PRAGMA index_info('sqlite_autoindex_u_1')")[0][2], Value::Text("x".into()));
}
