//! Cursors over one tree of a snapshot: seek, step forward and backward,
//! and double-ended range iteration.
//!
//! A cursor holds the root of the snapshot it was made from and a stack of
//! the nodes on its path, so it keeps reading the same consistent state
//! however the tree changes meanwhile. Pages are fetched through the page
//! cache one at a time: a scan of any size runs in bounded memory.

use crate::btree::{MAX_DEPTH, child_of, load};
use crate::error::{Error, Result};
use crate::node::{Loaded, NodeRef, Val, ValRef};
use crate::pager::Pager;
use std::ops::Bound;
use std::sync::Arc;

/// Reads the bytes of a leaf value.
pub(crate) fn materialize(pager: &Pager, v: &Val) -> Result<Vec<u8>> {
    materialize_ref(pager, v.as_ref())
}

/// Reads the bytes of a borrowed leaf value.
fn materialize_ref(pager: &Pager, v: ValRef<'_>) -> Result<Vec<u8>> {
    match v {
        ValRef::Inline(b) => Ok(b.to_vec()),
        ValRef::Big(b) => Ok(b.as_ref().clone()),
        ValRef::Overflow { first, len, crc } => pager.read_run(first, len, crc),
    }
}

/// A position in one tree of a snapshot.
pub struct Cursor {
    pager: Arc<Pager>,
    root: NodeRef,
    /// Path from the root: (node, index of the child or entry).
    stack: Vec<(Loaded, usize)>,
}

enum Target<'k> {
    First,
    Last,
    Key(&'k [u8]),
}

impl Cursor {
    pub(crate) fn new(pager: Arc<Pager>, root: NodeRef) -> Self {
        Self { pager, root, stack: Vec::new() }
    }

    fn too_deep(&self) -> Error {
        Error::Corrupt { path: self.pager.path().to_string(), reason: format!("B+tree deeper than {MAX_DEPTH} levels") }
    }

    /// Descends from the root, leaving the cursor on a leaf slot (possibly
    /// one past the last entry).
    fn descend(&mut self, target: Target<'_>) -> Result<()> {
        self.stack.clear();
        let mut node = load(&self.pager, &self.root)?;
        loop {
            if self.stack.len() >= MAX_DEPTH {
                return Err(self.too_deep());
            }
            if node.is_leaf() {
                let idx = match target {
                    Target::First => 0,
                    Target::Last => node.len().saturating_sub(1),
                    Target::Key(k) => node.lower_bound(k),
                };
                self.stack.push((node, idx));
                return Ok(());
            }
            let idx = match target {
                Target::First => 0,
                Target::Last => node.len(),
                Target::Key(k) => node.upper_bound(k),
            };
            let child = load(&self.pager, &child_of(&self.pager, &node, idx)?)?;
            self.stack.push((node, idx));
            node = child;
        }
    }

    /// Descends to the leftmost (`first`) or rightmost leaf below the top frame.
    fn descend_edge(&mut self, first: bool) -> Result<()> {
        loop {
            if self.stack.len() >= MAX_DEPTH {
                return Err(self.too_deep());
            }
            let Some((node, idx)) = self.stack.last() else { return Ok(()) };
            if node.is_leaf() {
                return Ok(());
            }
            let child = load(&self.pager, &child_of(&self.pager, node, *idx)?)?;
            let cidx = match (first, child.is_leaf()) {
                (true, _) => 0,
                (false, true) => child.len().saturating_sub(1),
                (false, false) => child.len(),
            };
            self.stack.push((child, cidx));
        }
    }

    /// The leaf the cursor is on and its slot.
    fn leaf(&self) -> Option<(&Loaded, usize)> {
        match self.stack.last() {
            Some((n, i)) if n.is_leaf() => Some((n, *i)),
            _ => None,
        }
    }

    /// Whether the cursor is on an entry.
    pub fn is_valid(&self) -> bool {
        self.leaf().is_some_and(|(l, i)| i < l.len())
    }

    /// Moves to the first entry; returns whether there is one.
    pub fn seek_first(&mut self) -> Result<bool> {
        self.descend(Target::First)?;
        self.skip_empty_forward()
    }

    /// Moves to the last entry; returns whether there is one.
    pub fn seek_last(&mut self) -> Result<bool> {
        self.descend(Target::Last)?;
        if self.is_valid() { Ok(true) } else { self.step_prev() }
    }

    /// Moves to the first entry whose key is `>= key`.
    pub fn seek(&mut self, key: &[u8]) -> Result<bool> {
        self.descend(Target::Key(key))?;
        self.skip_empty_forward()
    }

    /// Moves to the last entry whose key is `<= key`.
    pub fn seek_le(&mut self, key: &[u8]) -> Result<bool> {
        if self.seek(key)? {
            if self.key() == Some(key) {
                return Ok(true);
            }
            return self.step_prev();
        }
        self.seek_last()
    }

    fn skip_empty_forward(&mut self) -> Result<bool> {
        if self.is_valid() {
            return Ok(true);
        }
        self.advance()
    }

    /// Steps to the next entry; returns whether there is one.
    pub fn step_next(&mut self) -> Result<bool> {
        if let Some(top) = self.stack.last_mut() {
            top.1 += 1;
        }
        self.skip_empty_forward()
    }

    /// Climbs to the next leaf when the current slot is past the end.
    fn advance(&mut self) -> Result<bool> {
        loop {
            if self.is_valid() {
                return Ok(true);
            }
            // Pop exhausted frames, then step the first branch that has a next child.
            self.stack.pop();
            loop {
                let Some((node, idx)) = self.stack.last_mut() else {
                    return Ok(false);
                };
                if node.is_leaf() {
                    return Ok(false);
                }
                if *idx < node.len() {
                    *idx += 1;
                    break;
                }
                self.stack.pop();
            }
            self.descend_edge(true)?;
        }
    }

    /// Steps to the previous entry; returns whether there is one.
    pub fn step_prev(&mut self) -> Result<bool> {
        loop {
            if let Some((l, i)) = self.leaf()
                && i > 0
                && i <= l.len()
            {
                if let Some(top) = self.stack.last_mut() {
                    top.1 -= 1;
                }
                return Ok(true);
            }
            self.stack.pop();
            loop {
                let Some((node, idx)) = self.stack.last_mut() else {
                    return Ok(false);
                };
                if *idx > 0 && !node.is_leaf() {
                    *idx -= 1;
                    break;
                }
                self.stack.pop();
            }
            self.descend_edge(false)?;
            // Land one past the last entry of the new leaf so the loop steps onto it.
            if let Some((n, i)) = self.stack.last_mut()
                && n.is_leaf()
            {
                *i = n.len();
            }
        }
    }

    /// The current key.
    pub fn key(&self) -> Option<&[u8]> {
        let (l, i) = self.leaf()?;
        l.key(i)
    }

    /// The current value (read from its overflow run if it is large).
    pub fn value(&self) -> Result<Option<Vec<u8>>> {
        let Some((l, i)) = self.leaf() else { return Ok(None) };
        match l.val(i) {
            Some(v) => materialize_ref(&self.pager, v).map(Some),
            None if i < l.len() => Err(self.pager.corrupt(l.pid(), "leaf value out of range")),
            None => Ok(None),
        }
    }
}

/// An owned key range.
pub type KeyBounds = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Double-ended iteration over the entries of a key range, in key order.
pub struct Range {
    front: Cursor,
    back: Cursor,
    bounds: KeyBounds,
    front_started: bool,
    back_started: bool,
    /// Last key returned from each end: the ends stop where they meet.
    last_front: Option<Vec<u8>>,
    last_back: Option<Vec<u8>>,
    done: bool,
}

impl Range {
    pub(crate) fn new(pager: Arc<Pager>, root: NodeRef, bounds: KeyBounds) -> Self {
        Range {
            front: Cursor::new(pager.clone(), root.clone()),
            back: Cursor::new(pager, root),
            bounds,
            front_started: false,
            back_started: false,
            last_front: None,
            last_back: None,
            done: false,
        }
    }

    /// Moves the front end to its next entry within the bounds; returns
    /// whether there is one (the front cursor is then on it).
    fn front_advance(&mut self) -> Result<bool> {
        let valid = if self.front_started {
            self.front.step_next()?
        } else {
            self.front_started = true;
            match &self.bounds.0 {
                Bound::Unbounded => self.front.seek_first()?,
                Bound::Included(k) => self.front.seek(k)?,
                Bound::Excluded(k) => {
                    let k = k.clone();
                    self.front.seek(&k)? && (self.front.key() != Some(&k) || self.front.step_next()?)
                }
            }
        };
        if !valid {
            return Ok(false);
        }
        let Some(key) = self.front.key() else { return Ok(false) };
        let within = match &self.bounds.1 {
            Bound::Unbounded => true,
            Bound::Included(h) => key <= h.as_slice(),
            Bound::Excluded(h) => key < h.as_slice(),
        };
        if !within || self.last_back.as_deref().is_some_and(|b| key >= b) {
            return Ok(false);
        }
        // Kept for the back end to stop at; the buffer is reused.
        let last = self.last_front.get_or_insert_with(Vec::new);
        last.clear();
        last.extend_from_slice(key);
        Ok(true)
    }

    /// [`Range::front_advance`] for the back end.
    fn back_advance(&mut self) -> Result<bool> {
        let valid = if self.back_started {
            self.back.step_prev()?
        } else {
            self.back_started = true;
            match &self.bounds.1 {
                Bound::Unbounded => self.back.seek_last()?,
                Bound::Included(k) => self.back.seek_le(k)?,
                Bound::Excluded(k) => {
                    let k = k.clone();
                    self.back.seek_le(&k)? && (self.back.key() != Some(&k) || self.back.step_prev()?)
                }
            }
        };
        if !valid {
            return Ok(false);
        }
        let Some(key) = self.back.key() else { return Ok(false) };
        let within = match &self.bounds.0 {
            Bound::Unbounded => true,
            Bound::Included(l) => key >= l.as_slice(),
            Bound::Excluded(l) => key > l.as_slice(),
        };
        if !within || self.last_front.as_deref().is_some_and(|f| key <= f) {
            return Ok(false);
        }
        let last = self.last_back.get_or_insert_with(Vec::new);
        last.clear();
        last.extend_from_slice(key);
        Ok(true)
    }

    /// Steps to the next entry from the front (or, if `back`, from the
    /// back) and hands its key and value to `f` without copying them (a
    /// value stored in an overflow run is read into a buffer first).
    /// `None` once the ends meet or after an error.
    pub fn step_with<R>(&mut self, back: bool, f: impl FnOnce(&[u8], &[u8]) -> R) -> Option<Result<R>> {
        if self.done {
            return None;
        }
        let r = self.step_with_inner(back, f).transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }

    fn step_with_inner<R>(&mut self, back: bool, f: impl FnOnce(&[u8], &[u8]) -> R) -> Result<Option<R>> {
        let moved = if back { self.back_advance()? } else { self.front_advance()? };
        if !moved {
            return Ok(None);
        }
        let c = if back { &self.back } else { &self.front };
        c.with_entry(f)
    }
}

impl Cursor {
    /// Calls `f` with the current key and value, borrowed from the page
    /// where the value is stored inline.
    fn with_entry<R>(&self, f: impl FnOnce(&[u8], &[u8]) -> R) -> Result<Option<R>> {
        let Some((l, i)) = self.leaf() else { return Ok(None) };
        let (Some(k), Some(v)) = (l.key(i), l.val(i)) else {
            return Err(self.pager.corrupt(l.pid(), "leaf entry out of range"));
        };
        Ok(Some(match v {
            ValRef::Inline(b) => f(k, b),
            other => f(k, &materialize_ref(&self.pager, other)?),
        }))
    }
}

impl Iterator for Range {
    type Item = Result<(Vec<u8>, Vec<u8>)>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.step_with_inner(false, |k, v| (k.to_vec(), v.to_vec())).transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}

impl DoubleEndedIterator for Range {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.step_with_inner(true, |k, v| (k.to_vec(), v.to_vec())).transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}
