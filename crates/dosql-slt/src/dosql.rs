//! DoSQL as an [`SltEngine`]: one [`dosql_sql::Connection`] per file.
//!
//! It reports a query's runtime failure (an [`dosql_sql::Error::Runtime`])
//! as the reference harness sees one, a prepared statement that stopped
//! early: with the column count and no rows (the engine produces whole
//! results, so the rows before the failure are not available).

use crate::run::{QueryOutput, SltEngine};
use crate::value::SltValue;

/// The SQL engine as the sqllogictest runner sees it.
pub struct DosqlEngine(pub dosql_sql::Connection);

impl DosqlEngine {
    /// An engine on a fresh in-memory database.
    pub fn in_memory() -> dosql_sql::Result<Self> {
        Ok(Self(dosql_sql::Connection::open_in_memory()?))
    }
}

fn slt_value(v: dosql_sql::Value) -> SltValue {
    match v {
        dosql_sql::Value::Null => SltValue::Null,
        dosql_sql::Value::Integer(i) => SltValue::Integer(i),
        dosql_sql::Value::Real(r) => SltValue::Real(r),
        dosql_sql::Value::Text(t) => SltValue::Text(t),
        dosql_sql::Value::Blob(b) => SltValue::Blob(b),
    }
}

impl SltEngine for DosqlEngine {
    fn statement(&mut self, sql: &str) -> Result<(), String> {
        self.0.execute(sql).map(|_| ()).map_err(|e| e.to_string())
    }

    fn query(&mut self, sql: &str) -> Result<QueryOutput, String> {
        let start = std::time::Instant::now();
        let result = self.0.execute(sql);
        if let Some(ms) = std::env::var("DOSQL_SLOW_MS").ok().and_then(|v| v.parse::<u128>().ok())
            && start.elapsed().as_millis() >= ms
        {
            eprintln!("slow query ({:.1?}):\n{sql}", start.elapsed());
        }
        match result {
            Ok(mut results) => {
                let r = results.pop().unwrap_or_default();
                Ok(QueryOutput {
                    columns: r.columns.len(),
                    rows: r.rows.into_iter().map(|row| row.into_iter().map(slt_value).collect()).collect(),
                    runtime_error: None,
                })
            }
            Err(e @ dosql_sql::Error::Runtime(_)) => Ok(QueryOutput {
                columns: self.0.columns_of(sql).map(|c| c.len()).unwrap_or(0),
                rows: Vec::new(),
                runtime_error: Some(e.to_string()),
            }),
            Err(e) => Err(e.to_string()),
        }
    }
}
