"""Opening the index the settings name: a saved index, a corpus to index, or the default corpus."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from retrieval.corpus import Problem, load_corpus, load_default_corpus
from retrieval.index import BM25Params, Index, ProgressFn

from .settings import Settings

__all__ = ["Progress", "open_index", "report_problems"]


class Progress:
    """A one-line progress report on stderr (items/s and ETA), shown only for long work."""

    def __init__(self, label: str, stream=None, min_seconds: float = 1.0) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.min_seconds = min_seconds
        self._last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < self.min_seconds or (now - self._last < 0.5 and done < total):
            return
        self._last = now
        rate = done / elapsed if elapsed else 0.0
        eta = (total - done) / rate if rate else 0.0
        end = "\n" if done >= total else "\r"
        self.stream.write(f"{self.label}: {done}/{total} articles, {rate:,.0f}/s, ETA {eta:,.0f}s   {end}")
        self.stream.flush()
        self.shown = True


def report_problems(problems: Sequence[Problem], stream=None, limit: int = 20) -> None:
    """Print what was skipped while loading a corpus, and why."""
    stream = stream or sys.stderr
    for p in problems[:limit]:
        stream.write(f"sanad: skipped {p}\n")
    if len(problems) > limit:
        stream.write(f"sanad: ... and {len(problems) - limit} more skipped\n")


def open_index(settings: Settings, progress: ProgressFn | None = None, strict: bool = False) -> Index:
    """The index to answer from: ``settings.index`` if set, else ``settings.corpus``, else the default corpus."""
    if settings.index is not None:
        return Index.load(settings.index)
    if settings.corpus:
        load = load_corpus(settings.corpus, strict=strict)
        report_problems(load.problems)
        return Index.build(load.articles, BM25Params(), progress, sources=[str(Path(p)) for p in settings.corpus])
    return Index.build(load_default_corpus())
