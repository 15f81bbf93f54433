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
use crate::node::{Branch, Loaded, NODE_HEADER, Node, NodeRef, Val, ValRef};
use crate::pager::Pager;
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

fn too_deep(pager: &Pager) -> Error {
    Error::Corrupt {
        path: pager.path().to_string(),
        reason: format!("B+tree deeper than {MAX_DEPTH} levels (cyclic or damaged branch pages)"),
    }
}

/// The value stored under `key`.
pub(crate) fn get(pager: &Pager, root: &NodeRef, key: &[u8]) -> Result<Option<Val>> {
    get_with(pager, root, key, |v| v.to_val())
}

/// `f` of the value stored under `key`, borrowed from its leaf.
pub(crate) fn get_with<R>(
    pager: &Pager,
    root: &NodeRef,
    key: &[u8],
    f: impl FnOnce(ValRef<'_>) -> R,
) -> Result<Option<R>> {
    let mut node = load(pager, root)?;
    for _ in 0..MAX_DEPTH {
        if node.is_leaf() {
            let i = node.lower_bound(key);
            if node.key(i) != Some(key) {
                return Ok(None);
            }
            let val = node.val(i).ok_or_else(|| pager.corrupt(node.pid(), "leaf value out of range"))?;
            return Ok(Some(f(val)));
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
pub(crate) fn insert(ctx: &mut WriteCtx<'_>, root: &mut NodeRef, key: &[u8], val: ValRef<'_>) -> Result<Option<Val>> {
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
    key: &[u8],
    val: ValRef<'_>,
    depth: usize,
    rightmost: bool,
) -> Result<(Option<Val>, Split)> {
    if depth >= MAX_DEPTH {
        return Err(too_deep(ctx.pager));
    }
    let page_size = ctx.limits.page_size;
    match node {
        Node::Leaf(l) => {
            let (old, appended) = match l.search(key) {
                Ok(i) => (l.replace(i, val), false),
                Err(i) => {
                    l.insert_at(i, key, val);
                    (None, rightmost && i + 1 == l.len())
                }
            };
            if l.bytes() <= page_size {
                return Ok((old, None));
            }
            // An append past the tree's last key leaves the full leaf as it
            // was and starts a new one, as SQLite does: ascending inserts
            // (rowids, timestamps) then fill leaves completely instead of
            // leaving every leaf half empty, which would double the pages a
            // table takes and halve what the cache holds of it.
            let idx = if appended && l.len() >= 2 {
                l.len() - 1
            } else {
                split_point((0..l.len()).map(|i| l.entry_len(i)), l.bytes())
            };
            let right = l.split_off(idx);
            let sep = separator(l.last_key().unwrap_or_default(), right.key(0).unwrap_or_default());
            *ctx.dirty += 1;
            Ok((old, Some((sep, NodeRef::Mem(Arc::new(Node::Leaf(right)))))))
        }
        Node::Branch(b) => {
            let idx = b.child_index(key);
            let last_child = idx + 1 == b.children.len();
            let child = make_mut(ctx, &mut b.children[idx])?;
            let (old, split) = insert_rec(ctx, child, key, val, depth + 1, rightmost && last_child)?;
            let Some((sep, right)) = split else {
                return Ok((old, None));
            };
            b.insert(idx, &sep, right);
            if b.bytes() <= page_size {
                return Ok((old, None));
            }
            // Appends split branches at the end too (the new right branch
            // takes the last separator and two children).
            let mid = if rightmost && last_child && b.len() >= 3 {
                b.len() - 2
            } else {
                split_point((0..b.len()).map(|i| b.entry_len(i)), b.bytes()).min(b.len() - 1)
            };
            let (up, right) = b.split_off(mid);
            *ctx.dirty += 1;
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
        Node::Leaf(l) => match l.search(key) {
            Ok(i) => Ok(l.remove(i)),
            Err(_) => Ok(None),
        },
        Node::Branch(b) => {
            let idx = b.child_index(key);
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
    let sep = b.key(li).unwrap_or_default().to_vec();
    let sep_len = b.entry_len(li);
    let (lpart, rpart) = b.children.split_at_mut(ri);
    let left = make_mut(ctx, &mut lpart[li])?;
    let right = make_mut(ctx, &mut rpart[0])?;
    // `None`: merged into the left node; else the new separator.
    let new_sep = match (left, right) {
        (Node::Leaf(l), Node::Leaf(r)) => {
            if l.bytes() + r.bytes() - NODE_HEADER <= page_size {
                l.append(std::mem::take(r));
                None
            } else {
                // Move entries one way or the other until the sizes are as
                // even as whole entries allow: count them, then move them
                // in one piece.
                let (mut lb, mut rb) = (l.bytes(), r.bytes());
                let mut k = 0;
                while lb < rb && r.len() - k > 1 {
                    let e = r.entry_len(k);
                    if lb + e > rb - e {
                        break;
                    }
                    lb += e;
                    rb -= e;
                    k += 1;
                }
                if k > 0 {
                    let rest = r.split_off(k);
                    l.append(std::mem::replace(r, rest));
                }
                let mut k = 0;
                while rb < lb && l.len() - k > 1 {
                    let e = l.entry_len(l.len() - 1 - k);
                    if rb + e > lb - e {
                        break;
                    }
                    lb -= e;
                    rb += e;
                    k += 1;
                }
                if k > 0 {
                    let mut moved = l.split_off(l.len() - k);
                    moved.append(std::mem::take(r));
                    *r = moved;
                }
                Some(separator(l.last_key().unwrap_or_default(), r.key(0).unwrap_or_default()))
            }
        }
        (Node::Branch(l), Node::Branch(r)) => {
            if l.bytes() + r.bytes() - NODE_HEADER - 8 + sep_len <= page_size {
                l.append(&sep, std::mem::take(r));
                None
            } else {
                // The separator rotates through the parent as entries move.
                let (mut lb, mut rb) = (l.bytes(), r.bytes());
                let mut cur = sep_len;
                let mut k = 0;
                while lb < rb && r.len() - k > 1 {
                    let e_out = r.entry_len(k);
                    if lb + cur > rb - e_out {
                        break;
                    }
                    lb += cur;
                    rb -= e_out;
                    cur = e_out;
                    k += 1;
                }
                let sep = l.take_front(r, k, &sep);
                let mut k = 0;
                while rb < lb && l.len() - k > 1 {
                    let e_out = l.entry_len(l.len() - 1 - k);
                    if rb + cur > lb - e_out {
                        break;
                    }
                    rb += cur;
                    lb -= e_out;
                    cur = e_out;
                    k += 1;
                }
                Some(l.give_back(r, k, &sep))
            }
        }
        _ => return Err(ctx.pager.corrupt(0, "sibling nodes at different levels")),
    };
    match new_sep {
        Some(sep) => b.set_key(li, &sep),
        None => b.remove(li),
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
