"""The actor index: every actor the corpus names, across articles, from the mentions stored at index time.

Inside an article the extractor already merged aliases into groups (``خليفة حفتر`` / ``حفتر`` /
``لحفتر``, :func:`retrieval.actors.extract.merge`). Across articles a group is keyed by its type
and its normalized words, and a one-word person (``حفتر`` of an article that never gives his
first name) joins the one person of the corpus whose name ends with that word, when there is
exactly one. Namesakes of different types (``ليبيا`` the place, an organisation of the same
words) stay apart, and names match word by word: ``ليون`` is never the one inside ``مليون``.

The keys, the normalized words and which keys hold each word were computed when the groups were
indexed (:mod:`retrieval.index.actor_keys`): opening the actor index reads nothing, and a look-up
touches only the groups of the actors the name may mean (timed by ``bench/archive.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .actors.actor import ActorType
from .errors import InputError
from .index.actor_keys import KEY_CACHE_SIZE, key_words
from .index.mentions import TYPES

__all__ = ["KEY_CACHE_SIZE", "ActorEntry", "ActorIndex", "ActorSentence", "MAX_NAME_CHARS", "MIN_NAME_CHARS"]

#: A name to look up must have this many letters at least, and at most this many characters.
MIN_NAME_CHARS = 2
MAX_NAME_CHARS = 100
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_key_words = key_words  # a name's normalized words (cached)


@dataclass(frozen=True, slots=True)
class ActorEntry:
    """An actor of the corpus: its name, the forms and roles seen, where and when it is named."""

    key: str
    name: str
    type: ActorType
    aliases: tuple[str, ...]
    roles: tuple[str, ...]
    articles: tuple[str, ...]
    mentions: int
    first_date: str | None
    last_date: str | None


@dataclass(frozen=True, slots=True)
class ActorSentence:
    """A sentence naming an actor, verbatim, with its article and the span in the article."""

    article_id: str
    start: int
    end: int
    text: str
    mention: tuple[int, int]  # the mention's span in the article


class ActorIndex:
    """Actors by key, read from an index's stored mentions and actor keys (``index.mentions``)."""

    def __init__(self, index) -> None:
        self.index = index
        store = index.mentions
        self._store = store
        self._k = store.keys
        self._types = np.asarray(store.types)
        self._key_ids = np.asarray(self._k.key_ids)
        ptr = np.asarray(store.group_ptr)
        self._position = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))  # each group's article
        self._entries: dict[str, ActorEntry] = {}
        self._dates: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._k.keys)

    # ------------------------------------------------------------------ groups
    @cached_property
    def _by_key(self) -> tuple[np.ndarray, np.ndarray]:
        """The groups of every key (ascending), as one array and where each key's run starts."""
        order = np.argsort(self._key_ids, kind="stable")
        return order, np.searchsorted(self._key_ids[order], np.arange(len(self) + 1))

    def _groups(self, k: int) -> np.ndarray:
        order, ptr = self._by_key
        return order[ptr[k] : ptr[k + 1]]

    @cached_property
    def _first_of_key(self) -> np.ndarray:
        """Whether each group is the first of its key in its article (two groups of an article may be one actor)."""
        pairs = self._position.astype(np.int64) * max(len(self), 1) + self._key_ids
        order = np.argsort(pairs, kind="stable")
        first = np.ones(len(pairs), dtype=bool)
        first[order[1:]] = pairs[order[1:]] != pairs[order[:-1]]
        return first

    @cached_property
    def _n_spans(self) -> np.ndarray:
        """The number of mentions of every group."""
        return np.bincount(np.asarray(self._store.rows)[:, 3], minlength=len(self._types))

    # ------------------------------------------------------------------ queries
    def top(self, type: ActorType | None = None, n: int = 20) -> list[ActorEntry]:
        """The most-named actors (by articles, then mentions), of one ``type`` or all."""
        n_keys = len(self)
        if not n_keys or n <= 0:
            return []
        keys = self._key_ids.astype(np.int64)
        stride = max(len(self.index.articles), 1)
        articles = np.bincount(np.unique(keys * stride + self._position) // stride, minlength=n_keys)
        mentions = np.bincount(keys, weights=self._n_spans, minlength=n_keys).astype(np.int64)
        key_type = np.zeros(n_keys, np.int64)
        key_type[keys] = self._types  # every group of a key has its type
        ids = np.arange(n_keys) if type is None else np.flatnonzero(key_type == TYPES.index(type))
        if not len(ids):
            return []
        order = ids[np.lexsort((-mentions[ids], -articles[ids]))]
        cut = order[min(n, len(order)) - 1]  # the keys ranked alike with the n-th are then ordered by key
        ahead = (articles[order] > articles[cut]) | ((articles[order] == articles[cut]) & (mentions[order] >= mentions[cut]))
        ranked = sorted((-int(articles[k]), -int(mentions[k]), self._k.keys[k]) for k in order[ahead].tolist())
        return [self.entry(key) for *_, key in ranked[:n]]

    def find(self, name: str, n: int = 10) -> list[ActorEntry]:
        """The (at most ``n``) actors ``name`` names, best first: the same words, then a name ending
        or starting with them (``حفتر`` → ``خليفة حفتر``). Raises :class:`InputError` for an unusable name."""
        words = _check_name(name)
        candidates = np.zeros(0, np.int32)
        for i, w in enumerate(words):
            with_w = self._k.keys_with(w)
            candidates = with_w if i == 0 else np.intersect1d(candidates, with_w, assume_unique=True)
            if not len(candidates):
                break
        forms = self._k.forms
        scored = []
        for k in candidates.tolist():
            gs = self._groups(k)
            best = max(_match(words, self._k.form(f)) for f in set(forms[gs].tolist()))
            if best:
                scored.append((-best, -len(set(self._position[gs].tolist())), -len(gs), self._k.keys[k]))
        scored.sort()
        return [self.entry(key) for *_, key in scored[:n]]

    def entry(self, key: str) -> ActorEntry | None:
        e = self._entries.get(key)
        if e is None:
            k = self._k.keys.find(key)
            if k < 0:
                return None
            e = self._entries[key] = self._entry(key, self._groups(k))
        return e

    def of_actor(self, text: str, type: ActorType) -> ActorEntry | None:
        """The entry of an answer's actor (its display ``text`` and ``type``), None if the index has none."""
        try:
            found = self.find(text)
        except InputError:
            return None
        return next((e for e in found if e.type == type), None)

    def sentences(
        self, entry: ActorEntry, limit: int | None = None, articles: Iterable[str] | None = None
    ) -> list[ActorSentence]:
        """The sentences that name ``entry`` (the first ``limit``), best first: articles that give
        its full name, then its role, in index order; in each, its sentences in order. ``articles``:
        only these articles' (what a feed read just added: :mod:`retrieval.alerts`)."""
        k = self._k.keys.find(entry.key)
        if k < 0:
            return []
        gs = self._groups(k)
        if articles is not None:
            wanted = np.array([p for p in (self.index.articles.position(a) for a in articles) if p >= 0], np.int64)
            gs = gs[np.isin(self._position[gs], wanted)]
        # Ordered by (text is not the name, no role, article), stably: read from the columns' offsets and bytes.
        text_off, role_off, raw = self._store.texts.blob.offsets, self._store.roles.blob.offsets, self._store.texts.blob.raw
        name = entry.name.encode("utf-8")
        not_name = np.ones(len(gs), dtype=bool)
        for i in np.flatnonzero(text_off[gs + 1] - text_off[gs] == len(name)).tolist():
            not_name[i] = raw(int(gs[i])) != name
        no_role = role_off[gs + 1] == role_off[gs]
        groups = gs[np.lexsort((self._position[gs], no_role, not_name))].tolist()
        position = self._position
        rows, mention_ptr = self._store.rows, self._store.mention_ptr
        out: list[ActorSentence] = []
        for g in groups:
            pos = int(position[g])
            a, b = mention_ptr[pos : pos + 2].tolist()
            spans = [(s, e) for s, e, grp in rows[a:b, 1:4].tolist() if grp == g]  # the group's, in source order
            if not spans:
                continue
            article = self.index.articles.at(pos)
            bounds = self.index.passages.article_sentences(pos)
            seen: set[int] = set()
            for s, e in spans:
                sent = next(((a, b) for a, b in bounds if a <= s < b), None)
                if sent is None or sent[0] in seen:
                    continue
                seen.add(sent[0])
                out.append(ActorSentence(article.id, sent[0], sent[1], article.text[sent[0] : sent[1]], (s, e)))
                if limit is not None and len(out) >= limit:
                    return out
        return out

    def co_actors(self, entry: ActorEntry, n: int = 10) -> list[tuple[ActorEntry, int]]:
        """The actors named in the same articles as ``entry``, with how many articles they share."""
        k = self._k.keys.find(entry.key)
        if k < 0:
            return []
        positions = np.unique(self._position[self._groups(k)])
        ptr = np.asarray(self._store.group_ptr)
        starts, lens = ptr[positions], ptr[positions + 1] - ptr[positions]
        groups = np.repeat(starts, lens) + (np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens))
        groups = groups[self._first_of_key[groups]]  # each article's keys once
        counts = np.bincount(self._key_ids[groups], minlength=len(self))
        counts[k] = 0
        named = np.flatnonzero(counts)
        top = named[np.lexsort((named, -counts[named]))][:n]
        return [(self.entry(self._k.keys[i]), int(counts[i])) for i in top.tolist()]

    # ------------------------------------------------------------------ entries
    def _date(self, position: int) -> str:
        """The date of the article at ``position`` ("" when it has none), without reading its text."""
        date = self._dates.get(position)
        if date is None:
            date = self._dates[position] = self.index.articles.field_at(position, "date") or ""
        return date

    def _entry(self, key: str, groups: np.ndarray) -> ActorEntry:
        gs = groups.tolist()
        store = self._store
        raw = store.texts.blob.raw
        counts: dict[bytes, int] = {}
        form_of: dict[bytes, int] = {}
        for g, f in zip(gs, self._k.forms[groups].tolist()):  # the display forms counted as bytes, decoded once each
            b = raw(g)
            n = counts.get(b)
            counts[b] = 1 if n is None else n + 1
            if n is None:
                form_of[b] = f
        forms = Counter({b.decode("utf-8"): n for b, n in counts.items()})
        n_words = {b.decode("utf-8"): self._k.form_len(f) for b, f in form_of.items()}
        name = max(forms, key=lambda f: (n_words[f], forms[f], len(f), f))
        role_off = store.roles.blob.offsets
        with_role = groups[role_off[groups + 1] > role_off[groups]].tolist()
        roles = Counter(store.roles[g] for g in with_role)
        positions = np.unique(self._position[groups]).tolist()
        dates = sorted({d for d in (self._date(p) for p in positions) if _ISO_DATE_RE.match(d)})
        ids = self.index.articles.ids
        return ActorEntry(
            key=key,
            name=name,
            type=TYPES[int(self._types[gs[0]])],
            aliases=tuple(sorted(forms, key=lambda f: (-forms[f], f))),
            roles=tuple(r for r, _ in sorted(roles.items(), key=lambda rc: (-rc[1], rc[0]))),
            articles=tuple(ids[p] for p in positions),
            mentions=int(self._n_spans[groups].sum()),
            first_date=dates[0] if dates else None,
            last_date=dates[-1] if dates else None,
        )


def _match(query: tuple[str, ...], form: tuple[str, ...]) -> int:
    """3: the same words; 2: the form ends with them; 1: starts with them or holds them in a row; 0: no."""
    if query == form:
        return 3
    n = len(query)
    if form[-n:] == query:
        return 2
    return 1 if any(form[i : i + n] == query for i in range(len(form) - n + 1)) else 0


def _check_name(name: str) -> tuple[str, ...]:
    name = " ".join(name.split())
    if len(name) > MAX_NAME_CHARS:
        raise InputError(f"an actor's name is at most {MAX_NAME_CHARS} characters (got {len(name)}): give the name only")
    if sum(c.isalpha() for c in name) < MIN_NAME_CHARS:
        raise InputError(f"give an actor's name of at least {MIN_NAME_CHARS} letters, e.g. حفتر or الأمم المتحدة")
    return _key_words(name)
