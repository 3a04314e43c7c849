//! Pass 5: inline markup of one block to plain text with anchors.
//!
//! Handles `[[links]]` (anchors, link trails, pipe trick, same-page links), external links,
//! bold/italic quotes, magic words (`__NOTOC__`), HTML entities and stray markup. Searches for a
//! closing `]]` or `]` use [`NextFinder`], whose cached answer only moves forward, so a block full of
//! unclosed `[[` stays linear.

use crate::builder::TextBuilder;
use crate::entities;
use crate::links::starts_with_url;
use crate::scan;
use crate::title::{classify, normalize_title_into, LinkKind};

/// An anchor in a paragraph: its normalised target (a byte range of [`Rendered::targets`]) and
/// the char span `[start, end)` of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawAnchor {
    pub(crate) target: (u32, u32),
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// One block rendered: its text, its anchors and their targets. The buffers are reused from
/// block to block: a `String` per block and per link target was an allocation and a free each,
/// their blocks out of the cache (issue 19).
#[derive(Debug, Default)]
pub(crate) struct Rendered {
    pub(crate) text: String,
    pub(crate) anchors: Vec<RawAnchor>,
    /// The anchors' targets, one after the other.
    pub(crate) targets: String,
}

impl Rendered {
    /// Anchor `a`'s target.
    pub(crate) fn target(&self, a: &RawAnchor) -> &str {
        &self.targets[a.target.0 as usize..a.target.1 as usize]
    }
}

/// Where [`emit`] puts anchors.
struct Anchors<'a> {
    list: &'a mut Vec<RawAnchor>,
    targets: &'a mut String,
}

/// Longest magic word (`__NOINDEX__`, `__EXPECTUNUSEDCATEGORY__`) we look for.
const MAX_MAGIC_WORD: usize = 40;

/// Converts one block's wikitext to text and anchors.
#[cfg(test)]
pub(crate) fn render_inline(src: &str) -> (String, Vec<(String, u32, u32)>) {
    let mut r = Rendered::default();
    render_inline_into(src, &mut r);
    let anchors = r.anchors.iter().map(|a| (r.target(a).to_string(), a.start, a.end)).collect();
    (r.text, anchors)
}

/// [`render_inline`] into `r` (emptied first, its buffers' room kept).
pub(crate) fn render_inline_into(src: &str, r: &mut Rendered) {
    r.anchors.clear();
    r.targets.clear();
    // The text is at most about as long as its source: room for it at once.
    let mut text = std::mem::take(&mut r.text);
    text.clear();
    text.reserve(src.len());
    let mut out = TextBuilder::over(text);
    let mut anchors = Anchors { list: &mut r.anchors, targets: &mut r.targets };
    emit(src, true, &mut out, &mut anchors);
    let (text, len) = out.finish();
    r.text = text;
    r.anchors.retain_mut(|a| {
        a.end = a.end.min(len);
        a.start < a.end
    });
}

/// Cached forward search for a fixed pattern: each byte of the input is searched at most once.
struct NextFinder {
    pat: &'static str,
    found: Option<usize>,
    exhausted: bool,
}

impl NextFinder {
    fn new(pat: &'static str) -> Self {
        NextFinder { pat, found: None, exhausted: false }
    }

    /// First occurrence of the pattern at or after `from`.
    fn find(&mut self, s: &str, from: usize) -> Option<usize> {
        if self.exhausted {
            return None;
        }
        if let Some(p) = self.found {
            if p >= from {
                return Some(p);
            }
        }
        self.found = s
            .as_bytes()
            .get(from..)
            .and_then(|rest| find_pattern(rest, self.pat.as_bytes()))
            .map(|o| from + o);
        self.exhausted = self.found.is_none();
        self.found
    }
}

/// First occurrence of `pat` in `hay`. The patterns (`]]`, `[[`, `]`, a newline) start with a
/// byte that is rare in text, so `memchr` to it and a compare beat `str::find`, which builds a
/// two-way searcher on every call (~4% of the stage's CPU, issue 19).
fn find_pattern(hay: &[u8], pat: &[u8]) -> Option<usize> {
    let (&first, rest) = pat.split_first()?;
    let mut i = 0;
    while let Some(k) = memchr::memchr(first, &hay[i..]) {
        let p = i + k;
        if hay[p + 1..].starts_with(rest) {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

/// Emits `src` into `out`. Wiki links are only recognised when `links` is true: link labels and
/// external link texts are emitted with `links == false`, so recursion is one level deep at most.
fn emit(src: &str, links: bool, out: &mut TextBuilder, anchors: &mut Anchors) {
    let b = src.as_bytes();
    let mut close2 = NextFinder::new("]]");
    let mut open2 = NextFinder::new("[[");
    let mut close1 = NextFinder::new("]");
    let mut newline = NextFinder::new("\n");
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'[' if b.get(i + 1) == Some(&b'[') => {
                let close = close2.find(src, i + 2);
                let nested = open2.find(src, i + 2);
                let nl = newline.find(src, i + 2);
                match close {
                    Some(c)
                        if links && nested.is_none_or(|o| o > c) && nl.is_none_or(|n| n > c) =>
                    {
                        i = emit_link(src, i + 2, c, out, anchors);
                    }
                    // An unclosed or nested `[[` is dropped; the text after it stays.
                    _ => i += 2,
                }
            }
            b'[' if starts_with_url(&src[i + 1..]) => {
                let close = close1.find(src, i + 1);
                let nl = newline.find(src, i + 1);
                match close {
                    Some(c) if nl.is_none_or(|n| n > c) => {
                        let inner = &src[i + 1..c];
                        if let Some(sp) = memchr::memchr2(b' ', b'\t', inner.as_bytes()) {
                            emit(&inner[sp + 1..], false, out, anchors);
                        }
                        i = c + 1;
                    }
                    _ => {
                        out.push('[');
                        i += 1;
                    }
                }
            }
            b']' if b.get(i + 1) == Some(&b']') => i += 2,
            b'{' if matches!(b.get(i + 1), Some(b'{') | Some(b'|')) => i += 2,
            b'}' if b.get(i + 1) == Some(&b'}') => i += 2,
            b'|' if b.get(i + 1) == Some(&b'}') => i += 2,
            b'\'' if b.get(i + 1) == Some(&b'\'') => {
                let n = b[i..].iter().take_while(|&&c| c == b'\'').count();
                // 2 = italic, 3 = bold, 5 = both; 4 is an apostrophe then bold.
                if n == 4 {
                    out.push('\'');
                }
                i += n;
            }
            b'_' if b.get(i + 1) == Some(&b'_') => {
                i += magic_word_len(&b[i..]).unwrap_or_else(|| {
                    out.push('_');
                    1
                });
            }
            b'&' => match entities::decode_at(&src[i..]) {
                Some((c, n)) => {
                    out.push(c);
                    i += n;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            },
            _ => {
                // Up to the next byte one of the arms above may take, as one slice.
                let end = scan::next_inline_special(b, i + 1).unwrap_or(b.len());
                out.push_str(&src[i..end]);
                i = end;
            }
        }
    }
}

/// [`LINK_BYTES`] of a link's `|`.
const PIPE: u8 = 2;

/// For each byte: [`PIPE`] for `|`, 1 for the bytes that make a link target invalid (`{}<>[]`),
/// 0 for the rest.
const LINK_BYTES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut k = 0;
    let invalid = b"{}<>[]";
    while k < invalid.len() {
        t[invalid[k] as usize] = 1;
        k += 1;
    }
    t[b'|' as usize] = PIPE;
    t
};

/// `__WORD__` with an upper-case word: a behaviour switch, removed. Returns its length.
fn magic_word_len(b: &[u8]) -> Option<usize> {
    let word = b[2..].iter().take(MAX_MAGIC_WORD).take_while(|c| c.is_ascii_uppercase()).count();
    (word > 0 && b[2 + word..].starts_with(b"__")).then_some(word + 4)
}

/// Emits the link whose content is `src[start..close]`; returns the index after the link and its
/// trail.
fn emit_link(
    src: &str,
    start: usize,
    close: usize,
    out: &mut TextBuilder,
    anchors: &mut Anchors,
) -> usize {
    let content = &src[start..close];
    // One loop over the target's bytes for the `|` and the six bytes no title holds (bytes, not
    // chars: the six are ASCII; a char pattern of six was ~1% of the stage, issue 19). A
    // `memchr` call for the `|`, then a second loop, cost more than these ~20 bytes.
    let mut valid = true;
    let mut pipe = None;
    for (k, &c) in content.as_bytes().iter().enumerate() {
        match LINK_BYTES[usize::from(c)] {
            0 => {}
            PIPE => {
                pipe = Some(k);
                break;
            }
            _ => valid = false,
        }
    }
    let (target, label) = match pipe {
        Some(p) => (&content[..p], Some(&content[p + 1..])),
        None => (content, None),
    };
    // The trail: letters glued to `]]` belong to the link text (`[[bus]]es`).
    let after = close + 2;
    let trail_len = src.as_bytes()[after..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let trail = &src[after..after + trail_len];
    let kind = if valid { classify(target) } else { LinkKind::TextOnly };
    if kind == LinkKind::Hidden {
        return after;
    }
    let shown = match label {
        Some(l) if !l.trim().is_empty() => l,
        // `[[Target|]]` (pipe trick) and `[[Target]]` show the target, without a leading colon.
        _ => target.trim().trim_start_matches(':'),
    };
    out.flush_space();
    let begin = out.len();
    emit(shown, false, out, anchors);
    out.push_str(trail);
    let end = out.len();
    if kind == LinkKind::Article && end > begin {
        let at = anchors.targets.len();
        normalize_title_into(target, anchors.targets);
        if anchors.targets.len() > at {
            // Under 4 GiB: a block's targets take under 1.5 times its bytes (see
            // `MAX_PAGE_BYTES`).
            let target = (at as u32, anchors.targets.len() as u32);
            anchors.list.push(RawAnchor { target, start: begin, end });
        }
    }
    after + trail_len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_pattern_equals_str_find() {
        let hays = ["", "]", "a]", "a]b]]", "]]]", "x]y", "[[a]] [[b]]", "a\nb", "é]]", "]é]]"];
        for hay in hays {
            for pat in ["]]", "[[", "]", "\n"] {
                assert_eq!(
                    find_pattern(hay.as_bytes(), pat.as_bytes()),
                    hay.find(pat),
                    "{hay:?} {pat:?}"
                );
            }
        }
    }

    /// Renders and shows anchors inline as `<text|target>` for compact expectations.
    fn show(src: &str) -> String {
        let (text, anchors) = render_inline(src);
        let chars: Vec<char> = text.chars().collect();
        let mut s = String::new();
        let mut pos = 0usize;
        for (target, start, end) in &anchors {
            s.extend(&chars[pos..*start as usize]);
            s.push('<');
            s.extend(&chars[*start as usize..*end as usize]);
            s.push('|');
            s.push_str(target);
            s.push('>');
            pos = *end as usize;
        }
        s.extend(&chars[pos..]);
        s
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, &str)] = &[
            ("link", "a [[Paris]] b", "a <Paris|Paris> b"),
            ("piped", "a [[Paris|the city]] b", "a <the city|Paris> b"),
            (
                "lower target",
                "[[political philosophy]]",
                "<political philosophy|Political philosophy>",
            ),
            ("trail", "[[bus]]es run", "<buses|Bus> run"),
            ("trail stops at non letter", "[[bus]]'s", "<bus|Bus>'s"),
            ("section", "[[Paris#History|history]]", "<history|Paris>"),
            ("same page", "[[#History|history]] x", "history x"),
            ("pipe trick", "[[Paris (film)|]]", "<Paris (film)|Paris (film)>"),
            ("colon category", "[[:Category:Foo]] x", "Category:Foo x"),
            ("colon category label", "[[:Category:Foo|foos]]", "foos"),
            ("wiktionary", "[[wikt:anarchy|anarchy]]", "anarchy"),
            ("underscores", "[[New_York_City|NYC]]", "<NYC|New York City>"),
            ("bold label", "[[Paris|'''P''']]", "<P|Paris>"),
            ("entity label", "[[AT&amp;T]]", "<AT&T|AT&T>"),
            ("space before link", "a  [[b]]", "a <b|B>"),
            ("ext link", "see [http://x.org the site] now", "see the site now"),
            ("bare ext link", "see [http://x.org] now", "see now"),
            ("protocol relative", "[//x.org x]", "x"),
            ("unclosed ext", "[http://x.org", "[http://x.org"),
            ("bracket not link", "[1] x", "[1] x"),
            ("italic", "''a''", "a"),
            ("bold", "'''a'''", "a"),
            ("bold italic", "'''''a'''''", "a"),
            ("four quotes", "''''a'''", "'a"),
            ("apostrophe", "O'Brien's", "O'Brien's"),
            ("magic word", "__NOTOC__a", "a"),
            ("toc", "a __TOC__ b", "a b"),
            ("not magic", "a__b snake_case", "a__b snake_case"),
            ("nbsp", "a&nbsp;b", "a b"),
            ("ndash", "1990&ndash;2000", "1990–2000"),
            ("numeric", "&#65;&#x42;", "AB"),
            ("unclosed link", "a [[b c", "a b c"),
            ("nested unclosed", "[[a [[b]]", "a <b|B>"),
            ("link over newline", "[[a\nb]] c", "a b c"),
            ("stray braces", "a }} b {{ c {| d |}", "a b c d"),
            ("invalid target", "[[a{b]]", "a{b"),
            ("empty link", "[[]] x", "x"),
            ("hidden inline", "a [[File:x.jpg]] b", "a b"),
        ];
        for &(name, input, want) in cases {
            assert_eq!(show(input), want, "case {name}");
        }
    }

    #[test]
    fn many_unclosed_links_are_linear() {
        let input = "[[a ".repeat(200_000);
        let (text, anchors) = render_inline(&input);
        assert!(anchors.is_empty());
        assert!(!text.contains("[["));
    }
}
