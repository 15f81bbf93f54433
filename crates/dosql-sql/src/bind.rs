//! The binder: turns the AST into plans ([`crate::plan`]) by resolving
//! every name against the schema and the enclosing queries.
//!
//! Scopes form a stack, one per query level; a column reference resolves to
//! the innermost scope that has it, and records how many levels out that is.
//! Aggregate calls are collected per query level and replaced by slots.

mod recursive;

use crate::ast::{self, BinaryOp, Expr, FromItem, JoinKind, ResultColumn, SelectBody};
use crate::error::{Error, Result, sql_err};
use crate::plan::{AggCall, BExpr, CorePlan, QueryPlan, RaiseAction, SortKey, Source};
use crate::schema::{Schema, collation_by_name, lower};
use crate::value::{Affinity, Collation, Value};
use crate::window::{Bound, Frame, WindowCall};

/// A column visible in a scope.
#[derive(Debug, Clone)]
struct ScopeCol {
    name: String,
    aff: Option<Affinity>,
    coll: Collation,
    /// The hidden rowid of a table (found only by `rowid`, `oid`, `_rowid_`).
    rowid: bool,
    /// The right-hand copy of a USING / NATURAL join column: found only
    /// when qualified, and left out of `*`.
    merged: bool,
    /// A hidden column of a table-valued function: left out of `*`.
    hidden: bool,
    /// For the right-hand copy of a USING / NATURAL column, that join's
    /// kind: an unqualified name still resolves to it after a RIGHT or
    /// FULL join (see [`Binder::resolve_column`]).
    using: Option<JoinKind>,
    /// The `value` column of `json_each` / `json_tree`, whose containers
    /// carry the JSON subtype (the `type` column follows it).
    json_value: bool,
    /// Its slot within its table's row when that is not its position (the
    /// columns of a flattened subquery are slots of the table it reads).
    slot: Option<usize>,
}

impl ScopeCol {
    /// An ordinary column: findable by name, part of `*`.
    fn plain(name: &str, aff: Option<Affinity>, coll: Collation) -> ScopeCol {
        ScopeCol {
            name: name.to_string(),
            aff,
            coll,
            rowid: false,
            merged: false,
            hidden: false,
            json_value: false,
            using: None,
            slot: None,
        }
    }
}

/// A table (or subquery) visible in a scope.
#[derive(Debug, Clone)]
struct ScopeTable {
    name: String,
    cols: Vec<ScopeCol>,
    offset: usize,
    /// Slots its rows take when not one per column (a flattened subquery
    /// takes its table's).
    width: Option<usize>,
}

impl ScopeTable {
    /// The row slot of column `i`.
    fn slot(&self, i: usize) -> usize {
        self.offset + self.cols.get(i).and_then(|c| c.slot).unwrap_or(i)
    }

    /// Slots its rows take.
    fn width(&self) -> usize {
        self.width.unwrap_or(self.cols.len())
    }
}

#[derive(Debug, Default)]
struct Scope {
    tables: Vec<ScopeTable>,
    /// Aggregates collected at this level, when they are allowed here.
    aggs: Option<Vec<AggCall>>,
    /// Window calls collected at this level, when they are allowed here.
    wins: Option<Vec<WindowCall>>,
    /// The WHERE conditions of subqueries flattened into this level's FROM.
    flattened_where: Vec<BExpr>,
    /// This level's `WINDOW` clause, resolved.
    named_windows: Vec<(String, ast::WindowSpec)>,
}

/// A named row visible to expressions outside any FROM clause: a trigger's
/// `new` / `old`, an upsert's `excluded`, a DML statement's target table.
#[derive(Debug, Clone)]
pub struct RowTable {
    /// The name it is referred to by (lower-case).
    pub name: String,
    /// Its columns in row order: name, affinity, collation.
    pub cols: Vec<(String, Option<Affinity>, Collation)>,
    /// Whether the row ends with a hidden rowid slot.
    pub has_rowid: bool,
    /// Whether its columns are found only when qualified (`new.x`), as
    /// for trigger pseudo-tables.
    pub qualified_only: bool,
    /// Whether the rowid slot cannot be named (WITHOUT ROWID tables).
    pub hidden_rowid: bool,
}

impl RowTable {
    /// A table's row (columns, then the rowid) under `name`.
    pub fn of_table(table: &crate::schema::Table, name: &str) -> RowTable {
        RowTable {
            name: lower(name),
            cols: table.columns.iter().map(|c| (c.name.clone(), Some(c.affinity), c.collation)).collect(),
            has_rowid: true,
            qualified_only: false,
            hidden_rowid: table.without_rowid.is_some(),
        }
    }

    /// The width of the row, rowid slot included.
    pub fn width(&self) -> usize {
        self.cols.len() + usize::from(self.has_rowid)
    }
}

/// Lays `tables` out one after another in one scope.
fn row_scope(tables: &[RowTable]) -> Scope {
    let mut offset = 0;
    let mut out = Vec::new();
    for t in tables {
        let mut cols: Vec<ScopeCol> = t
            .cols
            .iter()
            .map(|(name, aff, coll)| ScopeCol { merged: t.qualified_only, ..ScopeCol::plain(name, *aff, *coll) })
            .collect();
        if t.has_rowid {
            cols.push(ScopeCol {
                name: if t.hidden_rowid { "\u{0}rowid".into() } else { "rowid".into() },
                aff: Some(Affinity::Integer),
                coll: Collation::Binary,
                rowid: !t.hidden_rowid,
                merged: t.qualified_only || t.hidden_rowid,
                hidden: false,
                json_value: false,
                using: None,
                slot: None,
            });
        }
        out.push(ScopeTable { name: t.name.clone(), cols, offset, width: None });
        offset += t.width();
    }
    Scope { tables: out, ..Scope::default() }
}

/// Statement-wide binding state.
pub struct Binder<'a> {
    schema: &'a Schema,
    scopes: Vec<Scope>,
    ctes: Vec<(String, ast::Cte)>,
    /// CTEs whose query is being bound: a reference to one is recursive.
    binding_ctes: Vec<String>,
    /// Named parameters and their numbers (1-based), in order of first appearance.
    pub named_params: Vec<(String, usize)>,
    /// Highest parameter number used.
    pub param_count: usize,
    /// Whether `RAISE()` is allowed (inside a trigger program).
    raise_ok: bool,
    /// Recursive CTEs whose recursive SELECTs are being bound.
    recursive: Vec<recursive::RecState>,
    /// The id the next recursive CTE gets.
    next_recursive_id: usize,
    /// Whether the FROM clause being bound has a RIGHT or FULL join
    /// anywhere: USING columns then follow stricter rules.
    right_join_in_from: bool,
    /// The FROM clause being bound has an outer join (subqueries in it are
    /// not flattened).
    outer_join_in_from: bool,
}

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "total",
    "avg",
    "min",
    "max",
    "group_concat",
    "string_agg",
    "json_group_array",
    "json_group_object",
    "jsonb_group_array",
    "jsonb_group_object",
];

fn is_aggregate(name: &str, nargs: usize, star: bool) -> bool {
    let n = name.to_ascii_lowercase();
    if star {
        return n == "count";
    }
    match n.as_str() {
        "min" | "max" => nargs == 1,
        _ => AGGREGATES.contains(&n.as_str()),
    }
}

fn is_rowid_name(name: &str) -> bool {
    ["rowid", "oid", "_rowid_"].iter().any(|r| r.eq_ignore_ascii_case(name))
}

impl<'a> Binder<'a> {
    /// A binder over `schema`.
    pub fn new(schema: &'a Schema) -> Self {
        Binder {
            schema,
            scopes: Vec::new(),
            ctes: Vec::new(),
            binding_ctes: Vec::new(),
            named_params: Vec::new(),
            param_count: 0,
            raise_ok: false,
            recursive: Vec::new(),
            next_recursive_id: 0,
            right_join_in_from: false,
            outer_join_in_from: false,
        }
    }

    /// Binds a whole query.
    pub fn bind_select(&mut self, s: &ast::Select) -> Result<QueryPlan> {
        let pushed = s.with.len();
        for cte in &s.with {
            self.ctes.push((lower(&cte.name), cte.clone()));
        }
        let r = crate::stack::grow(|| self.bind_select_inner(s));
        self.ctes.truncate(self.ctes.len() - pushed);
        r
    }

    fn bind_select_inner(&mut self, s: &ast::Select) -> Result<QueryPlan> {
        let simple = s.compound.is_empty();
        let (first, columns, affinities, order_by) =
            self.bind_core(&s.body, if simple { Some(&s.order_by) } else { None })?;
        let mut compound = Vec::new();
        for (op, body) in &s.compound {
            let (core, cols, _, _) = self.bind_core(body, None)?;
            if cols.len() != columns.len() {
                let word = match op {
                    ast::CompoundOp::Union => "UNION",
                    ast::CompoundOp::UnionAll => "UNION ALL",
                    ast::CompoundOp::Intersect => "INTERSECT",
                    ast::CompoundOp::Except => "EXCEPT",
                };
                return sql_err(format!(
                    "SELECTs to the left and right of {word} do not have the same number of result columns"
                ));
            }
            compound.push((*op, core));
        }
        self.scopes.push(Scope::default());
        let limit = s.limit.as_ref().map(|e| self.bind_expr(e)).transpose();
        let offset = s.offset.as_ref().map(|e| self.bind_expr(e)).transpose();
        self.scopes.pop();
        let mut first = first;
        if simple {
            crate::access::plan_order(self.schema, &mut first, &order_by, s.limit.is_some());
        }
        let mut plan = QueryPlan {
            first,
            compound,
            order_by,
            order_on_result: !simple,
            limit: limit?,
            offset: offset?,
            columns: columns.into(),
            affinities,
        };
        if !simple {
            plan.order_by = self.bind_result_order(&s.order_by, &plan.columns, &compound_collations(&plan), &s.body)?;
        }
        Ok(plan)
    }

    /// ORDER BY of a compound query: each term names a result column.
    fn bind_result_order(
        &mut self,
        terms: &[ast::OrderTerm],
        columns: &[String],
        colls: &[Collation],
        first: &SelectBody,
    ) -> Result<Vec<SortKey>> {
        // A term without COLLATE sorts under its column's compound collation.
        let aliases: Vec<Option<String>> = match first {
            SelectBody::Select(core) => core
                .columns
                .iter()
                .map(|c| match c {
                    ResultColumn::Expr { alias: Some(a), .. } => Some(a.clone()),
                    ResultColumn::Expr { expr: Expr::Column { name, .. }, .. } => Some(name.clone()),
                    _ => None,
                })
                .collect(),
            SelectBody::Values(_) => Vec::new(),
        };
        let mut keys = Vec::new();
        for (n, t) in terms.iter().enumerate() {
            let (inner, coll) = strip_collate(&t.expr)?;
            let idx = match inner {
                Expr::Literal(Value::Integer(i)) if *i >= 1 && (*i as usize) <= columns.len() => Some(*i as usize - 1),
                Expr::Column { table: None, name } => {
                    columns.iter().position(|c| c.eq_ignore_ascii_case(name)).or_else(|| {
                        aliases.iter().position(|a| a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(name)))
                    })
                }
                _ => None,
            };
            let Some(idx) = idx else {
                return sql_err(format!(
                    "{} ORDER BY term does not match any column in the result set",
                    ordinal(n + 1)
                ));
            };
            let coll = coll.or_else(|| colls.get(idx).copied()).unwrap_or(Collation::Binary);
            keys.push(SortKey {
                expr: BExpr::Col { depth: 0, idx, aff: None, coll },
                desc: t.desc,
                nulls_first: t.nulls_first.unwrap_or(!t.desc),
                coll,
            });
        }
        Ok(keys)
    }

    #[allow(clippy::type_complexity)]
    fn bind_core(
        &mut self,
        body: &SelectBody,
        order_by: Option<&Vec<ast::OrderTerm>>,
    ) -> Result<(CorePlan, Vec<String>, Vec<Option<Affinity>>, Vec<SortKey>)> {
        let core = match body {
            SelectBody::Values(rows) => {
                self.scopes.push(Scope::default());
                let mut out = Vec::new();
                let width = rows.first().map_or(0, |r| r.len());
                for row in rows {
                    if row.len() != width {
                        self.scopes.pop();
                        return sql_err("all VALUES must have the same number of terms");
                    }
                    let bound: Result<Vec<_>> = row.iter().map(|e| self.bind_expr(e)).collect();
                    match bound {
                        Ok(b) => out.push(b),
                        Err(e) => {
                            self.scopes.pop();
                            return Err(e);
                        }
                    }
                }
                self.scopes.pop();
                let columns = (1..=width).map(|i| format!("column{i}")).collect();
                let plan = CorePlan {
                    source: Source::Single,
                    where_: None,
                    group_by: Vec::new(),
                    having: None,
                    aggs: Vec::new(),
                    aggregate: false,
                    windows: Vec::new(),
                    result: Vec::new(),
                    distinct: false,
                    values: Some(out),
                    ordered: false,
                    first_row: None,
                    grouped: false,
                    join: None,
                };
                let mut keys = Vec::new();
                if let Some(terms) = order_by {
                    for (n, t) in terms.iter().enumerate() {
                        match &t.expr {
                            Expr::Literal(Value::Integer(i)) if *i >= 1 && (*i as usize) <= width => {
                                keys.push(SortKey {
                                    expr: BExpr::Col {
                                        depth: 0,
                                        idx: *i as usize - 1,
                                        aff: None,
                                        coll: Collation::Binary,
                                    },
                                    desc: t.desc,
                                    nulls_first: t.nulls_first.unwrap_or(!t.desc),
                                    coll: Collation::Binary,
                                })
                            }
                            _ => {
                                return sql_err(format!(
                                    "{} ORDER BY term does not match any column in the result set",
                                    ordinal(n + 1)
                                ));
                            }
                        }
                    }
                }
                return Ok((plan, columns, vec![None; width], keys));
            }
            SelectBody::Select(core) => core,
        };
        self.scopes.push(Scope::default());
        let r = self.bind_core_select(core, order_by);
        self.scopes.pop();
        r
    }

    #[allow(clippy::type_complexity)]
    fn bind_core_select(
        &mut self,
        core: &ast::SelectCore,
        order_by: Option<&Vec<ast::OrderTerm>>,
    ) -> Result<(CorePlan, Vec<String>, Vec<Option<Affinity>>, Vec<SortKey>)> {
        let source = match &core.from {
            Some(f) => {
                let outer = std::mem::replace(&mut self.right_join_in_from, has_right_join(f));
                let outer_any = std::mem::replace(&mut self.outer_join_in_from, has_outer_join(f));
                let source = self.bind_from(f);
                self.right_join_in_from = outer;
                self.outer_join_in_from = outer_any;
                source?
            }
            None => Source::Single,
        };
        let where_ = core.where_.as_ref().map(|e| self.bind_expr(e)).transpose()?;
        let named_windows = crate::window::resolve_named(&core.windows)?;
        if let Some(scope) = self.scopes.last_mut() {
            scope.aggs = Some(Vec::new());
            scope.wins = Some(Vec::new());
            scope.named_windows = named_windows;
        }
        let mut result = Vec::new();
        let mut columns = Vec::new();
        let mut affinities = Vec::new();
        let mut aliases = Vec::new();
        for rc in &core.columns {
            match rc {
                ResultColumn::Star | ResultColumn::TableStar(_) => {
                    let want = if let ResultColumn::TableStar(t) = rc { Some(lower(t)) } else { None };
                    let scope = self.scopes.last().map(|s| s.tables.clone()).unwrap_or_default();
                    let mut found = false;
                    for t in &scope {
                        if want.as_ref().is_some_and(|w| *w != t.name) {
                            continue;
                        }
                        found = true;
                        for (i, c) in t.cols.iter().enumerate() {
                            if c.rowid || c.hidden || (c.merged && want.is_none()) {
                                continue;
                            }
                            let mut e = BExpr::Col { depth: 0, idx: t.slot(i), aff: c.aff, coll: c.coll };
                            // A column a later RIGHT or FULL join merged by
                            // USING shows as its unqualified name resolves.
                            let merged_later = scope.iter().any(|u| {
                                u.offset > t.offset
                                    && u.cols.iter().any(|d| {
                                        matches!(d.using, Some(JoinKind::Right | JoinKind::Full))
                                            && d.name.eq_ignore_ascii_case(&c.name)
                                    })
                            });
                            if want.is_none() && merged_later {
                                e = self.resolve_column(None, &c.name).unwrap_or(e);
                            }
                            result.push(e);
                            columns.push(c.name.clone());
                            affinities.push(c.aff);
                            aliases.push(None);
                        }
                    }
                    if !found {
                        return match want {
                            Some(t) => sql_err(format!("no such table: {t}")),
                            None => sql_err("no tables specified"),
                        };
                    }
                }
                ResultColumn::Expr { expr, alias, span } => {
                    let b = self.bind_expr(expr)?;
                    affinities.push(expr_affinity(&b));
                    columns.push(match (alias, expr) {
                        (Some(a), _) => a.clone(),
                        (None, Expr::Column { name, .. }) => name.clone(),
                        (None, _) => span.clone(),
                    });
                    aliases.push(alias.clone());
                    result.push(b);
                }
            }
        }
        // Window functions are not allowed in GROUP BY and HAVING.
        let wins = self.scopes.last_mut().and_then(|s| s.wins.take());
        let mut group_by = Vec::new();
        for g in &core.group_by {
            group_by.push(self.bind_result_ref(g, &result, &aliases, "GROUP BY")?);
        }
        let having = core.having.as_ref().map(|e| self.bind_result_ref(e, &result, &aliases, "HAVING")).transpose()?;
        if let Some(scope) = self.scopes.last_mut() {
            scope.wins = wins;
        }
        let mut keys = Vec::new();
        if let Some(terms) = order_by {
            for t in terms {
                let (inner, coll) = strip_collate(&t.expr)?;
                let expr = self.bind_result_ref(inner, &result, &aliases, "ORDER BY")?;
                let coll = coll.unwrap_or_else(|| expr_collation(&expr));
                keys.push(SortKey { expr, desc: t.desc, nulls_first: t.nulls_first.unwrap_or(!t.desc), coll });
            }
        }
        let aggs = self.scopes.last_mut().and_then(|s| s.aggs.take()).unwrap_or_default();
        let windows = self.scopes.last_mut().and_then(|s| s.wins.take()).unwrap_or_default();
        if let Some(i) = group_by.iter().chain(having.iter()).find_map(crate::window::first_placeholder) {
            let name = windows.get(i).map_or("", |w| w.name.as_str());
            return sql_err(format!("misuse of window function {name}()"));
        }
        result.iter_mut().for_each(|e| crate::window::place_slots(e, aggs.len()));
        keys.iter_mut().for_each(|k| crate::window::place_slots(&mut k.expr, aggs.len()));
        let aggregate = !aggs.is_empty() || !group_by.is_empty();
        if !aggregate && having.is_some() {
            return sql_err("a GROUP BY clause is required before HAVING");
        }
        // Each table is read through the access path WHERE and ON allow.
        let mut source = source;
        // An inner join of several sources is read in the order its plan
        // chooses, with the access paths that order allows.
        let mut where_ = where_;
        let flattened = self.scopes.last_mut().map(|s| std::mem::take(&mut s.flattened_where)).unwrap_or_default();
        for f in flattened {
            where_ = Some(match where_ {
                Some(w) => BExpr::Bin { op: BinaryOp::And, l: Box::new(w), r: Box::new(f), coll: Collation::Binary },
                None => f,
            });
        }
        if let Some(w) = where_.as_mut() {
            crate::rewrite::fold_constants(w);
        }
        crate::rewrite::push_down(self.schema, &mut source, where_.as_ref());
        let join = crate::join::plan(self.schema, &source, where_.as_ref());
        crate::access::assign(self.schema, &mut source, where_.as_ref(), join.is_some());
        let plan = CorePlan {
            source,
            where_,
            group_by,
            having,
            aggs,
            aggregate,
            windows,
            result,
            distinct: core.distinct,
            values: None,
            ordered: false,
            first_row: None,
            grouped: false,
            join,
        };
        let mut plan = plan;
        crate::access::mark_covering(&mut plan, &keys);
        Ok((plan, columns, affinities, keys))
    }

    /// Binds a GROUP BY / ORDER BY / HAVING term, where a number or an
    /// alias refers to a result column.
    fn bind_result_ref(&mut self, e: &Expr, result: &[BExpr], aliases: &[Option<String>], what: &str) -> Result<BExpr> {
        match e {
            Expr::Literal(Value::Integer(i)) if what != "HAVING" => {
                if *i >= 1 && (*i as usize) <= result.len() {
                    return Ok(result[*i as usize - 1].clone());
                }
                let n = if what == "GROUP BY" { "GROUP BY" } else { "ORDER BY" };
                sql_err(format!("1st {n} term out of range - should be between 1 and {}", result.len()))
            }
            Expr::Column { table: None, name } => {
                // A real column wins over an alias in SQLite only for WHERE;
                // for these clauses an alias match comes first.
                if let Some(i) = aliases.iter().position(|a| a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(name)))
                {
                    return Ok(result[i].clone());
                }
                self.bind_expr(e)
            }
            _ => self.bind_expr(e),
        }
    }

    fn bind_from(&mut self, f: &FromItem) -> Result<Source> {
        match f {
            FromItem::Table { schema: Some(db), name, alias, indexed } => {
                // A qualified name means a table or view of that database,
                // never a CTE; `temp.sqlite_schema` is the temporary one's.
                let db_key = lower(db);
                let temp = match db_key.as_str() {
                    "temp" => true,
                    "main" => false,
                    _ => return sql_err(format!("no such table: {db}.{name}")),
                };
                let key = lower(name);
                let target = match key.as_str() {
                    "sqlite_schema" | "sqlite_master" if temp => "sqlite_temp_schema",
                    _ => name.as_str(),
                };
                let in_db = match (self.schema.table(target), self.schema.views.get(&lower(target))) {
                    (Some(t), _) => crate::txn::is_temp(t.tree) == temp,
                    (None, Some(v)) => v.temp == temp,
                    (None, None) => false,
                };
                if !in_db {
                    return sql_err(format!("no such table: {db}.{name}"));
                }
                let alias = alias.clone().or_else(|| (target != name.as_str()).then(|| name.clone()));
                // Bound with the CTEs out of sight, so the name reaches the schema.
                let ctes = std::mem::take(&mut self.ctes);
                let item = FromItem::Table { schema: None, name: target.to_string(), alias, indexed: indexed.clone() };
                let bound = self.bind_from(&item);
                self.ctes = ctes;
                bound
            }
            FromItem::Table { name, alias, .. } => {
                let key = lower(name);
                let scope_name = lower(alias.as_deref().unwrap_or(name));
                if let Some((_, cte)) = self.ctes.iter().rev().find(|(n, _)| *n == key).cloned() {
                    if let Some(src) = self.recursive_reference(&key, name, &scope_name)? {
                        return Ok(src);
                    }
                    if self.binding_ctes.contains(&key) {
                        return sql_err(format!("circular reference: {name}"));
                    }
                    if recursive::mentions(&cte.query, &key) {
                        return self.bind_recursive_cte(&cte, key, scope_name);
                    }
                    self.binding_ctes.push(key.clone());
                    let plan = self.bind_select(&cte.query);
                    self.binding_ctes.pop();
                    let plan = plan?;
                    // As the recursive case (bind/recursive.rs) and SQLite: a column list must fit.
                    if !cte.columns.is_empty() && cte.columns.len() != plan.columns.len() {
                        let (name, width, n) = (&cte.name, plan.columns.len(), cte.columns.len());
                        return sql_err(format!("table {name} has {width} values for {n} columns"));
                    }
                    let names = if cte.columns.is_empty() { plan.columns.to_vec() } else { cte.columns.clone() };
                    return self.add_query_source(plan, names, scope_name);
                }
                if let Some(t) = self.schema.table(name) {
                    let alias = alias.clone().filter(|a| !a.eq_ignore_ascii_case(&t.name));
                    self.push_table(scope_name, table_scope_cols(t))?;
                    let access = crate::access::Access::Scan;
                    return Ok(Source::Table(Box::new(crate::plan::TableSource {
                        table: std::sync::Arc::new(t.clone()),
                        alias,
                        access,
                    })));
                }
                if let Some(v) = self.schema.views.get(&key).cloned() {
                    // A view's missing tables are named in its schema, as SQLite does.
                    let plan = self.bind_select(&v.query).map_err(|e| match e {
                        Error::Sql(m) if m.starts_with("no such table: ") && !m.contains('.') => {
                            Error::Sql(m.replacen("no such table: ", "no such table: main.", 1))
                        }
                        e => e,
                    })?;
                    let names = if v.columns.is_empty() { plan.columns.to_vec() } else { v.columns.clone() };
                    return self.add_query_source(plan, names, scope_name);
                }
                sql_err(format!("no such table: {name}"))
            }
            FromItem::Subquery { query, alias } => {
                let plan = self.bind_select(query)?;
                let names = plan.columns.to_vec();
                let name = alias.as_deref().map(lower).unwrap_or_default();
                self.add_query_source(plan, names, name)
            }
            FromItem::Function { name, args, alias } => {
                let lname = lower(name);
                let (tree, blob) = match lname.as_str() {
                    "json_each" => (false, false),
                    "json_tree" => (true, false),
                    "jsonb_each" => (false, true),
                    "jsonb_tree" => (true, true),
                    _ => return sql_err(format!("no such table: {name}")),
                };
                // Arguments see the sources to the left (correlated use).
                let args = args.iter().map(|a| self.bind_expr(a)).collect::<Result<Vec<_>>>()?;
                let cols = crate::func::json::each::COLUMNS
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ScopeCol {
                        name: c.to_string(),
                        aff: None,
                        coll: Collation::Binary,
                        rowid: false,
                        merged: false,
                        hidden: i >= crate::func::json::each::VISIBLE,
                        json_value: *c == "value" && !blob,
                        using: None,
                        slot: None,
                    })
                    .collect();
                self.push_table(lower(alias.as_deref().unwrap_or(name)), cols)?;
                Ok(Source::JsonEach { tree, blob, args })
            }
            FromItem::Join { left, right, kind, natural, on, using } => {
                let left_src = self.bind_from(left)?;
                let left_width = self.scope_width();
                let left_tables = self.scopes.last().map_or(0, |s| s.tables.len());
                let right_src = self.bind_from(right)?;
                let right_width = self.scope_width() - left_width;
                let mut conds = Vec::new();
                let mut using_cols: Vec<String> = using.clone();
                if *natural {
                    let scope = self.scopes.last().map(|s| s.tables.clone()).unwrap_or_default();
                    let (l, r) = scope.split_at(left_tables);
                    // Hidden columns (a WITHOUT ROWID table's engine rowid
                    // among them) never join.
                    for rc in r.iter().flat_map(|t| t.cols.iter().filter(|c| !c.rowid && !c.hidden)) {
                        if l.iter().any(|t| {
                            t.cols.iter().any(|c| !c.rowid && !c.hidden && c.name.eq_ignore_ascii_case(&rc.name))
                        }) {
                            using_cols.push(rc.name.clone());
                        }
                    }
                }
                for col in &using_cols {
                    let scope = self.scopes.last().map(|s| s.tables.clone()).unwrap_or_default();
                    let (l, r) = scope.split_at(left_tables);
                    // (slot, affinity, collation, a USING copy) of each match.
                    let matches = |ts: &[crate::bind::ScopeTable]| -> Vec<(usize, Option<Affinity>, Collation, bool)> {
                        ts.iter()
                            .filter_map(|t| {
                                t.cols
                                    .iter()
                                    .position(|c| !c.rowid && c.name.eq_ignore_ascii_case(col))
                                    .map(|i| (t.slot(i), t.cols[i].aff, t.cols[i].coll, t.cols[i].using.is_some()))
                            })
                            .collect()
                    };
                    let lefts = matches(l);
                    let (Some(li), Some(ri)) = (lefts.first().copied(), matches(r).first().copied()) else {
                        return sql_err(format!("cannot join using column {col} - column not present in both tables"));
                    };
                    let mut left_expr = BExpr::Col { depth: 0, idx: li.0, aff: li.1, coll: li.2 };
                    // Next to a RIGHT or FULL join SQLite compares the
                    // coalesce of every left table's column, each after the
                    // first being itself a USING column; otherwise the
                    // leftmost table's.
                    if self.right_join_in_from && lefts.len() > 1 {
                        if lefts.iter().skip(1).any(|m| !m.3) {
                            return sql_err(format!("ambiguous reference to {col} in USING()"));
                        }
                        let args =
                            lefts.iter().map(|m| BExpr::Col { depth: 0, idx: m.0, aff: m.1, coll: m.2 }).collect();
                        left_expr = BExpr::Func { name: "coalesce".into(), args };
                    }
                    if let Some(scope) = self.scopes.last_mut() {
                        for t in scope.tables.iter_mut().skip(left_tables) {
                            let (offset, flat) = (t.offset, t.width.is_some());
                            for (i, c) in t.cols.iter_mut().enumerate() {
                                let slot = offset + if flat { c.slot.unwrap_or(i) } else { i };
                                if slot == ri.0 {
                                    c.merged = true;
                                    c.using = Some(*kind);
                                }
                            }
                        }
                    }
                    conds.push(BExpr::Bin {
                        op: BinaryOp::Eq,
                        l: Box::new(left_expr),
                        r: Box::new(BExpr::Col { depth: 0, idx: ri.0, aff: ri.1, coll: ri.2 }),
                        coll: li.2,
                    });
                }
                if let Some(e) = on {
                    conds.push(self.bind_expr(e)?);
                }
                let on = conds.into_iter().reduce(|a, b| BExpr::Bin {
                    op: BinaryOp::And,
                    l: Box::new(a),
                    r: Box::new(b),
                    coll: Collation::Binary,
                });
                Ok(Source::Join {
                    left: Box::new(left_src),
                    right: Box::new(right_src),
                    kind: *kind,
                    on,
                    left_width,
                    right_width,
                })
            }
        }
    }

    fn add_query_source(&mut self, plan: QueryPlan, names: Vec<String>, scope_name: String) -> Result<Source> {
        if !self.outer_join_in_from
            && let Some(flat) = flattenable(&plan)
        {
            return self.add_flattened(plan, flat, names, scope_name);
        }
        // A subquery's column keeps the collation of its expression in the
        // leftmost SELECT, as a view's or CTE's does in SQLite.
        let colls = plan.first.result.iter().map(expr_collation);
        let cols = names
            .iter()
            .zip(plan.affinities.iter().chain(std::iter::repeat(&None)))
            .zip(colls.chain(std::iter::repeat(Collation::Binary)))
            .map(|((n, a), c)| ScopeCol::plain(n, *a, c))
            .collect();
        self.push_table(scope_name, cols)?;
        Ok(Source::Query(Box::new(plan)))
    }

    /// A subquery `SELECT <columns> FROM t [WHERE ...]` read as `t` itself:
    /// its result names are slots of `t`'s row, its WHERE joins the
    /// enclosing query's, so `t` gets that query's access paths and join
    /// order.
    fn add_flattened(
        &mut self,
        plan: QueryPlan,
        slots: Vec<usize>,
        names: Vec<String>,
        scope_name: String,
    ) -> Result<Source> {
        let Source::Table(mut ts) = plan.first.source else { return sql_err("internal error: flattening") };
        let cols = names
            .iter()
            .zip(&slots)
            .zip(plan.first.result.iter())
            .map(|((n, &slot), e)| ScopeCol {
                slot: Some(slot),
                ..ScopeCol::plain(n, expr_affinity(e), expr_collation(e))
            })
            .collect();
        let offset = self.scope_width();
        let width = ts.table.columns.len() + 1;
        let Some(scope) = self.scopes.last_mut() else {
            return sql_err("internal error: no scope");
        };
        scope.tables.push(ScopeTable { name: scope_name, cols, offset, width: Some(width) });
        if let Some(mut w) = plan.first.where_ {
            shift_columns(&mut w, offset);
            scope.flattened_where.push(w);
        }
        ts.access = crate::access::Access::Scan;
        Ok(Source::Table(ts))
    }

    fn scope_width(&self) -> usize {
        self.scopes.last().map_or(0, |s| s.tables.iter().map(ScopeTable::width).sum())
    }

    fn push_table(&mut self, name: String, cols: Vec<ScopeCol>) -> Result<()> {
        let offset = self.scope_width();
        let Some(scope) = self.scopes.last_mut() else {
            return sql_err("internal error: no scope");
        };
        scope.tables.push(ScopeTable { name, cols, offset, width: None });
        Ok(())
    }

    fn resolve_column(&self, table: Option<&str>, name: &str) -> Result<BExpr> {
        let table_l = table.map(lower);
        for (depth, scope) in self.scopes.iter().rev().enumerate() {
            let mut found: Option<BExpr> = None;
            // Whether `found` is a coalesce this loop built for FULL joins.
            let mut full_join_chain = false;
            for t in &scope.tables {
                if table_l.as_ref().is_some_and(|tl| *tl != t.name) {
                    continue;
                }
                let hit = t
                    .cols
                    .iter()
                    .position(|c| {
                        !c.rowid
                            && (table.is_some() || !c.merged || c.using.is_some())
                            && c.name.eq_ignore_ascii_case(name)
                    })
                    .or_else(|| {
                        if is_rowid_name(name) {
                            t.cols.iter().position(|c| c.rowid && (table.is_some() || !c.merged))
                        } else {
                            None
                        }
                    });
                if let Some(i) = hit {
                    let c = &t.cols[i];
                    let col = BExpr::Col { depth, idx: t.slot(i), aff: c.aff, coll: c.coll };
                    let col = if c.json_value { json_each_value(col, depth, t.slot(i) + 1) } else { col };
                    // A later USING copy of an unqualified name: SQLite keeps
                    // the left column for inner and left joins, takes the
                    // right one for a right join and the coalesce of both
                    // for a full join.
                    match (found.as_mut(), c.using.filter(|_| table.is_none())) {
                        (None, _) => found = Some(col),
                        (Some(_), None) => return sql_err(format!("ambiguous column name: {name}")),
                        (Some(f), Some(JoinKind::Right)) => {
                            *f = col;
                            full_join_chain = false;
                        }
                        (Some(f), Some(JoinKind::Full)) => {
                            let mut args = match std::mem::replace(f, BExpr::Lit(Value::Null)) {
                                BExpr::Func { name, args } if name == "coalesce" && full_join_chain => args,
                                other => vec![other],
                            };
                            args.push(col);
                            *f = BExpr::Func { name: "coalesce".into(), args };
                            full_join_chain = true;
                        }
                        (Some(_), Some(_)) => {}
                    }
                }
            }
            if let Some(f) = found {
                return Ok(f);
            }
        }
        match table {
            Some(t) => sql_err(format!("no such column: {t}.{name}")),
            None => sql_err(format!("no such column: {name}")),
        }
    }

    /// Binds an expression in the current scopes.
    pub fn bind_expr(&mut self, e: &Expr) -> Result<BExpr> {
        crate::stack::grow(|| self.bind_expr_node(e))
    }

    fn bind_expr_node(&mut self, e: &Expr) -> Result<BExpr> {
        let b = |s: &mut Self, e: &Expr| -> Result<Box<BExpr>> { s.bind_expr(e).map(Box::new) };
        Ok(match e {
            Expr::Literal(v) => BExpr::Lit(v.clone()),
            Expr::Param(ast::Param::Index(i)) => {
                self.param_count = self.param_count.max(*i);
                BExpr::Param(i.saturating_sub(1))
            }
            Expr::Param(ast::Param::Named(n, number)) => {
                let number = match self.named_params.iter().find(|(x, _)| x == n) {
                    Some((_, i)) => *i,
                    None => {
                        // The parser numbers every name; 0 only if it could not.
                        let i = if *number > 0 { *number } else { self.param_count + 1 };
                        self.named_params.push((n.clone(), i));
                        i
                    }
                };
                self.param_count = self.param_count.max(number);
                BExpr::Param(number - 1)
            }
            Expr::Column { table, name } => self.resolve_column(table.as_deref(), name)?,
            Expr::Binary { op, left, right } => {
                let l = b(self, left)?;
                let r = b(self, right)?;
                let coll = binary_collation(&l, &r);
                BExpr::Bin { op: *op, l, r, coll }
            }
            Expr::Unary { op, expr } => BExpr::Unary { op: *op, e: b(self, expr)? },
            Expr::Like { op, negated, expr, pattern, escape } => BExpr::Like {
                op: *op,
                negated: *negated,
                e: b(self, expr)?,
                pat: b(self, pattern)?,
                esc: escape.as_ref().map(|x| b(self, x)).transpose()?,
            },
            Expr::IsNull { expr, negated } => BExpr::IsNull { e: b(self, expr)?, negated: *negated },
            Expr::Between { expr, negated, low, high } => {
                // SQLite reads it as `e >= lo AND e <= hi`, each with the
                // comparison's own collation.
                let e = b(self, expr)?;
                let (lo, hi) = (b(self, low)?, b(self, high)?);
                let coll = binary_collation(&e, &lo);
                let coll_hi = binary_collation(&e, &hi);
                BExpr::Between { e, lo, hi, negated: *negated, coll, coll_hi }
            }
            Expr::InList { expr, list, negated } => {
                let e = b(self, expr)?;
                let coll = expr_collation(&e);
                let list = list.iter().map(|x| self.bind_expr(x)).collect::<Result<_>>()?;
                BExpr::InList { e, list, negated: *negated, coll }
            }
            Expr::InSelect { expr, query, negated } => {
                let e = b(self, expr)?;
                let coll = expr_collation(&e);
                let plan = self.bind_subquery(query)?;
                let want = if let BExpr::Row(items) = &*e { items.len() } else { 1 };
                if plan.columns.len() != want {
                    return sql_err(format!("sub-select returns {} columns - expected {want}", plan.columns.len()));
                }
                BExpr::InSelect { e, plan: Box::new(plan), negated: *negated, coll }
            }
            Expr::Exists { query, negated } => {
                BExpr::Exists { plan: Box::new(self.bind_subquery(query)?), negated: *negated }
            }
            Expr::Subquery(q) => {
                let plan = self.bind_subquery(q)?;
                if plan.columns.len() != 1 {
                    return sql_err(format!("sub-select returns {} columns - expected 1", plan.columns.len()));
                }
                BExpr::Subquery(Box::new(plan), 0)
            }
            Expr::RowSubquery { query, column, width } => {
                let plan = self.bind_subquery(query)?;
                if plan.columns.len() != *width {
                    return sql_err(format!("{width} columns assigned {} values", plan.columns.len()));
                }
                BExpr::Subquery(Box::new(plan), *column)
            }
            Expr::Case { operand, whens, else_ } => {
                let operand = operand.as_ref().map(|x| b(self, x)).transpose()?;
                let coll = operand.as_deref().map_or(Collation::Binary, expr_collation);
                let mut ws = Vec::new();
                for (w, t) in whens {
                    ws.push((self.bind_expr(w)?, self.bind_expr(t)?));
                }
                BExpr::Case { operand, whens: ws, else_: else_.as_ref().map(|x| b(self, x)).transpose()?, coll }
            }
            Expr::Cast { expr, type_name } => {
                BExpr::Cast { e: b(self, expr)?, aff: Affinity::from_declared_type(type_name) }
            }
            Expr::Collate { expr, collation } => {
                BExpr::Collate { e: b(self, expr)?, coll: collation_by_name(collation)? }
            }
            Expr::Function { name, args, star, distinct, filter, over, .. } => {
                if let Some(spec) = over {
                    return self.bind_window(name, args, *star, *distinct, filter.as_deref(), spec);
                }
                if crate::window::is_window_only(name) {
                    return sql_err(format!("misuse of window function {}()", name.to_ascii_lowercase()));
                }
                if is_aggregate(name, args.len(), *star) {
                    return self.bind_aggregate(name, args, *star, *distinct, filter.as_deref());
                }
                if *distinct || *star {
                    return sql_err("DISTINCT aggregates must have exactly one argument");
                }
                let args = args.iter().map(|x| self.bind_expr(x)).collect::<Result<_>>()?;
                BExpr::Func { name: name.to_ascii_lowercase(), args }
            }
            Expr::Row(items) => BExpr::Row(items.iter().map(|x| self.bind_expr(x)).collect::<Result<_>>()?),
            Expr::Raise { action, message } => {
                if !self.raise_ok {
                    return sql_err("RAISE() may only be used within a trigger-program");
                }
                let action = match action.to_ascii_lowercase().as_str() {
                    "ignore" => RaiseAction::Ignore,
                    "rollback" => RaiseAction::Rollback,
                    "fail" => RaiseAction::Fail,
                    _ => RaiseAction::Abort,
                };
                let message = message.as_ref().map(|m| self.bind_expr(m).map(Box::new)).transpose()?;
                BExpr::Raise { action, message }
            }
        })
    }

    fn bind_aggregate(
        &mut self,
        name: &str,
        args: &[Expr],
        star: bool,
        distinct: bool,
        filter: Option<&Expr>,
    ) -> Result<BExpr> {
        let misuse = || Error::Sql(format!("misuse of aggregate function {}()", name.to_ascii_lowercase()));
        let Some(scope) = self.scopes.last_mut() else { return Err(misuse()) };
        let Some(collected) = scope.aggs.take() else { return Err(misuse()) };
        let wins = scope.wins.take();
        // Arguments are bound with aggregates and windows disallowed: no nesting.
        let bound: Result<Vec<BExpr>> = args.iter().map(|a| self.bind_expr(a)).collect();
        let filter = filter.map(|f| self.bind_expr(f)).transpose();
        let Some(scope) = self.scopes.last_mut() else { return Err(misuse()) };
        scope.aggs = Some(collected);
        scope.wins = wins;
        let (args, filter) = (bound?, filter?);
        let lname = name.to_ascii_lowercase();
        let arity_ok = match lname.as_str() {
            "count" => star || args.len() <= 1,
            "group_concat" => (1..=2).contains(&args.len()),
            "string_agg" | "json_group_object" | "jsonb_group_object" => args.len() == 2,
            _ => args.len() == 1,
        };
        if !arity_ok {
            return sql_err(format!("wrong number of arguments to function {lname}()"));
        }
        if distinct && args.len() != 1 {
            return sql_err("DISTINCT aggregates must have exactly one argument");
        }
        let aggs = scope.aggs.get_or_insert_with(Vec::new);
        let json_agg = lname.starts_with("json_group");
        aggs.push(AggCall { name: lname, args, star, distinct, filter });
        let agg = BExpr::Agg(aggs.len() - 1);
        // The JSON aggregates return JSON-subtyped text; json() of it is the
        // same text and lets the executor see the subtype (see func::json).
        Ok(if json_agg { BExpr::Func { name: "json".into(), args: vec![agg] } } else { agg })
    }

    /// Binds a window call `name(args) [FILTER (..)] OVER spec` at the current
    /// level and returns its placeholder.
    fn bind_window(
        &mut self,
        name: &str,
        args: &[Expr],
        star: bool,
        distinct: bool,
        filter: Option<&Expr>,
        spec: &ast::WindowSpec,
    ) -> Result<BExpr> {
        let lname = name.to_ascii_lowercase();
        let misuse = || Error::Sql(format!("misuse of window function {lname}()"));
        let Some(scope) = self.scopes.last_mut() else { return Err(misuse()) };
        // Taken while the parts are bound: a window call inside is a misuse.
        let Some(collected) = scope.wins.take() else { return Err(misuse()) };
        let call = self.bind_window_parts(&lname, args, star, distinct, filter, spec);
        let Some(scope) = self.scopes.last_mut() else { return Err(misuse()) };
        let wins = scope.wins.insert(collected);
        wins.push(call?);
        Ok(BExpr::Win(wins.len() - 1))
    }

    fn bind_window_parts(
        &mut self,
        lname: &str,
        args: &[Expr],
        star: bool,
        distinct: bool,
        filter: Option<&Expr>,
        spec: &ast::WindowSpec,
    ) -> Result<WindowCall> {
        crate::window::check_call(lname, args.len(), star, distinct, filter.is_some())?;
        let named = self.scopes.last().map(|s| s.named_windows.clone()).unwrap_or_default();
        let spec = crate::window::resolve_spec(spec, spec.bare, &named)?;
        let args = args.iter().map(|a| self.bind_expr(a)).collect::<Result<Vec<_>>>()?;
        let filter = filter.map(|f| self.bind_expr(f)).transpose()?;
        let mut partition = Vec::new();
        for e in &spec.partition_by {
            let expr = self.bind_expr(e)?;
            let coll = expr_collation(&expr);
            partition.push(SortKey { expr, desc: false, nulls_first: true, coll });
        }
        let mut order = Vec::new();
        for t in &spec.order_by {
            let expr = self.bind_expr(&t.expr)?;
            let coll = expr_collation(&expr);
            order.push(SortKey { expr, desc: t.desc, nulls_first: t.nulls_first.unwrap_or(!t.desc), coll });
        }
        let frame = match &spec.frame {
            None => Frame {
                units: ast::FrameUnits::Range,
                start: Bound::UnboundedPreceding,
                end: Bound::CurrentRow,
                exclude: ast::FrameExclude::NoOthers,
                from_scratch: false,
            },
            Some(f) => {
                crate::window::check_frame(f, order.len())?;
                let kind = if f.units == ast::FrameUnits::Range { "number" } else { "integer" };
                let mut bound = |b: &ast::FrameBound, which: &str| -> Result<Bound> {
                    Ok(match b {
                        ast::FrameBound::UnboundedPreceding => Bound::UnboundedPreceding,
                        ast::FrameBound::CurrentRow => Bound::CurrentRow,
                        ast::FrameBound::UnboundedFollowing => Bound::UnboundedFollowing,
                        ast::FrameBound::Preceding(e) | ast::FrameBound::Following(e) => {
                            if !crate::window::is_constant(e) {
                                return sql_err(format!("frame {which} offset must be a non-negative {kind}"));
                            }
                            let x = self.bind_expr(e)?;
                            if matches!(b, ast::FrameBound::Preceding(_)) {
                                Bound::Preceding(x)
                            } else {
                                Bound::Following(x)
                            }
                        }
                    })
                };
                let start = bound(&f.start, "starting")?;
                let end = bound(&f.end, "ending")?;
                Frame { units: f.units, start, end, exclude: f.exclude, from_scratch: f.exclude_written }
            }
        };
        Ok(WindowCall { name: lname.to_string(), args, star, filter, partition, order, frame })
    }

    /// Binds expressions over one table's row (columns, then the rowid),
    /// as for CHECK constraints, UPDATE assignments and DELETE conditions.
    pub fn bind_table_exprs(&mut self, table: &crate::schema::Table, exprs: &[Expr]) -> Result<Vec<BExpr>> {
        let cols = table_scope_cols(table);
        self.scopes.push(Scope {
            tables: vec![ScopeTable { name: lower(&table.name), cols, offset: 0, width: None }],
            ..Scope::default()
        });
        let r = exprs.iter().map(|e| self.bind_expr(e)).collect();
        self.scopes.pop();
        r
    }

    /// Binds each column's DEFAULT (no columns are visible to it).
    pub fn bind_defaults(&mut self, table: &crate::schema::Table) -> Result<Vec<Option<BExpr>>> {
        self.scopes.push(Scope::default());
        let r = table.columns.iter().map(|c| c.default.as_ref().map(|d| self.bind_expr(d)).transpose()).collect();
        self.scopes.pop();
        r
    }

    /// Makes `tables` visible to everything bound from now on, as the rows
    /// of an enclosing query would be (a trigger program's `new` and
    /// `old`), and allows `RAISE()` when `trigger` is set.
    pub fn push_frame(&mut self, tables: &[RowTable], trigger: bool) {
        self.scopes.insert(0, row_scope(tables));
        self.raise_ok |= trigger;
    }

    /// Makes the statement's `WITH` tables visible.
    pub fn push_ctes(&mut self, ctes: &[ast::Cte]) {
        for cte in ctes {
            self.ctes.push((lower(&cte.name), cte.clone()));
        }
    }

    /// Binds expressions over a row made of `tables` laid out in order.
    pub fn bind_over(&mut self, tables: &[RowTable], exprs: &[Expr]) -> Result<Vec<BExpr>> {
        self.scopes.push(row_scope(tables));
        let r = exprs.iter().map(|e| self.bind_expr(e)).collect();
        self.scopes.pop();
        r
    }

    /// Binds a RETURNING list over a row made of `tables`: result column
    /// names and expressions (`*` is every column of the first table).
    pub fn bind_returning(&mut self, tables: &[RowTable], items: &[ResultColumn]) -> Result<(Vec<String>, Vec<BExpr>)> {
        self.scopes.push(row_scope(tables));
        let r = self.bind_returning_items(tables, items);
        self.scopes.pop();
        r
    }

    fn bind_returning_items(
        &mut self,
        tables: &[RowTable],
        items: &[ResultColumn],
    ) -> Result<(Vec<String>, Vec<BExpr>)> {
        let mut names = Vec::new();
        let mut exprs = Vec::new();
        for rc in items {
            match rc {
                ResultColumn::Star | ResultColumn::TableStar(_) => {
                    let Some(t) = tables.first() else { return sql_err("no tables specified") };
                    if let ResultColumn::TableStar(w) = rc
                        && lower(w) != t.name
                    {
                        return sql_err(format!("no such table: {w}"));
                    }
                    for (i, (name, aff, coll)) in t.cols.iter().enumerate() {
                        names.push(name.clone());
                        exprs.push(BExpr::Col { depth: 0, idx: i, aff: *aff, coll: *coll });
                    }
                }
                ResultColumn::Expr { expr, alias, span } => {
                    if contains_aggregate(expr) {
                        return sql_err("aggregate functions are not allowed in RETURNING");
                    }
                    exprs.push(self.bind_expr(expr)?);
                    names.push(match (alias, expr) {
                        (Some(a), _) => a.clone(),
                        (None, Expr::Column { name, .. }) => name.clone(),
                        (None, _) => span.clone(),
                    });
                }
            }
        }
        Ok((names, exprs))
    }

    fn bind_subquery(&mut self, q: &ast::Select) -> Result<QueryPlan> {
        // Aggregates inside the subquery belong to it, not to this level.
        self.bind_select(q)
    }
}

/// Whether a FROM clause has a RIGHT or FULL join anywhere (not counting
/// subqueries, which have FROM clauses of their own).
/// The table slot of each result column when `plan` is a subquery that
/// can be read as its table: one plain SELECT of columns from one table,
/// with a WHERE that reads no other query and holds no subquery.
fn flattenable(plan: &QueryPlan) -> Option<Vec<usize>> {
    let core = &plan.first;
    if !plan.compound.is_empty()
        || plan.limit.is_some()
        || plan.offset.is_some()
        || !plan.order_by.is_empty()
        || core.aggregate
        || core.distinct
        || !core.windows.is_empty()
        || core.values.is_some()
        || core.having.is_some()
    {
        return None;
    }
    let Source::Table(t) = &core.source else { return None };
    if let Some(w) = &core.where_
        && (crate::exec::columns_read(w).is_none() || w.reads_outer())
    {
        return None;
    }
    core.result
        .iter()
        .map(|e| match e {
            BExpr::Col { depth: 0, idx, .. } if *idx <= t.table.columns.len() => Some(*idx),
            _ => None,
        })
        .collect()
}

/// Moves the slots `e` reads at this level `by` to the right.
fn shift_columns(e: &mut BExpr, by: usize) {
    if let BExpr::Col { depth: 0, idx, .. } = e {
        *idx += by;
        return;
    }
    e.for_each_child_mut(&mut |c| shift_columns(c, by));
}

fn has_outer_join(f: &FromItem) -> bool {
    match f {
        FromItem::Join { left, right, kind, .. } => {
            !matches!(kind, JoinKind::Inner | JoinKind::Cross) || has_outer_join(left) || has_outer_join(right)
        }
        _ => false,
    }
}

fn has_right_join(f: &FromItem) -> bool {
    match f {
        FromItem::Join { left, right, kind, .. } => {
            matches!(kind, JoinKind::Right | JoinKind::Full) || has_right_join(left) || has_right_join(right)
        }
        _ => false,
    }
}

/// Whether `e` calls an aggregate function outside any subquery.
fn contains_aggregate(e: &Expr) -> bool {
    match e {
        Expr::Function { name, args, star, over: None, .. } => {
            is_aggregate(name, args.len(), *star) || args.iter().any(contains_aggregate)
        }
        Expr::Function { args, .. } => args.iter().any(contains_aggregate),
        Expr::Binary { left, right, .. } => contains_aggregate(left) || contains_aggregate(right),
        Expr::Unary { expr, .. } | Expr::Cast { expr, .. } | Expr::Collate { expr, .. } => contains_aggregate(expr),
        Expr::IsNull { expr, .. } => contains_aggregate(expr),
        _ => false,
    }
}

/// The `value` column of `json_each` / `json_tree` as an expression that
/// keeps SQLite's JSON subtype for arrays and objects: `CASE WHEN type IN
/// ('array', 'object') THEN json(value) ELSE value END` (json() of the
/// container text is the same text, with the subtype).
fn json_each_value(col: BExpr, depth: usize, type_idx: usize) -> BExpr {
    let ty = BExpr::Col { depth, idx: type_idx, aff: None, coll: Collation::Binary };
    let is_container = BExpr::InList {
        e: Box::new(ty),
        list: vec![BExpr::Lit(Value::Text("array".into())), BExpr::Lit(Value::Text("object".into()))],
        negated: false,
        coll: Collation::Binary,
    };
    BExpr::Case {
        operand: None,
        whens: vec![(is_container, BExpr::Func { name: "json".into(), args: vec![col.clone()] })],
        else_: Some(Box::new(col)),
        coll: Collation::Binary,
    }
}

/// A table's columns as a scope sees them: its columns, then the hidden rowid.
fn table_scope_cols(table: &crate::schema::Table) -> Vec<ScopeCol> {
    let mut cols: Vec<ScopeCol> =
        table.columns.iter().map(|c| ScopeCol::plain(&c.name, Some(c.affinity), c.collation)).collect();
    // A WITHOUT ROWID table's row still ends with the engine's rowid slot,
    // under a name no SQL can write.
    let visible = table.without_rowid.is_none();
    cols.push(ScopeCol {
        name: if visible { "rowid".into() } else { "\u{0}rowid".into() },
        aff: Some(Affinity::Integer),
        coll: Collation::Binary,
        rowid: visible,
        merged: !visible,
        hidden: !visible,
        json_value: false,
        using: None,
        slot: None,
    });
    cols
}

fn strip_collate(e: &Expr) -> Result<(&Expr, Option<Collation>)> {
    match e {
        Expr::Collate { expr, collation } => Ok((expr, Some(collation_by_name(collation)?))),
        _ => Ok((e, None)),
    }
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, x) if x != 11 => "st",
        (2, x) if x != 12 => "nd",
        (3, x) if x != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The affinity of an expression: a column's, a CAST's, else none.
pub fn expr_affinity(e: &BExpr) -> Option<Affinity> {
    match e {
        BExpr::Col { aff, .. } => *aff,
        BExpr::Cast { aff, .. } => Some(*aff),
        BExpr::Collate { e, .. } => expr_affinity(e),
        BExpr::Subquery(p, column) => p.affinities.get(*column).copied().flatten(),
        _ => None,
    }
}

/// The collation an expression carries: explicit COLLATE, else a column's.
pub fn expr_collation(e: &BExpr) -> Collation {
    explicit_collation(e).or_else(|| column_collation(e)).unwrap_or(Collation::Binary)
}

/// The collations a compound compares its result columns under (for
/// UNION, INTERSECT and EXCEPT, and for its ORDER BY terms): per column,
/// the collation the leftmost SELECT's expression defines, else the next
/// SELECT's, and so on, else BINARY (SQLite's `multiSelectCollSeq`).
pub fn compound_collations(plan: &QueryPlan) -> Vec<Collation> {
    collations_of(&[plan])
}

/// [`compound_collations`] of the SELECTs of `plans` taken in turn (a
/// recursive CTE's initial SELECTs, then its recursive ones).
pub(crate) fn collations_of(plans: &[&QueryPlan]) -> Vec<Collation> {
    let width = plans.first().map_or(0, |p| p.columns.len());
    let cores = plans.iter().flat_map(|p| std::iter::once(&p.first).chain(p.compound.iter().map(|(_, c)| c)));
    let exprs: Vec<&[BExpr]> = cores
        .map(|c| match &c.values {
            Some(rows) => rows.first().map_or(&[][..], |r| r.as_slice()),
            None => c.result.as_slice(),
        })
        .collect();
    (0..width)
        .map(|i| exprs.iter().find_map(|r| r.get(i).and_then(defined_collation)).unwrap_or(Collation::Binary))
        .collect()
}

/// The collation `e` defines, if any: an explicit COLLATE, else a
/// column's (what a function that compares its arguments looks for).
pub fn defined_collation(e: &BExpr) -> Option<Collation> {
    explicit_collation(e).or_else(|| column_collation(e))
}

/// The first explicit COLLATE found in `e`, searching operands left to
/// right (SQLite lets an explicit collation rise through every operator and
/// function argument, but not out of a subquery).
fn explicit_collation(e: &BExpr) -> Option<Collation> {
    let first = |xs: &[BExpr]| xs.iter().find_map(explicit_collation);
    match e {
        BExpr::Collate { coll, .. } => Some(*coll),
        BExpr::Bin { l, r, .. } => explicit_collation(l).or_else(|| explicit_collation(r)),
        BExpr::Unary { e, .. } | BExpr::Cast { e, .. } | BExpr::IsNull { e, .. } => explicit_collation(e),
        BExpr::Like { e, pat, esc, .. } => explicit_collation(e)
            .or_else(|| explicit_collation(pat))
            .or_else(|| esc.as_deref().and_then(explicit_collation)),
        BExpr::Between { e, lo, hi, .. } => {
            explicit_collation(e).or_else(|| explicit_collation(lo)).or_else(|| explicit_collation(hi))
        }
        BExpr::InList { e, list, .. } => explicit_collation(e).or_else(|| first(list)),
        BExpr::InSelect { e, .. } => explicit_collation(e),
        BExpr::Case { operand, whens, else_, .. } => operand
            .as_deref()
            .and_then(explicit_collation)
            .or_else(|| whens.iter().find_map(|(w, t)| explicit_collation(w).or_else(|| explicit_collation(t))))
            .or_else(|| else_.as_deref().and_then(explicit_collation)),
        BExpr::Func { args, .. } | BExpr::Row(args) => first(args),
        _ => None,
    }
}

/// A column's collation, seen through CAST and unary `+`.
fn column_collation(e: &BExpr) -> Option<Collation> {
    match e {
        BExpr::Col { coll, .. } => Some(*coll),
        BExpr::Cast { e, .. } | BExpr::Unary { op: ast::UnaryOp::Plus, e } => column_collation(e),
        _ => None,
    }
}

/// SQLite's rule: an explicit COLLATE on the left, then on the right, then
/// a column's collation on the left, then on the right.
fn binary_collation(l: &BExpr, r: &BExpr) -> Collation {
    explicit_collation(l)
        .or_else(|| explicit_collation(r))
        .or_else(|| column_collation(l))
        .or_else(|| column_collation(r))
        .unwrap_or(Collation::Binary)
}
