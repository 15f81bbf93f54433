//! The executor: evaluates bound expressions and runs query plans.
//!
//! A query runs to completion here: each source gives all of its rows
//! (through the access path and join order the planner chose), then
//! grouping, windows, DISTINCT, compounds and sorting work on them. Most
//! queries (joins, sorts, GROUP BY, DISTINCT, UNION ALL) can instead be
//! read row by row in bounded memory ([`stream`], which says which).

mod recursive;
pub mod semi;
pub mod stream;

use crate::ast::{BinaryOp, CompoundOp, JoinKind, LikeOp, UnaryOp};
use crate::error::{Error, Result};
use crate::plan::{AggCall, BExpr, CorePlan, QueryPlan, RaiseAction, SortKey, Source};
use crate::value::{self, Affinity, Collation, Value};
use dosql_storage::{Range, ReadTxn, TreeId, WriteTxn};
use std::cmp::Ordering;
use std::collections::HashSet;
use std::ops::Bound;

/// Read access to the trees, from a read or a write transaction.
pub trait Reader {
    /// The entries of a tree with keys between `lo` and `hi`, in key order.
    fn range(&self, tree: TreeId, lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> Result<Range>;
    /// Every entry of a tree in key order.
    fn scan(&self, tree: TreeId) -> Result<Range> {
        self.range(tree, Bound::Unbounded, Bound::Unbounded)
    }
    /// One entry.
    fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Calls `f` with the value of one entry, borrowed where the storage
    /// allows; returns whether the entry exists.
    fn get_with(&self, tree: TreeId, key: &[u8], f: &mut dyn FnMut(&[u8])) -> Result<bool> {
        Ok(self.get(tree, key)?.map(|v| f(&v)).is_some())
    }
    /// Whether the tree exists.
    fn has_tree(&self, tree: TreeId) -> bool;
    /// How many entries the tree holds.
    fn tree_len(&self, tree: TreeId) -> Result<u64>;
}

impl Reader for ReadTxn {
    fn range(&self, tree: TreeId, lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> Result<Range> {
        Ok(ReadTxn::range(self, tree, (lo, hi))?)
    }
    fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(ReadTxn::get(self, tree, key)?)
    }
    fn get_with(&self, tree: TreeId, key: &[u8], f: &mut dyn FnMut(&[u8])) -> Result<bool> {
        Ok(ReadTxn::get_with(self, tree, key, f)?.is_some())
    }
    fn has_tree(&self, tree: TreeId) -> bool {
        self.tree_exists(tree)
    }
    fn tree_len(&self, tree: TreeId) -> Result<u64> {
        Ok(Self::tree_len(self, tree)?)
    }
}

impl Reader for WriteTxn {
    fn range(&self, tree: TreeId, lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> Result<Range> {
        Ok(WriteTxn::range(self, tree, (lo, hi))?)
    }
    fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(WriteTxn::get(self, tree, key)?)
    }
    fn get_with(&self, tree: TreeId, key: &[u8], f: &mut dyn FnMut(&[u8])) -> Result<bool> {
        Ok(WriteTxn::get_with(self, tree, key, f)?.is_some())
    }
    fn has_tree(&self, tree: TreeId) -> bool {
        self.tree_exists(tree)
    }
    fn tree_len(&self, tree: TreeId) -> Result<u64> {
        Ok(Self::tree_len(self, tree)?)
    }
}

/// What evaluation needs besides the row.
pub struct Ctx<'a> {
    /// Storage.
    pub rd: &'a dyn Reader,
    /// Statement parameters.
    pub params: &'a [Value],
    /// The rows recursive CTEs are being extended from, innermost first.
    pub working: Option<&'a Working<'a>>,
    /// The statement's time (ms since the Unix epoch): every `'now'` in a
    /// statement is the same instant, as in SQLite.
    pub now_ms: i64,
    /// The connection's counters, for `changes()` and friends.
    pub session: Session,
    /// Values of uncorrelated scalar subqueries already computed, when the
    /// statement evaluates each such subquery once (UPDATE, as SQLite).
    pub subqueries: Option<&'a SubqueryCache>,
    /// Hash sets of IN and EXISTS subqueries, when the statement (a
    /// SELECT) keeps them.
    pub sets: Option<&'a semi::SetCache>,
}

/// What `last_insert_rowid()`, `changes()` and `total_changes()` report:
/// the connection's state when the statement started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Session {
    /// The rowid of the last row a top-level INSERT added to a rowid table.
    pub last_insert_rowid: i64,
    /// Rows changed by the last completed INSERT, UPDATE or DELETE.
    pub changes: i64,
    /// Rows changed since the connection opened, triggers' included.
    pub total_changes: i64,
}

impl<'a> Ctx<'a> {
    /// A context over `rd` with statement parameters `params`, at the
    /// current wall-clock time.
    pub fn new(rd: &'a dyn Reader, params: &'a [Value]) -> Ctx<'a> {
        Self::at_instant(rd, params, crate::func::datetime::wall_clock_ms())
    }

    /// A context over `rd` with statement parameters `params`, for a
    /// statement that started at `now_ms` (without reading the clock).
    pub fn at_instant(rd: &'a dyn Reader, params: &'a [Value], now_ms: i64) -> Ctx<'a> {
        Ctx { rd, params, working: None, now_ms, session: Session::default(), subqueries: None, sets: None }
    }

    /// This context with the connection's counters.
    pub fn with_session(mut self, session: Session) -> Ctx<'a> {
        self.session = session;
        self
    }

    /// This context with the statement time `now_ms`.
    pub fn at(mut self, now_ms: i64) -> Ctx<'a> {
        self.now_ms = now_ms;
        self
    }

    /// This context, computing each uncorrelated scalar subquery once and
    /// keeping its value in `cache`.
    pub fn with_subquery_cache(mut self, cache: &'a SubqueryCache) -> Ctx<'a> {
        self.subqueries = Some(cache);
        self
    }

    /// This context, answering IN and EXISTS subqueries from hash sets
    /// built once and kept in `cache` (for a statement that changes no
    /// table).
    pub fn with_sets(mut self, cache: &'a semi::SetCache) -> Ctx<'a> {
        self.sets = Some(cache);
        self
    }
}

/// Values of uncorrelated scalar subqueries, by the address of their plan
/// (stable while one statement runs).
pub type SubqueryCache = std::cell::RefCell<std::collections::HashMap<usize, Value>>;

/// The current row of a recursive CTE, which its recursive SELECT reads
/// as the CTE's table.
pub struct Working<'a> {
    /// The CTE's plan id ([`crate::plan::RecursivePlan::id`]).
    pub id: usize,
    /// The rows the step reads.
    pub rows: &'a [Vec<Value>],
    /// An enclosing recursive CTE's working rows.
    pub parent: Option<&'a Working<'a>>,
}

/// The row being evaluated and the rows of enclosing queries.
pub struct Env<'a> {
    /// The current row.
    pub row: &'a [Value],
    /// Aggregate values of the current group.
    pub aggs: &'a [Value],
    /// The enclosing query's environment.
    pub parent: Option<&'a Env<'a>>,
}

impl Env<'_> {
    fn at(&self, depth: usize, idx: usize) -> Value {
        let mut env = self;
        for _ in 0..depth {
            match env.parent {
                Some(p) => env = p,
                None => return Value::Null,
            }
        }
        env.row.get(idx).cloned().unwrap_or(Value::Null)
    }
}

fn truth(v: &Value) -> Option<bool> {
    value::is_true(v)
}

fn bool_val(b: Option<bool>) -> Value {
    match b {
        Some(true) => Value::Integer(1),
        Some(false) => Value::Integer(0),
        None => Value::Null,
    }
}

/// Compares two values as a comparison operator does: affinity first, then
/// the collation. `None` if either is NULL.
fn cmp_op(l: Value, l_aff: Option<Affinity>, r: Value, r_aff: Option<Affinity>, coll: Collation) -> Option<Ordering> {
    if matches!(l, Value::Null) || matches!(r, Value::Null) {
        return None;
    }
    let (l, r) = value::prepare_comparison(l, l_aff, r, r_aff);
    Some(value::compare(&l, &r, coll))
}

/// Evaluates an expression.
pub fn eval(ctx: &Ctx<'_>, e: &BExpr, env: &Env<'_>) -> Result<Value> {
    crate::stack::grow(|| eval_node(ctx, e, env))
}

fn eval_node(ctx: &Ctx<'_>, e: &BExpr, env: &Env<'_>) -> Result<Value> {
    Ok(match e {
        BExpr::Lit(v) => v.clone(),
        BExpr::Param(i) => ctx.params.get(*i).cloned().unwrap_or(Value::Null),
        BExpr::Col { depth, idx, .. } => env.at(*depth, *idx),
        BExpr::Bin { op, l, r, coll } => eval_binary(ctx, *op, l, r, *coll, env)?,
        BExpr::Unary { op, e } => {
            let v = eval(ctx, e, env)?;
            match op {
                UnaryOp::Neg => value::negate(&v),
                UnaryOp::Plus => v,
                UnaryOp::Not => bool_val(truth(&v).map(|b| !b)),
                UnaryOp::BitNot => value::bit_not(&v),
            }
        }
        BExpr::Like { op, negated, e, pat, esc } => {
            let v = eval(ctx, e, env)?;
            let p = eval(ctx, pat, env)?;
            let mut args = vec![p, v];
            if let Some(x) = esc {
                args.push(eval(ctx, x, env)?);
            }
            let name = match op {
                LikeOp::Like => "like",
                LikeOp::Glob => "glob",
                LikeOp::Regexp => "regexp",
                LikeOp::Match => "match",
            };
            let r = call_function(ctx, name, &args)?;
            if *negated { bool_val(truth(&r).map(|b| !b)) } else { r }
        }
        BExpr::IsNull { e, negated } => {
            let v = eval(ctx, e, env)?;
            Value::Integer(i64::from(matches!(v, Value::Null) != *negated))
        }
        BExpr::Between { e, lo, hi, negated, coll, coll_hi } => {
            let v = eval(ctx, e, env)?;
            let va = crate::bind::expr_affinity(e);
            let l = eval(ctx, lo, env)?;
            let h = eval(ctx, hi, env)?;
            let ge = cmp_op(v.clone(), va, l, crate::bind::expr_affinity(lo), *coll).map(|o| o != Ordering::Less);
            let le = cmp_op(v, va, h, crate::bind::expr_affinity(hi), *coll_hi).map(|o| o != Ordering::Greater);
            let both = and3(ge, le);
            bool_val(if *negated { both.map(|b| !b) } else { both })
        }
        BExpr::InList { e, list, negated, coll } => {
            let v = eval(ctx, e, env)?;
            let va = crate::bind::expr_affinity(e);
            if list.is_empty() {
                return Ok(Value::Integer(i64::from(*negated)));
            }
            if matches!(v, Value::Null) {
                return Ok(Value::Null);
            }
            let items = list.iter().map(|item| Ok((eval(ctx, item, env)?, crate::bind::expr_affinity(item))));
            let result = membership(&v, va, items, *coll)?;
            bool_val(if *negated { result.map(|b| !b) } else { result })
        }
        BExpr::InSelect { e, plan, negated, .. } if matches!(**e, BExpr::Row(_)) => {
            let BExpr::Row(items) = &**e else { return Err(Error::Sql("row value misused".into())) };
            let result = row_in_select(ctx, items, plan, env)?;
            bool_val(if *negated { result.map(|b| !b) } else { result })
        }
        BExpr::InSelect { e, plan, negated, coll } => {
            let v = eval(ctx, e, env)?;
            let va = crate::bind::expr_affinity(e);
            if let Some(result) = semi::in_select(ctx, &v, va, plan, *coll, env)? {
                return Ok(bool_val(if *negated { result.map(|b| !b) } else { result }));
            }
            let rows = run_query(ctx, plan, Some(env))?;
            if rows.is_empty() {
                return Ok(Value::Integer(i64::from(*negated)));
            }
            if matches!(v, Value::Null) {
                return Ok(Value::Null);
            }
            let va = crate::bind::expr_affinity(e);
            let ra = in_affinity(plan, 0);
            // SQLite: the comparison affinity of IN (SELECT) uses both sides.
            let items = rows.into_iter().map(|row| Ok((row.into_iter().next().unwrap_or(Value::Null), ra)));
            let result = membership(&v, va, items, *coll)?;
            bool_val(if *negated { result.map(|b| !b) } else { result })
        }
        BExpr::Exists { plan, negated } => {
            let any = match semi::exists(ctx, plan, env)? {
                Some(any) => any,
                None => !run_query_limited(ctx, plan, Some(env), Some(1))?.is_empty(),
            };
            Value::Integer(i64::from(any != *negated))
        }
        BExpr::Subquery(plan, column) => {
            let key = &**plan as *const QueryPlan as usize;
            let cache = ctx.subqueries.filter(|_| !crate::explain::refers_outside(plan, 0));
            if let Some(v) = cache.and_then(|c| c.borrow().get(&key).cloned()) {
                return Ok(v);
            }
            let v = run_query_limited(ctx, plan, Some(env), Some(1))?
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().nth(*column))
                .unwrap_or(Value::Null);
            if let Some(c) = cache {
                c.borrow_mut().insert(key, v.clone());
            }
            v
        }
        BExpr::Case { .. } => match case_branch(ctx, e, env)? {
            Some(x) => eval(ctx, x, env)?,
            None => Value::Null,
        },
        BExpr::Cast { e, aff } => value::cast(eval(ctx, e, env)?, *aff),
        BExpr::Collate { e, .. } => eval(ctx, e, env)?,
        BExpr::Func { name, args } if crate::func::json::is_json_function(name) => {
            eval_json_call(ctx, name, args, env)?.0
        }
        // Scalar min()/max() and nullif() compare with the collation of the
        // first argument that has one (a column's, or an explicit COLLATE).
        BExpr::Func { name, args }
            if (args.len() >= 2 && matches!(name.as_str(), "min" | "max")) || (args.len() == 2 && name == "nullif") =>
        {
            let vals = args.iter().map(|a| eval(ctx, a, env)).collect::<Result<Vec<_>>>()?;
            let coll = args.iter().find_map(crate::bind::defined_collation).unwrap_or(Collation::Binary);
            match (name.as_str(), vals.as_slice()) {
                ("nullif", [x, y]) => crate::func::scalar::nullif(x, y, coll),
                _ => crate::func::scalar::min_max(&vals, name == "max", coll),
            }
        }
        BExpr::Func { name, args } => {
            let vals = args.iter().map(|a| eval(ctx, a, env)).collect::<Result<Vec<_>>>()?;
            call_function(ctx, name, &vals)?
        }
        BExpr::Agg(i) => env.aggs.get(*i).cloned().unwrap_or(Value::Null),
        BExpr::Win(_) => return Err(Error::Sql("internal error: unplaced window value".into())),
        BExpr::Row(_) => return Err(Error::Sql("row value misused".into())),
        BExpr::Raise { action, message } => {
            let msg = match message {
                Some(m) => eval(ctx, m, env)?.to_text(),
                None => String::new(),
            };
            return Err(match action {
                RaiseAction::Ignore => Error::RaiseIgnore,
                RaiseAction::Abort => Error::Constraint(msg),
                RaiseAction::Fail => Error::ConstraintFail(msg),
                RaiseAction::Rollback => Error::ConstraintRollback(msg),
            });
        }
    })
}

/// `v IN (items)` with SQLite's three-valued result: true on a match,
/// NULL if no match but some comparison was NULL, else false.
fn membership(
    v: &Value,
    va: Option<Affinity>,
    items: impl Iterator<Item = Result<(Value, Option<Affinity>)>>,
    coll: Collation,
) -> Result<Option<bool>> {
    let mut result = Some(false);
    for item in items {
        let (x, xa) = item?;
        match cmp_op(v.clone(), va, x, xa, coll) {
            Some(Ordering::Equal) => return Ok(Some(true)),
            None => result = None,
            _ => {}
        }
    }
    Ok(result)
}

/// The branch a CASE expression selects (`None`: no ELSE and no match).
fn case_branch<'e>(ctx: &Ctx<'_>, e: &'e BExpr, env: &Env<'_>) -> Result<Option<&'e BExpr>> {
    let BExpr::Case { operand, whens, else_, coll } = e else { return Ok(None) };
    let base = operand.as_ref().map(|o| eval(ctx, o, env)).transpose()?;
    let base_aff = operand.as_deref().and_then(crate::bind::expr_affinity);
    for (w, t) in whens {
        let wv = eval(ctx, w, env)?;
        let hit = match &base {
            Some(b) => cmp_op(b.clone(), base_aff, wv, crate::bind::expr_affinity(w), *coll) == Some(Ordering::Equal),
            None => truth(&wv) == Some(true),
        };
        if hit {
            return Ok(Some(t));
        }
    }
    Ok(else_.as_deref())
}

/// Evaluates an expression and tells whether its value carries SQLite's JSON
/// subtype: results of JSON functions that set it and of `->`, passed on by
/// CASE, COLLATE, unary `+`, CAST and the value-passing functions
/// `coalesce`, `ifnull`, `iif`, `nullif`, `likely`, `unlikely`, `likelihood`.
/// (The flag only matters for TEXT values.)
fn eval_subtyped(ctx: &Ctx<'_>, e: &BExpr, env: &Env<'_>) -> Result<(Value, bool)> {
    match e {
        BExpr::Func { name, args } if crate::func::json::is_json_function(name) => eval_json_call(ctx, name, args, env),
        BExpr::Bin { op: BinaryOp::Arrow, .. } => Ok((eval(ctx, e, env)?, true)),
        BExpr::Case { .. } => match case_branch(ctx, e, env)? {
            Some(x) => eval_subtyped(ctx, x, env),
            None => Ok((Value::Null, false)),
        },
        BExpr::Collate { e, .. } | BExpr::Unary { op: UnaryOp::Plus, e } => eval_subtyped(ctx, e, env),
        BExpr::Cast { e, aff } => {
            let (v, j) = eval_subtyped(ctx, e, env)?;
            Ok((value::cast(v, *aff), j))
        }
        BExpr::Func { name, args } if matches!(name.as_str(), "coalesce" | "ifnull") && args.len() >= 2 => {
            for a in args {
                let (v, j) = eval_subtyped(ctx, a, env)?;
                if !matches!(v, Value::Null) {
                    return Ok((v, j));
                }
            }
            Ok((Value::Null, false))
        }
        BExpr::Func { name, args } if matches!(name.as_str(), "likely" | "unlikely") && args.len() == 1 => {
            eval_subtyped(ctx, &args[0], env)
        }
        BExpr::Func { name, args } if matches!(name.as_str(), "likelihood" | "nullif") && args.len() == 2 => {
            let (v, j) = eval_subtyped(ctx, &args[0], env)?;
            let vals = [v, eval(ctx, &args[1], env)?];
            let r = call_function(ctx, name, &vals)?;
            Ok((r, j))
        }
        BExpr::Func { name, args } if matches!(name.as_str(), "iif" | "if") && args.len() >= 2 => {
            let mut i = 0;
            while i + 1 < args.len() {
                if truth(&eval(ctx, &args[i], env)?) == Some(true) {
                    return eval_subtyped(ctx, &args[i + 1], env);
                }
                i += 2;
            }
            match args.get(i) {
                Some(x) => eval_subtyped(ctx, x, env),
                None => Ok((Value::Null, false)),
            }
        }
        _ => Ok((eval(ctx, e, env)?, false)),
    }
}

/// Calls a JSON function, passing which arguments carry the JSON subtype.
fn eval_json_call(ctx: &Ctx<'_>, name: &str, args: &[BExpr], env: &Env<'_>) -> Result<(Value, bool)> {
    let (vals, flags): (Vec<Value>, Vec<bool>) =
        args.iter().map(|a| eval_subtyped(ctx, a, env)).collect::<Result<Vec<_>>>()?.into_iter().unzip();
    match crate::func::json::call_json(name, &vals, &flags) {
        Some(r) => r.map_err(Error::Sql),
        None => Err(Error::Sql(format!("no such function: {name}"))),
    }
}

fn call_function(ctx: &Ctx<'_>, name: &str, args: &[Value]) -> Result<Value> {
    // The functions that read the connection.
    let session = match name {
        "last_insert_rowid" => Some(ctx.session.last_insert_rowid),
        "changes" => Some(ctx.session.changes),
        "total_changes" => Some(ctx.session.total_changes),
        _ => None,
    };
    if let Some(v) = session {
        if !args.is_empty() {
            return Err(Error::Sql(crate::func::wrong_args(name)));
        }
        return Ok(Value::Integer(v));
    }
    if name == "sqlite_version" {
        if !args.is_empty() {
            return Err(Error::Sql(crate::func::wrong_args(name)));
        }
        // The SQLite release whose behaviour DoSQL is tested against.
        return Ok(Value::Text(crate::SQLITE_VERSION.into()));
    }
    match crate::func::call_scalar_at(name, args, ctx.now_ms) {
        Some(r) => r.map_err(Error::Sql),
        None => Err(Error::Sql(format!("no such function: {name}"))),
    }
}

fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn eval_binary(ctx: &Ctx<'_>, op: BinaryOp, l: &BExpr, r: &BExpr, coll: Collation, env: &Env<'_>) -> Result<Value> {
    use BinaryOp::*;
    if let (BExpr::Row(a), BExpr::Row(b)) = (l, r) {
        return eval_row_compare(ctx, op, a, b, env);
    }
    match op {
        And => {
            let a = truth(&eval(ctx, l, env)?);
            if a == Some(false) {
                return Ok(Value::Integer(0));
            }
            let b = truth(&eval(ctx, r, env)?);
            return Ok(bool_val(and3(a, b)));
        }
        Or => {
            let a = truth(&eval(ctx, l, env)?);
            if a == Some(true) {
                return Ok(Value::Integer(1));
            }
            let b = truth(&eval(ctx, r, env)?);
            return Ok(bool_val(match (a, b) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            }));
        }
        _ => {}
    }
    let a = eval(ctx, l, env)?;
    let b = eval(ctx, r, env)?;
    let (la, ra) = (crate::bind::expr_affinity(l), crate::bind::expr_affinity(r));
    Ok(match op {
        Add => value::add(&a, &b),
        Sub => value::sub(&a, &b),
        Mul => value::mul(&a, &b),
        Div => value::div(&a, &b),
        Rem => value::rem(&a, &b),
        Concat => value::concat(&a, &b),
        BitAnd => value::bit_and(&a, &b),
        BitOr => value::bit_or(&a, &b),
        ShiftLeft => value::shl(&a, &b),
        ShiftRight => value::shr(&a, &b),
        Eq | NotEq | Lt | LtEq | Gt | GtEq => {
            let o = cmp_op(a, la, b, ra, coll);
            bool_val(o.map(|o| match op {
                Eq => o == Ordering::Equal,
                NotEq => o != Ordering::Equal,
                Lt => o == Ordering::Less,
                LtEq => o != Ordering::Greater,
                Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }))
        }
        Is | IsNot => {
            let same = match (&a, &b) {
                (Value::Null, Value::Null) => true,
                (Value::Null, _) | (_, Value::Null) => false,
                _ => cmp_op(a, la, b, ra, coll) == Some(Ordering::Equal),
            };
            Value::Integer(i64::from(same == (op == Is)))
        }
        Arrow | LongArrow => call_function(ctx, if op == Arrow { "->" } else { "->>" }, &[a, b])?,
        And | Or => Value::Null,
    })
}

fn eval_row_compare(ctx: &Ctx<'_>, op: BinaryOp, a: &[BExpr], b: &[BExpr], env: &Env<'_>) -> Result<Value> {
    if a.len() != b.len() {
        return Err(Error::Sql("row value misused".into()));
    }
    let decide = |o: Ordering| match op {
        BinaryOp::Eq => o == Ordering::Equal,
        BinaryOp::NotEq => o != Ordering::Equal,
        BinaryOp::Lt => o == Ordering::Less,
        BinaryOp::LtEq => o != Ordering::Greater,
        BinaryOp::Gt => o == Ordering::Greater,
        _ => o != Ordering::Less,
    };
    let is = matches!(op, BinaryOp::Is | BinaryOp::IsNot);
    if !is
        && !matches!(op, BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq)
    {
        return Err(Error::Sql("row value misused".into()));
    }
    let mut saw_null = false;
    for (x, y) in a.iter().zip(b) {
        let (xv, yv) = (eval(ctx, x, env)?, eval(ctx, y, env)?);
        if is {
            // IS: NULL matches NULL only; every pair must match.
            let same = match (&xv, &yv) {
                (Value::Null, Value::Null) => true,
                (Value::Null, _) | (_, Value::Null) => false,
                _ => {
                    cmp_op(
                        xv,
                        crate::bind::expr_affinity(x),
                        yv,
                        crate::bind::expr_affinity(y),
                        crate::bind::expr_collation(x),
                    ) == Some(Ordering::Equal)
                }
            };
            if !same {
                return Ok(Value::Integer(i64::from(op == BinaryOp::IsNot)));
            }
            continue;
        }
        let coll = crate::bind::expr_collation(x);
        match cmp_op(xv, crate::bind::expr_affinity(x), yv, crate::bind::expr_affinity(y), coll) {
            // (In)equality: a later pair that differs still decides.
            None if matches!(op, BinaryOp::Eq | BinaryOp::NotEq) => saw_null = true,
            // An ordering stops at the first pair that is not equal.
            None => return Ok(Value::Null),
            Some(Ordering::Equal) => {}
            Some(o) => return Ok(bool_val(Some(decide(o)))),
        }
    }
    if is {
        return Ok(Value::Integer(i64::from(op == BinaryOp::Is)));
    }
    Ok(if saw_null { Value::Null } else { bool_val(Some(decide(Ordering::Equal))) })
}

/// The affinity column `i` of an IN subquery compares with: for a compound
/// SELECT, SQLite takes the rightmost arm's expression.
pub(crate) fn in_affinity(plan: &QueryPlan, i: usize) -> Option<Affinity> {
    match plan.compound.last() {
        Some((_, core)) => core.result.get(i).and_then(crate::bind::expr_affinity),
        None => plan.affinities.get(i).copied().flatten(),
    }
}

/// `(a, b, ...) IN (SELECT ...)`: true if some row equals the row value
/// pair by pair, else NULL if some row might (a NULL comparison and no
/// difference), else false.
fn row_in_select(ctx: &Ctx<'_>, items: &[BExpr], plan: &QueryPlan, env: &Env<'_>) -> Result<Option<bool>> {
    let vals = items.iter().map(|x| eval(ctx, x, env)).collect::<Result<Vec<_>>>()?;
    let mut result = Some(false);
    for row in run_query(ctx, plan, Some(env))? {
        let mut this = Some(true);
        for (i, (x, v)) in items.iter().zip(&vals).enumerate() {
            let y = row.get(i).cloned().unwrap_or(Value::Null);
            let ya = in_affinity(plan, i);
            let coll = crate::bind::expr_collation(x);
            match cmp_op(v.clone(), crate::bind::expr_affinity(x), y, ya, coll) {
                Some(Ordering::Equal) => {}
                None => this = None,
                Some(_) => {
                    this = Some(false);
                    break;
                }
            }
        }
        match this {
            Some(true) => return Ok(Some(true)),
            None => result = None,
            Some(false) => {}
        }
    }
    Ok(result)
}

/// A WHERE conjunct and the row width it needs: it can be applied as soon
/// as a join has produced that many columns.
#[derive(Clone, Copy)]
pub(crate) struct Filter<'p> {
    /// Lowest column it reads (0 when it reads none).
    lo: usize,
    /// Row width it needs: one more than the highest column it reads.
    hi: usize,
    e: &'p BExpr,
}

/// Whether `row` passes every condition in `fs`.
pub(crate) fn passes(ctx: &Ctx<'_>, fs: &[&BExpr], row: &[Value], parent: Option<&Env<'_>>) -> Result<bool> {
    let env = Env { row, aggs: &[], parent };
    for f in fs {
        if truth(&eval(ctx, f, &env)?) != Some(true) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn apply_filters(
    ctx: &Ctx<'_>,
    rows: Vec<Vec<Value>>,
    filters: &[Filter<'_>],
    from: usize,
    to: usize,
    parent: Option<&Env<'_>>,
) -> Result<Vec<Vec<Value>>> {
    let now: Vec<&BExpr> = filters.iter().filter(|f| f.hi > from && f.hi <= to).map(|f| f.e).collect();
    if now.is_empty() {
        return Ok(rows);
    }
    let mut kept = Vec::with_capacity(rows.len());
    for r in rows {
        if passes(ctx, &now, &r, parent)? {
            kept.push(r);
        }
    }
    Ok(kept)
}

/// Rows of a source. `filters` are WHERE conjuncts applied at the first
/// join level whose rows cover every column they read, so a chain of
/// inner joins never builds the whole cross product.
pub(crate) fn source_rows(
    ctx: &Ctx<'_>,
    src: &Source,
    parent: Option<&Env<'_>>,
    filters: &[Filter<'_>],
) -> Result<Vec<Vec<Value>>> {
    source_rows_capped(ctx, src, parent, filters, None)
}

/// [`source_rows`] that may stop once a top-level join has given `cap`
/// rows that no later filter can drop.
fn source_rows_capped(
    ctx: &Ctx<'_>,
    src: &Source,
    parent: Option<&Env<'_>>,
    filters: &[Filter<'_>],
    cap: Option<usize>,
) -> Result<Vec<Vec<Value>>> {
    match src {
        Source::Single => Ok(vec![Vec::new()]),
        Source::Table(t) => crate::access::rows(ctx, &t.table, &t.access, parent),
        // A FROM subquery is bound inside this query's scope, which it cannot
        // see into: an empty row stands for it, so outer references keep
        // their depth.
        Source::Query(q) => run_query(ctx, q, Some(&Env { row: &[], aggs: &[], parent })),
        Source::Recursive(p) => recursive::run(ctx, p, Some(&Env { row: &[], aggs: &[], parent })),
        Source::Working { id, .. } => Ok(recursive::working_rows(ctx, *id)),
        Source::JsonEach { tree, blob, args } => json_each_rows(ctx, (*tree, *blob), args, &[], parent),
        Source::Join { left, right, kind, on, left_width, right_width } => {
            let lrows = source_rows(ctx, left, parent, filters)?;
            let lrows = if matches!(**left, Source::Join { .. }) {
                lrows
            } else {
                apply_filters(ctx, lrows, filters, 0, *left_width, parent)?
            };
            let total = left_width + right_width;
            let inner = matches!(kind, JoinKind::Inner | JoinKind::Cross);
            // A table-valued function, or a table looked up by the left
            // row's values, gives rows per left row.
            let per_left = match &**right {
                Source::JsonEach { .. } => true,
                Source::Table(t) => t.access.reads_left(),
                _ => false,
            };
            let mut rrows = if per_left { Vec::new() } else { source_rows(ctx, right, parent, &[])? };
            if inner {
                // Conjuncts that read only the right side filter it first.
                let right_only: Vec<&BExpr> = filters
                    .iter()
                    .filter(|f| f.lo >= *left_width && f.hi > *left_width && f.hi <= total)
                    .map(|f| f.e)
                    .collect();
                if !right_only.is_empty() {
                    let mut kept = Vec::with_capacity(rrows.len());
                    let mut padded = vec![Value::Null; *left_width];
                    for r in rrows {
                        padded.truncate(*left_width);
                        padded.extend_from_slice(&r);
                        if passes(ctx, &right_only, &padded, parent)? {
                            kept.push(r);
                        }
                    }
                    rrows = kept;
                }
            }
            let level: Vec<&BExpr> =
                filters.iter().filter(|f| f.hi > *left_width && f.hi <= total).map(|f| f.e).collect();
            // Outer joins apply WHERE afterwards; RIGHT and FULL add rows at
            // the end: only an inner or filter-free LEFT join may stop early.
            let after = filters.iter().any(|f| f.hi > *left_width && f.hi <= total);
            let cap = cap.filter(|_| inner || (matches!(kind, JoinKind::Left) && !after));
            let mut out = Vec::new();
            let mut right_matched = vec![false; rrows.len()];
            let mut buf: Vec<Value> = Vec::with_capacity(total);
            for l in &lrows {
                if cap.is_some_and(|c| out.len() >= c) {
                    break;
                }
                let mut matched = false;
                let own;
                let rrows = match &**right {
                    Source::JsonEach { tree, blob, args } => {
                        own = json_each_rows(ctx, (*tree, *blob), args, l, parent)?;
                        &own
                    }
                    Source::Table(t) if per_left => {
                        own = crate::access::rows_after(ctx, &t.table, &t.access, l, parent)?;
                        &own
                    }
                    _ => &rrows,
                };
                for (ri, r) in rrows.iter().enumerate() {
                    // One buffer for every candidate pair: only rows that pass
                    // are allocated.
                    buf.clear();
                    buf.extend_from_slice(l);
                    buf.extend_from_slice(r);
                    let ok = match on {
                        Some(c) => {
                            let env = Env { row: &buf, aggs: &[], parent };
                            truth(&eval(ctx, c, &env)?) == Some(true)
                        }
                        None => true,
                    };
                    if ok {
                        matched = true;
                        if let Some(m) = right_matched.get_mut(ri).filter(|_| !per_left) {
                            *m = true;
                        }
                        if inner && !passes(ctx, &level, &buf, parent)? {
                            continue;
                        }
                        out.push(std::mem::replace(&mut buf, Vec::with_capacity(total)));
                    }
                }
                if !matched && matches!(kind, JoinKind::Left | JoinKind::Full) {
                    let mut row = l.clone();
                    row.resize(l.len() + right_width, Value::Null);
                    out.push(row);
                }
            }
            if matches!(kind, JoinKind::Right | JoinKind::Full) && !per_left {
                let lw = *left_width;
                for (ri, r) in rrows.iter().enumerate() {
                    if !right_matched[ri] {
                        let mut row = vec![Value::Null; lw];
                        row.extend_from_slice(r);
                        out.push(row);
                    }
                }
            }
            if inner {
                return Ok(out);
            }
            apply_filters(ctx, out, filters, *left_width, left_width + right_width, parent)
        }
    }
}

/// Rows of `json_each` / `json_tree`; the arguments are evaluated over
/// `left` (the row of the sources to the left, empty when there are none).
fn json_each_rows(
    ctx: &Ctx<'_>,
    (tree, blob): (bool, bool),
    args: &[BExpr],
    left: &[Value],
    parent: Option<&Env<'_>>,
) -> Result<Vec<Vec<Value>>> {
    let env = Env { row: left, aggs: &[], parent };
    let vals = args.iter().map(|a| eval(ctx, a, &env)).collect::<Result<Vec<_>>>()?;
    crate::func::json::each::rows(&vals, tree, blob).map_err(Error::Sql)
}

/// Runs a query to completion.
pub fn run_query(ctx: &Ctx<'_>, q: &QueryPlan, parent: Option<&Env<'_>>) -> Result<Vec<Vec<Value>>> {
    run_query_limited(ctx, q, parent, None)
}

pub(crate) fn eval_limit(ctx: &Ctx<'_>, e: &Option<BExpr>, what: &str) -> Result<Option<i64>> {
    let Some(e) = e else { return Ok(None) };
    let v = eval(ctx, e, &Env { row: &[], aggs: &[], parent: None })?;
    match value::cast(v.clone(), Affinity::Numeric) {
        Value::Integer(i) => Ok(Some(i)),
        _ => Err(Error::Sql(format!("datatype mismatch in {what}"))),
    }
}

/// Runs a query, stopping after `cap` rows when the plan allows it.
pub fn run_query_limited(
    ctx: &Ctx<'_>,
    q: &QueryPlan,
    parent: Option<&Env<'_>>,
    cap: Option<usize>,
) -> Result<Vec<Vec<Value>>> {
    crate::stack::grow(|| run_query_here(ctx, q, parent, cap))
}

fn run_query_here(
    ctx: &Ctx<'_>,
    q: &QueryPlan,
    parent: Option<&Env<'_>>,
    cap: Option<usize>,
) -> Result<Vec<Vec<Value>>> {
    if cap != Some(0)
        && let Some(rows) = point_row(ctx, q, parent)?
    {
        return Ok(rows);
    }
    let limit = eval_limit(ctx, &q.limit, "LIMIT")?.filter(|l| *l >= 0).map(|l| l as usize);
    let offset = eval_limit(ctx, &q.offset, "OFFSET")?.unwrap_or(0).max(0) as usize;
    // A source that gives rows in ORDER BY order can stop once the rows
    // OFFSET skips and LIMIT keeps are found.
    let want = match (limit, cap) {
        _ if !q.compound.is_empty() || !q.first.ordered => None,
        (None, None) => None,
        (l, c) => Some(offset.saturating_add(l.unwrap_or(usize::MAX).min(c.unwrap_or(usize::MAX)))),
    };
    let mut rows: Vec<(Vec<Value>, Vec<Value>)> =
        run_core(ctx, &q.first, &q.order_by, q.order_on_result, parent, want)?;
    // A compound compares rows under its columns' compound collations.
    let colls = if q.compound.is_empty() { Vec::new() } else { crate::bind::compound_collations(q) };
    for (op, core) in &q.compound {
        let right = run_core(ctx, core, &[], true, parent, None)?;
        rows = match op {
            CompoundOp::UnionAll => {
                rows.extend(right);
                rows
            }
            CompoundOp::Union => {
                rows.extend(right);
                dedup(rows, &colls)
            }
            CompoundOp::Intersect => {
                let keep: HashSet<Vec<u8>> = right.iter().map(|(x, _)| row_key_coll(x, &colls)).collect();
                dedup(rows, &colls).into_iter().filter(|(r, _)| keep.contains(&row_key_coll(r, &colls))).collect()
            }
            CompoundOp::Except => {
                let drop: HashSet<Vec<u8>> = right.iter().map(|(x, _)| row_key_coll(x, &colls)).collect();
                dedup(rows, &colls).into_iter().filter(|(r, _)| !drop.contains(&row_key_coll(r, &colls))).collect()
            }
        };
    }
    if !q.order_by.is_empty() {
        if q.order_on_result {
            let env_rows: Vec<_> = rows.into_iter().map(|(r, _)| r).collect();
            let mut keyed = Vec::with_capacity(env_rows.len());
            for r in env_rows {
                let keys = q
                    .order_by
                    .iter()
                    .map(|k| eval(ctx, &k.expr, &Env { row: &r, aggs: &[], parent }))
                    .collect::<Result<Vec<_>>>()?;
                keyed.push((r, keys));
            }
            rows = keyed;
        }
        crate::interrupt::sort_by(&mut rows, |a, b| compare_keys(&a.1, &b.1, &q.order_by))?;
    }
    let mut out: Vec<Vec<Value>> = rows.into_iter().skip(offset).map(|(r, _)| r).collect();
    if let Some(l) = limit {
        out.truncate(l);
    }
    if let Some(c) = cap {
        out.truncate(c);
    }
    Ok(out)
}

/// The answer of the commonest query, `SELECT columns FROM t WHERE rowid
/// = ? [AND ...]`, found without the general machinery: the one row the
/// rowid names, its WHERE tested whole, its columns moved out. `None` when
/// the query has any other shape (then the general run answers it, with
/// the same result).
fn point_row(ctx: &Ctx<'_>, q: &QueryPlan, parent: Option<&Env<'_>>) -> Result<Option<Vec<Vec<Value>>>> {
    let c = &q.first;
    let Source::Table(t) = &c.source else { return Ok(None) };
    let simple = q.compound.is_empty()
        && q.order_by.is_empty()
        && q.limit.is_none()
        && q.offset.is_none()
        && !crate::access::PathCursor::streams(&t.access)
        && c.join.is_none()
        && c.values.is_none()
        && !c.aggregate
        && c.windows.is_empty()
        && c.having.is_none()
        && c.first_row.is_none();
    if !simple {
        return Ok(None);
    }
    let Some(slots) = moved_columns(c) else { return Ok(None) };
    let mut cursor = crate::access::PathCursor::open(ctx, &t.table, &t.access, (&[], parent))?;
    let mut row = Vec::new();
    if !cursor.next_into(ctx.rd, &t.table, &t.access, &mut row)? {
        return Ok(Some(Vec::new()));
    }
    if let Some(w) = &c.where_
        && truth(&eval(ctx, w, &Env { row: &row, aggs: &[], parent })?) != Some(true)
    {
        return Ok(Some(Vec::new()));
    }
    // One row is its own DISTINCT.
    Ok(Some(vec![take_columns(&mut row, &slots)]))
}

/// Compares two sort-key tuples under `keys` (direction, NULL placement,
/// collation).
pub(crate) fn compare_keys(a: &[Value], b: &[Value], keys: &[SortKey]) -> Ordering {
    for ((x, y), k) in a.iter().zip(b).zip(keys) {
        let o = match (x, y) {
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Null, _) => {
                if k.nulls_first {
                    return Ordering::Less;
                } else {
                    return Ordering::Greater;
                }
            }
            (_, Value::Null) => {
                if k.nulls_first {
                    return Ordering::Greater;
                } else {
                    return Ordering::Less;
                }
            }
            _ => value::compare(x, y, k.coll),
        };
        let o = if k.desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// A key that is equal for rows DISTINCT and the compound operators treat
/// as duplicates: NULLs equal each other, numbers compare by value (an
/// integral REAL is keyed as the INTEGER it equals) and text by the
/// column's collation (`colls`, BINARY where missing).
pub(crate) fn row_key_coll(row: &[Value], colls: &[Collation]) -> Vec<u8> {
    let norm: Vec<Value> = row
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            // Within ±2^63 the cast is exact for integral values.
            Value::Real(r) if r.fract() == 0.0 && *r >= -9.223_372_036_854_776e18 && *r < 9.223_372_036_854_776e18 => {
                Value::Integer(*r as i64)
            }
            Value::Text(t) => match colls.get(i) {
                Some(Collation::NoCase) => Value::Text(t.to_ascii_lowercase()),
                Some(Collation::RTrim) => Value::Text(t.trim_end_matches(' ').to_string()),
                _ => v.clone(),
            },
            other => other.clone(),
        })
        .collect();
    crate::record::encode_row(&norm)
}

fn dedup(rows: Vec<(Vec<Value>, Vec<Value>)>, colls: &[Collation]) -> Vec<(Vec<Value>, Vec<Value>)> {
    let mut seen = HashSet::new();
    rows.into_iter().filter(|(r, _)| seen.insert(row_key_coll(r, colls))).collect()
}

/// The collation each result column of a core compares with.
fn result_collations(core: &CorePlan) -> Vec<Collation> {
    core.result.iter().map(crate::bind::expr_collation).collect()
}

/// Runs one core; returns (result row, sort keys) pairs.
fn run_core(
    ctx: &Ctx<'_>,
    core: &CorePlan,
    order_by: &[SortKey],
    order_on_result: bool,
    parent: Option<&Env<'_>>,
    want: Option<usize>,
) -> Result<Vec<(Vec<Value>, Vec<Value>)>> {
    let source_keys = if order_on_result { &[][..] } else { order_by };
    if let Some(values) = &core.values {
        let mut out = Vec::new();
        for row in values {
            let env = Env { row: &[], aggs: &[], parent };
            let r = row.iter().map(|e| eval(ctx, e, &env)).collect::<Result<Vec<_>>>()?;
            let keys = source_keys
                .iter()
                .map(|k| eval(ctx, &k.expr, &Env { row: &r, aggs: &[], parent }))
                .collect::<Result<Vec<_>>>()?;
            out.push((r, keys));
        }
        return Ok(out);
    }
    let mut conjuncts = Vec::new();
    if let Some(w) = &core.where_ {
        crate::access::split_and(w, &mut conjuncts);
    }
    if let Source::Table(t) = &core.source {
        // Comparisons the table's path answers exactly need no test.
        let implied = crate::access::implied(ctx, &t.table, &t.access, &conjuncts, (&[], parent))?;
        if implied != 0 {
            let mut i = 0;
            conjuncts.retain(|_| {
                i += 1;
                i > 64 || implied & (1 << (i - 1)) == 0
            });
        }
    }
    let width = full_width(&core.source);
    // Outer joins that can null-extend earlier tables keep WHERE on top.
    let pushable = crate::access::pushable(&core.source);
    let filters: Vec<Filter<'_>> = conjuncts
        .iter()
        .map(|c| match column_span(c).filter(|_| pushable) {
            Some((lo, hi)) => Filter { lo, hi: hi.max(1), e: c },
            None => Filter { lo: 0, hi: width.max(1), e: c },
        })
        .collect();
    let streamed = match &core.source {
        Source::Table(t) if core.first_row.is_some() || (want.is_some() && core.ordered) => {
            Some(stream_table(ctx, core, t, &conjuncts, parent, want)?)
        }
        _ => None,
    };
    // Rows beyond `want` are never used when nothing after the source drops
    // or reorders them.
    let cap = want.filter(|_| core.ordered && !core.aggregate && !core.distinct && core.windows.is_empty());
    // The join's leaves are gathered only when there is a join plan.
    let leaves = if core.join.is_some() && streamed.is_none() { crate::join::leaves(&core.source) } else { None };
    let joined = match (&core.join, leaves) {
        (Some(plan), Some((leaves, ons))) => {
            let mut all = conjuncts.clone();
            for on in ons {
                crate::access::split_and(on, &mut all);
            }
            Some(crate::join::run(ctx, &leaves, plan, &all, width, parent, cap)?)
        }
        _ => None,
    };
    let rows = if let Some(rows) = streamed.or(joined) {
        rows
    } else {
        let rows = source_rows_capped(ctx, &core.source, parent, &filters, cap)?;
        if matches!(core.source, Source::Join { .. }) {
            rows
        } else {
            apply_filters(ctx, rows, &filters, 0, usize::MAX, parent)?
        }
    };
    let mut out = Vec::new();
    let emit = |row: &[Value], aggs: &[Value], out: &mut Vec<(Vec<Value>, Vec<Value>)>| -> Result<()> {
        let env = Env { row, aggs, parent };
        if let Some(h) = &core.having
            && truth(&eval(ctx, h, &env)?) != Some(true)
        {
            return Ok(());
        }
        if !core.windows.is_empty() {
            // Window values need every row first: keep the row and its aggregates.
            out.push((row.to_vec(), aggs.to_vec()));
            return Ok(());
        }
        let r = core.result.iter().map(|e| eval(ctx, e, &env)).collect::<Result<Vec<_>>>()?;
        let keys = source_keys.iter().map(|k| eval(ctx, &k.expr, &env)).collect::<Result<Vec<_>>>()?;
        out.push((r, keys));
        Ok(())
    };
    if core.aggregate {
        let width = source_width(&core.source, &rows);
        let mut keyed = Vec::with_capacity(rows.len());
        for r in rows {
            let env = Env { row: &r, aggs: &[], parent };
            let k = core.group_by.iter().map(|g| eval(ctx, g, &env)).collect::<Result<Vec<_>>>()?;
            keyed.push((k, r));
        }
        if core.group_by.is_empty() {
            let group: Vec<&Vec<Value>> = keyed.iter().map(|(_, r)| r).collect();
            let aggs = compute_aggs(ctx, &core.aggs, &group, parent)?;
            let empty = vec![Value::Null; width];
            let rep = representative(ctx, core, source_keys, &group, parent)?.map_or(&empty[..], |r| &r[..]);
            emit(rep, &aggs, &mut out)?;
        } else {
            // Groups form by each GROUP BY term's collation.
            let colls: Vec<Collation> = core.group_by.iter().map(crate::bind::expr_collation).collect();
            if !core.grouped {
                crate::interrupt::sort_by(&mut keyed, |a, b| group_cmp(&a.0, &b.0, &colls))?;
            }
            let mut i = 0;
            while i < keyed.len() {
                let mut j = i + 1;
                while j < keyed.len() && group_cmp(&keyed[i].0, &keyed[j].0, &colls) == Ordering::Equal {
                    j += 1;
                }
                let group: Vec<&Vec<Value>> = keyed[i..j].iter().map(|(_, r)| r).collect();
                let aggs = compute_aggs(ctx, &core.aggs, &group, parent)?;
                let rep = representative(ctx, core, source_keys, &group, parent)?.unwrap_or(&keyed[i].1);
                emit(rep, &aggs, &mut out)?;
                i = j;
            }
        }
    } else if let Some(slots) = moved_columns(core) {
        // Plain distinct columns: the values move out of the source row
        // instead of being copied.
        out.reserve(rows.len());
        for mut r in rows {
            let keys = source_keys
                .iter()
                .map(|k| eval(ctx, &k.expr, &Env { row: &r, aggs: &[], parent }))
                .collect::<Result<Vec<_>>>()?;
            out.push((take_columns(&mut r, &slots), keys));
        }
    } else {
        for r in &rows {
            emit(r, &[], &mut out)?;
        }
    }
    if !core.windows.is_empty() {
        out = crate::window::evaluate(ctx, core, source_keys, out, parent)?;
    }
    if core.distinct {
        out = dedup(out, &result_collations(core));
    }
    Ok(out)
}

/// Puts `row`, if there is one, in `out` (for the `next_into` readers
/// that get a row of their own from a source that cannot decode in
/// place); whether there was one.
pub(crate) fn put_row(out: &mut Vec<Value>, row: Option<Vec<Value>>) -> bool {
    match row {
        Some(r) => {
            *out = r;
            true
        }
        None => false,
    }
}

/// The values at `slots` of `row`, moved out (NULL left behind; the row
/// itself, emptied, when they are its leading columns in order).
pub(crate) fn take_columns(row: &mut Vec<Value>, slots: &[usize]) -> Vec<Value> {
    // The leading columns in order (`SELECT *`): the row itself, cut short.
    if slots.iter().enumerate().all(|(i, &s)| i == s) && slots.len() <= row.len() {
        row.truncate(slots.len());
        return std::mem::take(row);
    }
    slots.iter().map(|&i| row.get_mut(i).map_or(Value::Null, |v| std::mem::replace(v, Value::Null))).collect()
}

/// The slots a non-aggregate core's result reads when it is nothing but
/// distinct columns of its row (so each can be moved out of it).
pub(crate) fn moved_columns(core: &CorePlan) -> Option<Vec<usize>> {
    if core.aggregate || !core.windows.is_empty() || core.having.is_some() {
        return None;
    }
    let mut slots = Vec::with_capacity(core.result.len());
    for e in &core.result {
        match e {
            BExpr::Col { depth: 0, idx, .. } if !slots.contains(idx) => slots.push(*idx),
            _ => return None,
        }
    }
    Some(slots)
}

/// The rows of a one-table core read in its path's order, stopping early:
/// after `want` rows pass WHERE, or, for `min(x)` / `max(x)`
/// (`core.first_row`), once the first value of `x` is known. Of the rows
/// holding that first value (equal under `x`'s collation) the answer's row
/// is the one SQLite's index read ends on.
fn stream_table(
    ctx: &Ctx<'_>,
    core: &CorePlan,
    t: &crate::plan::TableSource,
    conjuncts: &[&BExpr],
    parent: Option<&Env<'_>>,
    want: Option<usize>,
) -> Result<Vec<Vec<Value>>> {
    let mut rows: Vec<Vec<Value>> = Vec::new();
    if want == Some(0) && core.first_row.is_none() {
        return Ok(rows);
    }
    let coll = core.aggs.first().and_then(|a| a.args.first()).map_or(Collation::Binary, crate::bind::expr_collation);
    crate::access::visit(ctx, &t.table, &t.access, (&[], parent), &mut |row| {
        if !passes(ctx, conjuncts, &row, parent)? {
            return Ok(true);
        }
        if let Some(slot) = core.first_row {
            let v = row.get(slot).unwrap_or(&Value::Null);
            if *v == Value::Null {
                return Ok(true);
            }
            if let Some(first) = rows.first().and_then(|r| r.get(slot))
                && value::compare(first, v, coll) != Ordering::Equal
            {
                return Ok(false);
            }
            rows.push(row);
            return Ok(true);
        }
        rows.push(row);
        Ok(want.is_none_or(|w| rows.len() < w))
    })?;
    if core.first_row.is_some() {
        let rowid = |r: &Vec<Value>| match r.last() {
            Some(Value::Integer(i)) => *i,
            _ => i64::MAX,
        };
        // As SQLite, the first row of the tie the read meets: entries with
        // equal values follow in rowid order, so a backward read meets the
        // highest rowid first.
        let backward = matches!(
            t.access,
            crate::access::Access::Index { order: crate::access::Order::Backward, .. }
                | crate::access::Access::RowidRange { reverse: true, .. }
        );
        let best = if backward { rows.iter().max_by_key(|r| rowid(r)) } else { rows.iter().min_by_key(|r| rowid(r)) };
        if let Some(best) = best.cloned() {
            rows = vec![best];
        }
    }
    Ok(rows)
}

/// Collects the leaves (with their column offsets) of a tree of inner joins
/// and their ON conditions; false if any join is an outer join.
pub(crate) fn inner_join_leaves<'s>(
    src: &'s Source,
    offset: usize,
    leaves: &mut Vec<(usize, &'s Source)>,
    ons: &mut Vec<&'s BExpr>,
) -> bool {
    match src {
        Source::Join { left, right, kind, on, left_width, .. } => {
            if !matches!(kind, JoinKind::Inner | JoinKind::Cross) {
                return false;
            }
            if let Some(c) = on {
                ons.push(c);
            }
            inner_join_leaves(left, offset, leaves, ons) && inner_join_leaves(right, offset + left_width, leaves, ons)
        }
        // Table-valued functions may read sources to their left: keep the order.
        Source::JsonEach { .. } => false,
        leaf => {
            leaves.push((offset, leaf));
            true
        }
    }
}

/// How many slots a source's rows have.
pub(crate) fn full_width(src: &Source) -> usize {
    match src {
        Source::Single => 0,
        Source::Table(t) => t.table.columns.len() + 1,
        Source::Query(q) => q.columns.len(),
        Source::Recursive(p) => p.width,
        Source::Working { width, .. } => *width,
        Source::Join { left_width, right_width, .. } => left_width + right_width,
        Source::JsonEach { .. } => crate::func::json::each::COLUMNS.len(),
    }
}

/// The columns of this query's row that `e` reads, or `None` when that is
/// not known (a subquery may read any column).
pub(crate) fn columns_read(e: &BExpr) -> Option<Vec<usize>> {
    fn walk(e: &BExpr, out: &mut Vec<usize>) -> bool {
        match e {
            BExpr::Lit(_) | BExpr::Param(_) | BExpr::Agg(_) | BExpr::Win(_) => true,
            BExpr::Col { depth, idx, .. } => {
                if *depth == 0 {
                    out.push(*idx);
                }
                true
            }
            BExpr::Bin { l, r, .. } => walk(l, out) && walk(r, out),
            BExpr::Unary { e, .. } | BExpr::IsNull { e, .. } | BExpr::Cast { e, .. } | BExpr::Collate { e, .. } => {
                walk(e, out)
            }
            BExpr::Like { e, pat, esc, .. } => {
                walk(e, out) && walk(pat, out) && esc.as_deref().is_none_or(|x| walk(x, out))
            }
            BExpr::Between { e, lo, hi, .. } => walk(e, out) && walk(lo, out) && walk(hi, out),
            BExpr::InList { e, list, .. } => walk(e, out) && list.iter().all(|x| walk(x, out)),
            BExpr::Case { operand, whens, else_, .. } => {
                operand.as_deref().is_none_or(|x| walk(x, out))
                    && whens.iter().all(|(a, b)| walk(a, out) && walk(b, out))
                    && else_.as_deref().is_none_or(|x| walk(x, out))
            }
            BExpr::Func { args, .. } | BExpr::Row(args) => args.iter().all(|x| walk(x, out)),
            BExpr::InSelect { .. } | BExpr::Exists { .. } | BExpr::Subquery(..) | BExpr::Raise { .. } => false,
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out).then_some(out)
}

/// The lowest column of this query's row that `e` reads and one more than
/// the highest (`(0, 0)` when it reads none), or `None` when not known.
fn column_span(e: &BExpr) -> Option<(usize, usize)> {
    let cols = columns_read(e)?;
    match (cols.iter().min(), cols.iter().max()) {
        (Some(lo), Some(hi)) => Some((*lo, hi + 1)),
        _ => Some((0, 0)),
    }
}

fn source_width(src: &Source, rows: &[Vec<Value>]) -> usize {
    match (rows.first(), src) {
        (Some(r), _) => r.len(),
        (None, Source::Table(t)) => t.table.columns.len() + 1,
        (None, Source::Join { left_width, right_width, .. }) => left_width + right_width,
        (None, Source::Query(q)) => q.columns.len(),
        (None, Source::Recursive(p)) => p.width,
        (None, Source::Working { width, .. }) => *width,
        (None, Source::Single) => 0,
        (None, Source::JsonEach { .. }) => crate::func::json::each::COLUMNS.len(),
    }
}

fn group_cmp(a: &[Value], b: &[Value], colls: &[Collation]) -> Ordering {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let o = value::compare(x, y, colls.get(i).copied().unwrap_or(Collation::Binary));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Whether a grouped core reads its group's row outside aggregates (bare
/// columns, in its result, HAVING, the ORDER BY `keys` or windows).
fn reads_bare_row(core: &CorePlan, keys: &[SortKey]) -> bool {
    fn reads_row(e: &BExpr) -> bool {
        if matches!(e, BExpr::Col { depth: 0, .. }) || e.subquery().is_some() {
            return true;
        }
        let mut found = false;
        e.for_each_child(&mut |c| found = found || reads_row(c));
        found
    }
    !core.windows.is_empty()
        || core.result.iter().chain(&core.having).chain(keys.iter().map(|k| &k.expr)).any(reads_row)
}

/// Whether `v` is a new extreme for `max(x)` (`max`) or `min(x)` over
/// the best value so far, `cur` (none yet: it is), compared under `coll`:
/// only a strictly greater (or less) value replaces it, so the first row
/// holding the extreme keeps it.
pub(crate) fn new_extreme(v: &Value, cur: Option<&Value>, coll: Collation, max: bool) -> bool {
    cur.is_none_or(|cur| {
        let o = value::compare(v, cur, coll);
        if max { o == Ordering::Greater } else { o == Ordering::Less }
    })
}

/// The row of a group that bare columns (result columns outside any
/// aggregate) are read from, as SQLite picks it: with `min(x)` / `max(x)`
/// aggregates, the last row at which one of them took a new value (each
/// keeps the first row holding its extreme); else the group's first row.
fn representative<'g>(
    ctx: &Ctx<'_>,
    core: &CorePlan,
    keys: &[SortKey],
    group: &[&'g Vec<Value>],
    parent: Option<&Env<'_>>,
) -> Result<Option<&'g Vec<Value>>> {
    // Which row does not matter when nothing reads one (the usual case):
    // spare evaluating min()/max()'s argument a second time.
    if !reads_bare_row(core, keys) {
        return Ok(group.first().copied());
    }
    let extremes: Vec<(&BExpr, bool, Collation)> = core
        .aggs
        .iter()
        .filter(|a| matches!(a.name.as_str(), "min" | "max") && a.args.len() == 1 && !a.star && a.filter.is_none())
        .filter_map(|a| a.args.first().map(|arg| (arg, a.name == "max", crate::bind::expr_collation(arg))))
        .collect();
    let mut rep = group.first().copied();
    if extremes.is_empty() {
        return Ok(rep);
    }
    let mut best: Vec<Option<Value>> = vec![None; extremes.len()];
    for &r in group {
        for ((arg, max, coll), b) in extremes.iter().zip(best.iter_mut()) {
            let v = eval(ctx, arg, &Env { row: r, aggs: &[], parent })?;
            if v == Value::Null {
                continue;
            }
            let replaces = new_extreme(&v, b.as_ref(), *coll, *max);
            if replaces {
                *b = Some(v);
                rep = Some(r);
            }
        }
    }
    Ok(rep)
}

fn compute_aggs(
    ctx: &Ctx<'_>,
    aggs: &[AggCall],
    group: &[&Vec<Value>],
    parent: Option<&Env<'_>>,
) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(aggs.len());
    for a in aggs {
        let json_agg = crate::func::json::is_json_aggregate(&a.name);
        let mut vals: Vec<Vec<Value>> = Vec::new();
        // JSON-subtype flags of the arguments (JSON aggregates only).
        let mut flags: Vec<Vec<bool>> = Vec::new();
        for r in group {
            let env = Env { row: r, aggs: &[], parent };
            if let Some(f) = &a.filter
                && truth(&eval(ctx, f, &env)?) != Some(true)
            {
                continue;
            }
            if json_agg {
                let (v, f): (Vec<Value>, Vec<bool>) =
                    a.args.iter().map(|e| eval_subtyped(ctx, e, &env)).collect::<Result<Vec<_>>>()?.into_iter().unzip();
                vals.push(v);
                flags.push(f);
            } else {
                vals.push(a.args.iter().map(|e| eval(ctx, e, &env)).collect::<Result<Vec<_>>>()?);
            }
        }
        if a.distinct {
            let colls: Vec<Collation> = a.args.iter().map(crate::bind::expr_collation).collect();
            let mut seen = HashSet::new();
            let mut kept_flags: Vec<Vec<bool>> = Vec::new();
            let mut kept: Vec<Vec<Value>> = Vec::new();
            for (i, v) in vals.into_iter().enumerate() {
                // The JSON aggregates keep a (single) NULL; the others ignore NULLs.
                let skip_null = !json_agg && matches!(v.first(), Some(Value::Null));
                if !skip_null && seen.insert(row_key_coll(&v, &colls)) {
                    kept.push(v);
                    kept_flags.push(flags.get(i).cloned().unwrap_or_default());
                }
            }
            vals = kept;
            flags = kept_flags;
        }
        if json_agg {
            out.push(crate::func::json::aggregate(&a.name, &vals, &flags).map_err(Error::Sql)?);
            continue;
        }
        // min() and max() compare with their argument's collation.
        let coll = a.args.first().map_or(Collation::Binary, crate::bind::expr_collation);
        out.push(aggregate(&a.name, a.star, &vals, coll)?);
    }
    Ok(out)
}

fn aggregate(name: &str, star: bool, vals: &[Vec<Value>], coll: Collation) -> Result<Value> {
    let firsts = || vals.iter().filter_map(|v| v.first()).filter(|v| !matches!(v, Value::Null));
    Ok(match name {
        "count" => {
            if star || vals.first().is_some_and(|v| v.is_empty()) {
                Value::Integer(vals.len() as i64)
            } else {
                Value::Integer(firsts().count() as i64)
            }
        }
        "sum" | "total" | "avg" => {
            let mut int_sum: Option<i64> = Some(0);
            let mut real_sum = 0.0f64;
            let mut any_real = false;
            let mut n = 0usize;
            for v in firsts() {
                n += 1;
                // Text that does not look numeric counts as a REAL (SQLite).
                let num = value::numeric_value(v).unwrap_or_else(|| Value::Real(v.to_f64()));
                match num {
                    Value::Integer(i) => {
                        real_sum += i as f64;
                        int_sum = int_sum.and_then(|s| s.checked_add(i));
                        if int_sum.is_none() && name == "sum" && !any_real {
                            return Err(Error::Runtime("integer overflow".into()));
                        }
                    }
                    Value::Real(r) => {
                        any_real = true;
                        real_sum += r;
                    }
                    _ => {
                        any_real = true;
                    }
                }
            }
            match name {
                "sum" if n == 0 => Value::Null,
                "sum" if !any_real => Value::Integer(int_sum.unwrap_or(0)),
                "sum" | "total" => Value::Real(real_sum),
                _ if n == 0 => Value::Null,
                _ => Value::Real(real_sum / n as f64),
            }
        }
        "min" | "max" => {
            let mut best: Option<&Value> = None;
            for v in firsts() {
                best = match best {
                    None => Some(v),
                    Some(b) => {
                        let o = value::compare(v, b, coll);
                        if (name == "min" && o == Ordering::Less) || (name == "max" && o == Ordering::Greater) {
                            Some(v)
                        } else {
                            Some(b)
                        }
                    }
                };
            }
            best.cloned().unwrap_or(Value::Null)
        }
        "group_concat" | "string_agg" => {
            let mut s = String::new();
            let mut any = false;
            for v in vals {
                let Some(x) = v.first() else { continue };
                if matches!(x, Value::Null) {
                    continue;
                }
                if any {
                    match v.get(1) {
                        Some(Value::Null) => {}
                        Some(sep) => s.push_str(&sep.to_text()),
                        None => s.push(','),
                    }
                }
                any = true;
                s.push_str(&x.to_text());
            }
            if any { Value::Text(s) } else { Value::Null }
        }
        other => return Err(Error::Sql(format!("no such function: {other}"))),
    })
}
