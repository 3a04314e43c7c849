#!/usr/bin/env bash
# make bench-train: sequences/s of one CP training step (MiniLM, 32 pairs = 64 sentences of
# the Wiki80 slice, max length 64, CP + MLM loss, backward, clipping, AdamW) in wikirel
# (`trainer bench-step`) against the same step in PyTorch 2.11 + transformers 4.57.1
# (bench/cp_step_torch.py), on the same inputs, alternating A B A B over ROUNDS rounds.
# Two paddings: `fixed` (every sequence padded to 64, as the original code) and `longest`
# (padded to the batch's longest sequence, wikirel's default).
#
# BENCH_PY: a Python with torch==2.11.0 and transformers==4.57.1 (default: a venv made here,
# which downloads torch with its CUDA wheels, ~4 GB). DEVICE=cuda for a GPU machine.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
dir=artifacts/bench/train
mkdir -p "$dir"
rounds="${ROUNDS:-3}"
steps="${STEPS:-5}"
threads="${THREADS:-2}"
device="${DEVICE:-cpu}"
trainer="${TRAINER:-target/release/trainer}"
model=artifacts/models/all-MiniLM-L6-v2
py="${BENCH_PY:-$dir/venv/bin/python}"
if ! "$py" -c "import torch, transformers" 2>/dev/null; then
  python3 -m venv "$dir/venv"
  "$dir/venv/bin/pip" install --quiet --disable-pip-version-check torch==2.11.0 transformers==4.57.1
  py="$dir/venv/bin/python"
fi
"$py" bench/cp_step_inputs.py "$model" tests/fixtures/wiki80/cp_dev_every20th.txt "$dir/inputs.json"
: > "$dir/runs.jsonl"
for _ in $(seq "$rounds"); do
  for pad in fixed longest; do
    "$trainer" --threads "$threads" bench-step --model "$model" --inputs "$dir/inputs.json" \
      --steps "$steps" --pad "$pad" --device "$device" >> "$dir/runs.jsonl"
    "$py" bench/cp_step_torch.py "$model" "$dir/inputs.json" "$steps" "$threads" "$pad" "$device" \
      2>/dev/null >> "$dir/runs.jsonl"
  done
done
"$py" - "$dir/runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
med = {}
for impl in ("wikirel", "pytorch"):
    for pad in ("fixed", "longest"):
        v = [r["seqs_per_s"] for r in runs if r["impl"] == impl and r["pad"] == pad]
        med[f"{impl}_{pad}"] = {"median": statistics.median(v), "min": min(v), "max": max(v)}
out = {
    "seqs_per_s": med,
    "ratio_same_step_fixed": med["wikirel_fixed"]["median"] / med["pytorch_fixed"]["median"],
    "ratio_same_step_longest": med["wikirel_longest"]["median"] / med["pytorch_longest"]["median"],
    "ratio_wikirel_longest_vs_pytorch_fixed": med["wikirel_longest"]["median"] / med["pytorch_fixed"]["median"],
}
print(json.dumps(out, indent=1))
PY
