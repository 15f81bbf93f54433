//! SQLite's JSON functions: `json`, `json_array`, `json_array_insert`,
//! `json_array_length`, `json_error_position`, `json_extract`, `json_insert`,
//! `json_object`, `json_patch`, `json_pretty`, `json_quote`, `json_remove`,
//! `json_replace`, `json_set`, `json_type`, `json_valid`, their `jsonb_*`
//! twins, the `->` / `->>` operators, the aggregates `json_group_array` /
//! `json_group_object` (and `jsonb_`) and the rows of the table-valued
//! `json_each` / `json_tree` (and `jsonb_`).
//!
//! Submodules: [`node`] (the document tree, JSON/JSON5 parser, renderers),
//! [`jsonb`] (reading and writing the binary JSONB format), [`path`] (path
//! lookup and edits), [`funcs`] (the functions) and [`each`] (rows of the
//! table-valued functions).
//!
//! **The JSON subtype.**  In SQLite a value returned by a JSON function
//! carries a hidden "subtype" so that `json_array(json('[1]'))` nests the
//! array instead of quoting the text.  Our [`Value`] has no subtype, so the
//! entry point [`call_json`] takes a per-argument flag `arg_is_json` and
//! returns whether its own result carries the subtype.  The executor
//! (`exec::eval_subtyped`) computes the flags for arguments that are calls of
//! JSON functions, the `->` operator or the JSON aggregates (bound as
//! `json(<aggregate>)`), also through `CASE`, `COLLATE`, unary `+`, `CAST`,
//! `coalesce`, `ifnull`, `iif`, `nullif` and `likely`-style wrappers; the
//! binder makes the `value` column of `json_each` / `json_tree` carry it for
//! arrays and objects.  Like SQLite, the subtype does not survive being
//! stored in a table; unlike SQLite (which sometimes flattens subqueries and
//! then keeps it), it is always lost through a subquery or view column, and
//! `min()` / `max()` of several arguments do not pass it on.
//!
//! BLOB arguments are read as JSONB when SQLite would take them for JSONB,
//! otherwise as JSON text (documents) or rejected with "JSON cannot hold
//! BLOB values" (values to store).  The `jsonb_*` twins return JSONB, always
//! with minimal element headers: where SQLite edits a JSONB document in
//! place (`jsonb_set`, `jsonb_replace`, `jsonb_patch`, or any edit of a
//! JSONB input with wider headers), it may keep or widen header sizes, so
//! the bytes can differ while decoding to the same document.  Left out: the
//! window-function forms of the aggregates.

pub mod each;
pub mod funcs;
pub mod jsonb;
pub mod node;
pub mod path;

#[cfg(test)]
mod tests;

use crate::value::Value;

/// Names of the scalar JSON functions and operators.
const SCALARS: &[&str] = &[
    "json",
    "json_array",
    "json_array_insert",
    "json_array_length",
    "json_error_position",
    "json_extract",
    "->",
    "->>",
    "json_insert",
    "json_object",
    "json_patch",
    "json_pretty",
    "json_quote",
    "json_remove",
    "json_replace",
    "json_set",
    "json_type",
    "json_valid",
];

/// True if `name` (lower case) is a scalar JSON function or operator
/// (including the `jsonb_*` twins).
pub fn is_json_function(name: &str) -> bool {
    SCALARS.contains(&name) || funcs::JSONB_TWINS.contains(&name)
}

/// True if `name` (lower case) is one of the JSON aggregates.
pub fn is_json_aggregate(name: &str) -> bool {
    matches!(name, "json_group_array" | "json_group_object" | "jsonb_group_array" | "jsonb_group_object")
}

/// Argument-count check with SQLite's prepare-time message.
fn arity_ok(name: &str, n: usize) -> bool {
    match name {
        "json" | "jsonb" | "json_error_position" | "json_quote" => n == 1,
        "json_array_length" | "json_pretty" | "json_type" | "json_valid" => (1..=2).contains(&n),
        "json_patch" | "jsonb_patch" | "->" | "->>" => n == 2,
        _ => true,
    }
}

/// Nesting depth above which a call runs on a thread with a large stack.
const DEEP: usize = 100;

/// Stack size for calls on deeply nested documents: parsing, rendering and
/// walking 1000 levels recursively needs a few megabytes in unoptimised
/// builds, more than a small thread may have.
const DEEP_STACK: usize = 64 << 20;

/// An upper bound of the nesting depth of a JSON text or JSONB argument
/// (brackets are counted even inside strings, which only overestimates).
fn rough_depth(v: &Value) -> usize {
    match v {
        Value::Text(s) => {
            let (mut d, mut max) = (0usize, 0usize);
            for b in s.bytes() {
                match b {
                    b'[' | b'{' => {
                        d += 1;
                        max = max.max(d);
                    }
                    b']' | b'}' => d = d.saturating_sub(1),
                    _ => {}
                }
            }
            max
        }
        Value::Blob(b) => jsonb::rough_depth(b),
        _ => 0,
    }
}

/// Run `f`, on a thread with a large stack when an argument is deeply nested.
/// `None` if that thread could not be started or failed.
pub(crate) fn with_stack_for<T: Send>(args: &[Value], f: impl FnOnce() -> T + Send) -> Option<T> {
    if args.iter().map(rough_depth).max().unwrap_or(0) <= DEEP {
        return Some(f());
    }
    std::thread::scope(|s| {
        let h = std::thread::Builder::new().stack_size(DEEP_STACK).spawn_scoped(s, f).ok()?;
        h.join().ok()
    })
}

/// Evaluate the JSON function `name` (lower case).  `arg_is_json[i]` tells
/// whether argument `i` carries the JSON subtype (missing entries mean no).
/// Returns `None` if `name` is not a JSON function, otherwise the value and
/// whether it carries the JSON subtype, or SQLite's error message.
pub fn call_json(name: &str, args: &[Value], arg_is_json: &[bool]) -> Option<Result<(Value, bool), String>> {
    if !is_json_function(name) {
        return None;
    }
    if !arity_ok(name, args.len()) {
        return Some(Err(crate::func::wrong_args(name)));
    }
    with_stack_for(args, || funcs::call(name, args, arg_is_json)).unwrap_or(Some(Err("out of memory".into())))
}

/// Compute a JSON aggregate over the rows of a group: `rows[i]` holds the
/// argument values of row `i` and `flags[i]` their JSON-subtype flags.
/// The result of the `json_` forms carries the JSON subtype; the `jsonb_`
/// forms return JSONB.
pub fn aggregate(name: &str, rows: &[Vec<Value>], flags: &[Vec<bool>]) -> Result<Value, String> {
    let all: Vec<Value> = rows.iter().flatten().filter(|v| matches!(v, Value::Blob(_))).cloned().collect();
    with_stack_for(&all, || aggregate_here(name, rows, flags)).unwrap_or(Err("out of memory".into()))
}

fn aggregate_here(name: &str, rows: &[Vec<Value>], flags: &[Vec<bool>]) -> Result<Value, String> {
    let flag = |r: usize, i: usize| flags.get(r).and_then(|f| f.get(i)).copied().unwrap_or(false);
    let null = Value::Null;
    let mut out = String::new();
    let blob = name.starts_with("jsonb");
    if name.ends_with("group_array") {
        out.push('[');
        for (r, row) in rows.iter().enumerate() {
            if r > 0 {
                out.push(',');
            }
            funcs::push_sql_value(&mut out, row.first().unwrap_or(&null), flag(r, 0))?;
        }
        out.push(']');
    } else {
        out.push('{');
        let mut first = true;
        for (r, row) in rows.iter().enumerate() {
            // A NULL label drops the entry.
            let Some(label) = row.first().and_then(crate::func::scalar::c_text) else { continue };
            if !first {
                out.push(',');
            }
            first = false;
            node::push_quoted(&mut out, &label);
            out.push(':');
            funcs::push_sql_value(&mut out, row.get(1).unwrap_or(&null), flag(r, 1))?;
        }
        out.push('}');
    }
    funcs::text_as_blob(Ok((Value::Text(out), true)), blob).map(|(v, _)| v)
}
