"""Alerts: which newly indexed reports match what readers follow (issue #26; pure, no I/O).

A reader follows an **actor** (``حفتر``, matched through the actor index as ``sanad actors`` is) or
a **subject** (question-like words, ``انتخابات ليبيا``, matched as a question is: the answer's
articles that the answerability model says answer it). :func:`match` takes the ids of the articles
one feed read added and every follow, and gives one :class:`Alert` per follow and **story**: five
papers carrying one report make one alert, the other outlets named in :attr:`Alert.also`. Each
distinct actor name and subject is looked up once per read, however many readers follow it.

Sending, the per-chat limits, quiet hours and "sent once" live with the bot's state store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .errors import InputError

if TYPE_CHECKING:
    from .service import Sanad

__all__ = ["Alert", "Follow", "match"]

FollowKind = Literal["actor", "subject"]


@dataclass(frozen=True, slots=True)
class Follow:
    """What one chat follows: an actor's name or a subject's words."""

    chat: str
    kind: FollowKind
    text: str


@dataclass(frozen=True, slots=True)
class Alert:
    """A new report for a follow: its article, the quoted sentence, the story it belongs to, and the
    other new articles of that story (their ids: «نُشر أيضاً في …»)."""

    follow: Follow
    article_id: str
    sentence: str
    story: int
    also: tuple[str, ...]


def _actor_hits(service: Sanad, name: str, new: frozenset[str]) -> list[tuple[str, str]]:
    """``(article id, sentence)`` of the new articles naming the actor ``name`` names (its best match)."""
    found = service.actors.find(name)
    if not found:
        return []
    entry = found[0]
    fresh = [a for a in entry.articles if a in new]
    if not fresh:
        return []
    first: dict[str, str] = {}
    for s in service.actors.sentences(entry, articles=fresh):
        if s.article_id in new and s.article_id not in first:
            first[s.article_id] = s.text
    return [(a, first[a]) for a in fresh if a in first]


def _subject_hits(service: Sanad, words: str, new: frozenset[str]) -> list[tuple[str, str]]:
    """``(article id, first quote)`` of the new articles the answer to ``words`` gives, when answered."""
    ans = service.answer(words)
    if not ans.answered:
        return []
    return [(r.article.id, r.quotes[0].text) for r in ans.results if r.article.id in new and r.quotes]


def match(service: Sanad, new_ids: Iterable[str], follows: Sequence[Follow]) -> list[Alert]:
    """The alerts the articles ``new_ids`` (just added to ``service``'s index) raise, in ``follows``
    order, one per follow and story (its first new article in index order quoted)."""
    new = frozenset(new_ids)
    if not new or not follows:
        return []
    index = service.index
    hits: dict[tuple[FollowKind, str], list[tuple[str, str]]] = {}
    for f in follows:
        key = (f.kind, f.text.strip())
        if key not in hits:
            look = _actor_hits if f.kind == "actor" else _subject_hits
            try:
                hits[key] = look(service, key[1], new)
            except InputError:  # a name or subject the index cannot look up (too short, no words)
                hits[key] = []
    story = index.stories.story
    out: list[Alert] = []
    for f in follows:
        by_story: dict[int, list[tuple[int, str, str]]] = {}
        for aid, sentence in hits[(f.kind, f.text.strip())]:
            pos = index.articles.position(aid)
            s = int(story[pos]) if len(story) > pos >= 0 else pos
            by_story.setdefault(s, []).append((pos, aid, sentence))
        for s, items in by_story.items():
            items.sort()
            pos, aid, sentence = items[0]
            ids = index.articles.ids  # ids without reading the articles' texts
            others = sorted({ids[p] for p in index.stories.others(pos)} & new - {aid})
            out.append(Alert(f, aid, sentence, s, tuple(others)))
    return out
