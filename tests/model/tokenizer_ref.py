#!/usr/bin/python3
"""Tiny tokenizers for the model fixtures, in Hugging Face file formats, plus
reference encoders (no `tokenizers` package needed).

GPT-2: byte-level BPE
    - bytes_to_unicode(): GPT-2's byte -> printable character table; the 256
      byte tokens get ids 0..255 in that table's order, exactly as in GPT-2's
      encoder.json ("!" = 0 ... "~" = 93, "¡" ..., then "Ā" (byte 0) = 188,
      "Ġ" (space, byte 32) = 220, ...).
    - merges learned by train_bpe() on CORPUS (most frequent adjacent pair,
      ties broken by the smallest pair in string order), ids 256.. in merge
      order; "<|endoftext|>" is the last id, in the vocab and as an added
      special token.
    - pre-tokenization is GPT-2's regex
        's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
      implemented by hand in gpt2_pretokenize() (Python's `re` has no \\p{L}),
      with \\p{L} / \\p{N} = Unicode general category L* / N*, \\s = str.isspace().
    - encoding: split out added tokens, pre-tokenize, map UTF-8 bytes through
      bytes_to_unicode, then per piece repeatedly merge the adjacent pair with
      the lowest merge rank (GPT-2's bpe()).
    Files: tokenizer.json (HF, "BPE" model, ByteLevel pre-tokenizer /
    post-processor / decoder), vocab.json (ASCII-escaped JSON like GPT-2's
    encoder.json), merges.txt (first line "#version: 0.2").

BERT: WordPiece (bert-base-uncased style)
    - BertNormalizer: clean text (drop NUL, U+FFFD and control chars, whitespace
      -> space), pad CJK ideographs with spaces, lowercase, strip accents (NFD,
      drop Mn) since strip_accents is null and lowercase is true.
    - BertPreTokenizer: split on whitespace, and every punctuation character
      (ASCII 33-47, 58-64, 91-96, 123-126 or Unicode category P*) is its own token.
    - WordPiece: greedy longest match first, continuation pieces prefixed "##",
      a word with no full segmentation (or > 100 chars) becomes [UNK].
    - TemplateProcessing: single "[CLS] $A [SEP]" (type ids 0), pair
      "[CLS] $A [SEP] $B [SEP]" with type id 1 for $B and its [SEP].
    Special token ids are NOT 0..4: [PAD]=0, [unused0]=1, [unused1]=2, [UNK]=3,
    [CLS]=4, [SEP]=5, [MASK]=6 (a loader must read them from the files).
    Files: tokenizer.json, vocab.txt (one token per line, line number = id).
"""

import json
import unicodedata

# ----------------------------------------------------------------------------
# GPT-2 byte-level BPE

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Attention is all you need, they said, and the model attends to every token.",
    "Each head of the attention layer learns where to look in the sentence.",
    "The weights of the attention show which words the model thinks are related.",
    "In the beginning there was the word, and the word was attention.",
    "She sells sea shells by the sea shore, and the shells she sells are sea shells.",
    "How much wood would a woodchuck chuck if a woodchuck could chuck wood?",
    "The transformer reads the whole sentence at once and then writes the next word.",
    "It's 2019: there are 12 layers, 768 dimensions and 50257 tokens in GPT-2.",
    "We'll see the attention happen, live, in any browser that runs WebAssembly.",
    "They're learning that the heads don't all look at the same thing.",
    "Tokens become vectors, vectors become queries, keys and values.",
    "The softmax turns the scores into weights that sum to one for every query.",
    "A layer normalizes, attends, projects and then adds the result back.",
    "Then the model thinks about the words again, and again, layer after layer.",
    "The cat sat on the mat, and the dog sat on the log, and they were both happy.",
    "There is nothing either good or bad, but thinking makes it so.",
    "All that glitters is not gold; all those who wander are not lost.",
    "The rain in Spain stays mainly in the plain, or so they say in the play.",
    "When the keys match the query, the weight is large and the value flows through.",
    "Every layer has its own heads, and every head has its own queries and keys.",
    "The engine computes the attention of each layer and shows it as a heat map.",
    "Reading the weights is easier than reading the minds of the people who made them.",
]

ENDOFTEXT = "<|endoftext|>"
N_MERGES = 150


def bytes_to_unicode():
    """GPT-2's table: list of (byte, char) in vocab order (ids 0..255)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [(b, chr(c)) for b, c in zip(bs, cs)]


BYTE_TO_CHAR = dict(bytes_to_unicode())
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def _cls(ch):
    if ch.isspace():
        return "s"
    cat = unicodedata.category(ch)
    if cat.startswith("L"):
        return "L"
    if cat.startswith("N"):
        return "N"
    return "O"


CONTRACTIONS = ("s", "t", "re", "ve", "m", "ll", "d")


def gpt2_pretokenize(text):
    """GPT-2's pre-tokenizer regex, alternative by alternative."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "'":
            hit = next((s for s in CONTRACTIONS if text.startswith(s, i + 1)), None)
            if hit is not None:
                out.append(text[i:i + 1 + len(hit)])
                i += 1 + len(hit)
                continue
        start = i + 1 if (c == " " and i + 1 < n) else i
        k = _cls(text[start])
        if k != "s":  # ' ?\p{L}+' | ' ?\p{N}+' | ' ?[^\s\p{L}\p{N}]+' (greedy run of one class)
            j = start
            while j < n and _cls(text[j]) == k:
                j += 1
            out.append(text[i:j])
            i = j
            continue
        # whitespace: \s+(?!\S) then \s+
        j = i
        while j < n and text[j].isspace():
            j += 1
        if j == n or j - 1 == i:
            end = j  # the whole run at the end of the text, or a lone whitespace char
        else:
            end = j - 1  # (?!\S): leave the last whitespace char for the next match
        out.append(text[i:end])
        i = end
    return out


def _split_added(text, specials):
    """[(piece, is_special)]: added tokens matched literally, leftmost-longest."""
    out = []
    i = 0
    buf_start = 0
    while i < len(text):
        hit = None
        for s in sorted(specials, key=len, reverse=True):
            if text.startswith(s, i):
                hit = s
                break
        if hit:
            if buf_start < i:
                out.append((text[buf_start:i], False))
            out.append((hit, True))
            i += len(hit)
            buf_start = i
        else:
            i += 1
    if buf_start < len(text):
        out.append((text[buf_start:], False))
    return out


def byte_level(piece):
    return "".join(BYTE_TO_CHAR[b] for b in piece.encode("utf-8"))


def train_bpe(corpus=CORPUS, n_merges=N_MERGES):
    """Merges [(a, b)] by frequency over the byte-level pre-tokenized corpus."""
    words = {}
    for line in corpus:
        for piece in gpt2_pretokenize(line):
            w = tuple(byte_level(piece))
            words[w] = words.get(w, 0) + 1
    merges = []
    for _ in range(n_merges):
        pairs = {}
        for w, f in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + f
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        new = {}
        for w, f in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + f
        words = new
    if len(merges) != n_merges:
        raise RuntimeError(f"corpus too small: {len(merges)} merges")
    return merges


class GPT2Tokenizer:
    def __init__(self, merges):
        self.merges = list(merges)
        self.vocab = {c: i for i, (_, c) in enumerate(bytes_to_unicode())}
        for a, b in self.merges:
            if a not in self.vocab or b not in self.vocab:
                raise ValueError(f"merge {a} {b} uses unknown tokens")
            if a + b not in self.vocab:
                self.vocab[a + b] = len(self.vocab)
        if len(self.vocab) != 256 + len(self.merges):
            raise ValueError("duplicate merge results")
        self.eot_id = len(self.vocab)
        self.vocab[ENDOFTEXT] = self.eot_id
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self.inv = {i: t for t, i in self.vocab.items()}

    def bpe(self, chars):
        word = list(chars)
        while len(word) > 1:
            pairs = [(self.ranks.get((a, b), None), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
            pairs = [p for p in pairs if p[0] is not None]
            if not pairs:
                break
            best = self.merges[min(pairs)[0]]
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        return word

    def tokenize(self, text):
        toks = []
        for piece, special in _split_added(text, [ENDOFTEXT]):
            if special:
                toks.append(piece)
                continue
            for p in gpt2_pretokenize(piece):
                toks.extend(self.bpe(byte_level(p)))
        return toks

    def encode(self, text):
        toks = self.tokenize(text)
        return [self.vocab[t] for t in toks], toks

    def decode(self, ids):
        s = "".join(self.inv[i] for i in ids)
        out = bytearray()
        i = 0
        while i < len(s):
            if s.startswith(ENDOFTEXT, i):
                out += ENDOFTEXT.encode()
                i += len(ENDOFTEXT)
            else:
                out.append(CHAR_TO_BYTE[s[i]])
                i += 1
        return out.decode("utf-8", errors="replace")

    # -- files

    def tokenizer_json(self, new_format=False):
        """HF tokenizer.json like gpt2's. new_format: the tokenizers >= 0.20
        layout (merges as [a, b] pairs, ignore_merges, byte_fallback, use_regex)."""
        model = {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
        }
        if new_format:
            model["byte_fallback"] = False
            model["ignore_merges"] = False
        model["vocab"] = self.vocab
        model["merges"] = [[a, b] for a, b in self.merges] if new_format else [f"{a} {b}" for a, b in self.merges]
        pre = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True}
        post = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False}
        dec = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True}
        if new_format:
            pre["use_regex"] = True
            post["use_regex"] = True
            dec["use_regex"] = True
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [{
                "id": self.eot_id, "content": ENDOFTEXT, "single_word": False, "lstrip": False,
                "rstrip": False, "normalized": True, "special": True,
            }],
            "normalizer": None,
            "pre_tokenizer": pre,
            "post_processor": post,
            "decoder": dec,
            "model": model,
        }

    def vocab_json(self):
        return json.dumps(self.vocab, ensure_ascii=True, separators=(", ", ": "))  # like GPT-2's encoder.json

    def merges_txt(self):
        return "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges)


# ----------------------------------------------------------------------------
# BERT WordPiece

BERT_SPECIALS = ["[PAD]", "[unused0]", "[unused1]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
BERT_WORDS = """the of and to a in is was he for it with as his on be at by i this had not are but from or
have an they which one you were all we her she there would their will when who him been has more if no out
do so can what up said about other into than its time only could new them man some these then two first may
any like now my such make over our even most me state after also made many before must years back through
much where your way down should because long each just attention head layer model token word sentence query
key value weight score softmax transform learn read look see browser quick brown fox jump lazy dog""".split()
BERT_SUFFIXES = ["##ing", "##ed", "##er", "##ly", "##tion", "##es", "##ers", "##ation", "##ment"]
UNK = "[UNK]"
BERT_ADDED = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def bert_vocab():
    toks = list(BERT_SPECIALS)
    toks += [chr(c) for c in range(33, 127) if not chr(c).isalnum() and not chr(c).isupper()]
    toks += [str(d) for d in range(10)]
    toks += [chr(c) for c in range(ord("a"), ord("z") + 1)]
    toks += ["##" + chr(c) for c in range(ord("a"), ord("z") + 1)]
    toks += ["##" + str(d) for d in range(10)]
    toks += BERT_SUFFIXES
    for w in BERT_WORDS:
        if w not in toks:
            toks.append(w)
    assert len(set(toks)) == len(toks)
    return toks


def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def _is_ws(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def bert_normalize(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_ws(ch):
            out.append(" ")
        elif _is_cjk(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    # the order of HF's BertNormalizer: clean, CJK, strip accents (NFD, drop Mn), lowercase
    text = unicodedata.normalize("NFD", "".join(out))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()


def bert_pretokenize(text):
    words = []
    for w in text.split(" "):
        cur = ""
        for ch in w:
            if _is_ws(ch):
                if cur:
                    words.append(cur)
                cur = ""
            elif _is_punct(ch):
                if cur:
                    words.append(cur)
                words.append(ch)
                cur = ""
            else:
                cur += ch
        if cur:
            words.append(cur)
    return words


class BertTokenizer:
    def __init__(self, tokens=None):
        self.tokens = tokens or bert_vocab()
        self.vocab = {t: i for i, t in enumerate(self.tokens)}

    def wordpiece(self, word, max_chars=100):
        if len(word) > max_chars:
            return [UNK]
        pieces, start = [], 0
        while start < len(word):
            end, cur = len(word), None
            while start < end:
                sub = word[start:end]
                if start > 0:
                    sub = "##" + sub
                if sub in self.vocab:
                    cur = sub
                    break
                end -= 1
            if cur is None:
                return [UNK]
            pieces.append(cur)
            start = end
        return pieces

    def tokenize(self, text):
        """Added (special) tokens are matched in the raw text first (they are
        not normalized), the pieces between them go through the pipeline."""
        toks = []
        for piece, special in _split_added(text, BERT_ADDED):
            if special:
                toks.append(piece)
                continue
            for w in bert_pretokenize(bert_normalize(piece)):
                toks.extend(self.wordpiece(w))
        return toks

    def encode(self, text, pair=None):
        a = self.tokenize(text)
        toks = ["[CLS]"] + a + ["[SEP]"]
        types = [0] * len(toks)
        if pair is not None:
            b = self.tokenize(pair)
            toks += b + ["[SEP]"]
            types += [1] * (len(b) + 1)
        return [self.vocab[t] for t in toks], types, toks

    # -- files

    def tokenizer_json(self):
        added = [{"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for t in BERT_ADDED]
        cls, sep = self.vocab["[CLS]"], self.vocab["[SEP]"]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                           "strip_accents": None, "lowercase": True},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 1}},
                         {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                "special_tokens": {
                    "[CLS]": {"id": "[CLS]", "ids": [cls], "tokens": ["[CLS]"]},
                    "[SEP]": {"id": "[SEP]", "ids": [sep], "tokens": ["[SEP]"]},
                },
            },
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": UNK, "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": self.vocab},
        }

    def vocab_txt(self):
        return "".join(t + "\n" for t in self.tokens)


def dump_tokenizer_json(obj):
    """As the tokenizers library saves it: pretty, 2-space indent, raw UTF-8."""
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


# ----------------------------------------------------------------------------
# Texts for tokenizer cases

GPT2_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello world",
    "  leading spaces,\ttabs\nand newlines  ",
    "It's the model's attention; they'll see 12345 heads!",
    "naïve café, 東京 and emoji 🙂",
    "first document<|endoftext|>second document",
    "",
]

BERT_TEXTS = [
    ("The quick brown fox jumps over the lazy dog.", None),
    ("Attention heads learn where to look!", None),
    ("Café naïve ÉCOLE", None),
    ("東京 tokens, 3.14 and xyzzy", None),
    ("the [MASK] sat on the mat [mask]", None),
    ("How is the weather?", "It was raining when he looked."),
]
