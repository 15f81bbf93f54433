//! Differential tests of the value conversions against the real SQLite.
//!
//! The reference harness reads `I`, `R` and `T` columns through
//! `sqlite3_column_int`, `sqlite3_column_double` + `printf("%.3f")` and
//! `sqlite3_column_text`. SQLite exposes the same conversions to SQL as
//! `CAST(x AS INTEGER)`, `CAST(x AS REAL)`, `printf('%.3f', x)` and
//! `CAST(x AS TEXT)`, so each of the runner's ports is compared with SQLite
//! itself over many generated values.

use dosql_slt::{ColumnType, SltValue, format_real, format_value, real_to_text};
use rusqlite::Connection;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Doubles that exercise the conversions: special values, random bit
/// patterns (subnormals included), integers around 2^53 and 2^63, short
/// decimals and values next to `%.3f` rounding boundaries.
fn interesting_doubles(rng: &mut Rng, count: usize) -> Vec<f64> {
    let mut out = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        0.5,
        0.0005,
        -0.0005,
        0.0015,
        2.675,
        1.0625,
        -0.0001,
        1e15,
        1e16,
        1e17,
        1e20,
        1e-5,
        1e-4,
        123_456_789_012_345.67,
        9_223_372_036_854_775_807.0,
        -9_223_372_036_854_775_808.0,
        18_446_744_073_709_551_616.0,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        f64::from_bits(1),
        f64::EPSILON,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.1 + 0.2,
        49.47,
        1.0 / 3.0,
        2.0 / 3.0,
    ];
    while out.len() < count {
        let x = match rng.below(8) {
            0 => f64::from_bits(rng.next()),
            1 => (rng.next() as i64 >> rng.below(64)) as f64,
            2 => (rng.below(2_000_000) as f64 - 1_000_000.0) / 10f64.powi(rng.below(7) as i32),
            3 => (rng.below(200_000) as f64 + 0.5) / 1000.0 * if rng.below(2) == 0 { 1.0 } else { -1.0 },
            4 => {
                let x = f64::from_bits(rng.next());
                x * 10f64.powi(-(x.abs().log10().floor() as i32)) * 10f64.powi(rng.below(40) as i32 - 20)
            }
            5 => 2f64.powi(rng.below(2100) as i32 - 1075),
            6 => rng.next() as f64 * 10f64.powi(rng.below(30) as i32 - 15),
            _ => {
                let base = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi(rng.below(20) as i32);
                f64::from_bits(base.to_bits().wrapping_add(rng.below(5)).wrapping_sub(2))
            }
        };
        if !x.is_nan() {
            out.push(x);
        }
    }
    out
}

/// Strings for the text-to-number conversions: random mixes of number-ish
/// characters, printed doubles and long digit runs.
fn interesting_strings(rng: &mut Rng, count: usize) -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        " ",
        "12",
        " \t\n\x0b\x0c\r-12x",
        "- 12",
        "+12",
        "1e5",
        "12.9",
        "-0",
        ".5",
        "-.5e2",
        "5.",
        ".",
        "1e",
        "1e+",
        "1.5e-3x",
        "0x10",
        "inf",
        "NaN",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "000000000000000000000000009223372036854775807",
        "99999999999999999999999",
        "3500000000000000.2500001",
        "1e400",
        "1e-400",
        "12\u{0}34",
        "2.4703282292062327e-324",
        "4294967297",
        "-2147483649",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    const ALPHABET: &[u8] = b" \t+-0123456789.eE x\0";
    while out.len() < count {
        let s = match rng.below(5) {
            0 => {
                let len = rng.below(25) as usize;
                (0..len).map(|_| char::from(ALPHABET[rng.below(ALPHABET.len() as u64) as usize])).collect()
            }
            1 => format!("{:e}", f64::from_bits(rng.next())),
            2 => format!("{}", f64::from_bits(rng.next())),
            3 => (0..rng.below(40) + 1).map(|_| char::from(b'0' + rng.below(10) as u8)).collect(),
            _ => format!("{}", (rng.next() as i64) >> rng.below(64)),
        };
        if !s.contains("NaN") {
            out.push(s);
        }
    }
    out
}

#[test]
fn real_formats_match_sqlite() {
    let db = Connection::open_in_memory().expect("open in-memory database");
    let mut stmt = db
        .prepare("SELECT CAST(?1 AS TEXT), printf('%.3f', ?1), CAST(?1 AS INTEGER)")
        .expect("prepare conversion query");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut mismatches = Vec::new();
    for x in interesting_doubles(&mut rng, 200_000) {
        let (text, fixed, int): (String, String, i64) =
            stmt.query_row([x], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).expect("run conversion query");
        let value = SltValue::Real(x);
        let mine = (real_to_text(x), format_real(x), value.column_int64());
        if mine != (text.clone(), fixed.clone(), int) {
            mismatches.push(format!("{x:e} ({:#x}): sqlite {:?}, ours {mine:?}", x.to_bits(), (text, fixed, int)));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, e.g.\n{}",
        mismatches.len(),
        mismatches[..10.min(mismatches.len())].join("\n")
    );
}

#[test]
fn integers_format_like_sqlite() {
    let db = Connection::open_in_memory().expect("open in-memory database");
    let mut stmt = db.prepare("SELECT printf('%.3f', ?1), printf('%d', ?1 & 0xffffffff)").expect("prepare");
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for k in 0..100_000 {
        let i = match k {
            0 => i64::MIN,
            1 => i64::MAX,
            _ => (rng.next() as i64) >> rng.below(64),
        };
        let (fixed, _low): (String, String) = stmt.query_row([i], |r| Ok((r.get(0)?, r.get(1)?))).expect("query");
        assert_eq!(format_value(&SltValue::Integer(i), ColumnType::Real), fixed, "{i}");
        assert_eq!(format_value(&SltValue::Integer(i), ColumnType::Integer), (i as i32).to_string(), "{i}");
        assert_eq!(format_value(&SltValue::Integer(i), ColumnType::Text), i.to_string(), "{i}");
    }
}

#[test]
fn text_to_number_matches_sqlite() {
    let db = Connection::open_in_memory().expect("open in-memory database");
    let mut stmt = db.prepare("SELECT CAST(?1 AS INTEGER), CAST(?1 AS REAL)").expect("prepare");
    let mut rng = Rng(0x0bad_cafe_f00d_d00d);
    let mut mismatches = Vec::new();
    for s in interesting_strings(&mut rng, 200_000) {
        let (int, real): (i64, f64) =
            stmt.query_row([&s], |r| Ok((r.get(0)?, r.get(1)?))).expect("run conversion query");
        let value = SltValue::Text(s.clone());
        let (my_int, my_real) = (value.column_int64(), value.column_double());
        if my_int != int || my_real.to_bits() != real.to_bits() {
            mismatches.push(format!("{s:?}: sqlite ({int}, {real:e}), ours ({my_int}, {my_real:e})"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, e.g.\n{}",
        mismatches.len(),
        mismatches[..10.min(mismatches.len())].join("\n")
    );
}
