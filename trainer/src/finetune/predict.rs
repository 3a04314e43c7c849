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
use serde::Deserialize;

use super::data::{split_marked, Record, CHEMPROT_MARKERS, SEMEVAL_MARKERS};

#[derive(Deserialize)]
struct Entity {
    pos: (usize, usize),
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Json {
    token: Option<Vec<String>>,
    h: Option<Entity>,
    t: Option<Entity>,
    text: Option<String>,
}

fn from_text(text: &str, line: usize) -> Result<Record, String> {
    let markers = if text.contains("<e1>") { SEMEVAL_MARKERS } else { CHEMPROT_MARKERS };
    let marked = split_marked(text, markers).map_err(|e| {
        format!("{e}: mark the entities as <e1>..</e1> and <e2>..</e2>, or << .. >> and [[ .. ]]")
    })?;
    Ok(Record::untyped(line.to_string(), line, marked, String::new()))
}

/// Reads one input line (1-based `line`) as a record.
pub fn parse_line(text: &str, line: usize) -> Result<Record, String> {
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        return from_text(trimmed, line);
    }
    let j: Json = serde_json::from_str(trimmed).map_err(|e| format!("invalid JSON: {e}"))?;
    if let Some(t) = j.text {
        return from_text(&t, line);
    }
    let (Some(tokens), Some(h), Some(t)) = (j.token, j.h, j.t) else {
        return Err("a JSON line needs \"token\", \"h\" and \"t\", or \"text\"".into());
    };
    let n = tokens.len();
    for (s, e) in [h.pos, t.pos] {
        if s >= e || e > n {
            return Err(format!("span [{s}, {e}) is empty or outside the {n} tokens"));
        }
    }
    if h.pos.0 < t.pos.1 && t.pos.0 < h.pos.1 {
        return Err("head and tail overlap".into());
    }
    Ok(Record {
        id: line.to_string(),
        line,
        tokens,
        head: h.pos,
        tail: t.pos,
        head_type: h.kind,
        tail_type: t.kind,
        label: String::new(),
    })
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
