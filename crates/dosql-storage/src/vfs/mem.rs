//! [`Storage`] held in memory: fast, for tests and `open_in_memory`.
//!
//! Writes are durable at once (there is no crash to lose them to); the
//! fault-injecting storage models the difference between written and synced.

use super::{Storage, StorageFile};
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

/// An in-memory namespace of files.
#[derive(Default, Clone)]
pub struct MemStorage {
    files: Arc<Mutex<BTreeMap<String, Arc<MemFile>>>>,
}

impl MemStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }
}

/// One in-memory file.
#[derive(Default)]
pub(crate) struct MemFile {
    pub(crate) data: RwLock<Vec<u8>>,
}

impl StorageFile for MemFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let data = self.data.read();
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        if start >= data.len() {
            return Ok(0);
        }
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }
    fn write_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let start =
            usize::try_from(offset).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
        let mut data = self.data.write();
        let end = start + bytes.len();
        if data.len() < end {
            data.resize(end, 0);
        }
        data[start..end].copy_from_slice(bytes);
        Ok(())
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.data.read().len() as u64)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "length too large"))?;
        self.data.write().resize(len, 0);
        Ok(())
    }
    fn sync(&self) -> io::Result<()> {
        Ok(())
    }
}

impl Storage for MemStorage {
    fn open(&self, name: &str) -> io::Result<Arc<dyn StorageFile>> {
        let mut files = self.files.lock();
        let file = files.entry(name.to_string()).or_default().clone();
        Ok(file)
    }
    fn exists(&self, name: &str) -> io::Result<bool> {
        Ok(self.files.lock().contains_key(name))
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        self.files.lock().remove(name);
        Ok(())
    }
    fn list(&self, prefix: &str) -> io::Result<Vec<String>> {
        Ok(self.files.lock().keys().filter(|k| k.starts_with(prefix)).cloned().collect())
    }
    fn sync_dir(&self) -> io::Result<()> {
        Ok(())
    }
    fn describe(&self, name: &str) -> String {
        format!("memory:{name}")
    }
}
