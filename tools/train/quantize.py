#!/usr/bin/python3
"""Stores a model's weight matrices as 8-bit integers with one scale per row.

    /usr/bin/python3 tools/train/quantize.py models/attnscope-tiny-scaled-dot [--checkpoint DIR]

Rewrites model.safetensors in place: every 2-D tensor of at least 4096 values
(embeddings and projection matrices) becomes an I8 tensor X plus an F32 tensor
X_scale [rows], X[r][c] = q[r][c] * scale[r], scale[r] = max|row r| / 127
(compressed-tensors' naming; src/io/safetensors.cpp reads it). Biases and
layer norms stay F16. Halves the file (the page's download).

With --checkpoint (the training run's directory, holding checkpoint.pt, and the
tokenized corpus cache in build/train), the validation loss of the quantized
weights is measured against the F16 ones and written to training.json as
"quantized": {...}, so the model card reports what 8 bits cost.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "model"))
import safetensors_io  # noqa: E402

MIN_VALUES = 4096


def quantize_rows(a):
    """(int8 q, float32 scale[rows]) of a 2-D float array, rounding to nearest."""
    a = np.asarray(a, dtype=np.float32)
    peak = np.abs(a).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(a / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def quantized_entries(tensors):
    """[(name, dtype, array)] for safetensors_io.save: big matrices as I8 + _scale, the rest as stored."""
    out = []
    for name in sorted(tensors):
        dtype, shape, arr = tensors[name]
        if dtype in ("F16", "F32") and len(shape) == 2 and int(np.prod(shape)) >= MIN_VALUES:
            q, scale = quantize_rows(arr)
            out.append((name, "I8", q))
            out.append((name + "_scale", "F32", scale))
        else:
            out.append((name, dtype, np.asarray(arr)))
    return out


def evaluate(run_dir, weights):
    """Validation metrics of the training run's model with `weights` ({name: float32 array}) loaded."""
    import train  # noqa: E402  (tools/train/train.py)
    from model import GPT  # noqa: E402

    ck = torch.load(os.path.join(run_dir, "checkpoint.pt"))
    cfg, settings = ck["config"], ck["settings"]
    model = GPT(cfg)
    model.load_state_dict(ck["state_dict"])
    state = model.state_dict()
    with torch.no_grad():
        for name, arr in weights.items():
            state[name].copy_(torch.from_numpy(np.asarray(arr, dtype=np.float32)).reshape(state[name].shape))
    streams, tok = train.load_streams(settings["corpus"], settings["tokenizer"], os.path.join(ROOT, "build", "train"))
    res = train.evaluate(model, streams["valid"], train.token_bytes(tok), cfg["n_positions"], 16)
    return {g: {"loss": round(v["loss"], 4), "bpb": round(v["bpb"], 4)} for g, v in res.items()}


def dequantized(entries):
    """{name: float32 array} of quantized entries, computed as the engine does (float32 product)."""
    by_name = {n: a for n, _, a in entries}
    out = {}
    for name, dtype, arr in entries:
        if name.endswith("_scale") and name[: -len("_scale")] in by_name:
            continue
        if dtype == "I8":
            out[name] = arr.astype(np.float32) * by_name[name + "_scale"][:, None]
        else:
            out[name] = np.asarray(arr, dtype=np.float32)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("--checkpoint", help="training run directory (checkpoint.pt) to measure the validation loss")
    args = ap.parse_args()
    path = os.path.join(args.model_dir, "model.safetensors")
    meta, tensors = safetensors_io.load(path)
    if any(dtype == "I8" for dtype, _, _ in tensors.values()):
        sys.exit(f"{path} is already quantized")
    before = os.path.getsize(path)
    entries = quantized_entries(tensors)
    original = {n: np.asarray(a, dtype=np.float32) for n, (_, _, a) in tensors.items()}
    approx = dequantized(entries)
    worst = max(float(np.abs(approx[n] - original[n]).max()) for n in original)
    report = {"format": "I8 per-row scales (F32) for 2-D tensors of >= 4096 values; the rest F16",
              "f16_bytes": before, "max_abs_weight_change": worst}
    if args.checkpoint:
        report["valid_f16"] = evaluate(args.checkpoint, original)
        report["valid_q8"] = evaluate(args.checkpoint, approx)
    safetensors_io.save(path, entries, metadata=meta)
    report["bytes"] = os.path.getsize(path)
    info_path = os.path.join(args.model_dir, "training.json")
    if os.path.exists(info_path):
        info = json.load(open(info_path))
        info["quantized"] = report
        info["model_safetensors_bytes"] = report["bytes"]
        with open(info_path, "w") as f:
            json.dump(info, f, indent=1)
            f.write("\n")
    print(f"{path}: {before:,} -> {report['bytes']:,} bytes; largest weight change {worst:.2e}")
    for k in ("valid_f16", "valid_q8"):
        if k in report:
            print(f"  {k}: " + ", ".join(f"{g} bpb {v['bpb']}" for g, v in report[k].items()))


if __name__ == "__main__":
    main()
