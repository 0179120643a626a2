"""``sqlite:///path``: the default store, one file, for one bot process that restarts without
forgetting (in the container: on the state volume).

WAL journal, one connection, every value JSON text in a small schema (no pickle). The connection
lives on the store's own thread (a ``sqlite3`` connection belongs to one thread): every call is
queued there and awaited, so a file that is locked, full or slow delays the calls of the state,
never the event loop that answers every chat. A second process on the same file is safe (SQLite
locks) but is not the way to run replicas: use ``redis://``.

When the file misbehaves the call raises :class:`~retrieval.errors.StateUnavailable` naming the
real error and what to do (the bot then answers without its state):

* **locked** (an operator's ``sqlite3`` shell, a second bot on the file): a write waits
  :data:`BUSY_TIMEOUT_S` for the lock; after a call failed on a lock, :data:`BUSY_TIMEOUT_DOWN_S`
  only, until a write goes through again. Reads go on meanwhile (WAL readers take no lock);
* **slow or hung storage**: a call that has not returned in :data:`CALL_TIMEOUT_S` gives up, and
  while one is stuck that long the next calls fail at once instead of queueing behind it;
* **full** (``database or disk is full``): writes fail with that error; reads never write (a view's
  last use is refreshed only when that costs no wait, and a failure to refresh is ignored);
* **damaged** (garbage, a truncated or corrupted file): moved aside to
  ``PATH.corrupt-YYYYmmddTHHMMSS`` (with its ``-wal`` and ``-shm``) with an ERROR line, and a fresh
  state started there: at start (``PRAGMA quick_check``) and whenever a call finds the damage.
  The state is rebuildable (buttons expire, follow-ups are forgotten), the bot is not down.

Views are capped per chat (``chat_view_capacity``, a chat's own oldest go at once) and in all
(``view_capacity``, at each sweep, taken from the chats holding the most:
:func:`~.base.fair_shares`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from retrieval import ConfigError

from ...errors import StateUnavailable
from .base import (
    CHAT_VIEWS,
    UPDATE_TTL_S,
    VIEW_TTL_S,
    Bucket,
    StateStore,
    Take,
    fair_shares,
    refill,
)
from .sqlite_file import (
    BUSY,
    CHAT_INDEX,
    ERROR,
    LOCKED,
    MIGRATE_1,
    SCHEMA,
    SCHEMA_VERSION,
    TRANSIENT,
    code,
    damaged,
    move_aside,
    reason,
)  # fmt: skip

__all__ = ["SQLiteStore"]

log = logging.getLogger("bot.telegram.state")
T = TypeVar("T")

#: Expired rows are swept (and the views cut to ``view_capacity``) every this many writes.
SWEEP_EVERY = 200
#: How long a write waits for another process's lock (SQLite's busy timeout) ...
BUSY_TIMEOUT_S = 0.5
#: ... and while the last call failed on a lock (the lock is likely still held: fail fast).
BUSY_TIMEOUT_DOWN_S = 0.05
#: A call that has not returned in this long (slow or hung storage) is given up.
CALL_TIMEOUT_S = 5.0
#: A view's last use is refreshed on reading it only when older than this (a write per press saved).
TOUCH_AFTER_S = 60.0
class SQLiteStore(StateStore):
    """The state in one SQLite file, used from one thread of its own (see the module docstring)."""

    scheme = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        view_capacity: int = 5000,
        context_minutes: float = 30.0,
        chat_view_capacity: int = CHAT_VIEWS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(view_capacity=view_capacity, context_minutes=context_minutes, chat_view_capacity=chat_view_capacity)
        self.path = Path(path).expanduser()
        self.clock = clock
        self._writes = 0
        self._locked = False  # the last call failed on a lock: wait BUSY_TIMEOUT_DOWN_S
        self._busy_since: float | None = None  # when the call running on the thread started
        self._db: sqlite3.Connection | None = None
        self._closed = False
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="sanad-state")
        try:
            self._pool.submit(self._open).result()
        except BaseException:
            self._pool.shutdown(wait=False)
            raise

    def describe(self) -> str:
        return f"sqlite:///{self.path}"

    # ------------------------------------------------------------------ the connection (on the thread)
    def _open(self) -> None:
        """Open the file (on the store's thread); a damaged one is moved aside and started afresh;
        one locked, full or failing now is opened again by the first call that finds it usable."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise self._config_error(e) from None
        try:
            self._connect(check=True)
        except sqlite3.Error as e:
            self._close_db()
            if code(e) in TRANSIENT:
                log.warning("bot state file %s cannot be opened now: %s; trying again on each use", self.path, reason(e))
                return
            if not damaged(e):
                raise self._config_error(e) from None
            move_aside(self.path, e)
            try:
                self._connect(check=False)
            except sqlite3.Error as e2:
                self._close_db()
                raise self._config_error(e2) from None

    def _connect(self, check: bool) -> None:
        """Connect, switch to WAL, create or migrate the schema; ``check``: ``PRAGMA quick_check`` first."""
        db = self._db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        if check:
            (result,) = db.execute("PRAGMA quick_check(1)").fetchone()
            if result != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed ({result})")
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "views" in tables and "chat" not in {r[1] for r in db.execute("PRAGMA table_info(views)")}:
            row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() if "meta" in tables else None
            if row is not None and row[0] == 1:
                db.executescript("BEGIN IMMEDIATE;" + MIGRATE_1 + "COMMIT;")
        db.executescript(SCHEMA)
        db.execute(CHAT_INDEX)
        row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            self._close_db()
            raise ConfigError(
                f"SANAD_STATE_URL: {self.path} holds bot state of schema {row[0] if row else None}, this Sanad writes "
                f"{SCHEMA_VERSION}: move the file away (the bot starts with empty state)"
            )
        self._locked = False

    def _config_error(self, e: BaseException) -> ConfigError:
        """The one-line error for a file that cannot be used at all: its cause and the right fix."""
        if isinstance(e, sqlite3.Error) and code(e) == ERROR and not self.path.is_dir():
            what = f"is not Sanad's bot state ({e})"
            fix = "point SANAD_STATE_URL at a file of its own, or move this one away: the bot starts with empty state"
        else:
            what = f"cannot be opened: {reason(e) if isinstance(e, sqlite3.Error) else e}"
            fix = ("make its directory writable, e.g. mount the state volume at /data/state in a container, or set "
                   "SANAD_STATE_URL=memory:// to keep no state")  # fmt: skip
        return ConfigError(f"SANAD_STATE_URL: the SQLite state file {self.path} {what} ({fix})")

    def _close_db(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    def _job(self, fn: Callable[..., T], args: tuple) -> T:
        """Run ``fn(*args)`` on the thread: errors become :class:`StateUnavailable` naming them; a
        damaged file is moved aside and a fresh one opened for the next call."""
        self._busy_since = time.monotonic()
        try:
            if self._db is None:
                self._open_again()
            busy = BUSY_TIMEOUT_DOWN_S if self._locked else BUSY_TIMEOUT_S
            self._db.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")  # type: ignore[union-attr]
            return fn(*args)
        except sqlite3.Error as e:
            if code(e) in (BUSY, LOCKED):
                self._locked = True
            elif damaged(e):
                self._close_db()
                try:
                    move_aside(self.path, e)
                    self._open_again()
                except (ConfigError, StateUnavailable, sqlite3.Error, OSError) as again:
                    log.error("bot state file %s: %s", self.path, again)
            raise StateUnavailable(self.describe(), reason(e)) from None
        except ConfigError as e:
            raise StateUnavailable(self.describe(), str(e)) from None
        finally:
            self._busy_since = None

    def _open_again(self) -> None:
        try:
            self._connect(check=False)
        except sqlite3.Error:
            self._close_db()
            raise

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the store's thread, awaited without blocking the event loop."""
        started = self._busy_since
        if started is not None and (stuck := time.monotonic() - started) > CALL_TIMEOUT_S:
            reason = f"a call on the state file has not returned for {stuck:.0f} s (slow or hung storage?)"
            raise StateUnavailable(self.describe(), reason)
        try:
            future = asyncio.get_running_loop().run_in_executor(self._pool, self._job, fn, args)
        except RuntimeError:  # the pool is shut down
            raise StateUnavailable(self.describe(), "the state store is closed") from None
        try:
            return await asyncio.wait_for(future, CALL_TIMEOUT_S)
        except TimeoutError:
            reason = f"no answer from the state file in {CALL_TIMEOUT_S:.0f} s (slow or hung storage?)"
            raise StateUnavailable(self.describe(), reason) from None

    def _run(self, sql: str, args: tuple = ()) -> list[tuple]:
        """One statement, from any thread but the store's own (blocking: for tests and tools)."""
        return self._pool.submit(self._job, self._rows, (sql, args)).result()

    # ------------------------------------------------------------------ statements (on the thread)
    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        return self._db.execute(sql, args).fetchall()  # type: ignore[union-attr]

    def _transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(db)`` in one write transaction. A failed one is rolled back if SQLite has not done
        so itself (after SQLITE_FULL it may have): the error raised is the one that failed it."""
        db = self._db
        assert db is not None
        db.execute("BEGIN IMMEDIATE")
        try:
            value = fn(db)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                try:
                    db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise
        return value

    def _wrote(self) -> None:
        self._locked = False
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            try:
                self._sweep()
            except sqlite3.Error as e:  # the write went through; the next sweep tries again
                log.debug("sweeping %s failed: %s", self.path, e)

    def _sweep(self) -> None:
        """Drop expired rows; cut the views to ``view_capacity``, from the chats holding the most."""
        now = self.clock()

        def sweep(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM views WHERE at < ?", (now - VIEW_TTL_S,))
            counts = dict(db.execute("SELECT chat, count(*) FROM views GROUP BY chat").fetchall())
            for chat, keep in fair_shares(counts, self.view_capacity).items():
                self._cut(db, chat, keep)
            db.execute(
                "DELETE FROM views WHERE id IN (SELECT id FROM views ORDER BY at DESC LIMIT -1 OFFSET ?)",
                (self.view_capacity,),
            )  # only with more chats than capacity
            db.execute("DELETE FROM contexts WHERE expires < ?", (now,))
            db.execute("DELETE FROM updates WHERE at < ?", (now - UPDATE_TTL_S,))
            db.execute("DELETE FROM buckets WHERE at < ?", (now - 24 * 3600,))
            db.execute("DELETE FROM records WHERE expires < ?", (now,))

        self._transaction(sweep)

    @staticmethod
    def _cut(db: sqlite3.Connection, chat: int, keep: int) -> None:
        """Keep only the ``keep`` most recently used views of ``chat``."""
        db.execute(
            "DELETE FROM views WHERE id IN (SELECT id FROM views WHERE chat = ? ORDER BY at DESC, rowid DESC LIMIT -1 OFFSET ?)",
            (chat, keep),
        )

    def sweep(self) -> None:
        """Drop expired rows and cut the views to their capacities now (blocking: for tests and tools)."""
        self._pool.submit(self._job, self._sweep, ()).result()

    def _next_id(self) -> int:
        (value,) = self._rows("UPDATE meta SET value = value + 1 WHERE key='next_id' RETURNING value")[0]
        self._wrote()
        return int(value)

    def _get_view(self, view_id: str) -> dict | None:
        rows = self._rows("SELECT data, at FROM views WHERE id = ?", (view_id,))
        if not rows:
            return None
        data, at = rows[0]
        now = self.clock()
        if now - at > TOUCH_AFTER_S and not self._locked:  # best effort: never waits, never fails the read
            db = self._db
            assert db is not None
            try:
                db.execute("PRAGMA busy_timeout=0")
                db.execute("UPDATE views SET at = ? WHERE id = ?", (now, view_id))
            except sqlite3.Error:
                pass
        try:
            return json.loads(data)
        except ValueError:  # not what this store wrote: a stale button
            return None

    def _put_view(self, view_id: str, chat: int, data: str) -> None:
        def put(db: sqlite3.Connection) -> None:
            db.execute("INSERT OR REPLACE INTO views (id, data, at, chat) VALUES (?, ?, ?, ?)", (view_id, data, self.clock(), chat))
            self._cut(db, chat, self.chat_view_capacity)

        self._transaction(put)
        self._wrote()

    def _put_context(self, chat_id: int, data: str | None) -> None:
        if data is None:
            self._rows("DELETE FROM contexts WHERE chat = ?", (chat_id,))
        else:
            self._rows("INSERT OR REPLACE INTO contexts VALUES (?, ?, ?)", (chat_id, data, self.clock() + self.context_ttl_s))
        self._wrote()

    def _take(self, user: int, per_minute: float, burst: float, cost: float) -> Take:
        def take(db: sqlite3.Connection) -> Take:
            row = db.execute("SELECT tokens, at, notified FROM buckets WHERE user = ?", (user,)).fetchone()
            old = Bucket(row[0], row[1], bool(row[2])) if row else None
            bucket, taken = refill(old, self.clock(), per_minute, burst, cost)
            db.execute("INSERT OR REPLACE INTO buckets VALUES (?, ?, ?, ?)", (user, bucket.tokens, bucket.at, int(bucket.notified)))
            return taken

        taken = self._transaction(take)
        self._wrote()
        return taken

    def _done(self, update: str) -> None:
        self._rows("INSERT OR REPLACE INTO updates VALUES (?, ?)", (update, self.clock()))
        self._wrote()

    def _put_record(self, key: str, data: str | None, ttl_s: float | None) -> None:
        if data is None:
            self._rows("DELETE FROM records WHERE key = ?", (key,))
        else:
            expires = None if ttl_s is None else self.clock() + ttl_s
            self._rows("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", (key, data, expires))
        self._wrote()

    def _claim(self, key: str, owner: str, ttl_s: float) -> bool:
        def claim(db: sqlite3.Connection) -> bool:
            now = self.clock()
            row = db.execute("SELECT data FROM records WHERE key = ? AND (expires IS NULL OR expires >= ?)", (key, now)).fetchone()
            if row is not None and json.loads(row[0]).get("owner") != owner:
                return False
            db.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", (key, json.dumps({"owner": owner}), now + ttl_s))
            return True

        got = self._transaction(claim)
        self._wrote()
        return got

    def _close(self) -> None:
        self._close_db()

    # ------------------------------------------------------------------ the interface (coroutines)
    async def next_id(self) -> int:
        return await self._call(self._next_id)

    async def get_view(self, view_id: str) -> dict | None:
        return await self._call(self._get_view, view_id)

    async def put_view(self, view_id: str, data: dict, *, chat_id: int | None = None) -> None:
        await self._call(self._put_view, view_id, self.chat_of(data, chat_id), json.dumps(data, ensure_ascii=False))

    async def get_context(self, chat_id: int) -> dict | None:
        rows = await self._call(self._rows, "SELECT data FROM contexts WHERE chat = ? AND expires >= ?", (chat_id, self.clock()))
        return json.loads(rows[0][0]) if rows else None

    async def put_context(self, chat_id: int, data: dict | None) -> None:
        await self._call(self._put_context, chat_id, None if data is None else json.dumps(data, ensure_ascii=False))

    async def take(self, user: int, per_minute: float, burst: float, cost: float = 1.0) -> Take:
        return await self._call(self._take, user, per_minute, burst, cost)

    async def is_done(self, update: str) -> bool:
        return bool(await self._call(self._rows, "SELECT 1 FROM updates WHERE id = ? AND at >= ?", (update, self.clock() - UPDATE_TTL_S)))

    async def done(self, update: str) -> None:
        await self._call(self._done, update)

    async def get_record(self, key: str) -> dict | None:
        rows = await self._call(
            self._rows, "SELECT data FROM records WHERE key = ? AND (expires IS NULL OR expires >= ?)", (key, self.clock())
        )
        return json.loads(rows[0][0]) if rows else None

    async def put_record(self, key: str, data: dict | None, ttl_s: float | None = None) -> None:
        await self._call(self._put_record, key, None if data is None else json.dumps(data, ensure_ascii=False), ttl_s)

    async def record_keys(self, prefix: str) -> list[str]:
        rows = await self._call(
            self._rows,
            "SELECT key FROM records WHERE substr(key, 1, ?) = ? AND (expires IS NULL OR expires >= ?) ORDER BY key",
            (len(prefix), prefix, self.clock()),
        )
        return [r[0] for r in rows]

    async def claim(self, key: str, owner: str, ttl_s: float) -> bool:
        return await self._call(self._claim, key, owner, ttl_s)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            future = asyncio.get_running_loop().run_in_executor(self._pool, self._close)
            await asyncio.wait_for(future, CALL_TIMEOUT_S)
        except TimeoutError:
            log.warning("bot state file %s: still busy at close (slow or hung storage?)", self.path)
        finally:
            self._pool.shutdown(wait=False)
