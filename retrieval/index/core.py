"""The :class:`Index`: articles, passages and postings, and what the rest of Sanad asks of them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..bm25 import lucene_idf
from ..corpus import ArticleMeta
from ..normalize import Analyzer
from ..stories import NO_DAY
from . import manifest, query
from .mentions import MentionStore
from .postings import DEFAULT_PARAMS, BM25Params, DocFreq, Postings
from .query import Hit
from .sentences import SentenceTerms
from .stores import ArticleStore, PassageStore
from .story_store import StoryStore

if TYPE_CHECKING:  # building is imported when an index is built or added to, not to answer from one
    from ..corpus import Article, Problem
    from .builder import AddReport
    from .tagging import TaggerSpec

__all__ = ["Index", "ProgressFn"]

#: Called as ``progress(done, total, stage)`` while building (``total`` may be ``None``);
#: ``progress(0, None, stage)`` announces a step that has no count.
ProgressFn = Callable[..., None]


class Index:
    """Articles, their passages, BM25Okapi postings over the passages' analysed terms, and the
    mentions of actors found in the articles when they were indexed (:attr:`mentions`)."""

    def __init__(
        self,
        store: ArticleStore,
        passage_store: PassageStore,
        postings: Postings,
        lexicon: Collection[str],
        built_at: str,
        sources: Sequence[str] = (),
        history: Sequence[dict] = (),
        mentions: MentionStore | None = None,
        stories: StoryStore | None = None,
        analysed: SentenceTerms | None = None,
    ) -> None:
        if postings.n_docs != len(passage_store):
            raise ValueError("passages and postings differ in number")
        if mentions is not None and len(mentions.mention_ptr) != len(store) + 1:
            raise ValueError("mentions and articles differ in number")
        if stories is not None and len(stories) != len(store):
            raise ValueError("stories and articles differ in number")
        analysed = analysed if analysed is not None else SentenceTerms.empty()
        if analysed.n_sentences != len(passage_store.sentences) or analysed.n_titles != len(store):
            raise ValueError("sentence terms and sentences differ in number")
        self.articles: ArticleStore = store
        self.passages: PassageStore = passage_store
        self.postings = postings
        #: Every mention of an actor, found when the articles were indexed (None given: no mentions).
        self.mentions: MentionStore = mentions if mentions is not None else MentionStore.empty(store.ids)
        #: The story of every article: the same report in several outlets (:mod:`retrieval.stories`).
        self.stories: StoryStore = stories if stories is not None else StoryStore.empty()
        #: The analysed terms of every sentence and real title (:mod:`retrieval.index.sentences`).
        self.analysed: SentenceTerms = analysed
        self.params = postings.params
        self.analyzer = Analyzer(lexicon)
        self.df = DocFreq(postings)
        self.built_at = built_at
        self.sources = list(sources)
        self.history = list(history)
        #: Set by :meth:`add`: what the last addition did.
        self.last_add: AddReport | None = None

    # ----------------------------------------------------------------- building
    @classmethod
    def empty(cls, params: BM25Params = DEFAULT_PARAMS) -> Index:
        from .builder import build_time

        store = ArticleStore.empty()
        return cls(store, PassageStore.empty(store.ids), Postings.empty(params), frozenset(), build_time())

    @classmethod
    def build(cls, articles: Iterable[Article], params: BM25Params = DEFAULT_PARAMS, **options: Any) -> Index:
        """Segment, analyse, index and tag ``articles`` (an iterable, read once) into a new index.

        ``options`` are :meth:`add`'s: ``progress(done, total, stage)`` is called per article
        while reading, indexing and tagging; duplicate ids keep the first article (reported in
        ``problems`` when given); ``tagger`` finds actors beside the rules (a backend name
        ``auto``, ``model``, ``camel``, a loaded tagger, or ``rules``/``None`` for the rules
        alone); ``workers`` bounds the processes that tag a large corpus.
        """
        index = cls.empty(params).add(articles, **options)
        index.history = [h | {"build": True} for h in index.history[-1:]]
        return index

    def add(
        self,
        articles: Iterable[Article],
        progress: ProgressFn | None = None,
        sources: Sequence[str] = (),
        total: int | None = None,
        problems: list[Problem] | None = None,
        tagger: TaggerSpec = "auto",
        workers: int | None = None,
    ) -> Index:
        """A new index: this one plus ``articles`` (this one stays usable).

        Only the new articles are read, segmented and analysed (:mod:`retrieval.index.builder`);
        the lexicon grows with their words and the BM25 statistics are recomputed over all
        passages. An article whose id is already indexed is skipped (reported in ``problems``):
        rebuild to replace an article. The new articles' actors are tagged with ``tagger`` (a
        backend name, a loaded tagger, or ``rules``/``None`` for the rules alone) on up to
        ``workers`` processes (:mod:`retrieval.index.tagging`) and their mentions appended.
        """
        from . import builder
        from .tagging import Tagging

        problems = problems if problems is not None else []
        with Tagging(self, tagger, workers) as tagging:  # large corpora: tagged on other cores while read
            reading = builder.read_pass(self, tagging.feed(articles), progress, total, problems)
            analysis = builder.analyse_pass(self, reading, progress)
            tagged = builder.tag_pass(self, reading, tagging, workers, progress)
        return builder.combine(self, reading, analysis, tagged, sources, progress)

    # ----------------------------------------------------------------- dates and stories
    @cached_property
    def days(self) -> np.ndarray:
        """Each article's date as a day ordinal (``int32``; :data:`~retrieval.stories.NO_DAY`: none,
        unparsable, or after today): stored at index time, the future checked when first asked."""
        return self.articles.days_until(date.today())

    @property
    def dated(self) -> bool:
        """Whether any article has a date that parses (a corpus without dates keeps undated answers)."""
        return bool(len(self.days)) and bool(np.any(self.days != NO_DAY))

    def also_reported(self, article_id: str) -> list[ArticleMeta]:
        """The other articles of ``article_id``'s story, earliest first (undated last, then index order)."""
        pos = self.articles.position(article_id)
        if pos < 0 or len(self.stories) != len(self.articles):
            return []
        story = self.stories.story  # one comparison over the stories: no table of them built at the first answer
        others = np.flatnonzero(story == story[pos]).tolist()
        days = self.days
        order = sorted((i for i in others if i != pos), key=lambda i: (days[i] == NO_DAY, int(days[i]), i))
        return [self.articles.meta_at(i) for i in order]

    # ----------------------------------------------------------------- searching
    @property
    def n_passages(self) -> int:
        return len(self.passages)

    def lucene_idf(self, term: str) -> float:
        """Specificity of ``term``: Lucene's BM25 IDF (:func:`~retrieval.bm25.lucene_idf`) over the passages.

        It weighs question terms for the answer's confidence (never the ranking, which is
        rank-bm25's): unlike BM25Okapi's floored IDF it stays positive and ordered on tiny
        corpora, and a term the corpus never saw (df = 0) gets the highest weight.
        """
        return self.idf_of(len(self.passages), self.df.get(term, 0))

    def okapi_idf(self, term: str) -> float:
        """BM25Okapi's (floored) IDF of ``term``, as the ranking uses it; 0 for a word never seen."""
        tid = self.postings.term_id(term)
        return float(self.postings.idf[tid]) if tid >= 0 else 0.0

    @staticmethod
    def idf_of(n: int, df: int) -> float:
        """:meth:`idf` of a term in ``df`` of ``n`` passages (``df = 0``: the highest, a word never seen)."""
        return lucene_idf(n, df)

    def expand(self, terms: Sequence[str]) -> dict[str, str]:
        """Search terms for analysed query ``terms``: each term, plus its clitic variants the index
        holds (:func:`retrieval.index.query.expand`). Returns ``{search_term: query_term}``."""
        return query.expand(self.df, terms)

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25Okapi score of every passage (``rank_bm25.BM25Okapi.get_scores`` on the passages' terms)."""
        return self.postings.scores(query_terms)

    def search(self, query_terms: Sequence[str], k: int = 10, allowed: np.ndarray | None = None) -> list[Hit]:
        """The ``k`` best passages containing any of ``query_terms``, best first, ties in corpus
        order (:func:`retrieval.index.query.search`); with ``allowed`` (a flag per passage) only
        those flagged."""
        return query.search(self.postings, self.passages, query_terms, k, allowed)

    @cached_property
    def passage_articles(self) -> np.ndarray:
        """The article position of every passage."""
        spans = np.asarray(self.passages.spans)
        return spans.reshape(-1, 3)[:, 0].astype(np.int64) if len(spans) else np.zeros(0, np.int64)

    def passage_terms(self, i: int) -> list[str]:
        """The terms passage ``i`` is scored with, as the postings hold them (a bag of words:
        term-id order, each term repeated as often as it occurs). Scans all postings: for tests
        and diagnostics, not for serving."""
        return self.postings.document_terms(i)

    # ----------------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> Path:
        """Write the index to ``directory``, replacing an index already there; returns the directory.

        Files are written to a temporary sibling directory first, then swapped in: a process
        serving the old index (memory-mapped) keeps reading the old files, and an interrupted
        save leaves the old index intact.
        """
        return manifest.save_index(self, directory)

    @classmethod
    def load(cls, directory: str | Path, verify: bool = True) -> Index:
        """Load a saved index, checking its format, analyzer version and (``verify``) checksums."""
        return manifest.load_index(cls, directory, verify)

    #: The on-disk format this version reads and writes (older directories are rebuilt).
    FORMAT_VERSION = manifest.FORMAT_VERSION

    @staticmethod
    def signature(directory: str | Path) -> tuple[int, int, int] | None:
        """``(inode, size, mtime ns)`` of a saved index's manifest, None when there is none (yet): a
        save renames a complete new directory into place, so a changed signature means a new index."""
        return manifest.signature(directory)

    @staticmethod
    def inputs_digest(salt: str, skip: frozenset[str] = frozenset()) -> str:
        """A digest of everything in the library that makes an index (see
        :func:`~retrieval.index.manifest.inputs_digest`): a cache key for indexes and what is read from them."""
        return manifest.inputs_digest(salt, skip)

    @staticmethod
    def recover(directory: str | Path) -> None:
        """Before adding to the index at ``directory``: put back what an interrupted save left
        aside (hold the directory's writer lock, :func:`~retrieval.index.lock.index_writer`)."""
        manifest.tidy(directory)
