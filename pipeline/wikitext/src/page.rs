//! Paragraphs to sentences: splitting, tokenising and placing anchors.

use crate::clean::{clean_page, CleanOptions, Paragraph};
use crate::columns::SentenceColumns;
use crate::{sentences, tokens, Anchor, Sentence};

/// Sentences with fewer tokens than this are dropped (headings that slipped through, captions,
/// list items like "Notes").
pub const MIN_TOKENS: usize = 3;

/// The sentences of one page. See the crate docs for the conventions.
pub fn page_sentences(wikitext: &str, opts: &CleanOptions) -> Vec<Sentence> {
    page_sentence_columns(wikitext, opts).into_sentences()
}

/// The sentences of one page as columns (what [`page_sentences`] returns, without a `String`
/// per token and a `Vec` per sentence).
pub fn page_sentence_columns(wikitext: &str, opts: &CleanOptions) -> SentenceColumns {
    let mut out = SentenceColumns::default();
    let mut scratch = Scratch::default();
    for p in clean_page(wikitext, opts) {
        paragraph_sentences(p, &mut scratch, &mut out);
    }
    out
}

/// Per-paragraph buffers, reused across a page's paragraphs.
#[derive(Default)]
struct Scratch {
    chars: Vec<char>,
    /// Byte offset of each char of the paragraph text, and its length at the end.
    byte_at: Vec<usize>,
}

/// Splits one paragraph and hands each anchor to the sentence holding its first char, clipped to
/// that sentence (an anchor across a sentence boundary is rare and comes from a mis-split).
fn paragraph_sentences(mut p: Paragraph, scratch: &mut Scratch, out: &mut SentenceColumns) {
    let Scratch { chars, byte_at } = scratch;
    chars.clear();
    byte_at.clear();
    // Most paragraphs are ASCII: a char is a byte there, and its byte offset its index.
    let ascii = p.text.is_ascii();
    if ascii {
        chars.extend(p.text.bytes().map(char::from));
    } else {
        for (b, c) in p.text.char_indices() {
            chars.push(c);
            byte_at.push(b);
        }
        byte_at.push(p.text.len());
    }
    let byte_at = |k: usize| if ascii { k } else { byte_at[k] };
    let spans = sentences::split_chars(chars);
    let mut next_anchor = 0;
    for &(s, e) in &spans {
        // Anchors starting before this sentence (in the gap between sentences) are skipped.
        while next_anchor < p.anchors.len() && (p.anchors[next_anchor].char_start as usize) < s {
            next_anchor += 1;
        }
        let sent_chars = &chars[s..e];
        let spans = tokens::token_spans(sent_chars);
        if spans.len() < MIN_TOKENS || !sent_chars.iter().any(|c| c.is_alphabetic()) {
            while next_anchor < p.anchors.len() && (p.anchors[next_anchor].char_start as usize) < e
            {
                next_anchor += 1;
            }
            continue;
        }
        while next_anchor < p.anchors.len() && (p.anchors[next_anchor].char_start as usize) < e {
            let a = &mut p.anchors[next_anchor];
            next_anchor += 1;
            let cs = a.char_start as usize - s;
            let ce = (a.char_end as usize).min(e) - s;
            let ts = spans.partition_point(|&(_, te)| te <= cs);
            let te = spans.partition_point(|&(ts, _)| ts < ce);
            if ts < te {
                out.anchors.push(Anchor {
                    target: std::mem::take(&mut a.target),
                    char_start: cs as u32,
                    char_end: ce as u32,
                    token_start: ts as u32,
                    token_end: te as u32,
                });
            }
        }
        // The sentence's bytes, and each token's, relative to where the sentence lands in
        // `out.text`.
        let (sb, base) = (byte_at(s), out.text.len());
        out.text.push_str(&p.text[sb..byte_at(e)]);
        for &(a, b) in &spans {
            out.token_bytes.push((base + byte_at(s + a) - sb, base + byte_at(s + b) - sb));
            out.token_starts.push(a as u32);
            out.token_ends.push(b as u32);
        }
        out.contexts.push(p.context);
        out.text_offsets.push(out.text.len());
        out.token_offsets.push(out.token_starts.len());
        out.anchor_offsets.push(out.anchors.len());
    }
}
