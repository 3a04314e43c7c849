//! Walking `mentions` alongside `sentences`: both are in sentence order (page, then sentence
//! index, as `wikipedia` wrote them and `link` kept them), so a cursor over the mention
//! batches hands each sentence its mentions without holding either table.
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, UInt32Type};

use crate::error::StageError;
use schemas::col;
use schemas::tables::{MENTIONS, SENTENCES};
use schemas::{open_table_columns, TableReader};

const BATCH: usize = 16 * 1024;

pub struct MentionCursor {
    readers: Vec<TableReader>,
    cur: usize,
    batch: Option<RecordBatch>,
    pos: usize,
    last: PathBuf,
}

/// A mention row: its batch and index in it (columns by name through [`MentionCursor::col`]).
pub type At<'a> = (&'a RecordBatch, usize);

impl MentionCursor {
    /// Opens the shards' `mentions.parquet` in order, reading `columns` (page_id and
    /// sentence_index are always read).
    pub fn open(files: &[PathBuf], columns: &[&str]) -> Result<Self, StageError> {
        let mut cols = vec![col::PAGE_ID, col::SENTENCE_INDEX];
        cols.extend(columns.iter().filter(|c| !cols.contains(c)).collect::<Vec<_>>());
        let readers = files
            .iter()
            .map(|f| open_table_columns(f, MENTIONS, BATCH, &cols).map_err(StageError::from))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MentionCursor {
            readers,
            cur: 0,
            batch: None,
            pos: 0,
            last: files.last().cloned().unwrap_or_default(),
        })
    }

    /// Makes the cursor point at a row; false when every file is read.
    fn fill(&mut self) -> Result<bool, StageError> {
        loop {
            if let Some(b) = &self.batch {
                if self.pos < b.num_rows() {
                    return Ok(true);
                }
            }
            self.batch = None;
            self.pos = 0;
            let Some(r) = self.readers.get_mut(self.cur) else { return Ok(false) };
            match r.next() {
                Some(b) => self.batch = Some(b?),
                None => self.cur += 1,
            }
        }
    }

    fn key(&self) -> (i64, u32) {
        let b = self.batch.as_ref().expect("filled");
        let page = b.column_by_name(col::PAGE_ID).expect("read").as_primitive::<Int64Type>();
        let idx = b.column_by_name(col::SENTENCE_INDEX).expect("read").as_primitive::<UInt32Type>();
        (page.value(self.pos), idx.value(self.pos))
    }

    /// Calls `f` on each mention of sentence (page, index), in order, and moves past them.
    pub fn take(
        &mut self,
        page: i64,
        index: u32,
        mut f: impl FnMut(At<'_>),
    ) -> Result<(), StageError> {
        while self.fill()? && self.key() == (page, index) {
            f((self.batch.as_ref().expect("filled"), self.pos));
            self.pos += 1;
        }
        Ok(())
    }

    /// Errors if mentions are left once every sentence has been read: the sentences are not
    /// those `link` read, or the shards are out of order.
    pub fn finish(mut self) -> Result<(), StageError> {
        if self.fill()? {
            let (page, index) = self.key();
            return Err(StageError::Invalid {
                path: self.last.join(schemas::tables::MENTIONS.file_name()),
                msg: format!(
                    "mentions left over (page {page}, sentence {index}): the sentences given are \
                     not those the link stage read, or the link shards are not in order"
                ),
            });
        }
        Ok(())
    }
}

/// Calls `f(batch, row, page_id, sentence_index)` for each sentence of `dir`'s
/// `sentences.parquet`, in order, reading `columns` besides the two keys.
pub fn each_sentence(
    dir: &Path,
    columns: &[&str],
    mut f: impl FnMut(&RecordBatch, usize, i64, u32) -> Result<(), StageError>,
) -> Result<(), StageError> {
    let mut cols = vec![col::PAGE_ID, col::SENTENCE_INDEX];
    cols.extend(columns.iter().filter(|c| !cols.contains(c)).collect::<Vec<_>>());
    for b in open_table_columns(&dir.join(SENTENCES.file_name()), SENTENCES, 8192, &cols)? {
        let b = b?;
        let (pages, idx) = (i64_col(&b, col::PAGE_ID), u32_col(&b, col::SENTENCE_INDEX));
        for i in 0..b.num_rows() {
            f(&b, i, pages.value(i), idx.value(i))?;
        }
    }
    Ok(())
}

/// Typed column access on a projected batch.
pub fn str_col<'a>(b: &'a RecordBatch, name: &str) -> &'a arrow::array::StringArray {
    b.column_by_name(name).unwrap_or_else(|| panic!("column {name} read")).as_string::<i32>()
}

pub fn u32_col<'a>(b: &'a RecordBatch, name: &str) -> &'a arrow::array::UInt32Array {
    b.column_by_name(name).unwrap_or_else(|| panic!("column {name} read")).as_primitive()
}

pub fn i64_col<'a>(b: &'a RecordBatch, name: &str) -> &'a arrow::array::Int64Array {
    b.column_by_name(name).unwrap_or_else(|| panic!("column {name} read")).as_primitive()
}

/// The `i`th string list of a `list<utf8>` column, joined by one space into `out`.
pub fn join_tokens(b: &RecordBatch, name: &str, i: usize, out: &mut String) {
    let l = b.column_by_name(name).unwrap_or_else(|| panic!("column {name} read")).as_list::<i32>();
    let v = l.value(i);
    let v = v.as_string::<i32>();
    out.clear();
    for j in 0..v.len() {
        if j > 0 {
            out.push(' ');
        }
        out.push_str(v.value(j));
    }
}
