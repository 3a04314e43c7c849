//! Leakage control: entity pairs and exact token sequences of fine-tuning/evaluation files.
//!
//! The files are read by `formats`: FewRel JSON, OpenNRE/Wiki80 JSON lines (entity ids and
//! tokens), and TACRED, SemEval-2010 and ChemProt files (no entity ids, so only their token
//! sequences count).
use std::collections::HashSet;
use std::path::Path;

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

    /// Adds an evaluation file: FewRel JSON, or any format of `formats::supervised` (every
    /// record as the file gives it, also one a classifier would reject). A record that cannot
    /// be read is an error naming the file and line: skipping it could leak its sentence.
    pub fn add_file(&mut self, path: &Path) -> Result<(), StageError> {
        let text = std::fs::read_to_string(path).map_err(|e| StageError::io(path, e))?;
        let invalid = |msg: String| StageError::Invalid { path: path.to_path_buf(), msg };
        if formats::fewrel::looks_like(&text) {
            let records = formats::fewrel::parse(&text).map_err(|e| invalid(e.to_string()))?;
            for r in records.into_values().flatten() {
                self.add(Some(r.tokens.join(" ")), Some(&r.head.qid), Some(&r.tail.qid));
            }
        } else {
            let (_, records) =
                formats::supervised::parse_unchecked(&text, path).map_err(|e| invalid(e.msg))?;
            for (line, r) in records {
                let r = r.map_err(|msg| invalid(format!("line {line}: {msg}")))?;
                let [h, t] = &r.named;
                self.add(Some(r.tokens.join(" ")), h.id.as_deref(), t.id.as_deref());
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
            r#"[{"id": "1", "token": ["p", "q", "r"], "relation": "no_relation", "subj_start": 0, "subj_end": 0, "obj_start": 2, "obj_end": 2, "subj_type": "PERSON", "obj_type": "CITY"}]"#,
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
        // SemEval's original file: token sequences only (its markers are not tokens).
        let semeval = dir.path().join("semeval.txt");
        let text = "8001\t\"The <e1>kitchen</e1> has a <e2>boiler</e2> .\"\nComponent-Whole(e2,e1)\nComment:\n\n";
        std::fs::write(&semeval, text).unwrap();
        ex.add_file(&semeval).unwrap();
        assert!(ex.excludes_tokens("The kitchen has a boiler ."));
        // A record that cannot be read is an error naming the file and line, not skipped.
        let broken = dir.path().join("broken.txt");
        let line = std::fs::read_to_string(&opennre).unwrap();
        std::fs::write(&broken, format!("{line}{{\"token\": [\"x\"], \"h\": {{}}}}\n")).unwrap();
        let err = ex.add_file(&broken).unwrap_err().to_string();
        assert!(err.contains("broken.txt") && err.contains("line 2"), "{err}");
    }
}
