//! Splitting a sqllogictest file into records.
//!
//! A record is a run of non-blank lines (a line of only whitespace is
//! blank). Lines starting with `#` before a record's command are comments;
//! `skipif <db>` / `onlyif <db>` lines before the command are its conditions.
//! A `\r` at the end of a line is dropped, so CRLF files read like LF files.
//! Text after a `#` token on a command line is a comment.

use crate::value::ColumnType;

/// How a query's result values are put in order before they are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortMode {
    /// In the order the engine returned them.
    NoSort,
    /// Rows sorted by their formatted values, compared column by column as strings.
    RowSort,
    /// All formatted values sorted individually as strings.
    ValueSort,
}

impl SortMode {
    /// The mode named by a query line's third token.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "nosort" => Some(Self::NoSort),
            "rowsort" => Some(Self::RowSort),
            "valuesort" => Some(Self::ValueSort),
            _ => None,
        }
    }
}

/// A `skipif` / `onlyif` guard on a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Condition {
    /// Skip the record on the named engine.
    SkipIf(String),
    /// Run the record only on the named engine.
    OnlyIf(String),
}

impl Condition {
    /// Whether this condition lets the record run on `engine` (names compare case-insensitively).
    pub(crate) fn allows(&self, engine: &str) -> bool {
        match self {
            Self::SkipIf(db) => !db.eq_ignore_ascii_case(engine),
            Self::OnlyIf(db) => db.eq_ignore_ascii_case(engine),
        }
    }
}

/// What a record asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RecordKind {
    /// `statement ok` / `statement error`.
    Statement {
        /// Whether the statement is expected to succeed.
        expect_ok: bool,
        /// The SQL, lines joined with `\n`.
        sql: String,
    },
    /// `query <types> [sort] [label]`.
    Query(Query),
    /// `hash-threshold N`.
    HashThreshold(usize),
    /// `halt`.
    Halt,
    /// A record the runner cannot understand, with the reason and the record's text.
    Malformed {
        /// Why the record was rejected.
        reason: String,
        /// The record's lines, joined with `\n`.
        text: String,
    },
}

/// A `query` record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    /// One entry per expected column.
    pub(crate) types: Vec<ColumnType>,
    /// How to order the values before comparing.
    pub(crate) sort: SortMode,
    /// The hash label, if any.
    pub(crate) label: Option<String>,
    /// The SQL, lines joined with `\n`.
    pub(crate) sql: String,
    /// The lines after `----` (empty when there is no `----`).
    pub(crate) expected: Vec<String>,
}

/// One record of a test file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    /// 1-based line number of the record's command line.
    pub(crate) line: usize,
    /// Its `skipif` / `onlyif` guards.
    pub(crate) conditions: Vec<Condition>,
    /// What it asks for.
    pub(crate) kind: RecordKind,
}

/// The whitespace-separated tokens of a command line, up to a `#` comment.
fn tokens(line: &str) -> Vec<&str> {
    line.split_whitespace().take_while(|t| !t.starts_with('#')).collect()
}

/// Parses a whole file's text into records.
pub(crate) fn parse(text: &str) -> Vec<Record> {
    let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let mut records = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && !lines[i].trim().is_empty() {
            i += 1;
        }
        // lines[start..i] is one record, numbered from start + 1.
        if let Some(record) = parse_record(&lines[start..i], start + 1) {
            records.push(record);
        }
    }
    records
}

/// Parses one record's lines; `None` for a record of only comments or only conditions.
fn parse_record(lines: &[&str], first_line: usize) -> Option<Record> {
    let mut conditions = Vec::new();
    let mut k = 0;
    let command = loop {
        let line = lines.get(k)?;
        k += 1;
        if line.starts_with('#') {
            continue;
        }
        let toks = tokens(line);
        match toks.as_slice() {
            ["skipif", db, ..] => conditions.push(Condition::SkipIf((*db).to_owned())),
            ["onlyif", db, ..] => conditions.push(Condition::OnlyIf((*db).to_owned())),
            _ => break toks,
        }
    };
    let line = first_line + k - 1;
    let body = &lines[k..];
    let malformed = |reason: String| RecordKind::Malformed { reason, text: lines.join("\n") };
    let kind = match command.as_slice() {
        ["statement", mode, ..] => match *mode {
            "ok" => RecordKind::Statement { expect_ok: true, sql: body.join("\n") },
            "error" => RecordKind::Statement { expect_ok: false, sql: body.join("\n") },
            other => malformed(format!("unknown statement mode `{other}`")),
        },
        ["query", types, rest @ ..] => parse_query(types, rest, body).unwrap_or_else(malformed),
        ["hash-threshold", n] => match n.parse() {
            Ok(n) => RecordKind::HashThreshold(n),
            Err(_) => malformed(format!("bad hash-threshold `{n}`")),
        },
        ["halt"] => RecordKind::Halt,
        _ => malformed(format!("unknown record type `{}`", command.join(" "))),
    };
    Some(Record { line, conditions, kind })
}

/// Parses a query record from its type string, the tokens after it and its body.
fn parse_query(types: &str, rest: &[&str], body: &[&str]) -> Result<RecordKind, String> {
    let types = types
        .chars()
        .map(|c| ColumnType::from_char(c).ok_or_else(|| format!("bad column type `{c}` in `{types}`")))
        .collect::<Result<Vec<_>, _>>()?;
    let sort = match rest.first() {
        None => SortMode::NoSort,
        Some(name) => SortMode::from_name(name).ok_or_else(|| format!("unknown sort mode `{name}`"))?,
    };
    let label = rest.get(1).map(|l| (*l).to_owned());
    let (sql, expected) = match body.iter().position(|l| l.trim_end() == "----") {
        Some(sep) => (&body[..sep], &body[sep + 1..]),
        None => (body, &[][..]),
    };
    Ok(RecordKind::Query(Query {
        types,
        sort,
        label,
        sql: sql.join("\n"),
        expected: expected.iter().map(|l| (*l).to_owned()).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records_conditions_and_comments() {
        let text = "# header comment\r\nhash-threshold 8\r\n\r\nstatement ok\r\nCREATE TABLE t(a)\r\n\r\n\
                    # about the query\nskipif mysql # not compatible\nonlyif sqlite\nquery IT rowsort label-1\n\
                    SELECT a,\n  'x' FROM t\n----\n1\nx\n\nstatement error\nBAD\n  \nhalt\n";
        let records = parse(text);
        assert_eq!(records.len(), 5);
        assert_eq!(records[0].kind, RecordKind::HashThreshold(8));
        assert_eq!(records[0].line, 2);
        assert_eq!(records[1].kind, RecordKind::Statement { expect_ok: true, sql: "CREATE TABLE t(a)".into() });
        assert_eq!(records[1].line, 4);
        assert_eq!(records[2].line, 10);
        assert_eq!(records[2].conditions, vec![Condition::SkipIf("mysql".into()), Condition::OnlyIf("sqlite".into())]);
        assert_eq!(
            records[2].kind,
            RecordKind::Query(Query {
                types: vec![ColumnType::Integer, ColumnType::Text],
                sort: SortMode::RowSort,
                label: Some("label-1".into()),
                sql: "SELECT a,\n  'x' FROM t".into(),
                expected: vec!["1".into(), "x".into()],
            })
        );
        assert_eq!(records[3].kind, RecordKind::Statement { expect_ok: false, sql: "BAD".into() });
        // A whitespace-only line ends a record.
        assert_eq!(records[4].kind, RecordKind::Halt);
    }

    #[test]
    fn query_defaults_and_missing_separator() {
        let records = parse("query R\nSELECT 1.5\n");
        assert_eq!(
            records[0].kind,
            RecordKind::Query(Query {
                types: vec![ColumnType::Real],
                sort: SortMode::NoSort,
                label: None,
                sql: "SELECT 1.5".into(),
                expected: vec![],
            })
        );
    }

    #[test]
    fn malformed_records_are_reported() {
        let records = parse("query IX\nSELECT 1\n\nquery I bogus\nSELECT 1\n\nfrobnicate\n\nstatement maybe\nX\n");
        assert_eq!(records.len(), 4);
        assert!(records.iter().all(|r| matches!(r.kind, RecordKind::Malformed { .. })));
    }

    #[test]
    fn conditions_follow_engine_names() {
        assert!(!Condition::SkipIf("SQLite".into()).allows("sqlite"));
        assert!(Condition::SkipIf("mysql".into()).allows("sqlite"));
        assert!(Condition::OnlyIf("sqlite".into()).allows("sqlite"));
        assert!(!Condition::OnlyIf("mssql".into()).allows("sqlite"));
    }
}
