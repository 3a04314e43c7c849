#!/usr/bin/env python3
"""Reference sentence embeddings for the trainer's BERT encoder test.

Computes, with PyTorch + transformers (not with any wikirel code), the mean-pooled,
L2-normalised last-layer embeddings of all-MiniLM-L6-v2 for a fixed set of sentences, run as
ONE padded batch (so padding and the attention mask are exercised), and writes them to
embed_reference.json beside this script. Not run by CI; rerun by hand after changing the
sentences:

    python tests/reference/embed_reference.py artifacts/models/all-MiniLM-L6-v2

Versions used for the committed file are recorded inside it.
"""
import json
import sys
from pathlib import Path

import torch
import transformers
from transformers import AutoModel, AutoTokenizer

LONG = (
    "The Amazon River in South America is the largest river by discharge volume of water in "
    "the world, and the disputed longest river system in the world in comparison to the Nile; "
    "its headwaters were established in 2014 as a glacial stream on a peak of the Mismi "
    "mountain in the Arequipa Region of Peru, while an earlier estimate placed them at the "
    "Apurimac river, and the river system, which flows through Peru, Colombia, Ecuador, "
    "Bolivia, Venezuela and Brazil before emptying into the Atlantic Ocean near the city of "
    "Belem, drains a basin of roughly seven million square kilometres that is home to the "
    "largest rainforest on Earth, countless species of fish, birds, mammals and insects, and "
    "many indigenous peoples whose languages and traditions have been studied since the "
    "sixteenth century by travellers, missionaries and scientists from Europe and elsewhere."
)

SENTENCES = [
    "A man is playing a guitar.",
    "A person plays a musical instrument.",
    "The stock market fell sharply on Monday after the central bank raised interest rates.",
    "Marie Curie was born in Warsaw and worked in Paris.",
    "Ünïcödé, accents and punctuation -- (brackets), quotes \"like this\" & symbols!",
    LONG,
    "Short.",
]


def main() -> None:
    model_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "artifacts/models/all-MiniLM-L6-v2")
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    enc = tok(SENTENCES, padding=True, truncation=True, max_length=512, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    emb = torch.nn.functional.normalize(pooled, p=2, dim=1)
    lengths = enc["attention_mask"].sum(1).tolist()
    assert max(lengths) > 128, "the long sentence must exceed 128 word pieces"
    out = {
        "model": "all-MiniLM-L6-v2 (model.safetensors sha256 53aa5117...d9db)",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "pooling": "mean over attention mask, then L2 normalisation; one padded batch",
        "sentences": SENTENCES,
        "word_pieces": lengths,
        "input_ids": [ids[:n] for ids, n in zip(enc["input_ids"].tolist(), lengths)],
        "embeddings": [[round(x, 7) for x in row] for row in emb.tolist()],
        "cosine_0_1": float(emb[0] @ emb[1]),
    }
    path = Path(__file__).with_name("embed_reference.json")
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path}: word pieces {lengths}, cos(0,1) = {out['cosine_0_1']:.4f}")


if __name__ == "__main__":
    main()
