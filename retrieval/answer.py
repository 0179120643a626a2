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

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from .actors.actor import Actor
from .answerability import Model, load_model
from .charsets import ARABIC_SCRIPT_RE, CONTROL_RE
from .corpus import Article, ArticleMeta
from .dates import DateIntent, DateRange, date_intent
from .errors import InputError
from .evidence import (
    DATE,
    NUMBER,
    AnswerSpan,
    Evidence,
    QuestionTerms,
    SentenceMatch,
    best_sentence,
    evidence,
    question_terms,
    term_kind,
    weight,
)
from .index import Hit, Index
from .index.mentions import TYPES
from .normalize import STOPWORDS, normalize_token, tokenize
from .questions import (
    ANSWER_TYPES,
    QuestionTime,
    dialect_forms,
    is_question_only,
    question_time,
    question_word,
    span_type,
)
from .roots import root
from .spans import FoundSpan, SpanModel, SpanSentence, load_span_model, sentence_of
from .spans import bare_word as _bare
from .spelling import correct
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

#: Questions longer than this are cut (at a word boundary) before analysis.
MAX_QUESTION_CHARS = 1000
#: At most this many distinct informative terms (the rarest) are searched for.
MAX_QUERY_TERMS = 32
#: Passages BM25 returns for one question; their articles are the candidates.
CANDIDATE_PASSAGES = 20
#: The note when dates are asked for (--since/--until/--latest) of articles that have none.
UNDATED_NOTE = "the articles have no dates: --since, --until and --latest change nothing here"
#: Passages searched when the newest reports come first (the newest answer may rank lower).
LATEST_PASSAGES = 60
#: Reports of one story whose coverage of the question's words differs by less than this match
#: the question alike: the earliest of them is quoted.
STORY_TIE = 0.05
_SENTENCES_PER_ARTICLE = 3
_SENTENCE_KEEP = 0.5  # keep sentences scoring at least this share of the passage's best
# A sentence opening with a demonstrative within its first words refers back to the previous one.
_REFERS_BACK_RE = re.compile(r"^\S*\s*(?:\S+\s+){0,2}(?:هذه|هذا|هذان|هاتان|هؤلاء|ذلك|تلك)\b")


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

    ``score`` is the passage's BM25 score (results keep the search layer's order),
    ``probability`` the answerability model's probability that this article answers, and
    ``coverage`` the IDF-weighted share of the question's words found around the best sentence.
    When every quote repeats a sentence an earlier result quotes, ``repeats`` names those
    results' article ids (front ends show the sentence once and this article as another source).
    ``also_reported_in``: the other articles of the same story (:mod:`retrieval.stories`: the
    same report in other outlets, earliest first); they are folded into this result.
    """

    article: Article
    passage_id: str
    score: float
    coverage: float
    quotes: tuple[Quote, ...]
    actors: tuple[Actor, ...] = ()
    probability: float = 0.0
    repeats: tuple[str, ...] = ()  # earlier results whose sentences these quotes repeat (see _fresh)
    also_reported_in: tuple[ArticleMeta, ...] = ()
    # The words that answer, inside quote number answer.sentence (retrieval.spans): the first result only.
    answer: FoundSpan | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one question. ``answered`` is False when the corpus holds no answer.

    ``confidence`` is the probability that the first result answers (for a refusal: that the
    closest article would have); ``closest`` is the best candidate of a refusal, never a result.
    """

    question: str
    answered: bool
    results: tuple[Result, ...] = ()
    terms: tuple[str, ...] = ()
    confidence: float = 0.0
    notes: tuple[str, ...] = field(default=())
    closest: Result | None = None

    def to_dict(self, *, complete: bool = False) -> dict:
        """The JSON contract (``sanad ask --json``); ``complete`` adds what :meth:`from_dict` needs
        (:mod:`retrieval.schema`)."""
        from .schema import answer_to_dict

        return answer_to_dict(self, complete=complete)

    @classmethod
    def from_dict(cls, data: Mapping, articles: Mapping) -> Answer:
        """The answer ``to_dict(complete=True)`` gave, its articles looked up by id in ``articles``."""
        from .schema import answer_from_dict

        return answer_from_dict(data, articles)


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


def _picks(index: Index, asked: Asked, c: Candidate) -> list[MatchedSentence]:
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
    chosen = sorted(unique.values(), key=lambda wm: (-wm[0], wm[1].start))[:_SENTENCES_PER_ARTICLE]
    return sorted((m for _, m in chosen), key=lambda m: m.start)


def _quote(article: Article, m: MatchedSentence) -> Quote:
    return Quote(article.text[m.start : m.end], m.start, m.end, m.highlights)


def article_quotes(index: Index, asked: Asked, c: Candidate) -> tuple[Quote, ...]:
    """Up to three quotes of ``c``'s article, in source order: its best passage's, and sentences
    of its other candidate passages scoring at least half as much as the best sentence."""
    article = index.articles.at(c.position)
    return tuple(_quote(article, m) for m in _picks(index, asked, c))


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


def _allowed(index: Index, period: DateRange) -> np.ndarray | None:
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
        span_type(words), question_word(words), frozenset(_bare(w) for w in words if w not in STOPWORDS),
    )


def _root_slots(terms: Sequence[str], weights: Sequence[float]) -> dict[str, int]:
    """``{root: position}`` of the informative question terms whose root has three letters or more."""
    out: dict[str, int] = {}
    for i, t in enumerate(terms):
        if weights[i] > 0 and not t.isdigit() and len(r := root(t)) >= 3:
            out.setdefault(r, i)
    return out



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
    for hit in index.search(list(slot), k=k, allowed=_allowed(index, period) if index.dated else None):
        by_article.setdefault(int(spans[hit.row, 0]), []).append(hit)
    positions = list(by_article)
    groups = list(by_article.values())
    top_score = max(groups[0][0].score, 0.0) if groups else 0.0
    # Ranks count stories, not articles: a copy of the first report in another paper is not a
    # competitor (the evidence's rank and score-ratio signals would read it as one).
    story_of = [_story(index, pos) for pos in positions]
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
        late = _time_mismatch(index, asked, pos, matches, best[0], title)
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


def _time_mismatch(
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
    picks, repeats = _fresh(index, c, _picks(index, asked, c), seen)
    article = index.articles.at(c.position)
    return Result(
        article=article,
        passage_id=c.hit.passage.passage_id,
        score=c.hit.score,
        coverage=round(c.evidence.cov_window, 3),
        quotes=tuple(_quote(article, m) for m in picks),
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


def _story(index: Index, pos: int) -> int:
    """The story of the article at ``pos`` (its own position when the index has no stories)."""
    return int(index.stories.story[pos]) if len(index.stories) == len(index.articles) else pos


def _one_per_story(index: Index, scored: list[tuple[float, Candidate]]) -> list[tuple[float, Candidate]]:
    """One candidate per story, in the order of each story's best probability, with that
    probability (copies of one text compete for BM25 rank, which the probability weighs: the
    story answers as well as its best report). The report quoted is the one holding most of the
    question's words (coverage), the earliest of those within :data:`STORY_TIE` of it."""
    if not len(index.stories):
        return scored
    groups: dict[int, list[tuple[float, Candidate, int]]] = {}
    for p, c in scored:
        groups.setdefault(_story(index, c.position), []).append((p, c, c.position))
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
        return fresh[:_SENTENCES_PER_ARTICLE], ()
    return list(quotes[:_SENTENCES_PER_ARTICLE]), tuple(dict.fromkeys(repeated_from))


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
