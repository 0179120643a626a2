"""Answer spans, SQuAD style: how well the words that answer are found (issue #24's measurements).

Today's reader is :attr:`retrieval.answer.Candidate.answer` (issue #23): the answer candidate of
the asked kind (a stored actor, a number, a date) nearest the matched question words. It is not
shown to users yet; this script is the baseline the span model of issue #24 must beat.

Rows (EM and token F1 by :func:`retrieval.evaluation.span_scores`, max over the gold answers; a
question with no span scores 0):

* reader alone: each question asked of an index holding only its gold paragraph (ARCD's official
  test split; Belebele's test part, bench/splits.py);
* end to end: ARCD's test-split questions asked of every ARCD paragraph with default settings;
  the first result's span (a refusal scores 0);
* precision of shown spans: spans with F1 >= 0.5 among the questions that got one;
* our dialect/paraphrase questions (held out) on the default corpus: the first result's span
  contains the expected answer's words, or they contain it.

Usage (from the repository root; about a minute on 2 cores)::

    python bench/spans.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from retrieval.answer import answer, answer_candidate, candidates  # noqa: E402
from retrieval.corpus import load_default_corpus, make_article  # noqa: E402
from retrieval.evaluation import answer_words, span_scores  # noqa: E402
from retrieval.index import Index  # noqa: E402
from splits import arcd_part, belebele_part  # noqa: E402

SHARED = REPO.parent / "shared"
ARCD = SHARED / "benchmarks" / "arcd"
BELEBELE = SHARED / "qa" / "belebele-eqa-ar"
DIALECT = REPO / "bench" / "questions" / "dialect.jsonl"


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _span(index: Index, question: str, article_id: str | None = None) -> str:
    """The answer candidate of ``article_id``'s candidate (else the first in BM25 order), or ''."""
    _, cands = candidates(question, index)
    for c in cands:
        if article_id is None or index.articles.at(c.position).id == article_id:
            found = answer_candidate(index, c)
            return found[0] if found else ""
    return ""


def _row(name: str, scores: list[tuple[float, float]], shown: int) -> dict:
    n = max(len(scores), 1)
    right = sum(1 for _, f1 in scores if f1 >= 0.5)
    return {
        "test": name,
        "questions": len(scores),
        "EM": round(sum(em for em, _ in scores) / n, 3),
        "F1": round(sum(f1 for _, f1 in scores) / n, 3),
        "span shown": shown,
        "precision of shown (F1 >= 0.5)": round(right / shown, 3) if shown else None,
    }


def reader_alone(contexts: dict[str, dict], questions: list[dict], name: str) -> dict:
    scores, shown = [], 0
    for q in questions:
        c = contexts[q["context_id"]]
        index = Index.build([make_article(c["context_id"], c["text"], title=c.get("title") or None)], tagger="ensemble")
        span = _span(index, q["question"])
        shown += bool(span)
        scores.append(span_scores(span, q["answers"]))
    return _row(name, scores, shown)


def end_to_end(contexts: dict[str, dict], questions: list[dict]) -> dict:
    index = Index.build(
        [make_article(c["context_id"], c["text"], title=c.get("title") or None) for c in contexts.values()],
        tagger="ensemble",
    )
    scores, shown = [], 0
    for q in questions:
        ans = answer(q["question"], index, top_k=10)
        span = _span(index, q["question"], ans.results[0].article.id) if ans.answered else ""
        shown += bool(span)
        scores.append(span_scores(span, q["answers"]))
    return _row("ARCD test split, every paragraph indexed, first result (defaults)", scores, shown)


def dialect() -> dict:
    index = Index.build(load_default_corpus())
    held = [q for q in _jsonl(DIALECT) if q["split"] == "heldout"]
    hits = shown = 0
    for q in held:
        ans = answer(q["question"], index)
        span = _span(index, q["question"], ans.results[0].article.id) if ans.answered else ""
        shown += bool(span)
        got, want = " ".join(answer_words(span)), " ".join(answer_words(q["answer"]))
        hits += bool(span) and (want in got or got in want)
    return {"test": "our dialect/paraphrase questions (held out), default corpus: span holds the answer",
            "questions": len(held), "share": round(hits / len(held), 3), "span shown": shown}


def main() -> int:
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    part = arcd_part(ARCD)
    arcd_ctx = {c["context_id"]: c for c in _jsonl(ARCD / "contexts.jsonl")}
    arcd_test = [q for q in _jsonl(ARCD / "questions.jsonl") if part.get(q["context_id"]) == "test"]
    bb_ctx = {c["context_id"]: c for c in _jsonl(BELEBELE / "contexts.jsonl")}
    bb_test = [q for q in _jsonl(BELEBELE / "questions.jsonl") if belebele_part(q["context_id"]) == "test"]
    rows = [
        reader_alone(arcd_ctx, arcd_test, "ARCD test split, reader alone (gold paragraph)"),
        reader_alone(bb_ctx, bb_test, "Belebele test part, reader alone (gold passage)"),
        end_to_end(arcd_ctx, arcd_test),
        dialect(),
    ]
    print(f"load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores; "
          f"{time.perf_counter() - t0:.0f} s")
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
