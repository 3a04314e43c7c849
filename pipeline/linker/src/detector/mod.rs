//! A rule-based mention detector in the spirit of spaCy's NER, without model files.
//!
//! The paper finds unanchored mentions with spaCy NER before name matching; at dump scale a model
//! is slow and its files are one more thing to ship. Names in English Wikipedia prose are nearly
//! always capitalised, so runs of capitalised tokens, cleaned up with a few rules, recover most of
//! what spaCy marks, and cue words give a usable type guess.
//!
//! Rules, in order:
//! 1. Each token is a *word* (capitalised: first letter upper case, or a camel-case brand like
//!    "iPhone"; single letters only as initials "F."), an all-caps acronym (2-6 letters, dots
//!    allowed, e.g. "NASA", "U.S."), a *connector* (lower-case "of", "the", "de", "von", ...), a
//!    *joiner* ("-", "'", "&", ".") or a *break*. Month and day names, pure numbers and a
//!    sentence-initial function word ("The", "However", "He") are breaks.
//! 2. A span is a maximal run of words; connectors and joiners are kept only between two words
//!    (at most 3 in a row). "and" joins only once the span already has "of"/"for" and a word
//!    follows it ("Department of Health and Human Services"), so "France and Germany" and
//!    "Battle of the Bulge and the Second World War" stay two spans.
//! 3. Leading determiners ("The", "His", ...) are stripped. A lone sentence-initial word ending
//!    in "-ly", "-ing" or "-ed" is dropped (capitalised by position only).
//! 4. The type: see [`classify`].

mod lexicon;
mod types;

pub use types::EntityType;

use lexicon::{
    contains, cue, CONNECTORS, DEMONYMS, DETERMINERS, FIRST_NAMES, GPE_NAMES, GPE_PHRASES,
    LANGUAGES, MONTHS_AND_DAYS, SENTENCE_INITIAL, TITLES,
};

/// A detected mention: tokens `[token_start, token_end)` of the sentence and its type guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub token_start: usize,
    pub token_end: usize,
    pub label: EntityType,
}

/// What a token can do in a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Word,
    Connector,
    Joiner,
    Break,
}

/// Most connectors and joiners kept in a row inside one span.
const MAX_GLUE_RUN: usize = 3;

/// Finds mention spans in a tokenised sentence. Spans never overlap and come in text order.
pub fn detect(tokens: &[&str]) -> Vec<Span> {
    let roles: Vec<Role> = tokens.iter().enumerate().map(|(i, t)| role(tokens, i, t)).collect();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if roles[i] != Role::Word {
            i += 1;
            continue;
        }
        let (start, end) = extend(tokens, &roles, i);
        i = end;
        let start = strip_determiners(tokens, start, end);
        if start >= end || lone_initial_common(tokens, start, end) {
            continue;
        }
        // A nationality word before a person's name is its own mention, as spaCy tags it:
        // "German Max Stirner" -> NORP "German" + PERSON "Max Stirner" (but "French
        // Revolution" stays one name).
        let start = if end - start >= 2
            && contains(DEMONYMS, tokens[start])
            && classify(tokens, start + 1, end) == EntityType::Person
        {
            spans.push(Span { token_start: start, token_end: start + 1, label: EntityType::Norp });
            start + 1
        } else {
            start
        };
        spans.push(ontonotes_span(tokens, start, end));
        i = i.max(spans.last().map_or(i, |s| s.token_end));
    }
    spans
}

/// Adjusts a span's edges to OntoNotes (spaCy's training data) conventions:
/// - a preceding "the" belongs to multi-word names of organisations, places, events,
///   facilities, laws and works ("the United States", "the Catholic Church"), not to people,
///   groups, languages or one-word names ("the UK" -> "UK");
/// - a following possessive "'s" belongs to the name ("Robert Graham's").
fn ontonotes_span(tokens: &[&str], start: usize, end: usize) -> Span {
    let label = classify(tokens, start, end);
    let start = match label {
        EntityType::Person | EntityType::Norp | EntityType::Language => start,
        _ if end - start >= 2 && start > 0 && matches!(tokens[start - 1], "the" | "The") => {
            start - 1
        }
        _ => start,
    };
    let end = match tokens.get(end) {
        Some(&("'s" | "\u{2019}s")) => end + 1,
        _ => end,
    };
    Span { token_start: start, token_end: end, label }
}

/// The role of token `i`.
fn role(tokens: &[&str], i: usize, t: &str) -> Role {
    // The word lists are searched only for tokens of their shape (every connector is a short
    // lower-case ASCII word, every month/day name is capitalised): most tokens skip them.
    let first = t.as_bytes().first().copied().unwrap_or(0);
    if first.is_ascii_lowercase() && t.len() <= 5 && contains(CONNECTORS, t) {
        return Role::Connector;
    }
    if matches!(t, "-" | "'" | "&" | "." | "\u{2019}") {
        return Role::Joiner;
    }
    if (first.is_ascii_uppercase() && contains(MONTHS_AND_DAYS, t)) || is_number(t) {
        return Role::Break;
    }
    if sentence_initial(tokens, i) && contains(SENTENCE_INITIAL, t) {
        return Role::Break;
    }
    if is_acronym(t) || is_capitalised(t) {
        Role::Word
    } else {
        Role::Break
    }
}

/// Whether token `i` starts the sentence (possibly after opening quotes or brackets).
fn sentence_initial(tokens: &[&str], i: usize) -> bool {
    tokens.get(..i).is_some_and(|before| before.iter().all(|t| is_opening(t)))
}

fn is_opening(t: &str) -> bool {
    matches!(t, "\"" | "'" | "(" | "[" | "\u{201C}" | "\u{2018}" | "``" | "`")
}

fn is_closing(t: &str) -> bool {
    matches!(t, "\"" | "'" | ")" | "]" | "\u{201D}" | "\u{2019}" | "''")
}

/// Digits with optional `.`/`,`/`-` ("1,581", "1999-2000", "20th" is not).
fn is_number(t: &str) -> bool {
    t.chars().any(|c| c.is_ascii_digit())
        && t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '–'))
}

/// All-caps, 2-6 letters, dots allowed ("NASA", "U.S.", "FC").
fn is_acronym(t: &str) -> bool {
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    (2..=6).contains(&letters) && t.chars().all(|c| c.is_uppercase() || c == '.' || c == '&')
}

/// A capitalised word: upper-case first letter and at least one more letter ("Paris", "F.",
/// "O'Brien", "Haute-Savoie"), or a camel-case brand ("iPhone", "eBay").
fn is_capitalised(t: &str) -> bool {
    let mut chars = t.chars();
    let Some(first) = chars.next() else { return false };
    let rest = chars.as_str();
    if first.is_uppercase() {
        rest.chars().any(char::is_alphabetic) || rest == "."
    } else {
        first.is_lowercase()
            && rest.chars().any(char::is_uppercase)
            && rest.chars().all(char::is_alphanumeric)
    }
}

/// End of the span that starts with the word at `start`: `(start, end)`.
fn extend(tokens: &[&str], roles: &[Role], start: usize) -> (usize, usize) {
    let mut end = start + 1;
    let mut j = end;
    let mut has_of = false;
    let mut glue = 0;
    while j < tokens.len() {
        match roles[j] {
            Role::Word => {
                end = j + 1;
                glue = 0;
            }
            Role::Connector | Role::Joiner if glue < MAX_GLUE_RUN => {
                let t = tokens[j];
                let next_is_word = roles.get(j + 1) == Some(&Role::Word);
                if t == "and" && !(has_of && next_is_word) {
                    break;
                }
                has_of |= matches!(t, "of" | "for");
                glue += 1;
            }
            _ => break,
        }
        j += 1;
    }
    (start, end)
}

/// Skips leading determiners (and any connector/joiner they leave at the front).
fn strip_determiners(tokens: &[&str], mut start: usize, end: usize) -> usize {
    while start < end && contains(DETERMINERS, tokens[start]) {
        start += 1;
        while start < end && !is_word_token(tokens[start]) {
            start += 1;
        }
    }
    start
}

fn is_word_token(t: &str) -> bool {
    !contains(CONNECTORS, t) && (is_acronym(t) || is_capitalised(t))
}

/// A one-token span at the sentence start that looks like a common word ("Steeper", "Founded").
fn lone_initial_common(tokens: &[&str], start: usize, end: usize) -> bool {
    let t = tokens[start];
    end - start == 1
        && sentence_initial(tokens, start)
        && !is_acronym(t)
        && cue(t).is_none()
        && (t.ends_with("ly") || t.ends_with("ing") || t.ends_with("ed"))
}

/// The type guess of tokens `[start, end)`, first rule that applies:
/// 1. enclosed in quotes -> WORK_OF_ART ("\"Hey Jude\"");
/// 2. one language name followed by "language" or preceded by "in" -> LANGUAGE;
/// 3. one nationality/religion/party word -> NORP;
/// 4. a cue word in the head (the part before the first "of"/"for", else the whole span; the
///    last cue there wins): "University of X" -> ORG, "Hudson River" -> LOC, "Act" -> LAW, ...;
/// 5. a title first ("Dr.", "King", "Saint") -> PERSON;
/// 6. a known country / big city / state -> GPE;
/// 7. a common first name first -> PERSON;
/// 8. one acronym -> ORG; a letters+digits model token ("A320") -> PRODUCT;
/// 9. default: 2-3 plain capitalised words -> PERSON ("Bruce Spaulding"), anything else -> ORG
///    (spaCy's most frequent label for unknown proper nouns).
pub fn classify(tokens: &[&str], start: usize, end: usize) -> EntityType {
    let Some(span) = tokens.get(start..end).filter(|s| !s.is_empty()) else {
        return EntityType::Org;
    };
    let first = span[0];
    let prev = start.checked_sub(1).and_then(|i| tokens.get(i)).copied();
    let next = tokens.get(end).copied();
    if prev.is_some_and(is_opening) && next.is_some_and(is_closing) {
        return EntityType::WorkOfArt;
    }
    if span.len() == 1
        && contains(LANGUAGES, first)
        && (next == Some("language") || prev == Some("in"))
    {
        return EntityType::Language;
    }
    if span.len() == 1 && contains(DEMONYMS, first) {
        return EntityType::Norp;
    }
    let head_len = span.iter().position(|t| matches!(*t, "of" | "for")).unwrap_or(span.len());
    if let Some(label) = span[..head_len].iter().rev().find_map(|t| cue(t)) {
        return label;
    }
    if span.len() >= 2 && contains(TITLES, first) {
        return EntityType::Person;
    }
    let joined = span.join(" ");
    if contains(GPE_NAMES, &joined) || contains(GPE_PHRASES, &joined) {
        return EntityType::Gpe;
    }
    if contains(FIRST_NAMES, first) {
        return EntityType::Person;
    }
    if span.len() == 1 && is_acronym(first) {
        return EntityType::Org;
    }
    if span.iter().any(|t| is_model_number(t)) {
        return EntityType::Product;
    }
    let plain = span.iter().all(|t| (is_capitalised(t) && !is_acronym(t)) || is_particle(t));
    let words = span.iter().filter(|t| !is_particle(t)).count();
    if (2..=3).contains(&words) && plain {
        EntityType::Person
    } else {
        EntityType::Org
    }
}

/// Lower-case particles inside personal names ("Ludwig van Beethoven", "Leonardo da Vinci").
fn is_particle(t: &str) -> bool {
    matches!(
        t,
        "van"
            | "von"
            | "de"
            | "der"
            | "den"
            | "du"
            | "da"
            | "di"
            | "del"
            | "della"
            | "dos"
            | "das"
            | "bin"
            | "ibn"
            | "al"
            | "la"
            | "le"
            | "ter"
            | "ten"
            | "zu"
            | "y"
    )
}

/// Letters and digits mixed in one token ("A320", "PS2", "T-34").
fn is_model_number(t: &str) -> bool {
    t.chars().any(|c| c.is_ascii_digit())
        && t.chars().any(|c| c.is_alphabetic())
        && t.chars().all(|c| c.is_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whitespace tokenizer for the tests: punctuation must be pre-split with spaces.
    fn spans_of(sentence: &str) -> Vec<(String, &'static str)> {
        let tokens: Vec<&str> = sentence.split_whitespace().collect();
        detect(&tokens)
            .into_iter()
            .map(|s| (tokens[s.token_start..s.token_end].join(" "), s.label.as_str()))
            .collect()
    }

    #[test]
    fn sentences() {
        /// `(case name, space-tokenised sentence, expected (span text, label))`.
        type Case = (&'static str, &'static str, &'static [(&'static str, &'static str)]);
        let cases: &[Case] = &[
            (
                "person with connector, city",
                "Ludwig van Beethoven was born in Bonn .",
                &[("Ludwig van Beethoven", "PERSON"), ("Bonn", "ORG")],
            ),
            (
                "a preceding \"the\" joins an ORG, as in OntoNotes",
                "The University of Oxford is in England .",
                &[("The University of Oxford", "ORG"), ("England", "GPE")],
            ),
            (
                "dates and numbers are not entities",
                "On 12 March 1999 , Smith won 3 races .",
                &[("Smith", "ORG")],
            ),
            (
                "sentence-initial common word",
                "However , Steeper slopes lie near the Mississippi River .",
                &[("Steeper", "ORG"), ("the Mississippi River", "LOC")],
            ),
            (
                "lone initial -ed word dropped",
                "Founded in 1900 , the club plays at Wembley Stadium .",
                &[("Wembley Stadium", "FAC")],
            ),
            (
                "and splits two countries",
                "He traded between France and Germany .",
                &[("France", "GPE"), ("Germany", "GPE")],
            ),
            (
                "and joins after of",
                "He led the Department of Health and Human Services .",
                &[("the Department of Health and Human Services", "ORG")],
            ),
            (
                "event with the",
                "He fought in the Battle of the Bulge and the Second World War .",
                &[("the Battle of the Bulge", "EVENT"), ("the Second World War", "EVENT")],
            ),
            (
                "demonym and language",
                "The American writer wrote in French and the Spanish language .",
                &[("American", "NORP"), ("French", "LANGUAGE"), ("Spanish", "LANGUAGE")],
            ),
            (
                "title and acronym",
                "Dr. Watson joined NASA in May .",
                &[("Dr. Watson", "PERSON"), ("NASA", "ORG")],
            ),
            (
                "law",
                "Congress passed the Civil Rights Act .",
                &[("Congress", "ORG"), ("the Civil Rights Act", "LAW")],
            ),
            (
                "work of art in quotes",
                "She sang \" Hey Jude \" on the radio .",
                &[("Hey Jude", "WORK_OF_ART")],
            ),
            (
                "first name and plain two-word default",
                "Mayor Willie Brown met Bruce Spaulding .",
                &[("Mayor Willie Brown", "PERSON"), ("Bruce Spaulding", "PERSON")],
            ),
            (
                "hyphenated place and region cue",
                "Pointe de Miribel is in Haute-Savoie , France .",
                &[("Pointe de Miribel", "LOC"), ("Haute-Savoie", "ORG"), ("France", "GPE")],
            ),
            (
                "municipality cue and product",
                "The Boeing 747 flew over Bloemendaal Municipality .",
                &[("Boeing", "PRODUCT"), ("Bloemendaal Municipality", "GPE")],
            ),
            (
                "one-word names keep their the, possessive joins, nationality before a person",
                "the UK sent German Max Stirner 's book to the Netherlands .",
                &[
                    ("UK", "GPE"),
                    ("German", "NORP"),
                    ("Max Stirner 's", "PERSON"),
                    ("Netherlands", "GPE"),
                ],
            ),
            ("pronoun I is not a name", "I think so .", &[]),
            ("trailing connector not kept", "Bank of", &[("Bank", "ORG")]),
        ];
        for (name, sentence, want) in cases {
            let want: Vec<(String, &str)> = want.iter().map(|(s, l)| (s.to_string(), *l)).collect();
            assert_eq!(spans_of(sentence), want, "{name}");
        }
    }

    #[test]
    fn degenerate_inputs() {
        assert!(detect(&[]).is_empty());
        assert!(detect(&["", "of", "-", "the"]).is_empty());
        assert_eq!(classify(&["X"], 3, 1), EntityType::Org);
        let spans = detect(&["The", "The", "Paris"]);
        assert_eq!(spans.len(), 1);
    }
}
