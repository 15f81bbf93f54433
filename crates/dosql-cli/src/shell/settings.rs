//! The dot commands that change how the shell prints and behaves, as
//! sqlite3 3.40 has them: `.mode`, `.headers`, `.separator`, `.nullvalue`,
//! `.width`, `.bail`, `.echo`, `.changes`, `.output`, `.once` and `.show`.
//!
//! `.mode` sets the separators the new mode uses as sqlite3 does (`list`
//! `|` and newline, `csv` `,` and CRLF, `tabs` a tab, `quote` `,` and
//! newline; the others keep them), and `.mode column` turns headers on
//! unless `.headers` was given. `.output FILE` / `.once FILE` send results,
//! `.print` and messages printed as output to FILE (`.once` for the next
//! command or statement only); without a FILE, back to standard output.
//! Left out: `.mode` options (`--wrap`, `--wordwrap`, `--quote`), the other
//! modes (`ascii`, `html`, `tcl`, `qbox`), and `.output`'s pipes, `-e`,
//! `-x` and `--bom`.

use super::render::{Format, Mode};
use super::{ExplainMode, Shell};
use std::io::Write;

/// A redirection of results to a file (`.output` / `.once`).
pub struct Redirect {
    /// The open file.
    pub file: std::io::BufWriter<std::fs::File>,
    /// Its name, for `.show`.
    pub name: String,
    /// For `.once`: how many more inputs (dot commands or SQL) end it; the
    /// `.once` command itself counts, so it starts at 2. 0 for `.output`.
    pub once_left: u8,
}

/// Ends a `.once` redirection once the input after it has run.
pub fn count_down_once<W: Write, E: Write>(sh: &mut Shell<W, E>) {
    let ended = match &mut sh.redirect {
        Some(r) if r.once_left > 0 => {
            r.once_left -= 1;
            r.once_left == 0
        }
        _ => false,
    };
    if ended {
        close_redirect(sh);
    }
}

/// Flushes and closes the redirection, if any.
fn close_redirect<W: Write, E: Write>(sh: &mut Shell<W, E>) {
    if let Some(mut r) = sh.redirect.take()
        && let Err(e) = r.file.flush()
    {
        sh.error(&format!("writing \"{}\": {e}", r.name));
    }
}

/// sqlite3's boolean words.
pub fn boolean(word: &str) -> Option<bool> {
    match word.to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Some(true),
        "off" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// The usage line of each command here, as sqlite3 prints it.
fn usage_of(cmd: &str) -> &'static str {
    match cmd {
        "separator" => ".separator COL ?ROW?",
        "nullvalue" => ".nullvalue STRING",
        "bail" => ".bail on|off",
        "echo" => ".echo on|off",
        "changes" => ".changes on|off",
        "headers" => ".headers on|off",
        "once" => ".once FILE",
        "output" => ".output ?FILE?",
        "show" => ".show",
        _ => ".mode MODE ?TABLE?",
    }
}

/// Runs the settings command `cmd` with `args`; `false` if `cmd` is not
/// one of them.
pub fn run<W: Write, E: Write>(sh: &mut Shell<W, E>, cmd: &str, args: &[&str]) -> bool {
    // sqlite3 reports a word it does not know and takes it as "no".
    let on_off = |sh: &mut Shell<W, E>, b: &str| -> bool {
        let v = boolean(b);
        if v.is_none() {
            sh.error(&format!("not a boolean value: \"{b}\". Assuming \"no\"."));
        }
        v.unwrap_or(false)
    };
    match (cmd, args) {
        ("mode", []) => {
            let m = sh.fmt.mode.name();
            sh.print(&format!("current output mode: {m}"));
        }
        ("mode", [m] | [m, _]) => set_mode(sh, m, args.get(1).copied()),
        ("headers", [b]) => {
            sh.fmt.headers = on_off(sh, b);
            sh.headers_set = true;
        }
        ("bail", [b]) => sh.bail = on_off(sh, b),
        ("echo", [b]) => sh.echo = on_off(sh, b),
        ("changes", [b]) => sh.changes = on_off(sh, b),
        ("separator", [col] | [col, _]) => {
            sh.fmt.col_sep = col.to_string();
            if let Some(row) = args.get(1) {
                sh.fmt.row_sep = row.to_string();
            }
        }
        ("nullvalue", [s]) => sh.fmt.null = s.to_string(),
        // As sqlite3's atoi: words that are not numbers are 0 (automatic).
        ("width", ws) => sh.fmt.widths = ws.iter().map(|w| leading_int(w)).collect(),
        ("output", [] | [_]) | ("once", [_]) => {
            close_redirect(sh);
            let Some(name) = args.first() else { return true };
            match std::fs::File::create(name) {
                Ok(f) => {
                    let once_left = if cmd == "once" { 2 } else { 0 };
                    sh.redirect =
                        Some(Redirect { file: std::io::BufWriter::new(f), name: name.to_string(), once_left });
                }
                Err(e) => sh.error(&format!("cannot open \"{name}\": {e}")),
            }
        }
        ("show", []) => show(sh),
        (
            "mode" | "headers" | "bail" | "echo" | "changes" | "separator" | "nullvalue" | "output" | "once" | "show",
            _,
        ) => sh.usage(usage_of(cmd)),
        _ => return false,
    }
    true
}

/// `.mode NAME [TABLE]`.
fn set_mode<W: Write, E: Write>(sh: &mut Shell<W, E>, name: &str, table: Option<&str>) {
    let f = &mut sh.fmt;
    let seps = |f: &mut Format, col: Option<&str>, row: Option<&str>| {
        if let Some(c) = col {
            f.col_sep = c.to_string();
        }
        if let Some(r) = row {
            f.row_sep = r.to_string();
        }
    };
    if name.eq_ignore_ascii_case("tabs") {
        f.mode = Mode::List;
        seps(f, Some("\t"), None);
        return;
    }
    let Some(mode) = Mode::from_name(name) else {
        return sh.error("mode should be one of: box column csv insert json line list markdown quote table tabs");
    };
    if table.is_some() && mode != Mode::Insert {
        return sh.usage(usage_of("mode"));
    }
    f.mode = mode;
    if mode.is_columnar() {
        f.wrap = super::columnar::WRAP;
    }
    match mode {
        Mode::List => seps(f, Some("|"), Some("\n")),
        Mode::Csv => seps(f, Some(","), Some("\r\n")),
        Mode::Quote => seps(f, Some(","), Some("\n")),
        Mode::Line => seps(f, None, Some("\n")),
        Mode::Column => {
            seps(f, None, Some("\n"));
            if !sh.headers_set {
                sh.fmt.headers = true;
            }
        }
        Mode::Insert => f.table = table.unwrap_or("table").to_string(),
        Mode::Table | Mode::Box | Mode::Markdown | Mode::Json => {}
    }
}

/// The integer `w` starts with (0 if none), as C's `atoi`.
fn leading_int(w: &str) -> i64 {
    let t = w.trim_start();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).take(9).collect();
    digits.parse::<i64>().map_or(0, |n| sign * n)
}

/// `s` as sqlite3's `.show` writes strings: in double quotes, with `\`,
/// `"`, tab, newline and carriage return escaped and other control
/// characters as octal escapes.
pub fn c_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `.show`: the settings, one a line, names right-aligned as sqlite3 does.
fn show<W: Write, E: Write>(sh: &mut Shell<W, E>) {
    let on = |b: bool| if b { "on" } else { "off" }.to_string();
    let mode = if sh.fmt.mode.is_columnar() {
        format!("{} --wrap {} --wordwrap off --noquote", sh.fmt.mode.name(), sh.fmt.wrap)
    } else {
        sh.fmt.mode.name().to_string()
    };
    let widths: String = sh.fmt.widths.iter().map(|w| format!("{w} ")).collect();
    let explain = if sh.explain == ExplainMode::Rows { "off" } else { "auto" };
    let output = sh.redirect.as_ref().map_or_else(|| "stdout".to_string(), |r| r.name.clone());
    let file = sh.db_name.as_ref().map_or_else(|| ":memory:".to_string(), |p| p.display().to_string());
    let lines = [
        ("echo", on(sh.echo)),
        ("eqp", "off".to_string()),
        ("explain", explain.to_string()),
        ("headers", on(sh.fmt.headers)),
        ("mode", mode),
        ("nullvalue", c_string(&sh.fmt.null)),
        ("output", output),
        ("colseparator", c_string(&sh.fmt.col_sep)),
        ("rowseparator", c_string(&sh.fmt.row_sep)),
        ("stats", "off".to_string()),
        ("width", widths),
        ("filename", file),
    ];
    for (name, value) in lines {
        sh.print(&format!("{name:>12}: {value}"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{feed, shell};
    use super::*;

    #[test]
    fn show_prints_settings_as_sqlite3() {
        let mut sh = shell();
        let (out, err) = feed(&mut sh, ".mode column\n.separator , ;\n.nullvalue NUL\n.width 3 -6\n.show\n");
        assert_eq!(err, "");
        assert_eq!(
            out,
            "        echo: off\n         eqp: off\n     explain: auto\n     headers: on\n\
             \x20       mode: column --wrap 60 --wordwrap off --noquote\n   nullvalue: \"NUL\"\n\
             \x20     output: stdout\ncolseparator: \",\"\nrowseparator: \";\"\n       stats: off\n\
             \x20      width: 3 -6 \n    filename: :memory:\n"
        );
    }

    #[test]
    fn modes_set_separators() {
        let mut sh = shell();
        let (_, err) = feed(&mut sh, ".mode csv\n.mode tabs\n");
        assert_eq!(err, "");
        assert_eq!((sh.fmt.mode, sh.fmt.col_sep.as_str(), sh.fmt.row_sep.as_str()), (Mode::List, "\t", "\r\n"));
        feed(&mut sh, ".mode quote\n.mode insert t2\n");
        assert_eq!((sh.fmt.mode, sh.fmt.col_sep.as_str(), sh.fmt.table.as_str()), (Mode::Insert, ",", "t2"));
        // An explicit .headers off survives .mode column.
        feed(&mut sh, ".headers off\n.mode column\n");
        assert!(!sh.fmt.headers);
        let (_, err) = feed(&mut sh, ".mode bogus\n.separator\n.bail maybe\n");
        assert_eq!(
            err,
            "Error: mode should be one of: box column csv insert json line list markdown quote table tabs\n\
             Usage: .separator COL ?ROW?\nError: not a boolean value: \"maybe\". Assuming \"no\".\n"
        );
        assert_eq!(c_string("a\"\\\t\n\r\u{1}"), "\"a\\\"\\\\\\t\\n\\r\\001\"");
        assert_eq!([leading_int("-12x"), leading_int("x"), leading_int("+7")], [-12, 0, 7]);
    }

    #[test]
    fn nullvalue_separator_and_widths_reach_the_output() {
        let mut sh = shell();
        let (out, _) = feed(&mut sh, ".nullvalue NUL\n.separator ; #\nselect 1, null;\n");
        assert_eq!(out, "1;NUL#");
        let (out, _) = feed(&mut sh, ".mode column\n.width -5\nselect 1 as a, 'x' as b;\n");
        assert_eq!(out, "    a  b\n-----  -\n    1  x\n");
    }

    #[test]
    fn echo_and_changes() {
        let mut sh = shell();
        let (out, _) = feed(
            &mut sh,
            ".echo on\ncreate table t(a,\n b);\n.changes on\ninsert into t values(1,2),(3,4); select 5;\n\
             update t set a=a+1;\n.changes off\n.echo off\nselect 6;\n",
        );
        assert_eq!(
            out,
            "create table t(a,\n b);\n.changes on\ninsert into t values(1,2),(3,4); select 5;\n5\n\
             changes: 2   total_changes: 2\nupdate t set a=a+1;\nchanges: 2   total_changes: 4\n\
             .changes off\n.echo off\n6\n"
        );
    }

    #[test]
    fn bail_stops_at_the_first_error() {
        let mut sh = shell();
        let (out, err) = feed(&mut sh, "select 1;\n.bail on\nselect * from nosuch;\nselect 2;\n");
        assert_eq!((out.as_str(), err.as_str()), ("1\n", "Parse error: no such table: nosuch\n"));
        assert!(sh.quit);
        let mut sh = shell();
        let (out, _) = feed(&mut sh, ".bail on\n.bogus\nselect 2;\n");
        assert_eq!(out, "");
    }

    #[test]
    fn output_and_once_redirect() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (o1, o2) = (dir.path().join("o1.txt"), dir.path().join("o2.txt"));
        let mut sh = shell();
        let script = format!(
            ".output {}\nselect 'to file';\n.print printed\n.output\nselect 'back';\n.once {}\nselect 'once';\nselect 'after';\n",
            o1.display(),
            o2.display()
        );
        let (out, err) = feed(&mut sh, &script);
        assert_eq!((out.as_str(), err.as_str()), ("back\nafter\n", ""));
        assert_eq!(std::fs::read_to_string(&o1).expect("o1"), "to file\nprinted\n");
        assert_eq!(std::fs::read_to_string(&o2).expect("o2"), "once\n");
        let (_, err) = feed(&mut sh, ".output /nonexistent/dir/x\n");
        assert!(err.starts_with("Error: cannot open \"/nonexistent/dir/x\""), "{err}");
    }
}
