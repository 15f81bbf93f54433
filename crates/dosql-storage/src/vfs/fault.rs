//! A fault-injecting, in-memory model of a disk, for crash tests.
//!
//! Every file (an inode, here a `Node`) has two images:
//! - the *durable* image: what a power loss leaves on the platter;
//! - the *current* (volatile) image: what reads see, the durable image with
//!   every write and `set_len` since the file's last [`StorageFile::sync`]
//!   applied. Those operations are also kept, in order, as the file's
//!   *pending* list; `sync` applies them to the durable image and clears it.
//!
//! The namespace is modelled the same way: a volatile map from names to files
//! (what `open`, `exists` and `list` see) and a durable one. A created file's
//! name becomes durable at the next [`Storage::sync_dir`] or at a `sync` of
//! the file itself; a `remove` is durable only at the next `sync_dir`, so a
//! crash before it brings the file back with its durable content.
//!
//! [`FaultStorage::crash`] simulates a power loss: the volatile namespace is
//! replaced by the durable one and each surviving file's images by what the
//! [`CrashMode`] lets survive of its pending operations, chosen by an RNG
//! seeded from the caller so every crash can be replayed. File handles opened
//! before the crash belong to a dead process and fail from then on.
//!
//! [`FaultConfig`] injects faults at a chosen point of a global counter of
//! mutating operations (`write_at`, `set_len`, `sync`, `sync_dir`, `remove`):
//! a failed write, a failed sync, or a halt after which every operation fails
//! with `"simulated crash"` until [`FaultStorage::crash`] is called.

use super::{Storage, StorageFile};
use parking_lot::Mutex;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::sync::Arc;

/// What of the unsynced operations survives a [`FaultStorage::crash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrashMode {
    /// Only durable images survive: every operation not yet synced is lost.
    DropUnsynced,
    /// Per file, a random prefix of the pending operations survives in order,
    /// and the next pending write may survive torn (a random number of its
    /// leading bytes, possibly none, persisted).
    PrefixTorn,
    /// Per file, each pending operation independently survives or not (the
    /// disk reordered them), and a surviving write may be torn.
    RandomSubset,
}

impl CrashMode {
    /// Every mode, for tests that loop over them.
    pub const ALL: [CrashMode; 3] = [CrashMode::DropUnsynced, CrashMode::PrefixTorn, CrashMode::RandomSubset];
}

/// Faults to inject, by number of mutating operation.
///
/// Mutating operations (`write_at`, `set_len`, `sync`, `sync_dir`, `remove`)
/// are numbered from 1 by a global counter ([`FaultStorage::ops`]); the
/// counter and the configuration are reset by [`FaultStorage::crash`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultConfig {
    /// The first `write_at` whose operation number is at least this fails
    /// with an io error and writes nothing (once; the fault is then cleared).
    pub fail_write_at: Option<u64>,
    /// The first `sync` whose operation number is at least this fails with an
    /// io error and leaves the file's pending operations pending (once).
    pub fail_sync_at: Option<u64>,
    /// After this many mutating operations, every further operation, reads
    /// included, fails with `"simulated crash"` until the next crash.
    pub crash_after_ops: Option<u64>,
    /// Whether the write that hits `crash_after_ops` is partially applied (a
    /// random prefix of it, as a pending write) before it fails.
    pub tear_last_write: bool,
    /// Seed of the RNG that chooses how much of that last write is applied.
    pub seed: u64,
}

/// An unsynced operation on a file.
#[derive(Debug, Clone)]
enum Pending {
    Write { offset: usize, data: Vec<u8> },
    SetLen(usize),
}

impl Pending {
    fn apply(&self, image: &mut Vec<u8>) {
        match self {
            Pending::Write { offset, data } => apply_write(image, *offset, data),
            Pending::SetLen(len) => image.resize(*len, 0),
        }
    }
}

fn apply_write(image: &mut Vec<u8>, offset: usize, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let end = offset + data.len();
    if image.len() < end {
        image.resize(end, 0);
    }
    image[offset..end].copy_from_slice(data);
}

/// A random prefix of `data`, shorter than it unless it is empty.
fn torn<'a>(data: &'a [u8], rng: &mut SmallRng) -> &'a [u8] {
    &data[..rng.random_range(0..data.len().max(1))]
}

/// One file: its durable image, its current image and what lies between.
#[derive(Debug, Default)]
struct Node {
    durable: Vec<u8>,
    current: Vec<u8>,
    pending: Vec<Pending>,
}

impl Node {
    fn write(&mut self, offset: usize, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        apply_write(&mut self.current, offset, data);
        self.pending.push(Pending::Write { offset, data: data.to_vec() });
    }

    fn set_len(&mut self, len: usize) {
        self.current.resize(len, 0);
        self.pending.push(Pending::SetLen(len));
    }

    fn sync(&mut self) {
        for op in self.pending.drain(..) {
            op.apply(&mut self.durable);
        }
        debug_assert_eq!(self.durable.len(), self.current.len());
    }

    /// Replaces both images with what survives a crash in `mode`.
    fn crash(&mut self, mode: CrashMode, rng: &mut SmallRng) {
        let mut image = std::mem::take(&mut self.durable);
        let pending = std::mem::take(&mut self.pending);
        match mode {
            CrashMode::DropUnsynced => {}
            CrashMode::PrefixTorn => {
                let keep = rng.random_range(0..=pending.len());
                for op in &pending[..keep] {
                    op.apply(&mut image);
                }
                if let Some(Pending::Write { offset, data }) = pending.get(keep) {
                    apply_write(&mut image, *offset, torn(data, rng));
                }
            }
            CrashMode::RandomSubset => {
                for op in &pending {
                    if !rng.random_bool(0.5) {
                        continue;
                    }
                    match op {
                        Pending::Write { offset, data } if rng.random_bool(0.25) => {
                            apply_write(&mut image, *offset, torn(data, rng));
                        }
                        other => other.apply(&mut image),
                    }
                }
            }
        }
        self.current = image.clone();
        self.durable = image;
    }
}

type NodeRef = Arc<Mutex<Node>>;

struct State {
    /// The namespace that `open`, `exists` and `list` see.
    names: BTreeMap<String, NodeRef>,
    /// The namespace that survives a crash.
    durable_names: BTreeMap<String, NodeRef>,
    /// Bumped by every crash; handles from an older epoch are stale.
    epoch: u64,
    ops: u64,
    faults: FaultConfig,
    /// Set once `crash_after_ops` is reached; cleared by a crash.
    halted: bool,
    /// Chooses the torn prefix of the write that hits `crash_after_ops`.
    rng: SmallRng,
}

impl State {
    /// Fails if the storage is halted or `epoch` (of a handle) is stale.
    fn check(&self, epoch: Option<u64>) -> io::Result<()> {
        if epoch.is_some_and(|e| e != self.epoch) {
            return Err(io::Error::other("file handle opened before a simulated crash"));
        }
        if self.halted {
            return Err(halted_error());
        }
        Ok(())
    }

    /// Whether the next mutating operation will halt the storage.
    fn at_limit(&self) -> bool {
        self.faults.crash_after_ops.is_some_and(|n| self.ops >= n)
    }

    /// Checks as [`State::check`], then counts a mutating operation and
    /// returns its number, or halts the storage if the limit is reached.
    fn begin_op(&mut self, epoch: Option<u64>) -> io::Result<u64> {
        self.check(epoch)?;
        if self.at_limit() {
            self.halted = true;
            return Err(halted_error());
        }
        self.ops += 1;
        Ok(self.ops)
    }
}

/// Whether the one-shot fault in `slot` fires at operation `op` (clearing it).
fn fires(slot: &mut Option<u64>, op: u64) -> bool {
    let fire = slot.is_some_and(|k| op >= k);
    if fire {
        *slot = None;
    }
    fire
}

fn halted_error() -> io::Error {
    io::Error::other("simulated crash")
}

fn to_usize(value: u64, what: &str) -> io::Result<usize> {
    usize::try_from(value).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("{what} too large")))
}

/// An in-memory storage that models durability and injects faults.
///
/// Cloning gives another handle on the same disk, so a test can keep one
/// while the engine uses the other.
#[derive(Clone)]
pub struct FaultStorage {
    state: Arc<Mutex<State>>,
}

impl Default for FaultStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for FaultStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.lock();
        f.debug_struct("FaultStorage")
            .field("files", &st.names.keys().collect::<Vec<_>>())
            .field("ops", &st.ops)
            .field("halted", &st.halted)
            .field("faults", &st.faults)
            .finish()
    }
}

impl FaultStorage {
    /// An empty disk with no faults configured.
    pub fn new() -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                names: BTreeMap::new(),
                durable_names: BTreeMap::new(),
                epoch: 0,
                ops: 0,
                faults: FaultConfig::default(),
                halted: false,
                rng: SmallRng::seed_from_u64(0),
            })),
        }
    }

    /// Replaces the fault configuration (and reseeds its RNG from
    /// `faults.seed`). Operation numbers are absolute: to fault `n`
    /// operations from now, use `ops() + n`.
    pub fn set_faults(&self, faults: FaultConfig) {
        let mut st = self.state.lock();
        st.rng = SmallRng::seed_from_u64(faults.seed);
        st.faults = faults;
    }

    /// The current fault configuration (one-shot faults that fired are gone).
    pub fn faults(&self) -> FaultConfig {
        self.state.lock().faults.clone()
    }

    /// The number of mutating operations counted since creation or the last
    /// crash (an operation refused because the storage halted is not counted).
    pub fn ops(&self) -> u64 {
        self.state.lock().ops
    }

    /// Whether `crash_after_ops` was reached and operations now fail.
    pub fn is_halted(&self) -> bool {
        self.state.lock().halted
    }

    /// Simulates a power loss: every file's images become what survives in
    /// `mode` (chosen by an RNG seeded with `rng_seed`), the namespace becomes
    /// the durable one, handles opened before now fail from now on, and the
    /// halt, the operation counter and the fault configuration are reset.
    pub fn crash(&self, mode: CrashMode, rng_seed: u64) {
        let mut st = self.state.lock();
        let mut rng = SmallRng::seed_from_u64(rng_seed);
        for node in st.durable_names.values() {
            node.lock().crash(mode, &mut rng);
        }
        st.names = st.durable_names.clone();
        st.epoch += 1;
        st.ops = 0;
        st.halted = false;
        st.faults = FaultConfig::default();
    }

    /// Sum of the current lengths of the files in the namespace.
    pub fn total_bytes(&self) -> u64 {
        let st = self.state.lock();
        st.names.values().map(|n| n.lock().current.len() as u64).sum()
    }

    /// The current length of file `name`, or `None` if it does not exist.
    pub fn file_len(&self, name: &str) -> Option<u64> {
        let st = self.state.lock();
        st.names.get(name).map(|n| n.lock().current.len() as u64)
    }

    /// The number of unsynced operations of file `name` (0 if missing).
    pub fn pending_ops(&self, name: &str) -> usize {
        let st = self.state.lock();
        st.names.get(name).map_or(0, |n| n.lock().pending.len())
    }
}

fn check_name(name: &str) -> io::Result<()> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("invalid storage file name {name:?}")));
    }
    Ok(())
}

impl Storage for FaultStorage {
    fn open(&self, name: &str) -> io::Result<Arc<dyn StorageFile>> {
        check_name(name)?;
        let mut st = self.state.lock();
        st.check(None)?;
        let node = st.names.entry(name.to_string()).or_default().clone();
        Ok(Arc::new(FaultFile { state: self.state.clone(), node, name: name.to_string(), epoch: st.epoch }))
    }
    fn exists(&self, name: &str) -> io::Result<bool> {
        let st = self.state.lock();
        st.check(None)?;
        Ok(st.names.contains_key(name))
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        let mut st = self.state.lock();
        st.begin_op(None)?;
        st.names.remove(name);
        Ok(())
    }
    fn list(&self, prefix: &str) -> io::Result<Vec<String>> {
        let st = self.state.lock();
        st.check(None)?;
        Ok(st.names.keys().filter(|k| k.starts_with(prefix)).cloned().collect())
    }
    fn sync_dir(&self) -> io::Result<()> {
        let mut st = self.state.lock();
        st.begin_op(None)?;
        st.durable_names = st.names.clone();
        Ok(())
    }
    fn describe(&self, name: &str) -> String {
        format!("fault:{name}")
    }
}

/// A handle on one file of a [`FaultStorage`], valid until the next crash.
struct FaultFile {
    state: Arc<Mutex<State>>,
    node: NodeRef,
    /// The name it was opened under, to make it durable on `sync`.
    name: String,
    epoch: u64,
}

impl StorageFile for FaultFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let st = self.state.lock();
        st.check(Some(self.epoch))?;
        let node = self.node.lock();
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        if start >= node.current.len() {
            return Ok(0);
        }
        let n = buf.len().min(node.current.len() - start);
        buf[..n].copy_from_slice(&node.current[start..start + n]);
        Ok(n)
    }
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let start = to_usize(offset, "offset")?;
        if start.checked_add(data.len()).is_none() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "write past the largest offset"));
        }
        let mut st = self.state.lock();
        st.check(Some(self.epoch))?;
        if st.at_limit() && st.faults.tear_last_write {
            self.node.lock().write(start, torn(data, &mut st.rng));
        }
        let op = st.begin_op(Some(self.epoch))?;
        if fires(&mut st.faults.fail_write_at, op) {
            return Err(io::Error::other(format!("injected write failure at op {op}")));
        }
        self.node.lock().write(start, data);
        Ok(())
    }
    fn len(&self) -> io::Result<u64> {
        let st = self.state.lock();
        st.check(Some(self.epoch))?;
        Ok(self.node.lock().current.len() as u64)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        let len = to_usize(len, "length")?;
        let mut st = self.state.lock();
        st.begin_op(Some(self.epoch))?;
        self.node.lock().set_len(len);
        Ok(())
    }
    fn sync(&self) -> io::Result<()> {
        let mut guard = self.state.lock();
        let st = &mut *guard;
        let op = st.begin_op(Some(self.epoch))?;
        if fires(&mut st.faults.fail_sync_at, op) {
            return Err(io::Error::other(format!("injected sync failure at op {op}")));
        }
        self.node.lock().sync();
        // Syncing a file also makes its directory entry durable, if the name
        // still refers to this file.
        if let Some(linked) = st.names.get(&self.name)
            && Arc::ptr_eq(linked, &self.node)
        {
            st.durable_names.insert(self.name.clone(), linked.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::read_exact_at;

    fn contents(s: &FaultStorage, name: &str) -> Vec<u8> {
        let f = s.open(name).expect("open");
        let mut buf = vec![0u8; usize::try_from(f.len().expect("len")).expect("small")];
        read_exact_at(&*f, 0, &mut buf).expect("read");
        buf
    }

    /// Writes `n` chunks of `CHUNK` bytes of value `i + 1` at `i * CHUNK`.
    const CHUNK: usize = 16;
    fn write_chunks(f: &dyn StorageFile, n: usize) {
        for i in 0..n {
            f.write_at((i * CHUNK) as u64, &[i as u8 + 1; CHUNK]).expect("write");
        }
    }

    /// How many bytes of each chunk survived (counted as its leading bytes).
    fn surviving(data: &[u8], n: usize) -> Vec<usize> {
        (0..n)
            .map(|i| {
                let chunk = data.get(i * CHUNK..).unwrap_or(&[]);
                let chunk = &chunk[..chunk.len().min(CHUNK)];
                chunk.iter().take_while(|&&b| b == i as u8 + 1).count()
            })
            .collect()
    }

    /// A durable file `a` holding nothing, then `n` unsynced chunk writes.
    fn setup(n: usize) -> FaultStorage {
        let s = FaultStorage::new();
        let f = s.open("a").expect("open");
        f.sync().expect("sync");
        write_chunks(&*f, n);
        s
    }

    #[test]
    fn synced_survives_and_unsynced_is_lost() {
        let s = FaultStorage::new();
        let f = s.open("a").expect("open");
        f.write_at(0, b"durable").expect("write");
        f.sync().expect("sync");
        f.write_at(7, b"-volatile").expect("write");
        f.write_at(0, b"D").expect("write");
        assert_eq!(contents(&s, "a"), b"Durable-volatile");
        assert_eq!(s.pending_ops("a"), 2);
        s.crash(CrashMode::DropUnsynced, 1);
        assert_eq!(contents(&s, "a"), b"durable");
        assert_eq!(s.file_len("a"), Some(7));
        assert_eq!(s.total_bytes(), 7);
        assert_eq!(s.describe("a"), "fault:a");
        let f = s.open("a").expect("open");
        f.set_len(2).expect("set_len");
        assert_eq!(f.len().expect("len"), 2);
        s.crash(CrashMode::DropUnsynced, 0);
        assert_eq!(contents(&s, "a"), b"durable", "set_len is pending until sync");
    }

    #[test]
    fn prefix_torn_keeps_an_ordered_prefix_and_sometimes_tears() {
        const N: usize = 3;
        let (mut full, mut torn) = (false, false);
        for seed in 0..200 {
            let s = setup(N);
            s.crash(CrashMode::PrefixTorn, seed);
            let got = surviving(&contents(&s, "a"), N);
            let whole = got.iter().take_while(|&&b| b == CHUNK).count();
            if whole < N {
                assert!(got[whole] < CHUNK);
                torn |= got[whole] > 0;
                assert!(got[whole + 1..].iter().all(|&b| b == 0), "seed {seed}: {got:?}");
            } else {
                full = true;
            }
        }
        assert!(full, "no seed kept every write");
        assert!(torn, "no seed tore a write");
    }

    #[test]
    fn random_subset_can_reorder() {
        const N: usize = 4;
        let mut reordered = false;
        for seed in 0..200 {
            let s = setup(N);
            s.crash(CrashMode::RandomSubset, seed);
            let got = surviving(&contents(&s, "a"), N);
            reordered |= got.windows(2).any(|w| w[0] == 0 && w[1] == CHUNK);
        }
        assert!(reordered, "no seed kept a later write while dropping an earlier one");
    }

    #[test]
    fn crash_is_reproducible_from_its_seed() {
        for mode in CrashMode::ALL {
            let run = || {
                let s = setup(8);
                s.crash(mode, 42);
                contents(&s, "a")
            };
            assert_eq!(run(), run(), "{mode:?}");
        }
    }

    #[test]
    fn failed_write_and_sync_at_chosen_op() {
        let s = FaultStorage::new();
        let f = s.open("a").expect("open");
        s.set_faults(FaultConfig { fail_write_at: Some(2), fail_sync_at: Some(4), ..Default::default() });
        f.write_at(0, b"one").expect("op 1");
        assert!(f.write_at(3, b"two").is_err(), "op 2 fails");
        assert_eq!(contents(&s, "a"), b"one");
        f.write_at(3, b"2").expect("op 3: the write fault is one-shot");
        assert!(f.sync().is_err(), "op 4 fails");
        assert_eq!(s.pending_ops("a"), 2, "a failed sync leaves writes pending");
        assert_eq!(s.ops(), 4);
        assert_eq!(s.faults(), FaultConfig::default());
        f.sync().expect("op 5");
        s.crash(CrashMode::DropUnsynced, 0);
        assert_eq!(contents(&s, "a"), b"one2");
    }

    #[test]
    fn crash_after_ops_stops_everything() {
        let s = FaultStorage::new();
        let f = s.open("a").expect("open");
        s.set_faults(FaultConfig { crash_after_ops: Some(2), ..Default::default() });
        f.write_at(0, b"ab").expect("op 1");
        f.sync().expect("op 2");
        assert!(!s.is_halted());
        let err = f.write_at(2, b"cd").expect_err("op 3 halts");
        assert_eq!(err.to_string(), "simulated crash");
        assert!(s.is_halted());
        let mut buf = [0u8; 2];
        assert!(f.read_at(0, &mut buf).is_err());
        assert!(f.len().is_err());
        assert!(f.sync().is_err());
        assert!(s.open("b").is_err());
        assert!(s.exists("a").is_err());
        assert!(s.list("").is_err());
        assert!(s.remove("a").is_err());
        assert!(s.sync_dir().is_err());
        assert_eq!(s.ops(), 2);
        s.crash(CrashMode::PrefixTorn, 3);
        assert!(!s.is_halted());
        assert_eq!(s.ops(), 0);
        assert_eq!(contents(&s, "a"), b"ab");
    }

    #[test]
    fn tear_last_write_applies_a_prefix() {
        let mut lens = Vec::new();
        for seed in 0..20 {
            let s = FaultStorage::new();
            let f = s.open("a").expect("open");
            s.set_faults(FaultConfig { crash_after_ops: Some(0), tear_last_write: true, seed, ..Default::default() });
            assert!(f.write_at(0, &[7; 32]).is_err());
            let len = s.file_len("a").expect("exists");
            assert!(len < 32);
            assert_eq!(s.pending_ops("a"), usize::from(len > 0));
            lens.push(len);
        }
        assert!(lens.iter().any(|&l| l > 0), "{lens:?}");
    }

    #[test]
    fn stale_handles_error_after_crash() {
        let s = FaultStorage::new();
        let f = s.open("a").expect("open");
        f.write_at(0, b"x").expect("write");
        f.sync().expect("sync");
        s.crash(CrashMode::DropUnsynced, 0);
        let mut buf = [0u8; 1];
        assert!(f.read_at(0, &mut buf).is_err());
        assert!(f.write_at(0, b"y").is_err());
        assert!(f.len().is_err());
        assert!(f.set_len(0).is_err());
        assert!(f.sync().is_err());
        let g = s.open("a").expect("reopen");
        read_exact_at(&*g, 0, &mut buf).expect("read");
        assert_eq!(&buf, b"x");
    }

    #[test]
    fn created_file_needs_sync_dir_or_sync() {
        let s = FaultStorage::new();
        s.open("named").expect("open").write_at(0, b"x").expect("write");
        s.open("by-sync").expect("open").sync().expect("sync");
        s.open("by-dir").expect("open");
        s.sync_dir().expect("sync_dir");
        s.open("late").expect("open");
        assert_eq!(s.list("").expect("list"), ["by-dir", "by-sync", "late", "named"]);
        s.crash(CrashMode::DropUnsynced, 9);
        assert_eq!(s.list("").expect("list"), ["by-dir", "by-sync", "named"]);
        // "named" was named durably by sync_dir, but its write never synced.
        assert_eq!(s.file_len("named"), Some(0));
        let s = FaultStorage::new();
        s.open("gone").expect("open").write_at(0, b"x").expect("write");
        s.crash(CrashMode::PrefixTorn, 1);
        assert!(!s.exists("gone").expect("exists"));
    }

    #[test]
    fn removed_file_reappears_without_sync_dir() {
        let s = FaultStorage::new();
        let f = s.open("a").expect("open");
        f.write_at(0, b"kept").expect("write");
        f.sync().expect("sync");
        s.remove("a").expect("remove");
        s.remove("a").expect("remove twice");
        assert!(!s.exists("a").expect("exists"));
        f.write_at(0, b"K").expect("a removed file stays writable through its handle");
        s.open("a").expect("recreate").write_at(0, b"new").expect("write");
        s.crash(CrashMode::DropUnsynced, 0);
        assert_eq!(contents(&s, "a"), b"kept");
        s.remove("a").expect("remove");
        s.sync_dir().expect("sync_dir");
        s.crash(CrashMode::DropUnsynced, 0);
        assert!(!s.exists("a").expect("exists"));
        assert!(s.open("../x").is_err());
    }
}
