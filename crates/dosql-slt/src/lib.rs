//! An engine-agnostic runner for SQLite-format sqllogictest files.
//!
//! The runner parses a `.test` file into records (`statement ok|error`,
//! `query <types> [nosort|rowsort|valuesort] [label]`, `hash-threshold N`,
//! `halt`, with `skipif` / `onlyif` guards), runs them against anything that
//! implements [`SltEngine`], and compares results exactly as SQLite's
//! reference harness does: values are read and printed per the query's type
//! string ([`format_value`]), sorted per its sort mode ([`sort_values`]), and
//! compared line by line or, above the hash threshold, as
//! `N values hashing to <md5>` ([`hash_line`]).
//!
//! [`complete`] fills a file's expected results in from a reference engine
//! (the repository's own tests under `tests/slt` get theirs from SQLite), and
//! [`DosqlEngine`] is DoSQL as the runner sees it.
//!
//! Number conversions (text to number, `%.3f`, a REAL's text form) are the
//! SQL engine's own (`dosql_sql::func::num`), which reproduce SQLite's: an
//! engine with SQLite's semantics passes exactly where SQLite itself passes,
//! and the crate's tests run the whole corpus against SQLite to prove it.
//!
//! ```
//! use dosql_slt::{QueryOutput, RunOptions, SltEngine, SltValue};
//!
//! /// An "engine" that answers every query with one row holding 1.
//! struct One;
//! impl SltEngine for One {
//!     fn statement(&mut self, _sql: &str) -> Result<(), String> {
//!         Ok(())
//!     }
//!     fn query(&mut self, _sql: &str) -> Result<QueryOutput, String> {
//!         Ok(QueryOutput { columns: 1, rows: vec![vec![SltValue::Integer(1)]], runtime_error: None })
//!     }
//! }
//!
//! let dir = std::env::temp_dir().join(format!("dosql-slt-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("one.test");
//! std::fs::write(&path, "statement ok\nCREATE TABLE t(a)\n\nquery I nosort\nSELECT 1\n----\n1\n")?;
//! let report = dosql_slt::run_file(&path, &mut One, &RunOptions::default())?;
//! assert_eq!((report.passed, report.failed), (2, 0));
//! assert_eq!(dosql_slt::format_summary(report.passed, report.failed), "2 passed, 0 failed");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod complete;
mod dosql;
mod parse;
mod run;
mod value;

pub use complete::{Completion, complete};
pub use dosql::DosqlEngine;
pub use parse::SortMode;
pub use run::{
    Failure, FailureKind, FileReport, QueryOutput, RunOptions, SltEngine, collect_test_files, describe, format_summary,
    hash_line, hash_values, run_file, sort_values,
};
pub use value::{ColumnType, SltValue, format_real, format_value, real_to_text};
