//! Time travel, the change feed, retention and WAL reclamation, and
//! readers running beside the writer.

use dosql_storage::vfs::MemStorage;
use dosql_storage::{ChangeKind, Config, Database, Error, Retention};
use std::sync::Arc;
use std::time::Duration;

fn config() -> Config {
    Config { page_size: 1024, wal_segment_bytes: 8192, ..Config::default() }
}

fn commit_n(db: &Database, from: u32, n: u32) -> Result<Vec<u64>, Error> {
    let mut lsns = Vec::new();
    for i in from..from + n {
        let mut tx = db.begin_write()?;
        tx.put(1, &i.to_be_bytes(), &i.to_le_bytes())?;
        if i % 3 == 0 && i > 0 {
            tx.delete(1, &(i - 1).to_be_bytes())?;
        }
        lsns.push(tx.commit()?);
    }
    Ok(lsns)
}

#[test]
fn feed_and_time_travel_with_a_consumer() -> Result<(), Error> {
    let db = Database::open_in_memory(config())?;
    db.register_consumer("lake", 0);
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    tx.commit()?;
    let lsns = commit_n(&db, 0, 300)?;
    db.checkpoint()?;
    let more = commit_n(&db, 300, 100)?;
    db.checkpoint()?;

    // The feed replays to exactly the current state, in commit order.
    let mut model = std::collections::BTreeMap::new();
    let mut last = 0;
    let mut txns = 0;
    for txn in db.changes_since(0) {
        let txn = txn?;
        assert!(txn.commit_lsn > last);
        last = txn.commit_lsn;
        txns += 1;
        for c in txn.changes {
            assert!(c.lsn < txn.commit_lsn);
            match c.kind {
                ChangeKind::Insert | ChangeKind::Update => {
                    model.insert(c.key, c.after.expect("after image"));
                }
                ChangeKind::Delete => {
                    assert_eq!(model.remove(&c.key), c.before, "before image matches");
                }
                ChangeKind::CreateTree | ChangeKind::DropTree => {}
            }
        }
    }
    assert_eq!(txns, 401);
    let now: Vec<_> = db.begin_read().range(1, ..)?.collect::<Result<_, _>>()?;
    assert_eq!(now, model.into_iter().collect::<Vec<_>>());

    // Time travel to a commit in the middle sees exactly that state.
    let at = lsns[150];
    let snap = db.snapshot_at(at)?;
    assert_eq!(snap.lsn(), at);
    assert_eq!(snap.get(1, &150u32.to_be_bytes())?, Some(150u32.to_le_bytes().to_vec()));
    assert_eq!(snap.get(1, &151u32.to_be_bytes())?, None);
    assert_eq!(snap.get(1, &148u32.to_be_bytes())?, Some(148u32.to_le_bytes().to_vec()));
    assert_eq!(snap.get(1, &149u32.to_be_bytes())?, None, "deleted by commit 150");
    let snap2 = db.snapshot_at(more[10])?;
    assert!(snap2.get(1, &310u32.to_be_bytes())?.is_some());
    assert!(snap2.get(1, &311u32.to_be_bytes())?.is_none());
    assert!(matches!(db.snapshot_at(u64::MAX), Err(Error::LsnInFuture { .. })));

    // Once the consumer has everything and lets go, history is reclaimed.
    db.ack_consumer("lake", last)?;
    db.remove_consumer("lake");
    drop((snap, snap2));
    commit_n(&db, 400, 5)?;
    db.checkpoint()?;
    commit_n(&db, 405, 5)?;
    let st = db.checkpoint()?;
    assert!(db.oldest_retained_lsn() > lsns[150], "history was reclaimed");
    assert!(matches!(db.snapshot_at(lsns[150]), Err(Error::LsnNotRetained { .. })));
    assert!(st.checkpoint_id >= 4);
    assert!(db.stats().wal.segments <= 3, "old WAL segments removed: {:?}", db.stats().wal);
    Ok(())
}

#[test]
fn retention_window_keeps_history_across_checkpoints() -> Result<(), Error> {
    let storage = Arc::new(MemStorage::new());
    let cfg = Config { retention: Retention { history: Duration::from_secs(3600) }, ..config() };
    let db = Database::open_with_storage(storage.clone(), "h.db", cfg.clone())?;
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    tx.commit()?;
    let lsns = commit_n(&db, 0, 50)?;
    db.checkpoint()?;
    commit_n(&db, 50, 50)?;
    db.checkpoint()?;
    drop(db);
    let db = Database::open_with_storage(storage, "h.db", cfg)?;
    let snap = db.snapshot_at(lsns[20])?;
    assert!(snap.get(1, &20u32.to_be_bytes())?.is_some());
    assert!(snap.get(1, &21u32.to_be_bytes())?.is_none());
    assert_eq!(db.changes_since(lsns[20]).count(), 79);
    Ok(())
}

#[test]
fn readers_see_stable_snapshots_while_the_writer_runs() -> Result<(), Error> {
    let db = Database::open_in_memory(config())?;
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    tx.commit()?;
    std::thread::scope(|s| -> Result<(), Error> {
        let writer = s.spawn(|| -> Result<(), Error> {
            for round in 0..200u32 {
                let mut tx = db.begin_write()?;
                // Every commit keeps the invariant: all 20 keys hold the same round.
                for k in 0..20u32 {
                    tx.put(1, &k.to_be_bytes(), &round.to_le_bytes())?;
                }
                tx.commit()?;
                if round % 50 == 0 {
                    db.checkpoint()?;
                }
            }
            Ok(())
        });
        let readers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| -> Result<(), Error> {
                    for _ in 0..300 {
                        let r = db.begin_read();
                        let vals: Vec<_> = r.range(1, ..)?.map(|e| e.map(|(_, v)| v)).collect::<Result<_, _>>()?;
                        assert!(vals.windows(2).all(|w| w[0] == w[1]), "a snapshot mixed two commits");
                    }
                    Ok(())
                })
            })
            .collect();
        writer.join().expect("writer thread")?;
        for r in readers {
            r.join().expect("reader thread")?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Rewrites every key of tree 1 with `round` and checkpoints.
fn rewrite_all(db: &Database, keys: u32, round: u32) -> Result<(), Error> {
    let mut tx = db.begin_write()?;
    for k in 0..keys {
        tx.put(1, &k.to_be_bytes(), &[round.to_le_bytes().as_slice(), &[7u8; 40]].concat())?;
    }
    tx.commit()?;
    db.checkpoint()?;
    Ok(())
}

fn values_of(r: &dosql_storage::ReadTxn) -> Result<Vec<Vec<u8>>, Error> {
    r.range(1, ..)?.map(|e| e.map(|(_, v)| v)).collect()
}

#[test]
fn an_open_reader_keeps_its_pages_from_reuse_until_it_ends() -> Result<(), Error> {
    let db = Database::open_in_memory(config())?;
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    tx.commit()?;
    rewrite_all(&db, 400, 0)?;
    let old = db.begin_read();
    let seen = values_of(&old)?;
    assert_eq!(seen.len(), 400);
    // Each round replaces every page; without the reader the pages of
    // round 0 would be reused two checkpoints later.
    for round in 1..6 {
        rewrite_all(&db, 400, round)?;
        assert_eq!(values_of(&old)?, seen, "the held snapshot changed in round {round}");
    }
    let held = db.stats().pending_free_pages;
    assert!(held > 0, "pages the reader needs are pending, not free");
    // A second reader on the same checkpoint, and a time-travel reader,
    // count separately: ending one does not release the other.
    let newer = db.begin_read();
    let newer_seen = values_of(&newer)?;
    drop(old);
    rewrite_all(&db, 400, 6)?;
    rewrite_all(&db, 400, 7)?;
    assert_eq!(values_of(&newer)?, newer_seen);
    assert!(db.stats().pending_free_pages < held, "the ended reader's pages were released");
    drop(newer);
    rewrite_all(&db, 400, 8)?;
    rewrite_all(&db, 400, 9)?;
    let pages = db.stats().page_count;
    for round in 10..20 {
        rewrite_all(&db, 400, round)?;
    }
    assert!(db.stats().page_count <= pages + 2, "with no readers, rewriting reuses pages");
    Ok(())
}

#[test]
fn readers_holding_snapshots_across_checkpoints_read_them_unchanged() -> Result<(), Error> {
    let db = Database::open_in_memory(config())?;
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    tx.commit()?;
    rewrite_all(&db, 200, 0)?;
    std::thread::scope(|s| -> Result<(), Error> {
        let writer = s.spawn(|| -> Result<(), Error> {
            for round in 1..120u32 {
                // Checkpoint every round: pages are retired and reused as
                // fast as the protocol allows.
                rewrite_all(&db, 200, round)?;
            }
            Ok(())
        });
        let readers: Vec<_> = (0..4)
            .map(|i| {
                let db = &db;
                s.spawn(move || -> Result<(), Error> {
                    let mut held = std::collections::VecDeque::new();
                    for n in 0..150usize {
                        let r = db.begin_read();
                        let vals = values_of(&r)?;
                        assert_eq!(vals.len(), 200);
                        assert!(vals.windows(2).all(|w| w[0] == w[1]), "a snapshot mixed two commits");
                        held.push_back((r, vals));
                        // Hold a few snapshots for a while, rereading them.
                        if held.len() > 1 + (i + n) % 4
                            && let Some((r, vals)) = held.pop_front()
                        {
                            assert_eq!(values_of(&r)?, vals, "a held snapshot changed");
                        }
                    }
                    for (r, vals) in held {
                        assert_eq!(values_of(&r)?, vals, "a held snapshot changed");
                    }
                    Ok(())
                })
            })
            .collect();
        writer.join().expect("writer thread")?;
        for r in readers {
            r.join().expect("reader thread")?;
        }
        Ok(())
    })?;
    // Every reader ended: from now on rewriting reuses pages, and the file
    // stops growing.
    rewrite_all(&db, 200, 500)?;
    rewrite_all(&db, 200, 501)?;
    let pages = db.stats().page_count;
    for round in 502..520 {
        rewrite_all(&db, 200, round)?;
    }
    let st = db.stats();
    assert!(st.page_count <= pages + 2, "pages stayed pinned after every reader ended: {pages} then {st:?}");
    Ok(())
}
