//! Query rewrites done while binding: WHERE conjuncts pushed down into the
//! FROM subqueries, views and CTEs they read, so those can use their own
//! access paths (`SELECT * FROM v WHERE id = 5` over a view of a table
//! looks the row up instead of materializing the view).
//!
//! A conjunct moves into a subquery only when that cannot change the
//! result: it reads nothing but that subquery's columns (no outer columns,
//! no subqueries, no functions whose value changes between calls), the
//! subquery is one plain SELECT (no aggregate, DISTINCT, window, LIMIT or
//! compound, whose rows a filter does not commute with), and no outer join
//! null-extends it. Each column the conjunct reads is replaced by the
//! subquery's expression for it, so the filter keeps the comparison's
//! affinity and collation. The conjunct also stays where it was: the
//! outer query still checks it.

use crate::access::{pushable, split_and};
use crate::ast::{BinaryOp, JoinKind};
use crate::plan::{BExpr, QueryPlan, Source};
use crate::schema::Schema;
use crate::value::Collation;

/// Functions whose value may differ between two calls with the same
/// arguments: a conjunct calling one stays where it is.
const VOLATILE: &[&str] = &["random", "randomblob", "changes", "total_changes", "last_insert_rowid"];

/// Pushes the WHERE conjuncts of a query over `source` into the FROM
/// subqueries they read.
pub(crate) fn push_down(schema: &Schema, source: &mut Source, where_: Option<&BExpr>) {
    if !pushable(source) {
        return;
    }
    let mut conjuncts = Vec::new();
    if let Some(w) = where_ {
        split_and(w, &mut conjuncts);
    }
    push_in(schema, source, 0, &conjuncts);
}

fn push_in(schema: &Schema, src: &mut Source, offset: usize, conjuncts: &[&BExpr]) {
    match src {
        Source::Query(q) => {
            let width = q.columns.len();
            let mine: Vec<&BExpr> = conjuncts
                .iter()
                .filter(|c| {
                    crate::exec::columns_read(c)
                        .is_some_and(|cols| !cols.is_empty() && cols.iter().all(|&s| s >= offset && s < offset + width))
                        && !c.reads_outer()
                        && !volatile(c)
                })
                .copied()
                .collect();
            if !mine.is_empty() {
                push_into(schema, q, offset, &mine);
            }
        }
        Source::Join { left, right, kind, on, left_width, .. } => {
            push_in(schema, left, offset, conjuncts);
            if matches!(kind, JoinKind::Inner | JoinKind::Cross) {
                let mut own = conjuncts.to_vec();
                if let Some(o) = on {
                    split_and(o, &mut own);
                }
                push_in(schema, right, offset + *left_width, &own);
            }
        }
        _ => {}
    }
}

/// Adds `conjuncts` (over the outer row, the subquery's columns at
/// `offset`) to the WHERE of `q` when `q` allows it, and plans its access
/// paths again.
fn push_into(schema: &Schema, q: &mut QueryPlan, offset: usize, conjuncts: &[&BExpr]) {
    let core = &mut q.first;
    if !q.compound.is_empty()
        || q.limit.is_some()
        || q.offset.is_some()
        || core.aggregate
        || core.distinct
        || !core.windows.is_empty()
        || core.values.is_some()
        || matches!(core.source, Source::Recursive(_) | Source::Working { .. } | Source::Single)
    {
        return;
    }
    let mut added = Vec::new();
    for c in conjuncts {
        let mut e = (*c).clone();
        let mut ok = true;
        substitute(&mut e, offset, &core.result, &mut ok);
        if ok {
            added.push(e);
        }
    }
    if added.is_empty() {
        return;
    }
    let mut where_ = core.where_.take();
    for e in added {
        where_ = Some(match where_ {
            Some(w) => BExpr::Bin { op: BinaryOp::And, l: Box::new(w), r: Box::new(e), coll: Collation::Binary },
            None => e,
        });
    }
    core.where_ = where_;
    // Plan the subquery's reads again with the narrower WHERE.
    core.join = crate::join::plan(schema, &core.source, core.where_.as_ref());
    crate::access::assign(schema, &mut core.source, core.where_.as_ref(), core.join.is_some());
    core.ordered = false;
    core.first_row = None;
    core.grouped = false;
    let keys = q.order_by.clone();
    crate::access::plan_order(schema, &mut q.first, &keys, false);
}

/// Replaces each column of the outer row in `e` by the subquery's
/// expression for it; clears `ok` when one cannot move (it reads a
/// subquery or an outer query).
fn substitute(e: &mut BExpr, offset: usize, result: &[BExpr], ok: &mut bool) {
    if let BExpr::Col { depth: 0, idx, .. } = e {
        match idx.checked_sub(offset).and_then(|i| result.get(i)) {
            Some(r) if crate::exec::columns_read(r).is_some() && !volatile(r) => *e = r.clone(),
            _ => *ok = false,
        }
        return;
    }
    e.for_each_child_mut(&mut |c| substitute(c, offset, result, ok));
}

/// Whether `e` calls a function whose value may change between calls.
fn volatile(e: &BExpr) -> bool {
    if let BExpr::Func { name, .. } = e
        && VOLATILE.contains(&name.as_str())
    {
        return true;
    }
    let mut found = false;
    e.for_each_child(&mut |c| found = found || volatile(c));
    found
}

/// Storage for evaluating constants: they read no table.
struct NoTables;

impl crate::exec::Reader for NoTables {
    fn range(
        &self,
        _: dosql_storage::TreeId,
        _: std::ops::Bound<&[u8]>,
        _: std::ops::Bound<&[u8]>,
    ) -> crate::error::Result<dosql_storage::Range> {
        Err(crate::error::Error::Sql("a constant reads no table".into()))
    }
    fn get(&self, _: dosql_storage::TreeId, _: &[u8]) -> crate::error::Result<Option<Vec<u8>>> {
        Err(crate::error::Error::Sql("a constant reads no table".into()))
    }
    fn has_tree(&self, _: dosql_storage::TreeId) -> bool {
        false
    }
    fn tree_len(&self, _: dosql_storage::TreeId) -> crate::error::Result<u64> {
        Ok(0)
    }
}

/// Folds operators over constants into their value (`x = 60 * 60 * 24`
/// compares with one literal), once when binding instead of once per row.
/// Only operators whose result has no affinity are folded (a literal has
/// none, so comparisons treat the value as before), and only when the
/// value computes without error (an error stays for the statement to
/// report when, and if, it evaluates it).
pub(crate) fn fold_constants(e: &mut BExpr) {
    e.for_each_child_mut(&mut fold_constants);
    let foldable = match e {
        BExpr::Bin { op, l, r, .. } => {
            !matches!(op, BinaryOp::Arrow | BinaryOp::LongArrow)
                && matches!(**l, BExpr::Lit(_))
                && matches!(**r, BExpr::Lit(_))
        }
        BExpr::Unary { e: inner, .. } => matches!(**inner, BExpr::Lit(_)),
        _ => false,
    };
    if !foldable || crate::bind::expr_affinity(e).is_some() {
        return;
    }
    let ctx = crate::exec::Ctx::new(&NoTables, &[]);
    if let Ok(v) = crate::exec::eval(&ctx, e, &crate::exec::Env { row: &[], aggs: &[], parent: None }) {
        *e = BExpr::Lit(v);
    }
}
