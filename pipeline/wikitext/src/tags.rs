//! Pass 1: HTML comments and tags.
//!
//! Comments and extension tags are removed before anything else because their content is opaque:
//! a `<ref>` may contain `{{cite}}` templates, `[[links]]` or unbalanced brackets that must not
//! take part in the template/link matching of the later passes. Prose tags (`<span>`, `<small>`,
//! `<sup>`, ...) are dropped while their inner text stays. `<nowiki>` keeps its inner text with the
//! markup characters entity-escaped, so later passes see plain text there and the final entity
//! decoding restores it.
//!
//! The scan is a single left-to-right pass. Searching for a closing tag is cached per tag name (the
//! position of the next closing tag only moves forward), so thousands of unclosed `<ref>` cannot
//! make it quadratic.

/// Tags removed together with everything they enclose: references, code, maths, media galleries
/// and other non-prose content.
const DROP_WITH_CONTENT: &[&str] = &[
    "ref",
    "references",
    "math",
    "gallery",
    "syntaxhighlight",
    "source",
    "pre",
    "timeline",
    "score",
    "chem",
    "ce",
    "graph",
    "mapframe",
    "maplink",
    "templatedata",
    "templatestyles",
    "imagemap",
    "hiero",
    "categorytree",
    "inputbox",
    "charinsert",
    "poem",
    "includeonly",
    "table",
    "style",
    "script",
    "indicator",
    "section",
];

/// Tags that separate words: replaced by a space rather than nothing.
const SPACING_TAGS: &[&str] = &[
    "br",
    "hr",
    "p",
    "div",
    "center",
    "blockquote",
    "li",
    "ul",
    "ol",
    "dl",
    "dd",
    "dt",
    "tr",
    "td",
    "th",
    "caption",
];

/// A tag longer than this (attributes included) is treated as literal text: bounds the look-ahead.
const MAX_TAG_LEN: usize = 1000;

/// Removes comments and tags from `src` (see the module docs).
#[cfg(test)]
pub(crate) fn strip_tags(src: &str) -> String {
    let mut out = String::new();
    strip_tags_into(src, &mut out);
    out
}

/// The longest tag name looked up: a longer name is none of ours.
const MAX_NAME: usize = 16;

/// [`strip_tags`] appending to `out` (the caller's, reused from page to page: see
/// `clean::Buffers`).
///
/// Tag names are matched without regard to case: each name is lower-cased on its own, and
/// closing tags compared ignoring ASCII case. (A lower-cased copy of the whole page, searched
/// instead, was a copy and a pass over every byte of it, issue 19.)
pub(crate) fn strip_tags_into(src: &str, out: &mut String) {
    let bytes = src.as_bytes();
    out.reserve(src.len());
    let mut closes = CloseCache::default();
    let mut i = 0;
    while i < bytes.len() {
        // The memchr crate's vector search: `str::find(char)` goes through core's word-at-a-time
        // `memchr`, and the runs between tags are long (issue 19).
        let Some(off) = memchr::memchr(b'<', &bytes[i..]) else {
            out.push_str(&src[i..]);
            break;
        };
        out.push_str(&src[i..i + off]);
        i += off;
        if bytes[i..].starts_with(b"<!--") {
            // An unclosed comment hides the rest of the page, as in MediaWiki.
            i = match memchr::memmem::find(&bytes[i + 4..], b"-->") {
                Some(e) => i + 4 + e + 3,
                None => bytes.len(),
            };
            continue;
        }
        let Some(tag) = parse_tag(bytes, i) else {
            out.push('<');
            i += 1;
            continue;
        };
        // The name lower-cased, or as it is when it is too long to be one we look up.
        let mut low = [0u8; MAX_NAME];
        let name = &src[tag.name.0..tag.name.1];
        let name = match low.get_mut(..name.len()) {
            Some(low) => {
                low.copy_from_slice(name.as_bytes());
                low.make_ascii_lowercase();
                std::str::from_utf8(low).expect("an ASCII name")
            }
            None => name,
        };
        let Some(end) = tag.end else {
            // `<ref name="x"` with no `>`: drop what looks like the tag up to the end of the line
            // for the tags we know; anything else (`a <b`) is ordinary text.
            if DROP_WITH_CONTENT.contains(&name) || name == "nowiki" {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |e| i + e);
            } else {
                out.push('<');
                i += 1;
            }
            continue;
        };
        if !tag.closing && !tag.self_closing && name == "nowiki" {
            match closes.find(bytes, NOWIKI, name, end) {
                Some((cs, ce)) => {
                    escape_into(&src[end..cs], out);
                    i = ce;
                }
                None => i = end,
            }
            continue;
        }
        let dropped = DROP_WITH_CONTENT.iter().position(|&d| d == name);
        if let (false, false, Some(k)) = (tag.closing, tag.self_closing, dropped) {
            i = match closes.find(bytes, k, name, end) {
                Some((_, ce)) => ce,
                None => end,
            };
            continue;
        }
        if SPACING_TAGS.contains(&name) {
            out.push(' ');
        }
        i = end;
    }
}

/// A tag found at some `<`: byte range of its name and the byte after its `>`.
struct Tag {
    name: (usize, usize),
    end: Option<usize>,
    closing: bool,
    self_closing: bool,
}

/// Parses `<name ...>` or `</name>` at `b[at] == '<'`. `None` when no letter follows (`a < b`).
fn parse_tag(b: &[u8], at: usize) -> Option<Tag> {
    let mut j = at + 1;
    let closing = b.get(j) == Some(&b'/');
    if closing {
        j += 1;
    }
    let name_start = j;
    if !b.get(j).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    while b.get(j).is_some_and(u8::is_ascii_alphanumeric) {
        j += 1;
    }
    let name = (name_start, j);
    // The name must end at a delimiter: `<ref>` and `<ref name=..>` but not `<refx`.
    match b.get(j) {
        None => return Some(Tag { name, end: None, closing, self_closing: false }),
        Some(&c) if c == b'>' || c == b'/' || c.is_ascii_whitespace() => {}
        Some(_) => return None,
    }
    let limit = b.len().min(j + MAX_TAG_LEN);
    let mut k = j;
    while k < limit {
        match b[k] {
            b'>' => {
                let self_closing = b[j..k].trim_ascii_end().ends_with(b"/");
                return Some(Tag { name, end: Some(k + 1), closing, self_closing });
            }
            b'<' => break,
            _ => k += 1,
        }
    }
    Some(Tag { name, end: None, closing, self_closing: false })
}

/// The [`CloseCache`] slot of `<nowiki>`; the tags of [`DROP_WITH_CONTENT`] take the slots
/// of their index.
const NOWIKI: usize = DROP_WITH_CONTENT.len();

/// Per tag name, the next closing tag at or after the last position asked about. Positions only
/// move forward, so each name's closing tags are searched for once over the whole page.
///
/// A slot per tag name that has one (`NOWIKI` and the indices of `DROP_WITH_CONTENT`), not a
/// map from the name: a `HashMap<String, _>` hashed the name and allocated it again on every
/// search (issue 19).
struct CloseCache {
    /// Per slot: `None` before the first search; then the search's answer.
    next: [Option<Option<(usize, usize)>>; NOWIKI + 1],
}

impl Default for CloseCache {
    fn default() -> Self {
        CloseCache { next: [None; NOWIKI + 1] }
    }
}

impl CloseCache {
    /// Byte range `[start, end)` of the first `</name>` (in any case) at or after `from`;
    /// `slot` is the name's.
    fn find(&mut self, b: &[u8], slot: usize, name: &str, from: usize) -> Option<(usize, usize)> {
        match self.next[slot] {
            Some(Some((s, e))) if s >= from => return Some((s, e)),
            Some(None) => return None,
            _ => {}
        }
        let found = search_close(b, name, from);
        self.next[slot] = Some(found);
        found
    }
}

/// Linear search for `</name` (`name` lower-case, matched in any case) followed by optional
/// spaces and `>`: `memchr` to each `<`, where `str::find("</")` built a two-way searcher on
/// every call (~1.5% of the `wikipedia` stage's CPU, issue 19).
fn search_close(b: &[u8], name: &str, from: usize) -> Option<(usize, usize)> {
    let mut pos = from;
    while let Some(off) = memchr::memchr(b'<', &b[pos..]) {
        let s = pos + off;
        pos = s + 1;
        if b.get(s + 1) != Some(&b'/') {
            continue;
        }
        let n = s + 2;
        if b.get(n..n + name.len()).is_some_and(|s| s.eq_ignore_ascii_case(name.as_bytes())) {
            let mut k = n + name.len();
            while b.get(k).is_some_and(u8::is_ascii_whitespace) {
                k += 1;
            }
            if b.get(k) == Some(&b'>') {
                return Some((s, k + 1));
            }
        }
    }
    None
}

/// Writes `text` with every character that could be read as markup replaced by a numeric entity.
fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '[' | ']' | '{' | '}' | '|' | '<' | '>' | '\'' | '&' | '=' | '*' | '#' | ':' | ';'
            | '_' | '~' | '!' => {
                out.push_str("&#");
                out.push_str(&(c as u32).to_string());
                out.push(';');
            }
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, &str)] = &[
            ("comment", "a<!-- hidden -->b", "ab"),
            ("unclosed comment", "a<!-- hidden", "a"),
            ("ref", "a<ref>{{cite|x}}</ref>b", "ab"),
            ("ref upper", "a<REF name=\"x\">y</Ref >b", "ab"),
            ("ref self closing", "a<ref name=x/>b", "ab"),
            ("ref self closing spaced", "a<ref name=\"x\" />b", "ab"),
            ("references", "a<references/>b", "ab"),
            ("references vs ref", "a<ref>x</ref>b<references>c</references>d", "abd"),
            ("unclosed ref", "a<ref>b", "ab"),
            ("unterminated ref tag", "a<ref name=\"x\nb", "a\nb"),
            ("math", "x<math>\\frac{a}{b}</math>y", "xy"),
            ("gallery", "x<gallery>\nFile:a.jpg|[[b]]\n</gallery>y", "xy"),
            ("pre", "x<pre>code</pre>y", "xy"),
            ("syntaxhighlight", "x<syntaxhighlight lang=c>int x;</syntaxhighlight>y", "xy"),
            ("source", "x<source>y</source>z", "xz"),
            ("timeline", "x<timeline>y</timeline>z", "xz"),
            ("score", "x<score>y</score>z", "xz"),
            ("chem", "x<chem>H2O</chem>z", "xz"),
            ("nowiki keeps text", "<nowiki>[[a]]</nowiki>", "&#91;&#91;a&#93;&#93;"),
            ("nowiki self closing", "a<nowiki/>b", "ab"),
            ("span", "<span style=\"x\">a</span>", "a"),
            ("small", "<small>a</small>", "a"),
            ("sup sub", "x<sup>2</sup>y<sub>3</sub>", "x2y3"),
            ("b i u", "<b>a</b><i>b</i><u>c</u>", "abc"),
            ("br", "a<br>b<br/>c<br />d", "a b c d"),
            ("div", "<div class=x>a</div>", " a "),
            ("less than", "a < b and a<b", "a < b and a<b"),
            ("not a tag", "<3 <-", "<3 <-"),
            ("nowiki mixed case", "<NoWiki>[[a]]</NOWIKI>b", "&#91;&#91;a&#93;&#93;b"),
            ("closing tag in other case", "x<Math>y</MATH>z", "xz"),
            ("spacing tag upper", "a<BR/>b<Div>c", "a b c"),
            ("unterminated REF tag", "a<REF name=\"x\nb", "a\nb"),
            ("comment upper letters", "a<!-- X -->b", "ab"),
            ("long name", "a<syntaxhighlightx>b</syntaxhighlightx>c", "abc"),
            ("non-ASCII after name", "a<ref\u{e9}>b", "a<ref\u{e9}>b"),
        ];
        for &(name, input, want) in cases {
            assert_eq!(strip_tags(input), want, "case {name}");
        }
    }

    /// Every name looked up fits the lower-casing buffer and is lower case.
    #[test]
    fn names_fit_max_name() {
        for name in DROP_WITH_CONTENT.iter().chain(SPACING_TAGS).chain(&["nowiki"]) {
            assert!(
                name.len() <= MAX_NAME && !name.bytes().any(|b| b.is_ascii_uppercase()),
                "{name}"
            );
        }
    }

    #[test]
    fn many_unclosed_refs_are_linear() {
        let input = "<ref>".repeat(50_000);
        assert_eq!(strip_tags(&input), "");
    }
}
