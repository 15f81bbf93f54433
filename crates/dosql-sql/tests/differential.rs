//! Differential tests: the same statements run on DoSQL and on SQLite
//! (rusqlite, bundled); results, errors and change counts must agree.

mod common;

use common::check_script;
use dosql_sql::{Connection, Value};

#[test]
fn tables_inserts_and_selects() {
    check_script(&[
        "CREATE TABLE t1(a INTEGER, b TEXT, c REAL, d)",
        "INSERT INTO t1 VALUES(1, 'one', 1.5, NULL), (2, 'two', 2.5, x'00ff'), (3, 'three', NULL, 'x')",
        "INSERT INTO t1(b, a) VALUES('four', '4')",
        "SELECT * FROM t1",
        "SELECT a, b FROM t1 WHERE a > 1 ORDER BY a DESC",
        "SELECT a + 1, a * 2.5, b || '!', -a, a / 0, a % 2 FROM t1 ORDER BY 1",
        "SELECT typeof(a), typeof(b), typeof(c), typeof(d) FROM t1 ORDER BY a",
        "SELECT count(*), sum(a), avg(a), min(b), max(c), total(c) FROM t1",
        "SELECT b FROM t1 WHERE b LIKE 't%' ORDER BY b",
        "SELECT a FROM t1 WHERE a BETWEEN 2 AND 3 ORDER BY a",
        "SELECT a FROM t1 WHERE a IN (1, 3, 5) ORDER BY a",
        "SELECT a FROM t1 WHERE c IS NULL",
        "SELECT CASE WHEN a < 2 THEN 'small' WHEN a < 4 THEN 'mid' ELSE 'big' END FROM t1 ORDER BY a",
        "SELECT a FROM t1 ORDER BY a LIMIT 2 OFFSET 1",
        "SELECT DISTINCT a % 2 FROM t1 ORDER BY 1",
        "SELECT a % 2 AS k, count(*) FROM t1 GROUP BY k ORDER BY k",
        "SELECT a % 2, group_concat(b) FROM t1 GROUP BY 1 HAVING count(*) > 1",
        "SELECT (SELECT max(a) FROM t1), EXISTS (SELECT 1 FROM t1 WHERE a = 9)",
        "SELECT a FROM t1 x WHERE a = (SELECT min(a) FROM t1 y WHERE y.a > x.a - 2) ORDER BY a",
        "SELECT a FROM t1 UNION SELECT a + 1 FROM t1 ORDER BY 1",
        "SELECT a FROM t1 INTERSECT SELECT a + 1 FROM t1",
        "SELECT a FROM t1 EXCEPT SELECT a + 1 FROM t1",
        "SELECT nosuch FROM t1",
        "SELECT * FROM nosuch",
        "SELECT 1 UNION SELECT 1, 2",
        // ORDER BY and LIMIT belong to a SELECT: none may follow a VALUES
        // that ends the query.
        "VALUES(2), (1) ORDER BY 1",
        "VALUES(1) LIMIT 1",
        "SELECT 1 UNION VALUES(2), (3) ORDER BY 1",
        "SELECT * FROM (VALUES(2), (1) ORDER BY 1)",
        "VALUES(1), (2) UNION ALL VALUES(3) LIMIT 2, 1",
        "VALUES(2), (3) UNION SELECT 1 ORDER BY 1",
        "VALUES(2), (3) UNION SELECT 1 ORDER BY 1 LIMIT 2",
    ]);
}

#[test]
fn joins() {
    check_script(&[
        "CREATE TABLE a(id INTEGER PRIMARY KEY, v TEXT)",
        "CREATE TABLE b(id INTEGER PRIMARY KEY, a_id INTEGER, w TEXT)",
        "INSERT INTO a VALUES(1, 'x'), (2, 'y'), (3, 'z')",
        "INSERT INTO b VALUES(10, 1, 'p'), (11, 1, 'q'), (12, 2, 'r'), (13, 9, 's')",
        "SELECT a.v, b.w FROM a JOIN b ON b.a_id = a.id ORDER BY b.id",
        "SELECT a.v, b.w FROM a LEFT JOIN b ON b.a_id = a.id ORDER BY a.id, b.id",
        "SELECT a.v, b.w FROM a, b WHERE a.id = b.a_id AND b.w > 'p'",
        "SELECT count(*) FROM a CROSS JOIN b",
        "SELECT * FROM a NATURAL JOIN (SELECT id, 'n' AS tag FROM b WHERE id < 0)",
        "SELECT v FROM a WHERE id IN (SELECT a_id FROM b) ORDER BY v",
        "SELECT id FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.a_id = a.id)",
        "SELECT id FROM a JOIN b USING (id)",
        "SELECT rowid, id FROM a ORDER BY rowid DESC",
    ]);
}

#[test]
fn constraints_updates_deletes() {
    check_script(&[
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INT DEFAULT 7 CHECK (n >= 0))",
        "INSERT INTO t(name) VALUES('a'), ('b')",
        "SELECT * FROM t",
        "INSERT INTO t(name) VALUES('a')",
        "INSERT INTO t(id, name) VALUES(1, 'c')",
        "INSERT INTO t(name, n) VALUES(NULL, 1)",
        "INSERT OR IGNORE INTO t(name) VALUES('a')",
        "INSERT OR REPLACE INTO t(id, name) VALUES(1, 'z')",
        "SELECT * FROM t ORDER BY id",
        "UPDATE t SET n = n + 1 WHERE name = 'b'",
        "UPDATE t SET name = 'z' WHERE id = 2",
        "SELECT * FROM t ORDER BY id",
        "DELETE FROM t WHERE n > 7",
        "SELECT * FROM t ORDER BY id",
        "CREATE INDEX t_n ON t(n)",
        "CREATE UNIQUE INDEX t_n2 ON t(n)",
        "SELECT name, type FROM sqlite_master ORDER BY name",
        "DROP INDEX t_n",
        "DROP TABLE t",
        "SELECT count(*) FROM sqlite_master",
        "DROP TABLE t",
        "DROP TABLE IF EXISTS t",
    ]);
}

#[test]
fn recursive_ctes() {
    check_script(&[
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) SELECT x FROM c",
        "WITH c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5) SELECT group_concat(x) FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3 OFFSET 2) SELECT x FROM c",
        "WITH RECURSIVE c(x) AS (VALUES(1), (1) UNION SELECT (x * 3) % 7 FROM c) SELECT x FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x * 2 FROM c WHERE x < 1e6) SELECT count(*), max(x) FROM c",
        "CREATE TABLE org(name TEXT PRIMARY KEY, boss TEXT, height INT)",
        "INSERT INTO org VALUES('Alice', NULL, 160), ('Bob', 'Alice', 170), ('Cindy', 'Alice', 150), \
         ('Dave', 'Bob', 180), ('Emma', 'Bob', 165), ('Fred', 'Cindy', 175), ('Gail', 'Dave', 155)",
        "WITH RECURSIVE works_for_alice(n) AS (VALUES('Alice') UNION SELECT name FROM org, works_for_alice \
         WHERE org.boss = works_for_alice.n) SELECT avg(height) FROM org WHERE org.name IN works_for_alice",
        "WITH RECURSIVE under_alice(name, level) AS (VALUES('Alice', 0) UNION ALL SELECT org.name, under_alice.level + 1 \
         FROM org JOIN under_alice ON org.boss = under_alice.name ORDER BY 2 DESC) \
         SELECT substr('..........', 1, level * 3) || name FROM under_alice",
        "WITH RECURSIVE under_alice(name, level) AS (VALUES('Alice', 0) UNION ALL SELECT org.name, under_alice.level + 1 \
         FROM org JOIN under_alice ON org.boss = under_alice.name ORDER BY 2) SELECT name, level FROM under_alice",
        "WITH RECURSIVE fib(a, b, n) AS (SELECT 0, 1, 1 UNION ALL SELECT b, a + b, n + 1 FROM fib WHERE n < 60) \
         SELECT max(a), count(*) FROM fib",
        "WITH RECURSIVE x(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM x WHERE i < 3), \
         y(j) AS (SELECT i FROM x UNION ALL SELECT j * 10 FROM y WHERE j < 100) SELECT j FROM y ORDER BY j",
        "SELECT (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < org.height / 20) \
         SELECT sum(n) FROM c) FROM org ORDER BY name",
        "WITH RECURSIVE c(x) AS (SELECT x FROM c UNION ALL SELECT 1) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c, c AS d WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT (SELECT x + 1 FROM c) WHERE 0) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT count(*) FROM c) SELECT * FROM c",
        "WITH RECURSIVE c(x, y) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1, 2 FROM c WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 INTERSECT SELECT x + 1 FROM c) SELECT * FROM c",
        "WITH a(x) AS (SELECT 1), b AS (SELECT x + 1 AS y FROM a) SELECT y FROM b",
    ]);
}

#[test]
fn transactions_and_savepoints() {
    let mut c = Connection::open_in_memory().expect("open");
    c.execute("CREATE TABLE t(x); BEGIN; INSERT INTO t VALUES(1); SAVEPOINT s; INSERT INTO t VALUES(2); ROLLBACK TO s; INSERT INTO t VALUES(3); COMMIT")
        .expect("script");
    let r = c.query("SELECT x FROM t ORDER BY x").expect("query");
    assert_eq!(r.rows, vec![vec![Value::Integer(1)], vec![Value::Integer(3)]]);
    c.execute("BEGIN").expect("begin");
    c.execute("INSERT INTO t VALUES(4)").expect("insert");
    assert!(c.execute("INSERT INTO nosuch VALUES(1)").is_err());
    c.execute("ROLLBACK").expect("rollback");
    assert_eq!(c.query("SELECT count(*) FROM t").expect("count").rows, vec![vec![Value::Integer(2)]]);
    assert_eq!(c.execute("COMMIT").expect_err("no txn").to_string(), "cannot commit - no transaction is active");
}

#[test]
fn schema_survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    {
        let mut c = Connection::open(&path).expect("open");
        c.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT UNIQUE); INSERT INTO t VALUES(1, 'x'); CREATE VIEW v AS SELECT b FROM t")
            .expect("script");
    }
    let mut c = Connection::open(&path).expect("reopen");
    assert_eq!(c.query("SELECT * FROM v").expect("view").rows, vec![vec![Value::Text("x".into())]]);
    assert!(c.execute("INSERT INTO t VALUES(2, 'x')").is_err(), "unique index survives reopen");
}

#[test]
fn correlated_from_subqueries() {
    check_script(&[
        "CREATE TABLE t(a INTEGER, b TEXT)",
        "INSERT INTO t VALUES(1, 'x'), (2, 'y'), (3, NULL)",
        "SELECT a, (SELECT v FROM (SELECT t.a * 10 AS v)) FROM t ORDER BY a",
        "SELECT a, (SELECT count(*) FROM (SELECT * FROM t AS u WHERE u.a <= t.a)) FROM t ORDER BY a",
        "SELECT a, (WITH w AS (SELECT t.b AS v) SELECT v FROM w) FROM t ORDER BY a",
        "SELECT a FROM t WHERE EXISTS (SELECT 1 FROM (SELECT t.a AS z) WHERE z > 1) ORDER BY a",
    ]);
}

#[test]
fn json_functions_and_subtype() {
    check_script(&[
        "CREATE TABLE j(id INTEGER PRIMARY KEY, doc TEXT, k TEXT, v)",
        r#"INSERT INTO j VALUES(1, '{"a":1,"b":[1,2,{"c":"x"}],"d":{"e":null}}', 'p', 1),
            (2, '[10, 20, 30]', 'q', 'two'), (3, 'not json', 'r', 2.5), (4, NULL, NULL, NULL),
            (5, '{"a":"[1]","b":"é\u00e9"}', 's', x'ff00')"#,
        "SELECT json_array(json('[1]')), json_array('[1]'), json_array(json_array(1, 2), json_object('a', json('{}')))",
        "SELECT json_object('x', json_extract('{\"a\":[1]}', '$.a')), json_object('x', json_extract('{\"a\":\"s\"}', '$.a'))",
        "SELECT json_array('{\"a\":1}' -> '$.a', '{\"a\":1}' ->> '$.a', '[5]' -> 0)",
        "SELECT json_set('{}', '$.a', json('[1,2]'), '$.b', '[3]'), json_insert('[1]', '$[#]', json_quote('q'))",
        "SELECT json_array((SELECT json('[1]')))",
        "SELECT id, doc -> '$.a', doc ->> '$.a', doc -> 'b', doc ->> 1, doc -> '$[#-1]' FROM j WHERE id <> 3 AND id <> 5 ORDER BY id",
        "SELECT doc -> 'a' FROM j WHERE id = 3",
        "SELECT id, json_type(doc), json_valid(doc), json_error_position(doc) FROM j ORDER BY id",
        "SELECT 1 + '{\"a\":2}' ->> 'a' * 3, '[1,2]' -> 1 || 'x', '{\"a\":{\"b\":7}}' -> 'a' -> 'b'",
        "SELECT json_group_array(v) FROM j WHERE id < 4",
        "SELECT json_group_array(json(doc)) FROM j WHERE id IN (1, 2)",
        "SELECT json_group_object(k, v) FROM j WHERE id < 5",
        "SELECT json_group_object(k, json_extract(doc, '$.b')) FROM j WHERE id < 3",
        "SELECT json_array(json_group_array(id)) FROM j",
        "SELECT k IS NULL, json_group_array(id) FROM j GROUP BY 1 ORDER BY 1",
        "SELECT json_group_array(v) FROM j",
        "SELECT json_group_array(id) FROM j WHERE 0",
        "SELECT json_group_object(k, id) FROM j WHERE 0",
        "SELECT json_object('a', 1, 'b')",
        "SELECT json_object(1, 2)",
        "SELECT json('[1,')",
        "SELECT json_extract('{}', 'a')",
        "SELECT json_set('{}')",
        "SELECT json_set('{}', '$.a')",
        "SELECT json_valid('{}', 0)",
        "SELECT json(1, 2)",
        "SELECT json_array(x'ff01')",
        "SELECT json_patch('{\"a\":1}', json_object('a', NULL, 'b', json_array(1)))",
        "SELECT json_pretty(json_object('a', json_array(1, 2), 'b', json_object()))",
        "SELECT json_remove(doc, '$.b[1]', '$.d') FROM j WHERE id = 1",
        "SELECT json_replace(doc, '$.a', json_array(doc ->> '$.b[0]')) FROM j WHERE id = 1",
        "SELECT json_group_array(DISTINCT v % 2) FROM j",
        "SELECT json_group_array(v) FILTER (WHERE id > 1) FROM j WHERE id < 4",
        "SELECT json_group_object(k, json_object('id', id)) FROM j WHERE id < 3",
        "SELECT id FROM j WHERE doc ->> '$.a' = 1 OR doc -> '$[0]' = '10' ORDER BY id",
        "SELECT - '[1]' ->> 0, NOT '[0]' ->> 0, '[3]' ->> 0 + 1, '{\"a\":5}' ->> 'a' BETWEEN 4 AND 6",
        "SELECT '[1,2,3]' -> '$[#-1]', '[1,2,3]' ->> -1, '{\"a b\":1}' ->> 'a b', '{\"1\":2}' -> 1.5",
        "SELECT json_quote(json_quote('x')), json_quote(json('{}')), json_quote(3.0), json_quote(NULL)",
        "SELECT json_insert(json_array(), '$[#]', json_object('k', json_array(1, 2)))",
        "SELECT json_extract(json_object('a', json_array(1, 2)), '$.a', '$.a[1]', '$.zz')",
        "SELECT json_object('a', 1) -> '$', json_object('a', 1) ->> '$'",
        "CREATE TABLE c(x TEXT CONSTRAINT isjson CHECK (json_valid(x)))",
        "INSERT INTO c VALUES('[1]')",
        "SELECT json_array_length(x), x -> 0 FROM c",
    ]);
}

#[test]
fn prepared_statements_rebind_after_schema_changes() {
    let mut c = Connection::open_in_memory().expect("open");
    assert!(c.prepare("SELECT * FROM nosuch").is_err(), "prepare reports a missing table");
    c.execute("CREATE TABLE t(a, b)").expect("create");
    let mut ins = c.prepare("INSERT INTO t VALUES(?1, ?2)").expect("prepare insert");
    let mut q = c.prepare("SELECT a, b FROM t WHERE a > ? ORDER BY a").expect("prepare select");
    for i in 0..5 {
        c.run_prepared(&mut ins, &[Value::Integer(i), Value::Text(format!("v{i}"))]).expect("insert");
    }
    let r = c.run_prepared(&mut q, &[Value::Integer(2)]).expect("query");
    assert_eq!(r[0].rows.len(), 2);
    assert_eq!(r[0].columns, vec!["a".to_string(), "b".to_string()]);
    // The table is rebuilt with its columns swapped: the plan must follow.
    c.execute("DROP TABLE t; CREATE TABLE t(b, a); INSERT INTO t VALUES('x', 10)").expect("recreate");
    let r = c.run_prepared(&mut q, &[Value::Integer(2)]).expect("rebound");
    assert_eq!(r[0].rows, vec![vec![Value::Integer(10), Value::Text("x".into())]]);
    c.execute("DROP TABLE t").expect("drop");
    assert!(c.run_prepared(&mut q, &[Value::Integer(2)]).is_err(), "no such table after the drop");
    // The statement cache behind execute_with sees the same changes.
    for n in 0..3 {
        c.execute(&format!("CREATE TABLE u{n}(x); INSERT INTO u{n} VALUES({n})")).expect("setup");
        let r = c.execute_with("SELECT count(*) FROM sqlite_schema", &[]).expect("cached");
        assert_eq!(r[0].rows, vec![vec![Value::Integer(n + 1)]]);
    }
}

#[test]
fn now_is_one_instant_per_statement_from_the_injected_clock() {
    use dosql_storage::{Clock, Config, Database};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    /// A clock that moves 7 ms every time it is read.
    struct Ticking(AtomicU64);
    impl Clock for Ticking {
        fn now_ms(&self) -> u64 {
            self.0.fetch_add(7, Ordering::Relaxed)
        }
    }
    let clock = Arc::new(Ticking(AtomicU64::new(1_700_000_000_000)));
    let config = Config { clock: clock.clone(), ..Config::default() };
    let mut c = Connection::from_database(Database::open_in_memory(config).expect("db")).expect("conn");
    c.execute("CREATE TABLE t(x)").expect("create");
    c.execute("INSERT INTO t SELECT strftime('%s%f', 'now') FROM (VALUES(1), (2), (3))").expect("insert");
    let distinct = c.query("SELECT count(DISTINCT x) FROM t").expect("count").rows;
    assert_eq!(distinct, vec![vec![Value::Integer(1)]], "one instant for the whole INSERT");
    let r = c.query("SELECT unixepoch('now', 'subsec') * 1000 = unixepoch('now', 'subsec') * 1000").expect("same");
    assert_eq!(r.rows, vec![vec![Value::Integer(1)]]);
    let before = clock.0.load(Ordering::Relaxed) as f64;
    let r = c.query("SELECT CAST(unixepoch('now', 'subsec') * 1000 AS INTEGER)").expect("now");
    assert_eq!(r.rows, vec![vec![Value::Integer(before as i64)]], "'now' comes from the injected clock");
}

#[test]
fn json_each_and_json_tree() {
    check_script(&[
        "CREATE TABLE d(id INTEGER PRIMARY KEY, doc TEXT)",
        r#"INSERT INTO d VALUES(1, '{"a":1,"b":[true,null,{"c":"x\u0041"}],"a b":{"d":2.5},"":0}'),
            (2, '[1,[2,[3,[4]]],"s"]'), (3, '"scalar"'), (4, NULL), (5, '{"x":{"a":1,"b":[2,{"c":3}]},"k":''j5'',}')"#,
        "SELECT * FROM json_each('[10,\"t\",null,[1],{\"k\":1}]')",
        "SELECT *, json, root FROM json_each('{\"a\":1,\"a b\":2,\"1\":3,\"\":4,\"\\u0061\":5}')",
        "SELECT * FROM json_tree('{\"a\":[1,{\"b\":2}],\"c\":{}}')",
        "SELECT d.id, e.* FROM d, json_each(d.doc) AS e ORDER BY d.id, e.id",
        "SELECT d.id, t.key, t.value, t.type, t.atom, t.id, t.parent, t.fullkey, t.path FROM d JOIN json_tree(d.doc) t ORDER BY d.id, t.id",
        "SELECT d.id, count(*) FROM d LEFT JOIN json_each(d.doc) GROUP BY d.id ORDER BY d.id",
        "SELECT key, value FROM json_each('{\"x\":{\"a\":1,\"b\":[2,{\"c\":3}]}}', '$.x') ORDER BY id",
        "SELECT * FROM json_each('{\"x\":{\"a\":1}}', '$.x.a')",
        "SELECT * FROM json_each('[5,6]', '$[1]')",
        "SELECT * FROM json_tree('{\"x\":{\"a\":1,\"b\":[2,{\"c\":3}]}}', '$.x.b')",
        "SELECT * FROM json_tree('{\"x\":{\"a\":1,\"b\":[2,{\"c\":3}]}}', '$.x.a')",
        "SELECT * FROM json_tree('{\"x\":{\"a\":1,\"b\":[2,{\"c\":3}]}}', '$.x.b[1]')",
        "SELECT * FROM json_tree('[[0],[1,[2]]]', '$[1][1]')",
        "SELECT * FROM json_tree('{\"x\":{\"a\":1}}', '$.x')",
        "SELECT * FROM json_each('[1]', '$.nothing')",
        "SELECT * FROM json_each('[1]', NULL)",
        "SELECT * FROM json_each(NULL)",
        "SELECT * FROM json_each('[1,')",
        "SELECT * FROM json_each('[1]', 'x')",
        "SELECT * FROM json_each('[1]', '$[')",
        "SELECT * FROM json_each('[1]', '$', 1)",
        "SELECT * FROM json_tree('3')",
        "SELECT * FROM json_tree(' {a:0x10, b:.5, c:\"\\u00e9\"} ')",
        "SELECT d.id, e.value FROM d, json_each(d.doc, '$.b') e WHERE e.type <> 'null' ORDER BY 1, e.id",
        "SELECT (SELECT count(*) FROM json_each(d.doc)) FROM d ORDER BY id",
        "SELECT sum(value) FROM json_each('[1,2,3.5]')",
        "SELECT json_group_array(value) FROM json_each('[1,\"a\",null,2.5]')",
        "SELECT json_group_array(value) FROM json_each('[[1],{\"a\":2},\"[3]\",4]')",
        "SELECT json_array(e.value, value) FROM json_each('[[1],\"[2]\",3]') e",
        "SELECT json_group_object(key, value) FROM json_tree('{\"a\":[1,{\"b\":null}]}') WHERE type <> 'null'",
        "SELECT json_array(iif(1, json('[1]'), 2), ifnull(json('[1]'), 2), nullif(json('[1]'), 2), likely(json('[1]')))",
        "SELECT json_array((json('[1]')), json('[1]') COLLATE nocase, +json('[1]'), CAST(json('[1]') AS TEXT))",
        "SELECT json_array(CASE WHEN 1 THEN json('[1]') END, CASE 2 WHEN 1 THEN 0 ELSE json('{}') END, coalesce(NULL, json('[2]')))",
        "SELECT json_array(v) FROM (SELECT json('[1]') AS v)",
        "SELECT '[1]' -> 0 IS NOT NULL, 2 * '[3]' ->> 0, '[3]' ->> 0 * 2",
        "SELECT '{\"a\":1}' -> 'a' < 2, '[\"x\"]' ->> 0 LIKE 'X', '[5]' ->> 0 IN (5, 6), ~ '[1]' ->> 0",
        "SELECT '{\"a\":[1,2]}' -> 'a' -> 1, '{\"a\":[1,2]}' -> '$.a' ->> '$[0]', ('[[9]]' -> 0) ->> 0",
        "SELECT json_array_insert('[1,2,3]', '$[1]', 'x', '$[#]', 9), json_array_insert('{}', '$.x.y[0]', json('[1]'))",
        "SELECT json_array_insert('{\"a\":[1]}', '$.a[0]', 0, '$.b[0]', 5, '$.c', 6)",
        "SELECT json_array_insert('[1]', '$', 2), json_array_insert('[1]', '$[5]', 2), json_array_insert('[1]')",
        "SELECT json_array_insert('[1]', '$[0]')",
        "SELECT * FROM nosuchfunc(1)",
        "SELECT hex(jsonb_group_array(value)), hex(jsonb_group_object(key, value)) FROM json_each('{\"a\":[1],\"b\":\"x\"}')",
        "SELECT key, hex(value), type FROM jsonb_each(jsonb('{\"a\":[1,2],\"b\":{\"c\":null},\"d\":5}')) ORDER BY id",
        "SELECT fullkey, typeof(value) FROM jsonb_tree('[[1],{\"x\":[]}]') ORDER BY id",
        "SELECT json(jsonb_extract(jsonb('{\"a\":[1,{\"b\":2}]}'), '$.a')), jsonb_extract('[1]', '$[0]')",
        "SELECT json_array(jsonb('[1]'), jsonb_object('k', 'v')), json_type(jsonb_array(1, 'x')), jsonb('[1]') -> 0",
        "SELECT hex(jsonb(' {a: 0x10, b: .5, c: ''s''} ')), hex(jsonb_remove('[1,2,3]', '$[1]'))",
        "SELECT json_valid(jsonb('[1]'), 4), json_valid(jsonb('[1]'), 8), json_valid(jsonb('[1]'), 1), json_valid(x'ff', 12)",
        "SELECT json_error_position(jsonb('[1]')), json_error_position(x'3b01')",
    ]);
}

#[test]
fn collations_rise_through_operators_as_in_sqlite() {
    check_script(&[
        "CREATE TABLE t(a TEXT COLLATE NOCASE, b TEXT)",
        "INSERT INTO t VALUES('abc', 'ABC'), ('X', 'x'), ('b ', 'B')",
        "SELECT ('B' || 'x' COLLATE nocase) = 'bX', 'a' || 'B' = 'AB' COLLATE nocase",
        "SELECT a = b, b = a, +a = b, CAST(a AS TEXT) = b, a || '' = b, b || '' = a FROM t ORDER BY rowid",
        "SELECT (b COLLATE rtrim) || 'z' = 'Bz', upper(b COLLATE nocase) = lower(b) FROM t ORDER BY rowid",
        "SELECT b FROM t WHERE b BETWEEN 'a' COLLATE nocase AND 'c' ORDER BY rowid",
        "SELECT b FROM t WHERE b IN ('abc' COLLATE nocase, 'X') ORDER BY rowid",
        "SELECT CASE WHEN 1 THEN b COLLATE nocase END = 'abc' FROM t ORDER BY rowid",
        "SELECT b FROM t ORDER BY b || '' COLLATE nocase DESC",
        "SELECT DISTINCT a FROM t ORDER BY 1",
    ]);
}

#[test]
fn a_script_runs_until_its_first_bad_statement() {
    let mut c = Connection::open_in_memory().expect("open");
    let err =
        c.execute("CREATE TABLE t(a); INSERT INTO t VALUES(1); SELEC 2; INSERT INTO t VALUES(3)").expect_err("bad");
    assert_eq!(err.to_string(), "near \"SELEC\": syntax error");
    assert_eq!(c.query("SELECT a FROM t").expect("ran").rows, vec![vec![Value::Integer(1)]]);
    let err =
        c.execute("INSERT INTO t VALUES(4); INSERT INTO nosuch VALUES(5); INSERT INTO t VALUES(6)").expect_err("bad");
    assert_eq!(err.to_string(), "no such table: nosuch");
    assert_eq!(c.query("SELECT count(*) FROM t").expect("ran").rows, vec![vec![Value::Integer(2)]]);
}

#[test]
fn parameters_number_as_in_sqlite() {
    let lite = rusqlite::Connection::open_in_memory().expect("sqlite");
    let mut ours = Connection::open_in_memory().expect("dosql");
    let values: Vec<Value> = (1..=9).map(|i| Value::Integer(i * 10)).collect();
    for sql in [
        "SELECT ?, ?, ?",
        "SELECT ?2, ?, :a, ?",
        "SELECT :a, @b, $c, :a, ?",
        "SELECT ?5, :x, ?, ?1, :x",
        "SELECT @p + 1, ?3, @p, ?",
        "SELECT $v, ?9",
    ] {
        let mut stmt = lite.prepare(sql).expect("prepare");
        let n = stmt.parameter_count();
        for i in 1..=n {
            if let Value::Integer(v) = values[i - 1] {
                stmt.raw_bind_parameter(i, v).expect("bind");
            }
        }
        let cols = stmt.column_count();
        let mut rows = stmt.raw_query();
        let row = rows.next().expect("step").expect("a row");
        let want: Vec<Value> =
            (0..cols).map(|i| row.get::<_, Option<i64>>(i).expect("int").map_or(Value::Null, Value::Integer)).collect();
        let got = ours.execute_with(sql, &values[..n]).expect("ours").pop().expect("result").rows;
        assert_eq!(got, vec![want], "{sql}");
    }
}

#[test]
fn distinct_grouping_and_compounds_use_column_collations() {
    check_script(&[
        "CREATE TABLE t(a INTEGER, b TEXT COLLATE NOCASE, c TEXT COLLATE RTRIM, d TEXT)",
        "INSERT INTO t VALUES(1, 'Apple', 'x ', 'Q'), (2, 'apple', 'x', 'q'), (3, 'APPLE', 'x  ', 'q'), (4, 'pear', 'y', 'Q')",
        "SELECT count(DISTINCT b), count(DISTINCT c), count(DISTINCT d) FROM t",
        "SELECT count(*) FROM (SELECT DISTINCT b FROM t)",
        "SELECT count(*) FROM (SELECT DISTINCT c FROM t)",
        "SELECT count(*) FROM (SELECT DISTINCT d FROM t)",
        "SELECT lower(b), count(*) FROM t GROUP BY b ORDER BY 1",
        "SELECT count(*) FROM t GROUP BY d ORDER BY 1",
        "SELECT count(*) FROM t GROUP BY d COLLATE NOCASE",
        "SELECT count(*) FROM (SELECT b FROM t UNION SELECT 'APPLE')",
        "SELECT count(*) FROM (SELECT d FROM t UNION SELECT 'q')",
        "SELECT count(*) FROM (SELECT b FROM t INTERSECT SELECT 'PEAR')",
        "SELECT count(*) FROM (SELECT b FROM t EXCEPT SELECT 'apple')",
        // A compound's ORDER BY sorts under the column's collation: the
        // leftmost SELECT's that defines one (a literal defines none).
        "SELECT b FROM t UNION ALL SELECT 'banana' ORDER BY 1",
        "SELECT 'banana' UNION ALL SELECT b FROM t ORDER BY 1 DESC",
        "SELECT d FROM t UNION ALL SELECT b FROM t ORDER BY 1",
        "SELECT b, a FROM t UNION ALL SELECT d, a FROM t ORDER BY 1, 2",
        "SELECT b COLLATE BINARY, a FROM t UNION ALL SELECT b, a FROM t ORDER BY 1, 2",
        "SELECT count(*) FROM (SELECT 'APPLE' UNION SELECT b FROM t)",
        "SELECT count(*) FROM (SELECT 'x' INTERSECT SELECT c FROM t)",
        // A recursive CTE compares and exposes its columns the same way.
        "WITH RECURSIVE r(v) AS (SELECT b FROM t UNION SELECT upper(v) FROM r) SELECT v FROM r ORDER BY 1",
        "WITH RECURSIVE r(v) AS (SELECT d FROM t UNION SELECT lower(v) FROM r) SELECT v FROM r ORDER BY 1",
        "WITH RECURSIVE r(v, n) AS (SELECT b, 0 FROM t UNION ALL SELECT v, n + 1 FROM r WHERE n < 1 ORDER BY 1 LIMIT 20) \
         SELECT * FROM r",
    ]);
}

#[test]
fn prepared_writes_rebind_after_schema_changes() {
    let mut c = Connection::open_in_memory().expect("open");
    assert!(c.prepare("UPDATE nosuch SET a = 1").is_err(), "prepare reports a missing table");
    assert!(c.prepare("DELETE FROM nosuch").is_err(), "prepare reports a missing table");
    c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, a, b)").expect("create");
    let mut ins = c.prepare("INSERT INTO t(a, b) VALUES(?1, ?2)").expect("prepare insert");
    let mut up = c.prepare("UPDATE t SET b = b || '!' WHERE a = ?").expect("prepare update");
    let mut del = c.prepare("DELETE FROM t WHERE id = ?").expect("prepare delete");
    for i in 0..6 {
        c.run_prepared(&mut ins, &[Value::Integer(i % 3), Value::Text(format!("v{i}"))]).expect("insert");
    }
    assert_eq!(c.run_prepared(&mut up, &[Value::Integer(1)]).expect("update")[0].changes, 2);
    assert_eq!(c.run_prepared(&mut del, &[Value::Integer(1)]).expect("delete")[0].changes, 1);
    // An index appears: the plans are bound again and find the same rows.
    c.execute("CREATE INDEX ta ON t(a)").expect("index");
    assert_eq!(c.run_prepared(&mut up, &[Value::Integer(2)]).expect("update")[0].changes, 2);
    // The table is rebuilt with other columns: the plans follow its layout.
    c.execute("DROP TABLE t; CREATE TABLE t(b TEXT, a INT, id INTEGER PRIMARY KEY)").expect("recreate");
    c.run_prepared(&mut ins, &[Value::Integer(7), Value::Text("w".into())]).expect("insert after rebuild");
    assert_eq!(c.run_prepared(&mut up, &[Value::Integer(7)]).expect("update")[0].changes, 1);
    let r = c.execute("SELECT b, a, id FROM t").expect("read");
    assert_eq!(r[0].rows, vec![vec![Value::Text("w!".into()), Value::Integer(7), Value::Integer(1)]]);
    assert_eq!(c.run_prepared(&mut del, &[Value::Integer(1)]).expect("delete")[0].changes, 1);
    c.execute("DROP TABLE t").expect("drop");
    assert!(c.run_prepared(&mut up, &[Value::Integer(7)]).is_err(), "no such table after the drop");
}

#[test]
fn point_lookups_by_rowid_answer_as_sqlite() {
    // The short path for `WHERE rowid = ?` (exec::point_row) must agree
    // with SQLite on conversions, extra conjuncts, correlation and misses.
    check_script(&[
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b)",
        "INSERT INTO t VALUES(1, 'x1', 5), (2, 'y2', NULL), (3, 'x3', 2.5), (4, NULL, 'z')",
        "SELECT * FROM t WHERE id = 2",
        "SELECT a FROM t WHERE id = '2'",
        "SELECT a FROM t WHERE id = ' 2'",
        "SELECT a FROM t WHERE id = 2.0",
        "SELECT a FROM t WHERE id = 2.5",
        "SELECT a FROM t WHERE id = NULL",
        "SELECT a FROM t WHERE id = x'02'",
        "SELECT a, a FROM t WHERE id = 3 AND b > 1",
        "SELECT a, a FROM t WHERE id = 3 AND b > 3",
        "SELECT b, a FROM t WHERE rowid = 3 AND a LIKE 'x%'",
        "SELECT DISTINCT a FROM t WHERE id = 1",
        "SELECT a FROM t WHERE id = 9999",
        "SELECT a FROM t WHERE id = -9223372036854775808",
        "SELECT * FROM t WHERE id = (SELECT max(id) FROM t)",
        "SELECT id, (SELECT a FROM t i WHERE i.id = o.id + 1) FROM t o ORDER BY id",
        "SELECT a FROM t WHERE id = 1 LIMIT 0",
        "SELECT a FROM t WHERE id = 1 AND 1 / 0",
        "SELECT a FROM t WHERE id = abs(-4) AND a IS NULL",
    ]);
}
