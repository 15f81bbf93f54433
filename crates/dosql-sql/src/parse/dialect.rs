//! The `sqlparser` dialect: `SQLiteDialect` with SQLite's operator
//! precedence, its unary operators, `[NOT] GLOB|REGEXP|MATCH .. [ESCAPE ..]`,
//! `RAISE(..)`, its free-form type names, and without the special forms of
//! other databases.
//!
//! Constructs `sqlparser`'s AST cannot hold come back as calls to marker
//! functions whose names start with [`MARK`] (no identifier the tokenizer
//! makes can contain it); [`convert`](super::convert) turns them back.

use std::any::TypeId;

use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, Ident, ObjectName, UnaryOperator, Value,
};
use sqlparser::dialect::{BindPlaceholderStyle, Dialect, Precedence, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::convert::MAX_DEPTH;
use super::lexer::is_word;

/// First character of marker function names and type markers.
pub(super) const MARK: char = '\u{1}';

/// Precedences (higher binds tighter), SQLite's order from
/// <https://www.sqlite.org/lang_expr.html#operators_and_parse_affecting_attributes>.
pub(super) mod prec {
    /// `OR`.
    pub const OR: u8 = 5;
    /// `AND`.
    pub const AND: u8 = 10;
    /// Prefix `NOT`.
    pub const NOT: u8 = 15;
    /// `=`, `==`, `<>`, `IS`, `IN`, `LIKE`, `GLOB`, `MATCH`, `REGEXP`,
    /// `BETWEEN`, `ISNULL`, `NOTNULL`: one level, left-associative.
    pub const EQ: u8 = 20;
    /// `<`, `<=`, `>`, `>=`.
    pub const CMP: u8 = 21;
    /// `&`, `|`, `<<`, `>>`.
    pub const BIT: u8 = 24;
    /// `+`, `-`.
    pub const ADD: u8 = 30;
    /// `*`, `/`, `%`.
    pub const MUL: u8 = 40;
    /// `||`, `->`, `->>`.
    pub const CONCAT: u8 = 45;
    /// Postfix `COLLATE`.
    pub const COLLATE: u8 = 50;
    /// Operand of a prefix `-`, `+`, `~`.
    pub const UNARY: u8 = 60;
}

/// SQLite's keywords that can never be a bare name (the ones outside its
/// `%fallback ID` list), sorted.
const RESERVED: &[&str] = &[
    "ADD",
    "ALL",
    "ALTER",
    "AND",
    "AS",
    "AUTOINCREMENT",
    "BETWEEN",
    "CASE",
    "CHECK",
    "COLLATE",
    "COMMIT",
    "CONSTRAINT",
    "CREATE",
    "DEFAULT",
    "DEFERRABLE",
    "DELETE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "ESCAPE",
    "EXCEPT",
    "EXISTS",
    "FOREIGN",
    "FROM",
    "GROUP",
    "HAVING",
    "IN",
    "INDEX",
    "INDEXED",
    "INSERT",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "LIMIT",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "PRIMARY",
    "REFERENCES",
    "RETURNING",
    "SELECT",
    "SET",
    "TABLE",
    "THEN",
    "TO",
    "TRANSACTION",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VALUES",
    "WHEN",
    "WHERE",
];

/// SQLite's join keywords: names in some places, never type names.
const JOIN_KW: &[&str] = &["CROSS", "FULL", "INNER", "LEFT", "NATURAL", "OUTER", "RIGHT"];

/// Whether the unquoted word `w` is one of SQLite's reserved keywords.
pub(crate) fn is_reserved(w: &str) -> bool {
    RESERVED.binary_search_by(|k| cmp_ignore_case(k, w)).is_ok()
}

/// Whether the unquoted word `w` is a join keyword.
pub(super) fn is_join_kw(w: &str) -> bool {
    JOIN_KW.iter().any(|k| k.eq_ignore_ascii_case(w))
}

fn cmp_ignore_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes().map(|c| c.to_ascii_uppercase()).cmp(b.bytes().map(|c| c.to_ascii_uppercase()))
}

/// Words other databases give a special expression syntax that SQLite reads
/// as plain names or plain function calls.
const PLAIN_WORDS: &[&str] = &[
    "APPROXIMATE",
    "ARRAY",
    "CEIL",
    "CEILING",
    "CONNECT_BY_ROOT",
    "CONVERT",
    "CURRENT_CATALOG",
    "CURRENT_USER",
    "EXTRACT",
    "FLOOR",
    "INTERVAL",
    "LAMBDA",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "MAP",
    "OVERLAY",
    "POSITION",
    "PRIOR",
    "SAFE_CAST",
    "SESSION_USER",
    "STRUCT",
    "SUBSTR",
    "SUBSTRING",
    "TRIM",
    "TRY_CAST",
    "TRY_CONVERT",
    "USER",
];

/// The message of the error the dialect raises for a too long operator
/// chain.
pub(super) const TOO_DEEP: &str = "\u{1}too deep";

/// The length of the chain of left operands below `e`, counted up to just
/// past [`MAX_DEPTH`].
fn left_spine(mut e: &Expr) -> usize {
    let mut n = 0;
    loop {
        n += 1;
        if n > MAX_DEPTH {
            return n;
        }
        e = match e {
            Expr::BinaryOp { left, .. } => left,
            Expr::Like { expr, .. }
            | Expr::ILike { expr, .. }
            | Expr::In { expr, .. }
            | Expr::Between { expr, .. }
            | Expr::Collate { expr, .. }
            | Expr::UnaryOp { expr, .. }
            | Expr::IsNull(expr)
            | Expr::IsNotNull(expr)
            | Expr::IsTrue(expr)
            | Expr::IsNotTrue(expr)
            | Expr::IsFalse(expr)
            | Expr::IsNotFalse(expr)
            | Expr::IsDistinctFrom(expr, _)
            | Expr::IsNotDistinctFrom(expr, _) => expr,
            Expr::Function(f) => match &f.args {
                FunctionArguments::List(l) => match l.args.first() {
                    Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(e))) if f.name.to_string().starts_with(MARK) => e,
                    _ => return n,
                },
                _ => return n,
            },
            _ => return n,
        };
    }
}

/// `SQLiteDialect`, with SQLite's precedences and syntax where it differs.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct LiteDialect;

const BASE: SQLiteDialect = SQLiteDialect {};

/// A marker function call `MARK name (args)`.
pub(super) fn marker_call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(format!("{MARK}{name}"))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args.into_iter().map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e))).collect(),
            clauses: vec![],
        }),
        within_group: vec![],
        filter: None,
        null_treatment: None,
        over: None,
    })
}

/// Whether the next token can be part of a type name (SQLite's `ids`): a
/// string, a quoted name, or a word that is not a keyword of the statement
/// around it (`GENERATED ALWAYS` starts a column constraint).
fn is_type_word(p: &Parser) -> bool {
    match &p.peek_token_ref().token {
        Token::SingleQuotedString(_) => true,
        Token::Word(w) if w.quote_style.is_some() => true,
        Token::Word(w) => {
            !(is_reserved(&w.value)
                || is_join_kw(&w.value)
                || (w.value.eq_ignore_ascii_case("GENERATED") && is_word(&p.peek_nth_token_ref(1).token, "ALWAYS")))
        }
        _ => false,
    }
}

/// Parses SQLite's `typetoken`: one or more names, then optionally
/// `(signed-number [, signed-number])`. Returns the token range `[start,
/// end)` it covers.
pub(super) fn parse_type_tokens(p: &mut Parser) -> Result<(usize, usize), ParserError> {
    let start = p.index();
    if !is_type_word(p) {
        return p.expected_ref("a type name", p.peek_token_ref());
    }
    while is_type_word(p) {
        p.advance_token();
    }
    if p.consume_token(&Token::LParen) {
        signed_number(p)?;
        if p.consume_token(&Token::Comma) {
            signed_number(p)?;
        }
        p.expect_token(&Token::RParen)?;
    }
    Ok((start, p.index()))
}

fn signed_number(p: &mut Parser) -> Result<(), ParserError> {
    if !p.consume_token(&Token::Plus) {
        let _ = p.consume_token(&Token::Minus);
    }
    match p.peek_token_ref().token {
        Token::Number(..) => {
            p.advance_token();
            Ok(())
        }
        _ => p.expected_ref("a number", p.peek_token_ref()),
    }
}

/// `RAISE ( IGNORE | ROLLBACK|ABORT|FAIL , message )`, after `RAISE`.
fn parse_raise(p: &mut Parser) -> Result<Expr, ParserError> {
    p.expect_token(&Token::LParen)?;
    let action = p.next_token();
    let name = match &action.token {
        Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_lowercase(),
        _ => String::new(),
    };
    let mut args = vec![Expr::Value(Value::SingleQuotedString(name.clone()).with_empty_span())];
    match name.as_str() {
        "ignore" => {}
        "rollback" | "abort" | "fail" => {
            p.expect_token(&Token::Comma)?;
            args.push(p.parse_expr()?);
        }
        _ => return p.expected("IGNORE, ROLLBACK, ABORT or FAIL", action),
    }
    p.expect_token(&Token::RParen)?;
    Ok(marker_call("raise", args))
}

/// `[NOT] GLOB|REGEXP|MATCH pattern [ESCAPE e]` after `left`, as a marker
/// call (wrapped in `NOT`).
fn parse_like_family(p: &mut Parser, left: &Expr) -> Option<Result<Expr, ParserError>> {
    let ops = ["GLOB", "REGEXP", "MATCH"];
    let (negated, skip) = if is_word(&p.peek_token_ref().token, "NOT") { (true, 1) } else { (false, 0) };
    let op = ops.iter().find(|op| is_word(&p.peek_nth_token_ref(skip).token, op))?;
    for _ in 0..=skip {
        p.advance_token();
    }
    let result = (|| {
        let pattern = p.parse_subexpr(prec::EQ)?;
        let mut args = vec![left.clone(), pattern];
        if p.parse_keyword(Keyword::ESCAPE) {
            args.push(p.parse_subexpr(prec::EQ)?);
        }
        let call = marker_call(&op.to_ascii_lowercase(), args);
        Ok(if negated { Expr::UnaryOp { op: UnaryOperator::Not, expr: Box::new(call) } } else { call })
    })();
    Some(result)
}

/// `IS [NOT] [DISTINCT FROM] right` after `left`. In SQLite `IS` is a
/// binary operator whatever follows it: `x IS NULL + 1` compares `x` with
/// `NULL + 1`. Only `ISNULL`, `NOTNULL` and `NOT NULL` are postfix.
fn parse_is(p: &mut Parser, left: &Expr) -> Result<Expr, ParserError> {
    p.advance_token();
    let negated = p.parse_keyword(Keyword::NOT);
    let distinct = p.parse_keyword(Keyword::DISTINCT);
    if distinct {
        p.expect_keyword_is(Keyword::FROM)?;
    }
    let right = p.parse_subexpr(prec::EQ)?;
    let left = Box::new(left.clone());
    // `IS NOT DISTINCT FROM` is `IS`, truth tests included (`2 IS NOT
    // DISTINCT FROM TRUE` is true).
    let negated = negated != distinct;
    let null = matches!(&right, Expr::Value(v) if v.value == Value::Null);
    Ok(match (negated, null) {
        (false, true) => Expr::IsNull(left),
        (true, true) => Expr::IsNotNull(left),
        (false, false) => Expr::BinaryOp { left, op: BinaryOperator::Is, right: Box::new(right) },
        (true, false) => Expr::BinaryOp { left, op: BinaryOperator::IsNot, right: Box::new(right) },
    })
}

/// `COLLATE name` after `left`: a postfix operator of its own precedence in
/// SQLite (`x ISNULL COLLATE nocase` is fine there).
fn parse_collate(p: &mut Parser, left: &Expr) -> Result<Expr, ParserError> {
    p.advance_token();
    let tok = p.next_token();
    let name = match &tok.token {
        Token::Word(w) if w.quote_style.is_some() || !is_reserved(&w.value) => {
            Ident { value: w.value.clone(), quote_style: w.quote_style, span: tok.span }
        }
        Token::SingleQuotedString(s) => Ident::with_span(tok.span, s.clone()),
        _ => return p.expected("a collation name", tok),
    };
    Ok(Expr::Collate { expr: Box::new(left.clone()), collation: ObjectName::from(vec![name]) })
}

/// Whether the word just read can be an alias (SQLite's `AS nm` or `ids`):
/// any name but a reserved word, a join keyword only after `AS`, and not
/// `WINDOW` when a `WINDOW name AS (...)` clause starts there.
fn alias_ok(explicit: bool, parser: &Parser) -> bool {
    let Token::Word(w) = &parser.get_current_token().token else { return explicit };
    if w.quote_style.is_some() {
        return true;
    }
    if is_reserved(&w.value) {
        return false;
    }
    if is_join_kw(&w.value) || explicit {
        return explicit;
    }
    !(w.value.eq_ignore_ascii_case("WINDOW")
        && matches!(parser.peek_token_ref().token, Token::Word(_))
        && is_word(&parser.peek_nth_token_ref(1).token, "AS"))
}

impl Dialect for LiteDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<SQLiteDialect>()
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        BASE.is_delimited_identifier_start(ch)
    }

    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        BASE.identifier_quote_style(identifier)
    }

    fn ordered_bind_placeholder_style(&self) -> Option<BindPlaceholderStyle> {
        BASE.ordered_bind_placeholder_style()
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        BASE.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        BASE.is_identifier_part(ch)
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        true
    }

    fn supports_start_transaction_modifier(&self) -> bool {
        true
    }

    fn parse_data_type(&self, parser: &mut Parser) -> Option<Result<DataType, ParserError>> {
        Some(parse_type_tokens(parser).map(|(start, end)| {
            DataType::Custom(ObjectName::from(vec![Ident::new(format!("{MARK}{start}:{end}"))]), vec![])
        }))
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        let tok = parser.peek_token_ref();
        let op = match &tok.token {
            Token::Minus => Some(UnaryOperator::Minus),
            Token::Plus => Some(UnaryOperator::Plus),
            Token::Tilde => Some(UnaryOperator::BitwiseNot),
            _ => None,
        };
        if let Some(op) = op {
            parser.advance_token();
            return Some(parser.parse_subexpr(prec::UNARY).map(|e| Expr::UnaryOp { op, expr: Box::new(e) }));
        }
        let Token::Word(w) = &tok.token else { return None };
        if w.quote_style.is_some() {
            return None;
        }
        let call = parser.peek_nth_token_ref(1).token == Token::LParen;
        if w.value.eq_ignore_ascii_case("RAISE") {
            parser.advance_token();
            return Some(parse_raise(parser));
        }
        // `CASE`, `EXISTS`, `NOT`, `CAST` and `RAISE` always start those
        // expressions in SQLite, never names.
        if w.value.eq_ignore_ascii_case("CASE") {
            parser.advance_token();
            return Some(parser.parse_case_expr());
        }
        if w.value.eq_ignore_ascii_case("EXISTS") {
            parser.advance_token();
            return Some(parser.parse_exists_expr(false));
        }
        if w.value.eq_ignore_ascii_case("NOT") {
            parser.advance_token();
            return Some(parser.parse_not());
        }
        if w.value.eq_ignore_ascii_case("CAST") {
            parser.advance_token();
            return Some(parser.parse_cast_expr(CastKind::Cast));
        }
        if is_reserved(&w.value) && !["NOT", "NULL"].iter().any(|k| w.value.eq_ignore_ascii_case(k)) {
            // SQLite never reads its reserved words as names.
            return Some(parser.expected_ref("an expression", parser.peek_token_ref()));
        }
        if !PLAIN_WORDS.iter().any(|k| k.eq_ignore_ascii_case(&w.value)) {
            return None;
        }
        let ident = Ident::with_span(tok.span, w.value.clone());
        parser.advance_token();
        if call {
            Some(parser.parse_function(ObjectName::from(vec![ident])))
        } else {
            Some(Ok(Expr::Identifier(ident)))
        }
    }

    fn parse_infix(&self, parser: &mut Parser, expr: &Expr, _precedence: u8) -> Option<Result<Expr, ParserError>> {
        // Operator chains are built by a loop, not by recursion: bound them
        // here so that no tree gets deeper than SQLite allows.
        if left_spine(expr) > MAX_DEPTH {
            return Some(Err(ParserError::ParserError(TOO_DEEP.into())));
        }
        let next = &parser.peek_token_ref().token;
        if is_word(next, "COLLATE") {
            return Some(parse_collate(parser, expr));
        }
        if is_word(next, "IS") {
            return Some(parse_is(parser, expr));
        }
        if is_word(next, "ISNULL") {
            parser.advance_token();
            return Some(Ok(Expr::IsNull(Box::new(expr.clone()))));
        }
        parse_like_family(parser, expr)
    }

    fn get_next_precedence(&self, parser: &Parser) -> Option<Result<u8, ParserError>> {
        let p = match &parser.peek_token_ref().token {
            Token::StringConcat | Token::Arrow | Token::LongArrow => prec::CONCAT,
            Token::Ampersand | Token::Pipe | Token::ShiftLeft | Token::ShiftRight => prec::BIT,
            Token::Lt | Token::LtEq | Token::Gt | Token::GtEq => prec::CMP,
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::COLLATE => prec::COLLATE,
            Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("ISNULL") => prec::EQ,
            Token::Word(w) if w.quote_style.is_none() => match w.keyword {
                Keyword::ILIKE
                | Keyword::RLIKE
                | Keyword::SIMILAR
                | Keyword::MEMBER
                | Keyword::OVERLAPS
                | Keyword::OPERATOR
                | Keyword::XOR
                | Keyword::DIV
                | Keyword::AT
                | Keyword::GLOBAL => 0,
                _ => return None,
            },
            Token::Word(_) => return None,
            Token::Eq
            | Token::DoubleEq
            | Token::Neq
            | Token::Plus
            | Token::Minus
            | Token::Mul
            | Token::Div
            | Token::Mod
            | Token::Period => return None,
            _ => 0,
        };
        Some(Ok(p))
    }

    fn prec_value(&self, prec: Precedence) -> u8 {
        match prec {
            Precedence::Period => 100,
            Precedence::DoubleColon => 50,
            Precedence::AtTz => 41,
            Precedence::MulDivModOp => prec::MUL,
            Precedence::PlusMinus => prec::ADD,
            Precedence::Xor => 25,
            Precedence::Ampersand => prec::BIT,
            Precedence::Caret => 23,
            Precedence::Pipe | Precedence::Colon | Precedence::PgOther => 22,
            Precedence::Between | Precedence::Eq | Precedence::Like | Precedence::Is => prec::EQ,
            Precedence::UnaryNot => prec::NOT,
            Precedence::And => prec::AND,
            Precedence::Or => prec::OR,
        }
    }

    fn supports_in_empty_list(&self) -> bool {
        true
    }

    fn supports_limit_comma(&self) -> bool {
        true
    }

    fn supports_asc_desc_in_column_definition(&self) -> bool {
        true
    }

    fn supports_dollar_placeholder(&self) -> bool {
        true
    }

    fn supports_notnull_operator(&self) -> bool {
        true
    }

    fn supports_is_operator(&self) -> bool {
        true
    }

    fn supports_comma_separated_trim(&self) -> bool {
        true
    }

    fn supports_numeric_literal_underscores(&self) -> bool {
        true
    }

    fn supports_double_eq_assignment(&self) -> bool {
        true
    }

    fn supports_string_literal_column_names(&self) -> bool {
        true
    }

    fn supports_cast_empty_data_type_to_unspecified(&self) -> bool {
        true
    }

    fn supports_national_string_literal(&self) -> bool {
        false
    }

    fn supports_parens_around_table_factor(&self) -> bool {
        true
    }

    fn supports_unterminated_block_comments(&self) -> bool {
        true
    }

    fn is_column_alias(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        BASE.is_column_alias(kw, parser)
    }

    fn is_select_item_alias(&self, explicit: bool, _kw: &Keyword, parser: &mut Parser) -> bool {
        alias_ok(explicit, parser)
    }

    fn is_table_factor_alias(&self, explicit: bool, _kw: &Keyword, parser: &mut Parser) -> bool {
        alias_ok(explicit, parser)
    }

    fn supports_over_keyword_as_column_alias(&self) -> bool {
        true
    }

    fn supports_indexed_by(&self) -> bool {
        true
    }

    fn is_table_alias(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        BASE.is_table_alias(kw, parser)
    }

    fn supports_comma_join_constraint(&self) -> bool {
        true
    }

    fn supports_aggregate_order_by_with_empty_args(&self) -> bool {
        true
    }

    fn supports_bitwise_shift_operators(&self) -> bool {
        true
    }

    fn supports_in_table_expression(&self) -> bool {
        true
    }

    fn is_table_factor(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        BASE.is_table_factor(kw, parser)
    }

    fn between_low_bound_precedence(&self) -> u8 {
        prec::AND
    }

    fn supports_cte_materialization(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_words_are_sorted_for_binary_search() {
        assert!(super::RESERVED.windows(2).all(|w| w[0] < w[1]));
        assert!(super::is_reserved("select") && super::is_reserved("IsNull") && !super::is_reserved("key"));
    }
}
