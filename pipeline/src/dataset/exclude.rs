//! Leakage control: entity pairs and exact token sequences of fine-tuning/evaluation files.
//!
//! Readers accept FewRel JSON (`{"P-id": [{"tokens", "h": [name, qid, pos], "t": ...}]}`),
//! OpenNRE/Wiki80 JSON lines (`{"token", "h": {"name", "id", "pos"}, "t", "relation"}`) and
//! TACRED JSON (a list of `{"token", ...}`; no entity ids, so only token sequences count).
use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::error::StageError;
use schemas::Qid;

#[derive(Default)]
pub struct Exclusions {
    /// Unordered entity pairs (smaller qid first).
    pub pairs: HashSet<(Qid, Qid)>,
    /// Token sequences joined by one space.
    pub token_seqs: HashSet<String>,
    pub files: Vec<String>,
}

fn pair(a: Qid, b: Qid) -> (Qid, Qid) {
    (a.min(b), a.max(b))
}

/// OpenNRE / TACRED `token` list, joined by one space.
fn tokens_of(v: &Value) -> Option<String> {
    let toks = v.get("token")?.as_array()?;
    Some(toks.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "))
}

/// OpenNRE entity `{"id": qid}`.
fn qid_of(e: &Value) -> Option<&str> {
    e.get("id").and_then(Value::as_str)
}

impl Exclusions {
    /// One instance: its joined tokens and its ends' ids, each when it has them.
    fn add(&mut self, tokens: Option<String>, head: Option<&str>, tail: Option<&str>) {
        if let Some(t) = tokens {
            self.token_seqs.insert(t);
        }
        if let (Some(h), Some(t)) = (head, tail) {
            // Only item pairs can match a dataset row (its ends are items).
            if let (Ok(h), Ok(t)) = (h.parse(), t.parse()) {
                self.pairs.insert(pair(h, t));
            }
        }
    }

    /// An OpenNRE line or a TACRED record.
    fn add_instance(&mut self, v: &Value) {
        self.add(tokens_of(v), v.get("h").and_then(qid_of), v.get("t").and_then(qid_of));
    }

    pub fn add_file(&mut self, path: &Path) -> Result<(), StageError> {
        let text = std::fs::read_to_string(path).map_err(|e| StageError::io(path, e))?;
        let bad = |line: usize, e: serde_json::Error| StageError::Invalid {
            path: path.to_path_buf(),
            msg: format!("line {line}: {e}"),
        };
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) if !map.contains_key("token") => {
                let records = formats::fewrel::parse(&text).map_err(|e| StageError::Invalid {
                    path: path.to_path_buf(),
                    msg: e.to_string(),
                })?;
                for r in records.into_values().flatten() {
                    self.add(Some(r.tokens.join(" ")), Some(&r.head.qid), Some(&r.tail.qid));
                }
            }
            Ok(Value::Array(list)) => list.iter().for_each(|v| self.add_instance(v)), // TACRED
            _ => {
                for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                    let v: Value = serde_json::from_str(line).map_err(|e| bad(i + 1, e))?;
                    self.add_instance(&v);
                }
            }
        }
        self.files.push(path.display().to_string());
        Ok(())
    }

    /// Whether the pair (either order) occurs in the evaluation files.
    pub fn excludes_pair(&self, head: Qid, tail: Qid) -> bool {
        self.pairs.contains(&pair(head, tail))
    }

    /// Whether the tokens, joined by one space, are a sentence of the evaluation files.
    pub fn excludes_tokens(&self, joined: &str) -> bool {
        self.token_seqs.contains(joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fewrel_opennre_and_tacred() {
        let dir = tempfile::tempdir().unwrap();
        let fewrel = dir.path().join("fewrel.json");
        std::fs::write(&fewrel, r#"{"P17": [{"tokens": ["a", "b"], "h": ["a", "Q1", [[0]]], "t": ["b", "Q2", [[1]]]}]}"#).unwrap();
        let opennre = dir.path().join("wiki80.txt");
        std::fs::write(&opennre, "{\"token\": [\"x\", \"y\"], \"h\": {\"name\": \"x\", \"id\": \"Q5\", \"pos\": [0, 1]}, \"t\": {\"name\": \"y\", \"id\": \"Q3\", \"pos\": [1, 2]}, \"relation\": \"r\"}\n").unwrap();
        let tacred = dir.path().join("tacred.json");
        std::fs::write(
            &tacred,
            r#"[{"id": "1", "token": ["p", "q", "r"], "relation": "no_relation"}]"#,
        )
        .unwrap();
        let mut ex = Exclusions::default();
        for f in [&fewrel, &opennre, &tacred] {
            ex.add_file(f).unwrap();
        }
        let q = Qid::new;
        assert!(ex.excludes_pair(q(2), q(1)));
        assert!(ex.excludes_pair(q(3), q(5)));
        assert!(!ex.excludes_pair(q(1), q(3)));
        assert!(ex.excludes_tokens("p q r"));
        assert!(!ex.excludes_tokens("a"));
    }
}
