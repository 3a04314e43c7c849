#!/usr/bin/env python3
"""Repeats a multistream Wikipedia dump's page streams N times into a new multistream dump with
its index, for benchmarks on more input than the bundled real dump holds (it has 2 page
streams; x20 gives 40 + the header and footer streams, 122 MB of XML).

usage: wikipedia_repeat.py DUMP.xml.bz2 INDEX.txt.bz2 N OUT.xml.bz2 OUT-index.txt.bz2

The header stream (<mediawiki><siteinfo>) is written once, then the page streams N times, then
the footer stream (</mediawiki>), so the result is one well-formed dump whose pages repeat
(page ids included). Index offsets are shifted to the copies' positions.
"""
import bz2
import sys


def main():
    dump, index, n, out, out_index = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    data = open(dump, "rb").read()
    lines = bz2.decompress(open(index, "rb").read()).decode("utf-8").splitlines()
    entries = [(int(line.split(":", 1)[0]), line.split(":", 1)[1]) for line in lines if line]
    first = entries[0][0]
    last = entries[-1][0]
    # The last page stream ends where its bz2 stream ends; what follows is the footer stream.
    d = bz2.BZ2Decompressor()
    d.decompress(data[last:])
    if not d.eof:
        sys.exit(f"{dump}: the last indexed stream at byte {last} does not end")
    body_end = len(data) - len(d.unused_data)
    header, body, footer = data[:first], data[first:body_end], data[body_end:]
    with open(out, "wb") as f, bz2.open(out_index, "wt", encoding="utf-8") as idx:
        f.write(header)
        for k in range(n):
            shift = len(header) + k * len(body) - first
            for off, rest in entries:
                idx.write(f"{off + shift}:{rest}\n")
            f.write(body)
        f.write(footer)


if __name__ == "__main__":
    main()
