//! Access paths: how the rows of one table are found for a WHERE clause.
//!
//! [`choose`] looks at the WHERE conjuncts of a query (or UPDATE / DELETE)
//! over a single table and picks, in this order: a rowid lookup
//! (`rowid = v`, also through an INTEGER PRIMARY KEY), an index lookup on
//! the longest prefix of an index's columns fixed by `=` terms, a rowid
//! range (`<`, `<=`, `>`, `>=`, `BETWEEN` on the rowid), or a full scan.
//! [`rows`] runs the choice.
//!
//! An access path only narrows the candidate rows: every candidate is still
//! tested against the WHERE clause, so a path is correct as long as it
//! never misses a row its terms could accept. The one exception,
//! `implied`, names the rowid comparisons a rowid path answers exactly
//! (its value is an integer), which the executor then skips. Candidates
//! come back in the order a full scan gives (rowid order, or PRIMARY KEY order for a
//! WITHOUT ROWID table), so a query's output order does not depend on the
//! path.
//!
//! A term is usable only when the lookup value is computed without the
//! row (literals, parameters, outer-query columns and arithmetic on them)
//! and when comparing through the index gives the comparison's answer:
//! the comparison's affinity must not convert the column's stored values,
//! and its collation must be the index column's. The value is converted
//! with the comparison's affinity before the lookup, as SQLite does.
//!
//! Left for the planner issue: ranges on index columns, IN lists, OR
//! terms, covering indexes, partial and expression indexes, joins driven
//! by an index, costs and statistics.

use crate::ast::{BinaryOp, JoinKind};
use crate::error::{Error, Result};
use crate::exec::{Ctx, Env, Reader, eval, put_row};
use crate::plan::{BExpr, CorePlan, QueryPlan, SortKey, Source};
use crate::record::{decode_row_into, key_rowid, rowid_key};
use crate::schema::{Index, Schema, Table};
use crate::value::{Affinity, Collation, Value, prepare_comparison};
use dosql_storage::keycodec::{KeyValue, decode_key_with_order, encode_prefix_body};
use std::cmp::Ordering;
use std::ops::Bound;

/// How a table's candidate rows are found.
#[derive(Debug, Clone, Default)]
pub enum Access {
    /// Every row, in scan order.
    #[default]
    Scan,
    /// The rows with the rowids a probe gives.
    RowidEq(Probe),
    /// Rows whose rowid lies between two bounds (`true` = inclusive); with
    /// no bound, every row. `reverse` reads them in descending rowid order.
    RowidRange {
        /// Lower bound.
        lo: Option<(Seek, bool)>,
        /// Upper bound.
        hi: Option<(Seek, bool)>,
        /// Descending rowid order.
        reverse: bool,
    },
    /// Rows whose key in `index` starts with the values of `eq`, and
    /// whose next key column lies between `lo` and `hi` when they are set.
    Index {
        /// The index.
        index: Box<Index>,
        /// The values of the leading key columns (an IN probe gives several).
        eq: Vec<Probe>,
        /// Lower bound on the next column (`true` = inclusive).
        lo: Option<(Seek, bool)>,
        /// Upper bound on the next column.
        hi: Option<(Seek, bool)>,
        /// The order rows come back in.
        order: Order,
        /// The index holds every column the query reads: rows are built
        /// from its keys without reading the table.
        covering: bool,
    },
    /// The union of the rows of several paths (an OR of indexed terms).
    Or(Vec<Access>),
}

/// The order an index path gives its rows in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    /// The table's scan order (rowid, or PRIMARY KEY without rowid).
    #[default]
    Table,
    /// The index's order.
    Forward,
    /// The index's order, reversed.
    Backward,
}

/// A lookup value: an expression that does not read the row, and the
/// affinities the comparison it comes from applies.
#[derive(Debug, Clone)]
pub struct Seek {
    /// The value's expression.
    pub expr: BExpr,
    /// Its own affinity.
    pub aff: Option<Affinity>,
    /// The column's affinity.
    pub col_aff: Option<Affinity>,
}

/// The values an equality on one key column looks up.
#[derive(Debug, Clone)]
pub enum Probe {
    /// `col = v`.
    One(Seek),
    /// `col IN (v1, v2, ...)` (or `col = v1 OR col = v2 ...`).
    List(Vec<Seek>),
    /// `col IN (SELECT ...)` over an uncorrelated subquery.
    Query {
        /// The subquery.
        plan: Box<QueryPlan>,
        /// Its column's affinity.
        aff: Option<Affinity>,
        /// The indexed column's affinity.
        col_aff: Option<Affinity>,
    },
}

impl Probe {
    /// Whether it looks up exactly one value.
    pub fn is_single(&self) -> bool {
        matches!(self, Probe::One(_))
    }
}

/// The right side of a usable comparison.
enum TermValue<'e> {
    One(&'e BExpr),
    List(Vec<&'e BExpr>),
    Query(&'e QueryPlan),
}

/// A comparison `column op value` found in the WHERE clause (`IN` is an
/// `Eq` with several values).
struct Term<'e> {
    /// The column's slot (the table's column count for the rowid);
    /// `usize::MAX` for an expression.
    col: usize,
    /// The expression compared, when it is not a column (for indexes on
    /// expressions).
    expr: Option<&'e BExpr>,
    op: BinaryOp,
    value: TermValue<'e>,
    col_aff: Option<Affinity>,
    coll: Collation,
}

impl Term<'_> {
    fn seek(&self, e: &BExpr) -> Seek {
        Seek { expr: e.clone(), aff: crate::bind::expr_affinity(e), col_aff: self.col_aff }
    }
    /// The single value of a range term.
    fn bound(&self, incl: bool) -> Option<(Seek, bool)> {
        match self.value {
            TermValue::One(e) => Some((self.seek(e), incl)),
            _ => None,
        }
    }
    fn probe(&self) -> Probe {
        match &self.value {
            TermValue::One(e) => Probe::One(self.seek(e)),
            TermValue::List(l) => Probe::List(l.iter().map(|e| self.seek(e)).collect()),
            TermValue::Query(q) => Probe::Query {
                plan: Box::new((*q).clone()),
                aff: crate::exec::in_affinity(q, 0),
                col_aff: self.col_aff,
            },
        }
    }
    fn single(&self) -> bool {
        matches!(self.value, TermValue::One(_))
    }
}

/// Picks the access path for `table` given its WHERE clause, bound over
/// the table's row (columns, then the rowid).
pub fn choose(schema: &Schema, table: &Table, where_: Option<&BExpr>) -> Access {
    let mut conjuncts = Vec::new();
    if let Some(w) = where_ {
        split_and(w, &mut conjuncts);
    }
    choose_at(schema, table, &conjuncts, 0)
}

/// Picks the access path for `table` when its row sits at slot `offset` of
/// a join row, from conjuncts over that row: lookup values may read the
/// slots before `offset` (the tables joined before it), which the executor
/// then fills with each of their rows in turn.
pub fn choose_at(schema: &Schema, table: &Table, conjuncts: &[&BExpr], offset: usize) -> Access {
    choose_in(schema, table, conjuncts, offset, &|c| c < offset)
}

/// [`choose_at`] where lookup values may read only the slots `readable`
/// accepts (none: the values are the same for every row).
pub(crate) fn choose_in(
    schema: &Schema,
    table: &Table,
    conjuncts: &[&BExpr],
    offset: usize,
    readable: &dyn Fn(usize) -> bool,
) -> Access {
    if schema.scan_only {
        return Access::Scan;
    }
    let width = table.columns.len() + 1;
    let mut terms = Vec::new();
    for c in conjuncts {
        collect_terms(c, &mut terms, readable);
    }
    terms.retain(|t| t.expr.is_some() || (t.col >= offset && t.col < offset + width));
    terms.iter_mut().filter(|t| t.expr.is_none()).for_each(|t| t.col -= offset);
    let n = table.columns.len();
    let is_rowid = |c: usize| c == n || Some(c) == table.rowid_alias;
    let rowid_table = table.without_rowid.is_none();
    let eq_term = |on: &dyn Fn(&Term<'_>) -> bool, coll: Option<Collation>| {
        // A single value before a list of them.
        let found = |single: bool| {
            terms
                .iter()
                .find(|t| on(t) && t.op == BinaryOp::Eq && t.single() == single && coll.is_none_or(|c| c == t.coll))
        };
        found(true).or_else(|| found(false))
    };
    if rowid_table && let Some(t) = eq_term(&|t| t.expr.is_none() && is_rowid(t.col), None) {
        return Access::RowidEq(t.probe());
    }
    // The index with the longest prefix of columns fixed by `=` (then a
    // range on the next column; then the narrower index; on a full tie the
    // newest, which `table_indexes` lists first, as SQLite picks).
    type Choice<'i> = (&'i Index, Vec<Probe>, Option<(Seek, bool)>, Option<(Seek, bool)>);
    let mut best: Option<Choice<'_>> = None;
    let score = |c: &Choice<'_>| {
        let lists = c.1.iter().filter(|p| !p.is_single()).count();
        (c.1.len(), c.2.is_some() || c.3.is_some(), usize::MAX - lists, usize::MAX - c.0.columns.len())
    };
    // With ANALYZE statistics: the average rows per key of the fixed
    // prefix, a quarter of that per range bound (SQLite's guess).
    let estimate = |c: &Choice<'_>| {
        let per_key = *schema.stats.indexes.get(&crate::schema::lower(&c.0.name))?.get(c.1.len())?;
        let bounds = u32::from(c.2.is_some()) + u32::from(c.3.is_some());
        Some(per_key >> (2 * bounds))
    };
    let better = |a: &Choice<'_>, b: &Choice<'_>| match (estimate(a), estimate(b)) {
        (Some(x), Some(y)) if x != y => x < y,
        _ => score(a) > score(b),
    };
    for index in schema.table_indexes(&table.name) {
        // A WITHOUT ROWID table's rows come in PRIMARY KEY order, which only
        // that index keeps.
        if !rowid_table && Some(index.tree) != table.without_rowid {
            continue;
        }
        // Expression parts and a partial index's condition, bound over the
        // table's row.
        let parts = match index.exprs.iter().any(Option::is_some) {
            true => crate::dml::key_parts(schema, table, index).ok(),
            false => None,
        };
        if let Some(w) = &index.where_ {
            // Binding a condition with a subquery would plan that subquery,
            // maybe over this very table, again.
            if crate::schema::has_subquery(w) {
                continue;
            }
            let cond = crate::bind::Binder::new(schema).bind_table_exprs(table, std::slice::from_ref(w));
            match cond.ok().and_then(|mut c| c.pop()) {
                Some(c) if implies(conjuncts, &c, offset) => {}
                _ => continue,
            }
        }
        let mut eq = Vec::new();
        let (mut lo, mut hi) = (None, None);
        for (k, &col) in index.columns.iter().enumerate() {
            let part = parts.as_ref().and_then(|p| p.get(k)).and_then(Option::as_ref);
            if index.exprs.get(k).is_some_and(Option::is_some) && part.is_none() {
                break;
            }
            let on = |t: &Term<'_>| match (part, t.expr) {
                (Some(p), Some(e)) => same_at(e, p, offset),
                (None, None) => t.col == col,
                _ => false,
            };
            let coll = index.collations.get(k).copied().unwrap_or(Collation::Binary);
            if let Some(t) = eq_term(&on, Some(coll)) {
                eq.push(t.probe());
                continue;
            }
            let term =
                |ops: &[BinaryOp]| terms.iter().find(|t| on(t) && ops.contains(&t.op) && t.coll == coll && t.single());
            lo = term(&[BinaryOp::Gt, BinaryOp::GtEq]).and_then(|t| t.bound(t.op == BinaryOp::GtEq));
            hi = term(&[BinaryOp::Lt, BinaryOp::LtEq]).and_then(|t| t.bound(t.op == BinaryOp::LtEq));
            break;
        }
        let choice = (index, eq, lo, hi);
        let useful = !choice.1.is_empty() || choice.2.is_some() || choice.3.is_some();
        if useful && best.as_ref().is_none_or(|b| better(&choice, b)) {
            best = Some(choice);
        }
    }
    let rowid_range =
        rowid_table && terms.iter().any(|t| t.expr.is_none() && is_rowid(t.col) && t.op != BinaryOp::Eq && t.single());
    if let Some((index, eq, lo, hi)) = best {
        // A rowid lookup range beats an index range with nothing fixed.
        if !eq.is_empty() || !rowid_range {
            return Access::Index { index: Box::new(index.clone()), eq, lo, hi, order: Order::Table, covering: false };
        }
    }
    if rowid_range {
        let bound = |ops: [BinaryOp; 2]| {
            terms
                .iter()
                .find(|t| t.expr.is_none() && is_rowid(t.col) && ops.contains(&t.op) && t.single())
                .and_then(|t| t.bound(t.op == ops[1]))
        };
        let lo = bound([BinaryOp::Gt, BinaryOp::GtEq]);
        let hi = bound([BinaryOp::Lt, BinaryOp::LtEq]);
        if lo.is_some() || hi.is_some() {
            return Access::RowidRange { lo, hi, reverse: false };
        }
    }
    // An OR whose every branch has a path of its own: the union of those.
    if rowid_table {
        for c in conjuncts {
            let mut branches = Vec::new();
            split_or(c, &mut branches);
            if branches.len() < 2 {
                continue;
            }
            let mut arms = Vec::with_capacity(branches.len());
            for b in branches {
                let mut own = Vec::new();
                split_and(b, &mut own);
                match choose_in(schema, table, &own, offset, readable) {
                    Access::Scan => break,
                    a => arms.push(a),
                }
            }
            if arms.len() >= 2 && arms.len() == count_or(c) {
                return Access::Or(arms);
            }
        }
    }
    Access::Scan
}

fn split_or<'p>(e: &'p BExpr, out: &mut Vec<&'p BExpr>) {
    match e {
        BExpr::Bin { op: BinaryOp::Or, l, r, .. } => {
            split_or(l, out);
            split_or(r, out);
        }
        _ => out.push(e),
    }
}

fn count_or(e: &BExpr) -> usize {
    let mut v = Vec::new();
    split_or(e, &mut v);
    v.len()
}

/// Chooses the access path of every table in a FROM clause, given the
/// query's WHERE clause. A table takes its lookup values from WHERE terms
/// (when no outer join can null-extend it) and from the ON clause of the
/// join that adds it. Only a table joined directly onto the tables before
/// it (the executor's nested loop) may look up by their columns; when
/// `reordered`, the executor picks the join order itself, so lookups use
/// constants only.
pub(crate) fn assign(schema: &Schema, source: &mut Source, where_: Option<&BExpr>, reordered: bool) {
    let mut conjuncts = Vec::new();
    if let Some(w) = where_
        && pushable(source)
    {
        split_and(w, &mut conjuncts);
    }
    assign_in(schema, source, 0, (&conjuncts, &[]), !reordered);
}

fn assign_in(schema: &Schema, src: &mut Source, offset: usize, (wheres, ons): (&[&BExpr], &[&BExpr]), lookback: bool) {
    match src {
        Source::Table(t) => {
            let mut c = wheres.to_vec();
            c.extend_from_slice(ons);
            t.access = if lookback {
                choose_in(schema, &t.table, &c, offset, &|s| s < offset)
            } else {
                choose_in(schema, &t.table, &c, offset, &|_| false)
            };
        }
        Source::Join { left, right, kind, on, left_width, .. } => {
            assign_in(schema, left, offset, (wheres, &[]), lookback);
            if matches!(kind, JoinKind::Right | JoinKind::Full) {
                return;
            }
            let mut own = Vec::new();
            if let Some(o) = on {
                split_and(o, &mut own);
            }
            // WHERE must not narrow the side an outer join null-extends.
            let w = if matches!(kind, JoinKind::Left) { &[][..] } else { wheres };
            let direct = lookback && matches!(**right, Source::Table(_));
            assign_in(schema, right, offset + *left_width, (w, &own), direct);
        }
        _ => {}
    }
}

/// Whether no join in a left-deep chain can null-extend the tables before
/// it (RIGHT / FULL), so WHERE terms may narrow any of them.
pub(crate) fn pushable(src: &Source) -> bool {
    match src {
        Source::Join { left, kind, .. } => !matches!(kind, JoinKind::Right | JoinKind::Full) && pushable(left),
        _ => true,
    }
}

/// Splits `e` into its AND-ed conjuncts.
pub(crate) fn split_and<'p>(e: &'p BExpr, out: &mut Vec<&'p BExpr>) {
    match e {
        BExpr::Bin { op: BinaryOp::And, l, r, .. } => {
            split_and(l, out);
            split_and(r, out);
        }
        _ => out.push(e),
    }
}

/// The `column op value` comparisons in one conjunct, where the value
/// reads only slots of the current row that `readable` accepts.
fn collect_terms<'e>(c: &'e BExpr, out: &mut Vec<Term<'e>>, readable: &dyn Fn(usize) -> bool) {
    use BinaryOp::*;
    let free = |e: &BExpr| row_free(e, readable);
    match c {
        BExpr::Bin { op: op @ (Eq | Lt | LtEq | Gt | GtEq), l, r, coll } => {
            if let Some((col, op, value, col_aff)) = column_compare(*op, l, r, &free) {
                out.push(Term { col, expr: None, op, value: TermValue::One(value), col_aff, coll: *coll });
            } else if let Some((e, op, value)) = expr_compare(*op, l, r, &free) {
                let col_aff = crate::bind::expr_affinity(e);
                out.push(Term {
                    col: usize::MAX,
                    expr: Some(e),
                    op,
                    value: TermValue::One(value),
                    col_aff,
                    coll: *coll,
                });
            }
        }
        // `x = a OR x = b ...` is `x IN (a, b, ...)`.
        BExpr::Bin { op: Or, coll, .. } => {
            let mut branches = Vec::new();
            split_or(c, &mut branches);
            let mut first: Option<(usize, Option<Affinity>, Collation)> = None;
            let mut values = Vec::with_capacity(branches.len());
            for b in branches {
                let BExpr::Bin { op: Eq, l, r, coll } = b else { return };
                let Some((col, _, value, col_aff)) = column_compare(Eq, l, r, &free) else { return };
                if first.is_some_and(|f| f != (col, col_aff, *coll)) {
                    return;
                }
                first = Some((col, col_aff, *coll));
                values.push(value);
            }
            let _ = coll;
            if let Some((col, col_aff, coll)) = first {
                out.push(Term { col, expr: None, op: Eq, value: TermValue::List(values), col_aff, coll });
            }
        }
        BExpr::InList { e, list, negated: false, coll } => {
            if let BExpr::Col { depth: 0, idx, aff, .. } = &**e
                && list.iter().all(free)
            {
                out.push(Term {
                    col: *idx,
                    expr: None,
                    op: Eq,
                    value: TermValue::List(list.iter().collect()),
                    col_aff: *aff,
                    coll: *coll,
                });
            }
        }
        BExpr::InSelect { e, plan, negated: false, coll } => {
            if let BExpr::Col { depth: 0, idx, aff, .. } = &**e
                && plan.columns.len() == 1
                && !crate::explain::refers_outside(plan, 0)
            {
                out.push(Term {
                    col: *idx,
                    expr: None,
                    op: Eq,
                    value: TermValue::Query(plan),
                    col_aff: *aff,
                    coll: *coll,
                });
            }
        }
        BExpr::Between { e, lo, hi, negated: false, coll, coll_hi } => {
            if let BExpr::Col { depth: 0, idx, aff, .. } = &**e {
                if free(lo) {
                    out.push(Term {
                        col: *idx,
                        expr: None,
                        op: GtEq,
                        value: TermValue::One(lo),
                        col_aff: *aff,
                        coll: *coll,
                    });
                }
                if free(hi) {
                    out.push(Term {
                        col: *idx,
                        expr: None,
                        op: LtEq,
                        value: TermValue::One(hi),
                        col_aff: *aff,
                        coll: *coll_hi,
                    });
                }
            }
        }
        _ => {}
    }
    // Only terms whose comparison an index can answer.
    if let Some(t) = out.last()
        && !usable(t)
    {
        out.pop();
    }
}

/// `column op value` (either way round): the column's slot, the operator
/// as seen from the column, the value and the column's affinity.
fn column_compare<'e>(
    op: BinaryOp,
    l: &'e BExpr,
    r: &'e BExpr,
    free: &dyn Fn(&BExpr) -> bool,
) -> Option<(usize, BinaryOp, &'e BExpr, Option<Affinity>)> {
    if let (BExpr::Col { depth: 0, idx, aff, .. }, true) = (l, free(r)) {
        return Some((*idx, op, r, *aff));
    }
    if let (BExpr::Col { depth: 0, idx, aff, .. }, true) = (r, free(l)) {
        return Some((*idx, flipped(op), l, *aff));
    }
    None
}

/// `op` seen from its right operand (`a < b` is `b > a`).
fn flipped(op: BinaryOp) -> BinaryOp {
    use BinaryOp::*;
    match op {
        Lt => Gt,
        LtEq => GtEq,
        Gt => Lt,
        GtEq => LtEq,
        other => other,
    }
}

/// `expr op value` (either way round) where `expr` reads this query's row
/// (a candidate for an index on an expression) and `value` does not.
fn expr_compare<'e>(
    op: BinaryOp,
    l: &'e BExpr,
    r: &'e BExpr,
    free: &dyn Fn(&BExpr) -> bool,
) -> Option<(&'e BExpr, BinaryOp, &'e BExpr)> {
    let indexable = |e: &BExpr| {
        matches!(e, BExpr::Func { .. } | BExpr::Bin { .. } | BExpr::Unary { .. } | BExpr::Cast { .. }) && !free(e)
    };
    if indexable(l) && free(r) {
        return Some((l, op, r));
    }
    if indexable(r) && free(l) {
        return Some((r, flipped(op), l));
    }
    None
}

/// Whether the query expression `q` is the index expression `i` (bound
/// over the table's own row) for a table whose row starts at `offset`.
fn same_at(q: &BExpr, i: &BExpr, offset: usize) -> bool {
    match (q, i) {
        (BExpr::Lit(a), BExpr::Lit(b)) => a == b,
        (BExpr::Col { depth: 0, idx: a, .. }, BExpr::Col { depth: 0, idx: b, .. }) => *a == b + offset,
        (BExpr::Bin { op: o1, l: l1, r: r1, coll: c1 }, BExpr::Bin { op: o2, l: l2, r: r2, coll: c2 }) => {
            o1 == o2 && c1 == c2 && same_at(l1, l2, offset) && same_at(r1, r2, offset)
        }
        (BExpr::Unary { op: o1, e: e1 }, BExpr::Unary { op: o2, e: e2 }) => o1 == o2 && same_at(e1, e2, offset),
        (BExpr::Cast { e: e1, aff: a1 }, BExpr::Cast { e: e2, aff: a2 }) => a1 == a2 && same_at(e1, e2, offset),
        (BExpr::Collate { e: e1, coll: c1 }, BExpr::Collate { e: e2, coll: c2 }) => c1 == c2 && same_at(e1, e2, offset),
        (BExpr::Func { name: n1, args: a1 }, BExpr::Func { name: n2, args: a2 }) => {
            n1 == n2 && a1.len() == a2.len() && a1.iter().zip(a2).all(|(x, y)| same_at(x, y, offset))
        }
        (BExpr::IsNull { e: e1, negated: n1 }, BExpr::IsNull { e: e2, negated: n2 }) => {
            n1 == n2 && same_at(e1, e2, offset)
        }
        _ => false,
    }
}

/// Whether the conjuncts of a query over a table whose row starts at
/// `offset` imply a partial index's condition (bound over the table's
/// row): each of its conjuncts is one of the query's, or is `x IS NOT
/// NULL` where the query compares `x` (a comparison with NULL is never
/// true).
fn implies(conjuncts: &[&BExpr], cond: &BExpr, offset: usize) -> bool {
    let mut parts = Vec::new();
    split_and(cond, &mut parts);
    parts.iter().all(|w| {
        conjuncts.iter().any(|c| same_at(c, w, offset))
            || match w {
                BExpr::IsNull { e, negated: true } => match &**e {
                    BExpr::Col { depth: 0, idx, .. } => conjuncts.iter().any(|c| compares_column(c, idx + offset)),
                    _ => false,
                },
                _ => false,
            }
    })
}

/// Whether conjunct `c` is false or NULL when column slot `col` is NULL:
/// a comparison, IN or BETWEEN on it.
fn compares_column(c: &BExpr, col: usize) -> bool {
    let is_col = |e: &BExpr| matches!(e, BExpr::Col { depth: 0, idx, .. } if *idx == col);
    match c {
        BExpr::Bin {
            op: BinaryOp::Eq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq, l, r, ..
        } => is_col(l) || is_col(r),
        BExpr::InList { e, negated: false, .. }
        | BExpr::InSelect { e, negated: false, .. }
        | BExpr::Between { e, negated: false, .. } => is_col(e),
        _ => false,
    }
}

/// Whether `e` can be computed before the table's row is read: literals,
/// parameters, outer columns, slots `readable` accepts and operators over
/// them (no function calls, which may not be deterministic, and no
/// subqueries).
pub(crate) fn row_free(e: &BExpr, readable: &dyn Fn(usize) -> bool) -> bool {
    match e {
        BExpr::Lit(_) | BExpr::Param(_) => true,
        BExpr::Col { depth, idx, .. } => *depth > 0 || readable(*idx),
        BExpr::Bin { op, l, r, .. } => {
            !matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Arrow | BinaryOp::LongArrow)
                && row_free(l, readable)
                && row_free(r, readable)
        }
        BExpr::Unary { e, .. } | BExpr::Cast { e, .. } | BExpr::Collate { e, .. } => row_free(e, readable),
        _ => false,
    }
}

impl Access {
    /// Whether its lookup values read the row of the tables joined before
    /// (so the rows must be found again for each of their rows).
    pub fn reads_left(&self) -> bool {
        self.reads(&|depth| depth == 0)
    }

    /// Whether its lookup values read the row of an enclosing query.
    pub fn reads_outer(&self) -> bool {
        self.reads(&|depth| depth > 0)
    }

    /// Whether a lookup value reads a column at a depth `at` accepts.
    fn reads(&self, at: &dyn Fn(usize) -> bool) -> bool {
        let reads = |e: &BExpr| {
            fn walk(e: &BExpr, at: &dyn Fn(usize) -> bool) -> bool {
                if let BExpr::Col { depth, .. } = e
                    && at(*depth)
                {
                    return true;
                }
                let mut found = false;
                e.for_each_child(&mut |c| found = found || walk(c, at));
                found
            }
            walk(e, at)
        };
        let probe = |p: &Probe| match p {
            Probe::One(s) => reads(&s.expr),
            Probe::List(l) => l.iter().any(|s| reads(&s.expr)),
            Probe::Query { .. } => false,
        };
        let bound = |b: &Option<(Seek, bool)>| b.as_ref().is_some_and(|(s, _)| reads(&s.expr));
        match self {
            Access::Scan => false,
            Access::RowidEq(p) => probe(p),
            Access::RowidRange { lo, hi, .. } => bound(lo) || bound(hi),
            Access::Index { eq, lo, hi, .. } => eq.iter().any(probe) || bound(lo) || bound(hi),
            Access::Or(arms) => arms.iter().any(|a| a.reads(at)),
        }
    }
}

/// Whether comparing through an index on the term's column agrees with
/// the comparison: its affinity must leave the column's values as stored.
fn usable(t: &Term<'_>) -> bool {
    let ok = |v_aff: Option<Affinity>| {
        let col_numeric = t.col_aff.is_some_and(Affinity::is_numeric);
        match crate::value::comparison_affinity(t.col_aff, v_aff) {
            Some(a) if a.is_numeric() => col_numeric,
            Some(Affinity::Text) => t.col_aff == Some(Affinity::Text),
            _ => true,
        }
    };
    match &t.value {
        TermValue::One(e) => ok(crate::bind::expr_affinity(e)),
        TermValue::List(l) => l.iter().all(|e| ok(crate::bind::expr_affinity(e))),
        TermValue::Query(q) => ok(crate::exec::in_affinity(q, 0)),
    }
}

/// A lookup value converted as the comparison converts it; `None` when it
/// is NULL (no row compares equal, less or greater).
fn converted(v: Value, aff: Option<Affinity>, col_aff: Option<Affinity>) -> Option<Value> {
    if v == Value::Null {
        return None;
    }
    // A text operand on the other side makes the comparison convert.
    let (v, _) = prepare_comparison(v, aff, Value::Text(String::new()), col_aff);
    Some(v)
}

/// The lookup value of `s`.
fn seek_value(ctx: &Ctx<'_>, s: &Seek, (left, parent): (&[Value], Option<&Env<'_>>)) -> Result<Option<Value>> {
    let v = eval(ctx, &s.expr, &Env { row: left, aggs: &[], parent })?;
    Ok(converted(v, s.aff, s.col_aff))
}

/// Which of `conjuncts` (a one-table WHERE clause split at AND, over the
/// table's row) every row `access` gives is sure to pass, as a bit set
/// (bit `i` for conjunct `i`; only the first 64 are looked at): a
/// comparison of the rowid with the very value that a rowid lookup or a
/// rowid range bound seeks, when that value is an integer. The path then
/// reads exactly the rowids the comparison accepts, so testing it again
/// per row is wasted work. A real, text, blob or NULL value may be
/// converted or rounded on the way to a rowid, so its comparison is kept.
/// `at` is what lookup values may read (see [`visit`]).
pub(crate) fn implied(
    ctx: &Ctx<'_>,
    table: &Table,
    access: &Access,
    conjuncts: &[&BExpr],
    at: (&[Value], Option<&Env<'_>>),
) -> Result<u64> {
    let (lo, hi, eq) = match access {
        Access::RowidEq(Probe::One(s)) => (None, None, Some(s)),
        Access::RowidRange { lo, hi, .. } => (lo.as_ref(), hi.as_ref(), None),
        _ => return Ok(0),
    };
    if table.without_rowid.is_some() {
        return Ok(0);
    }
    let mut bounds: [Option<(BinaryOp, &Seek)>; 2] = [None, None];
    if let Some(s) = eq {
        bounds[0] = Some((BinaryOp::Eq, s));
    }
    if let Some((s, incl)) = lo {
        bounds[0] = Some((if *incl { BinaryOp::GtEq } else { BinaryOp::Gt }, s));
    }
    if let Some((s, incl)) = hi {
        bounds[1] = Some((if *incl { BinaryOp::LtEq } else { BinaryOp::Lt }, s));
    }
    let n = table.columns.len();
    let is_rowid = |c: usize| c == n || Some(c) == table.rowid_alias;
    let mut mask = 0u64;
    for (op, seek) in bounds.into_iter().flatten() {
        // The value as the path computed it, before any conversion: only an
        // integer is compared with the rowid exactly as the path sought it.
        let raw = eval(ctx, &seek.expr, &Env { row: at.0, aggs: &[], parent: at.1 })?;
        if !matches!(raw, Value::Integer(_)) {
            continue;
        }
        for (i, c) in conjuncts.iter().enumerate().take(64) {
            let BExpr::Bin { op: c_op, l, r, .. } = c else { continue };
            let Some((col, c_op, value, col_aff)) = column_compare(*c_op, l, r, &|_| true) else { continue };
            // A TEXT comparison would compare the rowid as text.
            let aff = crate::value::comparison_affinity(col_aff, crate::bind::expr_affinity(value));
            if c_op == op && is_rowid(col) && aff != Some(Affinity::Text) && same_value(value, &seek.expr) {
                mask |= 1 << i;
            }
        }
    }
    Ok(mask)
}

/// Whether two row-free expressions are the same expression (literals of
/// the same type and bits, the same parameter or outer column, the same
/// operators over such), so they compute the same value.
fn same_value(a: &BExpr, b: &BExpr) -> bool {
    match (a, b) {
        (BExpr::Lit(x), BExpr::Lit(y)) => match (x, y) {
            (Value::Null, Value::Null) => true,
            (Value::Integer(x), Value::Integer(y)) => x == y,
            (Value::Real(x), Value::Real(y)) => x.to_bits() == y.to_bits(),
            (Value::Text(x), Value::Text(y)) => x == y,
            (Value::Blob(x), Value::Blob(y)) => x == y,
            _ => false,
        },
        (BExpr::Param(x), BExpr::Param(y)) => x == y,
        // Only outer columns: a slot of the row itself is not a lookup value.
        (BExpr::Col { depth: d1, idx: i1, .. }, BExpr::Col { depth: d2, idx: i2, .. }) => {
            *d1 > 0 && d1 == d2 && i1 == i2
        }
        (BExpr::Bin { op: o1, l: l1, r: r1, coll: c1 }, BExpr::Bin { op: o2, l: l2, r: r2, coll: c2 }) => {
            o1 == o2 && c1 == c2 && same_value(l1, l2) && same_value(r1, r2)
        }
        (BExpr::Unary { op: o1, e: e1 }, BExpr::Unary { op: o2, e: e2 }) => o1 == o2 && same_value(e1, e2),
        (BExpr::Cast { e: e1, aff: a1 }, BExpr::Cast { e: e2, aff: a2 }) => a1 == a2 && same_value(e1, e2),
        (BExpr::Collate { e: e1, coll: c1 }, BExpr::Collate { e: e2, coll: c2 }) => c1 == c2 && same_value(e1, e2),
        _ => false,
    }
}

/// The values a probe looks up (NULLs, which match nothing, left out).
fn probe_values(ctx: &Ctx<'_>, p: &Probe, at: (&[Value], Option<&Env<'_>>)) -> Result<Vec<Value>> {
    match p {
        Probe::One(s) => Ok(seek_value(ctx, s, at)?.into_iter().collect()),
        Probe::List(l) => {
            let mut out = Vec::with_capacity(l.len());
            for s in l {
                out.extend(seek_value(ctx, s, at)?);
            }
            Ok(out)
        }
        Probe::Query { plan, aff, col_aff } => {
            let rows = crate::exec::run_query(ctx, plan, Some(&Env { row: at.0, aggs: &[], parent: at.1 }))?;
            Ok(rows
                .into_iter()
                .filter_map(|r| r.into_iter().next())
                .filter_map(|v| converted(v, *aff, *col_aff))
                .collect())
        }
    }
}

/// The candidate rows of `table` for `access` (columns, then the rowid),
/// in the order a full scan gives.
pub fn rows(ctx: &Ctx<'_>, table: &Table, access: &Access, parent: Option<&Env<'_>>) -> Result<Vec<Vec<Value>>> {
    rows_after(ctx, table, access, &[], parent)
}

/// [`rows`] for a table joined after others: `left` is their row, which
/// the lookup values may read.
pub fn rows_after(
    ctx: &Ctx<'_>,
    table: &Table,
    access: &Access,
    left: &[Value],
    parent: Option<&Env<'_>>,
) -> Result<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    visit(ctx, table, access, (left, parent), &mut |r| {
        out.push(r);
        Ok(true)
    })?;
    Ok(out)
}

/// Calls `f` with each candidate row of `table` for `access`, in the
/// path's order (the table's scan order unless the path says otherwise),
/// until `f` returns false. `at` is the row of the tables joined before
/// and the enclosing queries' rows, which lookup values may read.
pub fn visit(
    ctx: &Ctx<'_>,
    table: &Table,
    access: &Access,
    at: (&[Value], Option<&Env<'_>>),
    f: &mut dyn FnMut(Vec<Value>) -> Result<bool>,
) -> Result<()> {
    let mut cursor = PathCursor::open(ctx, table, access, at)?;
    while let Some(row) = cursor.next(ctx.rd, table, access)? {
        if !f(row)? {
            break;
        }
    }
    Ok(())
}

/// The rowids of the candidates of a lookup path, in the table's order.
fn candidate_rowids(
    ctx: &Ctx<'_>,
    table: &Table,
    access: &Access,
    at: (&[Value], Option<&Env<'_>>),
) -> Result<Vec<i64>> {
    let rowid_table = table.without_rowid.is_none();
    let mut out = match access {
        Access::RowidEq(p) => probe_values(ctx, p, at)?.iter().filter_map(exact_integer).collect(),
        Access::RowidRange { lo, hi, .. } => {
            let Some((lk, hk)) = rowid_bounds(ctx, lo, hi, at)? else { return Ok(Vec::new()) };
            let mut out = Vec::new();
            let range = ctx.rd.range(table.tree, Bound::Included(&lk[..]), Bound::Included(&hk[..]))?;
            walk(range, false, &mut |k| {
                out.push(key_rowid(k).ok_or_else(|| malformed(table))?);
                Ok(true)
            })?;
            out
        }
        Access::Index { index, eq, lo, hi, .. } => {
            let Some(bounds) = key_bounds(ctx, index, eq.len(), (lo, hi), at)? else { return Ok(Vec::new()) };
            let mut out = Vec::new();
            for vals in prefixes(ctx, index, eq, at)? {
                index_entries(ctx.rd, index, &vals, (bounds.0.as_ref(), bounds.1.as_ref()), false, &mut |key| {
                    if let Some(KeyValue::Integer(r)) = key.last() {
                        out.push(*r);
                    }
                    Ok(true)
                })?;
            }
            out
        }
        Access::Or(arms) => {
            let mut out = Vec::new();
            for a in arms {
                out.extend(candidate_rowids(ctx, table, a, at)?);
            }
            out
        }
        Access::Scan => {
            let mut out = Vec::new();
            walk(ctx.rd.scan(table.tree)?, false, &mut |k| {
                out.push(key_rowid(k).ok_or_else(|| malformed(table))?);
                Ok(true)
            })?;
            out
        }
    };
    if rowid_table {
        out.sort_unstable();
        out.dedup();
    }
    Ok(out)
}

/// The inclusive key range of a rowid range path; `None` when it is empty.
fn rowid_bounds(
    ctx: &Ctx<'_>,
    lo: &Option<(Seek, bool)>,
    hi: &Option<(Seek, bool)>,
    at: (&[Value], Option<&Env<'_>>),
) -> Result<Option<([u8; 8], [u8; 8])>> {
    let lo = match lo {
        None => Some(i64::MIN),
        Some((s, incl)) => match seek_value(ctx, s, at)? {
            None => return Ok(None),
            Some(v) => lower_rowid(&v, *incl),
        },
    };
    let hi = match hi {
        None => Some(i64::MAX),
        Some((s, incl)) => match seek_value(ctx, s, at)? {
            None => return Ok(None),
            Some(v) => upper_rowid(&v, *incl),
        },
    };
    let (Some(lo), Some(hi)) = (lo, hi) else { return Ok(None) };
    if lo > hi {
        return Ok(None);
    }
    Ok(Some((rowid_key(lo), rowid_key(hi))))
}

/// A bound on a key value (`true` = inclusive).
type KeyBound<'k> = Option<&'k (KeyValue, bool)>;

/// The range bounds of an index path as key values; `None` when a bound is
/// NULL (nothing matches).
#[allow(clippy::type_complexity)]
fn key_bounds(
    ctx: &Ctx<'_>,
    index: &Index,
    at_col: usize,
    (lo, hi): (&Option<(Seek, bool)>, &Option<(Seek, bool)>),
    at: (&[Value], Option<&Env<'_>>),
) -> Result<Option<(Option<(KeyValue, bool)>, Option<(KeyValue, bool)>)>> {
    let coll = index.collations.get(at_col).copied().unwrap_or(Collation::Binary);
    let bound = |b: &Option<(Seek, bool)>| -> Result<Option<Option<(KeyValue, bool)>>> {
        Ok(match b {
            None => Some(None),
            Some((s, incl)) => seek_value(ctx, s, at)?.map(|v| Some((crate::dml::key_value(&v, coll), *incl))),
        })
    };
    let (Some(lo), Some(hi)) = (bound(lo)?, bound(hi)?) else { return Ok(None) };
    Ok(Some((lo, hi)))
}

/// The key values of the leading columns when every probe gives one
/// value; `None` when one gives none.
fn single_prefix(
    ctx: &Ctx<'_>,
    index: &Index,
    eq: &[Probe],
    at: (&[Value], Option<&Env<'_>>),
) -> Result<Option<Vec<KeyValue>>> {
    let mut all = prefixes(ctx, index, eq, at)?;
    Ok(if all.len() == 1 { all.pop() } else { None })
}

/// Every combination of the probes' values, as key values.
fn prefixes(
    ctx: &Ctx<'_>,
    index: &Index,
    eq: &[Probe],
    at: (&[Value], Option<&Env<'_>>),
) -> Result<Vec<Vec<KeyValue>>> {
    let mut out: Vec<Vec<KeyValue>> = vec![Vec::with_capacity(eq.len())];
    for (k, (p, &coll)) in eq.iter().zip(&index.collations).enumerate() {
        let vals = probe_values(ctx, p, at)?;
        let mut keys: Vec<KeyValue> = vals.iter().map(|v| crate::dml::key_value(v, coll)).collect();
        // In index order, so the combinations' entries come in key order
        // (the PRIMARY KEY order a table without rowid is read in); equal
        // values would find the same entries twice.
        keys.sort_by(dosql_storage::keycodec::compare_values);
        keys.dedup_by(|a, b| same_key(a, b));
        if index.desc.get(k).copied().unwrap_or(false) {
            keys.reverse();
        }
        let mut next = Vec::with_capacity(out.len() * keys.len());
        for prefix in &out {
            for k in &keys {
                let mut p = prefix.clone();
                p.push(k.clone());
                next.push(p);
            }
        }
        out = next;
    }
    Ok(out)
}

/// The rowids of the entries of `index` whose leading key values equal
/// `vals` and whose next key value lies within `(lo, hi)`, in index order.
pub(crate) fn index_rowids(
    rd: &dyn Reader,
    index: &Index,
    vals: &[KeyValue],
    bounds: (KeyBound<'_>, KeyBound<'_>),
) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    index_entries(rd, index, vals, bounds, false, &mut |key| {
        if let Some(KeyValue::Integer(r)) = key.last() {
            out.push(*r);
        }
        Ok(true)
    })?;
    Ok(out)
}

/// Calls `f` with the decoded key (key values, then the rowid) of each
/// entry of `index` whose leading values equal `vals` and whose next value
/// lies within `(lo, hi)`, in index order or (`reverse`) against it, until
/// `f` returns false.
fn index_entries(
    rd: &dyn Reader,
    index: &Index,
    vals: &[KeyValue],
    (lo, hi): (KeyBound<'_>, KeyBound<'_>),
    reverse: bool,
    f: &mut dyn FnMut(&[KeyValue]) -> Result<bool>,
) -> Result<()> {
    let (range, check) = index_range(rd, index, vals, (lo.cloned(), hi.cloned()))?;
    walk(range, reverse, &mut |k| match check.key(k, index)? {
        Some(decoded) => f(&decoded),
        None => Ok(true),
    })
}

/// A bound on a key value, owned (`true` = inclusive).
type OwnedBound = Option<(KeyValue, bool)>;

/// What decides whether an index entry of a range lies within the path's
/// bounds: the range holds every key with the path's leading values, and
/// the bounds on the next column are checked per key.
struct KeyCheck {
    /// The column the bounds apply to.
    at: usize,
    /// Each key part's direction, the rowid's last.
    all_desc: Vec<bool>,
    lo: OwnedBound,
    hi: OwnedBound,
}

impl KeyCheck {
    /// The decoded key (key values, then the rowid), or `None` when the
    /// entry lies outside the bounds.
    fn key(&self, k: &[u8], index: &Index) -> Result<Option<Vec<KeyValue>>> {
        let decoded = decode_key_with_order(k, &self.all_desc)
            .map_err(|_| Error::Sql(format!("database disk image is malformed (index {})", index.name)))?;
        if self.lo.is_some() || self.hi.is_some() {
            // Exclusive bounds, and NULLs, which no comparison accepts.
            let Some(v) = decoded.get(self.at) else { return Ok(None) };
            let out_lo = self.lo.as_ref().is_some_and(|(b, incl)| !within(v, b, *incl, Ordering::Greater));
            let out_hi = self.hi.as_ref().is_some_and(|(b, incl)| !within(v, b, *incl, Ordering::Less));
            if out_lo || out_hi || *v == KeyValue::Null {
                return Ok(None);
            }
        }
        Ok(Some(decoded))
    }
}

/// The range of `index` holding the entries whose leading values equal
/// `vals` and whose next value may lie within `(lo, hi)`, and the check
/// each of its keys must pass.
fn index_range(
    rd: &dyn Reader,
    index: &Index,
    vals: &[KeyValue],
    (lo, hi): (OwnedBound, OwnedBound),
) -> Result<(dosql_storage::Range, KeyCheck)> {
    let at = vals.len();
    let desc_k = index.desc.get(at).copied().unwrap_or(false);
    // The entries with these leading values are exactly the keys between
    // the prefix's body and that body followed by 0xFF; a bound on the next
    // column narrows that on the side where its values sort.
    let (first, last) = if desc_k { (&hi, &lo) } else { (&lo, &hi) };
    let body = |extra: &OwnedBound| {
        let mut v = vals.to_vec();
        if let Some((b, _)) = extra {
            v.push(b.clone());
        }
        let desc = &index.desc[..v.len().min(index.desc.len())];
        encode_prefix_body(&v, desc)
    };
    let start = body(first);
    let mut end = body(last);
    end.push(0xFF);
    let mut all_desc = index.desc.clone();
    all_desc.push(false);
    let range = rd.range(index.tree, Bound::Included(&start[..]), Bound::Included(&end[..]))?;
    Ok((range, KeyCheck { at, all_desc, lo, hi }))
}

/// Rows of a path that reads one key range in order (a scan, a rowid
/// range, an ordered index read), pulled one at a time: what
/// [`visit`] loops over, and what a streamed query holds between rows.
pub struct PathCursor {
    /// `None` when nothing matches (a bound is NULL).
    range: Option<dosql_storage::Range>,
    reverse: bool,
    step: CursorStep,
}

/// How a [`PathCursor`] turns an entry of its range into a row.
enum CursorStep {
    /// Entries of a rowid table.
    Rows,
    /// Entries of a WITHOUT ROWID table's primary key: its last part is the
    /// rowid the row is stored under.
    PrimaryKey,
    /// Entries of an index, read from the keys when it covers the query.
    Index { check: KeyCheck, covering: bool },
    /// A lookup of one rowid (`None` once read, or when the value cannot
    /// be a rowid).
    Rowid(Option<i64>),
    /// A lookup of several keys: the rowids it found, in the table's
    /// order, each row read when it is reached.
    Rowids(std::vec::IntoIter<i64>),
    /// A covering index read in the table's order: the rows its keys give
    /// (`None` where a key cannot stand for the stored value), by rowid.
    Covered(std::vec::IntoIter<(i64, Option<Vec<Value>>)>),
}

impl PathCursor {
    /// Whether a streamed query reads `access` through a cursor, known
    /// without evaluating anything: every path but a lookup of one rowid,
    /// which is quicker run to completion (the complete run's short path
    /// for it, `exec::point_row`, asks the same).
    pub fn streams(access: &Access) -> bool {
        !matches!(access, Access::RowidEq(p) if p.is_single())
    }

    /// The cursor of `access` over `table`; `at` is what lookup values may
    /// read (see [`visit`]). A path that reads one key range (a scan, a
    /// rowid range, an index read in its order) is read as it is pulled;
    /// a lookup of several keys finds their rowids when it opens (8 bytes
    /// a row; the rows of a covering index) and reads each row as it is
    /// reached.
    pub fn open(ctx: &Ctx<'_>, table: &Table, access: &Access, at: (&[Value], Option<&Env<'_>>)) -> Result<PathCursor> {
        let empty = || PathCursor { range: None, reverse: false, step: CursorStep::Rows };
        Ok(match access {
            Access::Scan => match table.without_rowid {
                None => PathCursor { range: Some(ctx.rd.scan(table.tree)?), reverse: false, step: CursorStep::Rows },
                Some(pk_tree) => {
                    PathCursor { range: Some(ctx.rd.scan(pk_tree)?), reverse: false, step: CursorStep::PrimaryKey }
                }
            },
            Access::RowidRange { lo, hi, reverse } => {
                let Some((lk, hk)) = rowid_bounds(ctx, lo, hi, at)? else { return Ok(empty()) };
                let range = ctx.rd.range(table.tree, Bound::Included(&lk[..]), Bound::Included(&hk[..]))?;
                PathCursor { range: Some(range), reverse: *reverse, step: CursorStep::Rows }
            }
            Access::Index { index, eq, lo, hi, order, covering } if *order != Order::Table => {
                let Some(vals) = single_prefix(ctx, index, eq, at)? else { return Ok(empty()) };
                let Some(bounds) = key_bounds(ctx, index, eq.len(), (lo, hi), at)? else { return Ok(empty()) };
                let (range, check) = index_range(ctx.rd, index, &vals, bounds)?;
                PathCursor {
                    range: Some(range),
                    reverse: *order == Order::Backward,
                    step: CursorStep::Index { check, covering: *covering },
                }
            }
            Access::RowidEq(Probe::One(seek)) => {
                let rowid = seek_value(ctx, seek, at)?.as_ref().and_then(exact_integer);
                PathCursor { range: None, reverse: false, step: CursorStep::Rowid(rowid) }
            }
            Access::Index { index, covering: true, eq, lo, hi, .. } => {
                // Rows from the keys, put back in the table's order.
                let mut found = Vec::new();
                let Some(bounds) = key_bounds(ctx, index, eq.len(), (lo, hi), at)? else { return Ok(empty()) };
                for vals in prefixes(ctx, index, eq, at)? {
                    let b = (bounds.0.as_ref(), bounds.1.as_ref());
                    index_entries(ctx.rd, index, &vals, b, false, &mut |key| {
                        let Some(KeyValue::Integer(r)) = key.last() else { return Err(malformed(table)) };
                        found.push((*r, covered_row(table, index, key)));
                        Ok(true)
                    })?;
                }
                if table.without_rowid.is_none() {
                    found.sort_unstable_by_key(|(r, _)| *r);
                    found.dedup_by_key(|(r, _)| *r);
                }
                PathCursor { range: None, reverse: false, step: CursorStep::Covered(found.into_iter()) }
            }
            _ => {
                let rowids = candidate_rowids(ctx, table, access, at)?;
                PathCursor { range: None, reverse: false, step: CursorStep::Rowids(rowids.into_iter()) }
            }
        })
    }

    /// The next row, or `None` at the end. `table` and `access` are those
    /// the cursor was opened with.
    pub fn next(&mut self, rd: &dyn Reader, table: &Table, access: &Access) -> Result<Option<Vec<Value>>> {
        let mut row = Vec::new();
        Ok(self.next_into(rd, table, access, &mut row)?.then_some(row))
    }

    /// [`PathCursor::next`] into `out` (false at the end): a table row is
    /// decoded over the previous one, reusing its allocations.
    pub fn next_into(&mut self, rd: &dyn Reader, table: &Table, access: &Access, out: &mut Vec<Value>) -> Result<bool> {
        match &mut self.step {
            CursorStep::Rowid(id) => {
                return match id.take() {
                    Some(r) => stored_row_into(rd, table, r, out),
                    None => Ok(false),
                };
            }
            CursorStep::Rowids(ids) => {
                for r in ids.by_ref() {
                    crate::interrupt::check()?;
                    if put_row(out, stored_row(rd, table, r)?) {
                        return Ok(true);
                    }
                }
                return Ok(false);
            }
            CursorStep::Covered(rows) => {
                for (r, row) in rows.by_ref() {
                    crate::interrupt::check()?;
                    let row = match row {
                        Some(row) => Some(row),
                        None => stored_row(rd, table, r)?,
                    };
                    if put_row(out, row) {
                        return Ok(true);
                    }
                }
                return Ok(false);
            }
            _ => {}
        }
        let Some(range) = self.range.as_mut() else { return Ok(false) };
        let rows = matches!(self.step, CursorStep::Rows);
        loop {
            crate::interrupt::check()?;
            // A table row decodes straight from the page; other paths look
            // further with the key.
            let entry = range.step_with(self.reverse, |k, v| match rows {
                true => Got::Row(key_rowid(k).ok_or_else(|| malformed(table)).and_then(|r| row_into(table, r, v, out))),
                false => Got::Key(k.to_vec()),
            });
            let Some(entry) = entry else { return Ok(false) };
            let k = match entry? {
                Got::Row(done) => return done.map(|()| true),
                Got::Key(k) => k,
            };
            match &self.step {
                CursorStep::Rows | CursorStep::Rowid(_) | CursorStep::Rowids(_) | CursorStep::Covered(_) => {
                    return Err(malformed(table));
                }
                CursorStep::PrimaryKey => {
                    let parts = dosql_storage::keycodec::decode_key(&k).map_err(|_| malformed(table))?;
                    let Some(KeyValue::Integer(rowid)) = parts.last() else {
                        return Err(malformed(table));
                    };
                    return Ok(put_row(out, Some(stored_row(rd, table, *rowid)?.ok_or_else(|| malformed(table))?)));
                }
                CursorStep::Index { check, covering } => {
                    let Access::Index { index, .. } = access else { return Err(malformed(table)) };
                    let Some(key) = check.key(&k, index)? else { continue };
                    if let Some(r) = covering.then(|| covered_row(table, index, &key)).flatten() {
                        return Ok(put_row(out, Some(r)));
                    }
                    let Some(KeyValue::Integer(r)) = key.last() else { return Err(malformed(table)) };
                    if put_row(out, stored_row(rd, table, *r)?) {
                        return Ok(true);
                    }
                }
            }
        }
    }
}

/// What [`PathCursor::next_into`] takes from an entry while it is borrowed:
/// a table row (decoded into the caller's vector) or a key to look further
/// with.
enum Got {
    Row(Result<()>),
    Key(Vec<u8>),
}

/// Calls `step` with the key of each entry of `range`, in key order or
/// (`reverse`) against it, until it returns false.
fn walk(mut range: dosql_storage::Range, reverse: bool, step: &mut dyn FnMut(&[u8]) -> Result<bool>) -> Result<()> {
    loop {
        crate::interrupt::check()?;
        let Some(go) = range.step_with(reverse, |k, _| step(k)) else { break };
        if !go?? {
            break;
        }
    }
    Ok(())
}

/// The row an index entry's key gives when the index covers the query:
/// its columns, the rowid, NULL elsewhere (the query reads nothing else).
/// `None` when a key value may differ from the stored one (a zero REAL,
/// whose sign the key drops).
fn covered_row(table: &Table, index: &Index, key: &[KeyValue]) -> Option<Vec<Value>> {
    let n = table.columns.len();
    let mut row = vec![Value::Null; n + 1];
    for (k, &col) in index.columns.iter().enumerate() {
        if index.exprs.get(k).is_some_and(Option::is_some) {
            continue;
        }
        let v = match key.get(k)? {
            KeyValue::Null => Value::Null,
            KeyValue::Integer(i) => Value::Integer(*i),
            KeyValue::Real(r) if *r == 0.0 => return None,
            KeyValue::Real(r) => Value::Real(*r),
            KeyValue::Text(t) => Value::Text(t.clone()),
            KeyValue::Blob(b) => Value::Blob(b.clone()),
        };
        *row.get_mut(col)? = v;
    }
    let Some(KeyValue::Integer(rowid)) = key.last() else { return None };
    row[n] = Value::Integer(*rowid);
    if let Some(a) = table.rowid_alias {
        *row.get_mut(a)? = Value::Integer(*rowid);
    }
    Some(row)
}

/// Every row of `table` in scan order: rowid order, or PRIMARY KEY order
/// for a table without rowid.
fn scan(rd: &dyn Reader, table: &Table, f: &mut dyn FnMut(Vec<Value>) -> Result<bool>) -> Result<()> {
    let (range, step) = match table.without_rowid {
        None => (rd.scan(table.tree)?, CursorStep::Rows),
        Some(pk_tree) => (rd.scan(pk_tree)?, CursorStep::PrimaryKey),
    };
    let mut cursor = PathCursor { range: Some(range), reverse: false, step };
    while let Some(row) = cursor.next(rd, table, &Access::Scan)? {
        if !f(row)? {
            break;
        }
    }
    Ok(())
}

/// Every row of `table` (columns, then the rowid), in scan order.
pub fn table_rows(rd: &dyn Reader, table: &Table) -> Result<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    scan(rd, table, &mut |r| {
        out.push(r);
        Ok(true)
    })?;
    Ok(out)
}

/// Whether `v` compares `side` of (or equal to, `incl`) the bound `b`.
fn within(v: &KeyValue, b: &KeyValue, incl: bool, side: Ordering) -> bool {
    let o = dosql_storage::keycodec::compare_values(v, b);
    o == side || (incl && o == Ordering::Equal)
}

fn same_key(a: &KeyValue, b: &KeyValue) -> bool {
    dosql_storage::keycodec::compare_values(a, b) == Ordering::Equal
}

fn malformed(table: &Table) -> Error {
    Error::Sql(format!("database disk image is malformed (table {})", table.name))
}

/// The row stored under `rowid`, decoded straight from its leaf; `None`
/// when there is none.
fn stored_row(rd: &dyn Reader, table: &Table, rowid: i64) -> Result<Option<Vec<Value>>> {
    let mut row = Vec::new();
    Ok(stored_row_into(rd, table, rowid, &mut row)?.then_some(row))
}

/// [`stored_row`] decoded into `out` (false when there is no such row),
/// reusing its allocations.
fn stored_row_into(rd: &dyn Reader, table: &Table, rowid: i64, out: &mut Vec<Value>) -> Result<bool> {
    let mut found = None;
    rd.get_with(table.tree, &rowid_key(rowid), &mut |v| found = Some(row_into(table, rowid, v, out)))?;
    found.transpose().map(|f| f.is_some())
}

/// A stored row as the executor sees it (its columns, then its rowid),
/// decoded into `row`, reusing its allocations.
fn row_into(table: &Table, rowid: i64, record: &[u8], row: &mut Vec<Value>) -> Result<()> {
    decode_row_into(record, table.columns.len() + 1, row).ok_or_else(|| malformed(table))?;
    row.resize(table.columns.len(), Value::Null);
    row.push(Value::Integer(rowid));
    Ok(())
}

/// 2^63: the first real past every i64.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// The integer a rowid must equal to compare equal to `v`.
fn exact_integer(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Real(r) if r.fract() == 0.0 && *r >= -TWO_63 && *r < TWO_63 => Some(*r as i64),
        _ => None,
    }
}

/// The least rowid greater than (or equal to, `incl`) `v`; `None` when
/// there is none. Every integer sorts before text and blobs.
fn lower_rowid(v: &Value, incl: bool) -> Option<i64> {
    match v {
        Value::Integer(i) if incl => Some(*i),
        Value::Integer(i) => i.checked_add(1),
        Value::Real(r) => {
            let c = if incl { r.ceil() } else { r.floor() + 1.0 };
            if c >= TWO_63 {
                None
            } else if c < -TWO_63 {
                Some(i64::MIN)
            } else {
                Some(c as i64)
            }
        }
        _ => None,
    }
}

/// The greatest rowid less than (or equal to, `incl`) `v`; `None` when
/// there is none.
fn upper_rowid(v: &Value, incl: bool) -> Option<i64> {
    match v {
        Value::Integer(i) if incl => Some(*i),
        Value::Integer(i) => i.checked_sub(1),
        Value::Real(r) => {
            let f = if incl { r.floor() } else { r.ceil() - 1.0 };
            if f < -TWO_63 {
                None
            } else if f >= TWO_63 {
                Some(i64::MAX)
            } else {
                Some(f as i64)
            }
        }
        _ => Some(i64::MAX),
    }
}

/// Plans how a simple query over one table reads it, once its ORDER BY and
/// LIMIT are known: whether the access path can give rows in ORDER BY
/// order (then the executor may stop after LIMIT rows), possibly by
/// reading an index or the rowid in order instead of scanning when a LIMIT
/// makes that pay; whether `min(x)` / `max(x)` can read just the first
/// entries of an index; and which index paths cover the query.
pub(crate) fn plan_order(schema: &Schema, core: &mut CorePlan, keys: &[SortKey], limited: bool) {
    if schema.scan_only || core.values.is_some() || !core.windows.is_empty() {
        return mark_covering(core, keys);
    }
    let minmax = minmax_key(core);
    // Without ORDER BY any source's rows are in order: LIMIT may stop it.
    if keys.is_empty() && !core.aggregate && !core.distinct && !matches!(core.source, Source::Table(_)) {
        core.ordered = true;
    }
    if let Source::Table(t) = &mut core.source {
        if let Some((slot, key)) = minmax {
            if deliver_order(schema, &t.table, &mut t.access, std::slice::from_ref(&key), true) {
                core.first_row = Some(slot);
            }
        } else if !core.aggregate && !core.distinct {
            core.ordered = keys.is_empty() || deliver_order(schema, &t.table, &mut t.access, keys, limited);
            // Without a LIMIT, reading an index in order instead of sorting
            // a scan pays when the index covers the query.
            if !core.ordered && matches!(t.access, Access::Scan) {
                let mut access = Access::Scan;
                if deliver_order(schema, &t.table, &mut access, keys, true) {
                    t.access = access;
                    core.ordered = true;
                    mark_covering(core, keys);
                    if let Source::Table(t) = &mut core.source
                        && matches!(t.access, Access::Index { covering: false, .. })
                    {
                        t.access = Access::Scan;
                        core.ordered = false;
                    }
                }
            }
        } else if core.aggregate && !core.group_by.is_empty() {
            // Groups read in index order need no sort; only a forward read
            // keeps equal keys in scan order, as sorting them would.
            let group_keys: Vec<SortKey> = core
                .group_by
                .iter()
                .map(|g| SortKey {
                    expr: g.clone(),
                    desc: false,
                    nulls_first: true,
                    coll: crate::bind::expr_collation(g),
                })
                .collect();
            let mut access = t.access.clone();
            let was_scan = matches!(t.access, Access::Scan);
            if deliver_order(schema, &t.table, &mut access, &group_keys, true)
                && matches!(access, Access::Index { order: Order::Forward, .. } | Access::Scan)
            {
                t.access = access;
                core.grouped = true;
                mark_covering(core, keys);
                // Reading a whole index and the table row of each entry costs
                // more than a scan and a sort: only a covering index pays.
                if let Source::Table(t) = &mut core.source
                    && was_scan
                    && matches!(t.access, Access::Index { covering: false, .. })
                {
                    t.access = Access::Scan;
                    core.grouped = false;
                }
            }
        }
    }
    mark_covering(core, keys);
}

/// For `SELECT min(x) ...` / `max(x)` over one table without GROUP BY:
/// the column's slot and the order whose first non-NULL row holds the
/// answer.
fn minmax_key(core: &CorePlan) -> Option<(usize, SortKey)> {
    if !core.aggregate || !core.group_by.is_empty() || core.distinct || core.aggs.len() != 1 {
        return None;
    }
    let a = core.aggs.first()?;
    let max = match a.name.as_str() {
        "min" => false,
        "max" => true,
        _ => return None,
    };
    if a.distinct || a.star || a.filter.is_some() || a.args.len() != 1 {
        return None;
    }
    let arg = a.args.first()?;
    let BExpr::Col { depth: 0, idx, .. } = arg else { return None };
    let coll = crate::bind::expr_collation(arg);
    Some((*idx, SortKey { expr: arg.clone(), desc: max, nulls_first: !max, coll }))
}

/// Whether `access` can give the rows of `table` in `keys` order, adjusting
/// its direction (and, with `switch`, replacing a full scan by an ordered
/// read of an index) so that it does.
fn deliver_order(schema: &Schema, table: &Table, access: &mut Access, keys: &[SortKey], switch: bool) -> bool {
    let n = table.columns.len();
    let mut slots = Vec::with_capacity(keys.len());
    for k in keys {
        match &k.expr {
            BExpr::Col { depth: 0, idx, .. } if *idx <= n => slots.push(*idx),
            _ => return false,
        }
    }
    let rowid_table = table.without_rowid.is_none();
    let by_rowid = rowid_table && slots.first().is_some_and(|&s| s == n || Some(s) == table.rowid_alias);
    let first_desc = keys.first().is_some_and(|k| k.desc);
    match access {
        Access::RowidEq(Probe::One(_)) => true,
        Access::RowidRange { reverse, .. } if by_rowid => {
            *reverse = first_desc;
            true
        }
        Access::Scan if by_rowid => {
            if first_desc {
                *access = Access::RowidRange { lo: None, hi: None, reverse: true };
            }
            true
        }
        Access::Index { index, eq, order, .. } if eq.iter().all(Probe::is_single) => {
            match index_order(table, index, eq.len(), keys, &slots) {
                Some(rev) => {
                    *order = if rev { Order::Backward } else { Order::Forward };
                    true
                }
                None => false,
            }
        }
        Access::Scan => {
            // A table without rowid is scanned in PRIMARY KEY order; a
            // rowid table can read an index in order instead, when a LIMIT
            // makes that cheaper than sorting everything.
            let candidates: Vec<&Index> = schema
                .table_indexes(&table.name)
                .filter(|i| i.where_.is_none())
                .filter(|i| if rowid_table { switch } else { Some(i.tree) == table.without_rowid })
                .collect();
            let mut best: Option<(&Index, bool)> = None;
            for i in candidates {
                if let Some(rev) = index_order(table, i, 0, keys, &slots)
                    && best.is_none_or(|(b, _)| i.columns.len() < b.columns.len())
                {
                    best = Some((i, rev));
                }
            }
            match best {
                None => false,
                Some((_, false)) if !rowid_table => true,
                Some((i, rev)) => {
                    let order = if rev { Order::Backward } else { Order::Forward };
                    *access = Access::Index {
                        index: Box::new(i.clone()),
                        eq: Vec::new(),
                        lo: None,
                        hi: None,
                        order,
                        covering: false,
                    };
                    true
                }
            }
        }
        _ => false,
    }
}

/// Whether reading `index` with its first `fixed` columns fixed gives rows
/// in `keys` order (`slots`: the column each key reads): `Some(reverse)`
/// says in which direction.
fn index_order(table: &Table, index: &Index, fixed: usize, keys: &[SortKey], slots: &[usize]) -> Option<bool> {
    let n = table.columns.len();
    let plain = |k: usize| index.exprs.get(k).is_none_or(Option::is_none);
    let is_fixed = |s: usize| index.columns.iter().take(fixed).enumerate().any(|(k, &c)| c == s && plain(k));
    let pk = Some(index.tree) == table.without_rowid;
    let mut rev: Option<bool> = None;
    let mut k = fixed;
    for (key, &s) in keys.iter().zip(slots) {
        // Only the default NULL placement follows the index.
        if key.nulls_first == key.desc {
            return None;
        }
        if is_fixed(s) {
            continue;
        }
        let r = if let Some(&col) = index.columns.get(k) {
            if !plain(k) || col != s || index.collations.get(k).copied().unwrap_or(Collation::Binary) != key.coll {
                return None;
            }
            k += 1;
            key.desc != index.desc.get(k - 1).copied().unwrap_or(false)
        } else if pk {
            // The PRIMARY KEY is unique: later keys never decide.
            return Some(rev.unwrap_or(false));
        } else if table.without_rowid.is_none() && (s == n || Some(s) == table.rowid_alias) {
            // Entries with equal values follow in rowid order; the rowid is
            // unique.
            return if rev.is_some_and(|x| x != key.desc) { None } else { Some(key.desc) };
        } else {
            return None;
        };
        if rev.is_some_and(|x| x != r) {
            return None;
        }
        rev = Some(r);
    }
    Some(rev.unwrap_or(false))
}

/// Marks each index path of the core's tables that holds every column the
/// query reads from that table (then rows are built from index keys). A
/// query with subqueries keeps reading tables: they may read any column.
pub(crate) fn mark_covering(core: &mut CorePlan, keys: &[SortKey]) {
    let mut used = Vec::new();
    let mut ok = true;
    fn walk(e: &BExpr, used: &mut Vec<usize>, ok: &mut bool) {
        match e {
            BExpr::Col { depth: 0, idx, .. } => used.push(*idx),
            BExpr::Exists { .. } | BExpr::InSelect { .. } | BExpr::Subquery(..) => *ok = false,
            _ => {}
        }
        e.for_each_child(&mut |c| walk(c, used, ok));
    }
    core.for_each_expr(&mut |e| walk(e, &mut used, &mut ok));
    for k in keys {
        walk(&k.expr, &mut used, &mut ok);
    }
    if !ok {
        return;
    }
    fn tables(src: &mut Source, offset: usize, used: &[usize]) {
        match src {
            Source::Table(t) => {
                if let Access::Index { index, covering, .. } = &mut t.access {
                    *covering = covers(&t.table, index, used, offset);
                }
            }
            Source::Join { left, right, left_width, .. } => {
                tables(left, offset, used);
                tables(right, offset + *left_width, used);
            }
            _ => {}
        }
    }
    tables(&mut core.source, 0, &used);
    let Some((leaves, _)) = crate::join::leaves(&core.source) else { return };
    for step in core.join.iter_mut().flat_map(|j| j.steps.iter_mut()) {
        if let (Some((offset, Source::Table(t))), Access::Index { index, covering, .. }) =
            (leaves.get(step.leaf), &mut step.access)
        {
            *covering = covers(&t.table, index, &used, *offset);
        }
    }
}

/// Whether the keys of `index` hold the stored values of every slot of
/// `table` (whose row starts at `offset`) in `used` (slots of the query's
/// row): its plain columns under BINARY, whose keys keep text as stored,
/// and the rowid.
fn covers(table: &Table, index: &Index, used: &[usize], offset: usize) -> bool {
    let n = table.columns.len();
    used.iter().filter_map(|&s| s.checked_sub(offset).filter(|&s| s <= n)).all(|s| {
        s == n
            || Some(s) == table.rowid_alias
            || index.columns.iter().enumerate().any(|(k, &c)| {
                c == s
                    && index.exprs.get(k).is_none_or(Option::is_none)
                    && index.collations.get(k).copied().unwrap_or(Collation::Binary) == Collation::Binary
            })
    })
}
