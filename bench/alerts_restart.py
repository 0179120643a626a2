"""Alerts sent once, none lost, when the bot is killed while sending them (issue #26).

The five embedded articles are indexed, 1,000 follows across 200 chats are written into a SQLite
state file (actor names and headlines of the new reports, as bench/alerts.py draws them), then 100
SaudiNewsNet reports (measurement only, never bundled) are added to the index. ``sanad telegram``
(a real process, against the fake Bot API of tests/fakebot.py, whose sendMessage is slowed to
``--delay`` s) matches them and starts sending; it is killed with SIGKILL after a third of the
alerts, started again on the same state file, and left to finish. Every alert expected (from
:func:`retrieval.alerts.match` run here) is counted in what the Bot API received: sent once, twice
(a kill between Telegram taking it and the bot recording it), or never. The kill comes as a send
reaches the Bot API: the worst moment, when one alert is in flight.

Usage: ``python bench/alerts_restart.py``. Exits 1 when an alert is lost, or more than the one in
flight at the kill is sent twice.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import html as html_lib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARCHIVE = REPO.parent / "shared" / "corpus" / "saudinewsnet" / "articles.jsonl.gz"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
TOKEN = "123456:bench-token_abcdefghijklmnopqrstuvwxyz"


def reports(n: int) -> list:
    from retrieval.corpus import make_article

    out = []
    with gzip.open(ARCHIVE, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if len(d.get("text") or "") > 400:
                out.append(make_article(id="alert-" + d["id"], text=d["text"], title=d.get("title"), source=d.get("source"),
                                        date=d.get("date")))  # fmt: skip
            if len(out) >= n:
                return out
    return out


def bot_env(base_url: str, index: Path, state: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    env.update(
        SANAD_TELEGRAM_TOKEN=TOKEN, SANAD_TELEGRAM_BASE_URL=base_url, SANAD_INDEX=str(index), SANAD_STATE_URL=state,
        SANAD_TELEGRAM_MAX_RATE="0", SANAD_TELEGRAM_USER_RATE="0", SANAD_LOG_LEVEL="INFO",
    )  # fmt: skip
    return env


async def run(a: argparse.Namespace) -> int:
    from fakebot import FakeBotAPI

    from bot.telegram.follows import MAX_FOLLOW_CHARS, follow_id
    from bot.telegram.store import open_store
    from retrieval.alerts import Follow, match
    from retrieval.corpus import load_default_corpus
    from retrieval.index import Index
    from retrieval.service import Sanad

    work = Path(tempfile.mkdtemp(prefix="sanad-alerts-"))
    idx, state_file = work / "news", work / "state.sqlite3"
    state = f"sqlite:///{state_file}"
    base = Index.build(load_default_corpus())
    base.save(idx)
    new = reports(100)
    grown = base.add(new)
    service = Sanad(grown)
    rng = random.Random(0)
    names = [m.text for x in new[:60] for m in grown.mentions.of_article(x.id)[:3]]
    subjects = [x.title for x in new if x.title]
    follows = [
        Follow(str(1000 + k % a.chats), "actor", rng.choice(names)) if k % 3 else Follow(str(1000 + k % a.chats), "subject", rng.choice(subjects))
        for k in range(a.follows)
    ]  # fmt: skip
    store = open_store(state)
    by_chat: dict[str, list[dict]] = {}
    for f in follows:
        items = by_chat.setdefault(f.chat, [])
        if all(i["text"] != f.text for i in items) and len(items) < 20:
            items.append({"id": follow_id(f.kind, f.text), "kind": f.kind, "text": f.text})
    for chat, items in by_chat.items():
        await store.put_record(f"follows:{chat}", {"items": items})
    ids = base.articles.ids
    await store.put_record("alerts:cursor", {"n": len(ids), "last": ids[-1]})
    await store.close()
    kept = [Follow(chat, i["kind"], i["text"]) for chat, items in by_chat.items() for i in items]
    expected = Counter(
        (int(x.follow.chat), x.follow.text[:MAX_FOLLOW_CHARS], x.article_id) for x in match(service, [x.id for x in new], kept)
    )  # the header shows a follow's first MAX_FOLLOW_CHARS characters
    grown.save(idx)  # the served index gains the 100 reports
    print(f"{len(kept)} follows kept ({a.follows} drawn, at most 20 a chat) across {len(by_chat)} chats; "
          f"{sum(expected.values())} alerts expected; load average {os.getloadavg()[0]:.2f}")  # fmt: skip

    def outbox() -> int:
        with sqlite3.connect(state_file) as db:
            return db.execute("SELECT count(*) FROM records WHERE key LIKE 'outbox:%'").fetchone()[0]

    async with FakeBotAPI(TOKEN) as server:
        for chat in by_chat:
            server.chat(int(chat))
        server.inject("sendMessage", delay=a.delay, times=10**6)
        env = bot_env(server.base_url, idx, state)
        log1, log2 = (open(work / f"bot{i}.log", "w") for i in (1, 2))  # noqa: SIM115
        first = subprocess.Popen([sys.executable, "-m", "bot.cli", "telegram"], env=env, cwd=REPO, stderr=log1)
        total = sum(expected.values())
        t0 = time.monotonic()
        await server.wait_for(lambda: len(server.sent()) >= total // 3, 300)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = len(server.sent())
        print(f"killed with SIGKILL after {killed_at} alerts ({time.monotonic() - t0:.1f} s); {outbox()} waiting in the outbox")
        second = subprocess.Popen([sys.executable, "-m", "bot.cli", "telegram"], env=env, cwd=REPO, stderr=log2)
        t1 = time.monotonic()
        try:
            deadline = time.monotonic() + 300
            while outbox() and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            await asyncio.sleep(2)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
        print(f"restarted: the rest sent in {time.monotonic() - t1:.1f} s (a new bot takes the news lease within 15 s)")
        got: Counter = Counter()
        for call in server.sent():
            html = call.params["text"]
            head = re.search(r"تقرير جديد (?:يذكر|عن:) (.+?)</b>", html)
            aid = re.search(r"<code>([^<]+)</code>", html)
            if head and aid:  # the header's text without the bidi isolates render.escape puts around Latin and digits
                got[(call.params["chat_id"], re.sub("[\u2066-\u2069]", "", html_lib.unescape(head[1])), aid[1])] += 1
    lost = sum(1 for k in expected if k not in got)
    twice = sum(1 for k, n in got.items() if n > 1)
    unexpected = sum(1 for k in got if k not in expected)
    print(f"alerts: {len(got)} distinct sent of {len(expected)} expected; lost {lost}, unexpected {unexpected}, sent twice "
          f"{twice} (at most the one Telegram had taken when the bot was killed, before the bot recorded it)")
    return 0 if lost == 0 and unexpected == 0 and twice <= 1 else 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--follows", type=int, default=1000)
    ap.add_argument("--chats", type=int, default=200)
    ap.add_argument("--delay", type=float, default=0.01, help="seconds the fake Bot API takes per sendMessage")
    return asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
