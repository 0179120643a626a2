"""One large article through ``sanad index`` (#15), this checkout against ``--prev`` (a checkout of
the previous version) in the same run: seconds per article size, rules-only tagging in both.

The article is the five embedded articles repeated up to the size, each copy's sentences ending
with the copy's number (so no sentence repeats another: the case where ``unique_sentences``
compared every sentence with every earlier one, quadratic in the article's length).

Usage: ``python bench/faults.py --prev /tmp/prev [--sizes 250000,500000,900000]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _index(checkout: Path, corpus: Path, out: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")} | {"SANAD_ACTORS_BACKEND": "rules"}
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "bot.cli", "index", str(corpus), "--out", str(out)], cwd=checkout, env=env,
                         capture_output=True, text=True)  # fmt: skip
    if run.returncode:
        raise SystemExit(run.stderr[-2000:])
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prev", type=Path)
    ap.add_argument("--sizes", default="250000,500000,900000")
    args = ap.parse_args()
    from retrieval.corpus import load_default_corpus

    body = "\n".join(a.text for a in load_default_corpus())
    report = {"load": os.getloadavg()[0], "rows": []}
    with tempfile.TemporaryDirectory() as tmp:
        for size in map(int, args.sizes.split(",")):
            copies = [re.sub(r"([.!؟])", rf" {k}\1", body) for k in range(size // len(body) + 1)]
            text = "\n".join(copies)[:size]
            corpus = Path(tmp) / f"big-{size}.jsonl"
            corpus.write_text(json.dumps({"id": "big", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
            row = {"chars": len(text), "new_s": round(_index(REPO, corpus, Path(tmp) / "new"), 2)}
            if args.prev:
                row["prev_s"] = round(_index(args.prev, corpus, Path(tmp) / "prev"), 2)
                row["ratio_prev_over_new"] = round(row["prev_s"] / row["new_s"], 1)
            report["rows"].append(row)
    report["load_after"] = os.getloadavg()[0]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
