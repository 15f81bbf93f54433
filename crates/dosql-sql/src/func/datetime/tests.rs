//! Differential tests of the date and time functions against the bundled SQLite.
//!
//! Time values, modifiers and strftime formats come from hand-written lists of
//! edge cases (leap days, years 0000 and 9999, out-of-range dates, negative and
//! huge numbers, month-end arithmetic, sub-millisecond fractions, garbage) and
//! from a seeded generator that assembles random ones.  Every case is
//! evaluated here and in SQLite and the results must be identical.
//!
//! `now` cannot be compared directly: it is checked by comparing our result
//! for an injected clock value with SQLite's result for the same instant
//! given as a unix time.  `localtime`/`utc` are compared exactly only when
//! SQLite's local zone is UTC (which is what this module assumes).

use super::{call, wall_clock_ms};
use crate::func::value_tests::{same, sqlite_eval, t};
use crate::value::Value;

/// Accumulates differential results.
#[derive(Default)]
struct Tally {
    checks: usize,
    non_null: usize,
    fails: Vec<String>,
}

impl Tally {
    /// Compare `name(args)` here (with clock `now`) and `sql` in SQLite.
    fn check_sql(&mut self, name: &str, args: &[Value], now: i64, sql: &str, params: &[Value]) {
        self.checks += 1;
        let ours = call(name, args, now);
        let theirs = sqlite_eval(sql, params);
        if matches!(&ours, Some(Ok(v)) if !v.is_null()) {
            self.non_null += 1;
        }
        let ok = match (&theirs, &ours) {
            (Ok(x), Some(Ok(y))) => same(x, y),
            (Err(e), Some(Err(m))) => e.contains(m.as_str()),
            _ => false,
        };
        if !ok {
            self.fails.push(format!("{name}{args:?} now={now}: sqlite={theirs:?} ours={ours:?}"));
        }
    }

    /// Compare `name(args)` here and in SQLite.
    fn check(&mut self, name: &str, args: &[Value]) {
        let ph: Vec<String> = (1..=args.len()).map(|i| format!("?{i}")).collect();
        let sql = format!("SELECT {name}({})", ph.join(","));
        self.check_sql(name, args, 0, &sql, args);
    }

    fn finish(self, what: &str) {
        eprintln!(
            "{what}: {} differential checks ({} non-NULL), {} mismatches",
            self.checks,
            self.non_null,
            self.fails.len()
        );
        if !self.fails.is_empty() {
            let shown: Vec<&str> = self.fails.iter().take(40).map(String::as_str).collect();
            panic!("{what}: {} of {} checks failed:\n{}", self.fails.len(), self.checks, shown.join("\n"));
        }
    }
}

/// True when SQLite's local time zone is UTC, so `localtime`/`utc` can be compared exactly.
fn sqlite_zone_is_utc() -> bool {
    ["2021-01-15 12:34:56", "2021-07-15 12:34:56", "1950-07-01 00:00:00", "2050-01-01 23:59:59"].iter().all(|d| {
        sqlite_eval("SELECT datetime(?1, 'localtime')", &[t(d)]).ok() == Some(t(d))
            && sqlite_eval("SELECT datetime(?1, 'utc')", &[t(d)]).ok() == Some(t(d))
    })
}

/// Small deterministic generator (xorshift64*), so failures are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const TIME_TEXTS: &[&str] = &[
    "2000-01-01",
    "2000-01-01 00:00",
    "2000-01-01 00:00:00",
    "2000-01-01 12:00:00.000",
    "2024-02-29",
    "2023-02-29",
    "2023-02-31",
    "2023-04-31",
    "2024-02-30 10:00",
    "1900-02-28 23:59:59",
    "1900-02-29",
    "2100-02-29",
    "2000-02-29 24:00",
    "2023-12-31 24:00:00",
    "2023-12-31 24:00:01",
    "2023-12-31 24:01",
    "2023-01-31 24:00",
    "0000-01-01",
    "0000-01-01 00:00:00",
    "-0001-12-31 23:59:59",
    "-4713-11-24 12:00:00",
    "-4713-11-24 11:59:59.999",
    "-4713-11-24",
    "-4714-01-01",
    "9999-12-31",
    "9999-12-31 23:59:59",
    "9999-12-31 23:59:59.999",
    "9999-12-31 23:59:59.9999",
    "9999-12-31 24:00",
    "1970-01-01",
    "1970-01-01T00:00:00Z",
    "2038-01-19 03:14:07",
    "2013-10-07 08:23:19.120",
    "2013-10-07T08:23:19.120Z",
    "2013-10-07 08:23:19.120-04:00",
    "2013-10-07 08:23:19+14:00",
    "2013-10-07 08:23:19-14:59",
    "2013-10-07 08:23:19+15:00",
    "2013-10-07 08:23 +05:30 ",
    "2013-10-07 08:23:19 z",
    "2013-10-07 08:23:19 Zulu",
    "2013-10-07 08:23:19+00:00",
    "2013-10-07TT 08:23",
    "2013-10-07  T 08:23",
    "2013-10-07t08:23",
    "2013-10-07 8:23",
    "2013-10-07 08:23:1",
    "2013-10-07 08:23:19.",
    "2013-10-07 08:23:19.5",
    "2013-10-07 08:23:19.9995",
    "2013-10-07 08:23:59.99999999",
    "2013-10-07 08:23:19.123456789012345678901234567890",
    "2013-10-07 08:60",
    "2013-10-07 25:00",
    "2013-10-07 ",
    " 2013-10-07",
    "2013-13-01",
    "2013-00-10",
    "2013-10-00",
    "2013-10-32",
    "2013-1-07",
    "13-10-07",
    "20131007",
    "12:00",
    "12:00:00",
    "23:59:59.999",
    "24:00",
    "24:00:00",
    "00:00:00.0001",
    "12:00Z",
    "12:00 -03:00",
    "12:00:60",
    "now ",
    "today",
    "",
    " ",
    "abc",
    "2451545",
    "2451545.5",
    " 2451545.25 ",
    "2451545x",
    "-1",
    "0",
    "5373484.4999999",
    "5373484.5",
    "1e6",
    "0x10",
    "1700000000",
    "-210866760000",
    "253402300799",
    "253402300800",
    "1.5e300",
    "Inf",
];

const MODIFIERS: &[&str] = &[
    "+1 day",
    "-1 day",
    "+1 days",
    "1 DAYS",
    "+1.5 days",
    "-0.5 day",
    "+0 days",
    "+1e2 days",
    "+5373484 days",
    "-5373485 days",
    "+1 dayss",
    "+1 dai",
    "1day",
    "+ 1 day",
    "+1   days",
    "+1 days ",
    "+1 hour",
    "-25 hours",
    "+1.25 hours",
    "+90 minutes",
    "-0.5 minute",
    "+3600 seconds",
    "+0.0005 seconds",
    "-0.0005 seconds",
    "+0.0015 seconds",
    "+1.9999 seconds",
    "+463000000000000 seconds",
    "+1 month",
    "-1 month",
    "+1 months",
    "+13 months",
    "-13 months",
    "+1.5 months",
    "-1.5 months",
    "+120000 months",
    "+1 year",
    "-1 year",
    "+1.5 years",
    "+100 years",
    "-2000 years",
    "+8000 years",
    "+14712 years",
    "+12:00",
    "-12:00",
    "+01:30:15",
    "-00:00:00.500",
    "+24:00",
    "+23:59:59.9999",
    "12:30",
    "+1:30",
    "+12:30 Z",
    "+12:30+01:00",
    "+0001-00-00",
    "-0001-00-00",
    "+0000-01-00",
    "-0000-01-00",
    "+0000-00-30",
    "+0000-00-31",
    "+0000-12-00",
    "+0001-02-03 04:05",
    "-0001-02-03 04:05:06.789",
    "+0001-02-03 4:05",
    "+0001-02-03T04:05",
    "+10000-00-00",
    "+14712-00-00",
    "0001-00-00",
    "start of day",
    "start of month",
    "start of year",
    "START OF YEAR",
    "start of week",
    "start of  day",
    "end of day",
    "end of month",
    "end of year",
    "end of week",
    "weekday 0",
    "weekday 1",
    "weekday 6",
    "weekday 7",
    "weekday -0",
    "weekday -3",
    "weekday 2.0",
    "weekday 2.5",
    "weekday  4",
    "weekday 4 ",
    "weekday",
    "unixepoch",
    "julianday",
    "auto",
    "AUTO",
    "utc",
    "localtime",
    "subsec",
    "subsecond",
    "SubSec",
    "ceiling",
    "floor",
    "",
    "garbage",
    "1",
    "1.5",
];

/// A subset of modifiers used for pairs and triples.
const MOD_CORE: &[&str] = &[
    "+1 month",
    "-1 month",
    "+1 year",
    "-1 year",
    "+13 months",
    "floor",
    "ceiling",
    "start of month",
    "end of month",
    "start of year",
    "end of year",
    "weekday 0",
    "weekday -2",
    "+12:00",
    "-0001-01-30",
    "+0000-01-00",
    "subsec",
    "unixepoch",
    "auto",
    "julianday",
    "+1.5 days",
    "-36 hours",
    "localtime",
    "utc",
];

const FORMATS: &[&str] = &[
    "%d",
    "%e",
    "%f",
    "%F",
    "%H",
    "%I",
    "%j",
    "%J",
    "%k",
    "%l",
    "%m",
    "%M",
    "%p",
    "%P",
    "%R",
    "%s",
    "%S",
    "%T",
    "%u",
    "%w",
    "%W",
    "%U",
    "%V",
    "%G",
    "%g",
    "%Y",
    "%%",
    "%",
    "%x",
    "%C",
    "abc",
    "",
    "%Y-%m-%dT%H:%M:%f",
    "week %V of %G (%g), day %u/%w, %U %W",
    "%j %J %s",
    "%I:%M %p %l %P",
    "%%%Y%%",
    "é%Y→%m",
    "%Y\u{0}%m",
];

fn time_values() -> Vec<Value> {
    let mut v: Vec<Value> = TIME_TEXTS.iter().map(|s| t(s)).collect();
    v.extend(
        [0i64, 1, 2_451_545, 2_460_000, 5_373_484, 5_373_485, -1, 1_700_000_000, 253_402_300_799, -210_866_760_000]
            .map(Value::Integer),
    );
    v.extend(
        [0.0, 0.5, 2_451_545.0, 2_451_544.5, 2_451_545.123_456_789, 5_373_484.499_999_9, -0.5, 1.7e9, 1.5e300, -1e-300]
            .map(Value::Real),
    );
    v.push(Value::Null);
    v.push(Value::Blob(b"2000-01-01 12:00".to_vec()));
    v.push(Value::Blob(b"2000-01-01\x00junk".to_vec()));
    v.push(t("2000-01-01\u{0}junk"));
    v
}

/// One random time value text built from plausible and implausible pieces.
fn random_time_text(r: &mut Rng) -> String {
    let year = match r.below(6) {
        0 => r.pick(&[0, 1, 4, 100, 1582, 1600, 1900, 1970, 2000, 2024, 2038, 2100, 4000, 9999]),
        1 => r.below(10000) as i64,
        _ => 1800 + r.below(400) as i64,
    };
    let mut s = String::new();
    if r.chance(5) {
        s.push('-');
    }
    s += &format!("{year:04}-{:02}-{:02}", r.below(14), r.below(33));
    if r.chance(80) {
        s.push_str(r.pick(&[" ", "T", "  ", " T "]));
        s += &format!("{:02}:{:02}", r.below(26), r.below(61));
        if r.chance(70) {
            s += &format!(":{:02}", r.below(61));
            if r.chance(50) {
                let digits = 1 + r.below(7);
                let frac: String = (0..digits).map(|_| char::from(b'0' + r.below(10) as u8)).collect();
                s += &format!(".{frac}");
            }
        }
        if r.chance(20) {
            s.push_str(r.pick(&["Z", "z", " Z", "+00:00", "-00:00"]));
            if r.chance(30) {
                s.clear();
                s += &format!("{year:04}-{:02}-{:02} 10:00", 1 + r.below(12), 1 + r.below(28));
                s += &format!("{}{:02}:{:02}", r.pick(&["+", "-"]), r.below(16), r.below(61));
            }
        }
    }
    if r.chance(3) {
        s.push_str(r.pick(&["x", " ", ".", ":"]));
    }
    s
}

/// One random modifier.
fn random_modifier(r: &mut Rng) -> String {
    let sign = r.pick(&["+", "-", ""]);
    match r.below(9) {
        0..=2 => {
            let amount = match r.below(4) {
                0 => format!("{}", r.below(40)),
                1 => format!("{}.{}", r.below(30), r.below(1000)),
                2 => format!("{}", r.below(200_000)),
                _ => format!("{}e{}", r.below(9), r.below(4)),
            };
            let unit = r.pick(&["day", "hour", "minute", "second", "month", "year"]);
            let plural = if r.chance(50) { "s" } else { "" };
            let unit = if r.chance(10) { unit.to_ascii_uppercase() } else { unit.to_string() };
            format!("{sign}{amount} {unit}{plural}")
        }
        3 => {
            let mut s = format!("{sign}{:02}:{:02}", r.below(26), r.below(61));
            if r.chance(60) {
                s += &format!(":{:02}", r.below(61));
                if r.chance(50) {
                    s += &format!(".{}", r.below(100_000));
                }
            }
            s
        }
        4 => {
            let mut s = format!("{sign}{:04}-{:02}-{:02}", r.below(30), r.below(13), r.below(32));
            if r.chance(40) {
                s += &format!(" {:02}:{:02}", r.below(25), r.below(60));
                if r.chance(50) {
                    s += &format!(":{:02}.{:03}", r.below(60), r.below(1000));
                }
            }
            s
        }
        5 => format!("weekday {}{}", sign, r.below(8)),
        6 => r.pick(&["start of ", "end of "]).to_string() + r.pick(&["day", "month", "year"]),
        _ => r.pick(MOD_CORE).to_string(),
    }
}

fn date_funcs() -> [&'static str; 5] {
    ["date", "time", "datetime", "julianday", "unixepoch"]
}

/// Whether a case may be compared exactly given SQLite's local zone.
fn comparable(args: &[Value], zone_utc: bool) -> bool {
    zone_utc
        || !args.iter().any(
            |a| matches!(a, Value::Text(s) if s.eq_ignore_ascii_case("localtime") || s.eq_ignore_ascii_case("utc")),
        )
}

#[test]
fn single_modifiers_against_sqlite() {
    let zone_utc = sqlite_zone_is_utc();
    let mut tally = Tally::default();
    for tv in time_values() {
        for f in date_funcs() {
            tally.check(f, std::slice::from_ref(&tv));
            for m in MODIFIERS {
                let args = [tv.clone(), t(m)];
                if comparable(&args, zone_utc) {
                    tally.check(f, &args);
                }
            }
        }
    }
    tally.finish("single modifiers");
}

#[test]
fn modifier_pairs_against_sqlite() {
    let zone_utc = sqlite_zone_is_utc();
    let mut tally = Tally::default();
    let bases = ["2024-01-31 10:20:30.456", "2023-03-31", "2000-02-29 23:59:59.999", "0000-01-01", "9999-12-31"];
    let mut bases: Vec<Value> = bases.iter().map(|s| t(s)).collect();
    bases.extend([Value::Integer(1_700_000_000), Value::Real(2_451_545.5), Value::Real(-3.25)]);
    for tv in &bases {
        for a in MOD_CORE {
            for b in MOD_CORE {
                let args = [tv.clone(), t(a), t(b)];
                if comparable(&args, zone_utc) {
                    tally.check("datetime", &args);
                    tally.check("julianday", &args);
                }
            }
        }
    }
    tally.finish("modifier pairs");
}

#[test]
fn strftime_against_sqlite() {
    let zone_utc = sqlite_zone_is_utc();
    let mut tally = Tally::default();
    let mods = ["", "subsec", "+1 month", "floor", "weekday 0", "start of year", "-1 day", "unixepoch"];
    for fmt in FORMATS {
        for tv in time_values() {
            for m in mods {
                let mut args = vec![t(fmt), tv.clone()];
                if !m.is_empty() {
                    args.push(t(m));
                }
                if comparable(&args, zone_utc) {
                    tally.check("strftime", &args);
                }
            }
        }
    }
    // Every day of a few years, for the week-number conversions.
    for day in 0..(366 * 3) {
        let args = [t("%Y-%m-%d %j %U %W %V %G %g %u %w"), t("2020-12-20"), t(&format!("+{day} days"))];
        tally.check("strftime", &args);
    }
    tally.check("strftime", &[]);
    tally.check("strftime", &[Value::Null, t("2000-01-01")]);
    tally.check("strftime", &[Value::Integer(5), t("2000-01-01")]);
    tally.check("strftime", &[t("%Y"), Value::Null]);
    tally.check("strftime", &[t("%Y"), t("2000-01-01"), Value::Null]);
    tally.finish("strftime");
}

#[test]
fn timediff_against_sqlite() {
    let mut tally = Tally::default();
    let vals = time_values();
    let extra = [
        "2024-01-31",
        "2024-02-29",
        "2024-03-01",
        "2023-02-28 12:00",
        "2023-03-31 23:59:59.999",
        "2000-01-01",
        "1999-12-31 23:59:59.5",
        "0000-01-01",
        "9999-12-31 23:59:59.999",
        "-4713-11-24 12:00",
    ];
    let mut all: Vec<Value> = vals.into_iter().step_by(3).collect();
    all.extend(extra.iter().map(|s| t(s)));
    for a in &all {
        for b in &all {
            tally.check("timediff", &[a.clone(), b.clone()]);
        }
    }
    for n in [0usize, 1, 3] {
        tally.check("timediff", &vec![t("2000-01-01"); n]);
    }
    tally.finish("timediff");
}

#[test]
fn random_combinations_against_sqlite() {
    let zone_utc = sqlite_zone_is_utc();
    let mut tally = Tally::default();
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..40_000 {
        let tv = match r.below(10) {
            0 => Value::Real((r.below(6_000_000) as f64) + (r.below(1000) as f64) / 1000.0),
            1 => Value::Integer(r.below(300_000_000_000) as i64 - 100_000_000_000),
            2 => t(r.pick(TIME_TEXTS)),
            _ => t(&random_time_text(&mut r)),
        };
        let mut args = vec![tv];
        for _ in 0..r.below(4) {
            args.push(t(&random_modifier(&mut r)));
        }
        if !comparable(&args, zone_utc) {
            continue;
        }
        let f = r.pick(&["date", "time", "datetime", "julianday", "unixepoch", "strftime"]);
        if f == "strftime" {
            args.insert(0, t(r.pick(FORMATS)));
        }
        tally.check(f, &args);
        if r.chance(20) {
            let b = t(&random_time_text(&mut r));
            tally.check("timediff", &[args[if f == "strftime" { 1 } else { 0 }].clone(), b]);
        }
    }
    tally.finish("random combinations");
}

#[test]
fn now_matches_the_same_instant_given_as_unix_time() {
    let mut tally = Tally::default();
    let mut r = Rng(42);
    let mods = ["", "+1 month", "start of day", "weekday 3", "subsec", "end of year", "-0001-02-03 04:05", "floor"];
    for _ in 0..300 {
        let now = r.below(250_000_000_000_000) as i64;
        let secs = Value::Real(now as f64 / 1000.0);
        for f in date_funcs() {
            for m in mods {
                let mut ours = vec![t(if r.chance(50) { "now" } else { "NOW" })];
                let mut params = vec![secs.clone()];
                let mut sql = format!("SELECT {f}(?1, 'unixepoch'");
                if !m.is_empty() {
                    ours.push(t(m));
                    params.push(t(m));
                    sql += ", ?2";
                }
                sql += ")";
                tally.check_sql(f, &ours, now, &sql, &params);
            }
        }
        for (f, g) in [("current_date", "date"), ("current_time", "time"), ("current_timestamp", "datetime")] {
            tally.check_sql(f, &[], now, &format!("SELECT {g}(?1, 'unixepoch')"), std::slice::from_ref(&secs));
            tally.check_sql(g, &[], now, &format!("SELECT {g}(?1, 'unixepoch')"), std::slice::from_ref(&secs));
        }
        tally.check_sql(
            "datetime",
            &[t("subsec")],
            now,
            "SELECT datetime(?1, 'unixepoch', 'subsec')",
            std::slice::from_ref(&secs),
        );
        tally.check_sql("strftime", &[t("%s %f")], now, "SELECT strftime('%s %f', ?1, 'unixepoch')", &[secs]);
    }
    tally.finish("now");
}

#[test]
fn keyword_functions_reject_arguments_like_sqlite() {
    let mut tally = Tally::default();
    // Unquoted, these names are keywords in SQLite; quoted they reach the functions.
    for f in ["current_date", "current_time", "current_timestamp"] {
        let args = [t("2000-01-01")];
        tally.check_sql(f, &args, 0, &format!("SELECT \"{f}\"(?1)"), &args);
    }
    tally.finish("keyword arity");
    assert!(call("CURRENT_DATE", &[], 0).is_some());
    assert!(call("current_dates", &[], 0).is_none());
    assert!(call("abs", &[Value::Integer(1)], 0).is_none());
}

#[test]
fn wall_clock_is_close_to_sqlite_now() {
    let ours = call("unixepoch", &[t("now"), t("subsec")], wall_clock_ms());
    let theirs = sqlite_eval("SELECT unixepoch('now', 'subsec')", &[]);
    let (Some(Ok(Value::Real(a))), Ok(Value::Real(b))) = (ours, theirs) else { panic!("unexpected result shapes") };
    assert!((a - b).abs() < 5.0, "ours {a} vs sqlite {b}");
    // 'now' shapes: a date, a time and a timestamp of the right form.
    let now = wall_clock_ms();
    let shape = |f: &str| match call(f, &[], now) {
        Some(Ok(Value::Text(s))) => s.bytes().map(|c| if c.is_ascii_digit() { b'9' } else { c }).collect::<Vec<u8>>(),
        other => panic!("{f}: {other:?}"),
    };
    assert_eq!(shape("current_date"), b"9999-99-99");
    assert_eq!(shape("current_time"), b"99:99:99");
    assert_eq!(shape("current_timestamp"), b"9999-99-99 99:99:99");
}

#[test]
fn localtime_round_trips() {
    // Independent of SQLite's zone: with the local zone taken as UTC both
    // conversions are the identity within the supported range.
    for d in ["1969-12-31 23:59:59", "2000-02-29 12:00:00", "2050-06-30 01:02:03", "0100-03-01 00:00:00"] {
        for m in ["localtime", "utc"] {
            assert_eq!(call("datetime", &[t(d), t(m)], 0), Some(Ok(t(d))), "{d} {m}");
        }
    }
}

#[test]
fn quirks_against_sqlite() {
    let zone_utc = sqlite_zone_is_utc();
    eprintln!("sqlite local zone is UTC: {zone_utc}");
    let mut tally = Tally::default();
    let long_fraction = format!("2000-01-01 00:00:00.{}", "9".repeat(400));
    let many_days: Vec<Value> =
        std::iter::once(t("2000-01-01")).chain(std::iter::repeat_n(t("+5373484 days"), 40)).collect();
    let cases: Vec<Vec<Value>> = vec![
        vec![t(&long_fraction)],
        vec![t(&long_fraction), t("subsec")],
        vec![t("12:00"), t(&format!("+00:00:00.{}", "5".repeat(350)))],
        vec![t("2000-01-01"), t("+10000 years"), t("localtime")],
        vec![Value::Integer(-1), t("localtime")],
        vec![t("2000-01-01"), t("-3000000 days"), t("localtime"), t("subsec")],
        vec![t("1900-02-31"), t("localtime")],
        vec![t("1900-02-31"), t("subsec")],
        vec![t("2023-02-31"), t("floor"), t("floor")],
        vec![t("2023-01-31"), t("+1 month"), t("floor"), t("floor")],
        vec![t("2023-01-31"), t("+1 month"), t("ceiling"), t("floor")],
        vec![t("2023-01-31"), t("subsec"), t("utc")],
        vec![t("2023-01-31 10:00:00.123"), t("subsec"), t("localtime"), t("utc")],
        vec![t("0000-01-01"), t("weekday 1")],
        vec![t("9999-12-31"), t("weekday 6")],
        vec![Value::Real(1e9), t("start of day")],
        vec![Value::Real(1e9), t("unixepoch"), t("auto")],
        vec![Value::Real(1e9), t("auto"), t("unixepoch")],
        vec![Value::Real(2451545.0), t("+1 day"), t("julianday")],
        vec![Value::Real(2451545.0), t("julianday"), t("+1 day")],
        vec![t("2451545"), t("julianday")],
        vec![t("2000-01-01"), t("julianday")],
        vec![t("1e9"), t("unixepoch")],
        vec![t("-1e12"), t("auto")],
        vec![t("-210866760000"), t("auto")],
        vec![t("-210866760001"), t("auto")],
        vec![t("253402300799.9995"), t("unixepoch")],
        vec![t("2000-01-01"), t("+1.99999999 months")],
        vec![t("2000-01-01"), t("-176545.9 months")],
        vec![t("2000-01-01"), t("+176546 months")],
        vec![t("2000-01-01"), t("+5373484.9 days")],
        vec![t("2000-01-01"), t("+5373485 days")],
        vec![t("2000-01-01"), t("+464269060799 seconds")],
        vec![t("2000-01-01"), t("-14712.5 years")],
        vec![t("2000-01-01"), t("+0x10 days")],
        vec![t("2000-01-01"), t("+1_0 days")],
        vec![t("2000-01-01"), t("+.5 days")],
        vec![t("2000-01-01"), t("+5. days")],
        vec![t("2000-01-01"), t("\t+1 day")],
        vec![t("2000-01-01"), t("+1\tday")],
        vec![t("2000-01-01"), t("+1 day\u{0}junk")],
        vec![t("2000-01-01"), Value::Integer(1)],
        vec![t("2000-01-01"), Value::Real(1.5)],
        vec![t("2000-01-01"), Value::Blob(b"+1 day".to_vec())],
        vec![t("2000-01-01"), Value::Blob(vec![0xff, 0xfe])],
        vec![Value::Blob(vec![0x32, 0xff])],
        vec![t("2000-01-01"), t("weekday 1e0")],
        vec![t("2000-01-01"), t("weekday -6")],
        vec![t("2000-01-01"), t("weekday -7")],
        vec![t("2000-01-01"), t("weekday 0x1")],
        vec![t("2000-01-01"), t("+01:00:00.5")],
        vec![t("2000-01-01"), t("-24:00")],
        vec![t("2000-01-01"), t("+00:00 ")],
        vec![t("2000-01-01"), t("+99999-00-00")],
        vec![t("2000-01-01"), t("+1234-5 days")],
        vec![t("2000-01-01"), t("+0001-01-01 25:00")],
        vec![t("2000-01-01"), t("+0001-01-01 24:00")],
        vec![t("2000-01-01"), t("+0001-01-01 12:00:00Z")],
        vec![t("2000-01-01"), t("+0001-01-01  12:00")],
        vec![t("-0000-01-01")],
        vec![t("-0001-01-01"), t("start of year")],
        vec![t("-4713-11-24 12:00"), t("-1 second")],
        vec![t("-4713-11-24 12:00"), t("end of month")],
        vec![t("9999-12-31"), t("end of month")],
        vec![t("9999-12-31"), t("end of year"), t("+1 second")],
        vec![t("2000-01-01 24:00"), t("+24:00")],
        many_days,
    ];
    for args in &cases {
        if !comparable(args, zone_utc) {
            continue;
        }
        for f in ["date", "time", "datetime", "julianday", "unixepoch"] {
            tally.check(f, args);
        }
        let mut with_fmt = vec![t("%Y-%m-%d %H:%M:%f %j %J %s %V %G %U %W")];
        with_fmt.extend(args.iter().cloned());
        tally.check("strftime", &with_fmt);
        if let [a] = args.as_slice() {
            tally.check("timediff", &[a.clone(), t("2000-01-01")]);
            tally.check("timediff", &[t("2000-01-01"), a.clone()]);
        }
    }
    // Random byte soup as time values and modifiers.
    let mut r = Rng(7);
    let alphabet = b"0123456789-+:. TZzsaedmonthyrweklcuif\t";
    for _ in 0..4000 {
        let len = r.below(22) as usize;
        let soup: String = (0..len).map(|_| char::from(r.pick(alphabet))).collect();
        tally.check("datetime", &[t(&soup)]);
        tally.check("datetime", &[t("2024-03-31 12:34:56.789"), t(&soup)]);
        tally.check("strftime", &[t(&format!("%{soup}")), t("2024-03-31")]);
    }
    tally.finish("quirks");
}

#[test]
fn sql_statements_use_the_date_functions() {
    let mut ours = crate::Connection::open_in_memory().expect("open dosql");
    let lite = rusqlite::Connection::open_in_memory().expect("open sqlite");
    let setup = [
        "CREATE TABLE ev(id INTEGER PRIMARY KEY, at TEXT, secs INTEGER)",
        "INSERT INTO ev(at, secs) VALUES ('2024-01-31 08:00:00', 1700000000), ('2023-02-28', 0), (NULL, -1)",
    ];
    for sql in setup {
        ours.execute(sql).expect("dosql setup");
        lite.execute(sql, []).expect("sqlite setup");
    }
    let queries = [
        "SELECT id, date(at, '+1 month'), date(at, '+1 month', 'floor'), strftime('%j %W', at) FROM ev ORDER BY id",
        "SELECT id, datetime(secs, 'unixepoch'), unixepoch(at), julianday(at) FROM ev ORDER BY id",
        "SELECT id, timediff(at, '2000-01-01'), time(at, '+90 minutes', 'subsec') FROM ev ORDER BY id",
        "SELECT count(*) FROM ev WHERE date(at) < '2024-01-01'",
    ];
    for sql in queries {
        let got = ours.query(sql).expect("dosql query").rows;
        let mut stmt = lite.prepare(sql).expect("sqlite prepare");
        let n = stmt.column_count();
        let want: Vec<Vec<Value>> = stmt
            .query_map([], |row| {
                Ok((0..n)
                    .map(|i| match row.get_ref(i) {
                        Ok(rusqlite::types::ValueRef::Integer(v)) => Value::Integer(v),
                        Ok(rusqlite::types::ValueRef::Real(v)) => Value::Real(v),
                        Ok(rusqlite::types::ValueRef::Text(v)) => t(&String::from_utf8_lossy(v)),
                        _ => Value::Null,
                    })
                    .collect())
            })
            .expect("sqlite query")
            .collect::<Result<_, _>>()
            .expect("sqlite rows");
        assert_eq!(got, want, "{sql}");
    }
    // The keywords evaluate to the current date and time.
    let row = ours.query("SELECT CURRENT_DATE, CURRENT_TIME, CURRENT_TIMESTAMP").expect("keywords").rows;
    let [row] = row.as_slice() else { panic!("one row expected") };
    let [Value::Text(d), Value::Text(tm), Value::Text(ts)] = row.as_slice() else { panic!("three texts: {row:?}") };
    assert_eq!((d.len(), tm.len(), ts.len()), (10, 8, 19));
    let today: String = lite.query_row("SELECT date('now')", [], |r| r.get(0)).expect("sqlite now");
    // Ours was read first, so it may only be earlier if the test straddled midnight.
    assert!(d.as_str() <= today.as_str() && ts.starts_with(d.as_str()), "{d} {ts} vs {today}");
}

mod prop {
    use super::{MOD_CORE, MODIFIERS, TIME_TEXTS, Tally, comparable, sqlite_zone_is_utc, t};
    use crate::func::value_tests::arb_value;
    use crate::value::Value;
    use proptest::prelude::*;

    /// Time values: arbitrary SQL values or date-like text.
    fn arb_time() -> impl Strategy<Value = Value> {
        prop_oneof![
            arb_value(),
            proptest::sample::select(TIME_TEXTS).prop_map(t),
            "-?[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,5})?)?)?([+-][0-9]{2}:[0-9]{2}|Z)?"
                .prop_map(Value::Text),
            (0f64..5_400_000.0).prop_map(Value::Real),
        ]
    }

    /// Modifiers: arbitrary SQL values, listed modifiers or modifier-like text.
    fn arb_modifier() -> impl Strategy<Value = Value> {
        prop_oneof![
            arb_value(),
            proptest::sample::select(MODIFIERS).prop_map(t),
            proptest::sample::select(MOD_CORE).prop_map(t),
            "[+-]?[0-9]{1,6}(\\.[0-9]{1,4})? (day|hour|minute|second|month|year)s?".prop_map(Value::Text),
            "[+-][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,4})?)?".prop_map(Value::Text),
            "[+-][0-9]{4,5}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2})?".prop_map(Value::Text),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, .. ProptestConfig::default() })]

        #[test]
        fn prop_date_functions(tv in arb_time(), mods in proptest::collection::vec(arb_modifier(), 0..3),
                               fmt in "[%a-zA-Z :.-]{0,6}", other in arb_time()) {
            let mut tally = Tally::default();
            let mut args = vec![tv.clone()];
            args.extend(mods);
            prop_assume!(comparable(&args, sqlite_zone_is_utc()));
            for f in ["date", "time", "datetime", "julianday", "unixepoch"] {
                tally.check(f, &args);
            }
            let mut with_fmt = vec![t(&fmt)];
            with_fmt.extend(args.iter().cloned());
            tally.check("strftime", &with_fmt);
            tally.check("timediff", &[tv, other]);
            prop_assert!(tally.fails.is_empty(), "{}", tally.fails.join("\n"));
        }
    }
}
