//! The INSERT write path (one-row VALUES evaluated directly, rowids the
//! statement picks not looked up again, index keys built from moved
//! values): differential tests against SQLite over tables with unique,
//! NOCASE, DESC, expression and partial indexes, rowids asked for and
//! picked, conflicts under every resolution, and reads through each index
//! afterwards.

mod common;

use common::check_script;

#[test]
fn inserts_and_their_index_entries_agree_with_sqlite() {
    let mut script: Vec<String> = vec![
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, tag TEXT COLLATE NOCASE, b BLOB, n REAL)".into(),
        "CREATE INDEX t_name ON t(name)".into(),
        "CREATE UNIQUE INDEX t_tag ON t(tag DESC)".into(),
        "CREATE INDEX t_expr ON t(lower(name), n)".into(),
        "CREATE UNIQUE INDEX t_part ON t(b) WHERE n > 0".into(),
        "CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID".into(),
        "CREATE TABLE s(x)".into(),
    ];
    for i in 0..40i64 {
        let id = if i % 5 == 0 { format!("{}", i * 3) } else { "NULL".into() };
        let tag = if i % 7 == 0 { format!("'Tag{}'", i % 4) } else { format!("'tag{i}'") };
        let n = if i % 2 == 0 { format!("{}.5", i - 20) } else { "-1".into() };
        for or in ["", "OR IGNORE ", "OR REPLACE "] {
            script.push(format!("INSERT {or}INTO t VALUES({id}, 'Name{}', {tag}, x'{:02x}', {n})", i % 6, i % 9));
        }
        script.push(format!(
            "INSERT INTO t(name, tag) VALUES('n{i}', 'TAG{i}') ON CONFLICT(tag) DO UPDATE SET n = n + 1"
        ));
        script.push(format!("INSERT OR REPLACE INTO w VALUES('k{}', {i})", i % 11));
        script.push(format!("INSERT INTO s VALUES({i}), ('v{i}')"));
    }
    script.extend(
        [
            "INSERT INTO t(id, name) VALUES(3, 'dup')",
            "INSERT INTO t(id, name) VALUES('7', 'text id')",
            "INSERT INTO t(id, name) VALUES(2.0, 'real id')",
            "INSERT INTO t(id, name) VALUES(2.5, 'bad id')",
            "INSERT INTO t(name, tag) SELECT 'sel' || x, 'S' || x FROM s WHERE typeof(x) = 'integer' AND x < 5",
            "SELECT count(*) FROM t",
            "SELECT id, name, tag, hex(b), n FROM t ORDER BY id",
            "SELECT id FROM t WHERE name = 'Name3' ORDER BY id",
            "SELECT id, tag FROM t WHERE tag = 'TAG0' ORDER BY id",
            "SELECT tag FROM t WHERE tag > 'tag3' ORDER BY tag DESC",
            "SELECT id FROM t WHERE lower(name) = 'name2' AND n > 0 ORDER BY id",
            "SELECT id, hex(b) FROM t WHERE b = x'03' AND n > 0",
            "SELECT k, v FROM w ORDER BY k",
            "SELECT count(*) FROM s",
            "UPDATE t SET tag = 'tag5' WHERE id = 6",
            "DELETE FROM t WHERE name = 'Name1'",
            "SELECT id, name FROM t WHERE name >= 'Name0' ORDER BY name, id",
            "SELECT last_insert_rowid(), changes()",
            // Past the largest rowid SQLite picks a random free one.
            "INSERT INTO t(id, name) VALUES(9223372036854775807, 'max')",
            "INSERT INTO t(name, tag) VALUES('after max', 'TAG0')",
            "INSERT OR IGNORE INTO t(name, tag) VALUES('after max', 'TAG0')",
            "INSERT INTO t(name) VALUES('after max')",
            "SELECT count(*), count(DISTINCT id) FROM t",
            "SELECT name FROM t WHERE id > 1000 ORDER BY name",
        ]
        .map(str::to_owned),
    );
    let refs: Vec<&str> = script.iter().map(String::as_str).collect();
    check_script(&refs);
}
