//! INSERT, UPDATE and DELETE.
//!
//! Every statement changes rows one at a time, in SQLite's order: the row's
//! BEFORE triggers, its NOT NULL and CHECK constraints, its uniqueness
//! (rowid, then each UNIQUE index) with conflict resolution (ABORT, FAIL,
//! IGNORE, REPLACE, ROLLBACK, or an upsert clause), the change to the row
//! and its index entries, then its AFTER triggers. Trigger programs run
//! their statements through these same functions with the firing row
//! visible as `new` / `old` (`trigger`).
//!
//! `insert` has INSERT, REPLACE and upsert; `update` UPDATE and
//! UPDATE ... FROM; `delete` DELETE; `view` the INSTEAD OF triggers
//! that make a view writable. This file holds the row operations they
//! share.
//!
//! Not here yet: foreign keys, generated columns and recursive triggers
//! (`PRAGMA recursive_triggers`): a trigger never fires itself, and rows
//! that REPLACE deletes fire no DELETE triggers, as in SQLite by default.

mod delete;
mod insert;
mod trigger;
mod update;
mod view;

pub use delete::delete;
pub use insert::insert;
pub use update::update;

use crate::ast::Conflict;
use crate::bind::{Binder, RowTable};
use crate::error::{Error, Result, sql_err};
use crate::exec::{Ctx, Env, Reader, eval};
use crate::plan::BExpr;
use crate::record::{decode_row, encode_row, key_rowid, rowid_key};
use crate::schema::{Index, SCHEMA_TREE, Schema, Table};
use crate::value::{Affinity, Collation, Value};
use dosql_storage::WriteTxn;
use dosql_storage::keycodec::{KeyValue, encode_key_with_order};
use std::cmp::Ordering;

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
}

impl<'a> Run<'a> {
    /// State for a statement over `schema` with `params`.
    pub fn new(schema: &'a Schema, params: &'a [Value]) -> Run<'a> {
        Run { schema, params, firing: Vec::new(), or_override: None, foreign_keys: false }
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
    checks: Vec<BExpr>,
    defaults: Vec<Option<BExpr>>,
}

impl Target {
    fn new(schema: &Schema, name: &str) -> Result<Target> {
        let table = match schema.table(name) {
            Some(t) if t.tree == SCHEMA_TREE => return sql_err(format!("table {name} may not be modified")),
            Some(t) => t.clone(),
            None => return sql_err(format!("no such table: {name}")),
        };
        let indexes = schema.table_indexes(&table.name).cloned().collect();
        let checks = if table.checks.is_empty() {
            Vec::new()
        } else {
            Binder::new(schema).bind_table_exprs(&table, &table.checks)?
        };
        let defaults = Binder::new(schema).bind_defaults(&table)?;
        Ok(Target { table, indexes, checks, defaults })
    }

    fn width(&self) -> usize {
        self.table.columns.len()
    }
}

/// The error for a failed constraint under conflict resolution `or`.
fn conflict_error(or: Conflict, msg: String) -> Error {
    match or {
        Conflict::Fail => Error::ConstraintFail(msg),
        Conflict::Rollback => Error::ConstraintRollback(msg),
        _ => Error::Constraint(msg),
    }
}

fn key_value(v: &Value, coll: Collation) -> KeyValue {
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

/// The key of `row` (table row, rowid last) in `index`.
pub fn index_key(index: &Index, row: &[Value], rowid: i64) -> Vec<u8> {
    let mut vals: Vec<KeyValue> = index
        .columns
        .iter()
        .zip(&index.collations)
        .map(|(&c, &coll)| key_value(row.get(c).unwrap_or(&Value::Null), coll))
        .collect();
    vals.push(KeyValue::Integer(rowid));
    let mut desc = index.desc.clone();
    desc.push(false);
    encode_key_with_order(&vals, &desc)
}

fn index_prefix(index: &Index, row: &[Value]) -> (Vec<KeyValue>, Vec<u8>) {
    let vals: Vec<KeyValue> = index
        .columns
        .iter()
        .zip(&index.collations)
        .map(|(&c, &coll)| key_value(row.get(c).unwrap_or(&Value::Null), coll))
        .collect();
    let key = encode_key_with_order(&vals, &index.desc);
    (vals, key)
}

fn kv_equal(a: &KeyValue, b: &KeyValue) -> bool {
    let to_v = |k: &KeyValue| match k {
        KeyValue::Null => Value::Null,
        KeyValue::Integer(i) => Value::Integer(*i),
        KeyValue::Real(r) => Value::Real(*r),
        KeyValue::Text(s) => Value::Text(s.clone()),
        KeyValue::Blob(b) => Value::Blob(b.clone()),
    };
    crate::value::compare(&to_v(a), &to_v(b), Collation::Binary) == Ordering::Equal
}

/// Rowids of rows other than `except` whose key in the unique `index`
/// equals `row`'s (never for keys with a NULL, which are all distinct).
fn unique_conflicts(tx: &WriteTxn, index: &Index, row: &[Value], except: Option<i64>) -> Result<Vec<i64>> {
    let (vals, start) = index_prefix(index, row);
    if vals.iter().any(|v| matches!(v, KeyValue::Null)) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut desc = index.desc.clone();
    desc.push(false);
    for entry in tx.range(index.tree, &start[..]..)? {
        let (k, _) = entry?;
        let Ok(decoded) = dosql_storage::keycodec::decode_key_with_order(&k, &desc) else {
            return sql_err(format!("database disk image is malformed (index {})", index.name));
        };
        if decoded.len() != vals.len() + 1 || !decoded.iter().zip(&vals).all(|(a, b)| kv_equal(a, b)) {
            break;
        }
        if let Some(KeyValue::Integer(r)) = decoded.last()
            && Some(*r) != except
        {
            out.push(*r);
        }
    }
    Ok(out)
}

fn unique_message(table: &Table, index: &Index) -> String {
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
fn write_row(tx: &mut WriteTxn, t: &Target, row: &[Value], rowid: i64) -> Result<()> {
    let cols = &row[..t.width().min(row.len())];
    tx.put(t.table.tree, &rowid_key(rowid), &encode_row(cols))?;
    for ix in &t.indexes {
        tx.put(ix.tree, &index_key(ix, row, rowid), &[])?;
    }
    Ok(())
}

/// Removes a row and its index entries.
fn delete_row(tx: &mut WriteTxn, t: &Target, row: &[Value], rowid: i64) -> Result<()> {
    tx.delete(t.table.tree, &rowid_key(rowid))?;
    for ix in &t.indexes {
        tx.delete(ix.tree, &index_key(ix, row, rowid))?;
    }
    Ok(())
}

/// The row with `rowid` (columns, then the rowid), if it exists.
fn read_row(tx: &WriteTxn, table: &Table, rowid: i64) -> Result<Option<Vec<Value>>> {
    let Some(raw) = Reader::get(tx, table.tree, &rowid_key(rowid))? else { return Ok(None) };
    let Some(mut row) = decode_row(&raw) else {
        return sql_err(format!("database disk image is malformed (table {})", table.name));
    };
    row.resize(table.columns.len(), Value::Null);
    row.push(Value::Integer(rowid));
    Ok(Some(row))
}

/// The rowid SQLite picks for a new row: one past the largest.
fn next_rowid(tx: &WriteTxn, table: &Table) -> Result<i64> {
    let last = tx.range(table.tree, ..)?.next_back().transpose()?;
    match last.and_then(|(k, _)| key_rowid(&k)) {
        None => Ok(1),
        Some(i64::MAX) => sql_err("database or disk is full"),
        Some(r) => Ok(r + 1),
    }
}

/// Checks NOT NULL and CHECK constraints on `row`. Returns false when the
/// row is to be skipped (IGNORE); REPLACE puts a column's default in
/// place of a NULL it may not hold.
fn check_row(ctx: &Ctx<'_>, t: &Target, row: &mut [Value], or: Conflict) -> Result<bool> {
    let table = &t.table;
    for (i, c) in table.columns.iter().enumerate() {
        if c.not_null && matches!(row.get(i), Some(Value::Null)) {
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
/// conflict; otherwise `or` decides. REPLACE deletes the rows in the way
/// only after every constraint has been checked, so that a later ABORT
/// leaves them alone.
fn resolve_unique(
    tx: &mut WriteTxn,
    t: &Target,
    row: &[Value],
    own: Option<i64>,
    or: Conflict,
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
    for (i, ix) in t.indexes.iter().enumerate().filter(|(_, ix)| ix.unique) {
        let found = unique_conflicts(tx, ix, row, own.or(Some(rowid)))?;
        if !found.is_empty() {
            conflicts.push((Constraint::Index(i), found));
        }
    }
    for (c, rowids) in conflicts {
        if let Some(clause) = upsert_targets.iter().position(|u| u.is_none_or(|x| x == c)) {
            let Some(&first) = rowids.first() else { continue };
            return Ok(Verdict::Upsert { clause, rowid: first });
        }
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
    for r in doomed {
        if let Some(old) = read_row(tx, &t.table, r)? {
            delete_row(tx, t, &old, r)?;
        }
    }
    Ok(Verdict::Write)
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

/// A name that selects `table`'s rowid in a query over it.
fn rowid_name(table: &Table) -> &'static str {
    ["rowid", "_rowid_", "oid"].into_iter().find(|r| table.column_index(r).is_none()).unwrap_or("rowid")
}

/// Adds every existing row of `table` to a new index, checking uniqueness.
pub fn build_index(tx: &mut WriteTxn, schema: &Schema, index: &Index) -> Result<()> {
    let Some(table) = schema.table(&index.table).cloned() else {
        return sql_err(format!("no such table: {}", index.table));
    };
    let n = table.columns.len();
    let mut rows = Vec::new();
    for entry in tx.range(table.tree, ..)? {
        let (k, v) = entry?;
        let (Some(mut row), Some(rowid)) = (decode_row(&v), key_rowid(&k)) else {
            return sql_err(format!("database disk image is malformed (table {})", table.name));
        };
        row.resize(n, Value::Null);
        rows.push((row, rowid));
    }
    for (row, rowid) in rows {
        if index.unique && !unique_conflicts(tx, index, &row, Some(rowid))?.is_empty() {
            return Err(Error::Constraint(unique_message(&table, index)));
        }
        tx.put(index.tree, &index_key(index, &row, rowid), &[])?;
    }
    Ok(())
}

/// Bumps `sqlite_sequence` for an AUTOINCREMENT table after a row with
/// `rowid` was written.
fn note_sequence(tx: &mut WriteTxn, schema: &Schema, table: &Table, rowid: i64) -> Result<()> {
    if !table.autoincrement {
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
fn sequence_row(tx: &WriteTxn, seq: &Table, table: &str) -> Result<(Option<Vec<u8>>, Option<i64>)> {
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
fn autoincrement_rowid(tx: &WriteTxn, schema: &Schema, table: &Table) -> Result<i64> {
    let next = next_rowid(tx, table)?;
    let Some(seq) = schema.table("sqlite_sequence") else { return Ok(next) };
    match sequence_row(tx, seq, &table.name)?.1 {
        Some(i64::MAX) => sql_err("database or disk is full"),
        Some(s) if s >= next => Ok(s + 1),
        _ => Ok(next),
    }
}

/// Removes `table`'s row from `sqlite_sequence` (the table is dropped).
pub fn forget_sequence(tx: &mut WriteTxn, schema: &Schema, table: &str) -> Result<()> {
    let Some(seq) = schema.table("sqlite_sequence") else { return Ok(()) };
    if let (Some(k), _) = sequence_row(tx, seq, table)? {
        tx.delete(seq.tree, &k)?;
    }
    Ok(())
}
