//! Link targets: title normalisation and namespace classification.
//!
//! Anchors must point at the same string the redirect table and the page titles use, so every
//! target goes through [`normalize_title`], which mirrors MediaWiki's own canonicalisation closely
//! enough for the English Wikipedia.

use std::borrow::Cow;

use crate::entities;

/// Canonical form of a page title or link target.
///
/// Steps, in order: HTML entities decoded, percent-escapes decoded (`%20`, multi-byte UTF-8; an
/// invalid sequence is kept literally), fragment `#...` dropped, underscores to spaces, whitespace
/// runs collapsed and trimmed, one leading `:` dropped, first letter upper-cased (Unicode aware;
/// a letter whose upper case is several characters, such as `ß`, is kept as MediaWiki does).
///
/// Returns an empty string for a same-page link (`#Section`) or an empty target.
pub fn normalize_title(raw: &str) -> String {
    let mut out = String::new();
    normalize_title_into(raw, &mut out);
    out
}

/// [`normalize_title`] appended to `out`: the inline pass writes every anchor's target into one
/// buffer per paragraph, where a `String` each was an allocation and a free per link, their
/// blocks out of the cache (issue 19).
pub(crate) fn normalize_title_into(raw: &str, out: &mut String) {
    if !plain_title(raw, out) {
        normalize_title_general(raw, out);
    }
}

/// Whether a title with byte `c` may need more than its first letter upper-cased: entity,
/// escape, fragment, underscore, ASCII whitespace other than a space, and every non-ASCII
/// byte (a non-ASCII char may be whitespace, such as U+00A0).
const fn not_plain(c: u8) -> bool {
    matches!(c, b'&' | b'%' | b'#' | b'_' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x80..)
}

/// [`not_plain`] of every byte, for [`plain_title`]'s loop: one load per byte where the match
/// took a range test, a bit test and two branches.
const NOT_PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = not_plain(c as u8);
        c += 1;
    }
    t
};

/// Appends the canonical form of `raw` to `out` when it is already canonical but for its first
/// letter, the common case for an anchor's target: ASCII, not starting with a space or a colon,
/// not ending with a space, no two spaces in a row, no byte [`not_plain`] marks. One pass over
/// the bytes and a copy, where the general path searched for `&`, `%` and `#` and then pushed
/// char by char (the `wikipedia` stage normalises every link's target; that was ~3% of its
/// CPU, issue 19). `false` (nothing appended) leaves the title to [`normalize_title_general`].
fn plain_title(raw: &str, out: &mut String) -> bool {
    let b = raw.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if first == b' ' || first == b':' || last == b' ' {
        return false;
    }
    // Branch-free over the bytes (titles are short): whether any is not plain or a second
    // space in a row.
    let mut prev_space = false;
    let mut bad = false;
    for &c in b {
        let space = c == b' ';
        bad |= NOT_PLAIN[usize::from(c)] | (space & prev_space);
        prev_space = space;
    }
    if bad {
        return false;
    }
    let start = out.len();
    out.push_str(raw);
    out[start..start + 1].make_ascii_uppercase();
    true
}

/// [`normalize_title`] for any title, appended to `out`.
fn normalize_title_general(raw: &str, out: &mut String) {
    // One allocation per target in the common case (no entity, no escape): the decoders copy only
    // when there is something to decode, and the colon and first letter are fixed in place. The
    // five copies this took before were ~3% of the stage's CPU (issue 19).
    let entities = match raw.contains('&') {
        true => Cow::Owned(entities::decode_all(raw)),
        false => Cow::Borrowed(raw),
    };
    let decoded = match entities.contains('%') {
        true => Cow::Owned(percent_decode(&entities)),
        false => entities,
    };
    let no_fragment = match decoded.find('#') {
        Some(i) => &decoded[..i],
        None => &decoded[..],
    };
    let start = out.len();
    out.reserve(no_fragment.len() + 2);
    let mut pending_space = false;
    for c in no_fragment.chars() {
        if c == '_' || c.is_whitespace() {
            pending_space = out.len() > start;
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    // Whitespace is collapsed to single spaces by now, so a leading colon is followed by at most
    // one space.
    if out[start..].starts_with(':') {
        let n = if out[start + 1..].starts_with(' ') { 2 } else { 1 };
        out.drain(start..start + n);
    }
    upper_first(out, start);
}

/// Upper-cases the first character of `s[start..]` when its upper case is a single character
/// (MediaWiki keeps titles like `ßeta` unchanged rather than expanding `ß` to `SS`).
fn upper_first(s: &mut String, start: usize) {
    let Some(first) = s[start..].chars().next() else {
        return;
    };
    if first.is_ascii() {
        s[start..start + 1].make_ascii_uppercase();
        return;
    }
    let mut upper = first.to_uppercase();
    if let (Some(u), None) = (upper.next(), upper.next()) {
        if u != first {
            s.replace_range(start..start + first.len_utf8(), u.encode_utf8(&mut [0; 4]));
        }
    }
}

/// Decodes `%XX` escapes as UTF-8 bytes; a result that is not valid UTF-8 is returned undecoded.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hi = (bytes[i + 1] as char).to_digit(16);
            let lo = (bytes[i + 2] as char).to_digit(16);
            if let (Some(h), Some(l)) = (hi, lo) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// What a `[[prefix:...]]` link is, from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkKind {
    /// An article in the main namespace: becomes an anchor.
    Article,
    /// File/Image/Media/Category or an interlanguage link: not shown in the running text at all.
    Hidden,
    /// Another namespace or interwiki project (`Wikipedia:`, `wikt:`, `:Category:`, `:fr:`): its
    /// text is shown but it is not an article anchor.
    TextOnly,
}

/// Namespaces whose links are hidden (not rendered inline) when written without a leading colon.
const HIDDEN_NAMESPACES: &[&str] = &["file", "image", "media", "category"];

/// Other namespaces and interwiki prefixes: rendered as text, never an anchor.
const OTHER_PREFIXES: &[&str] = &[
    "wikipedia",
    "wp",
    "project",
    "help",
    "template",
    "portal",
    "special",
    "user",
    "talk",
    "draft",
    "module",
    "mediawiki",
    "book",
    "timedtext",
    "wikt",
    "wiktionary",
    "s",
    "wikisource",
    "q",
    "wikiquote",
    "b",
    "wikibooks",
    "n",
    "wikinews",
    "v",
    "wikiversity",
    "voy",
    "wikivoyage",
    "commons",
    "species",
    "wikispecies",
    "meta",
    "m",
    "mw",
    "d",
    "wikidata",
    "w",
    "wikimedia",
    "foundation",
    "wmf",
    "c",
    "iarchive",
    "doi",
];

/// Language codes longer than three letters (the rest are matched by shape: 2-3 letters with
/// optional `-suffix` parts, such as `zh-yue`).
const LONG_LANGUAGE_CODES: &[&str] = &["simple", "zh-min-nan", "be-x-old", "zh-classical"];

/// Classifies a raw link target (text before `|`).
pub(crate) fn classify(raw_target: &str) -> LinkKind {
    let t = raw_target.trim_start_matches(|c: char| c.is_whitespace());
    let (colon_form, t) = match t.strip_prefix(':') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t),
    };
    // A byte loop: `str::find(char)` set up a searcher for each of these short targets (~1%
    // of the `wikipedia` stage's CPU, issue 19), and a `memchr` call cost more than the ~20
    // bytes it looked at (~70 instructions a target, callgrind).
    let Some(colon) = t.bytes().position(|c| c == b':') else {
        return LinkKind::Article;
    };
    let prefix = t[..colon].trim().to_ascii_lowercase().replace('_', " ");
    let prefix = prefix.as_str();
    let hidden_ns = HIDDEN_NAMESPACES.contains(&prefix);
    let talk_ns = prefix.ends_with(" talk");
    let other = OTHER_PREFIXES.contains(&prefix) || talk_ns;
    let lang = is_language_code(&t[..colon]);
    if colon_form {
        if hidden_ns || other || lang {
            LinkKind::TextOnly
        } else {
            LinkKind::Article
        }
    } else if hidden_ns || lang {
        LinkKind::Hidden
    } else if other {
        LinkKind::TextOnly
    } else {
        LinkKind::Article
    }
}

/// Interlanguage prefix: lower-case ASCII, 2-3 letters, optional `-part`s, or a known long code.
/// Case matters: `[[fr:Paris]]` is interlanguage while `[[FR: a film]]` is an article title.
fn is_language_code(p: &str) -> bool {
    if LONG_LANGUAGE_CODES.contains(&p) {
        return true;
    }
    let mut parts = p.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|q| !q.is_empty() && q.len() <= 8 && q.bytes().all(|b| b.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_cases() {
        let cases: &[(&str, &str, &str)] = &[
            ("plain", "Paris", "Paris"),
            ("underscores", "New_York_City", "New York City"),
            ("whitespace runs", "  New \t York  ", "New York"),
            ("first letter upper", "political philosophy", "Political philosophy"),
            ("unicode first letter", "élan vital", "Élan vital"),
            ("sharp s kept", "ßeta", "ßeta"),
            ("fragment dropped", "Anarchism#History", "Anarchism"),
            ("same page", "#History", ""),
            ("percent space", "New%20York", "New York"),
            ("percent utf8", "Caf%C3%A9", "Café"),
            ("percent invalid utf8", "a%FFb", "A%FFb"),
            ("percent truncated", "abc%2", "Abc%2"),
            ("entity", "AT&amp;T", "AT&T"),
            ("nbsp entity", "New&nbsp;York", "New York"),
            ("leading colon", ":Category:Foo", "Category:Foo"),
            ("colon then space", ":_ foo", "Foo"),
            ("only a colon", ":", ""),
            ("two colons", "::foo", ":foo"),
            ("already upper", "Élan", "Élan"),
            ("greek first letter", "αβ", "Αβ"),
            ("entity then escape", "a&amp;b%20c", "A&b c"),
            ("empty", "", ""),
            ("only space", " _ ", ""),
        ];
        for &(name, input, want) in cases {
            assert_eq!(normalize_title(input), want, "case {name}");
            assert_eq!(general(input), want, "case {name}, general path");
            // Appended after other titles, as the inline pass does.
            for before in [":a", "x "] {
                let mut out = before.to_string();
                normalize_title_into(input, &mut out);
                assert_eq!(out, format!("{before}{want}"), "case {name} after {before:?}");
            }
        }
    }

    /// [`normalize_title_general`] into a fresh string.
    fn general(raw: &str) -> String {
        let mut out = String::new();
        normalize_title_general(raw, &mut out);
        out
    }

    /// [`plain_title`] into a fresh string, `None` where it declines (and appends nothing).
    fn fast(raw: &str) -> Option<String> {
        let mut out = String::new();
        let taken = plain_title(raw, &mut out);
        assert!(taken || out.is_empty(), "{raw:?}: declined after appending");
        taken.then_some(out)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 5000, failure_persistence: None, ..Default::default()
        })]
        /// The fast path, where it answers, answers what the general path does; titles drawn
        /// from the bytes that decide between them (spaces, colons, `_`, `&`, `%`, `#`, tabs,
        /// NBSP, letters of both cases).
        #[test]
        fn plain_title_is_the_general_path(raw in "[ :_&%#\t\u{a0}aZ.é]{0,8}") {
            if let Some(fast) = fast(&raw) {
                proptest::prop_assert_eq!(fast, general(&raw));
            }
        }
    }

    /// The fast path takes the common targets (else it would save nothing) and declines the
    /// ones the general path changes beyond their first letter.
    #[test]
    fn plain_title_takes_plain_targets_only() {
        for t in ["Paris", "political philosophy", "Star Wars: A New Hope", "x"] {
            assert!(fast(t).is_some(), "{t}");
        }
        for t in [
            " Paris", "Paris ", "a  b", ":Foo", "A_b", "a&amp;b", "a%20b", "a#b", "a\tb", "élan",
            "",
        ] {
            assert!(fast(t).is_none(), "{t:?}");
        }
    }

    #[test]
    fn classify_cases() {
        use LinkKind::*;
        let cases: &[(&str, &str, LinkKind)] = &[
            ("article", "Paris", Article),
            ("article with colon", "Star Wars: A New Hope", Article),
            ("file", "File:Foo.jpg", Hidden),
            ("image lower", "image:Foo.jpg", Hidden),
            ("category", "Category:Anarchism", Hidden),
            ("colon category", ":Category:Anarchism", TextOnly),
            ("interlanguage", "fr:Anarchisme", Hidden),
            ("interlanguage dashed", "zh-yue:無政府主義", Hidden),
            ("interlanguage simple", "simple:Anarchism", Hidden),
            ("colon interlanguage", ":fr:Paris", TextOnly),
            ("wiktionary", "wikt:anarchy", TextOnly),
            ("project", "Wikipedia:Manual of Style", TextOnly),
            ("talk", "User talk:Foo", TextOnly),
            ("upper prefix article", "FR: a film", Article),
        ];
        for &(name, input, want) in cases {
            assert_eq!(classify(input), want, "case {name}");
        }
    }
}
