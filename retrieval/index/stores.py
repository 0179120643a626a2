"""The index's tables of articles and passages, on the columns of :mod:`retrieval.index.columns`
(their files are listed in :mod:`retrieval.index`)."""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

import numpy as np

from ..corpus import Article, ArticleMeta
from ..segment import Passage, Segment
from ..stories import NO_DAY
from .columns import (
    BlobColumn,
    Rows,
    StringColumn,
    StringTable,
    compress_text,
    decompress_text,
    load_array,
    save_array,
)
from .story_store import day_ordinal

__all__ = ["OPTIONAL_FIELDS", "SENTENCE_FIELDS", "SPAN_FIELDS", "ArticleStore", "PassageStore", "parsed_days"]

#: The article fields that may be absent (stored as "" with a flag saying whether they are set).
OPTIONAL_FIELDS = ("source", "url", "date")
_FLAGS = 1 + len(OPTIONAL_FIELDS)  # per article: title derived, then whether each optional field is set
#: Numbers per row of ``passages.npy`` (article position, start, end) and ``sentences.npy`` (start, end, paragraph).
SPAN_FIELDS = 3
SENTENCE_FIELDS = 3


def parsed_days(dates: Iterable[str | None]) -> np.ndarray:
    """Each date field as a day ordinal (``int32``; :data:`~retrieval.stories.NO_DAY` when it does
    not parse), each distinct text parsed once. Whether a day lies in the future is the reader's
    question (:meth:`ArticleStore.days_until`): the index keeps what the text says."""
    memo: dict[str | None, int] = {}
    out = []
    for d in dates:
        day = memo.get(d)
        if day is None:
            day = memo[d] = day_ordinal(d, date.max)
        out.append(day)
    return np.asarray(out, dtype=np.int32)


class ArticleStore(Mapping[str, Article]):
    """``article id -> Article``, decompressing an article's text when it is asked for."""

    _CACHE = 1024  # articles kept decompressed; the oldest is dropped first

    def __init__(
        self,
        ids: StringTable,
        titles: StringColumn,
        optional: dict[str, StringColumn],
        flags: np.ndarray,
        texts: BlobColumn,
        days: np.ndarray,
    ) -> None:
        n = len(ids)
        if len(titles) != n or len(texts) != n or len(flags) != n or len(days) != n or any(len(c) != n for c in optional.values()):
            raise ValueError("article columns differ in length")
        self.ids, self.titles, self.optional, self.flags, self.texts = ids, titles, optional, flags, texts
        #: Each article's date as a day ordinal, as its text says (``int32``, ``NO_DAY``: none or unparsable).
        self.days = days
        self._cache: dict[int, Article] = {}
        self._lock = threading.Lock()  # front ends answer from several threads

    @classmethod
    def empty(cls) -> ArticleStore:
        return cls.from_articles([])

    @classmethod
    def from_articles(cls, articles: Sequence[Article]) -> ArticleStore:
        flags = np.zeros((len(articles), _FLAGS), dtype=np.uint8)
        for i, a in enumerate(articles):
            flags[i] = [a.title_derived] + [getattr(a, f) is not None for f in OPTIONAL_FIELDS]
        return cls(
            StringTable.from_strings(a.id for a in articles),
            StringColumn.from_strings(a.title for a in articles),
            {f: StringColumn.from_strings(getattr(a, f) or "" for a in articles) for f in OPTIONAL_FIELDS},
            flags,
            BlobColumn.from_items(compress_text(a.text) for a in articles),
            parsed_days(a.date for a in articles),
        )

    def extend(self, articles: Sequence[Article]) -> ArticleStore:
        if not articles:
            return self
        new = ArticleStore.from_articles(articles)
        return ArticleStore(
            self.ids.extend(a.id for a in articles),
            StringColumn(self.titles.blob.concat(new.titles.blob)),
            {f: StringColumn(self.optional[f].blob.concat(new.optional[f].blob)) for f in OPTIONAL_FIELDS},
            np.concatenate((np.asarray(self.flags), new.flags)),
            self.texts.concat(new.texts),
            np.concatenate((np.asarray(self.days), new.days)),
        )

    def days_until(self, today: date) -> np.ndarray:
        """Each article's day ordinal, ``NO_DAY`` for a day after ``today`` (a typo or a placeholder:
        never the "latest" report), as :func:`~retrieval.index.story_store.day_ordinal` reads it."""
        days = np.asarray(self.days)
        return np.where(days > today.toordinal(), np.int32(NO_DAY), days).astype(np.int32)

    def position(self, article_id: str) -> int:
        return self.ids.find(article_id)

    def field_at(self, i: int, name: str) -> str | None:
        """One optional field (``source``, ``date``, ``url``...) of the ``i``-th article, without its text."""
        j = OPTIONAL_FIELDS.index(name)
        return self.optional[name][i] if self.flags[i][1 + j] else None

    def meta_at(self, i: int) -> ArticleMeta:
        """The ``i``-th article's id, title, source, url and date, without decompressing its text."""
        return ArticleMeta(self.ids[i], self.titles[i], *(self.field_at(i, f) for f in ("source", "url", "date")))

    def at(self, i: int) -> Article:
        """The ``i``-th article (corpus order)."""
        a = self._cache.get(i)
        if a is None:
            flags = self.flags[i].tolist()
            opt = {f: (self.optional[f][i] if flags[1 + j] else None) for j, f in enumerate(OPTIONAL_FIELDS)}
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
        for f in OPTIONAL_FIELDS:
            files += self.optional[f].save(d, f"{f}s")
        save_array(d / "article_flags.npy", self.flags)
        save_array(d / "days.npy", self.days)
        return files + ["article_flags.npy", "days.npy"] + self.texts.save(d, "texts")

    @classmethod
    def load(cls, d: Path) -> ArticleStore:
        return cls(
            StringTable.load(d, "article_ids"),
            StringColumn.load(d, "titles"),
            {f: StringColumn.load(d, f"{f}s") for f in OPTIONAL_FIELDS},
            load_array(d / "article_flags.npy"),
            BlobColumn.load(d, "texts"),
            load_array(d / "days.npy"),
        )


class _ArticleValues(Rows[Article]):
    """``articles.values()``: the articles in corpus order, a lazy sequence (``len``, index, slice):
    a page of a listing decompresses only the articles on it."""

    def __init__(self, store: ArticleStore) -> None:
        self._s = store

    def __len__(self) -> int:
        return len(self._s)

    def _item(self, i: int) -> Article:
        return self._s.at(i)

    def __iter__(self) -> Iterator[Article]:
        return (self._s.at(i) for i in range(len(self._s)))


class PassageStore(Rows[Passage]):
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

    @classmethod
    def empty(cls, ids: StringTable) -> PassageStore:
        """No passages (of no articles: ``ids`` is empty)."""
        no_rows = np.zeros((0, SPAN_FIELDS), np.int32)
        return cls(ids, no_rows, np.zeros(1, np.int64), np.zeros((0, SENTENCE_FIELDS), np.int32), np.zeros(1, np.int64))

    def extend(self, ids: StringTable, spans: array, sentence_ptr: array, sentences: array, article_first: array) -> PassageStore:
        """A new store: these passages, then those of the articles ``ids`` adds.

        The new rows come flat (``array`` of ``int32`` spans and sentences); ``sentence_ptr`` and
        ``article_first`` (``int64``) continue this store's: they start at its last value.
        """
        return PassageStore(
            ids,
            np.concatenate((np.asarray(self.spans), np.frombuffer(spans, np.int32).reshape(-1, SPAN_FIELDS))),
            np.concatenate((np.asarray(self.sentence_ptr)[:-1], np.frombuffer(sentence_ptr, np.int64))),
            np.concatenate((np.asarray(self.sentences), np.frombuffer(sentences, np.int32).reshape(-1, SENTENCE_FIELDS))),
            np.concatenate((np.asarray(self.article_first)[:-1], np.frombuffer(article_first, np.int64))),
        )

    def __len__(self) -> int:
        return len(self.spans)

    def article_sentences(self, position: int) -> list[tuple[int, int]]:
        """The ``(start, end)`` of every indexed sentence of the article at ``position``, in order."""
        first, last = self.article_first[position : position + 2].tolist()
        a, b = int(self.sentence_ptr[first]), int(self.sentence_ptr[last])
        return [(s, e) for s, e, _ in self.sentences[a:b].tolist()]

    def _item(self, i: int) -> Passage:
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
