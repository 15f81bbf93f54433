//! Differential tests of the write path against SQLite: triggers (BEFORE /
//! AFTER / INSTEAD OF, WHEN, UPDATE OF, RAISE, nesting), upsert,
//! RETURNING, UPDATE ... FROM, AUTOINCREMENT and the conflict clauses.

mod common;

use common::check_script;

#[test]
fn triggers_fire_in_sqlites_order_with_new_and_old() {
    check_script(&[
        "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT NOT NULL DEFAULT 'd', c UNIQUE)",
        "CREATE TABLE log(x)",
        "CREATE TRIGGER b1 BEFORE INSERT ON t BEGIN INSERT INTO log VALUES('b1 ' || quote(new.a) || ' ' || quote(new.rowid) || ' ' || new.b); END",
        "CREATE TRIGGER b2 BEFORE INSERT ON t BEGIN INSERT INTO log VALUES('b2'); END",
        "CREATE TRIGGER a1 AFTER INSERT ON t WHEN new.a > 1 BEGIN INSERT INTO log VALUES('a1 ' || new.a); END",
        "INSERT INTO t(b) VALUES('x')",
        "INSERT INTO t VALUES(5, 'y', 1), (6, 'z', 2)",
        "SELECT rowid, x FROM log ORDER BY rowid",
        "CREATE TRIGGER u1 AFTER UPDATE OF b ON t BEGIN INSERT INTO log VALUES('u1 ' || old.b || '->' || new.b); END",
        "CREATE TRIGGER u2 BEFORE UPDATE ON t FOR EACH ROW BEGIN INSERT INTO log VALUES('u2 ' || old.a || '->' || new.a); END",
        "UPDATE t SET c = c + 10",
        "UPDATE t SET b = upper(b) WHERE a > 1",
        "CREATE TRIGGER d1 BEFORE DELETE ON t BEGIN INSERT INTO log VALUES('d1 ' || old.a); END",
        "CREATE TRIGGER d2 AFTER DELETE ON t BEGIN DELETE FROM log WHERE x = 'b2'; END",
        "DELETE FROM t WHERE a = 6",
        "SELECT rowid, x FROM log ORDER BY rowid",
        "SELECT * FROM t ORDER BY a",
        "SELECT type, name, tbl_name, rootpage FROM sqlite_schema ORDER BY name",
        "CREATE TRIGGER b1 AFTER DELETE ON t BEGIN SELECT 1; END",
        "CREATE TRIGGER IF NOT EXISTS b1 AFTER DELETE ON t BEGIN SELECT 1; END",
        "CREATE TRIGGER x1 AFTER INSERT ON t BEGIN INSERT INTO log VALUES(old.a); END",
        "INSERT INTO t VALUES(7, 'w', 3)",
        "DROP TRIGGER x1",
        "DROP TRIGGER x1",
        "DROP TRIGGER IF EXISTS x1",
        "CREATE TRIGGER x2 INSTEAD OF INSERT ON t BEGIN SELECT 1; END",
        "CREATE TRIGGER x3 AFTER INSERT ON nosuch BEGIN SELECT 1; END",
        "SELECT raise(ignore)",
        "DROP TABLE t",
        "SELECT type, name FROM sqlite_schema ORDER BY name",
    ]);
}

#[test]
fn raise_ignore_abort_fail_and_rollback() {
    check_script(&[
        "CREATE TABLE t(a, b)",
        "CREATE TABLE log(x)",
        "CREATE TRIGGER skip BEFORE INSERT ON t WHEN new.a < 0 BEGIN SELECT RAISE(IGNORE); END",
        "CREATE TRIGGER stop BEFORE INSERT ON t WHEN new.a > 100 BEGIN SELECT RAISE(ABORT, 'too big: ' || new.a); END",
        "CREATE TRIGGER after_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES(new.a); END",
        "INSERT INTO t VALUES(1, 'x'), (-1, 'skipped'), (2, 'y')",
        "SELECT * FROM t ORDER BY a",
        "INSERT INTO t VALUES(3, 'z'), (200, 'no')",
        "SELECT * FROM t ORDER BY a",
        "SELECT * FROM log ORDER BY x",
        "CREATE TRIGGER failing BEFORE INSERT ON t WHEN new.a = 50 BEGIN SELECT RAISE(FAIL, 'fail at 50'); END",
        "INSERT INTO t VALUES(10, 'kept'), (50, 'fails'), (11, 'never')",
        "SELECT * FROM t ORDER BY a",
        "BEGIN",
        "INSERT INTO t VALUES(20, 'in txn')",
        "CREATE TRIGGER rb BEFORE DELETE ON t WHEN old.a = 20 BEGIN SELECT RAISE(ROLLBACK, 'rolled back'); END",
        "DELETE FROM t WHERE a = 20",
        "COMMIT",
        "SELECT * FROM t ORDER BY a",
        "CREATE TRIGGER del_guard BEFORE DELETE ON t WHEN old.a = 1 BEGIN SELECT RAISE(IGNORE); END",
        "DELETE FROM t",
        "SELECT * FROM t ORDER BY a",
    ]);
}

#[test]
fn nested_triggers_and_no_self_recursion() {
    check_script(&[
        "CREATE TABLE a(x)",
        "CREATE TABLE b(x)",
        "CREATE TABLE c(x)",
        "CREATE TRIGGER ta AFTER INSERT ON a BEGIN INSERT INTO b VALUES(new.x * 10); INSERT INTO a VALUES(new.x + 1); END",
        "CREATE TRIGGER tb AFTER INSERT ON b BEGIN INSERT INTO c SELECT new.x + count(*) FROM c; UPDATE a SET x = x + 1000 WHERE x = new.x / 10; END",
        "INSERT INTO a VALUES(1)",
        "SELECT * FROM a ORDER BY x",
        "SELECT * FROM b ORDER BY x",
        "SELECT * FROM c ORDER BY x",
        "CREATE TABLE counter(n)",
        "INSERT INTO counter VALUES(0)",
        "CREATE TRIGGER bump AFTER UPDATE ON a BEGIN UPDATE counter SET n = n + 1; END",
        "UPDATE a SET x = x + 1",
        "SELECT n FROM counter",
    ]);
}

#[test]
fn instead_of_triggers_make_views_writable() {
    check_script(&[
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, qty INT)",
        "CREATE VIEW v AS SELECT id, name, qty * 2 AS dbl FROM t",
        "INSERT INTO v VALUES(1, 'a', 2)",
        "UPDATE v SET name = 'b'",
        "DELETE FROM v",
        "CREATE TRIGGER vi INSTEAD OF INSERT ON v BEGIN INSERT INTO t VALUES(new.id, new.name, new.dbl / 2); END",
        "CREATE TRIGGER vu INSTEAD OF UPDATE OF name ON v BEGIN UPDATE t SET name = new.name WHERE id = old.id; END",
        "CREATE TRIGGER vd INSTEAD OF DELETE ON v WHEN old.qty > 0 BEGIN DELETE FROM t WHERE id = old.id; END",
        "INSERT INTO v VALUES(1, 'a', 4), (2, 'b', 10)",
        "INSERT INTO v(id, name) VALUES(3, 'c')",
        "SELECT * FROM t ORDER BY id",
        "UPDATE v SET name = name || '!' WHERE id < 3",
        "UPDATE v SET dbl = 0",
        "SELECT * FROM v ORDER BY id",
        "DELETE FROM v WHERE id = 1",
        "SELECT * FROM t ORDER BY id",
        "CREATE TRIGGER bad BEFORE INSERT ON v BEGIN SELECT 1; END",
        "DROP VIEW v",
        "SELECT name FROM sqlite_schema WHERE type = 'trigger'",
    ]);
}

#[test]
fn upsert_and_returning() {
    check_script(&[
        "CREATE TABLE kv(k TEXT PRIMARY KEY, v INT, n INT DEFAULT 0)",
        "INSERT INTO kv(k, v) VALUES('a', 1), ('b', 2)",
        "INSERT INTO kv(k, v) VALUES('a', 10) ON CONFLICT(k) DO UPDATE SET v = v + excluded.v, n = n + 1",
        "INSERT INTO kv(k, v) VALUES('b', 20) ON CONFLICT DO NOTHING",
        "INSERT INTO kv(k, v) VALUES('c', 3), ('a', 5) ON CONFLICT(k) DO UPDATE SET v = excluded.v WHERE excluded.v > kv.v",
        "INSERT INTO kv(k, v) VALUES('a', 100) ON CONFLICT(k) DO UPDATE SET v = excluded.v WHERE excluded.v > kv.v RETURNING k, v, n",
        "SELECT * FROM kv ORDER BY k",
        "INSERT INTO kv(k, v) VALUES('a', 1) ON CONFLICT(v) DO NOTHING",
        "INSERT INTO kv(k, v) VALUES('z', 26) RETURNING *, v * 2 AS twice, rowid",
        "UPDATE kv SET v = v + 1 WHERE k < 'c' RETURNING k, v",
        "DELETE FROM kv WHERE k = 'z' RETURNING k, v",
        "DELETE FROM kv WHERE k = 'nothing' RETURNING k",
        "CREATE TABLE ipk(id INTEGER PRIMARY KEY, x)",
        "INSERT INTO ipk VALUES(1, 'one')",
        "INSERT INTO ipk VALUES(1, 'uno') ON CONFLICT(id) DO UPDATE SET x = x || '/' || excluded.x RETURNING *",
        "INSERT INTO ipk VALUES(NULL, 'auto') RETURNING id",
        "SELECT * FROM ipk ORDER BY id",
    ]);
}

#[test]
fn update_from_and_conflict_clauses() {
    check_script(&[
        "CREATE TABLE inv(item TEXT PRIMARY KEY, qty INT)",
        "CREATE TABLE sales(item TEXT, n INT)",
        "INSERT INTO inv VALUES('apple', 10), ('pear', 5), ('fig', 1)",
        "INSERT INTO sales VALUES('apple', 3), ('pear', 1)",
        "UPDATE inv SET qty = qty - s.n FROM sales AS s WHERE s.item = inv.item",
        "SELECT * FROM inv ORDER BY item",
        "UPDATE inv SET qty = qty - total FROM (SELECT item, sum(n) AS total FROM sales GROUP BY item) AS d WHERE d.item = inv.item",
        "SELECT * FROM inv ORDER BY item",
        "CREATE TABLE u(a UNIQUE, b NOT NULL DEFAULT 'dflt', c CHECK(c > 0))",
        "INSERT INTO u VALUES(1, 'x', 1), (2, 'y', 2), (3, 'z', 3)",
        "UPDATE OR IGNORE u SET a = a + 1",
        "SELECT * FROM u ORDER BY a",
        "UPDATE OR REPLACE u SET a = 2 WHERE a = 1",
        "SELECT * FROM u ORDER BY a",
        "INSERT OR REPLACE INTO u VALUES(2, NULL, 5)",
        "SELECT * FROM u ORDER BY a",
        "INSERT OR FAIL INTO u VALUES(10, 'p', 1), (11, 'q', -1), (12, 'r', 1)",
        "SELECT * FROM u ORDER BY a",
        "INSERT OR ABORT INTO u VALUES(20, 'p', 1), (21, 'q', -1)",
        "SELECT * FROM u ORDER BY a",
        "BEGIN",
        "INSERT INTO u VALUES(30, 'in txn', 1)",
        "INSERT OR ROLLBACK INTO u VALUES(2, 'dup', 1)",
        "SELECT * FROM u ORDER BY a",
        "COMMIT",
        "UPDATE u SET (b, c) = ('pair', 7) WHERE a = 2",
        "SELECT * FROM u ORDER BY a",
        "UPDATE u SET rowid = 100 WHERE a = 2",
        "SELECT rowid, * FROM u ORDER BY rowid",
    ]);
}

#[test]
fn autoincrement_keeps_sqlite_sequence() {
    check_script(&[
        "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, x)",
        "SELECT name FROM sqlite_schema ORDER BY rowid",
        "INSERT INTO t(x) VALUES('a'), ('b'), ('c')",
        "DELETE FROM t WHERE id = 3",
        "INSERT INTO t(x) VALUES('d')",
        "SELECT * FROM t ORDER BY id",
        "SELECT * FROM sqlite_sequence",
        "INSERT INTO t VALUES(100, 'e')",
        "DELETE FROM t WHERE id = 100",
        "INSERT INTO t(x) VALUES('f')",
        "SELECT * FROM t ORDER BY id",
        "SELECT * FROM sqlite_sequence",
        "UPDATE sqlite_sequence SET seq = 1000 WHERE name = 't'",
        "INSERT INTO t(x) VALUES('g') RETURNING id",
        "CREATE TABLE t2(id INTEGER PRIMARY KEY AUTOINCREMENT)",
        "INSERT INTO t2 DEFAULT VALUES",
        "SELECT * FROM sqlite_sequence ORDER BY name",
        "DROP TABLE t",
        "SELECT * FROM sqlite_sequence ORDER BY name",
        "CREATE TABLE bad(id INT PRIMARY KEY AUTOINCREMENT)",
        "CREATE TABLE sqlite_sequence(a)",
    ]);
}

#[test]
fn constraint_conflict_clauses_apply_without_an_or() {
    check_script(&[
        "CREATE TABLE t(a INTEGER PRIMARY KEY ON CONFLICT REPLACE, b UNIQUE ON CONFLICT IGNORE, \
         c NOT NULL ON CONFLICT IGNORE, d NOT NULL ON CONFLICT REPLACE DEFAULT 'dd', e, UNIQUE(e) ON CONFLICT FAIL)",
        "INSERT INTO t VALUES(1, 'x', 1, 'd1', 10)",
        "INSERT INTO t VALUES(1, 'y', 2, 'd2', 11)",
        "SELECT * FROM t ORDER BY a",
        "INSERT INTO t VALUES(2, 'y', 3, 'd3', 12)",
        "SELECT * FROM t ORDER BY a",
        "INSERT INTO t VALUES(3, 'z', NULL, 'd4', 13)",
        "INSERT INTO t VALUES(4, 'w', 4, NULL, 14)",
        "SELECT * FROM t ORDER BY a",
        "INSERT INTO t VALUES(5, 'v', 5, 'd5', 20), (6, 'u', 6, 'd6', 14), (7, 's', 7, 'd7', 21)",
        "SELECT * FROM t ORDER BY a",
        "INSERT OR ABORT INTO t VALUES(1, 'q', 8, 'd8', 30)",
        "INSERT OR ABORT INTO t VALUES(9, 'q', NULL, 'd8', 31)",
        "UPDATE t SET b = 'y' WHERE a = 4",
        "SELECT * FROM t ORDER BY a",
    ]);
}

#[test]
fn partial_indexes_hold_and_constrain_only_their_rows() {
    check_script(&[
        "CREATE TABLE t(id INTEGER PRIMARY KEY, email TEXT, deleted INT DEFAULT 0)",
        "CREATE UNIQUE INDEX live_email ON t(email) WHERE deleted = 0",
        "INSERT INTO t(email) VALUES('a@x'), ('b@x')",
        "INSERT INTO t(email) VALUES('a@x')",
        "UPDATE t SET deleted = 1 WHERE email = 'a@x'",
        "INSERT INTO t(email) VALUES('a@x')",
        "INSERT INTO t(email, deleted) VALUES('a@x', 1)",
        "UPDATE t SET deleted = 0 WHERE id = 1",
        "INSERT INTO t(email) VALUES('b@x') ON CONFLICT DO NOTHING",
        "SELECT * FROM t ORDER BY id",
        "SELECT count(*) FROM t WHERE email = 'a@x' AND deleted = 0",
        "DELETE FROM t WHERE id = 3",
        "INSERT INTO t(email) VALUES('a@x')",
        "CREATE UNIQUE INDEX bad ON t(email)",
        "CREATE UNIQUE INDEX ok ON t(email) WHERE deleted = 0 AND id > 0",
        "SELECT * FROM t ORDER BY id",
    ]);
}

#[test]
fn without_rowid_tables() {
    check_script(&[
        "CREATE TABLE w(k TEXT PRIMARY KEY, v INT) WITHOUT ROWID",
        "INSERT INTO w VALUES('m', 1), ('c', 2), ('x', 3), ('a', 4)",
        "SELECT * FROM w",
        "SELECT k FROM w WHERE v > 1",
        "INSERT INTO w VALUES('c', 5)",
        "INSERT INTO w VALUES(NULL, 5)",
        "INSERT OR REPLACE INTO w VALUES('c', 6)",
        "INSERT INTO w VALUES('b', 7) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
        "INSERT INTO w VALUES('b', 8) ON CONFLICT(k) DO UPDATE SET v = v + excluded.v RETURNING *",
        "UPDATE w SET k = 'z' WHERE k = 'a' RETURNING k, v",
        "SELECT * FROM w",
        "SELECT rowid FROM w",
        "SELECT w.rowid FROM w",
        "INSERT INTO w(rowid, k) VALUES(1, 'q')",
        "DELETE FROM w WHERE v < 3 RETURNING *",
        "SELECT * FROM w",
        "CREATE TABLE w2(a INT, b TEXT COLLATE NOCASE, c, PRIMARY KEY(b, a)) WITHOUT ROWID",
        "INSERT INTO w2 VALUES(2, 'B', 'x'), (1, 'b', 'y'), (1, 'A', 'z'), (3, 'a', 'w')",
        "SELECT * FROM w2",
        "INSERT INTO w2 VALUES(1, 'B', 'dup')",
        "CREATE INDEX w2c ON w2(c)",
        "SELECT * FROM w2 WHERE c > 'w'",
        "PRAGMA index_list(w2)",
        "CREATE TABLE w3(a INTEGER PRIMARY KEY, b) WITHOUT ROWID",
        "INSERT INTO w3(b) VALUES(1)",
        "INSERT INTO w3 VALUES(10, 'x'), (-5, 'y')",
        "SELECT * FROM w3",
        "CREATE TABLE nopk(a, b) WITHOUT ROWID",
        "CREATE TABLE ai(a INTEGER PRIMARY KEY AUTOINCREMENT) WITHOUT ROWID",
        "CREATE TRIGGER tw AFTER INSERT ON w BEGIN INSERT INTO w3 VALUES(new.v + 100, new.k); END",
        "INSERT INTO w VALUES('t', 1)",
        "SELECT * FROM w3",
    ]);
}

#[test]
fn strict_tables_enforce_declared_types() {
    check_script(&[
        "CREATE TABLE s(a INT, b INTEGER, c REAL, d TEXT, e BLOB, f ANY, g INTEGER PRIMARY KEY) STRICT",
        "INSERT INTO s VALUES('1', '2', '3', 4, x'00', '5', NULL)",
        "SELECT typeof(a), typeof(b), typeof(c), typeof(d), typeof(e), typeof(f), a, b, c, d, e, f, g FROM s",
        "INSERT INTO s(a) VALUES('x')",
        "INSERT INTO s(c) VALUES('abc')",
        "INSERT INTO s(e) VALUES(1)",
        "INSERT INTO s(d) VALUES(x'01')",
        "INSERT INTO s(a) VALUES(2.5)",
        "INSERT INTO s(a) VALUES(3.0)",
        "INSERT INTO s(c) VALUES(1)",
        "INSERT INTO s(f) VALUES(1.5), ('t'), (x'02')",
        "INSERT OR IGNORE INTO s(a) VALUES('nope'), (7)",
        "UPDATE s SET a = 'q'",
        "UPDATE s SET d = 12 WHERE g = 1",
        "SELECT typeof(a), typeof(c), typeof(d), typeof(f), a, c, d, f FROM s ORDER BY g",
        "CREATE TABLE s2(a VARCHAR) STRICT",
        "CREATE TABLE s3(a) STRICT",
        "CREATE TABLE s4(a int, b text) STRICT, WITHOUT ROWID",
        "CREATE TABLE s5(a int PRIMARY KEY, b text) STRICT, WITHOUT ROWID",
        "INSERT INTO s5 VALUES('5', 6)",
        "SELECT typeof(a), typeof(b), * FROM s5",
    ]);
}

#[test]
fn create_table_as_select() {
    check_script(&[
        "CREATE TABLE t(a INTEGER, b TEXT, c REAL, d, e NUMERIC, f VARCHAR(10))",
        "INSERT INTO t VALUES(1, 'x', 1.5, x'00', 2, 'y'), (2, 'z', NULL, 3, '4', 5)",
        "CREATE TABLE t2 AS SELECT a, b, c, d, e, f, a + 1, b || 'q' AS \"x y\", 1 AS lit, s.* FROM t, (SELECT 5 AS z) AS s",
        "SELECT sql FROM sqlite_schema WHERE name = 't2'",
        "SELECT * FROM t2 ORDER BY a",
        "SELECT typeof(a), typeof(e), typeof(f) FROM t2 ORDER BY a",
        "CREATE TABLE \"weird name\" AS SELECT 1 AS \"a\"\"b\", 2 AS c, 3 AS \"select\", 4 AS c",
        "SELECT sql FROM sqlite_schema WHERE name = 'weird name'",
        "SELECT * FROM \"weird name\"",
        "CREATE TABLE t2 AS SELECT 1",
        "CREATE TABLE IF NOT EXISTS t2 AS SELECT 1",
        "CREATE TABLE t3 AS SELECT * FROM t WHERE 0",
        "SELECT sql FROM sqlite_schema WHERE name = 't3'",
        "INSERT INTO t3 VALUES(9, 'n', 0.5, NULL, 1, 'v')",
        "SELECT rowid, * FROM t3",
        "CREATE TABLE t4 AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT n, n * n AS sq FROM c",
        "SELECT rowid, * FROM t4",
    ]);
}

#[test]
fn temp_tables_views_and_triggers() {
    check_script(&[
        "CREATE TABLE main_t(a, b)",
        "INSERT INTO main_t VALUES(1, 'x'), (2, 'y')",
        "CREATE TEMP TABLE tt(k INTEGER PRIMARY KEY, v TEXT UNIQUE)",
        "CREATE TEMPORARY TABLE IF NOT EXISTS tt(z)",
        "INSERT INTO tt(v) SELECT b FROM main_t",
        "CREATE INDEX tt_v ON tt(v)",
        "SELECT * FROM tt ORDER BY k",
        "SELECT m.a, t.v FROM main_t AS m JOIN tt AS t ON t.k = m.a ORDER BY 1",
        "SELECT type, name, tbl_name FROM sqlite_temp_schema ORDER BY name",
        "SELECT type, name FROM sqlite_schema ORDER BY name",
        "INSERT INTO tt(v) VALUES('x')",
        "CREATE TEMP VIEW tv AS SELECT v, length(v) AS n FROM tt",
        "SELECT * FROM tv ORDER BY v",
        "CREATE TEMP TRIGGER tt_log AFTER INSERT ON main_t BEGIN INSERT INTO tt(v) VALUES('from ' || new.b); END",
        "INSERT INTO main_t VALUES(3, 'z')",
        "SELECT * FROM tt ORDER BY k",
        "BEGIN",
        "INSERT INTO tt(v) VALUES('rolled back')",
        "CREATE TEMP TABLE t2(q)",
        "ROLLBACK",
        "SELECT count(*) FROM tt",
        "SELECT name FROM sqlite_temp_master ORDER BY name",
        "SAVEPOINT s1",
        "INSERT INTO tt(v) VALUES('kept')",
        "SAVEPOINT s2",
        "INSERT INTO tt(v) VALUES('undone')",
        "ROLLBACK TO s2",
        "RELEASE s1",
        "SELECT v FROM tt ORDER BY k",
        "CREATE TEMP TABLE tas AS SELECT a * 10 AS a10 FROM main_t",
        "SELECT * FROM tas ORDER BY 1",
        "DROP TABLE tt",
        "SELECT name FROM sqlite_temp_master ORDER BY name",
        "DROP VIEW tv",
        "SELECT name FROM sqlite_temp_master ORDER BY name",
        "INSERT INTO main_t VALUES(4, 'w')",
    ]);
}

#[test]
fn temp_tables_vanish_with_the_connection_and_stay_out_of_the_change_feed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.db");
    {
        let mut c = dosql_sql::Connection::open(&path).expect("open");
        let lsn = c.database().begin_read().lsn();
        c.execute("CREATE TEMP TABLE scratch(x); INSERT INTO scratch VALUES(1), (2)").expect("temp");
        assert_eq!(c.database().begin_read().lsn(), lsn, "TEMP work is not logged in the main database");
        c.execute("CREATE TABLE kept(x); INSERT INTO kept SELECT x FROM scratch").expect("copy");
    }
    let mut c = dosql_sql::Connection::open(&path).expect("reopen");
    assert!(c.query("SELECT * FROM scratch").is_err(), "TEMP table gone");
    let r = c.query("SELECT count(*) FROM kept").expect("kept");
    assert_eq!(r.rows, vec![vec![dosql_sql::Value::Integer(2)]]);
}

#[test]
fn indexes_on_expressions() {
    check_script(&[
        "CREATE TABLE u(id INTEGER PRIMARY KEY, email TEXT, first TEXT, last TEXT)",
        "CREATE UNIQUE INDEX u_email ON u(lower(email))",
        "CREATE INDEX u_name ON u(last || ', ' || first, length(first) DESC)",
        "INSERT INTO u(email, first, last) VALUES('Ada@X.org', 'Ada', 'Lovelace'), ('grace@y.org', 'Grace', 'Hopper')",
        "INSERT INTO u(email) VALUES('ADA@x.ORG')",
        "INSERT OR IGNORE INTO u(email) VALUES('ada@x.org')",
        "INSERT INTO u(email) VALUES('new@z.org') ON CONFLICT DO NOTHING",
        "UPDATE u SET email = 'GRACE@Y.ORG' WHERE id = 1",
        "UPDATE u SET email = 'ada@lovelace.org' WHERE id = 1",
        "SELECT * FROM u ORDER BY id",
        "PRAGMA index_info(u_email)",
        "PRAGMA index_info(u_name)",
        "PRAGMA index_list(u)",
        "DELETE FROM u WHERE lower(email) = 'grace@y.org'",
        "INSERT INTO u(email) VALUES('grace@y.org')",
        "CREATE INDEX bad1 ON u((SELECT 1))",
        "CREATE INDEX bad2 ON u(random())",
        "CREATE INDEX bad3 ON u(nosuch + 1)",
        "CREATE INDEX bad4 ON u(max(id))",
        "CREATE TABLE dup(a, b)",
        "INSERT INTO dup VALUES(1, 2), (2, 1)",
        "CREATE UNIQUE INDEX dup_sum ON dup(a + b)",
        "CREATE TABLE c(a UNIQUE, UNIQUE(a + 1))",
        "SELECT * FROM u ORDER BY id",
    ]);
}

#[test]
fn changes_total_changes_and_last_insert_rowid() {
    check_script(&[
        "SELECT changes(), total_changes(), last_insert_rowid()",
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v)",
        "CREATE TABLE log(x)",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES(last_insert_rowid()); INSERT INTO log VALUES(new.v); END",
        "INSERT INTO t(v) VALUES('a'), ('b'), ('c')",
        "SELECT changes(), total_changes(), last_insert_rowid()",
        "SELECT * FROM log",
        "UPDATE t SET v = v || '!' WHERE id > 1",
        "SELECT changes(), total_changes(), last_insert_rowid()",
        "INSERT INTO t VALUES(100, 'x')",
        "SELECT changes(), total_changes(), last_insert_rowid()",
        "DELETE FROM t",
        "SELECT changes(), total_changes(), last_insert_rowid()",
        "CREATE TABLE w(k PRIMARY KEY, v) WITHOUT ROWID",
        "INSERT INTO w VALUES(1, 2)",
        "SELECT changes(), total_changes(), last_insert_rowid()",
        "INSERT INTO t VALUES(5, 'dup'), (5, 'dup')",
        "SELECT changes(), total_changes(), last_insert_rowid()",
        "SELECT changes(1)",
        "SELECT typeof(sqlite_version())",
    ]);
}

#[test]
fn schema_statement_corner_cases() {
    check_script(&[
        "CREATE INDEX i ON t2(a)",
        "CREATE TABLE t(a)",
        "CREATE VIEW v AS SELECT * FROM nosuch",
        "CREATE VIEW v2 AS SELECT nocol FROM t",
        "CREATE VIEW v3 AS SELECT \"a\", 'zz' FROM t",
        "SELECT * FROM v3",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO t DEFAULT VALUES; END",
        "INSERT INTO t VALUES(1)",
        "SELECT * FROM v3",
        "SELECT * FROM v",
        "SELECT * FROM v2",
        "CREATE TABLE nosuch(x)",
        "INSERT INTO nosuch VALUES(5)",
        "SELECT * FROM v",
    ]);
}

#[test]
fn uncorrelated_subqueries_in_update_set_are_computed_once() {
    check_script(&[
        "CREATE TABLE t(a, b)",
        "INSERT INTO t VALUES (1, NULL), (2, NULL), (3, 5)",
        "UPDATE t SET b = (SELECT count(*) FROM t AS s WHERE s.b IS NOT NULL)",
        "SELECT a, b FROM t",
        "UPDATE t SET b = (SELECT max(b) FROM t) + a",
        "SELECT a, b FROM t",
        // Correlated: once per row.
        "UPDATE t SET b = (SELECT count(*) FROM t AS s WHERE s.b > t.b)",
        "SELECT a, b FROM t",
        "CREATE TABLE log(x)",
        "CREATE TRIGGER tu AFTER UPDATE ON t BEGIN UPDATE log SET x = (SELECT count(*) FROM log) + x; INSERT INTO log VALUES (new.b); END",
        "UPDATE t SET b = (SELECT sum(a) FROM t)",
        "SELECT x FROM log",
    ]);
}

#[test]
fn upsert_targets_are_checked_first() {
    check_script(&[
        "CREATE TABLE t1 (c0 TEXT, c1 NUMERIC, c2 TEXT UNIQUE)",
        "CREATE UNIQUE INDEX i1 ON t1 (c1)",
        "INSERT INTO t1 VALUES (NULL, 5, '2.25'), ('1.5', 102, '1')",
        "INSERT INTO t1 (c0, c1, c2) VALUES ('0x1f', 5, '1') ON CONFLICT (c2) DO UPDATE SET c0 = excluded.c0",
        "SELECT * FROM t1",
        "INSERT INTO t1 (c0, c1, c2) VALUES ('a', 102, '2.25') ON CONFLICT (c1) DO UPDATE SET c0 = 'by c1'",
        "SELECT * FROM t1",
        "INSERT INTO t1 (c0, c1, c2) VALUES ('b', 102, '2.25') ON CONFLICT (c2) DO NOTHING ON CONFLICT DO UPDATE SET c0 = 'any'",
        "SELECT * FROM t1",
        "INSERT INTO t1 (c0, c1, c2) VALUES ('c', 5, 'new') ON CONFLICT (c2) DO UPDATE SET c0 = 'never'",
        "SELECT * FROM t1",
    ]);
}

#[test]
fn row_value_assignment_from_a_subquery() {
    check_script(&[
        "CREATE TABLE t(a, b, c INTEGER PRIMARY KEY)",
        "CREATE TABLE src(k, x, y)",
        "INSERT INTO t VALUES (1, 2, 3), (4, 5, 6), (7, 8, 9)",
        "INSERT INTO src VALUES (3, 'x3', 30), (6, 'x6', 60)",
        // Correlated: each row takes both values of its own match; no match
        // gives NULLs.
        "UPDATE t SET (a, b) = (SELECT x, y FROM src WHERE src.k = t.c)",
        "SELECT * FROM t ORDER BY c",
        // Uncorrelated, with a plain assignment beside it and the parts in
        // another order than the columns.
        "UPDATE t SET a = 0, (c, b) = (SELECT max(c) + 10, 'm' FROM t) WHERE c = 3",
        "SELECT * FROM t ORDER BY c",
        // A compound whose first row decides.
        "UPDATE t SET (a, b) = (SELECT 1, 2 UNION ALL SELECT 3, 4 ORDER BY 1 DESC) WHERE c = 6",
        "SELECT * FROM t ORDER BY c",
        // The types the subquery gives are kept (no affinity on an untyped column).
        "UPDATE t SET (b, a) = (SELECT typeof(x), x FROM src WHERE k = 6)",
        "SELECT a, b, typeof(a) FROM t ORDER BY c",
        // Widths that do not match are errors, and nothing changes.
        "UPDATE t SET (a, b) = (SELECT 1, 2, 3)",
        "UPDATE t SET (a, b, c) = (SELECT 1)",
        "SELECT * FROM t ORDER BY c",
        // The upsert's SET list takes the same form.
        "CREATE TABLE u(k PRIMARY KEY, p, q)",
        "INSERT INTO u VALUES (1, 'p', 'q')",
        "INSERT INTO u VALUES (1, 'p2', 'q2') ON CONFLICT(k) DO UPDATE SET (p, q) = (SELECT excluded.q, excluded.p)",
        "SELECT * FROM u",
    ]);
}

#[test]
fn schema_qualified_names_reach_only_their_database() {
    check_script(&[
        "CREATE TABLE m(a)",
        "CREATE TEMP TABLE tt(b)",
        "CREATE TEMP VIEW tv AS SELECT 1",
        "CREATE VIEW mv AS SELECT 2",
        "INSERT INTO m VALUES (1)",
        "INSERT INTO tt VALUES (2)",
        "SELECT * FROM main.m, temp.tt",
        "SELECT * FROM temp.tv",
        "SELECT * FROM main.mv",
        "SELECT * FROM temp.m",
        "SELECT * FROM main.tt",
        "SELECT * FROM foo.m",
        "SELECT * FROM main.tv",
        "SELECT * FROM temp.mv",
        // The temporary database's schema table, under either name.
        "SELECT type, name FROM temp.sqlite_master ORDER BY name",
        "SELECT type, name FROM TEMP.sqlite_schema ORDER BY name",
        "SELECT type, name FROM main.sqlite_schema ORDER BY name",
        "SELECT * FROM main.sqlite_temp_schema",
        // A qualified name is never a CTE.
        "WITH c AS (SELECT 5) SELECT * FROM main.c",
        "WITH m AS (SELECT 5) SELECT * FROM main.m",
    ]);
}
