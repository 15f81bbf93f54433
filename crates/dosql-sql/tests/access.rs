//! Access paths (rowid lookups and ranges, index lookups) must find exactly
//! the rows a full scan would: differential tests against SQLite over
//! values of every type, affinities that do and do not allow an index,
//! collations, WITHOUT ROWID tables, UPDATE / DELETE, correlated subqueries
//! and trigger programs.

mod common;

use common::check_script;

#[test]
fn rowid_lookups_and_ranges() {
    check_script(&[
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v)",
        "INSERT INTO t VALUES(-9223372036854775808, 'min'), (-3, 'a'), (0, 'z'), (1, 'b'), (2, 'c'), (3, 'd'), (10, 'e'), (9223372036854775807, 'max')",
        "SELECT v FROM t WHERE id = 2",
        "SELECT v FROM t WHERE rowid = 2",
        "SELECT v FROM t WHERE _rowid_ = '3'",
        "SELECT v FROM t WHERE id = 2.0",
        "SELECT v FROM t WHERE id = 2.5",
        "SELECT v FROM t WHERE id = ' 3 '",
        "SELECT v FROM t WHERE id = 'x'",
        "SELECT v FROM t WHERE id = x'02'",
        "SELECT v FROM t WHERE id = NULL",
        "SELECT v FROM t WHERE 3 = id",
        "SELECT v FROM t WHERE id = 1 + 1",
        "SELECT v FROM t WHERE id = 9223372036854775807",
        "SELECT v FROM t WHERE id = 9223372036854775808.0",
        "SELECT v FROM t WHERE id > 2 ORDER BY id",
        "SELECT v FROM t WHERE id >= 2 AND id < 10",
        "SELECT v FROM t WHERE id > 1.5 AND id <= 3.5",
        "SELECT v FROM t WHERE id < -2.5",
        "SELECT v FROM t WHERE id > 'a'",
        "SELECT v FROM t WHERE id < 'a'",
        "SELECT v FROM t WHERE id < x'00'",
        "SELECT v FROM t WHERE id > NULL",
        "SELECT v FROM t WHERE id BETWEEN 0 AND 3",
        "SELECT v FROM t WHERE id BETWEEN 3 AND 0",
        "SELECT v FROM t WHERE id BETWEEN '1' AND '2'",
        "SELECT v FROM t WHERE id > 9223372036854775807",
        "SELECT v FROM t WHERE id < -9223372036854775808",
        "SELECT v FROM t WHERE id >= 9.3e18",
        "SELECT v FROM t WHERE id <= -9.3e18",
        "SELECT v FROM t WHERE id > -1e300 AND id < 1e300",
        "SELECT v FROM t WHERE id = 2 AND v = 'x'",
        "SELECT v FROM t WHERE id = 2 OR id = 3",
    ]);
}

#[test]
fn index_lookups_respect_affinity_and_collation() {
    check_script(&[
        "CREATE TABLE t(a INTEGER, b TEXT, c BLOB, d NUMERIC, e TEXT COLLATE NOCASE, f TEXT COLLATE RTRIM)",
        "CREATE INDEX ta ON t(a)",
        "CREATE INDEX tb ON t(b)",
        "CREATE INDEX tc ON t(c)",
        "CREATE INDEX td ON t(d)",
        "CREATE INDEX te ON t(e)",
        "CREATE INDEX tf ON t(f)",
        "INSERT INTO t VALUES(1, '1', 1, '1', 'Abc', 'x '), (1, '01', 1.0, 1.0, 'aBC', 'x'), (2, 'abc', '1', 'abc', 'ABC', 'x  '), \
         ('x', 'x', x'01', x'01', 'abd', 'y'), (NULL, NULL, NULL, NULL, NULL, NULL), (2.5, '2.5', 2.5, '2.50', 'q', 'x')",
        "SELECT rowid FROM t WHERE a = 1",
        "SELECT rowid FROM t WHERE a = '1'",
        "SELECT rowid FROM t WHERE a = 1.0",
        "SELECT rowid FROM t WHERE a = 'x'",
        "SELECT rowid FROM t WHERE a = 2.5",
        "SELECT rowid FROM t WHERE a = NULL",
        "SELECT rowid FROM t WHERE b = 1",
        "SELECT rowid FROM t WHERE b = '1'",
        "SELECT rowid FROM t WHERE b = 2.5",
        "SELECT rowid FROM t WHERE b = a",
        "SELECT rowid FROM t WHERE c = 1",
        "SELECT rowid FROM t WHERE c = '1'",
        "SELECT rowid FROM t WHERE c = 1.0",
        "SELECT rowid FROM t WHERE c = x'01'",
        "SELECT rowid FROM t WHERE d = '1'",
        "SELECT rowid FROM t WHERE d = 1",
        "SELECT rowid FROM t WHERE d = '2.5'",
        "SELECT rowid FROM t WHERE d = 'abc'",
        "SELECT rowid FROM t WHERE e = 'abc'",
        "SELECT rowid FROM t WHERE e = 'abc' COLLATE BINARY",
        "SELECT rowid FROM t WHERE e COLLATE BINARY = 'ABC'",
        "SELECT rowid FROM t WHERE f = 'x'",
        "SELECT rowid FROM t WHERE f = 'x' COLLATE BINARY",
        "SELECT rowid FROM t WHERE b = CAST(1 AS TEXT)",
        "SELECT rowid FROM t WHERE a = CAST('1' AS INTEGER)",
        "SELECT rowid FROM t WHERE b = +1",
        // Comparisons an index on the column cannot answer: they convert
        // the stored values, or compare under another collation.
        "SELECT rowid FROM t WHERE b = CAST(1 AS INTEGER)",
        "SELECT rowid FROM t WHERE b = CAST('2.5' AS REAL)",
        "SELECT rowid FROM t WHERE c = CAST(1 AS TEXT)",
        "SELECT rowid FROM t WHERE b = 'ABC' COLLATE NOCASE",
        "SELECT rowid FROM t WHERE b = 'abc  ' COLLATE RTRIM",
        "SELECT rowid FROM t WHERE f = 'x' COLLATE NOCASE",
        "SELECT rowid FROM t WHERE e = 'abc ' COLLATE RTRIM",
    ]);
}

#[test]
fn multi_column_and_without_rowid() {
    check_script(&[
        "CREATE TABLE m(a, b, c, PRIMARY KEY(a, b)) WITHOUT ROWID",
        "INSERT INTO m VALUES(2, 'b', 1), (1, 'z', 2), (1, 'a', 3), (2, 'a', 4), (3, NULL, 5)",
        "SELECT * FROM m WHERE a = 1",
        "SELECT * FROM m WHERE a = 2 AND b = 'a'",
        "SELECT * FROM m WHERE b = 'a'",
        "SELECT * FROM m WHERE a = 1.0",
        "SELECT c FROM m WHERE a = 3 AND b IS NULL",
        "CREATE TABLE u(x, y, z)",
        "CREATE INDEX uxy ON u(x, y DESC)",
        "CREATE UNIQUE INDEX uz ON u(z)",
        "INSERT INTO u VALUES(1, 1, 'a'), (1, 2, 'b'), (1, 2, 'c'), (2, 1, 'd'), (1, NULL, 'e'), (NULL, 1, 'f')",
        "SELECT z FROM u WHERE x = 1",
        "SELECT z FROM u WHERE x = 1 AND y = 2",
        "SELECT z FROM u WHERE y = 2 AND x = 1",
        "SELECT z FROM u WHERE x = 1 AND y = 2 AND z > 'b'",
        "SELECT x FROM u WHERE z = 'd'",
        "SELECT z FROM u WHERE x = 1 AND y > 1",
    ]);
}

#[test]
fn writes_and_correlated_lookups() {
    check_script(&[
        "CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE c(id INTEGER PRIMARY KEY, pid INTEGER, v)",
        "CREATE INDEX cp ON c(pid)",
        "INSERT INTO p VALUES(1, 'one'), (2, 'two'), (3, 'three')",
        "INSERT INTO c VALUES(1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c'), (4, NULL, 'd'), (5, '3', 'e')",
        "SELECT name, (SELECT count(*) FROM c WHERE c.pid = p.id) FROM p",
        "SELECT name FROM p WHERE EXISTS (SELECT 1 FROM c WHERE pid = p.id AND v > 'a')",
        "SELECT v FROM c WHERE id = (SELECT max(id) FROM p)",
        "UPDATE c SET v = v || '!' WHERE pid = 1",
        "UPDATE c SET v = 'x' WHERE id = 3",
        "UPDATE c SET pid = pid + 1 WHERE id BETWEEN 2 AND 4",
        "SELECT * FROM c",
        "DELETE FROM c WHERE pid = 2",
        "DELETE FROM c WHERE id > 4",
        "SELECT * FROM c",
        "CREATE TABLE log(x)",
        "CREATE TRIGGER pd AFTER DELETE ON p BEGIN DELETE FROM c WHERE pid = old.id; INSERT INTO log SELECT count(*) FROM c WHERE pid = old.id; END",
        "DELETE FROM p WHERE id = 1",
        "SELECT * FROM c",
        "SELECT * FROM log",
        "UPDATE p SET name = upper(name) WHERE rowid = 2",
        "SELECT * FROM p",
    ]);
}

#[test]
fn index_ranges() {
    let mut script = vec![
        "CREATE TABLE r(a, b TEXT COLLATE NOCASE, c INTEGER, d)",
        "CREATE INDEX ra ON r(a)",
        "CREATE INDEX rb ON r(b DESC)",
        "CREATE INDEX rcd ON r(c, d DESC)",
        "INSERT INTO r VALUES(1, 'apple', 1, 1), (2.5, 'Banana', 1, 2), ('3', 'cherry', 1, 3), (x'04', 'APPLE', 2, 1), \
         (NULL, NULL, 2, NULL), (-7, 'date', 2, 2), (10, 'Eggplant', NULL, 5), ('abc', 'fig', 3, 3.5), (2, 'banana', 1, 2.0)",
    ];
    let queries = [
        "SELECT rowid FROM r WHERE a > 1",
        "SELECT rowid FROM r WHERE a >= 2.5",
        "SELECT rowid FROM r WHERE a < 3",
        "SELECT rowid FROM r WHERE a <= '3'",
        "SELECT rowid FROM r WHERE a > 'a'",
        "SELECT rowid FROM r WHERE a < x'05'",
        "SELECT rowid FROM r WHERE a > NULL",
        "SELECT rowid FROM r WHERE a BETWEEN 0 AND 5",
        "SELECT rowid FROM r WHERE a BETWEEN 5 AND 0",
        "SELECT rowid FROM r WHERE b > 'b'",
        "SELECT rowid FROM r WHERE b >= 'BANANA'",
        "SELECT rowid FROM r WHERE b < 'c'",
        "SELECT rowid FROM r WHERE b BETWEEN 'apple' AND 'Cherry'",
        "SELECT rowid FROM r WHERE b > 'b' COLLATE BINARY",
        "SELECT rowid FROM r WHERE c = 1 AND d > 1",
        "SELECT rowid FROM r WHERE c = 1 AND d >= 2",
        "SELECT rowid FROM r WHERE c = 1 AND d < 3",
        "SELECT rowid FROM r WHERE c = 2 AND d BETWEEN 1 AND 2",
        "SELECT rowid FROM r WHERE c = '1' AND d <= 2",
        "SELECT rowid FROM r WHERE c > 1",
        "SELECT rowid FROM r WHERE c >= '2'",
        "SELECT rowid FROM r WHERE c < 2.5",
        "SELECT rowid FROM r WHERE c > 1 AND c < 3",
        "SELECT rowid FROM r WHERE c = CAST('1' AS TEXT) AND d > 1",
    ];
    script.extend(queries);
    check_script(&script);
}

#[test]
fn joins_look_up_the_right_table() {
    check_script(&[
        "CREATE TABLE users(id TEXT PRIMARY KEY, tenant_id TEXT, name TEXT)",
        "CREATE INDEX idx_users_tenant ON users(tenant_id)",
        "CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id TEXT, total REAL, created_at INTEGER, n INTEGER)",
        "CREATE INDEX idx_orders_user ON orders(user_id)",
        "CREATE INDEX idx_orders_n ON orders(n, created_at)",
        "INSERT INTO users VALUES('u1', 't1', 'ann'), ('u2', 't1', 'bob'), ('u3', 't2', 'cy'), ('4', 't2', 'dee'), (NULL, 't1', 'nul')",
        "INSERT INTO orders VALUES(1, 'u1', 10.5, 100, 1), (2, 'u1', 3, 200, 2), (3, 'u2', 7, 150, 1), (4, 'u9', 1, 50, NULL), \
         (5, 4, 2, 300, '4'), (6, NULL, 8, 10, 4), (7, 'U1', 9, 120, 2)",
        "SELECT u.name, o.total FROM users u INNER JOIN orders o ON u.id = o.user_id WHERE u.tenant_id = 't1' AND o.created_at > 120",
        "SELECT u.name, o.id FROM users u JOIN orders o ON o.user_id = u.id",
        "SELECT u.name, o.id FROM users u LEFT JOIN orders o ON o.user_id = u.id AND o.total > 5",
        "SELECT u.name, o.id FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE o.id IS NULL",
        "SELECT u.name, o.id FROM users u, orders o WHERE o.user_id = u.id AND o.created_at BETWEEN 100 AND 200",
        "SELECT u.name, o.id FROM orders o JOIN users u ON u.id = o.user_id",
        "SELECT u.name, o.id FROM orders o JOIN users u ON u.rowid = o.n",
        "SELECT a.id, b.id FROM orders a JOIN orders b ON b.id = a.n",
        "SELECT a.id, b.id FROM orders a JOIN orders b ON b.n = a.n AND b.created_at > a.created_at",
        "SELECT a.id, b.id FROM orders a JOIN orders b ON b.n = a.id",
        "SELECT a.id, b.id FROM orders a JOIN orders b ON b.user_id = a.n",
        "SELECT u.name, o.id FROM users u JOIN orders o USING (id)",
        "SELECT u.name, o.id FROM users u RIGHT JOIN orders o ON o.user_id = u.id",
        "SELECT u.name, o.id FROM users u FULL JOIN orders o ON o.user_id = u.id",
        "SELECT u.name, o.id, x.id FROM users u JOIN orders o ON o.user_id = u.id JOIN orders x ON x.id = o.n",
        "SELECT u.name, o.id, x.id FROM users u JOIN orders o ON o.user_id = u.id LEFT JOIN orders x ON x.n = o.id",
        "SELECT u.name, (SELECT count(*) FROM orders o JOIN users v ON v.id = o.user_id WHERE v.tenant_id = u.tenant_id) FROM users u",
        "UPDATE orders SET total = total + 1 WHERE user_id IN (SELECT id FROM users WHERE tenant_id = 't1')",
        "SELECT id, total FROM orders",
    ]);
}

#[test]
fn the_scan_only_switch_changes_plans_not_results() {
    use dosql_sql::{Connection, Value};
    let mut c = Connection::open_in_memory().expect("open");
    c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, a); CREATE INDEX ta ON t(a)").expect("schema");
    c.execute("INSERT INTO t VALUES(1, 'x'), (2, 'y'), (3, 'x')").expect("fill");
    let q = "SELECT id FROM t WHERE a = 'x'";
    let mut p = c.prepare(q).expect("prepare");
    let plan = |c: &mut Connection| c.explain(q).expect("explain").steps[0].detail.clone();
    assert_eq!(plan(&mut c), "SEARCH t USING COVERING INDEX ta (a=?)");
    let with = c.run_prepared(&mut p, &[]).expect("run");
    c.set_index_lookups(false).expect("switch");
    assert_eq!(plan(&mut c), "SCAN t");
    let without = c.run_prepared(&mut p, &[]).expect("run");
    assert_eq!(with[0].rows, without[0].rows);
    assert_eq!(without[0].rows, vec![vec![Value::Integer(1)], vec![Value::Integer(3)]]);
    c.set_index_lookups(true).expect("switch");
    assert_eq!(plan(&mut c), "SEARCH t USING COVERING INDEX ta (a=?)");
}
