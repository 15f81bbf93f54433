//! Running a test file against an engine and comparing its results.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::parse::{self, Query, Record, RecordKind, SortMode};
use crate::value::{SltValue, format_value};

/// A database engine under test.
///
/// The runner creates nothing itself: give [`run_file`] a fresh engine (an
/// empty database) for each file.
pub trait SltEngine {
    /// Runs one statement record's SQL (may contain several `;`-separated statements).
    fn statement(&mut self, sql: &str) -> Result<(), String>;

    /// Prepares and runs a query. `Err` means the query could not be prepared,
    /// which is a failure. A runtime error while stepping is not: return the
    /// rows produced before it, with the error in
    /// [`QueryOutput::runtime_error`] (the reference harness does the same).
    fn query(&mut self, sql: &str) -> Result<QueryOutput, String>;
}

/// What an engine returns for a query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOutput {
    /// The number of result columns of the prepared statement.
    pub columns: usize,
    /// The rows produced, each with `columns` values.
    pub rows: Vec<Vec<SltValue>>,
    /// The error that stopped stepping early, if any.
    pub runtime_error: Option<String>,
}

/// Settings for [`run_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Print each failure to stderr as it is found.
    pub verbose: bool,
    /// The engine name `skipif` / `onlyif` compare against (case-insensitively).
    /// The SQLite corpus' expected results are SQLite's, so an engine with
    /// SQLite's semantics runs as `sqlite`.
    pub engine_name: String,
    /// The hash threshold in effect until a `hash-threshold` record changes
    /// it; 0 disables hashing. The corpus files that have no
    /// `hash-threshold` record (`select1.test`, ...) were generated with 8.
    pub default_hash_threshold: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self { verbose: false, engine_name: "sqlite".to_owned(), default_hash_threshold: 8 }
    }
}

/// Why a record failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// `statement ok` returned an error.
    StatementFailed,
    /// `statement error` succeeded.
    StatementSucceeded,
    /// The query could not be prepared.
    QueryFailed,
    /// The query returned a different number of columns than its type string has.
    ColumnCountMismatch,
    /// The result values differ from the expected lines.
    WrongResult,
    /// The result's hash differs from the expected hash line.
    WrongResultHash,
    /// The result's hash differs from an earlier query with the same label.
    LabelMismatch,
    /// The record could not be parsed.
    Malformed,
}

/// One failed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// 1-based line of the record's `statement` / `query` line.
    pub line: usize,
    /// Why it failed.
    pub kind: FailureKind,
    /// The record's SQL (for a malformed record, its text).
    pub sql: String,
    /// What the file expects: the expected result lines joined with `\n`,
    /// `ok` / `error` for a statement, or a description.
    pub expected: String,
    /// What the engine produced, in the same form (errors as `error: <message>`).
    pub actual: String,
}

/// The outcome of running one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    /// The file run.
    pub path: PathBuf,
    /// Statement and query records that passed.
    pub passed: u64,
    /// Statement and query records that failed (plus malformed records).
    pub failed: u64,
    /// Statement and query records skipped by `skipif` / `onlyif`.
    pub skipped: u64,
    /// Every failure, in file order.
    pub failures: Vec<Failure>,
    /// Whether a `halt` record stopped the file early.
    pub halted: bool,
}

/// `N passed, N failed`, the summary line for a run.
pub fn format_summary(total_passed: u64, total_failed: u64) -> String {
    format!("{total_passed} passed, {total_failed} failed")
}

/// The MD5 of the values, each followed by `\n`, in lowercase hex.
pub fn hash_values(values: &[String]) -> String {
    let mut ctx = md5::Context::new();
    for v in values {
        ctx.consume(v.as_bytes());
        ctx.consume(b"\n");
    }
    format!("{:x}", ctx.compute())
}

/// The line a hashed result is compared as: `N values hashing to <md5>`.
pub fn hash_line(values: &[String]) -> String {
    format!("{} values hashing to {}", values.len(), hash_values(values))
}

/// Orders formatted result values (`columns` per row) as the sort mode asks:
/// rows compared column by column as byte strings, or every value on its own.
pub fn sort_values(values: &mut Vec<String>, columns: usize, mode: SortMode) {
    match mode {
        SortMode::NoSort => {}
        SortMode::ValueSort => values.sort_unstable(),
        SortMode::RowSort => {
            if columns == 0 {
                return;
            }
            let mut rows: Vec<Vec<String>> = Vec::with_capacity(values.len() / columns);
            let mut flat = std::mem::take(values).into_iter();
            loop {
                let row: Vec<String> = flat.by_ref().take(columns).collect();
                if row.is_empty() {
                    break;
                }
                rows.push(row);
            }
            rows.sort_unstable();
            *values = rows.into_iter().flatten().collect();
        }
    }
}

/// Every `*.test` file under the given paths: directories are walked
/// recursively, files are taken as they are. The result is sorted and free of
/// duplicates.
pub fn collect_test_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "test") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no such file or directory", path.display()),
            ));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Runs one test file against `engine` and reports every record's outcome.
///
/// Only reading the file can fail; engine errors are test outcomes. Each
/// statement or query record counts once as passed or failed; records that
/// `skipif` / `onlyif` exclude count as skipped; `hash-threshold` and `halt`
/// count in none of them.
pub fn run_file(path: &Path, engine: &mut dyn SltEngine, opts: &RunOptions) -> std::io::Result<FileReport> {
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut runner = Runner {
        opts,
        report: FileReport { path: path.to_path_buf(), ..FileReport::default() },
        hash_threshold: opts.default_hash_threshold,
        labels: HashMap::new(),
    };
    for record in parse::parse(&text) {
        if !runner.run_record(&record, engine) {
            break;
        }
    }
    Ok(runner.report)
}

/// The state of one file's run.
struct Runner<'a> {
    /// The settings.
    opts: &'a RunOptions,
    /// The outcome so far.
    report: FileReport,
    /// The current hash threshold (0: never hash).
    hash_threshold: usize,
    /// Hash lines of labelled queries that passed, by label.
    labels: HashMap<String, String>,
}

impl Runner<'_> {
    /// Runs one record; returns false when the file must stop (`halt`).
    fn run_record(&mut self, record: &Record, engine: &mut dyn SltEngine) -> bool {
        let counted = matches!(record.kind, RecordKind::Statement { .. } | RecordKind::Query { .. });
        if !record.conditions.iter().all(|c| c.allows(&self.opts.engine_name)) {
            if counted {
                self.report.skipped += 1;
            }
            return true;
        }
        let outcome = match &record.kind {
            RecordKind::Halt => {
                self.report.halted = true;
                return false;
            }
            RecordKind::HashThreshold(n) => {
                self.hash_threshold = *n;
                return true;
            }
            RecordKind::Malformed { reason, text } => Err(Failure {
                line: record.line,
                kind: FailureKind::Malformed,
                sql: text.clone(),
                expected: "a statement, query, hash-threshold or halt record".to_owned(),
                actual: reason.clone(),
            }),
            RecordKind::Statement { expect_ok, sql } => run_statement(record.line, *expect_ok, sql, engine),
            RecordKind::Query(query) => self.run_query(record.line, query, engine),
        };
        match outcome {
            Ok(()) => self.report.passed += 1,
            Err(failure) => {
                if self.opts.verbose {
                    eprintln!("{}", describe(&self.report.path, &failure));
                }
                self.report.failed += 1;
                self.report.failures.push(failure);
            }
        }
        true
    }

    /// Runs a query record and compares its result.
    fn run_query(&mut self, line: usize, query: &Query, engine: &mut dyn SltEngine) -> Result<(), Failure> {
        let Query { types, sort, label, sql, expected } = query;
        let (sort, label) = (*sort, label.as_deref());
        let fail = |kind, expected: String, actual: String| Failure { line, kind, sql: sql.clone(), expected, actual };
        let output = match engine.query(sql) {
            Ok(output) => output,
            Err(e) => return Err(fail(FailureKind::QueryFailed, expected.join("\n"), format!("error: {e}"))),
        };
        let bad_row = output.rows.iter().find(|r| r.len() != output.columns);
        if output.columns != types.len() || bad_row.is_some() {
            let got = bad_row.map_or(output.columns, Vec::len);
            return Err(fail(
                FailureKind::ColumnCountMismatch,
                format!("{} columns", types.len()),
                format!("{got} columns"),
            ));
        }
        let mut values: Vec<String> = Vec::with_capacity(output.rows.len() * types.len());
        for row in &output.rows {
            values.extend(row.iter().zip(types).map(|(v, &ty)| format_value(v, ty)));
        }
        sort_values(&mut values, types.len(), sort);
        let hashed = self.hash_threshold > 0 && values.len() > self.hash_threshold;
        let hash = (hashed || label.is_some()).then(|| hash_line(&values));
        match &hash {
            Some(h) if hashed => {
                if !(expected.len() == 1 && expected[0].trim_end() == h) {
                    return Err(fail(FailureKind::WrongResultHash, expected.join("\n"), h.clone()));
                }
            }
            _ => {
                if values != *expected {
                    return Err(fail(FailureKind::WrongResult, expected.join("\n"), values.join("\n")));
                }
            }
        }
        if let (Some(label), Some(hash)) = (label, hash) {
            match self.labels.get(label) {
                Some(earlier) if *earlier != hash => {
                    return Err(fail(FailureKind::LabelMismatch, format!("{label}: {earlier}"), hash));
                }
                Some(_) => {}
                None => {
                    self.labels.insert(label.to_owned(), hash);
                }
            }
        }
        Ok(())
    }
}

/// Runs a statement record.
fn run_statement(line: usize, expect_ok: bool, sql: &str, engine: &mut dyn SltEngine) -> Result<(), Failure> {
    let fail = |kind, actual: String| Failure {
        line,
        kind,
        sql: sql.to_owned(),
        expected: if expect_ok { "ok" } else { "error" }.to_owned(),
        actual,
    };
    match (engine.statement(sql), expect_ok) {
        (Ok(()), true) | (Err(_), false) => Ok(()),
        (Err(e), true) => Err(fail(FailureKind::StatementFailed, format!("error: {e}"))),
        (Ok(()), false) => Err(fail(FailureKind::StatementSucceeded, "ok".to_owned())),
    }
}

/// A failure as a few human-readable lines, starting `path:line: kind`.
pub fn describe(path: &Path, failure: &Failure) -> String {
    let mut out = format!("{}:{}: {:?}\n", path.display(), failure.line, failure.kind);
    let indent = |s: &str| s.lines().map(|l| format!("    {l}\n")).collect::<String>();
    let _ = write!(out, "  sql:\n{}", indent(&failure.sql));
    let _ = write!(out, "  expected:\n{}", indent(&failure.expected));
    let _ = write!(out, "  actual:\n{}", indent(&failure.actual));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn summary_line() {
        assert_eq!(format_summary(3, 0), "3 passed, 0 failed");
        assert_eq!(format_summary(0, 12), "0 passed, 12 failed");
    }

    #[test]
    fn hashes_each_value_followed_by_newline() {
        let values: Vec<String> = ["1", "2"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(hash_values(&values), "6ddb4095eb719e2a9f0a3f95677d24e0");
        assert_eq!(hash_line(&values), "2 values hashing to 6ddb4095eb719e2a9f0a3f95677d24e0");
        assert_eq!(hash_values(&[]), "d41d8cd98f00b204e9800998ecf8427e");
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn sort_modes() {
        let rows = strings(&["9", "b", "10", "a", "10", "0", "NULL", "x"]);
        let mut v = rows.clone();
        sort_values(&mut v, 2, SortMode::NoSort);
        assert_eq!(v, rows);
        // Rows as tuples of strings: "10" < "9" < "NULL" byte-wise.
        let mut v = rows.clone();
        sort_values(&mut v, 2, SortMode::RowSort);
        assert_eq!(v, strings(&["10", "0", "10", "a", "9", "b", "NULL", "x"]));
        let mut v = rows;
        sort_values(&mut v, 2, SortMode::ValueSort);
        assert_eq!(v, strings(&["0", "10", "10", "9", "NULL", "a", "b", "x"]));
        let mut empty = Vec::new();
        sort_values(&mut empty, 0, SortMode::RowSort);
        assert!(empty.is_empty());
    }

    /// An engine answering from a script: statements listed in `fail` error,
    /// queries return the scripted output, anything else errors.
    #[derive(Default)]
    struct Scripted {
        fail: Vec<&'static str>,
        queries: HashMap<&'static str, QueryOutput>,
        ran: Vec<String>,
    }

    impl SltEngine for Scripted {
        fn statement(&mut self, sql: &str) -> Result<(), String> {
            self.ran.push(sql.to_owned());
            if self.fail.contains(&sql) { Err(format!("cannot run {sql}")) } else { Ok(()) }
        }

        fn query(&mut self, sql: &str) -> Result<QueryOutput, String> {
            self.ran.push(sql.to_owned());
            self.queries.get(sql).cloned().ok_or_else(|| format!("no such table in {sql}"))
        }
    }

    fn ints(columns: usize, values: &[i64]) -> QueryOutput {
        QueryOutput {
            columns,
            rows: values.chunks(columns).map(|r| r.iter().map(|&i| SltValue::Integer(i)).collect()).collect(),
            runtime_error: None,
        }
    }

    fn run(text: &str, engine: &mut Scripted) -> FileReport {
        let dir = std::env::temp_dir().join(format!("dosql-slt-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let path = dir.join(format!("{:x}.test", md5::compute(text.as_bytes())));
        std::fs::write(&path, text).expect("write test file");
        let report = run_file(&path, engine, &RunOptions::default()).expect("read test file");
        let _ = std::fs::remove_file(&path);
        report
    }

    #[test]
    fn statements_pass_and_fail() {
        let mut engine = Scripted { fail: vec!["BAD"], ..Scripted::default() };
        let report = run(
            "statement ok\nGOOD\n\nstatement error\nBAD\n\nstatement ok\nBAD\n\nstatement error\nGOOD\n",
            &mut engine,
        );
        assert_eq!((report.passed, report.failed, report.skipped), (2, 2, 0));
        assert_eq!(report.failures[0].kind, FailureKind::StatementFailed);
        assert_eq!(report.failures[0].line, 7);
        assert_eq!(report.failures[0].actual, "error: cannot run BAD");
        assert_eq!(report.failures[1].kind, FailureKind::StatementSucceeded);
        assert!(!report.halted);
    }

    #[test]
    fn conditions_skip_and_halt_stops() {
        let mut engine = Scripted::default();
        let text = "onlyif mysql\nstatement ok\nMYSQL ONLY\n\nskipif sqlite\nstatement ok\nNOT SQLITE\n\n\
                    skipif mysql\nstatement ok\nRUNS\n\nonlyif mssql\nhalt\n\nhalt\n\nstatement ok\nNEVER\n";
        let report = run(text, &mut engine);
        assert_eq!((report.passed, report.failed, report.skipped), (1, 0, 2));
        assert!(report.halted);
        assert_eq!(engine.ran, vec!["RUNS".to_owned()]);
    }

    #[test]
    fn query_values_types_and_sorting() {
        let mut engine = Scripted::default();
        engine.queries.insert("Q1", ints(2, &[3, 1, 2, 2]));
        engine.queries.insert(
            "Q2",
            QueryOutput {
                columns: 3,
                rows: vec![vec![SltValue::Real(1.5), SltValue::Text(String::new()), SltValue::Null]],
                runtime_error: None,
            },
        );
        let text = "query II rowsort\nQ1\n----\n2\n2\n3\n1\n\nquery II nosort\nQ1\n----\n2\n2\n3\n1\n\n\
                    query II valuesort\nQ1\n----\n1\n2\n2\n3\n\nquery RTI\nQ2\n----\n1.500\n(empty)\nNULL\n\n\
                    query II\nQ1\n----\n3\n1\n2\n\nquery II\nQ1\n----\n3\n1\n2\n2\n2\n";
        let report = run(text, &mut engine);
        assert_eq!((report.passed, report.failed), (3, 3));
        let kinds: Vec<_> = report.failures.iter().map(|f| (f.line, f.kind)).collect();
        assert_eq!(
            kinds,
            vec![(9, FailureKind::WrongResult), (32, FailureKind::WrongResult), (39, FailureKind::WrongResult)]
        );
        assert_eq!(report.failures[0].expected, "2\n2\n3\n1");
        assert_eq!(report.failures[0].actual, "3\n1\n2\n2");
    }

    #[test]
    fn column_count_prepare_error_and_runtime_error() {
        let mut engine = Scripted::default();
        engine.queries.insert("TWO", ints(2, &[1, 2]));
        engine
            .queries
            .insert("PARTIAL", QueryOutput { runtime_error: Some("integer overflow".into()), ..ints(1, &[7]) });
        let text = "query I\nTWO\n----\n1\n2\n\nquery I\nMISSING\n----\n\nquery I\nPARTIAL\n----\n7\n";
        let report = run(text, &mut engine);
        assert_eq!((report.passed, report.failed), (1, 2));
        assert_eq!(report.failures[0].kind, FailureKind::ColumnCountMismatch);
        assert_eq!(report.failures[1].kind, FailureKind::QueryFailed);
    }

    #[test]
    fn hash_threshold_and_labels() {
        let mut engine = Scripted::default();
        engine.queries.insert("Q3", ints(1, &[3, 1, 2]));
        engine.queries.insert("Q3B", ints(1, &[2, 3, 1]));
        engine.queries.insert("Q4", ints(1, &[1, 2, 3, 4]));
        // Above the threshold (2 values) results compare as a hash of the sorted values;
        // at or below it, as values.
        let hash = "3 values hashing to c0710d6b4f15dfa88f600b0e6b624077";
        let text = format!(
            "hash-threshold 2\n\nquery I rowsort\nQ3\n----\n{hash}\n\nquery I nosort\nQ3\n----\n{hash}\n\n\
             query I rowsort label-a\nQ3B\n----\n{hash}\n\nquery I valuesort label-a\nQ3\n----\n{hash}\n\n\
             hash-threshold 0\n\nquery I rowsort label-a\nQ3\n----\n1\n2\n3\n\n\
             query I rowsort label-a\nQ4\n----\n1\n2\n3\n4\n"
        );
        let report = run(&text, &mut engine);
        assert_eq!((report.passed, report.failed), (4, 2));
        assert_eq!(report.failures[0].kind, FailureKind::WrongResultHash);
        assert_eq!(report.failures[0].actual, "3 values hashing to 6aedf78b5040f95db16c33d40e836165");
        assert_eq!(report.failures[1].kind, FailureKind::LabelMismatch);
        assert_eq!(report.failures[1].line, 32);
    }

    #[test]
    fn malformed_records_fail() {
        let report = run("query Q\nSELECT 1\n----\n1\n", &mut Scripted::default());
        assert_eq!((report.passed, report.failed), (0, 1));
        assert_eq!(report.failures[0].kind, FailureKind::Malformed);
    }

    #[test]
    fn collects_test_files_sorted() {
        let dir = std::env::temp_dir().join(format!("dosql-slt-collect-{}", std::process::id()));
        let sub = dir.join("b");
        std::fs::create_dir_all(&sub).expect("create dirs");
        for p in [dir.join("z.test"), dir.join("a.test"), sub.join("c.test"), dir.join("notes.txt")] {
            std::fs::write(p, "").expect("write file");
        }
        let files = collect_test_files(&[dir.clone(), dir.join("a.test")]).expect("collect");
        assert_eq!(files, vec![dir.join("a.test"), sub.join("c.test"), dir.join("z.test")]);
        assert!(collect_test_files(&[dir.join("missing")]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
