//! Subqueries answered from a hash set built once per statement:
//!
//! - `x IN (SELECT ...)` over an uncorrelated subquery: its rows are read
//!   once into a set, instead of once per row tested;
//! - `EXISTS (SELECT ... WHERE inner = outer AND ...)`, correlated only
//!   through such equalities and read by a scan (no index serves the
//!   equality): a semi-join. The subquery without those equalities is run
//!   once, its rows keyed by the inner operands; each outer row probes
//!   the set with its own operands.
//!
//! Keys are the operands converted by the comparison's affinity and folded
//! by its collation, so two keys are equal exactly when the comparisons
//! are true (NULLs never match). The sets live for one SELECT, whose
//! tables do not change while it runs; other statements evaluate the
//! subqueries as written.

use super::{Ctx, Env, eval, in_affinity, row_key_coll, run_query};
use crate::access::split_and;
use crate::ast::BinaryOp;
use crate::error::Result;
use crate::plan::{BExpr, QueryPlan, Source};
use crate::value::{Affinity, Collation, Value, comparison_affinity, comparison_operand};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Sets built for one statement, by the address of their subquery's plan.
pub type SetCache = RefCell<HashMap<usize, Option<Rc<Set>>>>;

/// An outer operand of a semi-join's equality, with the comparison's
/// affinity and collation.
type Probe = (BExpr, Option<Affinity>, Collation);

/// The keys of a subquery's rows.
pub struct Set {
    keys: HashSet<Vec<u8>>,
    /// Some row's key has a NULL (IN is then NULL rather than false).
    has_null: bool,
    /// The subquery gave no rows.
    empty: bool,
    /// For a semi-join: the outer operands (bound over the outer row),
    /// with each comparison's affinity and collation.
    probes: Vec<Probe>,
}

fn key(vals: Vec<Value>, convs: &[(Option<Affinity>, Collation)]) -> Option<Vec<u8>> {
    if vals.contains(&Value::Null) {
        return None;
    }
    let vals: Vec<Value> = vals.into_iter().zip(convs).map(|(v, (aff, _))| comparison_operand(v, *aff)).collect();
    let colls: Vec<Collation> = convs.iter().map(|(_, c)| *c).collect();
    Some(row_key_coll(&vals, &colls))
}

/// The set of `plan` for this statement, built by `build` the first time
/// (`None`: the statement keeps no sets, or `build` found the subquery
/// unsuited, which is remembered too).
fn cached(ctx: &Ctx<'_>, plan: &QueryPlan, build: impl FnOnce() -> Result<Option<Set>>) -> Result<Option<Rc<Set>>> {
    let Some(cache) = ctx.sets else { return Ok(None) };
    let addr = plan as *const QueryPlan as usize;
    if let Some(s) = cache.borrow().get(&addr).cloned() {
        return Ok(s);
    }
    let s = build()?.map(Rc::new);
    cache.borrow_mut().insert(addr, s.clone());
    Ok(s)
}

/// `v IN (SELECT ...)` from a set when the subquery is uncorrelated and
/// the statement keeps sets; `None` when it must be evaluated as written.
pub(crate) fn in_select(
    ctx: &Ctx<'_>,
    v: &Value,
    va: Option<Affinity>,
    plan: &QueryPlan,
    coll: Collation,
    env: &Env<'_>,
) -> Result<Option<Option<bool>>> {
    let Some(set) = cached(ctx, plan, || {
        if plan.columns.len() != 1 || crate::explain::refers_outside(plan, 0) {
            return Ok(None);
        }
        let conv = [(comparison_affinity(va, in_affinity(plan, 0)), coll)];
        let rows = run_query(ctx, plan, Some(env))?;
        let mut set = Set { keys: HashSet::new(), has_null: false, empty: rows.is_empty(), probes: Vec::new() };
        for r in rows {
            match key(r, &conv) {
                Some(k) => {
                    set.keys.insert(k);
                }
                None => set.has_null = true,
            }
        }
        Ok(Some(set))
    })?
    else {
        return Ok(None);
    };
    if set.empty {
        return Ok(Some(Some(false)));
    }
    let conv = [(comparison_affinity(va, in_affinity(plan, 0)), coll)];
    Ok(Some(match key(vec![v.clone()], &conv) {
        None => None,
        Some(k) if set.keys.contains(&k) => Some(true),
        Some(_) if set.has_null => None,
        Some(_) => Some(false),
    }))
}

/// `EXISTS (SELECT ...)` as a semi-join when the statement keeps sets and
/// the subquery allows it; `None` when it must be evaluated as written.
pub(crate) fn exists(ctx: &Ctx<'_>, plan: &QueryPlan, env: &Env<'_>) -> Result<Option<bool>> {
    let Some(set) = cached(ctx, plan, || {
        let Some((inner, probes)) = decorrelate(plan) else { return Ok(None) };
        let convs: Vec<(Option<Affinity>, Collation)> = probes.iter().map(|(_, a, c)| (*a, *c)).collect();
        let rows = run_query(ctx, &inner, Some(env))?;
        let mut set = Set { keys: HashSet::new(), has_null: false, empty: rows.is_empty(), probes };
        set.keys.extend(rows.into_iter().filter_map(|r| key(r, &convs)));
        Ok(Some(set))
    })?
    else {
        return Ok(None);
    };
    if set.empty {
        return Ok(Some(false));
    }
    let mut vals = Vec::with_capacity(set.probes.len());
    for (e, _, _) in &set.probes {
        vals.push(eval(ctx, e, env)?);
    }
    let convs: Vec<(Option<Affinity>, Collation)> = set.probes.iter().map(|(_, a, c)| (*a, *c)).collect();
    Ok(Some(key(vals, &convs).is_some_and(|k| set.keys.contains(&k))))
}

/// Splits an EXISTS subquery into an uncorrelated query whose rows are the
/// inner operands of its correlating equalities, and the outer operands
/// (moved out one level, to be evaluated over the outer row). `None` when
/// the subquery is not of that form, or when an index already finds its
/// rows from the outer values.
fn decorrelate(plan: &QueryPlan) -> Option<(QueryPlan, Vec<Probe>)> {
    let core = &plan.first;
    if !plan.compound.is_empty()
        || plan.limit.is_some()
        || plan.offset.is_some()
        || core.aggregate
        || !core.windows.is_empty()
        || core.values.is_some()
    {
        return None;
    }
    // One table read without the outer values (a lookup driven by them is
    // already cheap; a join's plan may use them).
    match &core.source {
        Source::Table(t) if !t.access.reads_outer() => {}
        _ => return None,
    }
    let w = core.where_.as_ref()?;
    let mut conjuncts = Vec::new();
    split_and(w, &mut conjuncts);
    let (mut inner_keys, mut probes, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for c in conjuncts {
        if let BExpr::Bin { op: BinaryOp::Eq, l, r, coll } = c {
            let pair = match (level(l), level(r)) {
                (Some(Level::Inner), Some(Level::Outer)) => Some((l, r)),
                (Some(Level::Outer), Some(Level::Inner)) => Some((r, l)),
                _ => None,
            };
            if let Some((inner, outer)) = pair {
                let aff = comparison_affinity(crate::bind::expr_affinity(l), crate::bind::expr_affinity(r));
                inner_keys.push((**inner).clone());
                probes.push((lift(outer), aff, *coll));
                continue;
            }
        }
        rest.push(c.clone());
    }
    if probes.is_empty() {
        return None;
    }
    let mut inner = plan.clone();
    inner.first.where_ = rest.into_iter().reduce(|a, b| BExpr::Bin {
        op: BinaryOp::And,
        l: Box::new(a),
        r: Box::new(b),
        coll: Collation::Binary,
    });
    inner.first.result = inner_keys;
    inner.first.distinct = false;
    inner.first.ordered = false;
    inner.order_by.clear();
    inner.columns = (0..inner.first.result.len()).map(|i| format!("k{i}")).collect();
    inner.affinities = inner.first.result.iter().map(crate::bind::expr_affinity).collect();
    if crate::explain::refers_outside(&inner, 0) {
        return None;
    }
    Some((inner, probes))
}

enum Level {
    /// Reads the subquery's own row only.
    Inner,
    /// Reads the enclosing query's row only (and constants).
    Outer,
}

/// Which level a plain operand reads; `None` for anything else (both,
/// neither, deeper levels, subqueries).
fn level(e: &BExpr) -> Option<Level> {
    let (mut inner, mut outer, mut other) = (false, false, false);
    fn walk(e: &BExpr, inner: &mut bool, outer: &mut bool, other: &mut bool) {
        match e {
            BExpr::Col { depth: 0, .. } => *inner = true,
            BExpr::Col { depth: 1, .. } => *outer = true,
            BExpr::Col { .. } | BExpr::Exists { .. } | BExpr::InSelect { .. } | BExpr::Subquery(..) => *other = true,
            BExpr::Func { name, .. } if matches!(name.as_str(), "random" | "randomblob" | "changes") => *other = true,
            _ => {}
        }
        e.for_each_child(&mut |c| walk(c, inner, outer, other));
    }
    walk(e, &mut inner, &mut outer, &mut other);
    match (inner, outer, other) {
        (true, false, false) => Some(Level::Inner),
        (false, true, false) => Some(Level::Outer),
        _ => None,
    }
}

/// `e` bound one level out: its depth-1 columns become the outer row's.
fn lift(e: &BExpr) -> BExpr {
    let mut e = e.clone();
    fn walk(e: &mut BExpr) {
        if let BExpr::Col { depth, .. } = e {
            *depth = depth.saturating_sub(1);
            return;
        }
        e.for_each_child_mut(&mut walk);
    }
    walk(&mut e);
    e
}
