//! Bound query plans: the engine's executable form of a statement, with
//! every name resolved to a position.
//!
//! A plan is what the binder ([`crate::bind`]) produces and the executor
//! ([`crate::exec`]) runs. Column references point at a slot of the current
//! row or of an enclosing query's row (`depth` levels up), so correlated
//! subqueries need no name lookup at run time.

use crate::ast::{BinaryOp, CompoundOp, JoinKind, LikeOp, UnaryOp};
use crate::schema::Table;
use crate::value::{Affinity, Collation, Value};

/// A bound expression.
#[derive(Debug, Clone)]
pub enum BExpr {
    /// A constant.
    Lit(Value),
    /// Statement parameter, 0-based.
    Param(usize),
    /// A column of the row `depth` queries out.
    Col {
        /// 0 = this query's row.
        depth: usize,
        /// Slot in that row.
        idx: usize,
        /// The column's affinity.
        aff: Option<Affinity>,
        /// The column's collation.
        coll: Collation,
    },
    /// Binary operator; `aff` and `coll` are for comparisons.
    Bin {
        /// Operator.
        op: BinaryOp,
        /// Left operand.
        l: Box<BExpr>,
        /// Right operand.
        r: Box<BExpr>,
        /// Collation for comparisons.
        coll: Collation,
    },
    /// Unary operator.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        e: Box<BExpr>,
    },
    /// LIKE / GLOB.
    Like {
        /// Operator.
        op: LikeOp,
        /// NOT.
        negated: bool,
        /// Left side.
        e: Box<BExpr>,
        /// Pattern.
        pat: Box<BExpr>,
        /// ESCAPE.
        esc: Option<Box<BExpr>>,
    },
    /// IS \[NOT\] NULL.
    IsNull {
        /// Operand.
        e: Box<BExpr>,
        /// NOT.
        negated: bool,
    },
    /// \[NOT\] BETWEEN.
    Between {
        /// Operand.
        e: Box<BExpr>,
        /// Low.
        lo: Box<BExpr>,
        /// High.
        hi: Box<BExpr>,
        /// NOT.
        negated: bool,
        /// Collation of the `>= lo` comparison.
        coll: Collation,
        /// Collation of the `<= hi` comparison.
        coll_hi: Collation,
    },
    /// \[NOT\] IN (list).
    InList {
        /// Operand.
        e: Box<BExpr>,
        /// List.
        list: Vec<BExpr>,
        /// NOT.
        negated: bool,
        /// Collation.
        coll: Collation,
    },
    /// \[NOT\] IN (subquery).
    InSelect {
        /// Operand.
        e: Box<BExpr>,
        /// Subquery.
        plan: Box<QueryPlan>,
        /// NOT.
        negated: bool,
        /// Collation.
        coll: Collation,
    },
    /// \[NOT\] EXISTS.
    Exists {
        /// Subquery.
        plan: Box<QueryPlan>,
        /// NOT.
        negated: bool,
    },
    /// Scalar subquery: the value of the given column (0 but for the parts
    /// of a row assignment) of its first row.
    Subquery(Box<QueryPlan>, usize),
    /// CASE.
    Case {
        /// Simple-CASE operand.
        operand: Option<Box<BExpr>>,
        /// WHEN/THEN.
        whens: Vec<(BExpr, BExpr)>,
        /// ELSE.
        else_: Option<Box<BExpr>>,
        /// Collation of the operand comparison.
        coll: Collation,
    },
    /// CAST.
    Cast {
        /// Operand.
        e: Box<BExpr>,
        /// Target affinity.
        aff: Affinity,
    },
    /// COLLATE: value unchanged, collation for comparisons.
    Collate {
        /// Operand.
        e: Box<BExpr>,
        /// Collation.
        coll: Collation,
    },
    /// Scalar function call (lower-case name).
    Func {
        /// Name.
        name: String,
        /// Arguments.
        args: Vec<BExpr>,
    },
    /// The value of aggregate number `n` for the current group. Window
    /// values follow the aggregates: slot `aggs.len() + i` is window `i`.
    Agg(usize),
    /// Window call `i` of the query level, only while binding: the binder
    /// turns it into an [`BExpr::Agg`] slot ([`crate::window::place_slots`]).
    Win(usize),
    /// Row value.
    Row(Vec<BExpr>),
    /// `RAISE(...)` in a trigger program: evaluating it stops the program.
    Raise {
        /// What it does.
        action: RaiseAction,
        /// The error message (none for IGNORE).
        message: Option<Box<BExpr>>,
    },
}

/// What `RAISE()` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaiseAction {
    /// Skip the rest of the program and the row change that fired it.
    Ignore,
    /// Fail the statement, undoing it.
    Abort,
    /// Fail the statement, keeping its earlier changes.
    Fail,
    /// Fail and roll the whole transaction back.
    Rollback,
}

/// An aggregate call in a query.
#[derive(Debug, Clone)]
pub struct AggCall {
    /// Lower-case function name.
    pub name: String,
    /// Arguments.
    pub args: Vec<BExpr>,
    /// `count(*)`.
    pub star: bool,
    /// DISTINCT.
    pub distinct: bool,
    /// FILTER (WHERE ...).
    pub filter: Option<BExpr>,
}

/// Rows feeding a query.
#[derive(Debug, Clone)]
pub enum Source {
    /// No FROM: one empty row.
    Single,
    /// A table: row = columns..., rowid; read through an access path.
    Table(Box<TableSource>),
    /// A subquery or view.
    Query(Box<QueryPlan>),
    /// A recursive common table expression.
    Recursive(Box<RecursivePlan>),
    /// Inside a recursive CTE's recursive SELECT: the CTE's current row.
    Working {
        /// The CTE's [`RecursivePlan::id`].
        id: usize,
        /// Row width.
        width: usize,
    },
    /// `json_each(...)` / `json_tree(...)`: rows computed from the
    /// arguments, which may read columns of sources to their left in a join
    /// (at the same row slots).
    JsonEach {
        /// `json_tree` rather than `json_each`.
        tree: bool,
        /// The `jsonb_` form (containers in `value` as JSONB).
        blob: bool,
        /// Arguments.
        args: Vec<BExpr>,
    },
    /// Joined sources: row = left row ++ right row.
    Join {
        /// Left.
        left: Box<Source>,
        /// Right.
        right: Box<Source>,
        /// Kind.
        kind: JoinKind,
        /// ON (and USING / NATURAL equalities).
        on: Option<BExpr>,
        /// Width of the left row.
        left_width: usize,
        /// Width of the right row.
        right_width: usize,
    },
}

/// A table in a FROM clause.
#[derive(Debug, Clone)]
pub struct TableSource {
    /// The table.
    pub table: std::sync::Arc<Table>,
    /// The name the query gives it, when not its own.
    pub alias: Option<String>,
    /// How its rows are found.
    pub access: crate::access::Access,
}

/// A recursive CTE: the initial rows seed a queue; each row taken from
/// the queue is output and fed, as the CTE's table, to the recursive
/// SELECTs, whose rows join the queue.
#[derive(Debug, Clone)]
pub struct RecursivePlan {
    /// Identifies the CTE to [`Source::Working`] in its recursive SELECTs.
    pub id: usize,
    /// The initial SELECT (with any further non-recursive compound parts).
    pub initial: QueryPlan,
    /// The recursive SELECTs.
    pub steps: Vec<QueryPlan>,
    /// Whether rows already seen are dropped (UNION rather than UNION ALL).
    pub distinct: bool,
    /// ORDER BY over the CTE's columns: which queued row is taken next.
    pub order_by: Vec<SortKey>,
    /// LIMIT: how many rows the CTE yields at most.
    pub limit: Option<BExpr>,
    /// OFFSET: how many of the first rows are not yielded (they still recurse).
    pub offset: Option<BExpr>,
    /// Column count.
    pub width: usize,
}

/// One SELECT core.
#[derive(Debug, Clone)]
pub struct CorePlan {
    /// FROM.
    pub source: Source,
    /// WHERE.
    pub where_: Option<BExpr>,
    /// GROUP BY.
    pub group_by: Vec<BExpr>,
    /// HAVING.
    pub having: Option<BExpr>,
    /// Aggregates used by the result, HAVING and ORDER BY.
    pub aggs: Vec<AggCall>,
    /// Whether this is an aggregate query (aggregates or GROUP BY).
    pub aggregate: bool,
    /// Window calls, evaluated after GROUP BY / HAVING.
    pub windows: Vec<crate::window::WindowCall>,
    /// Result expressions.
    pub result: Vec<BExpr>,
    /// DISTINCT.
    pub distinct: bool,
    /// VALUES rows instead of a SELECT.
    pub values: Option<Vec<Vec<BExpr>>>,
    /// The source gives rows in the query's ORDER BY order (always, without
    /// one), so reading may stop once LIMIT rows passed WHERE.
    pub ordered: bool,
    /// `min(x)` / `max(x)` over a source that gives rows in the order of
    /// that slot: the first rows with a value there decide the answer.
    pub first_row: Option<usize>,
    /// The source gives rows in GROUP BY order (ascending, equal keys in
    /// scan order): groups form without sorting.
    pub grouped: bool,
    /// For an inner join of two or more sources: the order they are read
    /// in and how each is joined.
    pub join: Option<crate::join::JoinPlan>,
}

/// A sort key.
#[derive(Debug, Clone)]
pub struct SortKey {
    /// The key: an expression over the source row (simple queries) or a
    /// result column (`BExpr::Col` with depth 0 over the result row, for
    /// compound queries).
    pub expr: BExpr,
    /// DESC.
    pub desc: bool,
    /// NULLS FIRST.
    pub nulls_first: bool,
    /// Collation.
    pub coll: Collation,
}

/// A bound query.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    /// The first core.
    pub first: CorePlan,
    /// Compound parts.
    pub compound: Vec<(CompoundOp, CorePlan)>,
    /// ORDER BY.
    pub order_by: Vec<SortKey>,
    /// Whether ORDER BY keys are over result rows (compound) rather than
    /// source rows.
    pub order_on_result: bool,
    /// LIMIT.
    pub limit: Option<BExpr>,
    /// OFFSET.
    pub offset: Option<BExpr>,
    /// Result column names.
    pub columns: std::sync::Arc<[String]>,
    /// Result column affinities (for IN and comparisons with columns).
    pub affinities: Vec<Option<Affinity>>,
}

/// The body of [`BExpr::for_each_child`] and
/// [`BExpr::for_each_child_mut`]: one list of each variant's operands for
/// both (`$iter` is `iter` or `iter_mut`).
macro_rules! each_child {
    ($e:expr, $f:expr, $iter:ident) => {
        match $e {
            BExpr::Lit(_) | BExpr::Param(_) | BExpr::Col { .. } | BExpr::Agg(_) | BExpr::Win(_) => {}
            BExpr::Exists { .. } | BExpr::Subquery(..) => {}
            BExpr::Bin { l, r, .. } => {
                $f(l);
                $f(r);
            }
            BExpr::Unary { e, .. }
            | BExpr::IsNull { e, .. }
            | BExpr::Cast { e, .. }
            | BExpr::Collate { e, .. }
            | BExpr::InSelect { e, .. } => $f(e),
            BExpr::Like { e, pat, esc, .. } => {
                $f(e);
                $f(pat);
                if let Some(x) = esc {
                    $f(x);
                }
            }
            BExpr::Between { e, lo, hi, .. } => {
                $f(e);
                $f(lo);
                $f(hi);
            }
            BExpr::InList { e, list, .. } => {
                $f(e);
                list.$iter().for_each(&mut *$f);
            }
            BExpr::Case { operand, whens, else_, .. } => {
                if let Some(o) = operand {
                    $f(o);
                }
                for (w, t) in whens {
                    $f(w);
                    $f(t);
                }
                if let Some(e) = else_ {
                    $f(e);
                }
            }
            BExpr::Func { args, .. } | BExpr::Row(args) => args.$iter().for_each(&mut *$f),
            BExpr::Raise { message, .. } => {
                if let Some(m) = message {
                    $f(m);
                }
            }
        }
    };
}

impl BExpr {
    /// Calls `f` on each direct operand of this expression (not on the
    /// expressions inside subquery plans).
    pub fn for_each_child(&self, f: &mut dyn FnMut(&BExpr)) {
        each_child!(self, f, iter)
    }

    /// [`BExpr::for_each_child`] with mutable access.
    pub fn for_each_child_mut(&mut self, f: &mut dyn FnMut(&mut BExpr)) {
        each_child!(self, f, iter_mut)
    }

    /// Whether this expression reads a column of a query around the one it
    /// belongs to (not counting subqueries inside it).
    pub fn reads_outer(&self) -> bool {
        if let BExpr::Col { depth, .. } = self {
            return *depth > 0;
        }
        let mut found = false;
        self.for_each_child(&mut |c| found = found || c.reads_outer());
        found
    }

    /// The query plan this expression holds directly, if it is a subquery.
    pub fn subquery(&self) -> Option<&QueryPlan> {
        match self {
            BExpr::InSelect { plan, .. } | BExpr::Exists { plan, .. } | BExpr::Subquery(plan, _) => Some(plan),
            _ => None,
        }
    }
}

impl CorePlan {
    /// Calls `f` on each top-level expression of this core: WHERE, GROUP
    /// BY, HAVING, results, VALUES rows, aggregate and window arguments,
    /// and the expressions of its FROM sources (not inside FROM subqueries).
    pub fn for_each_expr(&self, f: &mut dyn FnMut(&BExpr)) {
        fn source(s: &Source, f: &mut dyn FnMut(&BExpr)) {
            match s {
                Source::Join { left, right, on, .. } => {
                    source(left, f);
                    source(right, f);
                    if let Some(o) = on {
                        f(o);
                    }
                }
                Source::JsonEach { args, .. } => args.iter().for_each(&mut *f),
                _ => {}
            }
        }
        source(&self.source, f);
        self.where_.iter().chain(&self.group_by).chain(&self.having).chain(&self.result).for_each(&mut *f);
        self.values.iter().flatten().flatten().for_each(&mut *f);
        for a in &self.aggs {
            a.args.iter().chain(&a.filter).for_each(&mut *f);
        }
        for w in &self.windows {
            w.args.iter().chain(&w.filter).for_each(&mut *f);
            w.partition.iter().chain(&w.order).for_each(|k| f(&k.expr));
        }
    }
}
