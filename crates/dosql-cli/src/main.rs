//! The `dosql` command.
//!
//! It runs SQL against a database file (`exec`), reports on a database
//! (`info`), runs sqllogictest files (`slt`), the storage engine's
//! crash-simulation soak (`soak`), the SQL fuzzer (`fuzz`) and the guide's
//! benchmark suite against SQLite (`bench`), and is an interactive SQL shell
//! modelled on sqlite3's (`shell`, see [`shell`]).

mod bench;

use anyhow::{Context, Result};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use dosql_storage::{Config, Database};
use std::io::Write;
use std::path::PathBuf;

mod shell;

#[derive(Parser)]
#[command(name = "dosql", version, about = "DoSQL: an embedded SQL database with SQLite's dialect")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Open (and recover) a database and print what recovery found and its statistics.
    Info {
        /// The database file; created if absent.
        #[arg(default_value = "dosql.db")]
        path: PathBuf,
    },
    /// Run SQL statements (separated by `;`) against a database and print
    /// each result row with values separated by `|`, as sqlite3's list mode.
    Exec {
        /// The database file; created if absent.
        path: PathBuf,
        /// The SQL to run.
        sql: String,
        /// Print each statement's rows as a JSON array of objects keyed by
        /// column name, as sqlite3's `-json` mode.
        #[arg(long)]
        json: bool,
    },
    /// An interactive SQL shell, as sqlite3's: dot commands (`.help`),
    /// output modes, `.import`, `.dump`. Reads stdin without prompts when it
    /// is not a terminal. Options may also be written with one dash, as
    /// sqlite3 writes them (`-csv`, `-cmd .tables`).
    Shell(shell::options::ShellArgs),
    /// Run sqllogictest files (directories are walked for `*.test`), each on
    /// a fresh in-memory database; prints a line per file and a total.
    Slt {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Show each failure with its SQL, expected and actual output.
        #[arg(long)]
        verbose: bool,
    },
    /// Run crash-simulation workloads against the fault-injecting storage.
    Soak {
        /// Number of workloads.
        #[arg(long, default_value_t = 100_000)]
        workloads: u64,
        /// First seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Run random SQL scripts (schema, DML, queries, transactions, garbage)
    /// on in-memory databases, checking for panics, empty error messages and
    /// inconsistent databases after failures. Without a budget, 2,000 statements.
    Fuzz {
        /// Run for this many seconds.
        #[arg(long)]
        seconds: Option<u64>,
        /// Run at least this many statements.
        #[arg(long)]
        statements: Option<u64>,
        /// The run's seed (script i uses seed + i).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Run the guide's benchmark suite on DoSQL and on SQLite side by side
    /// and print P50/P95/P99/mean/throughput, the ratio and the baselines check.
    Bench(bench::BenchArgs),
}

fn fuzz(seconds: Option<u64>, statements: Option<u64>, seed: u64) -> Result<()> {
    let opts = dosql_fuzz::Options { seed, statements, duration: seconds.map(std::time::Duration::from_secs) };
    eprintln!("fuzzing with seed {seed}");
    let start = std::time::Instant::now();
    let mut last = start;
    let report = dosql_fuzz::fuzz(&opts, |r| {
        if last.elapsed() >= std::time::Duration::from_secs(5) {
            last = std::time::Instant::now();
            eprintln!("{:.0?}: {} ({} scripts)", start.elapsed(), r.summary(), r.scripts);
        }
    });
    for f in &report.findings {
        println!("{}", f.describe());
        if let dosql_fuzz::FindingKind::Panic { backtrace, .. } = &f.kind {
            let frames: Vec<&str> = backtrace.lines().filter(|l| l.contains("dosql")).take(12).collect();
            println!("  backtrace (dosql frames):\n    {}", frames.join("\n    "));
        }
        println!("  seed {seed}; minimized script ({} statements):", f.script.len());
        for s in &f.script {
            println!("    {s};");
        }
    }
    println!("{}", report.summary());
    if !report.findings.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

fn info(path: PathBuf) -> Result<()> {
    let db = Database::open(&path, Config::default()).with_context(|| format!("opening {}", path.display()))?;
    let rep = db.recovery_report();
    println!("database     {}", db.path());
    println!("page size    {} bytes", db.page_size());
    println!("checkpoint   #{} at LSN {}", rep.checkpoint_id, rep.checkpoint_lsn);
    println!("recovered    {} transactions from the log, last LSN {}", rep.replayed_txns, rep.last_lsn);
    if let Some(why) = &rep.truncation_reason {
        println!("log tail cut {} bytes: {why}", rep.truncated_bytes);
    }
    let r = db.begin_read();
    let trees = r.trees();
    println!("trees        {}", trees.len());
    for t in trees {
        println!("  tree {t}: {} entries", r.tree_len(t)?);
    }
    drop(r);
    let st = db.stats();
    println!("pages        {} ({} free, {} awaiting reuse)", st.page_count, st.free_pages, st.pending_free_pages);
    db.close()?;
    Ok(())
}

fn soak(workloads: u64, seed: u64) -> Result<()> {
    let start = std::time::Instant::now();
    let report = dosql_storage::sim::soak(seed, workloads, |s| {
        let done = s - seed;
        if done > 0 && done.is_multiple_of(10_000) {
            eprintln!("{done} workloads, {:.0?}", start.elapsed());
        }
    })
    .map_err(|f| anyhow::anyhow!("{f}"))?;
    println!("{report:#?}");
    println!("{workloads} passed, 0 failed");
    Ok(())
}

fn exec(path: PathBuf, sql: &str, json: bool) -> Result<()> {
    let mut conn = dosql_sql::Connection::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let stmts = dosql_sql::parse::parse_sql(sql).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for s in stmts {
        match conn.execute(&s.sql) {
            Ok(results) => {
                let mode = if json { shell::render::Mode::Json } else { shell::render::Mode::List };
                let fmt = shell::render::Format::new(mode);
                for r in results {
                    shell::render::render(&mut out, &fmt, &r.columns, &r.rows)?;
                }
            }
            Err(e) => {
                out.flush()?;
                eprintln!("Error: {e}");
                std::process::exit(1);
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn slt(paths: &[PathBuf], verbose: bool) -> Result<()> {
    let files = dosql_slt::collect_test_files(paths)?;
    let opts = dosql_slt::RunOptions { verbose, ..dosql_slt::RunOptions::default() };
    let (mut passed, mut failed) = (0, 0);
    for f in files {
        let mut engine = dosql_slt::DosqlEngine::in_memory()?;
        let start = std::time::Instant::now();
        let report = dosql_slt::run_file(&f, &mut engine, &opts)?;
        println!(
            "{}: {} ({:.1?})",
            f.display(),
            dosql_slt::format_summary(report.passed, report.failed),
            start.elapsed()
        );
        passed += report.passed;
        failed += report.failed;
    }
    println!("{}", dosql_slt::format_summary(passed, failed));
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}

fn main() -> Result<()> {
    let argv = shell::options::single_dash_long_options(std::env::args_os().collect());
    let matches = Cli::command().get_matches_from(argv);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli.command {
        // The embedded default: the shell on `dosql.db` in the current directory.
        None => {
            let args = shell::options::ShellArgs { path: Some(PathBuf::from("dosql.db")), ..Default::default() };
            std::process::exit(shell::options::run(args, &[])?)
        }
        Some(Command::Info { path }) => info(path),
        Some(Command::Soak { workloads, seed }) => soak(workloads, seed),
        Some(Command::Exec { path, sql, json }) => exec(path, &sql, json),
        Some(Command::Slt { paths, verbose }) => slt(&paths, verbose),
        Some(Command::Shell(args)) => {
            let order = matches.subcommand_matches("shell").map(shell::options::ShellArgs::order).unwrap_or_default();
            std::process::exit(shell::options::run(args, &order)?)
        }
        Some(Command::Fuzz { seconds, statements, seed }) => fuzz(seconds, statements, seed),
        Some(Command::Bench(args)) => bench::bench(args),
    }
}
