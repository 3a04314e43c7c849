#!/usr/bin/env bash
# The small-scale check of the paper's main claim (issue 9) on CPU with MiniLM: the plain
# model, after CP and after MTB pre-training, evaluated on val_wiki.json (16 relations) 5-way
# and 10-way 1-shot, with the encoder frozen and after few-shot training on Wiki80's 64
# relations that val_wiki.json does not contain. Two pre-training corpora, neither with a
# FewRel validation relation:
#   wiki80    those 64 relations (no entity pair in two sentences, so MTB cannot run on it);
#   chemprot  ChemProt's training file, entities identified by name (scripts/chemprot_corpus.py):
#             it has repeated pairs, so CP and MTB are compared on the same corpus there.
# On each corpus an MLM-only control (the method's batches, its loss weighted 0) shows what
# MLM on marked sentences does by itself.
# Everything goes to artifacts/fewshot-check/; the table to artifacts/fewshot-check/table.md.
#
# Knobs: SHARED (../shared/data), EPISODES (2000), FS_ITERS (300), THREADS (nproc).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
shared="${SHARED:-../shared/data}"
episodes="${EPISODES:-2000}"
iters="${FS_ITERS:-300}"
threads="${THREADS:-$(nproc)}"
dir=artifacts/fewshot-check
model=artifacts/models/all-MiniLM-L6-v2
trainer="target/release/trainer --threads $threads"
val="$shared/fewrel/val_wiki.json"
mkdir -p "$dir"
python3 scripts/wiki80_split.py "$shared/wiki80" "$shared/fewrel" "$dir/data"
python3 scripts/chemprot_corpus.py "$shared/chemprot/train.txt" "$dir/data"
[ -f "$dir/corpus/relations.parquet" ] || \
  target/release/pipeline import --format opennre "$dir/data/pretrain.txt" --out "$dir/corpus"
[ -f "$dir/corpus-chemprot/relations.parquet" ] || \
  target/release/pipeline import --format opennre "$dir/data/chemprot_pretrain.txt" \
    --out "$dir/corpus-chemprot"
declare -A models=([plain]="$model")
# run name : configs/fewshot-check-CONFIG.toml : corpus. The mlm-* runs are the MLM-only
# controls: the same batches as CP's / MTB's run with that objective weighted 0.
for spec in cp:cp:corpus mtb:mtb:corpus mlm:mlm-cp:corpus \
  cp-chemprot:cp:corpus-chemprot mtb-chemprot:mtb:corpus-chemprot \
  mlm-chemprot:mlm-mtb:corpus-chemprot; do
  IFS=: read -r run conf corpus <<< "$spec"
  if $trainer pretrain --data "$dir/$corpus" --model "$model" --config "configs/fewshot-check-$conf.toml" \
    --out "$dir/runs/$run" --resume --quiet 2> "$dir/$run.err"; then
    models[$run]="$dir/runs/$run"
  else
    # The error and its causes come first; a backtrace (RUST_BACKTRACE) may follow.
    echo "$run pre-training failed (see $dir/$run.err):"; sed -n 1,4p "$dir/$run.err"
  fi
done
for name in "${!models[@]}"; do
  m="${models[$name]}"
  [ -f "$dir/eval/$name-frozen/results-10way1shot.json" ] || \
    $trainer fewshot eval --data "$val" --model "$m" --settings 5-1,10-1 --episodes "$episodes" \
      --reencode-episodes 0 --seed 42 --out "$dir/eval/$name-frozen" > /dev/null
  [ -f "$dir/fewshot/$name/best/config.json" ] || \
    $trainer fewshot train --data "$dir/data/train_fewrel.json" --val "$dir/data/val_fewrel.json" \
      --model "$m" --iterations "$iters" --val-every 100 --val-episodes 300 --seed 42 --quiet \
      --out "$dir/fewshot/$name" > /dev/null
  [ -f "$dir/eval/$name-trained/results-10way1shot.json" ] || \
    $trainer fewshot eval --data "$val" --model "$dir/fewshot/$name" --settings 5-1,10-1 \
      --episodes "$episodes" --reencode-episodes 0 --seed 42 --out "$dir/eval/$name-trained" > /dev/null
done
python3 - "$dir" <<'PY'
import json, sys
from pathlib import Path
d = Path(sys.argv[1])
rows = ["| model | pre-training corpus | encoder | 5-way 1-shot | 10-way 1-shot |",
        "|---|---|---|---|---|"]
label = {"plain": "plain", "cp": "CP", "mtb": "MTB", "mlm": None}
for name in ("plain", "cp", "mtb", "mlm", "cp-chemprot", "mtb-chemprot", "mlm-chemprot"):
    method, _, corpus = name.partition("-")
    model = label[method] or f"MLM only ({'MTB' if corpus else 'CP'} batches)"
    corpus = "-" if name == "plain" else ("ChemProt train" if corpus else "Wiki80 (64 rel.)")
    for mode in ("frozen", "trained"):
        cells = []
        for s in ("5way1shot", "10way1shot"):
            f = d / "eval" / f"{name}-{mode}" / f"results-{s}.json"
            if f.exists():
                r = json.loads(f.read_text())
                cells.append(f"{100 * r['accuracy']:.2f} ± {100 * r['ci95']:.2f}")
            else:
                cells.append("n/a")
        rows.append(f"| {model} | {corpus} | {mode} | {cells[0]} | {cells[1]} |")
(d / "table.md").write_text("\n".join(rows) + "\n")
print("\n".join(rows))
PY
# Paired differences on the same episodes (narrower than the rows' own intervals).
{
  echo
  echo "Paired differences (A - B, same episodes):"
  for pair in cp-frozen:plain-frozen cp-trained:plain-trained \
    mtb-chemprot-frozen:cp-chemprot-frozen mtb-chemprot-trained:cp-chemprot-trained; do
    IFS=: read -r a b <<< "$pair"
    [ -d "$dir/eval/$a" ] && [ -d "$dir/eval/$b" ] || continue
    python3 scripts/paired_episodes.py "$dir/eval/$a" "$dir/eval/$b" | sed "s/^/- $a vs $b, /"
  done
} | tee -a "$dir/table.md"
