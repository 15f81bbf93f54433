//! Inner joins of two or more sources: the order they are read in, chosen
//! by cost when the query is bound, and the executor of that order (a
//! streamed query reads the same order row by row:
//! [`crate::exec::stream`]).
//!
//! Each source in turn is joined onto the rows of those before it, in one
//! of three ways:
//!
//! - **lookup**: its access path reads the columns of the sources before
//!   it (`o.user_id = u.id` with an index on `o.user_id`), so its rows are
//!   found again for each row so far: a nested loop driven by an index;
//! - **hash**: no index serves an equality with the sources before it, so
//!   its rows are read once into a hash table keyed by the equality's
//!   operands (converted and folded as the comparison would, so equal keys
//!   are exactly the pairs that compare equal) and each row so far probes it;
//! - **nested loop**: no equality links it; its rows are read once and
//!   paired with every row so far.
//!
//! Costs use `ANALYZE` statistics when they exist and SQLite's default
//! guesses when they do not (a table of about a million rows, ten rows per
//! equality on a non-unique index). Up to [`EXHAUSTIVE`] sources every
//! order is costed (dynamic programming over subsets); beyond that the
//! cheapest next source is taken greedily.
//!
//! Invariant: a join plan never changes a result. Every WHERE and ON
//! conjunct is still checked on every row, as soon as the sources it reads
//! are present; lookups and hash tables only narrow the candidates. Rows
//! keep the FROM clause's layout; only their order differs, which SQL
//! leaves unspecified. Outer joins keep their FROM order and are not
//! planned here.

use crate::access::{Access, split_and};
use crate::ast::BinaryOp;
use crate::error::Result;
use crate::exec::{Ctx, Env, eval, passes, row_key_coll};
use crate::plan::{BExpr, Source};
use crate::schema::Schema;
use crate::value::{Affinity, Collation, Value, comparison_affinity, comparison_operand};
use std::collections::HashMap;

/// Sources up to which every join order is costed.
pub const EXHAUSTIVE: usize = 8;
/// Rows assumed for a table without statistics (SQLite's guess).
const DEFAULT_ROWS: u64 = 1 << 20;
/// Relative cost of one lookup in a B+tree, in rows read.
const SEEK: f64 = 8.0;

/// The order an inner join reads its sources in.
#[derive(Debug, Clone)]
pub struct JoinPlan {
    /// One step per source, in reading order.
    pub steps: Vec<JoinStep>,
}

/// How one source is joined onto the rows of the sources before it.
#[derive(Debug, Clone)]
pub struct JoinStep {
    /// The source: its position among the join's leaves in FROM order.
    pub leaf: usize,
    /// For a table, its access path (it may read the sources before it).
    pub access: Access,
    /// Equalities with the sources before it that key a hash table of its
    /// rows (empty: no hash table).
    pub hash: Vec<HashKey>,
}

/// One equality `probe = build` of a hash join.
#[derive(Debug, Clone)]
pub struct HashKey {
    /// The operand over the sources before.
    pub probe: BExpr,
    /// The operand over the source being joined.
    pub build: BExpr,
    /// The comparison's affinity.
    pub aff: Option<Affinity>,
    /// The comparison's collation.
    pub coll: Collation,
}

/// The leaves of an inner join (slot offset and source) and its ON
/// conditions.
pub(crate) type Leaves<'s> = (Vec<(usize, &'s Source)>, Vec<&'s BExpr>);

/// The leaves of an inner-join tree with their slot offsets, in FROM
/// order, and the ON conditions; `None` when the tree has an outer join or
/// a table-valued function (which reads the sources to its left).
pub(crate) fn leaves(source: &Source) -> Option<Leaves<'_>> {
    let (mut leaves, mut ons) = (Vec::new(), Vec::new());
    crate::exec::inner_join_leaves(source, 0, &mut leaves, &mut ons).then_some((leaves, ons))
}

/// The join order of `source` when it is an inner join of two or more
/// sources that WHERE may narrow.
pub(crate) fn plan(schema: &Schema, source: &Source, where_: Option<&BExpr>) -> Option<JoinPlan> {
    let (leaves, ons) = leaves(source)?;
    let n = leaves.len();
    if n < 2 || !crate::access::pushable(source) {
        return None;
    }
    let mut conjuncts = Vec::new();
    if let Some(w) = where_ {
        split_and(w, &mut conjuncts);
    }
    for on in ons {
        split_and(on, &mut conjuncts);
    }
    let width = leaves.last().map_or(0, |&(off, src)| off + crate::exec::full_width(src));
    let mut owner = vec![usize::MAX; width];
    for (i, &(off, src)) in leaves.iter().enumerate() {
        owner.iter_mut().skip(off).take(crate::exec::full_width(src)).for_each(|o| *o = i);
    }
    // The conjuncts that can serve each leaf: those reading it (and those
    // whose columns are not known).
    let relevant: Vec<Vec<&BExpr>> = (0..n)
        .map(|i| {
            conjuncts
                .iter()
                .filter(|c| {
                    crate::exec::columns_read(c).is_none_or(|cols| cols.iter().any(|&s| owner.get(s) == Some(&i)))
                })
                .copied()
                .collect()
        })
        .collect();
    let planner = Planner { schema, leaves: &leaves, relevant, owner };
    let steps = if n <= EXHAUSTIVE { planner.exhaustive() } else { planner.greedy() };
    Some(JoinPlan { steps })
}

struct Planner<'a> {
    schema: &'a Schema,
    leaves: &'a [(usize, &'a Source)],
    /// Per leaf, the conjuncts that may serve it.
    relevant: Vec<Vec<&'a BExpr>>,
    /// The leaf each slot belongs to.
    owner: Vec<usize>,
}

/// A step and what it costs after `rows` rows so far.
struct Costed {
    step: JoinStep,
    /// Work for the step, in rows read.
    cost: f64,
    /// Rows per row so far.
    fanout: f64,
}

impl Planner<'_> {
    fn range(&self, i: usize) -> (usize, usize) {
        let (off, src) = self.leaves[i];
        (off, off + crate::exec::full_width(src))
    }

    /// Leaf `i` joined onto the leaves `bound` marks, after `rows` rows.
    fn step(&self, i: usize, bound: &[bool], rows: f64) -> Costed {
        let readable = |slot: usize| self.owner.get(slot).is_some_and(|&j| bound.get(j).copied().unwrap_or(false));
        let (off, end) = self.range(i);
        let mine = |slot: usize| (off..end).contains(&slot);
        let (access, size, stats) = match self.leaves[i].1 {
            Source::Table(t) => {
                let a = crate::access::choose_in(self.schema, &t.table, &self.relevant[i], off, &readable);
                let stats = match &a {
                    Access::Index { index, .. } => {
                        self.schema.stats.indexes.get(&crate::schema::lower(&index.name)).cloned()
                    }
                    _ => None,
                };
                (a, self.table_rows(&t.table), stats)
            }
            _ => (Access::Scan, DEFAULT_ROWS, None),
        };
        let est = crate::explain::estimate(size, &access, stats.as_deref()) as f64;
        if access.reads_left() {
            return Costed {
                step: JoinStep { leaf: i, access, hash: Vec::new() },
                cost: rows * (SEEK + est),
                fanout: est,
            };
        }
        let hash = self.hash_keys(&self.relevant[i], &readable, &mine);
        if hash.is_empty() {
            return Costed { step: JoinStep { leaf: i, access, hash }, cost: est + rows * est, fanout: est };
        }
        let fanout = (est / 10.0).max(1.0);
        Costed { step: JoinStep { leaf: i, access, hash }, cost: est + rows * (1.0 + fanout), fanout }
    }

    /// Rows of a table: from `ANALYZE` statistics, else SQLite's guess.
    fn table_rows(&self, table: &crate::schema::Table) -> u64 {
        let name = crate::schema::lower(&table.name);
        if let Some(&n) = self.schema.stats.tables.get(&name) {
            return n;
        }
        self.schema
            .table_indexes(&table.name)
            .filter_map(|i| self.schema.stats.indexes.get(&crate::schema::lower(&i.name))?.first().copied())
            .max()
            .unwrap_or(DEFAULT_ROWS)
    }

    /// The conjuncts `a = b` where one side reads only the bound sources
    /// (or nothing of this query) and the other reads this source and
    /// nothing else.
    fn hash_keys(
        &self,
        conjuncts: &[&BExpr],
        readable: &dyn Fn(usize) -> bool,
        mine: &dyn Fn(usize) -> bool,
    ) -> Vec<HashKey> {
        let mut out = Vec::new();
        for c in conjuncts {
            let BExpr::Bin { op: BinaryOp::Eq, l, r, coll } = c else { continue };
            let reads_mine = |e: &BExpr| {
                crate::access::row_free(e, mine)
                    && crate::exec::columns_read(e).is_some_and(|s| s.iter().any(|&x| mine(x)))
            };
            let sides = if crate::access::row_free(l, readable) && reads_mine(r) {
                Some((l, r))
            } else if crate::access::row_free(r, readable) && reads_mine(l) {
                Some((r, l))
            } else {
                None
            };
            if let Some((probe, build)) = sides {
                let aff = comparison_affinity(crate::bind::expr_affinity(l), crate::bind::expr_affinity(r));
                out.push(HashKey { probe: (**probe).clone(), build: (**build).clone(), aff, coll: *coll });
            }
        }
        out
    }

    /// Every order costed: the cheapest plan for each set of sources,
    /// smallest sets first. Ties keep the FROM order.
    fn exhaustive(&self) -> Vec<JoinStep> {
        let n = self.leaves.len();
        // Per set: (cost, rows, steps).
        let mut best: HashMap<u64, (f64, f64, Vec<JoinStep>)> = HashMap::new();
        best.insert(0, (0.0, 1.0, Vec::new()));
        let mut sets: Vec<u64> = (0..(1u64 << n)).collect();
        sets.sort_by_key(|s| s.count_ones());
        for set in sets {
            let Some((cost, rows, steps)) = best.get(&set).cloned() else { continue };
            for i in 0..n {
                if set & (1 << i) != 0 {
                    continue;
                }
                let marks: Vec<bool> = (0..n).map(|j| set & (1 << j) != 0).collect();
                let c = self.step(i, &marks, rows);
                let next = set | (1 << i);
                let total = cost + c.cost;
                if best.get(&next).is_none_or(|(b, _, _)| total < *b) {
                    let mut s = steps.clone();
                    s.push(c.step);
                    best.insert(next, (total, rows * c.fanout, s));
                }
            }
        }
        best.remove(&((1u64 << n) - 1)).map(|(_, _, s)| s).unwrap_or_default()
    }

    /// The cheapest next source, one at a time.
    fn greedy(&self) -> Vec<JoinStep> {
        let n = self.leaves.len();
        let (mut bound, mut rows, mut steps) = (vec![false; n], 1.0, Vec::with_capacity(n));
        while steps.len() < n {
            let mut pick: Option<Costed> = None;
            for i in (0..n).filter(|&i| !bound[i]) {
                let c = self.step(i, &bound, rows);
                if pick.as_ref().is_none_or(|p| c.cost < p.cost) {
                    pick = Some(c);
                }
            }
            let Some(c) = pick else { break };
            bound[c.step.leaf] = true;
            rows *= c.fanout;
            steps.push(c.step);
        }
        steps
    }
}

/// Runs a join plan over `leaves` (FROM order, with their offsets),
/// checking each conjunct as soon as the sources it reads are present.
pub(crate) fn run(
    ctx: &Ctx<'_>,
    leaves: &[(usize, &Source)],
    plan: &JoinPlan,
    conjuncts: &[&BExpr],
    width: usize,
    parent: Option<&Env<'_>>,
    cap: Option<usize>,
) -> Result<Vec<Vec<Value>>> {
    let n = leaves.len();
    let reads = conjunct_leaves(leaves, conjuncts);
    let mut bound = vec![false; n];
    let mut rows = vec![vec![Value::Null; width]];
    for (k, step) in plan.steps.iter().enumerate() {
        // The last step may stop once it has `cap` rows.
        let full = |next: &Vec<Vec<Value>>| k + 1 == plan.steps.len() && cap.is_some_and(|c| next.len() >= c);
        let i = step.leaf;
        let Some(&(off, src)) = leaves.get(i) else { continue };
        bound[i] = true;
        let lookup = matches!(src, Source::Table(_)) && step.access.reads_left();
        // Conjuncts checkable exactly now; a source read once has its own
        // conjuncts applied to its rows first.
        let now: Vec<&BExpr> = conjuncts
            .iter()
            .zip(&reads)
            .filter(|(_, r)| {
                (r.is_empty() && k == 0) || (r.contains(&i) && r.iter().all(|&j| bound[j]) && (lookup || r.len() > 1))
            })
            .map(|(c, _)| *c)
            .collect();
        let mut next = Vec::new();
        if let (true, Source::Table(t)) = (lookup, src) {
            'rows: for r in &rows {
                for lr in crate::access::rows_after(ctx, &t.table, &step.access, r, parent)? {
                    let mut row = r.clone();
                    row[off..off + lr.len()].clone_from_slice(&lr);
                    if passes(ctx, &now, &row, parent)? {
                        next.push(row);
                        if full(&next) {
                            break 'rows;
                        }
                    }
                }
            }
            rows = next;
            continue;
        }
        let own: Vec<&BExpr> =
            conjuncts.iter().zip(&reads).filter(|(_, r)| r.len() == 1 && r[0] == i).map(|(c, _)| *c).collect();
        let leaf_rows = once_rows(ctx, src, &step.access, parent)?;
        // Each kept leaf row, placed in a row of the join's width (the
        // layout its conjuncts and hash keys are bound over).
        let mut padded = Vec::new();
        let mut buf = vec![Value::Null; width];
        for lr in leaf_rows {
            buf[off..off + lr.len()].clone_from_slice(&lr);
            if passes(ctx, &own, &buf, parent)? {
                padded.push(lr);
            }
        }
        if step.hash.is_empty() {
            'pairs: for r in &rows {
                for lr in &padded {
                    // The product is built from rows already read: no
                    // storage read would notice an interrupt here.
                    crate::interrupt::check()?;
                    let mut row = r.clone();
                    row[off..off + lr.len()].clone_from_slice(lr);
                    if passes(ctx, &now, &row, parent)? {
                        next.push(row);
                        if full(&next) {
                            break 'pairs;
                        }
                    }
                }
            }
        } else {
            let mut table: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
            for (x, lr) in padded.iter().enumerate() {
                buf[off..off + lr.len()].clone_from_slice(lr);
                if let Some(key) = hash_key(ctx, &step.hash, |h| &h.build, &buf, parent)? {
                    table.entry(key).or_default().push(x);
                }
            }
            'probes: for r in &rows {
                crate::interrupt::check()?;
                let Some(key) = hash_key(ctx, &step.hash, |h| &h.probe, r, parent)? else { continue };
                for &x in table.get(&key).map(Vec::as_slice).unwrap_or_default() {
                    let mut row = r.clone();
                    let Some(lr) = padded.get(x) else { continue };
                    row[off..off + lr.len()].clone_from_slice(lr);
                    if passes(ctx, &now, &row, parent)? {
                        next.push(row);
                        if full(&next) {
                            break 'probes;
                        }
                    }
                }
            }
        }
        rows = next;
    }
    Ok(rows)
}

/// The rows of a source read once (its access path reads no other source).
/// Which leaves each conjunct reads (all of them when that is unknown),
/// so each is tested once every leaf it reads is bound.
pub(crate) fn conjunct_leaves(leaves: &[(usize, &Source)], conjuncts: &[&BExpr]) -> Vec<Vec<usize>> {
    let n = leaves.len();
    let range = |i: usize| leaves.get(i).map_or((0, 0), |&(off, src)| (off, off + crate::exec::full_width(src)));
    conjuncts
        .iter()
        .map(|c| match crate::exec::columns_read(c) {
            Some(cols) => (0..n)
                .filter(|&i| {
                    let (a, b) = range(i);
                    cols.iter().any(|c| (a..b).contains(c))
                })
                .collect(),
            None => (0..n).collect(),
        })
        .collect()
}

fn once_rows(ctx: &Ctx<'_>, src: &Source, access: &Access, parent: Option<&Env<'_>>) -> Result<Vec<Vec<Value>>> {
    match src {
        Source::Table(t) => crate::access::rows(ctx, &t.table, access, parent),
        other => crate::exec::source_rows(ctx, other, parent, &[]),
    }
}

/// The hash key of one side of a hash join's equalities over `row`: each
/// operand converted by its comparison's affinity and folded by its
/// collation, so two keys are equal exactly when every comparison is true;
/// `None` when an operand is NULL (it equals nothing).
pub(crate) fn hash_key(
    ctx: &Ctx<'_>,
    keys: &[HashKey],
    side: impl Fn(&HashKey) -> &BExpr,
    row: &[Value],
    parent: Option<&Env<'_>>,
) -> Result<Option<Vec<u8>>> {
    let env = Env { row, aggs: &[], parent };
    let mut vals = Vec::with_capacity(keys.len());
    let mut colls = Vec::with_capacity(keys.len());
    for k in keys {
        let v = eval(ctx, side(k), &env)?;
        if v == Value::Null {
            return Ok(None);
        }
        vals.push(comparison_operand(v, k.aff));
        colls.push(k.coll);
    }
    Ok(Some(row_key_coll(&vals, &colls)))
}
