#!/usr/bin/env python3
"""What `transformers` expects of a BERT checkpoint, and whether it loads ours.

record: writes checkpoint_keys.json: the state-dict names and shapes of
        transformers.BertForPreTraining for MiniLM's config, split into the encoder
        (`bert.*`, what BertModel.from_pretrained needs) and the heads, plus the tied names.
        trainer/tests/checkpoint_hf.rs checks every checkpoint we write against it.
check DIR IDS_JSON: loads DIR with BertModel.from_pretrained and BertForMaskedLM.from_pretrained
        and prints JSON: loading info (missing/unexpected keys) and the last hidden states for
        the given input ids, which the Rust test compares with its own forward pass.
        Run by that test when WIKIREL_REF_PYTHON names a Python with torch + transformers.

Made with torch 2.11.0 + transformers 4.57.1.
"""
import json
import sys
from pathlib import Path

import torch
import transformers

HERE = Path(__file__).parent


def record():
    cfg = transformers.BertConfig.from_pretrained(
        HERE.parent.parent / "artifacts/models/all-MiniLM-L6-v2")
    model = transformers.BertForPreTraining(cfg)
    sd = model.state_dict()
    shapes = {k: list(v.shape) for k, v in sd.items()}
    out = {
        "transformers": transformers.__version__,
        "encoder": {k: s for k, s in shapes.items() if k.startswith("bert.")},
        "heads": {k: s for k, s in shapes.items() if not k.startswith("bert.")},
        "tied": sorted(getattr(model, "_tied_weights_keys", []) or []),
    }
    (HERE / "checkpoint_keys.json").write_text(json.dumps(out, indent=1) + "\n")
    print(len(out["encoder"]), "encoder tensors,", len(out["heads"]), "head tensors")


def check(d, ids):
    model, info = transformers.BertModel.from_pretrained(d, output_loading_info=True)
    mlm, mlm_info = transformers.BertForMaskedLM.from_pretrained(d, output_loading_info=True)
    model.eval()
    with torch.no_grad():
        h = model(input_ids=torch.tensor(ids)).last_hidden_state
    out = {
        "bert_model": {k: sorted(v) if isinstance(v, (list, set)) else str(v) for k, v in info.items()},
        "masked_lm": {k: sorted(v) if isinstance(v, (list, set)) else str(v) for k, v in mlm_info.items()},
        "hidden": h.tolist(),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record()
    else:
        check(sys.argv[2], json.loads(sys.argv[3]))
