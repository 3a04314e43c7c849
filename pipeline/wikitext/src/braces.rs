//! Pass 2: templates `{{...}}`, template parameters `{{{...}}}` and tables `{| ... |}`.
//!
//! None of these are running prose (infoboxes, navigation boxes, citation templates, data tables),
//! so each outermost construct is removed whole. Matching uses one explicit stack in a single pass,
//! so nesting 10,000 deep costs nothing more than flat text.
//!
//! Brace runs follow MediaWiki's preprocessor: a run of `n` opening braces is one stack entry; a
//! closing run consumes three braces from it when both sides have at least three (a parameter) and
//! two otherwise (a template). Braces bind before tables, so a `}}` closes its template even when a
//! table opened inside the template was never closed.
//!
//! Unmatched constructs: an unclosed `{{` is dropped as two characters and the text after it is
//! kept (a typo should not erase the rest of the article); an unclosed table runs to the end of the
//! page, which is what MediaWiki renders; stray `}}` are dropped.

use std::borrow::Cow;

/// Tiny templates that stand for punctuation; replaced by their text instead of nothing so that
/// `1990{{ndash}}2000` stays readable.
const INLINE_TEMPLATES: &[(&str, &str)] = &[
    ("ndash", "–"),
    ("mdash", "—"),
    ("snd", " – "),
    ("spaced ndash", " – "),
    ("spnd", " – "),
    ("nbsp", " "),
    ("'", "'"),
    ("'s", "'s"),
    ("-", " "),
    ("clear", " "),
];

#[derive(Clone, Copy)]
enum Open {
    /// A run of opening braces; `left` braces are still unmatched.
    Braces { start: usize, left: usize },
    /// `{|` at the start of a line.
    Table { start: usize },
}

/// Removes templates, parameters and tables from `src`.
#[cfg(test)]
pub(crate) fn strip_braces(src: &str) -> String {
    let mut out = String::new();
    strip_braces_into(src, &mut out);
    out
}

/// [`strip_braces`] appending to `out` (the caller's, reused from page to page).
pub(crate) fn strip_braces_into(src: &str, out: &mut String) {
    let b = src.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut brace_entries = 0usize;
    // Removed byte ranges, kept sorted and disjoint: a span closing later and starting earlier
    // swallows the ones inside it.
    let mut spans: Vec<Span<'_>> = Vec::new();
    // Unmatched brace runs of two or more, dropped from the output.
    let mut strays: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    // Only `{`, `|` and `}` matter: jump from one to the next.
    let mut hits = crate::scan::Needles3::new(b, b'{', b'|', b'}');
    while let Some(k) = hits.find(i) {
        i = k;
        match b[i] {
            b'{' if b.get(i + 1) == Some(&b'|') && at_line_start(b, i) => {
                stack.push(Open::Table { start: i });
                i += 2;
            }
            b'|' if b.get(i + 1) == Some(&b'}')
                && matches!(stack.last(), Some(Open::Table { .. }))
                && at_line_start(b, i) =>
            {
                if let Some(Open::Table { start }) = stack.pop() {
                    add_span(&mut spans, start, i + 2, Cow::Borrowed(""));
                }
                i += 2;
            }
            b'{' => {
                let n = run_len(b, i, b'{');
                if n >= 2 {
                    stack.push(Open::Braces { start: i, left: n });
                    brace_entries += 1;
                }
                i += n;
            }
            b'}' => {
                let n = run_len(b, i, b'}');
                let mut m = n;
                while m >= 2 && brace_entries > 0 {
                    // Tables opened inside the template and never closed end with it.
                    while let Some(Open::Table { .. }) = stack.last() {
                        stack.pop();
                    }
                    let Some(Open::Braces { start, left }) = stack.pop() else { break };
                    let take = if left >= 3 && m >= 3 { 3 } else { 2 };
                    m -= take;
                    let left = left - take;
                    let close_end = i + (n - m);
                    if left >= 2 {
                        stack.push(Open::Braces { start, left });
                    } else {
                        brace_entries -= 1;
                        let open_end = start + left + take;
                        let inner = src.get(open_end..close_end - take).unwrap_or("");
                        let nested = spans.last().is_some_and(|(s, _, _)| *s >= start + left);
                        let text = if take == 2 && !nested {
                            template_text(inner)
                        } else {
                            Cow::Borrowed("")
                        };
                        add_span(&mut spans, start + left, close_end, text);
                    }
                }
                if m >= 2 {
                    strays.push((i + n - m, i + n));
                }
                i += n;
            }
            _ => i += 1,
        }
    }
    for open in stack {
        match open {
            Open::Table { start } => add_span(&mut spans, start, b.len(), Cow::Borrowed("")),
            Open::Braces { start, left } => strays.push((start, start + left)),
        }
    }
    render(src, spans, strays, out)
}

/// Records a removed span, absorbing the spans it contains (they were closed before it).
fn add_span<'a>(spans: &mut Vec<Span<'a>>, start: usize, end: usize, r: Cow<'a, str>) {
    while spans.last().is_some_and(|(s, _, _)| *s >= start) {
        spans.pop();
    }
    spans.push((start, end, r));
}

/// A removed byte range and its replacement text.
type Span<'a> = (usize, usize, Cow<'a, str>);

/// Replacement text of a template without nested templates: punctuation templates such as
/// `{{ndash}}`, `{{convert|5|km}}` (value and unit, no conversion), `{{lang|fr|texte}}` and
/// `{{nowrap|text}}`; empty for everything else. These are the frequent templates whose output is
/// part of the sentence: dropping them leaves holes such as "At , Alabama has".
fn template_text(inner: &str) -> Cow<'_, str> {
    let args = split_args(inner);
    let Some(name) = args.first() else { return Cow::Borrowed("") };
    let name = name.trim();
    if args.len() == 1 {
        if let Some(&(_, r)) = INLINE_TEMPLATES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Cow::Borrowed(r);
        }
        return Cow::Borrowed("");
    }
    let positional: Vec<&str> =
        args[1..].iter().filter(|a| !a.contains('=')).map(|a| a.trim()).collect();
    match name.to_ascii_lowercase().as_str() {
        "convert" | "cvt" => {
            // Value, optional range words and values, then the unit.
            let mut parts = Vec::new();
            for p in positional.iter().take(5) {
                parts.push(*p);
                let numeric = p.chars().all(|c| c.is_ascii_digit() || ".,-−".contains(c));
                let range = matches!(*p, "to" | "-" | "–" | "and" | "or" | "by" | "x" | "×");
                if !numeric && !range {
                    break;
                }
            }
            Cow::Owned(parts.join(" "))
        }
        "lang" => Cow::Borrowed(positional.get(1).copied().unwrap_or("")),
        "nowrap" | "nobr" | "small" | "smaller" | "big" | "sic" | "not a typo" => {
            Cow::Borrowed(positional.first().copied().unwrap_or(""))
        }
        _ => Cow::Borrowed(""),
    }
}

/// Splits template content at `|` outside `[[...]]` (a piped link inside an argument).
fn split_args(inner: &str) -> Vec<&str> {
    let b = inner.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'[' if b.get(i + 1) == Some(&b'[') => {
                depth += 1;
                i += 2;
                continue;
            }
            b']' if b.get(i + 1) == Some(&b']') => {
                depth = depth.saturating_sub(1);
                i += 2;
                continue;
            }
            b'|' if depth == 0 => {
                out.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&inner[start..]);
    out
}

/// Writes `src` without the removed spans and stray brace runs.
fn render(src: &str, spans: Vec<Span<'_>>, mut strays: Vec<(usize, usize)>, out: &mut String) {
    strays.sort_unstable();
    let mut cuts = spans;
    // Strays inside removed spans are already gone; the rest become empty cuts.
    let mut merged: Vec<(usize, usize, Cow<'_, str>)> =
        Vec::with_capacity(cuts.len() + strays.len());
    let mut si = 0;
    cuts.sort_unstable_by_key(|c| c.0);
    for cut in cuts {
        while si < strays.len() && strays[si].0 < cut.0 {
            merged.push((strays[si].0, strays[si].1, Cow::Borrowed("")));
            si += 1;
        }
        while si < strays.len() && strays[si].0 < cut.1 {
            si += 1;
        }
        merged.push(cut);
    }
    merged.extend(strays[si..].iter().map(|&(s, e)| (s, e, Cow::Borrowed(""))));
    out.reserve(src.len());
    let mut pos = 0;
    for (s, e, r) in merged {
        if s < pos {
            continue;
        }
        out.push_str(&src[pos..s]);
        out.push_str(&r);
        pos = e;
    }
    out.push_str(&src[pos..]);
}

fn run_len(b: &[u8], i: usize, c: u8) -> usize {
    b[i..].iter().take_while(|&&x| x == c).count()
}

/// True when only spaces, tabs or `:` indentation precede `i` on its line.
fn at_line_start(b: &[u8], i: usize) -> bool {
    let mut j = i;
    // Bounded look-back: indentation is short, and this keeps a 10 MB line linear.
    let stop = i.saturating_sub(64);
    while j > stop {
        match b[j - 1] {
            b'\n' => return true,
            b' ' | b'\t' | b':' => j -= 1,
            _ => return false,
        }
    }
    j == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, &str)] = &[
            ("template", "a{{cite web|url=x}}b", "ab"),
            ("nested template", "a{{x|{{y|{{z}}}}}}b", "ab"),
            (
                "infobox",
                "{{Infobox person\n| name = X\n| born = {{birth date|1|2|3}}\n}}\nText",
                "\nText",
            ),
            ("parameter", "a{{{1|default}}}b", "ab"),
            ("parameter in template", "a{{x|{{{1}}}}}b", "ab"),
            ("four braces leave single braces", "a{{{{x}}}}b", "a{}b"),
            ("table", "a\n{| class=x\n|-\n| cell\n|}\nb", "a\n\nb"),
            ("nested table", "a\n{|\n|\n{|\n|x\n|}\n|}\nb", "a\n\nb"),
            ("indented table", "a\n:{|\n|x\n|}\nb", "a\n:\nb"),
            ("table in template", "a{{x|\n{|\n|y\n|}\n}}b", "ab"),
            ("unclosed table in template", "a{{x|\n{|\n|y\n}}b", "ab"),
            ("unclosed table", "a\n{|\n|x\nmore", "a\n"),
            ("only table opener", "{|", ""),
            ("mid line table opener kept", "a {| b", "a {| b"),
            ("unclosed template", "a{{b c", "ab c"),
            ("stray closer", "a}}b", "ab"),
            ("single braces kept", "a{b}c", "a{b}c"),
            ("ndash", "1990{{ndash}}2000", "1990–2000"),
            ("mdash", "a{{mdash}}b", "a—b"),
            ("template closing table pipe", "{{a|\n|}}b", "b"),
            ("convert", "At {{convert|52|mi|km}}, x", "At 52 mi, x"),
            ("convert range", "{{convert|5|to|10|km|abbr=on}}", "5 to 10 km"),
            ("lang", "{{lang|fr|la [[France]]}}", "la [[France]]"),
            ("nowrap", "{{nowrap|a b}}", "a b"),
            ("nested not expanded", "{{nowrap|a {{b}}}}", ""),
            ("unknown", "{{foo|bar}}", ""),
        ];
        for &(name, input, want) in cases {
            assert_eq!(strip_braces(input), want, "case {name}");
        }
    }

    #[test]
    fn deep_nesting() {
        let input = format!("a{}x{}b", "{{".repeat(10_000), "}}".repeat(10_000));
        assert_eq!(strip_braces(&input), "ab");
        let unclosed = format!("a{}x", "{{".repeat(10_000));
        assert_eq!(strip_braces(&unclosed), "ax");
    }
}
