//! FewRel's JSON, read by `formats::fewrel` (the one span rule of wikirel: a mention is its
//! first index list's `[min, max + 1)`, as FewRel's own encoder marks it); mentions listing
//! more than one index list are counted.
use std::path::Path;

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

impl FewRel {
    pub fn read(path: &Path) -> Result<Self, TrainerError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| TrainerError::Io { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// Parses FewRel JSON (spans by `formats::fewrel`'s rule); `origin` names the file in
    /// errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, TrainerError> {
        let records = formats::fewrel::parse(text)
            .map_err(|e| TrainerError::Data { path: origin.to_path_buf(), msg: e.to_string() })?;
        let mut out = FewRel { relations: vec![], instances: vec![], multi_span_mentions: 0 };
        for (rel, items) in records {
            let mut list = Vec::with_capacity(items.len());
            for r in items {
                out.multi_span_mentions +=
                    usize::from(r.head.pieces > 1) + usize::from(r.tail.pieces > 1);
                list.push(Instance { tokens: r.tokens, head: r.head.span, tail: r.tail.span });
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
    fn multi_span_and_non_consecutive_mentions_take_the_first_list_whole() {
        let text = r#"{"P1": [{"tokens": ["a","b","c","d","e","f"],
            "h": ["b c", "Q1", [[1, 2], [4]]], "t": ["f", "Q2", [[5]]]},
            {"tokens": ["x","y","z","w"], "h": ["x", "Q3", [[0, 2]]], "t": ["w", "Q4", [[3]]]}]}"#;
        let f = FewRel::parse(text, Path::new("t.json")).unwrap();
        assert_eq!(f.relations, ["P1"]);
        assert_eq!(f.instances[0][0].head, (1, 3));
        assert_eq!(f.instances[0][0].tail, (5, 6));
        assert_eq!(f.instances[0][1].head, (0, 3), "[0, 2]: first to last index");
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
