//! Differential tests of the JSON functions against the bundled SQLite:
//! generated documents (nested, unicode, escapes, extreme numbers, JSON5,
//! malformed) and paths, comparing values, types and error messages.

use super::call_json;
use crate::value::Value;
use rusqlite::types::Value as SqlValue;
use std::cell::RefCell;

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

/// SQLite's result of `sql` (one row, one column) or its error message.
fn sqlite(sql: &str, params: &[Value]) -> Result<Value, String> {
    CONN.with(|c| {
        let mut c = c.borrow_mut();
        let conn = c.get_or_insert_with(|| rusqlite::Connection::open_in_memory().expect("open in-memory sqlite"));
        let msg = |e: rusqlite::Error| match e {
            rusqlite::Error::SqliteFailure(_, Some(m)) => m,
            rusqlite::Error::SqlInputError { msg, .. } => msg,
            other => other.to_string(),
        };
        let mut stmt = conn.prepare_cached(sql).map_err(msg)?;
        let ps: Vec<SqlValue> = params.iter().map(to_sql).collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(ps.iter())).map_err(msg)?;
        let row = rows.next().map_err(msg)?.ok_or_else(|| "no row".to_string())?;
        let r = row.get_ref(0).map_err(msg)?;
        Ok(match r {
            rusqlite::types::ValueRef::Null => Value::Null,
            rusqlite::types::ValueRef::Integer(i) => Value::Integer(i),
            rusqlite::types::ValueRef::Real(f) => Value::Real(f),
            rusqlite::types::ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            rusqlite::types::ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        })
    })
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Real(x), Value::Real(y)) => x.to_bits() == y.to_bits() || x == y,
        _ => a == b,
    }
}

/// Counts checks and collects mismatches.
#[derive(Default)]
struct Tally {
    checks: usize,
    bad: Vec<String>,
}

impl Tally {
    /// Compare `func(args)` (SQL text `sql` with ?N parameters) on both engines.
    fn check(&mut self, sql: &str, func: &str, args: &[Value], flags: &[bool]) {
        self.checks += 1;
        let theirs = sqlite(sql, args);
        let ours = match call_json(func, args, flags) {
            Some(r) => r.map(|(v, _)| v),
            None => Err(format!("no such function: {func}")),
        };
        let ok = match (&theirs, &ours) {
            (Ok(a), Ok(b)) => same(a, b),
            (Err(a), Err(b)) => a == b,
            _ => false,
        };
        if !ok && self.bad.len() < 40 {
            self.bad.push(format!("{sql} {args:?}\n   sqlite: {theirs:?}\n   ours:   {ours:?}"));
        }
    }

    fn finish(self, what: &str) {
        eprintln!("{what}: {} checks, {} mismatches", self.checks, self.bad.len());
        assert!(self.bad.is_empty(), "{what}: mismatches:\n{}", self.bad.join("\n"));
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const STRINGS: &[&str] = &[
    r#""""#,
    r#""abc""#,
    r#""a\"b""#,
    r#""tab\there""#,
    r#""\u0041\u00e9\ud83d\ude00""#,
    r#""\ud800x""#,
    r#""\/\\\b\f\n\r""#,
    r#""héllo wörld ✓ 😀""#,
    "'single'",
    r#"'it\'s'"#,
    r#"'has "dq"'"#,
    r#""\x41\v\0""#,
    "\"line\\\ncont\"",
    "\"raw\u{1}ctl\"",
    r#""\u0000nul""#,
    r#""a.b""#,
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-17",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "1.5",
    "-0.0",
    "1e10",
    "1E-10",
    "1.0e+300",
    "1e400",
    "-1e400",
    "4.9e-324",
    "2.5e-400",
    "0x1F",
    "-0xff",
    "0x7fffffffffffffff",
    "0x8000000000000000",
    "0xffffffffffffffffff",
    ".5",
    "5.",
    "-.5e3",
    "+7",
    "+.5",
    "1.e5",
    "Infinity",
    "-Infinity",
    "+inf",
    "NaN",
    "-NaN",
    "0.1",
    "3.141592653589793238",
];

const KEYS: &[&str] = &[
    r#""a""#,
    r#""b""#,
    r#""a b""#,
    r#""\u0061""#,
    r#""""#,
    r#""é""#,
    "c",
    "$id",
    "_x1",
    r#""a.b""#,
    r#""[0]""#,
    "'q'",
];

/// Generate a JSON (or JSON5) document.
fn gen_doc(r: &mut Rng, depth: usize) -> String {
    let k = if depth > 3 { r.below(5) } else { r.below(8) };
    match k {
        0 => r.pick(&["null", "true", "false"]).to_string(),
        1 | 2 => r.pick(NUMBERS).to_string(),
        3 | 4 => r.pick(STRINGS).to_string(),
        5 => {
            let n = r.below(5);
            let items: Vec<String> = (0..n).map(|_| gen_doc(r, depth + 1)).collect();
            let sep = r.pick(&[",", ", ", " ,\n"]);
            let trail = if n > 0 && r.below(8) == 0 { "," } else { "" };
            format!("[{}{trail}]", items.join(sep))
        }
        _ => {
            let n = r.below(5);
            let items: Vec<String> =
                (0..n).map(|_| format!("{}{}{}", r.pick(KEYS), r.pick(&[":", " : "]), gen_doc(r, depth + 1))).collect();
            let ws = r.pick(&["", " ", "\t", "/*c*/", "// x\n", "\u{a0}"]);
            format!("{{{ws}{}{ws}}}", items.join(","))
        }
    }
}

/// Damage a document to exercise error positions.
fn mutate(r: &mut Rng, doc: &str) -> String {
    let mut b: Vec<char> = doc.chars().collect();
    if b.is_empty() {
        return "x".into();
    }
    let at = r.below(b.len());
    match r.below(4) {
        0 => {
            b.remove(at);
        }
        1 => b.insert(
            at,
            r.pick(&["{", "]", ",", ":", "\"", "x", "\\", "\u{0}", "\n", "'"]).chars().next().unwrap_or('x'),
        ),
        2 => b.truncate(at),
        _ => b.push_str_compat(r.pick(&[" x", ",", "  ", "/*", "// c", "}"])),
    }
    b.into_iter().collect()
}

trait PushStr {
    fn push_str_compat(&mut self, s: &str);
}
impl PushStr for Vec<char> {
    fn push_str_compat(&mut self, s: &str) {
        self.extend(s.chars());
    }
}

/// Paths into a parsed document (all existing ones plus a few misses).
fn paths_of(n: &super::node::Node, prefix: String, out: &mut Vec<String>) {
    out.push(prefix.clone());
    if out.len() > 60 {
        return;
    }
    match n {
        super::node::Node::Array(items) => {
            for (i, it) in items.iter().enumerate() {
                paths_of(it, format!("{prefix}[{i}]"), out);
            }
            out.push(format!("{prefix}[#]"));
            out.push(format!("{prefix}[#-1]"));
            out.push(format!("{prefix}[{}]", items.len() + 1));
        }
        super::node::Node::Object(members) => {
            for (k, v) in members {
                if let Some((label, _)) = k.label() {
                    let p = if label.bytes().all(|c| c.is_ascii_alphanumeric()) && !label.is_empty() {
                        format!("{prefix}.{label}")
                    } else {
                        format!("{prefix}.\"{label}\"")
                    };
                    paths_of(v, p, out);
                }
            }
            out.push(format!("{prefix}.zz"));
        }
        _ => {}
    }
}

const BAD_PATHS: &[&str] =
    &["", "$.", "$[", "$[a]", "$[#-]", "$x", "a", "$.\"a", "$[0", "$[-1]", "$..a", "$.a[#-9]", "$ .a", "$[1]]"];

fn docs(seed: u64, n: usize) -> Vec<String> {
    let mut r = Rng(seed);
    let mut out: Vec<String> = Vec::new();
    for s in STRINGS.iter().chain(NUMBERS).chain(&["", " ", "[]", "{}", "[[[[]]]]", "{\"a\":{\"a\":1},\"a\":2}"]) {
        out.push(s.to_string());
    }
    for _ in 0..n {
        let d = gen_doc(&mut r, 0);
        if r.below(4) == 0 {
            out.push(mutate(&mut r, &d));
        }
        out.push(d);
    }
    out
}

fn t(s: &str) -> Value {
    Value::Text(s.to_string())
}

#[test]
fn documents_render_validate_and_report_errors() {
    let mut tl = Tally::default();
    for d in docs(0x1234_5678, 1500) {
        let a = [t(&d)];
        tl.check("SELECT json(?1)", "json", &a, &[]);
        tl.check("SELECT json_valid(?1)", "json_valid", &a, &[]);
        for f in [1, 2, 3, 4, 8] {
            tl.check("SELECT json_valid(?1, ?2)", "json_valid", &[t(&d), Value::Integer(f)], &[]);
        }
        tl.check("SELECT json_error_position(?1)", "json_error_position", &a, &[]);
        tl.check("SELECT json_type(?1)", "json_type", &a, &[]);
        tl.check("SELECT json_array_length(?1)", "json_array_length", &a, &[]);
        tl.check("SELECT json_pretty(?1)", "json_pretty", &a, &[]);
        tl.check("SELECT json_pretty(?1, ?2)", "json_pretty", &[t(&d), t("\t")], &[]);
        tl.check("SELECT json_quote(?1)", "json_quote", &a, &[]);
    }
    // Deep nesting around the depth limit.
    for n in [999usize, 1000, 1001] {
        let d = format!("{}{}", "[".repeat(n), "]".repeat(n));
        tl.check("SELECT json(?1)", "json", &[t(&d)], &[]);
        tl.check("SELECT json_error_position(?1)", "json_error_position", &[t(&d)], &[]);
    }
    tl.finish("documents");
}

#[test]
fn paths_extract_and_edit() {
    let mut tl = Tally::default();
    let values = [
        Value::Null,
        Value::Integer(-5),
        Value::Real(2.5),
        Value::Real(1e300 * 10.0),
        t("x\"y"),
        Value::Blob(vec![0xff, 0xfe]),
    ];
    let mut r = Rng(99);
    for d in docs(0xfeed_beef, 600) {
        let Ok(parsed) = super::node::parse(&d) else {
            tl.check("SELECT json_extract(?1, ?2)", "json_extract", &[t(&d), t("$")], &[]);
            continue;
        };
        let mut paths = Vec::new();
        paths_of(&parsed.node, "$".to_string(), &mut paths);
        paths.extend(BAD_PATHS.iter().map(|p| p.to_string()));
        for p in &paths {
            let a = [t(&d), t(p)];
            tl.check("SELECT json_extract(?1, ?2)", "json_extract", &a, &[]);
            tl.check("SELECT ?1 -> ?2", "->", &a, &[]);
            tl.check("SELECT ?1 ->> ?2", "->>", &a, &[]);
            tl.check("SELECT json_type(?1, ?2)", "json_type", &a, &[]);
            tl.check("SELECT json_array_length(?1, ?2)", "json_array_length", &a, &[]);
            tl.check("SELECT json_remove(?1, ?2)", "json_remove", &a, &[]);
            let v = values[r.below(values.len())].clone();
            let a3 = [t(&d), t(p), v];
            tl.check("SELECT json_set(?1, ?2, ?3)", "json_set", &a3, &[]);
            tl.check("SELECT json_insert(?1, ?2, ?3)", "json_insert", &a3, &[]);
            tl.check("SELECT json_replace(?1, ?2, ?3)", "json_replace", &a3, &[]);
            tl.check("SELECT json_array_insert(?1, ?2, ?3)", "json_array_insert", &a3, &[]);
            // New members below a missing one create substructure.
            let deep = t(&format!("{p}.new[0].x"));
            tl.check("SELECT json_set(?1, ?2, ?3)", "json_set", &[t(&d), deep, Value::Integer(1)], &[]);
            let deep_arr = [t(&d), t(&format!("{p}.new[0]")), Value::Integer(1)];
            tl.check("SELECT json_array_insert(?1, ?2, ?3)", "json_array_insert", &deep_arr, &[]);
        }
        if paths.len() > 2 {
            let a = [t(&d), t(&paths[1]), t(&paths[paths.len() - 1]), t("$.zz")];
            tl.check("SELECT json_extract(?1, ?2, ?3, ?4)", "json_extract", &a, &[]);
            tl.check("SELECT json_remove(?1, ?2, ?3, ?4)", "json_remove", &a, &[]);
        }
        // Abbreviated paths of -> and ->>.
        for p in [t("a"), t("c"), Value::Integer(0), Value::Integer(-1), Value::Integer(5), t("[0]"), t("a b"), t("é")]
        {
            let a = [t(&d), p];
            tl.check("SELECT ?1 -> ?2", "->", &a, &[]);
            tl.check("SELECT ?1 ->> ?2", "->>", &a, &[]);
        }
    }
    tl.finish("paths");
}

#[test]
fn builders_and_patch() {
    let mut tl = Tally::default();
    let pool = [
        Value::Null,
        Value::Integer(0),
        Value::Integer(i64::MIN),
        Value::Real(0.1),
        Value::Real(-1e-7),
        Value::Real(1e20),
        Value::Real(f64::INFINITY),
        Value::Real(f64::NEG_INFINITY),
        Value::Real(123456789.0),
        t(""),
        t("q\"uo\\te\u{1}\u{1f}\t'"),
        t("ünï ✓ 😀"),
        t("[1,2]"),
        Value::Blob(vec![0xff, 0x7d]),
    ];
    for a in &pool {
        tl.check("SELECT json_quote(?1)", "json_quote", std::slice::from_ref(a), &[]);
        for b in &pool {
            tl.check("SELECT json_array(?1, ?2)", "json_array", &[a.clone(), b.clone()], &[]);
            tl.check("SELECT json_object(?1, ?2)", "json_object", &[a.clone(), b.clone()], &[]);
        }
    }
    tl.check("SELECT json_object(?1)", "json_object", &[t("a")], &[]);
    tl.check("SELECT json_array()", "json_array", &[], &[]);
    tl.check("SELECT json_object()", "json_object", &[], &[]);
    let ds = docs(0xabcdef, 300);
    let mut r = Rng(7);
    for _ in 0..1500 {
        let x = &ds[r.below(ds.len())];
        let y = &ds[r.below(ds.len())];
        tl.check("SELECT json_patch(?1, ?2)", "json_patch", &[t(x), t(y)], &[]);
    }
    for (x, y) in [
        (r#"{"a":1,"b":{"c":2}}"#, r#"{"a":null,"b":{"d":3,"c":null},"e":{"f":null,"g":[1]}}"#),
        (r#"{"a":1,"a":2}"#, r#"{"a":null}"#),
        (r#"[1]"#, r#"{"x":1,"x":{"y":2}}"#),
        (r#"{"\u0061":1}"#, r#"{"a":5}"#),
    ] {
        tl.check("SELECT json_patch(?1, ?2)", "json_patch", &[t(x), t(y)], &[]);
    }
    tl.finish("builders");
}

/// All rows of `sql` in SQLite, or its error message.
fn sqlite_rows(sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, String> {
    CONN.with(|c| {
        let mut c = c.borrow_mut();
        let conn = c.get_or_insert_with(|| rusqlite::Connection::open_in_memory().expect("open in-memory sqlite"));
        let msg = |e: rusqlite::Error| match e {
            rusqlite::Error::SqliteFailure(_, Some(m)) => m,
            other => other.to_string(),
        };
        let mut stmt = conn.prepare_cached(sql).map_err(msg)?;
        let n = stmt.column_count();
        let ps: Vec<SqlValue> = params.iter().map(to_sql).collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(ps.iter())).map_err(msg)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(msg)? {
            let mut r = Vec::with_capacity(n);
            for i in 0..n {
                r.push(match row.get_ref(i).map_err(msg)? {
                    rusqlite::types::ValueRef::Null => Value::Null,
                    rusqlite::types::ValueRef::Integer(i) => Value::Integer(i),
                    rusqlite::types::ValueRef::Real(f) => Value::Real(f),
                    rusqlite::types::ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    rusqlite::types::ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            out.push(r);
        }
        Ok(out)
    })
}

#[test]
fn json_each_and_tree_rows() {
    let mut checks = 0usize;
    let mut bad = Vec::new();
    for d in docs(0x5eed, 700) {
        let mut roots = vec![None];
        if let Ok(p) = super::node::parse(&d) {
            let mut paths = Vec::new();
            paths_of(&p.node, "$".to_string(), &mut paths);
            roots.extend(paths.into_iter().take(12).map(Some));
            roots.push(Some("$[".into()));
            roots.push(Some("x".into()));
        }
        for root in roots {
            for tree in [false, true] {
                let f = if tree { "json_tree" } else { "json_each" };
                let mut args = vec![t(&d)];
                let sql = match &root {
                    None => {
                        format!("SELECT key, value, type, atom, id, parent, fullkey, path, json, root FROM {f}(?1)")
                    }
                    Some(r) => {
                        args.push(t(r));
                        format!("SELECT key, value, type, atom, id, parent, fullkey, path, json, root FROM {f}(?1, ?2)")
                    }
                };
                checks += 1;
                let theirs = sqlite_rows(&sql, &args);
                let ours = super::each::rows(&args, tree, false);
                let ok = match (&theirs, &ours) {
                    (Ok(a), Ok(b)) => {
                        a.len() == b.len()
                            && a.iter()
                                .zip(b)
                                .all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)))
                    }
                    (Err(a), Err(b)) => a == b,
                    _ => false,
                };
                if !ok && bad.len() < 10 {
                    bad.push(format!("{sql} {args:?}\n   sqlite: {theirs:?}\n   ours:   {ours:?}"));
                }
            }
        }
    }
    eprintln!("json_each/json_tree: {checks} checks, {} mismatches", bad.len());
    assert!(bad.is_empty(), "mismatches:\n{}", bad.join("\n"));
}

#[test]
fn sql_values_as_arguments() {
    let mut tl = Tally::default();
    let pool = [
        Value::Null,
        Value::Integer(42),
        Value::Integer(-9223372036854775808),
        Value::Real(1.5),
        Value::Real(-0.0),
        Value::Real(1e-7),
        Value::Real(1e300),
        Value::Real(f64::INFINITY),
        Value::Real(0.1 + 0.2),
        t("[1, 2]"),
        t("a\u{0}b"),
        t("[1]\u{0}junk"),
        t("\u{0}"),
        t("{\"a\":\"\u{7f}\u{80}\u{2028}\"}"),
        Value::Blob(b"[1,2]".to_vec()),
        Value::Blob(vec![0xff, 0xfe, 0xfd]),
    ];
    for v in &pool {
        let a = std::slice::from_ref(v);
        tl.check("SELECT json(?1)", "json", a, &[]);
        tl.check("SELECT json_valid(?1)", "json_valid", a, &[]);
        tl.check("SELECT json_type(?1)", "json_type", a, &[]);
        tl.check("SELECT json_error_position(?1)", "json_error_position", a, &[]);
        tl.check("SELECT json_quote(?1)", "json_quote", a, &[]);
        tl.check("SELECT json_extract(?1, ?2)", "json_extract", &[v.clone(), t("$")], &[]);
        tl.check("SELECT json_set(?1, ?2, ?3)", "json_set", &[t("[]"), t("$[0]"), v.clone()], &[]);
        tl.check("SELECT json_insert(?1, ?2, ?3)", "json_insert", &[t("{}"), t("$.a"), v.clone()], &[]);
        tl.check("SELECT json_extract(?1, ?2)", "json_extract", &[t("[1]"), v.clone()], &[]);
        tl.check("SELECT ?1 -> ?2", "->", &[t("[7]"), v.clone()], &[]);
        tl.check("SELECT json_pretty(?1, ?2)", "json_pretty", &[t("[1,{\"a\":[]}]"), v.clone()], &[]);
        tl.check("SELECT json_valid(?1, ?2)", "json_valid", &[t("[1]"), v.clone()], &[]);
        tl.check("SELECT json_object(?1, ?2)", "json_object", &[v.clone(), Value::Integer(1)], &[]);
    }
    tl.finish("sql values");
}

#[test]
fn random_text_fuzz() {
    let mut tl = Tally::default();
    let mut r = Rng(0xdead_beef);
    let alphabet: Vec<&str> = vec![
        "{", "}", "[", "]", ",", ":", "\"", "'", "\\", "u", "0", "1", "9", "-", "+", ".", "e", "x", "a", "n", "t", "f",
        "l", "I", "N", " ", "\t", "\n", "\r", "/", "*", "\u{a0}", "\u{2028}", "\u{feff}", "é", "\u{1}", "\u{0}",
        "true", "null", "Infinity", "NaN", "0x", "\\u00", "//", "/*", "*/", "\u{b}", "\u{c}",
    ];
    for _ in 0..20000 {
        let n = r.below(12);
        let s: String = (0..n).map(|_| alphabet[r.below(alphabet.len())]).collect();
        let a = [t(&s)];
        tl.check("SELECT json(?1)", "json", &a, &[]);
        tl.check("SELECT json_error_position(?1)", "json_error_position", &a, &[]);
        tl.check("SELECT json_valid(?1, ?2)", "json_valid", &[t(&s), Value::Integer(3)], &[]);
        tl.check(
            "SELECT json_extract(?1, ?2)",
            "json_extract",
            &[t("{\"a\":[1,{\"b\":2}],\"\":3}"), t(&format!("${s}"))],
            &[],
        );
    }
    tl.finish("fuzz");
}

#[test]
fn jsonb_blob_arguments() {
    let mut tl = Tally::default();
    let mut r = Rng(0x0b1b);
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    for d in docs(0x1b1b, 400) {
        if let Ok(Value::Blob(b)) = sqlite("SELECT jsonb(?1)", &[t(&d)]) {
            // Damaged copies: a flipped byte, a truncation, an extension.
            let mut flipped = b.clone();
            if let Some(x) = flipped.get_mut(r.below(b.len())) {
                *x ^= 1 << r.below(8);
            }
            let mut cut = b.clone();
            cut.truncate(r.below(b.len()));
            let mut longer = b.clone();
            longer.push(0);
            blobs.extend([b, flipped, cut, longer]);
        }
    }
    for small in [vec![0x00], vec![0x01], vec![0x13, b'7'], vec![b'['], vec![0x0b], vec![0x0c], vec![0x1c, 0x17, b'a']]
    {
        blobs.push(small);
    }
    let mut corrupt = 0;
    for b in &blobs {
        let v = Value::Blob(b.clone());
        // Corrupt JSONB that passes the quick test is decoded lazily by
        // SQLite and rejected up front here (a documented difference).
        let strict = sqlite("SELECT json_valid(?1, 8)", std::slice::from_ref(&v));
        let quick = sqlite("SELECT json_valid(?1, 4)", std::slice::from_ref(&v));
        if quick == Ok(Value::Integer(1)) && strict == Ok(Value::Integer(0)) {
            corrupt += 1;
            tl.check("SELECT json_valid(?1, ?2)", "json_valid", &[v.clone(), Value::Integer(8)], &[]);
            tl.check("SELECT json_error_position(?1)", "json_error_position", std::slice::from_ref(&v), &[]);
            continue;
        }
        let a = std::slice::from_ref(&v);
        tl.check("SELECT json(?1)", "json", a, &[]);
        tl.check("SELECT json_type(?1)", "json_type", a, &[]);
        tl.check("SELECT json_error_position(?1)", "json_error_position", a, &[]);
        tl.check("SELECT json_array(?1)", "json_array", a, &[]);
        tl.check("SELECT json_quote(?1)", "json_quote", a, &[]);
        tl.check("SELECT json_array_length(?1)", "json_array_length", a, &[]);
        for f in [1, 2, 3, 4, 5, 8, 12, 15] {
            tl.check("SELECT json_valid(?1, ?2)", "json_valid", &[v.clone(), Value::Integer(f)], &[]);
        }
        tl.check("SELECT json_set(?1, ?2, ?3)", "json_set", &[t("{}"), t("$.x"), v.clone()], &[]);
        tl.check("SELECT json_extract(?1, ?2)", "json_extract", &[v.clone(), t("$[0]")], &[]);
        tl.check("SELECT ?1 ->> ?2", "->>", &[v.clone(), t("a")], &[]);
        let rows =
            sqlite_rows("SELECT key, value, type, atom, id, parent, fullkey, path, json, root FROM json_tree(?1)", a);
        let ours = super::each::rows(a, true, false);
        tl.checks += 1;
        let same_rows = match (&rows, &ours) {
            (Ok(x), Ok(y)) => x == y,
            (Err(x), Err(y)) => x == y,
            _ => false,
        };
        if !same_rows && tl.bad.len() < 40 {
            tl.bad.push(format!("json_tree({b:?})\n   sqlite: {rows:?}\n   ours:   {ours:?}"));
        }
    }
    eprintln!("jsonb: {} blobs, {corrupt} corrupt", blobs.len());
    tl.finish("jsonb");
}

#[test]
fn jsonb_twins() {
    let mut tl = Tally::default();
    let mut r = Rng(0x7717);
    let values = [Value::Null, Value::Integer(7), Value::Real(-2.5e-8), t("q\"\u{1}"), Value::Blob(vec![0x13, b'5'])];
    let mut rows_checked = 0usize;
    for d in docs(0x7777, 250) {
        let Ok(parsed) = super::node::parse(&d) else {
            tl.check("SELECT jsonb(?1)", "jsonb", &[t(&d)], &[]);
            continue;
        };
        let jb = match sqlite("SELECT jsonb(?1)", &[t(&d)]) {
            Ok(v) => v,
            Err(e) => panic!("jsonb({d:?}): {e}"),
        };
        for doc in [t(&d), jb.clone()] {
            tl.check("SELECT jsonb(?1)", "jsonb", std::slice::from_ref(&doc), &[]);
            tl.check("SELECT json(?1)", "json", std::slice::from_ref(&doc), &[]);
            tl.check("SELECT jsonb_array(?1, ?2)", "jsonb_array", &[doc.clone(), t("x")], &[]);
            tl.check("SELECT jsonb_object(?1, ?2)", "jsonb_object", &[t("k"), doc.clone()], &[]);
            tl.check("SELECT json_patch(?1, ?2)", "json_patch", &[doc.clone(), t("{\"a\":null,\"n\":{\"m\":1}}")], &[]);
            let mut paths = Vec::new();
            paths_of(&parsed.node, "$".to_string(), &mut paths);
            for p in paths.iter().take(15) {
                let v = values[r.below(values.len())].clone();
                tl.check("SELECT jsonb_extract(?1, ?2)", "jsonb_extract", &[doc.clone(), t(p)], &[]);
                tl.check("SELECT jsonb_extract(?1, ?2, ?3)", "jsonb_extract", &[doc.clone(), t(p), t("$")], &[]);
                tl.check("SELECT jsonb_remove(?1, ?2)", "jsonb_remove", &[doc.clone(), t(p)], &[]);
                for f in ["jsonb_insert", "jsonb_array_insert"] {
                    let sql = format!("SELECT {f}(?1, ?2, ?3)");
                    tl.check(&sql, f, &[doc.clone(), t(p), v.clone()], &[]);
                }
                // Replacing in place, SQLite may widen the new element's
                // header to keep the BLOB size (a documented difference):
                // compare these as JSON text.
                for f in ["jsonb_set", "jsonb_replace"] {
                    let sql = format!("SELECT json({f}(?1, ?2, ?3))");
                    let args = [doc.clone(), t(p), v.clone()];
                    tl.checks += 1;
                    let theirs = sqlite(&sql, &args);
                    let ours = call_json(f, &args, &[])
                        .unwrap_or(Err("no function".into()))
                        .and_then(|(x, _)| call_json("json", &[x], &[]).unwrap_or(Err("no function".into())))
                        .map(|(x, _)| x);
                    if theirs != ours && tl.bad.len() < 40 {
                        tl.bad.push(format!("{sql} {args:?}\n   sqlite: {theirs:?}\n   ours:   {ours:?}"));
                    }
                }
            }
            for tree in [false, true] {
                let f = if tree { "jsonb_tree" } else { "jsonb_each" };
                let sql = format!("SELECT key, value, type, atom, id, parent, fullkey, path, json, root FROM {f}(?1)");
                let a = std::slice::from_ref(&doc);
                let theirs = sqlite_rows(&sql, a);
                let ours = super::each::rows(a, tree, true);
                rows_checked += 1;
                tl.checks += 1;
                if theirs != ours && tl.bad.len() < 40 {
                    tl.bad.push(format!("{f}({doc:?})\n   sqlite: {theirs:?}\n   ours:   {ours:?}"));
                }
            }
        }
    }
    eprintln!("jsonb twins: {rows_checked} jsonb_each/jsonb_tree row sets");
    tl.finish("jsonb twins");
}

#[test]
fn deep_documents_on_small_threads() {
    // 1000 levels (SQLite's limit) must not overflow a small thread's stack:
    // deeply nested arguments are handled on a thread with a large stack.
    let r = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let d = format!("{}0{}", "[{\"a\":".repeat(500), "}]".repeat(500));
            let doc = [t(&d)];
            let j = call_json("json", &doc, &[]).and_then(Result::ok).map(|(v, _)| v);
            let b = call_json("jsonb", &doc, &[]).and_then(Result::ok).map(|(v, _)| v);
            let set = call_json("json_set", &[t(&d), t("$[0].a[0].a"), t("x")], &[]).and_then(Result::ok);
            let pretty = call_json("json_pretty", &doc, &[]).and_then(Result::ok);
            let rows = super::each::rows(&doc, true, false).map(|r| r.len());
            let from_blob =
                b.as_ref().and_then(|b| call_json("json", std::slice::from_ref(b), &[])).and_then(Result::ok);
            (j, set.is_some(), pretty.is_some(), rows, from_blob.map(|(v, _)| v))
        })
        .and_then(|h| h.join().map_err(|_| std::io::Error::other("thread failed")));
    let (j, set, pretty, rows, from_blob) = r.expect("deep JSON on a small thread");
    assert_eq!(j, Some(t(&format!("{}0{}", "[{\"a\":".repeat(500), "}]".repeat(500)))));
    assert!(set && pretty);
    assert_eq!(rows, Ok(1001));
    assert_eq!(from_blob, j);
}
