#!/usr/bin/env python3
"""Paired comparison of two `trainer fewshot eval` runs on the same episodes (same data,
--seed and --episodes): for each setting both runs have, the mean per-episode accuracy
difference A - B in points with its 95% normal interval. Pairing removes the episodes'
shared difficulty, so the interval is narrower than the two runs' own intervals suggest.

usage: paired_episodes.py EVAL_DIR_A EVAL_DIR_B
"""
import json
import math
import sys
from pathlib import Path

a, b = map(Path, sys.argv[1:3])
for fa in sorted(a.glob("episodes-*.txt")):
    fb = b / fa.name
    if not fb.exists():
        continue
    ra = json.loads((a / fa.name.replace("episodes-", "results-").replace(".txt", ".json")).read_text())
    rb = json.loads((b / fb.name.replace("episodes-", "results-").replace(".txt", ".json")).read_text())
    if (ra["data"], ra["seed"], ra["episodes"]) != (rb["data"], rb["seed"], rb["episodes"]):
        sys.exit(f"{fa.name}: the runs used different data, seed or episode counts")
    xa = [float(x) for x in fa.read_text().split()]
    xb = [float(x) for x in fb.read_text().split()]
    d = [p - q for p, q in zip(xa, xb)]
    n = len(d)
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
    ci = 1.96 * sd / math.sqrt(n)
    print(f"{ra['setting']}: A - B = {100 * mean:+.2f} ± {100 * ci:.2f} points over {n} paired episodes")
