"""Dates of articles and dates in questions.

- :func:`parse_date` reads an article's ``date`` field: ISO (``2015-07-21``, ``2015-07-21T10:00``,
  ``2015/7/21``), day first (``21/07/2015``, ``21-7-2015``) and the common Arabic forms
  (``21 يوليو 2015``, ``الثلاثاء 21 تموز 2015``, ``٢١ يوليو ٢٠١٥م``, ``يوليو 2015``). What does not
  parse is kept as text by the caller and never used for ranking (``None`` here, never a crash).
- :func:`date_intent` finds what a question asks of time: the latest reports (``آخر``,
  ``أحدث``, ``مؤخرا``: the spans of those words, which name no content, are not searched) or a
  period (``في أكتوبر 2015``, ``عام 2015``, ``في يوليو``). A month followed by «المقبل/القادم»
  (``في فبراير المقبل``) dates the event, not the reports: it is no period.

Month names come both as the Egyptian/Gulf transliterations (يناير … ديسمبر) and the Levantine
names (كانون الثاني … كانون الأول); they are compared after :func:`~retrieval.normalize.normalize_token`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from .charsets import DIGITS_TO_ASCII
from .normalize import normalize_token

__all__ = ["DateRange", "DateIntent", "date_intent", "parse_date", "week_start"]

_MONTH_NAMES = {
    1: ("يناير", "كانون الثاني", "جانفي"),
    2: ("فبراير", "شباط", "فيفري"),
    3: ("مارس", "آذار"),
    4: ("أبريل", "إبريل", "ابريل", "نيسان", "أفريل"),
    5: ("مايو", "أيار", "ماي"),
    6: ("يونيو", "يونيه", "حزيران", "جوان"),
    7: ("يوليو", "يوليه", "تموز", "جويلية"),
    8: ("أغسطس", "اغسطس", "آب", "أوت"),
    9: ("سبتمبر", "أيلول"),
    10: ("أكتوبر", "اكتوبر", "تشرين الأول"),
    11: ("نوفمبر", "تشرين الثاني"),
    12: ("ديسمبر", "كانون الأول"),
}
#: normalized month name (one or two words) -> month number
MONTHS: dict[str, int] = {
    " ".join(normalize_token(w) for w in name.split()): m for m, names in _MONTH_NAMES.items() for name in names
}
_MONTH_ALT = "|".join(sorted((re.escape(k) for k in MONTHS), key=len, reverse=True))

_ISO_RE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T\s].*)?$")
_DMY_RE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:\s.*)?$")
_WORD_RE = re.compile(r"\w+")
_YEAR_SUFFIX = "م"  # ٢٠١٥م: the Gregorian era letter

# Question words that ask for the newest reports. «آخر» only counts where it cannot mean
# "another" (شخص آخر): first in the question, after a question word, or before a noun with the
# article (آخر التطورات, آخر الأخبار) — see :func:`date_intent`.
_LATEST_WORDS = frozenset(normalize_token(w) for w in ("أحدث", "مؤخرا", "مؤخراً", "مؤخّراً", "الأخيرة", "حديثا"))
_LAST_WORDS = frozenset(normalize_token(w) for w in ("آخر", "اخر", "وآخر"))
_ASKING = frozenset(normalize_token(w) for w in ("ما", "ماذا", "هي", "هو", "عن", "في", "متى", "كيف"))
_YEAR_WORDS = frozenset(normalize_token(w) for w in ("عام", "سنة", "العام", "لعام", "خلال", "في"))
_COMING = frozenset(normalize_token(w) for w in ("المقبل", "القادم", "المقبلة", "القادمة", "المقبلين"))
_IN_WORDS = frozenset(normalize_token(w) for w in ("في", "خلال", "شهر", "بشهر", "منذ"))


@dataclass(frozen=True, slots=True)
class DateRange:
    """Days from ``since`` to ``until``, both included; either end may be open (``None``)."""

    since: date | None = None
    until: date | None = None

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def __bool__(self) -> bool:
        return self.since is not None or self.until is not None

    def label(self) -> str:
        """``2015-10-01 – 2015-10-31``, ``since 2015-10-01``, ``until 2015-10-31``."""
        if self.since and self.until:
            return f"{self.since.isoformat()} – {self.until.isoformat()}"
        if self.since:
            return f"since {self.since.isoformat()}"
        return f"until {self.until.isoformat()}" if self.until else "any date"

    def intersect(self, other: DateRange) -> DateRange:
        since = max((d for d in (self.since, other.since) if d), default=None)
        until = min((d for d in (self.until, other.until) if d), default=None)
        return DateRange(since, until)


@dataclass(frozen=True, slots=True)
class DateIntent:
    """What a question asks of time: the newest reports first (``latest``), a period (``period``),
    the spans of the words asking for the latest (not searched for: they name no content) and
    those naming the period (searched for, never evidence: see :func:`~retrieval.evidence.question_terms`)."""

    latest: bool = False
    period: DateRange = DateRange()
    spans: tuple[tuple[int, int], ...] = ()
    period_spans: tuple[tuple[int, int], ...] = ()

    def __bool__(self) -> bool:
        return self.latest or bool(self.period)


def _ymd(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str | None) -> date | None:
    """The day ``text`` names, or ``None`` when it names none (kept as text by the caller).

    A month without a day (``يوليو 2015``) is its first day.
    """
    if not text:
        return None
    s = text.translate(DIGITS_TO_ASCII).strip()
    if len(s) > 80:
        return None
    if m := _ISO_RE.match(s):
        return _ymd(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY_RE.match(s):
        return _ymd(int(m[3]), int(m[2]), int(m[1]))
    words = [normalize_token(w) for w in _WORD_RE.findall(s)]
    words = [w[:-1] if w.endswith(_YEAR_SUFFIX) and w[:-1].isdigit() else w for w in words]
    for i, w in enumerate(words):
        pair = f"{w} {words[i + 1]}" if i + 1 < len(words) else ""
        if pair in MONTHS:  # «تشرين الأول»
            month, span = MONTHS[pair], 2
        elif w in MONTHS:
            month, span = MONTHS[w], 1
        else:
            continue
        day = int(words[i - 1]) if i > 0 and words[i - 1].isdigit() and len(words[i - 1]) <= 2 else 1
        year = words[i + span] if i + span < len(words) else ""
        if year.isdigit() and len(year) == 4:
            return _ymd(int(year), month, day)
    return None


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week (timelines count per week)."""
    return day - timedelta(days=day.weekday())


def _month_range(year: int, month: int) -> DateRange:
    return DateRange(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


_PERIOD_RE = re.compile(
    r"(?<!\S)(?:"
    rf"(?:(?P<day>\d{{1,2}})\s+)?(?P<month>{_MONTH_ALT})(?:\s+(?:(?:من\s+)?(?:عام|سنه|العام)\s+)?(?P<year>\d{{4}})م?)?"
    r"|(?:(?P<yword>عام|سنه|العام|لعام)\s+)?(?P<onlyyear>(?:19|20)\d{2})م?"
    r")(?!\S)"
)
# Month names that are also common words (مارس "practised", آب/أب "father"): in a question
# they name a month only with a year or after «شهر».
_AMBIGUOUS_MONTHS = frozenset(normalize_token(w) for w in ("مارس", "آب", "ماي", "أوت", "جوان"))


def date_intent(question: str, today: date | None = None, years: tuple[int, ...] = ()) -> DateIntent:
    """What ``question`` asks of time (see :class:`DateIntent`).

    A month named without a year (``في يوليو``) is that month in the newest year of ``years``
    (the years the corpus covers), else of ``today``'s year. A bare four-digit number is a year
    only after «عام/سنة» or a month, or after «في/خلال» (``في 2015``): «2015 قتيلا» is a count.
    """
    text = question.translate(DIGITS_TO_ASCII)
    norm_words = [(m.start(), m.end(), normalize_token(m.group())) for m in _WORD_RE.finditer(text)]
    spans: list[tuple[int, int]] = []
    latest = False
    for i, (s, e, w) in enumerate(norm_words):
        if w in _LATEST_WORDS:
            latest = True
            spans.append((s, e))
        elif w in _LAST_WORDS:
            prev = norm_words[i - 1][2] if i else ""
            nxt = norm_words[i + 1][2] if i + 1 < len(norm_words) else ""
            if i == 0 or prev in _ASKING or nxt.startswith("ال"):
                latest = True
                spans.append((s, e))
    period = DateRange()
    period_spans: list[tuple[int, int]] = []
    normalized = " ".join(w for _, _, w in norm_words)
    offsets = []  # normalized text position -> original span of each word
    pos = 0
    for s, e, w in norm_words:
        offsets.append((pos, pos + len(w), s, e))
        pos += len(w) + 1
    fallback_year = max(years) if years else (today or date.today()).year
    for m in _PERIOD_RE.finditer(normalized):
        before = normalized[: m.start()].split()[-1:] or [""]
        after = normalized[m.end() :].split()[:1] or [""]
        if after[0] in _COMING:
            continue
        if m["month"] and m["month"] in _AMBIGUOUS_MONTHS and not m["year"] and before[0] not in ("شهر", "بشهر"):
            continue
        if m["month"]:
            month = MONTHS[m["month"]]
            year = int(m["year"]) if m["year"] else fallback_year
            if m["day"] and (d := _ymd(year, month, int(m["day"]))):
                found = DateRange(d, d)
            else:
                found = _month_range(year, month)
        elif m["yword"] or before[0] in _YEAR_WORDS or before[0] in _IN_WORDS:
            y = int(m["onlyyear"])
            found = DateRange(date(y, 1, 1), date(y, 12, 31))
        else:
            continue
        period = found if not period else DateRange(min(period.since, found.since), max(period.until, found.until))  # type: ignore[type-var]
        period_spans += [(s, e) for a, b, s, e in offsets if a >= m.start() and b <= m.end()]
    return DateIntent(latest, period, tuple(sorted(set(spans))), tuple(period_spans))
