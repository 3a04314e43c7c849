#!/usr/bin/env bash
# make bench-wikipedia: the wikipedia stage on the real 206-page dump (tests/fixtures) with its
# page streams repeated 20x (bench/wikipedia_repeat.py: 42 bz2 streams, 122 MB of XML), timed
# in the same run against
#   - wikrs 0.4.0 (`--format jsonl --engine ast`), the fastest Rust dump-to-text reader,
#     installed by this script into artifacts/bench/wikipedia/cache (cargo install, pinned);
#   - bare parallel decompression of the same bz2 streams (lbzip2 -n 2).
# Both sides get the same cores: 1 (taskset -c 0) from plain XML, 2 (taskset -c 0,1) from the
# multistream .bz2 with its index. BENCH_RUNS (default 5) alternating runs, medians.
# BENCH_RATE_COPIES=N (e.g. 80): also times the stage and wikrs from plain XML on the dump xN
# and prints (a) as the CPU per MB between the two sizes, the rate a full dump sees (a
# process's fixed costs, such as the kernel zeroing its first few hundred MB, cancel out).
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
# make_dump N: the dump's page streams xN under $dir (multistream .bz2, its index, plain XML).
make_dump() {
  local x="$dir/dump-x$1.xml"
  if [ ! -f "$x" ]; then
    python3 bench/wikipedia_repeat.py tests/fixtures/wikipedia/enwiki-gensim-multistream.xml.bz2 \
      tests/fixtures/wikipedia/enwiki-gensim-multistream-index.txt.bz2 "$1" "$x.bz2" \
      "$dir/dump-x$1-index.txt.bz2"
    bzip2 -dc "$x.bz2" > "$x.tmp" && mv "$x.tmp" "$x"
  fi
}
make_dump "$copies"
command -v lbzip2 >/dev/null || { echo "bench-wikipedia needs lbzip2 (apt-get install lbzip2)" >&2; exit 2; }
command -v taskset >/dev/null || { echo "bench-wikipedia needs taskset (util-linux)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "bench-wikipedia needs 2 cores" >&2; exit 2; }
wikrs="$dir/cache/wikrs-0.4.0/bin/wikrs"
[ -x "$wikrs" ] || cargo install --quiet --locked wikrs --version 0.4.0 --root "$dir/cache/wikrs-0.4.0"
# BENCH_PIPELINE: another build of the stage to time (e.g. an older commit's, for an A/B run).
bin="${BENCH_PIPELINE:-target/release/pipeline}"
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
rate="${BENCH_RATE_COPIES:-}"
if [ -n "$rate" ]; then
  make_dump "$rate"
  big="$dir/dump-x$rate.xml"
  json_big=$(python3 bench/timing.py "$runs" \
    "stage_plain_1c=taskset -c 0 $bin wikipedia --input $big --out $dir/out-plain --threads 1" \
    "wikrs_plain_1c=taskset -c 0 $wikrs --input $big --format jsonl --engine ast")
  python3 - "$size" "$json" "$(stat -c %s "$big")" "$json_big" "$copies" "$rate" <<'PY'
import json, sys
mb, m, mb_big, big = int(sys.argv[1]) / 1e6, json.loads(sys.argv[2]), int(sys.argv[3]) / 1e6, json.loads(sys.argv[4])
print(f"x{sys.argv[6]}: {mb_big:.1f} MB of XML")
per = {}
for k in ("stage_plain_1c", "wikrs_plain_1c"):
    v = big[k]
    per[k] = (v["cpu"] - m[k]["cpu"]) / (mb_big - mb) * 1e3
    print(f"  {k:16s} wall {v['wall']:.3f}s  cpu {v['cpu']:.3f}s  peak RSS {v['max_rss_kb']/1024:.0f} MB  "
          f"marginal {per[k]:.1f} ms of CPU per MB")
s, w = per["stage_plain_1c"], per["wikrs_plain_1c"]
print(f"(a) at a dump's scale (x{sys.argv[5]} -> x{sys.argv[6]}, 1 core): {1e3 / s:.1f} MB/s per core "
      f"(wikrs: {1e3 / w:.1f}); CPU stage / wikrs: {s / w:.2f}x")
PY
fi
