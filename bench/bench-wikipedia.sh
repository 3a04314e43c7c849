#!/usr/bin/env bash
# make bench-wikipedia: the wikipedia stage on the real 206-page dump (tests/fixtures) with its
# page streams repeated 20x (bench/wikipedia_repeat.py: 42 bz2 streams, 122 MB of XML), timed
# in the same run against
#   - wikrs 0.4.0 (`--format jsonl --engine ast`), the fastest Rust dump-to-text reader,
#     installed by this script into artifacts/bench/wikipedia/cache (cargo install, pinned);
#   - bare parallel decompression of the same bz2 streams (lbzip2 -n 2).
# Both sides get the same cores: 1 (taskset -c 0) from plain XML, 2 (taskset -c 0,1) from the
# multistream .bz2 with its index. BENCH_RUNS (default 5) alternating runs, medians.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
dir=artifacts/bench/wikipedia
mkdir -p "$dir"
runs="${BENCH_RUNS:-5}"
copies="${BENCH_COPIES:-20}"
ms="$dir/dump-x$copies.xml.bz2"
idx="$dir/dump-x$copies-index.txt.bz2"
xml="$dir/dump-x$copies.xml"
if [ ! -f "$xml" ]; then
  python3 bench/wikipedia_repeat.py tests/fixtures/wikipedia/enwiki-gensim-multistream.xml.bz2 \
    tests/fixtures/wikipedia/enwiki-gensim-multistream-index.txt.bz2 "$copies" "$ms" "$idx"
  bzip2 -dc "$ms" > "$xml.tmp" && mv "$xml.tmp" "$xml"
fi
command -v lbzip2 >/dev/null || { echo "bench-wikipedia needs lbzip2 (apt-get install lbzip2)" >&2; exit 2; }
command -v taskset >/dev/null || { echo "bench-wikipedia needs taskset (util-linux)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "bench-wikipedia needs 2 cores" >&2; exit 2; }
wikrs="$dir/cache/wikrs-0.4.0/bin/wikrs"
[ -x "$wikrs" ] || cargo install --quiet --locked wikrs --version 0.4.0 --root "$dir/cache/wikrs-0.4.0"
bin=target/release/pipeline
size=$(stat -c %s "$xml")
json=$(python3 bench/timing.py "$runs" \
  "stage_plain_1c=taskset -c 0 $bin wikipedia --input $xml --out $dir/out-plain --threads 1" \
  "wikrs_plain_1c=taskset -c 0 $wikrs --input $xml --format jsonl --engine ast" \
  "stage_ms_2c=taskset -c 0,1 $bin wikipedia --input $ms --index $idx --out $dir/out-ms --threads 2" \
  "wikrs_ms_2c=taskset -c 0,1 $wikrs --input $ms --index $idx --format jsonl --engine ast" \
  "lbzip2_2c=taskset -c 0,1 lbzip2 -dc -n 2 $ms")
python3 - "$size" "$json" <<'PY'
import json, sys
mb = int(sys.argv[1]) / 1e6
m = json.loads(sys.argv[2])
for k, v in m.items():
    print(f"  {k:16s} wall {v['wall']:.3f}s (min {v['wall_min']:.3f}, max {v['wall_max']:.3f})  cpu {v['cpu']:.3f}s  peak RSS {v['max_rss_kb']/1024:.0f} MB")
print(f"input: {mb:.1f} MB of XML")
print(f"(a) stage from plain XML, 1 core: {mb / m['stage_plain_1c']['cpu']:.1f} MB/s per core "
      f"(wikrs: {mb / m['wikrs_plain_1c']['cpu']:.1f}); CPU stage / wikrs: "
      f"{m['stage_plain_1c']['cpu'] / m['wikrs_plain_1c']['cpu']:.2f}x")
print(f"(b) multistream, 2 cores, stage / lbzip2 -n 2 (wall): {m['stage_ms_2c']['wall'] / m['lbzip2_2c']['wall']:.2f}x")
print(f"(c) multistream, 2 cores, stage / wikrs --index (wall): {m['stage_ms_2c']['wall'] / m['wikrs_ms_2c']['wall']:.2f}x")
PY
