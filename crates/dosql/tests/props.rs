//! Property tests of the embedded API against simple models: values survive
//! the trip through parameters, storage and typed reads; `insert_batch`
//! stores exactly the rows given, for any batch configuration; a stream
//! reads the same rows as running the query to completion.

#![allow(clippy::unwrap_used)]

use dosql::{BatchConfig, Connection, Database, FromValue, Options, ToValue, Value};
use proptest::prelude::*;

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Integer),
        any::<f64>().prop_filter("SQLite has no NaN", |f| !f.is_nan()).prop_map(Value::Real),
        ".{0,12}".prop_map(Value::Text),
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(Value::Blob),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A value bound as a parameter, stored in an untyped column and read
    /// back is the same value, and reads as each Rust type exactly when
    /// that type can hold it.
    #[test]
    fn values_round_trip(vals in proptest::collection::vec(value(), 1..8)) {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute("CREATE TABLE t(i INTEGER PRIMARY KEY, v)", ()).unwrap();
        for (i, v) in vals.iter().enumerate() {
            c.execute("INSERT INTO t VALUES(?, ?)", (i as i64, v)).unwrap();
        }
        let rows = c.query_all("SELECT v FROM t ORDER BY i", ()).unwrap();
        prop_assert_eq!(rows.len(), vals.len());
        for (row, v) in rows.iter().zip(&vals) {
            prop_assert_eq!(row.get::<Value>(0).unwrap(), v.clone());
            prop_assert_eq!(row.get::<i64>(0).ok(), match v { Value::Integer(i) => Some(*i), _ => None });
            prop_assert_eq!(row.get::<Option<String>>(0).ok(), match v {
                Value::Null => Some(None),
                Value::Text(s) => Some(Some(s.clone())),
                _ => None,
            });
            prop_assert_eq!(row.get::<Vec<u8>>(0).ok(), match v { Value::Blob(b) => Some(b.clone()), _ => None });
        }
    }

    /// Rust integers convert to SQL and back unchanged.
    #[test]
    fn integers_convert_both_ways(x in any::<i32>(), y in any::<u32>(), z in any::<i64>()) {
        prop_assert_eq!(i32::from_value(&x.to_value()), Some(x));
        prop_assert_eq!(u32::from_value(&y.to_value()), Some(y));
        prop_assert_eq!(i64::from_value(&z.to_value()), Some(z));
        prop_assert_eq!(u32::from_value(&z.to_value()), u32::try_from(z).ok());
    }

    /// Whatever the batch configuration, `insert_batch` stores the rows
    /// given, in order, and says how many.
    #[test]
    fn insert_batch_stores_exactly_the_rows(
        n in 0usize..300,
        per_insert in 1usize..40,
        max in 1usize..120,
        per_txn in 1usize..90,
    ) {
        let batch = BatchConfig { insert_batch_size: per_insert, max_batch_size: max, transaction_batch_size: per_txn };
        let db = Database::open_in_memory_with(&Options::new().batch(batch)).unwrap();
        db.execute("CREATE TABLE t(k INTEGER, s TEXT)", ()).unwrap();
        let rows: Vec<Vec<Value>> = (0..n).map(|i| vec![Value::Integer(i as i64), Value::Text(format!("r{i}"))]).collect();
        prop_assert_eq!(db.insert_batch("t", &["k", "s"], &rows).unwrap(), n as u64);
        let got: Vec<Vec<Value>> = db.query("SELECT k, s FROM t ORDER BY rowid", ()).unwrap().into_iter().map(|r| r.into_values()).collect();
        prop_assert_eq!(got, rows);
    }

    /// A streamed range read gives the rows, in order, that running the
    /// same query to completion gives.
    #[test]
    fn streamed_ranges_match(keys in proptest::collection::btree_set(-50i64..50, 0..40), lo in -60i64..60, hi in -60i64..60) {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, v); CREATE INDEX t_v ON t(v);").unwrap();
        for k in &keys {
            c.execute("INSERT INTO t VALUES(?, ?)", (*k, k % 7)).unwrap();
        }
        for sql in ["SELECT id FROM t WHERE id >= ? AND id < ?", "SELECT id, v FROM t WHERE v BETWEEN ? AND ? ORDER BY v"] {
            let streamed: Vec<Vec<Value>> = c.query(sql, (lo, hi)).unwrap().map(|r| r.unwrap().into_values()).collect();
            let whole = c.engine().execute_with(sql, &[Value::Integer(lo), Value::Integer(hi)]).unwrap().pop().unwrap().rows;
            prop_assert_eq!(streamed, whole);
        }
        let model: Vec<Vec<Value>> = keys.iter().filter(|k| **k >= lo && **k < hi).map(|k| vec![Value::Integer(*k)]).collect();
        let got: Vec<Vec<Value>> = c.query("SELECT id FROM t WHERE id >= ? AND id < ?", (lo, hi)).unwrap().map(|r| r.unwrap().into_values()).collect();
        prop_assert_eq!(got, model);
    }
}
