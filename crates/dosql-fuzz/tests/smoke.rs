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

/// The checker must notice an index that disagrees with its table: write a
/// stray entry straight into an index tree and a row's entry out of it.
#[test]
fn the_checker_sees_a_damaged_index() {
    use dosql_sql::schema::{SCHEMA_TREE, Schema};
    let mut conn = dosql_sql::Connection::open_in_memory().expect("open");
    conn.execute("CREATE TABLE t(a, b UNIQUE); CREATE INDEX ta ON t(a); INSERT INTO t VALUES (1, 2), (3, 4)")
        .expect("set up");
    assert_eq!(dosql_fuzz::check::check(&mut conn), Ok(()));
    let schema = {
        let read = conn.database().begin_read();
        let rows: Vec<Vec<u8>> = read
            .range(SCHEMA_TREE, ..)
            .expect("schema range")
            .map(|e| e.map(|(_, v)| v))
            .collect::<Result<_, _>>()
            .expect("schema rows");
        Schema::load(rows.into_iter(), std::iter::empty()).expect("load schema")
    };
    let index = schema.indexes.get("ta").expect("index ta").clone();
    let first_key = {
        let read = conn.database().begin_read();
        let mut entries = read.range(index.tree, ..).expect("index range");
        entries.next().expect("an entry").expect("read entry").0
    };
    let mut tx = conn.database().begin_write().expect("write");
    tx.delete(index.tree, &first_key).expect("delete an entry");
    tx.commit().expect("commit");
    let why = dosql_fuzz::check::check(&mut conn).expect_err("a missing entry is noticed");
    assert!(why.contains("index ta on t disagrees"), "{why}");
    let mut tx = conn.database().begin_write().expect("write");
    tx.put(index.tree, &first_key, &[]).expect("restore");
    tx.put(index.tree, b"\xff\xffstray", &[]).expect("add a stray entry");
    tx.commit().expect("commit");
    let why = dosql_fuzz::check::check(&mut conn).expect_err("a stray entry is noticed");
    assert!(why.contains("1 entries without a row"), "{why}");
}

/// Scripts the fuzzer once minimized from a finding; each must now run clean.
#[test]
fn past_findings_stay_fixed() {
    let scripts: &[&[&str]] = &[
        // UPDATE ... FROM with two FROM items indexed past the joined row (seed 777777).
        &[
            "CREATE TABLE t1 (c0 INTEGER NOT NULL UNIQUE, c1 TEXT, c2 TEXT PRIMARY KEY, c3 BOOLEAN, c4 REAL UNIQUE)",
            "INSERT INTO t1 VALUES (('a' >= '10'), '1e3', NULL, (4 != 4), (NULL OR 8))",
            "UPDATE t1 SET c3 = (strftime(t1.c3, -1e308) >= t1.c2), c2 = 1 FROM t1 AS a , t1 AS b",
        ],
    ];
    for script in scripts {
        let script: Vec<String> = script.iter().map(|s| (*s).to_owned()).collect();
        let out = run_script(&script);
        assert!(out.finding.is_none(), "{}", out.finding.map(|f| f.describe()).unwrap_or_default());
    }
}
