//! Row buffers of the `pages`, `redirects` and `sentences` tables -> Arrow batches.
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int32Array, Int64Array, ListArray, RecordBatch, StringArray, StringBuilder,
    StructArray, UInt32Array,
};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};

use crate::columns::{list, list_struct_fields, offsets, strings};
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

/// The `sentences` rows of the pages pushed so far, held as Arrow builders and flat vectors
/// (a page's [`wikitext::SentenceColumns`] is appended by copying its columns, not row by row).
#[derive(Default)]
pub struct SentenceRows {
    page_id: Vec<i64>,
    sentence_index: Vec<u32>,
    context: Vec<&'static str>,
    text: StringBuilder,
    tokens: TokenBytes,
    token_starts: Vec<u32>,
    token_ends: Vec<u32>,
    tokens_per_row: Vec<usize>,
    anchor_target: StringBuilder,
    anchor_spans: [Vec<u32>; 4],
    anchors_per_row: Vec<usize>,
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
        SentenceRows {
            page_id: Vec::with_capacity(rows),
            sentence_index: Vec::with_capacity(rows),
            context: Vec::with_capacity(rows),
            text: StringBuilder::with_capacity(rows, text),
            tokens: TokenBytes::with_capacity(tokens, text),
            token_starts: Vec::with_capacity(tokens),
            token_ends: Vec::with_capacity(tokens),
            tokens_per_row: Vec::with_capacity(rows),
            anchor_target: StringBuilder::with_capacity(anchors, anchors * 24),
            anchor_spans: std::array::from_fn(|_| Vec::with_capacity(anchors)),
            anchors_per_row: Vec::with_capacity(rows),
        }
    }

    /// Appends a page's sentences, numbered from 0 in page order.
    pub fn push_page(&mut self, page_id: i64, s: &wikitext::SentenceColumns) {
        for i in 0..s.len() {
            self.page_id.push(page_id);
            self.sentence_index.push(i as u32);
            self.context.push(match s.contexts[i] {
                wikitext::Context::Paragraph => "paragraph",
                wikitext::Context::List => "list",
            });
            self.text.append_value(s.text_of(i));
            self.tokens_per_row.push(s.token_offsets[i + 1] - s.token_offsets[i]);
            self.anchors_per_row.push(s.anchor_offsets[i + 1] - s.anchor_offsets[i]);
        }
        self.tokens.push_page(s.text.as_bytes(), &s.token_bytes);
        self.token_starts.extend_from_slice(&s.token_starts);
        self.token_ends.extend_from_slice(&s.token_ends);
        for a in &s.anchors {
            self.anchor_target.append_value(s.target(a));
            let [cs, ce, ts, te] = &mut self.anchor_spans;
            cs.push(a.char_start);
            ce.push(a.char_end);
            ts.push(a.token_start);
            te.push(a.token_end);
        }
    }

    pub fn into_batch(self) -> Result<RecordBatch, StageError> {
        let mut r = self;
        let schema = SENTENCES.schema();
        let (item, fields) = list_struct_fields(&schema, col::ANCHORS);
        let [cs, ce, ts, te] = r.anchor_spans.map(|v| Arc::new(UInt32Array::from(v)) as ArrayRef);
        let anchor_struct = StructArray::try_new(
            fields,
            vec![Arc::new(r.anchor_target.finish()), cs, ce, ts, te],
            None,
        )?;
        let anchors = ListArray::try_new(
            item,
            offsets(r.anchors_per_row.into_iter()),
            Arc::new(anchor_struct),
            None,
        )?;
        let token_offsets = offsets(r.tokens_per_row.into_iter());
        Ok(RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(r.page_id)),
                Arc::new(UInt32Array::from(r.sentence_index)),
                strings(&r.context),
                Arc::new(r.text.finish()),
                list(Arc::new(r.tokens.finish()?), token_offsets.clone()),
                list(Arc::new(UInt32Array::from(r.token_starts)), token_offsets.clone()),
                list(Arc::new(UInt32Array::from(r.token_ends)), token_offsets),
                Arc::new(anchors),
            ],
        )?)
    }
}

/// The `tokens` strings of the rows pushed so far, concatenated, with their end offsets.
///
/// A token is a slice of its page's text, most of them under 16 bytes. Each is copied as one
/// 16-byte block when the text has 16 bytes from its start, and the bytes past its end are cut
/// off again (a fixed-size copy, no call). Appending each one to an Arrow `StringBuilder` (a
/// `memcpy` call per token, ~11M on the real dump x20) was ~4% of the wikipedia stage's CPU
/// (issue 19).
struct TokenBytes {
    bytes: Vec<u8>,
    /// End offsets, after a leading 0.
    offsets: Vec<i32>,
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
        TokenBytes { bytes: Vec::with_capacity(bytes + 16), offsets }
    }

    /// Appends `text[a..b]` for each span.
    fn push_page(&mut self, text: &[u8], spans: &[(u32, u32)]) {
        // Room for every span and the last block's overhang: the loop never reallocates.
        self.bytes.reserve(spans.iter().map(|&(a, b)| (b - a) as usize).sum::<usize>() + 16);
        self.offsets.reserve(spans.len());
        for &(a, b) in spans {
            let (a, b) = (a as usize, b as usize);
            let end = self.bytes.len() + (b - a);
            match text.get(a..a + 16) {
                Some(block) if b - a <= 16 => {
                    let block: &[u8; 16] = block.try_into().expect("16 bytes");
                    self.bytes.extend_from_slice(block);
                    self.bytes.truncate(end);
                }
                _ => self.bytes.extend_from_slice(&text[a..b]),
            }
            self.offsets.push(i32::try_from(end).expect("a batch's tokens under 2 GiB"));
        }
    }

    /// The tokens as an Arrow string array, checked here: the bytes are UTF-8 (simdutf8) and
    /// no token starts inside a char. Arrow's own check (std's UTF-8 validation, then each
    /// offset) was ~0.5% of the `wikipedia` stage's CPU (issue 19).
    fn finish(self) -> Result<StringArray, StageError> {
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        let bytes = &self.bytes[..offsets.last() as usize];
        let utf8 = simdutf8::basic::from_utf8(bytes).is_ok();
        let starts_in_char = |&o: &i32| bytes.get(o as usize).is_some_and(|&b| (b as i8) < -64);
        if !utf8 || offsets.iter().any(starts_in_char) {
            // Arrow's check, for its error.
            return Ok(StringArray::try_new(offsets, Buffer::from_vec(self.bytes), None)?);
        }
        // SAFETY: the offsets rise from 0 (`push_page` appends each token's end) to at most
        // the bytes' length, `bytes` up to the last offset is UTF-8, and no offset points at
        // a continuation byte: every token is a UTF-8 string.
        Ok(unsafe { StringArray::new_unchecked(offsets, Buffer::from_vec(self.bytes), None) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            t.push_page(text.as_bytes(), &spans);
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
        let text = "éa".as_bytes();
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
