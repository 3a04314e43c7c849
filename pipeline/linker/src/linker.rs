//! The per-sentence entry point: name matching, detector spans and disambiguation together.
//!
//! How they combine (see DESIGN.md): the name matcher runs over the sentence's unlinked text and
//! proposes every name occurrence (greedy left to right, longest first, token-aligned, never
//! touching an anchor); each proposal is resolved to one item or dropped as ambiguous. The
//! detector types the kept mentions, and, with `require_detector_span`, also filters them: a
//! match is then kept only if it lies inside (or equals) a detector span or its surface starts
//! with an upper-case letter.

use std::fmt;

use crate::detector::{detect, EntityType, Span};
use crate::disambiguate::{resolve, PageContext, Prior, PriorThresholds, Resolution};
use crate::names::{Boundary, NameIndex, NameIndexBuilder, NameIndexError, Normalization};
use schemas::Qid;

/// Switches of the linker.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkOptions {
    /// Keep a name match only if it lies inside a detector span or starts with an upper-case
    /// letter. Off by default: the project's reference matcher (and its gold fixture) links
    /// lower-case labels too ("tennis", "visual novel"), which are 13% of its unanchored
    /// mentions and are never capitalised, so the filter would cap recall near 87%.
    pub require_detector_span: bool,
    /// Exact-case matching (default). Must agree with the [`NameIndex`]'s normalisation.
    pub case_sensitive: bool,
    /// Anchor-prior rule: the top candidate's minimum share of the surface's links (0.5).
    pub min_prior_share: f64,
    /// Anchor-prior rule: the top candidate's minimum number of links (2).
    pub min_prior_count: u32,
    /// Index names made only of digits/punctuation ("1998") when building through
    /// [`Linker::from_names`]. Off by default (years are rarely entity mentions).
    pub index_numeric_names: bool,
    /// Where a name may begin and end: whole tokens (default) or word boundaries, which also
    /// match names glued to punctuation inside one token ("Asnières-lès-Dijon").
    pub boundary: Boundary,
    /// Resolve ambiguous names with the page and the prior (default). Off: an ambiguous name is
    /// never linked, as in the project's reference matcher.
    pub disambiguate: bool,
}

impl Default for LinkOptions {
    fn default() -> Self {
        Self {
            require_detector_span: false,
            case_sensitive: true,
            min_prior_share: 0.5,
            min_prior_count: 2,
            index_numeric_names: false,
            boundary: Boundary::Token,
            disambiguate: true,
        }
    }
}

impl LinkOptions {
    fn thresholds(&self) -> PriorThresholds {
        PriorThresholds { min_share: self.min_prior_share, min_count: self.min_prior_count }
    }
}

/// Why a linker could not be set up.
#[derive(Debug)]
pub enum LinkerError {
    /// The name index could not be built.
    Names(NameIndexError),
    /// `LinkOptions::case_sensitive` disagrees with the index it was given.
    NormalizationMismatch { index_case_sensitive: bool },
}

impl fmt::Display for LinkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Names(e) => e.fmt(f),
            Self::NormalizationMismatch { index_case_sensitive } => write!(
                f,
                "the name index is case-{} but the options ask otherwise",
                if *index_case_sensitive { "sensitive" } else { "insensitive" }
            ),
        }
    }
}

impl std::error::Error for LinkerError {}

impl From<NameIndexError> for LinkerError {
    fn from(e: NameIndexError) -> Self {
        Self::Names(e)
    }
}

/// One sentence: text, tokens with char spans (code points, end-exclusive) and the char spans
/// of its anchors, which are linked already and excluded from matching. `tokens`,
/// `token_starts` and `token_ends` are parallel; extra entries of a longer one are ignored.
#[derive(Debug, Clone, Copy)]
pub struct SentenceInput<'a> {
    pub text: &'a str,
    pub tokens: &'a [String],
    pub token_starts: &'a [u32],
    pub token_ends: &'a [u32],
    pub anchor_spans: &'a [(u32, u32)],
}

/// A linked mention without an anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub qid: Qid,
    pub char_start: u32,
    pub char_end: u32,
    pub token_start: u32,
    pub token_end: u32,
    pub surface: String,
    /// Type of the detector span the mention lies in, if any.
    pub detector_type: Option<EntityType>,
    pub how: Resolution,
}

/// Names, anchor prior and options: everything needed to link sentences. Immutable and `Sync`,
/// so one linker can serve all worker threads.
#[derive(Debug, Clone)]
pub struct Linker {
    names: NameIndex,
    prior: Prior,
    opts: LinkOptions,
}

impl Linker {
    /// A linker over a prebuilt index; fails if the index's case handling differs from `opts`.
    pub fn new(names: NameIndex, prior: Prior, opts: LinkOptions) -> Result<Self, LinkerError> {
        let index_case_sensitive = names.normalization().case_sensitive;
        if index_case_sensitive != opts.case_sensitive {
            return Err(LinkerError::NormalizationMismatch { index_case_sensitive });
        }
        Ok(Self { names, prior, opts })
    }

    /// Builds the name index from `(qid, name)` pairs with the normalisation `opts` asks for.
    pub fn from_names<N, I>(pairs: I, prior: Prior, opts: LinkOptions) -> Result<Self, LinkerError>
    where
        N: AsRef<str>,
        I: IntoIterator<Item = (Qid, N)>,
    {
        let norm =
            Normalization { case_sensitive: opts.case_sensitive, ..Normalization::default() };
        let mut b = NameIndexBuilder::new(norm).keep_numeric_names(opts.index_numeric_names);
        for (q, n) in pairs {
            b.add(q, n.as_ref());
        }
        Self::new(b.build()?, prior, opts)
    }

    pub fn names(&self) -> &NameIndex {
        &self.names
    }

    pub fn prior(&self) -> &Prior {
        &self.prior
    }

    pub fn options(&self) -> &LinkOptions {
        &self.opts
    }

    /// The unanchored mentions of one sentence, in text order. They never overlap each other or
    /// an anchor span.
    pub fn link_sentence(&self, s: &SentenceInput, page: &PageContext) -> Vec<Mention> {
        let n = s.tokens.len().min(s.token_starts.len()).min(s.token_ends.len());
        let spans: Vec<(u32, u32)> =
            s.token_starts.iter().zip(s.token_ends).take(n).map(|(&a, &b)| (a, b)).collect();
        let matches = self.names.find_with(s.text, &spans, s.anchor_spans, self.opts.boundary);
        if matches.is_empty() {
            return Vec::new();
        }
        let token_texts: Vec<&str> = s.tokens.iter().take(n).map(String::as_str).collect();
        let detected = detect(&token_texts);
        let byte_at: Vec<usize> =
            s.text.char_indices().map(|(b, _)| b).chain(std::iter::once(s.text.len())).collect();
        let thresholds = self.opts.thresholds();

        let mut out = Vec::with_capacity(matches.len());
        let mut candidates: Vec<Qid> = Vec::new();
        for m in matches {
            let (Some(&b0), Some(&b1)) =
                (byte_at.get(m.char_start as usize), byte_at.get(m.char_end as usize))
            else {
                continue;
            };
            let Some(surface) = s.text.get(b0..b1) else { continue };
            let detector_type = containing_span(&detected, m.token_start, m.token_end);
            if self.opts.require_detector_span
                && detector_type.is_none()
                && !surface.chars().next().is_some_and(char::is_uppercase)
            {
                continue;
            }
            if !self.opts.disambiguate && self.names.candidate_count(m.name) > 1 {
                continue;
            }
            candidates.clear();
            candidates.extend(self.names.candidates(m.name));
            let Some((qid, how)) = resolve(surface, &candidates, page, &self.prior, &thresholds)
            else {
                continue;
            };
            out.push(Mention {
                qid,
                char_start: m.char_start,
                char_end: m.char_end,
                token_start: m.token_start,
                token_end: m.token_end,
                surface: surface.to_owned(),
                detector_type,
                how,
            });
        }
        out
    }
}

/// Label of the detector span that contains tokens `[start, end)`, if any.
fn containing_span(spans: &[Span], start: u32, end: u32) -> Option<EntityType> {
    let (start, end) = (start as usize, end as usize);
    spans.iter().find(|s| s.token_start <= start && end <= s.token_end).map(|s| s.label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disambiguate::PriorBuilder;

    /// Tokens of a sentence split on spaces, with `,`/`.` as their own tokens.
    fn tokenize(text: &str) -> (Vec<String>, Vec<u32>, Vec<u32>) {
        let (mut toks, mut starts, mut ends) = (Vec::new(), Vec::new(), Vec::new());
        let mut cur: Option<usize> = None;
        let chars: Vec<char> = text.chars().collect();
        for i in 0..=chars.len() {
            let c = chars.get(i).copied().unwrap_or(' ');
            let punct = matches!(c, ',' | '.');
            if c == ' ' || punct {
                if let Some(s) = cur.take() {
                    toks.push(chars[s..i].iter().collect());
                    starts.push(s as u32);
                    ends.push(i as u32);
                }
                if punct {
                    toks.push(c.to_string());
                    starts.push(i as u32);
                    ends.push(i as u32 + 1);
                }
            } else if cur.is_none() {
                cur = Some(i);
            }
        }
        (toks, starts, ends)
    }

    const KB: &[(&str, &str)] = &[
        ("Q90", "Paris"),
        ("Q167646", "Paris"),
        ("Q830149", "Paris"),
        ("Q142", "France"),
        ("Q847", "tennis"),
        ("Q1", "Georgia"),
        ("Q2", "Georgia"),
        ("Q60", "New York"),
    ];

    fn linker(opts: LinkOptions) -> Linker {
        let mut p = PriorBuilder::new();
        p.add_count("Paris", Qid::new(90), 9);
        p.add_count("Paris", Qid::new(167646), 1);
        let kb = KB.iter().map(|&(q, n)| (q.parse::<Qid>().expect("test qid"), n));
        Linker::from_names(kb, p.build(), opts).expect("linker builds")
    }

    fn run(l: &Linker, text: &str, anchors: &[(u32, u32)], page: &PageContext) -> Vec<String> {
        let (toks, starts, ends) = tokenize(text);
        let s = SentenceInput {
            text,
            tokens: &toks,
            token_starts: &starts,
            token_ends: &ends,
            anchor_spans: anchors,
        };
        l.link_sentence(&s, page)
            .into_iter()
            .map(|m| format!("{}={}:{}", m.surface, m.qid, m.how.as_str()))
            .collect()
    }

    #[test]
    fn linking_cases() {
        let default = linker(LinkOptions::default());
        let gated = linker(LinkOptions { require_detector_span: true, ..LinkOptions::default() });
        let strict = linker(LinkOptions { disambiguate: false, ..LinkOptions::default() });
        let none = PageContext::default();
        let on_georgia_page =
            PageContext { page_entity: Some(Qid::new(2)), anchored_entities: Default::default() };
        type Case<'a> =
            (&'a str, &'a Linker, &'a str, &'a [(u32, u32)], &'a PageContext, &'a [&'a str]);
        let cases: Vec<Case> = vec![
            (
                "unique and prior",
                &default,
                "She played tennis in Paris, France.",
                &[],
                &none,
                &["tennis=Q847:unique", "Paris=Q90:prior", "France=Q142:unique"],
            ),
            (
                "anchor excluded",
                &default,
                "Paris, France.",
                &[(7, 13)],
                &none,
                &["Paris=Q90:prior"],
            ),
            ("ambiguous without evidence", &default, "Georgia won.", &[], &none, &[]),
            (
                "page entity",
                &default,
                "Georgia won.",
                &[],
                &on_georgia_page,
                &["Georgia=Q2:page_entity"],
            ),
            ("disambiguation off", &strict, "Georgia in Paris.", &[], &on_georgia_page, &[]),
            (
                "detector gate drops lower-case names outside spans",
                &gated,
                "She played tennis in New York.",
                &[],
                &none,
                &["New York=Q60:unique"],
            ),
        ];
        for (name, l, text, anchors, page, want) in cases {
            assert_eq!(run(l, text, anchors, page), *want, "{name}");
        }
    }

    #[test]
    fn offsets_and_types() {
        let l = linker(LinkOptions::default());
        let (toks, starts, ends) = tokenize("Née à New York.");
        let s = SentenceInput {
            text: "Née à New York.",
            tokens: &toks,
            token_starts: &starts,
            token_ends: &ends,
            anchor_spans: &[],
        };
        let m = l.link_sentence(&s, &PageContext::default());
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].char_start, m[0].char_end, m[0].token_start, m[0].token_end),
            (6, 14, 2, 4)
        );
        assert_eq!(m[0].detector_type, Some(EntityType::Gpe));
    }

    #[test]
    fn mismatched_inputs_do_not_panic() {
        let l = linker(LinkOptions::default());
        let toks = vec!["Paris".to_string(), "France".to_string()];
        let s = SentenceInput {
            text: "Paris",
            tokens: &toks,
            token_starts: &[0, 6, 9],
            token_ends: &[5],
            anchor_spans: &[(9, 2)],
        };
        assert_eq!(l.link_sentence(&s, &PageContext::default()).len(), 1);
    }

    #[test]
    fn case_mismatch_is_an_error() {
        let idx = NameIndex::from_pairs(
            KB.iter().map(|&(q, n)| (q.parse::<Qid>().expect("test qid"), n)),
            Normalization { case_sensitive: false, ..Normalization::default() },
        )
        .expect("index builds");
        let err = Linker::new(idx, Prior::empty(), LinkOptions::default());
        assert!(matches!(err, Err(LinkerError::NormalizationMismatch { .. })));
    }
}
