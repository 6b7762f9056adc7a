#!/usr/bin/env python3
"""Builds what the benchmark's contenders run, under build/bench/ (or --out):

  attention.onnx          scaled-dot attention on [heads, T, 64] (MatMul, Mul, Softmax, MatMul),
                          outputs weights [heads, T, T] and context [heads, T, 64]; dynamic heads and T
  mha-D{D}-H{H}.onnx      multi-head self-attention with projections (x [T, D] -> weights [H, T, T],
                          output [T, D]); the projection weights are initializers
  mha-D{D}-H{H}.bin       the same weights as float32 (Wq, Wk, Wv, Wo, each [D, D], torch Linear layout)
                          for attnscope, TensorFlow.js and the plain-JS loop
  gpt2-small/             config.json + model.safetensors (F32): GPT-2 small's shapes (124M parameters),
                          random weights from a fixed seed
  gpt2-small.onnx         the same model and weights for onnxruntime-web: input_ids [1, T] -> last_hidden
                          [1, T, 768] (after ln_f) and attentions [12, 1, 12, T, T]; dynamic T
  tiny-random/            a 4-layer / 4-head / d128 GPT-2 with random weights, for the incremental path when
                          the trained default model (models/attnscope-tiny-scaled-dot) is not there

Run with Debian's python3 (torch.onnx.export; the onnx package is not needed). Files that exist with the
same recipe version are kept.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

RECIPE = 3  # bump when a graph or the weights change


def log(msg):
    print(f"[export] {msg}", flush=True)


def save_safetensors(path, tensors):
    """tensors: list of (name, float32 numpy array)."""
    header, offset = {}, 0
    for name, a in tensors:
        n = a.size * 4
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for _, a in tensors:
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())
    os.replace(tmp, path)


def export(module, args, path, input_names, output_names, dynamic_axes):
    tmp = path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(module, args, tmp, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=17, do_constant_folding=True)
    os.replace(tmp, path)


class Attention(nn.Module):
    def forward(self, q, k, v):
        w = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(64)), dim=-1)
        return w, torch.matmul(w, v)


class MultiHead(nn.Module):
    """attnscope's multiHeadAttention: Q = x Wq^T, ..., heads of D / H, output = concat Wo^T."""

    def __init__(self, D, H, w):
        super().__init__()
        self.D, self.H = D, H
        self.wq, self.wk, self.wv, self.wo = (nn.Parameter(torch.from_numpy(a)) for a in w)

    def forward(self, x):
        T, D, H = x.shape[0], self.D, self.H
        dh = D // H

        def heads(y):
            return y.reshape(T, H, dh).transpose(0, 1)  # [H, T, dh]

        q, k, v = heads(x @ self.wq.t()), heads(x @ self.wk.t()), heads(x @ self.wv.t())
        w = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(dh)), dim=-1)
        ctx = torch.matmul(w, v).transpose(0, 1).reshape(T, D)
        return w, ctx @ self.wo.t()


class Gpt2(nn.Module):
    """GPT-2 (pre-LayerNorm, Conv1D layouts, gelu_new) returning ln_f(x) and every head's weights."""

    def __init__(self, cfg, p):
        super().__init__()
        self.cfg = cfg
        self.p = nn.ParameterDict({k.replace(".", "_"): nn.Parameter(torch.from_numpy(v)) for k, v in p.items()})

    def w(self, name):
        return self.p[name.replace(".", "_")]

    def forward(self, input_ids):
        D, H, L = self.cfg["n_embd"], self.cfg["n_head"], self.cfg["n_layer"]
        eps, dh = self.cfg["layer_norm_epsilon"], D // H
        T = input_ids.shape[1]
        pos = torch.arange(T, dtype=torch.int64).unsqueeze(0)
        x = self.w("wte.weight")[input_ids] + self.w("wpe.weight")[pos]  # [1, T, D]
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        atts = []
        for i in range(L):
            n = f"h.{i}."
            h = nn.functional.layer_norm(x, (D,), self.w(n + "ln_1.weight"), self.w(n + "ln_1.bias"), eps)
            qkv = h @ self.w(n + "attn.c_attn.weight") + self.w(n + "attn.c_attn.bias")
            q, k, v = qkv.split(D, dim=-1)
            q, k, v = (y.reshape(1, T, H, dh).transpose(1, 2) for y in (q, k, v))
            s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(dh))
            s = torch.where(causal, s, torch.tensor(-1e9, dtype=s.dtype))
            a = torch.softmax(s, dim=-1)
            atts.append(a)
            ctx = torch.matmul(a, v).transpose(1, 2).reshape(1, T, D)
            x = x + ctx @ self.w(n + "attn.c_proj.weight") + self.w(n + "attn.c_proj.bias")
            h = nn.functional.layer_norm(x, (D,), self.w(n + "ln_2.weight"), self.w(n + "ln_2.bias"), eps)
            f = nn.functional.gelu(h @ self.w(n + "mlp.c_fc.weight") + self.w(n + "mlp.c_fc.bias"), approximate="tanh")
            x = x + f @ self.w(n + "mlp.c_proj.weight") + self.w(n + "mlp.c_proj.bias")
        x = nn.functional.layer_norm(x, (D,), self.w("ln_f.weight"), self.w("ln_f.bias"), eps)
        return x, torch.stack(atts)


def gpt2_params(cfg, seed):
    """Random GPT-2 weights, Hugging Face GPT2Model names: N(0, 0.02) matrices, LayerNorm gains near 1."""
    rng = np.random.default_rng(seed)
    V, P, D, L = cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"], cfg["n_layer"]
    F = 4 * D

    def normal(*shape, scale=0.02):
        return (rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float32)

    p = {"wte.weight": normal(V, D), "wpe.weight": normal(P, D, scale=0.01)}
    for i in range(L):
        n = f"h.{i}."
        p[n + "ln_1.weight"] = 1 + normal(D, scale=0.05)
        p[n + "ln_1.bias"] = normal(D)
        p[n + "attn.c_attn.weight"] = normal(D, 3 * D)
        p[n + "attn.c_attn.bias"] = normal(3 * D)
        p[n + "attn.c_proj.weight"] = normal(D, D, scale=0.02 / math.sqrt(2 * L))
        p[n + "attn.c_proj.bias"] = normal(D)
        p[n + "ln_2.weight"] = 1 + normal(D, scale=0.05)
        p[n + "ln_2.bias"] = normal(D)
        p[n + "mlp.c_fc.weight"] = normal(D, F)
        p[n + "mlp.c_fc.bias"] = normal(F)
        p[n + "mlp.c_proj.weight"] = normal(F, D, scale=0.02 / math.sqrt(2 * L))
        p[n + "mlp.c_proj.bias"] = normal(D)
    p["ln_f.weight"] = 1 + normal(D, scale=0.05)
    p["ln_f.bias"] = normal(D)
    return p


def gpt2_config(layers, heads, d, vocab, positions):
    return {"model_type": "gpt2", "architectures": ["GPT2Model"], "vocab_size": vocab, "n_positions": positions,
            "n_ctx": positions, "n_embd": d, "n_layer": layers, "n_head": heads, "layer_norm_epsilon": 1e-5,
            "activation_function": "gelu_new", "bos_token_id": vocab - 1, "eos_token_id": vocab - 1}


def write_model_dir(out, cfg, p):
    os.makedirs(out, exist_ok=True)
    save_safetensors(os.path.join(out, "model.safetensors"), list(p.items()))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)


def stamp_ok(path):
    try:
        with open(path) as f:
            return json.load(f).get("recipe") == RECIPE
    except (OSError, ValueError):
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "bench"))
    ap.add_argument("--tiny", action="store_true", help="also write tiny-random/")
    ap.add_argument("--no-gpt2", action="store_true", help="skip the GPT-2-small files")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    stamp = os.path.join(out, "export.json")
    done = json.load(open(stamp)) if stamp_ok(stamp) else {"recipe": RECIPE}

    if not done.get("ops"):
        log("attention.onnx")
        q = torch.randn(12, 16, 64)
        export(Attention(), (q, q, q), os.path.join(out, "attention.onnx"), ["q", "k", "v"], ["weights", "context"],
               {n: {0: "heads", 1: "T"} for n in ("q", "k", "v", "context")} | {"weights": {0: "heads", 1: "T", 2: "S"}})
        for D, H in ((768, 12), (64, 1)):
            rng = np.random.default_rng(D * 7 + H)
            w = [(rng.standard_normal((D, D), dtype=np.float32) / math.sqrt(D)).astype(np.float32) for _ in range(4)]
            with open(os.path.join(out, f"mha-D{D}-H{H}.bin"), "wb") as f:
                for a in w:
                    f.write(a.astype("<f4").tobytes())
            log(f"mha-D{D}-H{H}.onnx")
            export(MultiHead(D, H, w), (torch.randn(16, D),), os.path.join(out, f"mha-D{D}-H{H}.onnx"), ["x"],
                   ["weights", "output"], {"x": {0: "T"}, "weights": {1: "T", 2: "S"}, "output": {0: "T"}})
        done["ops"] = True
        json.dump(done, open(stamp, "w"))

    if not args.no_gpt2 and not done.get("gpt2"):
        cfg = gpt2_config(12, 12, 768, 50257, 1024)
        log("GPT-2 small: random weights")
        p = gpt2_params(cfg, seed=124)
        log(f"gpt2-small/model.safetensors ({sum(a.size for a in p.values()) / 1e6:.1f}M parameters, F32)")
        write_model_dir(os.path.join(out, "gpt2-small"), cfg, p)
        log("gpt2-small.onnx")
        model = Gpt2(cfg, p).eval()
        export(model, (torch.zeros(1, 8, dtype=torch.int64),), os.path.join(out, "gpt2-small.onnx"), ["input_ids"],
               ["last_hidden", "attentions"],
               {"input_ids": {1: "T"}, "last_hidden": {1: "T"}, "attentions": {3: "T", 4: "S"}})
        done["gpt2"] = True
        json.dump(done, open(stamp, "w"))

    if args.tiny and not done.get("tiny"):
        cfg = gpt2_config(4, 4, 128, 50257, 128)
        log("tiny-random/ (4 layers, 4 heads, d128, random weights)")
        write_model_dir(os.path.join(out, "tiny-random"), cfg, gpt2_params(cfg, seed=4))
        done["tiny"] = True
        json.dump(done, open(stamp, "w"))
    log("up to date")


if __name__ == "__main__":
    sys.exit(main())
