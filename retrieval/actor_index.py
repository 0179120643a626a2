"""The actor index: every actor the corpus names, across articles, from the mentions stored at index time.

Inside an article the extractor already merged aliases into groups (``خليفة حفتر`` / ``حفتر`` /
``لحفتر``, :func:`retrieval.actors.extract.merge`). Across articles a group is keyed by its type
and its normalized words, and a one-word person (``حفتر`` of an article that never gives his
first name) joins the one person of the corpus whose name ends with that word, when there is
exactly one. Namesakes of different types (``ليبيا`` the place, an organisation of the same
words) stay apart, and names match word by word: ``ليون`` is never the one inside ``مليون``.

Built once per index in memory, linear in the number of mentions (timed by ``bench/archive.py``).
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .actors import ActorType
from .errors import InputError
from .index.mentions import TYPES
from .normalize import normalize_token

__all__ = ["ActorEntry", "ActorIndex", "ActorSentence", "MAX_NAME_CHARS", "MIN_NAME_CHARS"]

#: A name to look up must have this many letters at least, and at most this many characters.
MIN_NAME_CHARS = 2
MAX_NAME_CHARS = 100
#: Names whose normalized words are kept (the display forms of a large archive's actors).
KEY_CACHE_SIZE = 200_000
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_WORD_RE = re.compile(r"\S+")


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


@functools.lru_cache(maxsize=KEY_CACHE_SIZE)
def _key_words(text: str) -> tuple[str, ...]:
    return tuple(normalize_token(w) for w in _WORD_RE.findall(text))


class ActorIndex:
    """Actors by key, built from an index's stored mentions (``index.mentions``) in one pass over its groups."""

    def __init__(self, index) -> None:
        self.index = index
        store = index.mentions
        self._texts = [store.texts[g] for g in range(len(store.types))]
        self._roles = [store.roles[g] or None for g in range(len(store.types))]
        self._types: list[ActorType] = [TYPES[t] for t in np.asarray(store.types).tolist()]
        ptr = np.asarray(store.group_ptr)
        self._position = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr)).tolist()  # each group's article
        rows = np.asarray(store.rows)
        order = np.argsort(rows[:, 3], kind="stable")
        self._spans = rows[order][:, 1:3]  # mention spans, grouped by group, source order within
        self._span_ptr = np.searchsorted(rows[order][:, 3], np.arange(len(self._texts) + 1)).tolist()
        self._groups: dict[str, list[int]] = defaultdict(list)
        for key, g in zip(_assign_keys(self._texts, self._types), range(len(self._texts))):
            self._groups[key].append(g)
        self._keys = list(self._groups)
        self._key_id = {k: i for i, k in enumerate(self._keys)}
        self._co = _article_keys(self._groups, self._key_id, self._position, len(ptr) - 1)
        self._by_word: dict[str, set[str]] = defaultdict(set)
        for key, gs in self._groups.items():
            for form in {self._texts[g] for g in gs}:
                for w in _key_words(form):
                    self._by_word[w].add(key)
        self._entries: dict[str, ActorEntry] = {}
        self._dates: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._groups)

    # ------------------------------------------------------------------ queries
    def top(self, type: ActorType | None = None, n: int = 20) -> list[ActorEntry]:
        """The most-named actors (by articles, then mentions), of one ``type`` or all."""
        def rank(key: str) -> tuple[int, int]:
            gs = self._groups[key]
            return (-len({self._position[g] for g in gs}), -sum(self._n_spans(g) for g in gs))

        keys = [k for k, gs in self._groups.items() if type is None or self._types[gs[0]] == type]
        keys.sort(key=lambda k: (*rank(k), k))
        return [self.entry(k) for k in keys[:n]]

    def find(self, name: str, n: int = 10) -> list[ActorEntry]:
        """The (at most ``n``) actors ``name`` names, best first: the same words, then a name ending
        or starting with them (``حفتر`` → ``خليفة حفتر``). Raises :class:`InputError` for an unusable name."""
        words = _check_name(name)
        candidates = set.intersection(*(self._by_word.get(w, set()) for w in words)) if words else set()
        scored = []
        for key in candidates:
            gs = self._groups[key]
            best = max(_match(words, _key_words(form)) for form in {self._texts[g] for g in gs})
            if best:
                scored.append((-best, -len({self._position[g] for g in gs}), -len(gs), key))
        scored.sort()
        return [self.entry(key) for *_, key in scored[:n]]

    def entry(self, key: str) -> ActorEntry | None:
        if key not in self._groups:
            return None
        e = self._entries.get(key)
        if e is None:
            e = self._entries[key] = self._entry(key, self._groups[key])
        return e

    def of_actor(self, text: str, type: ActorType) -> ActorEntry | None:
        """The entry of an answer's actor (its display ``text`` and ``type``), None if the index has none."""
        try:
            found = self.find(text)
        except InputError:
            return None
        return next((e for e in found if e.type == type), None)

    def sentences(self, entry: ActorEntry, limit: int | None = None) -> list[ActorSentence]:
        """The sentences that name ``entry`` (the first ``limit``), best first: articles that give
        its full name, then its role, in index order; in each, its sentences in order."""
        groups = sorted(
            self._groups[entry.key],
            key=lambda g: (self._texts[g] != entry.name, not self._roles[g], self._position[g]),
        )
        out: list[ActorSentence] = []
        for g in groups:
            pos = self._position[g]
            article = self.index.articles.at(pos)
            bounds = self.index.passages.article_sentences(pos)
            seen: set[int] = set()
            for s, e in self._spans[self._span_ptr[g] : self._span_ptr[g + 1]].tolist():
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
        keys_of, ptr = self._co
        positions = sorted({self._position[g] for g in self._groups[entry.key]})
        parts = [keys_of[ptr[p] : ptr[p + 1]] for p in positions]
        counts = np.bincount(np.concatenate(parts), minlength=len(self._keys)) if parts else np.zeros(0, np.int64)
        if len(counts):
            counts[self._key_id[entry.key]] = 0
        top = [int(i) for i in np.lexsort((np.arange(len(counts)), -counts))[:n] if counts[i] > 0]
        return [(self.entry(self._keys[i]), int(counts[i])) for i in top]

    # ------------------------------------------------------------------ building
    def _n_spans(self, g: int) -> int:
        return self._span_ptr[g + 1] - self._span_ptr[g]

    def _date(self, position: int) -> str:
        """The date of the article at ``position`` ("" when it has none), without reading its text."""
        date = self._dates.get(position)
        if date is None:
            date = self._dates[position] = self.index.articles.field_at(position, "date") or ""
        return date

    def _entry(self, key: str, groups: list[int]) -> ActorEntry:
        forms = Counter(self._texts[g] for g in groups)
        name = max(forms, key=lambda f: (len(_key_words(f)), forms[f], len(f), f))
        roles = Counter(self._roles[g] for g in groups if self._roles[g])
        positions = sorted({self._position[g] for g in groups})
        dates = sorted({d for d in (self._date(p) for p in positions) if _ISO_DATE_RE.match(d)})
        ids = self.index.articles.ids
        return ActorEntry(
            key=key,
            name=name,
            type=self._types[groups[0]],
            aliases=tuple(sorted(forms, key=lambda f: (-forms[f], f))),
            roles=tuple(r for r, _ in sorted(roles.items(), key=lambda rc: (-rc[1], rc[0]))),
            articles=tuple(ids[p] for p in positions),
            mentions=sum(self._n_spans(g) for g in groups),
            first_date=dates[0] if dates else None,
            last_date=dates[-1] if dates else None,
        )


def _assign_keys(texts: Sequence[str], types: Sequence[ActorType]) -> list[str]:
    """Each group's actor key: type and normalized words; one-word persons join the one person ending so."""
    words = [_key_words(t) for t in texts]
    endings: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for t, w in zip(types, words):
        if t == "person" and len(w) >= 2:
            endings[w[-1]].add(w)
    out = []
    for t, w in zip(types, words):
        if t == "person" and len(w) == 1 and len(endings.get(w[0], ())) == 1:
            w = next(iter(endings[w[0]]))
        out.append(f"{t}:{' '.join(w)}")
    return out


def _article_keys(groups: dict[str, list[int]], key_id: dict[str, int], position: list[int], n_articles: int):
    """Each article's actor ids, as one array and the offsets of each article's run (for co-occurrence counts)."""
    pairs = sorted({(position[g], key_id[k]) for k, gs in groups.items() for g in gs})
    arts = np.fromiter((p for p, _ in pairs), np.int64, len(pairs))
    keys = np.fromiter((k for _, k in pairs), np.int64, len(pairs))
    return keys, np.searchsorted(arts, np.arange(n_articles + 1)).tolist()


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
