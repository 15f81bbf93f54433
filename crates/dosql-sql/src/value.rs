//! SQL values with SQLite's exact type semantics.
//!
//! This module implements SQLite's storage classes ([`Value`]), column
//! affinities ([`Affinity`]), the built-in collations ([`Collation`]) and the
//! rules that tie them together: affinity application on storage, the type
//! conversions performed before comparisons, the sort order used by
//! comparisons, arithmetic and bitwise operators, `CAST`, and the conversion
//! of values to text.  The reference for every rule is SQLite itself (see
//! <https://sqlite.org/datatype3.html> and <https://sqlite.org/lang_expr.html>);
//! the differential tests in `func/value_tests.rs` check the behaviour against a
//! real SQLite build.
//!
//! Known representation limit: `Value::Text` holds a Rust `String`, so a BLOB
//! converted to TEXT whose bytes are not valid UTF-8 is converted lossily
//! (SQLite would keep the raw bytes).

use std::cmp::Ordering;

use crate::func::num;
pub use crate::func::num::{AtoF, AtoiRc, atof, atoi64, real_same_as_int, real_to_i64};

/// A single SQL value: one of SQLite's five storage classes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// 64-bit signed integer.
    Integer(i64),
    /// IEEE-754 double (never NaN when produced by this module).
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Raw bytes.
    Blob(Vec<u8>),
}

/// Column / expression type affinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    /// TEXT affinity.
    Text,
    /// NUMERIC affinity.
    Numeric,
    /// INTEGER affinity.
    Integer,
    /// REAL affinity.
    Real,
    /// BLOB affinity (formerly "NONE": no conversion).
    Blob,
}

/// Built-in collating sequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collation {
    /// `memcmp` order.
    Binary,
    /// ASCII case-insensitive order.
    NoCase,
    /// Binary order ignoring trailing spaces.
    RTrim,
}

impl Affinity {
    /// Affinity of a column from its declared type (datatype3.html §3.1).
    ///
    /// An empty declared type ("no type") gives [`Affinity::Blob`].
    pub fn from_declared_type(decl: &str) -> Affinity {
        if decl.trim().is_empty() {
            return Affinity::Blob;
        }
        Affinity::from_type_name(decl)
    }

    /// SQLite's `sqlite3AffinityType`: the affinity named by a type name, as
    /// used by `CAST(x AS type)` (an unrecognised name gives NUMERIC).
    pub fn from_type_name(name: &str) -> Affinity {
        let mut h: u32 = 0;
        let mut aff = Affinity::Numeric;
        for &b in name.as_bytes() {
            h = (h << 8).wrapping_add(u32::from(b.to_ascii_lowercase()));
            if h == u32::from_be_bytes(*b"char")
                || h == u32::from_be_bytes(*b"clob")
                || h == u32::from_be_bytes(*b"text")
            {
                aff = Affinity::Text;
            } else if h == u32::from_be_bytes(*b"blob") && matches!(aff, Affinity::Numeric | Affinity::Real) {
                aff = Affinity::Blob;
            } else if (h == u32::from_be_bytes(*b"real")
                || h == u32::from_be_bytes(*b"floa")
                || h == u32::from_be_bytes(*b"doub"))
                && aff == Affinity::Numeric
            {
                aff = Affinity::Real;
            } else if h & 0x00ff_ffff == u32::from_be_bytes([0, b'i', b'n', b't']) {
                return Affinity::Integer;
            }
        }
        aff
    }

    /// True for NUMERIC, INTEGER and REAL.
    pub fn is_numeric(self) -> bool {
        matches!(self, Affinity::Numeric | Affinity::Integer | Affinity::Real)
    }
}

impl Collation {
    /// Look up a built-in collation by name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Collation> {
        if name.eq_ignore_ascii_case("binary") {
            Some(Collation::Binary)
        } else if name.eq_ignore_ascii_case("nocase") {
            Some(Collation::NoCase)
        } else if name.eq_ignore_ascii_case("rtrim") {
            Some(Collation::RTrim)
        } else {
            None
        }
    }

    /// Compare two strings under this collation.
    pub fn compare_text(self, a: &str, b: &str) -> Ordering {
        self.compare_bytes(a.as_bytes(), b.as_bytes())
    }

    /// Compare two byte strings under this collation.
    pub fn compare_bytes(self, a: &[u8], b: &[u8]) -> Ordering {
        match self {
            Collation::Binary => a.cmp(b),
            Collation::RTrim => {
                let ta = a.len() - a.iter().rev().take_while(|&&c| c == b' ').count();
                let tb = b.len() - b.iter().rev().take_while(|&&c| c == b' ').count();
                a[..ta].cmp(&b[..tb])
            }
            Collation::NoCase => {
                let n = a.len().min(b.len());
                for i in 0..n {
                    let (x, y) = (a[i].to_ascii_lowercase(), b[i].to_ascii_lowercase());
                    // SQLite stops at a NUL on the left; equal so far, the
                    // longer string is still the greater.
                    if a[i] == 0 || x != y {
                        return x.cmp(&y).then(a.len().cmp(&b.len()));
                    }
                }
                a.len().cmp(&b.len())
            }
        }
    }
}

impl Value {
    /// The `typeof()` name: "null", "integer", "real", "text" or "blob".
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Integer(_) => "integer",
            Value::Real(_) => "real",
            Value::Text(_) => "text",
            Value::Blob(_) => "blob",
        }
    }

    /// True for NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Build a REAL, mapping NaN to NULL as SQLite does.
    pub fn real(r: f64) -> Value {
        if r.is_nan() { Value::Null } else { Value::Real(r) }
    }

    /// The raw bytes of a TEXT or BLOB value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Text(s) => Some(s.as_bytes()),
            Value::Blob(b) => Some(b),
            _ => None,
        }
    }

    /// Text rendering exactly as SQLite's `sqlite3_value_text` (NULL gives "").
    ///
    /// REAL values use `%!.17g` with SQLite's round-trip shortening, so
    /// 1.0 -> "1.0", 0.1 -> "0.1", 1e20 -> "1.0e+20", inf -> "Inf".
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Integer(i) => i.to_string(),
            Value::Real(r) => num::real_to_text(*r),
            Value::Text(s) => s.clone(),
            Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
        }
    }

    /// Bytes of the value converted to text (BLOB bytes are kept raw).
    pub fn to_text_bytes(&self) -> Vec<u8> {
        match self {
            Value::Blob(b) => b.clone(),
            v => v.to_text().into_bytes(),
        }
    }

    /// SQL literal text as produced by SQLite's `quote()` function.
    pub fn sql_quote(&self) -> String {
        match self {
            Value::Null => "NULL".to_string(),
            Value::Integer(i) => i.to_string(),
            Value::Real(r) => {
                let mut spec = num::FloatSpec::new(num::FloatKind::Generic);
                spec.precision = Some(17);
                spec.alt2 = true;
                spec.zero_pad = true;
                num::format_float(*r, &spec).0
            }
            Value::Text(s) => {
                let s = s.split('\0').next().unwrap_or("");
                format!("'{}'", s.replace('\'', "''"))
            }
            Value::Blob(b) => {
                let mut out = String::with_capacity(b.len() * 2 + 3);
                out.push_str("X'");
                for byte in b {
                    out.push_str(&format!("{byte:02X}"));
                }
                out.push('\'');
                out
            }
        }
    }

    /// SQLite's `sqlite3VdbeIntValue`: NULL -> 0, REAL truncated and
    /// saturated, TEXT/BLOB by their integer prefix.
    pub fn to_i64(&self) -> i64 {
        match self {
            Value::Null => 0,
            Value::Integer(i) => *i,
            Value::Real(r) => real_to_i64(*r),
            Value::Text(s) => atoi64(s.as_bytes()).0,
            Value::Blob(b) => atoi64(b).0,
        }
    }

    /// SQLite's `sqlite3VdbeRealValue`: NULL -> 0.0, TEXT/BLOB by their numeric prefix.
    pub fn to_f64(&self) -> f64 {
        match self {
            Value::Null => 0.0,
            Value::Integer(i) => *i as f64,
            Value::Real(r) => *r,
            Value::Text(s) => atof(s.as_bytes()).value,
            Value::Blob(b) => atof(b).value,
        }
    }

    /// The numeric value used when this value is an arithmetic operand
    /// (SQLite's `numericType`): INTEGER or REAL, NULL stays NULL.
    pub fn to_numeric(&self) -> Value {
        match self {
            Value::Null | Value::Integer(_) | Value::Real(_) => self.clone(),
            Value::Text(s) => parse_numeric_prefix_bytes(s.as_bytes()).0,
            Value::Blob(b) => parse_numeric_prefix_bytes(b).0,
        }
    }

    /// Apply a column affinity as SQLite does when storing a value, returning
    /// the value as it would then be read back from the column.
    pub fn apply_affinity(self, aff: Affinity) -> Value {
        match aff {
            Affinity::Blob => self,
            Affinity::Text => match self {
                Value::Integer(_) | Value::Real(_) => Value::Text(self.to_text()),
                v => v,
            },
            Affinity::Numeric | Affinity::Integer | Affinity::Real => {
                let v = match self {
                    Value::Text(s) => match numeric_affinity_of_text(s.as_bytes(), true) {
                        Some(v) => v,
                        None => Value::Text(s),
                    },
                    Value::Real(r) => integer_affinity(r),
                    v => v,
                };
                match (aff, v) {
                    (Affinity::Real, Value::Integer(i)) => Value::Real(i as f64),
                    (_, v) => v,
                }
            }
        }
    }
}

/// SQLite's `sqlite3VdbeIntegerAffinity`: an integral REAL becomes INTEGER
/// (except the extreme i64 values).
fn integer_affinity(r: f64) -> Value {
    let ix = real_to_i64(r);
    if r == ix as f64 && ix > i64::MIN && ix < i64::MAX { Value::Integer(ix) } else { Value::Real(r) }
}

/// The value as seen through `sqlite3_value_numeric_type`: INTEGER and REAL
/// as they are, TEXT only if the whole text is a number (converted without
/// forcing integral reals to INTEGER), `None` for NULL, BLOB and other TEXT.
pub fn numeric_value(v: &Value) -> Option<Value> {
    match v {
        Value::Integer(_) | Value::Real(_) => Some(v.clone()),
        Value::Text(s) => numeric_affinity_of_text(s.as_bytes(), false),
        _ => None,
    }
}

/// SQLite's `applyNumericAffinity`: convert text that looks entirely like a
/// number; `None` if it does not.
fn numeric_affinity_of_text(z: &[u8], try_for_int: bool) -> Option<Value> {
    let a = atof(z);
    if a.rc <= 0 {
        return None;
    }
    if !a.is_real_syntax() {
        let ix = real_to_i64(a.value);
        if real_same_as_int(a.value, ix) {
            return Some(Value::Integer(ix));
        }
        let (i, rc) = atoi64(z);
        if rc == AtoiRc::Ok {
            return Some(Value::Integer(i));
        }
    }
    if try_for_int { Some(integer_affinity(a.value)) } else { Some(Value::Real(a.value)) }
}

/// Numeric value of the longest numeric prefix of `s`, as SQLite converts an
/// arithmetic operand, plus whether the whole text (ignoring surrounding
/// whitespace) is a well-formed number.
///
/// Integers that do not fit in an i64 become REAL; text without a numeric
/// prefix gives INTEGER 0; hexadecimal is not recognised.
pub fn parse_numeric_prefix(s: &str) -> (Value, bool) {
    parse_numeric_prefix_bytes(s.as_bytes())
}

/// Byte version of [`parse_numeric_prefix`] (used for BLOB operands).
pub fn parse_numeric_prefix_bytes(z: &[u8]) -> (Value, bool) {
    let a = atof(z);
    if a.rc <= 0 {
        if !a.is_real_syntax() {
            let (i, rc) = atoi64(z);
            if rc.code() <= 1 {
                return (Value::Integer(i), false);
            }
        }
        (Value::Real(a.value), false)
    } else {
        if !a.is_real_syntax() {
            let (i, rc) = atoi64(z);
            if rc == AtoiRc::Ok {
                return (Value::Integer(i), true);
            }
        }
        (Value::Real(a.value), true)
    }
}

/// SQLite's `sqlite3VdbeMemNumerify` (used by `CAST(x AS NUMERIC)`).
fn numerify(v: Value) -> Value {
    let z = match &v {
        Value::Text(s) => s.as_bytes(),
        Value::Blob(b) => b.as_slice(),
        _ => return v,
    };
    let a = atof(z);
    if !a.is_real_syntax() {
        let (i, rc) = atoi64(z);
        if rc.code() < 2 {
            return Value::Integer(i);
        }
    }
    let ix = real_to_i64(a.value);
    if real_same_as_int(a.value, ix) { Value::Integer(ix) } else { Value::Real(a.value) }
}

/// `CAST(v AS <affinity>)` per SQLite's `sqlite3VdbeMemCast`.
pub fn cast(v: Value, aff: Affinity) -> Value {
    match (aff, v) {
        (_, Value::Null) => Value::Null,
        (Affinity::Blob, Value::Blob(b)) => Value::Blob(b),
        (Affinity::Blob, v) => Value::Blob(v.to_text().into_bytes()),
        (Affinity::Numeric, v) => numerify(v),
        (Affinity::Integer, v) => Value::Integer(v.to_i64()),
        (Affinity::Real, v) => Value::Real(v.to_f64()),
        (Affinity::Text, Value::Text(s)) => Value::Text(s),
        (Affinity::Text, v) => Value::Text(v.to_text()),
    }
}

/// `CAST(v AS type_name)`: the affinity is derived with [`Affinity::from_type_name`].
pub fn cast_to_type(v: Value, type_name: &str) -> Value {
    cast(v, Affinity::from_type_name(type_name))
}

/// Compare an i64 with a double exactly (SQLite's `sqlite3IntFloatCompare`).
pub fn int_float_compare(i: i64, r: f64) -> Ordering {
    if r.is_nan() {
        return Ordering::Greater;
    }
    if r < -9223372036854775808.0 {
        return Ordering::Greater;
    }
    if r >= 9223372036854775808.0 {
        return Ordering::Less;
    }
    let y = r as i64;
    match i.cmp(&y) {
        Ordering::Equal => (i as f64).partial_cmp(&r).unwrap_or(Ordering::Equal),
        o => o,
    }
}

/// Compare two values in SQLite's sort order: NULL < numbers (by value) <
/// TEXT (by collation) < BLOB (memcmp).  Two NULLs compare equal.
pub fn compare(a: &Value, b: &Value, coll: Collation) -> Ordering {
    use Value::*;
    match (a, b) {
        (Null, Null) => Ordering::Equal,
        (Null, _) => Ordering::Less,
        (_, Null) => Ordering::Greater,
        (Integer(x), Integer(y)) => x.cmp(y),
        (Real(x), Real(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Integer(x), Real(y)) => int_float_compare(*x, *y),
        (Real(x), Integer(y)) => int_float_compare(*y, *x).reverse(),
        (Integer(_) | Real(_), _) => Ordering::Less,
        (_, Integer(_) | Real(_)) => Ordering::Greater,
        (Text(x), Text(y)) => coll.compare_text(x, y),
        (Text(_), Blob(_)) => Ordering::Less,
        (Blob(_), Text(_)) => Ordering::Greater,
        (Blob(x), Blob(y)) => x.as_slice().cmp(y.as_slice()),
    }
}

/// The affinity applied to both operands of a comparison, given the
/// affinities of the two operand expressions (`None` = expression without
/// affinity).  `None` in the result means no conversion.
pub fn comparison_affinity(left: Option<Affinity>, right: Option<Affinity>) -> Option<Affinity> {
    match (left, right) {
        (Some(l), Some(r)) => {
            if l.is_numeric() || r.is_numeric() {
                Some(Affinity::Numeric)
            } else {
                Some(Affinity::Blob)
            }
        }
        (Some(a), None) | (None, Some(a)) => Some(a),
        (None, None) => None,
    }
}

/// Apply SQLite's "type conversions prior to comparison" (datatype3.html
/// §4.2) to the operands `a` and `b` whose expressions have affinities
/// `a_aff` and `b_aff`.  Compare the results with [`compare`].
pub fn prepare_comparison(a: Value, a_aff: Option<Affinity>, b: Value, b_aff: Option<Affinity>) -> (Value, Value) {
    let aff = comparison_affinity(a_aff, b_aff);
    (comparison_operand(a, aff), comparison_operand(b, aff))
}

/// One operand of a comparison converted by the comparison's affinity
/// (see [`comparison_affinity`]): the conversion does not depend on the
/// other operand, so equal operands can be found by hashing.
pub fn comparison_operand(v: Value, aff: Option<Affinity>) -> Value {
    match (aff, v) {
        // Numeric affinity converts text that looks like a number; TEXT
        // affinity turns numbers into text even when both sides are
        // numbers (a TEXT-affinity side that yields one: the last arm of a
        // compound IN subquery, say), as SQLite's comparison does.
        (Some(x), Value::Text(s)) if x.is_numeric() => match numeric_affinity_of_text(s.as_bytes(), false) {
            Some(n) => n,
            None => Value::Text(s),
        },
        (Some(Affinity::Text), v @ (Value::Integer(_) | Value::Real(_))) => Value::Text(v.to_text()),
        (_, v) => v,
    }
}

/// Operand pair classification for arithmetic.
enum NumPair {
    Null,
    Int(i64, i64),
    Real(f64, f64),
}

fn num_pair(a: &Value, b: &Value) -> NumPair {
    if let (Value::Integer(x), Value::Integer(y)) = (a, b) {
        return NumPair::Int(*x, *y);
    }
    if a.is_null() || b.is_null() {
        return NumPair::Null;
    }
    match (a.to_numeric(), b.to_numeric()) {
        (Value::Integer(x), Value::Integer(y)) => NumPair::Int(x, y),
        (x, y) => NumPair::Real(x.to_f64(), y.to_f64()),
    }
}

/// `a + b` (integer overflow falls back to REAL; NULL if either is NULL).
pub fn add(a: &Value, b: &Value) -> Value {
    match num_pair(a, b) {
        NumPair::Null => Value::Null,
        NumPair::Int(x, y) => x.checked_add(y).map_or_else(|| Value::real(x as f64 + y as f64), Value::Integer),
        NumPair::Real(x, y) => Value::real(x + y),
    }
}

/// `a - b`.
pub fn sub(a: &Value, b: &Value) -> Value {
    match num_pair(a, b) {
        NumPair::Null => Value::Null,
        NumPair::Int(x, y) => x.checked_sub(y).map_or_else(|| Value::real(x as f64 - y as f64), Value::Integer),
        NumPair::Real(x, y) => Value::real(x - y),
    }
}

/// `a * b`.
pub fn mul(a: &Value, b: &Value) -> Value {
    match num_pair(a, b) {
        NumPair::Null => Value::Null,
        NumPair::Int(x, y) => x.checked_mul(y).map_or_else(|| Value::real(x as f64 * y as f64), Value::Integer),
        NumPair::Real(x, y) => Value::real(x * y),
    }
}

/// `a / b` (integer division truncates; division by zero gives NULL).
pub fn div(a: &Value, b: &Value) -> Value {
    match num_pair(a, b) {
        NumPair::Null => Value::Null,
        NumPair::Int(_, 0) => Value::Null,
        NumPair::Int(x, y) => x.checked_div(y).map_or_else(|| Value::real(x as f64 / y as f64), Value::Integer),
        NumPair::Real(x, y) => {
            if y == 0.0 {
                Value::Null
            } else {
                Value::real(x / y)
            }
        }
    }
}

/// `a % b`: integer remainder (sign of the dividend); with a REAL operand
/// both are truncated to integers and the result is REAL; zero divisor gives NULL.
pub fn rem(a: &Value, b: &Value) -> Value {
    match num_pair(a, b) {
        NumPair::Null => Value::Null,
        NumPair::Int(x, y) => {
            if y == 0 {
                Value::Null
            } else {
                Value::Integer(x.wrapping_rem(if y == -1 { 1 } else { y }))
            }
        }
        NumPair::Real(..) => {
            let (x, y) = (a.to_i64(), b.to_i64());
            if y == 0 { Value::Null } else { Value::Real(x.wrapping_rem(if y == -1 { 1 } else { y }) as f64) }
        }
    }
}

/// Unary minus (SQLite computes `0 - a`).
pub fn negate(a: &Value) -> Value {
    sub(&Value::Integer(0), a)
}

/// `a & b`.
pub fn bit_and(a: &Value, b: &Value) -> Value {
    if a.is_null() || b.is_null() { Value::Null } else { Value::Integer(a.to_i64() & b.to_i64()) }
}

/// `a | b`.
pub fn bit_or(a: &Value, b: &Value) -> Value {
    if a.is_null() || b.is_null() { Value::Null } else { Value::Integer(a.to_i64() | b.to_i64()) }
}

fn shift(a: &Value, b: &Value, left: bool) -> Value {
    if a.is_null() || b.is_null() {
        return Value::Null;
    }
    let x = a.to_i64();
    let mut n = b.to_i64();
    let mut left = left;
    if n == 0 {
        return Value::Integer(x);
    }
    if n < 0 {
        left = !left;
        n = if n > -64 { -n } else { 64 };
    }
    if n >= 64 {
        return Value::Integer(if x >= 0 || left { 0 } else { -1 });
    }
    Value::Integer(if left { ((x as u64) << n) as i64 } else { x >> n })
}

/// `a << b` (negative shift shifts the other way; >= 64 bits gives 0 or -1).
pub fn shl(a: &Value, b: &Value) -> Value {
    shift(a, b, true)
}

/// `a >> b` (arithmetic shift).
pub fn shr(a: &Value, b: &Value) -> Value {
    shift(a, b, false)
}

/// `~a`.
pub fn bit_not(a: &Value) -> Value {
    if a.is_null() { Value::Null } else { Value::Integer(!a.to_i64()) }
}

/// `a || b`: text concatenation (BLOBs contribute their raw bytes).
pub fn concat(a: &Value, b: &Value) -> Value {
    if a.is_null() || b.is_null() {
        return Value::Null;
    }
    let mut bytes = a.to_text_bytes();
    bytes.extend_from_slice(&b.to_text_bytes());
    match String::from_utf8(bytes) {
        Ok(s) => Value::Text(s),
        Err(e) => Value::Text(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// Truth value of a value in a boolean context: NULL -> None, numbers by
/// non-zero, TEXT/BLOB by the value of their numeric prefix.
pub fn is_true(v: &Value) -> Option<bool> {
    match v {
        Value::Null => None,
        Value::Integer(i) => Some(*i != 0),
        v => Some(v.to_f64() != 0.0),
    }
}

/// `NOT a`: NULL stays NULL, otherwise INTEGER 0 or 1.
pub fn not(a: &Value) -> Value {
    match is_true(a) {
        None => Value::Null,
        Some(t) => Value::Integer(i64::from(!t)),
    }
}
