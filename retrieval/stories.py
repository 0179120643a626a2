"""Stories: the same report carried by several outlets, found when articles are indexed.

News archives repeat themselves: a wire story runs in five papers with small edits and other
headlines. Two articles are *one story* when their texts are near-duplicates:

1. each article's analysed terms (the index's, so small spelling and clitic edits do not count)
   are cut into overlapping 5-term shingles, hashed to 32 bits (:func:`shingle_hashes`);
2. a 64-permutation MinHash signature (datasketch's ``MinHash``, affine32 scheme) estimates the
   Jaccard similarity of two articles' shingle sets; datasketch's ``MinHashLSH`` (Broder 1997;
   Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3) proposes the pairs worth
   comparing, so no article is compared with every other;
3. a proposed pair is folded when (:func:`same_story`) its estimated Jaccard reaches
   :data:`FOLD_JACCARD`, both reports are dated at most :data:`MAX_DAYS` apart (template news —
   the daily weather, a royal cable of congratulation, the n-th relief flight — repeats its words
   on other days: the date window keeps those stories apart; undated articles need
   :data:`UNDATED_JACCARD`), and, for two articles of the same outlet, the texts are nearly the
   same (:data:`SAME_OUTLET_JACCARD`: a republication, never two different stories of one paper);
4. folded pairs are joined (union-find): an article's story is the first article of its group.

Articles with fewer than :data:`MIN_SHINGLES` shingles (a caption, a cartoon's title) are never
folded: their few words say nothing about the story. The thresholds were chosen on a hand-labelled
sample of SaudiNewsNet pairs and measured on another (README, "Stories"; ``bench/stories.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "FOLD_JACCARD",
    "MAX_DAYS",
    "MIN_SHINGLES",
    "NUM_PERM",
    "SAME_OUTLET_JACCARD",
    "SHINGLE",
    "UNDATED_JACCARD",
    "fold",
    "same_story",
    "shingle_hashes",
    "signature",
    "signatures",
]

SHINGLE = 5  # terms per shingle
NUM_PERM = 64  # MinHash permutations: the Jaccard estimate's standard error is about 0.06 at 0.3
MIN_SHINGLES = 20
LSH_THRESHOLD = 0.25  # a little below FOLD_JACCARD: LSH misses some pairs near its threshold
FOLD_JACCARD = 0.3
UNDATED_JACCARD = 0.6
SAME_OUTLET_JACCARD = 0.6
MAX_DAYS = 1
NO_DAY = -1  # the day ordinal of an undated article
_SEED = 1
_EMPTY = np.iinfo(np.uint32).max  # every value of a signature that was never updated
_MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing's odd multiplier (Knuth, TAOCP 6.4)


def shingle_hashes(term_ids: np.ndarray) -> np.ndarray:
    """The distinct 32-bit hashes of the ``SHINGLE``-term windows of ``term_ids`` (sorted)."""
    x = np.asarray(term_ids, dtype=np.uint64)
    n = len(x) - SHINGLE + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint32)
    h = np.zeros(n, dtype=np.uint64)
    for k in range(SHINGLE):  # a polynomial hash of the window, wrapping at 2**64
        h = h * _MULT + x[k : k + n] + np.uint64(1)
    h ^= h >> np.uint64(29)
    return np.unique((h ^ (h >> np.uint64(32))).astype(np.uint32))


def _minhash(values: np.ndarray | None = None):  # noqa: ANN202 - datasketch's MinHash
    from datasketch import MinHash

    m = MinHash(num_perm=NUM_PERM, seed=_SEED, hashfunc=int, scheme="affine32")
    if values is not None and len(values):
        m.update_batch(values.tolist())
    return m


def signature(term_ids: np.ndarray) -> np.ndarray:
    """An article's MinHash signature (``NUM_PERM`` uint32); all ``_EMPTY`` when it is too short to fold."""
    hashes = shingle_hashes(term_ids)
    if len(hashes) < MIN_SHINGLES:
        return np.full(NUM_PERM, _EMPTY, dtype=np.uint32)
    return np.asarray(_minhash(hashes).hashvalues, dtype=np.uint32)


def signatures(articles_term_ids: Sequence[np.ndarray]) -> np.ndarray:
    """:func:`signature` of each article, one row each."""
    out = np.full((len(articles_term_ids), NUM_PERM), _EMPTY, dtype=np.uint32)
    for i, ids in enumerate(articles_term_ids):
        out[i] = signature(ids)
    return out


def _as_minhash(sig: np.ndarray):  # noqa: ANN202 - datasketch's MinHash
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=_SEED, hashvalues=sig, scheme="affine32")


def same_story(jaccard: float, day_a: int, day_b: int, same_outlet: bool) -> bool:
    """The folding rule for one proposed pair (see the module's docstring)."""
    if day_a == NO_DAY or day_b == NO_DAY:
        need = UNDATED_JACCARD
    elif abs(day_a - day_b) > MAX_DAYS:
        return False
    else:
        need = FOLD_JACCARD
    if same_outlet:
        need = max(need, SAME_OUTLET_JACCARD)
    return jaccard >= need


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def fold(
    sigs: np.ndarray,
    outlets: Sequence[str | None],
    days: Sequence[int],
    first_new: int = 0,
    old_story: np.ndarray | None = None,
) -> np.ndarray:
    """The story of every article: the position of the first article of its group (``int32``).

    ``sigs`` are the articles' signatures, ``outlets`` their sources, ``days`` their dates as
    ordinals (:data:`NO_DAY` when undated). Articles before ``first_new`` already have their
    stories (``old_story``); only pairs with a new article are looked for.
    """
    from datasketch import MinHashLSH

    n = len(sigs)
    parent = list(range(n))
    if old_story is not None:
        for i in range(first_new):
            parent[i] = int(old_story[i])
    usable = [i for i in range(n) if not np.all(sigs[i] == _EMPTY)]
    if not any(i >= first_new for i in usable):
        return np.asarray([_root(parent, i) for i in range(n)], dtype=np.int32)
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    for i in usable:
        lsh.insert(i, _as_minhash(sigs[i]), check_duplication=False)
    for i in usable:
        if i < first_new:
            continue
        for j in sorted(lsh.query(_as_minhash(sigs[i]))):
            if j >= i:
                continue  # a pair of two new articles is looked at from the later one
            jac = float(np.mean(sigs[i] == sigs[j]))
            same = outlets[i] is not None and outlets[i] == outlets[j]
            if same_story(jac, days[i], days[j], same):
                a, b = _root(parent, i), _root(parent, j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return np.asarray([_root(parent, i) for i in range(n)], dtype=np.int32)
