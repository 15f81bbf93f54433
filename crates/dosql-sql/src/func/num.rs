//! Numeric text conversions with SQLite's exact behaviour.
//!
//! This module re-implements (it does not copy) the observable behaviour of
//! SQLite's `sqlite3AtoF`, `sqlite3Atoi64`, `sqlite3RealToI64`,
//! `sqlite3RealSameAsInt`, `sqlite3FpDecode` and the floating-point part of
//! SQLite's printf engine.  Decimal digit generation is done with exact
//! the same 64/96-bit fixed-point approximations of powers of ten as SQLite
//! (the tables are generated at first use with exact big-integer arithmetic),
//! so the digits produced are identical to SQLite's, including its rare
//! last-digit approximation effects.

/// SQLite's `sqlite3Isspace`: space, `\t`, `\n`, `\v`, `\f`, `\r`.
pub fn is_space(c: u8) -> bool {
    c == b' ' || (0x09..=0x0d).contains(&c)
}

/// Result of [`atof`], mirroring the return code of `sqlite3AtoF`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtoF {
    /// The converted value (0.0 when nothing could be parsed).
    pub value: f64,
    /// SQLite's return code: 0 = no numeric prefix, >0 = the whole text is a
    /// number, <0 = only a prefix is.  Bit 1 (value 2) is set when the text
    /// has a decimal point or exponent.
    pub rc: i32,
}

impl AtoF {
    /// True when the whole input (ignoring surrounding spaces) is a number.
    pub fn is_whole(&self) -> bool {
        self.rc > 0
    }
    /// True when the number is written with a decimal point or an exponent.
    pub fn is_real_syntax(&self) -> bool {
        self.rc & 2 != 0
    }
}

/// Value of `d * 10^p` correctly rounded (SQLite's `sqlite3Fp10Convert2`).
pub fn fp10(d: u64, p: i32) -> f64 {
    if d == 0 || p < -348 {
        return 0.0;
    }
    if p > 347 {
        return f64::INFINITY;
    }
    format!("{d}e{p}").parse::<f64>().unwrap_or(0.0)
}

/// Convert text to a double like SQLite's `sqlite3AtoF` (a NUL byte ends the text).
pub fn atof(z: &[u8]) -> AtoF {
    const LIMIT: u64 = (u64::MAX - 9) / 10;
    let at = |i: usize| -> u8 { z.get(i).copied().unwrap_or(0) };
    let mut i = 0usize;
    let mut neg = false;
    let mut s: u64 = 0;
    let mut d: i32 = 0;
    let mut m_state: i32 = 0;
    while is_space(at(i)) {
        i += 1;
    }
    let c = at(i);
    let mut int_start = None;
    if c.is_ascii_digit() {
        int_start = Some(i);
    } else if (c == b'-' || c == b'+') && at(i + 1).is_ascii_digit() {
        neg = c == b'-';
        int_start = Some(i + 1);
    } else if c == b'-' || c == b'+' {
        neg = c == b'-';
        i += 1;
    }
    if let Some(st) = int_start {
        i = st;
        m_state = 1;
        s = u64::from(at(i) - b'0');
        i += 1;
        while at(i).is_ascii_digit() {
            s = s * 10 + u64::from(at(i) - b'0');
            i += 1;
            if s >= LIMIT {
                m_state = 9;
                while at(i).is_ascii_digit() {
                    i += 1;
                    d += 1;
                }
                break;
            }
        }
    }
    if at(i) == b'.' {
        i += 1;
        if at(i).is_ascii_digit() {
            m_state |= 1;
            while at(i).is_ascii_digit() {
                if s < LIMIT {
                    s = s * 10 + u64::from(at(i) - b'0');
                    d -= 1;
                } else {
                    m_state = 11;
                }
                i += 1;
            }
        } else if m_state == 0 {
            return AtoF { value: 0.0, rc: 0 };
        }
        m_state |= 2;
    } else if m_state == 0 {
        return AtoF { value: 0.0, rc: 0 };
    }
    if at(i) == b'e' || at(i) == b'E' {
        let save = i;
        i += 1;
        let mut esign = 1;
        if at(i) == b'-' {
            esign = -1;
            i += 1;
        } else if at(i) == b'+' {
            i += 1;
        }
        if at(i).is_ascii_digit() {
            let mut exp: i32 = 0;
            while at(i).is_ascii_digit() {
                exp = if exp < 10000 { exp * 10 + i32::from(at(i) - b'0') } else { 10000 };
                i += 1;
            }
            m_state |= 2;
            d += esign * exp;
        } else {
            i = save;
        }
    }
    let mut value = if s == 0 {
        m_state |= 4;
        0.0
    } else {
        fp10(s, d)
    };
    if neg {
        value = -value;
    }
    while is_space(at(i)) {
        i += 1;
    }
    if at(i) == 0 {
        AtoF { value, rc: m_state }
    } else {
        // 0xfffffff0 | mState as a signed 32-bit value.
        AtoF { value, rc: -16 | m_state }
    }
}

/// Result of [`atoi64`], mirroring `sqlite3Atoi64`'s return code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtoiRc {
    /// Not even a prefix looks like an integer (value 0).
    NoDigits,
    /// The whole text is an integer that fits in i64.
    Ok,
    /// A valid integer followed by extra non-space text.
    Trailing,
    /// Too large for an i64 (value saturated).
    Overflow,
    /// Exactly 9223372036854775808 (value saturated to i64::MAX).
    Pow63,
}

impl AtoiRc {
    /// SQLite's numeric return code (-1, 0, 1, 2, 3).
    pub fn code(self) -> i32 {
        match self {
            AtoiRc::NoDigits => -1,
            AtoiRc::Ok => 0,
            AtoiRc::Trailing => 1,
            AtoiRc::Overflow => 2,
            AtoiRc::Pow63 => 3,
        }
    }
}

/// Convert text to an i64 like SQLite's `sqlite3Atoi64` (decimal only, no hex).
pub fn atoi64(z: &[u8]) -> (i64, AtoiRc) {
    let n = z.len();
    let mut i = 0;
    while i < n && is_space(z[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < n && (z[i] == b'-' || z[i] == b'+') {
        neg = z[i] == b'-';
        i += 1;
    }
    let start = i;
    while i < n && z[i] == b'0' {
        i += 1;
    }
    let digits_start = i;
    let mut u: u64 = 0;
    while i < n && z[i].is_ascii_digit() {
        u = u.wrapping_mul(10).wrapping_add(u64::from(z[i] - b'0'));
        i += 1;
    }
    let ndig = i - digits_start;
    let mut value = if u > i64::MAX as u64 {
        if neg { i64::MIN } else { i64::MAX }
    } else if neg {
        -(u as i64)
    } else {
        u as i64
    };
    let mut rc = AtoiRc::Ok;
    if ndig == 0 && start == digits_start {
        rc = AtoiRc::NoDigits;
    } else if z[i..].iter().any(|&c| !is_space(c)) {
        rc = AtoiRc::Trailing;
    }
    if ndig < 19 {
        return (value, rc);
    }
    let cmp = if ndig > 19 { std::cmp::Ordering::Greater } else { z[digits_start..i].cmp(b"9223372036854775808") };
    match cmp {
        std::cmp::Ordering::Less => (value, rc),
        std::cmp::Ordering::Greater => {
            value = if neg { i64::MIN } else { i64::MAX };
            (value, AtoiRc::Overflow)
        }
        std::cmp::Ordering::Equal => {
            if neg {
                (i64::MIN, rc)
            } else {
                (i64::MAX, AtoiRc::Pow63)
            }
        }
    }
}

/// SQLite's `sqlite3RealToI64`: truncate toward zero, saturating at the i64 range.
pub fn real_to_i64(r: f64) -> i64 {
    if r < -9223372036854774784.0 {
        i64::MIN
    } else if r > 9223372036854774784.0 {
        i64::MAX
    } else {
        r as i64
    }
}

/// SQLite's `sqlite3RealSameAsInt`: `r` is zero or exactly `i` with |i| < 2^51.
pub fn real_same_as_int(r: f64, i: i64) -> bool {
    r == 0.0 || (r.to_bits() == (i as f64).to_bits() && (-2251799813685248..2251799813685248).contains(&i))
}

// ---------------------------------------------------------------------------
// Exact decimal digit generation.

/// Minimal unsigned big integer (little-endian base 2^32 limbs).
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        Big(vec![v as u32, (v >> 32) as u32])
    }
    fn mul_small(&mut self, m: u32) {
        let mut carry: u64 = 0;
        for limb in &mut self.0 {
            let t = u64::from(*limb) * u64::from(m) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }
    fn shl(&mut self, bits: u32) {
        let words = (bits / 32) as usize;
        let rem = bits % 32;
        if rem != 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let nv = (*limb << rem) | carry;
                carry = *limb >> (32 - rem);
                *limb = nv;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        if words > 0 {
            let mut v = vec![0u32; words];
            v.append(&mut self.0);
            self.0 = v;
        }
    }
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem: u64 = 0;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / u64::from(d)) as u32;
            rem = cur % u64::from(d);
        }
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        rem as u32
    }
}

impl Big {
    fn bits(&self) -> u32 {
        let mut n = self.0.len();
        while n > 0 && self.0[n - 1] == 0 {
            n -= 1;
        }
        if n == 0 { 0 } else { (n as u32 - 1) * 32 + (32 - self.0[n - 1].leading_zeros()) }
    }
    /// Low 128 bits.
    fn low_u128(&self) -> u128 {
        self.0.iter().take(4).enumerate().fold(0u128, |acc, (i, &w)| acc | (u128::from(w) << (32 * i)))
    }
    fn shr(&mut self, bits: u32) {
        let words = (bits / 32) as usize;
        if words >= self.0.len() {
            self.0.clear();
            return;
        }
        self.0.drain(..words);
        let rem = bits % 32;
        if rem != 0 {
            let len = self.0.len();
            for i in 0..len {
                let hi = if i + 1 < len { self.0[i + 1] << (32 - rem) } else { 0 };
                self.0[i] = (self.0[i] >> rem) | hi;
            }
        }
    }
}

/// 10^k normalised to a 96-bit integer in [2^95, 2^96), rounded to nearest
/// (truncated when `truncate`).  Returns (upper 64 bits, lower 32 bits).
fn pow10_96(k: i32, truncate: bool) -> (u64, u32) {
    let twice: u128 = if k >= 0 {
        let mut b = Big::from_u64(1);
        for _ in 0..k {
            b.mul_small(10);
        }
        let nbits = b.bits();
        if nbits > 97 {
            b.shr(nbits - 97);
        } else {
            b.shl(97 - nbits);
        }
        b.low_u128()
    } else {
        let mut d = Big::from_u64(1);
        for _ in 0..-k {
            d.mul_small(10);
        }
        let nbits = d.bits();
        let mut b = Big::from_u64(1);
        b.shl(nbits + 96);
        for _ in 0..-k {
            b.div_small(10);
        }
        b.low_u128()
    };
    let v = if truncate { twice >> 1 } else { (twice + 1) >> 1 };
    ((v >> 32) as u64, v as u32)
}

/// SQLite's scale table: 10^(27*(i-13)) for i in 0..26 (entry 13 is 10^-1).
fn scale_table() -> &'static [(u64, u32); 26] {
    static TABLE: std::sync::OnceLock<[(u64, u32); 26]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [(0u64, 0u32); 26];
        for (i, slot) in t.iter_mut().enumerate() {
            let g = i as i32 - 13;
            *slot = if g == 0 { pow10_96(-1, true) } else { pow10_96(27 * g, false) };
        }
        t
    })
}

/// 10^n (n <= 27) normalised so that bit 63 is set.
fn base_pow10(n: i32) -> u64 {
    let v = 10u128.pow(n as u32);
    let shift = 63 - (127 - v.leading_zeros() as i32);
    if shift >= 0 { (v << shift) as u64 } else { (v >> -shift) as u64 }
}

/// The approximate 64-bit mantissa of 10^p used by SQLite's binary-to-decimal
/// conversion (its `powerOfTen`), reproduced bit for bit.
fn power_of_ten(p: i32) -> u64 {
    let table = scale_table();
    let (g, n);
    if p < 0 {
        if p == -1 {
            return table[13].0;
        }
        let (mut gg, mut nn) = (p / 27, p % 27);
        if nn != 0 {
            gg -= 1;
            nn += 27;
        }
        g = gg;
        n = nn;
    } else if p < 27 {
        return base_pow10(p);
    } else {
        g = p / 27;
        n = p % 27;
    }
    let (s, slo) = table[(g + 13) as usize];
    if n == 0 {
        return s;
    }
    let b = u128::from(base_pow10(n));
    let r = u128::from(s) * b + ((u128::from(slo) * b) >> 32);
    let mut x = (r >> 64) as u64;
    let lo = (r >> 32) as u32;
    if x & (1u64 << 63) == 0 {
        x = (x << 1) | u64::from((lo >> 31) & 1);
    }
    x
}

fn pwr2to10(p: i32) -> i32 {
    (p * 78913) >> 18
}

fn pwr10to2(p: i32) -> i32 {
    (p * 108853) >> 15
}

/// SQLite's `sqlite3Fp2Convert10`: (d, p) with m*2^e ~= d*10^-p, d having at least n digits.
fn fp2_convert10(m: u64, e: i32, n: i32) -> (u64, i32) {
    let p = n - 1 - pwr2to10(e + 63);
    let h = ((u128::from(m) * u128::from(power_of_ten(p))) >> 64) as u64;
    let d = if n == 18 {
        let h = h >> (-(e + pwr10to2(p) + 2)).clamp(0, 63);
        (h + ((h << 1) & 2)) >> 1
    } else {
        h >> (-(e + pwr10to2(p) + 1)).clamp(0, 63)
    };
    (d, -p)
}

/// Decoded decimal form of a double (SQLite's `FpDecode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FpDecoded {
    /// True for a negative value.
    pub neg: bool,
    /// 0 = finite, 1 = infinity, 2 = NaN.
    pub special: u8,
    /// Significant digits (ASCII), no trailing zeros, at least one digit when finite.
    pub digits: Vec<u8>,
    /// Position of the decimal point relative to the first digit.
    pub idp: i32,
}

/// Decode `r` into rounded decimal digits exactly as `sqlite3FpDecode(p, r, iRound, mxRound)`.
pub fn fp_decode(r: f64, i_round: i32, mx_round: i32) -> FpDecoded {
    let neg = r < 0.0;
    let r = if neg { -r } else { r };
    if r == 0.0 {
        return FpDecoded { neg: false, special: 0, digits: vec![b'0'], idp: 1 };
    }
    let bits = r.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0x7ff {
        let special = if bits == 0x7ff0_0000_0000_0000 { 1 } else { 2 };
        return FpDecoded { neg, special, digits: Vec::new(), idp: 0 };
    }
    let mant = bits & 0x000f_ffff_ffff_ffff;
    let (m, e) = if biased == 0 {
        let nn = mant.leading_zeros();
        (mant << nn, -1074 - nn as i32)
    } else {
        ((mant << 11) | (1u64 << 63), biased - 1086)
    };
    let n_req = if i_round <= 0 || i_round >= 18 { 18 } else { i_round + 1 };
    let (d, exp) = fp2_convert10(m, e, n_req);
    let mut z: Vec<u8> = d.to_string().into_bytes();
    let mut n = z.len() as i32;
    let mut idp = n + exp;
    let mut i_round = i_round;
    if i_round <= 0 {
        i_round = idp - i_round;
        if i_round == 0 && z[0] >= b'5' {
            i_round = 1;
            z.insert(0, b'0');
            n += 1;
            idp += 1;
        }
    }
    let mut start = 0usize; // index of the first digit (a carry may prepend '1')
    if i_round > 0 && (i_round < n || n > mx_round) {
        if i_round > mx_round {
            i_round = mx_round;
        }
        if i_round == 17 && n >= 16 {
            let zi = |j: usize| z[j];
            let parse = |upto: usize| -> u64 { z[..upto].iter().fold(0u64, |a, &c| a * 10 + u64::from(c - b'0')) };
            if zi(15) == b'9' && zi(14) == b'9' {
                let mut jj = 14usize;
                while jj > 0 && zi(jj - 1) == b'9' {
                    jj -= 1;
                }
                let v2 = if jj == 0 { 1 } else { parse(jj) + 1 };
                if r == fp10(v2, exp + n - jj as i32) {
                    i_round = jj as i32 + 1;
                }
            } else if idp >= n || (zi(15) == b'0' && zi(14) == b'0' && zi(13) == b'0') {
                let mut jj = 13usize;
                while jj > 1 && zi(jj - 1) == b'0' {
                    jj -= 1;
                }
                let v2 = parse(jj);
                if r == fp10(v2, exp + n - jj as i32) {
                    i_round = jj as i32 + 1;
                }
            }
        }
        let ir = i_round as usize;
        let round_up = z[ir] >= b'5';
        z.truncate(ir);
        n = i_round;
        if round_up && increment_digits(&mut z) {
            n += 1;
            idp += 1;
        }
        start = 0;
    }
    let _ = n;
    let mut digits = z[start..].to_vec();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    FpDecoded { neg, special: 0, digits, idp }
}

/// Add one to a decimal digit string; returns true if a new leading digit was added.
fn increment_digits(z: &mut Vec<u8>) -> bool {
    for j in (0..z.len()).rev() {
        if z[j] < b'9' {
            z[j] += 1;
            return false;
        }
        z[j] = b'0';
    }
    z.insert(0, b'1');
    true
}

/// Floating-point conversion kind of SQLite's printf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatKind {
    /// `%f`
    Fixed,
    /// `%e` / `%E`
    Exp,
    /// `%g` / `%G`
    Generic,
}

/// Flags and precision for [`format_float`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloatSpec {
    /// Conversion kind.
    pub kind: FloatKind,
    /// Precision (`None` = default 6).
    pub precision: Option<usize>,
    /// `#` flag.
    pub alt: bool,
    /// `!` flag.
    pub alt2: bool,
    /// `0` flag.
    pub zero_pad: bool,
    /// `+` or ` ` flag.
    pub prefix: Option<u8>,
    /// `,` flag (thousands separators).
    pub thousands: bool,
    /// Upper-case exponent character.
    pub upper: bool,
}

impl FloatSpec {
    /// A plain spec for `kind` with no flags.
    pub fn new(kind: FloatKind) -> FloatSpec {
        FloatSpec {
            kind,
            precision: None,
            alt: false,
            alt2: false,
            zero_pad: false,
            prefix: None,
            thousands: false,
            upper: false,
        }
    }
}

/// Render `value` like SQLite's printf float conversions, without width padding.
/// Returns the text and whether it is a "special" (Inf/NaN) rendering.
pub fn format_float(value: f64, spec: &FloatSpec) -> (String, bool) {
    let mut precision = spec.precision.map_or(6, |p| p.min(100_000_000)) as i32;
    let mut kind = spec.kind;
    let i_round = match kind {
        FloatKind::Fixed => -precision,
        FloatKind::Generic => {
            if precision == 0 {
                precision = 1;
            }
            precision
        }
        FloatKind::Exp => precision + 1,
    };
    let mut s = fp_decode(value, i_round, if spec.alt2 { 20 } else { 16 });
    if s.special == 2 {
        return (if spec.zero_pad { "null" } else { "NaN" }.to_string(), true);
    }
    if s.special == 1 {
        if spec.zero_pad {
            s.digits = vec![b'9'];
            s.idp = 1000;
        } else {
            let t = if s.neg {
                "-Inf".to_string()
            } else if let Some(p) = spec.prefix {
                format!("{}Inf", p as char)
            } else {
                "Inf".to_string()
            };
            return (t, true);
        }
    }
    let prefix: Option<u8> = if s.neg {
        if spec.alt && spec.prefix.is_none() && kind == FloatKind::Fixed && s.idp <= i_round {
            None
        } else {
            Some(b'-')
        }
    } else {
        spec.prefix
    };
    let flag_rtz;
    if kind == FloatKind::Generic {
        precision -= 1;
        flag_rtz = !spec.alt;
        let exp = s.idp - 1;
        if exp < -4 || exp > precision {
            kind = FloatKind::Exp;
        } else {
            precision -= exp;
            kind = FloatKind::Fixed;
        }
    } else {
        flag_rtz = spec.alt2;
    }
    let mut e2 = if kind == FloatKind::Exp { 0 } else { s.idp - 1 };
    let flag_dp = precision > 0 || spec.alt || spec.alt2;
    let z = &s.digits;
    let nz = z.len() as i32;
    let mut out: Vec<u8> = Vec::new();
    if let Some(p) = prefix {
        out.push(p);
    }
    let mut j: i32 = 0;
    if e2 < 0 {
        out.push(b'0');
    } else if spec.thousands {
        while e2 >= 0 {
            out.push(if j < nz { z[j as usize] } else { b'0' });
            if j < nz {
                j += 1;
            }
            if e2 % 3 == 0 && e2 > 1 {
                out.push(b',');
            }
            e2 -= 1;
        }
    } else {
        j = (e2 + 1).min(nz);
        out.extend_from_slice(&z[..j as usize]);
        e2 -= j;
        if e2 >= 0 {
            out.extend(std::iter::repeat_n(b'0', (e2 + 1) as usize));
            e2 = -1;
        }
    }
    if flag_dp {
        out.push(b'.');
    }
    if e2 < -1 && precision > 0 {
        let nn = (-1 - e2).min(precision);
        out.extend(std::iter::repeat_n(b'0', nn as usize));
        precision -= nn;
    }
    if precision > 0 {
        let nn = (nz - j).min(precision);
        if nn > 0 {
            out.extend_from_slice(&z[j as usize..(j + nn) as usize]);
            precision -= nn;
        }
        if precision > 0 && !flag_rtz {
            out.extend(std::iter::repeat_n(b'0', precision as usize));
        }
    }
    if flag_rtz && flag_dp {
        while out.last() == Some(&b'0') {
            out.pop();
        }
        if out.last() == Some(&b'.') {
            if spec.alt2 {
                out.push(b'0');
            } else {
                out.pop();
            }
        }
    }
    if kind == FloatKind::Exp {
        let mut exp = s.idp - 1;
        out.push(if spec.upper { b'E' } else { b'e' });
        if exp < 0 {
            out.push(b'-');
            exp = -exp;
        } else {
            out.push(b'+');
        }
        if exp >= 100 {
            out.push(b'0' + (exp / 100) as u8);
            exp %= 100;
        }
        out.push(b'0' + (exp / 10) as u8);
        out.push(b'0' + (exp % 10) as u8);
    }
    (String::from_utf8_lossy(&out).into_owned(), false)
}

/// Render a REAL the way SQLite converts it to TEXT (`%!.17g` with round-trip shortening).
pub fn real_to_text(r: f64) -> String {
    let mut spec = FloatSpec::new(FloatKind::Generic);
    spec.precision = Some(17);
    spec.alt2 = true;
    format_float(r, &spec).0
}
