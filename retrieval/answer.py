"""From a question to a sourced answer: BM25 passages -> evidence -> probability -> ``Answer``.

1. The question is cleaned (control characters dropped, length bounded) and analysed with the
   index's own analyzer; question words and stopwords are dropped, frame words (``اسم عدد سبب``)
   are searched for but weigh nothing as evidence (:mod:`retrieval.evidence`).
2. BM25 ranks passages (clitic variants the index holds are searched too); each article is
   represented by its best passage, in the search layer's order.
3. For each candidate article, the evidence its passage gives (which of the question's weighted
   words its best sentence, that sentence's neighbours and the title hold; how close together;
   the rarest word; numbers; unseen words; its BM25 score against the others) goes through the
   answerability model (:mod:`retrieval.answerability`): a calibrated probability that this
   article answers the question. Candidates are ordered by it (BM25's order breaks ties; the rank
   itself is no signal: docs/answering.md; on ARCD it ranks above the search layer). The
   question is answered when the first candidate's probability reaches ``min_confidence``; every
   other result shown reaches it too.
   A refusal says why and names the closest article (``Answer.closest``), never as a result.
4. The best sentences of each kept passage are quoted verbatim, in source order, with the
   matched words' offsets for highlighting; a sentence whose terms repeat one already quoted
   (a wire sentence in two articles) is not quoted twice.

Nothing of the corpus is analysed here: the terms of every sentence and title, with their offsets,
were stored when the index was built (:mod:`retrieval.index.sentences`), and an article's text is
decompressed only to quote it (or to read a sentence that may refer back to the one before).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from .answerability import Model, load_model
from .asking import (
    MAX_QUESTION_CHARS,
    Asked,
    analyse_question,
    clean_question,
    default_min_confidence,
)
from .dates import DateIntent, DateRange
from .index import Index
from .matching import (
    SENTENCES_PER_ARTICLE,
    Candidate,
    MatchedSentence,
    actors_of,
    answer_candidate,
    article_quotes,
    candidates,
    picks,
    quote_of,
    span_sentences,
    story_at,
)
from .questions import (
    QuestionTime,
)
from .results import Answer, Quote, Result
from .span_model import SpanModel, load_span_model
from .stories import NO_DAY

__all__ = [
    "MAX_QUESTION_CHARS",
    "Answer",
    "Asked",
    "Candidate",
    "Quote",
    "Result",
    "actors_of",
    "analyse_question",
    "answer",
    "answer_candidate",
    "article_quotes",
    "candidates",
    "clean_question",
    "default_min_confidence",
    "span_sentences",
]


#: Reports of one story whose coverage of the question's words differs by less than this match
#: the question alike: the earliest of them is quoted.
STORY_TIE = 0.05




def _outside_note(index: Index, when: QuestionTime) -> str | None:
    """A plain note when the time the question names lies after the newest dated article (or
    before the oldest): «أحدث مقال في المصادر بتاريخ 2015-11-05؛ السؤال عن 2020»."""
    if not when or not index.dated:
        return None
    days = index.days[index.days != NO_DAY]
    newest, oldest = date.fromordinal(int(days.max())), date.fromordinal(int(days.min()))
    if when.years and min(when.years) > newest.year:
        return f"أحدث مقال في المصادر بتاريخ {newest.isoformat()}؛ السؤال عن {min(when.years)}"
    if when.years and max(when.years) < oldest.year:
        return f"أقدم مقال في المصادر بتاريخ {oldest.isoformat()}؛ السؤال عن {max(when.years)}"
    if not when.years and when.horizon and date.today().toordinal() - newest.toordinal() > when.horizon:
        return f"أحدث مقال في المصادر بتاريخ {newest.isoformat()}؛ السؤال عن «{when.words}»"
    return None


def answer(
    question: str,
    index: Index,
    top_k: int = 3,
    min_confidence: float | None = None,
    model: Model | None = None,
    period: DateRange = DateRange(),
    latest: bool = False,
    span_model: SpanModel | None = None,
) -> Answer:
    """Answer ``question`` from ``index`` with verbatim, sourced sentences.

    ``min_confidence`` is the probability a candidate needs (default: the shipped model's
    threshold). A result's actors are those the index stored for its article (tagged once when
    it was indexed, :mod:`retrieval.index.mentions`) inside its quotes: no tagger runs here.
    The first result carries the answer span (``Result.answer``, :mod:`retrieval.spans`:
    ``span_model``, default the shipped one) when the question asks for a thing and the span
    model is confident; the other results are further sources, with none (a span costs about a
    millisecond per result, and the answer line is one).

    One result per story: reports of the same story in other outlets are folded into the one
    that matches best (the earliest of those that match alike) as ``also_reported_in``. On a
    dated corpus, ``period`` keeps the articles dated inside it, a period the question names
    puts the answering results dated inside it first, and ``latest`` (or «آخر/أحدث/مؤخرا» in the
    question) orders them newest first. Raises :class:`InputError` for a question with no words at all.
    """
    model = model or load_model()
    threshold = model.threshold if min_confidence is None else min_confidence
    asked, cands = candidates(question, index, period, latest)
    text, notes, terms = asked.text, list(asked.notes), asked.terms
    if not terms:
        return Answer(text, False, notes=tuple(notes))
    # Candidates in order of their probability (ties keep BM25's order).
    ps = model.probabilities([c.evidence.vector() for c in cands])
    scored = sorted(zip(ps, cands), key=lambda pc: (-pc[0], pc[1].rank))
    scored = _one_per_story(index, scored)
    scored = _by_date(index, scored, threshold, asked.when)

    results: list[Result] = []
    seen_quotes: list[tuple[set[int], str]] = []
    closest: Result | None = None
    # A question about a time after the newest article (or before the oldest): a candidate that
    # does not speak of that time itself (time_mismatch) cannot answer it, however likely.
    outside = _outside_note(index, asked.time)
    for p, c in scored:
        if len(results) >= top_k:
            break
        timeless = outside is not None and bool(c.evidence.time_mismatch)  # cannot speak of the time asked about
        if not timeless and p >= threshold:
            results.append(_result(index, asked, c, p, seen_quotes))
            continue
        if closest is None and not results:  # the first candidate, not shown: its quotes mark no later one a repeat
            closest = _result(index, asked, c, p, [])
        if not timeless:
            break  # the candidates after it are below the threshold too (see _by_date): none is shown
    results = [replace(r, actors=actors_of(index, r.article.id, r.quotes)) for r in results]
    if results and asked.span_kind is not None:  # the words that answer, in the first result's quotes
        reader = span_model or load_span_model()
        results[0] = replace(results[0], answer=reader.best(span_sentences(index, asked, results[0]), asked.span_kind, asked.wh))
    if results:
        return Answer(text, True, tuple(results), tuple(terms), confidence=results[0].probability, notes=tuple(notes))
    return _refusal(index, text, terms, notes, closest, period, outside, threshold)


def _refusal(
    index: Index, text: str, terms: Sequence[str], notes: list[str], closest: Result | None, period: DateRange,
    outside: str | None, threshold: float,
) -> Answer:
    """The honest "no answer", with why: no passage holds the words, or the closest one (named,
    never a result) is below the threshold, or does not speak of the time asked about."""
    if closest is None and period and index.dated:
        notes.append(f"no report dated {period.label()} holds the words of this question")
        return Answer(text, False, terms=tuple(terms), notes=tuple(notes))
    if closest is None:
        notes.append("no passage of the corpus holds the words of this question")
        return Answer(text, False, terms=tuple(terms), notes=tuple(notes))
    if outside is not None:
        notes.append(outside)
    if outside is not None and closest.probability >= threshold:  # refused for its time alone
        notes.append(
            f"no passage of the corpus speaks of the time this question asks about: the closest one holds "
            f"{round(100 * closest.coverage)}% of its specific words"
        )
    else:
        notes.append(
            f"no passage of the corpus answers this question: the closest one holds "
            f"{round(100 * closest.coverage)}% of its specific words (probability {closest.probability:.2f}, "
            f"{threshold:.2f} needed)"
        )
    return Answer(text, False, terms=tuple(terms), confidence=closest.probability, notes=tuple(notes), closest=closest)


def _result(index: Index, asked: Asked, c: Candidate, p: float, seen: list[tuple[set[int], str]]) -> Result:
    """Candidate ``c`` (probability ``p``) as a result: its fresh quotes (``seen``: the sentences
    quoted by the results before it, which this one's are added to; see :func:`_fresh`)."""
    chosen, repeats = _fresh(index, c, picks(index, asked, c), seen)
    article = index.articles.at(c.position)
    return Result(
        article=article,
        passage_id=c.hit.passage.passage_id,
        score=c.hit.score,
        coverage=round(c.evidence.cov_window, 3),
        quotes=tuple(quote_of(article, m) for m in chosen),
        probability=round(p, 3),
        repeats=repeats,
        also_reported_in=tuple(index.also_reported(c.hit.passage.article_id)),
    )


def _by_date(
    index: Index, scored: list[tuple[float, Candidate]], threshold: float, when: DateIntent
) -> list[tuple[float, Candidate]]:
    """The answering candidates (``p >= threshold``) dated inside the question's period first,
    and with ``latest`` newest first; the order is kept otherwise (stable), and the candidates
    below the threshold stay after them as they were."""
    if not when:
        return scored
    days = index.days
    period = when.period

    def key(pc: tuple[float, Candidate]) -> tuple[int, int]:
        day = int(days[pc[1].position])
        inside = day != NO_DAY and bool(period) and date.fromordinal(day) in period
        return (0 if inside or not period else 1, -day if when.latest else 0)

    ok = sorted((pc for pc in scored if pc[0] >= threshold), key=key)
    return ok + [pc for pc in scored if pc[0] < threshold]




def _one_per_story(index: Index, scored: list[tuple[float, Candidate]]) -> list[tuple[float, Candidate]]:
    """One candidate per story, in the order of each story's best probability, with that
    probability (copies of one text compete for BM25 rank, which the probability weighs: the
    story answers as well as its best report). The report quoted is the one holding most of the
    question's words (coverage), the earliest of those within :data:`STORY_TIE` of it."""
    if not len(index.stories):
        return scored
    groups: dict[int, list[tuple[float, Candidate, int]]] = {}
    for p, c in scored:
        groups.setdefault(story_at(index, c.position), []).append((p, c, c.position))
    days = index.days
    out = []
    for group in groups.values():  # dicts keep insertion order: the order of each story's best
        best = max(g[1].evidence.cov_window for g in group)
        close = [g for g in group if g[1].evidence.cov_window >= best - STORY_TIE]
        _, c, _ = min(close, key=lambda g: (days[g[2]] == NO_DAY, int(days[g[2]]), g[1].rank))
        out.append((group[0][0], c))
    return out


def _fresh(
    index: Index, c: Candidate, quotes: list[MatchedSentence], seen: list[tuple[set[int], str]]
) -> tuple[list[MatchedSentence], tuple[str, ...]]:
    """``c``'s sentences to quote that do not repeat a sentence already quoted (recorded in
    ``seen``: its terms, as stored), and the articles whose quotes it repeats when every one of its
    quotes is a repeat.

    An article whose every sentence was already quoted (a wire report carried by two papers, two
    overlapping encyclopedia paragraphs) is still a result: a second source for the same words.
    It then keeps its own copies of the sentences, and ``repeats`` names the earlier articles.
    """
    fresh: list[MatchedSentence] = []
    repeated_from: list[str] = []
    ptr, terms = index.analysed.term_ptr, index.analysed.terms
    for q in quotes:
        a, b = ptr[q.row : q.row + 2].tolist()
        qterms = set(terms[a:b].tolist())
        earlier = next((aid for prev, aid in seen if qterms and qterms <= prev), None)
        if earlier is not None:
            repeated_from.append(earlier)
            continue
        seen.append((qterms, c.hit.passage.article_id))
        fresh.append(q)
    if fresh:
        return fresh[:SENTENCES_PER_ARTICLE], ()
    return list(quotes[:SENTENCES_PER_ARTICLE]), tuple(dict.fromkeys(repeated_from))
