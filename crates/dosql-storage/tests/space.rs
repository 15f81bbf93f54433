//! Space reuse: deleting every row and inserting them again must reuse the
//! freed pages, not grow the file (the bound: at most 10%).

use dosql_storage::vfs::{MemStorage, Storage};
use dosql_storage::{Config, Database, Error};
use std::sync::Arc;

const ROWS: u64 = 1_000_000;
const BATCH: u64 = 20_000;

fn file_len(storage: &MemStorage) -> u64 {
    storage.open("space.db").and_then(|f| f.len()).unwrap_or(0)
}

fn insert_all(db: &Database) -> Result<(), Error> {
    for start in (0..ROWS).step_by(BATCH as usize) {
        let mut tx = db.begin_write()?;
        for i in start..start + BATCH {
            // Scattered order, so splits happen all over the tree.
            let k = (i * 999_983) % ROWS; // 999,983 is prime: a permutation of 0..ROWS
            tx.put(1, &k.to_be_bytes(), &[k as u8; 24])?;
        }
        tx.commit()?;
    }
    db.checkpoint()?;
    Ok(())
}

#[test]
fn million_rows_deleted_and_reinserted_reuse_space() -> Result<(), Error> {
    let storage = MemStorage::new();
    let db = Database::open_with_storage(Arc::new(storage.clone()), "space.db", Config::default())?;
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    tx.commit()?;
    insert_all(&db)?;
    let after_first = file_len(&storage);
    assert_eq!(db.begin_read().tree_len(1)?, ROWS);

    for start in (0..ROWS).step_by(BATCH as usize) {
        let mut tx = db.begin_write()?;
        for k in start..start + BATCH {
            assert!(tx.delete(1, &k.to_be_bytes())?.is_some());
        }
        tx.commit()?;
    }
    db.checkpoint()?;
    assert_eq!(db.begin_read().tree_len(1)?, 0);

    insert_all(&db)?;
    let after_second = file_len(&storage);
    assert_eq!(db.begin_read().tree_len(1)?, ROWS);
    let growth = after_second as f64 / after_first as f64;
    eprintln!("file after first load {after_first} bytes, after delete + reload {after_second} bytes ({growth:.3}x)");
    assert!(growth <= 1.10, "file grew {growth:.3}x after delete and reinsert");
    Ok(())
}

/// Ascending inserts (rowids, timestamps) fill leaves completely: a full
/// leaf is left as it is and the append starts a new one, rather than each
/// split leaving a half-empty leaf behind for good.
#[test]
fn ascending_inserts_fill_their_pages() -> Result<(), Error> {
    let storage = MemStorage::new();
    let db = Database::open_with_storage(Arc::new(storage.clone()), "space.db", Config::default())?;
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    tx.commit()?;
    const N: u64 = 100_000;
    for start in (0..N).step_by(10_000) {
        let mut tx = db.begin_write()?;
        for k in start..start + 10_000 {
            tx.put(1, &k.to_be_bytes(), &[k as u8; 24])?;
        }
        tx.commit()?;
    }
    db.checkpoint()?;
    // Each entry takes 35 bytes (length, 8-byte key, tag, length, 24 bytes),
    // 116 of them fit a 4 KiB leaf: 863 full leaves hold them all.
    let pages = db.stats().page_count;
    assert!(pages < 863 * 110 / 100, "{pages} pages for 863 leaves' worth of entries");
    let r = db.begin_read();
    assert_eq!(r.tree_len(1)?, N);
    assert_eq!(r.range(1, ..)?.count() as u64, N);
    assert_eq!(r.get(1, &(N - 1).to_be_bytes())?, Some(vec![(N - 1) as u8; 24]));
    Ok(())
}
