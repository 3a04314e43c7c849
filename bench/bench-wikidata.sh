#!/usr/bin/env bash
# make bench-wikidata: the wikidata stage on a >= 500 MB dump generated from the real 49-item
# fixture (renumbered ids), timed in the same run against (b) bare `gzip -dc` of the same .gz
# and (c) a one-process Python baseline (json.loads per line). Also peak RSS on a 10x smaller
# prefix of the dump, to show memory does not grow with the input. Then issue 18's numbers on
# the scale generator's dump (below).
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

# Issue 18's numbers, on a dump with the real line mix: the scale generator's Wikidata at
# F=0.003 (2.57 GB of JSON, 340k lines, 94% without an enwiki sitelink; bench/scale/gen.py,
# reused from `make bench-scale` when there), as Wikimedia compresses it: .bz2 one lbzip2 stream,
# .gz one member per 2,048 items; plus the same JSON as a single gzip member.
#   (a) stage on .bz2, 2 threads / `lbzip2 -dc -n 2`      (goal <= 1.2)
#   (b) stage on plain JSON with the pre-filter, MB/s per core of CPU   (goal >= 1,000)
#   (c) stage on the single-member .gz / `gzip -dc`      (goal <= 1.0)
#   (c2) stage on the multi-member .gz with member-parallel decoding (4 threads) / with the
#        serial decoder (2 threads), and / `gzip -dc` (on 2 cores no core is free for it)
#   (d) peak RSS of each
scale=artifacts/bench/scale/F0.003/dumps
if ! python3 -c "import json,sys; s=json.load(open(sys.argv[1])); sys.exit(not (float(s['fraction']) == 0.003 and float(s['line_kb']) == 2))" "$scale/stats.json" 2>/dev/null; then
  rm -rf "$scale"; mkdir -p "$scale"
  python3 bench/scale/gen.py --fraction 0.003 --line-kb 2 --out "$scale" > /dev/null
fi
[ -f "$scale/wikidata.json.bz2" ] || { lbzip2 -9 -k -c "$scale/wikidata.json" > "$scale/wikidata.json.bz2.tmp" && mv "$scale/wikidata.json.bz2.tmp" "$scale/wikidata.json.bz2"; }
[ -f "$dir/single.json.gz" ] || { gzip -6 -c "$scale/wikidata.json" > "$dir/single.json.gz.tmp" && mv "$dir/single.json.gz.tmp" "$dir/single.json.gz"; }
ssize=$(stat -c %s "$scale/wikidata.json")
json=$(python3 bench/timing.py "$runs" \
  "bz2=$bin wikidata --threads 2 --input $scale/wikidata.json.bz2 --out $dir/s-bz2" \
  "lbzip2=lbzip2 -dc -n 2 $scale/wikidata.json.bz2 > /dev/null" \
  "plain=$bin wikidata --threads 2 --input $scale/wikidata.json --out $dir/s-plain" \
  "single_gz=$bin wikidata --threads 2 --input $dir/single.json.gz --out $dir/s-single" \
  "gzip_single=gzip -dc $dir/single.json.gz > /dev/null" \
  "members_gz=$bin wikidata --threads 4 --input $scale/wikidata.json.gz --out $dir/s-members" \
  "members_gz_2t=$bin wikidata --threads 2 --input $scale/wikidata.json.gz --out $dir/s-members2" \
  "gzip_members=gzip -dc $scale/wikidata.json.gz > /dev/null")
python3 - "$ssize" "$json" <<'PY'
import json, sys
mb, m = int(sys.argv[1]) / 1e6, json.loads(sys.argv[2])
print(f"issue 18, scale dump F=0.003 ({mb:.0f} MB of JSON):")
for k, v in m.items():
    print(f"  {k:14s} wall {v['wall']:.2f}s (min {v['wall_min']:.2f}, max {v['wall_max']:.2f})  cpu {v['cpu']:.2f}s  peak RSS {v['max_rss_kb']/1024:.0f} MB")
print(f"(a) .bz2, 2 threads / lbzip2 -dc -n 2 (wall): {m['bz2']['wall'] / m['lbzip2']['wall']:.2f}")
print(f"(b) plain JSON with the pre-filter: {mb / m['plain']['cpu']:.0f} MB/s per core of CPU")
print(f"(c) single-member .gz / gzip -dc (wall): {m['single_gz']['wall'] / m['gzip_single']['wall']:.2f}")
print(f"(c2) multi-member .gz, member-parallel (4 threads) / serial decoder (2 threads), wall: {m['members_gz']['wall'] / m['members_gz_2t']['wall']:.2f}, CPU: {m['members_gz']['cpu'] / m['members_gz_2t']['cpu']:.2f}; / gzip -dc (wall): {m['members_gz']['wall'] / m['gzip_members']['wall']:.2f}")
print(f"(d) peak RSS: " + ", ".join(f"{k} {m[k]['max_rss_kb']/1024:.0f} MB" for k in ('bz2', 'plain', 'single_gz', 'members_gz')))
PY
