#!/usr/bin/python3
"""Model fixtures for attnscope's C++ and JS model tests: tiny GPT-2 and BERT
models with random weights in Hugging Face's file layout, their tokenizers,
and what tests/model/reference.py (float64 PyTorch) computes for them.

    /usr/bin/python3 tests/model/make_fixtures.py [--out DIR]   # default <repo>/build/fixtures

Deterministic (fixed seeds, numpy's legacy RandomState stream, byte-identical
output run to run), a couple of seconds. Layout:

    DIR/manifest.json                 models, their files (bytes, sha256), notes
    DIR/<model>/config.json           HF config keys (+ realistic extras a loader must ignore)
    DIR/<model>/model.safetensors      F32 weights
    DIR/<model>/model.f16.safetensors  the same weights rounded to F16
    DIR/<model>/model.bf16.safetensors the same weights rounded to BF16 (round to nearest even)
    DIR/<model>/tokenizer.json        HF tokenizers format
    DIR/<model>/vocab.json, merges.txt    (GPT-2 models: legacy BPE files)
    DIR/<model>/vocab.txt                 (BERT models: legacy WordPiece vocab)
    DIR/<model>/expected.json         reference outputs, see EXPECTED_DOC

Models:
    gpt2-tiny            3 layers, 4 heads, D=64, n_positions=32, vocab 407 (256 bytes + 150 merges + <|endoftext|>)
    gpt2-tiny-additive   the same shape, "attention_scoring": "additive", "additive_dim": 16
    gpt2-tiny-prefixed   names prefixed "transformer."; extra lm_head.weight, h.i.attn.bias (U8 [1,1,P,P])
                         and h.i.attn.masked_bias (scalar) to ignore; tokenizer.json in the newer layout
                         (merges as [a, b] pairs)
    bert-tiny            2 layers, 4 heads, D=64, intermediate 128, max_position_embeddings=32, type_vocab 2
    bert-tiny-prefixed   names prefixed "bert.", LayerNorm params named gamma/beta, extra cls.* heads and
                         bert.embeddings.position_ids (I64 [1,P]) to ignore
Each model has its own seed, so no two models share weights.
"""

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference as ref  # noqa: E402
import safetensors_io as st  # noqa: E402
import tokenizer_ref as tk  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "build", "fixtures")
FORMAT = 1
DTYPES = [("f32", "F32", "model.safetensors"), ("f16", "F16", "model.f16.safetensors"),
          ("bf16", "BF16", "model.bf16.safetensors")]
SIG_DIGITS = 9

EXPECTED_DOC = (
    "Reference outputs of tests/model/reference.py (float64 PyTorch) for the weights AS STORED in the file "
    "named by weights[dtype] (F16/BF16 values converted exactly to float64). attentions [L,H,T,T]: per layer "
    "and head, row i = softmax over keys j (causal models: exact 0 for j > i). last_hidden [T,D]: GPT-2 after "
    "ln_f, BERT the last encoder layer output (no pooler). ids longer than the context come with truncate_to: "
    "the expected outputs are those of ids[:truncate_to]. token_type_ids absent = all zeros. Numbers are "
    "rounded to 9 significant digits. tokenizer_cases: what tokenizer.json / the legacy files produce for "
    "text (GPT-2: no special tokens added, decode(ids) == text; BERT: [CLS] A [SEP] (B [SEP]) with type ids)."
)


# ----------------------------------------------------------------------------
# Deterministic JSON with compact float arrays


class Floats:
    """A flat float array written with SIG_DIGITS significant digits."""

    def __init__(self, values):
        self.values = [float(x) for x in values]


def _num(x):
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("non-finite value in fixture")
    s = f"{x:.{SIG_DIGITS}g}"
    return "0" if s in ("0", "-0") else s


def dumps(obj, level=0, expand=1):
    """JSON text; containers nested deeper than `expand` stay on one line."""
    if isinstance(obj, Floats):
        return "[" + ",".join(_num(x) for x in obj.values) + "]"
    if isinstance(obj, float):
        return _num(obj)
    if isinstance(obj, dict):
        items = [json.dumps(str(k), ensure_ascii=False) + ":" + dumps(v, level + 1, expand) for k, v in obj.items()]
        if level < expand and items:
            pad = "\n" + " " * (level + 1)
            return "{" + pad + ("," + pad).join(items) + "\n" + " " * level + "}"
        return "{" + ",".join(items) + "}"
    if isinstance(obj, (list, tuple)):
        items = [dumps(v, level + 1, expand) for v in obj]
        if level < expand and items:
            pad = "\n" + " " * (level + 1)
            return "[" + pad + ("," + pad).join(items) + "\n" + " " * level + "]"
        return "[" + ",".join(items) + "]"
    return json.dumps(obj, ensure_ascii=False)


def tensor_json(t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    return {"shape": list(a.shape), "data": Floats(a.reshape(-1).tolist())}


def write(path, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)


# ----------------------------------------------------------------------------
# Models


MODELS = [
    {"name": "gpt2-tiny", "type": "gpt2", "seed": 1001},
    {"name": "gpt2-tiny-additive", "type": "gpt2", "seed": 1002, "additive_dim": 16},
    {"name": "gpt2-tiny-prefixed", "type": "gpt2", "seed": 1003, "prefixed": True},
    {"name": "bert-tiny", "type": "bert", "seed": 2001},
    {"name": "bert-tiny-prefixed", "type": "bert", "seed": 2002, "prefixed": True},
]

DESCRIPTIONS = {
    "gpt2-tiny": "GPT-2, HF GPT2Model names, scaled dot-product attention",
    "gpt2-tiny-additive": "GPT-2 with attnscope's additive (Bahdanau) scoring: attention_scoring=additive, "
                          "additive_dim=16, extra h.i.attn.score.{w_q,w_k,bias,v}",
    "gpt2-tiny-prefixed": "GPT2LMHeadModel-style names: transformer. prefix; lm_head.weight, "
                          "transformer.h.i.attn.bias (U8 [1,1,P,P]) and transformer.h.i.attn.masked_bias "
                          "(scalar, shape []) must be ignored; tokenizer.json in the tokenizers>=0.20 layout",
    "bert-tiny": "BERT, HF BertModel names (with pooler.dense, unused for last_hidden)",
    "bert-tiny-prefixed": "BertForPreTraining-style names: bert. prefix, LayerNorm.gamma/beta instead of "
                          "weight/bias; cls.* heads and bert.embeddings.position_ids (I64) must be ignored",
}

D, H, P = 64, 4, 32


def gpt2_config(spec, vocab_size, eot):
    cfg = {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1,
        "bos_token_id": eot,
        "embd_pdrop": 0.1,
        "eos_token_id": eot,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2",
        "n_ctx": P,
        "n_embd": D,
        "n_head": H,
        "n_inner": None,
        "n_layer": 3,
        "n_positions": P,
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "transformers_version": "4.36.2",
        "use_cache": True,
        "vocab_size": vocab_size,
    }
    if spec.get("additive_dim"):
        cfg["attention_scoring"] = "additive"
        cfg["additive_dim"] = spec["additive_dim"]
    return dict(sorted(cfg.items()))


def bert_config(spec, vocab_size):
    cfg = {
        "architectures": ["BertForPreTraining" if spec.get("prefixed") else "BertModel"],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": D,
        "initializer_range": 0.02,
        "intermediate_size": 128,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": P,
        "model_type": "bert",
        "num_attention_heads": H,
        "num_hidden_layers": 2,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "transformers_version": "4.36.2",
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": vocab_size,
    }
    return dict(sorted(cfg.items()))


def _std(name):
    """Weight scales: large enough query/key weights that attention is far from uniform."""
    tail = name.split(".")
    leaf = ".".join(tail[-2:])
    table = {
        "wte.weight": 0.1, "wpe.weight": 0.05,
        "c_proj.weight": 0.08, "c_fc.weight": 0.1,
        "score.w_q": 0.2, "score.w_k": 0.2, "score.bias": 0.3, "score.v": 1.0,
        "word_embeddings.weight": 0.1, "position_embeddings.weight": 0.05, "token_type_embeddings.weight": 0.2,
        "query.weight": 0.25, "key.weight": 0.25, "value.weight": 0.1,
        "dense.weight": 0.1,
    }
    if leaf in table:
        return table[leaf]
    if leaf.endswith(".bias"):
        return 0.05
    return 0.1


def random_float32(shapes, seed):
    """Canonical-name float32 weights from one seeded stream, in sorted-name order."""
    rs = np.random.RandomState(seed)
    out = {}
    for n in sorted(shapes):
        shape = shapes[n]
        if n.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight", "LayerNorm.weight")):
            a = 1.0 + 0.1 * rs.standard_normal(shape)
        elif n.endswith("attn.c_attn.weight"):
            # columns [0, 2D) are the query and key projections, [2D, 3D) the values
            a = rs.standard_normal(shape) * np.concatenate([np.full(2 * D, 0.25), np.full(D, 0.1)])
        else:
            a = rs.standard_normal(shape) * _std(n)
        out[n] = np.asarray(a, dtype=np.float32)
    return out


def stored_tensors(spec, W, cfg, dtype):
    """[(name, dtype, array)] as the file stores them."""
    items = []
    if spec["type"] == "gpt2":
        pre = "transformer." if spec.get("prefixed") else ""
        for n, a in W.items():
            items.append((pre + n, dtype, a))
        if spec.get("prefixed"):
            items.append(("lm_head.weight", dtype, W["wte.weight"]))
            tril = np.tril(np.ones((P, P), dtype=np.uint8)).reshape(1, 1, P, P)
            for i in range(cfg["n_layer"]):
                items.append((f"transformer.h.{i}.attn.bias", "U8", tril))
                items.append((f"transformer.h.{i}.attn.masked_bias", dtype, np.float32(-1e4)))
    else:
        if not spec.get("prefixed"):
            return [(n, dtype, a) for n, a in W.items()]
        for n, a in W.items():
            n = n.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
            items.append(("bert." + n, dtype, a))
        V = cfg["vocab_size"]
        rs = np.random.RandomState(spec["seed"] + 500)
        items += [
            ("bert.embeddings.position_ids", "I64", np.arange(P, dtype=np.int64).reshape(1, P)),
            ("cls.predictions.bias", dtype, (rs.standard_normal(V) * 0.05).astype(np.float32)),
            ("cls.predictions.transform.dense.weight", dtype, (rs.standard_normal((D, D)) * 0.1).astype(np.float32)),
            ("cls.predictions.transform.dense.bias", dtype, (rs.standard_normal(D) * 0.05).astype(np.float32)),
            ("cls.predictions.transform.LayerNorm.gamma", dtype, np.ones(D, dtype=np.float32)),
            ("cls.predictions.transform.LayerNorm.beta", dtype, np.zeros(D, dtype=np.float32)),
            ("cls.predictions.decoder.weight", dtype, W["embeddings.word_embeddings.weight"]),
            ("cls.seq_relationship.weight", dtype, (rs.standard_normal((2, D)) * 0.1).astype(np.float32)),
            ("cls.seq_relationship.bias", dtype, np.zeros(2, dtype=np.float32)),
        ]
    return items


def case_specs(spec, cfg, tokenizer):
    """[(name, ids, token_type_ids|None, truncate_to|None, text|None, dtypes)]."""
    rs = np.random.RandomState(spec["seed"] + 77)
    V = cfg["vocab_size"]
    all_dt = [d for d, _, _ in DTYPES]
    lean = ["f32"]  # cases whose point is sequence handling, not weight precision

    def ids(n):
        return [int(x) for x in rs.randint(0, V, size=n)]

    if spec["type"] == "gpt2":
        out = [
            ("len1", ids(1), None, None, None, lean),
            ("len2", ids(2), None, None, None, all_dt),
            ("len7", ids(7), None, None, None, all_dt),
            ("len32_full_context", ids(P), None, None, None, all_dt),
            ("len40_truncated", ids(40), None, P, None, lean),
        ]
        text = "The quick brown fox jumps over the lazy dog."
        out.append(("text", tokenizer.encode(text)[0], None, None, text, lean))
        return out
    l7 = ids(7)
    out = [
        ("len1", ids(1), None, None, None, lean),
        ("len2", ids(2), None, None, None, all_dt),
        ("len7_types", l7, [0, 0, 0, 0, 1, 1, 1], None, None, all_dt),
        ("len7_default_types", l7, None, None, None, lean),
        ("len32_full_context", ids(P), [0] * 12 + [1] * 20, None, None, all_dt),
    ]
    a, b = "How is the weather?", "It was raining when he looked."
    pid, ptt, _ = tokenizer.encode(a, b)
    out.append(("text_pair", pid, ptt, None, [a, b], lean))
    return out


def attention_stats(att):
    """Mean max probability and mean normalized entropy over rows with >= 8 keys (causal) / all rows."""
    T = att.shape[2]
    mx, ent = [], []
    for i in range(T):
        row = att[:, :, i, :]
        n = int((row[0, 0] > 0).sum())  # keys this query sees: i + 1 (causal) or T
        if n < 8:
            continue
        p = row.clamp_min(1e-300)
        mx.append(float(row.max(-1).values.mean()))
        ent.append(float((-(row * p.log()).sum(-1) / np.log(n)).mean()))
    return {"mean_max_prob": round(float(np.mean(mx)), 4), "mean_normalized_entropy": round(float(np.mean(ent)), 4)}


def make_model(spec, out_dir, gpt2_tok, bert_tok):
    name = spec["name"]
    mdir = os.path.join(out_dir, name)
    os.makedirs(mdir, exist_ok=True)
    files = {}

    if spec["type"] == "gpt2":
        tok = gpt2_tok
        cfg = gpt2_config(spec, len(tok.vocab), tok.eot_id)
        shapes = ref.gpt2_shapes(cfg)
        files["tokenizer.json"] = tk.dump_tokenizer_json(tok.tokenizer_json(new_format=bool(spec.get("prefixed"))))
        files["vocab.json"] = tok.vocab_json()
        files["merges.txt"] = tok.merges_txt()
        tok_cases = []
        for text in tk.GPT2_TEXTS:
            ids_, toks = tok.encode(text)
            assert tok.decode(ids_) == text
            tok_cases.append({"text": text, "ids": ids_, "tokens": toks})
        forward, canon = ref.gpt2_forward, ref.canonical_gpt2
    else:
        tok = bert_tok
        cfg = bert_config(spec, len(tok.tokens))
        shapes = ref.bert_shapes(cfg)
        files["tokenizer.json"] = tk.dump_tokenizer_json(tok.tokenizer_json())
        files["vocab.txt"] = tok.vocab_txt()
        tok_cases = []
        for a, b in tk.BERT_TEXTS:
            ids_, tt, toks = tok.encode(a, b)
            c = {"text": a}
            if b is not None:
                c["text_pair"] = b
            c.update({"ids": ids_, "token_type_ids": tt, "tokens": toks})
            tok_cases.append(c)
        forward, canon = ref.bert_forward, ref.canonical_bert
    files["config.json"] = json.dumps(cfg, indent=2) + "\n"

    W = random_float32(shapes, spec["seed"])
    cases = case_specs(spec, cfg, tok)
    out_cases = []
    stats = None
    for dname, sdtype, fname in DTYPES:
        blob = st.serialize(stored_tensors(spec, W, cfg, sdtype), {"format": "pt"})
        files[fname] = blob
        # the reference reads the weights back from the bytes, exactly as stored
        _, tensors = st.deserialize(blob)
        Wf = canon({n: torch.from_numpy(np.asarray(a, dtype=np.float64).reshape(s)) if dt in ("F32", "F16", "BF16")
                    else torch.from_numpy(np.asarray(a)) for n, (dt, s, a) in tensors.items()}, cfg)
        for cname, ids_, tt, trunc, text, dts in cases:
            if dname not in dts:
                continue
            run_ids = ids_[:trunc] if trunc else ids_
            if spec["type"] == "gpt2":
                att, hid = forward(cfg, Wf, run_ids)
            else:
                att, hid = forward(cfg, Wf, run_ids, tt)
            if dname == "f32" and cname == "len32_full_context":
                stats = attention_stats(att)
            c = {"name": f"{cname}_{dname}", "ids": ids_}
            if tt is not None:
                c["token_type_ids"] = tt
            if trunc:
                c["truncate_to"] = trunc
            if text is not None:
                if isinstance(text, list):
                    c["text"], c["text_pair"] = text
                else:
                    c["text"] = text
            c["dtype"] = dname
            c["attentions"] = tensor_json(att)
            c["last_hidden"] = tensor_json(hid)
            out_cases.append(c)

    expected = {
        "format": FORMAT,
        "model": name,
        "model_type": spec["type"],
        "doc": EXPECTED_DOC,
        "weights": {d: f for d, _, f in DTYPES},
        "tokenizer_cases": tok_cases,
        "cases": out_cases,
    }
    files["expected.json"] = dumps(expected, expand=2) + "\n"

    order = ["config.json", "model.safetensors", "model.f16.safetensors", "model.bf16.safetensors",
             "tokenizer.json", "vocab.json", "merges.txt", "vocab.txt", "expected.json"]
    listing = []
    for fname in order:
        if fname not in files:
            continue
        data = files[fname]
        data = data.encode("utf-8") if isinstance(data, str) else data
        write(os.path.join(mdir, fname), data)
        listing.append({"path": f"{name}/{fname}", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    for stale in sorted(set(os.listdir(mdir)) - set(files)):
        p = os.path.join(mdir, stale)
        if os.path.isfile(p):
            os.remove(p)
    return {
        "name": name,
        "model_type": spec["type"],
        "description": DESCRIPTIONS[name],
        "attention_scoring": cfg.get("attention_scoring", "scaled_dot") if spec["type"] == "gpt2" else "scaled_dot",
        "tensor_prefix": ("transformer." if spec["type"] == "gpt2" else "bert.") if spec.get("prefixed") else "",
        "context": P,
        "vocab_size": cfg["vocab_size"],
        "cases": len(out_cases),
        "attention_stats_len32_f32": stats,
        "files": listing,
    }


def generate(out_dir, verbose=True):
    t0 = time.time()
    torch.set_num_threads(1)
    os.makedirs(out_dir, exist_ok=True)
    gpt2_tok = tk.GPT2Tokenizer(tk.train_bpe())
    bert_tok = tk.BertTokenizer()
    models = [make_model(spec, out_dir, gpt2_tok, bert_tok) for spec in MODELS]
    total = sum(f["bytes"] for m in models for f in m["files"])
    manifest = {
        "format": FORMAT,
        "generator": "tests/model/make_fixtures.py",
        "reference": "tests/model/reference.py (float64 PyTorch)",
        "doc": "One directory per model; paths are relative to this file. expected.json: " + EXPECTED_DOC,
        "total_bytes": total,
        "models": models,
    }
    mtext = dumps(manifest, expand=4) + "\n"
    write(os.path.join(out_dir, "manifest.json"), mtext)
    if verbose:
        for m in models:
            size = sum(f["bytes"] for f in m["files"])
            stats = m["attention_stats_len32_f32"]
            print(f"{m['name']:20s} {m['cases']:2d} cases {size / 1e6:6.3f} MB  attention {stats}")
        print(f"wrote {out_dir}: {(total + len(mtext)) / 1e6:.3f} MB in {time.time() - t0:.1f} s")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: <repo>/build/fixtures)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    generate(os.path.abspath(args.out), verbose=not args.quiet)


if __name__ == "__main__":
    main()
