//! Pass 3: links that are not part of the running text.
//!
//! `[[File:...]]`, `[[Image:...]]`, `[[Media:...]]`, `[[Category:...]]` and interlanguage links
//! (`[[fr:...]]`) are removed whole, including image captions with their own nested links. This
//! needs real bracket matching, done here with one stack over the page. Article links are left in
//! place for the inline pass, which turns them into anchors.
//!
//! External links `[http://x text]` are tracked on the same stack so that the `]]]` ending
//! `[[File:a.jpg|see [http://x y]]]` closes the external link first.

use crate::title::{classify, LinkKind};

/// URL schemes MediaWiki accepts in `[url text]` (compared case-insensitively).
const SCHEMES: &[&str] = &[
    "http://",
    "https://",
    "ftp://",
    "ftps://",
    "sftp://",
    "//",
    "mailto:",
    "irc://",
    "ircs://",
    "news:",
    "nntp://",
    "gopher://",
    "git://",
    "svn://",
    "tel:",
    "telnet://",
    "urn:",
    "xmpp:",
    "sip:",
    "sips:",
    "sms:",
    "geo:",
    "magnet:",
    "mms://",
    "bitcoin:",
    "worldwind://",
];

/// True when `s` starts with a URL scheme, i.e. `[` + `s` opens an external link.
pub(crate) fn starts_with_url(s: &str) -> bool {
    SCHEMES.iter().any(|sch| {
        s.len() >= sch.len() && s.as_bytes()[..sch.len()].eq_ignore_ascii_case(sch.as_bytes())
    })
}

/// Longest target prefix inspected to classify a link; bounds the work per `[[`.
const MAX_PREFIX: usize = 256;

enum Open {
    Link { start: usize, hidden: bool },
    Ext,
}

/// Removes hidden links (files, categories, interlanguage links) from `src`.
#[cfg(test)]
pub(crate) fn strip_hidden_links(src: &str) -> String {
    let mut out = String::new();
    strip_hidden_links_into(src, &mut out);
    out
}

/// [`strip_hidden_links`] appending to `out` (the caller's, reused from page to page).
pub(crate) fn strip_hidden_links_into(src: &str, out: &mut String) {
    let b = src.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    // Only `[`, `]` and newlines matter: jump from one to the next.
    let mut hits = crate::scan::Needles3::new(b, b'[', b']', b'\n');
    while let Some(k) = hits.find(i) {
        i = k;
        match b[i] {
            b'[' if b.get(i + 1) == Some(&b'[') => {
                stack.push(Open::Link { start: i, hidden: is_hidden(src, i + 2) });
                i += 2;
            }
            b'[' if starts_with_url(&src[i + 1..]) => {
                stack.push(Open::Ext);
                i += 1;
            }
            b']' => match stack.last() {
                Some(Open::Ext) => {
                    stack.pop();
                    i += 1;
                }
                Some(Open::Link { start, hidden }) if b.get(i + 1) == Some(&b']') => {
                    if *hidden {
                        add_span(&mut spans, *start, i + 2);
                    }
                    stack.pop();
                    i += 2;
                }
                _ => i += 1,
            },
            // External links never span lines.
            b'\n' => {
                while let Some(Open::Ext) = stack.last() {
                    stack.pop();
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    // An unclosed hidden link is removed to the end of its line.
    let mut line_end = 0;
    for open in stack {
        if let Open::Link { start, hidden: true } = open {
            if line_end <= start {
                line_end = src[start..].find('\n').map_or(b.len(), |e| start + e);
            }
            add_span(&mut spans, start, line_end);
        }
    }
    spans.sort_unstable();
    out.reserve(src.len());
    let mut pos = 0;
    for (s, e) in spans {
        if s < pos {
            pos = pos.max(e);
            continue;
        }
        out.push_str(&src[pos..s]);
        pos = e;
    }
    out.push_str(&src[pos..]);
}

fn add_span(spans: &mut Vec<(usize, usize)>, start: usize, end: usize) {
    while spans.last().is_some_and(|&(s, _)| s >= start) {
        spans.pop();
    }
    spans.push((start, end));
}

/// Classifies the link whose target starts at byte `at`.
fn is_hidden(src: &str, at: usize) -> bool {
    let rest = &src[at..];
    let mut end = rest.len().min(MAX_PREFIX);
    while !rest.is_char_boundary(end) {
        end -= 1;
    }
    let head = &rest[..end];
    // Bytes: the four are ASCII, and a four-char pattern is searched char by char.
    let target_end =
        head.bytes().position(|b| matches!(b, b'|' | b']' | b'\n' | b'[')).unwrap_or(head.len());
    classify(&head[..target_end]) == LinkKind::Hidden
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, &str)] = &[
            ("file", "a[[File:x.jpg|thumb|Cap]]b", "ab"),
            ("image with nested links", "a[[Image:x.jpg|thumb|A [[b]] and [[c|d]].]]b", "ab"),
            ("file caption ext link", "a[[File:x.jpg|see [http://x.org y]]]b", "ab"),
            ("category", "a\n[[Category:Anarchism| ]]\nb", "a\n\nb"),
            ("colon category kept", "see [[:Category:X]]", "see [[:Category:X]]"),
            ("interlanguage", "a[[fr:Anarchisme]]b", "ab"),
            ("article kept", "a [[Paris|the city]] b", "a [[Paris|the city]] b"),
            ("multi line caption", "[[File:x.jpg|thumb|a\nb [[c]]]]\nText", "\nText"),
            ("unclosed file", "[[File:x.jpg|thumb|cap\nText", "\nText"),
            ("unclosed article", "a [[b c", "a [[b c"),
            ("stray closer", "a ]] b", "a ]] b"),
        ];
        for &(name, input, want) in cases {
            assert_eq!(strip_hidden_links(input), want, "case {name}");
        }
    }

    #[test]
    fn deep_nesting() {
        let input = format!("a[[File:x|{}y{}]]b", "[[".repeat(10_000), "]]".repeat(10_000));
        assert_eq!(strip_hidden_links(&input), "ab");
    }
}
