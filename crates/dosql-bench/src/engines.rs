//! The engines under test behind one small interface: DoSQL's storage
//! engine and redb, each in its own fresh directory, both opened with the
//! same durability and (optionally) the same cache budget.
//!
//! Both store the benchmark's keys as 8-byte big-endian byte strings with
//! byte-string values, so both compare keys the same way.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Bytes in every value.
pub const VALUE_LEN: usize = 100;

/// The tree (ours) or table (redb) every workload uses.
const TREE: u64 = 1;
const TABLE: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("bench");

/// Durability requested of both engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Durability {
    /// Every commit is durable when it returns: ours `Synchronous::Full`,
    /// redb `Durability::Immediate`.
    Full,
    /// Commits reach the OS, fsynced later: ours `Synchronous::Normal`, redb
    /// `Durability::Eventual`.
    Normal,
    /// No fsync on commit: ours `Synchronous::Off`, redb `Durability::None`.
    Off,
}

impl Durability {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Durability::Full => "full",
            Durability::Normal => "normal",
            Durability::Off => "off",
        }
    }
}

/// Which engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// DoSQL's storage engine.
    Dosql,
    /// redb 2.
    Redb,
}

impl EngineKind {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Dosql => "dosql",
            EngineKind::Redb => "redb",
        }
    }
}

/// The benchmark key for `k`.
pub fn key_bytes(k: u64) -> [u8; 8] {
    k.to_be_bytes()
}

/// Fills `buf` with the value stored under key `k` (derived from `k`, so
/// reads can check what they get).
pub fn fill_value(k: u64, buf: &mut [u8; VALUE_LEN]) {
    let seed = k.to_le_bytes();
    for (i, b) in buf.iter_mut().enumerate() {
        *b = seed[i % 8].wrapping_add(i as u8);
    }
}

/// Whether `v` is the value of key `k`.
pub fn check_value(k: u64, v: &[u8]) -> Result<()> {
    let mut want = [0u8; VALUE_LEN];
    fill_value(k, &mut want);
    if v != want {
        bail!("key {k}: wrong value ({} bytes)", v.len());
    }
    Ok(())
}

/// Read access through one read transaction.
pub trait Reader {
    /// Looks `k` up; returns the value's length (checked against `k`).
    fn get(&self, k: u64) -> Result<usize>;
    /// Reads keys `start..start + len` in order; returns how many it got.
    fn scan(&self, start: u64, len: u64) -> Result<usize>;
}

/// An engine opened on a fresh directory with one empty tree.
pub trait Engine {
    /// Inserts `keys`, each with its value, in one write transaction and
    /// commits it.
    fn insert_txn(&mut self, keys: &[u64]) -> Result<()>;
    /// Starts a read transaction.
    fn reader(&self) -> Result<Box<dyn Reader + '_>>;
    /// Makes everything written so far part of the main data file at the
    /// configured durability (ours: a checkpoint; redb: a commit one
    /// durability level up, if the level was below `Immediate`). Returns
    /// how long it took.
    fn finish(&mut self) -> Result<Duration>;
    /// Bytes the engine's files take on disk.
    fn disk_bytes(&self) -> Result<u64>;
    /// Engine counters worth printing after a workload, if it has any.
    fn counters(&self) -> Option<String> {
        None
    }
}

/// Opens `kind` in a fresh directory under `parent`.
pub fn open(
    kind: EngineKind,
    parent: &Path,
    durability: Durability,
    cache_bytes: Option<usize>,
) -> Result<Box<dyn Engine>> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("dosql-bench-{}-", kind.name()))
        .tempdir_in(parent)
        .with_context(|| format!("creating a temp directory in {}", parent.display()))?;
    Ok(match kind {
        EngineKind::Dosql => Box::new(Ours::open(dir, durability, cache_bytes)?),
        EngineKind::Redb => Box::new(Redb::open(dir, durability, cache_bytes)?),
    })
}

/// Total size of the files in `dir`.
fn dir_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let meta = entry?.metadata()?;
        if meta.is_file() {
            total += meta.len();
        }
    }
    Ok(total)
}

/// DoSQL's storage engine.
struct Ours {
    db: dosql_storage::Database,
    dir: TempDir,
}

impl Ours {
    fn open(dir: TempDir, durability: Durability, cache_bytes: Option<usize>) -> Result<Self> {
        let mut config = dosql_storage::Config {
            synchronous: match durability {
                Durability::Full => dosql_storage::Synchronous::Full,
                Durability::Normal => dosql_storage::Synchronous::Normal,
                Durability::Off => dosql_storage::Synchronous::Off,
            },
            ..Default::default()
        };
        if let Some(bytes) = cache_bytes {
            config.cache_bytes = bytes;
        }
        let path = dir.path().join("bench.db");
        let db = dosql_storage::Database::open(&path, config).with_context(|| format!("opening {}", path.display()))?;
        let mut tx = db.begin_write()?;
        tx.create_tree(TREE)?;
        tx.commit()?;
        Ok(Self { db, dir })
    }
}

impl Engine for Ours {
    fn insert_txn(&mut self, keys: &[u64]) -> Result<()> {
        let mut value = [0u8; VALUE_LEN];
        let mut tx = self.db.begin_write()?;
        for &k in keys {
            fill_value(k, &mut value);
            tx.put(TREE, &key_bytes(k), &value)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn reader(&self) -> Result<Box<dyn Reader + '_>> {
        Ok(Box::new(OursReader { tx: self.db.begin_read() }))
    }

    fn finish(&mut self) -> Result<Duration> {
        let t = Instant::now();
        self.db.checkpoint()?;
        Ok(t.elapsed())
    }

    fn disk_bytes(&self) -> Result<u64> {
        dir_bytes(self.dir.path())
    }

    fn counters(&self) -> Option<String> {
        let st = self.db.stats();
        Some(format!(
            "commits {}, checkpoints {}, pages {}, cache hits {} misses {} evictions {} ({} of {} MiB used)",
            st.commits,
            st.checkpoints,
            st.page_count,
            st.cache.hits,
            st.cache.misses,
            st.cache.evictions,
            st.cache.bytes_cached / (1024 * 1024),
            st.cache.capacity_bytes / (1024 * 1024)
        ))
    }
}

struct OursReader {
    tx: dosql_storage::ReadTxn,
}

impl Reader for OursReader {
    fn get(&self, k: u64) -> Result<usize> {
        match self.tx.get(TREE, &key_bytes(k))? {
            Some(v) => {
                check_value(k, &v)?;
                Ok(v.len())
            }
            None => bail!("dosql: key {k} not found"),
        }
    }

    fn scan(&self, start: u64, len: u64) -> Result<usize> {
        let (lo, hi) = (key_bytes(start), key_bytes(start + len));
        let mut n = 0;
        for entry in self.tx.range(TREE, lo.as_slice()..hi.as_slice())? {
            let (key, value) = entry?;
            if key.len() != 8 || value.len() != VALUE_LEN {
                bail!("dosql: bad entry in scan from {start}");
            }
            n += 1;
        }
        Ok(n)
    }
}

/// redb 2.
struct Redb {
    db: redb::Database,
    durability: redb::Durability,
    dir: TempDir,
}

impl Redb {
    fn open(dir: TempDir, durability: Durability, cache_bytes: Option<usize>) -> Result<Self> {
        let path = dir.path().join("bench.redb");
        let mut builder = redb::Builder::new();
        if let Some(bytes) = cache_bytes {
            builder.set_cache_size(bytes);
        }
        let db = builder.create(&path).with_context(|| format!("creating {}", path.display()))?;
        let durability = match durability {
            Durability::Full => redb::Durability::Immediate,
            Durability::Normal => redb::Durability::Eventual,
            Durability::Off => redb::Durability::None,
        };
        let tx = db.begin_write()?;
        tx.open_table(TABLE)?;
        tx.commit()?;
        Ok(Self { db, durability, dir })
    }
}

impl Engine for Redb {
    fn insert_txn(&mut self, keys: &[u64]) -> Result<()> {
        let mut value = [0u8; VALUE_LEN];
        let mut tx = self.db.begin_write()?;
        tx.set_durability(self.durability);
        {
            let mut table = tx.open_table(TABLE)?;
            for &k in keys {
                fill_value(k, &mut value);
                table.insert(key_bytes(k).as_slice(), value.as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn reader(&self) -> Result<Box<dyn Reader + '_>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(TABLE)?;
        Ok(Box::new(RedbReader { table, _tx: tx }))
    }

    fn finish(&mut self) -> Result<Duration> {
        let t = Instant::now();
        let up = match self.durability {
            redb::Durability::None => Some(redb::Durability::Eventual),
            redb::Durability::Eventual => Some(redb::Durability::Immediate),
            _ => None,
        };
        if let Some(d) = up {
            let mut tx = self.db.begin_write()?;
            tx.set_durability(d);
            tx.commit()?;
        }
        Ok(t.elapsed())
    }

    fn disk_bytes(&self) -> Result<u64> {
        dir_bytes(self.dir.path())
    }
}

struct RedbReader {
    table: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
    _tx: redb::ReadTransaction,
}

impl Reader for RedbReader {
    fn get(&self, k: u64) -> Result<usize> {
        match self.table.get(key_bytes(k).as_slice())? {
            Some(v) => {
                let v = v.value();
                check_value(k, v)?;
                Ok(v.len())
            }
            None => bail!("redb: key {k} not found"),
        }
    }

    fn scan(&self, start: u64, len: u64) -> Result<usize> {
        let (lo, hi) = (key_bytes(start), key_bytes(start + len));
        let mut n = 0;
        for entry in self.table.range(lo.as_slice()..hi.as_slice())? {
            let (key, value) = entry?;
            if key.value().len() != 8 || value.value().len() != VALUE_LEN {
                bail!("redb: bad entry in scan from {start}");
            }
            n += 1;
        }
        Ok(n)
    }
}
