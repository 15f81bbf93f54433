//! Tokens with byte ranges, SQLite's token rules that `sqlparser`'s
//! tokenizer lacks, and the split into statements.

use std::collections::HashMap;
use std::ops::Range;

use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Tokenizer};

use super::ParseError;
use super::dialect::LiteDialect;
use crate::ast::FrameExclude;

/// Tokens and their byte ranges.
type Toks = (Vec<TokenWithSpan>, Vec<(usize, usize)>);

/// A source location as a hashable key: (line, column).
pub(super) type LocKey = (u64, u64);

/// The key of a location.
pub(super) fn loc_key(loc: Location) -> LocKey {
    (loc.line, loc.column)
}

/// A whole input, tokenized: significant tokens only (no whitespace or
/// comments), each with its byte range in the source.
pub(super) struct Lexed<'s> {
    /// The source text.
    pub src: &'s str,
    /// The tokens.
    pub toks: Vec<TokenWithSpan>,
    /// Byte range of each token in `src`.
    pub offs: Vec<(usize, usize)>,
    /// Window-frame `EXCLUDE` clauses taken out of the token stream, by the
    /// location of the function name (for `f(..) OVER (..)`) or window name
    /// (for `WINDOW w AS (..)`) they belong to.
    pub excludes: HashMap<LocKey, FrameExclude>,
    /// Token ranges of the statements, without their `;`.
    stmts: Vec<Range<usize>>,
}

/// `unrecognized token: "x"`.
pub(super) fn unrecognized(text: &str) -> ParseError {
    ParseError::Unsupported(format!("unrecognized token: \"{text}\""))
}

/// Whether `tok` is the unquoted word `kw` (case-insensitive).
pub(super) fn is_word(tok: &Token, kw: &str) -> bool {
    matches!(tok, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
}

/// Maps (line, column) locations, visited in increasing order, to byte
/// offsets. Columns count characters, as the tokenizer does.
struct Cursor<'s> {
    chars: std::str::CharIndices<'s>,
    line: u64,
    col: u64,
    byte: usize,
}

impl<'s> Cursor<'s> {
    fn new(src: &'s str) -> Self {
        Cursor { chars: src.char_indices(), line: 1, col: 1, byte: 0 }
    }

    fn seek(&mut self, loc: Location) -> usize {
        while (self.line, self.col) < (loc.line, loc.column) {
            let Some((i, c)) = self.chars.next() else { break };
            self.byte = i + c.len_utf8();
            if c == '\n' {
                self.line += 1;
                self.col = 1;
            } else {
                self.col += 1;
            }
        }
        self.byte
    }
}

impl<'s> Lexed<'s> {
    /// Tokenizes `src` and splits it into statements.
    pub fn new(src: &'s str) -> Result<Self, ParseError> {
        let dialect = LiteDialect;
        let raw = match Tokenizer::new(&dialect, src).with_unescape(true).tokenize_with_location() {
            Ok(raw) => raw,
            Err(e) => {
                let at = Cursor::new(src).seek(e.location).min(src.len());
                let rest = src.get(at..).unwrap_or_default().trim_end();
                return Err(unrecognized(rest));
            }
        };
        let mut cursor = Cursor::new(src);
        let mut toks = Vec::with_capacity(raw.len());
        let mut offs = Vec::with_capacity(raw.len());
        for t in raw {
            let start = cursor.seek(t.span.start);
            let end = cursor.seek(t.span.end).max(start);
            if matches!(t.token, Token::Whitespace(_)) {
                continue;
            }
            toks.push(t);
            offs.push((start, end));
        }
        let mut lexed = Lexed { src, toks: Vec::new(), offs: Vec::new(), excludes: HashMap::new(), stmts: Vec::new() };
        let (toks, offs) = lexed.fix_tokens(toks, offs)?;
        let (toks, offs) = lexed.take_excludes(toks, offs);
        lexed.toks = toks;
        lexed.offs = offs;
        lexed.stmts = lexed.split();
        Ok(lexed)
    }

    /// The source text from the start of token `a` to the end of token
    /// `b - 1` (empty when `b <= a`).
    pub fn text(&self, a: usize, b: usize) -> &'s str {
        if b <= a || b > self.offs.len() {
            return "";
        }
        self.src.get(self.offs[a].0..self.offs[b - 1].1).unwrap_or_default()
    }

    /// The token ranges of the statements, in order.
    pub fn statements(&self) -> &[Range<usize>] {
        &self.stmts
    }

    /// SQLite's token rules: hex integers, blob literals, `:name`/`@name`
    /// parameters, `~~`, tokens SQLite rejects, numbers glued to names.
    fn fix_tokens(&self, toks: Vec<TokenWithSpan>, offs: Vec<(usize, usize)>) -> Result<Toks, ParseError> {
        let src = self.src;
        let slice = |r: (usize, usize)| src.get(r.0..r.1).unwrap_or_default();
        let adjacent = |i: usize| i + 1 < offs.len() && offs[i].1 == offs[i + 1].0;
        let mut out = Vec::with_capacity(toks.len());
        let mut out_offs = Vec::with_capacity(toks.len());
        let mut i = 0;
        while i < toks.len() {
            let t = &toks[i];
            let text = slice(offs[i]);
            match &t.token {
                Token::HexStringLiteral(digits) => {
                    if text.starts_with('0') {
                        // `0x1F`: a hex integer.
                        if digits.is_empty() {
                            return Err(unrecognized(text));
                        }
                        if adjacent(i) && matches!(toks[i + 1].token, Token::Word(_)) {
                            return Err(unrecognized(slice((offs[i].0, offs[i + 1].1))));
                        }
                        out.push(TokenWithSpan::new(Token::Number(text.to_string(), false), t.span));
                        out_offs.push(offs[i]);
                        i += 1;
                        continue;
                    }
                    if digits.len() % 2 != 0 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(unrecognized(text));
                    }
                }
                Token::Number(n, _) => {
                    if adjacent(i) && matches!(&toks[i + 1].token, Token::Word(w) if w.quote_style.is_none()) {
                        let glued = slice((offs[i].0, offs[i + 1].1));
                        // `0X1F`: the tokenizer knows only a lower-case `0x`.
                        let hex = glued
                            .strip_prefix("0X")
                            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
                        if n != "0" || hex.is_none() {
                            return Err(unrecognized(glued));
                        }
                        let span = Span::new(t.span.start, toks[i + 1].span.end);
                        out.push(TokenWithSpan::new(Token::Number(glued.to_string(), false), span));
                        out_offs.push((offs[i].0, offs[i + 1].1));
                        i += 2;
                        continue;
                    }
                }
                Token::Colon | Token::AtSign => {
                    let glued = adjacent(i)
                        && match &toks[i + 1].token {
                            Token::Word(w) => w.quote_style.is_none(),
                            Token::Number(n, _) => n.bytes().all(|b| b.is_ascii_digit()),
                            _ => false,
                        };
                    if !glued {
                        return Err(unrecognized(text));
                    }
                    let span = Span::new(t.span.start, toks[i + 1].span.end);
                    let range = (offs[i].0, offs[i + 1].1);
                    out.push(TokenWithSpan::new(Token::Placeholder(slice(range).to_string()), span));
                    out_offs.push(range);
                    i += 2;
                    continue;
                }
                Token::DoubleTilde => {
                    let mid = Location::new(t.span.start.line, t.span.start.column + 1);
                    let m = offs[i].0 + 1;
                    out.push(TokenWithSpan::new(Token::Tilde, Span::new(t.span.start, mid)));
                    out_offs.push((offs[i].0, m));
                    out.push(TokenWithSpan::new(Token::Tilde, Span::new(mid, t.span.end)));
                    out_offs.push((m, offs[i].1));
                    i += 1;
                    continue;
                }
                Token::Word(_)
                | Token::SingleQuotedString(_)
                | Token::Placeholder(_)
                | Token::Comma
                | Token::Period
                | Token::LParen
                | Token::RParen
                | Token::SemiColon
                | Token::Eq
                | Token::DoubleEq
                | Token::Neq
                | Token::Lt
                | Token::Gt
                | Token::LtEq
                | Token::GtEq
                | Token::Plus
                | Token::Minus
                | Token::Mul
                | Token::Div
                | Token::Mod
                | Token::StringConcat
                | Token::Arrow
                | Token::LongArrow
                | Token::Ampersand
                | Token::Pipe
                | Token::Tilde
                | Token::ShiftLeft
                | Token::ShiftRight
                | Token::EOF => {}
                _ => return Err(unrecognized(text)),
            }
            out.push(t.clone());
            out_offs.push(offs[i]);
            i += 1;
        }
        Ok((out, out_offs))
    }

    /// Takes window-frame `EXCLUDE` clauses out of the token stream (the
    /// parser has no place for them) and records them in `excludes`; also
    /// drops `CROSS` from `NATURAL CROSS JOIN`.
    fn take_excludes(&mut self, toks: Vec<TokenWithSpan>, offs: Vec<(usize, usize)>) -> Toks {
        struct Group {
            open: usize,
            saw_units: bool,
        }
        let mut out: Vec<TokenWithSpan> = Vec::with_capacity(toks.len());
        let mut out_offs = Vec::with_capacity(toks.len());
        let mut stack: Vec<Group> = Vec::new();
        let mut opener_of: HashMap<usize, usize> = HashMap::new();
        let mut i = 0;
        while i < toks.len() {
            let tok = &toks[i].token;
            match tok {
                Token::LParen => stack.push(Group { open: out.len(), saw_units: false }),
                Token::RParen => {
                    if let Some(g) = stack.pop() {
                        opener_of.insert(out.len(), g.open);
                    }
                }
                Token::Word(_) if ["ROWS", "RANGE", "GROUPS"].iter().any(|k| is_word(tok, k)) => {
                    if let Some(g) = stack.last_mut() {
                        g.saw_units = true;
                    }
                }
                Token::Word(_) if is_word(tok, "CROSS") && out.last().is_some_and(|t| is_word(&t.token, "NATURAL")) => {
                    i += 1;
                    continue;
                }
                Token::Word(_) if is_word(tok, "EXCLUDE") => {
                    let at = |k: usize, kw: &str| toks.get(i + k).is_some_and(|t| is_word(&t.token, kw));
                    let kind = if at(1, "NO") && at(2, "OTHERS") {
                        Some((FrameExclude::NoOthers, 3))
                    } else if at(1, "CURRENT") && at(2, "ROW") {
                        Some((FrameExclude::CurrentRow, 3))
                    } else if at(1, "GROUP") {
                        Some((FrameExclude::Group, 2))
                    } else if at(1, "TIES") {
                        Some((FrameExclude::Ties, 2))
                    } else {
                        None
                    };
                    let owner = match stack.last() {
                        Some(g) if g.saw_units => window_owner(&out, &opener_of, g.open),
                        _ => None,
                    };
                    if let (Some((kind, len)), Some(owner)) = (kind, owner) {
                        self.excludes.insert(loc_key(out[owner].span.start), kind);
                        i += len;
                        continue;
                    }
                }
                _ => {}
            }
            out.push(toks[i].clone());
            out_offs.push(offs[i]);
            i += 1;
        }
        (out, out_offs)
    }

    /// Splits the tokens into statements at `;`. Inside `CREATE TRIGGER`,
    /// only a `;` after `; END` ends the statement (SQLite's rule).
    fn split(&self) -> Vec<Range<usize>> {
        let toks = &self.toks;
        let mut stmts = Vec::new();
        let mut start = 0;
        let mut trigger = false;
        let mut i = 0;
        while i < toks.len() {
            let t = &toks[i].token;
            if i == start {
                trigger = is_create_trigger(&toks[start..]);
            }
            if *t == Token::EOF {
                break;
            }
            if *t == Token::SemiColon {
                let ends =
                    !trigger || (i >= 2 && is_word(&toks[i - 1].token, "END") && toks[i - 2].token == Token::SemiColon);
                if ends {
                    if i > start {
                        stmts.push(start..i);
                    }
                    start = i + 1;
                }
            }
            i += 1;
        }
        if i > start {
            stmts.push(start..i);
        }
        stmts
    }
}

/// Whether the tokens start `[EXPLAIN [QUERY PLAN]] CREATE [TEMP] TRIGGER`.
fn is_create_trigger(toks: &[TokenWithSpan]) -> bool {
    let mut k = 0;
    let w = |k: usize, kw: &str| toks.get(k).is_some_and(|t| is_word(&t.token, kw));
    if w(k, "EXPLAIN") {
        k += 1;
        if w(k, "QUERY") && w(k + 1, "PLAN") {
            k += 2;
        }
    }
    if !w(k, "CREATE") {
        return false;
    }
    k += 1;
    if w(k, "TEMP") || w(k, "TEMPORARY") {
        k += 1;
    }
    w(k, "TRIGGER")
}

/// The token that names the window whose parenthesized definition opens at
/// `open`: the function of `f(..) [FILTER (..)] OVER (`, or the window of
/// `w AS (`.
fn window_owner(out: &[TokenWithSpan], opener_of: &HashMap<usize, usize>, open: usize) -> Option<usize> {
    let before = open.checked_sub(1)?;
    let word_at = |k: usize| matches!(out.get(k).map(|t| &t.token), Some(Token::Word(_)));
    if is_word(&out[before].token, "AS") {
        let name = before.checked_sub(1)?;
        return word_at(name).then_some(name);
    }
    if !is_word(&out[before].token, "OVER") {
        return None;
    }
    let mut close = before.checked_sub(1)?;
    let mut args_open = *opener_of.get(&close)?;
    if args_open >= 1 && is_word(&out[args_open - 1].token, "FILTER") {
        close = args_open.checked_sub(2)?;
        args_open = *opener_of.get(&close)?;
    }
    let name = args_open.checked_sub(1)?;
    word_at(name).then_some(name)
}
