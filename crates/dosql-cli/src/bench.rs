//! `dosql bench`: the guide's benchmark suite, DoSQL against SQLite.
//!
//! Parses the options, runs [`dosql_bench::suite::run`] with a progress
//! bar on stderr (plain progress lines when stderr is not a terminal),
//! prints the report on stdout and writes the JSON file if asked. The
//! measurements and the report live in the `dosql-bench` library; this
//! file only drives them.

use anyhow::{Context, Result};
use dosql_bench::suite::{self, Event, SuiteOptions, Sync};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Durability of both engines' commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Synchronous {
    /// Every commit is durable when it returns.
    Full,
    /// Commits are synced in batches (SQLite: at checkpoints).
    Normal,
}

/// The options of `dosql bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Untimed iterations before each measurement.
    #[arg(long, default_value_t = 10)]
    warmup: u64,
    /// Timed iterations of each operation (per reader thread for the
    /// concurrent reads). At 100 a concurrent run lasts well under a
    /// millisecond and its throughput is mostly thread scheduling; use
    /// thousands for steady concurrent figures.
    #[arg(long, default_value_t = 100)]
    iterations: u64,
    /// Rows loaded into the table before measuring.
    #[arg(long, default_value_t = 1000)]
    rows: u64,
    /// Commit durability of both engines (SQLite runs in WAL mode).
    #[arg(long, value_enum, default_value_t = Synchronous::Full)]
    synchronous: Synchronous,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Run only these operations (comma-separated): point_query,
    /// range_query, insert, update, delete, batch_insert, cold_start,
    /// concurrent_read_1, concurrent_read_5, concurrent_read_10,
    /// concurrent_read_20.
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    only: Vec<String>,
    /// Directory for the database files (a temporary directory is made in
    /// it and removed afterwards); the system's temporary directory if absent.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Seed of the random keys.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// Shows the suite's progress on stderr.
enum Progress {
    /// A terminal: a bar.
    Bar(ProgressBar),
    /// Not a terminal: a line per phase, at most every few seconds while
    /// loading.
    Lines { last: Option<Instant>, started: Instant },
}

impl Progress {
    fn new() -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(0);
            let style = ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {wide_msg}")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            Progress::Bar(bar)
        } else {
            Progress::Lines { last: None, started: Instant::now() }
        }
    }

    fn event(&mut self, e: Event<'_>) {
        match self {
            Progress::Bar(bar) => match e {
                Event::Plan { steps } => bar.set_length(steps),
                Event::Phase(what) => bar.set_message(what.to_string()),
                Event::Advance(n) => bar.inc(n),
            },
            Progress::Lines { last, started } => {
                if let Event::Phase(what) = e {
                    // Loading reports every batch; keep the log short.
                    let loading = what.starts_with("loading") && what.contains(": ");
                    if loading && last.is_some_and(|t| t.elapsed() < Duration::from_secs(5)) {
                        return;
                    }
                    *last = Some(Instant::now());
                    eprintln!("[{:>7.1}s] {what}", started.elapsed().as_secs_f64());
                }
            }
        }
    }

    fn finish(self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// Runs `dosql bench`.
pub fn bench(args: BenchArgs) -> Result<()> {
    let opts = SuiteOptions {
        rows: args.rows,
        warmup: args.warmup,
        iterations: args.iterations,
        synchronous: match args.synchronous {
            Synchronous::Full => Sync::Full,
            Synchronous::Normal => Sync::Normal,
        },
        only: args.only,
        dir: args.dir,
        seed: args.seed,
    };
    let mut progress = Progress::new();
    let result = suite::run(&opts, &mut |e| progress.event(e));
    progress.finish();
    let report = result?;
    print!("{}", suite::report::text(&report));
    if let Some(path) = args.json {
        std::fs::write(&path, suite::report::json(&report)).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
