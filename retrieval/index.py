"""The BM25 passage index: build from articles, extend, search, save to and load from a directory.

Scoring is rank-bm25's ``BM25Okapi`` (Robertson/Sparck Jones IDF, negative IDF floored at
``epsilon * mean_idf``), computed on an inverted index by :mod:`retrieval.bm25` with the same
floating-point operations, so scores are rank-bm25's own (``tests/test_bm25_parity.py``) at a
fraction of the cost: a query touches only the postings of its terms.

A saved index is a directory of plain files, never a pickle (format version 2):

* ``manifest.json``: format version, analyzer version, BM25 parameters, counts, build date,
  the corpus paths it was built from (and what was added later), and the SHA-256 of every
  other file;
* ``lexicon.txt``: the attested word forms the analyzer strips clitics against, one a line;
* articles: ``article_ids.*`` (a :class:`~retrieval.store.StringTable`), ``titles.*``,
  ``sources.*``, ``urls.*``, ``dates.*`` (string columns), ``article_flags.npy`` (title derived,
  which optional fields are set), ``texts.*`` (each article's text, zlib-compressed),
  ``article_passages.npy`` (first passage of each article);
* passages: ``passages.npy`` (article, start, end: character offsets into the article text),
  ``sentence_ptr.npy`` and ``sentences.npy`` (start, end, paragraph of every sentence);
* postings: ``vocab.*`` (terms in first-occurrence order), ``df.npy``, ``post_docs.npy``,
  ``post_tf.npy`` (term-major: the passages and term frequencies of term 0, then term 1, ...),
  ``doc_len.npy`` (tokens per passage), ``idf.npy`` (BM25Okapi IDF per term).

Arrays are ``.npy`` files memory-mapped at load (``allow_pickle=False``): loading costs a
checksum pass and no parsing, and a serving process keeps in memory what its queries touch.

Incremental additions (:meth:`Index.add`): new articles are segmented and analysed, appended
after the existing passages, and the BM25 statistics (document frequencies, IDF, average
length) are recomputed for the whole index, so scores are exactly those of a BM25Okapi over all
stored passages. The lexicon grows with the new articles' words; passages already indexed keep
the analysis they got, so an extended index can differ slightly from a full rebuild where a
new article makes a clitic form attested for the first time (see the README's "Scale" section).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import __version__
from .bm25 import accumulate, length_norms, lucene_idf, okapi_idf, term_scores, top_k
from .corpus import Article, Problem
from .errors import IndexLoadError
from .normalize import ANALYZER_VERSION, QUERY_PROCLITICS, WORD_RE, Analyzer, build_lexicon
from .segment import Passage, Segment, passages, segment_article
from .store import BlobColumn, StringColumn, StringTable, compress_text, decompress_text, load_array, save_array

__all__ = ["BM25Params", "FORMAT_VERSION", "Hit", "Index", "Postings", "ProgressFn"]

FORMAT_VERSION = 2
_MANIFEST = "manifest.json"

#: Called as ``progress(done, total, stage)`` while building (``total`` may be ``None``);
#: ``progress(0, None, stage)`` announces a step that has no count.
ProgressFn = Callable[..., None]


@dataclass(frozen=True, slots=True)
class BM25Params:
    """BM25Okapi parameters (rank-bm25 names)."""

    k1: float = 1.2
    b: float = 0.75
    epsilon: float = 0.25


class Hit(NamedTuple):
    """One scored passage."""

    passage: Passage
    score: float


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _passage_text(article: Article, passage: Passage) -> str:
    text = article.text[passage.start : passage.end]
    # A real title is part of every passage's evidence; a derived one is just its first sentence.
    return text if article.title_derived else f"{article.title}\n{text}"


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


# --------------------------------------------------------------------------- postings
class Postings:
    """Term-major postings of the passages and their BM25Okapi statistics.

    ``docs[ptr[t]:ptr[t+1]]`` are the passages holding term ``t`` (ascending) and ``tf`` their
    term frequencies; ``vocab`` gives term ids in first-occurrence order, the order rank-bm25
    sums IDFs in. :meth:`scores` is ``BM25Okapi(passage_terms, k1, b, epsilon).get_scores``.
    """

    def __init__(
        self,
        params: BM25Params,
        vocab: StringTable,
        df: np.ndarray,
        docs: np.ndarray,
        tf: np.ndarray,
        doc_len: np.ndarray,
        idf: np.ndarray | None = None,
    ) -> None:
        self.params = params
        self.vocab = vocab
        self.df = df
        self.docs = docs
        self.tf = tf
        self.doc_len = doc_len
        self.n_docs = len(doc_len)
        if len(df) != len(vocab) or int(df.sum()) != len(docs) or len(tf) != len(docs):
            raise ValueError("postings arrays do not match")
        self.ptr = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(df, out=self.ptr[1:])
        total = int(np.asarray(doc_len, dtype=np.int64).sum())
        self.avgdl = total / self.n_docs if self.n_docs else 0.0
        self.idf = okapi_idf(df, self.n_docs, params.epsilon) if idf is None else idf
        if len(self.idf) != len(df):
            raise ValueError("IDF array does not match the vocabulary")
        if self.avgdl:
            self.norms = length_norms(doc_len, self.avgdl, params.k1, params.b)
        else:  # no tokens at all: no postings either
            self.norms = np.full(self.n_docs, params.k1 * (1 - params.b))

    @classmethod
    def empty(cls, params: BM25Params) -> Postings:
        i32 = np.zeros(0, dtype=np.int32)
        return cls(params, StringTable.from_strings([]), i32, i32, np.zeros(0, np.uint16), i32)

    @classmethod
    def from_documents(cls, documents: Iterable[Sequence[str]], params: BM25Params = BM25Params()) -> Postings:
        """Postings of token lists (what ``BM25Okapi(documents)`` is given)."""
        ids: dict[str, int] = {}
        tokens = array("i")
        lens = []
        for doc in documents:
            tokens.extend(ids.setdefault(t, len(ids)) for t in doc)
            lens.append(len(doc))
        return cls.empty(params).extend(list(ids), np.frombuffer(tokens, dtype=np.int32), np.asarray(lens, np.int32))

    def extend(self, new_terms: Sequence[str], tokens: np.ndarray, lens: np.ndarray) -> Postings:
        """These postings plus documents ``tokens`` (term ids; ``lens`` tokens per document).

        Term ids ``>= len(vocab)`` are ``new_terms`` in order. Statistics are recomputed.
        """
        v_old, n_old = len(self.vocab), self.n_docs
        n_new = n_old + len(lens)
        v_new = v_old + len(new_terms)
        doc_of = np.repeat(np.arange(n_old, n_new, dtype=np.int64), lens)
        key = tokens.astype(np.int64) * max(n_new, 1) + doc_of
        key, tf = np.unique(key, return_counts=True)  # sorted by term, then passage
        terms = key // max(n_new, 1)
        new_docs = (key % max(n_new, 1)).astype(np.int32)
        # New passages come after every old one: insert each term's new postings at its end.
        if v_old:
            at = np.where(terms < v_old, self.ptr[np.minimum(terms, v_old - 1) + 1], len(self.docs))
        else:
            at = np.zeros(len(terms), dtype=np.int64)
        docs = np.insert(np.asarray(self.docs), at, new_docs)
        tf_max = max(int(tf.max()) if len(tf) else 0, int(self.tf.max()) if len(self.tf) else 0)
        tf_dtype = np.uint16 if tf_max <= np.iinfo(np.uint16).max else np.uint32
        tfs = np.insert(np.asarray(self.tf, dtype=tf_dtype), at, tf.astype(tf_dtype))
        df = np.zeros(v_new, dtype=np.int32)
        df[:v_old] = self.df
        df += np.bincount(terms, minlength=v_new).astype(np.int32)
        doc_len = np.concatenate((np.asarray(self.doc_len, dtype=np.int32), np.asarray(lens, dtype=np.int32)))
        return Postings(self.params, self.vocab.extend(new_terms), df, docs, tfs, doc_len)

    def term_id(self, term: str) -> int:
        return self.vocab.find(term)

    def term_contributions(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The passages holding the term and its BM25Okapi contribution to each."""
        a, b = int(self.ptr[term_id]), int(self.ptr[term_id + 1])
        docs = self.docs[a:b]
        return docs, term_scores(float(self.idf[term_id]), self.tf[a:b], self.norms[docs], self.params.k1)

    def matching(self, query_terms: Sequence[str]) -> list[int]:
        """Passages holding any of ``query_terms``, in corpus order."""
        ids = [tid for q in dict.fromkeys(query_terms) if (tid := self.vocab.find(q)) >= 0]
        if not ids:
            return []
        return np.unique(np.concatenate([self.docs[int(self.ptr[t]) : int(self.ptr[t + 1])] for t in ids])).tolist()

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25Okapi score of every passage for ``query_terms`` (rank-bm25's ``get_scores``)."""
        found: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        parts = []
        for q in query_terms:
            if q not in found:
                tid = self.vocab.find(q)
                found[q] = self.term_contributions(tid) if tid >= 0 else None
            part = found[q]
            if part is not None:
                parts.append(part)
        return accumulate(self.n_docs, parts)

    def document_terms(self, doc: int) -> list[str]:
        """Document ``doc`` as a bag of terms (term-id order, repeated ``tf`` times)."""
        at = np.flatnonzero(np.asarray(self.docs) == doc)
        tids = np.searchsorted(self.ptr, at, side="right") - 1
        return [self.vocab[int(t)] for t, n in zip(tids, self.tf[at].tolist()) for _ in range(n)]

    def save(self, d: Path) -> list[str]:
        files = self.vocab.save(d, "vocab")
        for name, arr in (("df", self.df), ("post_docs", self.docs), ("post_tf", self.tf),
                          ("doc_len", self.doc_len), ("idf", self.idf)):
            save_array(d / f"{name}.npy", arr)
            files.append(f"{name}.npy")
        return files

    @classmethod
    def load(cls, d: Path, params: BM25Params) -> Postings:
        return cls(
            params,
            StringTable.load(d, "vocab"),
            load_array(d / "df.npy", mmap=False),
            load_array(d / "post_docs.npy"),
            load_array(d / "post_tf.npy"),
            load_array(d / "doc_len.npy", mmap=False),
            load_array(d / "idf.npy", mmap=False),
        )


class DocFreq(Mapping[str, int]):
    """``term -> number of passages holding it``, read from the postings (no dict built)."""

    def __init__(self, postings: Postings) -> None:
        self._p = postings

    def __getitem__(self, term: str) -> int:
        tid = self._p.vocab.find(term) if isinstance(term, str) else -1
        if tid < 0:
            raise KeyError(term)
        return int(self._p.df[tid])

    def get(self, term: str, default=None):  # type: ignore[override]
        tid = self._p.vocab.find(term)
        return int(self._p.df[tid]) if tid >= 0 else default

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._p.vocab.find(term) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._p.vocab)

    def __len__(self) -> int:
        return len(self._p.vocab)


# --------------------------------------------------------------------------- articles
_OPTIONAL = ("source", "url", "date")


class ArticleStore(Mapping[str, Article]):
    """``article id -> Article``, decompressing an article's text when it is asked for."""

    _CACHE = 1024

    def __init__(
        self,
        ids: StringTable,
        titles: StringColumn,
        optional: dict[str, StringColumn],
        flags: np.ndarray,
        texts: BlobColumn,
    ) -> None:
        n = len(ids)
        if len(titles) != n or len(texts) != n or len(flags) != n or any(len(c) != n for c in optional.values()):
            raise ValueError("article columns differ in length")
        self.ids, self.titles, self.optional, self.flags, self.texts = ids, titles, optional, flags, texts
        self._cache: dict[int, Article] = {}
        self._lock = threading.Lock()  # front ends answer from several threads

    @classmethod
    def from_articles(cls, articles: Sequence[Article]) -> ArticleStore:
        flags = np.zeros((len(articles), 1 + len(_OPTIONAL)), dtype=np.uint8)
        for i, a in enumerate(articles):
            flags[i] = [a.title_derived] + [getattr(a, f) is not None for f in _OPTIONAL]
        return cls(
            StringTable.from_strings(a.id for a in articles),
            StringColumn.from_strings(a.title for a in articles),
            {f: StringColumn.from_strings(getattr(a, f) or "" for a in articles) for f in _OPTIONAL},
            flags,
            BlobColumn.from_items(compress_text(a.text) for a in articles),
        )

    def extend(self, articles: Sequence[Article]) -> ArticleStore:
        if not articles:
            return self
        new = ArticleStore.from_articles(articles)
        return ArticleStore(
            self.ids.extend(a.id for a in articles),
            StringColumn(self.titles.blob.concat(new.titles.blob)),
            {f: StringColumn(self.optional[f].blob.concat(new.optional[f].blob)) for f in _OPTIONAL},
            np.concatenate((np.asarray(self.flags), new.flags)),
            self.texts.concat(new.texts),
        )

    def position(self, article_id: str) -> int:
        return self.ids.find(article_id)

    def at(self, i: int) -> Article:
        """The ``i``-th article (corpus order)."""
        a = self._cache.get(i)
        if a is None:
            flags = self.flags[i].tolist()
            opt = {f: (self.optional[f][i] if flags[1 + j] else None) for j, f in enumerate(_OPTIONAL)}
            a = Article(
                id=self.ids[i],
                text=decompress_text(self.texts.raw(i)),
                title=self.titles[i],
                title_derived=bool(flags[0]),
                **opt,
            )
            with self._lock:
                if len(self._cache) >= self._CACHE:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[i] = a
        return a

    def __getitem__(self, article_id: str) -> Article:
        i = self.ids.find(article_id) if isinstance(article_id, str) else -1
        if i < 0:
            raise KeyError(article_id)
        return self.at(i)

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and self.ids.find(article_id) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def values(self):  # type: ignore[override]
        return _ArticleValues(self)

    def save(self, d: Path) -> list[str]:
        files = self.ids.save(d, "article_ids") + self.titles.save(d, "titles")
        for f in _OPTIONAL:
            files += self.optional[f].save(d, f"{f}s")
        save_array(d / "article_flags.npy", self.flags)
        return files + ["article_flags.npy"] + self.texts.save(d, "texts")

    @classmethod
    def load(cls, d: Path) -> ArticleStore:
        return cls(
            StringTable.load(d, "article_ids"),
            StringColumn.load(d, "titles"),
            {f: StringColumn.load(d, f"{f}s") for f in _OPTIONAL},
            load_array(d / "article_flags.npy"),
            BlobColumn.load(d, "texts"),
        )


class _ArticleValues(Sequence[Article]):
    """``articles.values()``: the articles in corpus order, a lazy sequence (``len``, index, slice):
    a page of a listing decompresses only the articles on it."""

    def __init__(self, store: ArticleStore) -> None:
        self._s = store

    def __len__(self) -> int:
        return len(self._s)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._s.at(j) for j in range(*i.indices(len(self._s)))]
        n = len(self._s)
        if not -n <= i < n:
            raise IndexError(i)
        return self._s.at(i % n)

    def __iter__(self) -> Iterator[Article]:
        return (self._s.at(i) for i in range(len(self._s)))


# --------------------------------------------------------------------------- passages
class PassageStore(Sequence[Passage]):
    """The passages, as arrays; a :class:`Passage` is made when one is asked for."""

    def __init__(
        self,
        ids: StringTable,
        spans: np.ndarray,
        sentence_ptr: np.ndarray,
        sentences: np.ndarray,
        article_first: np.ndarray,
    ) -> None:
        if len(sentence_ptr) != len(spans) + 1 or len(article_first) != len(ids) + 1:
            raise ValueError("passage arrays do not match")
        if len(spans) and (int(sentence_ptr[-1]) != len(sentences) or int(article_first[-1]) != len(spans)):
            raise ValueError("passage arrays do not match")
        self.article_ids = ids
        self.spans = spans  # (n, 3): article position, start, end
        self.sentence_ptr = sentence_ptr
        self.sentences = sentences  # (m, 3): start, end, paragraph
        self.article_first = article_first

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self.spans)
        if not -n <= i < n:
            raise IndexError(i)
        i %= n
        art, start, end = self.spans[i].tolist()
        a, b = self.sentence_ptr[i : i + 2].tolist()
        segs = tuple(Segment("sentence", s, e, p) for s, e, p in self.sentences[a:b].tolist())
        aid = self.article_ids[art]
        return Passage(f"{aid}#{i - int(self.article_first[art])}", aid, start, end, segs)

    def __iter__(self) -> Iterator[Passage]:
        return (self[i] for i in range(len(self)))

    def save(self, d: Path) -> list[str]:
        for name, arr in (("passages", self.spans), ("sentence_ptr", self.sentence_ptr),
                          ("sentences", self.sentences), ("article_passages", self.article_first)):
            save_array(d / f"{name}.npy", arr)
        return ["passages.npy", "sentence_ptr.npy", "sentences.npy", "article_passages.npy"]

    @classmethod
    def load(cls, d: Path, ids: StringTable) -> PassageStore:
        return cls(
            ids,
            load_array(d / "passages.npy"),
            load_array(d / "sentence_ptr.npy"),
            load_array(d / "sentences.npy"),
            load_array(d / "article_passages.npy"),
        )


# --------------------------------------------------------------------------- the index
@dataclass(frozen=True, slots=True)
class AddReport:
    """What :meth:`Index.add` did: articles added, passages added, articles with nothing to index."""

    articles: int
    passages: int
    no_passage: tuple[str, ...]


class Index:
    """Articles, their passages, and BM25Okapi postings over the passages' analysed terms."""

    def __init__(
        self,
        store: ArticleStore,
        passage_store: PassageStore,
        postings: Postings,
        lexicon: frozenset[str],
        built_at: str,
        sources: Sequence[str] = (),
        history: Sequence[dict] = (),
    ) -> None:
        if postings.n_docs != len(passage_store):
            raise ValueError("passages and postings differ in number")
        self.articles: ArticleStore = store
        self.passages: PassageStore = passage_store
        self.postings = postings
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
    def empty(cls, params: BM25Params = BM25Params()) -> Index:
        ids = StringTable.from_strings([])
        store = ArticleStore(
            ids,
            StringColumn.from_strings([]),
            {f: StringColumn.from_strings([]) for f in _OPTIONAL},
            np.zeros((0, 1 + len(_OPTIONAL)), dtype=np.uint8),
            BlobColumn.from_items([]),
        )
        pstore = PassageStore(ids, np.zeros((0, 3), np.int32), np.zeros(1, np.int64), np.zeros((0, 3), np.int32),
                              np.zeros(1, np.int64))
        return cls(store, pstore, Postings.empty(params), frozenset(), _now())

    @classmethod
    def build(
        cls,
        articles: Iterable[Article],
        params: BM25Params = BM25Params(),
        progress: ProgressFn | None = None,
        sources: Sequence[str] = (),
        total: int | None = None,
        problems: list[Problem] | None = None,
    ) -> Index:
        """Segment, analyse and index ``articles`` (an iterable, read once).

        ``progress(done, total, stage)`` is called per article while reading and indexing.
        Duplicate ids keep the first article (reported in ``problems`` when given).
        """
        index = cls.empty(params).add(articles, progress=progress, sources=sources, total=total, problems=problems)
        index.history = [h | {"build": True} for h in index.history[-1:]]
        return index

    def add(
        self,
        articles: Iterable[Article],
        progress: ProgressFn | None = None,
        sources: Sequence[str] = (),
        total: int | None = None,
        problems: list[Problem] | None = None,
    ) -> Index:
        """A new index: this one plus ``articles`` (this one stays usable).

        Only the new articles are read, segmented and analysed; the lexicon grows with their
        words and the BM25 statistics are recomputed over all passages. An article whose id is
        already indexed is skipped (reported in ``problems``): rebuild to replace an article.
        """
        problems = problems if problems is not None else []
        # Pass 1: read, drop duplicates, collect the word forms the lexicon needs.
        new: list[Article] = []
        seen: set[str] = set()
        surfaces: set[str] = set()
        findall = WORD_RE.findall
        done = 0
        for done, a in enumerate(articles, start=1):
            if a.id in seen:
                problems.append(Problem(a.id, None, "duplicate article id: kept the first one"))
            elif a.id in self.articles:
                problems.append(Problem(a.id, None, "already in the index: kept the indexed article (rebuild to replace it)"))
            else:
                seen.add(a.id)
                new.append(a)
                surfaces.update(findall(a.text))
            if progress is not None:
                progress(done, total, "reading")
        if progress is not None:
            progress(0, None, "building the lexicon")
        new_lex = build_lexicon([" ".join(surfaces)]) if surfaces else frozenset()
        del surfaces
        lexicon = self.analyzer.lexicon | new_lex if self.analyzer.lexicon else new_lex

        # Pass 2: segment and analyse the new articles (a private analyzer: its caches go with it).
        analyzer = Analyzer(lexicon)
        vocab = self.postings.vocab
        v_old, n_old, a_old = len(vocab), len(self.passages), len(self.articles)
        ids: dict[str, int] = {}
        new_terms: list[str] = []

        def term_id(t: str) -> int:
            i = ids.get(t)
            if i is None:
                i = vocab.find(t) if v_old else -1
                if i < 0:
                    i = v_old + len(new_terms)
                    new_terms.append(t)
                ids[t] = i
            return i

        memo: dict[str, tuple[int, ...]] = {}

        def term_ids(text: str, start: int = 0, end: int | None = None) -> list[int]:
            out: list[int] = []
            for w in findall(text, start, len(text) if end is None else end):
                r = memo.get(w)
                if r is None:
                    r = memo[w] = tuple(term_id(t) for t in analyzer.tokens(w))
                out.extend(r)
            return out

        tokens = array("i")
        lens = array("i")
        spans = array("i")
        sent_ptr = array("q", [int(self.passages.sentence_ptr[-1])])
        sents = array("i")
        first = array("q")
        no_passage: list[str] = []
        for i, a in enumerate(new):
            first.append(n_old + len(lens))
            plist = passages(a.id, a.text, segment_article(a.text))
            if not plist:
                no_passage.append(a.id)
            prefix = [] if a.title_derived else term_ids(a.title)
            for p in plist:
                before = len(tokens)
                tokens.extend(prefix)
                tokens.extend(term_ids(a.text, p.start, p.end))
                lens.append(len(tokens) - before)
                spans.extend((a_old + i, p.start, p.end))
                for s in p.sentences:
                    sents.extend((s.start, s.end, s.paragraph))
                sent_ptr.append(sent_ptr[-1] + len(p.sentences))
            if progress is not None:
                progress(i + 1, len(new), "indexing")
        del memo, analyzer
        if progress is not None:
            progress(0, None, "computing BM25 statistics")
        postings = self.postings.extend(
            new_terms, np.frombuffer(tokens, dtype=np.int32), np.frombuffer(lens, dtype=np.int32)
        )
        store = self.articles.extend(new)
        first.append(n_old + len(lens))
        pstore = PassageStore(
            store.ids,
            np.concatenate((np.asarray(self.passages.spans), np.frombuffer(spans, np.int32).reshape(-1, 3))),
            np.concatenate((np.asarray(self.passages.sentence_ptr)[:-1], np.frombuffer(sent_ptr, np.int64))),
            np.concatenate((np.asarray(self.passages.sentences), np.frombuffer(sents, np.int32).reshape(-1, 3))),
            np.concatenate((np.asarray(self.passages.article_first)[:-1], np.frombuffer(first, np.int64))),
        )
        at = _now()
        step = {"at": at, "articles": len(new), "passages": len(lens), "sources": list(sources)}
        index = Index(
            store,
            pstore,
            postings,
            lexicon,
            at,
            self.sources + [s for s in sources if s not in self.sources],
            self.history + [step],
        )
        index.last_add = AddReport(len(new), len(lens), tuple(no_passage))
        return index

    # ----------------------------------------------------------------- searching
    @property
    def n_passages(self) -> int:
        return len(self.passages)

    def idf(self, term: str) -> float:
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
        """Search terms for analysed query ``terms``: each term, plus its clitic variants the index holds.

        The index strips a single-letter proclitic only when the bare word is attested, so a
        verb seen only as ``وافتتح`` stays whole; the query ``افتتح`` then also searches ``وافتتح``.
        Returns ``{search_term: query_term}``.
        """
        out: dict[str, str] = {}
        for t in terms:
            out.setdefault(t, t)
            for p in QUERY_PROCLITICS:
                if p + t in self.df:
                    out.setdefault(p + t, t)
        return out

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25Okapi score of every passage (``rank_bm25.BM25Okapi.get_scores`` on the passages' terms)."""
        return self.postings.scores(query_terms)

    def search(self, query_terms: Sequence[str], k: int = 10) -> list[Hit]:
        """The ``k`` best passages containing any of ``query_terms``, best first, ties in corpus order.

        Scores are rank-bm25's BM25Okapi. On tiny corpora its floored IDF can be negative (every
        term in more than half the passages), so a match is a non-zero score, not a positive one.
        """
        if not query_terms or not len(self.passages):
            return []
        scores = self.postings.scores(query_terms)
        best = top_k(scores, k).tolist()
        if len(best) < k:
            # A passage can hold a query term and still score exactly 0 (BM25Okapi's IDF is 0 for a
            # term in exactly half the passages of a tiny corpus): it still matches, after the rest.
            seen = set(best)
            for i in self.postings.matching(query_terms):
                if len(best) >= k:
                    break
                if i not in seen:
                    seen.add(i)
                    best.append(i)
        return [Hit(self.passages[i], float(scores[i])) for i in best]

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
        out = Path(directory)
        if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or (out / _MANIFEST).is_file())):
            raise IndexLoadError(out, f"{out} exists and is not a Sanad index", hint="Choose another --out directory.")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        try:
            files = self.articles.save(tmp) + self.passages.save(tmp) + self.postings.save(tmp)
            (tmp / "lexicon.txt").write_text("\n".join(sorted(self.analyzer.lexicon)), encoding="utf-8")
            files.append("lexicon.txt")
            manifest = {
                "format": "sanad-index",
                "format_version": FORMAT_VERSION,
                "analyzer_version": ANALYZER_VERSION,
                "sanad_version": __version__,
                "built_at": self.built_at,
                "params": asdict(self.params),
                "counts": {
                    "articles": len(self.articles),
                    "passages": len(self.passages),
                    "terms": len(self.postings.vocab),
                    "postings": len(self.postings.docs),
                },
                "sources": self.sources,
                "history": self.history,
                "files": {name: _sha256(tmp / name) for name in files},
            }
            (tmp / _MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            if out.exists():
                out.rename(old)
            tmp.rename(out)
            if old.exists():
                shutil.rmtree(old)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out

    @classmethod
    def load(cls, directory: str | Path, verify: bool = True) -> Index:
        """Load a saved index, checking its format, analyzer version and (``verify``) checksums."""
        d = Path(directory)
        manifest = read_manifest(d)
        sources = _sources(manifest)
        files = manifest.get("files")
        if not isinstance(files, dict) or not files:
            raise IndexLoadError(d, f"index manifest {d / _MANIFEST} lists no files", sources=sources)
        for name, digest in files.items():
            path = d / name
            if "/" in name or "\\" in name or name.startswith("."):
                raise IndexLoadError(d, f"index manifest {d / _MANIFEST} names a file outside the index ({name})", sources=sources)
            if not path.is_file():
                raise IndexLoadError(d, f"index file missing: {path}", sources=sources)
            if verify and _sha256(path) != digest:
                raise IndexLoadError(d, f"index file corrupted (checksum mismatch): {path}", sources=sources)
        try:
            params = BM25Params(**manifest["params"])
            store = ArticleStore.load(d)
            pstore = PassageStore.load(d, store.ids)
            postings = Postings.load(d, params)
            lexicon = frozenset((d / "lexicon.txt").read_text(encoding="utf-8").split("\n")) - {""}
            counts = manifest["counts"]
            if counts["articles"] != len(store) or counts["passages"] != len(pstore):
                raise ValueError("counts differ from the manifest")
            index = cls(store, pstore, postings, lexicon, manifest["built_at"], manifest.get("sources", []),
                        manifest.get("history", []))
        except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
            raise IndexLoadError(d, f"index at {d} cannot be read ({e})", sources=sources) from e
        return index


def read_manifest(d: Path) -> dict:
    """The manifest of a saved index, validated; raises :class:`IndexLoadError`."""
    path = d / _MANIFEST
    if not d.is_dir():
        raise IndexLoadError(d, f"no index directory at {d}", missing=True)
    if not path.is_file():
        raise IndexLoadError(d, f"{d} is not a Sanad index (no {_MANIFEST})", missing=True)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != "sanad-index":
            raise ValueError("not a sanad-index manifest")
    except (ValueError, UnicodeDecodeError) as e:
        raise IndexLoadError(d, f"index manifest {path} is corrupted ({e})") from e
    sources = _sources(manifest)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexLoadError(
            d, f"index at {d} has format version {manifest.get('format_version')}, this Sanad reads {FORMAT_VERSION}",
            sources=sources,
        )
    if manifest.get("analyzer_version") != ANALYZER_VERSION:
        raise IndexLoadError(
            d,
            f"index at {d} was analysed with analyzer version {manifest.get('analyzer_version')}, "
            f"this Sanad uses {ANALYZER_VERSION}",
            sources=sources,
        )
    return manifest


def _sources(manifest: dict) -> list[str]:
    """The corpus paths a manifest names (what a rebuild indexes again)."""
    sources = manifest.get("sources")
    return [s for s in sources if isinstance(s, str)] if isinstance(sources, list) else []
