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
//! tested against the whole WHERE clause, so a path is correct as long as
//! it never misses a row its terms could accept. Candidates come back in
//! the order a full scan gives (rowid order, or PRIMARY KEY order for a
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
use crate::exec::{Ctx, Env, Reader, eval};
use crate::plan::{BExpr, Source};
use crate::record::{decode_row, key_rowid, rowid_key};
use crate::schema::{Index, Schema, Table};
use crate::value::{Affinity, Collation, Value, prepare_comparison};
use dosql_storage::keycodec::{KeyValue, decode_key_with_order, encode_key_with_order};
use std::cmp::Ordering;
use std::ops::Bound;

/// How a table's candidate rows are found.
#[derive(Debug, Clone, Default)]
pub enum Access {
    /// Every row.
    #[default]
    Scan,
    /// The row with one rowid.
    RowidEq(Seek),
    /// Rows whose rowid lies between two bounds (`true` = inclusive).
    RowidRange {
        /// Lower bound.
        lo: Option<(Seek, bool)>,
        /// Upper bound.
        hi: Option<(Seek, bool)>,
    },
    /// Rows whose key in `index` starts with the values of `eq`, and
    /// whose next key column lies between `lo` and `hi` when they are set.
    Index {
        /// The index.
        index: Box<Index>,
        /// One value per leading key column.
        eq: Vec<Seek>,
        /// Lower bound on the next column (`true` = inclusive).
        lo: Option<(Seek, bool)>,
        /// Upper bound on the next column.
        hi: Option<(Seek, bool)>,
    },
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

/// A comparison `column op value` found in the WHERE clause.
struct Term<'e> {
    /// The column's slot (the table's column count for the rowid).
    col: usize,
    op: BinaryOp,
    value: &'e BExpr,
    col_aff: Option<Affinity>,
    coll: Collation,
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
    choose_in(schema, table, conjuncts, offset, offset)
}

/// [`choose_at`] where lookup values may read only the slots before
/// `readable` (0: none, the values are the same for every row).
fn choose_in(schema: &Schema, table: &Table, conjuncts: &[&BExpr], offset: usize, readable: usize) -> Access {
    if schema.scan_only {
        return Access::Scan;
    }
    let width = table.columns.len() + 1;
    let mut terms = Vec::new();
    for c in conjuncts {
        collect_terms(c, &mut terms, readable);
    }
    terms.retain(|t| t.col >= offset && t.col < offset + width);
    terms.iter_mut().for_each(|t| t.col -= offset);
    let n = table.columns.len();
    let is_rowid = |c: usize| c == n || Some(c) == table.rowid_alias;
    let seek =
        |t: &Term<'_>| Seek { expr: t.value.clone(), aff: crate::bind::expr_affinity(t.value), col_aff: t.col_aff };
    let rowid_table = table.without_rowid.is_none();
    if rowid_table && let Some(t) = terms.iter().find(|t| is_rowid(t.col) && t.op == BinaryOp::Eq && usable(t)) {
        return Access::RowidEq(seek(t));
    }
    // The index with the longest prefix of columns fixed by `=` (then a
    // range on the next column; then the narrower index; on a full tie the
    // newest, which `table_indexes` lists first, as SQLite picks).
    type Choice<'i> = (&'i Index, Vec<Seek>, Option<(Seek, bool)>, Option<(Seek, bool)>);
    let mut best: Option<Choice<'_>> = None;
    let score = |c: &Choice<'_>| (c.1.len(), c.2.is_some() || c.3.is_some(), usize::MAX - c.0.columns.len());
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
        if index.where_.is_some() || (!rowid_table && Some(index.tree) != table.without_rowid) {
            continue;
        }
        let mut eq = Vec::new();
        let (mut lo, mut hi) = (None, None);
        for (k, &col) in index.columns.iter().enumerate() {
            if index.exprs.get(k).is_some_and(Option::is_some) {
                break;
            }
            let coll = index.collations.get(k).copied().unwrap_or(Collation::Binary);
            let term = |ops: &[BinaryOp]| {
                terms.iter().find(|t| t.col == col && ops.contains(&t.op) && t.coll == coll && usable(t))
            };
            if let Some(t) = term(&[BinaryOp::Eq]) {
                eq.push(seek(t));
                continue;
            }
            lo = term(&[BinaryOp::Gt, BinaryOp::GtEq]).map(|t| (seek(t), t.op == BinaryOp::GtEq));
            hi = term(&[BinaryOp::Lt, BinaryOp::LtEq]).map(|t| (seek(t), t.op == BinaryOp::LtEq));
            break;
        }
        let choice = (index, eq, lo, hi);
        let useful = !choice.1.is_empty() || choice.2.is_some() || choice.3.is_some();
        if useful && best.as_ref().is_none_or(|b| better(&choice, b)) {
            best = Some(choice);
        }
    }
    if let Some((index, eq, lo, hi)) = best {
        // A rowid lookup range beats an index range with nothing fixed.
        let rowid_range = rowid_table && terms.iter().any(|t| is_rowid(t.col) && t.op != BinaryOp::Eq && usable(t));
        if !eq.is_empty() || !rowid_range {
            return Access::Index { index: Box::new(index.clone()), eq, lo, hi };
        }
    }
    if rowid_table {
        let bound = |ops: [BinaryOp; 2]| {
            terms
                .iter()
                .find(|t| is_rowid(t.col) && ops.contains(&t.op) && usable(t))
                .map(|t| (seek(t), t.op == ops[1]))
        };
        let lo = bound([BinaryOp::Gt, BinaryOp::GtEq]);
        let hi = bound([BinaryOp::Lt, BinaryOp::LtEq]);
        if lo.is_some() || hi.is_some() {
            return Access::RowidRange { lo, hi };
        }
    }
    Access::Scan
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
            let readable = if lookback { offset } else { 0 };
            t.access = choose_in(schema, &t.table, &c, offset, readable);
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
/// reads no slot at or after `offset` of the current row.
fn collect_terms<'e>(c: &'e BExpr, out: &mut Vec<Term<'e>>, offset: usize) {
    use BinaryOp::*;
    let free = |e: &BExpr| row_free(e, offset);
    match c {
        BExpr::Bin { op: op @ (Eq | Lt | LtEq | Gt | GtEq), l, r, coll } => {
            if let (BExpr::Col { depth: 0, idx, aff, .. }, true) = (&**l, free(r)) {
                out.push(Term { col: *idx, op: *op, value: r, col_aff: *aff, coll: *coll });
            } else if let (BExpr::Col { depth: 0, idx, aff, .. }, true) = (&**r, free(l)) {
                let flipped = match op {
                    Lt => Gt,
                    LtEq => GtEq,
                    Gt => Lt,
                    GtEq => LtEq,
                    other => *other,
                };
                out.push(Term { col: *idx, op: flipped, value: l, col_aff: *aff, coll: *coll });
            }
        }
        BExpr::Between { e, lo, hi, negated: false, coll, coll_hi } => {
            if let BExpr::Col { depth: 0, idx, aff, .. } = &**e {
                if free(lo) {
                    out.push(Term { col: *idx, op: GtEq, value: lo, col_aff: *aff, coll: *coll });
                }
                if free(hi) {
                    out.push(Term { col: *idx, op: LtEq, value: hi, col_aff: *aff, coll: *coll_hi });
                }
            }
        }
        _ => {}
    }
}

/// Whether `e` can be computed before the table's row is read: literals,
/// parameters, outer columns, slots before `offset` and operators over them
/// (no function calls, which may not be deterministic, and no subqueries).
fn row_free(e: &BExpr, offset: usize) -> bool {
    match e {
        BExpr::Lit(_) | BExpr::Param(_) => true,
        BExpr::Col { depth, idx, .. } => *depth > 0 || *idx < offset,
        BExpr::Bin { op, l, r, .. } => {
            !matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Arrow | BinaryOp::LongArrow)
                && row_free(l, offset)
                && row_free(r, offset)
        }
        BExpr::Unary { e, .. } | BExpr::Cast { e, .. } | BExpr::Collate { e, .. } => row_free(e, offset),
        _ => false,
    }
}

impl Access {
    /// Whether its lookup values read the row of the tables joined before
    /// (so the rows must be found again for each of their rows).
    pub fn reads_left(&self) -> bool {
        fn reads(e: &BExpr) -> bool {
            if let BExpr::Col { depth: 0, .. } = e {
                return true;
            }
            let mut found = false;
            e.for_each_child(&mut |c| found = found || reads(c));
            found
        }
        let seeks: Vec<&Seek> = match self {
            Access::Scan => Vec::new(),
            Access::RowidEq(s) => vec![s],
            Access::RowidRange { lo, hi } | Access::Index { lo, hi, .. } => {
                let mut v: Vec<&Seek> = lo.iter().chain(hi.iter()).map(|(s, _)| s).collect();
                if let Access::Index { eq, .. } = self {
                    v.extend(eq);
                }
                v
            }
        };
        seeks.iter().any(|s| reads(&s.expr))
    }
}

/// Whether comparing through an index on the term's column agrees with
/// the comparison: its affinity must leave the column's values as stored.
fn usable(t: &Term<'_>) -> bool {
    let v_aff = crate::bind::expr_affinity(t.value);
    let col_numeric = t.col_aff.is_some_and(Affinity::is_numeric);
    match crate::value::comparison_affinity(t.col_aff, v_aff) {
        Some(a) if a.is_numeric() => col_numeric,
        Some(Affinity::Text) => t.col_aff == Some(Affinity::Text),
        _ => true,
    }
}

/// The lookup value of `s`, converted as the comparison converts it; `None`
/// when it is NULL (no row compares equal, less or greater).
fn seek_value(ctx: &Ctx<'_>, s: &Seek, (left, parent): (&[Value], Option<&Env<'_>>)) -> Result<Option<Value>> {
    let v = eval(ctx, &s.expr, &Env { row: left, aggs: &[], parent })?;
    if v == Value::Null {
        return Ok(None);
    }
    // A text operand on the other side makes the comparison convert.
    let (v, _) = prepare_comparison(v, s.aff, Value::Text(String::new()), s.col_aff);
    Ok(Some(v))
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
    let parent = (left, parent);
    match access {
        Access::Scan => crate::exec::table_rows(ctx.rd, table),
        Access::RowidEq(s) => {
            let Some(rowid) = seek_value(ctx, s, parent)?.and_then(|v| exact_integer(&v)) else {
                return Ok(Vec::new());
            };
            fetch(ctx, table, &[rowid])
        }
        Access::RowidRange { lo, hi } => {
            let lo = match lo {
                None => Some(i64::MIN),
                Some((s, incl)) => match seek_value(ctx, s, parent)? {
                    None => return Ok(Vec::new()),
                    Some(v) => lower_rowid(&v, *incl),
                },
            };
            let hi = match hi {
                None => Some(i64::MAX),
                Some((s, incl)) => match seek_value(ctx, s, parent)? {
                    None => return Ok(Vec::new()),
                    Some(v) => upper_rowid(&v, *incl),
                },
            };
            let (Some(lo), Some(hi)) = (lo, hi) else { return Ok(Vec::new()) };
            if lo > hi {
                return Ok(Vec::new());
            }
            let (lk, hk) = (rowid_key(lo), rowid_key(hi));
            let mut out = Vec::new();
            for entry in ctx.rd.range(table.tree, Bound::Included(&lk[..]), Bound::Included(&hk[..]))? {
                let (k, v) = entry?;
                out.push(row_of(table, key_rowid(&k).ok_or_else(|| malformed(table))?, &v)?);
            }
            Ok(out)
        }
        Access::Index { index, eq, lo, hi } => {
            let mut vals = Vec::with_capacity(eq.len());
            for (s, &coll) in eq.iter().zip(&index.collations) {
                match seek_value(ctx, s, parent)? {
                    Some(v) => vals.push(crate::dml::key_value(&v, coll)),
                    None => return Ok(Vec::new()),
                }
            }
            let coll = index.collations.get(eq.len()).copied().unwrap_or(Collation::Binary);
            let bound = |b: &Option<(Seek, bool)>| -> Result<Option<Option<(KeyValue, bool)>>> {
                Ok(match b {
                    None => Some(None),
                    Some((s, incl)) => {
                        seek_value(ctx, s, parent)?.map(|v| Some((crate::dml::key_value(&v, coll), *incl)))
                    }
                })
            };
            // A NULL bound matches nothing.
            let (Some(lo), Some(hi)) = (bound(lo)?, bound(hi)?) else { return Ok(Vec::new()) };
            let mut rowids = index_rowids(ctx.rd, index, &vals, (lo.as_ref(), hi.as_ref()))?;
            if table.without_rowid.is_none() {
                rowids.sort_unstable();
                rowids.dedup();
            }
            fetch(ctx, table, &rowids)
        }
    }
}

/// A bound on a key value (`true` = inclusive).
type KeyBound<'k> = Option<&'k (KeyValue, bool)>;

/// The rowids of the entries of `index` whose leading key values equal
/// `vals` and whose next key value lies within `(lo, hi)`, in index order.
pub(crate) fn index_rowids(
    rd: &dyn Reader,
    index: &Index,
    vals: &[KeyValue],
    (lo, hi): (KeyBound<'_>, KeyBound<'_>),
) -> Result<Vec<i64>> {
    let at = vals.len();
    let desc_k = index.desc.get(at).copied().unwrap_or(false);
    // The prefix's encoding (with its type trailer) sorts before every
    // entry that starts with equal values; an ascending column's lower
    // bound can start the scan further on.
    let mut first = vals.to_vec();
    if let (Some((v, _)), false) = (lo, desc_k) {
        first.push(v.clone());
    }
    let desc = &index.desc[..first.len().min(index.desc.len())];
    let start = encode_key_with_order(&first, desc);
    let mut all_desc = index.desc.clone();
    all_desc.push(false);
    let mut out = Vec::new();
    for entry in rd.range(index.tree, Bound::Included(&start[..]), Bound::Unbounded)? {
        let (k, _) = entry?;
        let decoded = decode_key_with_order(&k, &all_desc)
            .map_err(|_| Error::Sql(format!("database disk image is malformed (index {})", index.name)))?;
        if decoded.len() < vals.len() || !decoded.iter().zip(vals).all(|(a, b)| same_key(a, b)) {
            break;
        }
        if let Some(v) = decoded.get(at).filter(|_| lo.is_some() || hi.is_some()) {
            let below = lo.is_some_and(|(b, incl)| !within(v, b, *incl, Ordering::Greater));
            let above = hi.is_some_and(|(b, incl)| !within(v, b, *incl, Ordering::Less));
            // Past the bound the scan moves away from: no more matches.
            if (above && !desc_k) || (below && desc_k) {
                break;
            }
            if below || above {
                continue;
            }
        }
        if let Some(KeyValue::Integer(r)) = decoded.last() {
            out.push(*r);
        }
    }
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

/// The rows with these rowids, in this order (missing ones skipped).
fn fetch(ctx: &Ctx<'_>, table: &Table, rowids: &[i64]) -> Result<Vec<Vec<Value>>> {
    let mut out = Vec::with_capacity(rowids.len());
    for &r in rowids {
        if let Some(v) = ctx.rd.get(table.tree, &rowid_key(r))? {
            out.push(row_of(table, r, &v)?);
        }
    }
    Ok(out)
}

fn malformed(table: &Table) -> Error {
    Error::Sql(format!("database disk image is malformed (table {})", table.name))
}

/// A stored row as the executor sees it: its columns, then its rowid.
pub(crate) fn row_of(table: &Table, rowid: i64, record: &[u8]) -> Result<Vec<Value>> {
    let mut row = decode_row(record).ok_or_else(|| malformed(table))?;
    row.resize(table.columns.len(), Value::Null);
    row.push(Value::Integer(rowid));
    Ok(row)
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
