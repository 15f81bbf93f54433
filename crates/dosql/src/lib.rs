//! DoSQL embedded: the library applications depend on.
//!
//! (Work in progress: the API lands in the following commits.)

pub use dosql_sql::Value;
#[allow(dead_code)]
fn _check() {
    fn s<T: Send>() {}
    s::<dosql_sql::Connection>();
}
