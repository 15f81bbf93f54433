//! Property tests: random operation sequences against a `BTreeMap` model.
//!
//! Each case runs puts, deletes, range scans in both directions, savepoints
//! (opened, rolled back to, released), tree drops and re-creation,
//! rollbacks, commits, checkpoints and reopens on a small page size (so
//! splits, merges and overflow values happen after a few dozen keys) and
//! checks every read and the full contents against the model.

use dosql_storage::vfs::MemStorage;
use dosql_storage::{CheckpointConfig, Config, Database};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Debug, Clone)]
enum Op {
    Put(u16, usize),
    Delete(u16),
    Scan(u16, u16, bool),
    Savepoint,
    RollbackToSavepoint,
    ReleaseSavepoint,
    /// Drop the tree and create it again, empty.
    Truncate,
    Commit,
    Rollback,
    Checkpoint,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        30 => (0u16..400, prop_oneof![8 => 0usize..40, 1 => 200usize..3000]).prop_map(|(k, n)| Op::Put(k, n)),
        12 => (0u16..400).prop_map(Op::Delete),
        4 => (0u16..400, 0u16..400, any::<bool>()).prop_map(|(a, b, r)| Op::Scan(a, b, r)),
        2 => Just(Op::Savepoint),
        2 => Just(Op::RollbackToSavepoint),
        1 => Just(Op::ReleaseSavepoint),
        1 => Just(Op::Truncate),
        5 => Just(Op::Commit),
        1 => Just(Op::Rollback),
        1 => Just(Op::Checkpoint),
        1 => Just(Op::Reopen),
    ]
}

fn key(k: u16) -> Vec<u8> {
    // Varying key lengths exercise separator shortening.
    let mut v = format!("{k:05}").into_bytes();
    v.extend(std::iter::repeat_n(b'x', (k % 7) as usize));
    v
}

fn value(k: u16, n: usize, salt: usize) -> Vec<u8> {
    (0..n).map(|i| (i + k as usize + salt) as u8).collect()
}

fn config() -> Config {
    Config {
        page_size: 1024,
        cache_bytes: 64 * 1024,
        checkpoint: CheckpointConfig {
            wal_entry_threshold: 40,
            min_interval: std::time::Duration::ZERO,
            ..Default::default()
        },
        ..Config::default()
    }
}

fn check_contents(db: &Database, model: &Model) -> Result<(), TestCaseError> {
    let r = db.begin_read();
    let got: Vec<_> = r
        .range(1, ..)
        .map_err(|e| TestCaseError::fail(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let want: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    prop_assert_eq!(got.len(), want.len());
    prop_assert!(got == want, "contents differ from the model");
    prop_assert_eq!(r.tree_len(1).map_err(|e| TestCaseError::fail(e.to_string()))?, model.len() as u64);
    Ok(())
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let fail = |e: dosql_storage::Error| TestCaseError::fail(e.to_string());
    let storage = Arc::new(MemStorage::new());
    let mut db = Database::open_with_storage(storage.clone(), "m.db", config()).map_err(fail)?;
    {
        let mut tx = db.begin_write().map_err(fail)?;
        tx.create_tree(1).map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    let mut committed: Model = BTreeMap::new();
    let mut i = 0;
    while i < ops.len() {
        // One transaction: ops until Commit / Rollback / Checkpoint / Reopen.
        let mut working = committed.clone();
        let mut saves: Vec<Model> = Vec::new();
        let mut tx = db.begin_write().map_err(fail)?;
        let mut end = None;
        while i < ops.len() {
            let op = ops[i].clone();
            i += 1;
            match op {
                Op::Put(k, n) => {
                    let v = value(k, n, i);
                    let prev = tx.put(1, &key(k), &v).map_err(fail)?;
                    prop_assert_eq!(prev, working.insert(key(k), v));
                }
                Op::Delete(k) => {
                    let prev = tx.delete(1, &key(k)).map_err(fail)?;
                    prop_assert_eq!(prev, working.remove(&key(k)));
                }
                Op::Scan(a, b, rev) => {
                    let (lo, hi) = (key(a.min(b)), key(a.max(b)));
                    let it = tx.range(1, &lo[..]..&hi[..]).map_err(fail)?;
                    let got: Vec<_> =
                        if rev { it.rev().collect::<Result<_, _>>() } else { it.collect::<Result<_, _>>() }
                            .map_err(fail)?;
                    let mut want: Vec<_> = working
                        .range::<Vec<u8>, _>((Bound::Included(&lo), Bound::Excluded(&hi)))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    if rev {
                        want.reverse();
                    }
                    prop_assert!(got == want, "scan {:?}..{:?} rev={} differs", lo, hi, rev);
                    // Both ends at once, borrowing entries: alternating by
                    // the bits of `a ^ b`, the ends meet without overlap.
                    let mut it = tx.range(1, &lo[..]..&hi[..]).map_err(fail)?;
                    let (mut front, mut back) = (Vec::new(), Vec::new());
                    for step in 0.. {
                        let from_back = (a ^ b) >> (step % 16) & 1 == 1;
                        match it.step_with(from_back, |k, v| (k.to_vec(), v.to_vec())) {
                            Some(e) => {
                                if from_back {
                                    back.push(e.map_err(fail)?)
                                } else {
                                    front.push(e.map_err(fail)?)
                                }
                            }
                            None => break,
                        }
                    }
                    back.reverse();
                    front.extend(back);
                    if rev {
                        front.reverse();
                    }
                    prop_assert!(front == want, "two-ended scan {:?}..{:?} differs", lo, hi);
                }
                Op::Savepoint => {
                    tx.savepoint(&format!("sp{}", saves.len()));
                    saves.push(working.clone());
                }
                Op::ReleaseSavepoint => {
                    if saves.pop().is_some() {
                        tx.release(&format!("sp{}", saves.len())).map_err(fail)?;
                    }
                }
                Op::Truncate => {
                    tx.drop_tree(1).map_err(fail)?;
                    tx.create_tree(1).map_err(fail)?;
                    working.clear();
                }
                Op::RollbackToSavepoint => {
                    if let Some(m) = saves.last() {
                        tx.rollback_to(&format!("sp{}", saves.len() - 1)).map_err(fail)?;
                        working = m.clone();
                    }
                }
                other => {
                    end = Some(other);
                    break;
                }
            }
        }
        match end {
            Some(Op::Rollback) => {
                tx.rollback();
            }
            Some(Op::Checkpoint) => {
                tx.commit().map_err(fail)?;
                committed = working;
                db.checkpoint().map_err(fail)?;
            }
            Some(Op::Reopen) => {
                tx.commit().map_err(fail)?;
                committed = working;
                drop(db);
                db = Database::open_with_storage(storage.clone(), "m.db", config()).map_err(fail)?;
            }
            _ => {
                tx.commit().map_err(fail)?;
                committed = working;
            }
        }
        check_contents(&db, &committed)?;
    }
    drop(db);
    let db = Database::open_with_storage(storage, "m.db", config()).map_err(fail)?;
    check_contents(&db, &committed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn engine_matches_btreemap_model(ops in proptest::collection::vec(op(), 1..400)) {
        run(ops)?;
    }
}

/// Many keys through splits and merges down to empty and back.
#[test]
fn fill_drain_refill() -> Result<(), dosql_storage::Error> {
    let db = Database::open_in_memory(config())?;
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    tx.commit()?;
    for round in 0..2 {
        let mut tx = db.begin_write()?;
        for k in 0..5000u16 {
            tx.put(1, &key(k), &value(k, 20, round))?;
        }
        tx.commit()?;
        let r = db.begin_read();
        assert_eq!(r.range(1, ..)?.count(), 5000);
        let mut tx = db.begin_write()?;
        for k in (0..5000u16).rev() {
            assert!(tx.delete(1, &key(k))?.is_some(), "key {k} missing");
        }
        tx.commit()?;
        db.checkpoint()?;
        assert_eq!(db.begin_read().tree_len(1)?, 0);
        assert_eq!(db.begin_read().range(1, ..)?.count(), 0);
    }
    Ok(())
}

/// Undoing a tree drop to a savepoint gives the tree its pages back: later
/// checkpoints must not hand them to another tree.
#[test]
fn undone_drop_keeps_its_pages() -> Result<(), dosql_storage::Error> {
    let storage = Arc::new(MemStorage::new());
    let mut db = Database::open_with_storage(storage.clone(), "d.db", config())?;
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    tx.create_tree(2)?;
    for k in 0..300u16 {
        tx.put(1, &key(k), &value(k, 30, 1))?;
    }
    tx.commit()?;
    db.checkpoint()?;
    let mut tx = db.begin_write()?;
    // Something that commits, so the transaction's released pages count.
    tx.put(2, b"k", b"v")?;
    tx.savepoint("s");
    tx.drop_tree(1)?;
    tx.create_tree(1)?;
    tx.put(1, &key(1), b"new")?;
    tx.rollback_to("s")?;
    tx.release("s")?;
    tx.commit()?;
    // Fill another tree through several checkpoints, reusing free pages.
    for round in 0..4usize {
        let mut tx = db.begin_write()?;
        for k in 0..300u16 {
            tx.put(2, &key(k), &value(k, 30, round))?;
        }
        tx.commit()?;
        db.checkpoint()?;
    }
    for _ in 0..2 {
        let r = db.begin_read();
        let got: Vec<_> = r.range(1, ..)?.collect::<Result<_, _>>()?;
        let want: Vec<_> = (0..300u16).map(|k| (key(k), value(k, 30, 1))).collect();
        assert!(got == want, "tree 1 changed after its drop was undone");
        drop(r);
        drop(db);
        db = Database::open_with_storage(storage.clone(), "d.db", config())?;
    }
    Ok(())
}
