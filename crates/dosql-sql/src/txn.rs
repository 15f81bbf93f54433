//! A connection's transaction over two storage databases: the main one and
//! the connection's private temporary database, which holds TEMP tables,
//! indexes, views and triggers.
//!
//! Tree ids say which database a tree lives in: ids with [`TEMP_BIT`] set
//! are temporary. The temporary database is in memory and never logged, so
//! its changes never reach the main database's log or change feed, and it
//! vanishes with the connection. [`Txn`] and [`Snapshot`] route every tree
//! operation by id, and a transaction's savepoints, commit and rollback
//! apply to both databases.

use crate::error::{Error, Result};
use crate::exec::Reader;
use dosql_storage::{Database, Range, ReadTxn, TreeId, WriteTxn};
use std::ops::RangeBounds;

/// Set in the id of every tree of the temporary database.
pub const TEMP_BIT: TreeId = 1 << 62;

/// Whether `tree` lives in the temporary database.
pub fn is_temp(tree: TreeId) -> bool {
    tree & TEMP_BIT != 0
}

fn no_temp(tree: TreeId) -> Error {
    Error::Storage(dosql_storage::Error::NoSuchTree(tree))
}

/// A write transaction over the main database and the connection's
/// temporary one. The temporary database joins the transaction only when
/// a temporary tree is first written, so transactions that never touch
/// TEMP objects never lock it.
pub struct Txn {
    main: WriteTxn,
    temp_db: Database,
    temp: Option<WriteTxn>,
    /// Open savepoints, outermost first, so a temporary database that joins
    /// late can be given the same ones.
    savepoints: Vec<String>,
    /// Writes to the main database's `sqlite_schema` so far: a statement
    /// that made some changed the schema other connections see.
    schema_writes: u64,
}

impl Txn {
    /// A transaction over `main`, with `temp_db` joining when written.
    pub fn new(main: WriteTxn, temp_db: Database) -> Txn {
        Txn { main, temp_db, temp: None, savepoints: Vec::new(), schema_writes: 0 }
    }

    /// The temporary database's transaction, begun on first use. Its state
    /// before joining is its state at every savepoint already open.
    fn temp_mut(&mut self) -> Result<&mut WriteTxn> {
        if self.temp.is_none() {
            let mut t = self.temp_db.begin_write()?;
            for s in &self.savepoints {
                t.savepoint(s);
            }
            self.temp = Some(t);
        }
        self.temp.as_mut().ok_or_else(|| no_temp(TEMP_BIT))
    }

    fn side_mut(&mut self, tree: TreeId) -> Result<&mut WriteTxn> {
        if is_temp(tree) { self.temp_mut() } else { Ok(&mut self.main) }
    }

    /// The value under `key` in `tree`.
    pub fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(match (is_temp(tree), &self.temp) {
            (false, _) => self.main.get(tree, key)?,
            (true, Some(t)) => t.get(tree, key)?,
            // Not joined: nothing uncommitted, so the latest commit is current.
            (true, None) => self.temp_db.begin_read().get(tree, key)?,
        })
    }

    /// Entries of `tree` in `range`, in key order.
    pub fn range<'k>(&self, tree: TreeId, range: impl RangeBounds<&'k [u8]>) -> Result<Range> {
        Ok(match (is_temp(tree), &self.temp) {
            (false, _) => self.main.range(tree, range)?,
            (true, Some(t)) => t.range(tree, range)?,
            (true, None) => self.temp_db.begin_read().range(tree, range)?,
        })
    }

    /// The largest key in `tree`, if any.
    pub fn last_key(&self, tree: TreeId) -> Result<Option<Vec<u8>>> {
        Ok(match (is_temp(tree), &self.temp) {
            (false, _) => self.main.last_key(tree)?,
            (true, Some(t)) => t.last_key(tree)?,
            (true, None) => self.temp_db.begin_read().last_key(tree)?,
        })
    }

    /// Whether `tree` exists.
    pub fn tree_exists(&self, tree: TreeId) -> bool {
        match (is_temp(tree), &self.temp) {
            (false, _) => self.main.tree_exists(tree),
            (true, Some(t)) => t.tree_exists(tree),
            (true, None) => self.temp_db.begin_read().tree_exists(tree),
        }
    }

    /// Inserts or replaces; returns the previous value.
    pub fn put(&mut self, tree: TreeId, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>> {
        self.count_schema_write(tree);
        Ok(self.side_mut(tree)?.put(tree, key, value)?)
    }

    /// Deletes; returns the previous value.
    pub fn delete(&mut self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.count_schema_write(tree);
        Ok(self.side_mut(tree)?.delete(tree, key)?)
    }

    fn count_schema_write(&mut self, tree: TreeId) {
        if tree == crate::schema::SCHEMA_TREE {
            self.schema_writes += 1;
        }
    }

    /// How many writes to the main database's `sqlite_schema` this
    /// transaction made (rolled back ones included).
    pub fn schema_writes(&self) -> u64 {
        self.schema_writes
    }

    /// Creates an empty tree.
    pub fn create_tree(&mut self, tree: TreeId) -> Result<()> {
        Ok(self.side_mut(tree)?.create_tree(tree)?)
    }

    /// Drops a tree and its contents.
    pub fn drop_tree(&mut self, tree: TreeId) -> Result<()> {
        Ok(self.side_mut(tree)?.drop_tree(tree)?)
    }

    /// Opens a savepoint in both databases.
    pub fn savepoint(&mut self, name: &str) {
        self.main.savepoint(name);
        if let Some(t) = self.temp.as_mut() {
            t.savepoint(name);
        }
        self.savepoints.push(name.to_string());
    }

    /// Undoes both databases' changes since savepoint `name`, keeping it open.
    pub fn rollback_to(&mut self, name: &str) -> Result<()> {
        self.main.rollback_to(name)?;
        if let Some(t) = self.temp.as_mut() {
            t.rollback_to(name)?;
        }
        if let Some(i) = self.savepoints.iter().rposition(|s| s == name) {
            self.savepoints.truncate(i + 1);
        }
        Ok(())
    }

    /// Forgets savepoint `name` (and those after it), keeping the changes.
    pub fn release(&mut self, name: &str) -> Result<()> {
        self.main.release(name)?;
        if let Some(t) = self.temp.as_mut() {
            t.release(name)?;
        }
        if let Some(i) = self.savepoints.iter().rposition(|s| s == name) {
            self.savepoints.truncate(i);
        }
        Ok(())
    }

    /// Commits the main database, then the temporary one (in memory, it
    /// cannot fail for lack of space or a bad disk).
    pub fn commit(self) -> Result<()> {
        let Txn { main, temp, .. } = self;
        match main.commit() {
            Ok(_) => {
                if let Some(t) = temp {
                    t.commit()?;
                }
                Ok(())
            }
            Err(e) => {
                if let Some(t) = temp {
                    t.rollback();
                }
                Err(e.into())
            }
        }
    }

    /// Abandons both databases' changes.
    pub fn rollback(self) {
        self.main.rollback();
        if let Some(t) = self.temp {
            t.rollback();
        }
    }
}

impl Reader for Txn {
    fn range(&self, tree: TreeId, lo: std::ops::Bound<&[u8]>, hi: std::ops::Bound<&[u8]>) -> Result<Range> {
        Txn::range(self, tree, (lo, hi))
    }
    fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Txn::get(self, tree, key)
    }
    fn get_with(&self, tree: TreeId, key: &[u8], f: &mut dyn FnMut(&[u8])) -> Result<bool> {
        Ok(match (is_temp(tree), &self.temp) {
            (false, _) => self.main.get_with(tree, key, f)?,
            (true, Some(t)) => t.get_with(tree, key, f)?,
            (true, None) => self.temp_db.begin_read().get_with(tree, key, f)?,
        }
        .is_some())
    }
    fn has_tree(&self, tree: TreeId) -> bool {
        self.tree_exists(tree)
    }
    fn tree_len(&self, tree: TreeId) -> Result<u64> {
        Ok(match (is_temp(tree), &self.temp) {
            (false, _) => self.main.tree_len(tree)?,
            (true, Some(t)) => t.tree_len(tree)?,
            (true, None) => self.temp_db.begin_read().tree_len(tree)?,
        })
    }
}

/// A read snapshot of the main database and the temporary one.
pub struct Snapshot {
    /// The main database's snapshot.
    pub main: ReadTxn,
    /// The temporary database's.
    pub temp: ReadTxn,
}

impl Snapshot {
    fn side(&self, tree: TreeId) -> &ReadTxn {
        if is_temp(tree) { &self.temp } else { &self.main }
    }
}

impl Reader for Snapshot {
    fn range(&self, tree: TreeId, lo: std::ops::Bound<&[u8]>, hi: std::ops::Bound<&[u8]>) -> Result<Range> {
        Ok(self.side(tree).range(tree, (lo, hi))?)
    }
    fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.side(tree).get(tree, key)?)
    }
    fn get_with(&self, tree: TreeId, key: &[u8], f: &mut dyn FnMut(&[u8])) -> Result<bool> {
        Ok(self.side(tree).get_with(tree, key, f)?.is_some())
    }
    fn has_tree(&self, tree: TreeId) -> bool {
        self.side(tree).tree_exists(tree)
    }
    fn tree_len(&self, tree: TreeId) -> Result<u64> {
        Ok(self.side(tree).tree_len(tree)?)
    }
}
