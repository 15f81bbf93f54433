//! The catalog: tables, indexes and views, kept as rows of `sqlite_schema`
//! (tree 1, a rowid table with SQLite's columns `type, name, tbl_name,
//! rootpage, sql`) and rebuilt by parsing their `CREATE` statements, as
//! SQLite does. `rootpage` holds the storage tree id.

use crate::ast::{self, ColumnConstraint, Expr, IndexedColumn, TableConstraint};
use crate::error::{Result, sql_err};
use crate::parse::parse_sql;
use crate::record::decode_row;
use crate::value::{Affinity, Collation, Value};
use dosql_storage::TreeId;
use std::collections::{BTreeMap, HashMap};

/// [`Index::columns`] of an expression key part (SQLite reports its
/// column number as -2).
pub const EXPR_COLUMN: usize = usize::MAX;

/// The tree holding `sqlite_schema`.
pub const SCHEMA_TREE: TreeId = 1;

/// The tree holding database-wide SQL settings (`PRAGMA user_version`),
/// created on first use. Table and index trees are numbered from 2.
pub const META_TREE: TreeId = 0;

/// A table column.
#[derive(Debug, Clone)]
pub struct Column {
    /// Name as declared.
    pub name: String,
    /// Declared type text.
    pub decl_type: String,
    /// Type affinity.
    pub affinity: Affinity,
    /// `NOT NULL`.
    pub not_null: bool,
    /// `DEFAULT` expression.
    pub default: Option<Expr>,
    /// The DEFAULT's source text, as `PRAGMA table_info` shows it.
    pub default_text: Option<String>,
    /// Collation.
    pub collation: Collation,
    /// Part of the primary key.
    pub primary_key: bool,
    /// The NOT NULL constraint's own conflict clause.
    pub not_null_conflict: Option<ast::Conflict>,
    /// `AS (expr)`: the column is computed from the others.
    pub generated: Option<Generated>,
}

/// A generated column's definition.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The expression over the row's other columns.
    pub expr: Expr,
    /// `STORED` (else `VIRTUAL`; both are kept in the record here, which
    /// nothing observable distinguishes).
    pub stored: bool,
}

/// A FOREIGN KEY constraint of a (child) table.
#[derive(Debug, Clone)]
pub struct ForeignKey {
    /// The child columns (indexes into the table's columns).
    pub columns: Vec<usize>,
    /// The parent table, as written.
    pub parent: String,
    /// The parent columns as written; empty for the parent's PRIMARY KEY.
    pub parent_columns: Vec<String>,
    /// `ON DELETE` action.
    pub on_delete: ast::FkAction,
    /// `ON UPDATE` action.
    pub on_update: ast::FkAction,
    /// `DEFERRABLE INITIALLY DEFERRED`.
    pub deferred: bool,
}

/// A table.
#[derive(Debug, Clone)]
pub struct Table {
    /// Name as declared.
    pub name: String,
    /// Storage tree of its rows.
    pub tree: TreeId,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// The `INTEGER PRIMARY KEY` column that aliases the rowid.
    pub rowid_alias: Option<usize>,
    /// `CHECK` constraints.
    pub checks: Vec<Expr>,
    /// What each CHECK failure is reported as (its name or source text).
    pub check_labels: Vec<String>,
    /// `AUTOINCREMENT`.
    pub autoincrement: bool,
    /// The PRIMARY KEY's columns in key order (empty without one).
    pub primary_key: Vec<usize>,
    /// The PRIMARY KEY's own conflict clause.
    pub pk_conflict: Option<ast::Conflict>,
    /// `STRICT`: every value must have its column's declared type.
    pub strict: bool,
    /// For a WITHOUT ROWID table, the tree of its PRIMARY KEY index: rows
    /// are read in its order, and the rowid the engine keeps is never
    /// visible.
    pub without_rowid: Option<TreeId>,
    /// FOREIGN KEY constraints, in declaration order.
    pub foreign_keys: Vec<ForeignKey>,
    /// The `CREATE TABLE` text.
    pub sql: String,
}

impl Table {
    /// Index of the column named `name` (case-insensitive).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// An index: key = index columns, then the rowid.
#[derive(Debug, Clone)]
pub struct Index {
    /// Name.
    pub name: String,
    /// Table name.
    pub table: String,
    /// Storage tree.
    pub tree: TreeId,
    /// Key columns (column index into the table; [`EXPR_COLUMN`] for an
    /// expression part).
    pub columns: Vec<usize>,
    /// The expression of each key part that is one (`None` for a column).
    pub exprs: Vec<Option<Expr>>,
    /// Per-column collation.
    pub collations: Vec<Collation>,
    /// Per-column DESC.
    pub desc: Vec<bool>,
    /// `UNIQUE` (including those made for UNIQUE / PRIMARY KEY constraints).
    pub unique: bool,
    /// Partial index condition.
    pub where_: Option<Expr>,
    /// The UNIQUE / PRIMARY KEY constraint's own conflict clause.
    pub on_conflict: Option<ast::Conflict>,
    /// The `CREATE INDEX` text; `None` for automatic indexes.
    pub sql: Option<String>,
}

/// A view.
#[derive(Debug, Clone)]
pub struct View {
    /// Name.
    pub name: String,
    /// Declared column names.
    pub columns: Vec<String>,
    /// Its query.
    pub query: ast::Select,
    /// The `CREATE VIEW` text.
    pub sql: String,
    /// A TEMP view (kept in the connection's temporary database).
    pub temp: bool,
}

/// A trigger.
#[derive(Debug, Clone)]
pub struct Trigger {
    /// Its definition.
    pub def: ast::CreateTrigger,
    /// The `CREATE TRIGGER` text.
    pub sql: String,
    /// Creation order: later triggers fire first, as in SQLite.
    pub seq: u64,
}

/// Every schema object.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Tables by lower-case name.
    pub tables: BTreeMap<String, Table>,
    /// Indexes by lower-case name.
    pub indexes: BTreeMap<String, Index>,
    /// Views by lower-case name.
    pub views: BTreeMap<String, View>,
    /// Triggers by lower-case name.
    pub triggers: BTreeMap<String, Trigger>,
    /// The next free tree id.
    pub next_tree: TreeId,
    /// The next free tree id in the temporary database.
    pub next_temp_tree: TreeId,
    /// What `ANALYZE` last recorded in `sqlite_stat1`.
    pub stats: crate::analyze::Stats,
    /// Read every table by a full scan (no index or rowid lookups).
    pub scan_only: bool,
    /// The main database numbers its automatic indexes as files made
    /// before 2026-11-27 did: the primary key's first, duplicates kept.
    /// Files made since say otherwise in [`META_TREE`] (see
    /// [`AUTOINDEX_ORDER_KEY`]), and so does every TEMP table; a file keeps
    /// the numbering it was made with, since its stored index names map to
    /// trees by number.
    pub legacy_autoindex_order: bool,
}

/// The [`META_TREE`] key of a database whose automatic indexes are
/// numbered as SQLite numbers them: in the order their constraints appear,
/// a constraint identical to an earlier one adding none.
pub const AUTOINDEX_ORDER_KEY: &[u8] = b"autoindex_order";

/// The UNIQUE / PRIMARY KEY constraints that make an index, in order: one
/// over the same columns as an earlier one makes none and lends it its
/// ON CONFLICT clause if the earlier has none (two different clauses are
/// an error), as in SQLite.
fn distinct_constraints(
    all: Vec<(Vec<usize>, Option<ast::Conflict>)>,
) -> Result<Vec<(Vec<usize>, Option<ast::Conflict>)>> {
    let mut kept: Vec<(Vec<usize>, Option<ast::Conflict>)> = Vec::new();
    for (cols, conflict) in all {
        match kept.iter_mut().find(|(k, _)| *k == cols) {
            Some((_, have)) => match (*have, conflict) {
                (Some(a), Some(b)) if a != b => return sql_err("conflicting ON CONFLICT clauses specified"),
                (None, c) => *have = c,
                _ => {}
            },
            None => kept.push((cols, conflict)),
        }
    }
    Ok(kept)
}

/// Strips one level of SQL identifier quoting.
pub fn lower(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Parsed `CREATE` statements by their text, kept between schema loads.
pub type ParseMemo = HashMap<String, ast::Statement>;

impl Schema {
    /// Rebuilds the schema from the rows of `sqlite_schema` and of the
    /// temporary database's `sqlite_temp_schema`.
    pub fn load(rows: impl Iterator<Item = Vec<u8>>, temp_rows: impl Iterator<Item = Vec<u8>>) -> Result<Schema> {
        Schema::load_memo(rows, temp_rows, &mut ParseMemo::default(), false)
    }

    /// [`Schema::load`], reusing the statements `memo` parsed in the last
    /// load: a connection reloads its schema after every DDL statement, and
    /// parsing every stored CREATE text each time would make a schema of
    /// `n` objects cost `n²` parses to build. `memo` keeps what this load used.
    /// `legacy` is [`Schema::legacy_autoindex_order`] of the main database.
    pub fn load_memo(
        rows: impl Iterator<Item = Vec<u8>>,
        temp_rows: impl Iterator<Item = Vec<u8>>,
        memo: &mut ParseMemo,
        legacy: bool,
    ) -> Result<Schema> {
        let mut used = ParseMemo::default();
        let r = Schema::load_using(rows, temp_rows, memo, &mut used, legacy);
        *memo = used;
        r
    }

    fn load_using(
        rows: impl Iterator<Item = Vec<u8>>,
        temp_rows: impl Iterator<Item = Vec<u8>>,
        memo: &mut ParseMemo,
        used: &mut ParseMemo,
        legacy_autoindex_order: bool,
    ) -> Result<Schema> {
        let mut schema = Schema {
            legacy_autoindex_order,
            next_tree: SCHEMA_TREE + 1,
            next_temp_tree: crate::txn::TEMP_BIT | (SCHEMA_TREE + 1),
            ..Schema::default()
        };
        // Each row with whether it came from the temporary database (whose
        // rows, as SQLite stores them, do not say TEMP).
        let mut entries = Vec::new();
        for (raw, temp) in rows.map(|r| (r, false)).chain(temp_rows.map(|r| (r, true))) {
            let Some(row) = decode_row(&raw) else {
                return sql_err("malformed database schema: undecodable sqlite_schema row");
            };
            entries.push((row, temp));
        }
        // Automatic indexes have no SQL; their tables' constraints rebuild
        // them, taking their trees from here.
        let mut auto_trees = BTreeMap::new();
        for (row, _) in &entries {
            if let (Some(Value::Text(name)), Some(Value::Integer(root)), Some(Value::Null)) =
                (row.get(1), row.get(3), row.get(4))
            {
                auto_trees.insert(lower(name), *root as TreeId);
            }
        }
        // Tables first, so that indexes find them.
        entries.sort_by_key(|(r, _)| !matches!(r.first(), Some(Value::Text(t)) if t == "table"));
        for (row, temp) in entries {
            let (Some(Value::Text(kind)), Some(Value::Text(name)), Some(root)) = (row.first(), row.get(1), row.get(3))
            else {
                return sql_err("malformed database schema: bad sqlite_schema row");
            };
            let tree = match root {
                Value::Integer(i) => *i as TreeId,
                _ => 0,
            };
            if crate::txn::is_temp(tree) {
                schema.next_temp_tree = schema.next_temp_tree.max(tree + 1);
            } else {
                schema.next_tree = schema.next_tree.max(tree + 1);
            }
            let sql = match row.get(4) {
                Some(Value::Text(s)) => s.clone(),
                _ => String::new(),
            };
            if sql.is_empty() {
                // An automatic index: rebuilt from its table's constraints.
                continue;
            }
            let statement = match memo.remove(&sql) {
                Some(s) => s,
                None => {
                    let mut parsed = parse_sql(&sql)
                        .map_err(|e| crate::Error::Sql(format!("malformed database schema ({name}) - {e}")))?;
                    let Some(p) = parsed.pop() else {
                        return sql_err(format!("malformed database schema ({name})"));
                    };
                    p.statement
                }
            };
            used.insert(sql.clone(), statement.clone());
            match (kind.as_str(), statement) {
                ("table", ast::Statement::CreateTable(ct)) => {
                    let table = lower(&ct.name);
                    schema.add_table(&ct, tree, sql, &mut |n| {
                        let auto = format!("sqlite_autoindex_{table}_{}", n + 1);
                        match auto_trees.get(&auto) {
                            Some(t) => Ok(*t),
                            None => sql_err(format!("malformed database schema: missing {auto}")),
                        }
                    })?;
                }
                ("index", ast::Statement::CreateIndex(ci)) => schema.add_index(&ci, tree, Some(sql))?,
                ("view", ast::Statement::CreateView(mut cv)) => {
                    cv.temporary |= temp;
                    schema.add_view(&cv, sql)
                }
                ("trigger", ast::Statement::CreateTrigger(ct)) => schema.add_trigger(*ct, sql),
                _ => return sql_err(format!("malformed database schema ({name})")),
            }
        }
        Ok(schema)
    }

    /// Looks a table up by name.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(&lower(name))
    }

    /// Indexes of a table, in the order SQLite checks their constraints
    /// (and so reports the first one a row breaks): the most recently made
    /// first (trees are numbered in order of creation), those whose own
    /// conflict clause is REPLACE after all others.
    pub fn table_indexes(&self, table: &str) -> impl DoubleEndedIterator<Item = &Index> {
        let t = lower(table);
        let mut found: Vec<&Index> = self.indexes.values().filter(|i| lower(&i.table) == t).collect();
        found.sort_by_key(|i| (i.on_conflict == Some(ast::Conflict::Replace), std::cmp::Reverse(i.tree)));
        found.into_iter()
    }

    /// Adds a table from its definition. `auto_tree` gives the tree for
    /// each automatic index it needs (UNIQUE / non-rowid PRIMARY KEY).
    pub fn add_table(
        &mut self,
        ct: &ast::CreateTable,
        tree: TreeId,
        sql: String,
        auto_tree: &mut dyn FnMut(usize) -> Result<TreeId>,
    ) -> Result<()> {
        let mut columns = Vec::new();
        let mut rowid_alias = None;
        let mut autoincrement = false;
        let mut checks = Vec::new();
        let mut check_labels = Vec::new();
        let mut uniques: Vec<(Vec<usize>, Option<ast::Conflict>)> = Vec::new();
        let mut pk_conflict = None;
        let mut pk_cols: Vec<usize> = Vec::new();
        // Where the primary key falls among the UNIQUE constraints.
        let mut pk_at = 0;
        let mut foreign_keys = Vec::new();
        for (i, c) in ct.columns.iter().enumerate() {
            if columns.iter().any(|x: &Column| x.name.eq_ignore_ascii_case(&c.name)) {
                return sql_err(format!("duplicate column name: {}", c.name));
            }
            let affinity = if ct.strict {
                strict_affinity(&ct.name, &c.name, &c.type_name)?
            } else {
                Affinity::from_declared_type(&c.type_name)
            };
            let mut col = Column {
                name: c.name.clone(),
                decl_type: c.type_name.clone(),
                affinity,
                not_null: false,
                default: None,
                default_text: c.default_text.clone(),
                collation: Collation::Binary,
                primary_key: false,
                not_null_conflict: None,
                generated: None,
            };
            for k in &c.constraints {
                match k {
                    ColumnConstraint::PrimaryKey { desc, autoincrement: ai, conflict } => {
                        pk_conflict = *conflict;
                        pk_at = uniques.len();
                        if col.generated.is_some() {
                            return sql_err("generated columns cannot be part of the PRIMARY KEY");
                        }
                        if !pk_cols.is_empty() {
                            return sql_err(format!("table \"{}\" has more than one primary key", ct.name));
                        }
                        col.primary_key = true;
                        pk_cols.push(i);
                        if c.type_name.eq_ignore_ascii_case("integer") && !desc {
                            rowid_alias = Some(i);
                        } else if *ai {
                            return sql_err("AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY");
                        }
                        autoincrement |= *ai;
                    }
                    ColumnConstraint::NotNull(conflict) => {
                        col.not_null = true;
                        col.not_null_conflict = *conflict;
                    }
                    ColumnConstraint::Unique(conflict) => uniques.push((vec![i], *conflict)),
                    ColumnConstraint::Check(e, label) => {
                        checks.push(e.clone());
                        check_labels.push(label.clone());
                    }
                    ColumnConstraint::Default(e) => {
                        if col.generated.is_some() {
                            return sql_err("cannot use DEFAULT on a generated column");
                        }
                        col.default = Some(e.clone());
                    }
                    ColumnConstraint::Collate(name) => col.collation = collation_by_name(name)?,
                    ColumnConstraint::ForeignKey(fk) => {
                        if fk.columns.len() > 1 {
                            return sql_err(format!(
                                "foreign key on {} should reference only one column of table {}",
                                c.name, fk.table
                            ));
                        }
                        foreign_keys.push(foreign_key(vec![i], fk));
                    }
                    ColumnConstraint::Generated { expr, stored } => {
                        if col.primary_key {
                            return sql_err("generated columns cannot be part of the PRIMARY KEY");
                        }
                        if col.default.is_some() || col.generated.is_some() {
                            return sql_err(format!("error in generated column \"{}\"", c.name));
                        }
                        col.generated = Some(Generated { expr: expr.clone(), stored: *stored });
                    }
                }
            }
            if col.generated.is_some() && rowid_alias == Some(i) {
                return sql_err("generated columns cannot be part of the PRIMARY KEY");
            }
            columns.push(col);
        }
        for k in &ct.constraints {
            match k {
                TableConstraint::PrimaryKey(cols, conflict) => {
                    pk_conflict = *conflict;
                    pk_at = uniques.len();
                    if !pk_cols.is_empty() {
                        return sql_err(format!("table \"{}\" has more than one primary key", ct.name));
                    }
                    let idx = resolve_indexed(&columns, cols, false)?.0;
                    if idx.iter().any(|&i| columns[i].generated.is_some()) {
                        return sql_err("generated columns cannot be part of the PRIMARY KEY");
                    }
                    for &i in &idx {
                        columns[i].primary_key = true;
                    }
                    if idx.len() == 1 && columns[idx[0]].decl_type.eq_ignore_ascii_case("integer") && !cols[0].desc {
                        rowid_alias = Some(idx[0]);
                    }
                    pk_cols = idx;
                }
                TableConstraint::Unique(cols, conflict) => {
                    uniques.push((resolve_indexed(&columns, cols, false)?.0, *conflict))
                }
                TableConstraint::Check(e, label) => {
                    checks.push(e.clone());
                    check_labels.push(label.clone());
                }
                TableConstraint::ForeignKey(names, fk) => {
                    if !fk.columns.is_empty() && fk.columns.len() != names.len() {
                        return sql_err(
                            "number of columns in foreign key does not match the number of columns in the referenced table",
                        );
                    }
                    let mut cols = Vec::new();
                    for n in names {
                        match columns.iter().position(|c| c.name.eq_ignore_ascii_case(n)) {
                            Some(i) => cols.push(i),
                            None => return sql_err(format!("unknown column \"{n}\" in foreign key definition")),
                        }
                    }
                    foreign_keys.push(foreign_key(cols, fk));
                }
            }
        }
        if !columns.is_empty() && columns.iter().all(|c| c.generated.is_some()) {
            return sql_err("must have at least one non-generated column");
        }
        if ct.without_rowid {
            if pk_cols.is_empty() {
                return sql_err(format!("PRIMARY KEY missing on table {}", ct.name));
            }
            if autoincrement {
                return sql_err("AUTOINCREMENT not allowed on WITHOUT ROWID tables");
            }
            // No rowid to alias, and the key may not hold NULLs.
            rowid_alias = None;
            for &i in &pk_cols {
                columns[i].not_null = true;
                columns[i].not_null_conflict = columns[i].not_null_conflict.or(pk_conflict);
            }
        }
        let primary_key = pk_cols.clone();
        let legacy = self.legacy_autoindex_order && !crate::txn::is_temp(tree);
        if !pk_cols.is_empty() && rowid_alias.is_none() {
            uniques.insert(if legacy { 0 } else { pk_at.min(uniques.len()) }, (pk_cols.clone(), pk_conflict));
        }
        if !legacy {
            uniques = distinct_constraints(uniques)?;
        }
        let name = ct.name.clone();
        let mut without_rowid = None;
        for (n, (cols, on_conflict)) in uniques.into_iter().enumerate() {
            let tree = auto_tree(n)?;
            if ct.without_rowid && without_rowid.is_none() && cols == pk_cols {
                without_rowid = Some(tree);
            }
            self.note_tree(tree);
            let collations = cols.iter().map(|&c| columns[c].collation).collect();
            self.indexes.insert(
                format!("sqlite_autoindex_{}_{}", lower(&name), n + 1),
                Index {
                    name: format!("sqlite_autoindex_{}_{}", name, n + 1),
                    table: name.clone(),
                    tree,
                    desc: vec![false; cols.len()],
                    exprs: vec![None; cols.len()],
                    columns: cols,
                    collations,
                    unique: true,
                    where_: None,
                    on_conflict,
                    sql: None,
                },
            );
        }
        self.note_tree(tree);
        self.tables.insert(
            lower(&name),
            Table {
                name,
                tree,
                columns,
                rowid_alias,
                checks,
                check_labels,
                autoincrement,
                primary_key,
                pk_conflict,
                without_rowid,
                strict: ct.strict,
                foreign_keys,
                sql,
            },
        );
        Ok(())
    }

    /// Adds an index from its definition.
    pub fn add_index(&mut self, ci: &ast::CreateIndex, tree: TreeId, sql: Option<String>) -> Result<()> {
        let Some(table) = self.table(&ci.table) else {
            return sql_err(format!("no such table: main.{}", ci.table));
        };
        let (columns, exprs) = resolve_indexed(&table.columns, &ci.columns, true)?;
        let mut collations = Vec::new();
        for (ic, &c) in ci.columns.iter().zip(&columns) {
            collations.push(match &ic.collation {
                Some(n) => collation_by_name(n)?,
                None => expr_collation(&ic.expr, &table.columns)
                    .or(table.columns.get(c).map(|col| col.collation))
                    .unwrap_or(Collation::Binary),
            });
        }
        let index = Index {
            name: ci.name.clone(),
            table: table.name.clone(),
            tree,
            desc: ci.columns.iter().map(|c| c.desc).collect(),
            columns,
            exprs,
            collations,
            unique: ci.unique,
            where_: ci.where_.clone(),
            on_conflict: None,
            sql,
        };
        self.note_tree(tree);
        self.indexes.insert(lower(&ci.name), index);
        Ok(())
    }

    /// Adds a view.
    pub fn add_view(&mut self, cv: &ast::CreateView, sql: String) {
        self.views.insert(
            lower(&cv.name),
            View {
                name: cv.name.clone(),
                columns: cv.columns.clone(),
                query: (*cv.query).clone(),
                sql,
                temp: cv.temporary,
            },
        );
    }

    /// Keeps the next free tree id (main or temporary) past `tree`.
    fn note_tree(&mut self, tree: TreeId) {
        if crate::txn::is_temp(tree) {
            self.next_temp_tree = self.next_temp_tree.max(tree + 1);
        } else {
            self.next_tree = self.next_tree.max(tree + 1);
        }
    }

    /// Adds a trigger; it fires before every trigger added earlier.
    pub fn add_trigger(&mut self, def: ast::CreateTrigger, sql: String) {
        let seq = self.triggers.values().map(|t| t.seq + 1).max().unwrap_or(0);
        self.triggers.insert(lower(&def.name), Trigger { def, sql, seq });
    }

    /// The triggers on table or view `table`, in firing order.
    pub fn triggers_on(&self, table: &str) -> Vec<&Trigger> {
        let mut v: Vec<&Trigger> = self.triggers.values().filter(|t| t.def.table.eq_ignore_ascii_case(table)).collect();
        v.sort_by_key(|t| std::cmp::Reverse(t.seq));
        v
    }

    /// Whether any table, index or view is called `name`.
    pub fn name_taken(&self, name: &str) -> bool {
        let n = lower(name);
        self.tables.contains_key(&n) || self.indexes.contains_key(&n) || self.views.contains_key(&n)
    }
}

/// The affinity of a STRICT table's column, which must be declared INT,
/// INTEGER, REAL, TEXT, BLOB or ANY (ANY keeps values as given).
fn strict_affinity(table: &str, column: &str, decl: &str) -> Result<Affinity> {
    match decl.to_ascii_uppercase().as_str() {
        "" => sql_err(format!("missing datatype for {table}.{column}")),
        "INT" | "INTEGER" => Ok(Affinity::Integer),
        "REAL" => Ok(Affinity::Real),
        "TEXT" => Ok(Affinity::Text),
        "BLOB" | "ANY" => Ok(Affinity::Blob),
        _ => sql_err(format!("unknown datatype for {table}.{column}: \"{decl}\"")),
    }
}

/// A foreign key over child columns `columns`, as kept in the schema.
fn foreign_key(columns: Vec<usize>, fk: &ast::ForeignKey) -> ForeignKey {
    ForeignKey {
        columns,
        parent: fk.table.clone(),
        parent_columns: fk.columns.clone(),
        on_delete: fk.on_delete,
        on_update: fk.on_update,
        deferred: fk.deferred,
    }
}

/// The collation called `name`.
pub fn collation_by_name(name: &str) -> Result<Collation> {
    match name.to_ascii_lowercase().as_str() {
        "binary" => Ok(Collation::Binary),
        "nocase" => Ok(Collation::NoCase),
        "rtrim" => Ok(Collation::RTrim),
        _ => sql_err(format!("no such collation sequence: {name}")),
    }
}

/// The key parts of an index or a UNIQUE / PRIMARY KEY constraint: table
/// columns, or (only for CREATE INDEX) expressions over them.
fn resolve_indexed(
    columns: &[Column],
    cols: &[IndexedColumn],
    expressions: bool,
) -> Result<(Vec<usize>, Vec<Option<Expr>>)> {
    let mut out = Vec::new();
    let mut exprs = Vec::new();
    for ic in cols {
        let inner = match &ic.expr {
            Expr::Collate { expr, .. } => expr.as_ref(),
            e => e,
        };
        if let Expr::Column { table: None, name } = inner {
            match columns.iter().position(|c| c.name.eq_ignore_ascii_case(name)) {
                Some(i) => {
                    out.push(i);
                    exprs.push(None);
                    continue;
                }
                None if !expressions => return sql_err(format!("no such column: {name}")),
                // A string in an index list is a column name when one matches,
                // an expression otherwise; an unknown bare name is an error.
                None => return sql_err(format!("no such column: {name}")),
            }
        }
        if !expressions {
            return sql_err("expressions prohibited in PRIMARY KEY and UNIQUE constraints");
        }
        check_index_expr(inner)?;
        out.push(EXPR_COLUMN);
        exprs.push(Some(inner.clone()));
    }
    Ok((out, exprs))
}

/// SQLite's limits on index expressions: no subqueries, no parameters,
/// no non-deterministic functions.
fn check_index_expr(e: &Expr) -> Result<()> {
    check_index_part(e, "index expressions")
}

/// SQLite's limits on a partial index's WHERE clause (checked when the
/// index is created, so a database holding one still opens).
pub(crate) fn check_partial_where(e: &Expr) -> Result<()> {
    check_index_part(e, "partial index WHERE clauses")
}

/// Whether a stored partial index condition holds a subquery (an index
/// made before [`check_partial_where`] existed): the planner leaves it out.
pub(crate) fn has_subquery(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| {
        found |= matches!(x, Expr::Subquery(_) | Expr::RowSubquery { .. } | Expr::Exists { .. } | Expr::InSelect { .. })
    });
    found
}

fn check_index_part(e: &Expr, what: &str) -> Result<()> {
    let mut bad = None;
    e.walk(&mut |x| {
        if bad.is_some() {
            return;
        }
        match x {
            Expr::Subquery(_) | Expr::RowSubquery { .. } | Expr::Exists { .. } | Expr::InSelect { .. } => {
                bad = Some(format!("subqueries prohibited in {what}"))
            }
            Expr::Param(_) => bad = Some(format!("parameters prohibited in {what}")),
            Expr::Function { name, .. }
                if matches!(
                    name.to_ascii_lowercase().as_str(),
                    "random" | "randomblob" | "changes" | "total_changes" | "last_insert_rowid"
                ) =>
            {
                bad = Some(format!("non-deterministic functions prohibited in {what}"))
            }
            _ => {}
        }
    });
    match bad {
        Some(m) => sql_err(m),
        None => Ok(()),
    }
}

/// The collation an index expression carries: an explicit COLLATE, else a
/// bare column's.
fn expr_collation(e: &Expr, columns: &[Column]) -> Option<Collation> {
    match e {
        Expr::Collate { collation, .. } => collation_by_name(collation).ok(),
        Expr::Column { table: None, name } => {
            columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)).map(|c| c.collation)
        }
        _ => None,
    }
}
