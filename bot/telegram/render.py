"""Telegram HTML for answers, articles and the source list (parse mode "HTML").

Every dynamic part goes through :func:`escape`; the only tags are <b>, <u>, <code> and <a>
(matched words are bold, an answer span bold and underlined, tags always properly nested). Replies
open with Arabic text, and every run of Latin letters or digits (ids, dates, numbers, Latin
names) is wrapped in Unicode isolates (LRI ... PDI) so a right-to-left message keeps its layout.
A message never exceeds :data:`MAX_CHARS`.
"""

from __future__ import annotations

import html as _html
import re as _re
from collections.abc import Iterable, Mapping, Sequence

from retrieval import (
    LATIN_CLASS,
    LRI,
    PDI,
    ActorReport,
    ActorSentence,
    Answer,
    Article,
    FollowUp,
    Quote,
    Result,
    answer_in_quote,
)

from ..wording import (
    ANSWER_LABEL,
    EXTRACTED,
    TYPE_LABELS_AR,
    answer_text,
    arabic_notes,
    display_date,
    reported_in,
)

__all__ = [
    "MAX_CHARS",
    "actor_label",
    "actor_pages",
    "answer_line",
    "answer_page",
    "article_page",
    "article_pages",
    "article_spans",
    "escape",
    "follow_up_header",
    "length",
    "no_answer",
    "notes",
    "quote",
    "sources_page",
]

#: Telegram's limit on a message's text, in UTF-16 code units.
MAX_CHARS = 4096
#: The longest parts of a message, in characters, before they are cut (marked …).
TITLE_CHARS = 200  # an answer's title
ARTICLE_TITLE_CHARS = 150  # the title heading an article's pages
SOURCES_TITLE_CHARS = 160  # a title in /sources
CLOSEST_TITLE_CHARS = 120  # the closest article of a refusal
SHORT_TITLE_CHARS = 60  # a title when the message must shrink to its minimum
SOURCE_CHARS = 80  # a publisher
ANSWER_CHARS = 200  # the answer span's line
DATE_CHARS = 40
MAX_URL_CHARS = 1000  # longer links are not shown
MIN_QUOTE_CHARS = 60  # quotes are cut to fit, never shorter than this
MINIMAL_QUOTE_CHARS = 300  # the quotes of a minimal message start at this length
#: An article page holds about this many characters of text, with room left for escaping and the header.
PAGE_BUDGET = 3000
PAGE_HEADROOM = 600
# A left-to-right run: Latin letters/digits, joined by URL-ish punctuation or single spaces,
# starting and ending with a letter or digit (or a closing % or /). Never crosses a line.
_LTR_RE = _re.compile(rf"[{LATIN_CLASS}](?:[{LATIN_CLASS}\-_.,:/?#=&+@~'’% ]*[{LATIN_CLASS}%/])?")
def length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Escaped HTML for plain ``text``, with left-to-right runs isolated."""
    return _markup(text, ())


def _markup(
    text: str, bold: Sequence[tuple[int, int]], underline: Sequence[tuple[int, int]] = ()
) -> str:
    """``text`` as HTML: ``bold`` spans (offsets in ``text``) in <b>, ``underline`` spans in <u>
    (overlaps nest properly: <b> always outside <u>), LTR runs isolated, all escaped."""
    n = len(text)
    styled = [("b", _merge(bold, n)), ("u", _merge(underline, n))]  # outermost first
    events: dict[int, list[str]] = {}  # position -> [before tags (PDI), after tags (LRI)]
    for m in _LTR_RE.finditer(text):
        events.setdefault(m.end(), ["", ""])[0] = PDI
        events.setdefault(m.start(), ["", ""])[1] = LRI
    for _, spans in styled:
        for s, e in spans:
            events.setdefault(s, ["", ""])
            events.setdefault(e, ["", ""])
    events.setdefault(n, ["", ""])
    out: list[str] = []
    prev = 0
    open_tags: list[str] = []
    for pos in sorted(events):
        out.append(_html.escape(text[prev:pos], quote=False))
        before, after = events[pos]
        out.append(before)
        wanted = [tag for tag, spans in styled if pos < n and any(s <= pos < e for s, e in spans)]
        keep = 0
        while keep < min(len(open_tags), len(wanted)) and open_tags[keep] == wanted[keep]:
            keep += 1
        out.extend(f"</{tag}>" for tag in reversed(open_tags[keep:]))
        out.extend(f"<{tag}>" for tag in wanted[keep:])
        open_tags = wanted
        out.append(after)
        prev = pos
    out.append(_html.escape(text[prev:], quote=False))
    return "".join(out)


def _merge(spans, n: int) -> list[tuple[int, int]]:
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


def _cut(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (``…`` marks the cut)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, max(1, limit - 1))
    return text[: cut if cut > limit // 2 else max(1, limit - 1)].rstrip() + "…"


def quote(q: Quote, limit: int | None = None, span: tuple[int, int] | None = None) -> str:
    """A verbatim quote as HTML, matched words in <b>, the answer ``span`` (offsets in ``q.text``)
    in <b><u>; cut (marked ``…``) past ``limit`` characters (a span cut off is not marked)."""
    text = q.text
    kept = len(text)
    if limit is not None and len(text) > limit:
        text = _cut(text, limit)
        kept = len(text) - 1  # the text before the …
    answer = [span] if span is not None and span[1] <= kept else []
    return f"« {_markup(text, [(s, e) for s, e in q.highlights if e <= len(text)] + answer, answer)} »"


def answer_line(r: Result) -> list[str]:
    """The line giving ``r``'s answer span (``الجواب: <b>مارتن كوبلر</b> (مقتطف من النص)``), if it has one."""
    span = answer_text(r)
    if span is None:
        return []
    return [f"{ANSWER_LABEL}: <b>{escape(_cut(span, ANSWER_CHARS))}</b> {EXTRACTED}"]


def _quotes(r: Result, limit: int | None) -> list[str]:
    return [quote(q, limit, answer_in_quote(r, i)) for i, q in enumerate(r.quotes)]


def notes(lines: Iterable[str]) -> list[str]:
    """Answer notes in Arabic (:func:`bot.wording.arabic_notes`), as HTML lines."""
    return [escape(line) for line in arabic_notes(lines)]


def actor_label(actor, with_role: bool = True) -> str:
    """``name (type، role)`` as HTML."""
    kind = TYPE_LABELS_AR.get(actor.type, actor.type)
    role = f"، {actor.role}" if with_role and actor.role else ""
    return f"{escape(actor.text)} ({escape(kind + role)})"


def _article_meta(a: Article) -> list[str]:
    parts = []
    if a.source:
        parts.append(f"الناشر: {escape(_cut(a.source, SOURCE_CHARS))}")
    if a.date:
        parts.append(f"التاريخ: {escape(_cut(display_date(a), DATE_CHARS))}")
    if a.url and _re.match(r"^https?://\S+$", a.url) and len(a.url) <= MAX_URL_CHARS:
        parts.append(f'<a href="{_html.escape(a.url, quote=True)}">رابط المقال</a>')
    lines = [" · ".join(parts)] if parts else []
    lines.append(f"المعرّف: {_article_id(a)}")
    return lines


def _article_id(a: Article) -> str:
    """The article's id as code, isolated left to right."""
    return f"{LRI}<code>{_html.escape(a.id, quote=False)}</code>{PDI}"


def _source_and_date(a: Article) -> list[str]:
    """The publisher and the date, when given, short."""
    return [escape(_cut(p, SHORT_TITLE_CHARS)) for p in (a.source, display_date(a)) if p]


def _title(a: Article, limit: int = TITLE_CHARS) -> str:
    return escape(_cut(a.title, limit)) + (" (عنوان مشتق)" if a.title_derived else "")


def answer_page(
    ans: Answer, page: int, header: list[str] | tuple[str, ...] = (), limit: int = MAX_CHARS
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
        lines.extend(answer_line(r))
        lines.append(f"<b>النتيجة {escape(str(page + 1))} من {escape(str(n))}: {_title(r.article)}</b>")
        lines.extend(_article_meta(r.article))
        lines.append(
            f"الثقة: {escape(f'{round(100 * r.probability)}%')} · تطابق السؤال: {escape(f'{round(100 * r.coverage)}%')}"
        )
        if r.repeats:
            lines.append("(مصدر آخر للجملة نفسها المقتبسة في نتيجة سابقة)")
        if r.also_reported_in:
            lines.append(f"نُشر أيضاً في: {escape(reported_in(r.also_reported_in))}")
        lines.append("")
        for q in _quotes(r, quote_limit):
            lines.append(q)
            lines.append("")
        if actors:
            shown = "، ".join(actor_label(x) for x in actors)
            lines.append(f"الفاعلون المذكورون: {shown}")
        if quote_limit is not None and any(len(q.text) > quote_limit for q in r.quotes):
            lines.append("(اختُصرت بعض الجمل لطولها: اقرأها كاملة في المقال.)")
        lines.extend(notes(ans.notes))
        text = "\n".join(lines).strip("\n")
        if length(text) <= limit:
            return text
        longest = max(len(q.text) for q in r.quotes)
        if quote_limit is None or quote_limit > MIN_QUOTE_CHARS:
            quote_limit = max(MIN_QUOTE_CHARS, min(longest, quote_limit or longest) * 2 // 3)
        elif len(actors) > 3:
            actors = actors[:3]
        elif header and len(header) > 1:
            header = header[:1]
        else:  # pathological metadata: drop the optional parts entirely
            return _minimal(r, page, n, limit)


def _minimal(r: Result, page: int, n: int, limit: int) -> str:
    q_limit = MINIMAL_QUOTE_CHARS
    while True:
        lines = [*answer_line(r), f"<b>النتيجة {escape(str(page + 1))} من {escape(str(n))}: {_title(r.article, SHORT_TITLE_CHARS)}</b>", ""]
        lines += _quotes(r, q_limit)[:3]
        text = "\n".join(lines)
        if length(text) <= limit or q_limit <= 20:
            return text
        q_limit //= 2


def no_answer(ans: Answer, header: list[str] | tuple[str, ...] = ()) -> str:
    """The honest "no answer" reply, with the reason when known and a pointer to /sources."""
    lines = list(header)
    lines.append("لم أجد في المقالات المتاحة إجابة عن هذا السؤال.")
    lines.extend(notes(ans.notes))
    if ans.closest is not None:
        lines.append(f"أقرب مقال (لا يجيب في تقديري): {_title(ans.closest.article, CLOSEST_TITLE_CHARS)}")
    lines.append("")
    lines.append("لا أكتب إجابات من عندي، بل أنقل ما في المقالات فقط. جرّب صياغة أخرى بكلمات أدق، أو اطّلع على المقالات التي أجيب منها: /sources")
    return "\n".join(lines)


def article_spans(
    a: Article, bold: Sequence[tuple[int, int]] = (), budget: int = PAGE_BUDGET, limit: int = MAX_CHARS
) -> list[tuple[int, int]]:
    """The text offsets of a whole article's Telegram pages: breaks between paragraphs, else after
    a sentence end, else between words, each page fitting ``limit`` once escaped (with ``bold``)."""
    chunks = _chunks(a.text, budget)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(chunks):
        s, e = chunks[i]
        if length(_body(a, s, e, bold)) > limit - PAGE_HEADROOM and e - s > 200:  # escaping blew it up: split
            mid = _split_point(a.text, s, e, (e - s) // 2)
            chunks[i : i + 1] = [(s, mid), (mid, e)]
            continue
        spans.append((s, e))
        i += 1
    return spans


def _body(a: Article, s: int, e: int, bold: Sequence[tuple[int, int]]) -> str:
    return _markup(a.text[s:e], [(bs - s, be - s) for bs, be in bold if be > s and bs < e])


def article_page(a: Article, spans: Sequence[tuple[int, int]], page: int, bold: Sequence[tuple[int, int]] = ()) -> str:
    """Page ``page`` (from 0) of an article paged at ``spans`` (:func:`article_spans`), ``bold`` spans in bold."""
    s, e = spans[page]
    head = [f"<b>المقال: {_title(a, ARTICLE_TITLE_CHARS)}</b>", f"الصفحة {escape(str(page + 1))} من {escape(str(len(spans)))}"]
    if page == 0:
        head += _article_meta(a)
    return "\n".join(head) + "\n\n" + _body(a, s, e, bold)


def article_pages(
    a: Article, bold: Sequence[tuple[int, int]] = (), budget: int = PAGE_BUDGET, limit: int = MAX_CHARS
) -> list[tuple[str, int, int]]:
    """A whole article as Telegram pages: ``[(html, start, end)]``, text offsets of each page
    (:func:`article_spans`, :func:`article_page`)."""
    spans = article_spans(a, bold, budget, limit)
    return [(article_page(a, spans, i, bold), s, e) for i, (s, e) in enumerate(spans)]


def _split_point(text: str, s: int, e: int, size: int) -> int:
    """Where to end a chunk starting at ``s`` of about ``size`` characters (``<= e``)."""
    if e - s <= size:
        return e
    window = text[s : s + size]
    for pattern in ("\n", ". ", "؟ ", "! ", "، ", " "):
        cut = window.rfind(pattern)
        if cut > size // 3:
            return s + cut + len(pattern)
    return s + size


def _chunks(text: str, budget: int) -> list[tuple[int, int]]:
    """Offsets of consecutive chunks of ``text`` of at most ``budget`` characters, trimmed."""
    chunks = []
    s, n = 0, len(text)
    while s < n:
        e = _split_point(text, s, n, budget)
        cs, ce = s, e
        while cs < ce and text[cs].isspace():
            cs += 1
        while ce > cs and text[ce - 1].isspace():
            ce -= 1
        if ce > cs:
            chunks.append((cs, ce))
        s = e
    return chunks or [(0, 0)]


def sources_page(
    articles: list[Article], page: int, per_page: int, n_passages: int, built_at: str
) -> str:
    """One page of ``/sources``: the articles answered from, ``per_page`` at a time."""
    total_pages = max(1, -(-len(articles) // per_page))
    lines = [
        f"<b>المقالات التي أجيب منها</b>: {escape(str(len(articles)))} مقالاً، "
        f"{escape(str(n_passages))} مقطعاً (فهرس {escape(built_at[:10])}).",
        f"الصفحة {escape(str(page + 1))} من {escape(str(total_pages))}. اختر مقالاً لقراءته كاملاً، أو أرسل /article مع معرّفه.",
        "",
    ]
    for a in articles[page * per_page : (page + 1) * per_page]:
        meta = [*_source_and_date(a), f"المعرّف: {_article_id(a)}"]
        lines.append(f"• <b>{_title(a, SOURCES_TITLE_CHARS)}</b>")
        lines.append("   " + " · ".join(meta))
    return "\n".join(lines)


def follow_up_header(follow_up: FollowUp) -> tuple[str, ...]:
    """The lines opening an answer given in the previous question's context."""
    lines = [f"في سياق سؤالك السابق عن: <b>{escape(follow_up.actor.text)}</b>"]
    if follow_up.nothing_new:
        lines.append("(لا مقاطع جديدة عنه: هذه ما عرضتُه من قبل.)")
    return tuple(lines)


def actor_pages(report: ActorReport, articles: Mapping[str, Article], budget: int = PAGE_BUDGET) -> list[str]:
    """An actor of the actor index as Telegram pages: its card, then every sentence naming it
    (verbatim, best first) with the article, publisher and date of each."""
    e = report.entry
    card = [f"<b>{escape(_cut(e.name, TITLE_CHARS))}</b> ({escape(TYPE_LABELS_AR.get(e.type, e.type))})"]
    if len(e.aliases) > 1:
        card.append("يُذكر أيضاً: " + escape(_cut("، ".join(a for a in e.aliases if a != e.name), TITLE_CHARS)))
    if e.roles:
        card.append("الصفة: " + escape(_cut("، ".join(e.roles), TITLE_CHARS)))
    when = f" بين {escape(e.first_date[:10])} و{escape(e.last_date[:10])}" if e.first_date and e.last_date else ""
    card.append(f"في {escape(str(len(e.articles)))} مقالاً، {escape(str(e.mentions))} ذِكراً{when}.")
    if report.co_actors:
        names = "، ".join(f"{c.name} ({n})" for c, n in report.co_actors[:6])
        card.append("يُذكر معه: " + escape(_cut(names, TITLE_CHARS)))
    blocks = [_actor_sentence(s, articles[s.article_id]) for s in report.sentences] or ["(لا جمل مقتبسة.)"]
    pages: list[list[str]] = [[]]
    size = 0
    for block in blocks:
        if pages[-1] and size + len(block) > budget:
            pages.append([])
            size = 0
        pages[-1].append(block)
        size += len(block)
    total = len(pages)
    head = "\n".join(card)
    return [
        f"{head}\nالصفحة {escape(str(n))} من {escape(str(total))}\n\n" + "\n\n".join(body)
        for n, body in enumerate(pages, start=1)
    ]


def _actor_sentence(s: ActorSentence, a: Article) -> str:
    quote = f"« {_markup(_cut(s.text, PAGE_BUDGET // 2), [(s.mention[0] - s.start, s.mention[1] - s.start)])} »"
    meta = [_title(a, SHORT_TITLE_CHARS), *_source_and_date(a), _article_id(a)]
    return quote + "\n— " + " · ".join(meta)

