//! `dosql bench`: the whole suite runs with tiny counts and writes a JSON
//! report with every operation and positive figures for both engines;
//! `--only` runs a subset and unknown names are refused. No timing is
//! asserted.

use std::process::Command;

fn dosql(args: &[&str]) -> (String, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_dosql")).args(args).output().expect("run dosql");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

use dosql_bench::suite::OPERATIONS;

/// The operations of a JSON report, after checking each one's fields.
fn operations(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).expect("the report is JSON");
    let ops = v["operations"].as_array().expect("an operations array");
    let mut names = Vec::new();
    for op in ops {
        let name = op["name"].as_str().expect("a name").to_string();
        for engine in ["dosql", "sqlite"] {
            for field in ["p50_ms", "p95_ms", "p99_ms", "mean_ms", "ops_per_sec"] {
                let x = op[engine][field].as_f64();
                assert!(x.is_some_and(|x| x > 0.0), "{name}: {engine}.{field} = {:?}", op[engine][field]);
            }
            let s = &op[engine];
            let (p50, p95, p99) = (s["p50_ms"].as_f64(), s["p95_ms"].as_f64(), s["p99_ms"].as_f64());
            assert!(p50 <= p95 && p95 <= p99, "{name}: {engine} percentiles out of order: {s}");
        }
        assert!(op["ratio"].as_f64().is_some_and(|r| r > 0.0), "{name}: ratio {}", op["ratio"]);
        names.push(name);
    }
    names
}

#[test]
fn the_whole_suite_with_tiny_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("bench.json");
    let json_arg = json.to_str().expect("utf-8 path");
    let dir_arg = dir.path().to_str().expect("utf-8 path");
    let (out, err, ok) = dosql(&[
        "bench",
        "--rows",
        "200",
        "--iterations",
        "5",
        "--warmup",
        "1",
        "--synchronous",
        "normal",
        "--dir",
        dir_arg,
        "--json",
        json_arg,
    ]);
    assert!(ok, "dosql bench failed:\n{err}");
    let text = std::fs::read_to_string(&json).expect("the JSON file");
    assert_eq!(operations(&text), OPERATIONS.to_vec());
    for needle in ["Benchmark Results: DoSQL", "Benchmark Results: SQLite", "Overall: ", "| concurrent_read_20 |"] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    // The run's own directory is removed; only the JSON file is left.
    let left: Vec<_> =
        std::fs::read_dir(dir.path()).expect("list dir").filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("bench.json")]);
}

#[test]
fn only_runs_a_subset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("bench.json");
    let (_, err, ok) = dosql(&[
        "bench",
        "--rows",
        "150",
        "--iterations",
        "3",
        "--warmup",
        "0",
        "--only",
        "range_query,point_query",
        "--json",
        json.to_str().expect("utf-8 path"),
    ]);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&json).expect("the JSON file");
    assert_eq!(operations(&text), vec!["point_query", "range_query"]);
    let (_, err, ok) = dosql(&["bench", "--only", "nope"]);
    assert!(!ok);
    assert!(err.contains("unknown operation \"nope\""), "{err}");
}
