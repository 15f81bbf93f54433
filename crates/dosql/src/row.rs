//! Result rows: [`Row`] with typed column access, and [`Rows`], a query's
//! rows read as they are pulled.

use crate::error::{Error, Result};
use crate::value::{FromValue, convert};
use dosql_sql::{RowStream, Value};
use std::sync::Arc;

/// A column of a row, by position (`0`-based) or by name (the first column
/// of that name, compared ignoring ASCII case as SQLite does).
///
/// ```
/// # let mut c = dosql::Connection::open_in_memory()?;
/// let row = c.query_row("SELECT 1 AS Id, 'x' AS name", (), |r| Ok(r.clone()))?;
/// assert_eq!(row.get::<i64>(0)?, row.get::<i64>("ID")?);
/// # Ok::<(), dosql::Error>(())
/// ```
pub trait ColumnIndex {
    /// The position of the column among `columns`.
    fn position(&self, columns: &[String]) -> Result<usize>;
}

impl ColumnIndex for usize {
    fn position(&self, columns: &[String]) -> Result<usize> {
        if *self < columns.len() { Ok(*self) } else { Err(Error::NoColumn(self.to_string())) }
    }
}

impl ColumnIndex for &str {
    fn position(&self, columns: &[String]) -> Result<usize> {
        columns.iter().position(|c| c.eq_ignore_ascii_case(self)).ok_or_else(|| Error::NoColumn(self.to_string()))
    }
}

/// One result row: its values and the result's column names.
///
/// ```
/// # use dosql::Connection;
/// let mut c = Connection::open_in_memory()?;
/// let row = c.query_row("SELECT 42 AS answer, 'hi' AS greeting, NULL AS missing", (), |r| Ok(r.clone()))?;
/// assert_eq!(row.get::<i64>(0)?, 42);
/// assert_eq!(row.get::<String>("greeting")?, "hi");
/// assert_eq!(row.get::<Option<f64>>("missing")?, None);
/// assert!(row.get::<String>("answer").is_err(), "an INTEGER is not TEXT");
/// # Ok::<(), dosql::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

impl Row {
    pub(crate) fn new(columns: Arc<[String]>, values: Vec<Value>) -> Row {
        Row { columns, values }
    }

    /// The value of a column as `T` (see [`FromValue`] for what converts).
    ///
    /// ```
    /// # use dosql::Connection;
    /// # let mut c = Connection::open_in_memory()?;
    /// let n: i64 = c.query_row("SELECT 1 + 1 AS two", (), |r| r.get("two"))?;
    /// assert_eq!(n, 2);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn get<T: FromValue>(&self, idx: impl ColumnIndex) -> Result<T> {
        let i = idx.position(&self.columns)?;
        let name = self.columns.get(i).map_or("", String::as_str);
        convert(self.values.get(i).unwrap_or(&Value::Null), name)
    }

    /// The value of a column as it is.
    ///
    /// ```
    /// # use dosql::{Connection, Value};
    /// # let mut c = Connection::open_in_memory()?;
    /// let v = c.query_row("SELECT x'ff'", (), |r| Ok(r.value(0)?.clone()))?;
    /// assert_eq!(v, Value::Blob(vec![0xff]));
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn value(&self, idx: impl ColumnIndex) -> Result<&Value> {
        let i = idx.position(&self.columns)?;
        self.values.get(i).ok_or_else(|| Error::NoColumn(i.to_string()))
    }

    /// The result's column names.
    ///
    /// ```
    /// # use dosql::Connection;
    /// # let mut c = Connection::open_in_memory()?;
    /// let names = c.query_row("SELECT 1 AS a, 2 AS b", (), |r| Ok(r.columns().to_vec()))?;
    /// assert_eq!(names, ["a", "b"]);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The values, in column order.
    ///
    /// ```
    /// # use dosql::{Connection, Value};
    /// # let mut c = Connection::open_in_memory()?;
    /// let vals = c.query_row("SELECT 1, 'a'", (), |r| Ok(r.values().to_vec()))?;
    /// assert_eq!(vals, [Value::Integer(1), Value::Text("a".into())]);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The values, taken out of the row.
    ///
    /// ```
    /// # use dosql::{Connection, Value};
    /// # let mut c = Connection::open_in_memory()?;
    /// let row = c.query_row("SELECT 3", (), |r| Ok(r.clone()))?;
    /// assert_eq!(row.into_values(), vec![Value::Integer(3)]);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    /// How many columns the row has.
    ///
    /// ```
    /// # use dosql::Connection;
    /// # let mut c = Connection::open_in_memory()?;
    /// assert_eq!(c.query_row("SELECT 1, 2, 3", (), |r| Ok(r.len()))?, 3);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no columns.
    ///
    /// ```
    /// # use dosql::Connection;
    /// # let mut c = Connection::open_in_memory()?;
    /// assert!(!c.query_row("SELECT 1", (), |r| Ok(r.is_empty()))?);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The row as a `T` that serde can build from a map of column names to
    /// values (a struct with fields named like the columns). NULL becomes
    /// `None`/unit, INTEGER and REAL numbers, TEXT strings, BLOB a byte
    /// sequence.
    ///
    /// ```
    /// # use dosql::Connection;
    /// #[derive(serde::Deserialize, Debug, PartialEq)]
    /// struct User { id: i64, name: String, email: Option<String> }
    /// let mut c = Connection::open_in_memory()?;
    /// let u: User = c.query_row("SELECT 1 AS id, 'Ada' AS name, NULL AS email", (), |r| r.deserialize())?;
    /// assert_eq!(u, User { id: 1, name: "Ada".into(), email: None });
    /// # Ok::<(), dosql::Error>(())
    /// ```
    #[cfg(feature = "serde")]
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        crate::serde_rows::from_row(self)
    }
}

/// A query's rows, produced as they are read. Scans, lookups, joins of
/// every kind, subqueries in FROM, recursive CTEs, GROUP BY and
/// aggregates, DISTINCT, compounds, window functions and sorts (spilled to
/// temporary files past a memory budget) read rows from storage as they
/// are pulled, so results of any size take bounded memory. The iterator
/// borrows its connection until dropped.
///
/// Iterating gives each row in allocations of its own, which the caller
/// may keep; [`Rows::step`] instead lends the next row, decoded over the
/// previous one, which is the fastest way to read a large result.
///
/// ```
/// # use dosql::Connection;
/// let mut c = Connection::open_in_memory()?;
/// c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES(1),(2),(3);")?;
/// let mut sum = 0;
/// for row in c.query("SELECT x FROM t WHERE x > ?", (1,))? {
///     sum += row?.get::<i64>(0)?;
/// }
/// assert_eq!(sum, 5);
/// # Ok::<(), dosql::Error>(())
/// ```
pub struct Rows<'c> {
    stream: RowStream<'c>,
    /// The row [`Rows::step`] lends, reused from step to step; its column
    /// names are the result's.
    current: Row,
}

impl<'c> Rows<'c> {
    pub(crate) fn new(stream: RowStream<'c>) -> Rows<'c> {
        Rows { current: Row::new(stream.shared_columns(), Vec::new()), stream }
    }

    /// The next row, lent until the next call: its values are decoded over
    /// the previous row's, reusing their allocations (as SQLite's own
    /// statement step does), so reading a result this way allocates nothing
    /// per row once the first rows are read. `None` at the end.
    ///
    /// ```
    /// # use dosql::Connection;
    /// let mut c = Connection::open_in_memory()?;
    /// c.execute_batch("CREATE TABLE t(name TEXT); INSERT INTO t VALUES('ada'), ('grace');")?;
    /// let mut rows = c.query("SELECT name FROM t", ())?;
    /// let mut total = 0;
    /// while let Some(row) = rows.step()? {
    ///     total += row.get::<String>(0)?.len();
    /// }
    /// assert_eq!(total, 8);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn step(&mut self) -> Result<Option<&Row>> {
        if self.stream.next_into(&mut self.current.values)? { Ok(Some(&self.current)) } else { Ok(None) }
    }

    /// The result's column names.
    ///
    /// ```
    /// # use dosql::Connection;
    /// # let mut c = Connection::open_in_memory()?;
    /// let rows = c.query("SELECT 1 AS a", ())?;
    /// assert_eq!(rows.columns(), ["a"]);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn columns(&self) -> &[String] {
        &self.current.columns
    }

    /// Each row mapped by `f`, collected; stops at the first error.
    ///
    /// ```
    /// # use dosql::Connection;
    /// # let mut c = Connection::open_in_memory()?;
    /// let names: Vec<String> = c.query("SELECT 'a' UNION ALL SELECT 'b'", ())?.map_rows(|r| r.get(0))?;
    /// assert_eq!(names, ["a", "b"]);
    /// # Ok::<(), dosql::Error>(())
    /// ```
    pub fn map_rows<T>(mut self, mut f: impl FnMut(&Row) -> Result<T>) -> Result<Vec<T>> {
        let mut out = Vec::new();
        while let Some(row) = self.step()? {
            out.push(f(row)?);
        }
        Ok(out)
    }
}

impl Iterator for Rows<'_> {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = self.stream.next()?;
        Some(r.map(|values| Row::new(self.current.columns.clone(), values)).map_err(Error::from))
    }
}
