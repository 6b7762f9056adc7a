#!/usr/bin/python3
"""Expected BERT WordPiece ids for tests/cpp/tokenizer_wordpiece_test.cpp.

The tokenizer below is written from the algorithm published in
google-research/bert's tokenization.py (BasicTokenizer + WordpieceTokenizer),
with Python's unicodedata and str methods doing the Unicode work. One addition,
as Hugging Face's BertTokenizer and tokenizer.json do: the special tokens
[PAD] [UNK] [CLS] [SEP] [MASK] are matched in the raw text first, and the text
between them is tokenized on its own.

    /usr/bin/python3 tests/tokenizer/wordpiece_reference.py [DIR]        # default tests/tokenizer
    /usr/bin/python3 tests/tokenizer/wordpiece_reference.py --check DIR  # exit 1 if a file differs

Writes to DIR:
  wordpiece_vocab.txt       a small vocab (one token per line, id = line number)
  wordpiece_tokenizer.json  the same vocab as a Hugging Face tokenizer.json
                            (BertNormalizer, BertPreTokenizer, WordPiece,
                            TemplateProcessing, WordPiece decoder)
  wordpiece_expected.json   per case: the input ("text", or "hex" for bytes
                            that are not UTF-8, decoded with errors="replace"),
                            and the ids with [CLS]/[SEP] for the uncased
                            (lowercase + strip accents) and cased tokenizers;
                            and "unicode_blocks": an exhaustive check of the
                            Unicode tables. For every code point c (but
                            surrogates), BasicTokenizer's pieces of
                            PROBE(c) = "A" + c + "Σ " + c + "b" (lowercase,
                            sigma context, accents, punctuation, spaces,
                            controls, CJK), hashed per block of 4096 code
                            points: FNV-1a 64 over, for each c in order, the
                            UTF-8 of the pieces joined by U+001F then U+001E.
"""

import argparse
import json
import os
import sys
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# --------------------------------------------------------------------------
# BERT's tokenization.py, as published (comments shortened).


def whitespace_tokenize(text):
    text = text.strip()
    if not text:
        return []
    return text.split()


def _is_whitespace(char):
    if char == " " or char == "\t" or char == "\n" or char == "\r":
        return True
    return unicodedata.category(char) == "Zs"


def _is_control(char):
    if char == "\t" or char == "\n" or char == "\r":
        return False
    return unicodedata.category(char) in ("Cc", "Cf")


def _is_punctuation(char):
    cp = ord(char)
    if (cp >= 33 and cp <= 47) or (cp >= 58 and cp <= 64) or (cp >= 91 and cp <= 96) or (cp >= 123 and cp <= 126):
        return True
    return unicodedata.category(char).startswith("P")


class BasicTokenizer:
    def __init__(self, do_lower_case=True):
        self.do_lower_case = do_lower_case

    def tokenize(self, text):
        text = self._clean_text(text)
        text = self._tokenize_chinese_chars(text)
        orig_tokens = whitespace_tokenize(text)
        split_tokens = []
        for token in orig_tokens:
            if self.do_lower_case:
                token = token.lower()
                token = self._run_strip_accents(token)
            split_tokens.extend(self._run_split_on_punc(token))
        return whitespace_tokenize(" ".join(split_tokens))

    def _run_strip_accents(self, text):
        text = unicodedata.normalize("NFD", text)
        return "".join(c for c in text if unicodedata.category(c) != "Mn")

    def _run_split_on_punc(self, text):
        chars = list(text)
        i = 0
        start_new_word = True
        output = []
        while i < len(chars):
            char = chars[i]
            if _is_punctuation(char):
                output.append([char])
                start_new_word = True
            else:
                if start_new_word:
                    output.append([])
                start_new_word = False
                output[-1].append(char)
            i += 1
        return ["".join(x) for x in output]

    def _tokenize_chinese_chars(self, text):
        output = []
        for char in text:
            if self._is_chinese_char(ord(char)):
                output.extend([" ", char, " "])
            else:
                output.append(char)
        return "".join(output)

    def _is_chinese_char(self, cp):
        return (
            (cp >= 0x4E00 and cp <= 0x9FFF)
            or (cp >= 0x3400 and cp <= 0x4DBF)
            or (cp >= 0x20000 and cp <= 0x2A6DF)
            or (cp >= 0x2A700 and cp <= 0x2B73F)
            or (cp >= 0x2B740 and cp <= 0x2B81F)
            or (cp >= 0x2B820 and cp <= 0x2CEAF)
            or (cp >= 0xF900 and cp <= 0xFAFF)
            or (cp >= 0x2F800 and cp <= 0x2FA1F)
        )

    def _clean_text(self, text):
        output = []
        for char in text:
            cp = ord(char)
            if cp == 0 or cp == 0xFFFD or _is_control(char):
                continue
            output.append(" " if _is_whitespace(char) else char)
        return "".join(output)


class WordpieceTokenizer:
    def __init__(self, vocab, unk_token="[UNK]", max_input_chars_per_word=100):
        self.vocab = vocab
        self.unk_token = unk_token
        self.max_input_chars_per_word = max_input_chars_per_word

    def tokenize(self, text):
        output_tokens = []
        for token in whitespace_tokenize(text):
            chars = list(token)
            if len(chars) > self.max_input_chars_per_word:
                output_tokens.append(self.unk_token)
                continue
            is_bad = False
            start = 0
            sub_tokens = []
            while start < len(chars):
                end = len(chars)
                cur_substr = None
                while start < end:
                    substr = "".join(chars[start:end])
                    if start > 0:
                        substr = "##" + substr
                    if substr in self.vocab:
                        cur_substr = substr
                        break
                    end -= 1
                if cur_substr is None:
                    is_bad = True
                    break
                sub_tokens.append(cur_substr)
                start = end
            if is_bad:
                output_tokens.append(self.unk_token)
            else:
                output_tokens.extend(sub_tokens)
        return output_tokens


class FullTokenizer:
    def __init__(self, vocab, do_lower_case=True):
        self.vocab = vocab
        self.basic_tokenizer = BasicTokenizer(do_lower_case=do_lower_case)
        self.wordpiece_tokenizer = WordpieceTokenizer(vocab=vocab)

    def tokenize(self, text):
        split_tokens = []
        for token in self.basic_tokenizer.tokenize(text):
            for sub_token in self.wordpiece_tokenizer.tokenize(token):
                split_tokens.append(sub_token)
        return split_tokens


# --------------------------------------------------------------------------
# Special tokens in the text (leftmost, longest), then [CLS] ... [SEP].


def encode(tok, text):
    tokens = ["[CLS]"]
    i, start = 0, 0
    while i < len(text):
        hit = next((s for s in sorted(SPECIALS, key=len, reverse=True) if text.startswith(s, i)), None)
        if hit is None:
            i += 1
            continue
        tokens += tok.tokenize(text[start:i]) + [hit]
        i += len(hit)
        start = i
    tokens += tok.tokenize(text[start:]) + ["[SEP]"]
    return [tok.vocab[t] for t in tokens]


# --------------------------------------------------------------------------
# The test vocab.


def build_vocab():
    tokens = list(SPECIALS)
    tokens += [chr(c) for c in range(33, 127) if not chr(c).isalnum()]  # ASCII punctuation
    tokens += [str(d) for d in range(10)] + ["##" + str(d) for d in range(10)]
    tokens += [chr(c) for c in range(ord("a"), ord("z") + 1)]
    tokens += ["##" + chr(c) for c in range(ord("a"), ord("z") + 1)]
    words = """the quick brown fox jump ##s ##ing ##ed ##ly ##er ##est over lazy dog hello world un ##aff ##able
        play token ##izer ##ize ##ization cafe naive resume facade angstrom stra ##sse ##ße ß istanbul ig ##dir
        is it a an and of to in at on for with this that test ##ing text word ##piece bert model attention
        ##tion ##al 100 1000 12 ##34 2024 ok hi go ##od good mask cls sep pad unk zalgo emoji""".split()
    tokens += words
    # Cased forms, for the cased tokenizer.
    tokens += "Hello World The Quick Caf ##é É Ü Über ##é ##ï ##ü I İ".split()
    # Greek: the final-sigma rule decides between οδος and οδοσ.
    tokens += "οδος σας σ ς ο α ω ##ς ##σ ##ο ##δ ##α ##ω ##ε ##γ ##μ μ ε γ δ Ω".split()
    # Turkish dotless i, CJK (one per character), a compatibility ideograph's
    # NFD target (U+F900 -> U+8C48), Hangul jamo (NFD of 한국어), Arabic, emoji.
    tokens += ["ı", "##ı", "中", "文", "日", "本", "語", "字", "测", "试", "\u8c48", "の", "##の"]
    tokens += ["ᄒ", "##ᅡ", "##ᆫ", "##ᄀ", "##ᅮ", "##ᆨ", "##ᄋ", "##ᅥ", "ᄀ", "ᄋ"]
    tokens += ["م", "##ر", "##ح", "##ب", "##ا", "ب", "##ل", "##ع", "##م"]
    tokens += ["😀", "##😀", "👍", "##🏽", "❤", "##\ufe0f"]
    tokens += ["¿", "¡", "«", "»", "…", "—", "“", "”", "’", "、", "。", "，"]
    seen = set()
    out = []
    for t in tokens:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def tokenizer_json(vocab):
    special_ids = {t: vocab.index(t) for t in SPECIALS}
    doc = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": special_ids[t],
                "content": t,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for t in SPECIALS
        ],
        "normalizer": {
            "type": "BertNormalizer",
            "clean_text": True,
            "handle_chinese_chars": True,
            "strip_accents": None,
            "lowercase": True,
        },
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
            ],
            "special_tokens": {
                t: {"id": t, "ids": [special_ids[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": {t: i for i, t in enumerate(vocab)},
        },
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------
# The corpus: (name, text) or (name, bytes) for input that is not UTF-8.


def corpus():
    mixed_words = (
        "The quick brown fox jumps over the lazy dog . Hello , World ! Café naïve résumé ΟΔΟΣ σας İstanbul "
        "ıi Straße STRASSE 中文 日本語 한국어 مرحبا 😀 👍🏽 unaffable tokenization [MASK] 12 1234 ¿qué? "
        "«x» … a\u00a0b e\u0301 Ångström \u200b \t \n"
    ).split(" ")
    mixed = []
    state = 12345
    while sum(len(w) + 1 for w in mixed) < 10000:
        state = (state * 1103515245 + 12345) % (1 << 31)  # a fixed LCG: stable text
        mixed.append(mixed_words[state % len(mixed_words)])
    mixed = " ".join(mixed)[:10000]
    return [
        ("empty", ""),
        ("spaces_only", "   \t\n  "),
        ("simple", "The quick brown fox jumps over the lazy dog."),
        ("subwords", "unaffable tokenization playing played player plays"),
        ("mixed_case", "Hello World HELLO wOrLd The Quick"),
        ("accents", "Café naïve résumé façade Ångström Über"),
        ("decomposed_accents", "Cafe\u0301 nai\u0308ve"),
        ("german", "Straße STRASSE strasse ß ẞ"),
        ("turkish", "İstanbul ISTANBUL ıi IĞDIR İ"),
        ("greek_sigma", "ΟΔΟΣ ΟΔΟΣ. ΣΑΣ Σ ΟΔΟΣΑ ὈΔΌΣ σας ΟΔΟ'Σ'Α"),
        ("cjk", "中文abc日本語字"),
        ("cjk_compat", "\uf900 \u8c48"),
        ("korean", "한국어"),
        ("japanese_kana", "日本のテキスト"),
        ("arabic", "مرحبا بالعالم"),
        ("punctuation", "hello,world! (x) [y] {z} a-b a_b a~b $5 ^_^ `q` @#%&*+=|\\/<>;:'\""),
        ("unicode_punctuation", "¿qué? ¡sí! «x» … — “q” it’s 、。，"),
        ("numbers", "12 1234 2024 3.14 1,000 100 1000"),
        ("emoji", "😀 a😀 😀😀 👍🏽 ❤️ 🙂"),
        ("controls", "a\x00b a\x07b a\u200bb a\u00adb a\ufffdb a\x1bb \x7f"),
        ("whitespace_kinds", "a\tb\nc\rd\u00a0e\u3000f\u2028g\u2029h\x0bi\x0cj\x1ck\x85l\u2003m"),
        ("combining_only", "\u0301\u0308 a\u0301\u0302\u0303"),
        ("zalgo", "Z\u0324\u0354a\u0308\u0356l\u036eg\u0300o"),
        ("special_tokens", "[CLS] hello [SEP] a[MASK]b [mask] [UNK] [PAD][SEP]"),
        ("special_partial", "[CLS [MAS] [ MASK ]"),
        ("long_word_100", "a" * 100),
        ("long_word_101", "a" * 101),
        ("long_word_mixed", "un" + "aff" * 40 + "able " + "b" * 150 + " ok"),
        ("unmatchable", "hello🙂 xyz🙂abc ok"),
        ("ligatures", "ﬁne ﬂow"),
        ("fullwidth", "ＡＢＣ ａｂｃ １２"),
        ("math_letters", "𝐀𝐁𝐂 ℌ ℝ"),
        ("mc_marks", "नमस्ते 𝅘𝅥𝅮 𝅗𝅥"),
        ("mixed_10000", mixed),
        ("invalid_utf8_truncated", b"caf\xc3"),
        ("invalid_utf8_bytes", b"\xff\xfehello\x80world"),
        ("invalid_utf8_surrogate", b"a\xed\xa0\x80b"),
        ("invalid_utf8_overlong", b"x\xc0\xafy\xe0\x80\xafz"),
    ]


BLOCK = 0x1000


def fnv1a64(data, h=0xCBF29CE484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def unicode_blocks(do_lower_case):
    basic = BasicTokenizer(do_lower_case=do_lower_case)
    out = []
    for block in range(0x110000 // BLOCK):
        h = 0xCBF29CE484222325
        for cp in range(block * BLOCK, (block + 1) * BLOCK):
            if 0xD800 <= cp <= 0xDFFF:
                continue
            ch = chr(cp)
            pieces = basic.tokenize("A" + ch + "\u03a3 " + ch + "b")
            h = fnv1a64(("\x1f".join(pieces) + "\x1e").encode("utf-8"), h)
        out.append(f"{h:016x}")
    return out


def generate():
    vocab = build_vocab()
    index = {t: i for i, t in enumerate(vocab)}
    uncased = FullTokenizer(index, do_lower_case=True)
    cased = FullTokenizer(index, do_lower_case=False)
    cases = []
    for name, text in corpus():
        case = {"name": name}
        if isinstance(text, bytes):
            case["hex"] = text.hex()
            text = text.decode("utf-8", errors="replace")
        else:
            case["text"] = text
        case["uncased"] = encode(uncased, text)
        case["cased"] = encode(cased, text)
        cases.append(case)
    expected = {
        "format": 1,
        "generator": "tests/tokenizer/wordpiece_reference.py",
        "reference": "google-research/bert tokenization.py algorithm, Python "
        f"{sys.version_info.major}.{sys.version_info.minor}, Unicode {unicodedata.unidata_version}",
        "vocab": "wordpiece_vocab.txt",
        "unicode_blocks": {"uncased": unicode_blocks(True), "cased": unicode_blocks(False)},
        "cases": cases,
    }
    lines = [json.dumps(c, ensure_ascii=False) for c in cases]
    head = json.dumps({k: v for k, v in expected.items() if k not in ("cases", "unicode_blocks")}, indent=2)
    blocks = expected["unicode_blocks"]
    head = head[:-2] + ',\n  "unicode_blocks": {\n' + ",\n".join(
        f'    "{k}": {json.dumps(v)}' for k, v in blocks.items()) + "\n  }\n}"
    text = head[:-2] + ',\n  "cases": [\n    ' + ",\n    ".join(lines) + "\n  ]\n}\n"
    return {
        "wordpiece_vocab.txt": "".join(t + "\n" for t in vocab),
        "wordpiece_tokenizer.json": tokenizer_json(vocab),
        "wordpiece_expected.json": text,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", nargs="?", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    files = generate()
    bad = 0
    for name, text in files.items():
        path = os.path.join(args.dir, name)
        if args.check:
            try:
                with open(path, encoding="utf-8", newline="") as f:
                    same = f.read() == text
            except OSError:
                same = False
            if not same:
                print(f"{path} is out of date: regenerate it with {sys.argv[0]}", file=sys.stderr)
                bad = 1
        else:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            print(f"wrote {path}")
    if args.check and not bad:
        print(f"{len(files)} files up to date")
    return bad


if __name__ == "__main__":
    sys.exit(main())
