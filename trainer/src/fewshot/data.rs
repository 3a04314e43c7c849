//! FewRel's JSON: `{"P-id": [{"tokens": [...], "h": [name, qid, [[token indices], ...]],
//! "t": [...]}, ...]}`. A mention may list several spans (the same entity mentioned twice:
//! 425 of val_wiki.json's mentions); the first span is taken, as FewRel's own encoders do, and
//! the count is reported. A span whose indices are not consecutive keeps its first run.
use std::path::Path;

use serde::Deserialize;

use crate::error::TrainerError;
use crate::pretrain::input::TokenSpan;

/// One instance: tokens and the head/tail token spans `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub tokens: Vec<String>,
    pub head: TokenSpan,
    pub tail: TokenSpan,
}

/// A FewRel file: relations in file order, each with its instances.
#[derive(Debug, Clone)]
pub struct FewRel {
    pub relations: Vec<String>,
    pub instances: Vec<Vec<Instance>>,
    /// Mentions that listed more than one span (the first was used).
    pub multi_span_mentions: usize,
}

#[derive(Deserialize)]
struct Raw {
    tokens: Vec<String>,
    h: (String, String, Vec<Vec<usize>>),
    t: (String, String, Vec<Vec<usize>>),
}

fn first_span(spans: &[Vec<usize>]) -> Option<TokenSpan> {
    let first = spans.first()?;
    let start = *first.first()?;
    let len = first.iter().enumerate().take_while(|(i, &t)| t == start + i).count();
    Some((start, start + len))
}

impl FewRel {
    pub fn read(path: &Path) -> Result<Self, TrainerError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| TrainerError::Io { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// Parses FewRel JSON; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, TrainerError> {
        // serde_json keeps object order only with preserve_order; sort the relation ids so
        // that episodes do not depend on a map's iteration order.
        let raw: std::collections::BTreeMap<String, Vec<Raw>> = serde_json::from_str(text)
            .map_err(|source| TrainerError::Json { path: origin.to_path_buf(), source })?;
        let mut out = FewRel { relations: vec![], instances: vec![], multi_span_mentions: 0 };
        for (rel, items) in raw {
            let mut list = Vec::with_capacity(items.len());
            for (i, r) in items.into_iter().enumerate() {
                out.multi_span_mentions +=
                    usize::from(r.h.2.len() > 1) + usize::from(r.t.2.len() > 1);
                let bad = |what: &str| TrainerError::Data {
                    path: origin.to_path_buf(),
                    msg: format!("relation {rel}, instance {i}: {what}"),
                };
                let head = first_span(&r.h.2).ok_or_else(|| bad("head has no span"))?;
                let tail = first_span(&r.t.2).ok_or_else(|| bad("tail has no span"))?;
                if head.1 > r.tokens.len() || tail.1 > r.tokens.len() {
                    return Err(bad("span past the end of the tokens"));
                }
                list.push(Instance { tokens: r.tokens, head, tail });
            }
            out.relations.push(rel);
            out.instances.push(list);
        }
        Ok(out)
    }

    pub fn sizes(&self) -> Vec<usize> {
        self.instances.iter().map(Vec::len).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_span_and_non_consecutive_mentions_take_the_first_run() {
        let text = r#"{"P1": [{"tokens": ["a","b","c","d","e","f"],
            "h": ["b c", "Q1", [[1, 2], [4]]], "t": ["f", "Q2", [[5]]]},
            {"tokens": ["x","y","z","w"], "h": ["x", "Q3", [[0, 2]]], "t": ["w", "Q4", [[3]]]}]}"#;
        let f = FewRel::parse(text, Path::new("t.json")).unwrap();
        assert_eq!(f.relations, ["P1"]);
        assert_eq!(f.instances[0][0].head, (1, 3));
        assert_eq!(f.instances[0][0].tail, (5, 6));
        assert_eq!(f.instances[0][1].head, (0, 1), "[0, 2] is not consecutive: first run");
        assert_eq!(f.multi_span_mentions, 1);
        let err = FewRel::parse(
            r#"{"P1": [{"tokens": ["a"], "h": ["a","Q",[[3]]], "t": ["a","Q",[[0]]]}]}"#,
            Path::new("t.json"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("t.json") && err.contains("instance 0"), "{err}");
    }
}
