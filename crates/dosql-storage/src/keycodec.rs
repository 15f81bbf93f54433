//! Order-preserving byte encoding of SQL value tuples (index / B+tree keys).
//!
//! Comparing two encoded keys with plain `memcmp` (a shorter key that is a
//! prefix of a longer one sorts first) gives exactly SQLite's order of the
//! tuples under the BINARY collation, compared column by column:
//! `NULL < numbers < TEXT < BLOB`, where INTEGER and REAL share one numeric
//! order compared by exact value (`1 == 1.0`, `2 < 2.5 < 3`, and `2^53 + 1`
//! is greater than the REAL `2^53`), TEXT is compared bytewise on its UTF-8
//! and BLOB bytewise. [`compare_values`] is the reference model of that order.
//!
//! # Format
//!
//! `key = body(v1) body(v2) … body(vn) trailer`
//!
//! | value                     | body bytes                                 |
//! |---------------------------|--------------------------------------------|
//! | NULL (and REAL NaN)       | `05`                                       |
//! | REAL -inf                 | `10`                                       |
//! | negative finite number    | `11` `!E[2]` `!F[8]` (payload inverted)    |
//! | zero (`0`, `0.0`, `-0.0`) | `12`                                       |
//! | positive finite number    | `13` `E[2]` `F[8]`                         |
//! | REAL +inf                 | `14`                                       |
//! | TEXT                      | `20` escaped UTF-8 bytes, then `00 00`     |
//! | BLOB                      | `30` escaped bytes, then `00 00`           |
//!
//! * Finite non-zero numbers are written as the *exact* binary value
//!   `|x| = 2^e · (1 + F / 2^64)`: `E` is `e + 0x8000` as a big-endian `u16`
//!   and `F` holds the bits after the leading one, left-aligned in a
//!   big-endian `u64`. Every `i64` (at most 64 significant bits, 63 after the
//!   leading one) and every finite `f64`, subnormals included
//!   (`e ∈ [-1074, 1023]`), is represented exactly, so integers and reals
//!   compare exactly, even beyond 2^53. For negatives the 10 payload bytes are
//!   bit-inverted so a larger magnitude sorts first.
//! * Escaping: a `00` byte inside TEXT/BLOB becomes `00 FF`; the value ends
//!   with `00 00`. Since `00 00 < 00 FF < 01…`, a string sorts before its
//!   extensions and memcmp order is kept.
//! * `trailer`: one byte per numeric value, in column order: `01` INTEGER,
//!   `02` REAL. The storage type is a pure tie-breaker, so it lives after all
//!   order-determining bytes: `(1, 'z')` sorts after `(1.0, 'a')`, as in
//!   SQLite. Consequently `1` and `1.0` are distinct keys that sort
//!   adjacently, **INTEGER first** (also in DESC columns; the trailer is never
//!   inverted). A multi-column key is therefore *not* the concatenation of
//!   single-value encodings.
//! * Trailer bytes (`01`, `02`) are smaller than every tag byte (ascending
//!   `05..=30`, inverted `CF..=FA`), so a key whose body is a proper prefix of
//!   another's still sorts first, and the decoder knows where the body ends.
//! * DESC columns ([`encode_key_with_order`]): that column's body bytes are
//!   XORed with `FF`. Bodies are prefix-free, so this exactly reverses the
//!   column's order. A prefix tuple still sorts first.
//!
//! NaN is encoded as NULL (SQLite never stores NaN; it becomes NULL) and
//! decodes as `Null`. `-0.0` is encoded as zero and decodes as `Real(0.0)`.
//! The decoder is strict: it accepts only canonical encodings, so for every
//! `Ok` result re-encoding reproduces the input bytes; it never panics.

use std::cmp::Ordering;

/// A value as the key codec sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    /// SQL NULL.
    Null,
    /// 64-bit signed INTEGER.
    Integer(i64),
    /// 64-bit IEEE REAL (NaN is treated as NULL).
    Real(f64),
    /// UTF-8 TEXT, ordered bytewise (BINARY collation).
    Text(String),
    /// BLOB, ordered bytewise.
    Blob(Vec<u8>),
}

/// Why a byte string is not a valid encoded key. Offsets are byte positions
/// in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyDecodeError {
    /// The input ended in the middle of a value or before its trailer.
    #[error("key truncated at byte {0}")]
    Truncated(usize),
    /// A byte that is not a valid tag where a value should start.
    #[error("invalid tag at byte {0}")]
    InvalidTag(usize),
    /// A `00` byte inside TEXT/BLOB not followed by `00` or `FF`.
    #[error("invalid escape sequence at byte {0}")]
    InvalidEscape(usize),
    /// TEXT (starting at the given byte) is not valid UTF-8.
    #[error("text value at byte {0} is not valid UTF-8")]
    InvalidUtf8(usize),
    /// A number (starting at the given byte) that its trailer type cannot
    /// represent exactly or that is not canonically encoded.
    #[error("invalid number at byte {0}")]
    InvalidNumber(usize),
    /// A trailer byte that is neither `01` (INTEGER) nor `02` (REAL).
    #[error("invalid type trailer byte at byte {0}")]
    InvalidTrailer(usize),
    /// Extra bytes after the trailer.
    #[error("unexpected trailing bytes at byte {0}")]
    TrailingBytes(usize),
}

const TAG_NULL: u8 = 0x05;
const TAG_NEG_INF: u8 = 0x10;
const TAG_NEG: u8 = 0x11;
const TAG_ZERO: u8 = 0x12;
const TAG_POS: u8 = 0x13;
const TAG_POS_INF: u8 = 0x14;
const TAG_TEXT: u8 = 0x20;
const TAG_BLOB: u8 = 0x30;
const TRAILER_INTEGER: u8 = 0x01;
const TRAILER_REAL: u8 = 0x02;
const EXP_BIAS: i32 = 0x8000;
const F64_FRAC_MASK: u64 = (1 << 52) - 1;

/// A number in its order-determining form; finite values carry the biased
/// exponent `E` and the left-aligned fraction `F` (see the module docs).
#[derive(Debug, Clone, Copy)]
enum Num {
    NegInf,
    Neg(u16, u64),
    Zero,
    Pos(u16, u64),
    PosInf,
}

fn finite_num(negative: bool, exp: i32, frac: u64) -> Num {
    // exp is within [-1074, 1023], so the biased value fits in u16.
    let e = (exp + EXP_BIAS) as u16;
    if negative { Num::Neg(e, frac) } else { Num::Pos(e, frac) }
}

fn int_num(i: i64) -> Num {
    let m = i.unsigned_abs();
    if m == 0 {
        return Num::Zero;
    }
    let lz = m.leading_zeros();
    finite_num(i < 0, 63 - lz as i32, m.checked_shl(lz + 1).unwrap_or(0))
}

/// `r` must not be NaN.
fn real_num(r: f64) -> Num {
    if r == 0.0 {
        return Num::Zero;
    } else if r == f64::INFINITY {
        return Num::PosInf;
    } else if r == f64::NEG_INFINITY {
        return Num::NegInf;
    }
    let bits = r.to_bits();
    let biased = ((bits >> 52) & 0x7FF) as i32;
    let field = bits & F64_FRAC_MASK;
    let (exp, frac) = if biased == 0 {
        // Subnormal: value = field * 2^-1074, field != 0.
        let lz = field.leading_zeros();
        (63 - lz as i32 - 1074, field.checked_shl(lz + 1).unwrap_or(0))
    } else {
        (biased - 1023, field << 12)
    };
    finite_num(r < 0.0, exp, frac)
}

fn num_to_integer(n: Num) -> Option<i64> {
    let (negative, e, frac) = match n {
        Num::Zero => return Some(0),
        Num::Neg(e, f) => (true, e, f),
        Num::Pos(e, f) => (false, e, f),
        Num::NegInf | Num::PosInf => return None,
    };
    let exp = u32::try_from(i32::from(e) - EXP_BIAS).ok().filter(|&x| x <= 63)?;
    if frac << exp != 0 {
        return None; // fractional bits set
    }
    let m = (1u64 << exp) | frac.checked_shr(64 - exp).unwrap_or(0);
    if negative { 0i64.checked_sub_unsigned(m) } else { i64::try_from(m).ok() }
}

fn num_to_real(n: Num) -> Option<f64> {
    let (negative, e, frac) = match n {
        Num::Zero => return Some(0.0),
        Num::PosInf => return Some(f64::INFINITY),
        Num::NegInf => return Some(f64::NEG_INFINITY),
        Num::Neg(e, f) => (true, e, f),
        Num::Pos(e, f) => (false, e, f),
    };
    let exp = i32::from(e) - EXP_BIAS;
    let magnitude = if (-1022..=1023).contains(&exp) {
        if frac & 0xFFF != 0 {
            return None;
        }
        (((exp + 1023) as u64) << 52) | (frac >> 12)
    } else if (-1074..-1022).contains(&exp) {
        let kept = (exp + 1074) as u32; // fraction bits a subnormal keeps: 0..=51
        if frac.checked_shl(kept).unwrap_or(0) != 0 {
            return None;
        }
        (1u64 << kept) | frac.checked_shr(64 - kept).unwrap_or(0)
    } else {
        return None;
    };
    Some(f64::from_bits(magnitude | (u64::from(negative) << 63)))
}

fn push_escaped(tag: u8, bytes: &[u8], mask: u8, out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 3);
    out.push(tag ^ mask);
    let start = out.len();
    // Copied a run between zero bytes at a time; each zero gets its 0xFF.
    let mut rest = bytes;
    while let Some(i) = rest.iter().position(|&b| b == 0) {
        out.extend_from_slice(&rest[..=i]);
        out.push(0xFF);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    if mask != 0 {
        for x in &mut out[start..] {
            *x ^= mask;
        }
    }
    out.extend_from_slice(&[mask, mask]);
}

fn push_finite(tag: u8, e: u16, frac: u64, mask: u8, payload_mask: u8, out: &mut Vec<u8>) {
    let mut b = [0u8; 11];
    b[0] = tag ^ mask;
    b[1..3].copy_from_slice(&e.to_be_bytes());
    b[3..].copy_from_slice(&frac.to_be_bytes());
    for x in &mut b[1..] {
        *x ^= payload_mask;
    }
    out.extend_from_slice(&b);
}

/// The type trailer being collected: on the stack for keys of up to 16
/// numeric values (every index key in practice), spilling beyond.
struct Trailer {
    small: [u8; 16],
    n: usize,
    spill: Vec<u8>,
}

impl Trailer {
    fn new() -> Trailer {
        Trailer { small: [0; 16], n: 0, spill: Vec::new() }
    }

    fn push(&mut self, b: u8) {
        match self.small.get_mut(self.n) {
            Some(slot) => {
                *slot = b;
                self.n += 1;
            }
            None => self.spill.push(b),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.small[..self.n]);
        out.extend_from_slice(&self.spill);
    }
}

/// A borrowed [`KeyValue`], for building a key with [`KeyBuilder`]
/// straight from values held elsewhere.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyRef<'a> {
    /// SQL NULL.
    Null,
    /// 64-bit signed INTEGER.
    Integer(i64),
    /// 64-bit IEEE REAL (NaN is treated as NULL).
    Real(f64),
    /// UTF-8 TEXT, ordered bytewise.
    Text(&'a str),
    /// BLOB, ordered bytewise.
    Blob(&'a [u8]),
}

impl<'a> From<&'a KeyValue> for KeyRef<'a> {
    fn from(v: &'a KeyValue) -> KeyRef<'a> {
        match v {
            KeyValue::Null => KeyRef::Null,
            KeyValue::Integer(i) => KeyRef::Integer(*i),
            KeyValue::Real(r) => KeyRef::Real(*r),
            KeyValue::Text(s) => KeyRef::Text(s),
            KeyValue::Blob(b) => KeyRef::Blob(b),
        }
    }
}

/// Builds the key of a tuple one value at a time, each ascending or
/// descending: the same bytes [`encode_key_with_order`] gives for the
/// tuple, without an owned copy of its values.
///
/// ```
/// use dosql_storage::keycodec::{KeyBuilder, KeyRef, KeyValue, encode_key_with_order};
/// let mut b = KeyBuilder::new();
/// b.push(KeyRef::Text("ann"), true);
/// b.push(KeyRef::Integer(7), false);
/// let owned = [KeyValue::Text("ann".into()), KeyValue::Integer(7)];
/// assert_eq!(b.finish(), encode_key_with_order(&owned, &[true]));
/// ```
pub struct KeyBuilder {
    out: Vec<u8>,
    trailer: Trailer,
}

impl Default for KeyBuilder {
    fn default() -> Self {
        KeyBuilder::new()
    }
}

impl KeyBuilder {
    /// An empty key.
    pub fn new() -> KeyBuilder {
        KeyBuilder { out: Vec::with_capacity(48), trailer: Trailer::new() }
    }

    /// Appends the next value of the tuple, sorting descending if `desc`.
    pub fn push(&mut self, v: KeyRef<'_>, desc: bool) {
        push_body(v, if desc { 0xFF } else { 0x00 }, &mut self.out, &mut self.trailer);
    }

    /// The finished key.
    pub fn finish(mut self) -> Vec<u8> {
        self.trailer.write(&mut self.out);
        self.out
    }
}

/// Appends the body of `v` (XORed with `mask`) to `out` and its type byte,
/// if numeric, to `trailer`.
fn push_body(v: KeyRef<'_>, mask: u8, out: &mut Vec<u8>, trailer: &mut Trailer) {
    let num = match v {
        KeyRef::Null => return out.push(TAG_NULL ^ mask),
        KeyRef::Real(r) if r.is_nan() => return out.push(TAG_NULL ^ mask),
        KeyRef::Text(s) => return push_escaped(TAG_TEXT, s.as_bytes(), mask, out),
        KeyRef::Blob(b) => return push_escaped(TAG_BLOB, b, mask, out),
        KeyRef::Integer(i) => {
            trailer.push(TRAILER_INTEGER);
            int_num(i)
        }
        KeyRef::Real(r) => {
            trailer.push(TRAILER_REAL);
            real_num(r)
        }
    };
    match num {
        Num::NegInf => out.push(TAG_NEG_INF ^ mask),
        Num::Zero => out.push(TAG_ZERO ^ mask),
        Num::PosInf => out.push(TAG_POS_INF ^ mask),
        Num::Neg(e, f) => push_finite(TAG_NEG, e, f, mask, !mask, out),
        Num::Pos(e, f) => push_finite(TAG_POS, e, f, mask, mask, out),
    }
}

fn column_mask(desc: &[bool], column: usize) -> u8 {
    if desc.get(column).copied().unwrap_or(false) { 0xFF } else { 0x00 }
}

/// Encodes a tuple of values into a key; keys compare (memcmp) like the tuples
/// compare in SQLite, element by element, a prefix tuple first.
pub fn encode_key(values: &[KeyValue]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key_into(values, &mut out);
    out
}

/// Like [`encode_key`], appending to `out`.
pub fn encode_key_into(values: &[KeyValue], out: &mut Vec<u8>) {
    encode_with_order_into(values, &[], out);
}

/// Appends the complete key of the one-element tuple `[v]` (body and type
/// trailer) to `out`. Multi-column keys are not concatenations of these; use
/// [`encode_key_into`] for tuples.
pub fn encode_value_into(v: &KeyValue, out: &mut Vec<u8>) {
    encode_key_into(std::slice::from_ref(v), out);
}

/// Encodes a tuple where column `i` sorts descending if `desc[i]` is true
/// (columns beyond `desc.len()` are ascending). The bytes of DESC columns are
/// inverted, which flips that column's order; a prefix tuple still sorts
/// first, and the INTEGER-before-REAL tie-break stays ascending.
pub fn encode_key_with_order(values: &[KeyValue], desc: &[bool]) -> Vec<u8> {
    // Numbers take 11 bytes and their trailer byte; text its length and
    // about two more.
    let guess = values
        .iter()
        .map(|v| match v {
            KeyValue::Text(s) => s.len() + 2,
            KeyValue::Blob(b) => b.len() + 2,
            _ => 12,
        })
        .sum();
    let mut out = Vec::with_capacity(guess);
    encode_with_order_into(values, desc, &mut out);
    out
}

/// The leading bytes every key starting with `values` shares: their bodies
/// without the type trailer. Every key whose leading values equal `values`
/// (by [`compare_values`]) starts with these bytes and no other key does, so
/// `[body, body ++ [0xFF]]` bounds exactly the keys with that prefix (no
/// encoded byte that can follow a body is `0xFF`).
pub fn encode_prefix_body(values: &[KeyValue], desc: &[bool]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut trailer = Trailer::new();
    for (column, v) in values.iter().enumerate() {
        push_body(v.into(), column_mask(desc, column), &mut out, &mut trailer);
    }
    out
}

fn encode_with_order_into(values: &[KeyValue], desc: &[bool], out: &mut Vec<u8>) {
    let mut trailer = Trailer::new();
    for (column, v) in values.iter().enumerate() {
        push_body(v.into(), column_mask(desc, column), out, &mut trailer);
    }
    trailer.write(out);
}

/// Decodes a key produced by [`encode_key`]. Returns an error (never panics)
/// on truncated, non-canonical or garbage input.
pub fn decode_key(bytes: &[u8]) -> Result<Vec<KeyValue>, KeyDecodeError> {
    decode_key_with_order(bytes, &[])
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self, mask: u8) -> Result<u8, KeyDecodeError> {
        let b = self.bytes.get(self.pos).ok_or(KeyDecodeError::Truncated(self.pos))?;
        self.pos += 1;
        Ok(b ^ mask)
    }

    fn finite(&mut self, payload_mask: u8) -> Result<(u16, u64), KeyDecodeError> {
        let e = u16::from_be_bytes([self.byte(payload_mask)?, self.byte(payload_mask)?]);
        let mut frac = 0u64;
        for _ in 0..8 {
            frac = (frac << 8) | u64::from(self.byte(payload_mask)?);
        }
        Ok((e, frac))
    }

    fn escaped(&mut self, mask: u8) -> Result<Vec<u8>, KeyDecodeError> {
        let mut out = Vec::new();
        loop {
            match self.byte(mask)? {
                0 => match self.byte(mask)? {
                    0 => return Ok(out),
                    0xFF => out.push(0),
                    _ => return Err(KeyDecodeError::InvalidEscape(self.pos - 1)),
                },
                b => out.push(b),
            }
        }
    }
}

enum Item {
    Value(KeyValue),
    Num(usize, Num),
}

fn read_body(r: &mut Reader<'_>, mask: u8) -> Result<Item, KeyDecodeError> {
    let offset = r.pos;
    let num = match r.byte(mask)? {
        TAG_NULL => return Ok(Item::Value(KeyValue::Null)),
        TAG_NEG_INF => Num::NegInf,
        TAG_ZERO => Num::Zero,
        TAG_POS_INF => Num::PosInf,
        TAG_NEG => {
            let (e, f) = r.finite(!mask)?;
            Num::Neg(e, f)
        }
        TAG_POS => {
            let (e, f) = r.finite(mask)?;
            Num::Pos(e, f)
        }
        TAG_TEXT => {
            let s = String::from_utf8(r.escaped(mask)?);
            let s = s.map_err(|_| KeyDecodeError::InvalidUtf8(offset))?;
            return Ok(Item::Value(KeyValue::Text(s)));
        }
        TAG_BLOB => return Ok(Item::Value(KeyValue::Blob(r.escaped(mask)?))),
        _ => return Err(KeyDecodeError::InvalidTag(offset)),
    };
    Ok(Item::Num(offset, num))
}

/// Decodes a key produced by [`encode_key_with_order`] with the same `desc`.
/// Returns an error (never panics) on truncated, non-canonical or garbage input.
pub fn decode_key_with_order(bytes: &[u8], desc: &[bool]) -> Result<Vec<KeyValue>, KeyDecodeError> {
    let mut r = Reader { bytes, pos: 0 };
    let mut items = Vec::new();
    while let Some(&b) = bytes.get(r.pos) {
        if b == TRAILER_INTEGER || b == TRAILER_REAL {
            break; // the body ends where the trailer starts
        }
        items.push(read_body(&mut r, column_mask(desc, items.len()))?);
    }
    let mut values = Vec::with_capacity(items.len());
    for item in items {
        values.push(match item {
            Item::Value(v) => v,
            Item::Num(offset, n) => {
                let at = r.pos;
                let v = match r.byte(0)? {
                    TRAILER_INTEGER => num_to_integer(n).map(KeyValue::Integer),
                    TRAILER_REAL => num_to_real(n).map(KeyValue::Real),
                    _ => return Err(KeyDecodeError::InvalidTrailer(at)),
                };
                v.ok_or(KeyDecodeError::InvalidNumber(offset))?
            }
        });
    }
    if r.pos != bytes.len() {
        return Err(KeyDecodeError::TrailingBytes(r.pos));
    }
    Ok(values)
}

/// Exact comparison of an INTEGER with a non-NaN REAL.
fn cmp_int_real(i: i64, r: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if r >= TWO_63 {
        Ordering::Less
    } else if r < -TWO_63 {
        Ordering::Greater
    } else {
        // |trunc(r)| <= 2^63 and r >= -2^63, so the cast is exact.
        let t = r.trunc();
        i.cmp(&(t as i64)).then_with(|| 0.0.partial_cmp(&(r - t)).unwrap_or(Ordering::Equal))
    }
}

/// SQLite's order of two values under the BINARY collation: NULL (and NaN)
/// < numbers (INTEGER and REAL by exact numeric value, `1 == 1.0`,
/// `-0.0 == 0.0`) < TEXT (bytewise) < BLOB (bytewise).
pub fn compare_values(a: &KeyValue, b: &KeyValue) -> Ordering {
    fn class(v: &KeyValue) -> u8 {
        match v {
            KeyValue::Null => 0,
            KeyValue::Real(r) if r.is_nan() => 0,
            KeyValue::Integer(_) | KeyValue::Real(_) => 1,
            KeyValue::Text(_) => 2,
            KeyValue::Blob(_) => 3,
        }
    }
    let by_class = class(a).cmp(&class(b));
    if by_class != Ordering::Equal || class(a) == 0 {
        return by_class;
    }
    match (a, b) {
        (KeyValue::Integer(x), KeyValue::Integer(y)) => x.cmp(y),
        (KeyValue::Real(x), KeyValue::Real(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (KeyValue::Integer(x), KeyValue::Real(y)) => cmp_int_real(*x, *y),
        (KeyValue::Real(x), KeyValue::Integer(y)) => cmp_int_real(*y, *x).reverse(),
        (KeyValue::Text(x), KeyValue::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (KeyValue::Blob(x), KeyValue::Blob(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// SQLite's order of two tuples: [`compare_values`] element by element, a
/// tuple that is a prefix of the other first. Encoded keys follow this order;
/// tuples it calls equal (e.g. `(1)` and `(1.0)`) are distinct keys unless
/// they are identical, ordered by the INTEGER-before-REAL tie-break.
pub fn compare_tuples(a: &[KeyValue], b: &[KeyValue]) -> Ordering {
    a.iter().zip(b).map(|(x, y)| compare_values(x, y)).find(|o| o.is_ne()).unwrap_or_else(|| a.len().cmp(&b.len()))
}

#[cfg(test)]
#[path = "keycodec/tests.rs"]
mod tests;
