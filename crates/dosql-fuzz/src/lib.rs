//! A seeded fuzzer for DoSQL's parser and executor.
//!
//! [`generate::Generator`] writes random SQL scripts (schema, DML, queries,
//! transactions, and garbage made by mangling those); [`run_script`] runs one
//! on a fresh in-memory [`dosql_sql::Connection`] and asserts, statement by
//! statement:
//! - no panic (each statement runs under `catch_unwind`; a panic hook records
//!   its message, location and backtrace instead of printing them);
//! - every error is an `Err` with a non-empty message;
//! - after every failing statement (and at the end of the script) the
//!   database is consistent ([`check::check`]).
//!
//! [`fuzz`] runs scripts until a statement or time budget is spent; script
//! `i` of a run with seed `s` is generated from `s + i` alone, so any finding
//! reproduces from its seed, and [`minimize`] shrinks a failing script by
//! dropping statements while it still fails the same way.
//!
//! The differential fuzzer lives beside it: [`diffgen`] writes scripts whose
//! answers SQLite fully determines, and [`diff`] runs them on DoSQL and on a
//! reference engine (SQLite, which the caller supplies: the test
//! `tests/difffuzz.rs` and the example `difffuzz` share
//! `tests/support/sqlite.rs`) and compares the answers.
//!
//! Left out: hangs and stack overflows cannot be caught in-process (the
//! generator avoids unbounded statements instead, see [`generate`]).

pub mod check;
pub mod diff;
pub mod diffgen;
pub mod generate;

use std::backtrace::Backtrace;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use dosql_sql::Connection;

/// What went wrong in a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingKind {
    /// A statement panicked.
    Panic {
        /// The panic message.
        message: String,
        /// `file:line:column` of the panic.
        location: String,
        /// The backtrace captured at the panic.
        backtrace: String,
    },
    /// A statement failed with an empty message.
    EmptyError,
    /// The database was inconsistent after the statement.
    Inconsistent(String),
}

/// A failure found by running a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The script's statements.
    pub script: Vec<String>,
    /// Index in `script` of the statement that failed (or after which the check failed).
    pub statement: usize,
    /// What went wrong.
    pub kind: FindingKind,
}

impl Finding {
    /// Whether `other` is the same failure: the same kind and, for panics, the same location.
    pub fn same_as(&self, other: &Finding) -> bool {
        match (&self.kind, &other.kind) {
            (FindingKind::Panic { location: a, .. }, FindingKind::Panic { location: b, .. }) => a == b,
            (FindingKind::EmptyError, FindingKind::EmptyError) => true,
            (FindingKind::Inconsistent(_), FindingKind::Inconsistent(_)) => true,
            _ => false,
        }
    }

    /// A short description: kind, statement and, for panics, message and location.
    pub fn describe(&self) -> String {
        let stmt = self.script.get(self.statement).map_or("", String::as_str);
        let stmt: String = if stmt.len() > 2000 {
            let mut end = 2000;
            while !stmt.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}... ({} bytes)", &stmt[..end], stmt.len())
        } else {
            stmt.to_owned()
        };
        match &self.kind {
            FindingKind::Panic { message, location, .. } => {
                format!("panic at {location}: {message}\n  statement: {stmt}")
            }
            FindingKind::EmptyError => format!("empty error message\n  statement: {stmt}"),
            FindingKind::Inconsistent(why) => format!("inconsistent after a failure: {why}\n  statement: {stmt}"),
        }
    }
}

/// What running one script counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptOutcome {
    /// Statements run (including the one that panicked).
    pub statements: u64,
    /// Statements that returned `Err`.
    pub errors: u64,
    /// The first failure, which ends the script.
    pub finding: Option<Finding>,
}

/// Panics captured by the hook while a fuzzer runs.
static CAPTURED: Mutex<Option<(String, String, String)>> = Mutex::new(None);
/// How many fuzzers are running (the hook stays quiet while any is).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static HOOK: Once = Once::new();

/// Installs (once) a panic hook that, while a fuzzer runs, records the
/// panic instead of printing it; otherwise it defers to the previous hook.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ACTIVE.load(Ordering::SeqCst) == 0 {
                previous(info);
                return;
            }
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic payload)".to_owned());
            let location =
                info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())).unwrap_or_default();
            let backtrace = Backtrace::force_capture().to_string();
            if let Ok(mut c) = CAPTURED.lock() {
                *c = Some((message, location, backtrace));
            }
        }));
    });
}

/// Marks a fuzzer as running for the guard's lifetime.
struct Active;

impl Active {
    fn new() -> Self {
        install_hook();
        ACTIVE.fetch_add(1, Ordering::SeqCst);
        Active
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `f`, turning a panic into the captured message, location and backtrace.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, FindingKind> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let captured = CAPTURED.lock().ok().and_then(|mut c| c.take());
        let (message, location, backtrace) = captured.unwrap_or_else(|| {
            let m = payload.downcast_ref::<String>().cloned().unwrap_or_else(|| "(unknown panic)".to_owned());
            (m, String::new(), String::new())
        });
        FindingKind::Panic { message, location, backtrace }
    })
}

/// The stack each script runs with: a typical main thread's. The engine
/// binds and evaluates expression trees recursively, and trees near SQLite's
/// depth limit of 1000 need more than the 2 MiB a spawned (or test) thread
/// gets by default.
pub const SCRIPT_STACK: usize = 8 << 20;

/// Runs `script` on a fresh in-memory database, stopping at the first
/// finding. The script runs on its own thread with [`SCRIPT_STACK`].
pub fn run_script(script: &[String]) -> ScriptOutcome {
    let _active = Active::new();
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("dosql-fuzz".into())
            .stack_size(SCRIPT_STACK)
            .spawn_scoped(scope, || run_script_here(script));
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|_| ScriptOutcome {
                statements: 0,
                errors: 0,
                finding: Some(Finding {
                    script: script.to_vec(),
                    statement: 0,
                    kind: FindingKind::Inconsistent("the script's thread panicked outside a statement".into()),
                }),
            }),
            Err(_) => run_script_here(script),
        }
    })
}

fn run_script_here(script: &[String]) -> ScriptOutcome {
    let mut out = ScriptOutcome::default();
    let finding = |statement: usize, kind| Some(Finding { script: script.to_vec(), statement, kind });
    let mut conn = match Connection::open_in_memory() {
        Ok(c) => c,
        Err(e) => {
            out.finding = finding(0, FindingKind::Inconsistent(format!("cannot open a database: {e}")));
            return out;
        }
    };
    // Stack overflows and hangs kill or stall the process before anything
    // is reported: `DOSQL_FUZZ_TRACE=1` prints each statement first.
    let trace = std::env::var_os("DOSQL_FUZZ_TRACE").is_some();
    for (i, sql) in script.iter().enumerate() {
        out.statements += 1;
        if trace {
            eprintln!("[{i}] {sql}");
        }
        match guarded(|| conn.execute(sql)) {
            Err(panic) => {
                out.finding = finding(i, panic);
                return out;
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                out.errors += 1;
                if e.to_string().trim().is_empty() {
                    out.finding = finding(i, FindingKind::EmptyError);
                    return out;
                }
                if let Some(kind) = checked(&mut conn) {
                    out.finding = finding(i, kind);
                    return out;
                }
            }
        }
    }
    if let Some(kind) = checked(&mut conn) {
        out.finding = finding(script.len().saturating_sub(1), kind);
    }
    out
}

/// [`check::check`] under the panic guard; `None` when consistent.
fn checked(conn: &mut Connection) -> Option<FindingKind> {
    match guarded(|| check::check(conn)) {
        Ok(Ok(())) => None,
        Ok(Err(why)) => Some(FindingKind::Inconsistent(why)),
        Err(panic) => Some(panic),
    }
}

/// The script a run with `seed` uses as its `index`-th.
pub fn script_for(seed: u64, index: u64) -> Vec<String> {
    let script_seed = seed.wrapping_add(index);
    let mut g = generate::Generator::new(script_seed);
    // Script lengths vary so both short and long histories are exercised.
    let len = 10 + (script_seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize;
    g.script(len)
}

/// Shrinks a failing script: drops chunks of statements (halving the chunk
/// size down to one) while the script still fails the same way.
pub fn minimize(finding: &Finding) -> Finding {
    minimize_with(finding, |script| run_script(script).finding)
}

/// [`minimize`] with any way of running a script (`run` returns the
/// script's finding, if any).
pub fn minimize_with(finding: &Finding, run: impl Fn(&[String]) -> Option<Finding>) -> Finding {
    let mut best = finding.clone();
    best.script.truncate(best.statement + 1);
    let mut chunk = best.script.len().div_ceil(2).max(1);
    loop {
        let mut start = 0;
        while start < best.script.len() && best.script.len() > 1 {
            let mut candidate = best.script.clone();
            let end = (start + chunk).min(candidate.len());
            candidate.drain(start..end);
            match run(&candidate) {
                Some(f) if f.same_as(finding) => {
                    best = f;
                    best.script.truncate(best.statement + 1);
                }
                _ => start += chunk,
            }
        }
        if chunk == 1 {
            return best;
        }
        chunk = chunk.div_ceil(2);
    }
}

/// How long a [`fuzz`] run goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The run's seed.
    pub seed: u64,
    /// Stop after at least this many statements.
    pub statements: Option<u64>,
    /// Stop after this much time.
    pub duration: Option<Duration>,
}

/// How many findings a [`fuzz`] run minimizes and keeps (all are counted).
pub const MAX_FINDINGS: usize = 20;

/// What a [`fuzz`] run found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Scripts run.
    pub scripts: u64,
    /// Statements run.
    pub statements: u64,
    /// Statements that returned an error.
    pub errors: u64,
    /// Statements that panicked.
    pub panics: u64,
    /// Every finding, each minimized.
    pub findings: Vec<Finding>,
}

impl Report {
    /// `N statements, N errors, N panics`.
    pub fn summary(&self) -> String {
        format!("{} statements, {} errors, {} panics", self.statements, self.errors, self.panics)
    }
}

/// Runs scripts from `opts.seed` until the budget is spent (with neither
/// limit, 2,000 statements). `progress` sees the report after each script.
/// Findings are minimized; a finding already seen (same kind and location)
/// is counted but not kept twice, and at most [`MAX_FINDINGS`] are kept.
pub fn fuzz(opts: &Options, mut progress: impl FnMut(&Report)) -> Report {
    let started = Instant::now();
    let statement_budget = match (opts.statements, opts.duration) {
        (None, None) => Some(2_000),
        (s, _) => s,
    };
    let mut report = Report::default();
    loop {
        if statement_budget.is_some_and(|n| report.statements >= n)
            || opts.duration.is_some_and(|d| started.elapsed() >= d)
        {
            return report;
        }
        let script = script_for(opts.seed, report.scripts);
        let outcome = run_script(&script);
        report.scripts += 1;
        report.statements += outcome.statements;
        report.errors += outcome.errors;
        if let Some(f) = outcome.finding {
            if matches!(f.kind, FindingKind::Panic { .. }) {
                report.panics += 1;
            }
            let seen = report.findings.iter().any(|g| g.same_as(&f) && !matches!(f.kind, FindingKind::Inconsistent(_)));
            // Minimizing costs many reruns: keep the first few distinct findings.
            if !seen && report.findings.len() < MAX_FINDINGS {
                report.findings.push(minimize(&f));
            }
        }
        progress(&report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_captured_with_its_location() {
        let _active = Active::new();
        let r: Result<(), _> = guarded(|| panic!("boom {}", 7));
        match r {
            Err(FindingKind::Panic { message, location, backtrace }) => {
                assert_eq!(message, "boom 7");
                assert!(location.contains("lib.rs"), "{location}");
                assert!(!backtrace.is_empty());
            }
            other => panic!("expected a captured panic, got {other:?}"),
        }
        assert_eq!(guarded(|| 5), Ok(5));
    }

    #[test]
    fn summary_line() {
        let r = Report { statements: 10, errors: 3, panics: 1, ..Report::default() };
        assert_eq!(r.summary(), "10 statements, 3 errors, 1 panics");
    }
}
