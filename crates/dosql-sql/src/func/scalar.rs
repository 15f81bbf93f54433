//! Core scalar functions: string, blob, numeric and NULL-handling functions.
//!
//! `random()` and `randomblob()` use an internal SplitMix64 generator seeded
//! once per process from the system clock (and the process id); it is not
//! cryptographically secure, matching the intent (not the stream) of SQLite.

use crate::func::num::{FloatKind, FloatSpec, atof, format_float};
use crate::value::{self, Collation, Value};
use std::cmp::Ordering;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

/// SQLite's default `SQLITE_LIMIT_LENGTH`.
pub const MAX_LENGTH: i64 = 1_000_000_000;

/// Error text for results exceeding [`MAX_LENGTH`].
pub const TOO_BIG: &str = "string or blob too big";

/// Dispatch for the functions of this module (`None` if not one of them).
pub(crate) fn call(name: &str, a: &[Value]) -> Option<Result<Value, String>> {
    Some(match name {
        "abs" => abs(&a[0]),
        "char" => Ok(char_func(a)),
        "coalesce" | "ifnull" => Ok(a.iter().find(|v| !v.is_null()).cloned().unwrap_or(Value::Null)),
        "iif" | "if" => Ok(iif(a)),
        "instr" => Ok(instr(&a[0], &a[1])),
        "length" => Ok(length(&a[0])),
        "octet_length" => Ok(octet_length(&a[0])),
        "likely" | "unlikely" => Ok(a[0].clone()),
        "likelihood" => likelihood(a),
        "lower" => Ok(map_text(&a[0], |b| b.to_ascii_lowercase())),
        "upper" => Ok(map_text(&a[0], |b| b.to_ascii_uppercase())),
        "ltrim" => Ok(trim(a, true, false)),
        "rtrim" => Ok(trim(a, false, true)),
        "trim" => Ok(trim(a, true, true)),
        "max" => Ok(min_max(a, true, Collation::Binary)),
        "min" => Ok(min_max(a, false, Collation::Binary)),
        "nullif" => Ok(nullif(&a[0], &a[1], Collation::Binary)),
        "quote" => Ok(Value::Text(a[0].sql_quote())),
        "replace" => Ok(replace(&a[0], &a[1], &a[2])),
        "round" => Ok(round(a)),
        "sign" => Ok(sign(&a[0])),
        "substr" | "substring" => Ok(substr(a)),
        "typeof" => Ok(Value::Text(a[0].type_name().to_string())),
        "unicode" => Ok(unicode(&a[0])),
        "hex" => Ok(hex(&a[0])),
        "unhex" => Ok(unhex(a)),
        "zeroblob" => zeroblob(&a[0]),
        "randomblob" => randomblob(&a[0]),
        "random" => Ok(Value::Integer(random_i64())),
        "soundex" => Ok(soundex(&a[0])),
        "concat" => Ok(concat_ws(None, a)),
        "concat_ws" => Ok(if a[0].is_null() { Value::Null } else { concat_ws(Some(&a[0].to_text_bytes()), &a[1..]) }),
        _ => return None,
    })
}

/// Text from bytes produced by a text function (lossy for invalid UTF-8).
pub(crate) fn text_from_bytes(b: Vec<u8>) -> Value {
    match String::from_utf8(b) {
        Ok(s) => Value::Text(s),
        Err(e) => Value::Text(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// The text of a value as `sqlite3_value_text` sees it, truncated at the first NUL
/// (`None` for NULL).
pub(crate) fn c_text(v: &Value) -> Option<String> {
    if v.is_null() {
        return None;
    }
    let t = v.to_text();
    Some(match t.find('\0') {
        Some(i) => t[..i].to_string(),
        None => t,
    })
}

/// `abs(X)`.
pub fn abs(v: &Value) -> Result<Value, String> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Integer(i64::MIN) => Err("integer overflow".to_string()),
        Value::Integer(i) => Ok(Value::Integer(i.abs())),
        v => Ok(Value::Real(v.to_f64().abs())),
    }
}

/// `char(X1, X2, ...)`: text from Unicode code points.
pub fn char_func(args: &[Value]) -> Value {
    let mut out = Vec::new();
    for a in args {
        let mut x = a.to_i64();
        if !(0..=0x10ffff).contains(&x) {
            x = 0xfffd;
        }
        let c = x as u32;
        if c < 0x80 {
            out.push(c as u8);
        } else if c < 0x800 {
            out.extend_from_slice(&[0xc0 | (c >> 6) as u8, 0x80 | (c & 0x3f) as u8]);
        } else if c < 0x10000 {
            out.extend_from_slice(&[0xe0 | (c >> 12) as u8, 0x80 | ((c >> 6) & 0x3f) as u8, 0x80 | (c & 0x3f) as u8]);
        } else {
            out.extend_from_slice(&[
                0xf0 | (c >> 18) as u8,
                0x80 | ((c >> 12) & 0x3f) as u8,
                0x80 | ((c >> 6) & 0x3f) as u8,
                0x80 | (c & 0x3f) as u8,
            ]);
        }
    }
    text_from_bytes(out)
}

/// `iif(B1, V1, [B2, V2, ...,] [ELSE])`.
pub fn iif(args: &[Value]) -> Value {
    let mut i = 0;
    while i + 1 < args.len() {
        if value::is_true(&args[i]) == Some(true) {
            return args[i + 1].clone();
        }
        i += 2;
    }
    if i < args.len() { args[i].clone() } else { Value::Null }
}

/// `instr(X, Y)`: 1-based position of Y in X (characters for text, bytes for blobs).
pub fn instr(h: &Value, n: &Value) -> Value {
    if h.is_null() || n.is_null() {
        return Value::Null;
    }
    if let (Value::Blob(hb), Value::Blob(nb)) = (h, n) {
        if nb.is_empty() {
            return Value::Integer(1);
        }
        return Value::Integer(hb.windows(nb.len()).position(|w| w == nb.as_slice()).map_or(0, |p| p as i64 + 1));
    }
    let (hs, ns) = (h.to_text(), n.to_text());
    if ns.is_empty() {
        return Value::Integer(1);
    }
    match hs.find(&ns) {
        Some(p) => Value::Integer(hs[..p].chars().count() as i64 + 1),
        None => Value::Integer(0),
    }
}

/// `length(X)`: characters (up to the first NUL) for text, bytes for blobs.
pub fn length(v: &Value) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Blob(b) => Value::Integer(b.len() as i64),
        Value::Text(s) => Value::Integer(s.chars().take_while(|&c| c != '\0').count() as i64),
        v => Value::Integer(v.to_text().len() as i64),
    }
}

/// `octet_length(X)`: bytes of the text or blob representation.
pub fn octet_length(v: &Value) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Blob(b) => Value::Integer(b.len() as i64),
        v => Value::Integer(v.to_text().len() as i64),
    }
}

fn likelihood(a: &[Value]) -> Result<Value, String> {
    let ok = match &a[1] {
        Value::Real(r) => (0.0..=1.0).contains(r),
        Value::Integer(i) => (0..=1).contains(i),
        _ => false,
    };
    if ok {
        Ok(a[0].clone())
    } else {
        Err("second argument to likelihood() must be a constant between 0.0 and 1.0".to_string())
    }
}

/// Byte-wise ASCII mapping used by `lower()` / `upper()` (NULL stays NULL).
fn map_text(v: &Value, f: impl Fn(u8) -> u8) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    text_from_bytes(v.to_text_bytes().into_iter().map(f).collect())
}

/// `ltrim` / `rtrim` / `trim` with an optional character set (default: space).
pub fn trim(a: &[Value], left: bool, right: bool) -> Value {
    if a[0].is_null() {
        return Value::Null;
    }
    let set: Vec<char> = if a.len() == 2 {
        match c_text(&a[1]) {
            None => return Value::Null,
            Some(s) => s.chars().collect(),
        }
    } else {
        vec![' ']
    };
    let s = a[0].to_text();
    let mut t: &str = &s;
    if !set.is_empty() {
        if left {
            t = t.trim_start_matches(|c: char| set.contains(&c));
        }
        if right {
            t = t.trim_end_matches(|c: char| set.contains(&c));
        }
    }
    Value::Text(t.to_string())
}

/// Scalar `min(...)` / `max(...)`: NULL if any argument is NULL; ties keep
/// the first argument for max and the last for min, as SQLite does.
pub fn min_max(a: &[Value], is_max: bool, coll: Collation) -> Value {
    if a.iter().any(Value::is_null) {
        return Value::Null;
    }
    let mut best = 0;
    for i in 1..a.len() {
        let c = value::compare(&a[best], &a[i], coll);
        let take = if is_max { c == Ordering::Less } else { c != Ordering::Less };
        if take {
            best = i;
        }
    }
    a.get(best).cloned().unwrap_or(Value::Null)
}

/// `nullif(X, Y)`.
pub fn nullif(x: &Value, y: &Value, coll: Collation) -> Value {
    if value::compare(x, y, coll) != Ordering::Equal { x.clone() } else { Value::Null }
}

/// `replace(X, Y, Z)`.
pub fn replace(x: &Value, y: &Value, z: &Value) -> Value {
    if x.is_null() || y.is_null() {
        return Value::Null;
    }
    let xs = x.to_text_bytes();
    let ys = y.to_text_bytes();
    if ys.first().is_none_or(|&b| b == 0) {
        return text_from_bytes(xs);
    }
    if z.is_null() {
        return Value::Null;
    }
    let zs = z.to_text_bytes();
    let mut out = Vec::with_capacity(xs.len());
    let mut i = 0;
    while i < xs.len() {
        if xs[i..].starts_with(&ys) {
            out.extend_from_slice(&zs);
            i += ys.len();
        } else {
            out.push(xs[i]);
            i += 1;
        }
    }
    text_from_bytes(out)
}

/// `round(X [, N])` with SQLite's algorithm (always returns REAL).
pub fn round(a: &[Value]) -> Value {
    let mut n: i64 = 0;
    if a.len() == 2 {
        if a[1].is_null() {
            return Value::Null;
        }
        n = a[1].to_i64().clamp(0, 30);
    }
    if a[0].is_null() {
        return Value::Null;
    }
    let mut r = a[0].to_f64();
    if !(-4503599627370496.0..=4503599627370496.0).contains(&r) {
        // no fractional part
    } else if n == 0 {
        r = ((r + if r < 0.0 { -0.5 } else { 0.5 }) as i64) as f64;
    } else {
        let mut spec = FloatSpec::new(FloatKind::Fixed);
        spec.precision = Some(n as usize);
        spec.alt2 = true;
        r = atof(format_float(r, &spec).0.as_bytes()).value;
    }
    Value::real(r)
}

/// `sign(X)`: -1, 0 or +1 for numeric values, NULL otherwise.
pub fn sign(v: &Value) -> Value {
    match value::numeric_value(v) {
        None => Value::Null,
        Some(n) => {
            let x = n.to_f64();
            Value::Integer(if x < 0.0 {
                -1
            } else if x > 0.0 {
                1
            } else {
                0
            })
        }
    }
}

/// `substr(X, Y [, Z])` with SQLite's 1-based / negative index semantics.
pub fn substr(a: &[Value]) -> Value {
    let p1_raw = a[1].to_i64();
    let is_blob = matches!(a[0], Value::Blob(_));
    let chars: Vec<char>;
    let bytes: &[u8];
    let len: i64;
    match &a[0] {
        Value::Null => return Value::Null,
        Value::Blob(b) if b.is_empty() => return Value::Null,
        Value::Blob(b) => {
            bytes = b;
            chars = Vec::new();
            len = b.len() as i64;
        }
        v => {
            bytes = &[];
            chars = v.to_text().chars().take_while(|&c| c != '\0').collect();
            len = chars.len() as i64;
        }
    }
    let mut p2 = if a.len() == 3 {
        if a[2].is_null() {
            return Value::Null;
        }
        a[2].to_i64()
    } else {
        i64::MAX
    };
    let mut p1 = p1_raw;
    if p1 == 0 && a[1].is_null() {
        return Value::Null;
    }
    if p1 < 0 {
        p1 += len;
        if p1 < 0 {
            p2 = if p2 < 0 { 0 } else { p2.saturating_add(p1) };
            p1 = 0;
        }
    } else if p1 > 0 {
        p1 -= 1;
    } else if p2 > 0 {
        p2 -= 1;
    }
    if p2 < 0 {
        if p2 < -p1 {
            p2 = p1;
        } else {
            p2 = -p2;
        }
        p1 -= p2;
    }
    let start = p1.clamp(0, len) as usize;
    let end = (p1.saturating_add(p2)).clamp(0, len) as usize;
    let end = end.max(start);
    if is_blob { Value::Blob(bytes[start..end].to_vec()) } else { Value::Text(chars[start..end].iter().collect()) }
}

/// `unicode(X)`: code point of the first character, NULL for empty/NULL.
pub fn unicode(v: &Value) -> Value {
    match c_text(v).and_then(|s| s.chars().next()) {
        Some(c) => Value::Integer(i64::from(u32::from(c))),
        None => Value::Null,
    }
}

/// `hex(X)`: upper-case hex of the blob / text bytes (NULL gives '').
pub fn hex(v: &Value) -> Value {
    let bytes = if v.is_null() { Vec::new() } else { v.to_text_bytes() };
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02X}"));
    }
    Value::Text(s)
}

/// `unhex(X [, Y])`: decode hex, skipping characters of Y between byte pairs.
pub fn unhex(a: &[Value]) -> Value {
    let Some(h) = c_text(&a[0]) else { return Value::Null };
    let pass: Vec<char> = if a.len() == 2 {
        match c_text(&a[1]) {
            None => return Value::Null,
            Some(s) => s.chars().collect(),
        }
    } else {
        Vec::new()
    };
    let hv = |c: char| c.to_digit(16).map(|d| d as u8);
    let mut out = Vec::new();
    let mut it = h.chars().peekable();
    while let Some(&c) = it.peek() {
        if hv(c).is_none() {
            if !pass.contains(&c) {
                return Value::Null;
            }
            it.next();
            continue;
        }
        it.next();
        let hi = hv(c).unwrap_or(0);
        match it.next().and_then(hv) {
            Some(lo) => out.push((hi << 4) | lo),
            None => return Value::Null,
        }
    }
    Value::Blob(out)
}

/// `zeroblob(N)`.
pub fn zeroblob(v: &Value) -> Result<Value, String> {
    let n = v.to_i64().max(0);
    if n > MAX_LENGTH {
        return Err(TOO_BIG.to_string());
    }
    Ok(Value::Blob(vec![0; n as usize]))
}

fn next_random() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        t ^ (u64::from(std::process::id()) << 32)
    });
    let k = COUNTER.fetch_add(1, AtomicOrdering::Relaxed);
    let mut z = seed.wrapping_add(k.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `random()`: a pseudo-random i64 (never i64::MIN, as in SQLite).
pub fn random_i64() -> i64 {
    let r = next_random() as i64;
    if r < 0 { -(r & i64::MAX) } else { r }
}

/// `randomblob(N)`: N pseudo-random bytes (at least 1).
pub fn randomblob(v: &Value) -> Result<Value, String> {
    let n = v.to_i64().max(1);
    if n > MAX_LENGTH {
        return Err(TOO_BIG.to_string());
    }
    let mut out = Vec::with_capacity(n as usize);
    while out.len() < n as usize {
        let r = next_random().to_le_bytes();
        let take = (n as usize - out.len()).min(8);
        out.extend_from_slice(&r[..take]);
    }
    Ok(Value::Blob(out))
}

/// `soundex(X)`.
pub fn soundex(v: &Value) -> Value {
    const CODE: &[u8; 26] = b"01230120022455012623010202";
    let s = c_text(v).unwrap_or_default();
    let b = s.as_bytes();
    let code = |c: u8| -> u8 {
        if c.is_ascii_alphabetic() { CODE[(c.to_ascii_uppercase() - b'A') as usize] - b'0' } else { 0 }
    };
    let Some(mut i) = b.iter().position(|c| c.is_ascii_alphabetic()) else {
        return Value::Text("?000".to_string());
    };
    let mut out = vec![b[i].to_ascii_uppercase()];
    let mut prev = code(b[i]);
    while out.len() < 4 && i < b.len() {
        let c = code(b[i] & 0x7f);
        if c > 0 {
            if c != prev {
                prev = c;
                out.push(c + b'0');
            }
        } else {
            prev = 0;
        }
        i += 1;
    }
    while out.len() < 4 {
        out.push(b'0');
    }
    text_from_bytes(out)
}

/// `concat(...)` (sep = None) and `concat_ws(sep, ...)`: NULL arguments are skipped.
pub fn concat_ws(sep: Option<&[u8]>, args: &[Value]) -> Value {
    let mut out = Vec::new();
    let mut first = true;
    for a in args.iter().filter(|a| !a.is_null()) {
        if !first && let Some(s) = sep {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(&a.to_text_bytes());
        first = false;
    }
    text_from_bytes(out)
}
