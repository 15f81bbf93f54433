//! The `dosql` command.
//!
//! Today it opens a database file (recovering it if needed) and reports on
//! it, and runs the storage engine's crash-simulation soak. The SQL shell
//! (`dosql exec`, `dosql shell`, `dosql slt`) arrives with the SQL engine.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use dosql_storage::{Config, Database};
use std::path::PathBuf;

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
    /// Run crash-simulation workloads against the fault-injecting storage.
    Soak {
        /// Number of workloads.
        #[arg(long, default_value_t = 100_000)]
        workloads: u64,
        /// First seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
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

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => info(PathBuf::from("dosql.db")),
        Some(Command::Info { path }) => info(path),
        Some(Command::Soak { workloads, seed }) => soak(workloads, seed),
    }
}
