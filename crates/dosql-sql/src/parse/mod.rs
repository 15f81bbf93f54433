//! The parser front end: SQL text in SQLite's dialect becomes the engine's
//! own [`crate::ast`].
//!
//! The work is shared with the `sqlparser` crate, whose types never leave
//! this module:
//!
//! 1. `lexer` tokenizes the whole input with `sqlparser`'s tokenizer,
//!    records each token's byte range, applies SQLite's token rules that the
//!    tokenizer lacks, and splits the input into statements at `;` (a
//!    `CREATE TRIGGER` body keeps its inner semicolons).
//! 2. `stmt` parses each statement. Everything outside queries and
//!    expressions (DDL, DML, `PRAGMA`, transactions) is parsed here by hand,
//!    following SQLite's grammar, on top of `sqlparser`'s token cursor;
//!    queries (`SELECT`, `VALUES`, `WITH`) and expressions are parsed by
//!    `sqlparser` with a dialect (`dialect`) that wraps its
//!    `SQLiteDialect` and fixes what it gets wrong.
//! 3. `convert` turns `sqlparser`'s queries and expressions into ours at
//!    once, rejecting what SQLite does not have.
//!
//! Source text: every statement keeps its exact text (without the `;`), and
//! every unaliased result column keeps the text of its expression, both
//! sliced from the input by token byte ranges.
//!
//! Parameters: `?` takes the largest index used so far plus one, `?NNN` is
//! index NNN, and a named parameter (`:a`, `@a`, `$a`, kept with its prefix)
//! also takes the next index the first time its name appears, as in SQLite.
//! The engine numbers named parameters the same way (first appearance,
//! counting `?`s) when it binds by position.
//!
//! Identifiers: a double-quoted identifier is an
//! [`Expr::Column`](crate::ast::Expr::Column) like any other name; SQLite's
//! fallback of reading it as a string when no column has that name is the
//! binder's job.
//!
//! # Where `sqlparser` 0.64 falls short of SQLite, and what this module does
//!
//! SQLite 3.54 (the version `rusqlite` bundles) is the reference; the tests
//! check random expressions and every corpus query against it.
//!
//! | Gap in `sqlparser` | Handling here |
//! | --- | --- |
//! | precedence: `\|\|`, `->`, `->>` bind like `*` (SQLite: tighter); unary `-`, `+`, `~` take a whole product (`~1 * 2` read as `~(1 * 2)`); `LIKE`, `GLOB`, `IS` bind looser than `=` (SQLite: one level, left to right); `COLLATE` only right after an operand | the dialect wrapper (`dialect`) sets SQLite's precedences, parses prefix operators and postfix `COLLATE` itself; `-x COLLATE c` is re-nested as `(-x) COLLATE c` |
//! | `IS NULL` read as a postfix operator (SQLite: `x IS NULL + 1` compares `x` with `NULL + 1`) | the dialect parses `IS [NOT] [DISTINCT FROM] expr` as SQLite's binary operator; only `ISNULL`, `NOTNULL`, `NOT NULL` are postfix |
//! | `ISNULL` (read as an alias) | parsed by the dialect |
//! | `x IS [NOT] TRUE/FALSE` (also through `IS [NOT] DISTINCT FROM`, parentheses, `COLLATE`, `likely()`) is a truth test in SQLite (`2 IS TRUE` is 1) | lowered to `CASE WHEN x THEN 1 ELSE 0 END` (`NOT x` for `FALSE`, 0 and 1 swapped for `IS NOT`) |
//! | `- +x` is one operator in SQLite (`- +9223372036854775808` is an integer) | the converter folds `+` under `-`/`+`, through parentheses |
//! | `NOT GLOB`, `NOT REGEXP`, `NOT MATCH`, `ESCAPE` after `GLOB`/`REGEXP`/`MATCH` | parsed by the dialect (`NOT` becomes `Unary(Not, Like{..})`) |
//! | SQLite's reserved words accepted as names, aliases, collations (`SELECT a AS from`, `x COLLATE case`) | rejected as SQLite does (`near "from": syntax error`); non-reserved keywords (`key`, `end`, `offset`, ...) stay usable as names and aliases |
//! | free-form type names (`UNSIGNED BIG INT`, `DOUBLE PRECISION`, `text(+1,-2)`, `'quoted type'`) | the dialect parses SQLite's `typetoken` itself; the type is the source text (dequoted when it starts with a quote, as SQLite does) |
//! | special forms of other databases (`DATE '..'`, `INTERVAL ..`, `TRIM(.. FROM ..)`, `SUBSTRING(.. FROM ..)`, `POSITION`, `EXTRACT`, `CEIL`, `ARRAY`, `MAP`, ...) | those words are plain names and plain function calls, as in SQLite |
//! | window frame `EXCLUDE NO OTHERS / CURRENT ROW / GROUP / TIES` | the lexer (`lexer`) takes the clause out and records it by the location of its function (or named window); the converter puts it back |
//! | `NATURAL CROSS JOIN` | the lexer drops `CROSS` (a natural join is an inner join) |
//! | `0x1F` / `0X1F` hex integers (read as blobs or as `0` and a name), `:name` / `@name` parameters (two tokens), `~~` (one token) | the lexer fixes the tokens |
//! | tokens SQLite rejects (`5abc`, `#`, `!`, unterminated strings, bad blobs) | the lexer reports `unrecognized token: "..."` |
//! | `INSERT`/`REPLACE` with `AS alias`, several upsert clauses, upsert targets with `COLLATE`; `CREATE TABLE` (constraint forms, conflict clauses, `GENERATED`, `WITHOUT ROWID`, `STRICT`, table options); `CREATE INDEX`; `PRAGMA` (`= ON`, `(arg)`, `= -1`); `RAISE(...)`; transaction statements | every statement but the query is parsed by hand in `stmt` following SQLite's grammar, with `sqlparser` for the queries and expressions inside |
//! | `SELECT 1 UNION SELECT 2 INTERSECT SELECT 3` grouped with `INTERSECT` first | the converter (`convert`) flattens compounds left to right, as SQLite |
//! | `FROM a, b JOIN c ON ..` nested as `a, (b JOIN c)` | the converter builds one left-deep chain, as SQLite |
//! | recursion limit 50; operator chains of any length; deep trees that overflow small thread stacks | nesting (parentheses, subqueries, prefix operators) is limited to 200 (`parser stack overflow`, as SQLite, whose own limit is lower); trees deeper than 1000 fail with SQLite's `Expression tree is too large (maximum depth 1000)`; parsing, binding and evaluation grow the native stack as they recurse (`stacker`), so deep trees are safe on 2 MiB threads |
//!
//! Not supported, each answered with [`ParseError::Unsupported`]`("<what> is
//! not supported")`: `ATTACH`, `DETACH`, `VACUUM`,
//! `CREATE VIRTUAL TABLE`.
//!
//! Not accepted (syntax errors): `UPDATE`/`DELETE` with `ORDER BY`/`LIMIT`
//! (a compile-time option of SQLite, off by default), parenthesized comma
//! lists in `FROM` (`FROM a, (b, c)`), Tcl-style parameters (`$a::b`,
//! `$a(b)`), `IN 'string'` (a table named by a string), `count(DISTINCT)`
//! without an argument (SQLite fails later with another message).
//! Accepted although SQLite rejects it: `INSERT .. SELECT .. FROM t ON
//! CONFLICT ..` without the `WHERE true` SQLite's grammar needs there.
//!
//! Dropped because the AST has no place for them: schema qualifiers on
//! table names outside `FROM` (`INSERT INTO main.t` inserts into `t`; column
//! references `main.t.a` keep only `t.a`), names of constraints other than CHECK,
//! `INDEXED BY` on `UPDATE`/`DELETE`, `AUTOINCREMENT` inside a table
//! `PRIMARY KEY (...)`, foreign key `MATCH` clauses and `DEFERRABLE`
//! forms other than `INITIALLY DEFERRED`, and the schema of `PRAGMA
//! schema.name`. A `PRAGMA` value is a number (`Integer`/`Real`, sign
//! included) or `Text` (names, keywords such as `ON`, and strings alike).

mod convert;
mod dialect;
mod lexer;
mod stmt;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod corpus_tests;

use crate::ast;

/// One parsed statement with its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedStatement {
    /// The statement.
    pub statement: ast::Statement,
    /// This statement's own source text, trimmed, without the trailing `;`
    /// (what SQLite stores in `sqlite_schema`).
    pub sql: String,
}

/// A parse failure, worded as SQLite words it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// `near "x": syntax error`, with the offending token's text.
    #[error("near \"{0}\": syntax error")]
    Syntax(String),
    /// The input ended in the middle of a statement.
    #[error("incomplete input")]
    Incomplete,
    /// Anything else, with SQLite's complete message: statements the engine
    /// does not support yet, and SQLite's other parse-time errors
    /// (`unrecognized token: "..."`, `hex literal too big: ...`,
    /// `variable number must be between ?1 and ?32766`,
    /// `Expression tree is too large (maximum depth 1000)`).
    #[error("{0}")]
    Unsupported(String),
}

/// Parses every statement of `sql`, in order. Empty statements (`;;`,
/// comments only) are skipped.
/// Parses statements of `sql` up to the first that fails: the statements
/// before it, and its error. SQLite runs a script statement by statement,
/// so the statements before a bad one still run.
pub fn parse_sql_prefix(sql: &str) -> (Vec<ParsedStatement>, Option<ParseError>) {
    let lexed = match lexer::Lexed::new(sql) {
        Ok(l) => l,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut out = Vec::new();
    for range in lexed.statements() {
        match stmt::parse_statement(&lexed, range.clone()) {
            Ok(statement) => {
                out.push(ParsedStatement { statement, sql: lexed.text(range.start, range.end).to_string() })
            }
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

thread_local! {
    /// Where the last syntax error this thread's parser reported was
    /// (a byte offset into the text parsed), for [`syntax_error_offset`].
    static SYNTAX_ERROR_AT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Notes where a syntax error was found (see [`syntax_error_offset`]).
pub(crate) fn note_syntax_error_at(at: usize) {
    SYNTAX_ERROR_AT.with(|c| c.set(Some(at)));
}

/// The byte offset in `sql` of the token the first syntax error of `sql`
/// names (`near "X": syntax error`), as SQLite reports it to the shell;
/// `None` if `sql` has no syntax error or the place is not known.
pub fn syntax_error_offset(sql: &str) -> Option<usize> {
    SYNTAX_ERROR_AT.with(|c| c.set(None));
    let (_, err) = parse_sql_prefix(sql);
    let Some(ParseError::Syntax(token)) = err else { return None };
    let at = SYNTAX_ERROR_AT.with(std::cell::Cell::get)?;
    // Only if the place noted is that token (not an earlier attempt's).
    sql.get(at..)?.starts_with(token.as_str()).then_some(at)
}

/// One token of SQL text and where it is, for rewriting stored SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlToken {
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// What it is.
    pub kind: SqlTokenKind,
}

/// Kinds of [`SqlToken`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlTokenKind {
    /// A word: keyword or identifier (`value` unquoted).
    Word {
        /// The word, without quotes.
        value: String,
        /// Whether it was quoted.
        quoted: bool,
    },
    /// A string literal (SQLite reads one as an identifier in some places).
    Str(String),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// `;`
    Semicolon,
    /// Anything else.
    Other,
}

/// The tokens of `sql` with their byte spans (whitespace and comments
/// left out).
pub fn tokens(sql: &str) -> Result<Vec<SqlToken>, ParseError> {
    use sqlparser::tokenizer::Token;
    let lexed = lexer::Lexed::new(sql)?;
    Ok(lexed
        .toks
        .iter()
        .zip(&lexed.offs)
        .map(|(t, &(start, end))| {
            let kind = match &t.token {
                Token::Word(w) => SqlTokenKind::Word { value: w.value.clone(), quoted: w.quote_style.is_some() },
                Token::SingleQuotedString(s) => SqlTokenKind::Str(s.clone()),
                Token::LParen => SqlTokenKind::LParen,
                Token::RParen => SqlTokenKind::RParen,
                Token::Comma => SqlTokenKind::Comma,
                Token::Period => SqlTokenKind::Dot,
                Token::SemiColon => SqlTokenKind::Semicolon,
                _ => SqlTokenKind::Other,
            };
            SqlToken { start, end, kind }
        })
        .collect())
}

/// `name` double-quoted, as SQLite writes a renamed table.
pub fn double_quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `name` as SQLite writes an identifier into generated SQL: bare when it
/// is a plain word (letters, digits, `_`, any non-ASCII character; not a
/// keyword), else double-quoted.
pub fn quote_ident(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_' || !c.is_ascii())
        && name.chars().all(|c| c.is_alphanumeric() || c == '_' || !c.is_ascii())
        && !is_keyword(name);
    if plain { name.to_string() } else { double_quoted(name) }
}

/// Whether `word` is one of SQLite's keywords, which generated SQL must quote.
pub fn is_keyword(word: &str) -> bool {
    dialect::is_reserved(word)
}

/// Parses every statement of `sql`.
pub fn parse_sql(sql: &str) -> Result<Vec<ParsedStatement>, ParseError> {
    let lexed = lexer::Lexed::new(sql)?;
    let mut out = Vec::new();
    for range in lexed.statements() {
        let statement = stmt::parse_statement(&lexed, range.clone())?;
        out.push(ParsedStatement { statement, sql: lexed.text(range.start, range.end).to_string() });
    }
    Ok(out)
}

/// The text SQLite keeps in `sqlite_schema.sql` for a `CREATE TABLE`,
/// `INDEX`, `VIEW` or `TRIGGER` statement, given the statement's
/// [`ParsedStatement::sql`]: SQLite rewrites what precedes the object's name
/// (`create temp table if not exists main.t(..)` is stored as
/// `CREATE TABLE t(..)`) and keeps the rest as written. `None` for other
/// statements. (For `CREATE TABLE .. AS SELECT` SQLite stores a column list
/// it makes up instead; that is left to the caller.)
pub fn schema_text(sql: &str) -> Option<String> {
    let lx = lexer::Lexed::new(sql).ok()?;
    let toks = &lx.toks;
    let word = |i: usize, kw: &str| toks.get(i).is_some_and(|t| lexer::is_word(&t.token, kw));
    let mut i = 0;
    if !word(i, "CREATE") {
        return None;
    }
    i += 1;
    if word(i, "TEMP") || word(i, "TEMPORARY") {
        i += 1;
    }
    let unique = word(i, "UNIQUE");
    if unique {
        i += 1;
    }
    let kind = ["TABLE", "INDEX", "VIEW", "TRIGGER"].into_iter().find(|k| word(i, k))?;
    if unique && kind != "INDEX" {
        return None;
    }
    i += 1;
    if word(i, "IF") && word(i + 1, "NOT") && word(i + 2, "EXISTS") {
        i += 3;
    }
    if toks.get(i + 1).is_some_and(|t| t.token == sqlparser::tokenizer::Token::Period) {
        i += 2;
    }
    let start = lx.offs.get(i)?.0;
    let unique = if unique { "UNIQUE " } else { "" };
    Some(format!("CREATE {unique}{kind} {}", sql.get(start..)?.trim_end()))
}
