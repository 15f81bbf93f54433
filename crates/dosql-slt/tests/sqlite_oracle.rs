//! Validates the runner itself: the real SQLite, driven the way the reference
//! harness drives it, must pass every record of the SQLite corpus
//! (`shared/slt/sqlite`, beside the repository).

use std::path::{Path, PathBuf};
use std::time::Instant;

use dosql_slt::{QueryOutput, RunOptions, SltEngine, collect_test_files, describe, format_summary, run_file};

mod common;

use common::Sqlite;

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
