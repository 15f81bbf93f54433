//! Window functions of a streamed SELECT, computed one partition at a
//! time: [`Windowed`].
//!
//! The complete run ([`crate::window::evaluate`]) computes the windows from
//! the last written to the first, each over a stable sort of the order the
//! one before left. Here each step is a pass through the external sort of
//! [`sort`]: the SELECT's rows (after GROUP BY and HAVING) are sorted by
//! the last window's PARTITION BY and ORDER BY terms, its values are
//! computed a partition at a time and appended to each row, and the rows
//! go on to the next window's sort, and so on. The sort is stable, so ties
//! are met in the order the pass before left them, as in the complete run.
//! Windows next to each other that partition and order alike share a
//! pass. The last pass (the first window) hands its rows out a partition
//! at a time, in the order the complete run gives them.
//!
//! Memory is the sort's budget plus one partition; the passes before the
//! last run when the first row is pulled. A window without PARTITION BY
//! makes its whole input one partition, held at once.

use super::sort;
use crate::error::Result;
use crate::exec::{Ctx, Env, compare_keys, eval};
use crate::plan::{CorePlan, SortKey};
use crate::value::Value;
use std::cmp::Ordering;

/// One pass: windows that sort and partition alike, next to each other in
/// the SELECT.
struct Pass {
    /// The windows' positions in the SELECT.
    calls: Vec<usize>,
    /// Their PARTITION BY and ORDER BY terms, to tell whether the next
    /// window shares the pass (the same sort with another cut into
    /// partitions does not).
    spec: String,
    /// Their sort: PARTITION BY terms, then ORDER BY terms.
    keys: Vec<SortKey>,
    /// How many of `keys` are PARTITION BY terms.
    parts: usize,
}

/// Where the windows of a streamed SELECT stand.
pub(super) struct Windowed {
    /// The passes, the last window's first.
    passes: Vec<Pass>,
    /// How many aggregate values follow the source row in an entry; the
    /// window values computed so far come after them.
    aggs: usize,
    /// The last pass's sorted rows, once the passes before it ran.
    sorted: Option<sort::Sorted>,
    /// The first entry of the next partition, read ahead.
    pending: Option<sort::Entry>,
    /// The current partition's result rows (with their ORDER BY keys).
    ready: std::vec::IntoIter<(Vec<Value>, Vec<Value>)>,
}

impl Windowed {
    /// The state of `core`'s windows before any row is read.
    pub(super) fn new(core: &CorePlan) -> Windowed {
        let mut passes: Vec<Pass> = Vec::new();
        for (i, call) in core.windows.iter().enumerate().rev() {
            let spec = format!("{:?} | {:?}", call.partition, call.order);
            match passes.last_mut() {
                Some(p) if p.spec == spec => p.calls.push(i),
                _ => passes.push(Pass {
                    calls: vec![i],
                    spec,
                    keys: crate::window::sort_keys(call),
                    parts: call.partition.len(),
                }),
            }
        }
        Windowed { passes, aggs: core.aggs.len(), sorted: None, pending: None, ready: Vec::new().into_iter() }
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
            if self.sorted.is_none() {
                self.sorted = Some(self.run_passes(ctx, core, &mut pull)?);
            }
            let Some(last) = self.passes.len().checked_sub(1) else { return Ok(None) };
            let Some(part) = self.partition(last)? else { return Ok(None) };
            let part = self.compute(ctx, core, last, part)?;
            let mut out = Vec::with_capacity(part.len());
            for (row, slots) in part {
                let env = Env { row: &row, aggs: &slots, parent: None };
                let res = core.result.iter().map(|e| eval(ctx, e, &env)).collect::<Result<Vec<_>>>()?;
                let keys = sort_keys.iter().map(|k| eval(ctx, &k.expr, &env)).collect::<Result<Vec<_>>>()?;
                out.push((res, keys));
            }
            self.ready = out.into_iter();
        }
    }

    /// Reads every row into the first pass's sort and runs each pass but
    /// the last into the next one's; returns the last pass's sorted rows.
    fn run_passes(
        &mut self,
        ctx: &Ctx<'_>,
        core: &CorePlan,
        pull: &mut impl FnMut() -> Result<Option<(Vec<Value>, Vec<Value>)>>,
    ) -> Result<sort::Sorted> {
        let mut sorter = self.sorter(0);
        while let Some((mut row, aggs)) = pull()? {
            let keys = self.keys(ctx, 0, &row, &aggs)?;
            row.extend(aggs);
            sorter.push((row, keys))?;
        }
        let mut sorted = sorter.finish()?;
        for pass in 1..self.passes.len() {
            self.sorted = Some(sorted);
            let mut next = self.sorter(pass);
            while let Some(part) = self.partition(pass - 1)? {
                for (row, slots) in self.compute(ctx, core, pass - 1, part)? {
                    let keys = {
                        let aggs = slots.get(..self.aggs).unwrap_or_default();
                        self.keys(ctx, pass, &row, aggs)?
                    };
                    let mut payload = row;
                    payload.extend(slots);
                    next.push((payload, keys))?;
                }
            }
            sorted = next.finish()?;
        }
        Ok(sorted)
    }

    fn sorter(&self, pass: usize) -> sort::Sorter {
        sort::Sorter::new(self.passes.get(pass).map(|p| p.keys.clone()).unwrap_or_default(), None)
    }

    /// The sort keys of pass `pass` for a row and its aggregate values.
    fn keys(&self, ctx: &Ctx<'_>, pass: usize, row: &[Value], aggs: &[Value]) -> Result<Vec<Value>> {
        let env = Env { row, aggs, parent: None };
        let keys = self.passes.get(pass).map_or(&[][..], |p| &p.keys[..]);
        keys.iter().map(|k| eval(ctx, &k.expr, &env)).collect()
    }

    /// The next partition of pass `pass`'s sorted rows (entries whose
    /// PARTITION BY keys are equal), or `None` at their end.
    fn partition(&mut self, pass: usize) -> Result<Option<Vec<sort::Entry>>> {
        let Some(sorted) = self.sorted.as_mut() else { return Ok(None) };
        let first = match self.pending.take() {
            Some(e) => e,
            None => match sorted.next_entry()? {
                Some(e) => e,
                None => return Ok(None),
            },
        };
        let (parts, keys) = match self.passes.get(pass) {
            Some(p) => (p.parts, &p.keys[..]),
            None => (0, &[][..]),
        };
        let part_keys = keys.get(..parts).unwrap_or_default();
        let head = |e: &sort::Entry| e.1.get(..parts).unwrap_or_default().to_vec();
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
        Ok(Some(part))
    }

    /// Computes pass `pass`'s windows over one partition (entries in its
    /// sort order): each row with its slots, the aggregate values then
    /// every window value computed so far. After the last pass the slots
    /// hold the windows in the SELECT's order, as the result expects.
    fn compute(
        &self,
        ctx: &Ctx<'_>,
        core: &CorePlan,
        pass: usize,
        part: Vec<sort::Entry>,
    ) -> Result<Vec<(Vec<Value>, Vec<Value>)>> {
        let Some(p) = self.passes.get(pass) else { return Ok(Vec::new()) };
        // Values computed by the passes before this one, per row.
        let done: usize = self.passes.iter().take(pass).map(|p| p.calls.len()).sum();
        let mut rows: Vec<(Vec<Value>, Vec<Value>)> = part
            .into_iter()
            .map(|(mut payload, _)| {
                let slots = payload.split_off(payload.len().saturating_sub(self.aggs + done));
                (payload, slots)
            })
            .collect();
        // A window's terms read the row and its aggregate values, never
        // another window's value: the values appended after the aggregates
        // are there but unread.
        let mut values = Vec::with_capacity(p.calls.len());
        for &c in &p.calls {
            let Some(call) = core.windows.get(c) else { continue };
            values.push(crate::window::partition_values(ctx, call, &rows)?);
        }
        for (i, (_, slots)) in rows.iter_mut().enumerate() {
            slots.extend(values.iter().map(|v| v.get(i).cloned().unwrap_or(Value::Null)));
        }
        if pass + 1 == self.passes.len() {
            // Slots hold the windows from the last to the first (passes in
            // turn, each pass's calls from the last): put them in order.
            let order: Vec<usize> = self.passes.iter().flat_map(|p| p.calls.iter().copied()).collect();
            for (_, slots) in rows.iter_mut() {
                let computed = slots.split_off(self.aggs.min(slots.len()));
                let mut by_call = vec![Value::Null; core.windows.len()];
                for (v, &c) in computed.into_iter().zip(&order) {
                    if let Some(s) = by_call.get_mut(c) {
                        *s = v;
                    }
                }
                slots.extend(by_call);
            }
        }
        Ok(rows)
    }
}
