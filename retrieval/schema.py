"""The JSON shape of an answer: one home for what ``sanad ask --json`` prints and what a state
store keeps (issue #27).

:func:`answer_to_dict` gives the public contract (documented in ``docs/cli.md``); with
``complete=True`` it adds what rebuilding the answer needs and the contract leaves out (the
question's terms, each quote's highlights, the actors' offsets, the unrounded score), and
:func:`answer_from_dict` rebuilds the very :class:`~retrieval.answer.Answer` from that, its
articles looked up by id and every quote checked against the article's text.
:data:`CARRIED` names, per dataclass, the fields the schema carries; a test fails when a dataclass
gains a field the schema does not.

    >>> from retrieval.results import Answer
    >>> answer_to_dict(Answer("من؟", False))
    {'question': 'من؟', 'answered': False, 'confidence': 0.0, 'results': [], 'notes': []}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .actors import Actor
from .corpus import Article, ArticleMeta
from .dates import parse_date
from .results import Answer, Quote, Result
from .spans import FoundSpan

__all__ = ["CARRIED", "SchemaError", "answer_from_dict", "answer_in_quote", "answer_to_dict", "article_meta", "day"]

#: The fields of each dataclass the schema carries (all of them: see the module docstring).
CARRIED: dict[type, frozenset[str]] = {
    Answer: frozenset({"question", "answered", "results", "terms", "confidence", "notes", "closest"}),
    Result: frozenset({"article", "passage_id", "score", "coverage", "quotes", "actors", "probability", "repeats",
                       "also_reported_in", "answer"}),  # fmt: skip
    Quote: frozenset({"text", "start", "end", "highlights"}),
    Actor: frozenset({"text", "type", "start", "end", "role"}),
    ArticleMeta: frozenset({"id", "title", "source", "url", "date"}),
    FoundSpan: frozenset({"text", "start", "end", "sentence", "probability", "kind"}),
}


class SchemaError(ValueError):
    """A dict that does not rebuild an answer on these articles (another version's, or an article that changed)."""


def day(a: Article | ArticleMeta) -> str | None:
    """The article's date as ISO ``YYYY-MM-DD`` when it parses (``date`` keeps the text as given)."""
    d = parse_date(a.date)
    return d.isoformat() if d is not None else None


def article_meta(a: Article) -> dict[str, Any]:
    """An article's id and metadata (no text), as in the JSON contract."""
    return {"article_id": a.id, "title": a.title, "title_derived": a.title_derived, "source": a.source, "date": a.date,
            "day": day(a), "url": a.url}  # fmt: skip


def answer_in_quote(r: Result, i: int) -> tuple[int, int] | None:
    """The answer span's offsets in the text of quote ``i`` of ``r``, when the span lies in it."""
    a = r.answer
    if a is None or a.sentence != i or not 0 <= i < len(r.quotes):
        return None
    q = r.quotes[i]
    if not (q.start <= a.start < a.end <= q.end) or q.text[a.start - q.start : a.end - q.start] != a.text:
        return None
    return a.start - q.start, a.end - q.start


def _span(r: Result) -> dict[str, Any] | None:
    """The answer span, or None when there is none or it is not inside its quote (never shown)."""
    a = r.answer
    if a is None or answer_in_quote(r, a.sentence) is None:
        return None
    return {"text": a.text, "start": a.start, "end": a.end, "sentence": a.sentence, "probability": a.probability, "kind": a.kind}


def _result(r: Result, complete: bool) -> dict[str, Any]:
    out = {
        **article_meta(r.article),
        "passage_id": r.passage_id,
        "score": r.score if complete else round(r.score, 4),
        "probability": r.probability,
        "coverage": r.coverage,
        "repeats": list(r.repeats),
        "also_reported_in": [
            {"article_id": m.id, "source": m.source, "date": m.date, "day": day(m), "title": m.title, "url": m.url}
            for m in r.also_reported_in
        ],
        "sentences": [q.text for q in r.quotes],
        "offsets": [[q.start, q.end] for q in r.quotes],
        "actors": [
            {"text": x.text, "type": x.type, **({"role": x.role} if x.role else {}),
             **({"start": x.start, "end": x.end} if complete else {})}
            for x in r.actors
        ],  # fmt: skip
        "answer": _span(r),
    }
    if complete:
        out["highlights"] = [[list(h) for h in q.highlights] for q in r.quotes]
    return out


def answer_to_dict(ans: Answer, *, complete: bool = False) -> dict[str, Any]:
    """``ans`` as the JSON contract; ``complete`` adds what :func:`answer_from_dict` needs."""
    out: dict[str, Any] = {
        "question": ans.question,
        "answered": ans.answered,
        "confidence": ans.confidence,
        "results": [_result(r, complete) for r in ans.results],
        "notes": list(ans.notes),
    }
    if ans.closest is not None:
        out["closest"] = _result(ans.closest, complete)
    if complete:
        out["terms"] = list(ans.terms)
    return out


def _result_from(x: Mapping[str, Any], articles: Mapping[str, Article]) -> Result:
    article = articles.get(x["article_id"])
    if article is None:
        raise SchemaError(f"article {x['article_id']!r} is not in the index")
    quotes = tuple(
        Quote(str(t), int(s), int(e), tuple((int(a), int(b)) for a, b in h))
        for t, (s, e), h in zip(x["sentences"], x["offsets"], x["highlights"], strict=True)
    )
    if any(article.text[q.start : q.end] != q.text for q in quotes):
        raise SchemaError(f"article {article.id!r} changed since the answer was stored")
    span = None
    if (a := x.get("answer")) is not None:
        span = FoundSpan(str(a["text"]), int(a["start"]), int(a["end"]), int(a["sentence"]), float(a["probability"]),
                         None if a["kind"] is None else str(a["kind"]))  # fmt: skip
        if article.text[span.start : span.end] != span.text:
            raise SchemaError(f"article {article.id!r} changed since the answer was stored")
    opt = lambda v: None if v is None else str(v)  # noqa: E731
    return Result(
        article=article,
        passage_id=str(x["passage_id"]),
        score=float(x["score"]),
        coverage=float(x["coverage"]),
        quotes=quotes,
        actors=tuple(Actor(str(y["text"]), y["type"], int(y["start"]), int(y["end"]), opt(y.get("role"))) for y in x["actors"]),
        probability=float(x["probability"]),
        repeats=tuple(map(str, x["repeats"])),
        also_reported_in=tuple(
            ArticleMeta(str(m["article_id"]), str(m["title"]), opt(m["source"]), opt(m["url"]), opt(m["date"]))
            for m in x["also_reported_in"]
        ),
        answer=span,
    )


def answer_from_dict(x: Mapping[str, Any], articles: Mapping[str, Article]) -> Answer:
    """The answer :func:`answer_to_dict` (``complete=True``) gave, on ``articles`` (by id).

    Raises :class:`SchemaError` when an article is gone or changed, or the dict is not complete."""
    try:
        closest = x.get("closest")
        return Answer(
            question=str(x["question"]),
            answered=bool(x["answered"]),
            results=tuple(_result_from(r, articles) for r in x["results"]),
            terms=tuple(map(str, x["terms"])),
            confidence=float(x["confidence"]),
            notes=tuple(map(str, x["notes"])),
            closest=_result_from(closest, articles) if closest is not None else None,
        )
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, SchemaError):
            raise
        raise SchemaError(f"not a complete answer: {type(e).__name__}: {e}") from None
