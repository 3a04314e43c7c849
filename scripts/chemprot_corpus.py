#!/usr/bin/env python3
"""Second pre-training corpus of the small-scale FewRel check (issue 9): ChemProt's training
file, for MTB, which Wiki80's split cannot feed (none of its entity pairs is in two sentences).

ChemProt (SciBERT's release: one {"text", "label"} per line, the pair marked "<< .. >>" and
"[[ .. ]]") has no entity ids. An entity is therefore identified by its lower-cased surface
string, "<< >>" being the head: a stand-in for entity linking, which merges homonyms and splits
synonyms (e.g. "EGFR" and "epidermal growth factor receptor" are two entities here). A
sentence that marks the same pair more than once (the same names at other positions) is kept
once, so an MTB positive is always two different sentences. ChemProt's relations (CPR
classes such as INHIBITOR or SUBSTRATE) share nothing with FewRel's Wikidata relations.

Writes into OUT/:
  chemprot_pretrain.txt  OpenNRE JSON lines (whitespace tokens, ids "chemprot:<name>") for
                         `pipeline import --format opennre`
  chemprot_stats.json    counts, and how many entity pairs occur in two or more sentences

usage: chemprot_corpus.py CHEMPROT_TRAIN_FILE OUT
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

src, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
MARK = re.compile(r"<< (.+?) >>|\[\[ (.+?) \]\]")


def parse(text, where):
    """Tokens and the [start, end) token spans of the head (<< >>) and tail ([[ ]])."""
    tokens, spans, at = [], {}, 0
    for m in MARK.finditer(text):
        tokens += text[at:m.start()].split()
        which = "h" if m.group(1) is not None else "t"
        if which in spans:
            raise SystemExit(f"{where}: a second {'<< >>' if which == 'h' else '[[ ]]'} marker")
        name = m.group(1) if which == "h" else m.group(2)
        words = name.split()
        spans[which] = (name, len(tokens), len(tokens) + len(words))
        tokens += words
        at = m.end()
    tokens += text[at:].split()
    if set(spans) != {"h", "t"}:
        raise SystemExit(f"{where}: needs one << >> and one [[ ]] marker")
    return tokens, spans


seen, pairs, n_in, rows = set(), Counter(), 0, []
for i, line in enumerate(open(src), 1):
    if not line.strip():
        continue
    r = json.loads(line)
    n_in += 1
    tokens, spans = parse(r["text"], f"{src}: line {i}")
    ent = {k: {"name": v[0], "id": "chemprot:" + v[0].lower(), "pos": [v[1], v[2]]}
           for k, v in spans.items()}
    key = (" ".join(tokens), ent["h"]["id"], ent["t"]["id"])
    if key in seen:
        continue
    seen.add(key)
    pairs[(ent["h"]["id"], ent["t"]["id"])] += 1
    rows.append({"token": tokens, "h": ent["h"], "t": ent["t"], "relation": r["label"]})
with open(out / "chemprot_pretrain.txt", "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
stats = {"source": str(src), "records": n_in, "sentences": len(rows),
         "same_sentence_same_pair_dropped": n_in - len(rows),
         "relations": len({r["relation"] for r in rows}), "entity_pairs": len(pairs),
         "entity_pairs_in_2_or_more_sentences": sum(v > 1 for v in pairs.values()),
         "sentences_in_those_pairs": sum(v for v in pairs.values() if v > 1)}
json.dump(stats, open(out / "chemprot_stats.json", "w"), indent=1)
print(json.dumps(stats))
