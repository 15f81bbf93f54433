//! Validates the runner itself: the real SQLite, driven the way the reference
//! harness drives it, must pass every record of the SQLite corpus
//! (`shared/slt/sqlite`, beside the repository).

use std::path::{Path, PathBuf};
use std::time::Instant;

use dosql_slt::{QueryOutput, RunOptions, SltEngine, SltValue, collect_test_files, describe, format_summary, run_file};
use rusqlite::fallible_iterator::FallibleIterator as _;
use rusqlite::types::ValueRef;
use rusqlite::{Batch, Connection};

/// SQLite through rusqlite, one in-memory database per file.
struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    fn new() -> Self {
        Self { conn: Connection::open_in_memory().expect("open in-memory database") }
    }
}

/// A column value by its dynamic type. Text that is not UTF-8 becomes a
/// BLOB, which the harness formats identically (bytes up to the first NUL).
fn value(v: ValueRef<'_>) -> SltValue {
    match v {
        ValueRef::Null => SltValue::Null,
        ValueRef::Integer(i) => SltValue::Integer(i),
        ValueRef::Real(r) => SltValue::Real(r),
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(s) => SltValue::Text(s.to_owned()),
            Err(_) => SltValue::Blob(t.to_vec()),
        },
        ValueRef::Blob(b) => SltValue::Blob(b.to_vec()),
    }
}

impl SltEngine for Sqlite {
    /// Like `sqlite3_exec`, which the reference harness uses: every
    /// statement in turn, each stepped to completion.
    fn statement(&mut self, sql: &str) -> Result<(), String> {
        let mut batch = Batch::new(&self.conn, sql);
        while let Some(mut stmt) = batch.next().map_err(|e| e.to_string())? {
            let mut rows = stmt.raw_query();
            while rows.next().map_err(|e| e.to_string())?.is_some() {}
        }
        Ok(())
    }

    fn query(&mut self, sql: &str) -> Result<QueryOutput, String> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| e.to_string())?;
        let columns = stmt.column_count();
        let mut out = QueryOutput { columns, ..QueryOutput::default() };
        let mut rows = stmt.raw_query();
        loop {
            match rows.next() {
                Ok(Some(row)) => {
                    let values = (0..columns)
                        .map(|i| row.get_ref(i).map(value))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| e.to_string())?;
                    out.rows.push(values);
                }
                Ok(None) => break,
                Err(e) => {
                    out.runtime_error = Some(e.to_string());
                    break;
                }
            }
        }
        Ok(out)
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/slt/sqlite")
}

#[test]
fn sqlite_passes_the_whole_corpus() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!("skipping: the sqllogictest corpus is not at {}", dir.display());
        return;
    }
    let files = collect_test_files(&[dir]).expect("list the corpus");
    assert!(!files.is_empty(), "no .test files in the corpus");
    let opts = RunOptions::default();
    let started = Instant::now();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for path in &files {
        let file_started = Instant::now();
        let report = run_file(path, &mut Sqlite::new(), &opts).expect("read a corpus file");
        println!(
            "{}: {}, {} skipped{} ({:.1?})",
            path.display(),
            format_summary(report.passed, report.failed),
            report.skipped,
            if report.halted { ", halted" } else { "" },
            file_started.elapsed()
        );
        passed += report.passed;
        failed += report.failed;
        skipped += report.skipped;
        failures.extend(report.failures.iter().take(5).map(|f| describe(path, f)));
    }
    println!(
        "{} files: {}, {skipped} skipped in {:.1?}",
        files.len(),
        format_summary(passed, failed),
        started.elapsed()
    );
    assert_eq!(failed, 0, "SQLite itself failed records:\n{}", failures.join("\n"));
    assert!(passed > 0);
}

/// SQLite with every query result missing its last row.
struct DropLastRow(Sqlite);

impl SltEngine for DropLastRow {
    fn statement(&mut self, sql: &str) -> Result<(), String> {
        self.0.statement(sql)
    }

    fn query(&mut self, sql: &str) -> Result<QueryOutput, String> {
        let mut out = self.0.query(sql)?;
        out.rows.pop();
        Ok(out)
    }
}

/// The oracle run proves nothing if comparisons were lax: a slightly wrong
/// SQLite must fail, both on listed values and on hashed results.
#[test]
fn a_perturbed_sqlite_fails() {
    let path = corpus_dir().join("select1.test");
    if !path.is_file() {
        println!("skipping: {} is absent", path.display());
        return;
    }
    let report = run_file(&path, &mut DropLastRow(Sqlite::new()), &RunOptions::default()).expect("read select1.test");
    let kinds: std::collections::HashSet<_> = report.failures.iter().map(|f| f.kind).collect();
    assert!(kinds.contains(&dosql_slt::FailureKind::WrongResult), "{kinds:?}");
    assert!(kinds.contains(&dosql_slt::FailureKind::WrongResultHash), "{kinds:?}");
    assert!(report.failed > 900, "{}", format_summary(report.passed, report.failed));
}
