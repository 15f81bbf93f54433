//! Crash safety under fault injection: thousands of deterministic workloads
//! of [`dosql_storage::sim`], each crashed at a random storage operation
//! and checked after recovery.
//!
//! `DOSQL_CRASH_WORKLOADS` sets how many workloads run (default 10,000) and
//! `DOSQL_CRASH_SEED` the first seed (default 0). A failure, or a panic,
//! prints the seed and the command that replays it alone.

use dosql_storage::sim;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The seed being run, for the panic message.
static CURRENT_SEED: AtomicU64 = AtomicU64::new(u64::MAX);

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

#[test]
fn crash_recovery_soak() {
    let count = env_u64("DOSQL_CRASH_WORKLOADS", 10_000);
    let start = env_u64("DOSQL_CRASH_SEED", 0);
    // Panics are bugs and are not caught; name the seed before the default report.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let seed = CURRENT_SEED.load(Ordering::SeqCst);
        if seed != u64::MAX {
            eprintln!(
                "crash simulation panicked at seed {seed}; replay with \
                 DOSQL_CRASH_SEED={seed} DOSQL_CRASH_WORKLOADS=1 cargo test -p dosql-storage --test crash"
            );
        }
        default_hook(info);
    }));
    let t0 = Instant::now();
    let result = sim::soak(start, count, |seed| CURRENT_SEED.store(seed, Ordering::SeqCst));
    CURRENT_SEED.store(u64::MAX, Ordering::SeqCst);
    let elapsed = t0.elapsed();
    match result {
        Ok(report) => {
            eprintln!("{count} crash workloads from seed {start} in {elapsed:.2?}: {report:#?}");
            assert_eq!(report.workloads, count);
        }
        Err(failure) => panic!("{failure}"),
    }
}

#[test]
fn workloads_replay_identically() {
    let start = env_u64("DOSQL_CRASH_SEED", 0);
    for seed in start..start + 25 {
        assert_eq!(sim::run_workload(seed), sim::run_workload(seed), "seed {seed}");
    }
}

/// A checkpoint that fails after writing its pages must not have reused the
/// pages of a checkpoint the durable meta still lists as retained history:
/// after a reopen, `oldest_retained_lsn` promises time travel to it.
#[test]
fn failed_checkpoint_keeps_retained_history_readable() {
    use dosql_storage::vfs::{FaultConfig, FaultStorage};
    use dosql_storage::{Config, Database};
    use std::sync::Arc;

    let storage = FaultStorage::new();
    let config = || Config { page_size: 1024, ..Config::default() };
    let db = Database::open_with_storage(Arc::new(storage.clone()), "h.db", config()).expect("open");
    let put = |v: &[u8]| {
        let mut tx = db.begin_write().expect("begin");
        if !tx.tree_exists(1) {
            tx.create_tree(1).expect("create");
        }
        tx.put(1, b"k", v).expect("put");
        tx.commit().expect("commit")
    };
    let first = put(b"one");
    db.checkpoint().expect("checkpoint 1");
    put(b"two");
    db.checkpoint().expect("checkpoint 2: checkpoint 1 is now the retained history");
    put(b"three");
    // Checkpoint 3 writes its pages, then its data-file fsync fails: its meta
    // is never written, so checkpoint 2 (and its history) stays current.
    storage.set_faults(FaultConfig { fail_sync_at: Some(storage.ops() + 1), ..Default::default() });
    assert!(db.checkpoint().is_err());
    drop(db);
    // The process dies; the page writes stay in the OS cache.
    storage.set_faults(FaultConfig::default());
    let db = Database::open_with_storage(Arc::new(storage.clone()), "h.db", config()).expect("reopen");
    assert_eq!(db.oldest_retained_lsn(), first);
    let snap = db.snapshot_at(first).expect("the retained checkpoint 1 must still be readable");
    assert_eq!(snap.get(1, b"k").expect("get"), Some(b"one".to_vec()));
}

/// The small pages and log segments the durability tests use.
fn small_config(synchronous: dosql_storage::Synchronous) -> dosql_storage::Config {
    dosql_storage::Config { page_size: 1024, wal_segment_bytes: 4096, synchronous, ..Default::default() }
}

/// Commits key `acked` into tree 1: the commit a power loss must not lose.
fn commit_acked(db: &dosql_storage::Database) {
    let mut tx = db.begin_write().expect("begin");
    tx.put(1, b"acked", b"in full mode").expect("put");
    tx.commit().expect("commit");
}

/// Forty commits of one key each into tree 1, with a checkpoint after
/// every tenth.
fn write_forty_with_checkpoints(db: &dosql_storage::Database) {
    for i in 0..40u32 {
        let mut tx = db.begin_write().expect("begin");
        if i == 0 {
            tx.create_tree(1).expect("create");
        }
        tx.put(1, &i.to_be_bytes(), &[7; 100]).expect("put");
        tx.commit().expect("commit");
        if i % 10 == 9 {
            db.checkpoint().expect("checkpoint");
        }
    }
}

/// A database written with `synchronous = Off` and reopened with `Full`
/// after its process died (or closed without any fsync): a commit
/// acknowledged in `Full` must survive a power loss, so recovery must make
/// the state it builds on durable before accepting commits.
#[test]
fn full_commit_after_reopening_an_off_database_survives_power_loss() {
    use dosql_storage::vfs::{CrashMode, FaultStorage};
    use dosql_storage::{Database, Synchronous};
    use std::sync::Arc;

    for mode in CrashMode::ALL {
        for seed in 0..20 {
            let storage = FaultStorage::new();
            let db = Database::open_with_storage(Arc::new(storage.clone()), "o.db", small_config(Synchronous::Off))
                .expect("open");
            write_forty_with_checkpoints(&db);
            drop(db); // the process exits; nothing was ever fsynced
            let db = Database::open_with_storage(Arc::new(storage.clone()), "o.db", small_config(Synchronous::Full))
                .expect("reopen");
            commit_acked(&db);
            drop(db);
            storage.crash(mode, seed);
            let db = Database::open_with_storage(Arc::new(storage.clone()), "o.db", small_config(Synchronous::Full))
                .unwrap_or_else(|e| panic!("{mode:?} seed {seed}: reopen after power loss: {e}"));
            let got = db.begin_read().get(1, b"acked");
            assert!(
                matches!(&got, Ok(Some(v)) if v == b"in full mode"),
                "{mode:?} seed {seed}: a Full commit was lost: {got:?}"
            );
        }
    }
}

/// Switching an open database from `off` to `full` makes everything written
/// so far durable: after a power loss every commit is there, the ones made
/// in `off` mode included, and the first `full` commit above all.
#[test]
fn switching_from_off_to_full_at_runtime_covers_the_whole_history() {
    use dosql_storage::vfs::{CrashMode, FaultStorage};
    use dosql_storage::{Database, Synchronous};
    use std::sync::Arc;

    for mode in CrashMode::ALL {
        for seed in 0..20 {
            let storage = FaultStorage::new();
            let db = Database::open_with_storage(Arc::new(storage.clone()), "s.db", small_config(Synchronous::Off))
                .expect("open");
            write_forty_with_checkpoints(&db);
            db.set_synchronous(Synchronous::Full).expect("switch");
            assert_eq!(db.synchronous(), Synchronous::Full);
            commit_acked(&db);
            drop(db);
            storage.crash(mode, seed);
            let db = Database::open_with_storage(Arc::new(storage.clone()), "s.db", small_config(Synchronous::Full))
                .unwrap_or_else(|e| panic!("{mode:?} seed {seed}: reopen after power loss: {e}"));
            let r = db.begin_read();
            let got = r.get(1, b"acked");
            assert!(
                matches!(&got, Ok(Some(v)) if v == b"in full mode"),
                "{mode:?} seed {seed}: a Full commit was lost: {got:?}"
            );
            for i in 0..40u32 {
                assert!(
                    matches!(r.get(1, &i.to_be_bytes()), Ok(Some(_))),
                    "{mode:?} seed {seed}: off-mode commit {i} lost although the switch made it durable"
                );
            }
        }
    }
}

/// A database closed cleanly by a `Full` session opens without writing or
/// syncing anything (its checkpoint record says it is durable), and what a
/// `Full` commit then adds survives a power loss, with everything before.
#[test]
fn clean_reopen_writes_nothing_and_later_commits_survive_power_loss() {
    use dosql_storage::vfs::{CrashMode, FaultStorage};
    use dosql_storage::{Database, Synchronous};
    use std::sync::Arc;

    for mode in CrashMode::ALL {
        for seed in 0..20 {
            let storage = FaultStorage::new();
            let db = Database::open_with_storage(Arc::new(storage.clone()), "c.db", small_config(Synchronous::Full))
                .expect("open");
            write_forty_with_checkpoints(&db);
            db.close().expect("close");
            let ops = storage.ops();
            let db = Database::open_with_storage(Arc::new(storage.clone()), "c.db", small_config(Synchronous::Full))
                .expect("reopen");
            assert_eq!(storage.ops(), ops, "opening a cleanly closed database wrote or synced");
            assert_eq!(db.recovery_report().replayed_txns, 0);
            // A session that only reads closes without a write or a sync
            // too, and leaves the file as clean as it found it.
            assert!(matches!(db.begin_read().get(1, &7u32.to_be_bytes()), Ok(Some(_))));
            db.close().expect("close after reading");
            assert_eq!(storage.ops(), ops, "closing a session that changed nothing wrote or synced");
            let db = Database::open_with_storage(Arc::new(storage.clone()), "c.db", small_config(Synchronous::Full))
                .expect("reopen after a read-only session");
            assert_eq!(storage.ops(), ops, "the read-only session left the file unclean");
            commit_acked(&db);
            drop(db);
            storage.crash(mode, seed);
            let db = Database::open_with_storage(Arc::new(storage.clone()), "c.db", small_config(Synchronous::Full))
                .unwrap_or_else(|e| panic!("{mode:?} seed {seed}: reopen after power loss: {e}"));
            let rd = db.begin_read();
            assert!(
                matches!(rd.get(1, b"acked"), Ok(Some(v)) if v == b"in full mode"),
                "{mode:?} seed {seed}: a Full commit was lost"
            );
            for i in 0..40u32 {
                assert!(matches!(rd.get(1, &i.to_be_bytes()), Ok(Some(_))), "{mode:?} seed {seed}: key {i} lost");
            }
        }
    }
}
