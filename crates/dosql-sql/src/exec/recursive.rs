//! Running a recursive CTE, as SQLite does: a queue seeded with the
//! initial SELECT's rows; each row taken from it (first in, first out, or
//! the least by the CTE's ORDER BY) is output and then given alone to the
//! recursive SELECTs as the CTE's table, and their rows join the queue.
//! UNION drops rows seen before; LIMIT stops the recursion once that many
//! rows have been output; OFFSET rows still recurse but are not output.

use super::{Ctx, Env, Working, compare_keys, eval, eval_limit, row_key_coll, run_query};
use crate::error::Result;
use crate::plan::RecursivePlan;
use crate::value::Value;
use std::cmp::Ordering;
use std::collections::{HashSet, VecDeque};

/// A queued row with its ORDER BY key and arrival number (ties go first
/// in, first out).
struct Queued {
    key: Vec<Value>,
    seq: u64,
    row: Vec<Value>,
}

/// All rows of a recursive CTE.
pub(super) fn run(ctx: &Ctx<'_>, plan: &RecursivePlan, parent: Option<&Env<'_>>) -> Result<Vec<Vec<Value>>> {
    let limit = eval_limit(ctx, &plan.limit, "LIMIT")?.and_then(|l| usize::try_from(l).ok());
    let offset = eval_limit(ctx, &plan.offset, "OFFSET")?.map_or(0, |o| usize::try_from(o).unwrap_or(0));
    let mut queue: VecDeque<Queued> = VecDeque::new();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    // UNION compares rows under the compound's column collations.
    let colls = if plan.distinct {
        let mut plans = vec![&plan.initial];
        plans.extend(&plan.steps);
        crate::bind::collations_of(&plans)
    } else {
        Vec::new()
    };
    let mut seq = 0u64;
    let mut add = |row: Vec<Value>, queue: &mut VecDeque<Queued>| -> Result<()> {
        if plan.distinct && !seen.insert(row_key_coll(&row, &colls)) {
            return Ok(());
        }
        let env = Env { row: &row, aggs: &[], parent: None };
        let key = plan.order_by.iter().map(|k| eval(ctx, &k.expr, &env)).collect::<Result<Vec<_>>>()?;
        seq += 1;
        let item = Queued { key, seq, row };
        if plan.order_by.is_empty() {
            queue.push_back(item);
        } else {
            let at = queue.partition_point(|q| {
                compare_keys(&q.key, &item.key, &plan.order_by).then(q.seq.cmp(&item.seq)) == Ordering::Less
            });
            queue.insert(at, item);
        }
        Ok(())
    };
    if limit == Some(0) {
        return Ok(Vec::new());
    }
    for row in run_query(ctx, &plan.initial, parent)? {
        add(row, &mut queue)?;
    }
    let mut out = Vec::new();
    let mut skipped = 0;
    while let Some(Queued { row, .. }) = queue.pop_front() {
        // A recursive CTE may read no table at all (counting, say).
        crate::interrupt::check()?;
        if skipped < offset {
            skipped += 1;
        } else {
            out.push(row.clone());
            if limit.is_some_and(|l| out.len() >= l) {
                break;
            }
        }
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
                add(r, &mut queue)?;
            }
        }
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
