//! Differential tests of generated columns (VIRTUAL and STORED) against
//! SQLite: computing them in every statement, their affinity, the
//! constraints and indexes on them, and the errors for misuse.

mod common;
use common::check_script;

#[test]
fn compute_on_insert_and_update() {
    check_script(&[
        "CREATE TABLE t(a INTEGER, b TEXT, c AS (a * 2), d TEXT GENERATED ALWAYS AS (b || '!') STORED, e INT AS (c + 1) VIRTUAL)",
        "INSERT INTO t VALUES(1, 'x')",
        "INSERT INTO t(a, b) VALUES(2, 'y'), (NULL, NULL)",
        "INSERT INTO t(b) VALUES('only b')",
        "INSERT INTO t DEFAULT VALUES",
        "INSERT INTO t SELECT a + 10, b FROM t WHERE a IS NOT NULL",
        "SELECT * FROM t ORDER BY rowid",
        "SELECT c, typeof(c), e, typeof(e) FROM t ORDER BY rowid",
        "UPDATE t SET a = a + 100 WHERE a < 3",
        "UPDATE t SET b = upper(b)",
        "SELECT * FROM t ORDER BY rowid",
        "SELECT a FROM t WHERE c > 20 ORDER BY a",
        "DELETE FROM t WHERE e > 200",
        "SELECT * FROM t ORDER BY rowid",
        "UPDATE t SET a = 5 RETURNING a, c, d, e",
        "INSERT INTO t VALUES(7, 'r') RETURNING *",
    ]);
}

#[test]
fn dependency_order_and_affinity() {
    check_script(&[
        "CREATE TABLE t(a, b INT AS (c + 1), c TEXT AS (a || '0'), d REAL AS (b), e AS (typeof(c)))",
        "INSERT INTO t VALUES(4)",
        "INSERT INTO t VALUES('x')",
        "INSERT INTO t VALUES(NULL)",
        "SELECT a, b, typeof(b), c, typeof(c), d, typeof(d), e FROM t ORDER BY rowid",
        "UPDATE t SET a = 9 WHERE a = 4",
        "SELECT * FROM t ORDER BY rowid",
    ]);
}

#[test]
fn constraints_and_indexes() {
    check_script(&[
        "CREATE TABLE t(a, b AS (a % 10) STORED UNIQUE, c AS (a + 1) NOT NULL CHECK (c < 100))",
        "INSERT INTO t VALUES(1)",
        "INSERT INTO t VALUES(11)",
        "INSERT INTO t VALUES(NULL)",
        "INSERT INTO t VALUES(200)",
        "INSERT OR IGNORE INTO t VALUES(21)",
        "INSERT OR REPLACE INTO t VALUES(31)",
        "SELECT * FROM t ORDER BY rowid",
        "CREATE INDEX tc ON t(c)",
        "CREATE TABLE u(x, y AS (x * x))",
        "INSERT INTO u VALUES(1), (2), (3), (-2)",
        "CREATE UNIQUE INDEX uy ON u(y)",
        "CREATE INDEX uy2 ON u(y)",
        "SELECT x FROM u WHERE y = 4 ORDER BY x",
        "UPDATE t SET a = 5 WHERE a = 1",
        "UPDATE t SET a = 200",
        "SELECT * FROM t ORDER BY rowid",
        "INSERT INTO t VALUES(2) ON CONFLICT(b) DO NOTHING",
        "INSERT INTO t VALUES(15) ON CONFLICT(b) DO UPDATE SET a = excluded.a + excluded.b",
        "SELECT * FROM t ORDER BY rowid",
    ]);
}

#[test]
fn triggers_see_generated_values() {
    check_script(&[
        "CREATE TABLE t(a, b AS (a * 3))",
        "CREATE TABLE log(x)",
        "CREATE TRIGGER ai AFTER INSERT ON t BEGIN INSERT INTO log VALUES('ai ' || new.b); END",
        "CREATE TRIGGER au AFTER UPDATE ON t BEGIN INSERT INTO log VALUES('au ' || old.b || ' ' || new.b); END",
        "CREATE TRIGGER bd BEFORE DELETE ON t BEGIN INSERT INTO log VALUES('bd ' || old.b); END",
        "INSERT INTO t VALUES(1), (2)",
        "UPDATE t SET a = a + 1",
        "DELETE FROM t WHERE a = 2",
        "SELECT * FROM log ORDER BY rowid",
        "CREATE TABLE w(a, b AS (a + 1))",
        "CREATE TRIGGER wi AFTER INSERT ON log BEGIN INSERT INTO w(a) VALUES(length(new.x)); END",
        "INSERT INTO log VALUES('hello')",
        "SELECT * FROM w",
    ]);
}

#[test]
fn errors() {
    check_script(&[
        "CREATE TABLE t1(a, b AS (a) DEFAULT 1)",
        "CREATE TABLE t2(a, b DEFAULT 1 AS (a))",
        "CREATE TABLE t3(a, b INTEGER PRIMARY KEY AS (a))",
        "CREATE TABLE t4(a, b AS (a) PRIMARY KEY)",
        "CREATE TABLE t5(a AS (1))",
        "CREATE TABLE t8(a, b AS (x))",
        "CREATE TABLE t10(a, b AS (a), PRIMARY KEY(b))",
        "CREATE TABLE t17(a, b AS (rowid))",
        "CREATE TABLE t(a, b AS (a + 1), c)",
        "INSERT INTO t VALUES(1, 2, 3)",
        "INSERT INTO t VALUES(1)",
        "INSERT INTO t VALUES(1, 3)",
        "INSERT INTO t(b) VALUES(1)",
        "INSERT INTO t(a, b) VALUES(1, 1)",
        "UPDATE t SET b = 1",
        "UPDATE t SET a = 2, b = 1",
        "SELECT * FROM t",
        "CREATE TABLE tu(a UNIQUE, b AS (a + 1))",
        "INSERT INTO tu(a) VALUES(1) ON CONFLICT DO UPDATE SET b = 2",
        "INSERT INTO tu(a) VALUES(1) ON CONFLICT(a) DO UPDATE SET b = 2",
        "CREATE TABLE l1(a, b AS (c), c AS (b))",
        "INSERT INTO l1 VALUES(1)",
        "CREATE TABLE l2(a, b AS (b))",
        "INSERT INTO l2 VALUES(1)",
    ]);
}

#[test]
fn generated_foreign_keys() {
    check_script(&[
        "PRAGMA foreign_keys = ON",
        "CREATE TABLE p(id INTEGER PRIMARY KEY)",
        "CREATE TABLE c(a, k AS (a + 1) REFERENCES p ON DELETE SET DEFAULT)",
        "INSERT INTO p VALUES(2), (3)",
        "INSERT INTO c VALUES(1)",
        "INSERT INTO c VALUES(5)",
        "UPDATE c SET a = 2",
        "UPDATE c SET a = 9",
        "SELECT * FROM c",
    ]);
}

#[test]
fn before_triggers_update_from_and_replace() {
    check_script(&[
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a, g AS (a * 10), s AS (a || 's') STORED)",
        "CREATE TABLE log(x)",
        "CREATE TRIGGER bi BEFORE INSERT ON t BEGIN INSERT INTO log VALUES('bi ' || quote(new.g) || ' ' || quote(new.s)); END",
        "CREATE TRIGGER bu BEFORE UPDATE ON t BEGIN INSERT INTO log VALUES('bu ' || quote(old.g) || ' ' || quote(new.g)); END",
        "INSERT INTO t(id, a) VALUES(1, 1), (2, 2)",
        "UPDATE t SET a = a + 1",
        "SELECT * FROM log ORDER BY rowid",
        "CREATE TABLE src(id, v)",
        "INSERT INTO src VALUES(1, 7), (2, 8)",
        "UPDATE t SET a = src.v FROM src WHERE src.id = t.id",
        "SELECT * FROM t ORDER BY id",
        "REPLACE INTO t(id, a) VALUES(1, 100)",
        "INSERT OR REPLACE INTO t(id, a) VALUES(3, 5)",
        "SELECT * FROM t ORDER BY id",
        "CREATE VIEW v AS SELECT id, g + s AS both FROM t",
        "SELECT * FROM v ORDER BY id",
        "SELECT g, count(*) FROM t GROUP BY g ORDER BY g",
    ]);
}

#[test]
fn expressions_and_functions() {
    check_script(&[
        "CREATE TABLE t(first TEXT, last TEXT, full AS (first || ' ' || last), initials AS (substr(first, 1, 1) || substr(last, 1, 1)) STORED, n INT AS (length(full)), c AS (CASE WHEN n > 8 THEN 'long' ELSE 'short' END), k AS (coalesce(first, last, 'none')) STORED)",
        "INSERT INTO t(first, last) VALUES('Ada', 'Lovelace'), ('Al', 'Bo'), (NULL, 'X'), (NULL, NULL)",
        "SELECT * FROM t ORDER BY rowid",
        "UPDATE t SET first = 'Z' WHERE first IS NULL",
        "SELECT full, n, c, k FROM t ORDER BY rowid",
        "CREATE TABLE coll(a TEXT, b AS (a) COLLATE NOCASE, UNIQUE(b))",
        "INSERT INTO coll(a) VALUES('abc')",
        "INSERT INTO coll(a) VALUES('ABC')",
        "SELECT * FROM coll WHERE b = 'ABC'",
    ]);
}
