//! Regression tests for what the differential fuzzer (crate dosql-fuzz,
//! `difffuzz`) found, each minimized and compared with SQLite.

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
