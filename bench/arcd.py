"""ARCD retrieval benchmark: Sanad's analysis chain + BM25 against a whitespace baseline.

ARCD (Mozannar et al., 2019; MIT licence) is 1,395 questions written on 460 Wikipedia
paragraphs. Every paragraph is indexed as one article (``id = context_id``, its Wikipedia
title as a real title, so Sanad prepends it to every passage). Each question goes through
Sanad's own path, ``index.analyzer.tokens(question)`` -> ``index.search``; a second row adds
the clitic expansion ``answer()`` applies before searching (``Index.expand``). The gold
document is the paragraph the question was written on.

* Ranking is by article: the rank of the gold article is the rank of its first passage among
  the passages, counting each article once (an article hit is any passage of it).
* Baseline: rank-bm25 ``BM25Okapi`` (defaults) over whitespace-split paragraph text, title not
  included (FINDINGS.md: MRR@10 ~ 0.51).
* What the user gets (``answer()``'s order and refusals, held-out halves, off-topic questions)
  is measured through ``sanad eval`` by ``bench/answering.py``; this file is the search layer.

Usage (from the repository root)::

    python bench/arcd.py [--data DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.corpus import Article, make_article  # noqa: E402
from retrieval.index import Index  # noqa: E402
from retrieval.normalize import ANALYZER_VERSION, Analyzer, tokenize  # noqa: E402

K = 10  # MRR@10; R@1 and R@5 are read from the same ranking


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    gold: str


@dataclass(frozen=True)
class Row:
    """One ranking run: the gold article's rank per question, and per-query latency."""

    name: str
    ranks: list[int | None]  # 1-based rank of the gold article within the top K, else None
    ms: list[float]  # per-query latency (analysis + search)

    def recall(self, k: int) -> float:
        return sum(r is not None and r <= k for r in self.ranks) / len(self.ranks)

    @property
    def mrr(self) -> float:
        return sum(1.0 / r for r in self.ranks if r is not None and r <= K) / len(self.ranks)

    def markdown(self) -> str:
        p50 = statistics.median(self.ms)
        return f"| {self.name} | {self.recall(1):.3f} | {self.recall(5):.3f} | {self.mrr:.3f} | {p50:.2f} |"


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_arcd(data: Path, limit: int | None) -> tuple[list[dict], list[Question]]:
    """ARCD contexts (all of them) and questions (the first ``limit``, if given)."""
    contexts = _jsonl(data / "contexts.jsonl")
    questions = [Question(q["id"], q["question"], q["context_id"]) for q in _jsonl(data / "questions.jsonl")]
    return contexts, questions[:limit] if limit else questions


def _articles(contexts: list[dict]) -> list[Article]:
    return [make_article(id=c["context_id"], text=c["text"], title=c["title"]) for c in contexts]


def _first_rank(gold: str, ranked_ids: Sequence[str]) -> int | None:
    """1-based rank of ``gold`` among distinct ids (first occurrence counts), within the top K."""
    seen: list[str] = []
    for aid in ranked_ids:
        if aid in seen:
            continue
        seen.append(aid)
        if aid == gold:
            return len(seen)
        if len(seen) == K:
            break
    return None


def _timed(fn: Callable[[], Sequence[str]]) -> tuple[Sequence[str], float]:
    t0 = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t0) * 1000


def _rank_all(questions: list[Question], run: Callable[[str], Sequence[str]], name: str) -> Row:
    ranks, ms = [], []
    for q in questions:
        ids, t = _timed(lambda: run(q.text))
        ranks.append(_first_rank(q.gold, ids))
        ms.append(t)
    return Row(name, ranks, ms)


def eval_sanad(index: Index, questions: list[Question], expand: bool = False) -> Row:
    """Sanad's own path: ``analyzer.tokens(question)`` -> ``index.search``, ranked by article.

    With ``expand`` the distinct query terms are widened with the clitic variants the index
    holds (``Index.expand``), as :func:`retrieval.answer.answer` does before searching.
    """
    per_article = max(sum(1 for p in index.passages if p.article_id == a) for a in index.articles)
    k = K * per_article  # enough passages to always reach K distinct articles
    expand = expand and hasattr(index, "expand")

    def run(q: str) -> list[str]:
        terms = index.analyzer.tokens(q)
        if expand:
            terms = list(index.expand(list(dict.fromkeys(terms))))
        return [h.passage.article_id for h in index.search(terms, k=k)]

    path = "tokens -> expand -> search (as answer())" if expand else "tokens -> search"
    return _rank_all(questions, run, f"Sanad v{ANALYZER_VERSION}, title + text, {path}")


def eval_whitespace(contexts: list[dict], questions: list[Question]) -> Row:
    """Baseline: rank-bm25 BM25Okapi defaults, whitespace tokens, paragraph text only."""
    ids = [c["context_id"] for c in contexts]
    bm25 = BM25Okapi([c["text"].split() for c in contexts])

    def run(q: str) -> list[str]:
        scores = bm25.get_scores(q.split())
        top = np.argpartition(-scores, K - 1)[:K]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [ids[i] for i in top if scores[i] > 0]

    return _rank_all(questions, run, "rank-bm25 BM25Okapi, whitespace split, text only (baseline)")


def tokens_per_second(articles: list[Article], lexicon: frozenset[str]) -> tuple[int, float]:
    """Word runs analysed per second by a fresh (cold-cache) analyzer over the article texts."""
    analyzer = Analyzer(lexicon)
    texts = [f"{a.title}\n{a.text}" for a in articles]
    n = sum(len(tokenize(t)) for t in texts)
    t0 = time.perf_counter()
    for t in texts:
        analyzer.tokens(t)
    return n, n / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "benchmarks" / "arcd", help="ARCD folder")
    ap.add_argument("--limit", type=int, default=None, help="ask only the first N questions")
    args = ap.parse_args(argv)

    t_start = time.perf_counter()
    contexts, questions = load_arcd(args.data, args.limit)
    articles = _articles(contexts)
    t0 = time.perf_counter()
    index = Index.build(articles)
    build_s = time.perf_counter() - t0

    rows = [
        eval_whitespace(contexts, questions),
        eval_sanad(index, questions),
        eval_sanad(index, questions, expand=True),
    ]
    p = index.params
    print(
        f"## ARCD retrieval ({len(questions)} questions, {len(articles)} paragraphs, {index.n_passages} passages; "
        f"Sanad BM25 k1={p.k1} b={p.b})\n"
    )
    print("| analyzer | R@1 | R@5 | MRR@10 | query ms p50 |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(row.markdown())
    n_tok, tps = tokens_per_second(articles, index.analyzer.lexicon)
    print(f"\nSanad index build {build_s:.2f} s; analysis {tps / 1000:.0f}k tokens/s ({n_tok} tokens, cold cache)")

    print(f"\nTotal {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
