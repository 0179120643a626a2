"""What the console and Telegram both say about an answer: the actor types' Arabic names, the
answer span's line, which actor the span names, the date shown, the «also reported in» line and
the answer's notes in Arabic.
(The terminal's rendering is :mod:`bot.terminal`, Telegram's :mod:`bot.telegram.render`.)"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from retrieval import (
    Article,
    ArticleMeta,
    Result,
    answer_in_quote,
    bare_word,
    day,
    normalize_token,
    tokenize,
)

__all__ = [
    "ANSWER_LABEL", "EXTRACTED", "TYPE_LABELS_AR", "answer_actor", "answer_text", "arabic_notes", "display_date", "reported_in",
]  # fmt: skip

#: Actor types as shown to users (console and Telegram).
TYPE_LABELS_AR = {"person": "شخص", "organization": "منظمة", "place": "مكان"}
#: The line giving a result's answer span (console and Telegram): ``الجواب: مارتن كوبلر (مقتطف من النص)``.
ANSWER_LABEL = "الجواب"
EXTRACTED = "(مقتطف من النص)"
#: Prefixes a name may carry in a sentence (``لمارتن``, ``وللأمم``) when matched against an actor.
_NAME_PREFIXES = frozenset(("", "و", "ف", "ب", "ل", "ك", "لل", "ول", "وب", "فل", "فب", "ولل", "ال", "وال", "بال", "فال", "كال"))


def answer_text(r: Result) -> str | None:
    """The answer span's words for the ``الجواب`` line (whitespace collapsed), or None when ``r``
    has no span to show."""
    if r.answer is None or answer_in_quote(r, r.answer.sentence) is None:
        return None
    return " ".join(r.answer.text.split()) or None


def _words(text: str) -> list[str]:
    return [normalize_token(t.surface) for t in tokenize(text)]


def _same_name_word(word: str, name_word: str) -> bool:
    """``word`` of a sentence is ``name_word`` of an actor, maybe with a proclitic (``لمارتن``)."""
    core = bare_word(name_word)
    return word.endswith(core) and word[: len(word) - len(core)] in _NAME_PREFIXES


def _aligned(words: Sequence[str], name: Sequence[str]) -> bool:
    """Sentence ``words`` are the actor's ``name`` words, one for one."""
    return len(words) == len(name) > 0 and all(_same_name_word(w, x) for w, x in zip(words, name))


def answer_actor(r: Result) -> int | None:
    """The index in ``r.actors`` of the person or organisation the answer span names: an actor
    whose whole name the span holds, or, when the span is exactly a person's or an organisation's
    mention, an actor whose name holds the span (``كوبلر`` of ``مارتن كوبلر``); else None."""
    if answer_text(r) is None:
        return None
    span = _words(r.answer.text)
    people = [(i, _words(x.text)) for i, x in enumerate(r.actors) if x.type in ("person", "organization")]
    for i, name in people:
        if any(_aligned(span[k : k + len(name)], name) for k in range(len(span) - len(name) + 1)):
            return i
    if r.answer.kind in ("person", "organization"):
        for i, name in people:
            if any(_aligned(span, name[k : k + len(span)]) for k in range(len(name) - len(span) + 1)):
                return i
    return None


def display_date(a: Article | ArticleMeta) -> str | None:
    """The date shown with a result: ISO when it parses, else the text as given (never dropped)."""
    return day(a) or a.date


def reported_in(articles: Sequence[ArticleMeta], limit: int = 6) -> str:
    """``also reported in`` line: ``okaz (2015-07-21)، alriyadh (2015-07-22)`` and how many more."""
    shown = [f"{a.source or a.id}" + (f" ({d})" if (d := display_date(a)) else "") for a in articles[:limit]]
    more = f" و{len(articles) - limit} غيرها" if len(articles) > limit else ""
    return "، ".join(shown) + more


#: An answer's notes (``Answer.notes``, English in the JSON contract) as users read them; ``None``:
#: not shown (the reply says it already).
_NOTES = (
    (re.compile(r"^question cut to its first (\d+) characters"), "(قُطع سؤالك الطويل إلى أول {0} حرفاً.)"),
    (re.compile(r"^only the (\d+) most specific words"), "(بحثتُ عن أكثر {0} كلمة تحديداً في سؤالك فقط.)"),
    (
        re.compile(r"^the question has only question words and common words"),
        "سؤالك لا يحوي إلا أدوات استفهام وكلمات شائعة: اذكر ما تسأل عنه (شخصاً أو جهة أو مكاناً أو حدثاً).",
    ),
    (re.compile(r"^Sanad's corpus is Arabic"), "المقالات باللغة العربية: اطرح سؤالك بالعربية."),
    (
        re.compile(r"^no passage of the corpus answers this question: the closest one holds (\d+)% .*\(probability ([\d.]+), ([\d.]+) needed\)"),
        "(أقرب مقطع يحوي {0}% من الكلمات المحددة في سؤالك، وثقتي أنه يجيب {1} والمطلوب {2}.)",
    ),
    (
        re.compile(r"^no passage of the corpus speaks of the time this question asks about: the closest one holds (\d+)%"),
        "(أقرب مقطع يحوي {0}% من الكلمات المحددة في سؤالك، لكنه لا يتحدث عن الزمن الذي تسأل عنه.)",
    ),
    (re.compile(r"^no passage of the corpus holds the words"), None),
    (re.compile(r"^«(.+)» is not in the corpus: searched «(.+)» instead"), "(الكلمة «{0}» ليست في المقالات: بحثتُ عن «{1}».)"),
)


def arabic_notes(notes: Iterable[str]) -> list[str]:
    """An answer's notes in Arabic, plain text (a note this table does not know is shown as it is, in brackets)."""
    out = []
    for note in notes:
        for rx, ar in _NOTES:
            m = rx.match(note)
            if m:
                if ar is not None:
                    out.append(ar.format(*m.groups()))
                break
        else:
            out.append(f"({note})")
    return out

