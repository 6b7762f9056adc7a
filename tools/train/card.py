"""MODEL_CARD.md sections that the pipeline (re)writes.

The card is hand-written prose plus generated sections delimited by
    <!-- BEGIN name -->
    ...
    <!-- END name -->
update_section(name, text) replaces the body of one section (appending the
section at the end of the card when it is not there yet). Nothing outside the
markers is touched, so the prose survives a re-run of the pipeline.
"""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CARD = os.path.join(ROOT, "MODEL_CARD.md")


def update_section(name, text, path=CARD):
    body = text.rstrip("\n") + "\n"
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else "# attnscope tiny models\n"
    pat = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.S)
    block = f"{begin}\n{body}{end}"
    if pat.search(old):
        new = pat.sub(lambda _: block, old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(new)
