#!/usr/bin/env python3
"""Times whole commands for the `make bench-*` targets: the commands run in turn (A B C A B C
...), each run's wall time, CPU time (user+sys of the child) and peak RSS recorded; medians are
printed as JSON on stdout. Ratios are computed by the callers from medians of the same run.

usage: timing.py RUNS NAME=COMMAND [NAME=COMMAND ...]   (COMMAND is run by /bin/sh)
"""
import json
import os
import statistics
import subprocess
import sys
import time


def main():
    runs = int(sys.argv[1])
    cmds = [a.split("=", 1) for a in sys.argv[2:]]
    res = {name: [] for name, _ in cmds}
    for _ in range(runs):
        for name, cmd in cmds:
            t = time.perf_counter()
            pid = subprocess.Popen(["/bin/sh", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid
            _, status, ru = os.wait4(pid, 0)
            wall = time.perf_counter() - t
            if status != 0:
                sys.exit(f"{name} failed: {cmd}")
            res[name].append((wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))
    out = {
        name: {
            "wall": statistics.median(r[0] for r in v),
            "cpu": statistics.median(r[1] for r in v),
            "wall_min": min(r[0] for r in v),
            "wall_max": max(r[0] for r in v),
            "max_rss_kb": max(r[2] for r in v),
        }
        for name, v in res.items()
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
