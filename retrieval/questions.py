"""What a question asks for: its question words (Modern Standard Arabic and dialect), the
dialect function words that carry no content, the kind of answer it wants, and the time it names.

The one home of these word lists. :mod:`retrieval.normalize` builds its index stopwords from
:data:`INDEXED_QUESTION_WORDS`; the dialect words (:data:`DIALECT_QUESTION_WORDS`,
:data:`DIALECT_FUNCTION_WORDS`) are dropped from questions only (:func:`is_question_only`): the
index keeps them, since a news corpus quotes speech and some are words of Modern Standard Arabic
too (``بدو`` Bedouins, ``دي`` in ``دي ميستورا``), so changing them changes no saved index.

Everything here takes words as :func:`~retrieval.normalize.normalize_token` gives them (alef
variants folded to ``ا``, ``ى`` to ``ي``, ``ة`` to ``ه``, Eastern digits to ASCII); the lists are
written in that form (tests/test_evidence.py checks it). Nothing is imported from the analysis
chain at import time, so :mod:`retrieval.normalize` can import this module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ANSWER_TYPES",
    "DIALECT_FUNCTION_WORDS",
    "DIALECT_QUESTION_WORDS",
    "INDEXED_QUESTION_WORDS",
    "QuestionTime",
    "RELATIVE_HORIZON_DAYS",
    "answer_type",
    "dialect_forms",
    "is_question_only",
    "question_time",
    "question_word",
    "span_type",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Question words of Modern Standard Arabic (and the three most common dialect ones): index
#: stopwords (:data:`retrieval.normalize.STOPWORDS`). Changing this list changes the analysis
#: of saved indexes: bump ``ANALYZER_VERSION`` with it. Written as the original spelling; the
#: analyzer normalizes them.
INDEXED_QUESTION_WORDS = """من ما ماذا ماذا كم أين اين متى لماذا لما هل كيف أي أية ايه ماهي ماهو ما هو هي
    بكم لمن ممن عمن فيم فيما علام إلام حتام أيان أنى
    مادا لمادا ماهى ماهيه ماهية مين منو شو ليش وين إيش ايش"""

#: Dialect question words (Gulf, Levantine, Egyptian, Maghrebi), normalized: never content.
DIALECT_QUESTION_WORDS = _words(
    """شكون اشكون منو مين منهو منهي فين وين منين فاين امتي ايمتي امتا ايمتا متا وقتاش وقتيش امتين
    قديش قداش قدي كام بكام بقديش بقداش شحال اشحال ليه ليش علاش لاش عليش كيفاش كيفش كيفن ازاي
    شلون اشلون وش ويش شنو اشنو شنهو شنهي ايه ايش اش شو واش اشو شوه ايشو"""
)

#: Dialect function words (relative pronoun, negation, "want", "because", demonstratives,
#: "like this", "now", future and progressive particles, "of"), normalized: never content. Words
#: that are also common Modern Standard words are left out (دول countries, كي in بان كي مون,
#: جوا by air, طيب good, هلا as a name).
DIALECT_FUNCTION_WORDS = _words(
    """اللي الي يلي ياللي مش مو مب موش ماهوش مافي ماكو مفيش مافيش بدو بده بدي بدهم بدك
    عشان علشان عشانه لانو لانه انو انه هاد هادا هادي هاذا هاذي هاي هذي هدا هدي ده دي دا دوك هيك
    هيكا كده كدا هيكي هلق هلئ هسه هسا هسع الحين دلوقتي دلوقت توا تو دابا باش بش
    متاع بتاع ديال تبع تاع تبعه تبعها حقت عم رح حا بيقول بتقول كمان برضه برضو لسه لسا
    بعدين وايد واجد كتير برشا بزاف شويه شوي زي يعني خلاص لحد لغايه ولا صار صارت
    تبي تبون يبي يبون نبي ابي تبغي يبغي ابغي نبغي يبغون عايز عايزه عاوز عاوزه عايزين لازم جوه
    هني هنيه انهو انهي اشنوه شنوه انو اياه هاذول هدول هذول جه بخصوص"""
)

_DIALECT = DIALECT_QUESTION_WORDS | DIALECT_FUNCTION_WORDS
_PROCLITICS = "وفبلك"


#: Dialect verb prefixes before the imperfective ``ي ت ن ا``: the present ``ب`` (Levantine,
#: Egyptian: ``بيهاجم``), the future ``ه``/``ح`` (``هتبعت``, ``حيروح``); and the Egyptian passive
#: ``ات`` (``اتقتل``). Stripped only where the index lacks the word as written (see
#: :func:`dialect_forms`).
_VERB_PREFIXES = ("ب", "ه", "ح")
_IMPERFECTIVE = "يتنا"


def dialect_forms(word: str) -> tuple[str, ...]:
    """Modern Standard forms a normalized dialect verb may stand for, most likely first:
    ``بيهاجم`` -> ``يهاجم``, ``هتبعت`` -> ``تبعت``, ``اتقتل`` -> ``قتل``; none for other words."""
    out: list[str] = []
    if len(word) >= 5 and word[0] in _VERB_PREFIXES and word[1] in _IMPERFECTIVE:
        out.append(word[1:])
    if len(word) >= 5 and word.startswith("ات") and word[2] not in "اويه":
        out.append(word[2:])
    return tuple(out)


def is_question_only(word: str) -> bool:
    """A dialect question or function word (with or without a proclitic ``و ف ب ل ك``): dropped
    from a question before it is searched, never a specific word the corpus lacks."""
    return word in _DIALECT or (len(word) > 2 and word[0] in _PROCLITICS and word[1:] in _DIALECT)


# --------------------------------------------------------------------------- answer types
#: The kinds of answer a question can ask for, and the candidate kinds that answer each: an
#: actor type of the stored mentions (``person organization place``), ``number``, ``date`` (a
#: month, a weekday, a time word) or ``year`` (three or four digits: a date, and a number).
ANSWER_TYPES: dict[str, tuple[str, ...]] = {
    "person": ("person", "organization"),  # who: a person, or an organisation acting as one
    "place": ("place",),
    "organization": ("organization",),
    "date": ("date", "year"),  # a year is a date, and a number
    "number": ("number", "year"),
}

_WHO = _words("مين منو شكون اشكون منهو منهي ممن لمن عمن ومن فمن ومين")
_WHERE = _words("اين وين فين منين فاين واين فاين لاين ولاين")
_WHEN = _words("متي ومتي فمتي لمتي امتي ايمتي امتا ايمتا متا وقتاش وقتيش امتين")
_HOW_MANY = _words("كم بكم وكم فكم قديش قداش قدي كام بكام بقديش بقداش شحال اشحال")
_WHY_HOW = _words("لماذا ولماذا ليش ليه علاش لاش عليش كيف وكيف فكيف كيفاش كيفش كيفن ازاي شلون اشلون")
_WHICH = _words("اي باي لاي فاي واي ايه")
_PRONOUNS = _words("هو هي هم هما هن الذي التي الذين اللي يكون تكون")
#: Nouns that say what is counted or measured (``ما عدد``, ``ما نسبة``) or when (``ما تاريخ``).
_NUMBER_NOUNS = _words("عدد كميه مقدار نسبه مساحه طول ارتفاع عمق سعر اعداد حجم")
_DATE_NOUNS = _words("عام سنه تاريخ قرن يوم شهر العام السنه القرن عاما")
_PLACE_NOUNS = _words("دوله مدينه بلد بلاد قاره عاصمه منطقه قريه جزيره مكان موقع الدوله المدينه البلد دول مدن")
_ORG_NOUNS = _words("منظمه جماعه حزب شركه فصيل جهه هيئه مؤسسه جمعيه حركه وكاله جامعه فريق نادي ميليشيا ميليشيات منظمات احزاب")
_ASK_START = _words("ما ماذا شو شنو ايش وش ايه اش")
# What-words with a clitic, glued or misspelt with د for ذ (as typed): they ask for a thing.
_THING = _words("ماهو ماهي وما فما بماذا وماذا فماذا عماذا مادا بمادا ومادا")
_BEFORE_WHO = _words("ضد الي علي عن مع يد بيد ل تاريخ لدي عند")


def answer_type(words: Sequence[str]) -> str | None:
    """What the question of these normalized ``words`` asks for: ``person`` (who), ``place``
    (where, which country or city), ``organization`` (which organisation, party, group),
    ``date`` (when, in which year, «ما تاريخ»), ``number`` (how many / how much, «ما عدد»),
    ``clause`` (why, how: no entity type), or ``None`` (what, yes/no, or no question word).

    The first question word decides. ``من`` is "who" only where it opens the question (or
    follows a pronoun: «من هو»), since elsewhere it is the preposition "from"."""
    n = len(words)
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < n else ""
        if w in _WHEN:
            return "date"
        if w in _WHERE or (w == "من" and nxt in ("اين", "وين", "فين")):
            return "place"
        if w == "من" and nxt in _WHEN:
            return "date"
        if w in _WHO or (w in ("من", "ومن", "فمن") and (i == 0 or nxt in _PRONOUNS) and nxt not in _WHICH):
            return "person"
        if w in _HOW_MANY:
            return "number"
        if w in _WHY_HOW:
            return "clause"
        if w in _WHICH or (w == "من" and nxt in _WHICH):
            after = nxt if w in _WHICH else (words[i + 2] if i + 2 < n else "")
            if after in _DATE_NOUNS:
                return "date"
            if after in _PLACE_NOUNS:
                return "place"
            if after in _ORG_NOUNS:
                return "organization"
            if w in _WHICH:
                return None
        # «ما عدد», «ما هو عدد», «في أي عام»: the noun right after the question word or its pronoun.
        asked = i == 0 or words[i - 1] in _ASK_START or (
            i >= 2 and words[i - 1] in ("هو", "هي") and words[i - 2] in _ASK_START
        )
        if i <= 3 and w in _DATE_NOUNS and (asked or words[i - 1] in _WHICH):
            return "date"
        if i <= 3 and w in _NUMBER_NOUNS and asked:
            return "number"
    return None


def span_type(words: Sequence[str]) -> str | None:
    """The kind of answer span the question of these normalized ``words`` asks for (issue #24):
    :func:`answer_type`'s kind, ``thing`` for «ما/ماذا/أي/شو …» asking for something of no named
    kind («ما هي عاصمة فرنسا»), and ``None`` for why/how (``clause``), yes/no questions and
    sentences with no question word: those get no span."""
    kind = answer_type(words)
    if kind is not None:
        return None if kind == "clause" else kind
    for i, w in enumerate(words):
        # «ضد من», «إلى من», «على يد من», «في تاريخ من ؟»: «من» after a preposition or last asks who.
        if w == "من" and i and (words[i - 1] in _BEFORE_WHO or i == len(words) - 1):
            return "person"
    if any(w in _ASK_START or w in _WHICH or w in _THING or w.startswith("ماال") for w in words[:4]):
        return "thing"
    return None


def question_word(words: Sequence[str]) -> str:
    """The first question word of the normalized ``words`` (``متي``, ``كم``, ``وين``, ``ما``), the
    noun after a «ما/أي» that says what is asked (``ما عاصمة`` → ``عاصمه``) or ``""``."""
    every = _WHO | _WHERE | _WHEN | _HOW_MANY | _WHY_HOW | _WHICH | _ASK_START | _THING | {"من"}
    for i, w in enumerate(words[:4]):
        if w in every:
            if w in _ASK_START | _WHICH | _THING:
                nxt = [x for x in words[i + 1 : i + 3] if x not in _PRONOUNS]
                return nxt[0] if nxt else w
            return w
    return ""


# --------------------------------------------------------------------------- time named
#: Relative times a question can name, normalized, and how many days back from today an article
#: may be dated to speak of them.
RELATIVE_HORIZON_DAYS: dict[str, int] = {
    "اليوم": 2, "الليله": 2, "امس": 3, "البارحه": 3, "الان": 31, "حاليا": 31, "الحين": 31,
    "دلوقتي": 31, "هلق": 31, "توا": 31, "دابا": 31, "الراهن": 31, "الجاري": 45,
}
_THIS = _words("هذا هذه هاد هادي")
_THIS_PERIOD = {"الاسبوع": 8, "الشهر": 32, "العام": 366, "السنه": 366}
_YEAR_RE = re.compile(r"^(?:1[89]|20)\d\d$")


@dataclass(frozen=True, slots=True)
class QuestionTime:
    """The time a question names: years (``عام 2020``, ``كأس العالم 2022``) and, for a relative
    time (``اليوم``, ``هذا الأسبوع``, ``الآن``), how many days before today an answer may be dated
    (``horizon``; 0 when none is named) and the words that named it."""

    years: tuple[int, ...] = ()
    horizon: int = 0
    words: str = ""

    def __bool__(self) -> bool:
        return bool(self.years or self.horizon)


def _not_a_time(word: str, before: str, after: str) -> bool:
    """``اليوم`` as "the day" (an adjective or a noun follows: ``اليوم العالمي للمرأة``, ``اليوم
    الأول``), ``الجاري`` after no period (``الحساب الجاري``): no time named."""
    if word == "اليوم":
        return after.startswith("ال") or after in ("من", "الذي", "التي")
    if word == "الجاري":
        return before not in ("الشهر", "العام", "الاسبوع", "الموسم")
    return False


def question_time(words: Sequence[str]) -> QuestionTime:
    """The time the question of these normalized ``words`` names (see :class:`QuestionTime`)."""
    years: list[int] = []
    horizon, named = 0, ""
    for i, w in enumerate(words):
        bare = w[1:] if len(w) == 5 and w[0] in "بف" else w  # بـ2025 written glued
        bare = bare[:-1] if len(bare) == 5 and bare[-1] == "م" else bare  # 2020م
        before, after = words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else ""
        if _YEAR_RE.match(bare):
            years.append(int(bare))
        elif w in RELATIVE_HORIZON_DAYS and not horizon and not _not_a_time(w, before, after):
            horizon, named = RELATIVE_HORIZON_DAYS[w], w
        elif w in _THIS_PERIOD and i and words[i - 1] in _THIS and not horizon:
            horizon, named = _THIS_PERIOD[w], f"{words[i - 1]} {w}"
    return QuestionTime(tuple(dict.fromkeys(years)), horizon, named)
