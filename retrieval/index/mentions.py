"""The actors' mentions of every article, found once at index time and stored as columns.

Each article is tagged once when it is indexed (:mod:`retrieval.index.tagging`:
:func:`~retrieval.actors.extract.article_actors`, the rules plus the configured tagger). A mention
is a character span ``[start, end)`` of the article text (clitics included, as
:class:`~retrieval.actors.Actor` offsets are) belonging to one *group* of aliases of the article;
a group has the display text, type and role :func:`~retrieval.actors.extract.merge` gives the
actor over the whole article (``كوبلر`` is shown as ``مارتن كوبلر`` and keeps his role).

Files (columns of :mod:`retrieval.index.columns`, memory-mapped at load, checksummed in the manifest):

* ``mentions.npy``: ``int32`` rows (article position, start, end, group), corpus order, each
  article's in source order; ``group`` numbers the groups of the whole index;
* ``article_mentions.npy``: ``int64``, the first mention of each article, then the end;
* ``actor_types.npy``: ``uint8`` per group (0 person, 1 organization, 2 place);
* ``article_actors.npy``: ``int64``, the first group of each article, then the end;
* ``actor_texts.*``, ``actor_roles.*``: string columns per group (a missing role is ``""``);
* ``actor_keys.*``, ``actor_words.*`` and the other ``actor_*`` arrays of
  :mod:`~retrieval.index.actor_keys`: which groups of all the articles are one actor.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..actors.actor import Actor, ActorType
from .actor_keys import ActorKeys
from .columns import Rows, StringColumn, StringTable, load_array, save_array

if TYPE_CHECKING:
    from ..actors.backend import LockedTagger

__all__ = ["MENTION_FIELDS", "TYPES", "ArticleGroups", "MentionStore", "StoredMention", "Tagged", "groups_of"]

#: The actor types, by their code in ``actor_types.npy``.
TYPES: tuple[ActorType, ...] = ("person", "organization", "place")
_CODE = {t: i for i, t in enumerate(TYPES)}
#: Numbers per row of ``mentions.npy``: article position, start, end, group.
MENTION_FIELDS = 4
_FILES = ("mentions.npy", "article_mentions.npy", "actor_types.npy", "article_actors.npy")

#: One article's groups, as plain values (they cross process boundaries): type code, display
#: text, role (``""``: none) and the spans of the group's mentions.
ArticleGroups = list[tuple[int, str, str, tuple[tuple[int, int], ...]]]


def groups_of(text: str, tagger: LockedTagger | None) -> ArticleGroups:
    """The groups of aliases of an article's ``text`` and their mentions' spans."""
    from ..actors.extract import (
        article_actors,  # the tagging code: imported to index, not to answer
    )

    return [(_CODE[g.actor.type], g.actor.text, g.actor.role or "", g.spans) for g in article_actors(text, tagger)]


@dataclass(frozen=True, slots=True)
class StoredMention:
    """One stored mention: ``article.text[start:end]`` names the actor shown as ``text``.

    ``group`` numbers the article's groups of aliases (0, 1, ... in order of first mention);
    ``text``, ``type`` and ``role`` are the group's, as :func:`~retrieval.actors.extract.merge`
    gives them over the whole article.
    """

    article_id: str
    start: int
    end: int
    type: ActorType
    text: str
    group: int
    role: str | None


@dataclass(slots=True)
class Tagged:
    """New articles' mentions as flat arrays that continue a :class:`MentionStore`'s."""

    rows: array = field(default_factory=lambda: array("i"))  # per mention: article, start, end, group
    mention_ptr: array = field(default_factory=lambda: array("q"))  # first mention of each article, then the end
    types: array = field(default_factory=lambda: array("B"))  # per group
    group_ptr: array = field(default_factory=lambda: array("q"))  # first group of each article, then the end
    texts: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    backend: str = "rules"  # the tagger they were found with (besides the rules)

    @classmethod
    def after(cls, store: MentionStore) -> Tagged:
        t = cls()
        t.mention_ptr.append(int(store.mention_ptr[-1]))
        t.group_ptr.append(int(store.group_ptr[-1]))
        return t

    def add(self, position: int, groups: ArticleGroups) -> None:
        """Record the ``groups`` of the article at ``position`` in the index."""
        g0 = self.group_ptr[-1]
        rows = sorted((s, e, g0 + k) for k, (_, _, _, spans) in enumerate(groups) for s, e in spans)
        for s, e, g in rows:
            self.rows.extend((position, s, e, g))
        self.mention_ptr.append(self.mention_ptr[-1] + len(rows))
        for code, text, role, _ in groups:
            self.types.append(code)
            self.texts.append(text)
            self.roles.append(role)
        self.group_ptr.append(g0 + len(groups))


class MentionStore(Rows[StoredMention]):
    """Every stored mention, in corpus order (articles in index order, each in source order)."""

    def __init__(
        self,
        ids: StringTable,
        rows: np.ndarray,
        mention_ptr: np.ndarray,
        types: np.ndarray,
        group_ptr: np.ndarray,
        texts: StringColumn,
        roles: StringColumn,
        keys: ActorKeys,
    ) -> None:
        n_art, n_groups = len(ids), len(types)
        if rows.ndim != 2 or rows.shape[1] != MENTION_FIELDS:
            raise ValueError("mention rows have the wrong shape")
        if len(mention_ptr) != n_art + 1 or len(group_ptr) != n_art + 1 or len(texts) != n_groups or len(roles) != n_groups:
            raise ValueError("mention arrays do not match")
        if int(mention_ptr[-1]) != len(rows) or int(group_ptr[-1]) != n_groups or len(keys) != n_groups:
            raise ValueError("mention arrays do not match")
        self.article_ids = ids
        self.rows = rows  # (n, 4): article position, start, end, group
        self.mention_ptr = mention_ptr
        self.types = types
        self.group_ptr = group_ptr
        self.texts = texts
        self.roles = roles
        #: Which groups of all the articles are one actor (:mod:`~retrieval.index.actor_keys`).
        self.keys = keys

    @classmethod
    def empty(cls, ids: StringTable) -> MentionStore:
        """No mentions, for the articles ``ids`` (none of them names an actor)."""
        ptr = np.zeros(len(ids) + 1, np.int64)
        no_rows = np.zeros((0, MENTION_FIELDS), np.int32)
        none = StringColumn.from_strings(())
        return cls(ids, no_rows, ptr, np.zeros(0, np.uint8), ptr, none, none, ActorKeys.empty())

    def extend(self, ids: StringTable, tagged: Tagged) -> MentionStore:
        """A new store: these mentions, then those ``tagged`` (for the articles ``ids`` adds); the
        actor keys of all the groups, the new groups' words normalized."""
        types = np.concatenate((np.asarray(self.types), np.frombuffer(tagged.types, np.uint8)))
        return MentionStore(
            ids,
            np.concatenate((np.asarray(self.rows), np.frombuffer(tagged.rows, np.int32).reshape(-1, MENTION_FIELDS))),
            np.concatenate((np.asarray(self.mention_ptr)[:-1], np.frombuffer(tagged.mention_ptr, np.int64))),
            types,
            np.concatenate((np.asarray(self.group_ptr)[:-1], np.frombuffer(tagged.group_ptr, np.int64))),
            StringColumn(self.texts.blob.concat(StringColumn.from_strings(tagged.texts).blob)),
            StringColumn(self.roles.blob.concat(StringColumn.from_strings(tagged.roles).blob)),
            self.keys.extend(tagged.texts, types),
        )

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.rows)

    def _item(self, i: int) -> StoredMention:
        return self._mention(*self.rows[i].tolist())

    def __iter__(self) -> Iterator[StoredMention]:
        step = 1 << 16
        for a in range(0, len(self.rows), step):
            for row in self.rows[a : a + step].tolist():
                yield self._mention(*row)

    def _mention(self, art: int, start: int, end: int, g: int) -> StoredMention:
        role = self.roles[g]
        return StoredMention(
            self.article_ids[art], start, end, TYPES[int(self.types[g])], self.texts[g],
            g - int(self.group_ptr[art]), role or None,
        )

    def _bounds(self, article_id: str) -> tuple[int, int]:
        """Rows of the mentions of ``article_id`` (``KeyError`` for an article not indexed)."""
        pos = self.article_ids.find(article_id)
        if pos < 0:
            raise KeyError(article_id)
        a, b = self.mention_ptr[pos : pos + 2].tolist()
        return a, b

    def _inside(self, a: int, b: int, start: int, end: int) -> tuple[int, int]:
        """Rows among ``a..b-1`` of the mentions inside ``[start, end)``: an article's mentions do
        not overlap, so their starts and ends are both in order."""
        lo = a + int(np.searchsorted(self.rows[a:b, 1], start, "left"))
        hi = a + int(np.searchsorted(self.rows[a:b, 2], end, "right"))
        return lo, max(lo, hi)

    def of_article(self, article_id: str) -> list[StoredMention]:
        """The mentions of ``article_id``, in source order."""
        a, b = self._bounds(article_id)
        return [self._mention(*row) for row in self.rows[a:b].tolist()]

    def in_span(self, article_id: str, start: int, end: int) -> list[StoredMention]:
        """The mentions of ``article_id`` that lie entirely inside ``[start, end)``, in source order."""
        lo, hi = self._inside(*self._bounds(article_id), start, end)
        return [self._mention(*row) for row in self.rows[lo:hi].tolist()]

    def actors(self, article_id: str, spans: Iterable[tuple[int, int]]) -> tuple[Actor, ...]:
        """The actors named inside ``spans`` of the article (its quotes): one per group of aliases, in
        order of first mention there, with the group's text and role and that first mention's span."""
        a, b = self._bounds(article_id)
        first: dict[int, tuple[int, int]] = {}
        for start, end in sorted(spans):
            lo, hi = self._inside(a, b, start, end)
            for _, s, e, g in self.rows[lo:hi].tolist():
                first.setdefault(g, (s, e))
        return tuple(
            Actor(self.texts[g], TYPES[int(self.types[g])], s, e, self.roles[g] or None)
            for g, (s, e) in sorted(first.items(), key=lambda ge: ge[1])
        )

    # ------------------------------------------------------------------ files
    def save(self, d: Path) -> list[str]:
        for name, arr in zip(_FILES, (self.rows, self.mention_ptr, self.types, self.group_ptr)):
            save_array(d / name, arr)
        return [*_FILES, *self.texts.save(d, "actor_texts"), *self.roles.save(d, "actor_roles"), *self.keys.save(d)]

    @classmethod
    def load(cls, d: Path, ids: StringTable) -> MentionStore:
        rows, mention_ptr, types, group_ptr = (load_array(d / name) for name in _FILES)
        return cls(ids, rows, mention_ptr, types, group_ptr, StringColumn.load(d, "actor_texts"),
                   StringColumn.load(d, "actor_roles"), ActorKeys.load(d))
