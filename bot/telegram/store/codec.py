"""Views and follow-up contexts as JSON, so a state store can keep them across restarts and replicas.

No pickle: every stored value is plain JSON that :func:`view_from_json` and
:func:`context_from_json` rebuild, checking what they read. An answer's articles are stored by id
and looked up again in the index being served; a view whose article is no longer there (the index
was rebuilt without it) reads back as ``None``, which the bot answers as a stale button.

    >>> from retrieval.actors import Actor
    >>> ctx = Context(Actor("مارتن كوبلر", "person", 10, 21), frozenset({"كوبلر"}), frozenset({("002", 5)}), 1.5)
    >>> context_from_json(context_to_json(ctx)) == ctx
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from retrieval.actors import Actor
from retrieval.answer import Answer, Quote, Result
from retrieval.corpus import Article, ArticleMeta
from retrieval.followup import Context
from retrieval.spans import FoundSpan

from ..views import ActorView, AnswerView, ArticleView, SourcesView, View

__all__ = ["CodecError", "context_from_json", "context_to_json", "view_from_json", "view_to_json"]

#: Bumped when the stored shape changes; older entries read back as stale.
VERSION = 2  # 2: article views keep the article id and page offsets, not the pages


class CodecError(ValueError):
    """A stored value that is not what this version of Sanad wrote (treated as stale)."""


# ------------------------------------------------------------------------------------ answers
def _actor(a: Actor) -> list[Any]:
    return [a.text, a.type, a.start, a.end, a.role]


def _actor_from(x: list[Any]) -> Actor:
    text, typ, start, end, role = x
    return Actor(str(text), typ, int(start), int(end), None if role is None else str(role))


def _result(r: Result) -> dict[str, Any]:
    return {
        "article": r.article.id,
        "passage": r.passage_id,
        "score": r.score,
        "coverage": r.coverage,
        "quotes": [[q.text, q.start, q.end, [list(h) for h in q.highlights]] for q in r.quotes],
        "actors": [_actor(a) for a in r.actors],
        "probability": r.probability,
        "repeats": list(r.repeats),
        "also": [[m.id, m.title, m.source, m.url, m.date] for m in r.also_reported_in],
        "answer": _span(r.answer),
    }


def _span(a: FoundSpan | None) -> list[Any] | None:
    return None if a is None else [a.text, a.start, a.end, a.sentence, a.probability, a.kind]


def _span_from(x: list[Any] | None, article: Article, quotes: tuple[Quote, ...]) -> FoundSpan | None:
    """The stored answer span, checked against the article and the quotes (``None``: none stored)."""
    if x is None:
        return None
    text, start, end, sentence, probability, kind = x
    span = FoundSpan(str(text), int(start), int(end), int(sentence), float(probability), None if kind is None else str(kind))
    if not 0 <= span.sentence < len(quotes) or not quotes[span.sentence].start <= span.start < span.end <= quotes[span.sentence].end:
        raise CodecError(f"the answer span of {article.id!r} is not inside its quote")
    if article.text[span.start : span.end] != span.text:
        raise CodecError(f"article {article.id!r} changed since the view was stored")
    return span


def _result_from(x: dict[str, Any], articles: Mapping[str, Article]) -> Result:
    article = articles.get(x["article"])
    if article is None:
        raise CodecError(f"article {x['article']!r} is not in the index")
    quotes = tuple(Quote(str(t), int(s), int(e), tuple((int(a), int(b)) for a, b in h)) for t, s, e, h in x["quotes"])
    if any(article.text[q.start : q.end] != q.text for q in quotes):
        raise CodecError(f"article {article.id!r} changed since the view was stored")
    return Result(
        article=article,
        passage_id=str(x["passage"]),
        score=float(x["score"]),
        coverage=float(x["coverage"]),
        quotes=quotes,
        actors=tuple(_actor_from(a) for a in x["actors"]),
        probability=float(x["probability"]),
        repeats=tuple(map(str, x["repeats"])),
        # rows stored before "also" was kept read as a story of one article
        also_reported_in=tuple(ArticleMeta(*(None if v is None else str(v) for v in m)) for m in x.get("also", ())),
        answer=_span_from(x.get("answer"), article, quotes),  # rows stored before answer spans (#24) have none
    )


def answer_to_json(ans: Answer) -> dict[str, Any]:
    return {
        "question": ans.question,
        "answered": ans.answered,
        "results": [_result(r) for r in ans.results],
        "terms": list(ans.terms),
        "confidence": ans.confidence,
        "notes": list(ans.notes),
        "closest": _result(ans.closest) if ans.closest is not None else None,
    }


def answer_from_json(x: dict[str, Any], articles: Mapping[str, Article]) -> Answer:
    return Answer(
        question=str(x["question"]),
        answered=bool(x["answered"]),
        results=tuple(_result_from(r, articles) for r in x["results"]),
        terms=tuple(map(str, x["terms"])),
        confidence=float(x["confidence"]),
        notes=tuple(map(str, x["notes"])),
        closest=_result_from(x["closest"], articles) if x["closest"] is not None else None,
    )


# ------------------------------------------------------------------------------------ views
_KINDS: dict[type, str] = {AnswerView: "answer", ArticleView: "article", ActorView: "actor", SourcesView: "sources"}


def view_to_json(view: View) -> dict[str, Any]:
    """``view`` as JSON (``children`` keys ``(action, page, item)`` become ``"action:page:item"``)."""
    out: dict[str, Any] = {
        "v": VERSION,
        "kind": _KINDS[type(view)],
        "id": view.id,
        "chat": view.chat_id,
        "message": view.message_id,
        "parent": list(view.parent) if view.parent is not None else None,
        "start_page": view.start_page,
        "children": {f"{a.value}:{p}:{i}": c for (a, p, i), c in view.children.items()},
    }
    if isinstance(view, AnswerView):
        out.update(answer=answer_to_json(view.answer), header=list(view.header), question=view.question)
    elif isinstance(view, ArticleView):
        out.update(article_id=view.article_id, spans=[list(s) for s in view.spans], bold=[list(s) for s in view.bold])
    elif isinstance(view, ActorView):
        out.update(pages=list(view.pages), name=view.name)
    else:
        out.update(article_ids=list(view.article_ids), per_page=view.per_page)
    return out


def view_from_json(x: object, articles: Mapping[str, Article]) -> View | None:
    """The view :func:`view_to_json` stored, or ``None`` when it cannot be rebuilt (another
    version's entry, a damaged one, or an answer whose article left the index)."""
    from ..callbacks import Action

    try:
        if not isinstance(x, dict) or x.get("v") != VERSION:
            return None
        children = {}
        for key, child in x["children"].items():
            action, page, item = key.split(":")
            children[(Action(action), int(page), int(item))] = str(child)
        parent = x["parent"]
        common: dict[str, Any] = {
            "id": str(x["id"]),
            "chat_id": int(x["chat"]),
            "message_id": None if x["message"] is None else int(x["message"]),
            "parent": (str(parent[0]), int(parent[1])) if parent is not None else None,
            "start_page": int(x["start_page"]),
            "children": children,
        }
        kind = x["kind"]
        if kind == "answer":
            q = x["question"]
            return AnswerView(
                **common,
                answer=answer_from_json(x["answer"], articles),
                header=tuple(map(str, x["header"])),
                question=None if q is None else str(q),
            )
        if kind == "article":
            if str(x["article_id"]) not in articles:  # the index was rebuilt without it
                return None
            return ArticleView(**common, article_id=str(x["article_id"]), spans=tuple((int(a), int(b)) for a, b in x["spans"]),
                               bold=tuple((int(a), int(b)) for a, b in x.get("bold", ())))  # fmt: skip
        if kind == "actor":
            return ActorView(**common, pages=tuple(map(str, x["pages"])), name=str(x.get("name", "")))
        if kind == "sources":
            ids = tuple(map(str, x["article_ids"]))
            if any(a not in articles for a in ids):
                return None
            return SourcesView(**common, article_ids=ids, per_page=int(x["per_page"]))
    except (CodecError, KeyError, TypeError, ValueError, AttributeError):
        return None
    return None


# ------------------------------------------------------------------------------------ contexts
def context_to_json(ctx: Context) -> dict[str, Any]:
    return {
        "v": VERSION,
        "actor": _actor(ctx.actor),
        "names": sorted(ctx.names),
        "shown": sorted([a, s] for a, s in ctx.shown),
        "at": ctx.at,
        "topic": ctx.topic,
    }


def context_from_json(x: object) -> Context | None:
    """The context :func:`context_to_json` stored, or ``None`` for anything else."""
    try:
        if not isinstance(x, dict) or x.get("v") != VERSION:
            return None
        return Context(
            actor=_actor_from(x["actor"]),
            names=frozenset(map(str, x["names"])),
            shown=frozenset((str(a), int(s)) for a, s in x["shown"]),
            at=float(x["at"]),
            topic=str(x.get("topic", "")),  # contexts stored before #24 have none
        )
    except (KeyError, TypeError, ValueError):
        return None
