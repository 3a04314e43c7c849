//! Row buffers of the `pages`, `redirects` and `sentences` tables -> Arrow batches.
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int32Array, Int64Array, ListArray, RecordBatch, StringBuilder, StructArray,
    UInt32Array,
};

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
    tokens: StringBuilder,
    token_starts: Vec<u32>,
    token_ends: Vec<u32>,
    tokens_per_row: Vec<usize>,
    anchor_target: StringBuilder,
    anchor_spans: [Vec<u32>; 4],
    anchors_per_row: Vec<usize>,
}

impl SentenceRows {
    pub fn len(&self) -> usize {
        self.page_id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.page_id.is_empty()
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
        for &(a, b) in &s.token_bytes {
            self.tokens.append_value(&s.text[a..b]);
        }
        self.token_starts.extend_from_slice(&s.token_starts);
        self.token_ends.extend_from_slice(&s.token_ends);
        for a in &s.anchors {
            self.anchor_target.append_value(&a.target);
            let [cs, ce, ts, te] = &mut self.anchor_spans;
            cs.push(a.char_start);
            ce.push(a.char_end);
            ts.push(a.token_start);
            te.push(a.token_end);
        }
    }

    pub fn take_batch(&mut self) -> Result<RecordBatch, StageError> {
        let mut r = std::mem::take(self);
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
                list(Arc::new(r.tokens.finish()), token_offsets.clone()),
                list(Arc::new(UInt32Array::from(r.token_starts)), token_offsets.clone()),
                list(Arc::new(UInt32Array::from(r.token_ends)), token_offsets),
                Arc::new(anchors),
            ],
        )?)
    }
}
