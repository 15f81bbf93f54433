//! Differential tests of window functions: every query runs on DoSQL and on
//! SQLite (rusqlite, bundled) over the same data, and the full result sets
//! (in order: every query orders its rows completely) or the error messages
//! must agree. A hand-written list covers each function, frame type and
//! error; a generated sweep combines random functions, partitions, orders
//! and frames.

mod common;

use common::{run_sqlite, same};
use dosql_sql::Connection;

/// Both engines over the same data.
struct Pair {
    lite: rusqlite::Connection,
    ours: Connection,
    compared: usize,
    mismatches: Vec<String>,
}

impl Pair {
    fn new(setup: &[&str]) -> Pair {
        let lite = rusqlite::Connection::open_in_memory().expect("sqlite");
        let mut ours = Connection::open_in_memory().expect("dosql");
        for sql in setup {
            lite.execute_batch(sql).expect("sqlite setup");
            ours.execute(sql).expect("dosql setup");
        }
        Pair { lite, ours, compared: 0, mismatches: Vec::new() }
    }

    /// Runs `sql` on both; records a mismatch (results in order, or error text).
    fn check(&mut self, sql: &str) {
        self.compared += 1;
        let want = run_sqlite(&self.lite, sql);
        let got =
            self.ours.execute(sql).map(|mut r| r.pop().map(|r| r.rows).unwrap_or_default()).map_err(|e| e.to_string());
        // Streamed, a pass through the external sort per window, the rows
        // must be the complete run's, in its order.
        if let Ok(rows) = &got {
            let streamed = self
                .ours
                .query_stream(sql, &[])
                .and_then(|s| s.collect::<Result<Vec<_>, _>>())
                .map_err(|e| e.to_string());
            let same_as_complete = streamed.as_ref().is_ok_and(|s| {
                s.len() == rows.len()
                    && s.iter().zip(rows).all(|(a, b)| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y)))
            });
            if !same_as_complete {
                self.mismatches.push(format!("{sql}\n  complete: {rows:?}\n  streamed: {streamed:?}"));
            }
        }
        let ok = match (&want, &got) {
            (Ok(w), Ok(g)) => {
                w.len() == g.len()
                    && w.iter().zip(g).all(|(a, b)| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y)))
            }
            (Err(w), Err(g)) => w == g,
            _ => false,
        };
        if !ok {
            self.mismatches.push(format!("{sql}\n  sqlite: {want:?}\n  dosql:  {got:?}"));
        }
    }

    fn finish(self, what: &str) {
        println!("{what}: {} queries compared, {} mismatches", self.compared, self.mismatches.len());
        let shown: Vec<&String> = self.mismatches.iter().take(15).collect();
        assert!(self.mismatches.is_empty(), "{} mismatches, first ones:\n{}", self.mismatches.len(), {
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        });
    }
}

/// Partitions, peers, NULLs, mixed types, collations. Every REAL is exact
/// in binary so sums do not depend on the order of additions.
const DATA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, p TEXT, g INTEGER, x, y REAL, s TEXT)",
    "INSERT INTO t VALUES
        (1, 'a', 1, 1, 0.5, 'b'),
        (2, 'a', 1, 2, NULL, 'B'),
        (3, 'a', 2, 2, 1.25, 'a'),
        (4, 'a', 3, NULL, 2.0, NULL),
        (5, 'b', 1, 5, -1.5, 'c'),
        (6, 'b', 1, 2.5, 3.0, 'C'),
        (7, 'b', 2, 'abc', 0.25, 'd'),
        (8, 'b', NULL, 5, NULL, 'b'),
        (9, NULL, 2, 7, 4.5, 'e'),
        (10, NULL, 2, -3, 0.5, 'A'),
        (11, 'c', 4, '7', 8.0, 'x'),
        (12, 'c', 4, 3, -2.25, 'y'),
        (13, 'c', 5, 3, 1.0, 'z'),
        (14, 'c', 5, 4, 6.0, NULL),
        (15, 'c', 6, NULL, 2.75, 'w'),
        (16, 'a', 2, 9, 0.75, 'q')",
    "CREATE TABLE e(id INTEGER PRIMARY KEY, v)",
];

#[test]
fn window_functions_by_hand() {
    let mut pr = Pair::new(DATA);
    let queries = [
        // Ranking.
        "SELECT id, row_number() OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, row_number() OVER (PARTITION BY p ORDER BY id DESC) FROM t ORDER BY id",
        "SELECT id, rank() OVER (ORDER BY g), dense_rank() OVER (ORDER BY g) FROM t ORDER BY id",
        "SELECT id, rank() OVER (PARTITION BY p ORDER BY g DESC), dense_rank() OVER (PARTITION BY p ORDER BY g DESC) FROM t ORDER BY id",
        "SELECT id, percent_rank() OVER (ORDER BY g), cume_dist() OVER (ORDER BY g) FROM t ORDER BY id",
        "SELECT id, percent_rank() OVER (PARTITION BY p ORDER BY x), cume_dist() OVER (PARTITION BY p ORDER BY x) FROM t ORDER BY id",
        "SELECT id, rank() OVER (), dense_rank() OVER (), percent_rank() OVER (), cume_dist() OVER () FROM t ORDER BY id",
        "SELECT id, ntile(3) OVER (ORDER BY id), ntile(5) OVER (PARTITION BY p ORDER BY id) FROM t ORDER BY id",
        "SELECT id, ntile(100) OVER (ORDER BY id), ntile(1) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, ntile(2.9) OVER (ORDER BY id), ntile('4') OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, ntile(g) OVER (PARTITION BY p ORDER BY id) FROM t WHERE g IS NOT NULL ORDER BY id",
        "SELECT id, ntile(0) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, ntile(-1) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, ntile(NULL) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, ntile('abc') OVER (ORDER BY id) FROM t ORDER BY id",
        // lag / lead.
        "SELECT id, lag(x) OVER (ORDER BY id), lead(x) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, lag(x, 2) OVER (PARTITION BY p ORDER BY id), lead(x, 2, 'none') OVER (PARTITION BY p ORDER BY id) FROM t ORDER BY id",
        "SELECT id, lag(x, 0) OVER (ORDER BY id), lead(x, -1) OVER (ORDER BY id), lag(x, 3, id * 10) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, lag(x, 1.5) OVER (ORDER BY id), lag(x, 2.0) OVER (ORDER BY id), lag(x, '1') OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, lag(x, NULL, 'd') OVER (ORDER BY id), lag(x, 'abc') OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, lag(x, g) OVER (ORDER BY id), lead(y, g, s) OVER (PARTITION BY p ORDER BY id) FROM t ORDER BY id",
        "SELECT id, lag(x, 9223372036854775807) OVER (ORDER BY id), lead(x, -9223372036854775807) OVER (ORDER BY id) FROM t ORDER BY id",
        // first / last / nth value.
        "SELECT id, first_value(x) OVER (ORDER BY id), last_value(x) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, first_value(x) OVER (PARTITION BY p ORDER BY g), last_value(x) OVER (PARTITION BY p ORDER BY g, id) FROM t ORDER BY id",
        "SELECT id, nth_value(x, 2) OVER (ORDER BY id), nth_value(x, 3) OVER (PARTITION BY p ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM t ORDER BY id",
        "SELECT id, nth_value(x, '2') OVER (ORDER BY id), nth_value(x, 2.0) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, nth_value(x, 0) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, nth_value(x, 1.5) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, nth_value(x, NULL) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, nth_value(x, 17 - id) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM t ORDER BY id",
        "SELECT id, first_value(x) OVER w, last_value(x) OVER w, nth_value(x, 2) OVER w FROM t WINDOW w AS (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) ORDER BY id",
        "SELECT id, first_value(x) OVER w, last_value(x) OVER w, nth_value(x, 2) OVER w FROM t WINDOW w AS (ORDER BY g, id GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE GROUP) ORDER BY id",
        // Aggregates.
        "SELECT id, count(*) OVER (), count(x) OVER (), sum(g) OVER (), total(y) OVER (), avg(y) OVER () FROM t ORDER BY id",
        "SELECT id, count() OVER (PARTITION BY p), sum(x) OVER (PARTITION BY p), min(x) OVER (PARTITION BY p), max(x) OVER (PARTITION BY p) FROM t ORDER BY id",
        "SELECT id, sum(x) OVER (ORDER BY id), total(x) OVER (ORDER BY id), avg(x) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, sum(y) OVER (ORDER BY id ROWS 2 PRECEDING), avg(y) OVER (ORDER BY id ROWS 2 PRECEDING), count(y) OVER (ORDER BY id ROWS 2 PRECEDING) FROM t ORDER BY id",
        "SELECT id, sum(x) OVER (PARTITION BY p ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, min(x) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING), max(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, min(s) OVER (ORDER BY id), max(s) OVER (PARTITION BY p), min(s COLLATE NOCASE) OVER (), max(s COLLATE NOCASE) OVER (ORDER BY id ROWS 3 PRECEDING) FROM t ORDER BY id",
        "SELECT id, group_concat(x) OVER (ORDER BY id), group_concat(s, '-') OVER (PARTITION BY p ORDER BY id) FROM t ORDER BY id",
        "SELECT id, group_concat(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), group_concat(s, p) OVER (ORDER BY id ROWS 2 PRECEDING) FROM t ORDER BY id",
        "SELECT id, string_agg(s, ';') OVER (PARTITION BY p ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM t ORDER BY id",
        "SELECT id, group_concat(s) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW) FROM t ORDER BY id",
        "SELECT id, count(*) FILTER (WHERE g > 1) OVER (ORDER BY id), sum(x) FILTER (WHERE x > 2) OVER (PARTITION BY p ORDER BY id ROWS 1 PRECEDING) FROM t ORDER BY id",
        "SELECT id, group_concat(s) FILTER (WHERE id % 2 = 0) OVER (ORDER BY id ROWS 3 PRECEDING), max(y) FILTER (WHERE s > 'b') OVER (ORDER BY id ROWS 2 PRECEDING) FROM t ORDER BY id",
        // Frames.
        "SELECT id, sum(g) OVER (ORDER BY g RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, sum(g) OVER (ORDER BY g DESC RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (ORDER BY x NULLS LAST RANGE BETWEEN 2 PRECEDING AND 0.5 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (ORDER BY x DESC NULLS FIRST RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (ORDER BY y RANGE BETWEEN 0.75 PRECEDING AND 1.25 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (ORDER BY s RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, count(*) OVER (ORDER BY g GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING), count(*) OVER (ORDER BY g GROUPS 2 PRECEDING) FROM t ORDER BY id",
        "SELECT id, count(*) OVER (ORDER BY g GROUPS BETWEEN 1 FOLLOWING AND 3 FOLLOWING), sum(id) OVER (ORDER BY g GROUPS BETWEEN 2 PRECEDING AND 1 PRECEDING) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (ORDER BY g ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING), sum(id) OVER (ORDER BY id ROWS BETWEEN 2 FOLLOWING AND 4 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 2 PRECEDING), sum(id) OVER (ORDER BY id ROWS BETWEEN 3 FOLLOWING AND 1 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (ORDER BY g EXCLUDE CURRENT ROW), sum(id) OVER (ORDER BY g EXCLUDE GROUP), sum(id) OVER (ORDER BY g EXCLUDE TIES), sum(id) OVER (ORDER BY g EXCLUDE NO OTHERS) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (PARTITION BY p ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE GROUP) FROM t ORDER BY id",
        "SELECT id, sum(y) OVER (ORDER BY id ROWS BETWEEN 9223372036854775807 PRECEDING AND 9223372036854775807 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, sum(y) OVER (ORDER BY g GROUPS BETWEEN 9223372036854775807 PRECEDING AND 9223372036854775807 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, sum(y) OVER (ORDER BY g RANGE BETWEEN 9223372036854775807 PRECEDING AND 9223372036854775807 FOLLOWING) FROM t ORDER BY id",
        // Named windows.
        "SELECT id, sum(y) OVER (ORDER BY id ROWS 1.0 PRECEDING), sum(y) OVER (ORDER BY id ROWS 2.0 FOLLOWING) FROM t ORDER BY id",
        "SELECT id, sum(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE NO OTHERS), sum(x) OVER (ORDER BY id ROWS 1 PRECEDING) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER w, count(*) OVER w FROM t WINDOW w AS (PARTITION BY p ORDER BY id) ORDER BY id",
        "SELECT id, sum(id) OVER (w ROWS 1 PRECEDING) FROM t WINDOW w AS (PARTITION BY p ORDER BY id) ORDER BY id",
        "SELECT id, sum(id) OVER (w ORDER BY id DESC) FROM t WINDOW w AS (PARTITION BY p) ORDER BY id",
        "SELECT id, sum(id) OVER (b) FROM t WINDOW a AS (PARTITION BY p), b AS (a ORDER BY id) ORDER BY id",
        "SELECT id, sum(id) OVER w FROM t WINDOW w AS (ORDER BY id ROWS 1 PRECEDING) ORDER BY id",
        "SELECT id, sum(id) OVER (w) FROM t WINDOW w AS (ORDER BY id ROWS 1 PRECEDING) ORDER BY id",
        "SELECT id, sum(id) OVER (w ORDER BY g) FROM t WINDOW w AS (ORDER BY id) ORDER BY id",
        "SELECT id, sum(id) OVER (w PARTITION BY g) FROM t WINDOW w AS (ORDER BY id) ORDER BY id",
        "SELECT id, sum(id) OVER w FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (nosuch ORDER BY id) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (a) FROM t WINDOW a AS (b ORDER BY id), b AS (PARTITION BY p) ORDER BY id",
        // With GROUP BY, DISTINCT, ORDER BY, LIMIT, subqueries.
        "SELECT p, count(*), sum(count(*)) OVER (), rank() OVER (ORDER BY count(*) DESC, p) FROM t GROUP BY p ORDER BY p",
        "SELECT g, sum(x), row_number() OVER (ORDER BY sum(x) DESC, g), lag(g) OVER (ORDER BY g) FROM t GROUP BY g HAVING count(*) > 1 ORDER BY g",
        "SELECT count(*), row_number() OVER () FROM t WHERE 0",
        "SELECT sum(count(*)) OVER (), max(g) FROM t",
        "SELECT DISTINCT p, count(*) OVER (PARTITION BY p) FROM t ORDER BY 1",
        "SELECT id, row_number() OVER (ORDER BY id DESC) AS r FROM t ORDER BY r LIMIT 5",
        "SELECT id FROM t ORDER BY row_number() OVER (ORDER BY y, id) DESC LIMIT 4 OFFSET 2",
        "SELECT id, (SELECT count(*) OVER () FROM t t2 WHERE t2.g = t.g LIMIT 1) FROM t ORDER BY id",
        "SELECT r, id FROM (SELECT id, rank() OVER (PARTITION BY p ORDER BY g) AS r FROM t) WHERE r = 1 ORDER BY id",
        "SELECT id, x, sum(x) OVER (ORDER BY id) + 1, coalesce(lag(x) OVER (ORDER BY id), 'first') FROM t ORDER BY id",
        "SELECT id, row_number() OVER () FROM e ORDER BY id",
        "SELECT row_number() OVER (), rank() OVER (ORDER BY 1), sum(2) OVER ()",
        "SELECT id, row_number() OVER (ORDER BY s COLLATE NOCASE, id) FROM t ORDER BY id",
        "SELECT id, rank() OVER (PARTITION BY s COLLATE NOCASE ORDER BY id) FROM t ORDER BY id",
        "SELECT id, sum(id) OVER (ORDER BY 1), sum(id) OVER (PARTITION BY 1) FROM t ORDER BY id",
        "SELECT a.id, count(*) OVER (PARTITION BY a.p), b.id FROM t a JOIN t b ON b.id = a.id + 1 ORDER BY a.id",
        "SELECT id, row_number() OVER (ORDER BY id) FROM t UNION ALL SELECT id, -row_number() OVER (ORDER BY id DESC) FROM t ORDER BY 1, 2",
        // Errors.
        "SELECT row_number() FROM t",
        "SELECT id FROM t WHERE row_number() OVER () > 1",
        "SELECT id FROM t GROUP BY row_number() OVER ()",
        "SELECT count(*) FROM t HAVING row_number() OVER () > 1",
        "SELECT count(row_number() OVER ()) FROM t",
        "SELECT sum(row_number() OVER ()) OVER () FROM t",
        "SELECT row_number() OVER (ORDER BY rank() OVER ()) FROM t",
        "SELECT abs(x) OVER () FROM t",
        "SELECT min(x, 1) OVER () FROM t",
        "SELECT nosuch(x) OVER () FROM t",
        "SELECT count(DISTINCT x) OVER () FROM t",
        "SELECT row_number(1) OVER () FROM t",
        "SELECT rank(x) OVER () FROM t",
        "SELECT ntile() OVER () FROM t",
        "SELECT lag() OVER () FROM t",
        "SELECT lag(x, 1, 2, 3) OVER () FROM t",
        "SELECT nth_value(x) OVER () FROM t",
        "SELECT count(x, 1) OVER () FROM t",
        "SELECT row_number() FILTER (WHERE 1) OVER () FROM t",
        "SELECT sum(x) OVER (ORDER BY id ROWS -1 PRECEDING) FROM t",
        "SELECT sum(x) OVER (ORDER BY id ROWS 1.5 PRECEDING) FROM t",
        "SELECT sum(x) OVER (ORDER BY id ROWS NULL PRECEDING) FROM t",
        "SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND -1 FOLLOWING) FROM t",
        "SELECT sum(x) OVER (ORDER BY id ROWS id PRECEDING) FROM t",
        "SELECT sum(x) OVER (ORDER BY id RANGE -1 PRECEDING) FROM t",
        "SELECT sum(x) OVER (ORDER BY id RANGE BETWEEN 1 PRECEDING AND NULL FOLLOWING) FROM t",
        "SELECT sum(x) OVER (ORDER BY id, g RANGE 1 PRECEDING) FROM t",
        "SELECT sum(x) OVER (RANGE 1 PRECEDING) FROM t",
        "SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM t",
        "SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM t",
        "SELECT sum(x) OVER (ORDER BY id RANGE BETWEEN 2 FOLLOWING AND 1 PRECEDING) FROM t",
        "SELECT sum(x) OVER (ORDER BY id ROWS -1 PRECEDING) FROM e",
        "SELECT sum(id) OVER (ORDER BY id ROWS 1 PRECEDING) FROM (SELECT 9223372036854775807 AS id UNION ALL SELECT 1) ",
    ];
    for q in queries {
        pr.check(q);
    }
    pr.finish("hand-written window queries");
}

#[test]
fn sum_types_follow_sqlite() {
    let mut pr = Pair::new(&[
        "CREATE TABLE s(id INTEGER PRIMARY KEY, v)",
        "INSERT INTO s VALUES (1, 'a'), (2, NULL), (3, 2), (4, 3), (5, 1.5), (6, 4), (7, 5), (8, 'z'), (9, 'x')",
    ]);
    for frame in [
        "ROWS 1 PRECEDING",
        "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW",
        "ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING",
        "ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING",
        "RANGE BETWEEN 1 PRECEDING AND CURRENT ROW",
        "GROUPS BETWEEN 1 FOLLOWING AND 2 FOLLOWING",
        "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE TIES",
    ] {
        pr.check(&format!(
            "SELECT id, sum(v) OVER w, total(v) OVER w, avg(v) OVER w, count(v) OVER w, group_concat(v) OVER w, \
             min(v) OVER w, max(v) OVER w FROM s WINDOW w AS (ORDER BY id {frame}) ORDER BY id"
        ));
    }
    pr.finish("sum and group_concat types");
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn random_frame(r: &mut Rng) -> String {
    let units = r.pick(&["ROWS", "RANGE", "GROUPS"]);
    let off = |r: &mut Rng| -> String {
        if units == "RANGE" {
            r.pick(&["0", "1", "2", "0.5", "1.25", "3"]).to_string()
        } else {
            r.pick(&["0", "1", "2", "3", "5"]).to_string()
        }
    };
    let start = match r.next() % 4 {
        0 => "UNBOUNDED PRECEDING".to_string(),
        1 => format!("{} PRECEDING", off(r)),
        2 => "CURRENT ROW".to_string(),
        _ => format!("{} FOLLOWING", off(r)),
    };
    let end = match r.next() % 4 {
        0 => "UNBOUNDED FOLLOWING".to_string(),
        1 => format!("{} PRECEDING", off(r)),
        2 => "CURRENT ROW".to_string(),
        _ => format!("{} FOLLOWING", off(r)),
    };
    let exclude =
        r.pick(&["", "", "", " EXCLUDE NO OTHERS", " EXCLUDE CURRENT ROW", " EXCLUDE GROUP", " EXCLUDE TIES"]);
    if r.next().is_multiple_of(5) {
        format!("{units} {start}{exclude}")
    } else {
        format!("{units} BETWEEN {start} AND {end}{exclude}")
    }
}

#[test]
fn generated_window_sweep() {
    let mut pr = Pair::new(DATA);
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    // Functions whose value depends on the order of peers get a fully
    // ordering window (ending in id); aggregates of numbers do not need it.
    let order_free = [
        "count(*)",
        "count(x)",
        "sum(g)",
        "sum(x)",
        "total(y)",
        "avg(y)",
        "avg(x)",
        "min(x)",
        "max(x)",
        "min(s)",
        "max(s COLLATE NOCASE)",
        "count(*) FILTER (WHERE g > 1)",
        "sum(y) FILTER (WHERE x > 2)",
        "rank()",
        "dense_rank()",
        "percent_rank()",
        "cume_dist()",
    ];
    let order_bound = [
        "row_number()",
        "ntile(3)",
        "ntile(5)",
        "lag(x)",
        "lag(s, 2, 'z')",
        "lead(x)",
        "lead(y, 3, -1)",
        "first_value(x)",
        "last_value(s)",
        "nth_value(x, 2)",
        "nth_value(y, 3)",
        "group_concat(x)",
        "group_concat(s, '|')",
        "group_concat(id) FILTER (WHERE id % 3 <> 0)",
    ];
    let partitions = ["", "PARTITION BY p ", "PARTITION BY g % 2 ", "PARTITION BY s COLLATE NOCASE "];
    let loose_orders = [
        "",
        "ORDER BY g",
        "ORDER BY g DESC",
        "ORDER BY x",
        "ORDER BY x DESC NULLS FIRST",
        "ORDER BY y NULLS LAST",
        "ORDER BY s COLLATE NOCASE",
        "ORDER BY p, g",
    ];
    let tight_orders = ["ORDER BY id", "ORDER BY id DESC", "ORDER BY g, id", "ORDER BY x DESC, id", "ORDER BY y, id"];
    for i in 0..3000 {
        let bound = r.next().is_multiple_of(2);
        let func = if bound { r.pick(&order_bound) } else { r.pick(&order_free) };
        let order = if bound { r.pick(&tight_orders) } else { r.pick(&loose_orders) };
        let part = r.pick(&partitions);
        let frame = if r.next().is_multiple_of(4) { String::new() } else { format!(" {}", random_frame(&mut r)) };
        let spec = format!("{part}{order}{frame}");
        let sql = if i % 3 == 0 {
            let f2 = r.pick(&order_free);
            format!("SELECT id, {func} OVER w, {f2} OVER w FROM t WINDOW w AS ({spec}) ORDER BY id")
        } else {
            format!("SELECT id, {func} OVER ({spec}) FROM t ORDER BY id")
        };
        pr.check(&sql);
    }
    pr.finish("generated window sweep");
}

/// Without an ORDER BY, rows leave their windows in SQLite's order (each
/// window's terms in turn, the first window's first) and ties in a
/// window's terms are met in the order the later windows left them: the
/// whole result is compared in order, with order-dependent functions over
/// loose orders where that matters. A query repeats no definition: where
/// one repeats with another between, SQLite's sorter meets ties in an
/// order of its own (see `window::evaluate`).
#[test]
fn unordered_windows_leave_rows_in_sqlites_order() {
    let mut pr = Pair::new(DATA);
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    let funcs = ["row_number()", "count(*)", "sum(g)", "rank()", "lag(id)", "first_value(id)", "group_concat(id)"];
    let partitions =
        ["", "PARTITION BY p ", "PARTITION BY g % 2 ", "PARTITION BY s COLLATE NOCASE ", "PARTITION BY g "];
    let orders =
        ["", "ORDER BY g", "ORDER BY g DESC", "ORDER BY x", "ORDER BY s", "ORDER BY y NULLS LAST", "ORDER BY id"];
    for i in 0..600 {
        let windows = 1 + i % 3;
        let (mut cols, mut specs) = (Vec::new(), Vec::new());
        while cols.len() < windows {
            let (f, p, o) = (r.pick(&funcs), r.pick(&partitions), r.pick(&orders));
            let spec = format!("{p}{o}");
            if !specs.contains(&spec) {
                cols.push(format!("{f} OVER ({spec})"));
                specs.push(spec);
            }
        }
        let filter = if r.next().is_multiple_of(3) { " WHERE id % 4 <> 1" } else { "" };
        pr.check(&format!("SELECT id, {} FROM t{filter}", cols.join(", ")));
    }
    pr.finish("unordered windows");
}
