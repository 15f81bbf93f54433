//! The dot commands that change how the shell prints and behaves, as
//! sqlite3 3.40 has them: `.mode`, `.headers`, `.separator`, `.nullvalue`,
//! `.width`, `.bail`, `.echo`, `.changes`, `.output`, `.once` and `.show`.
//!
//! `.mode` takes a mode name or any prefix sqlite3 takes for it (`c` is
//! `column`, `t` is `tcl`), case-sensitive, and the options `--wrap N`,
//! `--wordwrap on|off`, `--ww` and `--quote` / `--noquote` for the aligned
//! modes (`qbox` is `box --wrap 60 --quote`); without a name it prints the
//! current mode line and then sets that mode again, with the options
//! given (so `.mode` alone resets the wrapping options and the list
//! separators, as in sqlite3). Setting a mode sets the separators it uses
//! as sqlite3 does (`list` `|` and newline, `csv` `,` and CRLF, `tabs` a
//! tab, `quote` `,` and newline, `tcl` a space and newline, `ascii` 0x1F
//! and 0x1E; the others keep them), and `.mode column` turns headers on
//! unless `.headers` was given. `.output FILE` / `.once FILE` send results,
//! `.print` and messages printed as output to FILE (`.once` for the next
//! command or statement only); `|COMMAND` instead pipes them to `sh -c
//! COMMAND`, which is waited for when the output is reset; without a FILE
//! (or with `stdout`), back to standard output. Left out: `.output`'s
//! `-e`, `-x` and `--bom`.

use super::render::{Format, Mode};
use super::{ExplainMode, Shell};
use std::io::Write;

/// A redirection of results to a file or a command (`.output` / `.once`).
pub struct Redirect {
    /// Where the output goes.
    pub file: std::io::BufWriter<Target>,
    /// Its name (`|COMMAND` for a pipe), for `.show`.
    pub name: String,
    /// For `.once`: how many more inputs (dot commands or SQL) end it; the
    /// `.once` command itself counts, so it starts at 2. 0 for `.output`.
    pub once_left: u8,
    /// The command reading a pipe, waited for when the pipe closes.
    child: Option<std::process::Child>,
}

/// What a [`Redirect`] writes to.
pub enum Target {
    /// A file.
    File(std::fs::File),
    /// A command's standard input (`None` once closed). As with sqlite3's
    /// pipes, output the command no longer reads is dropped silently.
    Pipe(Option<std::process::ChildStdin>),
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Target::File(f) => f.write(buf),
            Target::Pipe(Some(p)) => match p.write(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(buf.len()),
                r => r,
            },
            Target::Pipe(None) => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Target::File(f) => f.flush(),
            Target::Pipe(Some(p)) => match p.flush() {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r,
            },
            Target::Pipe(None) => Ok(()),
        }
    }
}

impl Drop for Redirect {
    /// Closes a pipe and waits for its command, as sqlite3's `pclose`.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = self.file.flush();
            if let Target::Pipe(stdin) = self.file.get_mut() {
                stdin.take();
            }
            // Its exit status does not matter (sqlite3 ignores it too).
            let _ = child.wait();
        }
    }
}

/// Opens `name` for `.output` / `.once`: a file, or `|COMMAND` run by
/// `sh -c` with its standard input piped from us.
fn open_redirect(name: &str, once_left: u8) -> std::io::Result<Redirect> {
    let (target, child) = match name.strip_prefix('|') {
        Some(command) => {
            let mut child =
                std::process::Command::new("sh").arg("-c").arg(command).stdin(std::process::Stdio::piped()).spawn()?;
            (Target::Pipe(child.stdin.take()), Some(child))
        }
        None => (Target::File(std::fs::File::create(name)?), None),
    };
    Ok(Redirect { file: std::io::BufWriter::new(target), name: name.to_string(), once_left, child })
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

/// Flushes and closes the redirection, if any (waiting for a pipe's
/// command to finish).
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
    let on_off = |sh: &mut Shell<W, E>, b: &str| boolean_or_no(sh, b);
    match (cmd, args) {
        ("mode", _) => mode_command(sh, args),
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
            let Some(name) = args.first().filter(|n| **n != "stdout") else { return true };
            // Our own output so far comes before the command's.
            sh.flush();
            match open_redirect(name, if cmd == "once" { 2 } else { 0 }) {
                Ok(r) => sh.redirect = Some(r),
                Err(_) => sh.error(&format!("cannot open \"{name}\"")),
            }
        }
        ("show", []) => show(sh),
        ("headers" | "bail" | "echo" | "changes" | "separator" | "nullvalue" | "output" | "once" | "show", _) => {
            sh.usage(usage_of(cmd))
        }
        _ => return false,
    }
    true
}

/// sqlite3's boolean words, or (with its warning, which is not counted as
/// an error) "no" for any other word.
fn boolean_or_no<W: Write, E: Write>(sh: &mut Shell<W, E>, word: &str) -> bool {
    boolean(word).unwrap_or_else(|| {
        sh.note(&format!("ERROR: Not a boolean value: \"{word}\". Assuming \"no\"."));
        false
    })
}

/// The `.mode` names in the order sqlite3 3.40 tries them: a name given
/// stands for the first it is a prefix of (`qbox` only whole).
const MODE_NAMES: [&str; 16] = [
    "lines", "list", "columns", "html", "tcl", "tabs", "table", "csv", "ascii", "markdown", "box", "count", "off",
    "quote", "json", "insert",
];

/// The options of the aligned modes (`--wrap`, `--wordwrap`, `--quote`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ColumnOptions {
    wrap: i64,
    word_wrap: bool,
    quote: bool,
}

/// What a `.mode` without options gives the aligned modes.
const DEFAULT_OPTIONS: ColumnOptions = ColumnOptions { wrap: super::columnar::WRAP, word_wrap: false, quote: false };

/// Whether `arg` is the option `name` written with one dash or two.
fn is_option(arg: &str, name: &str) -> bool {
    let Some(rest) = arg.strip_prefix('-') else { return false };
    rest.strip_prefix('-').unwrap_or(rest) == name
}

/// The mode line `.mode` prints: the name, and the aligned modes' options.
fn mode_line(f: &Format) -> String {
    if f.mode.is_columnar() {
        let ww = if f.word_wrap { "on" } else { "off" };
        let quote = if f.quote { "" } else { "no" };
        format!("{} --wrap {} --wordwrap {ww} --{quote}quote", f.mode.name(), f.wrap)
    } else {
        f.mode.name().to_string()
    }
}

/// `.mode ?MODE? ?OPTIONS? ?TABLE?`, argument by argument as sqlite3 3.40
/// reads them.
fn mode_command<W: Write, E: Write>(sh: &mut Shell<W, E>, args: &[&str]) {
    let mut opts = DEFAULT_OPTIONS;
    let (mut name, mut table): (Option<&str>, Option<&str>) = (None, None);
    let mut i = 0;
    while let Some(&arg) = args.get(i) {
        let value = args.get(i + 1).copied();
        match value {
            Some(v) if is_option(arg, "wrap") => {
                opts.wrap = leading_int(v);
                i += 1;
            }
            Some(v) if is_option(arg, "wordwrap") => {
                opts.word_wrap = boolean_or_no(sh, v);
                i += 1;
            }
            _ if is_option(arg, "ww") => opts.word_wrap = true,
            _ if is_option(arg, "quote") => opts.quote = true,
            _ if is_option(arg, "noquote") => opts.quote = false,
            _ if name.is_none() => {
                name = Some(arg);
                // qbox is box with its own defaults, which options given
                // before it lose.
                if arg == "qbox" {
                    name = Some("box");
                    opts = ColumnOptions { quote: true, ..DEFAULT_OPTIONS };
                }
            }
            _ if table.is_none() => table = Some(arg),
            _ if arg.starts_with('-') => {
                return sh.fail(&format!(
                    "unknown option: {arg}\noptions:\n  --noquote\n  --quote\n  --wordwrap on/off\n  --wrap N\n  --ww"
                ));
            }
            _ => return sh.fail(&format!("extra argument: \"{arg}\"")),
        }
        i += 1;
    }
    let name = match name {
        Some(n) => n,
        None => {
            let line = mode_line(&sh.fmt);
            sh.print(&format!("current output mode: {line}"));
            sh.fmt.mode.name()
        }
    };
    let Some(&full) = MODE_NAMES.iter().find(|m| m.starts_with(name)) else {
        return sh.error(
            "mode should be one of: ascii box column csv html insert json line list markdown qbox quote table tabs tcl",
        );
    };
    let f = &mut sh.fmt;
    let seps = |f: &mut Format, col: Option<&str>, row: Option<&str>| {
        if let Some(c) = col {
            f.col_sep = c.to_string();
        }
        if let Some(r) = row {
            f.row_sep = r.to_string();
        }
    };
    f.mode = match full {
        "lines" => Mode::Line,
        "columns" => Mode::Column,
        "tabs" => Mode::List,
        other => Mode::from_name(other).unwrap_or(Mode::List),
    };
    match full {
        "list" => seps(f, Some("|"), Some("\n")),
        "tabs" => seps(f, Some("\t"), None),
        "csv" => seps(f, Some(","), Some("\r\n")),
        "quote" => seps(f, Some(","), Some("\n")),
        "tcl" => seps(f, Some(" "), Some("\n")),
        "ascii" => seps(f, Some("\u{1f}"), Some("\u{1e}")),
        "lines" | "columns" => seps(f, None, Some("\n")),
        "insert" => f.table = table.unwrap_or("table").to_string(),
        _ => {}
    }
    if f.mode.is_columnar() {
        (f.wrap, f.word_wrap, f.quote) = (opts.wrap, opts.word_wrap, opts.quote);
    }
    if f.mode == Mode::Column && !sh.headers_set {
        sh.fmt.headers = true;
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

/// `s` as sqlite3's `.show` writes strings (see [`super::render::c_string`]).
pub fn c_string(s: &str) -> String {
    super::render::c_string(s.as_bytes())
}

/// `.show`: the settings, one a line, names right-aligned as sqlite3 does.
fn show<W: Write, E: Write>(sh: &mut Shell<W, E>) {
    let on = |b: bool| if b { "on" } else { "off" }.to_string();
    let mode = mode_line(&sh.fmt);
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
            "Error: mode should be one of: ascii box column csv html insert json line list markdown qbox quote table tabs tcl\n\
             Usage: .separator COL ?ROW?\nERROR: Not a boolean value: \"maybe\". Assuming \"no\".\n"
        );
        assert_eq!(c_string("a\"\\\t\n\r\u{1}"), "\"a\\\"\\\\\\t\\n\\r\\001\"");
        assert_eq!([leading_int("-12x"), leading_int("x"), leading_int("+7")], [-12, 0, 7]);
    }

    /// `.mode` options, the current mode line, `.show` and pipes, with
    /// sqlite3 3.40's output for the same commands.
    #[test]
    fn mode_options_and_show() {
        let mut sh = shell();
        let (out, err) = feed(&mut sh, ".mode box --wrap 9 --ww --quote\n.mode\n.mode qbox -wrap 7\n.show\n");
        assert_eq!(err, "");
        assert!(out.starts_with("current output mode: box --wrap 9 --wordwrap on --quote\n"), "{out}");
        assert!(out.contains("        mode: box --wrap 7 --wordwrap off --quote\n"), "{out}");
        let (out, _) = feed(&mut sh, ".separator ; #\n.mode\nselect 1, 2;\n.mode tabs\n.mode\nselect 1, 2;\n");
        // `.mode` sets the current mode again: list's separators come back.
        assert_eq!(
            out,
            "current output mode: box --wrap 7 --wordwrap off --quote\n\
            ┌───┬───┐\n│ 1 │ 2 │\n├───┼───┤\n│ 1 │ 2 │\n└───┴───┘\ncurrent output mode: list\n1|2\n"
        );
        let (_, err) = feed(&mut sh, ".mode box a b\n.mode box --x --y\n");
        assert!(err.starts_with("extra argument: \"b\"\nunknown option: --y\noptions:\n"), "{err}");
        let mut sh = shell();
        let (out, _) = feed(&mut sh, ".nullvalue é\n.mode tcl\n.show\n");
        assert!(out.contains("        mode: tcl\n   nullvalue: \"\\303\\251\"\n"), "{out}");
        assert!(out.contains("colseparator: \" \"\n"), "{out}");
    }

    #[test]
    fn output_to_a_command() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("piped.txt");
        let mut sh = shell();
        let script =
            format!(".output '|tr a-z A-Z > {}'\nselect 'abc';\n.show\n.output stdout\nselect 'x';\n", file.display());
        let (out, err) = feed(&mut sh, &script);
        assert_eq!((out.as_str(), err.as_str()), ("x\n", ""));
        let piped = std::fs::read_to_string(&file).expect("piped");
        assert!(piped.starts_with("ABC\n"), "{piped}");
        assert!(
            piped.contains(&format!("      OUTPUT: |TR A-Z A-Z > {}\n", file.display().to_string().to_uppercase()))
        );
        // A command that reads nothing loses the output quietly.
        let (out, err) = feed(&mut sh, ".once '|true'\nselect 1;\nselect 2;\n");
        assert_eq!((out.as_str(), err.as_str()), ("2\n", ""));
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
        assert_eq!(err, "Error: cannot open \"/nonexistent/dir/x\"\n");
    }
}
