"""The front ends' side of indexing: opening the index the settings name (:func:`retrieval.build.open_index`)
and printing what was skipped while reading a corpus."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from retrieval import build
from retrieval.corpus import Problem, problem_counts
from retrieval.index import Index, ProgressFn

from .progress import Progress
from .settings import Settings

__all__ = ["PROBLEMS_LISTED", "Progress", "open_index", "report_problems"]

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


def open_index(
    settings: Settings,
    progress: ProgressFn | None = None,
    strict: bool = False,
    select: build.Select | None = None,
) -> Index:
    """The index to answer from: ``settings.index`` if set, else ``settings.corpus``, else the
    default corpus; what a corpus had to skip is printed on stderr."""
    report = build.open_index(
        settings.index, settings.corpus or (), progress=progress, strict=strict, select=select,
        tagger=settings.actors_backend,
    )
    if isinstance(progress, Progress):
        progress.close()
    report_problems(report.problems)
    return report.index
