//! Consistency checks of a database after a statement failed.
//!
//! Two levels:
//! - through SQL: `sqlite_schema` reads, every table's `SELECT *` works and
//!   its row count agrees with `SELECT count(*)`;
//! - through the storage trees (only outside an explicit transaction, since
//!   uncommitted changes live in the connection's private write transaction):
//!   every row decodes, and every index holds exactly one entry per row, the
//!   key the engine's own `index_key` computes for it. For a partial index
//!   (whose condition would need the evaluator) it checks only that every
//!   entry belongs to a row and has that row's key.
//!
//! Views are not checked: a view over a dropped table fails in SQLite too.

use std::collections::BTreeSet;

use dosql_sql::Connection;
use dosql_sql::dml::index_key;
use dosql_sql::record::{decode_row, key_rowid};
use dosql_sql::schema::{SCHEMA_TREE, Schema};

/// `name` as a quoted SQL identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Checks `conn`'s database; `Err` describes the first inconsistency.
pub fn check(conn: &mut Connection) -> Result<(), String> {
    let schema_rows = conn
        .query("SELECT type, name, tbl_name FROM sqlite_schema")
        .map_err(|e| format!("reading sqlite_schema failed: {e}"))?;
    let mut sql_counts = Vec::new();
    for row in &schema_rows.rows {
        if row.first().map(|v| v.to_text()).as_deref() != Some("table") {
            continue;
        }
        let name = row.get(1).map(|v| v.to_text()).unwrap_or_default();
        let all = conn
            .query(&format!("SELECT * FROM {}", quote(&name)))
            .map_err(|e| format!("SELECT * FROM {name} failed: {e}"))?;
        let count = conn
            .query(&format!("SELECT count(*) FROM {}", quote(&name)))
            .map_err(|e| format!("SELECT count(*) FROM {name} failed: {e}"))?;
        let counted = count.rows.first().and_then(|r| r.first()).map(|v| v.to_i64());
        if counted != i64::try_from(all.rows.len()).ok() {
            return Err(format!("{name}: SELECT * gave {} rows but count(*) says {counted:?}", all.rows.len()));
        }
        sql_counts.push((name.to_ascii_lowercase(), all.rows.len()));
    }
    if conn.in_transaction() {
        return Ok(());
    }
    check_trees(conn, &sql_counts)
}

/// The storage-level half of [`check`]: rows decode and indexes match them.
fn check_trees(conn: &Connection, sql_counts: &[(String, usize)]) -> Result<(), String> {
    let read = conn.database().begin_read();
    let rows: Vec<Vec<u8>> = read
        .range(SCHEMA_TREE, ..)
        .and_then(|r| r.map(|e| e.map(|(_, v)| v)).collect::<Result<_, _>>())
        .map_err(|e| format!("reading the schema tree: {e}"))?;
    let schema =
        Schema::load(rows.into_iter(), std::iter::empty()).map_err(|e| format!("the schema does not load: {e}"))?;
    for (lname, table) in &schema.tables {
        if !read.tree_exists(table.tree) {
            return Err(format!("table {} has no tree {}", table.name, table.tree));
        }
        let mut rows = Vec::new();
        let entries = read.range(table.tree, ..).map_err(|e| format!("reading {}: {e}", table.name))?;
        for entry in entries {
            let (k, v) = entry.map_err(|e| format!("reading {}: {e}", table.name))?;
            let rowid = key_rowid(&k).ok_or_else(|| format!("{}: a row key of {} bytes", table.name, k.len()))?;
            let mut row = decode_row(&v).ok_or_else(|| format!("{}: row {rowid} does not decode", table.name))?;
            row.resize(table.columns.len(), dosql_sql::Value::Null);
            row.push(dosql_sql::Value::Integer(rowid));
            rows.push((rowid, row));
        }
        if let Some((_, n)) = sql_counts.iter().find(|(n, _)| n == lname)
            && *n != rows.len()
        {
            return Err(format!("{}: SELECT * gave {n} rows, the tree holds {}", table.name, rows.len()));
        }
        for index in schema.table_indexes(lname) {
            if !read.tree_exists(index.tree) {
                return Err(format!("index {} has no tree {}", index.name, index.tree));
            }
            let actual: BTreeSet<Vec<u8>> = read
                .range(index.tree, ..)
                .and_then(|r| r.map(|e| e.map(|(k, _)| k)).collect::<Result<_, _>>())
                .map_err(|e| format!("reading index {}: {e}", index.name))?;
            if index.exprs.iter().any(Option::is_some) {
                // Expression keys need the evaluator; SQL-level checks cover them.
                continue;
            }
            let expected: BTreeSet<Vec<u8>> = rows
                .iter()
                .map(|(rowid, row)| {
                    let key: Vec<dosql_sql::Value> =
                        index.columns.iter().map(|&c| row.get(c).cloned().unwrap_or(dosql_sql::Value::Null)).collect();
                    index_key(index, &key, *rowid)
                })
                .collect();
            let ok = if index.where_.is_none() { actual == expected } else { actual.is_subset(&expected) };
            if !ok {
                let missing = expected.difference(&actual).count();
                let extra = actual.difference(&expected).count();
                return Err(format!(
                    "index {} on {} disagrees with its table: {missing} rows without an entry, {extra} entries without a row ({} rows, {} entries)",
                    index.name,
                    table.name,
                    rows.len(),
                    actual.len()
                ));
            }
        }
    }
    Ok(())
}
