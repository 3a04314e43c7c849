#!/usr/bin/env bash
# make bench-wikidata: the wikidata stage on a >= 500 MB dump generated from the real 49-item
# fixture (renumbered ids), timed in the same run against (b) bare `gzip -dc` of the same .gz
# and (c) a one-process Python baseline (json.loads per line). Also peak RSS on a 10x smaller
# prefix of the dump, to show memory does not grow with the input.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
dir=artifacts/bench/wikidata
mkdir -p "$dir"
mb="${BENCH_MB:-500}"
runs="${BENCH_RUNS:-3}"
bin=target/release/pipeline
[ -f "$dir/dump.json" ] || python3 bench/make_wikidata_input.py tests/fixtures/wikidata/head49.json.bz2 "$dir/dump.json" "$mb"
[ -f "$dir/dump.json.gz" ] || gzip -1 -c "$dir/dump.json" > "$dir/dump.json.gz"
lines=$(wc -l < "$dir/dump.json")
[ -f "$dir/tenth.json" ] || head -n $((lines / 10)) "$dir/dump.json" > "$dir/tenth.json"
size=$(stat -c %s "$dir/dump.json")
json=$(python3 bench/timing.py "$runs" \
  "stage_plain=$bin wikidata --input $dir/dump.json --out $dir/out-plain" \
  "stage_plain_tenth=$bin wikidata --input $dir/tenth.json --out $dir/out-tenth" \
  "stage_gz=$bin wikidata --input $dir/dump.json.gz --out $dir/out-gz" \
  "gzip_dc=gzip -dc $dir/dump.json.gz > /dev/null" \
  "python=python3 bench/wikidata_baseline.py $dir/dump.json pipeline/data/pid2name.json")
python3 - "$size" "$json" "$(nproc)" <<'PY'
import json, sys
mb, m, cores = int(sys.argv[1]) / 1e6, json.loads(sys.argv[2]), int(sys.argv[3])
for k, v in m.items():
    print(f"  {k:18s} wall {v['wall']:.2f}s (min {v['wall_min']:.2f}, max {v['wall_max']:.2f})  cpu {v['cpu']:.2f}s  peak RSS {v['max_rss_kb']/1024:.0f} MB")
s = m["stage_plain"]
print(f"(a) stage from plain JSON: {mb / s['cpu']:.0f} MB/s per core of CPU time; {mb / s['wall']:.0f} MB/s wall on {cores} cores ({mb:.0f} MB)")
print(f"(b) stage on .gz / gzip -dc (wall): {m['stage_gz']['wall'] / m['gzip_dc']['wall']:.2f}")
print(f"(c) per-core speed-up over Python json.loads: {m['python']['cpu'] / s['cpu']:.1f}x (CPU time)")
print(f"peak RSS, 10x input / 1x input: {s['max_rss_kb'] / m['stage_plain_tenth']['max_rss_kb']:.2f}")
PY
