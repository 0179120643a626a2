"""The one way into Sanad for every front end: :class:`Sanad` over an index and its options.

The CLI, the console and the Telegram bot hold a ``Sanad`` and never call
:func:`~retrieval.answer.answer` or :func:`~retrieval.actors.extract_actors` themselves, so
every one of them answers with the same actors, the same threshold and the same follow-up rules:

    >>> sanad = Sanad(index, Options(top_k=3, actors_backend="model"))
    >>> first = sanad.ask("ماذا قال كوبلر عن الجيش الليبي؟")
    >>> more = sanad.ask("وماذا قال أيضاً؟", first.context)   # about مارتن كوبلر, new quotes only
    >>> more.follow_up.actor.text
    'مارتن كوبلر'

A result's actors are the mentions the index stored when it was built (the backend acts at index
time); the service's tagger only tells whether a follow-up question names an actor. ``ask`` is
safe to call from several threads at once (the tagger is locked, the index is read-only); a front
end keeps each conversation's :class:`~retrieval.followup.Context`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import followup
from .actor_index import ActorEntry, ActorIndex, ActorSentence
from .actors.actor import Actor, ActorType
from .answer import answer
from .asking import clean_question
from .dates import DateRange
from .errors import InputError
from .followup import Context, FollowUp
from .index import Index
from .matching import actors_of as stored_actors
from .options import Options
from .results import Answer, Quote

if TYPE_CHECKING:  # the taggers and timelines are imported when first used: answering needs neither
    from .actors.backend import LockedTagger
    from .corpus import Article
    from .timeline import Timeline

__all__ = ["ActorReport", "Options", "Reply", "Sanad"]

#: The actor button and ``about()`` show at least this many passages.
ABOUT_TOP_K = 5
#: An actor report holds at most this many sentences (the best first).
REPORT_SENTENCES = 200


@dataclass(frozen=True, slots=True)
class ActorReport:
    """An actor of the actor index, every sentence naming it (best first), the actors named with it
    (and in how many articles), and the other actors the looked-up name could mean."""

    entry: ActorEntry
    sentences: tuple[ActorSentence, ...]
    co_actors: tuple[tuple[ActorEntry, int], ...]
    others: tuple[ActorEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer and what the conversation's context becomes after it.

    ``context``: the context for the next question (None: none). ``follow_up``: set when the
    question was answered in the previous context (its actor, the user's own words).
    """

    answer: Answer
    context: Context | None
    follow_up: FollowUp | None = None


class Sanad:
    """Answers, actors and articles of one index, with one set of :class:`Options`."""

    def __init__(
        self, index: Index, options: Options | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.index = index
        self.options = options or Options()
        self.clock = clock
        self._tagger: LockedTagger | None = None
        self._tagger_loaded = False
        self._lock = threading.Lock()
        self._actors: ActorIndex | None = None

    # ------------------------------------------------------------------ actors
    @property
    def tagger(self) -> LockedTagger | None:
        """The statistical tagger of ``options.actors_backend`` for questions (loaded on first use;
        None for ``rules``): it tells whether a question names an actor (:meth:`names_an_actor`).
        For ``ensemble`` that is its CRF half: a question is a few words, where the neural
        tagger's fill adds nothing measurable and costs CPU on every message of the bot."""
        if not self._tagger_loaded:
            from .actors.backend import resolve_tagger

            with self._lock:
                if not self._tagger_loaded:
                    tagger = resolve_tagger(self.options.actors_backend)
                    if tagger is not None and tagger.name == "ensemble":
                        tagger = resolve_tagger("model")
                    self._tagger = tagger
                    self._tagger_loaded = True
        return self._tagger

    def actors_of(self, article_id: str, quotes: Sequence[Quote]) -> tuple[Actor, ...]:
        """The actors named in ``quotes`` of the article, as the index stored them (as an answer's)."""
        return stored_actors(self.index, article_id, quotes)

    def names_an_actor(self, text: str) -> bool:
        from .actors.extract import extract_actors

        return bool(extract_actors(text, self.tagger))

    # ------------------------------------------------------------------ answers
    def answer(self, question: str, top_k: int | None = None, latest: bool = False) -> Answer:
        """The answer to ``question`` alone (no context), from the options' dates, the newest
        reports first with ``latest``. Raises :class:`InputError` for a question with no words."""
        o = self.options
        return answer(question, self.index, top_k or o.top_k, o.min_confidence, period=DateRange(o.since, o.until),
                      latest=latest)

    def ask(self, question: str, context: Context | None = None, latest: bool = False) -> Reply:
        """The answer to ``question``, in ``context`` when it is a short follow-up naming no actor.

        An unanswered question keeps the context (the user may rephrase). Raises
        :class:`InputError` for a question with no words.
        """
        text, _ = clean_question(question)
        analyzer = self.index.analyzer
        if context is not None and followup.is_follow_up(text, context, analyzer, self.names_an_actor):
            reply = self._in_context(text, context)
            if reply is not None:
                return reply
        ans = self.answer(question, latest=latest)
        if not ans.answered:
            return Reply(ans, context)
        return Reply(ans, followup.context_after(analyzer, ans, self.clock()))

    def _in_context(self, text: str, context: Context) -> Reply | None:
        ans = self.answer(followup.follow_up_query(text, context))
        if not ans.answered:
            return None
        # A question about the same event may be answered by a sentence already shown: it stays.
        fresh = ans if followup.asks_about_event(text) else followup.drop_shown(ans, context.shown, self.actors_of)
        shown = fresh or ans
        new_context = followup.context_after(self.index.analyzer, shown, self.clock(), context)
        return Reply(shown, new_context, FollowUp(context.actor, text, nothing_new=fresh is None))

    def about(self, actor: Actor) -> Answer:
        """The passages naming ``actor``: searched by the distinctive part of a person's name, else the name."""
        top_k = max(self.options.top_k, ABOUT_TOP_K)
        query = followup.actor_query(actor)
        ans = self.answer(query, top_k)
        if not ans.answered and query != actor.text:
            ans = self.answer(actor.text, top_k)
        return ans

    def working(self, questions: Iterable[str]) -> tuple[str, ...]:
        """The ``questions`` this index answers (example questions worth showing a user)."""
        out = []
        for q in questions:
            try:
                if self.answer(q).answered:
                    out.append(q)
            except InputError:
                pass
        return tuple(out)

    # ------------------------------------------------------------------ the actor index
    @property
    def actors(self) -> ActorIndex:
        """The corpus's actors across articles (built from the stored mentions on first use)."""
        if self._actors is None:
            with self._lock:
                if self._actors is None:
                    self._actors = ActorIndex(self.index)
        return self._actors

    def actor(self, name: str, type: ActorType | None = None, limit: int = REPORT_SENTENCES) -> ActorReport | None:
        """What the corpus says of the actor ``name`` names (the best match, of ``type`` if given),
        None when it names none. Raises :class:`InputError` for a name too short or too long to look up.
        """
        found = [e for e in self.actors.find(name) if type is None or e.type == type]
        return self.report(found[0], tuple(found[1:]), limit) if found else None

    def report(
        self, entry: ActorEntry, others: tuple[ActorEntry, ...] = (), limit: int = REPORT_SENTENCES
    ) -> ActorReport:
        """``entry``'s first ``limit`` sentences (best first) and the actors named with it."""
        sentences = tuple(self.actors.sentences(entry, limit))
        return ActorReport(entry, sentences, tuple(self.actors.co_actors(entry)), others)

    def about_actor(self, actor: Actor) -> ActorReport | None:
        """The actor index's report on an answer's ``actor`` (the actor buttons), None if it has none."""
        entry = self.actors.of_actor(actor.text, actor.type)
        return None if entry is None else self.report(entry)

    # ------------------------------------------------------------------ articles
    def timeline(self, query: str) -> Timeline:
        """Reports per week of an actor (one the actor index knows) or of a question's words
        (:func:`retrieval.timeline.timeline`). Raises :class:`InputError` (no words, or no dates)."""
        from .timeline import timeline

        return timeline(self.index, query, self.actors)

    def sources(self) -> Sequence[Article]:
        """Every article answered from, in index order: a lazy sequence (a page of it decompresses only its articles)."""
        return self.index.articles.values()

    def article(self, key: str) -> Article | None:
        """The article with id ``key``, or the only one whose id starts with it (None otherwise)."""
        articles = self.index.articles
        if key in articles:
            return articles[key]
        matches = [k for k in articles if k.startswith(key)]
        return articles[matches[0]] if len(matches) == 1 else None
