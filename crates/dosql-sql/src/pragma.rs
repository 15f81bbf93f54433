//! PRAGMA statements: reading and changing per-connection settings and
//! reporting on the schema, with SQLite's result columns.

use crate::ast::Expr;
use crate::conn::{Connection, StatementResult};
use crate::error::{Result, sql_err};
use crate::value::Value;

/// Runs `PRAGMA name [= value]`.
pub(crate) fn run(conn: &mut Connection, name: &str, value: Option<&Expr>) -> Result<StatementResult> {
    let lname = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    match lname.as_str() {
        "foreign_keys" => {
            if let Some(v) = value {
                // SQLite ignores the change inside a transaction.
                if !conn.in_transaction() {
                    conn.settings_mut().foreign_keys = flag(v)?;
                }
                return Ok(StatementResult::default());
            }
            Ok(single("foreign_keys", Value::Integer(i64::from(conn.settings().foreign_keys))))
        }
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

/// A boolean pragma argument: ON/OFF, TRUE/FALSE, YES/NO or a number.
fn flag(v: &Expr) -> Result<bool> {
    match v {
        Expr::Literal(Value::Integer(i)) => Ok(*i != 0),
        Expr::Literal(Value::Real(r)) => Ok(*r != 0.0),
        Expr::Literal(Value::Text(t)) => match t.to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" => Ok(true),
            "off" | "false" | "no" | "none" => Ok(false),
            _ => Ok(crate::value::Value::Text(t.clone()).to_i64() != 0),
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
