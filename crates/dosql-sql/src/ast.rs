//! The engine's own syntax tree: what every SQL statement becomes right
//! after parsing. Nothing past the binder sees another crate's AST.
//!
//! It mirrors SQLite's grammar, not the parser's: names are plain strings
//! (compared case-insensitively later), literals are already values, and
//! constructs SQLite has no use for do not exist here.

use crate::value::Value;

/// A parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `SELECT ...`, `VALUES ...`, `WITH ... SELECT ...`.
    Select(Box<Select>),
    /// `INSERT` / `REPLACE`.
    Insert(Box<Insert>),
    /// `UPDATE`.
    Update(Box<Update>),
    /// `DELETE`.
    Delete(Box<Delete>),
    /// `CREATE TABLE`.
    CreateTable(Box<CreateTable>),
    /// `CREATE INDEX`.
    CreateIndex(Box<CreateIndex>),
    /// `CREATE VIEW`.
    CreateView(Box<CreateView>),
    /// `CREATE TRIGGER`.
    CreateTrigger(Box<CreateTrigger>),
    /// `ALTER TABLE`.
    AlterTable(Box<AlterTable>),
    /// `DROP TABLE|INDEX|VIEW|TRIGGER`.
    Drop {
        /// What kind of object.
        kind: ObjectKind,
        /// Its name.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `BEGIN \[DEFERRED|IMMEDIATE|EXCLUSIVE\]`.
    Begin(TransactionMode),
    /// `COMMIT` / `END`.
    Commit,
    /// `ROLLBACK \[TO [SAVEPOINT\] name]`.
    Rollback {
        /// The savepoint for `ROLLBACK TO`.
        savepoint: Option<String>,
    },
    /// `SAVEPOINT name`.
    Savepoint(String),
    /// `RELEASE \[SAVEPOINT\] name`.
    Release(String),
    /// `PRAGMA name \[= value | (value)\]`.
    Pragma {
        /// The pragma name.
        name: String,
        /// Its argument.
        value: Option<Expr>,
    },
    /// `REINDEX [name]`: every index, or those of a table, an index, or a
    /// collation.
    Reindex(Option<String>),
    /// `ANALYZE [name]`: every table, or one table, an index's table, or a
    /// schema.
    Analyze(Option<String>),
    /// `EXPLAIN QUERY PLAN stmt` (`query_plan`) or `EXPLAIN stmt`.
    Explain {
        /// Whether it is `EXPLAIN QUERY PLAN`.
        query_plan: bool,
        /// The explained statement.
        statement: Box<Statement>,
    },
}

impl Statement {
    /// Whether the statement changes the schema (or its statistics): what
    /// SQLite checks against the schema when preparing it, and what makes a
    /// connection reload its catalog.
    pub fn changes_schema(&self) -> bool {
        matches!(
            self,
            Statement::CreateTable(_)
                | Statement::CreateIndex(_)
                | Statement::CreateView(_)
                | Statement::CreateTrigger(_)
                | Statement::AlterTable(_)
                | Statement::Drop { .. }
                | Statement::Reindex(_)
                | Statement::Analyze(_)
        )
    }
}

/// `ALTER TABLE table action`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterTable {
    /// The table.
    pub table: String,
    /// What to do.
    pub action: AlterAction,
}

/// An `ALTER TABLE` action.
#[derive(Debug, Clone, PartialEq)]
pub enum AlterAction {
    /// `RENAME TO name`.
    RenameTable(String),
    /// `RENAME [COLUMN] old TO new`.
    RenameColumn {
        /// The column's name now.
        old: String,
        /// Its new name.
        new: String,
    },
    /// `ADD [COLUMN] column-def`, with the definition's source text.
    AddColumn(ColumnDef, String),
    /// `DROP [COLUMN] name`.
    DropColumn(String),
}

/// When a trigger runs relative to the row change that fires it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerTiming {
    /// `BEFORE` (also the default when no timing is written).
    Before,
    /// `AFTER`.
    After,
    /// `INSTEAD OF` (views only).
    InsteadOf,
}

/// The row change a trigger fires on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerEvent {
    /// `INSERT`.
    Insert,
    /// `DELETE`.
    Delete,
    /// `UPDATE [OF col, ...]`: empty means any column.
    Update(Vec<String>),
}

/// `CREATE [TEMP] TRIGGER [IF NOT EXISTS] name timing event ON table
/// [FOR EACH ROW] [WHEN expr] BEGIN stmt; ... END`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTrigger {
    /// Name.
    pub name: String,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `TEMP`.
    pub temporary: bool,
    /// Timing.
    pub timing: TriggerTiming,
    /// Event.
    pub event: TriggerEvent,
    /// The table or view it is attached to.
    pub table: String,
    /// `WHEN` condition.
    pub when: Option<Expr>,
    /// The program: INSERT, UPDATE, DELETE and SELECT statements.
    pub body: Vec<Statement>,
}

/// How `BEGIN` takes its locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransactionMode {
    /// `DEFERRED` (the default).
    #[default]
    Deferred,
    /// `IMMEDIATE`.
    Immediate,
    /// `EXCLUSIVE`.
    Exclusive,
}

/// Kinds of schema objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A table.
    Table,
    /// An index.
    Index,
    /// A view.
    View,
    /// A trigger.
    Trigger,
}

/// A full query: optional CTEs, a body of compound parts, ORDER BY, LIMIT.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// `WITH \[RECURSIVE\]` tables.
    pub with: Vec<Cte>,
    /// Whether `WITH RECURSIVE` was written.
    pub recursive: bool,
    /// The first core.
    pub body: SelectBody,
    /// Further cores joined by compound operators, in order (left-associative).
    pub compound: Vec<(CompoundOp, SelectBody)>,
    /// `ORDER BY`.
    pub order_by: Vec<OrderTerm>,
    /// `LIMIT`.
    pub limit: Option<Expr>,
    /// `OFFSET` (or the first number of `LIMIT a, b`).
    pub offset: Option<Expr>,
}

/// A common table expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Cte {
    /// Its name.
    pub name: String,
    /// Column names, if given.
    pub columns: Vec<String>,
    /// Its query.
    pub query: Select,
}

/// Compound operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompoundOp {
    /// `UNION`.
    Union,
    /// `UNION ALL`.
    UnionAll,
    /// `INTERSECT`.
    Intersect,
    /// `EXCEPT`.
    Except,
}

/// One `SELECT` core or `VALUES` list.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectBody {
    /// `SELECT ...`.
    Select(Box<SelectCore>),
    /// `VALUES (...), (...)`.
    Values(Vec<Vec<Expr>>),
}

/// `SELECT \[DISTINCT\] cols FROM ... WHERE ... GROUP BY ... HAVING ... WINDOW ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectCore {
    /// `DISTINCT`.
    pub distinct: bool,
    /// Result columns.
    pub columns: Vec<ResultColumn>,
    /// `FROM`, if any.
    pub from: Option<FromItem>,
    /// `WHERE`.
    pub where_: Option<Expr>,
    /// `GROUP BY`.
    pub group_by: Vec<Expr>,
    /// `HAVING`.
    pub having: Option<Expr>,
    /// Named windows: `WINDOW w AS (...)`.
    pub windows: Vec<(String, WindowSpec)>,
}

/// A result column.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultColumn {
    /// `*`.
    Star,
    /// `table.*`.
    TableStar(String),
    /// An expression with an optional alias.
    Expr {
        /// The expression.
        expr: Expr,
        /// `AS alias`.
        alias: Option<String>,
        /// The expression's source text, SQLite's default column name.
        span: String,
    },
}

/// A `FROM` clause item.
#[derive(Debug, Clone, PartialEq)]
pub enum FromItem {
    /// A table or view (or CTE) by name.
    Table {
        /// Optional schema qualifier (`main`, `temp`).
        schema: Option<String>,
        /// Its name.
        name: String,
        /// `AS alias`.
        alias: Option<String>,
        /// `INDEXED BY` / `NOT INDEXED` hint: `Some(None)` is NOT INDEXED.
        indexed: Option<Option<String>>,
    },
    /// A table-valued function such as `json_each(x)`.
    Function {
        /// The function name.
        name: String,
        /// Its arguments.
        args: Vec<Expr>,
        /// `AS alias`.
        alias: Option<String>,
    },
    /// `(SELECT ...) AS alias`.
    Subquery {
        /// The query.
        query: Box<Select>,
        /// `AS alias`.
        alias: Option<String>,
    },
    /// A join of two items.
    Join {
        /// Left side.
        left: Box<FromItem>,
        /// Right side.
        right: Box<FromItem>,
        /// Join kind.
        kind: JoinKind,
        /// `NATURAL`.
        natural: bool,
        /// `ON expr`.
        on: Option<Expr>,
        /// `USING (cols)`.
        using: Vec<String>,
    },
}

/// Join kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// `,`, `JOIN`, `INNER JOIN`, `CROSS JOIN`.
    Inner,
    /// `LEFT \[OUTER\] JOIN`.
    Left,
    /// `RIGHT \[OUTER\] JOIN`.
    Right,
    /// `FULL \[OUTER\] JOIN`.
    Full,
    /// `CROSS JOIN` (inner, but SQLite never reorders it).
    Cross,
}

/// An `ORDER BY` term.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderTerm {
    /// The key.
    pub expr: Expr,
    /// `DESC`.
    pub desc: bool,
    /// `NULLS FIRST` (`Some(true)`) / `NULLS LAST` (`Some(false)`).
    pub nulls_first: Option<bool>,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `||`
    Concat,
    /// `=` / `==`
    Eq,
    /// `<>` / `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `IS`
    Is,
    /// `IS NOT`
    IsNot,
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `<<`
    ShiftLeft,
    /// `>>`
    ShiftRight,
    /// `->` (JSON)
    Arrow,
    /// `->>` (JSON)
    LongArrow,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-`
    Neg,
    /// `+`
    Plus,
    /// `NOT`
    Not,
    /// `~`
    BitNot,
}

/// `LIKE`-family operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeOp {
    /// `LIKE`
    Like,
    /// `GLOB`
    Glob,
    /// `REGEXP`
    Regexp,
    /// `MATCH`
    Match,
}

/// A statement parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// `?` (numbered in order of appearance by the parser: the index is set).
    Index(usize),
    /// `:name`, `@name`, `$name` (the name includes its prefix, as in
    /// SQLite) and its number: one past the largest number used before its
    /// first appearance, as SQLite numbers them.
    Named(String, usize),
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Literal(Value),
    /// A parameter.
    Param(Param),
    /// A column reference `\[schema.\]\[table.\]column`.
    Column {
        /// Table qualifier.
        table: Option<String>,
        /// Column name.
        name: String,
    },
    /// A binary operation.
    Binary {
        /// Operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// A unary operation.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        expr: Box<Expr>,
    },
    /// `expr \[NOT\] LIKE|GLOB|REGEXP|MATCH pattern \[ESCAPE e\]`.
    Like {
        /// Operator.
        op: LikeOp,
        /// `NOT`.
        negated: bool,
        /// Left side.
        expr: Box<Expr>,
        /// Pattern.
        pattern: Box<Expr>,
        /// `ESCAPE`.
        escape: Option<Box<Expr>>,
    },
    /// `expr ISNULL` / `IS NULL` (`negated`: `NOTNULL` / `IS NOT NULL`).
    IsNull {
        /// Operand.
        expr: Box<Expr>,
        /// `NOT`.
        negated: bool,
    },
    /// `expr \[NOT\] BETWEEN low AND high`.
    Between {
        /// Operand.
        expr: Box<Expr>,
        /// `NOT`.
        negated: bool,
        /// Low bound.
        low: Box<Expr>,
        /// High bound.
        high: Box<Expr>,
    },
    /// `expr \[NOT\] IN (list)`.
    InList {
        /// Operand.
        expr: Box<Expr>,
        /// The list.
        list: Vec<Expr>,
        /// `NOT`.
        negated: bool,
    },
    /// `expr \[NOT\] IN (SELECT ...)` or `IN table`.
    InSelect {
        /// Operand.
        expr: Box<Expr>,
        /// The subquery.
        query: Box<Select>,
        /// `NOT`.
        negated: bool,
    },
    /// `\[NOT\] EXISTS (SELECT ...)`.
    Exists {
        /// The subquery.
        query: Box<Select>,
        /// `NOT`.
        negated: bool,
    },
    /// `(SELECT ...)` as a value.
    Subquery(Box<Select>),
    /// Column `column` of the first row of a subquery that must have
    /// `width` columns: each part of `SET (a, b) = (SELECT x, y ...)`.
    RowSubquery {
        /// The subquery.
        query: Box<Select>,
        /// Which of its columns.
        column: usize,
        /// How many columns the assignment takes from it.
        width: usize,
    },
    /// `CASE \[operand\] WHEN .. THEN .. \[ELSE ..\] END`.
    Case {
        /// Operand of a simple CASE.
        operand: Option<Box<Expr>>,
        /// WHEN/THEN pairs.
        whens: Vec<(Expr, Expr)>,
        /// ELSE.
        else_: Option<Box<Expr>>,
    },
    /// `CAST(expr AS type)`.
    Cast {
        /// Operand.
        expr: Box<Expr>,
        /// The type name as written.
        type_name: String,
    },
    /// `expr COLLATE name`.
    Collate {
        /// Operand.
        expr: Box<Expr>,
        /// Collation name.
        collation: String,
    },
    /// A function call (scalar, aggregate or window).
    Function {
        /// Name, as written.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
        /// `count(*)`.
        star: bool,
        /// `DISTINCT` in an aggregate.
        distinct: bool,
        /// `ORDER BY` inside an aggregate (`group_concat(x ORDER BY y)`).
        order_by: Vec<OrderTerm>,
        /// `FILTER (WHERE ...)`.
        filter: Option<Box<Expr>>,
        /// `OVER (...)` or `OVER name`.
        over: Option<Box<WindowSpec>>,
    },
    /// `(a, b, ...)` row value.
    Row(Vec<Expr>),
    /// `RAISE(IGNORE | ROLLBACK|ABORT|FAIL, msg)` in triggers.
    Raise {
        /// The action keyword, lower-case.
        action: String,
        /// The message expression.
        message: Option<Box<Expr>>,
    },
}

impl Expr {
    /// Calls `f` on this expression and every expression inside it, parents
    /// first; subqueries are visited as nodes but not entered.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Literal(_)
            | Expr::Param(_)
            | Expr::Column { .. }
            | Expr::Exists { .. }
            | Expr::Subquery(_)
            | Expr::RowSubquery { .. } => {}
            Expr::Binary { left, right, .. } => {
                left.walk(f);
                right.walk(f);
            }
            Expr::Unary { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Collate { expr, .. }
            | Expr::InSelect { expr, .. } => expr.walk(f),
            Expr::Like { expr, pattern, escape, .. } => {
                expr.walk(f);
                pattern.walk(f);
                if let Some(e) = escape {
                    e.walk(f);
                }
            }
            Expr::Between { expr, low, high, .. } => {
                expr.walk(f);
                low.walk(f);
                high.walk(f);
            }
            Expr::InList { expr, list, .. } => {
                expr.walk(f);
                list.iter().for_each(|x| x.walk(f));
            }
            Expr::Case { operand, whens, else_ } => {
                if let Some(o) = operand {
                    o.walk(f);
                }
                for (w, t) in whens {
                    w.walk(f);
                    t.walk(f);
                }
                if let Some(e) = else_ {
                    e.walk(f);
                }
            }
            Expr::Function { args, filter, .. } => {
                args.iter().for_each(|x| x.walk(f));
                if let Some(e) = filter {
                    e.walk(f);
                }
            }
            Expr::Row(items) => items.iter().for_each(|x| x.walk(f)),
            Expr::Raise { message, .. } => {
                if let Some(m) = message {
                    m.walk(f);
                }
            }
        }
    }
}

/// A window specification.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WindowSpec {
    /// A named base window.
    pub base: Option<String>,
    /// Written `OVER name`, without parentheses: the named window is used
    /// as it is (a frame in it is then no error).
    pub bare: bool,
    /// `PARTITION BY`.
    pub partition_by: Vec<Expr>,
    /// `ORDER BY`.
    pub order_by: Vec<OrderTerm>,
    /// The frame, if given.
    pub frame: Option<WindowFrame>,
}

/// A window frame.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFrame {
    /// `ROWS`, `RANGE` or `GROUPS`.
    pub units: FrameUnits,
    /// Start bound.
    pub start: FrameBound,
    /// End bound (`CURRENT ROW` when only a start is given).
    pub end: FrameBound,
    /// `EXCLUDE ...`.
    pub exclude: FrameExclude,
    /// Whether an EXCLUDE clause was written, even `EXCLUDE NO OTHERS`:
    /// SQLite then aggregates every frame from scratch, which shows in
    /// result types (a `sum` that saw a REAL earlier stays REAL otherwise).
    pub exclude_written: bool,
}

/// Frame units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameUnits {
    /// `ROWS`
    Rows,
    /// `RANGE`
    Range,
    /// `GROUPS`
    Groups,
}

/// A frame bound.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    /// `UNBOUNDED PRECEDING`
    UnboundedPreceding,
    /// `expr PRECEDING`
    Preceding(Box<Expr>),
    /// `CURRENT ROW`
    CurrentRow,
    /// `expr FOLLOWING`
    Following(Box<Expr>),
    /// `UNBOUNDED FOLLOWING`
    UnboundedFollowing,
}

/// `EXCLUDE` clause of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrameExclude {
    /// `EXCLUDE NO OTHERS` (default).
    #[default]
    NoOthers,
    /// `EXCLUDE CURRENT ROW`
    CurrentRow,
    /// `EXCLUDE GROUP`
    Group,
    /// `EXCLUDE TIES`
    Ties,
}

/// Conflict resolution (`OR REPLACE`, `ON CONFLICT ...` in constraints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Conflict {
    /// `ABORT` (the default).
    #[default]
    Abort,
    /// `FAIL`
    Fail,
    /// `IGNORE`
    Ignore,
    /// `REPLACE`
    Replace,
    /// `ROLLBACK`
    Rollback,
}

/// `INSERT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    /// `WITH` tables.
    pub with: Vec<Cte>,
    /// `OR ...` (REPLACE for the `REPLACE` statement).
    pub or: Option<Conflict>,
    /// Target table.
    pub table: String,
    /// Alias (`INSERT INTO t AS x`).
    pub alias: Option<String>,
    /// Column list, empty for all columns.
    pub columns: Vec<String>,
    /// Source of rows.
    pub source: InsertSource,
    /// Upsert clauses in order.
    pub upsert: Vec<Upsert>,
    /// `RETURNING`.
    pub returning: Vec<ResultColumn>,
}

/// Rows to insert.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertSource {
    /// `VALUES` or `SELECT`.
    Select(Box<Select>),
    /// `DEFAULT VALUES`.
    DefaultValues,
}

/// `ON CONFLICT \[(target)\] DO NOTHING | DO UPDATE SET ... \[WHERE ...\]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Upsert {
    /// Conflict target columns (empty: any).
    pub target: Vec<IndexedColumn>,
    /// `WHERE` on the target (partial index).
    pub target_where: Option<Expr>,
    /// `DO UPDATE SET`, or empty for `DO NOTHING`.
    pub set: Vec<Assignment>,
    /// Whether it is `DO NOTHING`.
    pub do_nothing: bool,
    /// `WHERE` of the update.
    pub where_: Option<Expr>,
}

/// `col = expr` or `(a, b) = (..)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Target columns.
    pub columns: Vec<String>,
    /// Value.
    pub value: Expr,
}

/// `UPDATE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// `WITH` tables.
    pub with: Vec<Cte>,
    /// `OR ...`.
    pub or: Option<Conflict>,
    /// Target table.
    pub table: String,
    /// Alias.
    pub alias: Option<String>,
    /// `SET`.
    pub set: Vec<Assignment>,
    /// `FROM` (UPDATE ... FROM).
    pub from: Option<FromItem>,
    /// `WHERE`.
    pub where_: Option<Expr>,
    /// `RETURNING`.
    pub returning: Vec<ResultColumn>,
}

/// `DELETE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    /// `WITH` tables.
    pub with: Vec<Cte>,
    /// Target table.
    pub table: String,
    /// Alias.
    pub alias: Option<String>,
    /// `WHERE`.
    pub where_: Option<Expr>,
    /// `RETURNING`.
    pub returning: Vec<ResultColumn>,
}

/// `CREATE \[TEMP\] TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    /// Name.
    pub name: String,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `TEMP`.
    pub temporary: bool,
    /// Columns.
    pub columns: Vec<ColumnDef>,
    /// Table constraints.
    pub constraints: Vec<TableConstraint>,
    /// `WITHOUT ROWID`.
    pub without_rowid: bool,
    /// `STRICT`.
    pub strict: bool,
    /// `AS SELECT ...`.
    pub as_select: Option<Box<Select>>,
}

/// A column definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    /// Name.
    pub name: String,
    /// Declared type, as written (may be empty).
    pub type_name: String,
    /// Column constraints.
    pub constraints: Vec<ColumnConstraint>,
    /// The DEFAULT value's source text, without enclosing parentheses (what
    /// `PRAGMA table_info` reports).
    pub default_text: Option<String>,
}

/// A column constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnConstraint {
    /// `PRIMARY KEY \[ASC|DESC\] \[conflict\] \[AUTOINCREMENT\]`.
    PrimaryKey {
        /// `DESC`.
        desc: bool,
        /// Conflict clause.
        conflict: Option<Conflict>,
        /// `AUTOINCREMENT`.
        autoincrement: bool,
    },
    /// `NOT NULL \[conflict\]`.
    NotNull(Option<Conflict>),
    /// `UNIQUE \[conflict\]`.
    Unique(Option<Conflict>),
    /// `CHECK (expr)`, with the label its failure is reported by: the
    /// constraint's name, else the expression's source text.
    Check(Expr, String),
    /// `DEFAULT expr`.
    Default(Expr),
    /// `COLLATE name`.
    Collate(String),
    /// `REFERENCES ...`.
    ForeignKey(ForeignKey),
    /// `\[GENERATED ALWAYS\] AS (expr) \[STORED|VIRTUAL\]`.
    Generated {
        /// The expression.
        expr: Expr,
        /// `STORED`.
        stored: bool,
    },
}

/// A table constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum TableConstraint {
    /// `PRIMARY KEY (cols) \[conflict\]`.
    PrimaryKey(Vec<IndexedColumn>, Option<Conflict>),
    /// `UNIQUE (cols) \[conflict\]`.
    Unique(Vec<IndexedColumn>, Option<Conflict>),
    /// `CHECK (expr)`, with its label (as for the column form).
    Check(Expr, String),
    /// `FOREIGN KEY (cols) REFERENCES ...`.
    ForeignKey(Vec<String>, ForeignKey),
}

/// `REFERENCES table \[(cols)\] \[ON DELETE ..\] \[ON UPDATE ..\]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    /// Parent table.
    pub table: String,
    /// Parent columns (empty: its primary key).
    pub columns: Vec<String>,
    /// `ON DELETE` action.
    pub on_delete: FkAction,
    /// `ON UPDATE` action.
    pub on_update: FkAction,
    /// `DEFERRABLE INITIALLY DEFERRED`: checked at COMMIT.
    pub deferred: bool,
}

/// Foreign key actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FkAction {
    /// `NO ACTION` (default).
    #[default]
    NoAction,
    /// `RESTRICT`
    Restrict,
    /// `SET NULL`
    SetNull,
    /// `SET DEFAULT`
    SetDefault,
    /// `CASCADE`
    Cascade,
}

/// An indexed column: an expression with optional collation and order.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedColumn {
    /// The column (an `Expr::Column`) or expression.
    pub expr: Expr,
    /// `COLLATE`.
    pub collation: Option<String>,
    /// `DESC`.
    pub desc: bool,
}

/// `CREATE \[UNIQUE\] INDEX`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    /// Name.
    pub name: String,
    /// Table.
    pub table: String,
    /// `UNIQUE`.
    pub unique: bool,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// Key columns.
    pub columns: Vec<IndexedColumn>,
    /// Partial index `WHERE`.
    pub where_: Option<Expr>,
}

/// `CREATE \[TEMP\] VIEW`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateView {
    /// Name.
    pub name: String,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `TEMP`.
    pub temporary: bool,
    /// Column names.
    pub columns: Vec<String>,
    /// The query.
    pub query: Box<Select>,
}
