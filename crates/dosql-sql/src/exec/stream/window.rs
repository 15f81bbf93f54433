//! Window functions of a streamed SELECT, computed one partition at a
//! time: [`Windowed`].
//!
//! The SELECT's rows (after GROUP BY and HAVING) go through the external
//! sort by every window's PARTITION BY and ORDER BY terms (the order the
//! complete run leaves them in, [`crate::window::output_order`]), then are
//! cut where the partition terms change, and each partition's window values
//! are computed by [`crate::window::evaluate`] over its rows in their
//! input order, exactly as the complete run computes them over all rows.
//! Memory is the sort's budget plus one partition.
//!
//! That is only the same answer when every window of the SELECT has the
//! same PARTITION BY terms ([`Windowed::applies`]); other SELECTs with
//! windows run to completion. A window with no PARTITION BY makes the
//! whole input one partition, held at once.

use super::sort;
use crate::error::Result;
use crate::exec::{Ctx, Env, compare_keys, eval};
use crate::plan::{CorePlan, SortKey};
use crate::value::Value;
use std::cmp::Ordering;

/// Where the windows of a streamed SELECT stand.
pub(super) struct Windowed {
    /// The sort: every window's partition and order terms, in turn.
    keys: Vec<SortKey>,
    /// How many of `keys` are the (shared) partition terms.
    parts: usize,
    /// How many aggregate values follow the source row in a sorted entry.
    aggs: usize,
    /// The sorted rows, once every row was read.
    sorted: Option<sort::Sorted>,
    /// The first entry of the next partition, read ahead.
    pending: Option<sort::Entry>,
    /// The current partition's result rows (with their ORDER BY keys).
    ready: std::vec::IntoIter<(Vec<Value>, Vec<Value>)>,
    /// Input rows so far: each entry carries its number, to restore the
    /// input order within a partition.
    seq: i64,
}

impl Windowed {
    /// Whether `core`'s windows can be computed a partition at a time:
    /// they all partition by the same terms.
    pub(super) fn applies(core: &CorePlan) -> bool {
        let mut parts = core.windows.iter().map(|w| format!("{:?}", w.partition));
        match parts.next() {
            Some(first) => parts.all(|p| p == first),
            None => false,
        }
    }

    /// The state of `core`'s windows before any row is read.
    pub(super) fn new(core: &CorePlan) -> Windowed {
        Windowed {
            keys: crate::window::output_order(core),
            parts: core.windows.first().map_or(0, |w| w.partition.len()),
            aggs: core.aggs.len(),
            sorted: None,
            pending: None,
            ready: Vec::new().into_iter(),
            seq: 0,
        }
    }

    /// The next result row and its `sort_keys` (the query's ORDER BY over
    /// the row with its window values), reading the SELECT's rows (source
    /// row and aggregate values, past HAVING) from `pull` the first time.
    pub(super) fn next(
        &mut self,
        ctx: &Ctx<'_>,
        core: &CorePlan,
        sort_keys: &[SortKey],
        mut pull: impl FnMut() -> Result<Option<(Vec<Value>, Vec<Value>)>>,
    ) -> Result<Option<(Vec<Value>, Vec<Value>)>> {
        loop {
            if let Some(r) = self.ready.next() {
                return Ok(Some(r));
            }
            let sorted = match &mut self.sorted {
                Some(s) => s,
                None => {
                    let mut sorter = sort::Sorter::new(self.keys.clone(), None);
                    while let Some((mut row, aggs)) = pull()? {
                        let env = Env { row: &row, aggs: &aggs, parent: None };
                        let k = self.keys.iter().map(|k| eval(ctx, &k.expr, &env)).collect::<Result<Vec<_>>>()?;
                        row.extend(aggs);
                        row.push(Value::Integer(self.seq));
                        self.seq += 1;
                        sorter.push((row, k))?;
                    }
                    self.sorted.insert(sorter.finish()?)
                }
            };
            let first = match self.pending.take() {
                Some(e) => e,
                None => match sorted.next_entry()? {
                    Some(e) => e,
                    None => return Ok(None),
                },
            };
            let part_keys = self.keys.get(..self.parts).unwrap_or_default();
            let head = |e: &sort::Entry| e.1.get(..self.parts).unwrap_or_default().to_vec();
            let at = head(&first);
            let mut part = vec![first];
            while let Some(e) = sorted.next_entry()? {
                if compare_keys(&at, &head(&e), part_keys) == Ordering::Equal {
                    part.push(e);
                } else {
                    self.pending = Some(e);
                    break;
                }
            }
            // The partition's rows in their input order, split back into
            // source row and aggregate values.
            let number = |e: &sort::Entry| match e.0.last() {
                Some(Value::Integer(n)) => *n,
                _ => 0,
            };
            part.sort_by_key(number);
            let rows = part
                .into_iter()
                .map(|(mut payload, _)| {
                    payload.pop();
                    let aggs = payload.split_off(payload.len().saturating_sub(self.aggs));
                    (payload, aggs)
                })
                .collect();
            self.ready = crate::window::evaluate(ctx, core, sort_keys, rows, None)?.into_iter();
        }
    }
}
