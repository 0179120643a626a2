"""Rendering an :class:`~retrieval.answer.Answer`: JSON (the CLI contract) and the terminal.

Quotes are always the verbatim source sentences; rendering only adds emphasis around the
matched words. For terminals without bidi support, ``reshape=True`` shapes and reorders Arabic
line by line (after wrapping, so wrapped lines stay in reading order).
"""

from __future__ import annotations

import html as _html
import os
import re as _re
import sys
import textwrap
from typing import Any

from rich.console import Console
from rich.text import Text

from retrieval.answer import Answer, Quote, Result
from retrieval.corpus import Article
from retrieval.evaluation import Report

__all__ = [
    "TG_MAX_CHARS",
    "answer_to_json",
    "article_meta_json",
    "article_to_json",
    "eval_to_text",
    "print_answer",
    "print_article",
    "print_sources",
    "tg_actor_label",
    "tg_answer_page",
    "tg_article_pages",
    "tg_escape",
    "tg_len",
    "tg_no_answer",
    "tg_notes",
    "tg_quote",
    "tg_sources_page",
    "wants_reshape",
]

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
        **({"closest": _result_json(ans.closest)} if ans.closest is not None else {}),
    }


def _result_json(r: Result) -> dict[str, Any]:
    return {
        **article_meta_json(r.article),
        "passage_id": r.passage_id,
        "score": round(r.score, 4),
        "probability": r.probability,
        "coverage": r.coverage,
        "repeats": list(r.repeats),
        "sentences": [q.text for q in r.quotes],
        "offsets": [[q.start, q.end] for q in r.quotes],
        "actors": [
            {"text": x.text, "type": x.type, **({"role": x.role} if x.role else {})} for x in r.actors
        ],
    }


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


def article_meta_json(a: Article) -> dict[str, Any]:
    """An article's id and metadata (no text), as in the JSON contract."""
    return {
        "article_id": a.id,
        "title": a.title,
        "title_derived": a.title_derived,
        "source": a.source,
        "date": a.date,
        "url": a.url,
    }


def article_to_json(a: Article) -> dict[str, Any]:
    """A whole article: metadata and verbatim text."""
    return {**article_meta_json(a), "text": a.text}


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
        if ans.closest is not None:
            _emit(console, f"أقرب مقال (لا يجيب): {ans.closest.article.title}", reshape, "dim")
            console.print(Text(_source_line(ans.closest.article), style="dim"))
        console.print(Text("Try :sources to see what the corpus covers.", style="dim"))
        return
    for n, r in enumerate(ans.results, start=1):
        title = r.article.title + (" (عنوان مشتق)" if r.article.title_derived else "")
        _emit(console, f"{n}. {title}", reshape, "bold cyan")
        console.print(Text(f"{_source_line(r.article)} · الثقة {round(100 * r.probability)}%", style="dim"))
        if r.repeats:
            first = next((i for i, x in enumerate(ans.results, start=1) if x.article.id in r.repeats), None)
            _emit(console, f"(الجملة نفسها المقتبسة في النتيجة {first})" if first else "(الجملة نفسها مقتبسة أعلاه)", reshape, "dim")
        for q in () if r.repeats else r.quotes:
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


# ------------------------------------------------------------------------------------ Telegram
# Telegram messages are HTML (parse mode "HTML"): every dynamic part goes through html.escape;
# the only tags are <b>, <code> and <a>. Replies open with Arabic text, and every run of Latin
# letters or digits (ids, dates, numbers, Latin names) is wrapped in Unicode isolates (LRI ... PDI)
# so a right-to-left message keeps its layout. A message never exceeds TG_MAX_CHARS.

#: Telegram's limit on a message's text, in UTF-16 code units.
TG_MAX_CHARS = 4096
TG_LRI, TG_PDI = "\u2066", "\u2069"
_TG_LATIN = "A-Za-z0-9\u00c0-\u024f"
# A left-to-right run: Latin letters/digits, joined by URL-ish punctuation or single spaces,
# starting and ending with a letter or digit (or a closing % or /). Never crosses a line.
_TG_LTR_RE = _re.compile(rf"[{_TG_LATIN}](?:[{_TG_LATIN}\-_.,:/?#=&+@~'’% ]*[{_TG_LATIN}%/])?")
_TG_TYPE_AR = {"person": "شخص", "organization": "منظمة", "place": "مكان"}
_TG_NOTES = (
    (_re.compile(r"^question cut to its first (\d+) characters"), "(قُطع سؤالك الطويل إلى أول {0} حرفاً.)"),
    (
        _re.compile(r"^only the (\d+) most specific words"),
        "(بحثتُ عن أكثر {0} كلمة تحديداً في سؤالك فقط.)",
    ),
    (
        _re.compile(r"^the question has only question words and common words"),
        "سؤالك لا يحوي إلا أدوات استفهام وكلمات شائعة: اذكر ما تسأل عنه (شخصاً أو جهة أو مكاناً أو حدثاً).",
    ),
    (_re.compile(r"^Sanad's corpus is Arabic"), "المقالات باللغة العربية: اطرح سؤالك بالعربية."),
    (
        _re.compile(r"^no passage of the corpus answers this question: the closest one holds (\d+)% .*\(probability ([\d.]+), ([\d.]+) needed\)"),
        "(أقرب مقطع يحوي {0}% من الكلمات المحددة في سؤالك، وثقتي أنه يجيب {1} والمطلوب {2}.)",
    ),
    (_re.compile(r"^no passage of the corpus holds the words"), None),  # said by the reply itself
    (_re.compile(r"^«(.+)» is not in the corpus: searched «(.+)» instead"), "(الكلمة «{0}» ليست في المقالات: بحثتُ عن «{1}».)"),
)


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def tg_escape(text: str) -> str:
    """Escaped HTML for plain ``text``, with left-to-right runs isolated."""
    return _tg_markup(text, ())


def _tg_markup(text: str, bold: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> str:
    """``text`` as HTML: ``bold`` spans (offsets in ``text``) in <b>, LTR runs isolated, all escaped."""
    events: dict[int, list[tuple[int, str]]] = {}  # position -> (order, markup); closers first

    def add(pos: int, order: int, markup: str) -> None:
        events.setdefault(pos, []).append((order, markup))

    for m in _TG_LTR_RE.finditer(text):
        add(m.start(), 3, TG_LRI)
        add(m.end(), 0, TG_PDI)
    for s, e in _tg_merge(bold, len(text)):
        add(s, 2, "<b>")
        add(e, 1, "</b>")
    out: list[str] = []
    prev = 0
    for pos in sorted(events):
        out.append(_html.escape(text[prev:pos], quote=False))
        out.extend(m for _, m in sorted(events[pos]))
        prev = pos
    out.append(_html.escape(text[prev:], quote=False))
    return "".join(out)


def _tg_merge(spans, n: int) -> list[tuple[int, int]]:
    """Sorted, clipped, non-overlapping spans."""
    merged: list[list[int]] = []
    for s, e in sorted((max(0, s), min(n, e)) for s, e in spans):
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def _tg_cut(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (``…`` marks the cut)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, max(1, limit - 1))
    return text[: cut if cut > limit // 2 else max(1, limit - 1)].rstrip() + "…"


def tg_quote(q: Quote, limit: int | None = None) -> str:
    """A verbatim quote as HTML, matched words in <b>; cut (marked ``…``) past ``limit`` characters."""
    text = q.text
    if limit is not None and len(text) > limit:
        text = _tg_cut(text, limit)
    return f"« {_tg_markup(text, [(s, e) for s, e in q.highlights if e <= len(text)])} »"


def tg_notes(notes) -> list[str]:
    """Answer notes in Arabic, as HTML lines (unknown notes are shown as they are, escaped)."""
    out = []
    for note in notes:
        for rx, ar in _TG_NOTES:
            m = rx.match(note)
            if m:
                if ar is not None:
                    out.append(tg_escape(ar.format(*m.groups())))
                break
        else:
            out.append(f"({tg_escape(note)})")
    return out


def tg_actor_label(actor, with_role: bool = True) -> str:
    """``name (type، role)`` as HTML."""
    kind = _TG_TYPE_AR.get(actor.type, actor.type)
    role = f"، {actor.role}" if with_role and actor.role else ""
    return f"{tg_escape(actor.text)} ({tg_escape(kind + role)})"


def _tg_article_meta(a: Article) -> list[str]:
    parts = []
    if a.source:
        parts.append(f"الناشر: {tg_escape(_tg_cut(a.source, 80))}")
    if a.date:
        parts.append(f"التاريخ: {tg_escape(_tg_cut(a.date, 40))}")
    if a.url and _re.match(r"^https?://\S+$", a.url) and len(a.url) <= 1000:
        parts.append(f'<a href="{_html.escape(a.url, quote=True)}">رابط المقال</a>')
    lines = [" · ".join(parts)] if parts else []
    lines.append(f"المعرّف: {TG_LRI}<code>{_html.escape(a.id, quote=False)}</code>{TG_PDI}")
    return lines


def _tg_title(a: Article, limit: int = 200) -> str:
    return tg_escape(_tg_cut(a.title, limit)) + (" (عنوان مشتق)" if a.title_derived else "")


def tg_answer_page(
    ans: Answer, page: int, header: list[str] | tuple[str, ...] = (), limit: int = TG_MAX_CHARS
) -> str:
    """One result of an answer (``page``, from 0) as a Telegram HTML message of at most ``limit``.

    ``header``: HTML lines shown first (they must open with Arabic text). Long quotes are cut at
    a word boundary (marked ``…``) until the message fits; the full article is one button away.
    """
    r = ans.results[page]
    n = len(ans.results)
    quote_limit: int | None = None
    actors = list(r.actors)
    while True:
        lines = list(header)
        lines.append(f"<b>النتيجة {tg_escape(str(page + 1))} من {tg_escape(str(n))}: {_tg_title(r.article)}</b>")
        lines.extend(_tg_article_meta(r.article))
        lines.append(
            f"الثقة: {tg_escape(f'{round(100 * r.probability)}%')} · تطابق السؤال: {tg_escape(f'{round(100 * r.coverage)}%')}"
        )
        if r.repeats:
            lines.append("(مصدر آخر للجملة نفسها المقتبسة في نتيجة سابقة)")
        lines.append("")
        for q in r.quotes:
            lines.append(tg_quote(q, quote_limit))
            lines.append("")
        if actors:
            shown = "، ".join(tg_actor_label(x) for x in actors)
            lines.append(f"الفاعلون المذكورون: {shown}")
        if quote_limit is not None and any(len(q.text) > quote_limit for q in r.quotes):
            lines.append("(اختُصرت بعض الجمل لطولها: اقرأها كاملة في المقال.)")
        lines.extend(tg_notes(ans.notes))
        text = "\n".join(lines).strip("\n")
        if tg_len(text) <= limit:
            return text
        longest = max(len(q.text) for q in r.quotes)
        if quote_limit is None or quote_limit > 60:
            quote_limit = max(60, min(longest, quote_limit or longest) * 2 // 3)
        elif len(actors) > 3:
            actors = actors[:3]
        elif header and len(header) > 1:
            header = header[:1]
        else:  # pathological metadata: drop the optional parts entirely
            return _tg_minimal(r, page, n, limit)


def _tg_minimal(r: Result, page: int, n: int, limit: int) -> str:
    q_limit = 300
    while True:
        lines = [f"<b>النتيجة {tg_escape(str(page + 1))} من {tg_escape(str(n))}: {_tg_title(r.article, 60)}</b>", ""]
        lines += [tg_quote(q, q_limit) for q in r.quotes[:3]]
        text = "\n".join(lines)
        if tg_len(text) <= limit or q_limit <= 20:
            return text
        q_limit //= 2


def tg_no_answer(ans: Answer, header: list[str] | tuple[str, ...] = ()) -> str:
    """The honest "no answer" reply, with the reason when known and a pointer to /sources."""
    lines = list(header)
    lines.append("لم أجد في المقالات المتاحة إجابة عن هذا السؤال.")
    lines.extend(tg_notes(ans.notes))
    if ans.closest is not None:
        lines.append(f"أقرب مقال (لا يجيب في تقديري): {_tg_title(ans.closest.article, 120)}")
    lines.append("")
    lines.append("لا أكتب إجابات من عندي، بل أنقل ما في المقالات فقط. جرّب صياغة أخرى بكلمات أدق، أو اطّلع على المقالات التي أجيب منها: /sources")
    return "\n".join(lines)


def tg_article_pages(
    a: Article, bold: tuple[tuple[int, int], ...] | list[tuple[int, int]] = (), budget: int = 3000, limit: int = TG_MAX_CHARS
) -> list[tuple[str, int, int]]:
    """A whole article as Telegram pages: ``[(html, start, end)]``, text offsets of each page.

    Pages break between paragraphs, else after a sentence end, else between words; ``bold``
    spans (article offsets, e.g. the quoted sentences) are shown in bold.
    """
    chunks = _tg_chunks(a.text, budget)
    pages: list[tuple[str, int, int]] = []
    i = 0
    while i < len(chunks):
        s, e = chunks[i]
        body = _tg_markup(a.text[s:e], [(bs - s, be - s) for bs, be in bold if be > s and bs < e])
        if tg_len(body) > limit - 600 and e - s > 200:  # escaping blew it up: split this chunk
            mid = _tg_split_point(a.text, s, e, (e - s) // 2)
            chunks[i : i + 1] = [(s, mid), (mid, e)]
            continue
        pages.append((body, s, e))
        i += 1
    total = len(pages)
    out = []
    for n, (body, s, e) in enumerate(pages, start=1):
        head = [f"<b>المقال: {_tg_title(a, 150)}</b>", f"الصفحة {tg_escape(str(n))} من {tg_escape(str(total))}"]
        if n == 1:
            head += _tg_article_meta(a)
        out.append(("\n".join(head) + "\n\n" + body, s, e))
    return out


def _tg_split_point(text: str, s: int, e: int, size: int) -> int:
    """Where to end a chunk starting at ``s`` of about ``size`` characters (``<= e``)."""
    if e - s <= size:
        return e
    window = text[s : s + size]
    for pattern in ("\n", ". ", "؟ ", "! ", "، ", " "):
        cut = window.rfind(pattern)
        if cut > size // 3:
            return s + cut + len(pattern)
    return s + size


def _tg_chunks(text: str, budget: int) -> list[tuple[int, int]]:
    """Offsets of consecutive chunks of ``text`` of at most ``budget`` characters, trimmed."""
    chunks = []
    s, n = 0, len(text)
    while s < n:
        e = _tg_split_point(text, s, n, budget)
        cs, ce = s, e
        while cs < ce and text[cs].isspace():
            cs += 1
        while ce > cs and text[ce - 1].isspace():
            ce -= 1
        if ce > cs:
            chunks.append((cs, ce))
        s = e
    return chunks or [(0, 0)]


def tg_sources_page(
    articles: list[Article], page: int, per_page: int, n_passages: int, built_at: str
) -> str:
    """One page of ``/sources``: the articles answered from, ``per_page`` at a time."""
    total_pages = max(1, -(-len(articles) // per_page))
    lines = [
        f"<b>المقالات التي أجيب منها</b>: {tg_escape(str(len(articles)))} مقالاً، "
        f"{tg_escape(str(n_passages))} مقطعاً (فهرس {tg_escape(built_at[:10])}).",
        f"الصفحة {tg_escape(str(page + 1))} من {tg_escape(str(total_pages))}. اختر مقالاً لقراءته كاملاً، أو أرسل /article مع معرّفه.",
        "",
    ]
    for a in articles[page * per_page : (page + 1) * per_page]:
        meta = [tg_escape(_tg_cut(p, 60)) for p in (a.source, a.date) if p]
        meta.append(f"المعرّف: {TG_LRI}<code>{_html.escape(a.id, quote=False)}</code>{TG_PDI}")
        lines.append(f"• <b>{_tg_title(a, 160)}</b>")
        lines.append("   " + " · ".join(meta))
    return "\n".join(lines)
