#!/usr/bin/env bash
# The trainer on a GPU, in one prepared run (issue 21): everything goes to one results file
# (JSON lines, one per check, and a markdown table printed at the end).
#
#   make gpu-check                      # here: builds what travels into target/gpu-check/
#   # on the GPU machine (device tool: carry target/gpu-check):
#   LD_LIBRARY_PATH=/opt/torch/.venv/lib/python3.12/site-packages/torch/lib \
#     scripts/gpu-check.sh              # results: $OUT/gpu-check.jsonl (or artifacts/gpu-check/)
#   DEVICE=cpu scripts/gpu-check.sh --dry-run   # the same script end to end on CPU, tiny sizes
#
# Checks (each a line {"check", "status": ok|fail|skipped, ...numbers}):
#   info        libtorch's view of the machine
#   tests       the device-parametrised test binary (trainer/tests/device.rs built with
#               --features cuda): every test body on CPU and on CUDA
#   embed       `trainer embed` fp32 and bf16 on DEVICE against transformers on the same random
#               BERT-base weights (fp32: <= 1e-4 per dimension; bf16: <= 2e-2)
#   resume      pre-training 5 steps + resume 5 equals 10 steps straight (bitwise on CPU; on
#               CUDA, where atomics in backward make runs not bitwise reproducible, within twice
#               the difference between two straight runs)
#   throughput  one CP step (BERT-base, length 64, bf16 autocast on CUDA) with micro-batches
#               of 32/64/128 pairs, padding fixed (64) and longest, against the same step in
#               PyTorch + transformers on the same inputs; peak GPU memory per micro-batch
#   paper-run   the paper's CP run (3,500 steps x 2,048 pairs) extrapolated from the best rate
#   finetune    1 epoch of Wiki80 10% (a MiniLM-shaped model, no dropout) on DEVICE and on CPU:
#               the same per-step losses (<= 1e-4 relative: same weights, head and batches,
#               fp32; the seed draws the head on CPU whatever the device)
#
# Inputs (defaults in brackets; make gpu-check fills BUNDLE):
#   BUNDLE [target/gpu-check]  trainer, device-tests.xz, tokenizer/, dataset/, wiki80/
#   TRAINER [$BUNDLE/trainer, else target/release/trainer]
#   DEVICE_TESTS [$BUNDLE/device-tests.xz, unpacked, if present]   PY [/opt/torch/.venv/bin/python, else python3]
#   RESULTS [$OUT/gpu-check.jsonl, else artifacts/gpu-check/gpu-check.jsonl]
# The MiniLM weights (91 MB) do not travel (a device run carries at most 64 MiB), so on the GPU
# machine the device tests that need them are skipped by name (minilm_*) unless
# WIKIREL_MINILM_DIR names a copy; `embed` checks the bert-base shape against transformers instead.
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

dry=0
for a in "$@"; do
  case "$a" in
    --dry-run) dry=1 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown argument $a (see --help)" >&2; exit 2 ;;
  esac
done

bundle="${BUNDLE:-target/gpu-check}"
device="${DEVICE:-$([ $dry = 1 ] && echo cpu || echo cuda)}"
trainer="${TRAINER:-$([ -x "$bundle/trainer" ] && echo "$bundle/trainer" || echo target/release/trainer)}"
tests_bin="${DEVICE_TESTS:-}"
tokenizer="${TOKENIZER:-$([ -d "$bundle/tokenizer" ] && echo "$bundle/tokenizer" || echo artifacts/models/all-MiniLM-L6-v2)}"
dataset="${DATASET:-$([ -d "$bundle/dataset" ] && echo "$bundle/dataset" || echo artifacts/dataset)}"
wiki80="${WIKI80:-$([ -d "$bundle/wiki80" ] && echo "$bundle/wiki80")}"
py="${PY:-$([ -x /opt/torch/.venv/bin/python ] && echo /opt/torch/.venv/bin/python || echo python3)}"
# Standard-library glue runs on any Python 3: python3, else the torch one.
sys_py="$(command -v python3 || echo "$py")"
results="${RESULTS:-${OUT:-artifacts/gpu-check}/gpu-check.jsonl}"
work="$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
glue() { "$sys_py" scripts/gpu_check.py "$@"; }
# The device test binary travels xz-compressed (make gpu-check).
if [ -z "$tests_bin" ] && [ -f "$bundle/device-tests.xz" ]; then
  "$sys_py" -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" \
    "$bundle/device-tests.xz" "$work/device-tests" && chmod +x "$work/device-tests" && tests_bin="$work/device-tests"
fi

if [ $dry = 1 ]; then
  model_cfg=configs/models/bert-tiny.json; ft_cfg=configs/models/bert-tiny.json
  pairs_list="2 4"; steps=1; resume_pairs=8; resume_micro=4; ft_batch=8; ft_rows=40
else
  model_cfg=configs/models/bert-base-uncased.json; ft_cfg=configs/models/minilm-l6-h384.json
  pairs_list="32 64 128"; steps=10; resume_pairs=64; resume_micro=32; ft_batch=64; ft_rows=0
fi

mkdir -p "$(dirname "$results")"
: > "$results"
# record CHECK STATUS [JSON object of numbers]
record() {
  local extra="${3:-}"
  [ -n "$extra" ] || extra='{}'
  "$sys_py" -c 'import json,sys; d={"check":sys.argv[1],"status":sys.argv[2]}; d.update(json.loads(sys.argv[3])); print(json.dumps(d))' \
    "$1" "$2" "$extra" >> "$results"
  echo "== $1: $2 $extra" >&2
}
# A JSON string of a shell string.
js() { "$sys_py" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
has_torch=0
"$py" -c "import torch, transformers" 2>/dev/null && has_torch=1
on_gpu=0
case "$device" in cuda*) on_gpu=1 ;; esac

# Peak GPU memory (MiB, above what was in use before) while "$@" runs; on CPU just runs it.
peak_mib=null
with_memory() {
  if [ $on_gpu = 0 ] || ! command -v nvidia-smi >/dev/null; then peak_mib=null; "$@"; return; fi
  local base; base=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 | head -1)
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 -lms 50 > "$work/mem" &
  local sampler=$!
  "$@"; local rc=$?
  kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
  peak_mib=$(sort -n "$work/mem" | tail -1); peak_mib=$(( ${peak_mib:-$base} - base ))
  return $rc
}

echo "gpu-check: device $device, trainer $trainer, results $results$([ $dry = 1 ] && echo ' (dry run)')" >&2

# -- info ------------------------------------------------------------------------------------
if info=$("$trainer" info 2>&1); then
  record info ok "{\"trainer\": $(js "$info"), \"dry_run\": $dry, \"torch_python\": $has_torch}"
else
  record info fail "{\"error\": $(js "$info")}"
  echo "gpu-check: the trainer does not start; nothing else can run" >&2
  exit 1
fi

# -- tests -----------------------------------------------------------------------------------
if [ -n "$tests_bin" ]; then
  skip=()
  [ -f "${WIKIREL_MINILM_DIR:-artifacts/models/all-MiniLM-L6-v2}/model.safetensors" ] || skip=(--skip minilm_)
  if WIKIREL_REPO="$repo" WIKIREL_TOKENIZER_DIR="$(cd "$tokenizer" && pwd)" "$tests_bin" --test-threads 1 --nocapture "${skip[@]}" > "$work/tests.log" 2>&1; then st=ok; else st=fail; fi
  line=$(grep -E '^test result:' "$work/tests.log" | tail -1)
  cuda_tests=$("$tests_bin" --list "${skip[@]}" 2>/dev/null | grep -c '_cuda: test')
  # The names libtest lists after its last "failures:" heading.
  failed=$(awk '/^failures:$/ {n++; list=""; next} n && /^    [A-Za-z0-9_:]+$/ {list = list (list ? "," : "") $1} END {print list}' "$work/tests.log")
  measured=$(grep -E 'max \|diff\||relative\)' "$work/tests.log" | paste -sd';' -)
  record tests $st "{\"summary\": $(js "$line"), \"cuda_tests\": $cuda_tests, \"failed\": $(js "$failed"), \"skipped\": $(js "${skip[*]:-}"), \"measured\": $(js "$measured")}"
else
  record tests skipped '{"reason": "no device test binary (make gpu-check builds $BUNDLE/device-tests.xz; in make test cargo runs it itself)"}'
fi

# -- model -----------------------------------------------------------------------------------
model="$work/model"
if ! "$trainer" init-model --config "$model_cfg" --tokenizer "$tokenizer" --out "$model" --seed 0 2>"$work/init.log"; then
  record model fail "{\"error\": $(js "$(cat "$work/init.log")")}"
  exit 1
fi
record model ok "{\"config\": $(js "$model_cfg")}"

# -- embed -----------------------------------------------------------------------------------
sentences=("A man is playing a guitar." "The Eiffel Tower is in Paris, the capital of France."
           "Marie Curie was born in Warsaw and worked in Paris on radioactivity.")
ok=1
for prec in fp32 bf16; do
  "$trainer" embed --json --precision $prec --device "$device" --model "$model" "${sentences[@]}" \
    > "$work/ours-$prec.jsonl" 2>"$work/embed.log" || ok=0
done
if [ $ok = 0 ]; then
  record embed fail "{\"error\": $(js "$(tail -5 "$work/embed.log")")}"
elif [ $has_torch = 1 ]; then
  "$py" scripts/gpu_check.py torch-embed "$model" "$device" "${sentences[@]}" > "$work/torch.jsonl" 2>"$work/torch.log"
  f=$(glue max-diff "$work/ours-fp32.jsonl" "$work/torch.jsonl" | "$sys_py" -c 'import json,sys; print(json.load(sys.stdin)["max_abs_diff"])')
  b=$(glue max-diff "$work/ours-bf16.jsonl" "$work/torch.jsonl" | "$sys_py" -c 'import json,sys; print(json.load(sys.stdin)["max_abs_diff"])')
  st=$("$sys_py" -c "print('ok' if $f <= 1e-4 and $b <= 2e-2 else 'fail')")
  record embed $st "{\"fp32_max_abs_diff\": $f, \"bf16_max_abs_diff\": $b, \"tolerance_fp32\": 1e-4, \"tolerance_bf16\": 2e-2}"
else
  b=$(glue max-diff "$work/ours-bf16.jsonl" "$work/ours-fp32.jsonl" | "$sys_py" -c 'import json,sys; print(json.load(sys.stdin)["max_abs_diff"])')
  record embed skipped "{\"reason\": \"$py has no torch + transformers\", \"bf16_vs_fp32_max_abs_diff\": $b}"
fi

# -- resume ----------------------------------------------------------------------------------
cat > "$work/resume.toml" <<EOF
method = "cp"
steps = 10
batch_pairs = $resume_pairs
micro_batch = $resume_micro
warmup_steps = 2
lr = 5e-5
checkpoint_every = 100
EOF
pretrain() { "$trainer" pretrain --data "$dataset" --model "$model" --config "$work/resume.toml" --device "$device" --quiet "$@"; }
t0=$(date +%s.%N)
# On CUDA, atomics in backward make two identical runs differ; a second straight run measures
# by how much, and resuming may differ from straight by at most twice that (bitwise on CPU).
if pretrain --out "$work/straight" 2>"$work/resume.log" \
   && { [ $on_gpu = 0 ] || pretrain --out "$work/straight2" 2>>"$work/resume.log"; } \
   && pretrain --out "$work/split" --stop-at 5 2>>"$work/resume.log" \
   && pretrain --out "$work/split" --resume 2>>"$work/resume.log"; then
  last() { ls -d "$1"/checkpoints/step-* | sort -V | tail -1; }
  wdiff() { glue weights-diff "$(last "$1")/model.safetensors" "$(last "$2")/model.safetensors" \
    | "$sys_py" -c 'import json,sys; print(json.load(sys.stdin)["max_abs_diff"])'; }
  diff=$(wdiff "$work/straight" "$work/split")
  rerun=0; [ $on_gpu = 1 ] && rerun=$(wdiff "$work/straight" "$work/straight2")
  tol=$("$sys_py" -c "print(2 * $rerun)")
  st=$("$sys_py" -c "print('ok' if $diff <= $tol else 'fail')")
  secs=$("$sys_py" -c "import time; print(round(time.time() - $t0, 1))")
  record resume $st "{\"max_abs_diff\": $diff, \"rerun_max_abs_diff\": $rerun, \"tolerance\": $tol, \"seconds\": $secs, \"pairs_per_step\": $resume_pairs}"
else
  record resume fail "{\"error\": $(js "$(tail -5 "$work/resume.log")")}"
fi

# -- throughput ------------------------------------------------------------------------------
inputs_py=""
for p in "$py" .venv/bin/python python3; do
  if "$p" -c "import tokenizers" 2>/dev/null; then inputs_py="$p"; break; fi
done
best=0
if [ -z "$inputs_py" ]; then
  record throughput skipped '{"reason": "no Python with the tokenizers package to write the step inputs"}'
else
  for pairs in $pairs_list; do
    "$inputs_py" bench/cp_step_inputs.py "$model" tests/fixtures/wiki80/cp_dev_every20th.txt "$work/in-$pairs.json" "$pairs" 2>/dev/null
    for pad in fixed longest; do
      if with_memory "$trainer" bench-step --model "$model" --inputs "$work/in-$pairs.json" --steps "$steps" \
           --pad $pad --device "$device" > "$work/ours.json" 2>"$work/bench.log"; then
        ours=$("$sys_py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seqs_per_s"])' "$work/ours.json")
        mem=$peak_mib
        theirs=null; tmem=null
        if [ $has_torch = 1 ] && with_memory "$py" bench/cp_step_torch.py "$model" "$work/in-$pairs.json" "$steps" 16 $pad "$device" \
             > "$work/theirs.json" 2>>"$work/bench.log"; then
          theirs=$("$sys_py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seqs_per_s"])' "$work/theirs.json")
          tmem=$peak_mib
        fi
        ratio=$("$sys_py" -c "print('null' if '$theirs' == 'null' else $ours / $theirs)")
        record throughput ok "{\"pairs\": $pairs, \"pad\": \"$pad\", \"seqs_per_s\": $ours, \"pytorch_seqs_per_s\": $theirs, \"ratio\": $ratio, \"peak_gpu_mib\": ${mem:-null}, \"pytorch_peak_gpu_mib\": ${tmem:-null}}"
        best=$("$sys_py" -c "print(max($best, $ours))")
      else
        record throughput fail "{\"pairs\": $pairs, \"pad\": \"$pad\", \"error\": $(js "$(tail -5 "$work/bench.log")")}"
      fi
    done
  done
fi

# -- paper-run -------------------------------------------------------------------------------
if "$sys_py" -c "import sys; sys.exit(0 if $best > 0 else 1)"; then
  # 3,500 steps x 2,048 pairs x 2 sentences; one optimizer step per micro-batch in the bench,
  # one per 2,048 pairs in the real run, so this is an upper bound.
  hours=$("$sys_py" -c "print(3500 * 2048 * 2 / $best / 3600)")
  record paper-run ok "{\"best_seqs_per_s\": $best, \"hours\": $hours, \"model\": $(js "$model_cfg")}"
else
  record paper-run skipped '{"reason": "no throughput measured"}'
fi

# -- finetune --------------------------------------------------------------------------------
ft_model="$work/ft-model"
"$trainer" init-model --config "$ft_cfg" --tokenizer "$tokenizer" --out "$ft_model" --seed 1 2>/dev/null
if [ -n "$wiki80" ]; then
  train="$wiki80/train_0.1.txt"; dev="$wiki80/dev_head.txt"
else
  head -n "${ft_rows:-40}" tests/fixtures/wiki80/cp_dev_every20th.txt > "$work/ft-train.txt"
  train="$work/ft-train.txt"; dev="$work/ft-train.txt"
fi
finetune() {
  "$trainer" --threads "$(nproc)" finetune --task wiki80 --train "$train" --dev "$dev" --test "$dev" \
    --model "$ft_model" --seeds 42 --epochs 1 --batch-size $ft_batch --no-dropout --trace-steps 1000000 \
    --no-save --quiet --device "$1" --out "$work/ft-$2"
}
t0=$(date +%s.%N)
if finetune "$device" dev 2>"$work/ft.log"; then
  t1=$(date +%s.%N)
  if finetune cpu cpu 2>>"$work/ft.log"; then
    t2=$(date +%s.%N)
    c=$(glue loss-curves "$work/ft-cpu/seed-42/trace.json" "$work/ft-dev/seed-42/trace.json")
    st=$(echo "$c" | "$sys_py" -c 'import json,sys; print("ok" if json.load(sys.stdin)["agree"] else "fail")')
    record finetune $st "$(echo "$c" | "$sys_py" -c "import json,sys; d=json.load(sys.stdin); d.update(train=$(js "$train"), device_seconds=round($t1-$t0,1), cpu_seconds=round($t2-$t1,1)); print(json.dumps(d))")"
  else
    record finetune fail "{\"error\": $(js "$(tail -5 "$work/ft.log")")}"
  fi
else
  record finetune fail "{\"error\": $(js "$(tail -5 "$work/ft.log")")}"
fi

echo >&2
glue summary "$results"
! grep -q '"status": "fail"' "$results"
