//! Sentence splitting of one paragraph of clean text.
//!
//! A sentence ends at a run of `.`, `!`, `?` or `…`, optionally followed by closing quotes or
//! brackets, then a space, then something that can start a sentence: an upper-case letter, a digit
//! or an opening quote/bracket. A lone `.` does not end a sentence after a known abbreviation
//! (`Dr.`, `Inc.`, `Jan.`), a single-letter initial (`J. R. R. Tolkien`, `George W. Bush`) or a
//! dotted abbreviation (`U.S.`, `e.g.`). Decimals (`3.14`) and mid-sentence ellipses followed by a
//! lower-case word never qualify because of the space/upper-case requirement.

use crate::tokens::Unit;

/// Words that end with a period without ending the sentence (case-sensitive, without the period).
/// `etc.` is deliberately absent: followed by a capital it usually does end the sentence.
const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Drs", "St", "Ste", "Jr", "Sr", "Prof", "Gen", "Col", "Lt", "Sgt",
    "Capt", "Cpt", "Cmdr", "Adm", "Maj", "Brig", "Rev", "Hon", "Gov", "Sen", "Rep", "Pres", "Fr",
    "Mt", "Ft", "Ave", "Blvd", "Rd", "vs", "v", "No", "Nos", "no", "Nr", "Inc", "Ltd", "Co",
    "Corp", "Bros", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov",
    "Dec", "approx", "ca", "c", "cf", "al", "Fig", "fig", "Vol", "vol", "pp", "p", "ed", "eds",
    "op", "b", "d", "r", "fl", "est", "Op", "Ch", "ch",
];

const TERMINATORS: &[char] = &['.', '!', '?', '…'];
const CLOSERS: &[char] = &['"', '\'', '”', '’', ')', ']', '»'];
const OPENERS: &[char] = &['"', '\'', '“', '‘', '(', '[', '«', '¿', '¡'];

/// Longest word looked back at for the abbreviation test; bounds the work per candidate.
const MAX_WORD: usize = 40;

/// Splits whitespace-collapsed `text` (its chars, or its bytes when it is ASCII) into sentence
/// char ranges `[start, end)`, trimmed and non-empty.
pub(crate) fn split_chars<U: Unit>(text: &[U]) -> Vec<(usize, usize)> {
    let n = text.len();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    loop {
        i = U::find_any(text, i, TERMINATORS);
        if i >= n {
            break;
        }
        let mut j = i;
        while j < n && TERMINATORS.contains(&text[j].ch()) {
            j += 1;
        }
        let mut k = j;
        while k < n && CLOSERS.contains(&text[k].ch()) {
            k += 1;
        }
        let next_ok = k + 1 < n && text[k].ch().is_whitespace() && {
            let c = text[k + 1].ch();
            c.is_uppercase() || c.is_ascii_digit() || OPENERS.contains(&c)
        };
        let lone_period = j == i + 1 && text[i].ch() == '.';
        if next_ok && !(lone_period && is_abbreviation(text, i)) {
            push_trimmed(text, start, k, &mut out);
            start = k + 1;
            i = k + 1;
        } else {
            i = j;
        }
    }
    push_trimmed(text, start, n, &mut out);
    out
}

/// Convenience for tests and callers with a `&str`: the sentence strings.
pub fn split_sentences(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    split_chars(&chars).into_iter().map(|(s, e)| chars[s..e].iter().collect()).collect()
}

fn push_trimmed<U: Unit>(text: &[U], mut s: usize, mut e: usize, out: &mut Vec<(usize, usize)>) {
    while s < e && text[s].ch().is_whitespace() {
        s += 1;
    }
    while e > s && text[e - 1].ch().is_whitespace() {
        e -= 1;
    }
    if s < e {
        out.push((s, e));
    }
}

/// Is the word ending just before the period at `dot` an abbreviation or an initial?
fn is_abbreviation<U: Unit>(text: &[U], dot: usize) -> bool {
    let mut w = dot;
    while w > 0 && dot - w < MAX_WORD && !text[w - 1].ch().is_whitespace() {
        w -= 1;
    }
    let mut word = &text[w..dot];
    while let Some((first, rest)) = word.split_first() {
        if OPENERS.contains(&first.ch()) {
            word = rest;
        } else {
            break;
        }
    }
    if word.is_empty() {
        return false;
    }
    // Initial: a single upper-case letter (`W.` in `George W. Bush`).
    if word.len() == 1 && word[0].ch().is_uppercase() {
        return true;
    }
    // Dotted abbreviation: `U.S`, `e.g`, `Ph.D` (short letter groups joined by periods).
    if word.iter().any(|u| u.ch() == '.') {
        return word.split(|u| u.ch() == '.').all(|part| {
            !part.is_empty() && part.len() <= 3 && part.iter().all(|u| u.ch().is_alphabetic())
        });
    }
    // The word as a key, looked up in the sorted keys of the abbreviations: comparing it with
    // each abbreviation in turn was 1% of the wikipedia stage's instructions (issue 19).
    word.len() <= 7
        && word.iter().all(|u| u.ch().is_ascii())
        && ABBREVIATION_KEYS.binary_search(&key(word.iter().map(|u| u.ch() as u8))).is_ok()
}

/// Up to 7 ASCII bytes as one number: the first in the lowest byte, the count in the highest,
/// so that no two words give the same number.
fn key(bytes: impl Iterator<Item = u8>) -> u64 {
    let (k, n) = bytes.fold((0, 0), |(k, n), b| (k | u64::from(b) << (8 * n), n + 1));
    k | (n as u64) << 56
}

/// [`key`] of each of [`ABBREVIATIONS`], sorted.
static ABBREVIATION_KEYS: std::sync::LazyLock<Vec<u64>> = std::sync::LazyLock::new(|| {
    let mut keys: Vec<u64> = ABBREVIATIONS.iter().map(|a| key(a.bytes())).collect();
    keys.sort_unstable();
    keys
});

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_abbreviation` looks words up by [`key`]: ASCII of 7 bytes at most.
    #[test]
    fn abbreviations_have_keys() {
        assert!(ABBREVIATIONS.iter().all(|a| a.is_ascii() && a.len() <= 7));
    }

    /// Every abbreviation keeps a sentence whole, as bytes and as chars; the same word with one
    /// more letter, or a NUL (a byte the lookup's key must not drop), ends it.
    #[test]
    fn every_abbreviation_and_its_near_misses() {
        for a in ABBREVIATIONS {
            for (word, whole) in
                [(a.to_string(), true), (format!("{a}q"), false), (format!("{a}\0"), false)]
            {
                for tail in ["", " é"] {
                    let text = format!("See {word}. Next one{tail}.");
                    let chars: Vec<char> = text.chars().collect();
                    let got = split_chars(&chars).len();
                    assert_eq!(got == 1, whole, "{text:?} as chars");
                    if text.is_ascii() {
                        assert_eq!(split_chars(text.as_bytes()).len(), got, "{text:?} as bytes");
                    }
                }
            }
        }
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("two sentences", "It rained. We left.", &["It rained.", "We left."]),
            ("exclamation", "Stop! Go now.", &["Stop!", "Go now."]),
            ("question", "Why? Because.", &["Why?", "Because."]),
            (
                "closing quote",
                "He said \"Go.\" Then he left.",
                &["He said \"Go.\"", "Then he left."],
            ),
            ("closing bracket", "It was (mostly.) Then x.", &["It was (mostly.)", "Then x."]),
            ("digit start", "It ended. 1990 was next.", &["It ended.", "1990 was next."]),
            ("quote start", "It ended. \"Yes,\" he said.", &["It ended.", "\"Yes,\" he said."]),
            ("lowercase no split", "It ended. then more.", &["It ended. then more."]),
            ("Dr", "Dr. Smith came.", &["Dr. Smith came."]),
            ("Mr", "Ask Mr. Jones.", &["Ask Mr. Jones."]),
            ("Mrs", "Ask Mrs. Jones.", &["Ask Mrs. Jones."]),
            ("St", "In St. Louis now.", &["In St. Louis now."]),
            ("Jr", "Martin Luther King Jr. Day is here.", &["Martin Luther King Jr. Day is here."]),
            ("vs", "Roe vs. Wade was decided.", &["Roe vs. Wade was decided."]),
            (
                "etc lowercase",
                "Apples, pears, etc. are fruit.",
                &["Apples, pears, etc. are fruit."],
            ),
            (
                "etc uppercase splits",
                "Apples, pears etc. The end.",
                &["Apples, pears etc.", "The end."],
            ),
            ("US", "He moved to the U.S. Army base.", &["He moved to the U.S. Army base."]),
            ("UK", "The U.K. Parliament met.", &["The U.K. Parliament met."]),
            ("eg", "Fruit, e.g. Apples, grow.", &["Fruit, e.g. Apples, grow."]),
            ("ie", "One, i.e. The first, won.", &["One, i.e. The first, won."]),
            ("No", "It was No. 1 in charts.", &["It was No. 1 in charts."]),
            ("Inc", "Apple Inc. Designs phones.", &["Apple Inc. Designs phones."]),
            ("Ltd", "Foo Ltd. Makes bars.", &["Foo Ltd. Makes bars."]),
            ("Co", "Ford Motor Co. Built cars.", &["Ford Motor Co. Built cars."]),
            ("Jan", "On Jan. 5 it snowed.", &["On Jan. 5 it snowed."]),
            ("Dec", "On Dec. 25 it snowed.", &["On Dec. 25 it snowed."]),
            ("Gen", "Gen. Lee lost.", &["Gen. Lee lost."]),
            ("Col", "Col. Mustard won.", &["Col. Mustard won."]),
            ("Prof", "Prof. Plum won.", &["Prof. Plum won."]),
            ("initials", "J. R. R. Tolkien wrote it.", &["J. R. R. Tolkien wrote it."]),
            ("middle initial", "George W. Bush spoke.", &["George W. Bush spoke."]),
            ("decimal", "Pi is 3.14 roughly. Yes.", &["Pi is 3.14 roughly.", "Yes."]),
            ("ellipsis lowercase", "Wait... and then it ended.", &["Wait... and then it ended."]),
            ("unicode ellipsis lowercase", "Wait… and then.", &["Wait… and then."]),
            ("ellipsis uppercase", "Wait... Then go.", &["Wait...", "Then go."]),
            ("no terminator", "no end here", &["no end here"]),
            ("empty", "", &[]),
        ];
        for &(name, input, want) in cases {
            assert_eq!(split_sentences(input), want, "case {name}");
        }
    }
}
