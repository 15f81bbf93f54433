//! The storage trait every byte of the engine goes through.
//!
//! The engine never touches `std::fs` directly: it asks a [`Storage`] for named
//! files and does positioned reads and writes on them. That is what lets the
//! same engine run on real files ([`FileStorage`]), in memory
//! ([`MemStorage`]) and on a fault-injecting model of a disk
//! ([`FaultStorage`]) that loses unsynced writes, tears writes and fails
//! operations on demand, so crash safety is tested by the thousands.
//!
//! What the engine assumes of a storage (the same as of a POSIX disk):
//! - a write that returned may still be lost by a crash until the file's
//!   [`StorageFile::sync`] returns; after that it survives;
//! - a write is not atomic: a crash may persist any prefix of it (a torn
//!   write), and unsynced writes may be lost independently of each other;
//! - a created or removed file name is durable after [`Storage::sync_dir`].

mod fault;
mod file;
mod mem;

pub use fault::{CrashMode, FaultConfig, FaultStorage};
pub use file::FileStorage;
pub use mem::MemStorage;

use std::io;
use std::sync::Arc;

/// A namespace of files (a directory, in the file implementation).
pub trait Storage: Send + Sync + 'static {
    /// Opens the file `name`, creating it empty if it does not exist.
    fn open(&self, name: &str) -> io::Result<Arc<dyn StorageFile>>;
    /// Whether a file called `name` exists.
    fn exists(&self, name: &str) -> io::Result<bool>;
    /// Removes the file `name`; removing a missing file is not an error.
    fn remove(&self, name: &str) -> io::Result<()>;
    /// Names of the files whose name starts with `prefix`, sorted.
    fn list(&self, prefix: &str) -> io::Result<Vec<String>>;
    /// Makes file creations and removals so far durable.
    fn sync_dir(&self) -> io::Result<()>;
    /// A human-readable location of `name` for error messages (a path).
    fn describe(&self, name: &str) -> String;
}

/// One open file: positioned reads and writes, length, and sync.
pub trait StorageFile: Send + Sync {
    /// Reads into `buf` from `offset`; returns the bytes read, fewer than
    /// `buf.len()` only at the end of the file.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes all of `data` at `offset`, extending the file if needed.
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()>;
    /// The current length of the file in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Whether the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
    /// Truncates or extends the file to `len` bytes.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Makes every write so far durable.
    fn sync(&self) -> io::Result<()>;
}

/// Reads exactly `buf.len()` bytes at `offset`, or fails with
/// [`io::ErrorKind::UnexpectedEof`].
pub fn read_exact_at(file: &dyn StorageFile, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let n = file.read_at(offset + done as u64, &mut buf[done..])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("short read: wanted {} bytes at offset {offset}, file ends after {done}", buf.len()),
            ));
        }
        done += n;
    }
    Ok(())
}
