#!/usr/bin/env python3
"""Corpus of the small-scale FewRel check (issue 9): Wiki80's relations minus the 16 of
FewRel's val_wiki.json, from the CP re-split files in ../shared/data/wiki80.

Writes into OUT/:
  pretrain.txt     cp_dev + cp_train_0.1 sentences of the other 64 relations (OpenNRE JSON lines,
                   for `pipeline import --format opennre`)
  train_fewrel.json / val_fewrel.json
                   the same 64 relations in FewRel's format (cp_train_0.1 part / cp_dev part),
                   for `trainer fewshot train`
  stats.json       counts, and how many entity pairs occur in more than one sentence (MTB needs
                   such pairs for its positives)

usage: wiki80_split.py WIKI80_DIR FEWREL_DIR OUT
"""
import json
import sys
from collections import Counter
from pathlib import Path

wiki80, fewrel, out = map(Path, sys.argv[1:4])
out.mkdir(parents=True, exist_ok=True)
pid2name = json.load(open(fewrel / "pid2name.json"))
by_name = {v[0]: k for k, v in pid2name.items()}
val_rel = set(json.load(open(fewrel / "val_wiki.json")))


def rows(name):
    for line in open(wiki80 / name):
        r = json.loads(line)
        pid = by_name[r["relation"]]
        if pid not in val_rel:
            yield pid, r


def fewrel_record(r):
    span = lambda p: list(range(p[0], p[1]))
    return {"tokens": r["token"], "h": [r["h"]["name"], r["h"]["id"], [span(r["h"]["pos"])]],
            "t": [r["t"]["name"], r["t"]["id"], [span(r["t"]["pos"])]]}


pairs = Counter()
with open(out / "pretrain.txt", "w") as f:
    n = 0
    for name in ("cp_dev.txt", "cp_train_0.1.txt"):
        for pid, r in rows(name):
            f.write(json.dumps(r) + "\n")
            pairs[(r["h"]["id"], r["t"]["id"])] += 1
            n += 1
for name, target in (("cp_train_0.1.txt", "train_fewrel.json"), ("cp_dev.txt", "val_fewrel.json")):
    d = {}
    for pid, r in rows(name):
        d.setdefault(pid, []).append(fewrel_record(r))
    json.dump(d, open(out / target, "w"))
stats = {"sentences": n, "relations": len({p for p, _ in rows("cp_dev.txt")}),
         "excluded_fewrel_val_relations": sorted(val_rel),
         "entity_pairs": len(pairs), "entity_pairs_in_2_or_more_sentences": sum(v > 1 for v in pairs.values())}
json.dump(stats, open(out / "stats.json", "w"), indent=1)
print(json.dumps(stats))
