//! The SQL engine's error type. Messages follow SQLite's wording
//! (`no such table: t`, `UNIQUE constraint failed: t.c`) so that users and
//! tests see what SQLite would print.

use crate::parse::ParseError;

/// Everything a statement can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SQL text did not parse.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// A statement that is wrong for the schema or the data (SQLite's
    /// SQLITE_ERROR): unknown names, wrong argument counts, misuse.
    #[error("{0}")]
    Sql(String),
    /// A constraint failed (SQLite's SQLITE_CONSTRAINT).
    #[error("{0}")]
    Constraint(String),
    /// A constraint failed under `OR FAIL` or `RAISE(FAIL, ...)`: the
    /// statement stops but keeps the changes it made before the failure.
    #[error("{0}")]
    ConstraintFail(String),
    /// A constraint failed under `OR ROLLBACK` or `RAISE(ROLLBACK, ...)`:
    /// the whole transaction is rolled back.
    #[error("{0}")]
    ConstraintRollback(String),
    /// `RAISE(IGNORE)`: abandons the row change that fired the trigger.
    /// The DML layer consumes it; it never reaches a caller.
    #[error("RAISE(IGNORE) outside a trigger program")]
    RaiseIgnore,
    /// A runtime failure while evaluating, such as `integer overflow`.
    #[error("{0}")]
    Runtime(String),
    /// The storage engine failed.
    #[error(transparent)]
    Storage(#[from] dosql_storage::Error),
}

/// Result alias for the SQL engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A [`Error::Sql`] from any message.
pub(crate) fn sql_err<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::Sql(msg.into()))
}
