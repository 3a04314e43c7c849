#!/usr/bin/env bash
# The fine-tuning results of issue 8 on CPU with MiniLM, each cell with the paper's protocol
# (AdamW 3e-5, batch 64, 6 epochs, max length 100, warm-up 10%), and the PyTorch +
# transformers reference (tests/reference/finetune_ref.py) on identical inputs for the cells
# listed in REF_CELLS. Cells run in priority order; a finished cell (results.json) is kept, so
# the script can be stopped and rerun. Everything goes to artifacts/finetune-check/; the table
# to artifacts/finetune-check/table.md and the chart to artifacts/finetune-check/table.png.
#
# Knobs: SHARED (../shared/data), SEEDS (42,43,44), REF_PY (a Python with torch 2.11 +
# transformers 4.57.1; without it the reference is skipped), CELLS / REF_CELLS (names below).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
shared="${SHARED:-../shared/data}"
seeds="${SEEDS:-42,43,44}"
dir=artifacts/finetune-check
model=artifacts/models/all-MiniLM-L6-v2
trainer=target/release/trainer
mkdir -p "$dir"

# name: task data ratio mode
declare -A cell=(
  [wiki80-1-cm]="wiki80 $shared/wiki80 0.01 cm"
  [semeval-10-cm]="semeval $shared/semeval2010 0.1 cm"
  [wiki80-1-ct]="wiki80 $shared/wiki80 0.01 ct"
  [wiki80-1-oc]="wiki80 $shared/wiki80 0.01 oc"
  [wiki80-1-om]="wiki80 $shared/wiki80 0.01 om"
  [wiki80-1-ot]="wiki80 $shared/wiki80 0.01 ot"
  [wiki80-10-cm]="wiki80 $shared/wiki80 0.1 cm"
)
cells="${CELLS:-wiki80-1-cm semeval-10-cm wiki80-1-ct wiki80-1-oc wiki80-1-om wiki80-1-ot wiki80-10-cm}"
ref_cells="${REF_CELLS:-wiki80-1-cm semeval-10-cm}"

for name in $cells; do
  read -r task data ratio mode <<< "${cell[$name]}"
  run="$dir/runs/$name"
  if [ ! -f "$run/results.json" ]; then
    echo "== $name: trainer finetune ($(date -u +%H:%M))"
    $trainer finetune --task "$task" --data "$data" --model "$model" --train-ratio "$ratio" \
      --mode "$mode" --seeds "$seeds" --out "$run" --resume --quiet --no-save > /dev/null
  fi
  if [[ " $ref_cells " == *" $name "* ]] && [ -n "${REF_PY:-}" ] && [ ! -f "$run/reference.json" ]; then
    echo "== $name: PyTorch reference ($(date -u +%H:%M))"
    "$REF_PY" tests/reference/finetune_ref.py --run "$run" --model "$model" --seeds "$seeds" \
      --out "$run/reference.json.tmp" > "$run/reference.log"
    mv "$run/reference.json.tmp" "$run/reference.json"
  fi
done

# Lock-step: the same classifier initialisation and batches, no dropout, 2 epochs of SemEval
# 10%: both implementations' per-step losses (the seed-to-seed spread above is not a difference
# of protocol).
lock="$dir/lockstep-semeval"
if [ -n "${REF_PY:-}" ] && [ ! -f "$lock/lockstep.json" ]; then
  rm -rf "$lock"
  $trainer finetune --task semeval --data "$shared/semeval2010" --model "$model" --train-ratio 0.1 \
    --seeds 42 --epochs 2 --no-dropout --trace-steps 22 --no-save --quiet --out "$lock" > /dev/null
  "$REF_PY" tests/reference/finetune_ref.py --run "$lock" --model "$model" --seeds 42 --lockstep \
    --out "$lock/lockstep.json" > /dev/null 2>&1
fi

runs=()
for name in $cells; do [ -f "$dir/runs/$name/results.json" ] && runs+=("$dir/runs/$name"); done
$trainer report "${runs[@]}" --png "$dir/table.png" > "$dir/table.md"
{
  echo
  echo "| cell | wikirel median test | PyTorch median test | difference (points) | wikirel train seq/s | PyTorch train seq/s | ratio |"
  echo "|---|---|---|---|---|---|---|"
  for name in $cells; do
    r="$dir/runs/$name"
    [ -f "$r/reference.json" ] || continue
    python3 - "$r" "$name" <<'EOF'
import json, sys
r, name = sys.argv[1], sys.argv[2]
a = json.load(open(f"{r}/results.json"))
b = json.load(open(f"{r}/reference.json"))
ta, tb = 100 * a["median_test"], 100 * b["median_test"]
sa, sb = a["median_train_sequences_per_second"], b["median_train_sequences_per_second"]
print(f"| {name} | {ta:.1f} | {tb:.1f} | {ta - tb:+.1f} | {sa:.1f} | {sb:.1f} | {sa / sb:.2f} |")
EOF
  done
  if [ -f "$lock/lockstep.json" ]; then
    python3 - "$lock/lockstep.json" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))[0]
print(f"\nLock-step (no dropout, same initialisation and batches, SemEval 10%): {o['steps']} steps, "
      f"largest per-step loss difference {o['max_abs_diff']:.1e} "
      f"(first loss {o['wikirel'][0]:.6f} vs {o['pytorch'][0]:.6f}, last {o['wikirel'][-1]:.6f} vs {o['pytorch'][-1]:.6f}).")
EOF
  fi
} >> "$dir/table.md"
cat "$dir/table.md"
