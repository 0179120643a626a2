"""The front ends' side of indexing: the index the front ends serve (:func:`served_index`, through :func:`retrieval.open_index`)
and printing what was skipped while reading a corpus.

With no ``SANAD_INDEX`` and no ``SANAD_CORPUS``, the five embedded articles are indexed at start;
that index is kept in ``$XDG_CACHE_HOME/sanad/`` (``~/.cache`` without it) under a key of the
index format, the actor tagger, and every source and data file of the ``retrieval`` package (an
edited gazetteer, rule or segmenter makes a new index; model weights count through their side
files' checksums), so the next start
loads it (about 0.1 s) instead of tagging and indexing again (about 1 s with the ``ensemble``
tagger). A cache that cannot be written (a read-only home, another process writing it now) or read
(stale, damaged) is skipped.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from retrieval import (
    Index,
    Problem,
    ProgressFn,
    SanadError,
    Select,
    index_writer,
    open_index,
    problem_counts,
    rest_lost,
)

from .progress import Progress
from .settings import Settings

__all__ = ["PROBLEMS_LISTED", "Progress", "default_index_cache", "served_index", "report_problems", "skipped_summary"]

log = logging.getLogger("bot.indexing")

#: Skipped files and lines listed one by one; the rest are counted.
PROBLEMS_LISTED = 20


def report_problems(problems: Sequence[Problem], stream=None, limit: int = PROBLEMS_LISTED) -> None:
    """Print what was skipped while loading a corpus, and why (each, then counts by reason)."""
    stream = stream or sys.stderr
    for p in problems[:limit]:
        stream.write(f"sanad: skipped {p}\n")
    if len(problems) > limit:
        stream.write(f"sanad: ... and {len(problems) - limit} more skipped\n")
    if len(problems) > 1:
        summary = ", ".join(f"{n} {reason}" for reason, n in problem_counts(problems))
        stream.write(f"sanad: skipped {len(problems)} in all: {summary}\n")
    for p in rest_lost(problems):  # loud: not one article lost, but every one after this line
        if logging.getLogger().hasHandlers():  # the bot's log (the command line has only stderr)
            log.error("corpus file %s could not be read past line %s: every article from there on is lost; "
                      "fix or replace the file, then index it again", p.path, p.line)
        stream.write(f"sanad: LOST the rest of {p.path} from line {p.line} on: fix or replace the file, then index it again\n")


def skipped_summary(problems: Sequence[Problem]) -> str:
    """`` (3 skipped, see above)`` for the final line of ``sanad index``, naming the files that
    could not be read to their end."""
    if not problems:
        return ""
    lost = rest_lost(problems)
    parts = [f"{len(problems) - len(lost)} skipped"] if len(problems) > len(lost) else []
    parts += [f"the rest of {p.path} from line {p.line} could not be read" for p in lost]
    return f" ({'; '.join(parts)}, see above)"


def served_index(
    settings: Settings,
    progress: ProgressFn | None = None,
    strict: bool = False,
    select: Select | None = None,
) -> Index:
    """The index to answer from: ``settings.index`` if set, else ``settings.corpus``, else the
    default corpus (cached: see the module docstring); what a corpus had to skip is printed on stderr."""
    cache = default_index_cache(settings.actors_backend) if not settings.index and not settings.corpus and select is None else None
    if cache is not None and cache.is_dir():
        try:
            return Index.load(cache)
        except (SanadError, OSError, ValueError) as e:
            log.info("cached default index at %s not used (%s): indexing again", cache, e)
    report = open_index(
        settings.index, settings.corpus or (), progress=progress, strict=strict, select=select,
        tagger=settings.actors_backend,
    )
    if isinstance(progress, Progress):
        progress.close()
    report_problems(report.problems)
    if cache is not None:
        try:
            with index_writer(cache, wait=0):  # another process caching it now: left to that one
                report.index.save(cache)
        except (SanadError, OSError) as e:
            log.info("default index not cached at %s: %s", cache, e)
    return report.index


def default_index_cache(backend: str) -> Path | None:
    """Where the embedded corpus's index is cached for actor backend ``backend`` (None: no cache dir)."""
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sanad"
    except RuntimeError:  # no home directory
        return None
    return base / f"default-index-{Index.inputs_digest(f'actors {backend}')[:16]}"
