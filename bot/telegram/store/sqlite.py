"""``sqlite:///path``: the default store, one file, for one bot process that restarts without
forgetting (in the container: on the state volume).

WAL journal, one connection, every value JSON text in a small schema (no pickle). Each call is one
short statement or transaction (well under a millisecond), run on the event loop's thread: there
is one writer, the bot. A second process on the same file is safe (SQLite locks) but is not the
way to run replicas: use ``redis://``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from retrieval.errors import ConfigError, StateUnavailable

from .base import UPDATE_TTL_S, VIEW_TTL_S, Bucket, StateStore, Take, refill

__all__ = ["SQLiteStore"]

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS views (id TEXT PRIMARY KEY, data TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS views_at ON views (at);
CREATE TABLE IF NOT EXISTS contexts (chat INTEGER PRIMARY KEY, data TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (user INTEGER PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL, notified INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS updates (id TEXT PRIMARY KEY, at REAL NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('schema', 1), ('next_id', 0);
"""
#: Expired rows are swept every this many writes.
SWEEP_EVERY = 200


class SQLiteStore(StateStore):
    """The state in one SQLite file (see the module docstring)."""

    scheme = "sqlite"

    def __init__(
        self, path: str | Path, *, view_capacity: int = 5000, context_minutes: float = 30.0, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(view_capacity=view_capacity, context_minutes=context_minutes)
        self.path = Path(path).expanduser()
        self.clock = clock
        self._writes = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            (version,) = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except (OSError, sqlite3.Error) as e:
            raise ConfigError(
                f"SANAD_STATE_URL: cannot open the SQLite state file {self.path}: {e} (make its directory writable, "
                "e.g. mount the state volume at /data/state in a container, or set SANAD_STATE_URL=memory:// to keep no state)"
            ) from None
        if version != SCHEMA_VERSION:
            raise ConfigError(
                f"SANAD_STATE_URL: {self.path} holds bot state of schema {version}, this Sanad writes {SCHEMA_VERSION}: "
                "move the file away (the bot starts with empty state)"
            )

    def describe(self) -> str:
        return f"sqlite:///{self.path}"

    def _run(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise StateUnavailable(self.describe(), str(e)) from None

    def _wrote(self) -> None:
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            self.sweep()

    def sweep(self) -> None:
        """Drop expired rows and the oldest views beyond ``view_capacity``."""
        now = self.clock()
        self._run("DELETE FROM views WHERE at < ?", (now - VIEW_TTL_S,))
        self._run(
            "DELETE FROM views WHERE id IN (SELECT id FROM views ORDER BY at DESC LIMIT -1 OFFSET ?)",
            (self.view_capacity,),
        )
        self._run("DELETE FROM contexts WHERE expires < ?", (now,))
        self._run("DELETE FROM updates WHERE at < ?", (now - UPDATE_TTL_S,))
        self._run("DELETE FROM buckets WHERE at < ?", (now - 24 * 3600,))

    async def next_id(self) -> int:
        (value,) = self._run("UPDATE meta SET value = value + 1 WHERE key='next_id' RETURNING value")[0]
        return int(value)

    async def get_view(self, view_id: str) -> dict | None:
        rows = self._run("UPDATE views SET at = ? WHERE id = ? RETURNING data", (self.clock(), view_id))
        return json.loads(rows[0][0]) if rows else None

    async def put_view(self, view_id: str, data: dict) -> None:
        self._run(
            "INSERT OR REPLACE INTO views VALUES (?, ?, ?)", (view_id, json.dumps(data, ensure_ascii=False), self.clock())
        )
        self._wrote()

    async def get_context(self, chat_id: int) -> dict | None:
        rows = self._run("SELECT data FROM contexts WHERE chat = ? AND expires >= ?", (chat_id, self.clock()))
        return json.loads(rows[0][0]) if rows else None

    async def put_context(self, chat_id: int, data: dict | None) -> None:
        if data is None:
            self._run("DELETE FROM contexts WHERE chat = ?", (chat_id,))
            return
        self._run(
            "INSERT OR REPLACE INTO contexts VALUES (?, ?, ?)",
            (chat_id, json.dumps(data, ensure_ascii=False), self.clock() + self.context_ttl_s),
        )
        self._wrote()

    async def take(self, user: int, per_minute: float, burst: float, cost: float = 1.0) -> Take:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT tokens, at, notified FROM buckets WHERE user = ?", (user,)).fetchone()
                old = Bucket(row[0], row[1], bool(row[2])) if row else None
                bucket, take = refill(old, self.clock(), per_minute, burst, cost)
                self._db.execute(
                    "INSERT OR REPLACE INTO buckets VALUES (?, ?, ?, ?)", (user, bucket.tokens, bucket.at, int(bucket.notified))
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            raise StateUnavailable(self.describe(), str(e)) from None
        return take

    async def is_done(self, update: str) -> bool:
        return bool(self._run("SELECT 1 FROM updates WHERE id = ? AND at >= ?", (update, self.clock() - UPDATE_TTL_S)))

    async def done(self, update: str) -> None:
        self._run("INSERT OR REPLACE INTO updates VALUES (?, ?)", (update, self.clock()))
        self._wrote()

    async def close(self) -> None:
        try:
            self._db.close()
        except sqlite3.Error:
            pass
