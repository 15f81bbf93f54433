//! Streamed queries (`Connection::query_stream`): the same rows as running
//! the query to completion, for every kind of path, and rows produced
//! only as they are pulled.

#![allow(clippy::unwrap_used)]

use dosql_sql::{Connection, Value};

fn setup() -> Connection {
    let mut c = Connection::open_in_memory().unwrap();
    c.execute(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, g INT, name TEXT, score REAL);
         CREATE INDEX t_g ON t(g, score);
         CREATE INDEX t_name ON t(name DESC);
         CREATE TABLE w(k TEXT PRIMARY KEY, v INT) WITHOUT ROWID;
         CREATE TABLE small(x);",
    )
    .unwrap();
    c.execute("BEGIN").unwrap();
    for i in 0..600i64 {
        let name = if i % 7 == 0 { Value::Null } else { Value::Text(format!("n{:03}", (i * 37) % 600)) };
        let score = if i % 11 == 0 { Value::Null } else { Value::Real((i % 23) as f64 / 2.0) };
        c.execute_with(
            "INSERT INTO t VALUES(?, ?, ?, ?)",
            &[Value::Integer(i * 3 - 200), Value::Integer(i % 9), name, score],
        )
        .unwrap();
        c.execute_with("INSERT INTO w VALUES(?, ?)", &[Value::Text(format!("k{}", i % 250)), Value::Integer(i)]).ok();
    }
    c.execute("INSERT INTO small VALUES(3),(5),(700); COMMIT").unwrap();
    c
}

const QUERIES: &[&str] = &[
    "SELECT * FROM t",
    "SELECT id, name FROM t WHERE id > 100 AND id <= 900",
    "SELECT id FROM t WHERE id BETWEEN -50 AND 50 ORDER BY id DESC",
    "SELECT * FROM t WHERE g = 4",
    "SELECT g, score FROM t WHERE g = 2 AND score > 3.5",
    "SELECT id, score FROM t WHERE g = 5 ORDER BY score DESC LIMIT 7 OFFSET 3",
    "SELECT name FROM t WHERE name > 'n300' ORDER BY name DESC",
    "SELECT * FROM t WHERE name IS NULL LIMIT 5",
    "SELECT id * 2, upper(name) FROM t WHERE score IS NOT NULL AND id % 5 = 1",
    "SELECT * FROM t LIMIT 10 OFFSET 590",
    "SELECT * FROM t LIMIT -1 OFFSET 595",
    "SELECT * FROM t LIMIT 0",
    "SELECT * FROM w WHERE v > 400",
    "SELECT k FROM w ORDER BY k LIMIT 20",
    "SELECT id FROM t WHERE g IN (SELECT x FROM small)",
    "SELECT id, (SELECT count(*) FROM small WHERE x < t.g) FROM t WHERE id < 0",
    "SELECT id FROM t WHERE id IN (1, 4, 7, 10, 13)",
    "SELECT id FROM t WHERE g = 1 OR name = 'n037'",
    "SELECT g, count(*) FROM t GROUP BY g",
    "SELECT DISTINCT g FROM t",
    "SELECT t.id, small.x FROM t JOIN small ON t.g = small.x",
    "SELECT id FROM t ORDER BY score, id",
    "SELECT id FROM t WHERE id = ?1 OR g = ?2",
    "SELECT 1 UNION SELECT 2",
];

fn collect(c: &mut Connection, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, String> {
    let rows = c.query_stream(sql, params).map_err(|e| e.to_string())?;
    rows.collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())
}

#[test]
fn streamed_rows_equal_complete_rows() {
    let mut c = setup();
    let params = [Value::Integer(7), Value::Integer(3)];
    for q in QUERIES {
        let whole = c.execute_with(q, &params).map(|mut r| r.pop().unwrap().rows).map_err(|e| e.to_string());
        let streamed = collect(&mut c, q, &params);
        assert_eq!(streamed, whole, "{q}");
        let cols = c.query_stream(q, &params).unwrap().columns().to_vec();
        assert_eq!(cols, c.columns_of(q).unwrap(), "{q}");
    }
    // Index lookups off: every query scans, and still agrees.
    c.set_index_lookups(false).unwrap();
    for q in QUERIES {
        let whole = c.execute_with(q, &params).map(|mut r| r.pop().unwrap().rows).map_err(|e| e.to_string());
        assert_eq!(collect(&mut c, q, &params), whole, "{q} (scan)");
    }
}

#[test]
fn rows_are_computed_when_pulled() {
    let mut c = setup();
    // The 51st row overflows: a stream gives 50 rows before the error,
    // where running to completion fails at once.
    let q = "SELECT CASE WHEN id = -50 THEN abs(-9223372036854775808) ELSE id END FROM t";
    assert!(c.execute(q).is_err());
    let mut rows = c.query_stream(q, &[]).unwrap();
    for i in 0..50 {
        let r = rows.next().unwrap().unwrap();
        assert_eq!(r, vec![Value::Integer(i * 3 - 200)]);
    }
    let e = rows.next().unwrap().unwrap_err();
    assert_eq!(e.to_string(), "integer overflow");
    assert!(rows.next().is_none(), "nothing follows an error");
}

#[test]
fn a_stream_reads_its_snapshot_or_the_open_transaction() {
    let mut c = setup();
    let db = c.database().clone();
    let mut other = Connection::from_database(db).unwrap();
    let rows = c.query_stream("SELECT id FROM t WHERE id < -190", &[]).unwrap();
    // A commit made while the stream is open is not in it.
    other.execute("INSERT INTO t(id, g) VALUES(-1000, 0)").unwrap();
    let got: Vec<_> = rows.map(|r| r.unwrap()).collect();
    assert_eq!(
        got,
        vec![
            vec![Value::Integer(-200)],
            vec![Value::Integer(-197)],
            vec![Value::Integer(-194)],
            vec![Value::Integer(-191)]
        ]
    );
    // Inside a transaction the stream sees its uncommitted rows.
    c.execute("BEGIN; DELETE FROM t WHERE id = -200").unwrap();
    let got: Vec<_> = c.query_stream("SELECT id FROM t WHERE id < -190", &[]).unwrap().map(|r| r.unwrap()).collect();
    assert_eq!(got.first(), Some(&vec![Value::Integer(-1000)]));
    assert_eq!(got.len(), 4);
    c.execute("ROLLBACK").unwrap();
}

#[test]
fn earlier_statements_run_and_errors_surface() {
    let mut c = setup();
    let rows: Vec<_> = c
        .query_stream("INSERT INTO small VALUES(9); SELECT x FROM small WHERE x > 6", &[])
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows, vec![vec![Value::Integer(700)], vec![Value::Integer(9)]]);
    assert_eq!(
        c.query_stream("SELECT nope FROM t", &[]).err().map(|e| e.to_string()).as_deref(),
        Some("no such column: nope")
    );
    assert!(c.query_stream("SELEC 1", &[]).is_err());
    let empty = c.query_stream("", &[]).unwrap();
    assert!(empty.columns().is_empty());
    assert_eq!(empty.count(), 0);
}
