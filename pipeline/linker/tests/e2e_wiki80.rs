//! Links the e2e_wiki80 fixture's sentences and scores the unanchored mentions against
//! mentions.tsv (see tests/fixtures/e2e_wiki80/README.md).
//!
//! Recall is over the gold unanchored mentions (kinds unanchored, bold_subject, incidental with
//! in_gold = 1). Precision is a lower bound: mentions.tsv lists only the name matches that some
//! gold row uses, so a correct match of a generic alias elsewhere counts as a false positive.
//! Run with `-- --nocapture` to see the numbers.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use linker::{
    Boundary, LinkOptions, Linker, Mention, PageContext, PriorBuilder, Resolution, SentenceInput,
};
use schemas::Qid;

fn fixture(name: &str) -> String {
    let path: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "..", "..", "tests", "fixtures", "e2e_wiki80", name]
            .iter()
            .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

struct Row {
    page: String,
    sent: u32,
    qid: Qid,
    start: u32,
    end: u32,
    surface: String,
    kind: String,
    in_gold: bool,
}

fn mentions() -> Vec<Row> {
    fixture("mentions.tsv")
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 9, "mentions.tsv line {l:?}");
            Row {
                page: f[0].to_owned(),
                sent: f[1].parse().expect("sentence index"),
                qid: f[2].parse().expect("mentions.tsv qid"),
                start: f[3].parse().expect("start"),
                end: f[4].parse().expect("end"),
                surface: f[5].to_owned(),
                kind: f[6].to_owned(),
                in_gold: f[8] == "1",
            }
        })
        .collect()
}

/// `(qid, name)` pairs of every item's English label and aliases, and enwiki title -> qid.
fn wikidata() -> (Vec<(Qid, String)>, HashMap<String, Qid>) {
    let mut names = Vec::new();
    let mut titles = HashMap::new();
    for line in fixture("wikidata.json").lines() {
        let line = line.trim().trim_end_matches(',');
        if line == "[" || line == "]" || line.is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).expect("entity JSON");
        if v["type"] != "item" {
            continue;
        }
        let Some(qid) = v["id"].as_str().and_then(|s| s.parse::<Qid>().ok()) else { continue };
        if let Some(label) = v["labels"]["en"]["value"].as_str() {
            names.push((qid, label.to_owned()));
        }
        for alias in v["aliases"]["en"].as_array().into_iter().flatten() {
            if let Some(a) = alias["value"].as_str() {
                names.push((qid, a.to_owned()));
            }
        }
        if let Some(t) = v["sitelinks"]["enwiki"]["title"].as_str() {
            titles.insert(t.to_owned(), qid);
        }
    }
    (names, titles)
}

fn is_anchor(kind: &str) -> bool {
    matches!(kind, "anchor" | "anchor_redirect" | "anchor_unresolvable")
}

fn is_unanchored(kind: &str) -> bool {
    matches!(kind, "unanchored" | "bold_subject" | "incidental")
}

type Key = (String, u32, u32, u32, Qid);

struct Score {
    returned: usize,
    correct: usize,
    gold: usize,
    by_how: HashMap<&'static str, usize>,
    correct_by_how: HashMap<&'static str, usize>,
    anchor_overlaps: usize,
    missed: Vec<Key>,
}

fn run(opts: LinkOptions) -> Score {
    let rows = mentions();
    let (names, titles) = wikidata();
    let mut prior = PriorBuilder::new();
    let mut anchors: HashMap<(String, u32), Vec<(u32, u32)>> = HashMap::new();
    let mut page_anchored: HashMap<String, HashSet<Qid>> = HashMap::new();
    let mut gold: HashSet<Key> = HashSet::new();
    for r in &rows {
        if is_anchor(&r.kind) {
            prior.add(&r.surface, r.qid);
            anchors.entry((r.page.clone(), r.sent)).or_default().push((r.start, r.end));
            page_anchored.entry(r.page.clone()).or_default().insert(r.qid);
        } else if is_unanchored(&r.kind) && r.in_gold {
            gold.insert((r.page.clone(), r.sent, r.start, r.end, r.qid));
        }
    }
    let n_pairs = names.len();
    let linker = Linker::from_names(names, prior.build(), opts).expect("linker builds");
    println!(
        "index: {n_pairs} (qid, name) pairs, {} names, {} items, {} heap bytes",
        linker.names().name_count(),
        linker.names().item_count(),
        linker.names().heap_bytes()
    );

    let mut score = Score {
        returned: 0,
        correct: 0,
        gold: gold.len(),
        by_how: HashMap::new(),
        correct_by_how: HashMap::new(),
        anchor_overlaps: 0,
        missed: Vec::new(),
    };
    let mut found: HashSet<Key> = HashSet::new();
    for line in fixture("sentences.tsv").lines().skip(1) {
        let f: Vec<&str> = line.splitn(4, '\t').collect();
        assert_eq!(f.len(), 4, "sentences.tsv line {line:?}");
        let (page, sent, text) = (f[1], f[2].parse::<u32>().expect("index"), f[3]);
        let toks = wikitext::tokenize(text);
        let tokens: Vec<String> = toks.iter().map(|t| t.text.clone()).collect();
        let starts: Vec<u32> = toks.iter().map(|t| t.char_start).collect();
        let ends: Vec<u32> = toks.iter().map(|t| t.char_end).collect();
        let no_anchors = Vec::new();
        let anchor_spans = anchors.get(&(page.to_owned(), sent)).unwrap_or(&no_anchors);
        let ctx = PageContext {
            page_entity: titles.get(page).copied(),
            anchored_entities: page_anchored.get(page).cloned().unwrap_or_default(),
        };
        let input = SentenceInput {
            text,
            tokens: &tokens,
            token_starts: &starts,
            token_ends: &ends,
            anchor_spans,
        };
        for m in linker.link_sentence(&input, &ctx) {
            let Mention { qid, char_start, char_end, how, .. } = m;
            if anchor_spans.iter().any(|&(s, e)| char_start < e && s < char_end) {
                score.anchor_overlaps += 1;
            }
            *score.by_how.entry(how_name(how)).or_default() += 1;
            score.returned += 1;
            let key = (page.to_owned(), sent, char_start, char_end, qid);
            if gold.contains(&key) {
                score.correct += 1;
                *score.correct_by_how.entry(how_name(how)).or_default() += 1;
            }
            found.insert(key);
        }
    }
    score.missed = gold.difference(&found).cloned().collect();
    score.missed.sort();
    score
}

fn how_name(h: Resolution) -> &'static str {
    h.as_str()
}

fn report(name: &str, s: &Score) -> (f64, f64) {
    let recall = s.correct as f64 / s.gold.max(1) as f64;
    let precision = s.correct as f64 / s.returned.max(1) as f64;
    println!(
        "[{name}] gold {} returned {} correct {} recall {recall:.4} precision(lower bound) \
         {precision:.4} by_how {:?} correct_by_how {:?}",
        s.gold, s.returned, s.correct, s.by_how, s.correct_by_how
    );
    for m in s.missed.iter().take(10) {
        println!("[{name}]   missed {m:?}");
    }
    (recall, precision)
}

#[test]
fn fixture_recall_with_default_options() {
    let score = run(LinkOptions::default());
    let (recall, _) = report("default", &score);
    assert_eq!(score.anchor_overlaps, 0, "a returned mention overlaps an anchor");
    assert!(recall >= 0.95, "recall {recall:.4} < 0.95");
}

#[test]
fn fixture_with_detector_gate() {
    let score = run(LinkOptions { require_detector_span: true, ..LinkOptions::default() });
    let (recall, _) = report("require_detector_span", &score);
    assert_eq!(score.anchor_overlaps, 0, "a returned mention overlaps an anchor");
    // The gate drops lower-case names by design; it must still keep the capitalised ones.
    assert!(recall >= 0.75, "recall {recall:.4} < 0.75");
}

#[test]
fn fixture_with_reference_matcher_settings() {
    // Closest to the fixture's reference matcher: word boundaries and numeric names ("1998").
    let opts = LinkOptions {
        boundary: Boundary::Word,
        index_numeric_names: true,
        disambiguate: false,
        ..LinkOptions::default()
    };
    let score = run(opts);
    let (recall, _) = report("word_boundaries+numeric", &score);
    assert_eq!(score.anchor_overlaps, 0, "a returned mention overlaps an anchor");
    assert!(recall >= 0.99, "recall {recall:.4} < 0.99");
}
