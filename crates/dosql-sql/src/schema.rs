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
use std::collections::BTreeMap;

/// The tree holding `sqlite_schema`.
pub const SCHEMA_TREE: TreeId = 1;

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
    /// Collation.
    pub collation: Collation,
    /// Part of the primary key.
    pub primary_key: bool,
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
    /// Key columns (column index into the table; expressions not yet).
    pub columns: Vec<usize>,
    /// Per-column collation.
    pub collations: Vec<Collation>,
    /// Per-column DESC.
    pub desc: Vec<bool>,
    /// `UNIQUE` (including those made for UNIQUE / PRIMARY KEY constraints).
    pub unique: bool,
    /// Partial index condition.
    pub where_: Option<Expr>,
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
}

/// Strips one level of SQL identifier quoting.
pub fn lower(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl Schema {
    /// Rebuilds the schema from the rows of `sqlite_schema`.
    pub fn load(rows: impl Iterator<Item = Vec<u8>>) -> Result<Schema> {
        let mut schema = Schema { next_tree: SCHEMA_TREE + 1, ..Schema::default() };
        let mut entries = Vec::new();
        for raw in rows {
            let Some(row) = decode_row(&raw) else {
                return sql_err("malformed database schema: undecodable sqlite_schema row");
            };
            entries.push(row);
        }
        // Automatic indexes have no SQL; their tables' constraints rebuild
        // them, taking their trees from here.
        let mut auto_trees = BTreeMap::new();
        for row in &entries {
            if let (Some(Value::Text(name)), Some(Value::Integer(root)), Some(Value::Null)) =
                (row.get(1), row.get(3), row.get(4))
            {
                auto_trees.insert(lower(name), *root as TreeId);
            }
        }
        // Tables first, so that indexes find them.
        entries.sort_by_key(|r| !matches!(r.first(), Some(Value::Text(t)) if t == "table"));
        for row in entries {
            let (Some(Value::Text(kind)), Some(Value::Text(name)), Some(root)) = (row.first(), row.get(1), row.get(3))
            else {
                return sql_err("malformed database schema: bad sqlite_schema row");
            };
            let tree = match root {
                Value::Integer(i) => *i as TreeId,
                _ => 0,
            };
            schema.next_tree = schema.next_tree.max(tree + 1);
            let sql = match row.get(4) {
                Some(Value::Text(s)) => s.clone(),
                _ => String::new(),
            };
            if sql.is_empty() {
                // An automatic index: rebuilt from its table's constraints.
                continue;
            }
            let mut parsed =
                parse_sql(&sql).map_err(|e| crate::Error::Sql(format!("malformed database schema ({name}) - {e}")))?;
            let Some(p) = parsed.pop() else {
                return sql_err(format!("malformed database schema ({name})"));
            };
            match (kind.as_str(), p.statement) {
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
                ("view", ast::Statement::CreateView(cv)) => schema.add_view(&cv, sql),
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

    /// Indexes of a table.
    pub fn table_indexes(&self, table: &str) -> impl Iterator<Item = &Index> {
        let t = lower(table);
        self.indexes.values().filter(move |i| lower(&i.table) == t)
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
        let mut uniques: Vec<Vec<usize>> = Vec::new();
        let mut pk_cols: Vec<usize> = Vec::new();
        let mut foreign_keys = Vec::new();
        for (i, c) in ct.columns.iter().enumerate() {
            if columns.iter().any(|x: &Column| x.name.eq_ignore_ascii_case(&c.name)) {
                return sql_err(format!("duplicate column name: {}", c.name));
            }
            let mut col = Column {
                name: c.name.clone(),
                decl_type: c.type_name.clone(),
                affinity: Affinity::from_declared_type(&c.type_name),
                not_null: false,
                default: None,
                collation: Collation::Binary,
                primary_key: false,
                generated: None,
            };
            for k in &c.constraints {
                match k {
                    ColumnConstraint::PrimaryKey { desc, autoincrement: ai, .. } => {
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
                    ColumnConstraint::NotNull(_) => col.not_null = true,
                    ColumnConstraint::Unique(_) => uniques.push(vec![i]),
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
                TableConstraint::PrimaryKey(cols, _) => {
                    if !pk_cols.is_empty() {
                        return sql_err(format!("table \"{}\" has more than one primary key", ct.name));
                    }
                    let idx = resolve_indexed(&columns, cols)?;
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
                TableConstraint::Unique(cols, _) => uniques.push(resolve_indexed(&columns, cols)?),
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
            return sql_err("WITHOUT ROWID tables are not supported yet");
        }
        if !pk_cols.is_empty() && rowid_alias.is_none() {
            uniques.insert(0, pk_cols);
        }
        let name = ct.name.clone();
        for (n, cols) in uniques.into_iter().enumerate() {
            let tree = auto_tree(n)?;
            self.next_tree = self.next_tree.max(tree + 1);
            let collations = cols.iter().map(|&c| columns[c].collation).collect();
            self.indexes.insert(
                format!("sqlite_autoindex_{}_{}", lower(&name), n + 1),
                Index {
                    name: format!("sqlite_autoindex_{}_{}", name, n + 1),
                    table: name.clone(),
                    tree,
                    desc: vec![false; cols.len()],
                    columns: cols,
                    collations,
                    unique: true,
                    where_: None,
                    sql: None,
                },
            );
        }
        self.next_tree = self.next_tree.max(tree + 1);
        self.tables.insert(
            lower(&name),
            Table { name, tree, columns, rowid_alias, checks, check_labels, autoincrement, foreign_keys, sql },
        );
        Ok(())
    }

    /// Adds an index from its definition.
    pub fn add_index(&mut self, ci: &ast::CreateIndex, tree: TreeId, sql: Option<String>) -> Result<()> {
        let Some(table) = self.table(&ci.table) else {
            return sql_err(format!("no such table: {}", ci.table));
        };
        let columns = resolve_indexed(&table.columns, &ci.columns)?;
        let mut collations = Vec::new();
        for (ic, &c) in ci.columns.iter().zip(&columns) {
            collations.push(match &ic.collation {
                Some(n) => collation_by_name(n)?,
                None => table.columns[c].collation,
            });
        }
        let index = Index {
            name: ci.name.clone(),
            table: table.name.clone(),
            tree,
            desc: ci.columns.iter().map(|c| c.desc).collect(),
            columns,
            collations,
            unique: ci.unique,
            where_: ci.where_.clone(),
            sql,
        };
        self.next_tree = self.next_tree.max(tree + 1);
        self.indexes.insert(lower(&ci.name), index);
        Ok(())
    }

    /// Adds a view.
    pub fn add_view(&mut self, cv: &ast::CreateView, sql: String) {
        self.views.insert(
            lower(&cv.name),
            View { name: cv.name.clone(), columns: cv.columns.clone(), query: (*cv.query).clone(), sql },
        );
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

fn resolve_indexed(columns: &[Column], cols: &[IndexedColumn]) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for ic in cols {
        let Expr::Column { name, .. } = &ic.expr else {
            return sql_err("indexes on expressions are not supported yet");
        };
        match columns.iter().position(|c| c.name.eq_ignore_ascii_case(name)) {
            Some(i) => out.push(i),
            None => return sql_err(format!("no such column: {name}")),
        }
    }
    Ok(out)
}
