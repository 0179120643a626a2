"""The actor index: every actor the corpus names, across articles, from the mentions stored at index time.

Inside an article the extractor already merged aliases into groups (``خليفة حفتر`` / ``حفتر`` /
``لحفتر``, :func:`retrieval.actors.extract.merge`). Across articles a group is keyed by its type
and its normalized words, and a one-word person (``حفتر`` of an article that never gives his
first name) joins the one person of the corpus whose name ends with that word, when there is
exactly one. Namesakes of different types (``ليبيا`` the place, an organisation of the same
words) stay apart, and names match word by word: ``ليون`` is never the one inside ``مليون``.

Built once per index in memory, linear in the number of mentions (see ``bench/actors.py``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .actors import ActorType
from .errors import InputError
from .normalize import normalize_token

__all__ = ["ActorEntry", "ActorIndex", "ActorSentence", "MAX_NAME_CHARS", "MIN_NAME_CHARS"]

#: A name to look up must have this many letters at least, and at most this many characters.
MIN_NAME_CHARS = 2
MAX_NAME_CHARS = 100
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_WORD_RE = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class _Group:
    """One article's alias group (the mentions of one actor in one article)."""

    article_id: str
    position: int  # the article's position in the index
    type: ActorType
    text: str
    role: str | None
    spans: tuple[tuple[int, int], ...]


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


def _key_words(text: str) -> tuple[str, ...]:
    return tuple(normalize_token(w) for w in _WORD_RE.findall(text))


class ActorIndex:
    """Actors by key; built from an index's stored mentions (``index.mentions``)."""

    def __init__(self, index, groups: Sequence[_Group]) -> None:
        self.index = index
        self._dates: dict[int, str] = {}
        keyed = _assign_keys(groups)
        self._groups: dict[str, list[_Group]] = defaultdict(list)
        for key, g in keyed:
            self._groups[key].append(g)
        self._entries = {key: self._entry(key, gs) for key, gs in self._groups.items()}
        self._by_word: dict[str, set[str]] = defaultdict(set)
        for key, entry in self._entries.items():
            for form in entry.aliases:
                for w in _key_words(form):
                    self._by_word[w].add(key)

    @classmethod
    def build(cls, index) -> ActorIndex:
        """The actor index of ``index`` (its stored mentions grouped as the extractor grouped them)."""
        spans: dict[tuple[str, int], list] = defaultdict(list)
        for m in index.mentions:
            spans[(m.article_id, m.group)].append(m)
        groups = []
        for (aid, _), ms in spans.items():
            first = ms[0]
            groups.append(
                _Group(aid, index.articles.position(aid), first.type, first.text, first.role,
                       tuple((m.start, m.end) for m in ms))
            )
        groups.sort(key=lambda g: (g.position, g.spans[0]))
        return cls(index, groups)

    def __len__(self) -> int:
        return len(self._entries)

    # ------------------------------------------------------------------ queries
    def top(self, type: ActorType | None = None, n: int = 20) -> list[ActorEntry]:
        """The most-named actors (by articles, then mentions), of one ``type`` or all."""
        entries = [e for e in self._entries.values() if type is None or e.type == type]
        entries.sort(key=lambda e: (-len(e.articles), -e.mentions, e.name))
        return entries[:n]

    def find(self, name: str) -> list[ActorEntry]:
        """The actors ``name`` names, best first: the same words, then a name ending or starting
        with them (``حفتر`` → ``خليفة حفتر``). Raises :class:`InputError` for an unusable name."""
        words = _check_name(name)
        candidates = set.intersection(*(self._by_word.get(w, set()) for w in words)) if words else set()
        scored = []
        for key in candidates:
            e = self._entries[key]
            best = max(_match(words, _key_words(form)) for form in e.aliases)
            if best:
                scored.append((best, len(e.articles), e.mentions, e.name, e))
        scored.sort(key=lambda x: (-x[0], -x[1], -x[2], x[3]))
        return [x[-1] for x in scored]

    def entry(self, key: str) -> ActorEntry | None:
        return self._entries.get(key)

    def of_actor(self, text: str, type: ActorType) -> ActorEntry | None:
        """The entry of an answer's actor (its display ``text`` and ``type``), None if the index has none."""
        try:
            found = self.find(text)
        except InputError:
            return None
        return next((e for e in found if e.type == type), None)

    def sentences(self, entry: ActorEntry) -> list[ActorSentence]:
        """Every sentence that names ``entry``, best first: those giving its full name, then its
        role, then the earliest in each article; articles in index order."""
        out: list[tuple[tuple, ActorSentence]] = []
        for g in self._groups[entry.key]:
            bounds = _sentence_bounds(self.index, g.position)
            text = self.index.articles[g.article_id].text
            seen: set[int] = set()
            for s, e in g.spans:
                sent = next(((a, b) for a, b in bounds if a <= s < b), None)
                if sent is None or sent[0] in seen:
                    continue
                seen.add(sent[0])
                quote = text[sent[0] : sent[1]]
                rank = (entry.name not in quote, not (g.role and g.role in quote), g.position, sent[0])
                out.append((rank, ActorSentence(g.article_id, sent[0], sent[1], quote, (s, e))))
        out.sort(key=lambda x: x[0])
        return [s for _, s in out]

    def co_actors(self, entry: ActorEntry, n: int = 10) -> list[tuple[ActorEntry, int]]:
        """The actors named in the same articles as ``entry``, with how many articles they share."""
        articles = set(entry.articles)
        counts: Counter[str] = Counter()
        for key, gs in self._groups.items():
            if key != entry.key:
                shared = {g.article_id for g in gs} & articles
                if shared:
                    counts[key] = len(shared)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], -self._entries[kv[0]].mentions, kv[0]))
        return [(self._entries[k], c) for k, c in ranked[:n]]

    # ------------------------------------------------------------------ building
    def _date(self, position: int) -> str:
        """The date of the article at ``position`` ("" when it has none), without reading its text."""
        date = self._dates.get(position)
        if date is None:
            date = self._dates[position] = self.index.articles.field_at(position, "date") or ""
        return date

    def _entry(self, key: str, groups: list[_Group]) -> ActorEntry:
        forms = Counter(g.text for g in groups)
        name = max(forms, key=lambda f: (len(_key_words(f)), forms[f], len(f), f))
        roles = Counter(g.role for g in groups if g.role)
        articles = tuple(dict.fromkeys(g.article_id for g in groups))
        dates = sorted({d for d in (self._date(g.position) for g in groups) if _ISO_DATE_RE.match(d)})
        return ActorEntry(
            key=key,
            name=name,
            type=groups[0].type,
            aliases=tuple(sorted(forms, key=lambda f: (-forms[f], f))),
            roles=tuple(r for r, _ in sorted(roles.items(), key=lambda rc: (-rc[1], rc[0]))),
            articles=articles,
            mentions=sum(len(g.spans) for g in groups),
            first_date=dates[0] if dates else None,
            last_date=dates[-1] if dates else None,
        )


def _assign_keys(groups: Iterable[_Group]) -> list[tuple[str, _Group]]:
    """Each group's actor key: type and normalized words; one-word persons join the one person ending so."""
    groups = list(groups)
    words = [_key_words(g.text) for g in groups]
    endings: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for g, w in zip(groups, words):
        if g.type == "person" and len(w) >= 2:
            endings[w[-1]].add(w)
    out = []
    for g, w in zip(groups, words):
        if g.type == "person" and len(w) == 1 and len(endings.get(w[0], ())) == 1:
            w = next(iter(endings[w[0]]))
        out.append((f"{g.type}:{' '.join(w)}", g))
    return out


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


def _sentence_bounds(index, position: int) -> list[tuple[int, int]]:
    """The sentence spans of the article at ``position``, from its passages."""
    ps = index.passages
    first, last = int(ps.article_first[position]), int(ps.article_first[position + 1])
    a, b = int(ps.sentence_ptr[first]), int(ps.sentence_ptr[last])
    return [(s, e) for s, e, _ in ps.sentences[a:b].tolist()]
