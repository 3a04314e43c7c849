//! Supervised relation-classification files, each in its real format:
//!
//! - OpenNRE / CP JSON lines (`token`, `h`/`t` with `pos` `[start, end)`, `relation`; Wiki80
//!   adds `h.type`/`t.type`, and `h.name`/`h.id`): SemEval, Wiki80 and the CP files;
//! - the original SemEval-2010 Task 8 files: `id<TAB>"... <e1>x</e1> ... <e2>y</e2> ..."`, a
//!   label line, a `Comment:` line, a blank line;
//! - SciBERT's ChemProt JSON lines: `{"text": "... << x >> ... [[ y ]] ...", "label"}`;
//! - TACRED's official JSON array (`subj_start`/`subj_end` with INCLUSIVE ends, `subj_type`,
//!   `obj_type`).
//!
//! One reader for every part of wikirel: `trainer finetune`/`predict` (labelled and unlabelled
//! records), `pipeline import` (OpenNRE lines as a pre-training corpus) and `pipeline dataset
//! --exclude` (the evaluation sentences and entity pairs to keep out). Spans are token
//! `[start, end)` everywhere; TACRED's inclusive ends are converted here, once.
//!
//! The format is recognised from the file's first non-blank character and fields. Every
//! record is checked (spans inside the sentence, non-empty, not overlapping); a bad one is an
//! error naming the file and line, or is skipped and counted with `skip_bad`.
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A token span `[start, end)`.
pub type TokenSpan = (usize, usize);

/// A mention's name and Wikidata id, where the format gives them (OpenNRE's `h.name`, `h.id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    pub name: Option<String>,
    pub id: Option<String>,
}

/// One labelled (or, for prediction, unlabelled) relation instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// The dataset's id when it has one (TACRED, SemEval original), else the line number.
    pub id: String,
    /// 1-based line of the record in its file (TACRED: the record's index + 1).
    pub line: usize,
    pub tokens: Vec<String>,
    pub head: TokenSpan,
    pub tail: TokenSpan,
    pub head_type: Option<String>,
    pub tail_type: Option<String>,
    /// Names and ids of the head and tail (OpenNRE only; empty elsewhere).
    pub named: [Named; 2],
    /// The relation label; empty for unlabelled input.
    pub label: String,
}

impl Record {
    /// A record without entity types (SemEval, ChemProt, marked raw text).
    pub fn untyped(
        id: String,
        line: usize,
        (tokens, head, tail): (Vec<String>, TokenSpan, TokenSpan),
        label: String,
    ) -> Record {
        Record { id, line, tokens, head, tail, label, ..Default::default() }
    }
}

/// Why a file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub path: PathBuf,
    pub msg: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.msg)
    }
}

impl std::error::Error for Error {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    OpenNre,
    SemevalOriginal,
    Scibert,
    Tacred,
}

/// A file's records and what was skipped.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub format: Format,
    pub records: Vec<Record>,
    /// `(line, reason)` of each skipped record (only with `skip_bad`).
    pub skipped: Vec<(usize, String)>,
}

/// Reads a dataset file of any supported format.
pub fn read(path: &Path, skip_bad: bool) -> Result<Loaded, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error { path: path.to_path_buf(), msg: e.to_string() })?;
    parse(&text, path, skip_bad)
}

/// Parses file contents (`origin` names the file in errors).
pub fn parse(text: &str, origin: &Path, skip_bad: bool) -> Result<Loaded, Error> {
    let (format, raw) = parse_unchecked(text, origin)?;
    let mut loaded =
        Loaded { path: origin.to_path_buf(), format, records: Vec::new(), skipped: Vec::new() };
    for (line, r) in raw {
        match r.and_then(check) {
            Ok(rec) => loaded.records.push(rec),
            Err(msg) if skip_bad => loaded.skipped.push((line, msg)),
            Err(msg) => {
                return Err(Error {
                    path: origin.to_path_buf(),
                    msg: format!("line {line}: {msg} (use --skip-bad to skip such records)"),
                })
            }
        }
    }
    Ok(loaded)
}

/// Every record as the file gives it, before [`check`]: what `dataset --exclude` keeps out
/// (an evaluation sentence is excluded even if a classifier could not use it).
pub fn parse_unchecked(text: &str, origin: &Path) -> Result<(Format, Parsed), Error> {
    let format = detect(text).ok_or_else(|| Error {
        path: origin.to_path_buf(),
        msg: "unrecognised format: expected OpenNRE JSON lines, SciBERT ChemProt JSON lines, \
              a TACRED JSON array or the original SemEval-2010 Task 8 file"
            .into(),
    })?;
    let raw: Parsed = match format {
        Format::OpenNre => json_lines(text, opennre),
        Format::Scibert => json_lines(text, scibert),
        Format::SemevalOriginal => semeval_original(text),
        Format::Tacred => tacred(text).map_err(|msg| Error { path: origin.to_path_buf(), msg })?,
    };
    Ok((format, raw))
}

/// The format of a file's contents, from its first non-blank line.
pub fn detect(text: &str) -> Option<Format> {
    let first = text.lines().find(|l| !l.trim().is_empty())?.trim_start();
    if first.starts_with('[') {
        return Some(Format::Tacred);
    }
    if first.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(first).ok()?;
        return if v.get("token").is_some() {
            Some(Format::OpenNre)
        } else if v.get("text").is_some() {
            Some(Format::Scibert)
        } else {
            None
        };
    }
    let (id, rest) = first.split_once('\t')?;
    (id.trim().parse::<u64>().is_ok() && rest.trim_start().starts_with('"'))
        .then_some(Format::SemevalOriginal)
}

/// The checks every labelled record passes: both spans non-empty and inside the tokens, not
/// overlapping, and a label.
pub fn check(rec: Record) -> Result<Record, String> {
    check_spans(&rec)?;
    if rec.label.is_empty() {
        return Err("empty label".into());
    }
    Ok(rec)
}

/// Both spans non-empty, inside the tokens, and not overlapping.
pub fn check_spans(rec: &Record) -> Result<(), String> {
    let n = rec.tokens.len();
    for (what, (s, e)) in [("head", rec.head), ("tail", rec.tail)] {
        if s >= e || e > n {
            return Err(format!("{what} span [{s}, {e}) is empty or outside the {n} tokens"));
        }
    }
    if rec.head.0 < rec.tail.1 && rec.tail.0 < rec.head.1 {
        return Err(format!("head {:?} and tail {:?} overlap", rec.head, rec.tail));
    }
    Ok(())
}

/// Each record with its 1-based line: read, or why not.
pub type Parsed = Vec<(usize, Result<Record, String>)>;

fn json_lines(text: &str, one: fn(&str, usize) -> Result<Record, String>) -> Parsed {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, one(l, i + 1)))
        .collect()
}

#[derive(Deserialize)]
struct OpenNreEntity {
    pos: (usize, usize),
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    id: Option<String>,
}

#[derive(Deserialize)]
struct OpenNreRaw {
    token: Vec<String>,
    h: OpenNreEntity,
    t: OpenNreEntity,
    relation: Option<String>,
    id: Option<String>,
}

fn from_opennre(r: OpenNreRaw, n: usize) -> Record {
    Record {
        id: r.id.unwrap_or_else(|| n.to_string()),
        line: n,
        tokens: r.token,
        head: r.h.pos,
        tail: r.t.pos,
        head_type: r.h.kind,
        tail_type: r.t.kind,
        named: [Named { name: r.h.name, id: r.h.id }, Named { name: r.t.name, id: r.t.id }],
        label: r.relation.unwrap_or_default(),
    }
}

fn opennre(line: &str, n: usize) -> Result<Record, String> {
    let r: OpenNreRaw = serde_json::from_str(line).map_err(|e| format!("invalid record: {e}"))?;
    Ok(from_opennre(r, n))
}

/// One line of unlabelled input (`trainer predict`): an OpenNRE record (`relation` not
/// needed), a JSON object `{"text": ...}` with marked entities, or raw marked text
/// (`<e1>..</e1> .. <e2>..</e2>` or `<< .. >> .. [[ .. ]]`). Spans are checked.
pub fn parse_unlabelled(text: &str, line: usize) -> Result<Record, String> {
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        return from_marked_text(trimmed, line);
    }
    let v: serde_json::Value =
        serde_json::from_str(trimmed).map_err(|e| format!("invalid JSON: {e}"))?;
    if let Some(t) = v.get("text").and_then(serde_json::Value::as_str) {
        return from_marked_text(t, line);
    }
    if ["token", "h", "t"].iter().any(|k| v.get(k).is_none()) {
        return Err("a JSON line needs \"token\", \"h\" and \"t\", or \"text\"".into());
    }
    let r: OpenNreRaw = serde_json::from_value(v).map_err(|e| format!("invalid record: {e}"))?;
    let mut rec = from_opennre(r, line);
    (rec.id, rec.label) = (line.to_string(), String::new());
    check_spans(&rec)?;
    Ok(rec)
}

fn from_marked_text(text: &str, line: usize) -> Result<Record, String> {
    let markers = if text.contains("<e1>") { SEMEVAL_MARKERS } else { CHEMPROT_MARKERS };
    let marked = split_marked(text, markers).map_err(|e| {
        format!("{e}: mark the entities as <e1>..</e1> and <e2>..</e2>, or << .. >> and [[ .. ]]")
    })?;
    Ok(Record::untyped(line.to_string(), line, marked, String::new()))
}

#[derive(Deserialize)]
struct SciBertRaw {
    text: String,
    label: String,
}

fn scibert(line: &str, n: usize) -> Result<Record, String> {
    let r: SciBertRaw = serde_json::from_str(line).map_err(|e| format!("invalid record: {e}"))?;
    let marked = split_marked(&r.text, CHEMPROT_MARKERS)?;
    Ok(Record::untyped(n.to_string(), n, marked, r.label))
}

/// Open/close strings of the head and tail in marked text.
pub type MarkerPair = [(&'static str, &'static str); 2];

/// SciBERT's ChemProt markers. The spaces are part of them: the text also holds `>>`, `[[`
/// inside chemical names and rank orders (`granisetron> ondansetron=AS-8112>>[[ x ]]`), never
/// with a space on the inner side.
pub const CHEMPROT_MARKERS: MarkerPair = [("<< ", " >>"), ("[[ ", " ]]")];
/// SemEval-2010 Task 8's tags (`<e1>` is the head).
pub const SEMEVAL_MARKERS: MarkerPair = [("<e1>", "</e1>"), ("<e2>", "</e2>")];

/// Splits marked text into whitespace tokens and the two marked spans: the first opening
/// marker of each kind and the first closing marker after it. This is what makes ChemProt's
/// 15 records with a marker string repeated inside the text read right (e.g. `<< Panx1 >>`
/// then `carbenoxolone > ... >> ...`).
pub fn split_marked(
    text: &str,
    markers: MarkerPair,
) -> Result<(Vec<String>, TokenSpan, TokenSpan), String> {
    let mut found = Vec::with_capacity(2);
    for (open, close) in markers {
        let s = text.find(open).ok_or_else(|| format!("no {open:?} marker"))?;
        let inner = s + open.len();
        let e = text[inner..].find(close).ok_or_else(|| format!("no {close:?} after {open:?}"))?
            + inner;
        found.push((s, inner, e, e + close.len()));
    }
    let (h, t) = (found[0], found[1]);
    if h.0 < t.3 && t.0 < h.3 {
        return Err("the two marked mentions overlap".into());
    }
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let (first, second) = if h.0 < t.0 { (h, t) } else { (t, h) };
    let mut tokens = words(&text[..first.0]);
    let mut spans = Vec::with_capacity(2);
    for (k, m) in [first, second].into_iter().enumerate() {
        if k == 1 {
            tokens.extend(words(&text[first.3..m.0]));
        }
        let start = tokens.len();
        tokens.extend(words(&text[m.1..m.2]));
        spans.push((start, tokens.len()));
    }
    tokens.extend(words(&text[second.3..]));
    let (head, tail) = if h.0 < t.0 { (spans[0], spans[1]) } else { (spans[1], spans[0]) };
    Ok((tokens, head, tail))
}

fn semeval_original(text: &str) -> Parsed {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim_end_matches('\r');
        if l.trim().is_empty() || l.starts_with("Comment") {
            i += 1;
            continue;
        }
        let n = i + 1;
        let rec = (|| {
            let (id, quoted) = l.split_once('\t').ok_or("expected id<TAB>\"sentence\"")?;
            let id = id.trim().parse::<u64>().map_err(|_| format!("bad id {id:?}"))?;
            let sentence = quoted.trim().trim_matches('"');
            let marked = split_marked(sentence, SEMEVAL_MARKERS)?;
            let label = lines.get(i + 1).map(|s| s.trim()).unwrap_or_default();
            if label.is_empty() || label.starts_with("Comment") || label.contains('\t') {
                return Err(format!("record {id} has no label line"));
            }
            Ok(Record::untyped(id.to_string(), n, marked, label.to_string()))
        })();
        // A record takes its sentence and label lines; a broken one only its first line.
        i += if rec.is_ok() { 2 } else { 1 };
        out.push((n, rec));
    }
    out
}

#[derive(Deserialize)]
struct TacredRaw {
    id: String,
    relation: String,
    token: Vec<String>,
    subj_start: usize,
    subj_end: usize,
    obj_start: usize,
    obj_end: usize,
    subj_type: String,
    obj_type: String,
}

fn tacred(text: &str) -> Result<Parsed, String> {
    let values: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| format!("invalid TACRED JSON array: {e}"))?;
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let rec = serde_json::from_value::<TacredRaw>(v)
                .map_err(|e| format!("record #{}: {e}", i + 1))
                .map(|r| Record {
                    id: r.id,
                    line: i + 1,
                    tokens: r.token,
                    // Inclusive ends in the file; [start, end) here.
                    head: (r.subj_start, r.subj_end + 1),
                    tail: (r.obj_start, r.obj_end + 1),
                    head_type: Some(r.subj_type),
                    tail_type: Some(r.obj_type),
                    named: Default::default(),
                    label: r.relation,
                });
            (i + 1, rec)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Loaded, Error> {
        parse(text, Path::new("x"), false)
    }

    #[test]
    fn marked_text_splits_into_tokens_and_spans() {
        let (tok, h, t) =
            split_marked("a << b c >> d [[ e ]] f", CHEMPROT_MARKERS).expect("well formed");
        assert_eq!(tok, ["a", "b", "c", "d", "e", "f"]);
        assert_eq!((h, t), ((1, 3), (4, 5)));
        // tail first, glued punctuation and repeated marker strings
        let (tok, h, t) =
            split_marked("x>[[ PGE2 ]], y >> z << HVA >> w", CHEMPROT_MARKERS).expect("ok");
        assert_eq!(tok, ["x>", "PGE2", ",", "y", ">>", "z", "HVA", "w"]);
        assert_eq!((h, t), ((6, 7), (1, 2)));
        assert!(split_marked("a << b >> c", CHEMPROT_MARKERS).is_err());
    }

    #[test]
    fn formats_are_detected_and_bad_records_named() {
        let ok = r#"{"token": ["a", "b", "c"], "h": {"pos": [0, 1]}, "t": {"pos": [2, 3]}, "relation": "r"}"#;
        let bad =
            r#"{"token": ["a", "b"], "h": {"pos": [0, 1]}, "t": {"pos": [0, 2]}, "relation": "r"}"#;
        let text = format!("{ok}\n{bad}\n");
        let err = p(&text).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("overlap"), "{err}");
        let l = parse(&text, Path::new("x"), true).expect("skips");
        assert_eq!((l.records.len(), l.skipped.len(), l.format), (1, 1, Format::OpenNre));
        assert_eq!(l.records[0].id, "1");
        assert!(p("hello\n").is_err());
    }
}
