#!/usr/bin/env python3
"""Python baseline for `make bench-wikidata`: one process, stdlib json.loads per line,
extracting the same fields as the `wikidata` stage (English label/description/aliases, enwiki
title, P31/P279, item-valued non-deprecated claims of the relation set). Prints counts."""
import json
import sys

rels = set(json.load(open(sys.argv[2])))
ents = claims = 0
with open(sys.argv[1], "rb") as f:
    for raw in f:
        line = raw.strip().rstrip(b",")
        if not line or line in (b"[", b"]"):
            continue
        e = json.loads(line)
        ents += 1
        label = (e.get("labels") or {}).get("en", {}).get("value") if isinstance(e.get("labels"), dict) else None
        desc = (e.get("descriptions") or {}).get("en", {}).get("value") if isinstance(e.get("descriptions"), dict) else None
        aliases = [a["value"] for a in (e.get("aliases") or {}).get("en", [])] if isinstance(e.get("aliases"), dict) else []
        title = (e.get("sitelinks") or {}).get("enwiki", {}).get("title") if isinstance(e.get("sitelinks"), dict) else None
        for pid, sts in (e.get("claims") or {}).items():
            if pid not in rels and pid not in ("P31", "P279"):
                continue
            for st in sts:
                if st.get("rank") == "deprecated":
                    continue
                snak = st["mainsnak"]
                if snak["snaktype"] != "value":
                    continue
                dv = snak.get("datavalue", {})
                if dv.get("type") == "wikibase-entityid":
                    claims += 1
print(ents, claims)
