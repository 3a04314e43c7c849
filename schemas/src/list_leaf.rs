//! `List<Utf8>` and `List<UInt32>` leaves written as Parquet column chunks by our own
//! encoders: strings dictionary-encoded, integers `DELTA_BINARY_PACKED`; and top-level `Utf8`
//! columns PLAIN with `LZ4_RAW` ([`PlainText`]). A field of the structs of a non-null
//! `List<Struct>` (the sentences' anchors) is such a list leaf too: the sink hands each its
//! field's values on the list's offsets (`writer::leaf_lists`).
//!
//! Why not the parquet crate's encoders: it interns every string through a generic hash table
//! (ahash, a probe that goes through the dictionary's offsets to its bytes, then `memcmp`),
//! delta-packs integers through a generic block encoder, and computes and encodes the list's
//! levels value by value for each of these columns. For the `sentences` table's `tokens`,
//! `token_starts` and `token_ends` (10.4M values each per 122 MB of wiki XML) that was a
//! quarter of the `wikipedia` stage's CPU (`perf`, issue 19). Here a string of up to 8 bytes
//! (most tokens) is compared as one `u64` (its entry holds its first 8 bytes), after a probe of
//! a table of 8-byte slots; a block of deltas is a few passes over 128 integers; and the levels
//! of a list of non-null items are written as bit masks.
//!
//! A chunk is ordinary Parquet, what the crate's writer produces for such a column (readers
//! cannot tell): V1 data pages with RLE/bit-packed repetition and definition levels, after a
//! PLAIN dictionary page and with RLE_DICTIONARY indices for strings, or with
//! `DELTA_BINARY_PACKED` values for integers; each page compressed with the column's codec,
//! pages split on row boundaries, and an offset index. No statistics: the sink accepts these
//! encoders only for columns without them. Pages and the chunk's metadata go through the
//! crate's `SerializedPageWriter` and `ColumnChunkMetaData`, and the chunk is spliced into the
//! row group with `append_column`.
use arrow::array::{Array, AsArray};
use arrow::buffer::ScalarBuffer;
use arrow::datatypes::{DataType, UInt32Type};
use bytes::Bytes;
use parquet::basic::{Compression, Encoding, PageType};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, OffsetIndexBuilder, PageEncodingStats};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

use crate::writer::LZ4_PAGE_BYTES;

/// Level entries (values, plus one per empty list) per data page at most; a page also ends at
/// the writer properties' row limit. Pages end on row boundaries (the offset index needs it).
const PAGE_ENTRIES: usize = 256 * 1024;

/// One row group's chunk of a list leaf, its values encoded as they arrive.
pub(crate) enum ListLeaf {
    Dict(ListDict),
    Delta(ListDelta),
    Text(PlainText),
}

/// Which encoder a list leaf takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListEncoding {
    /// `List<Utf8>`: a dictionary.
    Dictionary,
    /// `List<UInt32>`: `DELTA_BINARY_PACKED`.
    Delta,
    /// `Utf8`, not a list: PLAIN, in pages of `LZ4_PAGE_BYTES`.
    Text,
}

impl ListEncoding {
    /// Whether this encoder takes a leaf whose values are of type `ty`: a list's item type
    /// (`Dictionary`, `Delta`), or a top-level column's own type (`Text`).
    pub(crate) fn accepts(self, ty: &DataType) -> bool {
        ty == match self {
            ListEncoding::Dictionary | ListEncoding::Text => &DataType::Utf8,
            ListEncoding::Delta => &DataType::UInt32,
        }
    }
}

/// How much one chunk of a leaf held. The sink starts the same leaf's next chunk with room for
/// as much and a quarter more ([`ListLeaf::with_room`]): its vectors and its interner's table
/// then do not grow from empty by doubling (each step a copy, and for the table a rehash of
/// every entry), once per row group.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LeafSize {
    rows: usize,
    items: usize,
    /// Dictionary entries and their PLAIN bytes.
    entries: usize,
    bytes: usize,
    /// The encoded chunk's bytes: the next chunk is encoded into a buffer with room for as
    /// many and a quarter more, not one grown from empty by doubling (on the real dump x5 that
    /// growth was 0.41M of the wikipedia stage's 11M simulated L2 misses, issue 19).
    pub(crate) chunk_bytes: usize,
}

impl LeafSize {
    /// Room for a leaf's first chunk, which has no chunk before it to size it by: the first
    /// `rows` of `array` (a list column), scaled to `group_rows` (at most 32x). Without it the
    /// first row group's vectors grew from empty by doubling, each step a copy larger than the
    /// L2 cache (1M of the wikipedia stage's 11M simulated L2 misses on the real dump x5, whose
    /// sentences make two row groups; issue 19). The dictionary is guessed at an entry per 8
    /// items of 12 PLAIN bytes; too little room only means growing as before.
    ///
    /// A text column (`own_text`) is sized by its PLAIN bytes, its values and their lengths.
    pub(crate) fn first(array: &dyn Array, rows: usize, group_rows: usize) -> LeafSize {
        let rows = rows.min(array.len());
        if rows == 0 {
            return LeafSize::default();
        }
        let scale = |n: usize| n.saturating_mul(group_rows.max(rows).min(rows * 32)) / rows;
        if let Some(text) = array.as_string_opt::<i32>() {
            let offsets = text.value_offsets();
            let bytes = (offsets[rows] - offsets[0]) as usize + 4 * rows;
            return LeafSize { rows: scale(rows), bytes: scale(bytes), ..LeafSize::default() };
        }
        let Some(list) = array.as_list_opt::<i32>() else { return LeafSize::default() };
        let offsets = list.value_offsets();
        let items = (offsets[rows] - offsets[0]) as usize;
        let entries = scale(items) / 8;
        LeafSize {
            rows: scale(rows),
            items: scale(items),
            entries,
            bytes: entries * 12,
            chunk_bytes: 0,
        }
    }
}

impl ListLeaf {
    /// An empty chunk with room for a quarter more rows, items and dictionary bytes than
    /// `room` (a chunk a little larger than the last then does not copy its vectors once more,
    /// each larger than the L2 cache; issue 19).
    pub(crate) fn with_room(encoding: ListEncoding, room: LeafSize) -> Self {
        let more = |n: usize| n + n / 4;
        let room = LeafSize {
            rows: more(room.rows),
            items: more(room.items),
            bytes: more(room.bytes),
            chunk_bytes: more(room.chunk_bytes),
            ..room
        };
        match encoding {
            ListEncoding::Dictionary => ListLeaf::Dict(ListDict {
                interner: Interner::with_room(room.entries, room.bytes),
                ids: Vec::with_capacity(room.items),
                lens: Vec::with_capacity(room.rows),
                chunk_room: room.chunk_bytes,
            }),
            ListEncoding::Delta => ListLeaf::Delta(ListDelta {
                pieces: Vec::new(),
                items: 0,
                lens: Vec::with_capacity(room.rows),
                chunk_room: room.chunk_bytes,
            }),
            ListEncoding::Text => ListLeaf::Text(PlainText::with_room(room)),
        }
    }

    /// An empty chunk with no room reserved.
    #[cfg(test)]
    pub(crate) fn new(encoding: ListEncoding) -> Self {
        Self::with_room(encoding, LeafSize::default())
    }

    /// What this chunk holds so far.
    pub(crate) fn size(&self) -> LeafSize {
        match self {
            ListLeaf::Dict(d) => LeafSize {
                rows: d.lens.len(),
                items: d.ids.len(),
                entries: d.interner.len(),
                bytes: d.interner.plain.len(),
                chunk_bytes: 0,
            },
            ListLeaf::Delta(d) => LeafSize {
                rows: d.lens.len(),
                items: d.items,
                entries: 0,
                bytes: 0,
                chunk_bytes: 0,
            },
            ListLeaf::Text(t) => LeafSize {
                rows: t.rows + t.page_rows,
                items: 0,
                entries: 0,
                bytes: t.bytes + t.page.len(),
                chunk_bytes: 0,
            },
        }
    }

    /// Appends the rows of a list array without nulls (a string array for `Text`).
    pub(crate) fn push(&mut self, array: &dyn Array) -> Result<()> {
        if let ListLeaf::Text(t) = self {
            return t.push(array);
        }
        let list = array
            .as_list_opt::<i32>()
            .ok_or_else(|| general(format!("expected a list array, got {}", array.data_type())))?;
        let offsets = list.value_offsets();
        let (first, last) = (offsets[0] as usize, offsets[offsets.len() - 1] as usize);
        if list.null_count() > 0 || list.values().slice(first, last - first).null_count() > 0 {
            return Err(general("a null list or list item in a non-null column".into()));
        }
        let lens = offsets.windows(2).map(|w| (w[1] - w[0]) as u32);
        match self {
            ListLeaf::Dict(d) => {
                let values = list.values().as_string_opt::<i32>().ok_or_else(|| {
                    general(format!("expected strings, got {}", list.values().data_type()))
                })?;
                d.lens.extend(lens);
                let value_offsets = &values.value_offsets()[first..=last];
                let bytes = values.value_data();
                // Sized first and written through a slice: a push per value stored the length
                // that the next one loaded, a chain through memory.
                let at = d.ids.len();
                d.ids.resize(at + (last - first), 0);
                for (id, w) in d.ids[at..].iter_mut().zip(value_offsets.windows(2)) {
                    *id = d.interner.intern(bytes, w[0] as usize, w[1] as usize);
                }
            }
            ListLeaf::Delta(d) => {
                let values = list.values().as_primitive_opt::<UInt32Type>().ok_or_else(|| {
                    general(format!("expected u32, got {}", list.values().data_type()))
                })?;
                d.lens.extend(lens);
                if last > first {
                    d.pieces.push(values.values().slice(first, last - first));
                    d.items += last - first;
                }
            }
            ListLeaf::Text(_) => unreachable!("taken above"),
        }
        Ok(())
    }

    /// Encodes the chunk: its bytes (offsets from 0) and what `append_column` needs.
    pub(crate) fn finish(
        self,
        descr: ColumnDescPtr,
        props: &WriterProperties,
    ) -> Result<(Bytes, ColumnCloseResult)> {
        match self {
            ListLeaf::Dict(ListDict { interner, ids, lens, chunk_room }) => {
                let dict_len = interner.len();
                let width = bit_width(dict_len.saturating_sub(1) as u32).max(1);
                let dict = Some((interner.into_plain(), dict_len));
                let encoding = Encoding::RLE_DICTIONARY;
                write_list_chunk(descr, props, &lens, dict, chunk_room, encoding, |r, out| {
                    out.push(width as u8);
                    bit_pack_run(&ids[r], width, out);
                })
            }
            ListLeaf::Delta(ListDelta { pieces, lens, chunk_room, .. }) => {
                let encoding = Encoding::DELTA_BINARY_PACKED;
                // The pages take the values in order.
                let mut values = PieceReader { pieces: &pieces, piece: 0, at: 0, read: 0 };
                write_list_chunk(descr, props, &lens, None, chunk_room, encoding, |r, out| {
                    debug_assert_eq!(r.start, values.read);
                    delta_binary_packed(r.len(), &mut values, out)
                })
            }
            ListLeaf::Text(text) => text.finish(descr, props),
        }
    }
}

/// A `List<Utf8>` chunk: strings interned as they arrive.
#[derive(Default)]
pub(crate) struct ListDict {
    interner: Interner,
    /// Dictionary index of every list item, in row order.
    ids: Vec<u32>,
    /// Items per row.
    lens: Vec<u32>,
    /// Bytes to reserve for the encoded chunk (see [`LeafSize::chunk_bytes`]).
    chunk_room: usize,
}

/// A chunk of a non-null `Utf8` column that is not in a list (levels (0, 0): data pages hold
/// values only), PLAIN-encoded as the rows arrive, each page compressed with LZ4 as soon as it
/// is full, while its bytes are in the cache; the column's codec must be `LZ4_RAW`.
///
/// A page ends on the row that passes [`LZ4_PAGE_BYTES`] of PLAIN bytes, the `lz4` columns'
/// page size. A value takes at least 4 bytes (its length), so a page holds fewer rows than the
/// crate's default row limit per page (20,000).
///
/// Why not the crate's writer: for `sentences.text` (0.46 bytes per byte of the `wikipedia`
/// stage's XML) it gathered each value through an index, grew each page's buffer and the
/// compressor's output from empty, and zero-filled the output before compressing; ~3% of
/// the stage's samples besides LZ4 itself (perf, the real dump x80; issue 19). This takes
/// 1.3% fewer instructions and 4.7% fewer L1 data misses for the whole stage (cachegrind, the
/// real dump x2). A first version held a row group's PLAIN bytes and compressed them at its
/// end: 1.04x the CPU (6 pairs, x80), its bytes having left the cache by then.
#[derive(Default)]
pub(crate) struct PlainText {
    /// The current page's values, PLAIN: each a little-endian `u32` length, then its bytes.
    /// One buffer, reused from page to page.
    page: Vec<u8>,
    page_rows: usize,
    /// The full pages: LZ4 block, PLAIN bytes, rows.
    pages: Vec<(Bytes, usize, usize)>,
    rows: usize,
    /// PLAIN bytes of the chunk so far (the next chunk's room).
    bytes: usize,
    /// Bytes to reserve for the encoded chunk (see [`LeafSize::chunk_bytes`]).
    chunk_room: usize,
}

impl PlainText {
    fn with_room(room: LeafSize) -> Self {
        // A page per LZ4_PAGE_BYTES of PLAIN bytes, and one more.
        let pages = room.bytes / LZ4_PAGE_BYTES + 1;
        PlainText {
            page: Vec::with_capacity(2 * LZ4_PAGE_BYTES),
            pages: Vec::with_capacity(pages),
            chunk_room: room.chunk_bytes,
            ..PlainText::default()
        }
    }

    fn push(&mut self, array: &dyn Array) -> Result<()> {
        let text = array
            .as_string_opt::<i32>()
            .ok_or_else(|| general(format!("expected strings, got {}", array.data_type())))?;
        if text.null_count() > 0 {
            return Err(general("a null in a non-null column".into()));
        }
        let data = text.value_data();
        for w in text.value_offsets().windows(2) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            self.page.extend_from_slice(&((b - a) as u32).to_le_bytes());
            self.page.extend_from_slice(&data[a..b]);
            self.page_rows += 1;
            if self.page.len() >= LZ4_PAGE_BYTES {
                self.seal();
            }
        }
        Ok(())
    }

    /// Compresses the current page into `pages` and starts the next.
    fn seal(&mut self) {
        let packed = lz4_block(&self.page);
        self.pages.push((packed, self.page.len(), self.page_rows));
        self.rows += self.page_rows;
        self.bytes += self.page.len();
        self.page.clear();
        self.page_rows = 0;
    }

    fn finish(
        mut self,
        descr: ColumnDescPtr,
        props: &WriterProperties,
    ) -> Result<(Bytes, ColumnCloseResult)> {
        check_levels(&descr, (0, 0), "a non-null column not in a list")?;
        let codec = props.compression(descr.path());
        if codec != Compression::LZ4_RAW {
            return Err(general(format!(
                "{}: text chunks are LZ4_RAW, not {codec:?}",
                descr.path()
            )));
        }
        if self.page_rows > 0 {
            self.seal();
        }
        let mut chunk = ChunkWriter::new(&descr, props, Encoding::PLAIN, self.chunk_room)?;
        for (packed, raw, rows) in self.pages {
            chunk.packed_data_page(packed, raw, rows, rows)?;
        }
        chunk.finish(descr)
    }
}

/// A `List<UInt32>` chunk.
///
/// The values stay in the pushed arrays' buffers (shared, not copied) until the chunk is
/// encoded: copying them into one vector as they arrived was ~1% of the `wikipedia` stage's
/// CPU (`memcpy` into fresh memory, perf on the real dump x20, issue 19), for the sentences'
/// `token_starts` and `token_ends` and the anchors' spans.
#[derive(Default)]
pub(crate) struct ListDelta {
    /// The values of each push that had any, in row order.
    pieces: Vec<ScalarBuffer<u32>>,
    /// Values in `pieces`.
    items: usize,
    /// Items per row.
    lens: Vec<u32>,
    /// Bytes to reserve for the encoded chunk (see [`LeafSize::chunk_bytes`]).
    chunk_room: usize,
}

/// Writes one column chunk page by page into memory: the dictionary page if any, then data
/// pages, each compressed with the column's codec; then its metadata and offset index.
struct ChunkWriter {
    sink: TrackedWrite<Vec<u8>>,
    codec: Codec,
    compression: Compression,
    encoding: Encoding,
    encodings: Vec<Encoding>,
    dictionary_page: Option<(i64, Encoding)>,
    offset_index: OffsetIndexBuilder,
    data_page_offset: Option<i64>,
    data_pages: usize,
    compressed: i64,
    uncompressed: i64,
    values: usize,
    rows: usize,
}

/// The codecs the own encoders write.
enum Codec {
    None,
    Zstd(zstd::bulk::Compressor<'static>),
    /// `LZ4_RAW`: one LZ4 block per page, through lz4_flex, the crate the parquet crate uses.
    Lz4,
}

impl ChunkWriter {
    /// A chunk of the column `descr`, whose data pages are `encoding`, into a buffer with room
    /// for `room` bytes.
    fn new(
        descr: &ColumnDescPtr,
        props: &WriterProperties,
        encoding: Encoding,
        room: usize,
    ) -> Result<Self> {
        let compression = props.compression(descr.path());
        let codec = match compression {
            Compression::UNCOMPRESSED => Codec::None,
            Compression::ZSTD(level) => {
                Codec::Zstd(zstd::bulk::Compressor::new(level.compression_level())?)
            }
            Compression::LZ4_RAW => Codec::Lz4,
            other => return Err(general(format!("{other:?} is not supported here"))),
        };
        Ok(ChunkWriter {
            sink: TrackedWrite::new(Vec::with_capacity(room)),
            codec,
            compression,
            encoding,
            // RLE for the levels (a chunk without levels lists it too, as the crate does).
            encodings: vec![Encoding::RLE, encoding],
            dictionary_page: None,
            offset_index: OffsetIndexBuilder::new(),
            data_page_offset: None,
            data_pages: 0,
            compressed: 0,
            uncompressed: 0,
            values: 0,
            rows: 0,
        })
    }

    /// Compresses `buf` with the chunk's codec.
    fn compress(&mut self, buf: Bytes) -> Result<Bytes> {
        Ok(match &mut self.codec {
            Codec::None => buf,
            Codec::Zstd(z) => Bytes::from(z.compress(&buf)?),
            Codec::Lz4 => lz4_block(&buf),
        })
    }

    /// Writes a page whose `buf` is compressed already, `raw` bytes before; returns its offset
    /// and compressed size.
    fn put(&mut self, page: Page, raw: usize) -> Result<(i64, i32)> {
        let spec =
            SerializedPageWriter::new(&mut self.sink).write_page(CompressedPage::new(page, raw))?;
        self.compressed += spec.compressed_size as i64;
        self.uncompressed += spec.uncompressed_size as i64;
        Ok((spec.offset as i64, spec.compressed_size as i32))
    }

    /// The dictionary page: `entries` values, PLAIN.
    fn dictionary(
        &mut self,
        plain: Vec<u8>,
        entries: usize,
        props: &WriterProperties,
    ) -> Result<()> {
        let encoding = props.dictionary_page_encoding();
        let raw = plain.len();
        let buf = self.compress(Bytes::from(plain))?;
        let page =
            Page::DictionaryPage { buf, num_values: entries as u32, encoding, is_sorted: false };
        let (offset, _) = self.put(page, raw)?;
        self.encodings.push(encoding);
        self.dictionary_page = Some((offset, encoding));
        Ok(())
    }

    /// A data page of `rows` rows and `values` level entries (or values, for a column
    /// without levels), compressed here.
    fn data_page(&mut self, body: Bytes, values: usize, rows: usize) -> Result<()> {
        let raw = body.len();
        let packed = self.compress(body)?;
        self.packed_data_page(packed, raw, values, rows)
    }

    /// [`data_page`](Self::data_page) for a body compressed with the chunk's codec already,
    /// `raw` bytes before.
    fn packed_data_page(
        &mut self,
        packed: Bytes,
        raw: usize,
        values: usize,
        rows: usize,
    ) -> Result<()> {
        let page = Page::DataPage {
            buf: packed,
            num_values: values as u32,
            encoding: self.encoding,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        };
        let (offset, size) = self.put(page, raw)?;
        self.data_page_offset.get_or_insert(offset);
        self.offset_index.append_offset_and_size(offset, size);
        self.offset_index.append_row_count(rows as i64);
        self.data_pages += 1;
        self.values += values;
        self.rows += rows;
        Ok(())
    }

    /// The chunk's bytes (offsets from 0) and what `append_column` needs.
    fn finish(self, descr: ColumnDescPtr) -> Result<(Bytes, ColumnCloseResult)> {
        let buf = Bytes::from(self.sink.into_inner()?);
        // Which pages have which encoding: readers (parquet-cpp, Java) use it to know that
        // every data page is dictionary-encoded.
        let mut page_stats = vec![PageEncodingStats {
            page_type: PageType::DATA_PAGE,
            encoding: self.encoding,
            count: self.data_pages as i32,
        }];
        if let Some((_, encoding)) = self.dictionary_page {
            let dict =
                PageEncodingStats { page_type: PageType::DICTIONARY_PAGE, encoding, count: 1 };
            page_stats.insert(0, dict);
        }
        let metadata = ColumnChunkMetaData::builder(descr)
            .set_page_encoding_stats(page_stats)
            .set_compression(self.compression)
            .set_encodings(self.encodings)
            .set_num_values(self.values as i64)
            .set_total_compressed_size(self.compressed)
            .set_total_uncompressed_size(self.uncompressed)
            .set_dictionary_page_offset(self.dictionary_page.map(|(offset, _)| offset))
            // A chunk of no rows has no data page: point past the dictionary, as the crate's
            // writer does.
            .set_data_page_offset(self.data_page_offset.unwrap_or(buf.len() as i64))
            .build()?;
        let close = ColumnCloseResult {
            bytes_written: buf.len() as u64,
            rows_written: self.rows as u64,
            metadata,
            bloom_filter: None,
            column_index: None,
            offset_index: Some(self.offset_index.build()),
        };
        Ok((buf, close))
    }
}

/// `buf` as one LZ4 block (`LZ4_RAW`), written into fresh, unzeroed room (lz4_flex without its
/// safe-encode feature): the crate's codec zero-fills a buffer of the page's size first.
fn lz4_block(buf: &[u8]) -> Bytes {
    Bytes::from(lz4_flex::block::compress(buf))
}

/// Refuses a column whose levels are not `want` (rep, def).
fn check_levels(descr: &ColumnDescPtr, want: (i16, i16), what: &str) -> Result<()> {
    let got = (descr.max_rep_level(), descr.max_def_level());
    if got != want {
        return Err(general(format!("{}: {what} has levels {want:?}, not {got:?}", descr.path())));
    }
    Ok(())
}

/// Writes a chunk of list rows of `lens` items: the dictionary page (PLAIN bytes, entry count)
/// if any, then data pages whose values section `values` appends for a range of items.
fn write_list_chunk(
    descr: ColumnDescPtr,
    props: &WriterProperties,
    lens: &[u32],
    dictionary: Option<(Vec<u8>, usize)>,
    room: usize,
    encoding: Encoding,
    mut values: impl FnMut(std::ops::Range<usize>, &mut Vec<u8>),
) -> Result<(Bytes, ColumnCloseResult)> {
    check_levels(&descr, (1, 1), "a non-null list of non-null items")?;
    let mut chunk = ChunkWriter::new(&descr, props, encoding, room)?;
    if let Some((plain, entries)) = dictionary {
        chunk.dictionary(plain, entries, props)?;
    }
    let max_rows = props.data_page_row_count_limit().max(1);
    let (mut row, mut item) = (0usize, 0usize);
    while row < lens.len() {
        // The page's rows: up to the row limit, and until PAGE_ENTRIES level entries.
        let (start_row, start_item) = (row, item);
        let mut entries = 0;
        let mut empty = false;
        while row < lens.len() && row - start_row < max_rows && entries < PAGE_ENTRIES {
            let n = lens[row] as usize;
            empty |= n == 0;
            entries += n.max(1);
            item += n;
            row += 1;
        }
        let mut body = Vec::with_capacity(entries / 4 + (item - start_item) * 5 + 64);
        encode_levels(&lens[start_row..row], entries, empty, &mut body);
        values(start_item..item, &mut body);
        chunk.data_page(Bytes::from(body), entries, row - start_row)?;
    }
    chunk.finish(descr)
}

/// Appends the next `count` of `values` `DELTA_BINARY_PACKED` (the Parquet spec's layout, as
/// the crate writes it: blocks of 128 values in 4 miniblocks of 32): a header (block size,
/// miniblocks per block, value count, first value), then per block the smallest delta and each
/// miniblock's bit width, then the miniblocks: each delta minus the smallest, bit-packed.
/// Deltas wrap around in 32 bits, as readers of an INT32 column undo them.
fn delta_binary_packed(count: usize, values: &mut PieceReader, out: &mut Vec<u8>) {
    const BLOCK: usize = 128;
    const MINI: usize = 32;
    let first = if count > 0 { values.next() } else { 0 };
    uleb128(BLOCK as u64, out);
    uleb128((BLOCK / MINI) as u64, out);
    uleb128(count as u64, out);
    uleb128(zigzag(first as i32 as i64), out);
    // The block's values after the one before them (`block[0]`).
    let mut block = [first; BLOCK + 1];
    let mut deltas = [0u32; BLOCK];
    let mut left = count.saturating_sub(1);
    while left > 0 {
        let n = left.min(BLOCK);
        values.fill(&mut block[1..=n]);
        let mut min = i32::MAX;
        for (j, d) in deltas[..n].iter_mut().enumerate() {
            let delta = block[j + 1].wrapping_sub(block[j]) as i32;
            *d = delta as u32;
            min = min.min(delta);
        }
        block[0] = block[n];
        left -= n;
        uleb128(zigzag(min as i64), out);
        let widths_at = out.len();
        out.extend_from_slice(&[0u8; BLOCK / MINI]);
        for (m, mini) in deltas[..n].chunks_mut(MINI).enumerate() {
            let mut or = 0u32;
            for d in mini.iter_mut() {
                *d = (*d as i32).wrapping_sub(min) as u32;
                or |= *d;
            }
            let width = bit_width(or);
            out[widths_at + m] = width as u8;
            bit_pack(mini, width, MINI, out);
        }
    }
}

/// The values of a [`ListDelta`]'s pieces, read in order.
struct PieceReader<'a> {
    /// None empty.
    pieces: &'a [ScalarBuffer<u32>],
    piece: usize,
    /// The next value's index in `pieces[piece]`.
    at: usize,
    /// Values read so far.
    read: usize,
}

impl PieceReader<'_> {
    /// Fills `out` with the next `out.len()` values (panics past the last).
    fn fill(&mut self, mut out: &mut [u32]) {
        self.read += out.len();
        while !out.is_empty() {
            let piece = &self.pieces[self.piece];
            let n = (piece.len() - self.at).min(out.len());
            out[..n].copy_from_slice(&piece[self.at..self.at + n]);
            out = &mut out[n..];
            self.at += n;
            if self.at == piece.len() {
                (self.piece, self.at) = (self.piece + 1, 0);
            }
        }
    }

    fn next(&mut self) -> u32 {
        let mut v = [0];
        self.fill(&mut v);
        v[0]
    }
}

/// ZigZag: small magnitudes of either sign to small unsigned numbers.
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn general(msg: String) -> ParquetError {
    ParquetError::General(msg)
}

/// Bits needed for `max` (0 for 0).
fn bit_width(max: u32) -> u32 {
    32 - max.leading_zeros()
}

/// Appends `v` as ULEB128, the RLE/bit-packed hybrid's run headers.
fn uleb128(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `values` as one bit-packed run of the RLE/bit-packed hybrid encoding: its header,
/// then groups of 8 values of `width` bits. Nothing for no values.
fn bit_pack_run(values: &[u32], width: u32, out: &mut Vec<u8>) {
    if values.is_empty() {
        return;
    }
    let groups = values.len().div_ceil(8);
    uleb128(((groups as u64) << 1) | 1, out);
    bit_pack(values, width, groups * 8, out);
}

/// Appends `values` packed in `width` bits each, least significant bit first, padded with
/// zeros to `slots` values. Each whole group of 32 values (4 * `width` bytes, so the next
/// starts on a byte) goes through [`pack_groups`] for its width; the rest bit by bit here.
fn bit_pack(values: &[u32], width: u32, slots: usize, out: &mut Vec<u8>) {
    let end = out.len() + (slots * width as usize).div_ceil(8);
    out.reserve(end - out.len() + 8);
    let whole = values.len() / 32 * 32;
    PACK_GROUPS[width as usize](&values[..whole], out);
    let (mut acc, mut bits) = (0u64, 0u32);
    for &v in &values[whole..] {
        acc |= (v as u64) << bits;
        bits += width;
        if bits >= 32 {
            out.extend_from_slice(&(acc as u32).to_le_bytes());
            acc >>= 32;
            bits -= 32;
        }
    }
    out.extend_from_slice(&acc.to_le_bytes()[..bits.div_ceil(8) as usize]);
    out.resize(end, 0);
}

/// Appends whole groups of 32 values packed in a fixed width ([`pack_groups`]).
type PackGroups = fn(&[u32], &mut Vec<u8>);

macro_rules! pack_groups_by_width {
    ($($w:literal)*) => { [$(pack_groups::<$w> as PackGroups),*] };
}

/// [`pack_groups`] for each width, 0 to 32.
const PACK_GROUPS: [PackGroups; 33] = pack_groups_by_width!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32
);

/// Appends `values` (whole groups of 32) packed in `W` bits each, least significant bit
/// first: 4 * `W` bytes per group. The 32 values are unrolled ([`unroll_32`]), so each one's
/// word and shift are constants and it takes a shift and an or (two where it straddles a
/// word). The dictionary indices and the deltas (three values per token of the `sentences`
/// table) went through [`bit_pack`]'s loop, with a variable shift and a branch per value.
fn pack_groups<const W: u32>(values: &[u32], out: &mut Vec<u8>) {
    let width = W as usize;
    for group in values.chunks_exact(32) {
        let mut words = [0u32; 32];
        unroll_32!(I => {
            let (word, shift) = (I * width / 32, (I * width % 32) as u32);
            words[word] |= group[I] << shift;
            if shift as usize + width > 32 {
                words[word + 1] |= group[I] >> (32 - shift);
            }
        });
        let mut bytes = [0u8; 128];
        for (b, w) in bytes.chunks_exact_mut(4).zip(&words[..width]) {
            b.copy_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&bytes[..4 * width]);
    }
}

/// `$body` 32 times, with `$i` the constant 0, 1, ... 31.
macro_rules! unroll_32 {
    ($i:ident => $body:block) => {
        unroll_32!(@ $i $body; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24
            25 26 27 28 29 30 31)
    };
    (@ $i:ident $body:block; $($n:literal)*) => { $({ const $i: usize = $n; $body })* };
}
use unroll_32;

/// Appends a page's repetition and definition levels (V1: each block prefixed by its byte
/// length) for rows of `lens` items, `entries` level entries in all (an empty list takes one).
/// Bit width 1: a row's first entry repeats at level 0, the others at 1; an item is defined at
/// level 1, an empty list's entry at 0. Without empty lists every entry is defined, one run.
fn encode_levels(lens: &[u32], entries: usize, empty: bool, out: &mut Vec<u8>) {
    let groups = entries.div_ceil(8);
    let block = |bits: &[u8], out: &mut Vec<u8>| {
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        uleb128(((groups as u64) << 1) | 1, out);
        out.extend_from_slice(bits);
        let len = (out.len() - at - 4) as u32;
        out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    };
    // Repetition: all ones, then a zero at each row's first entry (and in the padding).
    let mut rep = vec![0xFFu8; groups];
    let mut at = 0;
    for &n in lens {
        rep[at / 8] &= !(1 << (at % 8));
        at += (n as usize).max(1);
    }
    clear_from(&mut rep, entries);
    block(&rep, out);
    if empty {
        let mut def = vec![0xFFu8; groups];
        let mut at = 0;
        for &n in lens {
            if n == 0 {
                def[at / 8] &= !(1 << (at % 8));
            }
            at += (n as usize).max(1);
        }
        clear_from(&mut def, entries);
        block(&def, out);
    } else {
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        uleb128((entries as u64) << 1, out);
        out.push(1);
        let len = (out.len() - at - 4) as u32;
        out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }
}

/// Clears the bits from `from` on.
fn clear_from(bits: &mut [u8], from: usize) {
    if !from.is_multiple_of(8) {
        bits[from / 8] &= (1u8 << (from % 8)) - 1;
    }
    for b in &mut bits[from.div_ceil(8)..] {
        *b = 0;
    }
}

/// A byte-string interner for short values: ids in first-seen order, the dictionary kept as
/// the PLAIN-encoded page it becomes (a little-endian `u32` length, then the bytes).
///
/// The table holds 8 bytes per slot (a tag of the hash, the length up to 255 and the id) so
/// that it stays in the L2 cache longer; the entries' first 8 bytes are in id order, where the
/// frequent values, seen first, sit together. A value of up to 8 bytes (most tokens) is found
/// from its slot and its `heads` word alone: 8 bytes per entry, where the entry was 16 (first
/// bytes, length and offset) and its lookups waited on the cache ~1/5 of `ListLeaf::push`'s
/// samples (perf, x80, issue 19).
///
/// `HEAD_ONLY` hashes a value's first 8 bytes and length only, so that values sharing them
/// collide in full: tests use it to reach the comparison of the bytes past the first 8.
#[derive(Default)]
struct Interner<const HEAD_ONLY: bool = false> {
    /// Open addressing, linear probing: a tag of the hash ([`TAG`], high 24 bits), the value's length
    /// up to 255 (8 bits) and id + 1 (low 32 bits); 0 is a free slot.
    slots: Vec<u64>,
    /// 64 - log2(slots): a value's first slot is the top bits of its hash times [`MUL`],
    /// the bits every byte of the value reaches.
    shift: u32,
    /// Each value's first 8 bytes, zero-padded, by id.
    heads: Vec<u64>,
    /// Each value's byte offset in `plain`, past its length, by id (read for values over 8
    /// bytes, and to rehash).
    starts: Vec<u32>,
    plain: Vec<u8>,
}

/// The slot bits a value's tag takes: 24 bits of its hash.
const TAG: u64 = 0xFFFF_FF00_0000_0000;
/// A length a slot holds as 255 or more: the exact one is read from `plain`.
const LONG: usize = 255;

const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

/// The 8 bytes of `bytes` from `at`, the ones past `end` zeroed.
#[inline]
fn word(bytes: &[u8], at: usize, end: usize) -> u64 {
    let n = end - at;
    if n >= 8 {
        return u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    }
    if at + 8 <= bytes.len() {
        let w = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        return w & ((1u64 << (n * 8)) - 1);
    }
    let mut b = [0u8; 8];
    b[..n].copy_from_slice(&bytes[at..end]);
    u64::from_le_bytes(b)
}

/// Whether `a[a_at..a_at + n]` equals `b[b_at..b_at + n]`, compared a word at a time: the
/// values past their first 8 bytes are short, and a `memcmp` call for each was ~1% of the
/// wikipedia stage's CPU (issue 19).
#[inline]
fn tail_eq(a: &[u8], a_at: usize, b: &[u8], b_at: usize, n: usize) -> bool {
    (0..n).step_by(8).all(|k| word(a, a_at + k, a_at + n) == word(b, b_at + k, b_at + n))
}

impl<const HEAD_ONLY: bool> Interner<HEAD_ONLY> {
    /// An empty interner whose table takes `entries` values before it grows, with room for
    /// `bytes` of PLAIN dictionary.
    fn with_room(entries: usize, bytes: usize) -> Self {
        let mut interner = Interner {
            heads: Vec::with_capacity(entries),
            starts: Vec::with_capacity(entries),
            plain: Vec::with_capacity(bytes),
            ..Interner::default()
        };
        if entries > 0 {
            // `intern` grows the table once entries fill 3/4 of its slots.
            let size = (entries * 4 / 3 + 1).next_power_of_two().max(1024);
            interner.slots = vec![0; size];
            interner.shift = 64 - size.trailing_zeros();
        }
        interner
    }

    fn len(&self) -> usize {
        self.heads.len()
    }

    /// The length of the value stored at `start` in `plain` (its PLAIN length prefix).
    fn plain_len(&self, start: usize) -> usize {
        u32::from_le_bytes(self.plain[start - 4..start].try_into().expect("4 bytes")) as usize
    }

    /// The id of `bytes[start..end]`, a new one if it was not seen before.
    #[inline]
    fn intern(&mut self, bytes: &[u8], start: usize, end: usize) -> u32 {
        if self.heads.len() * 4 >= self.slots.len() * 3 {
            self.grow();
        }
        let len = end - start;
        let head = word(bytes, start, end);
        let h = Self::hash(head, bytes, start, end);
        // The tag mixes the hash's two halves: a value of up to 8 bytes hashes to its bytes
        // and length, whose high bytes are zero for most tokens.
        let key = ((h ^ (h << 32)) & TAG) | ((len.min(LONG) as u64) << 32);
        let mask = self.slots.len() - 1;
        let mut i = (h.wrapping_mul(MUL) >> self.shift) as usize;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                let id = self.heads.len() as u32;
                self.plain.extend_from_slice(&(len as u32).to_le_bytes());
                let at = self.plain.len() as u32;
                self.plain.extend_from_slice(&bytes[start..end]);
                self.heads.push(head);
                self.starts.push(at);
                self.slots[i] = key | (id as u64 + 1);
                return id;
            }
            // The same tag and length (up to 255), then the same first 8 bytes.
            if (slot ^ key) >> 32 == 0 {
                let id = (slot as u32) - 1;
                if self.heads[id as usize] == head {
                    if len <= 8 {
                        return id;
                    }
                    let at = self.starts[id as usize] as usize;
                    if (len < LONG || self.plain_len(at) == len)
                        && tail_eq(&self.plain, at + 8, bytes, start + 8, len - 8)
                    {
                        return id;
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Doubles the table (at least 1024 slots) and reinserts every entry.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1024);
        self.shift = 64 - size.trailing_zeros();
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        let mask = size - 1;
        for slot in old.into_iter().filter(|&s| s != 0) {
            let id = (slot as u32 - 1) as usize;
            let s = self.starts[id] as usize;
            let h = Self::hash(self.heads[id], &self.plain, s, s + self.plain_len(s));
            let mut i = (h.wrapping_mul(MUL) >> self.shift) as usize;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// A hash of `bytes[start..end]`, whose first word is `head`.
    #[inline]
    fn hash(head: u64, bytes: &[u8], start: usize, end: usize) -> u64 {
        let mut h = head ^ (((end - start) as u64) << 56);
        if HEAD_ONLY {
            return h;
        }
        let mut at = start + 8;
        while at < end {
            h = (h.wrapping_mul(MUL)).rotate_left(29) ^ word(bytes, at, end);
            at += 8;
        }
        h
    }

    /// The dictionary page's PLAIN bytes.
    fn into_plain(self) -> Vec<u8> {
        self.plain
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, ArrayRef, ListArray, ListBuilder, StringBuilder, UInt32Builder};
    use arrow::datatypes::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::{EnabledStatistics, WriterProperties};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;

    use super::*;

    fn schema(item: DataType) -> Arc<Schema> {
        let item = Arc::new(Field::new_list_field(item, false));
        Arc::new(Schema::new(vec![Field::new("tokens", DataType::List(item), false)]))
    }

    fn list(rows: &[Vec<&str>]) -> ListArray {
        let item = Field::new_list_field(DataType::Utf8, false);
        let mut b = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(item));
        for row in rows {
            for t in row {
                b.values().append_value(t);
            }
            b.append(true);
        }
        b.finish()
    }

    /// Writes `arrays` as one file through [`ListDict`], each `group` rows a row group (the
    /// way the sink does), with the crate's own file writer around it; reads the file back
    /// with the crate's reader, which shares no code with the encoder.
    fn round_trip(arrays: &[ArrayRef], group: usize, props: WriterProperties) -> Vec<ArrayRef> {
        let encoding = match arrays[0].data_type() {
            DataType::List(f) if f.data_type() == &DataType::Utf8 => ListEncoding::Dictionary,
            _ => ListEncoding::Delta,
        };
        let item =
            if encoding == ListEncoding::Dictionary { DataType::Utf8 } else { DataType::UInt32 };
        let mut out = Vec::new();
        let w = ArrowWriter::try_new(&mut out, schema(item), Some(props)).unwrap();
        let (mut file, _) = w.into_serialized_writer().unwrap();
        let props = file.properties().clone();
        let descr = file.schema_descr().column(0);
        let mut d = ListLeaf::new(encoding);
        let mut rows = 0;
        let flush = |d: ListLeaf, file: &mut SerializedFileWriter<&mut Vec<u8>>| {
            let (bytes, close) = d.finish(descr.clone(), &props).unwrap();
            let mut rg = file.next_row_group().unwrap();
            rg.append_column(&bytes, close).unwrap();
            rg.close().unwrap();
        };
        for a in arrays {
            let mut at = 0;
            while at < a.len() {
                let take = (a.len() - at).min(group - rows);
                d.push(a.slice(at, take).as_ref()).unwrap();
                (at, rows) = (at + take, rows + take);
                if rows == group {
                    // The next group starts with this one's room, as the sink does.
                    let room = d.size();
                    flush(
                        std::mem::replace(&mut d, ListLeaf::with_room(encoding, room)),
                        &mut file,
                    );
                    rows = 0;
                }
            }
        }
        if rows > 0 {
            flush(d, &mut file);
        }
        file.close().unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(out)).unwrap();
        reader.build().unwrap().map(|b| b.unwrap().column(0).clone()).collect()
    }

    fn props(compression: Compression) -> WriterProperties {
        WriterProperties::builder()
            .set_compression(compression)
            .set_statistics_enabled(EnabledStatistics::None)
            .set_data_page_row_count_limit(7)
            .build()
    }

    fn rows_of(arrays: &[ArrayRef]) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        for a in arrays {
            let l = a.as_list::<i32>();
            for i in 0..l.len() {
                let v = l.value(i);
                let s = v.as_string::<i32>();
                rows.push((0..s.len()).map(|j| s.value(j).to_string()).collect());
            }
        }
        rows
    }

    fn zstd1() -> Compression {
        Compression::ZSTD(ZstdLevel::try_new(1).unwrap())
    }

    /// The first chunk's room: the first rows' size times the group's rows over theirs, at
    /// most 32 times (hand-computed cases).
    #[test]
    fn first_room_scales_the_first_rows_to_a_group() {
        let mut b = ListBuilder::new(UInt32Builder::new());
        for _ in 0..10 {
            for v in 0..3 {
                b.values().append_value(v);
            }
            b.append(true);
        }
        let a = b.finish();
        // (rows looked at, group rows, expected rows, expected items)
        for (rows, group, want_rows, want_items) in
            [(10, 100, 100, 300), (5, 100, 100, 300), (10, 10_000, 320, 960), (10, 4, 10, 30)]
        {
            let r = LeafSize::first(&a, rows, group);
            assert_eq!((r.rows, r.items), (want_rows, want_items), "{rows} rows, group {group}");
            assert_eq!((r.entries, r.bytes), (want_items / 8, want_items / 8 * 12));
        }
        assert_eq!(LeafSize::first(&a, 0, 100).rows, 0);
    }

    /// Hand-picked rows: empty lists (at the start, between, at the end), the empty string,
    /// values of 8 and 9 bytes sharing their first 8 bytes (the slot holds only those),
    /// non-ASCII, a value ending the buffer (read without the 8-byte load), repeats; sliced
    /// arrays; pages of 7 rows; row groups of 5 rows.
    #[test]
    fn hand_picked_rows_read_back_equal() {
        let rows: Vec<Vec<&str>> = vec![
            vec![],
            vec!["The", "cat", "", "sat", "."],
            vec!["abcdefgh", "abcdefghi", "abcdefghj", "abcdefgh", "abcdefghi"],
            vec![],
            vec![],
            vec!["Zürich", "東京", "Zürich", "naïve", "a"],
            vec!["antidisestablishmentarianism", "antidisestablishmentarianisn"],
            vec!["x"],
            vec![],
        ];
        let a: ArrayRef = Arc::new(list(&rows));
        let parts: Vec<ArrayRef> = vec![a.slice(0, 4), a.slice(4, 5)];
        for compression in [zstd1(), Compression::UNCOMPRESSED] {
            for group in [1, 5, 100] {
                let back = round_trip(&parts, group, props(compression));
                assert_eq!(
                    rows_of(&back),
                    rows_of(std::slice::from_ref(&a)),
                    "{compression:?} {group}"
                );
            }
        }
    }

    /// 70,000 distinct values (17-bit indices; the table grows ~7 times) over rows of 0-30
    /// items, in row groups of 3,000 rows with pages of 7 rows.
    #[test]
    fn many_distinct_values_read_back_equal() {
        let words: Vec<String> = (0..70_000).map(|i| format!("w{}", i * 7919 % 70_001)).collect();
        let mut rows = Vec::new();
        let mut k = 0usize;
        for r in 0..9_000usize {
            let n = (r * 31 + 7) % 31;
            rows.push(
                (0..n)
                    .map(|_| {
                        k += 1;
                        words[(k * 104_729) % words.len()].as_str()
                    })
                    .collect::<Vec<_>>(),
            );
        }
        assert_reads_back(&rows, 3_000);
    }

    /// `rows` written in row groups of `group` rows (zstd, pages of 7 rows) read back equal.
    fn assert_reads_back(rows: &[Vec<&str>], group: usize) {
        let a: ArrayRef = Arc::new(list(rows));
        let back = round_trip(std::slice::from_ref(&a), group, props(zstd1()));
        assert_eq!(rows_of(&back), rows_of(&[a]));
    }

    /// 5,000 values of one length with the same first 8 bytes (all an entry holds inline),
    /// through the real hash.
    #[test]
    fn values_sharing_their_first_8_bytes_stay_distinct() {
        let words: Vec<String> = (0..5_000).map(|i| format!("prefix__{i:05}")).collect();
        let rows: Vec<Vec<&str>> =
            words.chunks(10).map(|c| c.iter().map(String::as_str).collect()).collect();
        assert_reads_back(&rows, 10_000);
    }

    /// Values whose hashes collide in full (the test hash sees only the first 8 bytes and the
    /// length) stay distinct: the bytes past the first 8 are compared.
    #[test]
    fn colliding_values_stay_distinct() {
        for (width, make) in [
            (13, (|i| format!("prefix__{i:05}")) as fn(usize) -> String),
            // Longer values differing only in their second, third or fourth word.
            (29, |i| format!("prefix__{i:05}_same_tail_words")),
            (29, |i| format!("prefix__same_tai{i:05}_l_words")),
            (29, |i| format!("prefix__same_second_word{i:05}")),
            (29, |i| format!("prefix__same_second_word_{:04}", 1999 - i)),
        ] {
            collisions_stay_distinct(width, make);
        }
    }

    /// Values of 255 bytes or more, whose slots hold their length as 255: equal first bytes
    /// and hashes that collide in full (lengths 256 apart, which the test hash cannot tell
    /// apart), yet distinct by their exact length; and the same values found again.
    #[test]
    fn long_values_are_told_apart_by_their_exact_length() {
        let words: Vec<String> = [255, 300, 511, 556, 812].iter().map(|&n| "a".repeat(n)).collect();
        let bytes = words.concat().into_bytes();
        let mut spans = Vec::new();
        let mut at = 0;
        for w in &words {
            spans.push((at, at + w.len()));
            at += w.len();
        }
        let mut interner = Interner::<true>::default();
        let ids: Vec<u32> = spans.iter().map(|&(a, b)| interner.intern(&bytes, a, b)).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4]);
        let again: Vec<u32> = spans.iter().map(|&(a, b)| interner.intern(&bytes, a, b)).collect();
        assert_eq!(again, ids);
    }

    fn collisions_stay_distinct(width: usize, make: fn(usize) -> String) {
        let words: Vec<String> = (0..2_000).map(make).collect();
        assert!(words.iter().all(|w| w.len() == width));
        let bytes = words.concat().into_bytes();
        let mut interner = Interner::<true>::default();
        let span = |i: usize| (i * width, i * width + width);
        let ids: Vec<u32> =
            (0..words.len()).map(|i| interner.intern(&bytes, span(i).0, span(i).1)).collect();
        assert_eq!(ids, (0..words.len() as u32).collect::<Vec<_>>());
        let again: Vec<u32> =
            (0..words.len()).rev().map(|i| interner.intern(&bytes, span(i).0, span(i).1)).collect();
        assert_eq!(again, ids.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(interner.len(), words.len());
    }

    /// The chunk's metadata is what readers rely on: a dictionary page first, the
    /// encodings, the value count (one per item and per empty list) and an offset index.
    #[test]
    fn chunk_metadata_describes_the_pages() {
        let rows = vec![vec!["a", "b"], vec![], vec!["a"]];
        let a: ArrayRef = Arc::new(list(&rows));
        let mut out = Vec::new();
        let w = ArrowWriter::try_new(&mut out, schema(DataType::Utf8), Some(props(zstd1())));
        let (mut file, _) = w.unwrap().into_serialized_writer().unwrap();
        let mut d = ListLeaf::new(ListEncoding::Dictionary);
        d.push(a.as_ref()).unwrap();
        let (bytes, close) = d.finish(file.schema_descr().column(0), file.properties()).unwrap();
        let mut rg = file.next_row_group().unwrap();
        rg.append_column(&bytes, close).unwrap();
        rg.close().unwrap();
        file.close().unwrap();
        let reader = SerializedFileReader::new(Bytes::from(out)).unwrap();
        let c = reader.metadata().row_group(0).column(0).clone();
        assert_eq!(c.num_values(), 4);
        assert!(c.dictionary_page_offset().is_some_and(|d| d < c.data_page_offset()));
        let enc: Vec<_> = c.encodings().collect();
        assert!(enc.contains(&Encoding::RLE_DICTIONARY) && enc.contains(&Encoding::RLE), "{enc:?}");
        assert_eq!(c.compression(), zstd1());
    }

    #[test]
    fn nulls_are_refused() {
        let mut b = ListBuilder::new(StringBuilder::new());
        b.values().append_value("a");
        b.append(true);
        b.append(false);
        let a = b.finish();
        let err = ListLeaf::new(ListEncoding::Dictionary).push(&a).unwrap_err();
        assert!(err.to_string().contains("null"), "{err}");
    }

    fn u32_lists(rows: &[Vec<u32>]) -> ArrayRef {
        let item = Field::new_list_field(DataType::UInt32, false);
        let mut b = ListBuilder::new(UInt32Builder::new()).with_field(Arc::new(item));
        for row in rows {
            b.values().append_slice(row);
            b.append(true);
        }
        Arc::new(b.finish())
    }

    fn u32_rows_of(arrays: &[ArrayRef]) -> Vec<Vec<u32>> {
        let mut rows = Vec::new();
        for a in arrays {
            let l = a.as_list::<i32>();
            for i in 0..l.len() {
                rows.push(l.value(i).as_primitive::<UInt32Type>().values().to_vec());
            }
        }
        rows
    }

    /// `bit_pack` against a writer that appends one bit at a time, for every width and for
    /// value counts around the groups of 32.
    #[test]
    fn bit_pack_matches_a_bit_by_bit_writer() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for width in 0..=32u32 {
            for n in [0usize, 1, 7, 8, 31, 32, 33, 64, 95, 100] {
                let mask = if width == 32 { u32::MAX } else { (1u32 << width) - 1 };
                let values: Vec<u32> = (0..n)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        (seed as u32) & mask
                    })
                    .collect();
                let slots = n.div_ceil(8) * 8 + 8;
                let mut bits = vec![false; slots * width as usize];
                for (i, v) in values.iter().enumerate() {
                    for b in 0..width as usize {
                        bits[i * width as usize + b] = v >> b & 1 == 1;
                    }
                }
                let mut want = vec![0u8; bits.len().div_ceil(8)];
                for (i, _) in bits.iter().enumerate().filter(|(_, b)| **b) {
                    want[i / 8] |= 1 << (i % 8);
                }
                let mut got = vec![0xAA];
                bit_pack(&values, width, slots, &mut got);
                assert_eq!(got[0], 0xAA, "width {width}, {n} values: the prefix was touched");
                assert_eq!(&got[1..], &want[..], "width {width}, {n} values");
            }
        }
    }

    /// Integer lists `DELTA_BINARY_PACKED`: ascending offsets that fall back at each row (the
    /// token spans' shape), deltas of every width up to 32 bits (0 and u32::MAX next to each
    /// other wrap around), blocks of 128 and their last partial miniblock, single values and
    /// empty lists, over pages of 7 rows and row groups of 3.
    #[test]
    fn integer_lists_read_back_equal() {
        let mut rows: Vec<Vec<u32>> = vec![vec![], vec![7], vec![0, u32::MAX, 0, 1 << 31, 5]];
        rows.push((0..300).map(|i| i * 6 + i % 5).collect());
        rows.push((0..129).map(|i| (i * 2_654_435_761u64 % (1 << 32)) as u32).collect());
        rows.extend((0..40).map(|r| (0..r % 23).map(|i| i * 4 + r).collect()));
        rows.push(vec![]);
        let a = u32_lists(&rows);
        let parts = [a.slice(0, 3), a.slice(3, a.len() - 3)];
        for compression in [zstd1(), Compression::UNCOMPRESSED] {
            for group in [3, 1000] {
                let back = round_trip(&parts, group, props(compression));
                assert_eq!(u32_rows_of(&back), rows, "{compression:?} {group}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 300, failure_persistence: None, ..Default::default()
        })]
        /// Random rows of values from a small alphabet (so values repeat and long ones share
        /// prefixes), read back equal, whatever the row group and page sizes.
        #[test]
        fn random_rows_read_back_equal(
            rows in proptest::collection::vec(
                proptest::collection::vec("[ab\u{e9}]{0,12}", 0..6), 0..60),
            group in 1usize..40,
            page_rows in 1usize..10,
        ) {
            let rows: Vec<Vec<&str>> =
                rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
            let a: ArrayRef = Arc::new(list(&rows));
            let props = WriterProperties::builder()
                .set_compression(zstd1())
                .set_statistics_enabled(EnabledStatistics::None)
                .set_data_page_row_count_limit(page_rows)
                .build();
            let back = round_trip(std::slice::from_ref(&a), group, props);
            proptest::prop_assert_eq!(rows_of(&back), rows_of(&[a]));
        }

        /// Random integer lists (small and large values, so deltas of either sign and every
        /// width), pushed in random parts (so pages and blocks of 128 take values from
        /// several), read back equal.
        #[test]
        fn random_integer_lists_read_back_equal(
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![0u32..300, proptest::num::u32::ANY], 0..300),
                0..12),
            cuts in proptest::collection::vec(0usize..13, 0..4),
            group in 1usize..14,
        ) {
            let a = u32_lists(&rows);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(rows.len())).collect();
            cuts.extend([0, rows.len()]);
            cuts.sort_unstable();
            let parts: Vec<ArrayRef> =
                cuts.windows(2).map(|w| a.slice(w[0], w[1] - w[0])).collect();
            let back = round_trip(&parts, group, props(zstd1()));
            proptest::prop_assert_eq!(u32_rows_of(&back), rows);
        }
    }
}
