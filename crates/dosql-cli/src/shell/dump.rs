//! `.dump`: the database as SQL text that rebuilds it, laid out as sqlite3
//! lays it out.
//!
//! `PRAGMA foreign_keys=OFF;`, `BEGIN TRANSACTION;`, then each table's
//! `CREATE` statement followed by one `INSERT INTO name VALUES(...);` per
//! row, then the indexes, views and triggers in schema order (after the
//! data, so triggers do not fire while reloading), then `COMMIT;`. A table
//! whose stored SQL starts with a quoted name is created with `CREATE TABLE
//! IF NOT EXISTS`, and `sqlite_sequence` is refilled after `DELETE FROM
//! sqlite_sequence;`, as sqlite3 does. Values are written as SQLite's
//! `quote()` writes them (reals with enough digits to read back the same
//! double), except as sqlite3's `.dump` does: blobs in lower-case hex and
//! text with line breaks as `replace('a\nb','\n',char(10))`, so each row
//! is one line.
//!
//! With a LIKE pattern (`\\` escapes `%` and `_`) only the objects whose
//! own name matches are dumped, as sqlite3 does: `.dump t` gives table
//! `t` and its rows without its indexes and triggers, `.dump t%` gives
//! those whose names start with `t` too.
//! Left out: rowids of tables without an INTEGER PRIMARY KEY are not
//! preserved (sqlite3's default too); text containing NUL is cut there (as
//! `quote()` and sqlite3 cut it); reals that are not exact in 20 digits
//! are written with `quote()`'s 17 digits where sqlite3 3.40 writes 20.

use dosql_sql::parse::quote_ident;
use dosql_sql::{Connection, Value};
use std::io::Write;

/// Writes the dump of `conn`'s database (or of the objects whose names
/// match the LIKE pattern `table`) to `out`.
pub fn dump(conn: &mut Connection, table: Option<&str>, out: &mut dyn Write) -> anyhow::Result<()> {
    let pattern = Value::Text(table.unwrap_or("%").to_string());
    let objects = conn.execute_with(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name LIKE ?1 ESCAPE '\\'",
        &[pattern],
    )?;
    let objects: Vec<[String; 4]> = objects
        .into_iter()
        .flat_map(|r| r.rows)
        .map(|r| {
            let text = |i: usize| r.get(i).map(Value::to_text).unwrap_or_default();
            [text(0), text(1), text(2), text(3)]
        })
        .collect();
    writeln!(out, "PRAGMA foreign_keys=OFF;")?;
    writeln!(out, "BEGIN TRANSACTION;")?;
    // sqlite_sequence last, so that loading the tables before it (which
    // may bump it) does not undo its contents.
    let mut tables: Vec<&[String; 4]> = objects.iter().filter(|o| o[0] == "table").collect();
    tables.sort_by_key(|o| o[1] == "sqlite_sequence");
    for [_, name, _, sql] in tables {
        if name == "sqlite_sequence" {
            writeln!(out, "DELETE FROM sqlite_sequence;")?;
        } else if name.starts_with("sqlite_stat") {
            writeln!(out, "ANALYZE sqlite_schema;")?;
        } else if name.starts_with("sqlite_") {
            continue;
        } else if let Some(rest) = quoted_name_create(sql) {
            writeln!(out, "CREATE TABLE IF NOT EXISTS {rest};")?;
        } else {
            writeln!(out, "{sql};")?;
        }
        let quoted = quote_ident(name);
        for r in conn.execute(&format!("SELECT * FROM {quoted}"))? {
            for row in r.rows {
                let values: Vec<String> = row.iter().map(literal).collect();
                writeln!(out, "INSERT INTO {quoted} VALUES({});", values.join(","))?;
            }
        }
    }
    for [kind, _, _, sql] in &objects {
        if kind != "table" {
            writeln!(out, "{sql};")?;
        }
    }
    writeln!(out, "COMMIT;")?;
    Ok(())
}

/// A value as an SQL literal, as sqlite3's `.dump` writes it: as
/// `quote()` writes it, except that blobs have lower-case hex digits and
/// text with line breaks is written on one line as
/// `replace('a\nb','\n',char(10))` (with a stand-in for `\n` that the
/// text does not contain).
pub(crate) fn literal(v: &Value) -> String {
    match v {
        Value::Blob(b) => {
            let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
            format!("X'{hex}'")
        }
        Value::Text(t) if t.contains(['\n', '\r']) => {
            // As with quote(), the text ends at a NUL.
            let t = t.split('\0').next().unwrap_or("");
            let nl = t.contains('\n').then(|| unused(t, "\\n", "\\012"));
            let cr = t.contains('\r').then(|| unused(t, "\\r", "\\015"));
            let mut body = t.replace('\'', "''");
            if let Some(s) = &nl {
                body = body.replace('\n', s);
            }
            if let Some(s) = &cr {
                body = body.replace('\r', s);
            }
            let mut out = String::new();
            if nl.is_some() {
                out.push_str("replace(");
            }
            if cr.is_some() {
                out.push_str("replace(");
            }
            out.push_str(&format!("'{body}'"));
            if let Some(s) = &cr {
                out.push_str(&format!(",'{s}',char(13))"));
            }
            if let Some(s) = &nl {
                out.push_str(&format!(",'{s}',char(10))"));
            }
            out
        }
        v => v.sql_quote(),
    }
}

/// A stand-in for a line-break character that does not occur in `text`:
/// `first`, else `second`, else `(first0)`, `(first1)`, ...
fn unused(text: &str, first: &str, second: &str) -> String {
    if !text.contains(first) {
        return first.to_string();
    }
    if !text.contains(second) {
        return second.to_string();
    }
    (0u64..).map(|i| format!("({first}{i})")).find(|c| !text.contains(c.as_str())).unwrap_or_default()
}

/// For `CREATE TABLE "name"...` (any case), the text after `CREATE TABLE `.
pub fn quoted_name_create(sql: &str) -> Option<&str> {
    let head = sql.get(..13)?;
    let rest = sql.get(13..)?;
    (head.eq_ignore_ascii_case("CREATE TABLE ") && rest.starts_with(['"', '\''])).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{feed, shell};
    use super::*;
    use dosql_sql::parse::schema_text;

    /// Every table's rows (ordered), for comparing databases.
    fn contents(conn: &mut Connection) -> Vec<(String, Vec<Vec<Value>>)> {
        let names = conn.execute("SELECT name, sql FROM sqlite_schema ORDER BY name").expect("schema");
        let names: Vec<Vec<Value>> = names.into_iter().flat_map(|r| r.rows).collect();
        let mut out = Vec::new();
        for n in &names {
            let name = n[0].to_text();
            // Compared as SQLite stores it (the engine may keep the
            // statement's text as written, `IF NOT EXISTS` included).
            let sql = n[1].to_text();
            out.push((format!("schema {name}"), vec![vec![Value::Text(schema_text(&sql).unwrap_or(sql))]]));
            let is_table = conn
                .execute_with("SELECT type FROM sqlite_schema WHERE name = ?1", &[Value::Text(name.clone())])
                .expect("type")
                .pop()
                .map(|r| r.rows)
                .unwrap_or_default()
                == vec![vec![Value::Text("table".into())]];
            if is_table {
                let rows = conn.execute(&format!("SELECT * FROM {} ORDER BY 1", quote_ident(&name))).expect("rows");
                out.push((name, rows.into_iter().flat_map(|r| r.rows).collect()));
            }
        }
        out
    }

    const SETUP: &str = "CREATE TABLE t(a integer primary key, b text, c real, d blob);\n\
        CREATE INDEX ti on t(b);\n\
        CREATE VIEW v as select a from t;\n\
        CREATE TRIGGER tr after insert on t begin insert into log values(new.a); end;\n\
        CREATE TABLE log(x);\n\
        CREATE TABLE \"odd name\"(\"a b\", [select]);\n\
        CREATE TABLE s(id integer primary key autoincrement, v);\n\
        insert into t values(1,'it''s',1.5,x'00ff'),(2,NULL,1e300,NULL),(3,'a\nb',0.1,''),(4,'é;--',-0.0,x'');\n\
        insert into t values(5,'x',1.0000000000000002,zeroblob(3)),(6,'',3.141592653589793,'b'),(7,'z',-1e-300,9223372036854775807);\n\
        insert into \"odd name\" values(1e-5, 'q'),(NULL, -9223372036854775808);\n\
        insert into s(v) values('a'),('b');\n\
        delete from s where v = 'b';\n";

    #[test]
    fn dump_reloads_into_identical_database() {
        let mut sh = shell();
        let (_, err) = feed(&mut sh, SETUP);
        assert_eq!(err, "");
        let (text, err) = feed(&mut sh, ".dump\n");
        assert_eq!(err, "");
        assert!(text.starts_with("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE t("), "{text}");
        assert!(text.contains("INSERT INTO t VALUES(1,'it''s',1.5,X'00ff');\n"), "{text}");
        assert!(text.contains(r"INSERT INTO t VALUES(3,replace('a\nb','\n',char(10)),0.1,'');"), "{text}");
        assert!(text.contains("CREATE TABLE IF NOT EXISTS \"odd name\""), "{text}");
        assert!(text.contains("INSERT INTO \"odd name\" VALUES(1.0e-05,'q');"), "{text}");
        assert!(text.contains("DELETE FROM sqlite_sequence;\nINSERT INTO sqlite_sequence VALUES('s',2);\n"), "{text}");
        assert!(text.ends_with("COMMIT;\n"), "{text}");
        let before = contents(&mut sh.conn);
        let mut fresh = shell();
        let (_, err) = feed(&mut fresh, &text);
        assert_eq!(err, "");
        assert_eq!(contents(&mut fresh.conn), before);
        // Dumping the copy gives the same text again.
        let (again, _) = feed(&mut fresh, ".dump\n");
        assert_eq!(again, text);
        // The autoincrement counter survived: the next id is 3.
        let (out, _) = feed(&mut fresh, "insert into s(v) values('c'); select max(id) from s;\n");
        assert_eq!(out, "3\n");
    }

    #[test]
    fn dump_loads_into_sqlite_identically() {
        let mut sh = shell();
        let (_, err) = feed(&mut sh, SETUP);
        assert_eq!(err, "");
        let (text, _) = feed(&mut sh, ".dump\n");
        let lite = rusqlite::Connection::open_in_memory().expect("sqlite");
        lite.execute_batch(&text).expect("sqlite loads the dump");
        // SQLite's own rendering of each value via quote() must match ours.
        for table in ["t", "\"odd name\"", "s", "log"] {
            let sql = format!("SELECT * FROM {table} ORDER BY 1");
            let mut stmt = lite.prepare(&sql).expect("prepare");
            let n = stmt.column_count();
            let theirs: Vec<Vec<String>> = stmt
                .query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            let v: rusqlite::types::Value = r.get(i)?;
                            Ok(match v {
                                rusqlite::types::Value::Null => Value::Null,
                                rusqlite::types::Value::Integer(i) => Value::Integer(i),
                                rusqlite::types::Value::Real(f) => Value::Real(f),
                                rusqlite::types::Value::Text(t) => Value::Text(t),
                                rusqlite::types::Value::Blob(b) => Value::Blob(b),
                            }
                            .sql_quote())
                        })
                        .collect()
                })
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            let ours: Vec<Vec<String>> = sh
                .conn
                .execute(&sql)
                .expect("ours")
                .into_iter()
                .flat_map(|r| r.rows)
                .map(|r| r.iter().map(Value::sql_quote).collect())
                .collect();
            assert_eq!(ours, theirs, "{table}");
        }
        // And sqlite3's quote() writes each value as we wrote it.
        let quoted: String = lite
            .query_row("SELECT group_concat(quote(c), ',') FROM (SELECT c FROM t ORDER BY a)", [], |r| r.get(0))
            .expect("quote");
        let ours = sh.conn.query("SELECT group_concat(quote(c), ',') FROM (SELECT c FROM t ORDER BY a)").expect("q");
        assert_eq!(ours.rows[0][0].to_text(), quoted);
    }

    #[test]
    fn line_breaks_are_written_as_sqlite3_writes_them() {
        let t = |s: &str| literal(&Value::Text(s.to_string()));
        // The expected texts are what sqlite3 3.40's .dump printed.
        assert_eq!(t("a\nb"), r"replace('a\nb','\n',char(10))");
        assert_eq!(t("c\r\nd"), r"replace(replace('c\r\nd','\r',char(13)),'\n',char(10))");
        assert_eq!(t("x\\ny\n"), r"replace('x\ny\012','\012',char(10))");
        assert_eq!(t("p\\n\\012q\nr'"), r"replace('p\n\012q(\n0)r''','(\n0)',char(10))");
        assert_eq!(t("\\r\r\\015"), r"replace('\r(\r0)\015','(\r0)',char(13))");
        assert_eq!(t("plain 'q'"), "'plain ''q'''");
        assert_eq!(literal(&Value::Blob(vec![0, 0xAB])), "X'00ab'");
        // Each loads back as the same text.
        let mut c = Connection::open_in_memory().expect("db");
        for s in ["a\nb", "c\r\nd", "x\\ny\n", "p\\n\\012q\nr'", "\\r\r\\015", "\n\n\r"] {
            let r = c.query(&format!("SELECT {}", t(s))).expect("select");
            assert_eq!(r.rows, vec![vec![Value::Text(s.to_string())]]);
        }
    }

    #[test]
    fn dump_one_table() {
        let mut sh = shell();
        let (_, err) = feed(&mut sh, SETUP);
        assert_eq!(err, "");
        let (text, _) = feed(&mut sh, ".dump log\n");
        assert_eq!(
            text,
            "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE log(x);\n\
             INSERT INTO log VALUES(1);\nINSERT INTO log VALUES(2);\nINSERT INTO log VALUES(3);\n\
             INSERT INTO log VALUES(4);\nINSERT INTO log VALUES(5);\nINSERT INTO log VALUES(6);\n\
             INSERT INTO log VALUES(7);\nCOMMIT;\n"
        );
        // As sqlite3 3.40: the pattern matches objects' own names, so a
        // table's indexes and triggers come only when their names match.
        let (text, _) = feed(&mut sh, ".dump t\n");
        assert!(text.contains("CREATE TABLE t"), "{text}");
        assert!(!text.contains("CREATE INDEX ti on t(b);\n"), "{text}");
        assert!(!text.contains("CREATE TRIGGER tr "), "{text}");
        assert!(!text.contains("CREATE TABLE log"), "{text}");
        let (text, _) = feed(&mut sh, ".dump t%\n");
        assert!(text.contains("CREATE INDEX ti on t(b);\n"), "{text}");
        assert!(text.contains("CREATE TRIGGER tr "), "{text}");
        assert!(!text.contains("CREATE TABLE log"), "{text}");
        let (text, _) = feed(&mut sh, ".dump ti\n");
        assert_eq!(text, "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE INDEX ti on t(b);\nCOMMIT;\n");
    }
}
