#!/usr/bin/env bash
# make extract-demo: raw text in, Wikidata triples out, on the bundled sample (issue 22).
#   1. fine-tunes MiniLM on Wiki80 10% (tests/fixtures/wiki80/cp_train_0.1.txt minus the
#      sample's own sentences; 2 epochs at lr 1e-4, max length 64: a few minutes on 2 cores)
#      into artifacts/runs/extract-wiki80 (kept: a second run reuses it);
#   2. calibrates the score threshold on the sample's pairs that hold no claim and measures
#      precision/recall against its gold triples (scripts/extract_eval.py), writing the
#      threshold next to the model;
#   3. extracts the facts of one paragraph of the sample (the sentences of one page) and
#      prints the best-scored ones whose two ends are linked.
# Needs `make dataset` (the KB: artifacts/wikidata + artifacts/link) and `make model`.
set -euo pipefail
cd "$(dirname "$0")/.."
trainer="${TRAINER:-target/release/trainer}"
py="${PYTHON:-python3}"
run=artifacts/runs/extract-wiki80
fx=tests/fixtures/e2e_wiki80
work=artifacts/extract-demo
mkdir -p "$work"
if [ ! -f "$run/results.json" ]; then
  "$py" scripts/extract_eval.py train-file tests/fixtures/wiki80/cp_train_0.1.txt "$fx/sentences.tsv" "$work/train.txt"
  "$trainer" --threads "$(nproc)" finetune --task wiki80 --train "$work/train.txt" \
    --dev tests/fixtures/wiki80/cp_dev_every20th.txt --test tests/fixtures/wiki80/cp_dev_every20th.txt \
    --model artifacts/models/all-MiniLM-L6-v2 --seeds 42 --epochs 2 --lr 1e-4 --max-len 64 \
    --out "$run" --resume
fi
if [ ! -f "$run/extract-threshold.json" ]; then
  "$py" scripts/extract_eval.py input "$fx/sentences.tsv" "$work/sentences.jsonl"
  "$trainer" extract --model "$run" --kb artifacts --input "$work/sentences.jsonl" \
    --threshold 0 --out "$work/pairs.jsonl"
  "$py" scripts/extract_eval.py eval "$fx/sentences.tsv" "$fx/gold.tsv" "$fx/wikidata.json" \
    "$work/pairs.jsonl" --write-threshold "$run" --json "$work/eval.json"
fi
# One paragraph of the sample: the sentences of one page, as plain text with its title.
page="${PAGE:-Mount Kosciuszko}"
"$py" - "$fx/sentences.tsv" "$page" > "$work/paragraph.jsonl" <<'PY'
import json, sys
rows = [l.split("\t") for l in open(sys.argv[1], encoding="utf-8").read().splitlines()[1:]]
text = " ".join(r[3] for r in rows if r[1] == sys.argv[2])
print(json.dumps({"title": sys.argv[2], "text": text}))
PY
echo "== $(cut -c1-300 "$work/paragraph.jsonl")..."
"$trainer" extract --model "$run" --kb artifacts --input "$work/paragraph.jsonl" --out "$work/facts.jsonl"
"$py" - "$work/facts.jsonl" <<'PY'
import collections, json, sys
facts = [json.loads(l) for l in open(sys.argv[1])]
kinds = collections.Counter(f["wikidata"] for f in facts)
print(f"{len(facts)} facts at the calibrated threshold: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
linked = sorted((f for f in facts if f["wikidata"] != "unlinked"), key=lambda f: -f["score"])
print(f"the {min(10, len(linked))} best-scored of the {len(linked)} with both ends linked:")
for f in linked[:10]:
    h, t, r = f["head"], f["tail"], f["relation"]
    print(f"  {h['surface']} ({h['qid']}) --{r['label']} ({r['pid']})--> {t['surface']} ({t['qid']})"
          f"  score {f['score']:.2f}  {f['wikidata']}")
print(f"all of them: {sys.argv[1]}")
PY
