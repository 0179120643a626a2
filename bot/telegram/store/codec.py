"""Views and follow-up contexts as JSON, so a state store can keep them across restarts and replicas.

No pickle: every stored value is plain JSON that :func:`view_from_json` and
:func:`context_from_json` rebuild, checking what they read. An answer is stored as
:meth:`Answer.to_dict` (``complete=True``: the one answer schema, :mod:`retrieval.schema`), its
articles by id, looked up again in the index being served; a view whose article is no longer there (the index
was rebuilt without it) reads back as ``None``, which the bot answers as a stale button.

    >>> from retrieval import Actor
    >>> ctx = Context(Actor("مارتن كوبلر", "person", 10, 21), frozenset({"كوبلر"}), frozenset({("002", 5)}), 1.5)
    >>> context_from_json(context_to_json(ctx)) == ctx
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from retrieval import Actor, Answer, Article, Context

from ..views import ActorView, AnswerView, ArticleView, SourcesView, View

__all__ = ["context_from_json", "context_to_json", "view_from_json", "view_to_json"]

#: Bumped when the stored shape of views changes; older entries read back as stale (a button then
#: says "send your question again").
VERSION = 3  # 2: article views keep the article id and page offsets; 3: answers are Answer.to_dict(complete=True)
#: The same for follow-up contexts.
CONTEXT_VERSION = 2


# ------------------------------------------------------------------------------------ actors
def _actor(a: Actor) -> list[Any]:
    return [a.text, a.type, a.start, a.end, a.role]


def _actor_from(x: list[Any]) -> Actor:
    text, typ, start, end, role = x
    return Actor(str(text), typ, int(start), int(end), None if role is None else str(role))


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
        out.update(answer=view.answer.to_dict(complete=True), header=list(view.header), question=view.question)
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
                answer=Answer.from_dict(x["answer"], articles),
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
    except (KeyError, TypeError, ValueError, AttributeError):  # SchemaError is a ValueError
        return None
    return None


# ------------------------------------------------------------------------------------ contexts
def context_to_json(ctx: Context) -> dict[str, Any]:
    return {
        "v": CONTEXT_VERSION,
        "actor": _actor(ctx.actor),
        "names": sorted(ctx.names),
        "shown": sorted([a, s] for a, s in ctx.shown),
        "at": ctx.at,
        "topic": ctx.topic,
    }


def context_from_json(x: object) -> Context | None:
    """The context :func:`context_to_json` stored, or ``None`` for anything else."""
    try:
        if not isinstance(x, dict) or x.get("v") != CONTEXT_VERSION:
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
