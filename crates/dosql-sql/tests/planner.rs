//! Planner paths beyond plain lookups must give exactly SQLite's rows:
//! rows read in index order (ascending, descending, DESC index columns,
//! NULLs, collations) with LIMIT / OFFSET stopping early, min() / max()
//! from an index edge (NULLs skipped, equal values of different types),
//! IN lists and IN subqueries driving lookups, ORs of indexed terms,
//! covering-index reads, and their plans in SQLite's words.

mod common;

use common::check_script;
use dosql_sql::Connection;

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL, d, e TEXT COLLATE NOCASE)",
    "CREATE INDEX ta ON t(a)",
    "CREATE INDEX tbc ON t(b, c DESC)",
    "CREATE INDEX td ON t(d)",
    "CREATE INDEX te ON t(e)",
    "INSERT INTO t VALUES(1, 5, 'x', 1.5, 1, 'Abc'), (2, NULL, 'x', NULL, 1.0, 'abc'), (3, 5, 'y', -0.0, 'one', 'ABD'), \
     (4, 2, NULL, 2.5, x'01', NULL), (5, 9, 'x', 2.5, NULL, 'b'), (6, 2, 'y', 0.0, 2, 'B'), (7, NULL, 'x', 7.0, 1, 'c'), \
     (8, -4, 'z', 3.0, '1', 'abc'), (9, 5, 'x', 1.5, 1.0, 'a'), (10, 9, NULL, NULL, 0, 'Z')",
];

fn script(queries: &[&str]) -> Vec<String> {
    SCHEMA.iter().chain(queries).map(|s| s.to_string()).collect()
}

fn check(queries: &[&str]) {
    let s = script(queries);
    let refs: Vec<&str> = s.iter().map(String::as_str).collect();
    check_script(&refs);
}

#[test]
fn index_order_with_limit_and_offset() {
    check(&[
        "SELECT id, a FROM t ORDER BY a, id LIMIT 4",
        "SELECT id, a FROM t ORDER BY a DESC, id DESC LIMIT 4",
        "SELECT id, a FROM t ORDER BY a DESC, id DESC LIMIT 3 OFFSET 2",
        "SELECT id, a FROM t ORDER BY a, id LIMIT 0",
        "SELECT id, a FROM t ORDER BY a, id LIMIT -1 OFFSET 8",
        "SELECT id, a FROM t ORDER BY a NULLS LAST, id LIMIT 5",
        "SELECT id, a FROM t ORDER BY a DESC NULLS FIRST, id LIMIT 5",
        "SELECT id, a FROM t WHERE a > 2 ORDER BY a, id LIMIT 3",
        "SELECT id, a FROM t WHERE a < 9 ORDER BY a DESC, id DESC LIMIT 3",
        "SELECT id, a FROM t WHERE a >= 2 AND a <= 5 ORDER BY a DESC, id DESC LIMIT 10",
        "SELECT id, a FROM t WHERE id > 3 ORDER BY a, id LIMIT 3",
        "SELECT id, c FROM t WHERE b = 'x' ORDER BY c DESC, id LIMIT 3",
        "SELECT id, c FROM t WHERE b = 'x' ORDER BY c, id DESC LIMIT 3",
        "SELECT id, c FROM t WHERE b = 'x' AND c < 7 ORDER BY c DESC, id LIMIT 2",
        "SELECT id, b, c FROM t ORDER BY b, c DESC, id LIMIT 6",
        "SELECT id, b, c FROM t ORDER BY b DESC, c, id DESC LIMIT 6",
        "SELECT id, e FROM t ORDER BY e, id LIMIT 6",
        "SELECT id, e FROM t ORDER BY e COLLATE BINARY, id LIMIT 6",
        "SELECT id, d FROM t ORDER BY d, id LIMIT 7",
        "SELECT id, d FROM t ORDER BY d DESC, id DESC LIMIT 7",
        "SELECT id FROM t ORDER BY id DESC LIMIT 3",
        "SELECT id FROM t WHERE id < 8 ORDER BY id DESC LIMIT 3",
        "SELECT id FROM t WHERE id BETWEEN 2 AND 8 ORDER BY rowid DESC LIMIT 2 OFFSET 1",
        "SELECT id, a FROM t WHERE a = 5 ORDER BY id DESC LIMIT 2",
        "SELECT id, a FROM t WHERE d = 1 ORDER BY a, id LIMIT 2",
        "SELECT id, a FROM t WHERE a + 0 > 1 ORDER BY a DESC, id LIMIT 4",
        "SELECT a FROM t WHERE EXISTS (SELECT 1 FROM t AS u WHERE u.a = t.a ORDER BY u.a LIMIT 1) ORDER BY a, id LIMIT 3",
    ]);
}

#[test]
fn min_and_max_from_an_index_edge() {
    check(&[
        "SELECT min(a), max(a) FROM t",
        "SELECT min(a) FROM t",
        "SELECT max(a) FROM t",
        "SELECT max(a), id FROM t",
        "SELECT min(a), id FROM t",
        "SELECT min(d), typeof(min(d)) FROM t",
        "SELECT max(d), typeof(max(d)) FROM t",
        "SELECT min(d), id FROM t WHERE d > 0",
        "SELECT max(c), id FROM t WHERE b = 'x'",
        "SELECT min(c), id FROM t WHERE b = 'x'",
        "SELECT min(c), id FROM t WHERE b = 'y'",
        "SELECT max(e), min(e) FROM t",
        "SELECT max(e), id FROM t",
        "SELECT min(e), id FROM t",
        "SELECT max(id), min(rowid) FROM t",
        "SELECT max(id) FROM t",
        "SELECT min(id) FROM t WHERE id > 4",
        "SELECT min(a) FROM t WHERE a > 100",
        "SELECT max(a) FROM t WHERE b = 'none'",
        "SELECT min(a) FROM t HAVING min(a) > 0",
        "SELECT min(a) + 1 FROM t",
        "SELECT max(a) FROM t WHERE id % 2 = 0",
    ]);
}

#[test]
fn in_lists_subqueries_and_ors_drive_lookups() {
    check(&[
        "SELECT id FROM t WHERE a IN (5, 2, 5.0, NULL, '9')",
        "SELECT id FROM t WHERE a IN ()",
        "SELECT id FROM t WHERE a NOT IN (5, 2)",
        "SELECT id FROM t WHERE id IN (3, 1, 3, 99, 2.0, 2.5, 'x', NULL)",
        "SELECT id FROM t WHERE id IN (SELECT a FROM t WHERE a > 0)",
        "SELECT id FROM t WHERE a IN (SELECT id FROM t WHERE id < 6)",
        "SELECT id FROM t WHERE b IN ('x', 'z') AND c IN (1.5, 3)",
        "SELECT id FROM t WHERE b IN ('x', 'y') ORDER BY c DESC, id LIMIT 3",
        "SELECT id FROM t WHERE e IN ('ABC', 'b')",
        "SELECT id FROM t WHERE e COLLATE BINARY IN ('ABC', 'b')",
        "SELECT id FROM t WHERE d IN (1, '1', x'01')",
        "SELECT id FROM t WHERE a = 5 OR a = 9",
        "SELECT id FROM t WHERE a = 5 OR b = 'z'",
        "SELECT id FROM t WHERE a = 5 OR b = 'z' OR id = 10",
        "SELECT id FROM t WHERE (a = 5 AND b = 'x') OR (b = 'y' AND c > 0) OR id < 2",
        "SELECT id FROM t WHERE a = 5 OR c = 2.5",
        "SELECT id FROM t WHERE (a = 2 OR e = 'c') AND id > 3",
        "SELECT id FROM t WHERE a IN (5, 9) AND id IN (1, 5, 9)",
        "UPDATE t SET d = 'in' WHERE a IN (2, 9) OR b = 'z'",
        "SELECT id, d FROM t",
        "DELETE FROM t WHERE id IN (SELECT id FROM t WHERE a = 5) OR e = 'z'",
        "SELECT id FROM t",
    ]);
}

#[test]
fn covering_reads_and_without_rowid() {
    check(&[
        "SELECT a, id FROM t WHERE a > 1",
        "SELECT b, c FROM t WHERE b = 'x'",
        "SELECT c FROM t WHERE b = 'y'",
        "SELECT c, typeof(c) FROM t WHERE b IN ('y', 'x')",
        "SELECT e FROM t WHERE e = 'abc'",
        "SELECT count(*) FROM t WHERE a > 2",
        "SELECT d, typeof(d) FROM t WHERE d IN (1, 2)",
        "CREATE TABLE w(p, q, r, PRIMARY KEY(p, q DESC)) WITHOUT ROWID",
        "INSERT INTO w VALUES(1, 1, 'a'), (1, 2, 'b'), (2, 1, 'c'), (2, 5, 'd'), (3, 3, 'e'), ('1', 0, 'f')",
        "SELECT * FROM w WHERE p IN (2, 1)",
        "SELECT * FROM w WHERE p IN (2, 1) AND q IN (5, 1, 2)",
        "SELECT * FROM w WHERE p = 2 ORDER BY q LIMIT 1",
        "SELECT * FROM w ORDER BY p DESC, q LIMIT 3",
        "SELECT max(p), min(p) FROM w",
        "SELECT * FROM w WHERE p = 1 OR p = 3",
    ]);
}

#[test]
fn plans_in_sqlite_words() {
    let mut c = Connection::open_in_memory().expect("open");
    c.execute(
        "CREATE TABLE t(a, b, c); CREATE INDEX ib ON t(b); CREATE INDEX ic ON t(c); \
         CREATE TABLE u(x INTEGER PRIMARY KEY, y)",
    )
    .expect("schema");
    let plan = |c: &mut Connection, q: &str| -> Vec<String> {
        c.explain(q).expect("explain").steps.into_iter().map(|l| l.detail).collect()
    };
    let cases: &[(&str, &[&str])] = &[
        (
            "SELECT * FROM t WHERE b = 1 OR c = 2",
            &["MULTI-INDEX OR", "INDEX 1", "SEARCH t USING INDEX ib (b=?)", "INDEX 2", "SEARCH t USING INDEX ic (c=?)"],
        ),
        ("SELECT * FROM u WHERE x IN (1, 2)", &["SEARCH u USING INTEGER PRIMARY KEY (rowid=?)"]),
        ("SELECT * FROM u WHERE x = 1 OR x = 5", &["SEARCH u USING INTEGER PRIMARY KEY (rowid=?)"]),
        ("SELECT b FROM t ORDER BY b LIMIT 1", &["SCAN t USING COVERING INDEX ib"]),
        ("SELECT max(x) FROM u", &["SEARCH u"]),
        ("SELECT min(b) FROM t", &["SEARCH t USING COVERING INDEX ib"]),
        ("SELECT * FROM t ORDER BY b DESC LIMIT 10", &["SCAN t USING INDEX ib"]),
        ("SELECT * FROM t WHERE b = 5 ORDER BY c", &["SEARCH t USING INDEX ib (b=?)", "USE TEMP B-TREE FOR ORDER BY"]),
        ("SELECT count(*) FROM t WHERE b > 5", &["SEARCH t USING COVERING INDEX ib (b>?)"]),
        ("SELECT * FROM u ORDER BY x DESC", &["SCAN u"]),
        ("SELECT * FROM t WHERE b IN (1, 2, 3)", &["SEARCH t USING INDEX ib (b=?)"]),
    ];
    for (q, want) in cases {
        assert_eq!(plan(&mut c, q), *want, "{q}");
    }
    let e = c.explain("SELECT * FROM t WHERE b = 1 OR c = 2").expect("explain");
    assert!(e.index_used);
}

#[test]
fn partial_and_expression_indexes() {
    check_script(&[
        "CREATE TABLE u(id INTEGER PRIMARY KEY, email TEXT, status TEXT, n INTEGER, d)",
        "CREATE INDEX u_lower ON u(lower(email))",
        "CREATE INDEX u_pending ON u(n) WHERE status = 'pending'",
        "CREATE INDEX u_nn ON u(d) WHERE d IS NOT NULL",
        "CREATE INDEX u_sum ON u(n + id, email)",
        "CREATE INDEX u_sub ON u(n) WHERE n > (SELECT count(*) FROM u)",
        "CREATE INDEX u_rnd ON u(n) WHERE random() > 0",
        "CREATE INDEX u_exists ON u(n) WHERE EXISTS (SELECT 1 FROM u AS x WHERE x.id = 1)",
        "INSERT INTO u VALUES(1, 'A@x.com', 'pending', 3, 1), (2, 'a@X.com', 'done', 3, NULL), (3, 'b@x.com', 'pending', 5, 'x'), \
         (4, NULL, NULL, NULL, 2.0), (5, 'B@X.COM', 'pending', 3, 2), (6, 'c', 'done', 1, x'00')",
        "SELECT id FROM u WHERE lower(email) = 'a@x.com'",
        "SELECT id FROM u WHERE 'b@x.com' = lower(email)",
        "SELECT id FROM u WHERE lower(email) > 'b'",
        "SELECT id FROM u WHERE lower(email) IN ('c', 'a@x.com')",
        "SELECT id FROM u WHERE upper(email) = 'A@X.COM'",
        "SELECT id FROM u WHERE n = 3 AND status = 'pending'",
        "SELECT id FROM u WHERE status = 'pending' AND n > 3",
        "SELECT id FROM u WHERE n = 3",
        "SELECT id FROM u WHERE n = 3 AND status = 'done'",
        "SELECT id FROM u WHERE d = 2",
        "SELECT id FROM u WHERE d > 1",
        "SELECT id FROM u WHERE d IS NULL",
        "SELECT id FROM u WHERE n + id = 8",
        "SELECT id FROM u WHERE n + id = 4 AND email = 'A@x.com'",
        "SELECT id FROM u WHERE id + n = 4",
        "UPDATE u SET status = 'done' WHERE n = 3 AND status = 'pending'",
        "SELECT id, status FROM u WHERE status = 'pending' AND n = 3",
        "DELETE FROM u WHERE lower(email) = 'b@x.com'",
        "SELECT id FROM u",
    ]);
    let mut c = Connection::open_in_memory().expect("open");
    c.execute(
        "CREATE TABLE u(id INTEGER PRIMARY KEY, email TEXT, status TEXT, n INTEGER); \
         CREATE INDEX u_lower ON u(lower(email)); CREATE INDEX u_pending ON u(n) WHERE status = 'pending'",
    )
    .expect("schema");
    let plan = |c: &mut Connection, q: &str| c.explain(q).expect("explain").steps[0].detail.clone();
    assert_eq!(plan(&mut c, "SELECT * FROM u WHERE lower(email) = ?"), "SEARCH u USING INDEX u_lower (<expr>=?)");
    assert_eq!(
        plan(&mut c, "SELECT * FROM u WHERE n = 1 AND status = 'pending'"),
        "SEARCH u USING INDEX u_pending (n=?)"
    );
    assert_eq!(plan(&mut c, "SELECT * FROM u WHERE n = 1"), "SCAN u");
}

#[test]
fn group_by_read_in_index_order() {
    check(&[
        "SELECT a, count(*) FROM t GROUP BY a",
        "SELECT d, count(*), typeof(d) FROM t GROUP BY d",
        "SELECT e, count(*) FROM t GROUP BY e",
        "SELECT e COLLATE BINARY, count(*) FROM t GROUP BY e COLLATE BINARY",
        "SELECT b, c, count(*) FROM t GROUP BY b, c",
        "SELECT b, count(*), max(c) FROM t WHERE b = 'x' GROUP BY b",
        "SELECT a, id FROM t GROUP BY a",
        "SELECT a, sum(c) FROM t GROUP BY a HAVING count(*) > 1",
        "SELECT a, count(*) FROM t WHERE a > 2 GROUP BY a ORDER BY a DESC",
        "SELECT id % 3, count(*) FROM t GROUP BY id % 3",
    ]);
    let mut c = Connection::open_in_memory().expect("open");
    c.execute("CREATE TABLE t(a, b, c); CREATE INDEX ib ON t(b)").expect("schema");
    let plan = |c: &mut Connection, q: &str| -> Vec<String> {
        c.explain(q).expect("explain").steps.into_iter().map(|l| l.detail).collect()
    };
    assert_eq!(plan(&mut c, "SELECT b, count(*) FROM t GROUP BY b"), ["SCAN t USING COVERING INDEX ib"]);
    assert_eq!(plan(&mut c, "SELECT count(*) FROM t WHERE b > 1"), ["SEARCH t USING COVERING INDEX ib (b>?)"]);
    assert_eq!(plan(&mut c, "SELECT a, count(*) FROM t GROUP BY a"), ["SCAN t", "USE TEMP B-TREE FOR GROUP BY"]);
}

#[test]
fn bare_columns_come_from_sqlites_row() {
    // The group's first row in scan order, or the row min() / max() took
    // its value from (with an index, SQLite's pick of a first row depends
    // on its plan, so only the extremes, which are unique here, are
    // compared).
    let data = "INSERT INTO t VALUES(1, 'a', 1), (1, 'b', 2), (1, 'c', 3), (2, 'y', 4), (2, 'x', 5), (NULL, NULL, 6), \
                (2, 'z', 7), (1.0, 'd', 8)";
    check_script(&[
        "CREATE TABLE t(g, v, w)",
        data,
        "SELECT g, v, w, count(*) FROM t GROUP BY g",
        "SELECT v, w, count(*) FROM t",
        "SELECT g, w, max(v) FROM t GROUP BY g",
        "SELECT g, w, min(v) FROM t GROUP BY g",
        "SELECT w, max(v) FROM t",
        "SELECT w, min(v) FROM t",
        "SELECT g, w, sum(w), max(w) FROM t GROUP BY g HAVING count(*) > 1",
    ]);
    check_script(&[
        "CREATE TABLE t(g, v, w)",
        "CREATE INDEX tg ON t(g, v)",
        data,
        "SELECT g, w, max(v) FROM t GROUP BY g",
        "SELECT g, w, min(v) FROM t GROUP BY g",
        "SELECT w, max(v) FROM t",
        "SELECT w, min(v) FROM t",
        "SELECT w, min(v), max(v) FROM t WHERE g = 2",
    ]);
}

#[test]
fn conditions_pushed_into_views_and_subqueries() {
    check(&[
        "CREATE VIEW v AS SELECT id, a, b AS bee, c * 2 AS c2, e FROM t",
        "CREATE VIEW vd AS SELECT DISTINCT e FROM t",
        "CREATE VIEW va AS SELECT a, count(*) AS n FROM t GROUP BY a",
        "SELECT * FROM v WHERE id = 3",
        "SELECT * FROM v WHERE a = 5 AND bee = 'x'",
        "SELECT * FROM v WHERE c2 = 3",
        "SELECT * FROM v WHERE e = 'ABC'",
        "SELECT * FROM v WHERE e COLLATE BINARY = 'abc'",
        "SELECT * FROM v WHERE a = '5'",
        "SELECT * FROM vd WHERE e = 'abc'",
        "SELECT * FROM va WHERE a = 5",
        "SELECT * FROM (SELECT a, b FROM t ORDER BY a LIMIT 3) WHERE a = 5",
        "SELECT * FROM (SELECT a AS x, b FROM t) AS s WHERE s.x > 2 AND s.b IN ('x', 'y')",
        "SELECT * FROM (SELECT a AS x, b FROM t UNION ALL SELECT id, e FROM t) WHERE x = 5",
        "SELECT t.id, v.id FROM t LEFT JOIN v ON v.id = t.a WHERE v.id IS NULL",
        "SELECT t.id, v.id FROM t JOIN v ON v.id = t.a WHERE v.bee = 'x'",
        "WITH w AS (SELECT id, a FROM t WHERE a IS NOT NULL) SELECT * FROM w WHERE a = 9",
        "WITH w AS (SELECT id, a FROM t) SELECT * FROM w AS w1, w AS w2 WHERE w1.id = w2.a AND w1.a = 5",
        "SELECT * FROM v WHERE id = (SELECT max(id) FROM t)",
        "SELECT x.id FROM t AS x WHERE EXISTS (SELECT 1 FROM v WHERE v.id = x.a)",
        "SELECT id FROM (SELECT id, random() AS r FROM t) WHERE id < 3 AND r IS NOT NULL",
    ]);
    let mut c = Connection::open_in_memory().expect("open");
    c.execute(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a, b); CREATE INDEX ta ON t(a); CREATE VIEW v AS SELECT id, a FROM t",
    )
    .expect("schema");
    let plan: Vec<String> =
        c.explain("SELECT * FROM v WHERE a = 3").expect("explain").steps.into_iter().map(|l| l.detail).collect();
    assert!(plan.iter().any(|l| l == "SEARCH t USING COVERING INDEX ta (a=?)"), "{plan:?}");
}

#[test]
fn in_and_exists_subqueries_from_sets() {
    check(&[
        "CREATE TABLE s(k, v INTEGER, w TEXT COLLATE NOCASE)",
        "INSERT INTO s VALUES(1, 5, 'ABC'), ('5', 2, 'x'), (2.0, NULL, NULL), (x'01', 9, 'b'), (NULL, 5, 'Z')",
        "SELECT id FROM t WHERE a IN (SELECT v FROM s)",
        "SELECT id FROM t WHERE a NOT IN (SELECT v FROM s)",
        "SELECT id FROM t WHERE a NOT IN (SELECT v FROM s WHERE v IS NOT NULL)",
        "SELECT id FROM t WHERE d IN (SELECT k FROM s)",
        "SELECT id FROM t WHERE b IN (SELECT k FROM s)",
        "SELECT id FROM t WHERE e IN (SELECT w FROM s)",
        "SELECT id FROM t WHERE b IN (SELECT w FROM s)",
        "SELECT id FROM t WHERE d IN (SELECT k FROM s WHERE 0)",
        "SELECT id FROM t WHERE d NOT IN (SELECT k FROM s WHERE 0)",
        "SELECT id, a IN (SELECT v FROM s) FROM t",
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM s WHERE s.v = t.a)",
        "SELECT id FROM t WHERE NOT EXISTS (SELECT 1 FROM s WHERE s.v = t.a)",
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM s WHERE s.k = t.d AND s.v > 1)",
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM s WHERE s.w = t.b)",
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM s WHERE t.e = s.w)",
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM s WHERE s.v = t.a + 0 AND s.k = t.d)",
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM s WHERE s.v = t.a AND s.w > t.b)",
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM s WHERE s.v = t.a LIMIT 1)",
        "SELECT id, EXISTS (SELECT 1 FROM s WHERE s.k = t.id) FROM t",
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM s WHERE s.v = (SELECT max(a) FROM t AS u WHERE u.id = t.id))",
        "SELECT id FROM t AS o WHERE EXISTS (SELECT 1 FROM t AS i WHERE i.c = o.c AND i.id <> o.id)",
        "DELETE FROM s WHERE v IN (SELECT a FROM t WHERE a > 4)",
        "SELECT * FROM s",
    ]);
}

#[test]
fn simple_subqueries_and_views_are_flattened() {
    check(&[
        "CREATE VIEW vx AS SELECT id AS k, a, b FROM t WHERE c > 1",
        "CREATE VIEW vr AS SELECT rowid AS r, e AS name FROM t",
        "SELECT * FROM vx",
        "SELECT * FROM vx WHERE k = 5",
        "SELECT k, b FROM vx WHERE a = 5 ORDER BY k DESC LIMIT 2",
        "SELECT * FROM vr WHERE r > 7",
        "SELECT name FROM vr WHERE name = 'ABC'",
        "SELECT vx.k, vr.name FROM vx JOIN vr ON vr.r = vx.k",
        "SELECT * FROM vx NATURAL JOIN (SELECT id AS k, d FROM t)",
        "SELECT * FROM vx JOIN (SELECT id AS k, d FROM t) USING (k)",
        "SELECT x.k, y.k FROM vx AS x, vx AS y WHERE x.a = y.k",
        "SELECT t.id, s.b FROM t, (SELECT a, b FROM t WHERE a > 2) AS s WHERE s.a = t.id",
        "SELECT * FROM (SELECT a, a AS a2, b FROM t) WHERE a2 = 9",
        "SELECT count(*), max(k) FROM vx",
        "SELECT rowid FROM vx",
        "SELECT vx.c FROM vx",
        "SELECT t.rowid, vx.* FROM t, vx WHERE vx.k = t.id + 1",
        "SELECT a, count(*) FROM vx GROUP BY a",
        "SELECT * FROM t LEFT JOIN vx ON vx.k = t.a",
        "SELECT * FROM (SELECT * FROM (SELECT id, a FROM t WHERE a > 1) WHERE a < 9) WHERE id > 2",
        "SELECT (SELECT count(*) FROM vx WHERE vx.a = t.a) FROM t",
        "UPDATE t SET a = a + 1 WHERE id IN (SELECT k FROM vx WHERE a = 5)",
        "SELECT * FROM vx",
    ]);
    let mut c = Connection::open_in_memory().expect("open");
    c.execute(
        "CREATE TABLE users(id INTEGER PRIMARY KEY, tenant_id TEXT, name TEXT); \
         CREATE INDEX idx_users_tenant ON users(tenant_id); \
         CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INTEGER, total REAL, status TEXT); \
         CREATE INDEX idx_orders_user ON orders(user_id); \
         CREATE VIEW pending AS SELECT id, user_id, total FROM orders WHERE status = 'pending'",
    )
    .expect("schema");
    let plan: Vec<String> = c
        .explain("SELECT u.name, p.total FROM users u JOIN pending p ON p.user_id = u.id WHERE u.tenant_id = 't'")
        .expect("explain")
        .steps
        .into_iter()
        .map(|l| l.detail)
        .collect();
    assert_eq!(
        plan,
        [
            "SEARCH users AS u USING INDEX idx_users_tenant (tenant_id=?)",
            "SEARCH orders USING INDEX idx_orders_user (user_id=?)"
        ]
    );
}

#[test]
fn order_by_from_a_covering_index_needs_no_sort() {
    check(&[
        "SELECT a FROM t ORDER BY a",
        "SELECT a, id FROM t ORDER BY a DESC, id DESC",
        "SELECT b, c FROM t ORDER BY b, c DESC",
        "SELECT b, c FROM t ORDER BY b DESC, c",
        "SELECT e FROM t ORDER BY e",
        "SELECT a FROM t WHERE a IS NOT NULL ORDER BY a DESC",
    ]);
    let mut c = Connection::open_in_memory().expect("open");
    c.execute("CREATE TABLE t(a, b, c); CREATE INDEX ib ON t(b)").expect("schema");
    let plan = |c: &mut Connection, q: &str| -> Vec<String> {
        c.explain(q).expect("explain").steps.into_iter().map(|l| l.detail).collect()
    };
    assert_eq!(plan(&mut c, "SELECT b FROM t ORDER BY b"), ["SCAN t USING COVERING INDEX ib"]);
    assert_eq!(plan(&mut c, "SELECT a, b FROM t ORDER BY b"), ["SCAN t", "USE TEMP B-TREE FOR ORDER BY"]);
}
