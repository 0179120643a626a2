"""Timelines: how many reports name an actor, or answer to a question's words, week by week.

- For an **actor** (a name the actor index knows: :meth:`~retrieval.actor_index.ActorIndex.find`),
  a week counts the dated articles naming it (:mod:`retrieval.index.mentions`).
- For a **question**, a week counts the dated articles with a passage holding all of the
  question's most specific words (at most :data:`QUESTION_TERMS` of them, by IDF; each with its
  clitic variants): the reports about what is asked, not every article sharing one word with it.

Weeks start on Monday and run over the whole archive's dated span, so that two timelines of one
index line up; articles without a usable date are counted apart (``undated``). Folded stories are
counted once per article: a story five papers ran weighs five, as its coverage did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np

from .actor_index import ActorIndex
from .asking import analyse_question
from .dates import week_start
from .errors import InputError
from .index import Index
from .stories import NO_DAY

__all__ = ["QUESTION_TERMS", "SPARKS", "Timeline", "Week", "sparkline", "timeline"]

QUESTION_TERMS = 3
#: The eight block heights of a sparkline, lowest first.
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class Week:
    """The week starting on Monday ``start``, and how many reports of it count."""

    start: date
    count: int


@dataclass(frozen=True, slots=True)
class Timeline:
    """Reports per week for ``query``: what was counted (``kind``, ``label``), the weeks, the
    total over them, and the matching reports without a date."""

    query: str
    kind: Literal["actor", "question"]
    label: str
    weeks: tuple[Week, ...]
    total: int
    undated: int = 0
    terms: tuple[str, ...] = ()

    @property
    def peak(self) -> Week | None:
        """The week with the most reports (the earliest of equal ones)."""
        return max(self.weeks, key=lambda w: (w.count, -w.start.toordinal()), default=None)


def _weeks(index: Index, positions: np.ndarray) -> tuple[tuple[Week, ...], int]:
    days = index.days
    dated = days[days != NO_DAY]
    if not len(dated):
        return (), len(positions)
    first = week_start(date.fromordinal(int(dated.min()))).toordinal()
    last = week_start(date.fromordinal(int(dated.max()))).toordinal()
    mine = days[positions] if len(positions) else np.zeros(0, np.int32)
    have = mine[mine != NO_DAY]
    counts = np.bincount((have - first) // 7 if len(have) else np.zeros(0, np.int64), minlength=(last - first) // 7 + 1)
    weeks = tuple(Week(date.fromordinal(first) + timedelta(weeks=i), int(c)) for i, c in enumerate(counts.tolist()))
    return weeks, int(len(mine) - len(have))


def _question_articles(index: Index, question: str) -> tuple[np.ndarray, tuple[str, ...]]:
    asked = analyse_question(question, index)
    terms = sorted(asked.terms, key=lambda t: (-index.lucene_idf(t), t))[:QUESTION_TERMS]
    if not terms:
        return np.zeros(0, np.int64), ()
    passages: set[int] | None = None
    for t in terms:
        hits = set(index.postings.matching(list(index.expand([t]))))
        passages = hits if passages is None else passages & hits
    arts = np.unique(index.passage_articles[sorted(passages or ())]) if passages else np.zeros(0, np.int64)
    return arts, tuple(terms)


def timeline(index: Index, query: str, actors: ActorIndex | None = None) -> Timeline:
    """The timeline of ``query``: an actor's when the actor index knows the name, else a question's.

    Raises :class:`InputError` for a query with no words, or for an index without dated articles.
    """
    query = " ".join(query.split())
    if not query:
        raise InputError("give an actor or a question: sanad timeline «الحوثيين»")
    if not index.dated:
        raise InputError("the articles of this index have no dates: a timeline needs dated articles (a 'date' field)")
    entry = None
    if actors is not None:
        try:
            found = actors.find(query, n=1)
        except InputError:
            found = []
        entry = found[0] if found else None
    if entry is not None:
        positions = np.asarray(sorted({index.articles.position(a) for a in entry.articles}), dtype=np.int64)
        weeks, undated = _weeks(index, positions)
        return Timeline(query, "actor", entry.name, weeks, sum(w.count for w in weeks), undated)
    positions, terms = _question_articles(index, query)
    weeks, undated = _weeks(index, positions)
    return Timeline(query, "question", query, weeks, sum(w.count for w in weeks), undated, terms)


def sparkline(tl: Timeline) -> str:
    """One character per week, its height the week's share of the peak (a space: no report)."""
    top = max((w.count for w in tl.weeks), default=0)
    if top == 0:
        return ""
    return "".join(" " if w.count == 0 else SPARKS[min(len(SPARKS) - 1, (w.count * len(SPARKS) - 1) // top)] for w in tl.weeks)
