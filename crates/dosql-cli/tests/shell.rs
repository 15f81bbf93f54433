//! `dosql shell` with stdin piped: no prompts, results on stdout, errors
//! on stderr naming the line, exit status 1 after any error; and, where a
//! `sqlite3` command is installed, the same scripts give sqlite3's output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A fresh directory under the system's temporary directory.
fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dosql-shell-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Starts `program args` in `cwd` with stdin, stdout and stderr piped.
fn spawn_piped(program: &str, args: &[&str], cwd: &Path) -> std::process::Child {
    Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the shell")
}

/// Runs `program args` with `input` on stdin: (stdout, stderr, exit code).
fn run(program: &str, args: &[&str], input: &str, cwd: &Path) -> (String, String, i32) {
    let mut child = spawn_piped(program, args, cwd);
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("run the shell");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn dosql(args: &[&str], input: &str, cwd: &Path) -> (String, String, i32) {
    let mut all = vec!["shell"];
    all.extend_from_slice(args);
    run(env!("CARGO_BIN_EXE_dosql"), &all, input, cwd)
}

#[test]
fn piped_select() {
    let d = dir("select");
    let (out, err, code) = dosql(&["db"], "select 1;\n", &d);
    assert_eq!((out.as_str(), err.as_str(), code), ("1\n", "", 0));
    // The database file persists between runs.
    let (_, err, code) = dosql(&["db"], "create table t(a);\ninsert into t values('kept');\n", &d);
    assert_eq!((err.as_str(), code), ("", 0));
    let (out, _, _) = dosql(&["db"], "select a from t;", &d);
    assert_eq!(out, "kept\n");
}

#[test]
fn in_memory_without_a_path() {
    let d = dir("memory");
    let (out, err, code) = dosql(&[], "create table t(a);\ninsert into t values(1);\nselect count(*) from t;\n", &d);
    assert_eq!((out.as_str(), err.as_str(), code), ("1\n", "", 0));
    let (out, _, _) = dosql(&[], ".tables\n", &d);
    assert_eq!(out, "");
}

#[test]
fn errors_go_to_stderr_and_fail_the_run() {
    let d = dir("errors");
    let (out, err, code) = dosql(&["db"], "select 1;\nselect * from nosuch;\n.bogus\nselect\n 2;\n", &d);
    assert_eq!(out, "1\n2\n");
    assert_eq!(
        err,
        "Parse error near line 2: no such table: nosuch\n\
         Error: unknown command or invalid arguments:  \"bogus\". Enter \".help\" for help\n"
    );
    assert_eq!(code, 1);
}

#[test]
fn quit_ends_the_input() {
    let d = dir("quit");
    let (out, _, code) = dosql(&["db"], "select 1;\n.quit\nselect 2;\n", &d);
    assert_eq!((out.as_str(), code), ("1\n", 0));
}

#[test]
fn import_and_dump_through_the_binary() {
    let d = dir("import");
    std::fs::write(d.join("p.csv"), "id,name\n1,\"Smith, Ann\"\n2,\"multi\nline\"\n").expect("csv");
    let (out, err, code) = dosql(&["db"], ".import p.csv people\n.mode box\nselect * from people;\n.dump people\n", &d);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "Imported 2 rows into people\n");
    assert_eq!(
        out,
        "┌────┬────────────┐\n\
         │ id │    name    │\n\
         ├────┼────────────┤\n\
         │ 1  │ Smith, Ann │\n\
         ├────┼────────────┤\n\
         │ 2  │ multi      │\n\
         │    │ line       │\n\
         └────┴────────────┘\n\
         PRAGMA foreign_keys=OFF;\n\
         BEGIN TRANSACTION;\n\
         CREATE TABLE IF NOT EXISTS \"people\"(\"id\" TEXT, \"name\" TEXT);\n\
         INSERT INTO people VALUES('1','Smith, Ann');\n\
         INSERT INTO people VALUES('2',replace('multi\\nline','\\n',char(10)));\n\
         COMMIT;\n"
    );
}

/// Whether a `sqlite3` command can be run.
fn have_sqlite3() -> bool {
    Command::new("sqlite3").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Runs `script` through `dosql shell` and `sqlite3` on fresh databases and
/// asserts the same stdout, stderr and exit status.
fn same_as_sqlite3(name: &str, script: &str) {
    if !have_sqlite3() {
        eprintln!("sqlite3 is not installed: {name} compared nothing");
        return;
    }
    let d = dir(&format!("diff-{name}"));
    let ours = dosql(&["ours.db"], script, &d);
    let theirs = run("sqlite3", &["theirs.db"], script, &d);
    assert_eq!(ours, theirs, "script:\n{script}");
}

/// As [`same_as_sqlite3`], on in-memory databases (so `.show` names the
/// same file).
fn same_in_memory_as_sqlite3(name: &str, script: &str) {
    if !have_sqlite3() {
        eprintln!("sqlite3 is not installed: {name} compared nothing");
        return;
    }
    let d = dir(&format!("diff-{name}"));
    assert_eq!(dosql(&[], script, &d), run("sqlite3", &[], script, &d), "script:\n{script}");
}

const DATA: &str = "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL, d);\n\
    INSERT INTO t VALUES(1, 'x', 2.5, NULL), (22, 'hello world', -1.0, 'a|b'), (333, '', 0.125, 7);\n\
    INSERT INTO t VALUES(4, 'two\nlines', 1e100, 'q\"uote'), (5, 'comma, here', 3.0, x'414243');\n";

#[test]
fn output_modes_match_sqlite3() {
    for mode in [
        "list", "csv", "line", "table", "box", "markdown", "column", "quote", "insert", "tabs", "html", "tcl", "ascii",
        "qbox", "count", "off",
    ] {
        for headers in ["on", "off"] {
            let script = format!(
                "{DATA}.mode {mode}\n.headers {headers}\nSELECT * FROM t ORDER BY a;\nSELECT a AS \"long column name\", b FROM t WHERE a < 5 ORDER BY a;\nSELECT 1 WHERE 0;\nSELECT NULL AS n, 'é' AS accent;\n"
            );
            same_as_sqlite3(&format!("{mode}-{headers}"), &script);
        }
    }
}

#[test]
fn json_mode_matches_sqlite3_for_exact_values() {
    same_as_sqlite3(
        "json",
        "CREATE TABLE t(a, b);\nINSERT INTO t VALUES(1, 'x\"y'), (NULL, 2.5), ('é\n', -3);\n.mode json\nSELECT * FROM t;\n",
    );
}

#[test]
fn dot_commands_match_sqlite3() {
    let schema = "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);\nCREATE INDEX tb ON t(b);\n\
        CREATE TABLE \"other table\"(x, y);\nCREATE INDEX oxy ON \"other table\"(x, y);\n\
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET b = upper(b) WHERE a = new.a; END;\n\
        CREATE TABLE seq(id INTEGER PRIMARY KEY AUTOINCREMENT, v);\n\
        INSERT INTO t VALUES(1, 'it''s'), (2, NULL);\nINSERT INTO seq(v) VALUES(1), (2);\n\
        INSERT INTO \"other table\" VALUES(-7, x'00ff'), (9223372036854775807, 'z');\n";
    same_as_sqlite3("tables", &format!("{schema}.tables\n.tables t%\n.indexes\n.indexes t\n.schema t\n.schema\n"));
    same_as_sqlite3("dump", &format!("{schema}.dump\n"));
    same_as_sqlite3("dump-table", &format!("{schema}.dump t\n.dump t%\n.dump tb\n.dump nosuch\n.dump seq\n"));
    same_as_sqlite3(
        "view",
        &format!("{schema}CREATE VIEW v AS SELECT a, b || 'x', 3 AS \"select\" FROM t;\n.schema v\n"),
    );
    let temp = "CREATE TABLE t(a);\nCREATE INDEX ti ON t(a);\nCREATE TEMP TABLE tt(x);\nCREATE INDEX temp.tti ON tt(x);\n\
        CREATE TEMP VIEW tv AS SELECT 1, x FROM tt;\nCREATE TEMP TRIGGER ttr AFTER INSERT ON tt BEGIN SELECT 1; END;\n\
        .tables\n.tables t%\n.indexes\n.indexes tt\n.schema\n.schema tt\n.dump\n";
    same_as_sqlite3("temp", temp);
    same_as_sqlite3("plan", &format!("{schema}EXPLAIN QUERY PLAN SELECT * FROM t WHERE b = 'x';\n"));
}

/// Schema statements are checked when prepared, as in sqlite3: their
/// errors are parse errors.
#[test]
fn schema_statement_errors_are_parse_errors() {
    let d = dir("schema-errors");
    let (_, err, _) = dosql(&["db"], "ANALYZE nosuch;\nREINDEX nosuch;\n", &d);
    assert_eq!(
        err,
        "Parse error near line 1: no such table: nosuch\n\
         Parse error near line 2: unable to identify the object to be reindexed\n"
    );
}

#[test]
fn errors_match_sqlite3() {
    same_as_sqlite3(
        "errors",
        "CREATE TABLE t(a UNIQUE);\nSELECT * FROM nosuch;\nINSERT INTO t VALUES(1),(1);\nSELECT abs(-9223372036854775808);\nselec 1;\n.nosuchcommand\nANALYZE nosuch;\nREINDEX nosuch;\nSELECT count(*) FROM t;\n",
    );
}

#[test]
fn dump_loads_into_sqlite3() {
    if !have_sqlite3() {
        return;
    }
    let d = dir("dump-to-sqlite3");
    let setup = format!("{DATA}CREATE INDEX tb ON t(b);\nCREATE VIEW v AS SELECT a, b FROM t;\n");
    let (dump, err, code) = dosql(&["db"], &format!("{setup}.dump\n"), &d);
    assert_eq!((err.as_str(), code), ("", 0));
    let check = ".mode quote\nSELECT * FROM t ORDER BY a;\nSELECT * FROM v ORDER BY a;\n";
    let (theirs, err, code) = run("sqlite3", &[], &format!("{dump}{check}"), &d);
    assert_eq!((err.as_str(), code), ("", 0));
    let (expected, _, _) = run("sqlite3", &[], &format!("{setup}{check}"), &d);
    assert_eq!(theirs, expected);
}

/// The settings commands, through the binary: sqlite3 3.40's output
/// for the same script, written out (CI has no sqlite3).
#[test]
fn settings_commands() {
    let d = dir("settings");
    let script = "create table t(a,b,c);\ninsert into t values(1,'x y',NULL),(2.5,x'41','it''s');\n\
        .nullvalue NUL\n.separator ; #\nselect * from t;\n.separator \"\\t\" \\n\n.headers on\nselect * from t;\n\
        .mode quote\nselect * from t;\n.mode insert foo\nselect * from t;\n.mode column\n.width 3 -4\nselect * from t;\n\
        .print a\\tb 'c\\td'\n";
    let (out, err, code) = dosql(&[], script, &d);
    assert_eq!((err.as_str(), code), ("", 0));
    assert_eq!(
        out,
        "1;x y;NUL#2.5;A;it's#a\tb\tc\n1\tx y\tNUL\n2.5\tA\tit's\n'a','b','c'\n1,'x y',NULL\n2.5,X'41','it''s'\n\
         INSERT INTO foo(a,b,c) VALUES(1,'x y',NULL);\nINSERT INTO foo(a,b,c) VALUES(2.5,X'41','it''s');\n\
         a       b  c   \n---  ----  ----\n1     x y  NUL \n2.5     A  it's\na\tb c\\td\n"
    );
    same_as_sqlite3("settings", script);
    let bail = "select 1;\n.bail on\nselect * from nosuch;\nselect 2;\n";
    let (out, err, code) = dosql(&[], bail, &d);
    assert_eq!((out.as_str(), err.as_str(), code), ("1\n", "Parse error near line 3: no such table: nosuch\n", 1));
    same_as_sqlite3("bail", bail);
    let echo =
        ".echo on\ncreate table t(a);\n.changes on\ninsert into t values(1),(2); select 3;\n.changes off\nselect 4;\n";
    same_as_sqlite3("echo", echo);
}

/// Runs `dosql shell ARGS` (stdin empty): (stdout, stderr, exit code).
fn dosql_args(args: &[&str], d: &Path) -> (String, String, i32) {
    dosql(args, "", d)
}

/// sqlite3's command-line options, with sqlite3 3.40's outputs written out.
#[test]
fn command_line_options() {
    let d = dir("options");
    let cases: &[(&[&str], &str, &str, i32)] = &[
        (&[":memory:", "select 1; select 2", ".mode csv", "select 'a b',3"], "1\n2\n\"a b\",3\r\n", "", 0),
        (
            &["-csv", "-separator", ";", "-nullvalue", "N", "-header", ":memory:", "select 1 as a, null as b"],
            "a;b\n1;N\n",
            "",
            0,
        ),
        // Settings apply in order: -csv after -separator resets it.
        (&["-separator", ";", "-csv", ":memory:", "select 1 as a, null as b"], "1,\n", "", 0),
        (&["--line", ":memory:", "select 1 as a"], "    a = 1\n", "", 0),
        (&["-box", "-noheader", ":memory:", "select 3"], "┌───┐\n│ 3 │\n├───┤\n│ 3 │\n└───┘\n", "", 0),
        (&["-column", ":memory:", "select 1 as a, 2 as b"], "1  2\n", "", 0),
        (&["-header", "-column", ":memory:", "select 1 as a"], "a\n-\n1\n", "", 0),
        (&["-json", ":memory:", "select 1 as a"], "[{\"a\":1}]\n", "", 0),
        (&["-tabs", "-markdown", "-quote", ":memory:", "select 'x' as a, 2"], "'x',2\n", "", 0),
        (&[":memory:", "select * from nosuch", "select 2"], "", "Error: in prepare, no such table: nosuch\n", 1),
        (
            &[":memory:", "create table t(a unique); insert into t values(1),(1)"],
            "",
            "Error: stepping, UNIQUE constraint failed: t.a (19)\n",
            19,
        ),
        (
            &[":memory:", "selec x"],
            "",
            "Error: in prepare, near \"selec\": syntax error\n  selec x\n  ^--- error here\n",
            1,
        ),
        (&["-cmd", "select 9", "-cmd", ".mode csv", ":memory:", "select 'a b',3"], "9\n\"a b\",3\r\n", "", 0),
        (
            &["-cmd", ".bogus", ":memory:", "select 1"],
            "1\n",
            "Error: unknown command or invalid arguments:  \"bogus\". Enter \".help\" for help\n",
            0,
        ),
        (
            &["-bail", "-cmd", ".bogus", ":memory:", "select 1"],
            "",
            "Error: unknown command or invalid arguments:  \"bogus\". Enter \".help\" for help\n",
            1,
        ),
        (&["-echo", ":memory:", "select 1"], "1\n", "", 0),
        (&["-html", ":memory:", "select 1 as a, '<b>' as b"], "<TR><TD>1</TD>\n<TD>&lt;b&gt;</TD>\n</TR>\n", "", 0),
        (&["-ascii", "-header", ":memory:", "select 1 as a, 2 as b"], "a\u{1f}b\u{1e}1\u{1f}2\u{1e}", "", 0),
        (&["-separator", ";", "-ascii", ":memory:", "select 1, 2"], "1\u{1f}2\u{1e}", "", 0),
    ];
    for (args, out, err, code) in cases {
        let got = dosql_args(args, &d);
        assert_eq!(got, (out.to_string(), err.to_string(), *code), "dosql shell {args:?}");
        if have_sqlite3() {
            let theirs = run("sqlite3", args, "", &d);
            assert_eq!(got, theirs, "sqlite3 {args:?}");
        }
    }
    // With stdin: -cmd runs first, -echo and -bail apply to the script.
    let (out, err, code) =
        dosql(&["-echo", "-bail", "-cmd", "select 0"], "select 1;\nselect * from nosuch;\nselect 2;\n", &d);
    assert_eq!(out, "0\nselect 1;\n1\nselect * from nosuch;\n");
    assert_eq!(err, "Parse error near line 2: no such table: nosuch\n");
    assert_eq!(code, 1);
}

/// Starts `program args` with piped stdio in `cwd`, feeds it `input` (stdin
/// stays open), sends SIGINT until it exits (at most twice, 2 s apart,
/// in case the first comes before the statement starts), then feeds
/// `after` and closes stdin: (stdout, stderr, exit code).
fn interrupt_run(program: &str, args: &[&str], input: &str, after: &str, cwd: &Path) -> (String, String, i32) {
    let mut child = spawn_piped(program, args, cwd);
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).expect("write stdin");
    stdin.flush().expect("flush stdin");
    std::thread::sleep(std::time::Duration::from_millis(700));
    for _ in 0..2 {
        let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("run kill");
        assert!(sent.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
            // The shell stops reading piped input after Ctrl-C; writing
            // more only tells whether it is still there.
            if stdin.write_all(after.as_bytes()).and_then(|()| stdin.flush()).is_err() {
                break;
            }
            if child.try_wait().expect("poll").is_some() {
                break;
            }
        }
        if child.try_wait().expect("poll").is_some() {
            break;
        }
    }
    drop(stdin);
    let out = child.wait_with_output().expect("run the shell");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Ctrl-C stops the running statement with SQLite's `interrupted` error
/// instead of killing the shell; as sqlite3 does with piped input, the
/// shell then reads no more and exits with status 1 (typed input goes on
/// at the next prompt). The data is intact afterwards.
#[test]
fn ctrl_c_interrupts_the_running_statement() {
    let d = dir("interrupt");
    let input = "create table one(y); insert into one values(1);\n\
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c, one WHERE x < 1000000000) SELECT count(*) FROM c;\n";
    let ours = interrupt_run(env!("CARGO_BIN_EXE_dosql"), &["shell", "db"], input, "select 2;\n", &d);
    assert_eq!(ours, (String::new(), "Runtime error near line 2: interrupted (9)\n".to_string(), 1));
    let (out, err, code) = dosql(&["db"], "select count(*) from one;\n", &d);
    assert_eq!((out.as_str(), err.as_str(), code), ("1\n", "", 0));
    if have_sqlite3() {
        let theirs = interrupt_run("sqlite3", &["theirs.db"], input, "select 2;\n", &d);
        assert_eq!(ours, theirs);
    }
}

/// Typed input (a terminal, made with util-linux's `script` where it is
/// installed): Ctrl-C stops the statement and the shell goes on with the
/// next one, as sqlite3's does.
#[test]
fn ctrl_c_at_a_terminal_returns_to_the_prompt() {
    let has_script = Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("script (util-linux) is not installed: no terminal to test with");
        return;
    }
    let d = dir("interrupt-tty");
    let db = d.join("db");
    let mut child = Command::new("script")
        .args(["-qfc", &format!("{} shell {}", env!("CARGO_BIN_EXE_dosql"), db.display()), "/dev/null"])
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start script");
    let mut stdin = child.stdin.take().expect("stdin");
    let pause = |ms| std::thread::sleep(std::time::Duration::from_millis(ms));
    let long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c, one WHERE x < 1000000000) SELECT count(*) FROM c;\n";
    for (text, wait) in [
        ("create table one(y); insert into one values(1);\n", 1000),
        (long, 1500),
        ("\u{3}", 1000),
        ("select 2;\n", 500),
        ("\u{4}", 500),
    ] {
        stdin.write_all(text.as_bytes()).expect("write");
        stdin.flush().expect("flush");
        pause(wait);
    }
    drop(stdin);
    let out = child.wait_with_output().expect("script ends");
    let text = String::from_utf8_lossy(&out.stdout);
    let at = text.find("Runtime error: interrupted (9)").unwrap_or_else(|| panic!("no interrupt in {text:?}"));
    assert!(text.get(at..).is_some_and(|rest| rest.contains("\n2\r\n")), "{text:?}");
}

/// The error mark goes under the token where the error is, not the first
/// with its text (sqlite3 3.40's output, written out).
#[test]
fn error_marks_point_at_the_failing_token() {
    let d = dir("marks");
    let script = "create table t(a);\nselect 2, 2 2;\nselect 'x', /* x */ x from t;\n\
        select 1; select a from t where a = 'from' and from;\n";
    let (out, err, code) = dosql(&["db"], script, &d);
    assert_eq!((out.as_str(), code), ("1\n", 1));
    assert_eq!(
        err,
        "Parse error near line 2: near \"2\": syntax error\n  select 2, 2 2;\n              ^--- error here\n\
         Parse error near line 3: no such column: x\n  select 'x', /* x */ x from t;\n                      ^--- error here\n\
         Parse error near line 4: near \"from\": syntax error\n  select a from t where a = 'from' and from;\n\
         \x20                        error here ---^\n"
    );
    same_as_sqlite3("marks", script);
}

/// `.mode` without a name prints the mode line and sets the mode again;
/// prefixes, options and their errors as in sqlite3 3.40 (its output,
/// written out).
#[test]
fn mode_command_and_options() {
    let d = dir("mode_command_and_options");
    let script = ".mode\n.mode table --wrap 10 --wordwrap on\n.mode\n.mode c --ww\n.mode\n.mode qbox\n.mode\n.mode t\n.mode\n.mode ta\n.mode tabl -quote\n.mode\n.mode box x y\n.mode box --bad --worse\n.mode --wrap 3\n.mode\n.mode markdown --wordwrap x\n.mode COLUMN\n.mode cou\nselect 1 union select 2;\n.mode o\nselect 1;\n.mode \"\"\n.mode\n";
    let (out, err, code) = dosql(&[], script, &d);
    assert_eq!(
        err,
        "extra argument: \"y\"\nunknown option: --worse\noptions:\n  --noquote\n  --quote\n  --wordwrap on/off\n  --wrap N\n  --ww\nERROR: Not a boolean value: \"x\". Assuming \"no\".\nError: mode should be one of: ascii box column csv html insert json line list markdown qbox quote table tabs tcl\n"
    );
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "current output mode: list\ncurrent output mode: table --wrap 10 --wordwrap on --noquote\ncurrent output mode: column --wrap 60 --wordwrap on --noquote\ncurrent output mode: box --wrap 60 --wordwrap off --quote\ncurrent output mode: tcl\ncurrent output mode: table --wrap 60 --wordwrap off --quote\ncurrent output mode: table --wrap 60 --wordwrap off --noquote\ncurrent output mode: table --wrap 3 --wordwrap off --noquote\n2 rows\ncurrent output mode: line\n"
    );
    same_in_memory_as_sqlite3("mode_command_and_options", script);
}

/// `--wrap`, `--wordwrap`, `--quote` and `qbox` in the aligned modes:
/// word breaks, tab stops, control characters and first header lines as
/// sqlite3 3.40 lays them out (its output, written out).
#[test]
fn wrapping_and_quoting_in_aligned_modes() {
    let d = dir("wrapping_and_quoting_in_aligned_modes");
    let script = "CREATE TABLE t(a, b);\nINSERT INTO t VALUES('the quick brown fox jumps over the lazy dog', 1), ('abcdefghijklmnopqrstuvwxyz and more', 'x,y;z-w_v.u/t'), ('one  two   three    four     five', NULL), ('  leading spaces here', 'a\ttab b'), ('tenletters tenletters', 'line'||char(10)||'break'||char(13)||char(10)||'crlf'||char(1)||'ctl'||char(10));\n.mode table --wrap 10 --ww\nSELECT * FROM t;\n.mode box --wrap 10 --wordwrap off\nSELECT * FROM t;\n.mode column --wrap 11 --ww\nSELECT a AS \"long header with words\", b FROM t;\n.mode markdown --wrap 6 -ww\n.width 0 3\nSELECT * FROM t;\n.mode qbox\n.nullvalue N\nSELECT 1, 2.5, NULL, x'00ff41', 'it''s', 'a'||char(10)||'b', '' AS e, 1e100;\n.mode table --quote --wrap 5\n.headers off\nSELECT 'hello world', NULL;\n.mode column --quote\nSELECT 'x', NULL;\n.show\n";
    let (out, err, code) = dosql(&[], script, &d);
    assert_eq!(err, "");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "+------------+------------+\n|     a      |     b      |\n+------------+------------+\n| the quick  | 1          |\n| brown fox  |            |\n| jumps      |            |\n| over the   |            |\n| lazy dog   |            |\n+------------+------------+\n| abcdefghij | x,y;z-w_v. |\n| klmnopqrst | u/t        |\n| uvwxyz     |            |\n| and more   |            |\n+------------+------------+\n| one  two   |            |\n| three      |            |\n| four       |            |\n| five       |            |\n+------------+------------+\n|   leading  | a       ta |\n| spaces     | b b        |\n| here       |            |\n+------------+------------+\n| tenletters | line       |\n| tenletters | break      |\n|            | crlf       |\n|            | ctl        |\n+------------+------------+\n┌────────────┬────────────┐\n│     a      │     b      │\n├────────────┼────────────┤\n│ the quick  │ 1          │\n│ brown fox  │            │\n│ jumps over │            │\n│  the lazy  │            │\n│ dog        │            │\n├────────────┼────────────┤\n│ abcdefghij │ x,y;z-w_v. │\n│ klmnopqrst │ u/t        │\n│ uvwxyz and │            │\n│  more      │            │\n├────────────┼────────────┤\n│ one  two   │            │\n│  three     │            │\n│ four     f │            │\n│ ive        │            │\n├────────────┼────────────┤\n│   leading  │ a       ta │\n│ spaces her │ b b        │\n│ e          │            │\n├────────────┼────────────┤\n│ tenletters │ line       │\n│  tenletter │ break      │\n│ s          │ crlf       │\n│            │ ctl        │\n└────────────┴────────────┘\nlong header  b          \n-----------  -----------\nthe quick    1          \nbrown fox               \njumps over              \nthe lazy                \ndog                     \n\nabcdefghijk  x,y;z-w_v.u\nlmnopqrstuv  /t         \nwxyz and                \nmore                    \n\none  two                \nthree                   \nfour                    \nfive                    \n\n  leading    a       tab\nspaces       b          \nhere                    \n\ntenletters   line       \ntenletters   break      \n             crlf       \n             ctl        \n|   a    |  b  |\n|--------|-----|\n| the    | 1   |\n| quick  |     |\n| brown  |     |\n| fox    |     |\n| jumps  |     |\n| over   |     |\n| the    |     |\n| lazy   |     |\n| dog    |     |\n| abcdef | x,y |\n| ghijkl | ;z- |\n| mnopqr | w_v |\n| stuvwx | .u/ |\n| yz and | t   |\n| more   |     |\n| one    |     |\n| two    |     |\n| three  |     |\n| four   |     |\n| five   |     |\n|   lead | a   |\n| ing    | tab |\n| spaces | b   |\n| here   |     |\n| tenlet | lin |\n| ters   | e   |\n| tenlet | bre |\n| ters   | ak  |\n|        | crl |\n|        | f   |\n|        | ctl |\n┌───┬─────┬──────┬───────────┬─────────┬────────────────────┬────┬──────────┐\n│ 1 │ 2.5 │ NULL │ x'00ff41' │ 'it''s' │ 'a'||char(10)||'b' │ e  │  1e100   │\n├───┼─────┼──────┼───────────┼─────────┼────────────────────┼────┼──────────┤\n│ 1 │ 2.5 │ NULL │ x'00ff41' │ 'it''s' │ 'a                 │ '' │ 1.0e+100 │\n│   │     │      │           │         │ b'                 │    │          │\n└───┴─────┴──────┴───────────┴─────────┴────────────────────┴────┴──────────┘\n+-------+-----+\n| 'hell | NUL |\n+-------+-----+\n| 'hell | NUL |\n| o wor | L   |\n| ld'   |     |\n+-------+-----+\n'x'  NUL\n     L  \n        echo: off\n         eqp: off\n     explain: auto\n     headers: off\n        mode: column --wrap 60 --wordwrap off --quote\n   nullvalue: \"N\"\n      output: stdout\ncolseparator: \"|\"\nrowseparator: \"\\n\"\n       stats: off\n       width: 0 3 0 0 0 0 0 0 \n    filename: :memory:\n"
    );
    same_in_memory_as_sqlite3("wrapping_and_quoting_in_aligned_modes", script);
}

/// The html, tcl and ascii modes with sqlite3 3.40's escaping and
/// separators (its output, written out).
#[test]
fn html_tcl_ascii_modes() {
    let d = dir("html_tcl_ascii_modes");
    let script = "create table t(a,b,c,d);\ninsert into t values(1, 2.5, null, x'41fe00');\ninsert into t values('<a href=\"x\">&''</a>', 'tab\tnl\ncr'||char(13)||'x'||char(1)||'y'||char(127)||'é\\', '', '\"q\"');\n.mode html\nselect * from t;\n.headers on\nselect * from t as \"x<y\";\nselect 1 where 0;\n.nullvalue N\n.mode tcl\nselect * from t;\n.headers off\nselect * from t;\n.mode ascii\nselect * from t;\n.headers on\nselect * from t;\n.show\n";
    let (out, err, code) = dosql(&[], script, &d);
    assert_eq!(err, "");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "<TR><TD>1</TD>\n<TD>2.5</TD>\n<TD></TD>\n<TD>A�</TD>\n</TR>\n<TR><TD>&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;</TD>\n<TD>tab\tnl\ncr\rx\u{1}y\u{7f}é\\</TD>\n<TD></TD>\n<TD>&quot;q&quot;</TD>\n</TR>\n<TR><TH>a</TH>\n<TH>b</TH>\n<TH>c</TH>\n<TH>d</TH>\n</TR>\n<TR><TD>1</TD>\n<TD>2.5</TD>\n<TD></TD>\n<TD>A�</TD>\n</TR>\n<TR><TD>&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;</TD>\n<TD>tab\tnl\ncr\rx\u{1}y\u{7f}é\\</TD>\n<TD></TD>\n<TD>&quot;q&quot;</TD>\n</TR>\n\"a\" \"b\" \"c\" \"d\"\n\"1\" \"2.5\" \"N\" \"A\\376\"\n\"<a href=\\\"x\\\">&'</a>\" \"tab\\tnl\\ncr\\rx\\001y\\177\\303\\251\\\\\" \"\" \"\\\"q\\\"\"\n\"1\" \"2.5\" \"N\" \"A\\376\"\n\"<a href=\\\"x\\\">&'</a>\" \"tab\\tnl\\ncr\\rx\\001y\\177\\303\\251\\\\\" \"\" \"\\\"q\\\"\"\n1\u{1f}2.5\u{1f}N\u{1f}A�\u{1e}<a href=\"x\">&'</a>\u{1f}tab\tnl\ncr\rx\u{1}y\u{7f}é\\\u{1f}\u{1f}\"q\"\u{1e}a\u{1f}b\u{1f}c\u{1f}d\u{1e}1\u{1f}2.5\u{1f}N\u{1f}A�\u{1e}<a href=\"x\">&'</a>\u{1f}tab\tnl\ncr\rx\u{1}y\u{7f}é\\\u{1f}\u{1f}\"q\"\u{1e}        echo: off\n         eqp: off\n     explain: auto\n     headers: on\n        mode: ascii\n   nullvalue: \"N\"\n      output: stdout\ncolseparator: \"\\037\"\nrowseparator: \"\\036\"\n       stats: off\n       width: \n    filename: :memory:\n"
    );
    same_in_memory_as_sqlite3("html_tcl_ascii_modes", script);
}

/// Runs `script` with `args` through `dosql shell` in `ours` and, where it
/// is installed, `sqlite3` in `theirs`, each directory holding a database
/// `db` with one row made by that program; asserts dosql gives `want`
/// (sqlite3 3.40's stdout, stderr and exit status, written out) and
/// sqlite3 the same.
fn on_own_databases(name: &str, args: &[&str], script: &str, want: (&str, &str, i32)) {
    let setup = "create table t(a);\ninsert into t values(1);\n";
    let ours = dir(&format!("{name}-ours"));
    assert_eq!(dosql(&["db"], setup, &ours), (String::new(), String::new(), 0));
    let got = dosql(args, script, &ours);
    assert_eq!(got, (want.0.to_string(), want.1.to_string(), want.2), "{name}");
    if have_sqlite3() {
        let theirs = dir(&format!("{name}-theirs"));
        run("sqlite3", &["db"], setup, &theirs);
        assert_eq!(run("sqlite3", args, script, &theirs), got, "{name}: sqlite3");
    }
}

/// `-readonly` and `.open --readonly`: changes fail with SQLite's error
/// (code 8), reads work, `PRAGMA query_only` stays 0, a missing file is
/// not created; `.open` without the option writes again.
#[test]
fn read_only_databases() {
    on_own_databases(
        "readonly-option",
        &["-readonly", "db"],
        "select count(*) from t;\ninsert into t values(2);\ncreate table u(x);\npragma query_only;\nselect count(*) from t;\n",
        (
            "1\n0\n1\n",
            "Runtime error near line 2: attempt to write a readonly database (8)\n\
             Runtime error near line 3: attempt to write a readonly database (8)\n",
            1,
        ),
    );
    on_own_databases(
        "readonly-open",
        &[],
        ".open --readonly db\ndelete from t;\nselect count(*) from t;\n.open db\ninsert into t values(2);\n\
         select count(*) from t;\n.open --readonly nosuch.db\n.open --bogus db\nselect 3;\n",
        (
            "1\n2\n3\n",
            "Runtime error near line 2: attempt to write a readonly database (8)\n\
             Error: unable to open database \"nosuch.db\": unable to open database file\nunknown option: --bogus\n",
            1,
        ),
    );
    on_own_databases(
        "readonly-args",
        &["-readonly", "db", "insert into t values(2)"],
        "",
        ("", "Error: stepping, attempt to write a readonly database (8)\n", 8),
    );
    on_own_databases(
        "readonly-missing",
        &["-readonly", "nosuch.db", "select 1"],
        "",
        ("", "Error: unable to open database \"nosuch.db\": unable to open database file\n", 1),
    );
    let d = dir("readonly-missing-file");
    dosql(&["-readonly", "nosuch.db"], "select 1;\n", &d);
    assert!(!d.join("nosuch.db").exists());
    // Unlike sqlite3's read-only open, TEMP tables cannot change either.
    let (_, err, _) = dosql(&["-readonly"], "create temp table x(a);\n", &d);
    assert_eq!(err, "Runtime error near line 1: attempt to write a readonly database (8)\n");
}

/// `.output |COMMAND` and `.once |COMMAND` pipe results to `sh -c
/// COMMAND`, which has finished when the output is reset; `.output
/// stdout` resets it too (sqlite3 3.40's output, written out).
#[test]
fn output_to_a_pipe() {
    let script = ".output \"|cat > p1.txt\"\nselect 1;\n.print printed\n.output\nselect 2;\n\
        .once \"|tr a-z A-Z > p2.txt\"\nselect 'abc';\nselect 'def';\n.output |cat\nselect 3;\n.output stdout\nselect 4;\n";
    let mut dirs = vec![("dosql", dir("pipe-ours"))];
    if have_sqlite3() {
        dirs.push(("sqlite3", dir("pipe-theirs")));
    }
    for (program, d) in dirs {
        let got = if program == "dosql" { dosql(&[], script, &d) } else { run("sqlite3", &[], script, &d) };
        assert_eq!(got, ("2\ndef\n3\n4\n".to_string(), String::new(), 0), "{program}");
        let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap_or_default();
        assert_eq!((read("p1.txt"), read("p2.txt")), ("1\nprinted\n".to_string(), "ABC\n".to_string()), "{program}");
    }
}

/// Many texts (words, punctuation, runs of spaces, tabs, newlines) in the
/// aligned modes at every wrap width from 1 to 13, word wrapping on and
/// off, some with `--quote`: the same lines as sqlite3's.
#[test]
fn wrapping_matches_sqlite3_on_many_texts() {
    let words = [
        "a",
        "to",
        "the",
        "quick",
        "brown",
        "fox-trot",
        "x,y",
        "under_score",
        "12345",
        "don't",
        "(paren)",
        "\t",
        "  ",
        "end.",
        "long-hyphenated-word",
        "URL/path/here",
    ];
    let gaps = ["", " ", "  ", "\n", "-", "\t"];
    // A fixed linear congruential sequence: the same texts every run.
    let mut state: u64 = 7;
    let mut next = |n: usize| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        usize::try_from(state >> 33).unwrap_or(0) % n
    };
    let mut script = String::from("create table t(a, b);\n");
    for _ in 0..40 {
        let mut text = String::new();
        for _ in 0..=next(8) {
            text.push_str(words[next(words.len())]);
            text.push_str(gaps[next(gaps.len())]);
        }
        let short = words[next(words.len())].to_string() + " " + words[next(words.len())];
        script.push_str(&format!(
            "insert into t values('{}', '{}');\n",
            text.replace('\'', "''"),
            short.replace('\'', "''")
        ));
    }
    for wrap in 1..14 {
        for ww in ["on", "off"] {
            for mode in ["box", "column", "markdown"] {
                let quote = if wrap % 3 == 0 { " --quote" } else { "" };
                script.push_str(&format!(".mode {mode} --wrap {wrap} --wordwrap {ww}{quote}\n"));
                script.push_str("select a, b as \"hdr with words\" from t;\n");
            }
        }
    }
    let d = dir("wrap-many");
    let (out, err, code) = dosql(&[], &script, &d);
    assert_eq!((err.as_str(), code), ("", 0));
    assert!(out.lines().count() > 10_000, "{}", out.lines().count());
    same_in_memory_as_sqlite3("wrap-many", &script);
}
