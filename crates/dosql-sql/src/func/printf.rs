//! SQLite's printf engine as used by the `printf()` / `format()` SQL functions.
//!
//! Supported conversions: `%d %i %u %x %X %o %p %r %c %s %z %q %Q %w %j %J
//! %f %e %E %g %G %n %%` with the flags `- + space # ! 0 ,`, width,
//! precision and `*` (taken from the next argument).  Missing arguments read
//! as NULL / 0 / empty.  An unknown conversion character stops formatting
//! (the output so far is returned), as in SQLite.

use crate::func::num::{FloatKind, FloatSpec, format_float};
use crate::func::scalar::{MAX_LENGTH, TOO_BIG, c_text, text_from_bytes};
use crate::value::Value;

struct Args<'a> {
    args: &'a [Value],
    used: usize,
}

impl Args<'_> {
    fn next(&mut self) -> Option<&Value> {
        let v = self.args.get(self.used);
        if v.is_some() {
            self.used += 1;
        }
        v
    }
    fn int(&mut self) -> i64 {
        self.next().map_or(0, Value::to_i64)
    }
    fn double(&mut self) -> f64 {
        self.next().map_or(0.0, Value::to_f64)
    }
    /// Text argument (`None` for a missing or NULL argument), cut at NUL.
    fn text(&mut self) -> Option<Vec<u8>> {
        self.next().and_then(|v| match v {
            Value::Blob(b) => Some(b.iter().copied().take_while(|&c| c != 0).collect()),
            v => c_text(v).map(String::into_bytes),
        })
    }
}

/// The `printf(FORMAT, ...)` / `format(...)` SQL function.
pub fn printf_func(a: &[Value]) -> Result<Value, String> {
    let Some(fmt) = a.first().and_then(c_text) else { return Ok(Value::Null) };
    let out = sqlite_printf(fmt.as_bytes(), &a[1..])?;
    Ok(text_from_bytes(out))
}

fn pad(out: &mut Vec<u8>, n: i64, c: u8) {
    if n > 0 {
        out.extend(std::iter::repeat_n(c, n as usize));
    }
}

/// Format `args` according to the SQLite printf format string `fmt`.
pub fn sqlite_printf(fmt: &[u8], args: &[Value]) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = Vec::new();
    let mut ar = Args { args, used: 0 };
    let mut i = 0usize;
    let at = |k: usize| -> u8 { fmt.get(k).copied().unwrap_or(0) };
    while i < fmt.len() {
        if out.len() as i64 > MAX_LENGTH {
            return Err(TOO_BIG.to_string());
        }
        let c = fmt[i];
        if c != b'%' {
            let end = fmt[i..].iter().position(|&b| b == b'%').map_or(fmt.len(), |p| i + p);
            out.extend_from_slice(&fmt[i..end]);
            i = end;
            continue;
        }
        i += 1;
        if i >= fmt.len() {
            out.push(b'%');
            break;
        }
        let (mut left, mut prefix, mut thousands, mut alt, mut alt2, mut zero) =
            (false, 0u8, false, false, false, false);
        let mut width: i64 = 0;
        let mut precision: i64 = -1;
        let mut c = at(i);
        loop {
            match c {
                b'-' => left = true,
                b'+' => prefix = b'+',
                b' ' => prefix = b' ',
                b'#' => alt = true,
                b'!' => alt2 = true,
                b'0' => zero = true,
                b',' => thousands = true,
                b'l' => {
                    i += 1;
                    c = at(i);
                    if c == b'l' {
                        i += 1;
                        c = at(i);
                    }
                    break;
                }
                b'1'..=b'9' => {
                    let mut wx: u64 = 0;
                    while at(i).is_ascii_digit() {
                        wx = (wx * 10 + u64::from(at(i) - b'0')) & 0xffff_ffff;
                        i += 1;
                    }
                    width = (wx & 0x7fff_ffff) as i64;
                    c = at(i);
                    if c != b'.' && c != b'l' {
                        break;
                    }
                    continue;
                }
                b'*' => {
                    width = ar.int() as i32 as i64;
                    if width < 0 {
                        left = true;
                        width = if width >= -2147483647 { -width } else { 0 };
                    }
                    let n = at(i + 1);
                    if n != b'.' && n != b'l' {
                        i += 1;
                        c = at(i);
                        break;
                    }
                }
                b'.' => {
                    i += 1;
                    c = at(i);
                    if c == b'*' {
                        precision = ar.int() as i32 as i64;
                        if precision < 0 {
                            precision = if precision >= -2147483647 { -precision } else { -1 };
                        }
                        i += 1;
                        c = at(i);
                    } else {
                        let mut px: u64 = 0;
                        while c.is_ascii_digit() {
                            px = (px * 10 + u64::from(c - b'0')) & 0xffff_ffff;
                            i += 1;
                            c = at(i);
                        }
                        precision = (px & 0x7fff_ffff) as i64;
                    }
                    if c == b'l' {
                        continue;
                    }
                    break;
                }
                _ => break,
            }
            i += 1;
            c = at(i);
            if c == 0 && i >= fmt.len() {
                break;
            }
        }
        i += 1; // past the conversion character
        if width > MAX_LENGTH || precision > MAX_LENGTH {
            return Err(TOO_BIG.to_string());
        }
        let field: Vec<u8>;
        match c {
            b'd' | b'i' | b'u' | b'x' | b'X' | b'o' | b'p' | b'r' => {
                let (base, upper, signed) = match c {
                    b'd' | b'i' | b'r' => (10u64, false, true),
                    b'u' => (10, false, false),
                    b'x' => (16, false, false),
                    b'X' | b'p' => (16, true, false),
                    _ => (8, false, false),
                };
                if matches!(c, b'x' | b'X' | b'o' | b'p' | b'r') {
                    thousands = false;
                }
                let v = ar.int();
                let (mut lv, sign) = if signed && v < 0 {
                    (v.unsigned_abs(), b'-')
                } else {
                    (v as u64, if signed { prefix } else { 0 })
                };
                let mut alt = alt;
                if lv == 0 {
                    alt = false;
                }
                if zero && precision < width - i64::from(sign != 0) {
                    precision = width - i64::from(sign != 0);
                }
                let mut digits: Vec<u8> = Vec::new();
                let cset: &[u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
                let ord_value = lv;
                loop {
                    digits.push(cset[(lv % base) as usize]);
                    lv /= base;
                    if lv == 0 {
                        break;
                    }
                }
                digits.reverse();
                let precision = if c == b'r' { precision - 2 } else { precision };
                if (digits.len() as i64) < precision {
                    let mut z = vec![b'0'; (precision as usize) - digits.len()];
                    z.extend_from_slice(&digits);
                    digits = z;
                }
                if thousands {
                    let len = digits.len();
                    let mut with = Vec::with_capacity(len + len / 3);
                    for (k, d) in digits.iter().enumerate() {
                        if k > 0 && (len - k).is_multiple_of(3) {
                            with.push(b',');
                        }
                        with.push(*d);
                    }
                    digits = with;
                }
                let mut f = Vec::new();
                if alt {
                    match c {
                        b'o' => f.push(b'0'),
                        b'x' | b'p' => f.extend_from_slice(b"0x"),
                        b'X' => f.extend_from_slice(b"0X"),
                        _ => {}
                    }
                }
                if sign != 0 {
                    f.push(sign);
                }
                f.extend_from_slice(&digits);
                if c == b'r' {
                    let x = (ord_value % 10) as usize;
                    let x = if x >= 4 || (ord_value / 10) % 10 == 1 { 0 } else { x };
                    f.extend_from_slice(&b"thstndrd"[x * 2..x * 2 + 2]);
                }
                field = f;
            }
            b'f' | b'e' | b'E' | b'g' | b'G' => {
                let kind = match c {
                    b'f' => FloatKind::Fixed,
                    b'e' | b'E' => FloatKind::Exp,
                    _ => FloatKind::Generic,
                };
                let spec = FloatSpec {
                    kind,
                    precision: if precision < 0 { None } else { Some(precision as usize) },
                    alt,
                    alt2,
                    zero_pad: zero,
                    prefix: if prefix == 0 { None } else { Some(prefix) },
                    thousands,
                    upper: c.is_ascii_uppercase(),
                };
                let (s, special) = format_float(ar.double(), &spec);
                let s = s.into_bytes();
                if !special && (s.len() as i64) < width {
                    let n = width - s.len() as i64;
                    if left {
                        out.extend_from_slice(&s);
                        pad(&mut out, n, b' ');
                    } else if !zero {
                        pad(&mut out, n, b' ');
                        out.extend_from_slice(&s);
                    } else {
                        let adj = usize::from(matches!(s.first(), Some(b'-' | b'+' | b' ')));
                        out.extend_from_slice(&s[..adj]);
                        pad(&mut out, n, b'0');
                        out.extend_from_slice(&s[adj..]);
                    }
                    continue;
                }
                field = s;
            }
            b'n' => {
                continue;
            }
            b'%' => field = b"%".to_vec(),
            b'c' => {
                let t = ar.text();
                let mut ch: Vec<u8> = Vec::new();
                match t {
                    Some(t) if !t.is_empty() => {
                        ch.push(t[0]);
                        if t[0] & 0xc0 == 0xc0 {
                            ch.extend(t[1..].iter().take_while(|&&b| b & 0xc0 == 0x80).take(3));
                        }
                    }
                    _ => ch.push(0),
                }
                if precision > 1 {
                    width -= precision - 1;
                    if width > 1 && !left {
                        pad(&mut out, width - 1, b' ');
                        width = 0;
                    }
                    for _ in 0..precision - 1 {
                        out.extend_from_slice(&ch);
                    }
                }
                width += utf8_extra(&ch);
                let f = ch;
                field = f;
            }
            b's' | b'z' => {
                let t = ar.text().unwrap_or_default();
                let len = if precision >= 0 {
                    if alt2 {
                        let mut n = 0usize;
                        let mut k = precision;
                        while k > 0 && n < t.len() {
                            n += 1;
                            while n < t.len() && t[n] & 0xc0 == 0x80 {
                                n += 1;
                            }
                            k -= 1;
                        }
                        n
                    } else {
                        (precision as usize).min(t.len())
                    }
                } else {
                    t.len()
                };
                let f = t[..len].to_vec();
                if alt2 && width > 0 {
                    width += utf8_extra(&f);
                }
                field = f;
            }
            b'q' | b'Q' | b'w' => {
                let t = ar.text();
                let (arg, need_quote) = match (&t, c) {
                    (None, b'Q') => (b"NULL".to_vec(), false),
                    (None, _) => (b"(NULL)".to_vec(), false),
                    (Some(t), b'Q') => (t.clone(), true),
                    (Some(t), _) => (t.clone(), false),
                };
                let q = if c == b'w' { b'"' } else { b'\'' };
                let alt = alt && c != b'w';
                // Number of input bytes to use.
                let mut k = precision;
                let mut n = 0usize;
                while k != 0 && n < arg.len() {
                    if alt2 && arg[n] & 0xc0 == 0xc0 {
                        while n + 1 < arg.len() && arg[n + 1] & 0xc0 == 0x80 {
                            n += 1;
                        }
                    }
                    n += 1;
                    k -= 1;
                }
                let src = &arg[..n];
                let n_ctrl = src.iter().filter(|&&b| b <= 0x1f).count();
                let use_escapes = alt && (n_ctrl > 0 || c == b'q');
                let unistr = use_escapes && c == b'Q' && need_quote;
                let mut f = Vec::new();
                if need_quote {
                    f.extend_from_slice(if unistr { b"unistr('" } else { b"'" });
                }
                for &ch in src {
                    if use_escapes && ch <= 0x1f {
                        f.extend_from_slice(format!("\\u00{ch:02x}").as_bytes());
                        continue;
                    }
                    f.push(ch);
                    if ch == q || (use_escapes && ch == b'\\') {
                        f.push(ch);
                    }
                }
                if need_quote {
                    f.extend_from_slice(if unistr { b"')" } else { b"'" });
                }
                if alt2 && width > 0 {
                    width += utf8_extra(&f);
                }
                field = f;
            }
            b'j' | b'J' => {
                let t = ar.text();
                let start = out.len();
                match t {
                    None => {
                        if c == b'J' {
                            out.extend_from_slice(b"null");
                        }
                    }
                    Some(t) => {
                        if c == b'J' {
                            out.push(b'"');
                        }
                        let mut px = if precision < 0 { usize::MAX } else { precision as usize };
                        if precision >= 0 && alt2 {
                            let mut k = 0;
                            while k < px && k < t.len() {
                                if t[k] & 0xc0 == 0x80 {
                                    px += 1;
                                }
                                k += 1;
                            }
                            if k == px {
                                while px < t.len() && t[px] & 0xc0 == 0x80 {
                                    px += 1;
                                }
                            }
                        }
                        for &ch in t.iter().take(px) {
                            if ch <= 0x1f || ch == b'"' || ch == b'\\' {
                                out.push(b'\\');
                                if ch > 0x1f {
                                    out.push(ch);
                                } else if (1u32 << ch) & 0x3700 != 0 {
                                    out.push(b"btn?fr"[(ch - 8) as usize]);
                                } else {
                                    out.extend_from_slice(format!("u00{ch:02x}").as_bytes());
                                }
                            } else {
                                out.push(ch);
                            }
                        }
                        if c == b'J' {
                            out.push(b'"');
                        }
                    }
                }
                let n = (out.len() - start) as i64;
                let len = if alt2 { n - utf8_extra(&out[start..]) } else { n };
                if width > len {
                    let sp = (width - len) as usize;
                    if left {
                        pad(&mut out, sp as i64, b' ');
                    } else {
                        let body = out.split_off(start);
                        pad(&mut out, sp as i64, b' ');
                        out.extend_from_slice(&body);
                    }
                }
                continue;
            }
            _ => return Ok(out),
        }
        let w = width - field.len() as i64;
        if w > 0 {
            if !left {
                pad(&mut out, w, b' ');
            }
            out.extend_from_slice(&field);
            if left {
                pad(&mut out, w, b' ');
            }
        } else {
            out.extend_from_slice(&field);
        }
    }
    if out.len() as i64 > MAX_LENGTH {
        return Err(TOO_BIG.to_string());
    }
    Ok(out)
}

/// Number of UTF-8 continuation bytes (used to count widths in characters).
fn utf8_extra(b: &[u8]) -> i64 {
    b.iter().filter(|&&x| x & 0xc0 == 0x80).count() as i64
}
