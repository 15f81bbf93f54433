//! DoSQL's benchmark library.
//!
//! - [`suite`]: the guide's benchmark suite (point and range queries,
//!   writes, batches, cold start, concurrent readers) on DoSQL and on SQLite
//!   side by side; the `dosql bench` command runs it.
//! - [`report`]: the machine description and the text and JSON output of
//!   the `storage-bench` binary, shared with the suite.
//!
//! The `storage-bench` (against redb, behind the `redb` feature) and
//! `index-bench` binaries live beside it in this package.

pub mod report;
pub mod suite;
