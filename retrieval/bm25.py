"""BM25Okapi as pure array functions, bit-for-bit the arithmetic of rank-bm25 0.2.2.

``rank_bm25.BM25Okapi`` (Trotman et al., 2014, "Improvements to BM25 and Language Models
Examined"; Robertson & Zaragoza, 2009) scores a document ``d`` for a query ``q_1 .. q_n`` as

    score(d) = sum_i idf(q_i) * tf(q_i, d) * (k1 + 1) / (tf(q_i, d) + k1 * (1 - b + b * |d| / avgdl))

    idf(t)   = ln(N - df(t) + 0.5) - ln(df(t) + 0.5)            (Robertson/Sparck Jones)
               and, where that is negative (t in more than half the documents),
               epsilon * mean(idf over the whole vocabulary, before flooring)

summed over the query terms *in query order* (a repeated term counts each time), with
``avgdl`` the mean document length in tokens and ``N`` the number of documents. A term the
corpus never saw contributes 0.

rank-bm25 evaluates this for every document and every query term, in Python (``doc.get(q)``
over all documents): hundreds of milliseconds per query on a few hundred thousand passages.
Here the same expression is evaluated only on the postings of the query's terms (an inverted
index: term -> documents, term frequencies), in the same floating-point operation order, so
the scores are the same doubles, not merely close ones:

* the per-document length norm ``k1 * (1 - b + b * |d| / avgdl)`` is computed once
  (:func:`length_norms`), exactly as rank-bm25 writes it;
* the IDF of the whole vocabulary is computed once (:func:`okapi_idf`) with ``math.log`` and a
  sequential sum in first-occurrence order (rank-bm25's dict order);
* a query adds each term's contributions (:func:`term_scores`) into a zeroed score vector in
  query order (:func:`accumulate`); adding the 0.0 that rank-bm25 adds for documents without
  the term changes nothing.

:func:`top_k` then selects the best documents the way ``Index.search`` always has: the ``k``
best of the *full* score vector (ties broken by corpus order), without zero scores.

:func:`lucene_idf` is the other IDF Sanad uses: never for the ranking, only to weigh question
terms for the answer's confidence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["accumulate", "length_norms", "lucene_idf", "okapi_idf", "term_scores", "top_k"]


def okapi_idf(df: Sequence[int] | np.ndarray, n_docs: int, epsilon: float) -> np.ndarray:
    """rank-bm25's ``BM25Okapi._calc_idf``: RSJ IDF per term, negative values floored.

    ``df`` is in first-occurrence order (the order rank-bm25's ``nd`` dict iterates), which
    fixes the order of the sum behind the mean, hence its last bits.
    """
    log = math.log
    idf = [log(n_docs - f + 0.5) - log(f + 0.5) for f in np.asarray(df).tolist()]
    out = np.array(idf, dtype=np.float64)
    if not idf:
        return out
    total = 0.0
    for v in idf:  # sequential, like rank-bm25's ``idf_sum += idf``
        total += v
    eps = epsilon * (total / len(idf))
    out[out < 0] = eps
    return out


def lucene_idf(n_docs: int, df: int) -> float:
    """Lucene's BM25 IDF of a term in ``df`` of ``n_docs`` documents: ``ln(1 + (N - df + 0.5) / (df + 0.5))``.

    The Robertson-Sparck Jones IDF with 1 added inside the logarithm, as Lucene's
    ``BM25Similarity.idf`` computes it (``Math.log(1 + (docCount - docFreq + 0.5D) / (docFreq +
    0.5D))``; Kamphuis, de Vries, Boytsov & Lin, 2020, "Which BM25 Do You Mean? A Large-Scale
    Reproducibility Study of Scoring Variants", ECIR), in double precision where Lucene rounds to
    a float. Unlike :func:`okapi_idf` it needs no floor: it is positive for every ``df <= N`` and
    falls as ``df`` grows, even on a corpus of a few documents; ``df = 0`` (a term the corpus never
    saw) gets the highest value, ``ln(2N + 2)``.
    """
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def length_norms(doc_len: np.ndarray, avgdl: float, k1: float, b: float) -> np.ndarray:
    """``k1 * (1 - b + b * |d| / avgdl)`` per document, rank-bm25's expression and order."""
    return k1 * (1 - b + b * np.asarray(doc_len, dtype=np.int64) / avgdl)


def term_scores(idf: float, tf: np.ndarray, norms: np.ndarray, k1: float) -> np.ndarray:
    """One term's contribution to the documents of its posting list (``tf`` > 0, ``norms`` theirs)."""
    tf = tf.astype(np.int64)
    return idf * (tf * (k1 + 1) / (tf + norms))


def accumulate(n_docs: int, contributions: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Dense score vector: ``contributions`` are ``(doc ids, scores)`` per query term, in query order.

    A posting list holds each document once, so ``scores[docs] += s`` adds in query order.
    """
    scores = np.zeros(n_docs, dtype=np.float64)
    for docs, s in contributions:
        scores[docs] += s
    return scores


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best scores of ``scores``, best first, ties in index order, zeros left out.

    Same set and order as taking the ``k`` best of the whole vector (zeros included, ties to the
    lower index) and then dropping zeros: positive scores first; negative ones (a BM25Okapi IDF
    floor below zero, on tiny corpora) only when fewer than ``k`` documents score ``>= 0``.
    Uses ``np.partition`` on the negated scores (FINDINGS: ``argpartition(scores, -k)`` is 10x
    slower on vectors with many ties).
    """
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    pos = np.flatnonzero(scores > 0)
    out = _best(scores, pos, k)
    if len(out) < k:
        neg = np.flatnonzero(scores < 0)
        room = k - (n - len(neg))  # places the k best leave after every score >= 0
        if room > 0:
            out = np.concatenate((out, _best(scores, neg, room)))
    return out


def _best(scores: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best of ``scores[idx]`` (``idx`` ascending), best first, ties in index order."""
    vals = scores[idx]
    if len(idx) > k:
        kth = -np.partition(-vals, k - 1)[k - 1]
        above = idx[vals > kth]
        ties = idx[vals == kth][: k - len(above)]
        idx = np.concatenate((above, ties))
        vals = scores[idx]
    return idx[np.lexsort((idx, -vals))]
