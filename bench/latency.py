"""answer() latency on an archive index: this checkout against another (the previous version), same run.

Both checkouts answer the same questions (``bench/scale.py``'s: fragments of archive articles
behind a question word, and a tenth ARCD questions) in a fresh process each, through their own
``bench/scale.py _serve`` on their own index (an index is tied to its analyzer version, so each
checkout needs the index its own ``sanad index`` built). Prints p50/p95 wall and CPU time and the
ratio new / previous. Usage::

    git worktree add /tmp/prev <commit>
    python bench/latency.py --index DIR --previous /tmp/prev --previous-index DIR_BUILT_BY_PREV [--questions 500]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import scale  # noqa: E402


def serve(checkout: Path, index: Path, questions: Path) -> dict:
    return scale.last_json([str(checkout / "bench" / "scale.py"), "_serve", str(index), str(questions)], checkout,
                           f"{checkout}: _serve")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, required=True, help="this checkout's index of the archive")
    ap.add_argument("--previous", type=Path, required=True, help="checkout of the version to compare with")
    ap.add_argument("--previous-index", type=Path, required=True, help="the same corpus indexed by that version")
    ap.add_argument("--archive", type=Path, default=scale.ARCHIVE)
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args(argv)
    with gzip.open(args.archive, "rb") as fh:
        lines = fh.read().splitlines()
    qs = scale._questions(lines, args.questions, args.seed)
    qfile = Path(tempfile.mkdtemp(prefix="sanad-latency-")) / "questions.json"
    qfile.write_text(json.dumps(qs, ensure_ascii=False), encoding="utf-8")
    load0 = os.getloadavg()[0]
    runs = {"previous": serve(args.previous, args.previous_index, qfile), "this": serve(REPO, args.index, qfile)}
    print(f"{len(qs)} questions; load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores\n")
    print("| version | answer() p50 ms (CPU) | p95 ms (CPU) | answered |")
    print("|---|---|---|---|")
    p = scale._pct
    for name, r in runs.items():
        print(f"| {name} | {p(r['answer_ms'], 50):.1f} ({p(r['answer_cpu_ms'], 50):.1f}) | {p(r['answer_ms'], 95):.1f} "
              f"({p(r['answer_cpu_ms'], 95):.1f}) | {r['answered']}/{len(qs)} |")
    a, b = runs["this"], runs["previous"]
    print(f"| ratio this / previous | {p(a['answer_ms'], 50) / p(b['answer_ms'], 50):.2f} "
          f"({p(a['answer_cpu_ms'], 50) / p(b['answer_cpu_ms'], 50):.2f}) | {p(a['answer_ms'], 95) / p(b['answer_ms'], 95):.2f} "
          f"({p(a['answer_cpu_ms'], 95) / p(b['answer_cpu_ms'], 95):.2f}) | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
