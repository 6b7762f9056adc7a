#!/usr/bin/python3
"""Writes a trained checkpoint in the files the engine loads.

    /usr/bin/python3 tools/train/export.py build/train/attnscope-tiny-scaled-dot models/attnscope-tiny-scaled-dot

Output directory:
  config.json        GPT-2 config (model_type gpt2, n_positions, n_embd, n_layer, n_head,
                     vocab_size, layer_norm_epsilon, activation_function gelu_new,
                     attention_scoring [, additive_dim])
  model.safetensors  every transformer tensor as F16, Hugging Face GPT2Model names
                     (wte.weight, wpe.weight, h.{i}.*, ln_f.*; additive scoring adds
                     h.{i}.attn.score.{w_q,w_k,bias,v}); no lm_head (tied to wte)
  tokenizer.json     the byte-level BPE of tools/train/bpe.py
  training.json      settings, timings and validation metrics of the run
  training-log.jsonl the run's log (training loss every 50 steps, validation every 250)
The F16 weights are checked against the PyTorch reference of tests/model
(reference.py) by re-running the exported files on a sentence and comparing the
log-probabilities of the tied LM head with the float32 checkpoint.
"""

import json
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "model"))
import bpe  # noqa: E402
import reference  # noqa: E402
import safetensors_io  # noqa: E402
from model import GPT  # noqa: E402

CONFIG_KEYS = ["model_type", "architectures", "vocab_size", "n_positions", "n_ctx", "n_embd", "n_layer", "n_head",
               "n_inner", "activation_function", "layer_norm_epsilon", "initializer_range", "tie_word_embeddings",
               "attention_scoring", "additive_dim"]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    run_dir, out = sys.argv[1], sys.argv[2]
    ck = torch.load(os.path.join(run_dir, "checkpoint.pt"))
    cfg = ck["config"]
    model = GPT(cfg)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    tensors = model.export_tensors()
    expected = reference.gpt2_shapes(cfg)
    assert set(tensors) == set(expected), (sorted(set(tensors) ^ set(expected)))
    os.makedirs(out, exist_ok=True)
    config = {k: cfg[k] for k in CONFIG_KEYS if k in cfg}
    config["bos_token_id"] = config["eos_token_id"] = cfg["vocab_size"] - 1
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    safetensors_io.save(os.path.join(out, "model.safetensors"),
                        [(n, "F16", tensors[n].numpy()) for n in sorted(tensors)], metadata={"format": "pt"})
    tok_src = ck["settings"]["tokenizer"]
    shutil.copyfile(tok_src, os.path.join(out, "tokenizer.json"))
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    for k in ("out", "corpus", "tokenizer"):  # paths relative to the repository
        metrics["settings"][k] = os.path.relpath(metrics["settings"][k], ROOT)
    metrics["model_safetensors_bytes"] = os.path.getsize(os.path.join(out, "model.safetensors"))
    with open(os.path.join(out, "training.json"), "w") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")
    shutil.copyfile(os.path.join(run_dir, "log.jsonl"), os.path.join(out, "training-log.jsonl"))

    # Check: the exported F16 files through tests/model/reference.py (float64) against the checkpoint.
    W = reference.canonical_gpt2(reference.load_safetensors_f64(os.path.join(out, "model.safetensors")), config)
    tok = bpe.Tokenizer.load(os.path.join(out, "tokenizer.json"))
    ids = tok.encode("The quick brown fox jumps over the lazy dog. 野棠花落，又匆匆，过了清明时节。")
    att_ref, hidden = reference.gpt2_forward(config, W, ids)
    with torch.no_grad():
        logits, att = model(torch.tensor([ids]), return_probs=True)
    lp_ref = torch.log_softmax(hidden @ W["wte.weight"].T, -1)
    lp = torch.log_softmax(logits[0].double(), -1)
    d_att = float((att[0].double() - att_ref).abs().max())
    d_lp = float((lp - lp_ref).abs().max())
    size = os.path.getsize(os.path.join(out, "model.safetensors"))
    print(f"{out}: model.safetensors {size:,} bytes; F16 reference vs float32 checkpoint: "
          f"attentions {d_att:.2e}, log-probs {d_lp:.2e}")
    if not (d_att < 0.02 and d_lp < 0.2):
        sys.exit("exported weights do not reproduce the checkpoint")


if __name__ == "__main__":
    main()
