"""Answer spans, SQuAD style: how well the words that answer are found (issue #24).

The span is :attr:`retrieval.answer.Result.answer` (retrieval/spans.py), read from the first
result, as ``sanad ask --json`` gives it. Rows (EM and token F1 by
:func:`retrieval.evaluation.span_scores`, max over the gold answers; a question with no span,
or refused, scores 0):

* reader alone: each question asked of an index holding only its gold paragraph, nothing refused
  (``min_confidence=0``), with every span (the model's best, whatever its probability) and with
  the spans shown by default (over the model's threshold);
* end to end: the test-split questions asked of every paragraph of the set, default settings;
* precision of shown spans: spans with F1 >= 0.5 among the questions that got one;
* our dialect/paraphrase questions (held out) that ask for a thing (not why/how) on the default corpus, defaults: the first result's
  span holds the expected answer's words, or they hold it (with every span, and as shown).

ARCD's official test split and Belebele's test part (retrieval/training/splits.py) only: the span model is
trained on the train parts (retrieval/training/spans.py).

Usage (from the repository root; about 3 minutes on 2 cores)::

    python bench/spans.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from retrieval.answer import answer  # noqa: E402
from retrieval.corpus import load_default_corpus, make_article  # noqa: E402
from retrieval.evaluation import answer_words, span_scores  # noqa: E402
from retrieval.index import Index  # noqa: E402
from retrieval.span_model import load_span_model  # noqa: E402
from retrieval.training.splits import arcd_part, belebele_part, jsonl  # noqa: E402

SHARED = REPO.parent / "shared"
ARCD = SHARED / "benchmarks" / "arcd"
BELEBELE = SHARED / "qa" / "belebele-eqa-ar"
DIALECT = REPO / "bench" / "questions" / "dialect.jsonl"
SHIPPED = load_span_model()
EVERY = replace(SHIPPED, threshold=0.0)



def _article(c: dict):
    return make_article(c["context_id"], c["text"], title=c.get("title") or None)


def _spans(question: str, index: Index, **kw) -> tuple[str, str, float]:
    """The first result's span with every span allowed, its probability, and the span as shown
    by default ('' when under the threshold); all '' for a refusal or no span."""
    ans = answer(question, index, span_model=EVERY, **kw)
    span = ans.results[0].answer if ans.answered and ans.results else None
    if span is None:
        return "", "", 0.0
    return span.text, span.text if span.probability >= SHIPPED.threshold else "", span.probability


def _rows(name: str, got: list[tuple[str, str]], golds: list[list[str]]) -> list[dict]:
    out = []
    for label, pick in (("every span", 0), ("as shown", 1)):
        scores = [span_scores(g[pick], gold) for g, gold in zip(got, golds)]
        shown = sum(bool(g[pick]) for g in got)
        right = sum(1 for (g, (_, f1)) in zip(got, scores) if g[pick] and f1 >= 0.5)
        n = max(len(scores), 1)
        out.append({
            "test": f"{name}, {label}", "questions": len(scores),
            "EM": round(sum(em for em, _ in scores) / n, 3), "F1": round(sum(f1 for _, f1 in scores) / n, 3),
            "span shown": shown, "precision of shown (F1 >= 0.5)": round(right / shown, 3) if shown else None,
        })
    return out


def reader_alone(contexts: dict[str, dict], questions: list[dict], name: str) -> list[dict]:
    got = []
    for q in questions:
        index = Index.build([_article(contexts[q["context_id"]])])
        got.append(_spans(q["question"], index, top_k=1, min_confidence=0.0)[:2])
    return _rows(name, got, [q["answers"] for q in questions])


def end_to_end(contexts: dict[str, dict], questions: list[dict], name: str) -> list[dict]:
    index = Index.build([_article(c) for c in contexts.values()])
    got = [_spans(q["question"], index)[:2] for q in questions]
    return _rows(name, got, [q["answers"] for q in questions])


def dialect() -> list[dict]:
    index = Index.build(load_default_corpus())
    held = [q for q in jsonl(DIALECT) if q["split"] == "heldout" and q["kind"] not in ("why", "how")]  # they ask for a thing
    out = []
    got = [_spans(q["question"], index)[:2] for q in held]
    for label, pick in (("every span", 0), ("as shown", 1)):
        hits = 0
        for g, q in zip(got, held):
            span, want = " ".join(answer_words(g[pick])), " ".join(answer_words(q["answer"]))
            hits += bool(span) and (want in span or span in want)
        out.append({"test": f"our dialect/paraphrase questions (held out), default corpus, {label}: span holds the answer",
                    "questions": len(held), "share": round(hits / len(held), 3), "span shown": sum(bool(g[pick]) for g in got)})
    return out


def main() -> int:
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    part = arcd_part(ARCD)
    arcd_ctx = {c["context_id"]: c for c in jsonl(ARCD / "contexts.jsonl")}
    arcd_test = [q for q in jsonl(ARCD / "questions.jsonl") if part.get(q["context_id"]) == "test"]
    bb_ctx = {c["context_id"]: c for c in jsonl(BELEBELE / "contexts.jsonl")}
    bb_test = [q for q in jsonl(BELEBELE / "questions.jsonl") if belebele_part(q["context_id"]) == "test"]
    rows = [
        *reader_alone(arcd_ctx, arcd_test, "ARCD test split, reader alone (gold paragraph)"),
        *end_to_end(arcd_ctx, arcd_test, "ARCD test split, every ARCD paragraph indexed, first result (defaults)"),
        *reader_alone(bb_ctx, bb_test, "Belebele test part, reader alone (gold passage)"),
        *end_to_end(bb_ctx, bb_test, "Belebele test part, every Belebele passage indexed, first result (defaults)"),
        *dialect(),
    ]
    print(f"load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores; "
          f"{time.perf_counter() - t0:.0f} s; span model threshold {SHIPPED.threshold}")
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
