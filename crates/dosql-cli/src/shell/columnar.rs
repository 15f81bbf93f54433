//! The aligned output modes — `column`, `table`, `box`, `markdown` — laid
//! out as sqlite3 lays them out.
//!
//! Each column is as wide as its `.width` entry says (its absolute value;
//! negative means right-aligned), or, for an entry of 0 or none, as wide as
//! its longest header or value line, but at most `--wrap` cells (60 after
//! `.mode`; command-line mode options leave it unlimited). Values are cut
//! into display lines as [`display_lines`] says: at the width (at a word
//! boundary with `--wordwrap on`), at newlines and other control
//! characters; tabs expand to 8-cell stops. A header shows its first
//! display line. With `--quote`, values show as SQL literals (`'text'`,
//! `x'blob'`, `NULL`). When any value spans several lines, `table` and
//! `box` draw a rule between rows and `column` leaves a blank line between
//! rows. `table`, `box` and `markdown` always show headers, centred;
//! `column` shows them only with `.headers on`, aligned like the values
//! and underlined with dashes.
//!
//! Widths count terminal cells (East Asian wide characters count two,
//! combining marks zero), as sqlite3 3.47 and later do; sqlite3 3.40
//! counts characters (and pads by bytes, misaligning non-ASCII text).

use super::render::{Format, Mode};
use dosql_sql::Value;
use std::io::{self, Write};
use unicode_width::UnicodeWidthChar;

/// sqlite3's wrapping width (`--wrap`) for columns without a `.width`
/// after `.mode` (its command-line mode options set none).
pub const WRAP: i64 = 60;

/// The terminal cells `s` takes.
pub fn cells(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Whether C's `isalnum` holds for `c` (ASCII letters and digits only).
fn alnum(c: Option<&char>) -> bool {
    c.is_some_and(char::is_ascii_alphanumeric)
}

/// `s` as the display lines of a cell at most `width` cells wide (0: no
/// limit), as sqlite3 3.40 cuts them: a line ends where the width is full,
/// at a newline (`\r\n` too) or at any other control character but tab
/// (which is dropped); a final newline makes no empty line. Tabs expand to
/// the next multiple of 8 cells. With `word_wrap`, a full line is cut
/// after the last space in its second half (the next line then starts
/// after the spaces), or else where letters and digits meet other
/// characters there, or else at the width.
pub fn display_lines(s: &str, width: usize, word_wrap: bool) -> Vec<String> {
    let max = if width == 0 { usize::MAX } else { width };
    let chars: Vec<char> = s.chars().collect();
    let mut lines = Vec::new();
    let mut start = 0;
    loop {
        let line = chars.get(start..).unwrap_or(&[]);
        // Take characters while the width lasts.
        let (mut i, mut used) = (0, 0);
        while used < max {
            let Some(&c) = line.get(i) else { break };
            if c == '\t' {
                used = (used / 8 + 1).saturating_mul(8).min(max);
            } else if c < ' ' {
                break;
            } else {
                let w = c.width().unwrap_or(0);
                if used > 0 && used.saturating_add(w) > max {
                    used = max;
                    break;
                }
                used += w;
            }
            i += 1;
        }
        let full = used >= max;
        let mut keep = i;
        if full && word_wrap {
            let half = i / 2;
            let at_space = (half + 1..=i).rev().find(|&k| matches!(line.get(k - 1), Some(' ' | '\t')));
            let at_word_end = || (half + 1..=i).rev().find(|&k| alnum(line.get(k - 1)) != alnum(line.get(k)));
            if let Some(k) = at_space.or_else(at_word_end) {
                keep = k;
                i = k;
                while line.get(i) == Some(&' ') {
                    i += 1;
                }
            }
        }
        lines.push(expand_tabs(line.get(..keep).unwrap_or(&[]), max));
        // Where the next line starts, if there is one.
        let next = match (line.get(i), line.get(i + 1)) {
            (Some(&c), _) if full && c >= ' ' => Some(i),
            (Some('\r'), Some('\n')) => Some(i + 2).filter(|&n| n < line.len()),
            (None, _) | (_, None) => None,
            _ => Some(i + 1),
        };
        match next {
            Some(n) => start += n,
            None => return lines,
        }
    }
}

/// `chars` with each tab as spaces to the next multiple of 8 cells (at
/// most `max`).
fn expand_tabs(chars: &[char], max: usize) -> String {
    let mut out = String::new();
    let mut used = 0usize;
    for &c in chars {
        if c == '\t' {
            let to = (used / 8 + 1).saturating_mul(8).min(max).max(used + 1);
            out.extend(std::iter::repeat_n(' ', to - used));
            used = to;
        } else {
            out.push(c);
            used += c.width().unwrap_or(0);
        }
    }
    out
}

/// A non-NULL value as `--quote` shows it: text as an SQL string literal
/// (ending at a NUL, as sqlite3's C strings do), blobs as `x'hex'`,
/// numbers as text.
fn quoted(v: &Value) -> String {
    match v {
        Value::Text(_) => {
            let text = String::from_utf8_lossy(&super::render::raw(v)).into_owned();
            format!("'{}'", text.replace('\'', "''"))
        }
        Value::Blob(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            format!("x'{hex}'")
        }
        v => v.to_text(),
    }
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
    let wrap_at = usize::try_from(fmt.wrap.unsigned_abs()).unwrap_or(usize::MAX);
    // The width a column's text wraps at: its `.width`, else `--wrap`.
    let limit = |i: usize| spec.get(i).map_or(wrap_at, |&(w, _)| if w == 0 { wrap_at } else { w });
    let lines = |i: usize, text: &str| display_lines(text, limit(i), fmt.word_wrap);
    let cells_of: Vec<Vec<Vec<String>>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, v)| {
                    let text = match v {
                        Value::Null if fmt.quote => "NULL".to_string(),
                        Value::Null => fmt.null.clone(),
                        v if fmt.quote => quoted(v),
                        v => String::from_utf8_lossy(&super::render::raw(v)).into_owned(),
                    };
                    lines(i, &text)
                })
                .collect()
        })
        .collect();
    // Headers show their first display line only.
    let headers: Vec<String> =
        columns.iter().enumerate().map(|(i, c)| lines(i, c).into_iter().next().unwrap_or_default()).collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| match spec.get(i) {
            Some(&(w, _)) if w > 0 => w,
            _ => {
                let header = headers.get(i).map_or(0, |c| cells(c));
                let data = cells_of.iter().filter_map(|r| r.get(i)).flatten().map(|l| cells(l)).max().unwrap_or(0);
                header.max(data)
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
        let header: Vec<String> = headers
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, &w))| if fmt.mode == Mode::Column { pad(c, w, right(i)) } else { centre(c, w) })
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

    /// sqlite3 3.40's display lines for the same text and width.
    #[test]
    fn display_lines_as_sqlite3() {
        let ww = |s: &str, w: usize| display_lines(s, w, true);
        assert_eq!(ww("the quick brown fox jumps", 10), ["the quick ", "brown fox ", "jumps"]);
        assert_eq!(ww("hello world", 11), ["hello ", "world"]);
        assert_eq!(ww("abcdefghijklmnop", 10), ["abcdefghij", "klmnop"]);
        assert_eq!(ww("x,y;z-w_v.u/t", 10), ["x,y;z-w_v.", "u/t"]);
        assert_eq!(ww("one  two   three", 10), ["one  two  ", "three"]);
        assert_eq!(display_lines("hello world", 11, false), ["hello world"]);
        assert_eq!(display_lines("a\ttab b", 10, false), ["a       ta", "b b"]);
        assert_eq!(display_lines("a\r\nb\u{1}c\n", 0, false), ["a", "b", "c"]);
        assert_eq!(display_lines("a\n\nb", 0, false), ["a", "", "b"]);
        assert_eq!(display_lines("", 5, true), [""]);
        // A tab where the line is full is dropped.
        assert_eq!(display_lines("abc\tdef", 3, false), ["abc", "def"]);
    }

    #[test]
    fn quote_option_shows_literals() {
        let rows = vec![vec![Value::Null, Value::Text("it's".into()), Value::Blob(vec![0, 0xab]), Value::Real(1e100)]];
        let f = Format { quote: true, null: "N".into(), ..fmt(Mode::Box, &[]) };
        assert_eq!(
            show(&f, &["a", "b", "c", "d"], &rows),
            "┌──────┬─────────┬─────────┬──────────┐\n│  a   │    b    │    c    │    d     │\n\
             ├──────┼─────────┼─────────┼──────────┤\n│ NULL │ 'it''s' │ x'00ab' │ 1.0e+100 │\n\
             └──────┴─────────┴─────────┴──────────┘\n"
        );
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
        assert_eq!(display_lines("日本語", 3, false), ["日", "本", "語"]);
        assert_eq!(display_lines("日本語", 1, false), ["日", "本", "語"]);
        assert_eq!(display_lines("日本語", 5, false), ["日本", "語"]);
        assert_eq!(cells("e\u{301}"), 1);
    }
}
