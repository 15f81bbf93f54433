//! ALTER TABLE: RENAME TO, RENAME COLUMN, ADD COLUMN and DROP COLUMN.
//!
//! The catalog is SQL text (`sqlite_schema`), so the renames rewrite the
//! stored CREATE statements token by token, leaving every other byte as
//! written, the way SQLite edits them. Which identifiers name the table or
//! the column is decided from their position (a FROM list, `ON t`,
//! `REFERENCES t`, a `t.` qualifier, a column list of the table) rather
//! than by binding each statement, so a view or trigger that names the
//! column only unqualified, in a statement that does not target the table,
//! keeps the old name. ADD COLUMN rewrites the existing rows with the new
//! column's default (SQLite instead reads short rows as the default); a
//! generated column cannot be added yet.

use crate::ast::{AlterAction, AlterTable, ColumnConstraint, Expr, Statement};
use crate::bind::Binder;
use crate::error::{Result, sql_err};
use crate::exec::{Ctx, Env, eval};
use crate::parse::{SqlToken, SqlTokenKind, double_quoted, parse_sql, quote_ident, tokens};
use crate::record::{decode_row, encode_row};
use crate::schema::{SCHEMA_TREE, Schema, lower};
use crate::txn::{TEMP_BIT, Txn};
use crate::value::Value;

/// The rows of both schema tables: (schema tree, key, row).
type SchemaRows = Vec<(u64, Vec<u8>, Vec<Value>)>;

fn schema_rows(tx: &Txn) -> Result<SchemaRows> {
    let mut out = Vec::new();
    for tree in [SCHEMA_TREE, TEMP_BIT | SCHEMA_TREE] {
        for e in tx.range(tree, ..)? {
            let (k, v) = e?;
            let Some(row) = decode_row(&v) else { return sql_err("malformed database schema") };
            out.push((tree, k, row));
        }
    }
    Ok(out)
}

/// Every record of a table tree with its key.
fn records(tx: &Txn, tree: u64) -> Result<Vec<(Vec<u8>, Vec<Value>)>> {
    let mut out = Vec::new();
    for e in tx.range(tree, ..)? {
        let (k, v) = e?;
        let Some(row) = decode_row(&v) else { return sql_err("database disk image is malformed") };
        out.push((k, row));
    }
    Ok(out)
}

fn text_at(row: &[Value], i: usize) -> Option<&str> {
    match row.get(i) {
        Some(Value::Text(s)) => Some(s.as_str()),
        _ => None,
    }
}

/// Runs an ALTER TABLE statement.
pub(crate) fn alter(tx: &mut Txn, schema: &Schema, at: &AlterTable) -> Result<u64> {
    let name = &at.table;
    if lower(name).starts_with("sqlite_") {
        // SQLite names its schema table by its legacy name here.
        let shown = if lower(name) == "sqlite_schema" { "sqlite_master" } else { name.as_str() };
        return sql_err(format!("table {shown} may not be altered"));
    }
    let Some(table) = schema.table(name).cloned() else {
        if schema.views.contains_key(&lower(name)) {
            return sql_err(format!("cannot modify {name} because it is a view"));
        }
        return sql_err(format!("no such table: {name}"));
    };
    match &at.action {
        AlterAction::RenameTable(new) => rename_table(tx, schema, &table.name, new),
        AlterAction::RenameColumn { old, new } => rename_column(tx, schema, &table, old, new),
        AlterAction::AddColumn(def, text) => add_column(tx, schema, &table, def, text),
        AlterAction::DropColumn(col) => drop_column(tx, schema, &table, col),
    }
}

fn word(t: &SqlToken) -> Option<&str> {
    match &t.kind {
        SqlTokenKind::Word { value, .. } => Some(value.as_str()),
        _ => None,
    }
}

fn is_kw(t: Option<&SqlToken>, kw: &str) -> bool {
    t.is_some_and(|t| matches!(&t.kind, SqlTokenKind::Word { value, quoted: false } if value.eq_ignore_ascii_case(kw)))
}

fn is(t: Option<&SqlToken>, k: &SqlTokenKind) -> bool {
    t.is_some_and(|t| t.kind == *k)
}

/// Replaces the tokens at `hits` in `sql` with `with`.
fn splice(sql: &str, toks: &[SqlToken], hits: &[usize], with: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for &i in hits {
        let t = &toks[i];
        out.push_str(&sql[at..t.start]);
        out.push_str(with);
        at = t.end;
    }
    out.push_str(&sql[at..]);
    out
}

/// The tokens of `sql` that name table `old`: the name a CREATE TABLE
/// gives, `ON t` of an index or trigger, `REFERENCES t`, `INTO t`,
/// `UPDATE t`, tables in a FROM list or after JOIN, and `t.` qualifiers.
fn table_refs(toks: &[SqlToken], old: &str) -> Vec<usize> {
    let mut hits = Vec::new();
    // Whether each open parenthesis level is inside a FROM list.
    let mut from: Vec<bool> = vec![false];
    for (i, t) in toks.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| toks.get(p));
        match &t.kind {
            SqlTokenKind::LParen => from.push(false),
            SqlTokenKind::RParen => {
                from.pop();
                if from.is_empty() {
                    from.push(false);
                }
            }
            SqlTokenKind::Word { value, quoted } => {
                let upper = value.to_ascii_uppercase();
                if !quoted {
                    match upper.as_str() {
                        "FROM" | "JOIN" => {
                            if let Some(f) = from.last_mut() {
                                *f = true;
                            }
                        }
                        "WHERE" | "GROUP" | "ORDER" | "LIMIT" | "HAVING" | "WINDOW" | "UNION" | "EXCEPT"
                        | "INTERSECT" | "ON" | "USING" | "SET" | "VALUES" | "SELECT" | "RETURNING" => {
                            if let Some(f) = from.last_mut() {
                                *f = false;
                            }
                        }
                        _ => {}
                    }
                }
                if !value.eq_ignore_ascii_case(old) {
                    continue;
                }
                let next = toks.get(i + 1);
                let in_from = from.last().copied().unwrap_or(false);
                let table_position = is_kw(prev, "TABLE")
                    || (is_kw(prev, "EXISTS") && i >= 4 && is_kw(toks.get(i - 4), "TABLE"))
                    || is_kw(prev, "ON")
                    || is_kw(prev, "REFERENCES")
                    || is_kw(prev, "INTO")
                    || is_kw(prev, "UPDATE")
                    || is_kw(prev, "FROM")
                    || is_kw(prev, "JOIN")
                    || (in_from && is(prev, &SqlTokenKind::Comma));
                let qualifier = is(next, &SqlTokenKind::Dot) && !is(prev, &SqlTokenKind::Dot);
                if table_position || qualifier {
                    hits.push(i);
                }
            }
            _ => {}
        }
    }
    hits
}

fn rename_table(tx: &mut Txn, schema: &Schema, old: &str, new: &str) -> Result<u64> {
    if schema.name_taken(new) {
        return sql_err(format!("there is already another table or index with this name: {new}"));
    }
    if lower(new).starts_with("sqlite_") {
        return sql_err(format!("object name reserved for internal use: {new}"));
    }
    let auto_old = format!("sqlite_autoindex_{}_", lower(old));
    for (tree, key, mut row) in schema_rows(tx)? {
        let mut changed = false;
        if let Some(sql) = text_at(&row, 4).map(str::to_string) {
            let toks = tokens(&sql)?;
            let hits = table_refs(&toks, old);
            if !hits.is_empty() {
                row[4] = Value::Text(splice(&sql, &toks, &hits, &double_quoted(new)));
                changed = true;
            }
        }
        if text_at(&row, 2).is_some_and(|t| t.eq_ignore_ascii_case(old)) {
            row[2] = Value::Text(new.to_string());
            changed = true;
        }
        let name = text_at(&row, 1).unwrap_or_default().to_string();
        if name.eq_ignore_ascii_case(old) && text_at(&row, 0) == Some("table") {
            row[1] = Value::Text(new.to_string());
            changed = true;
        } else if lower(&name).starts_with(&auto_old) {
            row[1] = Value::Text(format!("sqlite_autoindex_{new}_{}", &name[auto_old.len()..]));
            changed = true;
        }
        if changed {
            tx.put(tree, &key, &encode_row(&row))?;
        }
    }
    if let Some(seq) = schema.table("sqlite_sequence") {
        let rows = records(tx, seq.tree)?;
        for (k, mut r) in rows {
            if text_at(&r, 0).is_some_and(|n| n.eq_ignore_ascii_case(old)) {
                r[0] = Value::Text(new.to_string());
                tx.put(seq.tree, &k, &encode_row(&r))?;
            }
        }
    }
    Ok(0)
}

/// The tokens of a statement's text that name column `col` of table
/// `table`. `own` says the statement is the table's own CREATE TABLE or
/// one of its indexes (every bare mention of the name is the column);
/// otherwise only `table.col`, `new.col` / `old.col` in its triggers, and
/// column lists and bare names inside statements that target the table.
fn column_refs(toks: &[SqlToken], table: &str, col: &str, own: bool, trigger_on_table: bool) -> Vec<usize> {
    let mut hits = Vec::new();
    // Inside the column list of `REFERENCES other(...)` the names are the
    // other table's, unless it is this table.
    let mut foreign_depth: Option<usize> = None;
    let mut depth = 0usize;
    // The table the current statement of a trigger body targets.
    let mut targets_table = false;
    for (i, t) in toks.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| toks.get(p));
        let next = toks.get(i + 1);
        match &t.kind {
            SqlTokenKind::LParen => {
                depth += 1;
                if foreign_depth.is_none()
                    && i >= 2
                    && is_kw(toks.get(i - 2), "REFERENCES")
                    && !toks.get(i - 1).and_then(word).is_some_and(|w| w.eq_ignore_ascii_case(table))
                {
                    foreign_depth = Some(depth);
                }
            }
            SqlTokenKind::RParen => {
                if foreign_depth == Some(depth) {
                    foreign_depth = None;
                }
                depth = depth.saturating_sub(1);
            }
            SqlTokenKind::Semicolon | SqlTokenKind::Other if trigger_on_table => {
                if matches!(t.kind, SqlTokenKind::Semicolon) {
                    targets_table = false;
                }
            }
            SqlTokenKind::Word { value, .. } => {
                if trigger_on_table
                    && (is_kw(prev, "INTO") || is_kw(prev, "UPDATE") || is_kw(prev, "FROM"))
                    && value.eq_ignore_ascii_case(table)
                {
                    targets_table = true;
                }
                if !value.eq_ignore_ascii_case(col) || foreign_depth.is_some() {
                    continue;
                }
                if is(next, &SqlTokenKind::LParen) || is(next, &SqlTokenKind::Dot) {
                    continue;
                }
                let qualified = is(prev, &SqlTokenKind::Dot);
                let qualifier =
                    if qualified { i.checked_sub(2).and_then(|q| toks.get(q)).and_then(word) } else { None };
                let hit = match qualifier {
                    Some(q) => {
                        q.eq_ignore_ascii_case(table)
                            || (trigger_on_table && (q.eq_ignore_ascii_case("new") || q.eq_ignore_ascii_case("old")))
                    }
                    None => own || (trigger_on_table && (targets_table || is_update_of(toks, i))),
                };
                if hit {
                    hits.push(i);
                }
            }
            _ => {}
        }
    }
    hits
}

/// Whether token `i` is in the `UPDATE OF a, b` list of a trigger.
fn is_update_of(toks: &[SqlToken], i: usize) -> bool {
    let mut j = i;
    while j >= 1 {
        j -= 1;
        match &toks[j].kind {
            SqlTokenKind::Comma => continue,
            SqlTokenKind::Word { value, .. } if value.eq_ignore_ascii_case("OF") => {
                return is_kw(j.checked_sub(1).and_then(|p| toks.get(p)), "UPDATE");
            }
            SqlTokenKind::Word { .. } => continue,
            _ => return false,
        }
    }
    false
}

fn rename_column(tx: &mut Txn, _schema: &Schema, table: &crate::schema::Table, old: &str, new: &str) -> Result<u64> {
    let Some(i) = table.column_index(old) else { return sql_err(format!("no such column: \"{old}\"")) };
    if table.column_index(new).is_some_and(|j| j != i) {
        return sql_err(format!("error in table {} after rename: duplicate column name: {new}", table.name));
    }
    let new_text = quote_ident(new);
    for (tree, key, mut row) in schema_rows(tx)? {
        let Some(sql) = text_at(&row, 4).map(str::to_string) else { continue };
        let kind = text_at(&row, 0).unwrap_or_default().to_string();
        let on_table = text_at(&row, 2).is_some_and(|t| t.eq_ignore_ascii_case(&table.name));
        let own = on_table && (kind == "table" || kind == "index");
        let trigger = on_table && kind == "trigger";
        let toks = tokens(&sql)?;
        let mut hits = column_refs(&toks, &table.name, old, own, trigger);
        if kind == "table" && !on_table {
            // Another table's `REFERENCES t(col)`.
            hits = referenced_columns(&toks, &table.name, old);
        }
        if kind == "view" && table_refs(&toks, &table.name).iter().any(|&h| !is(toks.get(h + 1), &SqlTokenKind::Dot)) {
            // A view over the table: its bare mentions of the column too.
            hits = column_refs(&toks, &table.name, old, true, false);
        }
        if !hits.is_empty() {
            row[4] = Value::Text(splice(&sql, &toks, &hits, &new_text));
            tx.put(tree, &key, &encode_row(&row))?;
        }
    }
    Ok(0)
}

/// In another table's CREATE text, the `col` tokens of `REFERENCES
/// table(..., col, ...)`.
fn referenced_columns(toks: &[SqlToken], table: &str, col: &str) -> Vec<usize> {
    let mut hits = Vec::new();
    let mut i = 0;
    while i + 2 < toks.len() {
        if is_kw(toks.get(i), "REFERENCES")
            && toks.get(i + 1).and_then(word).is_some_and(|w| w.eq_ignore_ascii_case(table))
            && is(toks.get(i + 2), &SqlTokenKind::LParen)
        {
            let mut j = i + 3;
            while j < toks.len() && !is(toks.get(j), &SqlTokenKind::RParen) {
                if toks.get(j).and_then(word).is_some_and(|w| w.eq_ignore_ascii_case(col)) {
                    hits.push(j);
                }
                j += 1;
            }
            i = j;
        }
        i += 1;
    }
    hits
}

/// The byte offset of the `)` that closes a CREATE TABLE's column list.
fn column_list_end(toks: &[SqlToken]) -> Option<usize> {
    let open = toks.iter().position(|t| t.kind == SqlTokenKind::LParen)?;
    let mut depth = 0usize;
    for t in &toks[open..] {
        match t.kind {
            SqlTokenKind::LParen => depth += 1,
            SqlTokenKind::RParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(t.start);
                }
            }
            _ => {}
        }
    }
    None
}

fn add_column(
    tx: &mut Txn,
    schema: &Schema,
    table: &crate::schema::Table,
    def: &crate::ast::ColumnDef,
    text: &str,
) -> Result<u64> {
    let mut default = None;
    for c in &def.constraints {
        match c {
            ColumnConstraint::PrimaryKey { .. } => return sql_err("Cannot add a PRIMARY KEY column"),
            ColumnConstraint::Unique(_) => return sql_err("Cannot add a UNIQUE column"),
            ColumnConstraint::Generated { stored: true, .. } => return sql_err("cannot add a STORED column"),
            ColumnConstraint::Generated { .. } => return sql_err("adding a generated column is not supported yet"),
            ColumnConstraint::Default(e) => default = Some(e.clone()),
            _ => {}
        }
    }
    let mut constant = true;
    if let Some(e) = &default {
        e.walk(&mut |x| {
            if matches!(
                x,
                Expr::Column { .. }
                    | Expr::Subquery(_)
                    | Expr::RowSubquery { .. }
                    | Expr::Exists { .. }
                    | Expr::InSelect { .. }
            ) || matches!(x, Expr::Function { name, .. } if name.starts_with("current_"))
            {
                constant = false;
            }
        });
    }
    if !constant {
        return sql_err("Cannot add a column with non-constant default");
    }
    let value = match &default {
        Some(e) => {
            let bound = Binder::new(schema).bind_expr(e)?;
            eval(&Ctx::new(&*tx, &[]), &bound, &Env { row: &[], aggs: &[], parent: None })?
        }
        None => Value::Null,
    };
    let not_null = def.constraints.iter().any(|c| matches!(c, ColumnConstraint::NotNull(_)));
    if not_null && value.is_null() {
        return sql_err("Cannot add a NOT NULL column with default value NULL");
    }
    if table.column_index(&def.name).is_some() {
        return sql_err(format!("duplicate column name: {}", def.name));
    }
    // The new CREATE text: the definition appended to the column list.
    let toks = tokens(&table.sql)?;
    let Some(end) = column_list_end(&toks) else { return sql_err("malformed database schema") };
    let sql = format!("{}, {}{}", &table.sql[..end], text.trim(), &table.sql[end..]);
    check_definition(schema, &table.name, &sql)?;
    update_table_sql(tx, &table.name, &sql)?;
    if !value.is_null() {
        let aff = crate::value::Affinity::from_declared_type(&def.type_name);
        let v = value.apply_affinity(aff);
        let n = table.columns.len();
        let rows = records(tx, table.tree)?;
        for (k, mut r) in rows {
            r.resize(n, Value::Null);
            r.push(v.clone());
            tx.put(table.tree, &k, &encode_row(&r))?;
        }
    }
    Ok(0)
}

/// Parses a new CREATE TABLE text and builds the table from it on a copy
/// of the schema, so a bad result fails before anything is written.
fn check_definition(schema: &Schema, name: &str, sql: &str) -> Result<crate::schema::Table> {
    let parsed = parse_sql(sql)?;
    let Some(Statement::CreateTable(ct)) = parsed.into_iter().next().map(|p| p.statement) else {
        return sql_err("malformed database schema");
    };
    let mut scratch = schema.clone();
    let old = scratch.tables.remove(&lower(name));
    let tree = old.as_ref().map_or(0, |t| t.tree);
    let mut n = 0;
    scratch.add_table(&ct, tree, sql.to_string(), &mut |_| {
        n += 1;
        Ok(u64::MAX - n)
    })?;
    scratch.table(name).cloned().ok_or_else(|| crate::Error::Sql(format!("no such table: {name}")))
}

fn update_table_sql(tx: &mut Txn, name: &str, sql: &str) -> Result<()> {
    for (tree, key, mut row) in schema_rows(tx)? {
        if text_at(&row, 0) == Some("table") && text_at(&row, 1).is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            row[4] = Value::Text(sql.to_string());
            tx.put(tree, &key, &encode_row(&row))?;
        }
    }
    Ok(())
}

fn drop_column(tx: &mut Txn, schema: &Schema, table: &crate::schema::Table, col: &str) -> Result<u64> {
    let Some(i) = table.column_index(col) else { return sql_err(format!("no such column: \"{col}\"")) };
    let c = &table.columns[i];
    if c.primary_key {
        return sql_err(format!("cannot drop PRIMARY KEY column: \"{}\"", c.name));
    }
    if schema.table_indexes(&table.name).any(|ix| ix.sql.is_none() && ix.columns.contains(&i)) {
        return sql_err(format!("cannot drop UNIQUE column: \"{}\"", c.name));
    }
    if table.columns.len() == 1 {
        return sql_err(format!("cannot drop column \"{}\": no other columns exist", c.name));
    }
    // The column's definition, from its name to the next top-level comma
    // or the end of the column list, with one separating comma.
    let toks = tokens(&table.sql)?;
    let Some(open) = toks.iter().position(|t| t.kind == SqlTokenKind::LParen) else {
        return sql_err("malformed database schema");
    };
    let mut depth = 0usize;
    let mut defs: Vec<(usize, usize)> = Vec::new(); // token ranges of the top-level items
    let mut start = open + 1;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t.kind {
            SqlTokenKind::LParen => depth += 1,
            SqlTokenKind::RParen => {
                depth -= 1;
                if depth == 0 {
                    defs.push((start, j));
                    break;
                }
            }
            SqlTokenKind::Comma if depth == 1 => {
                defs.push((start, j));
                start = j + 1;
            }
            _ => {}
        }
    }
    let Some(k) =
        defs.iter().position(|&(a, _)| toks.get(a).and_then(word).is_some_and(|w| w.eq_ignore_ascii_case(col)))
    else {
        return sql_err("malformed database schema");
    };
    let (a, b) = defs[k];
    let (cut_from, cut_to) = if k == 0 {
        (toks[a].start, defs.get(1).map_or(toks[b].start, |&(na, _)| toks[na].start))
    } else {
        (toks[defs[k - 1].1].start, toks[b].start)
    };
    let sql = format!("{}{}", &table.sql[..cut_from], &table.sql[cut_to..]);
    let new_table = check_definition(schema, &table.name, &sql)
        .map_err(|e| crate::Error::Sql(format!("error in table {} after drop column: {e}", table.name)))?;
    // Everything that reads the table must still bind.
    if !new_table.checks.is_empty() {
        Binder::new(schema)
            .bind_table_exprs(&new_table, &new_table.checks)
            .map_err(|e| crate::Error::Sql(format!("error in table {} after drop column: {e}", table.name)))?;
    }
    let mut scratch = schema.clone();
    scratch.tables.insert(lower(&table.name), new_table.clone());
    // In order of creation, as SQLite reports the first it cannot keep.
    for ix in schema.table_indexes(&table.name).rev() {
        let uses = ix.columns.contains(&i)
            || ix.exprs.iter().flatten().chain(ix.where_.iter()).any(|e| mentions_column(e, col));
        if uses {
            return sql_err(format!("error in index {} after drop column: no such column: {col}", ix.name));
        }
    }
    for v in schema.views.values() {
        if let Err(e) = Binder::new(&scratch).bind_select(&v.query) {
            return sql_err(format!("error in view {} after drop column: {e}", v.name));
        }
    }
    update_table_sql(tx, &table.name, &sql)?;
    let rows = records(tx, table.tree)?;
    for (k, mut r) in rows {
        if i < r.len() {
            r.remove(i);
            tx.put(table.tree, &k, &encode_row(&r))?;
        }
    }
    Ok(0)
}

fn mentions_column(e: &Expr, col: &str) -> bool {
    let mut found = false;
    e.walk(&mut |x| {
        if let Expr::Column { name, .. } = x
            && name.eq_ignore_ascii_case(col)
        {
            found = true;
        }
    });
    found
}
