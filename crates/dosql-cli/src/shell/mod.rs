//! `dosql shell`: an interactive SQL shell modelled on sqlite3's.
//!
//! [`Shell`] is the terminal-free core: it takes input a line at a time
//! ([`Shell::feed_line`]), gathers lines until they end a statement (see
//! [`complete`]), runs the SQL on a [`Connection`] and prints results in the
//! current output mode ([`render`]) to its output writer and errors to its
//! error writer. Lines starting with `.` (with no SQL pending) are dot
//! commands ([`dot`]).
//!
//! Errors print as sqlite3 3.40 prints them: `Parse error: MSG` for
//! statements that fail to prepare (syntax, unknown names), `Runtime error:
//! MSG` for failures while running (constraint failures get sqlite3's ` (19)`
//! code), `Error: MSG` for dot commands; when input does not come from a
//! terminal (or comes from `.read`), ` near line N` follows the kind. The
//! shell keeps going after an error (unless `.bail on`); without a terminal the exit
//! status is 1 if any error happened (sqlite3 without `-bail` does the
//! same). Errors found while preparing a statement are parse errors, and
//! so are schema errors of DDL (which the engine finds when it runs it,
//! SQLite when preparing); a few errors SQLite finds only while stepping
//! (e.g. `cannot start a transaction within a transaction`) therefore
//! print as parse errors. As sqlite3 does, syntax errors, unrecognized
//! tokens and unknown columns show the statement with `^--- error here`
//! under the token (placed as [`errors`] says).
//!
//! `.bail on` stops at the first error (exit status 1); `.echo`,
//! `.changes`, `.output` / `.once` and the formatting settings are in
//! [`settings`].
//!
//! Command-line options and SQL arguments are in [`options`], which also
//! runs the shell ([`options::run`]): with a terminal on stdin through
//! `rustyline`, otherwise straight from stdin with no prompts.
//!
//! Ctrl-C while a statement runs interrupts it (through the connection's
//! [`dosql_sql::InterruptHandle`]): it fails with `Runtime error: interrupted (9)`;
//! typed input goes on at the next prompt, piped input and `.read` files
//! stop there (exit status 1), as in sqlite3; a third Ctrl-C before the
//! next prompt ends the process. At the prompt Ctrl-C drops the line and
//! Ctrl-D ends the shell. The engine checks for an interrupt at each row
//! it reads or changes, so work on rows already read (a recursive CTE over
//! no table, a join's product built in memory) runs on until it does.
//!
//! Not supported: sqlite3's other dot commands (`.eqp`, `.backup`, ...)
//! and the `/` and `go` statement terminators.

pub mod columnar;
pub mod complete;
pub mod dot;
pub mod dump;
pub mod errors;
pub mod import;
pub mod options;
pub mod render;
pub mod schema;
pub mod settings;

use anyhow::Result;
use dosql_sql::ast::Statement;
use dosql_sql::{Connection, Error};
use options::Interrupter;
use render::{Format, Mode};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The prompt for a new statement.
pub const PROMPT: &str = "dosql> ";
/// The prompt for a statement's further lines.
pub const CONTINUE_PROMPT: &str = "   ...> ";

/// How `EXPLAIN QUERY PLAN` results print (`.explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainMode {
    /// As a tree (`on` and sqlite3's default `auto`).
    Tree,
    /// As ordinary rows in the current mode (`off`).
    Rows,
}

/// Where the lines being fed come from, for error messages.
struct Source {
    /// Whether they come from a file or a pipe (errors then name the line).
    numbered: bool,
    /// The number of the last line fed.
    line: usize,
    /// SQL gathered so far for a statement not yet complete.
    pending: String,
    /// The line `pending` started on.
    pending_line: usize,
}

/// The shell's state: a connection, settings, and input gathered so far.
/// Output goes to `W`, messages and errors to `E`.
pub struct Shell<W: Write, E: Write> {
    conn: Connection,
    /// What Ctrl-C stops: the connection's running statement.
    interrupt: Interrupter,
    /// What the banner and `.open` call the database.
    db_name: Option<PathBuf>,
    out: W,
    err: E,
    /// The output mode and what it uses (`.mode`, `.headers`, ...).
    fmt: Format,
    /// Whether `.headers` was given (then `.mode column` leaves it alone).
    headers_set: bool,
    /// `.bail`: stop at the first error.
    bail: bool,
    /// `.echo`: print each command and statement before running it.
    echo: bool,
    /// `.changes`: print the change counts after each statement.
    changes: bool,
    /// `.output FILE` / `.once FILE`: where results go instead of `out`.
    redirect: Option<settings::Redirect>,
    timer: bool,
    explain: ExplainMode,
    /// Whether `.import` may draw a progress bar on stderr.
    progress: bool,
    source: Source,
    /// Nesting of `.read`.
    read_depth: usize,
    errors: usize,
    /// The result code of the last SQL error (sqlite3's exit status for
    /// SQL given on the command line): 1, or 19 for constraints, ...
    last_code: i32,
    /// Whether errors print as for SQL given on the command line
    /// (`Error: in prepare, ...` / `Error: stepping, ...`).
    arg_style: bool,
    quit: bool,
}

impl<W: Write, E: Write> Shell<W, E> {
    /// A shell on `conn` (opened from `db_name`, `None` for in-memory)
    /// writing results to `out` and errors to `err`. `numbered` makes error
    /// messages name the input line, as for piped input.
    pub fn new(conn: Connection, db_name: Option<PathBuf>, out: W, err: E, numbered: bool) -> Self {
        Shell {
            interrupt: Interrupter::new(&conn),
            conn,
            db_name,
            out,
            err,
            fmt: Format::new(Mode::List),
            headers_set: false,
            bail: false,
            echo: false,
            changes: false,
            redirect: None,
            timer: false,
            explain: ExplainMode::Tree,
            progress: false,
            source: Source { numbered, line: 0, pending: String::new(), pending_line: 0 },
            read_depth: 0,
            errors: 0,
            last_code: 0,
            arg_style: false,
            quit: false,
        }
    }

    /// Switches to another connection (`.open`): Ctrl-C now stops its
    /// statements.
    fn replace_connection(&mut self, conn: Connection) {
        self.interrupt.watch(&conn);
        self.conn = conn;
    }

    /// What a Ctrl-C handler calls (see [`Interrupter::ctrl_c`]).
    pub fn interrupter(&self) -> Interrupter {
        self.interrupt.clone()
    }

    /// Lets `.import` show a progress bar on stderr (only sensible when
    /// stderr is a terminal).
    pub fn set_progress(&mut self, on: bool) {
        self.progress = on;
    }

    /// The prompt to show before reading the next line.
    pub fn prompt(&self) -> &'static str {
        if self.source.pending.is_empty() { PROMPT } else { CONTINUE_PROMPT }
    }

    /// How many errors have been reported.
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// Drops any partly entered statement (Ctrl-C at the prompt).
    pub fn clear_pending(&mut self) {
        self.source.pending.clear();
    }

    /// Takes one line of input (without its newline): a dot command, or
    /// SQL run once it completes a statement. Returns `false` once the shell
    /// should stop (`.quit`).
    pub fn feed_line(&mut self, line: &str) -> bool {
        self.source.line += 1;
        if self.source.pending.is_empty() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('.') {
                if self.echo {
                    self.print(line);
                }
                let before = self.errors;
                dot::run(self, trimmed);
                self.after_input(before);
                return !self.quit;
            }
            if trimmed.is_empty() {
                return !self.quit;
            }
            self.source.pending_line = self.source.line;
        }
        self.source.pending.push_str(line);
        self.source.pending.push('\n');
        if complete::is_complete(&self.source.pending) {
            let sql = std::mem::take(&mut self.source.pending);
            self.run_input(&sql);
        }
        !self.quit
    }

    /// Runs a complete piece of SQL input: echoes it (`.echo`), runs it,
    /// then does what follows every input (see [`Shell::after_input`]).
    fn run_input(&mut self, sql: &str) {
        if self.echo {
            self.print(sql.strip_suffix('\n').unwrap_or(sql));
        }
        let before = self.errors;
        self.run_sql(sql);
        self.after_input(before);
    }

    /// After a dot command or a piece of SQL: ends a `.once` redirection
    /// that has served its command, stops on an error under `.bail`, and
    /// flushes the output.
    fn after_input(&mut self, errors_before: usize) {
        settings::count_down_once(self);
        if self.bail && self.errors > errors_before {
            self.quit = true;
        }
        self.flush();
    }

    /// Runs what is left of an unfinished statement at the end of input,
    /// as sqlite3 does (unless it is only comments).
    pub fn finish(&mut self) {
        let sql = std::mem::take(&mut self.source.pending);
        if has_sql(&sql) {
            self.run_input(&sql);
        }
        self.flush();
    }

    /// Feeds every line of `input`, then [`Shell::finish`]es. Stops early
    /// at `.quit`. Read errors are reported and end the input.
    pub fn run_script(&mut self, input: impl BufRead) {
        for line in input.lines() {
            match line {
                Ok(line) => {
                    if !self.feed_line(line.strip_suffix('\r').unwrap_or(&line)) {
                        return;
                    }
                    // As sqlite3: Ctrl-C ends input that is not typed.
                    if self.interrupt.pressed() > 0 {
                        return;
                    }
                }
                Err(e) => {
                    self.error(&format!("reading input: {e}"));
                    break;
                }
            }
        }
        self.finish();
    }

    /// Runs a file's lines as if typed (`.read`): errors name its lines.
    fn read_file(&mut self, path: &Path) {
        if self.read_depth >= 16 {
            self.error("too many levels of .read");
            return;
        }
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.error(&format!("cannot open \"{}\": {e}", path.display()));
                return;
            }
        };
        let saved = std::mem::replace(
            &mut self.source,
            Source { numbered: true, line: 0, pending: String::new(), pending_line: 0 },
        );
        self.read_depth += 1;
        self.run_script(std::io::BufReader::new(file));
        self.read_depth -= 1;
        self.source = saved;
    }

    /// Runs a complete piece of SQL (one or more statements), printing each
    /// statement's result; stops at the first error.
    fn run_sql(&mut self, sql: &str) {
        let start = self.timer.then(|| (Instant::now(), cpu_times()));
        // sqlite3 shows an error's statement without the final newline.
        let sql = sql.strip_suffix('\n').unwrap_or(sql);
        let (statements, parse_error) = dosql_sql::parse::parse_sql_prefix(sql);
        let mut failed = false;
        // Where the text after the previous statement starts.
        let mut cursor = 0;
        for s in statements {
            let rest = statement_start(sql.get(cursor..).unwrap_or(""));
            cursor += sql.get(cursor..).and_then(|r| r.find(&s.sql)).map_or(0, |at| at + s.sql.len());
            let query_plan = matches!(s.statement, Statement::Explain { query_plan: true, .. });
            let outcome = match self.conn.prepare(&s.sql) {
                Ok(mut p) => self.conn.run_prepared(&mut p, &[]).map_err(|e| {
                    // DDL is checked against the schema when it runs here,
                    // where SQLite checks it when preparing.
                    let ddl = s.statement.changes_schema();
                    (e, ddl)
                }),
                Err(e) => Err((e, true)),
            };
            match outcome {
                Ok(results) => {
                    for r in results {
                        let written = if query_plan && self.explain == ExplainMode::Tree && !r.rows.is_empty() {
                            self.sink().write_all(render::query_plan_tree(&r.rows).as_bytes())
                        } else {
                            // As sqlite3, the aligned modes give every column
                            // a `.width` entry (0: automatic), which `.show` lists.
                            if self.fmt.mode.is_columnar() && self.fmt.widths.len() < r.columns.len() {
                                self.fmt.widths.resize(r.columns.len(), 0);
                            }
                            let fmt = &self.fmt;
                            let sink: &mut dyn Write = match &mut self.redirect {
                                Some(r) => &mut r.file,
                                None => &mut self.out,
                            };
                            render::render(sink, fmt, &r.columns, &r.rows)
                        };
                        if let Err(e) = written {
                            self.error(&format!("writing output: {e}"));
                        }
                    }
                }
                Err((e, preparing)) => {
                    self.sql_error(&e, preparing, rest);
                    failed = true;
                    break;
                }
            }
        }
        if let (Some(e), false) = (parse_error, failed) {
            let rest = statement_start(sql.get(cursor..).unwrap_or(""));
            self.sql_error(&Error::Parse(e), true, rest);
            failed = true;
        }
        if self.changes && !failed {
            let line = format!("changes: {}   total_changes: {}", self.conn.changes(), self.conn.total_changes());
            self.print(&line);
        }
        if let Some((t0, cpu0)) = start {
            let real = t0.elapsed().as_secs_f64();
            let line = match (cpu0, cpu_times()) {
                (Some((u0, s0)), Some((u1, s1))) => {
                    format!("Run Time: real {real:.3} user {:.6} sys {:.6}", u1 - u0, s1 - s0)
                }
                _ => format!("Run Time: real {real:.3}"),
            };
            self.print(&line);
        }
    }

    /// Reports an engine error as sqlite3 does: `preparing` when it came
    /// from checking the statement rather than running it; `text` is the
    /// input from the statement's start on, shown with a mark where the
    /// error is when that is known.
    fn sql_error(&mut self, e: &Error, preparing: bool, text: &str) {
        // SQLite refuses a change to a read-only database when it runs it.
        let readonly = matches!(e, Error::Runtime(m) if m == dosql_sql::conn::READONLY);
        let preparing = preparing && !readonly;
        let (parse, code) = match e {
            e if dosql_sql::interrupt::is_interrupted(e) => (false, 9),
            _ if readonly => (false, 8),
            Error::Parse(_) => (true, 1),
            Error::Sql(_) if preparing => (true, 1),
            Error::Constraint(_) | Error::ConstraintFail(_) | Error::ConstraintRollback(_) => (false, 19),
            Error::Sql(m) if m == "datatype mismatch" => (false, 20),
            _ => (false, 1),
        };
        // sqlite3 shows the result code when it is not plain SQLITE_ERROR.
        let shown_code = if code == 1 { String::new() } else { format!(" ({code})") };
        self.errors += 1;
        self.last_code = code;
        let context =
            if preparing { errors::error_offset(text, e).map(|at| errors::error_context(text, at)) } else { None };
        let context = context.unwrap_or_default();
        let _ = if self.arg_style {
            let kind = if parse { "in prepare" } else { "stepping" };
            writeln!(self.err, "Error: {kind}, {e}{shown_code}{context}")
        } else {
            let kind = if parse { "Parse error" } else { "Runtime error" };
            let place =
                if self.source.numbered { format!(" near line {}", self.source.pending_line) } else { String::new() };
            writeln!(self.err, "{kind}{place}: {e}{shown_code}{context}")
        };
    }

    /// Reports a dot command's (or the shell's) error as `Error: MSG`.
    fn error(&mut self, msg: &str) {
        self.errors += 1;
        let _ = self.sink().flush();
        let _ = writeln!(self.err, "Error: {msg}");
    }

    /// Reports a dot command used wrongly as sqlite3 does: `Usage: ...`.
    fn usage(&mut self, usage: &str) {
        self.errors += 1;
        let _ = self.sink().flush();
        let _ = writeln!(self.err, "Usage: {usage}");
    }

    /// Where results go: the `.output` / `.once` file, else the output.
    fn sink(&mut self) -> &mut dyn Write {
        match &mut self.redirect {
            Some(r) => &mut r.file,
            None => &mut self.out,
        }
    }

    /// Prints a line of output.
    fn print(&mut self, line: &str) {
        if let Err(e) = writeln!(self.sink(), "{line}") {
            self.error(&format!("writing output: {e}"));
        }
    }

    /// Reports an error as sqlite3 words some (no `Error:` prefix): `text`
    /// as it is, on the error writer.
    fn fail(&mut self, text: &str) {
        self.errors += 1;
        let _ = self.sink().flush();
        let _ = writeln!(self.err, "{text}");
    }

    /// Prints a status message to the error writer (not counted as an error).
    fn note(&mut self, line: &str) {
        let _ = writeln!(self.err, "{line}");
    }

    fn flush(&mut self) {
        let _ = self.sink().flush();
        let _ = self.out.flush();
        let _ = self.err.flush();
    }
}

/// `text` (what follows the previous statement) from where the next
/// statement starts: after whitespace and the previous statement's `;`.
fn statement_start(text: &str) -> &str {
    let text = text.trim_start();
    text.strip_prefix(';').unwrap_or(text).trim_start()
}

/// Whether `sql` holds anything but whitespace and comments.
fn has_sql(sql: &str) -> bool {
    match dosql_sql::parse::tokens(sql) {
        Ok(toks) => !toks.is_empty(),
        // Let running it report what is wrong.
        Err(_) => !sql.trim().is_empty(),
    }
}

/// This process's user and system CPU seconds so far, from
/// `/proc/self/stat` (Linux; `None` elsewhere). Its clock ticks are
/// USER_HZ, 100 a second on every Linux.
fn cpu_times() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold
    // spaces): state is field 3, utime 14, stime 15.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    Some((ticks(11)? as f64 / 100.0, ticks(12)? as f64 / 100.0))
}

/// Opens `path` (in-memory when `None`); `read_only` refuses changes (see
/// [`Connection::set_read_only`]) and, as in sqlite3, a file that does not
/// exist (`Err(None)`: SQLite's "unable to open database file").
fn open(path: Option<&Path>, read_only: bool) -> Result<Connection, Option<Error>> {
    let mut conn = match path {
        Some(p) if read_only && !p.exists() => return Err(None),
        Some(p) => Connection::open(p)?,
        None => Connection::open_in_memory()?,
    };
    conn.set_read_only(read_only);
    Ok(conn)
}

/// sqlite3's message for a database it cannot open.
fn open_error(path: Option<&Path>, e: Option<Error>) -> String {
    let shown = path.unwrap_or(Path::new(":memory:")).display();
    match e {
        Some(e) => format!("unable to open database \"{shown}\": {e}"),
        None => format!("unable to open database \"{shown}\": unable to open database file"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A shell on a fresh in-memory database writing into byte vectors.
    pub(crate) fn shell() -> Shell<Vec<u8>, Vec<u8>> {
        let conn = Connection::open_in_memory().expect("in-memory database");
        Shell::new(conn, None, Vec::new(), Vec::new(), false)
    }

    /// Feeds `script` (lines) and returns (output, errors), draining both.
    pub(crate) fn feed(sh: &mut Shell<Vec<u8>, Vec<u8>>, script: &str) -> (String, String) {
        sh.run_script(script.as_bytes());
        let out = String::from_utf8_lossy(&std::mem::take(&mut sh.out)).into_owned();
        let err = String::from_utf8_lossy(&std::mem::take(&mut sh.err)).into_owned();
        (out, err)
    }

    #[test]
    fn statements_span_lines() {
        let mut sh = shell();
        assert!(sh.feed_line("select 1,"));
        assert_eq!(sh.prompt(), CONTINUE_PROMPT);
        assert!(sh.feed_line("  'a;b'"));
        assert!(sh.feed_line(";"));
        assert_eq!(sh.prompt(), PROMPT);
        assert_eq!(String::from_utf8_lossy(&sh.out), "1|a;b\n");
    }

    #[test]
    fn several_statements_on_a_line_and_blank_lines() {
        let mut sh = shell();
        let (out, err) = feed(&mut sh, "\n  \ncreate table t(a); insert into t values(1),(2); select * from t;\n");
        assert_eq!((out.as_str(), err.as_str()), ("1\n2\n", ""));
    }

    #[test]
    fn trigger_body_is_one_statement() {
        let mut sh = shell();
        let script = "create table t(a);\ncreate table log(x);\ncreate trigger tr after insert on t begin\n  insert into log values(new.a);\n  insert into log values(new.a * 10);\nend;\ninsert into t values(2);\nselect * from log;\n";
        let (out, err) = feed(&mut sh, script);
        assert_eq!(err, "");
        assert_eq!(out, "2\n20\n");
    }

    #[test]
    fn errors_are_reported_and_the_shell_goes_on() {
        let mut sh = shell();
        let (out, err) = feed(
            &mut sh,
            "select * from nosuch;\nselec 1;\ncreate table t(a unique);\ninsert into t values(1),(1);\nselect abs(-9223372036854775808);\nselect 2;\n",
        );
        assert_eq!(out, "2\n");
        assert_eq!(
            err,
            "Parse error: no such table: nosuch\n\
             Parse error: near \"selec\": syntax error\n  selec 1;\n  ^--- error here\n\
             Runtime error: UNIQUE constraint failed: t.a (19)\n\
             Runtime error: integer overflow\n"
        );
        assert_eq!(sh.errors(), 4);
    }

    #[test]
    fn numbered_errors_name_the_statement_line() {
        let conn = Connection::open_in_memory().expect("db");
        let mut sh = Shell::new(conn, None, Vec::new(), Vec::new(), true);
        let (_, err) = feed(&mut sh, "select 1;\n\nselect\n  x;\n");
        // sqlite3 shows the statement (whitespace as spaces) and marks the error.
        assert_eq!(err, "Parse error near line 3: no such column: x\n  select   x;\n           ^--- error here\n");
    }

    #[test]
    fn statements_before_a_syntax_error_run() {
        let mut sh = shell();
        let (out, err) = feed(&mut sh, "select 1; select from; select 3;\n");
        assert_eq!(out, "1\n");
        assert!(err.starts_with("Parse error: "), "{err}");
    }

    #[test]
    fn unfinished_statement_runs_at_end_of_input() {
        let mut sh = shell();
        let (out, _) = feed(&mut sh, "select 7\n");
        assert_eq!(out, "7\n");
        let (out, err) = feed(&mut sh, "select 1;\n-- just a comment\n");
        assert_eq!((out.as_str(), err.as_str()), ("1\n", ""));
    }

    #[test]
    fn quit_stops_input() {
        let mut sh = shell();
        let (out, _) = feed(&mut sh, "select 1;\n.quit\nselect 2;\n");
        assert_eq!(out, "1\n");
        assert!(sh.quit);
    }

    #[test]
    fn explain_query_plan_as_tree_or_rows() {
        let mut sh = shell();
        let (out, err) = feed(&mut sh, "create table t(a, b);\nexplain query plan select * from t;\n");
        assert_eq!(err, "");
        assert_eq!(out, "QUERY PLAN\n`--SCAN t\n");
        let (out, _) = feed(&mut sh, ".explain off\nexplain query plan select * from t;\n");
        assert!(out.ends_with("|0|0|SCAN t\n"), "{out}");
        let (out, _) = feed(&mut sh, ".explain on\nexplain query plan select * from t;\n");
        assert_eq!(out, "QUERY PLAN\n`--SCAN t\n");
    }

    #[test]
    fn timer_prints_run_time() {
        let mut sh = shell();
        let (out, _) = feed(&mut sh, ".timer on\nselect 1;\n.timer off\nselect 2;\n");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert_eq!(lines[0], "1");
        assert!(lines[1].starts_with("Run Time: real "), "{out}");
        assert_eq!(lines[2], "2");
    }
}
