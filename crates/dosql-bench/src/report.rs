//! Results and their presentation: latency statistics, the machine
//! description, the text table and the JSON file of `storage-bench`,
//! and the machine description and JSON helpers the suite shares.

use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// One engine's result on one workload.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Engine name.
    pub engine: &'static str,
    /// Operations done (inserted keys, lookups or scans).
    pub ops: u64,
    /// Wall time of all of them.
    pub elapsed: Duration,
    /// Latency of each timed unit (a transaction for inserts, a lookup or
    /// a scan for reads), in nanoseconds, sorted.
    pub unit_ns: Vec<u64>,
    /// Time of the final checkpoint / durable commit (inserts only; not
    /// part of `elapsed`).
    pub finish: Option<Duration>,
    /// Bytes on disk after the workload (inserts only).
    pub disk_bytes: Option<u64>,
}

impl Measurement {
    /// Operations per second.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-12)
    }

    /// Mean latency per operation in microseconds.
    pub fn mean_us(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1e6 / (self.ops.max(1) as f64)
    }

    /// The `q` quantile of the unit latency in microseconds.
    pub fn unit_quantile_us(&self, q: f64) -> f64 {
        if self.unit_ns.is_empty() {
            return 0.0;
        }
        let i = ((self.unit_ns.len() - 1) as f64 * q).round() as usize;
        self.unit_ns[i.min(self.unit_ns.len() - 1)] as f64 / 1e3
    }
}

/// One workload's results for every engine.
#[derive(Debug, Clone)]
pub struct WorkloadResult {
    /// Workload name.
    pub name: &'static str,
    /// What one op and one timed unit are.
    pub unit: &'static str,
    /// One entry per engine, in the order they ran.
    pub results: Vec<Measurement>,
}

impl WorkloadResult {
    fn get(&self, engine: &str) -> Option<&Measurement> {
        self.results.iter().find(|m| m.engine == engine)
    }

    /// Throughput of ours over redb's (> 1: ours is faster).
    pub fn ratio(&self) -> Option<f64> {
        Some(self.get("dosql")?.ops_per_sec() / self.get("redb")?.ops_per_sec())
    }

    /// The one-line summary printed after the workload.
    pub fn line(&self) -> String {
        let mut s = format!("{:<11}", self.name);
        for m in &self.results {
            let _ = write!(s, "  {}: {:>10.0} ops/s, {:>8.2} µs/op", m.engine, m.ops_per_sec(), m.mean_us());
        }
        if let Some(r) = self.ratio() {
            let _ = write!(s, "  ours/redb = {r:.2}x");
        }
        s
    }
}

/// The machine and run description.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Logical CPUs available.
    pub nproc: usize,
    /// CPU model from /proc/cpuinfo.
    pub cpu: Option<String>,
    /// Total memory from /proc/meminfo.
    pub mem: Option<String>,
    /// Kernel release.
    pub kernel: Option<String>,
    /// UTC date and time of the run.
    pub date: String,
}

impl Machine {
    /// Describes this machine now.
    pub fn detect() -> Self {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        let field = |text: Option<String>, name: &str| {
            text.and_then(|t| {
                t.lines()
                    .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
        };
        Machine {
            nproc: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            cpu: field(read("/proc/cpuinfo"), "model name"),
            mem: field(read("/proc/meminfo"), "MemTotal"),
            kernel: read("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()),
            date: utc_now(),
        }
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem / 60 % 60, rem % 60)
}

/// The summary table.
pub fn table(results: &[WorkloadResult]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<11} {:<6} {:>10} {:>12} {:>10} {:>12} {:>12} {:>10} {:>10} {:>10}",
        "workload", "engine", "ops", "ops/s", "µs/op", "unit p50 µs", "unit p99 µs", "secs", "finish s", "disk MiB"
    );
    for w in results {
        for m in &w.results {
            let opt = |v: Option<f64>, prec: usize| match v {
                Some(v) => format!("{v:.prec$}"),
                None => "-".to_string(),
            };
            let _ = writeln!(
                s,
                "{:<11} {:<6} {:>10} {:>12.0} {:>10.2} {:>12.1} {:>12.1} {:>10.2} {:>10} {:>10}",
                w.name,
                m.engine,
                m.ops,
                m.ops_per_sec(),
                m.mean_us(),
                m.unit_quantile_us(0.5),
                m.unit_quantile_us(0.99),
                m.elapsed.as_secs_f64(),
                opt(m.finish.map(|d| d.as_secs_f64()), 3),
                opt(m.disk_bytes.map(|b| b as f64 / (1024.0 * 1024.0)), 1),
            );
        }
        if let Some(r) = w.ratio() {
            let _ = writeln!(s, "{:<11} {:<6} throughput ratio ours/redb = {r:.3}", w.name, "ratio");
        }
    }
    s
}

/// `s` as a JSON string literal, quoted by the SQL engine's JSON writer.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    dosql_sql::func::json::node::push_quoted(&mut out, s);
    out
}

fn json_opt_str(s: &Option<String>) -> String {
    s.as_deref().map(json_str).unwrap_or_else(|| "null".to_string())
}

/// `v` as a JSON number (`null` if it is not finite).
pub fn json_num(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { "null".to_string() }
}

/// Writes the run as JSON to `path`. `params` are the run's settings as
/// (name, already-encoded JSON value) pairs.
pub fn write_json(path: &Path, machine: &Machine, params: &[(&str, String)], results: &[WorkloadResult]) -> Result<()> {
    let mut s = String::from("{\n  \"machine\": {");
    let _ = writeln!(
        s,
        "\"nproc\": {}, \"cpu\": {}, \"mem_total\": {}, \"kernel\": {}, \"date\": {}}},",
        machine.nproc,
        json_opt_str(&machine.cpu),
        json_opt_str(&machine.mem),
        json_opt_str(&machine.kernel),
        json_str(&machine.date)
    );
    s.push_str("  \"params\": {");
    for (i, (k, v)) in params.iter().enumerate() {
        let _ = write!(s, "{}{}: {}", if i > 0 { ", " } else { "" }, json_str(k), v);
    }
    s.push_str("},\n  \"workloads\": [\n");
    for (wi, w) in results.iter().enumerate() {
        let _ = writeln!(
            s,
            "    {{\"name\": {}, \"unit\": {}, \"ratio_ours_over_redb\": {}, \"results\": [",
            json_str(w.name),
            json_str(w.unit),
            w.ratio().map(json_num).unwrap_or_else(|| "null".to_string())
        );
        for (mi, m) in w.results.iter().enumerate() {
            let _ = writeln!(
                s,
                "      {{\"engine\": {}, \"ops\": {}, \"secs\": {}, \"ops_per_sec\": {}, \"mean_us_per_op\": {}, \
                 \"unit_p50_us\": {}, \"unit_p99_us\": {}, \"unit_max_us\": {}, \"finish_secs\": {}, \"disk_bytes\": {}}}{}",
                json_str(m.engine),
                m.ops,
                json_num(m.elapsed.as_secs_f64()),
                json_num(m.ops_per_sec()),
                json_num(m.mean_us()),
                json_num(m.unit_quantile_us(0.5)),
                json_num(m.unit_quantile_us(0.99)),
                json_num(m.unit_quantile_us(1.0)),
                m.finish.map(|d| json_num(d.as_secs_f64())).unwrap_or_else(|| "null".to_string()),
                m.disk_bytes.map(|b| b.to_string()).unwrap_or_else(|| "null".to_string()),
                if mi + 1 < w.results.len() { "," } else { "" }
            );
        }
        let _ = writeln!(s, "    ]}}{}", if wi + 1 < results.len() { "," } else { "" });
    }
    s.push_str("  ]\n}\n");
    std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        // Round trip through a real JSON parser rather than a hand-written
        // expectation of one escaping style.
        for s in ["a\"b\\c\n", "tab\there", "\u{1}\u{1f}", "ünïcödé ✓"] {
            let back: String = serde_json::from_str(&json_str(s)).expect("valid JSON string");
            assert_eq!(back, s);
        }
    }

    #[test]
    fn quantiles_pick_sorted_samples() {
        let m = Measurement {
            engine: "dosql",
            ops: 4,
            elapsed: Duration::from_micros(4),
            unit_ns: vec![1000, 2000, 3000, 4000],
            finish: None,
            disk_bytes: None,
        };
        assert_eq!(m.unit_quantile_us(0.0), 1.0);
        assert_eq!(m.unit_quantile_us(1.0), 4.0);
        assert!((m.mean_us() - 1.0).abs() < 1e-9);
    }
}
