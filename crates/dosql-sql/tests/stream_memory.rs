//! Bounded memory of streamed queries, measured: a counting global
//! allocator records the peak bytes allocated while a 200,000-row join and
//! a 200,000-row ORDER BY (no index gives it: an external sort) and a
//! GROUP BY of 200,000 groups (grouped through the same sort), a GROUP
//! BY of ten big groups and a whole-table aggregate (folded row by row)
//! are read
//! through `query_stream`, and while the same queries run to completion.
//! The stream's peak must stay under a fixed bound far below the result's
//! size; the complete run's peak, far above it, shows the bound is one a
//! materializing run would break.
//!
//! One test only: the allocator counts every thread of the process.

#![allow(clippy::unwrap_used)]

use dosql_sql::Connection;
use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Rows of the big table, and so of both results.
const ROWS: usize = 200_000;
/// What a stream may hold at its peak: a few sort budgets.
const BOUND: usize = 16 << 20;

/// Peak bytes allocated while reading `sql` as a stream, and its row count.
fn streamed_peak(c: &mut Connection, sql: &str) -> (usize, usize) {
    GLOBAL.reset_peak_memory();
    let mut n = 0;
    for row in c.query_stream(sql, &[]).unwrap() {
        row.unwrap();
        n += 1;
    }
    (GLOBAL.get_peak_memory(), n)
}

/// Peak bytes allocated while running `sql` to completion, and its row count.
fn complete_peak(c: &mut Connection, sql: &str) -> (usize, usize) {
    GLOBAL.reset_peak_memory();
    let n = c.execute(sql).unwrap().pop().unwrap().rows.len();
    (GLOBAL.get_peak_memory(), n)
}

#[test]
fn streamed_joins_and_sorts_stay_within_a_fixed_bound() {
    let mut c = Connection::open_in_memory().unwrap();
    c.execute(&format!(
        "CREATE TABLE p(id INTEGER PRIMARY KEY, k INT);
         CREATE TABLE q(id INTEGER PRIMARY KEY, p_id INT, pad TEXT);
         CREATE INDEX q_p ON q(p_id);
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1999)
         INSERT INTO p SELECT i, i % 10 FROM n;
         CREATE TABLE r(id INTEGER PRIMARY KEY, k INT);
         INSERT INTO r SELECT id, k FROM p WHERE id < 30;
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {})
         INSERT INTO q SELECT i, (i * 7) % 2000, printf('%040d', (i * 7919) % {ROWS}) FROM n;",
        ROWS - 1
    ))
    .unwrap();
    // Each query with the rows it gives (at least, for the LEFT join,
    // whose unmatched rows of p come NULL-extended).
    let queries = [
        ("SELECT p.id, p.k, q.id, q.pad FROM p JOIN q ON q.p_id = p.id", ROWS),
        ("SELECT p.id, q.id, q.pad FROM p LEFT JOIN q ON q.p_id = p.id AND q.id % 10 <> 3", ROWS * 9 / 10),
        ("SELECT id, pad FROM q ORDER BY pad DESC", ROWS),
        ("SELECT p.k, q.pad FROM p JOIN q ON q.p_id = p.id WHERE p.k < 10 ORDER BY q.pad, q.id", ROWS),
        ("SELECT pad, count(*), max(id) FROM q GROUP BY pad", ROWS),
        // Ten groups of 20,000 rows, and one group of every row: folded
        // as they come, so memory is not the groups' rows.
        ("SELECT p_id % 10, count(*), sum(length(pad)), max(pad) FROM q GROUP BY 1", 10),
        ("SELECT count(*), max(pad), avg(p_id) FROM q", 1),
        // A FROM subquery is pulled too.
        ("SELECT * FROM (SELECT p.id, q.pad FROM p JOIN q ON q.p_id = p.id) WHERE id >= 0", ROWS),
        // EXCEPT keeps the right-hand rows and the distinct rows given,
        // not the 200,000 join rows they come from.
        ("SELECT p.id, p.k FROM p JOIN q ON q.p_id = p.id EXCEPT SELECT id, k FROM p WHERE k = 0", 1800),
        // A FULL join reads its right side once (r, 30 rows) and streams
        // its left; r's unmatched rows come last.
        ("SELECT q.id, q.pad, r.k FROM q FULL JOIN r ON r.id = q.p_id % 40 AND r.k < 5", ROWS),
        // Windows over 2,000 partitions: the sort's budget and one
        // partition of 100 rows.
        (
            "SELECT id, row_number() OVER (PARTITION BY p_id ORDER BY id DESC), \
             sum(length(pad)) OVER (PARTITION BY p_id) FROM q",
            ROWS,
        ),
        // Windows sorting differently: a pass through the sort each.
        (
            "SELECT id, row_number() OVER (PARTITION BY p_id ORDER BY id), \
             rank() OVER (PARTITION BY id % 1000 ORDER BY pad) FROM q",
            ROWS,
        ),
        // A lookup of many keys holds their rowids, not the rows.
        ("SELECT * FROM q WHERE p_id IN (SELECT id FROM p WHERE k < 8)", ROWS * 8 / 10),
        // A counting CTE holds one queued row, not the rows it gave.
        (
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199999) \
          SELECT i, printf('%040d', i) FROM n",
            ROWS,
        ),
    ];
    for (sql, rows) in queries {
        let (stream, n) = streamed_peak(&mut c, sql);
        let (whole, m) = complete_peak(&mut c, sql);
        eprintln!("{sql}: {n} rows; streamed peak {stream} bytes, complete peak {whole} bytes");
        assert_eq!(n, m, "{sql}");
        assert!(n >= rows && n < rows + 2000, "{sql}: {n} rows");
        assert!(stream < BOUND, "{sql}: streamed peak {stream} bytes is over {BOUND}");
        assert!(whole > 2 * BOUND, "{sql}: the complete run's peak {whole} should be far over the bound");
    }
}
