//! The shell's dot commands (`.mode`, `.tables`, `.schema`, `.import`,
//! ...), parsed and run as sqlite3 runs them.
//!
//! A command line is split into words at whitespace; a word may be quoted
//! with `'...'` or `"..."` to hold spaces; outside `'...'`, C-style
//! backslash escapes (`\t`, `\n`, `\\`, octal) stand for their characters,
//! as in sqlite3. A command
//! may be abbreviated to any prefix that names one command (sqlite3 matches
//! prefixes similarly). Unknown commands and bad arguments print an error
//! and the shell goes on.

use super::{ExplainMode, Shell};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `.help`'s text: each command with its arguments and what it does.
pub const HELP: &[(&str, &str)] = &[
    (".bail on|off", "Stop after hitting an error (exit status 1)"),
    (".changes on|off", "Show number of rows changed by SQL"),
    (".dump ?TABLE?", "Render database content as SQL (only TABLE's when given)"),
    (".echo on|off", "Turn command echo on or off"),
    (".exit", "Exit this program"),
    (".explain ?on|off|auto?", "EXPLAIN QUERY PLAN as a tree (on, auto) or as rows (off)"),
    (".headers on|off", "Turn display of headers on or off"),
    (".help", "Show this message"),
    (".import FILE TABLE", "Import CSV data from FILE into TABLE"),
    (".indexes ?TABLE?", "Show names of indexes (of tables matching LIKE pattern TABLE)"),
    (
        ".mode ?MODE? ?OPTIONS? ?TABLE?",
        "Set output mode: ascii box column csv html insert json line list markdown qbox quote table tabs tcl \
         (options for box column markdown table: --wrap N --wordwrap on|off --ww --quote --noquote)",
    ),
    (".nullvalue STRING", "Use STRING in place of NULL values"),
    (".once FILE", "Output for the next SQL command only to FILE (|COMMAND: piped to COMMAND)"),
    (
        ".open ?--readonly? ?FILE?",
        "Close the database and open FILE (in memory without FILE), read-only with --readonly",
    ),
    (".output ?FILE?", "Send output to FILE (|COMMAND: piped to COMMAND) or stdout if FILE is omitted"),
    (".print STRING...", "Print the words of STRING, separated by spaces"),
    (".quit", "Exit this program"),
    (".read FILE", "Read input from FILE"),
    (".schema ?PATTERN?", "Show the CREATE statements matching LIKE pattern PATTERN"),
    (".separator COL ?ROW?", "Change the column and row separators"),
    (".show", "Show the current values for various settings"),
    (".tables ?PATTERN?", "List names of tables and views matching LIKE pattern PATTERN"),
    (".timer on|off", "Turn SQL timer on or off"),
    (".width NUM1 NUM2 ...", "Set column widths for columnar modes (negative: right-aligned)"),
];

/// The command names, for prefix matching.
const COMMANDS: &[&str] = &[
    "bail",
    "changes",
    "dump",
    "echo",
    "exit",
    "explain",
    "headers",
    "help",
    "import",
    "indexes",
    "indices",
    "mode",
    "nullvalue",
    "once",
    "open",
    "output",
    "print",
    "quit",
    "read",
    "schema",
    "separator",
    "show",
    "tables",
    "timer",
    "width",
];

/// Splits a dot command line (without the leading `.`) into words.
pub fn split_args(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        if first == '\'' || first == '"' {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == first {
                    closed = true;
                    break;
                }
                // A double-quoted argument may hold an escaped quote.
                if first == '"'
                    && c == '\\'
                    && let Some(next) = chars.next()
                {
                    word.push(c);
                    word.push(next);
                    continue;
                }
                word.push(c);
            }
            if !closed {
                return Err(format!("unterminated {first}-quoted argument"));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        // As sqlite3: backslash escapes mean something except in '...'.
        words.push(if first == '\'' { word } else { resolve_backslashes(&word) });
    }
    Ok(words)
}

/// `word` with C-style backslash escapes (`\t`, `\n`, `\\`, `\"`, octal
/// `\NNN`, ...) replaced by what they stand for; a backslash before any
/// other character is dropped.
pub fn resolve_backslashes(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'v' => out.push('\u{b}'),
            'f' => out.push('\u{c}'),
            'r' => out.push('\r'),
            '0'..='7' => {
                let mut n = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            n = n * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(n).unwrap_or('\u{fffd}'));
            }
            other => out.push(other),
        }
    }
    out
}

/// The command a (possibly abbreviated) name stands for.
fn resolve(name: &str) -> Option<&'static str> {
    if let Some(exact) = COMMANDS.iter().find(|c| **c == name) {
        return Some(exact);
    }
    let matches: Vec<&&str> = COMMANDS.iter().filter(|c| !name.is_empty() && c.starts_with(name)).collect();
    match matches.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// Runs the dot command `line` (which starts with `.`).
pub fn run<W: Write, E: Write>(sh: &mut Shell<W, E>, line: &str) {
    let words = match split_args(line.get(1..).unwrap_or("")) {
        Ok(w) => w,
        Err(e) => return sh.error(&e),
    };
    let Some(name) = words.first() else { return unknown(sh, "") };
    let args: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
    let Some(cmd) = resolve(name) else { return unknown(sh, name) };
    match (cmd, args.as_slice()) {
        (cmd, args) if super::settings::run(sh, cmd, args) => {}
        ("quit" | "exit", _) => sh.quit = true,
        ("print", words) => sh.print(&words.join(" ")),
        ("help", _) => {
            let width = HELP.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
            for (c, what) in HELP {
                sh.print(&format!("{c:<width$}  {what}"));
            }
        }
        ("timer", [b]) => match super::settings::boolean(b) {
            Some(on) => sh.timer = on,
            None => sh.error(&format!("not a boolean value: \"{b}\". Assuming \"no\".")),
        },
        ("explain", []) => sh.explain = ExplainMode::Tree,
        ("explain", [b]) => {
            sh.explain = match (b.eq_ignore_ascii_case("auto"), super::settings::boolean(b)) {
                (true, _) | (_, Some(true)) => ExplainMode::Tree,
                (_, Some(false)) => ExplainMode::Rows,
                _ => return sh.error(&format!("not a boolean value: \"{b}\"")),
            }
        }
        ("tables", [] | [_]) => super::schema::tables(sh, args.first().copied().unwrap_or("%")),
        ("indexes" | "indices", [] | [_]) => super::schema::indexes(sh, args.first().copied().unwrap_or("%")),
        ("schema", [] | [_]) => super::schema::schema(sh, args.first().copied().unwrap_or("%")),
        ("dump", [] | [_]) => {
            let mut text = Vec::new();
            match super::dump::dump(&mut sh.conn, args.first().copied(), &mut text) {
                Ok(()) => {
                    if let Err(e) = sh.sink().write_all(&text) {
                        sh.error(&format!("writing output: {e}"));
                    }
                }
                Err(e) => sh.error(&e.to_string()),
            }
        }
        ("import", _) => import(sh, &args),
        ("read", [file]) => sh.read_file(Path::new(file)),
        ("open", _) => open(sh, &args),
        (cmd, _) => {
            let usage = HELP.iter().find(|(c, _)| c.trim_start_matches('.').split(' ').next() == Some(cmd));
            match usage {
                Some((u, _)) => sh.usage(u),
                None => unknown(sh, name),
            }
        }
    }
}

/// `.open ?--readonly? ?FILE?`: closes the database and opens FILE (in
/// memory without one), read-only with `--readonly` (or `-readonly`).
fn open<W: Write, E: Write>(sh: &mut Shell<W, E>, args: &[&str]) {
    let mut read_only = false;
    let mut file = None;
    for &a in args {
        match a {
            "--readonly" | "-readonly" => read_only = true,
            a if a.starts_with('-') => return sh.fail(&format!("unknown option: {a}")),
            a if file.is_none() => file = Some(a),
            a => return sh.fail(&format!("extra argument: \"{a}\"")),
        }
    }
    let path = file.map(PathBuf::from);
    match super::open(path.as_deref(), read_only) {
        Ok(conn) => {
            sh.replace_connection(conn);
            sh.db_name = path;
        }
        // sqlite3 does not count this as an error (its exit status stays 0).
        Err(e) => {
            let _ = sh.sink().flush();
            sh.note(&format!("Error: {}", super::open_error(path.as_deref(), e)));
        }
    }
}

/// sqlite3's message for a command it does not know.
fn unknown<W: Write, E: Write>(sh: &mut Shell<W, E>, name: &str) {
    sh.error(&format!("unknown command or invalid arguments:  \"{name}\". Enter \".help\" for help"));
}

/// `.import [--csv] [--skip N] FILE TABLE`.
fn import<W: Write, E: Write>(sh: &mut Shell<W, E>, args: &[&str]) {
    let mut skip = 0usize;
    let mut plain = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match *a {
            "--csv" => {}
            "--skip" => match it.next().and_then(|n| n.parse().ok()) {
                Some(n) => skip = n,
                None => return sh.error("--skip needs a number"),
            },
            a if a.starts_with("--") => return sh.error(&format!("unknown option: {a}")),
            a => plain.push(a),
        }
    }
    let [file, table] = plain.as_slice() else { return sh.error("usage: .import [--csv] [--skip N] FILE TABLE") };
    let progress = sh.progress;
    match super::import::import(&mut sh.conn, Path::new(file), table, skip, progress) {
        Ok(n) => sh.note(&format!("Imported {n} rows into {table}")),
        Err(e) => sh.error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{feed, shell};
    use super::*;

    #[test]
    fn splitting_arguments() {
        assert_eq!(split_args("import 'my file.csv' t").expect("ok"), ["import", "my file.csv", "t"]);
        assert_eq!(split_args("  mode   box ").expect("ok"), ["mode", "box"]);
        assert_eq!(split_args("schema \"a b\"").expect("ok"), ["schema", "a b"]);
        assert!(split_args("read 'x").is_err());
    }

    #[test]
    fn prefixes_resolve_when_unambiguous() {
        assert_eq!(resolve("tab"), Some("tables"));
        assert_eq!(resolve("q"), Some("quit"));
        assert_eq!(resolve("h"), None);
        assert_eq!(resolve("he"), None);
        assert_eq!(resolve("hea"), Some("headers"));
        assert_eq!(resolve("help"), Some("help"));
        assert_eq!(resolve("bogus"), None);
    }

    #[test]
    fn unknown_command_and_bad_arguments() {
        let mut sh = shell();
        let (out, _) = feed(&mut sh, ".print hello  'big world'\n.print\n");
        assert_eq!(out, "hello big world\n\n");
        let (out, err) = feed(&mut sh, ".foo\n.mode bogus\n.headers maybe\nselect 1;\n");
        assert_eq!(out, "1\n");
        assert_eq!(
            err,
            "Error: unknown command or invalid arguments:  \"foo\". Enter \".help\" for help\n\
             Error: mode should be one of: ascii box column csv html insert json line list markdown qbox quote table tabs tcl\n\
             ERROR: Not a boolean value: \"maybe\". Assuming \"no\".\n"
        );
        let (_, err) = feed(&mut sh, ".read\n");
        assert_eq!(err, "Usage: .read FILE\n");
    }

    #[test]
    fn mode_and_headers() {
        let mut sh = shell();
        let (out, _) = feed(&mut sh, ".mode\n.headers on\n.mode csv\nselect 1 as a, 'x y' as b;\n.mode\n");
        assert_eq!(out, "current output mode: list\na,b\r\n1,\"x y\"\r\ncurrent output mode: csv\n");
    }

    #[test]
    fn help_lists_every_command() {
        let mut sh = shell();
        let (out, _) = feed(&mut sh, ".help\n");
        for (cmd, _) in HELP {
            assert!(out.contains(cmd), "{cmd} missing from {out}");
        }
    }

    #[test]
    fn tables_indexes_schema() {
        let mut sh = shell();
        let setup = "CREATE TABLE t(a integer primary key, b text);\nCREATE INDEX ti on t(b);\n\
                     CREATE VIEW v as select a from t;\nCREATE TABLE \"odd name\"(x);\nCREATE TABLE u(x, y);\n\
                     CREATE INDEX ui on u(x, y);\nCREATE TRIGGER tr after insert on t begin select 1; end;\n";
        let (_, err) = feed(&mut sh, setup);
        assert_eq!(err, "");
        let (out, _) = feed(&mut sh, ".tables\n.tables t%\n.indexes\n.indexes t\n");
        assert_eq!(out, "odd name  t         u         v       \nt\nti  ui\nti\n");
        let (out, _) = feed(&mut sh, ".schema t\n");
        assert_eq!(
            out,
            "CREATE TABLE t(a integer primary key, b text);\nCREATE INDEX ti on t(b);\n\
             CREATE TRIGGER tr after insert on t begin select 1; end;\n"
        );
        let (out, _) = feed(&mut sh, ".schema\n");
        assert_eq!(out.lines().count(), 8, "{out}");
        assert!(out.contains("CREATE VIEW v as select a from t\n/* v(a) */;\n"), "{out}");
    }

    #[test]
    fn table_name_columns_fill_top_to_bottom() {
        let names: Vec<String> = (0..30).map(|i| format!("table_{i:02}")).collect();
        let lines = super::super::schema::columns(&names);
        // 8-character names: 80 / 10 = 8 a line, so 4 lines.
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("table_00  table_04  table_08"), "{}", lines[0]);
        assert_eq!(lines[3].trim_end(), "table_03  table_07  table_11  table_15  table_19  table_23  table_27");
    }

    #[test]
    fn open_switches_databases() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.db");
        let mut sh = shell();
        let (_, err) =
            feed(&mut sh, &format!(".open {}\ncreate table t(a);\ninsert into t values(5);\n", path.display()));
        assert_eq!(err, "");
        let (out, _) = feed(&mut sh, ".open\n.tables\n");
        assert_eq!(out, "");
        let (out, err) = feed(&mut sh, &format!(".open '{}'\nselect * from t;\n", path.display()));
        assert_eq!((out.as_str(), err.as_str()), ("5\n", ""));
    }

    #[test]
    fn open_read_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.db");
        let mut sh = shell();
        let script = format!(
            ".open {0}\ncreate table t(a);\n.open --readonly {0}\ninsert into t values(1);\nselect count(*) from t;\n\
             .open -readonly {1}\n.open --new {0}\n",
            path.display(),
            dir.path().join("missing.db").display()
        );
        let (out, err) = feed(&mut sh, &script);
        assert_eq!(out, "0\n");
        assert_eq!(
            err,
            format!(
                "Runtime error: attempt to write a readonly database (8)\n\
                 Error: unable to open database \"{}\": unable to open database file\nunknown option: --new\n",
                dir.path().join("missing.db").display()
            )
        );
        assert!(sh.conn.is_read_only());
        assert!(!dir.path().join("missing.db").exists());
        // A failed open is not counted as an error, as in sqlite3.
        assert_eq!(sh.errors(), 2);
    }

    #[test]
    fn read_runs_a_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.sql");
        std::fs::write(
            &path,
            "create table t(a);\ninsert into t\n values(1);\nselect * from nosuch;\nselect count(*) from t;\n",
        )
        .expect("write");
        let mut sh = shell();
        let (out, err) = feed(&mut sh, &format!(".read {}\nselect 2;\n", path.display()));
        assert_eq!(out, "1\n2\n");
        assert_eq!(err, "Parse error near line 4: no such table: nosuch\n");
        let (_, err) = feed(&mut sh, ".read /nonexistent/x.sql\n");
        assert!(err.starts_with("Error: cannot open \"/nonexistent/x.sql\""), "{err}");
    }
}
