//! Rows of the table-valued functions `json_each(J [, ROOT])` and
//! `json_tree(J [, ROOT])`.
//!
//! The columns are SQLite's: `key, value, type, atom, id, parent, fullkey,
//! path` and the hidden `json, root`.  SQLite's `id` and `parent` are byte
//! offsets of elements in its binary JSONB encoding of the document, so this
//! module computes the JSONB size of every node to report the same numbers.
//! For the first row of `json_tree` with a ROOT path, `key` and `path` are
//! derived from the ROOT text the way SQLite does it (which only names the
//! parent correctly when the root element is its container's first child).
//!
//! `jsonb_each` / `jsonb_tree` differ only in returning arrays and objects in
//! the `value` column as JSONB.
//!
//! Left out: the rowid of these tables, and passing the arguments as
//! constraints on the hidden columns (`FROM json_each WHERE json = ...`).

use super::funcs::doc_arg;
use super::node::{Node, to_sql};
use super::path::{self, LookupErr};
use crate::func::scalar::c_text;
use crate::value::{Value, atoi64};
use std::collections::HashMap;

/// Column names, the two hidden ones last.
pub const COLUMNS: [&str; 10] = ["key", "value", "type", "atom", "id", "parent", "fullkey", "path", "json", "root"];

/// Number of visible (non-hidden) columns.
pub const VISIBLE: usize = 8;

/// Size of a JSONB header for a payload of `p` bytes.
fn header_len(p: u64) -> u64 {
    match p {
        0..=11 => 1,
        12..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// JSONB offsets: node address -> (offset, header length).
struct Offsets(HashMap<usize, (u64, u64)>);

fn addr(n: &Node) -> usize {
    n as *const Node as usize
}

impl Offsets {
    fn build(doc: &Node) -> Offsets {
        let mut m = Offsets(HashMap::new());
        m.assign(doc, 0);
        m
    }

    /// Record `n` at `off`; returns its total encoded size.
    fn assign(&mut self, n: &Node, off: u64) -> u64 {
        let payload = match n {
            Node::Null | Node::True | Node::False => 0,
            Node::Int(s)
            | Node::Int5(s)
            | Node::Float(s)
            | Node::Float5(s)
            | Node::Text(s)
            | Node::TextJ(s)
            | Node::Text5(s)
            | Node::TextRaw(s) => s.len() as u64,
            Node::Array(items) => {
                // Headers depend on payload sizes: size the children first.
                let total: u64 = items.iter().map(size_of).sum();
                let mut at = off + header_len(total);
                for it in items {
                    at += self.assign(it, at);
                }
                total
            }
            Node::Object(members) => {
                let total: u64 = members.iter().map(|(k, v)| size_of(k) + size_of(v)).sum();
                let mut at = off + header_len(total);
                for (k, v) in members {
                    at += self.assign(k, at);
                    at += self.assign(v, at);
                }
                total
            }
        };
        let h = header_len(payload);
        self.0.insert(addr(n), (off, h));
        h + payload
    }

    fn offset(&self, n: &Node) -> u64 {
        self.0.get(&addr(n)).map_or(0, |x| x.0)
    }

    fn header(&self, n: &Node) -> u64 {
        self.0.get(&addr(n)).map_or(1, |x| x.1)
    }
}

/// Total JSONB size of a node.
fn size_of(n: &Node) -> u64 {
    let payload = match n {
        Node::Null | Node::True | Node::False => 0,
        Node::Int(s)
        | Node::Int5(s)
        | Node::Float(s)
        | Node::Float5(s)
        | Node::Text(s)
        | Node::TextJ(s)
        | Node::Text5(s)
        | Node::TextRaw(s) => s.len() as u64,
        Node::Array(items) => items.iter().map(size_of).sum(),
        Node::Object(members) => members.iter().map(|(k, v)| size_of(k) + size_of(v)).sum(),
    };
    header_len(payload) + payload
}

/// The path suffix naming an object member: `.name` or `."name"`.
fn member_name(label: &Node) -> String {
    let raw = label.label().map_or("", |(s, _)| s);
    let b = raw.as_bytes();
    let plain = b.first().is_some_and(|c| c.is_ascii_alphabetic()) && b.iter().all(|c| c.is_ascii_alphanumeric());
    if plain { format!(".{raw}") } else { format!(".\"{raw}\"") }
}

/// Shared state of one call.
struct Gen<'a> {
    doc: &'a Node,
    /// The JSONB input, when the document came as JSONB.
    input: Option<&'a [u8]>,
    /// `jsonb_each` / `jsonb_tree`.
    blob: bool,
    offs: Offsets,
    json: Value,
    root: String,
    rows: Vec<Vec<Value>>,
}

impl Gen<'_> {
    fn push(
        &mut self,
        key: Value,
        node: &Node,
        id: u64,
        parent: Value,
        fullkey: String,
        path: String,
    ) -> Result<(), String> {
        let value = if self.blob && node.is_container() {
            // The element's own JSONB: a slice of JSONB input, else encoded.
            let slice = self.input.and_then(|b| super::jsonb::element(b, self.offs.offset(node) as usize));
            Value::Blob(slice.map_or_else(|| super::jsonb::encode(node), <[u8]>::to_vec))
        } else {
            to_sql(node)?
        };
        let atom = if node.is_container() { Value::Null } else { value.clone() };
        self.rows.push(vec![
            key,
            value,
            Value::Text(node.type_name().into()),
            atom,
            Value::Integer(id as i64),
            parent,
            Value::Text(fullkey),
            Value::Text(path),
            self.json.clone(),
            Value::Text(self.root.clone()),
        ]);
        Ok(())
    }

    /// The children of `container` (whose row, if any, has id `parent_id`
    /// and full key `base`), recursively when `tree`.
    fn children(&mut self, container: &Node, parent_id: Option<u64>, base: &str, tree: bool) -> Result<(), String> {
        let parent = parent_id.map_or(Value::Null, |p| Value::Integer(p as i64));
        match container {
            Node::Array(items) => {
                for (k, it) in items.iter().enumerate() {
                    let fullkey = format!("{base}[{k}]");
                    let id = self.offs.offset(it);
                    self.push(Value::Integer(k as i64), it, id, parent.clone(), fullkey.clone(), base.to_string())?;
                    if tree && it.is_container() {
                        self.children(it, Some(id), &fullkey, tree)?;
                    }
                }
            }
            Node::Object(members) => {
                for (label, v) in members {
                    let fullkey = format!("{base}{}", member_name(label));
                    let id = self.offs.offset(label);
                    self.push(to_sql(label)?, v, id, parent.clone(), fullkey.clone(), base.to_string())?;
                    if tree && v.is_container() {
                        self.children(v, Some(id), &fullkey, tree)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// SQLite's `jsonEachPathLength` for the first `json_tree` row: the
    /// length of the ROOT prefix taken to be the parent's path.
    fn root_prefix_len(&self, start_id: u64) -> usize {
        let z = self.root.as_bytes();
        let mut n = z.len();
        if n >= 2 {
            while n > 1 {
                n -= 1;
                if z[n] == b'[' || z[n] == b'.' {
                    let prefix = self.root.get(1..n).unwrap_or("");
                    if let Ok(x) = path::lookup(self.doc, prefix)
                        && self.offs.offset(x) + self.offs.header(x) == start_id
                    {
                        break;
                    }
                }
            }
        }
        n
    }

    /// The `key` of the first `json_tree` row, derived from the ROOT text.
    fn root_key(&self, j: usize) -> Value {
        let z = self.root.as_bytes();
        let n = z.len().saturating_sub(j);
        if self.root.len() == 1 || n == 0 {
            return Value::Null;
        }
        let text = |a: usize, len: usize| {
            Value::Text(String::from_utf8_lossy(z.get(a..(a + len).min(z.len())).unwrap_or(&[])).into_owned())
        };
        if z.get(j) == Some(&b'[') {
            Value::Integer(atoi64(z.get(j + 1..j + n).unwrap_or(&[])).0)
        } else if z.get(j + 1) == Some(&b'"') {
            text(j + 2, n.saturating_sub(3))
        } else {
            text(j + 1, n - 1)
        }
    }
}

/// The rows of `json_each(args...)` (`tree` false) or `json_tree(args...)`
/// (`jsonb_each` / `jsonb_tree` when `blob`), each with the ten columns of
/// [`COLUMNS`].
pub fn rows(args: &[Value], tree: bool, blob: bool) -> Result<Vec<Vec<Value>>, String> {
    super::with_stack_for(args, || rows_here(args, tree, blob)).unwrap_or(Err("out of memory".into()))
}

fn rows_here(args: &[Value], tree: bool, blob: bool) -> Result<Vec<Vec<Value>>, String> {
    let name = match (tree, blob) {
        (false, false) => "json_each",
        (true, false) => "json_tree",
        (false, true) => "jsonb_each",
        (true, true) => "jsonb_tree",
    };
    if args.len() > 2 {
        return Err(format!("too many arguments on {name}() - max 2"));
    }
    let Some(arg) = args.first() else { return Ok(Vec::new()) };
    let Some(doc) = doc_arg(arg)? else { return Ok(Vec::new()) };
    let root = match args.get(1) {
        None => "$".to_string(),
        Some(r) => match c_text(r) {
            None => return Ok(Vec::new()),
            Some(t) => t,
        },
    };
    let Some(rest) = root.strip_prefix('$') else {
        return Err(format!("bad JSON path: '{}'", root.replace('\'', "''")));
    };
    let (start, label) = match path::lookup_member(&doc, rest) {
        Ok(x) => x,
        Err(LookupErr::NotFound) => return Ok(Vec::new()),
        Err(_) => return Err(format!("bad JSON path: '{}'", root.replace('\'', "''"))),
    };
    let json = match arg {
        Value::Blob(b) if super::jsonb::is_jsonb(b) => Value::Blob(b.clone()),
        v => Value::Text(c_text(v).unwrap_or_default()),
    };
    // JSONB input keeps its own layout (headers need not be minimal).
    let offs = match arg {
        Value::Blob(b) if super::jsonb::is_jsonb(b) => {
            let mut m = HashMap::new();
            super::jsonb::offsets(b, &doc, &mut m);
            Offsets(m)
        }
        _ => Offsets::build(&doc),
    };
    let input = match arg {
        Value::Blob(b) if super::jsonb::is_jsonb(b) => Some(b.as_slice()),
        _ => None,
    };
    let mut g = Gen { doc: &doc, input, blob, offs, json, root: root.clone(), rows: Vec::new() };
    let start_id = match label {
        Some(l) => g.offs.offset(l),
        None => g.offs.offset(start),
    };
    if tree {
        let j = g.root_prefix_len(start_id);
        let key = g.root_key(j);
        let path = root.get(..j).unwrap_or(&root).to_string();
        g.push(key, start, start_id, Value::Null, root.clone(), path)?;
        if start.is_container() {
            g.children(start, Some(start_id), &root, true)?;
        }
    } else if start.is_container() {
        g.children(start, None, &root, false)?;
    } else {
        g.push(Value::Null, start, start_id, Value::Null, root.clone(), root.clone())?;
    }
    Ok(g.rows)
}
