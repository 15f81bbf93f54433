//! UPDATE and UPDATE ... FROM, with RETURNING.
//!
//! The rows to change are found first; each is then read again when its
//! turn comes (an earlier row's triggers or REPLACE may have changed or
//! deleted it), its new values are computed from that row, and
//! [`apply_update`] does the rest: BEFORE UPDATE triggers, NOT NULL and
//! CHECK, uniqueness, the write, AFTER UPDATE triggers. An upsert's DO
//! UPDATE goes through [`apply_update`] too.

use super::fkey::{Op, Plan};
use super::trigger::{Event, RowChange, Triggers};
use super::{
    Frame, Outcome, Run, Target, Verdict, binder, changed, check_row, delete_row, next_rowid, note_sequence, read_row,
    resolve_unique, rowid_name, view, with_affinity, write_row,
};
use crate::ast::{self, Conflict, Expr, FromItem, JoinKind, ResultColumn};
use crate::bind::RowTable;
use crate::error::{Error, Result, sql_err};
use crate::exec::{Env, eval, run_query};
use crate::plan::{BExpr, QueryPlan};
use crate::schema::{Schema, Table, lower};
use crate::txn::Txn;
use crate::value::Value;

/// What one row's update needs to know about its statement.
pub(super) struct RowUpdate<'a> {
    /// The table.
    pub target: &'a Target,
    /// The table's row shape, as triggers see it.
    pub shape: &'a RowTable,
    /// The UPDATE triggers that apply.
    pub triggers: &'a Triggers,
    /// The row slots the statement assigns.
    pub set: &'a [usize],
    /// The conflict resolution for constraint failures, if not each
    /// constraint's own.
    pub or: Option<Conflict>,
    /// The conflict resolution the statement named, if any.
    pub or_named: Option<Conflict>,
    /// The foreign keys the statement maintains.
    pub fks: &'a Plan,
}

/// Replaces `old` (columns, then rowid) by `new`. Returns the row as
/// written, or `None` when a trigger or IGNORE left it alone.
pub(super) fn apply_update(
    tx: &mut Txn,
    run: &mut Run<'_>,
    up: &RowUpdate<'_>,
    mut old: Vec<Value>,
    mut new: Vec<Value>,
) -> Result<Option<Vec<Value>>> {
    let t = up.target;
    let table = &t.table;
    let n = t.width();
    let Some(Value::Integer(old_rowid)) = old.get(n).cloned() else { return Ok(None) };
    sync_rowid(table, up.set, &mut new)?;
    t.compute_generated(&run.ctx(&*tx), &mut new)?;
    if up.triggers.any_before() {
        let change = RowChange { shape: up.shape, old: Some(&old), new: Some(&new), or: up.or_named };
        if !up.triggers.before(tx, run, &change)? {
            return Ok(None);
        }
        // The program may have changed or deleted the row: columns the
        // statement does not assign take their current values.
        let Some(now) = read_row(tx, table, old_rowid)? else { return Ok(None) };
        for i in 0..=n {
            if !up.set.contains(&i) {
                new[i] = now[i].clone();
            }
        }
        sync_rowid(table, up.set, &mut new)?;
        old = now;
    }
    let new_rowid = match new.get(n) {
        Some(Value::Integer(r)) => *r,
        _ => next_rowid(tx, table)?,
    };
    new[n] = Value::Integer(new_rowid);
    if let Some(a) = table.rowid_alias {
        new[a] = Value::Integer(new_rowid);
    }
    t.compute_generated(&run.ctx(&*tx), &mut new)?;
    if !check_row(&run.ctx(&*tx), t, &mut new, up.or)? {
        return Ok(None);
    }
    match resolve_unique(tx, run, t, &new, Some(old_rowid), up.or, &[])? {
        Verdict::Skip => return Ok(None),
        Verdict::Write | Verdict::Upsert { .. } => {}
    }
    up.fks.row_removed(tx, run, &old)?;
    delete_row(tx, t, &old, old_rowid)?;
    up.fks.row_added(tx, run, &new)?;
    write_row(tx, t, &new, new_rowid)?;
    if new_rowid != old_rowid {
        note_sequence(tx, run.schema, table, new_rowid)?;
    }
    if !up.fks.is_empty() {
        up.fks.actions(tx, run, table, &old, Some(&new))?;
    }
    if up.triggers.any() {
        let change = RowChange { shape: up.shape, old: Some(&old), new: Some(&new), or: up.or_named };
        up.triggers.after(tx, run, &change)?;
    }
    Ok(Some(new))
}

/// Keeps the rowid slot and the INTEGER PRIMARY KEY column in step after
/// an assignment to either. A NULL one is left for a fresh rowid.
fn sync_rowid(table: &Table, set: &[usize], row: &mut [Value]) -> Result<()> {
    let n = table.columns.len();
    let assigned = match table.rowid_alias {
        Some(a) if set.contains(&a) => Some(row[a].clone()),
        None if set.contains(&n) => Some(row[n].clone()),
        _ => None,
    };
    let Some(v) = assigned else { return Ok(()) };
    match v {
        Value::Integer(_) | Value::Null => {
            row[n] = v.clone();
            if let Some(a) = table.rowid_alias {
                row[a] = v;
            }
            Ok(())
        }
        _ => Err(Error::Constraint("datatype mismatch".into())),
    }
}

/// The assignments of a SET list: row slots (found by `slot`), column
/// names and value expressions (`(a, b) = (x, y)` is split into its parts).
pub(super) fn assignments_with(
    set: &[ast::Assignment],
    slot: impl Fn(&str) -> Option<usize>,
) -> Result<(Vec<usize>, Vec<String>, Vec<Expr>)> {
    let mut slots = Vec::new();
    let mut names = Vec::new();
    let mut exprs = Vec::new();
    for a in set {
        let values: Vec<Expr> = match (&a.value, a.columns.len()) {
            (v, 1) => vec![v.clone()],
            (Expr::Row(items), k) if items.len() == k => items.clone(),
            (Expr::Row(items), k) => return sql_err(format!("{k} columns assigned {} values", items.len())),
            // Each column takes its part of the subquery's first row (the
            // binder checks the subquery's width).
            (Expr::Subquery(q), k) => {
                (0..k).map(|column| Expr::RowSubquery { query: q.clone(), column, width: k }).collect()
            }
            (_, k) => return sql_err(format!("{k} columns assigned 1 values")),
        };
        for (c, v) in a.columns.iter().zip(values) {
            let Some(s) = slot(c) else { return sql_err(format!("no such column: {c}")) };
            slots.push(s);
            names.push(c.clone());
            exprs.push(v);
        }
    }
    Ok((slots, names, exprs))
}

/// [`assignments_with`] over a table's columns and rowid; a generated
/// column cannot be assigned.
pub(super) fn assignments(table: &Table, set: &[ast::Assignment]) -> Result<(Vec<usize>, Vec<String>, Vec<Expr>)> {
    let r = assignments_with(set, |c| table_slot(table, c))?;
    for (&slot, name) in r.0.iter().zip(&r.1) {
        if table.columns.get(slot).is_some_and(|c| c.generated.is_some()) {
            return sql_err(format!("cannot UPDATE generated column \"{name}\""));
        }
    }
    Ok(r)
}

/// [`assignments_with`] over a view's columns.
pub(super) fn assignments_by_name(
    shape: &RowTable,
    set: &[ast::Assignment],
) -> Result<(Vec<usize>, Vec<String>, Vec<Expr>)> {
    assignments_with(set, |c| shape.cols.iter().position(|(n, _, _)| n.eq_ignore_ascii_case(c)))
}

/// The row slot of column `name` of `table`; the rowid's names reach the
/// INTEGER PRIMARY KEY column, or the hidden rowid slot.
pub(super) fn table_slot(table: &Table, name: &str) -> Option<usize> {
    table.column_index(name).or_else(|| {
        (table.without_rowid.is_none() && ["rowid", "oid", "_rowid_"].iter().any(|r| r.eq_ignore_ascii_case(name)))
            .then(|| table.rowid_alias.unwrap_or(table.columns.len()))
    })
}

/// An UPDATE of a table, bound against one schema: what a prepared
/// statement keeps between runs.
pub(crate) struct UpdatePlan {
    target: Target,
    /// The target's row shape, under its alias.
    me: RowTable,
    /// The assigned row slots, and their columns' names.
    slots: Vec<usize>,
    /// RETURNING: column names and expressions.
    columns: Vec<String>,
    returning: Vec<BExpr>,
    triggers: Triggers,
    /// How the rows to change are found.
    rows: UpdateRows,
    /// The statement's own OR clause.
    or: Option<Conflict>,
}

/// How an UPDATE finds its rows and their new values.
struct UpdateRows {
    /// UPDATE ... FROM: a query giving each target rowid and its new
    /// values. The other fields serve an UPDATE without FROM.
    from: Option<Box<QueryPlan>>,
    /// WHERE, and how it is answered.
    cond: Option<BExpr>,
    access: crate::access::Access,
    /// The new values, over the old row.
    values: Vec<BExpr>,
}

impl UpdatePlan {
    /// Adds its query plan's lines to `out`.
    pub(crate) fn explain(&self, out: &mut crate::explain::Out) {
        match &self.rows.from {
            Some(q) => out.query(q, 0),
            None => {
                out.table(0, &self.target.table, None, &self.rows.access);
                for e in self.rows.cond.iter().chain(&self.rows.values) {
                    out.subqueries_in(e, 0);
                }
            }
        }
    }
}

/// Whether `up` writes through a view (INSTEAD OF triggers), which
/// [`bind_update`] does not plan.
pub(crate) fn update_view(schema: &Schema, up: &ast::Update) -> bool {
    schema.views.contains_key(&lower(&up.table))
}

/// Binds an UPDATE of a table; `frame` is the firing row's shape when it
/// runs in a trigger program.
pub(crate) fn bind_update(schema: &Schema, up: &ast::Update, frame: Option<&Frame>) -> Result<UpdatePlan> {
    let target = Target::new(schema, &up.table)?;
    let table = &target.table;
    let name = up.alias.clone().unwrap_or_else(|| table.name.clone());
    let me = RowTable::of_table(table, &name);
    let (slots, set_names, exprs) = assignments(table, &up.set)?;
    let mut b = binder(schema, frame);
    b.push_ctes(&up.with);
    let (columns, returning) = b.bind_returning(std::slice::from_ref(&me), &up.returning)?;
    let triggers = Triggers::new(schema, &table.name, Event::Update, &set_names);
    let rows = match &up.from {
        None => {
            let values = b.bind_over(std::slice::from_ref(&me), &exprs)?;
            let cond = match &up.where_ {
                Some(w) => b.bind_over(std::slice::from_ref(&me), std::slice::from_ref(w))?.pop(),
                None => None,
            };
            let access = crate::access::choose(schema, table, cond.as_ref());
            UpdateRows { from: None, cond, access, values }
        }
        Some(from) => {
            let q = from_query(table, &name, from, &exprs, up.where_.as_ref());
            let plan = Box::new(b.bind_select(&q)?);
            UpdateRows { from: Some(plan), cond: None, access: crate::access::Access::Scan, values: Vec::new() }
        }
    };
    Ok(UpdatePlan { target, me, slots, columns, returning, triggers, rows, or: up.or })
}

/// Runs an UPDATE; `frame` is the firing row when it runs in a trigger
/// program.
pub fn update(tx: &mut Txn, run: &mut Run<'_>, up: &ast::Update, frame: Option<&Frame>) -> Result<Outcome> {
    if update_view(run.schema, up) {
        return view::update(tx, run, up, frame);
    }
    let plan = bind_update(run.schema, up, frame)?;
    run_update(tx, run, &plan, frame)
}

/// Runs a bound UPDATE.
pub(crate) fn run_update(tx: &mut Txn, run: &mut Run<'_>, plan: &UpdatePlan, frame: Option<&Frame>) -> Result<Outcome> {
    let UpdatePlan { target, me, slots, columns, returning, triggers, rows, or } = plan;
    let table = &target.table;
    let or_named = run.conflict(*or);
    let fenv = frame.map(Frame::env);
    // The rows to change, with their new values when a FROM join gives them.
    let mut work: Vec<(i64, Option<Vec<Value>>)> = Vec::new();
    match &rows.from {
        None => {
            let UpdateRows { cond, access, .. } = rows;
            let ctx = run.ctx(&*tx);
            let n = table.columns.len();
            for row in crate::access::rows(&ctx, table, access, fenv.as_ref())? {
                let Some(Value::Integer(rowid)) = row.get(n).cloned() else { continue };
                if let Some(c) = cond {
                    let env = Env { row: &row, aggs: &[], parent: fenv.as_ref() };
                    if crate::value::is_true(&eval(&ctx, c, &env)?) != Some(true) {
                        continue;
                    }
                }
                work.push((rowid, None));
            }
        }
        Some(q) => {
            let rows = run_query(&run.ctx(&*tx), q, fenv.as_ref())?;
            let mut seen = std::collections::HashSet::new();
            for mut r in rows {
                let Some(Value::Integer(rowid)) = r.first().cloned() else { continue };
                if seen.insert(rowid) {
                    r.remove(0);
                    work.push((rowid, Some(r)));
                }
            }
        }
    }
    let bound = &rows.values;
    let mut out = Outcome { columns: columns.clone(), ..Outcome::default() };
    let fks = Plan::new(run, table, Op::Update(slots))?;
    let row_update = RowUpdate { target, shape: me, triggers, set: slots, or: or_named, or_named, fks: &fks };
    // An uncorrelated subquery in SET has one value for the whole
    // statement (SQLite computes it once, before the first row changes).
    let subqueries = crate::exec::SubqueryCache::default();
    for (rowid, values) in work {
        crate::interrupt::check()?;
        let Some(old) = read_row(tx, table, rowid)? else { continue };
        let mut new = old.clone();
        {
            let ctx = run.ctx(&*tx).with_subquery_cache(&subqueries);
            let values = match values {
                Some(v) => v,
                None => {
                    let env = Env { row: &old, aggs: &[], parent: fenv.as_ref() };
                    bound.iter().map(|e| eval(&ctx, e, &env)).collect::<Result<Vec<_>>>()?
                }
            };
            for (&slot, v) in slots.iter().zip(values) {
                new[slot] = with_affinity(table, slot, v);
            }
        }
        if let Some(written) = apply_update(tx, run, &row_update, old, new)? {
            changed(tx, run, &mut out, frame.is_none(), (returning, &written), fenv.as_ref())?;
        }
    }
    Ok(out)
}

/// The FROM list with the target table put first, as SQLite does. The join
/// tree stays left-deep: the binder and executor lay join rows out for
/// left-deep trees only, and joining the target to a nested FROM join
/// (`FROM a, b` as the right side) read rows out of bounds.
fn prepend_target(target: FromItem, from: &FromItem) -> FromItem {
    match from {
        FromItem::Join { left, right, kind, natural, on, using } => FromItem::Join {
            left: Box::new(prepend_target(target, left)),
            right: right.clone(),
            kind: *kind,
            natural: *natural,
            on: on.clone(),
            using: using.clone(),
        },
        leaf => FromItem::Join {
            left: Box::new(target),
            right: Box::new(leaf.clone()),
            kind: JoinKind::Inner,
            natural: false,
            on: None,
            using: Vec::new(),
        },
    }
}

/// `SELECT name.rowid, exprs... FROM table AS name, from WHERE where_`:
/// the target rows of an UPDATE ... FROM with their new values.
fn from_query(table: &Table, name: &str, from: &FromItem, exprs: &[Expr], where_: Option<&Expr>) -> ast::Select {
    let item = |expr: Expr| ResultColumn::Expr { expr, alias: None, span: String::new() };
    let mut columns = vec![item(Expr::Column { table: Some(name.to_string()), name: rowid_name(table).into() })];
    columns.extend(exprs.iter().cloned().map(item));
    let target = FromItem::Table {
        schema: None,
        name: table.name.clone(),
        alias: (!name.eq_ignore_ascii_case(&table.name)).then(|| name.to_string()),
        indexed: None,
    };
    super::simple_select(columns, prepend_target(target, from), where_)
}
