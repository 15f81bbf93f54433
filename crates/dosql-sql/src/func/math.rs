//! Math functions (SQLite's `SQLITE_ENABLE_MATH_FUNCTIONS` set).
//!
//! Arguments must be numeric (INTEGER, REAL, or TEXT that looks entirely
//! like a number); anything else gives NULL, as does any domain error (a NaN
//! result).  `ceil`, `floor` and `trunc` return INTEGER arguments unchanged.

use crate::value::{self, Value};

/// Evaluate a math function; `None` if `name` is not one.
pub(crate) fn call(name: &str, a: &[Value]) -> Option<Result<Value, String>> {
    let f1: fn(f64) -> f64 = match name {
        "ceil" | "ceiling" => return Some(Ok(ceiling(&a[0], f64::ceil))),
        "floor" => return Some(Ok(ceiling(&a[0], f64::floor))),
        "trunc" => return Some(Ok(ceiling(&a[0], f64::trunc))),
        "ln" => return Some(Ok(log(a, LogKind::Ln))),
        "log" if a.len() == 2 => return Some(Ok(log(a, LogKind::Ln))),
        "log" | "log10" => return Some(Ok(log(a, LogKind::Log10))),
        "log2" => return Some(Ok(log(a, LogKind::Log2))),
        "pow" | "power" => return Some(Ok(math2(a, f64::powf))),
        "mod" => return Some(Ok(math2(a, |x, y| x % y))),
        "atan2" => return Some(Ok(math2(a, f64::atan2))),
        "pi" => return Some(Ok(Value::Real(std::f64::consts::PI))),
        "exp" => f64::exp,
        "acos" => f64::acos,
        "asin" => f64::asin,
        "atan" => f64::atan,
        "cos" => f64::cos,
        "sin" => f64::sin,
        "tan" => f64::tan,
        "cosh" => f64::cosh,
        "sinh" => f64::sinh,
        "tanh" => f64::tanh,
        "acosh" => acosh,
        "asinh" => asinh,
        "atanh" => f64::atanh,
        "sqrt" => f64::sqrt,
        "radians" => |x| x * (std::f64::consts::PI / 180.0),
        "degrees" => |x| x * (180.0 / std::f64::consts::PI),
        _ => return None,
    };
    Some(Ok(math1(&a[0], f1)))
}

/// Numeric argument as a double, or `None` if the argument is not numeric.
fn num_arg(v: &Value) -> Option<f64> {
    value::numeric_value(v).map(|n| n.to_f64())
}

fn math1(v: &Value, f: fn(f64) -> f64) -> Value {
    match num_arg(v) {
        Some(x) => Value::real(f(x)),
        None => Value::Null,
    }
}

fn math2(a: &[Value], f: fn(f64, f64) -> f64) -> Value {
    match (num_arg(&a[0]), num_arg(&a[1])) {
        (Some(x), Some(y)) => Value::real(f(x, y)),
        _ => Value::Null,
    }
}

/// `ceil` / `floor` / `trunc`: INTEGER stays INTEGER, REAL is rounded.
fn ceiling(v: &Value, f: fn(f64) -> f64) -> Value {
    match value::numeric_value(v) {
        Some(Value::Integer(i)) => Value::Integer(i),
        Some(n) => Value::real(f(n.to_f64())),
        None => Value::Null,
    }
}

#[derive(Clone, Copy)]
enum LogKind {
    Ln,
    Log10,
    Log2,
}

/// `ln(X)`, `log(X)` (base 10), `log10(X)`, `log2(X)` and `log(B, X)`.
fn log(a: &[Value], kind: LogKind) -> Value {
    let Some(x) = num_arg(&a[0]) else { return Value::Null };
    if x <= 0.0 {
        return Value::Null;
    }
    if a.len() == 2 {
        // SQLite re-checks the first argument's type and then reads the second
        // with sqlite3_value_double(), so a non-numeric X uses its numeric prefix.
        let b = x.ln();
        if b <= 0.0 {
            return Value::Null;
        }
        let x2 = a[1].to_f64();
        if x2 <= 0.0 {
            return Value::Null;
        }
        return Value::real(x2.ln() / b);
    }
    Value::real(match kind {
        LogKind::Ln => x.ln(),
        LogKind::Log10 => x.log10(),
        LogKind::Log2 => x.log2(),
    })
}

/// Threshold above which glibc computes acosh/asinh as ln(x) + ln(2).
const BIG: f64 = 268435456.0; // 2^28

/// `acosh` with glibc's large-argument formula (Rust's std overflows).
fn acosh(x: f64) -> f64 {
    if x > BIG { x.ln() + std::f64::consts::LN_2 } else { x.acosh() }
}

/// `asinh` with glibc's large-argument formula (Rust's std overflows).
fn asinh(x: f64) -> f64 {
    if x.abs() > BIG { (x.abs().ln() + std::f64::consts::LN_2).copysign(x) } else { x.asinh() }
}
