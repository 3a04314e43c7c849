"""PyTorch + transformers reference for `trainer finetune`: the same protocol, independently.

It reads a wikirel fine-tuning run directory for its inputs only -- `inputs/{train,dev,test}.jsonl`
(the encoded instances: word-piece ids with entity markers, head/tail marker positions, label
ids), `labels.json` and the hyper-parameters in `finetune.json` -- and trains
`transformers.BertModel` + `nn.Linear(2 * hidden, labels)` on the concatenated head-start and
tail-start states: shuffled batches, cross-entropy, torch AdamW (no decay on biases and LayerNorm
weights), clipping at the configured norm, `get_linear_schedule_with_warmup`; dev scored after
each epoch, test once on the best dev epoch's weights. Metrics are computed here (accuracy, TACRED micro-F1,
SemEval official macro-F1), not taken from wikirel.

    python tests/reference/finetune_ref.py --run artifacts/runs/X --model DIR --seeds 42,43,44 \
        --out artifacts/runs/X/reference.json

Requires torch 2.11 and transformers 4.57.1 (`make finetune-check` sets up a venv).
"""
import argparse
import copy
import json
import math
import statistics
import time

import torch
from torch import nn
from transformers import BertModel, get_linear_schedule_with_warmup


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def undirected(label):
    return label.split("(")[0]


def score(task, labels, gold, pred):
    g = [labels[i] for i in gold]
    p = [labels[i] for i in pred]
    if task == "semeval":
        rels = sorted({undirected(x) for x in g} - {"Other"})
        f1s = []
        for r in rels:
            n_gold = sum(undirected(x) == r for x in g)
            n_pred = sum(undirected(x) == r for x in p)
            tp = sum(undirected(a) == r and a == b for a, b in zip(g, p))
            prec = tp / n_pred if n_pred else 0.0
            rec = tp / n_gold if n_gold else 0.0
            f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
        return sum(f1s) / len(f1s)
    if task == "tacred":
        neg = "no_relation"
        guessed = sum(b != neg for b in p)
        actual = sum(a != neg for a in g)
        correct = sum(a != neg and a == b for a, b in zip(g, p))
        prec = correct / guessed if guessed else 1.0
        rec = correct / actual if actual else 0.0
        return 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return sum(a == b for a, b in zip(g, p)) / len(g)


class RE(nn.Module):
    def __init__(self, model_dir, n_labels):
        super().__init__()
        self.bert = BertModel.from_pretrained(model_dir, add_pooling_layer=False)
        self.fc = nn.Linear(2 * self.bert.config.hidden_size, n_labels)

    def forward(self, ids, mask, h, t):
        out = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        rows = torch.arange(ids.shape[0])
        return self.fc(torch.cat([out[rows, h], out[rows, t]], dim=1))


def batch(rows, pad_id):
    width = max(len(r["ids"]) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r["ids"])] = torch.tensor(r["ids"])
        mask[i, : len(r["ids"])] = 1
    h = torch.tensor([r["h"] for r in rows])
    t = torch.tensor([r["t"] for r in rows])
    y = torch.tensor([r["label"] for r in rows])
    return ids, mask, h, t, y


@torch.no_grad()
def predict(model, data, pad_id, size):
    model.eval()
    order = sorted(range(len(data)), key=lambda i: len(data[i]["ids"]))
    pred = [0] * len(data)
    for k in range(0, len(order), size):
        rows = order[k : k + size]
        ids, mask, h, t, _ = batch([data[i] for i in rows], pad_id)
        for i, p in zip(rows, model(ids, mask, h, t).argmax(1).tolist()):
            pred[i] = p
    return pred


def optimizer(model, cfg, n_train):
    """torch AdamW without decay on biases and LayerNorm weights, and the linear schedule with
    the run's warm-up (a number of steps or a share of all steps)."""
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(x in n for x in no_decay)],
         "weight_decay": cfg["weight_decay"]},
        {"params": [p for n, p in model.named_parameters() if any(x in n for x in no_decay)],
         "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=cfg["lr"], eps=1e-8)
    total = math.ceil(n_train / cfg["batch_size"]) * cfg["epochs"]
    w = cfg["warmup"]
    warmup = w["steps"] if "steps" in w else round(w["ratio"] * total)
    return opt, get_linear_schedule_with_warmup(opt, warmup, total)


def step(model, opt, sched, rows, pad_id, max_grad_norm):
    """One optimizer step on `rows`; returns the loss."""
    ids, mask, h, t, y = batch(rows, pad_id)
    loss = nn.CrossEntropyLoss()(model(ids, mask, h, t), y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    opt.step()
    sched.step()
    opt.zero_grad()
    return loss.item()


def one_seed(cfg, task, labels, data, model_dir, seed, pad_id):
    torch.manual_seed(seed)
    model = RE(model_dir, len(labels))
    train = data["train"]
    opt, sched = optimizer(model, cfg, len(train))
    gen = torch.Generator().manual_seed(seed)
    best = {"seed": seed, "dev": -1.0, "test": -1.0, "best_epoch": 0}
    train_s, seqs = 0.0, 0
    for epoch in range(1, cfg["epochs"] + 1):
        model.train()
        t0 = time.perf_counter()
        order = torch.randperm(len(train), generator=gen).tolist()
        for k in range(0, len(order), cfg["batch_size"]):
            rows = [train[i] for i in order[k : k + cfg["batch_size"]]]
            step(model, opt, sched, rows, pad_id, cfg["max_grad_norm"])
        train_s += time.perf_counter() - t0
        seqs += len(train)
        dev = score(task, labels, [r["label"] for r in data["dev"]],
                    predict(model, data["dev"], pad_id, cfg["eval_batch"]))
        if dev > best["dev"]:
            best.update(dev=dev, best_epoch=epoch)
            state = copy.deepcopy(model.state_dict())
        print(json.dumps({"seed": seed, "epoch": epoch, "dev": dev}), flush=True)
    model.load_state_dict(state)
    best["test"] = score(task, labels, [r["label"] for r in data["test"]],
                         predict(model, data["test"], pad_id, cfg["eval_batch"]))
    best["train_sequences_per_second"] = seqs / train_s
    return best


def lockstep(cfg, labels, data, model_dir, seed, trace, pad_id):
    """Replays the steps recorded in a wikirel trace (same classifier initialisation, same
    batch rows, dropout off on both sides) and returns both loss sequences."""
    torch.manual_seed(seed)
    model = RE(model_dir, len(labels))
    with torch.no_grad():
        model.fc.weight.copy_(torch.tensor(trace["head_weight"]))
        model.fc.bias.copy_(torch.tensor(trace["head_bias"]))
    model.eval()  # no dropout: wikirel ran with --no-dropout
    opt, sched = optimizer(model, cfg, len(data["train"]))
    losses = []
    for rows in trace["batches"]:
        batch_rows = [data["train"][i] for i in rows]
        losses.append(step(model, opt, sched, batch_rows, pad_id, cfg["max_grad_norm"]))
    diffs = [abs(a - b) for a, b in zip(losses, trace["losses"])]
    return {"seed": seed, "steps": len(losses), "pytorch": losses, "wikirel": trace["losses"],
            "max_abs_diff": max(diffs)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True, help="a wikirel fine-tuning run directory")
    ap.add_argument("--model", required=True)
    ap.add_argument("--seeds", default="42")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--lockstep", action="store_true",
                    help="replay seed-N/trace.json of a run made with --no-dropout --trace-steps")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    run = json.load(open(f"{a.run}/finetune.json"))
    cfg = run["config"]
    labels = json.load(open(f"{a.run}/labels.json"))
    data = {s: read_jsonl(f"{a.run}/inputs/{s}.jsonl") for s in ("train", "dev", "test")}
    vocab = open(f"{a.model}/vocab.txt").read().split("\n")
    pad_id = vocab.index("[PAD]")
    if a.lockstep:
        out = [lockstep(cfg, labels, data, a.model, int(s),
                        json.load(open(f"{a.run}/seed-{s}/trace.json")), pad_id)
               for s in a.seeds.split(",")]
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)
        print(json.dumps([{k: v for k, v in o.items() if k != "pytorch" and k != "wikirel"}
                          for o in out]))
        return
    seeds = [one_seed(cfg, cfg["task"], labels, data, a.model, int(s), pad_id)
             for s in a.seeds.split(",")]
    out = {
        "impl": f"pytorch {torch.__version__} + transformers",
        "seeds": seeds,
        "median_test": statistics.median(s["test"] for s in seeds),
        "median_dev": statistics.median(s["dev"] for s in seeds),
        "median_train_sequences_per_second":
            statistics.median(s["train_sequences_per_second"] for s in seeds),
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
