//! INSERT, UPDATE and DELETE.
//!
//! Every statement changes rows one at a time, in SQLite's order: the row's
//! BEFORE triggers, its NOT NULL and CHECK constraints, its uniqueness
//! (rowid, then each UNIQUE index) with conflict resolution (ABORT, FAIL,
//! IGNORE, REPLACE, ROLLBACK, or an upsert clause), the change to the row
//! and its index entries, then its AFTER triggers. Trigger programs run
//! their statements through these same functions with the firing row
//! visible as `new` / `old` (`trigger.rs`).
//!
//! [`insert`] has INSERT, REPLACE and upsert; [`update`] UPDATE and
//! UPDATE ... FROM; [`delete`] DELETE; `view.rs` the INSTEAD OF triggers
//! that make a view writable. This file holds the row operations they
//! share.
//!
//! Foreign keys live in [`fkey`]: each statement resolves the keys it
//! touches once, then every row change reports what it removed and added
//! and runs the parent's actions after its write. Generated columns are
//! computed (in dependency order) after the row's other values are known
//! and kept in the record like any other column.
//!
//! Not here yet: recursive triggers
//! (`PRAGMA recursive_triggers`): a trigger never fires itself, and rows
//! that REPLACE deletes fire no DELETE triggers, as in SQLite by default.

mod delete;
pub mod fkey;
mod insert;
mod trigger;
mod update;
mod view;

pub use delete::delete;
pub use insert::insert;

/// An INSERT, UPDATE or DELETE on a table, bound against one schema (what
/// a prepared statement keeps between runs).
pub(crate) enum WritePlan {
    /// INSERT / REPLACE.
    Insert(Box<insert::InsertPlan>),
    /// UPDATE.
    Update(Box<update::UpdatePlan>),
    /// DELETE.
    Delete(Box<delete::DeletePlan>),
}

/// Binds `stmt` when it is an INSERT, UPDATE or DELETE on a table (not a
/// view: those run INSTEAD OF triggers and are bound as they run).
pub(crate) fn bind_write(schema: &Schema, stmt: &crate::ast::Statement) -> Result<Option<WritePlan>> {
    bind_write_in(schema, stmt, None)
}

/// [`bind_write`] for a statement of a trigger program, whose firing row
/// has the shape of `frame`.
pub(crate) fn bind_write_in(
    schema: &Schema,
    stmt: &crate::ast::Statement,
    frame: Option<&Frame>,
) -> Result<Option<WritePlan>> {
    use crate::ast::Statement;
    Ok(match stmt {
        Statement::Insert(i) if !insert::into_view(schema, i) => {
            Some(WritePlan::Insert(Box::new(insert::bind_insert(schema, i, frame)?)))
        }
        Statement::Update(u) if !update::update_view(schema, u) => {
            Some(WritePlan::Update(Box::new(update::bind_update(schema, u, frame)?)))
        }
        Statement::Delete(d) if !delete::delete_view(schema, d) => {
            Some(WritePlan::Delete(Box::new(delete::bind_delete(schema, d, frame)?)))
        }
        _ => None,
    })
}

impl WritePlan {
    /// Adds its query plan's lines to `out`.
    pub(crate) fn explain(&self, out: &mut crate::explain::Out) {
        match self {
            WritePlan::Insert(p) => p.explain(out),
            WritePlan::Update(p) => p.explain(out),
            WritePlan::Delete(p) => p.explain(out),
        }
    }
}

/// Runs a bound top-level INSERT, UPDATE or DELETE.
pub(crate) fn run_write(tx: &mut Txn, run: &mut Run<'_>, plan: &WritePlan) -> Result<Outcome> {
    run_write_in(tx, run, plan, None)
}

/// Runs a bound INSERT, UPDATE or DELETE; `frame` is the firing row when
/// it runs in a trigger program.
pub(crate) fn run_write_in(
    tx: &mut Txn,
    run: &mut Run<'_>,
    plan: &WritePlan,
    frame: Option<&Frame>,
) -> Result<Outcome> {
    match plan {
        WritePlan::Insert(p) => insert::run_insert(tx, run, p, frame),
        WritePlan::Update(p) => update::run_update(tx, run, p, frame),
        WritePlan::Delete(p) => delete::run_delete(tx, run, p, frame),
    }
}
pub use update::update;

use crate::ast::{self, Conflict};
use crate::bind::{Binder, RowTable};
use crate::error::{Error, Result, sql_err};
use crate::exec::{Ctx, Env, Reader, eval};
use crate::plan::BExpr;
use crate::record::{decode_row, encode_row, key_rowid, rowid_key};
use crate::schema::{Index, SCHEMA_TREE, Schema, Table};
use crate::txn::Txn;
use crate::value::{Affinity, Collation, Value};
use dosql_storage::keycodec::{KeyBuilder, KeyRef, KeyValue};

/// State shared by one top-level statement and every trigger program it
/// fires.
pub struct Run<'a> {
    /// The schema the statement runs against.
    pub schema: &'a Schema,
    /// Statement parameters.
    pub params: &'a [Value],
    /// Triggers whose programs are running: they do not fire again
    /// (SQLite's default, `recursive_triggers` off).
    firing: Vec<String>,
    /// The conflict resolution a firing statement named: it overrides the
    /// one of every statement in the trigger programs it fires.
    or_override: Option<Conflict>,
    /// Whether FOREIGN KEY constraints are enforced (`PRAGMA foreign_keys`).
    pub foreign_keys: bool,
    /// The statement's time, ms since the Unix epoch.
    pub now_ms: i64,
    /// The connection's counters when the statement started.
    pub session: crate::exec::Session,
    /// Rows changed so far by the statement and everything it ran
    /// (triggers, foreign key actions), failed parts included: what
    /// `total_changes()` adds.
    pub row_changes: u64,
    /// The part of `row_changes` the top-level statement made itself.
    pub top_changes: u64,
    /// Immediate foreign key violations counted by this statement: it
    /// fails at its end if the count is positive.
    pub fk_immediate: i64,
    /// Deferred foreign key violations of the transaction (carried in and
    /// out by the connection; COMMIT fails while positive).
    pub fk_deferred: i64,
    /// The next DELETE is DROP TABLE's implicit one: no triggers, and a
    /// missing or unusable parent is no error.
    pub fk_quiet: bool,
    /// Trigger programs bound so far in this statement, by trigger name and
    /// the sides (old, new) of their firing row.
    pub(crate) programs: std::collections::HashMap<(String, bool, bool), std::rc::Rc<trigger::Program>>,
}

impl<'a> Run<'a> {
    /// State for a statement over `schema` with `params`, starting now.
    pub fn new(schema: &'a Schema, params: &'a [Value]) -> Run<'a> {
        Self::at_instant(schema, params, crate::func::datetime::wall_clock_ms())
    }

    /// State for a statement over `schema` with `params` that started at
    /// `now_ms` (the clock is not read).
    pub fn at_instant(schema: &'a Schema, params: &'a [Value], now_ms: i64) -> Run<'a> {
        Run {
            schema,
            params,
            firing: Vec::new(),
            or_override: None,
            foreign_keys: false,
            now_ms,
            session: crate::exec::Session::default(),
            row_changes: 0,
            top_changes: 0,
            fk_immediate: 0,
            fk_deferred: 0,
            fk_quiet: false,
            programs: std::collections::HashMap::new(),
        }
    }

    /// An evaluation context over `rd` for this statement.
    fn ctx<'r>(&'r self, rd: &'r dyn Reader) -> Ctx<'r> {
        Ctx::at_instant(rd, self.params, self.now_ms).with_session(self.session)
    }

    /// The foreign key check at the end of a top-level statement:
    /// immediate violations fail it, and so do deferred ones when it
    /// commits on its own (`autocommit`).
    pub fn finish(&self, autocommit: bool) -> Result<()> {
        if self.fk_immediate > 0 || (autocommit && self.fk_deferred > 0) {
            return Err(Error::Constraint(fkey::FK_FAILED.into()));
        }
        Ok(())
    }

    /// The conflict resolution in force for a statement that names `own`.
    fn conflict(&self, own: Option<Conflict>) -> Option<Conflict> {
        self.or_override.or(own)
    }
}

/// What a DML statement produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Rows inserted, updated or deleted directly by the statement
    /// (changes made by triggers are not counted, as in SQLite).
    pub changes: u64,
    /// RETURNING column names.
    pub columns: Vec<String>,
    /// RETURNING rows.
    pub rows: Vec<Vec<Value>>,
}

/// The row a trigger program runs for: `old` and `new` as a scope to the
/// binder and as the outermost row to the evaluator.
pub struct Frame {
    tables: Vec<RowTable>,
    row: Vec<Value>,
}

impl Frame {
    fn env(&self) -> Env<'_> {
        Env { row: &self.row, aggs: &[], parent: None }
    }

    /// Whether the firing row has an `old` side (UPDATE, DELETE).
    fn has_old(&self) -> bool {
        self.tables.first().is_some_and(|t| t.name == "old")
    }

    /// Whether the firing row has a `new` side (INSERT, UPDATE).
    fn has_new(&self) -> bool {
        self.tables.get(1).is_some_and(|t| t.name == "new")
    }
}

/// A binder that sees the trigger frame, if any.
fn binder<'s>(schema: &'s Schema, frame: Option<&Frame>) -> Binder<'s> {
    let mut b = Binder::new(schema);
    if let Some(f) = frame {
        b.push_frame(&f.tables, true);
    }
    b
}

/// A table being changed and what each row change needs.
struct Target {
    table: Table,
    indexes: Vec<Index>,
    /// Each index's partial-index condition, bound over the table's row.
    partial: Vec<Option<BExpr>>,
    /// Each index's key parts (expressions bound over the table's row).
    parts: Vec<Vec<Option<BExpr>>>,
    checks: Vec<BExpr>,
    defaults: Vec<Option<BExpr>>,
    /// Generated columns with their expressions, in the order they can be
    /// computed.
    generated: Vec<(usize, BExpr)>,
}

impl Target {
    fn new(schema: &Schema, name: &str) -> Result<Target> {
        let table = match schema.table(name) {
            Some(t) if t.tree & !crate::txn::TEMP_BIT == SCHEMA_TREE => {
                return sql_err(format!("table {name} may not be modified"));
            }
            Some(t) => t.clone(),
            None => return sql_err(format!("no such table: {name}")),
        };
        let indexes: Vec<Index> = schema.table_indexes(&table.name).cloned().collect();
        let partial = partial_conditions(schema, &table, &indexes)?;
        let parts = indexes.iter().map(|ix| key_parts(schema, &table, ix)).collect::<Result<_>>()?;
        let checks = if table.checks.is_empty() {
            Vec::new()
        } else {
            Binder::new(schema).bind_table_exprs(&table, &table.checks)?
        };
        let defaults = Binder::new(schema).bind_defaults(&table)?;
        let generated = order_generated(schema, &table)?;
        Ok(Target { table, indexes, partial, parts, checks, defaults, generated })
    }

    fn width(&self) -> usize {
        self.table.columns.len()
    }

    /// Which indexes hold `row`: all but the partial ones whose condition
    /// it fails.
    fn membership(&self, tx: &Txn, row: &[Value]) -> Result<Vec<bool>> {
        // Without partial indexes there is nothing to evaluate (nor a clock
        // to read).
        if self.partial.iter().all(Option::is_none) {
            return Ok(vec![true; self.indexes.len()]);
        }
        member_of(&Ctx::new(tx, &[]), &self.partial, row)
    }

    /// `row`'s key values in each index it is a member of (empty for the
    /// others).
    fn keys(&self, tx: &Txn, row: &[Value], member: &[bool]) -> Result<Vec<Vec<Value>>> {
        // The clock is read only for expression parts, the only ones that
        // evaluate anything.
        let exprs = self.parts.iter().flatten().any(Option::is_some);
        let now = if exprs { crate::func::datetime::wall_clock_ms() } else { 0 };
        let ctx = Ctx::at_instant(tx, &[], now);
        self.indexes
            .iter()
            .zip(&self.parts)
            .zip(member)
            .map(|((ix, parts), m)| if *m { key_values(&ctx, ix, parts, row) } else { Ok(Vec::new()) })
            .collect()
    }

    /// The key of `row`'s entry in each index, or `None` for a partial
    /// index it is not a member of: [`index_key`] of its
    /// [`Target::keys`], encoded from the row without copying its values.
    fn entry_keys(&self, tx: &Txn, row: &[Value], rowid: i64) -> Result<Vec<Option<Vec<u8>>>> {
        let member = self.membership(tx, row)?;
        let exprs = self.parts.iter().flatten().any(Option::is_some);
        let now = if exprs { crate::func::datetime::wall_clock_ms() } else { 0 };
        let ctx = Ctx::at_instant(tx, &[], now);
        let env = Env { row, aggs: &[], parent: None };
        let mut keys = Vec::with_capacity(self.indexes.len());
        for ((ix, parts), m) in self.indexes.iter().zip(&self.parts).zip(member) {
            if !m {
                keys.push(None);
                continue;
            }
            let mut b = KeyBuilder::new();
            for (i, (&c, part)) in ix.columns.iter().zip(parts).enumerate() {
                let coll = ix.collations.get(i).copied().unwrap_or(Collation::Binary);
                let desc = ix.desc.get(i).copied().unwrap_or(false);
                match part {
                    Some(e) => push_key_value(&mut b, &eval(&ctx, e, &env)?, coll, desc),
                    None => push_key_value(&mut b, row.get(c).unwrap_or(&Value::Null), coll, desc),
                }
            }
            // The rowid, past the key columns' directions, sorts ascending.
            b.push(KeyRef::Integer(rowid), false);
            keys.push(Some(b.finish()));
        }
        Ok(keys)
    }

    /// Computes the generated columns of `row` from its other columns.
    fn compute_generated(&self, ctx: &Ctx<'_>, row: &mut [Value]) -> Result<()> {
        for (i, e) in &self.generated {
            let v = eval(ctx, e, &Env { row, aggs: &[], parent: None })?;
            if let (Some(slot), Some(c)) = (row.get_mut(*i), self.table.columns.get(*i)) {
                *slot = v.apply_affinity(c.affinity);
            }
        }
        Ok(())
    }
}

/// `table`'s row as generated column expressions see it: its columns
/// only (no rowid, as in SQLite), all but `visible` renamed out of reach.
fn generated_scope(table: &Table, visible: &dyn Fn(usize) -> bool) -> RowTable {
    let mut shape = RowTable::of_table(table, &table.name);
    shape.has_rowid = false;
    for (i, c) in shape.cols.iter_mut().enumerate() {
        if !visible(i) {
            c.0 = format!("\u{0}{}", c.0);
        }
    }
    shape
}

/// CREATE TABLE's check of generated columns: unknown columns, loops and
/// the like fail here, as in SQLite.
pub fn check_generated(schema: &Schema, table: &Table) -> Result<()> {
    order_generated(schema, table).map(|_| ())
}

/// Binds every generated column expression of `table` with all columns
/// visible.
fn bind_generated(schema: &Schema, table: &Table) -> Result<()> {
    let shape = generated_scope(table, &|_| true);
    for c in table.columns.iter().filter_map(|c| c.generated.as_ref()) {
        Binder::new(schema).bind_over(std::slice::from_ref(&shape), std::slice::from_ref(&c.expr))?;
    }
    Ok(())
}

/// The generated columns of `table` in an order where each one's inputs
/// come first: repeatedly take those whose expression binds with only the
/// ordinary and already ordered columns visible. None left to take is a
/// loop, as SQLite reports it.
fn order_generated(schema: &Schema, table: &Table) -> Result<Vec<(usize, BExpr)>> {
    let mut pending: Vec<usize> =
        table.columns.iter().enumerate().filter(|(_, c)| c.generated.is_some()).map(|(i, _)| i).collect();
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    bind_generated(schema, table)?;
    let mut done: Vec<(usize, BExpr)> = Vec::new();
    while !pending.is_empty() {
        let mut progress = false;
        let mut k = 0;
        while k < pending.len() {
            let i = pending[k];
            let ready = |c: usize| {
                table.columns.get(c).is_some_and(|x| x.generated.is_none()) || done.iter().any(|(d, _)| *d == c)
            };
            let shape = generated_scope(table, &ready);
            let Some(g) = table.columns.get(i).and_then(|c| c.generated.as_ref()) else { break };
            match Binder::new(schema).bind_over(std::slice::from_ref(&shape), std::slice::from_ref(&g.expr)) {
                Ok(mut e) => {
                    if let Some(e) = e.pop() {
                        done.push((i, e));
                    }
                    pending.remove(k);
                    progress = true;
                }
                Err(_) => k += 1,
            }
        }
        if !progress {
            let name = pending.last().and_then(|&i| table.columns.get(i)).map_or("?", |c| c.name.as_str());
            return sql_err(format!("generated column loop on \"{name}\""));
        }
    }
    Ok(done)
}

/// The partial-index conditions of `indexes`, bound over `table`'s row.
fn partial_conditions(schema: &Schema, table: &Table, indexes: &[Index]) -> Result<Vec<Option<BExpr>>> {
    indexes
        .iter()
        .map(|ix| match &ix.where_ {
            Some(w) => Ok(Binder::new(schema).bind_table_exprs(table, std::slice::from_ref(w))?.pop()),
            None => Ok(None),
        })
        .collect()
}

/// Whether `row` satisfies each partial condition (true where there is none).
fn member_of(ctx: &Ctx<'_>, partial: &[Option<BExpr>], row: &[Value]) -> Result<Vec<bool>> {
    let env = Env { row, aggs: &[], parent: None };
    partial
        .iter()
        .map(|p| match p {
            Some(c) => Ok(crate::value::is_true(&eval(ctx, c, &env)?) == Some(true)),
            None => Ok(true),
        })
        .collect()
}

/// The error for a failed constraint under conflict resolution `or`.
fn conflict_error(or: Conflict, msg: String) -> Error {
    match or {
        Conflict::Fail => Error::ConstraintFail(msg),
        Conflict::Rollback => Error::ConstraintRollback(msg),
        _ => Error::Constraint(msg),
    }
}

/// A value as an index stores it under collation `coll` (text folded as
/// the collation compares it).
pub(crate) fn key_value(v: &Value, coll: Collation) -> KeyValue {
    match v {
        Value::Null => KeyValue::Null,
        Value::Integer(i) => KeyValue::Integer(*i),
        Value::Real(r) => KeyValue::Real(*r),
        Value::Text(s) => KeyValue::Text(match coll {
            Collation::Binary => s.clone(),
            Collation::NoCase => s.to_ascii_lowercase(),
            Collation::RTrim => s.trim_end_matches(' ').to_string(),
        }),
        Value::Blob(b) => KeyValue::Blob(b.clone()),
    }
}

/// Appends `v` to an index key under collation `coll`, as [`key_value`]
/// converts it.
fn push_key_value(b: &mut KeyBuilder, v: &Value, coll: Collation, desc: bool) {
    let r = match v {
        Value::Null => KeyRef::Null,
        Value::Integer(i) => KeyRef::Integer(*i),
        Value::Real(r) => KeyRef::Real(*r),
        Value::Text(s) => match coll {
            Collation::Binary => KeyRef::Text(s),
            Collation::NoCase => return b.push(KeyRef::Text(&s.to_ascii_lowercase()), desc),
            Collation::RTrim => KeyRef::Text(s.trim_end_matches(' ')),
        },
        Value::Blob(x) => KeyRef::Blob(x),
    };
    b.push(r, desc);
}

/// The key of an index entry: its key values (one per key part) and the
/// rowid.
pub fn index_key(index: &Index, vals: &[Value], rowid: i64) -> Vec<u8> {
    let mut b = KeyBuilder::new();
    for (i, v) in vals.iter().enumerate() {
        let coll = index.collations.get(i).copied().unwrap_or(Collation::Binary);
        push_key_value(&mut b, v, coll, index.desc.get(i).copied().unwrap_or(false));
    }
    // The rowid, past the key columns' directions, sorts ascending.
    b.push(KeyRef::Integer(rowid), false);
    b.finish()
}

/// An index's key expressions bound over its table's row: `None` for a
/// plain column, the bound expression for an expression part.
pub(crate) fn key_parts(schema: &Schema, table: &Table, index: &Index) -> Result<Vec<Option<BExpr>>> {
    index
        .exprs
        .iter()
        .map(|e| match e {
            Some(e) => Ok(Binder::new(schema).bind_table_exprs(table, std::slice::from_ref(e))?.pop()),
            None => Ok(None),
        })
        .collect()
}

/// The values `row` (columns, then rowid) contributes to an index's key.
fn key_values(ctx: &Ctx<'_>, index: &Index, parts: &[Option<BExpr>], row: &[Value]) -> Result<Vec<Value>> {
    let env = Env { row, aggs: &[], parent: None };
    index
        .columns
        .iter()
        .zip(parts)
        .map(|(&c, part)| match part {
            Some(e) => eval(ctx, e, &env),
            None => Ok(row.get(c).cloned().unwrap_or(Value::Null)),
        })
        .collect()
}

/// Rowids of rows other than `except` whose key in the unique `index`
/// equals the key values `key` (never for keys with a NULL, which are all
/// distinct).
fn unique_conflicts(tx: &Txn, index: &Index, key: &[Value], except: Option<i64>) -> Result<Vec<i64>> {
    let vals: Vec<KeyValue> = key.iter().zip(&index.collations).map(|(v, &coll)| key_value(v, coll)).collect();
    if vals.iter().any(|v| matches!(v, KeyValue::Null)) {
        return Ok(Vec::new());
    }
    let mut found = crate::access::index_rowids(tx, index, &vals, (None, None))?;
    found.retain(|r| Some(*r) != except);
    Ok(found)
}

fn unique_message(table: &Table, index: &Index) -> String {
    if index.exprs.iter().any(Option::is_some) {
        return format!("UNIQUE constraint failed: index '{}'", index.name);
    }
    let cols: Vec<String> = index
        .columns
        .iter()
        .map(|&c| format!("{}.{}", table.name, table.columns.get(c).map_or("?", |col| col.name.as_str())))
        .collect();
    format!("UNIQUE constraint failed: {}", cols.join(", "))
}

fn rowid_message(table: &Table) -> String {
    let col = table.rowid_alias.and_then(|i| table.columns.get(i)).map_or("rowid", |c| c.name.as_str());
    format!("UNIQUE constraint failed: {}.{col}", table.name)
}

/// Writes a row (columns then rowid) and its index entries.
fn write_row(tx: &mut Txn, t: &Target, row: &[Value], rowid: i64) -> Result<()> {
    let keys = t.entry_keys(tx, row, rowid)?;
    let cols = &row[..t.width().min(row.len())];
    tx.put(t.table.tree, &rowid_key(rowid), &encode_row(cols))?;
    for (ix, key) in t.indexes.iter().zip(keys) {
        if let Some(key) = key {
            tx.put(ix.tree, &key, &[])?;
        }
    }
    Ok(())
}

/// Removes a row and its index entries.
fn delete_row(tx: &mut Txn, t: &Target, row: &[Value], rowid: i64) -> Result<()> {
    let keys = t.entry_keys(tx, row, rowid)?;
    tx.delete(t.table.tree, &rowid_key(rowid))?;
    for (ix, key) in t.indexes.iter().zip(keys) {
        if let Some(key) = key {
            tx.delete(ix.tree, &key)?;
        }
    }
    Ok(())
}

/// The row with `rowid` (columns, then the rowid), if it exists.
fn read_row(tx: &Txn, table: &Table, rowid: i64) -> Result<Option<Vec<Value>>> {
    let Some(raw) = Reader::get(tx, table.tree, &rowid_key(rowid))? else { return Ok(None) };
    let Some(mut row) = decode_row(&raw) else {
        return sql_err(format!("database disk image is malformed (table {})", table.name));
    };
    row.resize(table.columns.len(), Value::Null);
    row.push(Value::Integer(rowid));
    Ok(Some(row))
}

/// The rowid SQLite picks for a new row: one past the largest.
fn next_rowid(tx: &Txn, table: &Table) -> Result<i64> {
    match tx.last_key(table.tree)?.and_then(|k| key_rowid(&k)) {
        None => Ok(1),
        Some(i64::MAX) => {
            // The largest rowid is taken: like SQLite, try up to 100 random
            // positive rowids before giving up.
            for _ in 0..100 {
                let r = (crate::func::scalar::random_i64() & (i64::MAX >> 1)) + 1;
                if Reader::get(tx, table.tree, &rowid_key(r))?.is_none() {
                    return Ok(r);
                }
            }
            sql_err("database or disk is full")
        }
        Some(r) => Ok(r + 1),
    }
}

/// Checks NOT NULL and CHECK constraints on `row`. Returns false when the
/// row is to be skipped (IGNORE); REPLACE puts a column's default in
/// place of a NULL it may not hold. `or` is the statement's conflict
/// resolution; without one each constraint's own clause applies.
fn check_row(ctx: &Ctx<'_>, t: &Target, row: &mut [Value], or: Option<Conflict>) -> Result<bool> {
    let table = &t.table;
    if table.strict {
        for (c, v) in table.columns.iter().zip(row.iter()) {
            let decl = c.decl_type.to_ascii_uppercase();
            let fits = matches!(
                (decl.as_str(), v),
                (_, Value::Null)
                    | ("ANY", _)
                    | ("INT" | "INTEGER", Value::Integer(_))
                    | ("REAL", Value::Real(_))
                    | ("TEXT", Value::Text(_))
                    | ("BLOB", Value::Blob(_))
            );
            if !fits {
                // No conflict clause skips or repairs a datatype failure.
                let or = or.unwrap_or_default();
                let kind = match v {
                    Value::Integer(_) => "INT",
                    Value::Real(_) => "REAL",
                    Value::Text(_) => "TEXT",
                    _ => "BLOB",
                };
                let msg = format!("cannot store {kind} value in {decl} column {}.{}", table.name, c.name);
                let or = if matches!(or, Conflict::Ignore | Conflict::Replace) { Conflict::Abort } else { or };
                return Err(conflict_error(or, msg));
            }
        }
    }
    for (i, c) in table.columns.iter().enumerate() {
        if c.not_null && matches!(row.get(i), Some(Value::Null)) {
            let or = or.or(c.not_null_conflict).unwrap_or_default();
            match or {
                Conflict::Ignore => return Ok(false),
                Conflict::Replace if t.defaults.get(i).is_some_and(Option::is_some) => {
                    if let Some(Some(d)) = t.defaults.get(i) {
                        let v = eval(ctx, d, &Env { row: &[], aggs: &[], parent: None })?;
                        row[i] = v.apply_affinity(c.affinity);
                    }
                    if matches!(row[i], Value::Null) {
                        return Err(Error::Constraint(format!(
                            "NOT NULL constraint failed: {}.{}",
                            table.name, c.name
                        )));
                    }
                }
                _ => {
                    return Err(conflict_error(or, format!("NOT NULL constraint failed: {}.{}", table.name, c.name)));
                }
            }
        }
    }
    let or = or.unwrap_or_default();
    let env = Env { row, aggs: &[], parent: None };
    for (expr, label) in t.checks.iter().zip(&table.check_labels) {
        let v = eval(ctx, expr, &env)?;
        if crate::value::is_true(&v) == Some(false) {
            if or == Conflict::Ignore {
                return Ok(false);
            }
            let or = if or == Conflict::Replace { Conflict::Abort } else { or };
            return Err(conflict_error(or, format!("CHECK constraint failed: {label}")));
        }
    }
    Ok(true)
}

/// Which uniqueness constraint a row ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Constraint {
    /// The rowid / INTEGER PRIMARY KEY.
    Rowid,
    /// The unique index at this position of [`Target::indexes`].
    Index(usize),
}

/// What to do with a row after its uniqueness check.
enum Verdict {
    /// Write it.
    Write,
    /// Leave it out (IGNORE or DO NOTHING).
    Skip,
    /// Run upsert clause `clause` on the existing row `rowid` instead.
    Upsert { clause: usize, rowid: i64 },
}

/// Checks the uniqueness of `row` (columns, then its rowid) against every
/// row but `own`'s. An upsert clause whose target matches takes the first
/// conflict; otherwise `or` decides, or without one the constraint's own
/// conflict clause. REPLACE deletes the rows in the way
/// only after every constraint has been checked, so that a later ABORT
/// leaves them alone.
fn resolve_unique(
    tx: &mut Txn,
    run: &mut Run<'_>,
    t: &Target,
    row: &[Value],
    own: Option<i64>,
    or: Option<Conflict>,
    upsert_targets: &[Option<Constraint>],
) -> Result<Verdict> {
    let n = t.width();
    let Some(Value::Integer(rowid)) = row.get(n).cloned() else {
        return sql_err("internal error: row without a rowid");
    };
    let mut doomed: Vec<i64> = Vec::new();
    let mut conflicts: Vec<(Constraint, Vec<i64>)> = Vec::new();
    if Some(rowid) != own && read_row(tx, &t.table, rowid)?.is_some() {
        conflicts.push((Constraint::Rowid, vec![rowid]));
    }
    // Only unique indexes need the row's keys here.
    let unique = t.indexes.iter().any(|ix| ix.unique);
    let member = if unique { t.membership(tx, row)? } else { Vec::new() };
    let keys = if unique { t.keys(tx, row, &member)? } else { Vec::new() };
    for (i, ix) in t.indexes.iter().enumerate().filter(|(i, ix)| ix.unique && member[*i]) {
        let found = unique_conflicts(tx, ix, &keys[i], own.or(Some(rowid)))?;
        if !found.is_empty() {
            conflicts.push((Constraint::Index(i), found));
        }
    }
    // The constraints upsert clauses name are checked first, clause by
    // clause, as in SQLite; a clause without a target takes any other.
    for (clause, target) in upsert_targets.iter().enumerate() {
        if let Some(x) = target
            && let Some(&first) = conflicts.iter().find(|(c, _)| c == x).and_then(|(_, r)| r.first())
        {
            return Ok(Verdict::Upsert { clause, rowid: first });
        }
    }
    for (c, rowids) in conflicts {
        if let Some(clause) = upsert_targets.iter().position(|u| u.is_none_or(|x| x == c)) {
            let Some(&first) = rowids.first() else { continue };
            return Ok(Verdict::Upsert { clause, rowid: first });
        }
        let own_clause = match c {
            Constraint::Rowid => t.table.pk_conflict,
            Constraint::Index(i) => t.indexes[i].on_conflict,
        };
        let or = or.or(own_clause).unwrap_or_default();
        match or {
            Conflict::Ignore => return Ok(Verdict::Skip),
            Conflict::Replace => doomed.extend(rowids),
            _ => {
                let msg = match c {
                    Constraint::Rowid => rowid_message(&t.table),
                    Constraint::Index(i) => unique_message(&t.table, &t.indexes[i]),
                };
                return Err(conflict_error(or, msg));
            }
        }
    }
    doomed.sort_unstable();
    doomed.dedup();
    // Rows REPLACE deletes go through the foreign key checks and actions
    // of a deletion, as in SQLite.
    let fks = if doomed.is_empty() || !run.foreign_keys || !fkey::involved(run.schema, &t.table.name) {
        fkey::Plan::default()
    } else {
        fkey::Plan::new(run, &t.table, fkey::Op::Delete)?
    };
    for r in doomed {
        if let Some(old) = read_row(tx, &t.table, r)? {
            fks.row_removed(tx, run, &old)?;
            delete_row(tx, t, &old, r)?;
            fks.actions(tx, run, &t.table, &old, None)?;
        }
    }
    Ok(Verdict::Write)
}

/// Counts one changed row (in the statement's changes when `top`, and in
/// what `total_changes()` adds either way) and adds its RETURNING row.
fn changed(
    tx: &Txn,
    run: &mut Run<'_>,
    out: &mut Outcome,
    top: bool,
    (returning, row): (&[BExpr], &[Value]),
    frame: Option<&Env<'_>>,
) -> Result<()> {
    out.changes += 1;
    run.row_changes += 1;
    if top {
        run.top_changes += 1;
    }
    if !returning.is_empty() {
        out.rows.push(returning_row(&run.ctx(tx), returning, row, frame)?);
    }
    Ok(())
}

/// Evaluates RETURNING expressions over a changed row.
fn returning_row(ctx: &Ctx<'_>, exprs: &[BExpr], row: &[Value], frame: Option<&Env<'_>>) -> Result<Vec<Value>> {
    let env = Env { row, aggs: &[], parent: frame };
    exprs.iter().map(|e| eval(ctx, e, &env)).collect()
}

/// Applies a column's affinity to a new value (the rowid slot is INTEGER).
fn with_affinity(table: &Table, col: usize, v: Value) -> Value {
    match table.columns.get(col) {
        Some(c) => v.apply_affinity(c.affinity),
        None => v.apply_affinity(Affinity::Integer),
    }
}

/// `SELECT columns FROM from WHERE where_`, with nothing else.
fn simple_select(columns: Vec<ast::ResultColumn>, from: ast::FromItem, where_: Option<&ast::Expr>) -> ast::Select {
    let core = ast::SelectCore {
        distinct: false,
        columns,
        from: Some(from),
        where_: where_.cloned(),
        group_by: Vec::new(),
        having: None,
        windows: Vec::new(),
    };
    ast::Select {
        with: Vec::new(),
        recursive: false,
        body: ast::SelectBody::Select(Box::new(core)),
        compound: Vec::new(),
        order_by: Vec::new(),
        limit: None,
        offset: None,
    }
}

/// A name that selects `table`'s rowid in a query over it.
fn rowid_name(table: &Table) -> &'static str {
    ["rowid", "_rowid_", "oid"].into_iter().find(|r| table.column_index(r).is_none()).unwrap_or("rowid")
}

/// Adds every existing row of `table` to a new index, checking uniqueness.
pub fn build_index(tx: &mut Txn, schema: &Schema, index: &Index) -> Result<()> {
    let Some(table) = schema.table(&index.table).cloned() else {
        return sql_err(format!("no such table: {}", index.table));
    };
    let n = table.columns.len();
    let partial = partial_conditions(schema, &table, std::slice::from_ref(index))?;
    let parts = key_parts(schema, &table, index)?;
    let mut rows = Vec::new();
    for entry in tx.range(table.tree, ..)? {
        let (k, v) = entry?;
        let (Some(mut row), Some(rowid)) = (decode_row(&v), key_rowid(&k)) else {
            return sql_err(format!("database disk image is malformed (table {})", table.name));
        };
        row.resize(n, Value::Null);
        row.push(Value::Integer(rowid));
        if member_of(&Ctx::new(&*tx, &[]), &partial, &row)?.iter().all(|m| *m) {
            rows.push((row, rowid));
        }
    }
    for (row, rowid) in rows {
        let key = key_values(&Ctx::new(&*tx, &[]), index, &parts, &row)?;
        if index.unique && !unique_conflicts(tx, index, &key, Some(rowid))?.is_empty() {
            return Err(Error::Constraint(unique_message(&table, index)));
        }
        tx.put(index.tree, &index_key(index, &key, rowid), &[])?;
    }
    Ok(())
}

/// Bumps `sqlite_sequence` for an AUTOINCREMENT table after a row with
/// `rowid` was written.
fn note_sequence(tx: &mut Txn, schema: &Schema, table: &Table, rowid: i64) -> Result<()> {
    // TEMP tables keep no sequence in the main database.
    if !table.autoincrement || crate::txn::is_temp(table.tree) {
        return Ok(());
    }
    let Some(seq) = schema.table("sqlite_sequence") else { return Ok(()) };
    let (key, current) = sequence_row(tx, seq, &table.name)?;
    if current.is_some_and(|c| c >= rowid) {
        return Ok(());
    }
    let key = match key {
        Some(k) => k,
        None => rowid_key(next_rowid(tx, seq)?).to_vec(),
    };
    let row = vec![Value::Text(table.name.clone()), Value::Integer(rowid)];
    tx.put(seq.tree, &key, &encode_row(&row))?;
    Ok(())
}

/// The key and value of `table`'s row in `sqlite_sequence`.
fn sequence_row(tx: &Txn, seq: &Table, table: &str) -> Result<(Option<Vec<u8>>, Option<i64>)> {
    for entry in tx.range(seq.tree, ..)? {
        let (k, v) = entry?;
        let Some(row) = decode_row(&v) else { continue };
        if let Some(Value::Text(name)) = row.first()
            && name.eq_ignore_ascii_case(table)
        {
            let n = match row.get(1) {
                Some(Value::Integer(i)) => Some(*i),
                Some(other) => Some(other.to_i64()),
                None => None,
            };
            return Ok((Some(k), n));
        }
    }
    Ok((None, None))
}

/// The rowid for a new row of an AUTOINCREMENT table: past both the
/// largest rowid in use and the largest ever used.
fn autoincrement_rowid(tx: &Txn, schema: &Schema, table: &Table) -> Result<i64> {
    let next = next_rowid(tx, table)?;
    let Some(seq) = schema.table("sqlite_sequence") else { return Ok(next) };
    match sequence_row(tx, seq, &table.name)?.1 {
        Some(i64::MAX) => sql_err("database or disk is full"),
        Some(s) if s >= next => Ok(s + 1),
        _ => Ok(next),
    }
}

/// Removes `table`'s row from `sqlite_sequence` (the table is dropped).
pub fn forget_sequence(tx: &mut Txn, schema: &Schema, table: &str) -> Result<()> {
    let Some(seq) = schema.table("sqlite_sequence") else { return Ok(()) };
    if let (Some(k), _) = sequence_row(tx, seq, table)? {
        tx.delete(seq.tree, &k)?;
    }
    Ok(())
}
