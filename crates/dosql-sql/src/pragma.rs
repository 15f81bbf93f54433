//! PRAGMA statements: per-connection settings and reports on the schema,
//! with SQLite's result columns and SQLite's habit of ignoring pragmas it
//! does not know and tables that do not exist.
//!
//! Supported: `foreign_keys`, `table_info`, `table_xinfo`, `index_list`,
//! `index_info`, `page_size`, `cache_size`, `synchronous`, `user_version`,
//! `journal_mode` and `encoding` (read-only: WAL and UTF-8 always), and
//! `query_only` (then every statement that would change a database, TEMP
//! included, fails with `attempt to write a readonly database`, as in
//! SQLite).
//! `synchronous` changes the storage's durability mode for later commits
//! (EXTRA is FULL).

use crate::ast::{self, Expr};
use crate::conn::{Connection, StatementResult};
use crate::error::{Result, sql_err};
use crate::record::{decode_row, encode_row};
use crate::schema::{META_TREE, SCHEMA_TREE, Schema, Table, lower};
use crate::value::Value;
use dosql_storage::Synchronous;

/// The key of `PRAGMA user_version` in the metadata tree.
const USER_VERSION_KEY: &[u8] = b"user_version";

/// Runs `PRAGMA name [= value]`.
pub(crate) fn run(conn: &mut Connection, name: &str, value: Option<&Expr>) -> Result<StatementResult> {
    let lname = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    match lname.as_str() {
        "foreign_keys" => match value {
            Some(v) => {
                // SQLite ignores the change inside a transaction.
                if !conn.in_transaction() {
                    conn.settings_mut().foreign_keys = flag(v)?;
                }
                Ok(StatementResult::default())
            }
            None => Ok(single("foreign_keys", Value::Integer(i64::from(conn.settings().foreign_keys)))),
        },
        "query_only" => match value {
            Some(v) => {
                conn.settings_mut().query_only = flag(v)?;
                Ok(StatementResult::default())
            }
            None => Ok(single("query_only", Value::Integer(i64::from(conn.settings().query_only)))),
        },
        "table_info" | "table_xinfo" => match value {
            Some(v) => table_info(conn, &text_arg(v), lname == "table_xinfo"),
            None => Ok(StatementResult::default()),
        },
        "index_list" => match value {
            Some(v) => index_list(conn, &text_arg(v)),
            None => Ok(StatementResult::default()),
        },
        "index_info" => match value {
            Some(v) => index_info(conn, &text_arg(v)),
            None => Ok(StatementResult::default()),
        },
        "page_size" => {
            // An existing database keeps its page size, as in SQLite once a
            // table exists; setting it is accepted and has no effect.
            if value.is_some() {
                return Ok(StatementResult::default());
            }
            Ok(single("page_size", Value::Integer(conn.database().page_size() as i64)))
        }
        "cache_size" => match value {
            Some(v) => {
                let n = int_arg(v)?;
                // Positive: pages; negative: KiB (SQLite's convention).
                let bytes = if n >= 0 {
                    (n as u64).saturating_mul(conn.database().page_size() as u64)
                } else {
                    n.unsigned_abs().saturating_mul(1024)
                };
                conn.database().set_cache_bytes(usize::try_from(bytes).unwrap_or(usize::MAX));
                conn.settings_mut().cache_size = Some(n);
                Ok(StatementResult::default())
            }
            None => {
                let n = conn
                    .settings()
                    .cache_size
                    .unwrap_or_else(|| -i64::try_from(conn.database().config().cache_bytes / 1024).unwrap_or(i64::MAX));
                Ok(single("cache_size", Value::Integer(n)))
            }
        },
        "synchronous" => {
            let current = match conn.database().synchronous() {
                Synchronous::Off => 0,
                Synchronous::Normal => 1,
                Synchronous::Full => 2,
            };
            match value {
                None => Ok(single("synchronous", Value::Integer(current))),
                Some(v) => {
                    let want = match v {
                        Expr::Literal(Value::Text(t)) => match t.to_ascii_lowercase().as_str() {
                            "off" => 0,
                            "normal" => 1,
                            "full" => 2,
                            "extra" => 3,
                            _ => Value::Text(t.clone()).to_i64(),
                        },
                        other => int_arg(other)?,
                    };
                    // EXTRA is FULL here: every commit is already fsynced;
                    // values outside 0..=3 are ignored, as in SQLite.
                    let mode = match want {
                        0 => Synchronous::Off,
                        1 => Synchronous::Normal,
                        2 | 3 => Synchronous::Full,
                        _ => return Ok(StatementResult::default()),
                    };
                    conn.database().set_synchronous(mode)?;
                    Ok(StatementResult::default())
                }
            }
        }
        "user_version" => match value {
            Some(v) => {
                // SQLite keeps a 32-bit value.
                let n = int_arg(v)? as i32;
                conn.with_write(|tx| {
                    if !tx.tree_exists(META_TREE) {
                        tx.create_tree(META_TREE)?;
                    }
                    tx.put(META_TREE, USER_VERSION_KEY, &encode_row(&[Value::Integer(i64::from(n))]))?;
                    Ok(())
                })?;
                Ok(StatementResult::default())
            }
            None => {
                let raw = conn.with_read(|rd| {
                    if rd.has_tree(META_TREE) { rd.get(META_TREE, USER_VERSION_KEY) } else { Ok(None) }
                })?;
                let n = match raw.as_deref().and_then(decode_row).and_then(|r| r.into_iter().next()) {
                    Some(Value::Integer(i)) => i,
                    _ => 0,
                };
                Ok(single("user_version", Value::Integer(n)))
            }
        },
        "journal_mode" => Ok(single("journal_mode", Value::Text("wal".into()))),
        "encoding" => Ok(single("encoding", Value::Text("UTF-8".into()))),
        "foreign_key_list" => {
            let Some(t) = value.and_then(name_arg) else { return Ok(StatementResult::default()) };
            let rows = conn.inspect(|_, schema| Ok(schema.table(&t).map(crate::dml::fkey::foreign_key_list)))?;
            let columns = ["id", "seq", "table", "from", "to", "on_update", "on_delete", "match"];
            Ok(StatementResult {
                columns: columns.iter().map(|c| c.to_string()).collect(),
                rows: rows.unwrap_or_default(),
                changes: 0,
            })
        }
        "foreign_key_check" => {
            let t = value.and_then(name_arg);
            let rows = conn.inspect(|tx, schema| crate::dml::fkey::foreign_key_check(tx, schema, t.as_deref()))?;
            let columns = ["table", "rowid", "parent", "fkid"];
            Ok(StatementResult { columns: columns.iter().map(|c| c.to_string()).collect(), rows, changes: 0 })
        }
        // SQLite ignores unknown pragmas.
        _ => Ok(StatementResult::default()),
    }
}

fn text_arg(v: &Expr) -> String {
    match v {
        Expr::Literal(v) => v.to_text(),
        _ => String::new(),
    }
}

fn int_arg(v: &Expr) -> Result<i64> {
    match v {
        Expr::Literal(v) => Ok(v.to_i64()),
        _ => sql_err("syntax error"),
    }
}

/// A boolean pragma argument: ON/OFF, TRUE/FALSE, YES/NO or a number.
fn flag(v: &Expr) -> Result<bool> {
    match v {
        Expr::Literal(Value::Integer(i)) => Ok(*i != 0),
        Expr::Literal(Value::Real(r)) => Ok(*r != 0.0),
        Expr::Literal(Value::Text(t)) => match t.to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" => Ok(true),
            "off" | "false" | "no" | "none" => Ok(false),
            _ => Ok(Value::Text(t.clone()).to_i64() != 0),
        },
        _ => sql_err("syntax error"),
    }
}

/// A pragma's table-name argument.
fn name_arg(v: &Expr) -> Option<String> {
    match v {
        Expr::Literal(Value::Text(t)) => Some(t.clone()),
        Expr::Column { name, .. } => Some(name.clone()),
        _ => None,
    }
}

/// A one-row, one-column result.
fn single(column: &str, v: Value) -> StatementResult {
    StatementResult { columns: vec![column.to_string()], rows: vec![vec![v]], changes: 0 }
}

fn result(columns: &[&str], rows: Vec<Vec<Value>>) -> StatementResult {
    StatementResult { columns: columns.iter().map(|c| c.to_string()).collect(), rows, changes: 0 }
}

fn int(b: bool) -> Value {
    Value::Integer(i64::from(b))
}

fn text_or_null(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |s| Value::Text(s.to_string()))
}

/// `table_info` / `table_xinfo`: one row per column of a table or view.
fn table_info(conn: &mut Connection, name: &str, extended: bool) -> Result<StatementResult> {
    let mut cols = vec!["cid", "name", "type", "notnull", "dflt_value", "pk"];
    if extended {
        cols.push("hidden");
    }
    let schema = conn.schema();
    let mut rows = Vec::new();
    if let Some(t) = schema.table(name) {
        for (i, c) in t.columns.iter().enumerate() {
            // Generated columns are hidden from table_info; table_xinfo
            // marks them 2 (VIRTUAL) or 3 (STORED).
            let hidden = match &c.generated {
                None => 0,
                Some(g) if g.stored => 3,
                Some(_) => 2,
            };
            if hidden != 0 && !extended {
                continue;
            }
            let pk = t.primary_key.iter().position(|&p| p == i).map_or(0, |p| p as i64 + 1);
            let mut row = vec![
                Value::Integer(i as i64),
                Value::Text(c.name.clone()),
                Value::Text(c.decl_type.clone()),
                int(c.not_null),
                text_or_null(c.default_text.as_deref()),
                Value::Integer(pk),
            ];
            if extended {
                row.push(Value::Integer(hidden));
            }
            rows.push(row);
        }
    } else if let Some(view) = schema.views.get(&lower(name)) {
        let types = view_types(schema, &view.query);
        let names = conn.columns_of(&format!("SELECT * FROM \"{}\"", name.replace('"', "\"\"")))?;
        let types = if types.len() == names.len() { types } else { vec![String::new(); names.len()] };
        for (i, (n, ty)) in names.into_iter().zip(types).enumerate() {
            let mut row =
                vec![Value::Integer(i as i64), Value::Text(n), Value::Text(ty), int(false), Value::Null, int(false)];
            if extended {
                row.push(Value::Integer(0));
            }
            rows.push(row);
        }
    }
    Ok(result(&cols, rows))
}

/// The declared types of a view's columns: a column taken straight from a
/// table keeps the table's declared type, anything else has none.
fn view_types(schema: &Schema, q: &ast::Select) -> Vec<String> {
    let ast::SelectBody::Select(core) = &q.body else { return Vec::new() };
    let mut tables: Vec<(String, &Table)> = Vec::new();
    fn collect<'s>(schema: &'s Schema, f: &ast::FromItem, out: &mut Vec<(String, &'s Table)>) {
        match f {
            ast::FromItem::Table { name, alias, .. } => {
                if let Some(t) = schema.table(name) {
                    out.push((lower(alias.as_deref().unwrap_or(name)), t));
                }
            }
            ast::FromItem::Join { left, right, .. } => {
                collect(schema, left, out);
                collect(schema, right, out);
            }
            _ => {}
        }
    }
    if let Some(f) = &core.from {
        collect(schema, f, &mut tables);
    }
    let mut out = Vec::new();
    for rc in &core.columns {
        match rc {
            ast::ResultColumn::Star => {
                out.extend(tables.iter().flat_map(|(_, t)| t.columns.iter().map(|c| c.decl_type.clone())));
            }
            ast::ResultColumn::TableStar(w) => out.extend(
                tables
                    .iter()
                    .filter(|(n, _)| *n == lower(w))
                    .flat_map(|(_, t)| t.columns.iter().map(|c| c.decl_type.clone())),
            ),
            ast::ResultColumn::Expr { expr: Expr::Column { table, name }, .. } => out.push(
                tables
                    .iter()
                    .filter(|(n, _)| table.as_ref().is_none_or(|t| lower(t) == *n))
                    .find_map(|(_, t)| t.column_index(name).map(|i| t.columns[i].decl_type.clone()))
                    .unwrap_or_default(),
            ),
            ast::ResultColumn::Expr { .. } => out.push(String::new()),
        }
    }
    out
}

/// `index_list`: the table's indexes, newest first.
fn index_list(conn: &mut Connection, table: &str) -> Result<StatementResult> {
    // sqlite_schema holds the indexes in creation order.
    let entries = conn.with_read(|rd| {
        let mut names = Vec::new();
        for e in rd.scan(SCHEMA_TREE)?.chain(rd.scan(crate::conn::TEMP_SCHEMA_TREE)?) {
            let (_, v) = e?;
            let Some(row) = decode_row(&v) else { continue };
            if let (Some(Value::Text(kind)), Some(Value::Text(n)), Some(Value::Text(t))) =
                (row.first(), row.get(1), row.get(2))
                && kind == "index"
                && t.eq_ignore_ascii_case(table)
            {
                names.push(n.clone());
            }
        }
        Ok(names)
    })?;
    let schema = conn.schema();
    let Some(t) = schema.table(table) else {
        return Ok(result(&["seq", "name", "unique", "origin", "partial"], vec![]));
    };
    let mut rows = Vec::new();
    for name in entries.iter().rev() {
        let Some(ix) = schema.indexes.get(&lower(name)) else { continue };
        let origin = if ix.sql.is_some() {
            "c"
        } else if t.rowid_alias.is_none() && !t.primary_key.is_empty() && ix.columns == t.primary_key {
            "pk"
        } else {
            "u"
        };
        rows.push(vec![
            Value::Integer(rows.len() as i64),
            Value::Text(ix.name.clone()),
            int(ix.unique),
            Value::Text(origin.into()),
            int(ix.where_.is_some()),
        ]);
    }
    Ok(result(&["seq", "name", "unique", "origin", "partial"], rows))
}

/// `index_info`: the key columns of an index.
fn index_info(conn: &mut Connection, index: &str) -> Result<StatementResult> {
    let schema = conn.schema();
    let mut rows = Vec::new();
    if let Some(ix) = schema.indexes.get(&lower(index))
        && let Some(t) = schema.table(&ix.table)
    {
        for (seq, &c) in ix.columns.iter().enumerate() {
            let name = t.columns.get(c).map(|col| col.name.clone());
            // SQLite numbers an expression part -2.
            let cid = if c == crate::schema::EXPR_COLUMN { -2 } else { c as i64 };
            rows.push(vec![Value::Integer(seq as i64), Value::Integer(cid), text_or_null(name.as_deref())]);
        }
    }
    Ok(result(&["seqno", "cid", "name"], rows))
}
