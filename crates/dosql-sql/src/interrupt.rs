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
//! Left out: an in-memory sort or grouping runs to its end before the
//! next check.

use crate::error::{Error, Result};
use std::cell::RefCell;
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
