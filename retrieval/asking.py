"""The question, analysed: cleaned and bounded, its terms (dialect forms and spelling corrected), their weights, its time, and the articles its dates allow (:func:`analyse_question`)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .answerability import load_model
from .charsets import ARABIC_SCRIPT_RE, CONTROL_RE
from .dates import DateIntent, DateRange, date_intent
from .errors import InputError
from .evidence import (
    QuestionTerms,
    question_terms,
)
from .index import Index
from .normalize import STOPWORDS, bare_word, normalize_token, tokenize
from .questions import (
    QuestionTime,
    dialect_forms,
    is_question_only,
    question_time,
    question_word,
    span_type,
)
from .roots import root
from .spelling import correct
from .stories import NO_DAY

__all__ = ["Asked", "MAX_QUERY_TERMS", "MAX_QUESTION_CHARS", "UNDATED_NOTE", "analyse_question", "clean_question", "default_min_confidence"]


#: Questions longer than this are cut (at a word boundary) before analysis.
MAX_QUESTION_CHARS = 1000


#: At most this many distinct informative terms (the rarest) are searched for.
MAX_QUERY_TERMS = 32


#: The note when dates are asked for (--since/--until/--latest) of articles that have none.
UNDATED_NOTE = "the articles have no dates: --since, --until and --latest change nothing here"


@dataclass(frozen=True, slots=True)
class Asked:
    """The analysed question: cleaned text, notes, its terms, their evidence weights, and which
    search term (a clitic variant included) stands for which of its terms (``slot_ids``: by the
    search term's id in the index, for those it holds)."""

    text: str
    notes: tuple[str, ...]
    terms: tuple[str, ...]
    q: QuestionTerms | None = None
    slot: dict[str, int] = field(default_factory=dict)
    when: DateIntent = DateIntent()
    slot_ids: dict[int, int] = field(default_factory=dict)
    time: QuestionTime = QuestionTime()  # the years or relative time the question names
    # The root of each informative question term (retrieval.roots), for matches by root alone.
    root_slots: dict[str, int] = field(default_factory=dict)
    span_kind: str | None = None  # the kind of answer span asked for (retrieval.questions.span_type)
    wh: str = ""  # the question word, or the noun it asks about (retrieval.questions.question_word)
    words: frozenset[str] = frozenset()  # the question's informative words, normalized, without ال


def default_min_confidence() -> float:
    """The shipped model's threshold (chosen from its measurements; see its JSON file)."""
    return load_model().threshold


def clean_question(question: str) -> tuple[str, list[str]]:
    """Drop control/bidi characters, collapse spaces, bound the length. Returns (text, notes)."""
    notes: list[str] = []
    text = CONTROL_RE.sub(" ", unicodedata.normalize("NFC", question))
    text = " ".join(text.split())
    if len(text) > MAX_QUESTION_CHARS:
        cut = text.rfind(" ", 0, MAX_QUESTION_CHARS)
        text = text[: cut if cut > 0 else MAX_QUESTION_CHARS]
        notes.append(f"question cut to its first {len(text)} characters")
    return text, notes


def _query_terms(index: Index, question: str, notes: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The question's distinct terms (misspellings replaced), the replacements made, and the
    analysed tokens as the question has them (repeats, in order)."""
    terms, corrected = [], []
    tokens = []
    for t in index.analyzer.terms(question):
        word = normalize_token(question[t.start : t.end])
        # Dialect question and function words (شكون وين قديش اللي مش عشان ...) are no content.
        if is_question_only(word):
            continue
        tokens.append(_dialect_term(index, t.term, word))
    for t in tokens:
        if not _known(index, t) and (fix := correct(t, lambda c: index.df.get(c, 0))) is not None:
            notes.append(f"«{t}» is not in the corpus: searched «{fix}» instead")
            corrected.append(fix)
            t = fix
        terms.append(t)
    terms = list(dict.fromkeys(terms))
    if len(terms) > MAX_QUERY_TERMS:
        ranked = sorted(range(len(terms)), key=lambda i: (-index.lucene_idf(terms[i]), i))[:MAX_QUERY_TERMS]
        terms = [terms[i] for i in sorted(ranked)]
        notes.append(f"only the {MAX_QUERY_TERMS} most specific words of the question were searched")
    return terms, corrected, tokens


def _known(index: Index, term: str) -> bool:
    """The index holds ``term``, or holds it only with a clitic (افتتح as وافتتح: Index.expand)."""
    return term in index.df or len(index.expand([term])) > 1


def _dialect_term(index: Index, term: str, word: str) -> str:
    """``term``, or the analysed Modern Standard form of the dialect verb ``word`` (``بيهاجم`` ->
    ``يهاجم``, :func:`~retrieval.questions.dialect_forms`) where the index knows neither ``term``
    nor a spelling one edit away: the first form it holds, else the first form (whose nearest
    spelling and root can still meet the passage's ``الهجوم``). ``باريس``, held as ``بباريس``,
    stays ``باريس``."""
    if _known(index, term):
        return term
    forms = [a[0] for form in dialect_forms(word) if len(a := index.analyzer.tokens(form)) == 1]
    if not forms:
        return term
    known = next((f for f in forms if _known(index, f)), None)
    if known is not None:
        return known
    return term if correct(term, lambda c: index.df.get(c, 0)) is not None else forms[0]


def _question(
    index: Index, text: str, terms: list[str], corrected: list[str], tokens: list[str], dating: set[str]
) -> QuestionTerms:
    max_idf = Index.idf_of(index.n_passages, 0)
    best = math.fsum(index.okapi_idf(t) for t in terms)  # tf 1 at the average length scores the IDF
    idf = {t: index.lucene_idf(t) for t in terms}
    return question_terms(terms, idf, index.df, max_idf, text, tokens, best, corrected, dating)


def _time_of(index: Index, text: str, latest: bool) -> tuple[DateIntent, str]:
    """What the question (and the caller's ``latest``) asks of time, and the question's text
    without the words asking for the latest (they name no content). An undated corpus ignores both."""
    if not index.dated:
        return DateIntent(), text
    days = index.days[index.days != NO_DAY]
    years = tuple(sorted({date.fromordinal(int(d)).year for d in (days.min(), days.max())}))
    intent = date_intent(text, years=years)
    for s, e in intent.spans:
        text = text[:s] + " " * (e - s) + text[e:]
    return DateIntent(intent.latest or latest, intent.period, intent.spans, intent.period_spans), text


def allowed_articles(index: Index, period: DateRange) -> np.ndarray | None:
    """Which passages belong to articles dated inside ``period`` (None: every passage)."""
    if not period:
        return None
    days = index.days
    ok = (days != NO_DAY)
    if period.since is not None:
        ok &= days >= period.since.toordinal()
    if period.until is not None:
        ok &= days <= period.until.toordinal()
    return ok[index.passage_articles]


def analyse_question(question: str, index: Index, period: DateRange = DateRange(), latest: bool = False) -> Asked:
    """The question cleaned and analysed against ``index``: its terms, their weights, the search
    terms standing for them, what it asks of time, and the notes so far (nothing is searched).

    A period the question names («في أكتوبر 2015») is kept in ``Asked.when`` (it orders the
    answer: a date in a question may date the event rather than the report, «فائض 2014»); the
    words asking for the latest reports are not searched for. Raises :class:`InputError` for a
    question with no words at all.
    """
    text, notes = clean_question(question)
    if not text:
        raise InputError("the question is empty: type a question in Arabic, e.g. «ماذا قال كوبلر عن الجيش الليبي؟»")
    if not tokenize(text):
        raise InputError("the question has no words (only punctuation or symbols): ask in Arabic words")
    when, searched = _time_of(index, text, latest)
    if (period or latest) and not index.dated:
        notes.append(UNDATED_NOTE)
    if period and index.dated:
        notes.append(f"only reports dated {period.label()}")
    if when.period:
        notes.append(f"reports dated {when.period.label()} first")
    if when.latest:
        notes.append("newest reports first")
    terms, corrected, tokens = _query_terms(index, searched, notes)
    if not terms:
        notes.append("the question has only question words and common words: name what you are asking about")
        return Asked(text, tuple(notes), (), when=when)
    if not ARABIC_SCRIPT_RE.search(text):
        notes.append("Sanad's corpus is Arabic: questions are best asked in Arabic")
    dating = {t for s, e in when.period_spans for t in index.analyzer.tokens(text[s:e])}
    q = _question(index, searched, terms, corrected, tokens, dating)
    position = {t: i for i, t in enumerate(terms)}
    alias = index.expand(terms)
    slot = {s: position[t] for s, t in alias.items()}
    slot_ids = {tid: i for s, i in slot.items() if (tid := index.postings.term_id(s)) >= 0}
    words = [normalize_token(t.surface) for t in tokenize(text)]
    return Asked(
        text, tuple(notes), tuple(terms), q, slot, when, slot_ids, question_time(words), _root_slots(terms, q.weights),
        span_type(words), question_word(words), frozenset(bare_word(w) for w in words if w not in STOPWORDS),
    )


def _root_slots(terms: Sequence[str], weights: Sequence[float]) -> dict[str, int]:
    """``{root: position}`` of the informative question terms whose root has three letters or more."""
    out: dict[str, int] = {}
    for i, t in enumerate(terms):
        if weights[i] > 0 and not t.isdigit() and len(r := root(t)) >= 3:
            out.setdefault(r, i)
    return out
