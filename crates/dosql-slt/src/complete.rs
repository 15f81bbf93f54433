//! Filling in a test file's expected results from a reference engine.
//!
//! [`complete`] takes the text of a `.test` file whose records carry SQL but
//! possibly wrong or missing expectations, runs every record on an engine
//! (SQLite, in this repository's tests) and returns the text with each
//! `statement ok|error` set to what the engine did and each query's lines
//! after `----` replaced by the engine's formatted result (sorted and hashed
//! as the runner compares them). Everything else (comments, conditions,
//! `hash-threshold`, the SQL itself, blank lines) is kept as written.
//!
//! Records the engine does not run (`skipif` / `onlyif` excluding it) are
//! left as they are. A query that fails to prepare cannot be completed: it
//! is reported as a problem, as is a type string whose length differs from
//! the result's column count. It does not handle `halt` specially: records
//! after it are completed too.

use crate::parse::{self, RecordKind};
use crate::run::{QueryOutput, RunOptions, SltEngine, hash_line, sort_values};
use crate::value::format_value;

/// What [`complete`] produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    /// The completed file text.
    pub text: String,
    /// Records whose statement mode the engine's result changed, as
    /// `line N: ok -> error` (worth a look: the author expected otherwise).
    pub changed_modes: Vec<String>,
    /// Records that could not be completed, as `line N: why`.
    pub problems: Vec<String>,
}

/// Runs every record of `text` on `engine` and returns the text with the
/// engine's results as the expectations. `opts` gives the engine name for
/// conditions and the initial hash threshold.
pub fn complete(text: &str, engine: &mut dyn SltEngine, opts: &RunOptions) -> Completion {
    let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let mut out = Completion::default();
    let mut result: Vec<String> = Vec::with_capacity(lines.len());
    let mut threshold = opts.default_hash_threshold;
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            result.push(lines[i].to_owned());
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && !lines[i].trim().is_empty() {
            i += 1;
        }
        let block = &lines[start..i];
        let completed = complete_block(block, start + 1, engine, opts, &mut threshold, &mut out);
        result.extend(completed);
    }
    out.text = result.join("\n");
    out
}

/// The index in `block` of its command line (after comments and conditions).
fn command_index(block: &[&str]) -> Option<usize> {
    block.iter().position(|l| {
        let first = l.split_whitespace().next().unwrap_or("");
        !(l.starts_with('#') || first == "skipif" || first == "onlyif")
    })
}

/// Completes one record's lines (`first_line` is its 1-based line number).
fn complete_block(
    block: &[&str],
    first_line: usize,
    engine: &mut dyn SltEngine,
    opts: &RunOptions,
    threshold: &mut usize,
    out: &mut Completion,
) -> Vec<String> {
    let keep = || block.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>();
    let Some(record) = parse::parse(&block.join("\n")).into_iter().next() else { return keep() };
    let Some(cmd) = command_index(block) else { return keep() };
    let line = first_line + cmd;
    if !record.conditions.iter().all(|c| c.allows(&opts.engine_name)) {
        return keep();
    }
    match &record.kind {
        RecordKind::HashThreshold(n) => {
            *threshold = *n;
            keep()
        }
        RecordKind::Statement { expect_ok, sql } => {
            let ok = engine.statement(sql).is_ok();
            if ok != *expect_ok {
                let name = |b: bool| if b { "ok" } else { "error" };
                out.changed_modes.push(format!("line {line}: {} -> {}", name(*expect_ok), name(ok)));
            }
            let mut lines = keep();
            lines[cmd] = format!("statement {}", if ok { "ok" } else { "error" });
            lines
        }
        RecordKind::Query(q) => {
            let output = match engine.query(&q.sql) {
                Ok(o) => o,
                Err(e) => {
                    out.problems.push(format!("line {line}: the query fails: {e}"));
                    return keep();
                }
            };
            let QueryOutput { columns, rows, runtime_error } = output;
            if columns != q.types.len() {
                out.problems.push(format!("line {line}: {columns} columns but the type string has {}", q.types.len()));
                return keep();
            }
            if let Some(e) = runtime_error {
                out.problems.push(format!("line {line}: runtime error (rows before it kept): {e}"));
            }
            let mut values: Vec<String> = Vec::new();
            for row in &rows {
                values.extend(row.iter().zip(&q.types).map(|(v, &ty)| format_value(v, ty)));
            }
            sort_values(&mut values, q.types.len(), q.sort);
            let mut lines: Vec<String> =
                block.iter().take_while(|l| l.trim_end() != "----").map(|l| (*l).to_owned()).collect();
            lines.push("----".to_owned());
            if *threshold > 0 && values.len() > *threshold {
                lines.push(hash_line(&values));
            } else {
                lines.extend(values);
            }
            lines
        }
        RecordKind::Halt | RecordKind::Malformed { .. } => {
            if let RecordKind::Malformed { reason, .. } = &record.kind {
                out.problems.push(format!("line {line}: malformed record: {reason}"));
            }
            keep()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::SltValue;

    /// Knows one table: statements mentioning `bad` fail; `SELECT n` returns
    /// rows 3, 1, 2 in one column; anything else fails to prepare.
    struct Fake;

    impl SltEngine for Fake {
        fn statement(&mut self, sql: &str) -> Result<(), String> {
            if sql.contains("bad") { Err("no".into()) } else { Ok(()) }
        }
        fn query(&mut self, sql: &str) -> Result<QueryOutput, String> {
            if sql != "SELECT n" {
                return Err("no such table".into());
            }
            let rows = [3, 1, 2].iter().map(|&i| vec![SltValue::Integer(i)]).collect();
            Ok(QueryOutput { columns: 1, rows, runtime_error: None })
        }
    }

    #[test]
    fn fills_results_and_statement_modes() {
        let text = "# c\nstatement ok\nbad one\n\nstatement error\ngood\n\nquery I rowsort\nSELECT n\n----\n9\n\n\
                    query I nosort\nSELECT n\n\nskipif sqlite\nquery I\nSELECT n\n----\nstale\n\nhash-threshold 2\n\n\
                    query I valuesort\nSELECT n\n----\n";
        let c = complete(text, &mut Fake, &RunOptions::default());
        let expected = "# c\nstatement error\nbad one\n\nstatement ok\ngood\n\nquery I rowsort\nSELECT n\n----\n1\n2\n3\n\n\
                        query I nosort\nSELECT n\n----\n3\n1\n2\n\nskipif sqlite\nquery I\nSELECT n\n----\nstale\n\n\
                        hash-threshold 2\n\nquery I valuesort\nSELECT n\n----\n3 values hashing to c0710d6b4f15dfa88f600b0e6b624077\n";
        assert_eq!(c.text, expected);
        assert_eq!(c.changed_modes, vec!["line 2: ok -> error".to_owned(), "line 5: error -> ok".to_owned()]);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
    }

    #[test]
    fn reports_queries_it_cannot_complete() {
        let c =
            complete("query I\nSELECT missing\n----\n\nquery II\nSELECT n\n----\n", &mut Fake, &RunOptions::default());
        assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
        assert!(c.problems[0].starts_with("line 1: the query fails"));
        assert!(c.problems[1].starts_with("line 5: 1 columns"));
    }
}
