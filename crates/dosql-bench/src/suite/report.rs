//! The suite's report: the guide's "Benchmark Results" text for each
//! engine, the baselines check for DoSQL, a side-by-side table, and JSON.
//!
//! Baselines are the guide appendix's "Performance Baseline Reference"
//! targets (P50 / P95 / P99 per operation). The concurrent reads have no
//! row there; they take the guide's monitoring checklist target "Query
//! latency P95 < 10ms". Statuses follow the guide's `analyzeResults`: a
//! figure over its target is a warning, and over twice its target (the
//! guide's point query P95: over 5 ms warns, over 10 ms is critical) it
//! fails; its insert throughput rule (under 100 ops/s warns, under 50
//! fails) applies too. An operation is PASSED with every figure within
//! target, else WARNING or FAILED by its worst figure; the run is FAILED
//! if any operation failed, else "PASSED (n warnings)", as in the guide's
//! sample output. The guide's concurrency-scaling alert (throughput at the
//! most clients under twice that at one client) is printed as an alert.
//!
//! Not covered: the guide's standard deviation, billing and network
//! comparisons.

use super::{BATCH_ROWS, COLD_START_ROWS, OpResult, Stats, SuiteReport, readers};
use crate::report::{json_num, json_str};
use std::fmt::Write as _;

/// A figure's standing against its baseline, and an operation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Within target.
    Passed,
    /// Over target, within twice it.
    Warning,
    /// Over twice the target.
    Failed,
}

impl Status {
    /// `PASSED`, `WARNING` or `FAILED`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Passed => "PASSED",
            Status::Warning => "WARNING",
            Status::Failed => "FAILED",
        }
    }
}

/// An operation's latency targets in milliseconds (`None`: no target).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    /// P50 target.
    pub p50_ms: Option<f64>,
    /// P95 target.
    pub p95_ms: Option<f64>,
    /// P99 target.
    pub p99_ms: Option<f64>,
}

/// The guide's targets for operation `op` (see the module doc).
pub fn baseline(op: &str) -> Option<Baseline> {
    let b = |p50, p95, p99| Some(Baseline { p50_ms: p50, p95_ms: Some(p95), p99_ms: Some(p99) });
    match op {
        "point_query" => b(Some(2.0), 5.0, 20.0),
        "range_query" => b(Some(5.0), 10.0, 50.0),
        "insert" | "update" => b(Some(3.0), 10.0, 30.0),
        "delete" => b(Some(2.0), 10.0, 30.0),
        "batch_insert" => b(Some(20.0), 50.0, 100.0),
        "cold_start" => b(None, 50.0, 100.0),
        _ if readers(op).is_some() => Some(Baseline { p50_ms: None, p95_ms: Some(10.0), p99_ms: None }),
        _ => None,
    }
}

/// Where latency `v` stands against `target`.
pub fn grade(v: f64, target: f64) -> Status {
    if v <= target {
        Status::Passed
    } else if v <= 2.0 * target {
        Status::Warning
    } else {
        Status::Failed
    }
}

/// The guide's insert throughput rule: under 100 ops/s warns, under 50 fails.
fn grade_insert_throughput(ops_per_sec: f64) -> Status {
    if ops_per_sec >= 100.0 {
        Status::Passed
    } else if ops_per_sec >= 50.0 {
        Status::Warning
    } else {
        Status::Failed
    }
}

/// DoSQL's status on operation `op` with figures `s`.
pub fn status(op: &str, s: &Stats) -> Status {
    let mut worst = Status::Passed;
    if let Some(b) = baseline(op) {
        for (v, t) in [(s.p50_ms, b.p50_ms), (s.p95_ms, b.p95_ms), (s.p99_ms, b.p99_ms)] {
            if let Some(t) = t {
                worst = worst.max(grade(v, t));
            }
        }
    }
    if op == "insert" {
        worst = worst.max(grade_insert_throughput(s.ops_per_sec));
    }
    worst
}

/// The run's overall verdict as the guide prints it: `PASSED`,
/// `PASSED (2 warnings)` or `FAILED (1 failed, 2 warnings)`.
pub fn overall(report: &SuiteReport) -> String {
    let statuses: Vec<Status> = report.operations.iter().map(|o| status(o.name, &o.dosql)).collect();
    let warnings = statuses.iter().filter(|&&s| s == Status::Warning).count();
    let failed = statuses.iter().filter(|&&s| s == Status::Failed).count();
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    match (failed, warnings) {
        (0, 0) => "PASSED".to_string(),
        (0, w) => format!("PASSED ({})", plural(w, "warning")),
        (f, 0) => format!("FAILED ({f} failed)"),
        (f, w) => format!("FAILED ({f} failed, {})", plural(w, "warning")),
    }
}

/// Milliseconds with about three significant digits.
pub fn fmt_ms(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 0.1 {
        format!("{v:.3}")
    } else if a >= 0.01 {
        format!("{v:.4}")
    } else {
        format!("{v:.5}")
    }
}

/// A count with thousands separators, rounded to a whole number.
pub fn fmt_count(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The guide's annotation of latency `v` against `target`.
fn note(v: f64, target: Option<f64>) -> String {
    match target {
        None => String::new(),
        Some(t) => {
            let (tag, rel) = match grade(v, t) {
                Status::Passed => ("OK", "under"),
                Status::Warning => ("WARNING", "over"),
                Status::Failed => ("FAILED", "over"),
            };
            // Targets are whole milliseconds in the guide: "5ms", not "5.00ms".
            let t = if t.fract() == 0.0 { format!("{t:.0}") } else { fmt_ms(t) };
            format!("  [{tag} - {rel} {t}ms baseline]")
        }
    }
}

/// The guide's block for one operation: P50 / P95 / P99 (annotated with
/// their baselines when `check`), mean and throughput.
fn block(out: &mut String, title: &str, op: &OpResult, s: &Stats, check: bool) {
    let b = if check { baseline(op.name) } else { None };
    let _ = writeln!(out, "  {title}:");
    let _ = writeln!(out, "    P50: {}ms{}", fmt_ms(s.p50_ms), note(s.p50_ms, b.and_then(|b| b.p50_ms)));
    let _ = writeln!(out, "    P95: {}ms{}", fmt_ms(s.p95_ms), note(s.p95_ms, b.and_then(|b| b.p95_ms)));
    let _ = writeln!(out, "    P99: {}ms{}", fmt_ms(s.p99_ms), note(s.p99_ms, b.and_then(|b| b.p99_ms)));
    let _ = writeln!(out, "    Mean: {}ms", fmt_ms(s.mean_ms));
    let rows = if op.name == "batch_insert" {
        format!(" ({} rows/sec)", fmt_count(s.ops_per_sec * BATCH_ROWS as f64))
    } else {
        String::new()
    };
    let _ = writeln!(out, "    Throughput: {} ops/sec{rows}", fmt_count(s.ops_per_sec));
    if check {
        let _ = writeln!(out, "    Status: {}", status(op.name, s).label());
    }
}

/// The guide's "Benchmark Results" report for one engine (`dosql` true:
/// DoSQL, with its baselines; false: SQLite, figures only).
pub fn engine_text(report: &SuiteReport, dosql: bool) -> String {
    let mut out = String::new();
    let pick = |o: &OpResult| if dosql { o.dosql } else { o.sqlite };
    let title = if dosql { "DoSQL" } else { "SQLite" };
    let heading = format!("Benchmark Results: {title}");
    let _ = writeln!(out, "{heading}\n{}", "=".repeat(heading.chars().count()));
    let find = |name: &str| report.operations.iter().find(|o| o.name == name);
    let sections: [(&str, &[(&str, String)]); 3] = [
        (
            "Query Latency",
            &[("point_query", "Point Query".to_string()), ("range_query", format!("Range Query ({BATCH_ROWS} rows)"))],
        ),
        (
            "Write Latency",
            &[
                ("insert", "Insert".to_string()),
                ("update", "Update".to_string()),
                ("delete", "Delete".to_string()),
                ("batch_insert", format!("Batch Insert ({BATCH_ROWS} rows)")),
            ],
        ),
        (
            "Cold Start",
            &[(
                "cold_start",
                format!("Time to First Query (open + first point query, {} rows)", fmt_count(COLD_START_ROWS as f64)),
            )],
        ),
    ];
    for (section, ops) in sections {
        if !ops.iter().any(|(n, _)| find(n).is_some()) {
            continue;
        }
        let _ = writeln!(out, "\n{section}:");
        for (name, label) in ops {
            if let Some(o) = find(name) {
                block(&mut out, label, o, &pick(o), dosql);
            }
        }
    }
    let concurrent: Vec<&OpResult> = report.operations.iter().filter(|o| readers(o.name).is_some()).collect();
    if !concurrent.is_empty() {
        let _ = writeln!(
            out,
            "\nConcurrent Access (point queries, one connection per client, while one writer inserts and updates):"
        );
        for o in concurrent {
            let n = readers(o.name).unwrap_or(0);
            let s = pick(o);
            let label = format!("{n} client{}:", if n == 1 { "" } else { "s" });
            let target = if dosql { baseline(o.name).and_then(|b| b.p95_ms) } else { None };
            let writes = o.writes.map(|(d, l)| if dosql { d } else { l });
            let _ = writeln!(
                out,
                "  {label:<11} P50={}ms, P95={}ms, P99={}ms, mean={}ms, throughput={} ops/sec{}{}",
                fmt_ms(s.p50_ms),
                fmt_ms(s.p95_ms),
                fmt_ms(s.p99_ms),
                fmt_ms(s.mean_ms),
                fmt_count(s.ops_per_sec),
                writes.map(|w| format!(" ({} writes by the writer)", fmt_count(w as f64))).unwrap_or_default(),
                note(s.p95_ms, target)
            );
        }
    }
    if dosql {
        for alert in alerts(report) {
            let _ = writeln!(out, "\nAlert: {alert}");
        }
        let _ = writeln!(out, "\nOverall: {}", overall(report));
    }
    out
}

/// The guide's alerts that are not latency baselines: concurrency scaling.
pub fn alerts(report: &SuiteReport) -> Vec<String> {
    let mut out = Vec::new();
    let conc: Vec<&OpResult> = report.operations.iter().filter(|o| readers(o.name).is_some()).collect();
    if let (Some(one), Some(most)) = (conc.iter().find(|o| readers(o.name) == Some(1)), conc.last())
        && readers(most.name) > Some(1)
        && one.dosql.ops_per_sec > 0.0
    {
        let factor = most.dosql.ops_per_sec / one.dosql.ops_per_sec;
        if factor < 2.0 {
            out.push(format!(
                "Concurrent Scaling (warning): {} clients reach {factor:.2}x the throughput of 1 (expected 4; \
                 check for lock contention or serial bottlenecks; this machine has {} CPUs)",
                readers(most.name).unwrap_or(0),
                report.machine.nproc
            ));
        }
    }
    out
}

/// The side-by-side table: each engine's figures, the throughput ratio
/// DoSQL / SQLite, and DoSQL's status against the baselines.
pub fn comparison_table(report: &SuiteReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| operation | DoSQL P50 ms | P95 ms | P99 ms | mean ms | ops/s | SQLite P50 ms | P95 ms | P99 ms | mean ms | ops/s | ratio | status |"
    );
    let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
    for o in &report.operations {
        let cells = |s: &Stats| {
            format!(
                "{} | {} | {} | {} | {}",
                fmt_ms(s.p50_ms),
                fmt_ms(s.p95_ms),
                fmt_ms(s.p99_ms),
                fmt_ms(s.mean_ms),
                fmt_count(s.ops_per_sec)
            )
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} | {} |",
            o.name,
            cells(&o.dosql),
            cells(&o.sqlite),
            o.ratio(),
            status(o.name, &o.dosql).label()
        );
    }
    out
}

/// The header lines: machine, date, settings.
pub fn header(report: &SuiteReport) -> String {
    let m = &report.machine;
    let o = &report.options;
    let mut out = String::new();
    let _ = writeln!(out, "dosql bench: the guide's benchmark suite, DoSQL vs SQLite {}", rusqlite::version());
    let _ = writeln!(out, "date:     {}", m.date);
    let _ = writeln!(
        out,
        "machine:  {} CPUs, {}, {} memory, kernel {}",
        m.nproc,
        m.cpu.as_deref().unwrap_or("cpu unknown"),
        m.mem.as_deref().unwrap_or("unknown"),
        m.kernel.as_deref().unwrap_or("unknown")
    );
    let _ = writeln!(
        out,
        "settings: {} rows, {} warm-up + {} timed iterations, synchronous={} (SQLite in WAL mode), seed {}",
        fmt_count(o.rows as f64),
        o.warmup,
        o.iterations,
        o.synchronous.name(),
        o.seed
    );
    if !report.optimized {
        let _ = writeln!(out, "WARNING:  a debug build; build with --release for meaningful numbers");
    }
    out
}

/// The whole text report: header, both engines' results, the table.
pub fn text(report: &SuiteReport) -> String {
    format!(
        "{}\n{}\n{}\nSide by side (ratio = DoSQL ops/s / SQLite ops/s; status: DoSQL against the guide's baselines)\n\n{}",
        header(report),
        engine_text(report, true),
        engine_text(report, false),
        comparison_table(report)
    )
}

/// One engine's figures as a JSON object.
fn stats_json(s: &Stats) -> String {
    format!(
        "{{\"p50_ms\": {}, \"p95_ms\": {}, \"p99_ms\": {}, \"mean_ms\": {}, \"ops_per_sec\": {}}}",
        json_num(s.p50_ms),
        json_num(s.p95_ms),
        json_num(s.p99_ms),
        json_num(s.mean_ms),
        json_num(s.ops_per_sec)
    )
}

/// The report as JSON: `{"operations": [{"name", "dosql": {p50_ms, p95_ms,
/// p99_ms, mean_ms, ops_per_sec}, "sqlite": {...}, "ratio"}, ...]}` with
/// the run's machine, date, rows, warmup, iterations and synchronous level
/// beside it.
pub fn json(report: &SuiteReport) -> String {
    let m = &report.machine;
    let o = &report.options;
    let opt = |s: &Option<String>| s.as_deref().map(json_str).unwrap_or_else(|| "null".to_string());
    let mut out = String::from("{\n");
    let _ = writeln!(
        out,
        "  \"machine\": {{\"nproc\": {}, \"cpu\": {}, \"mem_total\": {}, \"kernel\": {}}},",
        m.nproc,
        opt(&m.cpu),
        opt(&m.mem),
        opt(&m.kernel)
    );
    let _ = writeln!(out, "  \"date\": {},", json_str(&m.date));
    let _ = writeln!(out, "  \"rows\": {},", o.rows);
    let _ = writeln!(out, "  \"warmup\": {},", o.warmup);
    let _ = writeln!(out, "  \"iterations\": {},", o.iterations);
    let _ = writeln!(out, "  \"synchronous\": {},", json_str(o.synchronous.name()));
    out.push_str("  \"operations\": [\n");
    for (i, op) in report.operations.iter().enumerate() {
        let _ = writeln!(
            out,
            "    {{\"name\": {}, \"dosql\": {}, \"sqlite\": {}, \"ratio\": {}}}{}",
            json_str(op.name),
            stats_json(&op.dosql),
            stats_json(&op.sqlite),
            json_num(op.ratio()),
            if i + 1 < report.operations.len() { "," } else { "" }
        );
    }
    out.push_str("  ]\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{OPERATIONS, SuiteOptions};

    fn stats(base: f64) -> Stats {
        Stats {
            p50_ms: base,
            p95_ms: base * 2.0,
            p99_ms: base * 3.0,
            mean_ms: base * 1.1,
            ops_per_sec: 1000.0 / base,
            samples: 100,
        }
    }

    fn sample() -> SuiteReport {
        SuiteReport {
            machine: crate::report::Machine::detect(),
            options: SuiteOptions::default(),
            optimized: true,
            operations: OPERATIONS
                .iter()
                .enumerate()
                .map(|(i, &name)| OpResult {
                    name,
                    dosql: stats(0.5 + i as f64),
                    sqlite: stats(1.0 + i as f64),
                    writes: readers(name).map(|n| (n as u64, 2 * n as u64)),
                })
                .collect(),
        }
    }

    #[test]
    fn json_has_every_operation_with_its_fields() -> Result<(), serde_json::Error> {
        let report = sample();
        let v: serde_json::Value = serde_json::from_str(&json(&report))?;
        let ops = v["operations"].as_array().cloned().unwrap_or_default();
        let names: Vec<&str> = ops.iter().filter_map(|o| o["name"].as_str()).collect();
        assert_eq!(names, OPERATIONS.to_vec());
        for (op, r) in ops.iter().zip(&report.operations) {
            for engine in ["dosql", "sqlite"] {
                let fields: Vec<&String> = op[engine].as_object().map(|m| m.keys().collect()).unwrap_or_default();
                assert_eq!(fields.len(), 5, "{engine} of {}: {fields:?}", r.name);
                for f in ["p50_ms", "p95_ms", "p99_ms", "mean_ms", "ops_per_sec"] {
                    assert!(op[engine][f].as_f64().is_some_and(|v| v > 0.0), "{engine}.{f} of {}", r.name);
                }
            }
            assert!((op["dosql"]["p95_ms"].as_f64().unwrap_or(0.0) - r.dosql.p95_ms).abs() < 1e-9);
            assert!((op["ratio"].as_f64().unwrap_or(0.0) - r.ratio()).abs() < 1e-9);
            assert_eq!(op.as_object().map(|m| m.len()), Some(4), "{op}");
        }
        assert_eq!(v["rows"].as_u64(), Some(1000));
        assert_eq!(v["synchronous"].as_str(), Some("full"));
        assert!(v["machine"]["nproc"].as_u64().is_some());
        Ok(())
    }

    #[test]
    fn grades_follow_the_guide() {
        assert_eq!(grade(5.0, 5.0), Status::Passed);
        assert_eq!(grade(7.5, 5.0), Status::Warning);
        assert_eq!(grade(10.0, 5.0), Status::Warning);
        assert_eq!(grade(10.1, 5.0), Status::Failed);
        // Point query: P50 1, P95 6 (over 5: warning), P99 7.
        let s = Stats { p50_ms: 1.0, p95_ms: 6.0, p99_ms: 7.0, mean_ms: 1.0, ops_per_sec: 1000.0, samples: 10 };
        assert_eq!(status("point_query", &s), Status::Warning);
        // The same latencies pass as an update but a slow insert fails on throughput.
        assert_eq!(status("update", &s), Status::Passed);
        assert_eq!(status("insert", &Stats { ops_per_sec: 40.0, ..s }), Status::Failed);
        assert_eq!(status("insert", &Stats { ops_per_sec: 80.0, ..s }), Status::Warning);
        // Cold start has no P50 target.
        assert_eq!(status("cold_start", &Stats { p50_ms: 1000.0, p95_ms: 40.0, p99_ms: 90.0, ..s }), Status::Passed);
    }

    #[test]
    fn text_follows_the_guides_layout() {
        let mut report = sample();
        let t = text(&report);
        for needle in [
            "Benchmark Results: DoSQL",
            "Query Latency:",
            "  Point Query:",
            "    P95: 1.00ms  [OK - under 5ms baseline]",
            "Write Latency:",
            "Batch Insert (100 rows)",
            "rows/sec",
            "Cold Start:",
            "Concurrent Access",
            "20 clients:",
            "Benchmark Results: SQLite",
            "| point_query |",
            "Overall: ",
        ] {
            assert!(t.contains(needle), "missing {needle:?} in\n{t}");
        }
        report.operations.truncate(1);
        assert_eq!(overall(&report), "PASSED");
    }

    #[test]
    fn counts_get_separators() {
        assert_eq!(fmt_count(0.0), "0");
        assert_eq!(fmt_count(999.4), "999");
        assert_eq!(fmt_count(1234.0), "1,234");
        assert_eq!(fmt_count(1234567.0), "1,234,567");
        assert_eq!(fmt_ms(0.00123), "0.00123");
        assert_eq!(fmt_ms(12.345), "12.3");
    }
}
