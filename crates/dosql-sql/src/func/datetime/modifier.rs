//! Date/time modifiers: the arguments after the time value.
//!
//! [`apply`] implements every modifier of SQLite 3.54: `NNN days|hours|minutes|
//! seconds|months|years`, `±HH:MM[:SS[.SSS]]`, `±YYYY-MM-DD[ HH:MM[:SS[.SSS]]]`,
//! `start of day|month|year`, `end of day|month|year`, `weekday [-]N`,
//! `unixepoch`, `julianday`, `auto`, `localtime`, `utc`, `subsec`/`subsecond`,
//! `ceiling` and `floor`.  Matching is ASCII case-insensitive.  Month and year
//! arithmetic leaves an overflowing day of month in place ("ceiling", which
//! rolls into the next month) and remembers the overflow so that a later
//! `floor` can move back to the end of the month instead.
//!
//! `localtime` and `utc` take the local time zone to be UTC.

use super::moment::{DAY_MS, Moment, UNIX_EPOCH_JD_MS, byte_at, digits_at, parse_hms, tail, trunc_i32, trunc_i64};
use crate::func::num::{atof, is_space, real_same_as_int};

/// A `NNN unit` modifier: name, exclusive magnitude limit and seconds per unit.
struct Unit {
    name: &'static [u8],
    /// SQLite stores the limits as C `float`s; they are compared after widening.
    limit: f32,
    seconds: f64,
}

const UNITS: [Unit; 6] = [
    Unit { name: b"second", limit: 4.6427e14, seconds: 1.0 },
    Unit { name: b"minute", limit: 7.7379e12, seconds: 60.0 },
    Unit { name: b"hour", limit: 1.2897e11, seconds: 3600.0 },
    Unit { name: b"day", limit: 5_373_485.0, seconds: 86400.0 },
    Unit { name: b"month", limit: 176_546.0, seconds: 2_592_000.0 },
    Unit { name: b"year", limit: 14713.0, seconds: 31_536_000.0 },
];

/// Bring a month number back into 1..=12, carrying whole years.
fn normalize_month(p: &mut Moment) {
    let carry = if p.month > 0 { (p.month - 1) / 12 } else { (p.month - 12) / 12 };
    p.year += carry;
    p.month -= carry * 12;
}

/// Apply modifier `z` (the `idx`-th argument after the time value, from 1) to `p`.
/// Returns false if the modifier is unknown or not applicable (the result is then NULL).
pub(super) fn apply(z: &[u8], p: &mut Moment, idx: usize) -> bool {
    let lower = z.to_ascii_lowercase();
    match byte_at(z, 0).to_ascii_lowercase() {
        b'a' if lower == b"auto" => {
            if idx > 1 {
                return false;
            }
            auto_adjust(p);
            true
        }
        b'c' if lower == b"ceiling" => {
            p.compute_jd();
            p.clear_ymd_hms_tz();
            p.overflow_days = 0;
            true
        }
        b'f' if lower == b"floor" => {
            p.compute_jd();
            p.jd = p.jd.wrapping_sub(p.overflow_days * DAY_MS);
            p.clear_ymd_hms_tz();
            true
        }
        b'j' if lower == b"julianday" => {
            if idx > 1 || !(p.has_jd && p.raw) {
                return false;
            }
            p.raw = false;
            true
        }
        b'l' if lower == b"localtime" => {
            if !p.local {
                p.shift_to_localtime();
            }
            p.utc = false;
            p.local = true;
            true
        }
        b'u' if lower == b"unixepoch" && p.raw => {
            if idx > 1 {
                return false;
            }
            let r = p.sec * 1000.0 + UNIX_EPOCH_JD_MS as f64;
            if !(0.0..464_269_060_800_000.0).contains(&r) {
                return false;
            }
            p.clear_ymd_hms_tz();
            p.jd = trunc_i64(r + 0.5);
            p.has_jd = true;
            p.raw = false;
            true
        }
        b'u' if lower == b"utc" => {
            to_utc(p);
            true
        }
        b'w' if lower.starts_with(b"weekday ") => weekday(tail(z, 8), p),
        b's' if lower.starts_with(b"start of ") => start_or_end(tail(&lower, 9), p, false),
        b's' => {
            let ok = lower == b"subsec" || lower == b"subsecond";
            if ok {
                p.subsec = true;
            }
            ok
        }
        b'e' if lower.starts_with(b"end of ") => start_or_end(tail(&lower, 7), p, true),
        b'+' | b'-' | b'0'..=b'9' => numeric(z, p),
        _ => false,
    }
}

/// `auto`: a bare number that is not a julian day is taken as unix time if in range.
fn auto_adjust(p: &mut Moment) {
    if !p.raw || p.has_jd {
        p.raw = false;
    } else if (-210_866_760_000.0..=253_402_300_799.0).contains(&p.sec) {
        let r = p.sec * 1000.0 + UNIX_EPOCH_JD_MS as f64;
        p.clear_ymd_hms_tz();
        p.jd = trunc_i64(r + 0.5);
        p.has_jd = true;
        p.raw = false;
    }
}

/// `utc`: find the UTC instant whose local time is `p` (a few correction rounds).
fn to_utc(p: &mut Moment) {
    if p.utc {
        return;
    }
    p.compute_jd();
    let orig = p.jd;
    let mut guess = orig;
    let mut err = 0i64;
    let mut rounds = 0;
    loop {
        guess = guess.wrapping_sub(err);
        let mut probe = Moment { jd: guess, has_jd: true, ..Moment::default() };
        probe.shift_to_localtime();
        probe.compute_jd();
        err = probe.jd.wrapping_sub(orig);
        if err == 0 || rounds >= 3 {
            break;
        }
        rounds += 1;
    }
    *p = Moment { jd: guess, has_jd: true, utc: true, ..Moment::default() };
}

/// `weekday N` / `weekday -N`: move forward (or back) to the next weekday N (0 = Sunday).
fn weekday(arg: &[u8], p: &mut Moment) -> bool {
    let a = atof(arg);
    let r = a.value;
    let n = trunc_i32(r);
    if a.rc <= 0 || !(-6.0..=6.0).contains(&r) || !real_same_as_int(r, n) {
        return false;
    }
    p.compute_ymd_hms();
    p.tz = 0;
    p.has_jd = false;
    p.compute_jd();
    let mut dow = (p.jd.wrapping_add(129_600_000) / DAY_MS) % 7;
    let n = n.abs();
    if dow != n {
        if dow > n {
            dow -= 7;
        }
        p.jd = p.jd.wrapping_add((n - dow) * DAY_MS);
        if arg.contains(&b'-') {
            p.jd = p.jd.wrapping_sub(7 * DAY_MS);
        }
    }
    p.clear_ymd_hms_tz();
    true
}

/// `start of …` / `end of …` with the lower-cased unit name `unit`.
fn start_or_end(unit: &[u8], p: &mut Moment, end: bool) -> bool {
    if !p.has_jd && !p.has_ymd && !p.has_hms {
        return false;
    }
    p.compute_ymd();
    p.has_hms = true;
    (p.hour, p.minute, p.sec) = if end { (23, 59, 59.999) } else { (0, 0, 0.0) };
    p.raw = false;
    p.tz = 0;
    p.has_jd = false;
    match (unit, end) {
        (b"day", _) => true,
        (b"month", false) => {
            p.day = 1;
            true
        }
        (b"year", false) => {
            p.month = 1;
            p.day = 1;
            true
        }
        (b"month", true) => {
            // The last day of the month is the day before the 1st of the next one.
            p.day = 1;
            p.month += 1;
            if p.month > 12 {
                p.year += 1;
                p.month = 1;
            }
            p.compute_floor();
            p.compute_jd();
            p.jd = p.jd.wrapping_sub((p.overflow_days + 1) * DAY_MS);
            p.clear_ymd_hms_tz();
            true
        }
        (b"year", true) => {
            p.month = 12;
            p.day = 31;
            true
        }
        _ => false,
    }
}

/// Modifiers starting with a sign or a digit: `NNN unit`, `±HH:MM…`, `±YYYY-MM-DD…`.
fn numeric(z: &[u8], p: &mut Moment) -> bool {
    let sign = byte_at(z, 0);
    // The number ends at ':', a space, or the '-' after a 4- or 5-digit year.
    let mut n = 1;
    loop {
        let c = byte_at(z, n);
        if c == 0 || c == b':' || is_space(c) {
            break;
        }
        if c == b'-'
            && ((n == 5 && digits_at(z, 1, 4, 0, 14712).is_some())
                || (n == 6 && digits_at(z, 1, 5, 0, 14712).is_some()))
        {
            break;
        }
        n += 1;
    }
    let a = atof(z.get(..n).unwrap_or(z));
    if a.rc <= 0 {
        return false;
    }
    let mut r = a.value;
    // Where a `HH:MM…` part starts, if any.
    let mut clock = 0;
    if byte_at(z, n) == b'-' {
        if sign != b'+' && sign != b'-' {
            return false;
        }
        let ylen = n - 1;
        let (Some(y), b'-', Some(m), b'-', Some(d)) = (
            digits_at(z, 1, ylen, 0, 14712),
            byte_at(z, n),
            digits_at(z, n + 1, 2, 0, 12),
            byte_at(z, n + 3),
            digits_at(z, n + 4, 2, 0, 31),
        ) else {
            return false;
        };
        if m >= 12 || d >= 31 {
            return false;
        }
        p.compute_ymd_hms();
        p.has_jd = false;
        let d = if sign == b'-' {
            p.year -= y;
            p.month -= m;
            -d
        } else {
            p.year += y;
            p.month += m;
            d
        };
        normalize_month(p);
        p.compute_floor();
        p.compute_jd();
        p.has_hms = false;
        p.has_ymd = false;
        p.jd = p.jd.wrapping_add(d * DAY_MS);
        let after = n + 6;
        if byte_at(z, after) == 0 {
            return true;
        }
        if !(is_space(byte_at(z, after))
            && digits_at(z, after + 1, 2, 0, 24).is_some()
            && byte_at(z, after + 3) == b':'
            && digits_at(z, after + 4, 2, 0, 59).is_some())
        {
            return false;
        }
        clock = after + 1;
        n = 2;
    }
    if byte_at(z, clock + n) == b':' {
        let start = if byte_at(z, clock).is_ascii_digit() { clock } else { clock + 1 };
        let mut t = Moment::default();
        if !parse_hms(tail(z, start), &mut t) {
            return false;
        }
        // Keep only the time-of-day part of the parsed value.
        t.compute_jd();
        t.jd = t.jd.wrapping_sub(43_200_000);
        let whole_days = t.jd / DAY_MS;
        t.jd -= whole_days * DAY_MS;
        if sign == b'-' {
            t.jd = -t.jd;
        }
        p.compute_jd();
        p.clear_ymd_hms_tz();
        p.jd = p.jd.wrapping_add(t.jd);
        return true;
    }
    // `NNN unit`
    let mut i = n;
    while is_space(byte_at(z, i)) {
        i += 1;
    }
    let mut name = tail(z, i);
    if name.len() < 3 || name.len() > 10 {
        return false;
    }
    if name.last().is_some_and(|c| c.eq_ignore_ascii_case(&b's')) {
        name = name.get(..name.len() - 1).unwrap_or(name);
    }
    p.compute_jd();
    let rounder = if r < 0.0 { -0.5 } else { 0.5 };
    p.overflow_days = 0;
    let mut ok = false;
    for unit in &UNITS {
        let limit = f64::from(unit.limit);
        if !(name.eq_ignore_ascii_case(unit.name) && r > -limit && r < limit) {
            continue;
        }
        if unit.name == b"month" || unit.name == b"year" {
            // Whole months/years move the calendar date; the fraction is added as 30/365 days.
            let whole = trunc_i32(r);
            p.compute_ymd_hms();
            if unit.name == b"month" {
                p.month += whole;
                normalize_month(p);
            } else {
                p.year += whole;
            }
            p.compute_floor();
            p.has_jd = false;
            r -= whole as f64;
        }
        p.compute_jd();
        p.jd = p.jd.wrapping_add(trunc_i64(r * 1000.0 * unit.seconds + rounder));
        ok = true;
        break;
    }
    p.clear_ymd_hms_tz();
    ok
}
