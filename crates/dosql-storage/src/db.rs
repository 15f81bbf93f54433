//! The database: opening and recovery, read and write transactions,
//! commits with group commit, checkpoints, retention, time travel and the
//! change feed.
//!
//! Concurrency: one writer at a time holds the writer lock for the life of
//! its [`WriteTxn`]; readers take the latest published [`Version`] (an
//! immutable root map) under a shared (read) lock, so readers never wait
//! for each other, only for the short moments a commit publishes. A
//! version is published to readers only once it is durable (in `full`
//! mode: after the WAL fsync), so a reader never sees a commit that a crash
//! could take back.
//!
//! Readers register by counting themselves on their base checkpoint's
//! [`Pin`] while they hold that lock (shared for the latest version,
//! exclusive for time travel), and leave with a plain atomic decrement. A
//! checkpoint reads the counts under the exclusive lock, so every reader
//! that registered before it is seen; one that registers after gets a base
//! no older than the last checkpoint, whose pages this checkpoint only
//! starts retiring.
//!
//! Page reuse is what can break a snapshot, so it follows one rule: a page
//! freed by checkpoint `K` is reused only when every retained checkpoint
//! (the retention base, the base checkpoint of every open reader, and the
//! history listed by the last durable checkpoint, which a crash would
//! recover) is `K` or newer.

use crate::btree::{self, Freed, Limits, WriteCtx};
use crate::cache::CacheStats;
use crate::config::{Config, Synchronous};
use crate::cursor::{Cursor, KeyBounds, Range, materialize};
use crate::error::{Error, Result};
use crate::meta::{DATA_START, Meta, SLOT_LEN, SLOT_OFFSETS, SlotState};
use crate::node::{Leaf, Node, NodeRef, Val, ValRef, Written, leaf_entry_len};
use crate::pager::Pager;
use crate::system::{CkptInfo, FreeSpace, SystemState};
use crate::vfs::{FileStorage, MemStorage, Storage, read_exact_at};
use crate::wal::{self, ChangeKind, CommittedTxn, LogOp, Lsn, TreeId, TxnLog, Wal, WalStats};
use parking_lot::{ArcMutexGuard, Mutex, RawMutex, RwLock};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};

/// Largest value the engine stores.
pub const MAX_VALUE_LEN: usize = 256 * 1024 * 1024;

/// One tree in a version.
#[derive(Clone, Debug)]
pub(crate) struct TreeState {
    root: NodeRef,
    len: u64,
}

/// An immutable state of every tree: what a snapshot reads.
#[derive(Clone, Debug)]
pub(crate) struct Version {
    trees: Arc<BTreeMap<TreeId, TreeState>>,
    /// The last commit included.
    lsn: Lsn,
    /// The checkpoint whose pages this version's on-disk nodes belong to.
    base_ckpt: u64,
}

/// What recovery found when the database was opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The checkpoint recovery started from.
    pub checkpoint_id: u64,
    /// Its LSN.
    pub checkpoint_lsn: Lsn,
    /// Committed transactions replayed from the log.
    pub replayed_txns: u64,
    /// The last LSN after recovery.
    pub last_lsn: Lsn,
    /// Bytes of torn, corrupt or incomplete log cut off.
    pub truncated_bytes: u64,
    /// Why the log was cut, if it was.
    pub truncation_reason: Option<String>,
}

/// What a checkpoint did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckpointStats {
    /// The new checkpoint's id.
    pub checkpoint_id: u64,
    /// Its LSN.
    pub lsn: Lsn,
    /// Pages written (nodes, large values and the system blob).
    pub pages_written: u64,
    /// Pages that became reusable.
    pub pages_freed: u64,
    /// WAL segments removed.
    pub wal_segments_removed: u64,
}

/// Counters and sizes of an open database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Page cache counters.
    pub cache: CacheStats,
    /// Log counters.
    pub wal: WalStats,
    /// The last committed LSN.
    pub last_lsn: Lsn,
    /// The last checkpoint's id.
    pub checkpoint_id: u64,
    /// The last checkpoint's LSN.
    pub checkpoint_lsn: Lsn,
    /// Pages in the data file.
    pub page_count: u64,
    /// Pages free for reuse.
    pub free_pages: u64,
    /// Pages freed but still needed by a retained checkpoint.
    pub pending_free_pages: u64,
    /// Nodes changed since the last checkpoint.
    pub dirty_pages: u64,
    /// Transactions committed since open.
    pub commits: u64,
    /// Checkpoints since open.
    pub checkpoints: u64,
}

struct WriterState {
    /// The latest committed version (possibly not yet durable).
    committed: Version,
    next_lsn: Lsn,
    next_txid: u64,
    space: FreeSpace,
    /// Freed by commits since the last checkpoint (tagged at the next one).
    pending_freed: Vec<Freed>,
    dirty_pages: u64,
    meta_slot: usize,
    /// The last transaction's log buffer, kept for the next one's.
    log_buf: Vec<u8>,
}

/// The number of open readers whose snapshot is based on one checkpoint.
/// Incremented only under the [`Published`] lock; decremented anywhere.
#[derive(Debug, Default)]
struct Pin {
    readers: AtomicUsize,
}

/// What new readers start from, behind its own lock so that beginning and
/// ending a read never touches the writer's or checkpoint's state.
struct Published {
    /// The latest durable version: what new readers see.
    current: Version,
    /// The pin of `current.base_ckpt` (also in `pins`).
    pin: Arc<Pin>,
    /// Base checkpoint id -> its pin. Entries with no readers, other than
    /// the current version's, are pruned by checkpoints.
    pins: BTreeMap<u64, Arc<Pin>>,
}

impl Published {
    fn new(current: Version) -> Self {
        let pin = Arc::new(Pin::default());
        let pins = BTreeMap::from([(current.base_ckpt, pin.clone())]);
        Published { current, pin, pins }
    }

    /// Registers one more reader on checkpoint `base`.
    fn pin_exclusive(&mut self, base: u64) -> Arc<Pin> {
        let pin = self.pins.entry(base).or_default().clone();
        pin.readers.fetch_add(1, Ordering::SeqCst);
        pin
    }

    /// The oldest checkpoint an open reader is based on (`u64::MAX` if
    /// none); forgets pins nobody holds. Needs the exclusive lock, so no
    /// registration runs concurrently.
    fn oldest_reader(&mut self) -> u64 {
        let current = self.current.base_ckpt;
        self.pins.retain(|id, p| *id == current || p.readers.load(Ordering::SeqCst) > 0);
        self.pins.iter().find(|(_, p)| p.readers.load(Ordering::SeqCst) > 0).map_or(u64::MAX, |(id, _)| *id)
    }
}

struct Shared {
    /// The last durable checkpoint.
    ckpt: CkptInfo,
    /// Older checkpoints still retained, oldest first.
    history: Vec<CkptInfo>,
    consumers: BTreeMap<String, Lsn>,
}

struct Inner {
    storage: Arc<dyn Storage>,
    name: String,
    path: String,
    config: Config,
    pager: Arc<Pager>,
    limits: Limits,
    wal: Wal,
    /// In an `Arc` so a write transaction can own its guard.
    writer: Arc<Mutex<WriterState>>,
    /// Lock order: `shared` before `published`.
    shared: Mutex<Shared>,
    published: RwLock<Published>,
    /// `published.current.lsn`, readable without the lock.
    published_lsn: AtomicU64,
    poisoned: Mutex<Option<String>>,
    recovery: RecoveryReport,
    commits: AtomicU64,
    checkpoints: AtomicU64,
    /// The file was opened as a clean close left it (nothing to recover).
    opened_clean: bool,
    /// The durability mode in force (it may change after opening).
    synchronous: AtomicU8,
}

impl Inner {
    fn synchronous(&self) -> Synchronous {
        sync_from(self.synchronous.load(Ordering::SeqCst))
    }
}

fn sync_code(s: Synchronous) -> u8 {
    match s {
        Synchronous::Full => 2,
        Synchronous::Normal => 1,
        Synchronous::Off => 0,
    }
}

fn sync_from(c: u8) -> Synchronous {
    match c {
        2 => Synchronous::Full,
        1 => Synchronous::Normal,
        _ => Synchronous::Off,
    }
}

/// An open database: one writer, many snapshot readers. Cheap to clone;
/// clones share the same database.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

fn io_err(storage: &dyn Storage, name: &str) -> impl Fn(std::io::Error) -> Error {
    let path = storage.describe(name);
    move |e| Error::io(&path, e)
}

impl Database {
    /// Opens (creating if absent) the database file at `path`; its log
    /// segments live beside it as `{path}-wal-*`.
    pub fn open(path: impl AsRef<Path>, config: Config) -> Result<Database> {
        let path = path.as_ref();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::InvalidConfig(format!("{} is not a file path", path.display())))?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let storage = FileStorage::new(&dir).map_err(|e| Error::io(&dir.display().to_string(), e))?;
        Self::open_with_storage(Arc::new(storage), name, config)
    }

    /// Opens a fresh database held in memory.
    pub fn open_in_memory(config: Config) -> Result<Database> {
        Self::open_with_storage(Arc::new(MemStorage::new()), "memory.db", config)
    }

    /// Opens the database `name` in `storage`, recovering it if needed.
    pub fn open_with_storage(storage: Arc<dyn Storage>, name: &str, config: Config) -> Result<Database> {
        config.validate()?;
        let path = storage.describe(name);
        let file = storage.open(name).map_err(io_err(&*storage, name))?;
        let file_len = file.len().map_err(io_err(&*storage, name))?;
        let now = config.clock.now_ms();
        let (meta, meta_slot) = if file_len == 0 {
            let meta = Meta {
                page_size: config.page_size as u32,
                checkpoint_id: 0,
                checkpoint_lsn: 0,
                next_txid: 1,
                page_count: 0,
                system_first: 0,
                system_len: 0,
                system_crc: 0,
                timestamp_ms: now,
                durable: config.synchronous != Synchronous::Off,
            };
            file.write_at(SLOT_OFFSETS[0], &meta.encode()).map_err(io_err(&*storage, name))?;
            file.set_len(DATA_START).map_err(io_err(&*storage, name))?;
            file.sync().map_err(io_err(&*storage, name))?;
            storage.sync_dir().map_err(io_err(&*storage, name))?;
            (meta, 0)
        } else {
            read_meta(&*file, &path, file_len)?
        };
        let page_size = meta.page_size as usize;
        if !page_size.is_power_of_two() || !(1024..=65536).contains(&page_size) {
            return Err(Error::Corrupt { path, reason: format!("invalid page size {page_size} in the header") });
        }
        let needed = DATA_START + meta.page_count.saturating_mul(page_size as u64);
        if file_len < needed && file_len != 0 {
            return Err(Error::Corrupt {
                path,
                reason: format!("file is truncated: it has {file_len} bytes, the last checkpoint needs {needed}"),
            });
        }
        let pager = Arc::new(Pager::new(file, path.clone(), page_size, config.cache_bytes));
        let sys = if meta.system_len == 0 {
            SystemState { space: FreeSpace { page_count: meta.page_count, ..Default::default() }, ..Default::default() }
        } else {
            let buf = pager.read_run(meta.system_first, meta.system_len, meta.system_crc)?;
            SystemState::decode(&buf, meta.page_count)
                .map_err(|e| pager.corrupt(meta.system_first, format!("system blob: {}", e.0)))?
        };
        let limits = Limits::new(page_size);
        let trees = sys
            .trees
            .iter()
            .map(|(id, (root, len))| (*id, TreeState { root: NodeRef::Disk(*root), len: *len }))
            .collect();
        let mut version = Version { trees: Arc::new(trees), lsn: meta.checkpoint_lsn, base_ckpt: meta.checkpoint_id };

        // Replay the valid prefix of the log on top of the checkpoint.
        let mut pending_freed = Vec::new();
        let mut dirty = 0u64;
        let mut replayed = 0u64;
        let mut max_txid = 0u64;
        let end = {
            let mut ctx = WriteCtx { pager: &pager, limits, freed: &mut pending_freed, dirty: &mut dirty };
            let segs = wal::list_segments(&*storage, name)?;
            if let Some((first, seg)) = segs.first()
                && *first > meta.checkpoint_lsn + 1
            {
                return Err(Error::Corrupt {
                    path: storage.describe(seg),
                    reason: format!(
                        "the log is missing LSNs {} to {} after checkpoint {}",
                        meta.checkpoint_lsn + 1,
                        first - 1,
                        meta.checkpoint_id
                    ),
                });
            }
            wal::scan(&*storage, name, meta.checkpoint_lsn, Lsn::MAX, &mut |txn| {
                max_txid = max_txid.max(txn.txid);
                replayed += 1;
                apply_txn(&mut ctx, &mut version, &txn).map(|()| true)
            })?
        };
        let mut end = end;
        if end.last_lsn < meta.checkpoint_lsn {
            // The log lost records the checkpoint already holds (possible only
            // without fsync): start a fresh log after the checkpoint.
            for (_, seg) in wal::list_segments(&*storage, name)? {
                end.dead_segments.push(seg);
            }
            end.segment = None;
            end.last_lsn = meta.checkpoint_lsn;
        }
        let last_lsn = end.last_lsn.max(meta.checkpoint_lsn);
        let recovery = RecoveryReport {
            checkpoint_id: meta.checkpoint_id,
            checkpoint_lsn: meta.checkpoint_lsn,
            replayed_txns: replayed,
            last_lsn,
            truncated_bytes: end.cut_bytes,
            truncation_reason: end.cut_reason.clone(),
        };
        // A database closed cleanly opens without a single fsync: the last
        // checkpoint holds everything, and its record says the session that
        // wrote it made it durable.
        let clean = meta.durable
            && replayed == 0
            && end.cut_bytes == 0
            && end.dead_segments.is_empty()
            && end.segment.is_some()
            && end.last_lsn >= meta.checkpoint_lsn;
        let sync_now = config.synchronous != Synchronous::Off && !clean;
        if sync_now {
            // What recovery read may be only in the OS cache (written in
            // `off` mode, or before a process crash): make it durable before
            // readers see it and commits build on it, and before `Wal::open`
            // makes the log segment removals it relies on durable.
            pager.sync()?;
        }
        let wal = Wal::open(
            storage.clone(),
            name,
            &end,
            (config.wal_segment_bytes, config.synchronous != Synchronous::Off),
            sync_now,
        )?;
        let ckpt = CkptInfo {
            id: meta.checkpoint_id,
            lsn: meta.checkpoint_lsn,
            timestamp_ms: meta.timestamp_ms,
            sys_first: meta.system_first,
            sys_len: meta.system_len,
            sys_crc: meta.system_crc,
        };
        let inner = Inner {
            storage,
            name: name.to_string(),
            path,
            pager,
            limits,
            wal,
            writer: Arc::new(Mutex::new(WriterState {
                committed: version.clone(),
                next_lsn: last_lsn + 1,
                next_txid: meta.next_txid.max(max_txid + 1),
                space: sys.space,
                pending_freed,
                dirty_pages: dirty,
                meta_slot,
                log_buf: Vec::new(),
            })),
            published_lsn: AtomicU64::new(version.lsn),
            published: RwLock::new(Published::new(version)),
            shared: Mutex::new(Shared { ckpt, history: sys.history, consumers: sys.consumers }),
            poisoned: Mutex::new(None),
            recovery,
            commits: AtomicU64::new(0),
            checkpoints: AtomicU64::new(0),
            opened_clean: clean,
            synchronous: AtomicU8::new(sync_code(config.synchronous)),
            config,
        };
        Ok(Database { inner: Arc::new(inner) })
    }

    /// What recovery found when this database was opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.inner.recovery
    }

    /// The location of the data file.
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// The page size in bytes.
    pub fn page_size(&self) -> usize {
        self.inner.limits.page_size
    }

    /// Longest key the trees accept at this page size.
    pub fn max_key_len(&self) -> usize {
        self.inner.limits.max_key
    }

    /// The configuration the database was opened with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The durability mode in force.
    pub fn synchronous(&self) -> Synchronous {
        self.inner.synchronous()
    }

    /// Changes the durability mode of later commits. Leaving `off` first
    /// makes everything written so far durable (log segments and data
    /// file), so the stronger guarantee covers the whole history from then
    /// on. Commits already acknowledged keep the guarantee they had.
    pub fn set_synchronous(&self, mode: Synchronous) -> Result<()> {
        let inner = &*self.inner;
        if mode != Synchronous::Off && inner.synchronous() == Synchronous::Off {
            inner.pager.sync()?;
            inner.wal.set_sync(true)?;
        } else if mode == Synchronous::Off {
            inner.wal.set_sync(false)?;
        }
        inner.synchronous.store(sync_code(mode), Ordering::SeqCst);
        Ok(())
    }

    /// Changes the page cache budget; a smaller one evicts at once.
    pub fn set_cache_bytes(&self, bytes: usize) {
        self.inner.pager.set_cache_bytes(bytes);
    }

    /// A read-only snapshot of the latest durable commit.
    pub fn begin_read(&self) -> ReadTxn {
        let p = self.inner.published.read();
        let version = p.current.clone();
        // Counted while the shared lock is held: see the module doc.
        p.pin.readers.fetch_add(1, Ordering::SeqCst);
        let pin = p.pin.clone();
        drop(p);
        ReadTxn { inner: self.inner.clone(), version, pin }
    }

    /// Starts the write transaction, waiting for the current writer to end.
    pub fn begin_write(&self) -> Result<WriteTxn> {
        self.check_poisoned()?;
        let mut guard = self.inner.writer.lock_arc();
        let version = guard.committed.clone();
        let log = TxnLog::new(std::mem::take(&mut guard.log_buf), guard.next_lsn, guard.next_txid);
        Ok(WriteTxn {
            db: self.clone(),
            guard: Some(guard),
            version,
            log,
            freed: Vec::new(),
            dirty: 0,
            savepoints: Vec::new(),
            dropped: Vec::new(),
            broken: None,
        })
    }

    fn check_poisoned(&self) -> Result<()> {
        match &*self.inner.poisoned.lock() {
            Some(why) => Err(Error::Poisoned(why.clone())),
            None => Ok(()),
        }
    }

    fn poison(&self, e: &Error) {
        let mut p = self.inner.poisoned.lock();
        if p.is_none() {
            *p = Some(e.to_string());
        }
    }

    fn publish(&self, v: &Version) {
        let mut p = self.inner.published.write();
        let cur = &p.current;
        if v.lsn > cur.lsn || (v.lsn == cur.lsn && v.base_ckpt > cur.base_ckpt) {
            if v.base_ckpt != cur.base_ckpt {
                p.pin = p.pins.entry(v.base_ckpt).or_default().clone();
            }
            // The replaced version may hold the last reference to nodes:
            // free them after letting readers in again.
            let old = std::mem::replace(&mut p.current, v.clone());
            self.inner.published_lsn.store(v.lsn, Ordering::SeqCst);
            drop(p);
            drop(old);
        }
    }

    /// A read-only snapshot as of `lsn` (time travel): it holds every
    /// transaction whose commit LSN is `<= lsn`. The LSN must be retained
    /// (see [`crate::Retention`] and the change-feed consumers).
    pub fn snapshot_at(&self, lsn: Lsn) -> Result<ReadTxn> {
        let (base, current, pin) = {
            let sh = self.inner.shared.lock();
            let mut p = self.inner.published.write();
            let current = p.current.lsn;
            if lsn > current {
                return Err(Error::LsnInFuture { lsn, last: current });
            }
            if lsn == current {
                drop((p, sh));
                return Ok(self.begin_read());
            }
            let candidates = sh.history.iter().chain(std::iter::once(&sh.ckpt));
            let Some(base) = candidates.filter(|c| c.lsn <= lsn).max_by_key(|c| c.id).copied() else {
                let oldest = sh.history.first().unwrap_or(&sh.ckpt).lsn;
                return Err(Error::LsnNotRetained { lsn, oldest });
            };
            // Registered with both locks held, so no checkpoint can drop
            // `base` from the history between choosing it and pinning it.
            let pin = p.pin_exclusive(base.id);
            (base, current, pin)
        };
        // From here the reader holds `base`; build the version, releasing on error.
        match self.version_at(base, lsn.min(current)) {
            Ok(version) => Ok(ReadTxn { inner: self.inner.clone(), version, pin }),
            Err(e) => {
                pin.readers.fetch_sub(1, Ordering::SeqCst);
                Err(e)
            }
        }
    }

    fn version_at(&self, base: CkptInfo, lsn: Lsn) -> Result<Version> {
        let inner = &*self.inner;
        let trees = if base.sys_len == 0 {
            BTreeMap::new()
        } else {
            let buf = inner.pager.read_run(base.sys_first, base.sys_len, base.sys_crc)?;
            let page_count = u64::MAX / inner.limits.page_size as u64;
            SystemState::decode(&buf, page_count)
                .map_err(|e| inner.pager.corrupt(base.sys_first, format!("system blob: {}", e.0)))?
                .trees
        };
        let trees =
            trees.into_iter().map(|(id, (root, len))| (id, TreeState { root: NodeRef::Disk(root), len })).collect();
        let mut version = Version { trees: Arc::new(trees), lsn: base.lsn, base_ckpt: base.id };
        let (mut freed, mut dirty) = (Vec::new(), 0);
        let mut ctx = WriteCtx { pager: &inner.pager, limits: inner.limits, freed: &mut freed, dirty: &mut dirty };
        wal::scan(&*inner.storage, &inner.name, base.lsn, lsn, &mut |txn| {
            apply_txn(&mut ctx, &mut version, &txn).map(|()| true)
        })?;
        Ok(version)
    }

    /// Committed transactions with commit LSN greater than `after`, in
    /// commit order, up to `max_txns` of them and never past the latest
    /// durable commit. Returns an empty list when the feed is caught up.
    pub fn read_changes(&self, after: Lsn, max_txns: usize) -> Result<Vec<CommittedTxn>> {
        let until = self.inner.published_lsn.load(Ordering::SeqCst);
        let first = self.inner.wal.first_lsn();
        if after + 1 < first {
            return Err(Error::LsnNotRetained { lsn: after, oldest: first - 1 });
        }
        let mut out = Vec::new();
        wal::scan(&*self.inner.storage, &self.inner.name, after, until, &mut |txn| {
            out.push(txn);
            Ok(out.len() < max_txns)
        })?;
        Ok(out)
    }

    /// Iterates committed transactions after `after`, in batches, until it
    /// is caught up with the latest durable commit.
    pub fn changes_since(&self, after: Lsn) -> ChangeFeed {
        ChangeFeed { db: self.clone(), after, buffer: std::collections::VecDeque::new(), done: false }
    }

    /// Registers (or moves) a change-feed consumer: the log after `lsn` is
    /// retained until the consumer acknowledges it. Persisted at the next
    /// checkpoint.
    pub fn register_consumer(&self, name: &str, lsn: Lsn) {
        self.inner.shared.lock().consumers.insert(name.to_string(), lsn);
    }

    /// Records that consumer `name` has processed everything up to `lsn`.
    pub fn ack_consumer(&self, name: &str, lsn: Lsn) -> Result<()> {
        let mut sh = self.inner.shared.lock();
        match sh.consumers.get_mut(name) {
            Some(l) => {
                *l = (*l).max(lsn);
                Ok(())
            }
            None => Err(Error::InvalidConfig(format!("no such change-feed consumer: {name}"))),
        }
    }

    /// Forgets a consumer, releasing the log it held back.
    pub fn remove_consumer(&self, name: &str) {
        self.inner.shared.lock().consumers.remove(name);
    }

    /// Registered consumers and their acknowledged LSNs.
    pub fn consumers(&self) -> Vec<(String, Lsn)> {
        self.inner.shared.lock().consumers.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// The oldest LSN a snapshot or the change feed can still start from.
    pub fn oldest_retained_lsn(&self) -> Lsn {
        let sh = self.inner.shared.lock();
        sh.history.first().unwrap_or(&sh.ckpt).lsn
    }

    /// The LSN of the latest commit readers see: cheaper than
    /// [`Database::begin_read`] for noticing that something was committed.
    pub fn last_lsn(&self) -> Lsn {
        self.inner.published_lsn.load(Ordering::SeqCst)
    }

    /// Counters and sizes.
    pub fn stats(&self) -> Stats {
        let inner = &*self.inner;
        let (space, dirty, last) = {
            let w = inner.writer.lock();
            (w.space.clone(), w.dirty_pages, w.committed.lsn)
        };
        let sh = inner.shared.lock();
        Stats {
            cache: inner.pager.cache_stats(),
            wal: inner.wal.stats(),
            last_lsn: last,
            checkpoint_id: sh.ckpt.id,
            checkpoint_lsn: sh.ckpt.lsn,
            page_count: space.page_count,
            free_pages: space.free_pages(),
            pending_free_pages: space.pending_pages(),
            dirty_pages: dirty,
            commits: inner.commits.load(Ordering::Relaxed),
            checkpoints: inner.checkpoints.load(Ordering::Relaxed),
        }
    }

    /// Checkpoints now: writes every change since the last checkpoint to
    /// the data file and reclaims what retention allows.
    pub fn checkpoint(&self) -> Result<CheckpointStats> {
        self.check_poisoned()?;
        let mut w = self.inner.writer.lock();
        let r = self.checkpoint_locked(&mut w);
        if let Err(e) = &r {
            self.poison(e);
        }
        r
    }

    /// Checkpoints if a threshold of the configuration is reached; what the
    /// commit path and background alarms call.
    pub fn maybe_checkpoint(&self) -> Result<Option<CheckpointStats>> {
        self.check_poisoned()?;
        let mut w = self.inner.writer.lock();
        if !self.should_checkpoint(&w) {
            return Ok(None);
        }
        let r = self.checkpoint_locked(&mut w);
        if let Err(e) = &r {
            self.poison(e);
        }
        r.map(Some)
    }

    fn should_checkpoint(&self, w: &WriterState) -> bool {
        let cfg = &self.inner.config.checkpoint;
        let (last_ms, last_lsn) = {
            let sh = self.inner.shared.lock();
            (sh.ckpt.timestamp_ms, sh.ckpt.lsn)
        };
        if w.committed.lsn == last_lsn {
            return false;
        }
        if w.dirty_pages.saturating_mul(self.inner.limits.page_size as u64) > cfg.max_dirty_bytes {
            return true;
        }
        let since = self.inner.config.clock.now_ms().saturating_sub(last_ms);
        if since < cfg.min_interval.as_millis() as u64 {
            return false;
        }
        if since >= cfg.max_interval.as_millis() as u64 {
            return true;
        }
        let st = self.inner.wal.stats();
        st.bytes_since_checkpoint > cfg.wal_size_threshold_bytes
            || st.entries_since_checkpoint > cfg.wal_entry_threshold
    }

    /// Picks the retention base: the newest checkpoint that every retention
    /// reason allows dropping history up to.
    fn retention_base(&self, sh: &Shared) -> CkptInfo {
        let now = self.inner.config.clock.now_ms();
        let keep_ms = self.inner.config.retention.history.as_millis() as u64;
        let horizon_ms = now.saturating_sub(keep_ms);
        let consumer_lsn = sh.consumers.values().copied().min().unwrap_or(Lsn::MAX);
        let all = || sh.history.iter().chain(std::iter::once(&sh.ckpt));
        let ok = |c: &&CkptInfo| c.lsn <= consumer_lsn && (keep_ms == 0 || c.timestamp_ms <= horizon_ms);
        all().filter(ok).max_by_key(|c| c.id).or_else(|| all().min_by_key(|c| c.id)).copied().unwrap_or(sh.ckpt)
    }

    fn checkpoint_locked(&self, w: &mut WriterState) -> Result<CheckpointStats> {
        let inner = &*self.inner;
        let pager = &*inner.pager;
        let sync = inner.synchronous() != Synchronous::Off;
        let v = w.committed.clone();
        if sync {
            inner.wal.sync_to(v.lsn)?;
        }
        self.publish(&v);
        let (prev, base, reuse_upto) = {
            let sh = inner.shared.lock();
            let base = self.retention_base(&sh);
            let min_reader = inner.published.write().oldest_reader();
            let base = base.id.min(min_reader);
            // Until this checkpoint's meta is durable, the durable one (and
            // the history it lists) is what a crash recovers: keep its pages.
            let durable_oldest = sh.history.first().map_or(sh.ckpt.id, |c| c.id);
            (sh.ckpt, base, base.min(durable_oldest))
        };
        let k = prev.id + 1;
        let pages_freed = w.space.promote(reuse_upto);
        let before_count = w.space.page_count;

        // Write every in-memory node, children first, to free locations.
        let mut written = 0u64;
        let mut trees = BTreeMap::new();
        let mut dir = BTreeMap::new();
        for (id, t) in v.trees.iter() {
            let root = write_tree(pager, &mut w.space, &t.root, k, &mut written, 0)?;
            dir.insert(*id, (root, t.len));
            trees.insert(*id, TreeState { root: NodeRef::Disk(root), len: t.len });
        }
        // This checkpoint retires the pages its transactions replaced and the
        // previous system blob.
        for f in w.pending_freed.drain(..) {
            w.space.pending.push((k, f));
        }
        if prev.sys_len > 0 {
            w.space.pending.push((k, Freed { first: prev.sys_first, pages: pager.run_pages(prev.sys_len) }));
        }
        let (history, consumers) = {
            let sh = inner.shared.lock();
            let mut h: Vec<CkptInfo> = sh.history.iter().copied().filter(|c| c.id >= base).collect();
            if prev.id >= base {
                h.push(prev);
            }
            (h, sh.consumers.clone())
        };
        let mut sys = SystemState { trees: dir, space: w.space.clone(), history: history.clone(), consumers };
        // The blob's own allocation changes the free list it records: allocate
        // for a generous size first, then encode the state after allocation.
        let estimate = sys.encode().len() as u64 + 64;
        let sys_first = w.space.alloc(pager.run_pages(estimate));
        sys.space = w.space.clone();
        let blob = sys.encode();
        pager.write_run(sys_first, &blob)?;
        written += pager.run_pages(blob.len() as u64);
        // A run that ends the file may end mid-page: the file must hold whole pages.
        let file_len_needed = DATA_START + w.space.page_count * inner.limits.page_size as u64;
        let file = pager.file();
        if file.len().map_err(|e| Error::io(pager.path(), e))? < file_len_needed {
            file.set_len(file_len_needed).map_err(|e| Error::io(pager.path(), e))?;
        }
        if sync {
            pager.sync()?;
        }
        let now = inner.config.clock.now_ms();
        let meta = Meta {
            page_size: inner.limits.page_size as u32,
            checkpoint_id: k,
            checkpoint_lsn: v.lsn,
            next_txid: w.next_txid,
            page_count: w.space.page_count,
            system_first: sys_first,
            system_len: blob.len() as u64,
            system_crc: crc32fast::hash(&blob),
            timestamp_ms: now,
            durable: sync,
        };
        let slot = 1 - w.meta_slot;
        file.write_at(SLOT_OFFSETS[slot], &meta.encode()).map_err(|e| Error::io(pager.path(), e))?;
        if sync {
            pager.sync()?;
        }
        w.meta_slot = slot;
        // The checkpoint is durable: switch everything to it.
        let ckpt = CkptInfo {
            id: k,
            lsn: v.lsn,
            timestamp_ms: now,
            sys_first,
            sys_len: meta.system_len,
            sys_crc: meta.system_crc,
        };
        let new_version = Version { trees: Arc::new(trees), lsn: v.lsn, base_ckpt: k };
        w.committed = new_version.clone();
        w.dirty_pages = 0;
        let keep_wal_from = {
            let mut sh = inner.shared.lock();
            sh.ckpt = ckpt;
            sh.history = history;
            sh.history.first().unwrap_or(&sh.ckpt).lsn + 1
        };
        self.publish(&new_version);
        inner.wal.checkpointed()?;
        let removed = inner.wal.remove_before(keep_wal_from)?;
        if w.space.page_count < before_count {
            let len = DATA_START + w.space.page_count * inner.limits.page_size as u64;
            file.set_len(len.max(DATA_START)).map_err(|e| Error::io(pager.path(), e))?;
            for p in w.space.page_count..before_count {
                pager.forget(p);
            }
        }
        inner.checkpoints.fetch_add(1, Ordering::Relaxed);
        Ok(CheckpointStats {
            checkpoint_id: k,
            lsn: v.lsn,
            pages_written: written,
            pages_freed,
            wal_segments_removed: removed,
        })
    }

    /// Checkpoints (if configured to) and closes the database.
    pub fn close(self) -> Result<()> {
        let inner = &*self.inner;
        // A session that opened a cleanly closed file and changed nothing
        // leaves it as it found it: no checkpoint, no write, no fsync.
        let untouched = inner.opened_clean
            && inner.commits.load(Ordering::SeqCst) == 0
            && inner.checkpoints.load(Ordering::SeqCst) == 0;
        if inner.config.checkpoint.checkpoint_on_close && !untouched && inner.poisoned.lock().is_none() {
            self.checkpoint()?;
        }
        Ok(())
    }
}

/// Reads and chooses the meta record of an existing file.
fn read_meta(file: &dyn crate::vfs::StorageFile, path: &str, file_len: u64) -> Result<(Meta, usize)> {
    let mut states = Vec::new();
    for off in SLOT_OFFSETS {
        let mut b = vec![0u8; SLOT_LEN];
        let state = match read_exact_at(file, off, &mut b) {
            Ok(()) => Meta::decode(&b),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                let n = file.read_at(off, &mut b).map_err(|e| Error::io(path, e))?;
                if n >= 8 && &b[..8] == crate::meta::MAGIC { SlotState::Damaged } else { SlotState::Foreign }
            }
            Err(e) => return Err(Error::io(path, e)),
        };
        states.push(state);
    }
    let mut best: Option<(Meta, usize)> = None;
    for (i, s) in states.iter().enumerate() {
        if let SlotState::Valid(m) = s
            && best.is_none_or(|(b, _)| m.checkpoint_id > b.checkpoint_id)
        {
            best = Some((*m, i));
        }
    }
    if let Some(b) = best {
        return Ok(b);
    }
    if let Some(v) = states.iter().find_map(|s| if let SlotState::NewerVersion(v) = s { Some(*v) } else { None }) {
        return Err(Error::UnsupportedVersion {
            path: path.to_string(),
            found: v,
            supported: crate::meta::FORMAT_VERSION,
        });
    }
    if matches!(states[0], SlotState::Foreign) {
        return Err(Error::NotADatabase {
            path: path.to_string(),
            reason: format!("the file ({file_len} bytes) does not start with the DoSQL header"),
        });
    }
    if file_len < DATA_START {
        return Err(Error::Corrupt {
            path: path.to_string(),
            reason: format!("file is truncated: {file_len} bytes, shorter than the {DATA_START}-byte header"),
        });
    }
    Err(Error::Corrupt { path: path.to_string(), reason: "both header meta records fail their checksums".into() })
}

/// Writes the in-memory nodes under `r` (children first) and returns the
/// page of `r`.
fn write_tree(
    pager: &Pager,
    space: &mut FreeSpace,
    r: &NodeRef,
    generation: u64,
    written: &mut u64,
    depth: usize,
) -> Result<u64> {
    let node = match r {
        NodeRef::Disk(pid) => return Ok(*pid),
        NodeRef::Mem(n) => n,
    };
    if depth > btree::MAX_DEPTH {
        return Err(Error::Corrupt { path: pager.path().to_string(), reason: "tree too deep".into() });
    }
    // The node itself is left alone (the new version drops it): only where
    // its in-memory parts went is collected, for the encoder.
    let mut out = Written::default();
    match &**node {
        Node::Branch(b) => {
            for c in &b.children {
                if let NodeRef::Mem(_) = c {
                    out.children.push(write_tree(pager, space, c, generation, written, depth + 1)?);
                }
            }
        }
        Node::Leaf(l) => {
            for data in l.bigs_in_order() {
                let pages = pager.run_pages(data.len() as u64);
                let first = space.alloc(pages);
                pager.write_run(first, data)?;
                *written += pages;
                out.runs.push((first, data.len() as u64, crc32fast::hash(data)));
            }
        }
    }
    let pid = space.alloc(1);
    pager.write_node(pid, node, generation, &out)?;
    *written += 1;
    Ok(pid)
}

/// Applies a committed transaction from the log to `version`.
fn apply_txn(ctx: &mut WriteCtx<'_>, version: &mut Version, txn: &CommittedTxn) -> Result<()> {
    for c in &txn.changes {
        match c.kind {
            ChangeKind::Insert | ChangeKind::Update => {
                let after = c.after.as_deref().unwrap_or_default();
                put_val(ctx, version, c.tree, &c.key, after)?;
            }
            ChangeKind::Delete => {
                delete_val(ctx, version, c.tree, &c.key)?;
            }
            ChangeKind::CreateTree => create_tree(version, c.tree)?,
            ChangeKind::DropTree => drop_tree(ctx, version, c.tree)?,
        }
    }
    version.lsn = txn.commit_lsn;
    Ok(())
}

fn tree_mut(version: &mut Version, tree: TreeId) -> Result<&mut TreeState> {
    Arc::make_mut(&mut version.trees).get_mut(&tree).ok_or(Error::NoSuchTree(tree))
}

fn put_val(
    ctx: &mut WriteCtx<'_>,
    version: &mut Version,
    tree: TreeId,
    key: &[u8],
    value: &[u8],
) -> Result<Option<Val>> {
    // Small values are copied straight into the leaf.
    let big;
    let val = if leaf_entry_len(key, ValRef::Inline(value)) <= ctx.limits.max_entry {
        ValRef::Inline(value)
    } else {
        big = Arc::new(value.to_vec());
        ValRef::Big(&big)
    };
    let t = tree_mut(version, tree)?;
    let old = btree::insert(ctx, &mut t.root, key, val)?;
    match &old {
        Some(v) => {
            if let Some(f) = btree::overflow_pages(ctx.pager, v) {
                ctx.freed.push(f);
            }
        }
        None => t.len += 1,
    }
    Ok(old)
}

fn delete_val(ctx: &mut WriteCtx<'_>, version: &mut Version, tree: TreeId, key: &[u8]) -> Result<Option<Val>> {
    let t = tree_mut(version, tree)?;
    let old = btree::remove(ctx, &mut t.root, key)?;
    if let Some(v) = &old {
        t.len -= 1;
        if let Some(f) = btree::overflow_pages(ctx.pager, v) {
            ctx.freed.push(f);
        }
    }
    Ok(old)
}

fn create_tree(version: &mut Version, tree: TreeId) -> Result<()> {
    let trees = Arc::make_mut(&mut version.trees);
    if trees.contains_key(&tree) {
        return Err(Error::TreeExists(tree));
    }
    trees.insert(tree, TreeState { root: NodeRef::Mem(Arc::new(Node::Leaf(Leaf::empty()))), len: 0 });
    Ok(())
}

fn drop_tree(ctx: &mut WriteCtx<'_>, version: &mut Version, tree: TreeId) -> Result<()> {
    let trees = Arc::make_mut(&mut version.trees);
    let t = trees.remove(&tree).ok_or(Error::NoSuchTree(tree))?;
    btree::free_all(ctx, &t.root)
}

fn version_get(pager: &Pager, v: &Version, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>> {
    let t = v.trees.get(&tree).ok_or(Error::NoSuchTree(tree))?;
    match btree::get(pager, &t.root, key)? {
        Some(Val::Inline(bytes)) => Ok(Some(bytes)),
        Some(val) => materialize(pager, &val).map(Some),
        None => Ok(None),
    }
}

fn bounds_of<'k>(range: impl std::ops::RangeBounds<&'k [u8]>) -> KeyBounds {
    use std::ops::Bound;
    let own = |b: Bound<&&[u8]>| match b {
        Bound::Included(k) => Bound::Included(k.to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    };
    (own(range.start_bound()), own(range.end_bound()))
}

/// Read operations shared by [`ReadTxn`] and [`WriteTxn`].
macro_rules! read_ops {
    () => {
        /// The value stored under `key` in `tree`.
        pub fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>> {
            version_get(&self.pager(), &self.version, tree, key)
        }

        /// `f` of the value stored under `key` in `tree`, borrowed where it
        /// is stored inline (a value in an overflow run is read first).
        pub fn get_with<R>(&self, tree: TreeId, key: &[u8], f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>> {
            let t = self.version.trees.get(&tree).ok_or(Error::NoSuchTree(tree))?;
            let pager = self.pager();
            let got = btree::get_with(pager, &t.root, key, |v| match v {
                ValRef::Inline(b) => Ok(f(b)),
                other => materialize(pager, &other.to_val()).map(|b| f(&b)),
            })?;
            got.transpose()
        }

        /// Entries of `tree` whose keys fall in `range`, in key order (the
        /// iterator is double-ended: `.rev()` walks backward).
        pub fn range<'k>(&self, tree: TreeId, range: impl std::ops::RangeBounds<&'k [u8]>) -> Result<Range> {
            let t = self.version.trees.get(&tree).ok_or(Error::NoSuchTree(tree))?;
            Ok(Range::new(self.pager().clone(), t.root.clone(), bounds_of(range)))
        }

        /// A cursor over `tree`, not yet positioned.
        pub fn cursor(&self, tree: TreeId) -> Result<Cursor> {
            let t = self.version.trees.get(&tree).ok_or(Error::NoSuchTree(tree))?;
            Ok(Cursor::new(self.pager().clone(), t.root.clone()))
        }

        /// The largest key in `tree`, if it has any (what a new rowid is
        /// chosen past), found without copying its value.
        pub fn last_key(&self, tree: TreeId) -> Result<Option<Vec<u8>>> {
            let mut c = self.cursor(tree)?;
            Ok(if c.seek_last()? { c.key().map(<[u8]>::to_vec) } else { None })
        }

        /// Number of entries in `tree`.
        pub fn tree_len(&self, tree: TreeId) -> Result<u64> {
            self.version.trees.get(&tree).map(|t| t.len).ok_or(Error::NoSuchTree(tree))
        }

        /// Whether `tree` exists.
        pub fn tree_exists(&self, tree: TreeId) -> bool {
            self.version.trees.contains_key(&tree)
        }

        /// Ids of every tree, ascending.
        pub fn trees(&self) -> Vec<TreeId> {
            self.version.trees.keys().copied().collect()
        }

        /// The LSN of the last commit this view includes.
        pub fn lsn(&self) -> Lsn {
            self.version.lsn
        }
    };
}

/// A consistent read-only snapshot. The writer never blocks it and never
/// changes what it sees.
pub struct ReadTxn {
    inner: Arc<Inner>,
    version: Version,
    /// The registration on `version.base_ckpt`.
    pin: Arc<Pin>,
}

impl ReadTxn {
    fn pager(&self) -> &Arc<Pager> {
        &self.inner.pager
    }
    read_ops!();
}

impl Drop for ReadTxn {
    fn drop(&mut self) {
        self.pin.readers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A savepoint is a position in the transaction's log: rolling back to it
/// undoes the later operations from their before-images, newest first.
/// (Snapshotting the version instead would share every node with the
/// savepoint, so the next write would copy its whole root-to-leaf path: SQL
/// opens a savepoint around every statement in a transaction.)
/// What undoing one logged change does.
enum Undo {
    /// Puts `put` under `key`, or removes `key` if it is `None`.
    Write {
        tree: TreeId,
        key: Vec<u8>,
        put: Option<Vec<u8>>,
    },
    Create(TreeId),
    Drop(TreeId),
}

struct Savepoint {
    name: String,
    /// `ops.len()` when it was opened.
    ops: usize,
}

/// A tree dropped while a savepoint was open, kept so the drop can be undone.
struct DroppedTree {
    /// Index of its `DropTree` operation in `ops`.
    op: usize,
    tree: TreeId,
    state: TreeState,
    /// The entries the drop added to `freed`.
    freed: std::ops::Range<usize>,
}

/// The write transaction. Dropping it without [`WriteTxn::commit`] rolls
/// it back.
pub struct WriteTxn {
    db: Database,
    guard: Option<ArcMutexGuard<RawMutex, WriterState>>,
    version: Version,
    /// Its changes, already encoded as WAL records.
    log: TxnLog,
    freed: Vec<Freed>,
    dirty: u64,
    savepoints: Vec<Savepoint>,
    /// Trees dropped while a savepoint was open, oldest first.
    dropped: Vec<DroppedTree>,
    /// Set when undoing to a savepoint failed part way: the transaction's
    /// trees no longer match its log, so it must not commit.
    broken: Option<String>,
}

impl WriteTxn {
    fn pager(&self) -> &Arc<Pager> {
        &self.db.inner.pager
    }
    read_ops!();

    fn ctx_parts(&mut self) -> (WriteCtx<'_>, &mut Version) {
        let inner = &*self.db.inner;
        (
            WriteCtx { pager: &inner.pager, limits: inner.limits, freed: &mut self.freed, dirty: &mut self.dirty },
            &mut self.version,
        )
    }

    /// Creates an empty tree.
    pub fn create_tree(&mut self, tree: TreeId) -> Result<()> {
        create_tree(&mut self.version, tree)?;
        self.log.tree(tree, true);
        Ok(())
    }

    /// Drops a tree and everything in it.
    pub fn drop_tree(&mut self, tree: TreeId) -> Result<()> {
        let kept = match self.savepoints.is_empty() {
            true => None,
            false => self.version.trees.get(&tree).cloned(),
        };
        let first_freed = self.freed.len();
        let (mut ctx, version) = self.ctx_parts();
        drop_tree(&mut ctx, version, tree)?;
        if let Some(state) = kept {
            let freed = first_freed..self.freed.len();
            self.dropped.push(DroppedTree { op: self.log.len(), tree, state, freed });
        }
        self.log.tree(tree, false);
        Ok(())
    }

    /// Inserts or replaces; returns the previous value.
    pub fn put(&mut self, tree: TreeId, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>> {
        let limits = self.db.inner.limits;
        if key.len() > limits.max_key {
            return Err(Error::KeyTooLarge { len: key.len(), max: limits.max_key });
        }
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::ValueTooLarge { len: value.len(), max: MAX_VALUE_LEN });
        }
        let (mut ctx, version) = self.ctx_parts();
        let old = put_val(&mut ctx, version, tree, key, value)?;
        // A replaced overflow run is only pending release: still readable here.
        let before = old.map(|v| materialize(&self.db.inner.pager, &v)).transpose()?;
        self.log.put(tree, key, before.as_deref(), value);
        Ok(before)
    }

    /// Removes `key`; returns its value if it was there.
    pub fn delete(&mut self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let Some(before) = self.get(tree, key)? else {
            return Ok(None);
        };
        let (mut ctx, version) = self.ctx_parts();
        delete_val(&mut ctx, version, tree, key)?;
        self.log.delete(tree, key, &before);
        Ok(Some(before))
    }

    /// Opens a savepoint named `name` (savepoints nest; names may repeat,
    /// the newest wins, as in SQLite).
    pub fn savepoint(&mut self, name: &str) {
        self.savepoints.push(Savepoint { name: name.to_string(), ops: self.log.len() });
    }

    fn find_savepoint(&self, name: &str) -> Result<usize> {
        self.savepoints
            .iter()
            .rposition(|s| s.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::NoSuchSavepoint(name.to_string()))
    }

    /// Undoes everything since savepoint `name`, which stays open; newer
    /// savepoints are closed.
    pub fn rollback_to(&mut self, name: &str) -> Result<()> {
        let i = self.find_savepoint(name)?;
        self.savepoints.truncate(i + 1);
        let start = self.savepoints[i].ops;
        if let Err(e) = self.undo_to(start) {
            self.broken = Some(format!("rolling back to savepoint {name} failed: {e}"));
            return Err(e);
        }
        Ok(())
    }

    /// Undoes `ops[start..]`, newest first, and forgets them. Pages the
    /// undone writes released stay released (their nodes were copied into
    /// memory and the copies remain); a dropped tree gets its pages back.
    fn undo_to(&mut self, start: usize) -> Result<()> {
        while self.log.len() > start {
            let at = self.log.len() - 1;
            // Owned copies: undoing writes the trees, which borrow `self`.
            let undo = match self.log.op(at) {
                Some(LogOp::Put { tree, key, before }) => {
                    Undo::Write { tree, key: key.to_vec(), put: before.map(<[u8]>::to_vec) }
                }
                Some(LogOp::Delete { tree, key, before }) => {
                    Undo::Write { tree, key: key.to_vec(), put: Some(before.to_vec()) }
                }
                Some(LogOp::CreateTree { tree }) => Undo::Create(tree),
                Some(LogOp::DropTree { tree }) => Undo::Drop(tree),
                None => return Err(Error::Poisoned(format!("transaction log record {at} does not decode"))),
            };
            self.log.truncate(at);
            let (mut ctx, version) = self.ctx_parts();
            match undo {
                Undo::Write { tree, key, put: None } => {
                    delete_val(&mut ctx, version, tree, &key)?;
                }
                Undo::Write { tree, key, put: Some(before) } => {
                    put_val(&mut ctx, version, tree, &key, &before)?;
                }
                Undo::Create(tree) => {
                    // Made in this transaction: its nodes are all in memory.
                    Arc::make_mut(&mut version.trees).remove(&tree);
                }
                Undo::Drop(tree) => {
                    let Some(d) = self.dropped.pop_if(|d| d.op == at) else {
                        return Err(Error::Poisoned(format!("no saved state to undo the drop of tree {tree}")));
                    };
                    Arc::make_mut(&mut self.version.trees).insert(d.tree, d.state);
                    self.freed.drain(d.freed);
                }
            }
        }
        Ok(())
    }

    /// Closes savepoint `name` and every newer one, keeping their changes.
    pub fn release(&mut self, name: &str) -> Result<()> {
        let i = self.find_savepoint(name)?;
        self.savepoints.truncate(i);
        if self.savepoints.is_empty() {
            self.dropped.clear();
        }
        Ok(())
    }

    /// Whether this transaction has changed anything.
    pub fn is_dirty(&self) -> bool {
        !self.log.is_empty()
    }

    /// Commits. Returns the commit's LSN once it is as durable as the
    /// configured [`Synchronous`] mode promises.
    pub fn commit(mut self) -> Result<Lsn> {
        let db = self.db.clone();
        let inner = &*db.inner;
        let Some(mut w) = self.guard.take() else {
            return Err(Error::Poisoned("transaction already finished".into()));
        };
        if let Some(why) = &self.broken {
            return Err(Error::Poisoned(why.clone()));
        }
        if self.log.is_empty() {
            return Ok(w.committed.lsn);
        }
        db.check_poisoned()?;
        let entries = self.log.len() as u64 + 1;
        let now = inner.config.clock.now_ms();
        let (buf, commit_lsn) = self.log.finish(now);
        let appended = inner.wal.append(buf, commit_lsn, entries);
        w.log_buf = self.log.take_buffer();
        if let Err(e) = appended {
            db.poison(&e);
            return Err(e);
        }
        w.next_lsn = commit_lsn + 1;
        w.next_txid += 1;
        self.version.lsn = commit_lsn;
        let version = std::mem::replace(&mut self.version, w.committed.clone());
        w.committed = version.clone();
        w.pending_freed.append(&mut self.freed);
        w.dirty_pages += self.dirty;
        drop(w);
        inner.commits.fetch_add(1, Ordering::Relaxed);
        if inner.synchronous() == Synchronous::Full
            && let Err(e) = inner.wal.sync_to(commit_lsn)
        {
            db.poison(&e);
            return Err(e);
        }
        db.publish(&version);
        // The commit is durable whatever happens next; a failed checkpoint
        // poisons the database for later writes instead of failing this one.
        let _ = db.maybe_checkpoint();
        Ok(commit_lsn)
    }

    /// Abandons every change.
    pub fn rollback(self) {}
}

impl Drop for WriteTxn {
    /// Rolls back (nothing of an unfinished transaction reached the log)
    /// and hands the log buffer to the next transaction.
    fn drop(&mut self) {
        if let Some(mut w) = self.guard.take() {
            w.log_buf = self.log.take_buffer();
        }
    }
}

/// An iterator over committed transactions; see [`Database::changes_since`].
pub struct ChangeFeed {
    db: Database,
    after: Lsn,
    buffer: std::collections::VecDeque<CommittedTxn>,
    done: bool,
}

impl ChangeFeed {
    /// The commit LSN of the last transaction returned (or the start).
    pub fn position(&self) -> Lsn {
        self.after
    }
}

impl Iterator for ChangeFeed {
    type Item = Result<CommittedTxn>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.buffer.is_empty() && !self.done {
            match self.db.read_changes(self.after, 256) {
                Ok(batch) if batch.is_empty() => self.done = true,
                Ok(batch) => self.buffer.extend(batch),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        let txn = self.buffer.pop_front()?;
        self.after = txn.commit_lsn;
        Some(Ok(txn))
    }
}
