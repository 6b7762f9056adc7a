#!/usr/bin/python3
"""Our own byte-level BPE (GPT-2 style) trainer and encoder.

    /usr/bin/python3 tools/train/bpe.py --corpus build/corpus --vocab-size 2560 --out build/tokenizer

Semantics are GPT-2's (and what the engine's C++ tokenizer implements):
  - pre-tokenization with GPT-2's regex
      's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
    (tests/model/tokenizer_ref.py: gpt2_pretokenize), no prefix space added;
  - every piece's UTF-8 bytes are mapped through GPT-2's bytes_to_unicode table,
    whose 256 characters are ids 0..255 (in that table's order);
  - training: start from single bytes, repeatedly merge the most frequent
    adjacent pair inside pre-tokenized pieces (counts weighted by the piece's
    frequency in the training split); ties go to the smallest pair in string
    order (a, b). Each merge's result gets the next id. When a merge produces a
    string that already is a token (e.g. "a"+"bc" after "ab"+"c") the merge is
    kept (the counts depend on it) but no id is added.
    Training stops when the vocabulary (plus <|endoftext|>) has --vocab-size entries;
  - encoding: <|endoftext|> is matched literally first; each piece is merged
    by lowest merge rank first (GPT-2's bpe());
  - <|endoftext|> is the last id, an added special token.

Writes tokenizer.json (Hugging Face format: model BPE, ByteLevel
pre-tokenizer with add_prefix_space false, ByteLevel post-processor and
decoder, added_tokens <|endoftext|>), plus vocab.json and merges.txt.
"""

import argparse
import heapq
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "model"))
import tokenizer_ref as tr  # noqa: E402

ENDOFTEXT = tr.ENDOFTEXT


def read_docs(path):
    """Documents of a corpus file written by prepare_corpus.py."""
    text = open(path, encoding="utf-8").read()
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n" + ENDOFTEXT + "\n")


def count_words(docs):
    counts = {}
    for doc in docs:
        for piece in tr.gpt2_pretokenize(doc):
            counts[piece] = counts.get(piece, 0) + 1
    return counts


def train(word_counts, vocab_size, log=None):
    """Merges [(a, b)] until 256 + distinct merge results + 1 == vocab_size."""
    words, freqs = [], []
    for piece, f in sorted(word_counts.items()):
        words.append(list(tr.byte_level(piece)))
        freqs.append(f)
    pair_count, where = {}, {}
    for wi, (w, f) in enumerate(zip(words, freqs)):
        for p in zip(w, w[1:]):
            pair_count[p] = pair_count.get(p, 0) + f
            where.setdefault(p, set()).add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    tokens = {c for _, c in tr.bytes_to_unicode()}
    merges = []
    t0 = time.time()
    while len(tokens) + 1 < vocab_size:
        best = None
        while heap:
            negc, p = heapq.heappop(heap)
            if pair_count.get(p, 0) == -negc and negc < 0:
                best = p
                break
        if best is None:
            raise RuntimeError(f"corpus too small: vocabulary stops at {len(tokens) + 1}")
        a, b = best
        merged = a + b
        merges.append(best)
        tokens.add(merged)
        touched = {}
        for wi in where.pop(best, ()):
            w, f = words[wi], freqs[wi]
            for p in zip(w, w[1:]):
                pair_count[p] -= f
                touched[p] = None
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            words[wi] = out
            for p in zip(out, out[1:]):
                pair_count[p] = pair_count.get(p, 0) + f
                where.setdefault(p, set()).add(wi)
                touched[p] = None
        pair_count.pop(best, None)
        for p in touched:
            c = pair_count.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pair_count.pop(p, None)
                where.pop(p, None)
        if log and len(merges) % 500 == 0:
            log(f"  {len(merges)} merges, vocabulary {len(tokens) + 1}, {time.time() - t0:.1f} s")
    return merges


class Tokenizer:
    """Byte-level BPE encoder/decoder and tokenizer.json writer."""

    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.vocab = {c: i for i, (_, c) in enumerate(tr.bytes_to_unicode())}
        for a, b in self.merges:
            if a not in self.vocab or b not in self.vocab:
                raise ValueError(f"merge {a!r} {b!r} uses unknown tokens")
            self.vocab.setdefault(a + b, len(self.vocab))
        self.eot_id = len(self.vocab)
        self.vocab[ENDOFTEXT] = self.eot_id
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self.inv = {i: t for t, i in self.vocab.items()}
        self.cache = {}

    def __len__(self):
        return len(self.vocab)

    def bpe(self, piece):
        hit = self.cache.get(piece)
        if hit is not None:
            return hit
        word = list(tr.byte_level(piece))
        while len(word) > 1:
            best = None
            for i in range(len(word) - 1):
                r = self.ranks.get((word[i], word[i + 1]))
                if r is not None and (best is None or r < best):
                    best = r
            if best is None:
                break
            a, b = self.merges[best]
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        ids = [self.vocab[t] for t in word]
        if len(self.cache) < 500_000:
            self.cache[piece] = ids
        return ids

    def encode(self, text):
        ids = []
        for piece, special in tr._split_added(text, [ENDOFTEXT]):
            if special:
                ids.append(self.eot_id)
            else:
                for p in tr.gpt2_pretokenize(piece):
                    ids.extend(self.bpe(p))
        return ids

    def token_text(self, i):
        t = self.inv[i]
        if t == ENDOFTEXT:
            return t
        return bytes(tr.CHAR_TO_BYTE[c] for c in t).decode("utf-8", errors="replace")

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            t = self.inv[i]
            out += t.encode() if t == ENDOFTEXT else bytes(tr.CHAR_TO_BYTE[c] for c in t)
        return out.decode("utf-8", errors="replace")

    def tokenizer_json(self):
        return tr.GPT2Tokenizer.tokenizer_json(self)  # uses vocab, merges, eot_id only

    def save(self, out_dir):
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
            f.write(tr.dump_tokenizer_json(self.tokenizer_json()))
        with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(self.vocab, ensure_ascii=True, separators=(", ", ": ")))
        with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges))

    @classmethod
    def load(cls, path):
        """From a tokenizer.json written by save() (merges as "a b" or [a, b])."""
        j = json.load(open(path, encoding="utf-8"))
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in j["model"]["merges"]]
        tok = cls(merges)
        if tok.vocab != j["model"]["vocab"]:
            raise ValueError(f"{path}: vocabulary does not follow from the merges")
        return tok


def self_test():
    """The trainer reproduces tokenizer_ref.train_bpe on its corpus (same tie-breaking) and
    encoding matches tokenizer_ref.GPT2Tokenizer."""
    ref = tr.train_bpe()
    ours = train(count_words(tr.CORPUS), 256 + len(ref) + 1)
    assert ours == ref, "merges differ from tokenizer_ref.train_bpe"
    a, b = Tokenizer(ours), tr.GPT2Tokenizer(ref)
    for t in tr.GPT2_TEXTS + tr.CORPUS:
        assert a.encode(t) == b.encode(t)[0], t
        assert a.decode(a.encode(t)) == t
    print("bpe self-test: merges and encodings match tests/model/tokenizer_ref.py")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=os.path.join(ROOT, "build", "corpus"))
    ap.add_argument("--vocab-size", type=int, default=2560)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "tokenizer"))
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        self_test()
        return
    t0 = time.time()
    docs = read_docs(os.path.join(args.corpus, "train.txt"))
    counts = count_words(docs)
    print(f"{len(docs)} documents, {len(counts)} distinct pieces ({time.time() - t0:.1f} s)")
    merges = train(counts, args.vocab_size, log=print)
    tok = Tokenizer(merges)
    assert len(tok) == args.vocab_size
    tok.save(args.out)
    stats = {}
    for split in ("train", "valid"):
        d = read_docs(os.path.join(args.corpus, f"{split}.txt"))
        n_bytes = sum(len(x.encode("utf-8")) for x in d)
        n_tok = sum(len(tok.encode(x)) for x in d)
        stats[split] = {"docs": len(d), "bytes": n_bytes, "tokens": n_tok, "bytes_per_token": n_bytes / n_tok}
    stats.update({"vocab_size": len(tok), "merges": len(merges), "seconds": round(time.time() - t0, 1)})
    with open(os.path.join(args.out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=1)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
