//! EXPLAIN QUERY PLAN: the product guide's plans for its queries, and
//! SQLite's wording for plans both engines choose alike.

use dosql_sql::{Connection, Value};

/// The guide's schema (its "Query Optimization" section) plus a rowid table.
const SCHEMA: &str = "
    CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT, tenant_id TEXT, created_at INTEGER, name TEXT);
    CREATE INDEX idx_users_email ON users(email);
    CREATE INDEX idx_users_tenant ON users(tenant_id);
    CREATE INDEX idx_users_tenant_created ON users(tenant_id, created_at);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id TEXT, total REAL, created_at INTEGER);
    CREATE INDEX idx_orders_user ON orders(user_id);
    CREATE TABLE t (a INTEGER PRIMARY KEY, b, c);
    CREATE TABLE w (k TEXT, v, PRIMARY KEY (k)) WITHOUT ROWID;
";

fn details(c: &mut Connection, sql: &str) -> Vec<String> {
    let r = c.query(&format!("EXPLAIN QUERY PLAN {sql}")).expect(sql);
    assert_eq!(r.columns, ["id", "parent", "notused", "detail"]);
    r.rows
        .into_iter()
        .map(|row| match row.get(3) {
            Some(Value::Text(s)) => s.clone(),
            other => panic!("{sql}: detail is {other:?}"),
        })
        .collect()
}

fn sqlite_details(db: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut st = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect(sql);
    st.query_map([], |r| r.get::<_, String>(3)).expect(sql).map(|r| r.expect("row")).collect()
}

#[test]
fn the_guides_plans() {
    let mut c = Connection::open_in_memory().expect("open");
    c.execute(SCHEMA).expect("schema");
    let cases: &[(&str, &[&str])] = &[
        (
            "SELECT * FROM users WHERE tenant_id = 'tenant-123'",
            &["SEARCH users USING INDEX idx_users_tenant (tenant_id=?)"],
        ),
        ("SELECT * FROM users", &["SCAN users"]),
        (
            "SELECT * FROM users WHERE tenant_id = 'tenant-123' AND created_at > 1705840000000",
            &["SEARCH users USING INDEX idx_users_tenant_created (tenant_id=? AND created_at>?)"],
        ),
        (
            "SELECT u.name, o.total FROM users u INNER JOIN orders o ON u.id = o.user_id \
             WHERE u.tenant_id = 'tenant-123' AND o.created_at > 1705840000000",
            &[
                "SEARCH users AS u USING INDEX idx_users_tenant (tenant_id=?)",
                "SEARCH orders AS o USING INDEX idx_orders_user (user_id=?)",
            ],
        ),
    ];
    for (sql, want) in cases {
        assert_eq!(details(&mut c, sql), *want, "{sql}");
    }
}

#[test]
fn sqlite_wording_where_the_plans_agree() {
    let mut c = Connection::open_in_memory().expect("open");
    c.execute(SCHEMA).expect("schema");
    let lite = rusqlite::Connection::open_in_memory().expect("sqlite");
    lite.execute_batch(SCHEMA).expect("schema");
    let mut mismatches = Vec::new();
    for sql in [
        "SELECT * FROM t WHERE a = 5",
        "SELECT * FROM t WHERE a > 5",
        "SELECT * FROM t WHERE a > 5 AND a < 10",
        "SELECT * FROM t WHERE a BETWEEN 1 AND 3",
        "SELECT * FROM t WHERE b = 1",
        "SELECT * FROM orders WHERE user_id = 'x'",
        "SELECT * FROM users WHERE id = 'x'",
        "SELECT * FROM users WHERE tenant_id = 'x' AND created_at = 5",
        "SELECT * FROM w WHERE k = 'x'",
        "SELECT * FROM t ORDER BY b",
        "SELECT b, count(*) FROM t GROUP BY b",
        "SELECT DISTINCT b FROM t",
        "SELECT * FROM t, orders",
        "SELECT a FROM t UNION ALL SELECT b FROM t",
        "SELECT 1",
        "UPDATE t SET b = 1 WHERE a = 3",
        "DELETE FROM t WHERE b = 2",
        "DELETE FROM orders WHERE user_id = 'u'",
        "INSERT INTO t VALUES(1, 2, 3)",
    ] {
        let (ours, theirs) = (details(&mut c, sql), sqlite_details(&lite, sql));
        if ours != theirs {
            mismatches.push(format!("{sql}\n  dosql:  {ours:?}\n  sqlite: {theirs:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn explain_does_not_run_the_statement() {
    let mut c = Connection::open_in_memory().expect("open");
    c.execute(SCHEMA).expect("schema");
    c.execute("EXPLAIN QUERY PLAN DELETE FROM t").expect("explain");
    c.execute("INSERT INTO t VALUES(1, 2, 3)").expect("insert");
    c.execute("EXPLAIN QUERY PLAN DELETE FROM t").expect("explain");
    c.execute("EXPLAIN QUERY PLAN INSERT INTO t VALUES(2, 2, 3)").expect("explain");
    let r = c.query("SELECT count(*) FROM t").expect("count");
    assert_eq!(r.rows, vec![vec![Value::Integer(1)]]);
    let err = c.execute("EXPLAIN QUERY PLAN SELECT * FROM nosuch").expect_err("missing table");
    assert_eq!(err.to_string(), "no such table: nosuch");
}

#[test]
fn structured_explain() {
    let mut c = Connection::open_in_memory().expect("open");
    c.execute(SCHEMA).expect("schema");
    let rows: Vec<String> =
        (0..2000).map(|i| format!("('u{i}', 'e{i}', 'tenant-{}', {})", i % 20, 1_705_840_000_000i64 + i)).collect();
    c.execute(&format!("INSERT INTO users(id, email, tenant_id, created_at) VALUES {}", rows.join(", ")))
        .expect("fill");
    let plan = c.explain("SELECT * FROM users WHERE tenant_id = ? AND created_at > ?").expect("explain");
    assert!(plan.index_used);
    assert_eq!(plan.steps.len(), 1);
    let step = &plan.steps[0];
    assert_eq!(step.kind(), "SEARCH");
    assert_eq!(step.table.as_deref(), Some("users"));
    assert_eq!(step.using.as_deref(), Some("INDEX idx_users_tenant_created"));
    // Without statistics: ten rows per key, a quarter of them past the bound.
    assert_eq!(plan.estimated_rows, 2);
    let scan = c.explain("SELECT * FROM users WHERE name = 'x'").expect("explain");
    assert!(!scan.index_used);
    assert_eq!(scan.estimated_rows, 2000);
    c.execute("ANALYZE").expect("analyze");
    let plan = c.explain("SELECT * FROM users WHERE tenant_id = 'tenant-3'").expect("explain");
    assert_eq!(plan.steps[0].using.as_deref(), Some("INDEX idx_users_tenant"));
    assert_eq!(plan.estimated_rows, 100, "2000 rows over 20 tenants");
    let point = c.explain("SELECT * FROM t WHERE a = 1").expect("explain");
    assert_eq!((point.estimated_rows, point.index_used), (1, true));
}
