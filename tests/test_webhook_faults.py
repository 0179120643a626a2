"""Hostile input and faults at the webhook (#21): unreadable updates, slow clients, large bodies.

``sanad telegram`` runs as a real process in either webhook mode (one process; replicas on a real
redis-server) against the fake Bot API (tests/fakebot.py); the attacks are real sockets on
127.0.0.1. What must hold: an update python-telegram-bot cannot read is parked (answered 200 at the
receiver, or parked by the stream's consumer) and every good chat is still answered; idle,
half-sent connections neither exhaust the process's file descriptors nor keep Telegram's post
out, and they are closed after the header timeout; a body without the secret is refused from its
headers, unread (the process's memory stays flat); the log stays small whatever the attack.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_replicas import _message, _sent
from test_state import _free_port, redis_server  # noqa: F401  (the fixture)
from test_telegram import TOKEN, _ServerThread, make_settings, shown

from bot.telegram import build_application
from bot.telegram.webhook import FloodFilter, Limits, LocalSink, start_receiver
from retrieval.index import Index

pytestmark = [pytest.mark.integration]

pytest.importorskip("tornado", reason="webhook mode needs python-telegram-bot[webhooks]")

ROOT = Path(__file__).resolve().parents[1]
SECRET = "hook-secret_0123"
HOOK = "/sanad/hook"
Q_MISRATA = "ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟"
PREFIXES = ("000", "001", "002", "003", "004")


class Bot:
    """``sanad telegram`` in webhook mode (replica mode with a redis:// ``state_url``), optionally
    with a lower file-descriptor limit (``nofile``)."""

    def __init__(self, st: _ServerThread, log: Path, state_url: str = "memory://", nofile: int | None = None,
                 **env: str) -> None:  # fmt: skip
        self.port, self.log = _free_port(), log
        full = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
        full.update(
            SANAD_TELEGRAM_TOKEN=TOKEN, SANAD_TELEGRAM_BASE_URL=st.server.base_url,
            SANAD_TELEGRAM_WEBHOOK_URL=f"https://bot.example{HOOK}", SANAD_TELEGRAM_WEBHOOK_SECRET=SECRET,
            SANAD_TELEGRAM_LISTEN="127.0.0.1", SANAD_TELEGRAM_PORT=str(self.port), SANAD_STATE_URL=state_url,
            SANAD_TELEGRAM_MAX_RATE="0", SANAD_TELEGRAM_USER_RATE="0", SANAD_LOG_LEVEL="INFO",
            SANAD_ACTORS_BACKEND="rules", **env,
        )  # fmt: skip

        def limit() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "telegram"], env=full, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=log.open("w"), preexec_fn=limit)  # fmt: skip

    def post(self, update: dict, secret: str = SECRET, timeout: float = 10) -> int:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{HOOK}", json.dumps(update).encode(),
            {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def post_as_telegram(self, update: dict, within: float = 15) -> int:
        """Post as Telegram does: a delivery that fails (connection reset or refused, 5xx) is sent
        again until it is taken or ``within`` seconds have passed; the last status (0: no answer)."""
        deadline, status = time.monotonic() + within, 0
        while time.monotonic() < deadline:
            try:
                status = self.post(update, timeout=max(1.0, deadline - time.monotonic()))
            except OSError:
                status = 0
            if 0 < status < 500:
                return status
            time.sleep(0.5)
        return status

    def listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _started(st: _ServerThread, bots: list[Bot], ready, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not (all(b.listening() for b in bots) and ready()):
        assert all(b.proc.poll() is None for b in bots), [b.log.read_text()[-2000:] for b in bots]
        assert time.monotonic() < deadline, [b.log.read_text()[-2000:] for b in bots]
        time.sleep(0.2)


@contextlib.contextmanager
def single(tmp_path: Path, nofile: int | None = None, **env: str) -> Iterator[tuple[_ServerThread, Bot]]:
    """The fake Bot API and one ``sanad telegram`` in single-process webhook mode, started."""
    with _ServerThread() as st:
        bot = Bot(st, tmp_path / "bot.log", nofile=nofile, **env)
        try:
            _started(st, [bot], lambda: st.server.of("setWebhook"))
            yield st, bot
        finally:
            bot.stop()


def _half_sent(port: int, n: int, batch: int = 25) -> list[socket.socket]:
    """``n`` connections that sent part of a request head and then nothing (slow or idle clients),
    ``batch`` at a time (a burst beyond the listen backlog would be retried by the kernel seconds later)."""
    socks: list[socket.socket] = []
    for start in range(0, n, batch):
        group = []
        for _ in range(min(batch, n - start)):
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError, OSError):
                s.connect(("127.0.0.1", port))
            group.append(s)
        select.select([], group, [], 1.0)
        for s in group:
            with contextlib.suppress(OSError):
                s.send(f"POST {HOOK} HTTP/1.1\r\nHost: bot.example\r\nContent-Type: appl".encode())
        socks += group
    return socks


def _log_bytes(bot: Bot) -> int:
    return bot.log.stat().st_size


# ------------------------------------------------------------------------------ 2: unreadable updates
def test_unreadable_updates_are_parked_and_every_chat_is_answered(redis_server, tmp_path: Path) -> None:  # noqa: F811
    """Replica mode: updates PTB cannot read, posted between good ones (the receiver parks them at
    once) or already in a stream (the consumer parks them), and an entry whose replicas died
    answering it five times, are parked in sanad:dead; stream 0 and every chat go on."""
    import redis

    r = redis.Redis(port=redis_server.port, db=3)
    r.flushdb()
    url = f"redis://127.0.0.1:{redis_server.port}/3"
    beat = tmp_path / "heartbeat"
    with _ServerThread() as st:
        # already in the streams when the replicas start: two entries no PTB can read (chat 8: stream 0) ...
        r.xadd("sanad:q:0", {"u": json.dumps({"update_id": 950, "message": {"chat": {"id": 8, "type": "private"}}})})
        r.xadd("sanad:q:0", {"u": "{not json"})
        # ... and in chat 29 (stream 5) an entry its replicas died answering, five times
        ghost = {"update_id": 960, "message": _message(st, "/article 000", 29)}
        r.xgroup_create("sanad:q:5", "sanad", id="0", mkstream=True)
        ghost_id = r.xadd("sanad:q:5", {"u": json.dumps(ghost)})
        r.xreadgroup("sanad", "ghost", {"sanad:q:5": ">"}, count=1)
        for _ in range(4):  # taken five times in all, by replicas that died answering it
            r.xclaim("sanad:q:5", "sanad", "ghost", 0, [ghost_id])
        r.xadd("sanad:q:5", {"u": json.dumps({"update_id": 961, "message": _message(st, "/article 001", 29)})})

        a = Bot(st, tmp_path / "a.log", url, SANAD_HEARTBEAT_FILE=str(beat), SANAD_HEARTBEAT_INTERVAL="0.5")
        b = Bot(st, tmp_path / "b.log", url)
        try:
            _started(st, [a, b], lambda: None not in {r.get(f"sanad:lease:{s}") for s in range(8)})
            ids = iter(range(1000, 2000))
            for chat in range(1, 17):
                good = {"update_id": next(ids), "message": _message(st, f"/article {PREFIXES[chat % 5]}", chat)}
                assert (a if chat % 2 else b).post(good) == 200
                if chat % 8 == 0:  # stream 0's chats: an update without message_id and date after each
                    poison = {"update_id": next(ids), "message": {"chat": {"id": chat, "type": "private"}, "text": "x"}}
                    assert (b if chat % 2 else a).post(poison) == 200
            for chat in range(1, 17):
                (reply,) = _sent(st, chat, 1)
                assert PREFIXES[chat % 5] in shown(reply.params["text"])
            (reply,) = _sent(st, 29, 1)  # the entry after the ghost: answered; the ghost: parked
            assert "001" in shown(reply.params["text"])
            time.sleep(1)
            assert len(st.server.sent(29)) == 1 and len(st.server.sent(8)) == 1
            dead = [{k.decode(): v.decode() for k, v in f.items()} for _, f in r.xrange("sanad:dead")]
            reasons = " | ".join(d["reason"] for d in dead)
            assert len(dead) == 5, reasons
            assert sum("cannot read it" in d["reason"] for d in dead) == 4 and "'date'" in reasons
            (parked,) = [d for d in dead if d.get("stream") == "sanad:q:5"]
            assert "taken 5 times" in parked["reason"] and parked["entry"] == ghost_id.decode(), reasons
            assert json.loads(parked["u"]) == ghost  # kept whole, to be looked at or posted again
            assert r.xpending("sanad:q:0", "sanad")["pending"] == 0  # every entry acknowledged
            deadline = time.monotonic() + 20
            while True:
                health = subprocess.run([sys.executable, "-m", "bot.cli", "health"], capture_output=True, text=True,
                                        cwd=ROOT, env={**os.environ, "SANAD_HEARTBEAT_FILE": str(beat)})  # fmt: skip
                if "5 updates parked" in health.stdout or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert health.returncode == 0 and "5 updates parked" in health.stdout, health.stdout
        finally:
            a.stop()
            b.stop()
    logs = a.log.read_text() + b.log.read_text()
    assert "taking it up again" not in logs and "Traceback" not in logs, logs[-3000:]  # no stream ever stopped
    assert logs.count("parked in sanad:dead") == 5


def test_unreadable_update_in_single_process_mode_is_dropped_with_200(tmp_path: Path) -> None:
    with single(tmp_path, SANAD_HEARTBEAT_FILE=str(tmp_path / "beat"), SANAD_HEARTBEAT_INTERVAL="0.3") as (st, bot):
        assert bot.post({"update_id": 5, "message": {"chat": {"id": 3, "type": "private"}, "text": "x"}}) == 200
        assert bot.post({"update_id": 6, "message": _message(st, Q_MISRATA, 3)}) == 200
        (reply,) = _sent(st, 3, 1)
        assert "مصراتة" in shown(reply.params["text"])
        deadline = time.monotonic() + 10
        while '"dead_letters": 1' not in (tmp_path / "beat").read_text():
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert "update 5 dropped: python-telegram-bot cannot read it: KeyError: 'date'" in bot.log.read_text()


# ------------------------------------------------------------------------------ 4: slow clients
@pytest.mark.parametrize(
    ("nofile", "idle"),
    [(128, 400), (14, 200)],
    ids=["connection-cap", "out-of-file-descriptors"],
)  # fmt: skip
def test_idle_half_sent_connections_do_not_keep_telegram_out(tmp_path: Path, nofile: int, idle: int) -> None:
    """Many more idle connections than the process has file descriptors for (128: the cap, half of
    them, is what holds; 14: accepting fails for want of descriptors first): Telegram's post is
    still taken and answered, in either case, and the log stays small."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < idle + 100:
        pytest.skip("this test process may not open that many connections")
    with single(tmp_path, nofile=nofile) as (st, bot):
        socks = _half_sent(bot.port, idle)
        try:
            t0 = time.monotonic()
            assert bot.post_as_telegram({"update_id": 7, "message": _message(st, Q_MISRATA, 4)}) == 200
            (reply,) = _sent(st, 4, 1)
            assert "مصراتة" in shown(reply.params["text"]) and time.monotonic() - t0 < 15
            more = _half_sent(bot.port, idle)  # a second wave while the first is still open
            socks += more
            assert bot.post_as_telegram({"update_id": 8, "message": _message(st, "/article 002", 5)}) == 200
            (reply,) = _sent(st, 5, 1)
            assert "002" in shown(reply.params["text"])
            assert bot.proc.poll() is None
        finally:
            for s in socks:
                s.close()
        assert _log_bytes(bot) < 30_000, bot.log.read_text()[-3000:]


def test_slow_and_idle_clients_are_timed_out_and_capped(default_index: Index) -> None:
    """The receiver itself, with short limits: a connection that sends no whole head is closed after
    the header timeout, a body that does not come after the body timeout; at most the cap of
    connections stay open (the oldest idle ones evicted); Telegram's post still lands in the queue."""

    async def main() -> None:
        from fakebot import FakeBotAPI

        async with FakeBotAPI(TOKEN) as server:
            app, _ = build_application(make_settings(server), default_index)
            port = _free_port()
            limits = Limits(header_timeout_s=0.5, body_timeout_s=0.5, max_connections=8)
            receiver = start_receiver(LocalSink(app), app.bot, "127.0.0.1", port, HOOK, SECRET, limits)
            try:
                opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
                for _, w in opened:
                    w.write(b"POST /sanad/hook HTTP/1.1\r\nHost: x\r\n")
                await asyncio.sleep(0.1)
                assert len(receiver.server.open) == 8 and receiver.counts["evicted"] == 12
                # a body announced with the secret and never sent
                r, w = await asyncio.open_connection("127.0.0.1", port)
                w.write(f"POST {HOOK} HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
                        "Content-Length: 500\r\n\r\n{".encode())  # fmt: skip
                t0 = time.monotonic()
                assert await asyncio.wait_for(r.read(), 5) == b"" and 0.4 < time.monotonic() - t0 < 3
                for reader, _ in opened:  # every idle one closed by now (header timeout or evicted)
                    assert await asyncio.wait_for(reader.read(), 3) == b""
                assert not receiver.server.open
                message = server.make_message(Q_MISRATA, chat_id=1)
                body = json.dumps({"update_id": 3, "message": message}).encode()
                r, w = await asyncio.open_connection("127.0.0.1", port)
                w.write(f"POST {HOOK} HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)  # fmt: skip
                assert (await r.readline()).startswith(b"HTTP/1.1 200")
                update = await asyncio.wait_for(app.update_queue.get(), 5)
                assert update.update_id == 3 and update.message.text == Q_MISRATA
                w.close()
            finally:
                receiver.stop()

    asyncio.run(main())


def test_a_body_nested_too_deep_is_a_400_not_a_traceback(default_index: Index, caplog) -> None:
    """With the secret, a body within the size limit that no JSON parser can nest (RecursionError):
    400 like any body that is not an update, not a 500 that Telegram would retry."""

    async def main() -> None:
        from fakebot import FakeBotAPI

        async with FakeBotAPI(TOKEN) as server:
            app, _ = build_application(make_settings(server), default_index)
            port = _free_port()
            receiver = start_receiver(LocalSink(app), app.bot, "127.0.0.1", port, HOOK, SECRET)
            try:
                body = b"[" * 200_000 + b"]" * 200_000
                r, w = await asyncio.open_connection("127.0.0.1", port)
                w.write(f"POST {HOOK} HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n".encode() + body)  # fmt: skip
                assert (await r.readline()).startswith(b"HTTP/1.1 400")
                w.close()
                assert app.update_queue.empty() and receiver.counts["updates"] == 0
            finally:
                receiver.stop()

    caplog.set_level(logging.WARNING)
    asyncio.run(main())
    assert "RecursionError" not in caplog.text


# ------------------------------------------------------------------------------ 7: large bodies
def _raw(port: int, head: str, body: bytes = b"", timeout: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head.encode() + body)
        out = b""
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                out += chunk
        return out


def test_large_bodies_are_refused_from_their_headers(tmp_path: Path) -> None:
    big = 95 * 1024 * 1024
    with single(tmp_path) as (st, bot):
        head = f"POST {HOOK} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {big}\r\n"
        # no secret, wrong secret, another path: refused as soon as the head is in, the body never awaited
        for extra, status in (("", b"403"), ("X-Telegram-Bot-Api-Secret-Token: nope\r\n", b"403")):
            t0 = time.monotonic()
            assert _raw(bot.port, head + extra + "\r\n").startswith(b"HTTP/1.1 " + status)
            assert time.monotonic() - t0 < 2
        assert _raw(bot.port, head.replace(HOOK, "/elsewhere") + "\r\n").startswith(b"HTTP/1.1 404")
        # the secret, but 95 MB: over the 1 MiB limit, refused unread too
        assert _raw(bot.port, head + f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n\r\n").startswith(b"HTTP/1.1 400")

        # four concurrent 48 MB posts without the secret: the process's memory stays flat
        before = bot.rss_kb()
        sent: list[int] = []

        def flood() -> None:
            n = 0
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", bot.port), timeout=5) as s:
                s.sendall(head.replace(str(big), str(48 << 20)).encode() + b"\r\n")
                chunk = b"0" * (1 << 20)
                for _ in range(48):
                    s.sendall(chunk)
                    n += len(chunk)
            sent.append(n)

        threads = [threading.Thread(target=flood) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(sent) == 4 and max(sent) < 40 << 20, sent  # the server closed them unread
        assert bot.rss_kb() - before < 16 * 1024, (before, bot.rss_kb())
        assert bot.post({"update_id": 9, "message": _message(st, Q_MISRATA, 6)}) == 200
        (reply,) = _sent(st, 6, 1)
        assert "مصراتة" in shown(reply.params["text"])
    assert _log_bytes(bot) < 20_000


# ------------------------------------------------------------------------------ logs
def test_flood_filter_lets_a_few_lines_through_then_counts_the_rest() -> None:
    now = [0.0]
    flood = FloodFilter(burst=3, period_s=60, clock=lambda: now[0])
    logger = logging.getLogger("test.webhook.flood")
    logger.propagate = False
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    logger.addFilter(flood)
    try:
        for i in range(1000):
            logger.warning("cannot accept a connection (%s)", i)
            logger.error("another kind %d", i)
        assert len(records) == 6 and flood.suppressed == 1994
        now[0] = 61.0
        logger.warning("cannot accept a connection (%s)", "again")
        assert records[-1].getMessage() == (
            "cannot accept a connection (again) [997 similar lines suppressed in the previous 60 s]"
        )
    finally:
        logger.removeFilter(flood)
        logger.removeHandler(handler)
