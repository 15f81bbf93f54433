//! Streamed joins and sorts (`Connection::query_stream`) against the
//! complete run (`execute`) and against SQLite: the same rows, in the same
//! order wherever ORDER BY fixes one; sorts small enough a budget that
//! they spill runs to temporary files; errors surfacing after the rows
//! before them.

#![allow(clippy::unwrap_used)]

mod common;

use dosql_sql::exec::stream::sort;
use dosql_sql::{Connection, Value};

/// The schema and rows, as SQL both engines run.
fn script() -> Vec<String> {
    let mut s = vec![
        "CREATE TABLE a(id INTEGER PRIMARY KEY, x INT, s TEXT, r)".to_string(),
        "CREATE TABLE b(id INTEGER PRIMARY KEY, a_id INT, y INT, t TEXT COLLATE NOCASE)".into(),
        "CREATE INDEX b_a ON b(a_id)".into(),
        "CREATE TABLE c(k INT, v TEXT, w REAL)".into(),
        "CREATE TABLE d(id INTEGER PRIMARY KEY, c_k INT, z)".into(),
        "CREATE INDEX d_ck ON d(c_k)".into(),
        "CREATE VIEW ab AS SELECT a.id AS aid, a.x, b.id AS bid, b.t FROM a LEFT JOIN b ON b.a_id = a.id".into(),
        "BEGIN".into(),
    ];
    // A small linear congruential generator: the same rows every run.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |m: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % m
    };
    let words = ["apple", "Apple", "banana", "BANANA", "cherry", "", "apple ", "Zed", "zed", "10", "9"];
    for i in 0..300u64 {
        let x = if i % 13 == 0 { "NULL".to_string() } else { next(17).to_string() };
        let txt = if i % 11 == 0 { "NULL".to_string() } else { format!("'{}'", words[next(11) as usize]) };
        let r = match i % 6 {
            0 => next(50).to_string(),
            1 => format!("{}.5", next(50)),
            2 => format!("'{}'", words[next(11) as usize]),
            3 => "NULL".into(),
            4 => format!("x'{:02x}'", next(256)),
            _ => format!("{}.0", next(50)),
        };
        s.push(format!("INSERT INTO a VALUES({i}, {x}, {txt}, {r})"));
    }
    for i in 0..900u64 {
        let a_id = if i % 4 == 0 { "NULL".to_string() } else { next(340).to_string() };
        let y = if i % 17 == 0 { "NULL".to_string() } else { next(25).to_string() };
        let t = format!("'{}'", words[next(11) as usize]);
        s.push(format!("INSERT INTO b VALUES({i}, {a_id}, {y}, {t})"));
    }
    for i in 0..120u64 {
        let k = if i % 9 == 0 { "NULL".to_string() } else { next(30).to_string() };
        s.push(format!("INSERT INTO c VALUES({k}, 'v{}', {}.25)", next(40), next(20)));
    }
    for i in 0..400u64 {
        let z = if i % 5 == 0 { format!("'{}'", words[next(11) as usize]) } else { next(100).to_string() };
        s.push(format!("INSERT INTO d VALUES({i}, {}, {z})", next(60)));
    }
    s.push("COMMIT".into());
    s
}

/// Queries whose ORDER BY fixes the order completely: SQLite must give
/// the same rows in the same order.
const ORDERED: &[&str] = &[
    "SELECT id, s FROM a ORDER BY s, id",
    "SELECT id, s FROM a ORDER BY s COLLATE NOCASE, id DESC",
    "SELECT id, r FROM a ORDER BY r, id",
    "SELECT id, r FROM a ORDER BY r DESC, id DESC",
    "SELECT id, x FROM a ORDER BY x NULLS LAST, id",
    "SELECT id, x FROM a ORDER BY x DESC NULLS FIRST, id LIMIT 30",
    "SELECT id, length(s) FROM a WHERE x > 3 ORDER BY length(s), s, id LIMIT 10",
    "SELECT id FROM a ORDER BY x DESC, id LIMIT 5 OFFSET 100",
    "SELECT id, x FROM a ORDER BY x, id LIMIT 5000 OFFSET 7",
    "SELECT x + 1 AS q, id FROM a ORDER BY q, id",
    "SELECT id, t FROM b ORDER BY t, id",
    "SELECT id, t FROM b ORDER BY t COLLATE BINARY DESC, y, id",
    "SELECT a.id, b.id, b.t FROM a JOIN b ON b.a_id = a.id ORDER BY b.t, b.id",
    "SELECT a.id, b.id FROM a JOIN b ON b.a_id = a.id WHERE a.x > 5 AND b.y < 10 ORDER BY a.x * b.y, a.id, b.id",
    "SELECT a.id, b.id, b.y FROM a LEFT JOIN b ON b.a_id = a.id ORDER BY b.y DESC, a.id, b.id",
    "SELECT a.id, c.v, c.w FROM a JOIN c ON c.k = a.x ORDER BY c.w, c.v, a.id, c.rowid",
    "SELECT a.id, b.id, c.rowid, d.id FROM a JOIN b ON b.a_id = a.id JOIN c ON c.k = b.y \
     JOIN d ON d.c_k = c.k WHERE a.id < 60 ORDER BY d.z, d.id, a.id, b.id, c.rowid",
    "SELECT a.id, b.id FROM a LEFT JOIN b ON b.a_id = a.id AND b.y > 10 ORDER BY a.s, a.id, b.id LIMIT 40 OFFSET 20",
    "SELECT a.id, c.rowid, d.id FROM a LEFT JOIN c ON c.k = a.x LEFT JOIN d ON d.c_k = c.k \
     WHERE a.id % 7 = 0 ORDER BY d.z DESC, a.id, c.rowid, d.id",
    "SELECT a.id, j.value FROM a, json_each('[3,1,2]') j WHERE a.id < 9 ORDER BY j.value, a.id",
    "SELECT DISTINCT s FROM a ORDER BY s",
    "SELECT DISTINCT a.x, b.y FROM a JOIN b ON b.a_id = a.id ORDER BY 1, 2 DESC",
    "SELECT id, s FROM a WHERE id < 50 UNION ALL SELECT id, t FROM b WHERE id < 80 ORDER BY 2, 1 DESC",
    "SELECT x FROM a UNION ALL SELECT y FROM b ORDER BY 1 LIMIT 20 OFFSET 5",
    "SELECT a.id, b.id FROM a JOIN b ON b.a_id = a.id UNION ALL SELECT id, NULL FROM a WHERE x IS NULL ORDER BY 1, 2",
    "SELECT x, count(*), sum(id), min(s), max(r) FROM a GROUP BY x ORDER BY x",
    "SELECT a.x, count(b.id) FROM a JOIN b ON b.a_id = a.id GROUP BY a.x HAVING count(*) > 20 ORDER BY 2 DESC, 1",
    "SELECT count(DISTINCT y), t COLLATE BINARY FROM b GROUP BY t COLLATE BINARY ORDER BY 2",
    "SELECT s, max(x), id FROM a GROUP BY s ORDER BY s",
    "SELECT a_id, count(*), max(y) FROM b GROUP BY a_id ORDER BY a_id",
    "SELECT a_id, count(*) FROM b GROUP BY a_id ORDER BY a_id DESC",
    "SELECT a_id, sum(y) FROM b WHERE a_id > 100 GROUP BY a_id ORDER BY a_id DESC LIMIT 5 OFFSET 1",
    "SELECT x, count(*) FROM a GROUP BY x UNION ALL SELECT y, count(*) FROM b GROUP BY y ORDER BY 1, 2",
    "SELECT DISTINCT count(*) FROM b GROUP BY y ORDER BY 1",
    "SELECT c.k, avg(d.z), count(d.id) FROM c LEFT JOIN d ON d.c_k = c.k GROUP BY c.k ORDER BY c.k LIMIT 5 OFFSET 2",
    "SELECT count(*), sum(x), total(x), avg(x), min(s), max(s), count(DISTINCT x), sum(DISTINCT x) FROM a",
    "SELECT count(*), max(b.y), min(a.s) FROM a JOIN b ON b.a_id = a.id WHERE a.x > 3",
    "SELECT count(*), sum(y), max(t), id FROM b WHERE id < 0",
    "SELECT max(x), id, s FROM a",
    "SELECT min(s COLLATE NOCASE), id FROM a",
    "SELECT sum(x) FILTER (WHERE id % 2 = 0), count(*) FILTER (WHERE s IS NULL) FROM a",
    "SELECT count(*) FROM a HAVING count(*) > 1",
    "SELECT avg(r), total(r), sum(r), min(r), max(r) FROM a",
    "SELECT x FROM a UNION SELECT y FROM b ORDER BY 1",
    "SELECT * FROM (SELECT id, x FROM a WHERE x > 5) WHERE id % 3 = 0 ORDER BY id",
    "SELECT q.x, count(*) FROM (SELECT a.x FROM a JOIN b ON b.a_id = a.id) q GROUP BY q.x ORDER BY 1",
    "SELECT * FROM (SELECT id, s FROM a ORDER BY s, id LIMIT 50) ORDER BY id DESC",
    "WITH w AS (SELECT y, count(*) AS n FROM b GROUP BY y) SELECT * FROM w WHERE n > 30 ORDER BY y",
    "SELECT * FROM ab ORDER BY aid, bid",
    "SELECT x, count(bid) FROM ab GROUP BY x ORDER BY x",
    "SELECT s FROM a UNION SELECT t FROM b UNION ALL SELECT v FROM c ORDER BY 1 DESC LIMIT 30",
    // INTERSECT and EXCEPT, alone and mixed with UNION and UNION ALL (the
    // first SELECT's collation decides equality: b.t is NOCASE, a.s not).
    "SELECT x FROM a INTERSECT SELECT y FROM b ORDER BY 1",
    "SELECT t, y % 3 FROM b EXCEPT SELECT s, x FROM a ORDER BY 1, 2",
    "SELECT s FROM a EXCEPT SELECT t FROM b ORDER BY 1",
    "SELECT s FROM a INTERSECT SELECT t FROM b ORDER BY 1 DESC",
    "SELECT x FROM a UNION ALL SELECT y FROM b EXCEPT SELECT k FROM c WHERE k < 10 ORDER BY 1 DESC",
    "SELECT x FROM a EXCEPT SELECT k FROM c UNION SELECT y FROM b WHERE y > 20 ORDER BY 1",
    "SELECT x FROM a INTERSECT SELECT y FROM b EXCEPT SELECT k FROM c UNION ALL SELECT k FROM c WHERE k < 3 ORDER BY 1",
    "SELECT x, count(*) FROM a GROUP BY x EXCEPT SELECT y, count(*) FROM b GROUP BY y ORDER BY 1",
    "SELECT a.x FROM a JOIN b ON b.a_id = a.id INTERSECT SELECT k FROM c ORDER BY 1 LIMIT 3 OFFSET 1",
    "SELECT x FROM a EXCEPT SELECT y FROM b WHERE y < 10 INTERSECT SELECT k FROM c ORDER BY x",
    "SELECT a.id, c.rowid FROM a FULL JOIN c ON c.k = a.x ORDER BY 1, 2",
    // Windows sharing their PARTITION BY, computed a partition at a time.
    "SELECT id, x, row_number() OVER (PARTITION BY x ORDER BY id), sum(id) OVER (PARTITION BY x) FROM a ORDER BY id",
    "SELECT id, y, rank() OVER (ORDER BY y), lag(id) OVER (ORDER BY id DESC) FROM b WHERE id < 200 ORDER BY id",
    "SELECT t, count(*), row_number() OVER (ORDER BY count(*) DESC, t) FROM b GROUP BY t ORDER BY 3",
    "SELECT a.id, b.id, dense_rank() OVER (PARTITION BY a.x ORDER BY b.y), count(*) OVER (PARTITION BY a.x) \
     FROM a JOIN b ON b.a_id = a.id ORDER BY a.id, b.id",
    "SELECT id, group_concat(id) OVER (PARTITION BY s ORDER BY id ROWS 2 PRECEDING) FROM a ORDER BY id",
    "SELECT id, sum(x) OVER () FROM a WHERE id < 40 ORDER BY id",
    "SELECT DISTINCT x, max(id) OVER (PARTITION BY x) FROM a ORDER BY 1",
    // VALUES and SELECTs without FROM, alone and as compound arms.
    "SELECT * FROM (VALUES(3, 'c'), (1, 'a'), (2, NULL), (1 + 1, 'b' || 'b')) ORDER BY 1, 2",
    "SELECT 1, 'x' UNION ALL SELECT id, s FROM a WHERE id < 5 ORDER BY 1, 2",
    "VALUES(100), (3), (NULL) UNION SELECT x FROM a ORDER BY 1",
    "SELECT id FROM a WHERE id < 3 UNION ALL SELECT 99 WHERE 0 UNION ALL SELECT 7 WHERE 1 ORDER BY 1",
    "SELECT b.id, a.id FROM a RIGHT JOIN b ON b.a_id = a.id AND a.x < 5 ORDER BY b.id LIMIT 40",
    // Recursive CTEs, pulled a row at a time: counting, LIMIT and OFFSET,
    // UNION under a collation, a priority queue (ORDER BY), a join.
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i, i * i FROM n",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 40 OFFSET 7) SELECT i FROM n WHERE i % 3 = 0",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) SELECT i FROM n ORDER BY i DESC LIMIT 5",
    "WITH RECURSIVE r(v) AS (SELECT t FROM b WHERE id < 20 UNION SELECT upper(v) FROM r) SELECT v FROM r ORDER BY 1",
    "WITH RECURSIVE r(v, d) AS (SELECT 1, 0 UNION ALL SELECT v * 2 + d % 2, d + 1 FROM r WHERE d < 8 \
     UNION ALL SELECT v * 2 + 1, d + 1 FROM r WHERE d < 3 ORDER BY 2 DESC, 1) SELECT * FROM r",
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 30) \
     SELECT n.i, a.s FROM n JOIN a ON a.id = n.i * 7 ORDER BY 1",
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 30) \
     SELECT n.i, count(b.id) FROM n LEFT JOIN b ON b.y = n.i GROUP BY n.i ORDER BY 1",
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 50) \
     SELECT i % 7, sum(i) FROM n GROUP BY 1 ORDER BY 2 DESC",
];

/// Queries whose order SQL leaves open: SQLite must give the same rows as
/// a multiset (the stream still gives the complete run's exact order).
const UNORDERED: &[&str] = &[
    "SELECT a.id, b.id FROM a JOIN b ON b.a_id = a.id",
    "SELECT a.id, b.id FROM a JOIN b ON b.a_id = a.id WHERE a.x > 5 AND b.y < 10",
    "SELECT * FROM a, c WHERE a.x = c.k",
    "SELECT a.id, c.v FROM a JOIN c ON c.k < a.x WHERE a.id < 40",
    "SELECT a.id, b.id, c.v FROM a JOIN b ON b.a_id = a.id JOIN c ON c.k = b.y",
    "SELECT a.id, b.id, c.v, d.id FROM a JOIN b ON b.a_id = a.id JOIN c ON c.k = b.y JOIN d ON d.c_k = c.k \
     WHERE a.id < 50 AND d.z > 20",
    "SELECT a.id, b.id, b.t FROM a LEFT JOIN b ON b.a_id = a.id",
    "SELECT a.id FROM a LEFT JOIN b ON b.a_id = a.id WHERE b.id IS NULL",
    "SELECT a.id, b.id FROM a LEFT JOIN b ON b.a_id = a.id AND b.y > 10",
    "SELECT a.id, b.id, c.v FROM a LEFT JOIN b ON b.a_id = a.id JOIN c ON c.k = a.x",
    "SELECT a.id, c.rowid, d.id FROM a LEFT JOIN c ON c.k = a.x LEFT JOIN d ON d.c_k = c.k",
    "SELECT a.id, c.k FROM a CROSS JOIN c WHERE a.id < 5",
    "SELECT a.id, b.y FROM b JOIN a ON a.id = b.a_id WHERE b.t = 'apple'",
    "SELECT x, id FROM a ORDER BY x",
    "SELECT t, id FROM b ORDER BY t DESC",
    "SELECT a.x, b.y FROM a JOIN b ON b.a_id = a.id ORDER BY a.x",
    "SELECT a.id, b.id FROM a JOIN b ON b.a_id = a.id AND a.x IN (SELECT k FROM c)",
    "SELECT DISTINCT x FROM a",
    "SELECT DISTINCT a.x, c.v FROM a JOIN c ON c.k = a.x",
    "SELECT a.id FROM a WHERE x > 10 UNION ALL SELECT b.id FROM b JOIN a ON a.id = b.a_id WHERE a.x < 3",
    "SELECT x, s FROM a UNION ALL SELECT DISTINCT y, t FROM b LEFT JOIN c ON c.k = b.y",
    "SELECT a_id, count(*) FROM b GROUP BY a_id",
    "SELECT x % 4, sum(id) FROM a GROUP BY 1 HAVING sum(id) > 100",
    "SELECT x FROM a UNION SELECT y FROM b UNION ALL SELECT k FROM c",
    "SELECT * FROM ab WHERE t = 'apple'",
    "SELECT s.aid, c.v FROM ab s JOIN c ON c.k = s.x",
    "SELECT s.aid, c.v FROM ab s LEFT JOIN c ON c.k = s.x WHERE s.aid < 100",
    "SELECT x FROM a INTERSECT SELECT y FROM b",
    "SELECT y FROM b EXCEPT SELECT x FROM a",
    "SELECT x, s FROM a EXCEPT SELECT y, t FROM b",
    "SELECT DISTINCT k FROM c INTERSECT SELECT x FROM a INTERSECT SELECT y FROM b",
    "SELECT id FROM a WHERE id < 100 EXCEPT SELECT a_id FROM b UNION ALL SELECT id FROM a WHERE id < 3",
    "SELECT aid FROM ab EXCEPT SELECT a_id FROM b WHERE y > 5",
    // RIGHT and FULL joins: unmatched right rows come after the left's.
    "SELECT a.id, b.id FROM b RIGHT JOIN a ON b.a_id = a.id WHERE a.id < 50",
    "SELECT a.id, b.id, b.y FROM a FULL JOIN b ON b.a_id = a.id AND b.y > 12",
    "SELECT a.id, c.k, d.id FROM a RIGHT JOIN c ON c.k = a.x LEFT JOIN d ON d.c_k = c.k WHERE d.id IS NULL OR d.id < 100",
    "SELECT a.id, b.id, c.v FROM a JOIN b ON b.a_id = a.id FULL JOIN c ON c.k = b.y",
    "SELECT c.v, a.id FROM c FULL JOIN a ON a.x = c.k WHERE a.id IS NULL OR c.k IS NULL",
    "SELECT * FROM a NATURAL FULL JOIN d WHERE d.z > 50 OR a.x > 14",
    "SELECT a.x, count(*), count(c.k) FROM a FULL JOIN c ON c.k = a.x GROUP BY a.x",
    "VALUES(1, 2), (3, 4), (NULL, 'x')",
    "SELECT abs(-5), typeof(NULL)",
    "SELECT count(*), max(5), sum(NULL)",
    "SELECT x FROM a INTERSECT VALUES(1), (2), (16)",
    // Windows without ORDER BY: the rows come in the windows' order.
    "SELECT id, x, row_number() OVER (PARTITION BY x ORDER BY id DESC) FROM a",
    "SELECT id, t, y, first_value(id) OVER (PARTITION BY t ORDER BY y), count(*) OVER (PARTITION BY t) FROM b",
    "SELECT id, y, ntile(4) OVER (ORDER BY y, id) FROM b WHERE y > 10",
    "SELECT x % 3, count(*), sum(count(*)) OVER (ORDER BY x % 3) FROM a GROUP BY 1",
    "SELECT id, row_number() OVER (ORDER BY y DESC, id) FROM b UNION ALL SELECT id, x FROM a",
    "SELECT id, row_number() OVER (ORDER BY id) FROM a WHERE id < 30",
    // Lookups of several keys: rowids found when the query opens, rows
    // read as they are pulled.
    "SELECT * FROM b WHERE a_id IN (3, 7, 11, 300)",
    "SELECT id, y FROM b WHERE id IN (SELECT a_id FROM b WHERE y = 3)",
    "SELECT * FROM b WHERE a_id = 5 OR id = 17 OR a_id = 8",
    "SELECT a_id FROM b WHERE a_id IN (1, 2, 3, 4, 5)",
    "SELECT * FROM a WHERE id IN (1, 5, 9, 9, 400) AND x > 2",
    "SELECT a.id FROM a JOIN b ON b.a_id = a.id UNION SELECT id FROM b WHERE id < 400",
    "SELECT x, s FROM a UNION ALL SELECT y, t FROM b UNION SELECT k, v FROM c",
    // The same sort cut into partitions or not: two passes.
    "SELECT id, rank() OVER (ORDER BY x), min(id) OVER (PARTITION BY x), count(*) OVER (PARTITION BY x) FROM a",
    // Windows sorting differently: a pass each.
    "SELECT id, rank() OVER (PARTITION BY x ORDER BY id), rank() OVER (ORDER BY s, id) FROM a",
    "SELECT id, row_number() OVER (ORDER BY y), count(*) OVER (PARTITION BY t), lag(id) OVER (PARTITION BY y % 3 ORDER BY t) FROM b",
    "SELECT id, sum(id) OVER (PARTITION BY x), sum(id) OVER (PARTITION BY x), row_number() OVER (ORDER BY s) FROM a",
    "SELECT t, count(*), rank() OVER (ORDER BY count(*)), first_value(t) OVER (PARTITION BY count(*) % 2 ORDER BY t) FROM b GROUP BY t",
    // Queries that still run to completion behind the stream: a JSON
    // aggregate without GROUP BY.
    "SELECT x, json_group_array(x) FROM a WHERE id < 5",
];

/// Queries checked against the complete run only: LIMIT without a total
/// ORDER BY picks rows SQL leaves open.
const OURS_ONLY: &[&str] = &[
    "SELECT a.id, b.id FROM a JOIN b ON b.a_id = a.id LIMIT 25 OFFSET 10",
    "SELECT a.id, b.id FROM a LEFT JOIN b ON b.a_id = a.id LIMIT 0",
    "SELECT a.id, c.v FROM a, c WHERE a.x = c.k LIMIT 3",
    "SELECT a.x, b.y FROM a JOIN b ON b.a_id = a.id ORDER BY a.x LIMIT 7 OFFSET 3",
    "SELECT x, s FROM a ORDER BY x LIMIT 100",
    "SELECT DISTINCT s COLLATE NOCASE AS n FROM a ORDER BY 1",
    "SELECT DISTINCT t FROM b UNION ALL SELECT DISTINCT s FROM a",
    "SELECT a.id FROM a UNION ALL SELECT id FROM b LIMIT 10 OFFSET 295",
    "SELECT * FROM (SELECT DISTINCT x FROM a) LIMIT 5",
    "SELECT * FROM ab LIMIT 7 OFFSET 100",
    "SELECT t, count(*) FROM b GROUP BY t",
    "SELECT y % 5, total(id), group_concat(id) FROM b WHERE id < 60 GROUP BY 1 ORDER BY 1",
    "SELECT a.s, b.t, max(b.y), a.id FROM a JOIN b ON b.a_id = a.id GROUP BY a.s ORDER BY b.t",
    "SELECT x, json_group_array(id), count(*) FROM a GROUP BY x ORDER BY x",
    "SELECT group_concat(DISTINCT x), string_agg(s, '|') FROM a",
    "SELECT count(*) FROM a HAVING count(*) > 1000",
    // Ties for the maximum: which row's b.id depends on the join order.
    "SELECT a.x, max(b.y), b.id FROM a JOIN b ON b.a_id = a.id GROUP BY a.x ORDER BY a.x",
];

fn load() -> (Connection, rusqlite::Connection) {
    let lite = rusqlite::Connection::open_in_memory().unwrap();
    let mut ours = Connection::open_in_memory().unwrap();
    for sql in script() {
        lite.execute_batch(&sql).unwrap();
        ours.execute(&sql).unwrap();
    }
    (ours, lite)
}

/// The rows read through the iterator and, again, each decoded over the
/// previous one (`next_into`): both readings must agree.
fn streamed(c: &mut Connection, sql: &str) -> Result<Vec<Vec<Value>>, String> {
    let rows = c.query_stream(sql, &[]).map_err(|e| e.to_string())?;
    let rows = rows.collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    let mut stream = c.query_stream(sql, &[]).map_err(|e| e.to_string())?;
    let (mut row, mut again) = (Vec::new(), Vec::new());
    while stream.next_into(&mut row).map_err(|e| e.to_string())? {
        again.push(row.clone());
    }
    assert!(same_rows(&rows, &again), "{sql}: rows read into one vector differ from the iterator's");
    Ok(rows)
}

fn complete(c: &mut Connection, sql: &str) -> Result<Vec<Vec<Value>>, String> {
    c.execute(sql).map(|mut r| r.pop().unwrap().rows).map_err(|e| e.to_string())
}

fn sorted(mut rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    rows.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    rows
}

fn same_rows(a: &[Vec<Value>], b: &[Vec<Value>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| common::same(p, q)))
}

#[test]
fn streamed_joins_and_sorts_equal_the_complete_run_and_sqlite() {
    // A budget of a few rows: every sort above spills.
    sort::set_budget(2048);
    let before = sort::runs_written();
    let (mut ours, lite) = load();
    let mut checks = 0;
    for lookups in [true, false] {
        ours.set_index_lookups(lookups).unwrap();
        for (i, sql) in ORDERED.iter().chain(UNORDERED).chain(OURS_ONLY).enumerate() {
            let s = streamed(&mut ours, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            let whole = complete(&mut ours, sql).unwrap();
            assert!(same_rows(&s, &whole), "{sql}: stream differs from the complete run (lookups {lookups})");
            if i < ORDERED.len() {
                let want = common::run_sqlite(&lite, sql).unwrap();
                assert!(same_rows(&s, &want), "{sql}: stream differs from SQLite (lookups {lookups})");
            } else if i < ORDERED.len() + UNORDERED.len() {
                let want = common::run_sqlite(&lite, sql).unwrap();
                assert!(same_rows(&sorted(s.clone()), &sorted(want)), "{sql}: rows differ from SQLite");
            }
            assert!(
                !s.is_empty() || sql.contains("LIMIT 0") || sql.contains("> 1000"),
                "{sql}: a test query should give rows"
            );
            checks += 1;
        }
    }
    let runs = sort::runs_written() - before;
    assert!(runs > 50, "sorts should have spilled runs, wrote {runs}");
    eprintln!("{checks} streamed queries checked, {runs} sort runs written");
}

#[test]
fn a_large_spilled_sort_merges_generations_in_order() {
    sort::set_budget(2048);
    let mut c = Connection::open_in_memory().unwrap();
    c.execute("CREATE TABLE big(id INTEGER PRIMARY KEY, k INT, s TEXT)").unwrap();
    c.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999) \
         INSERT INTO big SELECT i, (i * 7919) % 1000, printf('s%05d', (i * 104729) % 20000) FROM n",
    )
    .unwrap();
    let before = sort::runs_written();
    for sql in [
        "SELECT id, k FROM big ORDER BY k",
        "SELECT s, id FROM big ORDER BY s DESC LIMIT 9000 OFFSET 11",
        "SELECT k, count(*), sum(id), min(s) FROM big GROUP BY k",
    ] {
        let s = streamed(&mut c, sql).unwrap();
        assert_eq!(s, complete(&mut c, sql).unwrap(), "{sql}");
    }
    // Far more than FAN_IN runs of the first generation: merges of merges.
    let runs = sort::runs_written() - before;
    assert!(runs as usize > sort::FAN_IN * sort::FAN_IN, "wrote {runs} runs");
}

#[test]
fn a_streamed_join_gives_the_rows_before_an_error() {
    let (mut c, _) = load();
    let plain = "SELECT b.id FROM a JOIN b ON b.a_id = a.id";
    let order = complete(&mut c, plain).unwrap();
    let at = order.len() / 2;
    let Value::Integer(bad) = order[at][0] else { panic!("an id") };
    let q = format!(
        "SELECT CASE WHEN b.id = {bad} THEN abs(-9223372036854775808) ELSE b.id END FROM a JOIN b ON b.a_id = a.id"
    );
    assert!(c.execute(&q).is_err(), "the complete run fails");
    let mut rows = c.query_stream(&q, &[]).unwrap();
    for want in &order[..at] {
        assert_eq!(&rows.next().unwrap().unwrap(), want);
    }
    assert_eq!(rows.next().unwrap().unwrap_err().to_string(), "integer overflow");
    assert!(rows.next().is_none(), "nothing follows an error");
    // The same through a LEFT join chain.
    let plain = "SELECT b.id FROM a LEFT JOIN b ON b.a_id = a.id WHERE b.id IS NOT NULL";
    let order = complete(&mut c, plain).unwrap();
    let at = order.len() / 3;
    let Value::Integer(bad) = order[at][0] else { panic!("an id") };
    let q = format!(
        "SELECT CASE WHEN b.id = {bad} THEN abs(-9223372036854775808) ELSE b.id END \
         FROM a LEFT JOIN b ON b.a_id = a.id WHERE b.id IS NOT NULL"
    );
    assert!(c.execute(&q).is_err());
    let got: Vec<_> = c.query_stream(&q, &[]).unwrap().collect();
    assert_eq!(got.len(), at + 1);
    assert!(got[..at].iter().zip(&order).all(|(g, w)| g.as_ref().unwrap() == w));
    assert!(got[at].is_err());
    // An aggregate that overflows fails the stream as it fails the run.
    let q = "SELECT sum(id + 9223372036854775000) FROM a";
    assert_eq!(complete(&mut c, q).unwrap_err(), "integer overflow");
    assert_eq!(streamed(&mut c, q).unwrap_err(), "integer overflow");
    // And through the arms of a UNION ALL: all of the first, then the
    // second's rows before the failing one.
    let q = "SELECT id FROM a UNION ALL SELECT CASE WHEN id = 5 THEN abs(-9223372036854775808) ELSE id END FROM b";
    assert!(c.execute(q).is_err());
    let got: Vec<_> = c.query_stream(q, &[]).unwrap().collect();
    assert_eq!(got.len(), 300 + 5 + 1);
    assert!(got[..305].iter().all(Result::is_ok));
    assert!(got[305].is_err());
}

#[test]
fn deeply_nested_subqueries_stream_on_a_small_stack() {
    let worker = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let mut c = Connection::open_in_memory().unwrap();
            c.execute("CREATE TABLE t(x); INSERT INTO t VALUES(3),(1),(2)").unwrap();
            let mut q = "SELECT x FROM t ORDER BY x".to_string();
            for _ in 0..40 {
                q = format!("SELECT x FROM ({q})");
            }
            q.push_str(" WHERE x > 1");
            let want = complete(&mut c, &q).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(want, vec![vec![Value::Integer(2)], vec![Value::Integer(3)]]);
            assert_eq!(streamed(&mut c, &q).unwrap(), want);
        })
        .unwrap();
    if let Err(panic) = worker.join() {
        std::panic::resume_unwind(panic);
    }
}
