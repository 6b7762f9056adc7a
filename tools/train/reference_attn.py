#!/usr/bin/python3
"""PyTorch reference attentions of a model directory, for tests/js/heads.test.mjs.

    echo '{"ids": [[...], ...], "texts": ["...", ...]}' | /usr/bin/python3 tools/train/reference_attn.py models/<name>

Reads config.json, model.safetensors (F16 values converted exactly to float64)
and tokenizer.json of the directory and prints one JSON object:
    {"attentions": [{"shape": [L, H, T, T], "data": [...]}, ...]   for each id list
     "ids": [[...], ...]}                                            tools/train/bpe.py's encoding of each text
The forward pass is tests/model/reference.py's gpt2_forward (float64).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "model"))
import bpe  # noqa: E402
import reference  # noqa: E402


def main():
    model_dir = sys.argv[1]
    req = json.load(sys.stdin)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    out = {"attentions": [], "ids": []}
    if req.get("ids"):
        W = reference.canonical_gpt2(reference.load_safetensors_f64(os.path.join(model_dir, "model.safetensors")), cfg)
        for ids in req["ids"]:
            att, _ = reference.gpt2_forward(cfg, W, ids)
            out["attentions"].append({"shape": list(att.shape), "data": att.reshape(-1).tolist()})
    if req.get("texts"):
        tok = bpe.Tokenizer.load(os.path.join(model_dir, "tokenizer.json"))
        out["ids"] = [tok.encode(t) for t in req["texts"]]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
