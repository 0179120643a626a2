"""Recall of the actors of the answers to the default corpus's test questions, by tagger.

For each `tests` question of ``bench/questions/libya.jsonl`` the names its answering sentences hold
are written by hand in ``bench/labels/answer_actors.tsv``. Each question goes through
:class:`retrieval.service.Sanad` (what ``sanad ask`` calls) over the five embedded articles,
indexed with each ``--tagger`` (``auto``: the default); a name counts as found when one actor of the
first result holds it or is held by it (normalized, any type). Also printed: the actors listed that
are no name of the labels and no part of one (candidates for junk, to read).

Usage: ``python bench/answer_actors.py [--tagger auto,model,ensemble,rules] [--code DIR]`` (``--code``:
run another checkout's code, e.g. a worktree of the previous version, on the same labels).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "bench" / "labels" / "answer_actors.tsv"


def labels() -> list[tuple[str, list[str]]]:
    out = []
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("question\t"):
            continue
        q, names = line.split("\t")
        out.append((q, names.split("|")))
    return out


def child(code: str, tagger: str) -> None:
    sys.path.insert(0, code)
    from retrieval.index import Index
    from retrieval.normalize import normalize_token

    def normalize(text: str) -> str:
        return " ".join(normalize_token(w) for w in text.split())
    from retrieval.corpus_files import read_articles
    from retrieval.service import Sanad

    corpus = Path(code) / "retrieval" / "data" / "libya-news"
    index = Index.build(read_articles([corpus], []), tagger=tagger)
    sanad = Sanad(index)
    found = total = 0
    extra: list[str] = []
    for q, names in labels():
        ans = sanad.answer(q)
        listed = [a.text for a in ans.results[0].actors] if ans.results else []
        keys = [normalize(a) for a in listed]
        gold = [normalize(n) for n in names]
        for g in gold:
            total += 1
            found += any(g in k or k in g for k in keys)
        extra += [a for a, k in zip(listed, keys) if not any(g in k or k in g for g in gold)]
    print(json.dumps({"found": found, "total": total, "extra": extra}, ensure_ascii=False))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tagger", default="auto,model,rules")
    ap.add_argument("--code", default=str(REPO))
    ap.add_argument("--child", action="store_true")
    a = ap.parse_args()
    if a.child:
        child(a.code, a.tagger)
        return 0
    print(f"code: {a.code}")
    print("| tagger | answer actors found | recall | listed, not in the labels |")
    print("|---|---:|---:|---|")
    for t in a.tagger.split(","):
        out = subprocess.run([sys.executable, __file__, "--child", "--code", a.code, "--tagger", t],
                             check=True, capture_output=True, text=True)  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {t} | {r['found']} / {r['total']} | {r['found'] / r['total']:.3f} | {'، '.join(r['extra']) or '—'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
