"""What an answer is: its quotes, its results and the answer itself (frozen dataclasses; their JSON: :mod:`retrieval.schema`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .actors.actor import Actor
from .corpus import Article, ArticleMeta
from .spans import FoundSpan

__all__ = ["Answer", "Quote", "Result"]


@dataclass(frozen=True, slots=True)
class Quote:
    """A verbatim sentence: ``article.text[start:end] == text``; ``highlights`` are offsets in ``text``."""

    text: str
    start: int
    end: int
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Result:
    """One article's answer: its quotes (source order), the best passage, and named actors.

    ``score`` is the passage's BM25 score (results keep the search layer's order),
    ``probability`` the answerability model's probability that this article answers, and
    ``coverage`` the IDF-weighted share of the question's words found around the best sentence.
    When every quote repeats a sentence an earlier result quotes, ``repeats`` names those
    results' article ids (front ends show the sentence once and this article as another source).
    ``also_reported_in``: the other articles of the same story (:mod:`retrieval.stories`: the
    same report in other outlets, earliest first); they are folded into this result.
    """

    article: Article
    passage_id: str
    score: float
    coverage: float
    quotes: tuple[Quote, ...]
    actors: tuple[Actor, ...] = ()
    probability: float = 0.0
    repeats: tuple[str, ...] = ()  # earlier results whose sentences these quotes repeat (see _fresh)
    also_reported_in: tuple[ArticleMeta, ...] = ()
    # The words that answer, inside quote number answer.sentence (retrieval.spans): the first result only.
    answer: FoundSpan | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one question. ``answered`` is False when the corpus holds no answer.

    ``confidence`` is the probability that the first result answers (for a refusal: that the
    closest article would have); ``closest`` is the best candidate of a refusal, never a result.
    """

    question: str
    answered: bool
    results: tuple[Result, ...] = ()
    terms: tuple[str, ...] = ()
    confidence: float = 0.0
    notes: tuple[str, ...] = field(default=())
    closest: Result | None = None

    def to_dict(self, *, complete: bool = False) -> dict:
        """The JSON contract (``sanad ask --json``); ``complete`` adds what :meth:`from_dict` needs
        (:mod:`retrieval.schema`)."""
        from .schema import answer_to_dict

        return answer_to_dict(self, complete=complete)

    @classmethod
    def from_dict(cls, data: Mapping, articles: Mapping) -> Answer:
        """The answer ``to_dict(complete=True)`` gave, its articles looked up by id in ``articles``."""
        from .schema import answer_from_dict

        return answer_from_dict(data, articles)
