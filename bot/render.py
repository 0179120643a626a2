"""Rendering an :class:`~retrieval.answer.Answer`: JSON (the CLI contract) and the terminal.

Quotes are always the verbatim source sentences; rendering only adds emphasis around the
matched words. For terminals without bidi support, ``reshape=True`` shapes and reorders Arabic
line by line (after wrapping, so wrapped lines stay in reading order).
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import Any

from rich.console import Console
from rich.text import Text

from retrieval.answer import Answer, Quote, Result
from retrieval.corpus import Article

__all__ = ["answer_to_json", "article_to_json", "print_answer", "print_article", "print_sources", "wants_reshape"]

# Terminals known to lay out right-to-left text themselves.
_BIDI_TERMINAL_VARS = ("KONSOLE_VERSION", "MLTERM")


def answer_to_json(ans: Answer) -> dict[str, Any]:
    """The ``sanad ask --json`` object (documented in the README; keep it stable)."""
    return {
        "question": ans.question,
        "answered": ans.answered,
        "confidence": ans.confidence,
        "results": [_result_json(r) for r in ans.results],
        "notes": list(ans.notes),
    }


def _result_json(r: Result) -> dict[str, Any]:
    a = r.article
    return {
        "article_id": a.id,
        "title": a.title,
        "title_derived": a.title_derived,
        "source": a.source,
        "date": a.date,
        "url": a.url,
        "passage_id": r.passage_id,
        "score": round(r.score, 4),
        "sentences": [q.text for q in r.quotes],
        "offsets": [[q.start, q.end] for q in r.quotes],
        "actors": [
            {"text": x.text, "type": x.type, **({"role": x.role} if x.role else {})} for x in r.actors
        ],
    }


def article_to_json(a: Article) -> dict[str, Any]:
    return {
        "article_id": a.id,
        "title": a.title,
        "title_derived": a.title_derived,
        "source": a.source,
        "date": a.date,
        "url": a.url,
        "text": a.text,
    }


def wants_reshape(setting: str, stream: Any = None) -> bool:
    """Resolve ``SANAD_CONSOLE_RESHAPE``: ``auto`` reshapes on a TTY whose terminal lacks bidi."""
    if setting in ("on", "off"):
        return setting == "on"
    stream = stream or sys.stdout
    if not getattr(stream, "isatty", lambda: False)():
        return False
    if any(v in os.environ for v in _BIDI_TERMINAL_VARS):
        return False
    vte = os.environ.get("VTE_VERSION", "")
    if vte.isdigit() and int(vte) >= 5600:  # GNOME Terminal & co. (VTE >= 0.56 has bidi)
        return False
    return False if os.environ.get("TERM_PROGRAM") == "Apple_Terminal" else True


def _visual(text: str, width: int) -> list[str]:
    """Shape and reorder Arabic for display, one wrapped line at a time."""
    import arabic_reshaper
    from bidi import get_display

    lines = textwrap.wrap(" ".join(text.split()), width=max(20, width)) or [""]
    return [get_display(arabic_reshaper.reshape(line), base_dir="R") for line in lines]


def _quote_text(q: Quote) -> Text:
    t = Text(q.text)
    for s, e in q.highlights:
        t.stylize("bold yellow", s, e)
    return t


def _emit(console: Console, text: str | Text, reshape: bool, style: str = "") -> None:
    if reshape:
        plain = text.plain if isinstance(text, Text) else text
        for line in _visual(plain, console.width - 4):
            console.print(Text(line, style=style), justify="right")
    else:
        console.print(text if isinstance(text, Text) else Text(text, style=style))


def _source_line(a: Article) -> str:
    parts = [p for p in (a.source, a.date, a.url) if p]
    return " · ".join([f"[{a.id}]"] + parts)


def print_answer(ans: Answer, console: Console, reshape: bool = False) -> None:
    """A readable answer: per article its title, source, quotes (matches in bold) and actors."""
    if not ans.answered:
        _emit(console, "لا توجد إجابة عن هذا السؤال في المصادر المتاحة.", reshape, "bold red")
        for note in ans.notes:
            console.print(Text(f"({note})", style="dim"))
        console.print(Text("Try :sources to see what the corpus covers.", style="dim"))
        return
    for n, r in enumerate(ans.results, start=1):
        title = r.article.title + (" (عنوان مشتق)" if r.article.title_derived else "")
        _emit(console, f"{n}. {title}", reshape, "bold cyan")
        console.print(Text(_source_line(r.article), style="dim"))
        for q in r.quotes:
            if reshape:
                _emit(console, f"« {q.text} »", reshape)
            else:
                console.print(Text("« ") + _quote_text(q) + Text(" »"))
        if r.actors:
            names = "، ".join(
                f"{x.text} ({_TYPE_AR[x.type]}{'، ' + x.role if x.role else ''})" for x in r.actors
            )
            _emit(console, f"الفاعلون: {names}", reshape, "green")
        console.print()
    for note in ans.notes:
        console.print(Text(f"({note})", style="dim"))


_TYPE_AR = {"person": "شخص", "organization": "منظمة", "place": "مكان"}


def print_sources(articles: list[Article], console: Console, reshape: bool = False) -> None:
    """One line per article: id, title, source."""
    for a in articles:
        console.print(Text(_source_line(a), style="dim"))
        _emit(console, a.title, reshape, "bold")


def print_article(a: Article, console: Console, reshape: bool = False) -> None:
    """A whole article, verbatim."""
    _emit(console, a.title, reshape, "bold cyan")
    console.print(Text(_source_line(a), style="dim"))
    for para in a.text.splitlines():
        if para.strip():
            _emit(console, para.strip(), reshape)
