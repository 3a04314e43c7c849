#!/usr/bin/env bash
# make bench-scale: every stage on generated dumps at fractions F of today's full Wikipedia +
# Wikidata (bench/scale/gen.py), each under /usr/bin/time -v; one table per fraction, and with
# two or more fractions a fit of time and peak RSS against F, extrapolated to the full dumps.
#
#   F=0.001,0.01   fractions (comma-separated; default 0.001)
#   LINE_KB=16     average Wikidata line size of the generated dump (real: ~16 KB); one value,
#                  or one per fraction (e.g. 16,2: smaller lines keep the 0.01 dump at ~2 GB)
#   KB_FULL=1      also the full-size knowledge base: the 7.1M enwiki items (compact lines)
#                  through `wikidata` and `link` (with the first fraction's sentences)
#   RUNS_DIR       where dumps and outputs go (default artifacts/bench/scale)
#   PIPELINE, TRAINER  the binaries to measure (default target/release/...)
# Generated dumps are kept and reused when their parameters match.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
F="${F:-0.001}"
LINE_KB="${LINE_KB:-16}"
root="${RUNS_DIR:-artifacts/bench/scale}"
bin="${PIPELINE:-target/release/pipeline}"   # PIPELINE/TRAINER: measure other builds
trainer="${TRAINER:-target/release/trainer}"
py=.venv/bin/python
mkdir -p "$root"
[ -x /usr/bin/time ] || { echo "bench-scale needs /usr/bin/time (Debian package 'time')" >&2; exit 2; }

# measure NAME DIR INPUT_BYTES DATA_BYTES COMMAND...: runs COMMAND under time -v, appends a JSON
# line to DIR/results.jsonl (outputs: the caller's count afterwards).
measure() {
  local name=$1 dir=$2 in_bytes=$3 data_bytes=$4; shift 4
  echo "  $name ..." >&2
  /usr/bin/time -v -o "$dir/$name.time" "$@" > "$dir/$name.log" 2>&1 || {
    echo "stage $name failed; its log: $dir/$name.log" >&2; tail -5 "$dir/$name.log" >&2; return 1; }
  python3 - "$name" "$dir/$name.time" "$in_bytes" "$data_bytes" >> "$dir/results.jsonl" <<'PY'
import json, re, sys
name, path, inb, datab = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t = open(path).read()
def field(label):
    return re.search(re.escape(label) + r": (.*)", t).group(1).strip()
wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
secs = 0.0
for part in wall.split(":"):
    secs = secs * 60 + float(part)
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
print(json.dumps({"stage": name, "input_bytes": inb, "data_bytes": datab, "wall_s": secs, "cpu_s": cpu,
                  "peak_rss_kb": int(field("Maximum resident set size (kbytes)"))}))
PY
}

size() { stat -c %s "$@" | awk '{s+=$1} END {printf "%.0f\n", s}'; }
rows() { $py -c "import duckdb,sys; print(duckdb.connect().execute(f\"SELECT count(*) FROM '{sys.argv[1]}'\").fetchone()[0])" "$1"; }

compress_bz2() {  # one bz2 stream of 900 kB blocks, as Wikimedia's lbzip2 writes it
  if command -v lbzip2 > /dev/null; then lbzip2 -9 -k -c "$1" > "$1.bz2.tmp"; else bzip2 -9 -k -c "$1" > "$1.bz2.tmp"; fi
  mv "$1.bz2.tmp" "$1.bz2"
}

generate() {  # DIR FRACTION LINE_KB [--kb-only]
  local dir=$1 f=$2 lkb=$3; shift 3
  local want="{\"fraction\": $f, \"line_kb\": $lkb, \"kb_only\": $([ $# -gt 0 ] && echo true || echo false)}"
  if [ -f "$dir/stats.json" ] && python3 -c "import json,sys; s=json.load(open(sys.argv[1])); w=json.loads(sys.argv[2]); sys.exit(any(float(s[k])!=float(v) if not isinstance(v,bool) else s[k]!=v for k,v in w.items()))" "$dir/stats.json" "$want"; then
    echo "== F=$f: reusing the dumps in $dir" >&2
    return
  fi
  rm -rf "$dir"; mkdir -p "$dir"
  echo "== F=$f: generating dumps into $dir" >&2
  local t0=$SECONDS
  python3 bench/scale/gen.py --fraction "$f" --line-kb "$lkb" --out "$dir" "$@" > /dev/null
  [ $# -gt 0 ] || compress_bz2 "$dir/wikidata.json"
  echo "   generated in $((SECONDS - t0)) s" >&2
}

IFS=, read -ra fractions <<< "$F"
IFS=, read -ra lines <<< "$LINE_KB"
i=0
for f in "${fractions[@]}"; do
  lkb="${lines[$i]:-${lines[-1]}}"
  i=$((i + 1))
  d="$root/F$f"
  generate "$d/dumps" "$f" "$lkb"
  out="$d/out"
  rm -rf "$out" "$d/results.jsonl"; mkdir -p "$out"
  json=$(size "$d/dumps/wikidata.json")
  xml=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['xml_bytes'])" "$d/dumps/stats.json")
  echo "== F=$f: stages" >&2
  measure wikidata-bz2 "$d" "$(size "$d/dumps/wikidata.json.bz2")" "$json" \
    $bin wikidata --input "$d/dumps/wikidata.json.bz2" --out "$out/wikidata-bz2"
  measure wikidata-gz "$d" "$(size "$d/dumps/wikidata.json.gz")" "$json" \
    $bin wikidata --input "$d/dumps/wikidata.json.gz" --out "$out/wikidata"
  rm -rf "$out/wikidata-bz2"
  measure wikipedia "$d" "$(size "$d/dumps/pages-articles-multistream.xml.bz2")" "$xml" \
    $bin wikipedia --input "$d/dumps/pages-articles-multistream.xml.bz2" \
      --index "$d/dumps/pages-articles-multistream-index.txt.bz2" --out "$out/wikipedia"
  wd=$(size "$out"/wikidata/*.parquet); wp=$(size "$out"/wikipedia/*.parquet)
  measure link "$d" $((wd + wp)) $((wd + wp)) \
    $bin link --sentences "$out/wikipedia" --wikidata "$out/wikidata" --out "$out/link"
  lk=$(size "$out"/link/*.parquet)
  measure dataset "$d" $((wd + wp + lk)) $((wd + wp + lk)) \
    $bin dataset --link "$out/link" --wikidata "$out/wikidata" --out "$out/dataset"
  ds=$(size "$out"/dataset/*.parquet)
  measure export-cp "$d" "$ds" "$ds" $bin export-cp --dataset "$out/dataset" --out "$out/export-cp"
  if [ -x "$trainer" ] && [ -d artifacts/models/all-MiniLM-L6-v2 ]; then
    # The piece store (every dataset sentence encoded once) is built at the start of a run;
    # --stop-at 0 ends the run right after it.
    measure piece-store "$d" "$(size "$out/dataset/relation_instances.parquet")" "$(size "$out/dataset/relation_instances.parquet")" \
      $trainer pretrain --method cp --data "$out/dataset" --model artifacts/models/all-MiniLM-L6-v2 \
        --out "$out/pretrain" --stop-at 0 --quiet
  fi
  score=$($py bench/scale/score.py "$d/dumps/gold.tsv" "$out/wikipedia" "$out/dataset")
  python3 - "$d/results.jsonl" "$f" "$score" \
    "wikidata-bz2=$(rows "$out/wikidata/entities.parquet")" \
    "wikidata-gz=$(rows "$out/wikidata/entities.parquet")" \
    "wikipedia=$(rows "$out/wikipedia/sentences.parquet")" \
    "link=$(rows "$out/link/mentions.parquet")" \
    "dataset=$(rows "$out/dataset/relation_instances.parquet")" \
    "export-cp=$(grep -o 'export-cp: [0-9]*' "$d/export-cp.log" | grep -o '[0-9]*$')" \
    "piece-store=$(rows "$out/dataset/relation_instances.parquet")" <<'PY'
import json, sys
path, f, score = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
counts = dict(a.split("=", 1) for a in sys.argv[4:])
lines = [json.loads(l) for l in open(path)]
for r in lines:
    r["fraction"] = f
    r["output_rows"] = int(counts.get(r["stage"], 0))
    if r["stage"] == "dataset":
        r["precision"], r["recall"] = score["precision"], score["recall"]
with open(path, "w") as fh:
    for r in lines:
        fh.write(json.dumps(r) + "\n")
PY
done

if [ "${KB_FULL:-0}" = 1 ]; then
  d="$root/kb-full"
  generate "$d/dumps" 1 16 --kb-only
  out="$d/out"
  rm -rf "$out" "$d/results.jsonl"; mkdir -p "$out"
  first="$root/F${fractions[0]}/out/wikipedia"
  echo "== full-size KB: stages" >&2
  measure wikidata "$d" "$(size "$d/dumps/wikidata.json")" "$(size "$d/dumps/wikidata.json")" \
    $bin wikidata --input "$d/dumps/wikidata.json" --out "$out/wikidata"
  wd=$(size "$out"/wikidata/*.parquet); wp=$(size "$first"/*.parquet)
  measure link "$d" $((wd + wp)) $((wd + wp)) \
    $bin link --sentences "$first" --wikidata "$out/wikidata" --out "$out/link"
  python3 - "$d/results.jsonl" "wikidata=$(rows "$out/wikidata/entities.parquet")" \
    "link=$(rows "$out/link/mentions.parquet")" <<'PY'
import json, sys
counts = dict(a.split("=", 1) for a in sys.argv[2:])
lines = [json.loads(l) for l in open(sys.argv[1])]
with open(sys.argv[1], "w") as fh:
    for r in lines:
        r.update(fraction="kb-full", output_rows=int(counts[r["stage"]]))
        fh.write(json.dumps(r) + "\n")
PY
fi

python3 bench/scale/report.py "$root" "${fractions[@]}" $([ "${KB_FULL:-0}" = 1 ] && echo kb-full) | tee "$root/report.md"
