#!/usr/bin/env python3
"""Builds a large Wikidata dump for `make bench-wikidata` by repeating the real 49-item head
with renumbered entity ids (never committed; written to artifacts/bench/).

usage: make_wikidata_input.py FIXTURE.json.bz2 OUT.json MIN_MB
"""
import bz2
import re
import sys

src, out, min_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = [l for l in bz2.decompress(open(src, "rb").read()).decode().splitlines() if l.strip() not in ("[", "]", "")]
lines = [l.rstrip(",") for l in lines]
id_re = re.compile(r'"id":"Q(\d+)"')
written = 0
copy = 0
with open(out, "w") as f:
    f.write("[\n")
    while written < min_mb * 1_000_000:
        for l in lines:
            # Renumber only the entity's own id (its first "id" key), keep claim values real.
            l2 = id_re.sub(lambda m: f'"id":"Q{int(m.group(1)) + copy * 1_000_000_000}"', l, count=1) if copy else l
            f.write(l2 + ",\n")
            written += len(l2) + 2
        copy += 1
    f.write("]\n")
print(f"{out}: {copy} copies, {written / 1e6:.0f} MB")
