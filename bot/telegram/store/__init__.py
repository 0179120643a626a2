"""Where the Telegram bot keeps its state, chosen by ``SANAD_STATE_URL``.

* ``sqlite:///path`` (relative; ``sqlite:////abs/path`` absolute; the default: :func:`default_url`, or ``/data/state/…`` in the container):
  one process, survives restarts (:mod:`.sqlite`);
* ``redis://host:port/db`` (``rediss://`` for TLS): several replicas share it (:mod:`.redis`);
* ``memory://``: this process only, gone at exit (tests) (:mod:`.memory`).

:func:`check_url` validates the address without opening anything (settings call it, so a wrong
value is one line and exit code 2); :func:`open_store` opens it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from retrieval import ConfigError

from .base import CHAT_VIEWS, StateStore, Take
from .memory import LRU, MemoryStore

__all__ = ["LRU", "MemoryStore", "StateStore", "Take", "check_url", "default_url", "open_store"]

SCHEMES = ("memory", "sqlite", "redis", "rediss")


def default_url() -> str:
    """``sqlite:///`` + ``$XDG_STATE_HOME/sanad/telegram.sqlite3`` (``~/.local/state`` without it)."""
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return f"sqlite:///{base / 'sanad' / 'telegram.sqlite3'}"


def check_url(url: str) -> str:
    """``url`` if it names a store this bot can open; :class:`ConfigError` (one line) otherwise."""
    parts = urlsplit(url)
    hint = "use memory://, sqlite:///PATH or redis://HOST:PORT/DB"
    if parts.scheme not in SCHEMES:
        raise ConfigError(f"SANAD_STATE_URL: unknown scheme {parts.scheme or '(none)'!r} in {url[:80]!r}: {hint}")
    if parts.scheme == "sqlite":
        if not url.startswith("sqlite:///") or not url[len("sqlite:///") :].strip("/"):
            raise ConfigError(f"SANAD_STATE_URL: {url[:80]!r} names no file: {hint} (three slashes, then the path)")
    elif parts.scheme.startswith("redis"):
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"SANAD_STATE_URL: {url[:80]!r} has a port that is not a number: {hint}") from None
        db = parts.path.strip("/")
        if not parts.hostname or (db and not db.isdigit()) or (port is not None and not 0 < port < 65536):
            raise ConfigError(f"SANAD_STATE_URL: {url[:80]!r} is not a Redis address: {hint}")
    return url


def sqlite_path(url: str) -> Path:
    """The file of ``sqlite:///PATH``, as SQLAlchemy reads it: ``sqlite:///state.db`` is relative,
    ``sqlite:////data/state.db`` (four slashes) absolute; ``~`` is expanded."""
    return Path(url[len("sqlite:///") :]).expanduser()


def open_store(
    url: str | None, *, view_capacity: int = 5000, context_minutes: float = 30.0, chat_view_capacity: int = CHAT_VIEWS
) -> StateStore:
    """The store ``url`` names (None: :func:`default_url`). :class:`ConfigError` if it cannot be opened.

    ``view_capacity`` views at most in all, ``chat_view_capacity`` per chat (:mod:`.base`)."""
    url = check_url(url or default_url())
    scheme = urlsplit(url).scheme
    sizes = {"view_capacity": view_capacity, "context_minutes": context_minutes, "chat_view_capacity": chat_view_capacity}
    if scheme == "memory":
        return MemoryStore(**sizes)
    if scheme == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore(sqlite_path(url), **sizes)
    from .redis import RedisStore

    return RedisStore(url, **sizes)
