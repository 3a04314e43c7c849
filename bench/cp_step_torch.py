#!/usr/bin/env python3
"""One CP training step in PyTorch + transformers, the baseline of `make bench-train`: MiniLM
encoder + MLM head (BertForMaskedLM), entity-start representations, NT-Xent (tau 0.05) + MLM on
the masked positions, backward, gradient clipping 1.0, torch.optim.AdamW. Inputs from
bench/cp_step_inputs.py; prints sequences/s over the timed steps as JSON.

usage: cp_step_torch.py MODEL_DIR INPUTS.json STEPS THREADS PAD(fixed|longest) [DEVICE]
"""
import json
import sys
import time

import torch
import transformers

model_dir, inputs, steps, threads, pad = sys.argv[1:6]
device = sys.argv[6] if len(sys.argv) > 6 else "cpu"
steps, threads = int(steps), int(threads)
torch.set_num_threads(threads)
torch.manual_seed(0)
d = json.load(open(inputs))
mlm_model = transformers.BertForMaskedLM.from_pretrained(model_dir).to(device)
mlm_model.train()
width = 64 if pad == "fixed" else max(map(len, d["seqs"]))
n = len(d["seqs"])
ids = torch.zeros(n, width, dtype=torch.long)
att = torch.zeros(n, width, dtype=torch.long)
lab = torch.full((n, width), -100, dtype=torch.long)
for i, (s, l) in enumerate(zip(d["seqs"], d["mlm_labels"])):
    ids[i, : len(s)] = torch.tensor(s)
    att[i, : len(s)] = 1
    lab[i, : len(l)] = torch.tensor(l)
ids, att, lab = ids.to(device), att.to(device), lab.to(device)
pos = torch.tensor(d["positions"], device=device)
rel = torch.tensor([l for l in d["labels"] for _ in (0, 1)], device=device)
no_decay = ["bias", "LayerNorm.weight"]
groups = [
    {"params": [p for nm, p in mlm_model.named_parameters() if not any(x in nm for x in no_decay)], "weight_decay": 1e-5},
    {"params": [p for nm, p in mlm_model.named_parameters() if any(x in nm for x in no_decay)], "weight_decay": 0.0},
]
opt = torch.optim.AdamW(groups, lr=3e-5)
use_bf16 = device.startswith("cuda")


def nt_xent(z, labels, tau=0.05):
    z = torch.nn.functional.normalize(z, dim=1)
    sim = z @ z.T / tau
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=z.device)
    pos_m, neg_m = same & ~eye, ~same
    neg_lse = sim.masked_fill(~neg_m, float("-inf")).logsumexp(1, keepdim=True)
    per = torch.logaddexp(sim, neg_lse.expand_as(sim)) - sim
    return per[pos_m].sum() / pos_m.sum().clamp_min(1)


def step():
    opt.zero_grad()
    with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=use_bf16):
        h = mlm_model.bert(input_ids=ids, attention_mask=att).last_hidden_state
        reps = h.gather(1, pos[:, :, None].expand(-1, -1, h.shape[-1])).reshape(n, -1)
        cp = nt_xent(reps.float(), rel)
        chosen = lab.view(-1) != -100
        logits = mlm_model.cls(h.reshape(-1, h.shape[-1])[chosen])
        mlm = torch.nn.functional.cross_entropy(logits.float(), lab.view(-1)[chosen])
    (cp + mlm).backward()
    torch.nn.utils.clip_grad_norm_(mlm_model.parameters(), 1.0)
    opt.step()


for _ in range(2):
    step()
if device.startswith("cuda"):
    torch.cuda.synchronize()
t = time.perf_counter()
for _ in range(steps):
    step()
if device.startswith("cuda"):
    torch.cuda.synchronize()
secs = time.perf_counter() - t
print(json.dumps({"impl": "pytorch", "pad": pad, "width": width, "seqs_per_s": n * steps / secs,
                  "torch": torch.__version__, "transformers": transformers.__version__}))
