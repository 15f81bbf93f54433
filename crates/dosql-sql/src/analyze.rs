//! `ANALYZE`: table and index statistics in `sqlite_stat1`, as SQLite keeps
//! them, and their use by the access path chooser.
//!
//! For each index `stat` is the number of entries, then for each key
//! prefix length the average number of entries sharing a prefix (rounded
//! up, as SQLite does: `(n + d - 1) / d` for `d` distinct prefixes; NULLs
//! count as equal to each other). A table with rows but no full (non
//! partial) index gets a row with a NULL `idx` and its row count. Empty
//! tables get no rows. `ANALYZE` analyzes every table, `ANALYZE t` one
//! table, `ANALYZE i` the table of index `i`; `ANALYZE main` (or `temp`)
//! the whole schema.
//!
//! Left out: `sqlite_stat4` samples, and the `unordered` / `sz=` options
//! SQLite may append to a `stat`.

use crate::error::{Error, Result, sql_err};
use crate::exec::Reader;
use crate::record::{decode_row, encode_row, key_rowid, rowid_key};
use crate::schema::{Index, Schema, Table, lower};
use crate::txn::Txn;
use crate::value::Value;
use dosql_storage::keycodec::{KeyValue, compare_values, decode_key_with_order};
use std::cmp::Ordering;
use std::collections::HashMap;

/// The statistics table's definition, as SQLite writes it.
pub const STAT1_SQL: &str = "CREATE TABLE sqlite_stat1(tbl,idx,stat)";

/// Statistics read back from `sqlite_stat1`.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Per index (lower-case name): entries, then average entries per key
    /// prefix of each length.
    pub indexes: HashMap<String, Vec<u64>>,
    /// Per table (lower-case name): row count, when a row says so.
    pub tables: HashMap<String, u64>,
}

/// Runs `ANALYZE target` in `tx`: creates `sqlite_stat1` when needed
/// (through `create`, which adds it to the schema and returns its tree),
/// replaces the rows of the analyzed tables and returns how many it wrote.
pub(crate) fn run(
    tx: &mut Txn,
    schema: &Schema,
    target: Option<&str>,
    create: impl FnOnce(&mut Txn) -> Result<u64>,
) -> Result<u64> {
    // `ANALYZE index` redoes that index's row only.
    let mut only: Option<&Index> = None;
    let tables: Vec<&Table> = match target.map(lower) {
        None => user_tables(schema),
        Some(t) if (t == "main" || t == "temp") && schema.table(&t).is_none() => user_tables(schema),
        Some(t) => match (schema.table(&t), schema.indexes.get(&t)) {
            (Some(table), _) => vec![table],
            (None, Some(ix)) => {
                only = Some(ix);
                schema.table(&ix.table).into_iter().collect()
            }
            (None, None) => return sql_err(format!("no such table: {}", target.unwrap_or_default())),
        },
    };
    let tables: Vec<&Table> = tables.into_iter().filter(|t| !crate::txn::is_temp(t.tree)).collect();
    let stat_tree = match schema.table("sqlite_stat1") {
        Some(t) => t.tree,
        None => create(tx)?,
    };
    let names: Vec<String> = tables.iter().map(|t| lower(&t.name)).collect();
    clear(tx, stat_tree, &names, only.map(|ix| lower(&ix.name)).as_deref())?;
    let mut next = last_rowid(tx, stat_tree)? + 1;
    let mut written = 0;
    for table in tables {
        let rows = tx.tree_len(table.tree)?;
        if rows == 0 {
            continue;
        }
        let indexes: Vec<&Index> = match only {
            Some(ix) => vec![ix],
            None => schema.table_indexes(&table.name).collect(),
        };
        let mut put = |tx: &mut Txn, idx: Value, stat: String| -> Result<()> {
            let row = vec![Value::Text(table.name.clone()), idx, Value::Text(stat)];
            tx.put(stat_tree, &rowid_key(next), &encode_row(&row))?;
            next += 1;
            written += 1;
            Ok(())
        };
        for ix in &indexes {
            let stat = index_stat(&*tx, ix)?;
            let text = stat.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
            put(tx, Value::Text(ix.name.clone()), text)?;
        }
        if only.is_none() && indexes.iter().all(|ix| ix.where_.is_some()) {
            put(tx, Value::Null, rows.to_string())?;
        }
    }
    Ok(written)
}

fn user_tables(schema: &Schema) -> Vec<&Table> {
    schema.tables.values().filter(|t| !lower(&t.name).starts_with("sqlite_")).collect()
}

/// Deletes the rows of `sqlite_stat1` about `tables` (only those about
/// index `only`, when given).
fn clear(tx: &mut Txn, tree: u64, tables: &[String], only: Option<&str>) -> Result<()> {
    let mut doomed = Vec::new();
    for entry in tx.range(tree, ..)? {
        let (k, v) = entry?;
        let row = decode_row(&v).ok_or_else(|| Error::Sql("malformed sqlite_stat1 row".into()))?;
        let index_matches = match (only, row.get(1)) {
            (None, _) => true,
            (Some(o), Some(Value::Text(i))) => lower(i) == o,
            (Some(_), _) => false,
        };
        if let Some(Value::Text(t)) = row.first()
            && tables.contains(&lower(t))
            && index_matches
        {
            doomed.push(k);
        }
    }
    for k in doomed {
        tx.delete(tree, &k)?;
    }
    Ok(())
}

fn last_rowid(tx: &Txn, tree: u64) -> Result<i64> {
    let last = tx.range(tree, ..)?.next_back().transpose()?;
    Ok(last.and_then(|(k, _)| key_rowid(&k)).unwrap_or(0))
}

/// An index's `stat`: entries, then average entries per prefix length.
fn index_stat(rd: &dyn Reader, ix: &Index) -> Result<Vec<u64>> {
    let width = ix.columns.len();
    let mut desc = ix.desc.clone();
    desc.push(false);
    let mut distinct = vec![0u64; width];
    let mut prev: Option<Vec<KeyValue>> = None;
    let mut n = 0u64;
    for entry in rd.scan(ix.tree)? {
        let (k, _) = entry?;
        let key = decode_key_with_order(&k, &desc)
            .map_err(|_| Error::Sql(format!("database disk image is malformed (index {})", ix.name)))?;
        n += 1;
        // The first key column that differs from the previous entry's:
        // every prefix at least that long is a new distinct prefix.
        let first_diff = match &prev {
            None => 0,
            Some(p) => (0..width)
                .find(|&i| match (p.get(i), key.get(i)) {
                    (Some(a), Some(b)) => compare_values(a, b) != Ordering::Equal,
                    _ => true,
                })
                .unwrap_or(width),
        };
        for d in distinct.iter_mut().skip(first_diff) {
            *d += 1;
        }
        prev = Some(key);
    }
    let mut stat = vec![n];
    stat.extend(distinct.iter().map(|&d| if d == 0 { 0 } else { n.div_ceil(d) }));
    Ok(stat)
}

/// Reads `sqlite_stat1` back, when it exists and parses; rows that do not
/// parse are ignored, as SQLite ignores them.
pub fn load(rd: &dyn Reader, schema: &Schema) -> Stats {
    let mut stats = Stats::default();
    let Some(table) = schema.table("sqlite_stat1") else { return stats };
    let Ok(scan) = rd.scan(table.tree) else { return stats };
    for (_, v) in scan.flatten() {
        let Some(row) = decode_row(&v) else { continue };
        let (Some(Value::Text(tbl)), Some(idx), Some(Value::Text(stat))) = (row.first(), row.get(1), row.get(2)) else {
            continue;
        };
        let nums: Vec<u64> = stat.split_ascii_whitespace().map_while(|w| w.parse().ok()).collect();
        let Some(&rows) = nums.first() else { continue };
        match idx {
            Value::Text(i) => {
                stats.indexes.insert(lower(i), nums);
            }
            _ => {
                stats.tables.insert(lower(tbl), rows);
            }
        }
    }
    stats
}
