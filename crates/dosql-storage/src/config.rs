//! Configuration of a database: page size, cache budget, durability,
//! checkpoint thresholds and history retention.
//!
//! Defaults follow the product guide: a 32 MiB page cache per database
//! (`MEMORY_BUDGET.btreeCache`) and the checkpoint thresholds of
//! `DEFAULT_COMPACTION_CONFIG` (10 MiB of WAL, 10,000 entries, at most
//! 5 minutes and at least 30 seconds between checkpoints).

use crate::error::{Error, Result};
use std::sync::Arc;
use std::time::Duration;

/// When a commit is made durable, named like SQLite's `PRAGMA synchronous`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// Every commit is fsynced before it is acknowledged; concurrent commits
    /// share one fsync (group commit).
    #[default]
    Full,
    /// Commits are written to the OS but fsynced only at checkpoints and WAL
    /// segment switches: a power loss may lose recent commits, never
    /// consistency. A process crash loses nothing.
    Normal,
    /// Nothing is ever fsynced. A process crash loses nothing; a power loss
    /// may lose or corrupt data, as with SQLite's `synchronous=OFF`.
    Off,
}

impl std::str::FromStr for Synchronous {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "full" | "2" | "extra" | "3" => Ok(Synchronous::Full),
            "normal" | "1" => Ok(Synchronous::Normal),
            "off" | "0" => Ok(Synchronous::Off),
            other => Err(Error::InvalidConfig(format!("unknown synchronous mode {other:?}"))),
        }
    }
}

/// Thresholds that trigger an automatic checkpoint after a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointConfig {
    /// Checkpoint when the WAL written since the last checkpoint exceeds this.
    pub wal_size_threshold_bytes: u64,
    /// Checkpoint when more log records than this were written since.
    pub wal_entry_threshold: u64,
    /// Checkpoint at the first commit after this much time since the last one.
    pub max_interval: Duration,
    /// Never checkpoint automatically more often than this, unless dirty
    /// pages exceed [`CheckpointConfig::max_dirty_bytes`].
    pub min_interval: Duration,
    /// Checkpoint regardless of `min_interval` when modified, not yet written
    /// pages would take more memory than this.
    pub max_dirty_bytes: u64,
    /// Whether closing the database checkpoints it.
    pub checkpoint_on_close: bool,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        Self {
            wal_size_threshold_bytes: 10 * 1024 * 1024,
            wal_entry_threshold: 10_000,
            max_interval: Duration::from_millis(300_000),
            min_interval: Duration::from_millis(30_000),
            max_dirty_bytes: 16 * 1024 * 1024,
            checkpoint_on_close: true,
        }
    }
}

/// How much history (change feed and time travel) to keep.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Retention {
    /// Keep every change committed within this long before now readable by
    /// [`crate::Database::snapshot_at`] and the change feed. Registered
    /// consumers additionally hold back everything after their position.
    pub history: Duration,
}

/// A source of wall-clock time in milliseconds since the Unix epoch;
/// injected so tests control time.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }
}

/// Options for opening a database.
#[derive(Clone)]
pub struct Config {
    /// Page size in bytes for a new database: a power of two from 1 KiB to
    /// 64 KiB. An existing database keeps its own.
    pub page_size: usize,
    /// Page cache budget in bytes.
    pub cache_bytes: usize,
    /// Commit durability.
    pub synchronous: Synchronous,
    /// Automatic checkpoint thresholds.
    pub checkpoint: CheckpointConfig,
    /// History retention.
    pub retention: Retention,
    /// Start a new WAL segment once the current one exceeds this size.
    pub wal_segment_bytes: u64,
    /// The clock used for commit timestamps and time thresholds.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("page_size", &self.page_size)
            .field("cache_bytes", &self.cache_bytes)
            .field("synchronous", &self.synchronous)
            .field("checkpoint", &self.checkpoint)
            .field("retention", &self.retention)
            .field("wal_segment_bytes", &self.wal_segment_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            page_size: 4096,
            cache_bytes: 32 * 1024 * 1024,
            synchronous: Synchronous::Full,
            checkpoint: CheckpointConfig::default(),
            retention: Retention::default(),
            wal_segment_bytes: 64 * 1024 * 1024,
            clock: Arc::new(SystemClock),
        }
    }
}

impl Config {
    pub(crate) fn validate(&self) -> Result<()> {
        if !self.page_size.is_power_of_two() || !(1024..=65536).contains(&self.page_size) {
            return Err(Error::InvalidConfig(format!(
                "page size {} is not a power of two between 1024 and 65536",
                self.page_size
            )));
        }
        if self.wal_segment_bytes < 4096 {
            return Err(Error::InvalidConfig("WAL segment size below 4096 bytes".into()));
        }
        Ok(())
    }
}
