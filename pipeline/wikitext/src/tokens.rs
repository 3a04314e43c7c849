//! Tokenisation in the style of the CP / Wiki80 / FewRel token lists (a Penn-Treebank-like
//! tokenizer): whitespace splits, punctuation is split off, the sentence-final period is its own
//! token while abbreviation periods stay attached, numbers with `.`/`,` and hyphenated words are
//! one token, clitics (`'s`, `n't`, `'re`) are split off as in `Obama 's`.
//!
//! Every token is a slice of the sentence: its text equals `text.chars()[start..end]`.

/// A token and its char span `[char_start, char_end)` in the sentence text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub char_start: u32,
    pub char_end: u32,
}

/// Split off at the start of a word.
const LEADING: &[char] = &['(', '[', '{', '"', '“', '‘', '«', '\'', '„', '¿', '¡', '’'];
/// Split off at the end of a word.
const TRAILING: &[char] =
    &[')', ']', '}', '"', '”', '’', '\'', '»', ',', ';', ':', '!', '?', '…', '“', '‘'];
/// Split wherever they appear inside a word.
const ALWAYS_SPLIT: &[char] =
    &['(', ')', '[', ']', '{', '}', '"', '“', '”', ';', '!', '?', '«', '»'];
/// Split inside a word unless between two digits (`1,000`, `10:30`, `1990—2000`). The en dash is
/// not here: like the hyphen it joins compounds (`human–computer`, `1999–2000`).
const SPLIT_UNLESS_DIGITS: &[char] = &[',', ':', '—'];
/// Clitics split off the end of a word, longest first within each apostrophe style. As char
/// arrays: they are compared with every word, and counting a `&str`'s chars each time was ~7%
/// of the `wikipedia` stage's CPU (perf, the real 206-page dump x20).
const CLITICS: &[&[char]] = &[
    &['n', '\'', 't'],
    &['\'', 's'],
    &['\'', 'S'],
    &['\'', 'r', 'e'],
    &['\'', 'v', 'e'],
    &['\'', 'l', 'l'],
    &['\'', 'm'],
    &['\'', 'd'],
    &['’', 's'],
    &['’', 'r', 'e'],
    &['’', 'l', 'l'],
];

/// A unit of sentence text as the splitter and tokeniser walk it: a `char`, or a byte of
/// ASCII-only text. Most paragraphs are ASCII, where a byte is a char and its index the char
/// offset, so they are split and tokenised in place instead of as a `Vec<char>` four times
/// their size (issue 19).
pub(crate) trait Unit: Copy {
    fn ch(self) -> char;
    /// [`ALNUM`], [`SPACE`] (`char::is_whitespace`) or [`OTHER`]: what the tokeniser's word
    /// scan asks of every char, for ASCII from one table lookup.
    fn class(self) -> u8;
    /// Index of the first unit at or after `from` whose char is in `set`, or `text.len()`.
    fn find_any(text: &[Self], from: usize, set: &[char]) -> usize;
    /// Calls `word(start, end, plain, last)` for each word of `text` in order: each maximal run
    /// of units that are not [`SPACE`]; `plain` when all of them are [`ALNUM`], `last` when only
    /// spaces follow it.
    fn words(text: &[Self], masks: &mut Vec<[u64; 2]>, word: impl FnMut(usize, usize, bool, bool));
}

/// [`Unit::words`] a unit at a time, by [`Unit::class`].
fn words_by_class<U: Unit>(text: &[U], mut word: impl FnMut(usize, usize, bool, bool)) {
    let n = text.len();
    let skip_spaces = |mut i: usize| {
        while i < n && text[i].class() == SPACE {
            i += 1;
        }
        i
    };
    let mut i = skip_spaces(0);
    while i < n {
        let s = i;
        // A word of ASCII letters and digits only (most words) is one token: no rule splits
        // it. Noted while the word is scanned, it costs no second pass.
        let mut plain = true;
        while i < n {
            match text[i].class() {
                ALNUM => {}
                SPACE => break,
                _ => plain = false,
            }
            i += 1;
        }
        let next = skip_spaces(i);
        word(s, i, plain, next == n);
        i = next;
    }
}

/// The [`SPACE`] and [`OTHER`] masks of 64 ASCII bytes: bit `k` set when byte `k` is one.
#[cfg(target_arch = "x86_64")]
fn block_masks(block: &[u8; 64]) -> [u64; 2] {
    use std::arch::x86_64::*;
    let (mut space, mut other) = (0u64, 0u64);
    // SAFETY: SSE2 is part of the x86_64 baseline; each load reads 16 bytes of `block`.
    unsafe {
        let splat = |b: u8| _mm_set1_epi8(b as i8);
        // x <= lim, unsigned: min(x, lim) == x.
        let at_most = |x: __m128i, lim: u8| _mm_cmpeq_epi8(_mm_min_epu8(x, splat(lim)), x);
        for k in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast());
            // Space, tab, line feed, vertical tab, form feed, carriage return (9..=13).
            let sp =
                _mm_or_si128(_mm_cmpeq_epi8(v, splat(b' ')), at_most(_mm_sub_epi8(v, splat(9)), 4));
            let digit = at_most(_mm_sub_epi8(v, splat(b'0')), 9);
            // `| 0x20` folds `A-Z` onto `a-z` and moves no other byte into that range.
            let letter = at_most(_mm_sub_epi8(_mm_or_si128(v, splat(0x20)), splat(b'a')), 25);
            let sp = _mm_movemask_epi8(sp) as u16 as u64;
            let alnum = _mm_movemask_epi8(_mm_or_si128(digit, letter)) as u16 as u64;
            space |= sp << (16 * k);
            other |= (!(sp | alnum) & 0xFFFF) << (16 * k);
        }
    }
    [space, other]
}

/// The same masks a byte at a time, by [`Unit::class`].
#[cfg(any(test, not(target_arch = "x86_64")))]
fn block_masks_by_class(block: &[u8; 64]) -> [u64; 2] {
    let (mut space, mut other) = (0u64, 0u64);
    for (k, &b) in block.iter().enumerate() {
        match b.class() {
            SPACE => space |= 1 << k,
            OTHER => other |= 1 << k,
            _ => {}
        }
    }
    [space, other]
}

#[cfg(not(target_arch = "x86_64"))]
use block_masks_by_class as block_masks;

/// Char classes of [`Unit::class`].
const ALNUM: u8 = 0;
const SPACE: u8 = 1;
const OTHER: u8 = 2;

/// The class of each ASCII byte: letters and digits, the six ASCII chars `char::is_whitespace`
/// accepts (tab, line feed, vertical tab, form feed, carriage return, space), the rest. The
/// word scan's two range tests per char were ~2% of the wikipedia stage's instructions
/// (cachegrind, issue 19).
const ASCII_CLASS: [u8; 128] = {
    let mut t = [OTHER; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            t[b] = ALNUM;
        } else if matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ') {
            t[b] = SPACE;
        }
        b += 1;
    }
    t
};

impl Unit for char {
    #[inline]
    fn ch(self) -> char {
        self
    }
    #[inline]
    fn class(self) -> u8 {
        match ASCII_CLASS.get(self as usize) {
            Some(&k) => k,
            None if self.is_whitespace() => SPACE,
            None => OTHER,
        }
    }
    /// A set of four chars at most (the sentence terminators) is compared with 16 chars at a
    /// time, with no branch per char, which the compiler turns into vector compares: the
    /// branch per char before (a 128-bit mask for ASCII) was 2% of the wikipedia stage's
    /// instructions, in the paragraphs that are not ASCII (issue 19).
    fn find_any(text: &[char], from: usize, set: &[char]) -> usize {
        if let Some(&first) = set.first().filter(|_| set.len() <= 4) {
            let mut k = [first; 4];
            k[..set.len()].copy_from_slice(set);
            let hit = |&c: &char| (c == k[0]) | (c == k[1]) | (c == k[2]) | (c == k[3]);
            let rest = &text[from..];
            let mut blocks = rest.chunks_exact(16);
            let mut at = from;
            for block in blocks.by_ref() {
                if block.iter().fold(false, |m, c| m | hit(c)) {
                    return at + block.iter().position(hit).expect("a hit in the block");
                }
                at += 16;
            }
            return blocks.remainder().iter().position(hit).map_or(text.len(), |k| at + k);
        }
        let ascii = set.iter().filter(|c| c.is_ascii()).fold(0u128, |m, &c| m | 1 << c as u32);
        let found = text[from..].iter().position(|&c| match u32::from(c) {
            a @ 0..=127 => ascii >> a & 1 == 1,
            _ => set.contains(&c),
        });
        found.map_or(text.len(), |k| from + k)
    }
    fn words(text: &[char], _: &mut Vec<[u64; 2]>, word: impl FnMut(usize, usize, bool, bool)) {
        words_by_class(text, word)
    }
}

/// Only for ASCII text: a byte of a multi-byte UTF-8 char is no char.
impl Unit for u8 {
    #[inline]
    fn ch(self) -> char {
        debug_assert!(self.is_ascii());
        char::from(self)
    }
    #[inline]
    fn class(self) -> u8 {
        debug_assert!(self.is_ascii());
        ASCII_CLASS[usize::from(self & 0x7F)]
    }
    /// The set's ASCII members are searched with `memchr` (three at most: the sentence
    /// terminators are `.`, `!`, `?` and `…`).
    fn find_any(text: &[u8], from: usize, set: &[char]) -> usize {
        let mut ascii = set.iter().filter(|c| c.is_ascii()).map(|&c| c as u8);
        let found = match (ascii.next(), ascii.next(), ascii.next(), ascii.next()) {
            (None, ..) => None,
            (Some(a), None, ..) => memchr::memchr(a, &text[from..]),
            (Some(a), Some(b), None, _) => memchr::memchr2(a, b, &text[from..]),
            (Some(a), Some(b), Some(c), None) => memchr::memchr3(a, b, c, &text[from..]),
            _ => text[from..].iter().position(|u| set.contains(&char::from(*u))),
        };
        found.map_or(text.len(), |k| from + k)
    }
    /// Classifies 64 bytes at a time into bit masks (SSE2 on x86_64), then walks each block's
    /// word starts (a non-space after a space) and ends (a space after a non-space) as set bits.
    /// The byte-by-byte scan ([`words_by_class`]) took a branch per byte and mispredicted one
    /// at each word's end: ~8% of the wikipedia stage's CPU (perf, the real dump x80). Finding
    /// each next bit from a position instead made every word wait on the last (issue 19).
    fn words(
        text: &[u8],
        masks: &mut Vec<[u64; 2]>,
        mut word: impl FnMut(usize, usize, bool, bool),
    ) {
        let n = text.len();
        masks.clear();
        let mut blocks = text.chunks_exact(64);
        for block in blocks.by_ref() {
            masks.push(block_masks(block.try_into().expect("64 bytes")));
        }
        let tail = blocks.remainder();
        if !tail.is_empty() {
            // Padded with spaces: the bits past the text are spaces, never a word's.
            let mut block = [b' '; 64];
            block[..tail.len()].copy_from_slice(tail);
            masks.push(block_masks(&block));
        }
        // One past the last non-space: the last word ends there.
        let Some(last_end) = masks.iter().enumerate().rev().find_map(|(k, &[space, _])| {
            (space != u64::MAX).then(|| k * 64 + 64 - (!space).leading_zeros() as usize)
        }) else {
            return;
        };
        let plain = |s: usize, e: usize| {
            let (first, last) = (s / 64, (e - 1) / 64);
            let low = u64::MAX << (s % 64);
            let high = u64::MAX >> (63 - (e - 1) % 64);
            if first == last {
                return masks[first][1] & low & high == 0;
            }
            masks[first][1] & low == 0
                && masks[first + 1..last].iter().all(|m| m[1] == 0)
                && masks[last][1] & high == 0
        };
        let mut start = None;
        // Whether the byte before the block is a non-space.
        let mut carry = 0;
        for (k, &[space, other]) in masks.iter().enumerate() {
            let before = (!space) << 1 | carry;
            let (mut starts, mut ends) = (!space & !before, space & before);
            carry = !space >> 63;
            // A word's start and end bits alternate; a word may end in a later block.
            loop {
                let s = match start.take() {
                    Some(s) => s,
                    None if starts == 0 => break,
                    None => {
                        let s = k * 64 + starts.trailing_zeros() as usize;
                        starts &= starts - 1;
                        s
                    }
                };
                if ends == 0 {
                    start = Some(s);
                    break;
                }
                let e = k * 64 + ends.trailing_zeros() as usize;
                ends &= ends - 1;
                // Most words start in the block they end in (`e - s` < 64 then): this block's
                // mask tells.
                let is_plain = match s.checked_sub(k * 64) {
                    Some(at) => (other >> at) & ((1u64 << (e - s)) - 1) == 0,
                    None => plain(s, e),
                };
                word(s, e, is_plain, e == last_end);
            }
        }
        // A word up to the end of a text of whole blocks has no space after it.
        if let Some(s) = start {
            word(s, n, plain(s, n), true);
        }
    }
}

/// Tokenises one sentence.
pub fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut spans = Vec::new();
    token_spans(&chars, &mut TokenScratch::default(), &mut spans);
    spans
        .into_iter()
        .map(|(s, e)| Token {
            text: chars[s..e].iter().collect(),
            char_start: s as u32,
            char_end: e as u32,
        })
        .collect()
}

/// Buffers [`token_spans`] reuses from one sentence to the next.
#[derive(Default)]
pub(crate) struct TokenScratch {
    /// A word's trailing punctuation, collected backwards.
    suffix: Vec<(usize, usize)>,
    /// The sentence's [`SPACE`] and [`OTHER`] bit masks, 64 bytes a block (ASCII only).
    masks: Vec<[u64; 2]>,
}

/// Token char spans of `chars`, appended to `out`.
pub(crate) fn token_spans<U: Unit>(
    chars: &[U],
    scratch: &mut TokenScratch,
    out: &mut Vec<(usize, usize)>,
) {
    let TokenScratch { suffix, masks } = scratch;
    U::words(chars, masks, |s, e, plain, last| {
        if plain {
            out.push((s, e));
        } else {
            split_word(chars, s, e, last, suffix, out);
        }
    });
}

/// Indices of [`SETS`], and bits of [`ASCII_SETS`].
const IN_LEADING: usize = 0;
const IN_TRAILING: usize = 1;
const IN_ALWAYS_SPLIT: usize = 2;
const IN_SPLIT_UNLESS_DIGITS: usize = 3;

/// The punctuation sets above, each at its index (placed by it, so the two cannot disagree).
const SETS: [&[char]; 4] = {
    let mut sets: [&[char]; 4] = [&[]; 4];
    sets[IN_LEADING] = LEADING;
    sets[IN_TRAILING] = TRAILING;
    sets[IN_ALWAYS_SPLIT] = ALWAYS_SPLIT;
    sets[IN_SPLIT_UNLESS_DIGITS] = SPLIT_UNLESS_DIGITS;
    sets
};

/// For each ASCII char, a bit per set of [`SETS`] that holds it: `split_word` asks these of
/// every char it peels or splits at, and comparing with each member of a set was ~2% of the
/// wikipedia stage's instructions (cachegrind, issue 19).
const ASCII_SETS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut k = 0;
    while k < SETS.len() {
        let mut i = 0;
        while i < SETS[k].len() {
            let c = SETS[k][i] as usize;
            if c < 128 {
                t[c] |= 1 << k;
            }
            i += 1;
        }
        k += 1;
    }
    t
};

/// `SETS[set].contains(&c)`: from [`ASCII_SETS`] for ASCII.
#[inline]
fn is_in(set: usize, c: char) -> bool {
    match ASCII_SETS.get(c as usize) {
        Some(&bits) => bits >> set & 1 == 1,
        None => SETS[set].contains(&c),
    }
}

/// Do `word`'s chars equal `pattern`?
#[inline]
fn word_is<U: Unit>(word: &[U], pattern: &[char]) -> bool {
    word.len() == pattern.len() && word.iter().zip(pattern).all(|(u, &c)| u.ch() == c)
}

fn is_clitic_word<U: Unit>(word: &[U]) -> bool {
    CLITICS.iter().any(|c| matches!(c.first(), Some('\'' | '’')) && word_is(word, c))
}

/// Out of line: the tokeniser's closure per word ([`token_spans`]) is then small enough to be
/// inlined into the word scan. With this inlined into it, it was a call per word: 1.7% of the
/// wikipedia stage's instructions (cachegrind, issue 19).
#[inline(never)]
fn split_word<U: Unit>(
    chars: &[U],
    mut s: usize,
    mut e: usize,
    last: bool,
    suffix: &mut Vec<(usize, usize)>,
    out: &mut Vec<(usize, usize)>,
) {
    // Leading punctuation.
    while s < e && is_in(IN_LEADING, chars[s].ch()) && !is_clitic_word(&chars[s..e]) {
        out.push((s, s + 1));
        s += 1;
    }
    // Trailing punctuation, collected backwards.
    suffix.clear();
    let mut peeled_period = false;
    while e > s {
        let c = chars[e - 1].ch();
        if c == '.' {
            let run = chars[s..e].iter().rev().take_while(|u| u.ch() == '.').count();
            if run >= 2 {
                // Ellipsis `...` is one token wherever it is.
                suffix.push((e - run, e));
                e -= run;
                continue;
            }
            if last && !peeled_period && e - s > 1 && !is_dotted_abbreviation(&chars[s..e]) {
                suffix.push((e - 1, e));
                e -= 1;
                peeled_period = true;
                continue;
            }
            break;
        }
        if is_in(IN_TRAILING, c) && !is_clitic_word(&chars[s..e]) {
            suffix.push((e - 1, e));
            e -= 1;
            continue;
        }
        break;
    }
    // Clitic: every one has an apostrophe among its last three chars, which most words lack.
    let mut clitic = None;
    let tail = &chars[e.saturating_sub(3).max(s)..e];
    let clitics = if tail.iter().any(|u| matches!(u.ch(), '\'' | '’')) { CLITICS } else { &[] };
    for c in clitics {
        let n = c.len();
        if e - s > n && word_is(&chars[e - n..e], c) {
            clitic = Some((e - n, e));
            e -= n;
            break;
        }
    }
    // Inside the word.
    let mut piece = s;
    for k in s..e {
        let c = chars[k].ch();
        // No split character is an ASCII letter or digit: most chars are decided by one test.
        let split = !c.is_ascii_alphanumeric()
            && (is_in(IN_ALWAYS_SPLIT, c)
                || (is_in(IN_SPLIT_UNLESS_DIGITS, c)
                    && !(k > s
                        && k + 1 < e
                        && chars[k - 1].ch().is_ascii_digit()
                        && chars[k + 1].ch().is_ascii_digit())));
        if split {
            if piece < k {
                out.push((piece, k));
            }
            out.push((k, k + 1));
            piece = k + 1;
        }
    }
    if piece < e {
        out.push((piece, e));
    }
    out.extend(clitic);
    out.extend(suffix.drain(..).rev());
}

/// `U.S.`, `e.g.`, `Ph.D.`: letters with an inner period, ending in a period.
fn is_dotted_abbreviation<U: Unit>(word: &[U]) -> bool {
    let inner = &word[..word.len() - 1];
    inner.iter().any(|u| u.ch() == '.')
        && inner.iter().all(|u| u.ch().is_alphabetic() || u.ch() == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ASCII table answers what each set's members do, for every char up to U+3000 (the
    /// sets' non-ASCII members included).
    #[test]
    fn is_in_is_membership() {
        for (k, set) in SETS.iter().enumerate() {
            for c in (0..0x3000).filter_map(char::from_u32) {
                assert_eq!(is_in(k, c), set.contains(&c), "set {k}, {c:?}");
            }
        }
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("words", "a b  c", &["a", "b", "c"]),
            ("final period", "It rained.", &["It", "rained", "."]),
            ("comma", "Paris, France", &["Paris", ",", "France"]),
            ("semicolon colon", "a; b: c", &["a", ";", "b", ":", "c"]),
            ("brackets", "(a) [b] {c}", &["(", "a", ")", "[", "b", "]", "{", "c", "}"]),
            ("quotes", "\"Don Quijote\" said", &["\"", "Don", "Quijote", "\"", "said"]),
            ("single quotes", "'word' x", &["'", "word", "'", "x"]),
            ("abbreviation kept", "Dr. Smith met him.", &["Dr.", "Smith", "met", "him", "."]),
            ("US mid", "the U.S. Army", &["the", "U.S.", "Army"]),
            ("US final", "in the U.S.", &["in", "the", "U.S."]),
            ("decimal", "about 3.14 m", &["about", "3.14", "m"]),
            ("thousands", "1,000 people", &["1,000", "people"]),
            ("time", "at 10:30 today", &["at", "10:30", "today"]),
            ("hyphen", "a well-known man", &["a", "well-known", "man"]),
            ("year range", "1999–2000 season", &["1999–2000", "season"]),
            ("em dash between words", "word—word", &["word", "—", "word"]),
            ("en dash compound", "human–computer", &["human–computer"]),
            ("possessive", "Obama's wife", &["Obama", "'s", "wife"]),
            ("possessive curly", "Obama’s wife", &["Obama", "’s", "wife"]),
            ("plural possessive", "players' union", &["players", "'", "union"]),
            ("negation", "don't go", &["do", "n't", "go"]),
            ("inner apostrophe", "Coeur d'Alene", &["Coeur", "d'Alene"]),
            ("clitic alone", "Obama 's", &["Obama", "'s"]),
            ("question", "Why? No!", &["Why", "?", "No", "!"]),
            ("quote after period", "He said \"go.\"", &["He", "said", "\"", "go", ".", "\""]),
            ("bracket after period", "(see above.)", &["(", "see", "above", ".", ")"]),
            ("ellipsis", "wait... then", &["wait", "...", "then"]),
            ("inner bracket", "word(s) here", &["word", "(", "s", ")", "here"]),
            ("slash kept", "and/or", &["and/or"]),
            ("lone period", ".", &["."]),
            ("empty", "", &[]),
        ];
        for &(name, input, want) in cases {
            let got: Vec<String> = tokenize(input).into_iter().map(|t| t.text).collect();
            assert_eq!(got, want, "case {name}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 3000, failure_persistence: None, ..Default::default()
        })]
        /// ASCII text walked as bytes splits and tokenises exactly as walked as chars (the
        /// stage takes the byte path for ASCII paragraphs).
        #[test]
        fn ascii_bytes_split_and_tokenise_as_chars(
            text in "([ \t\n\x0b\x0c\r.,;:!?'\"()\\[\\]{}\\-A-Za-z0-9@/`~|_]|Dr\\.|U\\.S\\.|n't|'s|\\.\\.\\.){0,80}"
        ) {
            let chars: Vec<char> = text.chars().collect();
            let bytes = text.as_bytes();
            proptest::prop_assert_eq!(
                crate::sentences::split_chars(bytes),
                crate::sentences::split_chars(&chars)
            );
            let (mut from_bytes, mut from_chars) = (Vec::new(), Vec::new());
            token_spans(bytes, &mut TokenScratch::default(), &mut from_bytes);
            token_spans(&chars, &mut TokenScratch::default(), &mut from_chars);
            proptest::prop_assert_eq!(from_bytes, from_chars);
        }
    }

    /// Words at and across the 64-byte block edges, a word over three blocks, texts of whole
    /// blocks ending in a word or in spaces, only spaces: the byte path finds the char path's
    /// tokens.
    #[test]
    fn ascii_words_across_block_edges() {
        let mut texts = vec![" ".repeat(64), " ".repeat(130), "x".repeat(150), String::new()];
        for n in [62, 63, 64, 65, 127, 128, 129, 192] {
            for (word, gap) in [("ab", " "), ("a.b,", "  "), ("word", "\t")] {
                let mut t = String::new();
                while t.len() < n {
                    t.push_str(word);
                    t.push_str(gap);
                }
                t.truncate(n);
                texts.push(t.clone());
                texts.push(format!("{}{t}", " ".repeat(70)));
                texts.push(format!("{}{}", &t[..n - 1], "z"));
            }
        }
        texts.push(format!("{}x{}y, z", " ".repeat(63), "q".repeat(64)));
        for text in &texts {
            let chars: Vec<char> = text.chars().collect();
            let (mut from_bytes, mut from_chars) = (Vec::new(), Vec::new());
            token_spans(text.as_bytes(), &mut TokenScratch::default(), &mut from_bytes);
            token_spans(&chars, &mut TokenScratch::default(), &mut from_chars);
            assert_eq!(from_bytes, from_chars, "{text:?}");
        }
    }

    /// The SIMD masks are the byte-by-byte ones for every ASCII byte at every position of a
    /// block, among neighbours of every class.
    #[test]
    fn block_masks_classify_every_ascii_byte_at_every_position() {
        let fill: [u8; 3] = [b'a', b' ', b','];
        for b in 0..128u8 {
            for at in 0..64 {
                for f in fill {
                    let mut block = [f; 64];
                    block[at] = b;
                    assert_eq!(block_masks(&block), block_masks_by_class(&block), "{b} at {at}");
                }
            }
        }
    }

    /// Every char's class is what its definition says (std's `is_ascii_alphanumeric` and
    /// `is_whitespace`), and an ASCII byte's is its char's.
    #[test]
    fn classes_follow_std_for_every_char() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let want = if c.is_ascii_alphanumeric() {
                ALNUM
            } else if c.is_whitespace() {
                SPACE
            } else {
                OTHER
            };
            assert_eq!(c.class(), want, "{c:?}");
            if let Some(b) = u8::try_from(c).ok().filter(u8::is_ascii) {
                assert_eq!(b.class(), want, "byte {b}");
            }
        }
    }

    /// `find_any` over chars finds what a plain search finds, for sets of one to five chars (the
    /// four-at-most block path and the other), from every start, with the first member at every
    /// position around the 16-char blocks.
    #[test]
    fn find_any_over_chars_matches_a_plain_search() {
        let sets: [&[char]; 4] =
            [&['.'], &['.', '…'], &['.', '!', '?', '…'], &['.', '!', '?', '…', 'x']];
        for set in sets {
            for len in [0, 1, 15, 16, 17, 33, 48] {
                for at in (0..len).map(Some).chain([None]) {
                    let mut text = vec!['é'; len];
                    if let Some(at) = at {
                        text[at] = *set.last().unwrap();
                    }
                    for from in 0..=len {
                        let want = text[from..]
                            .iter()
                            .position(|c| set.contains(c))
                            .map_or(len, |k| from + k);
                        assert_eq!(
                            char::find_any(&text, from, set),
                            want,
                            "{set:?} {len} {at:?} {from}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn offsets_match_text() {
        let text = "Über \"naïve\" café's 3.14, ok.";
        let chars: Vec<char> = text.chars().collect();
        for t in tokenize(text) {
            let slice: String = chars[t.char_start as usize..t.char_end as usize].iter().collect();
            assert_eq!(slice, t.text);
        }
    }
}
