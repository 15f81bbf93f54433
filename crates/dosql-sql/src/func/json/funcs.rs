//! The scalar JSON functions and the `->` / `->>` operators.
//!
//! Every function returns the SQL value and whether SQLite would attach its
//! JSON subtype to it (see the parent module for how the subtype is tracked).

use super::jsonb;
use super::node::{self, MALFORMED, Node, parse_or_malformed, push_quoted, to_json, to_sql};
use super::path::{self, Edit, LookupErr};
use crate::func::scalar::c_text;
use crate::value::Value;

/// A function result: the value and whether it carries the JSON subtype.
pub type JsonResult = Result<(Value, bool), String>;

/// SQLite's error for BLOB arguments (JSONB is not supported here).
pub const BLOB_ERR: &str = "JSON cannot hold BLOB values";

fn plain(v: Value) -> JsonResult {
    Ok((v, false))
}

fn json_text(s: String) -> JsonResult {
    Ok((Value::Text(s), true))
}

/// Quote a path for an error message like `%Q`.
fn quoted(path: &str) -> String {
    format!("'{}'", path.replace('\'', "''"))
}

/// SQLite's message for a failed path lookup (`jsonBadPathError`).
pub fn path_error(path: &str, e: LookupErr) -> String {
    match e {
        LookupErr::TooDeep => "JSON path too deep".into(),
        LookupErr::NotArray => format!("not an array element: {}", quoted(path)),
        _ => format!("bad JSON path: {}", quoted(path)),
    }
}

/// The text of a SQL value, as C code sees it (up to the first NUL).
fn arg_text(v: &Value) -> Option<String> {
    c_text(v)
}

/// Parse the JSON document argument: `Ok(None)` for NULL.
pub fn doc_arg(v: &Value) -> Result<Option<Node>, String> {
    let text = match v {
        Value::Null => return Ok(None),
        Value::Blob(b) if jsonb::is_jsonb(b) => return jsonb_node(b).map(Some),
        Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
        v => v.to_text(),
    };
    if text.is_empty() {
        return Err(MALFORMED.into());
    }
    parse_or_malformed(&text).map(Some)
}

/// Decode a BLOB accepted by [`jsonb::is_jsonb`].
fn jsonb_node(b: &[u8]) -> Result<Node, String> {
    jsonb::decode(b).ok_or_else(|| MALFORMED.to_string())
}

/// Render a REAL as SQLite's JSON builders do (`%!0.17g`).
fn real_json(r: f64) -> String {
    match crate::func::printf::sqlite_printf(b"%!0.17g", &[Value::Real(r)]) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => Value::Real(r).to_text(),
    }
}

/// Append an SQL value to JSON under construction (`jsonAppendSqlValue`).
pub fn push_sql_value(out: &mut String, v: &Value, is_json: bool) -> Result<(), String> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Real(r) => out.push_str(&real_json(*r)),
        Value::Integer(i) => out.push_str(&i.to_string()),
        Value::Text(s) if is_json => out.push_str(s),
        Value::Text(s) => push_quoted(out, s),
        Value::Blob(b) if jsonb::is_jsonb(b) => node::render(&jsonb_node(b)?, out),
        Value::Blob(_) => return Err(BLOB_ERR.into()),
    }
    Ok(())
}

/// Convert an SQL value to a node for insertion (`jsonFunctionArgToBlob`).
pub fn value_node(v: &Value, is_json: bool) -> Result<Node, String> {
    Ok(match v {
        Value::Null => Node::Null,
        Value::Blob(b) if jsonb::is_jsonb(b) => jsonb_node(b)?,
        Value::Blob(_) => return Err(BLOB_ERR.into()),
        Value::Text(s) if is_json => parse_or_malformed(s)?,
        Value::Text(s) => Node::TextRaw(s.clone()),
        Value::Integer(i) => Node::Int(i.to_string()),
        Value::Real(r) => {
            let z = Value::Real(*r).to_text();
            if z.starts_with('I') {
                Node::Float("9e999".into())
            } else if z.starts_with("-I") {
                Node::Float("-9e999".into())
            } else {
                Node::Float(z)
            }
        }
    })
}

/// The `jsonb_*` functions: same as their `json_*` twin but returning JSONB.
pub const JSONB_TWINS: &[&str] = &[
    "jsonb",
    "jsonb_array",
    "jsonb_array_insert",
    "jsonb_extract",
    "jsonb_insert",
    "jsonb_object",
    "jsonb_patch",
    "jsonb_remove",
    "jsonb_replace",
    "jsonb_set",
];

/// Dispatch for the scalar JSON functions (`None` if `name` is not one).
/// Argument counts should have been checked (missing arguments read as NULL).
pub fn call(name: &str, a: &[Value], is_json: &[bool]) -> Option<JsonResult> {
    let flag = |i: usize| is_json.get(i).copied().unwrap_or(false);
    let null = Value::Null;
    let arg = |i: usize| a.get(i).unwrap_or(&null);
    let blob = JSONB_TWINS.contains(&name);
    let base = match name.strip_prefix("jsonb") {
        Some(rest) if blob => format!("json{rest}"),
        _ => name.to_string(),
    };
    Some(match base.as_str() {
        "json" => json(arg(0), blob),
        "json_array" => text_as_blob(json_array(a, &flag), blob),
        "json_array_length" => json_array_length(a),
        "json_error_position" => json_error_position(arg(0)),
        "json_extract" => json_extract(a, ExtractMode::Extract, blob),
        "->" => json_extract(a, ExtractMode::Arrow, false),
        "->>" => json_extract(a, ExtractMode::LongArrow, false),
        "json_insert" => json_edit(a, &flag, Edit::Ins, name, blob),
        "json_replace" => json_edit(a, &flag, Edit::Repl, name, blob),
        "json_set" => json_edit(a, &flag, Edit::Set, name, blob),
        "json_array_insert" => json_edit(a, &flag, Edit::ArrayIns, name, blob),
        "json_object" => text_as_blob(json_object(a, &flag, name), blob),
        "json_patch" => json_patch(arg(0), arg(1), blob),
        "json_pretty" => json_pretty(a),
        "json_quote" => {
            let mut s = String::new();
            match push_sql_value(&mut s, arg(0), flag(0)) {
                Ok(()) => json_text(s),
                Err(e) => Err(e),
            }
        }
        "json_remove" => json_remove(a, blob),
        "json_type" => json_type(a),
        "json_valid" => json_valid(a),
        _ => return None,
    })
}

/// A document result: JSON text with the subtype, or JSONB.
fn tree(n: &Node, blob: bool) -> JsonResult {
    if blob { plain(Value::Blob(jsonb::encode(n))) } else { json_text(to_json(n)) }
}

/// Turn JSON text built by a function into JSONB for its `jsonb_*` twin.
pub fn text_as_blob(r: JsonResult, blob: bool) -> JsonResult {
    match r? {
        (Value::Text(s), true) if blob => tree(&parse_or_malformed(&s)?, true),
        other => Ok(other),
    }
}

/// A JSONB BLOB argument returned unchanged by `jsonb()`, if it is one.
fn jsonb_passthrough(v: &Value, blob: bool) -> Option<Value> {
    match v {
        Value::Blob(b) if blob && jsonb::is_jsonb(b) => Some(v.clone()),
        _ => None,
    }
}

fn json(v: &Value, blob: bool) -> JsonResult {
    if let Some(same) = jsonb_passthrough(v, blob) {
        return plain(same);
    }
    match doc_arg(v)? {
        None => plain(Value::Null),
        Some(n) => tree(&n, blob),
    }
}

fn json_array(a: &[Value], flag: &dyn Fn(usize) -> bool) -> JsonResult {
    let mut s = String::from("[");
    for (i, v) in a.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        push_sql_value(&mut s, v, flag(i))?;
    }
    s.push(']');
    json_text(s)
}

fn json_object(a: &[Value], flag: &dyn Fn(usize) -> bool, name: &str) -> JsonResult {
    if !a.len().is_multiple_of(2) {
        return Err(format!("{name}() requires an even number of arguments"));
    }
    let mut s = String::from("{");
    for (i, pair) in a.chunks(2).enumerate() {
        let Value::Text(label) = &pair[0] else {
            return Err(format!("{name}() labels must be TEXT"));
        };
        if i > 0 {
            s.push(',');
        }
        push_quoted(&mut s, label);
        s.push(':');
        push_sql_value(&mut s, &pair[1], flag(2 * i + 1))?;
    }
    s.push('}');
    json_text(s)
}

/// Look up `path` (full text, starting with `$`) in `doc`.
fn lookup_dollar<'a>(doc: &'a Node, path: &str) -> Result<&'a Node, LookupErr> {
    match path.strip_prefix('$') {
        Some(rest) => path::lookup(doc, rest),
        None => Err(LookupErr::PathError),
    }
}

fn json_array_length(a: &[Value]) -> JsonResult {
    let Some(doc) = doc_arg(a.first().unwrap_or(&Value::Null))? else { return plain(Value::Null) };
    let target = match a.get(1) {
        None => &doc,
        Some(p) => {
            let Some(path) = arg_text(p) else { return plain(Value::Null) };
            match lookup_dollar(&doc, &path) {
                Ok(n) => n,
                Err(LookupErr::NotFound) => return plain(Value::Null),
                Err(e) => return Err(path_error(&path, e)),
            }
        }
    };
    let n = match target {
        Node::Array(items) => items.len() as i64,
        _ => 0,
    };
    plain(Value::Integer(n))
}

fn json_error_position(v: &Value) -> JsonResult {
    let text = match v {
        Value::Null => return plain(Value::Null),
        Value::Blob(b) if jsonb::is_jsonb(b) => return plain(Value::Integer(jsonb::validity_error(b) as i64)),
        Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
        v => v.to_text(),
    };
    let pos = match node::parse(&text) {
        Ok(_) => 0,
        Err(off) => {
            // Convert the byte offset to a 1-based character position.
            let bytes = text.as_bytes();
            let end = off.min(bytes.len());
            let prefix = &bytes[..end];
            let prefix = match prefix.iter().position(|&b| b == 0) {
                Some(z) => &prefix[..z],
                None => prefix,
            };
            prefix.iter().filter(|&&b| b & 0xc0 != 0x80).count() as i64 + 1
        }
    };
    plain(Value::Integer(pos))
}

/// Which of the extraction entry points is being evaluated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ExtractMode {
    /// `json_extract()`.
    Extract,
    /// `->`: always JSON text.
    Arrow,
    /// `->>`: always an SQL value.
    LongArrow,
}

/// Rewrite an abbreviated `->` / `->>` path to the part after `$`.
fn abbreviated_path(arg: &Value, text: &str) -> String {
    if matches!(arg, Value::Integer(_)) {
        let hash = if text.starts_with('-') { "#" } else { "" };
        format!("[{hash}{text}]")
    } else if text.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        format!(".{text}")
    } else if text.starts_with('[') && text.len() >= 3 && text.ends_with(']') {
        text.to_string()
    } else {
        format!(".\"{text}\"")
    }
}

fn json_extract(a: &[Value], mode: ExtractMode, blob: bool) -> JsonResult {
    if a.len() < 2 {
        return plain(Value::Null);
    }
    let Some(doc) = doc_arg(a.first().unwrap_or(&Value::Null))? else { return plain(Value::Null) };
    let multi = a.len() > 2;
    let mut out = String::from("[");
    for (i, p) in a.iter().enumerate().skip(1) {
        let Some(path) = arg_text(p) else { return plain(Value::Null) };
        let found = if let Some(rest) = path.strip_prefix('$') {
            path::lookup(&doc, rest)
        } else if mode != ExtractMode::Extract {
            path::lookup(&doc, &abbreviated_path(p, &path))
        } else {
            return Err(path_error(&path, LookupErr::PathError));
        };
        match found {
            Ok(n) if !multi => {
                return match mode {
                    ExtractMode::Arrow => json_text(to_json(n)),
                    ExtractMode::LongArrow => plain(to_sql(n)?),
                    ExtractMode::Extract if n.is_container() => tree(n, blob),
                    ExtractMode::Extract => plain(to_sql(n)?),
                };
            }
            Ok(n) => {
                if i > 1 {
                    out.push(',');
                }
                node::render(n, &mut out);
            }
            Err(LookupErr::NotFound) if !multi => return plain(Value::Null),
            Err(LookupErr::NotFound) => {
                if i > 1 {
                    out.push(',');
                }
                out.push_str("null");
            }
            Err(e) => return Err(path_error(&path, e)),
        }
    }
    out.push(']');
    text_as_blob(json_text(out), blob)
}

fn json_edit(a: &[Value], flag: &dyn Fn(usize) -> bool, mode: Edit, name: &str, blob: bool) -> JsonResult {
    if a.is_empty() {
        return plain(Value::Null);
    }
    if a.len().is_multiple_of(2) {
        return Err(format!("{name}() needs an odd number of arguments"));
    }
    if a.len() == 1
        && let Some(same) = jsonb_passthrough(&a[0], blob)
    {
        return plain(same);
    }
    let Some(mut doc) = doc_arg(a.first().unwrap_or(&Value::Null))? else { return plain(Value::Null) };
    let mut i = 1;
    while i + 1 < a.len() {
        let (p, v) = (&a[i], &a[i + 1]);
        i += 2;
        let Some(path) = arg_text(p) else { continue };
        let Some(rest) = path.strip_prefix('$') else {
            return Err(path_error(&path, LookupErr::PathError));
        };
        let ins = value_node(v, flag(i - 1))?;
        if rest.is_empty() {
            if matches!(mode, Edit::Repl | Edit::Set) {
                doc = ins;
            }
            continue;
        }
        match path::edit(&mut doc, rest, mode, &ins) {
            Ok(()) | Err(LookupErr::NotFound) => {}
            Err(e) => return Err(path_error(&path, e)),
        }
    }
    tree(&doc, blob)
}

fn json_remove(a: &[Value], blob: bool) -> JsonResult {
    if a.is_empty() {
        return plain(Value::Null);
    }
    if a.len() == 1
        && let Some(same) = jsonb_passthrough(&a[0], blob)
    {
        return plain(same);
    }
    let Some(mut doc) = doc_arg(a.first().unwrap_or(&Value::Null))? else { return plain(Value::Null) };
    for p in a.iter().skip(1) {
        let Some(path) = arg_text(p) else { return plain(Value::Null) };
        let Some(rest) = path.strip_prefix('$') else {
            return Err(path_error(&path, LookupErr::PathError));
        };
        if rest.is_empty() {
            return plain(Value::Null);
        }
        match path::edit(&mut doc, rest, Edit::Del, &Node::Null) {
            Ok(()) | Err(LookupErr::NotFound) => {}
            Err(e) => return Err(path_error(&path, e)),
        }
    }
    tree(&doc, blob)
}

/// RFC 7396 merge of `patch` into `target`, as SQLite does it (first
/// matching label only; duplicate labels in the patch apply in order).
fn merge_patch(target: &mut Node, patch: &Node, depth: u32) -> Result<(), String> {
    let Node::Object(pmembers) = patch else {
        *target = patch.clone();
        return Ok(());
    };
    if !matches!(target, Node::Object(_)) {
        *target = Node::Object(Vec::new());
    }
    let Node::Object(tmembers) = target else { return Ok(()) };
    for (pk, pv) in pmembers {
        let Some((plabel, praw)) = pk.label() else { return Err(MALFORMED.into()) };
        let hit = tmembers.iter().position(|(tk, _)| {
            tk.label().is_some_and(|(tlabel, traw)| node::labels_equal(plabel, praw, tlabel, traw))
        });
        match hit {
            Some(i) if matches!(pv, Node::Null) => {
                tmembers.remove(i);
            }
            Some(i) => {
                if depth >= node::MAX_DEPTH {
                    return Err("JSON nested too deep".into());
                }
                if let Some(m) = tmembers.get_mut(i) {
                    merge_patch(&mut m.1, pv, depth + 1)?;
                }
            }
            None if matches!(pv, Node::Null) => {}
            None => {
                let mut fresh = Node::Null;
                if depth >= node::MAX_DEPTH {
                    return Err("JSON nested too deep".into());
                }
                merge_patch(&mut fresh, pv, depth + 1)?;
                tmembers.push((pk.clone(), fresh));
            }
        }
    }
    Ok(())
}

fn json_patch(t: &Value, p: &Value, blob: bool) -> JsonResult {
    let Some(mut target) = doc_arg(t)? else { return plain(Value::Null) };
    let Some(patch) = doc_arg(p)? else { return plain(Value::Null) };
    merge_patch(&mut target, &patch, 0)?;
    tree(&target, blob)
}

fn json_pretty(a: &[Value]) -> JsonResult {
    let Some(doc) = doc_arg(a.first().unwrap_or(&Value::Null))? else { return plain(Value::Null) };
    let indent = a.get(1).and_then(arg_text).unwrap_or_else(|| "    ".to_string());
    let mut out = String::new();
    node::render_pretty(&doc, &indent, 0, &mut out);
    plain(Value::Text(out))
}

fn json_type(a: &[Value]) -> JsonResult {
    let Some(doc) = doc_arg(a.first().unwrap_or(&Value::Null))? else { return plain(Value::Null) };
    let target = match a.get(1) {
        None => &doc,
        Some(p) => {
            let Some(path) = arg_text(p) else { return plain(Value::Null) };
            match lookup_dollar(&doc, &path) {
                Ok(n) => n,
                Err(LookupErr::NotFound) => return plain(Value::Null),
                Err(e) => return Err(path_error(&path, e)),
            }
        }
    };
    plain(Value::Text(target.type_name().to_string()))
}

fn json_valid(a: &[Value]) -> JsonResult {
    let mut flags = 1i64;
    if let Some(f) = a.get(1) {
        let f = f.to_i64();
        if !(1..=15).contains(&f) {
            return Err("FLAGS parameter to json_valid() must be between 1 and 15".into());
        }
        flags = f;
    }
    let text = match a.first().unwrap_or(&Value::Null) {
        Value::Null => return plain(Value::Null),
        Value::Blob(b) if jsonb::is_jsonb(b) => {
            // JSONB: superficial (4) or strict (8) checks only.
            let ok = if flags & 4 != 0 { true } else { flags & 8 != 0 && jsonb::validity_error(b) == 0 };
            return plain(Value::Integer(i64::from(ok)));
        }
        Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
        v => v.to_text(),
    };
    if flags & 3 == 0 || text.is_empty() {
        return plain(Value::Integer(0));
    }
    let ok = match node::parse(&text) {
        Ok(p) => flags & 2 != 0 || !p.nonstd,
        Err(_) => false,
    };
    plain(Value::Integer(i64::from(ok)))
}
