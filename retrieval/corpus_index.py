"""The one path from corpus files to an :class:`~retrieval.index.Index`.

``sanad index``, the index a front end opens at start (a saved index, a corpus to index, or the
default corpus), ``sanad eval --holdout`` and the tests all come here. Corpus paths are read the
way :mod:`retrieval.corpus` reads them (one file walker, one ``strict`` rule), streamed from disk
(``.jsonl.gz`` read directly) unless a ``select`` function needs every article first.

Plain arguments only (paths, parameters, a progress callback): ``retrieval`` never imports the
front ends; they print the problems a :class:`BuildReport` lists.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .corpus import Article, Problem, load_default_corpus
from .corpus_files import (
    JSONL_SUFFIXES,
    TEXT_SUFFIXES,
    corpus_files,
    load_corpus,
    no_articles_error,
    read_articles,
)
from .index import DEFAULT_PARAMS, BM25Params, Index

if TYPE_CHECKING:  # building and tagging are imported when an index is built, not when one is opened
    from .index import ProgressFn
    from .index.tagging import TaggerSpec

__all__ = ["BuildReport", "Select", "build_index", "count_articles", "open_index"]

#: Chooses the articles to index from all of a corpus's (deduplicated, in corpus order):
#: ``sanad eval --holdout`` leaves a sample out.
Select = Callable[[list[Article]], Sequence[Article]]

_READ_CHUNK = 1 << 20  # bytes read at a time while counting lines


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What :func:`build_index` (or :func:`open_index`) did: the index, the skipped files and
    lines, the articles indexed by this call (0 for a loaded index) and the seconds it took."""

    index: Index
    problems: tuple[Problem, ...]
    added: int
    seconds: float


def _count_lines(path: Path) -> int:
    """Lines of a (possibly gzipped) file, a last line without a newline included."""
    opener = gzip.open if path.name.endswith(".gz") else open
    n = 0
    last = b"\n"
    with opener(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_READ_CHUNK), b""):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def count_articles(paths: Iterable[str | Path]) -> int | None:
    """A quick upper bound of the articles under ``paths`` (lines of JSONL, ``.txt`` files), for ETAs.

    Counts the files :func:`~retrieval.corpus_files.corpus_files` gives, so dotfiles and other files
    are left out as the indexing leaves them out. Reads compressed files once at full speed (a
    fraction of the indexing time); ``None`` when a path cannot be read (indexing says why).
    """
    n = 0
    try:
        for raw in paths:
            for f in corpus_files(Path(raw).expanduser(), []):
                if f.name.endswith(JSONL_SUFFIXES):
                    n += _count_lines(f)
                elif f.name.endswith(TEXT_SUFFIXES):
                    n += 1
    except (OSError, EOFError):
        return None
    return n


def build_index(
    paths: Sequence[str | Path],
    base: Index | None = None,
    strict: bool = False,
    progress: ProgressFn | None = None,
    params: BM25Params = DEFAULT_PARAMS,
    select: Select | None = None,
    tagger: TaggerSpec = "auto",
    workers: int | None = None,
) -> BuildReport:
    """Index the articles under ``paths``, streaming them from disk.

    With ``base``, the articles are added to it (:meth:`Index.add`) instead of starting afresh.
    With ``select``, every article is read first and only those ``select`` returns are indexed.
    ``strict``: a :class:`~retrieval.errors.CorpusError` at the first bad file or line instead
    of skipping it. ``tagger`` tags the actors of every new article beside the rules (a backend
    name, ``rules`` for the rules alone, or a loaded tagger) on up to ``workers`` processes.
    Raises :class:`~retrieval.errors.CorpusError` when no path holds any article.
    """
    t0 = time.perf_counter()
    sources = [str(Path(p)) for p in paths]
    if select is not None:
        if base is not None:
            raise ValueError("select chooses the articles of a new index: no base")
        load = load_corpus(paths, strict=strict)
        kept = select(load.articles)
        index = Index.build(kept, params, progress=progress, sources=sources, total=len(kept), tagger=tagger, workers=workers)
        return BuildReport(index, tuple(load.problems), len(kept), time.perf_counter() - t0)
    problems: list[Problem] = []
    total = count_articles(paths) if progress is not None else None
    articles = read_articles(paths, problems, strict)
    how = {"progress": progress, "sources": sources, "total": total, "problems": problems, "tagger": tagger, "workers": workers}
    index = Index.build(articles, params, **how) if base is None else base.add(articles, **how)
    added = index.last_add.articles if index.last_add else 0
    if not added and not (base is not None and problems):
        raise no_articles_error(paths, problems)
    return BuildReport(index, tuple(problems), added, time.perf_counter() - t0)


def open_index(
    index_dir: str | Path | None,
    corpus_paths: Sequence[str | Path] = (),
    *,
    progress: ProgressFn | None = None,
    strict: bool = False,
    select: Select | None = None,
    tagger: TaggerSpec = "auto",
) -> BuildReport:
    """The index to answer from: the saved index in ``index_dir`` if given, else an index of
    ``corpus_paths``, else of the default corpus (the five embedded Libya articles).

    ``select`` (an index built here, not a saved one) chooses the articles to index, ``tagger``
    tags their actors (a saved index holds the mentions it was built with).
    """
    t0 = time.perf_counter()
    if index_dir is not None:
        if select is not None:
            raise ValueError("select chooses the articles of an index built here, not of a saved one")
        return BuildReport(Index.load(index_dir), (), 0, time.perf_counter() - t0)
    if corpus_paths:
        return build_index(corpus_paths, strict=strict, progress=progress, select=select, tagger=tagger)
    articles = load_default_corpus()
    if select is not None:
        articles = list(select(articles))
    index = Index.build(articles, progress=progress, total=len(articles), tagger=tagger)
    return BuildReport(index, (), len(articles), time.perf_counter() - t0)
