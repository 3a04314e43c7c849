//! `pipeline detect`: runs the NER-style mention detector alone over a `sentences` table and
//! writes its typed spans as JSON lines, to compare it with other taggers (spaCy: see
//! `bench/ner_compare.py`). Detection time is measured apart from reading and writing.
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::StageError;
use crate::records;

/// Returns (sentences, time spent in the detector).
pub fn run(sentences_dir: &Path, out: &Path) -> Result<(u64, Duration), StageError> {
    let file = std::fs::File::create(out).map_err(|e| StageError::io(out, e))?;
    let mut w = std::io::BufWriter::new(file);
    let (mut n, mut spent) = (0u64, Duration::ZERO);
    for batch in records::sentences(&sentences_dir.join(schemas::tables::SENTENCES.file_name()))? {
        for s in batch? {
            let tokens: Vec<&str> = s.tokens.iter().map(String::as_str).collect();
            let t = Instant::now();
            let spans = linker::detect(&tokens);
            spent += t.elapsed();
            n += 1;
            let spans: Vec<(u32, u32, &str)> = spans
                .iter()
                .map(|sp| {
                    (
                        s.token_starts[sp.token_start],
                        s.token_ends[sp.token_end - 1],
                        sp.label.as_str(),
                    )
                })
                .collect();
            let line = serde_json::json!({
                "page_id": s.page_id, "sentence_index": s.sentence_index, "spans": spans,
            });
            writeln!(w, "{line}").map_err(|e| StageError::io(out, e))?;
        }
    }
    w.flush().map_err(|e| StageError::io(out, e))?;
    Ok((n, spent))
}
