#!/usr/bin/env python3
"""Reference for trainer/tests/mlm.rs: transformers' BertForMaskedLM on all-MiniLM-L6-v2 with
a seeded random MLM head (the checkpoint has none). Writes the head's weights
(mlm_head.safetensors, names as in a BertForMaskedLM checkpoint) and logits of a masked
sentence (mlm_reference.json). Not run by CI:
    python tests/reference/mlm_reference.py artifacts/models/all-MiniLM-L6-v2"""
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import AutoTokenizer, BertForMaskedLM

model_dir = sys.argv[1] if len(sys.argv) > 1 else "artifacts/models/all-MiniLM-L6-v2"
torch.manual_seed(0)
tok = AutoTokenizer.from_pretrained(model_dir)
model = BertForMaskedLM.from_pretrained(model_dir, attn_implementation="eager").eval()
head = model.cls.predictions
with torch.no_grad():
    head.transform.dense.weight.normal_(0, 0.05)
    head.transform.dense.bias.normal_(0, 0.05)
    head.transform.LayerNorm.weight.normal_(1, 0.1)
    head.transform.LayerNorm.bias.normal_(0, 0.1)
    head.bias.normal_(0, 0.1)
tensors = {
    "cls.predictions.transform.dense.weight": head.transform.dense.weight,
    "cls.predictions.transform.dense.bias": head.transform.dense.bias,
    "cls.predictions.transform.LayerNorm.weight": head.transform.LayerNorm.weight,
    "cls.predictions.transform.LayerNorm.bias": head.transform.LayerNorm.bias,
    "cls.predictions.bias": head.bias,
}
here = Path(__file__).parent
save_file({k: v.detach().contiguous() for k, v in tensors.items()}, here / "mlm_head.safetensors")
text = "the capital of france is [MASK] ."
enc = tok([text], return_tensors="pt")
with torch.no_grad():
    logits = model(**enc).logits[0]
pos = int((enc["input_ids"][0] == tok.mask_token_id).nonzero()[0])
out = {"text": text, "input_ids": enc["input_ids"][0].tolist(), "mask_position": pos,
       "logits_mask_first_200": logits[pos, :200].tolist(),
       "argmax_per_position": logits.argmax(-1).tolist(),
       "torch": torch.__version__}
(here / "mlm_reference.json").write_text(json.dumps(out) + "\n")
print(pos, out["argmax_per_position"])
