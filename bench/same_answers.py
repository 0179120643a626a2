"""Same answers as another version: ``sanad ask --json`` of N questions, and every candidate's evidence.

Checks that a change that should change nothing an answer says (a new index format, a faster
path) changes nothing: this checkout and another (``--prev``, a ``git worktree`` of the version
to compare with) each index the same corpus with their own ``sanad index`` (an index is read by
the version that wrote it), then answer the same questions:

1. ``sanad ask --json -`` (one process per version, one question per line): the JSON lines must be
   byte for byte the same (results, quotes, offsets, probabilities, actors, notes);
2. a dump per question through the library (``retrieval.answer``): every candidate's evidence
   vector and the model's unrounded probability, and each result's quotes with their highlights
   (which the JSON does not carry): equal as Python values;
3. the actor index (``sanad actors``): the 50 most-named actors of each type, and for each of them
   and for its last word alone (``حفتر``), what a look-up finds, its sentences and co-actors.

Questions are made as ``bench/scale.py`` makes them (a question word, then 4-9 consecutive words of a
random article of the corpus's ``.jsonl``/``.jsonl.gz`` files; a tenth ARCD questions), fixed by ``--seed``.
Usage (from the repository root)::

    git worktree add /tmp/prev f707606
    SANAD_ACTORS_BACKEND=model python bench/same_answers.py --prev /tmp/prev [--corpus FILE ...] [--questions 500]
    python bench/same_answers.py --prev /tmp/prev --index DIR --prev-index DIR_BUILT_BY_PREV --corpus FILE

Without ``--corpus`` the SaudiNewsNet archive and the Libya corpus are indexed (``bench/archive.py``'s).
Exit 0 when every question's answer is the same, 1 otherwise (the first differences are printed).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import scale  # noqa: E402

LIBYA = REPO.parent / "shared" / "corpus" / "libya-news"

# Run in each checkout (cwd, so that its own ``retrieval`` is imported): one JSON line per question.
_DUMP = r"""
import json, sys
from retrieval.answer import answer, candidates
from retrieval.answerability import load_model
from retrieval.errors import InputError
from retrieval.index import Index

index = Index.load(sys.argv[1])
model = load_model()
for q in json.loads(open(sys.argv[2], encoding="utf-8").read()):
    try:
        _, cands = candidates(q, index)
        ans = answer(q, index)
    except InputError as e:
        print(json.dumps({"error": str(e)}, ensure_ascii=False))
        continue
    out = {
        "candidates": [[c.hit.passage.passage_id, c.rank, list(c.evidence.vector()), model.probability(c.evidence)]
                       for c in cands],
        "results": [[r.article.id, r.probability, [[qt.start, qt.end, qt.text, [list(h) for h in qt.highlights]]
                                                   for qt in r.quotes], list(r.repeats)] for r in ans.results],
        "closest": None if ans.closest is None else [ans.closest.article.id, ans.closest.probability,
                                                     [[qt.start, qt.end, [list(h) for h in qt.highlights]] for qt in ans.closest.quotes]],
    }
    print(json.dumps(out, ensure_ascii=False))
"""


# The actor index of each checkout: the most-named, and the look-ups of their names and last words.
_ACTORS = r"""
import dataclasses, json, sys
from retrieval.errors import InputError
from retrieval.index import Index
from retrieval.service import Sanad

sanad = Sanad(Index.load(sys.argv[1]))
top = {t: [dataclasses.asdict(e) for e in sanad.actors.top(t, 50)] for t in ("person", "organization", "place")}
print(json.dumps(top, ensure_ascii=False))
names = [e["name"] for es in top.values() for e in es]
for name in names + [n.split()[-1] for n in names if n.split()]:
    try:
        found = [e.key for e in sanad.actors.find(name)]
        r = sanad.actor(name, limit=20)
    except InputError as e:
        print(json.dumps({"name": name, "error": str(e)}, ensure_ascii=False))
        continue
    report = None if r is None else [dataclasses.asdict(r.entry), [dataclasses.asdict(s) for s in r.sentences],
                                      [[e.key, n] for e, n in r.co_actors]]
    print(json.dumps({"name": name, "found": found, "report": report}, ensure_ascii=False))
"""


def _lines(paths: list[Path]) -> list[bytes]:
    """The JSON lines of the corpus's ``.jsonl`` and ``.jsonl.gz`` files (directories are indexed, not asked about)."""
    out: list[bytes] = []
    for p in paths:
        if p.suffix == ".gz":
            with gzip.open(p, "rb") as fh:
                out += fh.read().splitlines()
        elif p.suffix == ".jsonl":
            out += p.read_bytes().splitlines()
    return [line for line in out if line.strip()]


def _build(checkout: Path, corpus: list[Path], out: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "index", *map(str, corpus), "--out", str(out)],
                          cwd=checkout, capture_output=True, text=True)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"{checkout}: sanad index failed: {proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def _ask(checkout: Path, index: Path, questions: list[str]) -> list[str]:
    stdin = "".join(q + "\n" for q in questions).encode("utf-8")
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "--json", "-", "--index", str(index)],
                          cwd=checkout, input=stdin, capture_output=True)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"{checkout}: sanad ask failed: {proc.stderr.decode('utf-8', 'replace')[-2000:]}")
    return proc.stdout.decode("utf-8").splitlines()


def _dump(checkout: Path, index: Path, qfile: Path, code: str = _DUMP) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", code, str(index), str(qfile)], cwd=checkout, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{checkout}: the dump failed: {proc.stderr[-2000:]}")
    return proc.stdout.splitlines()


def _compare(name: str, questions: list[str], this: list[str], prev: list[str], show: int = 3) -> int:
    """How many questions differ (printing the first ``show``)."""
    if len(this) != len(prev) or len(this) != len(questions):
        print(f"{name}: {len(this)} lines here, {len(prev)} from the other version, for {len(questions)} questions")
        return max(len(questions), 1)
    differ = [i for i, (a, b) in enumerate(zip(this, prev)) if a != b]
    print(f"{name}: {len(questions) - len(differ)}/{len(questions)} questions the same")
    for i in differ[:show]:
        print(f"  question {i}: {questions[i]}\n    this: {this[i][:600]}\n    prev: {prev[i][:600]}")
    return len(differ)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prev", type=Path, required=True, help="checkout of the version to compare with (a git worktree)")
    ap.add_argument("--corpus", type=Path, action="append", help="corpus paths (default: the archive and the Libya corpus)")
    ap.add_argument("--index", type=Path, help="this checkout's index of the corpus (default: built now)")
    ap.add_argument("--prev-index", type=Path, help="the other version's index of the same corpus (default: built now)")
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--work", type=Path, help="directory for the indexes and questions (default: a new temporary one)")
    args = ap.parse_args(argv)
    corpus = args.corpus or [scale.ARCHIVE, LIBYA]
    work = args.work or Path(tempfile.mkdtemp(prefix="sanad-same-"))
    work.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()[0]
    index, prev_index = args.index, args.prev_index
    if index is None:
        index = work / "index"
        print(f"indexed by this checkout in {_build(REPO, corpus, index):.0f} s -> {index}")
    if prev_index is None:
        prev_index = work / "prev-index"
        print(f"indexed by {args.prev} in {_build(args.prev.resolve(), corpus, prev_index):.0f} s -> {prev_index}")
    lines = _lines(corpus)
    if not lines:
        raise SystemExit("no .jsonl or .jsonl.gz file among the corpus paths to make questions from")
    questions = scale._questions(lines, args.questions, args.seed)
    qfile = work / "questions.json"
    qfile.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    prev = args.prev.resolve()
    differ = _compare("sanad ask --json", questions, _ask(REPO, index, questions), _ask(prev, prev_index, questions))
    differ += _compare("candidates' evidence, probabilities, quotes and highlights", questions,
                       _dump(REPO, index, qfile), _dump(prev, prev_index, qfile))  # fmt: skip
    this, other = _dump(REPO, index, qfile, _ACTORS), _dump(prev, prev_index, qfile, _ACTORS)
    looked_up = [json.loads(line).get("name", "") for line in this[1:]]
    differ += _compare("actor look-ups (top 50 per type, then each name and its last word)", ["(top lists)", *looked_up],
                       this, other)  # fmt: skip
    print(f"load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores")
    return 0 if differ == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
