//! The logical write-ahead log: segments of checksummed records with
//! monotonically increasing LSNs, group commit, and a streaming reader that
//! recovery and the change feed share.
//!
//! Segment files are named `{db}-wal-{first LSN, 20 digits}` and never
//! reused. Layout:
//!
//! ```text
//! segment header (32 bytes):
//!   0  8  magic "DoSQLwal"
//!   8  4  format version
//!   12 4  zero
//!   16 8  first LSN of the segment
//!   24 4  crc32 of bytes 0..24
//!   28 4  zero
//! record:
//!   0  4  payload length n
//!   4  4  crc32 of (LSN as u64 LE ++ payload)
//!   8  8  LSN
//!   16 n  payload: kind u8, then
//!         1 put:    txid u64, tree u64, key, has_before u8, [before], after
//!         2 delete: txid u64, tree u64, key, before
//!         3 create tree: txid u64, tree u64
//!         4 drop tree:   txid u64, tree u64
//!         5 commit: txid u64, commit time ms u64, change count u32
//!         (byte strings are varint length + bytes)
//! ```
//!
//! A transaction's records are written together, ending with its commit
//! record, only when it commits: the log never holds uncommitted or
//! rolled-back work, and a transaction counts only if its commit record
//! is valid. Recovery keeps the longest valid prefix: it stops at the first
//! record whose length, checksum or LSN (each must be the previous plus one)
//! is wrong.

use crate::codec::{Reader, put_bytes};
use crate::error::{Error, Result};
use crate::vfs::{Storage, StorageFile, read_exact_at};
use parking_lot::Mutex;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A log sequence number: the position of a change in the log.
pub type Lsn = u64;
/// A tree (table or index) identifier.
pub type TreeId = u64;

const SEG_MAGIC: &[u8; 8] = b"DoSQLwal";
const SEG_VERSION: u32 = 1;
pub(crate) const SEG_HEADER: u64 = 32;
const REC_HEADER: usize = 16;
/// No record is larger than this; a larger length is damage.
const MAX_RECORD: u32 = 1 << 30;

const K_PUT: u8 = 1;
const K_DELETE: u8 = 2;
const K_CREATE: u8 = 3;
const K_DROP: u8 = 4;
const K_COMMIT: u8 = 5;

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A key that did not exist was written.
    Insert,
    /// An existing key got a new value.
    Update,
    /// A key was removed.
    Delete,
    /// A tree was created.
    CreateTree,
    /// A tree was dropped.
    DropTree,
}

/// One committed change with its before and after images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Its log sequence number.
    pub lsn: Lsn,
    /// The tree it changed.
    pub tree: TreeId,
    /// What it did.
    pub kind: ChangeKind,
    /// The key (empty for tree operations).
    pub key: Vec<u8>,
    /// The value before (updates and deletes).
    pub before: Option<Vec<u8>>,
    /// The value after (inserts and updates).
    pub after: Option<Vec<u8>>,
}

/// A committed transaction as the change feed delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedTxn {
    /// Transaction id.
    pub txid: u64,
    /// LSN of its commit record; every change has a smaller LSN.
    pub commit_lsn: Lsn,
    /// Commit time, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Its changes in order.
    pub changes: Vec<Change>,
}

/// A transaction's log records, encoded into the WAL's record format as
/// its changes happen (the writer lock fixes its LSNs and txid at begin),
/// so a put copies its key and images once and commit writes the buffer
/// as it is. Savepoints roll it back by truncation; undo reads the
/// records back ([`TxnLog::op`]).
pub(crate) struct TxnLog {
    buf: Vec<u8>,
    /// Where each change record starts in `buf`.
    starts: Vec<usize>,
    first_lsn: Lsn,
    txid: u64,
}

/// A change record of a [`TxnLog`], read back for undo.
pub(crate) enum LogOp<'a> {
    Put { tree: TreeId, key: &'a [u8], before: Option<&'a [u8]> },
    Delete { tree: TreeId, key: &'a [u8], before: &'a [u8] },
    CreateTree { tree: TreeId },
    DropTree { tree: TreeId },
}

/// A log buffer larger than this is not kept for the next transaction.
const KEEP_LOG_BYTES: usize = 1 << 20;

impl TxnLog {
    /// An empty log whose first record gets `first_lsn`, reusing `buf`'s
    /// allocation.
    pub(crate) fn new(mut buf: Vec<u8>, first_lsn: Lsn, txid: u64) -> TxnLog {
        buf.clear();
        TxnLog { buf, starts: Vec::new(), first_lsn, txid }
    }

    /// Takes the buffer, for the next transaction (unless it grew large),
    /// leaving this log empty.
    pub(crate) fn take_buffer(&mut self) -> Vec<u8> {
        self.starts.clear();
        let buf = std::mem::take(&mut self.buf);
        if buf.capacity() > KEEP_LOG_BYTES { Vec::new() } else { buf }
    }

    /// Number of change records.
    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether no change was logged.
    pub(crate) fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    fn open_record(&mut self, kind: u8, tree: TreeId) {
        self.starts.push(self.buf.len());
        self.buf.extend_from_slice(&[0u8; REC_HEADER]);
        self.buf.push(kind);
        self.buf.extend_from_slice(&self.txid.to_le_bytes());
        self.buf.extend_from_slice(&tree.to_le_bytes());
    }

    /// Fills in the header of the record opened last.
    fn close_record(&mut self, lsn: Lsn) {
        let Some(&at) = self.starts.last() else { return };
        seal_record(&mut self.buf, at, lsn);
    }

    fn lsn_of(&self, i: usize) -> Lsn {
        self.first_lsn + i as Lsn
    }

    /// Logs a put of `after` under `key`, replacing `before` if any.
    pub(crate) fn put(&mut self, tree: TreeId, key: &[u8], before: Option<&[u8]>, after: &[u8]) {
        self.open_record(K_PUT, tree);
        put_bytes(&mut self.buf, key);
        match before {
            Some(b) => {
                self.buf.push(1);
                put_bytes(&mut self.buf, b);
            }
            None => self.buf.push(0),
        }
        put_bytes(&mut self.buf, after);
        self.close_record(self.lsn_of(self.starts.len() - 1));
    }

    /// Logs the removal of `key`, whose value was `before`.
    pub(crate) fn delete(&mut self, tree: TreeId, key: &[u8], before: &[u8]) {
        self.open_record(K_DELETE, tree);
        put_bytes(&mut self.buf, key);
        put_bytes(&mut self.buf, before);
        self.close_record(self.lsn_of(self.starts.len() - 1));
    }

    /// Logs the creation (`true`) or drop of a tree.
    pub(crate) fn tree(&mut self, tree: TreeId, create: bool) {
        self.open_record(if create { K_CREATE } else { K_DROP }, tree);
        self.close_record(self.lsn_of(self.starts.len() - 1));
    }

    /// Forgets records `n..`.
    pub(crate) fn truncate(&mut self, n: usize) {
        if let Some(&at) = self.starts.get(n) {
            self.buf.truncate(at);
            self.starts.truncate(n);
        }
    }

    /// Change record `i` read back, or `None` if there is none (or it does
    /// not decode, which would be a bug of this module).
    pub(crate) fn op(&self, i: usize) -> Option<LogOp<'_>> {
        let at = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).copied().unwrap_or(self.buf.len());
        let mut r = Reader::new(self.buf.get(at + REC_HEADER..end)?);
        let kind = r.u8().ok()?;
        r.u64().ok()?;
        let tree = r.u64().ok()?;
        Some(match kind {
            K_PUT => {
                let key = r.len_prefixed().ok()?;
                let before = match r.u8().ok()? {
                    0 => None,
                    _ => Some(r.len_prefixed().ok()?),
                };
                LogOp::Put { tree, key, before }
            }
            K_DELETE => LogOp::Delete { tree, key: r.len_prefixed().ok()?, before: r.len_prefixed().ok()? },
            K_CREATE => LogOp::CreateTree { tree },
            _ => LogOp::DropTree { tree },
        })
    }

    /// Appends the commit record; returns the whole transaction's bytes
    /// and its commit LSN.
    pub(crate) fn finish(&mut self, timestamp_ms: u64) -> (&[u8], Lsn) {
        let lsn = self.lsn_of(self.starts.len());
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0u8; REC_HEADER]);
        self.buf.push(K_COMMIT);
        self.buf.extend_from_slice(&self.txid.to_le_bytes());
        self.buf.extend_from_slice(&timestamp_ms.to_le_bytes());
        self.buf.extend_from_slice(&(self.starts.len() as u32).to_le_bytes());
        seal_record(&mut self.buf, at, lsn);
        (&self.buf, lsn)
    }
}

/// Writes the header of the record at `buf[at..]` whose payload runs to
/// the end of `buf`: length, checksum and LSN.
fn seal_record(buf: &mut [u8], at: usize, lsn: Lsn) {
    let Some((head, payload)) = buf.get_mut(at..).map(|r| r.split_at_mut(REC_HEADER.min(r.len()))) else {
        return;
    };
    let mut h = crc32fast::Hasher::new();
    h.update(&lsn.to_le_bytes());
    h.update(payload);
    if let Some(head) = head.get_mut(..REC_HEADER) {
        head[0..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        head[4..8].copy_from_slice(&h.finalize().to_le_bytes());
        head[8..16].copy_from_slice(&lsn.to_le_bytes());
    }
}

pub(crate) fn segment_name(db: &str, first_lsn: Lsn) -> String {
    format!("{db}-wal-{first_lsn:020}")
}

fn parse_segment_name(db: &str, name: &str) -> Option<Lsn> {
    let rest = name.strip_prefix(db)?.strip_prefix("-wal-")?;
    if rest.len() != 20 {
        return None;
    }
    rest.parse().ok()
}

/// A decoded record.
enum Record {
    Change { txid: u64, change: Change },
    Commit { txid: u64, timestamp_ms: u64, count: u32 },
}

fn decode_payload(lsn: Lsn, payload: &[u8]) -> Option<Record> {
    let mut r = Reader::new(payload);
    let kind = r.u8().ok()?;
    let txid = r.u64().ok()?;
    let rec = match kind {
        K_PUT => {
            let tree = r.u64().ok()?;
            let key = r.len_prefixed().ok()?.to_vec();
            let before = match r.u8().ok()? {
                0 => None,
                1 => Some(r.len_prefixed().ok()?.to_vec()),
                _ => return None,
            };
            let after = Some(r.len_prefixed().ok()?.to_vec());
            let kind = if before.is_some() { ChangeKind::Update } else { ChangeKind::Insert };
            Record::Change { txid, change: Change { lsn, tree, kind, key, before, after } }
        }
        K_DELETE => {
            let tree = r.u64().ok()?;
            let key = r.len_prefixed().ok()?.to_vec();
            let before = Some(r.len_prefixed().ok()?.to_vec());
            Record::Change { txid, change: Change { lsn, tree, kind: ChangeKind::Delete, key, before, after: None } }
        }
        K_CREATE | K_DROP => {
            let tree = r.u64().ok()?;
            let kind = if kind == K_CREATE { ChangeKind::CreateTree } else { ChangeKind::DropTree };
            Record::Change { txid, change: Change { lsn, tree, kind, key: Vec::new(), before: None, after: None } }
        }
        K_COMMIT => Record::Commit { txid, timestamp_ms: r.u64().ok()?, count: r.u32().ok()? },
        _ => return None,
    };
    if r.remaining() != 0 {
        return None;
    }
    Some(rec)
}

fn segment_header(first_lsn: Lsn) -> [u8; SEG_HEADER as usize] {
    let mut h = [0u8; SEG_HEADER as usize];
    h[..8].copy_from_slice(SEG_MAGIC);
    h[8..12].copy_from_slice(&SEG_VERSION.to_le_bytes());
    h[16..24].copy_from_slice(&first_lsn.to_le_bytes());
    let crc = crc32fast::hash(&h[..24]);
    h[24..28].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Reads `len` bytes at `pos` through a read-ahead buffer.
struct SegReader {
    file: Arc<dyn StorageFile>,
    len: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

const READ_AHEAD: usize = 256 * 1024;

impl SegReader {
    fn read(&mut self, pos: u64, n: usize) -> std::io::Result<Option<Vec<u8>>> {
        if pos.checked_add(n as u64).is_none_or(|end| end > self.len) {
            return Ok(None);
        }
        let buf_end = self.buf_start + self.buf.len() as u64;
        if pos >= self.buf_start && pos + n as u64 <= buf_end {
            let s = (pos - self.buf_start) as usize;
            return Ok(Some(self.buf[s..s + n].to_vec()));
        }
        if n > READ_AHEAD {
            let mut out = vec![0u8; n];
            read_exact_at(&*self.file, pos, &mut out)?;
            return Ok(Some(out));
        }
        let want = READ_AHEAD.min((self.len - pos) as usize);
        self.buf.resize(want, 0);
        read_exact_at(&*self.file, pos, &mut self.buf)?;
        self.buf_start = pos;
        Ok(Some(self.buf[..n].to_vec()))
    }
}

/// Where the valid log ends, as found by [`scan`].
#[derive(Debug, Clone)]
pub(crate) struct ScanEnd {
    /// Segment holding the last valid commit (or the last segment).
    pub(crate) segment: Option<(Lsn, String)>,
    /// Byte offset just past the last valid commit record in it.
    pub(crate) offset: u64,
    /// LSN of the last valid commit (or `from` if none).
    pub(crate) last_lsn: Lsn,
    /// Bytes of damaged or incomplete log found after that point.
    pub(crate) cut_bytes: u64,
    /// Why the scan stopped early, if it did.
    pub(crate) cut_reason: Option<String>,
    /// Segments after the valid end (to remove).
    pub(crate) dead_segments: Vec<String>,
}

/// Lists segments as (first LSN, name), sorted.
pub(crate) fn list_segments(storage: &dyn Storage, db: &str) -> Result<Vec<(Lsn, String)>> {
    let prefix = format!("{db}-wal-");
    let names = storage.list(&prefix).map_err(|e| Error::io(&storage.describe(&prefix), e))?;
    let mut segs: Vec<(Lsn, String)> =
        names.into_iter().filter_map(|n| parse_segment_name(db, &n).map(|l| (l, n))).collect();
    segs.sort();
    Ok(segs)
}

/// Reads committed transactions with commit LSN in `(after, until]` in
/// order, calling `f` for each until it returns `false`; stops at the first
/// damaged record. Transactions are delivered whole, so `after` should be a
/// commit LSN.
pub(crate) fn scan(
    storage: &dyn Storage,
    db: &str,
    after: Lsn,
    until: Lsn,
    f: &mut dyn FnMut(CommittedTxn) -> Result<bool>,
) -> Result<ScanEnd> {
    let segs = list_segments(storage, db)?;
    let mut end = ScanEnd {
        segment: None,
        offset: SEG_HEADER,
        last_lsn: after,
        cut_bytes: 0,
        cut_reason: None,
        dead_segments: Vec::new(),
    };
    // Start at the last segment whose first LSN is <= after + 1.
    let start = segs.iter().rposition(|(first, _)| *first <= after + 1).unwrap_or(0);
    let mut expected: Option<Lsn> = None;
    let mut pending: Vec<Change> = Vec::new();
    let mut pending_txid: Option<u64> = None;
    let mut end_seg_len = 0u64;
    for (first, name) in segs.iter().skip(start) {
        let path = storage.describe(name);
        let file = storage.open(name).map_err(|e| Error::io(&path, e))?;
        let len = file.len().map_err(|e| Error::io(&path, e))?;
        if end.cut_reason.is_some() {
            end.cut_bytes += len;
            end.dead_segments.push(name.clone());
            continue;
        }
        let mut rd = SegReader { file, len, buf: Vec::new(), buf_start: 0 };
        let header = rd.read(0, SEG_HEADER as usize).map_err(|e| Error::io(&path, e))?;
        let problem = if header.is_none_or(|h| h != segment_header(*first)) {
            Some(format!("WAL segment {path} has a damaged header"))
        } else if expected.is_some_and(|exp| exp != *first) {
            Some(format!("WAL segment {path} starts at LSN {first}, expected {}", expected.unwrap_or(0)))
        } else if !pending.is_empty() {
            Some(format!("incomplete transaction before WAL segment {path}"))
        } else {
            None
        };
        if let Some(p) = problem {
            end.cut_reason = Some(p);
            end.cut_bytes += len;
            end.dead_segments.push(name.clone());
            continue;
        }
        end.segment = Some((*first, name.clone()));
        end.offset = SEG_HEADER;
        end_seg_len = len;
        let mut pos = SEG_HEADER;
        let mut lsn_next = *first;
        loop {
            if lsn_next > until && pending.is_empty() {
                return Ok(end);
            }
            let at = pos;
            let bad = |why: &str| Some(format!("{why} at offset {at} of {path}"));
            let Some(h) = rd.read(pos, REC_HEADER).map_err(|e| Error::io(&path, e))? else {
                if pos < len {
                    end.cut_reason = bad("torn record header");
                }
                break;
            };
            let n = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
            let mut lb = [0u8; 8];
            lb.copy_from_slice(&h[8..16]);
            let lsn = u64::from_le_bytes(lb);
            if n > MAX_RECORD {
                end.cut_reason = bad("record length out of range");
                break;
            }
            if lsn != lsn_next {
                end.cut_reason = bad(&format!("LSN {lsn} where {lsn_next} was expected"));
                break;
            }
            let Some(payload) = rd.read(pos + REC_HEADER as u64, n as usize).map_err(|e| Error::io(&path, e))? else {
                end.cut_reason = bad("torn record");
                break;
            };
            let mut hs = crc32fast::Hasher::new();
            hs.update(&lsn.to_le_bytes());
            hs.update(&payload);
            if hs.finalize() != crc {
                end.cut_reason = bad("checksum mismatch");
                break;
            }
            let Some(rec) = decode_payload(lsn, &payload) else {
                end.cut_reason = bad("undecodable record");
                break;
            };
            pos += REC_HEADER as u64 + n as u64;
            lsn_next = lsn + 1;
            match rec {
                Record::Change { txid, change } => {
                    if pending_txid.is_some_and(|t| t != txid) {
                        end.cut_reason = bad("change of another transaction inside a transaction");
                        break;
                    }
                    pending_txid = Some(txid);
                    pending.push(change);
                }
                Record::Commit { txid, timestamp_ms, count } => {
                    if pending_txid.is_some_and(|t| t != txid) || count as usize != pending.len() {
                        end.cut_reason = bad("commit record does not match its transaction");
                        break;
                    }
                    let changes = std::mem::take(&mut pending);
                    pending_txid = None;
                    end.offset = pos;
                    end.last_lsn = end.last_lsn.max(lsn);
                    if lsn > after && lsn <= until && !f(CommittedTxn { txid, commit_lsn: lsn, timestamp_ms, changes })?
                    {
                        return Ok(end);
                    }
                }
            }
        }
        expected = Some(lsn_next);
    }
    if end.cut_reason.is_none() && !pending.is_empty() {
        end.cut_reason = Some("incomplete transaction at the end of the log".into());
    }
    if end.segment.is_some() {
        end.cut_bytes += end_seg_len.saturating_sub(end.offset);
    }
    Ok(end)
}

/// Statistics of the log since the last checkpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalStats {
    /// Bytes written since the last checkpoint.
    pub bytes_since_checkpoint: u64,
    /// Records written since the last checkpoint.
    pub entries_since_checkpoint: u64,
    /// Segment files on disk.
    pub segments: u64,
    /// Highest LSN known durable.
    pub durable_lsn: Lsn,
}

struct WalState {
    segments: Vec<(Lsn, String)>,
    file: Arc<dyn StorageFile>,
    path: String,
    offset: u64,
    written_lsn: Lsn,
    bytes_since_ckpt: u64,
    entries_since_ckpt: u64,
}

/// The log writer.
pub(crate) struct Wal {
    storage: Arc<dyn Storage>,
    db: String,
    segment_bytes: u64,
    /// Whether segment switches fsync (every mode but `off`).
    sync_on_switch: AtomicBool,
    state: Mutex<WalState>,
    sync_lock: Mutex<()>,
    durable_lsn: AtomicU64,
}

impl Wal {
    /// Opens the log for appending after recovery found its valid end.
    pub(crate) fn open(
        storage: Arc<dyn Storage>,
        db: &str,
        end: &ScanEnd,
        (segment_bytes, sync_on_switch): (u64, bool),
        sync_now: bool,
    ) -> Result<Wal> {
        let mut segments = list_segments(&*storage, db)?;
        let mut dir_changed = false;
        for dead in &end.dead_segments {
            storage.remove(dead).map_err(|e| Error::io(&storage.describe(dead), e))?;
            segments.retain(|(_, n)| n != dead);
            dir_changed = true;
        }
        if sync_now {
            // Earlier segments may hold records written without fsync (in
            // `off` mode, before a crash of the process): make them durable.
            for (_, name) in &segments {
                if end.segment.as_ref().is_some_and(|(_, n)| n == name) {
                    continue;
                }
                let path = storage.describe(name);
                storage.open(name).and_then(|f| f.sync()).map_err(|e| Error::io(&path, e))?;
            }
        }
        let (file, path, offset) = match &end.segment {
            Some((_, name)) => {
                let path = storage.describe(name);
                let file = storage.open(name).map_err(|e| Error::io(&path, e))?;
                // Cut the damaged or incomplete tail so appends follow valid records.
                if file.len().map_err(|e| Error::io(&path, e))? != end.offset {
                    file.set_len(end.offset).map_err(|e| Error::io(&path, e))?;
                }
                if sync_now {
                    file.sync().map_err(|e| Error::io(&path, e))?;
                }
                (file, path, end.offset)
            }
            None => {
                let (file, path) = Self::create_segment(&*storage, db, end.last_lsn + 1)?;
                segments.push((end.last_lsn + 1, segment_name(db, end.last_lsn + 1)));
                dir_changed = true;
                (file, path, SEG_HEADER)
            }
        };
        if sync_now || dir_changed {
            storage.sync_dir().map_err(|e| Error::io(&storage.describe(db), e))?;
        }
        Ok(Wal {
            storage,
            db: db.to_string(),
            segment_bytes,
            sync_on_switch: AtomicBool::new(sync_on_switch),
            state: Mutex::new(WalState {
                segments,
                file,
                path,
                offset,
                written_lsn: end.last_lsn,
                bytes_since_ckpt: 0,
                entries_since_ckpt: 0,
            }),
            sync_lock: Mutex::new(()),
            durable_lsn: AtomicU64::new(end.last_lsn),
        })
    }

    fn create_segment(storage: &dyn Storage, db: &str, first: Lsn) -> Result<(Arc<dyn StorageFile>, String)> {
        let name = segment_name(db, first);
        let path = storage.describe(&name);
        let file = storage.open(&name).map_err(|e| Error::io(&path, e))?;
        file.set_len(0).map_err(|e| Error::io(&path, e))?;
        file.write_at(0, &segment_header(first)).map_err(|e| Error::io(&path, e))?;
        Ok((file, path))
    }

    /// Appends an encoded transaction whose last LSN is `last_lsn`.
    pub(crate) fn append(&self, buf: &[u8], last_lsn: Lsn, entries: u64) -> Result<()> {
        let mut st = self.state.lock();
        st.file.write_at(st.offset, buf).map_err(|e| Error::io(&st.path, e))?;
        st.offset += buf.len() as u64;
        st.written_lsn = last_lsn;
        st.bytes_since_ckpt += buf.len() as u64;
        st.entries_since_ckpt += entries;
        if st.offset >= self.segment_bytes {
            self.switch_segment(&mut st)?;
        }
        Ok(())
    }

    /// Starts a new segment (the old one is fsynced first unless in `off`).
    fn switch_segment(&self, st: &mut WalState) -> Result<()> {
        if st.offset == SEG_HEADER {
            return Ok(());
        }
        let sync = self.sync_on_switch.load(Ordering::SeqCst);
        if sync {
            st.file.sync().map_err(|e| Error::io(&st.path, e))?;
            self.durable_lsn.fetch_max(st.written_lsn, Ordering::SeqCst);
        }
        let first = st.written_lsn + 1;
        let (file, path) = Self::create_segment(&*self.storage, &self.db, first)?;
        if sync {
            file.sync().map_err(|e| Error::io(&path, e))?;
            self.storage.sync_dir().map_err(|e| Error::io(&path, e))?;
        }
        st.segments.push((first, segment_name(&self.db, first)));
        st.file = file;
        st.path = path;
        st.offset = SEG_HEADER;
        Ok(())
    }

    /// Turns fsync at segment switches on or off. Turning it on first makes
    /// every segment durable, since records written while it was off may
    /// be only in the OS cache.
    pub(crate) fn set_sync(&self, on: bool) -> Result<()> {
        if !on {
            self.sync_on_switch.store(false, Ordering::SeqCst);
            return Ok(());
        }
        if self.sync_on_switch.load(Ordering::SeqCst) {
            return Ok(());
        }
        let st = self.state.lock();
        for (_, name) in &st.segments {
            let path = self.storage.describe(name);
            self.storage.open(name).and_then(|f| f.sync()).map_err(|e| Error::io(&path, e))?;
        }
        st.file.sync().map_err(|e| Error::io(&st.path, e))?;
        self.storage.sync_dir().map_err(|e| Error::io(&self.storage.describe(&self.db), e))?;
        self.durable_lsn.fetch_max(st.written_lsn, Ordering::SeqCst);
        self.sync_on_switch.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Makes everything up to `lsn` durable. Callers that arrive while an
    /// fsync is running wait for it and usually find their LSN covered:
    /// one fsync serves every commit written before it started.
    pub(crate) fn sync_to(&self, lsn: Lsn) -> Result<()> {
        if self.durable_lsn.load(Ordering::SeqCst) >= lsn {
            return Ok(());
        }
        let _g = self.sync_lock.lock();
        if self.durable_lsn.load(Ordering::SeqCst) >= lsn {
            return Ok(());
        }
        let (file, path, written) = {
            let st = self.state.lock();
            (st.file.clone(), st.path.clone(), st.written_lsn)
        };
        file.sync().map_err(|e| Error::io(&path, e))?;
        self.durable_lsn.fetch_max(written, Ordering::SeqCst);
        Ok(())
    }

    /// Called by a checkpoint: resets the counters and starts a new segment
    /// so that older segments can be removed once not retained.
    pub(crate) fn checkpointed(&self) -> Result<()> {
        let mut st = self.state.lock();
        st.bytes_since_ckpt = 0;
        st.entries_since_ckpt = 0;
        self.switch_segment(&mut st)
    }

    /// Removes whole segments all of whose records have LSN `< keep_from`.
    pub(crate) fn remove_before(&self, keep_from: Lsn) -> Result<u64> {
        let mut st = self.state.lock();
        let mut removed = 0;
        while st.segments.len() > 1 && st.segments[1].0 <= keep_from {
            let (_, name) = st.segments.remove(0);
            self.storage.remove(&name).map_err(|e| Error::io(&self.storage.describe(&name), e))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// The first LSN still in the log files.
    pub(crate) fn first_lsn(&self) -> Lsn {
        self.state.lock().segments.first().map_or(1, |s| s.0)
    }

    pub(crate) fn stats(&self) -> WalStats {
        let st = self.state.lock();
        WalStats {
            bytes_since_checkpoint: st.bytes_since_ckpt,
            entries_since_checkpoint: st.entries_since_ckpt,
            segments: st.segments.len() as u64,
            durable_lsn: self.durable_lsn.load(Ordering::SeqCst),
        }
    }
}
