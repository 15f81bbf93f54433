//! ANALYZE writes SQLite's `sqlite_stat1` rows, and the statistics steer
//! the choice of index.

mod common;

use common::check_script;
use dosql_sql::{Connection, Value};

fn fill(table: &str, rows: usize, row: impl Fn(usize) -> String) -> String {
    let values: Vec<String> = (0..rows).map(row).collect();
    format!("INSERT INTO {table} VALUES {}", values.join(", "))
}

#[test]
fn stat1_rows_match_sqlite() {
    let users = fill("users", 500, |i| {
        let email = if i % 11 == 0 { "NULL".to_string() } else { format!("'e{}'", i % 97) };
        format!("('u{i}', {email}, 't{}', {})", i % 7, i % 13)
    });
    let p = fill("p", 40, |i| format!("({}, {})", i % 5, if i % 3 == 0 { "NULL".into() } else { (i % 4).to_string() }));
    check_script(&[
        "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT, tenant_id TEXT, created_at INTEGER)",
        "CREATE INDEX idx_users_email ON users(email)",
        "CREATE INDEX idx_users_tenant ON users(tenant_id)",
        "CREATE INDEX idx_users_tenant_created ON users(tenant_id, created_at DESC)",
        "CREATE TABLE empty(x)",
        "CREATE INDEX empty_x ON empty(x)",
        "CREATE TABLE plain(y)",
        "INSERT INTO plain VALUES(1), (2), (2)",
        "CREATE TABLE p(a, b COLLATE NOCASE)",
        "CREATE INDEX pa ON p(a) WHERE a > 1",
        "CREATE UNIQUE INDEX pab ON p(a, b, rowid)",
        &users,
        &p,
        "INSERT INTO p VALUES(9, 'X'), (9, 'x')",
        "ANALYZE",
        "SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx",
        "SELECT sql FROM sqlite_schema WHERE name = 'sqlite_stat1'",
        "DELETE FROM users WHERE created_at > 3",
        "ANALYZE plain",
        "SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx",
        "ANALYZE idx_users_tenant",
        "SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx",
        "ANALYZE main",
        "SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx",
        "ANALYZE nosuch",
        "SELECT * FROM sqlite_stat1 WHERE tbl = 'users' ORDER BY idx",
    ]);
}

fn plan(c: &mut Connection, sql: &str) -> String {
    let r = c.query(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
    match r.rows.first().and_then(|row| row.get(3)) {
        Some(Value::Text(s)) => s.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn statistics_choose_the_more_selective_index() {
    let mut c = Connection::open_in_memory().expect("open");
    c.execute("CREATE TABLE t(a, b); CREATE INDEX ta ON t(a); CREATE INDEX tb ON t(b)").expect("schema");
    // `a` takes 1000 values, `b` 2: a = ? is far more selective.
    c.execute(&fill("t", 1000, |i| format!("({i}, {})", i % 2))).expect("fill");
    let sql = "SELECT * FROM t WHERE a = 7 AND b = 1";
    assert_eq!(plan(&mut c, sql), "SEARCH t USING INDEX tb (b=?)", "without statistics: the newest index, as SQLite");
    c.execute("ANALYZE").expect("analyze");
    assert_eq!(plan(&mut c, sql), "SEARCH t USING INDEX ta (a=?)", "with statistics: the selective index");
    let r = c.query(sql).expect("query");
    assert_eq!(r.rows, vec![vec![Value::Integer(7), Value::Integer(1)]]);
    // The statistics survive a reload of the schema (a DDL reloads it).
    c.execute("CREATE TABLE other(x)").expect("ddl");
    assert_eq!(plan(&mut c, sql), "SEARCH t USING INDEX ta (a=?)");
}
