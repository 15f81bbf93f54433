//! Rust values in and out of SQL values: [`FromValue`] reads a column as a
//! Rust type, [`Params`] binds a statement's `?` parameters.

use crate::error::{Error, Result};
use dosql_sql::Value;

/// The storage class name of a value, as `typeof()` spells it in upper case.
pub(crate) fn class(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Integer(_) => "INTEGER",
        Value::Real(_) => "REAL",
        Value::Text(_) => "TEXT",
        Value::Blob(_) => "BLOB",
    }
}

/// A Rust type a column value can be read as.
///
/// Conversions are exact, never SQLite's lossy casts: an INTEGER reads as
/// any integer type it fits, or as `f64`; a REAL reads as `f64`; TEXT as
/// `String`; BLOB as `Vec<u8>`; NULL only as `Option::None` or
/// [`Value::Null`]. `bool` reads INTEGER 0 and 1.
///
/// ```
/// # use dosql::{Connection, FromValue, Value};
/// assert_eq!(i64::from_value(&Value::Integer(7)), Some(7));
/// assert_eq!(u8::from_value(&Value::Integer(300)), None);
/// assert_eq!(Option::<String>::from_value(&Value::Null), Some(None));
/// assert_eq!(f64::from_value(&Value::Integer(2)), Some(2.0));
/// ```
pub trait FromValue: Sized {
    /// The value as `Self`, or `None` when it does not convert.
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for Value {
    fn from_value(v: &Value) -> Option<Self> {
        Some(v.clone())
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &Value) -> Option<Self> {
                match v {
                    Value::Integer(i) => <$t>::try_from(*i).ok(),
                    _ => None,
                }
            }
        }
    )*};
}
from_integer!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(r) => Some(*r),
            Value::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }
}

impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Integer(0) => Some(false),
            Value::Integer(1) => Some(true),
            _ => None,
        }
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A Rust value that binds to a `?` parameter.
///
/// ```
/// # use dosql::{ToValue, Value};
/// assert_eq!(5i32.to_value(), Value::Integer(5));
/// assert_eq!("x".to_value(), Value::Text("x".into()));
/// assert_eq!(None::<i64>.to_value(), Value::Null);
/// assert_eq!(true.to_value(), Value::Integer(1));
/// ```
pub trait ToValue {
    /// The SQL value.
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

macro_rules! to_integer {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Integer(i64::from(*self))
            }
        }
    )*};
}
to_integer!(i8, i16, i32, i64, u8, u16, u32, bool);

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        // SQLite stores NaN as NULL.
        if self.is_nan() { Value::Null } else { Value::Real(*self) }
    }
}

impl ToValue for f32 {
    fn to_value(&self) -> Value {
        f64::from(*self).to_value()
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// The values of a statement's parameters, by position: `()` for none, a
/// tuple of [`ToValue`]s, a slice, array or `Vec` of [`Value`]s, or the
/// [`params!`](crate::params) macro.
///
/// ```
/// # use dosql::{Connection, Value, params};
/// let mut c = Connection::open_in_memory()?;
/// c.execute("CREATE TABLE t(a, b)", ())?;
/// c.execute("INSERT INTO t VALUES(?, ?)", (1, "one"))?;
/// c.execute("INSERT INTO t VALUES(?, ?)", params![2, None::<String>])?;
/// c.execute("INSERT INTO t VALUES(?, ?)", [Value::Integer(3), Value::Real(0.5)])?;
/// let n: i64 = c.query_row("SELECT count(*) FROM t WHERE a > ?", (1,), |r| r.get(0))?;
/// assert_eq!(n, 2);
/// # Ok::<(), dosql::Error>(())
/// ```
pub trait Params {
    /// The values, in parameter order.
    fn into_values(self) -> Vec<Value>;

    /// `f` of the values, borrowed where they already are [`Value`]s
    /// (slices, arrays and vectors by reference are not copied).
    ///
    /// ```
    /// # use dosql::{Params, Value};
    /// let vals = [Value::Integer(1), Value::Text("a".into())];
    /// assert_eq!((&vals).with_values(|v| v.len()), 2);
    /// assert_eq!((1, "a").with_values(|v| v.to_vec()), vals);
    /// ```
    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R
    where
        Self: Sized,
    {
        f(&self.into_values())
    }
}

impl Params for () {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }
}

impl Params for Vec<Value> {
    fn into_values(self) -> Vec<Value> {
        self
    }
}

impl Params for &[Value] {
    fn into_values(self) -> Vec<Value> {
        self.to_vec()
    }
    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        f(self)
    }
}

impl Params for &Vec<Value> {
    fn into_values(self) -> Vec<Value> {
        self.clone()
    }
    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        f(self)
    }
}

impl<const N: usize> Params for [Value; N] {
    fn into_values(self) -> Vec<Value> {
        self.into()
    }
}

impl<const N: usize> Params for &[Value; N] {
    fn into_values(self) -> Vec<Value> {
        self.to_vec()
    }
    fn with_values<R>(self, f: impl FnOnce(&[Value]) -> R) -> R {
        f(self)
    }
}

macro_rules! tuple_params {
    ($($n:ident),+) => {
        impl<$($n: ToValue),+> Params for ($($n,)+) {
            #[allow(non_snake_case)]
            fn into_values(self) -> Vec<Value> {
                let ($($n,)+) = self;
                vec![$($n.to_value()),+]
            }
        }
    };
}
tuple_params!(A);
tuple_params!(A, B);
tuple_params!(A, B, C);
tuple_params!(A, B, C, D);
tuple_params!(A, B, C, D, E);
tuple_params!(A, B, C, D, E, F);
tuple_params!(A, B, C, D, E, F, G);
tuple_params!(A, B, C, D, E, F, G, H);
tuple_params!(A, B, C, D, E, F, G, H, I);
tuple_params!(A, B, C, D, E, F, G, H, I, J);
tuple_params!(A, B, C, D, E, F, G, H, I, J, K);
tuple_params!(A, B, C, D, E, F, G, H, I, J, K, L);

/// Parameter values of any [`ToValue`] types, as a `Vec<Value>`.
///
/// ```
/// # use dosql::{params, Value};
/// let p = params![1, "a", 2.5, None::<i64>];
/// assert_eq!(p, vec![Value::Integer(1), Value::Text("a".into()), Value::Real(2.5), Value::Null]);
/// ```
#[macro_export]
macro_rules! params {
    () => { ::std::vec::Vec::<$crate::Value>::new() };
    ($($p:expr),+ $(,)?) => { ::std::vec![$($crate::ToValue::to_value(&$p)),+] };
}

/// Reads `v` (of column `column`) as `T`.
pub(crate) fn convert<T: FromValue>(v: &Value, column: &str) -> Result<T> {
    T::from_value(v).ok_or_else(|| Error::Conversion {
        column: column.to_string(),
        found: class(v),
        wanted: std::any::type_name::<T>(),
    })
}
