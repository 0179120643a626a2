"""Sanad on the full SaudiNewsNet archive: build with actors, cold start, warm answers, actor look-ups,
against rank-bm25's ``BM25Okapi.get_scores`` timed in the same run.

Every answer goes through :class:`retrieval.service.Sanad` (what ``sanad ask`` and the bot call),
with default settings. Steps, each in a fresh interpreter:

1. ``sanad index ARCHIVE libya-news --out WORK/index`` (wall, CPU, peak RSS of the process and its
   tagging workers);
2. cold start: import + load + first answer, three times (median);
3. warm: one process answers N warm-up questions, then N questions timed (mean, p50, p95);
4. ``sanad actors NAME`` as a look-up in a warm process (``Sanad.actor`` with the command's default
   20 sentences) for the 50 most-named actors, after the actor index is built on first use;
5. ``BM25Okapi.get_scores`` on the same search terms (the first 50 questions).

Usage: ``python bench/archive.py [--index DIR] [--questions 500] [--work DIR]`` (``--index``:
reuse a built index and skip step 1).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import scale  # noqa: E402

LIBYA = REPO.parent / "shared" / "corpus" / "libya-news"


def _me(args: list[str]) -> dict:
    return scale._child(args, script=Path(__file__).resolve())


def child_cold(index_dir: str) -> None:
    t0 = time.perf_counter()
    sys.path.insert(0, str(REPO))
    from retrieval.index import Index
    from retrieval.service import Sanad

    sanad = Sanad(Index.load(index_dir))
    sanad.answer("ماذا قال المتحدث الرسمي باسم وزارة الداخلية؟")
    print(json.dumps({"cold_s": time.perf_counter() - t0}))


def child_warm(index_dir: str, questions_file: str, warmup_file: str) -> None:
    sys.path.insert(0, str(REPO))
    from retrieval.index import Index
    from retrieval.service import Sanad

    index = Index.load(index_dir)
    sanad = Sanad(index)
    for q in json.loads(Path(warmup_file).read_text(encoding="utf-8")):
        sanad.answer(q)
    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))
    lat, answered, terms = [], 0, []
    for q in questions:
        t = time.perf_counter()
        answered += sanad.answer(q).answered
        lat.append(1000 * (time.perf_counter() - t))
        terms.append(list(index.expand(list(dict.fromkeys(index.analyzer.tokens(q))))))
    t = time.perf_counter()
    actors = sanad.actors
    actor_build = time.perf_counter() - t
    names = [e.name for e in actors.top(n=50)]
    actor_lat = []
    for name in names:
        t = time.perf_counter()
        sanad.actor(name, limit=20)  # `sanad actors NAME`'s default --limit
        actor_lat.append(1000 * (time.perf_counter() - t))
    print(json.dumps({"answer_ms": lat, "answered": answered, "terms": terms, "actor_index_s": actor_build,
                      "actor_ms": actor_lat, "actors": len(actors), "mentions": len(index.mentions)}, ensure_ascii=False))


def _build(work: Path) -> tuple[Path, dict]:
    out = work / "index"
    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "index", str(scale.ARCHIVE), str(LIBYA), "--out", str(out)],
        cwd=REPO, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, {
        "wall_s": time.perf_counter() - t0,
        "cpu_s": (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime),
        "peak_mb": c1.ru_maxrss / 1024,  # the largest of the process and its workers
        "last_line": proc.stderr.strip().splitlines()[-1],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, help="a built index of the archive (skips the build)")
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--okapi-queries", type=int, default=50)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--work", type=Path)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sanad-archive-"))
    work.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()[0]
    index, build = (args.index, None) if args.index else _build(work)
    with gzip.open(scale.ARCHIVE, "rb") as fh:
        lines = fh.read().splitlines()
    qs = scale._questions(lines, 2 * args.questions, args.seed)
    (work / "q.json").write_text(json.dumps(qs[: args.questions], ensure_ascii=False), encoding="utf-8")
    (work / "w.json").write_text(json.dumps(qs[args.questions :], ensure_ascii=False), encoding="utf-8")
    cold = sorted(_me(["_cold", str(index)])["cold_s"] for _ in range(3))
    warm = _me(["_warm", str(index), str(work / "q.json"), str(work / "w.json")])
    (work / "terms.json").write_text(json.dumps(warm["terms"], ensure_ascii=False), encoding="utf-8")
    okapi = scale._child(["_okapi", str(index), str(work / "terms.json"), str(args.okapi_queries)])
    _report(args, load0, build, cold, warm, okapi)


def _report(args, load0: float, build: dict | None, cold: list[float], warm: dict, okapi: dict) -> None:
    lat, ref = warm["answer_ms"], okapi["get_scores_ms"]
    n_ref = len(ref)
    mean_ours, mean_ref = statistics.mean(lat[:n_ref]), statistics.mean(ref)
    p = scale._pct
    print(f"load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores; "
          f"{len(lat)} questions ({warm['answered']} answered), {warm['actors']} actors, {warm['mentions']} mentions\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    if build:
        print(f"| index build with actors (wall / CPU) | {build['wall_s']:.0f} s / {build['cpu_s']:.0f} s | ≤ 180 s |")
        print(f"| index build peak memory (largest process) | {build['peak_mb']:.0f} MB | stated |")
    print(f"| cold start: load + first answer (median of 3) | {cold[1]:.2f} s | ≤ 1 s |")
    print(f"| warm answer() mean / p50 / p95 | {statistics.mean(lat):.1f} / {p(lat, 50):.1f} / {p(lat, 95):.1f} ms | p95 ≤ 10 ms |")
    print(f"| BM25Okapi.get_scores mean (first {n_ref} questions' terms) | {mean_ref:.0f} ms | |")
    print(f"| answer() mean / get_scores mean, same {n_ref} questions | {mean_ref / mean_ours:.0f}x faster | ≥ 100x |")
    print(f"| actor index built on first use | {warm['actor_index_s']:.2f} s | |")
    a = warm["actor_ms"]
    print(f"| `sanad actors NAME` look-up, warm (the 50 most-named, 20 sentences) p50 / p95 / max | {p(a, 50):.1f} / {p(a, 95):.1f} / {max(a):.1f} ms | ≤ 20 ms |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        {"_cold": child_cold, "_warm": child_warm}[sys.argv[1]](*sys.argv[2:])
    else:
        main()
