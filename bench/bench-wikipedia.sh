#!/usr/bin/env bash
# make bench-wikipedia: the wikipedia stage on the real 206-page dump (tests/fixtures), timed in
# the same run against (b) bare parallel decompression of the same bz2 streams (lbzip2 -n 2)
# and (c) WikiExtractor 3.1.0 (--links --json --processes 1).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
dir=artifacts/bench/wikipedia
mkdir -p "$dir"
runs="${BENCH_RUNS:-5}"
ms=tests/fixtures/wikipedia/enwiki-gensim-multistream.xml.bz2
idx=tests/fixtures/wikipedia/enwiki-gensim-multistream-index.txt.bz2
[ -f "$dir/dump.xml" ] || bzip2 -dc "$ms" > "$dir/dump.xml"
command -v lbzip2 >/dev/null || { echo "bench-wikipedia needs lbzip2 (apt-get install lbzip2)" >&2; exit 2; }
if [ ! -x "$dir/venv/bin/wikiextractor" ]; then
  python3 -m venv "$dir/venv"
  "$dir/venv/bin/pip" install --quiet --disable-pip-version-check wikiextractor==3.1.0
fi
bin=target/release/pipeline
size=$(stat -c %s "$dir/dump.xml")
json=$(python3 bench/timing.py "$runs" \
  "stage_plain_1t=$bin wikipedia --input $dir/dump.xml --out $dir/out-plain --threads 1" \
  "stage_multistream_2t=$bin wikipedia --input $ms --index $idx --out $dir/out-ms --threads 2" \
  "lbzip2_2t=lbzip2 -dc -n 2 $ms > /dev/null" \
  "wikiextractor_1p=rm -rf $dir/wx && $dir/venv/bin/wikiextractor --links --json --processes 1 -q -o $dir/wx $dir/dump.xml")
python3 - "$size" "$json" <<'PY'
import json, sys
mb = int(sys.argv[1]) / 1e6
m = json.loads(sys.argv[2])
for k, v in m.items():
    print(f"  {k:22s} wall {v['wall']:.3f}s (min {v['wall_min']:.3f}, max {v['wall_max']:.3f})  cpu {v['cpu']:.3f}s  peak RSS {v['max_rss_kb']/1024:.0f} MB")
print(f"(a) stage from plain XML, 1 thread: {mb / m['stage_plain_1t']['cpu']:.1f} MB/s per core ({mb:.1f} MB XML)")
print(f"(b) multistream on 2 threads / lbzip2 -n 2 (wall): {m['stage_multistream_2t']['wall'] / m['lbzip2_2t']['wall']:.2f}")
print(f"(c) WikiExtractor (1 process) / stage (1 thread), per core (cpu): {m['wikiextractor_1p']['cpu'] / m['stage_plain_1t']['cpu']:.1f}x")
PY
