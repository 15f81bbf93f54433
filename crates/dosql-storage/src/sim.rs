//! A deterministic crash simulator: random workloads on a [`FaultStorage`]
//! with one injected fault, a simulated crash, recovery, and a check of the
//! recovered database against a model of what may have survived.
//!
//! Everything about a workload follows from its seed: the configuration
//! (page size, [`Synchronous`] mode, checkpoint thresholds, WAL segment
//! size, retention), the transactions, the fault, the crash and what of the
//! unsynced writes the crash keeps. A failure names its seed and replays
//! exactly with [`run_workload`].
//!
//! # One workload
//!
//! 1. A *dry run* executes the workload without faults and counts the
//!    mutating storage operations it performs, so the fault can be placed
//!    uniformly over every operation of the real run.
//! 2. The real run opens a database on a fresh [`FaultStorage`], maybe
//!    registers a change-feed consumer at LSN 0 (so no history is reclaimed),
//!    creates trees 1 and 2, and arms one fault (usually after that setup; on
//!    some seeds before the database is even created): a halt after `n` more
//!    operations (optionally tearing the write that hits it), a failed write,
//!    or a failed fsync. It then runs random transactions (puts of small and
//!    overflow-sized values, deletes, nested savepoints with `rollback_to` and
//!    `release`, creating and dropping tree 3, whole-transaction rollbacks,
//!    explicit checkpoints, snapshots held across them and checked when
//!    released) until an operation fails or the workload ends.
//! 3. The process "dies": the database is dropped, then either the disk
//!    loses power ([`FaultStorage::crash`] with a random [`CrashMode`]) or,
//!    when the storage is not halted, only the process crashed (the volatile
//!    bytes stay, as the OS page cache would keep them). Sometimes recovery
//!    itself is crashed once more before the final reopen.
//! 4. The reopened database is checked (see below), then written once more,
//!    committed and reopened (after a power loss when the mode promises to
//!    survive one) to prove it is usable.
//!
//! # What may survive
//!
//! The model keeps the state after every acknowledged commit (a commit whose
//! `commit()` returned `Ok`) with its LSN, starting from the empty database
//! at LSN 0, plus the state of the one *in-flight* commit: the commit whose
//! `commit()` returned an error. The in-flight commit may or may not be
//! durable; nothing else unacknowledged may appear, and a rolled-back
//! transaction never may. The recovered database must equal, exactly (trees,
//! keys, values and LSN), one of these states, and which ones are allowed
//! depends on the crash and the mode:
//!
//! - process crash, any mode: the last acknowledged state or the in-flight
//!   one (the OS keeps every write that returned);
//! - power loss, `Full`: the same;
//! - power loss, `Normal`: any acknowledged state at or after the *durable
//!   floor*, or the in-flight one. The floor is the newest acknowledged
//!   commit the engine had promised durable: the last checkpoint's LSN and
//!   the WAL's own `durable_lsn` (advanced by segment switches), as read
//!   from [`Database::stats`] after each successful operation. So `Normal`
//!   may lose a suffix of acknowledged commits, never a middle part;
//! - power loss, `Off`: no guarantee. The reopen must not panic; it may fail
//!   with an error, and the recovered contents are not compared. The same
//!   goes for the reopen's error (not the contents) when the power loss hit
//!   a recovery that ran in `Off` after a process crash.
//!
//! A database whose creation was interrupted is treated like any other
//! crash: [`Database::open_with_storage`] must then succeed and give the
//! empty database (no commit was ever acknowledged, and the header is
//! written and synced before `open` returns, so a later reopen either finds
//! it or finds no file and creates it again). An `open` that fails on a
//! damaged or missing first header is never accepted in `Full` or `Normal`.
//!
//! # Checks after recovery
//!
//! - Every tree scanned forward and backward gives strictly ordered keys,
//!   agrees with `tree_len` and `get`, and the whole equals an allowed state;
//!   the snapshot LSN and the recovery report's last LSN name that state.
//! - The change feed from the oldest retained LSN ([`Database::read_changes`]
//!   and [`Database::changes_since`] agree), replayed onto the time-travel
//!   snapshot at that LSN, reproduces every intermediate acknowledged state
//!   and ends at the recovered one; before-images match, LSNs are
//!   contiguous and commit LSNs increase.
//! - A few time-travel snapshots ([`Database::snapshot_at`]) between the
//!   oldest retained LSN and now equal the model's state at their LSN.
//!
//! Engine errors during the workload are expected only once the injected
//! fault has fired; an error before that is a failure. A commit or
//! checkpoint that failed must leave the database refusing writes
//! ([`Error::Poisoned`]) and readers on the last acknowledged commit.
//! Panics are bugs and are not caught.

use crate::config::{CheckpointConfig, Clock, Config, Retention, Synchronous};
use crate::db::{Database, ReadTxn, RecoveryReport, WriteTxn};
use crate::error::Error;
use crate::vfs::{CrashMode, FaultConfig, FaultStorage};
use crate::wal::{ChangeKind, CommittedTxn, Lsn, TreeId};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The database file's name in the simulated storage.
const DB_NAME: &str = "sim.db";
/// The change-feed consumer that holds history back on some seeds.
const CONSUMER: &str = "sim-feed";
/// The key the final write cycle adds to prove the database is writable.
const MARKER_KEY: &[u8] = b"~marker";

type Tree = BTreeMap<Vec<u8>, Vec<u8>>;
/// The whole logical content of a database: tree id -> entries.
type State = BTreeMap<TreeId, Tree>;
/// A tree's entries in key order.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// A failed crash-simulation workload: the seed that replays it and what
/// went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimFailure {
    /// The workload's seed; `run_workload(seed)` replays it exactly.
    pub seed: u64,
    /// What was wrong, with the workload's configuration and a trace of its
    /// last steps.
    pub description: String,
}

impl fmt::Display for SimFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "crash simulation failed at seed {}: {}\nreplay with DOSQL_CRASH_SEED={} DOSQL_CRASH_WORKLOADS=1 \
             cargo test -p dosql-storage --test crash",
            self.seed, self.description, self.seed
        )
    }
}

impl std::error::Error for SimFailure {}

/// The fault armed in a workload. Operation counts are relative to the
/// moment the fault was armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedFault {
    /// Nothing was armed; the workload runs to its end before the crash.
    None,
    /// The storage halts after `after` more mutating operations; with
    /// `torn`, the write that hits the limit is partly applied.
    CrashAfterOps {
        /// Mutating operations allowed before the halt.
        after: u64,
        /// Whether the last write is torn (`FaultConfig::tear_last_write`).
        torn: bool,
    },
    /// The first write at or after operation `at` fails.
    FailWrite {
        /// The operation number, from 1.
        at: u64,
    },
    /// The first fsync at or after operation `at` fails.
    FailSync {
        /// The operation number, from 1.
        at: u64,
    },
}

/// How the simulated process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashKind {
    /// Power loss: only what [`CrashMode`] lets survive of unsynced writes.
    PowerLoss(CrashMode),
    /// The process died; every write that returned is kept.
    ProcessCrash,
}

/// Which allowed state recovery produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// The state after the last acknowledged commit.
    LastAcked,
    /// The state of the commit that was in flight (failed) at the crash.
    InFlight,
    /// An earlier acknowledged state (`Normal` after a power loss): the last
    /// `lost` acknowledged commits were lost.
    LostAcked {
        /// How many acknowledged commits were lost.
        lost: u64,
    },
    /// `Off` after a power loss: the database reopened; nothing is promised
    /// about its contents, so they were not compared.
    Unchecked,
    /// `Off` after a power loss: reopening failed with this clean error.
    CleanError(String),
}

/// What one workload did and what recovery found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadOutcome {
    /// The workload's seed.
    pub seed: u64,
    /// The page size it used.
    pub page_size: usize,
    /// The durability mode of the workload.
    pub synchronous: Synchronous,
    /// The durability mode the database was reopened with after the crash
    /// (it differs only after some process crashes).
    pub reopen_synchronous: Synchronous,
    /// Whether the fault was armed before the database was created.
    pub faults_from_open: bool,
    /// The armed fault.
    pub fault: InjectedFault,
    /// Whether the fault fired during the workload.
    pub fault_fired: bool,
    /// The error that ended the workload early, if one did.
    pub stopped_by: Option<String>,
    /// Mutating storage operations of the fault-free dry run (from arming).
    pub dry_run_ops: u64,
    /// Commits acknowledged (including setup).
    pub acked_commits: u64,
    /// Checkpoints completed during the workload (automatic and explicit).
    pub checkpoints: u64,
    /// Whether a commit was in flight (returned an error) at the crash.
    pub in_flight: bool,
    /// How the process ended.
    pub crash: CrashKind,
    /// Whether the first recovery attempt was itself crashed.
    pub double_crash: bool,
    /// Which allowed state recovery produced.
    pub recovered: Recovered,
    /// What recovery reported (default when reopening failed).
    pub recovery: RecoveryReport,
}

/// Totals over a run of many workloads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoakReport {
    /// Workloads run.
    pub workloads: u64,
    /// Commits acknowledged, over all workloads.
    pub acked_commits: u64,
    /// Checkpoints completed during workloads.
    pub checkpoints: u64,
    /// Workloads whose fault fired.
    pub faults_fired: u64,
    /// Workloads whose fault was armed before the database was created.
    pub faults_from_open: u64,
    /// Workloads ended by a power loss.
    pub power_losses: u64,
    /// Workloads ended by a process crash.
    pub process_crashes: u64,
    /// Workloads whose first recovery was crashed too.
    pub double_crashes: u64,
    /// Workloads with a commit in flight at the crash.
    pub in_flight: u64,
    /// ... of which recovery kept the in-flight commit.
    pub in_flight_kept: u64,
    /// Workloads (`Normal`) that lost acknowledged commits, as allowed.
    pub lost_acked: u64,
    /// Workloads (`Off`, power loss) whose contents were not compared.
    pub unchecked: u64,
    /// Workloads (`Off`, power loss) whose reopen failed cleanly.
    pub clean_errors: u64,
    /// Workloads whose recovery cut a damaged or incomplete log tail.
    pub log_tails_cut: u64,
    /// Workloads whose recovery replayed at least one transaction.
    pub replayed: u64,
}

impl SoakReport {
    fn add(&mut self, o: &WorkloadOutcome) {
        self.workloads += 1;
        self.acked_commits += o.acked_commits;
        self.checkpoints += o.checkpoints;
        self.faults_fired += u64::from(o.fault_fired);
        self.faults_from_open += u64::from(o.faults_from_open);
        match o.crash {
            CrashKind::PowerLoss(_) => self.power_losses += 1,
            CrashKind::ProcessCrash => self.process_crashes += 1,
        }
        self.double_crashes += u64::from(o.double_crash);
        self.in_flight += u64::from(o.in_flight);
        match o.recovered {
            Recovered::InFlight => self.in_flight_kept += 1,
            Recovered::LostAcked { .. } => self.lost_acked += 1,
            Recovered::Unchecked => self.unchecked += 1,
            Recovered::CleanError(_) => self.clean_errors += 1,
            Recovered::LastAcked => {}
        }
        self.log_tails_cut += u64::from(o.recovery.truncated_bytes > 0);
        self.replayed += u64::from(o.recovery.replayed_txns > 0);
    }
}

/// Runs workloads `start_seed .. start_seed + count`, calling `on_progress`
/// with each seed just before running it (so a caller can name the seed of
/// a workload that panics), and stops at the first failure.
pub fn soak(start_seed: u64, count: u64, mut on_progress: impl FnMut(u64)) -> Result<SoakReport, SimFailure> {
    let mut report = SoakReport::default();
    for seed in start_seed..start_seed.saturating_add(count) {
        on_progress(seed);
        let outcome = run_workload(seed)?;
        report.add(&outcome);
    }
    Ok(report)
}

/// Runs the crash-simulation workload of `seed` (see the module docs) and
/// checks what recovery produced.
pub fn run_workload(seed: u64) -> Result<WorkloadOutcome, SimFailure> {
    match Sim::run(seed, false) {
        (Ok(outcome), _) => Ok(outcome),
        (Err(why), _) => {
            // Replay the same seed with tracing on, for the report.
            let (again, trace) = Sim::run(seed, true);
            let mut description = why;
            if again.is_ok() {
                description.push_str("\n(the traced replay did not fail: the workload is not deterministic)");
            }
            const KEEP: usize = 80;
            let skip = trace.len().saturating_sub(KEEP);
            description.push_str("\ntrace");
            if skip > 0 {
                description.push_str(&format!(" (last {KEEP} of {} steps)", trace.len()));
            }
            description.push(':');
            for line in &trace[skip..] {
                description.push_str("\n  ");
                description.push_str(line);
            }
            Err(SimFailure { seed, description })
        }
    }
}

/// A clock that advances one millisecond per reading: deterministic
/// timestamps and time-based checkpoint and retention decisions.
#[derive(Debug)]
struct SimClock(AtomicU64);

impl Clock for SimClock {
    fn now_ms(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

/// The configuration of a workload, all drawn from its seed.
#[derive(Debug, Clone)]
struct Params {
    page_size: usize,
    synchronous: Synchronous,
    checkpoint: CheckpointConfig,
    retention: Retention,
    segment_bytes: u64,
    consumer: bool,
    faults_from_open: bool,
    setup_checkpoint: bool,
    txns: u32,
    /// Seeds the workload's choices (identical in the dry and real runs).
    workload_seed: u64,
    /// Seeds the fault and crash choices.
    fault_seed: u64,
}

impl Params {
    fn new(seed: u64) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x5EED_C4A5_11D0_0001);
        let page_size = [1024, 2048, 4096][rng.random_range(0..3)];
        let synchronous = match rng.random_range(0..10) {
            0..6 => Synchronous::Full,
            6..9 => Synchronous::Normal,
            _ => Synchronous::Off,
        };
        let checkpoint = CheckpointConfig {
            wal_size_threshold_bytes: rng.random_range(2048..65536),
            wal_entry_threshold: rng.random_range(5..50),
            max_interval: Duration::from_millis(rng.random_range(50..5000)),
            min_interval: Duration::ZERO,
            max_dirty_bytes: page_size as u64 * rng.random_range(4..64),
            checkpoint_on_close: true,
        };
        let retention = if rng.random_bool(0.25) {
            Retention { history: Duration::from_millis(rng.random_range(5..300)) }
        } else {
            Retention::default()
        };
        let segment_bytes = match rng.random_range(0..4) {
            0 => 4096,
            1 => 65536,
            _ => rng.random_range(4096..16384),
        };
        Params {
            page_size,
            synchronous,
            checkpoint,
            retention,
            segment_bytes,
            consumer: rng.random_bool(0.5),
            faults_from_open: rng.random_bool(0.12),
            setup_checkpoint: rng.random_bool(0.2),
            txns: rng.random_range(4..24),
            workload_seed: rng.random(),
            fault_seed: rng.random(),
        }
    }

    fn config(&self, synchronous: Synchronous, clock: &Arc<SimClock>) -> Config {
        Config {
            page_size: self.page_size,
            cache_bytes: 64 * self.page_size,
            synchronous,
            checkpoint: self.checkpoint.clone(),
            retention: self.retention.clone(),
            wal_segment_bytes: self.segment_bytes,
            clock: clock.clone(),
        }
    }
}

/// How the workload phase ended.
enum Ended {
    /// Every transaction ran.
    Completed,
    /// An operation failed after the fault fired.
    Stopped(String),
}

/// One run of a workload (the dry run or the real one).
struct Sim {
    seed: u64,
    params: Params,
    /// The workload's choices.
    wl: SmallRng,
    storage: FaultStorage,
    clock: Arc<SimClock>,
    /// The fault armed in this run, if any.
    armed: Option<FaultConfig>,
    /// Acknowledged states with their commit LSNs, oldest first; starts with
    /// the empty database at LSN 0.
    history: Vec<(Lsn, State)>,
    /// The state of the commit that failed, if one did.
    in_flight: Option<State>,
    /// The newest LSN the engine promised durable against power loss.
    durable_floor: Lsn,
    acked: u64,
    checkpoints: u64,
    /// Distinguishes values written by different puts.
    counter: u64,
    /// Whether the workload ended on a failed commit, checkpoint or close.
    ended_on_poisoning_op: bool,
    trace: Option<Vec<String>>,
}

type SimResult<T> = Result<T, String>;

fn err_text(e: &Error) -> String {
    e.to_string()
}

impl Sim {
    fn new(seed: u64, params: Params, trace: bool) -> Self {
        Sim {
            seed,
            wl: SmallRng::seed_from_u64(params.workload_seed),
            params,
            storage: FaultStorage::new(),
            clock: Arc::new(SimClock(AtomicU64::new(1_700_000_000_000))),
            armed: None,
            history: vec![(0, State::new())],
            in_flight: None,
            durable_floor: 0,
            acked: 0,
            checkpoints: 0,
            counter: 0,
            ended_on_poisoning_op: false,
            trace: trace.then(Vec::new),
        }
    }

    fn note(&mut self, f: impl FnOnce() -> String) {
        if let Some(t) = &mut self.trace {
            t.push(f());
        }
    }

    /// Runs workload `seed`; returns its outcome or why it failed, and the
    /// trace if `trace` was asked for.
    fn run(seed: u64, trace: bool) -> (SimResult<WorkloadOutcome>, Vec<String>) {
        let params = Params::new(seed);
        // Dry run: the same workload without faults, to count its operations.
        let mut dry = Sim::new(seed, params.clone(), false);
        let dry_ops = match dry.dry_run() {
            Ok(n) => n,
            Err(why) => {
                let mut traced = Sim::new(seed, params, trace);
                traced.note(|| "dry run (no faults)".into());
                let _ = traced.dry_run();
                return (Err(format!("fault-free dry run: {why}")), traced.trace.unwrap_or_default());
            }
        };
        let mut sim = Sim::new(seed, params, trace);
        let result = sim.real_run(dry_ops);
        let result = result.map_err(|why| format!("{why}\nconfiguration: {:?}", sim.params));
        (result, sim.trace.take().unwrap_or_default())
    }

    fn open(&self, synchronous: Synchronous) -> crate::Result<Database> {
        let config = self.params.config(synchronous, &self.clock);
        Database::open_with_storage(Arc::new(self.storage.clone()), DB_NAME, config)
    }

    /// The fault-free run: opens, sets up, runs the workload; returns the
    /// number of mutating operations from the arming point to the end.
    fn dry_run(&mut self) -> SimResult<u64> {
        let db = self.open(self.params.synchronous).map_err(|e| format!("open: {e}"))?;
        if let Ended::Stopped(e) = self.setup(&db)? {
            return Err(format!("setup failed without a fault: {e}"));
        }
        let base = if self.params.faults_from_open { 0 } else { self.storage.ops() };
        match self.workload(&db)? {
            Ended::Completed => Ok(self.storage.ops() - base),
            Ended::Stopped(e) => Err(format!("workload failed without a fault: {e}")),
        }
    }

    fn plan_fault(&self, rng: &mut SmallRng, ops: u64) -> (InjectedFault, FaultConfig) {
        let now = self.storage.ops();
        let seed = rng.random();
        match rng.random_range(0..100) {
            0..65 => {
                let after = rng.random_range(0..=ops);
                let torn = rng.random_bool(0.5);
                let cfg = FaultConfig {
                    crash_after_ops: Some(now + after),
                    tear_last_write: torn,
                    seed,
                    ..Default::default()
                };
                (InjectedFault::CrashAfterOps { after, torn }, cfg)
            }
            65..80 => {
                let at = rng.random_range(1..=ops.max(1));
                (
                    InjectedFault::FailWrite { at },
                    FaultConfig { fail_write_at: Some(now + at), seed, ..Default::default() },
                )
            }
            80..95 => {
                let at = rng.random_range(1..=ops.max(1));
                (
                    InjectedFault::FailSync { at },
                    FaultConfig { fail_sync_at: Some(now + at), seed, ..Default::default() },
                )
            }
            _ => (InjectedFault::None, FaultConfig::default()),
        }
    }

    fn arm(&mut self, cfg: FaultConfig) {
        if cfg != FaultConfig::default() {
            self.storage.set_faults(cfg.clone());
            self.armed = Some(cfg);
        }
    }

    /// Whether the armed fault has fired.
    fn fault_fired(&self) -> bool {
        let Some(armed) = &self.armed else {
            return false;
        };
        if self.storage.is_halted() {
            return true;
        }
        let now = self.storage.faults();
        (armed.fail_write_at.is_some() && now.fail_write_at.is_none())
            || (armed.fail_sync_at.is_some() && now.fail_sync_at.is_none())
    }

    /// An engine error during the workload: the end of it if the fault has
    /// fired, a failure otherwise.
    fn engine_error(&mut self, what: &str, e: &Error) -> SimResult<Ended> {
        let msg = format!("{what}: {e}");
        self.note(|| format!("error: {msg}"));
        if self.fault_fired() { Ok(Ended::Stopped(msg)) } else { Err(format!("{msg} (no fault had fired)")) }
    }

    fn acked_state(&self) -> &State {
        &self.history.last().expect("history starts with the empty state").1
    }

    fn last_lsn(&self) -> Lsn {
        self.history.last().expect("history starts with the empty state").0
    }

    /// Records a successful commit.
    /// Commits `tx`, whose model state is `state`: acknowledged on success,
    /// in flight (maybe durable, maybe not) on failure.
    fn commit(&mut self, db: &Database, tx: WriteTxn, state: State, dirty: bool) -> SimResult<Ended> {
        match tx.commit() {
            Ok(lsn) => {
                self.acknowledge(db, lsn, state, dirty)?;
                Ok(Ended::Completed)
            }
            Err(e) => {
                self.in_flight = Some(state);
                self.ended_on_poisoning_op = true;
                self.engine_error("commit", &e)
            }
        }
    }

    fn acknowledge(&mut self, db: &Database, lsn: Lsn, state: State, dirty: bool) -> SimResult<()> {
        let last = self.last_lsn();
        if !dirty {
            if lsn != last || &state != self.acked_state() {
                return Err(format!(
                    "an empty commit returned LSN {lsn} (last {last}) or its model state differs from the last commit"
                ));
            }
        } else {
            if lsn <= last {
                return Err(format!("commit returned LSN {lsn}, not after the previous commit's {last}"));
            }
            self.history.push((lsn, state));
        }
        self.acked += 1;
        self.note(|| format!("acked commit lsn {lsn}"));
        let seen = db.begin_read().lsn();
        if seen != lsn {
            return Err(format!("after commit {lsn} returned, a new reader sees LSN {seen}"));
        }
        self.after_success(db);
        Ok(())
    }

    /// Advances the durable floor after an operation that returned `Ok`.
    fn after_success(&mut self, db: &Database) {
        let st = db.stats();
        self.checkpoints = st.checkpoints;
        match self.params.synchronous {
            Synchronous::Full => self.durable_floor = self.last_lsn(),
            Synchronous::Normal => {
                self.durable_floor = self.durable_floor.max(st.checkpoint_lsn).max(st.wal.durable_lsn);
            }
            Synchronous::Off => {}
        }
    }

    /// Registers the consumer (on some seeds) and creates trees 1 and 2.
    fn setup(&mut self, db: &Database) -> SimResult<Ended> {
        if self.params.consumer {
            db.register_consumer(CONSUMER, 0);
        }
        let mut tx = match db.begin_write() {
            Ok(tx) => tx,
            Err(e) => return self.engine_error("setup begin_write", &e),
        };
        let mut state = State::new();
        for t in [1, 2] {
            if let Err(e) = tx.create_tree(t) {
                return self.engine_error("setup create_tree", &e);
            }
            state.insert(t, Tree::new());
        }
        self.note(|| "setup: create trees 1, 2".into());
        match tx.commit() {
            Ok(lsn) => self.acknowledge(db, lsn, state, true)?,
            Err(e) => {
                self.in_flight = Some(state);
                self.ended_on_poisoning_op = true;
                return self.engine_error("setup commit", &e);
            }
        }
        if self.params.setup_checkpoint {
            self.note(|| "setup checkpoint".into());
            match db.checkpoint() {
                Ok(_) => self.after_success(db),
                Err(e) => {
                    self.ended_on_poisoning_op = true;
                    return self.engine_error("setup checkpoint", &e);
                }
            }
        }
        Ok(Ended::Completed)
    }

    /// Runs the random transactions until one fails or all have run.
    fn workload(&mut self, db: &Database) -> SimResult<Ended> {
        // Snapshots held across transactions and checkpoints: page reuse
        // must never change what they read.
        let mut held: Vec<(ReadTxn, State)> = Vec::new();
        let ended = self.workload_with_readers(db, &mut held)?;
        for (r, expected) in held {
            self.check_held(&r, &expected)?;
        }
        Ok(ended)
    }

    /// Checks a held snapshot still reads what it read when it was taken
    /// (unless reads fail because the storage halted).
    fn check_held(&mut self, r: &ReadTxn, expected: &State) -> SimResult<()> {
        let lsn = r.lsn();
        self.note(|| format!("check snapshot at LSN {lsn}"));
        match scan(r) {
            Ok(got) if got == *expected => Ok(()),
            Ok(got) => Err(format!("a snapshot held at LSN {lsn} changed: {}", diff(expected, &got))),
            Err(_) if self.storage.is_halted() => Ok(()),
            Err(e) => Err(format!("reading a snapshot held at LSN {lsn}: {e}")),
        }
    }

    fn workload_with_readers(&mut self, db: &Database, held: &mut Vec<(ReadTxn, State)>) -> SimResult<Ended> {
        for t in 0..self.params.txns {
            let r = self.wl.random_range(0..100);
            if r < 10 && held.len() < 2 {
                let snap = db.begin_read();
                let lsn = snap.lsn();
                self.note(|| format!("hold a snapshot at LSN {lsn}"));
                let state = self.acked_state().clone();
                if lsn != self.last_lsn() {
                    return Err(format!("a new snapshot is at LSN {lsn}, the last commit at {}", self.last_lsn()));
                }
                held.push((snap, state));
            } else if r < 20 && !held.is_empty() {
                let (snap, state) = held.remove(0);
                self.check_held(&snap, &state)?;
            }
            let roll = self.wl.random_range(0..100);
            let ended = if roll < 8 {
                self.note(|| format!("txn {t}: explicit checkpoint"));
                match db.checkpoint() {
                    Ok(st) => {
                        if st.lsn != self.last_lsn() {
                            return Err(format!(
                                "checkpoint at LSN {} but the last commit is {}",
                                st.lsn,
                                self.last_lsn()
                            ));
                        }
                        self.after_success(db);
                        Ended::Completed
                    }
                    Err(e) => {
                        self.ended_on_poisoning_op = true;
                        self.engine_error("checkpoint", &e)?
                    }
                }
            } else if roll < 12 {
                self.bulk_transaction(db, t)?
            } else {
                self.transaction(db, t)?
            };
            if let Ended::Stopped(_) = ended {
                return Ok(ended);
            }
        }
        Ok(Ended::Completed)
    }

    fn random_key(&mut self) -> Vec<u8> {
        let n = self.wl.random_range(0..30u32);
        let mut key = format!("k{n:02}").into_bytes();
        if self.wl.random_bool(0.05) {
            let extra = self.wl.random_range(1..60);
            key.extend(std::iter::repeat_n(b'x', extra));
        }
        key
    }

    fn random_value(&mut self) -> Vec<u8> {
        self.counter += 1;
        let len = if self.wl.random_bool(0.08) {
            self.wl.random_range(self.params.page_size / 2..self.params.page_size * 3)
        } else {
            self.wl.random_range(0..40)
        };
        let tag = format!("v{}-{}:", self.seed, self.counter).into_bytes();
        let fill = self.wl.random_range(b'a'..=b'z');
        let mut v: Vec<u8> = tag.into_iter().chain(std::iter::repeat(fill)).take(len.max(4)).collect();
        if let Some(last) = v.last_mut() {
            *last = (self.counter % 251) as u8;
        }
        v
    }

    /// A large transaction: many puts or deletes over a wider key space, so
    /// trees grow several levels deep, split and merge.
    fn bulk_transaction(&mut self, db: &Database, t: u32) -> SimResult<Ended> {
        let mut tx = match db.begin_write() {
            Ok(tx) => tx,
            Err(e) => return self.engine_error("begin_write", &e),
        };
        let mut state = self.acked_state().clone();
        let tree = if self.wl.random_bool(0.5) { 1 } else { 2 };
        let deleting = self.wl.random_bool(0.4);
        let n = self.wl.random_range(20..150);
        self.note(|| format!("txn {t}: bulk {} of {n} keys in tree {tree}", if deleting { "delete" } else { "put" }));
        for _ in 0..n {
            let key = format!("b{:04}", self.wl.random_range(0..400u32)).into_bytes();
            let tree_state = state.get_mut(&tree).ok_or("the workload lost tree 1 or 2")?;
            let (got, expected) = if deleting {
                match tx.delete(tree, &key) {
                    Ok(b) => (b, tree_state.remove(&key)),
                    Err(e) => return self.engine_error("bulk delete", &e),
                }
            } else {
                self.counter += 1;
                let value = format!("bulk-{}-{}", self.seed, self.counter).into_bytes();
                match tx.put(tree, &key, &value) {
                    Ok(b) => (b, tree_state.insert(key.clone(), value)),
                    Err(e) => return self.engine_error("bulk put", &e),
                }
            };
            if got != expected {
                return Err(format!(
                    "bulk change of {tree} {} returned {:?}, expected {:?}",
                    show(&key),
                    sv(&got),
                    sv(&expected)
                ));
            }
        }
        let dirty = tx.is_dirty();
        self.commit(db, tx, state, dirty)
    }

    /// One random transaction, committed or rolled back.
    fn transaction(&mut self, db: &Database, t: u32) -> SimResult<Ended> {
        let mut tx = match db.begin_write() {
            Ok(tx) => tx,
            Err(e) => return self.engine_error("begin_write", &e),
        };
        let mut state = self.acked_state().clone();
        let mut savepoints: Vec<(String, State)> = Vec::new();
        let n_ops = self.wl.random_range(1..=6);
        const NAMES: [&str; 3] = ["s1", "s2", "S1"];
        for _ in 0..n_ops {
            let trees: Vec<TreeId> = state.keys().copied().collect();
            if trees.is_empty() {
                return Err("the workload started without trees".into());
            }
            let tree = trees[self.wl.random_range(0..trees.len())];
            let roll = self.wl.random_range(0..100);
            match roll {
                0..55 => {
                    let key = self.random_key();
                    let value = self.random_value();
                    self.note(|| format!("txn {t}: put {tree} {} ({} bytes)", show(&key), value.len()));
                    let before = match tx.put(tree, &key, &value) {
                        Ok(b) => b,
                        Err(e) => return self.engine_error("put", &e),
                    };
                    let tree_state = state.get_mut(&tree).expect("tree picked from the model");
                    let expected = tree_state.insert(key.clone(), value);
                    if before != expected {
                        return Err(format!(
                            "put {tree} {} returned {:?}, expected {:?}",
                            show(&key),
                            sv(&before),
                            sv(&expected)
                        ));
                    }
                }
                55..75 => {
                    let key = self.random_key();
                    self.note(|| format!("txn {t}: delete {tree} {}", show(&key)));
                    let before = match tx.delete(tree, &key) {
                        Ok(b) => b,
                        Err(e) => return self.engine_error("delete", &e),
                    };
                    let expected = state.get_mut(&tree).expect("tree picked from the model").remove(&key);
                    if before != expected {
                        return Err(format!(
                            "delete {tree} {} returned {:?}, expected {:?}",
                            show(&key),
                            sv(&before),
                            sv(&expected)
                        ));
                    }
                }
                75..82 => {
                    let name = NAMES[self.wl.random_range(0..NAMES.len())];
                    self.note(|| format!("txn {t}: savepoint {name}"));
                    tx.savepoint(name);
                    savepoints.push((name.to_string(), state.clone()));
                }
                82..88 => {
                    let name = NAMES[self.wl.random_range(0..NAMES.len())];
                    self.note(|| format!("txn {t}: rollback_to {name}"));
                    let found = savepoints.iter().rposition(|(n, _)| n.eq_ignore_ascii_case(name));
                    match (tx.rollback_to(name), found) {
                        (Ok(()), Some(i)) => {
                            savepoints.truncate(i + 1);
                            state = savepoints[i].1.clone();
                        }
                        (Err(Error::NoSuchSavepoint(_)), None) => {}
                        (r, found) => return Err(format!("rollback_to {name}: got {r:?}, savepoint found: {found:?}")),
                    }
                }
                88..91 => {
                    let name = NAMES[self.wl.random_range(0..NAMES.len())];
                    self.note(|| format!("txn {t}: release {name}"));
                    let found = savepoints.iter().rposition(|(n, _)| n.eq_ignore_ascii_case(name));
                    match (tx.release(name), found) {
                        (Ok(()), Some(i)) => savepoints.truncate(i),
                        (Err(Error::NoSuchSavepoint(_)), None) => {}
                        (r, found) => return Err(format!("release {name}: got {r:?}, savepoint found: {found:?}")),
                    }
                }
                91..95 => {
                    let exists = state.remove(&3).is_some();
                    if exists {
                        self.note(|| format!("txn {t}: drop tree 3"));
                        if let Err(e) = tx.drop_tree(3) {
                            return self.engine_error("drop_tree", &e);
                        }
                    } else {
                        self.note(|| format!("txn {t}: create tree 3"));
                        if let Err(e) = tx.create_tree(3) {
                            return self.engine_error("create_tree", &e);
                        }
                        state.insert(3, Tree::new());
                    }
                }
                95..97 => {
                    if !matches!(tx.create_tree(1), Err(Error::TreeExists(1))) {
                        return Err("create_tree(1) on an existing tree did not fail with TreeExists".into());
                    }
                }
                _ => {
                    // Read back one tree inside the transaction.
                    self.note(|| format!("txn {t}: scan tree {tree}"));
                    let got: Result<Entries, Error> = match tx.range(tree, ..) {
                        Ok(r) => r.collect(),
                        Err(e) => Err(e),
                    };
                    match got {
                        Ok(entries) => {
                            let want: Entries = state[&tree].iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                            if entries != want {
                                return Err(format!(
                                    "scan of tree {tree} inside a transaction differs from the model: {}",
                                    diff_tree(&want, &entries)
                                ));
                            }
                        }
                        Err(e) => return self.engine_error("scan", &e),
                    }
                }
            }
        }
        let dirty = tx.is_dirty();
        if self.wl.random_range(0..100) < 10 {
            self.note(|| format!("txn {t}: rollback"));
            if self.wl.random_bool(0.5) {
                tx.rollback();
            } else {
                drop(tx);
            }
            return Ok(Ended::Completed);
        }
        if !dirty && &state != self.acked_state() {
            return Err("transaction reports no changes but the model changed".into());
        }
        self.note(|| format!("txn {t}: commit (dirty: {dirty})"));
        self.commit(db, tx, state, dirty)
    }

    /// The real run: workload with the fault, crash, recovery and checks.
    fn real_run(&mut self, dry_ops: u64) -> SimResult<WorkloadOutcome> {
        let mut frng = SmallRng::seed_from_u64(self.params.fault_seed);
        let p = self.params.clone();
        let seed = self.seed;
        self.note(|| {
            format!(
                "seed {seed}: page {} {:?}, segment {} B, consumer {}, faults from open {}, {} txns, dry run {dry_ops} ops",
                p.page_size, p.synchronous, p.segment_bytes, p.consumer, p.faults_from_open, p.txns
            )
        });
        let mut fault = InjectedFault::None;
        if p.faults_from_open {
            let (f, cfg) = self.plan_fault(&mut frng, dry_ops);
            fault = f;
            self.note(|| format!("armed before open: {fault:?}"));
            self.arm(cfg);
        }
        let mut stopped_by = None;
        let db = match self.open(p.synchronous) {
            Ok(db) => Some(db),
            Err(e) => {
                if !self.fault_fired() {
                    return Err(format!("open failed without a fault: {e}"));
                }
                self.note(|| format!("open failed: {e}"));
                stopped_by = Some(format!("open: {e}"));
                None
            }
        };
        if let Some(db) = &db {
            let mut ended = self.setup(db)?;
            if let Ended::Completed = ended {
                if !p.faults_from_open {
                    let (f, cfg) = self.plan_fault(&mut frng, dry_ops);
                    fault = f;
                    let at = self.storage.ops();
                    self.note(|| format!("armed at op {at}: {fault:?}"));
                    self.arm(cfg);
                }
                ended = self.workload(db)?;
            }
            match ended {
                Ended::Completed => {
                    if self.wl.random_bool(0.15) && !self.fault_fired() {
                        // A clean shutdown that checkpoints; it may hit the fault.
                        self.note(|| "close".into());
                        match db.clone().close() {
                            Ok(()) => self.after_success(db),
                            Err(e) => {
                                self.ended_on_poisoning_op = true;
                                if let Ended::Stopped(m) = self.engine_error("close", &e)? {
                                    stopped_by = Some(m);
                                }
                            }
                        }
                    }
                }
                Ended::Stopped(m) => stopped_by = Some(m),
            }
            if self.ended_on_poisoning_op && !self.storage.is_halted() {
                self.check_poisoned(db)?;
            }
        }
        let fault_fired = self.fault_fired();
        let acked = self.acked;
        let checkpoints = self.checkpoints;
        drop(db);

        // The process dies.
        let halted = self.storage.is_halted();
        let crash = if !halted && frng.random_bool(0.25) {
            CrashKind::ProcessCrash
        } else {
            CrashKind::PowerLoss(CrashMode::ALL[frng.random_range(0..3)])
        };
        let crash_seed: u64 = frng.random();
        self.note(|| format!("crash: {crash:?} (seed {crash_seed})"));
        match crash {
            CrashKind::PowerLoss(mode) => self.storage.crash(mode, crash_seed),
            CrashKind::ProcessCrash => self.storage.set_faults(FaultConfig::default()),
        }
        let mut power_lost = matches!(crash, CrashKind::PowerLoss(_));
        // After a process crash the database may be reopened in another mode.
        let reopen_sync = if !power_lost && frng.random_bool(0.3) {
            [Synchronous::Full, Synchronous::Normal, Synchronous::Off][frng.random_range(0..3)]
        } else {
            p.synchronous
        };
        if reopen_sync != p.synchronous {
            self.note(|| format!("reopening in {reopen_sync:?}"));
        }
        let double_crash = frng.random_bool(0.2);
        if double_crash {
            let after = frng.random_range(0..12);
            let mode = CrashMode::ALL[frng.random_range(0..3)];
            let seed = frng.random();
            self.note(|| format!("recovery crashed after {after} ops, then {mode:?}"));
            let now = self.storage.ops();
            self.storage.set_faults(FaultConfig {
                crash_after_ops: Some(now + after),
                tear_last_write: frng.random_bool(0.5),
                seed,
                ..Default::default()
            });
            let first = self.open(reopen_sync);
            self.note(|| format!("first recovery: {}", first.as_ref().map_or_else(err_text, |_| "opened".into())));
            drop(first);
            self.storage.crash(mode, frng.random());
            power_lost = true;
        }

        let unchecked = power_lost && p.synchronous == Synchronous::Off;
        // A recovery run in `Off` never fsyncs the data file it adopts: if it
        // was never made durable (its creation failed before the fsync), the
        // power loss that follows may leave it damaged, which `Off` allows.
        // If it reopens, the contents must still be an allowed state.
        let may_fail = unchecked || (double_crash && reopen_sync == Synchronous::Off);
        let db = match self.open(reopen_sync) {
            Ok(db) => db,
            Err(e) if may_fail => {
                self.note(|| format!("reopen failed (allowed after a power loss in Off): {e}"));
                return Ok(self.outcome(
                    fault,
                    fault_fired,
                    stopped_by,
                    dry_ops,
                    acked,
                    checkpoints,
                    crash,
                    reopen_sync,
                    double_crash,
                    Recovered::CleanError(e.to_string()),
                    RecoveryReport::default(),
                ));
            }
            Err(e) => return Err(format!("reopen after the crash failed: {e}")),
        };
        let report = db.recovery_report().clone();
        self.note(|| format!("recovered: {report:?}"));
        let (recovered, state) = if unchecked {
            let state = scan(&db.begin_read()).unwrap_or_default();
            (Recovered::Unchecked, state)
        } else {
            self.verify(&db, power_lost, &mut frng)?
        };
        self.write_cycle(db, state, reopen_sync, unchecked, &mut frng)?;
        Ok(self.outcome(
            fault,
            fault_fired,
            stopped_by,
            dry_ops,
            acked,
            checkpoints,
            crash,
            reopen_sync,
            double_crash,
            recovered,
            report,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn outcome(
        &self,
        fault: InjectedFault,
        fault_fired: bool,
        stopped_by: Option<String>,
        dry_run_ops: u64,
        acked_commits: u64,
        checkpoints: u64,
        crash: CrashKind,
        reopen_synchronous: Synchronous,
        double_crash: bool,
        recovered: Recovered,
        recovery: RecoveryReport,
    ) -> WorkloadOutcome {
        WorkloadOutcome {
            seed: self.seed,
            page_size: self.params.page_size,
            synchronous: self.params.synchronous,
            reopen_synchronous,
            faults_from_open: self.params.faults_from_open,
            fault,
            fault_fired,
            stopped_by,
            dry_run_ops,
            acked_commits,
            checkpoints,
            in_flight: self.in_flight.is_some(),
            crash,
            double_crash,
            recovered,
            recovery,
        }
    }

    /// After a failed commit or checkpoint: writes are refused and readers
    /// stay on the last acknowledged commit.
    fn check_poisoned(&mut self, db: &Database) -> SimResult<()> {
        match db.begin_write() {
            Err(Error::Poisoned(_)) => {}
            Err(e) => {
                return Err(format!("after a failed commit or checkpoint, begin_write failed with {e}, not Poisoned"));
            }
            Ok(_) => return Err("after a failed commit or checkpoint, begin_write succeeded".into()),
        }
        let r = db.begin_read();
        if r.lsn() != self.last_lsn() {
            return Err(format!(
                "after a failed commit, readers see LSN {} but the last acknowledged commit is {}",
                r.lsn(),
                self.last_lsn()
            ));
        }
        match scan(&r) {
            Ok(s) if &s == self.acked_state() => Ok(()),
            Ok(s) => Err(format!(
                "after a failed commit, readers see a state other than the last acknowledged one: {}",
                diff(self.acked_state(), &s)
            )),
            // Reads may fail on a storage whose fault is still active.
            Err(_) => Ok(()),
        }
    }

    /// The model's state at commit LSN `lsn`, if it is a known state.
    fn state_at(&self, lsn: Lsn) -> Option<&State> {
        self.history.iter().rev().find(|(l, _)| *l == lsn).map(|(_, s)| s)
    }

    /// Checks the recovered database; returns which allowed state it is and
    /// the recovered contents.
    fn verify(&mut self, db: &Database, power_lost: bool, frng: &mut SmallRng) -> SimResult<(Recovered, State)> {
        let r = db.begin_read();
        let lsn = r.lsn();
        let state = scan(&r).map_err(|e| format!("scanning the recovered database: {e}"))?;
        check_reads(&r, &state)?;
        drop(r);
        if db.recovery_report().last_lsn != lsn {
            return Err(format!(
                "recovery report's last LSN {} differs from the snapshot's {lsn}",
                db.recovery_report().last_lsn
            ));
        }
        // The oldest acknowledged LSN recovery may fall back to.
        let last = self.last_lsn();
        let min_lsn = if power_lost && self.params.synchronous == Synchronous::Normal {
            self.history.iter().map(|(l, _)| *l).filter(|l| *l <= self.durable_floor).max().unwrap_or(0)
        } else {
            last
        };
        let allowed_lsns: Vec<Lsn> = self.history.iter().map(|(l, _)| *l).filter(|l| *l >= min_lsn).collect();
        let recovered = if let Some(expected) = self.state_at(lsn).filter(|_| lsn >= min_lsn) {
            if &state != expected {
                return Err(format!(
                    "recovered LSN {lsn} is an acknowledged commit but the contents differ: {}",
                    diff(expected, &state)
                ));
            }
            if lsn == last {
                Recovered::LastAcked
            } else {
                let lost = self.history.iter().filter(|(l, _)| *l > lsn).count() as u64;
                Recovered::LostAcked { lost }
            }
        } else if lsn > last
            && let Some(expected) = &self.in_flight
        {
            if &state != expected {
                return Err(format!(
                    "recovered LSN {lsn} (after the last acknowledged {last}) but the contents are not the in-flight \
                     commit's: {}",
                    diff(expected, &state)
                ));
            }
            Recovered::InFlight
        } else {
            let near = self.state_at(lsn).map(|s| diff(s, &state));
            return Err(format!(
                "recovered LSN {lsn}, which is not an allowed state (allowed acknowledged LSNs {allowed_lsns:?}, \
                 in-flight commit: {}, durable floor {}); model state at that LSN vs recovered: {near:?}; \
                 last acknowledged vs recovered: {}",
                self.in_flight.is_some(),
                self.durable_floor,
                diff(self.acked_state(), &state)
            ));
        };
        self.note(|| format!("recovered {recovered:?} at LSN {lsn}"));
        self.check_history(db, lsn, &state, frng)?;
        Ok((recovered, state))
    }

    /// Checks the change feed and time travel against the model.
    fn check_history(&self, db: &Database, lsn: Lsn, state: &State, frng: &mut SmallRng) -> SimResult<()> {
        let expected_at = |l: Lsn| -> Option<&State> { if l == lsn { Some(state) } else { self.state_at(l) } };
        let base = db.oldest_retained_lsn();
        if self.params.consumer && base != 0 {
            return Err(format!("a consumer at LSN 0 is registered, yet the oldest retained LSN is {base}"));
        }
        if base > lsn {
            return Err(format!("oldest retained LSN {base} is after the recovered LSN {lsn}"));
        }
        let snap = db.snapshot_at(base).map_err(|e| format!("snapshot_at(oldest retained {base}): {e}"))?;
        let mut replay = scan(&snap).map_err(|e| format!("scanning the snapshot at {base}: {e}"))?;
        drop(snap);
        match expected_at(base) {
            Some(s) if *s == replay => {}
            Some(s) => return Err(format!("snapshot at oldest retained LSN {base} differs: {}", diff(s, &replay))),
            None => return Err(format!("oldest retained LSN {base} is not a commit of the model")),
        }
        let feed = db.read_changes(base, usize::MAX).map_err(|e| format!("read_changes({base}): {e}"))?;
        let iterated: Vec<CommittedTxn> =
            db.changes_since(base).collect::<Result<_, _>>().map_err(|e| format!("changes_since({base}): {e}"))?;
        if iterated != feed {
            return Err(format!(
                "changes_since({base}) gave {} transactions, read_changes gave {}",
                iterated.len(),
                feed.len()
            ));
        }
        let mut prev = base;
        for txn in &feed {
            let mut next = prev + 1;
            for c in &txn.changes {
                if c.lsn != next {
                    return Err(format!(
                        "feed: change LSN {} where {next} was expected (txn {})",
                        c.lsn, txn.commit_lsn
                    ));
                }
                next += 1;
                apply_change(&mut replay, c.tree, c.kind, &c.key, c.before.as_deref(), c.after.as_deref())
                    .map_err(|e| format!("feed txn {} change {}: {e}", txn.commit_lsn, c.lsn))?;
            }
            if txn.commit_lsn != next {
                return Err(format!("feed: commit LSN {} where {next} was expected", txn.commit_lsn));
            }
            prev = txn.commit_lsn;
            match expected_at(prev) {
                Some(s) if *s == replay => {}
                Some(s) => {
                    return Err(format!("feed replayed to LSN {prev} differs from the model: {}", diff(s, &replay)));
                }
                None => return Err(format!("feed holds commit LSN {prev}, which is no state of the model")),
            }
        }
        if prev != lsn {
            return Err(format!("feed from {base} ends at LSN {prev}, the database is at {lsn}"));
        }
        // A few time-travel snapshots in between.
        let between: Vec<Lsn> = feed.iter().map(|t| t.commit_lsn).filter(|l| *l != lsn).collect();
        for _ in 0..between.len().min(3) {
            let at = between[frng.random_range(0..between.len())];
            let snap = db.snapshot_at(at).map_err(|e| format!("snapshot_at({at}): {e}"))?;
            let got = scan(&snap).map_err(|e| format!("scanning the snapshot at {at}: {e}"))?;
            if snap.lsn() != at {
                return Err(format!("snapshot_at({at}) reports LSN {}", snap.lsn()));
            }
            match expected_at(at) {
                Some(s) if *s == got => {}
                Some(s) => return Err(format!("snapshot at {at} differs from the model: {}", diff(s, &got))),
                None => return Err(format!("no model state at {at}")),
            }
        }
        Ok(())
    }

    /// Writes, commits and reopens the recovered database.
    fn write_cycle(
        &mut self,
        db: Database,
        mut state: State,
        sync: Synchronous,
        unchecked: bool,
        frng: &mut SmallRng,
    ) -> SimResult<()> {
        let outcome = (|| -> crate::Result<Lsn> {
            let mut tx = db.begin_write()?;
            if !tx.tree_exists(1) {
                tx.create_tree(1)?;
            }
            tx.put(1, MARKER_KEY, &self.seed.to_le_bytes())?;
            tx.commit()
        })();
        let lsn = match outcome {
            Ok(l) => l,
            Err(_) if unchecked => return Ok(()),
            Err(e) => return Err(format!("writing to the recovered database: {e}")),
        };
        state.entry(1).or_default().insert(MARKER_KEY.to_vec(), self.seed.to_le_bytes().to_vec());
        let checkpoint = frng.random_bool(0.5);
        if checkpoint && let Err(e) = db.checkpoint() {
            if unchecked {
                return Ok(());
            }
            return Err(format!("checkpoint of the recovered database: {e}"));
        }
        drop(db);
        // A power loss now must keep the commit when the mode promises it.
        let power = sync == Synchronous::Full || (sync == Synchronous::Normal && checkpoint);
        let crash = if power {
            let mode = CrashMode::ALL[frng.random_range(0..3)];
            self.storage.crash(mode, frng.random());
            format!("{mode:?}")
        } else {
            "process crash".to_string()
        };
        self.note(|| format!("write cycle: marker at LSN {lsn}, checkpoint {checkpoint}, then {crash}"));
        let db = match self.open(sync) {
            Ok(db) => db,
            Err(_) if unchecked => return Ok(()),
            Err(e) => return Err(format!("reopening after the write cycle ({crash}): {e}")),
        };
        let r = db.begin_read();
        let got = match scan(&r) {
            Ok(s) => s,
            Err(_) if unchecked => return Ok(()),
            Err(e) => return Err(format!("scanning after the write cycle: {e}")),
        };
        if unchecked {
            return Ok(());
        }
        if r.lsn() != lsn || got != state {
            return Err(format!(
                "after the write cycle ({crash}) the database is at LSN {} (expected {lsn}): {}",
                r.lsn(),
                diff(&state, &got)
            ));
        }
        Ok(())
    }
}

/// Applies one change of the feed to `state`, checking its before-image.
fn apply_change(
    state: &mut State,
    tree: TreeId,
    kind: ChangeKind,
    key: &[u8],
    before: Option<&[u8]>,
    after: Option<&[u8]>,
) -> Result<(), String> {
    match kind {
        ChangeKind::CreateTree => {
            if state.insert(tree, Tree::new()).is_some() {
                return Err(format!("creates tree {tree}, which exists"));
            }
        }
        ChangeKind::DropTree => {
            if state.remove(&tree).is_none() {
                return Err(format!("drops tree {tree}, which does not exist"));
            }
        }
        ChangeKind::Insert | ChangeKind::Update | ChangeKind::Delete => {
            let t = state.get_mut(&tree).ok_or_else(|| format!("changes missing tree {tree}"))?;
            let old = t.get(key).map(Vec::as_slice);
            let expected_before = if kind == ChangeKind::Insert { None } else { old };
            if before != expected_before || (kind == ChangeKind::Insert && old.is_some()) {
                return Err(format!(
                    "{kind:?} of {tree} {}: before-image {:?}, but the replayed value is {:?}",
                    show(key),
                    sv_ref(before),
                    sv_ref(old)
                ));
            }
            match (kind, after) {
                (ChangeKind::Delete, None) => {
                    t.remove(key);
                }
                (ChangeKind::Insert | ChangeKind::Update, Some(a)) => {
                    t.insert(key.to_vec(), a.to_vec());
                }
                _ => return Err(format!("{kind:?} with after-image {:?}", sv_ref(after))),
            }
        }
    }
    Ok(())
}

/// Every tree of a snapshot, each scanned forward and checked to be in
/// strictly increasing key order.
fn scan(r: &ReadTxn) -> crate::Result<State> {
    let mut state = State::new();
    for t in r.trees() {
        let mut tree = Tree::new();
        let mut prev: Option<Vec<u8>> = None;
        for kv in r.range(t, ..)? {
            let (k, v) = kv?;
            if prev.as_ref().is_some_and(|p| *p >= k) {
                return Err(Error::Corrupt {
                    path: format!("tree {t}"),
                    reason: format!("scan out of order: {} after {}", show(&k), show(prev.as_deref().unwrap_or(&[]))),
                });
            }
            prev = Some(k.clone());
            tree.insert(k, v);
        }
        state.insert(t, tree);
    }
    Ok(state)
}

/// Checks backward scans, `tree_len` and point reads against `state`.
fn check_reads(r: &ReadTxn, state: &State) -> SimResult<()> {
    for (t, tree) in state {
        let back: Vec<(Vec<u8>, Vec<u8>)> =
            r.range(*t, ..).and_then(|it| it.rev().collect()).map_err(|e| format!("backward scan of tree {t}: {e}"))?;
        if !back.iter().rev().map(|(k, v)| (k, v)).eq(tree.iter()) {
            return Err(format!("backward scan of tree {t} differs from the forward scan"));
        }
        let len = r.tree_len(*t).map_err(|e| format!("tree_len({t}): {e}"))?;
        if len != tree.len() as u64 {
            return Err(format!("tree_len({t}) is {len} but a scan finds {} entries", tree.len()));
        }
        for (k, v) in tree {
            match r.get(*t, k) {
                Ok(Some(got)) if got == *v => {}
                other => return Err(format!("get({t}, {}) gave {other:?} but the scan found it", show(k))),
            }
        }
        if let Ok(Some(v)) = r.get(*t, b"absent-key") {
            return Err(format!("get of an absent key in tree {t} found {}", show(&v)));
        }
    }
    Ok(())
}

/// A short printable form of a key or value.
fn show(b: &[u8]) -> String {
    let text: String = b.iter().take(24).map(|&c| if c.is_ascii_graphic() { c as char } else { '.' }).collect();
    if b.len() > 24 { format!("{text}..({} bytes)", b.len()) } else { text }
}

fn sv(v: &Option<Vec<u8>>) -> Option<String> {
    v.as_deref().map(show)
}

fn sv_ref(v: Option<&[u8]>) -> Option<String> {
    v.map(show)
}

fn diff_tree(want: &Entries, got: &Entries) -> String {
    let w: Tree = want.iter().cloned().collect();
    let g: Tree = got.iter().cloned().collect();
    let mut a = State::new();
    a.insert(0, w);
    let mut b = State::new();
    b.insert(0, g);
    diff(&a, &b)
}

/// The first few differences between an expected and an actual state.
fn diff(expected: &State, actual: &State) -> String {
    let mut out = Vec::new();
    let ids: std::collections::BTreeSet<TreeId> = expected.keys().chain(actual.keys()).copied().collect();
    for t in ids {
        match (expected.get(&t), actual.get(&t)) {
            (Some(_), None) => out.push(format!("tree {t} missing")),
            (None, Some(_)) => out.push(format!("tree {t} unexpected")),
            (Some(e), Some(a)) => {
                let keys: std::collections::BTreeSet<&Vec<u8>> = e.keys().chain(a.keys()).collect();
                for k in keys {
                    let (ev, av) = (e.get(k), a.get(k));
                    if ev != av {
                        out.push(format!(
                            "tree {t} key {}: expected {:?}, found {:?}",
                            show(k),
                            ev.map(|v| show(v)),
                            av.map(|v| show(v))
                        ));
                    }
                }
            }
            (None, None) => {}
        }
    }
    if out.is_empty() {
        return "no difference".into();
    }
    let n = out.len();
    out.truncate(6);
    if n > 6 {
        out.push(format!("... {} more", n - 6));
    }
    out.join("; ")
}
