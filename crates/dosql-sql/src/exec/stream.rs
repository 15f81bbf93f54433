//! Queries read row by row: [`RowStream`].
//!
//! A one-table query without grouping, windows, DISTINCT, compounds or a
//! sort the path does not already give is read straight off its access
//! path's key range ([`crate::access::PathCursor`]): each row is fetched,
//! filtered and projected when it is pulled, so a result of any size takes
//! bounded memory. Every other query runs to completion first and its rows
//! are handed out from memory.

use super::{Ctx, Session, eval, eval_limit, passes, semi::SetCache};
use crate::access::PathCursor;
use crate::error::Result;
use crate::plan::{BExpr, QueryPlan, Source};
use crate::txn::{Snapshot, Txn};
use crate::value::Value;
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
    columns: Vec<String>,
    rows: Rows<'c>,
}

enum Rows<'c> {
    Ready(std::vec::IntoIter<Vec<Value>>),
    Live(Box<Live<'c>>),
    Done,
}

/// A query being read off its path.
struct Live<'c> {
    reader: StreamReader<'c>,
    params: Vec<Value>,
    now_ms: i64,
    session: Session,
    sets: SetCache,
    plan: Arc<QueryPlan>,
    cursor: PathCursor,
    /// Rows OFFSET still skips, and rows LIMIT still allows.
    skip: usize,
    left: Option<usize>,
    /// The slots the result takes as they are, when it is nothing but
    /// distinct columns.
    moved: Option<Vec<usize>>,
    /// The WHERE conjuncts the path already guarantees (see
    /// [`crate::access::implied`]), as a bit set in conjunct order.
    implied: u64,
    /// Whether WHERE has a conjunct left to test.
    check_where: bool,
}

/// Whether `plan` can be read row by row off its access path.
pub(crate) fn streamable(plan: &QueryPlan) -> bool {
    let c = &plan.first;
    plan.compound.is_empty()
        && (plan.order_by.is_empty() || c.ordered)
        && c.values.is_none()
        && !c.aggregate
        && c.windows.is_empty()
        && !c.distinct
        && c.first_row.is_none()
        && c.having.is_none()
        && c.join.is_none()
        && matches!(c.source, Source::Table(_))
}

impl<'c> RowStream<'c> {
    /// Rows already computed.
    pub(crate) fn ready(columns: Vec<String>, rows: Vec<Vec<Value>>) -> RowStream<'c> {
        RowStream { columns, rows: Rows::Ready(rows.into_iter()) }
    }

    /// Starts reading a [`streamable`] plan; a plan whose path is not one
    /// key range runs to completion here instead.
    pub(crate) fn open(
        reader: StreamReader<'c>,
        plan: Arc<QueryPlan>,
        params: &[Value],
        (now_ms, session): (i64, Session),
    ) -> Result<RowStream<'c>> {
        let columns = plan.columns.clone();
        let sets = SetCache::default();
        let Source::Table(t) = &plan.first.source else {
            let ctx = Ctx::at_instant(reader.get(), params, now_ms).with_session(session).with_sets(&sets);
            return Ok(RowStream::ready(columns, super::run_query(&ctx, &plan, None)?));
        };
        let ctx = Ctx::at_instant(reader.get(), params, now_ms).with_session(session).with_sets(&sets);
        let limit = eval_limit(&ctx, &plan.limit, "LIMIT")?.filter(|l| *l >= 0).map(|l| l as usize);
        let offset = eval_limit(&ctx, &plan.offset, "OFFSET")?.unwrap_or(0).max(0) as usize;
        let Some(cursor) = PathCursor::open(&ctx, &t.table, &t.access, (&[], None))? else {
            let rows = super::run_query(&ctx, &plan, None)?;
            return Ok(RowStream::ready(columns, rows));
        };
        let moved = super::moved_columns(&plan.first);
        let (implied, check_where) = match &plan.first.where_ {
            Some(w) => {
                let mut conjuncts = Vec::new();
                crate::access::split_and(w, &mut conjuncts);
                let implied = crate::access::implied(&ctx, &t.table, &t.access, &conjuncts, (&[], None))?;
                let all = conjuncts.len() <= 64 && implied.count_ones() as usize == conjuncts.len();
                (implied, !all)
            }
            None => (0, false),
        };
        let live = Live {
            reader,
            params: params.to_vec(),
            now_ms,
            session,
            sets,
            plan,
            cursor,
            skip: offset,
            left: limit,
            moved,
            implied,
            check_where,
        };
        Ok(RowStream { columns, rows: Rows::Live(Box::new(live)) })
    }

    /// The result column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }
}

impl Live<'_> {
    fn next_row(&mut self) -> Result<Option<Vec<Value>>> {
        if self.left == Some(0) {
            return Ok(None);
        }
        let ctx = Ctx::at_instant(self.reader.get(), &self.params, self.now_ms).with_session(self.session);
        let ctx = ctx.with_sets(&self.sets);
        let core = &self.plan.first;
        let Source::Table(t) = &core.source else { return Ok(None) };
        while let Some(row) = self.cursor.next(ctx.rd, &t.table, &t.access)? {
            if let Some(w) = core.where_.as_ref().filter(|_| self.check_where)
                && !conjuncts_hold(&ctx, w, &row, self.implied, &mut 0)?
            {
                continue;
            }
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            let out = match &self.moved {
                Some(slots) => {
                    let mut row = row;
                    super::take_columns(&mut row, slots)
                }
                None => {
                    let env = super::Env { row: &row, aggs: &[], parent: None };
                    core.result.iter().map(|e| eval(&ctx, e, &env)).collect::<Result<Vec<_>>>()?
                }
            };
            if let Some(l) = self.left.as_mut() {
                *l -= 1;
            }
            return Ok(Some(out));
        }
        Ok(None)
    }
}

/// Whether every conjunct of `w` is true for `row`, tested left to right
/// until one is not, as a query that runs to completion tests them. The
/// conjuncts in `skip` (bit `i` for the conjunct numbered `i` in that
/// order; `at` counts them) are known to hold and are not tested.
fn conjuncts_hold(ctx: &Ctx<'_>, w: &BExpr, row: &[Value], skip: u64, at: &mut usize) -> Result<bool> {
    match w {
        BExpr::Bin { op: crate::ast::BinaryOp::And, l, r, .. } => {
            Ok(conjuncts_hold(ctx, l, row, skip, at)? && conjuncts_hold(ctx, r, row, skip, at)?)
        }
        _ => {
            let i = *at;
            *at += 1;
            if i < 64 && skip & (1 << i) != 0 {
                return Ok(true);
            }
            passes(ctx, &[w], row, None)
        }
    }
}

impl Iterator for RowStream<'_> {
    type Item = Result<Vec<Value>>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = match &mut self.rows {
            Rows::Ready(it) => return it.next().map(Ok),
            Rows::Live(live) => live.next_row(),
            Rows::Done => return None,
        };
        match r {
            Ok(Some(row)) => Some(Ok(row)),
            Ok(None) => {
                self.rows = Rows::Done;
                None
            }
            Err(e) => {
                self.rows = Rows::Done;
                Some(Err(e))
            }
        }
    }
}
