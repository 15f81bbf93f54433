//! The embedded API end to end: threads sharing a database, transactions
//! that commit, roll back and survive panics, batch inserts, typed reads and
//! the errors bad calls get.

#![allow(clippy::unwrap_used)]

use dosql::{BatchConfig, Connection, Database, Error, Options, Value, params};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

#[test]
fn database_is_send_and_sync() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Database>();
    fn send<T: Send>() {}
    send::<Connection>();
}

/// Readers on many threads see a consistent total while a writer moves
/// money between accounts, and are never blocked by it.
#[test]
fn readers_see_consistent_snapshots_while_one_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_with(dir.path().join("bank.db"), &Options::new()).unwrap();
    db.execute("CREATE TABLE account(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)", ()).unwrap();
    let rows: Vec<Vec<Value>> = (0..50).map(|i| params![i, 100]).collect();
    db.insert_batch("account", &["id", "balance"], &rows).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let start = Arc::new(Barrier::new(9));
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (db, stop, reads, start) = (db.clone(), stop.clone(), reads.clone(), start.clone());
            thread::spawn(move || {
                let mut c = db.connect().unwrap();
                start.wait();
                while !stop.load(Ordering::Relaxed) {
                    let total: i64 = c.query_row("SELECT sum(balance) FROM account", (), |r| r.get(0)).unwrap();
                    assert_eq!(total, 5000);
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    start.wait();
    let mut w = db.connect().unwrap();
    for i in 0..200i64 {
        let (from, to) = (i % 50, (i * 7 + 3) % 50);
        w.transaction(|tx| {
            tx.execute("UPDATE account SET balance = balance - 1 WHERE id = ?", (from,))?;
            tx.execute("UPDATE account SET balance = balance + 1 WHERE id = ?", (to,))
        })
        .unwrap();
    }
    // Readers keep reading for a little while after the last commit.
    let seen = reads.load(Ordering::Relaxed);
    while reads.load(Ordering::Relaxed) < seen + 16 {
        thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) > 0);
    assert_eq!(db.query_row("SELECT sum(balance) FROM account", (), |r| r.get::<i64>(0)).unwrap(), 5000);
}

#[test]
fn writers_on_many_threads_all_commit() {
    let db = Database::open_in_memory().unwrap();
    db.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, by_thread INT)", ()).unwrap();
    let handles: Vec<_> = (0..6)
        .map(|t| {
            let db = db.clone();
            thread::spawn(move || {
                for i in 0..50i64 {
                    db.execute("INSERT INTO t VALUES(?, ?)", (t * 1000 + i, t)).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(db.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0)).unwrap(), 300);
}

#[test]
fn transaction_rolls_back_on_error_and_on_panic() {
    let mut c = Connection::open_in_memory().unwrap();
    c.execute("CREATE TABLE t(x UNIQUE)", ()).unwrap();
    let r: Result<(), Error> = c.transaction(|tx| {
        tx.execute("INSERT INTO t VALUES(1)", ())?;
        tx.execute("INSERT INTO t VALUES(1)", ())?;
        Ok(())
    });
    assert_eq!(r.unwrap_err().to_string(), "UNIQUE constraint failed: t.x");
    assert!(!c.in_transaction());
    assert_eq!(c.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0)).unwrap(), 0);

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _: Result<(), Error> = c.transaction(|tx| {
            tx.execute("INSERT INTO t VALUES(2)", ())?;
            panic!("application bug");
        });
    }));
    assert!(panicked.is_err());
    assert!(!c.in_transaction(), "the panic rolled the transaction back");
    assert_eq!(c.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0)).unwrap(), 0);

    // An application error type works too, as long as it takes ours.
    #[derive(Debug)]
    enum AppError {
        Db(Error),
        OutOfStock,
    }
    impl From<Error> for AppError {
        fn from(e: Error) -> Self {
            AppError::Db(e)
        }
    }
    let r = c.transaction(|tx| {
        tx.execute("INSERT INTO t VALUES(3)", ())?;
        Err::<(), _>(AppError::OutOfStock)
    });
    assert!(matches!(r, Err(AppError::OutOfStock)));
    let r = c.transaction(|tx| tx.execute("INSERT INTO nope VALUES(3)", ()).map_err(AppError::from));
    match r {
        Err(AppError::Db(e)) => assert_eq!(e.to_string(), "no such table: nope"),
        other => panic!("expected the database's error, got {other:?}"),
    }
    assert_eq!(c.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0)).unwrap(), 0);
}

#[test]
fn nested_transactions_are_savepoints() {
    let mut c = Connection::open_in_memory().unwrap();
    c.execute("CREATE TABLE t(x)", ()).unwrap();
    c.transaction(|tx| {
        tx.execute("INSERT INTO t VALUES(1)", ())?;
        let inner: Result<(), Error> = tx.transaction(|tx2| {
            tx2.execute("INSERT INTO t VALUES(2)", ())?;
            Err(Error::Misuse("undo the inner part".into()))
        });
        assert!(inner.is_err());
        tx.transaction(|tx2| tx2.execute("INSERT INTO t VALUES(3)", ()))?;
        Ok::<_, Error>(())
    })
    .unwrap();
    let xs: Vec<i64> = c.query("SELECT x FROM t ORDER BY x", ()).unwrap().map_rows(|r| r.get(0)).unwrap();
    assert_eq!(xs, [1, 3]);
}

#[test]
fn insert_batch_chunks_and_commits_as_configured() {
    let db = Database::open_in_memory_with(&Options::new().batch(BatchConfig {
        insert_batch_size: 7,
        max_batch_size: 20,
        transaction_batch_size: 10,
    }))
    .unwrap();
    db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)", ()).unwrap();
    let commits = || db.storage().stats().commits;
    let before = commits();
    let rows: Vec<Vec<Value>> = (0..15).map(|i| params![i, format!("v{i}")]).collect();
    assert_eq!(db.insert_batch("t", &["id", "v"], &rows).unwrap(), 15);
    assert_eq!(commits() - before, 1, "up to max_batch_size rows commit once");
    // Larger than max_batch_size: committed every 10 rows, so a failure in
    // the third group leaves the first two.
    let mut big: Vec<Vec<Value>> = (100..130).map(|i| params![i, "x"]).collect();
    big[25] = params![3, "duplicate of an existing id"];
    match db.insert_batch("t", &["id", "v"], &big) {
        Err(Error::Batch { committed, source }) => {
            assert_eq!(committed, 20);
            assert_eq!(source.to_string(), "UNIQUE constraint failed: t.id");
        }
        other => panic!("expected a partial batch error, got {other:?}"),
    }
    assert_eq!(db.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0)).unwrap(), 35);
    // Inside a transaction the whole batch is in it.
    let r = db.transaction(|tx| tx.insert_batch("t", &["id", "v"], &big));
    assert!(r.is_err());
    assert_eq!(db.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0)).unwrap(), 35);
}

#[test]
fn bad_calls_get_clear_errors_and_change_nothing() {
    let mut c = Connection::open_in_memory().unwrap();
    c.execute("CREATE TABLE \"we\"\"ird\"(a, \"b c\")", ()).unwrap();
    // Quoted names work in insert_batch.
    assert_eq!(c.insert_batch("we\"ird", &["a", "b c"], &[params![1, 2]]).unwrap(), 1);
    let e = c.insert_batch("we\"ird", &["a", "b c"], &[params![1, 2], params![3]]).unwrap_err();
    assert_eq!(e.to_string(), "insert_batch row 1 has 1 values for 2 columns");
    assert!(matches!(c.insert_batch::<Vec<Value>>("we\"ird", &[], &[]), Err(Error::Misuse(_))));
    assert_eq!(c.insert_batch("nope", &["a"], &[params![1]]).unwrap_err().to_string(), "no such table: nope");
    assert_eq!(c.query_row("SELECT count(*) FROM \"we\"\"ird\"", (), |r| r.get::<i64>(0)).unwrap(), 1);

    assert!(matches!(c.query_row("SELECT 1 WHERE 0", (), |r| r.get::<i64>(0)), Err(Error::NoRows)));
    let e = c.query_row("SELECT 'text' AS t", (), |r| r.get::<i64>("t")).unwrap_err();
    assert!(e.to_string().starts_with("column t: cannot read TEXT as i64"), "{e}");
    let e = c.query_row("SELECT 1 AS a", (), |r| r.get::<i64>("b")).unwrap_err();
    assert_eq!(e.to_string(), "no such column in the result: b");
    assert!(matches!(c.query_row("SELECT 1", (), |r| r.get::<i64>(5)), Err(Error::NoColumn(_))));
    assert_eq!(c.execute("SELEC 1", ()).unwrap_err().to_string(), "near \"SELEC\": syntax error");
    // The connection is fine afterwards.
    assert_eq!(c.query_row("SELECT 2", (), |r| r.get::<i64>(0)).unwrap(), 2);
}

#[test]
fn typed_reads_follow_the_storage_class() {
    let mut c = Connection::open_in_memory().unwrap();
    let row =
        c.query_row("SELECT 1, 2.5, 'x', x'00ff', NULL, 300, -1, 9223372036854775807", (), |r| Ok(r.clone())).unwrap();
    assert!(row.get::<bool>(0).unwrap());
    assert_eq!(row.get::<f64>(1).unwrap(), 2.5);
    assert!(row.get::<i64>(1).is_err(), "a REAL is not read as an integer");
    assert_eq!(row.get::<String>(2).unwrap(), "x");
    assert_eq!(row.get::<Vec<u8>>(3).unwrap(), vec![0, 255]);
    assert_eq!(row.get::<Option<i64>>(4).unwrap(), None);
    assert!(row.get::<i64>(4).is_err(), "NULL needs an Option");
    assert!(row.get::<u8>(5).is_err(), "300 does not fit a u8");
    assert_eq!(row.get::<u16>(5).unwrap(), 300);
    assert!(row.get::<u32>(6).is_err());
    assert_eq!(row.get::<i64>(7).unwrap(), i64::MAX);
    assert_eq!(row.get::<Value>(3).unwrap(), Value::Blob(vec![0, 255]));
}

#[test]
fn prepared_statements_follow_schema_changes() {
    let db = Database::open_in_memory().unwrap();
    let mut a = db.connect().unwrap();
    a.execute("CREATE TABLE t(x)", ()).unwrap();
    let mut other = db.connect().unwrap();
    let mut q = a.prepare("SELECT * FROM t").unwrap();
    assert_eq!(q.columns().unwrap(), ["x"]);
    other.execute("ALTER TABLE t ADD COLUMN y DEFAULT 'd'", ()).unwrap();
    other.execute("INSERT INTO t(x) VALUES(1)", ()).unwrap();
    let row = q.query(()).unwrap().next().unwrap().unwrap();
    assert_eq!(row.columns(), ["x", "y"]);
    assert_eq!(row.get::<String>("y").unwrap(), "d");
}

#[test]
fn database_reopens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("persist.db");
    {
        let db = Database::open(&path).unwrap();
        db.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES('kept');").unwrap();
        let mut c = db.connect().unwrap();
        let _ = c.transaction(|tx| {
            tx.execute("INSERT INTO t VALUES('lost')", ())?;
            Err::<(), _>(Error::Misuse("no".into()))
        });
    }
    let db = Database::open(&path).unwrap();
    let all: Vec<String> = db.query("SELECT x FROM t", ()).unwrap().iter().map(|r| r.get(0).unwrap()).collect();
    assert_eq!(all, ["kept"]);
}
