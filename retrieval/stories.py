"""Stories: the same report carried by several outlets, found when articles are indexed.

News archives repeat themselves: a wire story runs in five papers with small edits and other
headlines. Two articles are *one story* when their texts are near-duplicates:

1. each article's analysed terms (the index's, so small spelling and clitic edits do not count)
   are cut into overlapping 5-term shingles, hashed to 32 bits (:func:`shingle_hashes`);
2. a 64-permutation MinHash signature estimates the Jaccard similarity of two articles' shingle
   sets (Broder 1997): datasketch's ``MinHash`` with its affine32 permutations, computed here in
   NumPy, one array expression per article (datasketch hashes one value at a time in Python: 8 s
   against 1 s on the archive; and importing it costs 0.5 s of SciPy), and tested equal to
   datasketch's own; LSH banding with ``MinHashLSH``'s bands and rows (Leskovec, Rajaraman &
   Ullman, *Mining of Massive Datasets*, ch. 3), also tested against datasketch, proposes the
   pairs worth comparing, so no article is compared with every other;
3. a proposed pair is folded when (:func:`same_story`) its estimated Jaccard reaches
   :data:`FOLD_JACCARD`, both reports are dated at most :data:`MAX_DAYS` apart (template news —
   the daily weather, a royal cable of congratulation, the n-th relief flight — repeats its words
   on other days: the date window keeps those stories apart; undated articles need
   :data:`UNDATED_JACCARD`), and, for two articles of the same outlet, the texts are nearly the
   same (:data:`SAME_OUTLET_JACCARD`: a republication, never two different stories of one paper);
4. folded pairs are joined (union-find): an article's story is the first article of its group.

Articles with fewer than :data:`MIN_SHINGLES` shingles (a caption, a cartoon's title) are never
folded: their few words say nothing about the story. The thresholds were chosen on a hand-labelled
sample of SaudiNewsNet pairs and measured on another (docs/news.md; ``bench/stories.py``).
"""

from __future__ import annotations

import functools
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
    "candidate_pairs",
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
MAX_BUCKET = 200  # band buckets larger than this are boilerplate (see candidate_pairs)
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


#: ``MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)``'s bands and rows (datasketch's
#: optimum of false positives and negatives; ``tests/test_news.py`` checks them against it).
LSH_BANDS, LSH_ROWS = 18, 2
#: MurmurHash3's 32-bit finalizer: shifts and multipliers (Appleby; datasketch's ``_fmix``).
FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations ``(a, b)`` for :data:`NUM_PERM` and the seed, drawn as
    ``MinHash._init_permutations`` draws them.

    Computed here rather than imported: datasketch pulls SciPy in (0.5 s at every start-up that
    indexes); it is the reference the tests compare with."""
    gen = np.random.RandomState(_SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (as datasketch applies it before the permutations)."""
    s1, m1, s2, m2, s3 = FMIX32
    h = h ^ (h >> np.uint32(s1))
    h = h * np.uint32(m1)
    h = h ^ (h >> np.uint32(s2))
    h = h * np.uint32(m2)
    return h ^ (h >> np.uint32(s3))


def signature(term_ids: np.ndarray) -> np.ndarray:
    """An article's MinHash signature (``NUM_PERM`` uint32); all ``_EMPTY`` when it is too short to fold.

    The values are datasketch's ``MinHash(scheme="affine32")`` of the shingle hashes with an
    identity hash (``tests/test_news.py`` checks it), computed in one NumPy expression per article
    instead of datasketch's Python loop over the values.
    """
    hashes = shingle_hashes(term_ids)
    if len(hashes) < MIN_SHINGLES:
        return np.full(NUM_PERM, _EMPTY, dtype=np.uint32)
    a, b = _permutations()
    with np.errstate(over="ignore"):  # arithmetic modulo 2**32, as intended
        hv = _fmix32(hashes)[:, None]
        return np.min(hv * a + b, axis=0)


def signatures(articles_term_ids: Sequence[np.ndarray]) -> np.ndarray:
    """:func:`signature` of each article, one row each."""
    out = np.full((len(articles_term_ids), NUM_PERM), _EMPTY, dtype=np.uint32)
    for i, ids in enumerate(articles_term_ids):
        out[i] = signature(ids)
    return out


def candidate_pairs(sigs: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, of usable articles sharing one LSH band (MinHashLSH's banding:
    ``b`` bands of ``r`` values, from datasketch's optimum for :data:`LSH_THRESHOLD`), as rows.

    A band value shared by more than :data:`MAX_BUCKET` articles is a boilerplate shingle (a
    dateline, a royal title), not a story: such buckets propose no pairs.
    """
    rows = LSH_ROWS
    ids = np.flatnonzero(usable)
    out = []
    for k in range(LSH_BANDS):
        keys = np.ascontiguousarray(sigs[ids, k * rows : (k + 1) * rows]).view(np.dtype((np.void, 4 * rows))).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        cuts = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
        for group in np.split(order, cuts):
            if 1 < len(group) <= MAX_BUCKET:
                members = np.sort(ids[group])
                ii, jj = np.triu_indices(len(members), 1)
                out.append(np.stack((members[ii], members[jj]), axis=1))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(out), axis=0)


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
    stories (``old_story``); only pairs with a new article are looked at.
    """
    n = len(sigs)
    parent = list(range(n))
    if old_story is not None:
        for i in range(first_new):
            parent[i] = int(old_story[i])
    usable = ~np.all(sigs == _EMPTY, axis=1)
    if n and usable[first_new:].any():
        pairs = candidate_pairs(sigs, usable)
        pairs = pairs[pairs[:, 1] >= first_new]
        if len(pairs):
            jac = np.mean(sigs[pairs[:, 0]] == sigs[pairs[:, 1]], axis=1)
            for (i, j), jc in zip(pairs.tolist(), jac.tolist()):
                same = outlets[i] is not None and outlets[i] == outlets[j]
                if same_story(jc, days[i], days[j], same):
                    a, b = _root(parent, i), _root(parent, j)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    return np.asarray([_root(parent, i) for i in range(n)], dtype=np.int32)
