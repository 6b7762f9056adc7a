#!/usr/bin/python3
"""Independent float64 PyTorch reference of GPT-2 and BERT forward passes.

Written from the published architectures and Hugging Face's saved-tensor
layout (no `transformers` package), for attnscope's model tests:

GPT-2 (Radford et al. 2019; HF GPT2Model)
    x = wte[ids] + wpe[0..T-1]
    per block i (pre-LayerNorm):
        a = LN(x; h.i.ln_1, eps=layer_norm_epsilon)
        [q | k | v] = a @ h.i.attn.c_attn.weight + bias      Conv1D: weight [in, out] = [D, 3D]
        per head h (columns h*dh .. h*dh+dh-1 of q, k and v):
            scaled_dot: e_ij = q_i . k_j / sqrt(dh)
            additive  : e_ij = v_h . tanh(Wq_h q_i + Wk_h k_j + b_h)   (attnscope extension, no 1/sqrt(dh))
            p = softmax_j(e with j > i set to -inf)                     (causal)
            ctx_i = sum_j p_ij v_j
        x = x + concat_heads(ctx) @ h.i.attn.c_proj.weight + bias       [D, D]
        m = LN(x; h.i.ln_2)
        x = x + act(m @ h.i.mlp.c_fc.weight + b) @ h.i.mlp.c_proj.weight + b   [D,4D], [4D,D]
    last_hidden = LN(x; ln_f)
    act = activation_function: "gelu_new" (default) / "gelu_pytorch_tanh" = tanh approximation
          0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); "gelu" = exact erf GELU; "relu".

BERT (Devlin et al. 2018; HF BertModel, no pooler in the outputs)
    x = LN(word[ids] + position[0..T-1] + token_type[tt]; embeddings.LayerNorm, eps=layer_norm_eps)
        tt defaults to all zeros.
    per layer i (post-LayerNorm), Linear: weight [out, in], y = x W^T + b:
        q, k, v = attention.self.{query,key,value}(x); per head as above, e = q.k/sqrt(dh),
        bidirectional; keys with attention_mask 0 get -inf (optional padding mask)
        a = LN(attention.output.dense(concat_heads(ctx)) + x; attention.output.LayerNorm)
        x = LN(output.dense(act(intermediate.dense(a))) + a; output.LayerNorm)
    last_hidden = x (the last encoder layer's output)
    act = hidden_act: "gelu" (exact erf, the BERT default), "gelu_new"/"gelu_pytorch_tanh", "relu".

LayerNorm: (x - mean) / sqrt(biased variance + eps) * weight + bias, over the last dim.

Tensor names are accepted as HF saves them, with the prefixes real checkpoints
carry (`transformer.` for GPT2LMHeadModel, `bert.` for BertFor*), old
`gamma`/`beta` LayerNorm names, and extras that are ignored (lm_head.*,
h.i.attn.bias / masked_bias buffers, cls.*, embeddings.position_ids,
pooler.* for the outputs). See canonical_gpt2 / canonical_bert.

API
    load_safetensors_f64(path) -> {name: float64 tensor} (weights as stored)
    gpt2_forward(cfg, W, ids) -> (attentions [L,H,T,T], last_hidden [T,D])
    bert_forward(cfg, W, ids, token_type_ids=None, attention_mask=None) -> same
    self_check() compares both against a second formulation built on
    torch.nn.MultiheadAttention / F.layer_norm / F.gelu / F.linear (and an
    explicit loop for additive scoring) to 1e-10.

Run `/usr/bin/python3 tests/model/reference.py` for the self-check.
"""

import math
import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

DT = torch.float64
SELF_CHECK_TOL = 1e-10


# ----------------------------------------------------------------------------
# Building blocks (plain formulas)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


def gelu_erf(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


ACTIVATIONS = {
    "gelu_new": gelu_tanh,
    "gelu_pytorch_tanh": gelu_tanh,
    "gelu_fast": gelu_tanh,  # same function, a different float evaluation in HF
    "gelu": gelu_erf,
    "relu": lambda x: torch.clamp(x, min=0.0),
}


def activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"unsupported activation {name!r}")
    return ACTIVATIONS[name]


def layer_norm(x, w, b, eps):
    mu = x.mean(dim=-1, keepdim=True)
    var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def softmax_rows(e):
    """softmax over the last dim; -inf entries give exact zeros."""
    m = e.max(dim=-1, keepdim=True).values
    z = torch.exp(e - m)
    return z / z.sum(dim=-1, keepdim=True)


def split_heads(x, H):
    """[T, D] -> [H, T, D/H]: head h owns columns h*dh .. (h+1)*dh - 1."""
    T, D = x.shape
    return x.reshape(T, H, D // H).transpose(0, 1)


def merge_heads(x):
    """[H, T, dh] -> [T, H*dh]."""
    H, T, dh = x.shape
    return x.transpose(0, 1).reshape(T, H * dh)


def additive_scores(q, k, wq, wk, b, v):
    """q [H,T,dh], k [H,S,dh], wq/wk [H,A,dh], b/v [H,A] -> e [H,T,S]."""
    qa = torch.einsum("had,htd->hta", wq, q)
    ka = torch.einsum("had,hsd->hsa", wk, k)
    z = torch.tanh(qa[:, :, None, :] + ka[:, None, :, :] + b[:, None, None, :])
    return torch.einsum("htsa,ha->hts", z, v)


# ----------------------------------------------------------------------------
# Configs and weight names


def gpt2_dims(cfg):
    if cfg.get("model_type", "gpt2") != "gpt2":
        raise ValueError("not a gpt2 config")
    D, H = int(cfg["n_embd"]), int(cfg["n_head"])
    if D % H:
        raise ValueError("n_embd must be a multiple of n_head")
    inner = cfg.get("n_inner")
    scoring = cfg.get("attention_scoring", "scaled_dot")
    if scoring not in ("scaled_dot", "additive"):
        raise ValueError(f"attention_scoring {scoring!r}")
    return {
        "V": int(cfg["vocab_size"]),
        "P": int(cfg["n_positions"]),
        "D": D,
        "H": H,
        "L": int(cfg["n_layer"]),
        "I": int(inner) if inner is not None else 4 * D,
        "eps": float(cfg.get("layer_norm_epsilon", 1e-5)),
        "act": cfg.get("activation_function", "gelu_new"),
        "scoring": scoring,
        "A": int(cfg["additive_dim"]) if scoring == "additive" else 0,
    }


def gpt2_shapes(cfg):
    d = gpt2_dims(cfg)
    V, P, D, L, I, H, A = d["V"], d["P"], d["D"], d["L"], d["I"], d["H"], d["A"]
    shapes = {"wte.weight": [V, D], "wpe.weight": [P, D]}
    for i in range(L):
        p = f"h.{i}."
        shapes.update({
            p + "ln_1.weight": [D], p + "ln_1.bias": [D],
            p + "attn.c_attn.weight": [D, 3 * D], p + "attn.c_attn.bias": [3 * D],
            p + "attn.c_proj.weight": [D, D], p + "attn.c_proj.bias": [D],
            p + "ln_2.weight": [D], p + "ln_2.bias": [D],
            p + "mlp.c_fc.weight": [D, I], p + "mlp.c_fc.bias": [I],
            p + "mlp.c_proj.weight": [I, D], p + "mlp.c_proj.bias": [D],
        })
        if d["scoring"] == "additive":
            dh = D // H
            shapes.update({
                p + "attn.score.w_q": [H, A, dh], p + "attn.score.w_k": [H, A, dh],
                p + "attn.score.bias": [H, A], p + "attn.score.v": [H, A],
            })
    shapes.update({"ln_f.weight": [D], "ln_f.bias": [D]})
    return shapes


def bert_dims(cfg):
    if cfg.get("model_type", "bert") != "bert":
        raise ValueError("not a bert config")
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("only absolute position embeddings")
    D, H = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
    if D % H:
        raise ValueError("hidden_size must be a multiple of num_attention_heads")
    return {
        "V": int(cfg["vocab_size"]),
        "P": int(cfg["max_position_embeddings"]),
        "TV": int(cfg.get("type_vocab_size", 2)),
        "D": D,
        "H": H,
        "L": int(cfg["num_hidden_layers"]),
        "I": int(cfg["intermediate_size"]),
        "eps": float(cfg.get("layer_norm_eps", 1e-12)),
        "act": cfg.get("hidden_act", "gelu"),
    }


def bert_shapes(cfg, with_pooler=True):
    d = bert_dims(cfg)
    V, P, TV, D, L, I = d["V"], d["P"], d["TV"], d["D"], d["L"], d["I"]
    e = "embeddings."
    shapes = {
        e + "word_embeddings.weight": [V, D], e + "position_embeddings.weight": [P, D],
        e + "token_type_embeddings.weight": [TV, D],
        e + "LayerNorm.weight": [D], e + "LayerNorm.bias": [D],
    }
    for i in range(L):
        p = f"encoder.layer.{i}."
        for n in ("query", "key", "value"):
            shapes[p + f"attention.self.{n}.weight"] = [D, D]
            shapes[p + f"attention.self.{n}.bias"] = [D]
        shapes.update({
            p + "attention.output.dense.weight": [D, D], p + "attention.output.dense.bias": [D],
            p + "attention.output.LayerNorm.weight": [D], p + "attention.output.LayerNorm.bias": [D],
            p + "intermediate.dense.weight": [I, D], p + "intermediate.dense.bias": [I],
            p + "output.dense.weight": [D, I], p + "output.dense.bias": [D],
            p + "output.LayerNorm.weight": [D], p + "output.LayerNorm.bias": [D],
        })
    if with_pooler:
        shapes.update({"pooler.dense.weight": [D, D], "pooler.dense.bias": [D]})
    return shapes


GPT2_IGNORED = re.compile(r"(lm_head\..*|h\.\d+\.attn\.(bias|masked_bias))")
BERT_IGNORED = re.compile(r"(cls\..*|embeddings\.position_ids)")


def canonical_gpt2(weights, cfg):
    """HF names -> canonical names: drop a `transformer.` prefix, ignore
    lm_head.* and the attn.bias / attn.masked_bias buffers. Checks shapes."""
    out = {}
    for name, t in weights.items():
        n = name[len("transformer."):] if name.startswith("transformer.") else name
        if GPT2_IGNORED.fullmatch(n):
            continue
        if n in out:
            raise ValueError(f"duplicate tensor {n}")
        out[n] = t
    return _check_shapes(out, gpt2_shapes(cfg), required=None)


def canonical_bert(weights, cfg):
    """HF names -> canonical names: drop a `bert.` prefix, LayerNorm gamma/beta
    -> weight/bias, ignore cls.* and embeddings.position_ids. Checks shapes."""
    out = {}
    for name, t in weights.items():
        n = name[len("bert."):] if name.startswith("bert.") else name
        if BERT_IGNORED.fullmatch(n):
            continue
        n = re.sub(r"\.LayerNorm\.gamma$", ".LayerNorm.weight", n)
        n = re.sub(r"\.LayerNorm\.beta$", ".LayerNorm.bias", n)
        if n in out:
            raise ValueError(f"duplicate tensor {n}")
        out[n] = t
    shapes = bert_shapes(cfg, with_pooler=True)
    required = set(bert_shapes(cfg, with_pooler=False))
    return _check_shapes(out, shapes, required=required)


def _check_shapes(w, shapes, required):
    required = set(shapes) if required is None else required
    missing = sorted(required - set(w))
    extra = sorted(set(w) - set(shapes))
    if missing or extra:
        raise ValueError(f"missing tensors {missing[:5]}, unexpected tensors {extra[:5]}")
    for n, t in w.items():
        if list(t.shape) != shapes[n]:
            raise ValueError(f"{n}: shape {list(t.shape)}, expected {shapes[n]}")
    return w


def load_safetensors_f64(path):
    """{name: float64 torch tensor} of the float tensors of a file, values as stored.
    8-bit weights (I8 X with X_scale, one scale per row of X's stored layout or one
    for all) come back as the engine computes them: float32(q) * scale in float32."""
    _, tensors = safetensors_io.load(path)
    out = {}
    for name, (dtype, shape, arr) in tensors.items():
        if name.endswith("_scale") and tensors.get(name[: -len("_scale")], ("",))[0] == "I8":
            continue
        if dtype == "I8" and name + "_scale" in tensors:
            scale = np.asarray(tensors[name + "_scale"][2], dtype=np.float32).reshape(-1)
            cols = shape[-1] if shape else 1
            q = np.asarray(arr).reshape(-1, cols).astype(np.float32)
            deq = q * (scale[:, None] if scale.size > 1 else scale[0])
            out[name] = torch.from_numpy(deq.astype(np.float64).reshape(shape).copy())
        elif dtype in ("F64", "F32", "F16", "BF16"):
            out[name] = torch.from_numpy(np.asarray(arr, dtype=np.float64).reshape(shape).copy())
        else:
            out[name] = torch.from_numpy(np.asarray(arr).copy())
    return out


# ----------------------------------------------------------------------------
# Forward passes (main formulation)


def gpt2_forward(cfg, W, ids):
    """W: canonical float64 weights. ids: 1..n_positions token ids.
    Returns (attentions [L, H, T, T], last_hidden [T, D]) in float64."""
    d = gpt2_dims(cfg)
    D, H, L, eps = d["D"], d["H"], d["L"], d["eps"]
    dh = D // H
    act = activation(d["act"])
    ids = torch.as_tensor(list(ids), dtype=torch.long)
    T = ids.numel()
    if not 1 <= T <= d["P"]:
        raise ValueError(f"{T} tokens, the context is 1..{d['P']} (truncate first)")
    if int(ids.min()) < 0 or int(ids.max()) >= d["V"]:
        raise ValueError("token id out of range")
    future = torch.ones(T, T, dtype=torch.bool).triu(1)  # j > i
    x = W["wte.weight"][ids] + W["wpe.weight"][:T]
    attns = []
    for i in range(L):
        p = f"h.{i}."
        a = layer_norm(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        qkv = a @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"]
        q, k, v = (split_heads(t, H) for t in qkv.split(D, dim=1))
        if d["scoring"] == "additive":
            e = additive_scores(q, k, W[p + "attn.score.w_q"], W[p + "attn.score.w_k"],
                                W[p + "attn.score.bias"], W[p + "attn.score.v"])
        else:
            e = q @ k.transpose(1, 2) / math.sqrt(dh)
        probs = softmax_rows(e.masked_fill(future, -math.inf))
        attns.append(probs)
        x = x + merge_heads(probs @ v) @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
        m = layer_norm(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        x = x + act(m @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"]) @ W[p + "mlp.c_proj.weight"] \
            + W[p + "mlp.c_proj.bias"]
    return torch.stack(attns), layer_norm(x, W["ln_f.weight"], W["ln_f.bias"], eps)


def bert_forward(cfg, W, ids, token_type_ids=None, attention_mask=None):
    """W: canonical float64 weights. token_type_ids default to zeros;
    attention_mask (1 = attend, 0 = padding key) defaults to all ones.
    Returns (attentions [L, H, T, T], last_hidden [T, D]) in float64."""
    d = bert_dims(cfg)
    D, H, L, eps = d["D"], d["H"], d["L"], d["eps"]
    dh = D // H
    act = activation(d["act"])
    ids = torch.as_tensor(list(ids), dtype=torch.long)
    T = ids.numel()
    if not 1 <= T <= d["P"]:
        raise ValueError(f"{T} tokens, the context is 1..{d['P']}")
    if int(ids.min()) < 0 or int(ids.max()) >= d["V"]:
        raise ValueError("token id out of range")
    tt = torch.zeros(T, dtype=torch.long) if token_type_ids is None else torch.as_tensor(list(token_type_ids))
    if tt.numel() != T or int(tt.min()) < 0 or int(tt.max()) >= d["TV"]:
        raise ValueError("bad token_type_ids")
    e_ = "embeddings."
    key_bias = torch.zeros(T, dtype=W[e_ + "word_embeddings.weight"].dtype)
    if attention_mask is not None:
        am = torch.as_tensor(list(attention_mask))
        if am.numel() != T or int(am.max()) == 0:
            raise ValueError("attention_mask must have T entries and at least one 1")
        key_bias = key_bias.masked_fill(am == 0, -math.inf)
    x = W[e_ + "word_embeddings.weight"][ids] + W[e_ + "position_embeddings.weight"][:T] \
        + W[e_ + "token_type_embeddings.weight"][tt]
    x = layer_norm(x, W[e_ + "LayerNorm.weight"], W[e_ + "LayerNorm.bias"], eps)

    def lin(t, name):
        return t @ W[name + ".weight"].T + W[name + ".bias"]

    attns = []
    for i in range(L):
        p = f"encoder.layer.{i}."
        q = split_heads(lin(x, p + "attention.self.query"), H)
        k = split_heads(lin(x, p + "attention.self.key"), H)
        v = split_heads(lin(x, p + "attention.self.value"), H)
        probs = softmax_rows(q @ k.transpose(1, 2) / math.sqrt(dh) + key_bias)
        attns.append(probs)
        a = lin(merge_heads(probs @ v), p + "attention.output.dense")
        a = layer_norm(a + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"], eps)
        o = lin(act(lin(a, p + "intermediate.dense")), p + "output.dense")
        x = layer_norm(o + a, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)
    return torch.stack(attns), x


# ----------------------------------------------------------------------------
# Second formulation (for the self-check): torch.nn.MultiheadAttention,
# F.layer_norm, F.gelu, F.linear; an explicit per-(head, i, j) loop for additive.

TORCH_ACT = {
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_fast": lambda x: F.gelu(x, approximate="tanh"),
    "gelu": lambda x: F.gelu(x),
    "relu": F.relu,
}


def _mha(D, H, in_w, in_b, out_w, out_b):
    m = torch.nn.MultiheadAttention(D, H, bias=True, batch_first=True, dtype=DT)
    m.eval()
    with torch.no_grad():
        m.in_proj_weight.copy_(in_w)
        m.in_proj_bias.copy_(in_b)
        m.out_proj.weight.copy_(out_w)
        m.out_proj.bias.copy_(out_b)
    return m


def _additive_loop(x, c_attn_w, c_attn_b, wq, wk, b, vv, H):
    T, D = x.shape
    dh = D // H
    qkv = F.linear(x, c_attn_w.T, c_attn_b)
    e = torch.empty(H, T, T, dtype=DT)
    for h in range(H):
        for i in range(T):
            qi = qkv[i, h * dh:(h + 1) * dh]
            for j in range(T):
                kj = qkv[j, D + h * dh:D + (h + 1) * dh]
                e[h, i, j] = torch.dot(vv[h], torch.tanh(torch.mv(wq[h], qi) + torch.mv(wk[h], kj) + b[h]))
    mask = torch.triu(torch.full((T, T), float("-inf"), dtype=DT), 1)
    probs = torch.softmax(e + mask, dim=-1)
    ctx = torch.cat([probs[h] @ qkv[:, 2 * D + h * dh:2 * D + (h + 1) * dh] for h in range(H)], dim=1)
    return probs, ctx


def gpt2_forward_alt(cfg, W, ids):
    d = gpt2_dims(cfg)
    D, H, L, eps = d["D"], d["H"], d["L"], d["eps"]
    act = TORCH_ACT[d["act"]]
    T = len(ids)
    idx = torch.tensor(list(ids))
    x = F.embedding(idx, W["wte.weight"]) + F.embedding(torch.arange(T), W["wpe.weight"])
    attn_mask = torch.ones(T, T, dtype=torch.bool).triu(1)  # True = not allowed
    attns = []
    for i in range(L):
        p = f"h.{i}."
        a = F.layer_norm(x, (D,), W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        if d["scoring"] == "additive":
            probs, ctx = _additive_loop(a, W[p + "attn.c_attn.weight"], W[p + "attn.c_attn.bias"],
                                        W[p + "attn.score.w_q"], W[p + "attn.score.w_k"],
                                        W[p + "attn.score.bias"], W[p + "attn.score.v"], H)
            out = F.linear(ctx, W[p + "attn.c_proj.weight"].T, W[p + "attn.c_proj.bias"])
        else:
            m = _mha(D, H, W[p + "attn.c_attn.weight"].T, W[p + "attn.c_attn.bias"],
                     W[p + "attn.c_proj.weight"].T, W[p + "attn.c_proj.bias"])
            with torch.no_grad():
                out, probs = m(a[None], a[None], a[None], attn_mask=attn_mask, need_weights=True,
                               average_attn_weights=False)
            out, probs = out[0], probs[0]
        attns.append(probs)
        x = x + out
        m2 = F.layer_norm(x, (D,), W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        h = act(F.linear(m2, W[p + "mlp.c_fc.weight"].T, W[p + "mlp.c_fc.bias"]))
        x = x + F.linear(h, W[p + "mlp.c_proj.weight"].T, W[p + "mlp.c_proj.bias"])
    return torch.stack(attns), F.layer_norm(x, (D,), W["ln_f.weight"], W["ln_f.bias"], eps)


def bert_forward_alt(cfg, W, ids, token_type_ids=None, attention_mask=None):
    d = bert_dims(cfg)
    D, H, L, eps = d["D"], d["H"], d["L"], d["eps"]
    act = TORCH_ACT[d["act"]]
    T = len(ids)
    tt = torch.zeros(T, dtype=torch.long) if token_type_ids is None else torch.tensor(list(token_type_ids))
    e_ = "embeddings."
    x = F.embedding(torch.tensor(list(ids)), W[e_ + "word_embeddings.weight"]) \
        + F.embedding(torch.arange(T), W[e_ + "position_embeddings.weight"]) \
        + F.embedding(tt, W[e_ + "token_type_embeddings.weight"])
    x = F.layer_norm(x, (D,), W[e_ + "LayerNorm.weight"], W[e_ + "LayerNorm.bias"], eps)
    kpm = None if attention_mask is None else (torch.tensor(list(attention_mask)) == 0)[None]
    attns = []
    for i in range(L):
        p = f"encoder.layer.{i}."
        s = p + "attention.self."
        m = _mha(D, H,
                 torch.cat([W[s + "query.weight"], W[s + "key.weight"], W[s + "value.weight"]]),
                 torch.cat([W[s + "query.bias"], W[s + "key.bias"], W[s + "value.bias"]]),
                 W[p + "attention.output.dense.weight"], W[p + "attention.output.dense.bias"])
        with torch.no_grad():
            out, probs = m(x[None], x[None], x[None], key_padding_mask=kpm, need_weights=True,
                           average_attn_weights=False)
        attns.append(probs[0])
        a = F.layer_norm(out[0] + x, (D,), W[p + "attention.output.LayerNorm.weight"],
                         W[p + "attention.output.LayerNorm.bias"], eps)
        h = act(F.linear(a, W[p + "intermediate.dense.weight"], W[p + "intermediate.dense.bias"]))
        o = F.linear(h, W[p + "output.dense.weight"], W[p + "output.dense.bias"])
        x = F.layer_norm(o + a, (D,), W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)
    return torch.stack(attns), x


# ----------------------------------------------------------------------------
# Self-check


def random_weights(shapes, seed, scale=0.1, special=None):
    """float64 weights; LayerNorm weights ~ 1, everything else ~ N(0, scale)."""
    rs = np.random.RandomState(seed)
    out = {}
    for n, shape in shapes.items():
        s = (special or {}).get(n.split(".")[-2] + "." + n.split(".")[-1], scale) if "." in n else scale
        a = rs.standard_normal(shape) * s
        if re.search(r"(ln_\d|ln_f|LayerNorm)\.weight$", n):
            a = 1.0 + 0.1 * rs.standard_normal(shape)
        out[n] = torch.from_numpy(a)
    return out


def _maxdiff(a, b):
    return float((a - b).abs().max())


def self_check(verbose=True):
    """Returns {check name: max abs difference}; raises if any exceeds 1e-10."""
    results = {}
    g_cfg = {"model_type": "gpt2", "vocab_size": 50, "n_positions": 16, "n_embd": 32, "n_layer": 2,
             "n_head": 4, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}
    W = canonical_gpt2(random_weights(gpt2_shapes(g_cfg), 11, special={"c_attn.weight": 0.3}), g_cfg)
    ids = [3, 17, 42, 0, 9, 9, 31, 48, 5, 12, 7, 1, 33]
    a1, h1 = gpt2_forward(g_cfg, W, ids)
    a2, h2 = gpt2_forward_alt(g_cfg, W, ids)
    results["gpt2 attentions vs nn.MultiheadAttention"] = _maxdiff(a1, a2)
    results["gpt2 last_hidden vs F.layer_norm/F.gelu(tanh)/MHA"] = _maxdiff(h1, h2)
    # causality: a prefix's outputs are the full run's leading rows (what truncation relies on)
    a3, h3 = gpt2_forward(g_cfg, W, ids[:5])
    results["gpt2 prefix == leading rows"] = max(_maxdiff(a3, a1[:, :, :5, :5]), _maxdiff(h3, h1[:5]))
    results["gpt2 future probabilities (must be 0)"] = float(a1.triu(1).abs().max())
    results["gpt2 row sums - 1"] = _maxdiff(a1.sum(-1), torch.ones_like(a1.sum(-1)))

    ga_cfg = dict(g_cfg, attention_scoring="additive", additive_dim=8)
    Wa = canonical_gpt2(random_weights(gpt2_shapes(ga_cfg), 12, special={"score.w_q": 0.3, "score.w_k": 0.3,
                                                                          "score.v": 1.0}), ga_cfg)
    a1, h1 = gpt2_forward(ga_cfg, Wa, ids[:9])
    a2, h2 = gpt2_forward_alt(ga_cfg, Wa, ids[:9])
    results["gpt2-additive attentions vs per-(h,i,j) loop"] = _maxdiff(a1, a2)
    results["gpt2-additive last_hidden vs loop + F ops"] = _maxdiff(h1, h2)

    b_cfg = {"model_type": "bert", "vocab_size": 60, "hidden_size": 32, "num_hidden_layers": 2,
             "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 16,
             "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
    Wb = canonical_bert(random_weights(bert_shapes(b_cfg), 13, special={"query.weight": 0.3, "key.weight": 0.3}),
                        b_cfg)
    ids = [2, 14, 55, 7, 7, 31, 3, 40, 19, 3]
    tt = [0] * 6 + [1] * 4
    a1, h1 = bert_forward(b_cfg, Wb, ids, tt)
    a2, h2 = bert_forward_alt(b_cfg, Wb, ids, tt)
    results["bert attentions vs nn.MultiheadAttention"] = _maxdiff(a1, a2)
    results["bert last_hidden vs F.layer_norm/F.gelu(erf)/MHA"] = _maxdiff(h1, h2)
    am = [1] * 7 + [0] * 3
    a1, h1 = bert_forward(b_cfg, Wb, ids, tt, am)
    a2, h2 = bert_forward_alt(b_cfg, Wb, ids, tt, am)
    results["bert padded attentions vs MHA key_padding_mask"] = _maxdiff(a1, a2)
    results["bert padded last_hidden vs MHA key_padding_mask"] = _maxdiff(h1, h2)
    a0, h0 = bert_forward(b_cfg, Wb, ids)
    a0z, h0z = bert_forward(b_cfg, Wb, ids, [0] * len(ids))
    results["bert default token types == zeros"] = max(_maxdiff(a0, a0z), _maxdiff(h0, h0z))

    # the two GELUs and the activation the configs name really are different functions
    xs = torch.linspace(-4, 4, 81, dtype=DT)
    results["gelu_tanh vs F.gelu(approximate='tanh')"] = _maxdiff(gelu_tanh(xs), F.gelu(xs, approximate="tanh"))
    results["gelu_erf vs F.gelu"] = _maxdiff(gelu_erf(xs), F.gelu(xs))
    assert _maxdiff(gelu_tanh(xs), gelu_erf(xs)) > 1e-4

    bad = {k: v for k, v in results.items() if not v <= SELF_CHECK_TOL}
    if verbose:
        for k, v in results.items():
            print(f"  {k:55s} {v:.3e}")
    if bad:
        raise AssertionError(f"self-check failed: {bad}")
    if verbose:
        print(f"reference self-check: all {len(results)} comparisons within {SELF_CHECK_TOL:g}")
    return results


if __name__ == "__main__":
    self_check()
