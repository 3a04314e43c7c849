#!/usr/bin/env bash
# make bench-finetune: fine-tuning throughput (training sequences/s: forward, backward,
# clipping, AdamW; evaluation excluded) of `trainer finetune` against the PyTorch +
# transformers reference (tests/reference/finetune_ref.py) on identical encoded inputs: the 280
# Wiki80 records of tests/fixtures/wiki80/cp_dev_every20th.txt (80 relations), MiniLM, batch
# 64, EPOCHS epochs, alternating A B A B over ROUNDS rounds; medians and the ratio.
#
# BENCH_PY: a Python with torch==2.11.0 and transformers==4.57.1 (default: the venv of
# `make bench-train`, made here when missing). THREADS: libtorch threads on both sides.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
dir=artifacts/bench/finetune
rm -rf "$dir/run" && mkdir -p "$dir"
rounds="${ROUNDS:-3}"
epochs="${EPOCHS:-2}"
threads="${THREADS:-2}"
trainer="${TRAINER:-target/release/trainer}"
model=artifacts/models/all-MiniLM-L6-v2
data=tests/fixtures/wiki80/cp_dev_every20th.txt
py="${BENCH_PY:-artifacts/bench/train/venv/bin/python}"
if ! "$py" -c "import torch, transformers" 2>/dev/null; then
  python3 -m venv artifacts/bench/train/venv
  artifacts/bench/train/venv/bin/pip install --quiet --disable-pip-version-check \
    torch==2.11.0 transformers==4.57.1
  py=artifacts/bench/train/venv/bin/python
fi
: > "$dir/runs.jsonl"
for r in $(seq "$rounds"); do
  out="$dir/run-$r"
  rm -rf "$out"
  "$trainer" --threads "$threads" finetune --task wiki80 --train "$data" --dev "$data" \
    --test "$data" --model "$model" --seeds 42 --epochs "$epochs" --no-save --quiet \
    --out "$out" > /dev/null 2>&1
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({"impl": "wikirel", "seqs_per_s": r["median_train_sequences_per_second"]}))' \
    "$out/results.json" >> "$dir/runs.jsonl"
  "$py" tests/reference/finetune_ref.py --run "$out" --model "$model" --seeds 42 \
    --threads "$threads" --out "$out/reference.json" > /dev/null
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({"impl": "pytorch", "seqs_per_s": r["median_train_sequences_per_second"]}))' \
    "$out/reference.json" >> "$dir/runs.jsonl"
done
python3 - "$dir/runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
med = {}
for impl in ("wikirel", "pytorch"):
    v = [r["seqs_per_s"] for r in runs if r["impl"] == impl]
    med[impl] = {"median": statistics.median(v), "min": min(v), "max": max(v)}
print(json.dumps({"train_seqs_per_s": med,
                  "ratio_wikirel_vs_pytorch": med["wikirel"]["median"] / med["pytorch"]["median"]},
                 indent=1))
PY
