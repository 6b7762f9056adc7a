"""The tiny GPT-2 of attnscope, in PyTorch, with parameter names as Hugging Face saves them.

    x = wte[ids] + wpe[0..T-1]
    per block (pre-LayerNorm): x += attn(ln_1(x)); x += mlp(ln_2(x))
    logits = ln_f(x) @ wte^T                    (LM head tied to wte: not exported)

Conv1D layout as in HF GPT-2: y = x @ weight + bias with weight [in, out].
MLP: c_fc [D, 4D], gelu_new (tanh approximation), c_proj [4D, D].

Attention scoring per head h (q, k, v: the head's dh-wide slices of c_attn):
  scaled_dot: e_ij = q_i . k_j / sqrt(dh)
  additive:   e_ij = v_h . tanh(W_q[h] q_i + W_k[h] k_j + b_h)        (no 1/sqrt(dh))
              parameters attn.score.w_q [H, A, dh], attn.score.w_k [H, A, dh],
              attn.score.bias [H, A], attn.score.v [H, A]
then the causal softmax, exactly as tests/model/reference.py (the engine's ground truth).

The additive scores are computed in blocks of query rows, each against the keys
it may see (rows i0..i1-1 against keys 0..i1-1), which skips most of the
masked upper triangle and bounds the [B, H, rows, keys, A] temporaries.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def frequencies(D):
    """D/2 angular frequencies, geometric from pi (period 2 positions) down to pi/64 (period 128)."""
    return math.pi * torch.pow(torch.tensor(1.0 / 64.0), torch.arange(D // 2, dtype=torch.float32) / (D // 2 - 1))


def sinusoidal(P, D):
    """Sinusoidal position encodings [P, D] (Vaswani et al.), pair f = dims (2f, 2f+1) = (sin, cos) of
    w_f * position, with frequencies up to pi instead of 1 so that neighbouring positions differ. The
    initial value of the learned position embeddings: a shift by k positions is a fixed rotation."""
    pos = torch.arange(P, dtype=torch.float32)[:, None]
    w = frequencies(D)
    pe = torch.zeros(P, D)
    pe[:, 0::2] = torch.sin(pos * w)
    pe[:, 1::2] = torch.cos(pos * w)
    return pe


class Conv1D(nn.Module):
    def __init__(self, n_in, n_out, std):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * std)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).reshape(*x.shape[:-1], -1)


class AdditiveScore(nn.Module):
    def __init__(self, H, A, dh):
        super().__init__()
        self.w_q = nn.Parameter(torch.randn(H, A, dh) / math.sqrt(dh))
        self.w_k = nn.Parameter(torch.randn(H, A, dh) / math.sqrt(dh))
        self.bias = nn.Parameter(torch.zeros(H, A))
        self.v = nn.Parameter(torch.randn(H, A) / math.sqrt(A))

    def forward(self, q, k, block=32):
        """q, k [B, H, T, dh] -> scores [B, H, T, T]; entries j > i are -inf."""
        B, H, T, _ = q.shape
        qa = torch.einsum("bhtd,had->bhta", q, self.w_q) + self.bias[None, :, None, :]
        ka = torch.einsum("bhsd,had->bhsa", k, self.w_k)
        rows = []
        for i0 in range(0, T, block):
            i1 = min(T, i0 + block)
            z = torch.tanh(qa[:, :, i0:i1, None, :] + ka[:, :, None, :i1, :])  # [B, H, r, i1, A]
            e = torch.einsum("bhtsa,ha->bhts", z, self.v)
            rows.append(F.pad(e, (0, T - i1), value=-math.inf))
        return torch.cat(rows, dim=2)


class Attention(nn.Module):
    def __init__(self, cfg, std, proj_std):
        super().__init__()
        D, self.H = cfg["n_embd"], cfg["n_head"]
        self.dh = D // self.H
        self.c_attn = Conv1D(D, 3 * D, std)
        self.c_proj = Conv1D(D, D, proj_std)
        self.scoring = cfg.get("attention_scoring", "scaled_dot")
        if self.scoring == "additive":
            self.score = AdditiveScore(self.H, cfg["additive_dim"], self.dh)
        elif self.scoring != "scaled_dot":
            raise ValueError(self.scoring)

    def forward(self, x, return_probs=False):
        B, T, D = x.shape
        q, k, v = self.c_attn(x).split(D, dim=2)
        q, k, v = (t.reshape(B, T, self.H, self.dh).transpose(1, 2) for t in (q, k, v))
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        if self.scoring == "additive":
            e = self.score(q, k)
        else:
            e = (q @ k.transpose(-1, -2)) / math.sqrt(self.dh)
        p = torch.softmax(e.masked_fill(future, -math.inf), dim=-1)
        y = (p @ v).transpose(1, 2).reshape(B, T, D)
        return self.c_proj(y), (p if return_probs else None)


class MLP(nn.Module):
    def __init__(self, D, I, std, proj_std):
        super().__init__()
        self.c_fc = Conv1D(D, I, std)
        self.c_proj = Conv1D(I, D, proj_std)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, cfg, std, proj_std):
        super().__init__()
        D, eps = cfg["n_embd"], cfg["layer_norm_epsilon"]
        self.ln_1 = nn.LayerNorm(D, eps=eps)
        self.attn = Attention(cfg, std, proj_std)
        self.ln_2 = nn.LayerNorm(D, eps=eps)
        self.mlp = MLP(D, cfg.get("n_inner") or 4 * D, std, proj_std)

    def forward(self, x, return_probs=False):
        a, p = self.attn(self.ln_1(x), return_probs)
        x = x + a
        return x + self.mlp(self.ln_2(x)), p


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        if cfg.get("activation_function", "gelu_new") != "gelu_new":
            raise ValueError("only gelu_new")
        std = cfg.get("initializer_range", 0.02)
        proj_std = std / math.sqrt(2 * cfg["n_layer"])  # GPT-2's scaled init of residual projections
        self.cfg = cfg
        self.wte = nn.Embedding(cfg["vocab_size"], cfg["n_embd"])
        self.wpe = nn.Embedding(cfg["n_positions"], cfg["n_embd"])
        nn.init.normal_(self.wte.weight, std=std)
        if cfg.get("position_init", "sinusoidal") == "sinusoidal":
            with torch.no_grad():
                rms = cfg.get("position_init_rms", std)
                self.wpe.weight.copy_(sinusoidal(cfg["n_positions"], cfg["n_embd"]) * (rms / math.sqrt(0.5)))
        else:
            nn.init.normal_(self.wpe.weight, std=0.01)
        self.h = nn.ModuleList(Block(cfg, std, proj_std) for _ in range(cfg["n_layer"]))
        self.ln_f = nn.LayerNorm(cfg["n_embd"], eps=cfg["layer_norm_epsilon"])
        c = cfg.get("position_prior", 0.0)
        if c:
            self._position_prior(c)

    @torch.no_grad()
    def _position_prior(self, c):
        """Relative-position initialisation of the first layer (everything stays trainable).

        Layer 0 starts as a soft causal convolution: head h prefers the token h positions back
        (h = 0: itself, 1: the previous token, ...). Head h reads the sinusoidal position pairs
        f of its input whose w_f * h is closest to pi (dh/2 pairs; head 0: the highest frequencies); its
        key gets c x those pairs as they are, its query c x the same pairs rotated back by w_f * h. With
        position p_i in the input, q_i . k_j then contains c^2 a^2 sum_f cos(w_f (i - h - j)) (a: the
        positions' amplitude after ln_1), largest at j = i - h. Added to the random initial weights."""
        D, H = self.cfg["n_embd"], self.cfg["n_head"]
        dh = D // H
        w = frequencies(D)
        W = self.h[0].attn.c_attn.weight  # [D in, 3D out]: q | k | v, head h = columns h*dh .. (h+1)*dh-1
        for h in range(H):
            # the dh/2 frequency pairs whose rotation w_f * h is closest to pi: the kernel is sharp at
            # j = i - h, and for token components in the same dims q_i . k_i ~ sum_f cos(w_f h) |t_i|^2 < 0,
            # i.e. no pull towards the token itself (head 0: the highest frequencies)
            pairs = sorted(range(D // 2), key=lambda f: math.cos(float(w[f]) * h) if h else -float(w[f]))[:dh // 2]
            for k, f in enumerate(pairs):
                s_in, c_in = 2 * f, 2 * f + 1  # sin, cos input dims of pair f
                qa, qb = h * dh + 2 * k, h * dh + 2 * k + 1  # the head's q (and k) columns
                th = float(w[f]) * h
                # key: (sin w j, cos w j) as is
                W[s_in, D + qa] += c
                W[c_in, D + qb] += c
                # query: (sin w (i - h), cos w (i - h)) = rotation of (sin w i, cos w i) by -w h
                W[s_in, qa] += c * math.cos(th)
                W[c_in, qa] -= c * math.sin(th)
                W[c_in, qb] += c * math.cos(th)
                W[s_in, qb] += c * math.sin(th)

    def forward(self, ids, return_probs=False):
        B, T = ids.shape
        x = self.wte(ids) + self.wpe(torch.arange(T, device=ids.device))[None]
        probs = []
        for blk in self.h:
            x, p = blk(x, return_probs)
            probs.append(p)
        logits = self.ln_f(x) @ self.wte.weight.T
        return (logits, torch.stack(probs, dim=1)) if return_probs else logits

    def export_tensors(self):
        """{HF name: float32 tensor} of everything the engine loads (no lm_head: tied)."""
        return {n: t.detach().float().contiguous() for n, t in self.state_dict().items()}
