//! Native stack growth for the engine's recursive walks.
//!
//! Parsing, binding and evaluating an expression recurse once per level of
//! its tree, and triggers and foreign-key actions recurse once per level of
//! nesting. SQLite's limits (expression depth 1000, trigger depth 1000) allow
//! more levels than a caller's 2 MiB thread stack holds, and running out of
//! stack aborts the process. Each recursion point therefore goes through
//! [`grow`], which moves onto a fresh heap-allocated stack segment when the
//! current one is nearly used up.

/// Below this much free stack, the next level runs on a new segment. It
/// must cover the deepest straight-line descent between two recursion points
/// (a trigger program runs a whole statement before reaching the next one).
const RED_ZONE: usize = 256 * 1024;

/// The size of each new segment.
const SEGMENT: usize = 4 * 1024 * 1024;

/// Runs `f`, first switching to a new stack segment if less than
/// [`RED_ZONE`] bytes of the current one remain.
#[inline]
pub(crate) fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
