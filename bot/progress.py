"""The progress line of long work on stderr (indexing a corpus, asking many questions).

Hand-written rather than ``rich.progress``: in a log (stderr not a terminal: a container, a CI
job, ``2> file``) rich draws nothing until the work ends and then one bar, where a log wants a
plain line every few seconds (count, rate, ETA) for work that takes minutes; and rich shows a
bar from the first call, where short work (the default corpus, a few questions) should print
nothing at all.
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]

_TTY_EVERY = 0.5  # seconds between rewrites of the line in place on a terminal
_SECONDS_PER_MINUTE = 60


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
        self.every = _TTY_EVERY if self.tty else log_every
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
    minutes, secs = divmod(round(seconds), _SECONDS_PER_MINUTE)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
