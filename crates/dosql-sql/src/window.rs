//! Window functions: `f(...) OVER (PARTITION BY .. ORDER BY .. frame)`.
//!
//! Binding: [`resolve_spec`] applies SQLite's rules for named windows
//! (`OVER w`, `OVER (w ORDER BY ..)`, `WINDOW b AS (a ..)`), [`check_call`]
//! validates the function and its arguments, and [`place_slots`] turns the
//! binder's [`BExpr::Win`] placeholders into value slots after the
//! aggregates of the same query level.
//!
//! Execution ([`evaluate`]) runs after GROUP BY / HAVING and before
//! DISTINCT / ORDER BY / LIMIT: every window call sorts the rows by its
//! partition and order keys, splits partitions, finds peer groups and then
//! computes its value for each row from its frame (ROWS, RANGE or GROUPS,
//! with EXCLUDE). Aggregates over frames whose edges only move forward are
//! maintained by adding and removing rows, like SQLite does, which also
//! reproduces SQLite's result types (once a `sum` has seen a REAL in a
//! partition it stays REAL). With an EXCLUDE clause every frame is
//! aggregated from scratch, again like SQLite.
//!
//! Left out: `DISTINCT` and `ORDER BY` inside window aggregates (SQLite
//! rejects them too) and user-defined window functions. Known deviations:
//! `lag` with a negative offset (and `lead` with one below -1) looks the
//! other way here, while SQLite's answer depends on how far its executor
//! has read ahead; `group_concat` over sliding frames whose values are empty
//! strings can differ in separators, as SQLite trims its running buffer;
//! and the `N` of `nth_value` is read from the current row even with an
//! EXCLUDE clause.

use crate::ast::{self, FrameExclude, FrameUnits};
use crate::error::{Error, Result};
use crate::exec::{Ctx, Env, compare_keys, eval};
use crate::plan::{BExpr, CorePlan, SortKey};
use crate::value::{self, Collation, Value};
use std::cmp::Ordering;
use std::collections::VecDeque;

/// One window function call of a query level.
#[derive(Debug, Clone)]
pub struct WindowCall {
    /// Lower-case function name.
    pub name: String,
    /// Arguments, evaluated on each row of the window's input.
    pub args: Vec<BExpr>,
    /// `count(*)`.
    pub star: bool,
    /// `FILTER (WHERE ...)` (aggregates only).
    pub filter: Option<BExpr>,
    /// `PARTITION BY` keys.
    pub partition: Vec<SortKey>,
    /// `ORDER BY` keys.
    pub order: Vec<SortKey>,
    /// The frame (SQLite's default when none was written).
    pub frame: Frame,
}

/// A bound window frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// ROWS, RANGE or GROUPS.
    pub units: FrameUnits,
    /// Start bound.
    pub start: Bound,
    /// End bound.
    pub end: Bound,
    /// EXCLUDE clause.
    pub exclude: FrameExclude,
    /// Whether an EXCLUDE clause was written (then every frame is
    /// aggregated from scratch, as SQLite does).
    pub from_scratch: bool,
}

/// A bound frame edge; offsets are constant expressions.
#[derive(Debug, Clone)]
pub enum Bound {
    /// `UNBOUNDED PRECEDING`.
    UnboundedPreceding,
    /// `expr PRECEDING`.
    Preceding(BExpr),
    /// `CURRENT ROW`.
    CurrentRow,
    /// `expr FOLLOWING`.
    Following(BExpr),
    /// `UNBOUNDED FOLLOWING`.
    UnboundedFollowing,
}

/// Functions that exist only as window functions.
const WINDOW_ONLY: &[&str] = &[
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
];

/// Aggregates that can be used as window functions.
const AGGREGATES: &[&str] = &["count", "sum", "total", "avg", "min", "max", "group_concat", "string_agg"];

/// Whether `name` (any case) is a window-only function such as `rank`.
pub fn is_window_only(name: &str) -> bool {
    WINDOW_ONLY.iter().any(|w| w.eq_ignore_ascii_case(name))
}

fn sql_err<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::Sql(msg.into()))
}

/// Checks a window call's function, argument count, DISTINCT and FILTER
/// the way SQLite does at prepare time. `name` is lower-case.
pub fn check_call(name: &str, nargs: usize, star: bool, distinct: bool, filter: bool) -> Result<()> {
    let arity_ok = match name {
        "row_number" | "rank" | "dense_rank" | "percent_rank" | "cume_dist" => Some(nargs == 0 && !star),
        "ntile" | "first_value" | "last_value" => Some(nargs == 1),
        "lag" | "lead" => Some((1..=3).contains(&nargs)),
        "nth_value" => Some(nargs == 2),
        "count" => Some(star || nargs <= 1),
        "sum" | "total" | "avg" => Some(nargs == 1),
        "min" | "max" if nargs == 1 => Some(true),
        "group_concat" => Some((1..=2).contains(&nargs)),
        "string_agg" => Some(nargs == 2),
        _ => None,
    };
    let Some(arity_ok) = arity_ok else {
        if crate::func::call_scalar(name, &vec![Value::Null; nargs]).is_some() {
            return sql_err(format!("{name}() may not be used as a window function"));
        }
        return sql_err(format!("no such function: {name}"));
    };
    if !arity_ok {
        return sql_err(crate::func::wrong_args(name));
    }
    if distinct {
        return sql_err("DISTINCT is not supported for window functions");
    }
    if filter && !AGGREGATES.contains(&name) {
        return sql_err("FILTER clause may only be used with aggregate window functions");
    }
    Ok(())
}

fn find_named<'a>(named: &'a [(String, ast::WindowSpec)], name: &str) -> Result<&'a ast::WindowSpec> {
    match named.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        Some((_, spec)) => Ok(spec),
        None => sql_err(format!("no such window: {name}")),
    }
}

/// Resolves `spec` against the named windows of its query level: `OVER w`
/// (`bare`) copies `w`; `OVER (w ...)` inherits w's partition and order,
/// which it may not override, and w must not have a frame.
pub fn resolve_spec(
    spec: &ast::WindowSpec,
    bare: bool,
    named: &[(String, ast::WindowSpec)],
) -> Result<ast::WindowSpec> {
    let Some(base_name) = &spec.base else { return Ok(spec.clone()) };
    let base = find_named(named, base_name)?;
    if bare {
        return Ok(base.clone());
    }
    let what = if !spec.partition_by.is_empty() {
        Some("PARTITION clause")
    } else if !base.order_by.is_empty() && !spec.order_by.is_empty() {
        Some("ORDER BY clause")
    } else if base.frame.is_some() {
        Some("frame specification")
    } else {
        None
    };
    if let Some(what) = what {
        return sql_err(format!("cannot override {what} of window: {base_name}"));
    }
    Ok(ast::WindowSpec {
        base: None,
        bare: false,
        partition_by: base.partition_by.clone(),
        order_by: if spec.order_by.is_empty() { base.order_by.clone() } else { spec.order_by.clone() },
        frame: spec.frame.clone(),
    })
}

/// Resolves a `WINDOW` clause: a definition builds on an earlier one; a
/// base that is not defined earlier is ignored, as SQLite does.
pub fn resolve_named(defs: &[(String, ast::WindowSpec)]) -> Result<Vec<(String, ast::WindowSpec)>> {
    let mut out: Vec<(String, ast::WindowSpec)> = Vec::with_capacity(defs.len());
    for (name, spec) in defs {
        let known = spec.base.as_ref().is_some_and(|b| out.iter().any(|(n, _)| n.eq_ignore_ascii_case(b)));
        let resolved =
            if known { resolve_spec(spec, false, &out)? } else { ast::WindowSpec { base: None, ..spec.clone() } };
        out.push((name.clone(), resolved));
    }
    Ok(out)
}

/// Checks the frame's shape: which bound pairs SQLite accepts, and RANGE
/// offsets needing exactly one ORDER BY term.
pub fn check_frame(frame: &ast::WindowFrame, order_terms: usize) -> Result<()> {
    use ast::FrameBound as B;
    let rank = |b: &B| match b {
        B::UnboundedPreceding => 0,
        B::Preceding(_) => 1,
        B::CurrentRow => 2,
        B::Following(_) => 3,
        B::UnboundedFollowing => 4,
    };
    let (s, e) = (rank(&frame.start), rank(&frame.end));
    if s == 4 {
        return sql_err("near \"FOLLOWING\": syntax error");
    }
    if e == 0 {
        return sql_err("near \"PRECEDING\": syntax error");
    }
    if (s == 3 && e < 3) || (s == 2 && e == 1) {
        return sql_err("unsupported frame specification");
    }
    let offset = |b: &B| matches!(b, B::Preceding(_) | B::Following(_));
    if frame.units == FrameUnits::Range && (offset(&frame.start) || offset(&frame.end)) && order_terms != 1 {
        return sql_err("RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY expression");
    }
    Ok(())
}

/// Whether a frame offset expression is constant (reads no column).
pub fn is_constant(e: &ast::Expr) -> bool {
    use ast::Expr as E;
    match e {
        E::Literal(_) | E::Param(_) => true,
        E::Column { .. }
        | E::Subquery(_)
        | E::RowSubquery { .. }
        | E::Exists { .. }
        | E::InSelect { .. }
        | E::Raise { .. } => false,
        E::Binary { left, right, .. } => is_constant(left) && is_constant(right),
        E::Unary { expr, .. } | E::Cast { expr, .. } | E::Collate { expr, .. } | E::IsNull { expr, .. } => {
            is_constant(expr)
        }
        E::Function { args, over, .. } => over.is_none() && args.iter().all(is_constant),
        E::Row(items) => items.iter().all(is_constant),
        E::Like { expr, pattern, escape, .. } => {
            is_constant(expr) && is_constant(pattern) && escape.as_deref().is_none_or(is_constant)
        }
        E::Between { expr, low, high, .. } => is_constant(expr) && is_constant(low) && is_constant(high),
        E::InList { expr, list, .. } => is_constant(expr) && list.iter().all(is_constant),
        E::Case { operand, whens, else_ } => {
            operand.as_deref().is_none_or(is_constant)
                && whens.iter().all(|(a, b)| is_constant(a) && is_constant(b))
                && else_.as_deref().is_none_or(is_constant)
        }
    }
}

/// Replaces each `Win(i)` placeholder in `e` by `Agg(base + i)`: window
/// values follow the aggregate values of the row they belong to.
pub fn place_slots(e: &mut BExpr, base: usize) {
    match e {
        BExpr::Win(i) => *e = BExpr::Agg(base + *i),
        BExpr::Lit(_)
        | BExpr::Param(_)
        | BExpr::Col { .. }
        | BExpr::Agg(_)
        | BExpr::Exists { .. }
        | BExpr::Subquery(..) => {}
        BExpr::Bin { l, r, .. } => {
            place_slots(l, base);
            place_slots(r, base);
        }
        BExpr::Unary { e, .. }
        | BExpr::IsNull { e, .. }
        | BExpr::Cast { e, .. }
        | BExpr::Collate { e, .. }
        | BExpr::InSelect { e, .. } => place_slots(e, base),
        BExpr::Like { e, pat, esc, .. } => {
            place_slots(e, base);
            place_slots(pat, base);
            if let Some(x) = esc {
                place_slots(x, base);
            }
        }
        BExpr::Between { e, lo, hi, .. } => {
            place_slots(e, base);
            place_slots(lo, base);
            place_slots(hi, base);
        }
        BExpr::InList { e, list, .. } => {
            place_slots(e, base);
            list.iter_mut().for_each(|x| place_slots(x, base));
        }
        BExpr::Case { operand, whens, else_, .. } => {
            if let Some(x) = operand {
                place_slots(x, base);
            }
            for (a, b) in whens {
                place_slots(a, base);
                place_slots(b, base);
            }
            if let Some(x) = else_ {
                place_slots(x, base);
            }
        }
        BExpr::Func { args, .. } | BExpr::Row(args) => args.iter_mut().for_each(|x| place_slots(x, base)),
        BExpr::Raise { message, .. } => {
            if let Some(m) = message {
                place_slots(m, base);
            }
        }
    }
}

/// The first window placeholder in `e`, if any: a window result referenced
/// from GROUP BY or HAVING is a misuse.
pub fn first_placeholder(e: &BExpr) -> Option<usize> {
    let all = |xs: &[BExpr]| xs.iter().find_map(first_placeholder);
    match e {
        BExpr::Win(i) => Some(*i),
        BExpr::Lit(_)
        | BExpr::Param(_)
        | BExpr::Col { .. }
        | BExpr::Agg(_)
        | BExpr::Exists { .. }
        | BExpr::Subquery(..) => None,
        BExpr::Bin { l, r, .. } => first_placeholder(l).or_else(|| first_placeholder(r)),
        BExpr::Unary { e, .. }
        | BExpr::IsNull { e, .. }
        | BExpr::Cast { e, .. }
        | BExpr::Collate { e, .. }
        | BExpr::InSelect { e, .. } => first_placeholder(e),
        BExpr::Like { e, pat, esc, .. } => first_placeholder(e)
            .or_else(|| first_placeholder(pat))
            .or_else(|| esc.as_deref().and_then(first_placeholder)),
        BExpr::Between { e, lo, hi, .. } => {
            first_placeholder(e).or_else(|| first_placeholder(lo)).or_else(|| first_placeholder(hi))
        }
        BExpr::InList { e, list, .. } => first_placeholder(e).or_else(|| all(list)),
        BExpr::Case { operand, whens, else_, .. } => operand
            .as_deref()
            .and_then(first_placeholder)
            .or_else(|| whens.iter().find_map(|(a, b)| first_placeholder(a).or_else(|| first_placeholder(b))))
            .or_else(|| else_.as_deref().and_then(first_placeholder)),
        BExpr::Func { args, .. } | BExpr::Row(args) => all(args),
        BExpr::Raise { message, .. } => message.as_deref().and_then(first_placeholder),
    }
}

/// Computes the window values of `rows` (pairs of source row and aggregate
/// values, after HAVING) and evaluates the result columns and `sort_keys`
/// over them: returns (result row, sort keys) pairs like the executor's
/// other paths, in the order the windows leave them.
pub fn evaluate(
    ctx: &Ctx<'_>,
    core: &CorePlan,
    sort_keys: &[SortKey],
    rows: Vec<(Vec<Value>, Vec<Value>)>,
    parent: Option<&Env<'_>>,
) -> Result<Vec<(Vec<Value>, Vec<Value>)>> {
    // SQLite computes the windows from the last written to the first, each
    // over its own stable sort of the order the one before left: ties in a
    // window's terms are met (row_number() counts them) in that order.
    // (Where a definition repeats with another between, SQLite's sorter
    // can meet ties in another order; the rows are the same.)
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut values: Vec<Vec<Value>> = vec![Vec::new(); core.windows.len()];
    for (i, call) in core.windows.iter().enumerate().rev() {
        let (vals, sorted) = compute_call(ctx, call, &rows, parent, order)?;
        if let Some(v) = values.get_mut(i) {
            *v = vals;
        }
        order = sorted;
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in order {
        let Some((row, aggs)) = rows.get(r) else { continue };
        let mut slots = aggs.clone();
        slots.extend(values.iter().map(|v| v.get(r).cloned().unwrap_or(Value::Null)));
        let env = Env { row, aggs: &slots, parent };
        let res = core.result.iter().map(|e| eval(ctx, e, &env)).collect::<Result<Vec<_>>>()?;
        let keys = sort_keys.iter().map(|k| eval(ctx, &k.expr, &env)).collect::<Result<Vec<_>>>()?;
        out.push((res, keys));
    }
    Ok(out)
}

/// The values of `call` for the rows of one partition, given in its sort
/// order (ties in the order they were met): what a streamed query computes
/// a partition at a time (`exec::stream`'s windows).
pub(crate) fn partition_values(
    ctx: &Ctx<'_>,
    call: &WindowCall,
    rows: &[(Vec<Value>, Vec<Value>)],
) -> Result<Vec<Value>> {
    let order = (0..rows.len()).collect();
    Ok(compute_call(ctx, call, rows, None, order)?.0)
}

/// The sort a window's rows go through: its PARTITION BY terms, then its
/// ORDER BY terms.
pub(crate) fn sort_keys(call: &WindowCall) -> Vec<SortKey> {
    call.partition.iter().chain(&call.order).cloned().collect()
}

/// Per-row inputs of one call, in the row order of the query.
struct Inputs {
    part: Vec<Vec<Value>>,
    order: Vec<Vec<Value>>,
    args: Vec<Vec<Value>>,
    pass: Vec<bool>,
}

/// The values of `call` for each row of `rows`, and the rows' order
/// sorted by its terms: a stable sort of `order`, the order its ties are
/// met in.
fn compute_call(
    ctx: &Ctx<'_>,
    call: &WindowCall,
    rows: &[(Vec<Value>, Vec<Value>)],
    parent: Option<&Env<'_>>,
    order: Vec<usize>,
) -> Result<(Vec<Value>, Vec<usize>)> {
    let n = rows.len();
    let mut inp = Inputs {
        part: Vec::with_capacity(n),
        order: Vec::with_capacity(n),
        args: Vec::with_capacity(n),
        pass: Vec::with_capacity(n),
    };
    for (row, aggs) in rows {
        let env = Env { row, aggs, parent };
        let ev = |es: &mut dyn Iterator<Item = &BExpr>| es.map(|e| eval(ctx, e, &env)).collect::<Result<Vec<_>>>();
        inp.part.push(ev(&mut call.partition.iter().map(|k| &k.expr))?);
        inp.order.push(ev(&mut call.order.iter().map(|k| &k.expr))?);
        inp.args.push(ev(&mut call.args.iter())?);
        let pass = match &call.filter {
            Some(f) => value::is_true(&eval(ctx, f, &env)?) == Some(true),
            None => true,
        };
        inp.pass.push(pass);
    }
    let mut out = vec![Value::Null; n];
    if n == 0 {
        return Ok((out, order));
    }
    let offsets = FrameOffsets::new(ctx, &call.frame)?;
    let mut idx = order;
    crate::interrupt::sort_by(&mut idx, |&a, &b| {
        compare_keys(&inp.part[a], &inp.part[b], &call.partition)
            .then_with(|| compare_keys(&inp.order[a], &inp.order[b], &call.order))
    })?;
    let mut s = 0;
    while s < n {
        let mut e = s + 1;
        while e < n && compare_keys(&inp.part[idx[s]], &inp.part[idx[e]], &call.partition) == Ordering::Equal {
            e += 1;
        }
        let part = Partition::new(&idx[s..e], &inp, call);
        let vals = part.compute(call, &offsets)?;
        for (&r, v) in idx[s..e].iter().zip(vals) {
            out[r] = v;
        }
        s = e;
    }
    Ok((out, idx))
}

/// A frame offset as evaluated once per query.
#[derive(Clone)]
enum Off {
    /// ROWS / GROUPS: a count.
    Count(usize),
    /// RANGE: a non-negative number.
    Num(Value),
}

struct FrameOffsets {
    start: Option<Off>,
    end: Option<Off>,
}

impl FrameOffsets {
    fn new(ctx: &Ctx<'_>, f: &Frame) -> Result<FrameOffsets> {
        let one = |b: &Bound, which: &str| -> Result<Option<Off>> {
            let e = match b {
                Bound::Preceding(e) | Bound::Following(e) => e,
                _ => return Ok(None),
            };
            let v = eval(ctx, e, &Env { row: &[], aggs: &[], parent: None })?;
            let num = value::numeric_value(&v);
            if f.units == FrameUnits::Range {
                return match num {
                    Some(Value::Integer(i)) if i >= 0 => Ok(Some(Off::Num(Value::Integer(i)))),
                    Some(Value::Real(r)) if r >= 0.0 => Ok(Some(Off::Num(Value::Real(r)))),
                    _ => sql_err(format!("frame {which} offset must be a non-negative number")),
                };
            }
            let count = match num {
                Some(Value::Integer(i)) if i >= 0 => Some(i),
                Some(Value::Real(r)) if r >= 0.0 && r.fract() == 0.0 && r < 9.223_372_036_854_776e18 => Some(r as i64),
                _ => None,
            };
            match count {
                Some(c) => Ok(Some(Off::Count(usize::try_from(c).unwrap_or(usize::MAX)))),
                None => sql_err(format!("frame {which} offset must be a non-negative integer")),
            }
        };
        Ok(FrameOffsets { start: one(&f.start, "starting")?, end: one(&f.end, "ending")? })
    }
}

/// One partition, sorted: positions map to input rows.
struct Partition<'a> {
    rows: &'a [usize],
    inp: &'a Inputs,
    /// Peer group of each position.
    gid: Vec<usize>,
    /// First position of each group.
    gs: Vec<usize>,
    /// One past the last position of each group.
    ge: Vec<usize>,
}

impl<'a> Partition<'a> {
    fn new(rows: &'a [usize], inp: &'a Inputs, call: &WindowCall) -> Partition<'a> {
        let mut gid = Vec::with_capacity(rows.len());
        let mut gs = Vec::new();
        let mut ge = Vec::new();
        for (p, &r) in rows.iter().enumerate() {
            let new_group = match p.checked_sub(1).and_then(|q| rows.get(q)) {
                Some(&prev) => compare_keys(&inp.order[prev], &inp.order[r], &call.order) != Ordering::Equal,
                None => true,
            };
            if new_group {
                if !gs.is_empty() {
                    ge.push(p);
                }
                gs.push(p);
            }
            gid.push(gs.len() - 1);
        }
        ge.push(rows.len());
        Partition { rows, inp, gid, gs, ge }
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn arg(&self, p: usize, i: usize) -> Value {
        self.rows.get(p).and_then(|&r| self.inp.args.get(r)).and_then(|a| a.get(i)).cloned().unwrap_or(Value::Null)
    }

    fn passes(&self, p: usize) -> bool {
        self.rows.get(p).and_then(|&r| self.inp.pass.get(r)).copied().unwrap_or(false)
    }

    fn order_key(&self, p: usize) -> &[Value] {
        self.rows.get(p).and_then(|&r| self.inp.order.get(r)).map_or(&[], |v| &v[..])
    }

    fn group_bounds(&self, p: usize) -> (usize, usize) {
        let g = self.gid.get(p).copied().unwrap_or(0);
        (self.gs.get(g).copied().unwrap_or(0), self.ge.get(g).copied().unwrap_or(self.len()))
    }

    /// First position whose order key is not before (`strict`: not
    /// before-or-equal to) `target` in the window's sort order.
    fn range_point(&self, target: &Value, key: &SortKey, strict: bool) -> usize {
        let t = [target.clone()];
        let keys = std::slice::from_ref(key);
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let o = compare_keys(self.order_key(mid), &t, keys);
            let before = if strict { o != Ordering::Greater } else { o == Ordering::Less };
            if before {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The target value of a RANGE offset bound for the row at `p`: the
    /// row's key moved by the offset, or the key itself when it is not a
    /// number (SQLite compares NULL, TEXT and BLOB keys unchanged).
    fn range_target(&self, p: usize, off: &Value, key: &SortKey, preceding: bool) -> Value {
        let v = self.order_key(p).first().cloned().unwrap_or(Value::Null);
        if !matches!(v, Value::Integer(_) | Value::Real(_)) {
            return v;
        }
        if preceding != key.desc { value::sub(&v, off) } else { value::add(&v, off) }
    }

    /// The frame of the row at `p` before exclusion: `[lo, hi)`.
    fn frame(&self, p: usize, call: &WindowCall, offs: &FrameOffsets) -> (usize, usize) {
        let n = self.len();
        let (gs, ge) = self.group_bounds(p);
        let g = self.gid.get(p).copied().unwrap_or(0);
        let ng = self.gs.len();
        let key = call.order.first();
        let bound = |b: &Bound, off: &Option<Off>, is_start: bool| -> usize {
            match b {
                Bound::UnboundedPreceding => 0,
                Bound::UnboundedFollowing => n,
                Bound::CurrentRow => match call.frame.units {
                    FrameUnits::Rows => {
                        if is_start {
                            p
                        } else {
                            p + 1
                        }
                    }
                    _ => {
                        if is_start {
                            gs
                        } else {
                            ge
                        }
                    }
                },
                Bound::Preceding(_) | Bound::Following(_) => {
                    let preceding = matches!(b, Bound::Preceding(_));
                    match (call.frame.units, off) {
                        (FrameUnits::Rows, Some(Off::Count(k))) => {
                            let edge = if is_start { p } else { p + 1 };
                            if preceding { edge.saturating_sub(*k) } else { edge.saturating_add(*k).min(n) }
                        }
                        (FrameUnits::Groups, Some(Off::Count(k))) => {
                            let target = if preceding { g.checked_sub(*k) } else { Some(g.saturating_add(*k)) };
                            match (target, is_start) {
                                (Some(t), true) if t < ng => self.gs.get(t).copied().unwrap_or(n),
                                (Some(_), true) => n,
                                (None, true) => 0,
                                (Some(t), false) => self.ge.get(t.min(ng.saturating_sub(1))).copied().unwrap_or(n),
                                (None, false) => 0,
                            }
                        }
                        (FrameUnits::Range, Some(Off::Num(v))) => match key {
                            Some(k) => {
                                let target = self.range_target(p, v, k, preceding);
                                self.range_point(&target, k, !is_start)
                            }
                            None => {
                                if is_start {
                                    0
                                } else {
                                    n
                                }
                            }
                        },
                        _ => {
                            if is_start {
                                0
                            } else {
                                n
                            }
                        }
                    }
                }
            }
        };
        let lo = bound(&call.frame.start, &offs.start, true).min(n);
        let hi = bound(&call.frame.end, &offs.end, false).min(n);
        (lo, hi.max(lo))
    }

    /// The frame of the row at `p` after EXCLUDE, as ordered position ranges.
    fn segments(&self, p: usize, lo: usize, hi: usize, exclude: FrameExclude) -> Vec<(usize, usize)> {
        let (gs, ge) = self.group_bounds(p);
        let parts = match exclude {
            FrameExclude::NoOthers => vec![(lo, hi)],
            FrameExclude::CurrentRow => vec![(lo, hi.min(p)), (lo.max(p + 1), hi)],
            FrameExclude::Group => vec![(lo, hi.min(gs)), (lo.max(ge), hi)],
            FrameExclude::Ties => vec![(lo, hi.min(gs)), (lo.max(p), hi.min(p + 1)), (lo.max(ge), hi)],
        };
        parts.into_iter().filter(|(a, b)| a < b).collect()
    }

    fn compute(&self, call: &WindowCall, offs: &FrameOffsets) -> Result<Vec<Value>> {
        let n = self.len();
        let name = call.name.as_str();
        let mut out = Vec::with_capacity(n);
        match name {
            "row_number" => out.extend((1..=n).map(|i| Value::Integer(i as i64))),
            "rank" | "dense_rank" | "percent_rank" | "cume_dist" => {
                for p in 0..n {
                    let (gs, ge) = self.group_bounds(p);
                    let g = self.gid.get(p).copied().unwrap_or(0);
                    out.push(match name {
                        "rank" => Value::Integer(gs as i64 + 1),
                        "dense_rank" => Value::Integer(g as i64 + 1),
                        "percent_rank" if n > 1 => Value::Real(gs as f64 / (n - 1) as f64),
                        "percent_rank" => Value::Real(0.0),
                        _ => Value::Real(ge as f64 / n as f64),
                    });
                }
            }
            "ntile" => {
                // SQLite reads the bucket count from the partition's first row.
                let buckets = self.arg(0, 0).to_i64();
                if buckets <= 0 {
                    return sql_err("argument of ntile must be a positive integer");
                }
                let buckets = usize::try_from(buckets).unwrap_or(usize::MAX);
                let size = n / buckets;
                let extra = n % buckets;
                for p in 0..n {
                    let b = if size == 0 {
                        p
                    } else {
                        let big = extra * (size + 1);
                        if p < big { p / (size + 1) } else { extra + (p - big) / size }
                    };
                    out.push(Value::Integer(b as i64 + 1));
                }
            }
            "lag" | "lead" => {
                for p in 0..n {
                    let off = if call.args.len() > 1 { self.arg(p, 1) } else { Value::Integer(1) };
                    let here = Value::Integer(p as i64 + 1);
                    let target = if name == "lag" { value::sub(&here, &off) } else { value::add(&here, &off) };
                    let pos = match target {
                        Value::Integer(k) => Some(k),
                        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e18 => Some(r as i64),
                        _ => None,
                    };
                    let found = pos.filter(|k| *k >= 1 && (*k as u64) <= n as u64).map(|k| k as usize - 1);
                    out.push(match found {
                        Some(q) => self.arg(q, 0),
                        None => self.arg(p, 2),
                    });
                }
            }
            "first_value" | "last_value" | "nth_value" => {
                for p in 0..n {
                    let nth = if name == "nth_value" { Some(nth_arg(&self.arg(p, 1))?) } else { None };
                    let (lo, hi) = self.frame(p, call, offs);
                    let segs = self.segments(p, lo, hi, call.frame.exclude);
                    let total: usize = segs.iter().map(|(a, b)| b - a).sum();
                    let want = match name {
                        "first_value" => Some(0),
                        "last_value" => total.checked_sub(1),
                        _ => nth.and_then(|k| k.checked_sub(1)).filter(|k| *k < total),
                    };
                    let pos = want.and_then(|mut k| {
                        for (a, b) in &segs {
                            if k < b - a {
                                return Some(a + k);
                            }
                            k -= b - a;
                        }
                        None
                    });
                    out.push(pos.map_or(Value::Null, |q| self.arg(q, 0)));
                }
            }
            _ => return self.compute_aggregate(call, offs),
        }
        Ok(out)
    }

    /// Aggregates over frames.
    fn compute_aggregate(&self, call: &WindowCall, offs: &FrameOffsets) -> Result<Vec<Value>> {
        let n = self.len();
        let mut out = Vec::with_capacity(n);
        let coll = call.args.first().map_or(Collation::Binary, crate::bind::expr_collation);
        if call.frame.from_scratch {
            // SQLite aggregates each frame from scratch when EXCLUDE is written.
            for p in 0..n {
                let (lo, hi) = self.frame(p, call, offs);
                let mut acc = Acc::new(call, coll, true);
                for (a, b) in self.segments(p, lo, hi, call.frame.exclude) {
                    for q in a..b {
                        acc.add(self, q);
                    }
                }
                out.push(acc.value(self)?);
            }
            return Ok(out);
        }
        let running = matches!(call.frame.start, Bound::UnboundedPreceding);
        let mut acc = Acc::new(call, coll, running);
        // The accumulator holds the rows of positions [removed, added).
        let (mut added, mut removed) = (0usize, 0usize);
        let (mut prev_lo, mut prev_hi) = (0usize, 0usize);
        for p in 0..n {
            let (lo, hi) = self.frame(p, call, offs);
            if lo < prev_lo || hi < prev_hi {
                // Frame edges moved back (not expected): start over.
                acc = Acc::new(call, coll, running);
                added = lo;
                removed = lo;
            }
            while added < hi {
                if added >= removed {
                    acc.add(self, added);
                }
                added += 1;
            }
            while removed < lo {
                if removed < added {
                    acc.remove(self, removed);
                }
                removed += 1;
            }
            (prev_lo, prev_hi) = (lo, hi);
            out.push(acc.value(self)?);
        }
        Ok(out)
    }
}

/// The `N` of `nth_value(x, N)`: a positive integer (a REAL with an integral
/// value or numeric text counts).
fn nth_arg(v: &Value) -> Result<usize> {
    let k = match value::numeric_value(v) {
        Some(Value::Integer(i)) => Some(i),
        Some(Value::Real(r)) if r.fract() == 0.0 && r.abs() < 9.0e18 => Some(r as i64),
        _ => None,
    };
    match k {
        Some(k) if k > 0 => Ok(usize::try_from(k).unwrap_or(usize::MAX)),
        _ => sql_err("second argument to nth_value must be a positive integer"),
    }
}

/// SQLite's `sum`/`total`/`avg` state: an exact integer sum until a
/// non-integer (or an overflow) is seen, then a compensated REAL sum.
#[derive(Default)]
struct SumAcc {
    count: i64,
    int_sum: i64,
    real_sum: f64,
    real_err: f64,
    approx: bool,
    overflow: bool,
}

/// Integers this large or larger lose bits as a double: they are added in
/// two parts.
const BIG_INT: i64 = 4_503_599_627_370_496;

impl SumAcc {
    /// One step of Kahan-Babuska-Neumaier summation.
    fn kbn(&mut self, x: f64) {
        let s = self.real_sum;
        let t = s + x;
        if s.abs() > x.abs() {
            self.real_err += (s - t) + x;
        } else {
            self.real_err += (x - t) + s;
        }
        self.real_sum = t;
    }

    fn kbn_int(&mut self, i: i64) {
        if i <= -BIG_INT || i >= BIG_INT {
            let small = i % 16384;
            self.kbn((i - small) as f64);
            self.kbn(small as f64);
        } else {
            self.kbn(i as f64);
        }
    }

    fn go_approx(&mut self) {
        self.approx = true;
        self.real_sum = 0.0;
        self.real_err = 0.0;
        self.kbn_int(self.int_sum);
    }

    fn step(&mut self, v: &Value, sign: i64) {
        let num = match v {
            Value::Null => return,
            Value::Integer(_) | Value::Real(_) => v.clone(),
            other => value::numeric_value(other).unwrap_or_else(|| Value::Real(other.to_f64())),
        };
        self.count += sign;
        match num {
            Value::Integer(i) => {
                let i = if sign < 0 { i.checked_neg() } else { Some(i) };
                if !self.approx {
                    match i.and_then(|i| self.int_sum.checked_add(i)) {
                        Some(s) => self.int_sum = s,
                        None => {
                            self.overflow = true;
                            self.go_approx();
                            self.kbn_int(v.to_i64().wrapping_mul(sign));
                        }
                    }
                } else {
                    match i {
                        Some(i) => self.kbn_int(i),
                        None => self.kbn(-(v.to_i64() as f64)),
                    }
                }
            }
            other => {
                let r = other.to_f64() * sign as f64;
                if !self.approx {
                    self.go_approx();
                }
                self.kbn(r);
            }
        }
    }

    fn real(&self) -> f64 {
        if self.real_err.is_finite() { self.real_sum + self.real_err } else { self.real_sum }
    }

    fn value(&self, name: &str) -> Result<Value> {
        Ok(match name {
            "total" if self.approx => Value::Real(self.real()),
            "total" => Value::Real(self.int_sum as f64),
            _ if self.count <= 0 => Value::Null,
            "avg" if self.approx => Value::Real(self.real() / self.count as f64),
            "avg" => Value::Real(self.int_sum as f64 / self.count as f64),
            _ if self.approx && self.overflow => return Err(Error::Runtime("integer overflow".into())),
            _ if self.approx => Value::Real(self.real()),
            _ => Value::Integer(self.int_sum),
        })
    }
}

/// A frame aggregate's running state.
enum Acc<'c> {
    Count {
        star: bool,
        n: i64,
    },
    Sum {
        name: &'c str,
        s: SumAcc,
    },
    /// min/max over a frame whose start never moves (`fresh`): keeps the
    /// first of equal values, like SQLite's step function.
    MinMaxRun {
        max: bool,
        coll: Collation,
        best: Option<Value>,
    },
    /// min/max over a sliding frame: a monotonic queue of positions; of
    /// equal values the latest wins, as in SQLite's sliding implementation.
    MinMaxSlide {
        max: bool,
        coll: Collation,
        queue: VecDeque<usize>,
    },
    /// group_concat / string_agg: the positions of non-NULL values.
    Concat {
        items: VecDeque<usize>,
        /// SQLite returns NULL for an empty result of a sliding frame but
        /// '' when it aggregates a frame from scratch (EXCLUDE).
        fresh: bool,
        default_sep: bool,
    },
}

impl<'c> Acc<'c> {
    fn new(call: &'c WindowCall, coll: Collation, fresh: bool) -> Acc<'c> {
        let name = call.name.as_str();
        match name {
            "count" => Acc::Count { star: call.star || call.args.is_empty(), n: 0 },
            "min" | "max" if fresh => Acc::MinMaxRun { max: name == "max", coll, best: None },
            "min" | "max" => Acc::MinMaxSlide { max: name == "max", coll, queue: VecDeque::new() },
            "group_concat" | "string_agg" => Acc::Concat {
                items: VecDeque::new(),
                fresh: fresh && call.frame.from_scratch,
                default_sep: call.args.len() < 2,
            },
            _ => Acc::Sum { name, s: SumAcc::default() },
        }
    }

    fn add(&mut self, part: &Partition<'_>, q: usize) {
        if !part.passes(q) {
            return;
        }
        match self {
            Acc::Count { star, n } => {
                if *star || !part.arg(q, 0).is_null() {
                    *n += 1;
                }
            }
            Acc::Sum { s, .. } => s.step(&part.arg(q, 0), 1),
            Acc::MinMaxRun { max, coll, best } => {
                let v = part.arg(q, 0);
                if v.is_null() {
                    return;
                }
                let better = match best {
                    None => true,
                    Some(b) => {
                        let o = value::compare(&v, b, *coll);
                        if *max { o == Ordering::Greater } else { o == Ordering::Less }
                    }
                };
                if better {
                    *best = Some(v);
                }
            }
            Acc::MinMaxSlide { max, coll, queue } => {
                let v = part.arg(q, 0);
                if v.is_null() {
                    return;
                }
                while let Some(&back) = queue.back() {
                    let o = value::compare(&part.arg(back, 0), &v, *coll);
                    let dominated = if *max { o != Ordering::Greater } else { o != Ordering::Less };
                    if !dominated {
                        break;
                    }
                    queue.pop_back();
                }
                queue.push_back(q);
            }
            Acc::Concat { items, .. } => {
                if !part.arg(q, 0).is_null() {
                    items.push_back(q);
                }
            }
        }
    }

    fn remove(&mut self, part: &Partition<'_>, q: usize) {
        if !part.passes(q) {
            return;
        }
        match self {
            Acc::Count { star, n } => {
                if *star || !part.arg(q, 0).is_null() {
                    *n -= 1;
                }
            }
            Acc::Sum { s, .. } => s.step(&part.arg(q, 0), -1),
            // A running min/max never loses rows.
            Acc::MinMaxRun { .. } => {}
            Acc::MinMaxSlide { queue, .. } => {
                if queue.front() == Some(&q) {
                    queue.pop_front();
                }
            }
            Acc::Concat { items, .. } => {
                if items.front() == Some(&q) {
                    items.pop_front();
                }
            }
        }
    }

    fn value(&self, part: &Partition<'_>) -> Result<Value> {
        Ok(match self {
            Acc::Count { n, .. } => Value::Integer(*n),
            Acc::Sum { name, s } => s.value(name)?,
            Acc::MinMaxRun { best, .. } => best.clone().unwrap_or(Value::Null),
            Acc::MinMaxSlide { queue, .. } => queue.front().map_or(Value::Null, |&q| part.arg(q, 0)),
            Acc::Concat { items, fresh, default_sep } => {
                let mut s = String::new();
                for (k, &q) in items.iter().enumerate() {
                    if k > 0 {
                        if *default_sep {
                            s.push(',');
                        } else {
                            let sep = part.arg(q, 1);
                            if !sep.is_null() {
                                s.push_str(&sep.to_text());
                            }
                        }
                    }
                    s.push_str(&part.arg(q, 0).to_text());
                }
                if items.is_empty() || (s.is_empty() && !*fresh) { Value::Null } else { Value::Text(s) }
            }
        })
    }
}
