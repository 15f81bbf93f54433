//! `EXPLAIN QUERY PLAN`: the plan a statement would run, as SQLite shows
//! it, one line per step with `id`, `parent`, `notused` and `detail`.
//!
//! The details use SQLite's wording (`SCAN t`, `SEARCH t USING INDEX i
//! (a=? AND b>?)`, `SEARCH t USING INTEGER PRIMARY KEY (rowid=?)`, `USE TEMP
//! B-TREE FOR ORDER BY`, `SCALAR SUBQUERY 1`, `COMPOUND QUERY`, ...). A table
//! named through an alias shows as `users AS u`, as in the product guide.
//! Ids count from 1 in the order lines are made; SQLite's ids are
//! addresses in its bytecode, so only the tree (parent links) and the
//! details are comparable.
//!
//! What it describes is what DoSQL runs: tables of an inner join are
//! listed in the order its plan reads them (a table joined through a hash
//! table shows as `SEARCH t USING HASH INDEX (x=?)`), those of outer joins
//! in FROM order.

use crate::access::Access;
use crate::ast::{CompoundOp, Statement};
use crate::error::Result;
use crate::exec::Reader;
use crate::plan::{BExpr, CorePlan, QueryPlan, Source};
use crate::schema::{Schema, Table};

/// One line of a query plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLine {
    /// This step's id.
    pub id: i64,
    /// The id of the step it belongs to (0 at the top).
    pub parent: i64,
    /// What the step does, in SQLite's words.
    pub detail: String,
    /// The table a SCAN / SEARCH step reads.
    pub table: Option<String>,
    /// How a SEARCH finds rows: `INDEX name`, `INTEGER PRIMARY KEY` or
    /// `PRIMARY KEY`.
    pub using: Option<String>,
    /// Rows a SCAN / SEARCH step is expected to give (from the table's
    /// size, `ANALYZE` statistics, or SQLite's default guesses).
    pub estimated_rows: Option<u64>,
}

impl PlanLine {
    /// The step's kind: the first word of its detail (`SEARCH`, `SCAN`,
    /// `USE`, `COMPOUND`, ...).
    pub fn kind(&self) -> &str {
        self.detail.split(' ').next().unwrap_or_default()
    }
}

/// A query plan as the library reports it (the product guide's
/// `client.explain(...)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explain {
    /// The plan's steps, in order.
    pub steps: Vec<PlanLine>,
    /// Rows the statement is expected to read: the product of its top-level
    /// table steps' estimates.
    pub estimated_rows: u64,
    /// Whether any step finds rows through an index or the rowid.
    pub index_used: bool,
}

/// The query plan of `stmt`, bound against `schema`. Statements without
/// a query plan (DDL, transaction control, PRAGMA, INSERT ... VALUES)
/// have no lines.
pub fn query_plan(schema: &Schema, stmt: &Statement) -> Result<Vec<PlanLine>> {
    Ok(explain(schema, stmt, None)?.steps)
}

/// The structured plan of `stmt`; `rd` gives table sizes for the estimates
/// (without it they are left out).
pub fn explain(schema: &Schema, stmt: &Statement, rd: Option<&dyn Reader>) -> Result<Explain> {
    let mut out = Out { rd, stats: Some(&schema.stats), ..Out::default() };
    match stmt {
        Statement::Select(q) => {
            let plan = crate::bind::Binder::new(schema).bind_select(q)?;
            out.query(&plan, 0);
        }
        other => {
            if let Some(w) = crate::dml::bind_write(schema, other)? {
                w.explain(&mut out);
            }
        }
    }
    let top = out.lines.iter().filter(|l| l.parent == 0).filter_map(|l| l.estimated_rows);
    let estimated_rows = top.fold(None, |acc: Option<u64>, r| Some(acc.map_or(r, |a| a.saturating_mul(r))));
    let index_used = out.lines.iter().any(|l| l.using.is_some());
    Ok(Explain { steps: out.lines, estimated_rows: estimated_rows.unwrap_or(1), index_used })
}

/// Lines being collected.
#[derive(Default)]
pub(crate) struct Out<'r> {
    lines: Vec<PlanLine>,
    /// Subqueries numbered so far.
    subqueries: usize,
    /// Storage, for table sizes.
    rd: Option<&'r dyn Reader>,
    /// `ANALYZE` statistics.
    stats: Option<&'r crate::analyze::Stats>,
}

impl Out<'_> {
    /// Adds a line under `parent`; returns its id.
    pub(crate) fn line(&mut self, parent: i64, detail: String) -> i64 {
        let id = self.lines.len() as i64 + 1;
        self.lines.push(PlanLine { id, parent, detail, table: None, using: None, estimated_rows: None });
        id
    }

    /// Adds the SCAN / SEARCH line of a table read through `access`.
    pub(crate) fn table(&mut self, parent: i64, table: &Table, alias: Option<&str>, access: &Access) {
        let id = self.line(parent, table_detail(table, alias, access));
        if let Access::Or(arms) = access {
            for (i, arm) in arms.iter().enumerate() {
                let branch = self.line(id, format!("INDEX {}", i + 1));
                self.table(branch, table, alias, arm);
            }
        }
        let rows = self.rd.and_then(|rd| rd.tree_len(table.tree).ok());
        let stats = &self.stats_of(table, access);
        if let Some(l) = self.lines.get_mut(id as usize - 1) {
            l.table = Some(table.name.clone());
            l.using = using(table, access);
            l.estimated_rows = rows.map(|n| estimate(n, access, stats.as_deref()));
        }
    }

    fn stats_of(&self, _table: &Table, access: &Access) -> Option<Vec<u64>> {
        match access {
            Access::Index { index, .. } => self.stats?.indexes.get(&crate::schema::lower(&index.name)).cloned(),
            _ => None,
        }
    }

    /// The lines of a whole query.
    pub(crate) fn query(&mut self, q: &QueryPlan, parent: i64) {
        if q.compound.is_empty() {
            self.core(&q.first, parent);
        } else {
            let top = self.line(parent, "COMPOUND QUERY".into());
            let first = self.line(top, "LEFT-MOST SUBQUERY".into());
            self.core(&q.first, first);
            for (op, core) in &q.compound {
                let what = match op {
                    CompoundOp::UnionAll => "UNION ALL",
                    CompoundOp::Union => "UNION USING TEMP B-TREE",
                    CompoundOp::Intersect => "INTERSECT USING TEMP B-TREE",
                    CompoundOp::Except => "EXCEPT USING TEMP B-TREE",
                };
                let id = self.line(top, what.into());
                self.core(core, id);
            }
        }
        let sorted_by_path = q.compound.is_empty() && q.first.ordered;
        if !q.order_by.is_empty() && !sorted_by_path {
            self.line(parent, "USE TEMP B-TREE FOR ORDER BY".into());
        }
        for e in q.order_by.iter().map(|k| &k.expr).chain(&q.limit).chain(&q.offset) {
            self.subqueries_in(e, parent);
        }
    }

    fn core(&mut self, core: &CorePlan, parent: i64) {
        match &core.values {
            Some(rows) if rows.len() > 1 => {
                self.line(parent, format!("SCAN {} CONSTANT ROWS", rows.len()));
            }
            Some(_) => {
                self.line(parent, "SCAN CONSTANT ROW".into());
            }
            None => match (&core.source, core.first_row) {
                // min() / max() reads the edge of an index or of the rowids.
                (Source::Table(t), Some(_)) => {
                    let detail = table_detail(&t.table, t.alias.as_deref(), &t.access);
                    let detail = detail.replacen("SCAN", "SEARCH", 1);
                    self.line(parent, detail);
                }
                (source, _) => match (&core.join, crate::join::leaves(source)) {
                    (Some(plan), Some((leaves, _))) => self.join(plan, &leaves, parent),
                    _ => self.source(source, parent),
                },
            },
        }
        if core.aggregate && !core.group_by.is_empty() && !core.grouped {
            self.line(parent, "USE TEMP B-TREE FOR GROUP BY".into());
        }
        if core.distinct {
            self.line(parent, "USE TEMP B-TREE FOR DISTINCT".into());
        }
        core.for_each_expr(&mut |e| self.subqueries_in(e, parent));
    }

    /// The lines of an inner join, in the order its plan reads sources.
    fn join(&mut self, plan: &crate::join::JoinPlan, leaves: &[(usize, &Source)], parent: i64) {
        for step in &plan.steps {
            let Some(&(_, src)) = leaves.get(step.leaf) else { continue };
            match src {
                Source::Table(t) if !step.hash.is_empty() && matches!(step.access, Access::Scan) => {
                    let cols: Vec<String> = step
                        .hash
                        .iter()
                        .map(|h| match &h.build {
                            BExpr::Col { idx, .. } => {
                                let off = leaves.get(step.leaf).map_or(0, |l| l.0);
                                let name = t.table.columns.get(idx.wrapping_sub(off)).map(|c| c.name.as_str());
                                format!("{}=?", name.unwrap_or("rowid"))
                            }
                            _ => "<expr>=?".into(),
                        })
                        .collect();
                    let name = shown_name(&t.table, t.alias.as_deref());
                    let id = self.line(parent, format!("SEARCH {name} USING HASH INDEX ({})", cols.join(" AND ")));
                    let rows = self.rd.and_then(|rd| rd.tree_len(t.table.tree).ok());
                    if let Some(l) = self.lines.get_mut(id as usize - 1) {
                        l.table = Some(t.table.name.clone());
                        l.using = Some("HASH INDEX".into());
                        l.estimated_rows = rows.map(|n| (n / 10).max(1));
                    }
                }
                Source::Table(t) => self.table(parent, &t.table, t.alias.as_deref(), &step.access),
                other => self.source(other, parent),
            }
        }
    }

    fn source(&mut self, s: &Source, parent: i64) {
        match s {
            Source::Single => {
                self.line(parent, "SCAN CONSTANT ROW".into());
            }
            Source::Table(t) => self.table(parent, &t.table, t.alias.as_deref(), &t.access),
            Source::Query(q) => {
                self.subqueries += 1;
                let n = self.subqueries;
                let id = self.line(parent, format!("MATERIALIZE (subquery-{n})"));
                self.query(q, id);
                self.line(parent, format!("SCAN (subquery-{n})"));
            }
            Source::Recursive(r) => {
                self.subqueries += 1;
                let n = self.subqueries;
                let id = self.line(parent, format!("MATERIALIZE (subquery-{n})"));
                let setup = self.line(id, "SETUP".into());
                self.query(&r.initial, setup);
                let step = self.line(id, "RECURSIVE STEP".into());
                for s in &r.steps {
                    self.query(s, step);
                }
                self.line(parent, format!("SCAN (subquery-{n})"));
            }
            Source::Working { .. } => {
                self.line(parent, "SCAN (recursive step's row)".into());
            }
            Source::JsonEach { tree, .. } => {
                let name = if *tree { "json_tree" } else { "json_each" };
                self.line(parent, format!("SCAN {name} VIRTUAL TABLE"));
            }
            Source::Join { left, right, .. } => {
                self.source(left, parent);
                self.source(right, parent);
            }
        }
    }

    /// Lines for the subqueries inside `e`, numbered as SQLite numbers them.
    pub(crate) fn subqueries_in(&mut self, e: &BExpr, parent: i64) {
        if let Some(q) = e.subquery() {
            self.subqueries += 1;
            let kind = if matches!(e, BExpr::InSelect { .. }) { "LIST" } else { "SCALAR" };
            let correlated = if refers_outside(q, 0) { "CORRELATED " } else { "" };
            let id = self.line(parent, format!("{correlated}{kind} SUBQUERY {}", self.subqueries));
            self.query(q, id);
        }
        e.for_each_child(&mut |c| self.subqueries_in(c, parent));
    }
}

/// `SCAN t` / `SEARCH t USING ...` for a table read through an access path.
pub(crate) fn table_detail(table: &Table, alias: Option<&str>, access: &Access) -> String {
    let name = shown_name(table, alias);
    match access {
        Access::Scan | Access::RowidRange { lo: None, hi: None, .. } => format!("SCAN {name}"),
        Access::RowidEq(_) => format!("SEARCH {name} USING INTEGER PRIMARY KEY (rowid=?)"),
        Access::RowidRange { lo, hi, .. } => {
            let mut parts = Vec::new();
            if lo.is_some() {
                parts.push("rowid>?");
            }
            if hi.is_some() {
                parts.push("rowid<?");
            }
            format!("SEARCH {name} USING INTEGER PRIMARY KEY ({})", parts.join(" AND "))
        }
        Access::Index { index, eq, lo, hi, .. } => {
            let col = |k: usize| match index.columns.get(k).and_then(|&c| table.columns.get(c)) {
                Some(c) if index.exprs.get(k).is_none_or(Option::is_none) => c.name.clone(),
                _ => "<expr>".into(),
            };
            let mut parts: Vec<String> = (0..eq.len()).map(|k| format!("{}=?", col(k))).collect();
            if lo.is_some() {
                parts.push(format!("{}>?", col(eq.len())));
            }
            if hi.is_some() {
                parts.push(format!("{}<?", col(eq.len())));
            }
            let using = using(table, access).unwrap_or_default();
            if parts.is_empty() {
                format!("SCAN {name} USING {using}")
            } else {
                format!("SEARCH {name} USING {using} ({})", parts.join(" AND "))
            }
        }
        Access::Or(_) => "MULTI-INDEX OR".into(),
    }
}

/// A table as plan lines name it: `t`, or `t AS a` when aliased.
fn shown_name(table: &Table, alias: Option<&str>) -> String {
    match alias {
        Some(a) => format!("{} AS {a}", table.name),
        None => table.name.clone(),
    }
}

/// How a SEARCH finds its rows, for [`PlanLine::using`].
fn using(table: &Table, access: &Access) -> Option<String> {
    match access {
        Access::Scan | Access::RowidRange { lo: None, hi: None, .. } | Access::Or(_) => None,
        Access::RowidEq(_) | Access::RowidRange { .. } => Some("INTEGER PRIMARY KEY".into()),
        Access::Index { index, .. } if Some(index.tree) == table.without_rowid => Some("PRIMARY KEY".into()),
        Access::Index { index, covering: true, .. } => Some(format!("COVERING INDEX {}", index.name)),
        Access::Index { index, .. } => Some(format!("INDEX {}", index.name)),
    }
}

/// Rows expected from a table of `n` rows read through `access`: one for
/// a rowid lookup; with `ANALYZE` statistics, the average rows per key of
/// the fixed index prefix; without, SQLite's guesses (a unique key fixed
/// in full gives one row, another equality ten); each range bound keeps a
/// quarter.
pub(crate) fn estimate(n: u64, access: &Access, stats: Option<&[u64]>) -> u64 {
    let (base, bounds) = match access {
        Access::Scan => (n, 0),
        Access::RowidEq(p) => (probe_count(p), 0),
        Access::RowidRange { lo, hi, .. } => (n, u32::from(lo.is_some()) + u32::from(hi.is_some())),
        Access::Or(arms) => (arms.iter().map(|a| estimate(n, a, None)).sum(), 0),
        Access::Index { index, eq, lo, hi, .. } => {
            let bounds = u32::from(lo.is_some()) + u32::from(hi.is_some());
            let per_key = match (stats.and_then(|s| s.get(eq.len())), eq.len()) {
                (_, 0) => n,
                (Some(&s), _) => s,
                (None, k) if index.unique && k == index.columns.len() => 1,
                (None, _) => 10,
            };
            let probes: u64 = eq.iter().map(probe_count).product();
            (per_key.saturating_mul(probes), bounds)
        }
    };
    (base >> (2 * bounds)).clamp(1, n.max(1))
}

/// How many values a probe looks up (a subquery's count is a guess).
fn probe_count(p: &crate::access::Probe) -> u64 {
    match p {
        crate::access::Probe::One(_) => 1,
        crate::access::Probe::List(l) => l.len().max(1) as u64,
        crate::access::Probe::Query { .. } => 25,
    }
}

/// Whether a subquery reads a column of a query around it: a column more
/// levels out than the subquery nests at `depth`.
pub(crate) fn refers_outside(q: &QueryPlan, depth: usize) -> bool {
    fn expr(e: &BExpr, depth: usize) -> bool {
        if let BExpr::Col { depth: d, .. } = e
            && *d > depth
        {
            return true;
        }
        if let Some(q) = e.subquery()
            && refers_outside(q, depth + 1)
        {
            return true;
        }
        let mut found = false;
        e.for_each_child(&mut |c| found = found || expr(c, depth));
        found
    }
    fn source(s: &Source, depth: usize) -> bool {
        match s {
            Source::Query(q) => refers_outside(q, depth + 1),
            Source::Recursive(r) => {
                refers_outside(&r.initial, depth + 1) || r.steps.iter().any(|s| refers_outside(s, depth + 1))
            }
            Source::Join { left, right, .. } => source(left, depth) || source(right, depth),
            _ => false,
        }
    }
    let cores = std::iter::once(&q.first).chain(q.compound.iter().map(|(_, c)| c));
    for core in cores {
        let mut found = source(&core.source, depth);
        core.for_each_expr(&mut |e| found = found || expr(e, depth));
        if found {
            return true;
        }
    }
    q.order_by.iter().map(|k| &k.expr).chain(&q.limit).chain(&q.offset).any(|e| expr(e, depth))
}
