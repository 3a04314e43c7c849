#!/usr/bin/env bash
# make bench-extract (issue 22): extract end to end vs trainer predict on the same pairs, on the
# sample's 1,280 prose sentences with the extract-demo model (scripts/bench_extract.py).
set -euo pipefail
cd "$(dirname "$0")/.."
py="${PYTHON:-python3}"
mkdir -p artifacts/bench/extract
"$py" scripts/extract_eval.py input tests/fixtures/e2e_wiki80/sentences.tsv artifacts/bench/extract/sentences.jsonl
"$py" scripts/bench_extract.py "${TRAINER:-target/release/trainer}" artifacts/runs/extract-wiki80 artifacts \
  artifacts/bench/extract/sentences.jsonl artifacts/bench/extract "${ROUNDS:-3}"
