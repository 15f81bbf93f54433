//! Firing triggers: choosing the triggers a row change fires, checking
//! their WHEN conditions and running their programs.
//!
//! A program sees the changed row as `old` and `new`: the frame is the
//! outermost scope of every statement in it, so `new.x` is bound like a
//! column of an enclosing query. The most recently created trigger fires
//! first, as in SQLite. A trigger does not fire while its own program is
//! running (SQLite's default: recursive triggers off). `RAISE(IGNORE)`
//! ends the program and abandons the row change that fired it.

use super::{Frame, Run, binder, delete, insert, update};
use crate::ast::{Conflict, Statement, TriggerEvent, TriggerTiming};
use crate::bind::RowTable;
use crate::error::{Error, Result, sql_err};
use crate::exec::{eval, run_query};
use crate::plan::{BExpr, QueryPlan};
use crate::schema::{Schema, Trigger};
use crate::txn::Txn;
use crate::value::Value;

/// SQLite's limit on nested trigger programs.
pub(super) const MAX_TRIGGER_DEPTH: usize = 1000;

/// The kind of row change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Event {
    Insert,
    Update,
    Delete,
}

/// The triggers one statement may fire on its target, by timing.
pub(super) struct Triggers {
    before: Vec<Trigger>,
    after: Vec<Trigger>,
    instead: Vec<Trigger>,
}

impl Triggers {
    /// The triggers on `table` for `event`; for UPDATE, only those whose
    /// `UPDATE OF` list names a column in `set` (by name) or have no list.
    pub(super) fn new(schema: &Schema, table: &str, event: Event, set: &[String]) -> Triggers {
        let mut t = Triggers { before: Vec::new(), after: Vec::new(), instead: Vec::new() };
        for tr in schema.triggers_on(table) {
            let hit = match (&tr.def.event, event) {
                (TriggerEvent::Insert, Event::Insert) | (TriggerEvent::Delete, Event::Delete) => true,
                (TriggerEvent::Update(cols), Event::Update) => {
                    cols.is_empty() || cols.iter().any(|c| set.iter().any(|s| s.eq_ignore_ascii_case(c)))
                }
                _ => false,
            };
            if hit {
                match tr.def.timing {
                    TriggerTiming::Before => t.before.push(tr.clone()),
                    TriggerTiming::After => t.after.push(tr.clone()),
                    TriggerTiming::InsteadOf => t.instead.push(tr.clone()),
                }
            }
        }
        t
    }

    /// No triggers at all.
    pub(super) fn none() -> Triggers {
        Triggers { before: Vec::new(), after: Vec::new(), instead: Vec::new() }
    }

    /// Whether a trigger could fire before the change (the row must then
    /// be read again afterwards).
    pub(super) fn any_before(&self) -> bool {
        !self.before.is_empty()
    }

    /// Whether any trigger could fire.
    pub(super) fn any(&self) -> bool {
        !(self.before.is_empty() && self.after.is_empty() && self.instead.is_empty())
    }

    /// Fires the BEFORE triggers; false if `RAISE(IGNORE)` abandoned the change.
    pub(super) fn before(&self, tx: &mut Txn, run: &mut Run<'_>, row: &RowChange<'_>) -> Result<bool> {
        fire(tx, run, &self.before, row)
    }

    /// Fires the AFTER triggers.
    pub(super) fn after(&self, tx: &mut Txn, run: &mut Run<'_>, row: &RowChange<'_>) -> Result<bool> {
        fire(tx, run, &self.after, row)
    }

    /// Fires the INSTEAD OF triggers.
    pub(super) fn instead(&self, tx: &mut Txn, run: &mut Run<'_>, row: &RowChange<'_>) -> Result<bool> {
        fire(tx, run, &self.instead, row)
    }
}

/// One row change as trigger programs see it.
pub(super) struct RowChange<'a> {
    /// The changed table or view's row shape.
    pub shape: &'a RowTable,
    /// The row before the change (columns, then the rowid slot if the
    /// shape has one); `None` for INSERT.
    pub old: Option<&'a [Value]>,
    /// The row after the change; `None` for DELETE.
    pub new: Option<&'a [Value]>,
    /// The firing statement's conflict resolution, if it named one.
    pub or: Option<Conflict>,
}

impl RowChange<'_> {
    /// The frame: `old` then `new`, each the full row shape. A side the
    /// event does not have gets a name no SQL can write, so `old.x` in an
    /// INSERT trigger is "no such column", as in SQLite.
    pub(super) fn frame(&self) -> Frame {
        let w = self.shape.width();
        let side = |name: &str, vals: Option<&[Value]>| {
            let mut t = self.shape.clone();
            t.name = if vals.is_some() { name.to_string() } else { format!("\u{0}{name}") };
            t.qualified_only = true;
            let mut row: Vec<Value> = vals.map(<[Value]>::to_vec).unwrap_or_default();
            row.resize(w, Value::Null);
            (t, row)
        };
        let (old_t, mut row) = side("old", self.old);
        let (new_t, new_row) = side("new", self.new);
        row.extend(new_row);
        Frame { tables: vec![old_t, new_t], row }
    }
}

fn fire(tx: &mut Txn, run: &mut Run<'_>, triggers: &[Trigger], change: &RowChange<'_>) -> Result<bool> {
    if triggers.is_empty() {
        return Ok(true);
    }
    let mut frame: Option<Frame> = None;
    for tr in triggers {
        let name = tr.def.name.to_ascii_lowercase();
        if run.firing.contains(&name) {
            continue;
        }
        if run.firing.len() >= MAX_TRIGGER_DEPTH {
            return sql_err("too many levels of trigger recursion");
        }
        let frame = frame.get_or_insert_with(|| change.frame());
        let saved = run.or_override;
        run.firing.push(name);
        run.or_override = change.or;
        // Inserts inside the program show in last_insert_rowid() only
        // while it runs.
        let rowid = run.session.last_insert_rowid;
        let r = crate::stack::grow(|| run_program(tx, run, tr, frame));
        run.session.last_insert_rowid = rowid;
        run.firing.pop();
        run.or_override = saved;
        match r {
            Ok(()) => {}
            Err(Error::RaiseIgnore) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// A trigger program bound for one shape of firing row: bound once per
/// top-level statement, however many rows fire it.
pub(crate) struct Program {
    when: Option<BExpr>,
    body: Vec<Step>,
}

/// One statement of a bound trigger program.
enum Step {
    Write(super::WritePlan),
    Query(Box<QueryPlan>),
    /// A write through a view (INSTEAD OF triggers): bound as it runs.
    Unbound(usize),
}

fn bind_program(schema: &Schema, tr: &Trigger, frame: &Frame) -> Result<Program> {
    let when = match &tr.def.when {
        Some(w) => Some(binder(schema, Some(frame)).bind_expr(w)?),
        None => None,
    };
    let mut body = Vec::with_capacity(tr.def.body.len());
    for (i, stmt) in tr.def.body.iter().enumerate() {
        body.push(match stmt {
            Statement::Select(q) => Step::Query(Box::new(binder(schema, Some(frame)).bind_select(q)?)),
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
                match super::bind_write_in(schema, stmt, Some(frame))? {
                    Some(w) => Step::Write(w),
                    None => Step::Unbound(i),
                }
            }
            _ => return sql_err("only INSERT, UPDATE, DELETE and SELECT may appear in a trigger program"),
        });
    }
    Ok(Program { when, body })
}

fn run_program(tx: &mut Txn, run: &mut Run<'_>, tr: &Trigger, frame: &Frame) -> Result<()> {
    let key = (tr.def.name.to_ascii_lowercase(), frame.has_old(), frame.has_new());
    let program = match run.programs.get(&key) {
        Some(p) => p.clone(),
        None => {
            let p = std::rc::Rc::new(bind_program(run.schema, tr, frame)?);
            run.programs.insert(key, p.clone());
            p
        }
    };
    if let Some(cond) = &program.when {
        let v = eval(&run.ctx(&*tx), cond, &frame.env())?;
        if crate::value::is_true(&v) != Some(true) {
            return Ok(());
        }
    }
    for step in &program.body {
        match step {
            Step::Write(w) => {
                super::run_write_in(tx, run, w, Some(frame))?;
            }
            Step::Query(plan) => {
                let env = frame.env();
                run_query(&run.ctx(&*tx), plan, Some(&env))?;
            }
            Step::Unbound(i) => match tr.def.body.get(*i) {
                Some(Statement::Insert(s)) => {
                    insert(tx, run, s, Some(frame))?;
                }
                Some(Statement::Update(s)) => {
                    update(tx, run, s, Some(frame))?;
                }
                Some(Statement::Delete(s)) => {
                    delete(tx, run, s, Some(frame))?;
                }
                _ => return sql_err("only INSERT, UPDATE, DELETE and SELECT may appear in a trigger program"),
            },
        }
    }
    Ok(())
}
