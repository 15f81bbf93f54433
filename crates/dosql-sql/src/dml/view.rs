//! Writing to a view: INSERT, UPDATE and DELETE on a view run its INSTEAD
//! OF triggers, once per row, and change nothing themselves (so they count
//! no changes, as in SQLite). Without such a trigger the view is read-only.

use super::trigger::{Event, RowChange, Triggers};
use super::update::assignments_by_name;
use super::{Frame, Outcome, Run, binder};
use crate::ast::{self, Expr, FromItem, ResultColumn};
use crate::bind::{Binder, RowTable};
use crate::error::{Result, sql_err};
use crate::exec::run_query;
use crate::schema::{Schema, lower};
use crate::txn::Txn;
use crate::value::{Collation, Value};

/// The view's row shape: its result columns, without affinity.
fn shape(schema: &Schema, name: &str) -> Result<(RowTable, String)> {
    let Some(view) = schema.views.get(&lower(name)) else { return sql_err(format!("no such table: {name}")) };
    let q = select_from(&view.name, vec![ResultColumn::Star], None);
    let cols = Binder::new(schema).bind_select(&q)?.columns;
    let t = RowTable {
        name: lower(&view.name),
        cols: cols.iter().map(|c| (c.clone(), None, Collation::Binary)).collect(),
        has_rowid: false,
        qualified_only: false,
        hidden_rowid: false,
    };
    Ok((t, view.name.clone()))
}

fn triggers_or_err(schema: &Schema, view: &str, event: Event, set: &[String]) -> Result<Triggers> {
    let t = Triggers::new(schema, view, event, set);
    if !t.any() {
        return sql_err(format!("cannot modify {view} because it is a view"));
    }
    Ok(t)
}

/// `SELECT columns FROM name WHERE where_`.
fn select_from(name: &str, columns: Vec<ResultColumn>, where_: Option<&Expr>) -> ast::Select {
    let from = FromItem::Table { schema: None, name: name.to_string(), alias: None, indexed: None };
    super::simple_select(columns, from, where_)
}

/// INSERT into a view.
pub(super) fn insert(tx: &mut Txn, run: &mut Run<'_>, ins: &ast::Insert, frame: Option<&Frame>) -> Result<Outcome> {
    let schema = run.schema;
    let (me, name) = shape(schema, &ins.table)?;
    let triggers = triggers_or_err(schema, &name, Event::Insert, &[])?;
    if !ins.returning.is_empty() {
        return sql_err(format!("cannot use RETURNING with view {name}"));
    }
    let w = me.cols.len();
    let slots: Vec<usize> = if ins.columns.is_empty() {
        (0..w).collect()
    } else {
        let mut s = Vec::new();
        for c in &ins.columns {
            match me.cols.iter().position(|(n, _, _)| n.eq_ignore_ascii_case(c)) {
                Some(i) => s.push(i),
                None => return sql_err(format!("table {name} has no column named {c}")),
            }
        }
        s
    };
    let mut b = binder(schema, frame);
    b.push_ctes(&ins.with);
    let fenv = frame.map(Frame::env);
    let rows = match &ins.source {
        ast::InsertSource::DefaultValues => vec![Vec::new()],
        ast::InsertSource::Select(q) => {
            let plan = b.bind_select(q)?;
            if plan.columns.len() != slots.len() {
                return sql_err(format!("{} values for {} columns", plan.columns.len(), slots.len()));
            }
            run_query(&run.ctx(&*tx), &plan, fenv.as_ref())?
        }
    };
    let or = run.conflict(ins.or);
    for src in rows {
        let mut row = vec![Value::Null; w];
        for (&s, v) in slots.iter().zip(src) {
            row[s] = v;
        }
        triggers.instead(tx, run, &RowChange { shape: &me, old: None, new: Some(&row), or })?;
    }
    Ok(Outcome::default())
}

/// UPDATE of a view.
pub(super) fn update(tx: &mut Txn, run: &mut Run<'_>, up: &ast::Update, frame: Option<&Frame>) -> Result<Outcome> {
    let schema = run.schema;
    let (me, name) = shape(schema, &up.table)?;
    let (slots, names, exprs) = assignments_by_name(&me, &up.set)?;
    let triggers = triggers_or_err(schema, &name, Event::Update, &names)?;
    if up.from.is_some() || !up.returning.is_empty() {
        return sql_err(format!("cannot use FROM or RETURNING when updating view {name}"));
    }
    let mut columns = vec![ResultColumn::Star];
    columns.extend(exprs.into_iter().map(|expr| ResultColumn::Expr { expr, alias: None, span: String::new() }));
    let q = select_from(&name, columns, up.where_.as_ref());
    let mut b = binder(schema, frame);
    b.push_ctes(&up.with);
    let plan = b.bind_select(&q)?;
    let fenv = frame.map(Frame::env);
    let rows = run_query(&run.ctx(&*tx), &plan, fenv.as_ref())?;
    let w = me.cols.len();
    let or = run.conflict(up.or);
    for r in rows {
        let old: Vec<Value> = r.iter().take(w).cloned().collect();
        let mut new = old.clone();
        for (&s, v) in slots.iter().zip(r.into_iter().skip(w)) {
            new[s] = v;
        }
        triggers.instead(tx, run, &RowChange { shape: &me, old: Some(&old), new: Some(&new), or })?;
    }
    Ok(Outcome::default())
}

/// DELETE from a view.
pub(super) fn delete(tx: &mut Txn, run: &mut Run<'_>, del: &ast::Delete, frame: Option<&Frame>) -> Result<Outcome> {
    let schema = run.schema;
    let (me, name) = shape(schema, &del.table)?;
    let triggers = triggers_or_err(schema, &name, Event::Delete, &[])?;
    if !del.returning.is_empty() {
        return sql_err(format!("cannot use RETURNING with view {name}"));
    }
    let q = select_from(&name, vec![ResultColumn::Star], del.where_.as_ref());
    let mut b = binder(schema, frame);
    b.push_ctes(&del.with);
    let plan = b.bind_select(&q)?;
    let fenv = frame.map(Frame::env);
    let rows = run_query(&run.ctx(&*tx), &plan, fenv.as_ref())?;
    let or = run.conflict(None);
    for old in rows {
        triggers.instead(tx, run, &RowChange { shape: &me, old: Some(&old), new: None, or })?;
    }
    Ok(Outcome::default())
}
