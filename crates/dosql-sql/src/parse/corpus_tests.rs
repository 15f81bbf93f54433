//! The sqllogictest corpus: every `statement` and `query` record that SQLite
//! runs must parse, and no prefix of one may make the parser panic.

use std::path::{Path, PathBuf};

use super::{ParseError, parse_sql};

/// One record of a `.test` file.
struct Record {
    file: PathBuf,
    line: usize,
    /// `statement ok`, `statement error` or `query`.
    kind: Kind,
    sql: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    StatementOk,
    StatementError,
    Query,
}

/// Where the corpus lives: `DOSQL_SLT_DIR`, or `shared/slt/sqlite` beside
/// the repository.
fn corpus_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("DOSQL_SLT_DIR").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/slt/sqlite")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_dir())
}

fn test_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            test_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "test") {
            out.push(p);
        }
    }
}

/// The records of one file that SQLite runs (skipping `skipif sqlite` and
/// `onlyif <other>`), up to an unconditional `halt`.
fn records(file: &Path, out: &mut Vec<Record>) {
    let Ok(text) = std::fs::read_to_string(file) else { return };
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut skip = false;
    while i < lines.len() {
        let line = lines[i].trim_end();
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        let second = words.next().unwrap_or("");
        match first {
            "skipif" => {
                skip |= second == "sqlite";
                i += 1;
            }
            "onlyif" => {
                skip |= second != "sqlite";
                i += 1;
            }
            "halt" => {
                if !skip {
                    return;
                }
                skip = false;
                i += 1;
            }
            "statement" | "query" => {
                let kind = match (first, second) {
                    ("query", _) => Kind::Query,
                    (_, "ok") => Kind::StatementOk,
                    _ => Kind::StatementError,
                };
                let start = i + 1;
                let mut j = start;
                while j < lines.len() && !lines[j].trim().is_empty() && lines[j].trim_end() != "----" {
                    j += 1;
                }
                if !skip {
                    out.push(Record {
                        file: file.to_path_buf(),
                        line: start + 1,
                        kind,
                        sql: lines[start..j].join("\n"),
                    });
                }
                skip = false;
                i = j;
                while i < lines.len() && !lines[i].trim().is_empty() {
                    i += 1;
                }
            }
            _ => {
                if line.trim().is_empty() {
                    skip = false;
                }
                i += 1;
            }
        }
    }
}

fn corpus() -> Option<Vec<Record>> {
    let dir = corpus_dir()?;
    let mut files = Vec::new();
    test_files(&dir, &mut files);
    let mut recs = Vec::new();
    for f in &files {
        records(f, &mut recs);
    }
    Some(recs)
}

#[test]
fn corpus_parses() {
    let Some(recs) = corpus() else {
        eprintln!("sqllogictest corpus not found; skipped");
        return;
    };
    let (mut ok, mut unsupported, mut failed) = (0usize, 0usize, Vec::new());
    let (mut err_total, mut err_parsed) = (0usize, 0usize);
    for r in &recs {
        let result = parse_sql(&r.sql);
        if r.kind == Kind::StatementError {
            err_total += 1;
            err_parsed += usize::from(result.is_ok());
            continue;
        }
        match result {
            Ok(_) => ok += 1,
            Err(ParseError::Unsupported(m)) if m.ends_with("is not supported") => unsupported += 1,
            Err(e) => failed.push((r, e.to_string())),
        }
    }
    let total = recs.len() - err_total;
    println!(
        "sqllogictest corpus: {ok} / {total} statement-ok and query records parse, {unsupported} are statements \
         the AST has no place for (CREATE TRIGGER, REINDEX, ...), {} fail; {err_parsed} / {err_total} \
         statement-error records parse",
        failed.len()
    );
    for (r, e) in failed.iter().take(30) {
        println!("  {}:{}: {e}\n    {}", r.file.display(), r.line, r.sql.replace('\n', "\n    "));
    }
    assert!(failed.is_empty(), "{} corpus records failed to parse", failed.len());
}

/// Every prefix (cut at a token boundary or anywhere) of a sample of
/// corpus statements parses or fails cleanly.
#[test]
fn corpus_truncations_do_not_panic() {
    let Some(recs) = corpus() else { return };
    let mut seen = std::collections::HashSet::new();
    let mut sample: Vec<&str> = Vec::new();
    for r in &recs {
        // One statement per distinct pair of leading words.
        let key: String = r.sql.split_whitespace().take(2).collect::<Vec<_>>().join(" ").to_ascii_uppercase();
        if seen.insert(key) {
            sample.push(&r.sql);
        }
    }
    // About 200 statements, each cut everywhere (short ones) or at about 150
    // evenly spread places (long ones).
    let every = (sample.len() / 200).max(1);
    for sql in sample.into_iter().step_by(every) {
        let step = (sql.len() / 150).max(1);
        for (n, (cut, _)) in sql.char_indices().enumerate() {
            if n % step == 0 {
                let _ = parse_sql(&sql[..cut]);
            }
        }
    }
}

/// Result columns without an alias are named by their source text: ours
/// must be SQLite's names, for every corpus query (plain column references
/// aside: SQLite names those by the column, which is the binder's job).
#[test]
fn corpus_result_names_match_sqlite() {
    use crate::ast::{Expr, ResultColumn, SelectBody, Statement};

    let Some(dir) = corpus_dir() else { return };
    let mut files = Vec::new();
    test_files(&dir, &mut files);
    let (mut checked, mut wrong) = (0usize, Vec::new());
    for f in &files {
        let mut recs = Vec::new();
        records(f, &mut recs);
        let Ok(db) = rusqlite::Connection::open_in_memory() else { return };
        for r in &recs {
            if r.kind != Kind::Query {
                let _ = db.execute_batch(&r.sql);
                continue;
            }
            let Ok(stmt) = db.prepare(&r.sql) else { continue };
            let names: Vec<String> = stmt.column_names().map(String::from).collect();
            let Ok(mut parsed) = parse_sql(&r.sql) else { continue };
            let Some(Statement::Select(select)) = parsed.pop().map(|p| p.statement) else { continue };
            let SelectBody::Select(core) = &select.body else { continue };
            for (i, c) in core.columns.iter().enumerate() {
                match c {
                    ResultColumn::Expr { expr, alias, span } => {
                        if alias.is_none() && matches!(expr, Expr::Column { .. }) {
                            continue;
                        }
                        checked += 1;
                        let ours = alias.as_ref().unwrap_or(span);
                        if names.get(i) != Some(ours) {
                            wrong.push(format!(
                                "{}:{}: {ours:?} vs SQLite's {:?}",
                                r.file.display(),
                                r.line,
                                names.get(i)
                            ));
                        }
                    }
                    // `*` expands to several columns: stop comparing here.
                    _ => break,
                }
            }
        }
    }
    println!("corpus result column names: {} / {checked} match SQLite's", checked - wrong.len());
    for w in wrong.iter().take(20) {
        println!("  {w}");
    }
    assert!(wrong.is_empty());
}
