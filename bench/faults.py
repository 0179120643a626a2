"""Faults, this checkout against ``--prev`` (a checkout of the previous version) in the same run.

``--attacks`` (#21): the twelve attacks of issue #21, each run against both versions, one table row
each with what was observed on either side (held / failed). The attacks live in ``bench/attacks/``
(one module per layer: ``corpus``, ``webhook``, ``state``, ``bot``), each
``fn(checkout, work) -> (held, observed)`` run as processes of that checkout, loopback only.

Without ``--attacks`` (#15): one large article through ``sanad index``: seconds per article size,
rules-only tagging in both.

The article is the five embedded articles repeated up to the size, each copy's sentences ending
with the copy's number (so no sentence repeats another: the case where ``unique_sentences``
compared every sentence with every earlier one, quadratic in the article's length).

Usage: ``python bench/faults.py --attacks --prev /tmp/prev [--only 1,3]`` or
``python bench/faults.py --prev /tmp/prev [--sizes 250000,500000,900000]``
(``git worktree add /tmp/prev <commit>`` makes the previous version's checkout).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def _attacks() -> list[tuple[int, str, Callable[[Path, Path], tuple[bool, str]]]]:
    sys.path.insert(0, str(REPO / "bench"))
    found = []
    for name in ("corpus", "webhook", "state", "bot"):
        found.extend(importlib.import_module(f"attacks.{name}").ATTACKS)
    return sorted(found, key=lambda a: a[0])


def _run_attack(fn: Callable[[Path, Path], tuple[bool, str]], checkout: Path) -> tuple[str, float]:
    with tempfile.TemporaryDirectory(prefix="sanad-attack-") as work:
        t0 = time.perf_counter()
        try:
            held, observed = fn(checkout, Path(work))
        except Exception as e:  # noqa: BLE001 - an attack that crashes the harness is reported, not fatal
            held, observed = False, f"the attack itself failed: {type(e).__name__}: {e}"
        verdict = "**held**" if held else "failed"
        return f"{verdict}: {' '.join(observed.split())}", time.perf_counter() - t0


def attacks_main(prev: Path | None, only: set[int] | None) -> None:
    load0 = os.getloadavg()[0]
    rows = []
    for number, title, fn in _attacks():
        if only and number not in only:
            continue
        sys.stderr.write(f"[faults] attack {number}: {title}\n")
        new, new_s = _run_attack(fn, REPO)
        old, old_s = _run_attack(fn, prev) if prev else ("not run", 0.0)
        rows.append((number, title, old, new, old_s + new_s))
    print(f"Load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores; "
          f"previous version: {prev or 'not given'}.\n")
    print("| # | attack | previous version | this version |")
    print("|---|---|---|---|")
    for number, title, old, new, _ in rows:
        print(f"| {number} | {title} | {old} | {new} |")
    held = sum(new.startswith("**held**") for *_, new, _ in rows)
    print(f"\n{held} of {len(rows)} attacks held by this version.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prev", type=Path)
    ap.add_argument("--attacks", action="store_true", help="run the attacks of #21 (default: the large-article timing of #15)")
    ap.add_argument("--only", help="with --attacks: comma-separated attack numbers")
    ap.add_argument("--sizes", default="250000,500000,900000")
    args = ap.parse_args()
    if args.attacks:
        attacks_main(args.prev, {int(n) for n in args.only.split(",")} if args.only else None)
        return
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
