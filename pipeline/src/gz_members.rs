//! Member-parallel decoding of a multi-member gzip file, in order, with bounded memory.
//!
//! Wikimedia's `latest-all.json.gz` is a concatenation of gzip members (each batch of entities
//! is `gzip -9`'d on its own, with tiny members for `[`, `,` and `]` between them). A member
//! can be decoded without the ones before it, but its start is only known once the member
//! before it has been decoded: deflate data carries no length. So this reader *guesses* starts
//! and *proves* them:
//!
//! 1. **Segments.** The file is cut into segments of about `segment` compressed bytes. A
//!    segment starts at a *candidate*: the first offset after the cut whose ten bytes look like
//!    a gzip member header (`1f 8b 08`, reserved flag bits clear, a valid XFL and OS byte).
//!    Each segment is decoded on its own thread, member after member, until the member in
//!    progress ends at or past the next segment's start. The decoded bytes go through a
//!    bounded channel (`depth` blocks), so a segment holds at most `depth` MiB however large
//!    its members are.
//! 2. **Proof.** Segments are read out strictly in file order. The first starts at offset 0;
//!    segment k+1 is used only if segment k's last member ended *exactly* at its start. Then
//!    every decoded member lies in the chain of members that starts at 0, which is the chain a
//!    serial decoder follows, so the output equals `MultiGzDecoder`'s byte for byte, and every
//!    member's CRC-32 and length are checked by flate2 as usual.
//! 3. **Recovery.** A candidate that is not a member start (header-like bytes inside compressed
//!    data, e.g. in a stored block) shows up as a mismatch: the segment before it ends
//!    elsewhere. The speculative segments are then dropped (their threads stop at their next
//!    send) and decoding resumes from the proven end. Errors of a dropped segment are never
//!    reported; an error in a used segment is reported with its compressed offset.
//! 4. **Large members.** If no candidate lies within `max_scan` bytes after a cut, the next
//!    start is unknown until the segment finishes: decoding is then serial for that stretch
//!    (a single-member file is decoded like this, at the speed of one core), and parallel again
//!    after it.
//!
//! Standard input cannot be read twice, so `-` keeps the serial `MultiGzDecoder`.
//! No published crate decodes plain concatenated gzip in parallel (`gzp` reads only BGZF and
//! mgzip, whose headers carry block sizes; rapidgzip is C++), hence this module on top of
//! flate2's single-member decoder.
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// Decoded bytes are handed over in blocks of this size.
const BLOCK: usize = 1 << 20;

/// Tuning of [`ParallelGz`]; the defaults suit Wikidata's dump.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Decoding threads (segments decoded at once).
    pub threads: usize,
    /// Target compressed size of a segment.
    pub segment: u64,
    /// How far past a cut a candidate member start is looked for.
    pub max_scan: u64,
    /// Decoded blocks (of 1 MiB) a segment may hold before its reader catches up.
    pub depth: usize,
}

impl Params {
    pub fn new(threads: usize) -> Self {
        Params { threads: threads.max(1), segment: 4 << 20, max_scan: 16 << 20, depth: 64 }
    }
}

/// What a segment's thread sends.
enum Msg {
    Data(Vec<u8>),
    /// The segment's last member ended here (compressed offset), or the file did.
    End(u64),
    /// Decoding failed at this compressed offset.
    Failed(io::Error, u64),
}

struct Segment {
    start: u64,
    rx: Receiver<Msg>,
}

/// A `Read` over the decoded contents of a gzip file, decoded segment-parallel (module doc).
pub struct ParallelGz {
    path: PathBuf,
    file_len: u64,
    params: Params,
    /// The compressed offset reached, for progress and error positions.
    position: Arc<AtomicU64>,
    /// Segments in flight, in file order; each starts where the one before it stops.
    queue: VecDeque<Segment>,
    /// Where the next segment to schedule starts; `None` while it depends on the last
    /// queued segment's end (no candidate was found).
    next_start: Option<u64>,
    /// The block being read out, and how much of it has been.
    block: Vec<u8>,
    at: usize,
    done: bool,
    /// Blocks read out, handed back to the segment threads, which reuse them instead of
    /// allocating and zeroing a fresh MiB for every MiB decoded.
    spare: Spare,
}

type Spare = Arc<std::sync::Mutex<Vec<Vec<u8>>>>;

impl ParallelGz {
    pub fn new(path: &Path, file_len: u64, params: Params, position: Arc<AtomicU64>) -> Self {
        ParallelGz {
            path: path.to_path_buf(),
            file_len,
            params,
            position,
            queue: VecDeque::new(),
            next_start: Some(0),
            block: Vec::new(),
            at: 0,
            done: false,
            spare: Spare::default(),
        }
    }

    /// Starts segments until `threads` are in flight or the next start is unknown.
    fn schedule(&mut self) -> io::Result<()> {
        while self.queue.len() < self.params.threads {
            let Some(start) = self.next_start else { return Ok(()) };
            if start >= self.file_len {
                return Ok(());
            }
            // The segment stops at the first candidate past the cut. Without one (the end of
            // the file, or a member longer than the scan), where the next segment starts is
            // learnt from this one's end.
            let cut = start.saturating_add(self.params.segment);
            let (stop, next) = if cut >= self.file_len {
                (self.file_len, None)
            } else {
                match find_candidate(&self.path, cut, self.params.max_scan, self.file_len)? {
                    Some(c) => (c, Some(c)),
                    None => (cut.saturating_add(self.params.max_scan).min(self.file_len), None),
                }
            };
            let (tx, rx) = sync_channel(self.params.depth.max(1));
            let path = self.path.clone();
            let spare = self.spare.clone();
            std::thread::Builder::new()
                .name("gz-segment".into())
                .spawn(move || decode_segment(&path, start, stop, &tx, &spare))?;
            self.queue.push_back(Segment { start, rx });
            self.next_start = next;
        }
        Ok(())
    }

    /// The next decoded block, or `None` at the end of the file.
    fn next_block(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if self.done {
                return Ok(None);
            }
            self.schedule()?;
            let Some(front) = self.queue.front() else {
                self.done = true;
                return Ok(None);
            };
            let msg = front.rx.recv().map_err(|_| {
                io::Error::other(format!(
                    "a gzip segment thread of {} stopped",
                    self.path.display()
                ))
            })?;
            match msg {
                Msg::Data(bytes) => return Ok(Some(bytes)),
                Msg::Failed(err, at) => {
                    self.position.store(at, Ordering::Relaxed);
                    self.done = true;
                    return Err(err);
                }
                Msg::End(end) => {
                    self.queue.pop_front();
                    self.position.store(end, Ordering::Relaxed);
                    if end >= self.file_len {
                        self.done = true;
                        return Ok(None);
                    }
                    // The next queued segment is used only if it starts where this one ended.
                    // Otherwise the speculative segments are dropped (their threads stop at
                    // their next send) and decoding resumes from this proven end.
                    if self.queue.front().is_none_or(|s| s.start != end) {
                        self.queue.clear();
                        self.next_start = Some(end);
                    }
                }
            }
        }
    }
}

impl Read for ParallelGz {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.block.len() {
            match self.next_block()? {
                Some(b) => {
                    let done = std::mem::replace(&mut self.block, b);
                    if done.capacity() == BLOCK {
                        let mut spare = self.spare.lock().unwrap_or_else(|e| e.into_inner());
                        // At most what can be in flight: the queued segments' channels.
                        if spare.len() < self.params.threads * self.params.depth {
                            spare.push(done);
                        }
                    }
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.block.len() - self.at);
        out[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A `BufRead` that counts the bytes consumed through it (the compressed offset).
struct Tracked<R> {
    inner: R,
    offset: u64,
}

impl<R: BufRead> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.inner.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.offset += amt as u64;
    }
}

/// Decodes the members that start in `[start, stop)`, in order, the last one to its end.
/// Returns quietly when the reader dropped the segment.
fn decode_segment(path: &Path, start: u64, stop: u64, tx: &SyncSender<Msg>, spare: &Spare) {
    let mut src = match open_at(path, start) {
        Ok(r) => Tracked { inner: r, offset: start },
        Err(e) => {
            let _ = tx.send(Msg::Failed(e, start));
            return;
        }
    };
    loop {
        let member_start = src.offset;
        let mut member = flate2::bufread::GzDecoder::new(&mut src);
        loop {
            let reused = spare.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let mut buf = reused.unwrap_or_else(|| Vec::with_capacity(BLOCK));
            buf.resize(BLOCK, 0);
            let mut filled = 0;
            while filled < BLOCK {
                match member.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let at = member.get_ref().offset.max(member_start);
                        let _ = tx.send(Msg::Failed(e, at));
                        return;
                    }
                }
            }
            let last = filled < BLOCK;
            if filled > 0 {
                buf.truncate(filled);
                if tx.send(Msg::Data(buf)).is_err() {
                    return;
                }
            }
            if last {
                break;
            }
        }
        let end = src.offset;
        let at_eof = match src.fill_buf() {
            Ok(rest) => rest.is_empty(),
            Err(e) => {
                let _ = tx.send(Msg::Failed(e, end));
                return;
            }
        };
        if end >= stop || at_eof {
            let _ = tx.send(Msg::End(end));
            return;
        }
    }
}

fn open_at(path: &Path, offset: u64) -> io::Result<BufReader<File>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    Ok(BufReader::with_capacity(1 << 20, f))
}

/// Whether ten bytes look like the start of a gzip member (RFC 1952: ID1 ID2 CM=8, FLG with
/// the reserved bits clear, MTIME, XFL 0/2/4, OS 0-13 or 255).
fn looks_like_member(h: &[u8]) -> bool {
    h.len() >= 10
        && h[0] == 0x1f
        && h[1] == 0x8b
        && h[2] == 8
        && h[3] & 0xe0 == 0
        && matches!(h[8], 0 | 2 | 4)
        && (h[9] <= 13 || h[9] == 255)
}

/// The first offset in `[from, from + max_scan)` where a member header could start.
fn find_candidate(path: &Path, from: u64, max_scan: u64, file_len: u64) -> io::Result<Option<u64>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(from))?;
    let end = from.saturating_add(max_scan).min(file_len);
    let mut buf = vec![0u8; (1 << 20) + 9];
    let mut base = from;
    let mut keep = 0usize; // bytes carried over from the previous read (a header may straddle)
    while base + (keep as u64) < end {
        let want = ((end - base) as usize).min(buf.len()).max(keep);
        let mut filled = keep;
        while filled < want {
            match f.read(&mut buf[filled..want])? {
                0 => break,
                k => filled += k,
            }
        }
        let window = &buf[..filled];
        for i in memchr::memchr_iter(0x1f, window) {
            if base + i as u64 >= end {
                break;
            }
            if i + 10 <= filled && looks_like_member(&window[i..i + 10]) {
                return Ok(Some(base + i as u64));
            }
        }
        if filled < want || filled < 10 {
            return Ok(None); // end of file
        }
        // Carry the last 9 bytes: a header starting there was not fully seen.
        let tail = filled - 9;
        buf.copy_within(tail..filled, 0);
        base += tail as u64;
        keep = 9;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn member(data: &[u8], level: u32) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn serial(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::bufread::MultiGzDecoder::new(bytes).read_to_end(&mut out).unwrap();
        out
    }

    fn parallel(path: &Path, params: Params) -> io::Result<Vec<u8>> {
        let len = std::fs::metadata(path).unwrap().len();
        let mut r = ParallelGz::new(path, len, params, Arc::new(AtomicU64::new(0)));
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    fn small(threads: usize, segment: u64) -> Params {
        Params { threads, segment, max_scan: 4096, depth: 2 }
    }

    /// Lines of pseudo-random JSON-ish text (compressible, but not trivially).
    fn lines(seed: u64, n: usize) -> Vec<u8> {
        let mut x = seed;
        let mut out = Vec::new();
        for i in 0..n {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            writeln!(out, "{{\"id\": \"Q{}\", \"v\": {}, \"s\": \"{:x}\"}},", i, x >> 40, x)
                .unwrap();
        }
        out
    }

    /// Wikimedia's layout: `[`, batches, `,` separators and `]` as members of their own.
    fn wikimedia_like(dir: &Path, batches: usize, level: u32) -> (PathBuf, Vec<u8>) {
        let mut file = member(b"[\n", level);
        for b in 0..batches {
            if b > 0 {
                file.extend(member(b",\n", level));
            }
            file.extend(member(&lines(b as u64, 300 + 50 * b), level));
        }
        file.extend(member(b"\n]\n", level));
        let path = dir.join("multi.json.gz");
        std::fs::write(&path, &file).unwrap();
        (path, serial(&file))
    }

    #[test]
    fn many_members_decode_to_the_serial_output_on_any_thread_count_and_segment_size() {
        let tmp = tempfile::tempdir().unwrap();
        let (path, want) = wikimedia_like(tmp.path(), 40, 6);
        assert!(want.len() > 400_000);
        for threads in [1, 2, 4, 8] {
            for segment in [1, 700, 5_000, 60_000, 10 << 20] {
                let got = parallel(&path, small(threads, segment)).unwrap();
                assert!(got == want, "threads {threads}, segment {segment}: output differs");
            }
        }
    }

    #[test]
    fn a_single_member_file_is_decoded_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let data = lines(7, 20_000);
        let path = tmp.path().join("one.gz");
        std::fs::write(&path, member(&data, 6)).unwrap();
        for segment in [1, 1000] {
            assert!(parallel(&path, small(4, segment)).unwrap() == data);
        }
    }

    /// A stored (level 0) member whose text contains a gzip header: its compressed bytes hold a
    /// false candidate, which the chain check must reject.
    #[test]
    fn header_bytes_inside_a_member_are_not_taken_for_a_member_start() {
        let tmp = tempfile::tempdir().unwrap();
        let fake = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, b'x', b'y'];
        // A fake header every ~170 bytes: wherever a cut falls in this member, the scan finds one.
        let mut text = Vec::new();
        for _ in 0..300 {
            text.extend_from_slice(&fake);
            text.extend(lines(2, 3));
        }
        let mut file = member(&lines(3, 500), 6);
        file.extend(member(&text, 0));
        file.extend(member(&lines(4, 500), 6));
        let path = tmp.path().join("fake.gz");
        std::fs::write(&path, &file).unwrap();
        let want = serial(&file);
        // The false candidates are where the scan looks.
        let first_member = member(&lines(3, 500), 6).len() as u64;
        let fake_at =
            find_candidate(&path, first_member + 1, 1 << 20, file.len() as u64).unwrap().unwrap();
        assert!(fake_at < file.len() as u64 - member(&lines(4, 500), 6).len() as u64);
        for threads in [2, 4] {
            for segment in [50, 300, 2_000] {
                assert!(parallel(&path, small(threads, segment)).unwrap() == want, "{segment}");
            }
        }
    }

    #[test]
    fn a_corrupt_middle_member_and_a_truncated_file_fail_with_an_offset() {
        let tmp = tempfile::tempdir().unwrap();
        let (path, _) = wikimedia_like(tmp.path(), 20, 6);
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        let mid = good.len() / 2;
        bad[mid] ^= 0x55;
        let corrupt = tmp.path().join("corrupt.gz");
        std::fs::write(&corrupt, &bad).unwrap();
        let truncated = tmp.path().join("truncated.gz");
        std::fs::write(&truncated, &good[..good.len() - 100]).unwrap();
        for (p, near) in [(&corrupt, mid as u64), (&truncated, good.len() as u64 - 100)] {
            for threads in [1, 3] {
                let len = std::fs::metadata(p).unwrap().len();
                let pos = Arc::new(AtomicU64::new(0));
                let mut r = ParallelGz::new(p, len, small(threads, 2_000), pos.clone());
                let mut out = Vec::new();
                assert!(r.read_to_end(&mut out).is_err(), "{}", p.display());
                let at = pos.load(Ordering::Relaxed);
                // The offset lies in (or at the end of) the member that holds the damage.
                assert!(at.abs_diff(near) < 60_000, "{}: at {at}, damage {near}", p.display());
            }
        }
    }

    #[test]
    fn candidates_are_found_across_read_boundaries() {
        let tmp = tempfile::tempdir().unwrap();
        let mut bytes = vec![0u8; (1 << 20) + 3];
        bytes.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
        bytes.extend_from_slice(&[0u8; 100]);
        let path = tmp.path().join("x");
        std::fs::write(&path, &bytes).unwrap();
        let len = bytes.len() as u64;
        assert_eq!(find_candidate(&path, 0, len, len).unwrap(), Some((1 << 20) + 3));
        assert_eq!(find_candidate(&path, 0, 1 << 20, len).unwrap(), None, "beyond max_scan");
        assert!(!looks_like_member(&[0x1f, 0x8b, 8, 0xe0, 0, 0, 0, 0, 0, 3]));
    }
}
