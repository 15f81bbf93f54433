//! Printing result rows in the shell's output modes, as sqlite3 3.40 prints
//! them; `dosql exec` prints through here too (list and JSON modes).
//!
//! - `list`: values separated by `|`, one row a line.
//! - `csv`: RFC 4180 fields, quoted when they are empty or hold a space,
//!   control character, `"`, `,` or a non-ASCII byte (sqlite3's rule); rows
//!   end with CRLF.
//! - `line`: one `name = value` line per column, names right-aligned to at
//!   least five characters, a blank line between rows.
//! - `json`: an array of objects keyed by column name.
//! - `table`, `box`, `markdown`: aligned columns, headers centred, values
//!   left-aligned (numbers too, as sqlite3 3.40), always with headers; a
//!   value with newlines spans several lines and then `table`/`box` draw a
//!   rule between all rows.
//!
//! NULL prints as an empty string (JSON: `null`), numbers as SQLite's text
//! conversion prints them, blobs as their raw bytes (lossily decoded in the
//! aligned modes and JSON); outside JSON, text and blobs end at a NUL byte,
//! as in sqlite3. A statement with no rows prints nothing, not
//! even headers. Widths count characters, not terminal cells (sqlite3 counts
//! East Asian wide characters twice), and control characters are printed as
//! they are.

use dosql_sql::Value;
use std::io::{self, Write};

/// An output mode (`.mode NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Values separated by `|`.
    List,
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
}

impl Mode {
    /// Every mode, in `.help`'s order.
    pub const ALL: [Mode; 7] = [Mode::List, Mode::Table, Mode::Box, Mode::Csv, Mode::Json, Mode::Line, Mode::Markdown];

    /// The mode's name as `.mode` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::List => "list",
            Mode::Table => "table",
            Mode::Box => "box",
            Mode::Csv => "csv",
            Mode::Json => "json",
            Mode::Line => "line",
            Mode::Markdown => "markdown",
        }
    }

    /// The mode called `name` (any case).
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(name))
    }
}

/// Writes one statement's result in `mode`. `headers` matters only in
/// `list` and `csv` mode: `table`, `box` and `markdown` always show the
/// column names, `line` and `json` name every value.
pub fn render(
    out: &mut dyn Write,
    mode: Mode,
    headers: bool,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    if rows.is_empty() || columns.is_empty() {
        return Ok(());
    }
    match mode {
        Mode::List => delimited(out, headers, columns, rows, b"|", b"\n", raw),
        Mode::Csv => delimited(out, headers, columns, rows, b",", b"\r\n", csv_field),
        Mode::Json => writeln!(out, "{}", json_rows(columns, rows)),
        Mode::Line => line_mode(out, columns, rows),
        Mode::Table | Mode::Box | Mode::Markdown => aligned(out, mode, columns, rows),
    }
}

/// A value's bytes as sqlite3 prints it unquoted: NULL empty, blobs raw;
/// text and blobs end at a NUL byte (sqlite3 prints them as C strings).
fn raw(v: &Value) -> Vec<u8> {
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

/// Rows with fields separated by `sep`, each ending with `end`; a header
/// row first when `headers`.
fn delimited(
    out: &mut dyn Write,
    headers: bool,
    columns: &[String],
    rows: &[Vec<Value>],
    sep: &[u8],
    end: &[u8],
    field: impl Fn(&Value) -> Vec<u8>,
) -> io::Result<()> {
    if headers {
        let names: Vec<Value> = columns.iter().map(|c| Value::Text(c.clone())).collect();
        write_fields(out, &names, sep, end, &field)?;
    }
    for row in rows {
        write_fields(out, row, sep, end, &field)?;
    }
    Ok(())
}

fn write_fields(
    out: &mut dyn Write,
    row: &[Value],
    sep: &[u8],
    end: &[u8],
    field: &impl Fn(&Value) -> Vec<u8>,
) -> io::Result<()> {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.write_all(sep)?;
        }
        out.write_all(&field(v))?;
    }
    out.write_all(end)
}

/// A CSV field: NULL empty; anything else quoted when sqlite3 would.
fn csv_field(v: &Value) -> Vec<u8> {
    if v.is_null() {
        return Vec::new();
    }
    let bytes = raw(v);
    let needs_quote = bytes.is_empty() || bytes.iter().any(|&b| b <= b' ' || b == b'"' || b == b',' || b >= 0x7f);
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

/// sqlite3's line mode.
fn line_mode(out: &mut dyn Write, columns: &[String], rows: &[Vec<Value>]) -> io::Result<()> {
    let width = columns.iter().map(|c| c.chars().count()).max().unwrap_or(0).max(5);
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        for (name, v) in columns.iter().zip(row) {
            write!(out, "{name:>width$} = ")?;
            out.write_all(&raw(v))?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// The characters that draw an aligned table's rules and borders.
struct Frame {
    /// Left, middle (between columns), right, horizontal for the top rule.
    top: Option<[&'static str; 4]>,
    /// The same for the rule under the headers (and between rows).
    mid: [&'static str; 4],
    /// The same for the bottom rule.
    bottom: Option<[&'static str; 4]>,
    /// Left border, column separator, right border of a text line.
    bar: [&'static str; 3],
    /// Whether rows with several lines get rules between rows.
    row_rules: bool,
}

fn frame(mode: Mode) -> Frame {
    match mode {
        Mode::Box => Frame {
            top: Some(["┌─", "─┬─", "─┐", "─"]),
            mid: ["├─", "─┼─", "─┤", "─"],
            bottom: Some(["└─", "─┴─", "─┘", "─"]),
            bar: ["│ ", " │ ", " │"],
            row_rules: true,
        },
        Mode::Markdown => {
            Frame { top: None, mid: ["|-", "-|-", "-|", "-"], bottom: None, bar: ["| ", " | ", " |"], row_rules: false }
        }
        _ => Frame {
            top: Some(["+-", "-+-", "-+", "-"]),
            mid: ["+-", "-+-", "-+", "-"],
            bottom: Some(["+-", "-+-", "-+", "-"]),
            bar: ["| ", " | ", " |"],
            row_rules: true,
        },
    }
}

/// The table, box and markdown modes.
fn aligned(out: &mut dyn Write, mode: Mode, columns: &[String], rows: &[Vec<Value>]) -> io::Result<()> {
    let cells: Vec<Vec<Vec<String>>> = rows
        .iter()
        .map(|row| {
            row.iter().map(|v| String::from_utf8_lossy(&raw(v)).split('\n').map(str::to_string).collect()).collect()
        })
        .collect();
    let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            for line in cell {
                *w = (*w).max(line.chars().count());
            }
        }
    }
    let multi_line = cells.iter().any(|row| row.iter().any(|c| c.len() > 1));
    let f = frame(mode);
    let rule = |out: &mut dyn Write, parts: [&str; 4]| -> io::Result<()> {
        let segs: Vec<String> = widths.iter().map(|&w| parts[3].repeat(w)).collect();
        writeln!(out, "{}{}{}", parts[0], segs.join(parts[1]), parts[2])
    };
    if let Some(top) = f.top {
        rule(out, top)?;
    }
    let header: Vec<String> = columns
        .iter()
        .zip(&widths)
        .map(|(c, &w)| {
            let pad = w.saturating_sub(c.chars().count());
            let left = pad / 2;
            format!("{}{c}{}", " ".repeat(left), " ".repeat(pad - left))
        })
        .collect();
    writeln!(out, "{}{}{}", f.bar[0], header.join(f.bar[1]), f.bar[2])?;
    rule(out, f.mid)?;
    for (i, row) in cells.iter().enumerate() {
        if i > 0 && multi_line && f.row_rules {
            rule(out, f.mid)?;
        }
        let height = row.iter().map(Vec::len).max().unwrap_or(1);
        for l in 0..height {
            let parts: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, &w)| {
                    let text = cell.get(l).map(String::as_str).unwrap_or("");
                    format!("{text}{}", " ".repeat(w.saturating_sub(text.chars().count())))
                })
                .collect();
            writeln!(out, "{}{}{}", f.bar[0], parts.join(f.bar[1]), f.bar[2])?;
        }
    }
    if let Some(bottom) = f.bottom {
        rule(out, bottom)?;
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
        render(&mut out, mode, headers, &cols(columns), rows).expect("write to a Vec");
        String::from_utf8_lossy(&out).into_owned()
    }

    fn sample() -> Vec<Vec<Value>> {
        vec![
            vec![Value::Integer(1), Value::Text("x".into())],
            vec![Value::Integer(12345), Value::Text("yyyyyy".into())],
        ]
    }

    #[test]
    fn list_mode() {
        let rows = vec![vec![Value::Integer(1), Value::Real(2.5), Value::Null, Value::Blob(vec![0x41, 0xff])]];
        assert_eq!(show(Mode::List, false, &["a", "b", "c", "d"], &rows).as_bytes(), b"1|2.5||A\xef\xbf\xbd\n");
        let mut out = Vec::new();
        render(&mut out, Mode::List, true, &cols(&["a", "b", "c", "d"]), &rows).expect("vec");
        assert_eq!(out, b"a|b|c|d\n1|2.5||A\xff\n");
        assert_eq!(show(Mode::List, true, &["a"], &[]), "");
        assert_eq!(show(Mode::List, false, &["r"], &[vec![Value::Real(1e300)]]), "1.0e+300\n");
        let nul = vec![vec![Value::Blob(vec![b'a', 0, b'b']), Value::Text("x\0y".into())]];
        assert_eq!(show(Mode::List, false, &["a", "b"], &nul), "a|x\n");
        assert_eq!(show(Mode::Csv, false, &["a", "b"], &nul), "a,x\r\n");
    }

    #[test]
    fn table_mode() {
        assert_eq!(
            show(Mode::Table, false, &["a", "b"], &sample()),
            "+-------+--------+\n\
             |   a   |   b    |\n\
             +-------+--------+\n\
             | 1     | x      |\n\
             | 12345 | yyyyyy |\n\
             +-------+--------+\n"
        );
        let multi =
            vec![vec![Value::Integer(1), Value::Text("two\nlines".into())], vec![Value::Integer(2), Value::Null]];
        assert_eq!(
            show(Mode::Table, true, &["a", "b"], &multi),
            "+---+-------+\n\
             | a |   b   |\n\
             +---+-------+\n\
             | 1 | two   |\n\
             |   | lines |\n\
             +---+-------+\n\
             | 2 |       |\n\
             +---+-------+\n"
        );
        assert_eq!(show(Mode::Table, true, &["a"], &[]), "");
    }

    #[test]
    fn box_mode() {
        assert_eq!(
            show(Mode::Box, false, &["a", "b"], &sample()),
            "┌───────┬────────┐\n\
             │   a   │   b    │\n\
             ├───────┼────────┤\n\
             │ 1     │ x      │\n\
             │ 12345 │ yyyyyy │\n\
             └───────┴────────┘\n"
        );
    }

    #[test]
    fn markdown_mode() {
        assert_eq!(
            show(Mode::Markdown, false, &["a", "b"], &sample()),
            "|   a   |   b    |\n\
             |-------|--------|\n\
             | 1     | x      |\n\
             | 12345 | yyyyyy |\n"
        );
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

    #[test]
    fn mode_names() {
        for m in Mode::ALL {
            assert_eq!(Mode::from_name(m.name()), Some(m));
        }
        assert_eq!(Mode::from_name("BOX"), Some(Mode::Box));
        assert_eq!(Mode::from_name("column"), None);
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
