//! INSERT and REPLACE, with upsert (`ON CONFLICT ... DO NOTHING | DO
//! UPDATE`) and RETURNING.
//!
//! Each new row gets its defaults and column affinities, then: BEFORE
//! INSERT triggers (which see `new.rowid` as -1 when the rowid is not yet
//! chosen, like SQLite), a rowid (AUTOINCREMENT keeps `sqlite_sequence`),
//! NOT NULL and CHECK, uniqueness with conflict resolution or an upsert
//! clause, the write, RETURNING, and AFTER INSERT triggers.

use super::fkey::{Op, Plan};
use super::trigger::{Event, RowChange, Triggers};
use super::update::{RowUpdate, apply_update, assignments, table_slot};
use super::{
    Constraint, Frame, Outcome, Run, Target, Verdict, autoincrement_rowid, binder, changed, check_row, next_rowid,
    note_sequence, read_row, resolve_unique, view, write_row,
};
use crate::ast::{self, Conflict, Expr};
use crate::bind::{Binder, RowTable};
use crate::error::{Error, Result, sql_err};
use crate::exec::{Env, eval, run_query};
use crate::plan::{BExpr, QueryPlan};
use crate::schema::{Schema, Table, lower};
use crate::txn::Txn;
use crate::value::{Affinity, Value};

/// An upsert clause, bound.
struct Upsert {
    /// The constraint it handles; `None` for any.
    target: Option<Constraint>,
    /// `DO UPDATE SET`: column slot and value over (existing row ++ excluded row).
    set: Vec<(usize, BExpr)>,
    /// The names of the SET columns (for `UPDATE OF` triggers).
    set_names: Vec<String>,
    /// `DO UPDATE ... WHERE`.
    where_: Option<BExpr>,
    /// `DO NOTHING`.
    nothing: bool,
}

/// An INSERT into a table, bound against one schema: what a prepared
/// statement keeps between runs.
pub(crate) struct InsertPlan {
    target: Target,
    /// The row slot each source column fills.
    slots: Vec<usize>,
    /// The rows' source; `None` for DEFAULT VALUES.
    source: Option<QueryPlan>,
    /// The target's row shape, under its alias.
    me: RowTable,
    /// RETURNING: column names and expressions.
    columns: Vec<String>,
    returning: Vec<BExpr>,
    upserts: Vec<Upsert>,
    /// The constraint each upsert clause handles.
    targets: Vec<Option<Constraint>>,
    triggers: Triggers,
    /// UPDATE triggers the upsert clauses' SET columns may fire.
    update_triggers: Triggers,
    /// Whether the source is one row (DEFAULT VALUES or a one-row VALUES).
    single_source: bool,
    /// The statement's own OR clause.
    or: Option<Conflict>,
}

impl InsertPlan {
    /// Adds its query plan's lines to `out`: those of its SELECT, if any.
    pub(crate) fn explain(&self, out: &mut crate::explain::Out) {
        if let Some(q) = &self.source
            && q.first.values.is_none()
        {
            out.query(q, 0);
        }
    }
}

/// Whether `ins` writes through a view (INSTEAD OF triggers), which
/// [`bind_insert`] does not plan.
pub(crate) fn into_view(schema: &Schema, ins: &ast::Insert) -> bool {
    schema.views.contains_key(&lower(&ins.table))
}

/// Binds an INSERT into a table; `frame` is the firing row's shape when it
/// runs in a trigger program.
pub(crate) fn bind_insert(schema: &Schema, ins: &ast::Insert, frame: Option<&Frame>) -> Result<InsertPlan> {
    let target = Target::new(schema, &ins.table)?;
    let table = &target.table;
    let slots = target_slots(table, &ins.columns)?;
    let mut b = binder(schema, frame);
    b.push_ctes(&ins.with);
    let source = match &ins.source {
        ast::InsertSource::DefaultValues => None,
        ast::InsertSource::Select(q) => {
            let plan = b.bind_select(q)?;
            if plan.columns.len() != slots.len() {
                return if ins.columns.is_empty() {
                    sql_err(format!(
                        "table {} has {} columns but {} values were supplied",
                        table.name,
                        slots.len(),
                        plan.columns.len()
                    ))
                } else {
                    sql_err(format!("{} values for {} columns", plan.columns.len(), slots.len()))
                };
            }
            Some(plan)
        }
    };
    let me = RowTable::of_table(table, ins.alias.as_deref().unwrap_or(&table.name));
    let (columns, returning) = b.bind_returning(std::slice::from_ref(&me), &ins.returning)?;
    let upserts = bind_upserts(&mut b, &target, &me, &ins.upsert)?;
    let targets: Vec<Option<Constraint>> = upserts.iter().map(|u| u.target).collect();
    let triggers = Triggers::new(schema, &table.name, Event::Insert, &[]);
    let set_names: Vec<String> = upserts.iter().flat_map(|u| u.set_names.clone()).collect();
    let update_triggers = Triggers::new(schema, &table.name, Event::Update, &set_names);
    let single_source = match &ins.source {
        ast::InsertSource::DefaultValues => true,
        ast::InsertSource::Select(q) => {
            q.compound.is_empty() && matches!(&q.body, ast::SelectBody::Values(rows) if rows.len() == 1)
        }
    };
    Ok(InsertPlan {
        target,
        slots,
        source,
        me,
        columns,
        returning,
        upserts,
        targets,
        triggers,
        update_triggers,
        single_source,
        or: ins.or,
    })
}

/// Runs an INSERT; `frame` is the firing row when it runs in a trigger
/// program.
pub fn insert(tx: &mut Txn, run: &mut Run<'_>, ins: &ast::Insert, frame: Option<&Frame>) -> Result<Outcome> {
    if into_view(run.schema, ins) {
        return view::insert(tx, run, ins, frame);
    }
    let plan = bind_insert(run.schema, ins, frame)?;
    run_insert(tx, run, &plan, frame)
}

/// Runs a bound INSERT.
pub(crate) fn run_insert(tx: &mut Txn, run: &mut Run<'_>, plan: &InsertPlan, frame: Option<&Frame>) -> Result<Outcome> {
    let schema = run.schema;
    let InsertPlan {
        target,
        slots,
        source,
        me,
        columns,
        returning,
        upserts,
        targets,
        triggers,
        update_triggers,
        single_source,
        or,
    } = plan;
    let table = &target.table;
    let n = target.width();
    let fenv = frame.map(Frame::env);
    let source_rows = match source {
        None => vec![Vec::new()],
        // One VALUES row, as the query would compute it, without the
        // query machinery around it.
        Some(q) if let Some([values]) = plain_values(q) => {
            let ctx = run.ctx(&*tx);
            let env = Env { row: &[], aggs: &[], parent: fenv.as_ref() };
            vec![values.iter().map(|e| eval(&ctx, e, &env)).collect::<Result<Vec<_>>>()?]
        }
        Some(q) => run_query(&run.ctx(&*tx), q, fenv.as_ref())?,
    };
    let or_opt = run.conflict(*or);
    let columns = columns.clone();
    let single = *single_source
        && frame.is_none()
        && run.firing.is_empty()
        && !triggers.any()
        && upserts.is_empty()
        && match or_opt {
            Some(o) => o != Conflict::Replace,
            // Without an OR clause, a constraint's own REPLACE may delete rows.
            None => {
                target.table.pk_conflict != Some(Conflict::Replace)
                    && target.indexes.iter().all(|ix| ix.on_conflict != Some(Conflict::Replace))
            }
        };
    let fks = Plan::new(run, table, Op::Insert { single })?;
    let mut out = Outcome { columns, ..Outcome::default() };
    for src in source_rows {
        crate::interrupt::check()?;
        let mut row = vec![Value::Null; n + 1];
        let mut given = vec![false; n + 1];
        for (&t, v) in slots.iter().zip(src) {
            row[t] = v;
            given[t] = true;
        }
        {
            let ctx = run.ctx(&*tx);
            let env = Env { row: &[], aggs: &[], parent: None };
            for i in 0..n {
                if !given[i]
                    && let Some(Some(d)) = target.defaults.get(i)
                {
                    row[i] = eval(&ctx, d, &env)?;
                }
                row[i] = std::mem::replace(&mut row[i], Value::Null).apply_affinity(table.columns[i].affinity);
            }
            target.compute_generated(&ctx, &mut row)?;
        }
        // The rowid asked for, if any: the alias column or the hidden rowid.
        let asked = match table.rowid_alias {
            Some(a) => row[a].clone(),
            None => std::mem::replace(&mut row[n], Value::Null).apply_affinity(Affinity::Integer),
        };
        let asked = match asked {
            Value::Integer(i) => Some(i),
            Value::Null => None,
            _ => return Err(Error::Constraint("datatype mismatch".into())),
        };
        if triggers.any_before() {
            let mut seen = row.clone();
            let r = Value::Integer(asked.unwrap_or(-1));
            seen[n] = r.clone();
            if let Some(a) = table.rowid_alias {
                seen[a] = r;
            }
            let change = RowChange { shape: me, old: None, new: Some(&seen), or: or_opt };
            if !triggers.before(tx, run, &change)? {
                continue;
            }
        }
        let rowid = match asked {
            Some(i) => i,
            None if table.autoincrement => autoincrement_rowid(tx, schema, table)?,
            None => next_rowid(tx, table)?,
        };
        row[n] = Value::Integer(rowid);
        if let Some(a) = table.rowid_alias {
            row[a] = Value::Integer(rowid);
        }
        if !check_row(&run.ctx(&*tx), target, &mut row, or_opt)? {
            continue;
        }
        // A rowid chosen here is one no row has (past the largest, or
        // checked): only one asked for can collide, so only that is looked up.
        let fresh = asked.is_none().then_some(rowid);
        match resolve_unique(tx, run, target, &row, fresh, or_opt, targets)? {
            Verdict::Skip => continue,
            Verdict::Write => {}
            Verdict::Upsert { clause, rowid: existing } => {
                let Some(u) = upserts.get(clause) else { continue };
                if u.nothing {
                    continue;
                }
                let Some(old) = read_row(tx, table, existing)? else { continue };
                let mut pair = old.clone();
                pair.extend(row.iter().cloned());
                let ctx = run.ctx(&*tx);
                let env = Env { row: &pair, aggs: &[], parent: fenv.as_ref() };
                if let Some(w) = &u.where_
                    && crate::value::is_true(&eval(&ctx, w, &env)?) != Some(true)
                {
                    continue;
                }
                let mut new = old.clone();
                for (slot, e) in &u.set {
                    new[*slot] = super::with_affinity(table, *slot, eval(&ctx, e, &env)?);
                }
                let set_slots: Vec<usize> = u.set.iter().map(|(s, _)| *s).collect();
                let up_fks = Plan::new(run, table, Op::Update(&set_slots))?;
                let up = RowUpdate {
                    fks: &up_fks,
                    target,
                    shape: me,
                    triggers: update_triggers,
                    set: &set_slots,
                    or: Some(Conflict::Abort),
                    or_named: or_opt,
                };
                if let Some(written) = apply_update(tx, run, &up, old, new)? {
                    changed(tx, run, &mut out, frame.is_none(), (returning, &written), fenv.as_ref())?;
                }
                continue;
            }
        }
        fks.row_added(tx, run, &row)?;
        write_row(tx, target, &row, rowid)?;
        note_sequence(tx, schema, table, rowid)?;
        if table.without_rowid.is_none() {
            run.session.last_insert_rowid = rowid;
        }
        changed(tx, run, &mut out, frame.is_none(), (returning, &row), fenv.as_ref())?;
        if triggers.any() {
            let change = RowChange { shape: me, old: None, new: Some(&row), or: or_opt };
            triggers.after(tx, run, &change)?;
        }
    }
    Ok(out)
}

/// The rows of a plain `VALUES` source (no compound, ORDER BY, LIMIT or
/// OFFSET), which the query gives exactly as listed.
fn plain_values(q: &QueryPlan) -> Option<&[Vec<BExpr>]> {
    let plain = q.compound.is_empty() && q.order_by.is_empty() && q.limit.is_none() && q.offset.is_none();
    q.first.values.as_deref().filter(|_| plain)
}

/// The row slot each listed column fills (the hidden rowid is slot `n`).
fn target_slots(table: &Table, columns: &[String]) -> Result<Vec<usize>> {
    if columns.is_empty() {
        // Generated columns take no value.
        return Ok(table.columns.iter().enumerate().filter(|(_, c)| c.generated.is_none()).map(|(i, _)| i).collect());
    }
    let mut t = Vec::new();
    for c in columns {
        match table_slot(table, c) {
            Some(i) if table.columns.get(i).is_some_and(|x| x.generated.is_some()) => {
                return sql_err(format!("cannot INSERT into generated column \"{c}\""));
            }
            Some(i) => t.push(i),
            None => return sql_err(format!("table {} has no column named {c}", table.name)),
        }
    }
    Ok(t)
}

fn bind_upserts(b: &mut Binder<'_>, target: &Target, me: &RowTable, clauses: &[ast::Upsert]) -> Result<Vec<Upsert>> {
    let table = &target.table;
    let mut excluded = me.clone();
    excluded.name = "excluded".into();
    excluded.qualified_only = true;
    let scope = [me.clone(), excluded];
    let mut out = Vec::new();
    for (k, u) in clauses.iter().enumerate() {
        let constraint = if u.target.is_empty() {
            if k + 1 != clauses.len() {
                return sql_err("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint");
            }
            None
        } else {
            Some(match_target(target, &u.target, u.target_where.as_ref())?)
        };
        let (slots, set_names, exprs) = assignments(table, &u.set)?;
        let bound = b.bind_over(&scope, &exprs)?;
        let set = slots.into_iter().zip(bound).collect();
        let where_ = match &u.where_ {
            Some(w) => b.bind_over(&scope, std::slice::from_ref(w))?.pop(),
            None => None,
        };
        out.push(Upsert { target: constraint, set, set_names, where_, nothing: u.do_nothing });
    }
    Ok(out)
}

/// The uniqueness constraint an upsert target names: the INTEGER PRIMARY
/// KEY or a unique index over exactly those columns.
fn match_target(target: &Target, cols: &[ast::IndexedColumn], _where: Option<&Expr>) -> Result<Constraint> {
    let table = &target.table;
    let mut idx = Vec::new();
    for ic in cols {
        let Expr::Column { name, .. } = &ic.expr else {
            return sql_err("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint");
        };
        match table_slot(table, name) {
            Some(i) => idx.push(i),
            None => return sql_err(format!("no such column: {name}")),
        }
    }
    let is_rowid = |i: usize| Some(i) == table.rowid_alias || i == table.columns.len();
    if idx.len() == 1 && is_rowid(idx[0]) {
        return Ok(Constraint::Rowid);
    }
    // As SQLite: in a target of several columns the INTEGER PRIMARY KEY
    // stands for the rowid, which no index column is, so nothing matches.
    if idx.iter().any(|&i| is_rowid(i)) {
        return sql_err("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint");
    }
    let mut want = idx.clone();
    want.sort_unstable();
    for (i, ix) in target.indexes.iter().enumerate() {
        if !ix.unique || ix.where_.is_some() {
            continue;
        }
        let mut have = ix.columns.clone();
        have.sort_unstable();
        if have == want {
            return Ok(Constraint::Index(i));
        }
    }
    sql_err("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint")
}
