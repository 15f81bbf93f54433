//! Real-process crash test: a child process commits to a database on real
//! files in a loop and is killed with SIGKILL at a random moment; the
//! parent then reopens the database and checks that every commit the child
//! acknowledged is there and that the contents are exactly a prefix of the
//! commit sequence (no partial transaction).
//!
//! The test binary re-executes itself as the child (`kill_child_entry`,
//! which does nothing unless `DOSQL_KILL_CHILD` names a directory). The
//! random kill delays come from a seed that is printed; `DOSQL_KILL_SEED`
//! replays one.

use dosql_storage::{CheckpointConfig, Config, Database, Error};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "DOSQL_KILL_CHILD";
const DB_FILE: &str = "kill.db";
const TREE: u64 = 1;
const ROUNDS: usize = 3;
/// A child that is never killed stops by itself after this long.
const CHILD_LIFETIME: Duration = Duration::from_secs(60);

/// Keys are the numbers 0, 1, 2, ... in big-endian, so key order is
/// numeric order.
fn key(i: u64) -> [u8; 8] {
    i.to_be_bytes()
}

/// The value of key `i`; every 37th is large enough to overflow a page.
fn value(i: u64) -> Vec<u8> {
    let len = if i % 37 == 5 { 6000 } else { 24 + (i % 50) as usize };
    format!("value-{i}-").into_bytes().into_iter().cycle().take(len).collect()
}

/// The number of keys the transaction starting at key `first` writes: the
/// commit boundaries are a function of the key numbers, so the parent
/// knows them without being told.
fn txn_len(first: u64) -> u64 {
    match first.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 61 {
        0 => 3,
        1 => 5,
        _ => 1,
    }
}

/// Full durability (the default), with small checkpoint thresholds and WAL
/// segments so kills also land in checkpoints and segment switches.
fn config() -> Config {
    Config {
        checkpoint: CheckpointConfig { wal_entry_threshold: 150, min_interval: Duration::ZERO, ..Default::default() },
        wal_segment_bytes: 32 * 1024,
        ..Config::default()
    }
}

/// The child: commits forever, printing `acked N` (N = the last key of the
/// transaction) after each commit returns.
#[test]
fn kill_child_entry() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    if let Err(e) = child_main(Path::new(&dir)) {
        eprintln!("kill child failed: {e}");
        std::process::exit(3);
    }
}

fn child_main(dir: &Path) -> Result<(), Error> {
    let db = Database::open(dir.join(DB_FILE), config())?;
    let mut next = {
        let r = db.begin_read();
        if r.tree_exists(TREE) { r.tree_len(TREE)? } else { 0 }
    };
    let stdout = std::io::stdout();
    let say = |line: String| {
        let mut out = stdout.lock();
        // The parent may already be gone; the child is killed soon anyway.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    // libtest has printed "test kill_child_entry ... " without a newline.
    say(format!("\nready {next}"));
    let start = Instant::now();
    while start.elapsed() < CHILD_LIFETIME {
        let mut tx = db.begin_write()?;
        if !tx.tree_exists(TREE) {
            tx.create_tree(TREE)?;
        }
        let end = next + txn_len(next);
        for i in next..end {
            tx.put(TREE, &key(i), &value(i))?;
        }
        tx.commit()?;
        say(format!("acked {}", end - 1));
        next = end;
    }
    Ok(())
}

/// Kills the child if the parent leaves early (a failed assertion).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One round: start the child, kill it after `delay` of committing, return
/// the last key it acknowledged (if any) and its stderr.
fn run_child(dir: &Path, delay: Duration) -> (Option<u64>, u64, String) {
    let exe = std::env::current_exe().expect("current_exe");
    let mut child = KillOnDrop(
        Command::new(exe)
            .args(["--exact", "kill_child_entry", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the child"),
    );
    let stdout = child.0.stdout.take().expect("piped stdout");
    let mut stderr = child.0.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut acked: Option<u64> = None;
    let mut acks = 0u64;
    let mut note = |line: &str| {
        if let Some(n) = line.strip_prefix("acked ") {
            let n: u64 = n.trim().parse().expect("acked line");
            assert!(acked.is_none_or(|a| n > a), "acks out of order: {n} after {acked:?}");
            acked = Some(n);
            acks += 1;
        }
    };
    // Wait for the child to be ready, then let it commit for `delay`.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("ready ") => break,
            Ok(line) => note(&line),
            Err(_) => {
                drop(child);
                panic!("the child never became ready; stderr: {}", err_reader.join().unwrap_or_default());
            }
        }
    }
    std::thread::sleep(delay);
    if let Ok(Some(status)) = child.0.try_wait() {
        drop(child);
        panic!("the child exited by itself ({status}); stderr: {}", err_reader.join().unwrap_or_default());
    }
    child.0.kill().expect("SIGKILL the child");
    child.0.wait().expect("reap the child");
    reader.join().expect("stdout reader");
    for line in rx.try_iter() {
        note(&line);
    }
    let stderr = err_reader.join().unwrap_or_default();
    (acked, acks, stderr)
}

/// Checks the database holds exactly keys `0..n` for a commit boundary `n`
/// covering every acknowledged key; returns `n`.
fn check_prefix(dir: &Path, acked: Option<u64>, round: usize) -> u64 {
    let db = Database::open(dir.join(DB_FILE), config()).expect("reopen after the kill");
    let report = db.recovery_report().clone();
    let r = db.begin_read();
    let mut n = 0u64;
    if r.tree_exists(TREE) {
        for kv in r.range(TREE, ..).expect("range") {
            let (k, v) = kv.expect("scan");
            assert_eq!(k, key(n), "round {round}: key {n} missing or out of place");
            assert_eq!(v, value(n), "round {round}: key {n} has the wrong value");
            n += 1;
        }
        assert_eq!(r.tree_len(TREE).expect("tree_len"), n);
    }
    if let Some(a) = acked {
        assert!(n > a, "round {round}: acknowledged key {a} lost; the database has keys 0..{n}");
    }
    let mut boundary = 0;
    while boundary < n {
        boundary += txn_len(boundary);
    }
    assert_eq!(boundary, n, "round {round}: keys 0..{n} end inside a transaction");
    eprintln!("round {round}: recovered keys 0..{n}; {report:?}");
    n
}

#[test]
fn killed_process_keeps_every_acknowledged_commit() {
    let seed = match std::env::var("DOSQL_KILL_SEED") {
        Ok(s) => s.trim().parse().expect("DOSQL_KILL_SEED is a number"),
        Err(_) => {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
        }
    };
    eprintln!("kill test seed {seed} (replay with DOSQL_KILL_SEED={seed})");
    let mut rng = SmallRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut before = 0;
    for round in 0..ROUNDS {
        let delay = Duration::from_millis(rng.random_range(50..300));
        let (acked, acks, stderr) = run_child(dir.path(), delay);
        assert!(!stderr.contains("kill child failed"), "round {round}: the child failed: {stderr}");
        eprintln!("round {round}: killed after {delay:?}, {acks} commits acknowledged, last key {acked:?}");
        let n = check_prefix(dir.path(), acked, round);
        assert!(n >= before, "round {round}: keys 0..{before} of earlier rounds shrank to 0..{n}");
        before = n;
    }
}
