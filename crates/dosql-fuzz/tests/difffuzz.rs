//! The differential fuzzer's CI run: at least 20,000 generated statements
//! (fixed seed, override with `DOSQL_DIFFFUZZ_SEED`) must give the same
//! answers on DoSQL as on SQLite; and the harness itself must notice a
//! wrong answer and shrink the script around it. Longer runs, and runs with
//! the known deviations put back, are the `difffuzz` example's job.

#[path = "support/sqlite.rs"]
mod sqlite;

use std::time::Instant;

use dosql_fuzz::Options;
use dosql_fuzz::diff::{Answer, Dosql, Engine, diff_fuzz, diff_script, diff_script_for, minimize_diff};
use dosql_fuzz::diffgen::{Check, Deviations, DiffStatement};

fn reference() -> Box<dyn Engine> {
    Box::new(sqlite::Sqlite::new())
}

fn dosql() -> Box<dyn Engine> {
    Box::new(Dosql::new().expect("open a DoSQL database"))
}

#[test]
fn twenty_thousand_statements_agree_with_sqlite() {
    let seed = std::env::var("DOSQL_DIFFFUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let started = Instant::now();
    let opts = Options { seed, statements: Some(20_000), duration: None };
    let report = diff_fuzz(&opts, Deviations::Avoid, &reference, &dosql, |_| {});
    println!(
        "seed {seed}: {} in {:.1}s ({} scripts, {} message differences, {} rejected by SQLite)",
        report.summary(),
        started.elapsed().as_secs_f64(),
        report.scripts,
        report.message_diffs,
        report.reference_errors
    );
    let described: Vec<String> = report.findings.iter().map(|m| m.describe()).collect();
    assert_eq!(report.mismatches, 0, "seed {seed}: {}\n{}", report.summary(), described.join("\n\n"));
    assert!(report.statements >= 20_000);
    // The generator must mostly write statements SQLite accepts.
    assert!(report.reference_errors * 5 < report.statements, "{} rejected", report.reference_errors);
}

#[test]
fn scripts_are_reproducible_and_mostly_return_rows() {
    assert_eq!(diff_script_for(3, 1), diff_script_for(3, 1));
    let script = diff_script_for(3, 1);
    let mut lite = sqlite::Sqlite::new();
    let queries: Vec<&DiffStatement> =
        script.iter().filter(|s| matches!(s.check, Check::Ordered | Check::Unordered)).collect();
    let mut nonempty = 0;
    for s in &script {
        if let Answer::Rows { rows, .. } = lite.run(&s.sql)
            && !rows.is_empty()
            && matches!(s.check, Check::Ordered | Check::Unordered)
        {
            nonempty += 1;
        }
    }
    // Queries over empty or filtered-out tables would test little.
    assert!(nonempty * 3 > queries.len(), "{nonempty} of {} queries return rows", queries.len());
}

/// An engine that answers like DoSQL except that it drops the last row of
/// every query that mentions `t0`.
struct Broken(Box<dyn Engine>);

impl Engine for Broken {
    fn run(&mut self, sql: &str) -> Answer {
        match self.0.run(sql) {
            Answer::Rows { mut rows, changes } if sql.starts_with("SELECT") && sql.contains("t0") => {
                rows.pop();
                Answer::Rows { rows, changes }
            }
            other => other,
        }
    }
}

#[test]
fn a_wrong_answer_is_found_and_minimized() {
    let st = |sql: &str, check| DiffStatement { sql: sql.into(), check };
    let script = vec![
        st("CREATE TABLE t0(a)", Check::Schema),
        st("CREATE TABLE t1(b)", Check::Schema),
        st("INSERT INTO t1 VALUES (5)", Check::Changes),
        st("INSERT INTO t0 VALUES (1), (2)", Check::Changes),
        st("SELECT b FROM t1", Check::Unordered),
        st("UPDATE t1 SET b = 6", Check::Changes),
        st("SELECT a FROM t0 WHERE a > 0", Check::Unordered),
        st("SELECT b FROM t1", Check::Unordered),
    ];
    let broken = || Box::new(Broken(dosql())) as Box<dyn Engine>;
    let run = diff_script(&script, reference().as_mut(), broken().as_mut());
    assert_eq!(run.statements, 7, "the script stops at its first mismatch");
    let found = run.mismatch.expect("the dropped row is noticed");
    assert_eq!(found.statement(), "SELECT a FROM t0 WHERE a > 0");
    let min = minimize_diff(&found, &reference, &broken);
    let sqls: Vec<&str> = min.script.iter().map(|s| s.sql.as_str()).collect();
    assert_eq!(sqls, ["CREATE TABLE t0(a)", "INSERT INTO t0 VALUES (1), (2)", "SELECT a FROM t0 WHERE a > 0"]);
    assert!(min.describe().contains("sqlite: 2 rows"), "{}", min.describe());
    // And the untouched engine agrees on the whole script.
    assert!(diff_script(&script, reference().as_mut(), dosql().as_mut()).mismatch.is_none());
}

/// Not a check: prints a generated script with SQLite's answers, to see
/// what the generator writes (`cargo test -p dosql-fuzz --test difffuzz
/// show_script -- --ignored --nocapture`).
#[test]
#[ignore]
fn show_script() {
    let script = diff_script_for(11, 0);
    let mut lite = sqlite::Sqlite::new();
    for s in &script {
        let a = lite.run(&s.sql);
        println!("{};\n   -> {}", s.sql, a.render(s.check).lines().take(4).collect::<Vec<_>>().join(" | "));
    }
}
