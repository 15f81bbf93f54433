//! Unit tests: each construct, asserted on the resulting AST.

use super::lexer::Lexed;
use super::{ParseError, ParsedStatement, parse_sql, syntax_error_offset};
use crate::ast::*;
use crate::value::Value;

// ----- helpers -------------------------------------------------------------

fn all(sql: &str) -> Vec<ParsedStatement> {
    match parse_sql(sql) {
        Ok(v) => v,
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn one(sql: &str) -> Statement {
    let mut v = all(sql);
    assert_eq!(v.len(), 1, "{sql}");
    v.remove(0).statement
}

fn select(sql: &str) -> Select {
    match one(sql) {
        Statement::Select(s) => *s,
        other => panic!("{sql}: {other:?}"),
    }
}

fn core_of(s: &Select) -> &SelectCore {
    match &s.body {
        SelectBody::Select(c) => c,
        other => panic!("{other:?}"),
    }
}

fn core(sql: &str) -> SelectCore {
    core_of(&select(sql)).clone()
}

/// The result columns of `SELECT <cols>`.
fn columns(cols: &str) -> Vec<ResultColumn> {
    core(&format!("SELECT {cols}")).columns
}

/// The expression of `SELECT <e>`.
fn expr(e: &str) -> Expr {
    match columns(e).into_iter().next() {
        Some(ResultColumn::Expr { expr, .. }) => expr,
        other => panic!("{e}: {other:?}"),
    }
}

fn err(sql: &str) -> ParseError {
    match parse_sql(sql) {
        Ok(v) => panic!("{sql} parsed: {v:?}"),
        Err(e) => e,
    }
}

fn syntax(sql: &str, near: &str) {
    assert_eq!(err(sql), ParseError::Syntax(near.into()), "{sql}");
}

fn col(name: &str) -> Expr {
    Expr::Column { table: None, name: name.into() }
}

fn qcol(table: &str, name: &str) -> Expr {
    Expr::Column { table: Some(table.into()), name: name.into() }
}

fn int(i: i64) -> Expr {
    Expr::Literal(Value::Integer(i))
}

fn text(s: &str) -> Expr {
    Expr::Literal(Value::Text(s.into()))
}

fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    Expr::Binary { op, left: Box::new(l), right: Box::new(r) }
}

fn un(op: UnaryOp, e: Expr) -> Expr {
    Expr::Unary { op, expr: Box::new(e) }
}

fn func(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function { name: name.into(), args, star: false, distinct: false, order_by: vec![], filter: None, over: None }
}

fn table(name: &str) -> FromItem {
    FromItem::Table { schema: None, name: name.into(), alias: None, indexed: None }
}

fn like(op: LikeOp, negated: bool, e: Expr, p: Expr, escape: Option<Expr>) -> Expr {
    Expr::Like { op, negated, expr: Box::new(e), pattern: Box::new(p), escape: escape.map(Box::new) }
}

fn term(e: Expr, desc: bool, nulls_first: Option<bool>) -> OrderTerm {
    OrderTerm { expr: e, desc, nulls_first }
}

fn span_of(rc: &ResultColumn) -> &str {
    match rc {
        ResultColumn::Expr { span, .. } => span,
        other => panic!("{other:?}"),
    }
}

// ----- statements and their text -------------------------------------------

#[test]
fn splits_statements_and_keeps_their_text() {
    let v = all("  SELECT 1 ;; -- nothing\n SELECT 2;\n/* c */ CREATE TABLE t(a /* inner */ INT)  ;  ");
    let texts: Vec<&str> = v.iter().map(|p| p.sql.as_str()).collect();
    assert_eq!(texts, ["SELECT 1", "SELECT 2", "CREATE TABLE t(a /* inner */ INT)"]);
    assert!(all("").is_empty());
    assert!(all(" ; -- only a comment\n ;").is_empty());
    assert_eq!(all("SELECT 'a;b'; SELECT \"c;d\"").len(), 2);
}

#[test]
fn schema_text_is_what_sqlite_stores() {
    use super::schema_text;
    assert_eq!(
        schema_text("create  table IF NOT EXISTS main.\"x\"  (a /* c */ int)").as_deref(),
        Some("CREATE TABLE \"x\"  (a /* c */ int)")
    );
    assert_eq!(schema_text("create temp table if not exists temp.q(a)").as_deref(), Some("CREATE TABLE q(a)"));
    assert_eq!(
        schema_text("create unique index if not exists ux on q(a) where a > 1").as_deref(),
        Some("CREATE UNIQUE INDEX ux on q(a) where a > 1")
    );
    assert_eq!(
        schema_text("create temporary view vv(x) as select 2").as_deref(),
        Some("CREATE VIEW vv(x) as select 2")
    );
    assert_eq!(
        schema_text("create trigger if not exists main.tr after insert on t begin select 1; end").as_deref(),
        Some("CREATE TRIGGER tr after insert on t begin select 1; end")
    );
    assert_eq!(schema_text("SELECT 1"), None);
    assert_eq!(schema_text("CREATE UNIQUE TABLE t(a)"), None);
}

#[test]
fn trigger_bodies_keep_their_semicolons() {
    let sql = "CREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; DELETE FROM u; END; SELECT 3";
    let lx = Lexed::new(sql).expect("lexes");
    let texts: Vec<&str> = lx.statements().iter().map(|r| lx.text(r.start, r.end)).collect();
    assert_eq!(
        texts,
        ["CREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; DELETE FROM u; END", "SELECT 3"]
    );
}

#[test]
fn multi_byte_text_is_sliced_by_bytes() {
    let v = all("SELECT 'é', \"ü\"  ||  'ß' ; CREATE TABLE \"ünï\"(ç)");
    assert_eq!(v[0].sql, "SELECT 'é', \"ü\"  ||  'ß'");
    assert_eq!(v[1].sql, "CREATE TABLE \"ünï\"(ç)");
    let cols = columns("'é', \"ü\"  ||  'ß'");
    assert_eq!(span_of(&cols[1]), "\"ü\"  ||  'ß'");
}

// ----- literals, names, parameters -----------------------------------------

#[test]
fn literals() {
    assert_eq!(expr("42"), int(42));
    assert_eq!(expr("0x1F"), int(31));
    assert_eq!(expr("0XfF"), int(255));
    assert_eq!(expr("0xFFFFFFFFFFFFFFFF"), int(-1));
    assert_eq!(expr("0x7FFFFFFFFFFFFFFF"), int(i64::MAX));
    assert_eq!(expr("9223372036854775807"), int(i64::MAX));
    assert_eq!(expr("9223372036854775808"), Expr::Literal(Value::Real(9223372036854775808.0)));
    assert_eq!(expr("-9223372036854775808"), int(i64::MIN));
    assert_eq!(expr("-1"), un(UnaryOp::Neg, int(1)));
    assert_eq!(expr("1.5"), Expr::Literal(Value::Real(1.5)));
    assert_eq!(expr(".5"), Expr::Literal(Value::Real(0.5)));
    assert_eq!(expr("5."), Expr::Literal(Value::Real(5.0)));
    assert_eq!(expr("1e3"), Expr::Literal(Value::Real(1000.0)));
    assert_eq!(expr("1.5E-3"), Expr::Literal(Value::Real(0.0015)));
    assert_eq!(expr("1_000"), int(1000));
    assert_eq!(expr("'it''s'"), text("it's"));
    assert_eq!(expr("''"), text(""));
    assert_eq!(expr("x'0aFF'"), Expr::Literal(Value::Blob(vec![0x0a, 0xff])));
    assert_eq!(expr("X''"), Expr::Literal(Value::Blob(vec![])));
    assert_eq!(expr("NULL"), Expr::Literal(Value::Null));
    assert_eq!(expr("TRUE"), int(1));
    assert_eq!(expr("false"), int(0));
    for (sql, name) in
        [("CURRENT_TIME", "current_time"), ("current_date", "current_date"), ("CURRENT_TIMESTAMP", "current_timestamp")]
    {
        assert_eq!(expr(sql), func(name, vec![]));
    }
}

#[test]
fn names() {
    assert_eq!(expr("a"), col("a"));
    assert_eq!(expr("\"a b\""), col("a b"));
    assert_eq!(expr("\"x\"\"y\""), col("x\"y"));
    assert_eq!(expr("[a b]"), col("a b"));
    assert_eq!(expr("`a`"), col("a"));
    assert_eq!(expr("t.a"), qcol("t", "a"));
    assert_eq!(expr("main.t.a"), qcol("t", "a"));
    assert_eq!(expr("\"t\".[a]"), qcol("t", "a"));
    // Words other databases reserve are names in SQLite.
    for w in ["key", "value", "date", "time", "timestamp", "interval", "name", "type", "left", "right", "filter", "row"]
    {
        assert_eq!(expr(w), col(w), "{w}");
    }
    assert_eq!(expr("interval.x"), qcol("interval", "x"));
    assert_eq!(expr("trim"), col("trim"));
    assert_eq!(expr("date('now')"), func("date", vec![text("now")]));
}

#[test]
fn parameters_follow_sqlite_numbering() {
    let got: Vec<Expr> = columns("?, ?3, ?, :a, @b, $c, ?, :a, ?2")
        .into_iter()
        .map(|c| match c {
            ResultColumn::Expr { expr, .. } => expr,
            other => panic!("{other:?}"),
        })
        .collect();
    let idx = |i| Expr::Param(Param::Index(i));
    let named = |n: &str, i| Expr::Param(Param::Named(n.into(), i));
    assert_eq!(
        got,
        [idx(1), idx(3), idx(4), named(":a", 5), named("@b", 6), named("$c", 7), idx(8), named(":a", 5), idx(2)]
    );
    // Numbering restarts with each statement.
    let v = all("SELECT ?; SELECT ?");
    for p in v {
        let Statement::Select(s) = p.statement else { panic!() };
        let ResultColumn::Expr { expr, .. } = &core_of(&s).columns[0] else { panic!() };
        assert_eq!(*expr, idx(1));
    }
    assert_eq!(err("SELECT ?0"), ParseError::Unsupported("variable number must be between ?1 and ?32766".into()));
    assert_eq!(expr(":1"), named(":1", 1));
}

// ----- operators -----------------------------------------------------------

#[test]
fn binary_operators() {
    use BinaryOp::*;
    for (sql, op) in [
        ("a + b", Add),
        ("a - b", Sub),
        ("a * b", Mul),
        ("a / b", Div),
        ("a % b", Rem),
        ("a || b", Concat),
        ("a = b", Eq),
        ("a == b", Eq),
        ("a <> b", NotEq),
        ("a != b", NotEq),
        ("a < b", Lt),
        ("a <= b", LtEq),
        ("a > b", Gt),
        ("a >= b", GtEq),
        ("a IS b", Is),
        ("a IS NOT b", IsNot),
        ("a IS NOT DISTINCT FROM b", Is),
        ("a IS DISTINCT FROM b", IsNot),
        ("a AND b", And),
        ("a OR b", Or),
        ("a & b", BitAnd),
        ("a | b", BitOr),
        ("a << b", ShiftLeft),
        ("a >> b", ShiftRight),
        ("a -> b", Arrow),
        ("a ->> b", LongArrow),
    ] {
        assert_eq!(expr(sql), bin(op, col("a"), col("b")), "{sql}");
    }
}

#[test]
fn unary_operators() {
    assert_eq!(expr("-a"), un(UnaryOp::Neg, col("a")));
    assert_eq!(expr("+a"), un(UnaryOp::Plus, col("a")));
    assert_eq!(expr("~a"), un(UnaryOp::BitNot, col("a")));
    assert_eq!(expr("~~a"), un(UnaryOp::BitNot, un(UnaryOp::BitNot, col("a"))));
    assert_eq!(expr("NOT a"), un(UnaryOp::Not, col("a")));
    assert_eq!(expr("- - 1"), un(UnaryOp::Neg, un(UnaryOp::Neg, int(1))));
}

#[test]
fn precedence_follows_sqlite() {
    use BinaryOp::*;
    let (a, b, c) = (col("a"), col("b"), col("c"));
    // `||` binds tighter than `*`.
    assert_eq!(expr("2 * 3 || 4"), bin(Mul, int(2), bin(Concat, int(3), int(4))));
    assert_eq!(expr("a -> b || c"), bin(Concat, bin(Arrow, a.clone(), b.clone()), c.clone()));
    // Prefix operators bind tighter than any binary operator.
    assert_eq!(expr("~1 * 2"), bin(Mul, un(UnaryOp::BitNot, int(1)), int(2)));
    assert_eq!(expr("-1 || 2"), bin(Concat, un(UnaryOp::Neg, int(1)), int(2)));
    assert_eq!(
        expr("-a COLLATE nocase"),
        Expr::Collate { expr: Box::new(un(UnaryOp::Neg, a.clone())), collation: "nocase".into() }
    );
    assert_eq!(expr("a + b * c"), bin(Add, a.clone(), bin(Mul, b.clone(), c.clone())));
    assert_eq!(expr("a & b + c"), bin(BitAnd, a.clone(), bin(Add, b.clone(), c.clone())));
    assert_eq!(expr("a << b | c"), bin(BitOr, bin(ShiftLeft, a.clone(), b.clone()), c.clone()));
    assert_eq!(expr("a = b < c"), bin(Eq, a.clone(), bin(Lt, b.clone(), c.clone())));
    // `=`, `IS`, `LIKE` share one level, left to right.
    assert_eq!(expr("a LIKE b = c"), bin(Eq, like(LikeOp::Like, false, a.clone(), b.clone(), None), c.clone()));
    assert_eq!(expr("a IS b = c"), bin(Eq, bin(Is, a.clone(), b.clone()), c.clone()));
    assert_eq!(expr("a = b IS c"), bin(Is, bin(Eq, a.clone(), b.clone()), c.clone()));
    assert_eq!(expr("a = b = c"), bin(Eq, bin(Eq, a.clone(), b.clone()), c.clone()));
    assert_eq!(expr("NOT a = b"), un(UnaryOp::Not, bin(Eq, a.clone(), b.clone())));
    assert_eq!(expr("NOT a AND b"), bin(And, un(UnaryOp::Not, a.clone()), b.clone()));
    assert_eq!(expr("a OR b AND c"), bin(Or, a.clone(), bin(And, b.clone(), c.clone())));
    assert_eq!(expr("1 - 2 - 3"), bin(Sub, bin(Sub, int(1), int(2)), int(3)));
    assert_eq!(expr("(a + b) * c"), bin(Mul, bin(Add, a.clone(), b.clone()), c.clone()));
    assert_eq!(
        expr("a BETWEEN 1 AND 2 AND c"),
        bin(
            And,
            Expr::Between { expr: Box::new(a.clone()), negated: false, low: Box::new(int(1)), high: Box::new(int(2)) },
            c.clone()
        )
    );
    assert_eq!(
        expr("a BETWEEN b + 1 AND c = 1"),
        bin(
            Eq,
            Expr::Between {
                expr: Box::new(a.clone()),
                negated: false,
                low: Box::new(bin(Add, b.clone(), int(1))),
                high: Box::new(c.clone())
            },
            int(1)
        )
    );
}

#[test]
fn sqlite_operator_quirks() {
    use BinaryOp::*;
    let null = Expr::Literal(Value::Null);
    // `IS` is a binary operator: `x IS NULL + 1` compares with `NULL + 1`.
    assert_eq!(expr("0 IS NULL + 1"), bin(Is, int(0), bin(Add, null, int(1))));
    // `COLLATE` is a postfix operator of its own, tighter than `||`.
    let isnull = Expr::IsNull { expr: Box::new(col("a")), negated: false };
    assert_eq!(expr("a ISNULL COLLATE nocase"), Expr::Collate { expr: Box::new(isnull), collation: "nocase".into() });
    let collate_b = Expr::Collate { expr: Box::new(col("b")), collation: "c".into() };
    assert_eq!(expr("a || b COLLATE c"), bin(Concat, col("a"), collate_b));
    // `- +x` is one operator.
    assert_eq!(expr("- +a"), un(UnaryOp::Neg, col("a")));
    assert_eq!(expr("-(+9223372036854775808)"), int(i64::MIN));
    assert_eq!(expr("-(9223372036854775808)"), int(i64::MIN));
}

#[test]
fn reserved_words_are_not_names() {
    syntax("SELECT a AS from", "from");
    syntax("SELECT a FROM t AS select", "select");
    syntax("SELECT x COLLATE case", "case");
    syntax("SELECT t.where FROM t", "where");
    syntax("SELECT * FROM t WHERE create a", "create");
    syntax("SELECT 1 IN (1, case)", ")");
    syntax("WITH create AS (SELECT 1) SELECT 1", "create");
    syntax("CREATE TABLE t(a COLLATE order)", "order");
    // SQLite's other keywords are names.
    let c = core("SELECT a AS key, b end, c offset FROM t view WHERE replace = 1 ORDER BY action");
    let aliases: Vec<Option<&str>> = c
        .columns
        .iter()
        .map(|rc| match rc {
            ResultColumn::Expr { alias, .. } => alias.as_deref(),
            _ => None,
        })
        .collect();
    assert_eq!(aliases, [Some("key"), Some("end"), Some("offset")]);
    assert_eq!(
        c.from,
        Some(FromItem::Table { schema: None, name: "t".into(), alias: Some("view".into()), indexed: None })
    );
    assert_eq!(c.where_, Some(bin(BinaryOp::Eq, col("replace"), int(1))));
    let c = core("SELECT 1 FROM t WINDOW w AS (ORDER BY a)");
    assert_eq!((c.from, c.windows.len()), (Some(table("t")), 1));
}

#[test]
fn null_tests() {
    let isnull = |negated| Expr::IsNull { expr: Box::new(col("a")), negated };
    assert_eq!(expr("a ISNULL"), isnull(false));
    assert_eq!(expr("a IS NULL"), isnull(false));
    assert_eq!(expr("a NOTNULL"), isnull(true));
    assert_eq!(expr("a NOT NULL"), isnull(true));
    assert_eq!(expr("a IS NOT NULL"), isnull(true));
    assert!(core("SELECT 1 FROM t WHERE b ISNULL AND c NOTNULL").where_.is_some());
}

#[test]
fn truth_tests_are_truth_tests() {
    let case = |cond: Expr, then: i64, else_: i64| Expr::Case {
        operand: None,
        whens: vec![(cond, int(then))],
        else_: Some(Box::new(int(else_))),
    };
    assert_eq!(expr("a IS TRUE"), case(col("a"), 1, 0));
    assert_eq!(expr("a IS NOT TRUE"), case(col("a"), 0, 1));
    assert_eq!(expr("a IS FALSE"), case(un(UnaryOp::Not, col("a")), 1, 0));
    assert_eq!(expr("a IS NOT FALSE"), case(un(UnaryOp::Not, col("a")), 0, 1));
    assert_eq!(expr("a IS (TRUE)"), case(col("a"), 1, 0));
    assert_eq!(expr("a = TRUE"), bin(BinaryOp::Eq, col("a"), int(1)));
}

#[test]
fn like_family() {
    let (a, p) = (col("a"), text("x%"));
    assert_eq!(expr("a LIKE 'x%'"), like(LikeOp::Like, false, a.clone(), p.clone(), None));
    assert_eq!(expr("a NOT LIKE 'x%' ESCAPE '!'"), like(LikeOp::Like, true, a.clone(), p.clone(), Some(text("!"))));
    assert_eq!(expr("a GLOB 'x%'"), like(LikeOp::Glob, false, a.clone(), p.clone(), None));
    assert_eq!(expr("a NOT GLOB 'x%'"), un(UnaryOp::Not, like(LikeOp::Glob, false, a.clone(), p.clone(), None)));
    assert_eq!(expr("a REGEXP 'x%'"), like(LikeOp::Regexp, false, a.clone(), p.clone(), None));
    assert_eq!(expr("a NOT REGEXP 'x%'"), un(UnaryOp::Not, like(LikeOp::Regexp, false, a.clone(), p.clone(), None)));
    assert_eq!(expr("a MATCH 'x%'"), like(LikeOp::Match, false, a.clone(), p.clone(), None));
    assert_eq!(expr("a GLOB 'x%' ESCAPE '!'"), like(LikeOp::Glob, false, a.clone(), p.clone(), Some(text("!"))));
    assert_eq!(
        expr("a LIKE ? ESCAPE ?"),
        like(LikeOp::Like, false, a.clone(), Expr::Param(Param::Index(1)), Some(Expr::Param(Param::Index(2))))
    );
}

#[test]
fn in_between_exists_subqueries() {
    let a = Box::new(col("a"));
    assert_eq!(expr("a IN (1, 2)"), Expr::InList { expr: a.clone(), list: vec![int(1), int(2)], negated: false });
    assert_eq!(expr("a NOT IN ()"), Expr::InList { expr: a.clone(), list: vec![], negated: true });
    let Expr::InSelect { query, negated: false, .. } = expr("a IN (SELECT b FROM t)") else { panic!() };
    assert_eq!(core_of(&query).from, Some(table("t")));
    // `IN table` reads the whole table.
    let Expr::InSelect { query, negated: true, .. } = expr("a NOT IN main.t") else { panic!() };
    assert_eq!(core_of(&query).columns, vec![ResultColumn::Star]);
    assert_eq!(
        core_of(&query).from,
        Some(FromItem::Table { schema: Some("main".into()), name: "t".into(), alias: None, indexed: None })
    );
    let Expr::InSelect { query, .. } = expr("a IN json_each('[1]')") else { panic!() };
    assert_eq!(
        core_of(&query).from,
        Some(FromItem::Function { name: "json_each".into(), args: vec![text("[1]")], alias: None })
    );
    assert_eq!(
        expr("a NOT BETWEEN 1 AND 2"),
        Expr::Between { expr: a.clone(), negated: true, low: Box::new(int(1)), high: Box::new(int(2)) }
    );
    assert!(matches!(expr("EXISTS (SELECT 1)"), Expr::Exists { negated: false, .. }));
    assert!(matches!(expr("NOT EXISTS (SELECT 1)"), Expr::Exists { negated: true, .. }));
    assert!(matches!(expr("(SELECT max(a) FROM t)"), Expr::Subquery(_)));
    assert_eq!(
        expr("(a, b) IN ((1, 2))"),
        Expr::InList {
            expr: Box::new(Expr::Row(vec![col("a"), col("b")])),
            list: vec![Expr::Row(vec![int(1), int(2)])],
            negated: false
        }
    );
    assert_eq!(
        expr("(a, b) = (1, 2)"),
        bin(BinaryOp::Eq, Expr::Row(vec![col("a"), col("b")]), Expr::Row(vec![int(1), int(2)]))
    );
}

#[test]
fn case_cast_collate() {
    assert_eq!(
        expr("CASE a WHEN 1 THEN 'x' WHEN 2 THEN 'y' ELSE 'z' END"),
        Expr::Case {
            operand: Some(Box::new(col("a"))),
            whens: vec![(int(1), text("x")), (int(2), text("y"))],
            else_: Some(Box::new(text("z")))
        }
    );
    assert_eq!(
        expr("CASE WHEN a THEN 1 END"),
        Expr::Case { operand: None, whens: vec![(col("a"), int(1))], else_: None }
    );
    let cast = |t: &str| Expr::Cast { expr: Box::new(col("a")), type_name: t.into() };
    assert_eq!(expr("CAST(a AS INTEGER)"), cast("INTEGER"));
    assert_eq!(expr("CAST(a AS VARCHAR(10))"), cast("VARCHAR(10)"));
    assert_eq!(expr("CAST(a AS UNSIGNED  BIG INT)"), cast("UNSIGNED  BIG INT"));
    assert_eq!(expr("CAST(a AS DOUBLE PRECISION)"), cast("DOUBLE PRECISION"));
    assert_eq!(expr("CAST(a AS DECIMAL(10, -2))"), cast("DECIMAL(10, -2)"));
    assert_eq!(expr("CAST(a AS \"text\")"), cast("text"));
    assert_eq!(expr("CAST(a AS)"), cast(""));
    assert_eq!(expr("a COLLATE NOCASE"), Expr::Collate { expr: Box::new(col("a")), collation: "NOCASE".into() });
    assert_eq!(expr("a COLLATE \"rtrim\""), Expr::Collate { expr: Box::new(col("a")), collation: "rtrim".into() });
}

#[test]
fn functions() {
    assert_eq!(expr("abs(-1)"), func("abs", vec![un(UnaryOp::Neg, int(1))]));
    assert_eq!(expr("random()"), func("random", vec![]));
    let Expr::Function { name, star, args, .. } = expr("count(*)") else { panic!() };
    assert_eq!((name.as_str(), star, args.len()), ("count", true, 0));
    let Expr::Function { distinct, args, .. } = expr("count(DISTINCT a)") else { panic!() };
    assert!(distinct);
    assert_eq!(args, vec![col("a")]);
    let Expr::Function { order_by, args, .. } = expr("group_concat(a, ',' ORDER BY b DESC)") else { panic!() };
    assert_eq!(args, vec![col("a"), text(",")]);
    assert_eq!(order_by, vec![term(col("b"), true, None)]);
    let Expr::Function { filter, .. } = expr("sum(a) FILTER (WHERE a > 1)") else { panic!() };
    assert_eq!(filter, Some(Box::new(bin(BinaryOp::Gt, col("a"), int(1)))));
    // Special forms elsewhere are plain calls in SQLite.
    assert_eq!(expr("trim(a, 'x')"), func("trim", vec![col("a"), text("x")]));
    assert_eq!(expr("substr(a, 1, 2)"), func("substr", vec![col("a"), int(1), int(2)]));
    assert_eq!(expr("SUBSTRING(a, 1)"), func("SUBSTRING", vec![col("a"), int(1)]));
    assert_eq!(expr("ceil(a)"), func("ceil", vec![col("a")]));
    assert_eq!(expr("left(a, 1)"), func("left", vec![col("a"), int(1)]));
    assert_eq!(expr("replace(a, 'b', 'c')"), func("replace", vec![col("a"), text("b"), text("c")]));
    assert_eq!(expr("RAISE(IGNORE)"), Expr::Raise { action: "ignore".into(), message: None });
    assert_eq!(
        expr("raise(ABORT, 'no')"),
        Expr::Raise { action: "abort".into(), message: Some(Box::new(Expr::Literal(Value::Text("no".into())))) }
    );
}

#[test]
fn windows() {
    let Expr::Function { over: Some(over), .. } =
        expr("sum(a) OVER (PARTITION BY b ORDER BY c ROWS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE TIES)")
    else {
        panic!()
    };
    assert_eq!(
        *over,
        WindowSpec {
            base: None,
            bare: false,
            partition_by: vec![col("b")],
            order_by: vec![term(col("c"), false, None)],
            frame: Some(WindowFrame {
                units: FrameUnits::Rows,
                start: FrameBound::Preceding(Box::new(int(1))),
                end: FrameBound::CurrentRow,
                exclude: FrameExclude::Ties,
                exclude_written: true,
            }),
        }
    );
    let Expr::Function { over: Some(over), filter: Some(_), .. } = expr("count(*) FILTER (WHERE a) OVER w") else {
        panic!()
    };
    assert_eq!(*over, WindowSpec { base: Some("w".into()), bare: true, ..WindowSpec::default() });
    let c = core(
        "SELECT rank() OVER (w ORDER BY a GROUPS 2 FOLLOWING EXCLUDE NO OTHERS), \
         lag(a) OVER v FROM t WINDOW w AS (PARTITION BY b), \
         v AS (ORDER BY a RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW), \
         u AS (ROWS CURRENT ROW EXCLUDE GROUP)",
    );
    let ResultColumn::Expr { expr: Expr::Function { over: Some(over), .. }, .. } = &c.columns[0] else { panic!() };
    assert_eq!(over.base.as_deref(), Some("w"));
    assert_eq!(
        over.frame,
        Some(WindowFrame {
            units: FrameUnits::Groups,
            start: FrameBound::Following(Box::new(int(2))),
            end: FrameBound::CurrentRow,
            exclude: FrameExclude::NoOthers,
            exclude_written: true,
        })
    );
    let names: Vec<&str> = c.windows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["w", "v", "u"]);
    assert_eq!(c.windows[0].1.partition_by, vec![col("b")]);
    assert_eq!(
        c.windows[1].1.frame,
        Some(WindowFrame {
            units: FrameUnits::Range,
            start: FrameBound::UnboundedPreceding,
            end: FrameBound::UnboundedFollowing,
            exclude: FrameExclude::CurrentRow,
            exclude_written: true,
        })
    );
    assert_eq!(c.windows[2].1.frame.as_ref().map(|f| f.exclude), Some(FrameExclude::Group));
    // A column named `exclude` is still a column.
    assert_eq!(expr("exclude"), col("exclude"));
}

// ----- queries -------------------------------------------------------------

#[test]
fn result_column_spans_are_source_text() {
    let cols =
        columns("a  +  1, count ( * ), \"x\" , [b] AS q, c d, t.*, *, a IS NOT DISTINCT FROM b, (SELECT 1 FROM t)");
    let spans: Vec<Option<&str>> = cols
        .iter()
        .map(|c| match c {
            ResultColumn::Expr { span, .. } => Some(span.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        spans,
        [
            Some("a  +  1"),
            Some("count ( * )"),
            Some("\"x\""),
            Some("[b]"),
            Some("c"),
            None,
            None,
            Some("a IS NOT DISTINCT FROM b"),
            Some("(SELECT 1 FROM t)")
        ]
    );
    assert_eq!(cols[5], ResultColumn::TableStar("t".into()));
    assert_eq!(cols[6], ResultColumn::Star);
    let ResultColumn::Expr { alias, .. } = &cols[3] else { panic!() };
    assert_eq!(alias.as_deref(), Some("q"));
    let c = core("SELECT DISTINCT a+1 AS x, b FROM t WHERE 1");
    assert!(c.distinct);
    assert_eq!(c.columns.iter().map(span_of).collect::<Vec<_>>(), ["a+1", "b"]);
    let c = core("SELECT ALL  sum(a) OVER (ORDER BY b) FROM t");
    assert_eq!(span_of(&c.columns[0]), "sum(a) OVER (ORDER BY b)");
    let s = select("SELECT x FROM (SELECT a+1 AS x, b*2 FROM t) UNION SELECT y  ||  z FROM u ORDER BY 1");
    let SelectBody::Select(second) = &s.compound[0].1 else { panic!() };
    assert_eq!(span_of(&second.columns[0]), "y  ||  z");
    let Some(FromItem::Subquery { query, .. }) = &core_of(&s).from else { panic!() };
    assert_eq!(core_of(query).columns.iter().map(span_of).collect::<Vec<_>>(), ["a+1", "b*2"]);
}

#[test]
fn select_clauses() {
    let s = select(
        "SELECT a, count(*) FROM t WHERE b > 1 GROUP BY a HAVING count(*) > 2 ORDER BY 2 DESC NULLS FIRST, a NULLS LAST LIMIT 10 OFFSET 5",
    );
    let c = core_of(&s);
    assert_eq!(c.from, Some(table("t")));
    assert_eq!(c.where_, Some(bin(BinaryOp::Gt, col("b"), int(1))));
    assert_eq!(c.group_by, vec![col("a")]);
    assert!(c.having.is_some());
    assert_eq!(s.order_by, vec![term(int(2), true, Some(true)), term(col("a"), false, Some(false))]);
    assert_eq!((s.limit, s.offset), (Some(int(10)), Some(int(5))));
    // `LIMIT a, b` is offset a, limit b.
    let s = select("SELECT 1 LIMIT 3, 4");
    assert_eq!((s.limit, s.offset), (Some(int(4)), Some(int(3))));
    let s = select("SELECT 1 ORDER BY a COLLATE nocase ASC");
    assert_eq!(
        s.order_by,
        vec![term(Expr::Collate { expr: Box::new(col("a")), collation: "nocase".into() }, false, None)]
    );
}

#[test]
fn compounds_flatten_left_to_right() {
    let s =
        select("SELECT 1 UNION SELECT 2 INTERSECT SELECT 3 EXCEPT VALUES (4) UNION ALL SELECT 5 ORDER BY 1 LIMIT 1");
    let ops: Vec<CompoundOp> = s.compound.iter().map(|(op, _)| *op).collect();
    assert_eq!(ops, [CompoundOp::Union, CompoundOp::Intersect, CompoundOp::Except, CompoundOp::UnionAll]);
    assert!(matches!(s.compound[2].1, SelectBody::Values(_)));
    assert_eq!(s.limit, Some(int(1)));
    // ORDER BY and LIMIT belong to the last SELECT: a VALUES has none.
    syntax("SELECT 1 UNION ALL VALUES (5) ORDER BY 1 LIMIT 1", "ORDER");
    syntax("VALUES (5) LIMIT 1", "LIMIT");
    syntax("SELECT 1 UNION (SELECT 2)", "(");
}

#[test]
fn values_and_with() {
    let s = select("VALUES (1, 'a'), (2, NULL)");
    assert_eq!(s.body, SelectBody::Values(vec![vec![int(1), text("a")], vec![int(2), Expr::Literal(Value::Null)]]));
    let s = select(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10), d AS MATERIALIZED (SELECT 2) SELECT x FROM c",
    );
    assert!(s.recursive);
    assert_eq!(s.with.len(), 2);
    assert_eq!((s.with[0].name.as_str(), s.with[0].columns.clone()), ("c", vec!["x".to_string()]));
    assert_eq!(s.with[0].query.compound[0].0, CompoundOp::UnionAll);
    assert_eq!(s.with[1].name, "d");
    let s = select("WITH a AS NOT MATERIALIZED (SELECT 1) SELECT * FROM a");
    assert!(!s.recursive);
}

#[test]
fn joins() {
    let join = |left: FromItem, right: FromItem, kind: JoinKind, natural: bool, on: Option<Expr>, using: Vec<&str>| {
        FromItem::Join {
            left: Box::new(left),
            right: Box::new(right),
            kind,
            natural,
            on,
            using: using.into_iter().map(String::from).collect(),
        }
    };
    // `a, b LEFT JOIN c ON ..` is `(a, b) LEFT JOIN c`, as in SQLite.
    let on = bin(BinaryOp::Eq, qcol("c", "x"), qcol("a", "x"));
    assert_eq!(
        core("SELECT * FROM a, b LEFT JOIN c ON c.x = a.x").from,
        Some(join(
            join(table("a"), table("b"), JoinKind::Inner, false, None, vec![]),
            table("c"),
            JoinKind::Left,
            false,
            Some(on),
            vec![]
        ))
    );
    for (sql, kind, natural) in [
        ("a JOIN b", JoinKind::Inner, false),
        ("a INNER JOIN b", JoinKind::Inner, false),
        ("a LEFT OUTER JOIN b", JoinKind::Left, false),
        ("a LEFT JOIN b", JoinKind::Left, false),
        ("a RIGHT JOIN b", JoinKind::Right, false),
        ("a FULL OUTER JOIN b", JoinKind::Full, false),
        ("a CROSS JOIN b", JoinKind::Cross, false),
        ("a NATURAL JOIN b", JoinKind::Inner, true),
        ("a NATURAL LEFT JOIN b", JoinKind::Left, true),
        ("a NATURAL CROSS JOIN b", JoinKind::Inner, true),
    ] {
        assert_eq!(
            core(&format!("SELECT * FROM {sql}")).from,
            Some(join(table("a"), table("b"), kind, natural, None, vec![])),
            "{sql}"
        );
    }
    assert_eq!(
        core("SELECT * FROM a JOIN b USING (x, y)").from,
        Some(join(table("a"), table("b"), JoinKind::Inner, false, None, vec!["x", "y"]))
    );
    assert_eq!(
        core("SELECT * FROM a JOIN (b JOIN c ON 1) ON 2").from,
        Some(join(
            table("a"),
            join(table("b"), table("c"), JoinKind::Inner, false, Some(int(1)), vec![]),
            JoinKind::Inner,
            false,
            Some(int(2)),
            vec![]
        ))
    );
}

#[test]
fn from_items() {
    let c = core(
        "SELECT * FROM main.t AS x INDEXED BY i, u NOT INDEXED, (SELECT 1) s, json_each('[1]') AS j, generate_series(1, 3)",
    );
    let mut items = Vec::new();
    let mut cur = c.from.expect("from");
    while let FromItem::Join { left, right, .. } = cur {
        items.push(*right);
        cur = *left;
    }
    items.push(cur);
    items.reverse();
    assert_eq!(
        items[0],
        FromItem::Table {
            schema: Some("main".into()),
            name: "t".into(),
            alias: Some("x".into()),
            indexed: Some(Some("i".into()))
        }
    );
    assert_eq!(items[1], FromItem::Table { schema: None, name: "u".into(), alias: None, indexed: Some(None) });
    assert!(matches!(&items[2], FromItem::Subquery { alias: Some(a), .. } if a == "s"));
    assert_eq!(
        items[3],
        FromItem::Function { name: "json_each".into(), args: vec![text("[1]")], alias: Some("j".into()) }
    );
    assert_eq!(
        items[4],
        FromItem::Function { name: "generate_series".into(), args: vec![int(1), int(3)], alias: None }
    );
}

// ----- DML -----------------------------------------------------------------

fn insert(sql: &str) -> Insert {
    match one(sql) {
        Statement::Insert(i) => *i,
        other => panic!("{other:?}"),
    }
}

#[test]
fn inserts() {
    let i = insert("INSERT INTO t VALUES (1), (2)");
    assert_eq!((i.or, i.table.as_str(), i.columns.len()), (None, "t", 0));
    let InsertSource::Select(s) = &i.source else { panic!() };
    assert_eq!(s.body, SelectBody::Values(vec![vec![int(1)], vec![int(2)]]));
    let i = insert("REPLACE INTO main.t (a, b) VALUES (1, 2)");
    assert_eq!(
        (i.or, i.table.as_str(), i.columns.clone()),
        (Some(Conflict::Replace), "t", vec!["a".into(), "b".into()])
    );
    for (kw, c) in [
        ("REPLACE", Conflict::Replace),
        ("IGNORE", Conflict::Ignore),
        ("FAIL", Conflict::Fail),
        ("ABORT", Conflict::Abort),
        ("ROLLBACK", Conflict::Rollback),
    ] {
        assert_eq!(insert(&format!("INSERT OR {kw} INTO t DEFAULT VALUES")).or, Some(c));
    }
    assert_eq!(insert("INSERT INTO t DEFAULT VALUES").source, InsertSource::DefaultValues);
    let i = insert("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x");
    assert_eq!(i.with.len(), 1);
    assert!(matches!(i.source, InsertSource::Select(_)));
}

#[test]
fn upserts_and_returning() {
    let i = insert(
        "INSERT INTO t AS x (a) VALUES (1) ON CONFLICT (a COLLATE nocase DESC) WHERE a > 0 \
         DO UPDATE SET b = excluded.b, (c, d) = (1, 2) WHERE b < 3 ON CONFLICT DO NOTHING RETURNING *, a + 1 AS z, b",
    );
    assert_eq!(i.alias.as_deref(), Some("x"));
    assert_eq!(
        i.upsert[0],
        Upsert {
            target: vec![IndexedColumn { expr: col("a"), collation: Some("nocase".into()), desc: true }],
            target_where: Some(bin(BinaryOp::Gt, col("a"), int(0))),
            set: vec![
                Assignment { columns: vec!["b".into()], value: qcol("excluded", "b") },
                Assignment { columns: vec!["c".into(), "d".into()], value: Expr::Row(vec![int(1), int(2)]) },
            ],
            do_nothing: false,
            where_: Some(bin(BinaryOp::Lt, col("b"), int(3))),
        }
    );
    assert_eq!(i.upsert[1], Upsert { target: vec![], target_where: None, set: vec![], do_nothing: true, where_: None });
    assert_eq!(i.returning[0], ResultColumn::Star);
    assert_eq!(
        i.returning[1],
        ResultColumn::Expr {
            expr: bin(BinaryOp::Add, col("a"), int(1)),
            alias: Some("z".into()),
            span: "a + 1".into()
        }
    );
    assert_eq!(span_of(&i.returning[2]), "b");
    let i = insert("INSERT INTO t SELECT * FROM u WHERE true ON CONFLICT(a) DO NOTHING");
    assert!(i.upsert[0].do_nothing);
}

#[test]
fn updates() {
    let Statement::Update(u) =
        one("WITH w AS (SELECT 1) UPDATE OR FAIL main.t AS q INDEXED BY i SET a = 1, (b, c) = (2, 3) \
         FROM u JOIN v USING (k) WHERE q.x = u.x RETURNING a")
    else {
        panic!()
    };
    assert_eq!(u.with.len(), 1);
    assert_eq!((u.or, u.table.as_str(), u.alias.as_deref()), (Some(Conflict::Fail), "t", Some("q")));
    assert_eq!(u.set[0], Assignment { columns: vec!["a".into()], value: int(1) });
    assert_eq!(u.set[1].columns, vec!["b".to_string(), "c".to_string()]);
    assert!(matches!(u.from, Some(FromItem::Join { .. })));
    assert!(u.where_.is_some());
    assert_eq!(u.returning.len(), 1);
    let Statement::Update(u) = one("UPDATE t SET a = a + 1") else { panic!() };
    assert_eq!(u.set[0].value, bin(BinaryOp::Add, col("a"), int(1)));
    syntax("UPDATE t SET a = 1 ORDER BY a LIMIT 1", "ORDER");
}

#[test]
fn deletes() {
    let Statement::Delete(d) = one("DELETE FROM main.t AS x NOT INDEXED WHERE x.a = 1 RETURNING *") else { panic!() };
    assert_eq!((d.table.as_str(), d.alias.as_deref()), ("t", Some("x")));
    assert_eq!(d.where_, Some(bin(BinaryOp::Eq, qcol("x", "a"), int(1))));
    assert_eq!(d.returning, vec![ResultColumn::Star]);
    let Statement::Delete(d) = one("WITH c AS (SELECT 1) DELETE FROM t WHERE a IN c") else { panic!() };
    assert_eq!(d.with.len(), 1);
    assert!(matches!(d.where_, Some(Expr::InSelect { .. })));
}

// ----- DDL -----------------------------------------------------------------

fn create_table(sql: &str) -> CreateTable {
    match one(sql) {
        Statement::CreateTable(t) => *t,
        other => panic!("{other:?}"),
    }
}

#[test]
fn create_table_columns() {
    let t = create_table(
        "CREATE TEMP TABLE IF NOT EXISTS main.t (\
           a INTEGER PRIMARY KEY DESC ON CONFLICT FAIL AUTOINCREMENT, \
           b TEXT CONSTRAINT nn NOT NULL ON CONFLICT IGNORE UNIQUE CHECK (b <> '') DEFAULT 'x' COLLATE NOCASE \
             REFERENCES u(x) ON DELETE CASCADE ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED, \
           c GENERATED ALWAYS AS (a + 1) STORED, d AS (a * 2) VIRTUAL, e AS (1), \
           f DEFAULT -1, g DEFAULT +2.5, h DEFAULT (1 + 2), i DEFAULT CURRENT_TIMESTAMP, j DEFAULT x'00', \
           k DEFAULT NULL NULL, l DEFAULT TRUE, m DEFAULT hello, n DEFAULT -9223372036854775808)",
    );
    assert!(t.temporary && t.if_not_exists);
    assert_eq!(t.name, "t");
    let cons: Vec<Vec<ColumnConstraint>> = t.columns.iter().map(|c| c.constraints.clone()).collect();
    assert_eq!(
        cons[0],
        [ColumnConstraint::PrimaryKey { desc: true, conflict: Some(Conflict::Fail), autoincrement: true }]
    );
    assert_eq!(
        cons[1],
        [
            ColumnConstraint::NotNull(Some(Conflict::Ignore)),
            ColumnConstraint::Unique(None),
            ColumnConstraint::Check(bin(BinaryOp::NotEq, col("b"), text("")), "b <> ''".into()),
            ColumnConstraint::Default(text("x")),
            ColumnConstraint::Collate("NOCASE".into()),
            ColumnConstraint::ForeignKey(ForeignKey {
                table: "u".into(),
                columns: vec!["x".into()],
                on_delete: FkAction::Cascade,
                on_update: FkAction::NoAction,
                deferred: true
            }),
        ]
    );
    assert_eq!(cons[2], [ColumnConstraint::Generated { expr: bin(BinaryOp::Add, col("a"), int(1)), stored: true }]);
    assert_eq!(cons[3], [ColumnConstraint::Generated { expr: bin(BinaryOp::Mul, col("a"), int(2)), stored: false }]);
    assert_eq!(cons[4], [ColumnConstraint::Generated { expr: int(1), stored: false }]);
    let defaults: Vec<Expr> = cons[5..]
        .iter()
        .map(|c| match c.first() {
            Some(ColumnConstraint::Default(e)) => e.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        defaults,
        [
            un(UnaryOp::Neg, int(1)),
            un(UnaryOp::Plus, Expr::Literal(Value::Real(2.5))),
            bin(BinaryOp::Add, int(1), int(2)),
            func("current_timestamp", vec![]),
            Expr::Literal(Value::Blob(vec![0])),
            Expr::Literal(Value::Null),
            int(1),
            text("hello"),
            int(i64::MIN),
        ]
    );
    assert_eq!(cons[10].len(), 1, "the NULL constraint is not kept");
}

#[test]
fn create_table_types_as_written() {
    let t = create_table(
        "CREATE TABLE t(a VARCHAR(10), b UNSIGNED  BIG INT, c, d DOUBLE PRECISION NOT NULL, e text(+1,-2), \
         f 'quoted type', g \"x\" (1), h blob key, i generated, j always, k INT GENERATED ALWAYS AS (1))",
    );
    let types: Vec<&str> = t.columns.iter().map(|c| c.type_name.as_str()).collect();
    assert_eq!(
        types,
        [
            "VARCHAR(10)",
            "UNSIGNED  BIG INT",
            "",
            "DOUBLE PRECISION",
            "text(+1,-2)",
            "quoted type",
            "x",
            "blob key",
            "generated",
            "always",
            "INT"
        ]
    );
    assert_eq!(t.columns[3].constraints, [ColumnConstraint::NotNull(None)]);
}

#[test]
fn create_table_constraints_and_options() {
    let t = create_table(
        "CREATE TABLE t(a, b, c, CONSTRAINT pk PRIMARY KEY (a, b DESC) ON CONFLICT REPLACE, UNIQUE (c COLLATE NOCASE) \
         CHECK (a > 0), FOREIGN KEY (b, c) REFERENCES u (x, y) ON UPDATE SET NULL ON DELETE SET DEFAULT MATCH FULL) \
         WITHOUT ROWID, STRICT",
    );
    let ic = |e: &str, collation: Option<&str>, desc| IndexedColumn {
        expr: col(e),
        collation: collation.map(String::from),
        desc,
    };
    assert_eq!(
        t.constraints,
        [
            TableConstraint::PrimaryKey(vec![ic("a", None, false), ic("b", None, true)], Some(Conflict::Replace)),
            TableConstraint::Unique(vec![ic("c", Some("NOCASE"), false)], None),
            TableConstraint::Check(bin(BinaryOp::Gt, col("a"), int(0)), "a > 0".into()),
            TableConstraint::ForeignKey(
                vec!["b".into(), "c".into()],
                ForeignKey {
                    table: "u".into(),
                    columns: vec!["x".into(), "y".into()],
                    on_delete: FkAction::SetDefault,
                    on_update: FkAction::SetNull,
                    deferred: false
                }
            ),
        ]
    );
    assert!(t.without_rowid && t.strict);
    let t = create_table("CREATE TABLE t(a, PRIMARY KEY(a AUTOINCREMENT))");
    assert_eq!(t.constraints, [TableConstraint::PrimaryKey(vec![ic("a", None, false)], None)]);
    let t = create_table("CREATE TABLE t AS SELECT 1 AS x");
    assert!(t.as_select.is_some() && t.columns.is_empty());
    let t = create_table("CREATE TABLE 'q'(\"select\", [from] INT, 'where' TEXT, left)");
    assert_eq!(t.name, "q");
    assert_eq!(t.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["select", "from", "where", "left"]);
    assert_eq!(err("CREATE TABLE t(a) WITHOUT x"), ParseError::Unsupported("unknown table option: x".into()));
    assert_eq!(err("CREATE TABLE t(a) STRICTER"), ParseError::Unsupported("unknown table option: STRICTER".into()));
    syntax("CREATE TABLE t(select)", "select");
    assert_eq!(err("CREATE TABLE t("), ParseError::Incomplete);
}

#[test]
fn indexes_views_drops() {
    let Statement::CreateIndex(i) =
        one("CREATE UNIQUE INDEX IF NOT EXISTS main.i ON t (a COLLATE nocase DESC, b + 1, c ASC) WHERE a > 0")
    else {
        panic!()
    };
    assert_eq!((i.name.as_str(), i.table.as_str(), i.unique, i.if_not_exists), ("i", "t", true, true));
    assert_eq!(
        i.columns,
        [
            IndexedColumn { expr: col("a"), collation: Some("nocase".into()), desc: true },
            IndexedColumn { expr: bin(BinaryOp::Add, col("b"), int(1)), collation: None, desc: false },
            IndexedColumn { expr: col("c"), collation: None, desc: false },
        ]
    );
    assert!(i.where_.is_some());
    let Statement::CreateView(v) = one("CREATE TEMP VIEW IF NOT EXISTS v (x, y) AS SELECT 1, 2") else { panic!() };
    assert!(v.temporary && v.if_not_exists);
    assert_eq!(v.columns, ["x", "y"]);
    let Statement::CreateView(v) = one("CREATE VIEW v AS WITH c AS (SELECT 1) SELECT * FROM c") else { panic!() };
    assert_eq!(v.query.with.len(), 1);
    for (sql, kind, if_exists) in [
        ("DROP TABLE IF EXISTS main.t", ObjectKind::Table, true),
        ("DROP INDEX t", ObjectKind::Index, false),
        ("DROP VIEW IF EXISTS t", ObjectKind::View, true),
        ("DROP TRIGGER t", ObjectKind::Trigger, false),
    ] {
        assert_eq!(one(sql), Statement::Drop { kind, name: "t".into(), if_exists }, "{sql}");
    }
}

// ----- other statements ----------------------------------------------------

#[test]
fn transactions() {
    for (sql, mode) in [
        ("BEGIN", TransactionMode::Deferred),
        ("BEGIN TRANSACTION", TransactionMode::Deferred),
        ("BEGIN DEFERRED", TransactionMode::Deferred),
        ("BEGIN IMMEDIATE TRANSACTION", TransactionMode::Immediate),
        ("BEGIN EXCLUSIVE TRANSACTION t1", TransactionMode::Exclusive),
    ] {
        assert_eq!(one(sql), Statement::Begin(mode), "{sql}");
    }
    for sql in ["COMMIT", "END", "COMMIT TRANSACTION", "END TRANSACTION"] {
        assert_eq!(one(sql), Statement::Commit, "{sql}");
    }
    assert_eq!(one("ROLLBACK"), Statement::Rollback { savepoint: None });
    assert_eq!(one("ROLLBACK TRANSACTION"), Statement::Rollback { savepoint: None });
    for sql in ["ROLLBACK TO s", "ROLLBACK TO SAVEPOINT s", "ROLLBACK TRANSACTION TO SAVEPOINT s"] {
        assert_eq!(one(sql), Statement::Rollback { savepoint: Some("s".into()) }, "{sql}");
    }
    assert_eq!(one("SAVEPOINT s"), Statement::Savepoint("s".into()));
    assert_eq!(one("RELEASE s"), Statement::Release("s".into()));
    assert_eq!(one("RELEASE SAVEPOINT \"s\""), Statement::Release("s".into()));
}

#[test]
fn pragmas() {
    let p = |name: &str, value: Option<Expr>| Statement::Pragma { name: name.into(), value };
    assert_eq!(one("PRAGMA journal_mode"), p("journal_mode", None));
    assert_eq!(one("PRAGMA foreign_keys = ON"), p("foreign_keys", Some(text("ON"))));
    assert_eq!(one("PRAGMA main.cache_size = -2000"), p("cache_size", Some(int(-2000))));
    assert_eq!(one("PRAGMA table_info(t)"), p("table_info", Some(text("t"))));
    assert_eq!(one("PRAGMA table_info('t')"), p("table_info", Some(text("t"))));
    assert_eq!(one("PRAGMA user_version = +7"), p("user_version", Some(int(7))));
    assert_eq!(one("PRAGMA synchronous = 1.5"), p("synchronous", Some(Expr::Literal(Value::Real(1.5)))));
    assert_eq!(one("PRAGMA secure_delete = DELETE"), p("secure_delete", Some(text("DELETE"))));
    syntax("PRAGMA x = -y", "y");
}

#[test]
fn explain() {
    let Statement::Explain { query_plan, statement } = one("EXPLAIN QUERY PLAN SELECT 1") else { panic!() };
    assert!(query_plan);
    assert!(matches!(*statement, Statement::Select(_)));
    let Statement::Explain { query_plan, statement } = one("EXPLAIN INSERT INTO t VALUES (1)") else { panic!() };
    assert!(!query_plan);
    assert!(matches!(*statement, Statement::Insert(_)));
}

#[test]
fn create_trigger() {
    let sql = "CREATE TEMP TRIGGER IF NOT EXISTS r BEFORE UPDATE OF a, b ON t FOR EACH ROW WHEN new.a > 1 \
               BEGIN UPDATE u SET x = new.a; INSERT INTO v VALUES (RAISE(ABORT, 'no')); SELECT 1; END";
    let Statement::CreateTrigger(t) = one(sql) else { panic!("{sql}") };
    assert_eq!(t.name, "r");
    assert!(t.if_not_exists && t.temporary);
    assert_eq!(t.timing, TriggerTiming::Before);
    assert_eq!(t.event, TriggerEvent::Update(vec!["a".into(), "b".into()]));
    assert_eq!(t.table, "t");
    assert_eq!(t.when, Some(bin(BinaryOp::Gt, qcol("new", "a"), int(1))));
    assert_eq!(t.body.len(), 3);
    assert!(matches!(t.body[0], Statement::Update(_)));
    assert!(matches!(t.body[1], Statement::Insert(_)));
    assert!(matches!(t.body[2], Statement::Select(_)));
    let Statement::CreateTrigger(t) = one("CREATE TRIGGER r DELETE ON t BEGIN DELETE FROM u; END") else { panic!() };
    assert_eq!((t.timing, t.event), (TriggerTiming::Before, TriggerEvent::Delete));
    let Statement::CreateTrigger(t) = one("CREATE TRIGGER r INSTEAD OF INSERT ON v BEGIN SELECT 1; END") else {
        panic!()
    };
    assert_eq!((t.timing, t.event), (TriggerTiming::InsteadOf, TriggerEvent::Insert));
    syntax("CREATE TRIGGER r AFTER INSERT ON t BEGIN END", "END");
    syntax("CREATE TRIGGER r AFTER INSERT ON t BEGIN CREATE TABLE x(a); END", "CREATE");
}

#[test]
fn alter_table() {
    let alter = |sql: &str| match one(sql) {
        Statement::AlterTable(a) => *a,
        other => panic!("{sql}: {other:?}"),
    };
    assert_eq!(alter("ALTER TABLE main.t RENAME TO u").action, AlterAction::RenameTable("u".into()));
    assert_eq!(
        alter("ALTER TABLE t RENAME COLUMN a TO \"b c\"").action,
        AlterAction::RenameColumn { old: "a".into(), new: "b c".into() }
    );
    assert_eq!(
        alter("ALTER TABLE t RENAME a TO b").action,
        AlterAction::RenameColumn { old: "a".into(), new: "b".into() }
    );
    let AlterAction::AddColumn(def, text) = alter("ALTER TABLE t ADD COLUMN d INT DEFAULT 5 NOT NULL").action else {
        panic!()
    };
    assert_eq!((def.name.as_str(), text.as_str()), ("d", "d INT DEFAULT 5 NOT NULL"));
    assert_eq!(alter("ALTER TABLE t DROP x").action, AlterAction::DropColumn("x".into()));
    syntax("ALTER TABLE t FROB x", "FROB");
}

#[test]
fn unsupported_statements() {
    for (sql, what) in [
        ("ATTACH 'f' AS g", "ATTACH"),
        ("DETACH g", "DETACH"),
        ("VACUUM", "VACUUM"),
        ("CREATE VIRTUAL TABLE t USING fts5(a)", "CREATE VIRTUAL TABLE"),
    ] {
        assert_eq!(err(sql), ParseError::Unsupported(format!("{what} is not supported")), "{sql}");
    }
    // A trigger with a syntax error reports it.
    syntax("CREATE TRIGGER r AFTER INSERT ON t BEGIN SELEC 1; END", "SELEC");
}

// ----- errors --------------------------------------------------------------

#[test]
fn errors_use_sqlite_wording() {
    syntax("SELECT 1 2", "2");
    syntax("SELEC 1", "SELEC");
    syntax("SELECT 1)", ")");
    syntax("SELECT * FROM t1 INNER JOIN t2 INNER JOIN t3 ON 1 ON 1", "ON");
    syntax("SELECT a FROM t WHERE a ~ b", "~");
    syntax("SELECT a ilike b", "b");
    for sql in [
        "SELECT",
        "SELECT 1 +",
        "SELECT * FROM",
        "SELECT (1",
        "INSERT INTO t VALUES(1",
        "SELECT 1 ORDER BY",
        "SELECT 1; SELECT",
    ] {
        assert_eq!(err(sql), ParseError::Incomplete, "{sql}");
    }
    let unrecognized = |t: &str| ParseError::Unsupported(format!("unrecognized token: \"{t}\""));
    assert_eq!(err("SELECT 'abc"), unrecognized("'abc"));
    assert_eq!(err("SELECT #"), unrecognized("#"));
    assert_eq!(err("SELECT 5abc"), unrecognized("5abc"));
    assert_eq!(err("SELECT x'0'"), unrecognized("x'0'"));
    assert_eq!(err("SELECT x'zz'"), unrecognized("x'zz'"));
    assert_eq!(err("SELECT 0x"), unrecognized("0x"));
    assert_eq!(err("SELECT 1 ! 2"), unrecognized("!"));
    assert_eq!(
        err("SELECT 0xFFFFFFFFFFFFFFFFF"),
        ParseError::Unsupported("hex literal too big: 0xFFFFFFFFFFFFFFFFF".into())
    );
    assert_eq!(ParseError::Syntax("x".into()).to_string(), "near \"x\": syntax error");
    // The place of the token named, not its first occurrence.
    assert_eq!(syntax_error_offset("select 2, 2 2"), Some(12));
    assert_eq!(syntax_error_offset("select 1; select a from from t"), Some(24));
    assert_eq!(syntax_error_offset("select 1"), None);
    assert_eq!(ParseError::Incomplete.to_string(), "incomplete input");
}

#[test]
fn depth_limits() {
    let parens = |n: usize| format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_sql(&parens(100)).is_ok());
    assert_eq!(err(&parens(5000)), ParseError::Unsupported("parser stack overflow".into()));
    let chain = |n: usize| format!("SELECT 1{}", " + 1".repeat(n));
    assert!(parse_sql(&chain(999)).is_ok());
    let too_deep = ParseError::Unsupported("Expression tree is too large (maximum depth 1000)".into());
    assert_eq!(err(&chain(1000)), too_deep);
    assert_eq!(err(&chain(100_000)), too_deep);
    assert_eq!(err(&format!("SELECT 1 WHERE 1{}", " IN (1)".repeat(2000))), too_deep);
    assert_eq!(
        err(&format!("SELECT {}1", "- ".repeat(10_000))),
        ParseError::Unsupported("parser stack overflow".into())
    );
    let subqueries = |n: usize| format!("SELECT {}1{}", "(SELECT ".repeat(n), ")".repeat(n));
    assert!(parse_sql(&subqueries(50)).is_ok());
    assert!(parse_sql(&subqueries(3000)).is_err());
    // A long statement parses on a helper thread.
    let rows: Vec<String> = (0..5000).map(|i| format!("({i}, -{i}, 'x{i}')")).collect();
    let Statement::Insert(i) = one(&format!("INSERT INTO t VALUES {}", rows.join(", "))) else { panic!() };
    let InsertSource::Select(s) = &i.source else { panic!() };
    let SelectBody::Values(v) = &s.body else { panic!() };
    assert_eq!(v.len(), 5000);
}

// ----- robustness ----------------------------------------------------------

/// Property test cases: `PROPTEST_CASES` or `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

mod fuzz {
    use proptest::prelude::*;

    use super::super::parse_sql;

    /// Tokens of every kind the grammar uses, separated by spaces.
    const VOCAB: &str = "SELECT FROM WHERE GROUP BY HAVING ORDER LIMIT OFFSET UNION ALL INTERSECT EXCEPT VALUES WITH \
        RECURSIVE AS DISTINCT INSERT INTO REPLACE OR IGNORE DEFAULT UPDATE SET DELETE RETURNING ON CONFLICT DO \
        NOTHING CREATE TABLE TEMP INDEX UNIQUE VIEW TRIGGER BEGIN END COMMIT ROLLBACK SAVEPOINT RELEASE TO DROP IF \
        EXISTS NOT NULL PRIMARY KEY AUTOINCREMENT CHECK COLLATE REFERENCES FOREIGN GENERATED ALWAYS STORED WITHOUT \
        ROWID STRICT PRAGMA EXPLAIN QUERY PLAN JOIN LEFT RIGHT FULL OUTER INNER CROSS NATURAL USING INDEXED CASE \
        WHEN THEN ELSE CAST AND IS ISNULL NOTNULL IN BETWEEN LIKE GLOB REGEXP MATCH ESCAPE OVER PARTITION ROWS \
        RANGE GROUPS PRECEDING FOLLOWING CURRENT ROW UNBOUNDED EXCLUDE TIES OTHERS FILTER WINDOW RAISE ABORT TRUE \
        FALSE CURRENT_TIME ASC DESC NULLS FIRST LAST FOR EACH AFTER BEFORE INSTEAD OF interval date trim substr \
        count max t u a b x \"q\" [b] `c` 's' 'it''s' x'00' 0x1F 1 2.5 .5 1e5 9223372036854775808 ? ?2 :p @p $p \
        ( ) , ; . * + - / % || -> ->> = == != <> < <= > >= << >> & | ~ ~~ é";

    /// Tokens the lexer rejects or that open a string, name or comment.
    const NASTY: &[&str] = &["!", "#", "::", "'", "\"", "[", "/*", "--", "\n", "0x", "5abc", "x'0'", ":", "@"];

    fn vocab() -> Vec<&'static str> {
        VOCAB.split_whitespace().collect()
    }

    fn soup() -> impl Strategy<Value = String> {
        let word = prop_oneof![20 => prop::sample::select(vocab()), 1 => prop::sample::select(NASTY)];
        prop::collection::vec(word, 0..48).prop_map(|words| words.join(" "))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: super::cases(4000), failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn token_soup_never_panics(sql in soup()) {
            let _ = parse_sql(&sql);
        }

        #[test]
        fn glued_tokens_never_panic(words in prop::collection::vec(prop::sample::select(vocab()), 0..24)) {
            let _ = parse_sql(&words.concat());
        }

        #[test]
        fn mutated_statements_never_panic(
            which in 0..STATEMENTS.len(),
            edits in prop::collection::vec((0..3u8, any::<prop::sample::Index>(), prop::sample::select(vocab())), 1..6),
        ) {
            let mut words: Vec<&str> = STATEMENTS[which].split_whitespace().collect();
            for (op, at, word) in edits {
                let i = at.index(words.len() + 1);
                match op {
                    0 if i < words.len() => { words.remove(i); }
                    1 if i < words.len() => words[i] = word,
                    _ => words.insert(i, word),
                }
            }
            let _ = parse_sql(&words.join(" "));
        }

        #[test]
        fn arbitrary_text_never_panics(sql in "\\PC{0,80}") {
            let _ = parse_sql(&sql);
        }
    }

    /// Statements covering each construct.
    const STATEMENTS: [&str; 5] = [
        "WITH RECURSIVE c(x) AS MATERIALIZED (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) \
             SELECT DISTINCT a AS b, count(*) FILTER (WHERE a) OVER (PARTITION BY b ORDER BY c ROWS BETWEEN 1 \
             PRECEDING AND CURRENT ROW EXCLUDE TIES), t.* FROM main.t AS x INDEXED BY i NATURAL LEFT JOIN u USING (k) \
             WHERE a NOT GLOB 'x' ESCAPE 'y' AND b ISNULL OR c IS NOT DISTINCT FROM ? GROUP BY 1 HAVING 1 \
             WINDOW w AS (ROWS UNBOUNDED PRECEDING EXCLUDE GROUP) ORDER BY 1 DESC NULLS LAST LIMIT 1, 2",
        "INSERT OR REPLACE INTO t AS x (a, b) VALUES (0x1F, x'00') ON CONFLICT (a COLLATE nocase) WHERE a \
             DO UPDATE SET (a, b) = (excluded.a, CAST(1 AS UNSIGNED BIG INT)) WHERE 1 ON CONFLICT DO NOTHING \
             RETURNING *, a + 1 AS z",
        "CREATE TEMP TABLE IF NOT EXISTS t (a INTEGER PRIMARY KEY DESC ON CONFLICT FAIL AUTOINCREMENT, b TEXT \
             NOT NULL UNIQUE CHECK (b <> '') DEFAULT -1 COLLATE NOCASE REFERENCES u(x) ON DELETE CASCADE, c \
             GENERATED ALWAYS AS (a + 1) STORED, PRIMARY KEY (a, b DESC), FOREIGN KEY (b) REFERENCES u) WITHOUT \
             ROWID, STRICT",
        "CREATE TRIGGER r BEFORE UPDATE OF a ON t FOR EACH ROW WHEN new.a BEGIN SELECT RAISE(ABORT, 'x'); END",
        "UPDATE OR FAIL t SET a = 1 FROM u WHERE t.x = u.x RETURNING a; DELETE FROM t WHERE a IN t2; \
             PRAGMA main.x = -1; EXPLAIN QUERY PLAN SELECT 1; ROLLBACK TO SAVEPOINT s",
    ];

    /// Every prefix of statements covering each construct fails or parses
    /// cleanly.
    #[test]
    fn truncations_never_panic() {
        for sql in STATEMENTS {
            for (cut, _) in sql.char_indices() {
                let _ = parse_sql(&sql[..cut]);
            }
        }
    }
}

// ----- against SQLite ------------------------------------------------------

/// Random expressions, written without parentheses, must mean to us what
/// they mean to SQLite: our tree, printed back fully parenthesized, gives
/// SQLite's result for the original text.
mod against_sqlite {
    use proptest::prelude::*;
    use rusqlite::Connection;

    use super::expr;
    use crate::ast::*;
    use crate::value::Value;

    /// Prints an expression with every operation in parentheses.
    fn sql(e: &Expr) -> String {
        match e {
            Expr::Literal(v) => match v {
                Value::Null => "NULL".into(),
                Value::Integer(i64::MIN) => "(-9223372036854775807 - 1)".into(),
                Value::Integer(i) => format!("({i})"),
                Value::Real(r) => format!("({r:?})"),
                Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
                Value::Blob(b) => format!("x'{}'", b.iter().map(|c| format!("{c:02x}")).collect::<String>()),
            },
            Expr::Column { table, name } => match table {
                Some(t) => format!("\"{t}\".\"{name}\""),
                None => format!("\"{name}\""),
            },
            Expr::Binary { op, left, right } => {
                let op = match op {
                    BinaryOp::Add => "+",
                    BinaryOp::Sub => "-",
                    BinaryOp::Mul => "*",
                    BinaryOp::Div => "/",
                    BinaryOp::Rem => "%",
                    BinaryOp::Concat => "||",
                    BinaryOp::Eq => "=",
                    BinaryOp::NotEq => "<>",
                    BinaryOp::Lt => "<",
                    BinaryOp::LtEq => "<=",
                    BinaryOp::Gt => ">",
                    BinaryOp::GtEq => ">=",
                    BinaryOp::Is => "IS",
                    BinaryOp::IsNot => "IS NOT",
                    BinaryOp::And => "AND",
                    BinaryOp::Or => "OR",
                    BinaryOp::BitAnd => "&",
                    BinaryOp::BitOr => "|",
                    BinaryOp::ShiftLeft => "<<",
                    BinaryOp::ShiftRight => ">>",
                    BinaryOp::Arrow => "->",
                    BinaryOp::LongArrow => "->>",
                };
                format!("({} {op} {})", sql(left), sql(right))
            }
            Expr::Unary { op, expr } => {
                let op = match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Plus => "+",
                    UnaryOp::Not => "NOT",
                    UnaryOp::BitNot => "~",
                };
                format!("({op} {})", sql(expr))
            }
            Expr::Like { op, negated, expr, pattern, escape } => {
                let op = match op {
                    LikeOp::Like => "LIKE",
                    LikeOp::Glob => "GLOB",
                    LikeOp::Regexp => "REGEXP",
                    LikeOp::Match => "MATCH",
                };
                let not = if *negated { "NOT " } else { "" };
                let esc = escape.as_ref().map(|e| format!(" ESCAPE {}", sql(e))).unwrap_or_default();
                format!("({} {not}{op} {}{esc})", sql(expr), sql(pattern))
            }
            Expr::IsNull { expr, negated } => {
                format!("({} IS {}NULL)", sql(expr), if *negated { "NOT " } else { "" })
            }
            Expr::Between { expr, negated, low, high } => {
                let not = if *negated { "NOT " } else { "" };
                format!("({} {not}BETWEEN {} AND {})", sql(expr), sql(low), sql(high))
            }
            Expr::InList { expr, list, negated } => {
                let not = if *negated { "NOT " } else { "" };
                format!("({} {not}IN ({}))", sql(expr), list.iter().map(sql).collect::<Vec<_>>().join(", "))
            }
            Expr::Case { operand, whens, else_ } => {
                let mut s = String::from("(CASE");
                if let Some(o) = operand {
                    s += &format!(" {}", sql(o));
                }
                for (w, t) in whens {
                    s += &format!(" WHEN {} THEN {}", sql(w), sql(t));
                }
                if let Some(e) = else_ {
                    s += &format!(" ELSE {}", sql(e));
                }
                s + " END)"
            }
            Expr::Cast { expr, type_name } => format!("CAST({} AS {type_name})", sql(expr)),
            Expr::Collate { expr, collation } => format!("({} COLLATE {collation})", sql(expr)),
            Expr::Function { name, args, .. } => {
                format!("{name}({})", args.iter().map(sql).collect::<Vec<_>>().join(", "))
            }
            Expr::Row(v) => format!("({})", v.iter().map(sql).collect::<Vec<_>>().join(", ")),
            other => panic!("not printed: {other:?}"),
        }
    }

    fn leaf() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "0",
            "1",
            "2",
            "3",
            "7",
            "2.5",
            "0.5",
            "'a'",
            "'A'",
            "'ab'",
            "'%b'",
            "'1'",
            "NULL",
            "TRUE",
            "FALSE",
            "x'41'",
            "9223372036854775807",
            "9223372036854775808",
        ])
        .prop_map(String::from)
    }

    fn binop() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "+",
            "-",
            "*",
            "/",
            "%",
            "||",
            "&",
            "|",
            "<<",
            ">>",
            "<",
            "<=",
            ">",
            ">=",
            "=",
            "==",
            "!=",
            "<>",
            "IS",
            "IS NOT",
            "IS NOT DISTINCT FROM",
            "IS DISTINCT FROM",
            "AND",
            "OR",
            "LIKE",
            "NOT LIKE",
            "GLOB",
            "NOT GLOB",
        ])
    }

    fn expression() -> impl Strategy<Value = String> {
        leaf().prop_recursive(5, 40, 3, |inner| {
            prop_oneof![
                4 => (inner.clone(), binop(), inner.clone()).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
                2 => (prop::sample::select(vec!["-", "+", "~", "NOT"]), inner.clone())
                    .prop_map(|(op, a)| format!("{op} {a}")),
                1 => inner.clone().prop_map(|a| format!("({a})")),
                2 => (
                    inner.clone(),
                    prop::sample::select(vec![
                        "ISNULL", "NOTNULL", "NOT NULL", "IS NULL", "IS NOT NULL", "IS TRUE", "IS NOT TRUE",
                        "IS FALSE", "IS NOT FALSE", "COLLATE NOCASE", "COLLATE BINARY",
                    ])
                )
                    .prop_map(|(a, p)| format!("{a} {p}")),
                1 => (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(a, b, c)| format!("{a} BETWEEN {b} AND {c}")),
                1 => (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(a, b, c)| format!("{a} NOT IN ({b}, {c})")),
                1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} IN ({b})")),
                1 => (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(a, b, c)| format!("CASE {a} WHEN {b} THEN {c} ELSE 9 END")),
                1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("CASE WHEN {a} THEN {b} END")),
                1 => (inner.clone(), prop::sample::select(vec!["INTEGER", "TEXT", "REAL", "BLOB", "NUMERIC"]))
                    .prop_map(|(a, t)| format!("CAST({a} AS {t})")),
                1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("coalesce({a}, {b})")),
            ]
        })
    }

    fn eval(db: &Connection, e: &str) -> Result<String, String> {
        db.query_row(&format!("SELECT quote({e})"), [], |r| r.get::<_, String>(0)).map_err(|e| e.to_string())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: super::cases(3000), failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn expressions_mean_what_they_mean_to_sqlite(text in expression()) {
            let db = Connection::open_in_memory().expect("sqlite");
            let Ok(want) = eval(&db, &text) else {
                // Not an expression SQLite takes (for instance `NOT NULL` after `NOT`).
                return Ok(());
            };
            let parsed = super::super::parse_sql(&format!("SELECT {text}"));
            prop_assert!(parsed.is_ok(), "SQLite takes {text} = {want}, we fail: {parsed:?}");
            let ours = sql(&expr(&text));
            let got = eval(&db, &ours);
            prop_assert_eq!(Ok(want), got, "{} read as {}", text, ours);
        }
    }
}
