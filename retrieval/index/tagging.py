"""Tagging the new articles' actors at index time, on several cores for a large corpus.

Every article is tagged once (:func:`~retrieval.index.mentions.groups_of`: the rules plus the
configured tagger; :func:`choose_tagger` says which ``auto`` means for these articles and this
index), a chunk of articles at a time (their sentences decoded together). A corpus of :data:`POOL_MIN_ARTICLES` articles or more is tagged by a pool of
``workers`` processes (``spawn``: no state inherited from the parent, safe next to threads) over
chunks of articles, each worker loading its own tagger by backend name; results are taken in
article order, so the index is the same byte for byte whatever the number of workers. A smaller
corpus (the tests build many) is tagged in this process: no pool to start.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice

from ..actors.backend import (
    BACKENDS,
    LockedTagger,
    TaggerSpec,
    auto_for,
    get_tagger,
    resolve_tagger,
)
from ..errors import ModelLoadError
from .mentions import TYPES, ArticleGroups

__all__ = [
    "DEFAULT_WORKERS",
    "POOL_MIN_ARTICLES",
    "TaggerSpec",
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


def _init_worker(backend: str | None) -> None:
    global _worker_tagger
    _worker_tagger = None if backend is None else get_tagger(backend)  # type: ignore[arg-type]


def _tag_chunk(texts: list[str]) -> list[ArticleGroups]:
    return groups_of_texts(texts, _worker_tagger)


def _pooled(texts: Sequence[str], backend: str | None, workers: int) -> Iterator[list[ArticleGroups]]:
    """Chunks of results in order; at most two chunks per worker are in flight (bounded memory)."""
    chunks = (list(texts[i : i + _CHUNK]) for i in range(0, len(texts), _CHUNK))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(backend,)) as pool:
        pending: deque[Future] = deque(pool.submit(_tag_chunk, c) for c in islice(chunks, 2 * workers))
        while pending:
            done = pending.popleft().result()
            nxt = next(chunks, None)
            if nxt is not None:
                pending.append(pool.submit(_tag_chunk, nxt))
            yield done


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
