//! Statements, parsed by hand after SQLite's grammar
//! (<https://www.sqlite.org/lang.html>) on `sqlparser`'s token cursor;
//! queries and expressions inside them go to `sqlparser`.

use std::ops::Range;

use sqlparser::ast as sp;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::ParseError;
use super::convert::{Conv, type_text};
use super::dialect::{LiteDialect, is_reserved, parse_type_tokens};
use super::lexer::{Lexed, is_word};
use crate::ast::*;
use crate::value::Value;

type Res<T> = Result<T, ParseError>;

/// How deep `sqlparser` may recurse (nested parentheses, subqueries,
/// prefix operators). It grows its own stack as it goes.
const RECURSION_LIMIT: usize = 200;

/// Parses the statement made of tokens `range` of `lx`. Deep trees are
/// safe on small thread stacks: `sqlparser` and the converter both grow the
/// stack as they recurse.
pub(super) fn parse_statement(lx: &Lexed<'_>, range: Range<usize>) -> Res<Statement> {
    let dialect = LiteDialect;
    let tokens = lx.toks[range.clone()].to_vec();
    let parser = Parser::new(&dialect).with_recursion_limit(RECURSION_LIMIT).with_tokens_with_locations(tokens);
    let mut s = StmtParser { p: parser, cv: Conv::new(lx, range.start, range.end)? };
    let stmt = s.statement()?;
    if s.peek() != &Token::EOF {
        return Err(s.err_here());
    }
    Ok(stmt)
}

/// The parser of one statement.
struct StmtParser<'a, 's> {
    p: Parser<'a>,
    cv: Conv<'a, 's>,
}

impl StmtParser<'_, '_> {
    // ----- token helpers --------------------------------------------------

    fn pe<T>(&self, r: Result<T, ParserError>) -> Res<T> {
        r.map_err(|e| self.cv.parser_error(e))
    }

    fn peek(&self) -> &Token {
        &self.p.peek_token_ref().token
    }

    fn peek_nth(&self, n: usize) -> &Token {
        &self.p.peek_nth_token_ref(n).token
    }

    /// Whole-input index of the next token.
    fn idx(&self) -> usize {
        self.cv.base + self.p.index()
    }

    fn err_here(&self) -> ParseError {
        self.cv.near_index(self.idx())
    }

    fn at_kw(&self, kw: &str) -> bool {
        is_word(self.peek(), kw)
    }

    fn kw(&mut self, kw: &str) -> bool {
        let found = self.at_kw(kw);
        if found {
            self.p.advance_token();
        }
        found
    }

    fn expect_kw(&mut self, kw: &str) -> Res<()> {
        if self.kw(kw) { Ok(()) } else { Err(self.err_here()) }
    }

    fn tok(&mut self, t: &Token) -> bool {
        self.p.consume_token(t)
    }

    fn expect_tok(&mut self, t: &Token) -> Res<()> {
        if self.tok(t) { Ok(()) } else { Err(self.err_here()) }
    }

    /// SQLite's `nm`: a name, a quoted name, a string, or a join keyword.
    fn name(&mut self) -> Res<String> {
        let name = match self.peek() {
            Token::Word(w) if w.quote_style.is_some() || !is_reserved(&w.value) => w.value.clone(),
            Token::SingleQuotedString(s) => s.clone(),
            _ => return Err(self.err_here()),
        };
        self.p.advance_token();
        Ok(name)
    }

    /// `[schema.]name` (the schema is not kept).
    fn qualified_name(&mut self) -> Res<String> {
        let first = self.name()?;
        if self.tok(&Token::Period) { self.name() } else { Ok(first) }
    }

    /// The optional `[schema.]name` that ends REINDEX and ANALYZE.
    fn optional_target(&mut self) -> Res<Option<String>> {
        match self.peek() {
            Token::EOF | Token::SemiColon => Ok(None),
            _ => self.qualified_name().map(Some),
        }
    }

    /// `( name, ... )`.
    fn name_list(&mut self) -> Res<Vec<String>> {
        self.expect_tok(&Token::LParen)?;
        let mut names = vec![self.name()?];
        while self.tok(&Token::Comma) {
            names.push(self.name()?);
        }
        self.expect_tok(&Token::RParen)?;
        Ok(names)
    }

    fn if_not_exists(&mut self) -> Res<bool> {
        if self.kw("IF") {
            self.expect_kw("NOT")?;
            self.expect_kw("EXISTS")?;
            return Ok(true);
        }
        Ok(false)
    }

    fn if_exists(&mut self) -> Res<bool> {
        if self.kw("IF") {
            self.expect_kw("EXISTS")?;
            return Ok(true);
        }
        Ok(false)
    }

    fn expr(&mut self) -> Res<Expr> {
        let e = self.p.parse_expr();
        let e = self.pe(e)?;
        self.cv.expr(&e)
    }

    fn query(&mut self) -> Res<Select> {
        let q = self.p.parse_query();
        let q = self.pe(q)?;
        self.cv.query(&q)
    }

    /// `ROLLBACK | ABORT | FAIL | IGNORE | REPLACE`.
    fn conflict_action(&mut self) -> Res<Conflict> {
        for (kw, c) in [
            ("ROLLBACK", Conflict::Rollback),
            ("ABORT", Conflict::Abort),
            ("FAIL", Conflict::Fail),
            ("IGNORE", Conflict::Ignore),
            ("REPLACE", Conflict::Replace),
        ] {
            if self.kw(kw) {
                return Ok(c);
            }
        }
        Err(self.err_here())
    }

    /// `[ON CONFLICT action]` of a constraint.
    fn on_conflict(&mut self) -> Res<Option<Conflict>> {
        if self.at_kw("ON") && is_word(self.peek_nth(1), "CONFLICT") {
            self.p.advance_token();
            self.p.advance_token();
            return Ok(Some(self.conflict_action()?));
        }
        Ok(None)
    }

    /// `[OR action]` after `INSERT` / `UPDATE`.
    fn or_conflict(&mut self) -> Res<Option<Conflict>> {
        if self.kw("OR") { Ok(Some(self.conflict_action()?)) } else { Ok(None) }
    }

    // ----- statements -----------------------------------------------------

    fn statement(&mut self) -> Res<Statement> {
        let Token::Word(w) = self.peek() else { return Err(self.err_here()) };
        if w.quote_style.is_some() {
            return Err(self.err_here());
        }
        let word = w.value.to_ascii_uppercase();
        match word.as_str() {
            "EXPLAIN" => {
                self.p.advance_token();
                let query_plan = self.at_kw("QUERY") && is_word(self.peek_nth(1), "PLAN");
                if query_plan {
                    self.p.advance_token();
                    self.p.advance_token();
                }
                if self.at_kw("EXPLAIN") {
                    return Err(self.err_here());
                }
                Ok(Statement::Explain { query_plan, statement: Box::new(self.statement()?) })
            }
            "SELECT" | "VALUES" => Ok(Statement::Select(Box::new(self.query()?))),
            "WITH" => self.with_statement(),
            "INSERT" | "REPLACE" => Ok(Statement::Insert(Box::new(self.insert(Vec::new())?))),
            "UPDATE" => Ok(Statement::Update(Box::new(self.update(Vec::new())?))),
            "DELETE" => Ok(Statement::Delete(Box::new(self.delete(Vec::new())?))),
            "CREATE" => self.create(),
            "DROP" => self.drop(),
            "BEGIN" => {
                self.p.advance_token();
                let mode = if self.kw("IMMEDIATE") {
                    TransactionMode::Immediate
                } else if self.kw("EXCLUSIVE") {
                    TransactionMode::Exclusive
                } else {
                    self.kw("DEFERRED");
                    TransactionMode::Deferred
                };
                self.transaction_name()?;
                Ok(Statement::Begin(mode))
            }
            "COMMIT" | "END" => {
                self.p.advance_token();
                self.transaction_name()?;
                Ok(Statement::Commit)
            }
            "ROLLBACK" => {
                self.p.advance_token();
                self.transaction_name()?;
                let savepoint = if self.kw("TO") {
                    self.kw("SAVEPOINT");
                    Some(self.name()?)
                } else {
                    None
                };
                Ok(Statement::Rollback { savepoint })
            }
            "SAVEPOINT" => {
                self.p.advance_token();
                Ok(Statement::Savepoint(self.name()?))
            }
            "RELEASE" => {
                self.p.advance_token();
                self.kw("SAVEPOINT");
                Ok(Statement::Release(self.name()?))
            }
            "PRAGMA" => self.pragma(),
            "REINDEX" => {
                self.p.advance_token();
                Ok(Statement::Reindex(self.optional_target()?))
            }
            "ALTER" => self.alter_table(),
            "ANALYZE" => {
                self.p.advance_token();
                Ok(Statement::Analyze(self.optional_target()?))
            }
            "ATTACH" | "DETACH" | "VACUUM" => Err(ParseError::Unsupported(format!("{word} is not supported"))),
            _ => Err(self.err_here()),
        }
    }

    /// `ALTER TABLE [schema.]t RENAME TO n | RENAME [COLUMN] a TO b |
    /// ADD [COLUMN] column-def | DROP [COLUMN] c`.
    fn alter_table(&mut self) -> Res<Statement> {
        self.expect_kw("ALTER")?;
        self.expect_kw("TABLE")?;
        let table = self.qualified_name()?;
        let action = if self.kw("RENAME") {
            if self.kw("TO") {
                AlterAction::RenameTable(self.name()?)
            } else {
                self.kw("COLUMN");
                let old = self.name()?;
                self.expect_kw("TO")?;
                AlterAction::RenameColumn { old, new: self.name()? }
            }
        } else if self.kw("ADD") {
            self.kw("COLUMN");
            let start = self.idx();
            let def = self.column_def()?;
            let text = self.cv.text(start, self.idx()).to_string();
            AlterAction::AddColumn(def, text)
        } else if self.kw("DROP") {
            self.kw("COLUMN");
            AlterAction::DropColumn(self.name()?)
        } else {
            return Err(self.err_here());
        };
        Ok(Statement::AlterTable(Box::new(AlterTable { table, action })))
    }

    /// `[TRANSACTION [name]]`.
    fn transaction_name(&mut self) -> Res<()> {
        if self.kw("TRANSACTION") && matches!(self.peek(), Token::Word(_) | Token::SingleQuotedString(_)) {
            let is_name = match self.peek() {
                Token::Word(w) => w.quote_style.is_some() || !is_reserved(&w.value),
                _ => true,
            };
            if is_name {
                self.name()?;
            }
        }
        Ok(())
    }

    /// `WITH ...` followed by a query or by `INSERT`/`REPLACE`/`UPDATE`/`DELETE`.
    fn with_statement(&mut self) -> Res<Statement> {
        // The first keyword outside parentheses that starts a statement body
        // tells which.
        let toks = &self.cv.lx.toks;
        let mut depth = 0usize;
        let mut body = None;
        for t in toks.get(self.idx()..self.cv.end).unwrap_or_default() {
            match &t.token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                tok if depth == 0 => {
                    if let Some(k) =
                        ["SELECT", "VALUES", "INSERT", "REPLACE", "UPDATE", "DELETE"].iter().find(|k| is_word(tok, k))
                    {
                        body = Some(*k);
                        break;
                    }
                }
                _ => {}
            }
        }
        match body {
            Some("INSERT" | "REPLACE" | "UPDATE" | "DELETE") => {}
            _ => return Ok(Statement::Select(Box::new(self.query()?))),
        }
        self.expect_kw("WITH")?;
        if self.kw("RECURSIVE") {
            // The AST keeps `recursive` only on queries; SQLite needs no
            // flag to resolve a recursive reference.
        }
        let ctes = self.p.parse_comma_separated(Parser::parse_cte);
        let ctes = self.pe(ctes)?;
        let with = self.cv.ctes(&ctes)?;
        match self.peek() {
            t if is_word(t, "INSERT") || is_word(t, "REPLACE") => Ok(Statement::Insert(Box::new(self.insert(with)?))),
            t if is_word(t, "UPDATE") => Ok(Statement::Update(Box::new(self.update(with)?))),
            t if is_word(t, "DELETE") => Ok(Statement::Delete(Box::new(self.delete(with)?))),
            _ => Err(self.err_here()),
        }
    }

    /// `RETURNING` list, if present.
    fn returning(&mut self) -> Res<Vec<ResultColumn>> {
        if !self.kw("RETURNING") {
            return Ok(Vec::new());
        }
        let start = self.idx();
        let items = self.p.parse_comma_separated(Parser::parse_select_item);
        let items = self.pe(items)?;
        self.cv.result_columns(&items, start, false)
    }

    /// `INSERT`/`REPLACE` after an optional `WITH`.
    fn insert(&mut self, with: Vec<Cte>) -> Res<Insert> {
        let or = if self.kw("REPLACE") {
            Some(Conflict::Replace)
        } else {
            self.expect_kw("INSERT")?;
            self.or_conflict()?
        };
        self.expect_kw("INTO")?;
        let table = self.qualified_name()?;
        let alias = if self.kw("AS") { Some(self.name()?) } else { None };
        let columns = if *self.peek() == Token::LParen { self.name_list()? } else { Vec::new() };
        let source = if self.kw("DEFAULT") {
            self.expect_kw("VALUES")?;
            InsertSource::DefaultValues
        } else if self.at_kw("SELECT") || self.at_kw("VALUES") || self.at_kw("WITH") {
            InsertSource::Select(Box::new(self.query()?))
        } else {
            return Err(self.err_here());
        };
        let mut upsert = Vec::new();
        while self.at_kw("ON") && is_word(self.peek_nth(1), "CONFLICT") {
            if source == InsertSource::DefaultValues {
                return Err(self.err_here());
            }
            self.p.advance_token();
            self.p.advance_token();
            upsert.push(self.upsert()?);
        }
        let returning = self.returning()?;
        Ok(Insert { with, or, table, alias, columns, source, upsert, returning })
    }

    /// An upsert clause after `ON CONFLICT`.
    fn upsert(&mut self) -> Res<Upsert> {
        let (target, target_where) = if *self.peek() == Token::LParen {
            self.p.advance_token();
            let target = self.indexed_columns()?;
            self.expect_tok(&Token::RParen)?;
            let w = if self.kw("WHERE") { Some(self.expr()?) } else { None };
            (target, w)
        } else {
            (Vec::new(), None)
        };
        self.expect_kw("DO")?;
        if self.kw("NOTHING") {
            return Ok(Upsert { target, target_where, set: Vec::new(), do_nothing: true, where_: None });
        }
        self.expect_kw("UPDATE")?;
        self.expect_kw("SET")?;
        let set = self.assignments()?;
        let where_ = if self.kw("WHERE") { Some(self.expr()?) } else { None };
        Ok(Upsert { target, target_where, set, do_nothing: false, where_ })
    }

    /// `col = expr, (a, b) = expr, ...`.
    fn assignments(&mut self) -> Res<Vec<Assignment>> {
        let mut out = Vec::new();
        loop {
            let columns = if *self.peek() == Token::LParen { self.name_list()? } else { vec![self.name()?] };
            if !(self.tok(&Token::Eq) || self.tok(&Token::DoubleEq)) {
                return Err(self.err_here());
            }
            out.push(Assignment { columns, value: self.expr()? });
            if !self.tok(&Token::Comma) {
                return Ok(out);
            }
        }
    }

    /// `[AS alias] [INDEXED BY name | NOT INDEXED]` after a DML target.
    fn dml_alias(&mut self) -> Res<Option<String>> {
        let alias = if self.kw("AS") { Some(self.name()?) } else { None };
        if self.kw("INDEXED") {
            self.expect_kw("BY")?;
            self.name()?;
        } else if self.at_kw("NOT") && is_word(self.peek_nth(1), "INDEXED") {
            self.p.advance_token();
            self.p.advance_token();
        }
        Ok(alias)
    }

    /// `UPDATE` after an optional `WITH`.
    fn update(&mut self, with: Vec<Cte>) -> Res<Update> {
        self.expect_kw("UPDATE")?;
        let or = self.or_conflict()?;
        let table = self.qualified_name()?;
        let alias = self.dml_alias()?;
        self.expect_kw("SET")?;
        let set = self.assignments()?;
        let from = if self.kw("FROM") {
            let from = self.p.parse_comma_separated(Parser::parse_table_and_joins);
            let from = self.pe(from)?;
            self.cv.from(&from)?
        } else {
            None
        };
        let where_ = if self.kw("WHERE") { Some(self.expr()?) } else { None };
        let returning = self.returning()?;
        Ok(Update { with, or, table, alias, set, from, where_, returning })
    }

    /// `DELETE` after an optional `WITH`.
    fn delete(&mut self, with: Vec<Cte>) -> Res<Delete> {
        self.expect_kw("DELETE")?;
        self.expect_kw("FROM")?;
        let table = self.qualified_name()?;
        let alias = self.dml_alias()?;
        let where_ = if self.kw("WHERE") { Some(self.expr()?) } else { None };
        let returning = self.returning()?;
        Ok(Delete { with, table, alias, where_, returning })
    }

    // ----- schema statements ----------------------------------------------

    fn create(&mut self) -> Res<Statement> {
        self.expect_kw("CREATE")?;
        let temporary = self.kw("TEMP") || self.kw("TEMPORARY");
        if self.kw("TABLE") {
            return Ok(Statement::CreateTable(Box::new(self.create_table(temporary)?)));
        }
        if self.kw("VIEW") {
            let if_not_exists = self.if_not_exists()?;
            let name = self.qualified_name()?;
            let columns = if *self.peek() == Token::LParen { self.name_list()? } else { Vec::new() };
            self.expect_kw("AS")?;
            let query = Box::new(self.query()?);
            return Ok(Statement::CreateView(Box::new(CreateView { name, if_not_exists, temporary, columns, query })));
        }
        if self.at_kw("TRIGGER") {
            return self.create_trigger(temporary);
        }
        if !temporary && self.at_kw("VIRTUAL") && is_word(self.peek_nth(1), "TABLE") {
            return Err(ParseError::Unsupported("CREATE VIRTUAL TABLE is not supported".into()));
        }
        if temporary {
            return Err(self.err_here());
        }
        let unique = self.kw("UNIQUE");
        self.expect_kw("INDEX")?;
        let if_not_exists = self.if_not_exists()?;
        let name = self.qualified_name()?;
        self.expect_kw("ON")?;
        let table = self.name()?;
        self.expect_tok(&Token::LParen)?;
        let columns = self.indexed_columns()?;
        self.expect_tok(&Token::RParen)?;
        let where_ = if self.kw("WHERE") { Some(self.expr()?) } else { None };
        Ok(Statement::CreateIndex(Box::new(CreateIndex { name, table, unique, if_not_exists, columns, where_ })))
    }

    /// `expr [COLLATE name] [ASC|DESC], ...` (without the parentheses).
    fn indexed_columns(&mut self) -> Res<Vec<IndexedColumn>> {
        let mut out = Vec::new();
        loop {
            let (expr, collation) = match self.expr()? {
                Expr::Collate { expr, collation } => (*expr, Some(collation)),
                e => (e, None),
            };
            let desc = if self.kw("DESC") {
                true
            } else {
                self.kw("ASC");
                false
            };
            out.push(IndexedColumn { expr, collation, desc });
            if !self.tok(&Token::Comma) {
                return Ok(out);
            }
        }
    }

    /// `CREATE [TEMP] TABLE` after `TABLE`.
    fn create_table(&mut self, temporary: bool) -> Res<CreateTable> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.qualified_name()?;
        let mut t = CreateTable {
            name,
            if_not_exists,
            temporary,
            columns: Vec::new(),
            constraints: Vec::new(),
            without_rowid: false,
            strict: false,
            as_select: None,
        };
        if self.kw("AS") {
            t.as_select = Some(Box::new(self.query()?));
            return Ok(t);
        }
        self.expect_tok(&Token::LParen)?;
        loop {
            if self.starts_table_constraint() {
                break;
            }
            t.columns.push(self.column_def()?);
            if !self.tok(&Token::Comma) {
                self.expect_tok(&Token::RParen)?;
                return self.table_options(t);
            }
        }
        loop {
            t.constraints.push(self.table_constraint()?);
            if self.tok(&Token::RParen) {
                return self.table_options(t);
            }
            self.tok(&Token::Comma);
        }
    }

    fn starts_table_constraint(&self) -> bool {
        ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"].iter().any(|k| self.at_kw(k))
    }

    /// `WITHOUT ROWID`, `STRICT`, comma-separated, after the column list.
    fn table_options(&mut self, mut t: CreateTable) -> Res<CreateTable> {
        if self.peek() == &Token::EOF {
            return Ok(t);
        }
        loop {
            if self.kw("WITHOUT") {
                let option = self.name()?;
                if !option.eq_ignore_ascii_case("ROWID") {
                    return Err(ParseError::Unsupported(format!("unknown table option: {option}")));
                }
                t.without_rowid = true;
            } else {
                let option = self.name()?;
                if !option.eq_ignore_ascii_case("STRICT") {
                    return Err(ParseError::Unsupported(format!("unknown table option: {option}")));
                }
                t.strict = true;
            }
            if !self.tok(&Token::Comma) {
                return Ok(t);
            }
        }
    }

    fn column_def(&mut self) -> Res<ColumnDef> {
        let name = self.name()?;
        let type_name = if self.is_type_start() {
            let range = parse_type_tokens(&mut self.p);
            let (a, b) = self.pe(range)?;
            type_text(self.cv.text(self.cv.base + a, self.cv.base + b))
        } else {
            String::new()
        };
        let mut constraints = Vec::new();
        let mut default_text = None;
        loop {
            let cname = if self.kw("CONSTRAINT") { Some(self.name()?) } else { None };
            let named = cname.is_some();
            let start = self.idx();
            if self.at_kw("DEFAULT") {
                let parenthesized = *self.peek_nth(1) == Token::LParen;
                let r = self.column_constraint()?;
                let (a, b) = if parenthesized { (start + 2, self.idx() - 1) } else { (start + 1, self.idx()) };
                default_text = Some(self.cv.text(a, b).to_string());
                if let Some(Some(c)) = r {
                    constraints.push(c);
                }
                continue;
            }
            match self.column_constraint()? {
                Some(Some(ColumnConstraint::Check(e, text))) => {
                    constraints.push(ColumnConstraint::Check(e, cname.unwrap_or(text)))
                }
                Some(Some(c)) => constraints.push(c),
                Some(None) => {}
                None if named => return Err(self.err_here()),
                None => break,
            }
        }
        Ok(ColumnDef { name, type_name, constraints, default_text })
    }

    /// Whether a type name starts here (in a column definition).
    fn is_type_start(&self) -> bool {
        match self.peek() {
            Token::SingleQuotedString(_) => true,
            Token::Word(w) if w.quote_style.is_some() => true,
            Token::Word(w) => {
                !(is_reserved(&w.value)
                    || super::dialect::is_join_kw(&w.value)
                    || (w.value.eq_ignore_ascii_case("GENERATED") && is_word(self.peek_nth(1), "ALWAYS")))
            }
            _ => false,
        }
    }

    /// One column constraint: `None` if none starts here, `Some(None)` for
    /// one the AST does not keep (`NULL`).
    fn column_constraint(&mut self) -> Res<Option<Option<ColumnConstraint>>> {
        let c = if self.kw("PRIMARY") {
            self.expect_kw("KEY")?;
            let desc = if self.kw("DESC") {
                true
            } else {
                self.kw("ASC");
                false
            };
            let conflict = self.on_conflict()?;
            let autoincrement = self.kw("AUTOINCREMENT");
            ColumnConstraint::PrimaryKey { desc, conflict, autoincrement }
        } else if self.kw("NOT") {
            self.expect_kw("NULL")?;
            ColumnConstraint::NotNull(self.on_conflict()?)
        } else if self.kw("NULL") {
            self.on_conflict()?;
            return Ok(Some(None));
        } else if self.kw("UNIQUE") {
            ColumnConstraint::Unique(self.on_conflict()?)
        } else if self.kw("CHECK") {
            let (e, text) = self.check_expr()?;
            ColumnConstraint::Check(e, text)
        } else if self.kw("DEFAULT") {
            ColumnConstraint::Default(self.default_value()?)
        } else if self.kw("COLLATE") {
            ColumnConstraint::Collate(self.name()?)
        } else if self.kw("REFERENCES") {
            ColumnConstraint::ForeignKey(self.foreign_key()?)
        } else if self.at_kw("GENERATED") || self.at_kw("AS") {
            if self.kw("GENERATED") {
                self.expect_kw("ALWAYS")?;
            }
            self.expect_kw("AS")?;
            let expr = self.paren_expr()?;
            let stored = if self.kw("STORED") {
                true
            } else {
                self.kw("VIRTUAL");
                false
            };
            ColumnConstraint::Generated { expr, stored }
        } else {
            return Ok(None);
        };
        Ok(Some(Some(c)))
    }

    /// `( expr )`.
    /// `(expr)` of a CHECK constraint, with the expression's source text.
    fn check_expr(&mut self) -> Res<(Expr, String)> {
        self.expect_tok(&Token::LParen)?;
        let start = self.idx();
        let e = self.expr()?;
        let text = self.cv.text(start, self.idx()).to_string();
        self.expect_tok(&Token::RParen)?;
        Ok((e, text))
    }

    fn paren_expr(&mut self) -> Res<Expr> {
        self.expect_tok(&Token::LParen)?;
        let e = self.expr()?;
        self.expect_tok(&Token::RParen)?;
        Ok(e)
    }

    /// A `DEFAULT` value: `(expr)`, a signed number, a literal,
    /// `CURRENT_TIME|DATE|TIMESTAMP`, or a bare name (a string).
    fn default_value(&mut self) -> Res<Expr> {
        let tok = self.peek().clone();
        match tok {
            Token::LParen => self.paren_expr(),
            Token::Plus | Token::Minus => {
                self.p.advance_token();
                if !matches!(self.peek(), Token::Number(..)) {
                    return Err(self.err_here());
                }
                let v = self.p.parse_value();
                let v = self.pe(v)?;
                let op = if tok == Token::Plus { sp::UnaryOperator::Plus } else { sp::UnaryOperator::Minus };
                self.cv.expr(&sp::Expr::UnaryOp { op, expr: Box::new(sp::Expr::Value(v)) })
            }
            Token::Number(..) | Token::SingleQuotedString(_) | Token::HexStringLiteral(_) => self.literal(),
            Token::Word(w) if w.quote_style.is_none() => {
                let upper = w.value.to_ascii_uppercase();
                match upper.as_str() {
                    "NULL" | "TRUE" | "FALSE" => self.literal(),
                    "CURRENT_TIME" | "CURRENT_DATE" | "CURRENT_TIMESTAMP" => {
                        self.p.advance_token();
                        Ok(Expr::Function {
                            name: upper.to_ascii_lowercase(),
                            args: Vec::new(),
                            star: false,
                            distinct: false,
                            order_by: Vec::new(),
                            filter: None,
                            over: None,
                        })
                    }
                    _ => Ok(Expr::Literal(Value::Text(self.name()?))),
                }
            }
            Token::Word(_) => Ok(Expr::Literal(Value::Text(self.name()?))),
            _ => Err(self.err_here()),
        }
    }

    fn literal(&mut self) -> Res<Expr> {
        let v = self.p.parse_value();
        let v = self.pe(v)?;
        self.cv.expr(&sp::Expr::Value(v))
    }

    /// A foreign key clause after `REFERENCES`.
    fn foreign_key(&mut self) -> Res<ForeignKey> {
        let table = self.name()?;
        let columns = if *self.peek() == Token::LParen { self.name_list()? } else { Vec::new() };
        let mut fk = ForeignKey {
            table,
            columns,
            on_delete: FkAction::NoAction,
            on_update: FkAction::NoAction,
            deferred: false,
        };
        loop {
            if self.kw("ON") {
                let delete = if self.kw("DELETE") {
                    true
                } else {
                    self.expect_kw("UPDATE")?;
                    false
                };
                let action = if self.kw("SET") {
                    if self.kw("NULL") {
                        FkAction::SetNull
                    } else {
                        self.expect_kw("DEFAULT")?;
                        FkAction::SetDefault
                    }
                } else if self.kw("CASCADE") {
                    FkAction::Cascade
                } else if self.kw("RESTRICT") {
                    FkAction::Restrict
                } else {
                    self.expect_kw("NO")?;
                    self.expect_kw("ACTION")?;
                    FkAction::NoAction
                };
                if delete {
                    fk.on_delete = action;
                } else {
                    fk.on_update = action;
                }
            } else if self.kw("MATCH") {
                self.name()?;
            } else {
                break;
            }
        }
        // `[NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE]`: only
        // `DEFERRABLE INITIALLY DEFERRED` defers the constraint.
        let not = self.at_kw("NOT") && is_word(self.peek_nth(1), "DEFERRABLE");
        if not {
            self.p.advance_token();
        }
        if self.kw("DEFERRABLE") {
            if self.kw("INITIALLY") {
                if self.kw("DEFERRED") {
                    fk.deferred = !not;
                } else if !self.kw("IMMEDIATE") {
                    return Err(self.err_here());
                }
            }
        } else if not {
            return Err(self.err_here());
        }
        Ok(fk)
    }

    fn table_constraint(&mut self) -> Res<TableConstraint> {
        let cname = if self.kw("CONSTRAINT") { Some(self.name()?) } else { None };
        if self.kw("PRIMARY") {
            self.expect_kw("KEY")?;
            self.expect_tok(&Token::LParen)?;
            let cols = self.indexed_columns()?;
            // `AUTOINCREMENT` may follow the list; the AST keeps it only on
            // the column form.
            self.kw("AUTOINCREMENT");
            self.expect_tok(&Token::RParen)?;
            Ok(TableConstraint::PrimaryKey(cols, self.on_conflict()?))
        } else if self.kw("UNIQUE") {
            self.expect_tok(&Token::LParen)?;
            let cols = self.indexed_columns()?;
            self.expect_tok(&Token::RParen)?;
            Ok(TableConstraint::Unique(cols, self.on_conflict()?))
        } else if self.kw("CHECK") {
            let (e, text) = self.check_expr()?;
            self.on_conflict()?;
            Ok(TableConstraint::Check(e, cname.unwrap_or(text)))
        } else if self.kw("FOREIGN") {
            self.expect_kw("KEY")?;
            let cols = self.name_list()?;
            self.expect_kw("REFERENCES")?;
            Ok(TableConstraint::ForeignKey(cols, self.foreign_key()?))
        } else {
            Err(self.err_here())
        }
    }

    /// `CREATE [TEMP] TRIGGER`, at `TRIGGER`.
    fn create_trigger(&mut self, temporary: bool) -> Res<Statement> {
        self.expect_kw("TRIGGER")?;
        let if_not_exists = self.if_not_exists()?;
        let name = self.qualified_name()?;
        let timing = if self.kw("BEFORE") {
            TriggerTiming::Before
        } else if self.kw("AFTER") {
            TriggerTiming::After
        } else if self.kw("INSTEAD") {
            self.expect_kw("OF")?;
            TriggerTiming::InsteadOf
        } else {
            TriggerTiming::Before
        };
        let event = if self.kw("UPDATE") {
            let mut cols = Vec::new();
            if self.kw("OF") {
                cols.push(self.name()?);
                while self.tok(&Token::Comma) {
                    cols.push(self.name()?);
                }
            }
            TriggerEvent::Update(cols)
        } else if self.kw("INSERT") {
            TriggerEvent::Insert
        } else if self.kw("DELETE") {
            TriggerEvent::Delete
        } else {
            return Err(self.err_here());
        };
        self.expect_kw("ON")?;
        let table = self.qualified_name()?;
        if self.kw("FOR") {
            self.expect_kw("EACH")?;
            self.expect_kw("ROW")?;
        }
        let when = if self.kw("WHEN") { Some(self.expr()?) } else { None };
        self.expect_kw("BEGIN")?;
        let mut body = Vec::new();
        loop {
            let t = self.peek().clone();
            let stmt = if is_word(&t, "UPDATE") {
                Statement::Update(Box::new(self.update(Vec::new())?))
            } else if is_word(&t, "INSERT") || is_word(&t, "REPLACE") {
                let ins = self.insert(Vec::new())?;
                // SQLite's trigger grammar has no DEFAULT VALUES.
                if ins.source == InsertSource::DefaultValues {
                    return Err(ParseError::Syntax("DEFAULT".into()));
                }
                Statement::Insert(Box::new(ins))
            } else if is_word(&t, "DELETE") {
                Statement::Delete(Box::new(self.delete(Vec::new())?))
            } else if is_word(&t, "SELECT") || is_word(&t, "VALUES") || is_word(&t, "WITH") {
                Statement::Select(Box::new(self.query()?))
            } else {
                return Err(self.err_here());
            };
            body.push(stmt);
            self.expect_tok(&Token::SemiColon)?;
            if self.kw("END") {
                break;
            }
        }
        Ok(Statement::CreateTrigger(Box::new(CreateTrigger {
            name,
            if_not_exists,
            temporary,
            timing,
            event,
            table,
            when,
            body,
        })))
    }

    fn drop(&mut self) -> Res<Statement> {
        self.expect_kw("DROP")?;
        let kind = if self.kw("TABLE") {
            ObjectKind::Table
        } else if self.kw("INDEX") {
            ObjectKind::Index
        } else if self.kw("VIEW") {
            ObjectKind::View
        } else if self.kw("TRIGGER") {
            ObjectKind::Trigger
        } else {
            return Err(self.err_here());
        };
        let if_exists = self.if_exists()?;
        let name = self.qualified_name()?;
        Ok(Statement::Drop { kind, name, if_exists })
    }

    /// `PRAGMA [schema.]name [= value | (value)]`. Names, keywords and
    /// strings become text, numbers become numbers (sign included).
    fn pragma(&mut self) -> Res<Statement> {
        self.expect_kw("PRAGMA")?;
        let name = self.qualified_name()?;
        let value = if self.tok(&Token::Eq) {
            Some(self.pragma_value()?)
        } else if self.tok(&Token::LParen) {
            let v = self.pragma_value()?;
            self.expect_tok(&Token::RParen)?;
            Some(v)
        } else {
            None
        };
        Ok(Statement::Pragma { name, value })
    }

    fn pragma_value(&mut self) -> Res<Expr> {
        let (signed, neg) = if self.tok(&Token::Minus) { (true, true) } else { (self.tok(&Token::Plus), false) };
        match self.peek().clone() {
            Token::Number(..) => {
                let v = self.literal()?;
                Ok(match v {
                    Expr::Literal(Value::Integer(i)) if neg => Expr::Literal(Value::Integer(i.wrapping_neg())),
                    Expr::Literal(Value::Real(r)) if neg => Expr::Literal(Value::Real(-r)),
                    v => v,
                })
            }
            _ if signed => Err(self.err_here()),
            Token::Word(w)
                if w.quote_style.is_none() && ["ON", "DELETE", "DEFAULT"].iter().any(|k| is_word(self.peek(), k)) =>
            {
                self.p.advance_token();
                Ok(Expr::Literal(Value::Text(w.value)))
            }
            _ => Ok(Expr::Literal(Value::Text(self.name()?))),
        }
    }
}
