//! `trainer predict`: labels for new sentences with a fine-tuned model.
//!
//! Input, one instance per line, any of:
//! - an OpenNRE JSON record (`token`, `h.pos`, `t.pos`; `relation` not needed; `h.type`/
//!   `t.type` for the type modes);
//! - a JSON object `{"text": "..."}` with marked entities;
//! - raw text with marked entities: `<e1>head</e1> ... <e2>tail</e2>` (SemEval's tags) or
//!   `<< head >> ... [[ tail ]]` (SciBERT's ChemProt markers).
//!
//! Output: one JSON line per input line, `{"line", "label", "score"}` (score: the softmax
//! probability of the label); a line that cannot be read gets `{"line", "error"}` instead, so
//! that outputs stay aligned with inputs.
use super::data::Record;

/// Reads one input line (1-based `line`) as a record (the reader is
/// `formats::supervised::parse_unlabelled`, shared with the pipeline's readers).
pub fn parse_line(text: &str, line: usize) -> Result<Record, String> {
    formats::supervised::parse_unlabelled(text, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_marked_text_and_json_lines() {
        let r = parse_line("The <e1>kitchen</e1> has a noisy <e2>boiler</e2>.", 3).unwrap();
        assert_eq!(r.tokens, ["The", "kitchen", "has", "a", "noisy", "boiler", "."]);
        assert_eq!((r.head, r.tail, r.line), ((1, 2), (5, 6), 3));
        let r = parse_line(r#"{"text": "[[ Aspirin ]] inhibits << COX-1 >> ."}"#, 1).unwrap();
        assert_eq!((r.head, r.tail), ((2, 3), (0, 1)));
        let r = parse_line(
            r#"{"token": ["a", "b", "c"], "h": {"pos": [2, 3], "type": "GPE"}, "t": {"pos": [0, 1]}}"#,
            1,
        )
        .unwrap();
        assert_eq!((r.head, r.head_type.as_deref()), ((2, 3), Some("GPE")));
        assert!(parse_line("no markers here", 1).is_err());
        assert!(parse_line(r#"{"token": ["a"], "h": {"pos": [0, 1]}, "t": {"pos": [0, 1]}}"#, 1)
            .is_err());
    }
}
