"""What a candidate passage says about a question: matched words, where they sit, and the
named signals the answerability model (:mod:`retrieval.answerability`) turns into a probability.

Everything here is a pure function of the question's terms, their weights and one passage's
analysed sentences. Sums run over the question's terms in question order (lists, never sets),
so the same inputs give the same floating-point results whatever the hash seed.

Terms and weights
    ``terms`` are the question's distinct index terms (stopwords and question words already
    dropped by the analyzer), in question order. :data:`FRAME_TERMS` (``اسم عدد سبب يبلغ قام``
    ...) frame a question ("what is the *name* of", "the *number* of") and are searched for,
    but they are no evidence: their weight is 0. Every other term weighs its positive IDF
    (:meth:`retrieval.index.Index.idf`); a word the corpus never saw gets the highest IDF.

Window
    The best sentence (most weight matched; earliest on ties), its neighbours in the passage,
    and the article's title when it is a real one: what a reader sees around the quote.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from .normalize import Analyzer, normalize_token, tokenize

__all__ = [
    "FEATURES",
    "FRAME_TERMS",
    "MONTH_TERMS",
    "NUMBER_TERMS",
    "Evidence",
    "QuestionTerms",
    "SentenceMatch",
    "best_sentence",
    "evidence",
    "expected_type",
    "question_terms",
    "sentence_types",
    "term_kind",
    "weight",
]

_FRAME_WORDS = """اسم أسماء اسماء عدد أعداد سبب أسباب اسباب يبلغ بلغ تبلغ قام يقوم قامت تقوم يسمى تسمى
سمي سميت يطلق أطلق اطلق يعرف تعرف عرف معنى يعني تعني نوع أنواع انواع مقدار كمية عمر
تاريخ يوم عام سنة وقت مدة مكان موقع يقع تقع وقع وقعت حدث حدثت يحدث شيء أشياء هناك توجد يوجد
ماهي ماهو تم يتم حصل مما منه"""

# What a question asks for, read from its question words (normalized, before the analyzer drops
# them): a count or amount (``كم``), a time (``متى``, ``في أي عام``).
_NUMBER_CUES = frozenset(("كم", "بكم", "وكم", "فكم", "عدد", "كميه", "مقدار", "نسبه", "مساحه", "طول", "ارتفاع", "عمق", "سعر"))
_WHEN = frozenset(("متي", "ومتي", "فمتي", "لمتي"))
_WHICH = frozenset(("اي", "باي", "لاي", "وفي", "فاي", "واي"))
_DATE_NOUNS = frozenset(("عام", "سنه", "تاريخ", "قرن", "يوم", "شهر", "العام", "السنه", "القرن"))
_NUMBER_WORDS = """واحد اثنان اثنين ثلاث ثلاثة أربع أربعة خمس خمسة ست ستة سبع سبعة ثمان ثماني ثمانية تسع تسعة عشر
    عشرة عشرون عشرين ثلاثون ثلاثين أربعون أربعين خمسون خمسين مئة مائة مئات ألف آلاف الف الاف مليون ملايين
    مليار مليارات نصف ربع ثلث بضع بضعة عشرات"""
_MONTHS = """يناير فبراير مارس أبريل ابريل إبريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر
    كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين محرم صفر ربيع جمادى رجب شعبان رمضان شوال القعدة الحجة"""


def _analysed(words: str) -> frozenset[str]:
    plain = Analyzer()
    return frozenset(t for w in words.split() if (t := plain.term(w)) is not None)


#: Analysed forms of words that frame a question and are never evidence of its answer.
FRAME_TERMS = _analysed(_FRAME_WORDS)
#: Analysed forms of number words (``نصف مليون``) and of month names (``أكتوبر``, ``رمضان``).
NUMBER_TERMS = _analysed(_NUMBER_WORDS)
MONTH_TERMS = _analysed(_MONTHS)

#: The model's inputs, in the order of the weights in ``answerability.json``.
FEATURES = (
    "cov_sentence",
    "cov_window",
    "cov_passage",
    "count_window",
    "oov_share",
    "max_missing",
    "rarest_matched",
    "compact",
    "numbers_missing",
    "n_terms",
    "score_ratio",
    "margin",
    "log_rank",
    "score_norm",
    "cov_body",
    "pairs",
    "type_missing",
    "focus_missing",
    "corrected_share",
)


@dataclass(frozen=True, slots=True)
class QuestionTerms:
    """The question's terms in order, their evidence weights, and which are never seen / numbers."""

    terms: tuple[str, ...]
    weights: tuple[float, ...]
    unseen: tuple[bool, ...]
    max_idf: float
    expects: str | None = None  # "number", "date" or None (see :func:`expected_type`)
    pairs: tuple[tuple[int, int], ...] = ()  # adjacent question terms (positions in ``terms``)
    best_score: float = 0.0  # BM25 score of a passage holding every term once (an upper mark)
    corrected: tuple[bool, ...] = ()  # searched as the nearest indexed spelling (retrieval.spelling)

    @property
    def total(self) -> float:
        return math.fsum(self.weights)


@dataclass(frozen=True, slots=True)
class SentenceMatch:
    """The question terms one sentence holds (by position in ``QuestionTerms.terms``) and their positions."""

    matched: frozenset[int]
    positions: tuple[int, ...]  # token positions (within the sentence) of matched words
    slots: tuple[int, ...] = ()  # the question term at each of ``positions``
    number: bool = False  # holds a number (digits or a number word)
    date: bool = False  # holds a year, a month or a calendar word


@dataclass(frozen=True, slots=True)
class Evidence:
    """Named signals of one candidate (see :data:`FEATURES`); ``best`` is the best sentence's index."""

    best: int
    best_weight: float
    cov_sentence: float
    cov_window: float
    cov_passage: float
    count_window: float
    oov_share: float
    max_missing: float
    rarest_matched: float
    compact: float
    numbers_missing: float
    n_terms: float
    score_ratio: float
    margin: float
    log_rank: float
    score_norm: float
    cov_body: float
    pairs: float
    type_missing: float
    focus_missing: float
    corrected_share: float

    def vector(self) -> tuple[float, ...]:
        return tuple(getattr(self, f) for f in FEATURES)


def expected_type(question: str) -> str | None:
    """``"date"`` for a question about a time (``متى``, ``في أي عام``, ``ما تاريخ``), ``"number"``
    for a count or amount (``كم``, ``ما عدد``), else ``None``."""
    words = [normalize_token(t.surface) for t in tokenize(question)]
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in _WHEN or w in _DATE_NOUNS and i <= 2 or (w in _WHICH and nxt in _DATE_NOUNS):
            return "date"
    if any(w in _NUMBER_CUES for w in words):
        return "number"
    return None


#: :func:`term_kind` flags: the term is a number (digits or a number word), a date (a year or a month name).
NUMBER, DATE = 1, 2


def term_kind(term: str) -> int:
    """What one analysed term says of its sentence: :data:`NUMBER` for digits or a number word,
    :data:`DATE` too for three or four digits (a year), :data:`DATE` for a month name, else 0."""
    if term.isdigit():
        return NUMBER | DATE if len(term) in (3, 4) else NUMBER
    if term in NUMBER_TERMS:
        return NUMBER
    return DATE if term in MONTH_TERMS else 0


def sentence_types(terms: Sequence[str]) -> tuple[bool, bool]:
    """(holds a number, holds a date) for a sentence's analysed terms: digits or a number word;
    a year (three or four digits) or a month name (:func:`term_kind` of each, together)."""
    kind = 0
    for t in terms:
        kind |= term_kind(t)
    return bool(kind & NUMBER), bool(kind & DATE)


def question_terms(
    terms: Sequence[str],
    idf: Mapping[str, float],
    df: Mapping[str, int],
    max_idf: float,
    question: str = "",
    order: Sequence[str] = (),
    best_score: float = 0.0,
    corrected: Sequence[str] = (),
    dating: Collection[str] = (),
) -> QuestionTerms:
    """Evidence weights of the question's ``terms`` (frame words weigh 0); ``order`` is the
    question's analysed terms with repeats, in order, for its adjacent pairs; ``corrected`` the
    terms that replace a spelling the corpus never saw; ``dating`` the terms of a period the
    question names («في أكتوبر 2015»): searched for, but neither evidence nor unseen words (the
    articles' dates, not their words, answer to them)."""
    weights = tuple(0.0 if t in FRAME_TERMS or t in dating else idf[t] for t in terms)
    unseen = tuple(df.get(t, 0) == 0 and t not in dating for t in terms)
    slot = {t: i for i, t in enumerate(terms)}
    seq = [slot[t] for t in order if t in slot and weights[slot[t]] > 0]
    pairs = tuple(dict.fromkeys((a, b) for a, b in itertools.pairwise(seq) if a != b))
    fixed = tuple(t in corrected for t in terms)
    return QuestionTerms(
        tuple(terms), weights, unseen, max_idf, expected_type(question) if question else None, pairs, best_score, fixed
    )


def weight(q: QuestionTerms, matched: frozenset[int] | set[int]) -> float:
    """The evidence weight of the question terms ``matched`` (positions in ``q.terms``), summed exactly."""
    return math.fsum(w for i, w in enumerate(q.weights) if i in matched)


def best_sentence(q: QuestionTerms, sentences: Sequence[SentenceMatch]) -> tuple[int, float]:
    """Index and weight of the sentence holding the most question weight (earliest on ties)."""
    best, best_w = 0, -1.0
    for i, s in enumerate(sentences):
        w = weight(q, s.matched)
        if w > best_w:
            best, best_w = i, w
    return best, max(best_w, 0.0)


def evidence(
    q: QuestionTerms,
    sentences: Sequence[SentenceMatch],
    title: frozenset[int],
    rank: int,
    score: float,
    top_score: float,
    next_score: float | None,
) -> Evidence:
    """The signals of one candidate passage at ``rank`` (1-based) with BM25 ``score``.

    ``sentences`` are the passage's sentences in order, ``title`` the question terms its real
    title holds (empty for a derived title), ``top_score`` the best candidate's BM25 score and
    ``next_score`` the next candidate's (``None`` when it is the last).
    """
    total = q.total
    n = len(q.terms)
    best, best_w = best_sentence(q, sentences) if sentences else (0, 0.0)
    near = sentences[max(0, best - 1) : best + 2]  # the best sentence and its neighbours
    body: set[int] = set()
    for s in near:
        body |= s.matched
    title_only = set(title)
    window = body | title_only
    passage: set[int] = set(title)
    for s in sentences:
        passage |= s.matched

    def share(matched: set[int] | frozenset[int]) -> float:
        return weight(q, matched) / total if total > 0 else 0.0

    seen = [i for i in range(n) if not q.unseen[i] and q.weights[i] > 0]
    rarest = max(seen, key=lambda i: (q.weights[i], -i)) if seen else None
    missing = [q.weights[i] for i in range(n) if i not in window]
    numbers = [i for i in range(n) if q.terms[i].isdigit() and q.weights[i] > 0]  # a period's year weighs 0
    informative = sum(1 for w in q.weights if w > 0)
    # The question's focus: its first informative word, what it asks about right after the
    # question word (ماذا *طلب* المجلس، من *افتتح* الاجتماع، متى *ولد*).
    focus = next((i for i in range(n) if q.weights[i] > 0), None)
    positive = max(score, 0.0)
    return Evidence(
        best=best,
        best_weight=best_w,
        cov_sentence=share(sentences[best].matched) if sentences else 0.0,
        cov_window=share(window),
        cov_passage=share(passage),
        count_window=sum(1 for i in window if q.weights[i] > 0) / informative if informative else 0.0,
        oov_share=math.fsum(w for w, u in zip(q.weights, q.unseen) if u) / total if total > 0 else 0.0,
        max_missing=max(missing, default=0.0) / q.max_idf if q.max_idf > 0 else 0.0,
        rarest_matched=1.0 if rarest is not None and rarest in window else 0.0,
        compact=_compact(sentences[best].positions if sentences else ()),
        numbers_missing=float(sum(1 for i in numbers if i not in window)),
        n_terms=math.log1p(informative),
        score_ratio=positive / top_score if top_score > 0 else 1.0,
        margin=(positive - max(next_score, 0.0)) / positive if positive > 0 and next_score is not None else 0.0,
        log_rank=math.log(rank),
        score_norm=min(positive / q.best_score, 2.0) if q.best_score > 0 else 0.0,
        cov_body=_body_share(q, body, title_only),
        pairs=_pairs_found(q, near),
        type_missing=_type_missing(q, near),
        focus_missing=0.0 if focus is None or focus in window else 1.0,
        corrected_share=math.fsum(w for w, c in zip(q.weights, q.corrected) if c) / total if total > 0 else 0.0,
    )


def _compact(positions: Sequence[int]) -> float:
    """Matched words per word of the span from the first to the last of them (1.0: side by side)."""
    span = (max(positions) - min(positions) + 1) if positions else 0
    return len(positions) / span if span else 0.0


def _body_share(q: QuestionTerms, body: set[int], title_only: set[int]) -> float:
    """The weight share the sentences hold of the question terms the title does not hold."""
    rest = math.fsum(w for i, w in enumerate(q.weights) if i not in title_only)
    return weight(q, body - title_only) / rest if rest > 0 else 1.0


def _pairs_found(q: QuestionTerms, near: Sequence[SentenceMatch]) -> float:
    """The share of the question's adjacent term pairs found adjacent in one of ``near``."""
    found = 0
    for a, b in q.pairs:
        if any(_adjacent(s, a, b) for s in near):
            found += 1
    return found / len(q.pairs) if q.pairs else 1.0


def _type_missing(q: QuestionTerms, near: Sequence[SentenceMatch]) -> float:
    """1.0 when the question asks for a date or a number and none of ``near`` holds one."""
    if q.expects == "date":
        return 0.0 if any(s.date for s in near) else 1.0
    if q.expects == "number":
        return 0.0 if any(s.number for s in near) else 1.0
    return 0.0


def _adjacent(s: SentenceMatch, a: int, b: int) -> bool:
    """Question terms ``a`` and ``b`` occur within two words of each other in the sentence."""
    pa = [p for p, t in zip(s.positions, s.slots) if t == a]
    pb = [p for p, t in zip(s.positions, s.slots) if t == b]
    return any(abs(x - y) <= 2 for x in pa for y in pb)
