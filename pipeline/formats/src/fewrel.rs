//! FewRel JSON: `{"P-id": [{"tokens": [...], "h": [name, qid, [[token indices], ...]],
//! "t": [...]}, ...]}`.
//!
//! **The span rule.** A mention lists one or more index lists: several lists are the same
//! entity mentioned more than once (425 of val_wiki.json's mentions), and a list's indices may
//! skip tokens. Everywhere in wikirel a mention is the **first list's `[min, max + 1)`**: the
//! tokens from its first to its last index, as FewRel's own BERT encoder marks them (it opens
//! the entity marker at `pos[0]` and closes it after `pos[-1]` of the first list).
use std::collections::BTreeMap;

use serde::Deserialize;

/// One mention: name, Wikidata id and token span `[start, end)` by [the rule](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub name: String,
    pub qid: String,
    pub span: (usize, usize),
    /// How many index lists the record gave (more than 1: the entity occurs again).
    pub pieces: usize,
}

/// One record with its head and tail resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub tokens: Vec<String>,
    pub head: Mention,
    pub tail: Mention,
}

#[derive(Deserialize)]
struct RawEntity(String, String, Vec<Vec<usize>>);

#[derive(Deserialize)]
struct RawRecord {
    tokens: Vec<String>,
    h: RawEntity,
    t: RawEntity,
}

/// The span of a mention's index lists by the rule above; `None` when there is no index.
pub fn mention_span(lists: &[Vec<usize>]) -> Option<(usize, usize)> {
    let first = lists.first()?;
    Some((*first.iter().min()?, *first.iter().max()? + 1))
}

/// Why a FewRel file or record cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not FewRel JSON (serde's message, with its line and column).
    Json(String),
    /// `relation`'s record `index` (0-based) is malformed.
    Record { relation: String, index: usize, msg: String },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Json(m) => write!(f, "not FewRel JSON: {m}"),
            Error::Record { relation, index, msg } => {
                write!(f, "relation {relation}, instance {index}: {msg}")
            }
        }
    }
}

impl std::error::Error for Error {}

fn mention(e: RawEntity, n_tokens: usize, which: &str) -> Result<Mention, String> {
    let span = mention_span(&e.2).ok_or_else(|| format!("{which} has no span"))?;
    if span.1 > n_tokens {
        return Err(format!("{which} span [{}, {}) past the {n_tokens} tokens", span.0, span.1));
    }
    Ok(Mention { name: e.0, qid: e.1, span, pieces: e.2.len() })
}

/// Whether `text` has FewRel's shape: one JSON object whose values are all lists (an OpenNRE
/// or ChemProt file of one line is an object of other values).
pub fn looks_like(text: &str) -> bool {
    matches!(serde_json::from_str::<serde_json::Value>(text),
             Ok(serde_json::Value::Object(m)) if m.values().all(serde_json::Value::is_array))
}

/// Every record of a FewRel file, by relation id in sorted order (a map's order would
/// otherwise depend on the JSON library), each list in file order.
pub fn parse(text: &str) -> Result<BTreeMap<String, Vec<Record>>, Error> {
    let raw: BTreeMap<String, Vec<RawRecord>> =
        serde_json::from_str(text).map_err(|e| Error::Json(e.to_string()))?;
    let mut out = BTreeMap::new();
    for (relation, items) in raw {
        let mut list = Vec::with_capacity(items.len());
        for (index, r) in items.into_iter().enumerate() {
            let bad = |msg| Error::Record { relation: relation.clone(), index, msg };
            let n = r.tokens.len();
            let head = mention(r.h, n, "head").map_err(bad)?;
            let tail = mention(r.t, n, "tail").map_err(bad)?;
            list.push(Record { tokens: r.tokens, head, tail });
        }
        out.insert(relation, list);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_span_rule_on_every_shape() {
        // (index lists, span)
        type Case<'a> = (&'a [&'a [usize]], Option<(usize, usize)>);
        let cases: [Case; 5] = [
            (&[&[3]], Some((3, 4))),
            (&[&[1, 2]], Some((1, 3))),
            (&[&[0, 2]], Some((0, 3))), // indices skip a token: first to last
            (&[&[4, 5], &[9]], Some((4, 6))), // a second occurrence is not used
            (&[], None),
        ];
        for (lists, want) in cases {
            let lists: Vec<Vec<usize>> = lists.iter().map(|l| l.to_vec()).collect();
            assert_eq!(mention_span(&lists), want, "{lists:?}");
        }
    }

    #[test]
    fn records_and_errors() {
        let text = r#"{"P2": [{"tokens": ["x","y","z","w"], "h": ["x z", "Q3", [[0, 2]]], "t": ["w", "Q4", [[3]]]}],
                       "P1": [{"tokens": ["a","b"], "h": ["a","Q1",[[0]]], "t": ["b","Q2",[[1],[0]]]}]}"#;
        let f = parse(text).unwrap();
        assert_eq!(f.keys().collect::<Vec<_>>(), ["P1", "P2"]);
        assert_eq!(f["P2"][0].head.span, (0, 3));
        assert_eq!(f["P1"][0].tail.pieces, 2);
        let err =
            parse(r#"{"P1": [{"tokens": ["a"], "h": ["a","Q",[[3]]], "t": ["a","Q",[[0]]]}]}"#)
                .unwrap_err();
        assert_eq!(err.to_string(), "relation P1, instance 0: head span [3, 4) past the 1 tokens");
        assert!(matches!(parse("[1]"), Err(Error::Json(_))));
        assert!(looks_like(text));
        assert!(!looks_like(r#"{"token": ["a"], "h": {"pos": [0, 1]}, "t": {"pos": [0, 1]}}"#));
        assert!(!looks_like("[]"));
    }
}
