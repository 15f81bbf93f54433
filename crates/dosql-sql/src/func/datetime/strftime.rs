//! `strftime(FORMAT, TIME-VALUE, MODIFIER, ...)` rendering.
//!
//! Supports every conversion SQLite 3.54 knows: `%d %e %f %F %G %g %H %I %j
//! %J %k %l %m %M %p %P %R %s %S %T %u %U %V %w %W %Y %%`.  Any other
//! conversion (including a lone `%` at the end) makes the whole result NULL,
//! as in SQLite.  Numbers are rendered with C `printf` rules (`%02d` of a
//! negative year gives `-044`), floats through [`crate::func::printf`] so that
//! the digits match SQLite's printf.

use super::moment::{DAY_MS, Moment, UNIX_EPOCH_JD_MS, trunc_i32};
use crate::func::printf::sqlite_printf;
use crate::value::Value;

/// Render one float with a SQLite printf conversion such as `%06.3f`.
pub(super) fn printf_real(fmt: &str, v: f64) -> Vec<u8> {
    sqlite_printf(fmt.as_bytes(), &[Value::Real(v)]).unwrap_or_default()
}

/// Zero-based day of the year (Jan 1 = 0) of a moment whose fields are all current.
fn days_after_jan1(x: &Moment) -> i64 {
    let mut jan1 = *x;
    jan1.has_jd = false;
    jan1.month = 1;
    jan1.day = 1;
    jan1.compute_jd();
    (x.jd.wrapping_sub(jan1.jd).wrapping_add(43_200_000)) / DAY_MS
}

/// Day of the week, 0 = Monday.
fn days_after_monday(x: &Moment) -> i64 {
    (x.jd.wrapping_add(43_200_000) / DAY_MS) % 7
}

/// Day of the week, 0 = Sunday.
fn days_after_sunday(x: &Moment) -> i64 {
    (x.jd.wrapping_add(129_600_000) / DAY_MS) % 7
}

/// The Thursday of the ISO week containing `x`, with its calendar fields current.
fn iso_thursday(x: &Moment) -> Moment {
    let mut y = *x;
    y.jd = y.jd.wrapping_add((3 - days_after_monday(x)) * DAY_MS);
    y.has_ymd = false;
    y.compute_ymd();
    y
}

/// Format `x` according to `fmt`; `None` if `fmt` has an unknown conversion.
pub(super) fn format(fmt: &[u8], x: &mut Moment) -> Option<Vec<u8>> {
    x.compute_jd();
    x.compute_ymd_hms();
    let mut out: Vec<u8> = Vec::with_capacity(fmt.len() + 16);
    let mut it = fmt.iter().copied();
    while let Some(c) = it.next() {
        if c != b'%' {
            out.push(c);
            continue;
        }
        let piece = match it.next()? {
            b'd' => format!("{:02}", x.day),
            b'e' => format!("{:2}", x.day),
            b'f' => {
                // SQLite clamps so that rounding never shows 60 seconds.
                let s = if x.sec > 59.999 { 59.999 } else { x.sec };
                out.extend(printf_real("%06.3f", s));
                continue;
            }
            b'F' => format!("{:04}-{:02}-{:02}", x.year, x.month, x.day),
            b'G' => format!("{:04}", iso_thursday(x).year),
            b'g' => format!("{:02}", iso_thursday(x).year % 100),
            b'H' => format!("{:02}", x.hour),
            b'k' => format!("{:2}", x.hour),
            b'I' => format!("{:02}", hour12(x.hour)),
            b'l' => format!("{:2}", hour12(x.hour)),
            b'j' => format!("{:03}", days_after_jan1(x) + 1),
            b'J' => {
                out.extend(printf_real("%.16g", x.jd as f64 / 86_400_000.0));
                continue;
            }
            b'm' => format!("{:02}", x.month),
            b'M' => format!("{:02}", x.minute),
            b'p' => (if x.hour >= 12 { "PM" } else { "AM" }).to_string(),
            b'P' => (if x.hour >= 12 { "pm" } else { "am" }).to_string(),
            b'R' => format!("{:02}:{:02}", x.hour, x.minute),
            b's' => {
                if x.subsec {
                    out.extend(printf_real("%.3f", x.jd.wrapping_sub(UNIX_EPOCH_JD_MS) as f64 / 1000.0));
                    continue;
                }
                format!("{}", x.jd / 1000 - UNIX_EPOCH_JD_MS / 1000)
            }
            b'S' => format!("{:02}", trunc_i32(x.sec)),
            b'T' => format!("{:02}:{:02}:{:02}", x.hour, x.minute, trunc_i32(x.sec)),
            b'u' => {
                let d = days_after_sunday(x);
                format!("{}", if d == 0 { 7 } else { d })
            }
            b'w' => format!("{}", days_after_sunday(x)),
            b'U' => format!("{:02}", (days_after_jan1(x) - days_after_sunday(x) + 7) / 7),
            b'V' => format!("{:02}", days_after_jan1(&iso_thursday(x)) / 7 + 1),
            b'W' => format!("{:02}", (days_after_jan1(x) - days_after_monday(x) + 7) / 7),
            b'Y' => format!("{:04}", x.year),
            b'%' => "%".to_string(),
            _ => return None,
        };
        out.extend(piece.bytes());
    }
    Some(out)
}

/// Hour on the 12-hour clock (0 and 12 both show as 12).
fn hour12(h: i64) -> i64 {
    match h {
        0 => 12,
        h if h > 12 => h - 12,
        h => h,
    }
}
