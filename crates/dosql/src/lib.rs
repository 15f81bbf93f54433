//! DoSQL embedded: the library applications depend on.
//!
//! DoSQL is a SQL database with SQLite's dialect and semantics on its own
//! storage engine (copy-on-write B+trees, a logical write-ahead log,
//! checkpoints, crash recovery, snapshots). This crate is its API:
//!
//! - [`Database`], an open database file (or one in memory), shared by
//!   threads: one writer at a time, readers never blocked. Its methods run
//!   on pooled connections; [`Database::connect`] gives you your own.
//! - [`Connection`], with [`execute`](Connection::execute),
//!   [`query`](Connection::query) (rows read as they are pulled),
//!   [`query_row`](Connection::query_row), [`prepare`](Connection::prepare),
//!   [`explain`](Connection::explain),
//!   [`insert_batch`](Connection::insert_batch) and
//!   [`transaction`](Connection::transaction).
//! - [`Row`], with typed column access by position or name ([`FromValue`]);
//!   [`Value`] for dynamic values; parameters as tuples or [`params!`].
//! - With the `serde` feature (on by default): [`Row::deserialize`] and
//!   [`Connection::insert_records`].
//!
//! ```
//! use dosql::{Database, params};
//!
//! let db = Database::open_in_memory()?;
//! db.execute_batch(
//!     "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT, tenant_id TEXT, created_at INTEGER);
//!      CREATE INDEX idx_users_tenant_created ON users(tenant_id, created_at);",
//! )?;
//! let rows: Vec<_> = (0..10).map(|i| params![format!("u{i}"), format!("u{i}@example.com"), "t1", i]).collect();
//! db.insert_batch("users", &["id", "email", "tenant_id", "created_at"], &rows)?;
//!
//! let mut conn = db.connect()?;
//! let recent: Vec<String> = conn
//!     .query("SELECT id FROM users WHERE tenant_id = ? AND created_at > ? ORDER BY created_at DESC", ("t1", 6))?
//!     .map_rows(|r| r.get("id"))?;
//! assert_eq!(recent, ["u9", "u8", "u7"]);
//!
//! let plan = conn.explain("SELECT * FROM users WHERE tenant_id = 't1' AND created_at > 5")?;
//! assert_eq!(plan.steps[0].detail, "SEARCH users USING INDEX idx_users_tenant_created (tenant_id=? AND created_at>?)");
//! # Ok::<(), dosql::Error>(())
//! ```
//!
//! Errors carry SQLite's messages (`no such table: t`,
//! `UNIQUE constraint failed: users.id`); a failing statement changes
//! nothing, and a transaction stays usable after one fails.

mod connection;
mod database;
mod error;
mod options;
mod row;
#[cfg(feature = "serde")]
mod serde_rows;
mod value;

pub use connection::{Connection, Statement, Transaction};
pub use database::Database;
pub use dosql_sql::Value;
pub use dosql_sql::explain::{Explain, PlanLine};
pub use error::{Error, Result};
pub use options::{BatchConfig, Options, Synchronous};
pub use row::{ColumnIndex, Row, Rows};
pub use value::{FromValue, Params, ToValue};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;
