//! FOREIGN KEY enforcement, as SQLite does it with `PRAGMA foreign_keys`
//! on.
//!
//! SQLite does not check a foreign key when a row changes; it counts
//! violations. Adding a child row whose parent is missing adds one,
//! removing such a row takes one away, removing a parent row adds one per
//! child that referenced it, adding a parent row takes one away per child
//! it satisfies. Immediate constraints keep their count per statement
//! ([`Run::fk_immediate`]) and the statement fails at its end if the count
//! is positive, so a statement may break a constraint and mend it again;
//! deferred ones (`DEFERRABLE INITIALLY DEFERRED`) keep theirs per
//! transaction ([`Run::fk_deferred`]), checked at COMMIT. The decrements
//! are skipped while the count is zero, as SQLite's are, so the count
//! mirrors SQLite's exactly even with violations left in the database.
//!
//! After a parent row is deleted or its key updated, the ON DELETE / ON
//! UPDATE action runs: CASCADE, SET NULL and SET DEFAULT as DELETE /
//! UPDATE statements on the child table (so the child's triggers and own
//! foreign keys apply, and actions recurse), RESTRICT as an immediate
//! failure when children remain.
//!
//! A `Plan` is made once per statement: it resolves every foreign key
//! the statement touches to the parent's INTEGER PRIMARY KEY or a UNIQUE
//! index over the parent columns, failing with SQLite's "foreign key
//! mismatch" or "no such table" when that is impossible.
//!
//! Not here: `PRAGMA defer_foreign_keys`, MATCH clauses (ignored, as in
//! SQLite), and index use for the child scans (children are found by a
//! full scan of the child table).

use super::{Frame, Run, delete, read_row, unique_conflicts, update};
use crate::ast::{self, BinaryOp, Expr, FkAction};
use crate::bind::RowTable;
use crate::error::{Error, Result, sql_err};
use crate::record::{decode_row, key_rowid};
use crate::schema::{ForeignKey, Index, Schema, Table, lower};
use crate::txn::Txn;
use crate::value::{self, Affinity, Value};
use std::cmp::Ordering;

/// The message of every foreign key failure.
pub const FK_FAILED: &str = "FOREIGN KEY constraint failed";

/// The kind of statement a [`Plan`] is for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Op<'a> {
    /// INSERT; `single` when it is a one-row top-level INSERT without
    /// triggers, which SQLite checks without counting.
    Insert {
        /// One row, at top level, no triggers.
        single: bool,
    },
    /// UPDATE of these row slots.
    Update(&'a [usize]),
    /// DELETE.
    Delete,
}

/// A parent key: the unique index (`None` for the INTEGER PRIMARY KEY)
/// and the (child column, parent column) pairs in the key's order.
type ParentKey = (Option<Index>, Vec<(usize, usize)>);

/// One foreign key, resolved.
struct Link {
    fk: ForeignKey,
    child: Table,
    /// `None`: the parent table does not exist (only while dropping a
    /// table, when SQLite treats it as empty).
    parent: Option<Table>,
    /// The parent's unique index over the key; `None` for its INTEGER
    /// PRIMARY KEY.
    index: Option<Index>,
    /// (child column, parent column) pairs, in the parent key's order.
    pairs: Vec<(usize, usize)>,
}

/// The foreign keys one statement on one table must maintain.
#[derive(Default)]
pub(super) struct Plan {
    /// Keys where the table is the child.
    child: Vec<Link>,
    /// Keys where the table is the parent.
    parent: Vec<Link>,
    /// A one-row top-level INSERT: an immediate child violation fails at
    /// once and adding a parent row mends nothing (SQLite's shortcut).
    single: bool,
    /// The statement is an UPDATE (parent actions are ON UPDATE ones).
    is_update: bool,
}

impl Plan {
    /// Resolves the foreign keys a statement `op` on `table` touches;
    /// empty when foreign keys are off.
    pub(super) fn new(run: &Run<'_>, table: &Table, op: Op<'_>) -> Result<Plan> {
        let mut plan = Plan::default();
        if !run.foreign_keys {
            return Ok(plan);
        }
        let schema = run.schema;
        let quiet = run.fk_quiet;
        let set = match op {
            Op::Update(s) => Some(s),
            _ => None,
        };
        plan.is_update = set.is_some();
        plan.single = matches!(op, Op::Insert { single: true });
        let n = table.columns.len();
        // A slot set: the rowid slot stands for the INTEGER PRIMARY KEY,
        // and a generated column may change with any assignment.
        let touched = |col: usize, s: &[usize]| {
            s.contains(&col)
                || (Some(col) == table.rowid_alias && s.contains(&n))
                || (!s.is_empty() && table.columns.get(col).is_some_and(|c| c.generated.is_some()))
        };
        for fk in &table.foreign_keys {
            if let Some(s) = set
                && !fk.parent.eq_ignore_ascii_case(&table.name)
                && !fk.columns.iter().any(|&c| touched(c, s))
            {
                continue;
            }
            let Some(parent) = schema.table(&fk.parent) else {
                if quiet {
                    plan.child.push(Link {
                        fk: fk.clone(),
                        child: table.clone(),
                        parent: None,
                        index: None,
                        pairs: Vec::new(),
                    });
                    continue;
                }
                return sql_err(format!("no such table: main.{}", fk.parent));
            };
            match locate(schema, table, fk, parent) {
                Ok((index, pairs)) => plan.child.push(Link {
                    fk: fk.clone(),
                    child: table.clone(),
                    parent: Some(parent.clone()),
                    index,
                    pairs,
                }),
                Err(_) if quiet => {}
                Err(e) => return Err(e),
            }
        }
        for child in schema.tables.values() {
            for fk in child.foreign_keys.iter().filter(|fk| fk.parent.eq_ignore_ascii_case(&table.name)) {
                if plan.single && !fk.deferred {
                    continue;
                }
                if let Some(s) = set {
                    let modified = if fk.parent_columns.is_empty() {
                        table.columns.iter().enumerate().any(|(i, c)| c.primary_key && touched(i, s))
                    } else {
                        fk.parent_columns.iter().any(|p| table.column_index(p).is_some_and(|i| touched(i, s)))
                    };
                    if !modified {
                        continue;
                    }
                }
                match locate(schema, child, fk, table) {
                    Ok((index, pairs)) => plan.parent.push(Link {
                        fk: fk.clone(),
                        child: child.clone(),
                        parent: Some(table.clone()),
                        index,
                        pairs,
                    }),
                    Err(_) if quiet => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(plan)
    }

    /// Whether the statement has any foreign key work.
    pub(super) fn is_empty(&self) -> bool {
        self.child.is_empty() && self.parent.is_empty()
    }

    /// Counts what removing `row` (columns, then rowid) from the table
    /// does: a child row without a parent no longer violates; children of
    /// a parent row now do.
    pub(super) fn row_removed(&self, tx: &Txn, run: &mut Run<'_>, row: &[Value]) -> Result<()> {
        for link in &self.child {
            let Some(key) = child_key(link, row) else { continue };
            let Some(parent) = &link.parent else {
                // Dropping a table whose parent is gone: it counts as empty.
                bump(run, link.fk.deferred, -1);
                continue;
            };
            if counter(run, link.fk.deferred) == 0 {
                continue;
            }
            if !parent_exists(tx, link, parent, &key, None)? {
                bump(run, link.fk.deferred, -1);
            }
        }
        for link in &self.parent {
            let own = if link.child.name.eq_ignore_ascii_case(parent_name(link)) { row_rowid(row) } else { None };
            let found = children(tx, link, row, own)?;
            bump(run, link.fk.deferred, found.len() as i64);
        }
        Ok(())
    }

    /// Counts what adding `row` does: a child row without a parent
    /// violates (a one-row INSERT fails at once); children waiting for a
    /// parent row no longer do.
    pub(super) fn row_added(&self, tx: &Txn, run: &mut Run<'_>, row: &[Value]) -> Result<()> {
        for link in &self.child {
            let (Some(key), Some(parent)) = (child_key(link, row), &link.parent) else { continue };
            let own = link.child.name.eq_ignore_ascii_case(&parent.name).then_some(row);
            if !parent_exists(tx, link, parent, &key, own)? {
                if self.single && !link.fk.deferred {
                    return Err(Error::Constraint(FK_FAILED.into()));
                }
                bump(run, link.fk.deferred, 1);
            }
        }
        for link in &self.parent {
            if counter(run, link.fk.deferred) == 0 {
                continue;
            }
            let found = children(tx, link, row, None)?;
            bump(run, link.fk.deferred, -(found.len() as i64));
        }
        Ok(())
    }

    /// Runs the ON DELETE (`new` is `None`) or ON UPDATE actions for a
    /// parent row that was just deleted or updated.
    pub(super) fn actions(
        &self,
        tx: &mut Txn,
        run: &mut Run<'_>,
        table: &Table,
        old: &[Value],
        new: Option<&[Value]>,
    ) -> Result<()> {
        for link in &self.parent {
            let action = if self.is_update { link.fk.on_update } else { link.fk.on_delete };
            if action == FkAction::NoAction {
                continue;
            }
            if let Some(new) = new
                && link.pairs.iter().all(|&(_, p)| same_key(table, p, old, new))
            {
                continue;
            }
            if action == FkAction::Restrict {
                if !children(tx, link, old, None)?.is_empty() {
                    return Err(Error::Constraint(FK_FAILED.into()));
                }
                continue;
            }
            run_action(tx, run, link, table, action, old, new)?;
        }
        Ok(())
    }
}

/// The parent's name as the link resolved it.
fn parent_name(link: &Link) -> &str {
    link.parent.as_ref().map_or(link.fk.parent.as_str(), |p| p.name.as_str())
}

fn row_rowid(row: &[Value]) -> Option<i64> {
    match row.last() {
        Some(Value::Integer(r)) => Some(*r),
        _ => None,
    }
}

/// The child key of `row`, or `None` if any part of it is NULL (then the
/// row is under no constraint).
fn child_key(link: &Link, row: &[Value]) -> Option<Vec<Value>> {
    let cols: Vec<usize> =
        if link.pairs.is_empty() { link.fk.columns.clone() } else { link.pairs.iter().map(|p| p.0).collect() };
    let mut key = Vec::with_capacity(cols.len());
    for c in cols {
        match row.get(c) {
            None | Some(Value::Null) => return None,
            Some(v) => key.push(v.clone()),
        }
    }
    Some(key)
}

fn counter(run: &Run<'_>, deferred: bool) -> i64 {
    if deferred { run.fk_deferred } else { run.fk_immediate }
}

fn bump(run: &mut Run<'_>, deferred: bool, by: i64) {
    let c = if deferred { &mut run.fk_deferred } else { &mut run.fk_immediate };
    *c = c.saturating_add(by);
}

/// Whether a parent row has key `key` (child values in pair order). `own`
/// is the row being added when the child table is the parent table: a row
/// that references itself satisfies its own constraint.
fn parent_exists(tx: &Txn, link: &Link, parent: &Table, key: &[Value], own: Option<&[Value]>) -> Result<bool> {
    match &link.index {
        None => {
            // The INTEGER PRIMARY KEY: the value must be an integer.
            let Some(v) = key.first() else { return Ok(false) };
            let Value::Integer(id) = v.clone().apply_affinity(Affinity::Numeric) else { return Ok(false) };
            if let Some(row) = own
                && row_rowid(row) == Some(id)
            {
                return Ok(true);
            }
            Ok(read_row(tx, parent, id)?.is_some())
        }
        Some(index) => {
            if let Some(row) = own {
                let mine = link.pairs.iter().zip(key).all(|(&(_, p), k)| {
                    let pv = if Some(p) == parent.rowid_alias { row.last() } else { row.get(p) };
                    pv.is_some_and(|pv| {
                        !pv.is_null() && value::compare(k, pv, crate::value::Collation::Binary) == Ordering::Equal
                    })
                });
                if mine {
                    return Ok(true);
                }
            }
            let mut probe = vec![Value::Null; parent.columns.len()];
            for (&(_, p), k) in link.pairs.iter().zip(key) {
                let aff = parent.columns.get(p).map_or(Affinity::Blob, |c| c.affinity);
                if let Some(slot) = probe.get_mut(p) {
                    *slot = k.clone().apply_affinity(aff);
                }
            }
            // A parent key index has only plain columns.
            let key_vals: Vec<Value> =
                index.columns.iter().map(|&c| probe.get(c).cloned().unwrap_or(Value::Null)).collect();
            Ok(!unique_conflicts(tx, index, &key_vals, None)?.is_empty())
        }
    }
}

/// The rowids of the child rows whose key matches the parent key of
/// `parent_row` (compared as `parent.col = child.col` is, with the
/// parent column's affinity and collation), leaving out row `except`.
fn children(tx: &Txn, link: &Link, parent_row: &[Value], except: Option<i64>) -> Result<Vec<i64>> {
    let Some(parent) = &link.parent else { return Ok(Vec::new()) };
    let mut want = Vec::new();
    for &(c, p) in &link.pairs {
        let v = if Some(p) == parent.rowid_alias { parent_row.last() } else { parent_row.get(p) };
        match v {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(v) => {
                let pc = parent.columns.get(p);
                let cc = link.child.columns.get(c);
                want.push((
                    c,
                    v.clone(),
                    pc.map(|x| x.affinity),
                    cc.map(|x| x.affinity),
                    pc.map_or(value::Collation::Binary, |x| x.collation),
                ));
            }
        }
    }
    let n = link.child.columns.len();
    let mut out = Vec::new();
    for entry in tx.range(link.child.tree, ..)? {
        let (k, v) = entry?;
        let (Some(mut row), Some(rowid)) = (decode_row(&v), key_rowid(&k)) else {
            return sql_err(format!("database disk image is malformed (table {})", link.child.name));
        };
        if Some(rowid) == except {
            continue;
        }
        row.resize(n, Value::Null);
        if let Some(slot) = link.child.rowid_alias.and_then(|a| row.get_mut(a)) {
            *slot = Value::Integer(rowid);
        }
        let hit = want.iter().all(|(c, pv, paff, caff, coll)| {
            let cv = row.get(*c).cloned().unwrap_or(Value::Null);
            if cv.is_null() {
                return false;
            }
            let (l, r) = value::prepare_comparison(pv.clone(), *paff, cv, *caff);
            value::compare(&l, &r, *coll) == Ordering::Equal
        });
        if hit {
            out.push(rowid);
        }
    }
    Ok(out)
}

/// Whether parent column `p` is the same in `old` and `new` (`IS`, with
/// the column's collation): ON UPDATE actions run only when the key changed.
fn same_key(table: &Table, p: usize, old: &[Value], new: &[Value]) -> bool {
    let get = |r: &[Value]| if Some(p) == table.rowid_alias { r.last().cloned() } else { r.get(p).cloned() };
    match (get(old), get(new)) {
        (Some(Value::Null), Some(Value::Null)) => true,
        (Some(a), Some(b)) if !a.is_null() && !b.is_null() => {
            let coll = table.columns.get(p).map_or(value::Collation::Binary, |c| c.collation);
            value::compare(&a, &b, coll) == Ordering::Equal
        }
        _ => false,
    }
}

/// Runs a CASCADE, SET NULL or SET DEFAULT action as the statement SQLite
/// would: `DELETE FROM child WHERE old.p = child.c` or `UPDATE child SET c
/// = ... WHERE old.p = child.c`, with the parent row as `old` / `new`.
fn run_action(
    tx: &mut Txn,
    run: &mut Run<'_>,
    link: &Link,
    table: &Table,
    action: FkAction,
    old: &[Value],
    new: Option<&[Value]>,
) -> Result<()> {
    let child = &link.child;
    let col = |t: &str, name: &str| Expr::Column { table: Some(t.to_string()), name: name.to_string() };
    let pname = |p: usize| table.columns.get(p).map_or(String::new(), |c| c.name.clone());
    let cname = |c: usize| child.columns.get(c).map_or(String::new(), |x| x.name.clone());
    let mut cond: Option<Expr> = None;
    for &(c, p) in &link.pairs {
        let eq = Expr::Binary {
            op: BinaryOp::Eq,
            left: Box::new(col("old", &pname(p))),
            right: Box::new(col(&child.name, &cname(c))),
        };
        cond = Some(match cond {
            None => eq,
            Some(prev) => Expr::Binary { op: BinaryOp::And, left: Box::new(prev), right: Box::new(eq) },
        });
    }
    let shape = RowTable::of_table(table, &table.name);
    let frame = frame_of(&shape, old, new);
    // Action programs recurse freely (SQLite gives them no name to stop
    // on) but count towards the trigger depth limit.
    if run.firing.len() >= super::trigger::MAX_TRIGGER_DEPTH {
        return sql_err("triggers nested too deep");
    }
    let saved = run.or_override.take();
    run.firing.push("\u{0}fk".into());
    let r = if action == FkAction::Cascade && new.is_none() {
        let del = ast::Delete {
            with: Vec::new(),
            table: child.name.clone(),
            alias: None,
            where_: cond,
            returning: Vec::new(),
        };
        crate::stack::grow(|| delete(tx, run, &del, Some(&frame)).map(|_| ()))
    } else {
        let set = link
            .pairs
            .iter()
            .map(|&(c, p)| {
                let value = match action {
                    FkAction::Cascade => col("new", &pname(p)),
                    FkAction::SetDefault => child
                        .columns
                        .get(c)
                        .filter(|x| x.generated.is_none())
                        .and_then(|x| x.default.clone())
                        .unwrap_or(Expr::Literal(Value::Null)),
                    _ => Expr::Literal(Value::Null),
                };
                ast::Assignment { columns: vec![cname(c)], value }
            })
            .collect();
        let up = ast::Update {
            with: Vec::new(),
            or: None,
            table: child.name.clone(),
            alias: None,
            set,
            from: None,
            where_: cond,
            returning: Vec::new(),
        };
        crate::stack::grow(|| update(tx, run, &up, Some(&frame)).map(|_| ()))
    };
    run.firing.pop();
    run.or_override = saved;
    r
}

/// The `old` / `new` frame of an action program.
fn frame_of(shape: &RowTable, old: &[Value], new: Option<&[Value]>) -> Frame {
    super::trigger::RowChange { shape, old: Some(old), new, or: None }.frame()
}

/// SQLite's choice of parent key for `fk` of `child`: the INTEGER PRIMARY
/// KEY, or a UNIQUE index (no WHERE, default collations) over exactly the
/// parent columns (the PRIMARY KEY's when none are named). Returns it with
/// the (child column, parent column) pairs in the key's order.
fn locate(schema: &Schema, child: &Table, fk: &ForeignKey, parent: &Table) -> Result<ParentKey> {
    let mismatch = || sql_err(format!("foreign key mismatch - \"{}\" referencing \"{}\"", child.name, fk.parent));
    let ncol = fk.columns.len();
    if ncol == 1
        && let Some(ipk) = parent.rowid_alias
    {
        let named = fk.parent_columns.first();
        if let Some(&c) = fk.columns.first()
            && named.is_none_or(|n| parent.columns.get(ipk).is_some_and(|x| x.name.eq_ignore_ascii_case(n)))
        {
            return Ok((None, vec![(c, ipk)]));
        }
    }
    for ix in schema.table_indexes(&parent.name) {
        if ix.columns.len() != ncol || !ix.unique || ix.where_.is_some() {
            continue;
        }
        if fk.parent_columns.is_empty() {
            // The primary key's own automatic index.
            if ix.sql.is_none() && ix.columns == parent.primary_key && parent.rowid_alias.is_none() {
                let pairs = fk.columns.iter().copied().zip(ix.columns.iter().copied()).collect();
                return Ok((Some(ix.clone()), pairs));
            }
            continue;
        }
        let mut pairs = Vec::new();
        for (&pc, &coll) in ix.columns.iter().zip(&ix.collations) {
            let Some(col) = parent.columns.get(pc) else { break };
            if col.collation != coll {
                break;
            }
            let Some(j) = fk.parent_columns.iter().position(|n| n.eq_ignore_ascii_case(&col.name)) else { break };
            let Some(&c) = fk.columns.get(j) else { break };
            pairs.push((c, pc));
        }
        if pairs.len() == ncol {
            return Ok((Some(ix.clone()), pairs));
        }
    }
    mismatch()
}

/// Whether `table` takes part in any foreign key (as child or parent).
pub(super) fn involved(schema: &Schema, table: &str) -> bool {
    schema.table(table).is_some_and(|t| !t.foreign_keys.is_empty())
        || schema.tables.values().any(|t| t.foreign_keys.iter().any(|fk| lower(&fk.parent) == lower(table)))
}

/// SQLite's word for an action in `PRAGMA foreign_key_list`.
fn action_word(a: FkAction) -> &'static str {
    match a {
        FkAction::NoAction => "NO ACTION",
        FkAction::Restrict => "RESTRICT",
        FkAction::SetNull => "SET NULL",
        FkAction::SetDefault => "SET DEFAULT",
        FkAction::Cascade => "CASCADE",
    }
}

/// `table`'s foreign keys with SQLite's numbering: the last declared is 0.
fn numbered(table: &Table) -> impl Iterator<Item = (i64, &ForeignKey)> {
    table.foreign_keys.iter().rev().enumerate().map(|(i, fk)| (i64::try_from(i).unwrap_or(i64::MAX), fk))
}

/// The rows of `PRAGMA foreign_key_list(table)`: id, seq, table, from, to,
/// on_update, on_delete, match.
pub fn foreign_key_list(table: &Table) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    for (id, fk) in numbered(table) {
        for (seq, &c) in fk.columns.iter().enumerate() {
            out.push(vec![
                Value::Integer(id),
                Value::Integer(i64::try_from(seq).unwrap_or(i64::MAX)),
                Value::Text(fk.parent.clone()),
                Value::Text(table.columns.get(c).map_or(String::new(), |x| x.name.clone())),
                fk.parent_columns.get(seq).map_or(Value::Null, |p| Value::Text(p.clone())),
                Value::Text(action_word(fk.on_update).into()),
                Value::Text(action_word(fk.on_delete).into()),
                Value::Text("NONE".into()),
            ]);
        }
    }
    out
}

/// The rows of `PRAGMA foreign_key_check[(table)]`: table, rowid,
/// parent, fkid for every child row whose parent is missing (all rows
/// with a complete key when the parent table itself is missing).
pub fn foreign_key_check(tx: &Txn, schema: &Schema, table: Option<&str>) -> Result<Vec<Vec<Value>>> {
    let tables: Vec<&Table> = match table {
        Some(name) => match schema.table(name) {
            Some(t) => vec![t],
            None => return sql_err(format!("no such table: {name}")),
        },
        None => schema.tables.values().filter(|t| !t.foreign_keys.is_empty()).collect(),
    };
    let mut out = Vec::new();
    for child in tables {
        let mut links = Vec::new();
        for (id, fk) in numbered(child) {
            let link = match schema.table(&fk.parent) {
                None => Link { fk: fk.clone(), child: child.clone(), parent: None, index: None, pairs: Vec::new() },
                Some(parent) => {
                    let (index, pairs) = locate(schema, child, fk, parent)?;
                    Link { fk: fk.clone(), child: child.clone(), parent: Some(parent.clone()), index, pairs }
                }
            };
            links.push((id, link));
        }
        let n = child.columns.len();
        for entry in tx.range(child.tree, ..)? {
            let (k, v) = entry?;
            let (Some(mut row), Some(rowid)) = (decode_row(&v), key_rowid(&k)) else {
                return sql_err(format!("database disk image is malformed (table {})", child.name));
            };
            row.resize(n, Value::Null);
            if let Some(slot) = child.rowid_alias.and_then(|a| row.get_mut(a)) {
                *slot = Value::Integer(rowid);
            }
            row.push(Value::Integer(rowid));
            for (id, link) in &links {
                let Some(key) = child_key(link, &row) else { continue };
                let ok = match &link.parent {
                    None => false,
                    Some(parent) => parent_exists(tx, link, parent, &key, None)?,
                };
                if !ok {
                    out.push(vec![
                        Value::Text(child.name.clone()),
                        Value::Integer(rowid),
                        Value::Text(link.fk.parent.clone()),
                        Value::Integer(*id),
                    ]);
                }
            }
        }
    }
    Ok(out)
}
