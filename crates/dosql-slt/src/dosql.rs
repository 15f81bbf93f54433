//! DoSQL as a sqllogictest engine: the adapter `dosql slt` and the tests of
//! our own `.test` files run. Set `DOSQL_SLOW_MS` to have queries slower
//! than that many milliseconds printed to stderr.

use crate::{QueryOutput, SltEngine, SltValue};
use dosql_sql::{Connection, Value};

/// A DoSQL connection driven by the runner.
pub struct DosqlEngine(pub Connection);

fn slt_value(v: Value) -> SltValue {
    match v {
        Value::Null => SltValue::Null,
        Value::Integer(i) => SltValue::Integer(i),
        Value::Real(r) => SltValue::Real(r),
        Value::Text(t) => SltValue::Text(t),
        Value::Blob(b) => SltValue::Blob(b),
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
            // A failure while running (not preparing) yields the rows so far: none here.
            Err(e @ dosql_sql::Error::Runtime(_)) => Ok(QueryOutput {
                columns: self.0.columns_of(sql).map(|c| c.len()).unwrap_or(0),
                rows: Vec::new(),
                runtime_error: Some(e.to_string()),
            }),
            Err(e) => Err(e.to_string()),
        }
    }
}
