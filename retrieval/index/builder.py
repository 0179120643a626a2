"""Adding articles to an index, in two passes over the new articles.

1. :func:`read_pass` reads the articles once (an iterable: a corpus streamed from disk), drops
   duplicate and already indexed ids, groups each article's sentences into passages (from the
   segments :func:`~retrieval.corpus.make_article` computed: an article is segmented once) and
   collects every word form, from which the lexicon is built: which clitic forms are attested
   must be known before any word is analysed;
2. :func:`analyse_pass` analyses each new passage (a real title first) into term ids, and takes
   each new article's MinHash signature from its terms (:mod:`retrieval.stories`);
3. :func:`tag_pass` tags each new article's actors once (:mod:`retrieval.index.tagging`, on
   several cores for a large corpus, started while the first two passes run) and keeps every
   mention (:mod:`retrieval.index.mentions`).

:meth:`Index.add <retrieval.index.Index.add>` runs them, then :func:`combine` computes the BM25
statistics of the whole index again, folds the new articles into stories, and makes the new index.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..corpus import DUPLICATE_ID, Article, Problem
from ..normalize import WORD_RE, Analyzer, build_lexicon
from ..segment import Passage, passages, segment_article
from ..stories import NUM_PERM, signature
from .core import ProgressFn
from .mentions import Tagged
from .stores import SENTENCE_FIELDS, SPAN_FIELDS
from .tagging import TaggerSpec, Tagging

if TYPE_CHECKING:
    from .columns import StringTable
    from .core import Index

__all__ = [
    "AddReport",
    "Analysis",
    "ProgressFn",
    "Reading",
    "analyse_pass",
    "build_time",
    "combine",
    "passage_text",
    "read_pass",
    "tag_pass",
]


_ALREADY_INDEXED = "already in the index: kept the indexed article (rebuild to replace it)"


@dataclass(frozen=True, slots=True)
class AddReport:
    """What :meth:`Index.add` did: articles added, passages added, articles with nothing to index."""

    articles: int
    passages: int
    no_passage: tuple[str, ...]


def build_time() -> str:
    """Now, in UTC to the second (ISO 8601): an index's ``built_at`` and each addition's ``at``."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def passage_text(article: Article, passage: Passage) -> str:
    """The text a passage is indexed with (what its terms are the analysis of)."""
    text = article.text[passage.start : passage.end]
    # A real title is part of every passage's evidence; a derived one is just its first sentence.
    return text if article.title_derived else f"{article.title}\n{text}"


@dataclass(slots=True)
class Reading:
    """What :func:`read_pass` gathers: the new articles and their passages, as flat arrays that
    continue the base index's (article positions, passage and sentence numbers)."""

    articles: list[Article] = field(default_factory=list)  # without their segments: they are in the arrays
    spans: array = field(default_factory=lambda: array("i"))  # per passage: article, start, end
    sentence_ptr: array = field(default_factory=lambda: array("q"))  # first sentence of each passage, then the end
    sentences: array = field(default_factory=lambda: array("i"))  # per sentence: start, end, paragraph
    article_first: array = field(default_factory=lambda: array("q"))  # first passage of each article, then the end
    no_passage: list[str] = field(default_factory=list)
    lexicon: frozenset[str] = frozenset()

    def add(self, article: Article, position: int) -> None:
        """Record ``article`` (at ``position`` in the index) and its passages."""
        segments = article.segments if article.segments is not None else segment_article(article.text)
        plist = passages(article.id, article.text, segments)
        if not plist:
            self.no_passage.append(article.id)
        for p in plist:
            self.spans.extend((position, p.start, p.end))
            for s in p.sentences:
                self.sentences.extend((s.start, s.end, s.paragraph))
            self.sentence_ptr.append(self.sentence_ptr[-1] + len(p.sentences))
        self.article_first.append(self.article_first[-1] + len(plist))  # the last value is the end so far
        self.articles.append(article if article.segments is None else replace(article, segments=None))

    def passage_sentences(self, i: int) -> Iterator[tuple[int, int, list[tuple[int, int]]]]:
        """``(start, end, sentences)`` of the passages of the ``i``-th new article: each
        sentence's ``(start, end)``."""
        first, s_first = self.article_first[0], self.sentence_ptr[0]
        for row in range(self.article_first[i] - first, self.article_first[i + 1] - first):
            a, b = self.sentence_ptr[row] - s_first, self.sentence_ptr[row + 1] - s_first
            sentences = [(self.sentences[SENTENCE_FIELDS * j], self.sentences[SENTENCE_FIELDS * j + 1]) for j in range(a, b)]
            yield self.spans[SPAN_FIELDS * row + 1], self.spans[SPAN_FIELDS * row + 2], sentences


def read_pass(
    base: Index,
    articles: Iterable[Article],
    progress: ProgressFn | None,
    total: int | None,
    problems: list[Problem],
) -> Reading:
    """Pass 1: read ``articles`` once, keep the new ones with their passages, build the lexicon."""
    reading = Reading()
    reading.sentence_ptr.append(int(base.passages.sentence_ptr[-1]))
    reading.article_first.append(len(base.passages))
    a_old = len(base.articles)
    seen: set[str] = set()
    surfaces: set[str] = set()
    findall = WORD_RE.findall
    for done, a in enumerate(articles, start=1):
        if a.id in seen:
            problems.append(Problem(a.id, None, DUPLICATE_ID))
        elif a.id in base.articles:
            problems.append(Problem(a.id, None, _ALREADY_INDEXED))
        else:
            seen.add(a.id)
            reading.add(a, a_old + len(reading.articles))
            surfaces.update(findall(a.text))
        if progress is not None:
            progress(done, total, "reading")
    if progress is not None:
        progress(0, None, "building the lexicon")
    new_lex = build_lexicon([" ".join(surfaces)]) if surfaces else frozenset()
    del surfaces
    old_lex = base.analyzer.lexicon  # a loaded index's is a string table
    reading.lexicon = (old_lex if isinstance(old_lex, frozenset) else frozenset(old_lex)) | new_lex if old_lex else new_lex
    return reading


class _TermIds:
    """Term ids of the words of a text: the base vocabulary's, new terms numbered after it in
    first-occurrence order (``new_terms``). A private analyzer and memo: they go with it."""

    def __init__(self, vocab: StringTable, lexicon: frozenset[str]) -> None:
        self.vocab = vocab
        self.v_old = len(vocab)
        self.analyzer = Analyzer(lexicon)
        self.new_terms: list[str] = []
        self._ids: dict[str, int] = {}
        self._memo: dict[str, tuple[tuple[int, int, int], ...]] = {}  # word run -> (start, end, term id) of its terms
        self._finditer = WORD_RE.finditer

    def term_id(self, term: str) -> int:
        i = self._ids.get(term)
        if i is None:
            i = self.vocab.find(term) if self.v_old else -1
            if i < 0:
                i = self.v_old + len(self.new_terms)
                self.new_terms.append(term)
            self._ids[term] = i
        return i

    def _pieces(self, word: str) -> tuple[tuple[int, int, int], ...]:
        r = self._memo.get(word)
        if r is None:
            r = self._memo[word] = tuple((t.start, t.end, self.term_id(t.term)) for t in self.analyzer.terms(word))
        return r

    def __call__(self, text: str) -> list[int]:
        """The term ids of ``text`` (a title): ``Analyzer.tokens(text)``'s."""
        return [tid for m in self._finditer(text) for _, _, tid in self._pieces(m.group())]

    def passage(self, text: str, start: int, end: int, sentences: Sequence[tuple[int, int]], out: Sentences) -> list[int]:
        """The term ids of ``text[start:end]`` (a passage: what BM25 scores), and each of its
        ``sentences``' terms with their offsets appended to ``out``, as ``Analyzer.terms`` gives
        them for the sentence's text (one scan: a word run never crosses a sentence's bounds; a
        sentence where one would is analysed on its own)."""
        ids: list[int] = []
        runs: list[tuple[int, int, tuple[tuple[int, int, int], ...]]] = []
        for m in self._finditer(text, start, end):
            pieces = self._pieces(m.group())
            runs.append((m.start(), m.end(), pieces))
            ids.extend(tid for _, _, tid in pieces)
        k, n = 0, len(runs)
        for s, e in sentences:
            while k < n and runs[k][1] <= s:
                k += 1
            first = k
            while k < n and runs[k][0] < e:
                k += 1
            inside = runs[first:k]
            if inside and (inside[0][0] < s or inside[-1][1] > e):
                inside = [(m.start(), m.end(), self._pieces(m.group())) for m in self._finditer(text, s, e)]
            for a, _, pieces in inside:
                for ps, pe, tid in pieces:
                    out.terms.append(tid)
                    out.spans.extend((a + ps - s, a + pe - s))
            out.term_ptr.append(len(out.terms) + out.base)
        return ids


@dataclass(slots=True)
class Sentences:
    """The new sentences' and real titles' terms, as flat arrays continuing the base index's
    (:class:`~retrieval.index.sentences.SentenceTerms`)."""

    base: int = 0  # terms of the base index (term_ptr values continue after them)
    term_ptr: array = field(default_factory=lambda: array("q"))
    terms: array = field(default_factory=lambda: array("i"))
    spans: array = field(default_factory=lambda: array("i"))
    title_ptr: array = field(default_factory=lambda: array("q"))
    title_terms: array = field(default_factory=lambda: array("i"))


class Analysis(NamedTuple):
    """What :func:`analyse_pass` gives: the terms the base vocabulary lacks (in id order), the new
    passages' term ids one after the other, the number of tokens of each passage, each new
    article's story signature, and the terms of the new sentences and real titles."""

    new_terms: list[str]
    tokens: array
    lens: array
    signatures: np.ndarray
    sentences: Sentences


def analyse_pass(base: Index, reading: Reading, progress: ProgressFn | None) -> Analysis:
    """Pass 2: the term ids of every new passage (a real title's first) and its length in tokens,
    and the terms of each new sentence and real title (what answers read instead of analysing)."""
    term_ids = _TermIds(base.postings.vocab, reading.lexicon)
    tokens = array("i")
    lens = array("i")
    n = len(reading.articles)
    sigs = np.zeros((n, NUM_PERM), dtype=np.uint32)
    old = base.analysed
    out = Sentences(int(old.term_ptr[-1]))
    out.term_ptr.append(out.base)
    out.title_ptr.append(int(old.title_ptr[-1]))
    for i, a in enumerate(reading.articles):
        prefix = [] if a.title_derived else term_ids(a.title)
        out.title_terms.extend(prefix)
        out.title_ptr.append(out.title_ptr[-1] + len(prefix))
        body = array("i")
        for start, end, sentences in reading.passage_sentences(i):
            ids = term_ids.passage(a.text, start, end, sentences, out)
            tokens.extend(prefix)
            tokens.extend(ids)
            body.extend(ids)
            lens.append(len(prefix) + len(ids))
        sigs[i] = signature(np.frombuffer(body, dtype=np.int32))
        if progress is not None:
            progress(i + 1, n, "indexing")
    return Analysis(term_ids.new_terms, tokens, lens, sigs, out)


def tag_pass(
    base: Index, reading: Reading, tagger: TaggerSpec | Tagging, workers: int | None, progress: ProgressFn | None
) -> Tagged:
    """Pass 3: every mention of an actor in the new articles (the rules, and ``tagger`` beside them:
    ``auto`` keeps the base index's tagger, or picks one by the new articles' size; see
    :func:`~retrieval.index.tagging.choose_tagger`). A :class:`~retrieval.index.tagging.Tagging` fed
    while reading has tagged most of them already."""
    if isinstance(tagger, Tagging):
        return tagger.finish(reading.articles, progress)
    with Tagging(base, tagger, workers) as tagging:
        return tagging.finish(reading.articles, progress)


def combine(
    base: Index, reading: Reading, analysis: Analysis, tagged: Tagged, sources: Sequence[str], progress: ProgressFn | None
) -> Index:
    """A new index: ``base`` and the new passages and mentions, BM25 statistics computed over all passages."""
    if progress is not None:
        progress(0, None, "computing BM25 statistics")
    lens = analysis.lens
    postings = base.postings.extend(
        analysis.new_terms, np.frombuffer(analysis.tokens, dtype=np.int32), np.frombuffer(lens, dtype=np.int32)
    )
    store = base.articles.extend(reading.articles)
    pstore = base.passages.extend(store.ids, reading.spans, reading.sentence_ptr, reading.sentences, reading.article_first)
    mstore = base.mentions.extend(store.ids, tagged)
    s = analysis.sentences
    analysed = base.analysed.extend(s.term_ptr, s.terms, s.spans, s.title_ptr, s.title_terms)
    if progress is not None:
        progress(0, None, "folding stories")
    outlets = [store.field_at(i, "source") for i in range(len(store))]
    stories = base.stories.extend(analysis.signatures, outlets, store.days_until(date.today()).tolist())
    at = build_time()
    step = {"at": at, "articles": len(reading.articles), "passages": len(lens), "mentions": len(mstore) - len(base.mentions),
            "actors": tagged.backend, "sources": list(sources)}
    index = type(base)(
        store,
        pstore,
        postings,
        reading.lexicon,
        at,
        base.sources + [s for s in sources if s not in base.sources],
        base.history + [step],
        mstore,
        stories,
        analysed,
    )
    index.last_add = AddReport(len(reading.articles), len(lens), tuple(reading.no_passage))
    return index
