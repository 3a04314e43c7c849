//! Paragraphs to sentences: splitting, tokenising and placing anchors.

use crate::clean::{clean_page_each, CleanOptions};
use crate::columns::{ColumnAnchor, SentenceColumns};
use crate::inline::Rendered;
use crate::tokens::{TokenScratch, Unit};
use crate::{sentences, tokens, Context, Sentence};

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
    page_sentence_columns_into(wikitext, opts, &mut out);
    out
}

/// [`page_sentence_columns`] into `out` (cleared first, its capacity kept, so that columns
/// reused from page to page stay in the cache). A page over [`MAX_PAGE_BYTES`] has no
/// sentences.
pub fn page_sentence_columns_into(wikitext: &str, opts: &CleanOptions, out: &mut SentenceColumns) {
    out.clear();
    page_sentence_columns_append(wikitext, opts, out);
}

/// The longest wikitext [`page_sentence_columns_append`] takes: the columns' byte offsets are
/// 32 bits, and a page's sentences and anchor targets are each under 1.5 times its bytes.
/// MediaWiki caps a page at 2 MiB.
pub const MAX_PAGE_BYTES: usize = u32::MAX as usize / 2;

/// [`page_sentence_columns`] appended to `out`, after the sentences already there: the
/// `wikipedia` stage gathers a run of pages' sentences in one set of columns, which become its
/// Arrow arrays without a copy (issue 19). [`SentenceColumns::mark`] and
/// [`SentenceColumns::truncate`] take a page's sentences back out.
///
/// `false`, with nothing appended, when the page is over [`MAX_PAGE_BYTES`] or when its
/// sentences could take the columns' text or anchor targets past 4 GiB (their offsets are 32
/// bits): the caller decides what a page it cannot have means.
pub fn page_sentence_columns_append(
    wikitext: &str,
    opts: &CleanOptions,
    out: &mut SentenceColumns,
) -> bool {
    let room = |used: usize| used.saturating_add(wikitext.len() * 3 / 2) <= u32::MAX as usize;
    if wikitext.len() > MAX_PAGE_BYTES || !room(out.text.len()) || !room(out.anchor_targets.len()) {
        return false;
    }
    // Sized once instead of grown by doubling, each step a copy (growing these was ~1.5% of
    // the wikipedia stage's instructions, issue 19): the sentences are at most the paragraphs'
    // text, under half the wikitext on the real dump (0.36 of it), with a token per ~6.5 of its
    // bytes (room for one per 5). The room stays with `out` from page to page.
    let text = wikitext.len() / 2;
    out.text.reserve(text);
    let tokens = text / 5;
    out.token_bytes.reserve(tokens);
    out.token_starts.reserve(tokens);
    out.token_ends.reserve(tokens);
    let mut scratch = Scratch::default();
    clean_page_each(wikitext, opts, |context, p| {
        paragraph_sentences(context, p, &mut scratch, out)
    });
    true
}

/// Buffers reused across a page's paragraphs and sentences.
#[derive(Default)]
struct Scratch {
    /// A non-ASCII paragraph's chars, at its start (as long as the longest paragraph so far).
    chars: Vec<char>,
    /// Byte offset of each of those chars, and the text's length after them (one longer).
    byte_at: Vec<usize>,
    /// Token char spans of the current sentence.
    spans: Vec<(usize, usize)>,
    tokens: TokenScratch,
}

/// Splits one paragraph and hands each anchor to the sentence holding its first char, clipped to
/// that sentence (an anchor across a sentence boundary is rare and comes from a mis-split).
fn paragraph_sentences(
    context: Context,
    p: &Rendered,
    scratch: &mut Scratch,
    out: &mut SentenceColumns,
) {
    let Scratch { chars, byte_at, spans, tokens } = scratch;
    let text = &p.text;
    // Most paragraphs are ASCII: a byte is a char there, and its index its char offset.
    if text.is_ascii() {
        place_sentences(context, p, text.as_bytes(), |k| k, spans, tokens, out);
    } else {
        // Sized first (a char per byte at most; they only grow, so the zeros are written once)
        // and written at a position kept in a register: pushing kept each vector's length in
        // memory, stored by one char and loaded by the next, a chain that was ~2% of the
        // wikipedia stage's CPU (perf annotate, x80).
        if chars.len() < text.len() {
            chars.resize(text.len(), '\0');
            byte_at.resize(text.len() + 1, 0);
        }
        let mut n = 0;
        for ((b, c), (char_slot, byte_slot)) in
            text.char_indices().zip(chars.iter_mut().zip(byte_at.iter_mut()))
        {
            (*char_slot, *byte_slot) = (c, b);
            n += 1;
        }
        byte_at[n] = text.len();
        let byte_at = &byte_at[..=n];
        place_sentences(context, p, &chars[..n], |k| byte_at[k], spans, tokens, out);
    }
}

/// [`paragraph_sentences`] over `units`, the chars of `text` (or its bytes when it is ASCII);
/// `byte_at(k)` is the byte offset of unit `k`.
fn place_sentences<U: Unit>(
    context: Context,
    p: &Rendered,
    units: &[U],
    byte_at: impl Fn(usize) -> usize,
    spans: &mut Vec<(usize, usize)>,
    tokens: &mut TokenScratch,
    out: &mut SentenceColumns,
) {
    let text = &p.text;
    let mut next_anchor = 0;
    for (s, e) in sentences::split_chars(units) {
        // Anchors starting before this sentence (in the gap between sentences) are skipped.
        while next_anchor < p.anchors.len() && (p.anchors[next_anchor].start as usize) < s {
            next_anchor += 1;
        }
        let (sb, eb) = (byte_at(s), byte_at(e));
        spans.clear();
        // An ASCII sentence (as many bytes as chars) is tokenised as bytes, 64 a step, even in
        // a paragraph that is not ASCII: most sentences of those are (issue 19).
        let letters = if eb - sb == e - s {
            let sent = &text.as_bytes()[sb..eb];
            tokens::token_spans(sent, tokens, spans);
            sent.iter().any(u8::is_ascii_alphabetic)
        } else {
            let sent = &units[s..e];
            tokens::token_spans(sent, tokens, spans);
            sent.iter().any(|u| u.ch().is_alphabetic())
        };
        if spans.len() < MIN_TOKENS || !letters {
            while next_anchor < p.anchors.len() && (p.anchors[next_anchor].start as usize) < e {
                next_anchor += 1;
            }
            continue;
        }
        while next_anchor < p.anchors.len() && (p.anchors[next_anchor].start as usize) < e {
            let a = &p.anchors[next_anchor];
            next_anchor += 1;
            let cs = a.start as usize - s;
            let ce = (a.end as usize).min(e) - s;
            let ts = spans.partition_point(|&(_, te)| te <= cs);
            let te = spans.partition_point(|&(ts, _)| ts < ce);
            if ts < te {
                let at = out.anchor_targets.len() as u32;
                out.anchor_targets.push_str(p.target(a));
                out.anchors.push(ColumnAnchor {
                    target: (at, out.anchor_targets.len() as u32),
                    char_start: cs as u32,
                    char_end: ce as u32,
                    token_start: ts as u32,
                    token_end: te as u32,
                });
            }
        }
        // The sentence's bytes, and each token's, relative to where the sentence lands in
        // `out.text`.
        let base = out.text.len();
        out.text.push_str(&text[sb..eb]);
        // Under 4 GiB: the columns' text is (see `page_sentence_columns_append`).
        let shift = |k: usize| (base + byte_at(s + k) - sb) as u32;
        out.token_bytes.extend(spans.iter().map(|&(a, b)| (shift(a), shift(b))));
        out.token_starts.extend(spans.iter().map(|&(a, _)| a as u32));
        out.token_ends.extend(spans.iter().map(|&(_, b)| b as u32));
        out.contexts.push(context);
        out.text_offsets.push(out.text.len());
        out.token_offsets.push(out.token_starts.len());
        out.anchor_offsets.push(out.anchors.len());
    }
}
