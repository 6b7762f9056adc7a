#!/usr/bin/python3
"""Trains one tiny GPT-2 (scaled-dot or additive attention scoring) on the corpus.

    /usr/bin/python3 tools/train/train.py --scoring scaled_dot --out build/train/attnscope-tiny-scaled-dot
    /usr/bin/python3 tools/train/train.py --scoring additive   --out build/train/attnscope-tiny-additive
    ... --measure 5     time 5 steps and exit

Everything except --scoring (and --out) is shared by both models: architecture,
data, tokenizer, batches (drawn from their own seeded generator, so both models
see the same sequences in the same order), initialisation seed, optimiser and
schedule. One thread (torch.set_num_threads(1)) unless --threads.

Data: build/corpus/docs.jsonl (prepare_corpus.py) tokenized with
build/tokenizer/tokenizer.json (bpe.py). Three streams (documents followed by
<|endoftext|>): "wordnet" (English glosses), "fortunes" (English fortunes) and
"zh" (Chinese fortunes); each training sequence picks a stream with
--mix weights, then a uniformly random window of n_positions + 1 tokens.

Validation (held-out split): each stream is cut into windows of 129 tokens that
overlap by one (every token after a stream's first is predicted exactly once,
from the tokens before it in its window). Reported: loss (nats per token) and
bits per byte = total nats / ln 2 / total UTF-8 bytes of the predicted tokens
(<|endoftext|> counted as one byte, standing for the document break), per
stream and overall (all streams pooled).

Outputs in --out: log.jsonl (one line per log/eval step), metrics.json (final),
checkpoint.pt (config + state_dict + settings).
"""

import argparse
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bpe  # noqa: E402
from model import GPT  # noqa: E402

GROUPS = {"wordnet": ("wordnet-base",), "fortunes": ("fortunes", "fortunes-min"), "zh": ("fortunes-zh",)}


def model_config(args, vocab_size):
    cfg = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": vocab_size,
        "n_positions": args.context,
        "n_ctx": args.context,
        "n_embd": args.d_model,
        "n_layer": args.layers,
        "n_head": args.heads,
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5,
        "initializer_range": args.init_std,
        "tie_word_embeddings": True,
        "attention_scoring": args.scoring,
    }
    if args.scoring == "additive":
        cfg["additive_dim"] = args.additive_dim
    cfg["position_init"] = args.position_init  # training only (export.py does not write these two)
    cfg["position_init_rms"] = args.position_init_rms or args.init_std
    cfg["position_prior"] = args.position_prior
    return cfg


def load_streams(corpus, tok_path, cache_dir):
    """{split: {group: int32 token stream}} and the tokenizer; cached by content hash."""
    h = hashlib.sha256()
    for p in (os.path.join(corpus, "docs.jsonl"), tok_path):
        h.update(open(p, "rb").read())
    key = h.hexdigest()[:16]
    tok = bpe.Tokenizer.load(tok_path)
    cache = os.path.join(cache_dir, f"tokens-{key}.npz")
    if os.path.exists(cache):
        z = np.load(cache)
        streams = {}
        for name in z.files:
            split, group = name.split("/")
            streams.setdefault(split, {})[group] = z[name]
        return streams, tok
    group_of = {pkg: g for g, pkgs in GROUPS.items() for pkg in pkgs}
    ids = {s: {g: [] for g in GROUPS} for s in ("train", "valid")}
    with open(os.path.join(corpus, "docs.jsonl"), encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            out = ids[d["split"]][group_of[d["package"]]]
            out.extend(tok.encode(d["text"]))
            out.append(tok.eot_id)
    streams = {s: {g: np.asarray(v, dtype=np.int32) for g, v in gs.items()} for s, gs in ids.items()}
    os.makedirs(cache_dir, exist_ok=True)
    np.savez(cache, **{f"{s}/{g}": a for s, gs in streams.items() for g, a in gs.items()})
    return streams, tok


def token_bytes(tok):
    n = np.zeros(len(tok), dtype=np.int64)
    for i in range(len(tok)):
        n[i] = 1 if i == tok.eot_id else len(bytes(bpe.tr.CHAR_TO_BYTE[c] for c in tok.inv[i]))
    return n


def eval_windows(stream, T):
    """Windows of T + 1 tokens overlapping by one: every token but the first is a target once."""
    out, s = [], 0
    while s + 1 < len(stream):
        out.append(stream[s:s + T + 1])
        s += T
    return out


@torch.no_grad()
def evaluate(model, streams, nbytes, T, batch, max_windows=None):
    model.eval()
    res, tot_nats, tot_tokens, tot_bytes = {}, 0.0, 0, 0
    for g, stream in streams.items():
        wins = eval_windows(stream, T)
        if max_windows:
            wins = wins[:max_windows]
        nats, ntok, nb = 0.0, 0, 0
        full = [w for w in wins if len(w) == T + 1]
        rest = [w for w in wins if len(w) != T + 1]
        for i in range(0, len(full), batch):
            x = torch.from_numpy(np.stack(full[i:i + batch]).astype(np.int64))
            logits = model(x[:, :-1])
            nats += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), reduction="sum"))
            ntok += x[:, 1:].numel()
            nb += int(nbytes[x[:, 1:].numpy()].sum())
        for w in rest:
            x = torch.from_numpy(w.astype(np.int64))[None]
            logits = model(x[:, :-1])
            nats += float(F.cross_entropy(logits[0], x[0, 1:], reduction="sum"))
            ntok += x.shape[1] - 1
            nb += int(nbytes[w[1:]].sum())
        res[g] = {"loss": nats / ntok, "bpb": nats / math.log(2) / nb, "tokens": ntok, "bytes": nb}
        tot_nats, tot_tokens, tot_bytes = tot_nats + nats, tot_tokens + ntok, tot_bytes + nb
    res["all"] = {"loss": tot_nats / tot_tokens, "bpb": tot_nats / math.log(2) / tot_bytes, "tokens": tot_tokens,
                  "bytes": tot_bytes}
    model.train()
    return res


@torch.no_grad()
def probe_heads(model, sentences):
    """Mean weight on i-1 and on 0 (positions i >= 1) per head over the held-out sentences: [L, H] each."""
    model.eval()
    L, H = model.cfg["n_layer"], model.cfg["n_head"]
    prev, first, n = torch.zeros(L, H), torch.zeros(L, H), 0
    for ids in sentences:
        if len(ids) < 2:
            continue
        _, p = model(torch.tensor([ids[:model.cfg["n_positions"]]]), return_probs=True)
        p = p[0].double()  # [L, H, T, T]
        T = p.shape[-1]
        i = torch.arange(1, T)
        prev += p[:, :, i, i - 1].sum(-1).float()
        first += p[:, :, 1:, 0].sum(-1).float()
        n += T - 1
    ind, m = torch.zeros(L, H), 0
    for ids in sentences:  # each sentence twice: weight of the second copy's tokens on the token after their first occurrence
        ids = ids[:model.cfg["n_positions"] // 2]
        n1 = len(ids)
        if n1 < 3:
            continue
        _, p = model(torch.tensor([ids + ids]), return_probs=True)
        i = torch.arange(n1 + 1, 2 * n1)
        ind += p[0][:, :, i, i - n1 + 1].sum(-1).float()
        m += len(i)
    model.train()
    return prev / n, first / n, ind / m


def lr_at(step, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    t = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * (args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scoring", choices=["scaled_dot", "additive"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "build", "corpus"))
    ap.add_argument("--tokenizer", default=os.path.join(ROOT, "build", "tokenizer", "tokenizer.json"))
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--additive-dim", type=int, default=16)
    ap.add_argument("--steps", type=int, default=2400)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--micro-batch", type=int, default=8,
                    help="split each batch into micro-batches of this size (gradient accumulation; same maths)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--min-lr-ratio", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--wpe-lr-mult", type=float, default=0.1,
                    help="learning-rate multiplier of the position embeddings (no weight decay on them)")
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--mix", default="wordnet=0.5,fortunes=0.3,zh=0.2")
    ap.add_argument("--repeat-frac", type=float, default=0.25,
                    help="fraction of training sequences that are a 64-token window followed by itself")
    ap.add_argument("--seed", type=int, default=1234, help="initialisation")
    ap.add_argument("--data-seed", type=int, default=5678, help="batch sampling")
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--eval-windows", type=int, default=48, help="windows per stream in the periodic evaluations")
    ap.add_argument("--position-init", choices=["sinusoidal", "normal"], default="sinusoidal",
                    help="initial value of the learned position embeddings")
    ap.add_argument("--position-init-rms", type=float, default=0.04,
                    help="root mean square of the sinusoidal init (0: --init-std)")
    ap.add_argument("--init-std", type=float, default=0.02, help="std of the weight initialisation")
    ap.add_argument("--position-prior", type=float, default=1.0,
                    help="layer 0: initial multi-scale recency prior of strength c (model.py _position_prior)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--stop-at", type=int, default=0, help="experiments: stop after this many steps "
                    "(the schedule still follows --steps; no checkpoint)")
    ap.add_argument("--measure", type=int, default=0, help="time this many steps and exit")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t_start = time.time()
    streams, tok = load_streams(args.corpus, args.tokenizer, os.path.join(ROOT, "build", "train"))
    nbytes = token_bytes(tok)
    cfg = model_config(args, len(tok))
    model = GPT(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    mix = {k: float(v) for k, v in (kv.split("=") for kv in args.mix.split(","))}
    groups = sorted(mix)
    weights = np.array([mix[g] for g in groups]) / sum(mix.values())
    train_streams = [streams["train"][g] for g in groups]

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and n != "wpe.weight"]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay, "lr_mult": 1.0},
                             {"params": no_decay, "weight_decay": 0.0, "lr_mult": 1.0},
                             {"params": [model.wpe.weight], "weight_decay": 0.0, "lr_mult": args.wpe_lr_mult}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    rng = np.random.RandomState(args.data_seed)
    T, B = args.context, args.batch
    mb = args.micro_batch or B
    assert B % mb == 0

    def next_batch():
        gi = rng.choice(len(groups), size=B, p=weights)
        rep = rng.random_sample(B) < args.repeat_frac
        rows = []
        for g, r in zip(gi, rep):
            s = train_streams[g]
            o = rng.randint(0, len(s) - T - 1)
            if r:  # a window of T/2 tokens followed by itself: copying from the context pays off
                w = s[o:o + T // 2]
                rows.append(np.concatenate([w, w, w[:1]]))
            else:
                rows.append(s[o:o + T + 1])
        return torch.from_numpy(np.stack(rows).astype(np.int64))

    os.makedirs(args.out, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k not in ("measure",)}
    info = {"params": n_params, "train_tokens": {g: int(len(streams["train"][g])) for g in groups},
            "valid_tokens": {g: int(len(streams["valid"][g])) for g in groups},
            "torch": torch.__version__, "threads": torch.get_num_threads(),
            "blas": os.environ.get("ATTNSCOPE_BLAS", "system libblas.so.3"), "loadavg_start": os.getloadavg()}
    print(json.dumps({"config": cfg, "settings": settings, **info}), flush=True)
    logf = open(os.path.join(args.out, "log.jsonl"), "w") if not args.measure else None
    valid_small = streams["valid"]
    held = json.load(open(os.path.join(ROOT, "models", "heldout-sentences.json"), encoding="utf-8"))
    held_ids = [tok.encode(x["text"]) for lang in ("en", "zh") for x in held.get(lang, [])]
    train_time = 0.0
    steps = args.measure or args.steps
    for step in range(steps):
        t0 = time.time()
        lr = lr_at(step, args)
        for g in opt.param_groups:
            g["lr"] = lr * g["lr_mult"]
        x = next_batch()
        opt.zero_grad(set_to_none=True)
        loss_sum = 0.0
        for i in range(0, B, mb):
            xb = x[i:i + mb]
            logits = model(xb[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), xb[:, 1:].reshape(-1)) * (xb.shape[0] / B)
            loss.backward()
            loss_sum += float(loss)
        gn = float(torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip))
        opt.step()
        dt = time.time() - t0
        train_time += dt
        if args.measure:
            print(f"step {step}: {dt:.3f} s, loss {loss_sum:.3f}", flush=True)
            continue
        rec = None
        if step % 50 == 0 or step == steps - 1:
            rec = {"step": step, "loss": round(loss_sum, 4), "lr": lr, "grad_norm": round(gn, 3),
                   "step_s": round(dt, 3), "train_s": round(train_time, 1)}
        if (step + 1) % args.eval_every == 0 and step != steps - 1:
            ev = evaluate(model, valid_small, nbytes, T, 16, args.eval_windows)
            prev, first, ind = probe_heads(model, held_ids)
            rec = dict(rec or {"step": step, "loss": round(loss_sum, 4), "train_s": round(train_time, 1)},
                       valid={g: {"loss": round(v["loss"], 4), "bpb": round(v["bpb"], 4)} for g, v in ev.items()},
                       heads={"prev_max": round(float(prev.max()), 3), "first_max": round(float(first.max()), 3),
                              "induction_max": round(float(ind.max()), 3),
                              "prev": [[round(float(x), 2) for x in row] for row in prev]})
        if rec:
            print(json.dumps(rec), flush=True)
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
        if args.stop_at and step + 1 >= args.stop_at:
            return
    if args.measure:
        print(f"mean step time (after the first): {train_time / steps:.3f} s", flush=True)
        return
    t_eval = time.time()
    final = evaluate(model, streams["valid"], nbytes, T, 16)
    metrics = {"scoring": args.scoring, "config": cfg, "settings": settings, **info,
               "train_seconds": round(train_time, 1), "eval_seconds": round(time.time() - t_eval, 1),
               "wall_seconds": round(time.time() - t_start, 1), "loadavg_end": os.getloadavg(), "valid": final}
    print(json.dumps({"final": final, "train_seconds": metrics["train_seconds"]}), flush=True)
    logf.write(json.dumps({"final": final}) + "\n")
    logf.close()
    torch.save({"config": cfg, "state_dict": model.state_dict(), "settings": settings},
               os.path.join(args.out, "checkpoint.pt"))
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)


if __name__ == "__main__":
    main()
