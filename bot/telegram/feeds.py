"""The bot's news loop: read the feeds into the served index, match what readers follow, send alerts.

With ``SANAD_INDEX`` set, :class:`NewsLoop` runs beside the bot. Every tick (at most
:data:`TICK_S`) the replica holding the lease (``feeds:lease`` in the state store: one replica
reads feeds and sends alerts; the others take over within :data:`LEASE_S` of it stopping):

1. reads the feeds (``SANAD_FEEDS``, every ``SANAD_FEED_EVERY``) with :func:`bot.follow.follow_once`
   in the answer thread pool, and swaps the grown index in at once (:class:`~.reload.IndexWatcher`:
   the other replicas pick it up by its manifest);
2. matches the articles the served index gained since the last match (whatever added them: a
   feed read, ``sanad index --add``) against every chat's follows (:func:`retrieval.alerts.match`),
   and queues one alert per follow and story in the outbox (:func:`.follows.queue`). The index
   position matched up to is the record ``alerts:cursor``, moved only after the alerts are queued,
   so a restart in between matches those articles again (and queues nothing twice);
3. sends the outbox's alerts of chats not in quiet hours (:func:`.follows.deliver`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval import match_alerts as match

from ..errors import StateUnavailable
from . import follows

if TYPE_CHECKING:
    from ..settings import Settings
    from .handlers import SanadBot
    from .reload import IndexWatcher

from retrieval import added_since

__all__ = ["LEASE_S", "TICK_S", "NewsLoop", "feeds_text"]

log = logging.getLogger("bot.telegram")

#: The longest wait between two rounds (alerts held by quiet hours are looked at this often).
TICK_S = 10.0
#: The news lease lasts this long unless renewed (renewed every third of it, apart from the rounds,
#: so a long feed read never loses it): a replica or a restarted bot takes over within this.
LEASE_S = 15.0
CURSOR = "alerts:cursor"


class NewsLoop:
    """Feeds in, alerts out, on the replica holding the lease (see the module docstring)."""

    def __init__(self, bot: SanadBot, settings: Settings, watcher: IndexWatcher | None) -> None:
        from ..follow import Fetcher

        self.bot = bot
        self.settings = settings
        self.watcher = watcher
        self.feeds = settings.feed_urls
        self.every = settings.feed_seconds
        self.tick = min(TICK_S, self.every)
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.fetcher = Fetcher(allow_private=settings.feeds_allow_private) if self.feeds else None
        self.next_read = 0.0
        self.rounds = 0
        self.leading = False

    async def _renew(self) -> None:
        try:
            self.leading = await self.bot.state.claim("feeds:lease", self.owner, LEASE_S)
        except StateUnavailable:
            self.leading = False

    async def _hold(self) -> None:
        while True:
            await asyncio.sleep(LEASE_S / 3)
            await self._renew()

    async def run(self) -> None:
        """Rounds until cancelled; a failing round is logged and the next one tries again."""
        await self._renew()
        holder = asyncio.create_task(self._hold())
        try:
            while True:
                try:
                    await self.round()
                except StateUnavailable as e:
                    log.warning("news loop: %s; alerts wait until it is back", e)
                except Exception:
                    log.exception("news loop: this round failed; the next one tries again")
                await asyncio.sleep(self.tick)
        finally:
            holder.cancel()
            if self.leading:  # a clean stop hands the lease on at once (a killed bot's lapses)
                with contextlib.suppress(Exception):
                    await self.bot.state.claim("feeds:lease", self.owner, 0.001)
            if self.fetcher is not None:
                self.fetcher.close()

    async def round(self) -> None:
        """One round on the lease holder: match, read (when due), match, deliver."""
        if not self.leading:
            return
        loop = asyncio.get_running_loop()
        await self.match()  # what grew the index meanwhile (and the cursor, on the very first round)
        if self.feeds and self.settings.index is not None and loop.time() >= self.next_read:
            self.next_read = loop.time() + self.every
            if await self.read(Path(self.settings.index)):
                await self.match()
        await follows.deliver(self.bot)
        self.rounds += 1

    async def read(self, index_dir: Path) -> int:
        """Read every feed once (in a thread of its own: page fetches wait on hosts, not on answers);
        returns the articles added, served at once."""
        from ..follow import follow_once

        read = await asyncio.to_thread(follow_once, self.feeds, index_dir, self.fetcher, self.settings.actors_backend)
        for line in read.lines(index_dir):
            log.info("follow: %s", line)
        if read.added and self.watcher is not None:
            await self.watcher.check()  # serve the new reports now, not at the next watch
        return read.added

    async def match(self) -> int:
        """Queue the alerts of the articles the served index gained since the cursor; returns how many."""
        sanad = self.bot.sanad
        ids = sanad.index.articles.ids
        n = len(ids)
        cursor = await self.bot.state.get_record(CURSOR)
        new_ids = added_since(ids, int(cursor["n"]), cursor.get("last")) if cursor else None
        if new_ids is None:  # the first round, or the index was rebuilt: alerts follow what is added from now on
            if cursor:
                log.info("news loop: the index was rebuilt; alerts follow what is added from now on")
            await self.bot.state.put_record(CURSOR, {"n": n, "last": ids[n - 1] if n else None})
            return 0
        if not new_ids:
            return 0
        everyone = await follows.follows_of_all(self.bot)
        alerts = await self.bot.run(match, sanad, new_ids, everyone) if everyone else []
        queued = await follows.queue(self.bot, alerts)
        await self.bot.state.put_record(CURSOR, {"n": n, "last": ids[n - 1]})
        if new_ids:
            log.info("news loop: %d new articles, %d follows, %d alerts queued", len(new_ids), len(everyone), queued)
        return queued


def feeds_text(index_dir: str | Path, every: str) -> str:
    """The followed feeds (``/sources``): each one's last good read, newest article, and failures."""
    from retrieval import LRI, PDI

    from ..follow import FAILING_AFTER, load_state
    from .render import MAX_URL_CHARS, _cut, escape
    from .texts import MSG_FEEDS_HEADER

    lines = [MSG_FEEDS_HEADER.format(every=escape(every))]
    states = load_state(index_dir)
    if not states:
        lines.append("(لم تُقرأ بعد)")
    for url, st in sorted(states.items()):
        line = f"• {LRI}{escape(_cut(url, MAX_URL_CHARS))}{PDI}: آخر قراءة {escape(st.last_ok or 'لم تنجح بعد')}"
        line += f"، أحدث مقال {escape(st.newest or '—')}"
        if st.failures >= FAILING_AFTER:
            line += f" ⚠️ تفشل منذ {st.failures} قراءات ({escape(st.last_error or '')})"
        lines.append(line)
    return "\n".join(lines)
