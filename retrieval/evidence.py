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
from .questions import ANSWER_TYPES, answer_type

__all__ = [
    "FEATURES",
    "FRAME_TERMS",
    "AnswerSpan",
    "MONTH_TERMS",
    "NUMBER_TERMS",
    "Evidence",
    "QuestionTerms",
    "SentenceMatch",
    "best_sentence",
    "evidence",
    "asked_type",
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

_NUMBER_WORDS = """واحد اثنان اثنين ثلاث ثلاثة أربع أربعة خمس خمسة ست ستة سبع سبعة ثمان ثماني ثمانية تسع تسعة عشر
    عشرة عشرون عشرين ثلاثون ثلاثين أربعون أربعين خمسون خمسين مئة مائة مئات ألف آلاف الف الاف مليون ملايين
    مليار مليارات نصف ربع ثلث بضع بضعة عشرات اثنا اثني اثنتا اثنتي ثماني عشرة مئتان مئتين مائتان
    ألفان ألفين مليونان مليونين أربعمائة خمسمائة ستمائة سبعمائة ثمانمائة تسعمائة ثلاثمائة"""
_MONTHS = """يناير فبراير مارس أبريل ابريل إبريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر
    كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين محرم صفر ربيع جمادى رجب شعبان رمضان شوال القعدة الحجة
    السبت الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة أمس البارحة غدا صباح مساء الليلة فجر ظهر
    القرن العقد الماضي المقبل يناير ميلادي هجري"""


def _analysed(words: str) -> frozenset[str]:
    plain = Analyzer()
    return frozenset(t for w in words.split() if (t := plain.term(w)) is not None)


#: Analysed forms of words that frame a question and are never evidence of its answer.
FRAME_TERMS = _analysed(_FRAME_WORDS)
#: Analysed forms of number words (``نصف مليون``) and of month names (``أكتوبر``, ``رمضان``).
NUMBER_TERMS = _analysed(_NUMBER_WORDS)
MONTH_TERMS = _analysed(_MONTHS)

#: The model's inputs, in the order of the weights in ``answerability.json``. Where the search
#: layer put a candidate (``log_rank``, ``score_ratio``, ``margin``) is measured but is no input:
#: with it the model learned "BM25's first is right" from Wikipedia questions that copy their
#: paragraph's words, and ranked a passage naming the asked-for person under one that holds fewer
#: of the question's words and no one (issue #23); without it the held-out ranking rose too.
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
    "score_norm",
    "cov_body",
    "pairs",
    "type_missing",
    "focus_missing",
    "corrected_share",
    "entity_missing",
    "answer_far",
    "answer_unique",
    "time_mismatch",
    "cov_root",
    "rivals",
)


@dataclass(frozen=True, slots=True)
class QuestionTerms:
    """The question's terms in order, their evidence weights, and which are never seen / numbers."""

    terms: tuple[str, ...]
    weights: tuple[float, ...]
    unseen: tuple[bool, ...]
    max_idf: float
    asks: str | None = None  # the kind of answer asked for (retrieval.questions.answer_type)
    pairs: tuple[tuple[int, int], ...] = ()  # adjacent question terms (positions in ``terms``)
    best_score: float = 0.0  # BM25 score of a passage holding every term once (an upper mark)
    corrected: tuple[bool, ...] = ()  # searched as the nearest indexed spelling (retrieval.spelling)

    @property
    def expects(self) -> str | None:
        """``"number"``, ``"date"`` or ``None``: what ``type_missing`` looks for (see :func:`expected_type`)."""
        return self.asks if self.asks in ("date", "number") else None

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
    rooted: frozenset[int] = frozenset()  # question terms it holds only by their root (retrieval.roots)


@dataclass(frozen=True, slots=True)
class AnswerSpan:
    """An answer candidate near the best sentence: an actor the index stored (``person``,
    ``organization``, ``place``), a ``number`` or a ``date`` that is none of the question's own
    words. ``sentence`` is its sentence (index in the passage), ``first``/``last`` its term
    positions there, ``start``/``end`` its characters in the article."""

    kind: str
    sentence: int
    first: int
    last: int
    start: int
    end: int


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
    entity_missing: float = 0.0
    answer_far: float = 0.0
    answer_unique: float = 0.0
    time_mismatch: float = 0.0
    cov_root: float = 0.0
    rivals: float = 0.0  # set by retrieval.answer, which sees every candidate
    answer: AnswerSpan | None = None  # the best answer candidate of the asked kind (None: none, or none asked)

    def vector(self) -> tuple[float, ...]:
        return tuple(getattr(self, f) for f in FEATURES)


def asked_type(question: str) -> str | None:
    """The kind of answer ``question`` asks for (:func:`retrieval.questions.answer_type`):
    ``person place organization date number clause`` or ``None``."""
    return answer_type([normalize_token(t.surface) for t in tokenize(question)])


def expected_type(question: str) -> str | None:
    """``"date"`` for a question about a time (``متى``, ``في أي عام``, ``ما تاريخ``), ``"number"``
    for a count or amount (``كم``, ``ما عدد``), else ``None``."""
    kind = asked_type(question)
    return kind if kind in ("date", "number") else None


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
    asks = asked_type(question) if question else None
    return QuestionTerms(tuple(terms), weights, unseen, max_idf, asks, pairs, best_score, fixed)


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


def _spans_of(
    near: Sequence[SentenceMatch], sentences: Sequence[SentenceMatch], title: frozenset[int]
) -> tuple[set[int], set[int], set[int], set[int]]:
    """The question terms matched by the best sentence and its neighbours (``body``), those their
    roots match (``rooted``), ``body`` and the title (``window``), and the whole passage's."""
    body: set[int] = set()
    rooted: set[int] = set()
    for s in near:
        body |= s.matched
        rooted |= s.rooted
    passage: set[int] = set(title)
    for s in sentences:
        passage |= s.matched
    return body, rooted, body | set(title), passage


def evidence(
    q: QuestionTerms,
    sentences: Sequence[SentenceMatch],
    title: frozenset[int],
    rank: int,
    score: float,
    top_score: float,
    next_score: float | None,
    answers: Sequence[AnswerSpan] = (),
    time_mismatch: float = 0.0,
    best: tuple[int, float] | None = None,
) -> Evidence:
    """The signals of one candidate passage at ``rank`` (1-based) with BM25 ``score``.

    ``sentences`` are the passage's sentences in order, ``title`` the question terms its real
    title holds (empty for a derived title), ``top_score`` the best candidate's BM25 score and
    ``next_score`` the next candidate's (``None`` when it is the last). ``answers`` are the
    answer candidates of the best sentence and its neighbours (:class:`AnswerSpan`), and
    ``time_mismatch`` 1.0 when neither the passage's words nor its article's date meet the time
    the question names (computed by the caller, which knows the dates). ``best`` is
    :func:`best_sentence` of ``sentences`` when the caller has it already.
    """
    total = q.total
    n = len(q.terms)
    if best is None:
        best = best_sentence(q, sentences) if sentences else (0, 0.0)
    best, best_w = best
    near = sentences[max(0, best - 1) : best + 2]  # the best sentence and its neighbours
    body, rooted, window, passage = _spans_of(near, sentences, title)
    title_only = set(title)

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
        # Where BM25's IDF says nothing (a term in one of two passages weighs 0; a corpus of one
        # or two articles), the share of the question held stands in for the score.
        score_norm=min(positive / q.best_score, 2.0) if q.best_score > 0 else share(window),
        cov_body=_body_share(q, body, title_only),
        pairs=_pairs_found(q, near),
        type_missing=_type_missing(q, near),
        focus_missing=0.0 if focus is None or focus in window else 1.0,
        corrected_share=math.fsum(w for w, c in zip(q.weights, q.corrected) if c) / total if total > 0 else 0.0,
        time_mismatch=time_mismatch,
        cov_root=share(window | rooted),
        **_answer_signals(q, sentences, best, answers),
    )


#: Term distance at which an answer candidate counts half as close as one next to the matched words.
ANSWER_HALF_DISTANCE = 4.0


def _answer_signals(
    q: QuestionTerms, sentences: Sequence[SentenceMatch], best: int, answers: Sequence[AnswerSpan]
) -> dict:
    """``entity_missing`` (the question asks for a person, place or organisation and no stored
    actor of that type is near the best sentence: a mention, not an answer), ``answer_far`` (0 for
    a candidate of the asked type beside the matched words in the best sentence, rising to 1 with
    its distance, 1 when the best sentence holds none; 0 when no type is asked), ``answer_unique``
    (the best sentence holds exactly one candidate of the asked type), and ``answer``, the best
    candidate (closest to the matched words; the best sentence's before its neighbours')."""
    kinds = ANSWER_TYPES.get(q.asks or "")
    if not kinds:
        return {}
    typed = [a for a in answers if a.kind in kinds]
    positions = sentences[best].positions if sentences else ()

    def distance(a: AnswerSpan) -> float:
        if a.sentence != best or not positions:
            return math.inf
        return float(min(max(a.first - p, p - a.last, 0) for p in positions))

    in_best = [a for a in typed if a.sentence == best]
    chosen = min(typed, key=lambda a: (distance(a), abs(a.sentence - best), a.start), default=None)
    d = distance(chosen) if chosen is not None else math.inf
    return {
        "entity_missing": 1.0 if q.asks in ("person", "place", "organization") and not typed else 0.0,
        "answer_far": 1.0 if math.isinf(d) else d / (d + ANSWER_HALF_DISTANCE),
        "answer_unique": 1.0 if len(in_best) == 1 else 0.0,
        "answer": chosen,
    }


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
