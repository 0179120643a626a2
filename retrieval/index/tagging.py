"""Tagging the new articles' actors at index time, on several cores for a large corpus.

Every article is tagged once (:func:`~retrieval.index.mentions.groups_of`: the rules plus the
configured tagger; :func:`choose_tagger` says which ``auto`` means for these articles and this
index), a chunk of articles at a time (their sentences decoded together). A corpus of
:data:`POOL_MIN_ARTICLES` articles or more is tagged by a pool of ``workers`` processes (``spawn``:
no state inherited from the parent, safe next to threads) over chunks of articles, each worker
loading its own tagger by backend name, while this process reads and analyses the corpus
(:class:`Tagging`); results are taken in article order, so the index is the same byte for byte
whatever the number of workers. A smaller corpus (the tests build many) is tagged in this process:
no pool to start.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING

from ..actors.backend import (
    AUTO_BUDGET_TOKENS,
    BACKENDS,
    LockedTagger,
    TaggerSpec,
    auto_for,
    count_tokens,
    get_tagger,
    resolve_tagger,
)
from ..errors import ModelLoadError
from .mentions import TYPES, ArticleGroups, Tagged

if TYPE_CHECKING:
    from ..corpus import Article
    from .core import Index, ProgressFn

__all__ = [
    "DEFAULT_WORKERS",
    "POOL_MIN_ARTICLES",
    "TaggerSpec",
    "Tagging",
    "backend_name",
    "choose_tagger",
    "groups_of_texts",
    "resolve_tagger",
    "tag_texts",
]

#: Processes that tag a large corpus unless told otherwise.
DEFAULT_WORKERS = max(1, min(8, os.cpu_count() or 1))
#: Fewer new articles than this are tagged in this process.
POOL_MIN_ARTICLES = 300
_CHUNK = 32  # articles per task (and per call of the tagger: their sentences are tagged together)

_worker_tagger: LockedTagger | None = None  # a pool worker's own tagger
log = logging.getLogger(__name__)


def backend_name(tagger: LockedTagger | None) -> str:
    """What an index records of the tagger it was built with: its backend, or ``rules``."""
    return "rules" if tagger is None else tagger.name


def choose_tagger(tagger: TaggerSpec, texts: Sequence[str], recorded: str | None = None) -> LockedTagger | None:
    """The tagger new articles ``texts`` are tagged with (``None``: the rules alone).

    ``recorded`` is the tagger of the index they are added to (:func:`backend_name` of its last
    addition; ``None`` for a new index). ``auto`` keeps it, so one index is tagged by one tagger;
    for a new index ``auto`` is :func:`~retrieval.actors.backend.auto_for`'s choice by the size of
    ``texts``. Any other tagger is used as named, with a warning when it is not the index's.
    """
    if tagger == "auto":
        if recorded in (*BACKENDS, "rules") and recorded != "auto":
            try:
                return resolve_tagger(recorded)
            except ModelLoadError as e:
                chosen = resolve_tagger(auto_for(texts))
                log.warning("actors: the index was tagged with %s, unavailable here (%s): the new articles are "
                            "tagged with %s", recorded, e, backend_name(chosen))
                return chosen
        return resolve_tagger(auto_for(texts))
    chosen = resolve_tagger(tagger)
    if recorded is not None and backend_name(chosen) != recorded:
        log.warning("actors: the index was tagged with %s and the new articles are tagged with %s: its actors now "
                    "come from two taggers (SANAD_ACTORS_BACKEND=auto keeps the index's; rebuild to have one)",
                    recorded, backend_name(chosen))
    return chosen


def groups_of_texts(texts: Sequence[str], tagger: LockedTagger | None) -> list[ArticleGroups]:
    """:func:`~retrieval.index.mentions.groups_of` of each of ``texts``, their sentences tagged in
    one call of the tagger (:func:`~retrieval.actors.extract.article_actors_of`: the same groups, faster)."""
    from ..actors.extract import article_actors_of

    return [
        [(TYPES.index(g.actor.type), g.actor.text, g.actor.role or "", g.spans) for g in found]
        for found in article_actors_of(texts, tagger)
    ]


def _init_worker(backend: str | None, workers: int) -> None:
    global _worker_tagger
    if backend in ("neural", "ensemble"):  # the neural tagger's BLAS threads: cores shared by the workers
        from ..actors.neural import share_cores

        share_cores(workers)
    _worker_tagger = None if backend is None else get_tagger(backend)  # type: ignore[arg-type]


def _tag_chunk(texts: list[str]) -> list[ArticleGroups]:
    return groups_of_texts(texts, _worker_tagger)


def _pooled(texts: Sequence[str], backend: str | None, workers: int) -> Iterator[list[ArticleGroups]]:
    """Chunks of results in order; at most two chunks per worker are in flight (bounded memory)."""
    chunks = (list(texts[i : i + _CHUNK]) for i in range(0, len(texts), _CHUNK))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(backend, workers)) as pool:
        pending: deque[Future] = deque(pool.submit(_tag_chunk, c) for c in islice(chunks, 2 * workers))
        while pending:
            done = pending.popleft().result()
            nxt = next(chunks, None)
            if nxt is not None:
                pending.append(pool.submit(_tag_chunk, nxt))
            yield done


class Tagging:
    """The new articles' tagging, started while they are read (a context manager: the pool is shut
    down on leaving it, its unfinished work dropped after an error).

    :meth:`feed` passes the articles on to :func:`~retrieval.index.builder.read_pass` and keeps the
    text of each one that pass keeps (the first of each id the base index lacks). Once the tagger is
    known (named, the index's own, or ``auto`` past its token budget: :func:`choose_tagger`) and
    :data:`POOL_MIN_ARTICLES` articles are in, a pool of ``workers`` processes tags them a chunk at a
    time while this process reads and analyses the rest: on two cores, the reading and analysis no
    longer wait for the tagging. :meth:`finish` tags what is left and gives the mentions in article
    order, the same as tagging after reading (a pool or not, the same groups): if the articles read
    are not those fed (or nothing was fed), they are all tagged then.
    """

    def __init__(self, base: Index, tagger: TaggerSpec, workers: int | None = None) -> None:
        self.spec = tagger
        #: What the base index was tagged with (its last addition's ``actors``); None for a new index.
        self.recorded: str | None = base.history[-1].get("actors") if base.history and len(base.articles) else None
        self.workers = DEFAULT_WORKERS if workers is None else max(1, workers)
        self.tagger: LockedTagger | None = None
        self._decided = False
        self._base = base
        self._tagged = Tagged.after(base.mentions)
        self._ids: list[str] = []  # the new articles fed, in order
        self._texts: list[str] = []  # their texts not yet given to the pool
        self._tokens = 0  # counted while auto waits for its budget
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[tuple[Future, int]] = deque()  # a chunk's results, its number of articles
        self._collected = 0  # articles whose groups are in _tagged

    def __enter__(self) -> Tagging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut the pool down (work not started is dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._pending.clear()

    # ------------------------------------------------------------------ while reading
    def feed(self, articles: Iterable[Article]) -> Iterator[Article]:
        """``articles``, unchanged; the new ones are tagged meanwhile where a pool pays."""
        seen: set[str] = set()
        indexed = self._base.articles
        for a in articles:
            yield a
            if a.id in seen or a.id in indexed:  # what read_pass skips
                continue
            seen.add(a.id)
            self._ids.append(a.id)
            self._texts.append(a.text)
            if not self._decided:
                self._decide_early(a.text)
            if self._pool is None and self._decided and len(self._ids) >= POOL_MIN_ARTICLES and self._poolable():
                self._start()
            if self._pool is not None:
                self._submit(whole=False)
                self._drain(wait=False)

    def _decide_early(self, text: str) -> None:
        """Choose the tagger as soon as the setting, the index or ``auto``'s budget tells."""
        if self.spec == "auto" and not self._recorded_loads():
            self._tokens += count_tokens((text,), AUTO_BUDGET_TOKENS)
            if self._tokens <= AUTO_BUDGET_TOKENS:
                return  # still a small corpus: decided once it is read
        self.tagger = choose_tagger(self.spec, self._texts, self.recorded)
        self._decided = True

    def _recorded_loads(self) -> bool:
        if self.recorded not in (*BACKENDS, "rules") or self.recorded == "auto":
            return False
        try:
            resolve_tagger(self.recorded)
        except ModelLoadError:
            return False
        return True

    def _poolable(self) -> bool:
        return self.workers >= 2 and (self.tagger is None or self.tagger.name in BACKENDS)

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        backend = None if self.tagger is None else self.tagger.name
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=ctx, initializer=_init_worker, initargs=(backend, self.workers)
        )

    def _submit(self, whole: bool) -> None:
        """Give the pool the kept texts in chunks (the last one short when ``whole``)."""
        assert self._pool is not None
        while len(self._texts) >= _CHUNK or (whole and self._texts):
            chunk = self._texts[:_CHUNK]
            del self._texts[:_CHUNK]
            self._pending.append((self._pool.submit(_tag_chunk, chunk), len(chunk)))

    def _drain(self, wait: bool, progress: ProgressFn | None = None) -> None:
        """Take the pool's results in order: those ready, or (``wait``) all of them."""
        total = len(self._ids)
        while self._pending and (wait or self._pending[0][0].done()):
            future, _ = self._pending.popleft()
            self._add(future.result(), progress, total)

    def _add(self, groups: Iterable[ArticleGroups], progress: ProgressFn | None, total: int) -> None:
        a_old = len(self._base.articles)
        for g in groups:
            self._tagged.add(a_old + self._collected, g)
            self._collected += 1
            if progress is not None:
                progress(self._collected, total, "tagging actors")

    # ------------------------------------------------------------------ after reading
    def finish(self, articles: Sequence[Article], progress: ProgressFn | None = None) -> Tagged:
        """The mentions of ``articles`` (the new articles read, in order), their tagger recorded."""
        texts = [a.text for a in articles]
        if not self._decided:
            self.tagger = choose_tagger(self.spec, texts, self.recorded)
            self._decided = True
        if [a.id for a in articles] != self._ids:  # not what was fed: tag them all now
            self.close()
            self._tagged = Tagged.after(self._base.mentions)
            self._ids, self._texts, self._collected = [a.id for a in articles], texts, 0
        if progress is not None:
            progress(self._collected, len(self._ids), "tagging actors")
        if self._pool is None and len(self._texts) >= POOL_MIN_ARTICLES and self._poolable():
            self._start()
        if self._pool is not None:
            self._submit(whole=True)
            self._drain(wait=True, progress=progress)
        else:
            rest, self._texts = self._texts, []
            for i in range(0, len(rest), _CHUNK):
                self._add(groups_of_texts(rest[i : i + _CHUNK], self.tagger), progress, len(self._ids))
        self.close()
        self._tagged.backend = backend_name(self.tagger)
        return self._tagged


def tag_texts(texts: Sequence[str], tagger: LockedTagger | None, workers: int | None = None) -> Iterator[ArticleGroups]:
    """The groups of each of ``texts``, in order: in a pool of ``workers`` processes for
    :data:`POOL_MIN_ARTICLES` texts or more (and a tagger a worker can load by name), else here."""
    workers = DEFAULT_WORKERS if workers is None else max(1, workers)
    backend = None if tagger is None else tagger.name
    if workers < 2 or len(texts) < POOL_MIN_ARTICLES or (backend is not None and backend not in BACKENDS):
        for i in range(0, len(texts), _CHUNK):
            yield from groups_of_texts(texts[i : i + _CHUNK], tagger)
        return
    for chunk in _pooled(texts, backend, workers):
        yield from chunk
