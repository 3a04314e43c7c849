//! Row buffers of the `pages`, `redirects` and `sentences` tables -> Arrow batches.
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int32Array, Int64Array, ListArray, RecordBatch, StructArray, UInt32Array,
};

use crate::columns::{list_struct_fields, offsets, string_lists, strings, u32_lists};
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

#[derive(Default)]
pub struct SentenceRows {
    pub page_id: Vec<i64>,
    pub sentence_index: Vec<u32>,
    pub context: Vec<&'static str>,
    pub text: Vec<String>,
    pub tokens: Vec<Vec<String>>,
    pub token_starts: Vec<Vec<u32>>,
    pub token_ends: Vec<Vec<u32>>,
    pub anchors: Vec<Vec<wikitext::Anchor>>,
}

impl SentenceRows {
    pub fn len(&self) -> usize {
        self.page_id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.page_id.is_empty()
    }

    pub fn push(&mut self, page_id: i64, index: u32, s: wikitext::Sentence) {
        self.page_id.push(page_id);
        self.sentence_index.push(index);
        self.context.push(match s.context {
            wikitext::Context::Paragraph => "paragraph",
            wikitext::Context::List => "list",
        });
        self.text.push(s.text);
        self.tokens.push(s.tokens);
        self.token_starts.push(s.token_starts);
        self.token_ends.push(s.token_ends);
        self.anchors.push(s.anchors);
    }

    pub fn take_batch(&mut self) -> Result<RecordBatch, StageError> {
        let r = std::mem::take(self);
        let schema = SENTENCES.schema();
        let (item, fields) = list_struct_fields(&schema, col::ANCHORS);
        let flat: Vec<&wikitext::Anchor> = r.anchors.iter().flatten().collect();
        let u32col = |f: fn(&wikitext::Anchor) -> u32| -> ArrayRef {
            Arc::new(UInt32Array::from_iter_values(flat.iter().map(|a| f(a))))
        };
        let anchor_struct = StructArray::try_new(
            fields,
            vec![
                strings(&flat.iter().map(|a| a.target.as_str()).collect::<Vec<_>>()),
                u32col(|a| a.char_start),
                u32col(|a| a.char_end),
                u32col(|a| a.token_start),
                u32col(|a| a.token_end),
            ],
            None,
        )?;
        let anchors = ListArray::try_new(
            item,
            offsets(r.anchors.iter().map(Vec::len)),
            Arc::new(anchor_struct),
            None,
        )?;
        Ok(RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(r.page_id)),
                Arc::new(UInt32Array::from(r.sentence_index)),
                strings(&r.context),
                strings(&r.text),
                string_lists(&r.tokens),
                u32_lists(&r.token_starts),
                u32_lists(&r.token_ends),
                Arc::new(anchors),
            ],
        )?)
    }
}
