//! Running a recursive CTE, as SQLite does: a queue seeded with the
//! initial SELECT's rows; each row taken from it (first in, first out, or
//! the least by the CTE's ORDER BY) is output and then given alone to the
//! recursive SELECTs as the CTE's table, and their rows join the queue.
//! UNION drops rows seen before; LIMIT stops the recursion once that many
//! rows have been output; OFFSET rows still recurse but are not output.

use super::{Ctx, Env, Working, compare_keys, eval, eval_limit, row_key_coll, run_query};
use crate::error::Result;
use crate::plan::RecursivePlan;
use crate::value::{Collation, Value};
use std::cmp::Ordering;
use std::collections::{HashSet, VecDeque};

/// A queued row with its ORDER BY key and arrival number (ties go first
/// in, first out).
struct Queued {
    key: Vec<Value>,
    seq: u64,
    row: Vec<Value>,
}

/// A recursive CTE being run, one output row at a time: the complete run
/// takes every row ([`run`]), a streamed query pulls them as it needs them
/// (memory is the queue and, for UNION, the keys of the rows seen).
pub(crate) struct Recursion {
    queue: VecDeque<Queued>,
    seen: HashSet<Vec<u8>>,
    /// UNION compares rows under the compound's column collations.
    colls: Vec<Collation>,
    seq: u64,
    /// Rows OFFSET still keeps back, and rows LIMIT still allows.
    skip: usize,
    left: Option<usize>,
    /// The row taken last, whose recursive SELECTs have not run yet: they
    /// run at the next pull, so a row is given before anything it leads
    /// to is computed (and a LIMIT reached runs nothing more).
    pending: Option<Vec<Value>>,
}

impl Recursion {
    /// Starts `plan`: its LIMIT and OFFSET, and the initial SELECT's rows
    /// queued.
    pub(crate) fn open(ctx: &Ctx<'_>, plan: &RecursivePlan, parent: Option<&Env<'_>>) -> Result<Recursion> {
        let left = eval_limit(ctx, &plan.limit, "LIMIT")?.and_then(|l| usize::try_from(l).ok());
        let skip = eval_limit(ctx, &plan.offset, "OFFSET")?.map_or(0, |o| usize::try_from(o).unwrap_or(0));
        let colls = if plan.distinct {
            let mut plans = vec![&plan.initial];
            plans.extend(&plan.steps);
            crate::bind::collations_of(&plans)
        } else {
            Vec::new()
        };
        let mut rec =
            Recursion { queue: VecDeque::new(), seen: HashSet::new(), colls, seq: 0, skip, left, pending: None };
        if left != Some(0) {
            for row in run_query(ctx, &plan.initial, parent)? {
                rec.add(ctx, plan, row)?;
            }
        }
        Ok(rec)
    }

    /// Queues `row` unless UNION has seen it.
    fn add(&mut self, ctx: &Ctx<'_>, plan: &RecursivePlan, row: Vec<Value>) -> Result<()> {
        if plan.distinct && !self.seen.insert(row_key_coll(&row, &self.colls)) {
            return Ok(());
        }
        let env = Env { row: &row, aggs: &[], parent: None };
        let key = plan.order_by.iter().map(|k| eval(ctx, &k.expr, &env)).collect::<Result<Vec<_>>>()?;
        self.seq += 1;
        let item = Queued { key, seq: self.seq, row };
        if plan.order_by.is_empty() {
            self.queue.push_back(item);
        } else {
            let at = self.queue.partition_point(|q| {
                compare_keys(&q.key, &item.key, &plan.order_by).then(q.seq.cmp(&item.seq)) == Ordering::Less
            });
            self.queue.insert(at, item);
        }
        Ok(())
    }

    /// The CTE's next row, or `None` when the queue runs dry or LIMIT is
    /// reached.
    pub(crate) fn next(
        &mut self,
        ctx: &Ctx<'_>,
        plan: &RecursivePlan,
        parent: Option<&Env<'_>>,
    ) -> Result<Option<Vec<Value>>> {
        loop {
            if self.left == Some(0) {
                return Ok(None);
            }
            if let Some(row) = self.pending.take() {
                self.recurse(ctx, plan, parent, row)?;
            }
            let Some(Queued { row, .. }) = self.queue.pop_front() else { return Ok(None) };
            // A recursive CTE may read no table at all (counting, say).
            crate::interrupt::check()?;
            if self.skip > 0 {
                // OFFSET rows are not given but still recurse.
                self.skip -= 1;
                self.pending = Some(row);
                continue;
            }
            if let Some(l) = self.left.as_mut() {
                *l -= 1;
            }
            self.pending = Some(row.clone());
            return Ok(Some(row));
        }
    }

    /// Runs the recursive SELECTs with `row` alone as the CTE's table and
    /// queues their rows.
    fn recurse(
        &mut self,
        ctx: &Ctx<'_>,
        plan: &RecursivePlan,
        parent: Option<&Env<'_>>,
        row: Vec<Value>,
    ) -> Result<()> {
        let current = [row];
        let working = Working { id: plan.id, rows: &current, parent: ctx.working };
        let step_ctx = Ctx {
            rd: ctx.rd,
            params: ctx.params,
            working: Some(&working),
            now_ms: ctx.now_ms,
            session: ctx.session,
            subqueries: ctx.subqueries,
            sets: ctx.sets,
        };
        for step in &plan.steps {
            for r in run_query(&step_ctx, step, parent)? {
                self.add(ctx, plan, r)?;
            }
        }
        Ok(())
    }
}

/// All rows of a recursive CTE.
pub(super) fn run(ctx: &Ctx<'_>, plan: &RecursivePlan, parent: Option<&Env<'_>>) -> Result<Vec<Vec<Value>>> {
    let mut rec = Recursion::open(ctx, plan, parent)?;
    let mut out = Vec::new();
    while let Some(row) = rec.next(ctx, plan, parent)? {
        out.push(row);
    }
    Ok(out)
}

/// The rows of the working table `id`.
pub(super) fn working_rows(ctx: &Ctx<'_>, id: usize) -> Vec<Vec<Value>> {
    let mut w = ctx.working;
    while let Some(cur) = w {
        if cur.id == id {
            return cur.rows.to_vec();
        }
        w = cur.parent;
    }
    Vec::new()
}
