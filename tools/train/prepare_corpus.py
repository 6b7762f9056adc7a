#!/usr/bin/python3
"""Builds the training corpus of the attnscope tiny models from Debian packages.

    /usr/bin/python3 tools/train/prepare_corpus.py [--out build/corpus] [--no-install]

Sources (installed with apt-get when missing, as root; otherwise the command is
printed and the script stops):
  fortunes, fortunes-min  English fortune cookies, /usr/share/games/fortunes/*
                          (without the pictures in `art` and `ascii-art`)
  fortunes-zh             Chinese: `chinese`, `tang300` (Tang poems), `song100` (Song poems)
  wordnet-base            /usr/share/wordnet/data.{noun,verb,adj,adv}: one document per
                          synset, "lemma, lemma: gloss; "example sentence"; ..."

Cleaning: terminal colour codes (ESC[...m) and overstrike (x BACKSPACE y) removed,
NFC, hard-wrapped Chinese lines re-joined (see unwrap_zh), control characters dropped, tabs -> spaces, spaces collapsed, every line
stripped, blank lines dropped. Fortunes that are mostly not letters (ASCII
pictures) are dropped. Exact duplicates (after cleaning) are kept once.

Split: a document goes to validation when the first 8 hex digits of the
SHA-256 of its cleaned text, as an integer, are < 5% of 2^32 (deterministic,
independent of order and of the other documents).

Outputs (in --out):
  train.txt, valid.txt  documents separated by a line "<|endoftext|>"
  docs.jsonl            {"split", "lang", "package", "source", "text"} per document
  stats.json            counts and bytes per package and split
  heldout.json          a few dozen held-out sentences (EN and ZH), also written
                        to models/heldout-sentences.json for the head analysis
and the DATA and LICENSES sections of MODEL_CARD.md (the licences are the
packages' /usr/share/doc/<pkg>/copyright files).
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import card  # noqa: E402

PACKAGES = ["fortunes", "fortunes-min", "fortunes-zh", "wordnet-base"]
FORTUNE_DIR = "/usr/share/games/fortunes"
WORDNET_DIR = "/usr/share/wordnet"
ZH_FILES = {"chinese", "tang300", "song100"}
SKIP_FILES = {"art", "ascii-art"}  # pictures, not language
# When dpkg cannot tell (not Debian), which package a fortune file comes from.
FALLBACK_OWNER = {"fortunes": "fortunes-min", "literature": "fortunes-min", "riddles": "fortunes-min",
                  "chinese": "fortunes-zh", "tang300": "fortunes-zh", "song100": "fortunes-zh"}
SEPARATOR = "<|endoftext|>"
VALID_PERCENT = 5
N_HELDOUT = {"en": 24, "zh": 12}


def ensure_packages(install):
    missing = [p for p in PACKAGES if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p],
                                                     capture_output=True, text=True).stdout.strip()
               != "install ok installed"]
    if not missing:
        return
    cmd = ["apt-get", "install", "-y", "--no-install-recommends"] + missing
    if not install or os.geteuid() != 0:
        print("missing Debian packages; install them with:\n  sudo " + " ".join(cmd), file=sys.stderr)
        sys.exit(2)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(cmd, env=env).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True)
        subprocess.run(cmd, env=env, check=True)


def package_files(pkg):
    try:
        out = subprocess.run(["dpkg", "-L", pkg], capture_output=True, text=True, check=True).stdout
        return [l for l in out.splitlines() if l.strip()]
    except (OSError, subprocess.CalledProcessError):
        return []


# ----------------------------------------------------------------------------
# Cleaning

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
OVERSTRIKE = re.compile(r"[^\x08\n]\x08")


def clean(text):
    text = ANSI.sub("", text)
    while OVERSTRIKE.search(text):
        text = OVERSTRIKE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\t", " ")
    text = "".join(ch for ch in text if ch == "\n" or not unicodedata.category(ch).startswith("C"))
    lines = [re.sub(r"[ \u00a0\u3000]+", " ", l).strip() for l in text.split("\n")]
    return "\n".join(l for l in lines if l)


def unwrap_zh(doc):
    """The Chinese fortunes are hard-wrapped at a fixed width: join a line to the
    next when both sides of the break are non-ASCII and the line does not end a
    sentence, title or attribution."""
    return re.sub(r"(?<=[^\x00-\x7f。！？》」』：】）])\n(?=[^\x00-\x7f])", "", doc)


def mostly_text(doc):
    chars = [c for c in doc if not c.isspace()]
    if not chars:
        return False
    letters = sum(1 for c in chars if unicodedata.category(c).startswith("L"))
    return letters / len(chars) >= 0.6


def read_text(path):
    raw = open(path, "rb").read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def fortune_docs():
    owner = {}
    for pkg in ("fortunes", "fortunes-min", "fortunes-zh"):
        for f in package_files(pkg):
            if os.path.dirname(f) == FORTUNE_DIR:
                owner[os.path.basename(f)] = pkg
    names = sorted(n for n in os.listdir(FORTUNE_DIR)
                   if not n.endswith((".dat", ".u8")) and n not in SKIP_FILES
                   and os.path.isfile(os.path.join(FORTUNE_DIR, n)) and not os.path.islink(os.path.join(FORTUNE_DIR, n)))
    for name in names:
        pkg = owner.get(name) or FALLBACK_OWNER.get(name, "fortunes")
        lang = "zh" if name in ZH_FILES else "en"
        for chunk in re.split(r"^%\s*$", read_text(os.path.join(FORTUNE_DIR, name)), flags=re.M):
            doc = clean(chunk)
            if lang == "zh":
                doc = unwrap_zh(doc)
            if doc and mostly_text(doc):
                yield {"lang": lang, "package": pkg, "source": name, "text": doc}


def wordnet_docs():
    for pos in ("noun", "verb", "adj", "adv"):
        path = os.path.join(WORDNET_DIR, "data." + pos)
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  ") or " | " not in line:
                    continue  # the licence header
                head, gloss = line.split(" | ", 1)
                fields = head.split()
                n_words = int(fields[3], 16)
                lemmas = []
                for w in fields[4:4 + 2 * n_words:2]:
                    w = re.sub(r"\((a|p|ip)\)$", "", w).replace("_", " ")
                    if w not in lemmas:
                        lemmas.append(w)
                doc = clean(", ".join(lemmas) + ": " + gloss.strip())
                if doc:
                    yield {"lang": "en", "package": "wordnet-base", "source": "data." + pos, "text": doc}


def split_of(text):
    h = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)
    return "valid" if h < VALID_PERCENT * (1 << 32) // 100 else "train"


# ----------------------------------------------------------------------------
# Held-out sentences for the head analysis

def sentences(doc, lang):
    text = doc.replace("\n", " ")
    if lang == "zh":
        parts = re.findall(r"[^。！？]*[。！？]", text)
    else:
        parts = re.findall(r"[^.!?]*[.!?]+", text)
    return [p.strip() for p in parts]


def pick_heldout(valid_docs):
    """Deterministic: sentences of validation documents, ordered by hash."""
    out = {"en": [], "zh": []}
    cands = {"en": [], "zh": []}
    for d in valid_docs:
        if d["package"] == "wordnet-base":
            # the example sentences of a gloss ("...") are the natural sentences
            ss = [s for s in re.findall(r'"([^"]+)"', d["text"])]
        else:
            ss = sentences(d["text"], d["lang"])
        for s in ss:
            n = len(s) if d["lang"] == "zh" else len(s.split())
            ok = (8 <= n <= 40) if d["lang"] == "zh" else (6 <= n <= 30)
            if ok and mostly_text(s):
                cands[d["lang"]].append((hashlib.sha256(s.encode()).hexdigest(), s, d["package"], d["source"]))
    for lang, n in N_HELDOUT.items():
        seen = set()
        for _, s, pkg, src in sorted(cands[lang]):
            if s not in seen:
                seen.add(s)
                out[lang].append({"text": s, "package": pkg, "source": src})
            if len(out[lang]) == n:
                break
    return out


# ----------------------------------------------------------------------------
# Card sections

def licenses_section():
    parts = ["## Licenses of the training data", "",
             "The corpus is built from these Debian packages; their `/usr/share/doc/<package>/copyright` files, verbatim:",
             ""]
    for pkg in PACKAGES:
        path = f"/usr/share/doc/{pkg}/copyright"
        try:
            text = open(path, encoding="utf-8", errors="replace").read().rstrip()
        except OSError:
            text = "(not installed)"
        parts += [f"<details><summary><code>{pkg}</code> ({path})</summary>", "", "```text", text, "```", "",
                  "</details>", ""]
    return "\n".join(parts)


def data_section(stats):
    rows = ["| package | language | documents (train / valid) | UTF-8 bytes (train / valid) |",
            "|---|---|---:|---:|"]
    for key in sorted(stats["by_package"]):
        s = stats["by_package"][key]
        pkg, lang = key.split("/")
        rows.append(f"| `{pkg}` | {lang} | {s['train']['docs']:,} / {s['valid']['docs']:,} | "
                    f"{s['train']['bytes']:,} / {s['valid']['bytes']:,} |")
    t = stats["total"]
    rows.append(f"| **total** | | {t['train']['docs']:,} / {t['valid']['docs']:,} | "
                f"{t['train']['bytes']:,} / {t['valid']['bytes']:,} |")
    return "\n".join([
        "## Data", "",
        "Built by `tools/train/prepare_corpus.py` from Debian packages (versions: "
        + ", ".join(f"`{p}` {v}" for p, v in stats["versions"].items()) + "):",
        "",
        "- English: every fortune file of `fortunes` and `fortunes-min` in `/usr/share/games/fortunes` except the "
        "pictures (`art`, `ascii-art`); WordNet 3.0 (`wordnet-base`, `/usr/share/wordnet/data.*`): one document per "
        "synset, `lemma, lemma: gloss; \"example sentence\"`.",
        "- Chinese: `fortunes-zh` (`chinese`, `tang300`, `song100`).",
        "- Cleaning: terminal colour codes and overstrike removed, NFC, hard-wrapped Chinese lines re-joined, control characters dropped, whitespace "
        "collapsed, blank lines dropped, fortunes that are < 60% letters (pictures) dropped, exact duplicates once.",
        f"- Split: a document is in validation when its SHA-256 (first 32 bits) falls in the lowest {VALID_PERCENT}% "
        "(deterministic, order-independent).",
        "",
        *rows,
        "",
        f"Held-out sentences for the head analysis: `models/heldout-sentences.json` ({N_HELDOUT['en']} EN, "
        f"{N_HELDOUT['zh']} ZH sentences from the validation split).",
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(card.ROOT, "build", "corpus"))
    ap.add_argument("--no-install", action="store_true", help="never call apt-get, only print the command")
    ap.add_argument("--no-card", action="store_true", help="do not touch MODEL_CARD.md")
    args = ap.parse_args()
    ensure_packages(install=not args.no_install)

    docs, seen = [], set()
    for d in list(fortune_docs()) + list(wordnet_docs()):
        if d["text"] in seen:
            continue
        seen.add(d["text"])
        d["split"] = split_of(d["text"])
        docs.append(d)

    os.makedirs(args.out, exist_ok=True)
    stats = {"by_package": {}, "total": {s: {"docs": 0, "bytes": 0} for s in ("train", "valid")}, "versions": {}}
    for p in PACKAGES:
        stats["versions"][p] = subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True,
                                              text=True).stdout.strip() or "?"
    for split in ("train", "valid"):
        sel = [d for d in docs if d["split"] == split]
        with open(os.path.join(args.out, f"{split}.txt"), "w", encoding="utf-8") as f:
            f.write(("\n" + SEPARATOR + "\n").join(d["text"] for d in sel) + "\n")
        for d in sel:
            key = f"{d['package']}/{d['lang']}"
            s = stats["by_package"].setdefault(key, {x: {"docs": 0, "bytes": 0} for x in ("train", "valid")})
            b = len(d["text"].encode("utf-8"))
            s[split]["docs"] += 1
            s[split]["bytes"] += b
            stats["total"][split]["docs"] += 1
            stats["total"][split]["bytes"] += b
    with open(os.path.join(args.out, "docs.jsonl"), "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    with open(os.path.join(args.out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=1)

    held = pick_heldout([d for d in docs if d["split"] == "valid"])
    held_json = json.dumps({"about": "Sentences from the validation split of tools/train/prepare_corpus.py "
                                     "(never trained on), for tools/head_analysis.mjs.", **held},
                           ensure_ascii=False, indent=1) + "\n"
    with open(os.path.join(args.out, "heldout.json"), "w", encoding="utf-8") as f:
        f.write(held_json)
    os.makedirs(os.path.join(card.ROOT, "models"), exist_ok=True)
    with open(os.path.join(card.ROOT, "models", "heldout-sentences.json"), "w", encoding="utf-8") as f:
        f.write(held_json)
    if not args.no_card:
        card.update_section("DATA", data_section(stats))
        card.update_section("LICENSES", licenses_section())
    t = stats["total"]
    print(f"corpus: {t['train']['docs']} train docs ({t['train']['bytes']:,} bytes), "
          f"{t['valid']['docs']} valid docs ({t['valid']['bytes']:,} bytes) -> {args.out}")
    for k, s in sorted(stats["by_package"].items()):
        print(f"  {k:22s} train {s['train']['docs']:7d} docs {s['train']['bytes']:10,d} B   "
              f"valid {s['valid']['docs']:6d} docs {s['valid']['bytes']:9,d} B")


if __name__ == "__main__":
    main()
