//! [`Packed`]: the sorted entries of an in-memory node in one contiguous
//! buffer, in their page encoding, with an index of where each key lies.
//!
//! In-memory nodes are shared with snapshots and copied by the first write
//! after a commit (`Arc::make_mut`), so the copy has to be cheap: a packed
//! node clones with two allocations (buffer and index) whatever it holds,
//! where a vector of separately allocated keys and values cost two per
//! entry to copy and as many frees to drop. Because the buffer is already
//! the page encoding of the entries, a checkpoint writes it with one copy
//! and a page becomes writable with one copy.
//!
//! Each entry is `varint key_len, key, payload`; the payload is opaque here
//! (a leaf's encoded value, nothing for a branch key). Changes move the
//! bytes after the changed entry, at most a page's worth.
//!
//! Left out: keeping the order is the caller's job (inserts take the
//! position the caller searched for), and offsets are `u32`: a node is
//! never much larger than a page (64 KiB at most).

use crate::codec::varint_len;
use crate::node::cmp_keys;
use std::cmp::Ordering;
use std::ops::Range;

/// Where one entry's key lies in [`Packed::data`]; its payload runs from
/// `end` to the next entry's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// Sorted entries in one buffer; see the module docs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Packed {
    data: Vec<u8>,
    spans: Vec<Span>,
}

/// Writes `v` as a varint into a stack buffer; returns the buffer and the
/// number of bytes used.
pub(crate) fn varint_bytes(mut v: u64) -> ([u8; 10], usize) {
    let mut out = [0u8; 10];
    let mut n = 0;
    while v >= 0x80 {
        out[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    out[n] = v as u8;
    (out, n + 1)
}

impl Packed {
    /// Entries already encoded back to back in `data` whose keys lie at
    /// `spans` (as a validated page gives them).
    pub(crate) fn from_parts(data: Vec<u8>, spans: Vec<Span>) -> Self {
        Packed { data, spans }
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The encoded entries, back to back.
    pub(crate) fn data(&self) -> &[u8] {
        &self.data
    }

    /// Where entry `i` starts (its key length), or the end of the data for
    /// `i == len()`.
    fn entry_start(&self, i: usize) -> usize {
        match self.spans.get(i) {
            Some(s) => s.start as usize - varint_len(u64::from(s.end - s.start)),
            None => self.data.len(),
        }
    }

    /// The bytes of entry `i`.
    pub(crate) fn entry_range(&self, i: usize) -> Option<Range<usize>> {
        (i < self.len()).then(|| self.entry_start(i)..self.entry_start(i + 1))
    }

    /// Encoded length of entry `i` (0 past the end).
    pub(crate) fn entry_len(&self, i: usize) -> usize {
        self.entry_range(i).map_or(0, |r| r.len())
    }

    /// Key `i`.
    #[inline]
    pub(crate) fn key(&self, i: usize) -> Option<&[u8]> {
        let s = self.spans.get(i)?;
        self.data.get(s.start as usize..s.end as usize)
    }

    /// The payload of entry `i`.
    pub(crate) fn payload(&self, i: usize) -> Option<&[u8]> {
        let s = self.spans.get(i)?;
        self.data.get(s.end as usize..self.entry_start(i + 1))
    }

    /// Entry `i` split into its key with the length before it, and its
    /// payload.
    pub(crate) fn entry_parts(&self, i: usize) -> Option<(&[u8], &[u8])> {
        let s = self.spans.get(i)?;
        let r = self.entry_range(i)?;
        Some((self.data.get(r.start..s.end as usize)?, self.data.get(s.end as usize..r.end)?))
    }

    /// The last key.
    pub(crate) fn last_key(&self) -> Option<&[u8]> {
        self.key(self.len().checked_sub(1)?)
    }

    /// `Ok(i)` if key `i` equals `key`, else `Err` of where it would go.
    pub(crate) fn search(&self, key: &[u8]) -> Result<usize, usize> {
        self.spans
            .binary_search_by(|s| cmp_keys(self.data.get(s.start as usize..s.end as usize).unwrap_or_default(), key))
    }

    /// Number of keys `< key` (`strict`) or `<= key`.
    pub(crate) fn partition(&self, key: &[u8], strict: bool) -> usize {
        self.spans.partition_point(|s| {
            let k = self.data.get(s.start as usize..s.end as usize).unwrap_or_default();
            match cmp_keys(k, key) {
                Ordering::Less => true,
                Ordering::Equal => !strict,
                Ordering::Greater => false,
            }
        })
    }

    /// Moves the spans from entry `from` on by `delta` bytes.
    fn shift(&mut self, from: usize, delta: isize) {
        for s in self.spans.iter_mut().skip(from) {
            s.start = (s.start as isize + delta) as u32;
            s.end = (s.end as isize + delta) as u32;
        }
    }

    /// Replaces the bytes `at` with `len` new bytes (which the caller
    /// fills in), moving what follows; returns the new bytes.
    fn resize_at(&mut self, at: Range<usize>, len: usize) -> &mut [u8] {
        let old_len = self.data.len();
        let tail = at.end..old_len;
        if len > at.len() {
            let grow = len - at.len();
            self.data.resize(old_len + grow, 0);
            self.data.copy_within(tail, at.end + grow);
        } else {
            let shrink = at.len() - len;
            self.data.copy_within(tail, at.end - shrink);
            self.data.truncate(old_len - shrink);
        }
        &mut self.data[at.start..at.start + len]
    }

    /// Inserts an entry at position `i` (`<= len()`); the caller keeps the
    /// keys sorted. `payload` is given in parts, concatenated.
    pub(crate) fn insert(&mut self, i: usize, key: &[u8], payload: &[&[u8]]) {
        let i = i.min(self.len());
        let at = self.entry_start(i);
        let (klen, kl) = varint_bytes(key.len() as u64);
        let plen: usize = payload.iter().map(|p| p.len()).sum();
        let total = kl + key.len() + plen;
        let out = self.resize_at(at..at, total);
        let (head, rest) = out.split_at_mut(kl);
        head.copy_from_slice(&klen[..kl]);
        let (k, mut rest) = rest.split_at_mut(key.len());
        k.copy_from_slice(key);
        for p in payload {
            let (dst, r) = rest.split_at_mut(p.len());
            dst.copy_from_slice(p);
            rest = r;
        }
        self.shift(i, total as isize);
        let start = (at + kl) as u32;
        self.spans.insert(i, Span { start, end: start + key.len() as u32 });
    }

    /// Appends an entry after the last one.
    pub(crate) fn push(&mut self, key: &[u8], payload: &[&[u8]]) {
        self.insert(self.len(), key, payload);
    }

    /// Replaces the payload of entry `i`.
    pub(crate) fn set_payload(&mut self, i: usize, payload: &[&[u8]]) {
        let Some(s) = self.spans.get(i).copied() else { return };
        let at = s.end as usize..self.entry_start(i + 1);
        let plen: usize = payload.iter().map(|p| p.len()).sum();
        let delta = plen as isize - at.len() as isize;
        let mut rest = self.resize_at(at, plen);
        for p in payload {
            let (dst, r) = rest.split_at_mut(p.len());
            dst.copy_from_slice(p);
            rest = r;
        }
        self.shift(i + 1, delta);
    }

    /// Removes entry `i`.
    pub(crate) fn remove(&mut self, i: usize) {
        let Some(r) = self.entry_range(i) else { return };
        let len = r.len();
        self.resize_at(r, 0);
        self.spans.remove(i);
        self.shift(i, -(len as isize));
    }

    /// Splits off entries `i..` into a new `Packed`.
    pub(crate) fn split_off(&mut self, i: usize) -> Packed {
        let i = i.min(self.len());
        let at = self.entry_start(i);
        let data = self.data.split_off(at);
        let mut spans = self.spans.split_off(i);
        let base = at as u32;
        for s in &mut spans {
            s.start -= base;
            s.end -= base;
        }
        Packed { data, spans }
    }

    /// Appends all of `other`'s entries (whose keys must sort after these).
    pub(crate) fn append(&mut self, other: &Packed) {
        let base = self.data.len() as u32;
        self.data.extend_from_slice(&other.data);
        self.spans.extend(other.spans.iter().map(|s| Span { start: s.start + base, end: s.end + base }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::put_bytes;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// One change to a packed node and the model.
    #[derive(Debug, Clone)]
    enum Op {
        Put(Vec<u8>, Vec<u8>),
        Remove(Vec<u8>),
        /// Split at a fraction (per mille) of the length, then append back.
        SplitJoin(u16),
        /// Clone, change the clone, and check the original is untouched.
        CloneApart(Vec<u8>),
    }

    fn key() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x7f, 0x80, 0xff, b'a']), 0..12)
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (key(), prop::collection::vec(any::<u8>(), 0..200)).prop_map(|(k, v)| Op::Put(k, v)),
            2 => key().prop_map(Op::Remove),
            1 => (0u16..=1000).prop_map(Op::SplitJoin),
            1 => key().prop_map(Op::CloneApart),
        ]
    }

    fn put(p: &mut Packed, k: &[u8], v: &[u8]) {
        match p.search(k) {
            Ok(i) => p.set_payload(i, &[b"<", v]),
            Err(i) => p.insert(i, k, &[b"<", v]),
        }
    }

    /// The packed node holds exactly the model's entries, in order, and its
    /// buffer is their encoding back to back.
    fn check(p: &Packed, model: &BTreeMap<Vec<u8>, Vec<u8>>) -> Result<(), TestCaseError> {
        prop_assert_eq!(p.len(), model.len());
        let mut enc = Vec::new();
        for (i, (k, v)) in model.iter().enumerate() {
            prop_assert_eq!(p.key(i), Some(k.as_slice()));
            let mut want = b"<".to_vec();
            want.extend_from_slice(v);
            prop_assert_eq!(p.payload(i), Some(want.as_slice()));
            let start = enc.len();
            put_bytes(&mut enc, k);
            enc.extend_from_slice(&want);
            prop_assert_eq!(p.entry_range(i), Some(start..enc.len()));
            prop_assert_eq!(p.search(k), Ok(i));
        }
        prop_assert_eq!(p.data(), enc.as_slice());
        prop_assert_eq!(p.key(model.len()), None);
        prop_assert_eq!(p.payload(model.len()), None);
        prop_assert_eq!(p.last_key(), model.keys().next_back().map(Vec::as_slice));
        Ok(())
    }

    proptest! {
        /// Inserts, replacements, removals, splits, joins and clones agree
        /// with a `BTreeMap`, and searches with sorted-slice searches.
        #[test]
        fn packed_matches_a_btreemap(ops in prop::collection::vec(op(), 1..120), probes in prop::collection::vec(key(), 0..20)) {
            let mut p = Packed::default();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Put(k, v) => {
                        put(&mut p, &k, &v);
                        model.insert(k, v);
                    }
                    Op::Remove(k) => {
                        if let Ok(i) = p.search(&k) {
                            p.remove(i);
                        }
                        model.remove(&k);
                    }
                    Op::SplitJoin(f) => {
                        let at = p.len() * usize::from(f) / 1000;
                        let right = p.split_off(at);
                        prop_assert_eq!(p.len(), at);
                        prop_assert_eq!(right.key(0), model.keys().nth(at).map(Vec::as_slice));
                        p.append(&right);
                    }
                    Op::CloneApart(k) => {
                        let before = p.data().to_vec();
                        let mut c = p.clone();
                        put(&mut c, &k, b"changed");
                        if let Ok(i) = c.search(&k) {
                            c.remove(i);
                        }
                        prop_assert_eq!(p.data(), before.as_slice());
                    }
                }
                check(&p, &model)?;
            }
            let keys: Vec<&Vec<u8>> = model.keys().collect();
            for probe in probes.iter().chain(model.keys()) {
                prop_assert_eq!(p.partition(probe, true), keys.partition_point(|k| k.as_slice() < probe.as_slice()));
                prop_assert_eq!(p.partition(probe, false), keys.partition_point(|k| k.as_slice() <= probe.as_slice()));
            }
        }
    }

    #[test]
    fn long_keys_take_multibyte_lengths() {
        let mut p = Packed::default();
        let long = vec![7u8; 300];
        p.push(b"a", &[b"x"]);
        p.push(&long, &[b"yy"]);
        p.insert(0, b"", &[]);
        assert_eq!(p.key(2), Some(long.as_slice()));
        assert_eq!(p.entry_len(2), 2 + 300 + 2);
        assert_eq!(p.payload(0), Some(&[][..]));
        p.remove(1);
        assert_eq!((p.key(0), p.key(1)), (Some(&b""[..]), Some(long.as_slice())));
        assert_eq!(p.data().len(), 1 + 2 + 300 + 2);
    }
}
