//! [`Storage`] on real files in one directory, with positioned I/O.
//!
//! Unix only: it uses `pread`/`pwrite` through [`std::os::unix::fs::FileExt`]
//! so readers never contend on a shared file cursor.

use super::{Storage, StorageFile};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files in one directory of the real file system.
#[derive(Debug, Clone)]
pub struct FileStorage {
    dir: PathBuf,
}

impl FileStorage {
    /// A storage over `dir`, which is created if it does not exist.
    pub fn new(dir: impl AsRef<Path>) -> io::Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    fn path(&self, name: &str) -> io::Result<PathBuf> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("invalid storage file name {name:?}")));
        }
        Ok(self.dir.join(name))
    }
}

struct RealFile {
    file: File,
}

impl StorageFile for RealFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.file.read_at(buf, offset) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.file.write_all_at(data, offset)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
    fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

impl Storage for FileStorage {
    fn open(&self, name: &str) -> io::Result<Arc<dyn StorageFile>> {
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(self.path(name)?)?;
        Ok(Arc::new(RealFile { file }))
    }
    fn exists(&self, name: &str) -> io::Result<bool> {
        self.path(name)?.try_exists()
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        match fs::remove_file(self.path(name)?) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
    fn list(&self, prefix: &str) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            if let Some(name) = entry.file_name().to_str()
                && name.starts_with(prefix)
            {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }
    fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }
    fn describe(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::read_exact_at;

    #[test]
    fn write_read_list_remove() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = FileStorage::new(dir.path()).expect("storage");
        let f = s.open("a.db").expect("open");
        f.write_at(10, b"hello").expect("write");
        assert_eq!(f.len().expect("len"), 15);
        let mut buf = [0u8; 5];
        read_exact_at(&*f, 10, &mut buf).expect("read");
        assert_eq!(&buf, b"hello");
        assert!(read_exact_at(&*f, 12, &mut buf).is_err());
        f.sync().expect("sync");
        s.open("a.db-wal-1").expect("open");
        assert_eq!(s.list("a.db-").expect("list"), vec!["a.db-wal-1".to_string()]);
        s.remove("a.db-wal-1").expect("remove");
        s.remove("a.db-wal-1").expect("remove twice");
        assert!(!s.exists("a.db-wal-1").expect("exists"));
        assert!(s.open("../x").is_err());
    }
}
