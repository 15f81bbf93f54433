//! Result values and their formatting, exactly as the reference harness's
//! SQLite driver turns a column value into a result line.
//!
//! The driver reads each column through the C API according to the query's
//! type string: `I` through `sqlite3_column_int` (printed with `%d`), `R`
//! through `sqlite3_column_double` (printed with SQLite's `%.3f`) and `T`
//! through `sqlite3_column_text`. NULL prints `NULL` whatever the type.

use dosql_sql::func::num;

/// One value of a query result, by its dynamic (storage) type.
#[derive(Debug, Clone, PartialEq)]
pub enum SltValue {
    /// SQL NULL.
    Null,
    /// A 64-bit signed integer.
    Integer(i64),
    /// An IEEE 754 double.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// A BLOB.
    Blob(Vec<u8>),
}

/// One character of a query's type string: how a column is read and printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// `I`: read as a 32-bit C `int`, printed in decimal.
    Integer,
    /// `R`: read as a double, printed with three decimals.
    Real,
    /// `T`: read as text.
    Text,
}

impl ColumnType {
    /// The column type for a type-string character (`I`, `R` or `T`).
    pub fn from_char(c: char) -> Option<Self> {
        match c {
            'I' => Some(Self::Integer),
            'R' => Some(Self::Real),
            'T' => Some(Self::Text),
            _ => None,
        }
    }

    /// The type-string character for this column type.
    pub fn as_char(self) -> char {
        match self {
            Self::Integer => 'I',
            Self::Real => 'R',
            Self::Text => 'T',
        }
    }
}

/// The bytes of a C string: everything before the first NUL.
fn c_str(bytes: &[u8]) -> &[u8] {
    bytes.iter().position(|&b| b == 0).map_or(bytes, |end| &bytes[..end])
}

impl SltValue {
    /// The value as `sqlite3_column_int` returns it: the low 32 bits of the
    /// 64-bit integer value, where a REAL is truncated toward zero (saturating
    /// at the `i64` bounds) and TEXT or BLOB is read by its integer prefix
    /// (0 if none). NULL is 0.
    pub fn column_int(&self) -> i32 {
        self.column_int64() as i32
    }

    /// The value as `sqlite3_column_int64` returns it (see [`Self::column_int`]).
    pub fn column_int64(&self) -> i64 {
        match self {
            Self::Null => 0,
            Self::Integer(i) => *i,
            Self::Real(r) => num::real_to_i64(*r),
            Self::Text(s) => num::atoi64(s.as_bytes()).0,
            Self::Blob(b) => num::atoi64(b).0,
        }
    }

    /// The value as `sqlite3_column_double` returns it: TEXT and BLOB are
    /// read by their longest numeric prefix (0.0 if none). NULL is 0.0.
    pub fn column_double(&self) -> f64 {
        match self {
            Self::Null => 0.0,
            Self::Integer(i) => *i as f64,
            Self::Real(r) => *r,
            Self::Text(s) => num::atof(s.as_bytes()).value,
            Self::Blob(b) => num::atof(b).value,
        }
    }

    /// The value as `sqlite3_column_text` returns it, as a C string (so
    /// everything from the first NUL byte on is lost). REAL uses SQLite's text
    /// form (`1.0`, `0.1`, `1.0e+20`). NULL is empty.
    pub fn column_text(&self) -> Vec<u8> {
        match self {
            Self::Null => Vec::new(),
            Self::Integer(i) => i.to_string().into_bytes(),
            Self::Real(r) => num::real_to_text(*r).into_bytes(),
            Self::Text(s) => c_str(s.as_bytes()).to_vec(),
            Self::Blob(b) => c_str(b).to_vec(),
        }
    }
}

/// Formats a REAL as SQLite's `printf("%.3f")` does: at most 16 significant
/// digits (rounded half away from zero), then zeros, e.g.
/// `-9223372036854776000.000`.
pub fn format_real(r: f64) -> String {
    match dosql_sql::func::printf::sqlite_printf(b"%.3f", &[dosql_sql::Value::Real(r)]) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => format!("{r:.3}"),
    }
}

/// SQLite's text form of a REAL, as `CAST(r AS TEXT)` or
/// `sqlite3_column_text` produce it (`printf("%!.17g")`): `1.0`, `0.1`,
/// `0.30000000000000004`, `1.0e+20`, `Inf`.
pub fn real_to_text(r: f64) -> String {
    num::real_to_text(r)
}

/// Formats one result value for a column of type `ty`, as the reference
/// harness does:
///
/// - NULL prints `NULL` whatever the type;
/// - `I`: [`SltValue::column_int`] in decimal;
/// - `R`: [`SltValue::column_double`] through [`format_real`];
/// - `T`: [`SltValue::column_text`], `(empty)` when empty, and every byte
///   below 0x20 or above 0x7e replaced by `@`.
pub fn format_value(value: &SltValue, ty: ColumnType) -> String {
    if matches!(value, SltValue::Null) {
        return "NULL".to_owned();
    }
    match ty {
        ColumnType::Integer => value.column_int().to_string(),
        ColumnType::Real => format_real(value.column_double()),
        ColumnType::Text => {
            let text = value.column_text();
            if text.is_empty() {
                "(empty)".to_owned()
            } else {
                text.iter().map(|&b| if (0x20..=0x7e).contains(&b) { char::from(b) } else { '@' }).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: SltValue, ty: char) -> String {
        format_value(&v, ColumnType::from_char(ty).expect("valid type character"))
    }

    #[test]
    fn null_prints_null_for_every_type() {
        for ty in ['I', 'R', 'T'] {
            assert_eq!(fmt(SltValue::Null, ty), "NULL");
        }
    }

    #[test]
    fn integer_columns_read_a_c_int() {
        use SltValue::*;
        assert_eq!(fmt(Integer(-1), 'I'), "-1");
        // 64-bit values keep their low 32 bits.
        assert_eq!(fmt(Integer(4_294_967_297), 'I'), "1");
        assert_eq!(fmt(Integer(2_147_483_648), 'I'), "-2147483648");
        assert_eq!(fmt(Integer(i64::MIN), 'I'), "0");
        // Reals truncate toward zero, saturating at the i64 bounds first.
        assert_eq!(fmt(Real(3.99), 'I'), "3");
        assert_eq!(fmt(Real(-3.99), 'I'), "-3");
        assert_eq!(fmt(Real(1e30), 'I'), "-1");
        assert_eq!(fmt(Real(-1e30), 'I'), "0");
        assert_eq!(fmt(Real(4_294_967_298.5), 'I'), "2");
        // Text and blobs by their integer prefix, else 0.
        assert_eq!(fmt(Text("12abc".into()), 'I'), "12");
        assert_eq!(fmt(Text(" \t-7.9e3".into()), 'I'), "-7");
        assert_eq!(fmt(Text("1e5".into()), 'I'), "1");
        assert_eq!(fmt(Text("abc".into()), 'I'), "0");
        assert_eq!(fmt(Text("- 5".into()), 'I'), "0");
        assert_eq!(fmt(Text("99999999999999999999".into()), 'I'), "-1");
        assert_eq!(fmt(Blob(b"42".to_vec()), 'I'), "42");
    }

    #[test]
    fn real_columns_print_sqlite_percent_3f() {
        use SltValue::*;
        assert_eq!(fmt(Integer(1), 'R'), "1.000");
        assert_eq!(fmt(Real(0.0), 'R'), "0.000");
        assert_eq!(fmt(Real(-0.0), 'R'), "0.000");
        assert_eq!(fmt(Real(1.25), 'R'), "1.250");
        // Half away from zero on the decimal digits: 1.0625 is exact.
        assert_eq!(fmt(Real(1.0625), 'R'), "1.063");
        assert_eq!(fmt(Real(-1.0625), 'R'), "-1.063");
        assert_eq!(fmt(Real(2.675), 'R'), "2.675");
        assert_eq!(fmt(Real(0.0005), 'R'), "0.001");
        assert_eq!(fmt(Real(0.0004), 'R'), "0.000");
        assert_eq!(fmt(Real(-0.0001), 'R'), "-0.000");
        assert_eq!(fmt(Real(999.9996), 'R'), "1000.000");
        // At most 16 significant digits, then zeros.
        assert_eq!(fmt(Real(-9_223_372_036_854_775_808.0), 'R'), "-9223372036854776000.000");
        assert_eq!(fmt(Integer(i64::MIN), 'R'), "-9223372036854776000.000");
        assert_eq!(fmt(Real(-18_446_744_073_709_551_616.0), 'R'), "-18446744073709550000.000");
        assert_eq!(fmt(Real(12_345_678_901_234.568), 'R'), "12345678901234.570");
        assert_eq!(fmt(Real(1e20), 'R'), "100000000000000000000.000");
        assert_eq!(fmt(Real(f64::INFINITY), 'R'), "Inf");
        assert_eq!(fmt(Real(f64::NEG_INFINITY), 'R'), "-Inf");
        // Text and blobs by their numeric prefix, else 0.
        assert_eq!(fmt(Text("1.5abc".into()), 'R'), "1.500");
        assert_eq!(fmt(Text(" -.5e1".into()), 'R'), "-5.000");
        assert_eq!(fmt(Text("x".into()), 'R'), "0.000");
        assert_eq!(fmt(Blob(b"2.25".to_vec()), 'R'), "2.250");
    }

    #[test]
    fn text_columns_print_the_text_form() {
        use SltValue::*;
        assert_eq!(fmt(Text("hello world".into()), 'T'), "hello world");
        assert_eq!(fmt(Text(String::new()), 'T'), "(empty)");
        assert_eq!(fmt(Blob(Vec::new()), 'T'), "(empty)");
        // Bytes outside 0x20..=0x7e become '@', one per byte.
        assert_eq!(fmt(Text("a\tb~\u{7f}".into()), 'T'), "a@b~@");
        assert_eq!(fmt(Text("é".into()), 'T'), "@@");
        assert_eq!(fmt(Blob(vec![1, b'A', 0xff]), 'T'), "@A@");
        // C-string semantics: a NUL ends the text.
        assert_eq!(fmt(Text("ab\0c".into()), 'T'), "ab");
        assert_eq!(fmt(Text("\0abc".into()), 'T'), "(empty)");
        assert_eq!(fmt(Integer(-5), 'T'), "-5");
        // Reals in SQLite's text form.
        assert_eq!(fmt(Real(1.0), 'T'), "1.0");
        assert_eq!(fmt(Real(-0.0), 'T'), "0.0");
        assert_eq!(fmt(Real(0.1), 'T'), "0.1");
        assert_eq!(fmt(Real(-2.5), 'T'), "-2.5");
        assert_eq!(fmt(Real(0.1 + 0.2), 'T'), "0.30000000000000004");
        assert_eq!(fmt(Real(49.47), 'T'), "49.47");
        // SQLite rounds twice (to 18 digits, then to 17): 0.333333333333333314829...
        // becomes ...315 and then ...32, where C's printf("%.17g") gives ...31.
        assert_eq!(fmt(Real(1.0 / 3.0), 'T'), "0.33333333333333332");
        assert_eq!(fmt(Real(0.0001), 'T'), "0.0001");
        assert_eq!(fmt(Real(1e-5), 'T'), "1.0e-05");
        assert_eq!(fmt(Real(1e16), 'T'), "10000000000000000.0");
        assert_eq!(fmt(Real(1e17), 'T'), "1.0e+17");
        assert_eq!(fmt(Real(1e20), 'T'), "1.0e+20");
        assert_eq!(fmt(Real(-1.5e300), 'T'), "-1.5e+300");
        assert_eq!(fmt(Real(f64::INFINITY), 'T'), "Inf");
    }
}
