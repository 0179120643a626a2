"""The bot's state store under faults (#21): a SQLite file locked by another process stops no
chat; a full one is one warning naming the real error, and old buttons still work; a garbage
file is moved aside and the bot answers; one chat storing thousands of pages expires no other
chat's (memory, SQLite and a real Redis alike)."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from fakebot import FakeBotAPI
from test_state import redis_server  # noqa: F401 - the real redis-server fixture
from test_telegram import Q_KOBLER, Q_MISRATA, button, edited, run_bot, shown

from bot.errors import StateUnavailable
from bot.telegram.store import MemoryStore, open_store
from bot.telegram.store.sqlite import SQLiteStore
from retrieval.index import Index

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]

#: Another process holding the state file's write lock (an operator's sqlite3 shell): it says
#: "locked" once it holds it, and lets go after argv[2] seconds (or when its stdin closes).
LOCKER = """
import sqlite3, sys, select
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]))
db.execute("ROLLBACK")
print("released", flush=True)
"""


async def _settled(bot) -> bool:
    """Whether the bot's state is available once its bookkeeping (after the reply went out) is done."""
    for _ in range(200):
        if bot.state.available:
            return True
        await asyncio.sleep(0.05)
    return False


def _state_lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.telegram.state" and words in r.getMessage()]


# ------------------------------------------------------------------------------ 5: a lock
def test_a_locked_state_file_stops_no_chat(default_index: Index, tmp_path: Path, caplog) -> None:
    """A second process holds the file's write lock for 20 s: meanwhile the event loop keeps
    ticking, another chat's question is answered and an old button pages, all before the lock
    is let go; one warning names the lock, one line says the state is back."""
    state = tmp_path / "state.sqlite3"

    async def scenario(server: FakeBotAPI, bot) -> None:
        first = await server.reply_to(Q_MISRATA, chat_id=1)
        loop = asyncio.get_running_loop()
        gaps: list[float] = []

        async def ticker() -> None:
            last = loop.time()
            while True:
                await asyncio.sleep(0.05)
                gaps.append(loop.time() - last)
                last = loop.time()

        locker = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LOCKER, str(state), "20", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        ticking = asyncio.create_task(ticker())
        try:
            assert await asyncio.wait_for(locker.stdout.readline(), 20) == b"locked\n"
            reply = await server.reply_to(Q_KOBLER, chat_id=2, timeout=15)  # another chat, during the lock
            assert "كوبلر" in shown(reply.params["text"])
            await server.press(first.result, button(first, "التالي"), timeout=15)  # an old button: a read
            page2 = await edited(server, first.result["message_id"], 0)
            assert shown(page2.params["text"]) != shown(first.params["text"])
            assert locker.returncode is None  # all of it while the lock was held
        finally:
            ticking.cancel()
            locker.stdin.close()  # let go now
            await asyncio.wait_for(locker.wait(), 20)
        assert (await locker.stdout.read()) == b"released\n"
        assert max(gaps) < 2.0, f"the event loop stood still for {max(gaps):.1f} s"
        assert not bot.state.available  # writes failed during the lock ...
        await server.reply_to(Q_MISRATA, chat_id=3)  # ... and go through again after it
        assert await _settled(bot)

    caplog.set_level(logging.WARNING)
    run_bot(default_index, scenario, timeout=90, state_url=f"sqlite:///{state}", telegram_user_rate=600)
    down = _state_lines(caplog, "unavailable")
    assert len(down) == 1 and "database is locked" in down[0], down
    assert len(_state_lines(caplog, "is back")) == 1


def test_a_store_call_waits_briefly_for_a_lock(tmp_path: Path) -> None:
    """At the store: a write under another connection's lock fails within a second (not SQLite's
    default 5 s), names the lock, and the event loop runs meanwhile; the next writes fail at once
    until the lock is gone; reads go on."""

    async def main() -> None:
        store = SQLiteStore(tmp_path / "state.sqlite3")
        other = sqlite3.connect(tmp_path / "state.sqlite3", isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        loop = asyncio.get_running_loop()
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        t0 = loop.time()
        with pytest.raises(StateUnavailable, match="database is locked"):
            await store.done("1:1")  # waits for the lock on the store's thread ...
        assert loop.time() - t0 < 2.0
        ticking.cancel()
        assert ticks >= 3, "the event loop stood still while the store waited for the lock"  # ... not on the loop's
        t0 = loop.time()
        for _ in range(5):
            with pytest.raises(StateUnavailable):
                await store.next_id()
        assert loop.time() - t0 < 2.0
        assert not await store.is_done("1:1")  # reads go on
        other.execute("ROLLBACK")
        await store.done("1:1")
        assert await store.is_done("1:1")
        other.close()
        await store.close()

    asyncio.run(main())


# ------------------------------------------------------------------------------ 9: a full file
def test_a_full_state_file_is_one_warning_naming_the_error(default_index: Index, tmp_path: Path, caplog) -> None:
    """SQLite's own full condition (``PRAGMA max_page_count`` on the bot's connection, the free
    pages used up): questions are answered, old buttons page, the log has one warning saying
    "database or disk is full" (not "cannot rollback") and one line when space is back."""
    state = tmp_path / "state.sqlite3"

    async def scenario(server: FakeBotAPI, bot) -> None:
        store = bot.state.store
        old = await server.reply_to(Q_MISRATA, chat_id=1)
        (pages,) = (await asyncio.to_thread(store._run, "PRAGMA page_count"))[0]
        await asyncio.to_thread(store._run, f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StateUnavailable, match="full"):  # use up the free pages left
            for i in range(10_000):  # the far future: no sweep deletes them
                await store._call(store._rows, "INSERT INTO updates VALUES (?, 1e12)", (f"filler-{i}-" + "ق" * 1500,))
        action, view, _, item = button(old, "التالي").split(":")
        for i in range(15):
            reply = await server.reply_to(Q_KOBLER if i % 2 else Q_MISRATA, chat_id=10 + i % 3)
            assert "<b>" in reply.params["text"]
            await server.press(old.result, f"{action}:{view}:{1 - i % 2}:{item}")  # pages 1, 0, 1, ...
        assert len(server.of("editMessageText")) == 15  # the old button paged every time (reads do not write)
        assert not bot.state.available
        await asyncio.to_thread(store._run, "PRAGMA max_page_count = 1073741823")  # space again
        await server.reply_to(Q_KOBLER, chat_id=20)
        assert await _settled(bot)

    caplog.set_level(logging.WARNING)
    run_bot(default_index, scenario, timeout=120, state_url=f"sqlite:///{state}", telegram_user_rate=600, telegram_user_burst=100)
    down = _state_lines(caplog, "unavailable")
    assert len(down) == 1 and "database or disk is full" in down[0], down
    assert len(_state_lines(caplog, "is back")) == 1
    assert "cannot rollback" not in caplog.text


# ------------------------------------------------------------------------------ 10: garbage
def test_a_garbage_state_file_is_moved_aside_and_the_bot_answers(default_index: Index, tmp_path: Path, caplog) -> None:
    state = tmp_path / "state.sqlite3"
    garbage = ("ليست قاعدة بيانات " * 400).encode() + os.urandom(4096)
    state.write_bytes(garbage)

    async def scenario(server: FakeBotAPI, bot) -> None:
        first = await server.reply_to(Q_MISRATA)
        await server.press(first.result, button(first, "التالي"))  # the fresh state keeps buttons
        await edited(server, first.result["message_id"], 0)
        assert bot.state.available and bot.state.outages == 0

    caplog.set_level(logging.WARNING)
    run_bot(default_index, scenario, state_url=f"sqlite:///{state}")
    aside = [p for p in tmp_path.glob("state.sqlite3.corrupt-*") if not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "moved aside" in errors[0] and aside[0].name in errors[0]


def test_a_damaged_state_database_is_moved_aside(tmp_path: Path, caplog) -> None:
    """A real SQLite file whose pages were overwritten (a torn write, bad storage): found by the
    check at start, moved aside, a fresh state works; a file of another program's tables is refused
    with the right hint (point SANAD_STATE_URL elsewhere), not "make its directory writable"."""
    from retrieval.errors import ConfigError

    state = tmp_path / "state.sqlite3"

    async def fill() -> None:
        store = SQLiteStore(state)
        for i in range(300):
            await store.put_view(f"v{i}", {"chat": 1, "text": "مصراتة " * 50})
        await store.close()

    asyncio.run(fill())
    with sqlite3.connect(state) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(state.read_bytes())
    data[8192:16384] = os.urandom(8192)  # pages 3 and 4 (4 KiB pages)
    state.write_bytes(bytes(data))
    caplog.set_level(logging.ERROR)

    async def again() -> None:
        store = SQLiteStore(state)
        assert await store.get_view("v1") is None
        await store.put_view("new", {"chat": 2, "text": "كوبلر"})
        assert await store.get_view("new") == {"chat": 2, "text": "كوبلر"}
        await store.close()

    asyncio.run(again())
    aside = [p.name for p in tmp_path.glob("state.sqlite3.corrupt-*")]
    assert len([n for n in aside if not n.endswith(("-wal", "-shm"))]) == 1, aside
    assert "moved aside" in caplog.text

    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE meta (a, b, c)")
    with pytest.raises(ConfigError) as e:
        SQLiteStore(foreign)
    assert "is not Sanad's bot state" in str(e.value) and "writable" not in str(e.value)


# ------------------------------------------------------------------------------ 11: one chat's pages
@pytest.fixture(params=["memory", "sqlite", "redis"])
def store_url(request, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite3'}"
    server = request.getfixturevalue("redis_server")
    import redis

    redis.Redis(port=server.port, db=2).flushdb()
    return f"redis://127.0.0.1:{server.port}/2"


def test_one_chat_storing_6000_pages_expires_no_other_chats(store_url: str) -> None:
    """The issue's numbers: 5,000 views in all; chat 1 stores 6,000 (an hour of "open" presses),
    chat 2's one page is still there; chat 1 keeps its newest, at most its cap."""

    async def main() -> None:
        store = open_store(store_url)
        await store.put_view("b-1", {"chat": 2, "text": "صفحة المحادثة الأخرى"})
        for i in range(6000):
            await store.put_view(f"a-{i}", {"text": "مصراتة"}, chat_id=1)
        if isinstance(store, SQLiteStore):
            await asyncio.to_thread(store.sweep)
        assert await store.get_view("b-1") == {"chat": 2, "text": "صفحة المحادثة الأخرى"}
        assert await store.get_view("a-5999") is not None and await store.get_view("a-0") is None
        assert await store.get_view(f"a-{5999 - store.chat_view_capacity}") is None
        assert await store.get_view(f"a-{6000 - store.chat_view_capacity}") is not None
        await store.close()

    asyncio.run(main())


def test_when_the_store_is_full_the_chats_holding_most_give_back(store_url: str) -> None:
    """Capacity 30 shared by three chats: the chat storing the most is cut to its fair share;
    the small chats keep everything."""

    async def main() -> None:
        store = open_store(store_url, view_capacity=30, chat_view_capacity=30)
        for i in range(5):
            await store.put_view(f"b-{i}", {"chat": 2})
        await store.put_view("c-0", {"chat": 3})
        for i in range(100):
            await store.put_view(f"a-{i}", {"chat": 1})
        if isinstance(store, SQLiteStore):
            await asyncio.to_thread(store.sweep)
        assert all([await store.get_view(f"b-{i}") for i in range(5)]) and await store.get_view("c-0")
        kept = [i for i in range(100) if await store.get_view(f"a-{i}") is not None]
        assert kept == list(range(76, 100))  # 30 - 5 - 1 = 24, the newest
        await store.close()

    asyncio.run(main())


def test_a_chat_asking_all_day_expires_no_other_chats_buttons(default_index: Index) -> None:
    """Through the bot: capacity 12 views; chat 1 asks 25 questions; chat 2's button still pages."""

    async def scenario(server: FakeBotAPI, bot) -> None:
        other = await server.reply_to(Q_MISRATA, chat_id=2)
        for i in range(25):
            await server.reply_to(Q_KOBLER if i % 2 else Q_MISRATA, chat_id=1)
        answered = await server.press(other.result, button(other, "التالي"))
        assert not answered.params.get("text")  # not "expired"
        await edited(server, other.result["message_id"], 0)
        assert bot.stats["callbacks_stale"] == 0

    run_bot(default_index, scenario, timeout=90, bot_options={"view_capacity": 12})


def test_memory_store_views_are_bounded_per_chat() -> None:
    store = MemoryStore(view_capacity=10, chat_view_capacity=4)

    async def main() -> None:
        for i in range(9):
            await store.put_view(f"a{i}", {"chat": 1})
        await store.put_view("b", {"chat": 2})
        await store.get_view("a5")  # used: kept over a6
        await store.put_view("a9", {"chat": 1})
        assert len(store) == 5 and [await store.get_view(f"a{i}") is not None for i in (5, 6, 7, 8, 9)] == [True, False, True, True, True]

    asyncio.run(main())
