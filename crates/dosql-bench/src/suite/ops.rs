//! The measurements: each operation of the suite, run on one engine.
//!
//! Keys and row values come from seeded generators made before an
//! operation runs, so both engines get the same ones, and parameter values
//! are built outside the timed region. Each operation checks that it did
//! its work (a point query found its row, a delete removed one) so neither
//! engine can look fast by doing nothing; the check is outside the timing.
//! Not covered: timing anything but whole statements or transactions.

use super::engine::{
    self, DELETE, Engine, EngineKind, INSERT, INSERT_WITH_ID, POINT, RANGE, UPDATE, row_values, row_with_id,
};
use super::{BATCH_ROWS, COLD_START_ROWS, Event, OpResult, Stats, SuiteOptions, readers};
use anyhow::{Context, Result, anyhow, bail};
use dosql::Value;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Ids of the rows `delete` loads and removes: far above any other row.
const DELETE_BASE: i64 = 1 << 40;

/// A run in progress: the options, the directory, and both engines'
/// main databases once loaded.
pub(crate) struct Suite<'a> {
    opts: &'a SuiteOptions,
    dir: &'a Path,
    progress: &'a mut dyn FnMut(Event<'_>),
    /// DoSQL's and SQLite's connections to the main database, in
    /// [`EngineKind::ALL`] order; empty until an operation needs them.
    main: Vec<Box<dyn Engine>>,
}

/// Runs `one` on each key, timing whatever it times; the first `warmup`
/// results are dropped.
fn timed<K>(
    progress: &mut dyn FnMut(Event<'_>),
    warmup: u64,
    keys: &[K],
    mut one: impl FnMut(&K) -> Result<Duration>,
) -> Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(keys.len());
    for (k, key) in keys.iter().enumerate() {
        let took = one(key)?;
        if k as u64 >= warmup {
            out.push(took);
        }
        progress(Event::Advance(1));
    }
    Ok(out)
}

/// `n` random ids in `1..=top`.
fn random_ids(rng: &mut SmallRng, n: u64, top: u64) -> Vec<i64> {
    (0..n).map(|_| rng.random_range(1..=top.max(1)) as i64).collect()
}

/// Fails unless `got` equals `want`: the operation did not do its work.
fn expect(what: &str, got: u64, want: u64) -> Result<()> {
    if got != want {
        bail!("{what}: expected {want}, got {got}");
    }
    Ok(())
}

/// The index of `kind` in [`EngineKind::ALL`].
fn slot(kind: EngineKind) -> usize {
    match kind {
        EngineKind::Dosql => 0,
        EngineKind::Sqlite => 1,
    }
}

impl<'a> Suite<'a> {
    /// A run of `opts` with its files in `dir`.
    pub(crate) fn new(opts: &'a SuiteOptions, dir: &'a Path, progress: &'a mut dyn FnMut(Event<'_>)) -> Suite<'a> {
        Suite { opts, dir, progress, main: Vec::new() }
    }

    /// Opens and loads both main databases if not done yet.
    fn ensure_main(&mut self) -> Result<()> {
        if !self.main.is_empty() {
            return Ok(());
        }
        let rows = self.opts.rows;
        for kind in EngineKind::ALL {
            let path = kind.file(self.dir, "main");
            let mut e = engine::open(kind, &path, self.opts.synchronous)?;
            let progress = &mut *self.progress;
            progress(Event::Phase(&format!("loading {rows} rows into {}", kind.label())));
            engine::load(e.as_mut(), rows, &mut |n| {
                progress(Event::Phase(&format!("loading {rows} rows into {}: {n}", kind.label())));
            })
            .with_context(|| format!("loading {}", kind.label()))?;
            self.main.push(e);
        }
        Ok(())
    }

    /// Measures operation `op` on both engines.
    pub(crate) fn measure(&mut self, op: &'static str) -> Result<OpResult> {
        if op != "cold_start" {
            self.ensure_main()?;
        }
        let total = self.opts.warmup.saturating_add(self.opts.iterations);
        // One seed per operation, the same for both engines.
        let seed = self.opts.seed ^ op.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        let mut stats = Vec::with_capacity(2);
        let mut writes = Vec::with_capacity(2);
        for kind in EngineKind::ALL {
            (self.progress)(Event::Phase(&format!("{op} on {}", kind.label())));
            let mut rng = SmallRng::seed_from_u64(seed);
            let s = if op == "cold_start" {
                self.cold_start(kind, &mut rng, total)?
            } else if let Some(n) = readers(op) {
                let (s, w) = self.concurrent(kind, n, seed)?;
                writes.push(w);
                s
            } else {
                self.simple(op, kind, &mut rng, total)?
            };
            stats.push(s);
        }
        let (Some(&dosql), Some(&sqlite)) = (stats.first(), stats.get(1)) else {
            bail!("{op}: an engine did not run");
        };
        let writes = match (writes.first(), writes.get(1)) {
            (Some(&a), Some(&b)) => Some((a, b)),
            _ => None,
        };
        Ok(OpResult { name: op, dosql, sqlite, writes })
    }

    /// The operations on the main database, one after another.
    fn simple(&mut self, op: &str, kind: EngineKind, rng: &mut SmallRng, total: u64) -> Result<Stats> {
        let rows = self.opts.rows;
        let warmup = self.opts.warmup;
        let progress = &mut *self.progress;
        let e = self.main.get_mut(slot(kind)).ok_or_else(|| anyhow!("{} is not open", kind.label()))?;
        let lat = match op {
            "point_query" => {
                let ids = random_ids(rng, total, rows);
                timed(progress, warmup, &ids, |&id| {
                    let t = Instant::now();
                    let o = e.run(POINT, &[Value::Integer(id)])?;
                    let took = t.elapsed();
                    expect("rows found by a point query", o.rows as u64, 1)?;
                    Ok(took)
                })?
            }
            "range_query" => {
                // Starts leave room for 100 rows where the table has them.
                let starts = random_ids(rng, total, rows.saturating_sub(BATCH_ROWS - 1));
                timed(progress, warmup, &starts, |&start| {
                    let params = [Value::Integer(start), Value::Integer(start.saturating_add(BATCH_ROWS as i64))];
                    let t = Instant::now();
                    let o = e.run(RANGE, &params)?;
                    let took = t.elapsed();
                    let want = BATCH_ROWS.min(rows.saturating_sub((start as u64).saturating_sub(1)));
                    expect("rows found by a range query", o.rows as u64, want)?;
                    Ok(took)
                })?
            }
            "insert" => {
                let keys: Vec<i64> = (0..total).map(|k| (rows + 1 + k) as i64).collect();
                timed(progress, warmup, &keys, |&k| {
                    let params = row_values(k);
                    let t = Instant::now();
                    let o = e.run(INSERT, &params)?;
                    let took = t.elapsed();
                    expect("rows inserted", o.changes, 1)?;
                    Ok(took)
                })?
            }
            "update" => {
                let ids = random_ids(rng, total, rows);
                timed(progress, warmup, &ids, |&id| {
                    let params =
                        [Value::Integer(id), Value::Real(id as f64 * 0.5), Value::Text(format!("new-{id:096}"))];
                    let t = Instant::now();
                    let o = e.run(UPDATE, &params)?;
                    let took = t.elapsed();
                    expect("rows updated", o.changes, 1)?;
                    Ok(took)
                })?
            }
            "delete" => {
                // Untimed: load the rows the deletes remove, then remove
                // them in random order.
                let mut ids: Vec<i64> = (0..total as i64).map(|k| DELETE_BASE + k).collect();
                e.execute("BEGIN")?;
                for &id in &ids {
                    e.run(INSERT_WITH_ID, &row_with_id(id))?;
                }
                e.execute("COMMIT")?;
                ids.shuffle(rng);
                timed(progress, warmup, &ids, |&id| {
                    let t = Instant::now();
                    let o = e.run(DELETE, &[Value::Integer(id)])?;
                    let took = t.elapsed();
                    expect("rows deleted", o.changes, 1)?;
                    Ok(took)
                })?
            }
            "batch_insert" => {
                let batches: Vec<u64> = (0..total).collect();
                let first = rows.saturating_add(total).saturating_add(1);
                timed(progress, warmup, &batches, |&b| {
                    let start = first.saturating_add(b.saturating_mul(BATCH_ROWS)) as i64;
                    let values: Vec<[Value; 4]> = (0..BATCH_ROWS as i64).map(|r| row_values(start + r)).collect();
                    let t = Instant::now();
                    e.execute("BEGIN")?;
                    let mut changes = 0;
                    for v in &values {
                        changes += e.run(INSERT, v)?.changes;
                    }
                    e.execute("COMMIT")?;
                    let took = t.elapsed();
                    expect("rows inserted by a batch", changes, BATCH_ROWS)?;
                    Ok(took)
                })?
            }
            other => bail!("no such operation: {other}"),
        };
        Ok(Stats::sequential(&lat))
    }

    /// `cold_start`: a fresh open of a 10,000-row database and its first
    /// point query, each iteration.
    fn cold_start(&mut self, kind: EngineKind, rng: &mut SmallRng, total: u64) -> Result<Stats> {
        let path = kind.file(self.dir, "cold");
        let sync = self.opts.synchronous;
        if !path.exists() {
            let mut e = engine::open(kind, &path, sync)?;
            let progress = &mut *self.progress;
            progress(Event::Phase(&format!("loading {COLD_START_ROWS} rows into {} for cold_start", kind.label())));
            engine::load(e.as_mut(), COLD_START_ROWS, &mut |_| {})?;
            // Closed as an application would close it (SQLite checkpoints
            // its WAL then, DoSQL too), so each open starts from the file.
            e.close()?;
        }
        let ids = random_ids(rng, total, COLD_START_ROWS);
        let lat = timed(&mut *self.progress, self.opts.warmup, &ids, |&id| {
            let t = Instant::now();
            let mut e = engine::open(kind, &path, sync)?;
            let o = e.run(POINT, &[Value::Integer(id)])?;
            let took = t.elapsed();
            e.close()?;
            expect("rows found by the first query", o.rows as u64, 1)?;
            Ok(took)
        })?;
        Ok(Stats::sequential(&lat))
    }

    /// `concurrent_read_N`: `n` reader threads of point queries beside one
    /// writer thread; returns the readers' figures and the writer's count
    /// of committed writes.
    fn concurrent(&mut self, kind: EngineKind, n: usize, seed: u64) -> Result<(Stats, u64)> {
        let (rows, warmup, iterations) = (self.opts.rows, self.opts.warmup, self.opts.iterations);
        let main = self.main.get(slot(kind)).ok_or_else(|| anyhow!("{} is not open", kind.label()))?;
        // Each thread opens its own connection (DoSQL: sharing the one
        // storage `Database`; SQLite: opening the file again).
        let connector = main.connector();
        let connector = &*connector;
        let stop = AtomicBool::new(false);
        // The readers and this thread: timing starts once all are warm.
        let start = Barrier::new(n + 1);
        // Each reader returns its latencies and when its timed reads began
        // and ended: the wall time runs from the first start to the last end
        // (this thread may be scheduled late after the barrier).
        type Timed = (Vec<Duration>, Instant, Instant);
        let result = std::thread::scope(|s| -> Result<(Vec<Duration>, f64, u64)> {
            let stop = &stop;
            let start = &start;
            let w = s.spawn(move || -> Result<u64> {
                let mut writer = connector.connect()?;
                let mut rng = SmallRng::seed_from_u64(seed.wrapping_add(1_000));
                let mut done = 0u64;
                let mut next = (1i64 << 41) + 1;
                while !stop.load(Ordering::Relaxed) {
                    let o = if done.is_multiple_of(2) {
                        next += 1;
                        writer.run(INSERT, &row_values(next))?
                    } else {
                        let id = rng.random_range(1..=rows.max(1)) as i64;
                        writer.run(
                            UPDATE,
                            &[Value::Integer(id), Value::Real(done as f64), Value::Text(format!("w-{done}"))],
                        )?
                    };
                    expect("rows written by the writer", o.changes, 1)?;
                    done += 1;
                }
                Ok(done)
            });
            let mut handles = Vec::with_capacity(n);
            for r in 0..n {
                let mut rng = SmallRng::seed_from_u64(seed.wrapping_add(r as u64));
                let ids = random_ids(&mut rng, warmup.saturating_add(iterations), rows);
                handles.push(s.spawn(move || -> Result<Timed> {
                    let conn = connector.connect();
                    let mut out = Vec::with_capacity(iterations as usize);
                    let read = |c: &mut Box<dyn Engine>, id: i64| -> Result<Duration> {
                        let t = Instant::now();
                        let o = c.run(POINT, &[Value::Integer(id)])?;
                        let took = t.elapsed();
                        expect("rows found by a concurrent point query", o.rows as u64, 1)?;
                        Ok(took)
                    };
                    let (warm, timed) = ids.split_at((warmup as usize).min(ids.len()));
                    let warmed = conn.and_then(|mut c| {
                        warm.iter().try_for_each(|&id| read(&mut c, id).map(|_| ()))?;
                        Ok(c)
                    });
                    // Wait at the barrier even after an error, or the
                    // others would wait forever.
                    start.wait();
                    let mut c = warmed?;
                    let began = Instant::now();
                    for &id in timed {
                        out.push(read(&mut c, id)?);
                    }
                    Ok((out, began, Instant::now()))
                }));
            }
            start.wait();
            let mut lat = Vec::new();
            let mut span: Option<(Instant, Instant)> = None;
            let mut first_err = None;
            for h in handles {
                match h.join() {
                    Ok(Ok((v, began, ended))) => {
                        lat.extend(v);
                        span = Some(span.map_or((began, ended), |(b, e)| (b.min(began), e.max(ended))));
                    }
                    Ok(Err(e)) => first_err = first_err.or(Some(e)),
                    Err(_) => first_err = first_err.or(Some(anyhow!("a reader thread panicked"))),
                }
            }
            let wall = span.map_or(0.0, |(b, e)| e.duration_since(b).as_secs_f64());
            stop.store(true, Ordering::Relaxed);
            let writes = match w.join() {
                Ok(r) => r,
                Err(_) => Err(anyhow!("the writer thread panicked")),
            };
            if let Some(e) = first_err {
                return Err(e);
            }
            Ok((lat, wall, writes?))
        })?;
        let (lat, wall, writes) = result;
        (self.progress)(Event::Advance(warmup.saturating_add(iterations)));
        Ok((Stats::with_wall_time(&lat, wall), writes))
    }
}
