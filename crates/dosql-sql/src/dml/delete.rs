//! DELETE, with RETURNING.
//!
//! The matching rows are found first; each is read again when its turn
//! comes (an earlier row's triggers may have deleted it), then: BEFORE
//! DELETE triggers, the delete, RETURNING, AFTER DELETE triggers.

use super::fkey::{Op, Plan};
use super::trigger::{Event, RowChange, Triggers};
use super::{Frame, Outcome, Run, Target, binder, changed, delete_row, read_row, view};
use crate::ast;
use crate::bind::RowTable;
use crate::error::Result;
use crate::exec::{Env, eval};
use crate::plan::BExpr;
use crate::schema::{Schema, lower};
use crate::txn::Txn;
use crate::value::Value;

/// A DELETE from a table, bound against one schema: what a prepared
/// statement keeps between runs.
pub(crate) struct DeletePlan {
    target: Target,
    /// The target's row shape, under its alias.
    me: RowTable,
    /// WHERE, and how it is answered.
    cond: Option<BExpr>,
    access: crate::access::Access,
    /// RETURNING: column names and expressions.
    columns: Vec<String>,
    returning: Vec<BExpr>,
}

impl DeletePlan {
    /// Adds its query plan's lines to `out`.
    pub(crate) fn explain(&self, out: &mut crate::explain::Out) {
        out.table(0, &self.target.table, None, &self.access);
        if let Some(c) = &self.cond {
            out.subqueries_in(c, 0);
        }
    }
}

/// Whether `del` deletes through a view (INSTEAD OF triggers), which
/// [`bind_delete`] does not plan.
pub(crate) fn delete_view(schema: &Schema, del: &ast::Delete) -> bool {
    schema.views.contains_key(&lower(&del.table))
}

/// Binds a DELETE from a table; `frame` is the firing row's shape when it
/// runs in a trigger program.
pub(crate) fn bind_delete(schema: &Schema, del: &ast::Delete, frame: Option<&Frame>) -> Result<DeletePlan> {
    let target = Target::new(schema, &del.table)?;
    let table = &target.table;
    let me = RowTable::of_table(table, del.alias.as_deref().unwrap_or(&table.name));
    let mut b = binder(schema, frame);
    b.push_ctes(&del.with);
    let cond = match &del.where_ {
        Some(w) => b.bind_over(std::slice::from_ref(&me), std::slice::from_ref(w))?.pop(),
        None => None,
    };
    let (columns, returning) = b.bind_returning(std::slice::from_ref(&me), &del.returning)?;
    let access = crate::access::choose(schema, table, cond.as_ref());
    Ok(DeletePlan { target, me, cond, access, columns, returning })
}

/// Runs a DELETE; `frame` is the firing row when it runs in a trigger
/// program.
pub fn delete(tx: &mut Txn, run: &mut Run<'_>, del: &ast::Delete, frame: Option<&Frame>) -> Result<Outcome> {
    if delete_view(run.schema, del) {
        return view::delete(tx, run, del, frame);
    }
    let plan = bind_delete(run.schema, del, frame)?;
    run_delete(tx, run, &plan, frame)
}

/// Runs a bound DELETE.
pub(crate) fn run_delete(tx: &mut Txn, run: &mut Run<'_>, plan: &DeletePlan, frame: Option<&Frame>) -> Result<Outcome> {
    let schema = run.schema;
    let DeletePlan { target, me, cond, access, columns, returning } = plan;
    let table = &target.table;
    let n = table.columns.len();
    // DROP TABLE's implicit DELETE fires no triggers.
    let fks = Plan::new(run, table, Op::Delete)?;
    let quiet = std::mem::take(&mut run.fk_quiet);
    let triggers = if quiet { Triggers::none() } else { Triggers::new(schema, &table.name, Event::Delete, &[]) };
    let fenv = frame.map(Frame::env);
    let mut doomed = Vec::new();
    {
        let ctx = run.ctx(&*tx);
        for row in crate::access::rows(&ctx, table, access, fenv.as_ref())? {
            let Some(Value::Integer(rowid)) = row.get(n).cloned() else { continue };
            if let Some(c) = cond {
                let env = Env { row: &row, aggs: &[], parent: fenv.as_ref() };
                if crate::value::is_true(&eval(&ctx, c, &env)?) != Some(true) {
                    continue;
                }
            }
            doomed.push(rowid);
        }
    }
    let or = run.conflict(None);
    let mut out = Outcome { columns: columns.clone(), ..Outcome::default() };
    for rowid in doomed {
        crate::interrupt::check()?;
        let Some(mut row) = read_row(tx, table, rowid)? else { continue };
        if triggers.any_before() {
            let change = RowChange { shape: me, old: Some(&row), new: None, or };
            if !triggers.before(tx, run, &change)? {
                continue;
            }
            match read_row(tx, table, rowid)? {
                Some(now) => row = now,
                None => continue,
            }
        }
        fks.row_removed(tx, run, &row)?;
        delete_row(tx, target, &row, rowid)?;
        fks.actions(tx, run, table, &row, None)?;
        changed(tx, run, &mut out, frame.is_none(), (returning, &row), fenv.as_ref())?;
        if triggers.any() {
            let change = RowChange { shape: me, old: Some(&row), new: None, or };
            triggers.after(tx, run, &change)?;
        }
    }
    Ok(out)
}
