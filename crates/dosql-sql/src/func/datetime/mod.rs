//! SQLite's date and time functions.
//!
//! [`call`] evaluates `date`, `time`, `datetime`, `julianday`, `unixepoch`,
//! `strftime`, `timediff` and the zero-argument `current_date`,
//! `current_time` and `current_timestamp` (the parser turns the
//! `CURRENT_DATE`/`CURRENT_TIME`/`CURRENT_TIMESTAMP` keywords into calls of
//! these).  The behaviour, including which inputs give NULL, follows SQLite
//! 3.54 (<https://sqlite.org/lang_datefunc.html>): time values may be
//! `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.SSS]]` (space or `T` separator),
//! `HH:MM[:SS[.SSS]]`, any of these with a `[+-]HH:MM` or `Z` suffix, `now`,
//! or a number (a julian day, or a unix time with the `unixepoch`/`auto`
//! modifiers).  Submodules: `moment` (the internal state and time-value
//! parsing), `modifier` (the modifiers) and `strftime` (format rendering).
//!
//! The current time is injected as `now_unix_ms`; SQLite uses one clock
//! reading per statement, which callers get by passing the same value for
//! every call of a statement.
//!
//! Known deviations from SQLite:
//! - The local time zone is always UTC: `localtime` and `utc` behave as SQLite
//!   does on a machine whose zone is UTC (no time-zone database is read).
//! - SQLite refuses `now`, `localtime`, `utc` and `subsec` in CHECK
//!   constraints, index expressions and generated columns ("non-deterministic
//!   use of ..."); this module has no such context and always allows them.

mod modifier;
mod moment;
mod strftime;

#[cfg(test)]
mod tests;

use moment::{DAY_MS, Moment, UNIX_EPOCH_JD_MS, trunc_i32, valid_jd};

use crate::func::scalar::text_from_bytes;
use crate::func::wrong_args;
use crate::value::Value;

/// Milliseconds since 1970-01-01 00:00:00 UTC according to the system clock
/// (0 if the clock reads earlier than that).
pub fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Evaluate the date/time function `name` (ASCII case-insensitive) on `args`,
/// with `now_unix_ms` as the current time in milliseconds since the unix epoch.
///
/// Returns `None` if `name` is not a date/time function, `Some(Err(msg))` for
/// a wrong argument count (SQLite's wording), and otherwise the result, which
/// is NULL wherever SQLite gives NULL (bad time value, bad modifier, value out
/// of the years 0000..9999, NULL argument).
pub fn call(name: &str, args: &[Value], now_unix_ms: i64) -> Option<Result<Value, String>> {
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    let out = if is("date") {
        evaluate(args, now_unix_ms).map(|mut x| render_date(&mut x))
    } else if is("time") {
        evaluate(args, now_unix_ms).map(|mut x| render_time(&mut x))
    } else if is("datetime") {
        evaluate(args, now_unix_ms).map(|mut x| render_datetime(&mut x))
    } else if is("julianday") {
        evaluate(args, now_unix_ms).map(|x| Value::Real(x.jd as f64 / DAY_MS as f64))
    } else if is("unixepoch") {
        evaluate(args, now_unix_ms).map(|x| unix_value(&x))
    } else if is("strftime") {
        strftime_func(args, now_unix_ms)
    } else if is("timediff") {
        let [a, b] = args else { return Some(Err(wrong_args("timediff"))) };
        timediff(a, b, now_unix_ms)
    } else {
        let render: fn(&mut Moment) -> Value = if is("current_date") {
            render_date
        } else if is("current_time") {
            render_time
        } else if is("current_timestamp") {
            render_datetime
        } else {
            return None;
        };
        if !args.is_empty() {
            return Some(Err(wrong_args(&name.to_ascii_lowercase())));
        }
        evaluate(&[], now_unix_ms).map(|mut x| render(&mut x))
    };
    Some(Ok(out.unwrap_or(Value::Null)))
}

/// The text of an argument as SQLite's C code sees it: `None` for NULL, and
/// cut at the first NUL byte.
fn c_text(v: &Value) -> Option<Vec<u8>> {
    if v.is_null() {
        return None;
    }
    let mut b = v.to_text_bytes();
    if let Some(end) = b.iter().position(|&c| c == 0) {
        b.truncate(end);
    }
    Some(b)
}

/// Interpret a time value and its modifiers (`now` if there are no arguments).
/// `None` means the result is NULL.
fn evaluate(args: &[Value], now_unix_ms: i64) -> Option<Moment> {
    let mut p = Moment::default();
    match args.first() {
        None => {
            if !p.set_now(now_unix_ms) {
                return None;
            }
        }
        Some(Value::Integer(i)) => p.set_raw_number(*i as f64),
        Some(Value::Real(r)) => p.set_raw_number(*r),
        Some(v) => {
            if !moment::parse_time_value(&c_text(v)?, &mut p, now_unix_ms) {
                return None;
            }
        }
    }
    for (idx, m) in args.iter().enumerate().skip(1) {
        if !modifier::apply(&c_text(m)?, &mut p, idx) {
            return None;
        }
    }
    p.compute_jd();
    if p.error || !valid_jd(p.jd) {
        return None;
    }
    // A lone date such as 2023-02-31 is shown normalised (2023-03-03).
    if args.len() == 1 && p.has_ymd && p.day > 28 {
        p.has_ymd = false;
    }
    Some(p)
}

/// ASCII digit for `v` in 0..=9 as C's `'0' + v` (other values give other ASCII bytes).
fn digit(v: i64) -> u8 {
    u8::try_from(48 + v.clamp(-48, 79)).unwrap_or(b'?')
}

/// `YYYY-MM-DD` (with a leading `-` for negative years) into `out`.
fn push_date(out: &mut Vec<u8>, x: &Moment) {
    if x.year < 0 {
        out.push(b'-');
    }
    let y = x.year.abs();
    out.extend([digit((y / 1000) % 10), digit((y / 100) % 10), digit((y / 10) % 10), digit(y % 10), b'-']);
    out.extend([digit((x.month / 10) % 10), digit(x.month % 10), b'-', digit((x.day / 10) % 10), digit(x.day % 10)]);
}

/// `HH:MM:SS` or, with `subsec`, `HH:MM:SS.SSS` into `out`.
fn push_time(out: &mut Vec<u8>, x: &Moment) {
    out.extend([digit((x.hour / 10) % 10), digit(x.hour % 10), b':']);
    out.extend([digit((x.minute / 10) % 10), digit(x.minute % 10), b':']);
    if x.subsec {
        let s = trunc_i32(1000.0 * x.sec + 0.5);
        out.extend([digit((s / 10000) % 10), digit((s / 1000) % 10), b'.']);
        out.extend([digit((s / 100) % 10), digit((s / 10) % 10), digit(s % 10)]);
    } else {
        let s = trunc_i32(x.sec);
        out.extend([digit((s / 10) % 10), digit(s % 10)]);
    }
}

/// `date()` output.
fn render_date(x: &mut Moment) -> Value {
    x.compute_ymd();
    let mut out = Vec::with_capacity(11);
    push_date(&mut out, x);
    text_from_bytes(out)
}

/// `time()` output.
fn render_time(x: &mut Moment) -> Value {
    x.compute_hms();
    let mut out = Vec::with_capacity(12);
    push_time(&mut out, x);
    text_from_bytes(out)
}

/// `datetime()` output.
fn render_datetime(x: &mut Moment) -> Value {
    x.compute_ymd_hms();
    let mut out = Vec::with_capacity(24);
    push_date(&mut out, x);
    out.push(b' ');
    push_time(&mut out, x);
    text_from_bytes(out)
}

/// `unixepoch()` output: INTEGER seconds, or REAL with `subsec`.
fn unix_value(x: &Moment) -> Value {
    if x.subsec {
        Value::Real(x.jd.wrapping_sub(UNIX_EPOCH_JD_MS) as f64 / 1000.0)
    } else {
        Value::Integer(x.jd / 1000 - UNIX_EPOCH_JD_MS / 1000)
    }
}

/// `strftime(FORMAT, ...)`; NULL without a format, for a NULL format or an unknown conversion.
fn strftime_func(args: &[Value], now_unix_ms: i64) -> Option<Value> {
    let (fmt, rest) = args.split_first()?;
    let fmt = c_text(fmt)?;
    let mut x = evaluate(rest, now_unix_ms)?;
    strftime::format(&fmt, &mut x).map(text_from_bytes)
}

/// `timediff(A, B)`: `±YYYY-MM-DD HH:MM:SS.SSS` such that B plus it gives A.
fn timediff(a: &Value, b: &Value, now_unix_ms: i64) -> Option<Value> {
    let mut d1 = evaluate(std::slice::from_ref(a), now_unix_ms)?;
    let mut d2 = evaluate(std::slice::from_ref(b), now_unix_ms)?;
    d1.compute_ymd_hms();
    d2.compute_ymd_hms();
    // Move d2 to d1's year and month, then step back (or forward) whole months
    // while it overshoots; the remainder is below one month.  SQLite's loops
    // always end within a few steps; the cap only guards against surprises.
    let forward = d1.jd >= d2.jd;
    let (mut years, mut months) =
        if forward { (d1.year - d2.year, d1.month - d2.month) } else { (d2.year - d1.year, d2.month - d1.month) };
    if years != 0 {
        d2.year = d1.year;
        d2.has_jd = false;
        d2.compute_jd();
    }
    if months < 0 {
        years -= 1;
        months += 12;
    }
    if months != 0 {
        d2.month = d1.month;
        d2.has_jd = false;
        d2.compute_jd();
    }
    let mut steps = 0;
    while (if forward { d1.jd < d2.jd } else { d1.jd > d2.jd }) && steps < 1000 {
        steps += 1;
        months -= 1;
        if months < 0 {
            months = 11;
            years -= 1;
        }
        if forward {
            d2.month -= 1;
            if d2.month < 1 {
                d2.month = 12;
                d2.year -= 1;
            }
        } else {
            d2.month += 1;
            if d2.month > 12 {
                d2.month = 1;
                d2.year += 1;
            }
        }
        d2.has_jd = false;
        d2.compute_jd();
    }
    let span = if forward { d1.jd.wrapping_sub(d2.jd) } else { d2.jd.wrapping_sub(d1.jd) };
    // Render the remainder as an offset from 0000-01-01 00:00:00.
    let mut r = Moment { jd: span.wrapping_add(148_699_540_800_000), has_jd: true, ..Moment::default() };
    r.compute_ymd_hms();
    let mut out = format!(
        "{}{:04}-{:02}-{:02} {:02}:{:02}:",
        if forward { '+' } else { '-' },
        years,
        months,
        r.day - 1,
        r.hour,
        r.minute
    )
    .into_bytes();
    out.extend(strftime::printf_real("%06.3f", r.sec));
    Some(text_from_bytes(out))
}
