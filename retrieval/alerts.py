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
from .results import Quote, Result

if TYPE_CHECKING:
    from .service import Sanad

__all__ = ["ACTOR_WORDS", "Alert", "Follow", "added_since", "alert_result", "follow_kind", "match"]

FollowKind = Literal["actor", "subject"]
#: A follow is an actor's when its words (at most this many) name an actor the actor index knows.
ACTOR_WORDS = 4


@dataclass(frozen=True, slots=True)
class Follow:
    """What one chat follows: an actor's name or a subject's words."""

    chat: str
    kind: FollowKind
    text: str


@dataclass(frozen=True, slots=True)
class Alert:
    """A new report for a follow, shown as an answer's result: the new article, the quoted sentence
    (:attr:`result`'s one quote), the actors it names, and the other new articles of its story
    (``result.also_reported_in``: «نُشر أيضاً في …»). ``story`` is the id of the story's first
    article, old or new: the same key whatever outlet carries the report next."""

    follow: Follow
    result: Result
    story: str

    @property
    def article_id(self) -> str:
        return self.result.article.id

    @property
    def sentence(self) -> str:
        return self.result.quotes[0].text

    @property
    def also(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.result.also_reported_in)


def follow_kind(service: Sanad, text: str) -> FollowKind:
    """``actor`` when ``text`` (at most :data:`ACTOR_WORDS` words) names an actor of the index, as
    ``sanad actors NAME`` finds it; ``subject`` otherwise (matched as a question)."""
    if len(text.split()) > ACTOR_WORDS:
        return "subject"
    try:
        return "actor" if service.actor(text) is not None else "subject"
    except InputError:  # too short or too long to be a name
        return "subject"


def added_since(ids: Sequence[str], count: int, last: str | None) -> list[str] | None:
    """The ids appended to an index since it held ``count`` articles, the last ``last``; None when
    it was rebuilt instead (fewer articles, or another one at that place)."""
    if count > len(ids) or (count and ids[count - 1] != last):
        return None
    return list(ids[count:])


Hit = tuple[str, Quote, float]  # article id, the sentence quoted, the probability it answers


def _actor_hits(service: Sanad, name: str, new: frozenset[str]) -> list[Hit]:
    """``(article id, sentence, 1.0)`` of the new articles naming the actor ``name`` names (its best match)."""
    found = service.actors.find(name)
    if not found:
        return []
    entry = found[0]
    fresh = [a for a in entry.articles if a in new]
    if not fresh:
        return []
    first: dict[str, Quote] = {}
    for s in service.actors.sentences(entry, articles=fresh):
        if s.article_id in new and s.article_id not in first:
            mention = (s.mention[0] - s.start, s.mention[1] - s.start)
            first[s.article_id] = Quote(s.text, s.start, s.end, (mention,) if 0 <= mention[0] < mention[1] <= len(s.text) else ())
    return [(a, first[a], 1.0) for a in fresh if a in first]  # named: certain


def _subject_hits(service: Sanad, words: str, new: frozenset[str]) -> list[Hit]:
    """``(article id, first quote, probability)`` of the new articles the answer to ``words`` gives, when answered."""
    ans = service.answer(words)
    if not ans.answered:
        return []
    return [(r.article.id, r.quotes[0], r.probability) for r in ans.results if r.article.id in new and r.quotes]


def alert_result(service: Sanad, article_id: str, quote: Quote, probability: float, also: Sequence[str] = ()) -> Result:
    """The answer result an alert shows: ``quote`` of the article (verbatim: it is cut from the
    article's text again), the actors it names as the index stored them, the other outlets
    ``also`` (ids; those no longer indexed are left out). KeyError when the article is not indexed."""
    index = service.index
    article = index.articles[article_id]
    text = article.text[quote.start : quote.end]
    quote = Quote(text, quote.start, quote.end, tuple((s, e) for s, e in quote.highlights if 0 <= s < e <= len(text)))
    metas = tuple(index.articles.meta_at(index.articles.position(a)) for a in also if a in index.articles)
    return Result(
        article=article, passage_id="", score=0.0, coverage=0.0, quotes=(quote,), actors=service.actors_of(article_id, (quote,)),
        probability=probability, also_reported_in=metas,
    )  # fmt: skip


def match(service: Sanad, new_ids: Iterable[str], follows: Sequence[Follow]) -> list[Alert]:
    """The alerts the articles ``new_ids`` (just added to ``service``'s index) raise, in ``follows``
    order, one per follow and story (its first new article in index order quoted)."""
    new = frozenset(new_ids)
    if not new or not follows:
        return []
    index = service.index
    hits: dict[tuple[FollowKind, str], list[Hit]] = {}
    for f in follows:
        key = (f.kind, f.text.strip())
        if key not in hits:
            look = _actor_hits if f.kind == "actor" else _subject_hits
            try:
                hits[key] = look(service, key[1], new)
            except InputError:  # a name or subject the index cannot look up (too short, no words)
                hits[key] = []
    story = index.stories.story
    ids = index.articles.ids  # ids without reading the articles' texts
    results: dict[tuple[str, int], Result] = {}
    out: list[Alert] = []
    for f in follows:
        by_story: dict[int, list[tuple[int, str, Quote, float]]] = {}
        for aid, quote, p in hits[(f.kind, f.text.strip())]:
            pos = index.articles.position(aid)
            s = int(story[pos]) if len(story) > pos >= 0 else pos
            by_story.setdefault(s, []).append((pos, aid, quote, p))
        for s, items in by_story.items():
            items.sort(key=lambda item: item[0])
            pos, aid, quote, p = items[0]
            if (aid, quote.start) not in results:
                others = [ids[x] for x in sorted(index.stories.others(pos)) if ids[x] in new and ids[x] != aid]
                results[(aid, quote.start)] = alert_result(service, aid, quote, p, others)
            out.append(Alert(f, results[(aid, quote.start)], ids[s] if 0 <= s < len(ids) else aid))
    return out
