//! `.tables`, `.indexes` and `.schema`, over the main and the TEMP schema,
//! as sqlite3 prints them.
//!
//! `.tables` and `.indexes` list names (TEMP ones as `temp.NAME`) sorted
//! as text, in columns filled top to bottom within 80 cells; the pattern
//! (a LIKE pattern, `%` by default) matches the object's name for
//! `.tables` and its table's name for `.indexes`. `.schema` prints the
//! `CREATE` statements whose object or table name matches, the main
//! schema's first, each in creation order; TEMP objects show as
//! `CREATE TABLE temp.NAME...`, views get sqlite3's
//! `/* NAME(COLUMNS) */` comment, and a main table whose stored name is
//! quoted shows with `IF NOT EXISTS`, as sqlite3 does. Left out: attached
//! databases (the engine has none) and `.schema`'s `--indent` and
//! `--nosys` options.

use super::Shell;
use dosql_sql::Value;
use dosql_sql::parse::quote_ident;
use std::io::Write;

/// The main and TEMP schema tables, with the prefix their names get.
const SCHEMAS: [(&str, &str); 2] = [("sqlite_schema", ""), ("sqlite_temp_schema", "temp.")];

/// Runs `sql` with `pattern` as `?1`; reports an error and gives `None` if
/// it fails.
fn query<W: Write, E: Write>(sh: &mut Shell<W, E>, sql: &str, pattern: &str) -> Option<Vec<Vec<Value>>> {
    match sh.conn.execute_with(sql, &[Value::Text(pattern.to_string())]) {
        Ok(mut r) => Some(r.pop().map(|r| r.rows).unwrap_or_default()),
        Err(e) => {
            sh.error(&e.to_string());
            None
        }
    }
}

/// The text of each row's first `n` columns.
fn texts(rows: Vec<Vec<Value>>, n: usize) -> Vec<Vec<String>> {
    rows.iter().map(|r| (0..n).map(|i| r.get(i).map(Value::to_text).unwrap_or_default()).collect()).collect()
}

/// `.tables ?PATTERN?`.
pub fn tables<W: Write, E: Write>(sh: &mut Shell<W, E>, pattern: &str) {
    let filter = "type IN ('table','view') AND name NOT LIKE 'sqlite_%' AND name LIKE ?1";
    print_names(sh, filter, pattern);
}

/// `.indexes ?PATTERN?`.
pub fn indexes<W: Write, E: Write>(sh: &mut Shell<W, E>, pattern: &str) {
    print_names(sh, "type = 'index' AND tbl_name LIKE ?1", pattern);
}

/// Prints the names of the objects `filter` picks from both schemas in
/// sqlite3's `.tables` layout.
fn print_names<W: Write, E: Write>(sh: &mut Shell<W, E>, filter: &str, pattern: &str) {
    let mut names = Vec::new();
    for (table, prefix) in SCHEMAS {
        let Some(rows) = query(sh, &format!("SELECT name FROM {table} WHERE {filter}"), pattern) else { return };
        names.extend(texts(rows, 1).into_iter().flatten().map(|n| format!("{prefix}{n}")));
    }
    names.sort();
    for line in columns(&names) {
        sh.print(&line);
    }
}

/// `names` laid out as `.tables` does: columns as wide as the longest name
/// plus two spaces, as many as fit in 80 cells, filled top to bottom.
pub fn columns(names: &[String]) -> Vec<String> {
    if names.is_empty() {
        return Vec::new();
    }
    let cells = super::columnar::cells;
    let width = names.iter().map(|n| cells(n)).max().unwrap_or(0);
    let per_line = (80 / (width + 2)).max(1);
    let lines = names.len().div_ceil(per_line);
    (0..lines)
        .map(|i| {
            let mut line = String::new();
            for (k, name) in names.iter().enumerate().skip(i).step_by(lines) {
                if k >= lines {
                    line.push_str("  ");
                }
                line.push_str(name);
                line.push_str(&" ".repeat(width.saturating_sub(cells(name))));
            }
            line
        })
        .collect()
}

/// `.schema ?PATTERN?`.
pub fn schema<W: Write, E: Write>(sh: &mut Shell<W, E>, pattern: &str) {
    for (table, prefix) in SCHEMAS {
        let sql =
            format!("SELECT sql, type, name FROM {table} WHERE (name LIKE ?1 OR tbl_name LIKE ?1) AND sql IS NOT NULL");
        let Some(rows) = query(sh, &sql, pattern) else { return };
        for r in texts(rows, 3) {
            let [sql, kind, name] = [&r[0], &r[1], &r[2]];
            let mut text = if prefix.is_empty() {
                match super::dump::quoted_name_create(sql) {
                    Some(rest) => format!("CREATE TABLE IF NOT EXISTS {rest}"),
                    None => sql.clone(),
                }
            } else {
                with_schema(sql, prefix)
            };
            if kind == "view" {
                text.push_str(&view_comment(sh, prefix, name));
            }
            sh.print(&format!("{text};"));
        }
    }
}

/// `sql` (a stored `CREATE` statement) with `prefix` (`temp.`) before the
/// object's name, as sqlite3 shows objects outside the main schema.
fn with_schema(sql: &str, prefix: &str) -> String {
    const STARTS: [&str; 6] = [
        "CREATE TABLE ",
        "CREATE UNIQUE INDEX ",
        "CREATE INDEX ",
        "CREATE VIEW ",
        "CREATE TRIGGER ",
        "CREATE VIRTUAL TABLE ",
    ];
    for start in STARTS {
        let Some(head) = sql.get(..start.len()) else { continue };
        if !head.eq_ignore_ascii_case(start) {
            continue;
        }
        let mut at = start.len();
        let rest = sql.get(at..).unwrap_or("");
        if rest.get(..14).is_some_and(|s| s.eq_ignore_ascii_case("IF NOT EXISTS ")) {
            at += 14;
        }
        return format!("{}{prefix}{}", sql.get(..at).unwrap_or(""), sql.get(at..).unwrap_or(""));
    }
    sql.to_string()
}

/// sqlite3's comment after a view's statement: a new line and
/// `/* NAME(COLUMN,...) */`, names quoted where SQL needs it; empty if the
/// view's columns cannot be found (e.g. it refers to a dropped table).
fn view_comment<W: Write, E: Write>(sh: &mut Shell<W, E>, prefix: &str, name: &str) -> String {
    let quoted = quote_ident(name);
    match sh.conn.columns_of(&format!("SELECT * FROM {quoted}")) {
        Ok(cols) => {
            let cols: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
            format!("\n/* {prefix}{quoted}({}) */", cols.join(","))
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{feed, shell};
    use super::*;

    /// sqlite3 3.40's output for the same script.
    #[test]
    fn temp_objects_are_listed() {
        let mut sh = shell();
        let setup = "create table t(a); create index ti on t(a);\n\
                     create temp table tt(x); create index temp.tti on tt(x); create temp view tv as select 1;\n\
                     create temp trigger ttr after insert on tt begin select 1; end;\n";
        let (_, err) = feed(&mut sh, setup);
        assert_eq!(err, "");
        let (out, _) = feed(&mut sh, ".tables\n.tables t%\n.indexes\n.indexes tt\n");
        assert_eq!(out, "t        temp.tt  temp.tv\nt        temp.tt  temp.tv\ntemp.tti  ti      \ntemp.tti\n");
        let (out, _) = feed(&mut sh, ".schema\n");
        assert_eq!(
            out,
            "CREATE TABLE t(a);\nCREATE INDEX ti on t(a);\nCREATE TABLE temp.tt(x);\nCREATE INDEX temp.tti on tt(x);\n\
             CREATE VIEW temp.tv as select 1\n/* temp.tv(\"1\") */;\n\
             CREATE TRIGGER temp.ttr after insert on tt begin select 1; end;\n"
        );
        let (out, _) = feed(&mut sh, ".schema tt\n");
        assert_eq!(
            out,
            "CREATE TABLE temp.tt(x);\nCREATE INDEX temp.tti on tt(x);\n\
             CREATE TRIGGER temp.ttr after insert on tt begin select 1; end;\n"
        );
    }

    #[test]
    fn views_get_their_columns_comment() {
        let mut sh = shell();
        let (out, err) = feed(
            &mut sh,
            "create table t(a unique, \"b c\");\ncreate view v as select a, \"b c\", a+1, 2 as \"select\" from t;\n\
             .schema v\n.indexes\n",
        );
        assert_eq!(err, "");
        assert_eq!(
            out,
            "CREATE VIEW v as select a, \"b c\", a+1, 2 as \"select\" from t\n/* v(a,\"b c\",\"a+1\",\"select\") */;\n\
             sqlite_autoindex_t_1\n"
        );
        assert_eq!(with_schema("create unique index i on t(a)", "temp."), "create unique index temp.i on t(a)");
        assert_eq!(with_schema("CREATE TABLE IF NOT EXISTS x(a)", "temp."), "CREATE TABLE IF NOT EXISTS temp.x(a)");
    }
}
