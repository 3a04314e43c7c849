//! Pass 4: lines to blocks.
//!
//! Wikitext is line oriented: a blank line ends a paragraph, a heading (`== x ==`) ends one and is
//! not prose, and every list line (`*`, `#`, `:`, `;`) is its own item. Consecutive ordinary lines
//! form one paragraph. Lines that start with `|` or `!` are left-overs of broken tables or template
//! arguments and are dropped.

use std::borrow::Cow;

use crate::Context;

/// A run of wikitext lines that becomes one paragraph or list item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block<'a> {
    pub(crate) context: Context,
    /// The lines, marker stripped, joined with `\n`: a slice of the page when it is one line
    /// (most paragraphs and every list item), so the text is not copied once more.
    pub(crate) text: Cow<'a, str>,
}

/// Splits `src` into blocks; list items are dropped unless `keep_lists`.
pub(crate) fn split_blocks(src: &str, keep_lists: bool) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    // The current paragraph's lines, trimmed and non-empty.
    let mut lines: Vec<&str> = Vec::new();
    fn flush<'a>(lines: &mut Vec<&'a str>, blocks: &mut Vec<Block<'a>>) {
        let text = match lines.as_slice() {
            [] => return,
            [line] => Cow::Borrowed(*line),
            _ => Cow::Owned(lines.join("\n")),
        };
        blocks.push(Block { context: Context::Paragraph, text });
        lines.clear();
    }
    // Lines cut at the memchr crate's vector search (`str::split('\n')` scans with core's
    // word-at-a-time `memchr`; issue 19).
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', src.as_bytes()).chain(std::iter::once(src.len()));
    for end in ends {
        let line = &src[start..end];
        start = end + 1;
        let t = line.trim();
        if t.is_empty() || is_heading(t) || t.starts_with("----") {
            flush(&mut lines, &mut blocks);
        } else if t.starts_with(['*', '#', ':', ';']) {
            flush(&mut lines, &mut blocks);
            let item = t.trim_start_matches(['*', '#', ':', ';']).trim();
            if keep_lists && !item.is_empty() {
                blocks.push(Block { context: Context::List, text: Cow::Borrowed(item) });
            }
        } else if t.starts_with('|') || t.starts_with('!') {
            flush(&mut lines, &mut blocks);
        } else {
            lines.push(t);
        }
    }
    flush(&mut lines, &mut blocks);
    blocks
}

/// `== Title ==` (any level): starts and ends with `=` and has something in between.
fn is_heading(t: &str) -> bool {
    t.len() >= 3 && t.starts_with('=') && t.ends_with('=')
}

#[cfg(test)]
mod tests {
    use super::*;
    use Context::*;

    /// Name, input, keep_lists, expected blocks.
    type Case = (&'static str, &'static str, bool, &'static [(Context, &'static str)]);

    #[test]
    fn table() {
        let cases: &[Case] = &[
            ("one paragraph", "a\nb", true, &[(Paragraph, "a\nb")]),
            ("blank line", "a\n\nb", true, &[(Paragraph, "a"), (Paragraph, "b")]),
            ("heading", "a\n== H ==\nb", true, &[(Paragraph, "a"), (Paragraph, "b")]),
            ("heading level 3", "=== H ===\nb", true, &[(Paragraph, "b")]),
            (
                "bullet",
                "a\n* x\n* y\nb",
                true,
                &[(Paragraph, "a"), (List, "x"), (List, "y"), (Paragraph, "b")],
            ),
            ("numbered nested", "#* x", true, &[(List, "x")]),
            ("indent", ": x", true, &[(List, "x")]),
            ("definition", "; term : def", true, &[(List, "term : def")]),
            ("lists dropped", "a\n* x\nb", false, &[(Paragraph, "a"), (Paragraph, "b")]),
            ("empty item", "*\na", true, &[(Paragraph, "a")]),
            ("rule", "a\n----\nb", true, &[(Paragraph, "a"), (Paragraph, "b")]),
            ("table remnant", "a\n| x = y\nb", true, &[(Paragraph, "a"), (Paragraph, "b")]),
            ("leading space", " a\nb", true, &[(Paragraph, "a\nb")]),
        ];
        for &(name, input, keep, want) in cases {
            let got: Vec<(Context, String)> = split_blocks(input, keep)
                .into_iter()
                .map(|b| (b.context, b.text.into_owned()))
                .collect();
            let want: Vec<(Context, String)> =
                want.iter().map(|&(c, t)| (c, t.to_string())).collect();
            assert_eq!(got, want, "case {name}");
        }
    }
}
