//! Copy-on-write B+tree operations on a root [`NodeRef`]: lookup, insert
//! with splits, delete with merging and rebalancing, and freeing a tree.
//!
//! Mutations go through [`make_mut`]: an on-disk node is read, copied into
//! memory and its page recorded as freed (reusable once no retained
//! checkpoint needs it); an in-memory node shared with a snapshot is copied
//! by `Arc::make_mut`; a node only this transaction holds is changed in
//! place. Nodes are kept between a quarter of a page and a page of encoded
//! bytes (the root excepted), so space freed by deletes is merged and
//! reused.

use crate::error::{Error, PageId, Result};
use crate::node::{
    Branch, Leaf, Loaded, NODE_HEADER, Node, NodeRef, Val, ValRef, branch_entry_len, cmp_keys, leaf_entry_len,
};
use crate::pager::Pager;
use std::cmp::Ordering;
use std::sync::Arc;

/// Deepest tree we follow. A 4 KiB-page tree of 2^64 keys is far shallower;
/// the bound stops a crafted file whose branches form a cycle.
pub(crate) const MAX_DEPTH: usize = 40;

/// Size limits derived from the page size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) page_size: usize,
    /// Largest encoded leaf entry kept inline; larger values overflow.
    pub(crate) max_entry: usize,
    /// Longest key.
    pub(crate) max_key: usize,
    /// A non-root node below this many bytes is merged or rebalanced.
    pub(crate) min_fill: usize,
}

impl Limits {
    pub(crate) fn new(page_size: usize) -> Self {
        let max_entry = (page_size - NODE_HEADER - 8) / 4;
        Limits { page_size, max_entry, max_key: max_entry - 32, min_fill: page_size / 4 }
    }
}

/// Pages released by a change: reusable once no retained checkpoint needs
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Freed {
    pub(crate) first: PageId,
    pub(crate) pages: u64,
}

/// What a mutation needs besides the tree.
pub(crate) struct WriteCtx<'a> {
    pub(crate) pager: &'a Pager,
    pub(crate) limits: Limits,
    pub(crate) freed: &'a mut Vec<Freed>,
    /// Count of nodes made dirty (copied from disk or created).
    pub(crate) dirty: &'a mut u64,
}

/// The node behind `r`, for reading.
pub(crate) fn load(pager: &Pager, r: &NodeRef) -> Result<Loaded> {
    match r {
        NodeRef::Disk(pid) => pager.read_page(*pid).map(Loaded::Page),
        NodeRef::Mem(n) => Ok(Loaded::Mem(n.clone())),
    }
}

/// Child `i` of the branch `node`, or a corruption error naming its page.
pub(crate) fn child_of(pager: &Pager, node: &Loaded, i: usize) -> Result<NodeRef> {
    node.child(i).ok_or_else(|| pager.corrupt(node.pid(), "branch child out of range"))
}

/// The node behind `r`, writable by this transaction.
pub(crate) fn make_mut<'n>(ctx: &mut WriteCtx<'_>, r: &'n mut NodeRef) -> Result<&'n mut Node> {
    if let NodeRef::Disk(pid) = *r {
        let page = ctx.pager.read_page(pid)?;
        let node = page.to_node().map_err(|e| ctx.pager.corrupt(pid, e.0))?;
        ctx.freed.push(Freed { first: pid, pages: 1 });
        *ctx.dirty += 1;
        *r = NodeRef::Mem(Arc::new(node));
    }
    match r {
        NodeRef::Mem(arc) => Ok(Arc::make_mut(arc)),
        NodeRef::Disk(pid) => Err(ctx.pager.corrupt(*pid, "internal: node still on disk")),
    }
}

fn child_index(b: &Branch, key: &[u8]) -> usize {
    b.keys.partition_point(|k| cmp_keys(k, key) != Ordering::Greater)
}

fn too_deep(pager: &Pager) -> Error {
    Error::Corrupt {
        path: pager.path().to_string(),
        reason: format!("B+tree deeper than {MAX_DEPTH} levels (cyclic or damaged branch pages)"),
    }
}

/// The value stored under `key`.
pub(crate) fn get(pager: &Pager, root: &NodeRef, key: &[u8]) -> Result<Option<Val>> {
    let mut node = load(pager, root)?;
    for _ in 0..MAX_DEPTH {
        if node.is_leaf() {
            let i = node.lower_bound(key);
            if node.key(i) != Some(key) {
                return Ok(None);
            }
            let val = node.val(i).ok_or_else(|| pager.corrupt(node.pid(), "leaf value out of range"))?;
            return Ok(Some(val.to_val()));
        }
        node = load(pager, &child_of(pager, &node, node.upper_bound(key))?)?;
    }
    Err(too_deep(pager))
}

/// A separator `s` with `left_last < s <= right_first`, as short as possible.
fn separator(left_last: &[u8], right_first: &[u8]) -> Vec<u8> {
    let common = left_last.iter().zip(right_first).take_while(|(a, b)| a == b).count();
    right_first[..(common + 1).min(right_first.len())].to_vec()
}

/// Inserts or replaces; returns the previous value.
pub(crate) fn insert(ctx: &mut WriteCtx<'_>, root: &mut NodeRef, key: Vec<u8>, val: Val) -> Result<Option<Val>> {
    let node = make_mut(ctx, root)?;
    let (old, split) = insert_rec(ctx, node, key, val, 0, true)?;
    if let Some((sep, right)) = split {
        let left = std::mem::replace(root, NodeRef::Disk(0));
        *root = NodeRef::Mem(Arc::new(Node::Branch(Branch::from_parts(vec![sep], vec![left, right]))));
        *ctx.dirty += 1;
    }
    Ok(old)
}

type Split = Option<(Vec<u8>, NodeRef)>;

/// `rightmost`: `node` is on the tree's right edge, where appends land.
fn insert_rec(
    ctx: &mut WriteCtx<'_>,
    node: &mut Node,
    key: Vec<u8>,
    val: Val,
    depth: usize,
    rightmost: bool,
) -> Result<(Option<Val>, Split)> {
    if depth >= MAX_DEPTH {
        return Err(too_deep(ctx.pager));
    }
    let page_size = ctx.limits.page_size;
    match node {
        Node::Leaf(l) => {
            let (old, appended) = match l.keys.binary_search_by(|k| cmp_keys(k, &key)) {
                Ok(i) => {
                    l.bytes = l.bytes - l.vals[i].encoded_len() + val.encoded_len();
                    (Some(std::mem::replace(&mut l.vals[i], val)), false)
                }
                Err(i) => {
                    l.bytes += leaf_entry_len(&key, &val);
                    l.keys.insert(i, key);
                    l.vals.insert(i, val);
                    (None, rightmost && i + 1 == l.keys.len())
                }
            };
            if l.bytes <= page_size {
                return Ok((old, None));
            }
            // An append past the tree's last key leaves the full leaf as it
            // was and starts a new one, as SQLite does: ascending inserts
            // (rowids, timestamps) then fill leaves completely instead of
            // leaving every leaf half empty, which would double the pages a
            // table takes and halve what the cache holds of it.
            let idx = if appended && l.keys.len() >= 2 {
                l.keys.len() - 1
            } else {
                split_point(l.keys.iter().zip(&l.vals).map(|(k, v)| leaf_entry_len(k, v)), l.bytes)
            };
            let right = Leaf::from_entries(l.keys.split_off(idx), l.vals.split_off(idx));
            *l = Leaf::from_entries(std::mem::take(&mut l.keys), std::mem::take(&mut l.vals));
            let sep = separator(l.keys.last().map_or(&[][..], |k| k), &right.keys[0]);
            *ctx.dirty += 1;
            Ok((old, Some((sep, NodeRef::Mem(Arc::new(Node::Leaf(right)))))))
        }
        Node::Branch(b) => {
            let idx = child_index(b, &key);
            let last_child = idx + 1 == b.children.len();
            let child = make_mut(ctx, &mut b.children[idx])?;
            let (old, split) = insert_rec(ctx, child, key, val, depth + 1, rightmost && last_child)?;
            let Some((sep, right)) = split else {
                return Ok((old, None));
            };
            b.bytes += branch_entry_len(&sep);
            b.keys.insert(idx, sep);
            b.children.insert(idx + 1, right);
            if b.bytes <= page_size {
                return Ok((old, None));
            }
            // Appends split branches at the end too (the new right branch
            // takes the last separator and two children).
            let mid = if rightmost && last_child && b.keys.len() >= 3 {
                b.keys.len() - 2
            } else {
                split_point(b.keys.iter().map(|k| branch_entry_len(k)), b.bytes).min(b.keys.len() - 1)
            };
            let right_keys = b.keys.split_off(mid + 1);
            let right_children = b.children.split_off(mid + 1);
            let up = b.keys.pop().unwrap_or_default();
            *b = Branch::from_parts(std::mem::take(&mut b.keys), std::mem::take(&mut b.children));
            *ctx.dirty += 1;
            let right = Branch::from_parts(right_keys, right_children);
            Ok((old, Some((up, NodeRef::Mem(Arc::new(Node::Branch(right)))))))
        }
    }
}

/// Index at which to split entries of the given sizes into two halves of
/// about equal bytes; always leaves at least one entry on each side.
fn split_point(sizes: impl ExactSizeIterator<Item = usize>, total: usize) -> usize {
    let n = sizes.len();
    let half = (total - NODE_HEADER) / 2;
    let mut acc = 0;
    for (i, s) in sizes.enumerate() {
        acc += s;
        if acc >= half {
            return (i + 1).clamp(1, n.saturating_sub(1).max(1));
        }
    }
    (n / 2).max(1)
}

/// Removes `key`; returns its value if it was present.
pub(crate) fn remove(ctx: &mut WriteCtx<'_>, root: &mut NodeRef, key: &[u8]) -> Result<Option<Val>> {
    let node = make_mut(ctx, root)?;
    let old = remove_rec(ctx, node, key, 0)?;
    // Collapse a root branch that has a single child.
    while let NodeRef::Mem(n) = &*root
        && let Node::Branch(b) = &**n
        && b.children.len() == 1
    {
        let child = b.children[0].clone();
        *root = child;
    }
    Ok(old)
}

fn remove_rec(ctx: &mut WriteCtx<'_>, node: &mut Node, key: &[u8], depth: usize) -> Result<Option<Val>> {
    if depth >= MAX_DEPTH {
        return Err(too_deep(ctx.pager));
    }
    match node {
        Node::Leaf(l) => match l.keys.binary_search_by(|k| cmp_keys(k, key)) {
            Ok(i) => {
                let k = l.keys.remove(i);
                let v = l.vals.remove(i);
                l.bytes -= leaf_entry_len(&k, &v);
                Ok(Some(v))
            }
            Err(_) => Ok(None),
        },
        Node::Branch(b) => {
            let idx = child_index(b, key);
            let child = make_mut(ctx, &mut b.children[idx])?;
            let old = remove_rec(ctx, child, key, depth + 1)?;
            if old.is_some() && child.bytes() < ctx.limits.min_fill {
                rebalance(ctx, b, idx)?;
            }
            Ok(old)
        }
    }
}

/// Merges the underfull child `idx` of `b` with a sibling, or moves entries
/// from the sibling into it when both do not fit in one page.
fn rebalance(ctx: &mut WriteCtx<'_>, b: &mut Branch, idx: usize) -> Result<()> {
    if b.children.len() < 2 {
        return Ok(());
    }
    let (li, ri) = if idx + 1 < b.children.len() { (idx, idx + 1) } else { (idx - 1, idx) };
    let page_size = ctx.limits.page_size;
    let (lpart, rpart) = b.children.split_at_mut(ri);
    let left = make_mut(ctx, &mut lpart[li])?;
    let right = make_mut(ctx, &mut rpart[0])?;
    let merged = match (left, right) {
        (Node::Leaf(l), Node::Leaf(r)) => {
            if l.bytes + r.bytes - NODE_HEADER <= page_size {
                l.keys.append(&mut r.keys);
                l.vals.append(&mut r.vals);
                l.bytes += r.bytes - NODE_HEADER;
                true
            } else {
                while l.bytes < r.bytes && r.keys.len() > 1 {
                    let e = leaf_entry_len(&r.keys[0], &r.vals[0]);
                    if l.bytes + e > r.bytes - e {
                        break;
                    }
                    l.keys.push(r.keys.remove(0));
                    l.vals.push(r.vals.remove(0));
                    l.bytes += e;
                    r.bytes -= e;
                }
                while r.bytes < l.bytes && l.keys.len() > 1 {
                    let last = l.keys.len() - 1;
                    let e = leaf_entry_len(&l.keys[last], &l.vals[last]);
                    if r.bytes + e > l.bytes - e {
                        break;
                    }
                    r.keys.insert(0, l.keys.remove(last));
                    r.vals.insert(0, l.vals.remove(last));
                    l.bytes -= e;
                    r.bytes += e;
                }
                let sep = separator(l.keys.last().map_or(&[][..], |k| k), &r.keys[0]);
                b.bytes = b.bytes - branch_entry_len(&b.keys[li]) + branch_entry_len(&sep);
                b.keys[li] = sep;
                false
            }
        }
        (Node::Branch(l), Node::Branch(r)) => {
            let sep_len = branch_entry_len(&b.keys[li]);
            if l.bytes + r.bytes - NODE_HEADER - 8 + sep_len <= page_size {
                let sep = b.keys[li].clone();
                l.bytes += r.bytes - NODE_HEADER - 8 + sep_len;
                l.keys.push(sep);
                l.keys.append(&mut r.keys);
                l.children.append(&mut r.children);
                true
            } else {
                let mut sep = std::mem::take(&mut b.keys[li]);
                while l.bytes < r.bytes && r.keys.len() > 1 {
                    let (e_in, e_out) = (branch_entry_len(&sep), branch_entry_len(&r.keys[0]));
                    if l.bytes + e_in > r.bytes - e_out {
                        break;
                    }
                    let new_sep = r.keys.remove(0);
                    l.keys.push(std::mem::replace(&mut sep, new_sep));
                    l.children.push(r.children.remove(0));
                    l.bytes += e_in;
                    r.bytes -= e_out;
                }
                while r.bytes < l.bytes && l.keys.len() > 1 {
                    let last = l.keys.len() - 1;
                    let (e_in, e_out) = (branch_entry_len(&sep), branch_entry_len(&l.keys[last]));
                    if r.bytes + e_in > l.bytes - e_out {
                        break;
                    }
                    let new_sep = l.keys.remove(last);
                    r.keys.insert(0, std::mem::replace(&mut sep, new_sep));
                    if let Some(c) = l.children.pop() {
                        r.children.insert(0, c);
                    }
                    l.bytes -= e_out;
                    r.bytes += e_in;
                }
                b.bytes = b.bytes - sep_len + branch_entry_len(&sep);
                b.keys[li] = sep;
                false
            }
        }
        _ => return Err(ctx.pager.corrupt(0, "sibling nodes at different levels")),
    };
    if merged {
        b.bytes -= branch_entry_len(&b.keys[li]);
        b.keys.remove(li);
        b.children.remove(ri);
    }
    Ok(())
}

/// Records every page of the tree under `root` (and its large-value runs)
/// as freed; used when a tree is dropped.
pub(crate) fn free_all(ctx: &mut WriteCtx<'_>, root: &NodeRef) -> Result<()> {
    let mut stack = vec![(root.clone(), 0usize)];
    while let Some((r, depth)) = stack.pop() {
        if depth >= MAX_DEPTH {
            return Err(too_deep(ctx.pager));
        }
        if let NodeRef::Disk(pid) = r {
            ctx.freed.push(Freed { first: pid, pages: 1 });
        }
        let node = load(ctx.pager, &r)?;
        if node.is_leaf() {
            for i in 0..node.len() {
                if let Some(ValRef::Overflow { first, len, .. }) = node.val(i) {
                    ctx.freed.push(Freed { first, pages: ctx.pager.run_pages(len) });
                }
            }
        } else {
            for i in 0..=node.len() {
                stack.push((child_of(ctx.pager, &node, i)?, depth + 1));
            }
        }
    }
    Ok(())
}

/// The run a value occupies on disk, if any.
pub(crate) fn overflow_pages(pager: &Pager, v: &Val) -> Option<Freed> {
    match v {
        Val::Overflow { first, len, .. } => Some(Freed { first: *first, pages: pager.run_pages(*len) }),
        _ => None,
    }
}
