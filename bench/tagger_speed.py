"""Actor extraction speed on one core, rules included, against a reference model in the same run.

What an archive build spends per article on actors: :func:`retrieval.actors.extract.article_actors_of`
(the rules, then the tagger over the tokens no rule took), on the same articles, for

* the CRF shipped in this working tree (``retrieval/actors/data/ner-crf.*``), and
* a reference: the same files at ``--ref`` (default ``HEAD``; ``git show`` into a temporary folder),

each in a fresh process pinned to one core, alternating, ``--rounds`` times (median). Tokens are
ANERcorp-style tokens (:func:`retrieval.actors.tagger.tokenize`). The articles are the first
``--articles`` of SaudiNewsNet (measurement only; nothing is learned from them), or the five
embedded Libya articles repeated when that file is absent.

Usage: ``python bench/tagger_speed.py [--articles 600] [--rounds 3] [--ref HEAD] [--floor 25000]``;
exits 1 when the working tree's median is under ``--floor`` tokens/s.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARCHIVE = REPO.parent / "shared" / "corpus" / "saudinewsnet" / "articles.jsonl.gz"
FILES = ("ner-crf.crfsuite", "ner-crf.json")


def texts(n: int) -> list[str]:
    if ARCHIVE.exists():
        out = []
        with gzip.open(ARCHIVE, "rt", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                text = d.get("content") or d.get("text") or ""
                if text.strip():
                    out.append(text)
                if len(out) >= n:
                    break
        return out
    libya = sorted((REPO / "retrieval" / "data" / "libya-news").glob("*.txt"))
    base = [p.read_text(encoding="utf-8") for p in libya]
    return [base[i % len(base)] for i in range(n)]


def child(model: str, n: int) -> None:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass
    sys.path.insert(0, str(REPO))
    from retrieval.actors.backend import LockedTagger
    from retrieval.actors.extract import article_actors_of
    from retrieval.actors.tagger import Tagger, tokenize

    docs = texts(n)
    tagger = LockedTagger(Tagger.load(model), "model")
    article_actors_of(docs[:5], tagger)  # warm: lexicon, decoder weights
    n_tok = sum(len(tokenize(t)) for t in docs)
    c0 = time.process_time()
    found = article_actors_of(docs, tagger)
    cpu = time.process_time() - c0
    print(json.dumps({"tokens": n_tok, "cpu": cpu, "actors": sum(len(a) for a in found)}))


def run(model: Path, n: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(model), "--articles", str(n)],
                         check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ref", default="HEAD", help="git revision of the reference model")
    ap.add_argument("--floor", type=float, default=25_000, help="tokens/s the working tree must reach")
    ap.add_argument("--child")
    a = ap.parse_args()
    if a.child:
        child(a.child, a.articles)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        ref = Path(tmp) / FILES[0]
        for name in FILES:
            blob = subprocess.run(["git", "-C", str(REPO), "show", f"{a.ref}:retrieval/actors/data/{name}"],
                                  check=True, capture_output=True).stdout  # fmt: skip
            (Path(tmp) / name).write_bytes(blob)
        here = REPO / "retrieval" / "actors" / "data" / FILES[0]
        speeds: dict[str, list[float]] = {"working tree": [], a.ref: []}
        found: dict[str, int] = {}
        for _ in range(a.rounds):
            for label, model in (("working tree", here), (a.ref, ref)):
                r = run(model, a.articles)
                speeds[label].append(r["tokens"] / r["cpu"])
                found[label] = r["actors"]
    load = os.getloadavg()[0]
    med = {k: statistics.median(v) for k, v in speeds.items()}
    print(f"{a.articles} articles, rules + CRF, one core, median of {a.rounds} (load average {load:.2f}):")
    print("| model | tokens/s (CPU) | actors found |")
    print("|---|---:|---:|")
    for k in speeds:
        print(f"| {k} | {med[k]:,.0f} | {found[k]} |")
    print(f"ratio working tree / {a.ref}: {med['working tree'] / med[a.ref]:.2f}")
    ok = med["working tree"] >= a.floor
    print(f"floor {a.floor:,.0f} tokens/s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
