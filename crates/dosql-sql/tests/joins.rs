//! Join planning must never change a result: differential tests against
//! SQLite of inner joins of up to seven tables in every FROM order, read
//! through index lookups, hash tables (equalities whose affinities and
//! collations convert or fold values) and nested loops, mixed with outer
//! joins, subqueries and views; and plans that show the order chosen by
//! cost.

mod common;

use common::check_script;
use dosql_sql::Connection;

#[test]
fn hash_joins_compare_as_sqlite_does() {
    check_script(&[
        "CREATE TABLE a(i INTEGER, t TEXT, n NUMERIC, b BLOB, x, c TEXT COLLATE NOCASE, r TEXT COLLATE RTRIM)",
        "CREATE TABLE b(i INTEGER, t TEXT, n NUMERIC, b BLOB, x, c TEXT COLLATE NOCASE, r TEXT COLLATE RTRIM)",
        "INSERT INTO a VALUES(1, '1', 1, 1, 1, 'Ab', 'x'), (2, '2.0', 2.0, '2', '2', 'AB ', 'x  '), (NULL, NULL, NULL, NULL, NULL, NULL, NULL), \
         (3, 'abc', 'abc', x'61', 3.0, 'b', 'y'), (9223372036854775807, '9e18', 9.0e18, 9.5, 9007199254740993, 'c', '')",
        "INSERT INTO b VALUES(1.0, 1, '1', '1', 1.0, 'aB', 'x '), (2, '2', 2, 2.0, 2, 'ab', 'x'), (NULL, NULL, NULL, NULL, NULL, NULL, NULL), \
         (3, 'ABC', 'abc', 'a', '3', 'B', 'y '), (9223372036854775807, '9e18', '9000000000000000000', 9.5, 9007199254740992.0, 'C', ' ')",
        "SELECT a.i, b.i FROM a, b WHERE a.i = b.i",
        "SELECT a.i, b.i FROM a, b WHERE a.t = b.t",
        "SELECT a.i, b.i FROM a, b WHERE a.n = b.n",
        "SELECT a.i, b.i FROM a, b WHERE a.b = b.b",
        "SELECT a.i, b.i FROM a, b WHERE a.x = b.x",
        "SELECT a.i, b.i FROM a, b WHERE a.c = b.c",
        "SELECT a.i, b.i FROM a, b WHERE b.c = a.c",
        "SELECT a.i, b.i FROM a, b WHERE a.r = b.r",
        "SELECT a.i, b.i FROM a, b WHERE a.c = b.t",
        "SELECT a.i, b.i FROM a, b WHERE a.t = b.c",
        "SELECT a.i, b.i FROM a, b WHERE a.i = b.t",
        "SELECT a.i, b.i FROM a, b WHERE a.t = b.n",
        "SELECT a.i, b.i FROM a, b WHERE a.x = b.t",
        "SELECT a.i, b.i FROM a, b WHERE a.x = b.n",
        "SELECT a.i, b.i FROM a, b WHERE a.x = b.b",
        "SELECT a.i, b.i FROM a, b WHERE a.i + 0 = b.n",
        "SELECT a.i, b.i FROM a, b WHERE a.t COLLATE NOCASE = b.t",
        "SELECT a.i, b.i FROM a, b WHERE a.t = b.t COLLATE NOCASE",
        "SELECT a.i, b.i FROM a, b WHERE CAST(a.t AS INTEGER) = b.i",
        "SELECT a.i, b.i FROM a, b WHERE a.i = b.i AND a.c = b.c",
        "SELECT a.i, b.i FROM a JOIN b ON a.i = b.i AND b.t > '1'",
        "SELECT a.i, b.i FROM a, b WHERE a.i = b.i OR a.t = b.t",
        "SELECT a.i, b.i FROM a, b WHERE a.i = 1 AND b.i = 1",
        "SELECT a.i, count(*) FROM a, b WHERE a.x = b.x GROUP BY a.i",
    ]);
}

#[test]
fn many_tables_in_every_from_order() {
    let schema = [
        "CREATE TABLE t1(id INTEGER PRIMARY KEY, k, v)",
        "CREATE TABLE t2(id INTEGER PRIMARY KEY, t1_id, v)",
        "CREATE TABLE t3(id INTEGER PRIMARY KEY, t2_id, v)",
        "CREATE TABLE t4(id INTEGER PRIMARY KEY, t3_id, v)",
        "CREATE TABLE t5(id INTEGER PRIMARY KEY, t4_id, v)",
        "CREATE TABLE t6(id INTEGER PRIMARY KEY, t5_id, v)",
        "CREATE TABLE t7(id INTEGER PRIMARY KEY, t6_id, v)",
        "CREATE INDEX t2a ON t2(t1_id)",
        "CREATE INDEX t4a ON t4(t3_id)",
        "CREATE INDEX t6a ON t6(t5_id)",
        "CREATE INDEX t1k ON t1(k)",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30) \
         INSERT INTO t1 SELECT i, i % 4, 'a' || i FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) \
         INSERT INTO t2 SELECT i, i % 31, i % 3 FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) \
         INSERT INTO t3 SELECT i, (i * 7) % 41, i % 5 FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) \
         INSERT INTO t4 SELECT i, CASE WHEN i % 6 = 0 THEN NULL ELSE i END, 'x' FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) \
         INSERT INTO t5 SELECT i, '' || i, i FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) \
         INSERT INTO t6 SELECT i, i % 20, i FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) \
         INSERT INTO t7 SELECT i, 41 - i, i FROM n",
    ];
    let joins = [
        "t1.id = t2.t1_id",
        "t2.id = t3.t2_id",
        "t3.id = t4.t3_id",
        "t4.id = t5.t4_id",
        "t5.id = t6.t5_id",
        "t6.id = t7.t6_id",
    ];
    let mut script: Vec<String> = schema.iter().map(|s| s.to_string()).collect();
    let orders: [&[usize]; 6] = [
        &[1, 2, 3, 4, 5, 6, 7],
        &[7, 6, 5, 4, 3, 2, 1],
        &[4, 1, 7, 2, 6, 3, 5],
        &[3, 5, 1, 7],
        &[2, 1, 3],
        &[6, 5, 4, 3, 2],
    ];
    for order in orders {
        let from: Vec<String> = order.iter().map(|i| format!("t{i}")).collect();
        let lo = *order.iter().min().unwrap_or(&1);
        let hi = *order.iter().max().unwrap_or(&1);
        let conds: Vec<&str> = joins.iter().skip(lo - 1).take(hi - lo).copied().collect();
        let cols: Vec<String> = order.iter().map(|i| format!("t{i}.id")).collect();
        let w = conds.join(" AND ");
        script.push(format!("SELECT {} FROM {} WHERE {w}", cols.join(", "), from.join(", ")));
        script.push(format!("SELECT {} FROM {} WHERE {w} AND t{lo}.v <> 'a3'", cols.join(", "), from.join(", ")));
        script.push(format!("SELECT count(*) FROM {} WHERE {w}", from.join(" CROSS JOIN ")));
        if lo == 1 {
            script.push(format!("SELECT {} FROM {} WHERE {w} AND t1.k = 2", cols.join(", "), from.join(", ")));
        }
    }
    script
        .push("SELECT t1.id, t2.id, t3.id FROM t1 JOIN t2 ON t1.id = t2.t1_id LEFT JOIN t3 ON t3.t2_id = t2.id".into());
    script.push("SELECT t1.id, x.c FROM t1, (SELECT t1_id, count(*) AS c FROM t2 GROUP BY t1_id) AS x, t3 WHERE x.t1_id = t1.id AND t3.t2_id = x.c".into());
    script.push("CREATE VIEW v23 AS SELECT t2.id AS a, t3.id AS b FROM t2 JOIN t3 ON t3.t2_id = t2.id".into());
    script.push("SELECT t1.id, v23.b, t4.id FROM t4, v23, t1 WHERE v23.a = t1.id AND t4.t3_id = v23.b".into());
    script.push("SELECT t1.id FROM t1, t2, t3 WHERE t1.id = t2.t1_id AND t2.id = t3.t2_id AND EXISTS (SELECT 1 FROM t4 WHERE t4.t3_id = t3.id)".into());
    script
        .push("SELECT t1.id, (SELECT count(*) FROM t2, t3 WHERE t2.t1_id = t1.id AND t3.t2_id = t2.id) FROM t1".into());
    script
        .push("SELECT a.id, b.id, c.id FROM t1 a, t1 b, t1 c WHERE a.k = b.k AND b.id = c.id + 1 AND a.id < 8".into());
    script.push("UPDATE t1 SET v = 'u' WHERE id IN (SELECT t2.t1_id FROM t2, t3 WHERE t3.t2_id = t2.id)".into());
    script.push("SELECT id, v FROM t1".into());
    let refs: Vec<&str> = script.iter().map(String::as_str).collect();
    check_script(&refs);
}

#[test]
fn join_order_follows_cost() {
    let mut c = Connection::open_in_memory().expect("open");
    c.execute(
        "CREATE TABLE users(id INTEGER PRIMARY KEY, tenant_id TEXT, name TEXT); \
         CREATE INDEX idx_users_tenant ON users(tenant_id); \
         CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INTEGER, total REAL, created_at INTEGER); \
         CREATE INDEX idx_orders_user ON orders(user_id); \
         CREATE TABLE items(id INTEGER PRIMARY KEY, order_id INTEGER, sku TEXT); \
         CREATE INDEX idx_items_order ON items(order_id); \
         CREATE TABLE skus(sku TEXT PRIMARY KEY, title TEXT) WITHOUT ROWID; \
         CREATE TABLE notes(body TEXT, sku TEXT); \
         CREATE TABLE tags(sku TEXT, tag TEXT)",
    )
    .expect("schema");
    let plan = |c: &mut Connection, q: &str| -> Vec<String> {
        c.explain(q).expect("explain").steps.into_iter().map(|l| l.detail).collect()
    };
    // Written in the worst order: the plan starts at the tenant's users and
    // follows the indexes outwards.
    let q = "SELECT * FROM tags, notes, skus, items, orders, users \
             WHERE users.tenant_id = 't1' AND orders.user_id = users.id AND items.order_id = orders.id \
             AND skus.sku = items.sku AND notes.sku = skus.sku AND tags.sku = notes.sku";
    assert_eq!(
        plan(&mut c, q),
        [
            "SEARCH users USING INDEX idx_users_tenant (tenant_id=?)",
            "SEARCH orders USING INDEX idx_orders_user (user_id=?)",
            "SEARCH items USING INDEX idx_items_order (order_id=?)",
            "SEARCH skus USING PRIMARY KEY (sku=?)",
            "SEARCH notes USING HASH INDEX (sku=?)",
            "SEARCH tags USING HASH INDEX (sku=?)",
        ]
    );
    // The guide's join, written the other way round.
    let q = "SELECT u.name, o.total FROM orders o INNER JOIN users u ON u.id = o.user_id \
             WHERE u.tenant_id = 'tenant-123' AND o.created_at > 1705840000000";
    assert_eq!(
        plan(&mut c, q),
        ["SEARCH u USING INDEX idx_users_tenant (tenant_id=?)", "SEARCH o USING INDEX idx_orders_user (user_id=?)"]
            .map(|s| s.replace("SEARCH u ", "SEARCH users AS u ").replace("SEARCH o ", "SEARCH orders AS o "))
    );
}

#[test]
fn limits_stop_joins_early_without_changing_counts() {
    let mut script = vec![
        "CREATE TABLE a(id INTEGER PRIMARY KEY, k)".to_string(),
        "CREATE TABLE b(id INTEGER PRIMARY KEY, a_id, v)".to_string(),
        "CREATE TABLE c(id INTEGER PRIMARY KEY, b_id)".to_string(),
        "CREATE INDEX b_a ON b(a_id)".to_string(),
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) INSERT INTO a SELECT i, i % 3 FROM n"
            .to_string(),
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30) INSERT INTO b SELECT i, i % 7, i % 2 FROM n"
            .to_string(),
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30) INSERT INTO c SELECT i, i % 11 FROM n"
            .to_string(),
    ];
    let joins = [
        "a JOIN b ON b.a_id = a.id",
        "a LEFT JOIN b ON b.a_id = a.id",
        "a LEFT JOIN b ON b.a_id = a.id AND b.v = 1",
        "a JOIN b ON b.a_id = a.id JOIN c ON c.b_id = b.id",
        "a, b, c WHERE b.a_id = a.id AND c.b_id = b.id AND a.k = 1",
        "a JOIN b ON b.v = a.k",
        "a CROSS JOIN c",
        "a LEFT JOIN b ON b.a_id = a.id WHERE b.v = 0",
        "a RIGHT JOIN b ON b.a_id = a.id",
    ];
    for j in joins {
        for limit in [0, 1, 3, 10, 1000] {
            script.push(format!("SELECT count(*) FROM (SELECT a.id FROM {j} LIMIT {limit})"));
            script.push(format!("SELECT count(*) FROM (SELECT a.id FROM {j} LIMIT {limit} OFFSET 2)"));
        }
        script.push(format!("SELECT a.id, b.id FROM {j} LIMIT 1000"));
    }
    let refs: Vec<&str> = script.iter().map(String::as_str).collect();
    check_script(&refs);
}
