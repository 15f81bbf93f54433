//! The storage engine's error type.
//!
//! Variants tell the caller what to do: fix the input ([`Error::KeyTooLarge`],
//! [`Error::NoSuchTree`]), retry after reopening ([`Error::Poisoned`]), or
//! treat the file as damaged ([`Error::CorruptPage`], [`Error::Corrupt`]).
//! Every variant that concerns a file names it.

use std::io;

/// A page number inside the data file.
pub type PageId = u64;

/// Result alias for the storage engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the storage engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system I/O error on a named file.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file does not start with the DoSQL magic bytes.
    #[error("{path} is not a DoSQL database: {reason}")]
    NotADatabase {
        /// The file.
        path: String,
        /// What was found instead.
        reason: String,
    },
    /// The file was written by a newer, unknown format version.
    #[error("{path} uses database format version {found}; this build reads version {supported}")]
    UnsupportedVersion {
        /// The file.
        path: String,
        /// Version in the file.
        found: u32,
        /// Highest version this build reads.
        supported: u32,
    },
    /// A page failed its checksum or could not be decoded.
    #[error("{path}: page {page} is corrupt: {reason}")]
    CorruptPage {
        /// The file.
        path: String,
        /// The page number.
        page: PageId,
        /// What is wrong with it.
        reason: String,
    },
    /// The file is damaged in a way that is not tied to one page.
    #[error("{path} is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A key is longer than a B+tree page can hold.
    #[error("key of {len} bytes is longer than the maximum of {max} bytes for this page size")]
    KeyTooLarge {
        /// The key's length.
        len: usize,
        /// The maximum for the configured page size.
        max: usize,
    },
    /// A value is longer than the engine stores.
    #[error("value of {len} bytes is longer than the maximum of {max} bytes")]
    ValueTooLarge {
        /// The value's length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The tree does not exist.
    #[error("no such tree: {0}")]
    NoSuchTree(u64),
    /// The tree already exists.
    #[error("tree {0} already exists")]
    TreeExists(u64),
    /// A snapshot or change feed asked for history that is no longer kept.
    #[error("LSN {lsn} is not retained: the oldest retained LSN is {oldest}")]
    LsnNotRetained {
        /// The requested LSN.
        lsn: u64,
        /// The oldest LSN that can still be read.
        oldest: u64,
    },
    /// A snapshot asked for an LSN that has not been committed yet.
    #[error("LSN {lsn} is in the future: the last committed LSN is {last}")]
    LsnInFuture {
        /// The requested LSN.
        lsn: u64,
        /// The newest committed LSN.
        last: u64,
    },
    /// `rollback_to` or `release` named a savepoint that is not open.
    #[error("no such savepoint: {0}")]
    NoSuchSavepoint(String),
    /// An earlier write or fsync failed, so what is durable is unknown; the
    /// database refuses further writes until it is reopened (and recovered).
    #[error("the database is unusable after an earlier I/O failure ({0}); reopen it")]
    Poisoned(String),
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

impl Error {
    /// Whether this error means the stored data is damaged.
    pub fn is_corruption(&self) -> bool {
        matches!(self, Error::CorruptPage { .. } | Error::Corrupt { .. } | Error::NotADatabase { .. })
    }

    pub(crate) fn io(path: &str, source: io::Error) -> Self {
        Error::Io { path: path.to_string(), source }
    }
}
