#!/usr/bin/env python3
"""Writes the inputs of one CP training step for `make bench-train`: 32 pairs (64 sentences) of
the vendored Wiki80 slice, encoded with MiniLM's tokenizer and the entity markers
([unused0] head [unused1], [unused2] tail [unused3], cut to 64 pieces), 15% of the tokens
masked for MLM. Rust (`trainer bench-step`) and PyTorch (bench/cp_step_torch.py) read the same
file, so both time exactly the same step.

usage: cp_step_inputs.py MODEL_DIR FIXTURE OUT.json [PAIRS (default 32; scripts/gpu-check.sh: 32/64/128)]
"""
import json
import random
import sys

from tokenizers import Tokenizer

model, fixture, out = sys.argv[1:4]
pairs = int(sys.argv[4]) if len(sys.argv) > 4 else 32
tok = Tokenizer.from_file(f"{model}/tokenizer.json")
tok.no_padding()
tok.no_truncation()
rng = random.Random(42)
rows = [json.loads(l) for l in open(fixture)]
by_rel = {}
for r in rows:
    by_rel.setdefault(r["relation"], []).append(r)
rels = sorted(by_rel)


def pieces(words):
    return tok.encode(" ".join(words), add_special_tokens=False).ids if words else []


def encode(r):
    w = r["token"]
    (hs, he), (ts, te) = r["h"]["pos"], r["t"]["pos"]
    spans = sorted([(hs, he, 1, 2), (ts, te, 3, 4)])
    ids, pos, at = [101], {}, 0
    for s, e, o, c in spans:
        ids += pieces(w[at:s])
        pos[o] = len(ids)
        ids += [o] + pieces(w[s:e]) + [c]
        at = e
    ids += pieces(w[at:])
    ids = ids[:63] + [102]
    h, t = pos[1], pos[3]
    h = h if h < 63 else 0
    t = t if t < 63 else 0
    return ids, [h, t]


seqs, positions, labels, mlm = [], [], [], []
for k in range(pairs):
    rel = rels[k % len(rels)]
    bag = by_rel[rel]
    a, b = bag[0], bag[1 % len(bag)]
    for r in (a, b):
        ids, p = encode(r)
        lab = [-100] * len(ids)
        for i in range(1, len(ids) - 1):
            if i not in p and rng.random() < 0.15:
                lab[i] = ids[i]
                ids[i] = 103
        seqs.append(ids)
        positions.append(p)
        mlm.append(lab)
    labels.append(k % len(rels))
json.dump({"seqs": seqs, "positions": positions, "labels": labels, "mlm_labels": mlm}, open(out, "w"))
print(f"{len(seqs)} sequences, lengths {min(map(len, seqs))}-{max(map(len, seqs))}, "
      f"mean {sum(map(len, seqs)) / len(seqs):.1f}", file=sys.stderr)
