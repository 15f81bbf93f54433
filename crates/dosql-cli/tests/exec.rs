//! `dosql exec`: rows in sqlite3's list mode and, with `--json`, as
//! sqlite3's `-json` mode prints them; errors print SQLite's message and
//! fail the command.

use std::path::PathBuf;
use std::process::Command;

/// A fresh database path under the system's temporary directory.
fn db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dosql-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("t.db")
}

fn exec(path: &PathBuf, sql: &str, json: bool) -> (String, String, bool) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dosql"));
    cmd.arg("exec").arg(path).arg(sql);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().expect("run dosql");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

#[test]
fn list_and_json_output() {
    let path = db("out");
    let (_, err, ok) = exec(
        &path,
        "CREATE TABLE t(a INTEGER, b REAL, c TEXT, d BLOB); \
        INSERT INTO t VALUES (1, 2.5, 'x\"y\\z', x'0102'), (2, NULL, 'line\nbreak', NULL), (3, 1e999, 'é', x'41')",
        false,
    );
    assert!(ok, "{err}");
    let (list, _, ok) = exec(&path, "SELECT a, b, c FROM t WHERE a = 1", false);
    assert!(ok);
    assert_eq!(list, "1|2.5|x\"y\\z\n");
    let (json, err, ok) =
        exec(&path, "SELECT a, b, c, d FROM t ORDER BY a; SELECT a FROM t WHERE 0; SELECT count(*) AS n FROM t", true);
    assert!(ok, "{err}");
    assert_eq!(
        json,
        "[{\"a\":1,\"b\":2.5,\"c\":\"x\\\"y\\\\z\",\"d\":\"\\u0001\\u0002\"},\n\
         {\"a\":2,\"b\":null,\"c\":\"line\\nbreak\",\"d\":null},\n\
         {\"a\":3,\"b\":1e999,\"c\":\"é\",\"d\":\"A\"}]\n\
         [{\"n\":3}]\n"
    );
}

#[test]
fn errors_print_sqlites_message_and_fail() {
    let path = db("err");
    let (out, err, ok) = exec(&path, "SELECT 1; SELECT * FROM nosuch; SELECT 2", false);
    assert!(!ok);
    assert_eq!(out, "1\n");
    assert!(err.contains("no such table: nosuch"), "{err}");
}
