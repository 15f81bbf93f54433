//! `dosql shell`'s command line, as sqlite3's: `[OPTIONS] [FILE] [SQL...]`,
//! and running the shell on it.
//!
//! The options are sqlite3's: `-cmd COMMAND` (run before the input;
//! repeatable), `-bail`, `-echo`, `-header` / `-noheader`, `-separator SEP`,
//! `-nullvalue TEXT`, `-readonly` (changes fail with `attempt to write a
//! readonly database`, see [`dosql_sql::Connection::set_read_only`]; a
//! file that does not exist is not created) and the modes `-ascii -box
//! -column -csv -html -json -line -list -markdown -quote -table -tabs`. sqlite3 writes them with one dash; so
//! may we ([`single_dash_long_options`] turns them into clap's `--csv`
//! before parsing). Settings apply in command-line order, so `-separator ;
//! -csv` ends with `,` as in sqlite3. SQL arguments after the file are run
//! in turn instead of reading stdin; the first that fails ends the run
//! with its result code as exit status (sqlite3's `Error: in prepare, ...`
//! / `Error: stepping, ...` messages). A file named `:memory:` is an
//! in-memory database. Ctrl-C goes to an [`Interrupter`], which stops the
//! running statement (see the [`super`] module). Left out: `-batch`,
//! `-interactive`, `-init`, `-newline`, `-vfs`. Unlike sqlite3's read-only
//! open, `-readonly` refuses changes to TEMP tables too.

use super::render::Mode;
use super::{Shell, open, open_error, settings};
use anyhow::Result;
use clap::ArgMatches;
use dosql_sql::{Connection, InterruptHandle};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The mode options, each named as its `.mode`.
const MODES: [&str; 12] =
    ["ascii", "box", "column", "csv", "html", "json", "line", "list", "markdown", "quote", "table", "tabs"];

/// The shell's long options (sqlite3 writes them with one dash) and
/// whether each takes a value.
const LONG_OPTIONS: [(&str, bool); 9] = [
    ("readonly", false),
    ("cmd", true),
    ("separator", true),
    ("nullvalue", true),
    ("bail", false),
    ("echo", false),
    ("header", false),
    ("noheader", false),
    ("help", false),
];

/// Stops the shell's running statement on Ctrl-C, and counts the presses:
/// shared between the shell and a signal handler thread.
#[derive(Clone)]
pub struct Interrupter {
    /// The handle of the shell's current connection.
    handle: Arc<Mutex<InterruptHandle>>,
    /// Ctrl-C presses since the shell last read a typed line.
    presses: Arc<AtomicUsize>,
}

impl Interrupter {
    /// Watches `conn`.
    pub(super) fn new(conn: &Connection) -> Interrupter {
        Interrupter { handle: Arc::new(Mutex::new(conn.interrupt_handle())), presses: Arc::default() }
    }

    /// Makes Ctrl-C stop `conn`'s statements from now on.
    pub(super) fn watch(&self, conn: &Connection) {
        if let Ok(mut h) = self.handle.lock() {
            *h = conn.interrupt_handle();
        }
    }

    /// Handles a Ctrl-C: interrupts the running statement. Returns `true`
    /// on the third press before the shell reads another typed line: then,
    /// as sqlite3, the process should exit (the statement is not stopping).
    pub fn ctrl_c(&self) -> bool {
        if let Ok(h) = self.handle.lock() {
            h.interrupt();
        }
        self.presses.fetch_add(1, Ordering::Relaxed) + 1 > 2
    }

    /// Ctrl-C presses not yet dealt with.
    pub(super) fn pressed(&self) -> usize {
        self.presses.load(Ordering::Relaxed)
    }

    /// Forgets the presses (the shell is reading a typed line again).
    pub(super) fn reset(&self) {
        self.presses.store(0, Ordering::Relaxed);
    }
}

/// `dosql shell`'s arguments.
#[derive(clap::Args, Debug, Default)]
pub struct ShellArgs {
    /// The database file; an in-memory database without one (or with `:memory:`).
    pub path: Option<PathBuf>,
    /// SQL statements or dot commands to run instead of reading stdin.
    pub sql: Vec<String>,
    /// Run COMMAND (SQL or a dot command) before reading input.
    #[arg(long, value_name = "COMMAND", allow_hyphen_values = true)]
    pub cmd: Vec<String>,
    /// Stop after the first error.
    #[arg(long)]
    pub bail: bool,
    /// Print each input before running it.
    #[arg(long)]
    pub echo: bool,
    /// Show column names.
    #[arg(long)]
    pub header: bool,
    /// Do not show column names.
    #[arg(long)]
    pub noheader: bool,
    /// Column separator for list and csv modes.
    #[arg(long, value_name = "SEP", allow_hyphen_values = true)]
    pub separator: Vec<String>,
    /// Text for NULL values.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub nullvalue: Vec<String>,
    /// Open the database read-only.
    #[arg(long)]
    pub readonly: bool,
    /// ASCII mode (unit and record separators).
    #[arg(long)]
    pub ascii: bool,
    /// HTML mode.
    #[arg(long)]
    pub html: bool,
    /// Box mode.
    #[arg(long = "box")]
    pub box_mode: bool,
    /// Column mode.
    #[arg(long)]
    pub column: bool,
    /// CSV mode.
    #[arg(long)]
    pub csv: bool,
    /// JSON mode.
    #[arg(long)]
    pub json: bool,
    /// Line mode.
    #[arg(long)]
    pub line: bool,
    /// List mode.
    #[arg(long)]
    pub list: bool,
    /// Markdown mode.
    #[arg(long)]
    pub markdown: bool,
    /// Quote mode.
    #[arg(long)]
    pub quote: bool,
    /// Table mode.
    #[arg(long)]
    pub table: bool,
    /// Tabs mode (list mode with a tab separator).
    #[arg(long)]
    pub tabs: bool,
}

/// A setting given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// A mode option (`-csv`): the `.mode` name.
    Mode(&'static str),
    /// `-separator SEP`.
    Separator(String),
    /// `-nullvalue TEXT`.
    NullValue(String),
    /// `-header` (true) or `-noheader`.
    Headers(bool),
}

/// Makes a [`Setting`] from an option's value.
type MakeSetting = fn(String) -> Setting;

impl ShellArgs {
    /// The settings in `m` (the shell subcommand's matches) in the order
    /// they were given.
    pub fn order(m: &ArgMatches) -> Vec<Setting> {
        let mut found: Vec<(usize, Setting)> = Vec::new();
        for mode in MODES {
            let id = if mode == "box" { "box_mode" } else { mode };
            if m.get_flag(id) {
                found.extend(m.indices_of(id).into_iter().flatten().map(|i| (i, Setting::Mode(mode))));
            }
        }
        for (id, on) in [("header", true), ("noheader", false)] {
            if m.get_flag(id) {
                found.extend(m.indices_of(id).into_iter().flatten().map(|i| (i, Setting::Headers(on))));
            }
        }
        let valued: [(&str, MakeSetting); 2] = [("separator", Setting::Separator), ("nullvalue", Setting::NullValue)];
        for (id, make) in valued {
            let values = m.get_many::<String>(id).into_iter().flatten().cloned();
            let at = m.indices_of(id).into_iter().flatten();
            found.extend(at.zip(values).map(|(i, v)| (i, make(v))));
        }
        found.sort_by_key(|(i, _)| *i);
        found.into_iter().map(|(_, s)| s).collect()
    }
}

/// `args` (the whole command line) with the shell's options written with
/// one dash (`-csv`, as sqlite3 takes them) given two, for clap. Only the
/// arguments after the `shell` subcommand change, and not option values.
pub fn single_dash_long_options(args: Vec<OsString>) -> Vec<OsString> {
    let Some(at) = args.iter().skip(1).position(|a| !a.to_string_lossy().starts_with('-')) else { return args };
    if args.get(at + 1).is_none_or(|a| a != "shell") {
        return args;
    }
    let mut out = Vec::with_capacity(args.len());
    let mut value_next = false;
    for (i, a) in args.into_iter().enumerate() {
        let text = a.to_string_lossy().into_owned();
        if i <= at + 1 || value_next || text == "--" {
            value_next = false;
            out.push(a);
            continue;
        }
        let name = text.strip_prefix('-').filter(|n| !n.starts_with('-')).unwrap_or("");
        let known = LONG_OPTIONS.iter().find(|(o, _)| *o == name).copied().or_else(|| {
            // `-box` is clap's `--box` too.
            MODES.contains(&name).then_some((name, false))
        });
        match known {
            Some((_, takes_value)) => {
                value_next = takes_value;
                out.push(OsString::from(format!("-{text}")));
            }
            None => {
                value_next = LONG_OPTIONS.iter().any(|(o, v)| *v && text.strip_prefix("--") == Some(o));
                out.push(a);
            }
        }
    }
    out
}

/// `dosql shell [OPTIONS] [FILE] [SQL...]` with `settings` (from
/// [`ShellArgs::order`]): returns the exit status.
pub fn run(args: ShellArgs, settings: &[Setting]) -> Result<i32> {
    let path = args.path.filter(|p| p != Path::new(":memory:"));
    let conn = match open(path.as_deref(), args.readonly) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {}", open_error(path.as_deref(), e));
            return Ok(1);
        }
    };
    let interactive = args.sql.is_empty() && std::io::stdin().is_terminal();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut shell = Shell::new(conn, path, std::io::BufWriter::new(stdout.lock()), stderr.lock(), !interactive);
    shell.set_progress(std::io::stderr().is_terminal());
    shell.bail = args.bail;
    shell.echo = args.echo;
    for s in settings {
        apply(&mut shell, s);
    }
    if !interactive {
        catch_ctrl_c(&shell);
    }
    for c in &args.cmd {
        if let Err(code) = shell.run_argument(c)
            && shell.bail
        {
            return Ok(code);
        }
    }
    if !args.sql.is_empty() {
        for s in &args.sql {
            if let Err(code) = shell.run_argument(s) {
                return Ok(code);
            }
        }
        return Ok(0);
    }
    if !interactive {
        shell.run_script(std::io::stdin().lock());
        return Ok(if shell.errors() > 0 { 1 } else { 0 });
    }
    interactive_loop(&mut shell)?;
    Ok(if shell.bail && shell.errors() > 0 { 1 } else { 0 })
}

/// Makes Ctrl-C (SIGINT) interrupt the shell's running statement instead
/// of ending the process (the third press before the next prompt still
/// ends it, as in sqlite3). Interactive shells call this after creating
/// the line editor, whose own SIGINT handler it must replace.
fn catch_ctrl_c<W: Write, E: Write>(shell: &Shell<W, E>) {
    let interrupter = shell.interrupter();
    // If it cannot be installed, Ctrl-C ends the process as by default.
    let _ = ctrlc::set_handler(move || {
        if interrupter.ctrl_c() {
            std::process::exit(1);
        }
    });
}

/// Applies one command-line setting, as the dot command would.
fn apply<W: Write, E: Write>(sh: &mut Shell<W, E>, s: &Setting) {
    match s {
        // Unlike `.mode`, sqlite3's mode options change no separators but
        // csv's, quote's and tabs' column separator (and quote's row
        // separator), never turn headers on, and wrap no columns.
        Setting::Mode(m) => {
            let f = &mut sh.fmt;
            match *m {
                "tabs" => {
                    f.mode = Mode::List;
                    f.col_sep = "\t".to_string();
                }
                name => {
                    f.mode = Mode::from_name(name).unwrap_or(Mode::List);
                    match f.mode {
                        Mode::Csv => f.col_sep = ",".to_string(),
                        Mode::Ascii => {
                            f.col_sep = "\u{1f}".to_string();
                            f.row_sep = "\u{1e}".to_string();
                        }
                        Mode::Quote => {
                            f.col_sep = ",".to_string();
                            f.row_sep = "\n".to_string();
                        }
                        _ => {}
                    }
                }
            }
            f.wrap = 0;
        }
        Setting::Separator(sep) => sh.fmt.col_sep = sep.clone(),
        Setting::NullValue(n) => sh.fmt.null = n.clone(),
        Setting::Headers(on) => {
            sh.fmt.headers = *on;
            sh.headers_set = true;
        }
    }
}

impl<W: Write, E: Write> Shell<W, E> {
    /// Runs `text` (SQL or a dot command) given on the command line; on
    /// an error (reported in sqlite3's command-line style), the exit status
    /// sqlite3 would give.
    pub fn run_argument(&mut self, text: &str) -> Result<(), i32> {
        let before = self.errors;
        self.arg_style = true;
        self.last_code = 1;
        if text.trim_start().starts_with('.') {
            super::dot::run(self, text.trim_start());
            settings::count_down_once(self);
        } else {
            self.run_sql(text);
        }
        self.arg_style = false;
        self.flush();
        if self.errors > before { Err(self.last_code) } else { Ok(()) }
    }
}

/// Reads lines with `rustyline` until end of input or `.quit`.
fn interactive_loop<W: Write, E: Write>(shell: &mut Shell<W, E>) -> Result<()> {
    use rustyline::error::ReadlineError;
    shell.print(&format!("DoSQL version {}", env!("CARGO_PKG_VERSION")));
    shell.print("Enter \".help\" for usage hints.");
    if shell.db_name.is_none() {
        shell.print("Connected to a transient in-memory database.");
        shell.print("Use \".open FILENAME\" to reopen on a persistent database.");
    }
    shell.flush();
    let mut editor = rustyline::DefaultEditor::new()?;
    // rustyline's editor catches SIGINT for its whole life (at its prompt
    // Ctrl-C is a key, not a signal): ours replaces it.
    catch_ctrl_c(shell);
    let history = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".dosql_history"));
    if let Some(h) = &history {
        // No history yet is normal.
        let _ = editor.load_history(h);
    }
    loop {
        // A Ctrl-C that stopped the last statement is dealt with.
        shell.interrupt.reset();
        match editor.readline(shell.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                if !shell.feed_line(&line) {
                    break;
                }
            }
            // Ctrl-C abandons the statement being typed, as in sqlite3.
            Err(ReadlineError::Interrupted) => shell.clear_pending(),
            Err(ReadlineError::Eof) => {
                shell.finish();
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(h) = &history {
        // A history that cannot be saved must not fail the session.
        let _ = editor.save_history(h);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_dash_options_become_two() {
        let v = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            single_dash_long_options(v(&[
                "dosql",
                "shell",
                "-csv",
                "-separator",
                "-csv",
                "db",
                "-x",
                "--cmd",
                "-bail"
            ])),
            v(&["dosql", "shell", "--csv", "--separator", "-csv", "db", "-x", "--cmd", "-bail"])
        );
        assert_eq!(single_dash_long_options(v(&["dosql", "exec", "-csv"])), v(&["dosql", "exec", "-csv"]));
    }
}
