//! DoSQL's storage engine: checksummed pages, copy-on-write B+trees, a
//! logical write-ahead log with LSNs, checkpoints, crash recovery,
//! snapshots and time travel, and the change feed CDC reads.
//!
//! It knows nothing of SQL: it stores ordered byte keys and byte values in
//! numbered trees. [`keycodec`] gives SQL layers an order-preserving
//! encoding of SQL values.
//!
//! ```
//! use dosql_storage::{Config, Database};
//! let db = Database::open_in_memory(Config::default())?;
//! let mut tx = db.begin_write()?;
//! tx.create_tree(1)?;
//! tx.put(1, b"k", b"v")?;
//! let lsn = tx.commit()?;
//! let snap = db.begin_read();
//! assert_eq!(snap.get(1, b"k")?, Some(b"v".to_vec()));
//! assert_eq!(snap.lsn(), lsn);
//! # Ok::<(), dosql_storage::Error>(())
//! ```

mod btree;
mod cache;
mod codec;
mod config;
mod cursor;
mod db;
mod error;
pub mod keycodec;
mod meta;
mod node;
mod packed;
mod pager;
pub mod sim;
mod system;
pub mod vfs;
mod wal;

pub use cache::CacheStats;
pub use config::{CheckpointConfig, Clock, Config, Retention, Synchronous, SystemClock};
pub use cursor::{Cursor, KeyBounds, Range};
pub use db::{ChangeFeed, CheckpointStats, Database, MAX_VALUE_LEN, ReadTxn, RecoveryReport, Stats, WriteTxn};
pub use error::{Error, PageId, Result};
pub use wal::{Change, ChangeKind, CommittedTxn, Lsn, TreeId, WalStats};
