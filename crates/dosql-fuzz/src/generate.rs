//! Random SQL scripts: schema statements, DML, queries, transactions and
//! mutated garbage, all from a seed.
//!
//! The generator keeps a loose model of the schema it has asked for (table
//! and column names, views) so most statements name real objects; it never
//! looks at what the engine answered, so a script depends on its seed alone
//! and any script can be replayed or shrunk by dropping statements.
//!
//! What it leaves out on purpose: statements whose cost is unbounded
//! (recursive CTEs without a bound, `zeroblob`/`randomblob` of huge sizes,
//! `printf` widths, self-multiplying `INSERT ... SELECT` without `LIMIT`),
//! so a run's time stays proportional to its statement count. Garbage is
//! never made from recursive CTEs for the same reason.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A table the generator believes exists.
#[derive(Debug, Clone)]
struct TableModel {
    name: String,
    cols: Vec<String>,
}

/// Produces random SQL statements from a seed.
pub struct Generator {
    rng: SmallRng,
    tables: Vec<TableModel>,
    views: Vec<String>,
    next_id: u32,
    savepoints: Vec<String>,
    /// Whether the generator believes a transaction is open.
    in_txn: bool,
    /// Statements made so far, donors for token splices.
    history: Vec<String>,
}

const TYPES: &[&str] = &["INTEGER", "TEXT", "REAL", "BLOB", "NUMERIC", "", "VARCHAR(10)", "INT", "DOUBLE", "BOOLEAN"];
const COLLATIONS: &[&str] = &["BINARY", "NOCASE", "RTRIM"];
const CONFLICTS: &[&str] = &["ROLLBACK", "ABORT", "FAIL", "IGNORE", "REPLACE"];
const SCALAR_FUNCS: &[(&str, usize)] = &[
    ("abs", 1),
    ("length", 1),
    ("lower", 1),
    ("upper", 1),
    ("typeof", 1),
    ("hex", 1),
    ("quote", 1),
    ("unicode", 1),
    ("trim", 1),
    ("ltrim", 2),
    ("round", 2),
    ("substr", 3),
    ("substr", 2),
    ("coalesce", 3),
    ("ifnull", 2),
    ("nullif", 2),
    ("instr", 2),
    ("replace", 3),
    ("iif", 3),
    ("max", 2),
    ("min", 3),
    ("char", 2),
    ("sign", 1),
    ("date", 1),
    ("time", 2),
    ("datetime", 2),
    ("julianday", 1),
    ("strftime", 2),
    ("unixepoch", 1),
    ("like", 2),
    ("glob", 2),
    ("likely", 1),
    ("zeroblob", 1),
    ("format", 2),
    ("concat", 2),
    ("concat_ws", 3),
    ("octet_length", 1),
    ("sqrt", 1),
    ("pow", 2),
    ("log", 1),
    ("mod", 2),
    ("ceil", 1),
];
const AGGREGATES: &[&str] = &["count", "sum", "total", "avg", "min", "max", "group_concat"];
const BINOPS: &[&str] = &[
    "+", "-", "*", "/", "%", "||", "=", "==", "<>", "!=", "<", "<=", ">", ">=", "IS", "IS NOT", "AND", "OR", "&", "|",
    "<<", ">>",
];
const GARBAGE_TOKENS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "(",
    ")",
    ",",
    ";",
    "NULL",
    "'",
    "\"",
    "`",
    "[",
    "]",
    "--",
    "/*",
    "*/",
    "*",
    "+",
    "-",
    "CASE",
    "WHEN",
    "END",
    "ON",
    "CONFLICT",
    "DO",
    "UPDATE",
    "SET",
    "RETURNING",
    "OVER",
    "PARTITION",
    "BY",
    "WINDOW",
    "JOIN",
    "USING",
    "NATURAL",
    "VALUES",
    "DEFAULT",
    "INSERT",
    "INTO",
    "TRIGGER",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "RAISE",
    "ESCAPE",
    "COLLATE",
    "CAST",
    "AS",
    "IN",
    "EXISTS",
    "NOT",
    "BETWEEN",
    "AND",
    "?",
    "?1",
    ":a",
    "@b",
    "$c",
    "0x",
    "1e999",
    "-9223372036854775808",
    "9223372036854775807",
    "X'",
    "x'0g'",
    ".",
    "..",
    "==",
    "!",
    "~",
    "<<",
    "->",
    "->>",
    "GROUP",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "UNION",
    "INTERSECT",
    "EXCEPT",
    "ALL",
    "DISTINCT",
    "INDEXED",
    "FILTER",
    "ROWS",
    "RANGE",
    "GROUPS",
    "PRECEDING",
    "FOLLOWING",
    "UNBOUNDED",
    "CURRENT",
    "ROW",
    "EXCLUDE",
    "TIES",
    "OTHERS",
    "rowid",
    "_rowid_",
    "oid",
    "sqlite_schema",
    "sqlite_sequence",
    "excluded",
    "new",
    "old",
    "TEMP",
    "IF",
    "PRAGMA",
    "REINDEX",
    "EXPLAIN",
    "QUERY",
    "PLAN",
    "VACUUM",
    "ATTACH",
];

impl Generator {
    /// A generator whose output is a function of `seed` only.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(seed),
            tables: Vec::new(),
            views: Vec::new(),
            next_id: 0,
            savepoints: Vec::new(),
            in_txn: false,
            history: Vec::new(),
        }
    }

    /// A script of `len` statements.
    pub fn script(&mut self, len: usize) -> Vec<String> {
        (0..len).map(|_| self.statement()).collect()
    }

    /// One statement (or a piece of garbage).
    pub fn statement(&mut self) -> String {
        let s = if self.tables.is_empty() && self.rng.random_bool(0.8) {
            self.create_table()
        } else {
            match self.rng.random_range(0..100) {
                0..8 => self.create_table(),
                8..13 => self.create_index(),
                13..16 => self.create_view(),
                16..21 => self.create_trigger(),
                21..24 => self.drop(),
                24..42 => self.insert(),
                42..50 => self.update(),
                50..55 => self.delete(),
                // DML under a WITH clause.
                86..88 => {
                    let q = self.select(1, 0);
                    let dml = match self.rng.random_range(0..3) {
                        0 => self.insert(),
                        1 => self.update(),
                        _ => self.delete(),
                    };
                    if dml.starts_with("REPLACE") { dml } else { format!("WITH w AS ({q}) {dml}") }
                }
                55..75 => self.select_stmt(),
                75..84 => self.transaction(),
                84..86 => self.misc(),
                _ => self.garbage(),
            }
        };
        if !s.contains("RECURSIVE") {
            self.history.push(s.clone());
            if self.history.len() > 64 {
                self.history.remove(0);
            }
        }
        s
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items.get(self.rng.random_range(0..items.len().max(1))).copied().unwrap_or("")
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    fn table(&mut self) -> TableModel {
        if self.tables.is_empty() || self.chance(0.03) {
            return TableModel { name: "nosuch".into(), cols: vec!["a".into()] };
        }
        let i = self.rng.random_range(0..self.tables.len());
        self.tables[i].clone()
    }

    fn col(&mut self, t: &TableModel) -> String {
        if self.chance(0.03) {
            return self.pick(&["rowid", "nosuchcol", "oid", "_rowid_"]).to_owned();
        }
        let i = self.rng.random_range(0..t.cols.len().max(1));
        t.cols.get(i).cloned().unwrap_or_else(|| "rowid".into())
    }

    // ---- literals and expressions ----

    /// A number for a count, offset or size argument: usually small, sometimes at the edges.
    fn count_arg(&mut self) -> String {
        if self.chance(0.75) {
            return self.rng.random_range(-1i64..5).to_string();
        }
        self.pick(&[
            "9223372036854775807",
            "-9223372036854775808",
            "4294967296",
            "2147483648",
            "-2147483649",
            "NULL",
            "0.5",
            "-0.5",
            "1e300",
            "'3'",
            "'x'",
            "X'01'",
        ])
        .to_owned()
    }

    fn literal(&mut self) -> String {
        match self.rng.random_range(0..20) {
            0 => "NULL".into(),
            1..6 => self.rng.random_range(-10i64..20).to_string(),
            6 => self
                .pick(&[
                    "9223372036854775807",
                    "-9223372036854775808",
                    "9223372036854775808",
                    "-9223372036854775809",
                    "4611686018427387904",
                    "0x7fffffffffffffff",
                    "0xffffffffffffffff",
                    "1e308",
                    "-1e308",
                    "1e999",
                    "99999999999999999999999",
                    "0.1",
                    "-0.0",
                    "2147483648",
                ])
                .to_owned(),
            7..9 => format!("{:.2}", self.rng.random_range(-100.0f64..100.0)),
            9..14 => {
                let s = self.pick(&[
                    "a", "B", "abc", "ABC", "x ", " x", "", "10", "1.5", "1e3", "0x10", "NaN", "é", "ß", "it''s", "%",
                    "_",
                ]);
                format!("'{s}'")
            }
            14 => format!("X'{}'", self.pick(&["", "00", "41", "ff00", "616263"])),
            15 => self.pick(&["TRUE", "FALSE", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP"]).to_owned(),
            16 => self
                .pick(&[
                    "'2024-02-29'",
                    "'2000-01-01 12:34:56'",
                    "'now'",
                    "'2024-13-45'",
                    "2460000.5",
                    "'12:00'",
                    "'1970-01-01T00:00:00Z'",
                ])
                .to_owned(),
            17 => {
                // Huge literals.
                match self.rng.random_range(0..3) {
                    0 => format!("'{}'", "x".repeat(self.rng.random_range(1000..100_000))),
                    1 => "9".repeat(self.rng.random_range(20..400)),
                    _ => format!("X'{}'", "ab".repeat(self.rng.random_range(1000..20_000))),
                }
            }
            _ => self.rng.random_range(0i64..5).to_string(),
        }
    }

    /// An expression over the columns of `scope` (each `(qualifier, column)`).
    fn expr(&mut self, scope: &[(String, String)], depth: u32) -> String {
        if depth == 0 || self.chance(0.3) {
            return if !scope.is_empty() && self.chance(0.6) {
                let (q, c) = scope[self.rng.random_range(0..scope.len())].clone();
                if q.is_empty() || self.chance(0.1) { c } else { format!("{q}.{c}") }
            } else {
                self.literal()
            };
        }
        let d = depth - 1;
        match self.rng.random_range(0..24) {
            0..6 => {
                let op = self.pick(BINOPS);
                format!("({} {op} {})", self.expr(scope, d), self.expr(scope, d))
            }
            6 => format!("{}{}", self.pick(&["-", "+", "NOT ", "~"]), self.expr(scope, d)),
            7 => {
                let mut s = String::from("CASE");
                if self.chance(0.5) {
                    s += &format!(" {}", self.expr(scope, d));
                }
                for _ in 0..self.rng.random_range(1..3) {
                    s += &format!(" WHEN {} THEN {}", self.expr(scope, d), self.expr(scope, d));
                }
                if self.chance(0.5) {
                    s += &format!(" ELSE {}", self.expr(scope, d));
                }
                s + " END"
            }
            8 => format!("CAST({} AS {})", self.expr(scope, d), self.pick(TYPES)),
            9..12 => {
                let (f, n) = SCALAR_FUNCS[self.rng.random_range(0..SCALAR_FUNCS.len())];
                let args: Vec<String> = (0..n).map(|_| self.expr(scope, d)).collect();
                // zeroblob of a user value could be huge: keep its size small.
                if f == "zeroblob" {
                    return format!("zeroblob({} % 100)", args.join(", "));
                }
                format!("{f}({})", args.join(", "))
            }
            21 => {
                let fmt = self.pick(&[
                    "'%d'", "'%s|%s'", "'%f'", "'%x'", "'%q'", "'%Q'", "'%c'", "'%e'", "'%g'", "'%%'", "'%i %u'",
                    "'%.3s'", "'%5d'", "'%-5s|'", "'%z'", "'%'",
                ]);
                format!("printf({fmt}, {}, {})", self.expr(scope, d), self.expr(scope, d))
            }
            22 => {
                let x = self.expr(scope, d);
                let (a, b) = (self.count_arg(), self.count_arg());
                match self.rng.random_range(0..8) {
                    0 => format!("substr({x}, {a}, {b})"),
                    1 => format!("round({x}, {a})"),
                    2 => format!("char({a}, {b})"),
                    3 => format!("zeroblob({a} % 1000)"),
                    4 => format!("instr({x}, {a})"),
                    5 => format!(
                        "date({x}, '{}')",
                        self.pick(&[
                            "+9999999999 years",
                            "-9999999999 days",
                            "+1e300 seconds",
                            "start of month",
                            "+NaN days",
                            "weekday 7",
                            "unixepoch",
                            "auto",
                            "subsec",
                            "+25:00",
                            "-00:00:01.5"
                        ])
                    ),
                    6 => format!(
                        "strftime('{}', {x})",
                        self.pick(&[
                            "%Y",
                            "%J",
                            "%s%f",
                            "%%%",
                            "%",
                            "%q",
                            "%H:%M:%f",
                            "%G-%V",
                            "%e%k%l%p%P%R%T%I%C%y%a%A%b%B%D%F"
                        ])
                    ),
                    _ => format!("({x} {} {a})", self.pick(&["<<", ">>", "%", "/", "*", "+", "-"])),
                }
            }
            12 => {
                let list: Vec<String> = (0..self.rng.random_range(0..4)).map(|_| self.expr(scope, d)).collect();
                format!(
                    "({} {}IN ({}))",
                    self.expr(scope, d),
                    if self.chance(0.3) { "NOT " } else { "" },
                    list.join(", ")
                )
            }
            13 => format!("({} BETWEEN {} AND {})", self.expr(scope, d), self.expr(scope, d), self.expr(scope, d)),
            14 => format!(
                "({} {} {})",
                self.expr(scope, d),
                self.pick(&["LIKE", "GLOB", "NOT LIKE"]),
                self.expr(scope, d)
            ),
            15 => format!("({} {})", self.expr(scope, d), self.pick(&["IS NULL", "IS NOT NULL", "ISNULL", "NOTNULL"])),
            16 => format!("({} COLLATE {})", self.expr(scope, d), self.pick(COLLATIONS)),
            17 if d > 0 => {
                let q = self.select(d.min(2), 1);
                format!("({q})")
            }
            18 if d > 0 => {
                let q = self.select(d.min(2), 0);
                format!("{}EXISTS ({q})", if self.chance(0.3) { "NOT " } else { "" })
            }
            19 if d > 0 => {
                let q = self.select(d.min(2), 1);
                format!("({} IN ({q}))", self.expr(scope, d))
            }
            20 => format!(
                "({} IS {}DISTINCT FROM {})",
                self.expr(scope, d),
                if self.chance(0.5) { "NOT " } else { "" },
                self.expr(scope, d)
            ),
            _ => self.literal(),
        }
    }

    fn deep_expr(&mut self) -> String {
        let n = if self.chance(0.7) { self.rng.random_range(20..200) } else { self.rng.random_range(200..1500) };
        match self.rng.random_range(0..4) {
            0 => format!("{}1{}", "(".repeat(n), ")".repeat(n)),
            1 => format!("{}1", "-".repeat(n)),
            2 => (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(" + "),
            _ => format!("{}1{}", "abs(".repeat(n), ")".repeat(n)),
        }
    }

    // ---- schema ----

    fn create_table(&mut self) -> String {
        let name = self.fresh("t");
        let ncols = self.rng.random_range(1..6);
        let mut cols = Vec::new();
        let mut defs = Vec::new();
        let mut has_pk = false;
        for i in 0..ncols {
            let c = format!("c{i}");
            let ty = self.pick(TYPES);
            let mut d = format!("{c} {ty}");
            if !has_pk && self.chance(0.25) {
                has_pk = true;
                if self.chance(0.6) {
                    d = format!("{c} INTEGER PRIMARY KEY");
                    if self.chance(0.4) {
                        d += " AUTOINCREMENT";
                    }
                } else {
                    d += " PRIMARY KEY";
                }
                if self.chance(0.2) {
                    d += &format!(" ON CONFLICT {}", self.pick(CONFLICTS));
                }
            }
            if self.chance(0.2) {
                d += " NOT NULL";
                if self.chance(0.3) {
                    d += &format!(" ON CONFLICT {}", self.pick(CONFLICTS));
                }
            }
            if self.chance(0.15) {
                d += " UNIQUE";
                if self.chance(0.3) {
                    d += &format!(" ON CONFLICT {}", self.pick(CONFLICTS));
                }
            }
            if self.chance(0.2) {
                d += &format!(" DEFAULT {}", if self.chance(0.8) { self.literal() } else { "(1+2)".into() });
            }
            if self.chance(0.15) {
                d += &format!(" COLLATE {}", self.pick(COLLATIONS));
            }
            if self.chance(0.1) {
                let scope = vec![(String::new(), c.clone())];
                d += &format!(" CHECK ({})", self.expr(&scope, 2));
            }
            cols.push(c);
            defs.push(d);
        }
        if ncols > 1 && self.chance(0.2) {
            defs.push(format!("UNIQUE ({}, {})", cols[0], cols[ncols - 1]));
        }
        if !has_pk && ncols > 1 && self.chance(0.1) {
            defs.push(format!("PRIMARY KEY ({}, {})", cols[ncols - 1], cols[0]));
        }
        if self.chance(0.1) {
            let scope: Vec<(String, String)> = cols.iter().map(|c| (String::new(), c.clone())).collect();
            defs.push(format!("CHECK ({})", self.expr(&scope, 2)));
        }
        if self.chance(0.05) && !self.tables.is_empty() {
            let other = self.table();
            defs.push(format!("FOREIGN KEY ({}) REFERENCES {}({})", cols[0], other.name, self.col(&other)));
        }
        let stmt = if self.chance(0.05) && !self.tables.is_empty() {
            let q = self.select(1, 0);
            format!("CREATE TABLE {name} AS {q}")
        } else {
            format!(
                "CREATE TABLE {}{name} ({}){}",
                if self.chance(0.1) { "IF NOT EXISTS " } else { "" },
                defs.join(", "),
                if self.chance(0.03) { " WITHOUT ROWID" } else { "" }
            )
        };
        self.tables.push(TableModel { name, cols });
        stmt
    }

    fn create_index(&mut self) -> String {
        let t = self.table();
        let name = self.fresh("i");
        let n = self.rng.random_range(1..=t.cols.len().clamp(1, 3));
        let mut parts = Vec::new();
        for _ in 0..n {
            let mut p = self.col(&t);
            if self.chance(0.2) {
                p += &format!(" COLLATE {}", self.pick(COLLATIONS));
            }
            if self.chance(0.3) {
                p += self.pick(&[" ASC", " DESC"]);
            }
            parts.push(p);
        }
        let mut s = format!(
            "CREATE {}INDEX {}{name} ON {}({})",
            if self.chance(0.35) { "UNIQUE " } else { "" },
            if self.chance(0.1) { "IF NOT EXISTS " } else { "" },
            t.name,
            parts.join(", ")
        );
        if self.chance(0.15) {
            let scope = self.scope_of(&t, "");
            s += &format!(" WHERE {}", self.expr(&scope, 2));
        }
        s
    }

    fn create_view(&mut self) -> String {
        let name = self.fresh("v");
        self.views.push(name.clone());
        if self.chance(0.3) {
            let n = self.rng.random_range(1..4);
            let width = if self.chance(0.8) { n } else { n + 1 };
            let q = self.select(2, width);
            let cols: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            return format!("CREATE VIEW {name}({}) AS {q}", cols.join(", "));
        }
        let q = self.select(2, 0);
        format!("CREATE VIEW {name} AS {q}")
    }

    fn create_trigger(&mut self) -> String {
        let name = self.fresh("tr");
        let on_view = !self.views.is_empty() && self.chance(0.25);
        let (target, cols) = if on_view {
            (self.views[self.rng.random_range(0..self.views.len())].clone(), Vec::new())
        } else {
            let t = self.table();
            (t.name.clone(), t.cols.clone())
        };
        let timing =
            if on_view { "INSTEAD OF" } else { self.pick(&["BEFORE", "AFTER", "BEFORE", "AFTER", "INSTEAD OF"]) };
        let event = match self.rng.random_range(0..3) {
            0 => "INSERT".to_owned(),
            1 => "DELETE".to_owned(),
            _ if !cols.is_empty() && self.chance(0.4) => {
                format!("UPDATE OF {}", cols[self.rng.random_range(0..cols.len())])
            }
            _ => "UPDATE".to_owned(),
        };
        let mut scope = Vec::new();
        for c in &cols {
            if event != "DELETE" {
                scope.push(("new".to_owned(), c.clone()));
            }
            if event != "INSERT" {
                scope.push(("old".to_owned(), c.clone()));
            }
        }
        let when = if self.chance(0.3) { format!(" WHEN {}", self.expr(&scope, 2)) } else { String::new() };
        let mut body = Vec::new();
        for _ in 0..self.rng.random_range(1..3) {
            let other = self.table();
            let s = match self.rng.random_range(0..5) {
                0 => {
                    let vals: Vec<String> = other.cols.iter().map(|_| self.expr(&scope, 1)).collect();
                    format!(
                        "INSERT {}INTO {} VALUES ({})",
                        if self.chance(0.3) { "OR IGNORE " } else { "" },
                        other.name,
                        vals.join(", ")
                    )
                }
                1 => {
                    let c = self.col(&other);
                    let v = self.expr(&scope, 1);
                    format!("UPDATE {} SET {c} = {v} WHERE rowid = {}", other.name, self.rng.random_range(1..5))
                }
                2 => format!("DELETE FROM {} WHERE {}", other.name, self.expr(&scope, 1)),
                3 => {
                    let kind = self.pick(&["IGNORE", "ABORT", "FAIL", "ROLLBACK"]);
                    let arg = if kind == "IGNORE" { String::new() } else { ", 'raised'".into() };
                    format!("SELECT RAISE({kind}{arg}) WHERE {}", self.expr(&scope, 1))
                }
                _ => format!("SELECT {}", self.expr(&scope, 1)),
            };
            body.push(s + ";");
        }
        format!(
            "CREATE TRIGGER {}{name} {timing} {event} ON {target}{}{when} BEGIN {} END",
            if self.chance(0.1) { "IF NOT EXISTS " } else { "" },
            if self.chance(0.3) { " FOR EACH ROW" } else { "" },
            body.join(" ")
        )
    }

    fn drop(&mut self) -> String {
        let exists = if self.chance(0.3) { "IF EXISTS " } else { "" };
        match self.rng.random_range(0..4) {
            0 if !self.tables.is_empty() => {
                let i = self.rng.random_range(0..self.tables.len());
                let t = self.tables.remove(i);
                format!("DROP TABLE {exists}{}", t.name)
            }
            1 if !self.views.is_empty() => {
                let i = self.rng.random_range(0..self.views.len());
                let v = self.views.remove(i);
                format!("DROP VIEW {exists}{v}")
            }
            2 => format!("DROP INDEX {exists}i{}", self.rng.random_range(1..=self.next_id.max(1))),
            _ => format!("DROP TRIGGER {exists}tr{}", self.rng.random_range(1..=self.next_id.max(1))),
        }
    }

    // ---- DML ----

    fn scope_of(&self, t: &TableModel, q: &str) -> Vec<(String, String)> {
        t.cols.iter().map(|c| (q.to_owned(), c.clone())).collect()
    }

    fn returning(&mut self, t: &TableModel) -> String {
        if !self.chance(0.2) {
            return String::new();
        }
        if self.chance(0.4) {
            return " RETURNING *".into();
        }
        let scope = self.scope_of(t, "");
        let e = self.expr(&scope, 2);
        format!(" RETURNING {e}, {}", self.col(t))
    }

    fn insert(&mut self) -> String {
        let t = self.table();
        let verb = match self.rng.random_range(0..10) {
            0 => "REPLACE".to_owned(),
            1..3 => format!("INSERT OR {}", self.pick(CONFLICTS)),
            _ => "INSERT".to_owned(),
        };
        let cols: Vec<String> = if self.chance(0.4) {
            let n = self.rng.random_range(1..=t.cols.len().max(1));
            (0..n).map(|_| self.col(&t)).collect()
        } else {
            t.cols.clone()
        };
        let width = if self.chance(0.05) { cols.len() + 1 } else { cols.len() };
        let collist = if cols.len() == t.cols.len() && self.chance(0.5) {
            String::new()
        } else {
            format!(" ({})", cols.join(", "))
        };
        let source = match self.rng.random_range(0..10) {
            0 => {
                let q = self.select_with_width(1, width);
                format!("{q} LIMIT 10")
            }
            1 if collist.is_empty() => " DEFAULT VALUES".into(),
            _ => {
                let rows: Vec<String> = (0..self.rng.random_range(1..5))
                    .map(|_| {
                        let vals: Vec<String> = (0..width).map(|_| self.expr(&[], 1)).collect();
                        format!("({})", vals.join(", "))
                    })
                    .collect();
                format!(" VALUES {}", rows.join(", "))
            }
        };
        let source = if source.starts_with(' ') { source } else { format!(" {source}") };
        let mut s = format!("{verb} INTO {}{collist}{source}", t.name);
        if verb == "INSERT" && !source.contains("DEFAULT VALUES") && self.chance(0.3) {
            let target = if self.chance(0.7) { format!(" ({})", self.col(&t)) } else { String::new() };
            if target.is_empty() || self.chance(0.4) {
                s += &format!(" ON CONFLICT{target} DO NOTHING");
            } else {
                let c = self.col(&t);
                let mut scope = self.scope_of(&t, "excluded");
                scope.extend(self.scope_of(&t, ""));
                let v = self.expr(&scope, 2);
                s += &format!(" ON CONFLICT{target} DO UPDATE SET {c} = {v}");
                if self.chance(0.3) {
                    s += &format!(" WHERE {}", self.expr(&scope, 1));
                }
            }
        }
        s + &self.returning(&t)
    }

    fn update(&mut self) -> String {
        let t = self.table();
        let or = if self.chance(0.2) { format!(" OR {}", self.pick(CONFLICTS)) } else { String::new() };
        let mut scope = self.scope_of(&t, &t.name);
        let from = if self.chance(0.2) {
            let o = self.table();
            scope.extend(self.scope_of(&o, "f"));
            let mut from = format!(" FROM {} AS f", o.name);
            // Sometimes a FROM list or join of its own, or a subquery.
            match self.rng.random_range(0..4) {
                0 => {
                    let g = self.table();
                    scope.extend(self.scope_of(&g, "g"));
                    from += &format!(", {} AS g", g.name);
                }
                1 => {
                    let g = self.table();
                    let kind = self.pick(&["JOIN", "LEFT JOIN", "CROSS JOIN", "RIGHT JOIN"]);
                    scope.extend(self.scope_of(&g, "g"));
                    let on = if kind == "CROSS JOIN" { String::new() } else { format!(" ON {}", self.expr(&scope, 1)) };
                    from += &format!(" {kind} {} AS g{on}", g.name);
                }
                2 => {
                    let g = self.table();
                    let inner = self.scope_of(&g, "");
                    let e = self.expr(&inner, 2);
                    scope.push(("sq".to_owned(), "x".to_owned()));
                    from += &format!(", (SELECT {e} AS x FROM {} LIMIT 5) AS sq", g.name);
                }
                _ => {}
            }
            from
        } else {
            String::new()
        };
        let sets: Vec<String> = (0..self.rng.random_range(1..3))
            .map(|_| {
                let c = self.col(&t);
                let v = self.expr(&scope, 2);
                format!("{c} = {v}")
            })
            .collect();
        let wh = if self.chance(0.7) { format!(" WHERE {}", self.expr(&scope, 2)) } else { String::new() };
        format!("UPDATE{or} {} SET {}{from}{wh}{}", t.name, sets.join(", "), self.returning(&t))
    }

    fn delete(&mut self) -> String {
        let t = self.table();
        let scope = self.scope_of(&t, "");
        let wh = if self.chance(0.8) { format!(" WHERE {}", self.expr(&scope, 2)) } else { String::new() };
        format!("DELETE FROM {}{wh}{}", t.name, self.returning(&t))
    }

    // ---- queries ----

    fn select_stmt(&mut self) -> String {
        match self.rng.random_range(0..10) {
            0 => self.recursive_cte(),
            1 => {
                let q = self.select(2, 0);
                let q2 = self.select(1, 0);
                format!("WITH w AS ({q2}) {q}")
            }
            2 => self.window_query(),
            _ => self.select(3, 0),
        }
    }

    fn recursive_cte(&mut self) -> String {
        let n = self.rng.random_range(0..60);
        let limit = if self.chance(0.5) { format!(" LIMIT {}", self.rng.random_range(0..100)) } else { String::new() };
        match self.rng.random_range(0..3) {
            0 => format!(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION{} SELECT x + 1 FROM c WHERE x < {n}) SELECT {} FROM c{limit}",
                if self.chance(0.5) { " ALL" } else { "" },
                self.pick(&["x", "sum(x)", "count(*)", "group_concat(x)", "max(x), min(x)"])
            ),
            1 => format!(
                "WITH RECURSIVE f(a, b) AS (VALUES(0, 1) UNION ALL SELECT b, a + b FROM f LIMIT {n}) SELECT a, b FROM f ORDER BY a DESC"
            ),
            _ => {
                let t = self.table();
                let c = self.col(&t);
                format!(
                    "WITH RECURSIVE r(v, d) AS (SELECT {c}, 0 FROM {} UNION SELECT v, d + 1 FROM r WHERE d < {}) SELECT count(*), max(d) FROM r",
                    t.name,
                    n % 5
                )
            }
        }
    }

    fn window_query(&mut self) -> String {
        let t = self.table();
        let scope = self.scope_of(&t, "");
        let f = match self.rng.random_range(0..10) {
            0 => "row_number()".to_owned(),
            1 => "rank()".to_owned(),
            2 => "dense_rank()".to_owned(),
            3 => format!("ntile({})", self.count_arg()),
            4 => format!("lag({}, {}, {})", self.col(&t), self.count_arg(), self.literal()),
            5 => format!("lead({})", self.col(&t)),
            6 => format!("first_value({})", self.col(&t)),
            7 => "percent_rank()".to_owned(),
            8 => format!("nth_value({}, {})", self.col(&t), self.count_arg()),
            _ => format!("{}({})", self.pick(AGGREGATES), self.col(&t)),
        };
        let mut over = String::new();
        if self.chance(0.5) {
            over += &format!("PARTITION BY {} ", self.expr(&scope, 1));
        }
        if self.chance(0.7) {
            over += &format!("ORDER BY {} ", self.expr(&scope, 1));
        }
        if self.chance(0.4) {
            let unit = self.pick(&["ROWS", "RANGE", "GROUPS"]);
            let bound = |g: &mut Self, dir: &str| format!("{} {dir}", g.count_arg());
            let start = match self.rng.random_range(0..5) {
                0 => "UNBOUNDED PRECEDING".to_owned(),
                1 => "CURRENT ROW".to_owned(),
                2 => bound(self, "FOLLOWING"),
                _ => bound(self, "PRECEDING"),
            };
            let end = match self.rng.random_range(0..5) {
                0 => "UNBOUNDED FOLLOWING".to_owned(),
                1 => "CURRENT ROW".to_owned(),
                2 => bound(self, "PRECEDING"),
                _ => bound(self, "FOLLOWING"),
            };
            over += &format!("{unit} BETWEEN {start} AND {end}");
            if self.chance(0.2) {
                over += self.pick(&[" EXCLUDE TIES", " EXCLUDE GROUP", " EXCLUDE CURRENT ROW", " EXCLUDE NO OTHERS"]);
            }
        }
        format!("SELECT {}, {f} OVER ({}) FROM {} ORDER BY 1", self.col(&t), over.trim(), t.name)
    }

    fn select_with_width(&mut self, depth: u32, width: usize) -> String {
        let t = self.table();
        let scope = self.scope_of(&t, "");
        let cols: Vec<String> = (0..width.max(1)).map(|_| self.expr(&scope, depth)).collect();
        format!("SELECT {} FROM {}", cols.join(", "), t.name)
    }

    /// A SELECT; `width` > 0 asks for exactly that many result columns.
    fn select(&mut self, depth: u32, width: usize) -> String {
        let t = self.table();
        let mut scope = self.scope_of(&t, "a");
        let mut from = format!("{} AS a", t.name);
        if depth > 1 && self.chance(0.3) {
            let o = self.table();
            scope.extend(self.scope_of(&o, "b"));
            let kind = self.pick(&[
                "JOIN",
                "LEFT JOIN",
                "CROSS JOIN",
                "INNER JOIN",
                "RIGHT JOIN",
                "FULL JOIN",
                "NATURAL JOIN",
                ",",
            ]);
            from += &format!(" {kind} {} AS b", o.name);
            if !matches!(kind, "CROSS JOIN" | "NATURAL JOIN" | ",") {
                let on = self.expr(&scope, 1);
                from += &format!(" ON {on}");
            }
        } else if depth > 1 && self.chance(0.1) {
            let q = self.select(depth - 1, 0);
            from += &format!(", ({q}) AS s");
        }
        let aggregate = self.chance(0.25);
        let n = if width > 0 { width } else { self.rng.random_range(1..4) };
        let cols: Vec<String> = (0..n)
            .map(|_| {
                if aggregate && self.chance(0.6) {
                    let f = self.pick(AGGREGATES);
                    let arg = if f == "count" && self.chance(0.4) { "*".to_owned() } else { self.expr(&scope, 1) };
                    let distinct =
                        if f != "count" || arg != "*" { if self.chance(0.2) { "DISTINCT " } else { "" } } else { "" };
                    format!("{f}({distinct}{arg})")
                } else if width == 0 && self.chance(0.05) {
                    "*".to_owned()
                } else {
                    self.expr(&scope, depth.min(2))
                }
            })
            .collect();
        let mut s =
            format!("SELECT {}{} FROM {from}", if self.chance(0.1) { "DISTINCT " } else { "" }, cols.join(", "));
        if self.chance(0.5) {
            s += &format!(" WHERE {}", self.expr(&scope, depth.min(2)));
        }
        if aggregate && self.chance(0.5) {
            s += &format!(" GROUP BY {}", self.expr(&scope, 1));
            if self.chance(0.4) {
                s += &format!(" HAVING {}", self.expr(&scope, 1));
            }
        }
        if depth > 0 && self.chance(0.15) {
            let op = self.pick(&["UNION", "UNION ALL", "INTERSECT", "EXCEPT"]);
            let other = self.select_with_width(1, n);
            s = format!("{s} {op} {other}");
            if self.chance(0.5) {
                s += &format!(" ORDER BY {}", self.rng.random_range(1..=n));
            }
        } else if self.chance(0.3) {
            s += &format!(
                " ORDER BY {}{}",
                self.expr(&scope, 1),
                self.pick(&["", " DESC", " ASC NULLS LAST", " DESC NULLS FIRST"])
            );
        }
        if self.chance(0.2) {
            s += &format!(" LIMIT {}", if self.chance(0.5) { self.count_arg() } else { self.expr(&[], 1) });
            if self.chance(0.3) {
                s += &format!(" OFFSET {}", self.count_arg());
            }
        }
        s
    }

    // ---- transactions and the rest ----

    fn transaction(&mut self) -> String {
        // Mostly legal transitions, by the generator's guess of whether a
        // transaction is open; sometimes any.
        let open = self.in_txn || !self.savepoints.is_empty();
        if !open && self.chance(0.6) {
            self.in_txn = true;
            return self.pick(&["BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED", "BEGIN TRANSACTION"]).into();
        }
        match self.rng.random_range(0..8) {
            0 => {
                self.in_txn = true;
                "BEGIN".into()
            }
            1 => {
                self.in_txn = false;
                self.savepoints.clear();
                self.pick(&["COMMIT", "END"]).into()
            }
            2 => {
                self.in_txn = false;
                self.savepoints.clear();
                "ROLLBACK".into()
            }
            3 | 4 => {
                let sp = self.fresh("sp");
                self.savepoints.push(sp.clone());
                format!("SAVEPOINT {sp}")
            }
            5 if !self.savepoints.is_empty() => {
                let sp = self.savepoints[self.rng.random_range(0..self.savepoints.len())].clone();
                format!("ROLLBACK TO {sp}")
            }
            6 if !self.savepoints.is_empty() => {
                let i = self.rng.random_range(0..self.savepoints.len());
                let sp = self.savepoints.remove(i);
                format!("RELEASE {sp}")
            }
            _ => {
                self.in_txn = false;
                self.savepoints.clear();
                "COMMIT".into()
            }
        }
    }

    fn misc(&mut self) -> String {
        match self.rng.random_range(0..7) {
            0 => format!("PRAGMA foreign_keys = {}", self.pick(&["ON", "OFF", "1", "yes"])),
            1 => "REINDEX".into(),
            2 => {
                let t = self.table();
                format!("ALTER TABLE {} ADD COLUMN z{} TEXT", t.name, self.rng.random_range(0..5))
            }
            3 => "SELECT * FROM sqlite_schema".into(),
            4 => "SELECT * FROM sqlite_sequence".into(),
            5 => format!("SELECT {}", self.deep_expr()),
            _ => {
                let q = self.select(2, 0);
                format!("EXPLAIN {q}")
            }
        }
    }

    /// Garbage: a statement mangled by splices, truncation, random bytes or
    /// deep nesting.
    fn garbage(&mut self) -> String {
        let base = if !self.history.is_empty() && self.chance(0.7) {
            self.history[self.rng.random_range(0..self.history.len())].clone()
        } else {
            self.select(2, 0)
        };
        match self.rng.random_range(0..6) {
            0 => {
                // Truncate at a random char boundary.
                let cut = self.char_boundary(&base);
                base[..cut].to_owned()
            }
            1 | 2 => {
                // Splice random tokens in (or replace a token).
                let mut toks: Vec<String> = base.split(' ').map(str::to_owned).collect();
                for _ in 0..self.rng.random_range(1..4) {
                    let tok = self.pick(GARBAGE_TOKENS).to_owned();
                    let i = self.rng.random_range(0..=toks.len());
                    if self.chance(0.5) && i < toks.len() {
                        toks[i] = tok;
                    } else {
                        toks.insert(i, tok);
                    }
                }
                toks.join(" ")
            }
            3 => {
                // Splice the tail of another statement onto this one.
                let other =
                    self.history.get(self.rng.random_range(0..self.history.len().max(1))).cloned().unwrap_or_default();
                let a = self.char_boundary(&base);
                let b = self.char_boundary(&other);
                format!("{}{}", &base[..a], &other[b..])
            }
            4 => {
                // Random bytes (as chars, so the text stays a str).
                let mut s = base;
                for _ in 0..self.rng.random_range(1..5) {
                    let c = match self.rng.random_range(0..4) {
                        0 => char::from(self.rng.random_range(0u8..32)),
                        1 => char::from(self.rng.random_range(32u8..127)),
                        2 => char::from_u32(self.rng.random_range(0x80..0x11_0000)).unwrap_or('\u{fffd}'),
                        _ => '\0',
                    };
                    let i = self.char_boundary(&s);
                    s.insert(i, c);
                }
                s
            }
            _ => format!("SELECT {}", self.deep_expr()),
        }
    }

    fn char_boundary(&mut self, s: &str) -> usize {
        let mut i = self.rng.random_range(0..=s.len());
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}
