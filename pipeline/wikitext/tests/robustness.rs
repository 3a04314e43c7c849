//! Pathological and random input: no panic, no hang, every invariant holds.

mod common;

use common::check_sentence;
use proptest::prelude::*;
use wikitext::{clean_page, page_sentences, CleanOptions};

fn all_ok(src: &str) {
    for opts in [CleanOptions { keep_lists: true }, CleanOptions { keep_lists: false }] {
        for s in page_sentences(src, &opts) {
            if let Err(e) = check_sentence(&s) {
                panic!("{e}\ninput: {src:?}");
            }
        }
        for p in clean_page(src, &opts) {
            let n = p.text.chars().count() as u32;
            assert!(p.anchors.iter().all(|a| a.char_start < a.char_end && a.char_end <= n));
        }
    }
}

/// Markup fragments the random pages are built from. `<nowiki>` is left out on purpose: its
/// content is kept verbatim, so `<nowiki>[[</nowiki>` rightly yields a `[[` in the text.
const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{{{",
    "}}}",
    "[[",
    "]]",
    "[",
    "]",
    "|",
    "{|",
    "|}",
    "\n{|",
    "\n|}",
    "\n|-",
    "<ref>",
    "</ref>",
    "<ref name=x/>",
    "<!--",
    "-->",
    "'''",
    "''",
    "'",
    "&amp;",
    "&nbsp;",
    "&",
    ";",
    "\n",
    "\n\n",
    "\n* ",
    "\n== H ==\n",
    " ",
    ". ",
    "? ",
    "Word",
    "word",
    "The cat",
    "3.14",
    "U.S.",
    "Dr.",
    "[[Paris]]",
    "[[Paris|city]]",
    "[[File:x.jpg|thumb|",
    "[[Category:",
    "[[fr:",
    ":",
    "[http://x.org ",
    "<span>",
    "</span>",
    "<math>",
    "</math>",
    "__NOTOC__",
    "#",
    "é",
    "日本",
    "\u{a0}",
    "<br>",
    "{{convert|5|km}}",
    "[[bus]]es",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_markup(parts in proptest::collection::vec(0..FRAGMENTS.len(), 0..60)) {
        let src: String = parts.iter().map(|&i| FRAGMENTS[i]).collect();
        all_ok(&src);
    }

    #[test]
    fn arbitrary_strings(src in ".{0,200}") {
        all_ok(&src);
    }
}

#[test]
fn ten_megabyte_line() {
    let unit = "The [[cat]] sat on {{the}} [[mat|rug]] in '''Paris''' &amp; [[London. ";
    let src = unit.repeat(10_000_000 / unit.len());
    let sents = page_sentences(&src, &CleanOptions::default());
    assert!(!sents.is_empty());
}

#[test]
fn ten_megabyte_word() {
    let src = "a".repeat(10_000_000);
    let sents = page_sentences(&format!("x {src} y."), &CleanOptions::default());
    assert_eq!(sents.len(), 1);
}

#[test]
fn nesting_ten_thousand_deep() {
    let deep = |o: &str, c: &str| {
        format!("Text a b. {}x{} More text here.", o.repeat(10_000), c.repeat(10_000))
    };
    for (o, c) in
        [("{{", "}}"), ("[[", "]]"), ("\n{|", "\n|}"), ("<span>", "</span>"), ("[[File:x|", "]]")]
    {
        all_ok(&deep(o, c));
        all_ok(&o.repeat(10_000));
        all_ok(&c.repeat(10_000));
    }
}

#[test]
fn unclosed_constructs() {
    for src in [
        "{|",
        "{{",
        "[[",
        "<ref>",
        "<!--",
        "{{Infobox\n| a = b\nText after. More text here.",
        "Text [[link without end. More text here.",
        &"{{ [[ <ref> {| ".repeat(100_000),
        &"[[a|".repeat(100_000),
        &"<ref name=x ".repeat(100_000),
    ] {
        all_ok(src);
    }
}
