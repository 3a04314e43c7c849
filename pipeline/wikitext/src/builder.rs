//! The paragraph text being built, with whitespace collapsing and anchor bookkeeping.
//!
//! Everything the inline pass produces goes through [`TextBuilder::push`], which is the single
//! place that (a) collapses whitespace to single spaces, so offsets are final as soon as they are
//! recorded, and (b) refuses to form markup-looking sequences (`[[`, `}}`, `{|`, `'''`, `&amp;`,
//! `<ref`) out of characters that became adjacent when markup between them was removed. That
//! guarantee is what lets callers assert "no remnants" on any input.

use crate::scan::{self, plain};

/// Text with its length in chars (code points) kept alongside.
#[derive(Debug, Default)]
pub(crate) struct TextBuilder {
    text: String,
    chars: u32,
    pending_space: bool,
}

impl TextBuilder {
    /// A builder writing into `text`, which must be empty (its room is kept).
    pub(crate) fn over(text: String) -> Self {
        debug_assert!(text.is_empty());
        TextBuilder { text, ..Default::default() }
    }

    /// Appends one character of visible text.
    pub(crate) fn push(&mut self, c: char) {
        if c.is_whitespace() || c.is_control() {
            if !self.text.is_empty() {
                self.pending_space = true;
            }
            return;
        }
        if matches!(c, '\u{AD}' | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}') {
            return;
        }
        if self.pending_space {
            self.pending_space = false;
            if !self.text.ends_with(' ') {
                self.text.push(' ');
                self.chars += 1;
            }
        } else if self.forms_markup(c) {
            return;
        }
        self.text.push(c);
        self.chars += 1;
    }

    /// Appends visible text: as [`push`](Self::push) of each char, with runs of ordinary
    /// ASCII text (most of any text) copied as slices.
    ///
    /// A run is copied when no space is pending and no `<` is among the text's last 3 bytes; it
    /// is made of [`plain`] bytes and single spaces between two of them. `push` keeps each such
    /// byte as it is: none is dropped or collapsed, and none can form markup (the brackets,
    /// braces, `|`, `'` and `;` are not plain, and `f` forms `<ref` only after a `<`, which is
    /// not plain either). Spaces at a run's ends go through `push`, which may hold them pending.
    /// Pushing char by char was ~8% of the `wikipedia` stage's CPU, copying word by word still
    /// ~5% (issue 19).
    pub(crate) fn push_str(&mut self, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if plain(b[i]) && !self.pending_space && !self.tail_has_lt() {
                let j = scan::plain_run_end(b, i + 1);
                self.text.push_str(&s[i..j]);
                self.chars += (j - i) as u32;
                i = j;
            } else {
                let Some(c) = s[i..].chars().next() else { break };
                self.push(c);
                i += c.len_utf8();
            }
        }
    }

    fn tail_has_lt(&self) -> bool {
        let t = self.text.as_bytes();
        t[t.len().saturating_sub(3)..].contains(&b'<')
    }

    /// Makes a pending space real, so that the next recorded offset points past it.
    pub(crate) fn flush_space(&mut self) {
        if self.pending_space {
            self.pending_space = false;
            if !self.text.ends_with(' ') {
                self.text.push(' ');
                self.chars += 1;
            }
        }
    }

    /// Current length in chars.
    pub(crate) fn len(&self) -> u32 {
        self.chars
    }

    /// The finished text (trailing space removed) and its length in chars.
    pub(crate) fn finish(mut self) -> (String, u32) {
        if self.text.ends_with(' ') {
            self.text.pop();
            self.chars -= 1;
        }
        (self.text, self.chars)
    }

    /// Would appending `c` create something that reads as markup?
    fn forms_markup(&self, c: char) -> bool {
        let t = self.text.as_bytes();
        let last = t.last().copied();
        match c {
            '[' => last == Some(b'['),
            ']' => last == Some(b']'),
            '{' => last == Some(b'{'),
            '}' => last == Some(b'}') || last == Some(b'|'),
            '|' => last == Some(b'{'),
            '\'' => t.ends_with(b"''"),
            ';' => t.ends_with(b"&amp") || t.ends_with(b"&nbsp"),
            'f' | 'F' => t.len() >= 3 && t[t.len() - 3..].eq_ignore_ascii_case(b"<re"),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, &str)] = &[
            ("collapse", "  a \n\t b  ", "a b"),
            ("nbsp", "a\u{A0}b", "a b"),
            ("zero width dropped", "a\u{200B}b", "ab"),
            ("double bracket", "[[x]]", "[x]"),
            ("braces", "{{x}}", "{x}"),
            ("table open", "{|", "{"),
            ("table close", "|}", "|"),
            ("quotes", "'''", "''"),
            ("amp", "&amp;", "&amp"),
            ("ref", "<ref", "<re"),
            ("spaced ok", "[ [", "[ ["),
            ("ref in a run", "<ref", "<re"),
            ("ref split", "<r", "<r"),
            ("many f after re", "<reffffx", "<rex"),
            ("upper F", "<REFx", "<REx"),
            ("run after space", "ab  cd\tef", "ab cd ef"),
            ("ref across runs", "<re\u{AD}fx", "<rex"),
        ];
        for &(name, input, want) in cases {
            let mut b = TextBuilder::default();
            b.push_str(input);
            assert_eq!(b.finish().0, want, "case {name}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 5000, failure_persistence: None, ..Default::default()
        })]
        /// `push_str` (runs copied as slices) builds what `push` of each char builds, text and
        /// length, also when called several times in a row (as the inline pass does).
        #[test]
        fn push_str_equals_pushing_each_char(
            parts in proptest::collection::vec(
                "([ a-zA-Z0-9.,<>;&'|{}\\[\\]\t\n]|re|ref|REF|amp|nbsp|&amp;|&nbsp;|<ref|<rEf|\u{A0}|\u{AD}|\u{200B}|é){0,12}",
                0..6,
            )
        ) {
            let (mut fast, mut slow) = (TextBuilder::default(), TextBuilder::default());
            for p in &parts {
                fast.push_str(p);
                p.chars().for_each(|c| slow.push(c));
                proptest::prop_assert_eq!((&fast.text, fast.chars, fast.pending_space),
                    (&slow.text, slow.chars, slow.pending_space));
            }
        }
    }
}
