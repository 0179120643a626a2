"""The bot's state store (SANAD_STATE_URL): the same contract on memory, SQLite and a real Redis;
a bot restarted on its SQLite file keeps buttons and follow-ups; ids never repeat; an update is
answered once; a store that is down is survived."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakebot import FakeBotAPI
from test_telegram import Q_KOBLER, TOKEN, button, edited, make_settings, shown

from bot.errors import StateUnavailable, exit_code
from bot.settings import load_settings
from bot.telegram import build_application, running
from bot.telegram.store import MemoryStore, StateStore, check_url, open_store
from bot.telegram.store.codec import view_from_json, view_to_json
from bot.telegram.views import AnswerView
from retrieval.answer import answer
from retrieval.corpus import ArticleMeta
from retrieval.errors import ConfigError
from retrieval.index import Index

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


# ------------------------------------------------------------------------------ a real Redis
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_server_binary() -> str | None:
    found = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if os.access(p, os.X_OK)), None
    )
    return found  # .ci/run installs it (Debian's redis-server); tests never install packages


class RedisServer:
    """``redis-server`` on 127.0.0.1 at a free port, in a temporary directory; ``stop``/``start`` again."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary, self.workdir, self.port = binary, workdir, _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    binary = _redis_server_binary()
    if binary is None:
        pytest.skip("SKIPPED, NOT TESTED: redis-server is not installed (Debian: apt-get install redis-server; .ci/run does)")
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


# ------------------------------------------------------------------------------ the contract
@pytest.fixture(params=["memory", "sqlite", "redis"])
def make_store(request, tmp_path: Path):
    """A function opening a store of the parametrized kind (a second call: a second process's view of it)."""
    if request.param == "memory":
        store = MemoryStore()
        return lambda: store
    if request.param == "sqlite":
        return lambda: open_store(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    server = request.getfixturevalue("redis_server")
    import redis

    redis.Redis(port=server.port, db=1).flushdb()
    return lambda: open_store(f"redis://127.0.0.1:{server.port}/1")


def test_every_store_keeps_the_same_contract(make_store) -> None:
    async def main() -> None:
        a, b = make_store(), make_store()  # b: another process (replica, or the bot after a restart)
        ids = [await a.next_id() for _ in range(3)] + [await b.next_id() for _ in range(3)]
        assert len(set(ids)) == 6 and ids == sorted(ids)
        view = {"v": 1, "kind": "sources", "text": "مصراتة"}
        await a.put_view("1a", view)
        assert await b.get_view("1a") == view and await b.get_view("zz") is None
        await a.put_context(7, {"actor": "كوبلر"})
        assert await b.get_context(7) == {"actor": "كوبلر"} and await b.get_context(8) is None
        await b.put_context(7, None)
        assert await a.get_context(7) is None
        takes = [await (a if i % 2 else b).take(42, per_minute=60, burst=3) for i in range(5)]
        assert [t.allowed for t in takes] == [True, True, True, False, False]  # one bucket for both
        assert [t.notify for t in takes[3:]] == [True, False] and 0 < takes[3].wait_s <= 1.01
        assert not await b.is_done("5:17")
        await a.done("5:17")
        assert await b.is_done("5:17") and not await b.is_done("6:17")
        # records (what a chat follows) and claims (one owner at a time), seen by the other process
        await a.put_record("follows:9", {"items": [{"kind": "actor", "text": "حفتر"}]})
        await a.put_record("follows:10", {"items": []})
        await a.put_record("quiet:9", {"from": 23}, ttl_s=0.05)
        assert (await b.get_record("follows:9"))["items"][0]["text"] == "حفتر" and await b.get_record("x") is None
        assert await b.record_keys("follows:") == ["follows:10", "follows:9"] and await b.record_keys("f*") == []
        await b.put_record("follows:10", None)
        assert await a.record_keys("follows:") == ["follows:9"]
        assert await a.claim("lease", "a", 60) and not await b.claim("lease", "b", 60)
        assert await a.claim("lease", "a", 0.05)  # renewed, shorter
        assert await b.claim("alerted:1", "b", 60)  # a fresh key: taken
        assert not await a.claim("alerted:1", "a", 60)  # taken once: b's
        await asyncio.sleep(0.2)
        assert await b.get_record("quiet:9") is None and await b.claim("lease", "b", 60)  # both expired
        await a.close()
        if b is not a:
            await b.close()

    asyncio.run(main())


def test_state_urls_are_checked_in_one_line() -> None:
    for good in ("memory://", "sqlite:///state.db", "sqlite:////data/state/telegram.sqlite3", "redis://redis:6379/0",
                 "redis://:pw@10.0.0.2:6380/3", "rediss://cache.example:6380"):  # fmt: skip
        assert check_url(good) == good
    for bad in ("postgres://x", "sqlite://", "sqlite:///", "redis://:6379/0", "redis://h:port/0", "redis://h:6379/db",
                "state.db", ""):  # fmt: skip
        with pytest.raises(ConfigError) as e:
            check_url(bad)
        assert "\n" not in str(e.value) and "SANAD_STATE_URL" in str(e.value)
    with pytest.raises(ConfigError, match="SANAD_STATE_URL"):
        load_settings(state_url="mysql://db/sanad")


@pytest.mark.integration
def test_wrong_state_url_stops_sanad_telegram_with_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    for url in ("redis//localhost", f"sqlite:///{tmp_path / 'file-not-dir' / 'x.db'}"):
        (tmp_path / "file-not-dir").write_text("a file where a directory should be")
        env.update(SANAD_TELEGRAM_TOKEN=TOKEN, SANAD_STATE_URL=url)
        proc = subprocess.run([sys.executable, "-m", "bot.cli", "telegram"], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "SANAD_STATE_URL" in lines[0] and "Traceback" not in proc.stderr


def test_views_round_trip_and_refuse_an_article_that_left_the_index(default_index: Index) -> None:
    ans = answer(Q_KOBLER, default_index)
    view = AnswerView(id="3f", chat_id=1, message_id=9, answer=ans, header=("<b>x</b>",), question="وماذا؟")
    data = view_to_json(view)
    back = view_from_json(data, default_index.articles)
    assert back == view
    gone = {k: v for k, v in default_index.articles.items() if k != ans.results[0].article.id}
    assert view_from_json(data, gone) is None
    assert view_from_json({"v": 99}, default_index.articles) is None and view_from_json("junk", {}) is None


def test_a_stored_answer_keeps_its_story(default_index: Index) -> None:
    """«نُشر أيضاً في …» survives a button press: the other reports of a result's story are stored
    with the view (they were dropped, so a page after any button lost them)."""
    ans = answer(Q_KOBLER, default_index)
    other = ArticleMeta("snn-77", "كوبلر يلتقي حفتر في القاهرة", "الوسط", "https://example.org/77", "2015-11-03")
    first = dataclasses.replace(ans.results[0], also_reported_in=(other, ArticleMeta("snn-78", "تقرير", None, None, None)))
    ans = dataclasses.replace(ans, results=(first, *ans.results[1:]))
    view = AnswerView(id="40", chat_id=1, message_id=9, answer=ans, header=("<b>x</b>",), question="وماذا؟")
    data = view_to_json(view)
    back = view_from_json(json.loads(json.dumps(data)), default_index.articles)
    assert back == view and back.answer.results[0].also_reported_in[0] == other


# ------------------------------------------------------------------------------ the bot
def _restart_run(index: Index, scenario, **settings) -> None:
    """Run ``scenario(server, start_bot)``: ``start_bot()`` starts a new bot process's Application
    on the same settings (a restart), returning an async context manager."""

    async def main() -> None:
        async with FakeBotAPI(TOKEN) as server:
            s = make_settings(server, **settings)

            def start_bot():
                app, bot = build_application(s, index, retry_base_delay=0.05)
                return running(app, s), bot

            await asyncio.wait_for(scenario(server, start_bot), 60)

    asyncio.run(main())


@pytest.mark.integration
def test_buttons_and_follow_ups_survive_a_restart_on_sqlite(default_index: Index, tmp_path: Path) -> None:
    async def scenario(server: FakeBotAPI, start_bot) -> None:
        ctx, bot = start_bot()
        async with ctx:
            first = await server.reply_to(Q_KOBLER)
            second = await server.reply_to("ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟")
        ids_before = {d.split(":")[1] for c in (first, second) for d in (b["callback_data"] for r in
                      c.params["reply_markup"]["inline_keyboard"] for b in r) if ":" in d}  # fmt: skip
        ctx, bot = start_bot()  # a new process on the same state file
        async with ctx:
            await server.press(second.result, button(second, "التالي"))
            page2 = await edited(server, second.result["message_id"], 0)
            assert shown(page2.params["text"]) != shown(second.params["text"])
            await server.press(first.result, button(first, "المقال كاملاً"))
            article = await edited(server, first.result["message_id"], 0)
            assert "كوبلر" in shown(article.params["text"])
            assert bot.stats["callbacks"] == 2 and bot.stats["callbacks_stale"] == 0
            follow = await server.reply_to("وماذا قال أيضاً؟")  # the context of before the restart holds?
            # The chat's last answer is the Misrata one; its first actor is the follow-up's subject.
            assert shown(follow.params["text"]).startswith("في سياق سؤالك السابق عن:")
            third = await server.reply_to(Q_KOBLER)
        ids_after = {d.split(":")[1] for d in (b["callback_data"] for r in third.params["reply_markup"]["inline_keyboard"]
                     for b in r) if ":" in d}  # fmt: skip
        assert ids_before.isdisjoint(ids_after)  # ids never restart: an old button names no new view

    _restart_run(default_index, scenario, state_url=f"sqlite:///{tmp_path / 'state.sqlite3'}")


@pytest.mark.integration
def test_a_button_acts_only_on_its_own_message(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, start_bot) -> None:
        ctx, bot = start_bot()
        async with ctx:
            a = await server.reply_to("ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟")
            b = await server.reply_to("ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟")
            # b's "next" pressed on message a (data copied across messages): stale, a is not edited
            answered = await server.press(a.result, button(b, "التالي"))
            assert shown(answered.params["text"]).startswith("انتهت صلاحية")
            assert not server.of("editMessageText")

    _restart_run(default_index, scenario)


@pytest.mark.integration
def test_an_update_delivered_twice_is_answered_once(default_index: Index, tmp_path: Path) -> None:
    async def scenario(server: FakeBotAPI, start_bot) -> None:
        ctx, bot = start_bot()
        async with ctx:
            await server.reply_to(Q_KOBLER)
            update = {"update_id": 1000, "message": server.make_message("ماذا قال كوبلر؟")}
            server.push_update(dict(update))
            await server.wait_for(lambda: len(server.sent()) == 2)
        ctx, bot = start_bot()  # after a restart too: Telegram re-sends what was not confirmed
        async with ctx:
            server.push_update(dict(update))
            await server.reply_to("ماذا عن حفتر؟")
            assert bot.stats["duplicates"] >= 1  # the re-sent copy (and any the fake server kept unconfirmed)
        assert len(server.sent()) == 3

    _restart_run(default_index, scenario, state_url=f"sqlite:///{tmp_path / 'state.sqlite3'}")


@pytest.mark.integration
def test_redis_down_the_bot_answers_and_buttons_say_try_again(default_index: Index, redis_server, caplog) -> None:
    async def scenario(server: FakeBotAPI, start_bot) -> None:
        ctx, bot = start_bot()
        async with ctx:
            first = await server.reply_to("ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟")
            redis_server.stop()
            try:
                answered = await server.press(first.result, button(first, "التالي"))
                assert shown(answered.params["text"]).startswith("تعذّر الوصول")
                down = await server.reply_to("ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟")  # still answered
                assert "مصراتة" in shown(down.params["text"])
                assert not bot.state.available
            finally:
                redis_server.start()  # the same port: Redis is back (empty: not persisted in this test)
            again = await server.reply_to("ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟")
            await server.press(again.result, button(again, "التالي"))
            await edited(server, again.result["message_id"], 0)
            assert bot.state.available and bot.state.outages == 1
        assert bot.stats["errors"] == 0

    caplog.set_level("WARNING")
    _restart_run(default_index, scenario, state_url=redis_server.url)
    assert "unavailable" in caplog.text and "is back" in caplog.text


def test_store_errors_carry_the_url_without_password() -> None:
    from bot.telegram.store.redis import redact

    assert redact("redis://:s3cret@host:6379/0") == "redis://:***@host:6379/0"
    e = StateUnavailable("redis://host:6379/0", "ConnectionError: refused")
    assert e.url == "redis://host:6379/0" and "SANAD_STATE_URL" in str(e) and exit_code(e) == 6
    assert isinstance(open_store("memory://"), StateStore)


# ------------------------------------------------------------------------------ index swaps
@pytest.mark.integration
def test_a_rebuilt_index_is_swapped_in_while_questions_flow(tmp_path: Path) -> None:
    """`sanad index … --out DIR` over the served index: the bot serves the new one within the
    watch interval, and no question asked meanwhile fails."""
    from bot.telegram.reload import IndexWatcher

    corpus = ROOT / "retrieval" / "data" / "libya-news"
    small, out = tmp_path / "small", tmp_path / "index"
    small.mkdir()
    for name in ("000_5f3d3eafb9d575e6.txt", "001_ae9e9b4a8314f8a4.txt"):
        shutil.copy(corpus / name, small / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")} | {"SANAD_ACTORS_BACKEND": "rules"}
    sanad_index = [sys.executable, "-m", "bot.cli", "index"]
    subprocess.run([*sanad_index, str(small), "--out", str(out)], env=env, cwd=ROOT, check=True, capture_output=True)

    async def scenario(server: FakeBotAPI, start_bot) -> None:
        ctx, bot = start_bot()
        async with ctx:
            watcher = IndexWatcher(bot, out, interval=0.1)
            task = asyncio.create_task(watcher.run())
            before = await server.reply_to(Q_KOBLER)
            assert "كوبلر" not in shown(before.params["text"]).split("\n")[0]  # not in the two articles
            rebuild = asyncio.create_task(asyncio.to_thread(
                subprocess.run, [*sanad_index, str(corpus), "--out", str(out)], env=env, cwd=ROOT, check=True,
                capture_output=True,
            ))  # fmt: skip
            replies = []
            while not rebuild.done() or watcher.reloads == 0:
                replies.append(await server.reply_to("ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟", timeout=20))
                await asyncio.sleep(0.05)
            await rebuild
            after = await server.reply_to(Q_KOBLER)
            task.cancel()
            assert watcher.reloads == 1 and len(bot.sanad.index.articles) == 5
            assert "مارتن كوبلر" in shown(after.params["text"])
            assert all("خطأ" not in shown(r.params["text"]) for r in replies) and len(replies) >= 2
            assert bot.stats["errors"] == 0

    _restart_run(Index.load(out), scenario)


@pytest.mark.integration
def test_flood_limits_are_shared_by_replicas(redis_server) -> None:
    """Two replicas' limiters on one Redis send at the global rate together, not each."""
    import redis

    from bot.telegram.flood import SharedRateLimiter

    redis.Redis(port=redis_server.port, db=3).flushdb()
    url = f"redis://127.0.0.1:{redis_server.port}/3"

    async def main() -> float:
        a, b = SharedRateLimiter(url, per_second=50), SharedRateLimiter(url, per_second=50)
        t0 = time.monotonic()
        await asyncio.gather(*(x.wait_for_slot(1) for x in (a, b) for _ in range(40)))
        together = time.monotonic() - t0
        c = SharedRateLimiter(url, per_second=0, group_per_minute=3)  # a group: 3 at once, then one per 20 s
        t0 = time.monotonic()
        await asyncio.gather(*(c.wait_for_slot(-100) for _ in range(3)))
        fourth = asyncio.create_task(c.wait_for_slot(-100))
        done, _ = await asyncio.wait({fourth}, timeout=1.0)
        assert not done  # waits its turn
        fourth.cancel()
        assert await asyncio.wait_for(c.wait_for_slot(1), 1.0) == 0.0  # a private chat is not held up
        await c.shutdown()
        await a.shutdown()
        await b.shutdown()
        return together

    together = asyncio.run(main())
    assert together >= (80 - 50) / 50 * 0.9  # 80 requests, burst 50, 50/s over both replicas (bench/time_limits.py: how fast)


@pytest.mark.integration
def test_sighup_makes_sanad_telegram_serve_the_rebuilt_index(tmp_path: Path) -> None:
    from test_telegram import _ServerThread

    corpus = ROOT / "retrieval" / "data" / "libya-news"
    small, out = tmp_path / "small", tmp_path / "index"
    small.mkdir()
    shutil.copy(corpus / "000_5f3d3eafb9d575e6.txt", small)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")} | {"SANAD_ACTORS_BACKEND": "rules"}
    index_cmd = [sys.executable, "-m", "bot.cli", "index"]
    subprocess.run([*index_cmd, str(small), "--out", str(out)], env=env, cwd=ROOT, check=True, capture_output=True)
    with _ServerThread() as st:
        bot_env = env | {"SANAD_TELEGRAM_TOKEN": TOKEN, "SANAD_TELEGRAM_BASE_URL": st.server.base_url,
                         "SANAD_TELEGRAM_POLL_TIMEOUT": "1", "SANAD_INDEX": str(out), "SANAD_INDEX_WATCH_SECONDS": "0"}
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "telegram"], env=bot_env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            st.do(st.server.wait_for(lambda: st.server.of("getUpdates"), 60), 65)

            def reply(n: int) -> str:
                st.push(Q_KOBLER)
                return shown(st.do(st.server.wait_for(lambda: st.server.sent(1)[n:], 20), 25)[0].params["text"])

            assert "مارتن كوبلر" not in reply(0)
            subprocess.run([*index_cmd, str(corpus), "--out", str(out)], env=env, cwd=ROOT, check=True, capture_output=True)
            assert "مارتن كوبلر" not in reply(1)  # watching is off: the old index until SIGHUP
            proc.send_signal(signal.SIGHUP)
            deadline, n = time.monotonic() + 20, 2
            while "مارتن كوبلر" not in reply(n):
                n += 1
                assert time.monotonic() < deadline, "SIGHUP did not reload the index"
                time.sleep(0.3)
            assert proc.poll() is None  # SIGHUP reloads, it does not stop the bot
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
