"""Query helpers: the best passages for analysed query terms, and the terms a query searches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from ..bm25 import top_k
from ..normalize import QUERY_PROCLITICS
from ..segment import Passage
from .postings import Postings

__all__ = ["Hit", "expand", "search"]


class Hit(NamedTuple):
    """One scored passage (``row``: its number in the index, where its stored sentences are found)."""

    passage: Passage
    score: float
    row: int = -1


def search(
    postings: Postings, passages: Sequence[Passage], query_terms: Sequence[str], k: int, allowed: np.ndarray | None = None
) -> list[Hit]:
    """The ``k`` best passages containing any of ``query_terms``, best first, ties in corpus order;
    with ``allowed`` (a flag per passage: a date filter) only the passages flagged.

    Scores are rank-bm25's BM25Okapi (over every passage: a filter never changes a score). On tiny
    corpora its floored IDF can be negative (every term in more than half the passages), so a
    match is a non-zero score, not a positive one.
    """
    if not query_terms or not len(passages):
        return []
    scores = postings.scores(query_terms)
    ranked = scores if allowed is None else np.where(allowed, scores, 0.0)
    best = top_k(ranked, k).tolist()
    if len(best) < k:
        # A passage can hold a query term and still score exactly 0 (BM25Okapi's IDF is 0 for a
        # term in exactly half the passages of a tiny corpus): it still matches, after the rest.
        seen = set(best)
        for i in postings.matching(query_terms):
            if len(best) >= k:
                break
            if i not in seen and (allowed is None or allowed[i]):
                seen.add(i)
                best.append(i)
    return [Hit(passages[i], float(scores[i]), i) for i in best]


def expand(df: Mapping[str, int], terms: Sequence[str]) -> dict[str, str]:
    """Search terms for analysed query ``terms``: each term, plus its clitic variants in ``df``.

    The index strips a single-letter proclitic only when the bare word is attested, so a verb
    seen only as ``وافتتح`` stays whole; the query ``افتتح`` then also searches ``وافتتح``.
    Returns ``{search_term: query_term}``.
    """
    out: dict[str, str] = {}
    for t in terms:
        out.setdefault(t, t)
        for p in QUERY_PROCLITICS:
            if p + t in df:
                out.setdefault(p + t, t)
    return out
