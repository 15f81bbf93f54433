//! Printing result rows in the shell's output modes, as sqlite3 prints
//! them; `dosql exec` prints through here too (list and JSON modes).
//!
//! - `list`: values separated by the column separator (`|`), rows ended by
//!   the row separator (newline); `.mode tabs` is list mode with a tab.
//! - `csv`: RFC 4180 fields, quoted when they are empty or hold a space,
//!   control character, `"`, `'`, a non-ASCII byte or the column separator
//!   (sqlite3's rule); separators `,` and CRLF unless changed.
//! - `quote`: values as SQL literals (`quote()`, blobs in lower-case hex),
//!   headers as strings. Reals have `quote()`'s 17 significant digits
//!   where sqlite3 3.40 writes 20 (`0.1`, not `0.10000000000000000555`).
//! - `insert`: one `INSERT INTO table VALUES(...);` per row, naming the
//!   columns when headers are on; literals as `.dump` writes them.
//! - `line`: one `name = value` line per column, names right-aligned to at
//!   least five characters, a blank line between rows.
//! - `json`: an array of objects keyed by column name.
//! - `html`: one `<TR>` per row, each value in `<TD>` (headers in `<TH>`)
//!   with `<`, `>`, `&`, `"` and `'` escaped, as sqlite3 writes them.
//! - `tcl`: each value as a C-style string in double quotes (`\\`, `\"`,
//!   `\t`, `\n`, `\r`, other bytes below 0x20 or from 0x7f on as octal
//!   escapes), separated by the column separator (a space after `.mode`).
//! - `ascii`: list mode whose `.mode` sets the separators to 0x1F (unit)
//!   and 0x1E (record).
//! - `count`: only the number of rows (`3 rows`); `off`: nothing.
//! - `column`, `table`, `box`, `markdown`: aligned columns, see [`columnar`].
//!
//! NULL prints as the `.nullvalue` text (empty by default; `quote` and
//! `insert` write `NULL`, JSON `null`), numbers as SQLite's text
//! conversion prints them, blobs as their raw bytes (lossily decoded in the
//! aligned modes and JSON); outside JSON, `quote` and `insert`, text and
//! blobs end at a NUL byte, as in sqlite3. A statement with no rows prints
//! nothing, not even headers.

use super::columnar;
use dosql_sql::Value;
use std::io::{self, Write};

/// An output mode (`.mode NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Values separated by the column separator.
    List,
    /// Aligned columns without borders.
    Column,
    /// ASCII-art table.
    Table,
    /// Table drawn with box characters.
    Box,
    /// Comma-separated values.
    Csv,
    /// A JSON array of objects.
    Json,
    /// One `name = value` line per column.
    Line,
    /// A Markdown table.
    Markdown,
    /// Values as SQL literals.
    Quote,
    /// `INSERT` statements.
    Insert,
    /// HTML table rows.
    Html,
    /// Tcl list elements.
    Tcl,
    /// List mode with ASCII unit and record separators.
    Ascii,
    /// The number of rows only.
    Count,
    /// Nothing at all.
    Off,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 15] = [
        Mode::List,
        Mode::Column,
        Mode::Table,
        Mode::Box,
        Mode::Csv,
        Mode::Json,
        Mode::Line,
        Mode::Markdown,
        Mode::Quote,
        Mode::Insert,
        Mode::Html,
        Mode::Tcl,
        Mode::Ascii,
        Mode::Count,
        Mode::Off,
    ];

    /// The mode's name as `.mode` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::List => "list",
            Mode::Column => "column",
            Mode::Table => "table",
            Mode::Box => "box",
            Mode::Csv => "csv",
            Mode::Json => "json",
            Mode::Line => "line",
            Mode::Markdown => "markdown",
            Mode::Quote => "quote",
            Mode::Insert => "insert",
            Mode::Html => "html",
            Mode::Tcl => "tcl",
            Mode::Ascii => "ascii",
            Mode::Count => "count",
            Mode::Off => "off",
        }
    }

    /// The mode called `name` (any case).
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// Whether the mode aligns columns (and so uses `.width`).
    pub fn is_columnar(self) -> bool {
        matches!(self, Mode::Column | Mode::Table | Mode::Box | Mode::Markdown)
    }
}

/// How results print: the mode and the settings the modes use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// The output mode.
    pub mode: Mode,
    /// Whether `list`, `csv`, `quote`, `insert`, `column` show column names.
    pub headers: bool,
    /// Between values (`list`, `csv`, `quote`).
    pub col_sep: String,
    /// After each row (`list`, `csv`, `quote`).
    pub row_sep: String,
    /// What NULL prints as (`.nullvalue`).
    pub null: String,
    /// `.width`: per column, 0 automatic, negative right-aligned.
    pub widths: Vec<i64>,
    /// The table `insert` mode names.
    pub table: String,
    /// Where the aligned modes wrap columns without a `.width` (`--wrap`;
    /// 0: never; a negative value counts as its absolute value).
    pub wrap: i64,
    /// `--wordwrap`: the aligned modes wrap at spaces or word ends.
    pub word_wrap: bool,
    /// `--quote`: the aligned modes show values as SQL literals.
    pub quote: bool,
}

impl Format {
    /// sqlite3's defaults for `mode`: `|` and newline separators (`,` and
    /// CRLF for csv), NULL as empty text, no headers, automatic widths.
    pub fn new(mode: Mode) -> Format {
        let (col, row) = if mode == Mode::Csv { (",", "\r\n") } else { ("|", "\n") };
        Format {
            mode,
            headers: false,
            col_sep: col.to_string(),
            row_sep: row.to_string(),
            null: String::new(),
            widths: Vec::new(),
            table: "table".to_string(),
            wrap: columnar::WRAP,
            word_wrap: false,
            quote: false,
        }
    }
}

/// Writes one statement's result as `fmt` says.
pub fn render(out: &mut dyn Write, fmt: &Format, columns: &[String], rows: &[Vec<Value>]) -> io::Result<()> {
    if rows.is_empty() || columns.is_empty() {
        return Ok(());
    }
    let null = fmt.null.as_bytes();
    let names = || columns.iter().map(|c| Value::Text(c.clone())).collect::<Vec<_>>();
    match fmt.mode {
        Mode::List | Mode::Ascii => {
            delimited(out, fmt, columns, rows, |v| if v.is_null() { null.to_vec() } else { raw(v) })
        }
        Mode::Tcl => delimited(out, fmt, columns, rows, |v| {
            let bytes = if v.is_null() { null.to_vec() } else { raw(v) };
            c_string(&bytes).into_bytes()
        }),
        Mode::Html => html(out, fmt, columns, rows),
        Mode::Count => writeln!(out, "{} row{}", rows.len(), if rows.len() == 1 { "" } else { "s" }),
        Mode::Off => Ok(()),
        Mode::Csv => delimited(out, fmt, columns, rows, |v| {
            if v.is_null() { csv_quote(null.to_vec(), &fmt.col_sep, false) } else { csv_field(v, &fmt.col_sep) }
        }),
        Mode::Quote => {
            // As quote(), but blobs in lower-case hex, as sqlite3 writes them.
            let quoted = |v: &Value| match v {
                Value::Blob(_) => super::dump::literal(v).into_bytes(),
                v => v.sql_quote().into_bytes(),
            };
            if fmt.headers {
                write_fields(out, &names(), fmt, &quoted)?;
            }
            for row in rows {
                write_fields(out, row, fmt, &quoted)?;
            }
            Ok(())
        }
        Mode::Insert => {
            let table = dosql_sql::parse::quote_ident(&fmt.table);
            let cols = if fmt.headers {
                let quoted: Vec<String> = columns.iter().map(|c| dosql_sql::parse::quote_ident(c)).collect();
                format!("({})", quoted.join(","))
            } else {
                String::new()
            };
            for row in rows {
                let values: Vec<String> = row.iter().map(super::dump::literal).collect();
                writeln!(out, "INSERT INTO {table}{cols} VALUES({});", values.join(","))?;
            }
            Ok(())
        }
        Mode::Json => writeln!(out, "{}", json_rows(columns, rows)),
        Mode::Line => line_mode(out, null, columns, rows),
        Mode::Column | Mode::Table | Mode::Box | Mode::Markdown => columnar::aligned(out, fmt, columns, rows),
    }
}

/// A value's bytes as sqlite3 prints it unquoted: NULL empty, blobs raw;
/// text and blobs end at a NUL byte (sqlite3 prints them as C strings).
pub(crate) fn raw(v: &Value) -> Vec<u8> {
    match v {
        Value::Null => Vec::new(),
        v => {
            let mut bytes = v.to_text_bytes();
            if let Some(nul) = bytes.iter().position(|&b| b == 0) {
                bytes.truncate(nul);
            }
            bytes
        }
    }
}

/// `bytes` as sqlite3 writes a C string (tcl mode, `.show`): in double
/// quotes, with `\\`, `\"`, tab, newline and carriage return escaped and
/// every other byte below 0x20 or from 0x7f on as a three-digit octal
/// escape (so UTF-8 text shows its bytes).
pub fn c_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b if !(0x20..0x7f).contains(&b) => out.push_str(&format!("\\{b:03o}")),
            b => out.push(char::from(b)),
        }
    }
    out.push('"');
    out
}

/// sqlite3's html mode: a `<TR>` line per row (headers in `<TH>`, values
/// in `<TD>`, one a line), text escaped as [`html_escape`] does.
fn html(out: &mut dyn Write, fmt: &Format, columns: &[String], rows: &[Vec<Value>]) -> io::Result<()> {
    let null = fmt.null.as_bytes();
    if fmt.headers {
        out.write_all(b"<TR>")?;
        for c in columns {
            out.write_all(b"<TH>")?;
            out.write_all(&html_escape(c.as_bytes()))?;
            out.write_all(b"</TH>\n")?;
        }
        out.write_all(b"</TR>\n")?;
    }
    for row in rows {
        out.write_all(b"<TR>")?;
        for v in row {
            out.write_all(b"<TD>")?;
            let text = if v.is_null() { null.to_vec() } else { raw(v) };
            out.write_all(&html_escape(&text))?;
            out.write_all(b"</TD>\n")?;
        }
        out.write_all(b"</TR>\n")?;
    }
    Ok(())
}

/// `bytes` with `<`, `>`, `&`, `"` and `'` as HTML entities (`&#39;` for
/// the apostrophe, as sqlite3 writes it).
fn html_escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\'' => out.extend_from_slice(b"&#39;"),
            b => out.push(b),
        }
    }
    out
}

/// Rows with fields separated by `fmt`'s column separator, each ending
/// with its row separator; a header row first when headers are on.
fn delimited(
    out: &mut dyn Write,
    fmt: &Format,
    columns: &[String],
    rows: &[Vec<Value>],
    field: impl Fn(&Value) -> Vec<u8>,
) -> io::Result<()> {
    if fmt.headers {
        let names: Vec<Value> = columns.iter().map(|c| Value::Text(c.clone())).collect();
        write_fields(out, &names, fmt, &field)?;
    }
    for row in rows {
        write_fields(out, row, fmt, &field)?;
    }
    Ok(())
}

fn write_fields(
    out: &mut dyn Write,
    row: &[Value],
    fmt: &Format,
    field: &impl Fn(&Value) -> Vec<u8>,
) -> io::Result<()> {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.write_all(fmt.col_sep.as_bytes())?;
        }
        out.write_all(&field(v))?;
    }
    out.write_all(fmt.row_sep.as_bytes())
}

/// A non-NULL value as a CSV field, quoted when sqlite3 would quote it.
fn csv_field(v: &Value, sep: &str) -> Vec<u8> {
    csv_quote(raw(v), sep, true)
}

/// `bytes` in double quotes (with `"` doubled) if they hold a space,
/// control character, `"`, `'`, non-ASCII byte or `sep`, or are empty and
/// `quote_empty`; else as they are.
fn csv_quote(bytes: Vec<u8>, sep: &str, quote_empty: bool) -> Vec<u8> {
    let sep = sep.as_bytes();
    let holds_sep = !sep.is_empty() && bytes.windows(sep.len()).any(|w| w == sep);
    let needs_quote = (quote_empty && bytes.is_empty())
        || holds_sep
        || bytes.iter().any(|&b| b <= b' ' || b == b'"' || b == b'\'' || b >= 0x7f);
    if !needs_quote {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len() + 2);
    out.push(b'"');
    for b in bytes {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

/// sqlite3's line mode; NULL prints as `null`.
fn line_mode(out: &mut dyn Write, null: &[u8], columns: &[String], rows: &[Vec<Value>]) -> io::Result<()> {
    let width = columns.iter().map(|c| columnar::cells(c)).max().unwrap_or(0).max(5);
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        for (name, v) in columns.iter().zip(row) {
            let fill = " ".repeat(width.saturating_sub(columnar::cells(name)));
            write!(out, "{fill}{name} = ")?;
            out.write_all(&if v.is_null() { null.to_vec() } else { raw(v) })?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// Rows as sqlite3's `-json` mode prints them: an array of objects keyed
/// by column name; integers and reals as numbers (infinities as `1e999`),
/// text and blobs (their bytes) as strings, NULL as `null`.
pub fn json_rows(columns: &[String], rows: &[Vec<Value>]) -> String {
    let value = |v: &Value| match v {
        Value::Null => "null".to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) if r.is_infinite() => if *r > 0.0 { "1e999" } else { "-1e999" }.to_string(),
        Value::Real(_) => v.to_text(),
        Value::Text(t) => json_string(t),
        Value::Blob(b) => json_string(&String::from_utf8_lossy(b)),
    };
    let objects: Vec<String> = rows
        .iter()
        .map(|row| {
            let fields: Vec<String> =
                columns.iter().zip(row).map(|(c, v)| format!("{}:{}", json_string(c), value(v))).collect();
            format!("{{{}}}", fields.join(","))
        })
        .collect();
    format!("[{}]", objects.join(",\n"))
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    dosql_sql::func::json::node::push_quoted(&mut out, s);
    out
}

/// The rows of `EXPLAIN QUERY PLAN` (`id`, `parent`, `notused`, `detail`)
/// drawn as sqlite3 draws them: `QUERY PLAN`, then each step under its
/// parent with `|--` (or `` `-- `` for a parent's last step).
pub fn query_plan_tree(rows: &[Vec<Value>]) -> String {
    let steps: Vec<(i64, i64, String)> = rows
        .iter()
        .filter_map(|r| match r.as_slice() {
            [id, parent, _, detail] => Some((id.to_i64(), parent.to_i64(), detail.to_text())),
            _ => None,
        })
        .collect();
    let mut out = String::from("QUERY PLAN\n");
    // Steps whose parent is not a step hang from the top, as in sqlite3.
    let ids: Vec<i64> = steps.iter().map(|s| s.0).collect();
    let roots: Vec<usize> =
        (0..steps.len()).filter(|&i| !ids.contains(&steps[i].1) || steps[i].1 == steps[i].0).collect();
    tree_level(&steps, &roots, "", &mut out, 0);
    out
}

/// Appends the steps at `level` (indexes into `steps`) and their children.
fn tree_level(steps: &[(i64, i64, String)], level: &[usize], prefix: &str, out: &mut String, depth: usize) {
    // Plans are shallow; the bound only guards against a cycle of parents.
    if depth > 64 {
        return;
    }
    for (n, &i) in level.iter().enumerate() {
        let last = n + 1 == level.len();
        let Some((id, _, detail)) = steps.get(i) else { continue };
        out.push_str(prefix);
        out.push_str(if last { "`--" } else { "|--" });
        out.push_str(detail);
        out.push('\n');
        let children: Vec<usize> = (0..steps.len()).filter(|&j| steps[j].1 == *id && steps[j].0 != *id).collect();
        let deeper = format!("{prefix}{}", if last { "   " } else { "|  " });
        tree_level(steps, &children, &deeper, out, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn show(mode: Mode, headers: bool, columns: &[&str], rows: &[Vec<Value>]) -> String {
        let mut out = Vec::new();
        let fmt = Format { headers, ..Format::new(mode) };
        render(&mut out, &fmt, &cols(columns), rows).expect("write to a Vec");
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn list_mode() {
        let rows = vec![vec![Value::Integer(1), Value::Real(2.5), Value::Null, Value::Blob(vec![0x41, 0xff])]];
        assert_eq!(show(Mode::List, false, &["a", "b", "c", "d"], &rows).as_bytes(), b"1|2.5||A\xef\xbf\xbd\n");
        let mut out = Vec::new();
        let fmt = Format { headers: true, ..Format::new(Mode::List) };
        render(&mut out, &fmt, &cols(&["a", "b", "c", "d"]), &rows).expect("vec");
        assert_eq!(out, b"a|b|c|d\n1|2.5||A\xff\n");
        assert_eq!(show(Mode::List, true, &["a"], &[]), "");
        assert_eq!(show(Mode::List, false, &["r"], &[vec![Value::Real(1e300)]]), "1.0e+300\n");
        let nul = vec![vec![Value::Blob(vec![b'a', 0, b'b']), Value::Text("x\0y".into())]];
        assert_eq!(show(Mode::List, false, &["a", "b"], &nul), "a|x\n");
        assert_eq!(show(Mode::Csv, false, &["a", "b"], &nul), "a,x\r\n");
    }

    #[test]
    fn csv_mode() {
        let rows = vec![vec![
            Value::Text(String::new()),
            Value::Null,
            Value::Text("a\"b".into()),
            Value::Real(1.0),
            Value::Integer(-3),
            Value::Text("a b".into()),
            Value::Text("é".into()),
            Value::Text("x,y".into()),
        ]];
        assert_eq!(
            show(Mode::Csv, true, &["h", "x,y", "c", "d", "e", "f", "g", "i"], &rows),
            "h,\"x,y\",c,d,e,f,g,i\r\n\"\",,\"a\"\"b\",1.0,-3,\"a b\",\"é\",\"x,y\"\r\n"
        );
    }

    /// The outputs sqlite3 3.40 gives for the same settings.
    #[test]
    fn separators_nullvalue_quote_insert() {
        let rows = vec![
            vec![Value::Integer(1), Value::Text("x y".into()), Value::Null],
            vec![Value::Real(2.5), Value::Blob(b"A".to_vec()), Value::Text("it's".into())],
        ];
        let cols = cols(&["a", "b", "c"]);
        let show = |fmt: &Format| {
            let mut out = Vec::new();
            render(&mut out, fmt, &cols, &rows).expect("vec");
            String::from_utf8_lossy(&out).into_owned()
        };
        let mut fmt =
            Format { col_sep: ";".into(), row_sep: "#".into(), null: "NUL".into(), ..Format::new(Mode::List) };
        assert_eq!(show(&fmt), "1;x y;NUL#2.5;A;it's#");
        fmt.headers = true;
        assert_eq!(show(&fmt), "a;b;c#1;x y;NUL#2.5;A;it's#");
        fmt.mode = Mode::Csv;
        fmt.col_sep = ",".into();
        fmt.row_sep = "\r\n".into();
        assert_eq!(show(&fmt), "a,b,c\r\n1,\"x y\",NUL\r\n2.5,A,\"it's\"\r\n");
        fmt.col_sep = ";".into();
        fmt.null = String::new();
        assert_eq!(show(&Format { headers: false, ..fmt.clone() }), "1;\"x y\";\r\n2.5;A;\"it's\"\r\n");
        fmt.mode = Mode::Quote;
        fmt.col_sep = ",".into();
        fmt.row_sep = "\n".into();
        assert_eq!(show(&fmt), "'a','b','c'\n1,'x y',NULL\n2.5,X'41','it''s'\n");
        let blob = vec![vec![Value::Blob(vec![0xff, 0]), Value::Text("a\nb".into())]];
        let mut out = Vec::new();
        render(&mut out, &Format { headers: false, ..fmt.clone() }, &cols[..2], &blob).expect("vec");
        assert_eq!(out, b"X'ff00','a\nb'\n");
        fmt.mode = Mode::Insert;
        assert_eq!(
            show(&fmt),
            "INSERT INTO \"table\"(a,b,c) VALUES(1,'x y',NULL);\nINSERT INTO \"table\"(a,b,c) VALUES(2.5,X'41','it''s');\n"
        );
        fmt.headers = false;
        fmt.table = "foo".into();
        assert!(show(&fmt).starts_with("INSERT INTO foo VALUES(1,'x y',NULL);\n"));
        fmt.mode = Mode::Line;
        fmt.null = "N".into();
        assert_eq!(show(&fmt), "    a = 1\n    b = x y\n    c = N\n\n    a = 2.5\n    b = A\n    c = it's\n");
    }

    #[test]
    fn line_mode_pads_names() {
        let rows = vec![vec![Value::Integer(1), Value::Null], vec![Value::Integer(2), Value::Text("z".into())]];
        assert_eq!(show(Mode::Line, false, &["a", "b"], &rows), "    a = 1\n    b = \n\n    a = 2\n    b = z\n");
        let rows = vec![vec![Value::Integer(1), Value::Integer(2)]];
        assert_eq!(show(Mode::Line, false, &["abcdefgh", "b"], &rows), "abcdefgh = 1\n       b = 2\n");
    }

    #[test]
    fn json_mode() {
        let rows =
            vec![vec![Value::Integer(1), Value::Text("a\"b\n".into())], vec![Value::Real(f64::INFINITY), Value::Null]];
        assert_eq!(
            show(Mode::Json, false, &["x", "y"], &rows),
            "[{\"x\":1,\"y\":\"a\\\"b\\n\"},\n{\"x\":1e999,\"y\":null}]\n"
        );
    }

    /// sqlite3 3.40's html, tcl, ascii and count output for the same rows.
    #[test]
    fn html_tcl_ascii_count() {
        let rows = vec![
            vec![Value::Text("<a href=\"x\">&'".into()), Value::Null],
            vec![Value::Text("t\tn\né\\\u{1}".into()), Value::Blob(vec![b'A', 0xfe, 0, b'B'])],
        ];
        let fmt = |mode| Format { headers: true, null: "N".into(), ..Format::new(mode) };
        let out = |f: &Format| {
            let mut out = Vec::new();
            render(&mut out, f, &cols(&["a<", "b"]), &rows).expect("vec");
            out
        };
        assert_eq!(
            out(&fmt(Mode::Html)),
            b"<TR><TH>a&lt;</TH>\n<TH>b</TH>\n</TR>\n<TR><TD>&lt;a href=&quot;x&quot;&gt;&amp;&#39;</TD>\n\
              <TD>N</TD>\n</TR>\n<TR><TD>t\tn\n\xc3\xa9\\\x01</TD>\n<TD>A\xfe</TD>\n</TR>\n"
        );
        let tcl = Format { col_sep: " ".into(), ..fmt(Mode::Tcl) };
        assert_eq!(
            String::from_utf8_lossy(&out(&tcl)),
            "\"a<\" \"b\"\n\"<a href=\\\"x\\\">&'\" \"N\"\n\"t\\tn\\n\\303\\251\\\\\\001\" \"A\\376\"\n"
        );
        let ascii = Format { col_sep: "\u{1f}".into(), row_sep: "\u{1e}".into(), ..fmt(Mode::Ascii) };
        assert_eq!(out(&ascii), b"a<\x1fb\x1e<a href=\"x\">&'\x1fN\x1et\tn\n\xc3\xa9\\\x01\x1fA\xfe\x1e");
        assert_eq!(out(&fmt(Mode::Count)), b"2 rows\n");
        assert_eq!(out(&fmt(Mode::Off)), b"");
    }

    #[test]
    fn mode_names() {
        for m in Mode::ALL {
            assert_eq!(Mode::from_name(m.name()), Some(m));
        }
        assert_eq!(Mode::from_name("BOX"), Some(Mode::Box));
        assert_eq!(Mode::from_name("tabs"), None);
    }

    #[test]
    fn plan_tree() {
        let step = |id: i64, parent: i64, d: &str| {
            vec![Value::Integer(id), Value::Integer(parent), Value::Integer(0), Value::Text(d.into())]
        };
        let rows = vec![
            step(1, 0, "MERGE (UNION)"),
            step(2, 1, "LEFT"),
            step(3, 2, "SEARCH t USING INDEX ti (b=?)"),
            step(4, 1, "RIGHT"),
            step(5, 4, "SCAN t"),
        ];
        assert_eq!(
            query_plan_tree(&rows),
            "QUERY PLAN\n`--MERGE (UNION)\n   |--LEFT\n   |  `--SEARCH t USING INDEX ti (b=?)\n   `--RIGHT\n      `--SCAN t\n"
        );
        let flat = vec![step(1, 0, "SCAN u"), step(2, 0, "SEARCH t")];
        assert_eq!(query_plan_tree(&flat), "QUERY PLAN\n|--SCAN u\n`--SEARCH t\n");
    }
}
