"""Running the bot: the PTB ``Application`` (token, timeouts, flood limiter), polling or webhook, start and stop.

``AIORateLimiter`` keeps outgoing messages under Telegram's flood limits; start-up errors become
one-line :class:`~retrieval.errors.ConfigError`; the token is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.ext import AIORateLimiter, Application

from retrieval.errors import ConfigError
from retrieval.index import Index
from retrieval.service import Sanad

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

__all__ = ["ALLOWED_UPDATES", "build_application", "run_bot", "running", "serve"]

log = logging.getLogger("bot.telegram")

#: Updates the bot asks Telegram for (edited messages, channel posts... are not even fetched).
ALLOWED_UPDATES = ("message", "callback_query")


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
        max_retries=3,
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

    Start-up errors become one-line :class:`ConfigError`: a rejected token, an unreachable API,
    webhook mode without its dependency. The token is never part of a message.
    """
    host = api_host(settings)
    try:
        await app.initialize()
    except InvalidToken:
        raise ConfigError(
            f"SANAD_TELEGRAM_TOKEN was rejected by the Bot API at {host}: check the token @BotFather gave you"
        ) from None
    except (TimedOut, NetworkError) as e:
        raise ConfigError(
            f"cannot reach the Bot API at {host} ({type(e).__name__}): check SANAD_TELEGRAM_BASE_URL and the network"
        ) from None
    replicas = None
    try:
        if app.post_init:
            await app.post_init(app)
        if replica_mode(settings):
            replicas = await _start_replica(app, settings)
        elif settings.telegram_webhook_url:
            secret = webhook_secret(settings)
            protect_secrets(secret)
            url = settings.telegram_webhook_url
            try:
                await app.updater.start_webhook(
                    listen=settings.telegram_listen,
                    port=settings.telegram_port,
                    url_path=urlsplit(url).path.lstrip("/"),
                    webhook_url=url,
                    secret_token=secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                    bootstrap_retries=3,
                )
            except RuntimeError as e:
                if "webhooks" in str(e):
                    raise ConfigError(
                        "webhook mode needs python-telegram-bot's webhooks extra: "
                        "pip install 'python-telegram-bot[webhooks]' (or unset SANAD_TELEGRAM_WEBHOOK_URL to poll)"
                    ) from None
                raise
            log.info(
                "webhook mode: listening on %s:%d, Telegram posts to %s",
                settings.telegram_listen,
                settings.telegram_port,
                urlsplit(url)._replace(query="", fragment="").geturl(),
            )
        else:
            await app.updater.start_polling(
                timeout=timedelta(seconds=settings.telegram_poll_timeout),
                allowed_updates=list(ALLOWED_UPDATES),
                bootstrap_retries=3,
            )
            log.info("polling mode: long polls of %g s", settings.telegram_poll_timeout)
        await app.start()
    except BaseException:
        await _stop_replica(replicas)
        await _stop(app)
        raise
    try:
        yield app
    finally:
        await _stop_replica(replicas)
        await _stop(app)


def replica_mode(settings: Settings) -> bool:
    """Several replicas behind one webhook, sharing Redis (:mod:`.replicas`)."""
    return bool(settings.telegram_webhook_url) and (settings.state_url or "").startswith(("redis://", "rediss://"))


async def _start_replica(app: Application, settings: Settings) -> tuple:
    from .replicas import ReplicaQueue
    from .webhook import start_receiver

    if settings.telegram_webhook_secret is None:
        raise ConfigError(
            "replica mode (a webhook URL and a redis:// SANAD_STATE_URL) needs SANAD_TELEGRAM_WEBHOOK_SECRET, "
            "the same for every replica"
        )
    secret = webhook_secret(settings)
    url = settings.telegram_webhook_url or ""
    queue = ReplicaQueue(settings.state_url or "", app)
    await app.bot.set_webhook(url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
    server = start_receiver(queue, settings.telegram_listen, settings.telegram_port, urlsplit(url).path, secret)
    runner = asyncio.create_task(queue.run())
    from .store.redis import redact

    log.info(
        "replica mode: %s listening on %s:%d, updates shared through %s", queue.id, settings.telegram_listen,
        settings.telegram_port, redact(queue.url),
    )  # fmt: skip
    return server, runner


async def _stop_replica(replicas: tuple | None) -> None:
    if replicas is None:
        return
    server, runner = replicas
    server.stop()
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)


async def _stop(app: Application) -> None:
    with contextlib.suppress(Exception):
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
    with contextlib.suppress(Exception):
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
    with contextlib.suppress(Exception):
        await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)


async def serve(settings: Settings, index: Index, stop: asyncio.Event, store: StateStore | None = None) -> None:
    """Run the bot until ``stop`` is set; refresh ``SANAD_HEARTBEAT_FILE`` (bot/health.py) while it serves."""
    app, bot = build_application(settings, index, store=store)
    async with running(app, settings):
        tasks = []
        heartbeat = getattr(settings, "heartbeat_file", None)
        if heartbeat is not None:
            from ..health import bot_probe, clear_heartbeat, heartbeat_loop

            tasks.append(asyncio.create_task(
                heartbeat_loop(heartbeat, settings.heartbeat_interval, lambda: bot_probe(app, settings))
            ))  # fmt: skip
        if settings.index is not None:
            watcher = IndexWatcher(bot, Path(settings.index), settings.index_watch_seconds)
            tasks.append(asyncio.create_task(watcher.run()))
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, watcher.now.set)
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
