//! Our own sqllogictest files (`tests/slt/*.test`): SQL the corpus does not
//! reach (triggers, upsert, RETURNING, window functions, recursive CTEs,
//! date/time and JSON functions, ALTER TABLE, conflict clauses, ...).
//!
//! Their expected results come from SQLite itself: with
//! `DOSQL_SLT_COMPLETE=1`, `cargo test -p dosql-slt --test own` rewrites each
//! file's query results with what SQLite (rusqlite, bundled) answers. The
//! tests then require every record to pass on SQLite (so the files say what
//! SQLite does) and on DoSQL.

mod common;

use common::Sqlite;
use dosql_slt::{DosqlEngine, RunOptions, collect_test_files, complete, describe, run_file};
use std::path::{Path, PathBuf};

fn files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    collect_test_files(&[dir]).expect("list tests/slt")
}

#[test]
fn own_test_files_hold_sqlites_answers_and_pass_on_dosql() {
    let files = files();
    assert!(!files.is_empty(), "no .test files in tests/slt");
    let opts = RunOptions::default();
    if std::env::var_os("DOSQL_SLT_COMPLETE").is_some() {
        for f in &files {
            let text = std::fs::read_to_string(f).expect("read");
            std::fs::write(f, complete(&text, &mut Sqlite::new(), &opts)).expect("write");
        }
    }
    let (mut records, mut failures) = (0, Vec::new());
    for f in &files {
        let on_sqlite = run_file(f, &mut Sqlite::new(), &opts).expect("run on SQLite");
        for fail in &on_sqlite.failures {
            failures.push(format!("SQLite disagrees with the file: {}", describe(f, fail)));
        }
        let engine = dosql_sql::Connection::open_in_memory().expect("open");
        let on_dosql = run_file(f, &mut DosqlEngine(engine), &opts).expect("run on DoSQL");
        for fail in &on_dosql.failures {
            failures.push(format!("DoSQL: {}", describe(f, fail)));
        }
        records += on_dosql.passed + on_dosql.failed;
    }
    assert!(records > 0);
    assert!(failures.is_empty(), "{} failures in {records} records:\n{}", failures.len(), failures.join("\n"));
}
