//! B+tree nodes: their in-memory form, their exact encoded size, and their
//! page encoding.
//!
//! A node is either on disk ([`NodeRef::Disk`], decoded through the page
//! cache on demand) or in memory ([`NodeRef::Mem`], created or modified since
//! the last checkpoint). In-memory nodes are shared through `Arc` and are
//! never modified while shared: writers go through `Arc::make_mut`, which
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

#[cfg(test)]
use crate::codec::put_varint;
use crate::codec::{DecodeError, Reader, put_bytes, varint_len};
use crate::error::PageId;
use std::sync::Arc;

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

impl Val {
    pub(crate) fn encoded_len(&self) -> usize {
        1 + match self {
            Val::Inline(v) => varint_len(v.len() as u64) + v.len(),
            Val::Big(_) | Val::Overflow { .. } => OVERFLOW_REF,
        }
    }
}

/// A B+tree node.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Leaf(Leaf),
    Branch(Branch),
}

/// Keys and values, sorted by key.
#[derive(Clone, Debug, Default)]
pub(crate) struct Leaf {
    pub(crate) keys: Vec<Vec<u8>>,
    pub(crate) vals: Vec<Val>,
    /// Encoded size including the header.
    pub(crate) bytes: usize,
}

/// Separator keys and children, `children.len() == keys.len() + 1`.
#[derive(Clone, Debug)]
pub(crate) struct Branch {
    pub(crate) keys: Vec<Vec<u8>>,
    pub(crate) children: Vec<NodeRef>,
    /// Encoded size including the header.
    pub(crate) bytes: usize,
}

pub(crate) fn leaf_entry_len(key: &[u8], val: &Val) -> usize {
    varint_len(key.len() as u64) + key.len() + val.encoded_len()
}

pub(crate) fn branch_entry_len(key: &[u8]) -> usize {
    varint_len(key.len() as u64) + key.len() + 8
}

impl Leaf {
    pub(crate) fn empty() -> Self {
        Leaf { keys: Vec::new(), vals: Vec::new(), bytes: NODE_HEADER }
    }
    pub(crate) fn from_entries(keys: Vec<Vec<u8>>, vals: Vec<Val>) -> Self {
        let bytes = NODE_HEADER + keys.iter().zip(&vals).map(|(k, v)| leaf_entry_len(k, v)).sum::<usize>();
        Leaf { keys, vals, bytes }
    }
}

impl Branch {
    pub(crate) fn from_parts(keys: Vec<Vec<u8>>, children: Vec<NodeRef>) -> Self {
        let bytes = NODE_HEADER + 8 + keys.iter().map(|k| branch_entry_len(k)).sum::<usize>();
        Branch { keys, children, bytes }
    }
}

impl Node {
    pub(crate) fn bytes(&self) -> usize {
        match self {
            Node::Leaf(l) => l.bytes,
            Node::Branch(b) => b.bytes,
        }
    }

    /// Encodes into `page` (zeroed, `page_size` long) without the checksum.
    /// Children must all be on disk and values inline or overflow.
    pub(crate) fn encode(&self, generation: u64, page: &mut [u8]) -> Result<(), &'static str> {
        if self.bytes() > page.len() {
            return Err("node larger than a page");
        }
        let mut out = Vec::with_capacity(self.bytes());
        out.extend_from_slice(&[0; 4]);
        match self {
            Node::Leaf(l) => {
                out.push(KIND_LEAF);
                out.extend_from_slice(&[0; 3]);
                out.extend_from_slice(&generation.to_le_bytes());
                out.extend_from_slice(&(l.keys.len() as u32).to_le_bytes());
                for (k, v) in l.keys.iter().zip(&l.vals) {
                    put_bytes(&mut out, k);
                    match v {
                        Val::Inline(b) => {
                            out.push(0);
                            put_bytes(&mut out, b);
                        }
                        Val::Overflow { first, len, crc } => {
                            out.push(1);
                            out.extend_from_slice(&first.to_le_bytes());
                            out.extend_from_slice(&len.to_le_bytes());
                            out.extend_from_slice(&crc.to_le_bytes());
                        }
                        Val::Big(_) => return Err("unwritten large value in a node being encoded"),
                    }
                }
            }
            Node::Branch(b) => {
                out.push(KIND_BRANCH);
                out.extend_from_slice(&[0; 3]);
                out.extend_from_slice(&generation.to_le_bytes());
                out.extend_from_slice(&(b.keys.len() as u32).to_le_bytes());
                let disk = |r: &NodeRef| match r {
                    NodeRef::Disk(p) => Ok(*p),
                    NodeRef::Mem(_) => Err("in-memory child in a node being encoded"),
                };
                out.extend_from_slice(&disk(&b.children[0])?.to_le_bytes());
                for (k, c) in b.keys.iter().zip(&b.children[1..]) {
                    put_bytes(&mut out, k);
                    out.extend_from_slice(&disk(c)?.to_le_bytes());
                }
            }
        }
        if out.len() != self.bytes() {
            return Err("node size accounting disagrees with its encoding");
        }
        page[..out.len()].copy_from_slice(&out);
        Ok(())
    }

    /// Decodes a page whose checksum was already verified.
    pub(crate) fn decode(page: &[u8]) -> Result<Node, DecodeError> {
        let mut r = Reader::new(page);
        r.take(4)?;
        let kind = r.u8()?;
        r.take(3)?;
        let _generation = r.u64()?;
        let n = r.u32()? as usize;
        // Each entry takes at least two bytes: reject counts a page cannot hold.
        if n > page.len() / 2 {
            return Err(DecodeError("entry count larger than the page can hold"));
        }
        let node = match kind {
            KIND_LEAF => {
                let mut keys = Vec::with_capacity(n);
                let mut vals = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = r.len_prefixed()?.to_vec();
                    let v = match r.u8()? {
                        0 => Val::Inline(r.len_prefixed()?.to_vec()),
                        1 => Val::Overflow { first: r.u64()?, len: r.u64()?, crc: r.u32()? },
                        _ => return Err(DecodeError("unknown value tag")),
                    };
                    if keys.last().is_some_and(|p: &Vec<u8>| p.as_slice() >= k.as_slice()) {
                        return Err(DecodeError("leaf keys out of order"));
                    }
                    keys.push(k);
                    vals.push(v);
                }
                Node::Leaf(Leaf::from_entries(keys, vals))
            }
            KIND_BRANCH => {
                let mut keys = Vec::with_capacity(n);
                let mut children = Vec::with_capacity(n + 1);
                children.push(NodeRef::Disk(r.u64()?));
                for _ in 0..n {
                    let k = r.len_prefixed()?.to_vec();
                    if keys.last().is_some_and(|p: &Vec<u8>| p.as_slice() >= k.as_slice()) {
                        return Err(DecodeError("branch keys out of order"));
                    }
                    keys.push(k);
                    children.push(NodeRef::Disk(r.u64()?));
                }
                Node::Branch(Branch::from_parts(keys, children))
            }
            _ => return Err(DecodeError("unknown page kind")),
        };
        if node.bytes() != r.pos() {
            return Err(DecodeError("page length disagrees with its entries"));
        }
        Ok(node)
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

    #[test]
    fn leaf_round_trip_and_size() {
        let leaf = Leaf::from_entries(
            vec![b"a".to_vec(), b"bb".to_vec()],
            vec![Val::Inline(b"xyz".to_vec()), Val::Overflow { first: 7, len: 100_000, crc: 42 }],
        );
        assert_eq!(leaf.bytes, NODE_HEADER + encoded_leaf_entry(b"a", b"xyz").len() + 1 + 2 + 1 + OVERFLOW_REF);
        let node = Node::Leaf(leaf);
        let mut page = vec![0u8; 4096];
        node.encode(3, &mut page).expect("encode");
        let Ok(Node::Leaf(back)) = Node::decode(&page) else { panic!("decode failed") };
        assert_eq!(back.keys, vec![b"a".to_vec(), b"bb".to_vec()]);
        assert!(matches!(back.vals[1], Val::Overflow { first: 7, len: 100_000, crc: 42 }));
    }

    #[test]
    fn branch_round_trip() {
        let node = Node::Branch(Branch::from_parts(vec![b"m".to_vec()], vec![NodeRef::Disk(1), NodeRef::Disk(2)]));
        let mut page = vec![0u8; 1024];
        node.encode(1, &mut page).expect("encode");
        let Ok(Node::Branch(b)) = Node::decode(&page) else { panic!("decode failed") };
        assert_eq!(b.keys.len(), 1);
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
}
