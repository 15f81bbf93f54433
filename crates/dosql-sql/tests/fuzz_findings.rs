//! Regression tests for what the differential fuzzer (crate dosql-fuzz,
//! `difffuzz`) found, each minimized and compared with SQLite. What it
//! found and is not fixed yet is listed in `Deviations` in
//! crates/dosql-fuzz/src/diffgen.rs instead.

mod common;

use common::check_script;

/// With a RIGHT or FULL JOIN anywhere in the FROM clause, a USING (or
/// NATURAL) column that several tables on the left have is the coalesce of
/// them, and it is an error unless each later one joined with a USING of
/// that column too.
#[test]
fn using_columns_next_to_right_and_full_joins() {
    check_script(&[
        "CREATE TABLE a(c, x)",
        "CREATE TABLE b(c, y)",
        "CREATE TABLE d(c, z)",
        "INSERT INTO a VALUES (1, 'a1'), (2, 'a2')",
        "INSERT INTO b VALUES (2, 'b2'), (3, 'b3')",
        "INSERT INTO d VALUES (1, 'd1'), (2, 'd2'), (3, 'd3'), (4, 'd4')",
        "SELECT * FROM a FULL JOIN b USING (c) JOIN d USING (c)",
        "SELECT * FROM a FULL JOIN b USING (c) NATURAL JOIN d",
        "SELECT c, a.c, b.c, d.c FROM a RIGHT JOIN b USING (c) LEFT JOIN d USING (c)",
        "SELECT c, a.c, b.c FROM a FULL JOIN b USING (c)",
        "SELECT c FROM a FULL JOIN b USING (c) WHERE c > 2",
        "SELECT c FROM a FULL JOIN b USING (c) FULL JOIN d USING (c) ORDER BY 1",
        "SELECT c, count(*) FROM a RIGHT JOIN b USING (c) FULL JOIN d USING (c) GROUP BY c",
        "SELECT * FROM a NATURAL FULL JOIN b",
        "SELECT * FROM a NATURAL RIGHT JOIN b",
        "SELECT c FROM a JOIN b USING (c) RIGHT JOIN d ON 1",
        "SELECT * FROM a FULL JOIN b ON a.c = b.c JOIN d USING (c)",
        "SELECT * FROM a JOIN b ON 1 JOIN d USING (c) RIGHT JOIN a AS e ON 1",
        "SELECT * FROM a FULL JOIN b ON a.c = b.c NATURAL LEFT JOIN d",
        // Without RIGHT or FULL joins the leftmost table's column is used.
        "SELECT * FROM a LEFT JOIN b ON a.c = b.c JOIN d USING (c)",
        "SELECT * FROM a, b NATURAL JOIN d",
    ]);
}

/// A column of a subquery, view or CTE keeps the collation of its
/// expression in the (leftmost) SELECT: comparisons with it use that.
#[test]
fn subquery_columns_keep_their_collation() {
    check_script(&[
        "CREATE TABLE t(a COLLATE NOCASE, b, c TEXT COLLATE RTRIM)",
        "INSERT INTO t VALUES ('ab', 'ab', 'x'), ('ABC', 'ABC', 'x  '), (125, 125, 'y'), (NULL, NULL, NULL)",
        "CREATE VIEW v AS SELECT a AS x, b AS y, c AS z, a || '' AS w, b COLLATE NOCASE AS u FROM t",
        "SELECT x FROM (SELECT a AS x FROM t) WHERE x BETWEEN 2 AND 'Hello'",
        "SELECT x FROM v WHERE x = 'AB'",
        "SELECT y FROM v WHERE y = 'AB'",
        "SELECT z FROM v WHERE z = 'x'",
        "SELECT w FROM v WHERE w = 'AB'",
        "SELECT u FROM v WHERE u = 'abc'",
        "WITH c AS (SELECT a AS x FROM t) SELECT x FROM c WHERE x IN ('AB', 'abc')",
        "SELECT DISTINCT x FROM (SELECT a AS x FROM t UNION ALL SELECT b FROM t) ORDER BY 1",
        "SELECT x FROM (SELECT b AS x FROM t UNION ALL SELECT a FROM t) WHERE x = 'AB'",
        "SELECT v.x, t.b FROM v JOIN t ON v.x = t.b",
        "SELECT x, count(*) FROM (SELECT a AS x FROM t) GROUP BY x ORDER BY x",
    ]);
}

/// When a row breaks several unique constraints, SQLite reports the one
/// whose index was made last (REPLACE constraints aside, which are
/// checked after the others), after the rowid.
#[test]
fn the_last_made_unique_index_is_reported_first() {
    check_script(&[
        // (A PRIMARY KEY declared after other UNIQUE constraints still
        // differs: DoSQL makes its index first.)
        "CREATE TABLE w(a PRIMARY KEY, b UNIQUE, c UNIQUE) WITHOUT ROWID",
        "INSERT INTO w VALUES (1, 1, 1)",
        "INSERT INTO w VALUES (1, 1, 1)",
        "INSERT INTO w VALUES (1, 2, 2)",
        "CREATE TABLE r(a INTEGER PRIMARY KEY, b UNIQUE, c UNIQUE)",
        "INSERT INTO r VALUES (1, 1, 1)",
        "INSERT INTO r VALUES (1, 1, 1)",
        "INSERT INTO r VALUES (2, 1, 1)",
        "CREATE TABLE q(a UNIQUE ON CONFLICT REPLACE, b UNIQUE, c UNIQUE)",
        "INSERT INTO q VALUES (1, 1, 1)",
        "INSERT INTO q VALUES (1, 1, 1)",
        "SELECT * FROM q",
        "CREATE TABLE p(a, b, c)",
        "CREATE UNIQUE INDEX p1 ON p(a)",
        "CREATE UNIQUE INDEX p2 ON p(b, c)",
        "CREATE UNIQUE INDEX p3 ON p(lower(c))",
        "INSERT INTO p VALUES (1, 1, 1)",
        "INSERT INTO p VALUES (1, 1, 1)",
        "INSERT INTO p VALUES (1, 1, 2)",
        "DROP INDEX p1",
        "CREATE UNIQUE INDEX p1 ON p(a)",
        "INSERT INTO p VALUES (1, 1, 1)",
        "UPDATE p SET a = 1, b = 1, c = 1",
        "INSERT INTO p SELECT a, b, c FROM p",
        // DROP COLUMN names the first index, in order of creation, that uses it.
        "CREATE TABLE dc(a, b, c)",
        "CREATE INDEX dc2 ON dc(c, b)",
        "CREATE INDEX dc1 ON dc(b)",
        "ALTER TABLE dc DROP COLUMN b",
    ]);
}

/// Row values: IS / IS NOT, IN (SELECT ...) of several columns, and the
/// NULL rules of ordering comparisons (they stop at the first pair that
/// is not equal; equality looks at every pair).
#[test]
fn row_value_is_in_and_null_comparisons() {
    check_script(&[
        "CREATE TABLE s(x, y TEXT)",
        "INSERT INTO s VALUES (1, 2), (NULL, 3), (4, NULL), ('a', 'b')",
        "SELECT (NULL, 1) < (2, 2), (1, NULL) < (1, 2), (1, NULL) < (2, 2), (1, 2) <= (1, NULL), (2, NULL) > (1, 5)",
        "SELECT (NULL, 1) = (2, 2), (NULL, 1) <> (2, 2), (NULL, 1) <> (NULL, 1), (1, 2) = (1, 2)",
        "SELECT (1, NULL) IS (1, NULL), (1, 2) IS NOT (1, NULL), (NULL, NULL) IS (NULL, 1), (1, 2) IS (1, 2)",
        "SELECT (1, 2) IS DISTINCT FROM (1, NULL), (1, NULL) IS NOT DISTINCT FROM (1, NULL)",
        "SELECT (1, 2) IN (SELECT x, y FROM s), (1, 3) IN (SELECT x, y FROM s), (5, 5) IN (SELECT x, y FROM s)",
        "SELECT (NULL, 2) IN (SELECT x, y FROM s), (4, 4) NOT IN (SELECT x, y FROM s), (5, 5) IN (SELECT x, y FROM s WHERE 0)",
        // The subquery's column affinity applies: y is TEXT, so 2 matches '2'.
        "SELECT (1, 2) IN (SELECT x, y FROM s WHERE x = 1), ('1', 2) IN (SELECT x, y FROM s)",
        "SELECT x, y FROM s WHERE (x, y) IN (SELECT x, y FROM s WHERE y IS NOT NULL)",
        "SELECT x FROM s WHERE (x, y) IS NOT (4, NULL)",
        "SELECT (1, 2) IN (SELECT 1, 2 UNION SELECT 3, 4), (3, 4) NOT IN (SELECT 1, 2 UNION SELECT 3, 4)",
        "SELECT (1, 2, 3) IN (SELECT x, y FROM s)",
        "SELECT (1, 2) + (3, 4)",
    ]);
}

/// `x IN (compound SELECT)` compares with the affinity of the rightmost
/// arm's column, as SQLite does.
#[test]
fn in_a_compound_subquery_uses_the_last_arms_affinity() {
    check_script(&[
        "CREATE TABLE a(x BLOB)",
        "CREATE TABLE b(i INT, r REAL, t TEXT)",
        "INSERT INTO a VALUES ('1'), (1), ('1.0'), (NULL)",
        "INSERT INTO b VALUES (1, 1.0, '1')",
        "SELECT x, x IN (SELECT i FROM b UNION ALL SELECT t FROM b), x IN (SELECT t FROM b UNION ALL SELECT i FROM b) FROM a",
        "SELECT x, x IN (SELECT t FROM b UNION SELECT r FROM b), x NOT IN (SELECT i FROM b EXCEPT SELECT t FROM b) FROM a",
        "SELECT x FROM a WHERE (x, x) IN (SELECT t, t FROM b UNION SELECT i, i FROM b)",
        // TEXT affinity turns numbers into text on both sides: -1.0 is not '-1'.
        "CREATE TABLE n(c NUMERIC)",
        "INSERT INTO n VALUES (-1), (7), (NULL)",
        "SELECT -1.0 IN (SELECT c FROM n UNION SELECT t FROM b WHERE 0), 7 IN (SELECT c FROM n UNION SELECT t FROM b)",
        "SELECT -1.0 IN (SELECT c FROM n UNION SELECT i FROM b), -1.0 IN (SELECT c FROM n)",
    ]);
}

/// NATURAL JOIN of WITHOUT ROWID tables joins on their common columns
/// only, not on the engine's hidden rowid slot.
#[test]
fn natural_join_of_without_rowid_tables() {
    check_script(&[
        "CREATE TABLE t0 (c0 INTEGER, c1 DOUBLE COLLATE RTRIM NOT NULL, c2 REAL, PRIMARY KEY (c0)) WITHOUT ROWID",
        "CREATE TABLE t1 (c0, c1 BLOB, PRIMARY KEY (c0)) WITHOUT ROWID",
        "CREATE TABLE t2 (c0, c1)",
        "INSERT INTO t1 VALUES (107, X'3130'), (108, 2.5), (X'0102', X''), (8, 'hello'), (109, 2)",
        "INSERT INTO t0 VALUES ('0x1f', 3.75, NULL), (8, 'hello', 7.25), (110, 'abc', 8.75), (4, 2.5, NULL)",
        "INSERT INTO t2 VALUES (8, 'hello'), (4, 2.5), (109, 2)",
        "SELECT * FROM t1 NATURAL JOIN t0",
        "SELECT * FROM t0 NATURAL LEFT JOIN t1",
        "SELECT * FROM t2 NATURAL JOIN t1",
        "SELECT * FROM t1 NATURAL JOIN t2 NATURAL JOIN t0",
    ]);
}

/// NOCASE stops comparing at a NUL byte, as SQLite's does, but then the
/// longer string is still the greater one.
#[test]
fn nocase_with_nul_bytes() {
    check_script(&[
        "CREATE TABLE t1 (c0 COLLATE NOCASE, c1, c2)",
        "INSERT INTO t1 VALUES (X'00' || 'z', 1, X'00' || 'z'), (X'00' || 'z', 2, X'00' || 'z'), (X'00' || 'zz', 3, X'00' || 'zz')",
        "SELECT c2, count(*) FROM t1 GROUP BY c2",
        "SELECT c0, count(*) FROM t1 GROUP BY c0 HAVING count(*) < 3",
        "SELECT DISTINCT c0 FROM t1",
        "SELECT c0 = X'00' || 'Z', c0 < X'00' || 'zz', c0 = 'a' || X'00' || 'b', length(c0) FROM t1",
        "SELECT c0 FROM t1 ORDER BY c0 DESC",
        "SELECT ('a' || X'00' || 'b') = ('A' || X'00' || 'c') COLLATE NOCASE, ('a' || X'00') < 'a' COLLATE NOCASE",
    ]);
}

/// min() and max(), as aggregates and as scalars, and nullif() compare
/// with a collation: the argument's for the aggregates, the first argument
/// that has one for the scalars.
#[test]
fn min_max_and_nullif_use_collations() {
    check_script(&[
        "CREATE TABLE t(c COLLATE NOCASE, b, r TEXT COLLATE RTRIM)",
        "INSERT INTO t VALUES ('a', 'a', 'x '), ('B', 'B', 'x'), ('c', 'c', 'w  ')",
        "SELECT max(c), min(c), max(b), min(b), max(r), min(r) FROM t",
        "SELECT max(b COLLATE NOCASE), min(c COLLATE BINARY), max(c || '') FROM t",
        "SELECT c, min(c, 'B '), max(c, 'B'), min('B ', c), max(b, 'B'), min(b COLLATE NOCASE, 'B') FROM t",
        "SELECT c, nullif(c, 'A'), nullif('A', c), nullif(b, 'A'), nullif(r, 'x'), nullif(b, 'A' COLLATE NOCASE) FROM t",
        "SELECT max('a', 'B'), min(1, 'a', NULL), max(2, 'a', X'00')",
        "SELECT c, max(c) OVER () FROM t",
    ]);
}

#[test]
fn upsert_target_with_the_integer_primary_key_among_others_matches_nothing() {
    check_script(&[
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a, b, UNIQUE(id, a))",
        "CREATE UNIQUE INDEX tab ON t(a, b)",
        "CREATE UNIQUE INDEX tba ON t(b, id)",
        "INSERT INTO t VALUES(1, 2, 3)",
        "INSERT INTO t VALUES(1, 2, 4) ON CONFLICT(id, a) DO NOTHING",
        "INSERT INTO t VALUES(1, 2, 4) ON CONFLICT(a, id) DO UPDATE SET b = 9",
        "INSERT INTO t VALUES(5, 6, 3) ON CONFLICT(b, id) DO NOTHING",
        "INSERT INTO t VALUES(5, 6, 3) ON CONFLICT(rowid, b) DO NOTHING",
        "INSERT INTO t VALUES(1, 7, 8) ON CONFLICT(id) DO UPDATE SET b = 10",
        "INSERT INTO t VALUES(2, 2, 3) ON CONFLICT(a, b) DO UPDATE SET b = 11",
        "SELECT * FROM t",
    ]);
}
