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
