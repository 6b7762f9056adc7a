#!/usr/bin/python3
"""Reference vectors for attnscope's attention ops, computed by PyTorch.

An oracle independent of the C++ engine: single-head cases are written from
plain torch ops (matmul, tanh, softmax, masked_fill) in float64, multi-head
cases go through torch.nn.MultiheadAttention itself. Inputs are drawn from
numpy's legacy RandomState (its stream is frozen across numpy versions) with a
fixed seed per case, rounded to float32 so that the C++ float engine sees
exactly the values torch computed with.

Run with Debian's interpreter, which has torch 1.13 and numpy:
    /usr/bin/python3 tests/oracle/make_reference.py [OUT_DIR]   # default tests/oracle/data
    /usr/bin/python3 tests/oracle/make_reference.py --check DIR # regenerate and compare

--check exits with status 1 if a file is missing, extra or different: inputs
and every non-float field must match exactly, expected values within 1e-6
(|a - b| <= 1e-6 * max(1, |b|)).

File format (one JSON object per case, "<name>.json", listed in index.txt)
--------------------------------------------------------------------------
A tensor is {"shape": [d0, d1, ...], "data": [flat row-major numbers]}.
Input numbers are float32 values written as their shortest float32 decimal:
parse as double, then round to float. Expected numbers are float64 results;
null in "scores" stands for -inf (a masked score).

Common fields:
  "format": 1
  "name": case name (the file name without .json)
  "kind": "attention" | "multi_head_attention"
  "doc": what the case covers
  "scoring": "dot" | "scaled_dot" | "general" | "additive"
  "temperature": softmax(e / temperature)
  "causal": bool; query i sees keys j <= i + (S - T)
  "key_padding": one int per key, nonzero = key ignored; [] = no padding mask

kind "attention" (attnscope::attention):
  "inputs":   q [T, dq], k [S, dk], v [S, dv]
  "params":   general: general_w [dq, dk];
              additive: additive_w1 [h, dq], additive_w2 [h, dk], additive_v [h],
                        optional additive_b1 [h], additive_b2 [h]; others: {}
  "expected": scores [T, S] (after scoring and 1/sqrt(dk) scaling, before the
              temperature; null where masked), weights [T, S], context [T, dv]

kind "multi_head_attention" (attnscope::multi_head_attention, torch layout W [out, in]):
  "heads": H
  "self_attention": bool; if true "inputs" holds only query, used as key and value too
  "inputs":   query [T, Dq], key [S, Dk], value [S, Dv]
  "params":   wq [D, Dq], wk [D, Dk], wv [D, Dv], wo [D, D], optional bq, bk, bv, bo [D]
  "expected": weights [H, T, S] (per head), output [T, D]

A query whose keys are all masked gets NaN from torch but all-zero weights,
context and -inf scores from attnscope, by design. Only the case whose
"fully_masked_rows" field lists such rows has them; for those rows the zeros
are written explicitly rather than computed by torch.
"""

import argparse
import json
import math
import os
import sys
import tempfile

import numpy as np
import torch

FORMAT = 1
CHECK_TOL = 1e-6
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


# ----------------------------------------------------------------------------
# Inputs


class Gen:
    """Float32 tensors from one seeded stream."""

    def __init__(self, seed):
        self.rs = np.random.RandomState(seed)

    def normal(self, shape, scale=1.0):
        return (self.rs.standard_normal(shape) * scale).astype(np.float32)

    def uniform(self, shape, bound):
        return self.rs.uniform(-bound, bound, shape).astype(np.float32)


def t64(a):
    """float32 array -> float64 torch tensor holding the same values."""
    return torch.from_numpy(np.asarray(a, dtype=np.float32).astype(np.float64))


def input_tensor(a):
    """JSON form of a float32 input: shortest float32 decimals."""
    a = np.asarray(a, dtype=np.float32)
    data = []
    for x in a.reshape(-1):
        s = repr(float(x)) if x == 0 else str(x)  # str(np.float32) is the shortest round-trip form
        d = float(s)
        # The C++ side parses a double and rounds it to float; make sure that lands on x.
        assert np.float32(d) == x and math.isfinite(d), (s, x)
        data.append(d)
    return {"shape": list(a.shape), "data": data}


def expected_tensor(t):
    """JSON form of a float64 result; -inf becomes null."""
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    data = []
    for x in a.reshape(-1).tolist():
        if x == -math.inf:
            data.append(None)
        else:
            assert math.isfinite(x), x
            data.append(float(x))
    return {"shape": list(a.shape), "data": data}


def causal_disallowed(T, S):
    """Bool [T, S], True where key j is in query i's future: j > i + (S - T)."""
    i = torch.arange(T).unsqueeze(1)
    j = torch.arange(S).unsqueeze(0)
    return j > i + (S - T)


# ----------------------------------------------------------------------------
# Single-head reference from plain torch ops


def reference_attention(q, k, v, scoring, params, causal, key_padding, temperature):
    """Returns scores, weights, context and the fully masked rows."""
    T, S = q.shape[0], k.shape[0]
    if scoring == "dot":
        e = q @ k.T
    elif scoring == "scaled_dot":
        e = q @ k.T / math.sqrt(k.shape[1])
    elif scoring == "general":
        e = q @ params["general_w"] @ k.T
    elif scoring == "additive":
        qa = q @ params["additive_w1"].T  # [T, h]
        ka = k @ params["additive_w2"].T  # [S, h]
        if "additive_b1" in params:
            qa = qa + params["additive_b1"]
        if "additive_b2" in params:
            ka = ka + params["additive_b2"]
        e = torch.tanh(qa.unsqueeze(1) + ka.unsqueeze(0)) @ params["additive_v"]  # [T, S]
    else:
        raise ValueError(scoring)

    masked = torch.zeros(T, S, dtype=torch.bool)
    if causal:
        masked |= causal_disallowed(T, S)
    if key_padding:
        masked |= (torch.tensor(key_padding) != 0).unsqueeze(0)
    scores = e.masked_fill(masked, -math.inf)
    weights = torch.softmax(scores / temperature, dim=-1)
    # torch gives NaN for a row with no visible key; attnscope defines it as zeros.
    dead = masked.all(dim=1)
    weights[dead] = 0.0
    context = weights @ v
    return scores, weights, context, dead.nonzero().flatten().tolist()


def attention_case(name, doc, seed, T, S, dq, dk, dv, scoring, hidden=None, biases=False, causal=False,
                   key_padding=(), temperature=1.0, allow_dead_rows=False):
    g = Gen(seed)
    q, k, v = g.normal((T, dq)), g.normal((S, dk)), g.normal((S, dv))
    params = {}
    if scoring == "general":
        params["general_w"] = g.normal((dq, dk), 1 / math.sqrt(dq))
    elif scoring == "additive":
        params["additive_w1"] = g.normal((hidden, dq), 1 / math.sqrt(dq))
        params["additive_w2"] = g.normal((hidden, dk), 1 / math.sqrt(dk))
        params["additive_v"] = g.normal((hidden,))
        if biases:
            params["additive_b1"] = g.normal((hidden,), 0.5)
            params["additive_b2"] = g.normal((hidden,), 0.5)

    key_padding = list(key_padding)
    assert not key_padding or len(key_padding) == S
    scores, weights, context, dead = reference_attention(
        t64(q), t64(k), t64(v), scoring, {n: t64(p) for n, p in params.items()}, causal, key_padding,
        temperature)
    assert bool(dead) == allow_dead_rows, (name, dead)

    case = {
        "format": FORMAT,
        "name": name,
        "kind": "attention",
        "doc": doc,
        "scoring": scoring,
        "temperature": temperature,
        "causal": causal,
        "key_padding": key_padding,
    }
    if dead:
        case["fully_masked_rows"] = dead
    case["inputs"] = {"q": input_tensor(q), "k": input_tensor(k), "v": input_tensor(v)}
    case["params"] = {n: input_tensor(p) for n, p in params.items()}
    case["expected"] = {
        "scores": expected_tensor(scores),
        "weights": expected_tensor(weights),
        "context": expected_tensor(context),
    }
    return case


# ----------------------------------------------------------------------------
# Multi-head reference: torch.nn.MultiheadAttention


def manual_mha(query, key, value, w, H, masked):
    """The same computation by hand, only to confirm how the module was driven."""
    D = w["wq"].shape[0]
    dh = D // H

    def proj(x, wn, bn):
        y = x @ w[wn].T
        return y + w[bn] if bn in w else y

    Q, K, V = proj(query, "wq", "bq"), proj(key, "wk", "bk"), proj(value, "wv", "bv")
    heads, ws = [], []
    for h in range(H):
        sl = slice(h * dh, (h + 1) * dh)
        e = (Q[:, sl] @ K[:, sl].T / math.sqrt(dh)).masked_fill(masked, -math.inf)
        a = torch.softmax(e, dim=-1)
        ws.append(a)
        heads.append(a @ V[:, sl])
    return torch.stack(ws), proj(torch.cat(heads, dim=1), "wo", "bo")


def mha_case(name, doc, seed, T, S, D, H, self_attention=False, kdim=None, vdim=None, bias=True, causal=False,
             key_padding=()):
    kdim = kdim or D
    vdim = vdim or D
    assert not self_attention or (T == S and kdim == D and vdim == D)
    g = Gen(seed)
    query = g.normal((T, D))
    key = query if self_attention else g.normal((S, kdim))
    value = query if self_attention else g.normal((S, vdim))
    w = {
        "wq": g.uniform((D, D), math.sqrt(3 / D)),
        "wk": g.uniform((D, kdim), math.sqrt(3 / kdim)),
        "wv": g.uniform((D, vdim), math.sqrt(3 / vdim)),
        "wo": g.uniform((D, D), math.sqrt(3 / D)),
    }
    if bias:
        for n in ("bq", "bk", "bv", "bo"):
            w[n] = g.normal((D,), 0.2)

    mha = torch.nn.MultiheadAttention(embed_dim=D, num_heads=H, bias=bias, batch_first=True, kdim=kdim,
                                      vdim=vdim, dtype=torch.float64)
    mha.eval()
    with torch.no_grad():
        if mha._qkv_same_embed_dim:
            mha.in_proj_weight.copy_(torch.cat([t64(w["wq"]), t64(w["wk"]), t64(w["wv"])]))
        else:
            mha.q_proj_weight.copy_(t64(w["wq"]))
            mha.k_proj_weight.copy_(t64(w["wk"]))
            mha.v_proj_weight.copy_(t64(w["wv"]))
        if bias:
            mha.in_proj_bias.copy_(torch.cat([t64(w["bq"]), t64(w["bk"]), t64(w["bv"])]))
            mha.out_proj.bias.copy_(t64(w["bo"]))
        mha.out_proj.weight.copy_(t64(w["wo"]))

    key_padding = list(key_padding)
    assert not key_padding or len(key_padding) == S
    attn_mask = causal_disallowed(T, S) if causal else None
    kpm = (torch.tensor(key_padding) != 0).unsqueeze(0) if key_padding else None
    with torch.no_grad():
        out, weights = mha(t64(query).unsqueeze(0), t64(key).unsqueeze(0), t64(value).unsqueeze(0),
                           key_padding_mask=kpm, need_weights=True, attn_mask=attn_mask,
                           average_attn_weights=False)
    out, weights = out[0], weights[0]  # drop the batch of one: [T, D], [H, T, S]
    assert torch.isfinite(out).all() and torch.isfinite(weights).all(), name

    masked = torch.zeros(T, S, dtype=torch.bool)
    if attn_mask is not None:
        masked |= attn_mask
    if kpm is not None:
        masked |= kpm
    mw, mo = manual_mha(t64(query), t64(key), t64(value), {n: t64(x) for n, x in w.items()}, H, masked)
    assert torch.allclose(mw, weights, rtol=0, atol=1e-12) and torch.allclose(mo, out, rtol=0, atol=1e-12), name

    inputs = {"query": input_tensor(query)}
    if not self_attention:
        inputs["key"] = input_tensor(key)
        inputs["value"] = input_tensor(value)
    return {
        "format": FORMAT,
        "name": name,
        "kind": "multi_head_attention",
        "doc": doc,
        "scoring": "scaled_dot",
        "temperature": 1.0,
        "causal": causal,
        "key_padding": key_padding,
        "heads": H,
        "self_attention": self_attention,
        "inputs": inputs,
        "params": {n: input_tensor(x) for n, x in w.items()},
        "expected": {"weights": expected_tensor(weights), "output": expected_tensor(out)},
    }


# ----------------------------------------------------------------------------
# The cases


def cases():
    A, M = attention_case, mha_case
    return [
        A("attn_dot_nomask", "dot scoring, no mask, dv != dk", 101, T=4, S=6, dq=5, dk=5, dv=3,
          scoring="dot"),
        A("attn_dot_padding_temp", "dot scoring, key padding (flags 1 and 7), temperature 2.5", 102, T=5,
          S=7, dq=4, dk=4, dv=6, scoring="dot", key_padding=[0, 1, 0, 0, 7, 0, 0], temperature=2.5),
        A("attn_scaled_dot_causal", "scaled_dot, causal, T == S (lower triangle)", 103, T=7, S=7, dq=8,
          dk=8, dv=4, scoring="scaled_dot", causal=True),
        A("attn_scaled_dot_causal_cache", "scaled_dot, causal with S > T (key/value cache offset S - T)",
          104, T=3, S=8, dq=6, dk=6, dv=5, scoring="scaled_dot", causal=True),
        A("attn_scaled_dot_single_query", "scaled_dot, one query over nine keys, key padding", 105, T=1,
          S=9, dq=16, dk=16, dv=2, scoring="scaled_dot", key_padding=[0, 0, 1, 0, 1, 1, 0, 0, 1]),
        A("attn_general_padding", "general, dq != dk, key padding", 106, T=5, S=7, dq=6, dk=4, dv=5,
          scoring="general", key_padding=[0, 0, 1, 0, 0, 1, 0]),
        A("attn_general_causal_temp", "general, dq != dk, causal with S > T, temperature 0.7", 107, T=4,
          S=6, dq=3, dk=7, dv=4, scoring="general", causal=True, temperature=0.7),
        A("attn_additive_bias_causal_padding", "additive with b1 and b2, dq != dk, causal + key padding",
          108, T=6, S=6, dq=5, dk=7, dv=3, scoring="additive", hidden=6, biases=True, causal=True,
          key_padding=[0, 0, 1, 0, 0, 1]),
        A("attn_additive_nobias_temp", "additive without biases, dq != dk, temperature 0.5, no mask", 109,
          T=4, S=5, dq=3, dk=4, dv=6, scoring="additive", hidden=5, temperature=0.5),
        A("attn_fully_masked_rows",
          "causal with T > S plus key padding: queries 0 and 1 see no key by the causal mask, query 2 "
          "only a padded one; their weights and context are zeros and scores -inf, written explicitly "
          "since torch gives NaN", 110, T=6, S=4, dq=4, dk=4, dv=3, scoring="scaled_dot", causal=True,
          key_padding=[1, 0, 0, 1], allow_dead_rows=True),
        M("mha_self_causal", "self-attention, bool causal attn_mask", 201, T=5, S=5, D=8, H=2,
          self_attention=True, causal=True),
        M("mha_self_causal_padding", "self-attention, causal attn_mask + key_padding_mask", 202, T=6, S=6,
          D=16, H=4, self_attention=True, causal=True, key_padding=[0, 0, 0, 1, 0, 1]),
        M("mha_cross_padding", "cross-attention S != T, key_padding_mask", 203, T=3, S=7, D=12, H=4,
          key_padding=[0, 1, 0, 0, 1, 0, 0]),
        M("mha_cross_one_head", "cross-attention, one head, no mask", 204, T=4, S=9, D=8, H=1),
        M("mha_cross_causal_cache", "cross-attention, causal attn_mask with S > T + key_padding_mask", 205,
          T=2, S=5, D=12, H=2, causal=True, key_padding=[1, 0, 0, 0, 0]),
        M("mha_kdim_vdim_nobias", "separate kdim=5, vdim=3 projections, bias=False, causal with S > T", 206,
          T=4, S=6, D=8, H=2, kdim=5, vdim=3, bias=False, causal=True),
    ]


# ----------------------------------------------------------------------------
# Output and --check


def format_json(obj, indent=0):
    """Dicts one key a line; tensors and lists on one line (small diffs, small files)."""
    pad = "  " * indent
    if isinstance(obj, dict) and not ("shape" in obj and "data" in obj):
        items = [f'{pad}  {json.dumps(k)}: {format_json(v, indent + 1)}' for k, v in obj.items()]
        return "{}" if not items else "{\n" + ",\n".join(items) + "\n" + pad + "}"
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def write_all(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)  # fixed reduction order, whatever the machine
    names = []
    for case in cases():
        path = os.path.join(out_dir, case["name"] + ".json")
        with open(path, "w") as f:
            f.write(format_json(case) + "\n")
        names.append(case["name"] + ".json")
    with open(os.path.join(out_dir, "index.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    return names


def compare(a, b, path, tolerant, errors):
    """Appends to errors where a (checked in) differs from b (regenerated)."""
    if isinstance(b, dict):
        if not isinstance(a, dict) or set(a) != set(b):
            errors.append(f"{path}: keys differ: {sorted(a) if isinstance(a, dict) else a!r} vs {sorted(b)}")
            return
        for key in b:
            compare(a[key], b[key], f"{path}.{key}", tolerant or key == "expected", errors)
    elif isinstance(b, list):
        if not isinstance(a, list) or len(a) != len(b):
            errors.append(f"{path}: length differs")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", tolerant, errors)
    elif isinstance(b, float) and tolerant:
        if not isinstance(a, (int, float)) or isinstance(a, bool) or abs(a - b) > CHECK_TOL * max(1.0, abs(b)):
            errors.append(f"{path}: {a!r} vs regenerated {b!r}")
    elif type(a) is not type(b) or a != b:
        errors.append(f"{path}: {a!r} vs regenerated {b!r} (must match exactly)")


def check(dir_):
    if not os.path.isdir(dir_):
        print(f"oracle check: {dir_} is not a directory", file=sys.stderr)
        return 1
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        names = write_all(tmp)
        expected_files = set(names) | {"index.txt"}
        present = {n for n in os.listdir(dir_) if n.endswith(".json") or n == "index.txt"}
        errors += [f"{n}: missing from {dir_}" for n in sorted(expected_files - present)]
        errors += [f"{n}: in {dir_} but not generated by this script" for n in sorted(present - expected_files)]
        for n in sorted(expected_files & present):
            with open(os.path.join(tmp, n)) as f:
                fresh = f.read()
            with open(os.path.join(dir_, n)) as f:
                old = f.read()
            if n == "index.txt":
                if old != fresh:
                    errors.append("index.txt: differs from the regenerated list")
                continue
            try:
                old_obj = json.loads(old)
            except ValueError as e:
                errors.append(f"{n}: not valid JSON ({e})")
                continue
            errs = []
            compare(old_obj, json.loads(fresh), n, False, errs)
            errors += errs[:10] + ([f"{n}: ... and {len(errs) - 10} more"] if len(errs) > 10 else [])
    if errors:
        print(f"oracle check FAILED: {dir_} is not what torch {torch.__version__} produces "
              f"(regenerate with /usr/bin/python3 {sys.argv[0]} {dir_}):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print(f"oracle check OK: {len(names)} cases in {dir_} match torch {torch.__version__} "
          f"(tolerance {CHECK_TOL})")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", nargs="?", default=DEFAULT_OUT, help="where to write (default: %(default)s)")
    ap.add_argument("--check", metavar="DIR", help="regenerate into a temporary dir and compare with DIR")
    args = ap.parse_args()
    if args.check:
        return check(args.check)
    names = write_all(args.out_dir)
    size = sum(os.path.getsize(os.path.join(args.out_dir, n)) for n in names)
    print(f"wrote {len(names)} cases + index.txt to {args.out_dir} ({size / 1024:.1f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
