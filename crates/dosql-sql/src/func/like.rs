//! LIKE and GLOB pattern matching with SQLite's semantics.
//!
//! LIKE is case-insensitive for ASCII letters only (SQLite without ICU),
//! `%` matches any sequence, `_` any single character, and an optional
//! ESCAPE character makes the next pattern character literal.  GLOB is
//! case-sensitive with `*`, `?` and `[...]` character classes (`^` negates,
//! `a-z` ranges, a leading `]` is literal).

use crate::func::scalar::c_text;
use crate::value::Value;

/// SQLite's default `SQLITE_LIMIT_LIKE_PATTERN_LENGTH`.
const MAX_PATTERN_BYTES: usize = 50_000;

#[derive(Clone, Copy)]
struct Info {
    match_all: Option<char>,
    match_one: Option<char>,
    match_set: bool,
    no_case: bool,
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum M {
    Match,
    NoMatch,
    NoWildcardMatch,
}

fn eq_nocase(a: char, b: char) -> bool {
    a == b || (a.is_ascii() && b.is_ascii() && a.eq_ignore_ascii_case(&b))
}

fn pattern_compare(pat: &[char], s: &[char], info: &Info, match_other: Option<char>) -> M {
    let (mut p, mut i) = (0usize, 0usize);
    let mut escaped_at: Option<usize> = None;
    while p < pat.len() {
        let c = pat[p];
        p += 1;
        if Some(c) == info.match_all {
            // Skip further '%' / '_' in the pattern.
            let mut c2 = None;
            while p < pat.len() {
                let cc = pat[p];
                p += 1;
                if Some(cc) == info.match_all {
                    continue;
                }
                if Some(cc) == info.match_one {
                    if i >= s.len() {
                        return M::NoWildcardMatch;
                    }
                    i += 1;
                    continue;
                }
                c2 = Some(cc);
                break;
            }
            let Some(mut c) = c2 else { return M::Match };
            if Some(c) == match_other {
                if !info.match_set {
                    if p >= pat.len() {
                        return M::NoWildcardMatch;
                    }
                    c = pat[p];
                    p += 1;
                } else {
                    // "[...]" right after "*": try every position.
                    while i < s.len() {
                        let r = pattern_compare(&pat[p - 1..], &s[i..], info, match_other);
                        if r != M::NoMatch {
                            return r;
                        }
                        i += 1;
                    }
                    return M::NoWildcardMatch;
                }
            }
            while i < s.len() {
                let c2 = s[i];
                i += 1;
                let hit = if info.no_case && c.is_ascii() { eq_nocase(c, c2) } else { c == c2 };
                if hit {
                    let r = pattern_compare(&pat[p..], &s[i..], info, match_other);
                    if r != M::NoMatch {
                        return r;
                    }
                }
            }
            return M::NoWildcardMatch;
        }
        if Some(c) == match_other {
            if !info.match_set {
                if p >= pat.len() {
                    return M::NoMatch;
                }
                let lit = pat[p];
                p += 1;
                escaped_at = Some(p);
                if i >= s.len() {
                    return M::NoMatch;
                }
                let c2 = s[i];
                i += 1;
                if lit == c2 || (info.no_case && eq_nocase(lit, c2)) {
                    continue;
                }
                return M::NoMatch;
            } else {
                if i >= s.len() {
                    return M::NoMatch;
                }
                let c = s[i];
                i += 1;
                let mut seen = false;
                let mut invert = false;
                let mut prior: Option<char> = None;
                let next = |p: &mut usize| -> Option<char> {
                    let r = pat.get(*p).copied();
                    if r.is_some() {
                        *p += 1;
                    }
                    r
                };
                let mut c2 = next(&mut p);
                if c2 == Some('^') {
                    invert = true;
                    c2 = next(&mut p);
                }
                if c2 == Some(']') {
                    if c == ']' {
                        seen = true;
                    }
                    c2 = next(&mut p);
                }
                while let Some(cc) = c2 {
                    if cc == ']' {
                        break;
                    }
                    let peek = pat.get(p).copied();
                    if cc == '-' && peek.is_some() && peek != Some(']') && prior.is_some() {
                        let hi = next(&mut p).unwrap_or('\0');
                        if let Some(lo) = prior
                            && c >= lo
                            && c <= hi
                        {
                            seen = true;
                        }
                        prior = None;
                    } else {
                        if c == cc {
                            seen = true;
                        }
                        prior = Some(cc);
                    }
                    c2 = next(&mut p);
                }
                if c2.is_none() || seen == invert {
                    return M::NoMatch;
                }
                continue;
            }
        }
        if i >= s.len() {
            return M::NoMatch;
        }
        let c2 = s[i];
        i += 1;
        if c == c2 {
            continue;
        }
        if info.no_case && c.is_ascii() && c2.is_ascii() && eq_nocase(c, c2) {
            continue;
        }
        if Some(c) == info.match_one && escaped_at != Some(p) {
            continue;
        }
        return M::NoMatch;
    }
    if i >= s.len() { M::Match } else { M::NoMatch }
}

fn chars_upto_nul(s: &str) -> Vec<char> {
    s.chars().take_while(|&c| c != '\0').collect()
}

/// `string LIKE pattern [ESCAPE esc]` (NULL if any operand is NULL).
pub fn like(pattern: &Value, string: &Value, escape: Option<&Value>) -> Result<Value, String> {
    like_or_glob(pattern, string, escape, false)
}

/// `string GLOB pattern` (NULL if either operand is NULL).
pub fn glob(pattern: &Value, string: &Value) -> Result<Value, String> {
    like_or_glob(pattern, string, None, true)
}

fn like_or_glob(pattern: &Value, string: &Value, escape: Option<&Value>, is_glob: bool) -> Result<Value, String> {
    if let Some(b) = pattern.as_bytes()
        && b.len() > MAX_PATTERN_BYTES
    {
        return Err("LIKE or GLOB pattern too complex".to_string());
    }
    let mut info = if is_glob {
        Info { match_all: Some('*'), match_one: Some('?'), match_set: true, no_case: false }
    } else {
        Info { match_all: Some('%'), match_one: Some('_'), match_set: false, no_case: true }
    };
    let mut other = if is_glob { Some('[') } else { None };
    if let Some(e) = escape {
        let Some(es) = c_text(e) else { return Ok(Value::Null) };
        let ec: Vec<char> = es.chars().collect();
        if ec.len() != 1 {
            return Err("ESCAPE expression must be a single character".to_string());
        }
        let esc = ec[0];
        if Some(esc) == info.match_all {
            info.match_all = None;
        }
        if Some(esc) == info.match_one {
            info.match_one = None;
        }
        other = Some(esc);
    }
    let (Some(p), Some(s)) = (c_text(pattern), c_text(string)) else { return Ok(Value::Null) };
    let r = pattern_compare(&chars_upto_nul(&p), &chars_upto_nul(&s), &info, other);
    Ok(Value::Integer(i64::from(r == M::Match)))
}

/// The `like(pattern, string [, escape])` SQL function.
pub fn like_func(a: &[Value]) -> Result<Value, String> {
    like(&a[0], &a[1], a.get(2))
}

/// The `glob(pattern, string)` SQL function.
pub fn glob_func(a: &[Value]) -> Result<Value, String> {
    glob(&a[0], &a[1])
}
