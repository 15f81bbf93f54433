//! The date/time state shared by all date and time functions, and parsing of time values.
//!
//! A [`Moment`] holds a point in time in up to three representations that are
//! filled in lazily, exactly as SQLite's date code does: a julian day number
//! in milliseconds, a calendar date, and a time of day.  Several quirks of the
//! SQLite functions (an unnormalised `2023-02-31` surviving some modifiers, the
//! "floor" bookkeeping, the sticky error state) come from which of the three
//! representations is current, so this module keeps the same flags instead of
//! normalising eagerly.
//!
//! Float-to-integer conversions use [`trunc_i64`]/[`trunc_i32`], which mimic
//! the x86-64 conversion instructions SQLite's C casts compile to (NaN and
//! out-of-range values become the minimum integer) rather than Rust's
//! saturating `as`; the differential tests run against an x86-64 build.
//!
//! Not here: modifiers (`modifier.rs`), output formatting (`mod.rs`,
//! `strftime.rs`).  The local time zone is taken to be UTC (see the module
//! documentation of [`super`]).

use crate::func::num::{atof, is_space};

/// Milliseconds in a day.
pub(super) const DAY_MS: i64 = 86_400_000;
/// Julian day of 1970-01-01 00:00:00 UTC, in milliseconds (JD 2440587.5).
pub(super) const UNIX_EPOCH_JD_MS: i64 = 210_866_760_000_000;
/// Julian day of 9999-12-31 23:59:59.999, in milliseconds: the largest valid instant.
pub(super) const MAX_JD_MS: i64 = 464_269_060_799_999;

/// C's `(long long)x` as executed on x86-64: truncation toward zero, with NaN
/// and out-of-range values giving `i64::MIN`.
pub(super) fn trunc_i64(x: f64) -> i64 {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) { x as i64 } else { i64::MIN }
}

/// C's `(int)x` as executed on x86-64 (NaN and out-of-range give `i32::MIN`).
pub(super) fn trunc_i32(x: f64) -> i64 {
    if (-2_147_483_648.0..2_147_483_648.0).contains(&x) { x as i64 } else { i64::from(i32::MIN) }
}

/// Byte `i` of a NUL-free text, or 0 past its end (C string semantics).
pub(super) fn byte_at(z: &[u8], i: usize) -> u8 {
    z.get(i).copied().unwrap_or(0)
}

/// The tail of `z` from `i` (empty past the end).
pub(super) fn tail(z: &[u8], i: usize) -> &[u8] {
    z.get(i..).unwrap_or(&[])
}

/// Exactly `n` decimal digits at `z[at..]` whose value lies in `min..=max`.
pub(super) fn digits_at(z: &[u8], at: usize, n: usize, min: i64, max: i64) -> Option<i64> {
    let mut v: i64 = 0;
    for k in 0..n {
        let c = byte_at(z, at + k);
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    (min..=max).contains(&v).then_some(v)
}

/// Number of days in month `m` (1..=12) of year `y` in the proleptic Gregorian calendar.
pub(super) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => 30,
    }
}

/// True if `jd` (milliseconds) lies in 0000-01-01 .. 9999-12-31 23:59:59.999... as SQLite's range check.
pub(super) fn valid_jd(jd: i64) -> bool {
    (0..=MAX_JD_MS).contains(&jd)
}

/// A date and time being computed, with lazily derived representations.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Moment {
    /// Julian day number times 86 400 000.
    pub jd: i64,
    /// Calendar year (may be negative).
    pub year: i64,
    /// Month, normally 1..=12.
    pub month: i64,
    /// Day of month; may exceed the month's length until normalised.
    pub day: i64,
    /// Hour.
    pub hour: i64,
    /// Minute.
    pub minute: i64,
    /// Time-zone offset in minutes still to be applied.
    pub tz: i64,
    /// Seconds with fraction, or the raw number when `raw` is set.
    pub sec: f64,
    /// `jd` is current.
    pub has_jd: bool,
    /// `year`/`month`/`day` are current.
    pub has_ymd: bool,
    /// `hour`/`minute`/`sec` are current.
    pub has_hms: bool,
    /// Days by which the day of month overflows its month ("floor" undoes them).
    pub overflow_days: i64,
    /// `sec` holds a bare number not yet known to be a julian day or a unix time.
    pub raw: bool,
    /// An out-of-range value was met; the result will be NULL.
    pub error: bool,
    /// Output fractional seconds.
    pub subsec: bool,
    /// The value is known to be UTC.
    pub utc: bool,
    /// The value is known to be local time.
    pub local: bool,
}

impl Moment {
    /// Reset to the error state: everything cleared except the error flag.
    pub fn set_error(&mut self) {
        *self = Moment { error: true, ..Moment::default() };
    }

    /// Forget the calendar and clock representations and any pending time zone.
    pub fn clear_ymd_hms_tz(&mut self) {
        self.has_ymd = false;
        self.has_hms = false;
        self.tz = 0;
    }

    /// Make `jd` current from the calendar fields (2000-01-01 if there is no date).
    pub fn compute_jd(&mut self) {
        if self.has_jd {
            return;
        }
        let (mut y, mut m, d) = if self.has_ymd {
            (self.year, self.month, self.day)
        } else {
            // A bare time of day is taken to be on 2000-01-01; "24:00" is midnight of the 2nd.
            let mut d = 1;
            if self.has_hms && self.hour == 24 {
                self.hour = 0;
                d = 2;
            }
            (2000, 1, d)
        };
        if !(-4713..=9999).contains(&y) || self.raw {
            self.set_error();
            return;
        }
        // Meeus, Astronomical Algorithms, chapter 7, with SQLite's integer steps.
        if m <= 2 {
            y -= 1;
            m += 12;
        }
        let a = (y + 4800) / 100;
        let b = 38 - a + a / 4;
        let x1 = 36525 * (y + 4716) / 100;
        let x2 = 306_001 * (m + 1) / 10000;
        let days = (x1 + x2 + d + b) as f64 - 1524.5;
        self.jd = trunc_i64(days * 86_400_000.0);
        self.has_jd = true;
        if self.has_hms {
            let ms = self.hour * 3_600_000 + self.minute * 60_000;
            self.jd = self.jd.wrapping_add(ms).wrapping_add(trunc_i64(self.sec * 1000.0 + 0.5));
            if self.tz != 0 {
                self.jd = self.jd.wrapping_sub(self.tz * 60_000);
                self.has_ymd = false;
                self.has_hms = false;
                self.tz = 0;
                self.utc = true;
                self.local = false;
            }
        }
    }

    /// Make the calendar fields current from `jd` (2000-01-01 if there is no `jd`).
    pub fn compute_ymd(&mut self) {
        if self.has_ymd {
            return;
        }
        if !self.has_jd {
            self.year = 2000;
            self.month = 1;
            self.day = 1;
        } else if !valid_jd(self.jd) {
            self.set_error();
            return;
        } else {
            // Inverse of compute_jd (Meeus chapter 7), same float steps as SQLite.
            let z = (self.jd + 43_200_000) / DAY_MS;
            let alpha = trunc_i32((z as f64 + 32044.75) / 36524.25) - 52;
            let a = z + 1 + alpha - (alpha + 100) / 4 + 25;
            let b = a + 1524;
            let c = trunc_i32((b as f64 - 122.1) / 365.25);
            let d = (36525 * (c & 32767)) / 100;
            let e = trunc_i32((b - d) as f64 / 30.6001);
            let x1 = trunc_i32(30.6001 * e as f64);
            self.day = b - d - x1;
            self.month = if e < 14 { e - 1 } else { e - 13 };
            self.year = if self.month > 2 { c - 4716 } else { c - 4715 };
        }
        self.has_ymd = true;
    }

    /// Make the clock fields current from `jd`.
    pub fn compute_hms(&mut self) {
        if self.has_hms {
            return;
        }
        self.compute_jd();
        // C's `%` keeps the dividend's sign; so does Rust's.
        let day_ms = self.jd.wrapping_add(43_200_000) % DAY_MS;
        self.sec = (day_ms % 60_000) as f64 / 1000.0;
        let day_min = day_ms / 60_000;
        self.minute = day_min % 60;
        self.hour = day_min / 60;
        self.raw = false;
        self.has_hms = true;
    }

    /// Make both the calendar and the clock fields current.
    pub fn compute_ymd_hms(&mut self) {
        self.compute_ymd();
        self.compute_hms();
    }

    /// Record by how many days the day of month overflows the month.
    pub fn compute_floor(&mut self) {
        let max = days_in_month(self.year, self.month);
        self.overflow_days = if self.day > max { self.day - max } else { 0 };
    }

    /// Set to the given current time; false if the clock is unusable.
    pub fn set_now(&mut self, now_unix_ms: i64) -> bool {
        let jd = now_unix_ms.saturating_add(UNIX_EPOCH_JD_MS);
        if jd <= 0 {
            return false;
        }
        self.jd = jd;
        self.has_jd = true;
        self.utc = true;
        self.local = false;
        self.clear_ymd_hms_tz();
        true
    }

    /// Store a bare number; it is a julian day unless a modifier says otherwise.
    pub fn set_raw_number(&mut self, r: f64) {
        self.sec = r;
        self.raw = true;
        if (0.0..5_373_484.5).contains(&r) {
            self.jd = trunc_i64(r * 86_400_000.0 + 0.5);
            self.has_jd = true;
        }
    }

    /// Move this UTC instant to local time, taking the local zone to be UTC.
    ///
    /// SQLite maps years outside 1970..2037 into an equivalent year before
    /// calling `localtime_r` and back afterwards, which has visible effects
    /// even with a UTC zone (an unnormalised day of month is normalised in the
    /// mapped year, an error state is cleared); those steps are kept.
    pub fn shift_to_localtime(&mut self) {
        self.compute_jd();
        let (t, year_shift) = if self.jd < 2_108_667_600 * 100_000 || self.jd > 2_130_141_456 * 100_000 {
            let mut x = *self;
            x.compute_ymd_hms();
            let shift = (2000 + x.year % 4) - x.year;
            x.year += shift;
            x.has_jd = false;
            x.compute_jd();
            (x.jd / 1000 - UNIX_EPOCH_JD_MS / 1000, shift)
        } else {
            (self.jd / 1000 - UNIX_EPOCH_JD_MS / 1000, 0)
        };
        // Broken-down UTC time of `t` (what localtime_r gives in a UTC zone).
        let mut tm =
            Moment { jd: t.wrapping_mul(1000).wrapping_add(UNIX_EPOCH_JD_MS), has_jd: true, ..Moment::default() };
        tm.compute_ymd_hms();
        self.year = tm.year - year_shift;
        self.month = tm.month;
        self.day = tm.day;
        self.hour = tm.hour;
        self.minute = tm.minute;
        self.sec = trunc_i32(tm.sec) as f64 + (self.jd % 1000) as f64 * 0.001;
        self.has_ymd = true;
        self.has_hms = true;
        self.has_jd = false;
        self.raw = false;
        self.tz = 0;
        self.error = false;
    }
}

/// Parse an optional time-zone suffix (`[+-]HH:MM` or `Z`, spaces around it allowed).
fn parse_timezone(z: &[u8], p: &mut Moment) -> bool {
    let mut i = 0;
    while is_space(byte_at(z, i)) {
        i += 1;
    }
    p.tz = 0;
    let sign = match byte_at(z, i) {
        b'-' => -1,
        b'+' => 1,
        b'Z' | b'z' => {
            p.local = false;
            p.utc = true;
            return rest_is_blank(z, i + 1);
        }
        c => return c == 0,
    };
    i += 1;
    let (Some(hr), b':', Some(mn)) = (digits_at(z, i, 2, 0, 14), byte_at(z, i + 2), digits_at(z, i + 3, 2, 0, 59))
    else {
        return false;
    };
    p.tz = sign * (mn + hr * 60);
    if p.tz == 0 {
        p.local = false;
        p.utc = true;
    }
    rest_is_blank(z, i + 5)
}

/// True if only spaces follow position `i`.
fn rest_is_blank(z: &[u8], mut i: usize) -> bool {
    while is_space(byte_at(z, i)) {
        i += 1;
    }
    byte_at(z, i) == 0
}

/// Parse `HH:MM`, `HH:MM:SS` or `HH:MM:SS.FFF…` with an optional time-zone suffix.
pub(super) fn parse_hms(z: &[u8], p: &mut Moment) -> bool {
    let (Some(h), b':', Some(m)) = (digits_at(z, 0, 2, 0, 24), byte_at(z, 2), digits_at(z, 3, 2, 0, 59)) else {
        return false;
    };
    let mut i = 5;
    let mut s = 0;
    let mut frac = 0.0f64;
    if byte_at(z, i) == b':' {
        i += 1;
        let Some(sv) = digits_at(z, i, 2, 0, 59) else { return false };
        s = sv;
        i += 2;
        if byte_at(z, i) == b'.' && byte_at(z, i + 1).is_ascii_digit() {
            let mut scale = 1.0f64;
            i += 1;
            while byte_at(z, i).is_ascii_digit() {
                frac = frac * 10.0 + f64::from(byte_at(z, i) - b'0');
                scale *= 10.0;
                i += 1;
            }
            frac /= scale;
            // SQLite truncates to whole milliseconds' worth to avoid rounding up to 60.
            if frac > 0.999 {
                frac = 0.999;
            }
        }
    }
    if h == 24 && (m != 0 || s != 0 || frac != 0.0) {
        return false;
    }
    p.has_jd = false;
    p.raw = false;
    p.has_hms = true;
    p.hour = h;
    p.minute = m;
    p.sec = s as f64 + frac;
    parse_timezone(tail(z, i), p)
}

/// Parse `[-]YYYY-MM-DD` optionally followed (after spaces or `T`s) by a time.
fn parse_ymd(z: &[u8], p: &mut Moment) -> bool {
    let neg = byte_at(z, 0) == b'-';
    let i = usize::from(neg);
    let (Some(mut y), b'-', Some(mut m), b'-', Some(mut d)) = (
        digits_at(z, i, 4, 0, 14712),
        byte_at(z, i + 4),
        digits_at(z, i + 5, 2, 1, 12),
        byte_at(z, i + 7),
        digits_at(z, i + 8, 2, 1, 31),
    ) else {
        return false;
    };
    let mut i = i + 10;
    while is_space(byte_at(z, i)) || byte_at(z, i) == b'T' {
        i += 1;
    }
    if parse_hms(tail(z, i), p) {
        if p.hour == 24 {
            // 24:00 is midnight at the start of the next day.
            p.hour = 0;
            d += 1;
            if d > days_in_month(y, m) {
                d -= days_in_month(y, m);
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    } else if byte_at(z, i) == 0 {
        p.has_hms = false;
    } else {
        return false;
    }
    p.has_jd = false;
    p.has_ymd = true;
    p.year = if neg { -y } else { y };
    p.month = m;
    p.day = d;
    p.compute_floor();
    if p.tz != 0 {
        p.compute_jd();
    }
    true
}

/// Parse a textual time value: a date/time, a time, `now`, a number or `subsec`.
pub(super) fn parse_time_value(z: &[u8], p: &mut Moment, now_unix_ms: i64) -> bool {
    if parse_ymd(z, p) || parse_hms(z, p) {
        true
    } else if z.eq_ignore_ascii_case(b"now") {
        p.set_now(now_unix_ms)
    } else if atof(z).rc > 0 {
        p.set_raw_number(atof(z).value);
        true
    } else if z.eq_ignore_ascii_case(b"subsec") || z.eq_ignore_ascii_case(b"subsecond") {
        p.subsec = true;
        p.set_now(now_unix_ms)
    } else {
        false
    }
}
