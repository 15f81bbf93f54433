//! `sqlparser`'s queries and expressions to ours, rejecting what SQLite
//! does not have.

use std::collections::HashMap;

use sqlparser::ast as sp;
use sqlparser::ast::Spanned;
use sqlparser::parser::ParserError;
use sqlparser::tokenizer::{Location, Span, Token};

use super::ParseError;
use super::dialect::{MARK, TOO_DEEP, is_reserved};
use super::lexer::{Lexed, LocKey, is_word, loc_key};
use crate::ast::*;
use crate::value::Value;

/// SQLite's `SQLITE_MAX_EXPR_DEPTH`.
pub(super) const MAX_DEPTH: usize = 1000;

/// SQLite's default `SQLITE_MAX_VARIABLE_NUMBER`.
const MAX_VARIABLE: usize = 32766;

/// Conversion state for one statement.
pub(super) struct Conv<'a, 's> {
    /// The whole input.
    pub lx: &'a Lexed<'s>,
    /// The statement's first token (the parser's token 0).
    pub base: usize,
    /// One past the statement's last token.
    pub end: usize,
    params: HashMap<LocKey, Param>,
    depth: usize,
}

type Res<T> = Result<T, ParseError>;

/// `Expression tree is too large (maximum depth 1000)`.
pub(super) fn too_deep() -> ParseError {
    ParseError::Unsupported(format!("Expression tree is too large (maximum depth {MAX_DEPTH})"))
}

impl<'a, 's> Conv<'a, 's> {
    /// State for the statement made of tokens `base..end`; numbers its
    /// parameters.
    pub fn new(lx: &'a Lexed<'s>, base: usize, end: usize) -> Res<Self> {
        let mut params = HashMap::new();
        let mut max = 0usize;
        let mut named: HashMap<String, usize> = HashMap::new();
        for t in lx.toks.iter().take(end).skip(base) {
            let Token::Placeholder(p) = &t.token else { continue };
            let param = if let Some(digits) = p.strip_prefix('?') {
                let n = if digits.is_empty() {
                    max + 1
                } else {
                    match digits.parse::<usize>() {
                        Ok(n) if (1..=MAX_VARIABLE).contains(&n) => n,
                        _ => {
                            return Err(ParseError::Unsupported(format!(
                                "variable number must be between ?1 and ?{MAX_VARIABLE}"
                            )));
                        }
                    }
                };
                max = max.max(n);
                Param::Index(n)
            } else {
                let n = match named.get(p) {
                    Some(n) => *n,
                    None => {
                        max += 1;
                        named.insert(p.clone(), max);
                        max
                    }
                };
                Param::Named(p.clone(), n)
            };
            if max > MAX_VARIABLE {
                return Err(ParseError::Unsupported("too many SQL variables".into()));
            }
            params.insert(loc_key(t.span.start), param);
        }
        Ok(Conv { lx, base, end, params, depth: 0 })
    }

    // ----- locations and errors -------------------------------------------

    /// The index (into the whole input) of the statement's first token at or
    /// after `loc`.
    pub fn index_of(&self, loc: Location) -> usize {
        let key = loc_key(loc);
        let toks = &self.lx.toks[self.base..self.end];
        self.base + toks.partition_point(|t| loc_key(t.span.start) < key)
    }

    /// The error SQLite gives at token `i` (whole-input index).
    pub fn near_index(&self, i: usize) -> ParseError {
        if i >= self.end {
            return ParseError::Incomplete;
        }
        if let Some(&(at, _)) = self.lx.offs.get(i) {
            super::note_syntax_error_at(at);
        }
        ParseError::Syntax(self.lx.text(i, i + 1).to_string())
    }

    /// A syntax error at the start of `span`.
    pub fn near(&self, span: Span) -> ParseError {
        if span.start.line == 0 {
            return self.near_index(self.base);
        }
        self.near_index(self.index_of(span.start))
    }

    /// A syntax error at the start of `e`.
    fn near_expr(&self, e: &sp::Expr) -> ParseError {
        self.near(e.span())
    }

    /// Turns a `sqlparser` error into SQLite's wording, using the location
    /// in its message.
    pub fn parser_error(&self, e: ParserError) -> ParseError {
        let msg = match e {
            ParserError::RecursionLimitExceeded => return ParseError::Unsupported("parser stack overflow".into()),
            ParserError::ParserError(m) | ParserError::TokenizerError(m) => m,
        };
        if msg.starts_with(TOO_DEEP) {
            return too_deep();
        }
        if msg.contains("found: EOF") {
            return ParseError::Incomplete;
        }
        if let Some(pos) = msg.rfind(" at Line: ") {
            let rest = &msg[pos + " at Line: ".len()..];
            let mut parts = rest.split(", Column: ");
            let line = parts.next().and_then(|l| l.trim().parse::<u64>().ok());
            let col = parts.next().and_then(|c| c.trim().parse::<u64>().ok());
            if let (Some(line), Some(column)) = (line, col) {
                return self.near_index(self.index_of(Location::new(line, column)));
            }
        }
        match msg.rfind("found: ") {
            Some(pos) => ParseError::Syntax(msg[pos + "found: ".len()..].to_string()),
            None => self.near_index(self.base),
        }
    }

    /// The source text of tokens `a..b` (whole-input indexes).
    pub fn text(&self, a: usize, b: usize) -> &'s str {
        self.lx.text(a, b.min(self.end))
    }

    /// The type name of a `DataType` made by the dialect, as written.
    pub fn type_name(&self, dt: &sp::DataType) -> Res<String> {
        match dt {
            sp::DataType::Unspecified => Ok(String::new()),
            sp::DataType::Custom(name, mods) if mods.is_empty() && name.0.len() == 1 => {
                let marker = match &name.0[0] {
                    sp::ObjectNamePart::Identifier(id) => id.value.as_str(),
                    sp::ObjectNamePart::Function(f) => f.name.value.as_str(),
                };
                let range = marker.strip_prefix(MARK).and_then(|r| r.split_once(':'));
                let parsed = range.and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)));
                match parsed {
                    Some((a, b)) => Ok(type_text(self.text(self.base + a, self.base + b))),
                    None => Err(self.near_index(self.base)),
                }
            }
            _ => Err(self.near_index(self.base)),
        }
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { Err(too_deep()) } else { Ok(()) }
    }

    // ----- queries --------------------------------------------------------

    /// A query.
    pub fn query(&mut self, q: &sp::Query) -> Res<Select> {
        let sp::Query {
            with,
            body,
            order_by,
            limit_clause,
            fetch,
            locks,
            for_clause,
            settings,
            format_clause,
            pipe_operators,
        } = q;
        if fetch.is_some()
            || !locks.is_empty()
            || for_clause.is_some()
            || settings.is_some()
            || format_clause.is_some()
            || !pipe_operators.is_empty()
        {
            return Err(self.near_index(self.base));
        }
        let (with, recursive) = match with {
            Some(w) => (self.ctes(&w.cte_tables)?, w.recursive),
            None => (Vec::new(), false),
        };
        let mut parts = Vec::new();
        self.flatten(body, &mut parts)?;
        let mut parts = parts.into_iter();
        let Some((_, body)) = parts.next() else { return Err(self.near_index(self.base)) };
        let compound: Vec<(CompoundOp, SelectBody)> =
            parts.map(|(op, b)| (op.unwrap_or(CompoundOp::Union), b)).collect();
        // In SQLite's grammar ORDER BY and LIMIT belong to a SELECT, so
        // none may follow a VALUES that ends the query.
        if matches!(compound.last().map_or(&body, |(_, b)| b), SelectBody::Values(_)) {
            // The keyword is two tokens before the first ORDER BY term, one
            // before the LIMIT (or the `OFFSET,` form's first) expression.
            let first_term = order_by.as_ref().and_then(|o| match &o.kind {
                sp::OrderByKind::Expressions(v) => v.first().map(|t| (&t.expr, 2)),
                sp::OrderByKind::All(_) => None,
            });
            let limit_expr = match limit_clause {
                Some(sp::LimitClause::LimitOffset { limit: Some(l), .. }) => Some((l, 1)),
                Some(sp::LimitClause::OffsetCommaLimit { offset, .. }) => Some((offset, 1)),
                _ => None,
            };
            if let Some((e, back)) = first_term.or(limit_expr) {
                return Err(self.near_index(self.index_of(e.span().start).saturating_sub(back)));
            }
        }
        let order_by = match order_by {
            Some(o) => self.order_by(o)?,
            None => Vec::new(),
        };
        let (limit, offset) = match limit_clause {
            None => (None, None),
            Some(sp::LimitClause::LimitOffset { limit, offset, limit_by }) => {
                if let Some(e) = limit_by.first() {
                    return Err(self.near_expr(e));
                }
                let Some(limit) = limit else {
                    return Err(match offset {
                        Some(o) => self.near_index(self.index_of(o.value.span().start).saturating_sub(1)),
                        None => self.near_index(self.base),
                    });
                };
                let offset = match offset {
                    Some(o) => Some(self.expr(&o.value)?),
                    None => None,
                };
                (Some(self.expr(limit)?), offset)
            }
            Some(sp::LimitClause::OffsetCommaLimit { offset, limit }) => {
                let offset = self.expr(offset)?;
                (Some(self.expr(limit)?), Some(offset))
            }
        };
        Ok(Select { with, recursive, body, compound, order_by, limit, offset })
    }

    /// Common table expressions.
    pub fn ctes(&mut self, ctes: &[sp::Cte]) -> Res<Vec<Cte>> {
        let mut out = Vec::with_capacity(ctes.len());
        for c in ctes {
            self.check_names([&c.alias.name])?;
            if c.from.is_some() {
                return Err(self.near(c.alias.name.span));
            }
            let mut columns = Vec::with_capacity(c.alias.columns.len());
            for col in &c.alias.columns {
                if col.data_type.is_some() {
                    return Err(self.near(col.name.span));
                }
                columns.push(col.name.value.clone());
            }
            out.push(Cte { name: c.alias.name.value.clone(), columns, query: self.query(&c.query)? });
        }
        Ok(out)
    }

    /// Flattens a compound query left to right: SQLite gives every compound
    /// operator the same precedence.
    fn flatten(&mut self, body: &sp::SetExpr, out: &mut Vec<(Option<CompoundOp>, SelectBody)>) -> Res<()> {
        match body {
            sp::SetExpr::SetOperation { left, op, set_quantifier, right } => {
                let op = match (op, set_quantifier) {
                    (sp::SetOperator::Union, sp::SetQuantifier::All) => CompoundOp::UnionAll,
                    (sp::SetOperator::Union, sp::SetQuantifier::None | sp::SetQuantifier::Distinct) => {
                        CompoundOp::Union
                    }
                    (sp::SetOperator::Intersect, sp::SetQuantifier::None) => CompoundOp::Intersect,
                    (sp::SetOperator::Except, sp::SetQuantifier::None) => CompoundOp::Except,
                    _ => return Err(self.near_index(self.index_of(right.span().start).saturating_sub(1))),
                };
                self.flatten(left, out)?;
                let start = out.len();
                self.flatten(right, out)?;
                if let Some(first) = out.get_mut(start) {
                    first.0 = Some(op);
                }
                Ok(())
            }
            sp::SetExpr::Select(s) => {
                let core = self.select_core(s)?;
                out.push((None, SelectBody::Select(Box::new(core))));
                Ok(())
            }
            sp::SetExpr::Values(v) => {
                let mut rows = Vec::with_capacity(v.rows.len());
                for row in &v.rows {
                    rows.push(self.exprs(&row.content)?);
                }
                out.push((None, SelectBody::Values(rows)));
                Ok(())
            }
            other => {
                let i = self.index_of(other.span().start);
                // A parenthesized query: SQLite has no such compound member.
                let at = if i > self.base && self.lx.toks[i - 1].token == Token::LParen { i - 1 } else { i };
                Err(self.near_index(at))
            }
        }
    }

    fn order_by(&mut self, o: &sp::OrderBy) -> Res<Vec<OrderTerm>> {
        if o.interpolate.is_some() {
            return Err(self.near_index(self.base));
        }
        match &o.kind {
            sp::OrderByKind::Expressions(v) => self.order_terms(v),
            sp::OrderByKind::All(_) => Err(self.near_index(self.base)),
        }
    }

    /// `ORDER BY` terms.
    pub fn order_terms(&mut self, v: &[sp::OrderByExpr]) -> Res<Vec<OrderTerm>> {
        let mut out = Vec::with_capacity(v.len());
        for t in v {
            if t.with_fill.is_some() {
                return Err(self.near_expr(&t.expr));
            }
            let desc = match &t.options.sort {
                None | Some(sp::OrderBySort::Asc) => false,
                Some(sp::OrderBySort::Desc) => true,
                Some(sp::OrderBySort::Using(_)) => return Err(self.near_expr(&t.expr)),
            };
            out.push(OrderTerm { expr: self.expr(&t.expr)?, desc, nulls_first: t.options.nulls_first });
        }
        Ok(out)
    }

    fn select_core(&mut self, s: &sp::Select) -> Res<SelectCore> {
        let near = self.near(s.select_token.0.span);
        let unsupported = !s.optimizer_hints.is_empty()
            || s.select_modifiers.is_some()
            || s.top.is_some()
            || s.exclude.is_some()
            || s.into.is_some()
            || !s.lateral_views.is_empty()
            || s.prewhere.is_some()
            || !s.connect_by.is_empty()
            || !s.cluster_by.is_empty()
            || !s.distribute_by.is_empty()
            || !s.sort_by.is_empty()
            || s.qualify.is_some()
            || s.value_table_mode.is_some()
            || !matches!(s.flavor, sp::SelectFlavor::Standard);
        if unsupported {
            return Err(near);
        }
        let distinct = match &s.distinct {
            None | Some(sp::Distinct::All) => false,
            Some(sp::Distinct::Distinct) => true,
            Some(sp::Distinct::On(_)) => return Err(near),
        };
        let start = self.index_of(s.select_token.0.span.start) + 1;
        let columns = self.result_columns(&s.projection, start, true)?;
        let from = self.from(&s.from)?;
        let where_ = self.opt_expr(s.selection.as_ref())?;
        let group_by = match &s.group_by {
            sp::GroupByExpr::Expressions(v, mods) if mods.is_empty() => self.exprs(v)?,
            _ => return Err(near),
        };
        let having = self.opt_expr(s.having.as_ref())?;
        let mut windows = Vec::with_capacity(s.named_window.len());
        for sp::NamedWindowDefinition(name, w) in &s.named_window {
            match w {
                sp::NamedWindowExpr::WindowSpec(spec) => {
                    let owner = loc_key(name.span.start);
                    windows.push((name.value.clone(), self.window_spec(spec, Some(owner))?));
                }
                sp::NamedWindowExpr::NamedWindow(id) => return Err(self.near(id.span)),
            }
        }
        Ok(SelectCore { distinct, columns, from, where_, group_by, having, windows })
    }

    /// Result columns whose list starts at token `start` (whole-input
    /// index, after `SELECT` or `RETURNING`). `skip_quantifier`: skip a
    /// leading `DISTINCT`/`ALL`.
    pub fn result_columns(
        &mut self,
        items: &[sp::SelectItem],
        mut start: usize,
        skip_quantifier: bool,
    ) -> Res<Vec<ResultColumn>> {
        let toks = &self.lx.toks;
        if skip_quantifier
            && start < self.end
            && (is_word(&toks[start].token, "DISTINCT") || is_word(&toks[start].token, "ALL"))
        {
            start += 1;
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let alias_at = match item {
                sp::SelectItem::ExprWithAlias { alias, .. } => Some(self.index_of(alias.span.start)),
                _ => None,
            };
            let end = self.item_end(start, alias_at);
            let mut expr_end = end;
            if alias_at == Some(end) && end > start && is_word(&toks[end - 1].token, "AS") {
                expr_end = end - 1;
            }
            let span = self.text(start, expr_end).to_string();
            let mut next = if alias_at == Some(end) { end + 1 } else { end };
            if next < self.end && toks[next].token == Token::Comma {
                next += 1;
            }
            start = next;
            out.push(match item {
                sp::SelectItem::UnnamedExpr(e) => ResultColumn::Expr { expr: self.expr(e)?, alias: None, span },
                sp::SelectItem::ExprWithAlias { expr, alias } => {
                    ResultColumn::Expr { expr: self.expr(expr)?, alias: Some(alias.value.clone()), span }
                }
                sp::SelectItem::Wildcard(opts) => {
                    self.plain_wildcard(opts)?;
                    ResultColumn::Star
                }
                sp::SelectItem::QualifiedWildcard(kind, opts) => {
                    self.plain_wildcard(opts)?;
                    match kind {
                        sp::SelectItemQualifiedWildcardKind::ObjectName(name) => {
                            let (_, table) = self.object_name(name)?;
                            ResultColumn::TableStar(table)
                        }
                        sp::SelectItemQualifiedWildcardKind::Expr(e) => return Err(self.near_expr(e)),
                    }
                }
                sp::SelectItem::ExprWithAliases { expr, .. } => return Err(self.near_expr(expr)),
            });
        }
        Ok(out)
    }

    /// Where the result column starting at token `start` ends: at its alias,
    /// or at the first `,`, unmatched `)` or clause keyword outside
    /// parentheses.
    fn item_end(&self, start: usize, alias_at: Option<usize>) -> usize {
        const ENDS: &[&str] = &[
            "FROM",
            "WHERE",
            "GROUP",
            "HAVING",
            "WINDOW",
            "ORDER",
            "LIMIT",
            "UNION",
            "INTERSECT",
            "EXCEPT",
            "ON",
            "RETURNING",
        ];
        let toks = &self.lx.toks;
        let mut depth = 0usize;
        let mut j = start;
        while j < self.end {
            if depth == 0 && alias_at == Some(j) {
                break;
            }
            let t = &toks[j].token;
            match t {
                Token::LParen => depth += 1,
                Token::RParen => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                Token::Comma if depth == 0 => break,
                Token::Word(_) if depth == 0 && j > start => {
                    let ends = ENDS.iter().any(|k| is_word(t, k))
                        && !(is_word(t, "FROM") && is_word(&toks[j - 1].token, "DISTINCT"));
                    if ends {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        j
    }

    fn plain_wildcard(&self, o: &sp::WildcardAdditionalOptions) -> Res<()> {
        if o.opt_ilike.is_some()
            || o.opt_exclude.is_some()
            || o.opt_except.is_some()
            || o.opt_replace.is_some()
            || o.opt_rename.is_some()
            || o.opt_alias.is_some()
        {
            return Err(self.near(o.wildcard_token.0.span));
        }
        Ok(())
    }

    /// `[schema.]name` as (schema, name).
    pub fn object_name(&self, name: &sp::ObjectName) -> Res<(Option<String>, String)> {
        let mut parts = Vec::with_capacity(name.0.len());
        for p in &name.0 {
            match p {
                sp::ObjectNamePart::Identifier(id) => parts.push(id.value.clone()),
                sp::ObjectNamePart::Function(f) => return Err(self.near(f.name.span)),
            }
        }
        let mut it = parts.into_iter();
        match (it.next(), it.next(), it.next()) {
            (Some(name), None, None) => Ok((None, name)),
            (Some(schema), Some(name), None) => Ok((Some(schema), name)),
            _ => Err(self.near(name.span())),
        }
    }

    // ----- FROM -----------------------------------------------------------

    /// A `FROM` list as one left-deep join chain (SQLite's reading of
    /// `a, b JOIN c`).
    pub fn from(&mut self, from: &[sp::TableWithJoins]) -> Res<Option<FromItem>> {
        let mut acc: Option<FromItem> = None;
        for twj in from {
            let right = self.table_factor(&twj.relation)?;
            acc = Some(match acc {
                None => right,
                Some(left) => FromItem::Join {
                    left: Box::new(left),
                    right: Box::new(right),
                    kind: JoinKind::Inner,
                    natural: false,
                    on: None,
                    using: Vec::new(),
                },
            });
            for j in &twj.joins {
                let Some(left) = acc.take() else { break };
                acc = Some(self.join(left, j)?);
            }
        }
        Ok(acc)
    }

    fn join(&mut self, left: FromItem, j: &sp::Join) -> Res<FromItem> {
        let span = || j.relation.span();
        use sp::JoinOperator as J;
        let (kind, constraint) = match &j.join_operator {
            J::Join(c) | J::Inner(c) => (JoinKind::Inner, c),
            J::Left(c) | J::LeftOuter(c) => (JoinKind::Left, c),
            J::Right(c) | J::RightOuter(c) => (JoinKind::Right, c),
            J::FullOuter(c) => (JoinKind::Full, c),
            J::CrossJoin(c) => (JoinKind::Cross, c),
            _ => return Err(self.near(span())),
        };
        let right = self.table_factor(&j.relation)?;
        let (mut natural, mut on, mut using) = (false, None, Vec::new());
        match constraint {
            sp::JoinConstraint::On(e) => on = Some(self.expr(e)?),
            sp::JoinConstraint::Using(names) => {
                for n in names {
                    using.push(self.single_name(n)?);
                }
            }
            sp::JoinConstraint::Natural => natural = true,
            sp::JoinConstraint::None => {}
            sp::JoinConstraint::UsingAlias(..) => return Err(self.near(span())),
        }
        Ok(FromItem::Join { left: Box::new(left), right: Box::new(right), kind, natural, on, using })
    }

    fn table_alias(&self, alias: Option<&sp::TableAlias>) -> Res<Option<String>> {
        match alias {
            None => Ok(None),
            Some(a) => {
                if let Some(c) = a.columns.first() {
                    return Err(self.near(c.name.span));
                }
                if let Some(at) = &a.at {
                    return Err(self.near(at.span));
                }
                Ok(Some(a.name.value.clone()))
            }
        }
    }

    fn table_factor(&mut self, t: &sp::TableFactor) -> Res<FromItem> {
        // Computed only for errors: a span walks the whole subtree.
        let span = || t.span();
        match t {
            sp::TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                with_ordinality,
                partitions,
                json_path,
                sample,
                index_directives,
                inheritance,
            } => {
                if !with_hints.is_empty()
                    || version.is_some()
                    || *with_ordinality
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || sample.is_some()
                    || inheritance.is_some()
                {
                    return Err(self.near(span()));
                }
                let (schema, name) = self.object_name(name)?;
                let alias = self.table_alias(alias.as_ref())?;
                if let Some(args) = args {
                    if schema.is_some() || args.settings.is_some() || !index_directives.is_empty() {
                        return Err(self.near(span()));
                    }
                    let args = self.function_args(&args.args, span)?;
                    return Ok(FromItem::Function { name, args, alias });
                }
                let mut indexed = None;
                for d in index_directives {
                    indexed = Some(match d {
                        sp::TableIndexDirective::IndexedBy(i) => Some(i.value.clone()),
                        sp::TableIndexDirective::NotIndexed => None,
                        sp::TableIndexDirective::MySql(_) => return Err(self.near(span())),
                    });
                }
                Ok(FromItem::Table { schema, name, alias, indexed })
            }
            sp::TableFactor::Derived { lateral: false, subquery, alias, sample: None } => {
                let alias = self.table_alias(alias.as_ref())?;
                Ok(FromItem::Subquery { query: Box::new(self.query(subquery)?), alias })
            }
            sp::TableFactor::Function { lateral: false, name, args, with_ordinality: false, alias } => {
                let (schema, name) = self.object_name(name)?;
                if schema.is_some() {
                    return Err(self.near(span()));
                }
                let alias = self.table_alias(alias.as_ref())?;
                let args = self.function_args(args, span)?;
                Ok(FromItem::Function { name, args, alias })
            }
            sp::TableFactor::NestedJoin { table_with_joins, alias: None } => {
                let item = self.from(std::slice::from_ref(table_with_joins))?;
                item.ok_or_else(|| self.near(span()))
            }
            _ => Err(self.near(span())),
        }
    }

    fn function_args(&mut self, args: &[sp::FunctionArg], span: impl Fn() -> Span) -> Res<Vec<Expr>> {
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            match a {
                sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => out.push(self.expr(e)?),
                _ => return Err(self.near(span())),
            }
        }
        Ok(out)
    }

    // ----- expressions ----------------------------------------------------

    /// Several expressions.
    pub fn exprs(&mut self, v: &[sp::Expr]) -> Res<Vec<Expr>> {
        let mut out = Vec::with_capacity(v.len());
        for e in v {
            out.push(self.expr(e)?);
        }
        Ok(out)
    }

    /// An optional expression.
    pub fn opt_expr(&mut self, e: Option<&sp::Expr>) -> Res<Option<Expr>> {
        e.map(|e| self.expr(e)).transpose()
    }

    fn boxed(&mut self, e: &sp::Expr) -> Res<Box<Expr>> {
        Ok(Box::new(self.expr(e)?))
    }

    /// An expression.
    pub fn expr(&mut self, e: &sp::Expr) -> Res<Expr> {
        crate::stack::grow(|| self.expr_node(e))
    }

    fn expr_node(&mut self, e: &sp::Expr) -> Res<Expr> {
        self.enter()?;
        let r = self.expr_inner(e);
        self.depth -= 1;
        r
    }

    // Each arm of any size lives in its own function, so that a level of
    // recursion takes little stack even without optimizations.
    fn expr_inner(&mut self, e: &sp::Expr) -> Res<Expr> {
        use sp::Expr as E;
        match e {
            E::Identifier(id) => Ok(Expr::Column { table: None, name: id.value.clone() }),
            E::CompoundIdentifier(parts) => self.compound_identifier(parts),
            E::Value(v) => self.literal(v),
            E::Nested(e) => self.expr(e),
            E::IsNull(e) => self.is_null(e, false),
            E::IsNotNull(e) => self.is_null(e, true),
            E::IsTrue(e) => self.truth(e, true, false),
            E::IsNotTrue(e) => self.truth(e, true, true),
            E::IsFalse(e) => self.truth(e, false, false),
            E::IsNotFalse(e) => self.truth(e, false, true),
            E::IsUnknown(e) => self.is_unknown(e, BinaryOp::Is),
            E::IsNotUnknown(e) => self.is_unknown(e, BinaryOp::IsNot),
            E::IsDistinctFrom(a, b) => self.binary(BinaryOp::IsNot, a, b),
            E::IsNotDistinctFrom(a, b) => self.binary(BinaryOp::Is, a, b),
            E::In { expr, target, negated, global: false } => self.in_expr(expr, target, *negated),
            E::Between { expr, negated, low, high } => self.between(expr, *negated, low, high),
            E::BinaryOp { left, op, right } => self.binary_chain(left, op, right),
            E::Like { negated, any: false, expr, pattern, escape_char } => {
                self.like(LikeOp::Like, *negated, expr, pattern, escape_char.as_deref())
            }
            E::UnaryOp { op, expr } => self.unary_op(op, expr),
            E::Cast { kind: sp::CastKind::Cast, expr, data_type, format: None } => self.cast(expr, data_type),
            E::Collate { expr, collation } => self.collate(expr, collation),
            E::Function(f) => self.function(f),
            E::Case { operand, conditions, else_result, .. } => {
                self.case(operand.as_deref(), conditions, else_result.as_deref())
            }
            E::Exists { subquery, negated } => self.exists(subquery, *negated),
            E::Subquery(q) => self.subquery(q),
            E::Tuple(v) => Ok(Expr::Row(self.exprs(v)?)),
            other => Err(self.near_expr(other)),
        }
    }

    #[inline(never)]
    fn compound_identifier(&mut self, parts: &[sp::Ident]) -> Res<Expr> {
        self.check_names(parts)?;
        match parts {
            [t, c] | [_, t, c] => Ok(Expr::Column { table: Some(t.value.clone()), name: c.value.clone() }),
            _ => Err(self.near(parts.first().map(|p| p.span).unwrap_or(Span::empty()))),
        }
    }

    #[inline(never)]
    fn is_null(&mut self, e: &sp::Expr, negated: bool) -> Res<Expr> {
        Ok(Expr::IsNull { expr: self.boxed(e)?, negated })
    }

    #[inline(never)]
    fn in_expr(&mut self, expr: &sp::Expr, target: &sp::InTarget, negated: bool) -> Res<Expr> {
        let expr = self.boxed(expr)?;
        Ok(match target {
            sp::InTarget::List(list) => Expr::InList { expr, list: self.exprs(list)?, negated },
            sp::InTarget::Subquery(q) => Expr::InSelect { expr, query: Box::new(self.query(q)?), negated },
            sp::InTarget::Table { name, args } => {
                let span = name.span();
                let (schema, name) = self.object_name(name)?;
                let from = match args {
                    None => FromItem::Table { schema, name, alias: None, indexed: None },
                    Some(args) => {
                        if schema.is_some() {
                            return Err(self.near(span));
                        }
                        FromItem::Function { name, args: self.function_args(args, || span)?, alias: None }
                    }
                };
                Expr::InSelect { expr, query: Box::new(star_from(from)), negated }
            }
            sp::InTarget::Unnest(e) => return Err(self.near_expr(e)),
        })
    }

    #[inline(never)]
    fn between(&mut self, expr: &sp::Expr, negated: bool, low: &sp::Expr, high: &sp::Expr) -> Res<Expr> {
        Ok(Expr::Between { expr: self.boxed(expr)?, negated, low: self.boxed(low)?, high: self.boxed(high)? })
    }

    #[inline(never)]
    fn like(
        &mut self,
        op: LikeOp,
        negated: bool,
        expr: &sp::Expr,
        pattern: &sp::Expr,
        escape: Option<&sp::Expr>,
    ) -> Res<Expr> {
        Ok(Expr::Like {
            op,
            negated,
            expr: self.boxed(expr)?,
            pattern: self.boxed(pattern)?,
            escape: escape.map(|e| self.boxed(e)).transpose()?,
        })
    }

    /// A chain of binary operators, converted without recursing down its
    /// left side (`a OR b OR c ...` can be long).
    #[inline(never)]
    fn binary_chain(&mut self, left: &sp::Expr, op: &sp::BinaryOperator, right: &sp::Expr) -> Res<Expr> {
        let mut rights = vec![(op, right)];
        let mut leaf = left;
        while let sp::Expr::BinaryOp { left, op, right } = leaf {
            rights.push((op, right));
            leaf = left;
        }
        // `expr` has counted the top operator already.
        let levels = rights.len() - 1;
        if self.depth + levels > MAX_DEPTH {
            return Err(too_deep());
        }
        self.depth += levels;
        let result = (|| {
            let mut acc = self.expr(leaf)?;
            while let Some((op, right)) = rights.pop() {
                acc = self.binary_one(acc, op, right)?;
            }
            Ok(acc)
        })();
        self.depth -= levels;
        result
    }

    /// `left op right`, `left` already converted.
    fn binary_one(&mut self, left: Expr, op: &sp::BinaryOperator, right: &sp::Expr) -> Res<Expr> {
        use sp::BinaryOperator as B;
        let op = match op {
            B::Plus => BinaryOp::Add,
            B::Minus => BinaryOp::Sub,
            B::Multiply => BinaryOp::Mul,
            B::Divide => BinaryOp::Div,
            B::Modulo => BinaryOp::Rem,
            B::StringConcat => BinaryOp::Concat,
            B::Eq => BinaryOp::Eq,
            B::NotEq => BinaryOp::NotEq,
            B::Lt => BinaryOp::Lt,
            B::LtEq => BinaryOp::LtEq,
            B::Gt => BinaryOp::Gt,
            B::GtEq => BinaryOp::GtEq,
            B::And => BinaryOp::And,
            B::Or => BinaryOp::Or,
            B::BitwiseAnd => BinaryOp::BitAnd,
            B::BitwiseOr => BinaryOp::BitOr,
            B::PGBitwiseShiftLeft => BinaryOp::ShiftLeft,
            B::PGBitwiseShiftRight => BinaryOp::ShiftRight,
            B::Arrow => BinaryOp::Arrow,
            B::LongArrow => BinaryOp::LongArrow,
            B::Is | B::IsNot => {
                let negated = *op == B::IsNot;
                if let Some(truth) = bool_value(right) {
                    return Ok(truth_test(left, truth, negated));
                }
                if negated { BinaryOp::IsNot } else { BinaryOp::Is }
            }
            B::Glob | B::Regexp | B::Match => {
                let op = match op {
                    B::Glob => LikeOp::Glob,
                    B::Regexp => LikeOp::Regexp,
                    _ => LikeOp::Match,
                };
                let pattern = self.boxed(right)?;
                return Ok(Expr::Like { op, negated: false, expr: Box::new(left), pattern, escape: None });
            }
            _ => return Err(self.near_index(self.index_of(right.span().start).saturating_sub(1))),
        };
        Ok(Expr::Binary { op, left: Box::new(left), right: self.boxed(right)? })
    }

    fn binary(&mut self, op: BinaryOp, left: &sp::Expr, right: &sp::Expr) -> Res<Expr> {
        Ok(Expr::Binary { op, left: self.boxed(left)?, right: self.boxed(right)? })
    }

    #[inline(never)]
    fn unary_op(&mut self, op: &sp::UnaryOperator, expr: &sp::Expr) -> Res<Expr> {
        let op = match op {
            sp::UnaryOperator::Plus => UnaryOp::Plus,
            sp::UnaryOperator::Minus => UnaryOp::Neg,
            sp::UnaryOperator::Not => UnaryOp::Not,
            sp::UnaryOperator::BitwiseNot => UnaryOp::BitNot,
            _ => return Err(self.near_expr(expr)),
        };
        let mut operand = expr;
        if matches!(op, UnaryOp::Neg | UnaryOp::Plus) {
            // SQLite folds `- +x` and `+ +x` into one operator (parentheses
            // are no nodes in its tree): `- +9223372036854775808` is an
            // integer.
            while let Some(inner) = plus_operand(operand) {
                operand = inner;
            }
        }
        match operand {
            // `-x COLLATE c` is `(-x) COLLATE c` in SQLite.
            sp::Expr::Collate { expr, collation } if op != UnaryOp::Not => {
                let collation = self.single_name(collation)?;
                let inner = self.unary(op, expr)?;
                Ok(Expr::Collate { expr: Box::new(inner), collation })
            }
            e => self.unary(op, e),
        }
    }

    fn unary(&mut self, op: UnaryOp, e: &sp::Expr) -> Res<Expr> {
        // `-9223372036854775808` is the smallest integer, not a real.
        let mut inner = e;
        while let sp::Expr::Nested(x) = inner {
            inner = x;
        }
        if op == UnaryOp::Neg
            && let sp::Expr::Value(v) = inner
            && let sp::Value::Number(n, _) = &v.value
            && n.replace('_', "") == "9223372036854775808"
        {
            return Ok(Expr::Literal(Value::Integer(i64::MIN)));
        }
        Ok(Expr::Unary { op, expr: self.boxed(e)? })
    }

    #[inline(never)]
    fn cast(&mut self, expr: &sp::Expr, data_type: &sp::DataType) -> Res<Expr> {
        Ok(Expr::Cast { expr: self.boxed(expr)?, type_name: self.type_name(data_type)? })
    }

    #[inline(never)]
    fn collate(&mut self, expr: &sp::Expr, collation: &sp::ObjectName) -> Res<Expr> {
        Ok(Expr::Collate { expr: self.boxed(expr)?, collation: self.single_name(collation)? })
    }

    #[inline(never)]
    fn case(
        &mut self,
        operand: Option<&sp::Expr>,
        conditions: &[sp::CaseWhen],
        else_result: Option<&sp::Expr>,
    ) -> Res<Expr> {
        let operand = operand.map(|o| self.boxed(o)).transpose()?;
        let mut whens = Vec::with_capacity(conditions.len());
        for w in conditions {
            whens.push((self.expr(&w.condition)?, self.expr(&w.result)?));
        }
        let else_ = else_result.map(|e| self.boxed(e)).transpose()?;
        Ok(Expr::Case { operand, whens, else_ })
    }

    #[inline(never)]
    fn exists(&mut self, q: &sp::Query, negated: bool) -> Res<Expr> {
        Ok(Expr::Exists { query: Box::new(self.query(q)?), negated })
    }

    #[inline(never)]
    fn subquery(&mut self, q: &sp::Query) -> Res<Expr> {
        Ok(Expr::Subquery(Box::new(self.query(q)?)))
    }

    /// SQLite's truth tests `x IS [NOT] TRUE|FALSE`.
    #[inline(never)]
    fn truth(&mut self, e: &sp::Expr, truth: bool, negated: bool) -> Res<Expr> {
        let e = self.expr(e)?;
        Ok(truth_test(e, truth, negated))
    }

    /// `x IS [NOT] UNKNOWN`: SQLite has no such keyword, so `unknown` is a
    /// name.
    #[inline(never)]
    fn is_unknown(&mut self, e: &sp::Expr, op: BinaryOp) -> Res<Expr> {
        let unknown = Expr::Column { table: None, name: "unknown".into() };
        Ok(Expr::Binary { op, left: self.boxed(e)?, right: Box::new(unknown) })
    }

    /// Rejects SQLite's reserved words used as names (`sqlparser` takes
    /// them).
    fn check_names<'i>(&self, names: impl IntoIterator<Item = &'i sp::Ident>) -> Res<()> {
        for id in names {
            if id.quote_style.is_none() && is_reserved(&id.value) {
                return Err(self.near(id.span));
            }
        }
        Ok(())
    }

    /// An unqualified name that is not a reserved word (a collation, a
    /// `USING` column).
    fn single_name(&self, name: &sp::ObjectName) -> Res<String> {
        for part in &name.0 {
            if let sp::ObjectNamePart::Identifier(id) = part {
                self.check_names([id])?;
            }
        }
        match self.object_name(name)? {
            (None, name) => Ok(name),
            (Some(_), _) => Err(ParseError::Syntax(".".into())),
        }
    }

    #[inline(never)]
    fn literal(&self, v: &sp::ValueWithSpan) -> Res<Expr> {
        let span = v.span;
        Ok(Expr::Literal(match &v.value {
            sp::Value::Null => Value::Null,
            sp::Value::Boolean(b) => Value::Integer(i64::from(*b)),
            sp::Value::SingleQuotedString(s) => Value::Text(s.clone()),
            sp::Value::HexStringLiteral(h) => match decode_hex(h) {
                Some(b) => Value::Blob(b),
                None => return Err(self.near(span)),
            },
            sp::Value::Number(n, _) => match number(n) {
                Ok(v) => v,
                Err(NumberError::HexTooBig) => {
                    return Err(ParseError::Unsupported(format!("hex literal too big: {n}")));
                }
                Err(NumberError::Bad) => return Err(self.near(span)),
            },
            sp::Value::Placeholder(p) => {
                return Ok(Expr::Param(match self.params.get(&loc_key(span.start)) {
                    Some(param) => param.clone(),
                    None => match p.strip_prefix('?').map(str::parse::<usize>) {
                        Some(Ok(n)) => Param::Index(n),
                        _ => Param::Named(p.clone(), 0),
                    },
                }));
            }
            _ => return Err(self.near(span)),
        }))
    }

    #[inline(never)]
    fn function(&mut self, f: &sp::Function) -> Res<Expr> {
        let name_span = f.name.span();
        if f.uses_odbc_syntax
            || !matches!(f.parameters, sp::FunctionArguments::None)
            || !f.within_group.is_empty()
            || f.null_treatment.is_some()
        {
            return Err(self.near(name_span));
        }
        let (schema, name) = self.object_name(&f.name)?;
        if schema.is_some() {
            return Err(self.near(name_span));
        }
        let mut star = false;
        let mut distinct = false;
        let mut args = Vec::new();
        let mut order_by = Vec::new();
        match &f.args {
            sp::FunctionArguments::None => {}
            sp::FunctionArguments::Subquery(q) => return Err(self.near(q.span())),
            sp::FunctionArguments::List(list) => {
                distinct = matches!(list.duplicate_treatment, Some(sp::DuplicateTreatment::Distinct));
                let n = list.args.len();
                for a in &list.args {
                    match a {
                        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => args.push(self.expr(e)?),
                        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Wildcard)
                            if n == 1 && list.duplicate_treatment.is_none() =>
                        {
                            star = true
                        }
                        _ => return Err(self.near(name_span)),
                    }
                }
                for c in &list.clauses {
                    match c {
                        sp::FunctionArgumentClause::OrderBy(v) => order_by = self.order_terms(v)?,
                        _ => return Err(self.near(name_span)),
                    }
                }
            }
        }
        // Only the dialect makes unquoted names with the marker character.
        let unquoted = matches!(f.name.0.as_slice(), [sp::ObjectNamePart::Identifier(id)] if id.quote_style.is_none());
        if let Some(marker) = name.strip_prefix(MARK).filter(|_| unquoted) {
            return self.marker(marker, args, name_span);
        }
        let filter = f.filter.as_deref().map(|e| self.boxed(e)).transpose()?;
        let over = match &f.over {
            None => None,
            Some(sp::WindowType::NamedWindow(id)) => {
                self.check_names([id])?;
                Some(Box::new(WindowSpec { base: Some(id.value.clone()), bare: true, ..WindowSpec::default() }))
            }
            Some(sp::WindowType::WindowSpec(spec)) => {
                Some(Box::new(self.window_spec(spec, Some(loc_key(name_span.start)))?))
            }
        };
        let time = ["CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"].iter().any(|k| k.eq_ignore_ascii_case(&name));
        let name = if time && matches!(f.args, sp::FunctionArguments::None) { name.to_ascii_lowercase() } else { name };
        Ok(Expr::Function { name, args, star, distinct, order_by, filter, over })
    }

    /// A construct the dialect passed as a marker call.
    fn marker(&mut self, marker: &str, args: Vec<Expr>, span: Span) -> Res<Expr> {
        let mut it = args.into_iter();
        match marker {
            "glob" | "regexp" | "match" => {
                let op = match marker {
                    "glob" => LikeOp::Glob,
                    "regexp" => LikeOp::Regexp,
                    _ => LikeOp::Match,
                };
                let (Some(expr), Some(pattern)) = (it.next(), it.next()) else { return Err(self.near(span)) };
                Ok(Expr::Like {
                    op,
                    negated: false,
                    expr: Box::new(expr),
                    pattern: Box::new(pattern),
                    escape: it.next().map(Box::new),
                })
            }
            "raise" => {
                let action = match it.next() {
                    Some(Expr::Literal(Value::Text(a))) => a,
                    _ => return Err(self.near(span)),
                };
                let message = it.next().map(Box::new);
                Ok(Expr::Raise { action, message })
            }
            _ => Err(self.near(span)),
        }
    }

    fn window_spec(&mut self, s: &sp::WindowSpec, owner: Option<LocKey>) -> Res<WindowSpec> {
        self.check_names(&s.window_name)?;
        let partition_by = self.exprs(&s.partition_by)?;
        let order_by = self.order_terms(&s.order_by)?;
        let frame = match &s.window_frame {
            None => None,
            Some(f) => {
                let units = match f.units {
                    sp::WindowFrameUnits::Rows => FrameUnits::Rows,
                    sp::WindowFrameUnits::Range => FrameUnits::Range,
                    sp::WindowFrameUnits::Groups => FrameUnits::Groups,
                };
                let start = self.frame_bound(&f.start_bound)?;
                let end = match &f.end_bound {
                    Some(b) => self.frame_bound(b)?,
                    None => FrameBound::CurrentRow,
                };
                let written = owner.and_then(|k| self.lx.excludes.get(&k).copied());
                Some(WindowFrame {
                    units,
                    start,
                    end,
                    exclude: written.unwrap_or_default(),
                    exclude_written: written.is_some(),
                })
            }
        };
        Ok(WindowSpec {
            base: s.window_name.as_ref().map(|n| n.value.clone()),
            bare: false,
            partition_by,
            order_by,
            frame,
        })
    }

    fn frame_bound(&mut self, b: &sp::WindowFrameBound) -> Res<FrameBound> {
        Ok(match b {
            sp::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            sp::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
            sp::WindowFrameBound::Preceding(Some(e)) => FrameBound::Preceding(self.boxed(e)?),
            sp::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
            sp::WindowFrameBound::Following(Some(e)) => FrameBound::Following(self.boxed(e)?),
        })
    }
}

/// `SELECT * FROM <from>`.
pub(super) fn star_from(from: FromItem) -> Select {
    Select {
        with: Vec::new(),
        recursive: false,
        body: SelectBody::Select(Box::new(SelectCore {
            distinct: false,
            columns: vec![ResultColumn::Star],
            from: Some(from),
            where_: None,
            group_by: Vec::new(),
            having: None,
            windows: Vec::new(),
        })),
        compound: Vec::new(),
        order_by: Vec::new(),
        limit: None,
        offset: None,
    }
}

/// The operand of a unary `+`, seen through parentheses.
fn plus_operand(e: &sp::Expr) -> Option<&sp::Expr> {
    match e {
        sp::Expr::UnaryOp { op: sp::UnaryOperator::Plus, expr } => Some(expr),
        sp::Expr::Nested(inner) => plus_operand(inner),
        _ => None,
    }
}

/// `x IS [NOT] TRUE|FALSE` as `CASE WHEN [NOT] x THEN 1 ELSE 0 END` (1 and
/// 0 swapped for `IS NOT`): SQLite tests truth here, not equality with 1.
fn truth_test(e: Expr, truth: bool, negated: bool) -> Expr {
    let cond = if truth { e } else { Expr::Unary { op: UnaryOp::Not, expr: Box::new(e) } };
    let (then, else_) = if negated { (0, 1) } else { (1, 0) };
    Expr::Case {
        operand: None,
        whens: vec![(cond, Expr::Literal(Value::Integer(then)))],
        else_: Some(Box::new(Expr::Literal(Value::Integer(else_)))),
    }
}

/// `TRUE` or `FALSE` as the right side of `IS`, seen through parentheses,
/// `COLLATE` and `likely()` as SQLite sees it: such an `IS` is a truth test.
fn bool_value(e: &sp::Expr) -> Option<bool> {
    match e {
        sp::Expr::Value(v) => match v.value {
            sp::Value::Boolean(b) => Some(b),
            _ => None,
        },
        sp::Expr::Nested(e) | sp::Expr::Collate { expr: e, .. } => bool_value(e),
        sp::Expr::Function(f) => {
            let name = f.name.to_string().to_ascii_lowercase();
            if !["likely", "unlikely", "likelihood"].contains(&name.as_str()) {
                return None;
            }
            match &f.args {
                sp::FunctionArguments::List(l) => match l.args.first() {
                    Some(sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e))) => bool_value(e),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// A declared type as SQLite keeps it: the source text, dequoted when it
/// starts with a quote.
pub(super) fn type_text(text: &str) -> String {
    let mut chars = text.chars();
    let close = match chars.next() {
        Some('\'') => '\'',
        Some('"') => '"',
        Some('`') => '`',
        Some('[') => ']',
        _ => return text.to_string(),
    };
    let mut out = String::new();
    let mut chars = chars.peekable();
    while let Some(c) = chars.next() {
        if c == close {
            if close != ']' && chars.peek() == Some(&close) {
                chars.next();
                out.push(c);
                continue;
            }
            break;
        }
        out.push(c);
    }
    out
}

fn decode_hex(h: &str) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16);
    h.as_bytes().chunks(2).map(|p| Some((digit(p[0])? * 16 + digit(p[1])?) as u8)).collect()
}

enum NumberError {
    HexTooBig,
    Bad,
}

/// A numeric literal's value, as SQLite reads it: a decimal integer that
/// does not fit 64 bits is a real; a hex integer is 64-bit two's complement.
fn number(text: &str) -> Result<Value, NumberError> {
    let cleaned;
    let text = if text.contains('_') {
        cleaned = text.replace('_', "");
        cleaned.as_str()
    } else {
        text
    };
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        let digits = hex.trim_start_matches('0');
        if digits.len() > 16 {
            return Err(NumberError::HexTooBig);
        }
        if digits.is_empty() {
            return if hex.is_empty() { Err(NumberError::Bad) } else { Ok(Value::Integer(0)) };
        }
        return u64::from_str_radix(digits, 16).map(|v| Value::Integer(v as i64)).map_err(|_| NumberError::Bad);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(match text.parse::<i64>() {
            Ok(i) => Value::Integer(i),
            Err(_) => Value::Real(text.parse::<f64>().map_err(|_| NumberError::Bad)?),
        });
    }
    text.parse::<f64>().map(Value::Real).map_err(|_| NumberError::Bad)
}
