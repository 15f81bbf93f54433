//! Reading SQLite's binary JSONB format from BLOB arguments.
//!
//! SQLite (3.45+) treats a BLOB argument of the JSON functions as JSONB when
//! it looks like JSONB: the outer element's header must describe exactly the
//! whole BLOB and, for BLOBs whose payload is at most 7 bytes and that could
//! also be JSON text, every element must pass SQLite's validity check.
//! This module makes the same decision ([`is_jsonb`]), decodes such a BLOB
//! into a [`Node`] tree ([`decode`]) and implements the validity check used
//! by `json_valid(X, 8)` and `json_error_position()` ([`validity_error`]).
//!
//! [`encode`] produces JSONB for the `jsonb_*` functions.  Element text that is
//! not valid UTF-8 is decoded lossily.  A BLOB that passes SQLite's quick
//! JSONB test but is corrupt inside is rejected here as "malformed JSON" as
//! soon as it is used, where SQLite, which decodes lazily, may still answer
//! questions about its intact parts.

use super::node::{INVALID_CHAR, MAX_DEPTH, Node, unescape_one};

/// Node type codes of JSONB.
const NULL: u8 = 0;
const FALSE: u8 = 2;
const INT: u8 = 3;
const INT5: u8 = 4;
const FLOAT: u8 = 5;
const FLOAT5: u8 = 6;
const TEXT: u8 = 7;
const TEXTJ: u8 = 8;
const TEXT5: u8 = 9;
const TEXTRAW: u8 = 10;
const ARRAY: u8 = 11;
const OBJECT: u8 = 12;

/// Header length and payload size of the element at `i` (`None` if the
/// header is truncated or the payload runs past the end).
fn payload(z: &[u8], i: usize) -> Option<(usize, usize)> {
    let x = z.get(i)? >> 4;
    let byte = |k: usize| z.get(i + k).map(|&b| b as usize);
    let (n, sz) = match x {
        0..=11 => (1, x as usize),
        12 => (2, byte(1)?),
        13 => (3, (byte(1)? << 8) | byte(2)?),
        14 => (5, (byte(1)? << 24) | (byte(2)? << 16) | (byte(3)? << 8) | byte(4)?),
        _ => {
            if (1..=4).any(|k| byte(k) != Some(0)) {
                return None;
            }
            (9, (byte(5)? << 24) | (byte(6)? << 16) | (byte(7)? << 8) | byte(8)?)
        }
    };
    if i + n + sz > z.len() {
        return None;
    }
    Some((n, sz))
}

/// SQLite's `jsonArgIsJsonb`: does this BLOB hold JSONB?
pub fn is_jsonb(z: &[u8]) -> bool {
    let Some(&c) = z.first() else { return false };
    if c & 0x0f > OBJECT {
        return false;
    }
    let Some((n, sz)) = payload(z, 0) else { return false };
    if n + sz != z.len() {
        return false;
    }
    if c & 0x0f <= FALSE && sz != 0 {
        return false;
    }
    sz > 7 || (c != b'{' && c != b'[' && !c.is_ascii_digit()) || validity_error(z) == 0
}

/// Bytes allowed unescaped in a JSON string.
fn is_ok(c: u8) -> bool {
    c >= 0x20 && c != b'"' && c != b'\\'
}

/// SQLite's `jsonbValidityCheck` over the whole BLOB: 0 if it is valid
/// JSONB, otherwise the 1-based byte offset of the first problem.
pub fn validity_error(z: &[u8]) -> usize {
    match payload(z, 0) {
        Some((n, sz)) if n + sz == z.len() => check(z, 0, z.len(), 0),
        _ => 1,
    }
}

fn check(z: &[u8], i: usize, end: usize, depth: u32) -> usize {
    if depth > MAX_DEPTH {
        return i + 1;
    }
    let Some((n, sz)) = payload(z, i) else { return i + 1 };
    if i + n + sz != end {
        return i + 1;
    }
    let at = |k: usize| z.get(k).copied().unwrap_or(0);
    let x = at(i) & 0x0f;
    let (mut j, k) = (i + n, i + n + sz);
    match x {
        0..=2 => {
            if n + sz == 1 {
                0
            } else {
                i + 1
            }
        }
        INT => {
            if sz < 1 {
                return i + 1;
            }
            if at(j) == b'-' {
                j += 1;
                if sz < 2 {
                    return i + 1;
                }
            }
            while j < k {
                if !at(j).is_ascii_digit() {
                    return j + 1;
                }
                j += 1;
            }
            0
        }
        INT5 => {
            if sz < 3 {
                return i + 1;
            }
            if at(j) == b'-' {
                if sz < 4 {
                    return i + 1;
                }
                j += 1;
            }
            if at(j) != b'0' {
                return i + 1;
            }
            if at(j + 1) != b'x' && at(j + 1) != b'X' {
                return j + 2;
            }
            j += 2;
            while j < k {
                if !at(j).is_ascii_hexdigit() {
                    return j + 1;
                }
                j += 1;
            }
            0
        }
        FLOAT | FLOAT5 => {
            let mut seen = 0u8;
            if sz < 2 {
                return i + 1;
            }
            if at(j) == b'-' {
                j += 1;
                if sz < 3 {
                    return i + 1;
                }
            }
            if at(j) == b'.' {
                if x == FLOAT || !at(j + 1).is_ascii_digit() {
                    return j + 1;
                }
                j += 2;
                seen = 1;
            } else if at(j) == b'0' && x == FLOAT {
                if j + 3 > k {
                    return j + 1;
                }
                if !matches!(at(j + 1), b'.' | b'e' | b'E') {
                    return j + 1;
                }
                j += 1;
            }
            while j < k {
                let c = at(j);
                if c.is_ascii_digit() {
                } else if c == b'.' {
                    if seen > 0 {
                        return j + 1;
                    }
                    if x == FLOAT && (j == k - 1 || !at(j + 1).is_ascii_digit()) {
                        return j + 1;
                    }
                    seen = 1;
                } else if c == b'e' || c == b'E' {
                    if seen == 2 || j == k - 1 {
                        return j + 1;
                    }
                    if matches!(at(j + 1), b'+' | b'-') {
                        j += 1;
                        if j == k - 1 {
                            return j + 1;
                        }
                    }
                    seen = 2;
                } else {
                    return j + 1;
                }
                j += 1;
            }
            if seen == 0 { i + 1 } else { 0 }
        }
        TEXT => {
            while j < k {
                if !is_ok(at(j)) {
                    return j + 1;
                }
                j += 1;
            }
            0
        }
        TEXTJ | TEXT5 => {
            while j < k {
                let c = at(j);
                if !is_ok(c) {
                    if c == b'"' || c <= 0x1f {
                        if x == TEXTJ {
                            return j + 1;
                        }
                    } else if j + 1 >= k {
                        return j + 1;
                    } else if at(j + 1) == 0 || b"\"\\/bfnrt".contains(&at(j + 1)) {
                        j += 1;
                    } else if at(j + 1) == b'u' {
                        if j + 5 >= k || !(2..6).all(|d| at(j + d).is_ascii_hexdigit()) {
                            return j + 1;
                        }
                        j += 1;
                    } else if x != TEXT5 {
                        return j + 1;
                    } else {
                        let (ch, len) = unescape_one(z.get(j..k).unwrap_or(&[]));
                        if ch == INVALID_CHAR {
                            return j + 1;
                        }
                        j += len.max(1) - 1;
                    }
                }
                j += 1;
            }
            0
        }
        TEXTRAW => 0,
        ARRAY | OBJECT => {
            let mut cnt = 0usize;
            while j < k {
                let Some((cn, csz)) = payload(z, j) else { return j + 1 };
                if j + cn + csz > k {
                    return j + 1;
                }
                if x == OBJECT && cnt.is_multiple_of(2) && !(TEXT..=TEXTRAW).contains(&(at(j) & 0x0f)) {
                    return j + 1;
                }
                let sub = check(z, j, j + cn + csz, depth + 1);
                if sub != 0 {
                    return sub;
                }
                cnt += 1;
                j += cn + csz;
            }
            if x == OBJECT && !cnt.is_multiple_of(2) { j + 1 } else { 0 }
        }
        _ => i + 1,
    }
}

/// Decode a JSONB BLOB (already accepted by [`is_jsonb`]); `None` if its
/// structure is broken.
pub fn decode(z: &[u8]) -> Option<Node> {
    let (node, end) = decode_at(z, 0, 0)?;
    (end == z.len()).then_some(node)
}

fn decode_at(z: &[u8], i: usize, depth: u32) -> Option<(Node, usize)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (n, sz) = payload(z, i)?;
    let body = z.get(i + n..i + n + sz)?;
    let text = || String::from_utf8_lossy(body).into_owned();
    let node = match z.get(i)? & 0x0f {
        NULL => Node::Null,
        1 => Node::True,
        FALSE => Node::False,
        INT => Node::Int(text()),
        // Rendering a hexadecimal literal reads every digit: reject junk now.
        INT5 => {
            let digits = body.strip_prefix(b"-").or_else(|| body.strip_prefix(b"+")).unwrap_or(body);
            if digits.len() < 2 || !digits.get(2..)?.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            Node::Int5(text())
        }
        FLOAT => Node::Float(text()),
        FLOAT5 => Node::Float5(text()),
        TEXT => Node::Text(text()),
        TEXTJ => Node::TextJ(text()),
        TEXT5 => Node::Text5(text()),
        TEXTRAW => Node::TextRaw(text()),
        ARRAY => {
            let mut items = Vec::new();
            let mut j = i + n;
            while j < i + n + sz {
                let (it, next) = decode_at(z, j, depth + 1)?;
                items.push(it);
                j = next;
            }
            Node::Array(items)
        }
        OBJECT => {
            let mut members = Vec::new();
            let mut j = i + n;
            while j < i + n + sz {
                let (k, next) = decode_at(z, j, depth + 1)?;
                k.label()?;
                let (v, next) = decode_at(z, next, depth + 1)?;
                members.push((k, v));
                j = next;
            }
            Node::Object(members)
        }
        _ => return None,
    };
    Some((node, i + n + sz))
}

/// Record the offset and header length of every node of `node` (decoded
/// from `z` by [`decode`]) in `out`, keyed by node address.
pub fn offsets(z: &[u8], node: &Node, out: &mut std::collections::HashMap<usize, (u64, u64)>) {
    offsets_at(z, 0, node, out);
}

fn offsets_at(z: &[u8], i: usize, node: &Node, out: &mut std::collections::HashMap<usize, (u64, u64)>) -> usize {
    let Some((n, sz)) = payload(z, i) else { return z.len() };
    out.insert(node as *const Node as usize, (i as u64, n as u64));
    let mut j = i + n;
    match node {
        Node::Array(items) => {
            for it in items {
                j = offsets_at(z, j, it, out);
            }
        }
        Node::Object(members) => {
            for (k, v) in members {
                j = offsets_at(z, j, k, out);
                j = offsets_at(z, j, v, out);
            }
        }
        _ => {}
    }
    i + n + sz
}

/// Append the JSONB header of a node of type `t` with `sz` payload bytes,
/// using the smallest header (as SQLite does for the JSONB it builds).
fn push_header(out: &mut Vec<u8>, t: u8, sz: usize) {
    if sz <= 11 {
        out.push(t | ((sz as u8) << 4));
    } else if sz <= 0xff {
        out.extend_from_slice(&[t | 0xc0, sz as u8]);
    } else if sz <= 0xffff {
        out.extend_from_slice(&[t | 0xd0, (sz >> 8) as u8, sz as u8]);
    } else {
        out.extend_from_slice(&[t | 0xe0, (sz >> 24) as u8, (sz >> 16) as u8, (sz >> 8) as u8, sz as u8]);
    }
}

/// The JSONB encoding of a node.
pub fn encode(node: &Node) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(node, &mut out);
    out
}

fn encode_into(node: &Node, out: &mut Vec<u8>) {
    let (t, text) = match node {
        Node::Null => (NULL, None),
        Node::True => (1, None),
        Node::False => (FALSE, None),
        Node::Int(s) => (INT, Some(s)),
        Node::Int5(s) => (INT5, Some(s)),
        Node::Float(s) => (FLOAT, Some(s)),
        Node::Float5(s) => (FLOAT5, Some(s)),
        Node::Text(s) => (TEXT, Some(s)),
        Node::TextJ(s) => (TEXTJ, Some(s)),
        Node::Text5(s) => (TEXT5, Some(s)),
        Node::TextRaw(s) => (TEXTRAW, Some(s)),
        Node::Array(items) => {
            let mut body = Vec::new();
            for it in items {
                encode_into(it, &mut body);
            }
            push_header(out, ARRAY, body.len());
            out.extend_from_slice(&body);
            return;
        }
        Node::Object(members) => {
            let mut body = Vec::new();
            for (k, v) in members {
                encode_into(k, &mut body);
                encode_into(v, &mut body);
            }
            push_header(out, OBJECT, body.len());
            out.extend_from_slice(&body);
            return;
        }
    };
    let bytes = text.map_or(&[][..], |s| s.as_bytes());
    push_header(out, t, bytes.len());
    out.extend_from_slice(bytes);
}

/// The bytes of the element at offset `i` of `z` (header and payload).
pub fn element(z: &[u8], i: usize) -> Option<&[u8]> {
    let (n, sz) = payload(z, i)?;
    z.get(i..i + n + sz)
}

/// Nesting depth of JSONB, found without recursion (0 if not decodable).
pub fn rough_depth(z: &[u8]) -> usize {
    let mut ends: Vec<usize> = Vec::new();
    let mut max = 0;
    let mut i = 0;
    while i < z.len() {
        let Some((n, sz)) = payload(z, i) else { break };
        let t = z[i] & 0x0f;
        if t == ARRAY || t == OBJECT {
            ends.push(i + n + sz);
            max = max.max(ends.len());
            i += n;
        } else {
            i += n + sz;
        }
        while ends.last().is_some_and(|&e| i >= e) {
            ends.pop();
        }
    }
    max
}
