"""Adding articles to an index, in two passes over the new articles.

1. :func:`read_pass` reads the articles once (an iterable: a corpus streamed from disk), drops
   duplicate and already indexed ids, groups each article's sentences into passages (from the
   segments :func:`~retrieval.corpus.make_article` computed: an article is segmented once) and
   collects every word form, from which the lexicon is built: which clitic forms are attested
   must be known before any word is analysed;
2. :func:`analyse_pass` analyses each new passage (a real title first) into term ids, and takes
   each new article's MinHash signature from its terms (:mod:`retrieval.stories`);
3. :func:`tag_pass` tags each new article's actors once (:mod:`retrieval.index.tagging`, on
   several cores for a large corpus) and keeps every mention (:mod:`retrieval.index.mentions`).

:meth:`Index.add <retrieval.index.Index.add>` runs them, then :func:`combine` computes the BM25
statistics of the whole index again, folds the new articles into stories, and makes the new index.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..corpus import DUPLICATE_ID, Article, Problem
from ..normalize import WORD_RE, Analyzer, build_lexicon
from ..segment import Passage, passages, segment_article
from ..stories import NUM_PERM, signature
from .mentions import Tagged
from .stores import SPAN_FIELDS
from .stories import days_of
from .tagging import backend_name, tag_texts

if TYPE_CHECKING:
    from ..actors.backend import LockedTagger
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

#: Called as ``progress(done, total, stage)`` while building (``total`` may be ``None``);
#: ``progress(0, None, stage)`` announces a step that has no count.
ProgressFn = Callable[..., None]

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

    def passage_bounds(self, i: int) -> Iterable[tuple[int, int]]:
        """``(start, end)`` of the passages of the ``i``-th new article."""
        first = self.article_first[0]
        for row in range(self.article_first[i] - first, self.article_first[i + 1] - first):
            yield self.spans[SPAN_FIELDS * row + 1], self.spans[SPAN_FIELDS * row + 2]


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
    reading.lexicon = base.analyzer.lexicon | new_lex if base.analyzer.lexicon else new_lex
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
        self._memo: dict[str, tuple[int, ...]] = {}
        self._findall = WORD_RE.findall

    def term_id(self, term: str) -> int:
        i = self._ids.get(term)
        if i is None:
            i = self.vocab.find(term) if self.v_old else -1
            if i < 0:
                i = self.v_old + len(self.new_terms)
                self.new_terms.append(term)
            self._ids[term] = i
        return i

    def __call__(self, text: str, start: int = 0, end: int | None = None) -> list[int]:
        out: list[int] = []
        memo = self._memo
        for w in self._findall(text, start, len(text) if end is None else end):
            r = memo.get(w)
            if r is None:
                r = memo[w] = tuple(self.term_id(t) for t in self.analyzer.tokens(w))
            out.extend(r)
        return out


class Analysis(NamedTuple):
    """What :func:`analyse_pass` gives: the terms the base vocabulary lacks (in id order), the new
    passages' term ids one after the other, the number of tokens of each passage, and each new
    article's story signature."""

    new_terms: list[str]
    tokens: array
    lens: array
    signatures: np.ndarray


def analyse_pass(base: Index, reading: Reading, progress: ProgressFn | None) -> Analysis:
    """Pass 2: the term ids of every new passage (a real title's first) and its length in tokens."""
    term_ids = _TermIds(base.postings.vocab, reading.lexicon)
    tokens = array("i")
    lens = array("i")
    n = len(reading.articles)
    sigs = np.zeros((n, NUM_PERM), dtype=np.uint32)
    for i, a in enumerate(reading.articles):
        prefix = [] if a.title_derived else term_ids(a.title)
        body = array("i")
        for start, end in reading.passage_bounds(i):
            ids = term_ids(a.text, start, end)
            tokens.extend(prefix)
            tokens.extend(ids)
            body.extend(ids)
            lens.append(len(prefix) + len(ids))
        sigs[i] = signature(np.frombuffer(body, dtype=np.int32))
        if progress is not None:
            progress(i + 1, n, "indexing")
    return Analysis(term_ids.new_terms, tokens, lens, sigs)


def tag_pass(
    base: Index, reading: Reading, tagger: LockedTagger | None, workers: int | None, progress: ProgressFn | None
) -> Tagged:
    """Pass 3: every mention of an actor in the new articles (the rules, and ``tagger`` beside them)."""
    tagged = Tagged.after(base.mentions)
    a_old, n = len(base.articles), len(reading.articles)
    if progress is not None:
        progress(0, n, "tagging actors")
    for i, groups in enumerate(tag_texts([a.text for a in reading.articles], tagger, workers)):
        tagged.add(a_old + i, groups)
        if progress is not None:
            progress(i + 1, n, "tagging actors")
    tagged.backend = backend_name(tagger)
    return tagged


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
    if progress is not None:
        progress(0, None, "folding stories")
    outlets = [store.field_at(i, "source") for i in range(len(store))]
    stories = base.stories.extend(analysis.signatures, outlets, days_of(store.field_at(i, "date") for i in range(len(store))))
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
    )
    index.last_add = AddReport(len(reading.articles), len(lens), tuple(reading.no_passage))
    return index
