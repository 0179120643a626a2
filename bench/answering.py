"""Answering benchmark through the user's path: every figure is a `sanad eval --json` run.

Rows (README "Answering"):

* ARCD, every paragraph indexed, `--top-k 10`, default settings: MRR@10 with refusals counted as
  misses; the same with `--min-confidence 0` (ranking only, nothing refused); and the search
  layer alone (BM25 terms -> expand -> search, ranked by article), the layer below `answer()`.
* ARCD held-out half: `--holdout 0.5 --seed 0` (the paragraphs `random.Random(0).sample` keeps;
  the questions on the other half must be refused).
* ARCD official test split (`split.json`; the shipped model never saw it): defaults against
  `--min-confidence 0`. Belebele's test part (retrieval/training/splits.py; all its passages indexed): the
  same, and its held-out half. Our dialect and paraphrase questions (`bench/questions/dialect.jsonl`) and
  dialect off-topic ones, tune and held-out halves apart, on the default corpus and the archive.
* Off-topic: every ARCD question asked of the default corpus; the out-of-corpus questions of
  `bench/questions/out_of_corpus.jsonl` (tune and held-out halves apart) asked of the default
  corpus and, with `--archive DIR`, of an index of the default corpus + the SaudiNewsNet archive.
* The default corpus's own questions (`bench/questions/libya.jsonl`: the test suite's and new
  ones) on the default corpus and on the archive index.
* Determinism: `sanad ask --json -` on all these questions under three `PYTHONHASHSEED`s.

ARCD and the archive are read from ``../shared`` into a temporary directory (never the repository).
Usage::

    python bench/answering.py [--archive DIR] [--arcd DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from retrieval.training.splits import arcd_part, belebele_part, jsonl  # noqa: E402

SHARED = REPO.parent / "shared"
QUESTIONS = REPO / "bench" / "questions"



def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def sanad(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")} | (env or {})
    out = subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
                         env=full, cwd=REPO)
    if out.returncode not in (0, 1):
        raise SystemExit(f"sanad {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
    return out.stdout


def evaluate(questions: Path, *args: str) -> dict:
    return json.loads(sanad("eval", str(questions), "--json", *args))


def search_layer(arcd: Path) -> float:
    """MRR@10 of the search layer alone on ARCD (bench/arcd.py's ranking, tokens -> expand -> search)."""
    sys.path.insert(0, str(REPO / "bench"))
    import arcd as bench_arcd

    contexts, questions = bench_arcd.load_arcd(arcd, None)
    from retrieval.index import Index

    index = Index.build(bench_arcd._articles(contexts))
    return bench_arcd.eval_sanad(index, questions, expand=True).mrr


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arcd", type=Path, default=SHARED / "benchmarks" / "arcd")
    ap.add_argument("--archive", type=Path, help="index of the default corpus + SaudiNewsNet (sanad index ... --out DIR)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="sanad-answering-"))
    contexts = jsonl(args.arcd / "contexts.jsonl")
    arcd_q = jsonl(args.arcd / "questions.jsonl")
    articles = _write(tmp / "arcd-articles.jsonl", [{"id": c["context_id"], "title": c["title"], "text": c["text"]} for c in contexts])
    q_arcd = _write(tmp / "arcd-questions.jsonl", [{"question": q["question"], "article_id": q["context_id"]} for q in arcd_q])
    q_arcd_off = _write(tmp / "arcd-off-topic.jsonl", [{"question": q["question"], "article_id": ""} for q in arcd_q])
    ooc = jsonl(QUESTIONS / "out_of_corpus.jsonl")
    q_ooc = {s: _write(tmp / f"ooc-{s}.jsonl", [q for q in ooc if q["split"] == s]) for s in ("tune", "heldout")}
    libya = jsonl(QUESTIONS / "libya.jsonl")
    q_lib = {s: _write(tmp / f"libya-{s}.jsonl", [q for q in libya if q["split"] == s]) for s in ("tests", "new")}
    part = arcd_part(args.arcd)
    q_arcd_test = _write(tmp / "arcd-test.jsonl", [{"question": q["question"], "article_id": q["context_id"]}
                                                  for q in arcd_q if part.get(q["context_id"]) == "test"])
    bb_dir = SHARED / "qa" / "belebele-eqa-ar"
    bb_articles = _write(tmp / "belebele-articles.jsonl", [{"id": c["context_id"], "text": c["text"]}
                                                           for c in jsonl(bb_dir / "contexts.jsonl")])
    # Belebele's test part (retrieval/training/splits.py): questions on passages the model never saw; every
    # passage indexed (the train part's are distractors).
    q_bb = _write(tmp / "belebele-test.jsonl", [{"question": q["question"], "article_id": q["context_id"]}
                                                for q in jsonl(bb_dir / "questions.jsonl")
                                                if belebele_part(q["context_id"]) == "test"])
    dialect = jsonl(QUESTIONS / "dialect.jsonl")
    dialect_off = jsonl(QUESTIONS / "dialect_off_topic.jsonl")
    q_dia = {s: _write(tmp / f"dialect-{s}.jsonl", [q for q in dialect if q["split"] == s]) for s in ("tune", "heldout")}
    q_dia_off = {s: _write(tmp / f"dialect-off-{s}.jsonl", [q for q in dialect_off if q["split"] == s])
                 for s in ("tune", "heldout")}

    rows: list[tuple[str, str, str, dict]] = []

    def row(name: str, command: str, questions: Path, *extra: str) -> None:
        rep = evaluate(questions, *extra)
        rows.append((name, command, str(questions.name), rep))
        print(f"{name}: {json.dumps({k: rep[k] for k in ('recall_at_1', 'mrr_at_10', 'answered_of_answerable', 'refused_of_unanswerable')})}",
              file=sys.stderr)

    corpus = ("--corpus", str(articles))
    row("ARCD full index, defaults, top-k 10", "sanad eval Q --corpus A --top-k 10", q_arcd, *corpus, "--top-k", "10")
    row("ARCD full index, ranking only (nothing refused)", "... --min-confidence 0", q_arcd, *corpus, "--top-k", "10",
        "--min-confidence", "0")
    row("ARCD held-out half (seed 0), defaults", "... --holdout 0.5 --seed 0", q_arcd, *corpus, "--top-k", "10",
        "--holdout", "0.5", "--seed", "0")
    row("ARCD official test split, full index, defaults", "sanad eval Q_TEST --corpus A --top-k 10", q_arcd_test,
        *corpus, "--top-k", "10")
    row("same, nothing refused", "... --min-confidence 0", q_arcd_test, *corpus, "--top-k", "10", "--min-confidence", "0")
    bb = ("--corpus", str(bb_articles), "--top-k", "10")
    row("Belebele test part, every passage indexed, defaults", "sanad eval BQ_TEST --corpus B --top-k 10", q_bb, *bb)
    row("same, nothing refused", "... --min-confidence 0", q_bb, *bb, "--min-confidence", "0")
    row("Belebele test part, held-out half (seed 0), defaults", "... --holdout 0.5 --seed 0", q_bb, *bb, "--holdout", "0.5",
        "--seed", "0")
    row("ARCD questions asked of the default corpus", "sanad eval Q_OFF", q_arcd_off)
    for split in ("heldout", "tune"):
        row(f"dialect/paraphrase ({split}) on the default corpus", "sanad eval DIALECT", q_dia[split])
        row(f"dialect off-topic ({split}) on the default corpus", "sanad eval DIALECT_OFF", q_dia_off[split])
    for split, path in q_ooc.items():
        row(f"out-of-corpus ({split}) on the default corpus", "sanad eval OOC", path)
    for split, path in q_lib.items():
        row(f"default corpus's questions ({split}) on the default corpus", "sanad eval LIBYA", path)
    if args.archive:
        for split in ("heldout", "tune"):
            row(f"dialect/paraphrase ({split}) on default + archive", "sanad eval DIALECT --index ARCHIVE", q_dia[split],
                "--index", str(args.archive))
            row(f"dialect off-topic ({split}) on default + archive", "sanad eval DIALECT_OFF --index ARCHIVE",
                q_dia_off[split], "--index", str(args.archive))
        for split, path in q_ooc.items():
            row(f"out-of-corpus ({split}) on default + archive", "sanad eval OOC --index ARCHIVE", path, "--index", str(args.archive))
        for split, path in q_lib.items():
            row(f"default corpus's questions ({split}) on default + archive", "sanad eval LIBYA --index ARCHIVE", path,
                "--index", str(args.archive))
            row("same, ranking only (nothing refused)", "... --min-confidence 0", path, "--index", str(args.archive),
                "--min-confidence", "0")
    search = search_layer(args.arcd)

    all_q = "\n".join(q["question"] for q in libya + ooc + arcd_q[:200]) + "\n"
    outs = [sanad("ask", "--json", "-", stdin=all_q, env={"PYTHONHASHSEED": seed}) for seed in ("1", "2", "12345")]
    same = outs[0] == outs[1] == outs[2]

    print(f"\nLoad average {load0:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores; "
          f"total {time.perf_counter() - t0:.0f} s.\n")
    print("| test | questions | R@1 | R@5 | MRR@10 | answered (answerable) | refused (must be refused) |")
    print("|---|---|---|---|---|---|---|")
    print(f"| ARCD full index, search layer alone (BM25 -> expand -> search, by article) | {len(arcd_q)} | | | {search:.3f} | | |")
    for name, _, _, r in rows:
        refused = "" if r["refused_of_unanswerable"] is None else f"{r['refused_of_unanswerable']:.3f}"
        ans = f"{r['answered_of_answerable']:.3f}" if r["answerable"] else ""
        rk = (f"{r['recall_at_1']:.3f} | {r['recall_at_5']:.3f} | {r['mrr_at_10']:.3f}") if r["answerable"] else " | | "
        print(f"| {name} | {r['questions']} | {rk} | {ans} | {refused} |")
    print(f"\nSame output under PYTHONHASHSEED 1, 2 and 12345 ({len(all_q.splitlines())} questions): {'yes' if same else 'NO'}")
    for title, rep in (("ARCD full index (defaults, top-k 10)", rows[0][3]), ("ARCD held-out half (seed 0)", rows[2][3])):
        print(f"\nCalibration, {title}:\n")
        print("| confidence | questions | predicted | observed |")
        print("|---|---|---|---|")
        for b in rep["calibration"]:
            print(f"| {b['low']:.1f}-{b['high']:.1f} | {b['n']} | {b['predicted']:.3f} | {b['observed']:.3f} |")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
