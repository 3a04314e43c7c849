#!/usr/bin/env python3
"""Reference values for trainer/tests/pretrain.rs: CP's NT-Xent and MTB's BCE loss computed
with PyTorch by explicit loops over the definition (independent of the Rust code's
vectorised form). Not run by CI: `python tests/reference/pretrain_losses.py`."""
import json
from pathlib import Path

import torch

torch.manual_seed(0)
TAU = 0.05


def nt_xent(z, labels):
    z = torch.nn.functional.normalize(z, dim=1)
    s = z @ z.T / TAU
    terms = []
    for i in range(len(labels)):
        negs = [k for k in range(len(labels)) if labels[k] != labels[i]]
        for j in range(len(labels)):
            if i == j or labels[i] != labels[j]:
                continue
            denom = torch.exp(s[i, j]) + sum((torch.exp(s[i, k]) for k in negs), torch.tensor(0.0, dtype=z.dtype))
            terms.append(-torch.log(torch.exp(s[i, j]) / denom))
    return float(torch.stack(terms).mean()) if terms else 0.0


cases = []
for name, labels in [
    ("all distinct", [0, 1, 2, 3, 4, 5]),
    ("all same", [7, 7, 7, 7]),
    ("mixed", [0, 0, 1, 1, 2, 0, 3]),
    ("pairs", [3, 3, 5, 5, 9, 9, 4, 4]),
]:
    z = torch.randn(len(labels), 8, dtype=torch.float64) * 0.3
    cases.append({"name": name, "labels": labels, "reps": z.tolist(), "loss": nt_xent(z, labels)})

a = torch.randn(6, 8, dtype=torch.float64)
b = torch.randn(6, 8, dtype=torch.float64)
y = torch.tensor([1, 0, 1, 1, 0, 0], dtype=torch.float64)
mtb = float(torch.nn.functional.binary_cross_entropy_with_logits((a * b).sum(1), y))
out = {"tau": TAU, "torch": torch.__version__, "nt_xent": cases,
       "mtb": {"left": a.tolist(), "right": b.tolist(), "labels": y.tolist(), "loss": mtb}}
Path(__file__).with_name("pretrain_losses.json").write_text(json.dumps(out, indent=1) + "\n")
print(json.dumps({c["name"]: c["loss"] for c in cases}), mtb)
