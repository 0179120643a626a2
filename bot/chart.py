"""A timeline (:mod:`retrieval.timeline`) drawn as a PNG, for the bot and ``sanad timeline --out``.

Matplotlib 3.11 shapes text and orders it by the Unicode bidi algorithm itself (libraqm), so
labels are given in logical order, as typed: reshaping them first (``arabic_reshaper`` +
``python-bidi``, as the console does for terminals without bidi) would reverse them twice. The
chart reads right to left as Arabic does: time runs from the right edge (the oldest week) to the
left (the newest), and the counts' axis is on the right. The font is DejaVu Sans, shipped with
matplotlib, which has the Arabic letters.

Drawing takes about 0.1-0.3 s of CPU: :class:`ChartGate` bounds how many are drawn at once.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from retrieval import Timeline

__all__ = ["ChartBusy", "ChartGate", "timeline_png"]

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.6, 100
_FONT = "DejaVu Sans"
_BAR = "#1f6f8b"
_PEAK = "#d1495b"
_MONTHS_AR = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر")


class ChartBusy(Exception):
    """Every drawing slot is taken: ask again in a moment."""


class ChartGate:
    """At most ``slots`` charts drawn at once; a request beyond that is refused at once
    (:class:`ChartBusy`), never queued, so a burst of requests cannot pile work up."""

    def __init__(self, slots: int = 1) -> None:
        self._slots = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(blocking=False):
            raise ChartBusy("a chart is being drawn: ask again in a moment")
        try:
            yield
        finally:
            self._slots.release()


def _title(tl: Timeline) -> str:
    what = "ذكر" if tl.kind == "actor" else "تقارير عن"
    return f"{what} «{tl.label}» أسبوعياً — {tl.total} تقريراً"


def timeline_png(tl: Timeline) -> bytes:
    """The PNG of ``tl`` (one bar per week, the peak week marked). ``tl`` must have reports."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if tl.total == 0:
        raise ValueError("a timeline without reports has no chart")
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    ax = fig.add_subplot()
    xs = [w.start.toordinal() for w in tl.weeks]
    counts = [w.count for w in tl.weeks]
    peak = tl.peak
    colors = [_PEAK if peak is not None and w.start == peak.start else _BAR for w in tl.weeks]
    ax.bar(xs, counts, width=6, color=colors, align="edge")
    ax.invert_xaxis()  # right to left: the oldest week on the right
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # reports are counted, never fractions
    ax.yaxis.tick_right()
    ax.yaxis.set_label_position("right")
    ax.set_ylabel("تقارير في الأسبوع", fontname=_FONT)
    months = sorted({(w.start.year, w.start.month) for w in tl.weeks})
    ticks = [next(w.start.toordinal() for w in tl.weeks if (w.start.year, w.start.month) == ym) for ym in months]
    ax.set_xticks(ticks, [f"{_MONTHS_AR[m - 1]} {y}" for y, m in months], fontname=_FONT)
    ax.set_title(_title(tl), fontname=_FONT)
    if peak is not None:
        ax.annotate(str(peak.count), (peak.start.toordinal() + 3, peak.count), ha="center", va="bottom", color=_PEAK)
    for side in ("top", "left"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
