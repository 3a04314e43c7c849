//! Name matching: finds English labels and aliases of Wikidata items in a sentence.
//!
//! Built once from `(qid, name)` pairs, then queried per sentence. Memory is what limits this at
//! full scale (7.1M enwiki items carry ~15-20M names), so the names live in one finite state
//! transducer (`fst::Map`: sorted keys share prefixes *and* suffixes, a few bytes per name) that
//! maps each distinct normalised name to its id; the items carrying each name are one slice of
//! a flat [`Qid`] array (CSR layout).
//! The builder holds every name once in a string arena with 12 bytes per (name, qid) pair and
//! sorts those in place: no hash map of names, so building needs little more than the input.
//! (An Aho-Corasick automaton over that many names needs gigabytes and overflows its state ids;
//! see DESIGN.md.)
//!
//! Matching follows the project's reference matcher: greedy from left to right, longest name
//! first, only on token boundaries, never inside excluded (anchor) spans. From each token start
//! it walks the transducer byte by byte along the sentence and keeps the longest name that ends
//! on a token end, so a shorter name that ends on a boundary wins over a longer one that ends
//! inside a token ("Paris" in "Paris Hilton" when only "Paris H" and "Paris" are names).

use std::fmt;

use fst::raw::Output;
use schemas::Qid;

use crate::normalize::{fold, fold_with_offsets};

/// How names and sentences are compared. Both sides are normalised the same way, one char for
/// one char, so offsets never move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Normalization {
    /// Exact case (the default): the project's gold fixture assumes case-sensitive matching, and
    /// folding case turns common words into matches of names ("Will", "May", "Bush").
    pub case_sensitive: bool,
    /// Fold typographic apostrophes/quotes/hyphens and no-break spaces to ASCII (default on):
    /// Wikidata writes "O'Brien" where the article may have "O’Brien".
    pub fold_punctuation: bool,
}

impl Default for Normalization {
    fn default() -> Self {
        Self { case_sensitive: true, fold_punctuation: true }
    }
}

/// Why an index could not be built.
#[derive(Debug)]
pub enum NameIndexError {
    /// More distinct names, qids or (name, qid) pairs than a `u32` can number.
    TooLarge(&'static str),
    /// The transducer could not be built.
    Fst(fst::Error),
}

impl fmt::Display for NameIndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge(what) => write!(f, "too many {what} for a u32-indexed name index"),
            Self::Fst(e) => write!(f, "building the name transducer failed: {e}"),
        }
    }
}

impl std::error::Error for NameIndexError {}

/// Collects `(qid, name)` pairs; [`NameIndexBuilder::build`] turns them into a [`NameIndex`].
#[derive(Debug, Default)]
pub struct NameIndexBuilder {
    norm: Normalization,
    keep_numeric: bool,
    /// Every indexed name, normalised, back to back (duplicates included).
    names: String,
    /// (byte offset of the name in `names`, its byte length, the item).
    pairs: Vec<(u32, u32, Qid)>,
    overflow: Option<&'static str>,
}

impl NameIndexBuilder {
    /// An empty builder with the given normalisation.
    pub fn new(norm: Normalization) -> Self {
        Self { norm, ..Self::default() }
    }

    /// Also index names made only of digits and punctuation ("1998", "305"). Off by default:
    /// such names are mostly years and counts, which are not entity mentions in running text.
    pub fn keep_numeric_names(mut self, keep: bool) -> Self {
        self.keep_numeric = keep;
        self
    }

    /// Adds one name of one item. Names shorter than 2 chars (after trimming) and names made only
    /// of digits/punctuation (unless [`Self::keep_numeric_names`]) are skipped; duplicates are
    /// merged. Returns whether the name was indexed.
    pub fn add(&mut self, qid: Qid, name: &str) -> bool {
        let key = fold(name.trim(), !self.norm.case_sensitive, self.norm.fold_punctuation);
        if !indexable(&key, self.keep_numeric) {
            return false;
        }
        // The name's end fits a u32, so its offset and length do too.
        if u32::try_from(self.names.len() + key.len()).is_err() {
            self.overflow = Some("name bytes");
            return false;
        }
        let (off, len) = (self.names.len() as u32, key.len() as u32);
        self.names.push_str(&key);
        self.pairs.push((off, len, qid));
        true
    }

    /// Approximate heap bytes the builder holds now.
    pub fn heap_bytes(&self) -> usize {
        self.names.capacity() + self.pairs.capacity() * 12
    }

    /// Number of (name, qid) pairs added so far.
    pub fn pair_count(&self) -> usize {
        self.pairs.len()
    }

    /// Builds the transducer and the name -> qids table.
    pub fn build(self) -> Result<NameIndex, NameIndexError> {
        if let Some(what) = self.overflow {
            return Err(NameIndexError::TooLarge(what));
        }
        let Self { norm, names, mut pairs, .. } = self;
        let name = |p: &(u32, u32, Qid)| &names.as_bytes()[p.0 as usize..(p.0 + p.1) as usize];
        pairs.sort_unstable_by(|a, b| name(a).cmp(name(b)).then(a.2.cmp(&b.2)));
        let mut map = fst::MapBuilder::memory();
        let mut name_offsets: Vec<u32> = vec![0];
        let mut name_qids: Vec<Qid> = Vec::with_capacity(pairs.len());
        let mut prev: Option<(&[u8], Qid)> = None;
        for p in &pairs {
            let n = name(p);
            match prev {
                Some((pn, pq)) if pn == n => {
                    if pq != p.2 {
                        name_qids.push(p.2);
                    }
                }
                _ => {
                    if prev.is_some() {
                        name_offsets.push(name_qids.len() as u32);
                    }
                    let id = name_offsets.len() as u64 - 1;
                    map.insert(n, id).map_err(NameIndexError::Fst)?;
                    name_qids.push(p.2);
                }
            }
            prev = Some((n, p.2));
        }
        if prev.is_some() {
            name_offsets.push(name_qids.len() as u32);
        }
        if u32::try_from(name_qids.len()).is_err() {
            return Err(NameIndexError::TooLarge("(name, qid) pairs"));
        }
        drop(pairs);
        let bytes = map.into_inner().map_err(NameIndexError::Fst)?;
        let map = fst::Map::new(bytes).map_err(NameIndexError::Fst)?;
        name_qids.shrink_to_fit();
        Ok(NameIndex { norm, map, name_offsets, name_qids })
    }
}

/// Whether a normalised name is worth a pattern.
fn indexable(name: &str, keep_numeric: bool) -> bool {
    let mut chars = name.chars();
    if chars.next().is_none() || chars.next().is_none() {
        return false;
    }
    if keep_numeric {
        name.chars().any(char::is_alphanumeric)
    } else {
        name.chars().any(char::is_alphabetic)
    }
}

/// One name occurrence in a sentence. Offsets are chars of the sentence text (end-exclusive);
/// token indices are positions in the caller's token slice (end-exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameMatch {
    pub char_start: u32,
    pub char_end: u32,
    pub token_start: u32,
    pub token_end: u32,
    /// The matched name's id; [`NameIndex::candidates`] gives the items that carry it.
    pub name: u32,
}

/// Labels and aliases of Wikidata items, ready to be matched in sentences.
#[derive(Debug, Clone)]
pub struct NameIndex {
    norm: Normalization,
    /// Normalised name -> name id.
    map: fst::Map<Vec<u8>>,
    name_offsets: Vec<u32>,
    name_qids: Vec<Qid>,
}

impl NameIndex {
    /// Builds an index from `(qid, name)` pairs in one go.
    pub fn from_pairs<N, I>(pairs: I, norm: Normalization) -> Result<Self, NameIndexError>
    where
        N: AsRef<str>,
        I: IntoIterator<Item = (Qid, N)>,
    {
        let mut b = NameIndexBuilder::new(norm);
        for (q, n) in pairs {
            b.add(q, n.as_ref());
        }
        b.build()
    }

    /// The normalisation the index was built with (sentences are normalised the same way).
    pub fn normalization(&self) -> Normalization {
        self.norm
    }

    /// Number of distinct (normalised) names.
    pub fn name_count(&self) -> usize {
        self.name_offsets.len().saturating_sub(1)
    }

    /// Number of distinct items (counted on demand: for stats and tests).
    pub fn item_count(&self) -> usize {
        let mut items = self.name_qids.clone();
        items.sort_unstable();
        items.dedup();
        items.len()
    }

    /// Approximate heap bytes held by the index (transducer included).
    pub fn heap_bytes(&self) -> usize {
        self.map.as_fst().size() + self.name_offsets.capacity() * 4 + self.name_qids.capacity() * 4
    }

    /// The qids carrying name `name` (empty for an unknown id). More than one means ambiguous.
    pub fn candidates(&self, name: u32) -> impl Iterator<Item = Qid> + '_ {
        let i = name as usize;
        let range = match (self.name_offsets.get(i), self.name_offsets.get(i + 1)) {
            (Some(&s), Some(&e)) if s <= e => s as usize..e as usize,
            _ => 0..0,
        };
        self.name_qids.get(range).unwrap_or(&[]).iter().copied()
    }

    /// Number of items carrying name `name`.
    pub fn candidate_count(&self, name: u32) -> usize {
        let i = name as usize;
        match (self.name_offsets.get(i), self.name_offsets.get(i + 1)) {
            (Some(&s), Some(&e)) => e.saturating_sub(s) as usize,
            _ => 0,
        }
    }

    /// All name occurrences in `text` on token boundaries, greedy from left to right, longest
    /// first. Same as [`Self::find_with`] with [`Boundary::Token`].
    pub fn find(
        &self,
        text: &str,
        tokens: &[(u32, u32)],
        excluded: &[(u32, u32)],
    ) -> Vec<NameMatch> {
        self.find_with(text, tokens, excluded, Boundary::Token)
    }

    /// All name occurrences in `text`, greedy from left to right, longest first.
    ///
    /// `tokens` are the char spans `[start, end)` of the sentence's tokens. With
    /// [`Boundary::Token`] a match starts at a token start and ends at a token end; with
    /// [`Boundary::Word`] it only must not cut a run of letters/digits, and its token indices are
    /// those of the tokens it overlaps. `excluded` are char spans (anchors) that no match may
    /// touch. Ambiguous names are returned too (and still consume their text: a shorter name
    /// inside an ambiguous longer one is not tried), the caller decides what they mean. Spans that
    /// are empty, reversed or out of the text are ignored.
    pub fn find_with(
        &self,
        text: &str,
        tokens: &[(u32, u32)],
        excluded: &[(u32, u32)],
        boundary: Boundary,
    ) -> Vec<NameMatch> {
        let mut out = Vec::new();
        if self.map.is_empty() {
            return out;
        }
        let fst = self.map.as_fst();
        let (hay, byte_at) =
            fold_with_offsets(text, !self.norm.case_sensitive, self.norm.fold_punctuation);
        let n_chars = byte_at.len() - 1;
        let hay_bytes = hay.as_bytes();

        // Valid tokens in text order, with their index in the caller's slice.
        let mut toks: Vec<(usize, usize, u32)> = tokens
            .iter()
            .enumerate()
            .filter_map(|(i, &(s, e))| {
                let (s, e) = (s as usize, e as usize);
                let i = u32::try_from(i).ok()?;
                (s < e && e <= n_chars).then_some((s, e, i))
            })
            .collect();
        toks.sort_unstable();

        // Where a match may start and end.
        let mut is_start = vec![false; n_chars + 1];
        let mut is_end = vec![false; n_chars + 1];
        match boundary {
            Boundary::Token => {
                for &(s, e, _) in &toks {
                    is_start[s] = true;
                    is_end[e] = true;
                }
            }
            Boundary::Word => {
                let chars: Vec<char> = hay.chars().collect();
                let word = |c: char| c.is_alphanumeric() || c == '_';
                for (p, &c) in chars.iter().enumerate() {
                    let joined_left = p > 0 && word(chars[p - 1]) && word(c);
                    is_start[p] = !c.is_whitespace() && !joined_left;
                    let joined_right = chars.get(p + 1).is_some_and(|&d| word(c) && word(d));
                    is_end[p + 1] = !c.is_whitespace() && !joined_right;
                }
            }
        }

        // Chars inside an excluded span, and the next excluded start at or after each char.
        let mut blocked = vec![false; n_chars + 1];
        let mut next_block = vec![n_chars; n_chars + 1];
        for &(s, e) in excluded {
            let (s, e) = (s as usize, (e as usize).min(n_chars));
            if s >= e {
                continue;
            }
            blocked[s..e].iter_mut().for_each(|b| *b = true);
            next_block[s] = next_block[s].min(s);
        }
        for c in (0..n_chars).rev() {
            next_block[c] = next_block[c].min(next_block[c + 1]);
        }

        let mut s = 0usize;
        while s < n_chars {
            if !is_start[s] || blocked[s] {
                s += 1;
                continue;
            }
            // Walk the transducer from here up to the next excluded span; the longest name
            // that ends on a boundary wins.
            let limit = next_block[s];
            let mut matched = None;
            let mut node = fst.root();
            let mut acc = Output::zero();
            let mut c = s;
            for (b, &byte) in hay_bytes.iter().enumerate().take(byte_at[limit]).skip(byte_at[s]) {
                let Some(i) = node.find_input(byte) else { break };
                let t = node.transition(i);
                acc = acc.cat(t.out);
                node = fst.node(t.addr);
                if b + 1 == byte_at[c + 1] {
                    c += 1;
                    if node.is_final() && is_end[c] {
                        matched = Some((c, acc.cat(node.final_output()).value() as u32));
                    }
                }
            }
            let Some((e, name)) = matched else {
                s += 1;
                continue;
            };
            // Tokens overlapping [s, e): first ending after s, last starting before e.
            let first = toks.partition_point(|t| t.1 <= s);
            let last = toks.partition_point(|t| t.0 < e);
            let (token_start, token_end) = match (toks.get(first), last.checked_sub(1)) {
                (Some(a), Some(b)) if first < last => {
                    (a.2, toks.get(b).map_or(a.2, |t| t.2).saturating_add(1))
                }
                _ => (0, 0),
            };
            out.push(NameMatch {
                char_start: s as u32,
                char_end: e as u32,
                token_start,
                token_end,
                name,
            });
            s = e;
        }
        out
    }
}

/// Where a name match may begin and end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Boundary {
    /// At token starts and token ends (the default): a mention is whole tokens.
    #[default]
    Token,
    /// Anywhere that does not split a run of letters/digits, like a regex `\b` on word
    /// characters: also finds "Dijon" in "Asnières-lès-Dijon" and "Savannah" in
    /// "Savannah/Hilton", which the tokenizer keeps inside one token.
    Word,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Char spans of whitespace-separated words with `,`/`.`/`'s` split off (test tokenizer).
    fn spans(text: &str) -> Vec<(u32, u32)> {
        let chars: Vec<char> = text.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == ' ' {
                i += 1;
                continue;
            }
            let s = i;
            if matches!(chars[i], ',' | '.') {
                out.push((s as u32, s as u32 + 1));
                i += 1;
                continue;
            }
            while i < chars.len() && !matches!(chars[i], ' ' | ',' | '.') {
                if chars[i] == '\'' && i > s {
                    break;
                }
                i += 1;
            }
            out.push((s as u32, i as u32));
        }
        out
    }

    fn index(pairs: &[(&str, &str)], case_sensitive: bool) -> NameIndex {
        NameIndex::from_pairs(
            pairs.iter().map(|&(q, n)| (q.parse::<Qid>().expect("test qid"), n)),
            Normalization { case_sensitive, ..Normalization::default() },
        )
        .expect("index builds")
    }

    /// `(surface, candidates)` of every match.
    fn run(idx: &NameIndex, text: &str, excluded: &[(u32, u32)]) -> Vec<(String, Vec<String>)> {
        let chars: Vec<char> = text.chars().collect();
        idx.find(text, &spans(text), excluded)
            .into_iter()
            .map(|m| {
                let surface = chars[m.char_start as usize..m.char_end as usize].iter().collect();
                let mut c: Vec<String> = idx.candidates(m.name).map(|q| q.to_string()).collect();
                c.sort();
                (surface, c)
            })
            .collect()
    }

    const KB: &[(&str, &str)] = &[
        ("Q1", "New York"),
        ("Q2", "New York City"),
        ("Q3", "York"),
        ("Q4", "Paris"),
        ("Q5", "Paris H"),
        ("Q6", "Georgia"),
        ("Q7", "Georgia"),
        ("Q8", "film"),
        ("Q9", "Obama"),
        ("Q10", "Kent"),
        ("Q11", "O'Brien"),
        ("Q12", "1998"),
        ("Q13", "X"),
    ];

    #[test]
    fn repeated_qids_and_pairs_merge() {
        // Q1 comes back after Q2: still one item; the repeated (name, qid) pair counts once.
        let idx = index(&[("Q1", "Alpha"), ("Q2", "Beta"), ("Q1", "Gamma"), ("Q1", "Alpha")], true);
        assert_eq!(idx.item_count(), 2);
        assert_eq!(idx.name_count(), 3);
        assert_eq!(
            run(&idx, "Alpha and Gamma", &[]),
            vec![
                ("Alpha".to_string(), vec!["Q1".to_string()]),
                ("Gamma".to_string(), vec!["Q1".to_string()]),
            ]
        );
        let idx = index(&[("Q7", "Georgia"), ("Q6", "Georgia"), ("Q7", "Georgia")], true);
        assert_eq!(
            run(&idx, "Georgia", &[]),
            vec![("Georgia".to_string(), vec!["Q6".into(), "Q7".into()])]
        );
    }

    #[test]
    fn matching_cases() {
        let idx = index(KB, true);
        type Case = (
            &'static str,
            &'static str,
            &'static [(u32, u32)],
            &'static [(&'static str, &'static [&'static str])],
        );
        let cases: &[Case] = &[
            (
                "longest wins",
                "He moved to New York City in 1990.",
                &[],
                &[("New York City", &["Q2"])],
            ),
            ("leftmost wins", "New York is big.", &[], &[("New York", &["Q1"])]),
            (
                "shorter name when longest ends mid-token",
                "Paris Hilton was there.",
                &[],
                &[("Paris", &["Q4"])],
            ),
            ("no match inside a token", "Kentucky and Yorkshire", &[], &[]),
            ("clitic split keeps boundary", "Obama's speech", &[], &[("Obama", &["Q9"])]),
            (
                "ambiguous returned with all candidates",
                "Georgia",
                &[],
                &[("Georgia", &["Q6", "Q7"])],
            ),
            ("case sensitive by default", "new york and Film", &[], &[]),
            ("lower-case names match as written", "a film", &[], &[("film", &["Q8"])]),
            ("curly apostrophe folded", "O\u{2019}Brien", &[], &[("O\u{2019}Brien", &["Q11"])]),
            ("numbers and one-char names not indexed", "In 1998 X won.", &[], &[]),
            ("anchor excluded", "New York and Paris", &[(0, 8)], &[("Paris", &["Q4"])]),
            (
                "match may not run into an anchor",
                "New York City",
                &[(9, 13)],
                &[("New York", &["Q1"])],
            ),
            ("match right after anchor", "New York", &[(0, 3)], &[("York", &["Q3"])]),
            (
                "reversed and out-of-range spans ignored",
                "Paris",
                &[(3, 1), (40, 50)],
                &[("Paris", &["Q4"])],
            ),
        ];
        for (name, text, excluded, want) in cases {
            let got = run(&idx, text, excluded);
            let want: Vec<(String, Vec<String>)> = want
                .iter()
                .map(|(s, c)| (s.to_string(), c.iter().map(|q| q.to_string()).collect()))
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn word_boundaries_option() {
        let idx = index(&[("Q7003", "Dijon"), ("Q83813", "Savannah"), ("Q1", "Anđelka")], true);
        let cases: &[(&str, &str, Boundary, &[&str])] = &[
            ("hyphenated token, token mode", "Asnières-lès-Dijon is", Boundary::Token, &[]),
            ("hyphenated token, word mode", "Asnières-lès-Dijon is", Boundary::Word, &["Dijon"]),
            ("slash", "ESPN Savannah/Hilton Head", Boundary::Word, &["Savannah"]),
            ("abbreviation period", "in Anđelka., Prva", Boundary::Word, &["Anđelka"]),
            ("never inside a word", "Dijonnais Savannahs", Boundary::Word, &[]),
        ];
        for (name, text, boundary, want) in cases {
            let chars: Vec<char> = text.chars().collect();
            let toks: Vec<(u32, u32)> = text
                .split(' ')
                .scan(0u32, |pos, w| {
                    let s = *pos;
                    *pos += w.chars().count() as u32 + 1;
                    Some((s, s + w.chars().count() as u32))
                })
                .collect();
            let got: Vec<String> = idx
                .find_with(text, &toks, &[], *boundary)
                .iter()
                .map(|m| chars[m.char_start as usize..m.char_end as usize].iter().collect())
                .collect();
            assert_eq!(got, *want, "{name}");
        }
        let m = idx.find_with("x Asnières-lès-Dijon", &[(0, 1), (2, 20)], &[], Boundary::Word);
        assert_eq!((m[0].token_start, m[0].token_end), (1, 2));
    }

    #[test]
    fn case_insensitive_option() {
        let idx = index(KB, false);
        let got = run(&idx, "new york and FILM", &[]);
        assert_eq!(
            got,
            vec![
                ("new york".to_string(), vec!["Q1".to_string()]),
                ("FILM".to_string(), vec!["Q8".to_string()])
            ]
        );
    }

    #[test]
    fn numeric_names_on_request() {
        let mut b = NameIndexBuilder::new(Normalization::default()).keep_numeric_names(true);
        assert!(b.add(Qid::new(12), "1998"));
        assert!(!b.add(Qid::new(13), "X"));
        assert!(!b.add(Qid::new(14), "--"));
        let idx = b.build().expect("builds");
        assert_eq!(run(&idx, "In 1998 X won.", &[]), vec![("1998".into(), vec!["Q12".into()])]);
    }

    #[test]
    fn token_indices_and_offsets() {
        let idx = index(KB, true);
        let text = "Née in New York City.";
        let m = idx.find(text, &spans(text), &[]);
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].char_start, m[0].char_end, m[0].token_start, m[0].token_end),
            (7, 20, 2, 5)
        );
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let idx = index(KB, true);
        assert!(idx.find("", &[], &[]).is_empty());
        assert!(idx.find("Paris", &[(0, 99), (5, 5), (u32::MAX, 0)], &[(0, u32::MAX)]).is_empty());
        let empty = index(&[], true);
        assert!(empty.find("Paris", &[(0, 5)], &[]).is_empty());
        assert_eq!(empty.candidates(7).count(), 0);
        assert_eq!(idx.item_count(), 11, "names that are not indexed do not intern their qid");
        assert!(idx.heap_bytes() > 0);
    }
}
