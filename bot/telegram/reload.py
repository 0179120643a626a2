"""Index updates without downtime: the bot picks up an index rebuilt or extended in place.

When the bot serves a saved index (``SANAD_INDEX``), :class:`IndexWatcher` looks at its
``manifest.json`` every ``SANAD_INDEX_WATCH_SECONDS`` (and at once on ``SIGHUP``). ``sanad index
… --out DIR`` and ``--add`` write a new directory and rename it into place, so a changed
manifest (inode, size or mtime) means a new, complete index: it is loaded in the answer thread pool
and swapped in with one assignment (:meth:`~.handlers.SanadBot.swap_index`). Answers already
running finish on the index they started with (they hold their own reference to it); the next
question is answered from the new one. An index that fails to load (a half-copied directory, a
version mismatch) is logged and the bot keeps serving the old one until the manifest changes again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval import Index, SanadError

if TYPE_CHECKING:
    from .handlers import SanadBot

__all__ = ["IndexWatcher", "signature"]

log = logging.getLogger("bot.telegram")

Signature = tuple[int, int, int] | None


def signature(directory: Path) -> Signature:
    """``(inode, size, mtime ns)`` of the index's manifest, or None when there is none (yet)."""
    return Index.signature(directory)


class IndexWatcher:
    """Reloads ``directory`` into ``bot`` when its manifest changes (see the module docstring)."""

    def __init__(self, bot: SanadBot, directory: Path, interval: float) -> None:
        self.bot = bot
        self.directory = directory
        self.interval = interval
        self.seen = signature(directory)
        self.now = asyncio.Event()  # set by SIGHUP: look now
        self.reloads = 0

    async def run(self) -> None:
        """Watch until cancelled."""
        while True:
            try:
                await asyncio.wait_for(self.now.wait(), self.interval if self.interval > 0 else None)
            except TimeoutError:
                pass
            forced = self.now.is_set()
            self.now.clear()
            await self.check(forced)

    async def check(self, forced: bool = False) -> bool:
        """Reload if the manifest changed (or ``forced``); True when a new index was swapped in."""
        sig = signature(self.directory)
        if sig is None or (sig == self.seen and not forced):
            return False
        t0 = time.perf_counter()
        try:
            index = await self.bot.run(Index.load, self.directory)
        except (SanadError, OSError, ValueError) as e:
            log.warning("index at %s changed but cannot be loaded (still serving the previous one): %s", self.directory, e)
            self.seen = sig
            return False
        self.seen = sig
        self.bot.swap_index(index)
        self.reloads += 1
        log.info(
            "index reloaded from %s: %d articles, %d passages (built %s) in %.2f s",
            self.directory, len(index.articles), index.n_passages, index.built_at, time.perf_counter() - t0,
        )  # fmt: skip
        return True
