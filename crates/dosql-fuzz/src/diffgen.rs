//! Random scripts whose answers are fully determined by SQLite's semantics,
//! so DoSQL's answers can be compared with SQLite's (see [`crate::diff`]).
//!
//! A script made from a seed creates a few tables (rowid tables with or
//! without an `INTEGER PRIMARY KEY`, `WITHOUT ROWID` tables, columns of every
//! affinity, `NOCASE` and `RTRIM` collations, `NOT NULL`, `UNIQUE`,
//! defaults), sometimes indexes (unique, multi-column, partial, on
//! expressions), sometimes views, fills the tables with NULL-heavy
//! mixed-type rows, then interleaves many queries (filters with `=`, `<`,
//! `BETWEEN`, `IN` lists and subqueries, `EXISTS`, `LIKE`/`GLOB`, row values;
//! inner, left, right, full, cross, `NATURAL` and `USING` joins of up to six
//! tables, views, FROM subqueries and CTEs; scalar and correlated
//! subqueries; aggregates with `GROUP BY`/`HAVING`/`FILTER`/`DISTINCT`;
//! window functions; compound selects; ordering with `LIMIT`/`OFFSET`) with
//! `INSERT` (VALUES, SELECT, upserts, `REPLACE`), `UPDATE` and `DELETE`
//! statements. Each statement carries how its answer is to be compared
//! ([`Check`]).
//!
//! Left out on purpose, because SQLite leaves the answer unspecified or
//! because it depends on the query plan:
//! - `random()`, `'now'`, `LIMIT`/`OFFSET` without a total `ORDER BY`, and
//!   scalar subqueries that could return more than one row unordered;
//! - bare columns in aggregate queries, `group_concat` (its order), and
//!   window functions whose frame order is not total;
//! - values equal under a comparison but different when shown: text data
//!   is lower case without trailing spaces (so `NOCASE` and `RTRIM` never
//!   tie two different stored values) and real data is never integral (so
//!   `1` and `1.0` never meet in `DISTINCT`, `GROUP BY`, `min`/`max`);
//!   upper case and trailing spaces appear only in query constants;
//! - float rounding that depends on summation order: reals in the data are
//!   multiples of 0.25 of small magnitude, so their sums are exact;
//! - `UPDATE` of columns under a `UNIQUE` constraint or key (whether it
//!   fails depends on the order rows are visited), `OR REPLACE`/`OR IGNORE`
//!   updates, and `INSERT ... SELECT` without a total order;
//! - calls that can fail on some values (JSON of a blob): whether SQLite
//!   evaluates them on a row depends on its plan;
//! - triggers and transactions (the other fuzzer covers those for
//!   crashes);
//! - the patterns DoSQL is known to get wrong, unless asked
//!   ([`Deviations`]).
//!
//! Joins are kept small: the generator tracks an upper bound on each
//! table's row count and keeps the product over a query's tables bounded, so
//! a run's time stays proportional to its statement count even though DoSQL
//! scans every table.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// How a statement's answer is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Rows as a multiset (the order is not fully determined).
    Unordered,
    /// Rows in order: the `ORDER BY` orders them completely.
    Ordered,
    /// A data change: success or failure and the changed-row count.
    Changes,
    /// A schema statement: success or failure only.
    Schema,
}

/// One statement of a differential script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffStatement {
    /// The SQL text (a single statement).
    pub sql: String,
    /// How its answer is compared.
    pub check: Check,
}

/// A column's type affinity, as SQLite derives it from the declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Affinity {
    Integer,
    Real,
    Text,
    Numeric,
    Blob,
}

/// A column the generator created.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    affinity: Affinity,
    /// Whether the column has the BINARY collation (min/max and compound
    /// selects only use those, see the module docs).
    binary: bool,
    not_null: bool,
    /// Whether any unique constraint or unique index covers the column.
    unique: bool,
}

/// A table the generator created.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    cols: Vec<Column>,
    /// The `WITHOUT ROWID` primary key's columns (indexes into `cols`).
    pk: Vec<usize>,
    /// An upper bound on the number of rows.
    max_rows: usize,
    /// Column lists that a unique index covers exactly (upsert targets).
    targets: Vec<Vec<String>>,
    /// Unique constraints and indexes of any kind, the rowid alias included.
    uniques: usize,
}

impl Table {
    fn without_rowid(&self) -> bool {
        !self.pk.is_empty()
    }

    /// Expressions that order this table's rows completely.
    fn key(&self, alias: &str) -> Vec<String> {
        if self.without_rowid() {
            self.pk.iter().filter_map(|&i| self.cols.get(i)).map(|c| format!("{alias}.{}", c.name)).collect()
        } else {
            vec![format!("{alias}.rowid")]
        }
    }
}

/// A table, view or subquery in a query's FROM clause.
#[derive(Debug, Clone)]
struct Source {
    alias: String,
    cols: Vec<Column>,
    /// Expressions that order its rows completely (empty: none known).
    key: Vec<String>,
    /// An upper bound on its row count.
    rows: usize,
}

/// A view the generator created: a query over one table.
#[derive(Debug, Clone)]
struct View {
    name: String,
    cols: Vec<Column>,
    table: usize,
}

/// The most rows a query's FROM clause may combine (product of the tables'
/// row bounds); keeps nested-loop joins in a scanning engine cheap.
const JOIN_BUDGET: usize = 3_000;
/// Inserts stop adding to a table past this many rows.
const TABLE_CAP: usize = 14;

/// Produces comparable scripts from a seed.
pub struct DiffGenerator {
    rng: SmallRng,
    tables: Vec<Table>,
    views: Vec<View>,
    /// `WITH` clauses the query being made needs.
    pending_with: Vec<String>,
    next_alias: u32,
    next_index: u32,
    /// The last fresh value made for a unique column.
    next_unique: u32,
    deviations: Deviations,
}

/// Whether scripts may contain the patterns on which DoSQL is known to
/// differ from SQLite (so that, until those are fixed, they do not end
/// most scripts and hide everything else):
/// - `UPDATE ... SET (a, b) = (SELECT ...)`: DoSQL does not take a row
///   value from a subquery (`dml/update.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deviations {
    /// Leave those patterns out (the default, and what CI runs).
    #[default]
    Avoid,
    /// Generate them too.
    Include,
}

impl DiffGenerator {
    /// A generator whose output is a function of `seed` only; it avoids
    /// the known deviations ([`Deviations`]).
    pub fn new(seed: u64) -> Self {
        Self::with_deviations(seed, Deviations::Avoid)
    }

    /// A generator whose output is a function of `seed` and `deviations`.
    pub fn with_deviations(seed: u64, deviations: Deviations) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(seed),
            tables: Vec::new(),
            views: Vec::new(),
            pending_with: Vec::new(),
            next_alias: 0,
            next_index: 0,
            next_unique: 100,
            deviations,
        }
    }

    fn avoid(&self) -> bool {
        self.deviations == Deviations::Avoid
    }

    /// A whole script: schema, data, then about `work` queries and changes.
    pub fn script(&mut self, work: usize) -> Vec<DiffStatement> {
        let mut out = Vec::new();
        let n_tables = self.rng.random_range(2..=4);
        for i in 0..n_tables {
            let sql = self.create_table(i);
            out.push(DiffStatement { sql, check: Check::Schema });
        }
        for _ in 0..self.rng.random_range(0..=4) {
            if let Some(sql) = self.create_index() {
                out.push(DiffStatement { sql, check: Check::Schema });
            }
        }
        for _ in 0..self.rng.random_range(0..=2) {
            let sql = self.create_view();
            out.push(DiffStatement { sql, check: Check::Schema });
        }
        for t in 0..self.tables.len() {
            for _ in 0..self.rng.random_range(1..=3) {
                let sql = self.insert_values(t);
                out.push(DiffStatement { sql, check: Check::Changes });
            }
        }
        // Indexes made after the data exercise building an index over rows.
        if self.chance(0.3)
            && let Some(sql) = self.create_index()
        {
            out.push(DiffStatement { sql, check: Check::Schema });
        }
        for _ in 0..work {
            out.push(if self.chance(0.82) { self.query() } else { self.change() });
        }
        out
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.rng.random_range(0..items.len().max(1))).copied().unwrap_or("")
    }

    fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n.max(1))
    }

    // ---- schema ----

    fn create_table(&mut self, i: usize) -> String {
        let name = format!("t{i}");
        let n_cols = self.rng.random_range(2..=5);
        let without_rowid = self.chance(0.2);
        let ipk = !without_rowid && self.chance(0.35);
        let mut cols = Vec::new();
        let mut defs = Vec::new();
        let mut targets = Vec::new();
        for c in 0..n_cols {
            let cname = format!("c{c}");
            if c == 0 && ipk {
                defs.push(format!("{cname} INTEGER PRIMARY KEY"));
                targets.push(vec![cname.clone()]);
                cols.push(Column {
                    name: cname,
                    affinity: Affinity::Integer,
                    binary: true,
                    not_null: false,
                    unique: true,
                });
                continue;
            }
            let (decl, affinity) = match self.rng.random_range(0..9) {
                0 => ("INTEGER", Affinity::Integer),
                1 => ("INT", Affinity::Integer),
                2 => ("REAL", Affinity::Real),
                3 => ("DOUBLE", Affinity::Real),
                4 => ("TEXT", Affinity::Text),
                5 => ("VARCHAR(8)", Affinity::Text),
                6 => ("NUMERIC", Affinity::Numeric),
                7 => ("BLOB", Affinity::Blob),
                _ => ("", Affinity::Blob),
            };
            let mut def = format!("{cname} {decl}").trim_end().to_owned();
            let collation = match self.rng.random_range(0..8) {
                0 => "NOCASE",
                1 => "RTRIM",
                _ => "",
            };
            if !collation.is_empty() {
                def += &format!(" COLLATE {collation}");
            }
            if self.chance(0.08) {
                // Named or not: the message quotes the name or the text.
                let check = self
                    .pick(&["length({c}) < 4", "{c} IS NULL OR {c} > -2", "typeof({c}) <> 'blob'"])
                    .replace("{c}", &cname);
                def += &if self.chance(0.5) {
                    format!(" CONSTRAINT k{c} CHECK ({check})")
                } else {
                    format!(" CHECK ({check})")
                };
            }
            let not_null = self.chance(0.12);
            if not_null {
                def += " NOT NULL";
            }
            let unique = !without_rowid && self.chance(0.12);
            if unique {
                def += " UNIQUE";
                targets.push(vec![cname.clone()]);
            }
            if self.chance(0.15) {
                let v = self.data_value(affinity);
                def += &format!(" DEFAULT {v}");
            }
            defs.push(def);
            cols.push(Column { name: cname, affinity, binary: collation.is_empty(), not_null, unique });
        }
        let mut pk = Vec::new();
        if without_rowid {
            pk.push(0);
            if n_cols > 2 && self.chance(0.3) {
                pk.push(1);
            }
            let names: Vec<String> = pk.iter().filter_map(|&p| cols.get(p)).map(|c: &Column| c.name.clone()).collect();
            defs.push(format!("PRIMARY KEY ({})", names.join(", ")));
            targets.push(names);
            for &p in &pk {
                if let Some(c) = cols.get_mut(p) {
                    c.unique = true;
                    c.not_null = true;
                }
            }
        }
        let sql =
            format!("CREATE TABLE {name} ({}){}", defs.join(", "), if without_rowid { " WITHOUT ROWID" } else { "" });
        let uniques = targets.len();
        self.tables.push(Table { name, cols, pk, max_rows: 0, targets, uniques });
        sql
    }

    fn create_index(&mut self) -> Option<String> {
        let t = self.below(self.tables.len());
        let table = self.tables.get(t)?.clone();
        self.next_index += 1;
        let name = format!("i{}", self.next_index);
        let unique = self.chance(0.25);
        let n = self.rng.random_range(1..=table.cols.len().min(3));
        let mut terms = Vec::new();
        let mut used = Vec::new();
        for _ in 0..n {
            let c = self.below(table.cols.len());
            if used.contains(&c) {
                continue;
            }
            used.push(c);
            let col = table.cols.get(c)?;
            let term = match self.rng.random_range(0..10) {
                0 => format!("{} + 1", col.name),
                1 => format!("lower({})", col.name),
                2 => format!("{} COLLATE NOCASE", col.name),
                3 => format!("{} DESC", col.name),
                _ => col.name.clone(),
            };
            terms.push(term);
        }
        let partial = if self.chance(0.2) {
            let c = table.cols.get(self.below(table.cols.len()))?;
            format!(" WHERE {} IS NOT NULL", c.name)
        } else {
            String::new()
        };
        let plain: Option<Vec<String>> =
            terms.iter().map(|t| t.chars().all(|c| c.is_ascii_alphanumeric()).then(|| t.clone())).collect();
        if unique && let Some(tm) = self.tables.get_mut(t) {
            tm.uniques += 1;
            if let Some(names) = plain
                && partial.is_empty()
            {
                tm.targets.push(names);
            }
            // A unique index over several columns still makes updates of
            // each of them order-dependent.
            for c in used {
                if let Some(col) = tm.cols.get_mut(c) {
                    col.unique = true;
                }
            }
        }
        Some(format!(
            "CREATE {}INDEX {name} ON {} ({}){partial}",
            if unique { "UNIQUE " } else { "" },
            table.name,
            terms.join(", ")
        ))
    }

    // ---- values ----

    /// A value to store in `col`: rarely NULL when it must not be, often
    /// fresh when it must be unique (so multi-row inserts mostly succeed).
    fn cell(&mut self, col: &Column) -> String {
        if col.not_null && self.chance(0.95) || col.unique && self.chance(0.6) {
            if col.unique && self.chance(0.8) {
                self.next_unique += 1;
                let n = self.next_unique;
                return match col.affinity {
                    Affinity::Real => format!("{n}.5"),
                    Affinity::Text => format!("'u{n}'"),
                    _ => n.to_string(),
                };
            }
            loop {
                let v = self.data_value(col.affinity);
                if v != "NULL" {
                    return v;
                }
            }
        }
        self.data_value(col.affinity)
    }

    /// A value for stored data (see the module docs for what it avoids).
    fn data_value(&mut self, affinity: Affinity) -> String {
        if self.chance(0.3) {
            return "NULL".into();
        }
        if affinity == Affinity::Real {
            // A REAL column turns integers and integral text into integral
            // reals, which would meet equal integers elsewhere.
            return match self.rng.random_range(0..10) {
                0..7 => self.real(),
                7 | 8 => self.pick(&["'a'", "'abc'", "'hello'", "''", "'1.5'", "'x_y'"]).to_owned(),
                _ => self.pick(&["X''", "X'00'", "X'61'"]).to_owned(),
            };
        }
        // Mostly values of the column's own kind, often anything.
        let kind = if self.chance(0.6) {
            match affinity {
                Affinity::Integer | Affinity::Numeric => 0,
                Affinity::Real => 1,
                Affinity::Text => 2,
                Affinity::Blob => self.below(4),
            }
        } else {
            self.below(5)
        };
        match kind {
            0 => self.rng.random_range(-2i64..9).to_string(),
            1 => self.real(),
            2 | 4 => {
                let s = self.pick(&[
                    "a", "b", "c", "ab", "abc", "b%", "x_y", "hello", "", "1", "2", "10", "-3", "1.5", "2.25", "1e2",
                    " 4", "0x1f", "007", "a b",
                ]);
                format!("'{s}'")
            }
            _ => self.pick(&["X''", "X'00'", "X'61'", "X'3130'", "X'0102'"]).to_owned(),
        }
    }

    /// A non-integral multiple of 0.25 of small magnitude.
    fn real(&mut self) -> String {
        let whole = self.rng.random_range(-3i64..10);
        let frac = self.pick(&["25", "5", "75"]);
        format!("{whole}.{frac}")
    }

    /// A constant in a query: data values, plus upper case, trailing
    /// spaces and integral reals, which never reach the data.
    fn constant(&mut self) -> String {
        match self.rng.random_range(0..12) {
            0 => self.pick(&["'A'", "'ABC'", "'B '", "'a  '", "'Hello'", "1.0", "2.0", "'1.0'", "-1"]).to_owned(),
            1 => self.data_value(Affinity::Blob),
            2..5 => self.rng.random_range(-2i64..11).to_string(),
            5 => self.real(),
            _ => {
                let a = [Affinity::Integer, Affinity::Real, Affinity::Text, Affinity::Numeric, Affinity::Blob];
                let aff = a.get(self.below(a.len())).copied().unwrap_or(Affinity::Blob);
                let v = self.data_value(aff);
                if v == "NULL" && self.chance(0.7) { self.rng.random_range(0i64..5).to_string() } else { v }
            }
        }
    }

    // ---- data changes ----

    fn insert_values(&mut self, t: usize) -> String {
        let Some(table) = self.tables.get(t).cloned() else { return "SELECT 1".into() };
        let n = self.rng.random_range(1..=6);
        // Sometimes only some columns, so defaults apply.
        let cols: Vec<usize> = if self.chance(0.25) {
            (0..table.cols.len()).filter(|_| self.rng.random_bool(0.6)).collect()
        } else {
            (0..table.cols.len()).collect()
        };
        let mut rows = Vec::new();
        for _ in 0..n {
            let vals: Vec<String> =
                cols.iter().filter_map(|&c| table.cols.get(c)).map(|c| self.cell(c)).collect::<Vec<_>>();
            rows.push(format!("({})", vals.join(", ")));
        }
        if let Some(tm) = self.tables.get_mut(t) {
            tm.max_rows += n;
        }
        let names: Vec<&str> = cols.iter().filter_map(|&c| table.cols.get(c)).map(|c| c.name.as_str()).collect();
        let verb = if self.chance(0.2) { "INSERT OR IGNORE" } else { "INSERT" };
        if names.is_empty() {
            return format!("INSERT INTO {} DEFAULT VALUES", table.name);
        }
        format!("{verb} INTO {} ({}) VALUES {}", table.name, names.join(", "), rows.join(", "))
    }

    fn change(&mut self) -> DiffStatement {
        let t = self.below(self.tables.len());
        let sql = match self.rng.random_range(0..12) {
            0..3 => self.update(t),
            3..5 => self.delete(t),
            5..7 => self.insert_select(t),
            7 | 8 => self.upsert(t),
            _ => {
                if self.tables.get(t).is_some_and(|tm| tm.max_rows < TABLE_CAP) {
                    self.insert_values(t)
                } else {
                    self.delete(t)
                }
            }
        };
        DiffStatement { sql, check: Check::Changes }
    }

    /// `REPLACE`, `ON CONFLICT DO NOTHING` or `ON CONFLICT (target) DO
    /// UPDATE` with a VALUES list (its rows are taken in order).
    fn upsert(&mut self, t: usize) -> String {
        let Some(table) = self.tables.get(t).cloned() else { return "SELECT 1".into() };
        if table.max_rows >= TABLE_CAP {
            return self.delete(t);
        }
        let n = self.rng.random_range(1..=4);
        let mut rows = Vec::new();
        for _ in 0..n {
            let vals: Vec<String> = table.cols.iter().map(|c| self.cell(c)).collect();
            rows.push(format!("({})", vals.join(", ")));
        }
        if let Some(tm) = self.tables.get_mut(t) {
            tm.max_rows += n;
        }
        let names: Vec<&str> = table.cols.iter().map(|c| c.name.as_str()).collect();
        let insert = format!("INTO {} ({}) VALUES {}", table.name, names.join(", "), rows.join(", "));
        let settable: Vec<Column> = table.cols.iter().filter(|c| !c.unique).cloned().collect();
        let target = table.targets.get(self.below(table.targets.len())).cloned();
        match (self.rng.random_range(0..3), target, settable.is_empty()) {
            (0, _, _) => format!("REPLACE {insert}"),
            (1, Some(target), false) => {
                let mut sets = Vec::new();
                for c in settable.iter().take(self.rng.random_range(1..=2)) {
                    let v = match self.rng.random_range(0..3) {
                        0 => format!("excluded.{}", c.name),
                        1 if c.affinity != Affinity::Real => format!("{} || excluded.{}", c.name, c.name),
                        _ => self.data_value(c.affinity),
                    };
                    sets.push(format!("{} = {v}", c.name));
                }
                let src = vec![self.base(t, &table.name)];
                let cond = if self.chance(0.3) { format!(" WHERE {}", self.predicate(&src, 0)) } else { String::new() };
                format!("INSERT {insert} ON CONFLICT ({}) DO UPDATE SET {}{cond}", target.join(", "), sets.join(", "))
            }
            _ => format!("INSERT {insert} ON CONFLICT DO NOTHING"),
        }
    }

    fn update(&mut self, t: usize) -> String {
        let Some(table) = self.tables.get(t).cloned() else { return "SELECT 1".into() };
        let settable: Vec<Column> = table.cols.iter().filter(|c| !c.unique).cloned().collect();
        if settable.is_empty() {
            return self.delete(t);
        }
        let alias = table.name.clone();
        let src = vec![self.base(t, &alias)];
        let mut sets = Vec::new();
        for _ in 0..self.rng.random_range(1..=2) {
            let c = settable.get(self.below(settable.len())).cloned();
            let Some(c) = c else { continue };
            if sets.iter().any(|s: &String| s.starts_with(&format!("{} =", c.name))) {
                continue;
            }
            let v = match self.rng.random_range(0..6) {
                // A sum could be an integral real in a REAL column.
                0 if c.affinity == Affinity::Real => self.real(),
                0 => format!("{} + 1", c.name),
                1 => format!("{} || 'z'", c.name),
                2 => format!("coalesce({}, {})", c.name, self.data_value(c.affinity)),
                3 => {
                    // An uncorrelated scalar subquery, possibly over the table
                    // being updated (computed once per statement, as SQLite).
                    let other = self.below(self.tables.len().max(1));
                    let ot = self.tables.get(other).cloned();
                    match ot {
                        Some(ot) => {
                            let oc = ot.cols.get(self.below(ot.cols.len())).map(|c| c.name.clone()).unwrap_or_default();
                            let plus = if c.affinity == Affinity::Real { " + 0.5" } else { "" };
                            format!("(SELECT count(*){plus} FROM {} AS s WHERE s.{oc} IS NOT NULL)", ot.name)
                        }
                        None => "NULL".into(),
                    }
                }
                _ => self.data_value(c.affinity),
            };
            sets.push(format!("{} = {v}", c.name));
        }
        let pair: Vec<&Column> = settable.iter().filter(|c| c.affinity != Affinity::Real).take(2).collect();
        if let [a, b] = pair.as_slice()
            && !self.avoid()
            && self.chance(0.12)
        {
            // A row value from a subquery correlated with the updated row.
            let others: Vec<usize> = (0..self.tables.len()).filter(|&o| o != t).collect();
            let o = others.get(self.below(others.len())).copied().unwrap_or(t);
            let alias = self.alias();
            let inner = vec![self.base(o, &alias)];
            let name = self.tables.get(o).map(|tm| tm.name.clone()).unwrap_or_default();
            let (ic, icol) = self.column(&inner);
            let oc = self.similar_column(&src, icol.affinity);
            let agg = self.aggregate(&inner);
            sets = vec![format!(
                "({}, {}) = (SELECT count(*), {agg} FROM {name} AS {alias} WHERE {ic} = {oc})",
                a.name, b.name
            )];
        }
        let mut sql = format!("UPDATE {} SET {}", table.name, sets.join(", "));
        if self.chance(0.85) {
            let w = self.predicate(&src, 2);
            sql += &format!(" WHERE {w}");
        }
        sql
    }

    fn delete(&mut self, t: usize) -> String {
        let Some(table) = self.tables.get(t).cloned() else { return "SELECT 1".into() };
        let src = vec![self.base(t, &table.name)];
        let w = self.predicate(&src, 2);
        if self.chance(0.2) {
            // The first rows in a total order.
            let alias = self.alias();
            let key = table.key(&alias).join(", ");
            let kcols: Vec<String> = table.key("x").iter().map(|k| k.trim_start_matches("x.").to_owned()).collect();
            let inner = vec![self.base(t, &alias)];
            let w2 = self.predicate(&inner, 1);
            let n = self.rng.random_range(1..4);
            let lhs = if kcols.len() == 1 { kcols.join("") } else { format!("({})", kcols.join(", ")) };
            let sel = table.key(&alias).join(", ");
            return format!(
                "DELETE FROM {} WHERE {lhs} IN (SELECT {sel} FROM {} AS {alias} WHERE {w2} ORDER BY {key} DESC LIMIT {n})",
                table.name, table.name
            );
        }
        format!("DELETE FROM {} WHERE {w}", table.name)
    }

    fn insert_select(&mut self, t: usize) -> String {
        let Some(table) = self.tables.get(t).cloned() else { return "SELECT 1".into() };
        if table.max_rows >= TABLE_CAP {
            return self.delete(t);
        }
        let s = self.below(self.tables.len());
        let Some(st) = self.tables.get(s).cloned() else { return "SELECT 1".into() };
        let alias = self.alias();
        let src = vec![self.base(s, &alias)];
        let vals: Vec<String> = table
            .cols
            .iter()
            .map(|tc| {
                if tc.affinity == Affinity::Real {
                    // Copied integers would become integral reals.
                    self.real()
                } else if self.chance(0.8) {
                    let c = st.cols.get(self.below(st.cols.len())).map(|c| c.name.clone()).unwrap_or_default();
                    format!("{alias}.{c}")
                } else {
                    self.data_value(Affinity::Blob)
                }
            })
            .collect();
        let names: Vec<&str> = table.cols.iter().map(|c| c.name.as_str()).collect();
        let limit = self.rng.random_range(1..=4);
        if let Some(tm) = self.tables.get_mut(t) {
            tm.max_rows += limit;
        }
        let w = self.predicate(&src, 1);
        let order = st.key(&alias).join(", ");
        let verb = if self.chance(0.4) { "INSERT OR IGNORE" } else { "INSERT" };
        format!(
            "{verb} INTO {} ({}) SELECT {} FROM {} AS {alias} WHERE {w} ORDER BY {order} LIMIT {limit}",
            table.name,
            names.join(", "),
            vals.join(", "),
            st.name
        )
    }

    // ---- queries ----

    fn alias(&mut self) -> String {
        self.next_alias += 1;
        format!("a{}", self.next_alias)
    }

    /// Table `t` as a FROM item named `alias`.
    fn base(&self, t: usize, alias: &str) -> Source {
        match self.tables.get(t) {
            Some(tm) => {
                Source { alias: alias.to_owned(), cols: tm.cols.clone(), key: tm.key(alias), rows: tm.max_rows.max(1) }
            }
            None => Source { alias: alias.to_owned(), cols: vec![dummy_column()], key: Vec::new(), rows: 1 },
        }
    }

    /// A column reference `alias.col` from `src`, with its column.
    fn column(&mut self, src: &[Source]) -> (String, Column) {
        let s = src.get(self.below(src.len())).cloned();
        let Some(s) = s else { return ("NULL".into(), dummy_column()) };
        let c = s.cols.get(self.below(s.cols.len())).cloned().unwrap_or_else(dummy_column);
        (format!("{}.{}", s.alias, c.name), c)
    }

    /// A column from `src`, preferably of `affinity` (equality joins
    /// between unrelated columns would rarely match anything).
    fn similar_column(&mut self, src: &[Source], affinity: Affinity) -> String {
        let mut any = self.column(src);
        for _ in 0..4 {
            if any.1.affinity == affinity {
                break;
            }
            any = self.column(src);
        }
        any.0
    }

    /// A value expression over `src`.
    fn value(&mut self, src: &[Source], depth: u32) -> String {
        if depth == 0 || self.chance(0.55) {
            return if src.is_empty() || self.chance(0.2) { self.constant() } else { self.column(src).0 };
        }
        let d = depth - 1;
        match self.rng.random_range(0..34) {
            24 => format!(
                "{}({}, {})",
                self.pick(&["printf", "format"]),
                self.pick(&["'%d'", "'%.2f'", "'%s|'", "'%5.1e'", "'%g'", "'%x'", "'%q'", "'%-4s!'", "'%05d'"]),
                self.value(src, d)
            ),
            // Reals shown as text, and results that leave the integers.
            25 => format!("CAST(({} / 3.0) AS TEXT)", self.value(src, d)),
            26 => format!("({} {} 9223372036854775807)", self.value(src, d), self.pick(&["+", "-", "*"])),
            27 => format!("({} * 1e300 * 1e10)", self.value(src, d)),
            28 => format!(
                "{}({})",
                self.pick(&["date", "time", "julianday", "unixepoch", "datetime"]),
                self.value(src, d)
            ),
            29 => format!("strftime('%Y-%j %H:%M', {})", self.value(src, d)),
            // JSON of values that cannot make it fail: whether a failing
            // call is reached depends on the plan (SQLite may never look
            // at the rows an index skips, or at rows a LIMIT drops).
            30 => {
                let v = self.json_safe(src, d);
                match self.rng.random_range(0..3) {
                    0 => format!("json_array({v}, {})", self.json_safe(src, d)),
                    1 => format!("json_quote({v})"),
                    _ => format!("json_type(json_quote({v}))"),
                }
            }
            31 => format!("json_object('k', {}, 'v', {})", self.json_safe(src, d), self.json_safe(src, d)),
            32 => format!("~{}", self.value(src, d)),
            33 => format!("({} IS {})", self.value(src, d), self.pick(&["TRUE", "NOT TRUE", "FALSE", "NOT FALSE"])),
            12 => format!(
                "substr({}, {}, {})",
                self.value(src, d),
                self.rng.random_range(-2..4),
                self.rng.random_range(0..4)
            ),
            13 => format!("instr({}, {})", self.value(src, d), self.constant()),
            14 => format!("replace({}, {}, {})", self.value(src, d), self.constant(), self.constant()),
            15 => format!("round({}, {})", self.value(src, d), self.rng.random_range(0..3)),
            16 => format!("nullif({}, {})", self.value(src, d), self.constant()),
            17 => format!("iif({}, {}, {})", self.predicate(src, d), self.value(src, d), self.value(src, d)),
            18 => format!("{}({}, {})", self.pick(&["max", "min"]), self.value(src, d), self.value(src, d)),
            19 => format!("{}({})", self.pick(&["trim", "lower", "hex", "quote", "sign", "ltrim"]), self.value(src, d)),
            20 => format!("({} % {})", self.value(src, d), self.pick(&["3", "-2", "0", "2.5"])),
            21 => format!("-({})", self.value(src, d)),
            22 => format!("ifnull({}, {})", self.value(src, d), self.constant()),
            23 => format!(
                "({} {} {})",
                self.value(src, d),
                self.pick(&["&", "|", "<<", ">>"]),
                self.rng.random_range(0..3)
            ),
            0 => format!("({} + {})", self.value(src, d), self.value(src, d)),
            1 => format!("({} - {})", self.value(src, d), self.rng.random_range(0..4)),
            2 => format!("({} * {})", self.value(src, d), self.rng.random_range(-2..4)),
            3 => format!("({} / {})", self.value(src, d), self.pick(&["2", "0", "-3", "2.5"])),
            4 => format!("({} || {})", self.value(src, d), self.value(src, d)),
            5 => format!("abs({})", self.value(src, d)),
            6 => format!("coalesce({}, {})", self.value(src, d), self.value(src, d)),
            7 => format!("typeof({})", self.value(src, d)),
            8 => format!("length({})", self.value(src, d)),
            9 => format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                self.predicate(src, d),
                self.value(src, d),
                self.value(src, d)
            ),
            10 => format!("CAST({} AS {})", self.value(src, d), self.pick(&["INTEGER", "TEXT", "REAL", "NUMERIC"])),
            _ => format!("upper({})", self.value(src, d)),
        }
    }

    /// A value JSON functions accept: blobs shown as hex text.
    fn json_safe(&mut self, src: &[Source], depth: u32) -> String {
        let v = self.value(src, depth);
        format!("iif(typeof({v}) = 'blob', hex({v}), {v})")
    }

    /// A boolean condition over `src` (the sources in scope, outer ones included).
    fn predicate(&mut self, src: &[Source], depth: u32) -> String {
        if depth > 0 && self.chance(0.35) {
            let d = depth - 1;
            return match self.rng.random_range(0..4) {
                0 | 1 => format!("({} AND {})", self.predicate(src, d), self.predicate(src, d)),
                2 => format!("({} OR {})", self.predicate(src, d), self.predicate(src, d)),
                _ => format!("NOT ({})", self.predicate(src, d)),
            };
        }
        let (col, c) = self.column(src);
        match self.rng.random_range(0..30) {
            // The expressions the generated indexes are on.
            28 => {
                let k = self.constant();
                let op = self.pick(&["=", "=", "<", ">="]);
                format!("lower({col}) {op} {k}")
            }
            29 => {
                let k = self.constant();
                let op = self.pick(&["=", ">", "<="]);
                format!("{col} + 1 {op} {k}")
            }
            20 => {
                let pat = self.pick(&["'a*'", "'*b*'", "'?'", "'[a-c]*'", "'1*'", "'*'"]);
                format!("{col} {}GLOB {pat}", if self.chance(0.2) { "NOT " } else { "" })
            }
            21 => {
                let pat = self.pick(&["'x!_%'", "'%!%'", "'a%'", "'!_'"]);
                format!("{col} LIKE {pat} ESCAPE '!'")
            }
            22 => {
                // Row values, compared with constants or matched in a subquery.
                let (col2, _) = self.column(src);
                if depth > 0 && self.chance(0.5) {
                    let t = self.below(self.tables.len());
                    let alias = self.alias();
                    let inner = vec![self.base(t, &alias)];
                    let name = self.tables.get(t).map(|tm| tm.name.clone()).unwrap_or_default();
                    let (a, _) = self.column(&inner);
                    let (b, _) = self.column(&inner);
                    format!("({col}, {col2}) IN (SELECT {a}, {b} FROM {name} AS {alias})")
                } else {
                    let op = self.pick(&["=", "<>", "<", ">=", "IS", "IS NOT"]);
                    let (k1, k2) = (self.constant(), self.constant());
                    format!("({col}, {col2}) {op} ({k1}, {k2})")
                }
            }
            23 => {
                let k = if self.chance(0.5) { self.constant() } else { self.column(src).0 };
                format!("{col} IS {}DISTINCT FROM {k}", if self.chance(0.5) { "NOT " } else { "" })
            }
            24 => {
                // No affinity on one side: `+col` compares as it is.
                let k = self.constant();
                let op = self.pick(&["=", "<", ">"]);
                format!("+{col} {op} {k}")
            }
            25 => {
                let (k1, k2) = (self.constant(), self.constant());
                format!("CASE {col} WHEN {k1} THEN 1 WHEN {k2} THEN NULL ELSE 0 END")
            }
            26 if depth > 0 => {
                // IN over a compound subquery.
                let a = self.subquery_select(src, false, false);
                let b = self.subquery_select(src, false, false);
                let op = self.pick(&["UNION", "UNION ALL", "INTERSECT", "EXCEPT"]);
                format!("{col} IN ({a} {op} {b})")
            }
            27 => format!("{col} {}IN ()", if self.chance(0.5) { "NOT " } else { "" }),
            0..5 => {
                let op = self.pick(&["=", "=", "<", "<=", ">", ">=", "<>", "IS", "IS NOT"]);
                let rhs = if self.chance(0.7) { self.constant() } else { self.column(src).0 };
                format!("{col} {op} {rhs}")
            }
            5 => {
                let (a, b) = (self.constant(), self.constant());
                format!("{col} {}BETWEEN {a} AND {b}", if self.chance(0.2) { "NOT " } else { "" })
            }
            6 | 7 => {
                let n = self.rng.random_range(1..=4);
                let items: Vec<String> = (0..n).map(|_| self.constant()).collect();
                format!("{col} {}IN ({})", if self.chance(0.2) { "NOT " } else { "" }, items.join(", "))
            }
            8 => format!("{col} IS {}NULL", if self.chance(0.5) { "NOT " } else { "" }),
            9 => {
                let pat = self.pick(&["'a%'", "'%b%'", "'_'", "'1%'", "'%'", "'A_C'", "'h%o'"]);
                format!("{col} {}LIKE {pat}", if self.chance(0.2) { "NOT " } else { "" })
            }
            10 | 11 if depth > 0 => {
                // IN (subquery), correlated or not.
                let sub = self.subquery_select(src, false, true);
                format!("{col} {}IN ({sub})", if self.chance(0.25) { "NOT " } else { "" })
            }
            12 | 13 if depth > 0 => {
                let sub = self.subquery_select(src, true, true);
                format!("{}EXISTS ({sub})", if self.chance(0.25) { "NOT " } else { "" })
            }
            14 if depth > 0 => {
                let sub = self.scalar_subquery(src);
                let op = self.pick(&["=", "<", ">", ">=", "<>"]);
                format!("{col} {op} {sub}")
            }
            15 => {
                let v = self.value(src, 1);
                let op = self.pick(&["=", "<", ">", "<>"]);
                let k = self.constant();
                format!("{v} {op} {k}")
            }
            16 if !c.binary => {
                // Collation on the constant side and an explicit one.
                let k = self.constant();
                format!("{col} = {k} COLLATE {}", self.pick(&["BINARY", "NOCASE", "RTRIM"]))
            }
            _ => {
                let k = self.constant();
                let op = self.pick(&["=", ">", "<="]);
                format!("{col} {op} {k}")
            }
        }
    }

    /// A one-column subquery over one table, often correlated with `outer`.
    /// `limited`: it may end with ORDER BY ... LIMIT (not inside a compound).
    fn subquery_select(&mut self, outer: &[Source], exists: bool, limited: bool) -> String {
        let t = self.below(self.tables.len());
        let Some(table) = self.tables.get(t).cloned() else { return "SELECT 1".into() };
        let alias = self.alias();
        let inner = vec![self.base(t, &alias)];
        let item = if exists { "1".to_owned() } else { self.column(&inner).0 };
        let mut conds = Vec::new();
        if self.chance(0.6) && !outer.is_empty() {
            let (ic, icol) = self.column(&inner);
            let oc = self.similar_column(outer, icol.affinity);
            let op = self.pick(&["=", "=", "<", ">="]);
            conds.push(format!("{ic} {op} {oc}"));
        }
        if self.chance(0.5) {
            conds.push(self.predicate(&inner, 0));
        }
        let mut sql = format!("SELECT {item} FROM {} AS {alias}", table.name);
        if !conds.is_empty() {
            sql += &format!(" WHERE {}", conds.join(" AND "));
        }
        if limited && self.chance(0.2) {
            // The first rows in a total order (LIMIT/OFFSET are deterministic).
            let key = table.key(&alias).join(", ");
            let dir = self.pick(&["", " DESC"]);
            sql += &format!(" ORDER BY {key}{dir} LIMIT {}", self.rng.random_range(0..4));
            if self.chance(0.3) {
                sql += " OFFSET 1";
            }
        }
        sql
    }

    /// A subquery that yields exactly one value: an aggregate, or a
    /// totally ordered `LIMIT 1`.
    fn scalar_subquery(&mut self, outer: &[Source]) -> String {
        let t = self.below(self.tables.len());
        let Some(table) = self.tables.get(t).cloned() else { return "NULL".into() };
        let alias = self.alias();
        let inner = vec![self.base(t, &alias)];
        let mut cond = String::new();
        if !outer.is_empty() && self.chance(0.7) {
            let (ic, _) = self.column(&inner);
            let (oc, _) = self.column(outer);
            let op = self.pick(&["=", "<", ">"]);
            cond = format!(" WHERE {ic} {op} {oc}");
        }
        if self.chance(0.3) {
            let (ic, _) = self.column(&inner);
            let key = table.key(&alias).join(", ");
            let dir = self.pick(&["", " DESC"]);
            return format!("(SELECT {ic} FROM {} AS {alias}{cond} ORDER BY {key}{dir} LIMIT 1)", table.name);
        }
        let agg = self.aggregate(&inner);
        format!("(SELECT {agg} FROM {} AS {alias}{cond})", table.name)
    }

    /// An aggregate call over `src` whose value is independent of row order.
    fn aggregate(&mut self, src: &[Source]) -> String {
        let (col, _) = self.column(src);
        match self.rng.random_range(0..12) {
            0 => "count(*)".into(),
            1 => format!("count({col})"),
            2 => format!("count(DISTINCT {col})"),
            3 => format!("sum({col})"),
            4 => format!("total({col})"),
            5 => format!("avg({col})"),
            6 => format!("{}(DISTINCT {col})", self.pick(&["sum", "avg", "total"])),
            7 => {
                let f = self.pick(&["count", "sum", "total"]);
                let w = self.predicate(src, 0);
                format!("{f}({col}) FILTER (WHERE {w})")
            }
            // Under NOCASE or RTRIM the data never ties two different
            // values (see the module docs), so which one is kept is fixed.
            _ => format!("{}({col})", self.pick(&["min", "max"])),
        }
    }

    /// A one-table query for a view, CTE or FROM subquery: its text, its
    /// columns (named `x0`, `x1`, ...) and the table it reads.
    fn derived_query(&mut self) -> (String, Vec<Column>, usize) {
        let t = self.below(self.tables.len());
        let alias = self.alias();
        let src = vec![self.base(t, &alias)];
        let name = self.tables.get(t).map(|tm| tm.name.clone()).unwrap_or_default();
        let mut items = Vec::new();
        let mut cols = Vec::new();
        let grouped = self.chance(0.25);
        let n = self.rng.random_range(1..=3);
        for i in 0..n {
            let (c, col) = self.column(&src);
            items.push(format!("{c} AS x{i}"));
            cols.push(Column { name: format!("x{i}"), unique: false, ..col });
            if grouped {
                break;
            }
        }
        if grouped {
            // No sum: an integral real sum would tie with an integer one.
            let (c, _) = self.column(&src);
            let agg = match self.rng.random_range(0..6) {
                0 => "count(*)".to_owned(),
                1 => format!("count(DISTINCT {c})"),
                2 => format!("total({c})"),
                3 => format!("avg({c})"),
                4 => format!("count({c})"),
                _ => format!("max({c})"),
            };
            items.push(format!("{agg} AS x1"));
            cols.push(Column {
                name: "x1".into(),
                affinity: Affinity::Blob,
                binary: true,
                not_null: false,
                unique: false,
            });
        }
        let distinct = !grouped && self.chance(0.3);
        let mut sql =
            format!("SELECT {}{} FROM {name} AS {alias}", if distinct { "DISTINCT " } else { "" }, items.join(", "));
        if self.chance(0.6) {
            let w = self.predicate(&src, 1);
            sql += &format!(" WHERE {w}");
        }
        if grouped {
            sql += " GROUP BY x0";
        }
        (sql, cols, t)
    }

    fn create_view(&mut self) -> String {
        let (sql, cols, table) = self.derived_query();
        let name = format!("v{}", self.views.len());
        self.views.push(View { name: name.clone(), cols, table });
        format!("CREATE VIEW {name} AS {sql}")
    }

    /// A FROM item within `budget` rows (a table mostly, else a view, a
    /// subquery or a CTE): its source and text.
    fn source_item(&mut self, budget: usize) -> Option<(Source, String)> {
        let alias = self.alias();
        let roll = self.rng.random_range(0..20);
        if roll < 2 && !self.views.is_empty() {
            let i = self.below(self.views.len());
            let v = self.views.get(i)?.clone();
            let rows = self.tables.get(v.table).map_or(1, |t| t.max_rows.max(1));
            let src = Source { alias: alias.clone(), cols: v.cols, key: Vec::new(), rows };
            return (rows <= budget).then(|| (src, format!("{} AS {alias}", v.name)));
        }
        if roll < 4 {
            let (sql, cols, t) = self.derived_query();
            let rows = self.tables.get(t).map_or(1, |t| t.max_rows.max(1));
            if rows > budget {
                return None;
            }
            let src = Source { alias: alias.clone(), cols, key: Vec::new(), rows };
            if roll == 3 {
                let name = format!("w{}", self.pending_with.len());
                self.pending_with.push(format!("{name} AS ({sql})"));
                return Some((src, format!("{name} AS {alias}")));
            }
            return Some((src, format!("({sql}) AS {alias}")));
        }
        let t = self.below(self.tables.len());
        let src = self.base(t, &alias);
        let name = self.tables.get(t)?.name.clone();
        (src.rows <= budget).then(|| (src, format!("{name} AS {alias}")))
    }

    /// `sql` under the `WITH` clause its FROM items asked for.
    fn with_prefix(&mut self, sql: String) -> String {
        if self.pending_with.is_empty() {
            return sql;
        }
        let with = std::mem::take(&mut self.pending_with).join(", ");
        format!("WITH {with} {sql}")
    }

    /// A FROM clause of up to `max` items within the join budget: the
    /// sources and the clause's text.
    fn sources(&mut self, max: usize) -> (Vec<Source>, String) {
        let want = self.rng.random_range(1..=max);
        let mut src: Vec<Source> = Vec::new();
        let mut text = String::new();
        let mut product = 1usize;
        for _ in 0..want {
            let budget = if src.is_empty() { usize::MAX } else { JOIN_BUDGET / product.max(1) };
            let Some((s, item)) = self.source_item(budget) else { break };
            product = product.saturating_mul(s.rows);
            if src.is_empty() {
                text = item;
                src.push(s);
                continue;
            }
            let kind = match self.rng.random_range(0..24) {
                0..7 => "JOIN",
                7..13 => "LEFT JOIN",
                13..15 => "CROSS JOIN",
                15 => "RIGHT JOIN",
                16 => "FULL JOIN",
                17 => "NATURAL JOIN",
                18 => "NATURAL LEFT JOIN",
                19 | 20 => "USING",
                _ => ",",
            };
            let mut scope = src.clone();
            scope.push(s.clone());
            if kind == "," {
                text += &format!(", {item}");
            } else if kind.starts_with("NATURAL") || kind == "CROSS JOIN" {
                text += &format!(" {kind} {item}");
            } else if kind == "USING" {
                // A column of the new item that some earlier one has too.
                let names: Vec<String> = s
                    .cols
                    .iter()
                    .filter(|c| src.iter().any(|e| e.cols.iter().any(|d| d.name == c.name)))
                    .map(|c| c.name.clone())
                    .collect();
                let join = self.pick(&["JOIN", "LEFT JOIN"]);
                match names.get(self.below(names.len())) {
                    Some(n) => text += &format!(" {join} {item} USING ({n})"),
                    None => text += &format!(" {join} {item} ON 1"),
                }
            } else {
                // Equality on a column of the new item and an earlier one,
                // sometimes with a range or constant term too.
                let (l, lc) = self.column(std::slice::from_ref(&s));
                let r = self.similar_column(&src, lc.affinity);
                let mut on = format!("{l} = {r}");
                if self.chance(0.3) {
                    let (l2, _) = self.column(std::slice::from_ref(&s));
                    let (r2, _) = self.column(&src);
                    let op = self.pick(&["<", ">=", "<>"]);
                    on += &format!(" AND {l2} {op} {r2}");
                }
                if self.chance(0.25) {
                    let p = self.predicate(&scope, 0);
                    on += &format!(" AND {p}");
                }
                if self.chance(0.1) {
                    on = self.predicate(&scope, 1);
                }
                text += &format!(" {kind} {item} ON {on}");
            }
            src.push(s);
        }
        (src, text)
    }

    /// A window function call over `src` whose value does not depend on
    /// the order of rows its window leaves unordered.
    fn window(&mut self, src: &[Source]) -> String {
        let keys: Vec<String> = src.iter().flat_map(|s| s.key.clone()).collect();
        let total = src.iter().all(|s| !s.key.is_empty());
        let (c, _) = self.column(src);
        let (p, _) = self.column(src);
        let part = if self.chance(0.5) { format!("PARTITION BY {p} ") } else { String::new() };
        match self.rng.random_range(0..8) {
            0 if total => format!("row_number() OVER ({part}ORDER BY {})", keys.join(", ")),
            1 if total => format!("{}({c}) OVER ({part}ORDER BY {})", self.pick(&["lag", "lead"]), keys.join(", ")),
            2 if total => format!("first_value({c}) OVER ({part}ORDER BY {})", keys.join(", ")),
            3 => format!("{}() OVER ({part}ORDER BY {c})", self.pick(&["rank", "dense_rank"])),
            // The default RANGE frame takes in all peers: order-independent.
            4 => format!("{}({c}) OVER ({part}ORDER BY {p})", self.pick(&["count", "total", "sum"])),
            5 => format!("{}({c}) OVER ({part})", self.pick(&["max", "min"])),
            _ => format!("count(*) OVER ({part})"),
        }
    }

    fn query(&mut self) -> DiffStatement {
        match self.rng.random_range(0..20) {
            0..8 => self.plain_select(),
            8..12 => self.aggregate_select(),
            12..14 => self.compound_select(),
            14..16 => self.ordered_select(),
            _ => self.join_select(),
        }
    }

    /// The select list for `src`: columns and expressions, sometimes a
    /// scalar subquery or a window function.
    fn select_list(&mut self, src: &[Source]) -> Vec<String> {
        let n = self.rng.random_range(1..=4);
        (0..n)
            .map(|_| match self.rng.random_range(0..12) {
                0..6 => self.column(src).0,
                6 | 7 => self.value(src, 2),
                8 => self.scalar_subquery(src),
                9 => self.window(src),
                _ => format!("{} IS NULL", self.column(src).0),
            })
            .collect()
    }

    fn plain_select(&mut self) -> DiffStatement {
        let (src, from) = self.sources(2);
        let distinct = self.chance(0.2);
        let items = if distinct {
            // DISTINCT over plain columns only (see the module docs).
            let n = self.rng.random_range(1..=3);
            (0..n).map(|_| self.column(&src).0).collect()
        } else {
            self.select_list(&src)
        };
        let mut sql = format!("SELECT {}{} FROM {from}", if distinct { "DISTINCT " } else { "" }, items.join(", "));
        if self.chance(0.85) {
            let w = self.predicate(&src, 2);
            sql += &format!(" WHERE {w}");
        }
        if self.chance(0.15) {
            // A partial order: compared as a multiset.
            let (c, _) = self.column(&src);
            sql += &format!(" ORDER BY {c}");
        }
        let sql = self.with_prefix(sql);
        DiffStatement { sql, check: Check::Unordered }
    }

    fn join_select(&mut self) -> DiffStatement {
        let (src, from) = self.sources(6);
        let items = self.select_list(&src);
        let mut sql = format!("SELECT {} FROM {from}", items.join(", "));
        if self.chance(0.7) {
            let w = self.predicate(&src, 1);
            sql += &format!(" WHERE {w}");
        }
        let sql = self.with_prefix(sql);
        DiffStatement { sql, check: Check::Unordered }
    }

    /// A totally ordered query, sometimes with LIMIT/OFFSET.
    fn ordered_select(&mut self) -> DiffStatement {
        let (src, from) = self.sources(3);
        let items = self.select_list(&src);
        let mut sql = format!("SELECT {} FROM {from}", items.join(", "));
        if self.chance(0.7) {
            let w = self.predicate(&src, 1);
            sql += &format!(" WHERE {w}");
        }
        let mut keys = Vec::new();
        if self.chance(0.6) {
            let (c, _) = self.column(&src);
            let coll = if self.chance(0.15) { " COLLATE NOCASE" } else { "" };
            let dir = self.pick(&["", " DESC", " ASC"]);
            let nulls = if self.chance(0.2) { self.pick(&[" NULLS FIRST", " NULLS LAST"]) } else { "" };
            keys.push(format!("{c}{coll}{dir}{nulls}"));
        }
        // Every source's key makes the order total, NULL-extended rows
        // included; views and subqueries have none.
        let total = src.iter().all(|s| !s.key.is_empty());
        for s in &src {
            let dir = if self.rng.random_bool(0.3) { " DESC" } else { "" };
            keys.extend(s.key.iter().map(|k| format!("{k}{dir}")));
        }
        if keys.is_empty() {
            keys.push("1".into());
        }
        sql += &format!(" ORDER BY {}", keys.join(", "));
        if total && self.chance(0.5) {
            sql += &format!(" LIMIT {}", self.rng.random_range(0..6));
            if self.chance(0.4) {
                sql += &format!(" OFFSET {}", self.rng.random_range(0..4));
            }
        }
        let sql = self.with_prefix(sql);
        DiffStatement { sql, check: if total { Check::Ordered } else { Check::Unordered } }
    }

    fn aggregate_select(&mut self) -> DiffStatement {
        let (src, from) = self.sources(3);
        let n_keys = self.rng.random_range(0..=2);
        let keys: Vec<String> = (0..n_keys).map(|_| self.column(&src).0).collect();
        let mut items = keys.clone();
        for _ in 0..self.rng.random_range(1..=3) {
            items.push(self.aggregate(&src));
        }
        if let Some(k) = keys.first()
            && self.chance(0.2)
        {
            // A subquery correlated with a group key.
            let t = self.below(self.tables.len());
            let name = self.tables.get(t).map(|tm| tm.name.clone()).unwrap_or_default();
            let alias = self.alias();
            let inner = vec![self.base(t, &alias)];
            let (c, _) = self.column(&inner);
            items.push(format!("(SELECT count(*) FROM {name} AS {alias} WHERE {c} = {k})"));
        }
        let mut sql = format!("SELECT {} FROM {from}", items.join(", "));
        if self.chance(0.6) {
            let w = self.predicate(&src, 1);
            sql += &format!(" WHERE {w}");
        }
        let mut check = Check::Unordered;
        if keys.is_empty() && self.chance(0.15) {
            let agg = self.aggregate(&src);
            sql += &format!(" HAVING {agg} > {}", self.rng.random_range(0..3));
        }
        if !keys.is_empty() {
            sql += &format!(" GROUP BY {}", keys.join(", "));
            if self.chance(0.4) {
                let agg = self.aggregate(&src);
                let op = self.pick(&[">", "<", "=", ">="]);
                let k = self.rng.random_range(0..4);
                sql += &format!(" HAVING {agg} {op} {k}");
            }
            if self.chance(0.4) {
                // Ordering by every group key orders the groups completely.
                sql += &format!(" ORDER BY {}", keys.join(", "));
                check = Check::Ordered;
                if self.chance(0.5) {
                    sql += &format!(" LIMIT {}", self.rng.random_range(0..4));
                }
            }
        }
        let sql = self.with_prefix(sql);
        DiffStatement { sql, check }
    }

    fn compound_select(&mut self) -> DiffStatement {
        let width = self.rng.random_range(1..=2);
        let n = self.rng.random_range(2..=3);
        let mut parts = Vec::new();
        for _ in 0..n {
            let t = self.below(self.tables.len());
            let Some(table) = self.tables.get(t).cloned() else { continue };
            let alias = self.alias();
            let src = vec![self.base(t, &alias)];
            // BINARY columns only: a NOCASE column on the left would make
            // 'a' and 'A' from different arms one row, shown either way.
            let binary: Vec<Column> = table.cols.iter().filter(|c| c.binary).cloned().collect();
            let cols: Vec<String> = (0..width)
                .map(|_| match binary.get(self.below(binary.len())) {
                    Some(c) => format!("{alias}.{}", c.name),
                    None => "'k'".to_owned(),
                })
                .collect();
            let mut part = format!("SELECT {} FROM {} AS {alias}", cols.join(", "), table.name);
            if self.chance(0.7) {
                let w = self.predicate(&src, 1);
                part += &format!(" WHERE {w}");
            }
            parts.push(part);
        }
        let mut sql = String::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                sql += &format!(" {} ", self.pick(&["UNION", "UNION ALL", "INTERSECT", "EXCEPT"]));
            }
            sql += p;
        }
        let mut check = Check::Unordered;
        if self.chance(0.4) {
            let keys: Vec<String> = (1..=width).map(|i| i.to_string()).collect();
            sql += &format!(" ORDER BY {}", keys.join(", "));
            check = Check::Ordered;
            if self.chance(0.5) {
                sql += &format!(" LIMIT {}", self.rng.random_range(1..5));
            }
        }
        DiffStatement { sql, check }
    }
}

fn dummy_column() -> Column {
    Column { name: "rowid".into(), affinity: Affinity::Integer, binary: true, not_null: false, unique: true }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_depend_on_the_seed_alone() {
        assert_eq!(DiffGenerator::new(5).script(50), DiffGenerator::new(5).script(50));
        assert_ne!(DiffGenerator::new(5).script(50), DiffGenerator::new(6).script(50));
    }

    #[test]
    fn known_deviations_only_when_asked() {
        let has_row_set = |d: Deviations| {
            (0..300).any(|seed| {
                DiffGenerator::with_deviations(seed, d).script(100).iter().any(|s| s.sql.contains(" SET ("))
            })
        };
        assert!(has_row_set(Deviations::Include));
        assert!(!has_row_set(Deviations::Avoid));
    }

    #[test]
    fn limits_come_with_a_total_order() {
        let mut limits = 0;
        for seed in 0..50 {
            for s in DiffGenerator::new(seed).script(100) {
                // Each LIMIT follows an ORDER BY of its own SELECT, which
                // ends with a key (rowid, a primary key column, or every
                // output column of a compound).
                for (at, _) in s.sql.match_indices(" LIMIT ") {
                    limits += 1;
                    let head = s.sql.get(..at).unwrap_or("");
                    let select = head.rfind("SELECT ").unwrap_or(0);
                    let order = head.rfind(" ORDER BY ");
                    assert!(order.is_some_and(|o| o > select), "{}", s.sql);
                }
                // A top-level LIMIT (after the last parenthesis: top-level
                // ORDER BY terms have none) makes the order matter.
                let tail = s.sql.rsplit(')').next().unwrap_or("");
                if s.sql.starts_with("SELECT") && tail.contains(" LIMIT ") {
                    assert_eq!(s.check, Check::Ordered, "{}", s.sql);
                }
            }
        }
        assert!(limits > 100, "{limits} LIMITs");
    }
}
