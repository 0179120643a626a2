"""Spelling correction of question words the corpus never saw, against the index's own vocabulary.

A typed question often misspells a word (``روتشليد`` for ``روتشيلد``, ``عددد``, ``قطاه`` for
``قطاع``): the misspelt term matches nothing, gets the highest IDF, and sinks an answerable
question. A term with no posting is replaced by the most frequent indexed term one edit away
(Damerau–Levenshtein distance 1 on the analysed form: a letter deleted, inserted, replaced, or
two neighbours swapped; Norvig's ``edits1``), when there is one. Only terms of at least
:data:`MIN_LENGTH` letters are corrected: short words have too many neighbours to guess from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .charsets import NORMALIZED_LETTERS

__all__ = ["LETTERS", "MIN_LENGTH", "correct", "edits1"]

#: Letters of analysed Arabic terms (after normalization: no hamza-on-alef, alef maqsura or teh
#: marbuta forms, which the analyzer folds).
LETTERS = NORMALIZED_LETTERS
#: Shortest term worth correcting: four-letter stems have too many real neighbours (on the default
#: corpus مغرب became غرب and مسلم مسلح).
MIN_LENGTH = 5


def edits1(term: str) -> Iterator[str]:
    """Every string one edit from ``term`` (duplicates possible), in a fixed order."""
    splits = [(term[:i], term[i:]) for i in range(len(term) + 1)]
    for a, b in splits:
        if b:
            yield a + b[1:]  # deletion
        if len(b) > 1:
            yield a + b[1] + b[0] + b[2:]  # transposition
        for c in LETTERS:
            if b:
                yield a + c + b[1:]  # replacement
            yield a + c + b  # insertion


def correct(term: str, frequency: Callable[[str], int]) -> str | None:
    """The most frequent known term one edit from ``term`` (ties: the smallest string), or
    ``None`` when ``term`` is short, not Arabic, or has no known neighbour. ``frequency(t)`` is
    the number of passages holding ``t`` (0 when unknown)."""
    if len(term) < MIN_LENGTH or not all(c in LETTERS for c in term):
        return None
    best: tuple[int, str] | None = None
    for cand in dict.fromkeys(edits1(term)):
        if cand == term:
            continue
        f = frequency(cand)
        if f > 0 and (best is None or (f, _neg(cand)) > (best[0], _neg(best[1]))):
            best = (f, cand)
    return best[1] if best else None


def _neg(s: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in s)
