//! `Connection::interrupt_handle`: another thread stops a long statement,
//! which fails with `interrupted`; the connection stays usable and the
//! data as SQLite leaves it (an interrupted change inside an explicit
//! transaction rolls the transaction back), checked against SQLite itself.

#![allow(clippy::unwrap_used)]

use dosql_sql::{Connection, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A table of 1000 rows, a table of one row, and a small table to change.
const SETUP: &str = "CREATE TABLE big(x);
    WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000) INSERT INTO big SELECT i FROM c;
    CREATE TABLE one(y); INSERT INTO one VALUES(1);
    CREATE TABLE t(a); INSERT INTO t VALUES(1), (2);";

/// Statements that would run for minutes, each reading a table at every
/// step (the engine checks for an interrupt where rows are read or
/// changed; a join's product built in memory is not checked): a recursive
/// CTE counting to 1e9, changes driven by it, and an INSERT of a million
/// rows (checked per row inserted).
const LONG: [&str; 4] = [
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c, one WHERE x < 1000000000) SELECT count(*) FROM c",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c, one WHERE x < 1000000000) INSERT INTO t SELECT x FROM c",
    "UPDATE t SET a = (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c, one WHERE x < 1000000000) \
     SELECT count(*) FROM c)",
    "INSERT INTO t SELECT a.x FROM big a, big b",
];

/// Calls `interrupt` every 150 ms from another thread until the returned
/// flag is set: an interrupt that comes before the statement starts is
/// dropped (as SQLite drops it), so one alone could miss on a busy machine.
fn keep_interrupting(interrupt: impl Fn() + Send + 'static) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let done = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&done);
    let stopper = std::thread::spawn(move || {
        while !seen.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(150));
            interrupt();
        }
    });
    (done, stopper)
}

/// Runs `sql` on `conn`, interrupting it from another thread.
fn interrupted(conn: &mut Connection, sql: &str) -> (dosql_sql::Error, Duration) {
    let handle = conn.interrupt_handle();
    let start = Instant::now();
    let (done, stopper) = keep_interrupting(move || handle.interrupt());
    let r = conn.execute(sql);
    done.store(true, Ordering::Relaxed);
    stopper.join().unwrap();
    (r.expect_err(sql), start.elapsed())
}

fn rows(conn: &mut Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.execute(sql).unwrap().pop().unwrap().rows
}

#[test]
fn long_statements_stop_with_interrupted() {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.execute(SETUP).unwrap();
    for sql in LONG {
        let (e, took) = interrupted(&mut conn, sql);
        assert_eq!(e.to_string(), "interrupted", "{sql}");
        assert!(dosql_sql::interrupt::is_interrupted(&e));
        assert!(took < Duration::from_secs(20), "{sql} took {took:?}");
        // The connection goes on, and the data is intact.
        assert_eq!(rows(&mut conn, "SELECT a FROM t ORDER BY a"), [[Value::Integer(1)], [Value::Integer(2)]]);
        assert_eq!(rows(&mut conn, "SELECT count(*) FROM big"), [[Value::Integer(1000)]]);
        assert!(!conn.in_transaction());
    }
}

/// An interrupt while nothing runs is dropped, as in SQLite.
#[test]
fn interrupt_between_statements_is_dropped() {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.execute(SETUP).unwrap();
    conn.interrupt_handle().interrupt();
    assert_eq!(rows(&mut conn, "SELECT count(*) FROM big WHERE x > 500"), [[Value::Integer(500)]]);
}

/// Inside BEGIN: an interrupted query leaves the transaction open; an
/// interrupted INSERT or UPDATE rolls it back. The same as SQLite does.
#[test]
fn interrupted_changes_in_a_transaction_match_sqlite() {
    // The last statement is not long for SQLite.
    for (i, sql) in LONG.iter().take(3).enumerate() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute(SETUP).unwrap();
        conn.execute("BEGIN; INSERT INTO t VALUES(3)").unwrap();
        let (e, _) = interrupted(&mut conn, sql);
        assert_eq!(e.to_string(), "interrupted");
        let ours = (conn.in_transaction(), rows(&mut conn, "SELECT a FROM t ORDER BY a"));

        let lite = rusqlite::Connection::open_in_memory().unwrap();
        lite.execute_batch(SETUP).unwrap();
        lite.execute_batch("BEGIN; INSERT INTO t VALUES(3)").unwrap();
        let handle = lite.get_interrupt_handle();
        let (done, stopper) = keep_interrupting(move || handle.interrupt());
        let r = lite.query_row(sql, [], |_| Ok(())).map(|_| ()).or_else(|e| match e {
            rusqlite::Error::ExecuteReturnedResults | rusqlite::Error::QueryReturnedNoRows => Ok(()),
            e => Err(e),
        });
        done.store(true, Ordering::Relaxed);
        stopper.join().unwrap();
        let err = r.expect_err(sql);
        assert_eq!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::OperationInterrupted), "{sql}: {err}");
        let mut st = lite.prepare("SELECT a FROM t ORDER BY a").unwrap();
        let theirs_rows: Vec<Vec<Value>> =
            st.query_map([], |r| Ok(vec![Value::Integer(r.get(0)?)])).unwrap().map(Result::unwrap).collect();
        let theirs = (!lite.is_autocommit(), theirs_rows);
        assert_eq!(ours, theirs, "statement {i}: {sql}");
    }
}

/// Work that reads no table stops too: a recursive CTE that only counts,
/// and a join's product built in memory; so does a streamed query, at the
/// row after the interrupt.
#[test]
fn counting_products_and_streams_stop_too() {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.execute(SETUP).unwrap();
    for sql in [
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c",
        "SELECT count(*) FROM big a, big b, big c",
    ] {
        let (e, took) = interrupted(&mut conn, sql);
        assert!(dosql_sql::interrupt::is_interrupted(&e), "{sql}: {e}");
        assert!(took < Duration::from_secs(20), "{sql} took {took:?}");
    }
    let handle = conn.interrupt_handle();
    let mut rows_read = conn.query_stream("SELECT a.x, b.x FROM big a, big b", &[]).unwrap();
    assert!(rows_read.next().is_some_and(|r| r.is_ok()));
    handle.interrupt();
    let e = rows_read.next().unwrap().unwrap_err();
    assert!(dosql_sql::interrupt::is_interrupted(&e), "{e}");
    assert!(rows_read.next().is_none());
    drop(rows_read);
    assert_eq!(rows(&mut conn, "SELECT count(*) FROM big"), [[Value::Integer(1000)]]);
}
