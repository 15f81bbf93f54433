//! Whether a piece of SQL text ends a statement, as `sqlite3_complete`
//! decides it: the shell keeps reading lines until this says yes.
//!
//! A statement ends at a `;` that is not inside a string literal, a quoted
//! identifier (`"x"`, `` `x` ``, `[x]`) or a comment, and — for `CREATE
//! [TEMP] TRIGGER` — not inside the trigger's `BEGIN ... END` body: there
//! only a `;` after the `END` that follows a `;` ends it. It does not parse
//! the SQL; a text that ends "complete" may still be wrong, which running it
//! reports.

/// What the checker cares about in a token.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Semi,
    Explain,
    Create,
    Temp,
    Trigger,
    End,
    Other,
}

/// Where the checker is in a statement.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before any token of a statement (after a `;`, or at the start).
    Start,
    /// Inside an ordinary statement.
    Normal,
    /// After `EXPLAIN` (which may precede `CREATE`).
    Explain,
    /// After `CREATE` (and any `TEMP`).
    Create,
    /// Inside a trigger's text.
    Trigger,
    /// Inside a trigger, right after a `;`.
    TriggerSemi,
    /// Inside a trigger, after `; END`.
    TriggerEnd,
}

/// Whether `sql` holds at least one `;`-terminated statement and nothing
/// after the last one but whitespace and comments. Unterminated strings,
/// quoted identifiers and block comments make it incomplete.
pub fn is_complete(sql: &str) -> bool {
    let mut state = State::Start;
    let mut ended = false;
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        let tok = match c {
            c if c.is_whitespace() => continue,
            ';' => Tok::Semi,
            '-' if chars.peek().is_some_and(|&(_, n)| n == '-') => {
                // A line comment runs to the end of the line.
                if !chars.by_ref().any(|(_, n)| n == '\n') {
                    break;
                }
                continue;
            }
            '/' if chars.peek().is_some_and(|&(_, n)| n == '*') => {
                chars.next();
                let mut prev = ' ';
                let mut closed = false;
                for (_, n) in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        closed = true;
                        break;
                    }
                    prev = n;
                }
                if !closed {
                    return false;
                }
                continue;
            }
            '\'' | '"' | '`' | '[' => {
                let close = if c == '[' { ']' } else { c };
                // A doubled quote inside is an escaped quote: it closes and
                // reopens, which this loop treats as two quoted runs.
                if !chars.by_ref().any(|(_, n)| n == close) {
                    return false;
                }
                Tok::Other
            }
            c if is_word_char(c) => {
                let mut word = String::from(c);
                while let Some(&(_, n)) = chars.peek() {
                    if !is_word_char(n) {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                keyword(&word)
            }
            _ => Tok::Other,
        };
        state = next(state, tok);
        ended = state == State::Start;
    }
    ended
}

/// Characters of identifiers and keywords (and numbers: they are "other").
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// The checker's kind of a word.
fn keyword(word: &str) -> Tok {
    match word.to_ascii_uppercase().as_str() {
        "EXPLAIN" => Tok::Explain,
        "CREATE" => Tok::Create,
        "TEMP" | "TEMPORARY" => Tok::Temp,
        "TRIGGER" => Tok::Trigger,
        "END" => Tok::End,
        _ => Tok::Other,
    }
}

/// The state after `tok` in `state`.
fn next(state: State, tok: Tok) -> State {
    use State as S;
    match (state, tok) {
        (S::TriggerEnd, Tok::Semi) => S::Start,
        (S::Trigger, Tok::Semi) => S::TriggerSemi,
        (S::TriggerSemi, Tok::Semi) => S::TriggerSemi,
        (S::TriggerSemi, Tok::End) => S::TriggerEnd,
        (S::TriggerSemi | S::Trigger, _) => S::Trigger,
        // `END ;` closes the trigger; `END` followed by anything else was
        // a word inside the body (`CASE ... END`).
        (S::TriggerEnd, _) => S::Trigger,
        (_, Tok::Semi) => S::Start,
        (S::Start, Tok::Explain) => S::Explain,
        (S::Start | S::Explain, Tok::Create) => S::Create,
        (S::Create, Tok::Temp) => S::Create,
        (S::Create, Tok::Trigger) => S::Trigger,
        _ => S::Normal,
    }
}

#[cfg(test)]
mod tests {
    use super::is_complete;

    #[test]
    fn plain_statements() {
        assert!(is_complete("select 1;"));
        assert!(is_complete("select 1;\n"));
        assert!(is_complete("select 1; select 2;"));
        assert!(is_complete("select 1; -- trailing comment\n"));
        assert!(is_complete(";"));
        assert!(!is_complete("select 1"));
        assert!(!is_complete("select 1; select 2"));
        assert!(!is_complete(""));
        assert!(!is_complete("   \n-- only a comment\n"));
    }

    #[test]
    fn semicolons_inside_literals_and_comments() {
        assert!(!is_complete("select ';"));
        assert!(is_complete("select ';';"));
        assert!(is_complete("select 'it''s; fine';"));
        assert!(!is_complete("select 'it''s; fine"));
        assert!(!is_complete("select \"a;b"));
        assert!(is_complete("select 1 as \"a;b\";"));
        assert!(is_complete("select 1 as [a;b];"));
        assert!(!is_complete("select 1 as [a;b"));
        assert!(is_complete("select 1 as `a;b`;"));
        assert!(!is_complete("select 1 -- ;\n"));
        assert!(!is_complete("select 1 /* ; */"));
        assert!(!is_complete("select 1; /* ; "));
        assert!(is_complete("select 1 /* ; */;"));
        assert!(!is_complete("select 1 -- ;"));
    }

    #[test]
    fn trigger_bodies() {
        let t = "create trigger tr after insert on t begin insert into u values(1);";
        assert!(!is_complete(t));
        assert!(!is_complete(&format!("{t} update u set a = 2;")));
        assert!(!is_complete(&format!("{t} end")));
        assert!(is_complete(&format!("{t} end;")));
        assert!(is_complete(&format!("{t} END ;\n")));
        assert!(is_complete("CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;"));
        assert!(is_complete("create temporary trigger tr after insert on t begin select 1; end;"));
        assert!(is_complete("EXPLAIN CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;"));
        // CASE ... END inside a body does not end the trigger.
        let case = "create trigger tr after insert on t begin select case when 1 then 2 end;";
        assert!(!is_complete(case));
        assert!(is_complete(&format!("{case} end;")));
        // `end` as a word inside the body after a `;` only ends it before `;`.
        assert!(!is_complete(&format!("{case} end as x")));
        // Not a trigger: the word trigger elsewhere.
        assert!(is_complete("create table trigger(x);"));
        assert!(is_complete("select trigger from t;"));
        assert!(is_complete("create table t(a); create trigger x after insert on t begin select 1; end;"));
    }
}
