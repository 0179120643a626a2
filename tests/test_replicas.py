"""Two `sanad telegram` replicas on one real redis-server, behind one webhook (bot/telegram/replicas.py).

Updates are posted to the replicas' webhook ports as Telegram (through a proxy) would; replies go
to the fake Bot API. Each property of the replica design has its test: a chat's updates answered
in order whichever replica received them, an update delivered twice answered once, a button made
on one replica pressed through the other, and an update whose replica was killed with SIGKILL
mid-answer answered by the other.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_state import RedisServer, _free_port, redis_server  # noqa: F401  (the fixture)
from test_telegram import TOKEN, _ServerThread, button, shown

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SECRET = "replica-secret_0123"
Q_MISRATA = "ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟"


class Replica:
    def __init__(self, st: _ServerThread, redis_url: str, log: Path) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
        env.update(
            SANAD_TELEGRAM_TOKEN=TOKEN, SANAD_TELEGRAM_BASE_URL=st.server.base_url,
            SANAD_TELEGRAM_WEBHOOK_URL="https://bot.example/sanad/hook", SANAD_TELEGRAM_WEBHOOK_SECRET=SECRET,
            SANAD_TELEGRAM_LISTEN="127.0.0.1", SANAD_TELEGRAM_PORT=str(self.port), SANAD_STATE_URL=redis_url,
            SANAD_TELEGRAM_MAX_RATE="0", SANAD_TELEGRAM_USER_RATE="0", SANAD_LOG_LEVEL="INFO",
            SANAD_ACTORS_BACKEND="rules",
        )  # fmt: skip
        self.log = log
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "telegram"], env=env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=log.open("w"))  # fmt: skip

    def post(self, update: dict) -> int:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/sanad/hook", json.dumps(update).encode(),
            {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture()
def replicas(redis_server, tmp_path: Path) -> Iterator[tuple[_ServerThread, list[Replica], object]]:  # noqa: F811
    import redis

    r = redis.Redis(port=redis_server.port, db=2)
    r.flushdb()
    url = f"redis://127.0.0.1:{redis_server.port}/2"
    with _ServerThread() as st:
        reps = [Replica(st, url, tmp_path / f"replica{i}.log") for i in range(2)]
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # both up, and the eight streams split evenly between them
                owners = Counter(r.get(f"sanad:lease:{s}") for s in range(8))  # mid-rebalance: 7/1, 6/1+free…
                if all(x.healthy() for x in reps) and None not in owners and sorted(owners.values()) == [4, 4]:
                    break
                assert all(x.proc.poll() is None for x in reps), [x.log.read_text() for x in reps]
                time.sleep(0.2)
            else:
                raise AssertionError([x.log.read_text()[-2000:] for x in reps])
            yield st, reps, r
        finally:
            for x in reps:
                x.stop()


def _message(st: _ServerThread, text: str, chat_id: int) -> dict:
    async def make() -> dict:
        return st.server.make_message(text, chat_id)

    return st.do(make())


def _sent(st: _ServerThread, chat_id: int, n: int, timeout: float = 30) -> list:
    return st.do(st.server.wait_for(lambda: len(st.server.sent(chat_id)) >= n and st.server.sent(chat_id), timeout), timeout + 5)


def test_replicas_answer_in_order_once_and_share_buttons(replicas) -> None:
    st, (a, b), _ = replicas
    ids = iter(range(100, 1000))
    # 1. one chat's updates, posted alternately to both replicas: answered in order
    for i, prefix in enumerate(("000", "001", "002", "003", "004")):
        update = {"update_id": next(ids), "message": _message(st, f"/article {prefix}", 1)}
        assert (a if i % 2 else b).post(update) == 200
    sent = _sent(st, 1, 5)
    assert [next(p for p in ("000", "001", "002", "003", "004") if p in shown(c.params["text"])) for c in sent] == [
        "000", "001", "002", "003", "004"]  # fmt: skip
    # 3. the same update delivered to both replicas (a retried webhook): one reply
    dup = {"update_id": next(ids), "message": _message(st, Q_MISRATA, 2)}
    assert a.post(dup) == 200 and b.post(dup) == 200
    (answer,) = _sent(st, 2, 1)
    barrier = {"update_id": next(ids), "message": _message(st, "/article 000", 2)}  # answered after any duplicate
    assert b.post(barrier) == 200
    sent = _sent(st, 2, 2)
    assert len(sent) == 2 and "000" in shown(sent[1].params["text"])
    # 4. its "next" button pressed through either replica: the same shared view
    shown_call = answer
    for replica, label in ((b, "التالي"), (a, "السابق")):
        before = len(st.server.of("editMessageText"))
        press = {"update_id": next(ids), "callback_query": {
            "id": str(next(ids)), "from": {"id": 2, "is_bot": False, "first_name": "u"}, "chat_instance": "2",
            "message": answer.result, "data": button(shown_call, label)}}  # fmt: skip
        assert replica.post(press) == 200
        shown_call = st.do(st.server.wait_for(lambda: st.server.of("editMessageText")[before:], 20), 25)[0]
    assert shown(shown_call.params["text"]) == shown(answer.params["text"])  # back on page 1
    assert a.post({"update_id": "x"}) == 400  # not an update


def test_an_update_of_a_killed_replica_is_answered_by_the_other(replicas) -> None:
    st, reps, r = replicas
    chat = 13
    owner_id = r.get(f"sanad:lease:{chat % 8}").decode()
    owner = next(x for x in reps if f"-{x.proc.pid}-" in owner_id)
    other = next(x for x in reps if x is not owner)
    st.server.inject("sendMessage", status=500, delay=30, times=1)  # the owner hangs mid-answer
    assert other.post({"update_id": 5000, "message": _message(st, Q_MISRATA, chat)}) == 200
    deadline = time.monotonic() + 30  # polled: the server tells waiters only of finished calls
    while not [c for c in list(st.server.calls) if c.method == "sendMessage" and c.params.get("chat_id") == chat]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    owner.proc.send_signal(signal.SIGKILL)
    owner.proc.wait(10)
    (reply,) = _sent(st, chat, 1, timeout=60)  # taken over (how fast: the lease, LEASE_S)
    assert "مصراتة" in shown(reply.params["text"])
    assert other.post({"update_id": 5001, "message": _message(st, "/article 000", chat)}) == 200  # a barrier
    sent = _sent(st, chat, 2, timeout=30)
    assert len(sent) == 2 and "000" in shown(sent[1].params["text"])  # answered once, then the barrier


def test_replicas_keep_answering_while_redis_is_down(replicas, redis_server) -> None:  # noqa: F811
    st, (a, b), _ = replicas
    redis_server.stop()
    try:
        assert a.post({"update_id": 7000, "message": _message(st, Q_MISRATA, 21)}) == 200
        (down,) = _sent(st, 21, 1)
        assert "مصراتة" in shown(down.params["text"])
    finally:
        redis_server.start()  # back, empty (this test's Redis does not persist)
    time.sleep(1.5)
    assert b.post({"update_id": 7001, "message": _message(st, Q_MISRATA, 22)}) == 200
    (again,) = _sent(st, 22, 1)
    before = len(st.server.of("editMessageText"))
    press = {"update_id": 7002, "callback_query": {
        "id": "q7002", "from": {"id": 22, "is_bot": False, "first_name": "u"}, "chat_instance": "22",
        "message": again.result, "data": button(again, "التالي")}}  # fmt: skip
    assert a.post(press) == 200
    st.do(st.server.wait_for(lambda: st.server.of("editMessageText")[before:], 20), 25)
    logs = a.log.read_text() + b.log.read_text()
    assert "until Redis is back" in logs and "Redis is back" in logs
