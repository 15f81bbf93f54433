//! The guide's benchmark suite on DoSQL and on SQLite, side by side.
//!
//! [`run`] builds the guide's `benchmark_data` table (its benchmark schema:
//! primary key `id`, indexes on `name` and `created_at`) with the same rows
//! in a DoSQL database and a SQLite database (WAL mode, the same
//! `synchronous` level), both files in one fresh directory, then measures
//! each operation of [`OPERATIONS`] on DoSQL and then on SQLite with the
//! same statements and parameters:
//!
//! - `point_query`: one row by primary key, random ids;
//! - `range_query`: 100 consecutive rows by primary key;
//! - `insert`: one new row per autocommit transaction;
//! - `update`: one row by primary key;
//! - `delete`: one row by primary key (rows loaded for it beforehand, so
//!   every delete removes one);
//! - `batch_insert`: 100 rows in one BEGIN ... COMMIT;
//! - `cold_start`: open a 10,000-row database file and answer the first
//!   point query, a fresh open each iteration (the operating system's file
//!   cache stays warm: this is the engine's start, not the disk's);
//! - `concurrent_read_N` for N = 1, 5, 10, 20: N reader threads, each with
//!   its own connection, run point queries while one writer thread keeps
//!   inserting and updating; every read's latency counts, and throughput is
//!   all reads over the wall time.
//!
//! Each operation runs `warmup` untimed iterations, then `iterations`
//! timed ones (per reader for the concurrent ones). Latencies are wall
//! clock per operation. [`report`] renders the results as the guide's
//! report, a side-by-side table with its baselines, and JSON.
//!
//! Not covered: the guide's billing measurements and its D1 and Turso
//! comparisons (there is no network here), and any pass/fail gating (the
//! statuses are printed, not enforced).

mod engine;
mod ops;
pub mod report;
pub mod stats;

pub use engine::{EngineKind, Sync};
pub use stats::Stats;

use anyhow::{Result, bail};
use std::path::PathBuf;

/// The suite's operations, in the order they run and are reported.
pub const OPERATIONS: [&str; 11] = [
    "point_query",
    "range_query",
    "insert",
    "update",
    "delete",
    "batch_insert",
    "cold_start",
    "concurrent_read_1",
    "concurrent_read_5",
    "concurrent_read_10",
    "concurrent_read_20",
];

/// Rows in the database `cold_start` opens, as the guide's suite has it.
pub const COLD_START_ROWS: u64 = 10_000;

/// Rows per `batch_insert` transaction and per `range_query`.
pub const BATCH_ROWS: u64 = 100;

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Rows loaded before the measurements.
    pub rows: u64,
    /// Untimed iterations before each measurement.
    pub warmup: u64,
    /// Timed iterations of each operation (per reader thread for the
    /// concurrent reads).
    pub iterations: u64,
    /// Commit durability of both engines.
    pub synchronous: Sync,
    /// Operations to run (names from [`OPERATIONS`]); all if empty.
    pub only: Vec<String>,
    /// The directory in which the run makes its own temporary directory
    /// for the database files; the system's temporary directory if `None`.
    pub dir: Option<PathBuf>,
    /// Seed of the random keys.
    pub seed: u64,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        SuiteOptions {
            rows: 1000,
            warmup: 10,
            iterations: 100,
            synchronous: Sync::Full,
            only: Vec::new(),
            dir: None,
            seed: 42,
        }
    }
}

/// What the suite tells its caller while it runs.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// Sent first: the run has `steps` iterations in all.
    Plan {
        /// Iterations of every operation on both engines, warm-up included.
        steps: u64,
    },
    /// What it is doing now, e.g. `point_query on DoSQL`.
    Phase(&'a str),
    /// `n` more iterations are done.
    Advance(u64),
}

/// One operation's figures on both engines.
#[derive(Debug, Clone)]
pub struct OpResult {
    /// The operation's name, from [`OPERATIONS`].
    pub name: &'static str,
    /// DoSQL's figures.
    pub dosql: Stats,
    /// SQLite's figures.
    pub sqlite: Stats,
    /// For the concurrent reads: the writes the writer thread committed
    /// while the readers ran, on DoSQL and on SQLite.
    pub writes: Option<(u64, u64)>,
}

impl OpResult {
    /// DoSQL's throughput over SQLite's (above 1: DoSQL is faster).
    pub fn ratio(&self) -> f64 {
        if self.sqlite.ops_per_sec > 0.0 { self.dosql.ops_per_sec / self.sqlite.ops_per_sec } else { 0.0 }
    }
}

/// The results of a run.
#[derive(Debug, Clone)]
pub struct SuiteReport {
    /// The machine and the time of the run.
    pub machine: crate::report::Machine,
    /// The options it ran with.
    pub options: SuiteOptions,
    /// Whether this is an optimized build (debug numbers mean little).
    pub optimized: bool,
    /// One entry per operation run, in [`OPERATIONS`] order.
    pub operations: Vec<OpResult>,
}

/// The operations `only` selects, in [`OPERATIONS`] order; all if it is
/// empty; an error names any unknown one.
pub fn select(only: &[String]) -> Result<Vec<&'static str>> {
    for name in only {
        if !OPERATIONS.contains(&name.as_str()) {
            bail!("unknown operation {name:?}; the operations are {}", OPERATIONS.join(", "));
        }
    }
    Ok(OPERATIONS.into_iter().filter(|op| only.is_empty() || only.iter().any(|o| o == op)).collect())
}

/// The reader threads of a `concurrent_read_N` operation, `None` for others.
pub fn readers(op: &str) -> Option<usize> {
    op.strip_prefix("concurrent_read_")?.parse().ok()
}

/// Runs the suite. `progress` hears what it is doing (see [`Event`]).
pub fn run(opts: &SuiteOptions, progress: &mut dyn FnMut(Event<'_>)) -> Result<SuiteReport> {
    if opts.rows == 0 {
        bail!("--rows must be at least 1");
    }
    if opts.iterations == 0 {
        bail!("--iterations must be at least 1");
    }
    let selected = select(&opts.only)?;
    let dir = match &opts.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            tempfile::Builder::new().prefix("dosql-bench-").tempdir_in(d)?
        }
        None => tempfile::Builder::new().prefix("dosql-bench-").tempdir()?,
    };
    let per_engine = opts.warmup.saturating_add(opts.iterations);
    progress(Event::Plan { steps: per_engine.saturating_mul(2).saturating_mul(selected.len() as u64) });
    let mut suite = ops::Suite::new(opts, dir.path(), progress);
    let mut operations = Vec::new();
    for op in selected {
        operations.push(suite.measure(op)?);
    }
    drop(suite);
    dir.close()?;
    Ok(SuiteReport {
        machine: crate::report::Machine::detect(),
        options: opts.clone(),
        optimized: !cfg!(debug_assertions),
        operations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_keeps_suite_order_and_rejects_unknown_names() -> Result<()> {
        assert_eq!(select(&[])?.len(), OPERATIONS.len());
        let some = select(&["range_query".to_string(), "point_query".to_string()])?;
        assert_eq!(some, vec!["point_query", "range_query"]);
        let err = select(&["point".to_string()]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("unknown operation \"point\""), "{err}");
        Ok(())
    }

    #[test]
    fn reader_counts_come_from_names() {
        assert_eq!(readers("concurrent_read_20"), Some(20));
        assert_eq!(readers("concurrent_read_1"), Some(1));
        assert_eq!(readers("point_query"), None);
    }
}
