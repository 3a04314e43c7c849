//! Opening dumps: compression detected by magic bytes, a streaming decoder, a count of the
//! compressed bytes consumed (for progress and for error positions), and line chunks read on
//! a dedicated thread so that decompression overlaps parsing.
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::error::StageError;

/// Compression of a dump file, told by its first bytes (not its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Plain,
    Gzip,
    Bzip2,
}

impl Compression {
    pub fn detect(path: &Path) -> Result<Self, StageError> {
        let mut magic = [0u8; 3];
        let mut f = File::open(path).map_err(|e| StageError::io(path, e))?;
        let n = read_up_to(&mut f, &mut magic).map_err(|e| StageError::io(path, e))?;
        Ok(match &magic[..n] {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [b'B', b'Z', b'h'] => Compression::Bzip2,
            _ => Compression::Plain,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::Plain => "plain",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
        }
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Counts the bytes read through it into a shared counter.
pub struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An opened dump: a decompressing reader plus the compressed position.
pub struct Dump {
    pub path: PathBuf,
    pub compression: Compression,
    /// Size of the file on disk (compressed bytes).
    pub file_len: u64,
    /// Compressed bytes consumed so far.
    pub position: Arc<AtomicU64>,
    pub reader: Box<dyn Read + Send>,
}

/// Whether `path` means standard input (`-`).
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Opens `path` for streaming, decompressing gzip or bzip2 (multi-member/multi-stream both).
/// `-` reads standard input (compression told by its first bytes, size unknown), so an external
/// decoder can feed the stage: `lbzip2 -dc latest-all.json.bz2 | pipeline wikidata --input -`.
pub fn open_dump(path: &Path) -> Result<Dump, StageError> {
    open_dump_with(path, 1)
}

/// [`open_dump`], decoding on `threads` threads when more than one.
/// - bzip2: blocks are found by their bit-aligned magic and decoded in parallel, in order,
///   every block's and stream's CRC checked (the `mibz2` crate; std only). That is what makes
///   Wikimedia's `latest-all.json.bz2`, one lbzip2 stream of ~900 kB blocks, decode on all cores.
/// - gzip, on 3 threads or more: members are decoded in parallel, in order
///   ([`crate::gz_members`]), as in Wikimedia's `latest-all.json.gz`, a concatenation of one
///   member per batch; a single member is serial.
pub fn open_dump_with(path: &Path, threads: usize) -> Result<Dump, StageError> {
    if is_stdin(path) {
        return open_stdin(path);
    }
    let compression = Compression::detect(path)?;
    let file = File::open(path).map_err(|e| StageError::io(path, e))?;
    let file_len = file.metadata().map_err(|e| StageError::io(path, e))?.len();
    let position = Arc::new(AtomicU64::new(0));
    let counted =
        BufReader::with_capacity(1 << 20, CountingReader { inner: file, count: position.clone() });
    let reader: Box<dyn Read + Send> = match compression {
        Compression::Plain => Box::new(counted),
        // With 2 threads the serial decoder thread and the parser already fill two cores; there
        // the member-parallel reader measured the same wall time for 20-35% more CPU (likely
        // because it copies each block once more and decoded bytes cross cores), so it is used
        // from 3 threads (docs/SCALE.md).
        Compression::Gzip if threads >= 3 => Box::new(crate::gz_members::ParallelGz::new(
            path,
            file_len,
            crate::gz_members::Params::new(threads),
            position.clone(),
        )),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(counted)),
        Compression::Bzip2 if threads > 1 => Box::new(mibz2::BzReader::parallel(counted, threads)),
        // mibz2 on one thread too: byte for byte libbzip2's output for ~half its CPU (the
        // multistream dump x20 decoded by each, issue 19, docs/SCALE.md).
        Compression::Bzip2 => Box::new(mibz2::BzReader::new(counted)),
    };
    Ok(Dump { path: path.to_path_buf(), compression, file_len, position, reader })
}

fn open_stdin(path: &Path) -> Result<Dump, StageError> {
    let position = Arc::new(AtomicU64::new(0));
    let mut raw = CountingReader { inner: io::stdin(), count: position.clone() };
    let mut magic = [0u8; 3];
    let n = read_up_to(&mut raw, &mut magic).map_err(|e| StageError::io(path, e))?;
    let compression = match &magic[..n] {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        [b'B', b'Z', b'h'] => Compression::Bzip2,
        _ => Compression::Plain,
    };
    // The magic bytes were consumed: put them back in front of the rest of the stream.
    let buffered =
        BufReader::with_capacity(1 << 20, io::Cursor::new(magic[..n].to_vec()).chain(raw));
    let reader: Box<dyn Read + Send> = match compression {
        Compression::Plain => Box::new(buffered),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Bzip2 => Box::new(mibz2::BzReader::new(buffered)),
    };
    Ok(Dump { path: path.to_path_buf(), compression, file_len: 0, position, reader })
}

/// A run of complete lines.
pub struct Chunk {
    /// 0-based sequence number of the chunk.
    pub index: u64,
    /// 1-based number of the chunk's first line in the decompressed stream.
    pub first_line: u64,
    /// Decompressed bytes, ending with a complete line (`\n` included unless at EOF).
    pub bytes: Vec<u8>,
    /// Decompressed offset of the chunk's first byte.
    pub offset: u64,
    /// Where the buffer goes back to the reader when the chunk is dropped.
    spare: Option<SyncSender<Vec<u8>>>,
}

impl AsRef<[u8]> for Chunk {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// The buffer goes back to the reader, which fills it again: a new buffer per chunk was
/// zero-filled, then first touched page by page (the zeroing alone ~0.8% of the wikipedia
/// stage's instructions; on Wikidata's 1.9 TB it is 1.9 TB of `memset`).
impl Drop for Chunk {
    fn drop(&mut self) {
        if let Some(spare) = self.spare.take() {
            // Full (the reader holds enough) or gone (it finished): the buffer is freed.
            let _ = spare.try_send(std::mem::take(&mut self.bytes));
        }
    }
}

/// Reads `dump` on its own thread into chunks of about `chunk_size` bytes cut at line ends.
/// At most `depth` chunks wait in the channel, which bounds memory; the buffers of dropped
/// chunks come back to the reader (up to `depth + 2` of them wait there) and are refilled.
/// A read error (a truncated or corrupt compressed file) arrives as the last item, naming the
/// file and the compressed byte offset reached.
pub fn spawn_line_chunks(
    dump: Dump,
    chunk_size: usize,
    depth: usize,
) -> (Receiver<Result<Chunk, StageError>>, JoinHandle<()>) {
    let (tx, rx) = sync_channel(depth.max(1));
    // Buffers of dropped chunks, their bytes still initialised: at most as many as can be in
    // flight (the channel's, and about two being consumed or read).
    let (spare_tx, spare) = sync_channel::<Vec<u8>>(depth.max(1) + 2);
    let handle = std::thread::Builder::new()
        .name("dump-reader".into())
        .spawn(move || {
            let Dump { path, position, mut reader, .. } = dump;
            let mut carry: Vec<u8> = Vec::new();
            let (mut index, mut line, mut offset) = (0u64, 1u64, 0u64);
            loop {
                let mut buf = spare.try_recv().unwrap_or_default();
                let start = carry.len();
                let mut limit = start + chunk_size;
                if buf.len() < limit {
                    // Zero-fills only past the returned buffer's length (the last chunk's cut).
                    buf.resize(limit, 0);
                }
                buf[..start].copy_from_slice(&carry);
                carry.clear();
                let mut filled = start;
                let mut eof = false;
                // Fill the buffer; keep reading past it until a newline when a line is longer.
                loop {
                    if filled == limit {
                        if memchr::memchr(b'\n', &buf[start..filled]).is_some() {
                            break;
                        }
                        limit *= 2;
                        if buf.len() < limit {
                            buf.resize(limit, 0);
                        }
                    }
                    match reader.read(&mut buf[filled..limit]) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let at = position.load(Ordering::Relaxed);
                            let _ = tx.send(Err(StageError::Decompress {
                                path,
                                offset: at,
                                source: e,
                            }));
                            return;
                        }
                    }
                }
                buf.truncate(filled);
                if !eof {
                    let cut = memchr::memrchr(b'\n', &buf).map(|i| i + 1).unwrap_or(buf.len());
                    carry.extend_from_slice(&buf[cut..]);
                    buf.truncate(cut);
                }
                if !buf.is_empty() {
                    let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
                    let len = buf.len() as u64;
                    let spare = Some(spare_tx.clone());
                    let chunk = Chunk { index, first_line: line, bytes: buf, offset, spare };
                    if tx.send(Ok(chunk)).is_err() {
                        return; // the consumer stopped (an error downstream)
                    }
                    index += 1;
                    line += lines;
                    offset += len;
                }
                if eof {
                    return;
                }
            }
        })
        .expect("spawning the reader thread");
    (rx, handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks cut at line ends give back the file, numbered and offset, also when their buffers
    /// come back to the reader (each chunk is dropped before the next is taken) and when lines
    /// are longer than a chunk (the buffer doubles, and a doubled one is reused).
    #[test]
    fn chunks_rebuild_the_file_with_reused_buffers() {
        let mut text = String::new();
        for i in 0..2_000usize {
            let len = if i % 97 == 5 { 300 + i % 13 } else { i * 7 % 50 };
            text.push_str(&"x".repeat(len));
            text.push('\n');
        }
        text.push_str("no newline at the end");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.txt");
        std::fs::write(&path, &text).unwrap();
        // Kept, no buffer can come back: the chunks as cut from new buffers.
        let (rx, reader) = spawn_line_chunks(open_dump(&path).unwrap(), 64, 2);
        let kept: Vec<Chunk> = rx.into_iter().map(Result::unwrap).collect();
        reader.join().unwrap();
        let (rx, reader) = spawn_line_chunks(open_dump(&path).unwrap(), 64, 2);
        let (mut all, mut line, mut index) = (Vec::new(), 1u64, 0u64);
        for chunk in rx {
            let chunk = chunk.unwrap();
            // Cut where a new buffer was cut.
            let k = &kept[index as usize];
            assert_eq!(
                (k.first_line, k.offset, &k.bytes),
                (chunk.first_line, chunk.offset, &chunk.bytes)
            );
            assert_eq!(
                (chunk.index, chunk.first_line, chunk.offset),
                (index, line, all.len() as u64)
            );
            let ends_line = chunk.bytes.last() == Some(&b'\n');
            assert!(ends_line || all.len() + chunk.bytes.len() == text.len());
            line += chunk.bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            all.extend_from_slice(&chunk.bytes);
            index += 1;
        }
        reader.join().unwrap();
        assert_eq!(String::from_utf8(all).unwrap(), text);
        assert_eq!(index as usize, kept.len());
        assert!(index > 100, "{index} chunks");
    }
}
