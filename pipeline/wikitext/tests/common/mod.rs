//! Tiny ad-hoc MediaWiki XML extraction for tests (the pipeline uses a real XML reader).
#![allow(dead_code)] // each test binary uses a different part

/// `(title, wikitext)` of every `<page>`, the five XML entities decoded.
pub fn extract_pages(xml: &str) -> Vec<(String, String)> {
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

/// Markup that must never survive into a sentence.
pub const REMNANTS: &[&str] =
    &["{{", "}}", "[[", "]]", "<ref", "{|", "|}", "'''", "&amp;", "&nbsp;", "<!--", "__TOC__"];

/// Checks the invariants every sentence must satisfy; returns a description of the first breach.
pub fn check_sentence(s: &wikitext::Sentence) -> Result<(), String> {
    let chars: Vec<char> = s.text.chars().collect();
    let slice = |a: u32, b: u32| -> String { chars[a as usize..b as usize].iter().collect() };
    if let Some(r) = REMNANTS.iter().find(|r| s.text.contains(*r)) {
        return Err(format!("remnant {r:?} in {:?}", s.text));
    }
    if s.text.trim() != s.text || s.text.contains("  ") {
        return Err(format!("whitespace not collapsed: {:?}", s.text));
    }
    let n = s.tokens.len();
    if s.token_starts.len() != n || s.token_ends.len() != n {
        return Err("token vectors differ in length".into());
    }
    for i in 0..n {
        let (a, b) = (s.token_starts[i], s.token_ends[i]);
        if a >= b || b as usize > chars.len() || slice(a, b) != s.tokens[i] {
            return Err(format!("token {i} {:?} at {a}..{b} in {:?}", s.tokens[i], s.text));
        }
        if i > 0 && s.token_ends[i - 1] > a {
            return Err(format!("tokens overlap at {i} in {:?}", s.text));
        }
    }
    let mut prev_end = 0;
    for a in &s.anchors {
        if a.target.is_empty() {
            return Err("empty anchor target".into());
        }
        if a.char_start >= a.char_end
            || a.char_end as usize > chars.len()
            || a.char_start < prev_end
        {
            return Err(format!("bad anchor span {a:?} in {:?}", s.text));
        }
        prev_end = a.char_end;
        if a.token_start >= a.token_end || a.token_end as usize > n {
            return Err(format!("bad anchor token span {a:?} in {:?}", s.text));
        }
        let (ts, te) = (a.token_start as usize, a.token_end as usize);
        if s.token_ends[ts] <= a.char_start
            || s.token_starts[te - 1] >= a.char_end
            || (ts > 0 && s.token_ends[ts - 1] > a.char_start)
            || (te < n && s.token_starts[te] < a.char_end)
        {
            return Err(format!("anchor tokens do not match chars {a:?} in {:?}", s.text));
        }
    }
    Ok(())
}
