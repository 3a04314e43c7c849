//! Row buffers of the `pages`, `redirects` and `sentences` tables -> Arrow batches.
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int32Array, Int64Array, ListArray, RecordBatch, StringArray, StructArray, UInt32Array,
};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};

use crate::columns::{list, list_struct_fields, strings};
use crate::error::StageError;
use schemas::col;
use schemas::tables::{PAGES, REDIRECTS, SENTENCES};

#[derive(Default)]
pub struct PageRows {
    pub page_id: Vec<i64>,
    pub title: Vec<String>,
    pub namespace: Vec<i32>,
    pub revision_id: Vec<i64>,
    pub timestamp: Vec<String>,
    pub num_sentences: Vec<u32>,
}

impl PageRows {
    pub fn len(&self) -> usize {
        self.page_id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.page_id.is_empty()
    }
    pub fn take_batch(&mut self) -> Result<RecordBatch, StageError> {
        let r = std::mem::take(self);
        Ok(RecordBatch::try_new(
            PAGES.schema(),
            vec![
                Arc::new(Int64Array::from(r.page_id)),
                strings(&r.title),
                Arc::new(Int32Array::from(r.namespace)),
                Arc::new(Int64Array::from(r.revision_id)),
                strings(&r.timestamp),
                Arc::new(UInt32Array::from(r.num_sentences)),
            ],
        )?)
    }
}

#[derive(Default)]
pub struct RedirectRows {
    pub page_id: Vec<i64>,
    pub title: Vec<String>,
    pub target: Vec<String>,
}

impl RedirectRows {
    pub fn take_batch(&mut self) -> Result<RecordBatch, StageError> {
        let r = std::mem::take(self);
        Ok(RecordBatch::try_new(
            REDIRECTS.schema(),
            vec![Arc::new(Int64Array::from(r.page_id)), strings(&r.title), strings(&r.target)],
        )?)
    }
}

/// The `sentences` rows of the pages pushed so far: the pages' sentences are cleaned straight
/// into one [`wikitext::SentenceColumns`], whose text, token spans and anchor targets become
/// the Arrow arrays without a copy. (Each page was cleaned into columns of its own and copied
/// into Arrow builders from there, issue 19.)
#[derive(Default)]
pub struct SentenceRows {
    /// The sentences of the pages pushed so far (and of the page being cleaned).
    pub columns: wikitext::SentenceColumns,
    page_id: Vec<i64>,
    sentence_index: Vec<u32>,
    tokens: TokenBytes,
}

impl SentenceRows {
    pub fn is_empty(&self) -> bool {
        self.page_id.is_empty()
    }

    /// Empty rows with room for the sentences of pages whose XML is `input_bytes` long.
    ///
    /// Sized from the real dump x20 (121.7 MB of XML): a sentence per 270 bytes of XML, an
    /// anchor per 278, a token per 11.7 and 0.47 bytes of text per byte, with room to spare, so
    /// that the vectors rarely grow (each doubling a copy into fresh memory). Room never
    /// written is address space only.
    pub fn with_room_for(input_bytes: usize) -> SentenceRows {
        let (rows, tokens, anchors, text) =
            (input_bytes / 200 + 16, input_bytes / 8 + 64, input_bytes / 200 + 16, input_bytes / 2);
        let mut columns = wikitext::SentenceColumns::default();
        columns.contexts.reserve(rows);
        columns.text.reserve(text);
        columns.text_offsets.reserve(rows);
        columns.token_bytes.reserve(tokens);
        columns.token_starts.reserve(tokens);
        columns.token_ends.reserve(tokens);
        columns.token_offsets.reserve(rows);
        columns.anchors.reserve(anchors);
        columns.anchor_targets.reserve(anchors * 24);
        columns.anchor_offsets.reserve(rows);
        SentenceRows {
            columns,
            page_id: Vec::with_capacity(rows),
            sentence_index: Vec::with_capacity(rows),
            tokens: TokenBytes::with_capacity(tokens, text),
        }
    }

    /// Numbers the sentences appended to [`columns`](Self::columns) since `mark` from 0, in
    /// page order, as page `page_id`'s, and copies their tokens' bytes (while the page's text
    /// is still in the cache).
    pub fn push_page(&mut self, page_id: i64, mark: wikitext::ColumnsMark) {
        let c = &self.columns;
        let rows = c.len() - mark.sentences;
        self.page_id.extend(std::iter::repeat_n(page_id, rows));
        self.sentence_index.extend(0..rows as u32);
        self.tokens.push_page(&c.text, &c.token_bytes[mark.tokens..]);
    }

    pub fn into_batch(self) -> Result<RecordBatch, StageError> {
        let SentenceRows { columns: c, page_id, sentence_index, tokens } = self;
        let schema = SENTENCES.schema();
        let (item, fields) = list_struct_fields(&schema, col::ANCHORS);
        let mut spans: [Vec<u32>; 4] = std::array::from_fn(|_| Vec::with_capacity(c.anchors.len()));
        let mut target_ends = Vec::with_capacity(c.anchors.len() + 1);
        target_ends.push(0);
        for a in &c.anchors {
            let [cs, ce, ts, te] = &mut spans;
            cs.push(a.char_start);
            ce.push(a.char_end);
            ts.push(a.token_start);
            te.push(a.token_end);
            // The targets were appended in anchor order: each starts where the last ended.
            debug_assert_eq!(a.target.0, *target_ends.last().expect("a 0 first") as u32);
            target_ends.push(i32::try_from(a.target.1).map_err(too_long)?);
        }
        let targets = string_array(c.anchor_targets, target_ends)?;
        let [cs, ce, ts, te] = spans.map(|v| Arc::new(UInt32Array::from(v)) as ArrayRef);
        let anchor_struct =
            StructArray::try_new(fields, vec![Arc::new(targets), cs, ce, ts, te], None)?;
        let anchors =
            ListArray::try_new(item, offsets32(&c.anchor_offsets)?, Arc::new(anchor_struct), None)?;
        let token_offsets = offsets32(&c.token_offsets)?;
        let context: Vec<&str> = c
            .contexts
            .iter()
            .map(|k| match k {
                wikitext::Context::Paragraph => "paragraph",
                wikitext::Context::List => "list",
            })
            .collect();
        Ok(RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(page_id)),
                Arc::new(UInt32Array::from(sentence_index)),
                strings(&context),
                Arc::new(string_array(c.text, to_i32(&c.text_offsets)?)?),
                list(Arc::new(tokens.finish()?), token_offsets.clone()),
                list(Arc::new(UInt32Array::from(c.token_starts)), token_offsets.clone()),
                list(Arc::new(UInt32Array::from(c.token_ends)), token_offsets),
                Arc::new(anchors),
            ],
        )?)
    }
}

/// A batch's text over 2 GiB (Arrow's `i32` offsets).
fn too_long(_: std::num::TryFromIntError) -> StageError {
    StageError::Invalid {
        path: "sentences".into(),
        msg: "a batch's sentences hold over 2 GiB of text".into(),
    }
}

/// Arrow's `i32` offsets from the columns' `usize` ones.
fn to_i32(offsets: &[usize]) -> Result<Vec<i32>, StageError> {
    offsets.iter().map(|&o| i32::try_from(o)).collect::<Result<_, _>>().map_err(too_long)
}

/// List offsets from the columns' `usize` ones.
fn offsets32(offsets: &[usize]) -> Result<OffsetBuffer<i32>, StageError> {
    Ok(OffsetBuffer::new(ScalarBuffer::from(to_i32(offsets)?)))
}

/// `text` cut at `offsets` (not falling, each on a char boundary) as an Arrow string array,
/// without a copy or a check of the bytes: a `String` is UTF-8.
fn string_array(text: String, offsets: Vec<i32>) -> Result<StringArray, StageError> {
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    if let Some(&o) = offsets.iter().find(|&&o| !text.is_char_boundary(o as usize)) {
        return Err(StageError::Invalid {
            path: "sentences".into(),
            msg: format!("a string offset {o} not on a char boundary of its {} bytes", text.len()),
        });
    }
    // SAFETY: the offsets are non-negative and do not fall (`OffsetBuffer::new` checked it),
    // each on a char boundary of the text (checked above, which also bounds them by its
    // length): every value is a UTF-8 string.
    Ok(unsafe { StringArray::new_unchecked(offsets, Buffer::from_vec(text.into_bytes()), None) })
}

/// The `tokens` strings of the rows pushed so far, concatenated, with their end offsets.
///
/// A token is a slice of its sentences' text, most of them under 16 bytes. Each is copied as one
/// 16-byte block when the text has 16 bytes from its start, and the bytes past its end are cut
/// off again (a fixed-size copy, no call). Appending each one to an Arrow `StringBuilder` (a
/// `memcpy` call per token, ~11M on the real dump x20) was ~4% of the wikipedia stage's CPU
/// (issue 19).
struct TokenBytes {
    bytes: Vec<u8>,
    /// End offsets, after a leading 0.
    offsets: Vec<i32>,
    /// Whether a span started or ended inside a char of its text.
    splits_a_char: bool,
}

impl Default for TokenBytes {
    fn default() -> Self {
        TokenBytes::with_capacity(0, 0)
    }
}

impl TokenBytes {
    fn with_capacity(tokens: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(tokens + 1);
        offsets.push(0);
        TokenBytes { bytes: Vec::with_capacity(bytes + 16), offsets, splits_a_char: false }
    }

    /// Appends `text[a..b]` for each span, noting whether `a` or `b` falls inside a char (a
    /// byte check while the text is in the cache: [`finish`](Self::finish) then need not
    /// validate the copied bytes).
    ///
    /// The vectors are sized first and written through slices at a position kept in a
    /// register: pushing to them kept each one's length in memory, stored by one token and
    /// loaded by the next, a chain that was most of this loop's time (perf annotate, x80).
    fn push_page(&mut self, text: &str, spans: &[(u32, u32)]) {
        let text = text.as_bytes();
        let total = spans.iter().map(|&(a, b)| b.saturating_sub(a) as usize).sum::<usize>();
        let mut at = self.bytes.len();
        // Room for the last block's overhang too; cut off below.
        self.bytes.resize(at + total + 16, 0);
        let first = self.offsets.len();
        self.offsets.resize(first + spans.len(), 0);
        let bytes = &mut self.bytes[..];
        // A UTF-8 continuation byte (0b10xx_xxxx) is inside a char.
        let inside = |c: u8| (c as i8) < -64;
        let mut split = false;
        for (&(a, b), end) in spans.iter().zip(&mut self.offsets[first..]) {
            let (a, b) = (a as usize, b as usize);
            // The block's 17th byte is the one at `b` when the token is 16 bytes long.
            match text.get(a..a + 17) {
                Some(window) if b.wrapping_sub(a) <= 16 => {
                    let window: &[u8; 17] = window.try_into().expect("17 bytes");
                    split |= inside(window[0]) | inside(window[b - a]);
                    bytes[at..at + 16].copy_from_slice(&window[..16]);
                }
                _ => {
                    let token = &text[a..b];
                    split |= token.first().is_some_and(|&c| inside(c))
                        || text.get(b).is_some_and(|&c| inside(c));
                    bytes[at..at + token.len()].copy_from_slice(token);
                }
            }
            at += b - a;
            *end = i32::try_from(at).expect("a batch's tokens under 2 GiB");
        }
        self.bytes.truncate(at);
        self.splits_a_char |= split;
    }

    /// The tokens as an Arrow string array. Each is a slice of a `str` (`push_page`) between
    /// two char boundaries, so a UTF-8 string, unless a span split a char: then Arrow's checks
    /// decide, for their errors. Checking the copied bytes and each offset here instead
    /// (simdutf8, Arrow's check that the offsets do not fall, and each offset's byte) was
    /// ~1.8% of the `wikipedia` stage's instructions (callgrind, issue 19).
    fn finish(self) -> Result<StringArray, StageError> {
        let bytes = Buffer::from_vec(self.bytes);
        if self.splits_a_char {
            let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
            return Ok(StringArray::try_new(offsets, bytes, None)?);
        }
        // SAFETY: the offsets start at 0 and do not fall (`push_page` appends each token's end:
        // the last end plus `b - a`, once `b < a` has panicked slicing `text[a..b]`), and the
        // last is the bytes' length. Each token's bytes are a slice of a `str` from a char
        // boundary to a char boundary: every token is a UTF-8 string.
        let offsets = unsafe { OffsetBuffer::new_unchecked(ScalarBuffer::from(self.offsets)) };
        Ok(unsafe { StringArray::new_unchecked(offsets, bytes, None) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::AsArray;
    use arrow::datatypes::UInt32Type;

    /// Pages cleaned into one set of columns (a page taken back out between them, as a slow
    /// page is) make the batch whose rows are each page's sentences as `page_sentences` gives
    /// them on their own.
    #[test]
    fn a_batch_holds_each_pages_sentences() {
        let pages = [
            (7, "'''Paris''' is the capital of [[France]]. It lies on the [[Seine]] river."),
            (8, "Not kept: [[Rome]] is old. It was founded long ago."),
            (9, "Café [[Zürich]] opened in 1900. Its owner sold “Kaffee” to [[Bern|Bernese]] guests."),
        ];
        let opts = wikitext::CleanOptions::default();
        let mut rows = SentenceRows::with_room_for(16);
        let mut want = Vec::new();
        for (id, text) in pages {
            let mark = rows.columns.mark();
            assert!(wikitext::page_sentence_columns_append(text, &opts, &mut rows.columns));
            if id == 8 {
                rows.columns.truncate(mark);
                continue;
            }
            rows.push_page(id, mark);
            let sentences = wikitext::page_sentences(text, &opts);
            assert!(sentences.len() >= 2, "{text}");
            want.extend(sentences.into_iter().enumerate().map(|(i, s)| (id, i as u32, s)));
        }
        let batch = rows.into_batch().unwrap();
        assert_eq!(batch.num_rows(), want.len());
        let column = |name: &str| batch.column_by_name(name).unwrap().clone();
        let page_id = column(col::PAGE_ID);
        let index = column(col::SENTENCE_INDEX);
        let text = column(col::TEXT);
        let tokens = column(col::TOKENS);
        let starts = column(col::TOKEN_STARTS);
        let anchors = column(col::ANCHORS);
        let anchors = anchors.as_list::<i32>();
        for (row, (id, i, s)) in want.iter().enumerate() {
            assert_eq!(page_id.as_primitive::<arrow::datatypes::Int64Type>().value(row), *id);
            assert_eq!(index.as_primitive::<UInt32Type>().value(row), *i);
            assert_eq!(text.as_string::<i32>().value(row), s.text);
            let toks = tokens.as_list::<i32>().value(row);
            let toks: Vec<&str> = toks.as_string::<i32>().iter().flatten().collect();
            assert_eq!(toks, s.tokens);
            let st = starts.as_list::<i32>().value(row);
            assert_eq!(st.as_primitive::<UInt32Type>().values().to_vec(), s.token_starts);
            let a = anchors.value(row);
            let a = a.as_struct();
            let targets: Vec<&str> = a.column(0).as_string::<i32>().iter().flatten().collect();
            let spans = a.column(3).as_primitive::<UInt32Type>();
            assert_eq!(targets.len(), s.anchors.len());
            for (k, want) in s.anchors.iter().enumerate() {
                assert_eq!(targets[k], want.target);
                assert_eq!(spans.value(k), want.token_start);
            }
        }
    }

    /// Offsets that cut a char are refused, not handed to Arrow unchecked.
    #[test]
    fn string_offsets_inside_a_char_are_refused() {
        assert!(string_array("éa".into(), vec![0, 1, 3]).is_err());
        assert!(string_array("éa".into(), vec![0, 4]).is_err());
        let ok = string_array("éa".into(), vec![0, 2, 3]).unwrap();
        assert_eq!(ok.iter().flatten().collect::<Vec<_>>(), ["é", "a"]);
    }

    /// Spans of every length around the 16-byte block, at the text's end and start, over
    /// multi-byte chars, across pages: the array holds exactly the spans' strings.
    #[test]
    fn token_bytes_are_the_spans() {
        let pages = [
            "ab Ünïcödé wörds and a_token_of_exactly_32_bytes_xx end",
            "",
            "x",
            "sixteen_bytes_ok seventeen_bytes_x 日本語のテキスト tail",
        ];
        let mut t = TokenBytes::default();
        let mut expected = Vec::new();
        for text in pages {
            let mut spans = Vec::new();
            let mut at = 0;
            for w in text.split(' ') {
                spans.push((at, at + w.len() as u32));
                at += w.len() as u32 + 1;
            }
            // A span ending at the text's end and an empty one.
            spans.push((text.len() as u32, text.len() as u32));
            t.push_page(text, &spans);
            expected.extend(spans.iter().map(|&(a, b)| text[a as usize..b as usize].to_string()));
        }
        let got = t.finish().unwrap();
        let got: Vec<&str> = got.iter().map(|v| v.unwrap()).collect();
        assert_eq!(got, expected);
    }

    /// Spans that are not strings are refused, as Arrow's own check refuses them: one whose
    /// bytes are not UTF-8, and two that split a char although their bytes together are UTF-8.
    #[test]
    fn token_bytes_that_split_a_char_are_refused() {
        let text = "éa";
        for spans in [&[(1u32, 2u32)][..], &[(0, 1), (1, 3)]] {
            let mut t = TokenBytes::default();
            t.push_page(text, spans);
            assert!(t.finish().is_err(), "{spans:?}");
        }
        let mut t = TokenBytes::default();
        t.push_page(text, &[(0, 2), (2, 3)]);
        assert_eq!(t.finish().unwrap().iter().flatten().collect::<Vec<_>>(), ["é", "a"]);
    }
}
