//! B+tree nodes: their in-memory form, their exact encoded size, their
//! page encoding, and the read-only form pages are cached in.
//!
//! A node is either on disk ([`NodeRef::Disk`], read through the page cache
//! on demand as a [`PageNode`]: the verified page bytes plus an index of
//! its keys, searched in place) or in memory ([`NodeRef::Mem`], created or
//! modified since the last checkpoint). Readers see both through
//! [`Loaded`]; a writer turns a page into a mutable [`Node`] only when it
//! changes it. In-memory nodes are shared through `Arc` and are never
//! modified while shared: writers go through `Arc::make_mut`, which
//! copies a node that a reader's snapshot still holds. That is the whole
//! snapshot-isolation mechanism.
//!
//! Page layout (all integers little-endian):
//!
//! ```text
//! offset size  field
//! 0      4     crc32 of (page id as u64 LE ++ bytes 4..page_size)
//! 4      1     kind: 1 = leaf, 2 = branch
//! 5      3     zero
//! 8      8     checkpoint id that wrote the page
//! 16     4     entry count n
//! leaf:   n x [varint key_len, key, tag, value]
//!           tag 0: varint len, bytes        (inline value)
//!           tag 1: u64 first page, u64 len, u32 crc32   (overflow run)
//! branch: u64 child0, then n x [varint key_len, key, u64 child]
//! rest of the page is zero
//! ```
//!
//! In a branch, `keys[i]` separates `children[i]` (keys `< keys[i]`) from
//! `children[i + 1]` (keys `>= keys[i]`).
//!
//! Left out: prefix compression of keys within a page, and an offset
//! array in the page (so a page read still walks its entries once).

use crate::codec::{DecodeError, Reader, varint_len};
#[cfg(test)]
use crate::codec::{put_bytes, put_varint};
use crate::error::PageId;
use crate::packed::{Packed, Span, varint_bytes};
use std::cmp::Ordering;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

/// Offset of the entry count; everything before it is the page header.
pub(crate) const PAGE_HEADER: usize = 16;
/// Bytes of a node before its entries (header and count).
pub(crate) const NODE_HEADER: usize = PAGE_HEADER + 4;
const KIND_LEAF: u8 = 1;
const KIND_BRANCH: u8 = 2;
/// Encoded size of an overflow reference after the tag.
const OVERFLOW_REF: usize = 8 + 8 + 4;

/// A child pointer or tree root.
#[derive(Clone, Debug)]
pub(crate) enum NodeRef {
    /// A page of the last checkpoint, read through the cache.
    Disk(PageId),
    /// A node created or changed since the last checkpoint.
    Mem(Arc<Node>),
}

/// A leaf value.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    /// Stored in the leaf.
    Inline(Vec<u8>),
    /// Too large for a leaf and not yet written: it gets an overflow run at
    /// the next checkpoint.
    Big(Arc<Vec<u8>>),
    /// Stored in a run of consecutive pages, checksummed as a whole.
    Overflow {
        /// First page of the run.
        first: PageId,
        /// Length in bytes.
        len: u64,
        /// crc32 of the bytes.
        crc: u32,
    },
}

impl ValRef<'_> {
    /// Encoded size in a leaf entry, tag included.
    pub(crate) fn encoded_len(self) -> usize {
        1 + match self {
            ValRef::Inline(v) => varint_len(v.len() as u64) + v.len(),
            ValRef::Big(_) | ValRef::Overflow { .. } => OVERFLOW_REF,
        }
    }
}

/// A B+tree node.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Leaf(Leaf),
    Branch(Branch),
}

/// Value tag of an inline value (page format).
const TAG_INLINE: u8 = 0;
/// Value tag of an overflow run (page format).
const TAG_OVERFLOW: u8 = 1;
/// Value tag of a large value not yet written, in memory only: the tag is
/// followed by the value's id in [`Leaf::bigs`], its length and 4 zero
/// bytes, as long as the overflow reference it becomes.
const TAG_BIG: u8 = 2;

/// Ids of large values in memory; unique in the process, so leaves can be
/// split and merged without renumbering.
static NEXT_BIG: AtomicU64 = AtomicU64::new(1);

/// Keys and values, sorted by key, packed in their page encoding (see
/// [`Packed`]): copying a shared leaf costs a few allocations whatever it
/// holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct Leaf {
    entries: Packed,
    /// Large values not yet written (tag 2 entries), by id.
    bigs: Vec<(u64, Arc<Vec<u8>>)>,
}

/// Separator keys and children, `children.len() == keys.len() + 1`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Branch {
    /// The keys, with empty payloads (children are kept apart).
    keys: Packed,
    pub(crate) children: Vec<NodeRef>,
}

/// Where a checkpoint wrote what a node still refers to in memory; see
/// [`Node::encode_into`].
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// Pages of the in-memory children of a branch, in child order.
    pub(crate) children: Vec<PageId>,
    /// Runs (first page, length, crc32) of the large values of a leaf, in
    /// key order.
    pub(crate) runs: Vec<(PageId, u64, u32)>,
}

pub(crate) fn leaf_entry_len(key: &[u8], val: ValRef<'_>) -> usize {
    varint_len(key.len() as u64) + key.len() + val.encoded_len()
}

/// Calls `f` with the payload encoding of a value (in parts); `big_id` is
/// the id a large unwritten value is stored under.
fn with_payload<R>(val: ValRef<'_>, big_id: u64, f: impl FnOnce(&[&[u8]]) -> R) -> R {
    match val {
        ValRef::Inline(b) => {
            let (len, n) = varint_bytes(b.len() as u64);
            f(&[&[TAG_INLINE], len.get(..n).unwrap_or_default(), b])
        }
        ValRef::Overflow { first, len, crc } => {
            let mut r = [0u8; OVERFLOW_REF];
            r[..8].copy_from_slice(&first.to_le_bytes());
            r[8..16].copy_from_slice(&len.to_le_bytes());
            r[16..].copy_from_slice(&crc.to_le_bytes());
            f(&[&[TAG_OVERFLOW], &r])
        }
        ValRef::Big(b) => {
            let mut r = [0u8; OVERFLOW_REF];
            r[..8].copy_from_slice(&big_id.to_le_bytes());
            r[8..16].copy_from_slice(&(b.len() as u64).to_le_bytes());
            f(&[&[TAG_BIG], &r])
        }
    }
}

/// The id in a tag-2 payload.
fn big_id(payload: &[u8]) -> Option<u64> {
    match payload.split_first() {
        Some((&TAG_BIG, rest)) => Some(u64::from_le_bytes(*rest.first_chunk::<8>()?)),
        _ => None,
    }
}

impl Leaf {
    pub(crate) fn empty() -> Self {
        Leaf::default()
    }

    /// A leaf of the given entries (sorted by key), for tests.
    #[cfg(test)]
    pub(crate) fn from_entries(keys: Vec<Vec<u8>>, vals: Vec<Val>) -> Self {
        let mut l = Leaf::empty();
        for (k, v) in keys.iter().zip(&vals) {
            let at = l.len();
            l.insert_at(at, k, v.as_ref());
        }
        l
    }

    /// The leaf behind already encoded entries.
    fn from_packed(entries: Packed) -> Self {
        Leaf { entries, bigs: Vec::new() }
    }

    /// Encoded size including the header.
    pub(crate) fn bytes(&self) -> usize {
        NODE_HEADER + self.entries.data().len()
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Key `i`.
    pub(crate) fn key(&self, i: usize) -> Option<&[u8]> {
        self.entries.key(i)
    }

    /// The last key.
    pub(crate) fn last_key(&self) -> Option<&[u8]> {
        self.entries.last_key()
    }

    /// `Ok(i)` if key `i` is `key`, else `Err` of where it would go.
    pub(crate) fn search(&self, key: &[u8]) -> Result<usize, usize> {
        self.entries.search(key)
    }

    /// Encoded size of entry `i`.
    pub(crate) fn entry_len(&self, i: usize) -> usize {
        self.entries.entry_len(i)
    }

    /// Value `i`.
    pub(crate) fn val(&self, i: usize) -> Option<ValRef<'_>> {
        let payload = self.entries.payload(i)?;
        let mut r = Reader::new(payload);
        match r.u8().ok()? {
            // The value runs to the end of the payload: skip its length
            // rather than decode it (this is on every row of a scan).
            TAG_INLINE => {
                let rest = payload.get(1..)?;
                let n = rest.iter().position(|&b| b < 0x80)? + 1;
                rest.get(n..).map(ValRef::Inline)
            }
            TAG_OVERFLOW => Some(ValRef::Overflow { first: r.u64().ok()?, len: r.u64().ok()?, crc: r.u32().ok()? }),
            TAG_BIG => {
                let id = r.u64().ok()?;
                self.bigs.iter().find(|(b, _)| *b == id).map(|(_, v)| ValRef::Big(v))
            }
            _ => None,
        }
    }

    /// The large unwritten values, in key order.
    pub(crate) fn bigs_in_order(&self) -> impl Iterator<Item = &Arc<Vec<u8>>> {
        (0..self.len()).filter_map(|i| match self.val(i) {
            Some(ValRef::Big(b)) => Some(b),
            _ => None,
        })
    }

    /// The id to store `val` under: a new one for a large unwritten value
    /// (registered in `bigs`), else 0.
    fn register(&mut self, val: ValRef<'_>) -> u64 {
        match val {
            ValRef::Big(b) => {
                let id = NEXT_BIG.fetch_add(1, AtomicOrdering::Relaxed);
                self.bigs.push((id, b.clone()));
                id
            }
            _ => 0,
        }
    }

    /// Drops the registration of the large value in `payload`, if any, and
    /// returns it.
    fn unregister(&mut self, payload_id: Option<u64>) -> Option<Arc<Vec<u8>>> {
        let id = payload_id?;
        let at = self.bigs.iter().position(|(b, _)| *b == id)?;
        Some(self.bigs.swap_remove(at).1)
    }

    /// The owned value `i`, before it is overwritten or removed.
    fn take_val(&mut self, i: usize) -> Option<Val> {
        let id = self.entries.payload(i).and_then(big_id);
        match self.unregister(id) {
            Some(b) => Some(Val::Big(b)),
            None => self.val(i).map(ValRef::to_val),
        }
    }

    /// Inserts an entry at position `i` (the caller keeps keys sorted).
    pub(crate) fn insert_at(&mut self, i: usize, key: &[u8], val: ValRef<'_>) {
        let id = self.register(val);
        with_payload(val, id, |p| self.entries.insert(i, key, p));
    }

    /// Replaces value `i`; returns the old one.
    pub(crate) fn replace(&mut self, i: usize, val: ValRef<'_>) -> Option<Val> {
        let old = self.take_val(i)?;
        let id = self.register(val);
        with_payload(val, id, |p| self.entries.set_payload(i, p));
        Some(old)
    }

    /// Removes entry `i`; returns its value.
    pub(crate) fn remove(&mut self, i: usize) -> Option<Val> {
        let old = self.take_val(i)?;
        self.entries.remove(i);
        Some(old)
    }

    /// Splits off entries `i..` into a new leaf.
    pub(crate) fn split_off(&mut self, i: usize) -> Leaf {
        let mut right = Leaf::from_packed(self.entries.split_off(i));
        if !self.bigs.is_empty() {
            let ids: Vec<u64> = (0..right.len()).filter_map(|j| right.entries.payload(j).and_then(big_id)).collect();
            let (moved, kept) = std::mem::take(&mut self.bigs).into_iter().partition(|(id, _)| ids.contains(id));
            self.bigs = kept;
            right.bigs = moved;
        }
        right
    }

    /// Appends `other`'s entries, whose keys sort after these.
    pub(crate) fn append(&mut self, other: Leaf) {
        self.entries.append(&other.entries);
        self.bigs.extend(other.bigs);
    }
}

impl Branch {
    pub(crate) fn from_parts(keys: Vec<Vec<u8>>, children: Vec<NodeRef>) -> Self {
        let mut packed = Packed::default();
        for k in &keys {
            packed.push(k, &[]);
        }
        Branch { keys: packed, children }
    }

    /// Encoded size including the header.
    pub(crate) fn bytes(&self) -> usize {
        NODE_HEADER + 8 + self.keys.data().len() + 8 * self.keys.len()
    }

    /// Number of keys (one less than children).
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Key `i`.
    pub(crate) fn key(&self, i: usize) -> Option<&[u8]> {
        self.keys.key(i)
    }

    /// The child that covers `key`.
    pub(crate) fn child_index(&self, key: &[u8]) -> usize {
        self.keys.partition(key, false)
    }

    /// Encoded size of key `i` with its child pointer.
    pub(crate) fn entry_len(&self, i: usize) -> usize {
        self.keys.entry_len(i) + 8
    }

    /// Inserts key `key` at `i` and `child` right of it.
    pub(crate) fn insert(&mut self, i: usize, key: &[u8], child: NodeRef) {
        self.keys.insert(i, key, &[]);
        self.children.insert(i + 1, child);
    }

    /// Replaces key `i`.
    pub(crate) fn set_key(&mut self, i: usize, key: &[u8]) {
        self.keys.remove(i);
        self.keys.insert(i, key, &[]);
    }

    /// Removes key `i` and the child right of it.
    pub(crate) fn remove(&mut self, i: usize) {
        self.keys.remove(i);
        if i + 1 < self.children.len() {
            self.children.remove(i + 1);
        }
    }

    /// Splits at key `mid`: keys and children after it go to the returned
    /// branch, key `mid` itself is returned to move up.
    pub(crate) fn split_off(&mut self, mid: usize) -> (Vec<u8>, Branch) {
        let right_keys = self.keys.split_off(mid + 1);
        let right_children = self.children.split_off((mid + 1).min(self.children.len()));
        let up = self.keys.last_key().map(<[u8]>::to_vec).unwrap_or_default();
        self.keys.remove(mid);
        (up, Branch { keys: right_keys, children: right_children })
    }

    /// Appends `sep` and then `other`'s keys and children.
    pub(crate) fn append(&mut self, sep: &[u8], other: Branch) {
        self.keys.push(sep, &[]);
        self.keys.append(&other.keys);
        self.children.extend(other.children);
    }

    /// Moves the first `k` keys and children of `r` to the end of `self`,
    /// through the separator `sep` between them; returns the new separator.
    pub(crate) fn take_front(&mut self, r: &mut Branch, k: usize, sep: &[u8]) -> Vec<u8> {
        if k == 0 {
            return sep.to_vec();
        }
        let rest = r.keys.split_off(k);
        let moved = std::mem::replace(&mut r.keys, rest);
        let new_sep = moved.last_key().map(<[u8]>::to_vec).unwrap_or_default();
        self.keys.push(sep, &[]);
        let mut moved = moved;
        moved.remove(k - 1);
        self.keys.append(&moved);
        let kids: Vec<NodeRef> = r.children.drain(..k.min(r.children.len())).collect();
        self.children.extend(kids);
        new_sep
    }

    /// Moves the last `k` keys and children of `self` to the front of `r`,
    /// through the separator `sep` between them; returns the new separator.
    pub(crate) fn give_back(&mut self, r: &mut Branch, k: usize, sep: &[u8]) -> Vec<u8> {
        if k == 0 {
            return sep.to_vec();
        }
        let n = self.keys.len();
        let mut moved = self.keys.split_off(n - k);
        let new_sep = moved.key(0).map(<[u8]>::to_vec).unwrap_or_default();
        moved.remove(0);
        moved.push(sep, &[]);
        moved.append(&r.keys);
        r.keys = moved;
        let at = self.children.len().saturating_sub(k);
        let mut kids: Vec<NodeRef> = self.children.split_off(at);
        kids.append(&mut r.children);
        r.children = kids;
        new_sep
    }
}

impl Node {
    pub(crate) fn bytes(&self) -> usize {
        match self {
            Node::Leaf(l) => l.bytes(),
            Node::Branch(b) => b.bytes(),
        }
    }

    /// Encodes into `page` (zeroed, `page_size` long) without the checksum.
    /// Children must all be on disk and values inline or overflow.
    #[cfg(test)]
    pub(crate) fn encode(&self, generation: u64, page: &mut [u8]) -> Result<(), &'static str> {
        if self.bytes() > page.len() {
            return Err("node larger than a page");
        }
        let mut out = Vec::with_capacity(self.bytes());
        self.encode_into(generation, &mut out, &Written::default())?;
        page[..out.len()].copy_from_slice(&out);
        Ok(())
    }

    /// Appends the page encoding (without the checksum, not zero-padded)
    /// to `out`. `written` supplies where the checkpoint put what is still
    /// in memory: the page of each in-memory child of a branch and the run
    /// of each large value of a leaf, in order. The checkpoint encodes its
    /// nodes this way instead of copying each one to swap those references.
    pub(crate) fn encode_into(
        &self,
        generation: u64,
        out: &mut Vec<u8>,
        written: &Written,
    ) -> Result<(), &'static str> {
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        match self {
            Node::Leaf(l) => {
                out.push(KIND_LEAF);
                out.extend_from_slice(&[0; 3]);
                out.extend_from_slice(&generation.to_le_bytes());
                out.extend_from_slice(&(l.len() as u32).to_le_bytes());
                if l.bigs.is_empty() {
                    // The entries are kept in their page encoding.
                    out.extend_from_slice(l.entries.data());
                } else {
                    let mut runs = written.runs.iter();
                    for i in 0..l.len() {
                        let (head, payload) = l.entries.entry_parts(i).ok_or("leaf entry out of range")?;
                        out.extend_from_slice(head);
                        if big_id(payload).is_none() {
                            out.extend_from_slice(payload);
                            continue;
                        }
                        let (first, len, crc) = *runs.next().ok_or("unwritten large value in a node being encoded")?;
                        out.push(TAG_OVERFLOW);
                        out.extend_from_slice(&first.to_le_bytes());
                        out.extend_from_slice(&len.to_le_bytes());
                        out.extend_from_slice(&crc.to_le_bytes());
                    }
                }
            }
            Node::Branch(b) => {
                out.push(KIND_BRANCH);
                out.extend_from_slice(&[0; 3]);
                out.extend_from_slice(&generation.to_le_bytes());
                out.extend_from_slice(&(b.len() as u32).to_le_bytes());
                let mut pages = written.children.iter();
                let mut disk = |r: &NodeRef| match r {
                    NodeRef::Disk(p) => Ok(*p),
                    NodeRef::Mem(_) => pages.next().copied().ok_or("in-memory child in a node being encoded"),
                };
                let first = b.children.first().ok_or("branch without children")?;
                out.extend_from_slice(&disk(first)?.to_le_bytes());
                for (i, c) in b.children.get(1..).unwrap_or_default().iter().enumerate() {
                    let (head, _) = b.keys.entry_parts(i).ok_or("branch key out of range")?;
                    out.extend_from_slice(head);
                    out.extend_from_slice(&disk(c)?.to_le_bytes());
                }
            }
        }
        if out.len() - start != self.bytes() {
            return Err("node size accounting disagrees with its encoding");
        }
        Ok(())
    }

    /// Decodes a page whose checksum was already verified into its
    /// mutable form.
    #[cfg(test)]
    pub(crate) fn decode(page: &[u8]) -> Result<Node, DecodeError> {
        PageNode::parse(0, page.into())?.to_node()
    }
}

/// A page of the last checkpoint as the page cache holds it: the verified
/// page bytes and the position of each key, validated once when the page is
/// read. Lookups binary-search the keys in place and slice a value out only
/// when it is returned, so reading a page costs two allocations whatever it
/// holds, and a lookup touches few cache lines. A writer that changes the
/// page builds the mutable [`Node`] with [`PageNode::to_node`].
#[derive(Debug)]
pub(crate) struct PageNode {
    pid: PageId,
    page: Box<[u8]>,
    leaf: bool,
    spans: Vec<Span>,
    /// Where the entries end.
    end: u32,
    /// Length of the prefix every key of the page shares.
    common: usize,
    /// [`window`] of that prefix (its whole value when it is at most 8
    /// bytes long).
    common_window: u64,
    /// Per key, the 8 bytes after the common prefix (zero-padded, as a
    /// big-endian integer): a binary search compares these, in one dense
    /// array, and reads key bytes only among keys whose windows tie.
    windows: Vec<u64>,
}

/// The allocations of a [`PageNode`], recycled from an evicted page for
/// the next read so a cache miss allocates nothing of its own size.
#[derive(Debug, Default)]
pub(crate) struct PageBuffers {
    /// The page bytes; overwritten by the read.
    pub(crate) page: Box<[u8]>,
    spans: Vec<Span>,
    windows: Vec<u64>,
}

impl PageBuffers {
    /// Fresh buffers for a page of `page_size` bytes.
    pub(crate) fn new(page_size: usize) -> Self {
        PageBuffers { page: vec![0u8; page_size].into_boxed_slice(), spans: Vec::new(), windows: Vec::new() }
    }
}

/// Up to 8 leading bytes of `b`, zero-padded, as a big-endian integer:
/// comparing windows orders keys as comparing their bytes does, except
/// that keys which agree on 8 bytes (or differ only in trailing zero bytes
/// within them) tie.
/// The varint at `pos` of `page` and the position after it. Only the
/// shortest encoding is accepted, as the encoder writes it: a page must
/// re-encode to the same size, or its size accounting would be wrong.
#[inline(always)]
fn minimal_varint(page: &[u8], pos: usize) -> Result<(usize, usize), DecodeError> {
    match page.get(pos) {
        Some(&b) if b < 0x80 => Ok((usize::from(b), pos + 1)),
        _ => long_varint(page, pos),
    }
}

/// [`minimal_varint`] of two bytes or more (or none).
#[cold]
fn long_varint(page: &[u8], pos: usize) -> Result<(usize, usize), DecodeError> {
    let mut r = Reader::new(page.get(pos..).ok_or(DecodeError("unexpected end of data"))?);
    let v = r.varint()?;
    if r.pos() != varint_len(v) {
        return Err(DecodeError("page length disagrees with its entries"));
    }
    Ok((usize::try_from(v).map_err(|_| DecodeError("length too large"))?, pos + r.pos()))
}

#[inline]
fn window(b: &[u8]) -> u64 {
    if let Some(head) = b.first_chunk::<8>() {
        return u64::from_be_bytes(*head);
    }
    let mut w = 0u64;
    for (i, &x) in b.iter().enumerate() {
        w |= u64::from(x) << (56 - 8 * i);
    }
    w
}

/// Orders two keys as comparing their bytes does. Keys of a node mostly
/// differ within their first 8 bytes: comparing those as one word first
/// skips the `memcmp` call a slice comparison makes, which dominated
/// searches of in-memory nodes.
#[inline]
pub(crate) fn cmp_keys(a: &[u8], b: &[u8]) -> Ordering {
    let (x, y) = (window(a), window(b));
    if x != y {
        return x.cmp(&y);
    }
    a.cmp(b)
}

impl PageNode {
    /// Validates a page whose checksum was already verified and indexes its
    /// keys. Everything [`PageNode`]'s accessors rely on is checked here:
    /// the kind, the entry count, every length and value tag, strictly
    /// increasing keys, and that the entries end exactly where the sizes the
    /// encoder would use say (so the page re-encodes to the same bytes).
    pub(crate) fn parse(pid: PageId, page: Box<[u8]>) -> Result<PageNode, DecodeError> {
        Self::parse_in(pid, PageBuffers { page, spans: Vec::new(), windows: Vec::new() })
    }

    /// [`PageNode::parse`] of `bufs.page`, reusing the other buffers.
    pub(crate) fn parse_in(pid: PageId, bufs: PageBuffers) -> Result<PageNode, DecodeError> {
        let PageBuffers { page, mut spans, mut windows } = bufs;
        spans.clear();
        windows.clear();
        let mut r = Reader::new(&page);
        r.take(4)?;
        let kind = r.u8()?;
        r.take(3)?;
        let _generation = r.u64()?;
        let n = r.u32()? as usize;
        // Each entry takes at least two bytes: reject counts a page cannot hold.
        if n > page.len() / 2 {
            return Err(DecodeError("entry count larger than the page can hold"));
        }
        let leaf = match kind {
            KIND_LEAF => true,
            KIND_BRANCH => false,
            _ => return Err(DecodeError("unknown page kind")),
        };
        // The walk below is the cost of every page read from the file, so
        // it indexes the bytes directly (every access bounds-checked)
        // rather than going through `Reader`.
        let pos32 = |p: usize| u32::try_from(p).map_err(|_| DecodeError("page too large"));
        let short = || DecodeError("unexpected end of data");
        spans.reserve(n);
        let mut pos = r.pos();
        let skip = |pos: usize, len: usize| match pos.checked_add(len) {
            Some(end) if end <= page.len() => Ok(end),
            _ => Err(short()),
        };
        if !leaf {
            pos = skip(pos, 8)?;
        }
        for _ in 0..n {
            let (klen, start) = minimal_varint(&page, pos)?;
            let end = skip(start, klen)?;
            spans.push(Span { start: pos32(start)?, end: pos32(end)? });
            pos = if leaf {
                match page.get(end) {
                    Some(0) => {
                        let (vlen, at) = minimal_varint(&page, end + 1)?;
                        skip(at, vlen)?
                    }
                    Some(1) => skip(end + 1, OVERFLOW_REF)?,
                    Some(_) => return Err(DecodeError("unknown value tag")),
                    None => return Err(short()),
                }
            } else {
                skip(end, 8)?
            };
        }
        let key_at = |s: &Span| page.get(s.start as usize..s.end as usize).unwrap_or_default();
        // If the keys are sorted, what the first and last share, all share.
        let (first, last) = (spans.first().map(key_at), spans.last().map(key_at));
        let common = match (first, last) {
            (Some(a), Some(b)) => a.iter().zip(b).take_while(|(x, y)| x == y).count(),
            _ => 0,
        };
        let common_bytes = first.and_then(|f| f.get(..common)).unwrap_or_default();
        // Check the order (each key has the common prefix and a greater
        // tail than the one before) while computing the windows: most
        // pairs differ within their windows, which saves comparing bytes.
        let disorder = DecodeError(if leaf { "leaf keys out of order" } else { "branch keys out of order" });
        windows.reserve(n);
        let mut prev: Option<(u64, &[u8])> = None;
        let common_window = window(common_bytes);
        for s in &spans {
            let key = key_at(s);
            let (head, tail) = key.split_at_checked(common).ok_or(DecodeError(disorder.0))?;
            // Both are `common` bytes long, so equal windows mean equal bytes.
            let differs = if common <= 8 { window(head) != common_window } else { head != common_bytes };
            if differs {
                return Err(disorder);
            }
            let w = window(tail);
            if let Some((pw, ptail)) = prev
                && (pw > w || (pw == w && ptail >= tail))
            {
                return Err(disorder);
            }
            windows.push(w);
            prev = Some((w, tail));
        }
        let end = pos32(pos)?;
        Ok(PageNode { pid, page, leaf, spans, end, common, common_window, windows })
    }

    /// An empty leaf page of `page_size` bytes, for tests.
    #[cfg(test)]
    pub(crate) fn empty_leaf(page_size: usize) -> PageNode {
        let mut page = vec![0u8; page_size];
        Node::Leaf(Leaf::empty()).encode(0, &mut page).expect("encode");
        PageNode::parse(0, page.into_boxed_slice()).expect("parse")
    }

    /// The allocations, for reuse by another read.
    pub(crate) fn into_buffers(self) -> PageBuffers {
        PageBuffers { page: self.page, spans: self.spans, windows: self.windows }
    }

    /// The page this node was read from.
    pub(crate) fn pid(&self) -> PageId {
        self.pid
    }

    /// Whether this is a leaf.
    pub(crate) fn is_leaf(&self) -> bool {
        self.leaf
    }

    /// Number of keys (a branch has one child more).
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    fn span_key(&self, s: Span) -> &[u8] {
        // Spans were checked against the page in `parse`; the fallback is
        // unreachable and merely keeps this free of panics.
        self.page.get(s.start as usize..s.end as usize).unwrap_or_default()
    }

    /// Key `i`.
    pub(crate) fn key(&self, i: usize) -> Option<&[u8]> {
        self.spans.get(i).map(|s| self.span_key(*s))
    }

    /// Number of keys `< key` (`strict`) or `<= key`.
    fn partition(&self, key: &[u8], strict: bool) -> usize {
        let Some(first) = self.spans.first() else { return 0 };
        let n = self.spans.len();
        let (head, rest) = key.split_at(self.common.min(key.len()));
        // `head` against the common prefix; a short prefix fits one word.
        let order = if self.common <= 8 {
            // Equal windows and lengths mean equal bytes; equal windows and
            // a shorter `head` mean a proper prefix, which sorts first.
            window(head).cmp(&self.common_window).then(head.len().cmp(&self.common))
        } else {
            head.cmp(self.span_key(*first).get(..self.common).unwrap_or_default())
        };
        match order {
            // Below (or a proper prefix of) what every key starts with.
            Ordering::Less => return 0,
            Ordering::Greater => return n,
            Ordering::Equal if key.len() < self.common => return 0,
            Ordering::Equal => {}
        }
        let w = window(rest);
        let lo = self.windows.partition_point(|&x| x < w);
        let hi = lo + self.windows.get(lo..).unwrap_or_default().partition_point(|&x| x == w);
        // Keys whose windows tie with the search key's: compare in full.
        let ties = self.spans.get(lo..hi).unwrap_or_default();
        lo + if strict {
            ties.partition_point(|s| self.span_key(*s) < key)
        } else {
            ties.partition_point(|s| self.span_key(*s) <= key)
        }
    }

    fn u64_at(&self, off: usize) -> Option<u64> {
        let b = self.page.get(off..off.checked_add(8)?)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }

    /// Child `i` of a branch (`0..=len()`).
    pub(crate) fn child(&self, i: usize) -> Option<PageId> {
        if self.leaf {
            return None;
        }
        let off = match i.checked_sub(1) {
            None => NODE_HEADER,
            Some(k) => self.spans.get(k)?.end as usize,
        };
        self.u64_at(off)
    }

    /// Value `i` of a leaf, borrowed from the page.
    pub(crate) fn val(&self, i: usize) -> Option<ValRef<'_>> {
        if !self.leaf {
            return None;
        }
        let at = self.spans.get(i)?.end as usize;
        let mut r = Reader::new(self.page.get(at..)?);
        match r.u8().ok()? {
            0 => r.len_prefixed().ok().map(ValRef::Inline),
            1 => Some(ValRef::Overflow { first: r.u64().ok()?, len: r.u64().ok()?, crc: r.u32().ok()? }),
            _ => None,
        }
    }

    /// The mutable form of this node, for a writer about to change it.
    pub(crate) fn to_node(&self) -> Result<Node, DecodeError> {
        let missing = || DecodeError("page entry out of bounds");
        if self.leaf {
            // A leaf page's entries are already in the packed encoding
            // (`parse` accepted only inline and overflow values): one copy.
            let data = self.page.get(NODE_HEADER..self.end as usize).ok_or_else(missing)?.to_vec();
            let base = NODE_HEADER as u32;
            let spans = self.spans.iter().map(|s| Span { start: s.start - base, end: s.end - base }).collect();
            Ok(Node::Leaf(Leaf::from_packed(Packed::from_parts(data, spans))))
        } else {
            let mut keys = Packed::default();
            for i in 0..self.len() {
                keys.push(self.key(i).ok_or_else(missing)?, &[]);
            }
            let children = (0..=self.len())
                .map(|i| self.child(i).map(NodeRef::Disk).ok_or_else(missing))
                .collect::<Result<_, _>>()?;
            Ok(Node::Branch(Branch { keys, children }))
        }
    }
}

/// A leaf value borrowed from a page or a node.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ValRef<'a> {
    /// Stored in the leaf.
    Inline(&'a [u8]),
    /// Not yet written (in-memory nodes only).
    Big(&'a Arc<Vec<u8>>),
    /// Stored in an overflow run.
    Overflow { first: PageId, len: u64, crc: u32 },
}

impl ValRef<'_> {
    /// The owned value.
    pub(crate) fn to_val(self) -> Val {
        match self {
            ValRef::Inline(b) => Val::Inline(b.to_vec()),
            ValRef::Big(b) => Val::Big(b.clone()),
            ValRef::Overflow { first, len, crc } => Val::Overflow { first, len, crc },
        }
    }
}

impl Val {
    /// This value, borrowed.
    pub(crate) fn as_ref(&self) -> ValRef<'_> {
        match self {
            Val::Inline(b) => ValRef::Inline(b),
            Val::Big(b) => ValRef::Big(b),
            Val::Overflow { first, len, crc } => ValRef::Overflow { first: *first, len: *len, crc: *crc },
        }
    }
}

/// A node as readers see it: an in-memory node or a cached page, with the
/// read-only accessors both share.
#[derive(Clone, Debug)]
pub(crate) enum Loaded {
    /// Created or changed since the last checkpoint.
    Mem(Arc<Node>),
    /// A page of the last checkpoint.
    Page(Arc<PageNode>),
}

impl Loaded {
    /// The page behind this node, or 0 for an in-memory node (for errors).
    pub(crate) fn pid(&self) -> PageId {
        match self {
            Loaded::Mem(_) => 0,
            Loaded::Page(p) => p.pid(),
        }
    }

    /// Whether this is a leaf.
    pub(crate) fn is_leaf(&self) -> bool {
        match self {
            Loaded::Mem(n) => matches!(&**n, Node::Leaf(_)),
            Loaded::Page(p) => p.is_leaf(),
        }
    }

    /// Number of keys; a branch has one child more.
    pub(crate) fn len(&self) -> usize {
        match self {
            Loaded::Mem(n) => match &**n {
                Node::Leaf(l) => l.len(),
                Node::Branch(b) => b.len(),
            },
            Loaded::Page(p) => p.len(),
        }
    }

    /// Key `i`.
    pub(crate) fn key(&self, i: usize) -> Option<&[u8]> {
        match self {
            Loaded::Mem(n) => match &**n {
                Node::Leaf(l) => l.key(i),
                Node::Branch(b) => b.key(i),
            },
            Loaded::Page(p) => p.key(i),
        }
    }

    /// Number of keys `< key`: the first leaf slot whose key is `>= key`.
    pub(crate) fn lower_bound(&self, key: &[u8]) -> usize {
        match self {
            Loaded::Mem(n) => mem_keys(n).partition(key, true),
            Loaded::Page(p) => p.partition(key, true),
        }
    }

    /// Number of keys `<= key`: in a branch, the child that covers `key`.
    pub(crate) fn upper_bound(&self, key: &[u8]) -> usize {
        match self {
            Loaded::Mem(n) => mem_keys(n).partition(key, false),
            Loaded::Page(p) => p.partition(key, false),
        }
    }

    /// Child `i` of a branch (`0..=len()`).
    pub(crate) fn child(&self, i: usize) -> Option<NodeRef> {
        match self {
            Loaded::Mem(n) => match &**n {
                Node::Branch(b) => b.children.get(i).cloned(),
                Node::Leaf(_) => None,
            },
            Loaded::Page(p) => p.child(i).map(NodeRef::Disk),
        }
    }

    /// Value `i` of a leaf.
    pub(crate) fn val(&self, i: usize) -> Option<ValRef<'_>> {
        match self {
            Loaded::Mem(n) => match &**n {
                Node::Leaf(l) => l.val(i),
                Node::Branch(_) => None,
            },
            Loaded::Page(p) => p.val(i),
        }
    }
}

fn mem_keys(n: &Node) -> &Packed {
    match n {
        Node::Leaf(l) => &l.entries,
        Node::Branch(b) => &b.keys,
    }
}

/// The checksum stored in a page's first four bytes: it covers the page id,
/// so a page written to the wrong place fails verification.
pub(crate) fn page_checksum(pid: PageId, page: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&pid.to_le_bytes());
    h.update(&page[4..]);
    h.finalize()
}

/// Puts `key` and `val` into a freshly encoded overflow-free leaf entry
/// buffer; used by tests to size entries.
#[cfg(test)]
pub(crate) fn encoded_leaf_entry(key: &[u8], val: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put_bytes(&mut out, key);
    out.push(0);
    put_varint(&mut out, val.len() as u64);
    out.extend_from_slice(val);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The word-first comparison orders keys exactly as their bytes:
        /// short keys, proper prefixes, zero bytes and long shared prefixes.
        #[test]
        fn cmp_keys_matches_byte_order(
            a in proptest::collection::vec(proptest::sample::select(vec![0u8, 1, 2, 0x7f, 0x80, 0xff]), 0..20),
            b in proptest::collection::vec(proptest::sample::select(vec![0u8, 1, 2, 0x7f, 0x80, 0xff]), 0..20),
        ) {
            proptest::prop_assert_eq!(cmp_keys(&a, &b), a.as_slice().cmp(b.as_slice()));
            let longer = [a.as_slice(), b.as_slice()].concat();
            proptest::prop_assert_eq!(cmp_keys(&a, &longer), a.as_slice().cmp(longer.as_slice()));
        }
    }

    /// A value as the leaf model holds it.
    #[derive(Debug, Clone, PartialEq)]
    enum MVal {
        Inline(Vec<u8>),
        Overflow(u64, u64, u32),
        Big(Vec<u8>),
    }

    impl MVal {
        fn of(v: ValRef<'_>) -> MVal {
            match v {
                ValRef::Inline(b) => MVal::Inline(b.to_vec()),
                ValRef::Overflow { first, len, crc } => MVal::Overflow(first, len, crc),
                ValRef::Big(b) => MVal::Big(b.to_vec()),
            }
        }
        fn with_ref<R>(&self, f: impl FnOnce(ValRef<'_>) -> R) -> R {
            match self {
                MVal::Inline(b) => f(ValRef::Inline(b)),
                MVal::Overflow(first, len, crc) => f(ValRef::Overflow { first: *first, len: *len, crc: *crc }),
                MVal::Big(b) => f(ValRef::Big(&Arc::new(b.clone()))),
            }
        }
    }

    #[derive(Debug, Clone)]
    enum LeafOp {
        Put(Vec<u8>, MVal),
        Remove(Vec<u8>),
        SplitJoin(u16),
        CloneApart(Vec<u8>),
    }

    fn leaf_key() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::sample::select(vec![0u8, 1, 0x80, 0xff, b'k']), 0..10)
    }

    fn leaf_op() -> impl proptest::strategy::Strategy<Value = LeafOp> {
        use proptest::prelude::*;
        let val = prop_oneof![
            3 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(MVal::Inline),
            1 => (any::<u64>(), any::<u64>(), any::<u32>()).prop_map(|(a, b, c)| MVal::Overflow(a, b, c)),
            1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(MVal::Big),
        ];
        prop_oneof![
            4 => (leaf_key(), val).prop_map(|(k, v)| LeafOp::Put(k, v)),
            2 => leaf_key().prop_map(LeafOp::Remove),
            1 => (0u16..=1000).prop_map(LeafOp::SplitJoin),
            1 => leaf_key().prop_map(LeafOp::CloneApart),
        ]
    }

    /// What the leaf's owned value of an old entry was, for the model.
    fn old_of(v: Option<Val>) -> Option<MVal> {
        v.map(|v| MVal::of(v.as_ref()))
    }

    fn leaf_put(l: &mut Leaf, k: &[u8], v: &MVal) -> Option<MVal> {
        v.with_ref(|r| match l.search(k) {
            Ok(i) => old_of(l.replace(i, r)),
            Err(i) => {
                l.insert_at(i, k, r);
                None
            }
        })
    }

    fn check_leaf(
        l: &Leaf,
        model: &std::collections::BTreeMap<Vec<u8>, MVal>,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        use proptest::prop_assert_eq;
        prop_assert_eq!(l.len(), model.len());
        let mut bytes = NODE_HEADER;
        for (i, (k, v)) in model.iter().enumerate() {
            prop_assert_eq!(l.key(i), Some(k.as_slice()));
            let got = l.val(i).map(MVal::of);
            prop_assert_eq!(got.as_ref(), Some(v));
            let len = v.with_ref(|r| leaf_entry_len(k, r));
            prop_assert_eq!(l.entry_len(i), len);
            bytes += len;
        }
        prop_assert_eq!(l.bytes(), bytes);
        let bigs: Vec<Vec<u8>> =
            model.values().filter_map(|v| if let MVal::Big(b) = v { Some(b.clone()) } else { None }).collect();
        prop_assert_eq!(l.bigs.len(), bigs.len());
        let in_order: Vec<Vec<u8>> = l.bigs_in_order().map(|b| b.to_vec()).collect();
        prop_assert_eq!(in_order, bigs);
        Ok(())
    }

    proptest::proptest! {
        /// A leaf under puts (inline, overflow and unwritten large values),
        /// replacements, removals, splits, joins and copies agrees with a
        /// `BTreeMap`; its page encoding (large values given runs) parses
        /// back to the same entries and re-encodes to the same page.
        #[test]
        fn leaf_matches_a_btreemap(ops in proptest::collection::vec(leaf_op(), 1..80)) {
            use proptest::prop_assert_eq;
            let mut l = Leaf::empty();
            let mut model = std::collections::BTreeMap::new();
            for op in ops {
                match op {
                    LeafOp::Put(k, v) => {
                        let old = leaf_put(&mut l, &k, &v);
                        prop_assert_eq!(old, model.insert(k, v));
                    }
                    LeafOp::Remove(k) => {
                        let old = match l.search(&k) {
                            Ok(i) => old_of(l.remove(i)),
                            Err(_) => None,
                        };
                        prop_assert_eq!(old, model.remove(&k));
                    }
                    LeafOp::SplitJoin(f) => {
                        let at = l.len() * usize::from(f) / 1000;
                        let right = l.split_off(at);
                        let right_model: std::collections::BTreeMap<_, _> =
                            model.iter().skip(at).map(|(k, v)| (k.clone(), v.clone())).collect();
                        check_leaf(&right, &right_model)?;
                        l.append(right);
                    }
                    LeafOp::CloneApart(k) => {
                        let mut c = l.clone();
                        leaf_put(&mut c, &k, &MVal::Big(b"copy".to_vec()));
                        if let Ok(i) = c.search(&k) {
                            c.remove(i);
                        }
                    }
                }
                check_leaf(&l, &model)?;
            }
            let mut written = Written::default();
            let mut want = Vec::new();
            for (n, v) in model.values().enumerate() {
                let v = match v {
                    MVal::Big(b) => {
                        written.runs.push((n as u64, b.len() as u64, 7));
                        MVal::Overflow(n as u64, b.len() as u64, 7)
                    }
                    other => other.clone(),
                };
                want.push(v);
            }
            let mut out = Vec::new();
            let node = Node::Leaf(l);
            node.encode_into(5, &mut out, &written).map_err(proptest::test_runner::TestCaseError::fail)?;
            prop_assert_eq!(out.len(), node.bytes());
            out.resize(out.len().max(64 * 1024), 0);
            let page = PageNode::parse(9, out.clone().into_boxed_slice()).map_err(|e| proptest::test_runner::TestCaseError::fail(e.0))?;
            let Ok(Node::Leaf(back)) = page.to_node() else { return Err(proptest::test_runner::TestCaseError::fail("to_node")) };
            let got: Vec<MVal> = (0..back.len()).filter_map(|i| back.val(i).map(MVal::of)).collect();
            prop_assert_eq!(got, want);
            let mut again = Vec::new();
            Node::Leaf(back).encode_into(5, &mut again, &Written::default()).map_err(proptest::test_runner::TestCaseError::fail)?;
            prop_assert_eq!(&again[..], &out[..again.len()]);
        }
    }

    #[test]
    fn leaf_round_trip_and_size() {
        let leaf = Leaf::from_entries(
            vec![b"a".to_vec(), b"bb".to_vec()],
            vec![Val::Inline(b"xyz".to_vec()), Val::Overflow { first: 7, len: 100_000, crc: 42 }],
        );
        assert_eq!(leaf.bytes(), NODE_HEADER + encoded_leaf_entry(b"a", b"xyz").len() + 1 + 2 + 1 + OVERFLOW_REF);
        let node = Node::Leaf(leaf);
        let mut page = vec![0u8; 4096];
        node.encode(3, &mut page).expect("encode");
        let Ok(Node::Leaf(back)) = Node::decode(&page) else { panic!("decode failed") };
        assert_eq!((back.len(), back.key(0), back.key(1)), (2, Some(&b"a"[..]), Some(&b"bb"[..])));
        assert!(matches!(back.val(0), Some(ValRef::Inline(b"xyz"))));
        assert!(matches!(back.val(1), Some(ValRef::Overflow { first: 7, len: 100_000, crc: 42 })));
    }

    #[test]
    fn branch_round_trip() {
        let node = Node::Branch(Branch::from_parts(vec![b"m".to_vec()], vec![NodeRef::Disk(1), NodeRef::Disk(2)]));
        let mut page = vec![0u8; 1024];
        node.encode(1, &mut page).expect("encode");
        let Ok(Node::Branch(b)) = Node::decode(&page) else { panic!("decode failed") };
        assert_eq!((b.len(), b.key(0)), (1, Some(&b"m"[..])));
        assert!(matches!(b.children[1], NodeRef::Disk(2)));
    }

    #[test]
    fn garbage_never_panics() {
        let mut page = vec![0u8; 512];
        for seed in 0..2000u32 {
            let mut x = seed.wrapping_mul(2_654_435_761);
            for b in page.iter_mut() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = x as u8;
            }
            page[4] = if seed % 2 == 0 { KIND_LEAF } else { KIND_BRANCH };
            page[16..20].copy_from_slice(&(seed % 40).to_le_bytes());
            let _ = Node::decode(&page);
        }
    }

    /// A leaf or branch page holding `keys`, parsed.
    fn page_of(keys: &[Vec<u8>], leaf: bool, page_size: usize) -> (Node, Vec<u8>) {
        let node = if leaf {
            let vals = keys
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    if i % 5 == 4 {
                        Val::Overflow { first: i as u64, len: 5000 + i as u64, crc: 9 }
                    } else {
                        Val::Inline(k.iter().rev().copied().collect())
                    }
                })
                .collect();
            Node::Leaf(Leaf::from_entries(keys.to_vec(), vals))
        } else {
            let children = (0..=keys.len() as u64).map(|c| NodeRef::Disk(100 + c)).collect();
            Node::Branch(Branch::from_parts(keys.to_vec(), children))
        };
        let mut page = vec![0u8; page_size];
        node.encode(7, &mut page).expect("encode");
        (node, page)
    }

    /// Keys over a tiny alphabet with zero bytes, shared prefixes and
    /// prefixes of one another: the cases the 8-byte windows must get right.
    fn key_set(seed: u64, n: usize) -> Vec<Vec<u8>> {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let shared: Vec<u8> = (0..next() % 12).map(|_| [0u8, 1, 0x7f, 0x80, 0xff][(next() % 5) as usize]).collect();
        let mut keys: Vec<Vec<u8>> = (0..n)
            .map(|_| {
                let mut k = if next() % 4 == 0 { Vec::new() } else { shared.clone() };
                for _ in 0..next() % 14 {
                    k.push([0u8, 0, 1, 2, 0xfe, 0xff][(next() % 6) as usize]);
                }
                k
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    #[test]
    fn page_search_agrees_with_sorted_keys() {
        for seed in 0..400u64 {
            let keys = key_set(seed * 7919 + 1, 1 + (seed as usize % 60));
            let leaf = seed % 2 == 0;
            let (node, page) = page_of(&keys, leaf, 4096);
            let p = PageNode::parse(3, page.into_boxed_slice()).expect("parse");
            assert_eq!((p.len(), p.is_leaf(), p.pid()), (keys.len(), leaf, 3));
            let loaded = Loaded::Page(Arc::new(p));
            let mem = Loaded::Mem(Arc::new(node));
            // Every key, every key with a byte added or dropped, and others.
            let mut probes = key_set(seed ^ 0xabcdef, 40);
            for k in &keys {
                probes.push(k.clone());
                let mut longer = k.clone();
                longer.push(0);
                probes.push(longer);
                probes.push(k[..k.len().saturating_sub(1)].to_vec());
            }
            for probe in &probes {
                let lower = keys.partition_point(|k| k < probe);
                let upper = keys.partition_point(|k| k <= probe);
                assert_eq!(loaded.lower_bound(probe), lower, "seed {seed} probe {probe:?}");
                assert_eq!(loaded.upper_bound(probe), upper, "seed {seed} probe {probe:?}");
                assert_eq!(mem.lower_bound(probe), lower);
                assert_eq!(mem.upper_bound(probe), upper);
            }
            for (i, key) in keys.iter().enumerate() {
                assert_eq!(loaded.key(i), Some(key.as_slice()));
                assert_eq!(loaded.key(i), mem.key(i));
                match (loaded.val(i), mem.val(i)) {
                    (None, None) => assert!(!leaf),
                    (Some(a), Some(b)) => assert_eq!(format!("{:?}", a.to_val()), format!("{:?}", b.to_val())),
                    other => panic!("value {i} differs: {other:?}"),
                }
            }
            assert_eq!(loaded.key(keys.len()), None);
            assert!(loaded.val(keys.len()).is_none());
            for c in 0..=keys.len() + 1 {
                let (a, b) = (loaded.child(c), mem.child(c));
                assert_eq!(a.is_some(), b.is_some());
                if let (Some(NodeRef::Disk(a)), Some(NodeRef::Disk(b))) = (a, b) {
                    assert_eq!(a, b);
                }
            }
            // The writable form re-encodes to the very same page.
            let Loaded::Page(p) = &loaded else { unreachable!() };
            let back = p.to_node().expect("to_node");
            let mut again = vec![0u8; 4096];
            back.encode(7, &mut again).expect("encode");
            assert_eq!(&again[..], &p.page[..]);
        }
    }

    /// Exercises every accessor of a page that parsed: none may panic.
    fn poke(p: &PageNode) {
        let probes: [&[u8]; 5] = [b"", b"\x00", b"m", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff", b"abcdefghijkl"];
        for k in probes {
            let (lo, hi) = (p.partition(k, true), p.partition(k, false));
            assert!(lo <= hi && hi <= p.len());
        }
        for i in 0..p.len() + 2 {
            let _ = (p.key(i), p.val(i), p.child(i));
        }
        let _ = p.to_node();
    }

    #[test]
    fn damaged_pages_are_errors_not_panics() {
        let keys = key_set(99, 40);
        for leaf in [true, false] {
            let (node, page) = page_of(&keys, leaf, 4096);
            let used = node.bytes();
            // Every byte of the entries, flipped bit by bit.
            for at in PAGE_HEADER..used + 2 {
                for bit in 0..8 {
                    let mut bad = page.clone();
                    bad[at] ^= 1 << bit;
                    if let Ok(p) = PageNode::parse(1, bad.into_boxed_slice()) {
                        poke(&p);
                    }
                }
            }
            // Each entry count from 0 to beyond what is there.
            for n in 0..200u32 {
                let mut bad = page.clone();
                bad[16..20].copy_from_slice(&n.to_le_bytes());
                match PageNode::parse(1, bad.into_boxed_slice()) {
                    Ok(p) => {
                        assert!(n as usize <= keys.len(), "{n} entries parsed from a page of {}", keys.len());
                        poke(&p);
                    }
                    Err(e) => assert!(!e.0.is_empty()),
                }
            }
        }
    }

    #[test]
    fn malformed_entries_are_named() {
        let keys = vec![b"apple".to_vec(), b"banana".to_vec(), b"cherry".to_vec()];
        let (_, page) = page_of(&keys, true, 1024);
        let reason = |page: Vec<u8>| PageNode::parse(1, page.into_boxed_slice()).err().map(|e| e.0);
        // Keys out of order: swap the first letters of the first two keys.
        let mut bad = page.clone();
        let (a, b) = (NODE_HEADER + 1, NODE_HEADER + 1 + 5 + 1 + 1 + 5 + 1);
        assert_eq!((bad[a], bad[b]), (b'a', b'b'));
        bad.swap(a, b);
        assert_eq!(reason(bad), Some("leaf keys out of order"));
        // A key running past the end of the page.
        let mut bad = page.clone();
        bad[NODE_HEADER] = 0x7f;
        bad[NODE_HEADER + 1..].fill(0x61);
        assert!(reason(bad).is_some());
        // An unknown value tag.
        let mut bad = page.clone();
        bad[NODE_HEADER + 1 + 5] = 9;
        assert_eq!(reason(bad), Some("unknown value tag"));
        // A length written in two bytes where one would do.
        let mut bad = vec![0u8; 1024];
        bad[..NODE_HEADER].copy_from_slice(&page[..NODE_HEADER]);
        bad[16..20].copy_from_slice(&1u32.to_le_bytes());
        bad[NODE_HEADER..NODE_HEADER + 8].copy_from_slice(&[0x81, 0x00, b'k', 0, 0x01, b'v', 0, 0]);
        assert_eq!(reason(bad.clone()), Some("page length disagrees with its entries"));
        bad[NODE_HEADER..NODE_HEADER + 6].copy_from_slice(&[0x01, b'k', 0, 0x01, b'v', 0]);
        assert!(reason(bad).is_none(), "the minimal form of the same entry parses");
        // An entry count the page cannot hold.
        let mut bad = page.clone();
        bad[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(reason(bad), Some("entry count larger than the page can hold"));
    }
}
