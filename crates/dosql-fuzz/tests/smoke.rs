//! The fuzzer's smoke run: about 2,000 generated statements on DoSQL must
//! cause no panic, no empty error message and no inconsistency; and the
//! harness itself must notice a panic and shrink the script around it.

use dosql_fuzz::{Finding, FindingKind, Options, fuzz, minimize_with, run_script, script_for};

#[test]
fn two_thousand_statements_without_findings() {
    let seed = std::env::var("DOSQL_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let report = fuzz(&Options { seed, statements: Some(2_000), duration: None }, |_| {});
    println!("{} ({} scripts)", report.summary(), report.scripts);
    let described: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{}\n  minimized script:\n    {}", f.describe(), f.script.join(";\n    ")))
        .collect();
    assert!(report.findings.is_empty(), "seed {seed}: {}\n{}", report.summary(), described.join("\n"));
    assert!(report.statements >= 2_000);
    // The generator must reach the engine, not just its parser: most statements succeed.
    assert!(report.errors * 2 < report.statements, "{}", report.summary());
}

#[test]
fn scripts_are_reproducible_from_their_seed() {
    assert_eq!(script_for(7, 3), script_for(7, 3));
    assert_ne!(script_for(7, 3), script_for(7, 4));
    assert_eq!(run_script(&script_for(7, 3)), run_script(&script_for(7, 3)));
}

#[test]
fn errors_are_counted_and_checked() {
    let script: Vec<String> =
        ["CREATE TABLE t(a UNIQUE)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)", "SELEC"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
    let out = run_script(&script);
    assert_eq!((out.statements, out.errors), (4, 2));
    assert!(out.finding.is_none(), "{:?}", out.finding);
}

#[test]
fn minimize_keeps_the_failure_and_drops_the_rest() {
    // A stand-in engine that "panics" at the first statement once both
    // "a" and "b" have run.
    let fake = |script: &[String]| -> Option<Finding> {
        let a = script.iter().position(|s| s == "a")?;
        let b = script.iter().position(|s| s == "b")?;
        Some(Finding { script: script.to_vec(), statement: a.max(b), kind: panic_at("here") })
    };
    let script: Vec<String> = ["x", "a", "y", "z", "b", "w", "v"].iter().map(|s| (*s).to_owned()).collect();
    let found = fake(&script).expect("the script fails");
    let min = minimize_with(&found, fake);
    assert_eq!(min.script, vec!["a".to_owned(), "b".to_owned()]);
    assert_eq!(min.statement, 1);
    // A different failure (another location) does not count as the same one.
    let other = |script: &[String]| -> Option<Finding> {
        fake(script).map(|f| if f.script.len() < 4 { Finding { kind: panic_at("elsewhere"), ..f } } else { f })
    };
    assert_eq!(minimize_with(&found, other).script.len(), 4);
}

fn panic_at(location: &str) -> FindingKind {
    FindingKind::Panic { message: "boom".into(), location: location.into(), backtrace: String::new() }
}
