//! ORDER BY for streamed queries: an external merge sort, or a bounded
//! top-k under a small LIMIT.
//!
//! Rows (each with its sort keys) are buffered until their estimated size
//! reaches a budget ([`DEFAULT_BUDGET`]); a full buffer is sorted and
//! written as a run to an anonymous temporary file, and the runs are merged
//! as rows are pulled. When [`FAN_IN`] runs of one generation pile up they
//! are merged into one run of the next, so a merge never reads from more
//! than a few dozen files at once. Order is exactly a stable sort's under
//! `exec::compare_keys`, as the complete run sorts: each run is
//! sorted stably and ties between runs go to the earlier run.
//!
//! With `LIMIT k` (plus OFFSET) of at most [`TOP_K_ROWS`] rows, only the
//! first `k` rows are kept: the buffer is sorted and cut back to `k` rows
//! whenever it holds `2k`, which is again a stable sort's prefix.
//!
//! Left out: the budget is an estimate of the values' heap size, not a
//! measured one; the run files are not compressed.

use crate::error::{Error, Result};
use crate::plan::SortKey;
use crate::value::Value;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering as AtomicOrdering};

/// Bytes of rows a sort holds in memory before it writes a run (4 MiB).
pub const DEFAULT_BUDGET: usize = 4 << 20;
/// Runs of one generation merged into one run of the next.
pub const FAN_IN: usize = 16;
/// The largest LIMIT + OFFSET kept as a top-k in memory.
pub const TOP_K_ROWS: usize = 4096;

static BUDGET: AtomicUsize = AtomicUsize::new(DEFAULT_BUDGET);
static RUNS_WRITTEN: AtomicU64 = AtomicU64::new(0);

/// Sets the bytes every later sort of this process holds before writing a
/// run (for tests: a small budget makes small sorts spill).
#[doc(hidden)]
pub fn set_budget(bytes: usize) {
    BUDGET.store(bytes.max(1), AtomicOrdering::Relaxed);
}

/// How many runs sorts of this process have written to temporary files.
#[doc(hidden)]
pub fn runs_written() -> u64 {
    RUNS_WRITTEN.load(AtomicOrdering::Relaxed)
}

/// A result row and its sort keys.
pub(crate) type Entry = (Vec<Value>, Vec<Value>);

/// Rows being gathered for a sort.
pub(crate) struct Sorter {
    keys: Vec<SortKey>,
    buf: Vec<Entry>,
    bytes: usize,
    budget: usize,
    /// Rows kept when only the first ones are wanted.
    top: Option<usize>,
    /// Written runs with their generation, oldest first.
    runs: Vec<(u32, Run)>,
}

/// A sorted run in a temporary file.
struct Run {
    file: File,
    len: u64,
}

fn io_error(e: std::io::Error) -> Error {
    Error::Runtime(format!("disk I/O error: {e}"))
}

/// Estimated bytes an entry takes in memory.
fn entry_size(e: &Entry) -> usize {
    let values = |vs: &[Value]| -> usize {
        vs.iter()
            .map(|v| {
                std::mem::size_of::<Value>()
                    + match v {
                        Value::Text(s) => s.len(),
                        Value::Blob(b) => b.len(),
                        _ => 0,
                    }
            })
            .sum()
    };
    std::mem::size_of::<Entry>() + values(&e.0) + values(&e.1)
}

impl Sorter {
    /// A sort by `keys`; `top` is how many of the first rows are wanted,
    /// when a LIMIT says so.
    pub(crate) fn new(keys: Vec<SortKey>, top: Option<usize>) -> Sorter {
        let top = top.filter(|&k| k <= TOP_K_ROWS);
        Sorter { keys, buf: Vec::new(), bytes: 0, budget: BUDGET.load(AtomicOrdering::Relaxed), top, runs: Vec::new() }
    }

    /// Adds a row with its sort keys.
    pub(crate) fn push(&mut self, e: Entry) -> Result<()> {
        if let Some(k) = self.top {
            self.buf.push(e);
            if self.buf.len() >= k.saturating_mul(2).max(64) {
                self.sort_buf();
                self.buf.truncate(k);
            }
            return Ok(());
        }
        self.bytes = self.bytes.saturating_add(entry_size(&e));
        self.buf.push(e);
        if self.bytes >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn sort_buf(&mut self) {
        let keys = &self.keys;
        self.buf.sort_by(|a, b| crate::exec::compare_keys(&a.1, &b.1, keys));
    }

    /// Writes the buffer as a run, then merges full generations.
    fn spill(&mut self) -> Result<()> {
        self.sort_buf();
        let buf = std::mem::take(&mut self.buf);
        self.bytes = 0;
        let run = write_run(buf.into_iter().map(Ok))?;
        self.runs.push((0, run));
        while let Some(&(gen_, _)) = self.runs.last() {
            let same = self.runs.iter().rev().take_while(|(g, _)| *g == gen_).count();
            if same < FAN_IN {
                break;
            }
            let at = self.runs.len() - same;
            let group: Vec<Run> = self.runs.drain(at..).map(|(_, r)| r).collect();
            let mut merger =
                Merger::new(self.keys.clone(), group.into_iter().map(Source::file).collect::<Result<_>>()?)?;
            let run = write_run(std::iter::from_fn(|| merger.next_entry().transpose()))?;
            self.runs.push((gen_ + 1, run));
        }
        Ok(())
    }

    /// The rows in order.
    pub(crate) fn finish(mut self) -> Result<Sorted> {
        self.sort_buf();
        if let Some(k) = self.top {
            self.buf.truncate(k);
        }
        if self.runs.is_empty() {
            return Ok(Sorted::Memory(self.buf.into_iter()));
        }
        let mut sources = self.runs.into_iter().map(|(_, r)| Source::file(r)).collect::<Result<Vec<_>>>()?;
        sources.push(Source::Memory(self.buf.into_iter()));
        Ok(Sorted::Merge(Merger::new(self.keys, sources)?))
    }
}

/// Writes entries (in order) to a new temporary file.
fn write_run(entries: impl Iterator<Item = Result<Entry>>) -> Result<Run> {
    let mut w = BufWriter::new(tempfile::tempfile().map_err(io_error)?);
    let mut len = 0u64;
    for e in entries {
        let (row, keys) = e?;
        for part in [crate::record::encode_row(&row), crate::record::encode_row(&keys)] {
            let n = u32::try_from(part.len()).map_err(|_| Error::Runtime("string or blob too big".into()))?;
            w.write_all(&n.to_le_bytes()).map_err(io_error)?;
            w.write_all(&part).map_err(io_error)?;
        }
        len += 1;
    }
    let mut file = w.into_inner().map_err(|e| io_error(e.into_error()))?;
    file.rewind().map_err(io_error)?;
    RUNS_WRITTEN.fetch_add(1, AtomicOrdering::Relaxed);
    Ok(Run { file, len })
}

/// One input of a merge.
enum Source {
    File { r: BufReader<File>, left: u64 },
    Memory(std::vec::IntoIter<Entry>),
}

impl Source {
    fn file(run: Run) -> Result<Source> {
        Ok(Source::File { r: BufReader::new(run.file), left: run.len })
    }

    fn next(&mut self) -> Result<Option<Entry>> {
        match self {
            Source::Memory(it) => Ok(it.next()),
            Source::File { r, left } => {
                if *left == 0 {
                    return Ok(None);
                }
                *left -= 1;
                let row = read_record(r)?;
                let keys = read_record(r)?;
                Ok(Some((row, keys)))
            }
        }
    }
}

fn read_record(r: &mut BufReader<File>) -> Result<Vec<Value>> {
    let mut n = [0u8; 4];
    r.read_exact(&mut n).map_err(io_error)?;
    let mut buf = vec![0u8; u32::from_le_bytes(n) as usize];
    r.read_exact(&mut buf).map_err(io_error)?;
    crate::record::decode_row(&buf).ok_or_else(|| Error::Runtime("database disk image is malformed".into()))
}

/// A merge of sorted inputs; ties go to the earlier input.
pub(crate) struct Merger {
    keys: Vec<SortKey>,
    sources: Vec<Source>,
    heads: Vec<Option<Entry>>,
}

impl Merger {
    fn new(keys: Vec<SortKey>, mut sources: Vec<Source>) -> Result<Merger> {
        let heads = sources.iter_mut().map(Source::next).collect::<Result<Vec<_>>>()?;
        Ok(Merger { keys, sources, heads })
    }

    fn next_entry(&mut self) -> Result<Option<Entry>> {
        let mut best: Option<usize> = None;
        for (i, h) in self.heads.iter().enumerate() {
            let Some(h) = h else { continue };
            let better = match best.and_then(|b| self.heads.get(b)).and_then(Option::as_ref) {
                Some(b) => crate::exec::compare_keys(&h.1, &b.1, &self.keys) == std::cmp::Ordering::Less,
                None => true,
            };
            if better {
                best = Some(i);
            }
        }
        let Some(i) = best else { return Ok(None) };
        let next = match self.sources.get_mut(i) {
            Some(s) => s.next()?,
            None => None,
        };
        Ok(self.heads.get_mut(i).and_then(|h| std::mem::replace(h, next)))
    }
}

/// Sorted rows, pulled one at a time.
pub(crate) enum Sorted {
    /// Everything fit in memory.
    Memory(std::vec::IntoIter<Entry>),
    /// Runs merged as rows are pulled.
    Merge(Merger),
}

impl Sorted {
    /// The next row in order.
    pub(crate) fn next(&mut self) -> Result<Option<Vec<Value>>> {
        Ok(match self {
            Sorted::Memory(it) => it.next().map(|e| e.0),
            Sorted::Merge(m) => m.next_entry()?.map(|e| e.0),
        })
    }

    /// The next row in order with its sort keys.
    pub(crate) fn next_entry(&mut self) -> Result<Option<Entry>> {
        match self {
            Sorted::Memory(it) => Ok(it.next()),
            Sorted::Merge(m) => m.next_entry(),
        }
    }
}
