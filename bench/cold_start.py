"""Cold and warm start against another version, same run: fresh ``sanad ask`` and ``sanad actors NAME``
processes, then warm ``answer()`` latency and the serving process's resident memory.

Each version runs from its own checkout (``--prev``: a ``git worktree`` of the version to compare
with) on the index its own ``sanad index`` built (an index is read by the version that wrote it):

1. ``sanad ask --json --index DIR QUESTION`` as a fresh process, ``--runs`` times (median wall
   time; peak RSS of the process), the index files in the page cache (one run first, not counted);
2. ``sanad actors NAME --index DIR`` likewise (``NAME``: ``--actor``, default حفتر);
3. one process per version: ``Sanad(Index.load(DIR)).answer(q)`` on ``--warmup`` questions, then
   ``--questions`` questions timed (mean, p50, p95 wall; mean and p95 CPU); RSS (VmRSS, of which file-backed:
   the memory-mapped index) after loading, after the first answer and after the last.

Questions are ``bench/scale.py``'s (fragments of archive articles behind a question word; a tenth
ARCD), fixed by ``--seed``. Usage::

    python bench/cold_start.py --index DIR --prev /tmp/prev --prev-index DIR_BUILT_BY_PREV [--questions 500]

Prints a markdown table, with the machine's load average before and after.
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
sys.path.insert(0, str(REPO / "bench"))

import scale  # noqa: E402

QUESTION = "ماذا قال المتحدث الرسمي باسم وزارة الداخلية؟"

# Run in a checkout (cwd: its own ``retrieval``): warm answers, latencies and memory as JSON.
_SERVE = r"""
import json, sys, time
from pathlib import Path

def rss():
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssFile", "RssAnon", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out

from retrieval.index import Index
from retrieval.service import Sanad

sanad = Sanad(Index.load(sys.argv[1]))
mem = {"loaded": rss()}
questions = json.loads(open(sys.argv[2], encoding="utf-8").read())
warmup = json.loads(open(sys.argv[3], encoding="utf-8").read())
sanad.answer(questions[0])
mem["first answer"] = rss()
for q in warmup:
    sanad.answer(q)
lat, cpu, answered = [], [], 0
for q in questions:
    t, c = time.perf_counter(), time.process_time()
    answered += sanad.answer(q).answered
    lat.append(1000 * (time.perf_counter() - t))
    cpu.append(1000 * (time.process_time() - c))
mem["after all"] = rss()
print(json.dumps({"ms": lat, "cpu_ms": cpu, "answered": answered, "rss": mem}))
"""


def _fresh(checkout: Path, args: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and largest peak RSS (MB) of ``sanad ARGS`` as a fresh process (one run first, not counted)."""
    walls, peaks = [], []
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    for i in range(runs + 1):
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=checkout, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"{checkout}: sanad {' '.join(args)} failed: {err[-2000:]}")
        if i:
            walls.append(wall)
            peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(walls), max(peaks)


def _serve(checkout: Path, index: Path, qfile: Path, wfile: Path) -> dict:
    return scale.last_json(["-c", _SERVE, str(index), str(qfile), str(wfile)], checkout, f"{checkout}: serving")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, required=True, help="this checkout's index")
    ap.add_argument("--prev", type=Path, required=True, help="checkout of the version to compare with")
    ap.add_argument("--prev-index", type=Path, required=True, help="the same corpus indexed by that version")
    ap.add_argument("--archive", type=Path, default=scale.ARCHIVE, help="the .jsonl.gz the questions are made from")
    ap.add_argument("--actor", default="حفتر")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args(argv)
    load0 = os.getloadavg()
    versions = (("previous", args.prev.resolve(), args.prev_index), ("this", REPO, args.index))
    # Fresh processes first, while this one is small: a child's peak RSS counts the parent's pages until it execs.
    fresh = {name: (_fresh(checkout, ["ask", "--json", "--index", str(index), QUESTION], args.runs),
                    _fresh(checkout, ["actors", args.actor, "--index", str(index)], args.runs))
             for name, checkout, index in versions}  # fmt: skip
    opener = gzip.open if args.archive.suffix == ".gz" else open
    with opener(args.archive, "rb") as fh:
        lines = fh.read().splitlines()
    qs = scale._questions(lines, args.questions + args.warmup, args.seed)
    del lines
    work = Path(tempfile.mkdtemp(prefix="sanad-start-"))
    qfile, wfile = work / "q.json", work / "w.json"
    qfile.write_text(json.dumps(qs[: args.questions], ensure_ascii=False), encoding="utf-8")
    wfile.write_text(json.dumps(qs[args.questions :], ensure_ascii=False), encoding="utf-8")
    rows = {name: (*fresh[name], _serve(checkout, index, qfile, wfile)) for name, checkout, index in versions}
    load1 = os.getloadavg()
    p = scale._pct
    print(f"load average {load0[0]:.2f} / {load0[1]:.2f} (1 / 5 min) before, {load1[0]:.2f} / {load1[1]:.2f} after, "
          f"on {os.cpu_count()} cores; {args.questions} questions after {args.warmup} to warm up\n")
    print("| version | fresh `sanad ask` (median of "
          f"{args.runs}) | its peak RSS | fresh `sanad actors {args.actor}` | its peak RSS | warm answer() mean / p50 / p95 "
          "(CPU mean / p95) | answered | RSS after load / first answer / all (of which mapped files) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, ((ask_s, ask_mb), (act_s, act_mb), serve) in rows.items():
        lat, mem = serve["ms"], serve["rss"]
        rss = " / ".join(f"{m['VmRSS']:.0f} ({m.get('RssFile', 0):.0f})" for m in mem.values())
        print(f"| {name} | {ask_s:.2f} s | {ask_mb:.0f} MB | {act_s:.2f} s | {act_mb:.0f} MB | "
              f"{statistics.mean(lat):.2f} / {p(lat, 50):.2f} / {p(lat, 95):.2f} ms ({statistics.mean(serve['cpu_ms']):.2f} / "
              f"{p(serve['cpu_ms'], 95):.2f}) | "
              f"{serve['answered']}/{len(lat)} | {rss} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
