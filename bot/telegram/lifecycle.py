"""Running the bot: the PTB ``Application`` (token, timeouts, flood limiter), polling or webhook, start and stop.

``AIORateLimiter`` keeps outgoing messages under Telegram's flood limits; start-up errors become
one-line :class:`~retrieval.errors.ConfigError`; the token is never logged. Both webhook modes
receive Telegram's posts with the bounded receiver of :mod:`.webhook` (not PTB's
``Updater.start_webhook``): into ``Application.update_queue`` in one process, into the shared
Redis streams in replica mode (:mod:`.replicas`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.ext import AIORateLimiter, Application

from retrieval import ConfigError, Index, Sanad

from ..settings import Settings, options
from .config import (
    api_host,
    check_token,
    protect_secrets,
    quiet_http_loggers,
    webhook_secret,
)
from .handlers import SanadBot
from .reload import IndexWatcher
from .store import StateStore

__all__ = ["ALLOWED_UPDATES", "build_application", "receiver_of", "run_bot", "running", "serve"]

log = logging.getLogger("bot.telegram")

#: Updates the bot asks Telegram for (edited messages, channel posts... are not even fetched).
ALLOWED_UPDATES = ("message", "callback_query")
#: The webhook receiver of each running application (:func:`receiver_of`).
_RECEIVERS: dict[int, Any] = {}


def _remember_missing_sniffio() -> None:
    """httpcore 1.0 tries ``import sniffio`` on every request; when sniffio is not installed (anyio 4
    no longer needs it) each failed import scans sys.path, about 0.3 ms a request. A ``None`` in
    ``sys.modules`` makes that import fail at once, which is all httpcore checks for."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def flood_limiter(settings: Settings):  # type: ignore[no-untyped-def]
    """Telegram's outgoing limits: shared through Redis in replica mode, else PTB's ``AIORateLimiter``."""
    if replica_mode(settings):
        from .flood import SharedRateLimiter

        return SharedRateLimiter(settings.state_url or "", settings.telegram_max_rate)
    return AIORateLimiter(
        overall_max_rate=settings.telegram_max_rate,
        overall_time_period=1 if settings.telegram_max_rate else 0,
        max_retries=0,  # one retry layer: Transport.call retries RetryAfter (and network errors)
    )


def build_application(settings: Settings, index: Index, **bot_options: Any) -> tuple[Application, SanadBot]:
    """The PTB ``Application`` (token, base URL, timeouts, flood limiter, concurrency) and its :class:`SanadBot`."""
    token = check_token(settings)
    secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else ""
    protect_secrets(token, secret)
    quiet_http_loggers()
    _remember_missing_sniffio()
    bot = SanadBot(settings, Sanad(index, options(settings)), **bot_options)
    timeout = settings.telegram_timeout
    app = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram_base_url)
        .rate_limiter(flood_limiter(settings))
        .concurrent_updates(256)
        .connection_pool_size(settings.telegram_connections)  # PTB's 256 costs CPU: httpcore scans the pool
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .write_timeout(timeout)
        .pool_timeout(timeout)
        .get_updates_connect_timeout(timeout)
        .get_updates_read_timeout(timeout)
        .get_updates_write_timeout(timeout)
        .get_updates_pool_timeout(timeout)
        .post_init(bot.startup)
        .post_shutdown(bot.shutdown)
        .build()
    )
    bot.install(app)
    return app, bot


@contextlib.asynccontextmanager
async def running(app: Application, settings: Settings) -> AsyncIterator[Application]:
    """Start ``app`` (polling, or webhook when ``SANAD_TELEGRAM_WEBHOOK_URL`` is set); stop it on exit.

    PTB's own lifecycle: ``async with app`` initializes it and shuts it down; its ``post_init``,
    ``post_stop`` and ``post_shutdown`` hooks run where ``Application.run_polling`` runs them (PTB
    calls them only from its ``run_*`` methods, which own the event loop; the bot shares its loop
    with the heartbeat, the index watcher and the news loop). Start-up errors become one-line
    :class:`ConfigError`: a rejected token, an unreachable API, webhook mode without its
    dependency. The token is never part of a message.
    """
    host = api_host(settings)
    stack = contextlib.AsyncExitStack()
    try:
        await stack.enter_async_context(app)
    except InvalidToken:
        raise ConfigError(
            f"SANAD_TELEGRAM_TOKEN was rejected by the Bot API at {host}: check the token @BotFather gave you"
        ) from None
    except (TimedOut, NetworkError):
        raise ConfigError(
            f"cannot reach the Bot API at {host} ({type(sys.exc_info()[1]).__name__}): check SANAD_TELEGRAM_BASE_URL and the network"
        ) from None
    try:
        async with stack:  # PTB's shutdown on the way out
            receiver = None
            try:
                if app.post_init:
                    await app.post_init(app)
                if settings.telegram_webhook_url:
                    receiver = await _start_webhook(app, settings)
                    _RECEIVERS[id(app)] = receiver
                else:
                    await app.updater.start_polling(
                        timeout=timedelta(seconds=settings.telegram_poll_timeout),
                        allowed_updates=list(ALLOWED_UPDATES),
                        bootstrap_retries=3,
                    )
                    log.info("polling mode: long polls of %g s", settings.telegram_poll_timeout)
                await app.start()
                yield app
            finally:
                await _stop_receiver(app, receiver)
                await _stop(app)
    finally:
        if app.post_shutdown:
            await app.post_shutdown(app)


def receiver_of(app: Application) -> Any:
    """The webhook receiver (:class:`~.webhook.Receiver`) of a running ``app``; None when it polls."""
    return _RECEIVERS.get(id(app))


def replica_mode(settings: Settings) -> bool:
    """Several replicas behind one webhook, sharing Redis (:mod:`.replicas`)."""
    return bool(settings.telegram_webhook_url) and (settings.state_url or "").startswith(("redis://", "rediss://"))


async def _start_webhook(app: Application, settings: Settings) -> Any:
    """The receiver (its sink: the update queue, or the Redis streams in replica mode), then ``setWebhook``."""
    from .webhook import LocalSink, start_receiver

    url = settings.telegram_webhook_url or ""
    replicas = replica_mode(settings)
    if replicas and settings.telegram_webhook_secret is None:
        raise ConfigError(
            "replica mode (a webhook URL and a redis:// SANAD_STATE_URL) needs SANAD_TELEGRAM_WEBHOOK_SECRET, "
            "the same for every replica"
        )
    secret = webhook_secret(settings)
    protect_secrets(secret)
    if replicas:
        from .replicas import ReplicaQueue

        sink: Any = ReplicaQueue(settings.state_url or "", app)
    else:
        sink = LocalSink(app)
    path = urlsplit(url).path
    receiver = start_receiver(sink, app.bot, settings.telegram_listen, settings.telegram_port, path, secret)
    try:
        await _set_webhook(app, url, secret)
        if replicas:
            receiver.runner = asyncio.create_task(sink.run())
    except BaseException:
        receiver.stop()
        raise
    if replicas:
        from .store.redis import redact

        log.info(
            "replica mode: %s listening on %s:%d, updates shared through %s", sink.id, settings.telegram_listen,
            settings.telegram_port, redact(sink.url),
        )  # fmt: skip
    else:
        log.info(
            "webhook mode: listening on %s:%d, Telegram posts to %s", settings.telegram_listen, settings.telegram_port,
            urlsplit(url)._replace(query="", fragment="").geturl(),
        )  # fmt: skip
    return receiver


async def _set_webhook(app: Application, url: str, secret: str) -> None:
    """``setWebhook`` with the secret and :data:`ALLOWED_UPDATES`, retried by the one retry layer
    (:meth:`.transport.Transport.call`: flood limits up to 30 s, network errors; four attempts)."""
    from .transport import Transport

    retried = Transport(Counter(), max_attempts=4, max_retry_after=30.0)
    await retried.call(app.bot.set_webhook, url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))


async def _stop_receiver(app: Application, receiver: Any) -> None:
    _RECEIVERS.pop(id(app), None)
    if receiver is None:
        return
    receiver.stop()
    runner = getattr(receiver, "runner", None)
    if runner is not None:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def _stop(app: Application) -> None:
    """Stop receiving and handling (the updater, then the application, then its ``post_stop``);
    shutting down is ``async with app``'s."""
    with contextlib.suppress(Exception):
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
    with contextlib.suppress(Exception):
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)


async def serve(settings: Settings, index: Index, stop: asyncio.Event, store: StateStore | None = None) -> None:
    """Run the bot until ``stop`` is set; refresh ``SANAD_HEARTBEAT_FILE`` (bot/health.py) while it serves."""
    if settings.feeds and settings.index is None:
        raise ConfigError(
            "SANAD_FEEDS needs SANAD_INDEX: the index the feeds' new reports are added to "
            "(make it with: sanad follow --once --index DIR)"
        )
    app, bot = build_application(settings, index, store=store)
    async with running(app, settings):
        tasks = []
        heartbeat = getattr(settings, "heartbeat_file", None)
        if heartbeat is not None:
            from ..health import bot_probe, clear_heartbeat, heartbeat_loop

            receiver = receiver_of(app)
            tasks.append(asyncio.create_task(
                heartbeat_loop(heartbeat, settings.heartbeat_interval, lambda: bot_probe(app, settings, receiver))
            ))  # fmt: skip
        if settings.index is not None:
            from .feeds import NewsLoop

            watcher = IndexWatcher(bot, Path(settings.index), settings.index_watch_seconds)
            tasks.append(asyncio.create_task(watcher.run()))
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, watcher.now.set)
            tasks.append(asyncio.create_task(NewsLoop(bot, settings, watcher).run()))  # feeds in, alerts out
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if heartbeat is not None:
                clear_heartbeat(heartbeat)


def run_bot(settings: Settings, index: Index, store: StateStore | None = None) -> int:
    """``sanad telegram``: serve until SIGINT/SIGTERM; returns the exit code."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await serve(settings, index, stop, store)

    asyncio.run(main())
    return 0
