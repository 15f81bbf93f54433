//! JSON path evaluation: lookup of `$.a[2]."b c"[#-1]` style paths and the
//! edits made by `json_set`, `json_insert`, `json_replace` and `json_remove`.
//!
//! As in SQLite, a path is interpreted lazily while the document is walked:
//! a syntax error after a step that finds nothing is not reported (the
//! result is simply "not found").  Paths here are the text after the `$`.

use super::node::{MAX_DEPTH, Node, labels_equal};

/// Why a lookup did not produce a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupErr {
    /// The path is well-formed so far but names nothing.
    NotFound,
    /// Syntax error in the path.
    PathError,
    /// The path is nested too deeply.
    TooDeep,
    /// `json_array_insert` aimed at something that is not an array element.
    NotArray,
}

/// The kind of edit applied at the end of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Remove the element.
    Del,
    /// Insert if absent.
    Ins,
    /// Replace if present.
    Repl,
    /// Insert or replace.
    Set,
    /// Insert into an array before the element (`json_array_insert`).
    ArrayIns,
}

/// One parsed path step and the rest of the path.
enum StepKind<'p> {
    /// `.key` / `."key"`: the key text, whether it is escape-free, rest.
    Key(&'p str, bool, &'p str),
    /// `[n]` / `[#]` / `[#-n]`: the 0-based position (saturated), rest.
    Index(u64, &'p str),
}

/// Accumulate decimal digits, saturating like SQLite so huge indexes give
/// "not found" instead of overflowing.
fn digits(p: &[u8], mut i: usize) -> (u64, usize) {
    let mut k: u64 = 0;
    while let Some(&c) = p.get(i).filter(|c| c.is_ascii_digit()) {
        if k < 0xffff_ffff {
            k = k * 10 + u64::from(c - b'0');
        }
        i += 1;
    }
    (k, i)
}

/// Parse the leading step of a non-empty path applied to `node`, checking
/// in SQLite's order: a key's syntax before the node's type, but an index
/// step on a non-array, or `[#-n]` past the start, is "not found" before
/// the rest of the index is checked.
fn parse_step<'p>(path: &'p str, node: &Node) -> Result<StepKind<'p>, LookupErr> {
    let p = path.as_bytes();
    match p.first() {
        Some(b'.') => {
            if p.get(1) == Some(&b'"') {
                let mut i = 2;
                while let Some(&c) = p.get(i) {
                    if c == b'"' {
                        break;
                    }
                    if c == b'\\' && p.get(i + 1).is_some() {
                        i += 1;
                    }
                    i += 1;
                }
                if p.get(i) != Some(&b'"') {
                    return Err(LookupErr::PathError);
                }
                let key = path.get(2..i).ok_or(LookupErr::PathError)?;
                let rest = path.get(i + 1..).ok_or(LookupErr::PathError)?;
                Ok(StepKind::Key(key, !key.contains('\\'), rest))
            } else {
                let end = p.iter().skip(1).position(|&c| c == b'.' || c == b'[').map_or(p.len(), |n| n + 1);
                if end == 1 {
                    return Err(LookupErr::PathError);
                }
                let key = path.get(1..end).ok_or(LookupErr::PathError)?;
                Ok(StepKind::Key(key, true, path.get(end..).unwrap_or("")))
            }
        }
        Some(b'[') => {
            let Node::Array(items) = node else { return Err(LookupErr::NotFound) };
            let (k, i) = digits(p, 1);
            if i >= 2 && p.get(i) == Some(&b']') {
                return Ok(StepKind::Index(k, path.get(i + 1..).unwrap_or("")));
            }
            if p.get(1) != Some(&b'#') {
                return Err(LookupErr::PathError);
            }
            let mut k = items.len() as u64;
            let mut i = 2;
            if p.get(2) == Some(&b'-') && p.get(3).is_some_and(|c| c.is_ascii_digit()) {
                let (back, end) = digits(p, 3);
                i = end;
                k = k.checked_sub(back).ok_or(LookupErr::NotFound)?;
            }
            if p.get(i) != Some(&b']') {
                return Err(LookupErr::PathError);
            }
            Ok(StepKind::Index(k, path.get(i + 1..).unwrap_or("")))
        }
        _ => Err(LookupErr::PathError),
    }
}

/// Position of the first member whose label equals `key`.
fn find_label(members: &[(Node, Node)], key: &str, raw: bool) -> Option<usize> {
    members.iter().position(|(k, _)| k.label().is_some_and(|(l, lraw)| labels_equal(key, raw, l, lraw)))
}

/// Find the node at `path` (the text after `$`).
pub fn lookup<'a>(node: &'a Node, path: &str) -> Result<&'a Node, LookupErr> {
    lookup_member(node, path).map(|(n, _)| n)
}

/// Like [`lookup`], also giving the label when the last step selected an
/// object member.
pub fn lookup_member<'a>(node: &'a Node, path: &str) -> Result<(&'a Node, Option<&'a Node>), LookupErr> {
    lookup_at(node, None, path, 0)
}

fn lookup_at<'a>(
    node: &'a Node,
    label: Option<&'a Node>,
    path: &str,
    depth: u32,
) -> Result<(&'a Node, Option<&'a Node>), LookupErr> {
    if path.is_empty() {
        return Ok((node, label));
    }
    let child = match (parse_step(path, node)?, node) {
        (StepKind::Key(key, raw, rest), Node::Object(members)) => {
            find_label(members, key, raw).and_then(|i| members.get(i)).map(|m| (&m.1, Some(&m.0), rest))
        }
        (StepKind::Index(k, rest), Node::Array(items)) => {
            usize::try_from(k).ok().and_then(|k| items.get(k)).map(|c| (c, None, rest))
        }
        _ => None,
    };
    let (child, label, rest) = child.ok_or(LookupErr::NotFound)?;
    if depth + 1 >= MAX_DEPTH {
        return Err(LookupErr::TooDeep);
    }
    lookup_at(child, label, rest, depth + 1)
}

/// Apply `mode` at `path` (non-empty, after `$`) with `ins` as the new value.
pub fn edit(node: &mut Node, path: &str, mode: Edit, ins: &Node) -> Result<(), LookupErr> {
    edit_at(node, path, mode, ins, 0)
}

/// The value to insert for a missing element followed by `tail`: `ins`
/// itself, or new empty containers built along `tail`.
fn substructure(tail: &str, mode: Edit, ins: &Node, depth: u32) -> Result<Node, LookupErr> {
    if tail.is_empty() {
        return Ok(ins.clone());
    }
    if depth + 1 >= MAX_DEPTH {
        return Err(LookupErr::TooDeep);
    }
    let mut base = if tail.starts_with('.') { Node::Object(Vec::new()) } else { Node::Array(Vec::new()) };
    edit_at(&mut base, tail, mode, ins, depth + 1)?;
    Ok(base)
}

fn edit_at(node: &mut Node, path: &str, mode: Edit, ins: &Node, depth: u32) -> Result<(), LookupErr> {
    let step = parse_step(path, node)?;
    let inserting = matches!(mode, Edit::Ins | Edit::Set | Edit::ArrayIns);
    match step {
        StepKind::Key(key, raw, rest) => {
            let Node::Object(members) = node else { return Err(LookupErr::NotFound) };
            if let Some(i) = find_label(members, key, raw) {
                return edit_child(members, i, rest, mode, ins, depth, |m, i| {
                    m.remove(i);
                });
            }
            if !inserting {
                return Err(LookupErr::NotFound);
            }
            if mode == Edit::ArrayIns && !rest.ends_with(']') {
                return Err(LookupErr::NotArray);
            }
            let value = substructure(rest, mode, ins, depth)?;
            let label = if raw { Node::TextRaw(key.to_string()) } else { Node::Text5(key.to_string()) };
            members.push((label, value));
            Ok(())
        }
        StepKind::Index(k, rest) => {
            let Node::Array(items) = node else { return Err(LookupErr::NotFound) };
            if let Some(i) = usize::try_from(k).ok().filter(|&i| i < items.len()) {
                return edit_item(items, i, rest, mode, ins, depth);
            }
            if k > items.len() as u64 || !inserting {
                return Err(LookupErr::NotFound);
            }
            let value = substructure(rest, mode, ins, depth)?;
            items.push(value);
            Ok(())
        }
    }
}

/// Edit the value of object member `i`, or the member itself at the path end.
fn edit_child(
    members: &mut Vec<(Node, Node)>,
    i: usize,
    rest: &str,
    mode: Edit,
    ins: &Node,
    depth: u32,
    remove: impl FnOnce(&mut Vec<(Node, Node)>, usize),
) -> Result<(), LookupErr> {
    if depth + 1 >= MAX_DEPTH {
        return Err(LookupErr::TooDeep);
    }
    if rest.is_empty() {
        match mode {
            Edit::Del => remove(members, i),
            Edit::Ins => {}
            Edit::ArrayIns => return Err(LookupErr::NotArray),
            Edit::Repl | Edit::Set => {
                if let Some(m) = members.get_mut(i) {
                    m.1 = ins.clone();
                }
            }
        }
        return Ok(());
    }
    match members.get_mut(i) {
        Some(m) => edit_at(&mut m.1, rest, mode, ins, depth + 1),
        None => Err(LookupErr::NotFound),
    }
}

/// Edit array element `i`, or the element itself at the path end.
fn edit_item(items: &mut Vec<Node>, i: usize, rest: &str, mode: Edit, ins: &Node, depth: u32) -> Result<(), LookupErr> {
    if depth + 1 >= MAX_DEPTH {
        return Err(LookupErr::TooDeep);
    }
    if rest.is_empty() {
        match mode {
            Edit::Del => {
                items.remove(i);
            }
            Edit::Ins => {}
            Edit::ArrayIns => items.insert(i, ins.clone()),
            Edit::Repl | Edit::Set => {
                if let Some(it) = items.get_mut(i) {
                    *it = ins.clone();
                }
            }
        }
        return Ok(());
    }
    match items.get_mut(i) {
        Some(it) => edit_at(it, rest, mode, ins, depth + 1),
        None => Err(LookupErr::NotFound),
    }
}
