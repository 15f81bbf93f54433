//! The pager: fixed-size checksummed pages of the data file, read through
//! the page cache, and runs of consecutive pages for large values.
//!
//! Page `p` lives at byte `DATA_START + p * page_size`. Pages are written
//! only by checkpoints, only to locations that no retained checkpoint uses
//! (copy-on-write), so the pager never overwrites a page a reader may need.

use crate::cache::{CacheStats, PageCache};
use crate::error::{Error, PageId, Result};
use crate::meta::DATA_START;
use crate::node::{Node, PageNode, Written, page_checksum};
use crate::vfs::{StorageFile, read_exact_at};
use std::sync::Arc;

pub(crate) struct Pager {
    file: Arc<dyn StorageFile>,
    path: String,
    page_size: usize,
    cache: PageCache,
}

impl Pager {
    pub(crate) fn new(file: Arc<dyn StorageFile>, path: String, page_size: usize, cache_bytes: usize) -> Self {
        Self { file, path, page_size, cache: PageCache::new(cache_bytes, page_size) }
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn file(&self) -> &Arc<dyn StorageFile> {
        &self.file
    }

    fn offset(&self, pid: PageId) -> Result<u64> {
        pid.checked_mul(self.page_size as u64)
            .and_then(|o| o.checked_add(DATA_START))
            .ok_or_else(|| self.corrupt(pid, "page number out of range"))
    }

    pub(crate) fn corrupt(&self, page: PageId, reason: impl Into<String>) -> Error {
        Error::CorruptPage { path: self.path.clone(), page, reason: reason.into() }
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::io(&self.path, e)
    }

    /// The verified page at `pid`, from the cache or the file.
    pub(crate) fn read_page(&self, pid: PageId) -> Result<Arc<PageNode>> {
        if let Some(n) = self.cache.get(pid) {
            return Ok(n);
        }
        let off = self.offset(pid)?;
        let mut bufs = self.cache.buffers_for(pid);
        read_exact_at(&*self.file, off, &mut bufs.page).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                self.corrupt(pid, "page lies beyond the end of the file (truncated file?)")
            } else {
                self.io(e)
            }
        })?;
        let stored = bufs.page.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        if stored != Some(page_checksum(pid, &bufs.page)) {
            return Err(self.corrupt(pid, "checksum mismatch"));
        }
        let node = Arc::new(PageNode::parse_in(pid, bufs).map_err(|e| self.corrupt(pid, e.0))?);
        self.cache.insert(pid, node.clone());
        Ok(node)
    }

    /// Writes `node` to `pid` (with the in-memory references `written`
    /// resolves) and caches the page as clean.
    pub(crate) fn write_node(&self, pid: PageId, node: &Node, generation: u64, written: &Written) -> Result<()> {
        let internal = |e: &str| Error::Corrupt {
            path: self.path.clone(),
            reason: format!("internal error encoding page {pid}: {e}"),
        };
        if node.bytes() > self.page_size {
            return Err(internal("node larger than a page"));
        }
        let mut page = Vec::with_capacity(self.page_size);
        node.encode_into(generation, &mut page, written).map_err(internal)?;
        page.resize(self.page_size, 0);
        let mut page = page.into_boxed_slice();
        let crc = page_checksum(pid, &page);
        page[..4].copy_from_slice(&crc.to_le_bytes());
        self.file.write_at(self.offset(pid)?, &page).map_err(|e| self.io(e))?;
        // What readers will find in the file, in the form they read it in.
        let cached = PageNode::parse(pid, page).map_err(|e| internal(e.0))?;
        self.cache.insert(pid, Arc::new(cached));
        Ok(())
    }

    /// Pages a run of `len` bytes occupies.
    pub(crate) fn run_pages(&self, len: u64) -> u64 {
        len.div_ceil(self.page_size as u64).max(1)
    }

    /// Writes `data` to the run starting at `first`.
    pub(crate) fn write_run(&self, first: PageId, data: &[u8]) -> Result<()> {
        for p in first..first + self.run_pages(data.len() as u64) {
            self.cache.remove(p);
        }
        self.file.write_at(self.offset(first)?, data).map_err(|e| self.io(e))
    }

    /// Reads and verifies the run at `first`.
    pub(crate) fn read_run(&self, first: PageId, len: u64, crc: u32) -> Result<Vec<u8>> {
        let n = usize::try_from(len).map_err(|_| self.corrupt(first, "run length too large"))?;
        let file_len = self.file.len().map_err(|e| self.io(e))?;
        let off = self.offset(first)?;
        if off.checked_add(len).is_none_or(|end| end > file_len) {
            return Err(self.corrupt(first, "value run lies beyond the end of the file"));
        }
        let mut buf = vec![0u8; n];
        read_exact_at(&*self.file, off, &mut buf).map_err(|e| self.io(e))?;
        if crc32fast::hash(&buf) != crc {
            return Err(self.corrupt(first, "checksum mismatch in a large-value run"));
        }
        Ok(buf)
    }

    pub(crate) fn sync(&self) -> Result<()> {
        self.file.sync().map_err(|e| self.io(e))
    }

    pub(crate) fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    pub(crate) fn set_cache_bytes(&self, bytes: usize) {
        self.cache.set_capacity(bytes);
    }

    pub(crate) fn forget(&self, pid: PageId) {
        self.cache.remove(pid);
    }
}
