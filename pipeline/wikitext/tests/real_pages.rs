//! Real English Wikipedia pages (tests/fixtures, see LICENSE.md there).

mod common;

use common::{check_sentence, extract_pages};
use wikitext::{page_sentences, CleanOptions, Sentence};

const SAMPLE: &str = include_str!("fixtures/enwiki-wikipedia2vec-sample.xml");

fn articles() -> Vec<(String, String)> {
    extract_pages(SAMPLE)
        .into_iter()
        .filter(|(_, text)| !text.trim_start().to_ascii_lowercase().starts_with("#redirect"))
        .collect()
}

#[test]
fn fixture_has_two_articles() {
    let titles: Vec<String> = articles().into_iter().map(|(t, _)| t).collect();
    assert_eq!(titles, ["Computer accessibility", "Accessibility"]);
}

#[test]
fn every_sentence_is_clean_and_consistent() {
    for (title, text) in articles() {
        for opts in [CleanOptions { keep_lists: true }, CleanOptions { keep_lists: false }] {
            let sents = page_sentences(&text, &opts);
            assert!(sents.len() > 50, "{title}: only {} sentences", sents.len());
            for s in &sents {
                if let Err(e) = check_sentence(s) {
                    panic!("{title}: {e}");
                }
            }
        }
    }
}

#[test]
fn anchors_are_found() {
    for (title, text) in articles() {
        let sents = page_sentences(&text, &CleanOptions::default());
        let anchors: usize = sents.iter().map(|s| s.anchors.len()).sum();
        let no_lists = page_sentences(&text, &CleanOptions { keep_lists: false });
        let anchors_no_lists: usize = no_lists.iter().map(|s| s.anchors.len()).sum();
        assert!(anchors > 40, "{title}: {anchors} anchors");
        assert!(anchors_no_lists < anchors, "{title}: lists hold anchors too");
    }
}

/// One line per sentence: context, text, then each anchor as `target [tokens] "text"`.
fn render(sents: &[Sentence]) -> String {
    let mut out = String::new();
    for s in sents {
        let chars: Vec<char> = s.text.chars().collect();
        out.push_str(&format!("{:?}: {}\n", s.context, s.text));
        out.push_str(&format!("  tokens: {}\n", s.tokens.join(" | ")));
        for a in &s.anchors {
            let text: String = chars[a.char_start as usize..a.char_end as usize].iter().collect();
            out.push_str(&format!(
                "  anchor: {:?} tokens {}..{} {:?}\n",
                a.target, a.token_start, a.token_end, text
            ));
        }
    }
    out
}

#[test]
fn computer_accessibility_snapshot() {
    let (_, text) = articles().into_iter().find(|(t, _)| t == "Computer accessibility").unwrap();
    let sents = page_sentences(&text, &CleanOptions::default());
    insta::assert_snapshot!(render(&sents[..sents.len().min(15)]));
}

/// Development check over a larger dump that is not vendored: set `WIKITEXT_DUMP` to a
/// MediaWiki XML file and run `cargo test -p wikitext --release -- --ignored --nocapture`.
#[test]
#[ignore = "needs WIKITEXT_DUMP pointing at an XML dump"]
fn external_dump() {
    let Ok(path) = std::env::var("WIKITEXT_DUMP") else { return };
    let xml = std::fs::read_to_string(&path).unwrap();
    let t0 = std::time::Instant::now();
    let (mut pages, mut sentences, mut anchors, mut bad) = (0, 0, 0, 0);
    let (mut sentences_nl, mut anchors_nl) = (0, 0);
    for (title, text) in extract_pages(&xml) {
        if text.trim_start().to_ascii_lowercase().starts_with("#redirect") {
            continue;
        }
        pages += 1;
        for s in page_sentences(&text, &CleanOptions::default()) {
            sentences += 1;
            anchors += s.anchors.len();
            if let Err(e) = check_sentence(&s) {
                bad += 1;
                println!("{title}: {e}");
            }
        }
        for s in page_sentences(&text, &CleanOptions { keep_lists: false }) {
            sentences_nl += 1;
            anchors_nl += s.anchors.len();
        }
    }
    println!(
        "pages {pages} sentences {sentences} anchors {anchors} bad {bad} | without lists: \
         sentences {sentences_nl} anchors {anchors_nl} | both runs took {:?}",
        t0.elapsed()
    );
    assert_eq!(bad, 0);
}
