#!/usr/bin/env python3
"""make bench-extract: `trainer extract` end to end vs `trainer predict` on the same marked pairs.

  bench_extract.py TRAINER MODEL KB SENTENCES.jsonl OUT_DIR [ROUNDS]

1. `extract --threshold 0` on SENTENCES.jsonl (one document per line) writes every classified
   pair; those pairs become `predict` input (the sentence with <e1>..</e1> and <e2>..</e2>
   around the head and tail spans), so both classify the same pairs of the same sentences.
2. ROUNDS (default 3) alternating runs of each, timed from outside (wall clock, and the
   children's user + system CPU from the operating system), both at --threads 2.
Prints sentences per second per core (sentences / CPU seconds) for extract, pairs per CPU
second for both, and the ratio extract / predict of CPU time (medians). Standard library only.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def marked(sentence, h, t):
    chars = list(sentence)
    ins = [(h["start"], "<e1>"), (h["end"], "</e1>"), (t["start"], "<e2>"), (t["end"], "</e2>")]
    # Insert from the back so earlier offsets stay valid; at equal offsets a closing tag first.
    for pos, tag in sorted(ins, key=lambda x: (x[0], x[1].startswith("</")), reverse=True):
        chars.insert(pos, tag)
    return "".join(chars)


def main():
    trainer, model, kb, sentences, out = sys.argv[1:6]
    rounds = int(sys.argv[6]) if len(sys.argv) > 6 else 3
    os.makedirs(out, exist_ok=True)
    pairs = os.path.join(out, "pairs.jsonl")
    extract = [trainer, "--threads", "2", "extract", "--model", model, "--kb", kb,
               "--input", sentences, "--threshold", "0", "--out", pairs]
    subprocess.run(extract, check=True, stderr=subprocess.DEVNULL)
    docs = sum(1 for _ in open(sentences, encoding="utf-8"))
    n_pairs, sents = 0, set()
    marked_path = os.path.join(out, "marked.txt")
    with open(pairs, encoding="utf-8") as f, open(marked_path, "w", encoding="utf-8") as o:
        for line in f:
            p = json.loads(line)
            sents.add((p["line"], p["sentence_index"]))
            o.write(json.dumps({"text": marked(p["sentence"], p["head"], p["tail"])}) + "\n")
            n_pairs += 1
    predict = [trainer, "--threads", "2", "predict", "--model", model, "--input", marked_path,
               "--out", os.path.join(out, "predict.jsonl")]
    ex, pr = [], []
    for _ in range(rounds):
        ex.append(timed(extract))
        pr.append(timed(predict))
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    # The sentence count extract reports (its own splitter may split a document further).
    res = {
        "documents": docs,
        "sentences_with_pairs": len(sents),
        "pairs": n_pairs,
        "rounds": rounds,
        "extract_wall_s": med(ex, 0), "extract_cpu_s": med(ex, 1),
        "predict_wall_s": med(pr, 0), "predict_cpu_s": med(pr, 1),
        "extract_documents_per_cpu_s": docs / med(ex, 1),
        "extract_pairs_per_cpu_s": n_pairs / med(ex, 1),
        "predict_pairs_per_cpu_s": n_pairs / med(pr, 1),
        "cpu_ratio_extract_over_predict": statistics.median(e[1] / p[1] for e, p in zip(ex, pr)),
        "wall_ratio_extract_over_predict": statistics.median(e[0] / p[0] for e, p in zip(ex, pr)),
    }
    print(json.dumps(res, indent=1))
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
