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
        /// Collation.
        coll: Collation,
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
    /// Scalar subquery.
    Subquery(Box<QueryPlan>),
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
    /// The value of aggregate number `n` for the current group.
    Agg(usize),
    /// Row value.
    Row(Vec<BExpr>),
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
    /// A table: row = columns..., rowid.
    Table(Box<Table>),
    /// A subquery or view.
    Query(Box<QueryPlan>),
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
    /// Result expressions.
    pub result: Vec<BExpr>,
    /// DISTINCT.
    pub distinct: bool,
    /// VALUES rows instead of a SELECT.
    pub values: Option<Vec<Vec<BExpr>>>,
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
    pub columns: Vec<String>,
    /// Result column affinities (for IN and comparisons with columns).
    pub affinities: Vec<Option<Affinity>>,
}
