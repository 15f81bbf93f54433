//! End-to-end behaviour of the storage engine's public API: trees, puts,
//! deletes, ranges, savepoints, snapshots, checkpoints and reopening.

use dosql_storage::vfs::MemStorage;
use dosql_storage::{Config, Database, Error};
use std::sync::Arc;

fn key(i: u64) -> Vec<u8> {
    format!("key{i:08}").into_bytes()
}

fn small_config() -> Config {
    Config { page_size: 1024, ..Config::default() }
}

#[test]
fn put_get_delete_range_and_reopen() -> Result<(), Error> {
    let storage = Arc::new(MemStorage::new());
    let db = Database::open_with_storage(storage.clone(), "t.db", small_config())?;
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    for i in 0..2000u64 {
        assert_eq!(tx.put(1, &key(i), &i.to_le_bytes())?, None);
    }
    assert_eq!(tx.put(1, &key(5), b"five")?, Some(5u64.to_le_bytes().to_vec()));
    tx.commit()?;
    let r = db.begin_read();
    assert_eq!(r.get(1, &key(5))?, Some(b"five".to_vec()));
    assert_eq!(r.tree_len(1)?, 2000);
    let got: Vec<_> = r.range(1, &key(10)[..]..&key(20)[..])?.collect::<Result<_, _>>()?;
    assert_eq!(got.len(), 10);
    assert_eq!(got[0].0, key(10));
    let back: Vec<_> = r.range(1, &key(10)[..]..=&key(20)[..])?.rev().collect::<Result<_, _>>()?;
    assert_eq!(back.len(), 11);
    assert_eq!(back[0].0, key(20));
    let all: Vec<_> = r.range(1, ..)?.collect::<Result<_, _>>()?;
    assert_eq!(all.len(), 2000);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    drop(r);

    let mut tx = db.begin_write()?;
    for i in (0..2000u64).step_by(2) {
        assert!(tx.delete(1, &key(i))?.is_some());
    }
    tx.commit()?;
    db.checkpoint()?;
    let mut tx = db.begin_write()?;
    tx.put(1, &key(1), b"after checkpoint")?;
    tx.commit()?;
    drop(db);

    let db = Database::open_with_storage(storage, "t.db", small_config())?;
    let r = db.begin_read();
    assert_eq!(r.tree_len(1)?, 1000);
    assert_eq!(r.get(1, &key(1))?, Some(b"after checkpoint".to_vec()));
    assert_eq!(r.get(1, &key(2))?, None);
    let n = r.range(1, ..)?.count();
    assert_eq!(n, 1000);
    Ok(())
}

#[test]
fn snapshot_isolation_and_rollback() -> Result<(), Error> {
    let db = Database::open_in_memory(small_config())?;
    let mut tx = db.begin_write()?;
    tx.create_tree(7)?;
    tx.put(7, b"a", b"1")?;
    tx.commit()?;
    let before = db.begin_read();
    let mut tx = db.begin_write()?;
    tx.put(7, b"a", b"2")?;
    tx.put(7, b"b", b"x")?;
    assert_eq!(before.get(7, b"a")?, Some(b"1".to_vec()), "writer does not change a snapshot");
    tx.rollback();
    assert_eq!(db.begin_read().get(7, b"a")?, Some(b"1".to_vec()));
    let mut tx = db.begin_write()?;
    tx.put(7, b"a", b"3")?;
    tx.savepoint("s1");
    tx.put(7, b"c", b"c")?;
    tx.savepoint("s2");
    tx.delete(7, b"a")?;
    tx.rollback_to("s1")?;
    assert_eq!(tx.get(7, b"a")?, Some(b"3".to_vec()));
    assert_eq!(tx.get(7, b"c")?, None);
    tx.put(7, b"d", b"d")?;
    tx.release("s1")?;
    assert!(matches!(tx.rollback_to("s2"), Err(Error::NoSuchSavepoint(_))));
    tx.commit()?;
    let r = db.begin_read();
    assert_eq!(r.get(7, b"a")?, Some(b"3".to_vec()));
    assert_eq!(r.get(7, b"d")?, Some(b"d".to_vec()));
    assert_eq!(before.get(7, b"a")?, Some(b"1".to_vec()));
    Ok(())
}

#[test]
fn large_values_overflow_and_survive_checkpoint() -> Result<(), Error> {
    let storage = Arc::new(MemStorage::new());
    let db = Database::open_with_storage(storage.clone(), "big.db", Config::default())?;
    let big: Vec<u8> = (0..16 * 1024 * 1024 + 7).map(|i| (i * 31 % 251) as u8).collect();
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    tx.put(1, b"big", &big)?;
    tx.put(1, b"mid", &vec![9u8; 5000])?;
    tx.commit()?;
    db.checkpoint()?;
    assert_eq!(db.begin_read().get(1, b"big")?.as_deref(), Some(&big[..]));
    drop(db);
    let db = Database::open_with_storage(storage, "big.db", Config::default())?;
    let r = db.begin_read();
    assert_eq!(r.get(1, b"big")?.as_deref(), Some(&big[..]));
    assert_eq!(r.get(1, b"mid")?, Some(vec![9u8; 5000]));
    Ok(())
}

#[test]
fn bad_keys_and_trees_are_errors() -> Result<(), Error> {
    let db = Database::open_in_memory(small_config())?;
    let mut tx = db.begin_write()?;
    assert!(matches!(tx.put(1, b"k", b"v"), Err(Error::NoSuchTree(1))));
    tx.create_tree(1)?;
    assert!(matches!(tx.create_tree(1), Err(Error::TreeExists(1))));
    let long = vec![0u8; db.max_key_len() + 1];
    assert!(matches!(tx.put(1, &long, b"v"), Err(Error::KeyTooLarge { .. })));
    tx.put(1, &vec![1u8; db.max_key_len()], b"v")?;
    tx.commit()?;
    Ok(())
}
