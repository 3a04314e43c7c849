#!/usr/bin/env python3
"""`trainer extract` against the e2e_wiki80 fixture's gold triples (standard library only).

  input SENTENCES.tsv OUT.jsonl
      one document per prose sentence: {"title", "text"} (line k = the k-th sentence row)
  train-file TRAIN.txt SENTENCES.tsv OUT.txt [RELATIONS...]
      the Wiki80 training records whose sentence is not one of the fixture's (and, when
      relations are named, only those relations): the model never sees a test sentence
  eval SENTENCES.tsv GOLD.tsv WIKIDATA.json PAIRS.jsonl [--calibrate f1|fpr] [--fpr F]
       [--relations P1,P2,..]
       [--write-threshold DIR] [--json OUT]
      PAIRS.jsonl: `trainer extract --threshold 0` on the `input` file (every classified pair).
      Calibration: the pages are split in two by their order (even: calibration, odd:
      evaluation), and the threshold is chosen on the calibration pages' linked pairs:
        --calibrate f1 (default): the score that maximises the F1 of the extracted triples
          against the calibration pages' gold rows; the negatives are every other pair, above
          all the pairs holding no claim either way in WIKIDATA.json;
        --calibrate fpr: the score that only a share --fpr (default 0.05) of the pairs holding
          no claim either way reach.
      Then, on the evaluation pages, a triple (page, sentence, head, property, tail) with both
      ends linked and a score at or above the threshold is extracted; precision and recall are
      taken against gold.tsv's rows (of RELATIONS when given: a model that knows only those).
"""
import json
import sys


def tsv(path):
    with open(path, encoding="utf-8") as f:
        rows = f.read().splitlines()
    head = rows[0].split("\t")
    return [dict(zip(head, r.split("\t"))) for r in rows[1:]]


def norm(text):
    return "".join(text.split())


def cmd_input(sentences, out):
    with open(out, "w", encoding="utf-8") as f:
        for r in tsv(sentences):
            f.write(json.dumps({"title": r["page_title"], "text": r["sentence_text"]}) + "\n")


def cmd_train_file(train, sentences, out, *relations):
    seen = {norm(r["sentence_text"]) for r in tsv(sentences)}
    kept = dropped = 0
    with open(train, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
        for line in f:
            r = json.loads(line)
            if relations and r["relation"] not in relations:
                continue
            if norm("".join(r["token"])) in seen:
                dropped += 1
                continue
            kept += 1
            o.write(line)
    print(json.dumps({"kept": kept, "dropped_fixture_sentences": dropped}))


def claims(wikidata):
    """(head, tail) -> properties of item-valued, non-deprecated main-snak statements."""
    out = {}
    with open(wikidata, encoding="utf-8") as f:
        for line in f:
            line = line.strip().rstrip(",")
            if not line.startswith("{"):
                continue
            e = json.loads(line)
            for pid, stmts in e.get("claims", {}).items():
                for s in stmts:
                    snak = s.get("mainsnak", {})
                    if s.get("rank") == "deprecated" or snak.get("snaktype") != "value":
                        continue
                    if snak.get("datatype") != "wikibase-item":
                        continue
                    out.setdefault((e["id"], snak["datavalue"]["value"]["id"]), set()).add(pid)
    return out


def cmd_eval(sentences, gold, wikidata, pairs, *opts):
    args = dict(zip(opts[::2], opts[1::2]))
    fpr = float(args.get("--fpr", 0.05))
    relations = set(args["--relations"].split(",")) if "--relations" in args else None
    rows = tsv(sentences)
    pages = []
    for r in rows:
        if r["page_title"] not in pages:
            pages.append(r["page_title"])
    calib = {p for i, p in enumerate(pages) if i % 2 == 0}
    kb = claims(wikidata)
    gold_rows = [
        (g["page_title"], g["sentence_index_in_page"], g["head_qid"], g["property"], g["tail_qid"])
        for g in tsv(gold)
        if relations is None or g["property"] in relations
    ]
    cal, ev, no_claim = [], [], []
    for line in open(pairs, encoding="utf-8"):
        f = json.loads(line)
        if "error" in f:
            sys.exit(f"{pairs}: line {f['line']}: {f['error']}")
        r = rows[f["line"] - 1]
        h, t = f["head"]["qid"], f["tail"]["qid"]
        if h is None or t is None:
            continue
        page = r["page_title"]
        key = (page, r["sentence_index_in_page"], h, f["relation"]["pid"], t)
        if page in calib:
            cal.append((f["score"], key))
            if (h, t) not in kb and (t, h) not in kb:
                no_claim.append(f["score"])
        else:
            ev.append((f["score"], key))
    if not no_claim:
        sys.exit("no calibration pairs without a claim")

    def score(items, th, gold_set):
        pred = {k for s, k in items if s >= th}
        tp = len(pred & gold_set)
        p = tp / len(pred) if pred else 0.0
        r = tp / len(gold_set) if gold_set else 0.0
        return len(pred), tp, p, r, (2 * p * r / (p + r) if p + r else 0.0)

    gold_cal = {g for g in gold_rows if g[0] in calib}
    gold_keys = {g for g in gold_rows if g[0] not in calib}
    method = args.get("--calibrate", "f1")
    if method == "f1":
        threshold = max(sorted({s for s, _ in cal}), key=lambda th: score(cal, th, gold_cal)[4])
    elif method == "fpr":
        no_claim.sort()
        threshold = no_claim[min(len(no_claim) - 1, int((1 - fpr) * len(no_claim)))]
    else:
        sys.exit(f"--calibrate {method}: f1 or fpr")
    n_pred, tp, precision, recall, _ = score(ev, threshold, gold_keys)
    seen = {k for _, k in ev}
    # Gold triples whose two ends extract linked and paired at all (any label): the ceiling
    # that mention detection and linking leave to the classifier.
    pairable = {(p, s, h, t) for p, s, h, _, t in seen}
    reachable = sum((p, s, h, t) in pairable for p, s, h, _, t in gold_keys)
    res = {
        "calibrate": method,
        "threshold": threshold,
        "fpr_target": fpr if method == "fpr" else None,
        "calibration_no_claim_pairs_reaching_threshold": sum(x >= threshold for x in no_claim) / len(no_claim),
        "calibration_pairs_without_claim": len(no_claim),
        "evaluation_gold": len(gold_keys),
        "extracted": n_pred,
        "correct": tp,
        "precision": precision,
        "recall": recall,
        "gold_with_both_ends_linked_and_paired": reachable,
        "relations": sorted(relations) if relations else "all",
    }
    print(json.dumps(res, indent=1))
    if "--json" in args:
        with open(args["--json"], "w") as o:
            json.dump(res, o, indent=1)
    if "--write-threshold" in args:
        with open(f"{args['--write-threshold']}/extract-threshold.json", "w") as o:
            json.dump({"threshold": threshold, "calibration": res}, o, indent=1)


def main():
    cmd, *args = sys.argv[1:] or [""]
    fn = {"input": cmd_input, "train-file": cmd_train_file, "eval": cmd_eval}.get(cmd)
    if fn is None:
        sys.exit(__doc__)
    fn(*args)


if __name__ == "__main__":
    main()
