//! Bad input files: each gives a clear error naming the file and what is
//! wrong, never a panic or silently wrong data.

use dosql_storage::vfs::{MemStorage, Storage};
use dosql_storage::{Config, Database, Error};
use std::sync::Arc;

fn config() -> Config {
    Config { page_size: 1024, cache_bytes: 16 * 1024, ..Config::default() }
}

/// A checkpointed database with a few thousand rows.
fn make_db() -> Result<MemStorage, Error> {
    let storage = MemStorage::new();
    let db = Database::open_with_storage(Arc::new(storage.clone()), "x.db", config())?;
    let mut tx = db.begin_write()?;
    tx.create_tree(1)?;
    for i in 0..3000u32 {
        tx.put(1, &i.to_be_bytes(), &[7u8; 40])?;
    }
    tx.commit()?;
    db.checkpoint()?;
    Ok(storage)
}

fn bytes(storage: &MemStorage, name: &str) -> Vec<u8> {
    let f = storage.open(name).expect("open");
    let mut buf = vec![0u8; f.len().expect("len") as usize];
    let n = f.read_at(0, &mut buf).expect("read");
    buf.truncate(n);
    buf
}

fn write(storage: &MemStorage, name: &str, data: &[u8]) {
    let f = storage.open(name).expect("open");
    f.set_len(0).expect("truncate");
    f.write_at(0, data).expect("write");
}

fn open(storage: &MemStorage) -> Result<Database, Error> {
    Database::open_with_storage(Arc::new(storage.clone()), "x.db", config())
}

fn scan_all(db: &Database) -> Result<usize, Error> {
    let r = db.begin_read();
    let mut n = 0;
    for e in r.range(1, ..)? {
        e?;
        n += 1;
    }
    Ok(n)
}

#[test]
fn not_a_database() {
    let storage = MemStorage::new();
    write(&storage, "x.db", b"SQLite format 3\0 and then some more bytes that are not ours");
    let err = open(&storage).expect_err("must fail");
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("memory:x.db") && msg.contains("not a DoSQL database"), "{msg}");
}

#[test]
fn newer_format_version() -> Result<(), Error> {
    let storage = make_db()?;
    let mut data = bytes(&storage, "x.db");
    for slot in [0usize, 4096] {
        data[slot + 8..slot + 12].copy_from_slice(&99u32.to_le_bytes());
        let crc = crc32(&data[slot..slot + 508]);
        data[slot + 508..slot + 512].copy_from_slice(&crc.to_le_bytes());
    }
    write(&storage, "x.db", &data);
    let err = open(&storage).expect_err("must fail");
    assert!(matches!(err, Error::UnsupportedVersion { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("version 99"), "{err}");
    Ok(())
}

#[test]
fn truncated_file() -> Result<(), Error> {
    let storage = make_db()?;
    let data = bytes(&storage, "x.db");
    write(&storage, "x.db", &data[..data.len() / 2]);
    let err = open(&storage).expect_err("must fail");
    assert!(err.is_corruption(), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");
    write(&storage, "x.db", &data[..100]);
    let err = open(&storage).expect_err("must fail");
    assert!(err.to_string().contains("memory:x.db"), "{err}");
    Ok(())
}

#[test]
fn page_with_bad_checksum_names_the_page() -> Result<(), Error> {
    let storage = make_db()?;
    let data = bytes(&storage, "x.db");
    // Flip a byte in every data page in turn; each must be caught when read.
    let pages = (data.len() - 8192) / 1024;
    let mut caught = 0;
    for p in 0..pages {
        let mut d = data.clone();
        d[8192 + p * 1024 + 100] ^= 0x40;
        write(&storage, "x.db", &d);
        match open(&storage).and_then(|db| scan_all(&db)) {
            Ok(n) => assert_eq!(n, 3000, "a corrupted free page may go unread, never misread"),
            Err(e) => {
                assert!(e.is_corruption(), "{e}");
                let msg = e.to_string();
                assert!(msg.contains("memory:x.db") && msg.contains("page"), "{msg}");
                caught += 1;
            }
        }
    }
    assert!(caught > pages / 2, "only {caught} of {pages} corrupt pages detected");
    Ok(())
}

#[test]
fn random_garbage_never_panics() {
    let mut x: u64 = 0x1234_5678;
    for round in 0..300 {
        let storage = MemStorage::new();
        let len = [0usize, 10, 600, 4200, 8192, 8192 + 1024, 20_000][round % 7];
        let mut data = vec![0u8; len];
        for b in data.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        if round % 3 == 0 && len >= 8 {
            data[..8].copy_from_slice(b"DoSQLdb\0");
        }
        write(&storage, "x.db", &data);
        if let Ok(db) = open(&storage) {
            let _ = scan_all(&db);
        }
    }
}

#[test]
fn corrupt_wal_tail_is_cut_and_reported() -> Result<(), Error> {
    let storage = MemStorage::new();
    {
        let db = Database::open_with_storage(Arc::new(storage.clone()), "x.db", config())?;
        let mut tx = db.begin_write()?;
        tx.create_tree(1)?;
        tx.commit()?;
        for i in 0..10u32 {
            let mut tx = db.begin_write()?;
            tx.put(1, &i.to_be_bytes(), b"v")?;
            tx.commit()?;
        }
    }
    let segs = storage.list("x.db-wal-").expect("list");
    let last = segs.last().expect("a segment");
    let mut wal = bytes(&storage, last);
    let n = wal.len();
    wal[n - 3] ^= 0xff;
    write(&storage, last, &wal);
    let db = open(&storage)?;
    let rep = db.recovery_report();
    assert!(rep.truncation_reason.as_deref().is_some_and(|r| r.contains("checksum")), "{rep:?}");
    assert!(rep.truncated_bytes > 0);
    assert_eq!(db.begin_read().tree_len(1)?, 9, "the damaged last commit is gone, the rest intact");
    Ok(())
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Pages damaged and then given a matching checksum (as a buggy writer or a
/// crafted file would): reading them must give a corruption error or
/// well-formed data, never a panic or an out-of-bounds read.
#[test]
fn damaged_pages_with_valid_checksums_never_panic() -> Result<(), Error> {
    let storage = make_db()?;
    let data = bytes(&storage, "x.db");
    let pages = (data.len() - 8192) / 1024;
    let mut caught = 0;
    let mut tried = 0;
    for p in 0..pages {
        // The entry count, key lengths, value tags and key bytes near the start.
        for (at, mask) in
            [(16, 0x01), (16, 0x80), (19, 0x40), (20, 0x7f), (20, 0x80), (21, 0x01), (24, 0x20), (60, 0x80)]
        {
            let mut d = data.clone();
            let page = &mut d[8192 + p * 1024..8192 + (p + 1) * 1024];
            page[at] ^= mask;
            let mut covered = (p as u64).to_le_bytes().to_vec();
            covered.extend_from_slice(&page[4..]);
            let crc = crc32(&covered);
            page[..4].copy_from_slice(&crc.to_le_bytes());
            write(&storage, "x.db", &d);
            tried += 1;
            let read = open(&storage).and_then(|db| {
                let n = scan_all(&db)?;
                let r = db.begin_read();
                for i in (0..3000u32).step_by(7) {
                    r.get(1, &i.to_be_bytes())?;
                }
                let mut c = r.cursor(1)?;
                if c.seek_last()? {
                    while c.step_prev()? {}
                }
                Ok(n)
            });
            if let Err(e) = read {
                assert!(e.is_corruption(), "{e}");
                caught += 1;
            }
        }
    }
    assert!(caught > tried / 4, "only {caught} of {tried} malformed pages reported");
    Ok(())
}
