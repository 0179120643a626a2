"""Opening the index the settings name (a saved index, a corpus to index, or the default corpus),
and building or extending a saved index (``sanad index``)."""

from __future__ import annotations

import gzip
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from retrieval.corpus import JSONL_SUFFIXES, TEXT_SUFFIXES, Article, Problem, iter_articles, load_default_corpus
from retrieval.errors import CorpusError
from retrieval.index import BM25Params, Index, ProgressFn

from .settings import Settings

__all__ = ["BuildReport", "Progress", "build_index", "count_articles", "open_index", "report_problems"]


class Progress:
    """A one-line progress report on stderr per stage (articles/s and ETA), shown only for long work.

    Called as ``progress(done, total, stage)``; ``total`` may be ``None`` (no ETA then), and
    ``progress(0, None, stage)`` announces a step that has no count. On a terminal the line is
    rewritten in place; in a log (not a terminal) a line is written every ``log_every`` seconds.
    """

    def __init__(
        self, label: str, stream=None, min_seconds: float = 1.0, log_every: float = 10.0, unit: str = "articles"
    ) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.created = time.perf_counter()
        self.min_seconds = min_seconds
        try:
            self.tty = bool(self.stream.isatty())
        except (AttributeError, ValueError):
            self.tty = False
        self.every = 0.5 if self.tty else log_every
        self.stage: str | None = None
        self.start = self.created
        self._last = 0.0
        self._open = False  # a line rewritten in place, not yet ended
        self.shown = False

    def __call__(self, done: int, total: int | None = None, stage: str | None = None) -> None:
        now = time.perf_counter()
        stage = stage or self.label
        if stage != self.stage:
            self._end_line()
            self.stage, self.start, self._last = stage, now, now
        long_work = now - self.created >= self.min_seconds
        if total is None and done == 0:  # a step without a count: one line, if the work is long
            if long_work:
                self.stream.write(f"{stage}...\n")
                self.stream.flush()
                self.shown = True
            return
        finished = total is not None and done >= total
        if not long_work or (not finished and now - self._last < self.every):
            return
        elapsed = now - self.start
        if finished and not self.shown and elapsed < self.min_seconds:
            return  # a quick stage of short work: nothing worth a line
        self._last = now
        rate = done / elapsed if elapsed > 0 else 0.0
        if finished:
            line = f"{stage}: {done:,} {self.unit} in {_duration(elapsed)}, {rate:,.0f}/s"
        elif total:
            eta = (total - done) / rate if rate else 0.0
            line = f"{stage}: {done:,}/{total:,} {self.unit} ({100 * done / total:.0f}%), {rate:,.0f}/s, ETA {_duration(eta)}"
        else:
            line = f"{stage}: {done:,} {self.unit}, {rate:,.0f}/s"
        if self.tty and not finished:
            self.stream.write(f"\r{line}   ")
            self._open = True
        else:
            self.stream.write(("\r" if self._open else "") + line + ("   \n" if self._open else "\n"))
            self._open = False
        self.stream.flush()
        self.shown = True

    def _end_line(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False

    def close(self) -> None:
        self._end_line()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _reason(message: str) -> str:
    """A problem's kind, without its details: ``not valid JSON (Expecting value)`` -> ``not valid JSON``."""
    return re.sub(r"\s*\(.*\)\s*$", "", message).strip() or message


def report_problems(problems: Sequence[Problem], stream=None, limit: int = 20) -> None:
    """Print what was skipped while loading a corpus, and why (each, then counts by reason)."""
    stream = stream or sys.stderr
    for p in problems[:limit]:
        stream.write(f"sanad: skipped {p}\n")
    if len(problems) > limit:
        stream.write(f"sanad: ... and {len(problems) - limit} more skipped\n")
    if len(problems) > 1:
        by_reason = Counter(_reason(p.message) for p in problems)
        summary = ", ".join(f"{n} {reason}" for reason, n in by_reason.most_common())
        stream.write(f"sanad: skipped {len(problems)} in all: {summary}\n")


def count_articles(paths: Iterable[str | Path]) -> int | None:
    """A quick upper bound of the articles under ``paths`` (lines of JSONL, ``.txt`` files), for ETAs.

    Reads compressed files once at full speed (a fraction of the indexing time); ``None`` when a
    path cannot be read (the indexing run reports why).
    """
    n = 0
    try:
        for raw in paths:
            path = Path(raw).expanduser()
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for f in files:
                if f.name.endswith(JSONL_SUFFIXES):
                    opener = gzip.open if f.name.endswith(".gz") else open
                    with opener(f, "rb") as fh:
                        last = b"\n"
                        for chunk in iter(lambda: fh.read(1 << 20), b""):
                            n += chunk.count(b"\n")
                            last = chunk[-1:]
                        n += last != b"\n"
                elif f.name.endswith(TEXT_SUFFIXES):
                    n += 1
    except (OSError, EOFError):
        return None
    return n


def _checked(articles: Iterator[Article], problems: list[Problem], strict: bool) -> Iterator[Article]:
    """``articles``, stopping with a :class:`CorpusError` at the first problem when ``strict``."""
    for a in articles:
        if strict and problems:
            break
        yield a
    if strict and problems:
        raise CorpusError(f"{problems[0]} (fix it, or index without --strict to skip bad lines)")


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What :func:`build_index` did."""

    index: Index
    problems: tuple[Problem, ...]
    added: int
    seconds: float


def build_index(
    paths: Sequence[str | Path],
    base: Index | None = None,
    strict: bool = False,
    progress: ProgressFn | None = None,
    params: BM25Params = BM25Params(),
) -> BuildReport:
    """Index the articles under ``paths``, streaming them from disk (``.jsonl.gz`` read directly).

    With ``base``, the articles are added to it (:meth:`Index.add`) instead of starting afresh.
    Raises :class:`CorpusError` when no path holds any article.
    """
    t0 = time.perf_counter()
    problems: list[Problem] = []
    total = count_articles(paths) if progress is not None else None
    articles = _checked(iter_articles(paths, problems), problems, strict)
    sources = [str(Path(p)) for p in paths]
    if base is None:
        index = Index.build(articles, params, progress=progress, sources=sources, total=total, problems=problems)
    else:
        index = base.add(articles, progress=progress, sources=sources, total=total, problems=problems)
    if isinstance(progress, Progress):
        progress.close()
    report = index.last_add
    added = report.articles if report else 0
    if not added and not (base is not None and problems):
        detail = f"; {len(problems)} problem(s), first: {problems[0]}" if problems else ""
        raise CorpusError(f"no articles found in {', '.join(str(p) for p in paths)}{detail}")
    return BuildReport(index, tuple(problems), added, time.perf_counter() - t0)


def open_index(settings: Settings, progress: ProgressFn | None = None, strict: bool = False) -> Index:
    """The index to answer from: ``settings.index`` if set, else ``settings.corpus``, else the default corpus."""
    if settings.index is not None:
        return Index.load(settings.index)
    if settings.corpus:
        report = build_index(settings.corpus, strict=strict, progress=progress)
        report_problems(report.problems)
        return report.index
    return Index.build(load_default_corpus())
