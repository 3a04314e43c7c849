#!/usr/bin/env python3
"""Reference for trainer/tests/optim.rs: torch.optim.AdamW (decay / no-decay groups) with
clip_grad_norm_ and transformers-style linear warm-up/decay (LambdaLR), 5 steps on fixed
gradients. Not run by CI: `python tests/reference/adamw_reference.py`."""
import json
from pathlib import Path

import torch

torch.manual_seed(1)
names = ["layer.weight", "layer.bias", "LayerNorm.weight"]
shapes = [(3, 4), (4,), (4,)]
params = {n: torch.nn.Parameter(torch.randn(*s, dtype=torch.float64)) for n, s in zip(names, shapes)}
init = {n: p.detach().clone().tolist() for n, p in params.items()}
grads = [{n: (torch.randn(*s, dtype=torch.float64) * (k + 1)).tolist() for n, s in zip(names, shapes)} for k in range(5)]
LR, WD, WARMUP, TOTAL, CLIP = 1e-2, 0.1, 2, 5, 1.0
opt = torch.optim.AdamW([
    {"params": [params["layer.weight"]], "weight_decay": WD},
    {"params": [params["layer.bias"], params["LayerNorm.weight"]], "weight_decay": 0.0},
], lr=LR, betas=(0.9, 0.999), eps=1e-8)
lam = lambda s: s / max(1, WARMUP) if s < WARMUP else max(0.0, (TOTAL - s) / max(1, TOTAL - WARMUP))
sched = torch.optim.lr_scheduler.LambdaLR(opt, lam)
norms = []
for k in range(5):
    for n, p in params.items():
        p.grad = torch.tensor(grads[k][n], dtype=torch.float64)
    norms.append(float(torch.nn.utils.clip_grad_norm_(list(params.values()), CLIP)))
    opt.step()
    sched.step()
out = {"lr": LR, "weight_decay": WD, "warmup": WARMUP, "total": TOTAL, "clip": CLIP,
       "init": init, "grads": grads, "norms": norms,
       "final": {n: p.detach().tolist() for n, p in params.items()}, "torch": torch.__version__}
Path(__file__).with_name("adamw_reference.json").write_text(json.dumps(out) + "\n")
print(norms)
