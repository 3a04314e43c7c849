//! Char-for-char text normalisation shared by the name index and the sentence matcher.
//!
//! Every input char maps to exactly one output char, so a char offset in the normalised text is
//! the same char offset in the original. That is what lets matches on normalised text be
//! reported as spans of the caller's sentence without any offset table.

/// Folds one char: when `fold_punct`, typographic apostrophes, quotes and hyphens to their ASCII
/// forms and no-break spaces to a space; when `fold_case`, to lower case (only where the lower
/// case is a single char, e.g. not for `İ`, so the 1:1 mapping holds).
pub(crate) fn fold_char(c: char, fold_case: bool, fold_punct: bool) -> char {
    let c = if !fold_punct {
        c
    } else {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{2032}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => '"',
            '\u{2010}' | '\u{2011}' => '-',
            '\u{00A0}' | '\u{2007}' | '\u{202F}' => ' ',
            c => c,
        }
    };
    if fold_case && !c.is_ascii() {
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) => l,
            _ => c,
        }
    } else if fold_case {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// Normalised copy of `text` plus the byte offset of every char in it (and one past the end), so
/// char offsets can be turned into byte offsets for the automaton.
pub(crate) fn fold_with_offsets(
    text: &str,
    fold_case: bool,
    fold_punct: bool,
) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len() + 1);
    for c in text.chars() {
        offsets.push(out.len());
        out.push(fold_char(c, fold_case, fold_punct));
    }
    offsets.push(out.len());
    (out, offsets)
}

/// Normalised copy of `text`.
pub(crate) fn fold(text: &str, fold_case: bool, fold_punct: bool) -> String {
    text.chars().map(|c| fold_char(c, fold_case, fold_punct)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_one_char_per_char() {
        let cases: &[(&str, &str, bool, &str)] = &[
            ("punctuation kept when asked", "x", false, "x"),
            ("curly apostrophe", "O\u{2019}Brien", false, "O'Brien"),
            ("case kept", "New York", false, "New York"),
            ("case folded", "New York", true, "new york"),
            ("non-ascii lower", "ÉLAN", true, "élan"),
            ("dotted I stays one char", "İstanbul", true, "İstanbul"),
            ("nbsp", "a\u{a0}b", false, "a b"),
        ];
        for (name, input, fold_case, want) in cases {
            let got = fold(input, *fold_case, true);
            assert_eq!(&got, want, "{name}");
            assert_eq!(got.chars().count(), input.chars().count(), "{name}");
        }
    }

    #[test]
    fn offsets_cover_every_char() {
        assert_eq!(fold("O\u{2019}Brien", false, false), "O\u{2019}Brien");
        let (s, off) = fold_with_offsets("aé\u{2019}b", false, true);
        assert_eq!(s, "aé'b");
        assert_eq!(off, vec![0, 1, 3, 4, 5]);
    }
}
