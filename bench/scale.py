"""Scale benchmark: Sanad on the SaudiNewsNet archive at four sizes, rank-bm25 measured beside it.

For 25%, 50%, 100% and 200% of the archive (times ``--fraction``) this measures, in one run
(200% is the archive and a mirror of it: every article again under the id ``mirror-ID``, each line's
words in reverse order: the same words and lengths, but no 5-word shingle in common with the
original, so the copy forms no stories with it and answers are not folded away):

* index build (``sanad index SUBSET.jsonl.gz --out DIR``, run as a child process): wall time and
  peak RSS; the saved index's size on disk;
* cold start: ``sanad ask --json --index DIR QUESTION`` as a fresh process, to its first answer
  (median of 3; the index files are in the OS page cache, as on a server that just built them);
* serving: a fresh process loads the index and calls ``answer()`` (retrieve + sentences; actors are
  read from the index since format 3, so the "of which actors" column reads 0 for this version;
  ``bench/archive.py`` is the archive benchmark the README reports)
  on 500 questions, cold caches first: p50/p95/p99 latency, search-only latency
  (``expand`` + ``search``), and the process's RSS after the 500 answers;
* the reference: ``rank_bm25.BM25Okapi`` over the same passages (the bags of terms the index
  holds) in another process: ``get_scores`` latency for the same search terms answer() uses on
  the first ``--okapi-queries`` questions, and the largest score difference from Sanad's;
* incremental addition: ``sanad index NEW.jsonl.gz --add`` of 20 held-out articles to a copy of
  the largest index (time, peak RSS), and how an index grown by ``--add`` compares with a full
  rebuild of the same articles at the smallest size;
* per million passages: a least-squares line through the sizes; then a projection per article
  to 1M and 10M articles, and the size at which one machine stops serving p95 ≤ 50 ms.

The 500 questions: 450 made from the archive (a question word, then 4-9 consecutive words of a
random article of the smallest subset, so every size can answer them) and 50 ARCD questions
(Wikipedia trivia, mostly not in the news: the refusal path), fixed by ``--seed``.

Usage (from the repository root; 5-8 minutes for the whole archive on 2 shared cores)::

    python bench/scale.py [--fraction 1.0] [--questions 500] [--okapi-queries 50] [--work DIR]

Prints markdown tables. The machine may be shared: the load average and the CPU share the
serving process got are printed with the tables.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARCHIVE = REPO.parent / "shared" / "corpus" / "saudinewsnet" / "articles.jsonl.gz"
ARCD = REPO.parent / "shared" / "benchmarks" / "arcd" / "questions.jsonl"
SIZES = (0.25, 0.5, 1.0, 2.0)
P95_LIMIT_MS = 50.0
HELD_OUT = 20
QUESTION_WORDS = ("ماذا", "من", "متى", "أين", "كم", "لماذا", "كيف", "ما", "هل", "ما هو")


def _rss() -> dict[str, float]:
    """This process's memory from /proc (MB): VmRSS, VmHWM (peak), RssAnon, RssFile."""
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) / 1024
    except OSError:
        import resource

        out["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def last_json(argv: list[str], cwd: Path, what: str, env: dict | None = None) -> dict:
    """Run ``python ARGV...`` in a fresh interpreter in ``cwd`` (a checkout); the JSON object it
    prints last. A failure ends the benchmark with ``what`` and the end of the child's stderr."""
    out = subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})})
    if out.returncode != 0:
        raise SystemExit(f"{what} failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _child(args: list[str], env: dict | None = None, script: Path | None = None) -> dict:
    """Run ``SCRIPT _MODE ...`` (default: this ``scale.py``) in a fresh interpreter; returns the JSON it prints last."""
    return last_json([str(script or Path(__file__).resolve()), *args], REPO, f"child {args[0]}", env)


# --------------------------------------------------------------------------- child modes
def child_cli(argv: list[str]) -> None:
    """``_cli ARGS...``: run ``sanad ARGS`` in this process; print wall time and peak RSS."""
    sys.path.insert(0, str(REPO))
    from bot.cli import main

    t0, c0 = time.perf_counter(), time.process_time()
    rc = main(argv)
    print(json.dumps({"rc": rc, "seconds": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                      "peak_mb": _rss().get("VmHWM")}))


def child_serve(index_dir: str, questions_file: str, warmup_file: str = "") -> None:
    """``_serve DIR QUESTIONS [WARMUP]``: load, (answer the warm-up questions,) answer every
    question; report latencies and RSS."""
    t0 = time.perf_counter()
    sys.path.insert(0, str(REPO))
    from retrieval.answer import answer
    from retrieval.index import Index

    t_import = time.perf_counter() - t0
    index = Index.load(index_dir)
    t_load = time.perf_counter() - t0 - t_import
    rss_loaded = _rss()
    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))
    t = time.perf_counter()
    answer("ماذا قال المتحدث الرسمي؟", index)  # loads the actors' lexicon (part of the cold start)
    t_first = time.perf_counter() - t
    # Time spent naming actors (retrieval/actors), to tell it from retrieval and quoting.
    import retrieval.answer as answer_module

    in_actors = [0.0]
    extract = getattr(answer_module, "extract_actors", None)
    if extract is not None:
        def timed(*a, **k):
            t = time.perf_counter()
            try:
                return extract(*a, **k)
            finally:
                in_actors[0] += time.perf_counter() - t

        answer_module.extract_actors = timed
    if warmup_file:
        for q in json.loads(Path(warmup_file).read_text(encoding="utf-8")):
            answer(q, index)
    lat, cpu_lat, actors_lat, search_lat, answered = [], [], [], [], 0
    terms_used = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for q in questions:
        in_actors[0] = 0.0
        t, c = time.perf_counter(), time.process_time()
        ans = answer(q, index)
        lat.append(time.perf_counter() - t)
        cpu_lat.append(time.process_time() - c)
        actors_lat.append(in_actors[0])
        answered += ans.answered
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    for q in questions:
        terms = list(dict.fromkeys(index.analyzer.tokens(q)))
        t = time.perf_counter()
        search_terms = list(index.expand(terms))
        index.search(search_terms, k=20)
        search_lat.append(time.perf_counter() - t)
        terms_used.append(search_terms)
    print(json.dumps({
        "import_s": t_import, "load_s": t_load, "first_s": t_first, "answer_ms": [x * 1000 for x in lat], "answer_cpu_ms": [x * 1000 for x in cpu_lat],
        "actors_ms": [x * 1000 for x in actors_lat], "without_actors_ms": [(x - y) * 1000 for x, y in zip(lat, actors_lat)],
        "search_ms": [x * 1000 for x in search_lat], "answered": answered, "cpu_share": cpu / wall,
        "rss_loaded": rss_loaded, "rss": _rss(), "terms": terms_used,
    }, ensure_ascii=False))


def child_okapi(index_dir: str, terms_file: str, n_queries: str) -> None:
    """``_okapi DIR TERMS N``: rank_bm25.BM25Okapi over the index's passages; get_scores latency and parity."""
    sys.path.insert(0, str(REPO))
    import numpy as np
    from rank_bm25 import BM25Okapi

    from retrieval.index import Index

    index = Index.load(index_dir)
    p = index.postings
    # The bags of terms the postings hold, per passage (what the index scores).
    term_of = np.repeat(np.arange(len(p.df), dtype=np.int64), np.asarray(p.df, dtype=np.int64))
    order = np.argsort(np.asarray(p.docs), kind="stable")
    vocab = list(p.vocab)
    tids, tfs = term_of[order].tolist(), np.asarray(p.tf)[order].tolist()
    bounds = np.searchsorted(np.asarray(p.docs)[order], np.arange(p.n_docs + 1)).tolist()
    docs = []
    for d in range(p.n_docs):
        a, b = bounds[d], bounds[d + 1]
        docs.append([vocab[t] for t, n in zip(tids[a:b], tfs[a:b]) for _ in range(n)])
    del term_of, order, tids, tfs
    t0 = time.perf_counter()
    okapi = BM25Okapi(docs, k1=index.params.k1, b=index.params.b, epsilon=index.params.epsilon)
    build = time.perf_counter() - t0
    queries = [q for q in json.loads(Path(terms_file).read_text(encoding="utf-8")) if q][: int(n_queries)]
    lat, max_diff, same_top = [], 0.0, 0
    cpu = []
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        ref = okapi.get_scores(q)
        lat.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        ours = index.scores(q)
        max_diff = max(max_diff, float(np.max(np.abs(ours - ref))) if len(ref) else 0.0)
        expected = [int(i) for i in np.lexsort((np.arange(len(ref)), -ref))[:20] if ref[i] != 0]
        same_top += [index.passages[i].passage_id for i in expected] == [h.passage.passage_id for h in index.search(q, 20)]
    print(json.dumps({"build_s": build, "get_scores_ms": [x * 1000 for x in lat],
                      "get_scores_cpu_ms": [x * 1000 for x in cpu], "max_diff": max_diff,
                      "same_top20": same_top, "queries": len(queries)}))


def child_compare(grown_dir: str, rebuilt_dir: str, questions_file: str) -> None:
    """``_compare GROWN REBUILT QUESTIONS``: an index grown by --add against a full rebuild."""
    sys.path.insert(0, str(REPO))
    import numpy as np

    from retrieval.answer import answer
    from retrieval.index import Index

    def bags(index: Index) -> list[tuple[str, ...]]:
        p = index.postings
        vocab = list(p.vocab)
        term_of = np.repeat(np.arange(len(p.df), dtype=np.int64), np.asarray(p.df, dtype=np.int64))
        order = np.lexsort((term_of, np.asarray(p.docs)))
        docs_sorted = np.asarray(p.docs)[order]
        words = [vocab[t] for t in term_of[order].tolist()]
        tfs = np.asarray(p.tf)[order].tolist()
        bounds = np.searchsorted(docs_sorted, np.arange(p.n_docs + 1)).tolist()
        return [tuple(sorted(f"{w}:{n}" for w, n in zip(words[a:b], tfs[a:b]))) for a, b in zip(bounds, bounds[1:])]

    grown, rebuilt = Index.load(grown_dir), Index.load(rebuilt_dir)
    assert [x.passage_id for x in grown.passages] == [x.passage_id for x in rebuilt.passages]
    differ = sum(a != b for a, b in zip(bags(grown), bags(rebuilt)))
    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))

    def key(index: Index, q: str):
        a = answer(q, index)
        return [(r.article.id, tuple(x.text for x in r.quotes)) for r in a.results]

    same = sum(key(grown, q) == key(rebuilt, q) for q in questions)
    print(json.dumps({"passages": grown.n_passages, "differ": differ, "same_answers": same, "questions": len(questions)}))


# --------------------------------------------------------------------------- the run
def _write_subset(lines: list[bytes], path: Path) -> None:
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.writelines(lines)


def _mirror(line: bytes) -> bytes:
    """The same article under ``mirror-ID``, each line's words reversed (the 200% size's copy)."""
    obj = json.loads(line)
    obj["id"] = f"mirror-{obj.get('id')}"
    for key in ("title", "text"):
        if isinstance(obj.get(key), str):
            obj[key] = "\n".join(" ".join(reversed(ln.split())) for ln in obj[key].split("\n"))
    return json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n"


def _questions(lines: list[bytes], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    n_arcd = n // 10 if ARCD.is_file() else 0
    while len(out) < n - n_arcd:
        obj = json.loads(lines[rng.randrange(len(lines))])
        words = str(obj.get("text") or "").split()
        if len(words) < 20:
            continue
        size = rng.randint(4, 9)
        start = rng.randrange(len(words) - size)
        out.append(f"{rng.choice(QUESTION_WORDS)} {' '.join(words[start:start + size])}؟")
    if n_arcd:
        arcd = [json.loads(line)["question"] for line in ARCD.read_text(encoding="utf-8").splitlines() if line.strip()]
        out += rng.sample(arcd, n_arcd)
    return out


def _share(x: float) -> str:
    return f"{x:.0%}" if x >= 0.1 else f"{x:.1%}"


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares ``y = a + b x``; returns (a, b)."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    return my - b * mx, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archive", type=Path, default=ARCHIVE)
    ap.add_argument("--fraction", type=float, default=1.0, help="share of the archive for the largest size (sizes are 10%%, 50%%, 100%% of it)")
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--okapi-queries", type=int, default=50, help="questions timed with rank_bm25 get_scores (slow)")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--work", type=Path, help="scratch directory (default: a temporary one, removed after)")
    args = ap.parse_args()
    if not args.archive.is_file():
        raise SystemExit(f"archive not found: {args.archive}")

    work = args.work or Path(tempfile.mkdtemp(prefix="sanad-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    t_start = time.perf_counter()
    with gzip.open(args.archive, "rb") as fh:
        lines = [line for line in fh if line.strip()]
    # Nested random samples (10% inside 50% inside 100%), each in archive order: the archive is
    # grouped by newspaper, so a prefix would not be representative.
    held_out, rest = lines[-HELD_OUT:], lines[:-HELD_OUT]
    rank = list(range(len(rest)))
    random.Random(args.seed).shuffle(rank)
    counts = [max(HELD_OUT + 1, int(len(rest) * args.fraction * s)) for s in SIZES]

    def sample(n: int) -> list[bytes]:
        if n <= len(rest):
            return [rest[i] for i in sorted(rank[:n])]
        return rest + [_mirror(rest[i]) for i in sorted(rank[: n - len(rest)])]

    questions = _questions(sample(counts[0]), args.questions, args.seed)
    qfile = work / "questions.json"
    qfile.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    warm = [q for q in _questions(sample(counts[0]), 2 * args.questions, args.seed + 1) if q not in set(questions)]
    wfile = work / "warmup.json"
    wfile.write_text(json.dumps(warm[: args.questions], ensure_ascii=False), encoding="utf-8")
    _write_subset(held_out, work / "new.jsonl.gz")

    rows = []
    for share, n in zip(SIZES, counts):
        sys.stderr.write(f"[scale] {_share(share * args.fraction)}: {n} article lines\n")
        subset = work / f"subset-{n}.jsonl.gz"
        _write_subset(sample(n), subset)
        out = work / f"idx-{n}"
        build = _child(["_cli", "index", str(subset), "--out", str(out)])
        manifest = json.loads((out / "manifest.json").read_text())
        cold, cold_cpu = [], []
        for _ in range(3):
            t, ru = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            r = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "--json", "--index", str(out), questions[0]],
                               capture_output=True, text=True, cwd=REPO)
            cold.append(time.perf_counter() - t)
            ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cold_cpu.append(ru2.ru_utime + ru2.ru_stime - ru.ru_utime - ru.ru_stime)
            if r.returncode not in (0, 1):
                raise SystemExit(f"sanad ask failed: {r.stderr}")
        serve = _child(["_serve", str(out), str(qfile)])
        steady = _child(["_serve", str(out), str(qfile), str(wfile)])
        steady.pop("terms")
        tfile = work / "terms.json"
        tfile.write_text(json.dumps(serve.pop("terms"), ensure_ascii=False), encoding="utf-8")
        okapi = _child(["_okapi", str(out), str(tfile), str(args.okapi_queries)])
        rows.append({"share": share * args.fraction, "lines": n, "dir": out, "manifest": manifest, "build": build,
                     "disk": _du(out), "cold": cold, "cold_cpu": cold_cpu, "serve": serve, "steady": steady, "okapi": okapi})
        subset.unlink()

    # Incremental: add the held-out articles to a copy of the largest index.
    big = rows[-1]["dir"]
    grown = work / "idx-grown"
    shutil.copytree(big, grown)
    add = _child(["_cli", "index", str(work / "new.jsonl.gz"), "--add", "--out", str(grown)])
    # Agreement with a full rebuild, at the smallest size.
    small_n = counts[0]
    _write_subset(sample(small_n) + held_out, work / "small-plus.jsonl.gz")
    small_grown = work / "idx-small-grown"
    shutil.copytree(rows[0]["dir"], small_grown)
    _child(["_cli", "index", str(work / "new.jsonl.gz"), "--add", "--out", str(small_grown)])
    _child(["_cli", "index", str(work / "small-plus.jsonl.gz"), "--out", str(work / "idx-small-rebuilt")])
    compare = _child(["_compare", str(small_grown), str(work / "idx-small-rebuilt"), str(qfile)])
    load_after = os.getloadavg()
    total = time.perf_counter() - t_start

    # ------------------------------------------------------------------ report
    print(f"## Scale: SaudiNewsNet ({len(lines):,} articles in the archive), `python bench/scale.py"
          f"{'' if args.fraction == 1.0 else f' --fraction {args.fraction}'}`\n")
    print(f"{len(questions)} questions ({len(questions) - len(questions) // 10 if ARCD.is_file() else len(questions)} from the archive, "
          f"{len(questions) // 10 if ARCD.is_file() else 0} ARCD); BM25Okapi timed on the first {args.okapi_queries}. "
          f"Load average {load_before[0]:.2f} before, {load_after[0]:.2f} after, on {os.cpu_count()} cores; "
          f"total {total:.0f} s.\n")
    print("| size | articles | passages | postings | build s (CPU s) | build peak MB | index on disk MB "
          f"| cold start s, median of 3 (CPU s) | serving RSS MB: loaded / after {len(questions):,} answers "
          f"/ after {2 * len(questions):,} |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        c = r["manifest"]["counts"]
        print(f"| {_share(r['share'])} | {c['articles']:,} | {c['passages']:,} | {c['postings']:,} "
              f"| {r['build']['seconds']:.1f} ({r['build']['cpu_s']:.1f}) | {r['build']['peak_mb']:.0f} "
              f"| {r['disk'] / 2**20:.1f} | {statistics.median(r['cold']):.2f} ({statistics.median(r['cold_cpu']):.2f}) "
              f"| {r['serve']['rss_loaded']['VmRSS']:.0f} / {r['serve']['rss']['VmRSS']:.0f} / {r['steady']['rss']['VmRSS']:.0f} |")
    print()
    print(f"Latency in ms, wall clock (CPU time of the process in brackets), {len(questions)} questions: answer() in a "
          f"fresh process, and in a process that has answered {len(questions)} other questions first (warm caches); "
          f"search = expand + search, k = 20; BM25Okapi.get_scores on the same search terms (first {args.okapi_queries}).\n")
    print("| size | process | answer() p50 | answer() p95 | answer() p99 | of which actors p50 / p95 "
          "| answer() without actors p50 / p95 | search p50 / p95 | BM25Okapi p50 | BM25Okapi p95 "
          "| speed-up p50 / p95 (CPU) | answered |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        o = r["okapi"]
        oo = {p: _pct(o["get_scores_ms"], p) for p in (50, 95)}
        oc = {p: _pct(o["get_scores_cpu_ms"], p) for p in (50, 95)}
        for label, s in (("fresh", r["serve"]), ("warm", r["steady"])):
            a = {p: _pct(s["answer_ms"], p) for p in (50, 95, 99)}
            ac = {p: _pct(s["answer_cpu_ms"], p) for p in (50, 95, 99)}
            print(f"| {_share(r['share'])} | {label} | {a[50]:.1f} ({ac[50]:.1f}) | {a[95]:.1f} ({ac[95]:.1f}) "
                  f"| {a[99]:.1f} ({ac[99]:.1f}) | {_pct(s['actors_ms'], 50):.1f} / {_pct(s['actors_ms'], 95):.1f} "
                  f"| {_pct(s['without_actors_ms'], 50):.1f} / {_pct(s['without_actors_ms'], 95):.1f} "
                  f"| {_pct(s['search_ms'], 50):.2f} / {_pct(s['search_ms'], 95):.2f} | {oo[50]:.0f} ({oc[50]:.0f}) "
                  f"| {oo[95]:.0f} ({oc[95]:.0f}) | {oo[50] / a[50]:.0f}x / {oo[95] / a[95]:.0f}x "
                  f"({oc[50] / ac[50]:.0f}x / {oc[95] / ac[95]:.0f}x) | {s['answered']}/{len(questions)} |")
    print()
    last = rows[-1]
    print("Score parity with rank_bm25 (same passages, same search terms): "
          + "; ".join(f"{_share(r['share'])}: max |Δscore| {r['okapi']['max_diff']:.1e}, top-20 identical "
                      f"{r['okapi']['same_top20']}/{r['okapi']['queries']}" for r in rows) + ".")
    s = last["serve"]
    print(f"Largest size, serving process: imports {s['import_s']:.2f} s, index load {s['load_s']:.2f} s, first answer "
          f"{s['first_s']:.2f} s (loads the actors' lexicon; not in the latencies); RSS after load "
          f"{s['rss_loaded']['VmRSS']:.0f} MB, after {len(questions)} answers {s['rss']['VmRSS']:.0f} MB "
          f"(anonymous {s['rss'].get('RssAnon', 0):.0f}, file-backed {s['rss'].get('RssFile', 0):.0f}); "
          f"the serving process got {s['cpu_share']:.0%} of a core while answering; "
          f"BM25Okapi build {last['okapi']['build_s']:.1f} s.\n")

    print("| incremental `sanad index NEW --add --out DIR` | value |")
    print("|---|---|")
    print(f"| articles added to the {_share(last['share'])} index | {HELD_OUT} |")
    print(f"| wall time: load, analyse, recompute statistics, save (CPU) | {add['seconds']:.1f} s ({add['cpu_s']:.1f} s) |")
    print(f"| peak RSS | {add['peak_mb']:.0f} MB |")
    print(f"| {_share(rows[0]['share'])} index + {HELD_OUT} added vs. full rebuild: passages analysed differently "
          f"| {compare['differ']} of {compare['passages']:,} |")
    print(f"| same questions, identical answers (articles and quotes) | {compare['same_answers']}/{compare['questions']} |")
    print()

    xs = [r["manifest"]["counts"]["passages"] / 1e6 for r in rows]
    series = {
        "serving RSS, loaded (MB)": [r["serve"]["rss_loaded"]["VmRSS"] for r in rows],
        f"serving RSS after {2 * len(questions):,} answers (MB)": [r["steady"]["rss"]["VmRSS"] for r in rows],
        "index on disk (MB)": [r["disk"] / 2**20 for r in rows],
        "build time (s)": [r["build"]["seconds"] for r in rows],
        "build CPU time (s)": [r["build"]["cpu_s"] for r in rows],
        "build peak RSS (MB)": [r["build"]["peak_mb"] for r in rows],
        "answer() p50 (ms)": [_pct(r["serve"]["answer_ms"], 50) for r in rows],
        "answer() p95 (ms)": [_pct(r["serve"]["answer_ms"], 95) for r in rows],
        "answer() CPU p50 (ms)": [_pct(r["serve"]["answer_cpu_ms"], 50) for r in rows],
        "answer() CPU p95 (ms)": [_pct(r["serve"]["answer_cpu_ms"], 95) for r in rows],
        "answer() p95, warm (ms)": [_pct(r["steady"]["answer_ms"], 95) for r in rows],
        "answer() without actors p95 (ms)": [_pct(r["serve"]["without_actors_ms"], 95) for r in rows],
        "search p50 (ms)": [_pct(r["serve"]["search_ms"], 50) for r in rows],
        "search p95 (ms)": [_pct(r["serve"]["search_ms"], 95) for r in rows],
        "BM25Okapi.get_scores p50 (ms)": [_pct(r["okapi"]["get_scores_ms"], 50) for r in rows],
    }
    print(f"Per million passages (least-squares line through the {len(xs)} sizes: "
          f"{', '.join(f'{x * 1e6:,.0f}' for x in xs)} passages):\n")
    print("| quantity | fixed part | per million passages | predicted at 1M passages | measured |")
    print("|---|---|---|---|---|")
    for name, ys in series.items():
        a, b = _fit(xs, ys)
        print(f"| {name} | {a:,.1f} | {b:,.1f} | {a + b:,.1f} | {' / '.join(f'{y:,.1f}' for y in ys)} |")
    _projection(rows, series)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


def _projection(rows: list[dict], series: dict[str, list[float]]) -> None:
    """Each quantity as a line in articles, projected to 1M and 10M articles; where p95 passes the limit."""
    xs = [r["manifest"]["counts"]["articles"] / 1e6 for r in rows]
    print(f"\nPer million articles (the same measurements against articles: {', '.join(f'{x * 1e6:,.0f}' for x in xs)}), "
          "projected:\n")
    print("| quantity | fixed part | per million articles | at 1M articles | at 10M articles |")
    print("|---|---|---|---|---|")
    for name, ys in series.items():
        a, b = _fit(xs, ys)
        print(f"| {name} | {a:,.1f} | {b:,.1f} | {a + b:,.1f} | {a + 10 * b:,.1f} |")
    for name in ("answer() p95 (ms)", "answer() p95, warm (ms)", "search p95 (ms)"):
        a, b = _fit(xs, series[name])
        where = f"{(P95_LIMIT_MS - a) / b * 1e6:,.0f} articles" if b > 0 else "never on this line (no growth measured)"
        print(f"\n{name} reaches {P95_LIMIT_MS:.0f} ms at {where}.", end="")
    print()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        mode, rest = sys.argv[1], sys.argv[2:]
        {"_cli": lambda: child_cli(rest), "_serve": lambda: child_serve(*rest), "_okapi": lambda: child_okapi(*rest),
         "_compare": lambda: child_compare(*rest)}[mode]()
    else:
        main()
