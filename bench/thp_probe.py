#!/usr/bin/env python3
"""What a first touch of fresh memory costs on this host, with and without transparent huge
pages: maps N MB of anonymous memory (twice: plain 4 KiB pages, then `MADV_HUGEPAGE`), writes
one byte per 4 KiB page and prints the time per MB. Behind the `wikipedia` stage turning huge
pages off (`pipeline/src/main.rs`, `no_huge_pages`; docs/SCALE.md, issue 19's twelfth pass).

    python3 bench/thp_probe.py [MB]   (default 256)
"""
import mmap
import sys
import time


def touch(mb: int, huge: bool) -> float:
    n = mb << 20
    m = mmap.mmap(-1, n, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if huge:
        m.madvise(mmap.MADV_HUGEPAGE)
    t = time.perf_counter()
    for at in range(0, n, 4096):
        m[at] = 1
    dt = time.perf_counter() - t
    m.close()
    return dt


def main() -> None:
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
        print(f"transparent_hugepage: {f.read().strip()}")
    # The second round shows memory this process freed and touched again: a huge page the host
    # already backs costs far less than a fresh one.
    for huge in (False, True, False, True):
        dt = touch(mb, huge)
        kind = "MADV_HUGEPAGE" if huge else "4 KiB pages  "
        print(f"{kind} {mb} MB: {dt:.3f} s, {dt / mb * 1e3:.2f} ms per MB")


if __name__ == "__main__":
    main()
