//! The paragraph text being built, with whitespace collapsing and anchor bookkeeping.
//!
//! Everything the inline pass produces goes through [`TextBuilder::push`], which is the single
//! place that (a) collapses whitespace to single spaces, so offsets are final as soon as they are
//! recorded, and (b) refuses to form markup-looking sequences (`[[`, `}}`, `{|`, `'''`, `&amp;`,
//! `<ref`) out of characters that became adjacent when markup between them was removed. That
//! guarantee is what lets callers assert "no remnants" on any input.

/// Text with its length in chars (code points) kept alongside.
#[derive(Debug, Default)]
pub(crate) struct TextBuilder {
    text: String,
    chars: u32,
    pending_space: bool,
}

impl TextBuilder {
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

    /// Appends visible text: as [`push`](Self::push) of each char, with runs of ASCII letters
    /// and digits (most of any text) copied as slices.
    pub(crate) fn push_str(&mut self, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_alphanumeric() {
                let run = b[i..].iter().position(|c| !c.is_ascii_alphanumeric());
                let j = run.map_or(b.len(), |n| i + n);
                self.push_ascii_alnum(&s[i..j]);
                i = j;
            } else {
                let Some(c) = s[i..].chars().next() else { break };
                self.push(c);
                i += c.len_utf8();
            }
        }
    }

    /// [`push`](Self::push) of each char of `run`, all ASCII letters or digits. Such a char is
    /// never dropped and can only form markup as the `f` of `<ref`; so once a pending space is
    /// settled and no `<` is among the text's last 3 bytes, the rest is copied as it is (the
    /// char-by-char push was ~8% of the `wikipedia` stage's CPU, issue 19).
    fn push_ascii_alnum(&mut self, run: &str) {
        debug_assert!(run.bytes().all(|c| c.is_ascii_alphanumeric()));
        let b = run.as_bytes();
        let mut i = 0;
        while i < b.len() && (self.pending_space || self.tail_has_lt()) {
            self.push(b[i] as char);
            i += 1;
        }
        self.text.push_str(&run[i..]);
        self.chars += (b.len() - i) as u32;
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
}
