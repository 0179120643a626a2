"""The candidates of a question: BM25 passages, the sentences of each that match the question's words, their evidence, the verbatim quotes and the answer-span candidates (:func:`candidates`)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from .actors.actor import Actor
from .asking import Asked, allowed_articles, analyse_question
from .corpus import Article
from .dates import DateRange
from .evidence import (
    DATE,
    NUMBER,
    AnswerSpan,
    Evidence,
    QuestionTerms,
    SentenceMatch,
    best_sentence,
    evidence,
    term_kind,
    weight,
)
from .index import Hit, Index
from .index.mentions import TYPES
from .questions import (
    ANSWER_TYPES,
)
from .results import Quote, Result
from .roots import root
from .spans import SpanSentence, sentence_of
from .stories import NO_DAY

__all__ = ["Candidate", "MatchedSentence", "actors_of", "answer_candidate", "article_quotes", "candidates", "span_sentences"]


#: Passages BM25 returns for one question; their articles are the candidates.
CANDIDATE_PASSAGES = 20


#: Passages searched when the newest reports come first (the newest answer may rank lower).
LATEST_PASSAGES = 60


SENTENCES_PER_ARTICLE = 3


_SENTENCE_KEEP = 0.5  # keep sentences scoring at least this share of the passage's best


# A sentence opening with a demonstrative within its first words refers back to the previous one.
_REFERS_BACK_RE = re.compile(r"^\S*\s*(?:\S+\s+){0,2}(?:هذه|هذا|هذان|هاتان|هؤلاء|ذلك|تلك)\b")


@dataclass(frozen=True, slots=True)
class MatchedSentence:
    """One sentence of a candidate passage: which question terms it holds, where it is (``row``:
    its number in the index; ``start``, ``end``: in the article), and the offsets (in the
    sentence) of the words that matched them. Its text is read only to quote it."""

    match: SentenceMatch
    row: int
    start: int
    end: int
    highlights: tuple[tuple[int, int], ...]
    # Numbers and dates that are none of the question's words: (kind, first, last term position,
    # start, end in the sentence); and each term's start in the sentence (to place stored actors).
    typed: tuple[tuple[str, int, int, int, int], ...] = ()
    starts: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate article: its best passage's hit, the evidence, and that passage's quotable
    sentences (:func:`article_quotes` adds those of the article's other candidate passages).
    ``rank`` is its story's place in BM25 order (reports of one story share it); ``position`` the
    article's in the index."""

    rank: int
    hit: Hit
    evidence: Evidence
    weighted: tuple[tuple[float, MatchedSentence], ...]  # the best passage's sentences to quote, and their weights
    extra: tuple[Hit, ...] = ()  # further passages of the same article, BM25 order
    position: int = -1

    @property
    def answer(self) -> AnswerSpan | None:
        """The evidence's answer candidate of the kind the question asks for (an actor, a number
        or a date near the matched words, none of the question's own; ``start``/``end`` in the
        article), or ``None``: what ``answer_far`` and ``answer_unique`` measure. The words shown
        to users are :attr:`Result.answer`, the span model's (:mod:`retrieval.spans`)."""
        return self.evidence.answer


def _by_term(index: Index, name: str) -> dict:
    """A cache on ``index`` of something about its terms, by term id, filled as answers meet them:
    ``_term_kinds`` (:func:`~retrieval.evidence.term_kind`), ``_term_roots`` (:func:`~retrieval.roots.root`)."""
    cache = index.__dict__.get(name)
    if cache is None:
        cache = index.__dict__.setdefault(name, {})
    return cache


def _sentence_matches(
    index: Index, hit: Hit, slot_ids: dict[int, int], root_slots: Mapping[str, int] = {}
) -> list[MatchedSentence]:
    """The question terms each sentence of ``hit``'s passage holds, from the terms stored for it
    (and, in ``rooted``, those it holds only by their root: ``root_slots``)."""
    first, last = index.passages.sentence_ptr[hit.row : hit.row + 2].tolist()
    ptr, terms, spans = index.analysed.rows(first, last)
    kinds, roots, vocab = _by_term(index, "_term_kinds"), _by_term(index, "_term_roots"), index.postings.vocab
    out = []
    for j, seg in enumerate(hit.passage.sentences):
        a, b = ptr[j], ptr[j + 1]
        positions: list[int] = []
        slots: list[int] = []
        found: list[tuple[int, int]] = []
        typed: list[list] = []
        rooted: set[int] = set()
        kind = 0
        for pos in range(a, b):
            tid = terms[pos]
            i = slot_ids.get(tid)
            if i is not None:
                slots.append(i)
                positions.append(pos - a)
                found.append((spans[pos][0], spans[pos][1]))
            elif root_slots:
                r = roots.get(tid)
                if r is None:
                    r = roots[tid] = root(vocab[tid])
                if (k_root := root_slots.get(r)) is not None:
                    rooted.add(k_root)
            k = kinds.get(tid)
            if k is None:
                k = kinds[tid] = term_kind(vocab[tid])
            kind |= k
            if k and i is None:  # a number or date that is none of the question's words
                name = "year" if k == NUMBER | DATE else "date" if k & DATE else "number"
                if typed and typed[-1][2] == pos - a - 1 and typed[-1][0] == name:  # نصف مليون, 13 أكتوبر
                    typed[-1][2], typed[-1][4] = pos - a, spans[pos][1]
                else:
                    typed.append([name, pos - a, pos - a, spans[pos][0], spans[pos][1]])
        match = SentenceMatch(
            frozenset(slots), tuple(positions), tuple(slots), bool(kind & NUMBER), bool(kind & DATE), frozenset(rooted)
        )
        starts = tuple(sp[0] for sp in spans[a:b])
        out.append(MatchedSentence(match, first + j, seg.start, seg.end, tuple(found), tuple(map(tuple, typed)), starts))
    return out


def _title_matches(index: Index, position: int, slot_ids: dict[int, int]) -> frozenset[int]:
    """The question terms the article's real title holds (none for a title derived from its text)."""
    return frozenset(i for tid in index.analysed.title(position) if (i := slot_ids.get(tid)) is not None)


class _Text:
    """An article's text, decompressed the first time it is asked for."""

    __slots__ = ("index", "position", "text")

    def __init__(self, index: Index, position: int) -> None:
        self.index, self.position, self.text = index, position, None

    def __call__(self, start: int, end: int) -> str:
        if self.text is None:
            self.text = self.index.articles.at(self.position).text
        return self.text[start:end]


def _quotes(
    q: QuestionTerms, matches: list[MatchedSentence], best: int, text: _Text, floor: float | None = None
) -> list[tuple[float, MatchedSentence]]:
    """The sentences worth quoting, with their weights: the best one, those scoring at least half
    as much (or ``floor``), and a sentence right after a kept one that matches and opens by
    referring back to it (``ويطلق على هذه القوات اسم "سواح"`` after the sentence naming those forces)."""
    weights = [weight(q, m.match.matched) for m in matches]
    top = weights[best] if weights else 0.0
    keep = [w > 0 and w >= (_SENTENCE_KEEP * top if floor is None else floor) for w in weights]
    if floor is None and matches and not keep[best]:
        keep[best] = bool(matches[best].match.matched)
    for i in range(1, len(matches)):
        m = matches[i]
        if keep[i - 1] and not keep[i] and m.match.matched and _REFERS_BACK_RE.match(text(m.start, m.end)):
            keep[i] = True
    return [(weights[i], m) for i, (k, m) in enumerate(zip(keep, matches)) if k]


def picks(index: Index, asked: Asked, c: Candidate) -> list[MatchedSentence]:
    """Up to three sentences of ``c``'s article to quote, in source order: its best passage's, and
    sentences of its other candidate passages scoring at least half as much as the best sentence."""
    picked = list(c.weighted)
    if c.extra and asked.q is not None:
        text = _Text(index, c.position)
        for extra in c.extra:
            more = _sentence_matches(index, extra, asked.slot_ids)
            if more:
                picked += _quotes(asked.q, more, 0, text, floor=_SENTENCE_KEEP * c.evidence.best_weight)
    unique = {m.start: (w, m) for w, m in reversed(picked)}  # a sentence once, first weight wins
    chosen = sorted(unique.values(), key=lambda wm: (-wm[0], wm[1].start))[:SENTENCES_PER_ARTICLE]
    return sorted((m for _, m in chosen), key=lambda m: m.start)


def quote_of(article: Article, m: MatchedSentence) -> Quote:
    return Quote(article.text[m.start : m.end], m.start, m.end, m.highlights)


def article_quotes(index: Index, asked: Asked, c: Candidate) -> tuple[Quote, ...]:
    """Up to three quotes of ``c``'s article, in source order: its best passage's, and sentences
    of its other candidate passages scoring at least half as much as the best sentence."""
    article = index.articles.at(c.position)
    return tuple(quote_of(article, m) for m in picks(index, asked, c))


def candidates(
    question: str, index: Index, period: DateRange = DateRange(), latest: bool = False
) -> tuple[Asked, list[Candidate]]:
    """The analysed question (:func:`analyse_question`) and its candidate articles in BM25 order.

    On a dated corpus, ``period`` (``--since/--until``) keeps only articles dated inside it.
    Raises :class:`InputError` for a question with no words at all.
    """
    asked = analyse_question(question, index, period, latest)
    q, slot, slot_ids = asked.q, asked.slot, asked.slot_ids
    if q is None:
        return asked, []
    by_article: dict[int, list[Hit]] = {}
    k = LATEST_PASSAGES if asked.when.latest else CANDIDATE_PASSAGES
    spans = index.passages.spans
    for hit in index.search(list(slot), k=k, allowed=allowed_articles(index, period) if index.dated else None):
        by_article.setdefault(int(spans[hit.row, 0]), []).append(hit)
    positions = list(by_article)
    groups = list(by_article.values())
    top_score = max(groups[0][0].score, 0.0) if groups else 0.0
    # Ranks count stories, not articles: a copy of the first report in another paper is not a
    # competitor (the evidence's rank and score-ratio signals would read it as one).
    story_of = [story_at(index, pos) for pos in positions]
    story_rank = {s: r for r, s in enumerate(dict.fromkeys(story_of), start=1)}
    story_best = {}
    for s, hits in zip(story_of, groups):
        story_best.setdefault(s, hits[0].score)
    next_score = list(story_best.values())[1:] + [None]
    out: list[tuple] = []
    stories: list[int] = []
    for pos, s, hits in zip(positions, story_of, groups):
        hit = hits[0]
        rank = story_rank[s]
        matches = _sentence_matches(index, hit, slot_ids, asked.root_slots)
        nxt = next_score[rank - 1]
        title = _title_matches(index, pos, slot_ids)
        sentences = [m.match for m in matches]
        best = best_sentence(q, sentences) if matches else (0, 0.0)
        answers = _answer_spans(index, pos, matches, best[0], q) if q.asks in ANSWER_TYPES else ()
        late = time_mismatch(index, asked, pos, matches, best[0], title)
        ev = evidence(q, sentences, title, rank, hit.score, top_score, nxt, answers, late, best)
        weighted = _quotes(q, matches, ev.best, _Text(index, pos))
        if weighted:
            out.append((rank, hit, ev, tuple(weighted), tuple(hits[1:]), pos))
            stories.append(s)
    # Each candidate's rivals: how many other stories hold as much of the question (cov_window),
    # as log1p (copies of its own story are no rivals). Holding every word of the question is
    # evidence in five articles and little in thirty thousand, where many passages mention the
    # same things.
    covs = [part[2].cov_window for part in out]
    rivals = [
        math.log1p(len({t for t, v in zip(stories, covs) if v >= cov - 1e-9 and t != own}))
        for cov, own in zip(covs, stories)
    ]
    return asked, [
        Candidate(rank, hit, replace(ev, rivals=r), quotes, extra, pos)
        for (rank, hit, ev, quotes, extra, pos), r in zip(out, rivals)
    ]


def _answer_spans(index: Index, pos: int, matches: list[MatchedSentence], best: int, q: QuestionTerms) -> list[AnswerSpan]:
    """The answer candidates of the best sentence and its neighbours: the numbers and dates
    none of the question's words (stored with the sentence's terms), and the actors the index
    stored there (those naming none of the question's words: «حفتر» does not answer «من التقى حفتر»)."""
    out: list[AnswerSpan] = []
    lo, hi = max(0, best - 1), min(len(matches), best + 2)
    for j in range(lo, hi):
        m = matches[j]
        for name, first, last, s, e in m.typed:
            out.append(AnswerSpan(name, j, first, last, m.start + s, m.start + e))
    store = index.mentions
    if lo >= hi or len(store.mention_ptr) <= pos + 1:
        return out
    a, b = store.mention_ptr[pos : pos + 2].tolist()
    if a == b:
        return out
    start, end = matches[lo].start, matches[hi - 1].end
    first_row = a + int(np.searchsorted(store.rows[a:b, 1], start, "left"))
    last_row = a + int(np.searchsorted(store.rows[a:b, 2], end, "right"))
    j = lo
    for _, s, e, g in store.rows[first_row:max(first_row, last_row)].tolist():
        while j < hi and matches[j].end <= s:
            j += 1
        if j >= hi:
            break
        m = matches[j]
        if not (m.start <= s and e <= m.end):
            continue
        inside = [p for p, st in enumerate(m.starts) if s - m.start <= st < e - m.start]
        if not inside or any(p in m.match.positions for p in inside):
            continue
        out.append(AnswerSpan(TYPES[int(store.types[g])], j, inside[0], inside[-1], s, e))
    return out


def answer_candidate(index: Index, c: Candidate) -> tuple[str, int, int] | None:
    """``c``'s best answer candidate as (verbatim text, start, end in the article), or ``None``."""
    span = c.answer
    if span is None:
        return None
    return index.articles.at(c.position).text[span.start : span.end], span.start, span.end


def span_sentences(index: Index, asked: Asked, r: Result) -> list[SpanSentence]:
    """``r``'s quotes as the span model reads them (:mod:`retrieval.spans`): the matched words, the
    actor mentions the index stored inside each, and which quote holds most matched words."""
    if asked.span_kind is None:
        return []
    total = asked.q.total if asked.q is not None and asked.q.total > 0 else 1.0

    def share(surface: str) -> float:
        term = index.analyzer.term(surface)
        i = asked.slot.get(term) if term is not None else None
        return asked.q.weights[i] / total if i is not None and asked.q is not None else 0.0

    weighted = [[(a, b, share(q.text[a:b])) for a, b in q.highlights] for q in r.quotes]
    most = max(range(len(r.quotes)), key=lambda j: (sum(w for _, _, w in weighted[j]), -j), default=-1)
    out = []
    for j, q in enumerate(r.quotes):
        marks = [(m.start - q.start, m.end - q.start, m.type) for m in index.mentions.in_span(r.article.id, q.start, q.end)]
        out.append(sentence_of(q.text, q.start, weighted[j], marks, asked.words, j == most, asked.wh))
    return out


def actors_of(index: Index, article_id: str, quotes: Sequence[Quote]) -> tuple[Actor, ...]:
    """The actors named in ``quotes`` of the article: the mentions the index stored inside them, one
    actor per group of aliases of the whole article (a quote's ``كوبلر`` is ``مارتن كوبلر``, with
    his role), in order of first mention there."""
    return index.mentions.actors(article_id, [(q.start, q.end) for q in quotes])


def story_at(index: Index, pos: int) -> int:
    """The story of the article at ``pos`` (its own position when the index has no stories)."""
    return int(index.stories.story[pos]) if len(index.stories) == len(index.articles) else pos


def time_mismatch(
    index: Index, asked: Asked, pos: int, matches: list[MatchedSentence], best: int, title: frozenset[int]
) -> float:
    """1.0 when the question names a time (a year, «اليوم», «هذا الأسبوع») that neither the
    best sentence's window (its words: the year) nor the article's date meets; 0.0 otherwise
    (and for an undated article asked of a relative time: nothing tells)."""
    when, q = asked.time, asked.q
    if not when or q is None:
        return 0.0
    day = int(index.days[pos]) if index.dated else NO_DAY
    if when.years:
        near: set[int] = set(title)
        for m in matches[max(0, best - 1) : best + 2]:
            near |= m.match.matched
        said = {q.terms[i] for i in near}
        if any(str(y) in said for y in when.years):
            return 0.0
        if day != NO_DAY and date.fromordinal(day).year in when.years:
            return 0.0
        return 1.0
    if day == NO_DAY:
        return 0.0
    return 1.0 if date.today().toordinal() - day > when.horizon else 0.0
