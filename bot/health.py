"""Liveness of the Telegram bot for container health checks: a heartbeat file and ``sanad health``.

The running bot refreshes a heartbeat file (``SANAD_HEARTBEAT_FILE``) every
``SANAD_HEARTBEAT_INTERVAL`` seconds, but only after a probe that means "the bot is serving":
the PTB application and its updater (or webhook receiver) are running, the Bot API answers
``getMe`` and, in webhook mode, the local webhook server accepts connections (:func:`bot_probe`).
``sanad health`` (:func:`check_heartbeat`) exits 0 while the heartbeat is younger than
``SANAD_HEARTBEAT_MAX_AGE``, else 1 with one line saying why; a container's ``HEALTHCHECK`` runs
it. Its line also counts the updates the webhook receiver parked as unreadable or unanswerable
(replica mode: the Redis stream ``sanad:dead``, all replicas'), which do not make the bot unhealthy.

Light to import: no PTB, no retrieval stack (the health check runs every 30 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

__all__ = ["bot_probe", "check_heartbeat", "clear_heartbeat", "heartbeat_loop", "write_heartbeat"]

log = logging.getLogger("bot.health")


def write_heartbeat(path: str | Path, **detail: Any) -> None:
    """Atomically write ``{"time": now, "pid": ..., **detail}`` to ``path`` (parent directories created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps({"time": time.time(), "pid": os.getpid(), **detail}), encoding="utf-8")
    os.replace(tmp, path)


def clear_heartbeat(path: str | Path) -> None:
    """Remove the heartbeat (on a clean stop), ignoring a file already gone."""
    with contextlib.suppress(OSError):
        Path(path).unlink()


def check_heartbeat(path: str | Path, max_age_s: float, now: float | None = None) -> tuple[bool, str]:
    """``(True, "ok: ...")`` when the heartbeat at ``path`` is at most ``max_age_s`` old, else ``(False, why)``."""
    path = Path(path)
    now = time.time() if now is None else now
    try:
        raw = path.read_text(encoding="utf-8")
        stamp = path.stat().st_mtime
    except FileNotFoundError:
        return False, f"no heartbeat at {path}: the bot has not started serving yet (or has stopped)"
    except OSError as e:
        return False, f"cannot read the heartbeat at {path}: {e.strerror or e}"
    data: Any = None
    try:
        data = json.loads(raw)
        stamp = float(data["time"])
    except (ValueError, TypeError, KeyError):
        pass  # an unreadable body: the file's modification time still says when it was written
    age = now - stamp
    if age > max_age_s:
        return False, (
            f"heartbeat at {path} is {age:.0f} s old (max {max_age_s:g} s): "
            "the bot is not polling or its webhook is not answering"
        )
    parked = data.get("dead_letters") if isinstance(data, dict) else None
    note = ""
    if isinstance(parked, int) and parked > 0:
        note = f"; {parked} updates parked as unreadable or unanswerable (see the bot's log; replicas: sanad:dead)"
    return True, f"ok: heartbeat {max(age, 0.0):.0f} s old{note}"


async def heartbeat_loop(
    path: str | Path,
    interval: float,
    probe: Callable[[], Awaitable[object]],
    timeout: float | None = None,
) -> None:
    """Forever: ``await probe()`` (within ``timeout``, default ``interval``); when it succeeds, write the heartbeat.

    The first probe runs at once, so a healthy bot has a heartbeat right after start-up. A failed
    probe is logged and leaves the heartbeat to age (the health check then fails). Cancel the task
    to stop it.
    """
    failing = False
    while True:
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation.
            async with asyncio.timeout(timeout or interval):
                detail = await probe()
            write_heartbeat(path, **(detail if isinstance(detail, dict) else {}))
            if failing:
                log.info("health probe succeeds again: heartbeat refreshed")
            failing = False
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - any failure means "not healthy now"
            if not failing:
                log.warning("health probe failed, heartbeat not refreshed: %s", _describe(e))
            failing = True
        await asyncio.sleep(interval)


def _describe(e: BaseException) -> str:
    if isinstance(e, TimeoutError | asyncio.TimeoutError):
        return "timed out"
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


async def bot_probe(app: Any, settings: Any, receiver: Any = None) -> dict:
    """The bot is serving: ``app`` (a PTB ``Application``) and its updater run (in webhook mode:
    ``receiver``, the webhook receiver of bot/telegram/webhook.py), ``getMe`` answers and, in webhook
    mode, the local webhook server accepts a connection. Raises otherwise.

    Returns the heartbeat's detail: the mode and, with a receiver, the updates it parked so far
    (``dead_letters``)."""
    if not getattr(app, "running", False):
        raise RuntimeError("the application is not running")
    updater = getattr(app, "updater", None)
    replica = getattr(settings, "telegram_webhook_url", None) and str(getattr(settings, "state_url", None) or "").startswith(
        ("redis://", "rediss://")
    )  # replica mode: its own receiver (bot/telegram/webhook.py), no PTB updater
    if receiver is not None:
        if not receiver.serving:
            raise RuntimeError("the webhook receiver is not running")
    elif not replica and (updater is None or not updater.running):
        raise RuntimeError("the updater is not running (no polling, no webhook)")
    await app.bot.get_me()
    mode = "polling"
    if getattr(settings, "telegram_webhook_url", None):
        mode = "webhook"
        host = settings.telegram_listen
        host = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
        _, writer = await asyncio.open_connection(host, settings.telegram_port)
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    if receiver is None:
        return {"mode": mode}
    return {"mode": mode, "dead_letters": await receiver.dead_letters()}
