//! DoSQL's SQL engine: SQLite's dialect and semantics on the DoSQL storage
//! engine.
//!
//! The life of a statement:
//! 1. [`parse`] turns SQL text into the engine's own [`ast`] (the
//!    `sqlparser` crate does the parsing; nothing past this step sees its
//!    types).
//! 2. [`bind`] resolves names against the [`schema`] (kept in
//!    `sqlite_schema`, like SQLite) and produces a [`plan`].
//! 3. [`exec`] evaluates the plan over the storage trees; [`dml`] writes
//!    rows and index entries; [`record`] is the row format.
//! 4. [`conn::Connection`] wraps it all with SQLite's transaction rules.
//!
//! Values follow SQLite's storage classes, affinities and comparison rules
//! ([`value`]); scalar functions live in [`func`], window functions in [`window`].

pub mod access;
mod alter;
pub mod analyze;
pub mod ast;
pub mod bind;
pub mod conn;
pub mod dml;
pub mod error;
pub mod exec;
pub mod explain;
pub mod func;
pub mod interrupt;
pub mod join;
pub mod parse;
pub mod plan;
mod pragma;
pub mod prepared;
pub mod record;
mod rewrite;
pub mod schema;
mod stack;
pub mod txn;
pub mod value;
pub mod window;

pub use conn::{Connection, StatementResult};
pub use error::{Error, Result};
pub use exec::stream::RowStream;
pub use interrupt::InterruptHandle;
pub use prepared::Prepared;
pub use value::Value;

/// The SQLite release whose behaviour DoSQL is tested against (what
/// `sqlite_version()` reports).
pub const SQLITE_VERSION: &str = "3.54.1";
