//! HTML character references (`&amp;`, `&nbsp;`, `&#123;`, `&#x1F;`).
//!
//! Wikitext authors use entities for characters that are awkward to type or that would otherwise
//! be read as markup. They are decoded as the very last step of inline processing, so a decoded
//! `&lt;` can never be mistaken for the start of a tag.

/// Named entities seen in Wikipedia prose. A table of the common ones is enough: an unknown name is
/// left as literal text, exactly as a browser would show it.
const NAMED: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("ensp", ' '),
    ("emsp", ' '),
    ("thinsp", ' '),
    ("hairsp", ' '),
    ("zwj", '\u{200D}'),
    ("zwnj", '\u{200C}'),
    ("shy", '\u{AD}'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("minus", '−'),
    ("hyphen", '‐'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("laquo", '«'),
    ("raquo", '»'),
    ("lsaquo", '‹'),
    ("rsaquo", '›'),
    ("hellip", '…'),
    ("middot", '·'),
    ("bull", '•'),
    ("deg", '°'),
    ("prime", '′'),
    ("Prime", '″'),
    ("times", '×'),
    ("divide", '÷'),
    ("plusmn", '±'),
    ("frac12", '½'),
    ("frac14", '¼'),
    ("frac34", '¾'),
    ("sup1", '¹'),
    ("sup2", '²'),
    ("sup3", '³'),
    ("micro", 'µ'),
    ("para", '¶'),
    ("sect", '§'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
    ("euro", '€'),
    ("pound", '£'),
    ("yen", '¥'),
    ("cent", '¢'),
    ("dagger", '†'),
    ("Dagger", '‡'),
    ("larr", '←'),
    ("rarr", '→'),
    ("harr", '↔'),
    ("uarr", '↑'),
    ("darr", '↓'),
    ("le", '≤'),
    ("ge", '≥'),
    ("ne", '≠'),
    ("asymp", '≈'),
    ("infin", '∞'),
    ("alpha", 'α'),
    ("beta", 'β'),
    ("gamma", 'γ'),
    ("delta", 'δ'),
    ("epsilon", 'ε'),
    ("lambda", 'λ'),
    ("mu", 'μ'),
    ("pi", 'π'),
    ("sigma", 'σ'),
    ("omega", 'ω'),
    ("Omega", 'Ω'),
    ("aacute", 'á'),
    ("eacute", 'é'),
    ("iacute", 'í'),
    ("oacute", 'ó'),
    ("uacute", 'ú'),
    ("agrave", 'à'),
    ("egrave", 'è'),
    ("ouml", 'ö'),
    ("uuml", 'ü'),
    ("auml", 'ä'),
    ("szlig", 'ß'),
    ("ccedil", 'ç'),
    ("ntilde", 'ñ'),
];

/// Longest entity we try to recognise, counting `&` and `;` (`&thinsp;` is 8 bytes, numeric ones
/// such as `&#x10FFFF;` are 10). Bounding the look-ahead keeps decoding linear.
const MAX_ENTITY_LEN: usize = 12;

/// Tries to decode the entity that starts at `s[0] == '&'`. Returns the character and the number of
/// bytes consumed, or `None` when `s` does not start with a well-formed known entity.
///
/// Double-escaped text (`&amp;amp;`, `&amp;nbsp;`) is decoded repeatedly, so the output never
/// contains what looks like an entity: the caller treats that as a markup remnant.
pub(crate) fn decode_at(s: &str) -> Option<(char, usize)> {
    let (mut c, mut used) = decode_one(s)?;
    while c == '&' {
        match decode_one_after_amp(&s[used..]) {
            Some((c2, n)) => {
                c = c2;
                used += n;
            }
            None => break,
        }
    }
    Some((c, used))
}

/// Decodes `&name;` at the start of `s`.
fn decode_one(s: &str) -> Option<(char, usize)> {
    let rest = s.strip_prefix('&')?;
    let (c, n) = decode_one_after_amp(rest)?;
    Some((c, n + 1))
}

/// Decodes `name;` (the part after an `&`) at the start of `s`.
fn decode_one_after_amp(s: &str) -> Option<(char, usize)> {
    let bytes = s.as_bytes();
    let limit = bytes.len().min(MAX_ENTITY_LEN);
    let semi = bytes[..limit].iter().position(|&b| b == b';')?;
    let body = &s[..semi];
    let c = if let Some(num) = body.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix('x').or_else(|| num.strip_prefix('X')) {
            if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            u32::from_str_radix(hex, 16).ok()?
        } else {
            if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            num.parse::<u32>().ok()?
        };
        // Control characters and invalid code points become a plain space rather than noise.
        match char::from_u32(code) {
            Some(c) if !c.is_control() || c == '\t' || c == '\n' => c,
            _ => ' ',
        }
    } else {
        NAMED.iter().find(|(name, _)| *name == body).map(|&(_, c)| c)?
    };
    Some((c, semi + 1))
}

/// Decodes every entity in `s` (used for link targets and titles).
pub(crate) fn decode_all(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(off) = s[i..].find('&') {
        out.push_str(&s[i..i + off]);
        i += off;
        match decode_at(&s[i..]) {
            Some((c, n)) => {
                out.push(c);
                i += n;
            }
            None => {
                out.push('&');
                i += 1;
            }
        }
    }
    out.push_str(&s[i..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, &str)] = &[
            ("amp", "a &amp; b", "a & b"),
            ("nbsp", "a&nbsp;b", "a b"),
            ("ndash", "1990&ndash;2000", "1990–2000"),
            ("mdash", "a&mdash;b", "a—b"),
            ("lt", "&lt;x&gt;", "<x>"),
            ("quot", "&quot;q&quot;", "\"q\""),
            ("decimal", "&#123;", "{"),
            ("hex", "&#x1F600;", "😀"),
            ("hex upper", "&#X41;", "A"),
            ("control becomes space", "a&#x1F;b", "a b"),
            ("unknown kept", "&bogus; &", "&bogus; &"),
            ("no semicolon", "&amp b", "&amp b"),
            ("double escaped", "&amp;amp; &amp;nbsp;", "&  "),
            ("huge number", "&#99999999999;", "&#99999999999;"),
        ];
        for &(name, input, want) in cases {
            assert_eq!(decode_all(input), want, "case {name}");
        }
    }
}
