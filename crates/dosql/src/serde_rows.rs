//! serde mapping between rows and Rust types (feature `serde`): a row is a
//! map from column names to values.
//!
//! Values pass through `serde_json`'s value model: NULL is `null`, INTEGER
//! and REAL are numbers, TEXT a string, BLOB an array of bytes. Going in,
//! `true`/`false` become 1/0 as in SQLite, and arrays and objects (other
//! than byte arrays) are stored as JSON text.

use crate::error::{Error, Result};
use crate::row::Row;
use dosql_sql::Value;
use serde_json::Value as Json;

fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Integer(i) => Json::from(*i),
        Value::Real(r) => serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number),
        Value::Text(s) => Json::String(s.clone()),
        Value::Blob(b) => Json::Array(b.iter().map(|x| Json::from(*x)).collect()),
    }
}

fn from_json(j: Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Integer(i64::from(b)),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => n.as_f64().map_or(Value::Null, Value::Real),
        },
        Json::String(s) => Value::Text(s),
        other => Value::Text(other.to_string()),
    }
}

/// The row as a `T`.
pub(crate) fn from_row<T: serde::de::DeserializeOwned>(row: &Row) -> Result<T> {
    let map: serde_json::Map<String, Json> =
        row.columns().iter().cloned().zip(row.values().iter().map(to_json)).collect();
    serde_json::from_value(Json::Object(map)).map_err(|e| Error::Serde(e.to_string()))
}

/// The column names and values of `record`, which must serialize as a map
/// or struct.
pub(crate) fn to_row<T: serde::Serialize>(record: &T) -> Result<Vec<(String, Value)>> {
    match serde_json::to_value(record).map_err(|e| Error::Serde(e.to_string()))? {
        Json::Object(map) => Ok(map.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
        _ => Err(Error::Serde("a record must serialize as a struct or a map".into())),
    }
}

impl crate::Connection {
    /// Inserts serde records (structs or maps) into `table` as
    /// [`crate::Connection::insert_batch`] does: the columns are the first
    /// record's field names, and every record must have the same fields.
    ///
    /// ```
    /// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// struct User { id: String, email: String, tenant_id: String, created_at: i64 }
    /// let mut c = dosql::Connection::open_in_memory()?;
    /// c.execute("CREATE TABLE users(id TEXT PRIMARY KEY, email TEXT, tenant_id TEXT, created_at INTEGER)", ())?;
    /// let users: Vec<User> = (0..3)
    ///     .map(|i| User { id: format!("u{i}"), email: format!("u{i}@x.io"), tenant_id: "t1".into(), created_at: i })
    ///     .collect();
    /// assert_eq!(c.insert_records("users", &users)?, 3);
    /// let back: Vec<User> = c.query("SELECT * FROM users ORDER BY created_at", ())?.map_rows(|r| r.deserialize())?;
    /// assert_eq!(back, users);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn insert_records<T: serde::Serialize>(&mut self, table: &str, records: &[T]) -> Result<u64> {
        let Some(first) = records.first() else { return Ok(0) };
        let columns: Vec<String> = to_row(first)?.into_iter().map(|(k, _)| k).collect();
        let mut rows = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            let fields = to_row(r)?;
            let mut row = Vec::with_capacity(columns.len());
            for c in &columns {
                match fields.iter().find(|(k, _)| k == c) {
                    Some((_, v)) => row.push(v.clone()),
                    None => return Err(Error::Misuse(format!("record {i} has no field {c}"))),
                }
            }
            if fields.len() != columns.len() {
                return Err(Error::Misuse(format!("record {i} has fields the first record does not")));
            }
            rows.push(row);
        }
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        self.insert_batch(table, &names, &rows)
    }
}
