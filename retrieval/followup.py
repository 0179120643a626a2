"""Follow-up questions: a short question that names no actor is asked about the previous answer's actor.

After ``ماذا قال كوبلر عن الجيش الليبي؟`` the follow-up ``وماذا قال أيضاً؟`` means "what else did
*Kobler* say": it is searched with the actor's distinctive name added, and the quotes the chat has
already seen are left out. A follow-up asking for a time, a place, a person or a number
(``ومتى حدث ذلك؟`` after ``من التقى حفتر في القاهرة؟``) asks about the same event: it is searched
with the previous question's words too (:attr:`Context.topic`), and a quote already seen may be
quoted again, since the answer is often in the sentence that answered before. Everything here is pure (no I/O, no front end): :class:`Context` is
what a front end keeps between two questions (the console in a variable, the Telegram bot per
chat), and :class:`~retrieval.service.Sanad` applies these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from .actors import Actor
from .actors.words import NAME_PARTICLES_WRITTEN
from .normalize import Analyzer, normalize_token, tokenize
from .questions import span_type
from .results import Answer, Quote, Result

__all__ = [
    "MAX_TERMS",
    "MAX_WORDS",
    "Context",
    "FollowUp",
    "EVENT_KINDS",
    "actor_query",
    "asks_about_event",
    "follow_up_query",
    "context_after",
    "drop_shown",
    "is_follow_up",
    "main_actor",
]

#: A follow-up is short: at most this many words, and this many searchable terms.
MAX_WORDS = 6
MAX_TERMS = 3

QuoteKey = tuple[str, int]  # (article id, quote start)
#: The kinds of answer (retrieval.questions.span_type) a follow-up about the same event asks for.
EVENT_KINDS = frozenset(("date", "place", "person", "number", "organization"))


@dataclass(frozen=True, slots=True)
class Context:
    """What the next short follow-up is answered in: the actor, the names of the last answer, what was shown.

    ``at`` is the wall-clock time (seconds since the epoch) the context was made or last used.
    """

    actor: Actor
    names: frozenset[str]  # analysed words of every actor of the answers in this context
    shown: frozenset[QuoteKey]  # quotes already shown in this context
    at: float
    topic: str = ""  # the question that opened the context (a follow-up about the same event adds its words)

    def fresh(self, now: float, minutes: float) -> bool:
        """Still usable ``minutes`` after it was last used (``minutes <= 0``: contexts are off)."""
        return minutes > 0 and now - self.at <= 60 * minutes


@dataclass(frozen=True, slots=True)
class FollowUp:
    """How an answer relates to the previous one: asked about ``actor`` with the user's own ``question``.

    ``nothing_new``: every quote found had been shown already, so they are shown again.
    """

    actor: Actor
    question: str
    nothing_new: bool = False


def names_of(analyzer: Analyzer, ans: Answer) -> frozenset[str]:
    """The analysed words of every actor of ``ans``."""
    return frozenset(t for r in ans.results for a in r.actors for t in analyzer.tokens(a.text))


def quote_keys(ans: Answer) -> frozenset[QuoteKey]:
    return frozenset((r.article.id, q.start) for r in ans.results for q in r.quotes)


def is_follow_up(text: str, ctx: Context, analyzer: Analyzer, names_an_actor: Callable[[str], bool]) -> bool:
    """A short question with words, naming no actor (neither one of the context's nor a detected one)."""
    if not tokenize(text) or len(text.split()) > MAX_WORDS:
        return False
    terms = set(analyzer.tokens(text))
    if len(terms) > MAX_TERMS or terms & ctx.names:
        return False
    return not names_an_actor(text)


def actor_query(actor: Actor) -> str:
    """A person's family name (``مارتن كوبلر -> كوبلر``, ``مصطفى عبد الجليل -> عبد الجليل``) finds
    every sentence that names them; other actors are searched by their full name."""
    words = actor.text.split()
    if actor.type != "person" or len(words) < 2:
        return actor.text
    if len(words) >= 3 and words[-2] in NAME_PARTICLES_WRITTEN:
        return " ".join(words[-2:])
    return words[-1]


def main_actor(analyzer: Analyzer, ans: Answer) -> Actor | None:
    """The actor a follow-up is about: one the question names (person, then organisation), else
    the top result's first person, organisation, then any actor."""
    terms = set(ans.terms)
    for r in ans.results:
        if not r.actors:
            continue
        named = [a for a in r.actors if terms & set(analyzer.tokens(a.text))]
        for pool in (
            [a for a in named if a.type == "person"],
            [a for a in named if a.type == "organization"],
            [a for a in r.actors if a.type == "person"],
            [a for a in r.actors if a.type == "organization"],
            named,
            list(r.actors),
        ):
            if pool:
                return pool[0]
    return None


def drop_shown(
    ans: Answer, shown: Iterable[QuoteKey], actors_of: Callable[[str, tuple[Quote, ...]], tuple[Actor, ...]]
) -> Answer | None:
    """``ans`` without the quotes already ``shown`` (None if nothing new is left).

    A result that loses some quotes gets its actors again from ``actors_of(article_id, quotes)``
    (the index's mentions, as the answer's), so a follow-up lists the actors of what it shows.
    """
    seen = frozenset(shown)
    results: list[Result] = []
    for r in ans.results:
        kept = [j for j, q in enumerate(r.quotes) if (r.article.id, q.start) not in seen]
        if not kept:
            continue
        if len(kept) != len(r.quotes):
            quotes = tuple(r.quotes[j] for j in kept)
            span = r.answer  # the answer span stays only with its quote, renumbered
            if span is not None:
                span = replace(span, sentence=kept.index(span.sentence)) if span.sentence in kept else None
            r = replace(r, quotes=quotes, actors=actors_of(r.article.id, quotes), answer=span)
        results.append(r)
    return replace(ans, results=tuple(results)) if results else None


def context_after(analyzer: Analyzer, ans: Answer, now: float, previous: Context | None = None) -> Context | None:
    """The context a chat is in after seeing ``ans``.

    Answered in ``previous`` (a follow-up): the same actor, with this answer's names and quotes
    added. A new answer: its main actor (None when it names none).
    """
    if previous is not None:
        return Context(
            previous.actor, previous.names | names_of(analyzer, ans), previous.shown | quote_keys(ans), now, previous.topic
        )
    actor = main_actor(analyzer, ans)
    return None if actor is None else Context(actor, names_of(analyzer, ans), quote_keys(ans), now, ans.question)


def asks_about_event(text: str) -> bool:
    """A follow-up asking for a time, a place, a person or a number (``ومتى حدث ذلك؟``): about
    the event of the previous answer, not about its actor at large."""
    return span_type([normalize_token(t.surface) for t in tokenize(text)]) in EVENT_KINDS


def follow_up_query(text: str, ctx: Context) -> str:
    """What a follow-up is searched as: its words and the actor's distinctive name, and for a
    question about the same event (:func:`asks_about_event`) the words of the question that
    opened the context."""
    query = f"{text} {actor_query(ctx.actor)}"
    return f"{query} {ctx.topic}" if ctx.topic and asks_about_event(text) else query
