//! Development check over a MediaWiki XML dump: counts sentences and anchors and reports any
//! markup remnant. Usage: `cargo run -p wikitext --release --example dump_stats -- FILE.xml`.
//!
//! The XML handling is deliberately tiny (find `<title>` and `<text>`, decode the five XML
//! entities); the real pipeline uses a proper XML reader.

use std::time::Instant;
use wikitext::{page_sentences, CleanOptions};

const REMNANTS: &[&str] =
    &["{{", "}}", "[[", "]]", "<ref", "{|", "|}", "'''", "&amp;", "&nbsp;", "<!--", "__TOC__"];

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump_stats FILE.xml [--show TITLE] [--no-lists]");
        std::process::exit(2);
    };
    let show = std::env::args().skip_while(|a| a != "--show").nth(1);
    let keep_lists = !std::env::args().any(|a| a == "--no-lists");
    let xml = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let pages = extract_pages(&xml);
    let opts = CleanOptions { keep_lists };
    let t0 = Instant::now();
    let (mut n_pages, mut n_sent, mut n_anchor, mut n_remnant) = (0, 0, 0, 0);
    for (title, text) in &pages {
        if text.trim_start().to_ascii_lowercase().starts_with("#redirect") {
            continue;
        }
        n_pages += 1;
        let sents = page_sentences(text, &opts);
        for s in &sents {
            n_sent += 1;
            n_anchor += s.anchors.len();
            if let Some(r) = REMNANTS.iter().find(|r| s.text.contains(*r)) {
                n_remnant += 1;
                println!("REMNANT {r:?} in {title}: {}", s.text);
            }
            if show.as_deref() == Some(title.as_str()) {
                let anchors: Vec<String> = s
                    .anchors
                    .iter()
                    .map(|a| format!("{}[{}..{}]", a.target, a.token_start, a.token_end))
                    .collect();
                println!("{:?} | {} | {}", s.context, s.text, anchors.join(", "));
            }
        }
    }
    println!(
        "pages {n_pages} sentences {n_sent} anchors {n_anchor} remnant-sentences {n_remnant} \
         time {:?}",
        t0.elapsed()
    );
}

fn extract_pages(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for page in xml.split("<page>").skip(1) {
        let title = between(page, "<title>", "</title>").unwrap_or_default();
        let text = page
            .find("<text")
            .and_then(|i| page[i..].find('>').map(|j| i + j + 1))
            .and_then(|s| page[s..].find("</text>").map(|e| &page[s..s + e]))
            .unwrap_or_default();
        out.push((unescape(title), unescape(text)));
    }
    out
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let i = s.find(a)? + a.len();
    let j = s[i..].find(b)?;
    Some(&s[i..i + j])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
