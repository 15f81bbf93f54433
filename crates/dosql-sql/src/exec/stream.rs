//! Queries read row by row: [`RowStream`].
//!
//! Rows are read, filtered, joined, grouped and projected only as they are
//! pulled, so a result of any size takes bounded memory. A query streams
//! when each of its SELECTs (one, or the arms of a compound, read in turn:
//! UNION keeps the first of equal rows in a hash set; the right-hand
//! SELECT of an INTERSECT or EXCEPT is read into a hash set of its rows
//! when the first row is pulled, and the rows of the SELECTs before it
//! are tested against that set) reads one of these sources (the pulling
//! itself is in the `pull` submodule):
//!
//! - one table through its access path's cursor
//!   ([`crate::access::PathCursor`]: one key range read as it is pulled,
//!   or a lookup of several keys whose rowids are found when it opens);
//! - an inner join in the order [`crate::join`] planned, read depth first:
//!   the first source off its cursor, each later one looked up per row so
//!   far, or found in a hash table / rows read once when the query opened;
//! - a left-deep chain of joins of any kind in FROM order (a RIGHT or FULL
//!   join's right side is read once, and its unmatched rows come last);
//! - a FROM subquery, view or CTE that itself streams (also as the first
//!   source of such a chain), pulled through its own pipeline;
//! - a recursive CTE (also as the first source of a chain): each row is
//!   taken from its queue as it is pulled, and the recursive SELECTs run
//!   for it at the next pull; memory is the queue and, for UNION, the
//!   keys of the rows seen;
//! - VALUES, each row evaluated as it is pulled, and the one empty row of
//!   a SELECT without FROM.
//!
//! On top of the source, in the complete run's order of steps:
//!
//! - GROUP BY: rows in group order (as the path gives them, or through the
//!   external sort of [`sort`]), one group at a time, each row folded into
//!   the group's aggregates as it comes (the `agg` submodule); memory is
//!   the sort's budget plus one group's accumulators (its rows, for a
//!   group with a JSON aggregate). Without GROUP BY every row is one
//!   group. HAVING, aggregate values and the row bare columns read are the
//!   complete run's;
//! - DISTINCT: a hash set of the rows given (bounded by the distinct rows,
//!   as in SQLite);
//! - an ORDER BY the path does not give: [`sort`]'s external merge sort,
//!   spilling sorted runs to temporary files past a memory budget, or a
//!   bounded top-k under a small LIMIT;
//! - window functions: a pass through the external sort per window (or
//!   run of windows that partition and order alike), each partition's
//!   values computed as it is reached (the `window` submodule); memory is
//!   the sort's budget plus one partition;
//! - LIMIT and OFFSET.
//!
//! Everything else runs to completion first and its rows are handed out
//! from memory: a JSON aggregate without GROUP BY, a one-table lookup of
//! one rowid (quicker that way), `min()`/`max()` answered from an index,
//! and a query over a FROM subquery that does not stream (one of those).
//! Inside a streamed join, a source that no
//! cursor or lookup reads row by row (a hash join's build side, a FROM
//! subquery after the first source) is read whole when the query opens:
//! memory is bounded by that source, not by the result.
//!
//! Rows, their order and the conjuncts tested are the complete run's
//! ([`super::run_query`]); only when an error surfaces differs: a stream
//! gives the rows before the one that fails.

mod agg;
mod pull;
pub mod sort;
mod window;

use super::{Ctx, Env, Session, eval, eval_limit, semi::SetCache};
use crate::ast::CompoundOp;
use crate::error::Result;
use crate::plan::{BExpr, CorePlan, QueryPlan, SortKey, Source};
use crate::txn::{Snapshot, Txn};
use crate::value::Collation;
use crate::value::Value;
use pull::{Chain, Cond, Node, Planned};
use std::collections::HashSet;
use std::sync::Arc;

/// What a stream reads: the open transaction of the connection it came
/// from, or a snapshot of the latest commit it keeps for itself.
pub(crate) enum StreamReader<'c> {
    /// The connection's open transaction.
    Txn(&'c Txn),
    /// A snapshot taken when the query started.
    Snapshot(Box<Snapshot>),
}

impl StreamReader<'_> {
    fn get(&self) -> &dyn super::Reader {
        match self {
            StreamReader::Txn(t) => *t,
            StreamReader::Snapshot(s) => &**s,
        }
    }
}

/// The rows of a query, produced as they are read (see the module docs for
/// which queries stream). Each item is a row or the error that ended the
/// query; nothing follows an error.
pub struct RowStream<'c> {
    columns: Arc<[String]>,
    rows: Rows<'c>,
}

enum Rows<'c> {
    Ready(std::vec::IntoIter<Vec<Value>>),
    Live(Box<Live<'c>>),
    Done,
}

/// A query being read as it is pulled.
struct Live<'c> {
    reader: StreamReader<'c>,
    /// The connection's interrupt flag, published while a row is pulled
    /// (see [`crate::interrupt::Lent`]).
    interrupt: Option<Arc<std::sync::atomic::AtomicBool>>,
    params: Vec<Value>,
    now_ms: i64,
    session: Session,
    sets: SetCache,
    pipe: Pipeline,
}

/// A query's rows as they are pulled: its SELECTs, then ORDER BY, OFFSET
/// and LIMIT. (A FROM subquery that streams is one too, inside its
/// query's source.)
pub(crate) struct Pipeline {
    /// Where the SELECTs' rows stand.
    arms: Arms,
    /// ORDER BY, when the source does not give its order.
    order: Order,
    /// Rows OFFSET still skips, and rows LIMIT still allows.
    skip: usize,
    left: Option<usize>,
    /// One SELECT of plain columns read in its source's order, with no
    /// grouping, HAVING or duplicates to drop: each source row is a result
    /// row ([`Arms::pull_plain`]), the common case worth a short path.
    plain: bool,
}

/// The SELECTs of a query (one, or the arms of a UNION ALL or UNION) read
/// in turn.
struct Arms {
    plan: Arc<QueryPlan>,
    /// The source rows that pass WHERE, one per SELECT.
    sources: Vec<Node>,
    /// The SELECT being read.
    arm: usize,
    /// Its DISTINCT: the keys of the rows it gave and its columns'
    /// collations (`None` without DISTINCT).
    seen: Option<(HashSet<Vec<u8>>, Vec<Collation>)>,
    /// The slots its result takes as they are, when it is nothing but
    /// distinct columns.
    moved: Option<Vec<usize>>,
    /// Its groups, when it has GROUP BY.
    groups: Option<Groups>,
    /// Its windows, when it has window functions.
    windowed: Option<window::Windowed>,
    /// UNION, INTERSECT and EXCEPT: the SELECTs up to the last of them
    /// give each row once (the first time it passes), keyed under the
    /// compound's column collations, as the complete run's dedup keeps
    /// it; the number of those SELECTs, the keys given and the collations.
    union: (usize, HashSet<Vec<u8>>, Vec<Collation>),
    /// INTERSECT and EXCEPT, once their right-hand SELECTs are read (at the
    /// first pull): see [`Filter`].
    filters: Option<Vec<Filter>>,
}

/// An INTERSECT or EXCEPT of a compound, as a test on the rows of the
/// SELECTs before it. Compounds group from the left, so a row of SELECT
/// `i` is in the result when it passes every INTERSECT and EXCEPT that
/// follows SELECT `i`; the right-hand SELECT itself gives no rows.
struct Filter {
    /// The SELECTs up to this one are tested (this filter's right-hand
    /// SELECT is number `before`).
    before: usize,
    /// INTERSECT keeps a row whose key is in `keys`; EXCEPT drops it.
    keep: bool,
    /// The keys of the right-hand SELECT's rows.
    keys: HashSet<Vec<u8>>,
}

/// Where a streamed ORDER BY stands.
enum Order {
    /// The source's order is the query's.
    Source,
    /// Rows still to be gathered (the sort's keys and the rows wanted).
    Gather(Vec<SortKey>, Option<usize>),
    /// Sorted rows being handed out.
    Sorted(sort::Sorted),
}

/// Whether `plan` can be read row by row (see the module docs).
pub(crate) fn streamable(plan: &QueryPlan) -> bool {
    plan.compound.iter().all(|(_, core)| core_streams(core)) && core_streams(&plan.first)
}

/// Whether one SELECT of a query can be read row by row.
fn core_streams(c: &CorePlan) -> bool {
    if c.values.is_some() {
        return true;
    }
    (!c.aggregate || !c.group_by.is_empty() || agg::foldable(c))
        && c.first_row.is_none()
        && (c.aggregate || c.having.is_none())
        && match &c.source {
            Source::Table(_) => c.join.is_none(),
            Source::Join { .. } => {
                (c.join.is_some() && crate::join::leaves(&c.source).is_some()) || pull::chain_streams(&c.source)
            }
            Source::Query(q) => streamable(q),
            Source::Recursive(_) | Source::Single => c.join.is_none(),
            _ => false,
        }
}

/// SELECT number `i` of `plan` (0: the first, then the compound's).
fn core_at(plan: &QueryPlan, i: usize) -> Option<&CorePlan> {
    match i.checked_sub(1) {
        None => Some(&plan.first),
        Some(j) => plan.compound.get(j).map(|(_, c)| c),
    }
}

impl<'c> RowStream<'c> {
    /// Rows already computed.
    pub(crate) fn ready(columns: impl Into<Arc<[String]>>, rows: Vec<Vec<Value>>) -> RowStream<'c> {
        RowStream { columns: columns.into(), rows: Rows::Ready(rows.into_iter()) }
    }

    /// Starts reading a [`streamable`] plan; a plan with a one-table SELECT
    /// that looks up one rowid runs to completion here instead.
    pub(crate) fn open(
        reader: StreamReader<'c>,
        plan: Arc<QueryPlan>,
        params: &[Value],
        (now_ms, session): (i64, Session),
        interrupt: Arc<std::sync::atomic::AtomicBool>,
    ) -> Result<RowStream<'c>> {
        // Opening is a statement start: an earlier interrupt is dropped.
        let _running = crate::interrupt::Running::start(&interrupt);
        let columns = plan.columns.clone();
        let sets = SetCache::default();
        let ctx = Ctx::at_instant(reader.get(), params, now_ms).with_session(session).with_sets(&sets);
        let Some(pipe) = Pipeline::open(&ctx, plan.clone())? else {
            return Ok(RowStream::ready(columns, super::run_query(&ctx, &plan, None)?));
        };
        let live = Live { reader, interrupt: Some(interrupt), params: params.to_vec(), now_ms, session, sets, pipe };
        Ok(RowStream { columns, rows: Rows::Live(Box::new(live)) })
    }

    /// The result column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The result column names, shared (each row can keep them cheaply).
    pub fn shared_columns(&self) -> Arc<[String]> {
        Arc::clone(&self.columns)
    }
}

/// What reading a SELECT keeps: its DISTINCT state, its moved columns and
/// its groups.
type ArmState =
    (Option<(HashSet<Vec<u8>>, Vec<Collation>)>, Option<Vec<usize>>, Option<Groups>, Option<window::Windowed>);

fn arm_state(core: &CorePlan) -> ArmState {
    let seen = core.distinct.then(|| (HashSet::new(), super::result_collations(core)));
    // A VALUES row is its result row.
    let moved = match &core.values {
        Some(rows) => Some((0..rows.first().map_or(0, Vec::len)).collect()),
        None => super::moved_columns(core),
    };
    let windowed = (!core.windows.is_empty()).then(|| window::Windowed::new(core));
    (seen, moved, core.aggregate.then(|| Groups::new(core)), windowed)
}

/// Whether a SELECT is better run to completion than pulled: a
/// one-table lookup of one rowid, whose one row is quickest found that way.
fn point_lookup(core: &CorePlan) -> bool {
    matches!(&core.source, Source::Table(t) if core.join.is_none() && !crate::access::PathCursor::streams(&t.access))
}

/// The pulled source of a SELECT that streams; `None` when it is better
/// run to completion ([`point_lookup`]).
fn open_source(ctx: &Ctx<'_>, core: &CorePlan) -> Result<Option<Node>> {
    if point_lookup(core) {
        return Ok(None);
    }
    if let Some(rows) = &core.values {
        return Ok(Some(Node::Values { rows: rows.clone().into_iter() }));
    }
    let mut conjuncts = Vec::new();
    if let Some(w) = &core.where_ {
        crate::access::split_and(w, &mut conjuncts);
    }
    if let (Some(join), Some((leaves, ons))) = (&core.join, crate::join::leaves(&core.source)) {
        for on in ons {
            crate::access::split_and(on, &mut conjuncts);
        }
        let width = super::full_width(&core.source);
        return Ok(Some(Node::Planned(Box::new(Planned::open(ctx, &leaves, join, &conjuncts, width)?))));
    }
    match &core.source {
        Source::Table(t) => {
            // Comparisons the path answers exactly need no test.
            let implied = crate::access::implied(ctx, &t.table, &t.access, &conjuncts, (&[], None))?;
            let conds: Vec<BExpr> = conjuncts
                .iter()
                .enumerate()
                .filter(|(i, _)| *i >= 64 || implied & (1 << i) == 0)
                .map(|(_, c)| (*c).clone())
                .collect();
            match Node::leaf(ctx, &core.source, conds)? {
                node @ Node::Table { .. } => Ok(Some(node)),
                _ => Ok(None),
            }
        }
        Source::Join { .. } => {
            // Each conjunct is tested at the first join that has every slot
            // it reads (all of them, past a RIGHT or FULL join).
            let width = super::full_width(&core.source);
            let pushable = crate::access::pushable(&core.source);
            let conds: Vec<Cond> = conjuncts
                .iter()
                .map(|c| match super::column_span(c).filter(|_| pushable) {
                    Some((lo, hi)) => Cond { lo, hi: hi.max(1), e: (*c).clone() },
                    None => Cond { lo: 0, hi: width.max(1), e: (*c).clone() },
                })
                .collect();
            Ok(Some(Chain::open(ctx, &core.source, &conds)?))
        }
        // Every conjunct is tested on the subquery's (or CTE's) rows, or
        // on the one empty row of a SELECT without FROM.
        Source::Query(_) | Source::Recursive(_) | Source::Single => {
            Ok(Some(Node::leaf(ctx, &core.source, conjuncts.into_iter().cloned().collect())?))
        }
        _ => Ok(None),
    }
}

impl Live<'_> {
    /// The next row into `out` (false at the end), with the connection's
    /// interrupt flag lent to this thread while it is pulled.
    fn next_row_into(&mut self, out: &mut Vec<Value>) -> Result<bool> {
        let _lent = crate::interrupt::Lent::new(&mut self.interrupt);
        crate::interrupt::check()?;
        let ctx = Ctx::at_instant(self.reader.get(), &self.params, self.now_ms).with_session(self.session);
        // The outermost pipeline is shallow on the stack: only nested ones
        // (FROM subqueries) pay for the stack check, once per row each.
        self.pipe.next_into(&ctx.with_sets(&self.sets), out)
    }
}

impl Pipeline {
    /// Opens a [`streamable`] plan; `None` when one of its SELECTs is a
    /// one-table lookup of one rowid (better run to completion).
    pub(crate) fn open(ctx: &Ctx<'_>, plan: Arc<QueryPlan>) -> Result<Option<Pipeline>> {
        // Nested FROM subqueries open (and pull) one level inside another.
        crate::stack::grow(|| Self::open_here(ctx, plan))
    }

    fn open_here(ctx: &Ctx<'_>, plan: Arc<QueryPlan>) -> Result<Option<Pipeline>> {
        // Found before anything is evaluated or allocated.
        if (0..=plan.compound.len()).filter_map(|i| core_at(&plan, i)).any(point_lookup) {
            return Ok(None);
        }
        let mut sources = Vec::with_capacity(plan.compound.len() + 1);
        for i in 0..=plan.compound.len() {
            match core_at(&plan, i).map(|core| open_source(ctx, core)).transpose()?.flatten() {
                Some(node) => sources.push(node),
                None => return Ok(None),
            }
        }
        let limit = eval_limit(ctx, &plan.limit, "LIMIT")?.filter(|l| *l >= 0).map(|l| l as usize);
        let offset = eval_limit(ctx, &plan.offset, "OFFSET")?.unwrap_or(0).max(0) as usize;
        // A path's order is the result's only for rows, not groups.
        // Windows leave rows in their own order.
        let in_order =
            plan.first.ordered && plan.compound.is_empty() && !plan.first.aggregate && plan.first.windows.is_empty();
        let order = if plan.order_by.is_empty() || in_order {
            Order::Source
        } else {
            Order::Gather(plan.order_by.clone(), limit.map(|l| l.saturating_add(offset)))
        };
        let (seen, moved, groups, windowed) = arm_state(&plan.first);
        let deduped = plan.compound.iter().rposition(|(op, _)| *op != CompoundOp::UnionAll).map_or(0, |i| i + 2);
        let colls = if plan.compound.is_empty() { Vec::new() } else { crate::bind::compound_collations(&plan) };
        let union = (deduped, HashSet::new(), colls);
        let plain = matches!(order, Order::Source)
            && plan.compound.is_empty()
            && plan.first.having.is_none()
            && seen.is_none()
            && groups.is_none()
            && moved.is_some();
        let arms = Arms { plan, sources, arm: 0, seen, moved, groups, windowed, union, filters: None };
        Ok(Some(Pipeline { arms, order, skip: offset, left: limit, plain }))
    }

    /// The next result row.
    pub(crate) fn next(&mut self, ctx: &Ctx<'_>) -> Result<Option<Vec<Value>>> {
        crate::stack::grow(|| self.next_here(ctx))
    }

    /// The next result row into `out` (false at the end); a plain query's
    /// row is decoded over the previous one, reusing its allocations.
    fn next_into(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Value>) -> Result<bool> {
        if self.plain {
            return self.next_plain(ctx, out);
        }
        Ok(super::put_row(out, self.next_here(ctx)?))
    }

    /// The next row of a [`Pipeline::plain`] query into `out`, past OFFSET
    /// and within LIMIT.
    fn next_plain(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Value>) -> Result<bool> {
        if self.left == Some(0) {
            return Ok(false);
        }
        loop {
            if !self.arms.pull_plain(ctx, out)? {
                return Ok(false);
            }
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            if let Some(l) = self.left.as_mut() {
                *l -= 1;
            }
            return Ok(true);
        }
    }

    fn next_here(&mut self, ctx: &Ctx<'_>) -> Result<Option<Vec<Value>>> {
        if self.left == Some(0) {
            return Ok(None);
        }
        if self.plain {
            let mut row = Vec::new();
            return Ok(self.next_plain(ctx, &mut row)?.then_some(row));
        }
        loop {
            let out = match &mut self.order {
                Order::Source => {
                    let Some((row, _)) = self.arms.pull(ctx, false)? else { return Ok(None) };
                    if self.skip > 0 {
                        self.skip -= 1;
                        continue;
                    }
                    row
                }
                Order::Gather(keys, top) => {
                    let mut sorter = sort::Sorter::new(std::mem::take(keys), *top);
                    while let Some(entry) = self.arms.pull(ctx, true)? {
                        sorter.push(entry)?;
                    }
                    self.order = Order::Sorted(sorter.finish()?);
                    continue;
                }
                Order::Sorted(sorted) => {
                    let Some(row) = sorted.next()? else { return Ok(None) };
                    if self.skip > 0 {
                        self.skip -= 1;
                        continue;
                    }
                    row
                }
            };
            if let Some(l) = self.left.as_mut() {
                *l -= 1;
            }
            return Ok(Some(out));
        }
    }
}

impl Arms {
    /// The next row of a [`Pipeline::plain`] query into `out` (false at
    /// the end): its source's next row with the result columns moved out
    /// of it; the leading columns in order (`SELECT *`) stay in place, so
    /// `out`'s allocations are reused row after row.
    fn pull_plain(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Value>) -> Result<bool> {
        let (Some(source), Some(slots)) = (self.sources.first_mut(), &self.moved) else { return Ok(false) };
        if !source.next_into(ctx, out)? {
            return Ok(false);
        }
        // The leading columns come back as the row itself, cut short.
        *out = super::take_columns(out, slots);
        Ok(true)
    }

    /// The next result row of the SELECTs in turn, with its ORDER BY keys
    /// when `keyed` (over the source row, or the group's row and
    /// aggregates, for one SELECT; over the result row for a compound, as
    /// the complete run computes them).
    fn pull(&mut self, ctx: &Ctx<'_>, keyed: bool) -> Result<Option<(Vec<Value>, Vec<Value>)>> {
        if self.filters.is_none() {
            self.filters = Some(self.read_filters(ctx)?);
        }
        loop {
            let Some((out, mut keys)) = self.pull_arm(ctx, keyed)? else {
                // The right-hand SELECT of an INTERSECT or EXCEPT was read
                // into its filter: skip it.
                self.arm += 1;
                while self.tested(self.arm) {
                    self.arm += 1;
                }
                let Some(next) = core_at(&self.plan, self.arm) else { return Ok(None) };
                (self.seen, self.moved, self.groups, self.windowed) = arm_state(next);
                continue;
            };
            let (deduped, given, colls) = &mut self.union;
            if self.arm < *deduped {
                let key = super::row_key_coll(&out, colls);
                let filters = self.filters.as_deref().unwrap_or_default();
                let passes = filters.iter().filter(|f| self.arm < f.before).all(|f| f.keys.contains(&key) == f.keep);
                if !passes || !given.insert(key) {
                    continue;
                }
            }
            if keyed && self.plan.order_on_result {
                let env = Env { row: &out, aggs: &[], parent: None };
                keys = self.plan.order_by.iter().map(|k| eval(ctx, &k.expr, &env)).collect::<Result<_>>()?;
            }
            return Ok(Some((out, keys)));
        }
    }

    /// Whether SELECT `i` is the right-hand side of an INTERSECT or EXCEPT
    /// (read into a [`Filter`], giving no rows itself).
    fn tested(&self, i: usize) -> bool {
        i.checked_sub(1)
            .and_then(|j| self.plan.compound.get(j))
            .is_some_and(|(op, _)| matches!(op, CompoundOp::Intersect | CompoundOp::Except))
    }

    /// Reads the right-hand SELECT of each INTERSECT and EXCEPT into its
    /// filter, leaving the arms at the first SELECT.
    fn read_filters(&mut self, ctx: &Ctx<'_>) -> Result<Vec<Filter>> {
        let mut filters = Vec::new();
        for before in 1..=self.plan.compound.len() {
            if !self.tested(before) {
                continue;
            }
            let plan = Arc::clone(&self.plan);
            let (Some(core), Some((op, _))) = (core_at(&plan, before), plan.compound.get(before - 1)) else {
                continue;
            };
            let first = (self.arm, self.seen.take(), self.moved.take(), self.groups.take(), self.windowed.take());
            self.arm = before;
            (self.seen, self.moved, self.groups, self.windowed) = arm_state(core);
            let mut keys = HashSet::new();
            while let Some((row, _)) = self.pull_arm(ctx, false)? {
                keys.insert(super::row_key_coll(&row, &self.union.2));
            }
            (self.arm, self.seen, self.moved, self.groups, self.windowed) = first;
            filters.push(Filter { before, keep: *op == CompoundOp::Intersect, keys });
        }
        Ok(filters)
    }

    /// The next result row of the SELECT being read (its HAVING, result
    /// columns and DISTINCT applied), with its ORDER BY keys over the
    /// source when `keyed` and the query does not order on the result;
    /// `None` at the SELECT's end.
    fn pull_arm(&mut self, ctx: &Ctx<'_>, keyed: bool) -> Result<Option<(Vec<Value>, Vec<Value>)>> {
        let source_keyed = keyed && !self.plan.order_on_result;
        let order: &[SortKey] = if self.plan.order_on_result { &[] } else { &self.plan.order_by };
        loop {
            let (Some(core), Some(source)) = (core_at(&self.plan, self.arm), self.sources.get_mut(self.arm)) else {
                return Ok(None);
            };
            let (out, keys) = if let Some(w) = &mut self.windowed {
                // Window values need the rows of a partition first.
                let groups = &mut self.groups;
                let sort_keys = if source_keyed { order } else { &[] };
                match w.next(ctx, core, sort_keys, || pull_row(ctx, core, order, groups, source))? {
                    Some(pair) => pair,
                    None => return Ok(None),
                }
            } else {
                let Some((mut row, aggs)) = pull_row(ctx, core, order, &mut self.groups, source)? else {
                    return Ok(None);
                };
                let env = Env { row: &row, aggs: &aggs, parent: None };
                let mut keys = Vec::new();
                if source_keyed {
                    keys = order.iter().map(|k| eval(ctx, &k.expr, &env)).collect::<Result<_>>()?;
                }
                let out = match &self.moved {
                    Some(slots) => super::take_columns(&mut row, slots),
                    None => core.result.iter().map(|e| eval(ctx, e, &env)).collect::<Result<Vec<_>>>()?,
                };
                (out, keys)
            };
            if let Some((seen, colls)) = &mut self.seen
                && !seen.insert(super::row_key_coll(&out, colls))
            {
                continue;
            }
            return Ok(Some((out, keys)));
        }
    }
}

/// The next row of a SELECT (its source row, or its group's row, with the
/// aggregate values) that passes HAVING. `order` is the ORDER BY over the
/// source, which the row a group's bare columns read depends on.
fn pull_row(
    ctx: &Ctx<'_>,
    core: &CorePlan,
    order: &[SortKey],
    groups: &mut Option<Groups>,
    source: &mut Node,
) -> Result<Option<(Vec<Value>, Vec<Value>)>> {
    loop {
        let pulled = match groups {
            Some(groups) => groups.next(ctx, (core, order), source)?,
            None => source.next(ctx)?.map(|row| (row, Vec::new())),
        };
        let Some((row, aggs)) = pulled else { return Ok(None) };
        if let Some(h) = &core.having {
            let env = Env { row: &row, aggs: &aggs, parent: None };
            if crate::value::is_true(&eval(ctx, h, &env)?) != Some(true) {
                continue;
            }
        }
        return Ok(Some((row, aggs)));
    }
}

/// The groups of a streamed GROUP BY, one at a time: source rows in group
/// order (as the source gives them when it gives that order, else through
/// the external sort by the GROUP BY terms, stable as the complete run's
/// sort), cut where the terms' values change under their collations, and
/// folded into accumulators as they come ([`agg::GroupAcc`]; a group with
/// a JSON aggregate gathers its rows instead). Without GROUP BY, every row
/// is one group, which exists even when no row does.
struct Groups {
    /// The GROUP BY terms as sort keys (ascending, NULLs first, each
    /// term's collation: the order groups form in).
    keys: Vec<SortKey>,
    /// Whether the source already gives rows in group order.
    in_order: bool,
    /// No GROUP BY: one group of every row.
    whole: bool,
    /// Whether the aggregates fold row by row.
    fold: bool,
    /// The sorted rows with their group keys, once sorted.
    sorted: Option<sort::Sorted>,
    /// The first row of the next group, read ahead.
    pending: Option<sort::Entry>,
    /// Whether the last group was given.
    done: bool,
}

impl Groups {
    fn new(core: &CorePlan) -> Groups {
        let keys = core
            .group_by
            .iter()
            .map(|g| SortKey { expr: g.clone(), desc: false, nulls_first: true, coll: crate::bind::expr_collation(g) })
            .collect();
        let whole = core.group_by.is_empty();
        Groups {
            keys,
            in_order: core.grouped || whole,
            whole,
            fold: agg::foldable(core),
            sorted: None,
            pending: None,
            done: false,
        }
    }

    /// The next source row in group order, with its group key.
    fn next_row(&mut self, ctx: &Ctx<'_>, source: &mut Node) -> Result<Option<sort::Entry>> {
        let key = |ctx: &Ctx<'_>, row: &[Value], keys: &[SortKey]| -> Result<Vec<Value>> {
            let env = Env { row, aggs: &[], parent: None };
            keys.iter().map(|k| eval(ctx, &k.expr, &env)).collect()
        };
        if self.in_order {
            return match source.next(ctx)? {
                Some(row) => {
                    let k = key(ctx, &row, &self.keys)?;
                    Ok(Some((row, k)))
                }
                None => Ok(None),
            };
        }
        if self.sorted.is_none() {
            let mut sorter = sort::Sorter::new(self.keys.clone(), None);
            while let Some(row) = source.next(ctx)? {
                let k = key(ctx, &row, &self.keys)?;
                sorter.push((row, k))?;
            }
            self.sorted = Some(sorter.finish()?);
        }
        match self.sorted.as_mut() {
            Some(s) => s.next_entry(),
            None => Ok(None),
        }
    }

    /// The next row of the current group, if the next row is in it.
    fn same_group(&mut self, ctx: &Ctx<'_>, source: &mut Node, key: &[Value]) -> Result<Option<Vec<Value>>> {
        match self.next_row(ctx, source)? {
            Some((row, k)) if super::compare_keys(key, &k, &self.keys) == std::cmp::Ordering::Equal => Ok(Some(row)),
            Some(other) => {
                self.pending = Some(other);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// The next group's row (the one bare columns read, as the complete
    /// run picks it) and aggregate values. `order` is the ORDER BY
    /// evaluated over the group's row, which the choice of that row
    /// depends on.
    fn next(
        &mut self,
        ctx: &Ctx<'_>,
        (core, order): (&CorePlan, &[SortKey]),
        source: &mut Node,
    ) -> Result<Option<(Vec<Value>, Vec<Value>)>> {
        if self.done {
            return Ok(None);
        }
        let first = match self.pending.take() {
            Some(e) => Some(e),
            None => self.next_row(ctx, source)?,
        };
        self.done = self.whole;
        let Some((row, key)) = first else {
            self.done = true;
            if !self.whole {
                return Ok(None);
            }
            // No GROUP BY and no row: one group of none, over a row of NULLs.
            let (aggs, _) = agg::GroupAcc::new(core, order).finish(&core.aggs)?;
            return Ok(Some((vec![Value::Null; super::source_width(&core.source, &[])], aggs)));
        };
        if self.fold {
            let mut acc = agg::GroupAcc::new(core, order);
            acc.add(ctx, &core.aggs, row)?;
            while let Some(row) = self.same_group(ctx, source, &key)? {
                acc.add(ctx, &core.aggs, row)?;
            }
            let (aggs, rep) = acc.finish(&core.aggs)?;
            let rep = rep.unwrap_or_else(|| vec![Value::Null; super::source_width(&core.source, &[])]);
            return Ok(Some((rep, aggs)));
        }
        let mut group = vec![row];
        while let Some(row) = self.same_group(ctx, source, &key)? {
            group.push(row);
        }
        let refs: Vec<&Vec<Value>> = group.iter().collect();
        let aggs = super::compute_aggs(ctx, &core.aggs, &refs, None)?;
        let rep = super::representative(ctx, core, order, &refs, None)?.cloned();
        Ok(Some((rep.unwrap_or_else(|| group.swap_remove(0)), aggs)))
    }
}

impl RowStream<'_> {
    /// The next row into `out`, over the row it held: `Ok(false)` at the
    /// end (and after an error). A plain query's values are decoded where
    /// the previous row's were, reusing their allocations, so reading a
    /// result this way allocates nothing per row once `out` has grown,
    /// where the iterator hands each row out in new allocations.
    pub fn next_into(&mut self, out: &mut Vec<Value>) -> Result<bool> {
        let r = match &mut self.rows {
            Rows::Ready(it) => return Ok(super::put_row(out, it.next())),
            Rows::Live(live) => live.next_row_into(out),
            Rows::Done => return Ok(false),
        };
        if !matches!(r, Ok(true)) {
            self.rows = Rows::Done;
        }
        r
    }
}

impl Iterator for RowStream<'_> {
    type Item = Result<Vec<Value>>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut row = Vec::new();
        match self.next_into(&mut row) {
            Ok(true) => Some(Ok(row)),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
