//! Interrupting a running statement from another thread, as SQLite's
//! `sqlite3_interrupt()`.
//!
//! A [`Connection`](crate::Connection) owns a flag; an [`InterruptHandle`]
//! (cloneable, `Send`) sets it. While a statement runs, the connection
//! publishes the flag to its thread (`Running`), and the places that
//! produce rows — each row a table or index cursor yields
//! (`access.rs`) and each row INSERT, UPDATE and DELETE change
//! (`dml/`) — call `check`, a relaxed load, which fails the statement
//! with SQLite's SQLITE_INTERRUPT message, `interrupted`. The statement
//! then ends as any failing statement does: its changes are undone (in
//! an explicit transaction, the transaction stays open, see
//! [`crate::conn`]). The flag is cleared when a statement starts, so an
//! interrupt while no statement runs is dropped, as SQLite drops it.
//!
//! Work that reads no table also checks: each row a recursive CTE adds
//! and each pair a join builds in memory (`join.rs`). A streamed query
//! ([`crate::RowStream`]) publishes the flag again while each row is
//! pulled, so an interrupt between rows stops it at the next one.
//!
//! In-memory sorts (ORDER BY, GROUP BY and windows of a query run to
//! completion) go through `sort_by`, which sorts in chunks and merges
//! them, checking between steps.

use crate::error::{Error, Result};
use std::cell::RefCell;
use std::cmp::Ordering as Order;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// SQLite's message for SQLITE_INTERRUPT.
pub const INTERRUPTED: &str = "interrupted";

/// Interrupts the statement its connection is running (from any thread).
#[derive(Debug, Clone)]
pub struct InterruptHandle(pub(crate) Arc<AtomicBool>);

impl InterruptHandle {
    /// Makes the connection's running statement, if any, fail with
    /// `interrupted` at its next row.
    pub fn interrupt(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Whether `e` is the error of an interrupted statement.
pub fn is_interrupted(e: &Error) -> bool {
    matches!(e, Error::Runtime(m) if m == INTERRUPTED)
}

thread_local! {
    /// The flag of the statement running on this thread, if any.
    static RUNNING: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Publishes a connection's flag to this thread while a statement runs;
/// dropping it restores what was published before (statements may nest).
pub(crate) struct Running {
    previous: Option<Arc<AtomicBool>>,
}

impl Running {
    /// Starts a statement with `flag`: clears it (an earlier interrupt
    /// found no statement to stop) unless a statement is already running on
    /// this thread, and publishes it.
    pub(crate) fn start(flag: &Arc<AtomicBool>) -> Running {
        let previous = RUNNING.with(|r| r.replace(Some(Arc::clone(flag))));
        if previous.is_none() {
            flag.store(false, Ordering::Relaxed);
        }
        Running { previous }
    }
}

/// A streamed query's flag, published (moved, not cloned: this happens
/// for every row pulled) while one row is pulled, without clearing it, so
/// an interrupt that came between rows counts. Dropping it puts the flag
/// back in its slot and restores what was published before.
pub(crate) struct Lent<'a> {
    slot: &'a mut Option<Arc<AtomicBool>>,
    previous: Option<Arc<AtomicBool>>,
}

impl<'a> Lent<'a> {
    /// Publishes the flag in `slot` until the guard drops.
    pub(crate) fn new(slot: &'a mut Option<Arc<AtomicBool>>) -> Lent<'a> {
        let previous = RUNNING.with(|r| r.replace(slot.take()));
        Lent { slot, previous }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        *self.slot = RUNNING.with(|r| r.replace(self.previous.take()));
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let previous = self.previous.take();
        RUNNING.with(|r| *r.borrow_mut() = previous);
    }
}

/// Fails with `interrupted` if the running statement's connection was
/// interrupted.
#[inline]
pub(crate) fn check() -> Result<()> {
    let hit = RUNNING.with(|r| r.borrow().as_ref().is_some_and(|f| f.load(Ordering::Relaxed)));
    if hit { Err(Error::Runtime(INTERRUPTED.to_string())) } else { Ok(()) }
}

/// Elements sorted at once between interrupt checks: a few milliseconds
/// of comparisons.
const SORT_CHUNK: usize = 1 << 15;

/// Sorts `v` stably by `cmp`, as `slice::sort_by` does, but so that an
/// interrupt of the running statement stops it: chunks are sorted one at a
/// time and then merged pairwise, with a [`check`] before each step.
pub(crate) fn sort_by<T>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Order) -> Result<()> {
    if v.len() <= SORT_CHUNK {
        v.sort_by(&mut cmp);
        return Ok(());
    }
    // A sorted input (an index gave the order) costs one pass.
    if v.windows(2).all(|w| cmp(&w[0], &w[1]) != Order::Greater) {
        return Ok(());
    }
    let mut runs: Vec<Vec<T>> = Vec::new();
    let mut rest = std::mem::take(v).into_iter();
    loop {
        check()?;
        let mut run: Vec<T> = rest.by_ref().take(SORT_CHUNK).collect();
        if run.is_empty() {
            break;
        }
        run.sort_by(&mut cmp);
        runs.push(run);
    }
    // Merging neighbours keeps equal elements in their input order.
    while runs.len() > 1 {
        let mut merged = Vec::with_capacity(runs.len().div_ceil(2));
        let mut it = runs.into_iter();
        while let Some(a) = it.next() {
            check()?;
            match it.next() {
                Some(b) => merged.push(merge(a, b, &mut cmp)),
                None => merged.push(a),
            }
        }
        runs = merged;
    }
    *v = runs.pop().unwrap_or_default();
    Ok(())
}

/// The stable merge of two sorted runs (`a`'s elements first among equals).
fn merge<T>(a: Vec<T>, b: Vec<T>, cmp: &mut impl FnMut(&T, &T) -> Order) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let take_b = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => cmp(y, x) == Order::Less,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => return out,
        };
        let next = if take_b { b.next() } else { a.next() };
        out.extend(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few keys, many equal: the merge must keep equal elements in their
    /// input order, as the standard library's stable sort does.
    fn pairs(n: usize, seed: u64) -> Vec<(u64, usize)> {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                ((x >> 33) % 97, i)
            })
            .collect()
    }

    #[test]
    fn chunked_sort_is_the_stable_sort() {
        for (n, seed) in [(0, 1), (10, 2), (SORT_CHUNK, 3), (SORT_CHUNK + 1, 4), (5 * SORT_CHUNK + 17, 5)] {
            let mut ours = pairs(n, seed);
            let mut std_sorted = ours.clone();
            std_sorted.sort_by_key(|p| p.0);
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0)).expect("no interrupt");
            assert_eq!(ours, std_sorted, "n = {n}");
        }
        // Already sorted input comes back as it was.
        let mut sorted: Vec<usize> = (0..3 * SORT_CHUNK).collect();
        sort_by(&mut sorted, |a, b| a.cmp(b)).expect("no interrupt");
        assert!(sorted.iter().enumerate().all(|(i, &v)| i == v));
    }

    #[test]
    fn an_interrupt_stops_a_large_sort() {
        let flag = Arc::new(AtomicBool::new(false));
        let _running = Running::start(&flag);
        flag.store(true, Ordering::Relaxed);
        let mut v = pairs(3 * SORT_CHUNK, 9);
        let err = sort_by(&mut v, |a, b| a.0.cmp(&b.0)).expect_err("interrupted");
        assert!(is_interrupted(&err));
        // A small sort has no step to stop at: it finishes.
        let mut small = pairs(100, 9);
        assert!(sort_by(&mut small, |a, b| a.0.cmp(&b.0)).is_ok());
    }
}
