"""The terminal: answers, articles, actors and timelines printed for ``sanad console``/``ask``, and the
CLI's JSON of actors and timelines (an answer's JSON is :meth:`retrieval.Answer.to_dict`).

Quotes are always the verbatim source sentences; rendering only adds emphasis around the
matched words and the answer span (issue #24: the words that answer, bold and underlined; where
the output has no styles, a pipe or reshaped Arabic, the span is bracketed ⟦…⟧ instead). For terminals without bidi support, ``reshape=True`` shapes and reorders Arabic
line by line (after wrapping, so wrapped lines stay in reading order).
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.text import Text

from retrieval import (
    ActorEntry,
    ActorReport,
    ActorSentence,
    Answer,
    Article,
    FollowUp,
    Quote,
    Report,
    Timeline,
    answer_in_quote,
    article_meta,
    sparkline,
)

from .wording import (
    ANSWER_LABEL,
    EXTRACTED,
    TYPE_LABELS_AR,
    answer_text,
    arabic_notes,
    display_date,
    reported_in,
)

__all__ = [
    "SPAN_CLOSE",
    "SPAN_OPEN",
    "SPAN_STYLE",
    "actor_entry_json",
    "actor_report_json",
    "eval_to_text",
    "print_actor_header",
    "print_actor_sentences",
    "print_actors",
    "print_answer",
    "print_article",
    "print_follow_up",
    "print_sources",
    "print_timeline",
    "timeline_json",
    "wants_reshape",
]

#: Reshaped lines are wrapped this much narrower than the terminal, and never narrower than the minimum.
_RESHAPE_MARGIN = 4
_RESHAPE_MIN_WIDTH = 20
#: Terminals known to lay out right-to-left text themselves.
_BIDI_TERMINAL_VARS = ("KONSOLE_VERSION", "MLTERM")
#: The answer span inside its quote: this style in a terminal (matched words are bold yellow), and
#: these brackets around it where there are no styles (a pipe, NO_COLOR, reshaped Arabic).
SPAN_STYLE = "bold underline green"
SPAN_OPEN, SPAN_CLOSE = "⟦", "⟧"
MATCH_STYLE = "bold yellow"



# ------------------------------------------------------------------------------- answer spans
def eval_to_text(rep: Report, setup: dict[str, Any]) -> str:
    """``sanad eval``'s table: ranking figures, refusals and the calibration bins."""
    refused = "-" if rep.refused_unanswerable is None else f"{rep.refused_unanswerable:.3f}"
    lines = [
        f"{rep.questions} questions ({rep.answerable} answerable, {rep.unanswerable} must be refused) over "
        f"{setup['articles_indexed']} articles ({setup['passages']} passages); top-k {setup['top_k']}, "
        f"min confidence {setup['min_confidence']:.2f}"
        + (f", {setup['holdout']:.0%} of the articles held out (seed {setup['seed']})" if setup["holdout"] else ""),
        "",
        "| R@1 | R@5 | MRR@10 | answered (answerable) | refused (must be refused) |",
        "|---|---|---|---|---|",
        f"| {rep.recall_at_1:.3f} | {rep.recall_at_5:.3f} | {rep.mrr_at_10:.3f} | {rep.answered_answerable:.3f} | {refused} |",
        "",
        "Refusals count as misses. Calibration (first candidate is the right article):",
        "",
        "| confidence | questions | predicted | observed |",
        "|---|---|---|---|",
    ]
    lines += [f"| {b.low:.1f}-{b.high:.1f} | {b.n} | {b.predicted:.3f} | {b.observed:.3f} |" for b in rep.calibration]
    return "\n".join(lines) + "\n"



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

    lines = textwrap.wrap(" ".join(text.split()), width=max(_RESHAPE_MIN_WIDTH, width)) or [""]
    return [get_display(arabic_reshaper.reshape(line), base_dir="R") for line in lines]


def _quote_text(q: Quote, span: tuple[int, int] | None = None, brackets: bool = False) -> Text:
    """A quote, matched words in :data:`MATCH_STYLE`, the answer ``span`` (offsets in ``q.text``)
    in :data:`SPAN_STYLE` and, with ``brackets``, between :data:`SPAN_OPEN` and :data:`SPAN_CLOSE`."""
    if span is None:
        t = Text(q.text)
        for s, e in q.highlights:
            t.stylize(MATCH_STYLE, s, e)
        return t
    a, b = span
    t = Text(q.text[:a] + SPAN_OPEN + q.text[a:b] + SPAN_CLOSE + q.text[b:]) if brackets else Text(q.text)

    def at(i: int) -> int:  # where offset i of q.text lies in t
        return i if not brackets else i + (i > a) + (i >= b)

    for s, e in q.highlights:
        t.stylize(MATCH_STYLE, at(s), at(e))
    t.stylize(SPAN_STYLE, at(a), at(b))
    return t


def _emit(console: Console, text: str | Text, reshape: bool, style: str = "") -> None:
    if reshape:
        plain = text.plain if isinstance(text, Text) else text
        for line in _visual(plain, console.width - _RESHAPE_MARGIN):
            console.print(Text(line, style=style), justify="right")
    else:
        console.print(text if isinstance(text, Text) else Text(text, style=style))


def _source_line(a: Article) -> str:
    parts = [p for p in (a.source, display_date(a), a.url) if p]
    return " · ".join([f"[{a.id}]"] + parts)


def print_answer(ans: Answer, console: Console, reshape: bool = False) -> None:
    """A readable answer: per article its answer span when it has one (the ``الجواب`` line), its
    title, source, quotes (matches in bold, the answer span bold and underlined) and actors."""
    if not ans.answered:
        _emit(console, "لا توجد إجابة عن هذا السؤال في المصادر المتاحة.", reshape, "bold red")
        for line in arabic_notes(ans.notes):
            _emit(console, line, reshape, "dim")
        if ans.closest is not None:
            _emit(console, f"أقرب مقال (لا يجيب): {ans.closest.article.title}", reshape, "dim")
            console.print(Text(_source_line(ans.closest.article), style="dim"))
        _emit(console, "ما تغطيه المقالات: ‎:sources في الطرفية، أو ‎sanad sources", reshape, "dim")
        return
    plain = reshape or console.color_system is None  # no styles: the answer span is bracketed
    for n, r in enumerate(ans.results, start=1):
        if (span_text := answer_text(r)) is not None:
            line = Text(f"{ANSWER_LABEL}: ", style="bold green") + Text(span_text, style=SPAN_STYLE) + Text(f" {EXTRACTED}", style="dim")
            _emit(console, line, reshape)
        title = r.article.title + (" (عنوان مشتق)" if r.article.title_derived else "")
        _emit(console, f"{n}. {title}", reshape, "bold cyan")
        console.print(Text(f"{_source_line(r.article)} · الثقة {round(100 * r.probability)}%", style="dim"))
        if r.repeats:
            first = next((i for i, x in enumerate(ans.results, start=1) if x.article.id in r.repeats), None)
            _emit(console, f"(الجملة نفسها المقتبسة في النتيجة {first})" if first else "(الجملة نفسها مقتبسة أعلاه)", reshape, "dim")
        for i, q in enumerate(r.quotes):
            if r.repeats:
                break
            quoted = Text("« ") + _quote_text(q, answer_in_quote(r, i), plain) + Text(" »")
            _emit(console, quoted, reshape)
        if r.also_reported_in:
            _emit(console, f"نُشر أيضاً في: {reported_in(r.also_reported_in)}", reshape, "yellow")
        if r.actors:
            names = "، ".join(
                f"{x.text} ({TYPE_LABELS_AR[x.type]}{'، ' + x.role if x.role else ''})" for x in r.actors
            )
            _emit(console, f"الفاعلون: {names}", reshape, "green")
        console.print()
    for line in arabic_notes(ans.notes):
        _emit(console, line, reshape, "dim")


def print_follow_up(follow_up: FollowUp, console: Console, reshape: bool = False) -> None:
    """The line saying a follow-up was answered in the previous question's context."""
    _emit(console, f"في سياق سؤالك السابق عن: {follow_up.actor.text}", reshape, "magenta")
    if follow_up.nothing_new:
        _emit(console, "(لا مقاطع جديدة عنه: هذه ما عرضتُه من قبل.)", reshape, "dim")
    console.print(Text(":new asks the same words without this context.", style="dim"))


def print_sources(articles: Sequence[Article], console: Console, reshape: bool = False) -> None:
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


# ------------------------------------------------------------------------------- timelines
def timeline_json(tl: Timeline) -> dict[str, Any]:
    """``sanad timeline --json``: what was counted and the reports of every week."""
    return {
        "query": tl.query,
        "kind": tl.kind,
        "label": tl.label,
        "terms": list(tl.terms),
        "total": tl.total,
        "undated": tl.undated,
        "weeks": [{"start": w.start.isoformat(), "count": w.count} for w in tl.weeks],
    }


def print_timeline(tl: Timeline, console: Console, reshape: bool = False) -> None:
    """A timeline in one line: the sparkline (oldest week first, left to right), then the span and the peak."""
    if tl.total == 0:
        what = "لا يذكر أيّ تقرير مؤرَّخ" if tl.kind == "actor" else "لا تقارير مؤرَّخة عن"
        _emit(console, f"{what} «{tl.query}».", reshape, "red")
        return
    what = "ذكر" if tl.kind == "actor" else "تقارير عن"
    _emit(console, f"{what} «{tl.label}»: {tl.total} تقريراً", reshape, "bold cyan")
    peak = tl.peak
    console.print(Text(f"{tl.weeks[0].start.isoformat()} {sparkline(tl)} {tl.weeks[-1].start.isoformat()}"))
    if peak is not None:
        console.print(Text(f"peak: week of {peak.start.isoformat()} ({peak.count} reports); one block per week, "
                           f"oldest on the left" + (f"; {tl.undated} undated not counted" if tl.undated else ""), style="dim"))


# ------------------------------------------------------------------------------- actors
def actor_entry_json(e: ActorEntry) -> dict[str, Any]:
    """An actor of the actor index (``sanad actors --json``)."""
    return {
        "name": e.name,
        "type": e.type,
        "aliases": list(e.aliases),
        "roles": list(e.roles),
        "articles": len(e.articles),
        "mentions": e.mentions,
        "first_date": e.first_date,
        "last_date": e.last_date,
    }


def actor_report_json(report: ActorReport, articles: Mapping[str, Article]) -> dict[str, Any]:
    """``sanad actors NAME --json``: the actor, the actors named with it, and every sentence naming it."""
    return {
        **actor_entry_json(report.entry),
        "article_ids": list(report.entry.articles),
        "co_actors": [{"name": e.name, "type": e.type, "articles": n} for e, n in report.co_actors],
        "sentences": [
            {**article_meta(articles[s.article_id]), "sentence": s.text, "offsets": [s.start, s.end]}
            for s in report.sentences
        ],
        "other_matches": [actor_entry_json(e) for e in report.others],
    }


def actor_label(e: ActorEntry) -> str:
    """``name (type)``, in Arabic."""
    return f"{e.name} ({TYPE_LABELS_AR[e.type]})"


def print_actors(entries: Sequence[ActorEntry], console: Console, reshape: bool = False) -> None:
    """The most-named actors: one line each, with how many articles and mentions."""
    for e in entries:
        _emit(console, f"{actor_label(e)}: {len(e.articles)} مقالاً، {e.mentions} ذكراً", reshape)


def print_actor_header(report: ActorReport, console: Console, reshape: bool = False) -> None:
    """An actor's card: name, aliases, roles, articles and dates, the actors named with it."""
    e = report.entry
    _emit(console, actor_label(e), reshape, "bold cyan")
    if len(e.aliases) > 1:
        _emit(console, "يُذكر أيضاً: " + "، ".join(a for a in e.aliases if a != e.name), reshape, "dim")
    if e.roles:
        _emit(console, "الصفة: " + "، ".join(e.roles), reshape)
    dates = f" · {e.first_date[:10]} – {e.last_date[:10]}" if e.first_date and e.last_date else ""
    console.print(Text(f"{len(e.articles)} articles, {e.mentions} mentions{dates}", style="dim"))
    if report.co_actors:
        _emit(console, "يُذكر معه: " + "، ".join(f"{c.name} ({n})" for c, n in report.co_actors), reshape, "green")
    if report.others:
        _emit(console, "وقد يعني الاسم أيضاً: " + "، ".join(actor_label(o) for o in report.others[:5]), reshape, "dim")


def print_actor_sentences(
    sentences: Sequence[ActorSentence], articles: Mapping[str, Article], console: Console, reshape: bool = False
) -> None:
    """Sentences naming an actor, verbatim, each with its article's id, source and date."""
    for s in sentences:
        console.print(Text(_source_line(articles[s.article_id]), style="dim"))
        _emit(console, f"« {s.text} »", reshape)
