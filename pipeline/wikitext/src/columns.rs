//! Sentences as columns: a handful of allocations per page instead of one per token, sentence
//! and token list. The `wikipedia` stage cleans a run of pages into one set, whose columns
//! become its Arrow arrays without a copy; [`SentenceColumns::into_sentences`] gives the row
//! view ([`Sentence`]).

use crate::{Anchor, Context, Sentence};

/// An anchor of [`SentenceColumns`]: an [`Anchor`] whose target is a byte range of
/// [`SentenceColumns::anchor_targets`] (a `String` per anchor was an allocation and a free
/// per link, issue 19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnAnchor {
    pub target: (u32, u32),
    pub char_start: u32,
    pub char_end: u32,
    pub token_start: u32,
    pub token_end: u32,
}

/// Sentences of one page or of a run of pages, column by column. Sentence `i`'s text is
/// `text[text_offsets[i]..text_offsets[i + 1]]`, its tokens are the entries
/// `token_offsets[i]..token_offsets[i + 1]` of the token columns, its anchors the entries
/// `anchor_offsets[i]..anchor_offsets[i + 1]` of `anchors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentenceColumns {
    pub contexts: Vec<Context>,
    /// Every sentence's text, concatenated.
    pub text: String,
    /// Byte offsets into `text`; one more than there are sentences, starting at 0.
    pub text_offsets: Vec<usize>,
    /// Byte span of each token in `text` (absolute: token texts are `text[a..b]`). 32 bits
    /// each (`page_sentence_columns_append` keeps `text` under 4 GiB): this vector is written
    /// by the cleaner and read again by the writer, out of the cache, and at 16 bytes a token
    /// it was the largest thing a page's sentences held (issue 19).
    pub token_bytes: Vec<(u32, u32)>,
    /// Char span of each token in its sentence's text (as [`Sentence::token_starts`]/`ends`).
    pub token_starts: Vec<u32>,
    pub token_ends: Vec<u32>,
    /// Offsets into the token columns; one more than there are sentences, starting at 0.
    pub token_offsets: Vec<usize>,
    pub anchors: Vec<ColumnAnchor>,
    /// The anchors' targets, one after the other.
    pub anchor_targets: String,
    /// Offsets into `anchors`; one more than there are sentences, starting at 0.
    pub anchor_offsets: Vec<usize>,
}

/// The lengths of a [`SentenceColumns`]' columns at some point (see
/// [`SentenceColumns::mark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnsMark {
    pub sentences: usize,
    pub text: usize,
    pub tokens: usize,
    pub anchors: usize,
    pub anchor_targets: usize,
}

impl Default for SentenceColumns {
    fn default() -> Self {
        SentenceColumns {
            contexts: Vec::new(),
            text: String::new(),
            text_offsets: vec![0],
            token_bytes: Vec::new(),
            token_starts: Vec::new(),
            token_ends: Vec::new(),
            token_offsets: vec![0],
            anchors: Vec::new(),
            anchor_targets: String::new(),
            anchor_offsets: vec![0],
        }
    }
}

impl SentenceColumns {
    /// Empties the columns, keeping their capacity (see [`page_sentence_columns_into`]).
    ///
    /// [`page_sentence_columns_into`]: crate::page_sentence_columns_into
    pub fn clear(&mut self) {
        self.contexts.clear();
        self.text.clear();
        self.text_offsets.clear();
        self.text_offsets.push(0);
        self.token_bytes.clear();
        self.token_starts.clear();
        self.token_ends.clear();
        self.token_offsets.clear();
        self.token_offsets.push(0);
        self.anchors.clear();
        self.anchor_targets.clear();
        self.anchor_offsets.clear();
        self.anchor_offsets.push(0);
    }

    /// How long each column is now: [`truncate`](Self::truncate) goes back to it.
    pub fn mark(&self) -> ColumnsMark {
        ColumnsMark {
            sentences: self.contexts.len(),
            text: self.text.len(),
            tokens: self.token_starts.len(),
            anchors: self.anchors.len(),
            anchor_targets: self.anchor_targets.len(),
        }
    }

    /// Drops the sentences appended since `mark` was taken.
    pub fn truncate(&mut self, mark: ColumnsMark) {
        let rows = mark.sentences;
        self.contexts.truncate(rows);
        self.text.truncate(mark.text);
        self.text_offsets.truncate(rows + 1);
        self.token_bytes.truncate(mark.tokens);
        self.token_starts.truncate(mark.tokens);
        self.token_ends.truncate(mark.tokens);
        self.token_offsets.truncate(rows + 1);
        self.anchors.truncate(mark.anchors);
        self.anchor_targets.truncate(mark.anchor_targets);
        self.anchor_offsets.truncate(rows + 1);
    }

    /// The number of sentences.
    pub fn len(&self) -> usize {
        self.contexts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.contexts.is_empty()
    }

    /// Sentence `i`'s text.
    pub fn text_of(&self, i: usize) -> &str {
        &self.text[self.text_offsets[i]..self.text_offsets[i + 1]]
    }

    /// Sentence `i`'s anchors.
    pub fn anchors_of(&self, i: usize) -> &[ColumnAnchor] {
        &self.anchors[self.anchor_offsets[i]..self.anchor_offsets[i + 1]]
    }

    /// Anchor `a`'s target.
    pub fn target(&self, a: &ColumnAnchor) -> &str {
        &self.anchor_targets[a.target.0 as usize..a.target.1 as usize]
    }

    /// The row view: one [`Sentence`] per sentence.
    pub fn into_sentences(self) -> Vec<Sentence> {
        (0..self.len())
            .map(|i| {
                let tokens = self.token_offsets[i]..self.token_offsets[i + 1];
                Sentence {
                    context: self.contexts[i],
                    text: self.text_of(i).to_string(),
                    tokens: self.token_bytes[tokens.clone()]
                        .iter()
                        .map(|&(a, b)| self.text[a as usize..b as usize].to_string())
                        .collect(),
                    token_starts: self.token_starts[tokens.clone()].to_vec(),
                    token_ends: self.token_ends[tokens].to_vec(),
                    anchors: self
                        .anchors_of(i)
                        .iter()
                        .map(|a| Anchor {
                            target: self.target(a).to_string(),
                            char_start: a.char_start,
                            char_end: a.char_end,
                            token_start: a.token_start,
                            token_end: a.token_end,
                        })
                        .collect(),
                }
            })
            .collect()
    }
}
