#!/usr/bin/env python3
"""The bench-scale table: one row per stage and fraction, and with two or more fractions a fit of
wall time, CPU time and peak RSS against F, extrapolated to the full dumps (F=1).

usage: report.py ROOT FRACTION [FRACTION ...] [kb-full]

Fit: between the two largest fractions, two models, and the larger of their predictions at
F=1: a power law y = a * F^b (b from the log-log slope, clamped to [0, 2]; it follows
superlinear growth such as hubs) and an affine law y = c + k * F (a fixed cost plus a linear
part: a power law fitted where a fixed cost still dominates underestimates). The `wikidata`
stages' CPU instead scales per JSON byte to the real dump's 1.9 TB, since LINE_KB may shrink
the generated lines. Time on other core
counts: from the measured parallelism on this machine (CPU s / wall s = p on n cores), Amdahl's
serial share s = (n/p - 1) / (n - 1), and wall(m cores) = CPU(1) * (s + (1 - s) / m).
"""
import json
import math
import os
import subprocess
import sys
import time

FULL_JSON_BYTES = 1.9e12  # Wikidata JSON today (docs/SCALE.md)
BUDGET_GB = 16  # peak RSS goal on this machine (DEVELOPERS.md)
RAM_GB = 24


def load(root, name):
    path = os.path.join(root, f"F{name}" if name != "kb-full" else name, "results.jsonl")
    return [json.loads(l) for l in open(path)]


def fmt_s(s):
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    if s < 3 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def fmt_gb(kb):
    return f"{kb / 1024 / 1024:.2f} GB" if kb >= 1024 * 1024 else f"{kb / 1024:.0f} MB"


def table(rows, cores):
    out = ["| stage | F | input MB | data MB | wall s | CPU s | MB/s per core | peak RSS | output rows | P / R |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        pr = f"{r['precision']:.3f} / {r['recall']:.3f}" if "precision" in r else ""
        per_core = r["data_bytes"] / 1e6 / max(r["cpu_s"], 1e-3)
        out.append(f"| {r['stage']} | {r['fraction']} | {r['input_bytes'] / 1e6:.1f} | {r['data_bytes'] / 1e6:.1f} | "
                   f"{r['wall_s']:.2f} | {r['cpu_s']:.2f} | {per_core:.1f} | {fmt_gb(r['peak_rss_kb'])} | "
                   f"{r['output_rows']:,} | {pr} |")
    return "\n".join(out)


def extrapolate(y1, y2, f1, f2, b):
    """The larger of the power-law and the affine prediction at F=1."""
    power = y2 * (1 / f2) ** b
    affine = y2 + (y2 - y1) / (f2 - f1) * (1 - f2)
    return max(power, affine)


def exponent(y1, y2, f1, f2):
    if y1 <= 0 or y2 <= 0:
        return 1.0
    return max(0.0, min(2.0, math.log(y2 / y1) / math.log(f2 / f1)))


def main():
    root, names = sys.argv[1], sys.argv[2:]
    kb_full = "kb-full" in names
    fr = [n for n in names if n != "kb-full"]
    cores = os.cpu_count()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"# bench-scale ({time.strftime('%Y-%m-%d')}, commit {commit}, {cores} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB)\n")
    runs = {f: load(root, f) for f in fr}
    print("Measured (data MB: uncompressed JSON/XML for the dump stages, Parquet read for the others; "
          "MB/s per core = data MB / CPU s):\n")
    print(table([r for f in fr for r in runs[f]], cores))
    if kb_full:
        print("\nFull-size knowledge base (the 7.1M enwiki items, compact lines), `link` with the "
              f"F={fr[0]} sentences:\n")
        print(table(load(root, "kb-full"), cores))
    if len(fr) < 2:
        print("\n(one fraction: run with F=0.001,0.01 for the fit and the extrapolation to the full dumps)")
        return
    f1, f2 = sorted(fr, key=float)[-2:]
    a, b = {r["stage"]: r for r in runs[f1]}, {r["stage"]: r for r in runs[f2]}
    x1, x2 = float(f1), float(f2)
    print(f"\nExtrapolated to the full dumps (F=1) from F={f1} and F={f2}: the larger of "
          "y(F2) * (1/F2)^b and the affine line through both measurements.\n")
    print(f"| stage | b (time) | b (RSS) | CPU at F=1 | wall on {cores} cores | wall on 64 cores | peak RSS at F=1: power law / affine (upper bound) | fits? (upper bound) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    verdicts = []
    for st in b:
        if st not in a:
            continue
        bt = exponent(a[st]["cpu_s"], b[st]["cpu_s"], x1, x2)
        br = exponent(a[st]["peak_rss_kb"], b[st]["peak_rss_kb"], x1, x2)
        cpu = extrapolate(a[st]["cpu_s"], b[st]["cpu_s"], x1, x2, bt)
        if st.startswith("wikidata"):
            # Byte-proportional (decompression, scanning): the generated lines may be smaller
            # than the real ones (LINE_KB), so scale by bytes, not by F.
            bt = 1.0
            cpu = b[st]["cpu_s"] * FULL_JSON_BYTES / b[st]["data_bytes"]
        rss = extrapolate(a[st]["peak_rss_kb"], b[st]["peak_rss_kb"], x1, x2, br)
        rss_pow = b[st]["peak_rss_kb"] * (1 / x2) ** br
        if kb_full and st == "link":
            kbr = {r["stage"]: r for r in load(root, "kb-full")}["link"]["peak_rss_kb"]
            rss = max(rss, kbr)
            rss_pow = max(rss_pow, kbr)
        p = min(cores, max(1.0, b[st]["cpu_s"] / max(b[st]["wall_s"], 1e-3)))
        s = (cores / p - 1) / (cores - 1) if cores > 1 else 1.0
        wall_n = cpu * (s + (1 - s) / cores)
        wall_64 = cpu * (s + (1 - s) / 64)
        gb = rss / 1024 / 1024
        fits = "yes" if gb < BUDGET_GB else (f"no: over the {BUDGET_GB} GB budget" if gb < RAM_GB else f"no: over {RAM_GB} GB RAM")
        verdicts.append((st, gb, wall_n))
        print(f"| {st} | {bt:.2f} | {br:.2f} | {fmt_s(cpu)} | {fmt_s(wall_n)} | {fmt_s(wall_64)} | {rss_pow / 1024 / 1024:.1f} / {gb:.1f} GB | {fits} |")
    over = [f"{st} ({gb:.0f} GB)" for st, gb, _ in verdicts if gb >= BUDGET_GB]
    longest = max(verdicts, key=lambda v: v[2])
    print(f"\nWould not fit in {BUDGET_GB} GB on this machine: {', '.join(over) if over else 'none'}. "
          f"Longest stage here: {longest[0]} ({fmt_s(longest[2])} on {cores} cores).")
    print("The dump stages' byte-proportional costs scale with the real dump sizes (1.9 TB of JSON, "
          "~110 GB of XML) only if the generated lines have the real average size (LINE_KB=16).")


if __name__ == "__main__":
    main()
