//! Stage `wikipedia`: a MediaWiki XML dump -> `pages`, `redirects`, `sentences` tables.
//!
//! Input is plain XML, a single-stream .bz2, or a multistream .bz2 with its index. With the
//! index, bz2 streams (100 pages each) are decoded, cut into pages and cleaned on all cores; a
//! `--shard I --of N` run processes only the I-th contiguous range of streams. Without it, one
//! thread decompresses while pages are cleaned in parallel (a plain XML file is memory-mapped
//! instead, its pages cut from the map in place: `mapped.rs`). Rows are written in dump order
//! whatever the thread count, so N shards' outputs concatenated equal one whole run. (One
//! exception: a page whose cleaning exceeds `--page-time-limit` is recorded in the stats and
//! skipped, and whether that happens depends on the machine's load. The cleaner is linear in
//! the page size, so at the default 10 s no real page comes near it.)
mod mapped;
pub mod multistream;
pub mod page_xml;
pub mod rows;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::StageError;
use crate::input::{open_dump, spawn_line_chunks, Compression};
use crate::progress::Progress;
use multistream::StreamRange;
use page_xml::{parse_page_into, PageBytes, PageSplitter, RawPage};
use rows::{PageRows, RedirectRows, SentenceRows};
use schemas::col;
use schemas::tables::{PAGES, REDIRECTS, SENTENCES};
use schemas::{ParquetSink, Provenance, SinkOptions};

/// Which text of a page becomes sentences (`--contexts`, `[wikipedia] contexts`): the body
/// paragraphs only, or also list items (the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Deserialize, Serialize)]
pub enum Contexts {
    #[value(name = "paragraphs")]
    #[serde(rename = "paragraphs")]
    Paragraphs,
    #[default]
    #[value(name = "paragraphs+lists")]
    #[serde(rename = "paragraphs+lists")]
    ParagraphsLists,
}

impl Contexts {
    pub fn keep_lists(self) -> bool {
        self == Contexts::ParagraphsLists
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub input: PathBuf,
    pub index: Option<PathBuf>,
    pub out: PathBuf,
    pub threads: usize,
    /// `(I, N)`: process only the I-th of N contiguous ranges of streams (needs the index).
    pub shard: Option<crate::shard::Shard>,
    pub max_errors: u64,
    /// Keep list items as sentences (body paragraphs are always kept).
    pub keep_lists: bool,
    /// A page whose cleaning takes longer is recorded and skipped.
    pub page_time_limit: Duration,
}

impl Options {
    pub fn new(input: &Path, out: &Path) -> Self {
        let mut o = Options {
            input: input.to_path_buf(),
            index: None,
            out: out.to_path_buf(),
            threads: rayon::current_num_threads(),
            shard: None,
            max_errors: 0,
            keep_lists: false,
            page_time_limit: Duration::ZERO,
        };
        crate::settings::WikipediaSettings::default().apply(&mut o);
        o
    }
}

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub input: String,
    pub compression: String,
    pub streams: Option<u64>,
    pub shard: Option<String>,
    pub pages_by_namespace: BTreeMap<i32, u64>,
    pub articles: u64,
    pub redirects: u64,
    pub sentences: u64,
    pub sentences_by_context: BTreeMap<String, u64>,
    pub anchors: u64,
    pub malformed_pages: u64,
    pub slow_pages: u64,
    pub decompressed_bytes: u64,
    pub keep_lists: bool,
}

/// What one page turned into. An article's sentences are in its [`Part`]'s rows.
enum PageOut {
    Article {
        id: i64,
        title: String,
        revision: i64,
        timestamp: String,
        sentences: u32,
        /// How many of them are list items.
        lists: u32,
        anchors: u64,
    },
    Redirect {
        id: i64,
        title: String,
        target: String,
    },
    OtherNamespace(i32),
    Malformed {
        offset: u64,
        msg: String,
    },
    Slow {
        title: String,
        millis: u128,
    },
}

/// A run of consecutive pages: what each turned into, and the sentences of its articles.
///
/// The sentences go into rows of the part on the thread that cleaned them, while a page's
/// columns are still in the cache; they were handed to the writer thread page by page, which
/// copied them into its rows after they had left it: every line a miss twice more (issue 19).
struct Part {
    pages: Vec<PageOut>,
    sentences: SentenceRows,
}

/// Cleans `pages`, consecutive in the dump, into one part.
fn process_pages(pages: &[PageBytes], opts: &Options) -> Part {
    let bytes = pages.iter().map(|p| p.bytes().len()).sum();
    let mut sentences = SentenceRows::with_room_for(bytes);
    let pages = pages.iter().map(|p| process_page(p, opts, &mut sentences)).collect();
    Part { pages, sentences }
}

/// What a thread keeps from one page to the next: buffers that stay in the cache.
#[derive(Default)]
struct PageBuffers {
    /// The wikitext (see [`parse_page_into`]).
    text: String,
}

thread_local! {
    static BUFFERS: std::cell::RefCell<PageBuffers> = std::cell::RefCell::new(PageBuffers::default());
}

/// A buffer that grew past this for one huge page is not kept for the thread's life.
const KEEP_BYTES: usize = 8 << 20;

fn process_page(p: &PageBytes, opts: &Options, rows: &mut SentenceRows) -> PageOut {
    BUFFERS.with(|b| {
        let mut b = b.borrow_mut();
        let PageBuffers { text } = &mut *b;
        let mut page = match parse_page_into(p.bytes(), std::mem::take(text)) {
            Ok(page) => page,
            Err(msg) => return PageOut::Malformed { offset: p.offset, msg },
        };
        let out = page_out(&mut page, p.offset, opts, rows);
        if page.text.capacity() <= KEEP_BYTES {
            *text = page.text;
        }
        out
    })
}

/// What a parsed page (at decompressed byte `offset`) turns into (its fields taken, its text
/// left for the next page); an article's sentences are cleaned and appended to `rows`.
fn page_out(page: &mut RawPage, offset: u64, opts: &Options, rows: &mut SentenceRows) -> PageOut {
    if page.namespace != 0 {
        return PageOut::OtherNamespace(page.namespace);
    }
    if let Some(target) = &page.redirect {
        return PageOut::Redirect {
            id: page.page_id,
            title: wikitext::normalize_title(&page.title),
            target: wikitext::normalize_title(target),
        };
    }
    let started = Instant::now();
    let clean = wikitext::CleanOptions { keep_lists: opts.keep_lists };
    let mark = rows.columns.mark();
    if !wikitext::page_sentence_columns_append(&page.text, &clean, &mut rows.columns) {
        // Over 2 GiB of wikitext (MediaWiki's limit is 2 MiB), or a part of pages whose
        // sentences would pass 4 GiB.
        let msg =
            format!("its {} bytes of wikitext are more than one batch takes", page.text.len());
        return PageOut::Malformed { offset, msg };
    }
    let took = started.elapsed();
    let title = std::mem::take(&mut page.title);
    if took > opts.page_time_limit {
        rows.columns.truncate(mark);
        return PageOut::Slow { title, millis: took.as_millis() };
    }
    rows.push_page(page.page_id, mark);
    let columns = &rows.columns;
    let contexts = &columns.contexts[mark.sentences..];
    let lists = contexts.iter().filter(|&&c| c == wikitext::Context::List).count();
    PageOut::Article {
        id: page.page_id,
        title,
        revision: page.revision_id,
        timestamp: std::mem::take(&mut page.timestamp),
        sentences: contexts.len() as u32,
        lists: lists as u32,
        anchors: (columns.anchors.len() - mark.anchors) as u64,
    }
}

struct Writer<'a> {
    opts: &'a Options,
    stats: Stats,
    pages: ParquetSink,
    redirects: ParquetSink,
    sentences: ParquetSink,
    page_rows: PageRows,
    redirect_rows: RedirectRows,
}

const FLUSH_ROWS: usize = 16 * 1024;

impl Writer<'_> {
    /// Takes a part: its pages' rows, and its sentences written as one batch.
    fn take(&mut self, part: Part) -> Result<(), StageError> {
        for out in part.pages {
            self.take_page(out)?;
        }
        if !part.sentences.is_empty() {
            self.sentences.write(&part.sentences.into_batch()?)?;
        }
        Ok(())
    }

    fn take_page(&mut self, out: PageOut) -> Result<(), StageError> {
        match out {
            PageOut::Article { id, title, revision, timestamp, sentences, lists, anchors } => {
                *self.stats.pages_by_namespace.entry(0).or_default() += 1;
                self.stats.articles += 1;
                self.page_rows.page_id.push(id);
                self.page_rows.title.push(title);
                self.page_rows.namespace.push(0);
                self.page_rows.revision_id.push(revision);
                self.page_rows.timestamp.push(timestamp);
                self.page_rows.num_sentences.push(sentences);
                self.stats.sentences += u64::from(sentences);
                self.stats.anchors += anchors;
                for (ctx, n) in [("paragraph", sentences - lists), ("list", lists)] {
                    if n > 0 {
                        *self.stats.sentences_by_context.entry(ctx.into()).or_default() +=
                            u64::from(n);
                    }
                }
            }
            PageOut::Redirect { id, title, target } => {
                *self.stats.pages_by_namespace.entry(0).or_default() += 1;
                self.stats.redirects += 1;
                self.redirect_rows.page_id.push(id);
                self.redirect_rows.title.push(title);
                self.redirect_rows.target.push(target);
            }
            PageOut::OtherNamespace(ns) => {
                *self.stats.pages_by_namespace.entry(ns).or_default() += 1;
            }
            PageOut::Malformed { offset, msg } => {
                tracing::warn!(
                    "{}: page at decompressed byte {offset} skipped: {msg}",
                    self.opts.input.display()
                );
                self.stats.malformed_pages += 1;
                if self.stats.malformed_pages > self.opts.max_errors {
                    return Err(StageError::TooManyErrors {
                        path: self.opts.input.clone(),
                        count: self.stats.malformed_pages,
                        max: self.opts.max_errors,
                        line: 0,
                    });
                }
            }
            PageOut::Slow { title, millis } => {
                tracing::warn!("page {title:?} skipped: cleaning took {millis} ms");
                self.stats.slow_pages += 1;
            }
        }
        if self.page_rows.len() >= FLUSH_ROWS {
            self.pages.write(&self.page_rows.take_batch()?)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Stats, StageError> {
        self.pages.write(&self.page_rows.take_batch()?)?;
        self.redirects.write(&self.redirect_rows.take_batch()?)?;
        let Writer { opts, stats, pages, redirects, sentences, .. } = self;
        // The small tables are finished on a thread of their own while the sentences' last row
        // group is encoded: their `fsync` waits for the sentences file's writeback already under
        // way (ext4 commits the journal with every file's pending data), and on the real dump
        // x20 that wait was ~70 ms of the stage's tail with the cores idle (issue 19).
        let (small, big) = std::thread::scope(|s| {
            let small = s.spawn(move || -> Result<(), StageError> {
                pages.finish()?;
                redirects.finish()?;
                Ok(())
            });
            let big = sentences.finish();
            (small.join(), big)
        });
        small.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        big?;
        crate::stats::write_json(&opts.out.join("stats.json"), &stats)?;
        Ok(stats)
    }
}

pub fn run(opts: &Options) -> Result<Stats, StageError> {
    std::fs::create_dir_all(&opts.out).map_err(|e| StageError::io(&opts.out, e))?;
    if crate::input::is_stdin(&opts.input) {
        return Err(StageError::Invalid {
            path: opts.input.clone(),
            msg: "standard input (--input -) is read by the wikidata stage only; give the dump's \
                  path (the multistream index needs the file)"
                .into(),
        });
    }
    let compression = Compression::detect(&opts.input)?;
    if let Some(s) = opts.shard {
        let (i, n) = (s.index(), s.of());
        if opts.index.is_none() {
            return Err(StageError::Invalid {
                path: opts.input.clone(),
                msg: format!("--shard {i} --of {n} needs a multistream dump with --index"),
            });
        }
    }
    let provenance =
        Provenance::new(concat!("wikirel-pipeline ", env!("CARGO_PKG_VERSION")), "wikipedia")
            .with_inputs(
                std::iter::once(opts.input.display().to_string())
                    .chain(opts.index.iter().map(|p| p.display().to_string())),
            )
            .setting("keep_lists", opts.keep_lists)
            .setting("shard", format!("{:?}", opts.shard.map(|s| (s.index(), s.of()))));
    // zstd level 1, not 3: 9% less CPU for the whole stage, 8% larger `sentences.parquet`
    // (the real 206-page dump x20, 1 thread, paired A/B runs; issue 19). The stage is
    // CPU-bound and `link` reads its output once.
    // No statistics for the free-text leaves and no dictionary for `text` (nearly every
    // sentence distinct): 0.95x CPU, the file no larger (7 alternating runs, issue 19).
    // Nor for `sentence_index`, `context` and the anchors' spans, which nobody filters on
    // (`page_id` keeps them); `sentence_index` (0, 1, 2... per page) delta-packed rather than
    // interned: 0.98x CPU, the file 0.1% larger (paired, 12 runs, x20; issue 19).
    let so = SinkOptions { zstd_level: 1, ..SinkOptions::default() };
    let list_item = |c: &str| format!("{c}.list.item");
    let anchor_span = |c: &str| format!("{}.list.item.{c}", col::ANCHORS);
    let sentences_so = SinkOptions {
        no_statistics: vec![
            col::TEXT.to_string(),
            list_item(col::TOKENS),
            list_item(col::TOKEN_STARTS),
            list_item(col::TOKEN_ENDS),
            format!("{}.{}", list_item(col::ANCHORS), col::TARGET),
            col::SENTENCE_INDEX.to_string(),
            col::CONTEXT.to_string(),
            anchor_span(col::CHAR_START),
            anchor_span(col::CHAR_END),
            anchor_span(col::TOKEN_START),
            anchor_span(col::TOKEN_END),
        ],
        no_dictionary: vec![col::TEXT.to_string()],
        delta_packed: vec![col::SENTENCE_INDEX.to_string()],
        // The three token columns through schemas' own encoders (`list_leaf`): tokens
        // interned into a dictionary, token starts and ends delta-packed without compression
        // (as small as dictionary indices after zstd, issue 19): CPU 0.8x (paired runs).
        // The anchors' five leaves too, the targets interned (and zstd-compressed, as the
        // crate's dictionary wrote them), the spans delta-packed as the crate's
        // `DELTA_BINARY_PACKED` wrote them: the crate's column writers and its level
        // computation for a list of structs were ~8% of the stage's instructions, for 2% of
        // the file (cachegrind, the real dump x2; issue 19).
        own_dictionary: vec![
            list_item(col::TOKENS),
            format!("{}.{}", list_item(col::ANCHORS), col::TARGET),
        ],
        own_delta: vec![
            list_item(col::TOKEN_STARTS),
            list_item(col::TOKEN_ENDS),
            anchor_span(col::CHAR_START),
            anchor_span(col::CHAR_END),
            anchor_span(col::TOKEN_START),
            anchor_span(col::TOKEN_END),
        ],
        // zstd was a fifth of the stage's instructions. The `tokens` chunks (dictionary page
        // and bit-packed indices) shrank only 1.4x under it: uncompressed, 0.94x the
        // instructions for a 10% larger file. The text through LZ4_RAW: 0.95x the
        // instructions, 14% larger (cachegrind, the real dump x2; sizes on x20; issue 19).
        uncompressed: vec![list_item(col::TOKENS)],
        // The text PLAIN and LZ4_RAW through schemas' own encoder: what `lz4` gave through
        // the crate's writer, for 1.3% fewer instructions and 4.7% fewer L1 data misses
        // (cachegrind, the real dump x2; issue 19).
        own_text: vec![col::TEXT.to_string()],
        ..so.clone()
    };
    let mut w = Writer {
        opts,
        stats: Stats {
            input: opts.input.display().to_string(),
            compression: compression.name().into(),
            shard: opts.shard.map(|s| s.to_string()),
            keep_lists: opts.keep_lists,
            ..Default::default()
        },
        pages: ParquetSink::create(&opts.out.join(PAGES.file_name()), PAGES, &provenance, &so)?,
        redirects: ParquetSink::create(
            &opts.out.join(REDIRECTS.file_name()),
            REDIRECTS,
            &provenance,
            &so,
        )?,
        sentences: ParquetSink::create(
            &opts.out.join(SENTENCES.file_name()),
            SENTENCES,
            &provenance,
            &sentences_so,
        )?,
        page_rows: PageRows::default(),
        redirect_rows: RedirectRows::default(),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| StageError::Invalid { path: opts.input.clone(), msg: e.to_string() })?;
    // Rows are encoded and written on a thread of their own while the pool cleans the next
    // pages: on the main thread, Parquet encoding (about a third of the stage's CPU) left the
    // pool idle. The channel holds two batches (a batch: one chunk's or one stream's pages, in
    // parts whose sentence rows were built by the threads that cleaned them), so memory stays
    // bounded when the writer is the slower side.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(2);
    let (produced, written) = std::thread::scope(|scope| {
        let writer = std::thread::Builder::new()
            .name("parquet-writer".into())
            .spawn_scoped(scope, move || -> Result<Writer, StageError> {
                for batch in rx {
                    w.stats.decompressed_bytes += batch.decompressed_bytes;
                    for part in batch.parts {
                        w.take(part)?;
                    }
                }
                Ok(w)
            })
            .map_err(|e| StageError::io(&opts.out, e))?;
        let send = Sender(tx);
        let produced = match &opts.index {
            Some(index) => run_multistream(opts, index, &pool, &send),
            None => run_stream(opts, &pool, &send),
        };
        drop(send);
        let written = writer.join().map_err(|_| StageError::Invalid {
            path: opts.out.clone(),
            msg: "the Parquet writer thread panicked".into(),
        })?;
        Ok::<_, StageError>((produced, written))
    })?;
    // The writer's error first: when it stops, the producer only sees a closed channel.
    let mut w = written?;
    w.stats.streams = produced?;
    w.finish()
}

/// Cleaned pages in dump order (in parts), with the decompressed bytes they came from.
struct Batch {
    decompressed_bytes: u64,
    parts: Vec<Part>,
}

/// The producer's end of the writer channel.
struct Sender(std::sync::mpsc::SyncSender<Batch>);

impl Sender {
    /// Fails when the writer has stopped (on an error it reports itself).
    fn send(&self, batch: Batch) -> Result<(), StageError> {
        self.0.send(batch).map_err(|_| StageError::Invalid {
            path: PathBuf::new(),
            msg: "the Parquet writer stopped".into(),
        })
    }
}

/// Decodes and cleans the index's streams (or this shard's) on the pool; returns the number of
/// streams.
fn run_multistream(
    opts: &Options,
    index: &Path,
    pool: &rayon::ThreadPool,
    send: &Sender,
) -> Result<Option<u64>, StageError> {
    let file = std::fs::File::open(&opts.input).map_err(|e| StageError::io(&opts.input, e))?;
    let len = file.metadata().map_err(|e| StageError::io(&opts.input, e))?.len();
    let all = multistream::read_index(index, len)?;
    let ranges: &[StreamRange] = match opts.shard {
        Some(s) => multistream::shard(&all, s),
        None => &all,
    };
    let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    let mut progress = Progress::new("wikipedia", total, "pages");
    let (mut done_bytes, mut pages_done) = (0u64, 0u64);
    let stream_pages = |r: StreamRange| -> Result<Batch, StageError> {
        let bytes = multistream::decode(&file, &opts.input, r)?;
        let decompressed_bytes = bytes.len() as u64;
        let pages = PageSplitter::default().feed_shared(Arc::new(bytes), 0);
        let mut part = process_pages(&pages, opts);
        for out in &mut part.pages {
            // Page offsets count from the start of this stream: name it.
            if let PageOut::Malformed { msg, .. } = out {
                *msg = format!("{msg} (in the bz2 stream at byte {})", r.start);
            }
        }
        Ok(Batch { decompressed_bytes, parts: vec![part] })
    };
    // Streams are handed to the pool one by one, at most `window` ahead of the oldest one not
    // yet sent, and sent to the writer in index order: no thread waits for a whole group's
    // slowest stream, and memory holds at most `window` streams' pages.
    let window = opts.threads.max(1) * 2;
    let (done_tx, done_rx) = std::sync::mpsc::channel::<(usize, Result<Batch, StageError>)>();
    let mut waiting: BTreeMap<usize, Result<Batch, StageError>> = BTreeMap::new();
    let (mut submitted, mut sent) = (0usize, 0usize);
    pool.in_place_scope(|scope| -> Result<(), StageError> {
        while sent < ranges.len() {
            while submitted < ranges.len() && submitted - sent < window {
                let (i, r, tx) = (submitted, ranges[submitted], done_tx.clone());
                let stream_pages = &stream_pages;
                scope.spawn(move |_| {
                    // A panic becomes this stream's error: the loop waits for every result.
                    let out =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stream_pages(r)))
                            .unwrap_or_else(|_| {
                                Err(StageError::Invalid {
                                    path: opts.input.clone(),
                                    msg: format!(
                                        "cleaning the bz2 stream at byte {} panicked",
                                        r.start
                                    ),
                                })
                            });
                    // The receiver is gone only when an earlier stream failed.
                    let _ = tx.send((i, out));
                });
                submitted += 1;
            }
            let (i, batch) = done_rx.recv().expect("a stream job always sends its result");
            waiting.insert(i, batch);
            while let Some(batch) = waiting.remove(&sent) {
                let batch = batch?;
                pages_done += batch.parts.iter().map(|p| p.pages.len() as u64).sum::<u64>();
                done_bytes += ranges[sent].end - ranges[sent].start;
                send.send(batch)?;
                sent += 1;
            }
            progress.update(done_bytes, pages_done);
        }
        Ok(())
    })?;
    progress.finish();
    Ok(Some(ranges.len() as u64))
}

/// Reads the dump on one thread, cuts it into pages and cleans each chunk's pages on the pool.
/// A plain XML file is mapped instead of read ([`mapped`]).
fn run_stream(
    opts: &Options,
    pool: &rayon::ThreadPool,
    send: &Sender,
) -> Result<Option<u64>, StageError> {
    if let Some(dump) = mapped::MappedDump::open(&opts.input)? {
        let mut feed = PageFeed::new(opts, pool, send, dump.len() as u64);
        for window in dump.windows() {
            let (offset, end) = (window.offset(), window.offset() + window.len() as u64);
            feed.push(Arc::new(window), offset, end)?;
        }
        return feed.finish();
    }
    let dump = open_dump(&opts.input)?;
    let (file_len, position) = (dump.file_len, Arc::clone(&dump.position));
    let (rx, reader) = spawn_line_chunks(dump, 4 << 20, opts.threads.max(1) * 2);
    let mut feed = PageFeed::new(opts, pool, send, file_len);
    for chunk in rx {
        let chunk = chunk?;
        let offset = chunk.offset;
        feed.push(Arc::new(chunk), offset, position.load(Ordering::Relaxed))?;
    }
    reader.join().map_err(|_| StageError::Invalid {
        path: opts.input.clone(),
        msg: "the reader thread panicked".into(),
    })?;
    feed.finish()
}

/// The dump's bytes, a buffer at a time, cut into pages that are cleaned on the pool and sent
/// to the writer.
struct PageFeed<'a> {
    opts: &'a Options,
    pool: &'a rayon::ThreadPool,
    send: &'a Sender,
    splitter: PageSplitter,
    progress: Progress,
    pages_done: u64,
}

impl<'a> PageFeed<'a> {
    fn new(opts: &'a Options, pool: &'a rayon::ThreadPool, send: &'a Sender, len: u64) -> Self {
        let progress = Progress::new("wikipedia", len, "pages");
        PageFeed { opts, pool, send, splitter: PageSplitter::default(), progress, pages_done: 0 }
    }

    /// Cleans the pages completed by `buf` (its bytes at decompressed offset `offset`);
    /// `position` is how far into the input file reading has got.
    fn push(
        &mut self,
        buf: page_xml::SharedBytes,
        offset: u64,
        position: u64,
    ) -> Result<(), StageError> {
        let len = (*buf).as_ref().len() as u64;
        let pages = self.splitter.feed_shared(buf, offset);
        // A part per thread and a few more, so that a thread with a slow page is not the
        // chunk's tail; one part on one thread.
        let threads = self.opts.threads.max(1);
        let per_part = if threads == 1 { pages.len() } else { pages.len().div_ceil(threads * 4) };
        let opts = self.opts;
        let parts: Vec<Part> = self.pool.install(|| {
            pages.par_chunks(per_part.max(1)).map(|run| process_pages(run, opts)).collect()
        });
        // The buffer goes back to where it came from with its last page.
        drop(pages);
        self.pages_done += parts.iter().map(|p| p.pages.len() as u64).sum::<u64>();
        self.send.send(Batch { decompressed_bytes: len, parts })?;
        self.progress.update(position, self.pages_done);
        Ok(())
    }

    fn finish(self) -> Result<Option<u64>, StageError> {
        if self.splitter.unfinished() {
            return Err(StageError::Invalid {
                path: self.opts.input.clone(),
                msg: "the dump ends inside a <page> (truncated file?)".into(),
            });
        }
        self.progress.finish();
        Ok(None)
    }
}

/// The one-screen summary printed after the stage.
pub fn summary(s: &Stats, out: &Path) -> String {
    format!(
        "wikipedia: {} ({}{}{})\n  pages by namespace {:?}\n  articles {}, redirects {}, sentences {} {:?}, anchors {}\n  malformed pages {}, slow pages {}, decompressed {:.1} MB\n  output: {}",
        s.input,
        s.compression,
        s.streams.map(|n| format!(", {n} streams")).unwrap_or_default(),
        s.shard.as_ref().map(|x| format!(", shard {x}")).unwrap_or_default(),
        s.pages_by_namespace,
        s.articles,
        s.redirects,
        s.sentences,
        s.sentences_by_context,
        s.anchors,
        s.malformed_pages,
        s.slow_pages,
        s.decompressed_bytes as f64 / 1e6,
        out.display()
    )
}
