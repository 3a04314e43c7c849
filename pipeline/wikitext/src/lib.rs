//! Wikitext of one Wikipedia article to clean sentences with tokens and anchor (wiki link) spans,
//! as needed to rebuild the "Learning from Context or Names?" relation-extraction data.
//!
//! ```
//! use wikitext::{page_sentences, CleanOptions};
//!
//! let src = "{{Infobox}}\n'''Paris''' is the capital of [[France]].<ref>x</ref> It is big.";
//! let s = page_sentences(src, &CleanOptions::default());
//! assert_eq!(s[0].text, "Paris is the capital of France.");
//! assert_eq!(s[0].tokens, ["Paris", "is", "the", "capital", "of", "France", "."]);
//! assert_eq!(s[0].anchors[0].target, "France");
//! assert_eq!((s[0].anchors[0].token_start, s[0].anchors[0].token_end), (5, 6));
//! ```
//!
//! Conventions:
//! - Offsets count Unicode code points (Python `str` indexing) and are end-exclusive; char offsets
//!   of tokens and anchors are relative to their sentence's `text`.
//! - Whitespace in a sentence is collapsed to single spaces and trimmed; offsets refer to that.
//! - Sentences with fewer than [`MIN_TOKENS`] tokens or without any letter are dropped.
//! - An anchor belongs to the sentence holding its first char and is clipped to it.
//! - No input makes these functions panic, and all of them run in (near-)linear time and memory.
//!
//! See `DESIGN.md` in the crate for the algorithm.

mod blocks;
mod braces;
mod builder;
mod clean;
mod columns;
mod entities;
mod inline;
mod links;
mod page;
mod scan;
mod sentences;
mod tags;
mod title;
mod tokens;

pub use clean::{clean_page, CleanOptions, Paragraph, ParagraphAnchor};
pub use columns::{ColumnAnchor, ColumnsMark, SentenceColumns};
pub use page::{
    page_sentence_columns, page_sentence_columns_append, page_sentence_columns_into,
    page_sentences, MAX_PAGE_BYTES, MIN_TOKENS,
};
pub use scan::Needles3;
pub use sentences::split_sentences;
pub use title::normalize_title;
pub use tokens::{tokenize, Token};

/// Where a sentence's text came from on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// A body paragraph.
    Paragraph,
    /// A list item (`*`, `#`, `:`, `;` line); only produced with `CleanOptions::keep_lists`.
    List,
}

/// A wiki link in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The linked page title, normalised by [`normalize_title`] (redirects not resolved).
    pub target: String,
    /// Char span `[char_start, char_end)` of the link text in the sentence.
    pub char_start: u32,
    pub char_end: u32,
    /// Tokens overlapping the char span: `[token_start, token_end)`, never empty.
    pub token_start: u32,
    pub token_end: u32,
}

/// One clean sentence with its tokens and anchors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub context: Context,
    pub text: String,
    pub tokens: Vec<String>,
    /// Char offset of each token in `text`; `token_starts.len() == tokens.len()`.
    pub token_starts: Vec<u32>,
    /// End-exclusive char offset of each token in `text`.
    pub token_ends: Vec<u32>,
    /// Sorted by position, non-overlapping.
    pub anchors: Vec<Anchor>,
}
