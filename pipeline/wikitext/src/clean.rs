//! Markup removal: raw wikitext of one page to clean paragraphs with anchors.
//!
//! The work is split into passes, each a single linear scan producing a new string:
//!
//! 1. [`tags`](crate::tags): comments, `<ref>`, `<math>`, ... and HTML tags;
//! 2. [`braces`](crate::braces): templates, parameters and tables;
//! 3. [`links`](crate::links): file, category and interlanguage links;
//! 4. [`blocks`](crate::blocks): lines to paragraphs and list items, headings dropped;
//! 5. [`inline`](crate::inline): links to anchors, quotes, entities, whitespace collapsing.
//!
//! The order matters: opaque tag content first (it may hold unbalanced brackets), then braces
//! (templates hold links and tables), then hidden links (captions hold links), then lines.

use std::cell::RefCell;

use crate::inline::Rendered;
use crate::{blocks, braces, inline, links, tags, Context};

/// What to keep from a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanOptions {
    /// Keep list items (`*`, `#`, `:`, `;` lines) as paragraphs of their own. On by default; lists
    /// hold many links (see-also lists, discographies), so this moves the anchor count a lot.
    pub keep_lists: bool,
}

impl Default for CleanOptions {
    fn default() -> Self {
        CleanOptions { keep_lists: true }
    }
}

/// A link in a paragraph: normalised target and the char span of its visible text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParagraphAnchor {
    pub target: String,
    pub char_start: u32,
    pub char_end: u32,
}

/// One clean paragraph or list item: whitespace collapsed, trimmed, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    pub context: Context,
    pub text: String,
    /// Sorted by `char_start`, non-overlapping, each inside `text`.
    pub anchors: Vec<ParagraphAnchor>,
}

/// The passes' output strings, kept from page to page on each thread.
///
/// Each pass used to write a fresh string the size of the page. The allocator hands out a block
/// of the page's size class, which was last touched when a page of about that size went through,
/// long out of the cache: every line written was a miss (cachegrind, with this host's 2 MiB L2:
/// `strip_tags` alone 2.5M write misses on the real dump x20, issue 19). Reused, the buffers stay
/// in the cache from one page to the next.
#[derive(Default)]
struct Buffers {
    tags: String,
    braces: String,
    links: String,
    /// The paragraph being handed on.
    rendered: Rendered,
}

/// A buffer that grew past this for one huge page is dropped after it, not kept for the thread's
/// life.
const KEEP_BYTES: usize = 8 << 20;

impl Buffers {
    fn release_huge(&mut self) {
        let r = &mut self.rendered;
        for s in [&mut self.tags, &mut self.braces, &mut self.links, &mut r.text, &mut r.targets] {
            if s.capacity() > KEEP_BYTES {
                *s = String::new();
            }
        }
        if r.anchors.capacity() * std::mem::size_of::<inline::RawAnchor>() > KEEP_BYTES {
            r.anchors = Vec::new();
        }
    }
}

thread_local! {
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::default());
}

/// Cleans a page's wikitext into paragraphs (see the module docs for the passes).
pub fn clean_page(wikitext: &str, opts: &CleanOptions) -> Vec<Paragraph> {
    let mut out = Vec::new();
    clean_page_each(wikitext, opts, |context, r| {
        let anchors = r
            .anchors
            .iter()
            .map(|a| ParagraphAnchor {
                target: r.target(a).to_string(),
                char_start: a.start,
                char_end: a.end,
            })
            .collect();
        out.push(Paragraph { context, text: r.text.clone(), anchors });
    });
    out
}

/// [`clean_page`] a paragraph at a time: `f` is called with each paragraph's context and
/// rendering (text never empty; anchors sorted, non-overlapping, inside the text), in page
/// order. The rendering's buffers are reused from paragraph to paragraph: a `String` per
/// paragraph and per anchor target, collected for the page, was an allocation and a free each
/// (issue 19).
pub(crate) fn clean_page_each(
    wikitext: &str,
    opts: &CleanOptions,
    f: impl FnMut(Context, &Rendered),
) {
    BUFFERS.with(|b| match b.try_borrow_mut() {
        Ok(mut b) => {
            clean_with(wikitext, opts, &mut b, f);
            b.release_huge();
        }
        // Reached only if `f` cleans a page itself; fresh buffers then.
        Err(_) => clean_with(wikitext, opts, &mut Buffers::default(), f),
    })
}

fn clean_with(
    wikitext: &str,
    opts: &CleanOptions,
    b: &mut Buffers,
    mut f: impl FnMut(Context, &Rendered),
) {
    let Buffers { tags: t, braces: br, links: l, rendered } = b;
    t.clear();
    tags::strip_tags_into(wikitext, t);
    br.clear();
    braces::strip_braces_into(t, br);
    l.clear();
    links::strip_hidden_links_into(br, l);
    for block in blocks::split_blocks(l, opts.keep_lists) {
        inline::render_inline_into(&block.text, rendered);
        if !rendered.text.is_empty() {
            f(block.context, rendered);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each case: wikitext and the expected paragraph texts (all contexts).
    #[test]
    fn table() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("infobox then text", "{{Infobox x\n|a=[[b]]\n}}\n'''X''' is a [[y]].", &["X is a y."]),
            ("ref with template", "A b.<ref>{{cite web|url=http://x}}</ref> C d.", &["A b. C d."]),
            ("ref name self closing", "A b<ref name=x/> c.", &["A b c."]),
            ("comment", "A <!-- no --> b.", &["A b."]),
            ("table removed", "A.\n{|\n|x\n|}\nB.", &["A.", "B."]),
            ("math", "Let <math>x^2</math> be.", &["Let be."]),
            ("nowiki", "Use <nowiki>[[x]]</nowiki> here.", &["Use [x] here."]),
            ("file caption", "[[File:a.jpg|thumb|A [[b]] c.]]\nText here.", &["Text here."]),
            ("category", "Text.\n[[Category:X]]\n[[de:Y]]", &["Text."]),
            ("colon category", "See [[:Category:X]].", &["See Category:X."]),
            (
                "ext link",
                "See [http://x.org the site] and [http://y.org].",
                &["See the site and ."],
            ),
            ("heading", "A.\n== History ==\nB.", &["A.", "B."]),
            ("list", "A.\n* one\n* two", &["A.", "one", "two"]),
            ("magic word", "__NOTOC__\nA.", &["A."]),
            ("entities", "A&nbsp;&amp;&nbsp;B &ndash; C.", &["A & B – C."]),
            ("br", "A<br/>B.", &["A B."]),
            ("span", "<span class=x>A</span> b.", &["A b."]),
            ("gallery", "A.\n<gallery>\nFile:x.jpg|[[y]]\n</gallery>\nB.", &["A.", "B."]),
            ("param", "A {{{1}}} b.", &["A b."]),
        ];
        for &(name, input, want) in cases {
            let got: Vec<String> =
                clean_page(input, &CleanOptions::default()).into_iter().map(|p| p.text).collect();
            assert_eq!(got, want, "case {name}");
        }
    }

    #[test]
    fn keep_lists_flag() {
        let src = "A [[b]].\n* [[c]]\n# [[d]]";
        let with = clean_page(src, &CleanOptions { keep_lists: true });
        let without = clean_page(src, &CleanOptions { keep_lists: false });
        assert_eq!(with.len(), 3);
        assert_eq!(with[1].context, Context::List);
        assert_eq!(without.len(), 1);
        assert_eq!(without[0].context, Context::Paragraph);
    }
}
