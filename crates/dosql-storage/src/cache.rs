//! The page cache: decoded nodes keyed by page id, least-recently-used
//! eviction under a byte budget, sharded so concurrent readers rarely meet
//! on one lock.
//!
//! Every cached page is charged the full page size: the budget bounds the
//! number of resident pages, which is what the guide's memory budget means.

use crate::error::PageId;
use crate::node::Node;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

const SHARDS: usize = 8;

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

#[derive(Default)]
struct Shard {
    map: HashMap<PageId, (Arc<Node>, u64)>,
    /// Recency order: tick -> page.
    order: BTreeMap<u64, PageId>,
    tick: u64,
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

    pub(crate) fn get(&self, pid: PageId) -> Option<Arc<Node>> {
        let mut s = self.shard(pid).lock();
        s.tick += 1;
        let tick = s.tick;
        let found = match s.map.get_mut(&pid) {
            Some((node, t)) => {
                let old = std::mem::replace(t, tick);
                Some((node.clone(), old))
            }
            None => None,
        };
        match found {
            Some((node, old)) => {
                s.order.remove(&old);
                s.order.insert(tick, pid);
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(node)
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    pub(crate) fn insert(&self, pid: PageId, node: Arc<Node>) {
        let mut s = self.shard(pid).lock();
        s.tick += 1;
        let tick = s.tick;
        if let Some((_, old)) = s.map.insert(pid, (node, tick)) {
            s.order.remove(&old);
        }
        s.order.insert(tick, pid);
        let cap = self.pages_per_shard.load(Ordering::Relaxed);
        while s.map.len() > cap {
            let Some((_, victim)) = s.order.pop_first() else {
                break;
            };
            s.map.remove(&victim);
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Changes the budget, evicting least recently used pages at once when
    /// it shrinks.
    pub(crate) fn set_capacity(&self, capacity_bytes: usize) {
        let cap = (capacity_bytes / self.page_size).max(SHARDS) / SHARDS;
        self.pages_per_shard.store(cap, Ordering::Relaxed);
        for shard in &self.shards {
            let mut s = shard.lock();
            while s.map.len() > cap {
                let Some((_, victim)) = s.order.pop_first() else { break };
                s.map.remove(&victim);
                self.evictions.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Forgets a page whose location is being reused for other content.
    pub(crate) fn remove(&self, pid: PageId) {
        let mut s = self.shard(pid).lock();
        if let Some((_, t)) = s.map.remove(&pid) {
            s.order.remove(&t);
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
    use crate::node::Leaf;

    #[test]
    fn evicts_least_recently_used_within_budget() {
        let cache = PageCache::new(16 * 1024, 1024); // 2 pages per shard
        let leaf = Arc::new(Node::Leaf(Leaf::empty()));
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
        let leaf = Arc::new(Node::Leaf(Leaf::empty()));
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
}
