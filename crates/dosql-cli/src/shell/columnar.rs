//! The aligned output modes — `column`, `table`, `box`, `markdown` — laid
//! out as sqlite3 lays them out.
//!
//! Each column is as wide as its `.width` entry says (its absolute value;
//! negative means right-aligned), or, for an entry of 0 or none, as wide as
//! its longest header or value line, but at most 60 cells after `.mode`
//! (sqlite3's `--wrap 60`; command-line mode options leave it unlimited). Values longer than the width wrap onto further lines at
//! exactly the width (no word wrapping); values with newlines span lines;
//! headers longer than the width are cut to it. When any value spans
//! several lines, `table` and `box` draw a rule between rows and `column`
//! leaves a blank line between rows. `table`, `box` and `markdown` always
//! show headers, centred; `column` shows them only with `.headers on`,
//! aligned like the values and underlined with dashes.
//!
//! Widths count terminal cells (East Asian wide characters count two,
//! combining marks zero), as sqlite3 3.47 and later do; sqlite3 before 3.47
//! counted characters. Control characters are printed as they are.

use super::render::{Format, Mode};
use dosql_sql::Value;
use std::io::{self, Write};
use unicode_width::UnicodeWidthChar;

/// sqlite3's wrapping width for columns without a `.width` after `.mode`
/// (its command-line mode options set none).
pub const WRAP: usize = 60;

/// The terminal cells `s` takes.
pub fn cells(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// `s` cut into pieces of at most `width` cells (each at least one
/// character, so a wide character in a one-cell column still shows).
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        line.push(c);
        used += w;
    }
    lines.push(line);
    lines
}

/// `s` cut to at most `width` cells.
fn truncate(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out
}

/// `text` padded with spaces to `width` cells: on the left when `right`.
fn pad(text: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(cells(text)));
    if right { format!("{fill}{text}") } else { format!("{text}{fill}") }
}

/// `text` centred in `width` cells (an odd space goes on the right).
fn centre(text: &str, width: usize) -> String {
    let gap = width.saturating_sub(cells(text));
    let left = gap / 2;
    format!("{}{text}{}", " ".repeat(left), " ".repeat(gap - left))
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
        Mode::Column => {
            Frame { top: None, mid: ["", "  ", "", "-"], bottom: None, bar: ["", "  ", ""], row_rules: false }
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

/// Writes `rows` in one of the aligned modes.
pub fn aligned(out: &mut dyn Write, fmt: &Format, columns: &[String], rows: &[Vec<Value>]) -> io::Result<()> {
    // (width limit or 0 for automatic, right-aligned) per column.
    let spec: Vec<(usize, bool)> = (0..columns.len())
        .map(|i| {
            let w = fmt.widths.get(i).copied().unwrap_or(0);
            (usize::try_from(w.unsigned_abs()).unwrap_or(usize::MAX), w < 0)
        })
        .collect();
    let wrap_at = if fmt.wrap == 0 { usize::MAX } else { fmt.wrap };
    let limit = |i: usize| spec.get(i).map_or(wrap_at, |&(w, _)| if w == 0 { wrap_at } else { w });
    let cells_of: Vec<Vec<Vec<String>>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, v)| {
                    let text = match v {
                        Value::Null => fmt.null.clone(),
                        v => String::from_utf8_lossy(&super::render::raw(v)).into_owned(),
                    };
                    text.split('\n').flat_map(|l| wrap(l, limit(i))).collect()
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| match spec.get(i) {
            Some(&(w, _)) if w > 0 => w,
            _ => {
                let header = columns.get(i).map_or(0, |c| cells(c));
                let data = cells_of.iter().filter_map(|r| r.get(i)).flatten().map(|l| cells(l)).max().unwrap_or(0);
                header.max(data).min(wrap_at)
            }
        })
        .collect();
    let right = |i: usize| spec.get(i).is_some_and(|s| s.1);
    let multi_line = cells_of.iter().any(|row| row.iter().any(|c| c.len() > 1));
    let f = frame(fmt.mode);
    let rule = |out: &mut dyn Write, parts: [&str; 4]| -> io::Result<()> {
        let segs: Vec<String> = widths.iter().map(|&w| parts[3].repeat(w)).collect();
        writeln!(out, "{}{}{}", parts[0], segs.join(parts[1]), parts[2])
    };
    if let Some(top) = f.top {
        rule(out, top)?;
    }
    let show_headers = fmt.mode != Mode::Column || fmt.headers;
    if show_headers {
        let header: Vec<String> = columns
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, &w))| {
                let c = truncate(c, w);
                if fmt.mode == Mode::Column { pad(&c, w, right(i)) } else { centre(&c, w) }
            })
            .collect();
        writeln!(out, "{}{}{}", f.bar[0], header.join(f.bar[1]), f.bar[2])?;
        rule(out, f.mid)?;
    }
    for (n, row) in cells_of.iter().enumerate() {
        if n > 0 && multi_line {
            if f.row_rules {
                rule(out, f.mid)?;
            } else if fmt.mode == Mode::Column {
                writeln!(out)?;
            }
        }
        let height = row.iter().map(Vec::len).max().unwrap_or(1);
        for l in 0..height {
            let parts: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, &w))| pad(cell.get(l).map(String::as_str).unwrap_or(""), w, right(i)))
                .collect();
            writeln!(out, "{}{}{}", f.bar[0], parts.join(f.bar[1]), f.bar[2])?;
        }
    }
    if let Some(bottom) = f.bottom {
        rule(out, bottom)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(fmt: &Format, columns: &[&str], rows: &[Vec<Value>]) -> String {
        let mut out = Vec::new();
        let columns: Vec<String> = columns.iter().map(|s| s.to_string()).collect();
        aligned(&mut out, fmt, &columns, rows).expect("write to a Vec");
        String::from_utf8_lossy(&out).into_owned()
    }

    fn fmt(mode: Mode, widths: &[i64]) -> Format {
        Format { widths: widths.to_vec(), ..Format::new(mode) }
    }

    fn sample() -> Vec<Vec<Value>> {
        vec![
            vec![Value::Integer(1), Value::Text("x y".into()), Value::Null],
            vec![Value::Real(2.5), Value::Blob(b"A".to_vec()), Value::Text("it's".into())],
            vec![Value::Integer(12345678), Value::Text("abcdefghijkl".into()), Value::Text("z".into())],
        ]
    }

    #[test]
    fn table_mode() {
        let rows = vec![vec![Value::Integer(1), Value::Text("x".into())], vec![Value::Integer(12345), Value::Null]];
        assert_eq!(
            show(&fmt(Mode::Table, &[]), &["a", "b"], &rows),
            "+-------+---+\n|   a   | b |\n+-------+---+\n| 1     | x |\n| 12345 |   |\n+-------+---+\n"
        );
        let multi =
            vec![vec![Value::Integer(1), Value::Text("two\nlines".into())], vec![Value::Integer(2), Value::Null]];
        assert_eq!(
            show(&fmt(Mode::Table, &[]), &["a", "b"], &multi),
            "+---+-------+\n| a |   b   |\n+---+-------+\n| 1 | two   |\n|   | lines |\n+---+-------+\n\
             | 2 |       |\n+---+-------+\n"
        );
    }

    #[test]
    fn box_and_markdown() {
        let rows = vec![vec![Value::Integer(1), Value::Text("x".into())]];
        assert_eq!(
            show(&fmt(Mode::Box, &[]), &["a", "b"], &rows),
            "┌───┬───┐\n│ a │ b │\n├───┼───┤\n│ 1 │ x │\n└───┴───┘\n"
        );
        assert_eq!(show(&fmt(Mode::Markdown, &[]), &["a", "b"], &rows), "| a | b |\n|---|---|\n| 1 | x |\n");
    }

    /// sqlite3: `.width 3 -6` in column mode wraps at the widths, aligns
    /// the second column right, and separates wrapped rows with a blank line.
    #[test]
    fn column_mode_with_widths() {
        let mut f = fmt(Mode::Column, &[3, -6]);
        f.headers = true;
        assert_eq!(
            show(&f, &["a", "b", "c"], &sample()),
            "a         b  c   \n---  ------  ----\n1       x y      \n\n2.5       A  it's\n\n\
             123  abcdef  z   \n456  ghijkl      \n78               \n"
        );
        f.headers = false;
        f.widths = vec![];
        assert_eq!(show(&f, &["a"], &[vec![Value::Integer(1)]]), "1\n");
    }

    #[test]
    fn right_aligned_table_and_cut_headers() {
        let f = fmt(Mode::Table, &[-10, 0, 2]);
        assert_eq!(
            show(&f, &["a", "b", "c"], &sample()),
            "+------------+--------------+----+\n|     a      |      b       | c  |\n\
             +------------+--------------+----+\n|          1 | x y          |    |\n\
             +------------+--------------+----+\n|        2.5 | A            | it |\n\
             |            |              | 's |\n+------------+--------------+----+\n\
             |   12345678 | abcdefghijkl | z  |\n+------------+--------------+----+\n"
        );
        let f = fmt(Mode::Markdown, &[2]);
        assert_eq!(
            show(&f, &["longheader", "b"], &[vec![Value::Text("abcde".into()), Value::Text("x".into())]]),
            "| lo | b |\n|----|---|\n| ab | x |\n| cd |   |\n| e  |   |\n"
        );
    }

    #[test]
    fn long_values_wrap_at_sixty() {
        let long = "x".repeat(70);
        let out = show(&fmt(Mode::Table, &[]), &["long"], &[vec![Value::Text(long)]]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[3], format!("| {} |", "x".repeat(60)));
        assert_eq!(lines[4], format!("| {}{} |", "x".repeat(10), " ".repeat(50)));
    }

    #[test]
    fn no_wrapping_with_wrap_zero() {
        let long = "x".repeat(70);
        let f = Format { wrap: 0, ..fmt(Mode::Column, &[]) };
        assert_eq!(show(&f, &["long"], &[vec![Value::Text(long.clone())]]), format!("{long}\n"));
    }

    #[test]
    fn wide_characters_take_two_cells() {
        let rows = vec![vec![Value::Text("é".into()), Value::Text("日本語".into()), Value::Null]];
        let mut f = fmt(Mode::Table, &[]);
        f.null = "N".into();
        assert_eq!(
            show(&f, &["x", "y", "z"], &rows),
            "+---+--------+---+\n| x |   y    | z |\n+---+--------+---+\n| é | 日本語 | N |\n+---+--------+---+\n"
        );
        assert_eq!(wrap("日本語", 3), ["日", "本", "語"]);
        assert_eq!(wrap("日本語", 1), ["日", "本", "語"]);
        assert_eq!(truncate("日本語", 5), "日本");
        assert_eq!(cells("e\u{301}"), 1);
    }
}
