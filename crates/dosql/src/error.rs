//! The library's error type.

/// Everything that can go wrong through this API.
///
/// ```
/// # use dosql::{Connection, Error};
/// let mut c = Connection::open_in_memory()?;
/// match c.execute("INSERT INTO missing VALUES(1)", ()) {
///     Err(Error::Sql(e)) => assert_eq!(e.to_string(), "no such table: missing"),
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine refused or failed a statement; the message is SQLite's
    /// (`no such table: t`, `UNIQUE constraint failed: t.x`, ...).
    #[error(transparent)]
    Sql(#[from] dosql_sql::Error),
    /// The storage engine failed to open or configure the database.
    #[error(transparent)]
    Storage(#[from] dosql_storage::Error),
    /// [`crate::Connection::query_row`] found no row.
    #[error("query returned no rows")]
    NoRows,
    /// A column index or name that the row does not have.
    #[error("no such column in the result: {0}")]
    NoColumn(String),
    /// A value that does not convert to the type asked for.
    #[error("column {column}: cannot read {found} as {wanted}")]
    Conversion {
        /// The column's name.
        column: String,
        /// The value's storage class (`NULL`, `INTEGER`, `REAL`, `TEXT`, `BLOB`).
        found: &'static str,
        /// The Rust type asked for.
        wanted: &'static str,
    },
    /// A call with arguments that cannot work (an empty column list, a row
    /// with the wrong number of values, ...).
    #[error("{0}")]
    Misuse(String),
    /// [`crate::Connection::insert_batch`] failed after committing part of
    /// a batch larger than [`crate::BatchConfig::max_batch_size`].
    #[error("insert_batch failed after {committed} rows were committed: {source}")]
    Batch {
        /// Rows committed before the failure.
        committed: u64,
        /// What failed.
        source: Box<Error>,
    },
    /// A value could not be mapped to or from a Rust type with serde.
    #[cfg(feature = "serde")]
    #[error("serde: {0}")]
    Serde(String),
}

/// Result alias for this crate.
///
/// ```
/// fn count(c: &mut dosql::Connection) -> dosql::Result<i64> {
///     c.query_row("SELECT 7", (), |r| r.get(0))
/// }
/// assert_eq!(count(&mut dosql::Connection::open_in_memory()?)?, 7);
/// # Ok::<(), dosql::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
