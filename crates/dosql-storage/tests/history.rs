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
