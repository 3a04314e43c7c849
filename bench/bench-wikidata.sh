#!/usr/bin/env bash
# make bench-wikidata: the wikidata stage on a >= 500 MB dump generated from the real 49-item
# fixture, against (b) bare `gzip -dc` of the same .gz and (c) a one-process Python baseline,
# timed alternately in the same run. Prints medians of wall and CPU time and the ratios.
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
size=$(stat -c %s "$dir/dump.json")
python3 - "$size" "$runs" "$bin" "$dir" <<'PY'
import os, resource, statistics, subprocess, sys, time
size, runs, bin_, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
cmds = {
    "stage_plain": [bin_, "wikidata", "--input", f"{d}/dump.json", "--out", f"{d}/out-plain"],
    "stage_gz": [bin_, "wikidata", "--input", f"{d}/dump.json.gz", "--out", f"{d}/out-gz"],
    "gzip_dc": ["sh", "-c", f"gzip -dc {d}/dump.json.gz > /dev/null"],
    "python": ["python3", "bench/wikidata_baseline.py", f"{d}/dump.json", "pipeline/data/pid2name.json"],
}
res = {k: [] for k in cmds}
for _ in range(runs):
    for name, cmd in cmds.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        res[name].append((wall, cpu))
med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in res.items()}
mb = size / 1e6
print(f"input: {mb:.0f} MB of JSON, {runs} alternating runs, medians (wall s / cpu s):")
for k, (w, c) in med.items():
    print(f"  {k:12s} {w:8.2f} {c:8.2f}")
print(f"(a) stage from plain JSON: {mb / med['stage_plain'][1]:.0f} MB/s per core (cpu time), {mb / med['stage_plain'][0]:.0f} MB/s wall on {os.cpu_count()} cores")
print(f"(b) stage on .gz / gzip -dc (wall): {med['stage_gz'][0] / med['gzip_dc'][0]:.2f}")
print(f"(c) per-core speed-up over Python json.loads: {med['python'][1] / med['stage_plain'][1]:.1f}x (cpu time), {med['python'][0] / med['stage_plain'][0]:.1f}x wall")
PY
