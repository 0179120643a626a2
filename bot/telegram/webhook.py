"""The webhook receiver of both webhook modes: Telegram's POSTs, checked and bounded, handed to a sink.

A tornado server (tornado comes with PTB's webhooks extra) on ``SANAD_TELEGRAM_LISTEN:PORT``, used
instead of PTB's ``Updater.start_webhook`` in single-process webhook mode too (its sink is
:class:`LocalSink`, which feeds ``Application.update_queue``), because PTB's server reads a whole
body before it looks at the secret, accepts connections until the process runs out of file
descriptors and then logs a traceback per accept attempt:

* ``POST <path of SANAD_TELEGRAM_WEBHOOK_URL>`` with the right ``X-Telegram-Bot-Api-Secret-Token``:
  the update goes to the sink (replica mode: its chat's Redis stream, :mod:`.replicas`), then 200;
  503 when the sink cannot take it (Telegram retries); 400 for a body that is not a JSON update
  (or is over ``max_body``: refused unread);
  an update PTB cannot read (a field missing, a Bot API change the library lags behind) is parked
  by the sink (replica mode: the dead-letter stream) and answered 200, so Telegram does not
  retry what no retry can fix;
* anything else, the wrong or no secret included: 403 (404 for another path) as soon as the
  headers are in; the body is never read (the handler's ``prepare``);
* ``GET /healthz``: 200 while the sink is healthy (replica mode: Redis answers).

Bounds (:class:`Limits`): headers within ``header_timeout_s`` of a connection's start (or of its
previous request), a body within ``body_timeout_s``, bodies of at most ``max_body`` bytes,
at most ``max_connections`` open connections (by default half the process's file descriptors, at
most 256): a connection beyond that evicts the oldest one that has not sent a whole request's
headers yet (a slow or idle client), else it is closed. When accepting fails for want of file
descriptors, the cap drops below the connections open (:data:`.webhook_server.SPARE_FDS` left to the Bot API and
Redis, for :data:`.webhook_server.SHRUNK_S`), the oldest idle connections are closed down to it and accepting
pauses for a moment, instead of retrying at once and logging a traceback each time.
:func:`quiet_floods` lets a few lines of each kind through per minute on the receiver's, the
replicas', tornado's and asyncio's loggers, then counts the rest.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram import Bot, Update
from telegram.ext import Application

from retrieval import ConfigError

__all__ = ["FloodFilter", "Limits", "LocalSink", "Receiver", "Sink", "quiet_floods", "start_receiver"]

log = logging.getLogger("bot.telegram.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Loggers a hostile client or a lost resource could make write a line per request or per accept.
FLOOD_LOGGERS = (
    "bot.telegram.webhook", "bot.telegram.replicas", "tornado.access", "tornado.application",
    "tornado.general", "asyncio",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Limits:
    """What one connection may cost the receiver. Telegram's updates are a few KB, sent at once."""

    #: Largest request body read (Content-Length beyond it: the connection is closed unread).
    max_body: int = 1 << 20
    #: Largest request head (request line and headers).
    max_header: int = 16 << 10
    #: Seconds from a connection's start (or its previous response) to a whole request head.
    header_timeout_s: float = 10.0
    #: Seconds to receive a body once its headers are in.
    body_timeout_s: float = 10.0
    #: Open connections at most; ``None``: half the soft ``RLIMIT_NOFILE``, at most 256.
    max_connections: int | None = None
    #: Seconds accepting pauses after it failed for want of file descriptors (or memory).
    accept_pause_s: float = 0.1

    def connections(self) -> int:
        """The connection cap: ``max_connections``, or half the process's file descriptors (4 to 256)."""
        if self.max_connections is not None:
            return max(1, self.max_connections)
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        return 256 if soft == resource.RLIM_INFINITY else max(4, min(256, soft // 2))


# ---------------------------------------------------------------------------------------- logging
class FloodFilter(logging.Filter):
    """At most ``burst`` records of one kind (logger, level, message template) per ``period_s``;
    the first record of a later period says how many were suppressed in between."""

    def __init__(self, burst: int = 10, period_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.burst, self.period_s, self.clock = burst, period_s, clock
        self._kinds: dict[tuple[str, int, str], list[float]] = {}  # kind -> [window start, passed, suppressed]
        self.suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        key = (record.name, record.levelno, str(record.msg)[:60])
        kind = self._kinds.get(key)
        if kind is None or now - kind[0] >= self.period_s:
            if len(self._kinds) >= 1000:  # messages formatted before logging: forget stale kinds
                self._kinds = {k: v for k, v in self._kinds.items() if now - v[0] < self.period_s}
            held = int(kind[2]) if kind is not None else 0
            self._kinds[key] = [now, 1, 0]
            if held:
                try:
                    message = record.getMessage()
                except Exception:  # noqa: BLE001 - a malformed record: logging reports it itself
                    return True
                record.msg = f"{message} [{held} similar lines suppressed in the previous {self.period_s:g} s]"
                record.args = None
            return True
        if kind[1] < self.burst:
            kind[1] += 1
            return True
        kind[2] += 1
        self.suppressed += 1
        return False


_FLOODS = FloodFilter()


def quiet_floods(names: tuple[str, ...] = FLOOD_LOGGERS) -> FloodFilter:
    """Put the shared :class:`FloodFilter` on the loggers ``names`` (once); returns it."""
    for name in names:
        logger = logging.getLogger(name)
        if _FLOODS not in logger.filters:
            logger.addFilter(_FLOODS)
    return _FLOODS


# ---------------------------------------------------------------------------------------- sinks
class Sink(Protocol):
    """Where the receiver's updates go."""

    async def deliver(self, data: dict[str, Any], update: Update) -> None:
        """Take ``update`` (``data`` as Telegram sent it); raise when it cannot (the receiver answers 503)."""

    async def park(self, data: dict[str, Any], reason: str) -> None:
        """Set aside an update no one can answer (PTB cannot read it), with the reason."""

    async def healthy(self) -> bool:
        """Whether updates can be taken now (``GET /healthz``)."""

    async def dead_letters(self) -> int:
        """Updates parked so far (``sanad health`` shows them)."""


class LocalSink:
    """Single-process webhook mode: updates go to ``Application.update_queue``, as PTB's own webhook did."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.parked = 0

    async def deliver(self, data: dict[str, Any], update: Update) -> None:
        insert = getattr(self.app.bot, "insert_callback_data", None)
        if insert is not None:
            insert(update)
        await self.app.update_queue.put(update)

    async def park(self, data: dict[str, Any], reason: str) -> None:
        self.parked += 1
        log.warning("update %s dropped: %s (%d so far)", data.get("update_id"), reason, self.parked)

    async def healthy(self) -> bool:
        return True

    async def dead_letters(self) -> int:
        return self.parked


# ---------------------------------------------------------------------------------------- server
def _server_class():  # type: ignore[no-untyped-def]
    """The tornado ``HTTPServer`` subclass with the connection cap and the careful accept loop
    (:mod:`.webhook_server`: tornado is imported in webhook mode only)."""
    from .webhook_server import GuardedServer

    return GuardedServer


@dataclass
class Receiver:
    """A started receiver: its server, its sink and what it refused (``counts``)."""

    server: Any
    sink: Sink
    counts: dict[str, int] = field(default_factory=dict)
    serving: bool = True
    runner: asyncio.Task | None = None  # replica mode: the streams' consumer (stopped with the receiver)

    async def dead_letters(self) -> int:
        return await self.sink.dead_letters()

    def stop(self) -> None:
        """Stop accepting, close every open connection."""
        if not self.serving:
            return
        self.serving = False
        self.server.stop()
        for stream in list(self.server.open):
            stream.close()


def start_receiver(
    sink: Sink, bot: Bot, listen: str, port: int, path: str, secret: str, limits: Limits = Limits()
) -> Receiver:
    """Start the receiver on the running event loop; ``receiver.stop()`` stops it.

    ``bot`` reads updates (``Update.de_json``); :class:`ConfigError` when tornado is missing.
    """
    try:
        import tornado.web

        from .webhook_server import UpdateHandler
    except ImportError:
        raise ConfigError(
            "webhook mode needs python-telegram-bot's webhooks extra: "
            "pip install 'python-telegram-bot[webhooks]' (or unset SANAD_TELEGRAM_WEBHOOK_URL to poll)"
        ) from None
    quiet_floods()
    hook_path = "/" + path.strip("/")

    def log_request(handler: tornado.web.RequestHandler) -> None:
        if log.isEnabledFor(logging.DEBUG):
            request = handler.request
            ms = 1000 * request.request_time()
            log.debug("%d %s %s %.1f ms", handler.get_status(), request.method, request.path, ms)

    counts: dict[str, int] = {}  # what the server refused, and what the handler saw
    spec = {"sink": sink, "bot": bot, "hook_path": hook_path, "secret": secret, "counts": counts}
    app = tornado.web.Application([(r".*", UpdateHandler, spec)], log_function=log_request)
    server = _server_class()(
        app,
        xheaders=True,
        idle_connection_timeout=limits.header_timeout_s,  # tornado's header timeout too
        body_timeout=limits.body_timeout_s,
        max_body_size=limits.max_body,
        max_header_size=limits.max_header,
        max_buffer_size=limits.max_body + (256 << 10),
        max_connections=limits.connections(),
        accept_pause_s=limits.accept_pause_s,
    )
    counts.update(server.counts, forbidden=0, updates=0, parked=0, failed=0)
    server.counts = counts  # one dict: the server's refusals and the handler's counts
    server.listen(port, address=listen)
    return Receiver(server, sink, counts)


def describe(e: BaseException) -> str:
    """``Type: message`` of an exception, on one line and short."""
    text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return " ".join(text.split())[:300]
