//! The source rows of a streamed query, pulled one at a time: [`Node`].
//!
//! A node gives the rows of a query's FROM clause that pass its WHERE
//! clause, in exactly the order (and with exactly the tests) the complete
//! run gives them:
//!
//! - one table read off its path's key range ([`PathCursor`]), a FROM
//!   subquery that streams, through its own `stream::Pipeline`, or a
//!   recursive CTE, each row computed as it is pulled;
//! - an inner join in the order [`crate::join`] planned, read depth first:
//!   the first source off its cursor one row at a time, each later source
//!   looked up for the row so far (an index lookup), or found in rows read
//!   once when the join opened (a hash table or a nested loop over a
//!   source that no lookup serves). Depth first gives the same order as
//!   the complete run's source-by-source loop, which keeps each row so
//!   far's matches together in the order they are found;
//! - a left-deep chain of joins of any kind (the FROM-order run of
//!   `exec`), with the NULL-extended row of an unmatched left row (LEFT,
//!   FULL) and, once the left side is done, of each right row no left row
//!   matched (RIGHT, FULL: the right side is read once and a flag per row
//!   kept).
//!
//! Memory held between rows: the matches of one row so far per source,
//! plus the sources that are read once (a hash join's build side, a source
//! no path or lookup reads row by row).

use crate::access::{Access, PathCursor};
use crate::error::Result;
use crate::exec::recursive::Recursion;
use crate::exec::{Ctx, Env, eval, source_rows};
use crate::join::{HashKey, JoinPlan};
use crate::plan::{BExpr, RecursivePlan, Source};
use crate::schema::Table;
use crate::value::{self, Value};
use std::collections::HashMap;

/// Source rows given one at a time (see the module docs).
pub(crate) enum Node {
    /// A table read through its path's cursor; `conds` are the WHERE
    /// conjuncts still to test.
    Table { table: std::sync::Arc<Table>, access: Box<Access>, cursor: Box<PathCursor>, conds: Vec<BExpr> },
    /// A FROM subquery's rows as it gives them, with the conjuncts to test.
    Query { pipe: Box<super::Pipeline>, conds: Vec<BExpr> },
    /// A recursive CTE's rows as it computes them, with the conjuncts to
    /// test.
    Recursive { plan: Box<RecursivePlan>, rec: Box<Recursion>, conds: Vec<BExpr> },
    /// The rows of a VALUES clause, each evaluated as it is pulled.
    Values { rows: std::vec::IntoIter<Vec<BExpr>> },
    /// Rows read ahead (a source no cursor reads), with the conjuncts to test.
    Rows { rows: std::vec::IntoIter<Vec<Value>>, conds: Vec<BExpr> },
    /// An inner join in its planned order.
    Planned(Box<Planned>),
    /// A left-deep chain of inner and LEFT joins in FROM order.
    Chain(Box<Chain>),
}

/// The enclosing row a recursive CTE's SELECTs see, as in the complete
/// run (`exec::source_rows`): an empty one, since a streamed query is not
/// correlated.
const CTE_PARENT: Env<'static> = Env { row: &[], aggs: &[], parent: None };

/// Whether every expression in `conds` is true for `row`, tested in order.
fn all_true(ctx: &Ctx<'_>, conds: &[BExpr], row: &[Value]) -> Result<bool> {
    let env = Env { row, aggs: &[], parent: None };
    for c in conds {
        if value::is_true(&eval(ctx, c, &env)?) != Some(true) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `row` with `part` written over its slots from `off` on.
fn place(row: &mut [Value], off: usize, part: &[Value]) {
    if let Some(slots) = row.get_mut(off..off.saturating_add(part.len())) {
        slots.clone_from_slice(part);
    }
}

impl Node {
    /// The node of a source that is not a join: a table off its cursor, a
    /// subquery or CTE that streams, VALUES, else its rows read now.
    pub(crate) fn leaf(ctx: &Ctx<'_>, src: &Source, conds: Vec<BExpr>) -> Result<Node> {
        if let Source::Table(t) = src {
            let cursor = PathCursor::open(ctx, &t.table, &t.access, (&[], None))?;
            return Ok(Node::Table {
                table: t.table.clone(),
                access: Box::new(t.access.clone()),
                cursor: Box::new(cursor),
                conds,
            });
        }
        if let Source::Query(q) = src
            && super::streamable(q)
            && let Some(pipe) = super::Pipeline::open(ctx, std::sync::Arc::new((**q).clone()))?
        {
            return Ok(Node::Query { pipe: Box::new(pipe), conds });
        }
        if let Source::Recursive(plan) = src {
            let rec = Recursion::open(ctx, plan, Some(&CTE_PARENT))?;
            return Ok(Node::Recursive { plan: plan.clone(), rec: Box::new(rec), conds });
        }
        Ok(Node::Rows { rows: source_rows(ctx, src, None, &[])?.into_iter(), conds })
    }

    /// [`Node::next`] into `out` (false at the end): a table's row is
    /// decoded over the previous one, reusing its allocations.
    pub(crate) fn next_into(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Value>) -> Result<bool> {
        if let Node::Table { table, access, cursor, conds } = self {
            while cursor.next_into(ctx.rd, table, access, out)? {
                if all_true(ctx, conds, out)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        Ok(crate::exec::put_row(out, self.next(ctx)?))
    }

    /// The next source row that passes WHERE, or `None` at the end.
    pub(crate) fn next(&mut self, ctx: &Ctx<'_>) -> Result<Option<Vec<Value>>> {
        match self {
            Node::Table { table, access, cursor, conds } => {
                while let Some(row) = cursor.next(ctx.rd, table, access)? {
                    if all_true(ctx, conds, &row)? {
                        return Ok(Some(row));
                    }
                }
                Ok(None)
            }
            Node::Query { pipe, conds } => {
                while let Some(row) = pipe.next(ctx)? {
                    if all_true(ctx, conds, &row)? {
                        return Ok(Some(row));
                    }
                }
                Ok(None)
            }
            Node::Recursive { plan, rec, conds } => {
                while let Some(row) = rec.next(ctx, plan, Some(&CTE_PARENT))? {
                    if all_true(ctx, conds, &row)? {
                        return Ok(Some(row));
                    }
                }
                Ok(None)
            }
            Node::Values { rows } => match rows.next() {
                Some(exprs) => {
                    let env = Env { row: &[], aggs: &[], parent: None };
                    Ok(Some(exprs.iter().map(|e| eval(ctx, e, &env)).collect::<Result<Vec<_>>>()?))
                }
                None => Ok(None),
            },
            Node::Rows { rows, conds } => {
                for row in rows.by_ref() {
                    if all_true(ctx, conds, &row)? {
                        return Ok(Some(row));
                    }
                }
                Ok(None)
            }
            Node::Planned(p) => p.next(ctx),
            Node::Chain(c) => c.next(ctx),
        }
    }
}

/// An inner join read depth first in its planned order.
pub(crate) struct Planned {
    width: usize,
    steps: Vec<Step>,
    /// The levels under way: level `k` holds the row before step `k` and
    /// where step `k`'s candidates for it stand.
    levels: Vec<Level>,
    started: bool,
}

/// One source of a planned join.
struct Step {
    /// Its first slot in the join's row.
    off: usize,
    /// The conjuncts tested once it is placed (as [`crate::join::run`]
    /// picks them).
    now: Vec<BExpr>,
    how: How,
}

/// How a step finds its candidates.
enum How {
    /// The first step, off its path's cursor: each row is tested with the
    /// conjuncts that read it alone (`own`, on a row of the join's width
    /// holding only it), then matched against the hash key of the empty
    /// row so far when the step has one.
    Cursor {
        table: std::sync::Arc<Table>,
        access: Box<Access>,
        cursor: Box<PathCursor>,
        own: Vec<BExpr>,
        hash: Option<(Vec<HashKey>, Option<Vec<u8>>)>,
        scratch: Vec<Value>,
    },
    /// Looked up for each row so far.
    Lookup { table: std::sync::Arc<Table>, access: Box<Access> },
    /// Rows read once (already tested with `own`), found through a hash
    /// table keyed by the build side when the step has hash keys, else
    /// each paired with every row so far.
    Once { rows: Vec<Vec<Value>>, hash: Option<(Vec<HashKey>, HashTable)> },
}

/// Positions in a step's rows by hash key.
type HashTable = HashMap<Vec<u8>, Vec<usize>>;

struct Level {
    base: Vec<Value>,
    cands: Cands,
}

enum Cands {
    /// Pulled off the step's cursor.
    Cursor,
    /// The rows a lookup found.
    List(std::vec::IntoIter<Vec<Value>>),
    /// Every row read once, from this position.
    All(usize),
    /// Some rows read once (a hash table's entry), from this position.
    Some(Vec<usize>, usize),
}

impl Planned {
    /// Opens `plan` over `leaves` (FROM order, with slot offsets) with the
    /// join's WHERE and ON conjuncts, reading the sources that are read
    /// once now, as [`crate::join::run`] reads them.
    pub(crate) fn open(
        ctx: &Ctx<'_>,
        leaves: &[(usize, &Source)],
        plan: &JoinPlan,
        conjuncts: &[&BExpr],
        width: usize,
    ) -> Result<Planned> {
        let n = leaves.len();
        let reads = crate::join::conjunct_leaves(leaves, conjuncts);
        let mut bound = vec![false; n];
        let mut steps = Vec::with_capacity(plan.steps.len());
        for (k, step) in plan.steps.iter().enumerate() {
            let i = step.leaf;
            let Some(&(off, src)) = leaves.get(i) else { continue };
            if let Some(b) = bound.get_mut(i) {
                *b = true;
            }
            let lookup = matches!(src, Source::Table(_)) && step.access.reads_left();
            let now: Vec<BExpr> = conjuncts
                .iter()
                .zip(&reads)
                .filter(|(_, r)| {
                    (r.is_empty() && k == 0)
                        || (r.contains(&i) && r.iter().all(|&j| bound.get(j) == Some(&true)) && (lookup || r.len() > 1))
                })
                .map(|(c, _)| (*c).clone())
                .collect();
            let own: Vec<BExpr> = conjuncts
                .iter()
                .zip(&reads)
                .filter(|(_, r)| r.len() == 1 && r.first() == Some(&i))
                .map(|(c, _)| (*c).clone())
                .collect();
            let how = match src {
                Source::Table(t) if lookup => {
                    How::Lookup { table: t.table.clone(), access: Box::new(step.access.clone()) }
                }
                Source::Table(t) if k == 0 => {
                    let cursor = PathCursor::open(ctx, &t.table, &step.access, (&[], None))?;
                    let nulls = vec![Value::Null; width];
                    let hash = if step.hash.is_empty() {
                        None
                    } else {
                        let probe = crate::join::hash_key(ctx, &step.hash, |h| &h.probe, &nulls, None)?;
                        Some((step.hash.clone(), probe))
                    };
                    How::Cursor {
                        table: t.table.clone(),
                        access: Box::new(step.access.clone()),
                        cursor: Box::new(cursor),
                        own,
                        hash,
                        scratch: nulls,
                    }
                }
                _ => once(ctx, src, &step.access, &own, &step.hash, (off, width))?,
            };
            steps.push(Step { off, now, how });
        }
        Ok(Planned { width, steps, levels: Vec::new(), started: false })
    }

    fn next(&mut self, ctx: &Ctx<'_>) -> Result<Option<Vec<Value>>> {
        if !self.started {
            self.started = true;
            let base = vec![Value::Null; self.width];
            if let Some(cands) = self.candidates(ctx, 0, &base)? {
                self.levels.push(Level { base, cands });
            }
        }
        loop {
            let Some(k) = self.levels.len().checked_sub(1) else { return Ok(None) };
            let Some(part) = self.pull(ctx, k)? else {
                self.levels.pop();
                continue;
            };
            let (Some(step), Some(level)) = (self.steps.get(k), self.levels.get(k)) else { return Ok(None) };
            let mut row = level.base.clone();
            place(&mut row, step.off, &part);
            if !all_true(ctx, &step.now, &row)? {
                continue;
            }
            if k + 1 >= self.steps.len() {
                return Ok(Some(row));
            }
            if let Some(cands) = self.candidates(ctx, k + 1, &row)? {
                self.levels.push(Level { base: row, cands });
            }
        }
    }

    /// Where step `k`'s candidates for the row so far `base` start.
    fn candidates(&self, ctx: &Ctx<'_>, k: usize, base: &[Value]) -> Result<Option<Cands>> {
        let Some(step) = self.steps.get(k) else { return Ok(None) };
        Ok(Some(match &step.how {
            How::Cursor { .. } => Cands::Cursor,
            How::Lookup { table, access } => {
                Cands::List(crate::access::rows_after(ctx, table, access, base, None)?.into_iter())
            }
            How::Once { hash: None, .. } => Cands::All(0),
            How::Once { hash: Some((keys, table)), .. } => {
                match crate::join::hash_key(ctx, keys, |h| &h.probe, base, None)? {
                    Some(key) => Cands::Some(table.get(&key).cloned().unwrap_or_default(), 0),
                    None => Cands::Some(Vec::new(), 0),
                }
            }
        }))
    }

    /// Step `k`'s next candidate row (its own slots only).
    fn pull(&mut self, ctx: &Ctx<'_>, k: usize) -> Result<Option<Vec<Value>>> {
        let (Some(step), Some(level)) = (self.steps.get_mut(k), self.levels.get_mut(k)) else { return Ok(None) };
        match (&mut level.cands, &mut step.how) {
            (Cands::Cursor, How::Cursor { table, access, cursor, own, hash, scratch }) => {
                while let Some(part) = cursor.next(ctx.rd, table, access)? {
                    place(scratch, step.off, &part);
                    if !all_true(ctx, own, scratch)? {
                        continue;
                    }
                    if let Some((keys, probe)) = hash {
                        let build = crate::join::hash_key(ctx, keys, |h| &h.build, scratch, None)?;
                        if build.is_none() || build != *probe {
                            continue;
                        }
                    }
                    return Ok(Some(part));
                }
                Ok(None)
            }
            (Cands::List(it), _) => Ok(it.next()),
            (Cands::All(pos), How::Once { rows, .. }) => {
                let r = rows.get(*pos).cloned();
                *pos += 1;
                Ok(r)
            }
            (Cands::Some(xs, pos), How::Once { rows, .. }) => {
                let r = xs.get(*pos).and_then(|&x| rows.get(x)).cloned();
                *pos += 1;
                Ok(r)
            }
            _ => Ok(None),
        }
    }
}

/// A step whose source is read once: its rows that pass `own`, and the
/// hash table of their build keys when the step has hash keys.
fn once(
    ctx: &Ctx<'_>,
    src: &Source,
    access: &Access,
    own: &[BExpr],
    hash: &[HashKey],
    (off, width): (usize, usize),
) -> Result<How> {
    let leaf_rows = match src {
        Source::Table(t) => crate::access::rows(ctx, &t.table, access, None)?,
        other => source_rows(ctx, other, None, &[])?,
    };
    let mut buf = vec![Value::Null; width];
    let mut rows = Vec::new();
    for lr in leaf_rows {
        place(&mut buf, off, &lr);
        if all_true(ctx, own, &buf)? {
            rows.push(lr);
        }
    }
    if hash.is_empty() {
        return Ok(How::Once { rows, hash: None });
    }
    let mut table: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    for (x, lr) in rows.iter().enumerate() {
        place(&mut buf, off, lr);
        if let Some(key) = crate::join::hash_key(ctx, hash, |h| &h.build, &buf, None)? {
            table.entry(key).or_default().push(x);
        }
    }
    Ok(How::Once { rows, hash: Some((hash.to_vec(), table)) })
}

/// A WHERE conjunct with the row width it needs (see `exec::Filter`).
#[derive(Clone)]
pub(crate) struct Cond {
    /// Lowest slot it reads.
    pub lo: usize,
    /// One more than the highest slot it reads.
    pub hi: usize,
    /// The conjunct.
    pub e: BExpr,
}

/// One join of a left-deep chain, in FROM order.
pub(crate) struct Chain {
    left: Node,
    right: Right,
    /// LEFT or FULL: a left row no right row matches comes NULL-extended.
    left_join: bool,
    /// RIGHT or FULL: the right rows no left row matched come last,
    /// NULL-extended on the left. Which rows matched (of rows read once),
    /// and where the walk through them stands once the left side is done.
    right_join: Option<(Vec<bool>, usize)>,
    on: Option<BExpr>,
    /// The conjuncts that need this join's right side.
    level: Vec<BExpr>,
    left_width: usize,
    right_width: usize,
    cur: Option<Current>,
    /// The left side gave its last row (it is not pulled again).
    left_done: bool,
}

/// The right side of a chained join.
enum Right {
    /// A table looked up for each left row.
    Lookup { table: std::sync::Arc<Table>, access: Box<Access> },
    /// `json_each` / `json_tree` over each left row.
    Json { tree: bool, blob: bool, args: Vec<BExpr> },
    /// Rows read once.
    Once(Vec<Vec<Value>>),
}

/// The left row being joined and where its candidates stand.
struct Current {
    left: Vec<Value>,
    cands: Cands,
    matched: bool,
}

/// Whether `src` is a chain of joins [`Chain`] reads: joins down its left
/// side, where a RIGHT or FULL join's right side is read once (not looked
/// up per left row), as the complete run requires to find the right rows
/// nothing matched.
pub(crate) fn chain_streams(src: &Source) -> bool {
    match src {
        Source::Join { left, kind, right, .. } => {
            let outer_right = matches!(kind, crate::ast::JoinKind::Right | crate::ast::JoinKind::Full);
            !(outer_right && reads_per_left(right)) && chain_streams(left)
        }
        _ => true,
    }
}

/// Whether a join's right side gives rows per left row (a table-valued
/// function, or a table looked up by the left row's values).
fn reads_per_left(right: &Source) -> bool {
    match right {
        Source::JsonEach { .. } => true,
        Source::Table(t) => t.access.reads_left(),
        _ => false,
    }
}

impl Chain {
    /// Opens the join `src` (see [`chain_streams`]) with the WHERE
    /// conjuncts `conds`, each tested at the first join whose rows hold
    /// every slot it reads, as `exec::source_rows` tests them.
    pub(crate) fn open(ctx: &Ctx<'_>, src: &Source, conds: &[Cond]) -> Result<Node> {
        let Source::Join { left, right, kind, on, left_width, right_width } = src else {
            return Node::leaf(ctx, src, Vec::new());
        };
        let (lw, total) = (*left_width, left_width + right_width);
        let left_node = match &**left {
            Source::Join { .. } => Chain::open(ctx, left, conds)?,
            leaf => {
                let mine = conds.iter().filter(|c| c.hi > 0 && c.hi <= lw).map(|c| c.e.clone()).collect();
                Node::leaf(ctx, leaf, mine)?
            }
        };
        let inner = matches!(kind, crate::ast::JoinKind::Inner | crate::ast::JoinKind::Cross);
        let right = match &**right {
            Source::JsonEach { tree, blob, args } => Right::Json { tree: *tree, blob: *blob, args: args.clone() },
            Source::Table(t) if t.access.reads_left() => {
                Right::Lookup { table: t.table.clone(), access: Box::new(t.access.clone()) }
            }
            other => {
                let mut rows = source_rows(ctx, other, None, &[])?;
                let right_only: Vec<BExpr> =
                    conds.iter().filter(|c| c.lo >= lw && c.hi > lw && c.hi <= total).map(|c| c.e.clone()).collect();
                if inner && !right_only.is_empty() {
                    let mut kept = Vec::with_capacity(rows.len());
                    let mut padded = vec![Value::Null; lw];
                    for r in rows {
                        padded.truncate(lw);
                        padded.extend_from_slice(&r);
                        if all_true(ctx, &right_only, &padded)? {
                            kept.push(r);
                        }
                    }
                    rows = kept;
                }
                Right::Once(rows)
            }
        };
        let level = conds.iter().filter(|c| c.hi > lw && c.hi <= total).map(|c| c.e.clone()).collect();
        let right_join = match (&right, kind) {
            (Right::Once(rows), crate::ast::JoinKind::Right | crate::ast::JoinKind::Full) => {
                Some((vec![false; rows.len()], 0))
            }
            _ => None,
        };
        Ok(Node::Chain(Box::new(Chain {
            left: left_node,
            right,
            left_join: matches!(kind, crate::ast::JoinKind::Left | crate::ast::JoinKind::Full),
            right_join,
            on: on.clone(),
            level,
            left_width: lw,
            right_width: *right_width,
            cur: None,
            left_done: false,
        })))
    }

    fn next(&mut self, ctx: &Ctx<'_>) -> Result<Option<Vec<Value>>> {
        loop {
            let cur = match &mut self.cur {
                Some(cur) => cur,
                None => {
                    if self.left_done {
                        return self.unmatched_right(ctx);
                    }
                    let Some(left) = self.left.next(ctx)? else {
                        self.left_done = true;
                        return self.unmatched_right(ctx);
                    };
                    let cands = match &self.right {
                        Right::Lookup { table, access } => {
                            Cands::List(crate::access::rows_after(ctx, table, access, &left, None)?.into_iter())
                        }
                        Right::Json { tree, blob, args } => Cands::List(
                            crate::exec::json_each_rows(ctx, (*tree, *blob), args, &left, None)?.into_iter(),
                        ),
                        Right::Once(_) => Cands::All(0),
                    };
                    self.cur.insert(Current { left, cands, matched: false })
                }
            };
            // Which row read once this candidate is, for RIGHT and FULL.
            let mut once_at = None;
            let part = match (&mut cur.cands, &self.right) {
                (Cands::List(it), _) => it.next(),
                (Cands::All(pos), Right::Once(rows)) => {
                    let r = rows.get(*pos).cloned();
                    once_at = Some(*pos);
                    *pos += 1;
                    r
                }
                _ => None,
            };
            match part {
                Some(part) => {
                    let mut row = Vec::with_capacity(cur.left.len() + part.len());
                    row.extend_from_slice(&cur.left);
                    row.extend(part);
                    if let Some(c) = &self.on {
                        let env = Env { row: &row, aggs: &[], parent: None };
                        if value::is_true(&eval(ctx, c, &env)?) != Some(true) {
                            continue;
                        }
                    }
                    cur.matched = true;
                    if let (Some((matched, _)), Some(i)) = (&mut self.right_join, once_at)
                        && let Some(m) = matched.get_mut(i)
                    {
                        *m = true;
                    }
                    if all_true(ctx, &self.level, &row)? {
                        return Ok(Some(row));
                    }
                }
                None => {
                    let Some(done) = self.cur.take() else { continue };
                    if self.left_join && !done.matched {
                        let mut row = done.left;
                        row.resize(row.len() + self.right_width, Value::Null);
                        if all_true(ctx, &self.level, &row)? {
                            return Ok(Some(row));
                        }
                    }
                }
            }
        }
    }

    /// After the last left row: the next right row of a RIGHT or FULL join
    /// that no left row matched, NULL-extended on the left.
    fn unmatched_right(&mut self, ctx: &Ctx<'_>) -> Result<Option<Vec<Value>>> {
        let (Some((matched, at)), Right::Once(rows)) = (&mut self.right_join, &self.right) else {
            return Ok(None);
        };
        while let Some(r) = rows.get(*at) {
            let was = matched.get(*at).copied().unwrap_or(true);
            *at += 1;
            if was {
                continue;
            }
            let mut row = vec![Value::Null; self.left_width];
            row.extend_from_slice(r);
            if all_true(ctx, &self.level, &row)? {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}
