//! Unit and differential tests (against the bundled SQLite via rusqlite) for
//! the value core: affinity, comparison, arithmetic, CAST and text rendering.

// Test data deliberately uses exact decimal literals and values close to constants.
#![allow(clippy::excessive_precision, clippy::approx_constant, clippy::type_complexity)]

use crate::value::*;
use proptest::prelude::*;
use rusqlite::types::Value as SqlValue;
use std::cell::RefCell;
use std::cmp::Ordering;

thread_local! {
    static CONN: RefCell<Option<rusqlite::Connection>> = const { RefCell::new(None) };
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Integer(i) => SqlValue::Integer(*i),
        Value::Real(r) => SqlValue::Real(*r),
        Value::Text(s) => SqlValue::Text(s.clone()),
        Value::Blob(b) => SqlValue::Blob(b.clone()),
    }
}

/// Evaluate `sql` in SQLite with `params` bound as ?1, ?2, ...
/// Returns Err(message) when SQLite reports an error.
pub(crate) fn sqlite_eval(sql: &str, params: &[Value]) -> Result<Value, String> {
    CONN.with(|c| {
        let mut c = c.borrow_mut();
        let conn = c.get_or_insert_with(|| rusqlite::Connection::open_in_memory().expect("open in-memory sqlite"));
        let mut stmt = conn.prepare_cached(sql).map_err(|e| e.to_string())?;
        let ps: Vec<SqlValue> = params.iter().map(to_sql).collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(ps.iter())).map_err(|e| e.to_string())?;
        let row = rows.next().map_err(|e| e.to_string())?.ok_or_else(|| "no row".to_string())?;
        let r = row.get_ref(0).map_err(|e| e.to_string())?;
        Ok(match r {
            rusqlite::types::ValueRef::Null => Value::Null,
            rusqlite::types::ValueRef::Integer(i) => Value::Integer(i),
            rusqlite::types::ValueRef::Real(f) => Value::Real(f),
            rusqlite::types::ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            rusqlite::types::ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        })
    })
}

/// Run a statement without a result (DDL / DML).
pub(crate) fn sqlite_exec(sql: &str, params: &[Value]) {
    CONN.with(|c| {
        let mut c = c.borrow_mut();
        let conn = c.get_or_insert_with(|| rusqlite::Connection::open_in_memory().expect("open in-memory sqlite"));
        let ps: Vec<SqlValue> = params.iter().map(to_sql).collect();
        conn.execute(sql, rusqlite::params_from_iter(ps.iter())).expect("exec");
    })
}

/// Exact equality: same storage class, REALs bit-identical (0.0 == -0.0 is
/// accepted since SQLite's own zero sign is not observable through text).
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Real(x), Value::Real(y)) => x.to_bits() == y.to_bits() || (*x == 0.0 && *y == 0.0),
        _ => a == b,
    }
}

/// Differential check helper: returns a description of the mismatch, if any.
pub(crate) fn check(sql: &str, params: &[Value], ours: &Value) -> Option<String> {
    match sqlite_eval(sql, params) {
        Ok(theirs) if same(&theirs, ours) => None,
        Ok(theirs) => Some(format!("{sql} {params:?}: sqlite={theirs:?} ours={ours:?}")),
        Err(e) => Some(format!("{sql} {params:?}: sqlite error {e}, ours={ours:?}")),
    }
}

pub(crate) fn t(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// A pool of interesting values used for the exhaustive pairwise tests.
pub(crate) fn pool() -> Vec<Value> {
    let mut v = vec![
        Value::Null,
        Value::Integer(0),
        Value::Integer(1),
        Value::Integer(-1),
        Value::Integer(2),
        Value::Integer(3),
        Value::Integer(-7),
        Value::Integer(10),
        Value::Integer(63),
        Value::Integer(64),
        Value::Integer(i64::MAX),
        Value::Integer(i64::MIN),
        Value::Integer(i64::MAX - 1),
        Value::Integer(i64::MIN + 1),
        Value::Integer(1 << 53),
        Value::Integer((1 << 53) + 1),
        Value::Integer(4_611_686_018_427_387_904),
        Value::Integer(-4_294_967_296),
        Value::Real(0.0),
        Value::Real(-0.0),
        Value::Real(0.5),
        Value::Real(-2.5),
        Value::Real(1.5),
        Value::Real(3.0),
        Value::Real(-3.0),
        Value::Real(0.1),
        Value::Real(1e308),
        Value::Real(-1e308),
        Value::Real(f64::MIN_POSITIVE),
        Value::Real(5e-324),
        Value::Real(9.223372036854775807e18),
        Value::Real(-9.223372036854775807e18),
        Value::Real(1e19),
        Value::Real(123.456),
        Value::Real(f64::INFINITY),
        Value::Real(f64::NEG_INFINITY),
        Value::Real(9007199254740993.0),
    ];
    for s in [
        "",
        "0",
        "1",
        "12",
        " 12 ",
        "12abc",
        "abc",
        "ABC",
        "abc ",
        "1.5",
        "1e3",
        "-0",
        "0x10",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "1e400",
        ".5",
        "5.",
        "1.5e",
        " -3 ",
        "\t7\n",
        "+4",
        "1,000",
        "Inf",
        "nan",
        "3.0",
        "0.0",
        "-0.0",
        "1e-400",
        "12345678901234567890",
        "Ä",
        "é1",
    ] {
        v.push(t(s));
    }
    for b in [&b""[..], b"1", b"12", b"\0", b"\xff", b"1.5", b"12\0", b" 3", b"abc"] {
        v.push(Value::Blob(b.to_vec()));
    }
    v
}

fn report(fails: &[String], total: usize) {
    if !fails.is_empty() {
        let shown: Vec<&String> = fails.iter().take(40).collect();
        panic!(
            "{} of {} differential checks failed:\n{}",
            fails.len(),
            total,
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
    eprintln!("{total} differential checks passed");
}

#[test]
fn declared_type_affinity() {
    let cases = [
        ("INT", Affinity::Integer),
        ("INTEGER", Affinity::Integer),
        ("TINYINT", Affinity::Integer),
        ("BIGINT UNSIGNED", Affinity::Integer),
        ("CHARACTER(20)", Affinity::Text),
        ("VARCHAR(255)", Affinity::Text),
        ("NCHAR", Affinity::Text),
        ("TEXT", Affinity::Text),
        ("CLOB", Affinity::Text),
        ("BLOB", Affinity::Blob),
        ("", Affinity::Blob),
        ("REAL", Affinity::Real),
        ("DOUBLE PRECISION", Affinity::Real),
        ("FLOAT", Affinity::Real),
        ("NUMERIC", Affinity::Numeric),
        ("DECIMAL(10,5)", Affinity::Numeric),
        ("BOOLEAN", Affinity::Numeric),
        ("DATE", Affinity::Numeric),
        ("STRING", Affinity::Numeric),
        ("FLOATING POINT", Affinity::Integer),
        ("BLOBINT", Affinity::Integer),
        ("CHARBLOB", Affinity::Text),
        ("FLOATBLOB", Affinity::Blob),
        ("REALCHAR", Affinity::Text),
        ("point", Affinity::Integer),
    ];
    for (decl, aff) in cases {
        assert_eq!(Affinity::from_declared_type(decl), aff, "{decl}");
    }
}

#[test]
fn rendering_unit() {
    assert_eq!(Value::Real(1.0).to_text(), "1.0");
    assert_eq!(Value::Real(0.1).to_text(), "0.1");
    assert_eq!(Value::Real(1e20).to_text(), "1.0e+20");
    assert_eq!(Value::Real(1.5e-7).to_text(), "1.5e-07");
    assert_eq!(Value::Real(f64::INFINITY).to_text(), "Inf");
    assert_eq!(Value::Real(f64::NEG_INFINITY).to_text(), "-Inf");
    assert_eq!(Value::Real(49.47).to_text(), "49.47");
    assert_eq!(Value::Real(0.1 + 0.2).to_text(), "0.30000000000000004");
}

/// Reals whose text rendering is compared with SQLite.
fn real_samples() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        0.2,
        0.3,
        0.1 + 0.2,
        1.0 / 3.0,
        2.0 / 3.0,
        49.47,
        1e15,
        1e16,
        1e17,
        1e20,
        1e21,
        1e22,
        1.5e22,
        1e-4,
        1e-5,
        1.5e-7,
        123456789.123456789,
        9.223372036854775807e18,
        1e308,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        1e-310,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.5,
        2.5,
        1e100,
        1.7976931348623157e308,
        3.14159265358979,
        2.718281828459045,
        100.0,
        1234567.0,
        0.000123,
        99999999999999999.0,
        0.999999999999999,
        0.9999999999999999,
        9.999999999999999e22,
        1.2345678901234567,
        4.35,
        0.15,
        1.05,
    ];
    for k in -30..30 {
        v.push(10f64.powi(k));
        v.push(7.0 * 10f64.powi(k) / 3.0);
    }
    for k in [-1074, -1073, -1022, -100, -26, -25, -1, 52, 53, 63, 64, 100, 1023] {
        v.push(2f64.powi(k));
    }
    v
}

#[test]
fn diff_real_to_text() {
    let mut fails = Vec::new();
    let samples = real_samples();
    for &r in &samples {
        if let Some(f) = check("SELECT CAST(?1 AS TEXT)", &[Value::Real(r)], &Value::Text(Value::Real(r).to_text())) {
            fails.push(f);
        }
        if let Some(f) = check("SELECT quote(?1)", &[Value::Real(r)], &Value::Text(Value::Real(r).sql_quote())) {
            fails.push(f);
        }
    }
    report(&fails, samples.len() * 2);
}

/// Texts whose numeric interpretation is compared with SQLite.
fn text_samples() -> Vec<String> {
    let mut v: Vec<String> =
        pool().iter().filter_map(|x| if let Value::Text(s) = x { Some(s.clone()) } else { None }).collect();
    for s in [
        "3500000000000000.2500001",
        "1.7976931348623157e308",
        "1.7976931348623159e308",
        "2.2250738585072011e-308",
        "4.9e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "0.1e1",
        "1e+3",
        "1E-3",
        "1e",
        "1e+",
        "e5",
        "-.5",
        "+.5e1",
        "- 1",
        "1 2",
        "00012",
        "-00",
        "1.0",
        "1.000000000000000000001",
        "123456789012345678901234567890",
        "0.000000000000000000000000000001",
        "9223372036854775807.0",
        "9223372036854775806",
        "-9223372036854775807",
        "18446744073709551616",
        "1.5e15",
        "1e18",
        "1e19",
        "4611686018427387904",
        "4611686018427387905.0",
        "2251799813685248",
        "2251799813685249",
        "9007199254740993",
        " \x0b\x0c12\r",
        "12\0",
        "1e00000000000000000005",
        "1.e2",
        "1_000",
        "٣",
    ] {
        v.push(s.to_string());
    }
    v
}

#[test]
fn diff_text_conversions() {
    let mut fails = Vec::new();
    let mut total = 0;
    for s in text_samples() {
        let v = t(&s);
        for (sql, ours) in [
            ("SELECT CAST(?1 AS REAL)", cast(v.clone(), Affinity::Real)),
            ("SELECT CAST(?1 AS INTEGER)", cast(v.clone(), Affinity::Integer)),
            ("SELECT CAST(?1 AS NUMERIC)", cast(v.clone(), Affinity::Numeric)),
            ("SELECT ?1 + 0", add(&v, &Value::Integer(0))),
            ("SELECT -?1", negate(&v)),
        ] {
            total += 1;
            if let Some(f) = check(sql, std::slice::from_ref(&v), &ours) {
                fails.push(f);
            }
        }
    }
    report(&fails, total);
}

const AFF_COLS: [(&str, Option<Affinity>); 6] = [
    ("a", Some(Affinity::Integer)),
    ("b", Some(Affinity::Real)),
    ("c", Some(Affinity::Numeric)),
    ("d", Some(Affinity::Text)),
    ("e", Some(Affinity::Blob)),
    ("f", None),
];

fn affinity_check(vals: &[Value]) -> (Vec<String>, usize) {
    sqlite_exec("CREATE TABLE IF NOT EXISTS aff(a INTEGER, b REAL, c NUMERIC, d TEXT, e BLOB, f)", &[]);
    let mut fails = Vec::new();
    let mut total = 0;
    for v in vals {
        sqlite_exec("DELETE FROM aff", &[]);
        sqlite_exec("INSERT INTO aff VALUES(?1,?1,?1,?1,?1,?1)", std::slice::from_ref(v));
        for (col, aff) in AFF_COLS {
            let ours = match aff {
                Some(a) => v.clone().apply_affinity(a),
                None => v.clone(),
            };
            total += 1;
            if let Some(f) = check(&format!("SELECT {col} FROM aff"), &[], &ours) {
                fails.push(format!("{f} (stored {v:?})"));
            }
        }
    }
    (fails, total)
}

#[test]
fn diff_apply_affinity() {
    let mut vals = pool();
    vals.extend(text_samples().iter().map(|s| t(s)));
    vals.extend(real_samples().into_iter().map(Value::Real));
    let (fails, total) = affinity_check(&vals);
    report(&fails, total);
}

fn binop_list() -> Vec<(&'static str, fn(&Value, &Value) -> Value)> {
    vec![
        ("SELECT ?1 + ?2", add),
        ("SELECT ?1 - ?2", sub),
        ("SELECT ?1 * ?2", mul),
        ("SELECT ?1 / ?2", div),
        ("SELECT ?1 % ?2", rem),
        ("SELECT ?1 & ?2", bit_and),
        ("SELECT ?1 | ?2", bit_or),
        ("SELECT ?1 << ?2", shl),
        ("SELECT ?1 >> ?2", shr),
        ("SELECT ?1 || ?2", concat),
    ]
}

fn cmp_value(o: Option<Ordering>, op: &str) -> Value {
    match o {
        None => Value::Null,
        Some(o) => Value::Integer(i64::from(match op {
            "<" => o == Ordering::Less,
            "<=" => o != Ordering::Greater,
            ">" => o == Ordering::Greater,
            ">=" => o != Ordering::Less,
            "=" => o == Ordering::Equal,
            _ => o != Ordering::Equal,
        })),
    }
}

fn pair_checks(a: &Value, b: &Value, fails: &mut Vec<String>) -> usize {
    let mut total = 0;
    let ps = [a.clone(), b.clone()];
    for (sql, f) in binop_list() {
        total += 1;
        if let Some(m) = check(sql, &ps, &f(a, b)) {
            fails.push(m);
        }
    }
    for op in ["<", "<=", ">", ">=", "=", "<>"] {
        for (coll, cname) in
            [(Collation::Binary, ""), (Collation::NoCase, " COLLATE NOCASE"), (Collation::RTrim, " COLLATE RTRIM")]
        {
            let ours =
                if a.is_null() || b.is_null() { cmp_value(None, op) } else { cmp_value(Some(compare(a, b, coll)), op) };
            total += 1;
            if let Some(m) = check(&format!("SELECT ?1 {op} ?2{cname}"), &ps, &ours) {
                fails.push(m);
            }
        }
        // Comparison with affinities through CAST expressions (CAST gives its type's affinity).
        for (ty, aff) in [
            ("INTEGER", Affinity::Integer),
            ("TEXT", Affinity::Text),
            ("REAL", Affinity::Real),
            ("NUMERIC", Affinity::Numeric),
            ("BLOB", Affinity::Blob),
        ] {
            let left = cast(a.clone(), aff);
            let (x, y) = prepare_comparison(left, Some(aff), b.clone(), None);
            let ours = if x.is_null() || y.is_null() {
                cmp_value(None, op)
            } else {
                cmp_value(Some(compare(&x, &y, Collation::Binary)), op)
            };
            total += 1;
            if let Some(m) = check(&format!("SELECT CAST(?1 AS {ty}) {op} ?2"), &ps, &ours) {
                fails.push(m);
            }
        }
    }
    total += 1;
    let ours = match (a.is_null() || b.is_null(), compare(a, b, Collation::Binary)) {
        (true, _) => Value::Integer(i64::from(a.is_null() && b.is_null())),
        (false, o) => Value::Integer(i64::from(o == Ordering::Equal)),
    };
    if let Some(m) = check("SELECT ?1 IS ?2", &ps, &ours) {
        fails.push(m);
    }
    total
}

fn unary_checks(a: &Value, fails: &mut Vec<String>) -> usize {
    let ps = [a.clone()];
    let truth = match is_true(a) {
        None => Value::Null,
        Some(b) => Value::Integer(i64::from(b)),
    };
    let cases = [
        ("SELECT -?1", negate(a)),
        ("SELECT ~?1", bit_not(a)),
        ("SELECT NOT ?1", not(a)),
        ("SELECT CASE WHEN ?1 THEN 1 WHEN ?1 IS NULL THEN NULL ELSE 0 END", truth),
        ("SELECT CAST(?1 AS INTEGER)", cast(a.clone(), Affinity::Integer)),
        ("SELECT CAST(?1 AS REAL)", cast(a.clone(), Affinity::Real)),
        ("SELECT CAST(?1 AS NUMERIC)", cast(a.clone(), Affinity::Numeric)),
        ("SELECT CAST(?1 AS TEXT)", cast(a.clone(), Affinity::Text)),
        ("SELECT CAST(?1 AS BLOB)", cast(a.clone(), Affinity::Blob)),
        ("SELECT CAST(?1 AS VARCHAR(3))", cast_to_type(a.clone(), "VARCHAR(3)")),
        ("SELECT CAST(?1 AS WHATEVER)", cast_to_type(a.clone(), "WHATEVER")),
        ("SELECT quote(?1)", Value::Text(a.sql_quote())),
        ("SELECT typeof(?1)", Value::Text(a.type_name().to_string())),
    ];
    let n = cases.len();
    for (sql, ours) in cases {
        if let Some(m) = check(sql, &ps, &ours) {
            fails.push(m);
        }
    }
    n
}

#[test]
fn diff_pool_pairs() {
    let p = pool();
    let mut fails = Vec::new();
    let mut total = 0;
    for a in &p {
        total += unary_checks(a, &mut fails);
        for b in &p {
            total += pair_checks(a, b, &mut fails);
        }
    }
    report(&fails, total);
}

#[test]
fn sort_order_matches_sqlite() {
    // ORDER BY over the pool (with NaN-free values) must match our compare().
    sqlite_exec("CREATE TABLE IF NOT EXISTS srt(i INTEGER, v)", &[]);
    sqlite_exec("DELETE FROM srt", &[]);
    let p = pool();
    for (i, v) in p.iter().enumerate() {
        sqlite_exec("INSERT INTO srt VALUES(?1, ?2)", &[Value::Integer(i as i64), v.clone()]);
    }
    let mut ours: Vec<usize> = (0..p.len()).collect();
    ours.sort_by(|&x, &y| compare(&p[x], &p[y], Collation::Binary).then(x.cmp(&y)));
    for (k, &idx) in ours.iter().enumerate() {
        let theirs = sqlite_eval(&format!("SELECT i FROM srt ORDER BY v, i LIMIT 1 OFFSET {k}"), &[]).expect("query");
        assert_eq!(theirs, Value::Integer(idx as i64), "position {k}");
    }
}

pub(crate) fn arb_value() -> impl Strategy<Value = Value> {
    let numeric_text = prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:e}")),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f}")),
        (-1000i64..1000, 0u32..6).prop_map(|(i, k)| format!("{}.{:0>width$}", i, k, width = k as usize)),
        "[ ]{0,2}[+-]?[0-9]{0,22}(\\.[0-9]{0,6})?([eE][+-]?[0-9]{0,3})?[ a-z]{0,2}",
    ];
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Integer),
        (-300i64..300).prop_map(Value::Integer),
        any::<u64>().prop_map(f64::from_bits).prop_filter("not nan", |f| !f.is_nan()).prop_map(Value::Real),
        (-1e6f64..1e6).prop_map(Value::Real),
        prop_oneof![Just(-0.0), Just(1e308), Just(5e-324), Just(2.2250738585072014e-308), Just(f64::INFINITY)]
            .prop_map(Value::Real),
        numeric_text.prop_map(Value::Text),
        "[a-zA-Z0-9 ._%-]{0,8}".prop_map(Value::Text),
        proptest::collection::vec(any::<u8>(), 0..6).prop_map(Value::Blob),
        "[0-9.e-]{0,6}".prop_map(|s| Value::Blob(s.into_bytes())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    #[test]
    fn prop_pairs(a in arb_value(), b in arb_value()) {
        let mut fails = Vec::new();
        pair_checks(&a, &b, &mut fails);
        unary_checks(&a, &mut fails);
        prop_assert!(fails.is_empty(), "{}", fails.join("\n"));
    }

    #[test]
    fn prop_affinity(a in arb_value()) {
        let (fails, _) = affinity_check(std::slice::from_ref(&a));
        prop_assert!(fails.is_empty(), "{}", fails.join("\n"));
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20000, .. ProptestConfig::default() })]

    #[test]
    fn prop_real_text(bits in any::<u64>()) {
        let r = f64::from_bits(bits);
        prop_assume!(!r.is_nan());
        let v = Value::Real(r);
        let m = check("SELECT CAST(?1 AS TEXT)", std::slice::from_ref(&v), &Value::Text(v.to_text()));
        prop_assert!(m.is_none(), "{:?}", m);
    }
}
