//! The JSON document tree: a parser for JSON text (with SQLite's JSON5
//! extensions), the minified and pretty renderers, and the conversion of a
//! node to an SQL value.
//!
//! The tree keeps number and string literals as the text that was written,
//! tagged with whether that text is already canonical JSON, because SQLite
//! copies canonical literals verbatim (`json('1.0e5')` stays `1.0e5`,
//! `"\u0041"` keeps its escape) and only rewrites JSON5 forms.  The parser
//! follows SQLite's grammar decisions step by step so that the error offset
//! reported by `json_error_position()` is the same.
//!
//! Left out: the binary JSONB format (BLOB arguments are read as text).

use crate::func::num::atof;
use crate::value::{AtoiRc, Value, atoi64};

/// Maximum nesting depth of arrays and objects (SQLite's `JSON_MAX_DEPTH`).
pub const MAX_DEPTH: u32 = 1000;

/// Value reported for an undecodable escape (SQLite's `JSON_INVALID_CHAR`).
pub const INVALID_CHAR: u32 = 0x99999;

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`.
    Null,
    /// `true`.
    True,
    /// `false`.
    False,
    /// A canonical decimal integer literal, kept verbatim.
    Int(String),
    /// A JSON5 hexadecimal integer literal (optional `-`, then `0x...`).
    Int5(String),
    /// A canonical floating-point literal, kept verbatim.
    Float(String),
    /// A JSON5 float literal (missing digits beside the `.`).
    Float5(String),
    /// String content without any escape.
    Text(String),
    /// String content with canonical JSON escapes, kept verbatim.
    TextJ(String),
    /// String content with JSON5 escapes or raw control characters.
    Text5(String),
    /// String content that came from SQL text: escaped when rendered.
    TextRaw(String),
    /// An array.
    Array(Vec<Node>),
    /// An object: label nodes (always a text kind) with their values.
    Object(Vec<(Node, Node)>),
}

impl Node {
    /// SQLite's `json_type()` name of the node.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::True => "true",
            Node::False => "false",
            Node::Int(_) | Node::Int5(_) => "integer",
            Node::Float(_) | Node::Float5(_) => "real",
            Node::Text(_) | Node::TextJ(_) | Node::Text5(_) | Node::TextRaw(_) => "text",
            Node::Array(_) => "array",
            Node::Object(_) => "object",
        }
    }

    /// True for arrays and objects.
    pub fn is_container(&self) -> bool {
        matches!(self, Node::Array(_) | Node::Object(_))
    }

    /// The text of a string node and whether it is free of escapes.
    pub fn label(&self) -> Option<(&str, bool)> {
        match self {
            Node::Text(s) | Node::TextRaw(s) => Some((s, true)),
            Node::TextJ(s) | Node::Text5(s) => Some((s, false)),
            _ => None,
        }
    }
}

/// Byte classes used by the parser (ASCII-only, like SQLite's `sqlite3Ctype`).
fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}
fn is_xdigit(c: u8) -> bool {
    c.is_ascii_hexdigit()
}
fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}
/// First character of an unquoted JSON5 object label.
fn is_id1(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'$' || c == b'_' || c >= 0x80
}
/// Later characters of an unquoted JSON5 object label.
fn is_id2(c: u8) -> bool {
    is_id1(c) || is_digit(c)
}
/// Plain JSON whitespace.
pub fn is_json_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}
/// Bytes that can be copied into a JSON string literal unescaped.
fn is_ok(c: u8) -> bool {
    c >= 0x20 && c != b'"' && c != b'\\' && c != b'\''
}

/// Outcome of one parser step (SQLite's small negative return codes).
enum Step {
    /// A value and the offset just past it.
    Val(Node, usize),
    /// `}` (offset in `err`).
    EndObj,
    /// `]`.
    EndArr,
    /// `,`.
    Comma,
    /// `:`.
    Colon,
    /// End of input.
    Eof,
    /// Syntax error (offset in `err`).
    Err,
}

/// Result of parsing a whole JSON text.
pub struct Parsed {
    /// The document.
    pub node: Node,
    /// True if any JSON5 extension was used.
    pub nonstd: bool,
}

/// A JSON text parser.
struct Parser<'a> {
    z: &'a [u8],
    err: usize,
    nonstd: bool,
    depth: u32,
}

/// Parse JSON text; `Err(offset)` gives the byte offset SQLite reports.
pub fn parse(text: &str) -> Result<Parsed, usize> {
    let mut p = Parser { z: text.as_bytes(), err: 0, nonstd: false, depth: 0 };
    match p.step(0) {
        Step::Val(node, mut i) => {
            while is_json_space(p.at(i)) {
                i += 1;
            }
            if p.at(i) != 0 {
                i += p.json5_space(i);
                if p.at(i) != 0 {
                    return Err(p.err);
                }
                p.nonstd = true;
            }
            Ok(Parsed { node, nonstd: p.nonstd })
        }
        _ => Err(p.err),
    }
}

/// Parse JSON text, mapping any error to SQLite's "malformed JSON".
pub fn parse_or_malformed(text: &str) -> Result<Node, String> {
    parse(text).map(|p| p.node).map_err(|_| MALFORMED.to_string())
}

/// SQLite's error for unparsable JSON.
pub const MALFORMED: &str = "malformed JSON";

/// Case-insensitive ASCII prefix test at `i`.
fn has_prefix_ci(z: &[u8], i: usize, pat: &[u8]) -> bool {
    z.get(i..i + pat.len()).is_some_and(|s| s.eq_ignore_ascii_case(pat))
}

impl Parser<'_> {
    /// Byte at `i`, with 0 past the end (C's terminator).
    fn at(&self, i: usize) -> u8 {
        self.z.get(i).copied().unwrap_or(0)
    }

    /// Text of `z[a..b]` (always on character boundaries here).
    fn slice(&self, a: usize, b: usize) -> String {
        String::from_utf8_lossy(self.z.get(a..b).unwrap_or(&[])).into_owned()
    }

    fn skip_spaces(&self, mut j: usize) -> usize {
        while is_json_space(self.at(j)) {
            j += 1;
        }
        j
    }

    fn is_4hex(&self, i: usize) -> bool {
        (0..4).all(|k| is_xdigit(self.at(i + k)))
    }

    /// Length of JSON5 whitespace and comments starting at `n0`.
    fn json5_space(&self, n0: usize) -> usize {
        let mut n = n0;
        loop {
            match self.at(n) {
                0x09 | 0x0a | 0x0b | 0x0c | 0x0d | 0x20 => n += 1,
                b'/' => {
                    if self.at(n + 1) == b'*' && self.at(n + 2) != 0 {
                        let mut j = n + 3;
                        while self.at(j) != b'/' || self.at(j - 1) != b'*' {
                            if self.at(j) == 0 {
                                return n - n0;
                            }
                            j += 1;
                        }
                        n = j + 1;
                    } else if self.at(n + 1) == b'/' {
                        let mut j = n + 2;
                        loop {
                            let c = self.at(j);
                            if c == 0 || c == b'\n' || c == b'\r' {
                                break;
                            }
                            if c == 0xe2 && self.at(j + 1) == 0x80 && matches!(self.at(j + 2), 0xa8 | 0xa9) {
                                j += 2;
                                break;
                            }
                            j += 1;
                        }
                        n = j;
                        if self.at(n) != 0 {
                            n += 1;
                        }
                    } else {
                        return n - n0;
                    }
                }
                0xc2 if self.at(n + 1) == 0xa0 => n += 2,
                0xe1 if self.at(n + 1) == 0x9a && self.at(n + 2) == 0x80 => n += 3,
                0xe2 => {
                    let c = self.at(n + 2);
                    let spaces_80 = self.at(n + 1) == 0x80 && matches!(c, 0x80..=0x8a | 0xa8 | 0xa9 | 0xaf);
                    if spaces_80 || (self.at(n + 1) == 0x81 && c == 0x9f) {
                        n += 3;
                    } else {
                        return n - n0;
                    }
                }
                0xe3 if self.at(n + 1) == 0x80 && self.at(n + 2) == 0x80 => n += 3,
                0xef if self.at(n + 1) == 0xbb && self.at(n + 2) == 0xbf => n += 3,
                _ => return n - n0,
            }
        }
    }

    fn fail(&mut self, at: usize) -> Step {
        self.err = at;
        Step::Err
    }

    /// Parse one value (or report the punctuation found) starting at `i`.
    fn step(&mut self, mut i: usize) -> Step {
        loop {
            let c = self.at(i);
            match c {
                b'{' => return self.object(i),
                b'[' => return self.array(i),
                b'"' | b'\'' => return self.string(i),
                b't' => {
                    return if self.z.get(i..i + 4) == Some(b"true") && !is_alnum(self.at(i + 4)) {
                        Step::Val(Node::True, i + 4)
                    } else {
                        self.fail(i)
                    };
                }
                b'f' => {
                    return if self.z.get(i..i + 5) == Some(b"false") && !is_alnum(self.at(i + 5)) {
                        Step::Val(Node::False, i + 5)
                    } else {
                        self.fail(i)
                    };
                }
                b'+' | b'.' | b'-' | b'0'..=b'9' => return self.number(i),
                b'}' => {
                    self.err = i;
                    return Step::EndObj;
                }
                b']' => {
                    self.err = i;
                    return Step::EndArr;
                }
                b',' => {
                    self.err = i;
                    return Step::Comma;
                }
                b':' => {
                    self.err = i;
                    return Step::Colon;
                }
                0 => return Step::Eof,
                0x09 | 0x0a | 0x0d | 0x20 => {
                    i = self.skip_spaces(i + 1);
                }
                0x0b | 0x0c | b'/' | 0xc2 | 0xe1 | 0xe2 | 0xe3 | 0xef => {
                    let j = self.json5_space(i);
                    if j == 0 {
                        return self.fail(i);
                    }
                    i += j;
                    self.nonstd = true;
                }
                _ => {
                    if c == b'n' && self.z.get(i..i + 4) == Some(b"null") && !is_alnum(self.at(i + 4)) {
                        return Step::Val(Node::Null, i + 4);
                    }
                    return self.nan_inf(i);
                }
            }
        }
    }

    /// The extra literals `inf`, `infinity`, `NaN`, `QNaN`, `SNaN` (any case).
    fn nan_inf(&mut self, i: usize) -> Step {
        const NAMES: [(&[u8], bool); 5] =
            [(b"inf", true), (b"infinity", true), (b"nan", false), (b"qnan", false), (b"snan", false)];
        for (name, is_inf) in NAMES {
            if has_prefix_ci(self.z, i, name) && !is_alnum(self.at(i + name.len())) {
                self.nonstd = true;
                let node = if is_inf { Node::Float("9e999".into()) } else { Node::Null };
                return Step::Val(node, i + name.len());
            }
        }
        self.fail(i)
    }

    fn object(&mut self, i: usize) -> Step {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(i);
        }
        let mut members: Vec<(Node, Node)> = Vec::new();
        let mut j = i + 1;
        loop {
            let (key, next) = match self.step(j) {
                Step::Val(k, x) => {
                    if k.label().is_none() {
                        return self.fail(j);
                    }
                    (k, x)
                }
                other => {
                    if matches!(other, Step::EndObj) {
                        j = self.err;
                        if !members.is_empty() {
                            self.nonstd = true;
                        }
                        break;
                    }
                    let was_err = matches!(other, Step::Err);
                    j += self.json5_space(j);
                    let escape_start =
                        |p: &Self, at: usize| p.at(at) == b'\\' && p.at(at + 1) == b'u' && p.is_4hex(at + 2);
                    if is_id1(self.at(j)) || escape_start(self, j) {
                        let mut escaped = escape_start(self, j);
                        let mut k = j + 1;
                        loop {
                            if is_id2(self.at(k)) && self.json5_space(k) == 0 {
                                k += 1;
                            } else if escape_start(self, k) {
                                escaped = true;
                                k += 1;
                            } else {
                                break;
                            }
                        }
                        let text = self.slice(j, k);
                        self.nonstd = true;
                        (if escaped { Node::TextJ(text) } else { Node::Text(text) }, k)
                    } else {
                        if !was_err {
                            self.err = j;
                        }
                        return Step::Err;
                    }
                }
            };
            j = next;
            if self.at(j) == b':' {
                j += 1;
            } else {
                let mut found = false;
                if is_json_space(self.at(j)) {
                    j = self.skip_spaces(j);
                    if self.at(j) == b':' {
                        j += 1;
                        found = true;
                    }
                }
                if !found {
                    match self.step(j) {
                        Step::Colon => j = self.err + 1,
                        Step::Err => return Step::Err,
                        _ => return self.fail(j),
                    }
                }
            }
            let value = match self.step(j) {
                Step::Val(v, x) => {
                    j = x;
                    v
                }
                Step::Err => return Step::Err,
                _ => return self.fail(j),
            };
            members.push((key, value));
            match self.at(j) {
                b',' => {
                    j += 1;
                    continue;
                }
                b'}' => break,
                _ => {}
            }
            if is_json_space(self.at(j)) {
                j = self.skip_spaces(j + 1);
                match self.at(j) {
                    b',' => {
                        j += 1;
                        continue;
                    }
                    b'}' => break,
                    _ => {}
                }
            }
            match self.step(j) {
                Step::Comma => {
                    j = self.err + 1;
                    continue;
                }
                Step::EndObj => {
                    j = self.err;
                    break;
                }
                _ => return self.fail(j),
            }
        }
        self.depth -= 1;
        Step::Val(Node::Object(members), j + 1)
    }

    fn array(&mut self, i: usize) -> Step {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(i);
        }
        let mut items = Vec::new();
        let mut j = i + 1;
        loop {
            match self.step(j) {
                Step::Val(v, x) => {
                    items.push(v);
                    j = x;
                }
                Step::EndArr => {
                    j = self.err;
                    if !items.is_empty() {
                        self.nonstd = true;
                    }
                    break;
                }
                Step::Err => return Step::Err,
                _ => return self.fail(j),
            }
            match self.at(j) {
                b',' => {
                    j += 1;
                    continue;
                }
                b']' => break,
                _ => {}
            }
            if is_json_space(self.at(j)) {
                j = self.skip_spaces(j + 1);
                match self.at(j) {
                    b',' => {
                        j += 1;
                        continue;
                    }
                    b']' => break,
                    _ => {}
                }
            }
            match self.step(j) {
                Step::Comma => {
                    j = self.err + 1;
                    continue;
                }
                Step::EndArr => {
                    j = self.err;
                    break;
                }
                _ => return self.fail(j),
            }
        }
        self.depth -= 1;
        Step::Val(Node::Array(items), j + 1)
    }

    fn string(&mut self, i: usize) -> Step {
        #[derive(PartialEq)]
        enum Kind {
            Plain,
            J,
            Five,
        }
        let delim = self.at(i);
        if delim == b'\'' {
            self.nonstd = true;
        }
        let mut kind = Kind::Plain;
        let mut j = i + 1;
        loop {
            let c = self.at(j);
            if is_ok(c) {
                j += 1;
                continue;
            }
            if c == delim {
                break;
            }
            if c == b'\\' {
                j += 1;
                let c = self.at(j);
                if matches!(c, b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't')
                    || (c == b'u' && self.is_4hex(j + 1))
                {
                    if kind == Kind::Plain {
                        kind = Kind::J;
                    }
                } else if matches!(c, b'\'' | b'v' | b'\n')
                    || (c == b'0' && !is_digit(self.at(j + 1)))
                    || (c == 0xe2 && self.at(j + 1) == 0x80 && matches!(self.at(j + 2), 0xa8 | 0xa9))
                    || (c == b'x' && is_xdigit(self.at(j + 1)) && is_xdigit(self.at(j + 2)))
                {
                    kind = Kind::Five;
                    self.nonstd = true;
                } else if c == b'\r' {
                    if self.at(j + 1) == b'\n' {
                        j += 1;
                    }
                    kind = Kind::Five;
                    self.nonstd = true;
                } else {
                    return self.fail(j);
                }
            } else if c <= 0x1f {
                if c == 0 {
                    return self.fail(j);
                }
                kind = Kind::Five;
                self.nonstd = true;
            } else if c == b'"' {
                kind = Kind::Five;
            }
            j += 1;
        }
        let text = self.slice(i + 1, j);
        let node = match kind {
            Kind::Plain => Node::Text(text),
            Kind::J => Node::TextJ(text),
            Kind::Five => Node::Text5(text),
        };
        Step::Val(node, j + 1)
    }

    fn number(&mut self, mut i: usize) -> Step {
        // t: bit 0 = JSON5 form, bit 1 = float.
        let mut t = 0u8;
        let c = self.at(i);
        let mut j;
        'body: {
            if c == b'.' {
                if !is_digit(self.at(i + 1)) {
                    return self.fail(i);
                }
                self.nonstd = true;
                t = 3;
            } else {
                if c == b'+' {
                    self.nonstd = true;
                }
                if c == b'0' {
                    if matches!(self.at(i + 1), b'x' | b'X') && is_xdigit(self.at(i + 2)) {
                        self.nonstd = true;
                        t = 1;
                        j = i + 3;
                        while is_xdigit(self.at(j)) {
                            j += 1;
                        }
                        break 'body;
                    } else if is_digit(self.at(i + 1)) {
                        return self.fail(i + 1);
                    }
                } else if c == b'-' || c == b'+' {
                    if !is_digit(self.at(i + 1)) {
                        if has_prefix_ci(self.z, i + 1, b"inf") {
                            self.nonstd = true;
                            let text = if c == b'-' { "-9e999" } else { "9e999" };
                            let len = if has_prefix_ci(self.z, i + 4, b"inity") { 9 } else { 4 };
                            return Step::Val(Node::Float(text.into()), i + len);
                        }
                        if self.at(i + 1) == b'.' {
                            self.nonstd = true;
                            t |= 1;
                        } else {
                            return self.fail(i);
                        }
                    } else if self.at(i + 1) == b'0' {
                        if is_digit(self.at(i + 2)) {
                            return self.fail(i + 1);
                        } else if matches!(self.at(i + 2), b'x' | b'X') && is_xdigit(self.at(i + 3)) {
                            self.nonstd = true;
                            t |= 1;
                            j = i + 4;
                            while is_xdigit(self.at(j)) {
                                j += 1;
                            }
                            break 'body;
                        }
                    }
                }
            }
            let mut seen_e = false;
            j = i + 1;
            loop {
                let c = self.at(j);
                if is_digit(c) {
                    j += 1;
                    continue;
                }
                if c == b'.' {
                    if t & 2 != 0 {
                        return self.fail(j);
                    }
                    t |= 2;
                    j += 1;
                    continue;
                }
                if c == b'e' || c == b'E' {
                    if self.at(j - 1) < b'0' {
                        if self.at(j - 1) == b'.' && j >= i + 2 && is_digit(self.at(j - 2)) {
                            self.nonstd = true;
                            t |= 1;
                        } else {
                            return self.fail(j);
                        }
                    }
                    if seen_e {
                        return self.fail(j);
                    }
                    t |= 2;
                    seen_e = true;
                    let mut c = self.at(j + 1);
                    if c == b'+' || c == b'-' {
                        j += 1;
                        c = self.at(j + 1);
                    }
                    if !is_digit(c) {
                        return self.fail(j);
                    }
                    j += 1;
                    continue;
                }
                break;
            }
            if self.at(j - 1) < b'0' {
                if self.at(j - 1) == b'.' && j >= i + 2 && is_digit(self.at(j - 2)) {
                    self.nonstd = true;
                    t |= 1;
                } else {
                    return self.fail(j);
                }
            }
        }
        if self.at(i) == b'+' {
            i += 1;
        }
        let text = self.slice(i, j);
        let node = match t {
            0 => Node::Int(text),
            1 => Node::Int5(text),
            2 => Node::Float(text),
            _ => Node::Float5(text),
        };
        Step::Val(node, j)
    }
}

/// Append `\uXXXX` or a short escape for a control character.
fn push_control(out: &mut String, c: u8) {
    match c {
        0x08 => out.push_str("\\b"),
        0x09 => out.push_str("\\t"),
        0x0a => out.push_str("\\n"),
        0x0c => out.push_str("\\f"),
        0x0d => out.push_str("\\r"),
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 0xf)]));
        }
    }
}

/// Append SQL text as a quoted JSON string (SQLite's `jsonAppendString`).
pub fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => push_control(out, c as u8),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Append a JSON5 string body converted to canonical JSON.
fn push_text5(out: &mut String, s: &str) {
    out.push('"');
    let b = s.as_bytes();
    let mut k = 0usize;
    let mut run = 0usize;
    let flush = |out: &mut String, from: usize, to: usize| {
        if let Some(part) = s.get(from..to) {
            out.push_str(part);
        }
    };
    while k < b.len() {
        let c = b[k];
        if is_ok(c) || c == b'\'' {
            k += 1;
            continue;
        }
        flush(out, run, k);
        if c == b'"' {
            out.push_str("\\\"");
            k += 1;
        } else if c <= 0x1f {
            push_control(out, c);
            k += 1;
        } else {
            // A backslash escape.
            let next = b.get(k + 1).copied().unwrap_or(0);
            match next {
                b'\'' => {
                    out.push('\'');
                    k += 2;
                }
                b'v' => {
                    out.push_str("\\u000b");
                    k += 2;
                }
                b'x' => {
                    out.push_str("\\u00");
                    flush(out, k + 2, k + 4);
                    k += 4;
                }
                b'0' => {
                    out.push_str("\\u0000");
                    k += 2;
                }
                b'\r' => {
                    k += if b.get(k + 2) == Some(&b'\n') { 3 } else { 2 };
                }
                b'\n' => k += 2,
                0xe2 => k += 4,
                _ => {
                    // A canonical escape: copy the backslash and the next character.
                    let end = s[k + 1..].chars().next().map_or(k + 2, |ch| k + 1 + ch.len_utf8());
                    flush(out, k, end);
                    k = end;
                }
            }
        }
        run = k.min(b.len());
    }
    flush(out, run, b.len());
    out.push('"');
}

/// Append a JSON5 hexadecimal integer in decimal.
fn push_int5(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut k = 2;
    if b.first() == Some(&b'-') {
        out.push('-');
        k += 1;
    } else if b.first() == Some(&b'+') {
        k += 1;
    }
    let mut u: u64 = 0;
    let mut overflow = false;
    for &c in b.get(k..).unwrap_or(&[]) {
        if u >> 60 != 0 {
            overflow = true;
        } else {
            u = u * 16 + u64::from(hex_val(c));
        }
    }
    if overflow {
        out.push_str("9.0e999");
    } else {
        out.push_str(&u.to_string());
    }
}

/// Append a JSON5 float with the missing zero digits added.
fn push_float5(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut k = 0;
    if b.first() == Some(&b'-') {
        out.push('-');
        k = 1;
    }
    if b.get(k) == Some(&b'.') {
        out.push('0');
    }
    while k < b.len() {
        out.push(char::from(b[k]));
        if b[k] == b'.' && !b.get(k + 1).is_some_and(|c| c.is_ascii_digit()) {
            out.push('0');
        }
        k += 1;
    }
}

/// Value of a hexadecimal digit, computed like SQLite's `sqlite3HexToInt`
/// (which gives some value for any byte; only JSONB input can reach that).
fn hex_val(c: u8) -> u8 {
    (c.wrapping_add(9 * ((c >> 6) & 1))) & 0xf
}

/// Append the minified canonical JSON text of `n`.
pub fn render(n: &Node, out: &mut String) {
    match n {
        Node::Null => out.push_str("null"),
        Node::True => out.push_str("true"),
        Node::False => out.push_str("false"),
        Node::Int(s) | Node::Float(s) => out.push_str(s),
        Node::Int5(s) => push_int5(out, s),
        Node::Float5(s) => push_float5(out, s),
        Node::Text(s) | Node::TextJ(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Node::Text5(s) => push_text5(out, s),
        Node::TextRaw(s) => push_quoted(out, s),
        Node::Array(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render(it, out);
            }
            out.push(']');
        }
        Node::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render(k, out);
                out.push(':');
                render(v, out);
            }
            out.push('}');
        }
    }
}

/// The minified canonical JSON text of `n`.
pub fn to_json(n: &Node) -> String {
    let mut s = String::new();
    render(n, &mut s);
    s
}

/// Append `n` pretty-printed with `indent` per level (SQLite's `json_pretty`).
pub fn render_pretty(n: &Node, indent: &str, level: usize, out: &mut String) {
    let pad = |out: &mut String, level: usize| {
        for _ in 0..level {
            out.push_str(indent);
        }
    };
    match n {
        Node::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                pad(out, level + 1);
                render_pretty(it, indent, level + 1, out);
            }
            out.push('\n');
            pad(out, level);
            out.push(']');
        }
        Node::Object(members) if !members.is_empty() => {
            out.push_str("{\n");
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                pad(out, level + 1);
                render(k, out);
                out.push_str(": ");
                render_pretty(v, indent, level + 1, out);
            }
            out.push('\n');
            pad(out, level);
            out.push('}');
        }
        _ => render(n, out),
    }
}

/// Decode one escape sequence at the start of `z` (which begins with a
/// backslash): the code point (or [`INVALID_CHAR`]) and the bytes used.
pub fn unescape_one(z: &[u8]) -> (u32, usize) {
    let n = z.len();
    if n < 2 {
        return (INVALID_CHAR, n);
    }
    let hex4 = |s: &[u8]| -> u32 { s.iter().take(4).fold(0u32, |a, &c| (a << 4) | u32::from(hex_val(c))) };
    match z[1] {
        b'u' => {
            if n < 6 {
                return (INVALID_CHAR, n);
            }
            let v = hex4(&z[2..6]);
            if v & 0xfc00 == 0xd800 && n >= 12 && z[6] == b'\\' && z[7] == b'u' {
                let lo = hex4(&z[8..12]);
                if lo & 0xfc00 == 0xdc00 {
                    return (((v & 0x3ff) << 10) + (lo & 0x3ff) + 0x10000, 12);
                }
            }
            (v, 6)
        }
        b'b' => (8, 2),
        b'f' => (12, 2),
        b'n' => (10, 2),
        b'r' => (13, 2),
        b't' => (9, 2),
        b'v' => (11, 2),
        b'0' => (if n > 2 && is_digit(z[2]) { INVALID_CHAR } else { 0 }, 2),
        b'\'' | b'"' | b'/' | b'\\' => (u32::from(z[1]), 2),
        b'x' => {
            if n < 4 {
                return (INVALID_CHAR, n);
            }
            ((u32::from(hex_val(z[2])) << 4) | u32::from(hex_val(z[3])), 4)
        }
        0xe2 | b'\r' | b'\n' => {
            let skip = bytes_to_bypass(z);
            if skip == 0 {
                (INVALID_CHAR, n)
            } else if skip == n {
                (0, n)
            } else if z[skip] == b'\\' {
                let (c, len) = unescape_one(&z[skip..]);
                (c, skip + len)
            } else {
                let (c, len) = read_utf8(&z[skip..]);
                (c, skip + len)
            }
        }
        _ => (INVALID_CHAR, 2),
    }
}

/// Bytes of backslash-newline line continuations at the start of `z`.
fn bytes_to_bypass(z: &[u8]) -> usize {
    let n = z.len();
    let mut i = 0;
    while i + 1 < n {
        if z[i] != b'\\' {
            return i;
        }
        match z[i + 1] {
            b'\n' => i += 2,
            b'\r' => i += if i + 2 < n && z[i + 2] == b'\n' { 3 } else { 2 },
            0xe2 if i + 3 < n && z[i + 2] == 0x80 && matches!(z[i + 3], 0xa8 | 0xa9) => i += 4,
            _ => break,
        }
    }
    i
}

/// Decode one UTF-8 character (the input is valid UTF-8 text).
pub fn read_utf8(z: &[u8]) -> (u32, usize) {
    let Some(&c) = z.first() else { return (0, 0) };
    let len = match c {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xff => 4,
        _ => 1,
    };
    let len = len.min(z.len());
    match std::str::from_utf8(&z[..len]).ok().and_then(|s| s.chars().next()) {
        Some(ch) => (ch as u32, len),
        None => (u32::from(c), 1),
    }
}

/// Append a code point as (possibly surrogate-encoded) UTF-8 bytes.
fn push_code_point(out: &mut Vec<u8>, v: u32) {
    if v <= 0x7f {
        out.push(v as u8);
    } else if v <= 0x7ff {
        out.extend_from_slice(&[0xc0 | (v >> 6) as u8, 0x80 | (v & 0x3f) as u8]);
    } else if v < 0x10000 {
        out.extend_from_slice(&[0xe0 | (v >> 12) as u8, 0x80 | ((v >> 6) & 0x3f) as u8, 0x80 | (v & 0x3f) as u8]);
    } else if v != INVALID_CHAR {
        out.extend_from_slice(&[
            0xf0 | (v >> 18) as u8,
            0x80 | ((v >> 12) & 0x3f) as u8,
            0x80 | ((v >> 6) & 0x3f) as u8,
            0x80 | (v & 0x3f) as u8,
        ]);
    }
}

/// The SQL text of an escaped string body (invalid escapes are dropped;
/// lone surrogates become U+FFFD since our text is UTF-8).
pub fn unescape(s: &str) -> String {
    let z = s.as_bytes();
    let mut out = Vec::with_capacity(z.len());
    let mut i = 0;
    while i < z.len() {
        if z[i] == b'\\' {
            let (v, len) = unescape_one(&z[i..]);
            push_code_point(&mut out, v);
            i += len.max(1);
        } else {
            out.push(z[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Code points of a label for comparison (escapes decoded when `raw` is false).
pub fn label_chars(s: &str, raw: bool) -> Vec<u32> {
    let z = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < z.len() {
        let (c, len) = if !raw && z[i] == b'\\' { unescape_one(&z[i..]) } else { read_utf8(&z[i..]) };
        out.push(c);
        i += len.max(1);
    }
    out
}

/// SQLite's label equality: byte equality for escape-free labels, else
/// decoded code points up to the first NUL.
pub fn labels_equal(a: &str, a_raw: bool, b: &str, b_raw: bool) -> bool {
    if a_raw && b_raw {
        return a == b;
    }
    let (x, y) = (label_chars(a, a_raw), label_chars(b, b_raw));
    let cut = |v: &[u32]| v.iter().position(|&c| c == 0).unwrap_or(v.len());
    x[..cut(&x)] == y[..cut(&y)]
}

/// SQLite's `sqlite3DecOrHexToI64`: value and return code (0 ok, 1 junk,
/// 2 overflow, 3 exactly 2^63).
fn dec_or_hex_to_i64(z: &str) -> (i64, i32) {
    let b = z.as_bytes();
    if b.first() == Some(&b'0') && matches!(b.get(1), Some(b'x' | b'X')) {
        let mut i = 2;
        while b.get(i) == Some(&b'0') {
            i += 1;
        }
        let mut k = i;
        let mut u: u64 = 0;
        while let Some(&c) = b.get(k).filter(|c| c.is_ascii_hexdigit()) {
            u = u.wrapping_mul(16).wrapping_add(u64::from(hex_val(c)));
            k += 1;
        }
        let v = u as i64;
        if k - i > 16 {
            return (v, 2);
        }
        if k < b.len() {
            return (v, 1);
        }
        return (v, 0);
    }
    let (v, rc) = atoi64(b);
    (v, if rc == AtoiRc::NoDigits { 1 } else { rc.code() })
}

/// Convert a node to the SQL value SQLite returns for it (containers become
/// their JSON text).
pub fn to_sql(n: &Node) -> Result<Value, String> {
    Ok(match n {
        Node::Null => Value::Null,
        Node::True => Value::Integer(1),
        Node::False => Value::Integer(0),
        Node::Int(s) | Node::Int5(s) => {
            let (neg, digits) = match s.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, s.as_str()),
            };
            let (v, rc) = dec_or_hex_to_i64(digits);
            match rc {
                0 if v < 0 => {
                    let r = v as u64 as f64;
                    Value::Real(if neg { -r } else { r })
                }
                0 => Value::Integer(if neg { v.wrapping_neg() } else { v }),
                3 if neg => Value::Integer(i64::MIN),
                1 => return Err(MALFORMED.into()),
                _ => float_value(s)?,
            }
        }
        Node::Float(s) | Node::Float5(s) => float_value(s)?,
        Node::Text(s) | Node::TextRaw(s) => Value::Text(s.clone()),
        Node::TextJ(s) | Node::Text5(s) => Value::Text(unescape(s)),
        Node::Array(_) | Node::Object(_) => Value::Text(to_json(n)),
    })
}

fn float_value(s: &str) -> Result<Value, String> {
    let r = atof(s.as_bytes());
    if r.rc <= 0 {
        return Err(MALFORMED.into());
    }
    Ok(Value::Real(r.value))
}
