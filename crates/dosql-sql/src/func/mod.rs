//! Built-in scalar SQL functions with SQLite's semantics.
//!
//! [`call_scalar`] is the single entry point: it looks a function up by name
//! (case-insensitively), checks the argument count exactly as SQLite does at
//! prepare time, and evaluates it.  Functions that SQLite evaluates lazily
//! (`coalesce`, `ifnull`, `iif`, `likelihood`, ...) are evaluated eagerly
//! here; an executor that wants short-circuiting must special-case them.
//!
//! Submodules: [`num`] (numeric text parsing and float rendering shared with
//! [`crate::value`]), [`scalar`] (core string/number functions), [`printf`]
//! (SQLite's printf engine), [`like`] (LIKE and GLOB matching), [`math`]
//! (the math functions of `SQLITE_ENABLE_MATH_FUNCTIONS`) and [`json`] (the
//! JSON functions; see there for how the JSON subtype is handled).
//!
//! Known deviations, all stemming from `Value::Text` being a Rust `String`:
//! text produced from BLOB bytes that are not valid UTF-8 is converted
//! lossily, so character-level functions applied to such bytes may differ.

pub mod datetime;
pub mod json;
pub mod like;
pub mod math;
pub mod num;
pub mod printf;
pub mod scalar;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod value_tests;

use crate::value::Value;

/// Error text SQLite reports when a function is called with a bad argument count.
pub fn wrong_args(name: &str) -> String {
    format!("wrong number of arguments to function {name}()")
}

/// Accepted argument counts for a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arity {
    /// Exactly one of the listed counts.
    Exact(&'static [usize]),
    /// At least this many.
    AtLeast(usize),
}

/// Argument-count rule for every scalar function, `None` if unknown.
fn arity(name: &str) -> Option<Arity> {
    use Arity::*;
    Some(match name {
        "random" | "pi" => Exact(&[0]),
        "abs" | "hex" | "length" | "octet_length" | "likely" | "unlikely" | "lower" | "upper" | "quote" | "sign"
        | "soundex" | "typeof" | "unicode" | "zeroblob" | "randomblob" | "ceil" | "ceiling" | "floor" | "trunc"
        | "ln" | "log10" | "log2" | "exp" | "acos" | "asin" | "atan" | "cos" | "sin" | "tan" | "cosh" | "sinh"
        | "tanh" | "acosh" | "asinh" | "atanh" | "sqrt" | "radians" | "degrees" => Exact(&[1]),
        "glob" | "ifnull" | "instr" | "likelihood" | "nullif" | "pow" | "power" | "mod" | "atan2" => Exact(&[2]),
        "replace" => Exact(&[3]),
        "like" | "substr" | "substring" => Exact(&[2, 3]),
        "ltrim" | "rtrim" | "trim" | "round" | "unhex" | "log" => Exact(&[1, 2]),
        "char" | "printf" | "format" => AtLeast(0),
        "concat" => AtLeast(1),
        "coalesce" | "iif" | "if" | "concat_ws" | "min" | "max" => AtLeast(2),
        _ => return None,
    })
}

/// Evaluate the scalar function `name` on already-evaluated arguments.
///
/// Returns `None` if `name` is not a known scalar function (note that the
/// one-argument forms of `min` and `max` are aggregates and therefore
/// unknown here), `Some(Err(msg))` with SQLite's error wording for a wrong
/// argument count or a runtime error, and `Some(Ok(value))` otherwise.
pub fn call_scalar(name: &str, args: &[Value]) -> Option<Result<Value, String>> {
    call_scalar_at(name, args, datetime::wall_clock_ms())
}

/// [`call_scalar`] with `now_unix_ms` as the current time: SQLite reads the
/// clock once per statement, so every `'now'` in it agrees.
pub fn call_scalar_at(name: &str, args: &[Value], now_unix_ms: i64) -> Option<Result<Value, String>> {
    let lname = name.to_ascii_lowercase();
    if let Some(r) = json::call_json(&lname, args, &[]) {
        return Some(r.map(|(v, _)| v));
    }
    if let Some(r) = datetime::call(&lname, args, now_unix_ms) {
        return Some(r);
    }
    let rule = arity(&lname)?;
    let ok = match rule {
        Arity::Exact(ns) => ns.contains(&args.len()),
        Arity::AtLeast(n) => args.len() >= n,
    };
    if !ok {
        if (lname == "min" || lname == "max") && args.len() == 1 {
            return None;
        }
        return Some(Err(wrong_args(&lname)));
    }
    if let Some(r) = math::call(&lname, args) {
        return Some(r);
    }
    Some(match lname.as_str() {
        "printf" | "format" => printf::printf_func(args),
        "like" => like::like_func(args),
        "glob" => like::glob_func(args),
        _ => scalar::call(&lname, args)?,
    })
}
