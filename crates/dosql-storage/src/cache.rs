//! The page cache: verified, indexed pages ([`PageNode`]) keyed by page id,
//! CLOCK (second-chance) eviction under a byte budget, sharded so
//! concurrent readers rarely meet on one lock.
//!
//! Every cached page is charged the full page size: the budget bounds the
//! number of resident pages, which is what the guide's memory budget means.
//!
//! Why CLOCK rather than exact LRU: a hit only sets the page's referenced
//! bit (one hash lookup, no reordering), where LRU had to move the page in
//! an ordered recency map on every hit. A page enters unreferenced, so a
//! page read once (a leaf met by a random lookup or a scan) is the first to
//! go, while pages used again and again (the branches every lookup walks
//! through) keep getting their second chance and stay resident. Left out:
//! weighting by page kind, and any adaptive (ARC-like) sizing.

use crate::error::PageId;
use crate::node::{PageBuffers, PageNode};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

const SHARDS: usize = 8;
/// Buffers of evicted pages each shard keeps for reuse. Recycling them
/// matters: a page-sized allocation is a "large" request for glibc's
/// malloc, which sorts and coalesces free chunks on each one, and under a
/// cache that misses on most random lookups that cost dominated.
const SPARE_BUFFERS: usize = 4;

/// Counters of the page cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to read the page.
    pub misses: u64,
    /// Pages dropped to stay within the budget.
    pub evictions: u64,
    /// Bytes currently charged to cached pages.
    pub bytes_cached: u64,
    /// The budget in bytes.
    pub capacity_bytes: u64,
}

/// Hashes a page id with one multiply and a fold: page ids are not chosen
/// by an adversary (they come from our own allocator or a checksummed
/// page), so the default SipHash's cost buys nothing here. The fold mixes
/// the high product bits down, since the ids of one shard share their low
/// bits.
#[derive(Default)]
struct PidHasher(u64);

impl Hasher for PidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b) ^ self.0.rotate_left(8));
        }
    }
    fn write_u64(&mut self, v: u64) {
        let h = (v ^ self.0).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 29);
    }
}

struct Entry {
    page: Arc<PageNode>,
    /// Set by a hit, cleared as the clock hand passes: a page is evicted
    /// when the hand finds it clear.
    referenced: bool,
    /// Where the page is in the clock's ring.
    slot: usize,
}

#[derive(Default)]
struct Shard {
    /// The cached pages. A hit is this one lookup: the page and its bit
    /// live in the map's entry, so nothing else is touched.
    map: HashMap<PageId, Entry, BuildHasherDefault<PidHasher>>,
    /// The clock: the cached page ids in the order the hand visits them.
    ring: Vec<PageId>,
    /// The clock hand: the next slot of `ring` considered for eviction.
    hand: usize,
    /// Buffers of evicted pages nobody else held, for the next reads.
    spare: Vec<PageBuffers>,
}

impl Shard {
    /// Advances the hand to a page whose referenced bit is clear, clearing
    /// the bits it passes, and returns its slot (the shard is not empty).
    fn victim(&mut self) -> usize {
        let n = self.ring.len();
        // Two sweeps always find one: the first clears every bit it passes.
        for _ in 0..2 * n {
            if self.hand >= n {
                self.hand = 0;
            }
            let i = self.hand;
            self.hand += 1;
            let entry = self.ring.get(i).and_then(|pid| self.map.get_mut(pid));
            match entry {
                Some(e) if e.referenced => e.referenced = false,
                _ => return i,
            }
        }
        self.hand.min(n.saturating_sub(1))
    }

    /// Evicts pages until at most `cap` remain, keeping the clock order of
    /// the survivors; returns how many went.
    fn shrink_to(&mut self, cap: usize) -> usize {
        let excess = self.ring.len().saturating_sub(cap);
        if excess == 0 {
            return 0;
        }
        // Mark victims as the clock would pick them, then drop them in one
        // pass (removing one by one would shift the ring each time).
        let mut doomed = vec![false; self.ring.len()];
        for _ in 0..excess {
            let mut i = self.victim();
            // The hand passes doomed slots (their bit is clear) again on
            // later sweeps: skip them.
            while doomed.get(i).copied().unwrap_or(false) {
                i = self.victim();
            }
            if let Some(d) = doomed.get_mut(i) {
                *d = true;
            }
        }
        let mut survivors = Vec::with_capacity(self.ring.len() - excess);
        for (&pid, gone) in self.ring.iter().zip(&doomed) {
            if *gone {
                self.map.remove(&pid);
            } else if let Some(e) = self.map.get_mut(&pid) {
                e.slot = survivors.len();
                survivors.push(pid);
            }
        }
        self.ring = survivors;
        self.hand = 0;
        excess
    }
}

pub(crate) struct PageCache {
    shards: Vec<Mutex<Shard>>,
    pages_per_shard: AtomicUsize,
    page_size: usize,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

impl PageCache {
    pub(crate) fn new(capacity_bytes: usize, page_size: usize) -> Self {
        let pages = (capacity_bytes / page_size).max(SHARDS);
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            pages_per_shard: AtomicUsize::new(pages / SHARDS),
            page_size,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    fn shard(&self, pid: PageId) -> &Mutex<Shard> {
        // Consecutive pages land in different shards.
        &self.shards[(pid as usize) % SHARDS]
    }

    pub(crate) fn get(&self, pid: PageId) -> Option<Arc<PageNode>> {
        let mut guard = self.shard(pid).lock();
        let s = &mut *guard;
        let found = match s.map.get_mut(&pid) {
            Some(e) => {
                e.referenced = true;
                Some(e.page.clone())
            }
            None => None,
        };
        drop(guard);
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub(crate) fn insert(&self, pid: PageId, page: Arc<PageNode>) {
        let cap = self.pages_per_shard.load(Ordering::Relaxed);
        let mut guard = self.shard(pid).lock();
        let s = &mut *guard;
        if let Some(e) = s.map.get_mut(&pid) {
            e.page = page;
            return;
        }
        if s.ring.len() < cap {
            s.map.insert(pid, Entry { page, referenced: false, slot: s.ring.len() });
            s.ring.push(pid);
            return;
        }
        let i = s.victim();
        let Some(old_pid) = s.ring.get_mut(i).map(|p| std::mem::replace(p, pid)) else { return };
        let old = s.map.remove(&old_pid);
        s.map.insert(pid, Entry { page, referenced: false, slot: i });
        self.evictions.fetch_add(1, Ordering::Relaxed);
        let mut old = old.map(|e| e.page);
        if s.spare.len() < SPARE_BUFFERS
            && let Some(page) = old.take()
        {
            match Arc::try_unwrap(page) {
                Ok(node) => {
                    let bufs = node.into_buffers();
                    if bufs.page.len() == self.page_size {
                        s.spare.push(bufs);
                    }
                }
                Err(shared) => old = Some(shared),
            }
        }
        // A shrunk budget is enforced here too, a page per insert.
        if s.ring.len() > cap {
            let gone = s.shrink_to(cap);
            self.evictions.fetch_add(gone as u64, Ordering::Relaxed);
        }
        drop(guard);
        // The evicted page is freed outside the lock.
        drop(old);
    }

    /// A page-sized buffer to read `pid` into: one recycled from an evicted
    /// page of its shard if there is one (its old contents are overwritten
    /// by the read), else a new one.
    pub(crate) fn buffers_for(&self, pid: PageId) -> PageBuffers {
        let spare = self.shard(pid).lock().spare.pop();
        spare.unwrap_or_else(|| PageBuffers::new(self.page_size))
    }

    /// Changes the budget, evicting pages at once when it shrinks.
    pub(crate) fn set_capacity(&self, capacity_bytes: usize) {
        let cap = (capacity_bytes / self.page_size).max(SHARDS) / SHARDS;
        self.pages_per_shard.store(cap, Ordering::Relaxed);
        for shard in &self.shards {
            let gone = shard.lock().shrink_to(cap);
            self.evictions.fetch_add(gone as u64, Ordering::Relaxed);
        }
    }

    /// Forgets a page whose location is being reused for other content.
    pub(crate) fn remove(&self, pid: PageId) {
        let mut guard = self.shard(pid).lock();
        let s = &mut *guard;
        let Some(gone) = s.map.remove(&pid) else { return };
        let i = gone.slot;
        if i >= s.ring.len() {
            return;
        }
        s.ring.swap_remove(i);
        if let Some(moved) = s.ring.get(i).copied()
            && let Some(e) = s.map.get_mut(&moved)
        {
            e.slot = i;
        }
    }

    pub(crate) fn stats(&self) -> CacheStats {
        let pages: usize = self.shards.iter().map(|s| s.lock().map.len()).sum();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            bytes_cached: (pages * self.page_size) as u64,
            capacity_bytes: (self.pages_per_shard.load(Ordering::Relaxed) * SHARDS * self.page_size) as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::PageNode;

    #[test]
    fn evicts_least_recently_used_within_budget() {
        let cache = PageCache::new(16 * 1024, 1024); // 2 pages per shard
        let leaf = Arc::new(PageNode::empty_leaf(1024));
        for pid in [0u64, 8, 16] {
            cache.insert(pid, leaf.clone()); // all in shard 0
        }
        assert!(cache.get(0).is_none(), "oldest evicted");
        assert!(cache.get(8).is_some());
        cache.insert(24, leaf.clone());
        assert!(cache.get(16).is_none(), "16 was least recently used");
        assert!(cache.get(8).is_some());
        let st = cache.stats();
        assert_eq!(st.evictions, 2);
        assert_eq!(st.bytes_cached, 2 * 1024);
        assert_eq!(st.hits, 2);
        assert_eq!(st.misses, 2);
    }

    #[test]
    fn shrinking_the_budget_evicts_at_once() {
        let cache = PageCache::new(32 * 1024, 1024); // 4 pages per shard
        let leaf = Arc::new(PageNode::empty_leaf(1024));
        for pid in 0..32u64 {
            cache.insert(pid, leaf.clone());
        }
        assert_eq!(cache.stats().bytes_cached, 32 * 1024);
        cache.set_capacity(8 * 1024); // 1 page per shard: the newest stays
        let st = cache.stats();
        assert_eq!((st.bytes_cached, st.capacity_bytes, st.evictions), (8 * 1024, 8 * 1024, 24));
        assert!(cache.get(31).is_some() && cache.get(0).is_none());
        cache.set_capacity(64 * 1024);
        for pid in 100..164u64 {
            cache.insert(pid, leaf.clone());
        }
        assert_eq!(cache.stats().bytes_cached, 64 * 1024);
    }

    #[test]
    fn pages_in_use_survive_a_stream_of_one_time_reads() {
        let cache = PageCache::new(8 * 8 * 1024, 1024); // 8 pages per shard
        let page = Arc::new(PageNode::empty_leaf(1024));
        // Shard 0: two "branch" pages looked up before every "leaf" read.
        cache.insert(0, page.clone());
        cache.insert(8, page.clone());
        for leaf in 2..500u64 {
            assert!(cache.get(0).is_some() && cache.get(8).is_some(), "hot page lost at leaf {leaf}");
            if cache.get(leaf * 8).is_none() {
                cache.insert(leaf * 8, page.clone());
            }
        }
        let st = cache.stats();
        assert_eq!(st.bytes_cached, 8 * 1024, "one shard full, the rest empty");
        assert_eq!(st.evictions, 498 + 2 - 8);
    }

    #[test]
    fn only_unshared_evicted_pages_lend_their_buffers() {
        let cache = PageCache::new(8 * 1024, 1024); // 1 page per shard
        let held = Arc::new(PageNode::empty_leaf(1024));
        cache.insert(0, held.clone());
        cache.insert(8, Arc::new(PageNode::empty_leaf(1024))); // evicts 0, still held
        let mut bufs = cache.buffers_for(16);
        bufs.page.fill(0xee); // a fresh buffer, not the held page's
        assert!(held.key(0).is_none() && held.is_leaf());
        cache.insert(16, Arc::new(PageNode::empty_leaf(1024))); // evicts 8, unshared: recycled
        let recycled = cache.buffers_for(24);
        assert_eq!(recycled.page.len(), 1024);
        assert_eq!(recycled.page[4], 1, "the evicted leaf's bytes, about to be overwritten by a read");
        assert_eq!(cache.stats().evictions, 2);
    }
}
