"""The bot's SQLite state file: its schema (and the one migration), what SQLite's errors on it
mean (:func:`reason`: SQLite's words, its code's name and what to do; :func:`damaged`: not a
sound database), and moving a damaged one aside (:func:`move_aside`). Used by
:class:`~.sqlite.SQLiteStore`."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from retrieval import ConfigError

__all__ = [
    "BUSY", "ERROR", "LOCKED", "CHAT_INDEX", "MIGRATE_1", "SCHEMA", "SCHEMA_VERSION", "TRANSIENT", "code", "damaged", "move_aside", "reason",
]  # fmt: skip

SCHEMA_VERSION = 2  # 2: views carry their chat (per-chat caps)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS views (id TEXT PRIMARY KEY, data TEXT NOT NULL, at REAL NOT NULL, chat INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS views_at ON views (at);
CREATE TABLE IF NOT EXISTS contexts (chat INTEGER PRIMARY KEY, data TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (user INTEGER PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL, notified INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS updates (id TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, data TEXT NOT NULL, expires REAL);
INSERT OR IGNORE INTO meta VALUES ('schema', 2), ('next_id', 0);
"""
#: Schema 1 to 2: views get their chat column (from the stored JSON; 0 where it has none).
MIGRATE_1 = """
ALTER TABLE views ADD COLUMN chat INTEGER NOT NULL DEFAULT 0;
UPDATE views SET chat = coalesce(json_extract(data, '$.chat'), 0) WHERE json_valid(data);
UPDATE meta SET value = 2 WHERE key = 'schema';
"""
CHAT_INDEX = "CREATE INDEX IF NOT EXISTS views_chat ON views (chat, at)"

#: SQLite's primary result codes this store tells apart.
ERROR, BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, NOTADB = 1, 5, 6, 8, 10, 11, 13, 26
#: Errors that may pass (the bot starts without its state and opens the file when it can).
TRANSIENT = (BUSY, LOCKED, FULL, IOERR)
_HINTS = {
    BUSY: "another process holds the state file's write lock (an sqlite3 shell? a second bot on the same file?)",
    LOCKED: "another connection holds the state file's lock",
    FULL: "free space on the state file's disk",
    READONLY: "make the state file and its directory writable",
    IOERR: "check the disk the state file is on",
}


def code(e: sqlite3.Error) -> int:
    """The primary SQLite result code of ``e`` (0 if it has none)."""
    return (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF


def reason(e: sqlite3.Error) -> str:
    """``e`` as SQLite says it, its code's name and what to do, e.g. ``database or disk is full
    (SQLITE_FULL): free space on the state file's disk``."""
    name = getattr(e, "sqlite_errorname", None)
    hint = _HINTS.get(code(e))
    return f"{e}" + (f" ({name})" if name else "") + (f": {hint}" if hint else "")


def damaged(e: sqlite3.Error) -> bool:
    """Whether ``e`` says the file is no (sound) SQLite database."""
    return code(e) in (CORRUPT, NOTADB) or "malformed" in str(e) or "not a database" in str(e)


def move_aside(path: Path, e: sqlite3.Error) -> None:
    """Move the damaged file ``path`` (and its -wal, -shm) to ``PATH.corrupt-TIMESTAMP``, saying so
    in an ERROR line; a file that cannot be moved is a :class:`ConfigError` saying what to do."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{path}{suffix}")
            if part.exists():
                part.rename(f"{aside}{suffix}")
    except OSError as os_error:
        raise ConfigError(
            f"SANAD_STATE_URL: the SQLite state file {path} is damaged ({e}) and cannot be moved aside "
            f"({os_error}): move it away (the bot starts with empty state)"
        ) from None
    logging.getLogger("bot.telegram.state").error(
        "bot state file %s is damaged (%s): moved aside to %s; starting with empty state "
        "(buttons of earlier messages say expired, follow-ups start afresh)",
        path, e, aside.name,
    )  # fmt: skip
