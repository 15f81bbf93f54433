//! Free-space accounting and the system blob a checkpoint writes beside its
//! trees.
//!
//! The system blob is a run of pages named by the meta record. It holds the
//! tree directory (tree id -> root page and entry count), the reusable free
//! ranges, the pending frees (pages a later checkpoint stopped using, each
//! tagged with that checkpoint's id: reusable only once every retained
//! checkpoint is at least that new), the retained older checkpoints (for
//! time travel) and the change-feed consumers' positions.
//!
//! ```text
//! u32 version (1)
//! varint n, n x [u64 tree id, u64 root page, u64 entry count]
//! varint n, n x [varint first page, varint pages]            free ranges
//! varint n, n x [u64 freed at, varint first, varint pages]   pending frees
//! varint n, n x [u64 id, u64 lsn, u64 ms, u64 blob page, u64 blob len, u32 blob crc]
//! varint n, n x [varint name len, name, u64 lsn]             consumers
//! ```

use crate::btree::Freed;
use crate::codec::{DecodeError, Reader, put_bytes, put_varint};
use crate::error::PageId;
use crate::wal::{Lsn, TreeId};
use std::collections::BTreeMap;

/// A durable checkpoint: where its system blob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct CkptInfo {
    pub(crate) id: u64,
    pub(crate) lsn: Lsn,
    pub(crate) timestamp_ms: u64,
    pub(crate) sys_first: PageId,
    pub(crate) sys_len: u64,
    pub(crate) sys_crc: u32,
}

/// Page allocation state.
#[derive(Debug, Clone, Default)]
pub(crate) struct FreeSpace {
    /// Reusable ranges, first page -> pages, coalesced.
    pub(crate) free: BTreeMap<PageId, u64>,
    /// (freed at checkpoint, range): not reusable yet.
    pub(crate) pending: Vec<(u64, Freed)>,
    /// Pages `[0, page_count)` exist in the file.
    pub(crate) page_count: u64,
}

impl FreeSpace {
    /// Allocates `n` consecutive pages: the lowest free range that fits,
    /// else the end of the file.
    pub(crate) fn alloc(&mut self, n: u64) -> PageId {
        let found = self.free.iter().find(|(_, len)| **len >= n).map(|(f, l)| (*f, *l));
        if let Some((first, len)) = found {
            self.free.remove(&first);
            if len > n {
                self.free.insert(first + n, len - n);
            }
            return first;
        }
        // Extend, absorbing a free range that touches the end.
        if let Some((&first, &len)) = self.free.iter().next_back()
            && first + len == self.page_count
        {
            self.free.remove(&first);
            self.page_count = first + n;
            return first;
        }
        let first = self.page_count;
        self.page_count += n;
        first
    }

    /// Makes a range reusable now.
    pub(crate) fn release(&mut self, f: Freed) {
        let (mut first, mut pages) = (f.first, f.pages);
        if let Some((&pf, &pl)) = self.free.range(..first).next_back()
            && pf + pl == first
        {
            self.free.remove(&pf);
            first = pf;
            pages += pl;
        }
        if let Some(&nl) = self.free.get(&(first + pages)) {
            self.free.remove(&(first + pages));
            pages += nl;
        }
        if first + pages == self.page_count {
            self.page_count = first;
        } else {
            self.free.insert(first, pages);
        }
    }

    /// Releases every pending range freed at or before checkpoint `upto`.
    pub(crate) fn promote(&mut self, upto: u64) -> u64 {
        let (ready, keep): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|(at, _)| *at <= upto);
        self.pending = keep;
        let mut n = 0;
        for (_, f) in ready {
            n += f.pages;
            self.release(f);
        }
        n
    }

    pub(crate) fn free_pages(&self) -> u64 {
        self.free.values().sum()
    }

    pub(crate) fn pending_pages(&self) -> u64 {
        self.pending.iter().map(|(_, f)| f.pages).sum()
    }
}

/// Everything the system blob holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct SystemState {
    pub(crate) trees: BTreeMap<TreeId, (PageId, u64)>,
    pub(crate) space: FreeSpace,
    pub(crate) history: Vec<CkptInfo>,
    pub(crate) consumers: BTreeMap<String, Lsn>,
}

impl SystemState {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&1u32.to_le_bytes());
        put_varint(&mut out, self.trees.len() as u64);
        for (id, (root, len)) in &self.trees {
            for v in [*id, *root, *len] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        put_varint(&mut out, self.space.free.len() as u64);
        for (f, n) in &self.space.free {
            put_varint(&mut out, *f);
            put_varint(&mut out, *n);
        }
        put_varint(&mut out, self.space.pending.len() as u64);
        for (at, f) in &self.space.pending {
            out.extend_from_slice(&at.to_le_bytes());
            put_varint(&mut out, f.first);
            put_varint(&mut out, f.pages);
        }
        put_varint(&mut out, self.history.len() as u64);
        for c in &self.history {
            for v in [c.id, c.lsn, c.timestamp_ms, c.sys_first, c.sys_len] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&c.sys_crc.to_le_bytes());
        }
        put_varint(&mut out, self.consumers.len() as u64);
        for (name, lsn) in &self.consumers {
            put_bytes(&mut out, name.as_bytes());
            out.extend_from_slice(&lsn.to_le_bytes());
        }
        out
    }

    pub(crate) fn decode(buf: &[u8], page_count: u64) -> Result<Self, DecodeError> {
        let mut r = Reader::new(buf);
        if r.u32()? != 1 {
            return Err(DecodeError("unknown system blob version"));
        }
        let count = |r: &mut Reader<'_>| -> Result<usize, DecodeError> {
            let n = r.varint()?;
            // Every entry takes at least two bytes.
            if n > (r.remaining() / 2) as u64 {
                return Err(DecodeError("entry count larger than the blob"));
            }
            Ok(n as usize)
        };
        let mut s = SystemState::default();
        s.space.page_count = page_count;
        let in_file = |first: u64, pages: u64| first.checked_add(pages).is_some_and(|e| e <= page_count);
        for _ in 0..count(&mut r)? {
            let (id, root, len) = (r.u64()?, r.u64()?, r.u64()?);
            if root >= page_count {
                return Err(DecodeError("tree root beyond the end of the file"));
            }
            s.trees.insert(id, (root, len));
        }
        for _ in 0..count(&mut r)? {
            let (f, n) = (r.varint()?, r.varint()?);
            if !in_file(f, n) || n == 0 {
                return Err(DecodeError("free range beyond the end of the file"));
            }
            s.space.free.insert(f, n);
        }
        for _ in 0..count(&mut r)? {
            let at = r.u64()?;
            let (first, pages) = (r.varint()?, r.varint()?);
            if !in_file(first, pages) {
                return Err(DecodeError("pending range beyond the end of the file"));
            }
            s.space.pending.push((at, Freed { first, pages }));
        }
        for _ in 0..count(&mut r)? {
            s.history.push(CkptInfo {
                id: r.u64()?,
                lsn: r.u64()?,
                timestamp_ms: r.u64()?,
                sys_first: r.u64()?,
                sys_len: r.u64()?,
                sys_crc: r.u32()?,
            });
        }
        for _ in 0..count(&mut r)? {
            let name = String::from_utf8(r.len_prefixed()?.to_vec()).map_err(|_| DecodeError("consumer name"))?;
            s.consumers.insert(name, r.u64()?);
        }
        if r.remaining() != 0 {
            return Err(DecodeError("trailing bytes in the system blob"));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_release_coalesce_and_shrink() {
        let mut fs = FreeSpace::default();
        let a = fs.alloc(1);
        let b = fs.alloc(3);
        let c = fs.alloc(1);
        assert_eq!((a, b, c, fs.page_count), (0, 1, 4, 5));
        fs.release(Freed { first: 1, pages: 3 });
        assert_eq!(fs.alloc(2), 1);
        fs.release(Freed { first: 0, pages: 1 });
        fs.release(Freed { first: 1, pages: 2 });
        assert_eq!(fs.free.get(&0), Some(&4));
        fs.release(Freed { first: 4, pages: 1 });
        assert_eq!(fs.page_count, 0, "a free tail shrinks the file");
        fs.pending.push((3, Freed { first: 0, pages: 1 }));
        assert_eq!(fs.promote(2), 0);
        assert_eq!(fs.pending.len(), 1);
    }

    #[test]
    fn system_round_trip_and_bounds() {
        let mut s = SystemState::default();
        s.trees.insert(7, (3, 100));
        s.space.page_count = 10;
        s.space.free.insert(5, 2);
        s.space.pending.push((4, Freed { first: 8, pages: 1 }));
        s.history.push(CkptInfo { id: 3, lsn: 9, ..Default::default() });
        s.consumers.insert("lake".into(), 42);
        let buf = s.encode();
        let back = SystemState::decode(&buf, 10).expect("decode");
        assert_eq!(back.trees, s.trees);
        assert_eq!(back.space.free, s.space.free);
        assert_eq!(back.history, s.history);
        assert_eq!(back.consumers, s.consumers);
        assert!(SystemState::decode(&buf, 4).is_err(), "root beyond file end");
        for cut in 0..buf.len() {
            assert!(SystemState::decode(&buf[..cut], 10).is_err());
        }
    }
}
