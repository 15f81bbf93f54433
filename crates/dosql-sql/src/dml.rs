//! INSERT, UPDATE and DELETE: row construction with defaults and
//! affinity, constraint checks (NOT NULL, CHECK, UNIQUE, PRIMARY KEY) with
//! conflict resolution, and index maintenance.

use crate::ast::{self, Conflict};
use crate::bind::Binder;
use crate::error::{Error, Result, sql_err};
use crate::exec::{Ctx, Env, Reader, eval, run_query};
use crate::plan::BExpr;
use crate::record::{decode_row, encode_row, key_rowid, rowid_key};
use crate::schema::{Index, Schema, Table};
use crate::value::{Affinity, Collation, Value};
use dosql_storage::WriteTxn;
use dosql_storage::keycodec::{KeyValue, encode_key_with_order};
use std::cmp::Ordering;

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
    let mut vals: Vec<KeyValue> =
        index.columns.iter().zip(&index.collations).map(|(&c, &coll)| key_value(&row[c], coll)).collect();
    vals.push(KeyValue::Integer(rowid));
    let mut desc = index.desc.clone();
    desc.push(false);
    encode_key_with_order(&vals, &desc)
}

fn index_prefix(index: &Index, row: &[Value]) -> (Vec<KeyValue>, Vec<u8>) {
    let vals: Vec<KeyValue> =
        index.columns.iter().zip(&index.collations).map(|(&c, &coll)| key_value(&row[c], coll)).collect();
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
    let cols: Vec<String> =
        index.columns.iter().map(|&c| format!("{}.{}", table.name, table.columns[c].name)).collect();
    format!("UNIQUE constraint failed: {}", cols.join(", "))
}

/// Writes a row and its index entries.
fn write_row(tx: &mut WriteTxn, table: &Table, indexes: &[Index], row: &[Value], rowid: i64) -> Result<()> {
    let cols = &row[..table.columns.len()];
    tx.put(table.tree, &rowid_key(rowid), &encode_row(cols))?;
    for ix in indexes {
        tx.put(ix.tree, &index_key(ix, row, rowid), &[])?;
    }
    Ok(())
}

/// Removes a row and its index entries.
fn delete_row(tx: &mut WriteTxn, table: &Table, indexes: &[Index], row: &[Value], rowid: i64) -> Result<()> {
    tx.delete(table.tree, &rowid_key(rowid))?;
    for ix in indexes {
        tx.delete(ix.tree, &index_key(ix, row, rowid))?;
    }
    Ok(())
}

fn read_row(tx: &WriteTxn, table: &Table, rowid: i64) -> Result<Option<Vec<Value>>> {
    let Some(raw) = Reader::get(tx, table.tree, &rowid_key(rowid))? else { return Ok(None) };
    let Some(mut row) = decode_row(&raw) else {
        return sql_err(format!("database disk image is malformed (table {})", table.name));
    };
    row.resize(table.columns.len(), Value::Null);
    row.push(Value::Integer(rowid));
    Ok(Some(row))
}

fn next_rowid(tx: &WriteTxn, table: &Table) -> Result<i64> {
    let last = tx.range(table.tree, ..)?.next_back().transpose()?;
    match last.and_then(|(k, _)| key_rowid(&k)) {
        None => Ok(1),
        Some(i64::MAX) => sql_err("database or disk is full"),
        Some(r) => Ok(r + 1),
    }
}

/// Checks NOT NULL and CHECK; returns false when the row is to be skipped
/// (OR IGNORE).
fn check_row(ctx: &Ctx<'_>, table: &Table, checks: &[BExpr], row: &[Value], or: Conflict) -> Result<bool> {
    for (c, v) in table.columns.iter().zip(row) {
        if c.not_null && matches!(v, Value::Null) {
            if or == Conflict::Ignore {
                return Ok(false);
            }
            return Err(Error::Constraint(format!("NOT NULL constraint failed: {}.{}", table.name, c.name)));
        }
    }
    let env = Env { row, aggs: &[], parent: None };
    for (expr, src) in checks.iter().zip(&table.checks) {
        let v = eval(ctx, expr, &env)?;
        if crate::value::is_true(&v) == Some(false) {
            if or == Conflict::Ignore {
                return Ok(false);
            }
            return Err(Error::Constraint(format!("CHECK constraint failed: {}", check_name(src))));
        }
    }
    Ok(true)
}

fn check_name(e: &ast::Expr) -> String {
    format!("{e:?}")
}

/// Binds the table's CHECK constraints over its row layout.
fn bind_checks(schema: &Schema, table: &Table) -> Result<Vec<BExpr>> {
    if table.checks.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = Binder::new(schema);
    b.bind_table_exprs(table, &table.checks)
}

/// Inserts `row` (columns + rowid slot), resolving conflicts per `or`.
/// Returns whether a row was written.
fn insert_one(tx: &mut WriteTxn, table: &Table, indexes: &[Index], mut row: Vec<Value>, or: Conflict) -> Result<bool> {
    let rowid = match table.rowid_alias.map(|i| row[i].clone()) {
        Some(Value::Integer(i)) => i,
        Some(Value::Null) | None => next_rowid(tx, table)?,
        Some(_) => return Err(Error::Constraint("datatype mismatch".into())),
    };
    if let Some(i) = table.rowid_alias {
        row[i] = Value::Integer(rowid);
    }
    let n = table.columns.len();
    row.truncate(n);
    row.push(Value::Integer(rowid));
    // Primary key conflict on the rowid.
    if let Some(old) = read_row(tx, table, rowid)? {
        match or {
            Conflict::Ignore => return Ok(false),
            Conflict::Replace => delete_row(tx, table, indexes, &old, rowid)?,
            _ => {
                let col = table.rowid_alias.map_or("rowid".to_string(), |i| table.columns[i].name.clone());
                return Err(Error::Constraint(format!("UNIQUE constraint failed: {}.{col}", table.name)));
            }
        }
    }
    for ix in indexes.iter().filter(|i| i.unique) {
        let conflicts = unique_conflicts(tx, ix, &row, Some(rowid))?;
        if conflicts.is_empty() {
            continue;
        }
        match or {
            Conflict::Ignore => return Ok(false),
            Conflict::Replace => {
                for r in conflicts {
                    if let Some(old) = read_row(tx, table, r)? {
                        delete_row(tx, table, indexes, &old, r)?;
                    }
                }
            }
            _ => return Err(Error::Constraint(unique_message(table, ix))),
        }
    }
    write_row(tx, table, indexes, &row, rowid)?;
    Ok(true)
}

/// Runs an INSERT; returns the number of rows inserted.
pub fn insert(tx: &mut WriteTxn, schema: &Schema, ins: &ast::Insert, params: &[Value]) -> Result<u64> {
    if !ins.returning.is_empty() || !ins.upsert.is_empty() {
        return sql_err("RETURNING and upsert are not supported yet");
    }
    let Some(table) = schema.table(&ins.table).cloned() else {
        return sql_err(format!("no such table: {}", ins.table));
    };
    if table.tree == crate::schema::SCHEMA_TREE {
        return sql_err(format!("table {} may not be modified", ins.table));
    }
    let n = table.columns.len();
    let targets: Vec<usize> = if ins.columns.is_empty() {
        (0..n).collect()
    } else {
        let mut t = Vec::new();
        for c in &ins.columns {
            match table.column_index(c) {
                Some(i) => t.push(i),
                None if table.rowid_alias.is_none()
                    && ["rowid", "oid", "_rowid_"].iter().any(|r| r.eq_ignore_ascii_case(c)) =>
                {
                    t.push(n)
                }
                None => return sql_err(format!("table {} has no column named {c}", table.name)),
            }
        }
        t
    };
    let mut binder = Binder::new(schema);
    let source_rows = match &ins.source {
        ast::InsertSource::DefaultValues => vec![Vec::new()],
        ast::InsertSource::Select(q) => {
            let plan = binder.bind_select(q)?;
            if plan.columns.len() != targets.len() {
                return if ins.columns.is_empty() {
                    sql_err(format!(
                        "table {} has {} columns but {} values were supplied",
                        table.name,
                        n,
                        plan.columns.len()
                    ))
                } else {
                    sql_err(format!("{} values for {} columns", plan.columns.len(), targets.len()))
                };
            }
            let ctx = Ctx { rd: &*tx, params };
            run_query(&ctx, &plan, None)?
        }
    };
    let defaults = binder.bind_defaults(&table)?;
    let checks = bind_checks(schema, &table)?;
    let indexes: Vec<Index> = schema.table_indexes(&table.name).cloned().collect();
    let or = ins.or.unwrap_or_default();
    let mut count = 0;
    for src in source_rows {
        let mut row = vec![Value::Null; n + 1];
        let mut given = vec![false; n + 1];
        for (&t, v) in targets.iter().zip(src) {
            row[t] = v;
            given[t] = true;
        }
        {
            let ctx = Ctx { rd: &*tx, params };
            let env = Env { row: &[], aggs: &[], parent: None };
            for i in 0..n {
                if !given[i]
                    && let Some(d) = &defaults[i]
                {
                    row[i] = eval(&ctx, d, &env)?;
                }
                row[i] = std::mem::replace(&mut row[i], Value::Null).apply_affinity(table.columns[i].affinity);
            }
        }
        if given[n] && table.rowid_alias.is_none() {
            // An explicit rowid.
            let r = std::mem::replace(&mut row[n], Value::Null).apply_affinity(Affinity::Integer);
            match r {
                Value::Integer(i) => {
                    let mut tmp = row.clone();
                    tmp.truncate(n);
                    tmp.push(Value::Integer(i));
                    let ctx = Ctx { rd: &*tx, params };
                    if !check_row(&ctx, &table, &checks, &tmp, or)? {
                        continue;
                    }
                    if read_row(tx, &table, i)?.is_some() {
                        match or {
                            Conflict::Ignore => continue,
                            Conflict::Replace => {
                                if let Some(old) = read_row(tx, &table, i)? {
                                    delete_row(tx, &table, &indexes, &old, i)?;
                                }
                            }
                            _ => {
                                return Err(Error::Constraint(format!(
                                    "UNIQUE constraint failed: {}.rowid",
                                    table.name
                                )));
                            }
                        }
                    }
                    write_row(tx, &table, &indexes, &tmp, i)?;
                    count += 1;
                    continue;
                }
                Value::Null => {}
                _ => return Err(Error::Constraint("datatype mismatch".into())),
            }
        }
        {
            let ctx = Ctx { rd: &*tx, params };
            let mut probe = row.clone();
            probe[n] = Value::Null;
            if !check_row(&ctx, &table, &checks, &probe, or)? {
                continue;
            }
        }
        if insert_one(tx, &table, &indexes, row, or)? {
            count += 1;
        }
    }
    Ok(count)
}

/// Rows of `table` (rowid last) matching `where_`.
fn matching_rows(
    tx: &WriteTxn,
    schema: &Schema,
    table: &Table,
    where_: Option<&ast::Expr>,
    params: &[Value],
) -> Result<Vec<Vec<Value>>> {
    let mut binder = Binder::new(schema);
    let cond = match where_ {
        Some(w) => binder.bind_table_exprs(table, std::slice::from_ref(w))?.pop(),
        None => None,
    };
    let ctx = Ctx { rd: tx, params };
    let mut out = Vec::new();
    for entry in tx.range(table.tree, ..)? {
        let (k, v) = entry?;
        let (Some(mut row), Some(rowid)) = (decode_row(&v), key_rowid(&k)) else {
            return sql_err(format!("database disk image is malformed (table {})", table.name));
        };
        row.resize(table.columns.len(), Value::Null);
        row.push(Value::Integer(rowid));
        let keep = match &cond {
            Some(c) => {
                crate::value::is_true(&eval(&ctx, c, &Env { row: &row, aggs: &[], parent: None })?) == Some(true)
            }
            None => true,
        };
        if keep {
            out.push(row);
        }
    }
    Ok(out)
}

fn writable_table(schema: &Schema, name: &str) -> Result<Table> {
    match schema.table(name) {
        Some(t) if t.tree == crate::schema::SCHEMA_TREE => sql_err(format!("table {name} may not be modified")),
        Some(t) => Ok(t.clone()),
        None => sql_err(format!("no such table: {name}")),
    }
}

/// Runs a DELETE; returns the number of rows deleted.
pub fn delete(tx: &mut WriteTxn, schema: &Schema, del: &ast::Delete, params: &[Value]) -> Result<u64> {
    if !del.returning.is_empty() {
        return sql_err("RETURNING is not supported yet");
    }
    let table = writable_table(schema, &del.table)?;
    let rows = matching_rows(tx, schema, &table, del.where_.as_ref(), params)?;
    let indexes: Vec<Index> = schema.table_indexes(&table.name).cloned().collect();
    let n = table.columns.len();
    for row in &rows {
        let Value::Integer(rowid) = row[n] else { continue };
        delete_row(tx, &table, &indexes, row, rowid)?;
    }
    Ok(rows.len() as u64)
}

/// Runs an UPDATE; returns the number of rows changed.
pub fn update(tx: &mut WriteTxn, schema: &Schema, up: &ast::Update, params: &[Value]) -> Result<u64> {
    if !up.returning.is_empty() || up.from.is_some() {
        return sql_err("UPDATE ... FROM and RETURNING are not supported yet");
    }
    let table = writable_table(schema, &up.table)?;
    let n = table.columns.len();
    let mut targets = Vec::new();
    let mut exprs = Vec::new();
    for a in &up.set {
        if a.columns.len() != 1 {
            return sql_err("row-value assignments are not supported yet");
        }
        let c = &a.columns[0];
        let idx = match table.column_index(c) {
            Some(i) => i,
            None if table.rowid_alias.is_none()
                && ["rowid", "oid", "_rowid_"].iter().any(|r| r.eq_ignore_ascii_case(c)) =>
            {
                n
            }
            None => return sql_err(format!("no such column: {c}")),
        };
        targets.push(idx);
        exprs.push(a.value.clone());
    }
    let mut binder = Binder::new(schema);
    let bound = binder.bind_table_exprs(&table, &exprs)?;
    let checks = bind_checks(schema, &table)?;
    let rows = matching_rows(tx, schema, &table, up.where_.as_ref(), params)?;
    let indexes: Vec<Index> = schema.table_indexes(&table.name).cloned().collect();
    let or = up.or.unwrap_or_default();
    let mut count = 0;
    for old in rows {
        let Value::Integer(old_rowid) = old[n] else { continue };
        let mut new = old.clone();
        {
            let ctx = Ctx { rd: &*tx, params };
            let env = Env { row: &old, aggs: &[], parent: None };
            for (&t, e) in targets.iter().zip(&bound) {
                let v = eval(&ctx, e, &env)?;
                new[t] = if t < n {
                    v.apply_affinity(table.columns[t].affinity)
                } else {
                    v.apply_affinity(Affinity::Integer)
                };
            }
        }
        let new_rowid = match table.rowid_alias {
            Some(i) => new[i].clone(),
            None => new[n].clone(),
        };
        let new_rowid = match new_rowid {
            Value::Integer(i) => i,
            Value::Null if table.rowid_alias.is_some() => next_rowid(tx, &table)?,
            _ => return Err(Error::Constraint("datatype mismatch".into())),
        };
        if let Some(i) = table.rowid_alias {
            new[i] = Value::Integer(new_rowid);
        }
        new[n] = Value::Integer(new_rowid);
        {
            let ctx = Ctx { rd: &*tx, params };
            if !check_row(&ctx, &table, &checks, &new, or)? {
                continue;
            }
        }
        delete_row(tx, &table, &indexes, &old, old_rowid)?;
        insert_one(tx, &table, &indexes, new, or)?;
        count += 1;
    }
    Ok(count)
}

/// Adds every existing row of `table` to a new index, checking uniqueness.
pub fn build_index(tx: &mut WriteTxn, schema: &Schema, index: &Index) -> Result<()> {
    let Some(table) = schema.table(&index.table).cloned() else {
        return sql_err(format!("no such table: {}", index.table));
    };
    let rows = matching_rows(tx, schema, &table, None, &[])?;
    let n = table.columns.len();
    for row in rows {
        let Value::Integer(rowid) = row[n] else { continue };
        if index.unique && !unique_conflicts(tx, index, &row, Some(rowid))?.is_empty() {
            return Err(Error::Constraint(unique_message(&table, index)));
        }
        tx.put(index.tree, &index_key(index, &row, rowid), &[])?;
    }
    Ok(())
}
