//! A plain XML dump read through a memory map: pages are cut from the page cache in place.
//!
//! Reading the file copied every byte from the page cache into the reader's buffers: the
//! kernel's `_copy_to_iter` was 3.3% of the stage's samples on the real dump x80 (perf, 1
//! thread, issue 19), and the reader thread's own CPU came with it. A window of the map is
//! what a reader's chunk was: pages are cut from it in place, and when its last page has been
//! cleaned its part of the map is released (`MADV_DONTNEED`), so the process's resident set
//! does not grow with the dump (the bytes stay in the page cache, as a read leaves them).
//!
//! Only for a regular file detected as plain XML; compressed dumps and anything the kernel
//! will not map go through the reader ([`crate::input::spawn_line_chunks`]).
use std::fs::File;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use memmap2::{Advice, Mmap, UncheckedAdvice};

use crate::error::StageError;
use crate::input::Compression;

/// Bytes per window: a reader's chunk, and a multiple of any page size up to 4 MiB (a window
/// is released whole, and `madvise` wants its start on a page boundary).
const WINDOW: usize = 4 << 20;

/// A plain XML dump mapped into memory.
pub struct MappedDump {
    map: Arc<Mmap>,
}

impl MappedDump {
    /// The dump at `path` mapped, or `None` when it is not a non-empty regular file of plain
    /// XML or cannot be mapped (then it is read as a stream).
    pub fn open(path: &Path) -> Result<Option<MappedDump>, StageError> {
        let file = File::open(path).map_err(|e| StageError::io(path, e))?;
        let meta = file.metadata().map_err(|e| StageError::io(path, e))?;
        // A pipe is not looked into: its first bytes, once read, would be gone.
        if !meta.is_file() || meta.len() == 0 || usize::try_from(meta.len()).is_err() {
            return Ok(None);
        }
        if Compression::detect(path)? != Compression::Plain {
            return Ok(None);
        }
        // SAFETY: the map is only read. Were another process to change the file while the
        // stage runs, the pages would read its new bytes (or, truncated, fault with SIGBUS and
        // stop the process before its output is renamed into place); a dump is an input
        // nobody writes while it is being read, as with any tool that maps its input.
        let map = match unsafe { Mmap::map(&file) } {
            Ok(map) => map,
            Err(e) => {
                tracing::debug!("{}: not mapped ({e}), read instead", path.display());
                return Ok(None);
            }
        };
        // Read ahead more eagerly; a failure costs only that.
        let _ = map.advise(Advice::Sequential);
        Ok(Some(MappedDump { map: Arc::new(map) }))
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// The map in consecutive windows of [`WINDOW`] bytes, the last one shorter.
    pub fn windows(&self) -> impl Iterator<Item = Window> + '_ {
        self.windows_of(WINDOW)
    }

    fn windows_of(&self, size: usize) -> impl Iterator<Item = Window> + '_ {
        (0..self.map.len()).step_by(size).map(move |at| Window {
            map: Arc::clone(&self.map),
            range: at..(at + size).min(self.len()),
        })
    }
}

/// Consecutive bytes of a [`MappedDump`], released from the process when dropped.
pub struct Window {
    map: Arc<Mmap>,
    range: Range<usize>,
}

impl Window {
    /// Offset of the window's first byte in the dump.
    pub fn offset(&self) -> u64 {
        self.range.start as u64
    }

    pub fn len(&self) -> usize {
        self.range.len()
    }
}

impl AsRef<[u8]> for Window {
    fn as_ref(&self) -> &[u8] {
        &self.map[self.range.clone()]
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        // SAFETY: no byte of the window is read after it is dropped: pages are cut from the
        // window through an `Arc` of it, and a page that runs into the next window was copied
        // (`PageSplitter`). Were one read, the map being private and read-only, it would be
        // faulted in again from the file, not read as zeros.
        let _ = unsafe {
            self.map.unchecked_advise_range(
                UncheckedAdvice::DontNeed,
                self.range.start,
                self.range.len(),
            )
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wikipedia::page_xml::PageSplitter;

    /// Pages cut from windows of any size are the pages of the whole file, at their offsets.
    #[test]
    fn windows_cover_the_file_and_cut_the_same_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.xml");
        let mut xml = String::from("<mediawiki>\n<siteinfo>x</siteinfo>\n");
        for i in 0..50 {
            xml.push_str(&format!(
                "  <page>\n    <title>P{i}</title>{}\n  </page>\n",
                "y".repeat(i * 7)
            ));
        }
        xml.push_str("</mediawiki>\n");
        std::fs::write(&path, &xml).unwrap();
        let dump = MappedDump::open(&path).unwrap().expect("a plain file is mapped");
        assert_eq!(dump.len(), xml.len());
        let want: Vec<(u64, String)> = xml
            .match_indices("<page>")
            .map(|(at, _)| {
                let end = at + xml[at..].find("</page>").unwrap() + 7;
                (at as u64, xml[at..end].to_string())
            })
            .collect();
        assert_eq!(want.len(), 50);
        for size in [1, 3, 64, 100, 4096, xml.len(), xml.len() + 1] {
            let mut splitter = PageSplitter::default();
            let (mut got, mut covered) = (Vec::new(), 0);
            for w in dump.windows_of(size) {
                assert_eq!(w.offset(), covered as u64, "window size {size}");
                covered += w.len();
                let offset = w.offset();
                for p in splitter.feed_shared(Arc::new(w), offset) {
                    got.push((p.offset, String::from_utf8(p.bytes().to_vec()).unwrap()));
                }
            }
            assert_eq!(covered, xml.len(), "window size {size}");
            assert_eq!(got, want, "window size {size}");
            assert!(!splitter.unfinished());
        }
    }

    #[test]
    fn compressed_and_empty_files_are_not_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.xml");
        std::fs::write(&empty, "").unwrap();
        assert!(MappedDump::open(&empty).unwrap().is_none());
        let bz2 = dir.path().join("dump.xml.bz2");
        std::fs::write(&bz2, b"BZh91AY&SY").unwrap();
        assert!(MappedDump::open(&bz2).unwrap().is_none());
    }
}
