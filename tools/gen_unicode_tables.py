#!/usr/bin/python3
"""Generates src/tokenizer/unicode_tables.inc: the Unicode data attnscope's
tokenizers need, from Python's unicodedata (run with Debian's /usr/bin/python3,
whose unicodedata version is recorded in the output).

    /usr/bin/python3 tools/gen_unicode_tables.py [OUT]          # default src/tokenizer/unicode_tables.inc
    /usr/bin/python3 tools/gen_unicode_tables.py --check FILE   # exit 1 if FILE differs

Tables (all compact varint streams that unicode.cpp expands once, on first use,
so the wasm data segment stays small):

kPropRuns      Per-code-point properties as runs. A run is one LEB128 varint
               (delta_start << 5 | props), where delta_start is the distance
               from the previous run's start (the first run starts at 0) and
               props packs
                 bits 0-2  class: 0 other, 1 letter (L*), 2 number (N*),
                           3 punctuation (P*), 4 Mn with a nonzero combining
                           class, 5 Mn with combining class 0, 6 control
                           (Cc, Cf), 7 space separator (Zs)
                 bit 3     Cased            (for Python's final-sigma rule)
                 bit 4     Case_Ignorable   (same)
kLowerRuns     Python's str.lower() for single characters, as runs of
               (start, length, delta, stride): four varints per run
               (start delta from the previous run's start, length,
               zigzag(delta), stride). U+0130 (lowercase "i" + U+0307) and the
               final sigma are handled in code.
kStripEntries  What NFD followed by dropping Mn makes of each non-Mn character
               it changes (Hangul syllables excluded: they decompose
               algorithmically): varint(source delta << 2 | n) then n
               zigzag varints, each target relative to the previous target.
kMcNonStarters The few non-Mn characters with a nonzero canonical combining
               class (all Mc), as (code point << 8 | ccc): the only characters
               whose canonical reordering survives accent stripping.

Cased and Case_Ignorable are not exposed by unicodedata; they are read off
str.lower()'s own final-sigma decisions, so they are exactly what Python uses.
"""

import argparse
import sys
import unicodedata as ud

MAX_CP = 0x110000
SIGMA, SMALL_SIGMA = "\u03a3", "\u03c3"

CLASS_OTHER, CLASS_L, CLASS_N, CLASS_P, CLASS_MN, CLASS_MN0, CLASS_CONTROL, CLASS_ZS = range(8)
PROP_CASED = 1 << 3
PROP_CASE_IGNORABLE = 1 << 4


def char_class(cp):
    ch = chr(cp)
    cat = ud.category(ch)
    if cat[0] == "L":
        return CLASS_L
    if cat[0] == "N":
        return CLASS_N
    if cat[0] == "P":
        return CLASS_P
    if cat == "Mn":
        return CLASS_MN if ud.combining(ch) else CLASS_MN0
    if cat in ("Cc", "Cf"):
        return CLASS_CONTROL
    if cat == "Zs":
        return CLASS_ZS
    return CLASS_OTHER


def is_cased(ch):
    # Cased = Lowercase | Uppercase | Lt; islower/isupper of one character
    # read exactly those derived properties in CPython.
    return ch.islower() or ch.isupper() or ud.category(ch) == "Lt"


def is_case_ignorable(ch):
    # CPython's final-sigma test skips case-ignorable characters. After a cased
    # "A": "A Σ x" ends in final sigma unless x is cased and not ignorable;
    # "A Σ x A" is final unless x is ignorable or cased.
    t1 = ("A" + SIGMA + ch).lower()[1] == SMALL_SIGMA
    t2 = ("A" + SIGMA + ch + "A").lower()[1] == SMALL_SIGMA
    return t2 and not t1


def props(cp):
    ch = chr(cp)
    if 0xD800 <= cp <= 0xDFFF:
        return CLASS_OTHER  # surrogates never reach the tables (UTF-8 decoding refuses them)
    p = char_class(cp)
    if is_cased(ch):
        p |= PROP_CASED
    if is_case_ignorable(ch):
        p |= PROP_CASE_IGNORABLE
    return p


def varint(n, out):
    assert n >= 0
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def zigzag(n):
    return (n << 1) if n >= 0 else ((-n << 1) - 1)


def read_varint(data, pos):
    n, shift = 0, 0
    while True:
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, pos


def unzigzag(n):
    return (n >> 1) if not n & 1 else -((n + 1) >> 1)


def build_prop_runs():
    runs = []
    prev = None
    for cp in range(MAX_CP):
        p = props(cp)
        if p != prev:
            runs.append((cp, p))
            prev = p
    data = []
    last = 0
    for start, p in runs:
        varint(((start - last) << 5) | p, data)
        last = start
    # Self-check: decode and compare.
    pos, cp = 0, 0
    for start, p in runs:
        v, pos = read_varint(data, pos)
        cp += v >> 5
        assert cp == start and (v & 31) == p
    return runs, data


def build_lower_runs():
    singles = []
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        lo = ch.lower()
        if lo == ch:
            continue
        if len(lo) != 1:
            assert cp == 0x130, hex(cp)  # the only multi-character lowercase
            continue
        singles.append((cp, ord(lo) - cp))
    runs = []  # [start, length, delta, stride]
    for cp, delta in singles:
        if runs:
            r = runs[-1]
            if r[2] == delta:
                if r[1] == 1 and cp - r[0] in (1, 2):
                    r[3] = cp - r[0]
                    r[1] = 2
                    continue
                if r[1] > 1 and cp == r[0] + r[1] * r[3]:
                    r[1] += 1
                    continue
        runs.append([cp, 1, delta, 1])
    data = []
    last = 0
    for start, length, delta, stride in runs:
        for v in (start - last, length, zigzag(delta), stride):
            varint(v, data)
        last = start
    # Self-check.
    table = {}
    pos, cp = 0, 0
    for _ in runs:
        d, pos = read_varint(data, pos)
        n, pos = read_varint(data, pos)
        z, pos = read_varint(data, pos)
        s, pos = read_varint(data, pos)
        cp += d
        for i in range(n):
            table[cp + i * s] = cp + i * s + unzigzag(z)
    assert table == {c: c + d for c, d in singles}
    return runs, data


def strip_accents(s):
    return "".join(c for c in ud.normalize("NFD", s) if ud.category(c) != "Mn")


def build_strip_entries():
    entries = []
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF or 0xAC00 <= cp <= 0xD7A3:
            continue
        ch = chr(cp)
        if ud.category(ch) == "Mn":
            continue  # dropped outright
        out = strip_accents(ch)
        if out != ch:
            assert 1 <= len(out) <= 3, hex(cp)
            entries.append((cp, [ord(c) for c in out]))
    data = []
    last_src, last_tgt = 0, 0
    for cp, targets in entries:
        varint(((cp - last_src) << 2) | len(targets), data)
        for t in targets:
            varint(zigzag(t - last_tgt), data)
            last_tgt = t
        last_src = cp
    # Self-check.
    pos, src, tgt = 0, 0, 0
    for cp, targets in entries:
        v, pos = read_varint(data, pos)
        src += v >> 2
        got = []
        for _ in range(v & 3):
            z, pos = read_varint(data, pos)
            tgt += unzigzag(z)
            got.append(tgt)
        assert src == cp and got == targets
    return entries, data


def build_mc_non_starters():
    out = []
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        ccc = ud.combining(ch)
        if ccc and ud.category(ch) != "Mn":
            out.append((cp, ccc))
    return out


def c_bytes(name, data, comment):
    lines = [f"// {comment}", f"const unsigned char {name}[] = {{"]
    for i in range(0, len(data), 24):
        lines.append("    " + ",".join(str(b) for b in data[i : i + 24]) + ",")
    lines.append("};")
    return "\n".join(lines)


def generate():
    prop_runs, prop_data = build_prop_runs()
    lower_runs, lower_data = build_lower_runs()
    strip, strip_data = build_strip_entries()
    mc = build_mc_non_starters()
    parts = [
        "// Generated by tools/gen_unicode_tables.py from Python "
        f"{sys.version_info.major}.{sys.version_info.minor}'s unicodedata. Do not edit.",
        "// Regenerate: /usr/bin/python3 tools/gen_unicode_tables.py",
        "// Included once, by src/tokenizer/unicode.cpp; the formats are described in the generator.",
        f'#define ATTNSCOPE_UNICODE_VERSION "{ud.unidata_version}"',
        "",
        f"constexpr unsigned kPropRunCount = {len(prop_runs)};",
        c_bytes("kPropRuns", prop_data, f"{len(prop_runs)} property runs, {len(prop_data)} bytes"),
        "",
        f"constexpr unsigned kLowerRunCount = {len(lower_runs)};",
        c_bytes("kLowerRuns", lower_data, f"{len(lower_runs)} lowercase runs, {len(lower_data)} bytes"),
        "",
        f"constexpr unsigned kStripEntryCount = {len(strip)};",
        c_bytes("kStripEntries", strip_data, f"{len(strip)} accent-strip entries, {len(strip_data)} bytes"),
        "",
        "// (code point << 8) | canonical combining class",
        "const unsigned kMcNonStarters[] = {"
        + ", ".join(f"0x{(cp << 8) | ccc:X}" for cp, ccc in mc)
        + "};",
        "",
    ]
    return "\n".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default="src/tokenizer/unicode_tables.inc")
    ap.add_argument("--check", action="store_true", help="compare with OUT instead of writing it")
    args = ap.parse_args()
    text = generate()
    if args.check:
        with open(args.out, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{args.out} is out of date: regenerate it with {sys.argv[0]}", file=sys.stderr)
                return 1
        print(f"{args.out} is up to date (Unicode {ud.unidata_version})")
        return 0
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {args.out} (Unicode {ud.unidata_version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
