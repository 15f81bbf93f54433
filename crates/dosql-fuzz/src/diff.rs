//! The differential harness: runs [`diffgen`](crate::diffgen) scripts on a
//! reference engine (SQLite, supplied by the caller so this crate does not
//! depend on it) and on DoSQL, and compares, statement by statement:
//! - rows, as multisets unless the statement's `ORDER BY` orders them
//!   completely ([`Check`]); reals agree within a relative 1e-9;
//! - failure versus success; when both fail, the messages (a different
//!   message is counted apart from result mismatches);
//! - the changed-row counts of `INSERT`, `UPDATE` and `DELETE`.
//!
//! A script stops at its first mismatch (the two databases may differ from
//! there on), so the mismatch count is the number of diverging scripts.
//! [`minimize_diff`] shrinks a mismatching script by dropping statements
//! while the same statement still mismatches first.
//!
//! The hook for more ways of running DoSQL: [`Engine::variants`]. After a
//! query has run, the harness asks the engine under test for other answers
//! to the same query on the same state and compares each with the
//! reference too (the mismatch names the variant). [`Dosql`] answers every
//! query a second time with index and rowid lookups switched off
//! ([`dosql_sql::Connection::set_index_lookups`]), so a plan that changes a
//! result is a mismatch, and a third time through
//! [`dosql_sql::Connection::query_stream`], so reading rows as they are
//! pulled must give the complete run's answer.
//!
//! Left out: statements are run one at a time as whole texts (no bound
//! parameters), and column names are not compared.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::time::Instant;

use dosql_sql::{Connection, Value};

use crate::diffgen::{Check, Deviations, DiffGenerator, DiffStatement};
use crate::{Active, FindingKind, Options, guarded};

/// What a statement produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Success: the rows (empty for statements without results) and the
    /// changed-row count (meaningful for data changes only).
    Rows {
        /// The result rows.
        rows: Vec<Vec<Value>>,
        /// Rows inserted, updated or deleted.
        changes: u64,
    },
    /// The statement failed with this message.
    Error(String),
    /// The engine panicked (always a mismatch).
    Panic(String),
}

impl Answer {
    /// A readable rendering (rows one per line; the change count only for
    /// statements checked as data changes).
    pub fn render(&self, check: Check) -> String {
        match self {
            Answer::Rows { rows, changes } => {
                let mut s = if check == Check::Changes {
                    format!("{} rows, {changes} changes", rows.len())
                } else {
                    format!("{} rows", rows.len())
                };
                for r in rows.iter().take(40) {
                    let cells: Vec<String> = r.iter().map(show).collect();
                    let _ = write!(s, "\n      ({})", cells.join(", "));
                }
                if rows.len() > 40 {
                    let _ = write!(s, "\n      ... {} more", rows.len() - 40);
                }
                s
            }
            Answer::Error(m) => format!("error: {m}"),
            Answer::Panic(m) => format!("PANIC: {m}"),
        }
    }
}

/// A value the way SQL would write it.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => format!("{r:?}"),
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Blob(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
            format!("X'{hex}'")
        }
    }
}

/// Something that runs SQL statements on one database.
pub trait Engine {
    /// Runs one statement.
    fn run(&mut self, sql: &str) -> Answer;

    /// Other answers to the query `sql` (just run by [`Engine::run`]) on
    /// the same state, each with a name (DoSQL's: the query run again with
    /// index use forced off). The harness compares each with the
    /// reference's answer. None by default.
    fn variants(&mut self, _sql: &str) -> Vec<(String, Answer)> {
        Vec::new()
    }
}

/// DoSQL on a fresh in-memory database; panics become [`Answer::Panic`].
pub struct Dosql {
    conn: Connection,
}

impl Dosql {
    /// Opens a fresh in-memory database.
    pub fn new() -> Result<Self, String> {
        Connection::open_in_memory().map(|conn| Dosql { conn }).map_err(|e| e.to_string())
    }
}

impl Dosql {
    /// The query read through [`Connection::query_stream`] (joins and
    /// sorts pulled row by row), each row decoded over the previous one
    /// (`RowStream::next_into`, so reused allocations are checked too):
    /// its rows, or the error that ended it.
    fn stream(&mut self, sql: &str) -> Answer {
        let _active = Active::new();
        let rows = guarded(|| {
            let mut stream = self.conn.query_stream(sql, &[])?;
            let (mut row, mut rows) = (Vec::new(), Vec::new());
            while stream.next_into(&mut row)? {
                rows.push(row.clone());
            }
            Ok::<_, dosql_sql::Error>(rows)
        });
        match rows {
            Ok(Ok(rows)) => Answer::Rows { rows, changes: 0 },
            Ok(Err(e)) => Answer::Error(e.to_string()),
            Err(FindingKind::Panic { message, location, .. }) => Answer::Panic(format!("{message} at {location}")),
            Err(other) => Answer::Panic(format!("{other:?}")),
        }
    }
}

impl Engine for Dosql {
    fn run(&mut self, sql: &str) -> Answer {
        let _active = Active::new();
        match guarded(|| self.conn.execute(sql)) {
            Ok(Ok(mut results)) => {
                let last = results.pop().unwrap_or_default();
                Answer::Rows { rows: last.rows, changes: last.changes }
            }
            Ok(Err(e)) => Answer::Error(e.to_string()),
            Err(FindingKind::Panic { message, location, .. }) => Answer::Panic(format!("{message} at {location}")),
            Err(other) => Answer::Panic(format!("{other:?}")),
        }
    }

    /// The query again with every table scanned (no index or rowid
    /// lookups): a plan must never change a result. Only for statements
    /// that are all queries, which running twice cannot change.
    fn variants(&mut self, sql: &str) -> Vec<(String, Answer)> {
        let queries_only = dosql_sql::parse::parse_sql(sql).is_ok_and(|s| {
            !s.is_empty() && s.iter().all(|p| matches!(p.statement, dosql_sql::ast::Statement::Select(_)))
        });
        if !queries_only || self.conn.set_index_lookups(false).is_err() {
            return Vec::new();
        }
        let answer = self.run(sql);
        if let Err(e) = self.conn.set_index_lookups(true) {
            return vec![("dosql, switching index lookups back on".into(), Answer::Error(e.to_string()))];
        }
        vec![("dosql scanning every table".into(), answer), ("dosql streaming the rows".into(), self.stream(sql))]
    }
}

/// How two answers to one statement compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// They agree.
    Same,
    /// Both failed, with different messages.
    MessageDiffers,
    /// They disagree.
    Mismatch,
}

/// Compares `got` with the reference's `want` for a statement checked as `check`.
pub fn compare(check: Check, want: &Answer, got: &Answer) -> Verdict {
    match (want, got) {
        (_, Answer::Panic(_)) | (Answer::Panic(_), _) => Verdict::Mismatch,
        (Answer::Error(w), Answer::Error(g)) => {
            if w == g {
                Verdict::Same
            } else {
                Verdict::MessageDiffers
            }
        }
        (Answer::Rows { rows: w, changes: wc }, Answer::Rows { rows: g, changes: gc }) => {
            if check == Check::Changes && wc != gc {
                return Verdict::Mismatch;
            }
            if check == Check::Schema || same_rows(w, g, check == Check::Ordered) {
                Verdict::Same
            } else {
                Verdict::Mismatch
            }
        }
        _ => Verdict::Mismatch,
    }
}

/// Whether two row lists agree, in order or as multisets.
pub fn same_rows(want: &[Vec<Value>], got: &[Vec<Value>], ordered: bool) -> bool {
    if want.len() != got.len() {
        return false;
    }
    let same_row = |a: &Vec<Value>, b: &Vec<Value>| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y));
    if ordered {
        return want.iter().zip(got).all(|(a, b)| same_row(a, b));
    }
    let mut w: Vec<&Vec<Value>> = want.iter().collect();
    let mut g: Vec<&Vec<Value>> = got.iter().collect();
    w.sort_by(|a, b| cmp_rows(a, b));
    g.sort_by(|a, b| cmp_rows(a, b));
    w.iter().zip(&g).all(|(a, b)| same_row(a, b))
}

/// Value equality: NaN equals NaN, reals agree within a relative 1e-9
/// (an engine may sum in another order), an integer never equals a real.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Real(x), Value::Real(y)) => {
            x == y || (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * x.abs().max(y.abs())
        }
        _ => a == b,
    }
}

/// A total order on rows for sorting multisets: by type, then value.
fn cmp_rows(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = cmp_values(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

fn cmp_values(a: &Value, b: &Value) -> Ordering {
    let rank = |v: &Value| match v {
        Value::Null => 0,
        Value::Integer(_) => 1,
        Value::Real(_) => 2,
        Value::Text(_) => 3,
        Value::Blob(_) => 4,
    };
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Real(x), Value::Real(y)) => x.total_cmp(y),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// A statement on which the engine under test disagreed with the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The script up to and including the statement.
    pub script: Vec<DiffStatement>,
    /// Which engine answered `got`: `dosql`, or a variant's name.
    pub engine: String,
    /// [`Verdict::Mismatch`], or [`Verdict::MessageDiffers`] when both failed.
    pub verdict: Verdict,
    /// The reference's answer.
    pub want: Answer,
    /// The engine's answer.
    pub got: Answer,
}

impl Mismatch {
    /// How the statement that disagreed is checked.
    pub fn check(&self) -> Check {
        self.script.last().map_or(Check::Unordered, |st| st.check)
    }

    /// The statement that disagreed.
    pub fn statement(&self) -> &str {
        self.script.last().map_or("", |s| s.sql.as_str())
    }

    /// The script, the statement and both answers.
    pub fn describe(&self) -> String {
        let mut s = String::from("  script:\n");
        for st in self.script.iter().take(self.script.len().saturating_sub(1)) {
            let _ = writeln!(s, "    {};", st.sql);
        }
        let check = self.check();
        let _ = writeln!(s, "  statement ({check:?}):\n    {};", self.statement());
        let _ = writeln!(s, "  sqlite: {}", self.want.render(check));
        let _ = write!(s, "  {}: {}", self.engine, self.got.render(check));
        s
    }
}

/// What running one script found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptDiff {
    /// Statements run.
    pub statements: u64,
    /// Statements the reference rejected.
    pub reference_errors: u64,
    /// Both failed with different messages.
    pub message_diffs: Vec<Mismatch>,
    /// The first mismatch, which ends the script.
    pub mismatch: Option<Mismatch>,
}

/// Runs `script` on both engines, stopping at the first mismatch.
pub fn diff_script(script: &[DiffStatement], reference: &mut dyn Engine, subject: &mut dyn Engine) -> ScriptDiff {
    let mut out = ScriptDiff::default();
    for (i, st) in script.iter().enumerate() {
        out.statements += 1;
        let want = reference.run(&st.sql);
        if matches!(want, Answer::Error(_)) {
            out.reference_errors += 1;
        }
        let mut answers = vec![("dosql".to_owned(), subject.run(&st.sql))];
        if matches!(st.check, Check::Ordered | Check::Unordered) {
            answers.extend(subject.variants(&st.sql));
        }
        let prefix = || script.get(..=i).map(<[_]>::to_vec).unwrap_or_default();
        for (engine, got) in answers {
            let verdict = compare(st.check, &want, &got);
            let found = || Mismatch { script: prefix(), engine, verdict, want: want.clone(), got };
            match verdict {
                Verdict::Same => {}
                Verdict::MessageDiffers => out.message_diffs.push(found()),
                Verdict::Mismatch => {
                    out.mismatch = Some(found());
                    return out;
                }
            }
        }
    }
    out
}

/// Makes a fresh engine (a fresh, empty database).
pub type MakeEngine<'a> = &'a dyn Fn() -> Box<dyn Engine>;

/// Shrinks a mismatch: drops chunks of the statements before the
/// mismatching one (halving the chunk size down to one) while that
/// statement is still the first to mismatch (for a message difference:
/// while its messages still differ and nothing mismatches before it).
pub fn minimize_diff(found: &Mismatch, reference: MakeEngine<'_>, subject: MakeEngine<'_>) -> Mismatch {
    let mut best = found.clone();
    let mut chunk = best.script.len().div_ceil(2).max(1);
    loop {
        let mut start = 0;
        // The last statement is the one that must keep mismatching.
        while start + 1 < best.script.len() {
            let mut candidate = best.script.clone();
            let end = (start + chunk).min(candidate.len() - 1);
            candidate.drain(start..end);
            let mut run = diff_script(&candidate, reference().as_mut(), subject().as_mut());
            let again = match found.verdict {
                Verdict::MessageDiffers if run.mismatch.is_none() => run.message_diffs.pop(),
                _ => run.mismatch,
            };
            match again {
                Some(m) if m.script.len() == candidate.len() && m.verdict == found.verdict => best = m,
                _ => start += chunk,
            }
        }
        if chunk == 1 {
            return best;
        }
        chunk = chunk.div_ceil(2);
    }
}

/// The script a differential run with `seed` uses as its `index`-th
/// (avoiding the known deviations).
pub fn diff_script_for(seed: u64, index: u64) -> Vec<DiffStatement> {
    diff_script_with(seed, index, Deviations::Avoid)
}

/// [`diff_script_for`], choosing whether to include the known deviations.
pub fn diff_script_with(seed: u64, index: u64, deviations: Deviations) -> Vec<DiffStatement> {
    // Mixed, so runs with nearby seeds do not share scripts.
    let script_seed = (seed.wrapping_mul(0xD134_2543_DE82_EF95) ^ index).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // Lengths vary so both fresh and much-changed tables are exercised.
    let work = 40 + (script_seed >> 57) as usize;
    DiffGenerator::with_deviations(script_seed, deviations).script(work)
}

/// How many mismatches a [`diff_fuzz`] run minimizes and keeps (all are counted).
pub const MAX_DIFF_FINDINGS: usize = 5;
/// How many message differences a run minimizes and keeps as examples
/// (all are counted).
pub const MAX_MESSAGE_EXAMPLES: usize = 5;

/// What a [`diff_fuzz`] run found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiffReport {
    /// Scripts run.
    pub scripts: u64,
    /// Statements run.
    pub statements: u64,
    /// Statements the reference rejected (both engines then had to fail).
    pub reference_errors: u64,
    /// Scripts that ended in a mismatch.
    pub mismatches: u64,
    /// Statements where both failed with different messages.
    pub message_diffs: u64,
    /// The first mismatches, minimized.
    pub findings: Vec<Mismatch>,
    /// The first message differences, minimized.
    pub message_examples: Vec<Mismatch>,
}

impl DiffReport {
    /// `N statements, N mismatches`.
    pub fn summary(&self) -> String {
        format!("{} statements, {} mismatches", self.statements, self.mismatches)
    }
}

/// Runs differential scripts from `opts.seed` until the budget is spent
/// (with neither limit, 2,000 statements); `progress` sees the report
/// after each script. The first [`MAX_DIFF_FINDINGS`] mismatches are
/// minimized. `deviations` says whether scripts may contain the patterns
/// DoSQL is known to get wrong.
pub fn diff_fuzz(
    opts: &Options,
    deviations: Deviations,
    reference: MakeEngine<'_>,
    subject: MakeEngine<'_>,
    mut progress: impl FnMut(&DiffReport),
) -> DiffReport {
    let started = Instant::now();
    let budget = match (opts.statements, opts.duration) {
        (None, None) => Some(2_000),
        (s, _) => s,
    };
    let mut report = DiffReport::default();
    loop {
        if budget.is_some_and(|n| report.statements >= n) || opts.duration.is_some_and(|d| started.elapsed() >= d) {
            return report;
        }
        let script = diff_script_with(opts.seed, report.scripts, deviations);
        let run = diff_script(&script, reference().as_mut(), subject().as_mut());
        report.scripts += 1;
        report.statements += run.statements;
        report.reference_errors += run.reference_errors;
        report.message_diffs += run.message_diffs.len() as u64;
        for m in run.message_diffs {
            // One example per statement shape: the first word and the message.
            let shape = |m: &Mismatch| (m.statement().split(' ').next().map(str::to_owned), m.want.clone());
            if report.message_examples.len() < MAX_MESSAGE_EXAMPLES
                && !report.message_examples.iter().any(|e| shape(e) == shape(&m))
            {
                report.message_examples.push(minimize_diff(&m, reference, subject));
            }
        }
        if let Some(m) = run.mismatch {
            report.mismatches += 1;
            if report.findings.len() < MAX_DIFF_FINDINGS {
                report.findings.push(minimize_diff(&m, reference, subject));
            }
        }
        progress(&report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(v: &[&[i64]]) -> Answer {
        Answer::Rows { rows: v.iter().map(|r| r.iter().map(|&i| Value::Integer(i)).collect()).collect(), changes: 0 }
    }

    #[test]
    fn multisets_ignore_order_but_not_multiplicity() {
        assert_eq!(compare(Check::Unordered, &rows(&[&[1], &[2]]), &rows(&[&[2], &[1]])), Verdict::Same);
        assert_eq!(compare(Check::Ordered, &rows(&[&[1], &[2]]), &rows(&[&[2], &[1]])), Verdict::Mismatch);
        assert_eq!(compare(Check::Unordered, &rows(&[&[1], &[1]]), &rows(&[&[1]])), Verdict::Mismatch);
        assert_eq!(
            compare(Check::Unordered, &rows(&[&[1], &[1], &[2]]), &rows(&[&[1], &[2], &[2]])),
            Verdict::Mismatch
        );
    }

    #[test]
    fn reals_have_a_tolerance_and_types_matter() {
        assert!(same(&Value::Real(0.1 + 0.2), &Value::Real(0.3)));
        assert!(!same(&Value::Real(0.3), &Value::Real(0.31)));
        assert!(!same(&Value::Integer(1), &Value::Real(1.0)));
        assert!(same(&Value::Real(f64::NAN), &Value::Real(f64::NAN)));
    }

    #[test]
    fn errors_changes_and_panics() {
        let e = |m: &str| Answer::Error(m.into());
        assert_eq!(compare(Check::Unordered, &e("x"), &e("x")), Verdict::Same);
        assert_eq!(compare(Check::Unordered, &e("x"), &e("y")), Verdict::MessageDiffers);
        assert_eq!(compare(Check::Unordered, &e("x"), &rows(&[])), Verdict::Mismatch);
        assert_eq!(compare(Check::Schema, &e("x"), &Answer::Panic("p".into())), Verdict::Mismatch);
        let changed = |n| Answer::Rows { rows: Vec::new(), changes: n };
        assert_eq!(compare(Check::Changes, &changed(2), &changed(3)), Verdict::Mismatch);
        assert_eq!(compare(Check::Unordered, &changed(2), &changed(3)), Verdict::Same);
    }
}
