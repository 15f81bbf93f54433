//! `.import FILE TABLE`: loading CSV data into a table.
//!
//! The file is read as RFC 4180 CSV: fields separated by `,`, records by
//! LF or CRLF, a field in double quotes may hold `,`, newlines and `""`
//! (one quote). A leading UTF-8 byte-order mark is skipped, and so are
//! empty lines. As in sqlite3, a `"` inside an unquoted field is kept as
//! it is. If TABLE does not exist, the first record names its columns and
//! it is created with TEXT columns (as sqlite3 does); otherwise every
//! record is data. Every value is inserted as text, so the columns'
//! affinities convert them as for any text.
//!
//! Everything happens under one savepoint: a record with the wrong number
//! of fields, a malformed quoted field or a failing insert (a constraint,
//! say) is reported as `FILE:LINE: what` and undoes the whole import,
//! including the table it created. (sqlite3 instead pads or truncates
//! records and keeps going.) A progress bar is drawn on stderr for files
//! over a megabyte when stderr is a terminal.

use dosql_sql::parse::double_quoted;
use dosql_sql::{Connection, Value};
use std::path::Path;

/// Files at least this large get a progress bar.
const PROGRESS_BYTES: usize = 1 << 20;

/// A CSV record reader over text, counting lines.
pub struct CsvReader<'a> {
    text: &'a str,
    /// Byte offset of the next record.
    pos: usize,
    /// The 1-based line `pos` is on.
    line: usize,
}

impl<'a> CsvReader<'a> {
    /// A reader of `text` (a leading byte-order mark is skipped).
    pub fn new(text: &'a str) -> Self {
        let pos = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
        CsvReader { text, pos, line: 1 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The next record and the line it starts on; `None` at the end.
    /// Errors are `LINE: what`.
    pub fn next_record(&mut self) -> Result<Option<(usize, Vec<String>)>, String> {
        let bytes = self.text.as_bytes();
        // Skip empty lines.
        loop {
            match bytes.get(self.pos..) {
                Some([b'\n', ..]) => self.pos += 1,
                Some([b'\r', b'\n', ..]) => self.pos += 2,
                _ => break,
            }
            self.line += 1;
        }
        if self.pos >= bytes.len() {
            return Ok(None);
        }
        let start_line = self.line;
        let mut fields = Vec::new();
        loop {
            let mut field = String::new();
            if bytes.get(self.pos) == Some(&b'"') {
                let field_line = self.line;
                self.pos += 1;
                loop {
                    let rest = self.text.get(self.pos..).unwrap_or("");
                    let Some(q) = rest.find('"') else {
                        return Err(format!("{field_line}: unterminated \"-quoted field"));
                    };
                    let chunk = rest.get(..q).unwrap_or("");
                    self.line += chunk.matches('\n').count();
                    field.push_str(chunk);
                    self.pos += q + 1;
                    if bytes.get(self.pos) == Some(&b'"') {
                        field.push('"');
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                match bytes.get(self.pos..) {
                    None | Some([] | [b',' | b'\n', ..] | [b'\r', b'\n', ..]) => {}
                    Some(_) => return Err(format!("{}: unescaped \" character", self.line)),
                }
            } else {
                let rest = self.text.get(self.pos..).unwrap_or("");
                let end = rest.find([',', '\n']).unwrap_or(rest.len());
                let mut value = rest.get(..end).unwrap_or("");
                if rest.as_bytes().get(end) == Some(&b'\n') {
                    value = value.strip_suffix('\r').unwrap_or(value);
                }
                field.push_str(value);
                self.pos += end;
            }
            fields.push(field);
            match bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'\r') => {
                    self.pos += 2;
                    self.line += 1;
                    break;
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    break;
                }
                _ => break,
            }
        }
        Ok(Some((start_line, fields)))
    }
}

/// Imports CSV file `path` into `table` (skipping its first `skip`
/// records); returns the number of rows inserted. `progress` allows a
/// progress bar on stderr. Errors are messages naming the file and line.
pub fn import(conn: &mut Connection, path: &Path, table: &str, skip: usize, progress: bool) -> Result<usize, String> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot open \"{file}\": {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes().get(..at).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count()) + 1;
        format!("{file}:{line}: not UTF-8 text")
    })?;
    let bar = (progress && text.len() >= PROGRESS_BYTES).then(|| {
        indicatif::ProgressBar::with_draw_target(Some(text.len() as u64), indicatif::ProgressDrawTarget::stderr())
    });
    conn.execute("SAVEPOINT dosql_import").map_err(|e| e.to_string())?;
    let result = load(conn, &text, &file, table, skip, bar.as_ref());
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let end = if result.is_ok() { "RELEASE dosql_import" } else { "ROLLBACK TO dosql_import; RELEASE dosql_import" };
    conn.execute(end).map_err(|e| e.to_string())?;
    result
}

/// The import's work inside its savepoint.
fn load(
    conn: &mut Connection,
    text: &str,
    file: &str,
    table: &str,
    skip: usize,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<usize, String> {
    let mut reader = CsvReader::new(text);
    let at = |e: String| format!("{file}:{e}");
    for _ in 0..skip {
        reader.next_record().map_err(at)?;
    }
    let quoted = double_quoted(table);
    let columns = match conn.columns_of(&format!("SELECT * FROM {quoted}")) {
        Ok(cols) => cols.len(),
        Err(_) => {
            let Some((line, header)) = reader.next_record().map_err(at)? else {
                return Err(format!("{file}: no header row to create table {table} from"));
            };
            let defs: Vec<String> = header.iter().map(|h| format!("{} TEXT", double_quoted(h))).collect();
            conn.execute(&format!("CREATE TABLE {quoted}({})", defs.join(", ")))
                .map_err(|e| format!("{file}:{line}: {e}"))?;
            header.len()
        }
    };
    let params = vec!["?"; columns].join(",");
    let mut insert = conn.prepare(&format!("INSERT INTO {quoted} VALUES({params})")).map_err(|e| e.to_string())?;
    let mut rows = 0usize;
    while let Some((line, fields)) = reader.next_record().map_err(at)? {
        if fields.len() != columns {
            return Err(format!("{file}:{line}: expected {columns} columns but found {}", fields.len()));
        }
        let values: Vec<Value> = fields.into_iter().map(Value::Text).collect();
        conn.run_prepared(&mut insert, &values).map_err(|e| format!("{file}:{line}: {e}"))?;
        rows += 1;
        if let Some(b) = bar.filter(|_| rows.is_multiple_of(4096)) {
            b.set_position(reader.position() as u64);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{feed, shell};
    use super::*;

    fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
        let mut r = CsvReader::new(text);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record()? {
            out.push(rec);
        }
        Ok(out)
    }

    fn rec(line: usize, fields: &[&str]) -> (usize, Vec<String>) {
        (line, fields.iter().map(|f| f.to_string()).collect())
    }

    #[test]
    fn csv_records() {
        assert_eq!(records("a,b\n1,2\n").expect("ok"), vec![rec(1, &["a", "b"]), rec(2, &["1", "2"])]);
        assert_eq!(records("a,b\r\n1,2").expect("ok"), vec![rec(1, &["a", "b"]), rec(2, &["1", "2"])]);
        assert_eq!(
            records("\u{feff}\"x,y\",\"say \"\"hi\"\"\"\n\"two\nlines\",\n\n,last\n").expect("ok"),
            vec![rec(1, &["x,y", "say \"hi\""]), rec(2, &["two\nlines", ""]), rec(5, &["", "last"])]
        );
        assert_eq!(records("a\"b,\"\"\n").expect("ok"), vec![rec(1, &["a\"b", ""])]);
        assert_eq!(records("\"a\r\nb\"\r\n").expect("ok"), vec![rec(1, &["a\r\nb"])]);
        assert_eq!(records("x\n\"open\nstill open").expect_err("fails"), "2: unterminated \"-quoted field");
        assert_eq!(records("x\n\"a\"b,c\n").expect_err("fails"), "2: unescaped \" character");
    }

    fn csv_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write csv");
        p.display().to_string()
    }

    #[test]
    fn import_creates_table_from_header() {
        let dir = tempfile::tempdir().expect("dir");
        let f = csv_file(&dir, "p.csv", "name,\"notes, long\"\nann,\"said \"\"hi\"\"\nthen left\"\nbob,\n");
        let mut sh = shell();
        let (out, err) =
            feed(&mut sh, &format!(".import {f} people\n.schema people\n.mode csv\nselect * from people;\n"));
        assert_eq!(err, "Imported 2 rows into people\n");
        assert_eq!(
            out,
            "CREATE TABLE IF NOT EXISTS \"people\"(\"name\" TEXT, \"notes, long\" TEXT);\n\
             ann,\"said \"\"hi\"\"\nthen left\"\r\nbob,\"\"\r\n"
        );
    }

    #[test]
    fn import_into_existing_table_uses_every_record() {
        let dir = tempfile::tempdir().expect("dir");
        let f = csv_file(&dir, "n.csv", "1,2.5\n2,x\n");
        let mut sh = shell();
        let (out, err) = feed(
            &mut sh,
            &format!(
                "create table t(a integer, b real);\n.import --csv {f} t\nselect a, typeof(a), b, typeof(b) from t;\n"
            ),
        );
        assert_eq!(err, "Imported 2 rows into t\n");
        assert_eq!(out, "1|integer|2.5|real\n2|integer|x|text\n");
        let (out, err) = feed(&mut sh, &format!(".import --skip 1 {f} t\nselect count(*) from t;\n"));
        assert_eq!((out.as_str(), err.as_str()), ("3\n", "Imported 1 rows into t\n"));
    }

    #[test]
    fn bad_rows_leave_nothing_behind() {
        let dir = tempfile::tempdir().expect("dir");
        let wrong = csv_file(&dir, "w.csv", "a,b\n1,2\n3\n");
        let mut sh = shell();
        let (out, err) = feed(&mut sh, &format!(".import {wrong} t\n.tables\n"));
        assert_eq!(out, "");
        assert_eq!(err, format!("Error: {wrong}:3: expected 2 columns but found 1\n"));
        let unterminated = csv_file(&dir, "u.csv", "a,b\n1,\"2\n");
        let (_, err) = feed(&mut sh, &format!(".import {unterminated} t\n"));
        assert_eq!(err, format!("Error: {unterminated}:2: unterminated \"-quoted field\n"));
        // A failing insert undoes the rows before it, in an existing table too.
        let dup = csv_file(&dir, "d.csv", "1\n2\n1\n");
        let (out, err) =
            feed(&mut sh, &format!("create table k(a primary key);\n.import {dup} k\nselect count(*) from k;\n"));
        assert_eq!(out, "0\n");
        assert_eq!(err, format!("Error: {dup}:3: UNIQUE constraint failed: k.a\n"));
        // Inside the user's transaction, only the import is undone.
        let (out, err) =
            feed(&mut sh, &format!("begin;\ninsert into k values(9);\n.import {dup} k\ncommit;\nselect * from k;\n"));
        assert_eq!(out, "9\n");
        assert_eq!(err, format!("Error: {dup}:3: UNIQUE constraint failed: k.a\n"));
        let (_, err) = feed(&mut sh, ".import /nonexistent.csv k\n.import onlyone\n");
        assert!(err.starts_with("Error: cannot open \"/nonexistent.csv\""), "{err}");
        assert!(err.ends_with("Error: usage: .import [--csv] [--skip N] FILE TABLE\n"), "{err}");
    }

    #[test]
    fn large_file_with_progress() {
        use std::fmt::Write as _;
        let dir = tempfile::tempdir().expect("dir");
        let mut text = String::from("n,word\n");
        let mut n = 0;
        while text.len() < PROGRESS_BYTES + 1000 {
            n += 1;
            let _ = writeln!(text, "{n},\"word {n}, quoted\"");
        }
        let f = csv_file(&dir, "big.csv", &text);
        let mut conn = Connection::open_in_memory().expect("db");
        // Not a terminal under test, so the bar is drawn nowhere; the
        // counting and updates still run.
        assert_eq!(import(&mut conn, Path::new(&f), "big", 0, true), Ok(n));
        let r = conn.query("SELECT count(*), max(CAST(n AS INTEGER)) FROM big").expect("count");
        assert_eq!(r.rows, vec![vec![Value::Integer(n as i64), Value::Integer(n as i64)]]);
    }

    #[test]
    fn import_matches_sqlite_reading_the_same_csv() {
        // Our CSV writer's output read back by our importer gives the
        // same values SQLite holds.
        let mut sh = shell();
        let (csv, err) = feed(
            &mut sh,
            ".mode csv\n.headers on\nselect 'a,b' as x, 'q\"q' as y, 'line\nbreak' as z union all select '', 'é', ' sp ';\n",
        );
        assert_eq!(err, "");
        let dir = tempfile::tempdir().expect("dir");
        let f = csv_file(&dir, "r.csv", &csv);
        let (out, err) = feed(
            &mut sh,
            &format!(".import {f} r\n.mode list\n.headers off\nselect quote(x), quote(y), quote(z) from r;\n"),
        );
        assert_eq!(err, "Imported 2 rows into r\n");
        let lite = rusqlite::Connection::open_in_memory().expect("sqlite");
        let expected: String = lite
            .query_row(
                "select group_concat(quote(x) || '|' || quote(y) || '|' || quote(z), char(10)) || char(10) from \
                 (select 'a,b' as x, 'q\"q' as y, 'line\nbreak' as z union all select '', 'é', ' sp ')",
                [],
                |r| r.get(0),
            )
            .expect("sqlite");
        assert_eq!(out, expected);
    }
}
