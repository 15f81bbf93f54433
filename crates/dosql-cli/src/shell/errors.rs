//! Where an SQL error is in the statement, and sqlite3's picture of it
//! (the statement with `^--- error here` under the place).
//!
//! Syntax errors are placed where the parser found them (the token
//! sqlite3 marks too). Unknown columns are placed at the first word token
//! with that name (not in a string or comment), since the binder reports
//! no place; sqlite3 knows the exact reference, which differs when the
//! name appears earlier in another role. Unrecognized tokens are placed at
//! the first occurrence of their text.

use dosql_sql::Error;
use dosql_sql::parse::{ParseError, SqlTokenKind};

/// Where in `text` (the input from the failing statement's start on) the
/// error `e` was found, for the errors whose message names a token:
/// syntax errors, unrecognized tokens, unknown columns.
pub fn error_offset(text: &str, e: &Error) -> Option<usize> {
    match e {
        Error::Parse(ParseError::Syntax(t)) => {
            dosql_sql::parse::syntax_error_offset(text).or_else(|| first_word(text, t))
        }
        Error::Parse(ParseError::Unsupported(m)) => {
            first_word(text, m.strip_prefix("unrecognized token: \"")?.strip_suffix('"')?)
        }
        Error::Sql(m) => {
            let name = m.strip_prefix("no such column: ")?;
            column_reference(text, name).or_else(|| first_word(text, name))
        }
        _ => None,
    }
}

/// The first word token of `text` that is `name` (any case), quoted or not.
fn column_reference(text: &str, name: &str) -> Option<usize> {
    let tokens = dosql_sql::parse::tokens(text).ok()?;
    tokens.iter().find_map(|t| match &t.kind {
        SqlTokenKind::Word { value, .. } if value.eq_ignore_ascii_case(name) => Some(t.start),
        _ => None,
    })
}

/// The first occurrence of `name` in `text` that is not part of a longer
/// word.
fn first_word(text: &str, name: &str) -> Option<usize> {
    if name.is_empty() {
        return None;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = text.get(from..).and_then(|t| t.find(name)) {
        let at = from + i;
        let end = at + name.len();
        let before = text.get(..at).and_then(|t| t.chars().next_back());
        let after = text.get(end..).and_then(|t| t.chars().next());
        let starts_word = name.chars().next().is_some_and(word);
        let ends_word = name.chars().next_back().is_some_and(word);
        if !(starts_word && before.is_some_and(word) || ends_word && after.is_some_and(word)) {
            return Some(at);
        }
        from = end;
    }
    None
}

/// sqlite3's picture of where an error is: the statement (up to 78 bytes,
/// starting at most 50 bytes before the error, whitespace shown as spaces)
/// on a line, and a mark under the error on the next.
pub fn error_context(text: &str, offset: usize) -> String {
    let mut start = 0;
    let mut at = offset;
    while at > 50 {
        start += 1;
        at -= 1;
        while start < text.len() && !text.is_char_boundary(start) {
            start += 1;
            at = at.saturating_sub(1);
        }
    }
    let shown = text.get(start..).unwrap_or("");
    let mut len = shown.len().min(78);
    while !shown.is_char_boundary(len) {
        len -= 1;
    }
    let code: String =
        shown.get(..len).unwrap_or("").chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect();
    if at < 25 {
        format!("\n  {code}\n  {}^--- error here", " ".repeat(at))
    } else {
        format!("\n  {code}\n  {}error here ---^", " ".repeat(at - 14))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_marks() {
        let e = |m: &str| Error::Sql(m.to_string());
        let syntax = |t: &str| Error::Parse(dosql_sql::parse::ParseError::Syntax(t.to_string()));
        assert_eq!(error_offset("select 12 2;", &syntax("2")), Some(10));
        // The token where parsing failed, not the first with its text.
        assert_eq!(error_offset("select 2, 2 2;", &syntax("2")), Some(12));
        assert_eq!(error_offset("select a from from t", &syntax("from")), Some(14));
        // A column's name in a string or comment is not the reference.
        assert_eq!(error_offset("select 'x', /* x */ x from t", &e("no such column: x")), Some(20));
        assert_eq!(error_offset("select x, xx from t", &e("no such column: xx")), Some(10));
        assert_eq!(error_offset("select a from t", &e("no such column: b")), None);
        assert_eq!(error_offset("select 1", &e("no such table: t")), None);
        let long = "select 123456789012345678901234567890 +;";
        let at = error_offset(long, &syntax(";")).expect("found");
        assert_eq!(error_context(long, at), format!("\n  {long}\n  {}error here ---^", " ".repeat(25)));
        // Long statements are shown from 50 bytes before the error, 78 at most.
        let text = format!("select {} + nosuch + 1 {};", "1 + ".repeat(20), "- 2 ".repeat(30));
        let at = text.find("nosuch").expect("there");
        let shown = error_context(&text, at);
        let code = shown.lines().nth(1).expect("code line");
        assert_eq!(code.len(), 80);
        assert_eq!(code.find("nosuch"), Some(52));
        assert!(shown.ends_with(&format!("\n  {}error here ---^", " ".repeat(36))), "{shown}");
    }
}
