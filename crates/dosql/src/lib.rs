//! DoSQL embedded: the library applications depend on.
//!
//! (Work in progress: the API lands in the following commits.)

pub use dosql_sql::Value;
