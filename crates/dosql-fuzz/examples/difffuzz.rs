//! Runs the differential fuzzer (DoSQL against SQLite) for a time or a
//! statement count:
//!
//! ```text
//! cargo run --release -p dosql-fuzz --example difffuzz -- --seconds 60 --seed 7
//! cargo run --release -p dosql-fuzz --example difffuzz -- --statements 100000
//! ```
//!
//! Prints progress to stderr, then `N statements, N mismatches`, then the
//! first mismatches minimized and a few differing error messages. Exits
//! with status 1 when anything mismatched. `--known 1` also generates the
//! patterns DoSQL is known to get wrong ([`Deviations`]), to check fixes.
//! Leaves out parallel runs.

#[path = "../tests/support/sqlite.rs"]
mod sqlite;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use dosql_fuzz::Options;
use dosql_fuzz::diff::{Dosql, Engine, diff_fuzz};
use dosql_fuzz::diffgen::Deviations;

fn main() -> ExitCode {
    let mut opts = Options { seed: 1, statements: None, duration: None };
    let mut deviations = Deviations::Avoid;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (a.as_str(), value) {
            ("--seed", Some(v)) => opts.seed = v,
            ("--statements", Some(v)) => opts.statements = Some(v),
            ("--seconds", Some(v)) => opts.duration = Some(Duration::from_secs(v)),
            ("--known", Some(v)) => deviations = if v == 0 { Deviations::Avoid } else { Deviations::Include },
            _ => {
                eprintln!("usage: difffuzz [--seed N] [--statements N] [--seconds N] [--known 0|1]");
                return ExitCode::from(2);
            }
        }
    }
    let reference = || Box::new(sqlite::Sqlite::new()) as Box<dyn Engine>;
    let subject = || match Dosql::new() {
        Ok(d) => Box::new(d) as Box<dyn Engine>,
        Err(e) => panic!("cannot open a DoSQL database: {e}"),
    };
    let started = Instant::now();
    let mut last = Instant::now();
    let report = diff_fuzz(&opts, deviations, &reference, &subject, |r| {
        if last.elapsed() >= Duration::from_secs(2) {
            last = Instant::now();
            eprintln!(
                "[{:>4}s] {} ({} scripts, {} message differences, {} statements SQLite rejected)",
                started.elapsed().as_secs(),
                r.summary(),
                r.scripts,
                r.message_diffs,
                r.reference_errors
            );
        }
    });
    eprintln!(
        "seed {}, {:.1}s, {} scripts, {} message differences, {} statements SQLite rejected",
        opts.seed,
        started.elapsed().as_secs_f64(),
        report.scripts,
        report.message_diffs,
        report.reference_errors
    );
    println!("{}", report.summary());
    for (i, m) in report.findings.iter().enumerate() {
        println!("\nmismatch {} (minimized, {} statements):\n{}", i + 1, m.script.len(), m.describe());
    }
    for (i, m) in report.message_examples.iter().enumerate() {
        println!("\nmessage difference {} (minimized, {} statements):\n{}", i + 1, m.script.len(), m.describe());
    }
    if report.mismatches == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
