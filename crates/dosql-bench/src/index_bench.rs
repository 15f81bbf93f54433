//! `index-bench`: proof that DoSQL's queries use their indexes. For a
//! table of each requested size it measures the median (P50) latency of a
//! point query by primary key, a point query by a secondary index, and a
//! 100-row range query by primary key, on DoSQL and on SQLite (bundled
//! with rusqlite, WAL mode) in the same run with the same schema and data,
//! and prints both with the ratio of SQLite's time to DoSQL's (above 1:
//! DoSQL is faster). With an index, a query's P50 should barely grow with
//! the table: the last lines compare each DoSQL P50 at the largest size
//! with the smallest (the planner issue asks for at most 2x).
//!
//! Queries run prepared, with seeded random keys, every result row read in
//! full on both engines. Timings are wall-clock per query; nothing here is
//! a pass/fail test.

use anyhow::{Context, Result};
use clap::Parser;
use dosql_bench::report;
use dosql_sql::{Connection, Value};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

/// Measure indexed point and range queries on DoSQL and SQLite.
#[derive(Debug, Parser)]
#[command(name = "index-bench", version)]
struct Args {
    /// Table sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = vec![10_000u64, 1_000_000])]
    rows: Vec<u64>,
    /// Timed queries per measurement.
    #[arg(long, default_value_t = 2_000)]
    iterations: u64,
    /// Untimed queries before each measurement.
    #[arg(long, default_value_t = 200)]
    warmup: u64,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Measure only these queries (0: by primary key, 1: by secondary
    /// index, 2: range, 3: newest of a tenant), comma-separated; all by
    /// default. For profiling one access path.
    #[arg(long, value_delimiter = ',')]
    only: Vec<usize>,
    /// DoSQL's page cache budget in MiB (the engine's default if absent).
    #[arg(long)]
    cache_mib: Option<usize>,
}

const SCHEMA: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, tenant_id TEXT, created_at INTEGER, name TEXT);
CREATE INDEX idx_users_email ON users(email);
CREATE INDEX idx_users_tenant_created ON users(tenant_id, created_at);";

/// The benchmark's queries: a name, the SQL, and how many `?` it takes.
const QUERIES: [(&str, &str); 4] = [
    ("point by primary key", "SELECT * FROM users WHERE id = ?1"),
    ("point by secondary index", "SELECT * FROM users WHERE email = ?1"),
    ("range, 100 rows", "SELECT * FROM users WHERE id >= ?1 AND id < ?1 + 100"),
    // The guide's paginated read: an index gives the order, LIMIT stops it.
    ("newest 100 of a tenant", "SELECT * FROM users WHERE tenant_id = ?1 ORDER BY created_at DESC LIMIT 100"),
];

fn tenant(i: u64) -> String {
    format!("tenant-{}", i % 100)
}

fn email(i: u64) -> String {
    format!("user{i}@example.com")
}

/// The parameter of query `q` for row `i`.
fn param(q: usize, i: u64) -> Value {
    match q {
        1 => Value::Text(email(i)),
        3 => Value::Text(tenant(i)),
        _ => Value::Integer(i as i64),
    }
}

fn fill_dosql(c: &mut Connection, rows: u64) -> Result<()> {
    c.execute(SCHEMA)?;
    let mut ins = c.prepare("INSERT INTO users VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for chunk in (1..=rows).collect::<Vec<_>>().chunks(10_000) {
        c.execute("BEGIN")?;
        for &i in chunk {
            let row = [
                Value::Integer(i as i64),
                Value::Text(email(i)),
                Value::Text(tenant(i)),
                Value::Integer(1_705_840_000_000 + i as i64),
                Value::Text(format!("User {i}")),
            ];
            c.run_prepared(&mut ins, &row)?;
        }
        c.execute("COMMIT")?;
    }
    Ok(())
}

fn fill_sqlite(db: &rusqlite::Connection, rows: u64) -> Result<()> {
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    db.execute_batch(SCHEMA)?;
    for chunk in (1..=rows).collect::<Vec<_>>().chunks(10_000) {
        db.execute_batch("BEGIN")?;
        {
            let mut ins = db.prepare_cached("INSERT INTO users VALUES (?1, ?2, ?3, ?4, ?5)")?;
            for &i in chunk {
                let name = format!("User {i}");
                ins.execute(rusqlite::params![i as i64, email(i), tenant(i), 1_705_840_000_000 + i as i64, name])?;
            }
        }
        db.execute_batch("COMMIT")?;
    }
    Ok(())
}

/// The median of `samples` (sorted in place), in microseconds.
fn p50_us(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(0.0)
}

/// P50s of each query on DoSQL, then on SQLite, for a table of `rows`.
fn measure(args: &Args, rows: u64) -> Result<Vec<(f64, f64, usize)>> {
    let dir = tempfile::tempdir()?;
    let mut config = dosql_storage::Config::default();
    if let Some(mib) = args.cache_mib {
        config.cache_bytes = mib << 20;
    }
    let mut ours = Connection::from_database(dosql_storage::Database::open(dir.path().join("dosql.db"), config)?)?;
    let t = Instant::now();
    fill_dosql(&mut ours, rows)?;
    eprintln!("  {rows} rows loaded into DoSQL in {:.1} s", t.elapsed().as_secs_f64());
    let lite = rusqlite::Connection::open(dir.path().join("sqlite.db"))?;
    let t = Instant::now();
    fill_sqlite(&lite, rows)?;
    eprintln!("  {rows} rows loaded into SQLite in {:.1} s", t.elapsed().as_secs_f64());
    let mut out = Vec::new();
    for (q, (_, sql)) in QUERIES.iter().enumerate() {
        if !args.only.is_empty() && !args.only.contains(&q) {
            out.push((f64::NAN, f64::NAN, 0));
            continue;
        }
        let mut rng = SmallRng::seed_from_u64(args.seed);
        // Range starts leave room for 100 rows.
        let top = if q == 2 { rows.saturating_sub(100).max(1) } else { rows };
        let keys: Vec<u64> = (0..args.warmup + args.iterations).map(|_| rng.random_range(1..=top)).collect();
        let mut stmt = ours.prepare(sql)?;
        let before = ours.database().stats();
        let mut ours_us = Vec::new();
        let mut returned = 0;
        for (n, &k) in keys.iter().enumerate() {
            let t = Instant::now();
            let r = ours.run_prepared(&mut stmt, &[param(q, k)])?;
            let took = t.elapsed().as_secs_f64() * 1e6;
            if n as u64 >= args.warmup {
                ours_us.push(took);
                returned = r.first().map_or(0, |r| r.rows.len());
            }
        }
        let after = ours.database().stats();
        let (hits, misses) = (after.cache.hits - before.cache.hits, after.cache.misses - before.cache.misses);
        eprintln!(
            "  query {q}: DoSQL page cache {hits} hits, {misses} misses ({:.0}% hits); {} pages in the file, {} dirty",
            100.0 * hits as f64 / (hits + misses).max(1) as f64,
            after.page_count,
            after.dirty_pages
        );
        let mut st = lite.prepare(sql)?;
        let mut lite_us = Vec::new();
        for (n, &k) in keys.iter().enumerate() {
            let t = Instant::now();
            let mut rows = match param(q, k) {
                Value::Text(s) => st.query(rusqlite::params![s])?,
                _ => st.query(rusqlite::params![k as i64])?,
            };
            while let Some(row) = rows.next()? {
                for c in 0..5 {
                    std::hint::black_box(row.get_ref(c)?);
                }
            }
            let took = t.elapsed().as_secs_f64() * 1e6;
            if n as u64 >= args.warmup {
                lite_us.push(took);
            }
        }
        out.push((p50_us(&mut ours_us), p50_us(&mut lite_us), returned));
    }
    Ok(out)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let machine = report::Machine::detect();
    println!(
        "index-bench: {} CPUs, {}, {} (measured {})",
        machine.nproc,
        machine.cpu.as_deref().unwrap_or("cpu unknown"),
        machine.mem.as_deref().unwrap_or("memory unknown"),
        machine.date
    );
    println!("{:>9}  {:<26} {:>12} {:>12} {:>8} {:>6}", "rows", "query", "DoSQL P50", "SQLite P50", "ratio", "rows");
    let mut all = Vec::new();
    for &rows in &args.rows {
        let r = measure(&args, rows).with_context(|| format!("measuring {rows} rows"))?;
        for ((name, _), (ours, lite, n)) in QUERIES.iter().zip(&r) {
            println!("{rows:>9}  {name:<26} {ours:>9.2} us {lite:>9.2} us {:>8.2} {n:>6}", lite / ours);
        }
        all.push((rows, r));
    }
    if let (Some((small, s)), Some((large, l))) = (all.first(), all.last())
        && large > small
    {
        println!("DoSQL P50 at {large} rows over P50 at {small} rows (at most 2 expected):");
        for ((name, _), (a, b)) in QUERIES.iter().zip(s.iter().zip(l)) {
            let growth = b.0 / a.0;
            let verdict = if growth.is_nan() {
                "not measured"
            } else if growth <= 2.0 {
                "ok"
            } else {
                "OVER 2x"
            };
            println!("  {name:<26} {growth:.2}x {verdict}");
        }
    }
    Ok(())
}
