#!/usr/bin/env python3
"""Independent counts over the vendored Wikidata fixtures, for pipeline/tests/wikidata.rs.

Reads each dump with the standard library only (json.loads per line) and counts what the
`wikidata` stage must report. Writes wikidata_counts.json beside this script. Not run by CI:
rerun by hand when fixtures change:  python3 tests/reference/wikidata_counts.py
"""
import bz2
import gzip
import json
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = {
    "head49": ROOT / "tests/fixtures/wikidata/head49.json.bz2",
    "wdtk101": ROOT / "tests/fixtures/wikidata/wdtk-sample-101.json.gz",
    "e2e": ROOT / "tests/fixtures/e2e_wiki80/wikidata.json",
}
RELATIONS = set(json.loads((ROOT / "pipeline/data/pid2name.json").read_text()))


def lines(path):
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    elif raw[:3] == b"BZh":
        raw = bz2.decompress(raw)
    for line in raw.decode("utf-8").splitlines():
        line = line.strip().rstrip(",")
        if line and line not in "[]":
            yield json.loads(line)


def terms(obj, key):
    v = obj.get(key) or {}
    return v if isinstance(v, dict) else {}


def count(path):
    c = Counter()
    kinds = Counter()
    ranks = Counter()
    dropped = Counter()
    triples = []
    for e in lines(path):
        kinds[e["type"]] += 1
        if e["type"] not in ("item", "property"):
            continue
        c["with_enwiki"] += "enwiki" in terms(e, "sitelinks")
        c["with_en_label"] += "en" in terms(e, "labels")
        c["en_aliases"] += len(terms(e, "aliases").get("en", []))
        for pid, statements in terms(e, "claims").items():
            if pid not in RELATIONS:
                dropped["property_not_in_relation_set"] += len(statements)
                continue
            for st in statements:
                snak = st["mainsnak"]
                if st.get("rank") == "deprecated":
                    dropped["deprecated"] += 1
                    continue
                if snak["snaktype"] != "value":
                    dropped["novalue_or_somevalue"] += 1
                    continue
                dv = snak.get("datavalue", {})
                val = dv.get("value")
                if dv.get("type") != "wikibase-entityid" or val.get("entity-type", "item") != "item":
                    dropped["not_item_valued"] += 1
                    continue
                tail = val.get("id") or f"Q{val['numeric-id']}"
                ranks[st.get("rank", "normal")] += 1
                triples.append([e["id"], pid, tail, st.get("rank", "normal")])
    return {
        "entities_by_kind": dict(kinds),
        "items_with_enwiki_title": c["with_enwiki"],
        "entities_with_english_label": c["with_en_label"],
        "english_aliases": c["en_aliases"],
        "claims_kept_by_rank": dict(ranks),
        "claims_dropped_by_reason": dict(dropped),
        "first_claims": triples[:5],
        "last_claim": triples[-1] if triples else None,
    }


def main():
    out = {name: count(path) for name, path in FIXTURES.items()}
    dest = Path(__file__).with_name("wikidata_counts.json")
    dest.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
