//! Paragraphs to sentences: splitting, tokenising and placing anchors.

use crate::clean::{clean_page, CleanOptions, Paragraph};
use crate::{sentences, tokens, Anchor, Sentence};

/// Sentences with fewer tokens than this are dropped (headings that slipped through, captions,
/// list items like "Notes").
pub const MIN_TOKENS: usize = 3;

/// The sentences of one page. See the crate docs for the conventions.
pub fn page_sentences(wikitext: &str, opts: &CleanOptions) -> Vec<Sentence> {
    let mut out = Vec::new();
    for p in clean_page(wikitext, opts) {
        paragraph_sentences(&p, &mut out);
    }
    out
}

/// Splits one paragraph and hands each anchor to the sentence holding its first char, clipped to
/// that sentence (an anchor across a sentence boundary is rare and comes from a mis-split).
fn paragraph_sentences(p: &Paragraph, out: &mut Vec<Sentence>) {
    let chars: Vec<char> = p.text.chars().collect();
    let spans = sentences::split_chars(&chars);
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
        let mut anchors = Vec::new();
        while next_anchor < p.anchors.len() && (p.anchors[next_anchor].char_start as usize) < e {
            let a = &p.anchors[next_anchor];
            next_anchor += 1;
            let cs = a.char_start as usize - s;
            let ce = (a.char_end as usize).min(e) - s;
            let ts = spans.partition_point(|&(_, te)| te <= cs);
            let te = spans.partition_point(|&(ts, _)| ts < ce);
            if ts < te {
                anchors.push(Anchor {
                    target: a.target.clone(),
                    char_start: cs as u32,
                    char_end: ce as u32,
                    token_start: ts as u32,
                    token_end: te as u32,
                });
            }
        }
        out.push(Sentence {
            context: p.context,
            text: sent_chars.iter().collect(),
            tokens: spans.iter().map(|&(a, b)| sent_chars[a..b].iter().collect()).collect(),
            token_starts: spans.iter().map(|&(a, _)| a as u32).collect(),
            token_ends: spans.iter().map(|&(_, b)| b as u32).collect(),
            anchors,
        });
    }
}
