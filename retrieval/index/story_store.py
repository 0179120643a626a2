"""The stories of the indexed articles (:mod:`retrieval.stories`), stored beside the articles.

Files (memory-mapped at load, checksummed in the manifest):

* ``minhash.npy``: ``uint32`` rows of :data:`~retrieval.stories.NUM_PERM`, each article's MinHash
  signature (kept so that ``sanad index --add`` folds new articles into old stories without
  reading the old texts again);
* ``stories.npy``: ``int32`` per article, the position of the first article of its story.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np

from ..dates import parse_date
from ..stories import NO_DAY, NUM_PERM, fold
from .columns import load_array, save_array

__all__ = ["StoryStore", "day_ordinal", "days_of"]

_FILES = ("minhash.npy", "stories.npy")


def day_ordinal(raw: str | None, today: date | None = None) -> int:
    """An article's date field as a day ordinal; :data:`~retrieval.stories.NO_DAY` when it does not
    parse or lies after ``today`` (a typo or a placeholder: never the "latest" report). The text is
    kept and shown either way."""
    d = parse_date(raw)
    if d is None or d > (today or date.today()):
        return NO_DAY
    return d.toordinal()


class StoryStore:
    """Per article: its signature and its story (the first article of its group)."""

    def __init__(self, signatures: np.ndarray, story: np.ndarray) -> None:
        if signatures.shape != (len(story), NUM_PERM):
            raise ValueError("story signatures and stories differ in number")
        self.signatures = signatures
        self.story = story

    @classmethod
    def empty(cls) -> StoryStore:
        return cls(np.zeros((0, NUM_PERM), np.uint32), np.zeros(0, np.int32))

    def __len__(self) -> int:
        return len(self.story)

    def extend(self, new_signatures: np.ndarray, outlets: Sequence[str | None], days: Sequence[int]) -> StoryStore:
        """A new store: these articles, then the new ones folded into their stories.

        ``outlets`` and ``days`` are every article's (old and new), in index order.
        """
        sigs = np.concatenate((np.asarray(self.signatures), new_signatures.astype(np.uint32)))
        return StoryStore(sigs, fold(sigs, outlets, days, len(self.story), np.asarray(self.story)))

    @cached_property
    def members(self) -> dict[int, tuple[int, ...]]:
        """Story -> the positions of its articles, for stories of more than one article."""
        story = np.asarray(self.story)
        order = np.argsort(story, kind="stable")
        sorted_story = story[order]
        cuts = np.flatnonzero(np.diff(sorted_story)) + 1
        out: dict[int, tuple[int, ...]] = {}
        for chunk in np.split(order, cuts):
            if len(chunk) > 1:
                out[int(story[chunk[0]])] = tuple(int(i) for i in chunk)
        return out

    def others(self, position: int) -> tuple[int, ...]:
        """The positions of the other articles of ``position``'s story (index order)."""
        if not len(self.story):
            return ()
        group = self.members.get(int(self.story[position]), ())
        return tuple(i for i in group if i != position)

    def save(self, d: Path) -> list[str]:
        save_array(d / _FILES[0], np.ascontiguousarray(self.signatures, dtype=np.uint32))
        save_array(d / _FILES[1], np.ascontiguousarray(self.story, dtype=np.int32))
        return list(_FILES)

    @classmethod
    def load(cls, d: Path) -> StoryStore:
        sigs, story = (load_array(d / name) for name in _FILES)
        if sigs.dtype != np.uint32 or story.dtype != np.int32 or (len(story) and int(np.max(story)) >= len(story)):
            raise ValueError("stories.npy or minhash.npy holds values of the wrong kind")
        return cls(sigs, story)


def days_of(dates: Iterable[str | None]) -> list[int]:
    """:func:`day_ordinal` of each date field (each distinct text parsed once: an archive has a few
    hundred dates for tens of thousands of articles)."""
    today = date.today()
    memo: dict[str | None, int] = {}
    out = []
    for d in dates:
        day = memo.get(d)
        if day is None:
            day = memo[d] = day_ordinal(d, today)
        out.append(day)
    return out

