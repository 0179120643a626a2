"""From a question to a sourced answer: passages -> best sentences -> confidence -> ``Answer``.

1. The question is cleaned (control characters dropped, length bounded) and analysed with the
   index's own analyzer. Its *informative terms* are what is left after stopwords and question
   words; each is weighted by its BM25 IDF (a term the corpus never saw gets the maximum IDF).
2. BM25 ranks passages. A passage is only an answer if it covers enough of the question:
   ``coverage = sum(idf of matched terms) / sum(idf of all informative terms)``. Questions about
   things the corpus does not contain ("ما هي عاصمة اليابان؟") leave their rare terms unmatched and
   get an honest "no answer" instead of the least-bad passage.
3. Inside each answering passage the sentences are scored by the IDF mass of the question terms
   they contain; the best ones are quoted verbatim, in source order, with the matched words'
   offsets for highlighting. Results are grouped by article, best first, and a sentence whose
   terms repeat one already quoted is not quoted twice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .actors import Actor, LockedTagger, extract_actors, get_tagger
from .corpus import Article
from .errors import InputError
from .index import Hit, Index
from .normalize import tokenize

__all__ = ["MAX_QUESTION_CHARS", "Answer", "Quote", "Result", "answer", "clean_question"]

#: Questions longer than this are cut (at a word boundary) before analysis.
MAX_QUESTION_CHARS = 1000
#: At most this many distinct informative terms (the rarest) are searched for.
MAX_QUERY_TERMS = 32
#: Minimum IDF-weighted share of the question's terms a passage must contain to answer.
MIN_COVERAGE = 0.5
_CANDIDATES = 20
_SENTENCES_PER_ARTICLE = 3
_SENTENCE_KEEP = 0.5  # keep sentences scoring at least this share of the passage's best
_RESULT_KEEP = 0.3  # keep results scoring at least this share of the best result
# A sentence opening with a demonstrative within its first words refers back to the previous one.
_REFERS_BACK_RE = re.compile(r"^\S*\s*(?:\S+\s+){0,2}(?:هذه|هذا|هذان|هاتان|هؤلاء|ذلك|تلك)\b")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_ARABIC_RE = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")


@dataclass(frozen=True, slots=True)
class Quote:
    """A verbatim sentence: ``article.text[start:end] == text``; ``highlights`` are offsets in ``text``."""

    text: str
    start: int
    end: int
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Result:
    """One article's answer: its quotes (source order), the best passage, and named actors.

    ``score`` is the best quoted sentence's share of the question: the summed IDF of the question
    terms it contains (results are ranked by it, then by the passage's BM25 score).
    """

    article: Article
    passage_id: str
    score: float
    coverage: float
    quotes: tuple[Quote, ...]
    actors: tuple[Actor, ...] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one question. ``answered`` is False when the corpus holds no answer."""

    question: str
    answered: bool
    results: tuple[Result, ...] = ()
    terms: tuple[str, ...] = ()
    confidence: float = 0.0
    notes: tuple[str, ...] = field(default=())


def clean_question(question: str) -> tuple[str, list[str]]:
    """Drop control/bidi characters, collapse spaces, bound the length. Returns (text, notes)."""
    notes: list[str] = []
    text = _CONTROL_RE.sub(" ", unicodedata.normalize("NFC", question))
    text = " ".join(text.split())
    if len(text) > MAX_QUESTION_CHARS:
        cut = text.rfind(" ", 0, MAX_QUESTION_CHARS)
        text = text[: cut if cut > 0 else MAX_QUESTION_CHARS]
        notes.append(f"question cut to its first {len(text)} characters")
    return text, notes


def _query_terms(index: Index, question: str, notes: list[str]) -> list[str]:
    terms = list(dict.fromkeys(index.analyzer.tokens(question)))
    if len(terms) > MAX_QUERY_TERMS:
        terms = sorted(terms, key=index.idf, reverse=True)[:MAX_QUERY_TERMS]
        notes.append(f"only the {MAX_QUERY_TERMS} most specific words of the question were searched")
    return terms


def _coverage(weights: dict[str, float], matched: set[str]) -> float:
    total = sum(weights.values())
    return sum(weights[t] for t in matched) / total if total else 0.0


def _quotes(
    index: Index, hit: Hit, weights: dict[str, float], alias: dict[str, str]
) -> tuple[list[Quote], set[str], float]:
    """Best sentences of one passage with highlights, the question terms it matched, the best sentence's score.

    A sentence is kept when it scores at least half the passage's best sentence, or when it
    directly follows a kept sentence, matches the question and opens by referring back to it
    (``ويطلق على هذه القوات اسم "سواح"`` after the sentence naming those forces).
    """
    article = index.articles[hit.passage.article_id]
    scored = []
    matched_all: set[str] = set()
    for seg in hit.passage.sentences:
        text = article.text[seg.start : seg.end]
        spans = [(t.start, t.end, alias[t.term]) for t in index.analyzer.terms(text) if t.term in alias]
        matched = {t for _, _, t in spans}
        matched_all |= matched
        scored.append((sum(weights[t] for t in matched), seg, text, spans))
    best = max((sc for sc, *_ in scored), default=0.0)
    keep = [sc > 0 and sc >= _SENTENCE_KEEP * best for sc, *_ in scored]
    for i in range(1, len(scored)):
        if keep[i - 1] and not keep[i] and scored[i][0] > 0 and _REFERS_BACK_RE.match(scored[i][2]):
            keep[i] = True
    quotes = [
        Quote(text, seg.start, seg.end, tuple((s, e) for s, e, _ in spans))
        for k, (_, seg, text, spans) in zip(keep, scored)
        if k
    ]
    return quotes, matched_all, best


_AUTO = "auto"


def answer(
    question: str,
    index: Index,
    top_k: int = 3,
    min_coverage: float = MIN_COVERAGE,
    tagger: LockedTagger | str | None = _AUTO,
) -> Answer:
    """Answer ``question`` from ``index`` with verbatim, sourced sentences.

    ``tagger`` finds actors beside the rules: a backend name (``auto``, ``model``, ``camel``), a
    loaded tagger, or ``None`` for rules only. Raises :class:`InputError` for a question with no
    words at all.
    """
    if isinstance(tagger, str):
        tagger = get_tagger(tagger)  # type: ignore[arg-type]
    text, notes = clean_question(question)
    if not text:
        raise InputError("the question is empty: type a question in Arabic, e.g. «ماذا قال كوبلر عن الجيش الليبي؟»")
    if not tokenize(text):
        raise InputError("the question has no words (only punctuation or symbols): ask in Arabic words")
    terms = _query_terms(index, text, notes)
    if not terms:
        notes.append("the question has only question words and common words: name what you are asking about")
        return Answer(text, False, notes=tuple(notes))
    if not _ARABIC_RE.search(text):
        notes.append("Sanad's corpus is Arabic: questions are best asked in Arabic")
    weights = {t: index.idf(t) for t in terms}
    alias = index.expand(terms)

    # Candidates that cover the question, ranked by their best sentence (the quote a reader
    # sees), then by BM25: a long passage must not bury the one sentence that answers.
    candidates = []
    for hit in index.search(list(alias), k=_CANDIDATES):
        quotes, matched, best = _quotes(index, hit, weights, alias)
        coverage = _coverage(weights, matched)
        if coverage >= min_coverage and quotes:
            candidates.append((best, hit, quotes, matched, coverage))
    candidates.sort(key=lambda c: (-c[0], -c[1].score))

    by_article: dict[str, tuple[Result, set[str]]] = {}
    order: list[str] = []
    seen_quotes: list[set[str]] = []
    for best, hit, quotes, matched, coverage in candidates:
        aid = hit.passage.article_id
        fresh = []
        for q in quotes:
            qterms = set(index.analyzer.tokens(q.text))
            if any(qterms and qterms <= prev for prev in seen_quotes):
                continue
            seen_quotes.append(qterms)
            fresh.append(q)
        if aid not in by_article:
            if len(order) >= top_k or not fresh:
                continue
            result = Result(index.articles[aid], hit.passage.passage_id, best, coverage, tuple(fresh))
            by_article[aid] = (result, matched)
            order.append(aid)
        else:
            result, prev_matched = by_article[aid]
            room = _SENTENCES_PER_ARTICLE - len(result.quotes)
            if room <= 0 or not fresh or best < _SENTENCE_KEEP * result.score:
                continue
            merged = tuple(sorted(result.quotes + tuple(fresh[:room]), key=lambda q: q.start))
            all_matched = prev_matched | matched
            by_article[aid] = (
                Result(result.article, result.passage_id, result.score, _coverage(weights, all_matched), merged),
                all_matched,
            )

    results = [by_article[a][0] for a in order]
    if results:
        top = results[0].score
        results = [r for r in results if r.score >= _RESULT_KEEP * top]
    results = [
        Result(
            r.article,
            r.passage_id,
            r.score,
            r.coverage,
            r.quotes,
            tuple(_actors_of(r.quotes, tagger)),
        )
        for r in results
    ]
    confidence = max((r.coverage for r in results), default=0.0)
    if not results:
        notes.append("no passage of the corpus covers this question")
    return Answer(text, bool(results), tuple(results), tuple(terms), round(confidence, 3), tuple(notes))


def _actors_of(quotes: tuple[Quote, ...], tagger: LockedTagger | None) -> list[Actor]:
    """Actors named in the quotes, extracted over all of them so aliases merge (``أسامة بادي`` / ``بادي``)."""
    return extract_actors("\n".join(q.text for q in quotes), tagger)
