//! `storage-bench`: DoSQL's own benchmark harness. It runs the same
//! workloads against DoSQL's storage engine and against redb 2, with the
//! same durability, each engine in a fresh temporary directory on disk,
//! and reports throughput, latency and the throughput ratio ours/redb.
//!
//! Workloads over N keys (8-byte big-endian u64s, 100-byte values):
//!
//! - `seq_insert`: keys `0..N` in ascending order, in transactions of 100;
//! - `rand_insert`: the same keys in a seeded random permutation, in
//!   transactions of 100, into a second fresh database;
//! - `point_read`: seeded random lookups in the `rand_insert` database;
//! - `range_scan`: scans of 100 consecutive keys from seeded random start
//!   keys in the `rand_insert` database.
//!
//! Engines run alternately, workload by workload, so background load on
//! the machine hits both alike.

mod engines;

use anyhow::{Context, Result, bail};
use clap::Parser;
use dosql_bench::report::{self, Machine, Measurement, WorkloadResult};
use engines::{Durability, Engine, EngineKind};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::time::Instant;

/// How reads use read transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReadTxn {
    /// Every lookup or scan begins (and ends) its own read transaction.
    PerOp,
    /// One read transaction serves every lookup (or scan) of a workload.
    Shared,
}

/// Compare DoSQL's storage engine with redb on insert, lookup and scan
/// workloads.
#[derive(Debug, Parser)]
#[command(name = "storage-bench", version)]
struct Args {
    /// Keys per workload.
    #[arg(long, default_value_t = 1_000_000)]
    keys: u64,
    /// Durability of both engines: full (ours Synchronous::Full, redb
    /// Immediate), normal (Normal / Eventual) or off (Off / None).
    #[arg(long, value_enum, default_value_t = Durability::Full)]
    durability: Durability,
    /// Keys per insert transaction.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Random point lookups.
    #[arg(long, default_value_t = 200_000)]
    point_reads: u64,
    /// Range scans.
    #[arg(long, default_value_t = 20_000)]
    scans: u64,
    /// Keys per range scan.
    #[arg(long, default_value_t = 100)]
    scan_len: u64,
    /// Read transactions: one per lookup/scan, or one shared per workload.
    #[arg(long, value_enum, default_value_t = ReadTxn::PerOp)]
    read_txn: ReadTxn,
    /// Cache budget in MiB given to both engines; by default each engine
    /// keeps its own default (ours 32 MiB, redb 1 GiB).
    #[arg(long)]
    cache_mb: Option<usize>,
    /// Seed of the key orders.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Directory in which the temporary database directories are made
    /// (default: the system temp directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Engines to run, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "dosql,redb")]
    engines: Vec<EngineKind>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.keys == 0 || args.batch == 0 {
        bail!("--keys and --batch must be positive");
    }
    if args.scan_len > args.keys {
        bail!("--scan-len {} is larger than --keys {}", args.scan_len, args.keys);
    }
    let parent = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let machine = Machine::detect();
    let started = Instant::now();

    println!("storage-bench: DoSQL storage engine vs redb 2");
    println!("date:       {}", machine.date);
    println!("machine:    nproc {}, cpu {}", machine.nproc, machine.cpu.as_deref().unwrap_or("unknown"));
    println!(
        "            mem {}, kernel {}",
        machine.mem.as_deref().unwrap_or("unknown"),
        machine.kernel.as_deref().unwrap_or("unknown")
    );
    if cfg!(debug_assertions) {
        println!("WARNING:    this is a debug build; use --release for meaningful numbers");
    }
    println!(
        "params:     keys {}, value 100 B, batch {}, durability {}, point reads {}, scans {} x {} keys, \
         read txn {}, seed {}",
        args.keys,
        args.batch,
        args.durability.name(),
        args.point_reads,
        args.scans,
        args.scan_len,
        match args.read_txn {
            ReadTxn::PerOp => "per op",
            ReadTxn::Shared => "shared",
        },
        args.seed
    );
    println!(
        "cache:      {}",
        match args.cache_mb {
            Some(mb) => format!("{mb} MiB for both engines"),
            None => "engine defaults (ours 32 MiB page cache, redb 1 GiB)".to_string(),
        }
    );
    println!("directory:  {}", parent.display());
    println!();

    let cache_bytes = args.cache_mb.map(|mb| mb * 1024 * 1024);
    let mut rng = SmallRng::seed_from_u64(args.seed);
    let seq: Vec<u64> = (0..args.keys).collect();
    let mut shuffled = seq.clone();
    shuffled.shuffle(&mut rng);
    let lookups: Vec<u64> = (0..args.point_reads).map(|_| rng.random_range(0..args.keys)).collect();
    let starts: Vec<u64> = (0..args.scans).map(|_| rng.random_range(0..=args.keys - args.scan_len)).collect();

    let mut results = Vec::new();

    // seq_insert: one database per engine, dropped afterwards.
    let mut w = WorkloadResult { name: "seq_insert", unit: "op = key inserted; unit = transaction", results: vec![] };
    for &kind in &args.engines {
        let mut engine = engines::open(kind, &parent, args.durability, cache_bytes)?;
        w.results.push(insert(kind, &mut *engine, &seq, args.batch)?);
        print_counters(kind, "seq_insert", &*engine);
    }
    println!("{}", w.line());
    results.push(w);

    // rand_insert: these databases serve the read workloads too.
    let mut loaded: Vec<(EngineKind, Box<dyn Engine>)> = Vec::new();
    let mut w = WorkloadResult { name: "rand_insert", unit: "op = key inserted; unit = transaction", results: vec![] };
    for &kind in &args.engines {
        let mut engine = engines::open(kind, &parent, args.durability, cache_bytes)?;
        w.results.push(insert(kind, &mut *engine, &shuffled, args.batch)?);
        print_counters(kind, "rand_insert", &*engine);
        loaded.push((kind, engine));
    }
    println!("{}", w.line());
    results.push(w);

    let mut w = WorkloadResult { name: "point_read", unit: "op = unit = lookup", results: vec![] };
    for (kind, engine) in &loaded {
        w.results.push(reads(*kind, &**engine, &lookups, args.read_txn, |r, k| r.get(k).map(|n| n as u64))?);
        print_counters(*kind, "point_read", &**engine);
    }
    println!("{}", w.line());
    results.push(w);

    let len = args.scan_len;
    let mut w = WorkloadResult { name: "range_scan", unit: "op = unit = scan", results: vec![] };
    for (kind, engine) in &loaded {
        w.results.push(reads(*kind, &**engine, &starts, args.read_txn, |r, s| {
            let n = r.scan(s, len)? as u64;
            if n != len {
                bail!("{}: scan from {s} returned {n} keys, expected {len}", kind.name());
            }
            Ok(n)
        })?);
        print_counters(*kind, "range_scan", &**engine);
    }
    println!("{}", w.line());
    results.push(w);
    drop(loaded);

    println!();
    println!("summary (op: inserts = one key, point_read = one lookup, range_scan = one scan of {len} keys;");
    println!("         unit latency: inserts = one transaction of {} keys incl. commit, reads = one op;", args.batch);
    println!("         finish = final checkpoint (ours) / higher-durability commit (redb), not in ops/s)");
    print!("{}", report::table(&results));
    let wall = started.elapsed();
    println!("total wall time {:.1} s", wall.as_secs_f64());

    if let Some(path) = &args.json {
        let params = vec![
            ("keys", args.keys.to_string()),
            ("value_len", engines::VALUE_LEN.to_string()),
            ("batch", args.batch.to_string()),
            ("durability", format!("\"{}\"", args.durability.name())),
            ("point_reads", args.point_reads.to_string()),
            ("scans", args.scans.to_string()),
            ("scan_len", args.scan_len.to_string()),
            ("read_txn", format!("\"{}\"", if args.read_txn == ReadTxn::PerOp { "per_op" } else { "shared" })),
            ("cache_mb", args.cache_mb.map(|m| m.to_string()).unwrap_or_else(|| "null".to_string())),
            ("seed", args.seed.to_string()),
            ("wall_secs", format!("{}", wall.as_secs_f64())),
        ];
        report::write_json(path, &machine, &params, &results)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Prints the engine's cumulative counters (to stderr, beside the progress lines).
fn print_counters(kind: EngineKind, workload: &str, engine: &dyn Engine) {
    if let Some(c) = engine.counters() {
        eprintln!("  {} after {workload}: {c}", kind.name());
    }
}

/// Inserts `keys` in transactions of `batch`, then finishes the engine.
fn insert(kind: EngineKind, engine: &mut dyn Engine, keys: &[u64], batch: usize) -> Result<Measurement> {
    eprintln!("  {} inserting {} keys ...", kind.name(), keys.len());
    let mut unit_ns = Vec::with_capacity(keys.len().div_ceil(batch));
    let t = Instant::now();
    for chunk in keys.chunks(batch) {
        let u = Instant::now();
        engine.insert_txn(chunk).with_context(|| format!("{} insert", kind.name()))?;
        unit_ns.push(u.elapsed().as_nanos() as u64);
    }
    let elapsed = t.elapsed();
    let finish = engine.finish().with_context(|| format!("{} finish", kind.name()))?;
    unit_ns.sort_unstable();
    Ok(Measurement {
        engine: kind.name(),
        ops: keys.len() as u64,
        elapsed,
        unit_ns,
        finish: Some(finish),
        disk_bytes: Some(engine.disk_bytes()?),
    })
}

/// Runs `op` on every item of `items`, in read transactions as `mode` says.
fn reads(
    kind: EngineKind,
    engine: &dyn Engine,
    items: &[u64],
    mode: ReadTxn,
    op: impl Fn(&dyn engines::Reader, u64) -> Result<u64>,
) -> Result<Measurement> {
    eprintln!("  {} reading ({} ops) ...", kind.name(), items.len());
    let mut unit_ns = Vec::with_capacity(items.len());
    let mut check = 0u64;
    let t = Instant::now();
    let shared = match mode {
        ReadTxn::Shared => Some(engine.reader()?),
        ReadTxn::PerOp => None,
    };
    for &item in items {
        let u = Instant::now();
        check += match &shared {
            Some(r) => op(&**r, item)?,
            None => op(&*engine.reader()?, item)?,
        };
        unit_ns.push(u.elapsed().as_nanos() as u64);
    }
    drop(shared);
    let elapsed = t.elapsed();
    std::hint::black_box(check);
    unit_ns.sort_unstable();
    Ok(Measurement { engine: kind.name(), ops: items.len() as u64, elapsed, unit_ns, finish: None, disk_bytes: None })
}
