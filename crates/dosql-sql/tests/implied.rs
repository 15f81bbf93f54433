//! WHERE comparisons a rowid path answers exactly are not tested again
//! per row (`access::implied`): differential tests against SQLite with
//! bound parameters of every type at the boundaries (integers up to
//! i64::MIN / i64::MAX, reals such as 2.5 and -0.0, numeric and other
//! text, blobs, NULL), through the streamed and the complete executor, and
//! with index lookups off (every path a scan), which must not change a
//! single result.

#![allow(clippy::unwrap_used)]

mod common;

use common::{check_script, same, sqlite_value};
use dosql_sql::{Connection, Value};

const SCHEMA: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n REAL);
     CREATE INDEX t_v ON t(v);
     CREATE TABLE r(a, b);
     CREATE TABLE o(x);";

/// Rows at the ends of the rowid range and around the small values the
/// parameters hit.
fn fill() -> Vec<String> {
    let mut ids: Vec<i64> = (-6..=12).collect();
    ids.extend([i64::MIN, i64::MIN + 1, i64::MAX - 1, i64::MAX, 1 << 53, (1 << 53) + 1]);
    let mut out = Vec::new();
    for id in ids {
        out.push(format!("INSERT INTO t VALUES({id}, 'v{}', {}.5)", id.rem_euclid(5), id.rem_euclid(7)));
        out.push(format!("INSERT INTO r(rowid, a, b) VALUES({id}, {}, 'x')", id.rem_euclid(3)));
    }
    out.push("INSERT INTO o VALUES(3), (3.5), ('4'), (NULL), (x'05'), (9223372036854775807)".into());
    out
}

fn params() -> Vec<Value> {
    vec![
        Value::Integer(i64::MIN),
        Value::Integer(i64::MIN + 1),
        Value::Integer(-1),
        Value::Integer(0),
        Value::Integer(2),
        Value::Integer(5),
        Value::Integer(9),
        Value::Integer(i64::MAX - 1),
        Value::Integer(i64::MAX),
        Value::Integer(1 << 53),
        Value::Real(2.5),
        Value::Real(5.0),
        Value::Real(-0.0),
        Value::Real(9_007_199_254_740_993.0),
        Value::Real(1e19),
        Value::Real(-1e19),
        Value::Text("5".into()),
        Value::Text("5.0".into()),
        Value::Text(" 7".into()),
        Value::Text("abc".into()),
        Value::Text("9223372036854775808".into()),
        Value::Blob(vec![5]),
        Value::Null,
    ]
}

const QUERIES: &[&str] = &[
    "SELECT * FROM t WHERE id >= ?1 AND id < ?2",
    "SELECT id, v FROM t WHERE id > ?1 AND id <= ?2",
    "SELECT id FROM t WHERE ?1 <= id AND ?2 > id",
    "SELECT id FROM t WHERE ?2 < id AND id <= ?1 AND n > 2",
    "SELECT * FROM t WHERE id = ?1",
    "SELECT v FROM t WHERE id = ?2 AND v = 'v2'",
    "SELECT id FROM t WHERE rowid >= ?1 AND _rowid_ < ?2",
    "SELECT id FROM t WHERE id BETWEEN ?1 AND ?2",
    "SELECT id FROM t WHERE id >= ?1 AND id >= ?2",
    "SELECT id FROM t WHERE id > ?1 AND id > ?1 AND id < ?2",
    "SELECT id FROM t WHERE id >= ?1 + 1 AND id < ?2 * 2",
    "SELECT id FROM t WHERE id >= -?1 AND id <= ?2 - 1",
    "SELECT id FROM t WHERE id >= CAST(?1 AS TEXT) AND id < CAST(?2 AS INTEGER)",
    "SELECT id FROM t WHERE id >= ?1 COLLATE NOCASE AND id < +?2",
    "SELECT id FROM t WHERE id > ?1 ORDER BY id DESC",
    "SELECT id FROM t WHERE id >= ?1 ORDER BY id LIMIT 3",
    "SELECT id FROM t WHERE id < ?2 ORDER BY id DESC LIMIT 2 OFFSET 1",
    "SELECT count(*), sum(n) FROM t WHERE id >= ?1 AND id < ?2",
    "SELECT max(id) FROM t WHERE id < ?2",
    "SELECT DISTINCT v FROM t WHERE id > ?1",
    "SELECT a, b FROM r WHERE rowid > ?1 AND rowid <= ?2",
    "SELECT a FROM r WHERE rowid = ?1",
    "SELECT x, (SELECT count(*) FROM t WHERE id >= o.x AND id < ?2) FROM o",
    "SELECT x, (SELECT min(id) FROM t WHERE id = o.x) FROM o",
    "SELECT x FROM o WHERE EXISTS (SELECT 1 FROM t WHERE id > ?1 AND id = o.x)",
    "SELECT id FROM t WHERE id >= ?1 AND id < ?2 AND id <> 3",
    "SELECT id FROM t WHERE id > ?1 AND (id < ?2 OR v = 'v1')",
];

fn lite_rows(db: &rusqlite::Connection, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, String> {
    let ps: Vec<rusqlite::types::Value> = params
        .iter()
        .map(|v| match v {
            Value::Null => rusqlite::types::Value::Null,
            Value::Integer(i) => rusqlite::types::Value::Integer(*i),
            Value::Real(r) => rusqlite::types::Value::Real(*r),
            Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
            Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
        })
        .collect();
    let mut stmt = db.prepare(sql).map_err(common::message)?;
    let n = stmt.column_count();
    // rusqlite wants exactly as many values as the statement numbers.
    let used = stmt.parameter_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(ps.into_iter().take(used))).map_err(common::message)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(common::message)? {
        out.push((0..n).map(|i| row.get_ref(i).map(sqlite_value).unwrap_or(Value::Null)).collect());
    }
    Ok(out)
}

fn sorted(mut rows: Vec<Vec<Value>>, sql: &str) -> Vec<Vec<Value>> {
    if !sql.contains("ORDER BY") {
        rows.sort_by_key(|r| format!("{r:?}"));
    }
    rows
}

fn agree(a: &[Vec<Value>], b: &[Vec<Value>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)))
}

#[test]
fn rowid_bounds_of_every_type_agree_with_sqlite() {
    let lite = rusqlite::Connection::open_in_memory().unwrap();
    let mut ours = Connection::open_in_memory().unwrap();
    lite.execute_batch(SCHEMA).unwrap();
    ours.execute(SCHEMA).unwrap();
    for s in fill() {
        lite.execute_batch(&s).unwrap();
        ours.execute(&s).unwrap();
    }
    let ps = params();
    let mut checked = 0;
    for lookups in [true, false] {
        ours.set_index_lookups(lookups).unwrap();
        for q in QUERIES {
            for p1 in &ps {
                for p2 in &ps {
                    let args = [p1.clone(), p2.clone()];
                    let want = lite_rows(&lite, q, &args).map(|r| sorted(r, q));
                    let whole = ours
                        .execute_with(q, &args)
                        .map(|mut r| sorted(r.pop().unwrap().rows, q))
                        .map_err(|e| e.to_string());
                    let streamed = ours
                        .query_stream(q, &args)
                        .map_err(|e| e.to_string())
                        .and_then(|s| s.collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string()))
                        .map(|r| sorted(r, q));
                    for got in [&whole, &streamed] {
                        match (&want, got) {
                            (Ok(w), Ok(g)) => {
                                assert!(agree(w, g), "{q} {args:?} lookups={lookups}\n sqlite {w:?}\n dosql  {g:?}")
                            }
                            (Err(w), Err(g)) => assert_eq!(w, g, "{q} {args:?}"),
                            _ => panic!("{q} {args:?} lookups={lookups}\n sqlite {want:?}\n dosql  {got:?}"),
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * QUERIES.len() * ps.len() * ps.len());
}

#[test]
fn literal_bounds_agree_with_sqlite() {
    let mut script: Vec<String> = SCHEMA.split(';').map(str::to_owned).filter(|s| !s.trim().is_empty()).collect();
    script.extend(fill());
    let lits = [
        "-9223372036854775808",
        "9223372036854775807",
        "3",
        "-0",
        "2.5",
        "3.0",
        "'5'",
        "'x'",
        "NULL",
        "x'05'",
        "9223372036854775808",
    ];
    for a in lits {
        for b in lits {
            script.push(format!("SELECT id FROM t WHERE id >= {a} AND id < {b}"));
            script.push(format!("SELECT id FROM t WHERE id > {a} AND {b} >= id ORDER BY id DESC"));
            script.push(format!("SELECT id, v FROM t WHERE id = {a} OR id = {b}"));
        }
        script.push(format!("SELECT * FROM t WHERE id = {a}"));
        script.push(format!("SELECT a FROM r WHERE rowid <= {a}"));
        script.push(format!("UPDATE t SET n = n + 1 WHERE id = {a}"));
        script.push(format!("DELETE FROM r WHERE rowid < {a} AND a = 1"));
        script.push("SELECT * FROM t ORDER BY id".into());
        script.push("SELECT rowid, * FROM r ORDER BY rowid".into());
    }
    let refs: Vec<&str> = script.iter().map(String::as_str).collect();
    check_script(&refs);
}
