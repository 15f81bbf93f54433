//! Differential tests of FOREIGN KEY enforcement against SQLite: every
//! action, deferred constraints, self-references, multi-column keys,
//! cascades through several levels and with triggers, and the errors.

mod common;
use common::check_script;

const ON: &str = "PRAGMA foreign_keys = ON";

#[test]
fn child_insert_and_update() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE c(x INTEGER REFERENCES p, y)",
        "INSERT INTO c VALUES(1, 'a')",
        "INSERT INTO c VALUES(NULL, 'a')",
        "INSERT INTO p VALUES(1, 'one'), (2, 'two')",
        "INSERT INTO c VALUES(1, 'b'), (2, 'c')",
        "INSERT INTO c VALUES(1, 'd'), (3, 'e')",
        "INSERT INTO c VALUES('1', 'f')",
        "INSERT INTO c VALUES(1.0, 'g')",
        "INSERT INTO c VALUES('x', 'h')",
        "INSERT INTO c SELECT id, name FROM p",
        "SELECT * FROM c ORDER BY rowid",
        "UPDATE c SET x = 3 WHERE y = 'b'",
        "UPDATE c SET x = 2 WHERE y = 'b'",
        "UPDATE c SET y = 'z' WHERE y = 'b'",
        "UPDATE c SET x = NULL WHERE y = 'z'",
        "SELECT * FROM c ORDER BY rowid",
        "PRAGMA foreign_keys",
    ]);
}

/// rusqlite's bundled SQLite is built with foreign keys on by default,
/// unlike SQLite's own default (and DoSQL's), so this starts from OFF.
#[test]
fn off_and_toggle() {
    check_script(&[
        "PRAGMA foreign_keys = OFF",
        "CREATE TABLE p(id INTEGER PRIMARY KEY)",
        "CREATE TABLE c(x REFERENCES p)",
        "INSERT INTO c VALUES(7)",
        "PRAGMA foreign_keys",
        ON,
        "INSERT INTO c VALUES(8)",
        "DELETE FROM c",
        "INSERT INTO c VALUES(8)",
        "PRAGMA foreign_keys = OFF",
        "INSERT INTO c VALUES(8)",
        "SELECT * FROM c",
    ]);
}

#[test]
fn parent_delete_no_action_and_restrict() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY)",
        "CREATE TABLE c(x REFERENCES p)",
        "CREATE TABLE r(x REFERENCES p ON DELETE RESTRICT ON UPDATE RESTRICT)",
        "INSERT INTO p VALUES(1),(2),(3),(4)",
        "INSERT INTO c VALUES(1),(2)",
        "INSERT INTO r VALUES(3)",
        "DELETE FROM p WHERE id = 1",
        "DELETE FROM p WHERE id = 4",
        "DELETE FROM p WHERE id = 3",
        "UPDATE p SET id = 30 WHERE id = 3",
        "UPDATE p SET id = 3 WHERE id = 3",
        "UPDATE p SET id = 20 WHERE id = 2",
        "SELECT * FROM p ORDER BY id",
        // Violate and mend within one statement: fine for NO ACTION.
        "CREATE TABLE q(id INTEGER PRIMARY KEY, v)",
        "CREATE TABLE qc(x REFERENCES q)",
        "INSERT INTO q VALUES(1, 'a'), (2, 'b')",
        "INSERT INTO qc VALUES(1)",
        "UPDATE q SET id = 3 - id",
        "SELECT * FROM q ORDER BY id",
        "DELETE FROM c",
        "DELETE FROM p WHERE id = 1",
        "SELECT * FROM p ORDER BY id",
    ]);
}

#[test]
fn cascade_set_null_set_default() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY, k TEXT UNIQUE)",
        "INSERT INTO p VALUES(0, 'zero'), (1, 'one'), (2, 'two'), (3, 'three')",
        "CREATE TABLE cc(x REFERENCES p ON DELETE CASCADE ON UPDATE CASCADE, tag)",
        "CREATE TABLE cn(x REFERENCES p(k) ON DELETE SET NULL ON UPDATE SET NULL, tag)",
        "CREATE TABLE cd(x INTEGER DEFAULT 0 REFERENCES p ON DELETE SET DEFAULT ON UPDATE SET DEFAULT, tag)",
        "CREATE TABLE cd2(x INTEGER DEFAULT 99 REFERENCES p ON DELETE SET DEFAULT, tag)",
        "INSERT INTO cc VALUES(1, 'a'), (2, 'b'), (1, 'c')",
        "INSERT INTO cn VALUES('one', 'a'), ('two', 'b')",
        "INSERT INTO cd VALUES(1, 'a'), (2, 'b')",
        "INSERT INTO cd2 VALUES(3, 'a')",
        "DELETE FROM p WHERE id = 1",
        "SELECT * FROM cc ORDER BY rowid",
        "SELECT * FROM cn ORDER BY rowid",
        "SELECT * FROM cd ORDER BY rowid",
        "UPDATE p SET id = 20, k = 'TWO' WHERE id = 2",
        "SELECT * FROM cc ORDER BY rowid",
        "SELECT * FROM cn ORDER BY rowid",
        "SELECT * FROM cd ORDER BY rowid",
        "DELETE FROM p WHERE id = 3",
        "SELECT * FROM cd2",
        "DELETE FROM p WHERE id = 0",
        "SELECT * FROM p ORDER BY id",
        "DELETE FROM p",
        "SELECT * FROM cc",
    ]);
}

#[test]
fn update_same_key_fires_no_action() {
    check_script(&[
        ON,
        "CREATE TABLE p(k TEXT COLLATE NOCASE PRIMARY KEY, v)",
        "CREATE TABLE c(x REFERENCES p ON UPDATE CASCADE)",
        "CREATE TABLE r(x REFERENCES p ON UPDATE RESTRICT)",
        "INSERT INTO p VALUES('a', 1), ('b', 2)",
        "INSERT INTO c VALUES('a'), ('A')",
        "INSERT INTO r VALUES('b')",
        "UPDATE p SET k = 'A' WHERE v = 1",
        "SELECT * FROM c ORDER BY rowid",
        "UPDATE p SET k = 'B' WHERE v = 2",
        "UPDATE p SET k = 'c' WHERE v = 2",
        "UPDATE p SET k = 'z' WHERE v = 1",
        "SELECT * FROM c ORDER BY rowid",
        "SELECT * FROM p ORDER BY v",
    ]);
}

#[test]
fn deferred_constraints() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY)",
        "CREATE TABLE c(x REFERENCES p DEFERRABLE INITIALLY DEFERRED)",
        "CREATE TABLE i(x REFERENCES p NOT DEFERRABLE INITIALLY DEFERRED)",
        "INSERT INTO c VALUES(1)",
        "BEGIN",
        "INSERT INTO c VALUES(1)",
        "INSERT INTO c VALUES(2)",
        "SELECT * FROM c",
        "COMMIT",
        "SELECT * FROM c",
        "INSERT INTO p VALUES(1)",
        "COMMIT",
        "INSERT INTO p VALUES(2)",
        "COMMIT",
        "SELECT * FROM c",
        "BEGIN",
        "INSERT INTO i VALUES(5)",
        "DELETE FROM p WHERE id = 1",
        "COMMIT",
        "ROLLBACK",
        "SELECT * FROM p",
        "BEGIN",
        "DELETE FROM p WHERE id = 1",
        "DELETE FROM c WHERE x = 1",
        "COMMIT",
        "SELECT * FROM c",
        "SELECT * FROM p",
        "BEGIN",
        "INSERT INTO c VALUES(9)",
        "ROLLBACK",
        "BEGIN",
        "INSERT INTO p VALUES(3)",
        "COMMIT",
        "SELECT * FROM p ORDER BY id",
    ]);
}

#[test]
fn deferred_with_savepoints() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY)",
        "CREATE TABLE c(x REFERENCES p DEFERRABLE INITIALLY DEFERRED)",
        "SAVEPOINT a",
        "INSERT INTO c VALUES(1)",
        "RELEASE a",
        "ROLLBACK TO a",
        "RELEASE a",
        "SELECT * FROM c",
        "BEGIN",
        "SAVEPOINT s",
        "INSERT INTO c VALUES(2)",
        "ROLLBACK TO s",
        "COMMIT",
        "SELECT * FROM c",
    ]);
}

#[test]
fn self_referencing() {
    check_script(&[
        ON,
        "CREATE TABLE t(id INTEGER PRIMARY KEY, parent INTEGER REFERENCES t(id) ON DELETE CASCADE, v)",
        "INSERT INTO t VALUES(1, NULL, 'root')",
        "INSERT INTO t VALUES(2, 1, 'a'), (3, 1, 'b'), (4, 2, 'c'), (5, 4, 'd')",
        "INSERT INTO t VALUES(6, 6, 'self')",
        "INSERT INTO t VALUES(7, 8, 'x')",
        "INSERT INTO t VALUES(8, 9, 'y'), (9, 8, 'z')",
        "INSERT INTO t VALUES(10, 11, 'y'), (12, 8, 'z')",
        "SELECT * FROM t ORDER BY id",
        "UPDATE t SET id = 60, parent = 60 WHERE id = 6",
        "UPDATE t SET parent = 99 WHERE id = 5",
        "DELETE FROM t WHERE id = 2",
        "SELECT * FROM t ORDER BY id",
        "DELETE FROM t WHERE id = 60",
        "DELETE FROM t WHERE id = 1",
        "SELECT * FROM t ORDER BY id",
        "CREATE TABLE n(id INTEGER PRIMARY KEY, up REFERENCES n)",
        "INSERT INTO n VALUES(1, NULL), (2, 1), (3, 2)",
        "DELETE FROM n WHERE id = 2",
        "DELETE FROM n WHERE id >= 2",
        "SELECT * FROM n ORDER BY id",
        "UPDATE n SET id = 5 WHERE id = 1",
    ]);
}

#[test]
fn deep_self_cascade() {
    let mut script: Vec<String> = vec![
        ON.into(),
        "CREATE TABLE chain(id INTEGER PRIMARY KEY, prev REFERENCES chain ON DELETE CASCADE ON UPDATE CASCADE)".into(),
        "INSERT INTO chain VALUES(1, NULL)".into(),
    ];
    for i in 2..=40 {
        script.push(format!("INSERT INTO chain VALUES({i}, {})", i - 1));
    }
    script.push("UPDATE chain SET id = 100 WHERE id = 1".into());
    script.push("SELECT * FROM chain ORDER BY id".into());
    script.push("DELETE FROM chain WHERE id = 20".into());
    script.push("SELECT count(*), max(id) FROM chain".into());
    script.push("DELETE FROM chain WHERE id = 100".into());
    script.push("SELECT count(*) FROM chain".into());
    let refs: Vec<&str> = script.iter().map(String::as_str).collect();
    check_script(&refs);
}

#[test]
fn multi_column_keys() {
    check_script(&[
        ON,
        "CREATE TABLE p(a, b, v, PRIMARY KEY(a, b))",
        "CREATE TABLE u(a TEXT, b INTEGER, UNIQUE(b, a))",
        "CREATE TABLE c(x, y, FOREIGN KEY(x, y) REFERENCES p ON DELETE CASCADE ON UPDATE CASCADE)",
        "CREATE TABLE d(x, y, FOREIGN KEY(y, x) REFERENCES u(b, a) ON DELETE SET NULL)",
        "INSERT INTO p VALUES(1, 1, 'a'), (1, 2, 'b'), (2, 1, 'c')",
        "INSERT INTO u VALUES('k', 1), ('k', 2)",
        "INSERT INTO c VALUES(1, 1), (1, 2), (2, 1), (NULL, 5), (1, NULL)",
        "INSERT INTO c VALUES(2, 2)",
        "INSERT INTO d VALUES('k', 1), ('k', '2')",
        "INSERT INTO d VALUES('k', 3)",
        "INSERT INTO d VALUES(1, 'k')",
        "UPDATE p SET b = 5 WHERE a = 1 AND b = 2",
        "SELECT * FROM c ORDER BY rowid",
        "DELETE FROM p WHERE a = 1",
        "SELECT * FROM c ORDER BY rowid",
        "DELETE FROM u WHERE b = 1",
        "SELECT * FROM d ORDER BY rowid",
    ]);
}

#[test]
fn cascades_through_levels_and_triggers() {
    check_script(&[
        ON,
        "CREATE TABLE a(id INTEGER PRIMARY KEY)",
        "CREATE TABLE b(id INTEGER PRIMARY KEY, a_id REFERENCES a ON DELETE CASCADE ON UPDATE CASCADE)",
        "CREATE TABLE c(id INTEGER PRIMARY KEY, b_id REFERENCES b ON DELETE CASCADE ON UPDATE SET NULL)",
        "CREATE TABLE d(id INTEGER PRIMARY KEY, c_id REFERENCES c ON DELETE RESTRICT)",
        "CREATE TABLE log(msg)",
        "CREATE TRIGGER bd AFTER DELETE ON b BEGIN INSERT INTO log VALUES('del b ' || old.id); END",
        "CREATE TRIGGER cd BEFORE DELETE ON c BEGIN INSERT INTO log VALUES('del c ' || old.id); END",
        "CREATE TRIGGER bu AFTER UPDATE ON b BEGIN INSERT INTO log VALUES('upd b ' || old.a_id || '->' || new.a_id); END",
        "INSERT INTO a VALUES(1), (2)",
        "INSERT INTO b VALUES(10, 1), (11, 1), (12, 2)",
        "INSERT INTO c VALUES(100, 10), (101, 11), (102, 12)",
        "INSERT INTO d VALUES(1000, 102)",
        "UPDATE a SET id = 5 WHERE id = 1",
        "SELECT * FROM b ORDER BY id",
        "DELETE FROM a WHERE id = 5",
        "SELECT * FROM b ORDER BY id",
        "SELECT * FROM c ORDER BY id",
        "SELECT * FROM log ORDER BY rowid",
        "DELETE FROM a WHERE id = 2",
        "SELECT * FROM log ORDER BY rowid",
        "UPDATE b SET id = 13 WHERE id = 12",
        "SELECT * FROM c ORDER BY id",
        "DELETE FROM d",
        "DELETE FROM a",
        "SELECT count(*) FROM b",
        "SELECT * FROM log ORDER BY rowid",
    ]);
}

#[test]
fn triggers_that_violate_and_mend() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY)",
        "CREATE TABLE c(x REFERENCES p)",
        "CREATE TRIGGER mk BEFORE INSERT ON c BEGIN INSERT OR IGNORE INTO p VALUES(new.x); END",
        "INSERT INTO c VALUES(4)",
        "SELECT * FROM p",
        "CREATE TABLE c2(x REFERENCES p)",
        "CREATE TRIGGER mk2 AFTER INSERT ON c2 BEGIN INSERT OR IGNORE INTO p VALUES(new.x); END",
        "INSERT INTO c2 VALUES(5)",
        "CREATE TRIGGER rm AFTER INSERT ON c2 WHEN new.x > 100 BEGIN DELETE FROM p WHERE id = new.x; END",
        "INSERT INTO c2 VALUES(200)",
        "SELECT * FROM p ORDER BY id",
        "SELECT * FROM c2 ORDER BY rowid",
    ]);
}

#[test]
fn mismatch_and_missing_parent() {
    check_script(&[
        ON,
        "CREATE TABLE q(a, b)",
        "CREATE TABLE d(x REFERENCES q)",
        "INSERT INTO d VALUES(1)",
        "INSERT INTO d VALUES(NULL)",
        "INSERT INTO q VALUES(1, 2)",
        "INSERT INTO q SELECT 1, 2",
        "DELETE FROM q",
        "UPDATE q SET a = 1",
        "CREATE TABLE e(x REFERENCES q(b))",
        "INSERT INTO e VALUES(NULL)",
        "CREATE UNIQUE INDEX qb ON q(b)",
        "INSERT INTO e VALUES(2)",
        "INSERT INTO e VALUES(3)",
        "CREATE TABLE nc(a TEXT UNIQUE COLLATE NOCASE)",
        "CREATE TABLE ncc(x REFERENCES nc(a))",
        "INSERT INTO ncc VALUES('A')",
        "CREATE TABLE f(x REFERENCES nosuch)",
        "INSERT INTO f VALUES(NULL)",
        "DELETE FROM f",
        "CREATE TABLE g(x REFERENCES q(a, b))",
        "CREATE TABLE h(x, FOREIGN KEY(x) REFERENCES q(a, b))",
        "CREATE TABLE k(x, FOREIGN KEY(z) REFERENCES q)",
        "CREATE TABLE pp(a, b, PRIMARY KEY(a, b))",
        "CREATE TABLE m(x REFERENCES pp)",
        "INSERT INTO m VALUES(1)",
    ]);
}

#[test]
fn upsert_and_replace_on_parent() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY, k UNIQUE)",
        "CREATE TABLE c(x REFERENCES p(k) ON DELETE CASCADE)",
        "CREATE TABLE n(x REFERENCES p)",
        "INSERT INTO p VALUES(1, 'a'), (2, 'b')",
        "INSERT INTO c VALUES('a'), ('b')",
        "INSERT INTO n VALUES(2)",
        "INSERT OR REPLACE INTO p VALUES(3, 'a')",
        "SELECT * FROM c ORDER BY rowid",
        "INSERT OR REPLACE INTO p VALUES(2, 'z')",
        "SELECT * FROM p ORDER BY id",
        "INSERT INTO p VALUES(2, 'y') ON CONFLICT(id) DO UPDATE SET id = 9",
        "INSERT INTO p VALUES(2, 'y') ON CONFLICT(id) DO UPDATE SET k = 'w'",
        "SELECT * FROM p ORDER BY id",
        "INSERT INTO c VALUES('w')",
        "REPLACE INTO p VALUES(4, 'w')",
        "SELECT * FROM c ORDER BY rowid",
    ]);
}

#[test]
fn drop_table() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY)",
        "CREATE TABLE c(x REFERENCES p)",
        "CREATE TABLE cc(x REFERENCES p ON DELETE CASCADE)",
        "INSERT INTO p VALUES(1), (2)",
        "INSERT INTO cc VALUES(1), (2)",
        "INSERT INTO c VALUES(1)",
        "DROP TABLE p",
        "SELECT count(*) FROM p",
        "DELETE FROM c",
        "DROP TABLE p",
        "SELECT count(*) FROM cc",
        "INSERT INTO c VALUES(1)",
        "INSERT INTO c VALUES(NULL)",
        "CREATE TABLE p2(id INTEGER PRIMARY KEY)",
        "CREATE TABLE d(x REFERENCES p2 DEFERRABLE INITIALLY DEFERRED)",
        "INSERT INTO p2 VALUES(1)",
        "INSERT INTO d VALUES(1)",
        "BEGIN",
        "DROP TABLE p2",
        "COMMIT",
        "DROP TABLE d",
        "COMMIT",
        "SELECT name FROM sqlite_schema ORDER BY name",
    ]);
}

#[test]
fn affinity_and_collation_of_keys() {
    check_script(&[
        ON,
        "CREATE TABLE p(t TEXT PRIMARY KEY, n NUMERIC UNIQUE, b BLOB UNIQUE)",
        "INSERT INTO p VALUES('1', 2, x'01'), ('abc', '3.0', 'q')",
        "CREATE TABLE c(t INTEGER REFERENCES p(t), n TEXT REFERENCES p(n), b REFERENCES p(b) ON DELETE CASCADE)",
        "INSERT INTO c VALUES(1, NULL, NULL)",
        "INSERT INTO c VALUES(NULL, '2', NULL)",
        "INSERT INTO c VALUES(NULL, 3, NULL)",
        "INSERT INTO c VALUES(NULL, '3', NULL)",
        "INSERT INTO c VALUES(NULL, NULL, x'01')",
        "INSERT INTO c VALUES(NULL, NULL, 'q')",
        "INSERT INTO c VALUES('ABC', NULL, NULL)",
        "SELECT * FROM c ORDER BY rowid",
        "DELETE FROM p WHERE t = '1'",
        "DELETE FROM c WHERE t = 1",
        "DELETE FROM p WHERE t = '1'",
        "SELECT * FROM c ORDER BY rowid",
    ]);
}

#[test]
fn conflict_clauses_do_not_apply() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY)",
        "CREATE TABLE c(x REFERENCES p, u UNIQUE)",
        "INSERT INTO p VALUES(1)",
        "INSERT OR IGNORE INTO c VALUES(2, 1)",
        "INSERT OR FAIL INTO c VALUES(1, 1), (2, 2)",
        "SELECT * FROM c",
        "INSERT OR REPLACE INTO c VALUES(1, 1)",
        "UPDATE OR IGNORE c SET x = 5",
        "UPDATE OR REPLACE c SET x = 1",
        "BEGIN",
        "INSERT INTO c VALUES(1, 3)",
        "INSERT OR ROLLBACK INTO c VALUES(9, 4)",
        "INSERT INTO c VALUES(1, 4)",
        "COMMIT",
        "SELECT * FROM c ORDER BY u",
    ]);
}

#[test]
fn statements_inside_triggers_and_returning() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY, n)",
        "CREATE TABLE c(x REFERENCES p ON DELETE CASCADE, tag)",
        "CREATE TABLE src(v)",
        "CREATE TRIGGER t1 AFTER INSERT ON src BEGIN INSERT INTO c VALUES(new.v, 'from trigger'); END",
        "INSERT INTO src VALUES(1)",
        "INSERT INTO p VALUES(1, 'a')",
        "INSERT INTO src VALUES(1)",
        "DELETE FROM p RETURNING *",
        "SELECT * FROM c",
        "INSERT INTO p VALUES(2, 'b') RETURNING id",
        "INSERT INTO c VALUES(2, 'x') RETURNING x, tag",
        "UPDATE p SET id = 3 RETURNING id",
        "SELECT * FROM p",
    ]);
}

#[test]
fn parent_key_changes_by_rowid() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY, v)",
        "CREATE TABLE c(x REFERENCES p(id) ON UPDATE CASCADE)",
        "INSERT INTO p VALUES(1, 'a'), (2, 'b')",
        "INSERT INTO c VALUES(1), (2), (2)",
        "UPDATE p SET rowid = 10 WHERE v = 'a'",
        "UPDATE p SET oid = oid + 100",
        "SELECT * FROM c ORDER BY rowid",
        "DELETE FROM p WHERE rowid = 110",
        "SELECT * FROM p",
    ]);
}

#[test]
fn failed_statement_restores_deferred_count() {
    check_script(&[
        ON,
        "CREATE TABLE p(id INTEGER PRIMARY KEY)",
        "CREATE TABLE cu(x REFERENCES p DEFERRABLE INITIALLY DEFERRED, u UNIQUE)",
        "CREATE TABLE ci(x REFERENCES p)",
        "BEGIN",
        "INSERT INTO cu VALUES(7, 1), (8, 1)",
        "COMMIT",
        "BEGIN",
        "INSERT INTO cu VALUES(7, 2)",
        "INSERT INTO ci VALUES(7)",
        "INSERT INTO p VALUES(7)",
        "INSERT INTO ci VALUES(7)",
        "COMMIT",
        "BEGIN",
        "DELETE FROM p",
        "INSERT INTO cu VALUES(8, 3)",
        "INSERT INTO p VALUES(7), (8)",
        "COMMIT",
        "SELECT * FROM cu ORDER BY u",
        "INSERT INTO cu SELECT 9, 4",
        "INSERT INTO cu SELECT 8, 5",
    ]);
}

#[test]
fn parent_indexes() {
    check_script(&[
        ON,
        "CREATE TABLE p(a, b, c)",
        "CREATE TABLE c1(x REFERENCES p(a))",
        "CREATE TABLE c2(x, y, FOREIGN KEY(x, y) REFERENCES p(b, c))",
        "INSERT INTO c1 VALUES(1)",
        "CREATE UNIQUE INDEX pa ON p(a) WHERE a > 0",
        "INSERT INTO c1 VALUES(1)",
        "CREATE UNIQUE INDEX pa2 ON p(a COLLATE NOCASE)",
        "INSERT INTO c1 VALUES(1)",
        "CREATE UNIQUE INDEX pa3 ON p(a DESC)",
        "INSERT INTO c1 VALUES(1)",
        "INSERT INTO p VALUES(1, 2, 3)",
        "INSERT INTO c1 VALUES(1)",
        "INSERT INTO c2 VALUES(2, 3)",
        "CREATE UNIQUE INDEX pcb ON p(c, b)",
        "INSERT INTO c2 VALUES(2, 3)",
        "INSERT INTO c2 VALUES(3, 2)",
        "DELETE FROM p",
        "DROP INDEX pa3",
        "DELETE FROM c1",
        "DELETE FROM p",
    ]);
}

#[test]
fn pragmas() {
    check_script(&[
        "CREATE TABLE p(id INTEGER PRIMARY KEY, k UNIQUE)",
        "CREATE TABLE c(a REFERENCES p ON DELETE CASCADE, b, c, \
           FOREIGN KEY(b, c) REFERENCES q(x, y) ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED, \
           FOREIGN KEY(c) REFERENCES p(k) ON DELETE RESTRICT ON UPDATE SET DEFAULT)",
        "PRAGMA foreign_key_list(c)",
        "PRAGMA foreign_key_list(p)",
        "PRAGMA foreign_key_list(nosuch)",
        "PRAGMA foreign_keys = OFF",
        "INSERT INTO c VALUES(1, 2, 3), (NULL, 2, NULL), ('1', NULL, NULL)",
        "INSERT INTO p VALUES(1, 3)",
        "INSERT INTO c VALUES(5, NULL, 3), (1, NULL, 4)",
        "PRAGMA foreign_key_check",
        "PRAGMA foreign_key_check(c)",
        "PRAGMA foreign_key_check(p)",
        "PRAGMA foreign_key_check(nosuch)",
        "CREATE TABLE q(x, y)",
        "PRAGMA foreign_key_check(c)",
        "PRAGMA foreign_key_check",
        "CREATE UNIQUE INDEX qxy ON q(y, x)",
        "INSERT INTO q VALUES(2, 3)",
        "PRAGMA foreign_key_check",
        "CREATE TABLE self(id INTEGER PRIMARY KEY, up REFERENCES self)",
        "INSERT INTO self VALUES(1, 1), (2, 3), (3, 'x')",
        "PRAGMA foreign_key_check(self)",
        "BEGIN",
        "DELETE FROM p",
        "PRAGMA foreign_key_check",
        "ROLLBACK",
    ]);
}
